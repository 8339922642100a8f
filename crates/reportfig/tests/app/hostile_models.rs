//! Models that load but compute garbage, and requests that would: the run must fail loudly
//! naming the stage, never write a blank picture with exit code 0.

use std::path::{Path, PathBuf};

use crate::common::{files, reportfig_in, run, tiny_turbo};

/// A copy of the tiny turbo model in `dir`, for damaging.
fn model_copy(dir: &Path) -> PathBuf {
    let to = dir.join("model-copy");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(tiny_turbo())
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    to
}

/// Overwrites every element of the f32 tensor `name` in a .safetensors file with `value`,
/// as a damaged download or a broken fine-tune would leave it.
fn poison(file: &Path, name: &str, value: f32) {
    let mut bytes = std::fs::read(file).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let entry = &header[name];
    assert_eq!(entry["dtype"], "F32", "{name}");
    let start = 8 + header_len + entry["data_offsets"][0].as_u64().unwrap() as usize;
    let end = 8 + header_len + entry["data_offsets"][1].as_u64().unwrap() as usize;
    for chunk in bytes[start..end].chunks_exact_mut(4) {
        chunk.copy_from_slice(&value.to_le_bytes());
    }
    std::fs::write(file, bytes).unwrap();
}

fn generate(dir: &Path, model: &Path, extra: &[&str]) -> crate::common::Run {
    let mut cmd = reportfig_in(dir);
    cmd.args([
        "generate",
        "A park",
        "--no-translate",
        "-q",
        "-o",
        "out.png",
    ])
    .arg("--model")
    .arg(model)
    .args(extra);
    run(cmd)
}

fn assert_failed_at(dir: &Path, r: &crate::common::Run, stage: &str) {
    assert_eq!(r.code, 1, "stderr:\n{}", r.stderr);
    assert!(r.stderr.contains(stage), "{stage:?} not in:\n{}", r.stderr);
    assert!(r.stderr.contains("weights may be damaged"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(
        !files(dir).iter().any(|f| f.ends_with(".png")),
        "a picture was written: {:?}",
        files(dir)
    );
}

#[test]
fn a_nan_in_the_unet_fails_at_the_unet_step_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    poison(
        &model.join("unet/diffusion_pytorch_model.safetensors"),
        "conv_out.bias",
        f32::NAN,
    );
    let r = generate(dir.path(), &model, &["--steps", "2"]);
    assert_failed_at(dir.path(), &r, "UNet (step 1 of 2)");
    // The same in Korean, in the words of the interface.
    let r = generate(dir.path(), &model, &["--steps", "2", "--lang", "ko"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("그림 생성 단계(2단계 중 1단계)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("모델 파일이 손상"), "{}", r.stderr);
}

#[test]
fn an_infinite_vae_weight_fails_at_the_decoder_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    poison(
        &model.join("vae/diffusion_pytorch_model.safetensors"),
        "decoder.conv_out.bias",
        f32::INFINITY,
    );
    let r = generate(dir.path(), &model, &[]);
    assert_failed_at(dir.path(), &r, "VAE decoder");
}

#[test]
fn guidance_beyond_the_cap_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["1e308", "31", "inf"] {
        let r = generate(dir.path(), tiny_turbo(), &["--guidance", value]);
        assert_eq!(r.code, 2, "{value}: {}", r.stderr);
        assert!(r.stderr.contains("more than 30"), "{value}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    // The cap itself is allowed.
    let r = generate(dir.path(), tiny_turbo(), &["--guidance", "30"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn absurd_configs_and_broken_tokenizers_are_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // A UNet config that asks for a billion channels: refused when its weights do not fit,
    // before anything of that size is allocated (the test would run out of memory otherwise).
    let model = model_copy(dir.path());
    let config_path = model.join("unet/config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["block_out_channels"] = serde_json::json!([1_000_000_000u64, 2_000_000_000u64]);
    std::fs::write(&config_path, config.to_string()).unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("unet"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    std::fs::remove_dir_all(&model).unwrap();

    // A tokenizer vocabulary that is not JSON.
    let model = model_copy(dir.path());
    std::fs::write(model.join("tokenizer/vocab.json"), "not json").unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("tokenizer/vocab.json"), "{}", r.stderr);
    assert!(!files(dir.path()).iter().any(|f| f.ends_with(".png")));
}

#[test]
fn an_unsupported_scheduler_class_names_it_and_the_flag_that_picks_another() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    let path = model.join("scheduler/scheduler_config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config["_class_name"] = serde_json::json!("HeunDiscreteScheduler");
    std::fs::write(&path, config.to_string()).unwrap();
    for (lang, words) in [
        ("en", "choose a sampler with --sampler"),
        ("ko", "--sampler로"),
    ] {
        let r = generate(dir.path(), &model, &["--lang", lang]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("HeunDiscreteScheduler"), "{}", r.stderr);
        assert!(r.stderr.contains(words), "{lang}: {}", r.stderr);
        assert!(r.stderr.contains("euler-a"), "{}", r.stderr);
    }
    // And --sampler does get past it.
    let r = generate(dir.path(), &model, &["--sampler", "euler"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// `file`'s tensor header rewritten by `edit` (the data is kept as it was), as a crafted or
/// damaged file would have it.
fn rewrite_header(file: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let bytes = std::fs::read(file).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    edit(&mut header);
    let text = header.to_string().into_bytes();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + header_len..]);
    std::fs::write(file, out).unwrap();
}

/// Bad input naming `file`, on one error line and its hint, without a panic or a picture.
fn assert_refused_naming(dir: &Path, r: &crate::common::Run, file: &str) {
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(file), "{file} not named:\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!files(dir).iter().any(|f| f.ends_with(".png")));
}

/// Weights whose header promises more than the file holds: a tensor reaching a terabyte past
/// the end, and a header length of 2^60 bytes. Refused naming the file, before anything of
/// that size is read or allocated.
#[test]
fn weights_whose_header_declares_more_than_the_file_holds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let weights = "unet/diffusion_pytorch_model.safetensors";

    let model = model_copy(dir.path());
    rewrite_header(&model.join(weights), |h| {
        let name = h
            .as_object()
            .unwrap()
            .keys()
            .find(|k| *k != "__metadata__")
            .unwrap()
            .clone();
        let start = h[&name]["data_offsets"][0].as_u64().unwrap();
        h[&name]["data_offsets"][1] = serde_json::json!(start + 1_000_000_000_000u64);
    });
    let r = generate(dir.path(), &model, &[]);
    assert_refused_naming(dir.path(), &r, "diffusion_pytorch_model.safetensors");
    std::fs::remove_dir_all(&model).unwrap();

    let model = model_copy(dir.path());
    let mut bytes = std::fs::read(model.join(weights)).unwrap();
    bytes[..8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    std::fs::write(model.join(weights), bytes).unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_refused_naming(dir.path(), &r, "diffusion_pytorch_model.safetensors");
}

/// Symlinks in a model folder are followed (hub caches and shared model stores are made of
/// them), but only to regular files: a link to a device that never ends (`/dev/zero`) or to
/// a pipe that would block forever counts as the file missing, named, at once; a config
/// that is a link to a huge file is refused by its size before it is read.
#[cfg(unix)]
#[test]
fn symlinks_out_of_a_model_folder_reach_only_regular_files_of_sane_size() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();

    let model = model_copy(dir.path());
    std::fs::remove_file(model.join("unet/config.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", model.join("unet/config.json")).unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_refused_naming(dir.path(), &r, "unet/config.json");
    std::fs::remove_dir_all(&model).unwrap();

    let model = model_copy(dir.path());
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let weights = model.join("vae/diffusion_pytorch_model.safetensors");
    std::fs::remove_file(&weights).unwrap();
    std::os::unix::fs::symlink(&fifo, &weights).unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_refused_naming(dir.path(), &r, "vae/diffusion_pytorch_model.safetensors");
    std::fs::remove_dir_all(&model).unwrap();

    // A sparse file: 8 GB on paper, nothing on disk.
    let model = model_copy(dir.path());
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(8 << 30)
        .unwrap();
    std::fs::remove_file(model.join("unet/config.json")).unwrap();
    std::os::unix::fs::symlink(&huge, model.join("unet/config.json")).unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_refused_naming(dir.path(), &r, "unet/config.json");
    assert!(r.stderr.contains("too large"), "{}", r.stderr);
    std::fs::remove_dir_all(&model).unwrap();

    // A link to a good file elsewhere works.
    let model = model_copy(dir.path());
    let elsewhere = dir.path().join("weights-elsewhere.safetensors");
    let weights = model.join("unet/diffusion_pytorch_model.safetensors");
    std::fs::rename(&weights, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &weights).unwrap();
    let r = generate(dir.path(), &model, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        started.elapsed().as_secs() < 120,
        "nothing waited on the pipe"
    );
}
