//! Korean captions end to end through the binary: the glossary, the translator (the tiny
//! random-weight Marian fixture, so its English is nonsense but real model output), what the
//! PNG records, the batch's translation cache and the errors a user meets.

use std::path::Path;

use reportfig::output::{read_metadata, read_parameters};

use crate::common;
use common::{ok, reportfig_offline, run, tiny_translator, tiny_turbo};

/// A caption of the reference goldens (`crates/engine/tests/golden/translate/generate.json`)
/// and what the tiny fixture's beam search makes of it (random weights: nonsense, but it stops
/// by itself before the length limit).
const SMART_CITY: &str = "Smart City 교통 정보";
const SMART_CITY_OUT: &str = "전66666";

fn translator() -> String {
    tiny_translator().to_str().unwrap().to_string()
}

#[test]
fn translate_prints_one_english_line_per_caption() {
    let home = tempfile::tempdir().unwrap();
    let r = ok(reportfig_offline(home.path()).args([
        "translate",
        "포항시",
        "City hall at night",
        SMART_CITY,
        "--translator",
        &translator(),
    ]));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    // The glossary alone makes the first; English passes through; the third is the model's
    // beam search, as transformers' generate() gives it for this fixture.
    assert_eq!(lines[0], "Pohang City");
    assert_eq!(lines[1], "City hall at night");
    assert_eq!(lines[2], SMART_CITY_OUT);
    assert!(
        r.stderr
            .contains(&format!("{SMART_CITY} → {SMART_CITY_OUT}")),
        "{}",
        r.stderr
    );

    let j = ok(reportfig_offline(home.path()).args([
        "translate",
        SMART_CITY,
        "--json",
        "--translator",
        &translator(),
    ]));
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v[0]["caption"], SMART_CITY);
    assert_eq!(v[0]["english"], SMART_CITY_OUT);
    assert_eq!(
        v[0]["translated_by"],
        format!("{} + glossary", translator())
    );
}

#[test]
fn a_missing_translator_offline_names_it_and_how_to_fetch_it() {
    let home = tempfile::tempdir().unwrap();
    let r = run(reportfig_offline(home.path()).args(["translate", "포항시 버스 정류장"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("opus-mt-ko-en"), "{}", r.stderr);
    assert!(
        r.stderr.contains("reportfig models export opus-mt-ko-en"),
        "{}",
        r.stderr
    );
    // A caption the glossary fully translates needs no translator at all.
    let g = ok(reportfig_offline(home.path()).args(["translate", "행정복지센터"]));
    assert_eq!(g.stdout.trim(), "community service centre");
}

#[test]
fn bad_glossary_and_translator_are_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("terms.toml");
    std::fs::write(
        &bad,
        "[terms]\n\"포항시\" = \"Pohang City\"\n\"항구\" = \"항구\"\n",
    )
    .unwrap();
    let r = run(reportfig_offline(home.path()).args([
        "translate",
        "포항시",
        "--glossary",
        bad.to_str().unwrap(),
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("terms.toml:3:"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);

    let r = run(reportfig_offline(home.path()).args([
        "translate",
        "포항시 버스",
        "--translator",
        "no-such-translator",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("opus-mt-ko-en"), "{}", r.stderr);
}

fn generate(home: &Path, caption: &str, out: &Path, extra: &[&str]) -> common::Run {
    let mut cmd = reportfig_offline(home);
    cmd.args(["generate", caption, "--model"])
        .arg(tiny_turbo())
        .args([
            "--size",
            "64x64",
            "--seed",
            "3",
            "--translator",
            &translator(),
            "-o",
        ])
        .arg(out)
        .args(extra);
    run(cmd)
}

#[test]
fn a_korean_caption_with_a_style_gives_the_english_composed_with_the_whole_style() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("cover.png");
    let r = generate(
        home.path(),
        SMART_CITY,
        &out,
        &["--style", "isometric-city"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&out).unwrap().unwrap();
    assert_eq!(req.caption, SMART_CITY);
    assert_eq!(req.caption_en.as_deref(), Some(SMART_CITY_OUT));
    assert!(
        r.stderr
            .contains(&format!("{SMART_CITY} → {SMART_CITY_OUT}")),
        "{}",
        r.stderr
    );
    // The prompt other tools see is the English with the whole style around it.
    let params = read_parameters(&out).unwrap().unwrap();
    let prompt = params.lines().next().unwrap();
    assert_eq!(prompt, req.prompt);
    assert!(prompt.contains(SMART_CITY_OUT), "{prompt}");
    assert!(!prompt.contains("교통"), "{prompt}");
    let untranslated = home.path().join("plain.png");
    let plain = generate(
        home.path(),
        "Smart City traffic information",
        &untranslated,
        &["--style", "isometric-city"],
    );
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let style_words = read_metadata(&untranslated).unwrap().unwrap().prompt;
    let tail = style_words
        .split_once("Smart City traffic information")
        .unwrap()
        .1;
    assert!(
        prompt.ends_with(tail),
        "the style is whole: {prompt} vs {style_words}"
    );

    // --no-translate keeps the caption as typed, with a note that says why that is poor.
    let raw = home.path().join("raw.png");
    let r = generate(home.path(), "포항시 버스 정류장", &raw, &["--no-translate"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&raw).unwrap().unwrap();
    assert_eq!(req.caption_en, None);
    assert_eq!(req.prompt, "포항시 버스 정류장");
    assert!(r.stderr.contains("not translated"), "{}", r.stderr);
}

#[test]
fn a_batch_translates_once_and_keeps_the_translations() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 교통 보고서\n\n## Smart City 교통 정보\n\n## 영일대 야경 {en=\"Night view of Yeongildae Beach\"}\n\n## Bike lanes\n",
    )
    .unwrap();
    let batch = |extra: &[&str]| {
        let mut cmd = reportfig_offline(home.path());
        cmd.arg("batch")
            .arg(&outline)
            .args(["--model"])
            .arg(tiny_turbo())
            .args(["--size", "64x64", "--translator", &translator()])
            .args(extra);
        run(cmd)
    };
    let first = batch(&[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("loading the translator"),
        "{}",
        first.stderr
    );
    let figures = home.path().join("figures");
    let cache = std::fs::read_to_string(figures.join("translations.json")).unwrap();
    assert!(cache.contains(SMART_CITY), "{cache}");
    assert!(
        cache.contains("교통 보고서"),
        "every caption's outcome is kept: {cache}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(figures.join("manifest.json")).unwrap())
            .unwrap();
    let entries = manifest["figures"].as_array().unwrap();
    let by_caption = |c: &str| entries.iter().find(|e| e["caption"] == c).unwrap().clone();
    assert_eq!(by_caption(SMART_CITY)["caption_en"], SMART_CITY_OUT);
    let given = by_caption("영일대 야경");
    assert_eq!(given["caption_en"], "Night view of Yeongildae Beach");
    assert_eq!(given["translated_by"], "given");
    assert_eq!(given["prompt"], "Night view of Yeongildae Beach");
    assert!(by_caption("Bike lanes").get("caption_en").is_none());
    let gallery = std::fs::read_to_string(figures.join("index.html")).unwrap();
    assert!(gallery.contains("Night view of Yeongildae Beach"));

    // Nothing changed: the translations come from the folder and the translator stays unloaded.
    let again = batch(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        !again.stderr.contains("loading the translator"),
        "{}",
        again.stderr
    );

    // A dry run shows the English too, and never needs the network.
    let dry = batch(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
}

/// The tiny translator copied with its generation config changed as `edit` says.
fn translator_with(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let to = dir.join("translator");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(tiny_translator()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
    let path = to.join("generation_config.json");
    let mut g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut g);
    std::fs::write(&path, g.to_string()).unwrap();
    to.to_str().unwrap().to_string()
}

/// What the issue asks of translations that go wrong: a caption over the translator's input
/// limit is bad input (exit 2, naming the limit); a translation cut at `max_length`, or one
/// that comes back empty, is a warning naming the caption, and the caption is used as typed.
#[test]
fn too_long_cut_and_empty_translations_are_explained() {
    let home = tempfile::tempdir().unwrap();
    let long = ["포항시의 버스 정류장"; 12].join(" ");
    let r = run(reportfig_offline(home.path()).args([
        "translate",
        &long,
        "--translator",
        &translator(),
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("too long for the translator (32 tokens at most)"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    // The fixture's beam search makes 6 tokens of SMART_CITY; at max_length 4 it is cut.
    let cut = translator_with(&home.path().join("cut"), |g| g["max_length"] = 4.into());
    let r =
        ok(reportfig_offline(home.path()).args(["translate", SMART_CITY, "--translator", &cut]));
    assert_eq!(r.stdout.trim(), SMART_CITY, "used as typed");
    assert!(
        r.stderr.contains(&format!(
            "the translation of \"{SMART_CITY}\" was cut off at the translator's length limit"
        )),
        "{}",
        r.stderr
    );

    // EOS forced as the first token: nothing comes back.
    let empty = translator_with(&home.path().join("empty"), |g| {
        g["forced_bos_token_id"] = 0.into()
    });
    let r =
        ok(reportfig_offline(home.path()).args(["translate", SMART_CITY, "--translator", &empty]));
    assert_eq!(r.stdout.trim(), SMART_CITY, "used as typed");
    assert!(
        r.stderr.contains(&format!(
            "the translator gave no English for \"{SMART_CITY}\""
        )),
        "{}",
        r.stderr
    );
}
