//! Korean → English (or any Marian pair) translation on candle: a MarianMT model in the
//! Hugging Face layout, its SentencePiece tokenizer, and transformers' `generate()`.
//!
//! ```text
//! TranslatorFiles::from_folder(dir) ─► Translator::load(files, device, ctx, cache) ─► translate(text)
//! ```
//!
//! A folder holding only `pytorch_model.bin` is read by a tensor-only unpickler
//! ([`pickle`]) that executes nothing, and converted once to safetensors at the path the
//! caller gives, so later loads map that file instead.

pub mod config;
pub mod generate;
pub mod marian;
pub mod pickle;
pub mod tokenizer;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use crate::model::config::ConfigError;
use crate::pipeline::layers::LoadContext;
use crate::pipeline::plain_message;
use config::{GenerationConfig, GenerationParams, MarianConfig};
use generate::Hypothesis;
use marian::{Encoded, MarianMTModel};
use pickle::PickleError;
use tokenizer::{MarianTokenizer, TokenizerError};

/// Why a translator could not be loaded or could not translate.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error(
        "{dir} is not a complete translator folder: {name} is missing (a Marian translator \
         needs config.json, generation_config.json, model.safetensors or pytorch_model.bin, \
         source.spm, target.spm, vocab.json and tokenizer_config.json)"
    )]
    MissingFile { dir: PathBuf, name: &'static str },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Pickle(#[from] PickleError),
    #[error(
        "the translator weights {path} do not fit its config.json: {message}\nhint: check that \
         both come from the same model and that the download is complete"
    )]
    Weights { path: PathBuf, message: String },
    #[error("translation failed: {0}")]
    Compute(String),
}

impl From<candle_core::Error> for TranslateError {
    fn from(e: candle_core::Error) -> Self {
        TranslateError::Compute(plain_message(&e))
    }
}

/// Where a translator's weights are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsFile {
    Safetensors(PathBuf),
    /// A `torch.save`d state dict, read without executing anything.
    PytorchBin(PathBuf),
}

/// The files of one Marian translator folder (Hugging Face layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslatorFiles {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub generation_config: PathBuf,
    pub weights: WeightsFile,
    pub source_spm: PathBuf,
    pub target_spm: PathBuf,
    pub vocab: PathBuf,
    pub tokenizer_config: PathBuf,
}

impl TranslatorFiles {
    /// Finds every file in `dir`; the first one missing is named in the error. With both
    /// weight files present, `model.safetensors` is used, as transformers prefers it.
    pub fn from_folder(dir: &Path) -> Result<Self, TranslateError> {
        let need = |name: &'static str| {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(TranslateError::MissingFile {
                    dir: dir.to_path_buf(),
                    name,
                })
            }
        };
        let config = need("config.json")?;
        let generation_config = need("generation_config.json")?;
        let weights = match (need("model.safetensors"), need("pytorch_model.bin")) {
            (Ok(p), _) => WeightsFile::Safetensors(p),
            (Err(_), Ok(p)) => WeightsFile::PytorchBin(p),
            (Err(_), Err(_)) => {
                return Err(TranslateError::MissingFile {
                    dir: dir.to_path_buf(),
                    name: "model.safetensors (or pytorch_model.bin)",
                })
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            generation_config,
            weights,
            source_spm: need("source.spm")?,
            target_spm: need("target.spm")?,
            vocab: need("vocab.json")?,
            tokenizer_config: need("tokenizer_config.json")?,
        })
    }
}

/// One translated text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub text: String,
    /// Source tokens fed to the encoder (`</s>` included), after any truncation.
    pub input_tokens: usize,
    /// The input was longer than the model takes and its end was cut.
    pub truncated_input: bool,
    /// Decoding stopped at the generation config's `max_length`, so the text may be cut.
    pub hit_max_length: bool,
}

/// A loaded translator: network, tokenizer and decoding settings.
pub struct Translator {
    model: MarianMTModel,
    tokenizer: MarianTokenizer,
    generation: GenerationParams,
    device: Device,
    max_input_tokens: usize,
}

/// Metadata keys of a converted `.bin`, to tell whether a cached conversion is of this file.
const SOURCE_BYTES: &str = "reportfig.source_bytes";
const SOURCE_MODIFIED: &str = "reportfig.source_modified";

impl Translator {
    /// Reads the configs and tokenizer and loads the weights. `model.safetensors` is
    /// memory-mapped; a `pytorch_model.bin` is read by the tensor-only unpickler and, when
    /// `converted_cache` is given, written there as safetensors once (a cached conversion is
    /// reused while the `.bin`'s size and modification time are unchanged). The network is
    /// built with `ctx` (the CPU kernels and how packed weights are held), as the image
    /// pipeline's are, so nothing here reads global state.
    pub fn load(
        files: &TranslatorFiles,
        device: &Device,
        ctx: &LoadContext,
        converted_cache: Option<&Path>,
    ) -> Result<Self, TranslateError> {
        let cfg = MarianConfig::from_file(&files.config)?;
        let generation = GenerationConfig::from_file(&files.generation_config)?
            .resolve(&cfg, &files.generation_config)?;
        let tokenizer = MarianTokenizer::from_files(
            &files.source_spm,
            &files.target_spm,
            &files.vocab,
            &files.tokenizer_config,
        )?;
        let (vb, path) = weights(&files.weights, device, converted_cache)?;
        let model = MarianMTModel::load(vb, &cfg, ctx).map_err(|e| TranslateError::Weights {
            path: path.clone(),
            message: plain_message(&e),
        })?;
        // Packing frees each loaded weight right after copying it; give the holes back.
        if device.is_cpu() {
            crate::pipeline::memory::release_free_memory();
        }
        let max_input_tokens = tokenizer.max_len().min(model.max_positions());
        Ok(Self {
            model,
            tokenizer,
            generation,
            device: device.clone(),
            max_input_tokens,
        })
    }

    /// Builds a translator from parts already in memory (tests and benchmarks).
    pub fn from_parts(
        model: MarianMTModel,
        tokenizer: MarianTokenizer,
        generation: GenerationParams,
        device: &Device,
    ) -> Self {
        let max_input_tokens = tokenizer.max_len().min(model.max_positions());
        Self {
            model,
            tokenizer,
            generation,
            device: device.clone(),
            max_input_tokens,
        }
    }

    /// The most source tokens (`</s>` included) one input can have; longer inputs are cut.
    pub fn max_input_tokens(&self) -> usize {
        self.max_input_tokens
    }

    pub fn generation(&self) -> &GenerationParams {
        &self.generation
    }

    pub fn model(&self) -> &MarianMTModel {
        &self.model
    }

    pub fn translate(&self, text: &str) -> Result<Translation, TranslateError> {
        let mut out = self.translate_many(&[text])?;
        Ok(out.pop().expect("one translation per text"))
    }

    /// Translates several texts in one batch: each is encoded on its own, and the decoder
    /// runs all of them (their beams) together until each is done.
    pub fn translate_many(&self, texts: &[&str]) -> Result<Vec<Translation>, TranslateError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut inputs = Vec::with_capacity(texts.len());
        for text in texts {
            let mut ids = self.tokenizer.encode(text);
            let truncated = ids.len() > self.max_input_tokens;
            if truncated {
                // As transformers' truncation: the pieces are cut, then `</s>` ends the input.
                ids.truncate(self.max_input_tokens - 1);
                ids.push(self.tokenizer.eos_id());
            }
            inputs.push((ids, truncated));
        }
        let ids: Vec<Vec<u32>> = inputs.iter().map(|(ids, _)| ids.clone()).collect();
        let hyps = self.generate_ids(&ids)?;
        inputs
            .into_iter()
            .zip(hyps)
            .map(|((ids, truncated_input), h)| {
                Ok::<_, TranslateError>(Translation {
                    text: self.tokenizer.decode(&h.ids),
                    input_tokens: ids.len(),
                    truncated_input,
                    hit_max_length: h.hit_max_length,
                })
            })
            .collect()
    }

    /// Runs `generate()` on token ids (each input's `</s>` included): the whole sequences,
    /// decoder start token first.
    pub fn generate_ids(&self, inputs: &[Vec<u32>]) -> Result<Vec<Hypothesis>, TranslateError> {
        let encoded = self.encode_ids(inputs)?;
        Ok(generate::generate(
            &self.model,
            &encoded,
            &self.generation,
            None,
        )?)
    }

    /// The encoder states of each input, padded into one batch.
    pub fn encode_ids(&self, inputs: &[Vec<u32>]) -> Result<Encoded, TranslateError> {
        let hidden = inputs
            .iter()
            .map(|ids| {
                let t = Tensor::new(ids.as_slice(), &self.device)?.unsqueeze(0)?;
                self.model.encode(&t)
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Encoded::stack(&hidden)?)
    }
}

/// A VarBuilder over the weights, and the file they come from (for errors).
fn weights(
    file: &WeightsFile,
    device: &Device,
    converted_cache: Option<&Path>,
) -> Result<(VarBuilder<'static>, PathBuf), TranslateError> {
    let mapped = |path: &Path| -> Result<VarBuilder<'static>, TranslateError> {
        // SAFETY: the weights are memory-mapped read-only; they belong to the user's model
        // folder, the hub cache or our own conversion cache and are not modified while
        // reportfig runs.
        #[allow(unsafe_code)]
        let w = unsafe { crate::pipeline::weights::MappedWeights::open(&[path.to_path_buf()]) };
        let w = w.map_err(|e| TranslateError::Weights {
            path: path.to_path_buf(),
            message: plain_message(&e),
        })?;
        Ok(VarBuilder::from_backend(
            Box::new(w),
            DType::F32,
            device.clone(),
        ))
    };
    let bin = match file {
        WeightsFile::Safetensors(p) => return Ok((mapped(p)?, p.clone())),
        WeightsFile::PytorchBin(p) => p,
    };
    let stamp = source_stamp(bin)?;
    if let Some(cache) = converted_cache {
        if cached_stamp(cache).as_ref() == Some(&stamp) {
            return Ok((mapped(cache)?, cache.to_path_buf()));
        }
        let mut meta = HashMap::from([
            (SOURCE_BYTES.to_string(), stamp.0.clone()),
            (SOURCE_MODIFIED.to_string(), stamp.1.clone()),
        ]);
        meta.insert(
            "reportfig.converted_from".into(),
            "pytorch_model.bin".into(),
        );
        pickle::convert_to_safetensors(bin, cache, meta)?;
        return Ok((mapped(cache)?, cache.to_path_buf()));
    }
    let dict = pickle::read_state_dict(bin)?;
    let mut tensors = HashMap::new();
    for (name, raw) in &dict.tensors {
        tensors.insert(name.clone(), raw_to_tensor(bin, name, raw, device)?);
    }
    for (alias, of) in &dict.aliases {
        if let Some(t) = tensors.get(of).cloned() {
            tensors.insert(alias.clone(), t);
        }
    }
    let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
    Ok((vb, bin.clone()))
}

fn raw_to_tensor(
    bin: &Path,
    name: &str,
    raw: &pickle::RawTensor,
    device: &Device,
) -> Result<Tensor, TranslateError> {
    use safetensors::Dtype as S;
    let dtype = match raw.dtype {
        S::F32 => DType::F32,
        S::F16 => DType::F16,
        S::BF16 => DType::BF16,
        S::F64 => DType::F64,
        S::I64 => DType::I64,
        S::U8 | S::BOOL => DType::U8,
        other => {
            return Err(TranslateError::Weights {
                path: bin.to_path_buf(),
                message: format!("{name} holds {other:?} values, which no translator weight uses"),
            })
        }
    };
    let t = Tensor::from_raw_buffer(&raw.data, dtype, &raw.shape, device)?;
    Ok(t)
}

/// The `.bin`'s size and modification time, as stored in a conversion's metadata.
fn source_stamp(bin: &Path) -> Result<(String, String), TranslateError> {
    let meta = std::fs::metadata(bin).map_err(|source| PickleError::Io {
        path: bin.to_path_buf(),
        source,
    })?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(String::new(), |d| {
            format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
        });
    Ok((meta.len().to_string(), modified))
}

/// The stamp recorded in a cached conversion, if the file is one of ours and readable.
fn cached_stamp(cache: &Path) -> Option<(String, String)> {
    let mut f = std::fs::File::open(cache).ok()?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).ok()?;
    let len = u64::from_le_bytes(len);
    if len > 100_000_000 {
        return None;
    }
    let mut header = vec![0u8; len as usize];
    f.read_exact(&mut header).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    let meta = header.get("__metadata__")?;
    Some((
        meta.get(SOURCE_BYTES)?.as_str()?.to_string(),
        meta.get(SOURCE_MODIFIED)?.as_str()?.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_names_its_first_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = TranslatorFiles::from_folder(dir.path()).unwrap_err();
        assert!(err.to_string().contains("config.json is missing"), "{err}");
        for f in ["config.json", "generation_config.json"] {
            std::fs::write(dir.path().join(f), "{}").unwrap();
        }
        let err = TranslatorFiles::from_folder(dir.path()).unwrap_err();
        assert!(err
            .to_string()
            .contains("model.safetensors (or pytorch_model.bin) is missing"));
        std::fs::write(dir.path().join("pytorch_model.bin"), "").unwrap();
        let err = TranslatorFiles::from_folder(dir.path()).unwrap_err();
        assert!(err.to_string().contains("source.spm is missing"), "{err}");
        for f in [
            "source.spm",
            "target.spm",
            "vocab.json",
            "tokenizer_config.json",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let files = TranslatorFiles::from_folder(dir.path()).unwrap();
        assert_eq!(
            files.weights,
            WeightsFile::PytorchBin(dir.path().join("pytorch_model.bin"))
        );
        std::fs::write(dir.path().join("model.safetensors"), "").unwrap();
        let files = TranslatorFiles::from_folder(dir.path()).unwrap();
        assert!(matches!(files.weights, WeightsFile::Safetensors(_)));
    }
}
