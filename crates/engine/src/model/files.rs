//! The files of one model on disk, as the pipeline reads them. Where they come from (a local
//! folder, the Hugging Face cache) is the front end's business.

use std::path::PathBuf;

use crate::model::single_file::CheckpointPart;

/// One network: its `config.json` and its weights (one file, or the shards in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub config: PathBuf,
    pub weights: Vec<PathBuf>,
    /// How the tensors in `weights` are named.
    pub layout: WeightLayout,
}

/// How a component's weight files name its tensors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WeightLayout {
    /// The names diffusers' / transformers' `save_pretrained` writes.
    #[default]
    Diffusers,
    /// This network's part of a single-file (LDM / A1111) checkpoint, which holds every
    /// network under its own prefix (see [`crate::model::single_file`]).
    Checkpoint(CheckpointPart),
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
    /// Overrides the scheduler config's `prediction_type`: a single-file SD 2 checkpoint
    /// loaded with its family's default configs says itself whether it predicts `epsilon`
    /// or `v_prediction` (see [`crate::model::single_file::CheckpointArch`]).
    pub prediction_type: Option<String>,
    /// Overrides the scheduler config's `timestep_spacing`, as diffusers'
    /// `Scheduler.from_config(config, timestep_spacing=...)` does: a model distilled for few
    /// steps whose repo ships its base model's scheduler (SDXL-Lightning's LoRA on SDXL base
    /// needs `trailing`).
    pub timestep_spacing: Option<String>,
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
