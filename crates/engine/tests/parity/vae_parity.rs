//! The VAE against diffusers 0.42 on the tiny fixtures (goldens from
//! `tools/reference/vae_goldens.py`), plus the loading errors a user can meet.

use reportfig_testkit::load_context as ctx;
use std::path::PathBuf;

use crate::golden::{rel_l2, sha256, Golden};
use candle_core::{DType, Device, Tensor};
use reportfig_engine::pipeline::vae::{to_rgb8, AutoencoderKL, WEIGHTS_FILE};
use reportfig_testkit::vae::{
    variant_vae_config, write_tiny_vae, write_tiny_vae_legacy, write_vae_with_config, VARIANT_SEED,
};
use reportfig_testkit::TinyFamily;

fn golden(family: TinyFamily) -> Golden {
    golden_named(family.name())
}

fn golden_named(name: &str) -> Golden {
    Golden::read("vae", name)
}

/// Writes the family's tiny VAE into a fresh temporary folder; returns (guard, vae dir).
fn tiny(family: TinyFamily) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    write_tiny_vae(tmp.path(), family).unwrap();
    let dir = tmp.path().join("vae");
    (tmp, dir)
}

fn rgb8_tensor(images: &[image::RgbImage]) -> Vec<u8> {
    images
        .iter()
        .flat_map(|i| i.as_raw().iter().copied())
        .collect()
}

fn assert_rgb8_close(ours: &[image::RgbImage], theirs: &Tensor, what: &str) {
    let theirs = theirs.flatten_all().unwrap().to_vec1::<u8>().unwrap();
    let ours = rgb8_tensor(ours);
    assert_eq!(ours.len(), theirs.len(), "{what}: size");
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0);
    assert!(worst <= 1, "{what}: 8-bit images differ by {worst} levels");
}

#[test]
fn decode_encode_and_postprocess_match_diffusers() {
    for family in TinyFamily::ALL {
        let name = family.name();
        let g = golden(family);
        let (_tmp, dir) = tiny(family);
        assert_eq!(
            sha256(&dir.join(WEIGHTS_FILE)),
            g.weights_sha256,
            "{name}: the tiny VAE fixture's weights changed since the goldens were made; \
             if that was intended, rerun tools/reference/vae_goldens.py"
        );
        let vae = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx()).unwrap();
        check_decode(&vae, &g, name, 3);
        let image_1 = vae.decode(g.get("latents_1")).unwrap();
        assert_rgb8_close(&to_rgb8(&image_1).unwrap(), g.get("rgb8_1"), name);

        // Postprocessing alone must be exact, not merely within a level.
        let pp = to_rgb8(g.get("pp_input")).unwrap();
        let theirs = g
            .get("pp_rgb8")
            .flatten_all()
            .unwrap()
            .to_vec1::<u8>()
            .unwrap();
        assert_eq!(rgb8_tensor(&pp), theirs, "{name}: postprocess");

        let mean = vae.encode_mean(g.get("encode_input")).unwrap();
        let err = rel_l2(&mean, g.get("encode_mean"));
        assert!(err < 1e-4, "{name}: encode mean: rel L2 {err:e}");
    }
}

fn check_decode(vae: &AutoencoderKL, g: &Golden, name: &str, count: usize) {
    for i in 0..count {
        let image = vae.decode(g.get(&format!("latents_{i}"))).unwrap();
        let err = rel_l2(&image, g.get(&format!("image_{i}")));
        eprintln!("{name}: decode {i}: rel L2 {err:e}");
        assert!(err < 1e-4, "{name}: decode {i}: rel L2 {err:e}");
    }
}

/// No attention, no quant convolutions, GELU, two layers per block, downscale 4.
#[test]
fn variant_architecture_matches_diffusers() {
    let g = golden_named("variant");
    let tmp = tempfile::tempdir().unwrap();
    write_vae_with_config(tmp.path(), &variant_vae_config(), VARIANT_SEED).unwrap();
    let dir = tmp.path().join("vae");
    assert_eq!(
        sha256(&dir.join(WEIGHTS_FILE)),
        g.weights_sha256,
        "the variant VAE fixture changed since the goldens were made; if that was intended, \
         rerun tools/reference/vae_goldens.py"
    );
    let vae = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx()).unwrap();
    assert_eq!(vae.config().downscale(), 4);
    check_decode(&vae, &g, "variant", 2);
    let mean = vae.encode_mean(g.get("encode_input")).unwrap();
    let err = rel_l2(&mean, g.get("encode_mean"));
    assert!(err < 1e-4, "variant: encode mean: rel L2 {err:e}");
}

#[test]
fn legacy_attention_names_load_and_decode_the_same() {
    let family = TinyFamily::Sd15;
    let g = golden(family);
    let (_tmp, dir) = tiny(family);
    let legacy_tmp = tempfile::tempdir().unwrap();
    write_tiny_vae_legacy(legacy_tmp.path(), family).unwrap();
    let legacy_dir = legacy_tmp.path().join("vae");
    let names = candle_core::safetensors::load(legacy_dir.join(WEIGHTS_FILE), &Device::Cpu)
        .unwrap()
        .into_keys()
        .collect::<Vec<_>>();
    assert!(names
        .iter()
        .any(|n| n == "decoder.mid_block.attentions.0.proj_attn.weight"));
    assert!(!names.iter().any(|n| n.contains(".to_q.")));

    let new = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx()).unwrap();
    let old = AutoencoderKL::load_dir(&legacy_dir, DType::F32, &Device::Cpu, &ctx()).unwrap();
    let z = g.get("latents_0");
    let a = new.decode(z).unwrap();
    let b = old.decode(z).unwrap();
    let diff = (a - b).unwrap().abs().unwrap().max_all().unwrap();
    assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
}

#[test]
fn a_truncated_weights_file_is_named() {
    let (_tmp, dir) = tiny(TinyFamily::Sd15);
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx())
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("download"), "{err}");

    std::fs::write(&path, b"not a safetensors file").unwrap();
    let err = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx())
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn a_wrong_shaped_tensor_is_named() {
    let (_tmp, dir) = tiny(TinyFamily::Sd15);
    let path = dir.join(WEIGHTS_FILE);
    let mut tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    let name = "decoder.up_blocks.1.resnets.1.conv1.weight";
    let t = tensors.remove(name).unwrap();
    let (o, i, kh, kw) = t.dims4().unwrap();
    tensors.insert(
        name.into(),
        Tensor::zeros((o, i + 1, kh, kw), DType::F32, &Device::Cpu).unwrap(),
    );
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let err = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx())
        .unwrap_err()
        .to_string();
    assert!(err.contains(name), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn a_missing_tensor_is_named() {
    let (_tmp, dir) = tiny(TinyFamily::Sd15);
    let path = dir.join(WEIGHTS_FILE);
    let mut tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    tensors.remove("encoder.mid_block.attentions.0.to_k.bias");
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let err = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx())
        .unwrap_err()
        .to_string();
    assert!(err.contains("encoder.mid_block.attentions.0.to_k"), "{err}");
}

#[test]
fn an_unsupported_config_names_the_field() {
    let (_tmp, dir) = tiny(TinyFamily::Sd15);
    let cfg_path = dir.join("config.json");
    let text = std::fs::read_to_string(&cfg_path).unwrap();
    for (from, to, field) in [
        ("\"silu\"", "\"mish\"", "act_fn"),
        (
            "\"UpDecoderBlock2D\",\n    \"UpDecoderBlock2D\"\n",
            "\"AttnUpDecoderBlock2D\",\n    \"UpDecoderBlock2D\"\n",
            "up_block_types",
        ),
        (
            "\"norm_num_groups\": 8",
            "\"norm_num_groups\": 12",
            "norm_num_groups",
        ),
    ] {
        assert!(text.contains(from), "fixture config changed: no {from}");
        std::fs::write(&cfg_path, text.replacen(from, to, 1)).unwrap();
        let err = AutoencoderKL::load_dir(&dir, DType::F32, &Device::Cpu, &ctx())
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{err}");
        assert!(err.contains("config.json"), "{err}");
    }
}
