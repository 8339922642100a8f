//! `manifest.json`: one entry per figure on disk, rebuilt from the PNGs' own metadata on every
//! run so shards that share a folder end with the same, complete manifest.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use reportfig_engine::pipeline::scheduler::SamplerKind;
use reportfig_engine::request::{AppliedLora, InitImage};

use super::{changed_fields, BatchError, Existing, FigureStore, Plan};

pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest. Field order is the serialised key order; nothing in it depends on the clock
/// except `seconds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// File name of the outline the figures illustrate.
    pub outline: String,
    pub figures: Vec<ManifestEntry>,
    /// Figures of the outline with no finished PNG yet (failed, cancelled or another shard's).
    #[serde(default)]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// 1-based position in the outline.
    pub figure: usize,
    pub file: String,
    pub caption: String,
    /// The caption in English when it was translated (or given with `en=`): what the style
    /// was composed around.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translated_by: Option<String>,
    /// Styles joined with `+`, as on the command line; `null` when none.
    pub style: Option<String>,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub model: String,
    pub model_revision: Option<String>,
    pub seed: u64,
    /// `WIDTHxHEIGHT` in pixels.
    pub size: String,
    pub steps: u32,
    pub guidance: f64,
    /// `null`: the model's own scheduler config.
    pub sampler: Option<SamplerKind>,
    /// LoRAs merged into the model (name, source, SHA-256, weight), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loras: Vec<AppliedLora>,
    /// `image=` as the outline names the starting picture (its path from the outline's
    /// folder), so the gallery's snippet makes the same figure again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `mask=` as the outline names it, like `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
    /// The starting picture the PNG records (file name, SHA-256, strength).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_image: Option<InitImage>,
    pub sha256: String,
    /// Wall time to make the image, when known (made by this run, or carried over from the
    /// previous manifest while the file is unchanged).
    pub seconds: Option<f64>,
    /// False when the PNG was made from a request that no longer matches the outline (e.g. a
    /// shard that has not re-run yet).
    pub up_to_date: bool,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A file's SHA-256 as lower-case hex, as the manifest records it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn read_previous(path: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// A path the outline named, as written from the outline's folder (`photos/harbour.jpg`).
fn from_outline(plan: &Plan, path: &Path) -> String {
    let base = plan.outline_path.parent().unwrap_or(Path::new(""));
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Builds the manifest of every outline figure whose PNG is on disk with readable metadata.
pub fn build_manifest(
    plan: &Plan,
    store: &dyn FigureStore,
    timings: &[(String, f64)],
    previous: Option<&Manifest>,
) -> Result<Manifest, BatchError> {
    let mut figures = Vec::new();
    let mut missing = Vec::new();
    for f in &plan.figures {
        let path = plan.out_dir.join(&f.job.file_name);
        let Existing::Made(r) = store.existing(&path) else {
            missing.push(f.job.file_name.clone());
            continue;
        };
        let r = *r;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                return Err(BatchError::Read {
                    path,
                    reason: (&e).into(),
                })
            }
        };
        let sha256 = sha256_hex(&bytes);
        let seconds = timings
            .iter()
            .find(|(file, _)| *file == f.job.file_name)
            .map(|(_, s)| *s)
            .or_else(|| {
                previous?
                    .figures
                    .iter()
                    .find(|e| e.file == f.job.file_name && e.sha256 == sha256)?
                    .seconds
            })
            .map(|s| (s * 100.0).round() / 100.0);
        let up_to_date = changed_fields(&r, &f.job.request).is_empty();
        figures.push(ManifestEntry {
            figure: f.job.index + 1,
            file: f.job.file_name.clone(),
            caption: r.caption,
            caption_en: r.caption_en,
            translated_by: r.translated_by,
            style: (!r.styles.is_empty()).then(|| r.styles.join("+")),
            prompt: r.prompt,
            negative_prompt: r.negative_prompt,
            model: r.model,
            model_revision: r.model_revision,
            seed: r.seed,
            size: format!("{}x{}", r.width, r.height),
            steps: r.steps,
            guidance: r.guidance,
            sampler: r.sampler,
            loras: r.loras,
            image: f
                .job
                .overrides
                .image
                .as_deref()
                .map(|p| from_outline(plan, p)),
            mask: f
                .job
                .overrides
                .mask
                .as_deref()
                .map(|p| from_outline(plan, p)),
            init_image: r.init_image,
            sha256,
            seconds,
            up_to_date,
        });
    }
    let outline = plan
        .outline_path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok(Manifest {
        outline,
        figures,
        missing,
    })
}
