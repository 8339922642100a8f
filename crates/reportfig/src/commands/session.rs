//! What generate, batch, compare and serve share: turning a caption and the user's settings
//! into a checked `GenerationRequest` (the settings themselves are decided in
//! [`crate::settings`]), and opening a model once.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use crate::commands::{BadInput, Event, Reporter};
use crate::i18n::Message;
use crate::lora::{self, LoraSpec, ResolvedLora};
use crate::model::presets::{self, Preset};
use crate::model::source::{self, Component, HubOptions, ModelFiles, ModelSource};
use crate::model::tiny_decoder::DraftDecoder;
use crate::msg;
use crate::settings::{
    self, detect_family, detect_lcm, ImageOptions, LcmKind, ModelDefaults, Sampling, Size,
};
use crate::style::{compose, StyleLibrary};
use crate::translate::{has_hangul, English};
use reportfig_engine::family::ModelFamily;
use reportfig_engine::pipeline::lora::{Lora, LoraError};
use reportfig_engine::pipeline::scheduler::SamplerKind;
use reportfig_engine::pipeline::text::ClipTokenizer;
use reportfig_engine::pipeline::tiny_vae::TinyDecoder;
use reportfig_engine::pipeline::{LoadOptions, Pipeline, PipelineError};
use reportfig_engine::request::{AppliedLora, GenerationRequest};

/// Where the model comes from and how it runs.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// As typed after `--model`.
    pub model: String,
    /// As typed after `--model-config`: the configs of a single-file checkpoint.
    pub model_config: Option<String>,
    /// `--lora`, in order; they come after (and win over) a style's LoRAs.
    pub loras: Vec<LoraSpec>,
    pub hub: HubOptions,
    pub load: LoadOptions,
    /// Where "shown once" markers live (licence notices); `None` shows them every time.
    pub state_dir: Option<PathBuf>,
}

/// The [`Finisher`](crate::print::Finisher) of `finish`: its upscaler found (a preset in the
/// data folder, the hub cache, or downloaded unless offline) and loaded, before anything slow.
pub fn finisher(
    finish: &crate::print::Finish,
    model: &ModelOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<crate::print::Finisher> {
    crate::print::Finisher::new(
        finish.clone(),
        &reportfig_engine::pipeline::LoadContext::new(model.load.isa),
        &crate::print::UpscalerLookup {
            data_dir: model.state_dir.as_deref(),
            hub: &model.hub,
        },
        reporter,
    )
}

/// A model named by the user, resolved to files (downloaded if needed) but not yet loaded.
pub struct ResolvedModel {
    pub source: ModelSource,
    pub files: ModelFiles,
    pub family: ModelFamily,
    pub preset: Option<&'static Preset>,
    /// Set when the model was distilled for latent-consistency sampling.
    pub lcm: Option<LcmKind>,
    tokenizer: Option<ClipTokenizer>,
    /// `--lora`, as given.
    cli_loras: Vec<LoraSpec>,
    /// LoRA files found and read so far, by source as written: `--lora`'s when the model is
    /// resolved, a style's when a request first uses it.
    loras: RefCell<Vec<ResolvedLora>>,
    /// Where hub LoRAs come from.
    hub: HubOptions,
    /// Only planned (`batch --dry-run`): a hub LoRA not in the cache is named, not an error.
    plan_only: bool,
    /// The hub LoRAs a plan named without their files.
    unfetched_loras: RefCell<Vec<String>>,
}

/// The LoRAs every request of a model uses: its preset's (an LCM-LoRA), then `--lora`, which
/// replaces the weight of the same file.
fn model_loras(preset: Option<&Preset>, cli: &[LoraSpec]) -> Vec<LoraSpec> {
    let mut specs = preset.map(Preset::lora_specs).unwrap_or_default();
    for s in cli {
        match specs.iter_mut().find(|x| x.source == s.source) {
            Some(x) => x.weight = s.weight,
            None => specs.push(s.clone()),
        }
    }
    specs
}

/// Parses `--model` and prints the licence notice of a non-commercial preset if it is due
/// (see [`record_licence_notice`]).
pub fn parse_model(
    opts: &ModelOptions,
    reporter: &mut dyn Reporter,
) -> Result<ModelSource, BadInput> {
    let source = ModelSource::parse(&opts.model).map_err(|e| BadInput::from_error(&e))?;
    if let Some(p) = source.preset() {
        let notice = match &opts.state_dir {
            Some(dir) => presets::due_licence_notice(p, dir),
            None => p.licence_notice(),
        };
        if let Some(n) = notice {
            // The licence's own words: quoted as the licensor wrote them, in English.
            reporter.event(Event::Note(crate::msg!("untranslated", text = n)));
        }
    }
    Ok(source)
}

/// Records that the licence notice of `model`'s preset has been seen, once a run that showed
/// it has succeeded, so it is not printed again.
pub fn record_licence_notice(opts: &ModelOptions, model: &ResolvedModel) {
    if let (Some(p), Some(dir)) = (model.preset, &opts.state_dir) {
        presets::record_licence_notice_shown(p, dir);
    }
}

/// Finds every file of the model (downloading what is missing unless offline) and works out
/// its family from its own configs.
pub fn resolve_model(
    source: ModelSource,
    opts: &ModelOptions,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ResolvedModel> {
    let config = opts
        .model_config
        .as_deref()
        .map(ModelSource::parse)
        .transpose()?;
    let files = source::resolve_with_config(
        &source,
        config.as_ref(),
        &opts.hub,
        &mut crate::commands::models::download_reporter(reporter),
    )?;
    let preset = source.preset();
    if preset.is_none() {
        if let Some(licence) = crate::model::licence::non_commercial_licence(&files.root) {
            reporter.event(Event::Note(msg!(
                "note-card-non-commercial",
                model = source.display_name(),
                licence = licence
            )));
        }
    }
    let family = match preset {
        Some(p) => p.family,
        None => detect_family(&files)?,
    };
    let tokenizer = ClipTokenizer::from_dir(&files.tokenizer).ok();
    let lcm = detect_lcm(&files, preset)?;
    let model_loras = model_loras(preset, &opts.loras);
    let mut loras = Vec::new();
    for spec in &model_loras {
        if !loras
            .iter()
            .any(|l: &ResolvedLora| l.record.source == spec.source)
        {
            let mut progress = crate::commands::models::download_reporter(reporter);
            loras.push(lora::resolve(spec, &opts.hub, &mut progress)?);
        }
    }
    Ok(ResolvedModel {
        source,
        files,
        family,
        preset,
        lcm,
        tokenizer,
        cli_loras: model_loras,
        loras: RefCell::new(loras),
        plan_only: false,
        unfetched_loras: RefCell::new(Vec::new()),
        hub: opts.hub.clone(),
    })
}

impl ResolvedModel {
    /// Counts prompt tokens with the model's own tokenizer (a careful estimate without one).
    pub fn count_tokens(&self, text: &str) -> usize {
        match &self.tokenizer {
            Some(t) => t.count_tokens(text),
            None => crate::style::estimate_clip_tokens(text),
        }
    }

    /// The model's own name for the records: the preset or repo as typed, or the folder.
    pub fn label(&self) -> String {
        self.source.display_name()
    }

    /// A model known only by name, for `batch --dry-run` when its files are not in the cache:
    /// the preset's family and a token estimate are enough to plan the requests, and nothing
    /// is downloaded. It has no files, so [`ResolvedModel::load`] refuses it.
    pub fn unresolved(source: ModelSource, family: ModelFamily) -> ResolvedModel {
        let none = || Component {
            config: PathBuf::new(),
            weights: Vec::new(),
            layout: Default::default(),
        };
        let preset = source.preset();
        let lcm = preset
            .is_some_and(|p| p.sampler == Some(SamplerKind::Lcm))
            .then_some(LcmKind::Scheduler);
        ResolvedModel {
            source,
            files: ModelFiles {
                root: PathBuf::new(),
                model_index: PathBuf::new(),
                unet: none(),
                vae: none(),
                text_encoder: none(),
                tokenizer: PathBuf::new(),
                text_encoder_2: None,
                tokenizer_2: None,
                scheduler_config: PathBuf::new(),
                revision: None,
                prediction_type: None,
                timestep_spacing: None,
                files: Vec::new(),
            },
            family,
            preset,
            lcm,
            tokenizer: None,
            cli_loras: Vec::new(),
            loras: RefCell::new(Vec::new()),
            plan_only: true,
            unfetched_loras: RefCell::new(Vec::new()),
            // A dry run downloads nothing: hub LoRAs are found in the cache or not at all.
            hub: HubOptions {
                offline: true,
                ..HubOptions::new(PathBuf::new())
            },
        }
    }

    /// An unresolved model with `--lora` (for `batch --dry-run`): local LoRAs are read, hub
    /// ones found in `hub`'s cache without the network.
    pub fn unresolved_with(
        source: ModelSource,
        family: ModelFamily,
        opts: &ModelOptions,
    ) -> ResolvedModel {
        ResolvedModel {
            cli_loras: model_loras(source.preset(), &opts.loras),
            hub: HubOptions {
                offline: true,
                ..opts.hub.clone()
            },
            ..Self::unresolved(source, family)
        }
    }

    /// The hub LoRAs this plan names without their files (not downloaded), in first use.
    pub fn unfetched_loras(&self) -> Vec<String> {
        self.unfetched_loras.borrow().clone()
    }

    /// The record of one LoRA a request uses (reading its file the first time).
    fn lora_record(&self, spec: &LoraSpec) -> anyhow::Result<AppliedLora> {
        let mut cache = self.loras.borrow_mut();
        let found = match cache.iter().position(|l| l.record.source == spec.source) {
            Some(i) => &cache[i],
            None => match lora::resolve(spec, &self.hub, &mut |_| {}) {
                Ok(r) => {
                    cache.push(r);
                    &cache[cache.len() - 1]
                }
                Err(e) if self.plan_only && crate::model::source::is_not_in_cache(&e) => {
                    let record = lora::unfetched_record(spec).ok_or(e)?;
                    let mut unfetched = self.unfetched_loras.borrow_mut();
                    if !unfetched.contains(&spec.source) {
                        unfetched.push(spec.source.clone());
                    }
                    return Ok(record);
                }
                Err(e) => return Err(e),
            },
        };
        Ok(AppliedLora {
            weight: spec.weight,
            ..found.record.clone()
        })
    }

    /// The LoRAs of a request: the style's, then `--lora` (which replaces a style's weight
    /// for the same file).
    fn request_loras(&self, style: &[LoraSpec]) -> Result<Vec<AppliedLora>, BadInput> {
        let mut specs: Vec<LoraSpec> = style.to_vec();
        for s in &self.cli_loras {
            match specs.iter_mut().find(|x| x.source == s.source) {
                Some(x) => x.weight = s.weight,
                None => specs.push(s.clone()),
            }
        }
        specs
            .iter()
            .map(|s| {
                self.lora_record(s)
                    .map_err(|e| BadInput::from_error(e.as_ref()))
            })
            .collect()
    }

    /// The LoRAs of a request whose style names none (the preset's and `--lora`), so a
    /// server can load the model before any request arrives.
    pub fn default_loras(&self) -> Result<Vec<AppliedLora>, BadInput> {
        self.request_loras(&[])
    }

    /// Loads the model with `loras` (the records of [`build_request`]) merged in.
    pub fn load(
        &self,
        opts: &ModelOptions,
        loras: &[AppliedLora],
        reporter: &mut dyn Reporter,
    ) -> anyhow::Result<Pipeline> {
        if self.files.files.is_empty() {
            return Err(msg!("model-not-downloaded", name = self.label()).into());
        }
        reporter.event(Event::Stage(crate::msg!(
            "stage-loading-model",
            name = self.label()
        )));
        let t = std::time::Instant::now();
        let mut merged: Vec<Lora> = Vec::with_capacity(loras.len());
        for a in loras {
            let cache = self.loras.borrow();
            let found = cache.iter().find(|l| l.record.source == a.source);
            let Some(found) = found else {
                return Err(anyhow::Error::new(crate::msg!(
                    "internal-error",
                    detail = format!("the LoRA {} was not read first", a.source)
                )));
            };
            let mut l = found.lora.clone();
            l.weight = a.weight;
            merged.push(l);
            reporter.event(Event::Note(crate::msg!(
                "note-lora-merged",
                name = a.name.as_str(),
                weight = a.weight.to_string()
            )));
        }
        let p = match Pipeline::load_with_loras(&self.files, &merged, &opts.load) {
            // The engine knows the family only from the weights; the app knows the model's.
            Err(PipelineError::Lora(LoraError::WrongFamily { path, lora, .. })) => {
                return Err(BadInput(crate::msg!(
                    "lora-wrong-family",
                    path = path.display().to_string(),
                    lora = lora.display_name(),
                    model = self.family.display_name()
                ))
                .into())
            }
            other => other?,
        };
        reporter.event(Event::Note(crate::msg!(
            "note-model-loaded",
            seconds = format!("{:.1}", t.elapsed().as_secs_f64())
        )));
        Ok(p)
    }
}

/// Builds the request for one caption: the style composed around it, the settings decided by
/// [`crate::settings`] (flag, then style, then preset, then family), and the LoRAs. Returns
/// the request and notes for the user.
pub fn build_request(
    caption: &str,
    english: Option<&English>,
    image: &ImageOptions,
    seed: u64,
    model: &ResolvedModel,
    styles: &StyleLibrary,
) -> Result<(GenerationRequest, Vec<Message>), BadInput> {
    check_caption(caption)?;
    let caption = caption.trim();
    let family = model.family;
    let mut notes = Vec::new();
    // The CLIP text encoders of every Stable Diffusion family were trained on English
    // captions: Hangul comes out as byte pieces the model barely reads. With a translation
    // the style is composed around the English; without one the user hears why it matters.
    let text = match english {
        Some(e) => e.text.trim(),
        None => caption,
    };
    if has_hangul(text) {
        notes.push(match english {
            Some(_) => msg!("warn-english-has-korean", text = text),
            None => msg!("warn-caption-in-korean"),
        });
    }
    let (style_names, composed) = match &image.style {
        Some(spec) => {
            let stack = styles
                .resolve_stack(spec)
                .map_err(|e| BadInput::from_error(&e))?;
            let names = spec.split('+').map(|s| s.trim().to_string()).collect();
            let c = compose(text, &stack, family, &|t| model.count_tokens(t));
            (names, Some(c))
        }
        None => (Vec::new(), None),
    };

    let defaults = ModelDefaults {
        family,
        preset: model.preset,
        lcm: model.lcm,
    };
    let Sampling {
        steps,
        guidance,
        sampler,
        notes: sampling_notes,
    } = settings::sampling(image, composed.as_ref(), defaults).map_err(BadInput)?;
    notes.extend(sampling_notes);
    let Size {
        width,
        height,
        crop_to_ratio: crop_ratio,
    } = settings::size(image, composed.as_ref(), defaults).map_err(BadInput)?;
    settings::check_strength(image, steps).map_err(BadInput)?;

    let negative = image
        .negative
        .clone()
        .or(composed.as_ref().and_then(|c| c.negative_prompt.clone()));
    notes.extend(composition_notes(composed.as_ref(), model, guidance));
    // Only a negative prompt the user wrote is worth a note: a style's own negative prompt
    // on a turbo model is expected, and a note on every figure would teach users to skip notes.
    let user_negative = image
        .negative
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty());
    if user_negative && model.lcm == Some(LcmKind::GuidanceEmbedding) {
        notes.push(msg!("warn-negative-ignored-lcm"));
    } else if user_negative && guidance <= 1.0 {
        notes.push(msg!("warn-negative-ignored"));
    }
    notes.dedup();

    let prompt = composed
        .as_ref()
        .map(|c| c.prompt.clone())
        .unwrap_or_else(|| text.to_string());
    Ok((
        GenerationRequest {
            caption: caption.to_string(),
            caption_en: english.map(|e| e.text.trim().to_string()),
            translated_by: english.map(|e| e.translated_by.clone()),
            styles: style_names,
            prompt,
            negative_prompt: negative,
            width,
            height,
            steps,
            guidance,
            seed,
            sampler,
            model: model.label(),
            model_revision: model.files.revision.clone(),
            crop_to_ratio: crop_ratio,
            draft_decoder: None,
            init_image: image.init.as_ref().map(|i| i.record.clone()),
            loras: model.request_loras(
                composed
                    .as_ref()
                    .map(|c| c.loras.as_slice())
                    .unwrap_or_default(),
            )?,
        },
        notes,
    ))
}

/// A seed for when none was given: from the clock and the process, printed and recorded so
/// the image can be made again. Kept below 2^32, as other tools show seeds.
pub fn fresh_seed() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ ((std::process::id() as u64) << 32);
    // SplitMix64 finaliser: nearby clock values give unrelated seeds.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) & 0xFFFF_FFFF
}

/// `--decoder tiny`: the draft decoder for a model of `family`, found (downloaded into the
/// hub cache unless offline) and loaded for latents of `latent` = (height, width); with the
/// label the PNG records.
pub fn load_draft_decoder(
    choice: &DraftDecoder,
    family: ModelFamily,
    opts: &ModelOptions,
    latent: (usize, usize),
    reporter: &mut dyn Reporter,
) -> anyhow::Result<(String, TinyDecoder)> {
    let src = choice.source(family);
    let dir = src.resolve(
        &opts.hub,
        &mut crate::commands::models::download_reporter(reporter),
    )?;
    let decoder = TinyDecoder::load_dir(&dir, &opts.load.context(), latent)
        .map_err(|e| BadInput::from_error(&e))?;
    Ok((src.label(), decoder))
}

/// Whether a path's folder exists, so a typo in `-o` fails before minutes of work.
pub fn check_output_folder(path: &Path) -> Result<(), BadInput> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Ok(()),
    };
    if dir.exists() && !dir.is_dir() {
        return Err(BadInput(msg!(
            "output-parent-is-file",
            path = path.display().to_string(),
            folder = dir.display().to_string()
        )));
    }
    if !dir.is_dir() {
        return Err(BadInput(msg!(
            "output-folder-missing",
            path = path.display().to_string(),
            folder = dir.display().to_string()
        )));
    }
    check_writable(path, dir)
}

/// Removes the temporary files a killed earlier write left beside `path` (ours only, and only
/// ones old enough that no live write can own them: [`crate::output::STALE_TEMPORARY_AGE`]), as a
/// batch does in its folder at start.
pub fn remove_stale_temporaries_beside(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    crate::output::remove_stale_temporaries(dir, crate::output::STALE_TEMPORARY_AGE);
}

/// A folder the picture cannot be written into (read-only share, no permission) is found
/// before minutes of work, by creating and removing an empty file there. It is named as the
/// atomic writer names its temporaries (`.NAME.XXXXXX.tmp`), so one a killed run left is
/// removed by the next run's clean-up like theirs.
fn check_writable(path: &Path, dir: &Path) -> Result<(), BadInput> {
    match write_check_file(dir) {
        Ok(_) => Ok(()),
        Err(e) => Err(BadInput(msg!(
            "output-folder-not-writable",
            path = path.display().to_string(),
            folder = dir.display().to_string(),
            reason = crate::outline::io_reason(&e)
        ))),
    }
}

/// [`check_writable`]'s empty file in `dir`, removed when dropped.
fn write_check_file(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".reportfig-write-check.")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// Image formats users may type after `-o` that reportfig does not write.
const OTHER_IMAGE_EXTENSIONS: [&str; 8] =
    ["jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff", "svg"];

/// The PNG file `-o` stands for: a folder (existing, or written with a trailing `/`) gets
/// `default_name` inside it; a name without `.png` gets it added, so the file opens with a
/// double click; another image format is refused rather than written as a PNG in disguise.
pub fn png_output_path(given: Option<&Path>, default_name: &str) -> Result<PathBuf, BadInput> {
    let Some(p) = given else {
        return Ok(PathBuf::from(default_name));
    };
    let text = p.as_os_str().to_string_lossy();
    if p.is_dir() || text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        return Ok(p.join(default_name));
    }
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => Ok(p.to_path_buf()),
        Some(e) if OTHER_IMAGE_EXTENSIONS.contains(&e) => {
            let mut png = p.to_path_buf();
            png.set_extension("png");
            Err(BadInput(msg!(
                "output-not-png",
                path = p.display().to_string(),
                ext = e,
                png = png.display().to_string()
            )))
        }
        _ => {
            let mut name = p.as_os_str().to_owned();
            name.push(".png");
            Ok(PathBuf::from(name))
        }
    }
}

/// Refuses a blank caption before anything slow happens.
pub fn check_caption(caption: &str) -> Result<(), BadInput> {
    if caption.trim().is_empty() {
        return Err(BadInput(msg!("caption-empty")));
    }
    Ok(())
}

/// The warning for prompt words past the text encoder's window, in words a user knows: the
/// tokenizer's pieces are joined back into readable text ("maps , air" becomes "maps, air").
pub fn dropped_words_warning(words: &[String]) -> Message {
    let mut text = words.join(" ");
    for p in [",", ".", ";", ":", "!", "?", ")"] {
        text = text.replace(&format!(" {p}"), p);
    }
    msg!("warn-dropped-words", words = text.trim())
}

/// What the user should hear about how caption and style were fitted to the model, decided
/// with the final guidance (the composer only knows the style's): one note per fact, in plain
/// words. Notes about the negative prompt are left out when guidance is off, since it is not
/// used at all then.
fn composition_notes(
    composed: Option<&crate::style::compose::ComposedPrompt>,
    model: &ResolvedModel,
    guidance: f64,
) -> Vec<Message> {
    let Some(c) = composed else {
        return Vec::new();
    };
    let negative_used = guidance > 1.0 && model.lcm != Some(LcmKind::GuidanceEmbedding);
    c.fitting_notes(model.family, negative_used)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The write check's file, left by a run killed between making and removing it, is one
    /// the next run's clean-up recognises as its own.
    #[test]
    fn a_left_write_check_file_is_cleaned_up_like_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let left = write_check_file(dir.path())
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        let removed =
            crate::output::remove_stale_temporaries(dir.path(), std::time::Duration::ZERO);
        assert_eq!(removed, vec![left]);
    }
}
