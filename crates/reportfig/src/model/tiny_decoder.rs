//! Where a draft's tiny preview decoder (`--decoder tiny --tiny-decoder NAME`) comes from: a
//! preset (`taesd`, `taesdxl`), a hub repo in diffusers' `AutoencoderTiny` layout, or a
//! local folder; without a name, the preset for the model's family.

use std::path::PathBuf;

use crate::model::presets::{self, TinyDecoderPreset};
use crate::model::source::{self, DownloadEvent, HubOptions, ModelSource, SourceError};
use reportfig_engine::family::ModelFamily;

/// The files of an `AutoencoderTiny` folder.
const FILES: [&str; 1] = ["config.json"];
const WEIGHTS: [&str; 1] = ["diffusion_pytorch_model.safetensors"];
/// Every file of a tiny decoder's snapshot, as `models export` copies it.
pub const FILES_AND_WEIGHTS: [&str; 2] = ["config.json", "diffusion_pytorch_model.safetensors"];

/// A tiny decoder as the user named it (or the family's default).
#[derive(Debug, Clone, PartialEq)]
pub enum TinyDecoderSource {
    Preset(&'static TinyDecoderPreset),
    Hub { repo: String, revision: String },
    Folder(PathBuf),
}

/// `--decoder tiny`: the tiny decoder named with `--tiny-decoder`, or `None` for the one
/// that reads the model's family's latents.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftDecoder(pub Option<TinyDecoderSource>);

impl DraftDecoder {
    /// The decoder to use with a model of `family`.
    pub fn source(&self, family: ModelFamily) -> TinyDecoderSource {
        self.0
            .clone()
            .unwrap_or_else(|| TinyDecoderSource::for_family(family))
    }
}

/// Why `--tiny-decoder` names nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum TinyDecoderNameError {
    #[error("there is no tiny decoder \"{name}\" and no folder of that name; the presets are {presets}, or give a folder or a hub repo (org/name) in diffusers' AutoencoderTiny layout")]
    Unknown { name: String, presets: String },
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl TinyDecoderSource {
    /// The preset that reads `family`'s latents: taesdxl for SDXL, taesd otherwise.
    pub fn for_family(family: ModelFamily) -> Self {
        let sdxl = matches!(family, ModelFamily::Sdxl | ModelFamily::SdxlTurbo);
        TinyDecoderSource::Preset(presets::default_tiny_decoder(sdxl))
    }

    /// A preset name, an existing folder, or `org/name[@revision]`.
    pub fn parse(text: &str) -> Result<Self, TinyDecoderNameError> {
        let t = text.trim();
        if let Some(p) = presets::find_tiny_decoder(t) {
            return Ok(TinyDecoderSource::Preset(p));
        }
        let unknown = || TinyDecoderNameError::Unknown {
            name: t.to_string(),
            presets: presets::tiny_decoders()
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        if t.is_empty() {
            return Err(unknown());
        }
        if std::path::Path::new(t).is_dir() {
            return Ok(TinyDecoderSource::Folder(PathBuf::from(t)));
        }
        if !t.contains('/') || std::path::Path::new(t).exists() {
            return Err(unknown());
        }
        // Read as `--model` reads a name: a relative path that does not exist is refused
        // there, an `org/name` is a repo.
        match ModelSource::parse(t)? {
            ModelSource::Hub { repo, revision } => Ok(TinyDecoderSource::Hub { repo, revision }),
            _ => Err(unknown()),
        }
    }

    /// What the PNG records and messages show: the preset, the repo, or the folder.
    pub fn label(&self) -> String {
        match self {
            TinyDecoderSource::Preset(p) => p.name.clone(),
            TinyDecoderSource::Hub { repo, revision } if revision == "main" => repo.clone(),
            TinyDecoderSource::Hub { repo, revision } => format!("{repo}@{revision}"),
            TinyDecoderSource::Folder(p) => p.display().to_string(),
        }
    }

    /// The folder holding the decoder's files, downloading them into the hub cache unless
    /// offline (then only found there; the error names `models fetch NAME`).
    pub fn resolve(
        &self,
        hub: &HubOptions,
        progress: &mut dyn FnMut(DownloadEvent),
    ) -> Result<PathBuf, SourceError> {
        let (repo, revision) = match self {
            TinyDecoderSource::Folder(dir) => return Ok(dir.clone()),
            TinyDecoderSource::Preset(p) => (p.repo.as_str(), p.revision.as_str()),
            TinyDecoderSource::Hub { repo, revision } => (repo.as_str(), revision.as_str()),
        };
        source::resolve_repo_files(
            &source::RepoFilesRequest {
                repo,
                revision,
                fetch_name: self.label(),
                what: "tiny decoder",
                required: &FILES,
                one_of: &WEIGHTS,
            },
            hub,
            progress,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_preset_folder_or_repo() {
        assert_eq!(
            TinyDecoderSource::for_family(ModelFamily::SdxlTurbo).label(),
            "taesdxl"
        );
        assert_eq!(
            TinyDecoderSource::for_family(ModelFamily::Turbo).label(),
            "taesd"
        );
        assert_eq!(TinyDecoderSource::parse("TAESD").unwrap().label(), "taesd");
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_str().unwrap();
        assert_eq!(
            TinyDecoderSource::parse(folder).unwrap(),
            TinyDecoderSource::Folder(dir.path().to_path_buf())
        );
        assert_eq!(
            TinyDecoderSource::parse("someone/taesd-finetune").unwrap(),
            TinyDecoderSource::Hub {
                repo: "someone/taesd-finetune".into(),
                revision: "main".into()
            }
        );
        let e = TinyDecoderSource::parse("tiny").unwrap_err().to_string();
        assert!(
            e.contains("\"tiny\"") && e.contains("taesd, taesdxl"),
            "{e}"
        );
    }
}
