//! transformers' `MarianTokenizer` (5.23): SentencePiece unigram segmentation of the source
//! text, pieces mapped through `vocab.json`, `</s>` appended; ids decoded back to text as
//! `decode(ids, skip_special_tokens=True)` does; and sacremoses' `MosesPunctNormalizer` as
//! `MarianTokenizer.normalize` applies it.
//!
//! Why these crates, and why not others:
//! - `prost` reads the `.spm` files (a protobuf `ModelProto`) with a few hand-written
//!   `#[derive(prost::Message)]` structs: a well-kept protobuf codec, no build script, no
//!   `protoc`, and only the fields we use.
//! - SentencePiece itself is small enough to follow exactly, and the crates that offer it
//!   do not: the `tokenizers` crate's `Unigram` adds up path scores in f64 and counts every
//!   piece in its unknown-piece penalty and matches control pieces such as `</s>` inside the
//!   text; its `Precompiled` normaliser rewrites grapheme by grapheme with the shortest rule,
//!   where sentencepiece takes the longest rule over the raw bytes; and `Metaspace` does not
//!   drop extra whitespace the way sentencepiece's normaliser does. The `sentencepiece` crate
//!   builds the C++ library (cmake). So the normaliser (the double-array charsmap lookup) and
//!   the Viterbi search are written here, following sentencepiece's `normalizer.cc` and
//!   `unigram_model.cc` (`EncodeOptimized`) down to their float types, and checked id for id
//!   against transformers + sentencepiece on the goldens in `tests/golden/translate/`.
//! - `regex` (already in the tree through `tokenizers`) runs the Moses substitutions, which
//!   are regular expressions without look-around.
//!
//! What transformers 5.23 does, and this follows (checked against the goldens):
//! - `tokenizer(text)` does not apply the Moses normaliser: `MarianTokenizer.normalize()`
//!   exists but nothing in the tokenizer calls it. [`MarianTokenizer::normalize`] offers it
//!   for callers that want it (OPUS-MT models were trained on Moses-normalised text).
//! - The special tokens written in the text (`</s>`, `<unk>`, `<pad>`) are split out first;
//!   each stretch between them is segmented on its own, and a stretch starting with `>>xx<<`
//!   (a target-language code) has that code split off as one token.
//! - A piece that `vocab.json` lacks becomes `<unk>`; an unknown character's piece is its own
//!   text, looked up like any other.
//! - With a joint vocabulary (`separate_vocabs` false, the usual case) `decode` runs the
//!   *source* SentencePiece model's decoding rules (transformers' `use_source_tokenizer`
//!   defaults to `not separate_vocabs`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use prost::Message;
use regex::Regex;

/// Why a Marian tokenizer could not be built from its files.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("cannot read {path}: {source}\nhint: check that the translator folder is complete")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is not a SentencePiece model: {message}\nhint: source.spm and target.spm must \
         be the files of the translator's repository; download the translator again"
    )]
    BadSpm { path: PathBuf, message: String },
    #[error(
        "{path} is a SentencePiece model that reportfig cannot read: {message}\nhint: Marian \
         translators from Helsinki-NLP (opus-mt-*) use unigram models, which are supported"
    )]
    UnsupportedSpm { path: PathBuf, message: String },
    #[error(
        "{path} is not what {what} should hold: {message}\nhint: download the translator again"
    )]
    BadJson {
        path: PathBuf,
        what: &'static str,
        message: String,
    },
    #[error(
        "{path} has no entry for the special token {token:?}, which MarianTokenizer needs\n\
         hint: vocab.json must map `</s>`, `<unk>` and `<pad>` to ids"
    )]
    MissingSpecial { path: PathBuf, token: String },
}

/// sentencepiece's `ModelProto`, only the fields we read (sentencepiece_model.proto).
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelProto {
        #[prost(message, repeated, tag = "1")]
        pub pieces: Vec<SentencePiece>,
        #[prost(message, optional, tag = "2")]
        pub trainer_spec: Option<TrainerSpec>,
        #[prost(message, optional, tag = "3")]
        pub normalizer_spec: Option<NormalizerSpec>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SentencePiece {
        #[prost(string, optional, tag = "1")]
        pub piece: Option<String>,
        #[prost(float, optional, tag = "2")]
        pub score: Option<f32>,
        /// NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6.
        #[prost(int32, optional, tag = "3", default = "1")]
        pub r#type: Option<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrainerSpec {
        /// UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4.
        #[prost(int32, optional, tag = "3", default = "1")]
        pub model_type: Option<i32>,
        #[prost(bool, optional, tag = "24", default = "false")]
        pub treat_whitespace_as_suffix: Option<bool>,
        #[prost(bool, optional, tag = "35", default = "false")]
        pub byte_fallback: Option<bool>,
        #[prost(string, optional, tag = "44")]
        pub unk_surface: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NormalizerSpec {
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        #[prost(bytes = "vec", optional, tag = "2")]
        pub precompiled_charsmap: Option<Vec<u8>>,
        #[prost(bool, optional, tag = "3", default = "true")]
        pub add_dummy_prefix: Option<bool>,
        #[prost(bool, optional, tag = "4", default = "true")]
        pub remove_extra_whitespaces: Option<bool>,
        #[prost(bool, optional, tag = "5", default = "true")]
        pub escape_whitespaces: Option<bool>,
    }
}

const NORMAL: i32 = 1;
const UNKNOWN: i32 = 2;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const UNUSED: i32 = 5;
const BYTE: i32 = 6;

/// U+2581, sentencepiece's visible space.
const SPACE_SYMBOL: &str = "\u{2581}";
/// sentencepiece's `kUnkPenalty`.
const UNK_PENALTY: f32 = 10.0;
/// sentencepiece's default `unk_surface`.
const DEFAULT_UNK_SURFACE: &str = " \u{2047} ";

/// A precompiled normalisation rule set: a Darts double-array trie over UTF-8 byte strings
/// whose values are offsets of NUL-terminated replacements.
#[derive(Debug, Clone)]
struct CharsMap {
    units: Vec<u32>,
    replacements: String,
}

impl CharsMap {
    /// Layout (sentencepiece `Normalizer::EncodePrecompiledCharsMap`): trie size in bytes as a
    /// little-endian u32, the trie's u32 units, then the replacement strings.
    fn parse(blob: &[u8]) -> Result<Self, String> {
        let size = blob
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or("the normaliser's charsmap is truncated")?;
        let trie = blob
            .get(4..4 + size)
            .filter(|t| t.len() % 4 == 0 && !t.is_empty())
            .ok_or("the normaliser's charsmap trie is truncated")?;
        let units = trie
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let replacements = String::from_utf8(blob[4 + size..].to_vec())
            .map_err(|_| "the normaliser's replacement strings are not UTF-8")?;
        Ok(Self {
            units,
            replacements,
        })
    }

    /// The longest rule matching a prefix of `key`: (bytes matched, replacement).
    fn longest_prefix(&self, key: &[u8]) -> Option<(usize, &str)> {
        let has_leaf = |u: u32| (u >> 8) & 1 == 1;
        let value = |u: u32| (u & ((1 << 31) - 1)) as usize;
        let label = |u: u32| u & ((1 << 31) | 0xFF);
        let offset = |u: u32| ((u >> 10) << ((u & (1 << 9)) >> 6)) as usize;

        let mut best = None;
        let mut pos = offset(*self.units.first()?);
        for (i, &c) in key.iter().enumerate() {
            pos ^= c as usize;
            let Some(&unit) = self.units.get(pos) else {
                break;
            };
            if label(unit) != c as u32 {
                break;
            }
            pos ^= offset(unit);
            if has_leaf(unit) {
                let Some(&leaf) = self.units.get(pos) else {
                    break;
                };
                best = Some((i + 1, value(leaf)));
            }
        }
        let (len, at) = best?;
        let rest = self.replacements.get(at..)?;
        Some((len, rest.split('\0').next().unwrap_or("")))
    }
}

/// sentencepiece's `normalizer::Normalizer` for one model.
#[derive(Debug, Clone)]
struct SpmNormalizer {
    charsmap: Option<CharsMap>,
    /// USER_DEFINED pieces, which pass through normalisation untouched.
    user_defined: Vec<String>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    treat_whitespace_as_suffix: bool,
}

impl SpmNormalizer {
    /// The replacement of the longest rule at the start of `input`, and how many bytes it
    /// consumes (`Normalizer::NormalizePrefix`).
    fn normalize_prefix<'a>(&'a self, input: &'a str) -> (&'a str, usize) {
        let user = self
            .user_defined
            .iter()
            .filter(|p| input.starts_with(p.as_str()))
            .map(|p| p.len())
            .max();
        if let Some(len) = user {
            return (&input[..len], len);
        }
        if let Some((len, rep)) = self
            .charsmap
            .as_ref()
            .and_then(|m| m.longest_prefix(input.as_bytes()))
            .filter(|(len, _)| input.is_char_boundary(*len))
        {
            return (rep, len);
        }
        let len = input.chars().next().map_or(0, char::len_utf8);
        (&input[..len], len)
    }

    /// `Normalizer::Normalize`: rules applied, runs of whitespace squeezed and trimmed,
    /// spaces shown as U+2581, the dummy prefix added.
    fn normalize(&self, mut input: &str) -> String {
        let ws = if self.escape_whitespaces {
            SPACE_SYMBOL
        } else {
            " "
        };
        let mut out = String::with_capacity(input.len() * 3);
        if self.remove_extra_whitespaces {
            while !input.is_empty() {
                let (rep, len) = self.normalize_prefix(input);
                if rep != " " {
                    break;
                }
                input = &input[len..];
            }
        }
        if input.is_empty() {
            return out;
        }
        if !self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            out.push_str(ws);
        }
        let mut prev_space = self.remove_extra_whitespaces;
        while !input.is_empty() {
            let (mut rep, len) = self.normalize_prefix(input);
            while prev_space && rep.starts_with(' ') {
                rep = &rep[1..];
            }
            if !rep.is_empty() {
                if self.escape_whitespaces {
                    out.push_str(&rep.replace(' ', SPACE_SYMBOL));
                } else {
                    out.push_str(rep);
                }
                prev_space = rep.ends_with(' ');
            }
            input = &input[len..];
            if !self.remove_extra_whitespaces {
                prev_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(ws) {
                out.truncate(out.len() - ws.len());
            }
        }
        if self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            out.push_str(ws);
        }
        out
    }
}

/// What a piece is, for encoding and decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PieceInfo {
    id: usize,
    kind: i32,
}

/// One SentencePiece unigram model (`source.spm` or `target.spm`).
#[derive(Debug, Clone)]
struct SpmModel {
    normalizer: SpmNormalizer,
    pieces: Vec<String>,
    by_piece: HashMap<String, PieceInfo>,
    /// Pieces the Viterbi search may use (NORMAL and USER_DEFINED) and their scores, typed
    /// as sentencepiece computes them (a double; see `encode_pieces`).
    scores: HashMap<String, f64>,
    longest_piece: usize,
    unk_score: f32,
    unk_surface: String,
}

impl SpmModel {
    fn load(path: &Path) -> Result<Self, TokenizerError> {
        let bytes = std::fs::read(path).map_err(|source| TokenizerError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |message: String| TokenizerError::BadSpm {
            path: path.to_path_buf(),
            message,
        };
        let unsupported = |message: &str| TokenizerError::UnsupportedSpm {
            path: path.to_path_buf(),
            message: message.to_string(),
        };
        let model = proto::ModelProto::decode(bytes.as_slice())
            .map_err(|e| bad(format!("its protobuf does not parse ({e})")))?;
        let trainer = model.trainer_spec.clone().unwrap_or_default();
        match trainer.model_type() {
            1 => {}
            2 => return Err(unsupported("it is a BPE model, not unigram")),
            3 | 4 => return Err(unsupported("it is a word or character model, not unigram")),
            other => return Err(bad(format!("unknown model type {other}"))),
        }
        if trainer.byte_fallback() {
            return Err(unsupported("it uses byte fallback"));
        }
        if model.pieces.is_empty() {
            return Err(bad("it has no pieces".into()));
        }

        let spec = model.normalizer_spec.clone().unwrap_or_default();
        let charsmap = match spec.precompiled_charsmap() {
            [] => None,
            blob => Some(CharsMap::parse(blob).map_err(bad)?),
        };

        let mut pieces = Vec::with_capacity(model.pieces.len());
        let mut by_piece = HashMap::with_capacity(model.pieces.len());
        let mut has_unk = false;
        let (mut min_score, mut max_score) = (f32::MAX, f32::MIN_POSITIVE);
        for (id, p) in model.pieces.iter().enumerate() {
            let piece = p.piece().to_string();
            if piece.is_empty() {
                return Err(bad(format!("piece {id} is empty")));
            }
            let kind = p.r#type();
            match kind {
                NORMAL => {
                    min_score = min_score.min(p.score());
                    max_score = max_score.max(p.score());
                }
                UNKNOWN => has_unk = true,
                BYTE => return Err(unsupported("it has byte pieces")),
                CONTROL | USER_DEFINED | UNUSED => {}
                other => return Err(bad(format!("piece {piece:?} has unknown type {other}"))),
            }
            if by_piece
                .insert(piece.clone(), PieceInfo { id, kind })
                .is_some()
            {
                return Err(bad(format!("piece {piece:?} is defined twice")));
            }
            pieces.push(piece);
        }
        if !has_unk {
            return Err(bad("it has no unknown piece".into()));
        }

        let mut scores = HashMap::new();
        let mut user_defined = Vec::new();
        for (p, piece) in model.pieces.iter().zip(&pieces) {
            let score = match p.r#type() {
                NORMAL => p.score() as f64,
                // sentencepiece: `length * max_score_ - 0.1`, a float product then a double,
                // so that user-defined symbols always win.
                USER_DEFINED => {
                    user_defined.push(piece.clone());
                    (piece.len() as f32 * max_score) as f64 - 0.1
                }
                _ => continue,
            };
            scores.insert(piece.clone(), score);
        }
        let longest_piece = scores.keys().map(String::len).max().unwrap_or(0);
        Ok(Self {
            normalizer: SpmNormalizer {
                charsmap,
                user_defined,
                add_dummy_prefix: spec.add_dummy_prefix(),
                remove_extra_whitespaces: spec.remove_extra_whitespaces(),
                escape_whitespaces: spec.escape_whitespaces(),
                treat_whitespace_as_suffix: trainer.treat_whitespace_as_suffix(),
            },
            pieces,
            by_piece,
            scores,
            longest_piece,
            unk_score: min_score - UNK_PENALTY,
            unk_surface: trainer
                .unk_surface
                .clone()
                .unwrap_or_else(|| DEFAULT_UNK_SURFACE.to_string()),
        })
    }

    /// `SentencePieceProcessor.encode(text, out_type=str)`: the best segmentation of the
    /// normalised text, runs of unknown characters merged into one piece.
    fn encode(&self, text: &str) -> Vec<String> {
        let normalized = self.normalizer.normalize(text);
        let mut out: Vec<String> = Vec::new();
        let mut prev_unk = false;
        for (piece, unk) in self.viterbi(&normalized) {
            if unk && prev_unk {
                out.last_mut().expect("a previous piece").push_str(piece);
            } else {
                out.push(piece.to_string());
            }
            prev_unk = unk;
        }
        out
    }

    /// `unigram::Model::EncodeOptimized`. The float types follow sentencepiece: a path score
    /// is stored as f32, a piece's candidate is computed and compared in f64 (its score is a
    /// double there), an unknown character's candidate in f32; ties keep the first candidate.
    fn viterbi<'a>(&self, normalized: &'a str) -> Vec<(&'a str, bool)> {
        #[derive(Clone, Copy)]
        struct Best {
            score: f32,
            starts_at: Option<usize>,
            unk: bool,
        }
        let size = normalized.len();
        let mut best = vec![
            Best {
                score: 0.0,
                starts_at: None,
                unk: false,
            };
            size + 1
        ];
        let mut start = 0;
        while start < size {
            let till_here = best[start].score;
            let rest = &normalized[start..];
            let char_len = rest.chars().next().map_or(1, char::len_utf8);
            let mut has_single = false;
            for (offset, c) in rest.char_indices() {
                let end = offset + c.len_utf8();
                if end > self.longest_piece {
                    break;
                }
                let Some(&score) = self.scores.get(&rest[..end]) else {
                    continue;
                };
                let candidate = score + till_here as f64;
                let node = &mut best[start + end];
                if node.starts_at.is_none() || candidate > node.score as f64 {
                    *node = Best {
                        score: candidate as f32,
                        starts_at: Some(start),
                        unk: false,
                    };
                }
                has_single |= end == char_len;
            }
            if !has_single {
                let candidate = self.unk_score + till_here;
                let node = &mut best[start + char_len];
                if node.starts_at.is_none() || candidate > node.score {
                    *node = Best {
                        score: candidate,
                        starts_at: Some(start),
                        unk: true,
                    };
                }
            }
            start += char_len;
        }
        let mut path = Vec::new();
        let mut end = size;
        while end > 0 {
            let node = best[end];
            let start = node.starts_at.expect("every position is reachable");
            path.push((&normalized[start..end], node.unk));
            end = start;
        }
        path.reverse();
        path
    }

    /// `SentencePieceProcessor.decode_pieces`: control pieces vanish, `<unk>` shows as its
    /// surface, a piece the model does not know is copied as it is, and U+2581 becomes a
    /// space (dropped before the first piece).
    fn decode_pieces(&self, pieces: &[&str]) -> String {
        let mut text = String::new();
        for &piece in pieces {
            match self.by_piece.get(piece).map(|p| p.kind) {
                Some(CONTROL) => {}
                Some(UNKNOWN) => text.push_str(&self.unk_surface),
                None => text.push_str(piece),
                Some(_) => {
                    let piece = if text.is_empty() {
                        piece.strip_prefix(SPACE_SYMBOL).unwrap_or(piece)
                    } else {
                        piece
                    };
                    text.push_str(&piece.replace(SPACE_SYMBOL, " "));
                }
            }
        }
        text
    }

    fn id_to_piece(&self, id: usize) -> Option<&str> {
        self.pieces.get(id).map(String::as_str)
    }
}

/// sacremoses' `MosesPunctNormalizer` (0.2, the defaults transformers uses:
/// `penn=True, norm_quote_commas=True, norm_numbers=True`, no unicode-punctuation or
/// control-character passes), a port of Moses' `normalize-punctuation.perl`.
#[derive(Debug, Clone)]
pub struct MosesPunctNormalizer {
    rules: Vec<(Regex, &'static str)>,
}

impl MosesPunctNormalizer {
    /// The substitutions for a language code (`None` as sacremoses' `lang=None`).
    pub fn new(lang: Option<&str>) -> Self {
        const EXTRA_WHITESPACE: &[(&str, &str)] = &[
            (r"\r", ""),
            (r"\(", " ("),
            (r"\)", ") "),
            (r" +", " "),
            (r"\) ([.!:?;,])", ")${1}"),
            (r"\( ", "("),
            (r" \)", ")"),
            (r"(\d) %", "${1}%"),
            (r" :", ":"),
            (r" ;", ";"),
        ];
        // sacremoses adds these when `penn` is true, despite their name.
        const NORMALIZE_UNICODE_IF_NOT_PENN: &[(&str, &str)] = &[("`", "'"), ("''", " \" ")];
        const NORMALIZE_UNICODE: &[(&str, &str)] = &[
            ("„", "\""),
            ("“", "\""),
            ("”", "\""),
            ("–", "-"),
            ("—", " - "),
            (r" +", " "),
            ("´", "'"),
            ("([a-zA-Z])‘([a-zA-Z])", "${1}'${2}"),
            ("([a-zA-Z])’([a-zA-Z])", "${1}'${2}"),
            ("‘", "'"),
            ("‚", "'"),
            ("’", "'"),
            ("''", "\""),
            ("´´", "\""),
            ("…", "..."),
        ];
        const FRENCH_QUOTES: &[(&str, &str)] = &[
            ("\u{a0}«\u{a0}", "\""),
            ("«\u{a0}", "\""),
            ("«", "\""),
            ("\u{a0}»\u{a0}", "\""),
            ("\u{a0}»", "\""),
            ("»", "\""),
        ];
        const HANDLE_PSEUDO_SPACES: &[(&str, &str)] = &[
            ("\u{a0}%", "%"),
            ("nº\u{a0}", "nº "),
            ("\u{a0}:", ":"),
            ("\u{a0}ºC", " ºC"),
            ("\u{a0}cm", " cm"),
            ("\u{a0}\\?", "?"),
            ("\u{a0}\\!", "!"),
            ("\u{a0};", ";"),
            (",\u{a0}", ", "),
            (r" +", " "),
        ];
        const EN_QUOTATION_FOLLOWED_BY_COMMA: &[(&str, &str)] = &[(r#""([,.]+)"#, "${1}\"")];
        // Python's `\s` also matches U+001C..U+001F.
        const DE_ES_FR_QUOTATION_FOLLOWED_BY_COMMA: &[(&str, &str)] = &[
            (r#",""#, "\","),
            (r#"(\.+)"([\s\x1c-\x1f]*[^<])"#, "\"${1}${2}"),
        ];
        const DE_ES_CZ_CS_FR: &[(&str, &str)] = &[("(\\d)\u{a0}(\\d)", "${1},${2}")];
        const OTHER: &[(&str, &str)] = &[("(\\d)\u{a0}(\\d)", "${1}.${2}")];

        let mut groups = vec![
            EXTRA_WHITESPACE,
            NORMALIZE_UNICODE_IF_NOT_PENN,
            NORMALIZE_UNICODE,
            FRENCH_QUOTES,
            HANDLE_PSEUDO_SPACES,
        ];
        match lang {
            Some("en") => groups.push(EN_QUOTATION_FOLLOWED_BY_COMMA),
            Some("de" | "es" | "fr") => groups.push(DE_ES_FR_QUOTATION_FOLLOWED_BY_COMMA),
            _ => {}
        }
        match lang {
            Some("de" | "es" | "cz" | "cs" | "fr") => groups.push(DE_ES_CZ_CS_FR),
            _ => groups.push(OTHER),
        }
        let rules = groups
            .into_iter()
            .flatten()
            .map(|&(pattern, replacement)| {
                (
                    Regex::new(pattern).expect("the Moses patterns are valid"),
                    replacement,
                )
            })
            .collect();
        Self { rules }
    }

    /// Every substitution in order, then Python's `str.strip()`.
    pub fn normalize(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (re, replacement) in &self.rules {
            if let std::borrow::Cow::Owned(replaced) = re.replace_all(&text, *replacement) {
                text = replaced;
            }
        }
        py_strip(&text).to_string()
    }
}

/// Python's `str.strip()`: `char::is_whitespace` plus the separators U+001C..U+001F, which
/// Python counts as whitespace.
fn py_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The subset of `tokenizer_config.json` MarianTokenizer reads.
#[derive(Debug, Default, serde::Deserialize)]
struct TokenizerConfig {
    source_lang: Option<String>,
    #[serde(default)]
    separate_vocabs: bool,
    model_max_length: Option<serde_json::Value>,
    eos_token: Option<TokenSpec>,
    unk_token: Option<TokenSpec>,
    pad_token: Option<TokenSpec>,
    #[serde(default)]
    clean_up_tokenization_spaces: bool,
}

/// A special token in `tokenizer_config.json`: a string or an `AddedToken` object.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum TokenSpec {
    Text(String),
    Added { content: String },
}

impl TokenSpec {
    fn content(&self) -> &str {
        match self {
            TokenSpec::Text(s) | TokenSpec::Added { content: s } => s,
        }
    }
}

/// transformers' default `model_max_length` for MarianTokenizer.
const DEFAULT_MAX_LEN: usize = 512;

/// A Marian translator's tokenizer, as transformers' `MarianTokenizer`.
#[derive(Debug, Clone)]
pub struct MarianTokenizer {
    source: SpmModel,
    target: SpmModel,
    vocab: HashMap<String, u32>,
    /// id → token of the vocabulary decoding reads (`target_vocab.json` with separate
    /// vocabularies, else `vocab.json`).
    decoder: HashMap<u32, String>,
    separate_vocabs: bool,
    /// `</s>`, `<unk>`, `<pad>` as written in text, longest first for splitting.
    special_tokens: Vec<String>,
    special_ids: HashSet<u32>,
    eos_id: u32,
    unk_id: u32,
    pad_id: u32,
    model_max_length: Option<usize>,
    clean_up_spaces: bool,
    moses: MosesPunctNormalizer,
}

impl MarianTokenizer {
    /// Reads `source.spm`, `target.spm`, `vocab.json` and `tokenizer_config.json` (and
    /// `target_vocab.json` when the config says `separate_vocabs`) from a translator folder.
    pub fn from_folder(dir: &Path) -> Result<Self, TokenizerError> {
        Self::from_files(
            &dir.join("source.spm"),
            &dir.join("target.spm"),
            &dir.join("vocab.json"),
            &dir.join("tokenizer_config.json"),
        )
    }

    /// As [`Self::from_folder`], from explicit paths; `target_vocab.json` is looked for next
    /// to `vocab`.
    pub fn from_files(
        source_spm: &Path,
        target_spm: &Path,
        vocab: &Path,
        config: &Path,
    ) -> Result<Self, TokenizerError> {
        let cfg: TokenizerConfig = read_json(config, "tokenizer_config.json")?;
        let source = SpmModel::load(source_spm)?;
        let target = SpmModel::load(target_spm)?;
        let vocab_map: HashMap<String, u32> = read_json(vocab, "vocab.json")?;
        let decoder = if cfg.separate_vocabs {
            let path = vocab.with_file_name("target_vocab.json");
            let target_vocab: HashMap<String, u32> = read_json(&path, "target_vocab.json")?;
            invert(target_vocab)
        } else {
            invert(vocab_map.clone())
        };

        let token = |spec: &Option<TokenSpec>, default: &str| {
            spec.as_ref()
                .map_or(default, TokenSpec::content)
                .to_string()
        };
        let id_of = |token: &str| {
            vocab_map
                .get(token)
                .copied()
                .ok_or_else(|| TokenizerError::MissingSpecial {
                    path: vocab.to_path_buf(),
                    token: token.to_string(),
                })
        };
        let eos = token(&cfg.eos_token, "</s>");
        let unk = token(&cfg.unk_token, "<unk>");
        let pad = token(&cfg.pad_token, "<pad>");
        let (eos_id, unk_id, pad_id) = (id_of(&eos)?, id_of(&unk)?, id_of(&pad)?);
        let mut special_tokens = vec![eos, unk, pad];
        special_tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));

        let model_max_length = match &cfg.model_max_length {
            None | Some(serde_json::Value::Null) => None,
            // transformers writes "no limit" as 1e30; usize saturates it.
            Some(v) => {
                Some(
                    v.as_f64()
                        .map(|f| f as usize)
                        .ok_or_else(|| TokenizerError::BadJson {
                            path: config.to_path_buf(),
                            what: "tokenizer_config.json",
                            message: format!("model_max_length is {v}, not a number"),
                        })?,
                )
            }
        };
        Ok(Self {
            source,
            target,
            vocab: vocab_map,
            decoder,
            separate_vocabs: cfg.separate_vocabs,
            special_tokens,
            special_ids: HashSet::from([eos_id, unk_id, pad_id]),
            eos_id,
            unk_id,
            pad_id,
            model_max_length,
            clean_up_spaces: cfg.clean_up_tokenization_spaces,
            moses: MosesPunctNormalizer::new(cfg.source_lang.as_deref()),
        })
    }

    /// `tokenizer.tokenize(text)`: the source-side tokens, before ids.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        for segment in self.split_special(text) {
            match segment {
                Segment::Special(token) => tokens.push(token.to_string()),
                Segment::Text("") => {}
                Segment::Text(mut text) => {
                    // `remove_language_code`: a leading `>>xx<<` is one token.
                    if text.starts_with(">>") {
                        if let Some(end) = text.find("<<") {
                            tokens.push(text[..end + 2].to_string());
                            text = &text[end + 2..];
                        }
                    }
                    tokens.extend(self.source.encode(text));
                }
            }
        }
        tokens
    }

    /// `tokenizer(text)["input_ids"]`: every token's id (`<unk>` for those `vocab.json`
    /// lacks) and `</s>`; no truncation, see [`Self::truncate`].
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .tokenize(text)
            .iter()
            .map(|t| self.vocab.get(t).copied().unwrap_or(self.unk_id))
            .collect();
        ids.push(self.eos_id);
        ids
    }

    /// `tokenizer(text, truncation=True)`: ids longer than [`Self::max_len`] keep their first
    /// `max_len - 1` tokens, then `</s>`. Returns whether anything was cut.
    pub fn truncate(&self, ids: &mut Vec<u32>) -> bool {
        let max = self.max_len().max(1);
        if ids.len() <= max {
            return false;
        }
        ids.truncate(max - 1);
        ids.push(self.eos_id);
        true
    }

    /// `tokenizer.decode(ids, skip_special_tokens=True)`. Ids neither vocabulary nor
    /// SentencePiece model knows are left out.
    pub fn decode(&self, ids: &[u32]) -> String {
        let spm = if self.separate_vocabs {
            &self.target
        } else {
            &self.source
        };
        let tokens: Vec<&str> = ids
            .iter()
            .filter(|id| !self.special_ids.contains(id))
            .filter_map(|id| {
                self.decoder
                    .get(id)
                    .map(String::as_str)
                    .or_else(|| spm.id_to_piece(*id as usize))
            })
            .collect();
        // `convert_tokens_to_string`: a special token's text is kept as it is, followed by a
        // space; the runs between are decoded by SentencePiece.
        let mut text = String::new();
        let mut run: Vec<&str> = Vec::new();
        for token in tokens {
            if self.special_tokens.iter().any(|s| s == token) {
                text.push_str(&spm.decode_pieces(&run));
                text.push_str(token);
                text.push(' ');
                run.clear();
            } else {
                run.push(token);
            }
        }
        text.push_str(&spm.decode_pieces(&run));
        let text = py_strip(&text.replace(SPACE_SYMBOL, " ")).to_string();
        if self.clean_up_spaces {
            clean_up_tokenization(&text)
        } else {
            text
        }
    }

    /// `MarianTokenizer.normalize(text)`: sacremoses' punctuation normaliser for the source
    /// language. `encode` does not apply it (transformers does not either).
    pub fn normalize(&self, text: &str) -> String {
        if text.is_empty() {
            return String::new();
        }
        self.moses.normalize(text)
    }

    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// `model_max_length` as `tokenizer_config.json` gives it.
    pub fn model_max_length(&self) -> Option<usize> {
        self.model_max_length
    }

    /// The most ids (`</s>` included) truncation keeps: `model_max_length`, 512 by default.
    pub fn max_len(&self) -> usize {
        self.model_max_length.unwrap_or(DEFAULT_MAX_LEN)
    }

    /// Entries in `vocab.json`.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The text cut at each special token, as transformers' added-token trie splits it.
    fn split_special<'a>(&'a self, text: &'a str) -> Vec<Segment<'a>> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut at = 0;
        while at < text.len() {
            let rest = &text[at..];
            if let Some(token) = self
                .special_tokens
                .iter()
                .find(|t| rest.starts_with(t.as_str()))
            {
                out.push(Segment::Text(&text[start..at]));
                out.push(Segment::Special(token));
                at += token.len();
                start = at;
            } else {
                at += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
        out.push(Segment::Text(&text[start..]));
        out
    }
}

enum Segment<'a> {
    Text(&'a str),
    Special(&'a str),
}

fn invert(vocab: HashMap<String, u32>) -> HashMap<u32, String> {
    vocab.into_iter().map(|(token, id)| (id, token)).collect()
}

/// transformers' `clean_up_tokenization`, used when `tokenizer_config.json` asks for it.
fn clean_up_tokenization(text: &str) -> String {
    text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
) -> Result<T, TokenizerError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenizerError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| TokenizerError::BadJson {
        path: path.to_path_buf(),
        what,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_strip_counts_the_information_separators_as_space() {
        assert_eq!(py_strip("\u{1f} a b\u{3000}\n"), "a b");
        assert_eq!(py_strip("\u{200b}a"), "\u{200b}a");
    }

    #[test]
    fn moses_rules_for_korean_match_sacremoses_by_hand() {
        let m = MosesPunctNormalizer::new(Some("ko"));
        assert_eq!(m.normalize("시청 ( 민원실 ) 앞 ."), "시청 (민원실) 앞 .");
        assert_eq!(
            m.normalize("5\u{a0}000 원 — “버스”…"),
            "5.000 원 - \"버스\"..."
        );
        // English moves a comma inside quotes; Korean does not.
        let en = MosesPunctNormalizer::new(Some("en"));
        assert_eq!(en.normalize("\"bus\", stop"), "\"bus,\" stop");
        assert_eq!(m.normalize("\"bus\", stop"), "\"bus\", stop");
    }

    #[test]
    fn a_broken_charsmap_is_reported_not_a_panic() {
        assert!(CharsMap::parse(&[1, 0]).is_err());
        assert!(CharsMap::parse(&[8, 0, 0, 0, 1, 2]).is_err());
        // A trie of junk units only finds nothing.
        let map = CharsMap::parse(&[4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(map.longest_prefix("abc".as_bytes()), None);
    }
}
