//! The Korean interface as a user on a Korean desktop meets it: messages in Korean from the
//! locale, `--lang en` to switch back, the hint for a caption the shell split, and styles
//! found by their Korean titles.

use crate::common;

use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

fn korean(dir: &Path) -> Command {
    let mut cmd = common::reportfig_in(dir);
    cmd.env("LANG", "ko_KR.UTF-8").env("COLUMNS", "100");
    cmd
}

fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_unknown_style_is_explained_in_korean_and_in_english_with_lang_en() {
    let dir = TempDir::new().unwrap();
    let model = common::tiny_turbo().display().to_string();
    let args = [
        "generate",
        "Riverside park",
        "--style",
        "flat-vektor-infographic",
        "--model",
        &model,
    ];
    let mut cmd = korean(dir.path());
    cmd.args(args);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("오류: "), "{err}");
    assert!(err.contains("화풍이 없습니다"), "{err}");
    assert!(err.contains("`flat-vector-infographic`"), "{err}");

    let mut cmd = korean(dir.path());
    cmd.args(["--lang", "en"]).args(args);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: no style named `flat-vektor-infographic` (did you mean `flat-vector-infographic` ("),
        "{err}"
    );
}

/// A slip in a Korean title (`수체화` for 수채화) is suggested by that title, not left with
/// nothing because no English name is near it.
#[test]
fn a_misspelt_korean_style_title_suggests_the_style_and_its_title() {
    let dir = TempDir::new().unwrap();
    let model = common::tiny_turbo().display().to_string();
    let args = [
        "generate",
        "Riverside park",
        "--style",
        "수체화",
        "--model",
        &model,
    ];
    let mut cmd = korean(dir.path());
    cmd.args(args);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("화풍이 없습니다 (혹시 `watercolor-cityscape` (수채화 도시 풍경)"),
        "{err}"
    );

    let mut cmd = korean(dir.path());
    cmd.args(["--lang", "en"]).args(args);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean `watercolor-cityscape` (수채화 도시 풍경)"),
        "{err}"
    );
}

#[test]
fn a_bad_number_is_explained_in_korean() {
    let dir = TempDir::new().unwrap();
    let mut cmd = korean(dir.path());
    cmd.args(["generate", "Riverside park", "--seed", "abc"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("시드는 0 이상의 정수입니다"), "{err}");
    assert!(err.contains("'--seed <N>'"), "{err}");
    assert!(err.contains("자세한 설명은 '--help'로"), "{err}");
}

#[test]
fn a_caption_split_by_the_shell_gets_the_command_with_quotes() {
    let dir = TempDir::new().unwrap();
    let mut cmd = korean(dir.path());
    cmd.args(["generate", "스마트", "교통", "신호", "--seed", "7"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'교통'은(는) 알 수 없는 인수입니다"), "{err}");
    assert!(err.contains("\"…\"로 감싸 주세요"), "{err}");
    assert!(
        err.contains("  reportfig generate \"스마트 교통 신호\" --seed 7\n"),
        "{err}"
    );

    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["generate", "Smart", "traffic", "--lang", "en"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unexpected argument 'traffic' found"), "{err}");
    assert!(err.contains("must be in quotes"), "{err}");
    assert!(
        err.contains("  reportfig generate \"Smart traffic\" --lang en\n"),
        "{err}"
    );
}

#[test]
fn styles_are_found_by_their_korean_titles() {
    let dir = TempDir::new().unwrap();
    // A part of one title.
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "show", "수채화"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("watercolor-cityscape"), "{out}");
    // A whole title, with its spaces left out.
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "show", "야경도시"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("night-city"), "{out}");
    // A word in several titles: the error lists them all.
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "show", "도시"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("여러 개입니다"), "{err}");
    for name in ["isometric-city", "night-city", "watercolor-cityscape"] {
        assert!(err.contains(name), "{name} missing: {err}");
    }
    // The list the titles come from, with its headings in Korean.
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "list"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\n표지 (cover)\n"), "{out}");
    assert!(out.contains("수채화 도시 풍경"), "{out}");
    // No title at all.
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "show", "없는화풍"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`없는화풍`(이)라는 화풍이 없습니다"), "{err}");
}

/// `styles show`, `check` and `import` speak Korean on a Korean desktop.
#[test]
fn style_commands_report_in_korean() {
    let dir = TempDir::new().unwrap();
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "show", "수채화"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  제목:"), "{out}");
    assert!(out.contains("  프롬프트:"), "{out}");
    assert!(!out.contains("prompt:"), "{out}");

    let style =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/styles/aerial-map-view.toml");
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "check"]).arg(&style);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.trim_end().ends_with(": 통과 (경고 0개)"), "{out}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "name = \"x\"\nprompt = 42\n").unwrap();
    let mut cmd = korean(dir.path());
    cmd.args(["styles", "check"]).arg(&broken);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("오류: "), "{out}");
    // The finding itself, in Korean, naming the field.
    assert!(
        out.contains("`prompt` 항목: 따옴표로 감싼 글자가 와야 하는데 정수이(가) 있습니다"),
        "{out}"
    );
    assert!(out.contains("오류 1개"), "{out}");
}

#[test]
fn a_korean_caption_warning_is_in_korean() {
    let dir = TempDir::new().unwrap();
    let model = common::tiny_turbo().display().to_string();
    let mut cmd = korean(dir.path());
    cmd.args([
        "generate",
        "포항시 버스 정류장",
        "--model",
        &model,
        "--size",
        "64x64",
        "--seed",
        "1",
        "--no-translate",
        "-o",
        "out.png",
    ]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("주의: 설명이 번역되지 않고 한국어 그대로 그림 모델에 들어갑니다"),
        "{err}"
    );
    assert!(err.contains("도움말: "), "{err}");
    assert!(dir.path().join("out.png").is_file());
}

#[test]
fn model_and_size_errors_are_in_korean() {
    let dir = TempDir::new().unwrap();
    // Offline, with an empty cache: the preset is not downloaded.
    let mut cmd = korean(dir.path());
    cmd.args([
        "generate",
        "Riverside park",
        "--model",
        "sd-turbo",
        "--offline",
    ]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("모델을 내려받지 않았거나"), "{err}");
    assert!(
        err.contains("도움말: 인터넷이 되는 컴퓨터에서 `reportfig models export sd-turbo"),
        "{err}"
    );
    assert!(err.contains("(약 2.5 GB)"), "{err}");

    let model = common::tiny_turbo().display().to_string();
    let mut cmd = korean(dir.path());
    cmd.args([
        "generate",
        "Riverside park",
        "--model",
        &model,
        "--size",
        "500x512",
    ]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("가로 500은(는) 8의 배수가 아닙니다. 496이나 504(으)로 해 보세요"),
        "{err}"
    );

    let mut cmd = korean(dir.path());
    cmd.args(["generate", "Riverside park", "--model", "no-such-model"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("\"no-such-model\"(이)라는 모델을 찾을 수 없습니다"),
        "{err}"
    );
}

#[test]
fn an_outline_mistake_is_explained_in_korean() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("outline.md"),
        "# 교통 보고서\n\n## 버스 정류장 {seed=일곱}\n",
    )
    .unwrap();
    let mut cmd = korean(dir.path());
    cmd.args(["batch", "outline.md", "--dry-run"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("3번째 줄: 시드 \"일곱\"은(는)"), "{err}");
    assert!(err.contains("도움말: seed=7처럼 적어 주세요"), "{err}");
}

#[test]
fn a_batch_under_a_korean_locale_speaks_korean() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("outline.md"),
        "## 버스 정류장 {en=\"Bus stop\"}\n",
    )
    .unwrap();
    let model = common::tiny_turbo().display().to_string();
    let batch = || {
        let mut cmd = korean(dir.path());
        cmd.args([
            "batch",
            "outline.md",
            "--model",
            &model,
            "--size",
            "64x64",
            "--no-translate",
        ]);
        run(cmd)
    };
    let (code, out, err) = batch();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("새로 만듦 1장, 이미 최신 0장, 실패 0장\n"),
        "{out}"
    );
    assert!(out.contains("그림 모아 보기 페이지: "), "{out}");
    assert!(err.contains("저장함: "), "{err}");
    assert!(!err.contains("wrote "), "{err}");
    // Run again: nothing to do, said in Korean.
    let (code, out, err) = batch();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("새로 만듦 0장, 이미 최신 1장, 실패 0장\n"),
        "{out}"
    );
    assert!(err.contains(": 이미 최신입니다"), "{err}");
    let gallery = std::fs::read_to_string(dir.path().join("figures/index.html")).unwrap();
    assert!(gallery.contains("<html lang=\"ko\">"));

    // `--lang ko` on an English desktop: the same, review page included.
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args([
        "batch",
        "outline.md",
        "--model",
        &model,
        "--size",
        "64x64",
        "--no-translate",
        "--force",
        "--lang",
        "ko",
    ]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("새로 만듦 1장"), "{out}");
    let gallery = std::fs::read_to_string(dir.path().join("figures/index.html")).unwrap();
    assert!(gallery.contains("<html lang=\"ko\">"));
}

/// clap's rarer mistakes (an option with no value, or given twice) and the values our own
/// parsers refuse (`--sampler`, `--lora`, `--lang`) are in Korean too, not clap's English or
/// a Korean frame around an English reason.
#[test]
fn rarer_command_line_mistakes_are_in_korean() {
    let dir = TempDir::new().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["generate", "공원", "--steps"],
            "오류: '--steps <N>' 뒤에 값을 써 주세요",
        ),
        (
            &["generate", "공원", "--steps", "1", "--steps", "2"],
            "오류: '--steps <N>'은(는) 한 번만 쓸 수 있습니다",
        ),
        (
            &["generate", "공원", "--sampler", "heun"],
            "\"heun\"(이)라는 샘플러는 없습니다",
        ),
        (
            &["generate", "공원", "--lora", "city.safetensors:abc"],
            "LoRA 세기 `abc`",
        ),
        (
            &["generate", "공원", "--lang", "fr"],
            "'fr'은(는) 지원하지 않는 언어입니다",
        ),
    ];
    for (args, want) in cases {
        let mut cmd = korean(dir.path());
        cmd.args(args);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        for english in [
            "required",
            "unknown sampler",
            "weight",
            "language",
            "multiple",
        ] {
            assert!(!err.contains(english), "{args:?}: {err}");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A damaged model folder (a file missing, a config that is not JSON, weights cut off or
/// from another model) is explained in Korean, with the engine's technical detail kept but
/// no English sentence around it and no English hint line.
#[test]
fn a_damaged_model_is_explained_in_korean() {
    let dir = TempDir::new().unwrap();
    type Damage = fn(&Path);
    let cases: [(Damage, &str, &str); 5] = [
        (
            |m| std::fs::remove_file(m.join("unet/diffusion_pytorch_model.safetensors")).unwrap(),
            "모델 폴더 ./model에 unet/diffusion_pytorch_model.safetensors이(가) 없습니다",
            "도움말: diffusers 형식의 모델 폴더에는",
        ),
        (
            |m| std::fs::write(m.join("unet/config.json"), "{bad").unwrap(),
            "올바른 UNet config 파일이 아닙니다 (1번째 줄, 2번째 글자)",
            "도움말: 파일이 손상되었거나",
        ),
        (
            |m| {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(m.join("unet/diffusion_pytorch_model.safetensors"))
                    .unwrap();
                f.set_len(1000).unwrap();
            },
            "UNet(그림 생성 신경망) 가중치를 ./model/unet/diffusion_pytorch_model.safetensors에서 불러올 수 없습니다",
            "도움말: 파일이 덜 받아졌거나",
        ),
        (
            |m| std::fs::write(m.join("text_encoder/config.json"), r#"{"_class_name":"X"}"#).unwrap(),
            "텍스트 인코더 가중치 파일 ./model/text_encoder/model.safetensors의 텐서 text_model.embeddings.token_embedding.weight은(는) 모양이 [1000, 32]인데, ./model/text_encoder의 설정에는 [49408, 512]이(가) 필요합니다",
            "도움말: 가중치 파일이 config.json과 맞지 않습니다",
        ),
        (
            |m| {
                std::fs::copy(
                    m.join("vae/diffusion_pytorch_model.safetensors"),
                    m.join("text_encoder/model.safetensors"),
                )
                .unwrap();
            },
            "텍스트 인코더 가중치 파일 ./model/text_encoder/model.safetensors에 꼭 필요한 텐서",
            "도움말: 파일이 덜 받아졌거나 다른 모델의 파일입니다",
        ),
    ];
    for (damage, want, hint) in cases {
        let model = dir.path().join("model");
        let _ = std::fs::remove_dir_all(&model);
        copy_dir(common::tiny_turbo(), &model);
        damage(&model);
        let mut cmd = korean(dir.path());
        cmd.args([
            "generate",
            "Riverside park",
            "--model",
            "./model",
            "--seed",
            "1",
        ]);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(err.contains(hint), "{err}");
        for english in ["hint:", "cannot", "is missing", "is not a valid"] {
            assert!(!err.contains(english), "{english}: {err}");
        }
    }
}

/// A translator named wrongly, or a folder that is not a whole translator, is explained in
/// Korean (it was the translator module's English, even under the Korean frame).
#[test]
fn a_wrong_translator_is_explained_in_korean() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let cases = [
        ("opus-mt-xx", "\"opus-mt-xx\"(이)라는 번역 모델은 없습니다"),
        ("./nowhere", "번역 모델 폴더 ./nowhere이(가) 없습니다"),
        (
            "./empty",
            "./empty은(는) 완전한 번역 모델 폴더가 아닙니다: config.json이(가) 없습니다",
        ),
    ];
    for (translator, want) in cases {
        let mut cmd = korean(dir.path());
        cmd.args(["translate", "강변 공원", "--translator", translator]);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
        for english in ["hint:", "unknown", "does not exist", "is missing"] {
            assert!(!err.contains(english), "{english}: {err}");
        }
    }
}

/// A CSV outline saved from Excel with a wrong header or a broken row is explained in
/// Korean (these were English even on a Korean desktop).
#[test]
fn a_csv_outline_mistake_is_explained_in_korean() {
    let dir = TempDir::new().unwrap();
    let cases = [
        (
            "style,seed\nx,1\n",
            "outline.csv 1번째 줄: 머리글에 \"caption\" 열이 없습니다",
        ),
        ("caption,caption\nx,y\n", "\"caption\" 열이 두 번 나옵니다"),
        (
            "caption,colour\nx,y\n",
            "\"colour\"은(는) 알 수 없는 열 이름입니다",
        ),
        (
            "caption,seed\n\"x,1\n",
            "outline.csv 2번째 줄: 칸을 읽을 수 없습니다",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(dir.path().join("outline.csv"), text).unwrap();
        let mut cmd = korean(dir.path());
        cmd.args(["batch", "outline.csv", "--dry-run"]);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(err.contains("도움말: "), "{err}");
        assert!(!err.contains("hint:"), "{err}");
    }
}

/// `styles import` refusing a file (no name/prompt columns, no styles, unknown format) or
/// an existing style file speaks Korean.
#[test]
fn style_import_problems_are_in_korean() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("header.csv"), "title,text\na,b\n").unwrap();
    std::fs::write(dir.path().join("empty.csv"), "name,prompt\nNone,\n").unwrap();
    std::fs::write(dir.path().join("styles.txt"), "  \n").unwrap();
    std::fs::write(
        dir.path().join("ok.csv"),
        "name,prompt,negative_prompt\nHarbour,\"harbour, {prompt}\",text\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let import = |file: &str| {
        let mut cmd = korean(dir.path());
        cmd.args(["styles", "import", file, "--out", out]);
        run(cmd)
    };
    let (code, _, err) = import("ok.csv");
    assert_eq!(code, 0, "{err}");
    for (file, want) in [
        (
            "header.csv",
            "header.csv: CSV에 `name`과 `prompt` 열이 없습니다 (있는 열: title,text)",
        ),
        ("empty.csv", "empty.csv에 가져올 화풍이 없습니다"),
        ("styles.txt", "어떤 형식인지 알 수 없습니다"),
        ("ok.csv", "이(가) 이미 있습니다 (1개). 바꾸려면 --force를"),
    ] {
        let (code, _, err) = import(file);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains(want), "{file}: {err}");
    }
}

/// Two figures of an outline writing the same file are explained in Korean.
#[test]
fn two_figures_writing_one_file_are_explained_in_korean() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("outline.md"),
        "## 버스 정류장 {en=\"Bus stop\" file=bus.png}\n## 새 버스 노선 {en=\"New bus line\" file=bus.png}\n",
    )
    .unwrap();
    let model = common::tiny_turbo().display().to_string();
    let mut cmd = korean(dir.path());
    cmd.args([
        "batch",
        "outline.md",
        "--dry-run",
        "--no-translate",
        "--model",
        &model,
    ]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("outline.md: 1번째 줄과 2번째 줄이 같은 파일 bus.png에"),
        "{err}"
    );
    assert!(
        err.contains("도움말: 둘 중 하나에 다른 file= 이름"),
        "{err}"
    );
}

/// Offline without a hub LoRA (the LCM-LoRA of the default preset), the message names the
/// LoRA's file (it said "… 폴더에 이(가) 없음", a sentence with the file name missing). A dry
/// run only notes it (`cli_batch::dry_run_of_the_default_preset_needs_neither_model_nor_lora`).
#[test]
fn a_missing_hub_lora_names_its_file() {
    let dir = TempDir::new().unwrap();
    let model = common::tiny_turbo().display().to_string();
    let mut cmd = korean(dir.path());
    cmd.env("HF_HUB_OFFLINE", "1").args([
        "generate",
        "Bus stop",
        "--model",
        &model,
        "--lora",
        "latent-consistency/lcm-lora-sdv1-5",
    ]);
    let (code, _, err) = run(cmd);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("latent-consistency/lcm-lora-sdv1-5@main"),
        "{err}"
    );
    assert!(
        err.contains("에 pytorch_lora_weights.safetensors이(가) 없음"),
        "{err}"
    );
}
