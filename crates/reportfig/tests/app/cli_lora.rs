//! `--lora` end to end through the binary on the tiny SD 1.5 model, with the LoRA files the
//! engine's parity tests use (made by diffusers/peft in `tools/reference/lora_goldens.py`):
//! what the PNG and the manifest record, a style that names LoRAs, and the errors for a LoRA
//! that does not fit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use candle_core::{Device, Tensor};
use reportfig::output::{read_metadata, read_parameters};
use reportfig_testkit::{write_tiny_model, TinyFamily};
use tempfile::TempDir;

use crate::common::{self, run};

fn sd15() -> PathBuf {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("cli-lora-models-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        write_tiny_model(&dir.path().join("sd15"), TinyFamily::Sd15).expect("tiny model");
        dir
    })
    .path()
    .join("sd15")
}

fn golden_lora(family: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/golden/lora")
        .join(family)
        .join(format!("{format}.safetensors"))
}

/// The kohya-layout SD 1.5 LoRA copied into `dir` as `tiny.safetensors`.
fn tiny_lora(dir: &Path) -> String {
    let to = dir.join("tiny.safetensors");
    std::fs::copy(golden_lora("sd15", "kohya"), &to).unwrap();
    common::sha256_hex(&std::fs::read(&to).unwrap())
}

fn generate(dir: &Path, out: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = common::reportfig_in(dir);
    cmd.args(["generate", "A city hall at dawn", "--model"])
        .arg(sd15())
        .args(["--size", "64x64", "--steps", "2", "--seed", "5", "-o", out])
        .args(extra);
    cmd
}

#[test]
fn a_lora_is_recorded_in_the_infotext_and_the_json_and_changes_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let sha = tiny_lora(dir.path());
    let r = run(generate(dir.path(), "plain.png", &[]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(generate(
        dir.path(),
        "lora.png",
        &["--lora", "tiny.safetensors:0.5"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("LoRA tiny merged at weight 0.5"),
        "{}",
        r.stderr
    );

    let path = dir.path().join("lora.png");
    let params = read_parameters(&path).unwrap().unwrap();
    assert!(
        params.starts_with("A city hall at dawn <lora:tiny:0.5>\n"),
        "{params}"
    );
    assert!(
        params.contains(&format!("Lora hashes: \"tiny: {}\"", &sha[..12])),
        "{params}"
    );
    let req = read_metadata(&path).unwrap().unwrap();
    assert_eq!(req.loras.len(), 1);
    let l = &req.loras[0];
    assert_eq!(
        (
            l.name.as_str(),
            l.source.as_str(),
            l.sha256.as_str(),
            l.weight
        ),
        ("tiny", "tiny.safetensors", sha.as_str(), 0.5)
    );
    // The prompt itself stays the prompt: the tag is A1111's way of recording, not ours.
    assert_eq!(req.prompt, "A city hall at dawn");

    let pixels = |f: &str| {
        image::open(dir.path().join(f))
            .unwrap()
            .to_rgb8()
            .into_raw()
    };
    assert_ne!(
        pixels("plain.png"),
        pixels("lora.png"),
        "the LoRA did nothing"
    );
}

#[test]
fn a_style_names_loras_and_lora_replaces_its_weight() {
    let dir = tempfile::tempdir().unwrap();
    tiny_lora(dir.path());
    let styles = dir.path().join("styles");
    std::fs::create_dir_all(&styles).unwrap();
    let lora = dir.path().join("tiny.safetensors");
    std::fs::write(
        styles.join("tiny-look.toml"),
        format!(
            "name = \"tiny-look\"\ntitle = {{ en = \"Tiny look\", ko = \"작은 화풍\" }}\n\
             category = \"test\"\ndescription = \"A test style with a LoRA.\"\n\
             prompt = \"{{prompt}}, flat\"\nnegative_prompt = \"text, watermark\"\n\n\
             [sd15]\nloras = [{:?}]\n",
            format!("{}:0.7", lora.display())
        ),
    )
    .unwrap();
    // `styles show` lists the family's LoRAs (and none for another family).
    for (model, shown) in [("sd15", true), ("sdxl", false)] {
        let mut show = common::reportfig_in(dir.path());
        show.args([
            "styles",
            "show",
            "tiny-look",
            "--styles-dir",
            "styles",
            "--model",
            model,
        ]);
        let r = run(show);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let line = format!("  loras:    {}:0.7", lora.display());
        assert_eq!(r.stdout.contains(&line), shown, "{model}: {}", r.stdout);
    }
    let style = ["--styles-dir", "styles", "--style", "tiny-look"];
    let r = run(generate(dir.path(), "styled.png", &style));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("styled.png"))
        .unwrap()
        .unwrap();
    assert_eq!(req.loras.len(), 1, "{:?}", req.loras);
    assert_eq!(req.loras[0].weight, 0.7);

    let spec = format!("{}:0.25", lora.display());
    let mut args = style.to_vec();
    args.extend(["--lora", spec.as_str()]);
    let r = run(generate(dir.path(), "both.png", &args));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = read_metadata(&dir.path().join("both.png"))
        .unwrap()
        .unwrap();
    assert_eq!(req.loras.len(), 1, "{:?}", req.loras);
    assert_eq!(req.loras[0].weight, 0.25);
}

#[test]
fn batch_records_loras_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let sha = tiny_lora(dir.path());
    std::fs::write(dir.path().join("o.txt"), "Bus stop\nCity park\n").unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["batch", "o.txt", "--no-translate", "--model"])
        .arg(sd15())
        .args(["--size", "64x64", "--steps", "1", "--out", "figs"])
        .args(["--lora", "tiny.safetensors:0.5"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("figs/manifest.json")).unwrap(),
    )
    .unwrap();
    let figures = manifest["figures"].as_array().unwrap();
    assert_eq!(figures.len(), 2);
    for f in figures {
        assert_eq!(f["loras"][0]["name"], "tiny", "{f}");
        assert_eq!(f["loras"][0]["sha256"], sha.as_str(), "{f}");
        assert_eq!(f["loras"][0]["weight"], 0.5, "{f}");
    }
}

#[test]
fn unmatched_keys_are_named_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.safetensors");
    let t = |shape: &[usize]| Tensor::ones(shape, candle_core::DType::F32, &Device::Cpu).unwrap();
    let tensors = HashMap::from([
        (
            "lora_unet_up_blocks_7_resnets_0_conv1.lora_down.weight".to_string(),
            t(&[2, 64, 3, 3]),
        ),
        (
            "lora_unet_up_blocks_7_resnets_0_conv1.lora_up.weight".to_string(),
            t(&[32, 2, 1, 1]),
        ),
    ]);
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let r = run(generate(
        dir.path(),
        "x.png",
        &["--lora", "other.safetensors"],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("lora_unet_up_blocks_7_resnets_0_conv1")
            && r.stderr.contains("other.safetensors"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("x.png").exists());

    let mut ko = generate(dir.path(), "x.png", &["--lora", "other.safetensors"]);
    ko.env("LANG", "ko_KR.UTF-8");
    let r = run(ko);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("그림 생성망(UNet)에 없는 부분"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_sdxl_lora_on_sd15_names_both_families_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        golden_lora("sdxl", "kohya"),
        dir.path().join("xl.safetensors"),
    )
    .unwrap();
    let r = run(generate(
        dir.path(),
        "x.png",
        &["--lora", "xl.safetensors:0.8"],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("xl.safetensors is a LoRA for SDXL, but the model is SD 1.5"),
        "{}",
        r.stderr
    );
    let mut ko = generate(dir.path(), "x.png", &["--lora", "xl.safetensors"]);
    ko.env("LANG", "ko_KR.UTF-8");
    let r = run(ko);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("SDXL용 LoRA인데, 지금 모델은 SD 1.5입니다"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bad_weight_or_a_missing_file_is_refused_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(generate(
        dir.path(),
        "x.png",
        &["--lora", "tiny.safetensors:strong"],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("strong"), "{}", r.stderr);
    let r = run(generate(
        dir.path(),
        "x.png",
        &["--lora", "missing.safetensors"],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("missing.safetensors does not exist"),
        "{}",
        r.stderr
    );
}

/// compare loads the model again only between cells whose styles name different LoRAs, and
/// each cell records its own.
#[test]
fn compare_cells_record_their_styles_loras() {
    let dir = tempfile::tempdir().unwrap();
    let sha = tiny_lora(dir.path());
    let styles = dir.path().join("styles");
    std::fs::create_dir_all(&styles).unwrap();
    let lora = dir.path().join("tiny.safetensors");
    for (name, loras) in [
        (
            "with-lora",
            format!("loras = [{:?}]\n", format!("{}:0.7", lora.display())),
        ),
        ("without-lora", String::new()),
    ] {
        std::fs::write(
            styles.join(format!("{name}.toml")),
            format!(
                "name = \"{name}\"\ntitle = {{ en = \"{name}\", ko = \"{name}\" }}\n\
                 category = \"test\"\ndescription = \"A test style.\"\n\
                 prompt = \"{{prompt}}, flat\"\nnegative_prompt = \"text, watermark\"\n{loras}"
            ),
        )
        .unwrap();
    }
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["compare", "A city hall", "--no-translate", "--model"])
        .arg(sd15())
        .args(["--size", "64x64", "--steps", "1", "--styles-dir", "styles"])
        .args(["--styles", "with-lora,without-lora", "-o", "sheet.png"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cells: Vec<PathBuf> = std::fs::read_dir(dir.path().join("sheet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(cells.len(), 2, "{cells:?}");
    let mut seen = Vec::new();
    for c in &cells {
        let req = read_metadata(c).unwrap().unwrap();
        seen.push((
            req.styles.join("+"),
            req.loras
                .iter()
                .map(|l| (l.sha256.clone(), l.weight))
                .collect::<Vec<_>>(),
        ));
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("with-lora".to_string(), vec![(sha, 0.7)]),
            ("without-lora".to_string(), vec![]),
        ]
    );
}
