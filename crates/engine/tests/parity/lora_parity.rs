//! LoRA merging against diffusers' `load_lora_weights` + `fuse_lora(lora_scale=w)` (golden
//! files from `tools/reference/lora_goldens.py`): the tiny SD 1.5 and SDXL models with the
//! same LoRA in peft, peft-with-metadata, old diffusers and kohya layouts at weights 0.5 and
//! 1.0, compared on the UNet output and the text encoders' hidden states; plus the errors a
//! user meets with a LoRA that does not fit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use reportfig_engine::model::config::{read_json, ClipTextConfig, UNetConfig};
use reportfig_engine::pipeline::lora::{
    self, Lora, LoraError, LoraFamily, LoraFile, LoraPatch, LoraTarget, ModelWeights,
};
use reportfig_engine::pipeline::text::ClipTextModel;
use reportfig_engine::pipeline::unet::{AddedConditioning, UNet2DConditionModel};
use reportfig_engine::pipeline::{lora_targets, Pipeline};
use reportfig_engine::GenerationRequest;
use reportfig_testkit::{load_context as ctx, write_tiny_model, TinyFamily};
use sha2::{Digest, Sha256};

pub(crate) fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/lora")
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

pub(crate) struct Golden {
    pub(crate) tensors: HashMap<String, Tensor>,
    pub(crate) meta: HashMap<String, String>,
}

impl Golden {
    fn input(&self, name: &str) -> &Tensor {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("golden {name}"))
    }

    /// The UNet's output on the golden's inputs (timestep 451; SDXL's added conditioning when
    /// the golden has it), as the reference computed it.
    pub(crate) fn unet_output(&self, unet: &UNet2DConditionModel) -> Tensor {
        let added = match (
            self.tensors.get("input.text_embeds"),
            self.tensors.get("input.time_ids"),
        ) {
            (Some(t), Some(ids)) => Some(AddedConditioning {
                text_embeds: t.clone(),
                time_ids: ids.clone(),
            }),
            _ => None,
        };
        unet.forward(
            self.input("input.sample"),
            451.0,
            self.input("input.encoder_hidden_states"),
            added.as_ref(),
        )
        .unwrap()
    }
}

/// A 64² two-step request of the tiny models, for the checks that make whole pictures.
pub(crate) fn city_hall_request() -> GenerationRequest {
    GenerationRequest {
        caption: "a city".into(),
        caption_en: None,
        translated_by: None,
        styles: Vec::new(),
        prompt: "a city hall".into(),
        negative_prompt: None,
        width: 64,
        height: 64,
        steps: 2,
        guidance: 7.5,
        seed: 7,
        sampler: None,
        model: "tiny".into(),
        model_revision: None,
        crop_to_ratio: None,
        draft_decoder: None,
        init_image: None,
        loras: Vec::new(),
    }
}

pub(crate) fn golden(family: &str) -> Golden {
    let bytes = std::fs::read(golden_dir().join(format!("{family}.safetensors"))).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap_or_default();
    let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).unwrap();
    Golden { tensors, meta }
}

pub(crate) fn json_map(text: &str) -> HashMap<String, String> {
    serde_json::from_str(text).unwrap()
}

pub(crate) fn rel_l2(ours: &Tensor, reference: &Tensor) -> f64 {
    let d: f32 = (ours - reference)
        .unwrap()
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    let n: f32 = reference
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    (d as f64 / n as f64).sqrt()
}

/// A tiny model written into a temporary folder, checked to be the one the golden file was
/// made from.
pub(crate) struct Tiny {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) family: TinyFamily,
}

impl Tiny {
    pub(crate) fn new(family: TinyFamily, g: &Golden) -> Self {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_model(dir.path(), family).unwrap();
        let expected = json_map(&g.meta["fixture_sha256"]);
        for (rel, sha) in &expected {
            assert_eq!(
                &sha256(&dir.path().join(rel)),
                sha,
                "the tiny {} fixture's {rel} is no longer the one the LoRA golden file was made \
                 from (a fixture change, not a numeric mismatch): rerun \
                 tools/reference/lora_goldens.py",
                family.name()
            );
        }
        Self { dir, family }
    }

    fn weights(&self, folder: &str) -> PathBuf {
        let file = if folder == "unet" {
            "diffusion_pytorch_model.safetensors"
        } else {
            "model.safetensors"
        };
        self.dir.path().join(folder).join(file)
    }

    pub(crate) fn network(&self, folder: &str) -> HashMap<String, Tensor> {
        candle_core::safetensors::load(self.weights(folder), &Device::Cpu).unwrap()
    }

    /// What the pipeline matches LoRAs against (the same function `Pipeline::load_with_loras`
    /// uses, LDM aliases included).
    pub(crate) fn model_weights(&self) -> ModelWeights {
        lora_targets(&reportfig_testkit::tiny_model_files(
            self.dir.path(),
            self.family,
        ))
        .unwrap()
    }

    /// The network's weights with `patch` merged as `MappedWeights::read` merges them.
    fn var_builder(&self, folder: &str, patch: &LoraPatch) -> VarBuilder<'static> {
        let merged: HashMap<String, Tensor> = self
            .network(folder)
            .into_iter()
            .map(|(k, v)| {
                let v = patch.apply(&k, v, DType::F32).unwrap();
                (k, v)
            })
            .collect();
        VarBuilder::from_tensors(merged, DType::F32, &Device::Cpu)
    }
}

pub(crate) fn open(family: &str, format: &str, weight: f64) -> Lora {
    Lora::open(&LoraFile {
        path: golden_dir()
            .join(family)
            .join(format!("{format}.safetensors")),
        weight,
    })
    .unwrap_or_else(|e| panic!("{family} {format}: {e}"))
}

fn check_family(family: TinyFamily) {
    let g = golden(family.name());
    let tiny = Tiny::new(family, &g);
    let shas = json_map(&g.meta["lora_sha256"]);
    let formats: Vec<String> = serde_json::from_str(&g.meta["formats"]).unwrap();
    let weights: Vec<f64> = serde_json::from_str(&g.meta["weights"]).unwrap();
    assert!(formats.contains(&"kohya".to_string()) && formats.contains(&"peft".to_string()));
    if family == TinyFamily::Sdxl {
        assert!(formats.contains(&"kohya_ldm".to_string()), "{formats:?}");
    }
    let get = |k: &str| {
        g.tensors
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("golden {k}"))
    };
    let model = tiny.model_weights();
    let mut worst: f64 = 0.0;
    for format in &formats {
        for &w in &weights {
            let l = open(family.name(), format, w);
            assert_eq!(&l.sha256, &shas[format], "{format}: the LoRA file changed");
            let mut patches = lora::plan(&[l], &model).unwrap();
            let label = format!("{} {format} w={w}", family.name());
            // Python's `str(float)`: the key the script wrote.
            let key = |name: &str| format!("{format}.{w:?}.{name}");

            let cfg: UNetConfig =
                read_json(&tiny.dir.path().join("unet/config.json"), "UNet config").unwrap();
            let unet_patch = patches.take(LoraTarget::Unet);
            assert!(!unet_patch.is_empty(), "{label}: nothing for the UNet");
            let unet =
                UNet2DConditionModel::load(tiny.var_builder("unet", &unet_patch), &cfg, &ctx())
                    .unwrap();
            let out = g.unet_output(&unet);
            let mut compare = |name: &str, ours: &Tensor| {
                let expected = get(&key(name));
                let err = rel_l2(ours, &expected);
                let moved = rel_l2(&get(&format!("base.{name}")), &expected);
                eprintln!("{label} {name}: rel L2 {err:e} (the LoRA moved it by {moved:e})");
                assert!(err < 1e-5, "{label} {name}: relative L2 error {err:e}");
                // The merge is not a no-op the tolerance would hide.
                assert!(
                    moved > 100.0 * err.max(1e-7),
                    "{label} {name}: LoRA effect {moved:e}"
                );
                worst = worst.max(err);
            };
            compare("unet", &out);

            let mut encoders = vec![("text_encoder", LoraTarget::TextEncoder)];
            if family == TinyFamily::Sdxl {
                encoders.push(("text_encoder_2", LoraTarget::TextEncoder2));
            }
            for (folder, target) in encoders {
                let cfg: ClipTextConfig = read_json(
                    &tiny.dir.path().join(folder).join("config.json"),
                    "text encoder config",
                )
                .unwrap();
                let patch = patches.take(target);
                assert!(!patch.is_empty(), "{label}: nothing for {folder}");
                let te =
                    ClipTextModel::load(tiny.var_builder(folder, &patch), &cfg, &ctx()).unwrap();
                let ids = get("input.input_ids");
                let o = te.forward(&ids).unwrap();
                compare(&format!("{folder}.last_hidden_state"), &o.last_hidden_state);
                compare(&format!("{folder}.penultimate"), &o.penultimate);
                if folder == "text_encoder_2" {
                    compare(&format!("{folder}.text_embeds"), &o.pooled);
                }
            }
        }
    }
    eprintln!("{}: worst relative L2 {worst:e}", family.name());
}

#[test]
fn sd15_loras_match_diffusers_fuse_lora() {
    check_family(TinyFamily::Sd15);
}

#[test]
fn sdxl_loras_match_diffusers_fuse_lora() {
    check_family(TinyFamily::Sdxl);
}

/// A LoRA file with exactly `tensors` (f32), in a temporary folder.
fn lora_file(dir: &Path, name: &str, tensors: &[(&str, Vec<usize>)]) -> PathBuf {
    let path = dir.join(name);
    let map: HashMap<String, Tensor> = tensors
        .iter()
        .map(|(k, shape)| {
            let n: usize = shape.iter().product();
            let v: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 0.1).collect();
            (
                k.to_string(),
                Tensor::from_vec(v, shape.as_slice(), &Device::Cpu).unwrap(),
            )
        })
        .collect();
    candle_core::safetensors::save(&map, &path).unwrap();
    path
}

fn plan_error(tiny: &Tiny, path: &Path) -> LoraError {
    let l = Lora::open(&LoraFile {
        path: path.to_path_buf(),
        weight: 1.0,
    })
    .unwrap();
    lora::plan(&[l], &tiny.model_weights()).unwrap_err()
}

/// SDXL LoRAs (every format) on an SD 1.5 model and an SD 1.5 LoRA on an SDXL one are refused
/// as LoRAs for another family, both named; `error_for(model family, LoRA file)` is how the
/// caller's load path answers.
pub(crate) fn other_family_loras_are_refused(error_for: impl Fn(TinyFamily, &Path) -> LoraError) {
    for format in ["kohya", "kohya_ldm", "peft"] {
        let path = golden_dir()
            .join("sdxl")
            .join(format!("{format}.safetensors"));
        let err = error_for(TinyFamily::Sd15, &path);
        assert!(
            matches!(
                err,
                LoraError::WrongFamily {
                    lora: LoraFamily::Sdxl,
                    model: LoraFamily::Sd1Or2,
                    ..
                }
            ),
            "{format}: {err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("for SDXL") && text.contains("SD 1.x/2.x"),
            "{text}"
        );
    }
    // And the other way round: SD 1.5 LoRAs on SDXL.
    let err = error_for(
        TinyFamily::Sdxl,
        &golden_dir().join("sd15/kohya.safetensors"),
    );
    assert!(
        matches!(
            err,
            LoraError::WrongFamily {
                lora: LoraFamily::Sd1Or2,
                model: LoraFamily::Sdxl,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn an_sdxl_lora_on_sd15_names_both_families() {
    other_family_loras_are_refused(|family, path| {
        plan_error(&Tiny::new(family, &golden(family.name())), path)
    });
}

#[test]
fn unmatched_unknown_and_misshapen_keys_are_named() {
    let tiny = Tiny::new(TinyFamily::Sd15, &golden("sd15"));
    let dir = tempfile::tempdir().unwrap();
    // A module the UNet does not have (there is no up block 7).
    let path = lora_file(
        dir.path(),
        "unmatched.safetensors",
        &[
            (
                "lora_unet_up_blocks_7_resnets_0_conv1.lora_down.weight",
                vec![2, 64, 3, 3],
            ),
            (
                "lora_unet_up_blocks_7_resnets_0_conv1.lora_up.weight",
                vec![32, 2, 1, 1],
            ),
        ],
    );
    let err = plan_error(&tiny, &path);
    match &err {
        LoraError::Unmatched {
            target: LoraTarget::Unet,
            keys,
            count: 1,
            ..
        } => assert_eq!(keys, &["lora_unet_up_blocks_7_resnets_0_conv1"]),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("unmatched.safetensors"), "{err}");

    // A real module with the wrong size (SD 1.5's proj_in is 32 wide here, not 64).
    let path = lora_file(
        dir.path(),
        "shape.safetensors",
        &[
            (
                "unet.mid_block.attentions.0.proj_in.lora_A.weight",
                vec![2, 48, 1, 1],
            ),
            (
                "unet.mid_block.attentions.0.proj_in.lora_B.weight",
                vec![64, 2, 1, 1],
            ),
        ],
    );
    let err = plan_error(&tiny, &path);
    assert!(
        matches!(&err, LoraError::Shape { key, model, .. }
            if key == "unet.mid_block.attentions.0.proj_in" && model == &[64, 64, 1, 1]),
        "{err}"
    );

    // LoHa keys are not LoRA keys: refused by name, not skipped.
    let path = lora_file(
        dir.path(),
        "loha.safetensors",
        &[(
            "lora_unet_mid_block_attentions_0_proj_in.hada_w1_a",
            vec![2, 4],
        )],
    );
    let err = Lora::open(&LoraFile { path, weight: 1.0 }).unwrap_err();
    assert!(
        matches!(&err, LoraError::UnknownKeys { keys, count: 1, .. }
            if keys == &["lora_unet_mid_block_attentions_0_proj_in.hada_w1_a"]),
        "{err}"
    );

    // Half a pair.
    let path = lora_file(
        dir.path(),
        "half.safetensors",
        &[(
            "lora_unet_mid_block_attentions_0_proj_in.lora_down.weight",
            vec![2, 64, 1, 1],
        )],
    );
    let err = Lora::open(&LoraFile { path, weight: 1.0 }).unwrap_err();
    assert!(matches!(err, LoraError::Incomplete { .. }), "{err}");
}

/// The merge through the pipeline's own read path (memory-mapped weights): a kohya LoRA at
/// weight 1 changes the image, at weight 0 it does not.
#[test]
fn pipeline_load_merges_loras_through_the_mapped_weights() {
    let g = golden("sd15");
    let tiny = Tiny::new(TinyFamily::Sd15, &g);
    let files = reportfig_testkit::tiny_model_files(tiny.dir.path(), TinyFamily::Sd15);
    let req = city_hall_request();
    let opts = reportfig_testkit::load_options();
    let image = |loras: &[Lora]| {
        let mut p = Pipeline::load_with_loras(&files, loras, &opts).unwrap();
        p.generate(&req, &mut |_| {}).unwrap().image.into_raw()
    };
    let base = image(&[]);
    assert_eq!(image(&[open("sd15", "kohya", 0.0)]), base);
    assert_ne!(image(&[open("sd15", "kohya", 1.0)]), base);
}
