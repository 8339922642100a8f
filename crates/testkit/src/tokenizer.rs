//! A tiny CLIP tokenizer and tiny text encoders in the exact layout of a diffusers repo
//! (`tokenizer/vocab.json`, `merges.txt`, `tokenizer_config.json`, `special_tokens_map.json`;
//! `text_encoder/config.json`, `model.safetensors`), so transformers loads them unchanged.
//!
//! The vocabulary is built like CLIP's own: the 256 byte-level symbols, the same with the
//! end-of-word mark `</w>`, one token per merge, then `<|startoftext|>` and `<|endoftext|>` as
//! the two highest ids. The merges are learnt deterministically from a fixed list of words a
//! city report uses, so ordinary captions become a handful of tokens while anything else
//! (Korean, digits, rare words) falls back to byte tokens, as in the real vocabulary.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context;

use super::recording::RecordingBackend;
use super::TinyFamily;
use reportfig_engine::model::config::ClipTextConfig;
use reportfig_engine::pipeline::text::clip::ClipTextModel;
use reportfig_engine::pipeline::text::tokenizer::{byte_level_alphabet, END_OF_WORD};
use reportfig_engine::pipeline::LoadContext;

/// The tiny text encoders' `vocab_size`.
pub const TINY_VOCAB_SIZE: usize = 1000;

/// Words whose merges the tiny vocabulary learns, most important first: earlier words weigh
/// more, so they end up as one or two tokens.
const WORDS: &[&str] = &[
    "city",
    "traffic",
    "budget",
    "smart",
    "signal",
    "intersection",
    "report",
    "public",
    "transport",
    "bus",
    "road",
    "street",
    "park",
    "green",
    "building",
    "office",
    "people",
    "map",
    "chart",
    "infographic",
    "illustration",
    "flat",
    "vector",
    "style",
    "clean",
    "simple",
    "minimal",
    "colorful",
    "blue",
    "white",
    "background",
    "with",
    "and",
    "the",
    "of",
    "a",
    "in",
    "on",
    "for",
    "to",
    "an",
    "at",
    "by",
    "photo",
    "photograph",
    "realistic",
    "blurry",
    "text",
    "watermark",
    "low",
    "quality",
    "ugly",
    "bad",
    "government",
    "citizen",
    "citizens",
    "service",
    "services",
    "housing",
    "energy",
    "solar",
    "water",
    "waste",
    "recycling",
    "bicycle",
    "lane",
    "station",
    "subway",
    "train",
    "car",
    "cars",
    "parking",
    "safety",
    "school",
    "hospital",
    "health",
    "care",
    "senior",
    "children",
    "family",
    "community",
    "center",
    "library",
    "market",
    "shop",
    "small",
    "business",
    "economy",
    "growth",
    "plan",
    "planning",
    "policy",
    "digital",
    "data",
    "network",
    "sensor",
    "camera",
    "light",
    "lights",
    "night",
    "day",
    "morning",
    "rain",
    "snow",
    "tree",
    "trees",
    "river",
    "bridge",
    "tower",
    "hall",
    "square",
    "crosswalk",
    "pedestrian",
    "pedestrians",
    "walking",
    "traffic",
    "jam",
    "congestion",
    "air",
    "pollution",
    "clean",
    "climate",
    "weather",
    "disaster",
    "emergency",
    "fire",
    "police",
    "festival",
    "culture",
    "tourism",
    "visitor",
    "map",
    "district",
    "neighborhood",
    "village",
    "town",
    "urban",
    "rural",
    "modern",
    "old",
    "new",
    "future",
    "aerial",
    "view",
    "top",
    "isometric",
    "diagram",
    "icon",
    "icons",
    "poster",
    "cover",
    "page",
    "slide",
    "presentation",
    "document",
    "annual",
    "year",
    "percent",
    "increase",
    "decrease",
    "high",
    "detailed",
    "professional",
    "soft",
    "warm",
    "bright",
    "pastel",
    "palette",
    "korean",
    "seoul",
    "busan",
    "korea",
    "asian",
    "person",
    "man",
    "woman",
    "worker",
    "workers",
    "meeting",
    "table",
    "desk",
    "computer",
    "phone",
    "app",
    "screen",
    "dashboard",
    "graph",
    "bar",
    "line",
    "pie",
    "growth",
    "cost",
    "money",
    "tax",
    "fund",
    "funding",
    "investment",
    "project",
    "construction",
    "road",
    "repair",
    "maintenance",
    "elevator",
    "accessible",
    "wheelchair",
    "ramp",
    "sidewalk",
    "tram",
    "metro",
    "ferry",
    "port",
    "airport",
    "highway",
    "tunnel",
    "electric",
    "vehicle",
    "charging",
    "battery",
    "wind",
    "turbine",
    "roof",
    "garden",
    "playground",
    "sports",
    "stadium",
    "museum",
    "art",
    "painting",
    "drawing",
    "sketch",
    "watercolor",
    "cartoon",
    "render",
    "design",
    "layout",
    "is",
    "are",
    "it",
    "this",
    "that",
    "from",
    "into",
];

/// CLIP's vocabulary order for the byte symbols, then the same with `</w>`.
fn base_vocab() -> Vec<String> {
    let alphabet = byte_level_alphabet();
    let mut v: Vec<String> = alphabet.iter().map(|c| c.to_string()).collect();
    v.extend(alphabet.iter().map(|c| format!("{c}{END_OF_WORD}")));
    v
}

/// Learns `n` BPE merges from [`WORDS`]: the most frequent adjacent pair wins (ties broken by
/// the smaller pair), a merge whose result is already a token is never chosen, so every
/// merge adds exactly one new token.
fn learn_merges(n: usize, known: &HashSet<String>) -> Vec<(String, String)> {
    // Each word as symbols, the last carrying the end-of-word mark, with a weight that falls
    // with the word's position in the list.
    let mut words: Vec<(Vec<String>, u64)> = Vec::new();
    for (i, w) in WORDS.iter().enumerate() {
        let mut syms: Vec<String> = w.chars().map(|c| c.to_string()).collect();
        if let Some(last) = syms.last_mut() {
            last.push_str(END_OF_WORD);
        }
        words.push((syms, (WORDS.len() - i) as u64 + 10));
    }
    let mut known = known.clone();
    let mut merges = Vec::with_capacity(n);
    while merges.len() < n {
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (syms, weight) in &words {
            for pair in syms.windows(2) {
                *counts
                    .entry((pair[0].clone(), pair[1].clone()))
                    .or_default() += weight;
            }
        }
        let best = counts
            .iter()
            .filter(|((a, b), _)| !known.contains(&format!("{a}{b}")))
            .max_by(|(pa, ca), (pb, cb)| ca.cmp(cb).then_with(|| pb.cmp(pa)))
            .map(|(p, _)| p.clone());
        let Some((a, b)) = best else { break };
        let joined = format!("{a}{b}");
        for (syms, _) in &mut words {
            let mut out = Vec::with_capacity(syms.len());
            let mut i = 0;
            while i < syms.len() {
                if i + 1 < syms.len() && syms[i] == a && syms[i + 1] == b {
                    out.push(joined.clone());
                    i += 2;
                } else {
                    out.push(syms[i].clone());
                    i += 1;
                }
            }
            *syms = out;
        }
        known.insert(joined);
        merges.push((a, b));
    }
    merges
}

/// The tiny vocabulary (id order) and merges (rank order).
pub fn tiny_vocab_and_merges() -> (Vec<String>, Vec<(String, String)>) {
    let mut vocab = base_vocab();
    let known: HashSet<String> = vocab.iter().cloned().collect();
    let merges = learn_merges(TINY_VOCAB_SIZE - vocab.len() - 2, &known);
    vocab.extend(merges.iter().map(|(a, b)| format!("{a}{b}")));
    vocab.push("<|startoftext|>".into());
    vocab.push("<|endoftext|>".into());
    (vocab, merges)
}

/// CLIP's real vocabulary from OpenCLIP's `bpe_simple_vocab_16e6.txt` (the decompressed
/// text): bytes, bytes with `</w>`, one token per merge (the first 49152 - 256 - 2 lines after
/// the header, as OpenAI's CLIP takes them), then the two special tokens: 49408 in all.
pub fn clip_vocab_from_bpe(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let merges: Vec<(String, String)> = text
        .split('\n')
        .skip(1)
        .take(49152 - 256 - 2)
        .filter_map(|l| {
            let (a, b) = l.split_once(' ')?;
            Some((a.to_string(), b.to_string()))
        })
        .collect();
    let mut vocab = base_vocab();
    vocab.extend(merges.iter().map(|(a, b)| format!("{a}{b}")));
    vocab.push("<|startoftext|>".into());
    vocab.push("<|endoftext|>".into());
    (vocab, merges)
}

/// Writes `vocab.json` and `merges.txt` (with its `#version` header) for a vocabulary in id
/// order.
pub fn write_vocab_and_merges(
    dir: &Path,
    vocab: &[String],
    merges: &[(String, String)],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let map: serde_json::Map<String, serde_json::Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), serde_json::Value::from(i)))
        .collect();
    std::fs::write(
        dir.join("vocab.json"),
        serde_json::to_string(&map).map_err(std::io::Error::other)?,
    )?;
    let mut text = String::from("#version: 0.2\n");
    for (a, b) in merges {
        text.push_str(a);
        text.push(' ');
        text.push_str(b);
        text.push('\n');
    }
    std::fs::write(dir.join("merges.txt"), text)
}

/// Writes a tiny CLIP tokenizer folder with exactly [`TINY_VOCAB_SIZE`] tokens, padding with
/// `pad_token` (`<|endoftext|>` for SD 1.x and SDXL's first tokenizer, `!` for SD 2.x and
/// SDXL's second). The JSON files follow the published repos' files: SD 1.5's legacy layout
/// for the `<|endoftext|>` pad, SDXL `tokenizer_2`'s newer one for any other pad.
pub fn write_tiny_clip_tokenizer(dir: &Path, pad_token: &str) -> std::io::Result<()> {
    let (vocab, merges) = tiny_vocab_and_merges();
    if vocab.len() != TINY_VOCAB_SIZE {
        return Err(std::io::Error::other(format!(
            "the tiny vocabulary came out with {} tokens instead of {TINY_VOCAB_SIZE}: add \
             words to WORDS in crates/testkit/src/tokenizer.rs",
            vocab.len()
        )));
    }
    write_vocab_and_merges(dir, &vocab, &merges)?;
    let bos = TINY_VOCAB_SIZE - 2;
    let eos = TINY_VOCAB_SIZE - 1;
    let token = |content: &str| {
        serde_json::json!({"content": content, "lstrip": false, "normalized": true,
                           "rstrip": false, "single_word": false})
    };
    let mut config = serde_json::json!({
        "add_prefix_space": false,
        "bos_token": "<|startoftext|>",
        "clean_up_tokenization_spaces": true,
        "do_lower_case": true,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": 77,
        "pad_token": pad_token,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": "<|endoftext|>"
    });
    if pad_token == "<|endoftext|>" {
        // SD 1.5's files: no `added_tokens_decoder`, special tokens as `AddedToken` objects,
        // with `special_tokens_map.json` deciding.
        for key in ["bos_token", "eos_token", "unk_token"] {
            let mut t = token(config[key].as_str().unwrap_or_default());
            t["__type"] = "AddedToken".into();
            config[key] = t;
        }
    } else {
        // SDXL's `tokenizer_2` files: an `added_tokens_decoder`, which makes transformers
        // ignore `special_tokens_map.json`.
        config["added_tokens_decoder"] = serde_json::json!({
            bos.to_string(): {
                "content": "<|startoftext|>", "lstrip": false, "normalized": true,
                "rstrip": false, "single_word": false, "special": true
            },
            eos.to_string(): {
                "content": "<|endoftext|>", "lstrip": false, "normalized": false,
                "rstrip": false, "single_word": false, "special": true
            }
        });
    }
    let special = serde_json::json!({
        "bos_token": token("<|startoftext|>"),
        "eos_token": token("<|endoftext|>"),
        "pad_token": pad_token,
        "unk_token": token("<|endoftext|>"),
    });
    let pretty =
        |v: &serde_json::Value| serde_json::to_string_pretty(v).map_err(std::io::Error::other);
    std::fs::write(dir.join("tokenizer_config.json"), pretty(&config)?)?;
    std::fs::write(dir.join("special_tokens_map.json"), pretty(&special)?)
}

/// Writes `<dir>/<which>/{config.json, model.safetensors}` (a tiny random-weight text encoder
/// of `family`) and the tokenizer that goes with it (`<dir>/tokenizer` or
/// `<dir>/tokenizer_2`). `which` is `text_encoder` or `text_encoder_2` (SDXL only).
pub fn write_tiny_text_encoder(dir: &Path, family: TinyFamily, which: &str) -> anyhow::Result<()> {
    let config_text = family
        .config_json(which)
        .with_context(|| format!("the tiny {} family has no {which}", family.name()))?;
    let cfg: ClipTextConfig = serde_json::from_str(config_text)
        .with_context(|| format!("tiny {} {which} config", family.name()))?;
    let (tokenizer_dir, pad) = match (family, which) {
        (TinyFamily::Sd15, "text_encoder") | (TinyFamily::Sdxl, "text_encoder") => {
            ("tokenizer", "<|endoftext|>")
        }
        (TinyFamily::Sd21 | TinyFamily::Turbo, "text_encoder") => ("tokenizer", "!"),
        (TinyFamily::Sdxl, "text_encoder_2") => ("tokenizer_2", "!"),
        _ => anyhow::bail!("no tiny {which} for the {} family", family.name()),
    };
    let out = dir.join(which);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("config.json"), config_text)
        .with_context(|| format!("writing {}", out.join("config.json").display()))?;
    // A different seed per family and encoder, so SDXL's two encoders differ.
    let seed = 0x5EED_7E47 ^ ((family as u64) << 8) ^ (which.len() as u64);
    let rec = RecordingBackend::new(seed);
    ClipTextModel::load(rec.var_builder(), &cfg, &LoadContext::default())?;
    let weights = out.join("model.safetensors");
    rec.save(&weights)
        .with_context(|| format!("writing {}", weights.display()))?;
    let tok = dir.join(tokenizer_dir);
    write_tiny_clip_tokenizer(&tok, pad).with_context(|| format!("writing {}", tok.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_vocab_has_the_clip_shape() {
        let (vocab, merges) = tiny_vocab_and_merges();
        assert_eq!(vocab.len(), TINY_VOCAB_SIZE);
        assert_eq!(vocab[0], "!");
        assert_eq!(vocab[998], "<|startoftext|>");
        assert_eq!(vocab[999], "<|endoftext|>");
        assert_eq!(merges.len(), TINY_VOCAB_SIZE - 512 - 2);
        let unique: HashSet<&String> = vocab.iter().collect();
        assert_eq!(unique.len(), vocab.len());
    }
}
