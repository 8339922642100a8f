//! From prompt text to the conditioning the UNet sees: CLIP tokenizers, CLIP text encoders,
//! and the prompt encoding diffusers' SD and SDXL pipelines do with them.

pub mod clip;
pub mod encode;
pub mod tokenizer;

use std::path::PathBuf;

pub use clip::{ClipOutput, ClipTextModel};
pub use encode::{
    classifier_free_guidance, Conditioning, PromptEncoder, PromptEncoderKind, TextEncoder,
    TextEncoderPart,
};
pub use tokenizer::{ClipTokenizer, Tokenized};

/// Why a prompt could not be turned into conditioning.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is missing; a tokenizer folder needs vocab.json and merges.txt (or \
         tokenizer.json): download the model again or point --model at a complete folder"
    )]
    MissingTokenizerFile { path: PathBuf },
    #[error("{path} is not a usable CLIP tokenizer file: {message}")]
    BadTokenizerFile { path: PathBuf, message: String },
    #[error("could not tokenize the prompt starting {text:?}: {message}")]
    Tokenize { text: String, message: String },
    #[error(transparent)]
    Config(#[from] crate::model::config::ConfigError),
    #[error(
        "{dir} has no model.safetensors; reportfig reads text encoder weights only in the \
         safetensors format (pytorch_model.bin is not supported): download the model's \
         safetensors files"
    )]
    MissingWeights { dir: PathBuf },
    #[error(
        "cannot load the text encoder weights {path}: {message}. The file does not match \
         {config}; the download may be incomplete or the folder mixes two models"
    )]
    Weights {
        path: PathBuf,
        config: PathBuf,
        message: String,
    },
    #[error("{dir} has no {what}: {hint}")]
    MissingComponent {
        dir: PathBuf,
        what: &'static str,
        hint: &'static str,
    },
    #[error("the text encoder failed: {0}")]
    Model(#[from] candle_core::Error),
}
