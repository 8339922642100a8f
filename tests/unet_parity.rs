//! Our UNet against diffusers' on the tiny fixture UNets (golden files from
//! `tools/reference/unet_goldens.py`), plus the errors a user meets with a bad checkpoint.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use reportfig::fixtures::unet::{write_tiny_unet, write_unet};
use reportfig::fixtures::TinyFamily;
use reportfig::model::config::{read_json, UNetConfig};
use reportfig::pipeline::unet::{AddedConditioning, UNet2DConditionModel, UNetError};
use sha2::{Digest, Sha256};

fn golden_path(family: TinyFamily) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/unet")
        .join(format!("{}.safetensors", family.name()))
}

fn load_unet(dir: &Path) -> Result<UNet2DConditionModel, UNetError> {
    let cfg: UNetConfig = read_json(&dir.join("unet/config.json"), "UNet config").unwrap();
    let weights = dir.join("unet/diffusion_pytorch_model.safetensors");
    let tensors = candle_core::safetensors::load(&weights, &Device::Cpu).unwrap();
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
    UNet2DConditionModel::load(vb, &cfg)
}

fn rel_l2(ours: &Tensor, reference: &Tensor) -> f64 {
    let diff = (ours - reference)
        .unwrap()
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap();
    let norm = reference.sqr().unwrap().sum_all().unwrap();
    let d: f32 = diff.to_scalar().unwrap();
    let n: f32 = norm.to_scalar().unwrap();
    (d as f64 / n as f64).sqrt()
}

fn check_family(family: TinyFamily) {
    let golden_file = golden_path(family);
    let bytes = std::fs::read(&golden_file).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap_or_default();
    let golden = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).unwrap();

    let dir = tempfile::tempdir().unwrap();
    write_tiny_unet(dir.path(), family).unwrap();
    let weights =
        std::fs::read(dir.path().join("unet/diffusion_pytorch_model.safetensors")).unwrap();
    let sha = format!("{:x}", Sha256::digest(&weights));
    assert_eq!(
        Some(&sha),
        meta.get("weights_sha256"),
        "the tiny {} UNet fixture is no longer the one the golden file was made from \
         (a fixture or network-structure change, not a numeric mismatch): regenerate with \
         `cargo run --example tiny_unet -- DIR` and `tools/reference/unet_goldens.py DIR`",
        family.name()
    );

    let unet = load_unet(dir.path()).unwrap();
    assert_eq!(unet.needs_added_conditioning(), family == TinyFamily::Sdxl);
    let cases: usize = meta["cases"].parse().unwrap();
    assert!(cases >= 3);
    for i in 0..cases {
        let get = |name: &str| golden.get(&format!("case{i}.{name}")).cloned();
        let sample = get("sample").unwrap();
        let text = get("encoder_hidden_states").unwrap();
        let timestep: f64 = get("timestep").unwrap().to_vec1::<f64>().unwrap()[0];
        let added = match (get("text_embeds"), get("time_ids")) {
            (Some(text_embeds), Some(time_ids)) => Some(AddedConditioning {
                text_embeds,
                time_ids,
            }),
            _ => None,
        };
        let out = unet
            .forward(&sample, timestep, &text, added.as_ref())
            .unwrap();
        let expected = get("output").unwrap();
        assert_eq!(out.dims(), expected.dims(), "{} case {i}", family.name());
        let err = rel_l2(&out, &expected);
        eprintln!(
            "{} case {i} {:?} t={timestep}: rel L2 {err:e}",
            family.name(),
            sample.dims()
        );
        assert!(
            err < 1e-4,
            "{} case {i} (sample {:?}, t = {timestep}): relative L2 error {err:e}",
            family.name(),
            sample.dims()
        );
    }
}

#[test]
fn sd15_matches_diffusers() {
    check_family(TinyFamily::Sd15);
}

#[test]
fn sd21_matches_diffusers() {
    check_family(TinyFamily::Sd21);
}

#[test]
fn turbo_matches_diffusers() {
    check_family(TinyFamily::Turbo);
}

#[test]
fn sdxl_matches_diffusers() {
    check_family(TinyFamily::Sdxl);
}

fn tiny_config_with(family: TinyFamily, field: &str, value: serde_json::Value) -> UNetConfig {
    let mut json: serde_json::Value =
        serde_json::from_str(family.config_json("unet").unwrap()).unwrap();
    json[field] = value;
    serde_json::from_value(json).unwrap()
}

#[test]
fn unsupported_config_fields_are_refused_by_name() {
    for (field, value, shown) in [
        (
            "class_embed_type",
            serde_json::json!("timestep"),
            "timestep",
        ),
        ("time_cond_proj_dim", serde_json::json!(256), "256"),
        ("encoder_hid_dim", serde_json::json!(1024), "1024"),
        ("dual_cross_attention", serde_json::json!(true), "true"),
        (
            "time_embedding_type",
            serde_json::json!("fourier"),
            "fourier",
        ),
        ("attention_type", serde_json::json!("gated"), "gated"),
        ("addition_embed_type", serde_json::json!("image"), "image"),
        (
            "down_block_types",
            serde_json::json!(["SimpleCrossAttnDownBlock2D", "DownBlock2D"]),
            "SimpleCrossAttnDownBlock2D",
        ),
    ] {
        let cfg = tiny_config_with(TinyFamily::Sd15, field, value);
        let backend = reportfig::fixtures::recording::RecordingBackend::new(1);
        let err = UNet2DConditionModel::load(backend.var_builder(), &cfg).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, UNetError::Unsupported { .. }), "{msg}");
        assert!(msg.contains(field), "{msg}");
        assert!(msg.contains(shown), "{msg}");
        assert!(msg.contains("not supported yet"), "{msg}");
        eprintln!("{msg}");
    }
}

#[test]
fn wrong_weight_shape_names_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_unet(dir.path(), TinyFamily::Sd15).unwrap();
    let path = dir.path().join("unet/diffusion_pytorch_model.safetensors");
    let mut tensors: HashMap<String, Tensor> =
        candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    let name = "down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k.weight";
    let original = tensors[name].clone();
    let (rows, cols) = original.dims2().unwrap();
    tensors.insert(
        name.to_string(),
        Tensor::zeros((rows, cols + 1), DType::F32, &Device::Cpu).unwrap(),
    );
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let err = load_unet(dir.path()).unwrap_err();
    assert!(matches!(err, UNetError::Weights { .. }));
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(msg.contains(name), "{msg}");

    tensors.remove(name);
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let msg = load_unet(dir.path()).unwrap_err().to_string();
    assert!(msg.contains(name), "{msg}");
}

#[test]
fn sdxl_without_added_conditioning_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    write_unet(dir.path(), TinyFamily::Sdxl.config_json("unet").unwrap(), 3).unwrap();
    let unet = load_unet(dir.path()).unwrap();
    let sample = Tensor::zeros((1, 4, 8, 8), DType::F32, &Device::Cpu).unwrap();
    let text = Tensor::zeros((1, 3, 64), DType::F32, &Device::Cpu).unwrap();
    let msg = unet
        .forward(&sample, 10.0, &text, None)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("AddedConditioning"), "{msg}");
}
