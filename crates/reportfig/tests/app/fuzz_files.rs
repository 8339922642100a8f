//! Property tests of the parsers of every other file a user or a colleague hands reportfig:
//! style TOML files, `styles import` files (A1111 CSV, Fooocus and InvokeAI JSON),
//! glossaries, LoRA files (their tensor names) and `models export` bundles. Inputs are made
//! from the pieces that break parsers (quotes, brackets, path tricks, control characters,
//! Hangul, huge numbers). Whatever the input: no panic; nothing written outside the target
//! folder; an error names the file, and a line the file has when it gives one.
//!
//! Bounded for CI (a few hundred cases each, seconds in all); `PROPTEST_CASES=100000` runs
//! longer (README, "Reliability").

use std::path::Path;

use proptest::prelude::*;

/// Lines of generated text, each a concatenation of 0..6 `pieces`.
fn text_of(pieces: &'static [&'static str], lines: usize) -> impl Strategy<Value = String> {
    let line = proptest::collection::vec(proptest::sample::select(pieces), 0..6)
        .prop_map(|parts| parts.concat());
    proptest::collection::vec(line, 0..lines).prop_map(|lines| lines.join("\n"))
}

/// The `file:LINE` a refusal opens with names a line within `lines` (+1 for a missing last
/// line). Only the first: the rest of the message may quote input that holds `file:N` text.
fn line_is_real(message: &str, file: &str, lines: usize) -> Result<(), TestCaseError> {
    if let Some(rest) = message
        .find(&format!("{file}:"))
        .map(|i| &message[i + file.len() + 1..])
    {
        if let Some(n) = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse::<usize>().ok())
        {
            prop_assert!(n >= 1 && n <= lines + 1, "line {n} of {lines}: {message}");
        }
    }
    Ok(())
}

const STYLE_PIECES: &[&str] = &[
    "name = \"city\"",
    "name = \"../../etc/passwd\"",
    "title = \"도시 풍경\"",
    "prompt = \"isometric city, {caption}\"",
    "prompt = \"\"\"",
    "negative = \"text\"",
    "steps = 30",
    "steps = 99999999999999999999",
    "steps = -1",
    "guidance = 1e308",
    "guidance = nan",
    "guidance = inf",
    "size = \"slide-16x9\"",
    "size = \"9999999x9999999\"",
    "lora = \"../x.safetensors\"",
    "loras = [",
    "]",
    "[sdxl]",
    "[sd15]",
    "[[x]]",
    "[palette]",
    "colors = [\"#ff0000\", \"zz\"]",
    "extends = \"city\"",
    "extends = \"self\"",
    "=",
    "\"",
    "'",
    "{",
    "}",
    "#",
    "\u{0}",
    "\u{1b}[31m",
    "\u{feff}",
    " ",
    "😀",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::fuzz_cases(300), ..ProptestConfig::default() })]

    #[test]
    fn style_files_never_panic_and_point_at_real_lines(text in text_of(STYLE_PIECES, 14)) {
        let lines = text.lines().count().max(1);
        let (style, diagnostics) = reportfig::style::parse_style(&text, "fuzz.toml", Some("fuzz"));
        for d in &diagnostics {
            prop_assert_eq!(&d.file, "fuzz.toml");
            if let Some(line) = d.line {
                prop_assert!(line >= 1 && line <= lines + 1, "line {} of {}", line, lines);
            }
        }
        let has_error = diagnostics
            .iter()
            .any(|d| d.severity == reportfig::style::Severity::Error);
        prop_assert_eq!(style.is_some(), !has_error);
    }
}

const IMPORT_PIECES: &[&str] = &[
    "name,prompt,negative_prompt",
    "\"City\",\"isometric city, {prompt}\",\"text\"",
    "\"../../escape\",\"a\",\"b\"",
    "\"/etc/passwd\",\"a\",\"b\"",
    "\"C:\\\\x\",\"a\",\"b\"",
    "\".hidden\",\"a\",\"\"",
    "\"도시\",\"a\",\"\"",
    "None,,",
    ",,,,",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "{\"name\": \"Fooocus V2\", \"prompt\": \"{prompt}\", \"negative_prompt\": \"\"}",
    "{\"name\": \"../x\", \"prompt\": \"a\"}",
    "{\"name\": \"CON\", \"prompt\": \"a\"}",
    "{\"name\": \"x\", \"prompt\": 42}",
    "{\"name\": \"x\", \"positive_prompt\": \"a\", \"negative_prompt\": [1]}",
    "{\"presets\": [",
    "\"name\"",
    "\"prompt\"",
    "null",
    "true",
    "1e999",
    "\u{0}",
    "\u{1b}",
    "\r",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::fuzz_cases(300), ..ProptestConfig::default() })]

    #[test]
    fn style_imports_never_panic_or_write_outside_the_folder(
        text in text_of(IMPORT_PIECES, 8),
        csv in any::<bool>(),
    ) {
        use reportfig::style::import::{import_text, write_imported, ImportFormat};
        let (format, file) = if csv {
            (ImportFormat::A1111Csv, "styles.csv")
        } else {
            (ImportFormat::StyleJson, "styles.json")
        };
        match import_text(&text, format, file) {
            Ok(styles) => {
                let tmp = tempfile::tempdir().unwrap();
                let dir = tmp.path().join("styles");
                for s in &styles {
                    prop_assert!(
                        !s.name.is_empty()
                            && !s.name.starts_with('.')
                            && !s.name.contains(['/', '\\', ':', '\0']),
                        "{:?}", s.name
                    );
                    // What is written parses back as a style of that name.
                    let (style, diagnostics) = reportfig::style::parse_style(&s.toml, "x.toml", Some(&s.name));
                    prop_assert!(style.is_some(), "{:?}\n{}", diagnostics, s.toml);
                }
                let written = write_imported(&styles, &dir, false).unwrap();
                for p in &written {
                    prop_assert_eq!(p.parent(), Some(dir.as_path()));
                }
                let outside: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten()
                    .map(|e| e.file_name()).filter(|n| n != "styles").collect();
                prop_assert!(outside.is_empty(), "{:?}", outside);
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains(file), "{}", message);
                line_is_real(&message, file, text.lines().count().max(1))?;
            }
        }
    }
}

const GLOSSARY_PIECES: &[&str] = &[
    "[terms]",
    "[other]",
    "\"포항시\" = \"Pohang City\"",
    "\"포항시\" = \"\"",
    "\"\" = \"x\"",
    "\"시\" = \"City\"",
    "포항 = \"x\"",
    "\"a\" = 3",
    "\"b\" = [\"x\"]",
    "=",
    "\"",
    "[",
    "]",
    "#",
    "\u{0}",
    "\u{1b}[2J",
    "\u{feff}",
    " ",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::fuzz_cases(300), ..ProptestConfig::default() })]

    #[test]
    fn glossaries_never_panic_and_point_at_real_lines(text in text_of(GLOSSARY_PIECES, 10)) {
        let path = Path::new("my-glossary.toml");
        match reportfig::translate::Glossary::parse(&text, path) {
            Ok(g) => {
                for t in g.terms() {
                    prop_assert!(!t.korean.trim().is_empty() && !t.english.trim().is_empty(), "{:?}", t);
                }
                // Applying it to any caption cannot panic either.
                let _ = g.apply("포항시 시내버스 노선 a<b 😀");
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("my-glossary.toml"), "{}", message);
                line_is_real(&message, "my-glossary.toml", text.lines().count().max(1))?;
            }
        }
    }
}

const LORA_KEY_PIECES: &[&str] = &[
    "lora_unet_",
    "lora_te_",
    "lora_te1_",
    "lora_te2_",
    "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
    "input_blocks_4_1_proj_in",
    "text_model_encoder_layers_0_mlp_fc1",
    "unet.",
    "text_encoder.",
    "down_blocks.0.attentions.0.proj_in",
    ".lora_down.weight",
    ".lora_up.weight",
    ".lora_A.weight",
    ".lora_B.weight",
    ".alpha",
    ".weight",
    ".",
    "..",
    "_",
    "__metadata__",
    "\u{0}",
    "99999999999999999999",
    "한글",
];

/// A safetensors file with one small f32 tensor per name (rank 0 to 2, 1 to 3 per side).
fn lora_bytes(tensors: &[(String, Vec<usize>)]) -> Vec<u8> {
    let mut data: Vec<(String, safetensors::tensor::TensorView<'_>)> = Vec::new();
    let buffers: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, shape)| vec![0u8; 4 * shape.iter().product::<usize>()])
        .collect();
    for ((name, shape), buffer) in tensors.iter().zip(&buffers) {
        data.push((
            name.clone(),
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), buffer)
                .unwrap(),
        ));
    }
    safetensors::serialize(data, None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::fuzz_cases(200), ..ProptestConfig::default() })]

    #[test]
    fn lora_tensor_names_never_panic(
        tensors in proptest::collection::btree_map(
            proptest::collection::vec(proptest::sample::select(LORA_KEY_PIECES), 1..5)
                .prop_map(|p| p.concat()),
            proptest::collection::vec(1usize..4, 0..3),
            0..8,
        ),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("style.safetensors");
        let tensors: Vec<(String, Vec<usize>)> = tensors.into_iter().collect();
        std::fs::write(&path, lora_bytes(&tensors)).unwrap();
        let file = reportfig_engine::pipeline::lora::LoraFile { path: path.clone(), weight: 0.8 };
        match reportfig_engine::pipeline::lora::Lora::open(&file) {
            Ok(lora) => {
                let _ = lora.family();
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("style.safetensors"), "{}", message);
            }
        }
    }
}

const REPO_PIECES: &[&str] = &[
    "org/tiny",
    "org/../x",
    "../x/y",
    "/abs/x",
    "a/b/c",
    "org/ti ny",
    "org\\x",
    ".",
];
const REVISION_PIECES: &[&str] = &[
    "main",
    "v1.0",
    "../../x",
    "a..b",
    "/main",
    "refs/../x",
    "ma\u{0}in",
    "",
];
const COMMIT_PIECES: &[&str] = &[
    "0123456789abcdef0123456789abcdef01234567",
    "0123456789ABCDEF0123456789ABCDEF01234567",
    "../../../../../../../../../../../../../x",
    "0123456789abcdef",
];
const FILE_PIECES: &[&str] = &[
    "unet/config.json",
    "model_index.json",
    "../../../outside.txt",
    "/etc/passwd",
    "a//b",
    "a/./b",
    "C:\\x",
    "x:y",
    "..",
    "",
    "tok\u{0}en",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::fuzz_cases(200), ..ProptestConfig::default() })]

    /// A bundle's manifest comes from another machine: whatever it names, importing writes
    /// only inside the cache, refuses naming the manifest, and never panics.
    #[test]
    fn bundles_never_write_outside_the_cache(
        repo in proptest::sample::select(REPO_PIECES),
        revision in proptest::sample::select(REVISION_PIECES),
        commit in proptest::sample::select(COMMIT_PIECES),
        files in proptest::collection::vec((proptest::sample::select(FILE_PIECES), any::<bool>()), 0..4),
        kind in proptest::sample::select(&["model", "lora", "tiny-decoder", "../x"][..]),
    ) {
        use sha2::Digest;
        let tmp = tempfile::tempdir().unwrap();
        let stick = tmp.path().join("stick");
        let cache = tmp.path().join("cache");
        let snapshot = stick
            .join(format!("models--{}", repo.replace('/', "--")))
            .join("snapshots")
            .join(commit);
        let mut entries = Vec::new();
        for (path, good_hash) in &files {
            let content = format!("content of {path}");
            // Only plain paths are laid down in the bundle; the rest exist only in the manifest.
            if !commit.contains("..") && !path.is_empty() && !path.contains("..") && !path.starts_with('/') && !path.contains(['\\', ':', '\0']) {
                let target = snapshot.join(path);
                if std::fs::create_dir_all(target.parent().unwrap()).is_ok() {
                    let _ = std::fs::write(&target, &content);
                }
            }
            let sha = if *good_hash {
                format!("{:x}", sha2::Sha256::digest(content.as_bytes()))
            } else {
                "f".repeat(64)
            };
            entries.push(serde_json::json!({"path": path, "bytes": content.len(), "sha256": sha}));
        }
        std::fs::create_dir_all(&stick).unwrap();
        let manifest = serde_json::json!({
            "format": "reportfig-bundle",
            "version": 1,
            "repos": [{
                "name": "tiny",
                "kind": kind,
                "repo": repo,
                "revision": revision,
                "commit": commit,
                "files": entries,
            }],
        });
        std::fs::write(stick.join(reportfig::model::bundle::MANIFEST), manifest.to_string()).unwrap();
        let result = reportfig::model::bundle::import(&stick, &cache, &mut |_| {});
        let outside: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "stick" && n != "cache")
            .collect();
        prop_assert!(outside.is_empty(), "written outside the cache: {:?}", outside);
        if let Err(e) = result {
            let message = e.to_string();
            prop_assert!(message.contains("stick") || message.contains("cache"), "{}", message);
        }
    }
}
