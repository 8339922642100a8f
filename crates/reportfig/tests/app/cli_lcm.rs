//! `reportfig generate` on an LCM-distilled model (UNet with `time_cond_proj_dim`,
//! LCMScheduler): the image diffusers' `LatentConsistencyModelPipeline` makes for the seed,
//! and the LCM defaults (4 steps, the lcm sampler, guidance 8) when the user gives none, even
//! when a style written for SD 1.5 asks for 30 steps and another sampler.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use candle_core::Device;
use reportfig::output::read_metadata;
use reportfig_testkit::{write_tiny_lcm_model, TinyFamily};
use tempfile::TempDir;

use crate::common::{self, run};

/// The tiny SD 1.5 LCM model, written once per test process.
fn lcm_model() -> &'static Path {
    static DIR: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("cli-lcm-model-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let model = dir.path().join("tiny-lcm");
        write_tiny_lcm_model(&model, TinyFamily::Sd15).expect("tiny LCM model");
        (dir, model)
    })
    .1
}

fn generate(dir: &Path, out: &str, extra: &[&str]) -> Command {
    let mut cmd = common::reportfig_in(dir);
    cmd.env("RUST_BACKTRACE", "1")
        .args([
            "generate",
            "Smart traffic signals at a busy city intersection",
        ])
        .arg("--model")
        .arg(lcm_model())
        .args(["--size", "64x64", "-o", out])
        .args(extra);
    cmd
}

/// The 8-bit image diffusers made for a golden case of `tools/reference/pipeline_goldens.py`.
fn golden_image(case: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/golden/pipeline/sd15-lcm.safetensors");
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    let t = &tensors[&format!("{case}.image")];
    assert_eq!(t.dims3().unwrap(), (64, 64, 3));
    t.flatten_all().unwrap().to_vec1::<u8>().unwrap()
}

fn worst_levels(dir: &Path, out: &str, case: &str) -> i16 {
    let got = image::open(dir.join(out)).unwrap().to_rgb8();
    assert_eq!((got.width(), got.height()), (64, 64));
    got.as_raw()
        .iter()
        .zip(&golden_image(case))
        .map(|(&a, &b)| (a as i16 - b as i16).abs())
        .max()
        .unwrap()
}

#[test]
fn lcm_model_makes_the_diffusers_image_for_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    for (case, guidance, seed) in [
        ("sd15-lcm-guidance-8", "8", "42"),
        ("sd15-lcm-guidance-1", "1", "7"),
    ] {
        let out = format!("{case}.png");
        let r = run(generate(
            dir.path(),
            &out,
            &[
                "--sampler",
                "lcm",
                "--steps",
                "4",
                "--guidance",
                guidance,
                "--seed",
                seed,
            ],
        ));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let worst = worst_levels(dir.path(), &out, case);
        assert!(worst <= 2, "{case}: {worst} levels from diffusers' image");
        let req = read_metadata(&dir.path().join(&out)).unwrap().unwrap();
        assert_eq!(req.sampler.map(|k| k.name()), Some("lcm"));
    }
}

/// No --steps, --guidance or --sampler: the model's LCM nature decides, and the picture is
/// the one diffusers makes with 4 LCM steps at guidance 8.
#[test]
fn lcm_model_gets_lcm_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(generate(dir.path(), "default.png", &["--seed", "42"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("default.png"))
        .unwrap()
        .unwrap();
    assert_eq!((req.steps, req.guidance), (4, 8.0));
    assert_eq!(req.sampler.map(|k| k.name()), Some("lcm"));
    let worst = worst_levels(dir.path(), "default.png", "sd15-lcm-guidance-8");
    assert!(worst <= 2, "{worst} levels from diffusers' image");
    assert!(!r.stderr.contains("set aside"), "{}", r.stderr);
}

/// A style written for SD 1.5 (30 steps, DPM++ 2M Karras, guidance 7) does not turn an LCM
/// model into a slow, blurred one: its sampling settings are set aside, and the user is told.
/// The user's own flags still win.
#[test]
fn a_styles_sampling_settings_are_set_aside_for_an_lcm_model() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(generate(
        dir.path(),
        "styled.png",
        &["--style", "aerial-map-view", "--seed", "1"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("styled.png"))
        .unwrap()
        .unwrap();
    assert_eq!((req.steps, req.guidance), (4, 8.0));
    assert_eq!(req.sampler.map(|k| k.name()), Some("lcm"));
    assert_eq!(req.styles, ["aerial-map-view"]);
    assert!(
        r.stderr.contains("made for LCM sampling")
            && r.stderr.contains("4 steps, guidance 8, sampler lcm"),
        "{}",
        r.stderr
    );

    let r = run(generate(
        dir.path(),
        "flags.png",
        &[
            "--style",
            "aerial-map-view",
            "--steps",
            "2",
            "--guidance",
            "5",
            "--sampler",
            "lcm",
            "--negative",
            "blurry",
        ],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("flags.png"))
        .unwrap()
        .unwrap();
    assert_eq!((req.steps, req.guidance), (2, 5.0));
    // Guidance 5 would use a negative prompt on an ordinary model; this one never does.
    assert!(
        r.stderr.contains("never uses a negative prompt"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("made for LCM sampling"), "{}", r.stderr);
}

/// The same notes in Korean.
#[test]
fn lcm_notes_in_korean() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = generate(
        dir.path(),
        "ko.png",
        &["--style", "aerial-map-view", "--negative", "흐릿한"],
    );
    cmd.env("LANG", "ko_KR.UTF-8");
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("LCM 방식으로") && r.stderr.contains("제외할 것을 쓰지 않습니다"),
        "{}",
        r.stderr
    );
}

/// An ordinary SD 1.5 UNet whose scheduler is LCMScheduler (how an SD 1.5 + LCM-LoRA merge
/// is shipped): 4 LCM steps, and guidance 1, so there is no second, unconditional pass.
#[test]
fn an_lcm_scheduler_model_gets_lcm_steps_without_cfg() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("sd15-lcm-scheduler");
    reportfig_testkit::write_tiny_model(&model, TinyFamily::Sd15).unwrap();
    std::fs::write(
        model.join("scheduler/scheduler_config.json"),
        reportfig_testkit::LCM_SCHEDULER_CONFIG,
    )
    .unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["generate", "A bus stop", "--model"])
        .arg(&model)
        .args(["--size", "64x64", "--seed", "3", "-o", "out.png"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("out.png")).unwrap().unwrap();
    assert_eq!((req.steps, req.guidance), (4, 1.0));
    assert_eq!(req.sampler.map(|k| k.name()), Some("lcm"));
}
