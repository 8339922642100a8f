//! CLIP's byte-level BPE tokenizer, built to give the ids transformers 5.23's `CLIPTokenizer`
//! gives (it is the `tokenizers`-backed class there) when diffusers calls it with
//! `padding="max_length", truncation=True`.
//!
//! transformers builds the pipeline itself and takes only the vocabulary and merges from the
//! files: NFC, runs of whitespace to one space, lower case; CLIP's word regex (everything
//! that does not match is dropped); byte-level symbols; BPE with the `</w>` end-of-word mark;
//! `<|startoftext|>` … `<|endoftext|>` around the text. The special tokens (and SD 2's `!` pad
//! token) are "added tokens": they are matched in the raw text before anything else.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::{Lowercase, Replace, Sequence as NormalizerSequence, NFC};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence as PreTokenizerSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use super::TextError;

/// The end-of-word mark CLIP's BPE appends to the last symbol of every word.
pub const END_OF_WORD: &str = "</w>";

/// CLIP's word regex: the special tokens, English contractions, runs of letters, single
/// digits, runs of other non-space characters.
const CLIP_SPLIT: &str =
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

/// How many token ids diffusers feeds the text encoder unless the tokenizer says otherwise.
pub const DEFAULT_MAX_LENGTH: usize = 77;

/// The 256 byte-level symbols in the order of CLIP's (and GPT-2's) `bytes_to_unicode`:
/// printable Latin-1 bytes stand for themselves, the others are shifted to U+0100 and up.
/// This is also the order of the first 256 ids of CLIP's vocabulary.
pub fn byte_level_alphabet() -> Vec<char> {
    let printable = |b: u32| {
        (u32::from(b'!')..=u32::from(b'~')).contains(&b)
            || (0xA1..=0xAC).contains(&b)
            || (0xAE..=0xFF).contains(&b)
    };
    let mut symbols: Vec<char> = (0..256u32)
        .filter(|&b| printable(b))
        .filter_map(char::from_u32)
        .collect();
    let mut shifted = 0;
    for b in 0..256u32 {
        if !printable(b) {
            symbols.extend(char::from_u32(256 + shifted));
            shifted += 1;
        }
    }
    symbols
}

/// Token ids for one prompt, exactly `max_length` long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    /// `<|startoftext|>`, at most `max_length - 2` text tokens, `<|endoftext|>`, then padding.
    pub ids: Vec<u32>,
    /// The end of the prompt that did not fit, decoded as diffusers shows it in its warning;
    /// `None` when the whole prompt fits.
    pub dropped: Option<String>,
}

/// A CLIP tokenizer loaded from a diffusers `tokenizer` / `tokenizer_2` folder.
#[derive(Debug, Clone)]
pub struct ClipTokenizer {
    inner: Tokenizer,
    bos_id: u32,
    eos_id: u32,
    pad_id: u32,
    max_length: usize,
}

/// One special token as transformers reads it: a plain string, or an `AddedToken` object
/// with its matching flags.
#[derive(Debug, Clone)]
struct SpecialToken {
    content: String,
    lstrip: bool,
    rstrip: bool,
    single_word: bool,
    /// `None`: not stated; transformers then treats a special token as not normalised.
    normalized: Option<bool>,
    /// Given as a plain string: Python never finds a string equal to an `AddedToken`, which
    /// decides whether transformers adds it a second time (and so overrides the flags).
    plain: bool,
}

impl SpecialToken {
    fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(Self {
                content: s.clone(),
                lstrip: false,
                rstrip: false,
                single_word: false,
                normalized: None,
                plain: true,
            }),
            Value::Object(o) => {
                let flag = |k: &str| o.get(k).and_then(Value::as_bool);
                Some(Self {
                    content: o.get("content")?.as_str()?.to_string(),
                    lstrip: flag("lstrip").unwrap_or(false),
                    rstrip: flag("rstrip").unwrap_or(false),
                    single_word: flag("single_word").unwrap_or(false),
                    normalized: flag("normalized"),
                    plain: false,
                })
            }
            _ => None,
        }
    }

    /// Python's `==` between the two values transformers holds (a `str` or an `AddedToken`).
    fn same_as(&self, other: &Self) -> bool {
        self.content == other.content
            && self.plain == other.plain
            && (self.plain
                || (self.lstrip, self.rstrip, self.single_word, self.normalized)
                    == (
                        other.lstrip,
                        other.rstrip,
                        other.single_word,
                        other.normalized,
                    ))
    }

    fn to_added(&self) -> AddedToken {
        AddedToken::from(self.content.clone(), true)
            .lstrip(self.lstrip)
            .rstrip(self.rstrip)
            .single_word(self.single_word)
            .normalized(self.normalized.unwrap_or(false))
    }
}

/// The special-token settings of a tokenizer folder, merged the way transformers 5.23 merges
/// `tokenizer_config.json` and the legacy `special_tokens_map.json`.
#[derive(Debug, Clone)]
struct SpecialTokens {
    /// `added_tokens_decoder` of `tokenizer_config.json` (or `added_tokens` of
    /// `tokenizer.json`), in id order.
    added: Vec<SpecialToken>,
    bos: SpecialToken,
    eos: SpecialToken,
    unk: SpecialToken,
    pad: SpecialToken,
    max_length: usize,
}

fn read_json_file(path: &Path) -> Result<Option<Value>, TextError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|source| TextError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| TextError::BadTokenizerFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

fn named(content: &str) -> SpecialToken {
    SpecialToken::from_json(&Value::String(content.into())).unwrap_or(SpecialToken {
        content: content.into(),
        lstrip: false,
        rstrip: false,
        single_word: false,
        normalized: None,
        plain: true,
    })
}

impl SpecialTokens {
    fn read(dir: &Path, tokenizer_json: Option<&Value>) -> Result<Self, TextError> {
        let config = read_json_file(&dir.join("tokenizer_config.json"))?.unwrap_or(Value::Null);
        let mut values: HashMap<&str, Value> = HashMap::new();
        for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
            if let Some(v) = config.get(key).filter(|v| !v.is_null()) {
                values.insert(key, v.clone());
            }
        }
        let mut added: Vec<(u64, SpecialToken)> = Vec::new();
        if let Some(Value::Object(decoder)) = config.get("added_tokens_decoder") {
            for (id, tok) in decoder {
                if let (Ok(id), Some(t)) = (id.parse::<u64>(), SpecialToken::from_json(tok)) {
                    added.push((id, t));
                }
            }
        } else {
            // Legacy repos (most SD ones): special_tokens_map.json overrides the config.
            let map_path = dir.join("special_tokens_map.json");
            if let Some(Value::Object(map)) = read_json_file(&map_path)? {
                for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
                    if let Some(v) = map.get(key).filter(|v| !v.is_null()) {
                        values.insert(key, v.clone());
                    }
                }
            }
            if let Some(Value::Array(list)) = tokenizer_json.and_then(|t| t.get("added_tokens")) {
                for tok in list {
                    if let (Some(id), Some(t)) = (
                        tok.get("id").and_then(Value::as_u64),
                        SpecialToken::from_json(tok),
                    ) {
                        added.push((id, t));
                    }
                }
            }
        }
        added.sort_by_key(|(id, _)| *id);
        // A named token given as a plain string takes the flags of the added token with the
        // same text, as transformers maps it through `added_tokens_decoder`.
        let resolve = |key: &str, default: &str| -> SpecialToken {
            let token = values
                .get(key)
                .and_then(SpecialToken::from_json)
                .unwrap_or_else(|| named(default));
            if matches!(values.get(key), Some(Value::String(_)) | None) {
                if let Some((_, a)) = added.iter().find(|(_, a)| a.content == token.content) {
                    return a.clone();
                }
            }
            token
        };
        let max_length = config
            .get("model_max_length")
            .and_then(Value::as_f64)
            // transformers writes 1e30 for "no limit"; SD models always mean 77.
            .filter(|m| (2.0..=1e6).contains(m))
            .map(|m| m as usize)
            .unwrap_or(DEFAULT_MAX_LENGTH);
        Ok(Self {
            bos: resolve("bos_token", "<|startoftext|>"),
            eos: resolve("eos_token", "<|endoftext|>"),
            unk: resolve("unk_token", "<|endoftext|>"),
            pad: resolve("pad_token", "<|endoftext|>"),
            added: added.into_iter().map(|(_, t)| t).collect(),
            max_length,
        })
    }
}

/// Vocabulary and merges from `tokenizer.json` (`model.vocab`, `model.merges` as `"a b"`
/// strings or `["a", "b"]` pairs).
fn vocab_merges_from_tokenizer_json(
    path: &Path,
    json: &Value,
) -> Result<(Vocab, Vec<(String, String)>), TextError> {
    let bad = |message: &str| TextError::BadTokenizerFile {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    let model = json
        .get("model")
        .ok_or_else(|| bad("it has no \"model\" section"))?;
    if let Some(kind) = model.get("type").and_then(Value::as_str) {
        if kind != "BPE" {
            return Err(bad(&format!(
                "its model is {kind}, but a CLIP tokenizer is BPE; this folder does not hold a \
                 CLIP tokenizer"
            )));
        }
    }
    let vocab: Vocab = model
        .get("vocab")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("\"model.vocab\" is missing or not a table"))?
        .iter()
        .filter_map(|(t, id)| Some((t.clone(), u32::try_from(id.as_u64()?).ok()?)))
        .collect();
    let mut merges = Vec::new();
    for (i, m) in model
        .get("merges")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("\"model.merges\" is missing or not a list"))?
        .iter()
        .enumerate()
    {
        let pair = match m {
            Value::String(s) => s
                .split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string())),
            Value::Array(p) if p.len() == 2 => match (p[0].as_str(), p[1].as_str()) {
                (Some(a), Some(b)) => Some((a.to_string(), b.to_string())),
                _ => None,
            },
            _ => None,
        };
        merges.push(pair.ok_or_else(|| bad(&format!("merge number {} is not a pair", i + 1)))?);
    }
    Ok((vocab, merges))
}

fn vocab_from_file(path: &Path) -> Result<Vocab, TextError> {
    let json = read_json_file(path)?.ok_or_else(|| TextError::MissingTokenizerFile {
        path: path.to_path_buf(),
    })?;
    let map = json
        .as_object()
        .ok_or_else(|| TextError::BadTokenizerFile {
            path: path.to_path_buf(),
            message: "it is not a table of token -> id".into(),
        })?;
    map.iter()
        .map(|(t, id)| {
            id.as_u64()
                .and_then(|i| u32::try_from(i).ok())
                .map(|i| (t.clone(), i))
                .ok_or_else(|| TextError::BadTokenizerFile {
                    path: path.to_path_buf(),
                    message: format!("the id of token {t:?} is not a whole number"),
                })
        })
        .collect()
}

fn merges_from_file(path: &Path) -> Result<Vec<(String, String)>, TextError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            TextError::MissingTokenizerFile {
                path: path.to_path_buf(),
            }
        } else {
            TextError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let mut merges = Vec::new();
    // Only the `#version` header is skipped, as the tokenizers library does.
    for (i, line) in text
        .lines()
        .filter(|l| !l.starts_with("#version"))
        .enumerate()
    {
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => merges.push((a.to_string(), b.to_string())),
            _ => {
                return Err(TextError::BadTokenizerFile {
                    path: path.to_path_buf(),
                    message: format!(
                        "merge line {} ({line:?}) is not two symbols separated by one space",
                        i + 1
                    ),
                })
            }
        }
    }
    Ok(merges)
}

impl ClipTokenizer {
    /// Loads a diffusers tokenizer folder: `tokenizer.json` when the folder has one, otherwise
    /// `vocab.json` + `merges.txt`; special tokens, the pad token and `model_max_length` from
    /// `tokenizer_config.json` / `special_tokens_map.json` (SD 1.x pads with `<|endoftext|>`,
    /// SD 2.x with `!`).
    pub fn from_dir(dir: &Path) -> Result<Self, TextError> {
        if !dir.is_dir() {
            return Err(TextError::MissingTokenizerFile {
                path: dir.to_path_buf(),
            });
        }
        let tokenizer_json_path = dir.join("tokenizer.json");
        let tokenizer_json = read_json_file(&tokenizer_json_path)?;
        let (vocab, merges, source) = match &tokenizer_json {
            Some(json) => {
                let (v, m) = vocab_merges_from_tokenizer_json(&tokenizer_json_path, json)?;
                (v, m, tokenizer_json_path.clone())
            }
            None => (
                vocab_from_file(&dir.join("vocab.json"))?,
                merges_from_file(&dir.join("merges.txt"))?,
                dir.join("vocab.json"),
            ),
        };
        let specials = SpecialTokens::read(dir, tokenizer_json.as_ref())?;
        Self::build(vocab, merges, specials, &source)
    }

    /// A tokenizer from a vocabulary and merges held in memory, with the given pad token and
    /// CLIP's usual special tokens, for vocabularies that do not come as a diffusers folder.
    pub fn from_vocab_and_merges(
        vocab: &[String],
        merges: &[(String, String)],
        pad_token: &str,
    ) -> Result<Self, TextError> {
        let vocab: Vocab = vocab
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let specials = SpecialTokens {
            added: Vec::new(),
            bos: named("<|startoftext|>"),
            eos: named("<|endoftext|>"),
            unk: named("<|endoftext|>"),
            pad: named(pad_token),
            max_length: DEFAULT_MAX_LENGTH,
        };
        Self::build(vocab, merges.to_vec(), specials, Path::new("(in memory)"))
    }

    fn build(
        vocab: Vocab,
        merges: Vec<(String, String)>,
        specials: SpecialTokens,
        source: &Path,
    ) -> Result<Self, TextError> {
        let library = |what: &str, e: tokenizers::Error| TextError::BadTokenizerFile {
            path: source.to_path_buf(),
            message: format!("{what}: {e}"),
        };
        let missing_token = |t: &SpecialToken| TextError::BadTokenizerFile {
            path: source.to_path_buf(),
            message: format!(
                "the special token {:?} is not in the vocabulary; the tokenizer files do not \
                 belong together (download the tokenizer folder again)",
                t.content
            ),
        };
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .continuing_subword_prefix(String::new())
            .end_of_word_suffix(END_OF_WORD.to_string())
            .unk_token(specials.unk.content.clone())
            .fuse_unk(false)
            .build()
            .map_err(|e| library("the vocabulary and merges do not fit together", e))?;
        let mut inner = Tokenizer::new(bpe);
        let whitespace = Replace::new(
            tokenizers::normalizers::replace::ReplacePattern::Regex(r"\s+".into()),
            " ",
        )
        .map_err(|e| library("whitespace rule", e))?;
        inner
            .with_normalizer(Some(NormalizerSequence::new(vec![
                NFC.into(),
                whitespace.into(),
                Lowercase.into(),
            ])))
            .map_err(|e| library("normaliser", e))?;
        let split = Split::new(
            SplitPattern::Regex(CLIP_SPLIT.into()),
            SplitDelimiterBehavior::Removed,
            true,
        )
        .map_err(|e| library("word regex", e))?;
        inner.with_pre_tokenizer(Some(PreTokenizerSequence::new(vec![
            split.into(),
            ByteLevel::new(false, true, true).into(),
        ])));
        inner.with_decoder(Some(ByteLevelDecoder::default()));

        // transformers adds `added_tokens_decoder` first, then each named special token whose
        // text is not among those and that is not already queued (by Python equality). A later
        // token with the same text overrides the flags of an earlier one; a token already in
        // the vocabulary keeps its vocabulary id.
        let mut queue: Vec<&SpecialToken> = specials.added.iter().collect();
        for t in [&specials.bos, &specials.eos, &specials.unk, &specials.pad] {
            let in_decoder = specials.added.iter().any(|a| a.content == t.content);
            if !in_decoder && !queue.iter().any(|q| q.same_as(t)) {
                queue.push(t);
            }
        }
        let to_add: Vec<AddedToken> = queue.iter().map(|t| t.to_added()).collect();
        inner
            .add_tokens(to_add)
            .map_err(|e| library("special tokens", e))?;

        let lookup = |t: &SpecialToken| inner.token_to_id(&t.content);
        let bos_id = lookup(&specials.bos).ok_or_else(|| missing_token(&specials.bos))?;
        let eos_id = lookup(&specials.eos).ok_or_else(|| missing_token(&specials.eos))?;
        let pad_id = lookup(&specials.pad).ok_or_else(|| missing_token(&specials.pad))?;
        inner.with_post_processor(Some(
            RobertaProcessing::new(
                (specials.eos.content.clone(), eos_id),
                (specials.bos.content.clone(), bos_id),
            )
            .trim_offsets(false)
            .add_prefix_space(false),
        ));
        Ok(Self {
            inner,
            bos_id,
            eos_id,
            pad_id,
            max_length: specials.max_length,
        })
    }

    /// The text tokens of `text`, without `<|startoftext|>` / `<|endoftext|>`.
    fn text_ids(&self, text: &str) -> Result<Vec<u32>, TextError> {
        self.inner
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| TextError::Tokenize {
                text: text.chars().take(60).collect(),
                message: e.to_string(),
            })
    }

    /// Token ids padded or cut to `max_length` (77), as diffusers calls the tokenizer
    /// (`padding="max_length", truncation=True`): start token, at most 75 text tokens, end
    /// token, then the pad token.
    pub fn encode(&self, prompt: &str) -> Result<Tokenized, TextError> {
        let text = self.text_ids(prompt)?;
        let room = self.max_length - 2;
        let mut ids = Vec::with_capacity(self.max_length);
        ids.push(self.bos_id);
        ids.extend(text.iter().take(room));
        ids.push(self.eos_id);
        ids.resize(self.max_length, self.pad_id);
        let dropped = if text.len() > room {
            Some(self.decode(&text[room..]))
        } else {
            None
        };
        Ok(Tokenized { ids, dropped })
    }

    /// How many tokens `text` takes, without the start and end tokens; at most
    /// `max_length() - 2` of them reach the model.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.text_ids(text).map(|t| t.len()).unwrap_or(0)
    }

    /// Text for token ids, as transformers' CLIP tokenizer decodes them (end-of-word marks
    /// become spaces, the ends are trimmed).
    pub fn decode(&self, ids: &[u32]) -> String {
        let text = self.inner.decode(ids, false).unwrap_or_default();
        text.replace(END_OF_WORD, " ").trim().to_string()
    }

    /// Ids per prompt, `max_length` (77 for every SD model).
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    pub fn bos_id(&self) -> u32 {
        self.bos_id
    }

    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    /// Number of tokens including the added ones.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}
