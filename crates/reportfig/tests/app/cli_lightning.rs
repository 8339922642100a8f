//! The `sdxl-lightning` preset end to end on a fake hub cache: a tiny SDXL under SDXL base's
//! repo and a tiny SDXL LoRA as `sdxl_lightning_4step_lora.safetensors` under ByteDance's, as
//! the preset names them. The run uses what the SDXL-Lightning card prescribes (Euler with
//! trailing timesteps, 4 steps, guidance 0), merges the LoRA, sets a style's sampling aside,
//! and its bundle carries the LoRA file.

// The fake hub caches use symlinks, as hf-hub does on unix.
#![cfg(unix)]

use std::path::{Path, PathBuf};

use reportfig::model::presets::{self, Preset};
use reportfig::output::{read_metadata, read_parameters};
use reportfig_testkit::{write_tiny_model, TinyFamily};

use crate::common::{cache_from_folder, ok, reportfig_in, walk};

fn preset() -> &'static Preset {
    presets::find("sdxl-lightning").expect("the sdxl-lightning preset")
}

/// The tiny SDXL folder, the LoRA file and the cache holding both as the preset's repos.
struct Setup {
    dir: tempfile::TempDir,
    model: PathBuf,
    lora: PathBuf,
    cache: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("sdxl");
    write_tiny_model(&model, TinyFamily::Sdxl).unwrap();
    let p = preset();
    let specs = p.lora_specs();
    let mut parts = specs[0].source.splitn(3, '/');
    let (org, name, lora_file) = (parts.next(), parts.next(), parts.next().unwrap());
    let lora_repo = format!("{}/{}", org.unwrap(), name.unwrap());
    let lora_dir = dir.path().join("lightning");
    std::fs::create_dir_all(&lora_dir).unwrap();
    let lora = lora_dir.join(lora_file);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/golden/lora/sdxl/kohya.safetensors"),
        &lora,
    )
    .unwrap();
    let cache = dir.path().join("cache");
    cache_from_folder(&cache, &p.repo, &p.revision, &model);
    cache_from_folder(&cache, &lora_repo, "main", &lora_dir);
    Setup {
        dir,
        model,
        lora,
        cache,
    }
}

impl Setup {
    fn generate(&self, cache: &Path, out: &str, extra: &[&str]) -> crate::common::Run {
        ok(reportfig_in(self.dir.path())
            .env("HF_HUB_CACHE", cache)
            .args(["generate", "a bus stop", "--size", "64x64", "--seed", "2"])
            .args(["--offline", "-o", out])
            .args(extra))
    }

    fn pixels(&self, out: &str) -> Vec<u8> {
        image::open(self.dir.path().join(out))
            .unwrap()
            .to_rgb8()
            .into_raw()
    }
}

#[test]
fn sdxl_lightning_runs_as_its_card_says_with_the_lora_merged() {
    let s = setup();
    let p = preset();
    let r = s.generate(&s.cache, "lightning.png", &["--model", "sdxl-lightning"]);
    assert!(!r.stderr.contains("non-commercial"), "{}", r.stderr);
    let out = s.dir.path().join("lightning.png");
    let req = read_metadata(&out).unwrap().unwrap();
    assert_eq!((req.steps, req.guidance), (4, 0.0));
    assert_eq!(req.sampler.map(|k| k.name()), Some("euler"));
    assert_eq!(req.model, "sdxl-lightning");
    assert_eq!(req.loras.len(), 1, "{:?}", req.loras);
    assert_eq!(req.loras[0].name, "sdxl_lightning_4step_lora");
    assert_eq!(req.loras[0].source, p.loras[0]);
    assert_eq!(req.loras[0].weight, 1.0);
    let text = read_parameters(&out).unwrap().unwrap();
    assert!(
        text.contains("<lora:sdxl_lightning_4step_lora:1>")
            && text.contains("Steps: 4")
            && text.contains("Sampler: Euler,")
            && text.contains("CFG scale: 0"),
        "{text}"
    );

    // The same run with the LoRA at weight 0 is SDXL base on the same schedule: the LoRA is
    // what changes the picture.
    let source = format!("{}:0", p.loras[0]);
    s.generate(
        &s.cache,
        "unmerged.png",
        &["--model", "sdxl-lightning", "--lora", &source],
    );
    assert_ne!(s.pixels("lightning.png"), s.pixels("unmerged.png"));

    // The schedule is Euler with trailing timesteps: the folder with its scheduler config set
    // to trailing and the same LoRA, settings and seed makes the same picture; SDXL base's
    // own leading schedule makes another.
    let lora = s.lora.display().to_string();
    let flags = |model: &str| {
        [
            "--model",
            model,
            "--lora",
            lora.as_str(),
            "--steps",
            "4",
            "--guidance",
            "0",
            "--sampler",
            "euler",
        ]
        .map(str::to_string)
    };
    let leading = s.model.display().to_string();
    let r = s.generate(
        &s.cache,
        "leading.png",
        &flags(&leading).each_ref().map(String::as_str),
    );
    assert!(
        r.stderr.contains("sdxl_lightning_4step_lora"),
        "{}",
        r.stderr
    );
    let trailing = s.dir.path().join("sdxl-trailing");
    let mut files = Vec::new();
    walk(&s.model, "", &mut files);
    for rel in files {
        let to = trailing.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(s.model.join(&rel), to).unwrap();
    }
    let cfg = trailing.join("scheduler/scheduler_config.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("\"timestep_spacing\": \"leading\""), "{text}");
    std::fs::write(
        &cfg,
        text.replace(
            "\"timestep_spacing\": \"leading\"",
            "\"timestep_spacing\": \"trailing\"",
        ),
    )
    .unwrap();
    let trailing = trailing.display().to_string();
    s.generate(
        &s.cache,
        "trailing.png",
        &flags(&trailing).each_ref().map(String::as_str),
    );
    assert_eq!(s.pixels("lightning.png"), s.pixels("trailing.png"));
    assert_ne!(s.pixels("lightning.png"), s.pixels("leading.png"));
}

/// A style written for SDXL's ordinary use (30 steps, DPM++ 2M Karras, guidance 5.5) does not
/// undo the distillation: its sampling is set aside with a note, in English and Korean; the
/// user's own flags still win.
#[test]
fn a_styles_sampling_is_set_aside_for_sdxl_lightning() {
    let s = setup();
    let r = s.generate(
        &s.cache,
        "styled.png",
        &["--model", "sdxl-lightning", "--style", "press-photo"],
    );
    let req = read_metadata(&s.dir.path().join("styled.png"))
        .unwrap()
        .unwrap();
    assert_eq!((req.steps, req.guidance), (4, 0.0));
    assert_eq!(req.sampler.map(|k| k.name()), Some("euler"));
    assert_eq!(req.styles, ["press-photo"]);
    assert!(
        r.stderr
            .contains("sdxl-lightning is distilled to draw in few steps")
            && r.stderr.contains("4 steps, guidance 0, sampler euler"),
        "{}",
        r.stderr
    );
    let r = ok(reportfig_in(s.dir.path())
        .env("HF_HUB_CACHE", &s.cache)
        .env("LANG", "ko_KR.UTF-8")
        .args(["generate", "a bus stop", "--size", "64x64", "--offline"])
        .args(["--model", "sdxl-lightning", "--style", "press-photo"])
        .args(["-o", "ko.png"]));
    assert!(
        r.stderr.contains("sdxl-lightning 모델은 적은 단계로"),
        "{}",
        r.stderr
    );
    let r = s.generate(
        &s.cache,
        "flags.png",
        &[
            "--model",
            "sdxl-lightning",
            "--style",
            "press-photo",
            "--steps",
            "2",
        ],
    );
    let req = read_metadata(&s.dir.path().join("flags.png"))
        .unwrap()
        .unwrap();
    assert_eq!((req.steps, req.guidance), (2, 0.0));
    // The style's guidance and sampler were still set aside, so the note still says so.
    assert!(r.stderr.contains("distilled"), "{}", r.stderr);
}

/// `models export sdxl-lightning` carries SDXL base and the one LoRA file (not the rest of
/// ByteDance's repo); imported on another PC, the offline run makes the same picture.
#[test]
fn sdxl_lightning_travels_with_its_lora() {
    let s = setup();
    s.generate(&s.cache, "here.png", &["--model", "sdxl-lightning"]);
    let stick = s.dir.path().join("stick");
    let r = ok(reportfig_in(s.dir.path())
        .env("HF_HUB_CACHE", &s.cache)
        .args(["models", "export", "sdxl-lightning", "--no-translator"])
        .arg("--offline")
        .arg(&stick));
    assert!(
        r.stdout.contains("ByteDance/SDXL-Lightning")
            && r.stdout
                .contains("stabilityai/stable-diffusion-xl-base-1.0"),
        "{}",
        r.stdout
    );
    let mut bundled = Vec::new();
    walk(&stick, "", &mut bundled);
    let loras: Vec<_> = bundled
        .iter()
        .filter(|f| f.contains("SDXL-Lightning") && f.contains("/snapshots/"))
        .collect();
    assert!(
        loras.len() == 1 && loras[0].ends_with("sdxl_lightning_4step_lora.safetensors"),
        "{bundled:?}"
    );
    let other = s.dir.path().join("other-pc");
    ok(reportfig_in(s.dir.path())
        .env("HF_HUB_CACHE", &other)
        .args(["models", "import"])
        .arg(&stick));
    s.generate(&other, "there.png", &["--model", "sdxl-lightning"]);
    assert_eq!(
        std::fs::read(s.dir.path().join("here.png")).unwrap(),
        std::fs::read(s.dir.path().join("there.png")).unwrap()
    );
}
