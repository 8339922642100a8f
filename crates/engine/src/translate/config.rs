//! Serde mirrors of a Marian repo's `config.json` (transformers' `MarianConfig`) and
//! `generation_config.json` (`GenerationConfig`), with transformers 5.23's defaults.
//!
//! Fields that would change what the network or `generate()` computes, and that this module
//! does not implement, are refused by name when set to anything but their neutral value, so a
//! model is never run with a setting silently dropped. Fields that only matter for training
//! (dropout, layerdrop, init_std) or for sampling when sampling is off are ignored, as
//! transformers ignores them at inference.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::model::config::{read_json, ConfigError};

/// `config.json` of a `MarianMTModel`.
#[derive(Debug, Clone, Deserialize)]
pub struct MarianConfig {
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
    #[serde(default = "d::vocab_size")]
    pub vocab_size: usize,
    /// `None` means `vocab_size` (transformers' `__post_init__`).
    #[serde(default)]
    pub decoder_vocab_size: Option<usize>,
    #[serde(default = "d::max_position_embeddings")]
    pub max_position_embeddings: usize,
    #[serde(default = "d::layers")]
    pub encoder_layers: usize,
    #[serde(default = "d::ffn_dim")]
    pub encoder_ffn_dim: usize,
    #[serde(default = "d::heads")]
    pub encoder_attention_heads: usize,
    #[serde(default = "d::layers")]
    pub decoder_layers: usize,
    #[serde(default = "d::ffn_dim")]
    pub decoder_ffn_dim: usize,
    #[serde(default = "d::heads")]
    pub decoder_attention_heads: usize,
    #[serde(default = "d::activation_function")]
    pub activation_function: String,
    #[serde(default = "d::d_model")]
    pub d_model: usize,
    #[serde(default = "d::pad_token_id")]
    pub decoder_start_token_id: u32,
    #[serde(default)]
    pub scale_embedding: bool,
    #[serde(default = "d::pad_or_none")]
    pub pad_token_id: Option<u32>,
    #[serde(default = "d::eos")]
    pub eos_token_id: Option<TokenIds>,
    #[serde(default)]
    pub bos_token_id: Option<u32>,
    #[serde(default = "d::eos")]
    pub forced_eos_token_id: Option<TokenIds>,
    #[serde(default = "d::yes")]
    pub share_encoder_decoder_embeddings: bool,
    #[serde(default = "d::yes")]
    pub tie_word_embeddings: bool,
    #[serde(default = "d::yes")]
    pub is_encoder_decoder: bool,
    /// Fields of the Bart-era Marian configs that transformers' Marian network no longer
    /// reads: the architecture they describe is fixed (post-norm layers, no embedding norm,
    /// no final norm, sinusoidal positions). A config asking for another architecture is
    /// refused rather than run as the fixed one.
    #[serde(default)]
    pub normalize_before: Option<bool>,
    #[serde(default)]
    pub normalize_embedding: Option<bool>,
    #[serde(default)]
    pub add_final_layer_norm: Option<bool>,
    #[serde(default)]
    pub static_position_embeddings: Option<bool>,
    #[serde(default)]
    pub add_bias_logits: Option<bool>,
}

/// One token id or several (`eos_token_id: 0` or `[0, 2]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TokenIds {
    One(u32),
    Many(Vec<u32>),
}

impl TokenIds {
    pub fn to_vec(&self) -> Vec<u32> {
        match self {
            TokenIds::One(t) => vec![*t],
            TokenIds::Many(ts) => ts.clone(),
        }
    }
}

/// transformers' `MarianConfig` defaults (the opus-mt-en-de shapes).
mod d {
    use super::TokenIds;
    pub fn vocab_size() -> usize {
        58101
    }
    pub fn max_position_embeddings() -> usize {
        1024
    }
    pub fn layers() -> usize {
        12
    }
    pub fn ffn_dim() -> usize {
        4096
    }
    pub fn heads() -> usize {
        16
    }
    pub fn d_model() -> usize {
        1024
    }
    pub fn activation_function() -> String {
        "gelu".into()
    }
    pub fn pad_token_id() -> u32 {
        58100
    }
    pub fn pad_or_none() -> Option<u32> {
        Some(58100)
    }
    pub fn eos() -> Option<TokenIds> {
        Some(TokenIds::One(0))
    }
    pub fn yes() -> bool {
        true
    }
}

impl MarianConfig {
    /// Reads `config.json` and checks that it describes the network `marian.rs` builds.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let cfg: MarianConfig = read_json(path, "Marian config")?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    /// The decoder's vocabulary: `decoder_vocab_size`, or `vocab_size` when unset.
    pub fn target_vocab_size(&self) -> usize {
        if self.share_encoder_decoder_embeddings {
            self.vocab_size
        } else {
            self.decoder_vocab_size.unwrap_or(self.vocab_size)
        }
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Unsupported {
            path: path.to_path_buf(),
            message,
        };
        if let Some(t) = &self.model_type {
            if t != "marian" {
                return Err(bad(format!(
                    "model_type is \"{t}\"; a translator must be a Marian model (model_type \"marian\")"
                )));
            }
        }
        if let Some(archs) = &self.architectures {
            if !archs.is_empty() && !archs.iter().any(|a| a == "MarianMTModel") {
                return Err(bad(format!(
                    "architectures is {archs:?}; a translator must be a MarianMTModel"
                )));
            }
        }
        if !self.is_encoder_decoder {
            return Err(bad(
                "is_encoder_decoder is false; a translator needs the encoder-decoder model".into(),
            ));
        }
        let refused = [
            ("normalize_before", self.normalize_before, false),
            ("normalize_embedding", self.normalize_embedding, false),
            ("add_final_layer_norm", self.add_final_layer_norm, false),
            (
                "static_position_embeddings",
                self.static_position_embeddings,
                true,
            ),
            ("add_bias_logits", self.add_bias_logits, false),
        ];
        for (name, value, supported) in refused {
            if value.is_some_and(|v| v != supported) {
                return Err(bad(format!(
                    "{name} is {}, but the Marian network (as transformers builds it) only has \
                     {name} {supported}",
                    !supported
                )));
            }
        }
        for (what, dim, heads) in [
            ("encoder", self.d_model, self.encoder_attention_heads),
            ("decoder", self.d_model, self.decoder_attention_heads),
        ] {
            if heads == 0 || !dim.is_multiple_of(heads) {
                return Err(bad(format!(
                    "d_model {dim} is not a multiple of {what}_attention_heads {heads}"
                )));
            }
        }
        if self.encoder_layers == 0 || self.decoder_layers == 0 || self.d_model == 0 {
            return Err(bad(format!(
                "encoder_layers {}, decoder_layers {} and d_model {} must all be positive",
                self.encoder_layers, self.decoder_layers, self.d_model
            )));
        }
        let vocab = self.target_vocab_size();
        let ids = [
            ("decoder_start_token_id", Some(self.decoder_start_token_id)),
            ("pad_token_id", self.pad_token_id),
        ];
        for (name, id) in ids {
            if let Some(id) = id {
                if id as usize >= vocab {
                    return Err(bad(format!(
                        "{name} {id} is outside the vocabulary of {vocab} tokens"
                    )));
                }
            }
        }
        Activation::from_name(&self.activation_function).map_err(|e| bad(e.to_string()))?;
        Ok(())
    }
}

/// The activations of transformers' `ACT2FN` that Marian configs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `"swish"` / `"silu"`: `x σ(x)` (opus-mt models).
    Silu,
    /// `"gelu"`: the exact erf GELU.
    Gelu,
    /// `"gelu_new"`, `"gelu_pytorch_tanh"`: the tanh approximation.
    GeluTanh,
    Relu,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "activation_function \"{0}\" is not supported (supported: \"swish\", \"silu\", \"gelu\", \
     \"gelu_new\", \"gelu_pytorch_tanh\", \"relu\")"
)]
pub struct UnknownActivation(String);

impl Activation {
    pub fn from_name(name: &str) -> Result<Self, UnknownActivation> {
        Ok(match name {
            "swish" | "silu" => Self::Silu,
            "gelu" => Self::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" => Self::GeluTanh,
            "relu" => Self::Relu,
            other => return Err(UnknownActivation(other.to_string())),
        })
    }
}

/// `early_stopping`: `true`, `false` or `"never"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyStopping {
    /// Stop as soon as `num_beams` hypotheses are finished.
    Yes,
    /// transformers' heuristic: stop when the best running beam, at its current length, cannot
    /// beat the worst finished one (the default).
    Heuristic,
    /// Stop only when no better hypothesis is possible (canonical beam search).
    Never,
}

impl<'de> Deserialize<'de> for EarlyStopping {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        match Value::deserialize(de)? {
            Value::Bool(true) => Ok(Self::Yes),
            Value::Bool(false) | Value::Null => Ok(Self::Heuristic),
            Value::String(s) if s == "never" => Ok(Self::Never),
            other => Err(serde::de::Error::custom(format!(
                "early_stopping must be true, false or \"never\", not {other}"
            ))),
        }
    }
}

/// `generation_config.json`. Every field is optional, as in the file; [`GenerationParams`]
/// applies transformers' `_get_default_generation_params` for the unset ones.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenerationConfig {
    pub max_length: Option<usize>,
    pub max_new_tokens: Option<usize>,
    pub min_length: Option<usize>,
    pub min_new_tokens: Option<usize>,
    pub early_stopping: Option<EarlyStopping>,
    pub do_sample: Option<bool>,
    pub num_beams: Option<usize>,
    pub length_penalty: Option<f64>,
    pub repetition_penalty: Option<f64>,
    pub no_repeat_ngram_size: Option<usize>,
    pub bad_words_ids: Option<Vec<Vec<u32>>>,
    pub num_return_sequences: Option<usize>,
    pub forced_bos_token_id: Option<u32>,
    pub forced_eos_token_id: Option<TokenIds>,
    pub renormalize_logits: Option<bool>,
    pub pad_token_id: Option<u32>,
    pub bos_token_id: Option<u32>,
    pub eos_token_id: Option<TokenIds>,
    pub decoder_start_token_id: Option<u32>,
    /// Everything else, checked against [`REFUSED`].
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// Generation settings that change the output and that [`crate::translate::generate`] does
/// not implement, each with the values that mean "off".
const REFUSED: &[(&str, &[&str])] = &[
    ("num_beam_groups", &["1"]),
    ("diversity_penalty", &["0.0", "0"]),
    ("penalty_alpha", &[]),
    ("top_h", &[]),
    ("constraints", &[]),
    ("force_words_ids", &[]),
    ("forced_decoder_ids", &[]),
    ("sequence_bias", &[]),
    ("guidance_scale", &["1.0", "1"]),
    ("suppress_tokens", &["[]"]),
    ("begin_suppress_tokens", &["[]"]),
    ("exponential_decay_length_penalty", &[]),
    ("encoder_repetition_penalty", &["1.0", "1"]),
    ("encoder_no_repeat_ngram_size", &["0"]),
    ("remove_invalid_values", &["false"]),
    ("max_time", &[]),
    ("stop_strings", &["[]"]),
    ("watermarking_config", &[]),
    ("prompt_lookup_num_tokens", &[]),
    ("assistant_model", &[]),
    ("low_memory", &["false"]),
    ("use_mtp", &["false"]),
];

/// What decoding needs, resolved from both files the way `generate()` resolves them.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationParams {
    /// Total length of a hypothesis, the decoder start token included.
    pub max_length: usize,
    pub min_length: usize,
    /// `min_new_tokens`, counted after the decoder start token.
    pub min_new_tokens: usize,
    pub num_beams: usize,
    pub length_penalty: f64,
    pub early_stopping: EarlyStopping,
    pub repetition_penalty: f64,
    pub no_repeat_ngram_size: usize,
    /// Sequences never to produce, EOS-only ones removed (as `NoBadWordsLogitsProcessor` does).
    pub bad_words_ids: Vec<Vec<u32>>,
    pub forced_bos_token_id: Option<u32>,
    pub forced_eos_token_ids: Vec<u32>,
    pub renormalize_logits: bool,
    pub eos_token_ids: Vec<u32>,
    pub pad_token_id: u32,
    pub decoder_start_token_id: u32,
}

impl GenerationConfig {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        read_json(path, "generation config")
    }

    /// Applies transformers' defaults and the model config's special tokens, and refuses what
    /// cannot be honoured. `path` is named in errors.
    pub fn resolve(
        &self,
        model: &MarianConfig,
        path: &Path,
    ) -> Result<GenerationParams, ConfigError> {
        let bad = |message: String| ConfigError::Unsupported {
            path: PathBuf::from(path),
            message,
        };
        for (name, neutral) in REFUSED {
            if let Some(v) = self.other.get(*name) {
                let text = v.to_string();
                if !v.is_null() && !neutral.contains(&text.as_str()) {
                    return Err(bad(format!(
                        "{name} is {text}; the translator does not implement {name}"
                    )));
                }
            }
        }
        if self.do_sample == Some(true) {
            return Err(bad(
                "do_sample is true; the translator decodes deterministically (beam search or \
                 greedy) and does not sample"
                    .into(),
            ));
        }
        if let Some(n) = self.num_return_sequences {
            if n != 1 {
                return Err(bad(format!(
                    "num_return_sequences is {n}; the translator returns one translation"
                )));
            }
        }
        let num_beams = self.num_beams.unwrap_or(1);
        if num_beams == 0 {
            return Err(bad("num_beams is 0; it must be at least 1".into()));
        }
        // The decoder starts from one token, so `max_new_tokens` counts after it; an unset
        // length is transformers' 20 new tokens, capped by the position table.
        let prompt = 1;
        let max_length = match (self.max_new_tokens, self.max_length) {
            (Some(n), _) => n + prompt,
            (None, Some(n)) => n,
            (None, None) => (20 + prompt).min(model.max_position_embeddings),
        };
        if max_length <= prompt {
            return Err(bad(format!(
                "max_length {max_length} leaves no room for a single generated token"
            )));
        }
        let min_length = match self.min_new_tokens {
            Some(n) => n + prompt,
            None => self.min_length.unwrap_or(0),
        };
        // Special tokens come from generation_config.json alone: transformers 5 does not fall
        // back to config.json for them once that file exists.
        let eos_token_ids = self
            .eos_token_id
            .as_ref()
            .map(TokenIds::to_vec)
            .unwrap_or_default();
        let decoder_start_token_id = self
            .decoder_start_token_id
            .or(self.bos_token_id)
            .ok_or_else(|| {
                bad(
                    "neither decoder_start_token_id nor bos_token_id is set, so decoding \
                         has no first token"
                        .into(),
                )
            })?;
        // The pad token only fills finished hypotheses; unset, transformers uses the EOS token.
        let pad_token_id = self
            .pad_token_id
            .or(eos_token_ids.first().copied())
            .unwrap_or(decoder_start_token_id);
        let bad_words_ids = self
            .bad_words_ids
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|w| !(w.len() == 1 && eos_token_ids.contains(&w[0])))
            .collect::<Vec<_>>();
        if bad_words_ids.iter().any(Vec::is_empty) {
            return Err(bad("bad_words_ids holds an empty sequence".into()));
        }
        let vocab = model.target_vocab_size();
        let all_ids = bad_words_ids
            .iter()
            .flatten()
            .chain(eos_token_ids.iter())
            .chain(self.forced_bos_token_id.iter())
            .chain(std::iter::once(&decoder_start_token_id));
        for &id in all_ids {
            if id as usize >= vocab {
                return Err(bad(format!(
                    "token id {id} is outside the vocabulary of {vocab} tokens"
                )));
            }
        }
        let repetition_penalty = self.repetition_penalty.unwrap_or(1.0);
        if repetition_penalty <= 0.0 {
            return Err(bad(format!(
                "repetition_penalty is {repetition_penalty}; it must be positive"
            )));
        }
        Ok(GenerationParams {
            max_length,
            min_length,
            min_new_tokens: self.min_new_tokens.unwrap_or(0),
            num_beams,
            length_penalty: self.length_penalty.unwrap_or(1.0),
            early_stopping: self.early_stopping.unwrap_or(EarlyStopping::Heuristic),
            repetition_penalty,
            no_repeat_ngram_size: self.no_repeat_ngram_size.unwrap_or(0),
            bad_words_ids,
            forced_bos_token_id: self.forced_bos_token_id,
            // `forced_eos_token_id` lives in generation_config.json; configs saved before it
            // existed carried it in config.json, which transformers 5 no longer reads for
            // generation, so only the generation config counts.
            forced_eos_token_ids: self
                .forced_eos_token_id
                .as_ref()
                .map(TokenIds::to_vec)
                .unwrap_or_default(),
            renormalize_logits: self.renormalize_logits.unwrap_or(false),
            eos_token_ids,
            pad_token_id,
            decoder_start_token_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(json: &str) -> Result<MarianConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, json).unwrap();
        MarianConfig::from_file(&p)
    }

    fn generation(json: &str, m: &MarianConfig) -> Result<GenerationParams, ConfigError> {
        let cfg: GenerationConfig = serde_json::from_str(json).unwrap();
        cfg.resolve(m, Path::new("generation_config.json"))
    }

    const KO_EN: &str = r#"{
        "activation_function": "swish", "architectures": ["MarianMTModel"],
        "bad_words_ids": [[65000]], "d_model": 512, "decoder_attention_heads": 8,
        "decoder_ffn_dim": 2048, "decoder_layers": 6, "decoder_start_token_id": 65000,
        "decoder_vocab_size": 65001, "encoder_attention_heads": 8, "encoder_ffn_dim": 2048,
        "encoder_layers": 6, "eos_token_id": 0, "forced_eos_token_id": 0,
        "max_length": 512, "max_position_embeddings": 512, "model_type": "marian",
        "normalize_before": false, "normalize_embedding": false, "num_beams": 4,
        "pad_token_id": 65000, "scale_embedding": true, "share_encoder_decoder_embeddings": true,
        "static_position_embeddings": true, "add_bias_logits": false, "vocab_size": 65001
    }"#;

    #[test]
    fn reads_the_opus_mt_config_and_its_generation_config() {
        let m = model(KO_EN).unwrap();
        assert_eq!((m.d_model, m.encoder_layers, m.vocab_size), (512, 6, 65001));
        assert_eq!(
            Activation::from_name(&m.activation_function).unwrap(),
            Activation::Silu
        );
        let g = generation(
            r#"{"bad_words_ids": [[65000]], "bos_token_id": 0, "decoder_start_token_id": 65000,
                "eos_token_id": 0, "forced_eos_token_id": 0, "max_length": 512, "num_beams": 4,
                "pad_token_id": 65000, "renormalize_logits": true,
                "transformers_version": "4.32.0.dev0"}"#,
            &m,
        )
        .unwrap();
        assert_eq!(g.max_length, 512);
        assert_eq!(g.num_beams, 4);
        assert_eq!(g.bad_words_ids, vec![vec![65000]]);
        assert_eq!(g.forced_eos_token_ids, vec![0]);
        assert!(g.renormalize_logits);
        assert_eq!(g.early_stopping, EarlyStopping::Heuristic);
        assert_eq!((g.decoder_start_token_id, g.pad_token_id), (65000, 65000));
    }

    #[test]
    fn defaults_are_transformers_defaults() {
        let m = model("{}").unwrap();
        assert_eq!(
            (m.vocab_size, m.d_model, m.encoder_layers),
            (58101, 1024, 12)
        );
        assert_eq!(m.activation_function, "gelu");
        assert_eq!(m.pad_token_id, Some(58100));
        let err = generation("{}", &m).unwrap_err().to_string();
        assert!(err.contains("decoder_start_token_id"), "{err}");
        let g = generation(r#"{"decoder_start_token_id": 5, "eos_token_id": 0}"#, &m).unwrap();
        // 20 new tokens after the start token; greedy; no bad words.
        assert_eq!((g.max_length, g.num_beams), (21, 1));
        assert_eq!(g.length_penalty, 1.0);
        assert!(g.bad_words_ids.is_empty() && g.forced_eos_token_ids.is_empty());
        assert_eq!(g.eos_token_ids, vec![0]);
        let g = generation(
            r#"{"max_new_tokens": 7, "early_stopping": "never", "bos_token_id": 3}"#,
            &m,
        )
        .unwrap();
        assert_eq!(g.decoder_start_token_id, 3);
        assert_eq!((g.max_length, g.early_stopping), (8, EarlyStopping::Never));
    }

    #[test]
    fn refuses_what_it_cannot_honour_by_name() {
        let err = model(r#"{"normalize_before": true}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("normalize_before"), "{err}");
        let err = model(r#"{"activation_function": "mish"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("mish"), "{err}");
        let err = model(r#"{"d_model": 30, "encoder_attention_heads": 4}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("multiple"), "{err}");
        let m = model("{}").unwrap();
        for (json, name) in [
            (r#"{"bos_token_id": 0, "do_sample": true}"#, "do_sample"),
            (r#"{"num_beam_groups": 2}"#, "num_beam_groups"),
            (r#"{"suppress_tokens": [5]}"#, "suppress_tokens"),
            (r#"{"num_return_sequences": 3}"#, "num_return_sequences"),
            (
                r#"{"bos_token_id": 0, "bad_words_ids": [[99999999]]}"#,
                "outside",
            ),
        ] {
            let err = generation(json, &m).unwrap_err().to_string();
            assert!(err.contains(name), "{json}: {err}");
        }
        // Neutral values of refused fields are fine.
        generation(
            r#"{"bos_token_id": 0, "num_beam_groups": 1, "diversity_penalty": 0.0}"#,
            &m,
        )
        .unwrap();
    }

    #[test]
    fn eos_only_bad_words_are_dropped_as_transformers_drops_them() {
        let m = model("{}").unwrap();
        let g = generation(
            r#"{"bos_token_id": 1, "eos_token_id": 0, "bad_words_ids": [[0], [5], [0, 7]]}"#,
            &m,
        )
        .unwrap();
        assert_eq!(g.bad_words_ids, vec![vec![5], vec![0, 7]]);
    }
}
