//! The full-size SD VAE decoder takes the Winograd path for its large 3×3 convolutions, which
//! the tiny parity models never reach; here the real architecture (random weights) is built
//! twice, with Winograd where it pays and with the direct convolution only, and both must
//! decode the same latents to the same image at parity precision.

use candle_core::{Device, Tensor};
use reportfig_engine::model::config::{read_json, VaeConfig};
use reportfig_engine::pipeline::kernels;
use reportfig_engine::pipeline::noise::TorchGenerator;
use reportfig_engine::pipeline::vae::AutoencoderKL;
use reportfig_engine::pipeline::ConvAlgorithm;
use reportfig_testkit::load_context;
use reportfig_testkit::recording::RecordingBackend;

fn rel_l2(a: &Tensor, b: &Tensor) -> f32 {
    let d = (a - b).unwrap().sqr().unwrap().sum_all().unwrap();
    let n = b.sqr().unwrap().sum_all().unwrap();
    (d.to_scalar::<f32>().unwrap() / n.to_scalar::<f32>().unwrap()).sqrt()
}

/// The published SD-Turbo VAE config (SD 2.x's VAE, 768² sample size).
fn sd_turbo_vae_config() -> VaeConfig {
    read_json(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../configs/reference/stabilityai--sd-turbo/vae/config.json"
        )
        .as_ref(),
        "VAE config",
    )
    .unwrap()
}

#[test]
fn winograd_decode_matches_the_direct_convolution_on_the_real_vae() {
    let cfg = sd_turbo_vae_config();
    // At the config's 768² the decoder's 512- and 256-channel blocks run at 192² and 384²,
    // where kernels::winograd_pays says yes.
    assert!(kernels::winograd_pays(256, (384, 384), 3, 1, 1));
    let load = |conv| {
        let ctx = load_context().with_conv(conv);
        AutoencoderKL::load(RecordingBackend::new(11).var_builder(), &cfg, &ctx).unwrap()
    };
    let direct = load(ConvAlgorithm::Direct);
    let auto = load(ConvAlgorithm::Auto);
    let winograd_layers = auto.winograd_layers();
    assert!(winograd_layers > 0, "no convolution was built for Winograd");
    assert_eq!(direct.winograd_layers(), 0);
    // Smaller latents than native: the Winograd form is exact at any size, just slower on
    // small maps, and 16² keeps the test quick.
    let z = TorchGenerator::new(3)
        .randn_tensor(&[1, 4, 16, 16], &Device::Cpu)
        .unwrap();
    let without = direct.decode(&z).unwrap();
    let with = auto.decode(&z).unwrap();
    assert_eq!(with.dims(), [1, 3, 128, 128]);
    let e = rel_l2(&with, &without);
    // Exactly equal would mean the Winograd path never ran.
    assert!(e > 0.0, "Winograd path was not taken");
    assert!(e < 1e-4, "Winograd vs direct convolution: relative L2 {e}");
}

/// Image to image builds the encoder with the decoder's fast convolutions too
/// (`VaeUse::EncodeToo`); its latents must match the direct convolution's.
#[test]
fn winograd_encode_matches_the_direct_convolution_on_the_real_vae() {
    use reportfig_engine::pipeline::vae::VaeUse;
    let cfg = sd_turbo_vae_config();
    let load = |conv, usage| {
        let ctx = load_context().with_conv(conv);
        AutoencoderKL::load_for(RecordingBackend::new(11).var_builder(), &cfg, &ctx, usage).unwrap()
    };
    let direct = load(ConvAlgorithm::Auto, VaeUse::Decode);
    let fast = load(ConvAlgorithm::Auto, VaeUse::EncodeToo);
    assert_eq!(
        direct.encoder_winograd_layers(),
        0,
        "text to image keeps it direct"
    );
    assert!(
        fast.encoder_winograd_layers() > 0,
        "no encoder convolution took Winograd"
    );
    let x = TorchGenerator::new(5)
        .randn_tensor(&[1, 3, 128, 128], &Device::Cpu)
        .unwrap()
        .affine(0.5, 0.0)
        .unwrap();
    let (a, b) = (fast.encode(&x).unwrap(), direct.encode(&x).unwrap());
    assert_eq!(a.mean.dims(), [1, 4, 16, 16]);
    for (what, with, without) in [
        ("mean", &a.mean, &b.mean),
        ("log-variance", &a.logvar, &b.logvar),
    ] {
        let e = rel_l2(with, without);
        assert!(e > 0.0, "{what}: Winograd path was not taken");
        assert!(
            e < 1e-4,
            "{what}: Winograd vs direct convolution: relative L2 {e}"
        );
    }
}
