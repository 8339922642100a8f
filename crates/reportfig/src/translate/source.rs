//! Where the translator comes from, as the user named it with `--translator`: a preset
//! (`opus-mt-ko-en`), a Hugging Face repo (`org/name[@revision]`) or a local folder in the
//! Hugging Face layout. Hub downloads share the image models' cache and checks.

use std::path::PathBuf;

use reportfig_engine::translate::{TranslateError, TranslatorFiles};

use crate::model::presets::{self, TranslatorPreset};
use crate::model::source::{self, DownloadEvent, HubOptions, SourceError};

/// The files a Marian translator needs, besides one of the two weight files.
pub const TRANSLATOR_FILES: [&str; 6] = [
    "config.json",
    "generation_config.json",
    "source.spm",
    "target.spm",
    "vocab.json",
    "tokenizer_config.json",
];

/// The weight files, in the order they are preferred.
pub const TRANSLATOR_WEIGHTS: [&str; 2] = ["model.safetensors", "pytorch_model.bin"];

#[derive(Debug, thiserror::Error)]
pub enum TranslatorError {
    #[error("--translator is empty\nhint: give a translator preset ({presets}), a Hugging Face repo id or a folder")]
    Empty { presets: String },
    #[error("unknown translator {name:?}: it is not a preset, not a Hugging Face repo id and not a folder\nhint: translator presets: {presets}; or a repo such as Helsinki-NLP/opus-mt-ko-en, or a folder holding config.json, source.spm, target.spm, vocab.json and the weights")]
    Unknown { name: String, presets: String },
    #[error("translator folder {} does not exist\nhint: check the path, or give a translator preset ({presets})", path.display())]
    FolderNotFound { path: PathBuf, presets: String },
    #[error("the translator {name} cannot be used: {source}")]
    Load {
        name: String,
        #[source]
        source: TranslateError,
    },
    #[error("the translator {name}: {source}")]
    Files {
        name: String,
        #[source]
        source: TranslateError,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl TranslatorError {
    /// Whether the user can fix this (exit 2): everything but a failed computation.
    pub fn is_user_input(&self) -> bool {
        match self {
            TranslatorError::Load { source, .. } | TranslatorError::Files { source, .. } => {
                !matches!(source, TranslateError::Compute(_))
            }
            TranslatorError::Source(e) => e.is_user_input(),
            _ => true,
        }
    }
}

/// A translator as the user named it.
#[derive(Debug, Clone, PartialEq)]
pub enum TranslatorSource {
    Preset(&'static TranslatorPreset),
    Hub { repo: String, revision: String },
    Folder(PathBuf),
}

impl TranslatorSource {
    pub fn parse(text: &str) -> Result<TranslatorSource, TranslatorError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TranslatorError::Empty {
                presets: presets::translator_names(),
            });
        }
        if let Some(p) = presets::find_translator(t) {
            return Ok(TranslatorSource::Preset(p));
        }
        if !t.contains(['/', '\\', std::path::MAIN_SEPARATOR]) && !std::path::Path::new(t).exists()
        {
            return Err(TranslatorError::Unknown {
                name: t.to_string(),
                presets: presets::translator_names(),
            });
        }
        // What is left reads as `--model` does: a folder, or `org/name[@revision]`.
        match source::ModelSource::parse(t)? {
            source::ModelSource::Local(path) if path.is_dir() => Ok(TranslatorSource::Folder(path)),
            source::ModelSource::Local(path) => Err(TranslatorError::FolderNotFound {
                path,
                presets: presets::translator_names(),
            }),
            source::ModelSource::Hub { repo, revision } => {
                Ok(TranslatorSource::Hub { repo, revision })
            }
            source::ModelSource::Preset(_) => Err(TranslatorError::Unknown {
                name: t.to_string(),
                presets: presets::translator_names(),
            }),
        }
    }

    /// The name to show and record: the preset or repo as typed, or the folder.
    pub fn display_name(&self) -> String {
        match self {
            TranslatorSource::Preset(p) => p.name.clone(),
            TranslatorSource::Hub { repo, revision } if revision == "main" => repo.clone(),
            TranslatorSource::Hub { repo, revision } => format!("{repo}@{revision}"),
            TranslatorSource::Folder(p) => p.display().to_string(),
        }
    }

    /// A file-name-safe name for the converted-weights folder.
    pub fn cache_name(&self) -> String {
        let raw = match self {
            TranslatorSource::Preset(p) => format!("{}--{}", p.repo, p.revision),
            TranslatorSource::Hub { repo, revision } => format!("{repo}--{revision}"),
            TranslatorSource::Folder(p) => {
                use sha2::{Digest, Sha256};
                let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                let h = Sha256::digest(abs.to_string_lossy().as_bytes());
                format!("folder-{:x}", h)[..23].to_string()
            }
        };
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    }
}

/// Finds the translator's files, downloading what is missing from the hub unless offline.
pub fn resolve(
    src: &TranslatorSource,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<TranslatorFiles, TranslatorError> {
    let files_err = |source| TranslatorError::Files {
        name: src.display_name(),
        source,
    };
    match src {
        TranslatorSource::Folder(dir) => TranslatorFiles::from_folder(dir).map_err(files_err),
        TranslatorSource::Preset(p) => {
            let first = source::resolve_repo_files(
                &hub_request(&p.repo, &p.revision, &p.name),
                opts,
                progress,
            );
            let dir = match (first, &p.fallback_revision) {
                (Err(SourceError::RepoNotFound { .. }), Some(fallback)) => {
                    source::resolve_repo_files(
                        &hub_request(&p.repo, fallback, &p.name),
                        opts,
                        progress,
                    )?
                }
                (r, _) => r?,
            };
            TranslatorFiles::from_folder(&dir).map_err(files_err)
        }
        TranslatorSource::Hub { repo, revision } => {
            let dir = source::resolve_repo_files(
                &hub_request(repo, revision, &src.display_name()),
                opts,
                progress,
            )?;
            TranslatorFiles::from_folder(&dir).map_err(files_err)
        }
    }
}

fn hub_request<'a>(
    repo: &'a str,
    revision: &'a str,
    fetch_name: &str,
) -> source::RepoFilesRequest<'a> {
    source::RepoFilesRequest {
        repo,
        revision,
        fetch_name: fetch_name.to_string(),
        what: "translator",
        required: &TRANSLATOR_FILES,
        one_of: &TRANSLATOR_WEIGHTS,
    }
}
