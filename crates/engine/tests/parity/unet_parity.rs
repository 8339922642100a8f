//! Our UNet against diffusers' on the tiny fixture UNets (golden files from
//! `tools/reference/unet_goldens.py`), plus the errors a user meets with a bad checkpoint.

use reportfig_testkit::load_context as ctx;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use reportfig_engine::model::config::{read_json, UNetConfig};
use reportfig_engine::pipeline::unet::{
    guidance_scale_embedding, AddedConditioning, UNet2DConditionModel, UNetError,
};
use reportfig_testkit::unet::{write_tiny_unet, write_unet, write_unet_variant};
use reportfig_testkit::TinyFamily;
use sha2::{Digest, Sha256};

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/unet")
        .join(format!("{name}.safetensors"))
}

fn load_unet(dir: &Path) -> Result<UNet2DConditionModel, UNetError> {
    let cfg: UNetConfig = read_json(&dir.join("unet/config.json"), "UNet config").unwrap();
    let weights = dir.join("unet/diffusion_pytorch_model.safetensors");
    let tensors = candle_core::safetensors::load(&weights, &Device::Cpu).unwrap();
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
    UNet2DConditionModel::load(vb, &cfg, &ctx())
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
    check(family.name(), family == TinyFamily::Sdxl, |dir| {
        write_tiny_unet(dir, family)
    });
}

/// Regenerates the tiny UNet `name` with `write`, checks it is the one the golden file was
/// made from, and compares every golden case.
fn check(name: &str, sdxl_like: bool, write: impl Fn(&Path) -> anyhow::Result<()>) {
    let golden_file = golden_path(name);
    let bytes = std::fs::read(&golden_file).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap_or_default();
    let golden = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).unwrap();

    let dir = tempfile::tempdir().unwrap();
    write(dir.path()).unwrap();
    let weights =
        std::fs::read(dir.path().join("unet/diffusion_pytorch_model.safetensors")).unwrap();
    let sha = format!("{:x}", Sha256::digest(&weights));
    assert_eq!(
        Some(&sha),
        meta.get("weights_sha256"),
        "the tiny {} UNet fixture is no longer the one the golden file was made from \
         (a fixture or network-structure change, not a numeric mismatch): regenerate with \
         `cargo run --example tiny_unet -- DIR` and `tools/reference/unet_goldens.py DIR`",
        name
    );

    let unet = load_unet(dir.path()).unwrap();
    assert_eq!(unet.needs_added_conditioning(), sdxl_like);
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
        let timestep_cond = get("timestep_cond");
        assert_eq!(
            timestep_cond.as_ref().map(|t| t.dim(1).unwrap()),
            unet.time_cond_proj_dim(),
            "{name}: the golden's timestep_cond and the UNet's time_cond_proj_dim disagree"
        );
        let out = unet
            .forward_with_timestep_cond(
                &sample,
                timestep,
                &text,
                timestep_cond.as_ref(),
                added.as_ref(),
            )
            .unwrap();
        let expected = get("output").unwrap();
        assert_eq!(out.dims(), expected.dims(), "{name} case {i}");
        let err = rel_l2(&out, &expected);
        eprintln!(
            "{name} case {i} {:?} t={timestep}: rel L2 {err:e}",
            sample.dims()
        );
        assert!(
            err < 1e-4,
            "{name} case {i} (sample {:?}, t = {timestep}): relative L2 error {err:e}",
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

/// Per-block lists, only_cross_attention, 5×5 conv_in, 1×1 conv_out, downsample padding 0,
/// centred input, sin-first embedding with freq_shift 1, mid-block scale, exact-GELU
/// activation, three levels (so 9×9 latents are resized twice on the way up).
#[test]
fn option_variant_a_matches_diffusers() {
    check("options_a", false, |dir| {
        write_unet_variant(dir, "options_a")
    });
}

/// No mid block, text_time added conditioning, only_cross_attention everywhere.
#[test]
fn option_variant_b_matches_diffusers() {
    check("options_b", true, |dir| {
        write_unet_variant(dir, "options_b")
    });
}

/// An LCM-distilled SD 1.5-style UNet: `time_cond_proj_dim`, so diffusers adds
/// `time_embedding.cond_proj(timestep_cond)` to the timestep's sinusoidal embedding.
#[test]
fn lcm_variant_matches_diffusers() {
    check("lcm", false, |dir| write_unet_variant(dir, "lcm"));
}

/// An LCM-distilled SDXL-style UNet: `text_time` conditioning and an odd-width
/// `time_cond_proj_dim`.
#[test]
fn lcm_sdxl_variant_matches_diffusers() {
    check("lcm_xl", true, |dir| write_unet_variant(dir, "lcm_xl"));
}

/// The timestep condition changes the prediction (so the golden cases above test `cond_proj`),
/// and a UNet without `time_cond_proj_dim` ignores one, as diffusers does.
#[test]
fn timestep_cond_reaches_the_network() {
    let dir = tempfile::tempdir().unwrap();
    write_unet_variant(dir.path(), "lcm").unwrap();
    let unet = load_unet(dir.path()).unwrap();
    assert_eq!(unet.time_cond_proj_dim(), Some(12));
    let sample = Tensor::randn(0f32, 1.0, (1, 4, 8, 8), &Device::Cpu).unwrap();
    let text = Tensor::randn(0f32, 1.0, (1, 5, 32), &Device::Cpu).unwrap();
    let cond = guidance_scale_embedding(7.0, 12, 1, &Device::Cpu).unwrap();
    let with = unet
        .forward_with_timestep_cond(&sample, 499.0, &text, Some(&cond), None)
        .unwrap();
    let without = unet.forward(&sample, 499.0, &text, None).unwrap();
    assert!(rel_l2(&with, &without) > 1e-3);

    let plain_dir = tempfile::tempdir().unwrap();
    write_tiny_unet(plain_dir.path(), TinyFamily::Sd15).unwrap();
    let plain = load_unet(plain_dir.path()).unwrap();
    assert_eq!(plain.time_cond_proj_dim(), None);
    let text = Tensor::randn(0f32, 1.0, (1, 5, 32), &Device::Cpu).unwrap();
    let a = plain
        .forward_with_timestep_cond(&sample, 499.0, &text, Some(&cond), None)
        .unwrap();
    let b = plain.forward(&sample, 499.0, &text, None).unwrap();
    assert_eq!(rel_l2(&a, &b), 0.0);
}

/// Our guidance-scale embedding against diffusers' `get_guidance_scale_embedding`, for the
/// guidance scales users give and the widths in use (odd ones are zero-padded).
#[test]
fn guidance_scale_embedding_matches_diffusers() {
    let golden = candle_core::safetensors::load(golden_path("lcm"), &Device::Cpu).unwrap();
    let w: Vec<f64> = golden["guidance.w"].to_vec1().unwrap();
    let mut dims = 0;
    for (key, want) in &golden {
        let Some(dim) = key.strip_prefix("guidance.dim") else {
            continue;
        };
        let dim: usize = dim.parse().unwrap();
        dims += 1;
        for (row, &w) in w.iter().enumerate() {
            let ours = guidance_scale_embedding(w, dim, 2, &Device::Cpu).unwrap();
            assert_eq!(ours.dims(), &[2, dim]);
            let want = want.narrow(0, row, 1).unwrap();
            for b in 0..2 {
                let got = ours.narrow(0, b, 1).unwrap();
                let diff: f32 = (&got - &want)
                    .unwrap()
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar()
                    .unwrap();
                // torch's vectorised float32 `exp` is not always correctly rounded (a few
                // frequencies of 128 differ by one ulp); the argument `1000 w · f` carries that
                // ulp times 1000 w into sin and cos, so large w differ by up to ~1e-5·w.
                let err = rel_l2(&got, &want);
                assert!(
                    err < 1e-5 && diff < 1e-5 * w.abs().max(1.0) as f32,
                    "dim {dim}, w = {w}: relative L2 {err:e}, max difference {diff:e}"
                );
            }
        }
    }
    assert!(dims >= 4, "the golden has {dims} widths");
    // Widths below 4 divide by zero in diffusers' formula: refused, not NaN.
    assert!(guidance_scale_embedding(7.0, 3, 1, &Device::Cpu).is_err());
}

#[test]
fn too_narrow_time_cond_proj_dim_is_refused() {
    let cfg = tiny_config_with(TinyFamily::Sd15, "time_cond_proj_dim", serde_json::json!(2));
    let backend = reportfig_testkit::recording::RecordingBackend::new(1);
    let err = UNet2DConditionModel::load(backend.var_builder(), &cfg, &ctx()).unwrap_err();
    assert!(matches!(err, UNetError::InvalidConfig { .. }), "{err}");
    assert!(err.to_string().contains("time_cond_proj_dim"), "{err}");
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
        let backend = reportfig_testkit::recording::RecordingBackend::new(1);
        let err = UNet2DConditionModel::load(backend.var_builder(), &cfg, &ctx()).unwrap_err();
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

/// Records the name and shape of every parameter a network asks for, handing out zero-cost
/// broadcast views, so full-size UNets can be built without allocating their weights.
#[derive(Clone, Default)]
pub(crate) struct ShapeRecorder(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl candle_nn::var_builder::SimpleBackend for ShapeRecorder {
    fn get(
        &self,
        s: candle_core::Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        self.0
            .lock()
            .unwrap()
            .push(format!("{name} {:?}", s.dims()));
        Tensor::zeros((), dtype, dev)?.broadcast_as(s)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("{name} asked for without a shape")
    }

    fn contains_tensor(&self, _: &str) -> bool {
        true
    }
}

/// The published full-size configs build exactly diffusers' parameters (names and shapes):
/// SD 1.5, SD 2.1, SD-Turbo and SDXL base with its [1, 2, 10] transformer layers.
#[test]
fn published_configs_have_diffusers_parameters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/golden/unet/structure.json")).unwrap(),
    )
    .unwrap();
    let expected = expected.as_object().unwrap();
    assert_eq!(expected.len(), 4);
    for (repo, want) in expected {
        let cfg: UNetConfig = read_json(
            &root
                .join("../../configs/reference")
                .join(repo)
                .join("unet/config.json"),
            "UNet config",
        )
        .unwrap();
        let recorder = ShapeRecorder::default();
        // f16, because f32 weights on the CPU are packed for our kernels at load, which would
        // materialise every broadcast view: 3.5 GB and half a minute per config.
        let vb = VarBuilder::from_backend(Box::new(recorder.clone()), DType::F16, Device::Cpu);
        let unet = UNet2DConditionModel::load(vb, &cfg, &ctx()).unwrap();
        assert_eq!(
            unet.needs_added_conditioning(),
            repo.contains("xl"),
            "{repo}"
        );
        let mut lines = recorder.0.lock().unwrap().clone();
        lines.sort();
        lines.dedup();
        let sha = format!("{:x}", Sha256::digest(lines.join("\n").as_bytes()));
        assert_eq!(
            lines.len() as u64,
            want["parameters"].as_u64().unwrap(),
            "{repo}: parameter count (compare with `unet_goldens.py --dump {repo}`)"
        );
        assert_eq!(
            sha,
            want["sha256"].as_str().unwrap(),
            "{repo}: parameter names or shapes differ (compare with `unet_goldens.py --dump {repo}`)"
        );
    }
}

#[test]
fn inconsistent_config_lists_name_the_field() {
    let cfg = tiny_config_with(
        TinyFamily::Sd21,
        "attention_head_dim",
        serde_json::json!([2, 4, 8]),
    );
    let backend = reportfig_testkit::recording::RecordingBackend::new(1);
    let err = UNet2DConditionModel::load(backend.var_builder(), &cfg, &ctx()).unwrap_err();
    assert!(matches!(err, UNetError::InvalidConfig { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("attention_head_dim") && msg.contains("3 values"),
        "{msg}"
    );

    let cfg = tiny_config_with(TinyFamily::Sd15, "attention_head_dim", serde_json::json!(5));
    let msg = UNet2DConditionModel::load(backend.var_builder(), &cfg, &ctx())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("5 attention heads"), "{msg}");
}
