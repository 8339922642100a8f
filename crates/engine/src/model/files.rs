//! The files of one model on disk, as the pipeline reads them. Where they come from (a local
//! folder, the Hugging Face cache) is the front end's business.

use std::path::PathBuf;

/// One network: its `config.json` and its weights (one file, or the shards in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub config: PathBuf,
    pub weights: Vec<PathBuf>,
}

/// Paths of every file the pipeline reads. All lie under `root` (the local folder, or the
/// cache snapshot of one commit), so component folders such as `tokenizer/` hold all their
/// files.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFiles {
    pub root: PathBuf,
    pub model_index: PathBuf,
    pub unet: Component,
    pub vae: Component,
    pub text_encoder: Component,
    /// The tokenizer folder: `tokenizer.json`, or `vocab.json` + `merges.txt` +
    /// `tokenizer_config.json` (+ `special_tokens_map.json` when the model has one).
    pub tokenizer: PathBuf,
    pub text_encoder_2: Option<Component>,
    pub tokenizer_2: Option<PathBuf>,
    pub scheduler_config: PathBuf,
    /// The commit the files came from (hub sources).
    pub revision: Option<String>,
    /// Every file above (tokenizer files included), each once.
    pub files: Vec<PathBuf>,
}

impl ModelFiles {
    /// Total size on disk of [`ModelFiles::files`].
    pub fn total_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum()
    }
}
