//! Known models: a short name for a Hugging Face repo in diffusers layout, its licence, its
//! native size and the sampling defaults that suit it. The data lives in
//! `configs/presets.toml`, embedded at build time.
//!
//! A preset chooses a repo and defaults, never the architecture: networks are always built
//! from the repo's own config files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use reportfig_engine::pipeline::scheduler::SamplerKind;

const PRESETS_TOML: &str = include_str!("../../../../configs/presets.toml");

/// The model family a preset belongs to; styles pick their per-family overrides with it.
pub use reportfig_engine::family::ModelFamily as Family;

/// One known model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    /// Hugging Face repo id, `org/name`.
    pub repo: String,
    /// Branch, tag or commit; `main` unless pinned.
    pub revision: String,
    pub family: Family,
    /// Licence id as the repo card gives it (`sai-nc-community`, `openrail++`, ...).
    pub licence: String,
    /// One line in plain words: what the licence allows.
    pub licence_note: String,
    /// Non-commercial licences print a one-time notice when first used.
    pub non_commercial: bool,
    /// Native size in pixels: what the model was trained at.
    pub width: u32,
    pub height: u32,
    /// What the first use downloads, in megabytes, for messages (export, offline hints).
    pub download_mb: u32,
    pub steps: u32,
    pub guidance: f64,
    /// `None`: the repo's own `scheduler_config.json` decides.
    #[serde(default)]
    pub sampler: Option<SamplerKind>,
    /// Replaces the `timestep_spacing` of the repo's scheduler config (`trailing` for a LoRA
    /// distilled for few steps on a base model whose scheduler is `leading`).
    #[serde(default)]
    pub timestep_spacing: Option<String>,
    /// The model was distilled for exactly these steps, guidance and sampler, so a style's
    /// (written for the family's ordinary models: 30 steps, guidance 7) are set aside.
    #[serde(default)]
    pub distilled: bool,
    /// LoRAs that are part of the preset (`repo[/file.safetensors][:weight]`, as `--lora`
    /// takes them), merged in before any of the user's.
    #[serde(default)]
    pub loras: Vec<String>,
}

impl Preset {
    /// The preset's LoRAs as `--lora` values. They are checked by the presets test, so a bad
    /// one is a bug in the build.
    pub fn lora_specs(&self) -> Vec<crate::lora::LoraSpec> {
        self.loras
            .iter()
            .map(|s| {
                s.parse()
                    .unwrap_or_else(|e| panic!("preset {}: bad LoRA {s:?}: {e}", self.name))
            })
            .collect()
    }
}

/// One known translator (Korean captions into English prompts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslatorPreset {
    pub name: String,
    pub repo: String,
    /// Branch, tag or commit; pinned where a revision with safetensors weights is known.
    pub revision: String,
    /// Tried when the hub no longer has `revision`.
    #[serde(default)]
    pub fallback_revision: Option<String>,
    pub licence: String,
    pub licence_note: String,
    /// Printed once for licences that ask for attribution (CC BY).
    #[serde(default)]
    pub attribution: Option<String>,
    /// The download in megabytes, for messages.
    pub size_mb: u32,
}

/// One known tiny preview decoder (TAESD) for drafts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TinyDecoderPreset {
    pub name: String,
    pub repo: String,
    pub revision: String,
    /// Reads SDXL's latents (taesdxl) rather than SD 1.x/2.x's (taesd).
    pub sdxl: bool,
    pub licence: String,
    pub licence_note: String,
    /// The download in megabytes, for messages.
    pub size_mb: u32,
}

/// One known learned upscaler for `--print` (Real-ESRGAN compact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpscalerPreset {
    pub name: String,
    /// A Hugging Face repo holding the weights file as released.
    pub repo: String,
    /// Pinned to a commit: the repo is a user's upload, not the authors'.
    pub revision: String,
    /// The weights file in the repo (a `.pth`, read without executing anything).
    pub file: String,
    /// Where the authors publish the file, for a manual download.
    pub release_url: String,
    pub licence: String,
    pub licence_note: String,
    /// The download in megabytes, for messages.
    pub size_mb: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    default_model: String,
    models: Vec<Preset>,
    default_translator: String,
    translators: Vec<TranslatorPreset>,
    tiny_decoders: Vec<TinyDecoderPreset>,
    upscalers: Vec<UpscalerPreset>,
}

struct Presets {
    default_model: usize,
    models: Vec<Preset>,
    default_translator: usize,
    translators: Vec<TranslatorPreset>,
    tiny_decoders: Vec<TinyDecoderPreset>,
    upscalers: Vec<UpscalerPreset>,
}

fn presets() -> &'static Presets {
    static PRESETS: OnceLock<Presets> = OnceLock::new();
    PRESETS.get_or_init(|| {
        // The file is embedded at build time and checked by the tests, so a failure here is a
        // bug in the build, not something a user can cause.
        let file: PresetFile = toml::from_str(PRESETS_TOML)
            .unwrap_or_else(|e| panic!("configs/presets.toml is invalid: {e}"));
        let default_model = file
            .models
            .iter()
            .position(|p| p.name == file.default_model)
            .unwrap_or_else(|| {
                panic!(
                    "configs/presets.toml: default_model {:?} is not a preset",
                    file.default_model
                )
            });
        let default_translator = file
            .translators
            .iter()
            .position(|t| t.name == file.default_translator)
            .unwrap_or_else(|| {
                panic!(
                    "configs/presets.toml: default_translator {:?} is not a translator",
                    file.default_translator
                )
            });
        Presets {
            default_model,
            models: file.models,
            default_translator,
            translators: file.translators,
            tiny_decoders: file.tiny_decoders,
            upscalers: file.upscalers,
        }
    })
}

/// Every preset, in the order of `configs/presets.toml`.
pub fn all() -> &'static [Preset] {
    &presets().models
}

/// The preset `generate` uses without `--model`.
pub fn default_preset() -> &'static Preset {
    let p = presets();
    &p.models[p.default_model]
}

/// A preset by name, ignoring ASCII case.
pub fn find(name: &str) -> Option<&'static Preset> {
    all().iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The preset whose repo is `repo` (`org/name`, ASCII case ignored as the hub does), so a
/// model named by repo id still gets its licence notice.
pub fn find_by_repo(repo: &str) -> Option<&'static Preset> {
    // A preset that adds LoRAs is not what the bare repo is (sd15-lcm is SD 1.5 plus more).
    all()
        .iter()
        .filter(|p| p.loras.is_empty())
        .find(|p| p.repo.eq_ignore_ascii_case(repo))
}

/// Every tiny preview decoder preset, in file order.
pub fn tiny_decoders() -> &'static [TinyDecoderPreset] {
    &presets().tiny_decoders
}

/// A tiny decoder preset by name (ASCII case ignored).
pub fn find_tiny_decoder(name: &str) -> Option<&'static TinyDecoderPreset> {
    tiny_decoders()
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

/// The tiny decoder that reads `sdxl`'s latents (SDXL) or SD 1.x/2.x's.
pub fn default_tiny_decoder(sdxl: bool) -> &'static TinyDecoderPreset {
    tiny_decoders()
        .iter()
        .find(|t| t.sdxl == sdxl)
        .unwrap_or_else(|| panic!("configs/presets.toml has no tiny decoder with sdxl = {sdxl}"))
}

/// Every upscaler preset, in file order.
pub fn upscalers() -> &'static [UpscalerPreset] {
    &presets().upscalers
}

/// An upscaler preset by name (ASCII case ignored).
pub fn find_upscaler(name: &str) -> Option<&'static UpscalerPreset> {
    upscalers()
        .iter()
        .find(|u| u.name.eq_ignore_ascii_case(name))
}

/// Every translator preset, in file order.
pub fn translators() -> &'static [TranslatorPreset] {
    &presets().translators
}

/// The translator used for Hangul captions without `--translator`.
pub fn default_translator() -> &'static TranslatorPreset {
    let p = presets();
    &p.translators[p.default_translator]
}

/// A translator preset by name (ASCII case ignored).
pub fn find_translator(name: &str) -> Option<&'static TranslatorPreset> {
    translators()
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

/// The translator preset names joined with ", ", for messages.
pub fn translator_names() -> String {
    translators()
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The preset names joined with ", ", for messages.
pub fn names() -> String {
    all()
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Preset {
    /// The one-line notice shown the first time a non-commercial preset is used.
    pub fn licence_notice(&self) -> Option<String> {
        self.non_commercial.then(|| {
            format!(
                "note: {} ({}) is under the {} licence. {}",
                self.name, self.repo, self.licence, self.licence_note
            )
        })
    }
}

fn marker_path(preset: &Preset, state_dir: &Path) -> PathBuf {
    state_dir
        .join("licence-notices")
        .join(format!("{}.shown", preset.name))
}

/// The licence notice for `preset` if it is due: a non-commercial licence whose notice has
/// not been recorded as shown in `state_dir` (the platform data dir in the binary).
///
/// Showing does not record it: [`record_licence_notice_shown`] does, once the run that showed
/// it has succeeded, so a notice printed above an error (a typo in the next argument, a failed
/// download) appears again on the run that works.
pub fn due_licence_notice(preset: &Preset, state_dir: &Path) -> Option<String> {
    let notice = preset.licence_notice()?;
    (!marker_path(preset, state_dir).exists()).then_some(notice)
}

/// Records that `preset`'s licence notice has been shown, so it does not appear again. If the
/// marker cannot be written nothing is lost: the notice shows again next time, which is better
/// than never showing it.
pub fn record_licence_notice_shown(preset: &Preset, state_dir: &Path) {
    if preset.licence_notice().is_none() {
        return;
    }
    let marker = marker_path(preset, state_dir);
    if let Some(parent) = marker.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(&marker, format!("{}\n", preset.licence));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_has_a_tiny_decoder() {
        assert_eq!(default_tiny_decoder(false).repo, "madebyollin/taesd");
        assert_eq!(default_tiny_decoder(true).repo, "madebyollin/taesdxl");
        assert_eq!(find_tiny_decoder("TAESDXL").map(|t| t.sdxl), Some(true));
        for t in tiny_decoders() {
            assert_eq!(t.licence, "mit", "{}: drafts must be free to use", t.name);
        }
    }

    #[test]
    fn embedded_presets_parse_and_are_sane() {
        let names: Vec<_> = all().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "sd15-lcm",
                "sd-turbo",
                "sdxl-turbo",
                "sd15",
                "sd21",
                "sdxl",
                "sdxl-lightning",
                "lcm-dreamshaper"
            ]
        );
        // The default must be free for commercial use: a press release may count as one.
        assert_eq!(default_preset().name, "sd15-lcm");
        assert!(!default_preset().non_commercial);
        assert_eq!(default_preset().lora_specs().len(), 1);
        assert_eq!(
            find_by_repo("stable-diffusion-v1-5/stable-diffusion-v1-5").map(|p| p.name.as_str()),
            Some("sd15")
        );
        for p in all() {
            assert!(p.repo.split('/').count() == 2, "{}", p.repo);
            assert!(p.width % 8 == 0 && p.height % 8 == 0);
            assert!(p.steps > 0 && p.guidance >= 0.0);
            // presets.toml must spell its samplers exactly, as style files must.
            if let Some(s) = p.sampler {
                let raw = PRESETS_TOML.contains(&format!("sampler = \"{s}\""));
                assert!(raw, "{}: sampler {s} is not written by its name", p.name);
            }
            assert_eq!(p.non_commercial, p.licence == "sai-nc-community");
            // Every LoRA parses (lora_specs panics otherwise) and a spacing is one the
            // schedulers know.
            assert_eq!(p.lora_specs().len(), p.loras.len());
            if let Some(s) = &p.timestep_spacing {
                assert!(
                    ["leading", "trailing", "linspace"].contains(&s.as_str()),
                    "{s}"
                );
            }
        }
        let lightning = find("sdxl-lightning").unwrap();
        assert!(lightning.distilled && lightning.loras.len() == 1);
        assert_eq!(lightning.timestep_spacing.as_deref(), Some("trailing"));
        assert_eq!(find("SDXL").map(|p| p.width), Some(1024));
        assert_eq!(default_translator().name, "opus-mt-ko-en");
        for t in translators() {
            assert!(t.repo.split('/').count() == 2, "{}", t.repo);
            assert_eq!(t.attribution.is_some(), t.licence.starts_with("cc-by"));
        }
        assert_eq!(
            find_by_repo("stabilityai/SD-Turbo").map(|p| p.name.as_str()),
            Some("sd-turbo")
        );
    }

    #[test]
    fn notice_is_due_until_a_run_records_it() {
        let dir = tempfile::tempdir().unwrap();
        let turbo = find("sd-turbo").unwrap();
        let first = due_licence_notice(turbo, dir.path()).unwrap();
        assert!(first.contains("sai-nc-community"), "{first}");
        assert!(!first.contains('\n'));
        // Shown but not recorded (the run failed): still due.
        assert_eq!(due_licence_notice(turbo, dir.path()), Some(first));
        record_licence_notice_shown(turbo, dir.path());
        assert_eq!(due_licence_notice(turbo, dir.path()), None);
        // Each preset has its own marker, and open licences never show one or leave one.
        assert!(due_licence_notice(find("sdxl-turbo").unwrap(), dir.path()).is_some());
        let sd15 = find("sd15").unwrap();
        assert_eq!(due_licence_notice(sd15, dir.path()), None);
        record_licence_notice_shown(sd15, dir.path());
        assert!(!marker_path(sd15, dir.path()).exists());
    }
}
