//! What one image is made from: the checked request every front end (generate, batch,
//! compare) hands to the pipeline, and what is recorded in the PNG so it can be made again.

use serde::{Deserialize, Serialize};

use crate::pipeline::scheduler::SamplerKind;

/// The largest classifier-free guidance scale a request may ask for. Models are used at 0-15;
/// far beyond, the guided noise estimate overflows f16 and f32 alike (1e308 gives an
/// all-black picture), so a larger value is a typing mistake, not a setting.
pub const MAX_GUIDANCE: f64 = 30.0;

/// One image to make. Every field is already validated (sizes are multiples of the model's
/// pixel stride, steps > 0, guidance >= 0) by whoever built it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationRequest {
    /// The caption as the user wrote it, before any style was applied.
    pub caption: String,
    /// The caption in English when the one typed was not (translated, or given by the user
    /// with `{en=...}`): the style is composed around this instead of `caption`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption_en: Option<String>,
    /// What made `caption_en`: a translator (`opus-mt-ko-en`, a repo or a folder, with the
    /// glossary named when one was applied), or `given` for the user's own English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translated_by: Option<String>,
    /// Style names applied, in order (`--style a+b`), empty when the caption is the prompt.
    #[serde(default)]
    pub styles: Vec<String>,
    /// The prompt the text encoder sees.
    pub prompt: String,
    /// `None`: no negative prompt (SDXL then uses zero conditioning, as diffusers does);
    /// `Some("")` is an explicit empty negative prompt and is encoded.
    pub negative_prompt: Option<String>,
    pub width: u32,
    pub height: u32,
    pub steps: u32,
    pub guidance: f64,
    pub seed: u64,
    /// Stored by name (`euler-a`); `None` uses the model's own `scheduler_config.json`.
    pub sampler: Option<SamplerKind>,
    /// The model as the user named it: a preset, `org/name[@revision]` or a folder.
    pub model: String,
    /// The exact revision (commit) the weights came from, when known.
    #[serde(default)]
    pub model_revision: Option<String>,
    /// `--exact-ratio`: the finished image is cropped (centred) to this width:height ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop_to_ratio: Option<(u32, u32)>,
    /// LoRAs merged into the model's weights, in the order they were applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loras: Vec<AppliedLora>,
    /// The tiny preview decoder (TAESD) that turned the latents into the picture instead of
    /// the model's own VAE, as the user named it: a draft, to be made again without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_decoder: Option<String>,
    /// Image-to-image: the picture this one starts from and how far it is repainted. The
    /// pixels themselves are handed to the pipeline beside the request; this records which
    /// file they were, so the image can be made again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_image: Option<InitImage>,
}

/// The starting picture of an image-to-image request, as recorded in the PNG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitImage {
    /// The file's name as the user gave it (no folders: a record, not a path to open).
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// How much of the picture is repainted, in (0, 1]: 1 keeps only its colours' hint, 0.3
    /// keeps the layout and most detail. The last `floor(steps * strength)` steps run.
    pub strength: f64,
    /// Inpainting: the mask whose white region alone is repainted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<RecordedFile>,
}

/// A file an image was made from, by name and content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFile {
    /// The file's name as the user gave it (no folders).
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

impl InitImage {
    /// Whether `strength` is one an image-to-image request can use.
    pub fn strength_is_valid(strength: f64) -> bool {
        strength > 0.0 && strength <= 1.0
    }
}

/// One LoRA an image was made with, as recorded so the image can be made again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedLora {
    /// The name in A1111's `<lora:name:weight>`: the file's name without `.safetensors`.
    pub name: String,
    /// As the user named it: a file path, or a hub repo id with an optional `/file`.
    pub source: String,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
    pub weight: f64,
}
