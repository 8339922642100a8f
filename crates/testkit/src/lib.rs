//! Tiny random-weight models in the exact diffusers layout, made deterministically from a
//! seed. The test suite, the golden-file script and the benchmarks build on these.

pub mod limits;
pub mod recording;
pub mod single_file;
pub mod tiny_vae;
pub mod tokenizer;
pub mod unet;
pub mod upscale;
pub mod vae;

/// The model families the tiny fixtures imitate; their configs are the published ones of
/// the real repos with every size shrunk (see `src/fixtures/tiny/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TinyFamily {
    /// SD 1.5: PNDM, epsilon, quick-GELU text encoder, pads with `<|endoftext|>`.
    Sd15,
    /// SD 2.1: DDIM, v-prediction, linear projections, heads per block, pads with `!`.
    Sd21,
    /// SD-Turbo: SD 2.1's networks with Euler, trailing spacing.
    Turbo,
    /// SDXL: two text encoders, pooled embedding, `text_time` added conditioning.
    Sdxl,
}

impl TinyFamily {
    pub const ALL: [TinyFamily; 4] = [Self::Sd15, Self::Sd21, Self::Turbo, Self::Sdxl];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sd15 => "sd15",
            Self::Sd21 => "sd21",
            Self::Turbo => "turbo",
            Self::Sdxl => "sdxl",
        }
    }

    /// The tiny config of one component, as the JSON text a diffusers repo would hold.
    /// `component` is a folder name (`unet`, `vae`, `text_encoder`, `text_encoder_2`,
    /// `scheduler`) or `model_index`.
    pub fn config_json(self, component: &str) -> Option<&'static str> {
        macro_rules! tiny {
            ($fam:literal) => {
                match component {
                    "model_index" => {
                        Some(include_str!(concat!("tiny/", $fam, "/model_index.json")))
                    }
                    "unet" => Some(include_str!(concat!("tiny/", $fam, "/unet/config.json"))),
                    "vae" => Some(include_str!(concat!("tiny/", $fam, "/vae/config.json"))),
                    "text_encoder" => Some(include_str!(concat!(
                        "tiny/",
                        $fam,
                        "/text_encoder/config.json"
                    ))),
                    "scheduler" => Some(include_str!(concat!(
                        "tiny/",
                        $fam,
                        "/scheduler/scheduler_config.json"
                    ))),
                    _ => None,
                }
            };
        }
        match (self, component) {
            (Self::Sdxl, "text_encoder_2") => {
                Some(include_str!("tiny/sdxl/text_encoder_2/config.json"))
            }
            (Self::Sd15, _) => tiny!("sd15"),
            (Self::Sd21, _) => tiny!("sd21"),
            (Self::Turbo, _) => tiny!("turbo"),
            (Self::Sdxl, _) => tiny!("sdxl"),
        }
    }
}

/// Writes a complete tiny model of `family` into `dir` in the diffusers layout:
/// `model_index.json`, `scheduler/`, `text_encoder/` + `tokenizer/` (and `_2` for SDXL),
/// `unet/` and `vae/`, every weight invented from a fixed seed, so the same call always
/// writes the same bytes.
pub fn write_tiny_model(dir: &std::path::Path, family: TinyFamily) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir.join("scheduler"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let text = |name: &str| {
        family
            .config_json(name)
            .with_context(|| format!("no tiny {name} config for {}", family.name()))
    };
    std::fs::write(dir.join("model_index.json"), text("model_index")?)?;
    std::fs::write(
        dir.join("scheduler/scheduler_config.json"),
        text("scheduler")?,
    )?;
    tokenizer::write_tiny_text_encoder(dir, family, "text_encoder")?;
    if family == TinyFamily::Sdxl {
        tokenizer::write_tiny_text_encoder(dir, family, "text_encoder_2")?;
    }
    unet::write_tiny_unet(dir, family)?;
    vae::write_tiny_vae(dir, family)?;
    Ok(())
}

/// The width of the guidance-scale projection in the tiny LCM models' UNets (the published
/// LCM UNets use 256 on 320 channels; the tiny ones have 32).
pub const TINY_LCM_TIME_COND_PROJ_DIM: usize = 16;

/// The scheduler config of an LCM-distilled model, as SimianLuo/LCM_Dreamshaper_v7 ships it.
pub const LCM_SCHEDULER_CONFIG: &str = r#"{
  "_class_name": "LCMScheduler",
  "_diffusers_version": "0.22.0.dev0",
  "beta_end": 0.012,
  "beta_schedule": "scaled_linear",
  "beta_start": 0.00085,
  "clip_sample": false,
  "clip_sample_range": 1.0,
  "dynamic_thresholding_ratio": 0.995,
  "num_train_timesteps": 1000,
  "original_inference_steps": 50,
  "prediction_type": "epsilon",
  "rescale_betas_zero_snr": false,
  "sample_max_value": 1.0,
  "set_alpha_to_one": true,
  "steps_offset": 1,
  "thresholding": false,
  "timestep_scaling": 10.0,
  "timestep_spacing": "leading",
  "trained_betas": null
}
"#;

/// The tiny LCM model's name for `family`'s (`sd15-lcm`, `sdxl-lcm`, ...).
pub fn tiny_lcm_name(family: TinyFamily) -> String {
    format!("{}-lcm", family.name())
}

/// Writes `family`'s tiny model with its UNet config changed by `edit_unet` (new weights
/// from `seed`), and returns its `model_index.json` for the caller to change and write.
fn write_tiny_variant(
    dir: &std::path::Path,
    family: TinyFamily,
    edit_unet: impl FnOnce(&mut serde_json::Value),
    seed: u64,
) -> anyhow::Result<serde_json::Value> {
    use anyhow::Context;
    write_tiny_model(dir, family)?;
    let text = |name: &str| {
        family
            .config_json(name)
            .with_context(|| format!("no tiny {name} config for {}", family.name()))
    };
    let mut unet: serde_json::Value = serde_json::from_str(text("unet")?)?;
    edit_unet(&mut unet);
    unet::write_unet(dir, &(serde_json::to_string_pretty(&unet)? + "\n"), seed)?;
    Ok(serde_json::from_str(text("model_index")?)?)
}

fn write_model_index(dir: &std::path::Path, index: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(
        dir.join("model_index.json"),
        serde_json::to_string_pretty(index)? + "\n",
    )?;
    Ok(())
}

/// Writes a tiny LCM-distilled model: `family`'s tiny model whose UNet has
/// `time_cond_proj_dim` (its own weights, from its own seed), with `LCMScheduler` as the
/// scheduler and, for SD 1.5, `LatentConsistencyModelPipeline` in `model_index.json`, as
/// SimianLuo/LCM_Dreamshaper_v7 and latent-consistency/lcm-sdxl are laid out.
pub fn write_tiny_lcm_model(dir: &std::path::Path, family: TinyFamily) -> anyhow::Result<()> {
    let seed = match family {
        TinyFamily::Sd15 => 0x1c3_5d15,
        TinyFamily::Sd21 => 0x1c3_5d21,
        TinyFamily::Turbo => 0x1c3_07b0,
        TinyFamily::Sdxl => 0x1c3_d0a1,
    };
    let edit = |unet: &mut serde_json::Value| {
        unet["time_cond_proj_dim"] = TINY_LCM_TIME_COND_PROJ_DIM.into();
    };
    let mut index = write_tiny_variant(dir, family, edit, seed)?;
    index["scheduler"] = serde_json::json!(["diffusers", "LCMScheduler"]);
    if family != TinyFamily::Sdxl {
        index["_class_name"] = "LatentConsistencyModelPipeline".into();
    }
    write_model_index(dir, &index)?;
    std::fs::write(
        dir.join("scheduler/scheduler_config.json"),
        LCM_SCHEDULER_CONFIG,
    )?;
    Ok(())
}

/// The folder name of `family`'s tiny inpainting model (`sd15-inpaint`).
pub fn tiny_inpaint_name(family: TinyFamily) -> String {
    format!("{}-inpaint", family.name())
}

/// Writes a tiny inpainting model: `family`'s tiny model whose UNet reads 9 channels (the
/// latents, the mask and the masked picture's latents, as stable-diffusion-inpainting and
/// stable-diffusion-xl-1.0-inpainting-0.1 do; its own weights, from its own seed), with the
/// inpainting pipeline in `model_index.json`.
pub fn write_tiny_inpaint_model(dir: &std::path::Path, family: TinyFamily) -> anyhow::Result<()> {
    let seed = match family {
        TinyFamily::Sd15 => 0x19a_5d15,
        TinyFamily::Sd21 => 0x19a_5d21,
        TinyFamily::Turbo => 0x19a_07b0,
        TinyFamily::Sdxl => 0x19a_d0a1,
    };
    let mut index = write_tiny_variant(dir, family, |unet| unet["in_channels"] = 9.into(), seed)?;
    index["_class_name"] = match family {
        TinyFamily::Sdxl => "StableDiffusionXLInpaintPipeline",
        _ => "StableDiffusionInpaintPipeline",
    }
    .into();
    write_model_index(dir, &index)
}

/// The [`ModelFiles`](reportfig_engine::model::files::ModelFiles) of a model that
/// [`write_tiny_model`] wrote into `dir`, named directly from the layout it writes (the app's
/// folder resolution is tested on its own), so engine tests need no model source.
pub fn tiny_model_files(
    dir: &std::path::Path,
    family: TinyFamily,
) -> reportfig_engine::model::files::ModelFiles {
    use reportfig_engine::model::files::{Component, ModelFiles};
    let component = |folder: &str, weights: &str| Component {
        config: dir.join(folder).join("config.json"),
        weights: vec![dir.join(folder).join(weights)],
        layout: Default::default(),
    };
    let sdxl = family == TinyFamily::Sdxl;
    let files = ModelFiles {
        root: dir.to_path_buf(),
        model_index: dir.join("model_index.json"),
        unet: component("unet", "diffusion_pytorch_model.safetensors"),
        vae: component("vae", "diffusion_pytorch_model.safetensors"),
        text_encoder: component("text_encoder", "model.safetensors"),
        tokenizer: dir.join("tokenizer"),
        text_encoder_2: sdxl.then(|| component("text_encoder_2", "model.safetensors")),
        tokenizer_2: sdxl.then(|| dir.join("tokenizer_2")),
        scheduler_config: dir.join("scheduler/scheduler_config.json"),
        revision: None,
        prediction_type: None,
        timestep_spacing: None,
        files: Vec::new(),
    };
    let mut all = vec![files.model_index.clone(), files.scheduler_config.clone()];
    for c in [&files.unet, &files.vae, &files.text_encoder]
        .into_iter()
        .chain(files.text_encoder_2.as_ref())
    {
        all.push(c.config.clone());
        all.extend(c.weights.iter().cloned());
    }
    ModelFiles {
        files: all,
        ..files
    }
}

/// Reports an environment-dependent check that cannot run on this machine (no browser, no
/// vocabulary file, ...). It fails the test when `REPORTFIG_REQUIRE_ALL_CHECKS` is set, as CI
/// sets it, so a skipped check is never counted as passed there; elsewhere it says plainly,
/// past the test harness's capture, that the check did not run.
pub fn not_run(check: &str, needs: &str) {
    if std::env::var_os("REPORTFIG_REQUIRE_ALL_CHECKS").is_some() {
        panic!("{check} could not run: it needs {needs} (REPORTFIG_REQUIRE_ALL_CHECKS is set)");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "NOT RUN: {check} needs {needs}");
}

/// The kernels the engine's tests run on: `REPORTFIG_ISA` (`avx512`, `avx2` or `portable`)
/// when set, so `tools/test` can run the parity suites on every path this CPU has, else the
/// widest this CPU has. Read once, here at the test harness's edge; the tests pass it down
/// through [`load_context`] and [`load_options`]. An ISA this CPU lacks fails loudly rather
/// than silently testing another path.
pub fn isa_under_test() -> reportfig_engine::pipeline::Isa {
    use reportfig_engine::pipeline::Isa;
    static ISA: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
    *ISA.get_or_init(|| {
        let isa = match std::env::var("REPORTFIG_ISA") {
            Ok(name) => Isa::from_name(&name).unwrap_or_else(|e| panic!("REPORTFIG_ISA: {e}")),
            Err(_) => Isa::detect(),
        };
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "engine kernels under test: {isa}");
        isa
    })
}

/// The context networks are built with in the engine's tests (see [`isa_under_test`]).
pub fn load_context() -> reportfig_engine::pipeline::LoadContext {
    reportfig_engine::pipeline::LoadContext::new(isa_under_test())
}

/// [`reportfig_engine::pipeline::LoadOptions`] for the engine's tests (see
/// [`isa_under_test`]).
pub fn load_options() -> reportfig_engine::pipeline::LoadOptions {
    reportfig_engine::pipeline::LoadOptions {
        isa: isa_under_test(),
        ..Default::default()
    }
}
