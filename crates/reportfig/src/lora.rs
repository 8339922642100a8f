//! `--lora FILE_OR_REPO[:WEIGHT]` and a style's `loras`: what the user wrote, the file it
//! names (a local `.safetensors`, or a Hugging Face repo through the hub cache), and the record
//! an image keeps of it (name, SHA-256, weight) in A1111's `<lora:name:weight>` convention.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::model::source::{self, DownloadEvent, HubOptions, RepoFilesRequest};
use reportfig_engine::pipeline::lora::{Lora, LoraFile};
use reportfig_engine::request::AppliedLora;

/// The file diffusers' `save_lora_weights` writes, taken from a repo when none is named.
pub const DEFAULT_HUB_FILE: &str = "pytorch_lora_weights.safetensors";

/// Largest weight magnitude accepted; LoRAs are used between about -2 and 2.
pub const MAX_WEIGHT: f64 = 10.0;

/// One LoRA as the user named it, not yet found.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraSpec {
    /// A path, or `org/name[@revision][/file.safetensors]`.
    pub source: String,
    pub weight: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoraSpecError {
    #[error("--lora is empty\nhint: give a .safetensors file or a Hugging Face repo id, optionally with a weight: --lora my-style.safetensors:0.8")]
    Empty,
    #[error("the LoRA weight `{weight}` in `{spec}` is not a number between -{MAX_WEIGHT} and {MAX_WEIGHT}\nhint: write FILE_OR_REPO:WEIGHT, such as city.safetensors:0.8 (without a weight it is 1.0)")]
    BadWeight { spec: String, weight: String },
    #[error("the LoRA file {} does not exist\nhint: check the path, or give a Hugging Face repo id such as latent-consistency/lcm-lora-sdv1-5", path.display())]
    NotFound { path: PathBuf },
    #[error("{} is not a .safetensors file\nhint: reportfig reads LoRAs only as .safetensors (convert a .pt/.ckpt LoRA once with the safetensors tools)", path.display())]
    NotSafetensors { path: PathBuf },
    #[error("the Hugging Face repo {repo} has no {file}\nhint: name the LoRA file inside the repo: --lora {repo}/FILE.safetensors (see the repo's file list)")]
    HubMissingFile { repo: String, file: String },
    #[error("the folder {} holds {count} .safetensors files, so which LoRA is meant is unclear\nhint: name the file itself: --lora {}/FILE.safetensors", path.display(), path.display())]
    Ambiguous { path: PathBuf, count: usize },
}

impl FromStr for LoraSpec {
    type Err = LoraSpecError;

    /// `FILE_OR_REPO[:WEIGHT]`: the weight is what follows the last `:` when that is a
    /// number, so `C:\loras\x.safetensors` keeps its drive letter.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (source, weight) = match s.rsplit_once(':') {
            Some((head, tail)) if !head.is_empty() && !tail.contains(['\\', '/']) => {
                let w: f64 = tail.trim().parse().map_err(|_| LoraSpecError::BadWeight {
                    spec: s.to_string(),
                    weight: tail.to_string(),
                })?;
                (head, w)
            }
            _ => (s, 1.0),
        };
        if !(weight.is_finite() && weight.abs() <= MAX_WEIGHT) {
            return Err(LoraSpecError::BadWeight {
                spec: s.to_string(),
                weight: weight.to_string(),
            });
        }
        if source.trim().is_empty() {
            return Err(LoraSpecError::Empty);
        }
        Ok(Self {
            source: source.trim().to_string(),
            weight,
        })
    }
}

/// Where a LoRA's file is: on disk as given, or in a hub repo.
#[derive(Debug, Clone, PartialEq)]
enum Place {
    File(PathBuf),
    Hub {
        repo: String,
        revision: String,
        file: Option<String>,
    },
}

fn place(source: &str) -> Result<Place, LoraSpecError> {
    let path = Path::new(source);
    let pathlike = source.starts_with(['.', '/', '~', '\\'])
        || path.is_absolute()
        || path.exists()
        || source.matches('/').count() < 1;
    if pathlike {
        return Ok(Place::File(path.to_path_buf()));
    }
    // `org/name[@rev]` then an optional file path inside the repo.
    let mut parts = source.splitn(3, '/');
    let (org, name, file) = (parts.next(), parts.next(), parts.next());
    let (Some(org), Some(name)) = (org, name) else {
        return Ok(Place::File(path.to_path_buf()));
    };
    let (name, revision) = name.split_once('@').unwrap_or((name, "main"));
    if source.ends_with(".safetensors") && file.is_none() {
        // `folder/x.safetensors` that does not exist: a path, reported as missing.
        return Ok(Place::File(path.to_path_buf()));
    }
    Ok(Place::Hub {
        repo: format!("{org}/{name}"),
        revision: revision.to_string(),
        file: file.map(str::to_string),
    })
}

/// The LoRA file of a local path: the file, or the one LoRA in a folder.
fn local_file(path: &Path) -> Result<PathBuf, LoraSpecError> {
    if path.is_dir() {
        let default = path.join(DEFAULT_HUB_FILE);
        if default.is_file() {
            return Ok(default);
        }
        let found: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
                    .collect()
            })
            .unwrap_or_default();
        return match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(LoraSpecError::NotFound {
                path: path.join(DEFAULT_HUB_FILE),
            }),
            more => Err(LoraSpecError::Ambiguous {
                path: path.to_path_buf(),
                count: more.len(),
            }),
        };
    }
    if !path.is_file() {
        return Err(LoraSpecError::NotFound {
            path: path.to_path_buf(),
        });
    }
    if path.extension().is_none_or(|e| e != "safetensors") {
        return Err(LoraSpecError::NotSafetensors {
            path: path.to_path_buf(),
        });
    }
    Ok(path.to_path_buf())
}

/// A LoRA found, read and checked on its own (not yet against a model).
#[derive(Debug, Clone)]
pub struct ResolvedLora {
    /// What the image records.
    pub record: AppliedLora,
    pub lora: Lora,
}

/// Finds the file `spec` names (downloading a hub LoRA into the cache unless offline) and
/// reads it.
pub fn resolve(
    spec: &LoraSpec,
    hub: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> anyhow::Result<ResolvedLora> {
    let (path, name) = match place(&spec.source)? {
        Place::File(p) => {
            let p = local_file(&expand_home(&p))?;
            let name = stem(&p);
            (p, name)
        }
        Place::Hub {
            repo,
            revision,
            file,
        } => {
            let found = fetch_hub(spec, &repo, &revision, file.as_deref(), hub, progress)?;
            let name = match &file {
                Some(f) => stem(Path::new(f)),
                None => repo.rsplit('/').next().unwrap_or(&repo).to_string(),
            };
            (found.snapshot.join(&found.file), name)
        }
    };
    let lora = Lora::open(&LoraFile {
        path,
        weight: spec.weight,
    })?;
    Ok(ResolvedLora {
        record: AppliedLora {
            name,
            source: spec.source.clone(),
            sha256: lora.sha256.clone(),
            weight: spec.weight,
        },
        lora,
    })
}

/// The record a plan shows for a hub LoRA that is not downloaded (`batch --dry-run` never
/// downloads): its name as [`resolve`] would give it, and no hash, so no existing figure
/// counts as made with it. `None` for a local file, which must exist even for a plan.
pub fn unfetched_record(spec: &LoraSpec) -> Option<AppliedLora> {
    let Ok(Place::Hub { repo, file, .. }) = place(&spec.source) else {
        return None;
    };
    let name = match &file {
        Some(f) => stem(Path::new(f)),
        None => repo.rsplit('/').next().unwrap_or(&repo).to_string(),
    };
    Some(AppliedLora {
        name,
        source: spec.source.clone(),
        sha256: String::new(),
        weight: spec.weight,
    })
}

/// A hub LoRA in the cache: its repo and revision, the snapshot folder and the file in it.
#[derive(Debug, Clone, PartialEq)]
pub struct HubLora {
    pub repo: String,
    pub revision: String,
    pub snapshot: PathBuf,
    pub file: String,
}

fn fetch_hub(
    spec: &LoraSpec,
    repo: &str,
    revision: &str,
    file: Option<&str>,
    hub: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> anyhow::Result<HubLora> {
    let wanted = file.unwrap_or(DEFAULT_HUB_FILE).to_string();
    let one_of = [wanted.as_str()];
    let req = RepoFilesRequest {
        repo,
        revision,
        fetch_name: spec.source.clone(),
        what: "LoRA",
        required: &[],
        one_of: &one_of,
    };
    let snapshot = source::resolve_repo_files(&req, hub, progress).map_err(|e| match e {
        // The hub's message speaks of a diffusers model; for a LoRA the fix is a file name.
        source::SourceError::RepoMissingFile { .. } => {
            anyhow::Error::from(LoraSpecError::HubMissingFile {
                repo: repo.to_string(),
                file: wanted.clone(),
            })
        }
        other => other.into(),
    })?;
    Ok(HubLora {
        repo: repo.to_string(),
        revision: revision.to_string(),
        snapshot,
        file: wanted,
    })
}

/// Where a hub LoRA's file is in the cache (downloading it unless offline), for bundles;
/// `None` for a LoRA that is a local file.
pub fn hub_lora(
    spec: &LoraSpec,
    hub: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> anyhow::Result<Option<HubLora>> {
    match place(&spec.source)? {
        Place::File(_) => Ok(None),
        Place::Hub {
            repo,
            revision,
            file,
        } => fetch_hub(spec, &repo, &revision, file.as_deref(), hub, progress).map(Some),
    }
}

fn expand_home(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| p.to_path_buf()),
        Err(_) => p.to_path_buf(),
    }
}

/// The name in `<lora:name:weight>`: the file name without `.safetensors`, and without
/// characters that would break the tag.
fn stem(p: &Path) -> String {
    let s = p
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    s.replace([':', '<', '>'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_the_last_colon() {
        let s: LoraSpec = "tiny.safetensors:0.5".parse().unwrap();
        assert_eq!((s.source.as_str(), s.weight), ("tiny.safetensors", 0.5));
        let s: LoraSpec = "latent-consistency/lcm-lora-sdv1-5".parse().unwrap();
        assert_eq!(s.weight, 1.0);
        let s: LoraSpec = r"C:\loras\x.safetensors:-0.3".parse().unwrap();
        assert_eq!(
            (s.source.as_str(), s.weight),
            (r"C:\loras\x.safetensors", -0.3)
        );
        let s: LoraSpec = r"C:\loras\x.safetensors".parse().unwrap();
        assert_eq!(s.weight, 1.0);
        assert!(matches!(
            "x.safetensors:strong".parse::<LoraSpec>(),
            Err(LoraSpecError::BadWeight { .. })
        ));
        assert!(matches!(
            "x.safetensors:50".parse::<LoraSpec>(),
            Err(LoraSpecError::BadWeight { .. })
        ));
        assert!(matches!(" ".parse::<LoraSpec>(), Err(LoraSpecError::Empty)));
    }

    #[test]
    fn repo_ids_and_paths() {
        assert_eq!(
            place("latent-consistency/lcm-lora-sdv1-5").unwrap(),
            Place::Hub {
                repo: "latent-consistency/lcm-lora-sdv1-5".into(),
                revision: "main".into(),
                file: None
            }
        );
        assert_eq!(
            place("org/name@v2/sub/x.safetensors").unwrap(),
            Place::Hub {
                repo: "org/name".into(),
                revision: "v2".into(),
                file: Some("sub/x.safetensors".into())
            }
        );
        assert_eq!(
            place("./org/x.safetensors").unwrap(),
            Place::File("./org/x.safetensors".into())
        );
        assert_eq!(
            place("x.safetensors").unwrap(),
            Place::File("x.safetensors".into())
        );
        assert_eq!(
            place("loras/x.safetensors").unwrap(),
            Place::File("loras/x.safetensors".into())
        );
    }
}
