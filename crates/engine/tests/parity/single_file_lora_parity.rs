//! LoRAs merged into single-file checkpoints. The tiny SD 1.5 and SDXL models are rewritten as
//! original-layout checkpoints (as in `single_file_parity`) and given the LoRA files of
//! `lora_parity` (kohya, kohya with LDM names, peft, old diffusers; weights 0.5 and 1.0). The
//! LoRA is matched against the checkpoint's header under diffusers' names and merged as its
//! tensors are read; then:
//! - the UNet output and text-encoder states equal what diffusers' `load_lora_weights` +
//!   `fuse_lora` gave on the folder (the LoRA goldens), within the same 1e-5;
//! - every merged weight equals the folder's merged weight bit for bit;
//! - a whole picture is the folder's picture with the same LoRA, bit for bit;
//! - a LoRA of the other family is refused naming both families.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarBuilder;
use reportfig_engine::model::config::{read_json, ClipTextConfig, UNetConfig};
use reportfig_engine::model::files::{Component, ModelFiles, WeightLayout};
use reportfig_engine::model::single_file::KeyMap;
use reportfig_engine::pipeline::lora::{self, Lora, LoraError, LoraPatch, LoraPatches, LoraTarget};
use reportfig_engine::pipeline::text::ClipTextModel;
use reportfig_engine::pipeline::unet::UNet2DConditionModel;
use reportfig_engine::pipeline::weights::MappedWeights;
use reportfig_engine::pipeline::{lora_targets, Pipeline, PipelineError};
use reportfig_testkit::single_file::write_single_file;
use reportfig_testkit::{load_context as ctx, tiny_model_files, TinyFamily};

use super::lora_parity::{self as lp, Tiny};
use super::single_file_parity as sf;

/// The tiny model's checkpoint, written beside its folder, and the files that read every
/// network from it with the folder's configs.
fn checkpoint(tiny: &Tiny) -> (PathBuf, ModelFiles) {
    let family = tiny.family;
    let ckpt = tiny.dir.path().join("checkpoint.safetensors");
    let conv = sf::golden(family).vae_attention == "conv";
    write_single_file(tiny.dir.path(), family, &ckpt, conv).expect("checkpoint");
    let files = sf::checkpoint_files(tiny.dir.path(), family, &ckpt);
    (ckpt, files)
}

/// One network of the checkpoint as the pipeline reads it: renamed, with `patch` merged.
fn checkpoint_weights(c: &Component, patch: LoraPatch, unet: &UNetConfig) -> MappedWeights {
    let WeightLayout::Checkpoint(part) = &c.layout else {
        panic!("{} is not a checkpoint part", c.config.display())
    };
    let map = KeyMap::for_part(part, Some(unet), None).unwrap();
    // SAFETY: the test's own file, not modified while mapped.
    #[allow(unsafe_code)]
    let weights = unsafe { MappedWeights::open(&c.weights) }.unwrap();
    weights.with_lora(patch).renamed(map)
}

fn vb(w: MappedWeights) -> VarBuilder<'static> {
    VarBuilder::from_backend(Box::new(w), DType::F32, Device::Cpu)
}

fn targets(family: TinyFamily) -> Vec<(&'static str, LoraTarget)> {
    let mut t = vec![
        ("unet", LoraTarget::Unet),
        ("text_encoder", LoraTarget::TextEncoder),
    ];
    if family == TinyFamily::Sdxl {
        t.push(("text_encoder_2", LoraTarget::TextEncoder2));
    }
    t
}

fn component(files: &ModelFiles, target: LoraTarget) -> &Component {
    match target {
        LoraTarget::Unet => &files.unet,
        LoraTarget::TextEncoder => &files.text_encoder,
        LoraTarget::TextEncoder2 => files.text_encoder_2.as_ref().unwrap(),
    }
}

/// Every weight of every network the LoRA changes, merged from the checkpoint, equals the
/// folder's merged weight exactly; returns how many the LoRA changed.
fn same_merged_weights(
    tiny: &Tiny,
    files: &ModelFiles,
    folder: &LoraPatches,
    ckpt: &LoraPatches,
    label: &str,
) -> usize {
    let unet: UNetConfig =
        read_json(&tiny.dir.path().join("unet/config.json"), "UNet config").unwrap();
    let mut changed = 0;
    for (name, target) in targets(tiny.family) {
        let (fp, cp) = (folder.get(target), ckpt.get(target));
        assert_eq!(
            fp.len(),
            cp.len(),
            "{label}: the LoRA changes another number of {name} weights in the checkpoint"
        );
        let w = checkpoint_weights(component(files, target), cp.clone(), &unet);
        for (key, base) in tiny.network(name) {
            if key.ends_with("position_ids") {
                continue;
            }
            // The checkpoint's CLIP is read under `text_model.` (transformers 4's names),
            // whatever the folder's file uses.
            let asked = if name != "unet"
                && !key.starts_with("text_model.")
                && key != "text_projection.weight"
            {
                format!("text_model.{key}")
            } else {
                key.clone()
            };
            let want = fp.apply(&key, base.clone(), DType::F32).unwrap();
            let got = w
                .get_unchecked(&asked, DType::F32, &Device::Cpu)
                .unwrap_or_else(|e| panic!("{label}: {asked}: {e}"));
            let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(got.dims(), want.dims(), "{label}: {asked}");
            assert!(flat(&got) == flat(&want), "{label}: {asked} differs");
            if flat(&want) != flat(&base) {
                changed += 1;
            }
        }
    }
    changed
}

fn check_family(family: TinyFamily) {
    let g = lp::golden(family.name());
    let tiny = Tiny::new(family, &g);
    let (_, files) = checkpoint(&tiny);
    let get = |k: &str| {
        g.tensors
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("golden {k}"))
    };
    let formats: Vec<String> = serde_json::from_str(&g.meta["formats"]).unwrap();
    let weights: Vec<f64> = serde_json::from_str(&g.meta["weights"]).unwrap();
    let folder_model = tiny.model_weights();
    let ckpt_model = lora_targets(&files).unwrap();
    let unet_cfg: UNetConfig =
        read_json(&tiny.dir.path().join("unet/config.json"), "UNet config").unwrap();
    let mut worst: f64 = 0.0;
    for format in &formats {
        for &w in &weights {
            let label = format!("{} checkpoint + {format} w={w}", family.name());
            let l = lp::open(family.name(), format, w);
            let folder = lora::plan(std::slice::from_ref(&l), &folder_model).unwrap();
            let ckpt = lora::plan(&[l], &ckpt_model)
                .unwrap_or_else(|e| panic!("{label}: not matched on the checkpoint: {e}"));
            let changed = same_merged_weights(&tiny, &files, &folder, &ckpt, &label);
            assert!(changed > 0, "{label}: the LoRA changed nothing");

            // Python's `str(float)`: the key the LoRA golden script wrote.
            let key = |name: &str| format!("{format}.{w:?}.{name}");
            let mut compare = |name: &str, ours: &Tensor| {
                let err = lp::rel_l2(ours, &get(&key(name)));
                assert!(err < 1e-5, "{label} {name}: relative L2 error {err:e}");
                worst = worst.max(err);
            };
            let unet_w =
                checkpoint_weights(&files.unet, ckpt.get(LoraTarget::Unet).clone(), &unet_cfg);
            let unet = UNet2DConditionModel::load(vb(unet_w), &unet_cfg, &ctx()).unwrap();
            let out = g.unet_output(&unet);
            compare("unet", &out);
            for (folder_name, target) in targets(family).into_iter().skip(1) {
                let cfg: ClipTextConfig = read_json(
                    &tiny.dir.path().join(folder_name).join("config.json"),
                    "text encoder config",
                )
                .unwrap();
                let w = checkpoint_weights(
                    component(&files, target),
                    ckpt.get(target).clone(),
                    &unet_cfg,
                );
                let te = ClipTextModel::load(vb(w), &cfg, &ctx()).unwrap();
                let o = te.forward(&get("input.input_ids")).unwrap();
                compare(
                    &format!("{folder_name}.last_hidden_state"),
                    &o.last_hidden_state,
                );
                compare(&format!("{folder_name}.penultimate"), &o.penultimate);
                if folder_name == "text_encoder_2" {
                    compare(&format!("{folder_name}.text_embeds"), &o.pooled);
                }
            }
            eprintln!("{label}: {changed} weights changed, each equal to the folder's");
        }
    }
    eprintln!(
        "{}: checkpoint + LoRA within {worst:e} of diffusers' fuse_lora",
        family.name()
    );
}

#[test]
fn sd15_checkpoint_loras_merge_as_on_the_folder_and_match_diffusers() {
    check_family(TinyFamily::Sd15);
}

#[test]
fn sdxl_checkpoint_loras_merge_as_on_the_folder_and_match_diffusers() {
    check_family(TinyFamily::Sdxl);
}

fn picture(files: &ModelFiles, loras: &[Lora]) -> Vec<u8> {
    let opts = reportfig_testkit::load_options();
    let mut p = Pipeline::load_with_loras(files, loras, &opts).unwrap();
    p.generate(&lp::city_hall_request(), &mut |_| {})
        .unwrap()
        .image
        .into_raw()
}

/// Through `Pipeline::load_with_loras`, as `generate --model FILE --lora X` loads: the
/// checkpoint with a kohya LoRA makes the folder's picture with that LoRA, which is not the
/// picture without it.
#[test]
fn checkpoint_pictures_with_a_lora_equal_the_folders() {
    for family in [TinyFamily::Sd15, TinyFamily::Sdxl] {
        let tiny = Tiny::new(family, &lp::golden(family.name()));
        let (_, files) = checkpoint(&tiny);
        let lora = [lp::open(family.name(), "kohya", 1.0)];
        let with = picture(&files, &lora);
        assert!(
            with == picture(&tiny_model_files(tiny.dir.path(), family), &lora),
            "{}: the checkpoint's picture with the LoRA differs from the folder's",
            family.name()
        );
        assert!(
            with != picture(&files, &[]),
            "{}: the LoRA did not change the checkpoint's picture",
            family.name()
        );
    }
}

fn load_error(files: &ModelFiles, lora: &Path) -> LoraError {
    let l = Lora::open(&lora::LoraFile {
        path: lora.to_path_buf(),
        weight: 1.0,
    })
    .unwrap();
    match Pipeline::load_with_loras(files, &[l], &reportfig_testkit::load_options()) {
        Err(PipelineError::Lora(e)) => e,
        Err(other) => panic!("not a LoRA error: {other}"),
        Ok(_) => panic!(
            "{} was merged into a checkpoint of another family",
            lora.display()
        ),
    }
}

/// An SDXL LoRA on an SD 1.5 checkpoint, and an SD 1.5 LoRA on an SDXL one: refused as a LoRA
/// for another family, both named, before any network is built.
#[test]
fn a_lora_of_another_family_on_a_checkpoint_names_both() {
    lp::other_family_loras_are_refused(|family, path| {
        // Kept to the end: the checkpoint is written into its folder.
        let tiny = Tiny::new(family, &lp::golden(family.name()));
        let (_, files) = checkpoint(&tiny);
        load_error(&files, path)
    });
}
