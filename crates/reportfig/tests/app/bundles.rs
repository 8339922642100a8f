//! Carrying models to a PC without internet: `models export` from one hub cache, `models
//! import` into another, then `generate --offline` from it, Korean caption and translator
//! included, as a user on a separated network would.

// The fake hub caches use symlinks, as hf-hub does on unix.
#![cfg(unix)]

use std::path::Path;

use crate::common::{cache_from_folder, ok, reportfig_in, run, tiny_translator, walk, SHA};
use reportfig::model::presets;
use reportfig_testkit::{write_tiny_model, TinyFamily};

/// A PC with internet's cache: a tiny model as `org/tiny` whose card declares a
/// non-commercial licence, and the tiny translator as the default translator preset.
fn online_pc_cache(root: &Path) -> std::path::PathBuf {
    let model = root.join("tiny-model");
    write_tiny_model(&model, TinyFamily::Turbo).unwrap();
    std::fs::write(
        model.join("README.md"),
        "---\nlicense: cc-by-nc-4.0\npipeline_tag: text-to-image\n---\n# tiny\n",
    )
    .unwrap();
    let cache = root.join("online-cache");
    cache_from_folder(&cache, "org/tiny", "main", &model);
    let t = presets::default_translator();
    cache_from_folder(&cache, &t.repo, &t.revision, &tiny_translator());
    cache
}

#[test]
fn export_import_then_a_korean_caption_offline() {
    let dir = tempfile::tempdir().unwrap();
    let online = online_pc_cache(dir.path());
    let stick = dir.path().join("usb stick/reportfig-models");
    let r = ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &online)
        .args(["models", "export", "org/tiny"])
        .arg(&stick)
        .arg("--offline"));
    assert!(
        r.stdout.contains("org/tiny") && r.stdout.contains("opus-mt-ko-en"),
        "{}",
        r.stdout
    );
    let mut held = Vec::new();
    walk(&stick, "", &mut held);
    assert!(
        held.contains(&"reportfig-bundle.json".to_string()),
        "{held:?}"
    );
    assert!(
        held.iter()
            .any(|f| f.ends_with("unet/diffusion_pytorch_model.safetensors")),
        "{held:?}"
    );
    assert!(
        held.iter().any(|f| f.ends_with("README.md")),
        "the card travels: {held:?}"
    );
    // Plain files: a FAT or exFAT stick has no symlinks.
    for f in &held {
        let meta = stick.join(f).symlink_metadata().unwrap();
        assert!(meta.file_type().is_file(), "{f} is not a plain file");
    }

    let offline_cache = dir.path().join("offline-pc-cache");
    let r = ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &offline_cache)
        .args(["models", "import"])
        .arg(&stick));
    assert!(r.stdout.contains("--offline"), "{}", r.stdout);

    // The separated PC: only its own cache, a Korean caption, the translator from the bundle.
    let make = |cache: &Path, out: &str| {
        ok(reportfig_in(dir.path())
            .env("HF_HUB_CACHE", cache)
            .args([
                "generate",
                "버스 정류장",
                "--model",
                "org/tiny",
                "--offline",
            ])
            .args(["--seed", "7", "-o", out]))
    };
    let there = make(&offline_cache, "offline.png");
    assert!(
        there.stderr.contains("cc-by-nc-4.0"),
        "the card's non-commercial licence is shown: {}",
        there.stderr
    );
    make(&online, "online.png");
    assert_eq!(
        std::fs::read(dir.path().join("offline.png")).unwrap(),
        std::fs::read(dir.path().join("online.png")).unwrap(),
        "the imported model makes the same picture as the original cache"
    );
}

#[test]
fn a_damaged_bundle_installs_nothing_and_says_which_file() {
    let dir = tempfile::tempdir().unwrap();
    let online = online_pc_cache(dir.path());
    let stick = dir.path().join("stick");
    ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &online)
        .args([
            "models",
            "export",
            "org/tiny",
            "--no-translator",
            "--offline",
        ])
        .arg(&stick));
    let weights = stick
        .join("models--org--tiny/snapshots")
        .join(SHA)
        .join("unet/diffusion_pytorch_model.safetensors");
    let len = std::fs::metadata(&weights).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&weights)
        .unwrap();
    f.set_len(len / 2).unwrap();

    let cache = dir.path().join("cache");
    let r = run(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &cache)
        .args(["models", "import"])
        .arg(&stick));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unet/diffusion_pytorch_model.safetensors")
            && r.stderr.contains("nothing was installed"),
        "{}",
        r.stderr
    );
    assert!(
        !cache.exists(),
        "nothing may be installed from a damaged bundle"
    );

    let r = run(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &cache)
        .args(["models", "import"])
        .arg(dir.path()));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("reportfig-bundle.json"), "{}", r.stderr);
}

#[test]
fn offline_messages_name_the_export_route_and_the_download_size() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(reportfig_in(dir.path()).args([
        "generate",
        "a bus stop",
        "--model",
        "sd15",
        "--offline",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("reportfig models export sd15")
            && r.stderr.contains("models import")
            && r.stderr.contains("GB"),
        "{}",
        r.stderr
    );
    let r = run(reportfig_in(dir.path()).args(["models", "export", "sd15", "--offline"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the folder to write it to"),
        "{}",
        r.stderr
    );
    let r = run(reportfig_in(dir.path()).args(["models", "fetch", "sd15", "--offline"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("models export sd15"), "{}", r.stderr);
    let r = ok(reportfig_in(dir.path()).args(["models", "list", "--offline"]));
    assert!(r.stdout.contains("models export"), "{}", r.stdout);
    // In Korean too.
    let r = run(reportfig_in(dir.path()).env("LANG", "ko_KR.UTF-8").args([
        "generate",
        "a bus stop",
        "--model",
        "sd15",
        "--offline",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("models import") && r.stderr.contains("약"),
        "{}",
        r.stderr
    );
}

/// The default preset is SD 1.5 with the LCM-LoRA from its own repo: a fake cache holding a
/// tiny SD 1.5 under SD 1.5's repo and a tiny LoRA under the LCM-LoRA's makes a picture with
/// no `--model` at all, with LCM's settings and the LoRA recorded, and its bundle carries both.
#[test]
fn the_default_preset_is_sd15_with_its_lcm_lora_and_travels_whole() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("sd15");
    write_tiny_model(&model, TinyFamily::Sd15).unwrap();
    let lora = dir.path().join("lcm-lora");
    std::fs::create_dir_all(&lora).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/golden/lora/sd15/kohya.safetensors"),
        lora.join("pytorch_lora_weights.safetensors"),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let preset = presets::default_preset();
    cache_from_folder(&cache, &preset.repo, &preset.revision, &model);
    let lora_repo = preset.loras[0].split(':').next().unwrap();
    cache_from_folder(&cache, lora_repo, "main", &lora);

    let r = ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &cache)
        .args(["generate", "a bus stop", "--size", "64x64", "--seed", "2"])
        .args(["--offline", "-o", "default.png"]));
    assert!(!r.stderr.contains("non-commercial"), "{}", r.stderr);
    let text = reportfig::output::read_parameters(&dir.path().join("default.png"))
        .unwrap()
        .unwrap();
    assert!(
        text.contains("<lora:lcm-lora-sdv1-5:1>")
            && text.contains("Steps: 4")
            && text.contains("Sampler: LCM")
            && text.contains("CFG scale: 1"),
        "{text}"
    );

    let stick = dir.path().join("stick");
    let r = ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &cache)
        .args([
            "models",
            "export",
            &preset.name,
            "--no-translator",
            "--offline",
        ])
        .arg(&stick));
    assert!(r.stdout.contains(lora_repo), "{}", r.stdout);
    let other = dir.path().join("other-pc");
    ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &other)
        .args(["models", "import"])
        .arg(&stick));
    ok(reportfig_in(dir.path())
        .env("HF_HUB_CACHE", &other)
        .args(["generate", "a bus stop", "--size", "64x64", "--seed", "2"])
        .args(["--offline", "-o", "there.png"]));
    assert_eq!(
        std::fs::read(dir.path().join("default.png")).unwrap(),
        std::fs::read(dir.path().join("there.png")).unwrap()
    );
}
