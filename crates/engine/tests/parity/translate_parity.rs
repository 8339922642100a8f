//! The Marian translator against transformers 5.23 on the tiny opus-mt-ko-en-shaped fixture
//! that `tools/reference/translate_goldens.py` builds: encoder states, decoder logits with
//! and without the cache, `generate()`'s token ids for beam search and greedy decoding, the
//! `.bin` readers, and the refusal of a hostile pickle.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use reportfig_engine::translate::config::{GenerationConfig, GenerationParams, MarianConfig};
use reportfig_engine::translate::generate;
use reportfig_engine::translate::marian::{Encoded, MarianMTModel};
use reportfig_engine::translate::pickle::{self, PickleError};
use reportfig_engine::translate::{TranslateError, Translator, TranslatorFiles};
use reportfig_testkit::load_context as ctx;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    root().join("tests/fixtures/marian-tiny")
}

fn goldens() -> HashMap<String, Tensor> {
    candle_core::safetensors::load(
        root().join("tests/golden/translate/model.safetensors"),
        &Device::Cpu,
    )
    .unwrap()
}

fn config() -> MarianConfig {
    MarianConfig::from_file(&fixture().join("config.json")).unwrap()
}

fn model_from(vb: VarBuilder) -> MarianMTModel {
    MarianMTModel::load(vb, &config(), &ctx()).unwrap()
}

fn model() -> MarianMTModel {
    let path = fixture().join("model.safetensors");
    let vb =
        unsafe { VarBuilder::from_mmaped_safetensors(&[path], DType::F32, &Device::Cpu) }.unwrap();
    model_from(vb)
}

fn ids(t: &Tensor) -> Tensor {
    t.to_dtype(DType::U32).unwrap()
}

/// ‖a − b‖ / ‖b‖ over all values.
fn rel_l2(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let num: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (num / den).sqrt()
}

fn encoded(m: &MarianMTModel, input: &Tensor) -> Encoded {
    Encoded::stack(&[m.encode(&ids(input)).unwrap()]).unwrap()
}

#[test]
fn encoder_states_match_transformers() {
    let m = model();
    let g = goldens();
    for i in 0..4 {
        let input = &g[&format!("encoder.{i}.input_ids")];
        let got = m.encode(&ids(input)).unwrap();
        let want = &g[&format!("encoder.{i}.last_hidden_state")];
        let e = rel_l2(&got, want);
        assert!(e < 1e-5, "encoder case {i}: relative L2 error {e:e}");
    }
    // A right-padded batch (attention mask): each row's real positions equal that input
    // encoded alone, which is how the translator encodes a batch.
    let input = ids(&g["encoder.batch.input_ids"]);
    let mask = g["encoder.batch.attention_mask"].to_vec2::<i64>().unwrap();
    let want = &g["encoder.batch.last_hidden_state"];
    for (row, mask) in mask.iter().enumerate() {
        let n = mask.iter().filter(|&&x| x == 1).count();
        let one = input
            .get(row)
            .unwrap()
            .narrow(0, 0, n)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let got = m.encode(&one).unwrap();
        let want = want
            .get(row)
            .unwrap()
            .narrow(0, 0, n)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let e = rel_l2(&got, &want);
        assert!(e < 1e-5, "batch row {row}: relative L2 error {e:e}");
    }
}

#[test]
fn decoder_logits_match_with_and_without_the_cache() {
    let m = model();
    let g = goldens();
    for i in 0..3 {
        let enc = encoded(&m, &g[&format!("decoder.{i}.input_ids")]);
        let dec = ids(&g[&format!("decoder.{i}.decoder_input_ids")]);
        let full = m.decode_all(&dec, &enc).unwrap().squeeze(0).unwrap();
        let want = &g[&format!("decoder.{i}.logits")];
        let e = rel_l2(&full, want);
        assert!(
            e < 1e-5,
            "decoder case {i}, whole pass: relative L2 error {e:e}"
        );

        let mut cache = m.start(&enc, 1).unwrap();
        let tokens = dec.squeeze(0).unwrap().to_vec1::<u32>().unwrap();
        let steps: Vec<Tensor> = tokens
            .iter()
            .map(|&t| m.step(&[t], &mut cache).unwrap())
            .collect();
        let stepped = Tensor::cat(&steps, 0).unwrap();
        let want = &g[&format!("decoder.{i}.logits_cached")];
        let e = rel_l2(&stepped, want);
        assert!(
            e < 1e-5,
            "decoder case {i}, cached steps: relative L2 error {e:e}"
        );
    }
}

fn generate_json() -> Value {
    let text =
        std::fs::read_to_string(root().join("tests/golden/translate/generate.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The fixture's generation config with one variant's overrides, as the script passes them
/// to `generate()`.
fn params(variant: &Value) -> GenerationParams {
    let path = fixture().join("generation_config.json");
    let mut g = GenerationConfig::from_file(&path).unwrap();
    if let Some(n) = variant.get("num_beams") {
        g.num_beams = Some(n.as_u64().unwrap() as usize);
    }
    if let Some(n) = variant.get("max_length") {
        g.max_length = Some(n.as_u64().unwrap() as usize);
    }
    if let Some(r) = variant.get("renormalize_logits") {
        g.renormalize_logits = Some(r.as_bool().unwrap());
    }
    g.resolve(&config(), &path).unwrap()
}

fn as_ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn generate_gives_transformers_token_ids_for_every_variant() {
    let m = model();
    let golden = generate_json();
    let variants = golden["variants"].as_object().unwrap();
    let cases = golden["cases"].as_array().unwrap();
    let mut checked = 0;
    for (name, overrides) in variants {
        let p = params(overrides);
        // Each input alone, then all of them in one batch (inputs leave it as they finish).
        let mut singles = Vec::new();
        for case in cases {
            let input = as_ids(&case["input_ids"]);
            let t = Tensor::new(input.as_slice(), &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let enc = Encoded::stack(&[m.encode(&t).unwrap()]).unwrap();
            let got = generate::generate(&m, &enc, &p, None).unwrap().remove(0);
            let want = &case[name.as_str()];
            assert_eq!(
                got.ids,
                as_ids(&want["ids"]),
                "{name}: {:?}",
                case["text"].as_str().unwrap()
            );
            assert_eq!(
                got.hit_max_length,
                want["hit_max_length"].as_bool().unwrap(),
                "{name}: {:?}",
                case["text"]
            );
            if let Some(want) = want.get("sequence_score") {
                // Pins what the ids cannot: renormalisation and the length penalty move the
                // scores (by ~1e-3 here) without changing which hypothesis wins.
                let (got, want) = (
                    got.score.expect("beam search scores"),
                    want.as_f64().unwrap(),
                );
                let err = (got as f64 - want).abs();
                assert!(err <= 1e-5 * want.abs(), "{name}: score {got} vs {want}");
            }
            singles.push(got);
            checked += 1;
        }
        let hidden: Vec<Tensor> = cases
            .iter()
            .map(|c| {
                let input = as_ids(&c["input_ids"]);
                let t = Tensor::new(input.as_slice(), &Device::Cpu)
                    .unwrap()
                    .unsqueeze(0)
                    .unwrap();
                m.encode(&t).unwrap()
            })
            .collect();
        let batch = generate::generate(&m, &Encoded::stack(&hidden).unwrap(), &p, None).unwrap();
        for (b, s) in batch.iter().zip(&singles) {
            assert_eq!(b.ids, s.ids, "{name}: the batch differs from single inputs");
            assert_eq!(b.hit_max_length, s.hit_max_length, "{name}");
            // Padding changes the summation order in the cross-attention, not the result.
            if let (Some(b), Some(s)) = (b.score, s.score) {
                assert!((b - s).abs() <= 1e-5 * s.abs(), "{name}: score {b} vs {s}");
            }
        }
        assert_eq!(batch.len(), singles.len());
    }
    assert_eq!(checked, variants.len() * cases.len());
    assert!(checked >= 40, "only {checked} cases");
}

#[test]
fn the_goldens_cover_early_stops_and_max_length() {
    // Guards the test above against a fixture where every run ends the same way.
    let golden = generate_json();
    let runs: Vec<&Value> = golden["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| ["beam", "greedy"].map(|v| &c[v]))
        .collect();
    assert!(runs.iter().any(|r| r["hit_max_length"] == true));
    assert!(runs
        .iter()
        .any(|r| r["hit_max_length"] == false && r["ids"].as_array().unwrap().len() > 2));
}

fn assert_same_tensors(dict: &pickle::StateDict, what: &str) {
    let want =
        candle_core::safetensors::load(fixture().join("model.safetensors"), &Device::Cpu).unwrap();
    for (name, t) in &want {
        let got = dict
            .get(name)
            .unwrap_or_else(|| panic!("{what}: {name} is missing"));
        assert_eq!(&got.shape, t.dims(), "{what}: {name}");
        let want_bytes: Vec<u8> = t
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(got.data, want_bytes, "{what}: {name} differs");
    }
}

#[test]
fn both_bin_layouts_read_to_the_safetensors_values() {
    let dir = root().join("tests/fixtures/marian-tiny-bin");
    for file in ["pytorch_model.bin", "pytorch_model_legacy.bin"] {
        let dict = pickle::read_state_dict(&dir.join(file)).unwrap();
        assert_same_tensors(&dict, file);
        // The tied names share model.shared.weight's storage and are kept as aliases.
        for tied in [
            "lm_head.weight",
            "model.encoder.embed_tokens.weight",
            "model.decoder.embed_tokens.weight",
        ] {
            assert!(
                dict.aliases
                    .iter()
                    .any(|(a, of)| a == tied && of == "model.shared.weight"),
                "{file}: {tied} is not an alias: {:?}",
                dict.aliases
            );
        }
    }
}

#[test]
fn a_converted_bin_loads_to_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("converted.safetensors");
    let bin = root().join("tests/fixtures/marian-tiny-bin/pytorch_model.bin");
    pickle::convert_to_safetensors(&bin, &out, HashMap::new()).unwrap();
    let converted = candle_core::safetensors::load(&out, &Device::Cpu).unwrap();
    assert!(converted.contains_key("model.shared.weight"));
    assert!(
        !converted.contains_key("lm_head.weight"),
        "aliases are not copied"
    );

    // The same logits from the model built on the converted file, on the .bin's tensors
    // in memory (lm_head present under its own name) and on model.safetensors.
    let g = goldens();
    let enc_in = &g["decoder.0.input_ids"];
    let dec = ids(&g["decoder.0.decoder_input_ids"]);
    let logits = |m: &MarianMTModel| m.decode_all(&dec, &encoded(m, enc_in)).unwrap();
    let want = logits(&model());
    let from_file = model_from(VarBuilder::from_tensors(
        converted,
        DType::F32,
        &Device::Cpu,
    ));
    assert_eq!(rel_l2(&logits(&from_file), &want), 0.0);
    let dict = pickle::read_state_dict(&bin).unwrap();
    let mut tensors = HashMap::new();
    for (name, raw) in &dict.tensors {
        let t = Tensor::from_raw_buffer(&raw.data, DType::F32, &raw.shape, &Device::Cpu).unwrap();
        tensors.insert(name.clone(), t);
    }
    for (alias, of) in &dict.aliases {
        let t = tensors[of].clone();
        tensors.insert(alias.clone(), t);
    }
    let from_bin = model_from(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu));
    assert_eq!(rel_l2(&logits(&from_bin), &want), 0.0);
}

#[test]
fn the_hostile_pickle_is_refused_and_runs_nothing() {
    let marker = Path::new("/tmp/reportfig-hostile-pickle-ran");
    let _ = std::fs::remove_file(marker);
    let err = pickle::read_state_dict(&root().join("tests/fixtures/hostile.bin")).unwrap_err();
    match &err {
        PickleError::RefusedGlobal { global, .. } => assert_eq!(global, "posix.system"),
        other => panic!("expected a refused global, got {other}"),
    }
    assert!(err.to_string().contains("posix.system"), "{err}");
    assert!(!marker.exists());
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("converted.safetensors");
    let err = pickle::convert_to_safetensors(
        &root().join("tests/fixtures/hostile.bin"),
        &target,
        HashMap::new(),
    )
    .unwrap_err();
    assert!(matches!(err, PickleError::RefusedGlobal { .. }));
    assert!(!target.exists(), "nothing is written for a refused file");
}

/// A translator folder with the fixture's files, its weights given as `weights`.
fn folder_with(weights: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "config.json",
        "generation_config.json",
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
    ] {
        std::fs::copy(fixture().join(f), dir.path().join(f)).unwrap();
    }
    std::fs::copy(weights, dir.path().join(name)).unwrap();
    dir
}

fn check_translations(t: &Translator, what: &str) {
    let tok =
        reportfig_engine::translate::tokenizer::MarianTokenizer::from_folder(&fixture()).unwrap();
    let golden = generate_json();
    let cases = golden["cases"].as_array().unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let batch = t.translate_many(&texts).unwrap();
    for (case, got) in cases.iter().zip(&batch) {
        let want = &case["beam"];
        assert_eq!(
            got.text,
            want["text"].as_str().unwrap(),
            "{what}: {:?}",
            case["text"]
        );
        assert_eq!(
            got.hit_max_length,
            want["hit_max_length"].as_bool().unwrap()
        );
        let input = as_ids(&case["input_ids"]);
        assert_eq!(got.input_tokens, input.len(), "{what}: {:?}", case["text"]);
        // The golden inputs are tokenised with truncation=True at model_max_length.
        let full = tok.encode(case["text"].as_str().unwrap()).len();
        assert_eq!(got.truncated_input, full > t.max_input_tokens(), "{what}");
        assert_eq!(&t.translate(case["text"].as_str().unwrap()).unwrap(), got);
    }
    assert!(
        batch.iter().any(|t| t.truncated_input),
        "{what}: no long caption"
    );
}

#[test]
fn the_translator_gives_transformers_text_from_safetensors() {
    let files = TranslatorFiles::from_folder(&fixture()).unwrap();
    let t = Translator::load(&files, &Device::Cpu, &ctx(), None).unwrap();
    check_translations(&t, "model.safetensors");
}

#[test]
fn a_bin_only_folder_is_converted_once_and_translates_the_same() {
    let bin = root().join("tests/fixtures/marian-tiny-bin/pytorch_model.bin");
    let dir = folder_with(&bin, "pytorch_model.bin");
    let files = TranslatorFiles::from_folder(dir.path()).unwrap();
    // In memory, no cache.
    let t = Translator::load(&files, &Device::Cpu, &ctx(), None).unwrap();
    check_translations(&t, "pytorch_model.bin in memory");
    // Converted into the cache, then the cached file is reused as it is.
    let cache = dir.path().join("cache/converted.safetensors");
    let t = Translator::load(&files, &Device::Cpu, &ctx(), Some(&cache)).unwrap();
    check_translations(&t, "converted pytorch_model.bin");
    let written = std::fs::metadata(&cache).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let t = Translator::load(&files, &Device::Cpu, &ctx(), Some(&cache)).unwrap();
    check_translations(&t, "cached conversion");
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        written
    );
    // A different .bin under the same name invalidates it.
    let legacy = root().join("tests/fixtures/marian-tiny-bin/pytorch_model_legacy.bin");
    std::fs::copy(legacy, dir.path().join("pytorch_model.bin")).unwrap();
    let t = Translator::load(&files, &Device::Cpu, &ctx(), Some(&cache)).unwrap();
    check_translations(&t, "legacy pytorch_model.bin");
    assert_ne!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        written
    );
}

#[test]
fn a_hostile_bin_stops_the_load_with_a_typed_error() {
    let dir = folder_with(
        &root().join("tests/fixtures/hostile.bin"),
        "pytorch_model.bin",
    );
    let files = TranslatorFiles::from_folder(dir.path()).unwrap();
    let cache = dir.path().join("converted.safetensors");
    let err = match Translator::load(&files, &Device::Cpu, &ctx(), Some(&cache)) {
        Err(e) => e,
        Ok(_) => panic!("the hostile pickle loaded"),
    };
    assert!(
        matches!(&err, TranslateError::Pickle(PickleError::RefusedGlobal { global, .. }) if global == "posix.system"),
        "{err}"
    );
    assert!(!cache.exists());
}
