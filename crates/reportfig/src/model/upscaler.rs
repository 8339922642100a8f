//! Where `--print`'s learned upscaler comes from (`--upscaler NAME|DIR|FILE`): a preset
//! (`realesr-general-x4v3`), a folder (`model.safetensors` with an optional `config.json`, or
//! one `.pth`), or a `.pth` file as Real-ESRGAN releases it.
//!
//! A preset is looked for first in the data folder (`<data>/upscalers/<name>/`, where a file
//! carried on a USB stick goes), then in the Hugging Face cache, and downloaded into the cache
//! through the same hub code as models unless offline. A `.pth` is read by the engine's
//! tensor-only unpickler, so nothing in it runs and no Python is needed.

use std::path::{Path, PathBuf};

use crate::model::presets::{self, UpscalerPreset};
use crate::model::source::{self, DownloadEvent, HubOptions, RepoFilesRequest};
use crate::msg;
use reportfig_engine::pipeline::upscale::WEIGHTS_FILE;

/// An upscaler as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpscalerSource {
    Preset(&'static UpscalerPreset),
    Folder(PathBuf),
    /// A `.pth` file.
    File(PathBuf),
}

/// Why `--upscaler` names nothing usable.
#[derive(Debug, thiserror::Error)]
#[error("there is no upscaler \"{name}\" and no folder or .pth file of that name; the presets are {presets}")]
pub struct UnknownUpscaler {
    pub name: String,
    pub presets: String,
}

impl UpscalerSource {
    /// A preset name, an existing folder, or an existing `.pth` file.
    pub fn parse(text: &str) -> Result<Self, UnknownUpscaler> {
        let t = text.trim();
        if let Some(p) = presets::find_upscaler(t) {
            return Ok(Self::Preset(p));
        }
        let path = Path::new(t);
        if !t.is_empty() && path.is_dir() {
            return Ok(Self::Folder(path.to_path_buf()));
        }
        let pth = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("pth"));
        if pth && path.is_file() {
            return Ok(Self::File(path.to_path_buf()));
        }
        Err(UnknownUpscaler {
            name: t.to_string(),
            presets: presets::upscalers()
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// What messages and the PNG's print record call it: the preset, or the folder's or
    /// file's name.
    pub fn label(&self) -> String {
        match self {
            Self::Preset(p) => p.name.clone(),
            Self::Folder(p) | Self::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| p.display().to_string()),
        }
    }

    /// The folder or `.pth` file to load. `data_dir` is the user's data folder (a preset is
    /// looked for in `data_dir/upscalers/<name>/` first); a preset not there comes from the
    /// hub cache, downloaded unless `hub.offline`. A preset that cannot be had says where to
    /// download the file by hand and where to put it.
    pub fn resolve(
        &self,
        data_dir: Option<&Path>,
        hub: &HubOptions,
        progress: &mut dyn FnMut(DownloadEvent),
    ) -> anyhow::Result<PathBuf> {
        let p = match self {
            Self::Folder(p) | Self::File(p) => return Ok(p.clone()),
            Self::Preset(p) => p,
        };
        let local = data_dir.map(|d| preset_folder(d, p));
        if let Some(dir) = &local {
            if dir.join(&p.file).is_file() || dir.join(WEIGHTS_FILE).is_file() {
                return Ok(dir.clone());
            }
        }
        let snapshot = source::resolve_repo_files(
            &RepoFilesRequest {
                repo: &p.repo,
                revision: &p.revision,
                fetch_name: p.name.clone(),
                what: "upscaler",
                required: &[],
                one_of: &[p.file.as_str()],
            },
            hub,
            progress,
        )
        .map_err(|e| {
            let folder = local
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| format!("upscalers/{}", p.name));
            anyhow::Error::new(e).context(msg!(
                "upscaler-preset-unavailable",
                name = p.name.as_str(),
                url = p.release_url.as_str(),
                file = p.file.as_str(),
                folder = folder
            ))
        })?;
        Ok(snapshot.join(&p.file))
    }
}

/// Where a preset's file is found without the hub: `data_dir/upscalers/<name>/`.
pub fn preset_folder(data_dir: &Path, preset: &UpscalerPreset) -> PathBuf {
    data_dir.join("upscalers").join(&preset.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_preset_folder_or_file() {
        let p = UpscalerSource::parse("RealESR-General-x4v3").unwrap();
        assert_eq!(p.label(), "realesr-general-x4v3");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            UpscalerSource::parse(dir.path().to_str().unwrap()).unwrap(),
            UpscalerSource::Folder(dir.path().to_path_buf())
        );
        let pth = dir.path().join("net.pth");
        std::fs::write(&pth, b"x").unwrap();
        let f = UpscalerSource::parse(pth.to_str().unwrap()).unwrap();
        assert_eq!(f, UpscalerSource::File(pth.clone()));
        assert_eq!(f.label(), "net.pth");
        let other = dir.path().join("net.bin");
        std::fs::write(&other, b"x").unwrap();
        for bad in ["esrgan", "", other.to_str().unwrap()] {
            let e = UpscalerSource::parse(bad).unwrap_err().to_string();
            assert!(e.contains("realesr-general-x4v3"), "{e}");
        }
    }
}
