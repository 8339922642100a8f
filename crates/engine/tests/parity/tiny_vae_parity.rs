//! The tiny preview decoder (TAESD) against diffusers 0.42's `AutoencoderTiny` on the tiny
//! fixtures (goldens from `tools/reference/tiny_vae_goldens.py`), plus the loading errors a
//! user can meet.

use reportfig_testkit::load_context as ctx;

use candle_core::Tensor;
use reportfig_engine::pipeline::tiny_vae::{TinyDecoder, TinyVaeError, CONFIG_FILE, WEIGHTS_FILE};
use reportfig_engine::pipeline::vae::to_rgb8;
use reportfig_testkit::tiny_vae::{config, fixtures, write_tiny_decoder};

use crate::golden::{rel_l2, Golden};

#[test]
fn decodes_as_diffusers_autoencoder_tiny() {
    for (name, config_json, seed) in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_decoder(dir.path(), &config_json, seed).unwrap();
        let golden = Golden::read("tiny_vae", name);
        golden.check_fixture(&dir.path().join(WEIGHTS_FILE), "tiny_vae_goldens.py");
        let decoder = TinyDecoder::load_dir(dir.path(), &ctx(), (8, 8)).unwrap();
        let scale = decoder.config().scaling_factor;
        for i in 0..2 {
            let z = golden.get(&format!("latents_{i}"));
            let ours = decoder.decode(&(z / scale).unwrap()).unwrap();
            let theirs = golden.get(&format!("image_{i}"));
            let err = rel_l2(&ours, theirs);
            assert!(err < 1e-5, "{name} image_{i}: relative L2 {err:e}");
            if i == 1 {
                let rgb = to_rgb8(&ours).unwrap();
                let want = golden
                    .get("rgb8_1")
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<u8>()
                    .unwrap();
                let got: Vec<u8> = rgb.iter().flat_map(|im| im.as_raw().clone()).collect();
                assert_eq!(got.len(), want.len());
                let worst = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| a.abs_diff(*b))
                    .max()
                    .unwrap();
                assert!(worst <= 1, "{name}: 8-bit image off by {worst} levels");
            }
        }
    }
}

#[test]
fn a_folder_without_weights_or_with_another_models_weights_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, taesd, seed) = fixtures().remove(0);
    write_tiny_decoder(dir.path(), &taesd, seed).unwrap();
    // Weights of a narrower decoder under this config.
    let other = tempfile::tempdir().unwrap();
    write_tiny_decoder(
        other.path(),
        &config(&[4, 4, 4, 4], &[1, 1, 1, 1], "relu", 1.0),
        1,
    )
    .unwrap();
    std::fs::copy(
        other.path().join(WEIGHTS_FILE),
        dir.path().join(WEIGHTS_FILE),
    )
    .unwrap();
    let err = TinyDecoder::load_dir(dir.path(), &ctx(), (8, 8)).unwrap_err();
    assert!(matches!(err, TinyVaeError::Weights { .. }), "{err}");
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");

    std::fs::write(dir.path().join(CONFIG_FILE), "{\"act_fn\": \"mish\"}").unwrap();
    let err = TinyDecoder::load_dir(dir.path(), &ctx(), (8, 8)).unwrap_err();
    assert!(err.to_string().contains("act_fn"), "{err}");

    std::fs::write(dir.path().join(CONFIG_FILE), "not json").unwrap();
    let err = TinyDecoder::load_dir(dir.path(), &ctx(), (8, 8)).unwrap_err();
    assert!(matches!(err, TinyVaeError::File { .. }), "{err}");

    std::fs::write(dir.path().join(CONFIG_FILE), &taesd).unwrap();
    std::fs::remove_file(dir.path().join(WEIGHTS_FILE)).unwrap();
    let err = TinyDecoder::load_dir(dir.path(), &ctx(), (8, 8)).unwrap_err();
    assert!(matches!(err, TinyVaeError::NoWeights { .. }), "{err}");
}

/// The decoder's output size follows its upsampling: 8× for TAESD, on any latent shape.
#[test]
fn output_is_eight_times_the_latents() {
    let dir = tempfile::tempdir().unwrap();
    let (_, taesd, seed) = fixtures().remove(0);
    write_tiny_decoder(dir.path(), &taesd, seed).unwrap();
    let decoder = TinyDecoder::load_dir(dir.path(), &ctx(), (8, 8)).unwrap();
    let z = Tensor::zeros(
        (1, 4, 3, 5),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    assert_eq!(decoder.decode(&z).unwrap().dims(), &[1, 3, 24, 40]);
    assert_eq!(decoder.config().downscale(), 8);
}
