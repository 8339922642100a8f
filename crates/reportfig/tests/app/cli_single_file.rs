//! `generate --model FILE.safetensors`: a single-file checkpoint, its architecture named by
//! `--model-config`, as a user meets it; and the bad checkpoints, refused with exit code 2.

use std::path::Path;

use reportfig::output::{read_metadata, read_parameters};
use reportfig_testkit::single_file::{single_file_tensors, write_single_file};
use reportfig_testkit::{write_tiny_model, TinyFamily};

use crate::common::{self, run, Run};

/// The tiny SD 1.5 folder and its checkpoint `tiny.safetensors`, in `dir`.
fn setup(dir: &Path) {
    write_tiny_model(&dir.join("tiny-sd15"), TinyFamily::Sd15).unwrap();
    write_single_file(
        &dir.join("tiny-sd15"),
        TinyFamily::Sd15,
        &dir.join("tiny.safetensors"),
        true,
    )
    .unwrap();
}

fn generate(dir: &Path, model: &str, config: Option<&str>, out: &str) -> Run {
    let mut cmd = common::reportfig_in(dir);
    cmd.args(["generate", "Riverside park at dawn", "--no-translate"])
        .args(["--model", model])
        .args(["--size", "64x64", "--steps", "2", "--seed", "7", "-o", out]);
    if let Some(c) = config {
        cmd.args(["--model-config", c]);
    }
    run(&mut cmd)
}

#[test]
fn a_checkpoint_makes_the_folders_picture_and_is_named_in_it() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let r = generate(
        dir.path(),
        "tiny.safetensors",
        Some("./tiny-sd15"),
        "file.png",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "file.png");
    let r = generate(dir.path(), "./tiny-sd15", None, "folder.png");
    assert_eq!(r.code, 0, "{}", r.stderr);

    let file = dir.path().join("file.png");
    let a = image::open(&file).unwrap().to_rgb8();
    let b = image::open(dir.path().join("folder.png"))
        .unwrap()
        .to_rgb8();
    assert!(a == b, "the checkpoint's picture differs from the folder's");
    let req = read_metadata(&file).unwrap().expect("reportfig chunk");
    assert_eq!(req.model, "tiny.safetensors");
    let params = read_parameters(&file).unwrap().expect("parameters chunk");
    assert!(params.contains("Model: tiny.safetensors"), "{params}");
}

fn assert_refused(r: &Run, expect: &[&str]) {
    assert_eq!(r.code, 2, "exit code; stderr:\n{}", r.stderr);
    // A load error comes after the "loading" stage line.
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("error: ") || l.starts_with("오류: ")),
        "{}",
        r.stderr
    );
    for bad in ["panicked", "   0: ", "Error {", "Os {"] {
        assert!(!r.stderr.contains(bad), "{bad:?} in:\n{}", r.stderr);
    }
    for want in expect {
        assert!(r.stderr.contains(want), "{want:?} not in:\n{}", r.stderr);
    }
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
}

#[test]
fn bad_checkpoints_are_plain_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let bytes = std::fs::read(d.join("tiny.safetensors")).unwrap();
    let cfg = Some("./tiny-sd15");

    std::fs::write(d.join("cut.safetensors"), &bytes[..bytes.len() - 1000]).unwrap();
    let r = generate(d, "cut.safetensors", cfg, "o.png");
    assert_refused(
        &r,
        &["cut.safetensors", "cut off", "download the file again"],
    );
    let mut ko = common::reportfig_in(d);
    ko.env("LANG", "ko_KR.UTF-8")
        .args([
            "generate",
            "a park",
            "--no-translate",
            "--model",
            "cut.safetensors",
        ])
        .args(["--model-config", "./tiny-sd15", "-o", "o.png"]);
    assert_refused(
        &run(&mut ko),
        &["cut.safetensors", "중간에 끊겼습니다", "다시 내려받아"],
    );

    std::fs::copy(
        d.join("tiny-sd15/unet/diffusion_pytorch_model.safetensors"),
        d.join("unet-only.safetensors"),
    )
    .unwrap();
    let r = generate(d, "unet-only.safetensors", cfg, "o.png");
    assert_refused(
        &r,
        &[
            "unet-only.safetensors",
            "matches no architecture",
            "diffusers",
        ],
    );

    let mut t = single_file_tensors(&d.join("tiny-sd15"), TinyFamily::Sd15, true).unwrap();
    let gone = "first_stage_model.decoder.up.0.block.1.conv2.weight";
    t.remove(gone).unwrap();
    candle_core::safetensors::save(&t.into_iter().collect(), d.join("holey.safetensors")).unwrap();
    let r = generate(d, "holey.safetensors", cfg, "o.png");
    assert_refused(&r, &["holey.safetensors", gone, "VAE", "--model-config"]);

    // An SD 1.5 checkpoint read with SD 2.1's configs: linear projections where the file
    // has 1x1 convolutions.
    write_tiny_model(&d.join("tiny-sd21"), TinyFamily::Sd21).unwrap();
    let r = generate(d, "tiny.safetensors", Some("./tiny-sd21"), "o.png");
    assert_refused(
        &r,
        &[
            "tiny.safetensors",
            "has shape",
            "tiny-sd21",
            "--model-config",
        ],
    );

    write_tiny_model(&d.join("tiny-sdxl"), TinyFamily::Sdxl).unwrap();
    let r = generate(d, "tiny.safetensors", Some("./tiny-sdxl"), "o.png");
    assert_refused(&r, &["tiny.safetensors", "SD 1.x", "SDXL"]);

    // Without --model-config the family's preset supplies the configs: offline and not in
    // the cache, the user is told which repo to fetch.
    let r = generate(d, "tiny.safetensors", None, "o.png");
    assert_refused(
        &r,
        &[
            "tiny.safetensors",
            "SD 1.x",
            "stable-diffusion-v1-5",
            "--model-config",
        ],
    );

    let r = generate(d, "gone.safetensors", cfg, "o.png");
    assert_refused(&r, &["gone.safetensors", "cannot read the checkpoint"]);

    let r = generate(d, "./tiny-sd15", cfg, "o.png");
    assert_refused(&r, &["--model-config", "tiny-sd15"]);
    std::fs::write(d.join("model.ckpt"), b"not a pickle").unwrap();
    let r = generate(d, "./model.ckpt", None, "o.png");
    assert_refused(&r, &["model.ckpt", ".safetensors"]);
    assert!(!d.join("o.png").exists());
}

/// `--model FILE.safetensors --lora X` merges the LoRA into the checkpoint's weights: the
/// picture is the folder's with the same LoRA, and not the checkpoint's without it. A LoRA of
/// another family (SDXL on this SD 1.5 file) exits 2 naming both families.
#[test]
fn a_lora_merges_into_a_checkpoint_as_into_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/golden/lora");
    let with_lora = |model: &str, config: Option<&str>, lora: &Path, out: &str| {
        let mut cmd = common::reportfig_in(dir.path());
        cmd.args(["generate", "Riverside park at dawn", "--no-translate"])
            .args(["--model", model, "--lora"])
            .arg(lora)
            .args(["--size", "64x64", "--steps", "2", "--seed", "7", "-o", out]);
        if let Some(c) = config {
            cmd.args(["--model-config", c]);
        }
        run(&mut cmd)
    };
    let kohya = golden.join("sd15/kohya.safetensors");
    let r = with_lora("tiny.safetensors", Some("./tiny-sd15"), &kohya, "file.png");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = with_lora("./tiny-sd15", None, &kohya, "folder.png");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = generate(
        dir.path(),
        "tiny.safetensors",
        Some("./tiny-sd15"),
        "plain.png",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pixels = |f: &str| image::open(dir.path().join(f)).unwrap().to_rgb8();
    assert!(pixels("file.png") == pixels("folder.png"));
    assert!(pixels("file.png") != pixels("plain.png"));
    let req = read_metadata(&dir.path().join("file.png"))
        .unwrap()
        .unwrap();
    assert_eq!(req.loras.len(), 1);
    assert_eq!(req.loras[0].name, "kohya");

    let sdxl = golden.join("sdxl/kohya.safetensors");
    let r = with_lora("tiny.safetensors", Some("./tiny-sd15"), &sdxl, "bad.png");
    assert_refused(&r, &["kohya.safetensors", "SDXL", "SD 1.5"]);
    assert!(!dir.path().join("bad.png").exists());
}
