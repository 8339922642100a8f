//! `reportfig generate` end to end, as a user meets it: the binary on tiny models in a
//! temporary folder, checking the files written, stdout, stderr and the exit code.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use candle_core::Device;
use reportfig::output::{read_metadata, read_parameters};
use reportfig_testkit::{write_tiny_model, TinyFamily};
use tempfile::TempDir;

use crate::common;
use common::{run, Run};

/// The tiny models, written once per test process (deterministic bytes).
fn models() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("cli-generate-models-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        for fam in [TinyFamily::Sd15, TinyFamily::Turbo] {
            write_tiny_model(&dir.path().join(fam.name()), fam).expect("tiny model");
        }
        dir
    })
    .path()
}

fn model(name: &str) -> String {
    models().join(name).display().to_string()
}

/// A copy of a tiny model that a test may damage.
fn model_copy(name: &str, into: &Path) -> PathBuf {
    let dst = into.join(format!("{name}-copy"));
    copy_dir(&models().join(name), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// `reportfig` in `dir`, isolated (see `common::reportfig_in`), with backtraces switched on
/// so a test notices if one ever reaches the user.
fn reportfig(dir: &Path) -> Command {
    let mut cmd = common::reportfig_in(dir);
    cmd.env("RUST_BACKTRACE", "1");
    cmd
}

/// A quick, valid `generate` on the tiny SD 1.5 model; `extra` may replace `--model`,
/// `--size` or `--steps`.
fn generate(dir: &Path, out: &str, extra: &[&str]) -> Command {
    let mut cmd = reportfig(dir);
    cmd.args([
        "generate",
        "Smart traffic signals at a busy city intersection",
    ]);
    let sd15 = model("sd15");
    for (flag, default) in [
        ("--model", sd15.as_str()),
        ("--size", "64x64"),
        ("--steps", "2"),
    ] {
        if !extra.contains(&flag) {
            cmd.args([flag, default]);
        }
    }
    cmd.args(["-o", out]).args(extra);
    cmd
}

/// Files in `dir` but the private `.home`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v = common::files(dir);
    v.retain(|n| n != ".home");
    v
}

#[test]
fn writes_a_png_of_the_requested_size_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = reportfig(dir.path());
    cmd.args([
        "generate",
        "스마트 교통 신호 at a crossing",
        "--no-translate",
        "--model",
    ])
    .arg(model("sd15"))
    .args(["--size", "64x96", "--steps", "2", "--seed", "7"])
    .args(["--negative", "blurry", "--sampler", "euler-a"])
    .args(["-o", "figure.png"]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = dir.path().join("figure.png");
    assert_eq!(r.stdout.trim(), "figure.png");

    let img = image::open(&path).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (64, 96));

    let req = read_metadata(&path).unwrap().expect("reportfig chunk");
    assert_eq!(req.prompt, "스마트 교통 신호 at a crossing");
    assert_eq!(req.negative_prompt.as_deref(), Some("blurry"));
    assert_eq!((req.width, req.height, req.steps, req.seed), (64, 96, 2, 7));
    assert_eq!(req.sampler.map(|k| k.name()), Some("euler-a"));
    assert_eq!(req.guidance, 7.5);

    let params = read_parameters(&path).unwrap().expect("parameters chunk");
    assert!(
        params.starts_with("스마트 교통 신호 at a crossing\nNegative prompt: blurry\n"),
        "{params}"
    );
    for part in ["Steps: 2", "Seed: 7", "Size: 64x96", "CFG scale: 7.5"] {
        assert!(params.contains(part), "{part} missing from {params:?}");
    }
    assert_eq!(files(dir.path()), ["figure.png"], "no temporary file left");
}

/// `--dtype f16` on the CPU (f16 weights, f32 arithmetic) makes the same image as f32 up to
/// the weights' rounding: a few 8-bit levels at most (the parity tests measure 1).
#[test]
fn dtype_f16_on_the_cpu_gives_nearly_the_f32_image() {
    let dir = tempfile::tempdir().unwrap();
    for (out, dtype) in [("f32.png", "f32"), ("f16.png", "f16")] {
        let r = run(&mut generate(
            dir.path(),
            out,
            &["--seed", "3", "--dtype", dtype],
        ));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let pixels = |f: &str| image::open(dir.path().join(f)).unwrap().to_rgb8();
    let (a, b) = (pixels("f32.png"), pixels("f16.png"));
    assert_eq!(a.dimensions(), b.dimensions());
    let worst = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as i16 - *y as i16).abs())
        .max()
        .unwrap_or(0);
    assert!(worst <= 4, "f16 weights moved a pixel by {worst} levels");
}

#[test]
fn same_seed_same_bytes_other_seed_other_image() {
    let dir = tempfile::tempdir().unwrap();
    for (out, seed) in [("a.png", "5"), ("b.png", "5"), ("c.png", "6")] {
        let r = run(&mut generate(dir.path(), out, &["--seed", seed]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    assert_eq!(read("a.png"), read("b.png"), "same seed, same bytes");
    let pixels = |f: &str| image::open(dir.path().join(f)).unwrap().to_rgb8();
    assert_ne!(
        pixels("a.png").into_raw(),
        pixels("c.png").into_raw(),
        "another seed must give another image"
    );
}

#[test]
fn without_seed_a_seed_is_chosen_printed_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&mut generate(dir.path(), "x.png", &[]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("x.png")).unwrap().unwrap();
    assert!(
        r.stderr.contains(&format!("--seed {}", req.seed)),
        "{}",
        r.stderr
    );
}

#[test]
fn json_output_describes_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&mut generate(
        dir.path(),
        "j.png",
        &["--seed", "11", "--json"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is JSON");
    assert_eq!(v["path"], "j.png");
    assert_eq!(v["request"]["seed"], 11);
    assert_eq!(v["request"]["width"], 64);
    assert_eq!(
        v["request"]["prompt"],
        "Smart traffic signals at a busy city intersection"
    );
    assert!(v["seconds"].as_f64().is_some());
}

/// `HF_TOKEN` never reaches what reportfig prints or writes: not the JSON on stdout, not the
/// picture's metadata, not `models list --json`, not an error with a backtrace asked for.
#[test]
fn the_token_is_in_no_json_output_metadata_or_error() {
    const TOKEN: &str = "hf_NeverShownToken0987654321";
    let dir = tempfile::tempdir().unwrap();
    let with_token = |cmd: &mut Command| {
        cmd.env("HF_TOKEN", TOKEN).env("RUST_BACKTRACE", "1");
    };
    let mut cmd = generate(dir.path(), "t.png", &["--seed", "5", "--json"]);
    with_token(&mut cmd);
    let made = run(&mut cmd);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let picture = dir.path().join("t.png");
    let metadata = format!(
        "{:?}{:?}",
        read_metadata(&picture).unwrap().expect("reportfig chunk"),
        read_parameters(&picture)
            .unwrap()
            .expect("parameters chunk")
    );
    let mut cmd = reportfig(dir.path());
    cmd.args(["models", "list", "--json"]);
    with_token(&mut cmd);
    let listed = run(&mut cmd);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let mut cmd = generate(
        dir.path(),
        "u.png",
        &["--model", "org/not-cached", "--json"],
    );
    with_token(&mut cmd);
    let failed = run(&mut cmd);
    assert_eq!(failed.code, 2, "{}", failed.stderr);
    for (what, text) in [
        ("generate --json", format!("{}{}", made.stdout, made.stderr)),
        ("metadata", metadata),
        (
            "models list --json",
            format!("{}{}", listed.stdout, listed.stderr),
        ),
        ("an error", format!("{}{}", failed.stdout, failed.stderr)),
    ] {
        assert!(
            !text.contains(TOKEN) && !text.contains("NeverShown"),
            "{what}: {text}"
        );
    }
}

#[test]
fn quiet_silences_stderr() {
    let dir = tempfile::tempdir().unwrap();
    // No --seed: even the chosen-seed note is silenced.
    let r = run(&mut generate(dir.path(), "q.png", &["-q"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout.trim(), "q.png");
}

#[test]
fn offline_with_an_empty_cache_names_the_file_and_the_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(reportfig(dir.path()).args([
        "generate",
        "a park",
        "--offline",
        "--model",
        "sd-turbo",
        "-o",
        "o.png",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("offline"), "{}", r.stderr);
    assert!(r.stderr.contains("model_index.json"), "{}", r.stderr);
    assert!(
        r.stderr.contains("reportfig models export sd-turbo"),
        "{}",
        r.stderr
    );
    assert!(files(dir.path()).is_empty());
}

/// What a bad-input run must look like: exit code 2, an `error:` message of at most
/// `max_lines` lines with no backtrace or Debug dump, and no file left in the folder.
fn assert_bad_input(dir: &Path, r: &Run, expect: &[&str], max_lines: usize) {
    assert_eq!(r.code, 2, "exit code; stderr:\n{}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    let lines = r.stderr.trim_end().lines().count();
    assert!(
        lines <= max_lines,
        "{lines} lines, at most {max_lines}:\n{}",
        r.stderr
    );
    for bad in [
        "backtrace",
        "   0: ",
        "Os {",
        "Error {",
        "panicked",
        "RUST_BACKTRACE",
    ] {
        assert!(!r.stderr.contains(bad), "{bad:?} in:\n{}", r.stderr);
    }
    for want in expect {
        assert!(r.stderr.contains(want), "{want:?} not in:\n{}", r.stderr);
    }
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    let left: Vec<String> = files(dir)
        .into_iter()
        .filter(|f| !f.ends_with("-copy") && f != "existing.png" && f != "a-file")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn bad_requests_are_plain_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--size", "100x64"],
            &["width 100 is not a multiple of 8", "96 or 104"],
        ),
        (&["--size", "64x60"], &["height", "60"]),
        (&["--steps", "0"], &["--steps must be at least 1"]),
        (
            &["--guidance=-1"],
            &["--guidance -1 must be zero or positive"],
        ),
        (
            &["--style", "no-such-style"],
            &["no-such-style", "reportfig styles list"],
        ),
    ];
    for (args, expect) in cases {
        let r = run(generate(d, "out.png", args).arg("-q"));
        assert_bad_input(d, &r, expect, 2);
    }
    // clap checks the sampler name (from the engine's list), so its message has clap's
    // "For more information, try '--help'." line, as a malformed --steps has.
    let r = run(generate(d, "out.png", &["--sampler", "heun"]).arg("-q"));
    assert_bad_input(d, &r, &["unknown sampler \"heun\"", "euler-a", "--help"], 3);
}

#[test]
fn unknown_preset_lists_the_presets() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(reportfig(dir.path()).args(["generate", "a park", "--model", "sd-tubro"]));
    // The one message longer than two lines: it teaches the three forms --model takes.
    assert_bad_input(dir.path(), &r, &["sd-tubro", "sd-turbo, sdxl-turbo"], 6);
}

#[test]
fn broken_model_folders_are_plain_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let try_model = |m: &Path| {
        let m = m.display().to_string();
        run(&mut generate(d, "out.png", &["-q", "--model", &m]))
    };

    // A missing component.
    let m = model_copy("sd15", d);
    std::fs::remove_dir_all(m.join("vae")).unwrap();
    assert_bad_input(d, &try_model(&m), &["is missing vae/config.json"], 2);
    std::fs::remove_dir_all(&m).unwrap();

    // A missing weights file.
    let m = model_copy("sd15", d);
    std::fs::remove_file(m.join("text_encoder/model.safetensors")).unwrap();
    assert_bad_input(d, &try_model(&m), &["text_encoder/model.safetensors"], 2);
    std::fs::remove_dir_all(&m).unwrap();

    // A truncated .safetensors (an interrupted download).
    let m = model_copy("sd15", d);
    let w = m.join("unet/diffusion_pytorch_model.safetensors");
    let bytes = std::fs::read(&w).unwrap();
    std::fs::write(&w, &bytes[..bytes.len() / 3]).unwrap();
    let r = try_model(&m);
    assert_bad_input(
        d,
        &r,
        &[
            "cannot load the UNet weights",
            "diffusion_pytorch_model.safetensors",
            "hint:",
        ],
        2,
    );
    assert!(!r.stderr.contains("path: \""), "{}", r.stderr);
    std::fs::remove_dir_all(&m).unwrap();

    // Garbage where the weights should be.
    let m = model_copy("sd15", d);
    std::fs::write(
        m.join("vae/diffusion_pytorch_model.safetensors"),
        [0xffu8; 64],
    )
    .unwrap();
    assert_bad_input(d, &try_model(&m), &["cannot load the VAE weights"], 2);
    std::fs::remove_dir_all(&m).unwrap();

    // Weights that do not match the config: the message names the tensor.
    let m = model_copy("sd15", d);
    let cfg_path = m.join("text_encoder/config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg_path).unwrap()).unwrap();
    let inter = cfg["intermediate_size"].as_u64().unwrap();
    cfg["intermediate_size"] = (inter * 2).into();
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    assert_bad_input(
        d,
        &try_model(&m),
        &["text_model.encoder.layers.0.mlp.fc1.weight", "config.json"],
        2,
    );
    std::fs::remove_dir_all(&m).unwrap();

    let m = model_copy("sd15", d);
    let cfg_path = m.join("unet/config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg_path).unwrap()).unwrap();
    let first = cfg["block_out_channels"][0].as_u64().unwrap();
    cfg["block_out_channels"][0] = (first * 2).into();
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    assert_bad_input(d, &try_model(&m), &["conv_in.weight", "config.json"], 2);
    std::fs::remove_dir_all(&m).unwrap();

    // A config that is not JSON.
    let m = model_copy("sd15", d);
    std::fs::write(m.join("unet/config.json"), "{").unwrap();
    assert_bad_input(d, &try_model(&m), &["unet/config.json", "not a valid"], 2);
    std::fs::remove_dir_all(&m).unwrap();
}

#[test]
fn output_that_cannot_be_written_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let r = run(&mut generate(d, "missing/figure.png", &["-q"]));
    assert_bad_input(d, &r, &["missing", "does not exist"], 2);

    std::fs::write(d.join("a-file"), "x").unwrap();
    let r = run(&mut generate(d, "a-file/figure.png", &["-q"]));
    assert_bad_input(d, &r, &["a-file", "not a folder"], 2);

    std::fs::write(d.join("existing.png"), "keep me").unwrap();
    let r = run(&mut generate(d, "existing.png", &["-q", "--seed", "1"]));
    assert_bad_input(d, &r, &["existing.png already exists", "--force"], 2);
    assert_eq!(std::fs::read(d.join("existing.png")).unwrap(), b"keep me");

    let r = run(&mut generate(
        d,
        "existing.png",
        &["-q", "--seed", "1", "--force"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(image::open(d.join("existing.png")).is_ok());
}

/// `chattr +i` on a folder for as long as the guard lives (the test process is root).
struct Immutable(Option<PathBuf>);

impl Immutable {
    fn try_set(dir: &Path) -> Self {
        let set = std::process::Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        Immutable(set.then(|| dir.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(dir)
                .status();
        }
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_a_plain_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permission bits; an immutable folder (chattr +i) stops root too, with the
    // same kind of error (EPERM is io::ErrorKind::PermissionDenied, like EACCES).
    let _immutable = Immutable::try_set(&ro);
    if std::fs::write(ro.join("probe"), "x").is_ok() {
        let _ = std::fs::remove_file(ro.join("probe"));
        reportfig_testkit::not_run(
            "a_read_only_folder_is_a_plain_error",
            "a folder this user cannot write to (as root: chattr +i on this file system)",
        );
        return;
    }
    let r = run(&mut generate(dir.path(), "ro/figure.png", &["-q"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: ") && r.stderr.contains("ro"),
        "{}",
        r.stderr
    );
    assert!(std::fs::read_dir(&ro).unwrap().next().is_none());
}

/// The diffusers image for a seed, from `tools/reference/pipeline_goldens.py`.
fn golden_image(family: &str, case: &str) -> (Vec<u8>, usize, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/golden/pipeline")
        .join(format!("{family}.safetensors"));
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    let t = &tensors[&format!("{case}.image")];
    let (h, w, _) = t.dims3().unwrap();
    (t.flatten_all().unwrap().to_vec1::<u8>().unwrap(), w, h)
}

/// `reportfig generate` with a seed makes the image diffusers makes for that seed.
#[test]
fn cli_image_matches_diffusers_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[&str]); 2] = [
        (
            "turbo",
            "turbo-default",
            &["--steps", "1", "--guidance", "0", "--seed", "42"],
        ),
        (
            "sd15",
            "sd15-default",
            &[
                "--steps",
                "4",
                "--guidance",
                "7.5",
                "--seed",
                "42",
                "--negative",
                "blurry, text",
            ],
        ),
    ];
    for (family, case, args) in cases {
        let out = format!("{case}.png");
        let mut cmd = reportfig(dir.path());
        cmd.args([
            "generate",
            "Smart traffic signals at a busy city intersection",
        ])
        .args([
            "--model",
            &model(family),
            "--size",
            "64x64",
            "-q",
            "-o",
            &out,
        ])
        .args(args);
        let r = run(&mut cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let got = image::open(dir.path().join(&out)).unwrap().to_rgb8();
        let (want, w, h) = golden_image(family, case);
        assert_eq!((got.width() as usize, got.height() as usize), (w, h));
        let worst = got
            .as_raw()
            .iter()
            .zip(&want)
            .map(|(&a, &b)| (a as i16 - b as i16).abs())
            .max()
            .unwrap();
        assert!(worst <= 2, "{case}: {worst} levels from diffusers' image");
    }
}

/// A folder that takes no new files is found before the model loads, in the user's
/// language. `/sys` refuses new files even to root, which CI runs as (permission bits would
/// not stop root).
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_output_folder_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, words) in [
        ("C.UTF-8", "does not take new files"),
        ("ko_KR.UTF-8", "새 파일을 만들 수 없습니다"),
    ] {
        let mut cmd = reportfig(dir.path());
        cmd.env("LANG", lang)
            .args(["generate", "a park", "--model"])
            .arg(crate::common::tiny_turbo())
            .args(["-o", "/sys/cover.png"]);
        let r = run(cmd);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains(words) && r.stderr.contains("/sys"),
            "{}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("loading"),
            "refused before the model: {}",
            r.stderr
        );
    }
}

/// A typo in what the user typed is named before any model or translator is looked for: on
/// a PC without the model downloaded (or without internet) it was hidden behind "the model
/// is not downloaded", in generate, batch and compare alike.
#[test]
fn a_typed_setting_is_checked_before_the_model_is_looked_for() {
    let home = TempDir::new().unwrap();
    std::fs::write(home.path().join("plan.md"), "그림: A park\n").unwrap();
    for (args, want) in [
        (
            &["generate", "A park", "--size", "abc"][..],
            "unknown page size `abc`",
        ),
        (&["generate", "공원", "--steps", "0"][..], "--steps"),
        (&["generate", "A park", "--guidance", "-1"][..], "-1"),
        (
            &["generate", "A park", "--style", "no-such-style"][..],
            "no-such-style",
        ),
        (&["batch", "plan.md", "--size", "12x"][..], "`12x`"),
        (
            &["compare", "A park", "--seeds", "1,2", "--size", "abc"][..],
            "`abc`",
        ),
    ] {
        let mut cmd = common::reportfig_offline(home.path());
        cmd.current_dir(home.path())
            .args(["--lang", "en"])
            .args(args);
        let r = run(&mut cmd);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
        assert!(
            !r.stderr.contains("not downloaded") && !r.stderr.contains("offline"),
            "{args:?}: the model was looked for first: {}",
            r.stderr
        );
    }
}
