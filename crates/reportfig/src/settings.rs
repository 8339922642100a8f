//! How a picture's settings are decided, the same for every front end (the command line,
//! batch outlines, `serve`): what the user set wins, then the style, then the model's preset,
//! then its family's defaults. Also which family a model is and whether it was distilled
//! for latent-consistency sampling, since both change those defaults.
//!
//! Nothing here reads files other than a model's small JSON configs, and nothing is loaded.

use reportfig_engine::family::ModelFamily;
use reportfig_engine::model::config::{
    read_json, ConfigError, ModelIndex, SchedulerSpacing, UNetConfig,
};
use reportfig_engine::pipeline::scheduler::{img2img_start, SamplerKind};
use reportfig_engine::request::MAX_GUIDANCE;

use crate::i18n::Message;
use crate::init_image::InitPicture;
use crate::model::presets::Preset;
use crate::model::source::ModelFiles;
use crate::msg;
use crate::page::{self, SizeSpec};
use crate::style::compose::ComposedPrompt;
use crate::style::SamplerChoice;

/// The image settings a user may set; `None` falls back to the style, then the model.
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    pub style: Option<String>,
    pub size: Option<String>,
    pub exact_ratio: bool,
    /// `--dpi`/`--print`: applied to the image after generation.
    pub finish: crate::print::Finish,
    pub steps: Option<u32>,
    pub guidance: Option<f64>,
    /// `default` here beats a style's or preset's sampler: the model's own config decides.
    pub sampler: Option<SamplerChoice>,
    pub negative: Option<String>,
    /// `--init-image`/`--strength`: the picture the image starts from.
    pub init: Option<std::sync::Arc<InitPicture>>,
}

/// How a model was made for latent-consistency (LCM) sampling. Such a model needs the `lcm`
/// sampler and about 4 steps whatever a style written for its family says (styles choose 30
/// steps and a multistep sampler for SD 1.5, which gives a poor picture from an LCM model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LcmKind {
    /// The UNet takes the guidance scale as an embedding (`time_cond_proj_dim`, as
    /// SimianLuo/LCM_Dreamshaper_v7): guidance costs nothing and no negative prompt is used.
    GuidanceEmbedding,
    /// An ordinary UNet with LCM's scheduler or preset (an LCM-LoRA merged in): guidance
    /// above 1 is a second, unconditional pass.
    Scheduler,
}

impl LcmKind {
    /// The step count the LCM model cards use.
    pub const STEPS: u32 = 4;

    /// The guidance when none was given: the LCM_Dreamshaper_v7 card's 8.0 for an embedded
    /// scale (the model was distilled over a range of scales; near 1 the picture is washed
    /// out); 1.0 (no unconditional pass, half the work per step) for an LCM-LoRA.
    pub fn default_guidance(self) -> f64 {
        match self {
            LcmKind::GuidanceEmbedding => 8.0,
            LcmKind::Scheduler => 1.0,
        }
    }
}

/// Just the class name of a `scheduler_config.json`.
#[derive(serde::Deserialize)]
struct SchedulerClass {
    #[serde(rename = "_class_name", default)]
    class_name: Option<String>,
}

/// Whether the model's own configs (or its preset's sampler) make it an LCM model.
pub fn detect_lcm(
    files: &ModelFiles,
    preset: Option<&Preset>,
) -> Result<Option<LcmKind>, ConfigError> {
    let preset_lcm = preset.is_some_and(|p| p.sampler == Some(SamplerKind::Lcm));
    if files.files.is_empty() {
        return Ok(preset_lcm.then_some(LcmKind::Scheduler));
    }
    let unet: UNetConfig = read_json(&files.unet.config, "UNet config")?;
    if unet.time_cond_proj_dim.is_some() {
        return Ok(Some(LcmKind::GuidanceEmbedding));
    }
    let sched: SchedulerClass = read_json(&files.scheduler_config, "scheduler config")?;
    let lcm = preset_lcm || sched.class_name.as_deref() == Some("LCMScheduler");
    Ok(lcm.then_some(LcmKind::Scheduler))
}

/// The family from the configs alone: two text encoders make SDXL; the distilled turbo models
/// are told by their scheduler's `trailing` spacing (and SDXL-Turbo by its 512² native size);
/// SD 2 by its linear projections or 1024-wide cross-attention, SD 1 otherwise.
pub fn detect_family(files: &ModelFiles) -> Result<ModelFamily, ConfigError> {
    let index: ModelIndex = read_json(&files.model_index, "model_index.json")?;
    let unet: UNetConfig = read_json(&files.unet.config, "UNet config")?;
    let spacing: SchedulerSpacing = read_json(&files.scheduler_config, "scheduler config")?;
    let trailing = spacing.timestep_spacing.as_deref() == Some("trailing");
    let sample = unet.sample_size.unwrap_or(64);
    Ok(if index.has_text_encoder_2() {
        if trailing && sample <= 64 {
            ModelFamily::SdxlTurbo
        } else {
            ModelFamily::Sdxl
        }
    } else if trailing {
        ModelFamily::Turbo
    } else if unet.use_linear_projection || unet.cross_attention_dim.get(0).unwrap_or(768) > 768 {
        // SD 2.x: OpenCLIP-H text (1024 wide) and linear projections in the transformers.
        ModelFamily::Sd21
    } else {
        ModelFamily::Sd15
    })
}

/// What of a model decides the defaults: its family, its preset (if named by one) and
/// whether it samples as an LCM model.
#[derive(Debug, Clone, Copy)]
pub struct ModelDefaults<'a> {
    pub family: ModelFamily,
    pub preset: Option<&'a Preset>,
    pub lcm: Option<LcmKind>,
}

/// The sampling settings decided for one picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    pub steps: u32,
    pub guidance: f64,
    /// `None`: the model's own scheduler config decides.
    pub sampler: Option<SamplerKind>,
    /// For the user: an LCM model's style settings set aside.
    pub notes: Vec<Message>,
}

/// Steps, guidance and sampler: the user's, else the style's (`composed`), else the preset's,
/// else the family's; checked. An LCM model sets a style's settings aside, with a note.
pub fn sampling(
    image: &ImageOptions,
    composed: Option<&ComposedPrompt>,
    model: ModelDefaults<'_>,
) -> Result<Sampling, Message> {
    let ModelDefaults {
        family,
        preset,
        lcm,
    } = model;
    let mut notes = Vec::new();
    // An LCM or step-distilled model's sampling settings come from the user, its preset or
    // LCM itself; a style's (written for the family's ordinary models) are set aside, with a
    // note.
    let distilled = preset.filter(|p| p.distilled && lcm.is_none());
    let fixed = lcm.is_some() || distilled.is_some();
    let style_settings = if fixed { None } else { composed };
    let style_set_aside = fixed
        && composed.is_some_and(|c| {
            (c.steps.is_some() && image.steps.is_none())
                || (c.guidance.is_some() && image.guidance.is_none())
                || (c.sampler.is_some() && image.sampler.is_none())
        });
    let steps = image
        .steps
        .or(style_settings.and_then(|c| c.steps))
        .or(preset.map(|p| p.steps))
        .unwrap_or(match lcm {
            Some(_) => LcmKind::STEPS,
            None if family.is_distilled() => 1,
            None => 30,
        });
    // From a picture only the last `steps * strength` steps run. Unless the user chose the
    // number, the schedule is lengthened so the model's usual number still runs (as
    // AUTOMATIC1111 does): a turbo model's 1 step becomes 2 at strength 0.6, of which 1 runs.
    let steps = match &image.init {
        Some(init) if image.steps.is_none() => steps_running(steps, init.record.strength),
        _ => steps,
    };
    check_steps(steps)?;
    let guidance = image
        .guidance
        .or(style_settings.and_then(|c| c.guidance))
        .or(preset.map(|p| p.guidance))
        .unwrap_or(match lcm {
            Some(kind) => kind.default_guidance(),
            None if family.is_distilled() => 0.0,
            None => 7.5,
        });
    check_guidance(guidance)?;
    let sampler = match image.sampler {
        Some(choice) => choice.kind(),
        None => style_settings
            .and_then(|c| c.sampler)
            .or(preset.and_then(|p| p.sampler))
            .or(lcm.map(|_| SamplerKind::Lcm)),
    };
    if style_set_aside {
        let sampler = sampler.map_or(SamplerChoice::DEFAULT, |k| k.name());
        notes.push(match distilled {
            Some(p) => msg!(
                "note-distilled-style-settings",
                model = p.name.as_str(),
                steps = steps,
                guidance = guidance,
                sampler = sampler
            ),
            None => msg!(
                "note-lcm-style-settings",
                steps = steps,
                guidance = guidance,
                sampler = sampler
            ),
        });
    }
    Ok(Sampling {
        steps,
        guidance,
        sampler,
        notes,
    })
}

/// The picture's size decided for one picture, and the shape it is cropped to after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
    /// The shape (width, height) the pipeline crops to: a print page, or `--exact-ratio`.
    pub crop_to_ratio: Option<(u32, u32)>,
}

/// Steps out of the range any sampler runs.
fn check_steps(steps: u32) -> Result<(), Message> {
    if steps == 0 {
        return Err(msg!("steps-zero"));
    }
    if steps > 1000 {
        return Err(msg!("steps-too-many", steps = steps));
    }
    Ok(())
}

/// Guidance below zero, not a number, or past where styles are capped.
fn check_guidance(guidance: f64) -> Result<(), Message> {
    if guidance < 0.0 || guidance.is_nan() {
        return Err(msg!("guidance-negative", guidance = guidance.to_string()));
    }
    if guidance > MAX_GUIDANCE {
        // 1e308 would otherwise print as 309 digits.
        let shown = if guidance >= 1e6 {
            format!("{guidance:e}")
        } else {
            guidance.to_string()
        };
        return Err(msg!(
            "guidance-too-high",
            guidance = shown,
            max = MAX_GUIDANCE
        ));
    }
    Ok(())
}

/// What the user typed that is wrong whatever the model: a size that does not parse, steps
/// or guidance out of range, a style that does not exist. Checked before the model (or the
/// translator) is looked for, so on a PC without internet a typo is named, not a download
/// that failed; [`sampling`] and [`size`] check the same again with the model's defaults.
pub fn check_given(
    image: &ImageOptions,
    styles: &crate::style::StyleLibrary,
) -> Result<(), Message> {
    if let Some(s) = &image.size {
        s.parse::<SizeSpec>()
            .map_err(|e| crate::explain::message(&e))?;
    }
    if let Some(steps) = image.steps {
        check_steps(steps)?;
    }
    if let Some(g) = image.guidance {
        check_guidance(g)?;
    }
    if let Some(spec) = &image.style {
        styles
            .resolve_stack(spec)
            .map_err(|e| crate::explain::message(&e))?;
    }
    Ok(())
}

/// The size: a print page's shape at the model's scale, else the user's size, else the
/// style's, else a starting picture's shape, else the preset's, else the family's native
/// square; checked.
pub fn size(
    image: &ImageOptions,
    composed: Option<&ComposedPrompt>,
    model: ModelDefaults<'_>,
) -> Result<Size, Message> {
    let family = model.family;
    let size_spec = match &image.size {
        Some(s) => Some(
            s.parse::<SizeSpec>()
                .map_err(|e| crate::explain::message(&e))?,
        ),
        None => composed.and_then(|c| c.size),
    };
    let print_ratio = image.finish.page.map(|p| p.ratio());
    let (width, height) = match (print_ratio, size_spec) {
        // A print page is generated at the model's scale with the page's shape, then
        // enlarged ([`crate::print::Finish`]).
        (Some(ratio), _) => {
            let s = page::size_for_ratio(ratio, family);
            (s.width, s.height)
        }
        (None, Some(spec)) => {
            let s = spec.resolve(family);
            (s.width, s.height)
        }
        // A photo keeps its own shape at the model's scale unless a size was asked for.
        (None, _) if image.size.is_none() && image.init.is_some() => {
            let init = image.init.as_ref().expect("checked");
            let s = page::size_for_ratio(init.ratio(), family);
            (s.width, s.height)
        }
        (None, None) => match model.preset {
            Some(p) => (p.width, p.height),
            None => {
                let side = family.native_side();
                (side, side)
            }
        },
    };
    page::check_size(width, height).map_err(|e| crate::explain::message(&e))?;
    let crop_to_ratio = if print_ratio.is_some() {
        print_ratio
    } else if image.exact_ratio {
        match size_spec {
            Some(spec) => Some(spec.ratio()),
            None => return Err(msg!("exact-ratio-needs-size")),
        }
    } else {
        None
    };
    Ok(Size {
        width,
        height,
        crop_to_ratio,
    })
}

/// A starting picture's strength must leave at least one of `steps` to run.
pub fn check_strength(image: &ImageOptions, steps: u32) -> Result<(), Message> {
    if let Some(init) = &image.init {
        let strength = init.record.strength;
        if img2img_start(steps as usize, strength).is_none() {
            return Err(msg!(
                "strength-leaves-no-step",
                steps = steps,
                strength = strength.to_string(),
                least = least_strength(steps).to_string()
            ));
        }
    }
    Ok(())
}

/// The shortest schedule of which at least `run` steps run at `strength` (at most 1000).
fn steps_running(run: u32, strength: f64) -> u32 {
    (run..=1000)
        .find(|&n| {
            img2img_start(n as usize, strength)
                .is_some_and(|start| n as usize - start >= run as usize)
        })
        .unwrap_or(1000)
}

/// The smallest strength in hundredths that leaves `steps` at least one step to run.
fn least_strength(steps: u32) -> f64 {
    (1..=100)
        .map(|h| h as f64 / 100.0)
        .find(|&s| img2img_start(steps as usize, s).is_some())
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_lengthens_the_schedule_to_run_the_usual_steps() {
        assert_eq!(steps_running(1, 0.6), 2);
        assert_eq!(steps_running(1, 1.0), 1);
        assert_eq!(steps_running(4, 0.5), 8);
        assert_eq!(steps_running(30, 0.6), 50);
        assert_eq!(steps_running(30, 0.3), 100);
        assert_eq!(steps_running(900, 0.1), 1000);
        assert_eq!(least_strength(4), 0.25);
        assert_eq!(least_strength(3), 0.34);
    }
}
