//! The full-size SD VAE decoder takes the Winograd path for its large 3×3 convolutions, which
//! the tiny parity models never reach; here the real architecture (random weights) decodes the
//! same latents with Winograd on and off, and the two images must agree to parity precision.

use candle_core::{Device, Tensor};
use reportfig_engine::model::config::{read_json, VaeConfig};
use reportfig_engine::pipeline::kernels;
use reportfig_engine::pipeline::noise::TorchGenerator;
use reportfig_engine::pipeline::vae::AutoencoderKL;
use reportfig_testkit::recording::RecordingBackend;

fn rel_l2(a: &Tensor, b: &Tensor) -> f32 {
    let d = (a - b).unwrap().sqr().unwrap().sum_all().unwrap();
    let n = b.sqr().unwrap().sum_all().unwrap();
    (d.to_scalar::<f32>().unwrap() / n.to_scalar::<f32>().unwrap()).sqrt()
}

#[test]
fn winograd_decode_matches_the_direct_convolution_on_the_real_vae() {
    let cfg: VaeConfig = read_json(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../configs/reference/stabilityai--sd-turbo/vae/config.json"
        )
        .as_ref(),
        "VAE config",
    )
    .unwrap();
    let vae = AutoencoderKL::load(RecordingBackend::new(11).var_builder(), &cfg).unwrap();
    // 16² latents: the last up block runs at 128² with 256 input channels, where
    // kernels::winograd_pays says yes.
    assert!(kernels::winograd_pays(256, (128, 128), 3, 1, 1));
    let z = TorchGenerator::new(3)
        .randn_tensor(&[1, 4, 16, 16], &Device::Cpu)
        .unwrap();
    // Direct first: a convolution that has switched to its Winograd form keeps it.
    kernels::set_winograd(false);
    let without = vae.decode(&z).unwrap();
    kernels::set_winograd(true);
    let with = vae.decode(&z).unwrap();
    assert_eq!(with.dims(), [1, 3, 128, 128]);
    let e = rel_l2(&with, &without);
    // Exactly equal would mean the Winograd path never ran.
    assert!(e > 0.0, "Winograd path was not taken");
    assert!(e < 1e-4, "Winograd vs direct convolution: relative L2 {e}");
}
