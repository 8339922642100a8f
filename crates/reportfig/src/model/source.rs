//! Where the weights come from: a preset, a Hugging Face repo id (`org/name[@revision]`) or a
//! local folder in diffusers layout, resolved to [`ModelFiles`]: the path of every file the
//! pipeline reads.
//!
//! Hub downloads go through hf-hub's sync API into the standard Hugging Face cache
//! (`models--org--name/snapshots/<commit>/...`, `refs/<revision>`), so models fetched by
//! Python tools are reused and the other way round. Offline, only that cache is read.
//! Environment variables are read once, in [`HubOptions::from_env`]; everything below takes
//! the options as arguments.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hf_hub::api::sync::{ApiBuilder, ApiError};
use hf_hub::{Cache, Repo, RepoType};
use serde::Serialize;

use super::hub_cache::{self, check_revision, is_commit, plain, redact, shown, Failure, HubFiles};
use super::presets::{self, Preset};
use reportfig_engine::model::config::ModelIndex;
pub use reportfig_engine::model::files::{Component, ModelFiles, WeightLayout};
use reportfig_engine::model::single_file::{self, CheckpointArch, ComponentKind, SingleFileError};

const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

const LAYOUT_HELP: &str = "A diffusers-layout folder holds model_index.json, \
scheduler/scheduler_config.json, text_encoder/ (config.json, model.safetensors), \
tokenizer/ (tokenizer.json, or vocab.json + merges.txt + tokenizer_config.json), \
unet/ and vae/ (config.json, diffusion_pytorch_model.safetensors), and for SDXL also \
text_encoder_2/ and tokenizer_2/.";

/// Whether `e` (or an error under it) says a hub repo is not in the cache: the one failure a
/// plan that never downloads expects.
pub fn is_not_in_cache(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<SourceError>(),
            Some(SourceError::NotInCache { .. })
        )
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("--model is empty\nhint: give a preset ({presets}), a Hugging Face repo id such as stabilityai/sd-turbo, or a folder path")]
    Empty { presets: String },

    #[error("unknown model {name:?}: it is not a preset, not a Hugging Face repo id and not a folder\nhint: --model takes one of three forms:\n  a preset: {presets}\n  a Hugging Face repo in diffusers layout: org/name or org/name@revision\n  a local diffusers-layout folder: ./my-model, /data/models/sd15 or ~/models/sd15")]
    UnknownModel { name: String, presets: String },

    #[error("{value:?} is not a valid Hugging Face repo id: {reason}\nhint: write it as org/name or org/name@revision, for example stabilityai/sd-turbo@main")]
    BadRepoId { value: String, reason: &'static str },

    #[error("model folder {} does not exist\nhint: check the path, or give a preset ({presets}) or a Hugging Face repo id", path.display())]
    FolderNotFound { path: PathBuf, presets: String },

    #[error("{} is a file but not a .safetensors checkpoint\nhint: --model takes a single-file checkpoint only as .safetensors (SD 1.x, SD 2.x or SDXL base); convert a .ckpt once with a trusted tool, or give a diffusers-layout folder", path.display())]
    NotAFolder { path: PathBuf },

    #[error(transparent)]
    Checkpoint(Box<SingleFileError>),

    #[error("--model-config {value:?} names a file; it takes a diffusers-layout folder, a preset ({presets}) or a Hugging Face repo id whose configs describe the checkpoint")]
    ConfigNotAFolder { value: String, presets: String },

    #[error("offline: the checkpoint {} is {arch}, and the configs of that family's preset {preset} ({repo}) are not in the Hugging Face cache\nhint: run once without --offline (only its config and tokenizer files are downloaded, under 10 MB), or give --model-config a diffusers-layout folder of the same family", path.display())]
    CheckpointConfigNotCached {
        path: PathBuf,
        arch: &'static str,
        preset: String,
        repo: String,
    },

    #[error("--model-config is only for a single-file checkpoint; {model} is not one\nhint: leave --model-config out, or give --model a .safetensors checkpoint")]
    ConfigWithoutCheckpoint { model: String },

    #[error("model folder {} is missing {file}\nhint: {LAYOUT_HELP}", folder.display())]
    MissingInFolder { folder: PathBuf, file: String },

    #[error("{} is not a valid model_index.json: {detail}\nhint: it must be the JSON file diffusers writes next to the component folders", file.display())]
    BadModelIndex { file: PathBuf, detail: String },

    #[error("{model}: {file} holds PyTorch pickle weights; only .safetensors weights are supported\nhint: convert the model once with diffusers:\n  python -c \"from diffusers import DiffusionPipeline as P; P.from_pretrained('{model}').save_pretrained('my-model', safe_serialization=True)\"\nthen pass --model ./my-model")]
    UnsupportedWeights { model: String, file: String },

    #[error("{}: {detail}\nhint: only sharded weights whose index lists .safetensors files in the same folder are supported; merge the shards with diffusers' save_pretrained(max_shard_size=\"100GB\")", file.display())]
    BadShardIndex { file: PathBuf, detail: String },

    #[error("offline: {repo}@{revision} is not downloaded, or not completely ({file} is missing from the Hugging Face cache at {})\nhint: on a PC with internet run `reportfig models export {fetch_name} DIR`, bring that folder here and run `reportfig models import DIR`; or run without --offline (and HF_HUB_OFFLINE unset)", cache_dir.display())]
    NotInCache {
        repo: String,
        revision: String,
        file: String,
        cache_dir: PathBuf,
        fetch_name: String,
    },

    #[error("Hugging Face repo {repo} has no revision {revision:?}, or the repo does not exist or is private\nhint: {}", if *token_sent { "check the spelling on huggingface.co; the access token in HF_TOKEN was sent, so check that its account can see this repo and that the token has not expired" } else { "check the spelling on huggingface.co; for a private or gated repo set HF_TOKEN to an access token" })]
    RepoNotFound {
        repo: String,
        revision: String,
        /// Whether the request carried an access token: the hint to set one would then be
        /// wrong.
        token_sent: bool,
    },

    #[error("Hugging Face repo {repo} is gated: access was refused\nhint: {}", if *token_sent { "accept the model's licence on its page at huggingface.co with the account of the access token in HF_TOKEN (it was sent), or check that the token has not expired" } else { "accept the model's licence on its page at huggingface.co, then set HF_TOKEN to an access token of that account" })]
    Gated {
        repo: String,
        /// Whether the request carried an access token (then "set HF_TOKEN" is wrong).
        token_sent: bool,
    },

    #[error("Hugging Face repo {repo} is not in diffusers layout: it has no {file}\nhint: {LAYOUT_HELP}")]
    RepoMissingFile { repo: String, file: String },

    #[error("could not reach the Hugging Face hub at {endpoint} to get {what}: {detail}\nhint: check the internet connection (behind a proxy, set HTTPS_PROXY; a mirror: HF_ENDPOINT); a PC without internet gets models with `reportfig models export` on a PC that has it and `reportfig models import` here, then runs with --offline")]
    Network {
        endpoint: String,
        what: HubRequest,
        detail: String,
        /// What kind of failure `detail` (the network library's English) describes.
        cause: NetworkCause,
    },

    #[error("the Hugging Face hub at {endpoint} answered {detail} for {what}\nhint: try again later; if HF_ENDPOINT is set, check that it points at a Hugging Face hub")]
    HubAnswer {
        endpoint: String,
        what: HubRequest,
        detail: String,
    },

    #[error("the Hugging Face hub at {endpoint} sent {detail}\nhint: nothing was written outside the cache and no partial file was kept; if HF_ENDPOINT is set, point it at a hub you trust, or unset it to use huggingface.co")]
    HubLied { endpoint: String, detail: String },

    #[error("another download of {file} is under way (lock file {})\nhint: wait for it to finish, or delete the lock file if no other reportfig is running", lock.display())]
    Locked { file: HubRequest, lock: PathBuf },

    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("--offline: `models fetch` needs the internet\nhint: run it without --offline and with HF_HUB_OFFLINE unset")]
    FetchOffline,

    #[error("{} is a local folder: there is nothing to fetch\nhint: `models fetch` takes a preset ({presets}) or a Hugging Face repo id", path.display())]
    FetchLocal { path: PathBuf, presets: String },

    #[error("cannot find the Hugging Face cache folder: no home folder is known\nhint: set HF_HOME (or HF_HUB_CACHE) to a writable folder")]
    NoCacheDir,
}

impl From<SingleFileError> for SourceError {
    fn from(e: SingleFileError) -> Self {
        Self::Checkpoint(Box::new(e))
    }
}

impl SourceError {
    /// Whether the user can fix this (exit 2); an unreachable or failing hub is not the
    /// user's input (exit 1).
    pub fn is_user_input(&self) -> bool {
        !matches!(
            self,
            SourceError::Network { .. }
                | SourceError::HubAnswer { .. }
                | SourceError::HubLied { .. }
                | SourceError::Locked { .. }
        )
    }
}

/// Where a model comes from, as the user named it with `--model`.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    Preset(&'static Preset),
    Hub { repo: String, revision: String },
    Local(PathBuf),
}

impl ModelSource {
    /// Parses `--model`: a preset name, `org/name[@revision]`, or a folder. Preset names win
    /// over a folder of the same name (write `./sd15` for the folder); a path that starts
    /// with `.`, `/` or `~`, exists on disk, or is a directory is a folder.
    pub fn parse(s: &str) -> Result<Self, SourceError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SourceError::Empty {
                presets: presets::names(),
            });
        }
        if let Some(p) = presets::find(s) {
            return Ok(Self::Preset(p));
        }
        if looks_like_path(s) {
            return Ok(Self::Local(expand_home(s)));
        }
        let path = Path::new(s);
        // A missing checkpoint is reported as that, not as an unknown model name.
        if path.exists() || s.to_ascii_lowercase().ends_with(".safetensors") {
            return Ok(Self::Local(path.to_path_buf()));
        }
        let repo_part = s.split_once('@').map_or(s, |(r, _)| r);
        if repo_part.matches('/').count() == 1 {
            let (repo, revision) = match s.split_once('@') {
                Some((r, rev)) => (r, rev),
                None => (s, "main"),
            };
            check_repo_id(repo).map_err(|reason| SourceError::BadRepoId {
                value: s.to_string(),
                reason,
            })?;
            check_revision(revision).map_err(|reason| SourceError::BadRepoId {
                value: s.to_string(),
                reason,
            })?;
            return Ok(Self::Hub {
                repo: repo.to_string(),
                revision: revision.to_string(),
            });
        }
        if s.contains(['/', std::path::MAIN_SEPARATOR]) {
            return Ok(Self::Local(path.to_path_buf()));
        }
        Err(SourceError::UnknownModel {
            name: s.to_string(),
            presets: presets::names(),
        })
    }

    /// The name to show and record: the preset name, `org/name` (with `@revision` unless it
    /// is `main`), or the folder path.
    pub fn display_name(&self) -> String {
        match self {
            Self::Preset(p) => p.name.clone(),
            Self::Hub { repo, revision } if revision == "main" => repo.clone(),
            Self::Hub { repo, revision } => format!("{repo}@{revision}"),
            Self::Local(path) => path.display().to_string(),
        }
    }

    /// The preset this source is, or whose repo it names: for defaults and the licence
    /// notice.
    pub fn preset(&self) -> Option<&'static Preset> {
        match self {
            Self::Preset(p) => Some(p),
            Self::Hub { repo, .. } => presets::find_by_repo(repo),
            Self::Local(_) => None,
        }
    }

    /// `(repo, revision)` for hub sources (presets included), the folder otherwise.
    pub fn hub(&self) -> Result<(&str, &str), &Path> {
        match self {
            Self::Preset(p) => Ok((&p.repo, &p.revision)),
            Self::Hub { repo, revision } => Ok((repo, revision)),
            Self::Local(folder) => Err(folder),
        }
    }
}

fn looks_like_path(s: &str) -> bool {
    s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with('\\')
        || (s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
}

fn expand_home(s: &str) -> PathBuf {
    if let Some(rest) = s.strip_prefix('~') {
        if rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\') {
            if let Some(dirs) = directories::BaseDirs::new() {
                return dirs.home_dir().join(rest.trim_start_matches(['/', '\\']));
            }
        }
    }
    PathBuf::from(s)
}

/// The hub's rules for `org/name`, so a typo fails here rather than as a 404.
pub(crate) fn check_repo_id(repo: &str) -> Result<(), &'static str> {
    let mut parts = repo.split('/');
    let (Some(org), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("it must have exactly one / between org and name");
    };
    for part in [org, name] {
        if part.is_empty() {
            return Err("org and name must both be given");
        }
        if part.len() > 96 {
            return Err("org and name are at most 96 characters each");
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err("only letters, digits, '-', '_' and '.' are allowed");
        }
        if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
            return Err("org and name cannot start or end with '-' or '.'");
        }
        if part.contains("--") || part.contains("..") {
            return Err("'--' and '..' are not allowed");
        }
    }
    Ok(())
}

/// How to reach the hub and where its cache is. Built once at the edge with
/// [`HubOptions::from_env`]; tests build it directly. Its `Debug` hides the token.
#[derive(Clone, PartialEq)]
pub struct HubOptions {
    /// Use only the cache, never the network.
    pub offline: bool,
    /// Hub base URL, without a trailing slash.
    pub endpoint: String,
    /// The hub cache folder (the one holding `models--org--name/`).
    pub cache_dir: PathBuf,
    pub token: Option<String>,
}

impl std::fmt::Debug for HubOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubOptions")
            .field("offline", &self.offline)
            .field("endpoint", &self.endpoint)
            .field("cache_dir", &self.cache_dir)
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

impl HubOptions {
    /// Online, the public hub, no token, cache in `cache_dir`.
    pub fn new(cache_dir: PathBuf) -> Self {
        Self {
            offline: false,
            endpoint: DEFAULT_ENDPOINT.to_string(),
            cache_dir,
            token: None,
        }
    }

    /// Reads `HF_HUB_OFFLINE`, `HF_ENDPOINT`, `HF_HUB_CACHE`, `HF_HOME` and `HF_TOKEN` the way
    /// huggingface_hub does. `offline_flag` is `--offline`.
    pub fn from_env(offline_flag: bool) -> Result<Self, SourceError> {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        Self::from_vars(|k| std::env::var(k).ok(), home, offline_flag)
    }

    /// [`HubOptions::from_env`] with the variables and home folder passed in.
    ///
    /// hf-hub 0.4's own `ApiBuilder::from_env` reads only HF_HOME and HF_ENDPOINT (and panics
    /// with no home folder), so the cache folder and token are worked out here and handed to
    /// the builder explicitly.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
        offline_flag: bool,
    ) -> Result<Self, SourceError> {
        let set = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let offline = offline_flag
            || set("HF_HUB_OFFLINE").is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on"
                )
            });
        let hf_home = match set("HF_HOME") {
            Some(h) => Some(PathBuf::from(h)),
            None => home.map(|h| h.join(".cache").join("huggingface")),
        };
        let cache_dir = match set("HF_HUB_CACHE") {
            Some(c) => PathBuf::from(c),
            None => hf_home.as_ref().ok_or(SourceError::NoCacheDir)?.join("hub"),
        };
        let token = set("HF_TOKEN").map(|t| t.trim().to_string()).or_else(|| {
            let file = hf_home.as_ref()?.join("token");
            let t = std::fs::read_to_string(file).ok()?;
            let t = t.trim();
            (!t.is_empty()).then(|| t.to_string())
        });
        let endpoint = set("HF_ENDPOINT")
            .map(|e| e.trim().trim_end_matches('/').to_string())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        Ok(Self {
            offline,
            endpoint,
            cache_dir,
            token,
        })
    }
}

/// Per-file download progress, for the caller's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadEvent<'a> {
    /// A download begins; `bytes` is the file's size.
    Start { file: &'a str, bytes: u64 },
    /// `done` of `total` bytes are on disk.
    Advance {
        file: &'a str,
        done: u64,
        total: u64,
    },
    /// The file is complete and in the cache.
    Finish { file: &'a str },
}

/// Resolves `source` to files on disk, downloading what is missing from the hub unless
/// `opts.offline`. Local folders never touch the network.
pub fn resolve(
    source: &ModelSource,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<ModelFiles, SourceError> {
    resolve_with_config(source, None, opts, progress)
}

/// [`resolve`], where `model_config` (`--model-config`) names the diffusers-layout folder,
/// preset or repo whose configs, tokenizers and scheduler config describe a single-file
/// checkpoint, as diffusers' `from_single_file(path, config=...)` takes them. Without it a
/// checkpoint gets its detected family's preset; only that repo's small files are fetched.
pub fn resolve_with_config(
    source: &ModelSource,
    model_config: Option<&ModelSource>,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<ModelFiles, SourceError> {
    if let ModelSource::Local(path) = source {
        if is_safetensors(path) && !path.is_dir() {
            return resolve_single_file(path, model_config, opts, progress);
        }
    }
    if model_config.is_some() {
        return Err(SourceError::ConfigWithoutCheckpoint {
            model: source.display_name(),
        });
    }
    let mut files = match source.hub() {
        Err(folder) => resolve_local(folder)?,
        Ok((repo, revision)) => {
            let hub = HubRepo::checked(source, repo, revision, opts)?;
            if opts.offline {
                resolve_cached(&hub)?
            } else {
                resolve_online(&hub, progress)?
            }
        }
    };
    // A preset may run its repo's scheduler with another spacing (sdxl-lightning: SDXL
    // base's scheduler, trailing), as its model card's `from_config(..., timestep_spacing=)`.
    if let Some(spacing) = source.preset().and_then(|p| p.timestep_spacing.as_ref()) {
        files.timestep_spacing = Some(spacing.clone());
    }
    Ok(files)
}

/// The model card, whose front matter declares the licence.
pub const MODEL_CARD: &str = "README.md";

/// Which files a model needs, chosen from what the folder, snapshot or repo listing holds.
struct Layout {
    unet: Weights,
    vae: Weights,
    text_encoder: Weights,
    text_encoder_2: Option<Weights>,
    tokenizer: Vec<String>,
    tokenizer_2: Option<Vec<String>>,
}

struct Weights {
    config: String,
    /// A `.safetensors` file, or a `*.index*.json` listing shards.
    weights: String,
}

impl Weights {
    fn is_sharded(&self) -> bool {
        self.weights.ends_with(".json")
    }
}

impl Layout {
    /// Picks each component's files. `prefer_fp16`: hub repos, where the fp16 variant halves
    /// the download; a local folder prefers the full-precision file it was saved with.
    fn choose(
        listing: &BTreeSet<String>,
        index: &ModelIndex,
        prefer_fp16: bool,
        model: &str,
    ) -> Result<Self, SourceError> {
        let weights = |folder: &str, base: &str| {
            choose_weights(listing, folder, base, prefer_fp16, model).map(|w| Weights {
                config: format!("{folder}/config.json"),
                weights: w,
            })
        };
        let has_tokenizer_2 = matches!(&index.tokenizer_2, Some((Some(_), Some(_))));
        Ok(Self {
            unet: weights("unet", "diffusion_pytorch_model")?,
            vae: weights("vae", "diffusion_pytorch_model")?,
            text_encoder: weights("text_encoder", "model")?,
            text_encoder_2: if index.has_text_encoder_2() {
                Some(weights("text_encoder_2", "model")?)
            } else {
                None
            },
            tokenizer: choose_tokenizer(listing, "tokenizer"),
            tokenizer_2: (has_tokenizer_2 || index.has_text_encoder_2())
                .then(|| choose_tokenizer(listing, "tokenizer_2")),
        })
    }

    /// Every file to have, before shards are known: configs, weights or shard indexes,
    /// tokenizer files and the scheduler config.
    fn files(&self) -> Vec<String> {
        let mut out = vec!["scheduler/scheduler_config.json".to_string()];
        for w in self.weights() {
            out.push(w.config.clone());
            out.push(w.weights.clone());
        }
        out.extend(self.tokenizer.iter().cloned());
        out.extend(self.tokenizer_2.iter().flatten().cloned());
        out
    }

    fn weights(&self) -> impl Iterator<Item = &Weights> {
        [&self.unet, &self.vae, &self.text_encoder]
            .into_iter()
            .chain(self.text_encoder_2.as_ref())
    }
}

fn choose_weights(
    listing: &BTreeSet<String>,
    folder: &str,
    base: &str,
    prefer_fp16: bool,
    model: &str,
) -> Result<String, SourceError> {
    let fp16 = [
        format!("{folder}/{base}.fp16.safetensors"),
        format!("{folder}/{base}.safetensors.index.fp16.json"),
    ];
    let full = [
        format!("{folder}/{base}.safetensors"),
        format!("{folder}/{base}.safetensors.index.json"),
    ];
    let order: Vec<&String> = if prefer_fp16 {
        fp16.iter().chain(&full).collect()
    } else {
        full.iter().chain(&fp16).collect()
    };
    if let Some(found) = order.into_iter().find(|f| listing.contains(*f)) {
        return Ok(found.clone());
    }
    let prefix = format!("{folder}/");
    let pickle = listing.iter().find(|f| {
        f.strip_prefix(&prefix).is_some_and(|name| {
            !name.contains('/')
                && [".bin", ".ckpt", ".pt", ".pth"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
        })
    });
    if let Some(file) = pickle {
        return Err(SourceError::UnsupportedWeights {
            model: model.to_string(),
            file: file.clone(),
        });
    }
    // Nothing usable: name the plain file, which is what every diffusers folder has.
    Ok(full[0].clone())
}

fn choose_tokenizer(listing: &BTreeSet<String>, folder: &str) -> Vec<String> {
    let f = |name: &str| format!("{folder}/{name}");
    let mut out = Vec::new();
    if listing.contains(&f("tokenizer.json")) {
        out.push(f("tokenizer.json"));
        if listing.contains(&f("tokenizer_config.json")) {
            out.push(f("tokenizer_config.json"));
        }
    } else {
        out.push(f("vocab.json"));
        out.push(f("merges.txt"));
        out.push(f("tokenizer_config.json"));
    }
    if listing.contains(&f("special_tokens_map.json")) {
        out.push(f("special_tokens_map.json"));
    }
    out
}

/// Shard file names (relative to the repo root) listed by a `*.index*.json`, sorted.
fn read_shards(index_path: &Path, index_rel: &str) -> Result<Vec<String>, SourceError> {
    let bad = |detail: String| SourceError::BadShardIndex {
        file: index_path.to_path_buf(),
        detail,
    };
    let text = std::fs::read_to_string(index_path).map_err(|source| SourceError::Io {
        action: "read",
        path: index_path.to_path_buf(),
        source,
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    let map = json
        .get("weight_map")
        .and_then(|m| m.as_object())
        .ok_or_else(|| bad("it has no \"weight_map\" object".into()))?;
    let folder = index_rel.rsplit_once('/').map_or("", |(f, _)| f);
    let mut shards = BTreeSet::new();
    for value in map.values() {
        let name = value
            .as_str()
            .ok_or_else(|| bad(format!("weight_map entry {value} is not a file name")))?;
        if name.contains(['/', '\\']) || name.starts_with('.') || !name.ends_with(".safetensors") {
            return Err(bad(format!(
                "shard {name:?} is not a .safetensors file in the same folder"
            )));
        }
        shards.insert(format!("{folder}/{name}"));
    }
    if shards.is_empty() {
        return Err(bad("its weight_map lists no shards".into()));
    }
    Ok(shards.into_iter().collect())
}

fn read_model_index(path: &Path) -> Result<ModelIndex, SourceError> {
    let text = std::fs::read_to_string(path).map_err(|source| SourceError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| SourceError::BadModelIndex {
        file: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The shared walk: model_index.json first (it says whether there is a second text
/// encoder), then every chosen file, then shards. `get` makes one file (relative path)
/// available and returns its path.
fn assemble(
    root: &Path,
    listing: &BTreeSet<String>,
    prefer_fp16: bool,
    model: &str,
    revision: Option<String>,
    get: &mut dyn FnMut(&str) -> Result<PathBuf, SourceError>,
) -> Result<ModelFiles, SourceError> {
    let model_index = get("model_index.json")?;
    let index = read_model_index(&model_index)?;
    let layout = Layout::choose(listing, &index, prefer_fp16, model)?;
    let mut files = vec![model_index.clone()];
    for rel in layout.files() {
        files.push(get(&rel)?);
    }
    // The model card, small, for the licence it declares (and carried in bundles with the
    // model, so an offline PC can show it too).
    if listing.contains(MODEL_CARD) {
        files.push(get(MODEL_CARD)?);
    }
    let mut component = |w: &Weights| -> Result<Component, SourceError> {
        let weights = if w.is_sharded() {
            let shards = read_shards(&root.join(&w.weights), &w.weights)?;
            let mut paths = Vec::with_capacity(shards.len());
            for s in &shards {
                let p = get(s)?;
                files.push(p.clone());
                paths.push(p);
            }
            paths
        } else {
            vec![root.join(&w.weights)]
        };
        Ok(Component {
            config: root.join(&w.config),
            weights,
            layout: Default::default(),
        })
    };
    let unet = component(&layout.unet)?;
    let vae = component(&layout.vae)?;
    let text_encoder = component(&layout.text_encoder)?;
    let text_encoder_2 = layout
        .text_encoder_2
        .as_ref()
        .map(&mut component)
        .transpose()?;
    Ok(ModelFiles {
        root: root.to_path_buf(),
        model_index,
        unet,
        vae,
        text_encoder,
        tokenizer: root.join("tokenizer"),
        text_encoder_2,
        tokenizer_2: layout
            .tokenizer_2
            .as_ref()
            .map(|_| root.join("tokenizer_2")),
        scheduler_config: root.join("scheduler/scheduler_config.json"),
        revision,
        prediction_type: None,
        timestep_spacing: None,
        files,
    })
}

/// Every file under `root`, as `/`-separated relative paths; symlinks are followed (the hub
/// cache links snapshot files to blobs) and dangling ones skipped.
fn list_files(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() && depth < 4 => walk(&path, &rel, out, depth + 1),
                Ok(m) if m.is_file() => {
                    out.insert(rel);
                }
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, "", &mut out, 0);
    out
}

/// `rel` in a local model folder whose files are `listing`, or the error naming it as missing.
fn folder_file(
    folder: &Path,
    listing: &BTreeSet<String>,
    rel: &str,
) -> Result<PathBuf, SourceError> {
    if listing.contains(rel) {
        Ok(folder.join(rel))
    } else {
        Err(SourceError::MissingInFolder {
            folder: folder.to_path_buf(),
            file: rel.to_string(),
        })
    }
}

fn resolve_local(folder: &Path) -> Result<ModelFiles, SourceError> {
    if !folder.exists() {
        return Err(SourceError::FolderNotFound {
            path: folder.to_path_buf(),
            presets: presets::names(),
        });
    }
    if folder.is_file() {
        return Err(SourceError::NotAFolder {
            path: folder.to_path_buf(),
        });
    }
    let listing = list_files(folder);
    let model = folder.display().to_string();
    let mut get = |rel: &str| folder_file(folder, &listing, rel);
    assemble(folder, &listing, false, &model, None, &mut get)
}

struct HubRepo<'a> {
    repo: &'a str,
    revision: &'a str,
    fetch_name: String,
    opts: &'a HubOptions,
}

impl<'a> HubRepo<'a> {
    /// The repo of `source`, its names checked first: sources built in code skip
    /// `ModelSource::parse`, and both names become paths.
    fn checked(
        source: &ModelSource,
        repo: &'a str,
        revision: &'a str,
        opts: &'a HubOptions,
    ) -> Result<Self, SourceError> {
        let bad = |reason| SourceError::BadRepoId {
            value: source.display_name(),
            reason,
        };
        check_repo_id(repo).map_err(bad)?;
        check_revision(revision).map_err(bad)?;
        Ok(HubRepo {
            repo,
            revision,
            fetch_name: source.display_name(),
            opts,
        })
    }

    fn repo_dir(&self) -> PathBuf {
        let folder = Repo::with_revision(
            self.repo.to_string(),
            RepoType::Model,
            self.revision.to_string(),
        )
        .folder_name();
        self.opts.cache_dir.join(folder)
    }

    fn not_in_cache(&self, file: &str) -> SourceError {
        SourceError::NotInCache {
            repo: self.repo.to_string(),
            revision: self.revision.to_string(),
            file: file.to_string(),
            cache_dir: self.opts.cache_dir.clone(),
            fetch_name: self.fetch_name.clone(),
        }
    }

    /// The commit the cache knows for this revision: the revision itself when it is a
    /// commit with a snapshot, else `refs/<revision>`.
    fn cached_commit(&self) -> Option<String> {
        let dir = self.repo_dir();
        if is_commit(self.revision) && dir.join("snapshots").join(self.revision).is_dir() {
            return Some(self.revision.to_string());
        }
        let sha = std::fs::read_to_string(dir.join("refs").join(self.revision)).ok()?;
        let sha = sha.trim();
        is_commit(sha).then(|| sha.to_string())
    }
}

/// The cache's snapshot of a repo's cached commit and the files it holds.
struct CachedSnapshot {
    commit: String,
    dir: PathBuf,
    listing: BTreeSet<String>,
}

impl CachedSnapshot {
    /// The snapshot of `hub`'s cached commit; without one, an error naming `model_index.json`,
    /// the first file a model needs.
    fn of(hub: &HubRepo) -> Result<Self, SourceError> {
        let commit = hub
            .cached_commit()
            .ok_or_else(|| hub.not_in_cache("model_index.json"))?;
        let dir = hub.repo_dir().join("snapshots").join(&commit);
        let listing = list_files(&dir);
        Ok(Self {
            commit,
            dir,
            listing,
        })
    }

    /// The path of `rel` in the snapshot, or the error naming it as not downloaded.
    fn get(&self, hub: &HubRepo, rel: &str) -> Result<PathBuf, SourceError> {
        if self.listing.contains(rel) {
            Ok(self.dir.join(rel))
        } else {
            Err(hub.not_in_cache(rel))
        }
    }
}

fn resolve_cached(hub: &HubRepo) -> Result<ModelFiles, SourceError> {
    let c = CachedSnapshot::of(hub)?;
    let mut get = |rel: &str| c.get(hub, rel);
    assemble(
        &c.dir,
        &c.listing,
        true,
        &hub.fetch_name,
        Some(c.commit.clone()),
        &mut get,
    )
}

/// Why the hub could not be reached, for a plain sentence in the reader's language beside
/// the network library's own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkCause {
    /// The hub's name did not resolve: no internet, or a network that only reaches the
    /// outside through a proxy.
    NameNotFound,
    /// The hub (or the proxy) did not answer or refused the connection.
    NoConnection,
    /// The proxy refused or wants a login.
    Proxy,
    /// The connection broke off during the transfer.
    Interrupted,
    Other,
}

impl NetworkCause {
    fn of(kind: ureq::ErrorKind) -> Self {
        use ureq::ErrorKind as K;
        match kind {
            K::Dns => NetworkCause::NameNotFound,
            K::ConnectionFailed => NetworkCause::NoConnection,
            K::InvalidProxyUrl | K::ProxyConnect | K::ProxyUnauthorized => NetworkCause::Proxy,
            K::Io => NetworkCause::Interrupted,
            _ => NetworkCause::Other,
        }
    }
}

/// What was asked of the hub when it failed: data, so each language names it in its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubRequest {
    /// The first contact (the repo's metadata).
    Connection,
    /// The repo's list of files at the revision.
    FileList,
    /// Where the revision points, recorded in the cache.
    RevisionRef,
    /// One of the repo's files, by its path in the repo.
    File(String),
}

impl std::fmt::Display for HubRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HubRequest::Connection => f.write_str("a connection"),
            HubRequest::FileList => f.write_str("the file list"),
            HubRequest::RevisionRef => f.write_str("the revision's ref"),
            HubRequest::File(name) => f.write_str(name),
        }
    }
}

fn request_error(e: ureq::Error, hub: &HubRepo, what: &HubRequest) -> SourceError {
    let endpoint = hub.opts.endpoint.clone();
    let token = hub.opts.token.as_deref();
    match e {
        ureq::Error::Status(401 | 404, _) if *what == HubRequest::FileList => {
            SourceError::RepoNotFound {
                repo: hub.repo.to_string(),
                revision: hub.revision.to_string(),
                token_sent: token.is_some(),
            }
        }
        ureq::Error::Status(403, _) => SourceError::Gated {
            repo: hub.repo.to_string(),
            token_sent: token.is_some(),
        },
        ureq::Error::Status(code, resp) => SourceError::HubAnswer {
            endpoint,
            what: what.clone(),
            detail: format!("HTTP {code} {}", plain(&redact(resp.status_text(), token))),
        },
        ureq::Error::Transport(t) => SourceError::Network {
            endpoint,
            what: what.clone(),
            cause: NetworkCause::of(t.kind()),
            detail: redact(
                &match t.message() {
                    Some(m) => format!("{} ({m})", t.kind()),
                    None => t.kind().to_string(),
                },
                token,
            ),
        },
    }
}

fn hub_error(e: ApiError, hub: &HubRepo, what: &HubRequest) -> SourceError {
    match e {
        ApiError::RequestError(err) => request_error(*err, hub, what),
        ApiError::TooManyRetries(inner) => hub_error(*inner, hub, what),
        ApiError::LockAcquisition(lock) => SourceError::Locked {
            file: what.clone(),
            lock,
        },
        ApiError::IoError(source) if source.kind() == std::io::ErrorKind::InvalidData => {
            SourceError::HubLied {
                endpoint: hub.opts.endpoint.clone(),
                detail: redact(
                    &format!("{what}, but not as the JSON a hub sends ({source})"),
                    hub.opts.token.as_deref(),
                ),
            }
        }
        ApiError::IoError(source) => SourceError::Io {
            action: "download into the cache",
            path: hub.repo_dir(),
            source,
        },
        other => SourceError::HubAnswer {
            endpoint: hub.opts.endpoint.clone(),
            what: what.clone(),
            detail: redact(
                &format!("something unexpected ({other})"),
                hub.opts.token.as_deref(),
            ),
        },
    }
}

fn download_error(f: Failure, hub: &HubRepo, what: HubRequest) -> SourceError {
    match f {
        Failure::Request(e) => request_error(*e, hub, &what),
        Failure::Lied(detail) => SourceError::HubLied {
            endpoint: hub.opts.endpoint.clone(),
            detail: redact(&detail, hub.opts.token.as_deref()),
        },
        Failure::Short { got, want } => SourceError::Network {
            endpoint: hub.opts.endpoint.clone(),
            what,
            cause: NetworkCause::Interrupted,
            detail: format!("the connection closed after {got} of {want} bytes"),
        },
        Failure::Locked(lock) => SourceError::Locked { file: what, lock },
        Failure::Io {
            action,
            path,
            source,
        } => SourceError::Io {
            action,
            path,
            source,
        },
    }
}

/// The file list comes through hf-hub; the files come through [`hub_cache`], which checks
/// every name the hub's answers put into a path (hf-hub's own download does not).
/// The commit `hub.revision` names now, the repo's file listing, and a function that makes
/// one listed file available in that commit's snapshot (downloading it when missing).
#[allow(clippy::type_complexity)]
fn open_online<'a>(
    hub: &'a HubRepo<'a>,
    progress: &'a mut dyn FnMut(DownloadEvent),
) -> Result<
    (
        PathBuf,
        BTreeSet<String>,
        impl FnMut(&str) -> Result<PathBuf, SourceError> + 'a,
    ),
    SourceError,
> {
    let opts = hub.opts;
    let api = ApiBuilder::from_cache(Cache::new(opts.cache_dir.clone()))
        .with_endpoint(opts.endpoint.clone())
        .with_token(opts.token.clone())
        .with_progress(false)
        .build()
        .map_err(|e| hub_error(e, hub, &HubRequest::Connection))?;
    let info = api
        .repo(Repo::with_revision(
            hub.repo.to_string(),
            RepoType::Model,
            hub.revision.to_string(),
        ))
        .info()
        .map_err(|e| hub_error(e, hub, &HubRequest::FileList))?;
    if !is_commit(&info.sha) {
        return Err(SourceError::HubLied {
            endpoint: opts.endpoint.clone(),
            detail: redact(
                &format!(
                    "the commit {} in the file list of {}@{}, which is not a commit id (40 hex digits)",
                    shown(&redact(&info.sha, opts.token.as_deref())),
                    hub.repo,
                    hub.revision
                ),
                opts.token.as_deref(),
            ),
        });
    }
    let commit = info.sha.clone();
    let listing: BTreeSet<String> = info.siblings.into_iter().map(|s| s.rfilename).collect();
    // Download by commit, not branch, so every file lands in the one snapshot the listing
    // describes even if the branch moves meanwhile.
    let snapshot = hub.repo_dir().join("snapshots").join(&commit);
    let listed = listing.clone();
    let at = snapshot.clone();
    let get = move |rel: &str| -> Result<PathBuf, SourceError> {
        if !listed.contains(rel) {
            return Err(SourceError::RepoMissingFile {
                repo: hub.repo.to_string(),
                file: rel.to_string(),
            });
        }
        // A listed name is the hub's word; it must stay in the snapshot before even an
        // existing file there is taken (`../../x` would reach one outside the cache).
        if !hub_cache::is_repo_file(rel) {
            return Err(download_error(
                hub_cache::Failure::Lied(format!(
                    "the file name {}, which is not a plain path inside the repo",
                    shown(&redact(rel, hub.opts.token.as_deref()))
                )),
                hub,
                HubRequest::File(rel.to_string()),
            ));
        }
        let path = at.join(rel);
        if path.is_file() {
            return Ok(path);
        }
        let files_at = HubFiles {
            endpoint: &hub.opts.endpoint,
            token: hub.opts.token.as_deref(),
            repo: hub.repo,
            commit: &commit,
            repo_dir: hub.repo_dir(),
        };
        files_at
            .fetch(rel, &mut *progress)
            .map_err(|f| download_error(f, hub, HubRequest::File(rel.to_string())))
    };
    Ok((snapshot, listing, get))
}

/// Records which commit the revision means, so offline runs find the snapshot; a commit
/// needs no ref, as in huggingface_hub's cache.
fn record_ref(hub: &HubRepo, snapshot: &Path) -> Result<(), SourceError> {
    let commit = snapshot
        .file_name()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    if hub.revision != commit {
        hub_cache::write_ref(&hub.repo_dir(), hub.revision, &commit)
            .map_err(|f| download_error(f, hub, HubRequest::RevisionRef))?;
    }
    Ok(())
}

fn resolve_online(
    hub: &HubRepo,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<ModelFiles, SourceError> {
    let (snapshot, listing, mut get) = open_online(hub, progress)?;
    let commit = snapshot
        .file_name()
        .map(|c| c.to_string_lossy().into_owned());
    let files = assemble(&snapshot, &listing, true, &hub.fetch_name, commit, &mut get)?;
    drop(get);
    record_ref(hub, &snapshot)?;
    Ok(files)
}

fn is_safetensors(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
}

/// The preset whose configs a checkpoint of `arch` uses when `--model-config` is not given
/// (diffusers' `fetch_diffusers_config` picks the same repos).
fn config_preset(arch: CheckpointArch) -> &'static Preset {
    let name = match arch {
        CheckpointArch::Sd1 => "sd15",
        CheckpointArch::Sd2 { .. } => "sd21",
        CheckpointArch::SdxlBase => "sdxl",
    };
    presets::find(name).unwrap_or_else(presets::default_preset)
}

/// The configs, tokenizers and scheduler config of a pipeline, without any weights.
struct ConfigFiles {
    root: PathBuf,
    model_index: PathBuf,
    index: ModelIndex,
    revision: Option<String>,
    files: Vec<PathBuf>,
}

/// Gets only the small files of a pipeline: `model_index.json`, the scheduler config, each
/// network's `config.json` and the tokenizer files.
fn assemble_configs(
    root: &Path,
    listing: &BTreeSet<String>,
    revision: Option<String>,
    get: &mut dyn FnMut(&str) -> Result<PathBuf, SourceError>,
) -> Result<ConfigFiles, SourceError> {
    let model_index = get("model_index.json")?;
    let index = read_model_index(&model_index)?;
    let mut want = vec![
        "scheduler/scheduler_config.json".to_string(),
        "unet/config.json".to_string(),
        "vae/config.json".to_string(),
        "text_encoder/config.json".to_string(),
    ];
    want.extend(choose_tokenizer(listing, "tokenizer"));
    if index.has_text_encoder_2() {
        want.push("text_encoder_2/config.json".to_string());
        want.extend(choose_tokenizer(listing, "tokenizer_2"));
    }
    let mut files = vec![model_index.clone()];
    for rel in &want {
        files.push(get(rel)?);
    }
    Ok(ConfigFiles {
        root: root.to_path_buf(),
        model_index,
        index,
        revision,
        files,
    })
}

/// The configs of `source` (a folder, preset or repo), fetching only the small files.
fn resolve_configs(
    source: &ModelSource,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<ConfigFiles, SourceError> {
    match source.hub() {
        Err(folder) => {
            if folder.is_file() {
                return Err(SourceError::ConfigNotAFolder {
                    value: folder.display().to_string(),
                    presets: presets::names(),
                });
            }
            if !folder.exists() {
                return Err(SourceError::FolderNotFound {
                    path: folder.to_path_buf(),
                    presets: presets::names(),
                });
            }
            let listing = list_files(folder);
            let mut get = |rel: &str| folder_file(folder, &listing, rel);
            assemble_configs(folder, &listing, None, &mut get)
        }
        Ok((repo, revision)) => {
            let hub = HubRepo::checked(source, repo, revision, opts)?;
            if opts.offline {
                let c = CachedSnapshot::of(&hub)?;
                let mut get = |rel: &str| c.get(&hub, rel);
                return assemble_configs(&c.dir, &c.listing, Some(c.commit.clone()), &mut get);
            }
            let (snapshot, listing, mut get) = open_online(&hub, progress)?;
            let commit = snapshot
                .file_name()
                .map(|c| c.to_string_lossy().into_owned());
            let configs = assemble_configs(&snapshot, &listing, commit, &mut get)?;
            drop(get);
            record_ref(&hub, &snapshot)?;
            Ok(configs)
        }
    }
}

/// A single-file checkpoint: its header tells the architecture; the configs come from
/// `model_config` or the architecture's preset; every network reads its part of the file.
fn resolve_single_file(
    path: &Path,
    model_config: Option<&ModelSource>,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<ModelFiles, SourceError> {
    let ckpt = single_file::inspect(path)?;
    let arch = ckpt.arch;
    let default = ModelSource::Preset(config_preset(arch));
    let config_source = model_config.unwrap_or(&default);
    let cfg = match resolve_configs(config_source, opts, progress) {
        Err(SourceError::NotInCache { repo, .. }) if model_config.is_none() => {
            return Err(SourceError::CheckpointConfigNotCached {
                path: path.to_path_buf(),
                arch: arch.name(),
                preset: default.display_name(),
                repo,
            })
        }
        other => other?,
    };
    let is_xl = cfg.index.has_text_encoder_2();
    if is_xl != (arch == CheckpointArch::SdxlBase) {
        return Err(SingleFileError::ConfigMismatch {
            path: path.to_path_buf(),
            arch: arch.name(),
            config_dir: cfg.root.clone(),
            config: if is_xl { "SDXL" } else { "SD 1.x / 2.x" },
        }
        .into());
    }
    let root = &cfg.root;
    let component = |kind: ComponentKind, folder: &str| -> Option<Component> {
        Some(Component {
            config: root.join(folder).join("config.json"),
            weights: vec![path.to_path_buf()],
            layout: WeightLayout::Checkpoint(arch.part(kind)?),
        })
    };
    let missing = || SourceError::MissingInFolder {
        folder: root.clone(),
        file: "text_encoder/config.json".into(),
    };
    let mut files = cfg.files.clone();
    files.push(path.to_path_buf());
    Ok(ModelFiles {
        root: root.clone(),
        model_index: cfg.model_index.clone(),
        unet: component(ComponentKind::Unet, "unet").ok_or_else(missing)?,
        vae: component(ComponentKind::Vae, "vae").ok_or_else(missing)?,
        text_encoder: component(ComponentKind::TextEncoder, "text_encoder").ok_or_else(missing)?,
        tokenizer: root.join("tokenizer"),
        text_encoder_2: if is_xl {
            component(ComponentKind::TextEncoder2, "text_encoder_2")
        } else {
            None
        },
        tokenizer_2: is_xl.then(|| root.join("tokenizer_2")),
        scheduler_config: root.join("scheduler/scheduler_config.json"),
        revision: cfg.revision.clone(),
        // diffusers takes the scheduler of the named config as it is; the family's default
        // config is told the checkpoint's own prediction type.
        prediction_type: model_config
            .is_none()
            .then(|| arch.prediction_type().to_string()),
        timestep_spacing: None,
        files,
    })
}

/// A repo that is not a diffusers pipeline (a translator): which files to have.
pub struct RepoFilesRequest<'a> {
    pub repo: &'a str,
    pub revision: &'a str,
    /// The name `models fetch` takes, for messages.
    pub fetch_name: String,
    /// What the repo is, for messages ("translator").
    pub what: &'static str,
    /// Every one of these.
    pub required: &'a [&'a str],
    /// The first of these the repo has (weights in the order they are preferred).
    pub one_of: &'a [&'a str],
}

/// Makes the files of `req` available in the hub cache (offline: only finds them there) and
/// returns the snapshot folder that holds them.
pub fn resolve_repo_files(
    req: &RepoFilesRequest,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<PathBuf, SourceError> {
    // The repo and revision come from the user (`--lora org/name@rev`) and name paths in
    // the cache (`refs/<rev>` is written): checked as a model's are, before any request.
    let bad = |reason| SourceError::BadRepoId {
        value: req.fetch_name.clone(),
        reason,
    };
    check_repo_id(req.repo).map_err(bad)?;
    check_revision(req.revision).map_err(bad)?;
    let hub = HubRepo {
        repo: req.repo,
        revision: req.revision,
        fetch_name: req.fetch_name.clone(),
        opts,
    };
    // The file named in messages when none is in the cache: the first required one, else
    // the first choice (a LoRA requires nothing and chooses one file).
    let first_file = req
        .required
        .first()
        .or(req.one_of.first())
        .copied()
        .unwrap_or("");
    let pick = |listing: &BTreeSet<String>| -> Result<Vec<String>, String> {
        let mut want: Vec<String> = Vec::new();
        for f in req.required {
            if !listing.contains(*f) {
                return Err(f.to_string());
            }
            want.push(f.to_string());
        }
        match req.one_of.iter().find(|f| listing.contains(**f)) {
            Some(f) => want.push(f.to_string()),
            None => return Err(req.one_of.join(" or ")),
        }
        Ok(want)
    };
    if opts.offline {
        let commit = hub
            .cached_commit()
            .ok_or_else(|| hub.not_in_cache(first_file))?;
        let snapshot = hub.repo_dir().join("snapshots").join(&commit);
        pick(&list_files(&snapshot)).map_err(|file| hub.not_in_cache(&file))?;
        return Ok(snapshot);
    }
    let (snapshot, listing, mut get) = open_online(&hub, progress)?;
    let files = pick(&listing).map_err(|file| SourceError::RepoMissingFile {
        repo: req.repo.to_string(),
        file: format!("{file} (a {} needs it)", req.what),
    })?;
    for f in &files {
        get(f)?;
    }
    drop(get);
    record_ref(&hub, &snapshot)?;
    Ok(snapshot)
}

/// One line of `models list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEntry {
    pub name: String,
    pub repo: String,
    pub revision: String,
    pub family: String,
    pub licence: String,
    pub licence_note: String,
    pub non_commercial: bool,
    pub width: u32,
    pub height: u32,
    /// What the first use downloads, in megabytes.
    pub download_mb: u32,
    pub steps: u32,
    pub guidance: f64,
    pub sampler: Option<String>,
    /// The preset `generate` uses without `--model`.
    pub default: bool,
    /// Every file the model needs is in the cache (checked without the network).
    pub in_cache: bool,
}

/// `models list`, as data (`--json`) and text ([`render_models_list`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelsList {
    pub cache_dir: PathBuf,
    pub models: Vec<ModelEntry>,
}

/// The presets with their licences and whether each is complete in the cache. Never uses
/// the network.
pub fn list_models(opts: &HubOptions) -> ModelsList {
    let offline = HubOptions {
        offline: true,
        ..opts.clone()
    };
    let default = presets::default_preset().name.as_str();
    let models = presets::all()
        .iter()
        .map(|p| ModelEntry {
            name: p.name.clone(),
            repo: p.repo.clone(),
            revision: p.revision.clone(),
            family: p.family.name().to_string(),
            licence: p.licence.clone(),
            licence_note: p.licence_note.clone(),
            non_commercial: p.non_commercial,
            width: p.width,
            height: p.height,
            download_mb: p.download_mb,
            steps: p.steps,
            guidance: p.guidance,
            sampler: p.sampler.map(|k| k.name().to_string()),
            default: p.name == default,
            // A preset's LoRA is part of it: without it the model is not ready offline.
            in_cache: resolve(&ModelSource::Preset(p), &offline, &mut |_| {}).is_ok()
                && p.lora_specs()
                    .iter()
                    .all(|spec| crate::lora::hub_lora(spec, &offline, &mut |_| {}).is_ok()),
        })
        .collect();
    ModelsList {
        cache_dir: opts.cache_dir.clone(),
        models,
    }
}

/// What `models fetch` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchReport {
    pub model: String,
    pub repo: String,
    pub revision: String,
    pub commit: Option<String>,
    pub folder: PathBuf,
    pub files: usize,
    pub bytes: u64,
}

/// `models fetch NAME`: downloads everything a preset or repo needs into the cache, so later
/// runs work offline.
pub fn fetch(
    source: &ModelSource,
    opts: &HubOptions,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<FetchReport, SourceError> {
    let (repo, revision) = match source.hub() {
        Ok(hub) => hub,
        Err(path) => {
            return Err(SourceError::FetchLocal {
                path: path.to_path_buf(),
                presets: presets::names(),
            })
        }
    };
    if opts.offline {
        return Err(SourceError::FetchOffline);
    }
    let files = resolve(source, opts, progress)?;
    Ok(FetchReport {
        model: source.display_name(),
        repo: repo.to_string(),
        revision: revision.to_string(),
        commit: files.revision.clone(),
        folder: files.root.clone(),
        files: files.files.len(),
        bytes: files.total_bytes(),
    })
}
