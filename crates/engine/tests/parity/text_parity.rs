//! Parity of the CLIP tokenizer, text encoders and prompt encoding with transformers 5.23 and
//! diffusers 0.42, on the tiny fixtures (`tests/golden/text/`, made by
//! `tools/reference/text_goldens.py`) and, when `REPORTFIG_CLIP_BPE` is set, on the real CLIP
//! vocabulary.

use reportfig_testkit::load_context as ctx;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use reportfig_engine::pipeline::text::encode::load_part;
use reportfig_engine::pipeline::text::{
    ClipTokenizer, PromptEncoder, PromptEncoderKind, TextEncoder,
};
use reportfig_testkit::tokenizer::{
    clip_vocab_from_bpe, write_tiny_text_encoder, write_vocab_and_merges,
};
use reportfig_testkit::TinyFamily;
use serde_json::Value;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/text");

fn write_family(dir: &Path, family: TinyFamily) {
    write_tiny_text_encoder(dir, family, "text_encoder").unwrap();
    if family == TinyFamily::Sdxl {
        write_tiny_text_encoder(dir, family, "text_encoder_2").unwrap();
    }
    std::fs::write(
        dir.join("model_index.json"),
        family.config_json("model_index").unwrap(),
    )
    .unwrap();
}

struct Golden {
    meta: Value,
    tensors: HashMap<String, Tensor>,
}

fn golden(family: TinyFamily) -> Golden {
    let base = Path::new(GOLDEN).join(format!("tiny_{}", family.name()));
    let meta = serde_json::from_str(&std::fs::read_to_string(base.with_extension("json")).unwrap())
        .unwrap();
    let tensors =
        candle_core::safetensors::load(base.with_extension("safetensors"), &Device::Cpu).unwrap();
    Golden { meta, tensors }
}

/// ‖a − b‖ / ‖b‖, or max |a| when the reference is all zeros.
fn rel_l2(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    let a = a.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let b = b.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let norm = |t: &Tensor| {
        t.sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
            .sqrt()
    };
    let nb = norm(&b);
    let diff = (&a - &b).unwrap();
    if nb == 0.0 {
        diff.abs()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    } else {
        norm(&diff) / nb
    }
}

fn assert_close(what: &str, ours: &Tensor, reference: &Tensor) {
    let e = rel_l2(ours, reference);
    assert!(e < 1e-4, "{what}: relative L2 error {e:e} >= 1e-4");
}

fn ids_of(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn encoders(family: TinyFamily) -> Vec<(&'static str, &'static str)> {
    let mut e = vec![("text_encoder", "tokenizer")];
    if family == TinyFamily::Sdxl {
        e.push(("text_encoder_2", "tokenizer_2"));
    }
    e
}

#[test]
fn tiny_tokenizers_match_transformers() {
    let tmp = tempfile::tempdir().unwrap();
    for family in TinyFamily::ALL {
        let dir = tmp.path().join(family.name());
        write_family(&dir, family);
        let g = golden(family);
        for (enc, tok_dir) in encoders(family) {
            let tok = ClipTokenizer::from_dir(&dir.join(tok_dir)).unwrap();
            let entry = &g.meta["encoders"][enc];
            let pad_id = tok.pad_id();
            for case in entry["tokens"].as_array().unwrap() {
                let prompt = case["prompt"].as_str().unwrap();
                let got = tok.encode(prompt).unwrap();
                let want = ids_of(&case["ids"]);
                assert_eq!(
                    got.ids,
                    want,
                    "{} {tok_dir} (pad {pad_id}) ids for {prompt:?}",
                    family.name()
                );
                assert_eq!(
                    got.dropped.as_deref(),
                    case["dropped"].as_str(),
                    "{} {tok_dir} dropped text for {prompt:?}",
                    family.name()
                );
                assert_eq!(
                    tok.count_tokens(prompt),
                    case["count"].as_u64().unwrap() as usize,
                    "{} {tok_dir} token count for {prompt:?}",
                    family.name()
                );
            }
        }
    }
}

#[test]
fn the_long_prompt_reports_the_dropped_words() {
    let tmp = tempfile::tempdir().unwrap();
    write_family(tmp.path(), TinyFamily::Sd15);
    let tok = ClipTokenizer::from_dir(&tmp.path().join("tokenizer")).unwrap();
    let g = golden(TinyFamily::Sd15);
    let long = g.meta["embed_prompts"][3].as_str().unwrap();
    let t = tok.encode(long).unwrap();
    assert_eq!(t.ids.len(), 77);
    let dropped = t
        .dropped
        .expect("the long prompt must report dropped words");
    assert!(dropped.ends_with("clean white background"), "{dropped}");
    assert!(tok.encode("a small city park").unwrap().dropped.is_none());
    // Common report words are few tokens in the tiny vocabulary.
    assert!(tok.count_tokens("city traffic budget") <= 4);
}

#[test]
fn tiny_text_encoders_match_transformers() {
    let tmp = tempfile::tempdir().unwrap();
    for family in TinyFamily::ALL {
        let dir = tmp.path().join(family.name());
        write_family(&dir, family);
        let g = golden(family);
        for (enc, tok_dir) in encoders(family) {
            let part = load_part(&dir, enc, tok_dir, DType::F32, &Device::Cpu, &ctx()).unwrap();
            for (i, prompt) in g.meta["embed_prompts"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                let prompt = prompt.as_str().unwrap();
                let ids = part.tokenizer.encode(prompt).unwrap().ids;
                let ids = Tensor::from_vec(ids, (1, 77), &Device::Cpu).unwrap();
                let out = part.model.forward(&ids).unwrap();
                for (name, t) in [
                    ("last_hidden_state", &out.last_hidden_state),
                    ("penultimate", &out.penultimate),
                    ("pooled", &out.pooled),
                ] {
                    let key = format!("{enc}/{i}/{name}");
                    let want = &g.tensors[&key];
                    assert_close(
                        &format!("{} {key}", family.name()),
                        &t.get(0).unwrap(),
                        want,
                    );
                }
            }
        }
    }
}

#[test]
fn prompt_encoding_matches_diffusers_encode_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    for family in TinyFamily::ALL {
        let dir = tmp.path().join(family.name());
        write_family(&dir, family);
        let g = golden(family);
        let encoder = PromptEncoder::load(&dir, DType::F32, &Device::Cpu, &ctx()).unwrap();
        for case in g.meta["pipeline_cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let prompt = case["prompt"].as_str().unwrap();
            let negative = case["negative_prompt"].as_str();
            // Each case states its own force_zeros_for_empty_prompt; rebuild around it.
            let encoder = match case["force_zeros_for_empty_prompt"].as_bool() {
                Some(force) => PromptEncoder::from_parts(
                    encoder.parts().to_vec(),
                    PromptEncoderKind::PenultimateConcat {
                        force_zeros_for_empty_prompt: force,
                    },
                    &Device::Cpu,
                )
                .unwrap(),
                None => encoder.clone(),
            };
            let c = encoder.encode(prompt, negative, true).unwrap();
            let at = |k: &str| &g.tensors[&format!("pipeline/{name}/{k}")];
            let what = |k: &str| format!("{} {name} {k}", family.name());
            assert_close(
                &what("prompt_embeds"),
                &c.cond.get(0).unwrap(),
                at("prompt_embeds"),
            );
            let uncond = c.uncond.as_ref().expect("uncond with guidance");
            assert_close(
                &what("negative_prompt_embeds"),
                &uncond.get(0).unwrap(),
                at("negative_prompt_embeds"),
            );
            if family == TinyFamily::Sdxl {
                assert_close(
                    &what("pooled_prompt_embeds"),
                    &c.pooled.as_ref().unwrap().get(0).unwrap(),
                    at("pooled_prompt_embeds"),
                );
                assert_close(
                    &what("negative_pooled_prompt_embeds"),
                    &c.uncond_pooled.as_ref().unwrap().get(0).unwrap(),
                    at("negative_pooled_prompt_embeds"),
                );
            } else {
                assert!(c.pooled.is_none() && c.uncond_pooled.is_none());
            }
            let without = encoder.encode(prompt, negative, false).unwrap();
            assert!(without.uncond.is_none() && without.uncond_pooled.is_none());
        }
    }
}

/// The tokenizer on CLIP's real 49408-token vocabulary. Needs OpenCLIP's
/// `bpe_simple_vocab_16e6.txt.gz` at `$REPORTFIG_CLIP_BPE`; fails when the variable is set
/// but the file is not there, and when it is unset reports the check as not run (a failure in
/// CI).
#[test]
fn real_clip_vocabulary_matches_transformers() {
    let Some(path) = std::env::var_os("REPORTFIG_CLIP_BPE") else {
        reportfig_testkit::not_run(
            "real_clip_vocabulary_matches_transformers",
            "REPORTFIG_CLIP_BPE = the path of open_clip/bpe_simple_vocab_16e6.txt.gz (from the \
             open-clip-torch wheel; tools/test fetches it)",
        );
        return;
    };
    let path = PathBuf::from(path);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "REPORTFIG_CLIP_BPE is set to {} but it cannot be opened: {e}",
            path.display()
        )
    });
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    let (vocab, merges) = clip_vocab_from_bpe(&text);
    assert_eq!(vocab.len(), 49408);
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(GOLDEN).join("real_vocab_ids.json")).unwrap(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (pad, cases) in golden["tokenizers"].as_object().unwrap() {
        let dir = tmp.path().join(if pad == "!" { "bang" } else { "eot" });
        write_vocab_and_merges(&dir, &vocab, &merges).unwrap();
        let config = serde_json::json!({
            "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
            "unk_token": "<|endoftext|>", "pad_token": pad, "model_max_length": 77,
            "tokenizer_class": "CLIPTokenizer"
        });
        std::fs::write(dir.join("tokenizer_config.json"), config.to_string()).unwrap();
        let tok = ClipTokenizer::from_dir(&dir).unwrap();
        assert_eq!((tok.bos_id(), tok.eos_id()), (49406, 49407));
        // The ids OpenAI's CLIP README shows, independent of transformers.
        assert_eq!(
            tok.encode("a photo of a cat").unwrap().ids[..7],
            [49406, 320, 1125, 539, 320, 2368, 49407]
        );
        for case in cases.as_array().unwrap() {
            let prompt = case["prompt"].as_str().unwrap();
            let got = tok.encode(prompt).unwrap();
            assert_eq!(got.ids, ids_of(&case["ids"]), "pad {pad}: {prompt:?}");
            assert_eq!(
                got.dropped.as_deref(),
                case["dropped"].as_str(),
                "pad {pad}: dropped text of {prompt:?}"
            );
        }
    }
}

/// transformers 5 saves a tokenizer as `tokenizer.json` + `tokenizer_config.json` only (no
/// vocab.json, merges.txt, special_tokens_map.json); such a folder must tokenize the same.
#[test]
fn tokenizer_json_folders_tokenize_like_vocab_folders() {
    let tmp = tempfile::tempdir().unwrap();
    for family in [TinyFamily::Sd15, TinyFamily::Sd21] {
        let dir = tmp.path().join(family.name());
        write_family(&dir, family);
        let g = golden(family);
        let entry = &g.meta["encoders"]["text_encoder"];
        let pad = entry["pad_token"].as_str().unwrap();
        let src = dir.join("tokenizer");
        let vocab: Value =
            serde_json::from_str(&std::fs::read_to_string(src.join("vocab.json")).unwrap())
                .unwrap();
        let merges: Vec<Value> = std::fs::read_to_string(src.join("merges.txt"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let (a, b) = l.split_once(' ').unwrap();
                serde_json::json!([a, b])
            })
            .collect();
        // The layout and flags transformers 5.23's save_pretrained writes.
        let added = |id: u64, content: &str, normalized: bool| {
            serde_json::json!({"id": id, "content": content, "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": normalized, "special": true})
        };
        let mut added_tokens = vec![
            added(998, "<|startoftext|>", true),
            added(999, "<|endoftext|>", false),
        ];
        if pad == "!" {
            added_tokens.insert(0, added(0, "!", false));
        }
        let json = serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null,
            "added_tokens": added_tokens,
            "model": {"type": "BPE", "vocab": vocab, "merges": merges,
                      "end_of_word_suffix": "</w>", "continuing_subword_prefix": ""}
        });
        let out = tmp.path().join(format!("{}-saved", family.name()));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("tokenizer.json"), json.to_string()).unwrap();
        let config = serde_json::json!({
            "add_prefix_space": false, "backend": "tokenizers",
            "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
            "unk_token": "<|endoftext|>", "pad_token": pad, "model_max_length": 77,
            "tokenizer_class": "CLIPTokenizer"
        });
        std::fs::write(out.join("tokenizer_config.json"), config.to_string()).unwrap();
        let tok = ClipTokenizer::from_dir(&out).unwrap();
        for case in entry["tokens"].as_array().unwrap() {
            let prompt = case["prompt"].as_str().unwrap();
            assert_eq!(
                tok.encode(prompt).unwrap().ids,
                ids_of(&case["ids"]),
                "{} tokenizer.json: {prompt:?}",
                family.name()
            );
        }
    }
}

#[test]
fn missing_tokenizer_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = ClipTokenizer::from_dir(&tmp.path().join("tokenizer"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tokenizer") && err.contains("vocab.json"),
        "{err}"
    );
    std::fs::create_dir_all(tmp.path().join("tok")).unwrap();
    std::fs::write(tmp.path().join("tok/vocab.json"), "{\"a\": 0}").unwrap();
    let err = ClipTokenizer::from_dir(&tmp.path().join("tok"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("merges.txt"), "{err}");
    let err = PromptEncoder::load(tmp.path(), DType::F32, &Device::Cpu, &ctx())
        .unwrap_err()
        .to_string();
    assert!(err.contains("model_index.json"), "{err}");
}
