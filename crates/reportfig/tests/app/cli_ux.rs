//! What a report writer meets at the command line: every help text (snapshots, so a change is
//! seen in review), and the fixes from using reportfig as they would: plain-words messages
//! for bad numbers, `-o` forgiving what people type, no misleading lines before an error,
//! notes only where the user can act on them, files others can read.

use crate::common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn turbo() -> String {
    common::tiny_turbo().display().to_string()
}

/// `reportfig` in `dir` with a private, empty cache and state, offline, at a fixed width.
fn reportfig(dir: &Path) -> Command {
    let mut cmd = common::reportfig_in(dir);
    cmd.env("COLUMNS", "100");
    cmd
}

fn tiny_generate(dir: &Path, caption: &str, extra: &[&str]) -> Command {
    let mut cmd = reportfig(dir);
    cmd.args(["generate", caption, "--model", &turbo(), "--size", "64x64"]);
    // Korean as typed: translation has its own tests (cli_translate.rs).
    cmd.arg("--no-translate");
    cmd.args(extra);
    cmd
}

fn help(args: &[&str]) -> String {
    help_in("C.UTF-8", args)
}

/// The help under the locale `lang` (a `LANG` value).
fn help_in(lang: &str, args: &[&str]) -> String {
    let dir = TempDir::new().unwrap();
    let out = reportfig(dir.path())
        .env("LANG", lang)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Every command's help in Korean (from `LANG=ko_KR.UTF-8`) and in English (`--lang en`
/// wins over the locale), held to the same checks.
#[test]
fn help_texts() {
    for (lang, prefix, examples_word) in [
        ("C.UTF-8", "help", "\nExample"),
        ("ko_KR.UTF-8", "help_ko", "\n예시:"),
    ] {
        check_help_texts(lang, prefix, examples_word);
    }
    assert_eq!(
        help_in("ko_KR.UTF-8", &["--lang", "en", "generate", "--help"]),
        help(&["generate", "--help"])
    );
    assert_eq!(
        help_in("C.UTF-8", &["--lang=ko", "generate", "--help"]),
        help_in("ko_KR.UTF-8", &["generate", "--help"])
    );
}

fn check_help_texts(lang: &str, prefix: &str, examples_word: &str) {
    for (name, args) in [
        ("top", vec!["--help"]),
        ("generate", vec!["generate", "--help"]),
        ("batch", vec!["batch", "--help"]),
        ("compare", vec!["compare", "--help"]),
        ("translate", vec!["translate", "--help"]),
        ("serve", vec!["serve", "--help"]),
        ("retitle", vec!["retitle", "--help"]),
        ("styles", vec!["styles", "--help"]),
        ("styles_list", vec!["styles", "list", "--help"]),
        ("styles_show", vec!["styles", "show", "--help"]),
        ("styles_check", vec!["styles", "check", "--help"]),
        ("styles_import", vec!["styles", "import", "--help"]),
        ("models", vec!["models", "--help"]),
        ("models_list", vec!["models", "list", "--help"]),
        ("models_fetch", vec!["models", "fetch", "--help"]),
        ("models_export", vec!["models", "export", "--help"]),
        ("models_import", vec!["models", "import", "--help"]),
    ] {
        let text = help_in(lang, &args);
        // No message id may show instead of its text.
        assert!(
            !text.contains("help-"),
            "{name}: a help id without text:\n{text}"
        );
        // Every option says what it is for, and every command shows examples that are not
        // broken over two lines (a wrapped example cannot be copied).
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            let indent = line.len() - line.trim_start().len();
            // An option with nothing after its name: its help must be on the next line,
            // indented deeper (the long-help layout).
            let alone = indent <= 6 && t.starts_with('-') && !t.contains("  ");
            let next_indent = lines
                .get(i + 1)
                .filter(|n| !n.trim().is_empty())
                .map(|n| n.len() - n.trim_start().len());
            assert!(
                !alone || next_indent.is_some_and(|n| n > indent),
                "{name}: option without help: {t:?}"
            );
        }
        let examples = text.split(examples_word).nth(1).unwrap_or_else(|| {
            panic!("{name}: no examples in the help");
        });
        for line in examples.lines().filter(|l| l.starts_with("  ")) {
            assert!(
                line.trim_start().starts_with("reportfig "),
                "{name}: an example broken over two lines: {line:?}"
            );
            assert!(
                // Columns, not bytes: Hangul takes two columns in a terminal.
                line.chars()
                    .map(|c| if c >= '\u{1100}' { 2 } else { 1 })
                    .sum::<usize>()
                    <= 80,
                "{name}: example wider than 80 columns: {line:?}"
            );
        }
        insta::assert_snapshot!(format!("{prefix}_{name}"), text);
    }
}

#[test]
fn bad_numbers_are_explained_in_plain_words() {
    let dir = TempDir::new().unwrap();
    for (args, expected) in [
        (
            vec!["--seed", "-1"],
            "a seed is a whole number of 0 or more",
        ),
        (
            vec!["--seed", "abc"],
            "a seed is a whole number of 0 or more",
        ),
        (
            vec!["--steps", "2.5"],
            "steps is a whole number, e.g. --steps 4",
        ),
        (
            vec!["--guidance", "lots"],
            "guidance is a number, e.g. --guidance 7.5",
        ),
        // Negative guidance reaches our own check instead of clap's "unexpected argument".
        (vec!["--guidance", "-1"], "must be zero or positive"),
    ] {
        tiny_generate(dir.path(), "Riverside park", &args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected))
            .stderr(predicate::str::contains("invalid digit").not())
            .stderr(predicate::str::contains("unexpected argument").not());
    }
}

#[test]
fn output_may_be_a_folder_or_a_name_without_png() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("figures")).unwrap();
    tiny_generate(
        dir.path(),
        "Riverside park",
        &["--seed", "3", "-o", "figures"],
    )
    .assert()
    .success()
    .stdout("figures/riverside-park-3.png\n");
    assert!(dir.path().join("figures/riverside-park-3.png").is_file());
    tiny_generate(
        dir.path(),
        "Riverside park",
        &["--seed", "3", "-o", "cover"],
    )
    .assert()
    .success()
    .stdout("cover.png\n");
    assert!(dir.path().join("cover.png").is_file());
}

#[test]
fn output_in_another_image_format_is_refused_before_work() {
    let dir = TempDir::new().unwrap();
    tiny_generate(dir.path(), "Riverside park", &["-o", "cover.jpg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("writes PNG images only"))
        .stderr(predicate::str::contains("-o cover.png"))
        .stderr(predicate::str::contains("loading").not());
    assert!(!dir.path().join("cover.jpg").exists());
}

#[test]
fn no_seed_line_before_an_error() {
    let dir = TempDir::new().unwrap();
    for (caption, extra) in [("   ", vec![]), ("Park", vec!["--style", "no-such-style"])] {
        tiny_generate(dir.path(), caption, &extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("pass --seed").not());
    }
}

#[test]
fn existing_file_is_refused_before_the_model_loads() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("cover.png"), b"not ours").unwrap();
    tiny_generate(dir.path(), "Riverside park", &["-o", "cover.png"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"))
        .stderr(predicate::str::contains("loading").not());
}

#[test]
fn negative_prompt_note_only_for_the_users_own() {
    let dir = TempDir::new().unwrap();
    // A style's own negative prompt on a turbo model is expected: no note.
    tiny_generate(
        dir.path(),
        "Park",
        &["--style", "flat-vector-infographic", "-o", "a.png"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("negative prompt has no effect").not())
    .stderr(predicate::str::contains("negative prompt is longer").not());
    tiny_generate(dir.path(), "Park", &["--negative", "cars", "-o", "b.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("negative prompt has no effect").count(1));
}

#[test]
fn style_overflow_is_said_once() {
    let dir = TempDir::new().unwrap();
    let out = tiny_generate(
        dir.path(),
        "출퇴근 시간 버스와 승용차가 뒤섞인 도심 간선도로",
        &["--style", "isometric-city", "-o", "a.png"],
    )
    .assert()
    .success()
    .get_output()
    .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.matches("style words were left out").count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("window of"), "{stderr}");
}

#[test]
fn long_caption_warning_reads_as_text() {
    let dir = TempDir::new().unwrap();
    let caption = "Smart traffic signals at a busy city intersection with many cars, buses, \
        bicycles and pedestrians crossing the road on a sunny morning while city officials \
        watch the new control centre screens showing real-time congestion maps, air quality \
        and parking availability across every district";
    tiny_generate(dir.path(), caption, &["--seed", "1"])
        .assert()
        .success()
        .stderr(predicate::str::contains("these words had no effect"))
        .stderr(predicate::str::contains(" ,").not())
        .stderr(predicate::str::contains("hint: shorten the caption"));
}

#[cfg(unix)]
#[test]
fn written_files_are_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    tiny_generate(dir.path(), "Park", &["-o", "p.png"])
        .assert()
        .success();
    let mode = std::fs::metadata(dir.path().join("p.png"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(mode & 0o044, 0, "mode {mode:o}: only the owner can read it");

    std::fs::write(dir.path().join("outline.txt"), "Riverside park\n").unwrap();
    reportfig(dir.path())
        .args([
            "batch",
            "outline.txt",
            "--model",
            &turbo(),
            "--size",
            "64x64",
        ])
        .assert()
        .success();
    for f in ["manifest.json", "index.html"] {
        let mode = std::fs::metadata(dir.path().join("figures").join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_ne!(mode & 0o044, 0, "{f}: mode {mode:o}");
    }
}

#[test]
fn batch_notes_name_the_figure_and_a_rerun_is_quiet() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("outline.txt"),
        "출퇴근 시간 버스와 승용차가 뒤섞인 도심 간선도로\n",
    )
    .unwrap();
    let run = || {
        let out = reportfig(dir.path())
            .args([
                "batch",
                "outline.txt",
                "--model",
                &turbo(),
                "--size",
                "64x64",
            ])
            .args(["--style", "isometric-city", "--no-translate"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let first = run();
    assert!(
        first.contains(
            "warning: 01-출퇴근-시간-버스와-승용차가-뒤섞인-도심-간선도로.png: caption and style"
        ),
        "{first}"
    );
    let second = run();
    assert!(!second.contains("warning"), "{second}");
}

#[test]
fn fetch_under_hf_hub_offline_names_the_variable() {
    let dir = TempDir::new().unwrap();
    reportfig(dir.path())
        .args(["models", "fetch", "sd-turbo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("HF_HUB_OFFLINE is set"))
        .stderr(predicate::str::contains("downloading").not())
        .stderr(predicate::str::contains("--offline").not());
}

#[test]
fn a_korean_caption_gets_advice_to_write_english() {
    let dir = TempDir::new().unwrap();
    tiny_generate(dir.path(), "노인복지관 개관식", &["-o", "ko.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "understand far worse than English",
        ));
    tiny_generate(
        dir.path(),
        "Senior welfare centre opening",
        &["-o", "en.png"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("Korean").not());
}

#[test]
fn an_unreachable_hub_is_a_run_time_failure_not_bad_input() {
    let dir = TempDir::new().unwrap();
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    reportfig(dir.path())
        .env_remove("HF_HUB_OFFLINE")
        .env("HF_ENDPOINT", "http://127.0.0.1:9")
        .args(["generate", "Park", "--model", "sd-turbo", "--seed", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not reach"))
        .stderr(predicate::str::contains("--offline"));
}

/// `--exact-ratio`: the pipeline crops the finished image to the request's ratio, so no front
/// end has to. (The page presets are within a pixel of their ratio at the turbo sizes, so the
/// crop is seen here at a size that is not.)
#[test]
fn the_pipeline_crops_to_the_requested_ratio() {
    use reportfig::model::source::{resolve, HubOptions, ModelSource};
    use reportfig_engine::pipeline::{LoadOptions, Pipeline};
    let dir = TempDir::new().unwrap();
    let source = ModelSource::Local(common::tiny_turbo().to_path_buf());
    let opts = HubOptions {
        offline: true,
        ..HubOptions::new(dir.path().to_path_buf())
    };
    let files = resolve(&source, &opts, &mut |_| {}).unwrap();
    let mut pipeline = Pipeline::load(&files, &LoadOptions::default()).unwrap();
    let mut req = reportfig_engine::GenerationRequest {
        caption: "Park".into(),
        styles: Vec::new(),
        prompt: "Park".into(),
        negative_prompt: None,
        width: 64,
        height: 48,
        steps: 1,
        guidance: 0.0,
        seed: 1,
        sampler: None,
        model: "tiny".into(),
        model_revision: None,
        crop_to_ratio: None,
        draft_decoder: None,
        init_image: None,
        loras: Vec::new(),
        caption_en: None,
        translated_by: None,
    };
    let whole = pipeline.generate(&req, &mut |_| {}).unwrap().image;
    assert_eq!(whole.dimensions(), (64, 48));
    req.crop_to_ratio = Some((1, 1));
    let cropped = pipeline.generate(&req, &mut |_| {}).unwrap().image;
    assert_eq!(cropped.dimensions(), (48, 48));
    // The centre of the same image: the crop is taken from the generated picture, not a new one.
    assert_eq!(
        cropped.as_raw(),
        image::imageops::crop_imm(&whole, 8, 0, 48, 48)
            .to_image()
            .as_raw()
    );
}
