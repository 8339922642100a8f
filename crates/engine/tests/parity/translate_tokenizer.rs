//! MarianTokenizer parity: every caption's pieces, ids, truncated ids and Moses-normalised
//! text, and the decoded text of every id sequence, against transformers 5.23 +
//! sentencepiece 0.2.3 + sacremoses 0.2.0 (`tools/reference/translate_goldens.py`).

use std::path::{Path, PathBuf};

use reportfig_engine::translate::tokenizer::{MarianTokenizer, TokenizerError};
use serde::Deserialize;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    root().join("tests/fixtures/marian-tiny")
}

#[derive(Deserialize)]
struct Golden {
    meta: Meta,
    model_max_length: usize,
    eos_id: u32,
    unk_id: u32,
    pad_id: u32,
    encode: Vec<EncodeCase>,
    decode: Vec<DecodeCase>,
}

#[derive(Deserialize)]
struct Meta {
    fixture_sha256: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct EncodeCase {
    text: String,
    pieces: Vec<String>,
    ids: Vec<u32>,
    ids_truncated: Vec<u32>,
    normalized: String,
    normalized_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct DecodeCase {
    ids: Vec<u32>,
    text: String,
}

fn golden() -> Golden {
    let path = root().join("tests/golden/translate/tokenizer.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let golden: Golden = serde_json::from_str(&text).unwrap();
    // The goldens describe these exact files; a changed fixture needs new goldens.
    for (name, want) in &golden.meta.fixture_sha256 {
        let bytes = std::fs::read(fixture().join(name)).unwrap();
        let got = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            &got, want,
            "crates/engine/tests/fixtures/marian-tiny/{name} changed since the goldens were written: rerun \
             tools/reference/translate_goldens.py"
        );
    }
    golden
}

fn tokenizer() -> MarianTokenizer {
    MarianTokenizer::from_folder(&fixture()).unwrap()
}

/// All mismatches of one kind at once, so a failure shows every case it affects.
fn report(kind: &str, failures: Vec<String>, total: usize) {
    assert!(total > 0, "no {kind} cases were checked");
    assert!(
        failures.is_empty(),
        "{} of {total} {kind} cases differ from transformers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn special_ids_and_length_limit_match_transformers() {
    let g = golden();
    let tok = tokenizer();
    assert_eq!(
        (tok.eos_id(), tok.unk_id(), tok.pad_id()),
        (g.eos_id, g.unk_id, g.pad_id)
    );
    assert_eq!(tok.max_len(), g.model_max_length);
    assert_eq!(tok.model_max_length(), Some(g.model_max_length));
}

#[test]
fn pieces_and_ids_match_transformers() {
    let g = golden();
    let tok = tokenizer();
    let mut failures = Vec::new();
    for case in &g.encode {
        let pieces = tok.tokenize(&case.text);
        if pieces != case.pieces {
            failures.push(format!(
                "{:?}: pieces {pieces:?}\n    want {:?}",
                case.text, case.pieces
            ));
        }
        let ids = tok.encode(&case.text);
        if ids != case.ids {
            failures.push(format!(
                "{:?}: ids {ids:?}\n    want {:?}",
                case.text, case.ids
            ));
        }
    }
    report("encode", failures, g.encode.len());
}

#[test]
fn truncation_keeps_the_first_pieces_and_eos() {
    let g = golden();
    let tok = tokenizer();
    let mut failures = Vec::new();
    let mut cut = 0;
    for case in &g.encode {
        let mut ids = tok.encode(&case.text);
        let truncated = tok.truncate(&mut ids);
        cut += usize::from(truncated);
        if ids != case.ids_truncated || truncated != (case.ids.len() > g.model_max_length) {
            failures.push(format!(
                "{:?}: {ids:?} (cut: {truncated})\n    want {:?}",
                case.text, case.ids_truncated
            ));
        }
    }
    assert!(cut > 0, "no golden caption is over the length limit");
    report("truncation", failures, g.encode.len());
}

#[test]
fn moses_normalisation_matches_sacremoses() {
    let g = golden();
    let tok = tokenizer();
    let mut failures = Vec::new();
    let mut changed = 0;
    for case in &g.encode {
        let normalized = tok.normalize(&case.text);
        changed += usize::from(normalized != case.text);
        if normalized != case.normalized {
            failures.push(format!(
                "{:?}: {normalized:?}\n    want {:?}",
                case.text, case.normalized
            ));
        }
        let ids = tok.encode(&normalized);
        if ids != case.normalized_ids {
            failures.push(format!(
                "{:?} normalised: ids {ids:?}\n    want {:?}",
                case.text, case.normalized_ids
            ));
        }
    }
    assert!(changed > 5, "the Moses cases should change their text");
    report("normalize", failures, g.encode.len());
}

#[test]
fn decoding_matches_transformers() {
    let g = golden();
    let tok = tokenizer();
    let mut failures = Vec::new();
    for case in &g.decode {
        let text = tok.decode(&case.ids);
        if text != case.text {
            failures.push(format!(
                "{:?}: {text:?}\n    want {:?}",
                case.ids, case.text
            ));
        }
    }
    assert!(
        g.decode.len() > tok.vocab_size(),
        "every id should be decoded alone"
    );
    report("decode", failures, g.decode.len());
}

#[test]
fn generated_ids_decode_as_transformers_decodes_them() {
    #[derive(Deserialize)]
    struct Generate {
        cases: Vec<serde_json::Map<String, serde_json::Value>>,
    }
    let path = root().join("tests/golden/translate/generate.json");
    let g: Generate = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let tok = tokenizer();
    let mut failures = Vec::new();
    let mut total = 0;
    for case in &g.cases {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = serde_json::from_value(case["input_ids"].clone()).unwrap();
        let mut ids = tok.encode(text);
        tok.truncate(&mut ids);
        if ids != want {
            failures.push(format!("{text:?}: input ids {ids:?}\n    want {want:?}"));
        }
        for (variant, out) in case.iter().filter(|(_, v)| v.is_object()) {
            total += 1;
            let ids: Vec<u32> = serde_json::from_value(out["ids"].clone()).unwrap();
            let got = tok.decode(&ids);
            if got != out["text"].as_str().unwrap() {
                failures.push(format!(
                    "{text:?} {variant}: {got:?}\n    want {}",
                    out["text"]
                ));
            }
        }
    }
    report("generated", failures, total);
}

fn copy_fixture(to: &Path) {
    for name in [
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(fixture().join(name), to.join(name)).unwrap();
    }
}

#[test]
fn bad_files_are_named_with_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let err = MarianTokenizer::from_folder(dir.path()).unwrap_err();
    assert!(matches!(err, TokenizerError::Read { .. }), "{err}");
    assert!(err.to_string().contains("tokenizer_config.json"), "{err}");

    copy_fixture(dir.path());
    std::fs::write(dir.path().join("source.spm"), b"not a model").unwrap();
    let err = MarianTokenizer::from_folder(dir.path()).unwrap_err();
    assert!(matches!(err, TokenizerError::BadSpm { .. }), "{err}");
    assert!(err.to_string().contains("source.spm"), "{err}");
    assert!(err.to_string().contains("hint:"), "{err}");

    copy_fixture(dir.path());
    let vocab = std::fs::read_to_string(dir.path().join("vocab.json")).unwrap();
    let mut vocab: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&vocab).unwrap();
    vocab.remove("<pad>");
    std::fs::write(
        dir.path().join("vocab.json"),
        serde_json::to_string(&vocab).unwrap(),
    )
    .unwrap();
    let err = MarianTokenizer::from_folder(dir.path()).unwrap_err();
    assert!(
        matches!(&err, TokenizerError::MissingSpecial { token, .. } if token == "<pad>"),
        "{err}"
    );

    copy_fixture(dir.path());
    std::fs::write(
        dir.path().join("tokenizer_config.json"),
        "{\"model_max_length\": \"x\"}",
    )
    .unwrap();
    let err = MarianTokenizer::from_folder(dir.path()).unwrap_err();
    assert!(err.to_string().contains("model_max_length"), "{err}");
}
