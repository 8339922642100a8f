//! The rarer errors under a Korean locale: an outline with nothing in it, a line with no
//! caption, a request the engine refuses, a damaged tiny decoder, a folder that takes no
//! files, a model bundle that cannot be read, a bad glossary line, and the system's reasons
//! inside them. Each is said in Korean under `LANG=ko_KR.UTF-8`, without the English
//! sentence (or the system's English), and in English under `LANG=C`.

use std::path::Path;

use reportfig_testkit::single_file::write_single_file;
use reportfig_testkit::tiny_vae::{config, write_tiny_decoder};
use reportfig_testkit::{write_tiny_model, TinyFamily};

use crate::common::{self, run, tiny_turbo};

fn hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// One mistake as a user makes it: what to prepare in the folder, the arguments, the exit
/// code, and what the message says in each language.
struct Case {
    name: &'static str,
    setup: fn(&Path),
    args: Vec<String>,
    code: i32,
    korean: &'static [&'static str],
    english: &'static [&'static str],
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A tiny model's arguments for `generate`, 64x64 in one step.
fn generate_args(model: &str, extra: &[&str]) -> Vec<String> {
    let mut a = args(&["generate", "Bus stop", "--no-translate", "--model", model]);
    a.extend(args(&["--size", "64x64", "--steps", "1", "--seed", "7"]));
    a.extend(args(extra));
    a
}

fn cases() -> Vec<Case> {
    let turbo = tiny_turbo().display().to_string();
    vec![
        Case {
            name: "an outline with no figures",
            setup: |d| std::fs::write(d.join("empty.md"), "메모만 적었습니다.\n").unwrap(),
            args: args(&["batch", "empty.md", "--dry-run"]),
            code: 2,
            korean: &[
                "empty.md: 개요에 그림이 하나도 없습니다",
                "도움말: 그림마다 제목(## 설명)",
            ],
            english: &[
                "empty.md: the outline has no figures",
                "hint: write each figure as a heading",
            ],
        },
        Case {
            name: "an outline line with settings but no caption",
            setup: |d| std::fs::write(d.join("captions.txt"), "버스 정류장\n{seed=3}\n").unwrap(),
            args: args(&["batch", "captions.txt", "--dry-run"]),
            code: 2,
            korean: &[
                "captions.txt 2번째 줄: 이 줄에 설명이 없습니다",
                "설정 앞에 설명을 써 주세요",
            ],
            english: &[
                "captions.txt:2: this line has no caption",
                "hint: write the caption before the {…} settings",
            ],
        },
        Case {
            name: "an unknown style on an outline line",
            setup: |d| {
                std::fs::write(d.join("styles.md"), "## 버스 정류장 {style=수체화가}\n").unwrap()
            },
            args: args(&["batch", "styles.md", "--dry-run"]),
            code: 2,
            korean: &[
                "styles.md 1번째 줄: 화풍 \"수체화가\"을(를) 쓸 수 없습니다",
                "화풍이 없습니다",
            ],
            english: &["styles.md:1: unknown style \"수체화가\": no style named"],
        },
        Case {
            name: "an outline that is a folder",
            setup: |d| std::fs::create_dir_all(d.join("folder.md")).unwrap(),
            args: args(&["batch", "folder.md", "--dry-run"]),
            code: 2,
            korean: &["folder.md을(를) 읽을 수 없습니다: 파일이 아니라 폴더입니다"],
            english: &["cannot read the outline folder.md: it is a folder, not a file"],
        },
        // The engine checks a LoRA against the model it loaded, here a single-file checkpoint
        // whose family only the engine reads from its keys.
        Case {
            name: "an SDXL LoRA on an SD 1.5 single-file checkpoint",
            setup: |d| {
                write_tiny_model(&d.join("tiny-sd15"), TinyFamily::Sd15).unwrap();
                write_single_file(
                    &d.join("tiny-sd15"),
                    TinyFamily::Sd15,
                    &d.join("tiny.safetensors"),
                    true,
                )
                .unwrap();
                std::fs::copy(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../engine/tests/golden/lora/sdxl/kohya.safetensors"),
                    d.join("city.safetensors"),
                )
                .unwrap();
            },
            args: generate_args(
                "tiny.safetensors",
                &[
                    "--model-config",
                    "./tiny-sd15",
                    "--lora",
                    "city.safetensors",
                    "-o",
                    "out.png",
                ],
            ),
            code: 2,
            korean: &["SDXL용 LoRA인데, 지금 모델은"],
            english: &["is a LoRA for SDXL, but the model is"],
        },
        Case {
            name: "a tiny decoder whose weights are cut short",
            setup: |d| {
                let taesd = d.join("taesd");
                write_tiny_decoder(&taesd, &config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0), 5)
                    .unwrap();
                let weights = std::fs::OpenOptions::new()
                    .write(true)
                    .open(taesd.join("diffusion_pytorch_model.safetensors"))
                    .unwrap();
                weights.set_len(100).unwrap();
            },
            args: generate_args(
                &turbo,
                &["--decoder", "tiny", "--tiny-decoder", "./taesd", "-o", "out.png"],
            ),
            code: 2,
            korean: &[
                "작은 디코더 파일 ./taesd/diffusion_pytorch_model.safetensors을(를) 읽을 수 없습니다",
                "도움말: 파일이 손상되었거나",
            ],
            english: &[
                "cannot read the tiny decoder file ./taesd/diffusion_pytorch_model.safetensors",
                "hint: the file is damaged or incomplete",
            ],
        },
        Case {
            name: "a tiny decoder folder without its config",
            setup: |d| {
                let taesd = d.join("taesd");
                write_tiny_decoder(&taesd, &config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0), 5)
                    .unwrap();
                std::fs::remove_file(taesd.join("config.json")).unwrap();
            },
            args: generate_args(
                &turbo,
                &["--decoder", "tiny", "--tiny-decoder", "./taesd", "-o", "out.png"],
            ),
            code: 2,
            korean: &["config.json을(를) 읽을 수 없습니다: 그런 파일이나 폴더가 없습니다"],
            english: &["config.json: no such file or folder"],
        },
        Case {
            name: "a tiny decoder config asking for an unknown activation",
            setup: |d| {
                let taesd = d.join("taesd");
                let json = config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0);
                write_tiny_decoder(&taesd, &json, 5).unwrap();
                let mish = json.replace("\"relu\"", "\"mish\"");
                assert_ne!(mish, json);
                std::fs::write(taesd.join("config.json"), mish).unwrap();
            },
            args: generate_args(
                &turbo,
                &["--decoder", "tiny", "--tiny-decoder", "./taesd", "-o", "out.png"],
            ),
            code: 2,
            korean: &[
                "`act_fn` 값 \"mish\"은(는) reportfig가 쓸 수 없는 값입니다",
                "relu, silu/swish, gelu만 쓸 수 있습니다",
            ],
            english: &[
                "`act_fn` is \"mish\" in ./taesd/config.json, which reportfig cannot use",
                "hint: only relu, silu/swish and gelu are supported",
            ],
        },
        // Root may write anywhere except where the kernel refuses: sysfs takes no new files
        // from anyone, so this is a denied folder for every user.
        Case {
            name: "an output folder that takes no files",
            setup: |_| {},
            args: generate_args(&turbo, &["-o", "/sys/figure.png"]),
            code: 2,
            korean: &["/sys 폴더에 새 파일을 만들 수 없습니다 (권한이 없습니다)"],
            english: &["the folder /sys does not take new files (permission denied)"],
        },
        Case {
            name: "a model bundle whose manifest cannot be read",
            setup: |d| std::fs::create_dir_all(d.join("bundle/reportfig-bundle.json")).unwrap(),
            args: args(&["models", "import", "./bundle"]),
            code: 1,
            korean: &[
                "./bundle/reportfig-bundle.json을(를) 읽지 못했습니다: 파일이 아니라 폴더입니다",
            ],
            english: &[
                "could not read ./bundle/reportfig-bundle.json: it is a folder, not a file",
            ],
        },
        Case {
            name: "a glossary whose English is still Korean",
            setup: |d| std::fs::write(d.join("g.toml"), "[terms]\n\"공원\" = \"공원\"\n").unwrap(),
            args: args(&["translate", "강변 공원", "--glossary", "g.toml"]),
            code: 2,
            korean: &["g.toml 2번째 줄: \"공원\"의 영어 \"공원\"에 아직 한글이 있습니다"],
            english: &["g.toml:2: the English for \"공원\" is \"공원\", which still has Korean letters"],
        },
        Case {
            name: "a missing glossary",
            setup: |_| {},
            args: args(&["translate", "강변 공원", "--glossary", "none.toml"]),
            code: 2,
            korean: &["용어집 none.toml을(를) 읽을 수 없습니다: 그런 파일이나 폴더가 없습니다"],
            english: &["cannot read the glossary none.toml: no such file or folder"],
        },
    ]
}

/// The system's and the engine's English that must not stand inside a Korean message.
const ENGLISH_LEFTOVERS: [&str; 8] = [
    "No such file",
    "Permission denied",
    "Is a directory",
    "os error",
    "hint:",
    "cannot",
    "could not",
    "error:",
];

#[test]
fn rare_errors_are_explained_in_korean_and_in_english() {
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        (case.setup)(dir.path());
        for lang in ["ko_KR.UTF-8", "C"] {
            let mut cmd = common::reportfig_in(dir.path());
            cmd.env("LANG", lang).args(&case.args);
            let r = run(cmd);
            let err = &r.stderr;
            assert_eq!(r.code, case.code, "{} ({lang}): {err}", case.name);
            if lang == "C" {
                for want in case.english {
                    assert!(err.contains(want), "{} ({lang}): {want}\n{err}", case.name);
                }
                // Progress notes may come first; the error is a line of its own.
                assert!(
                    err.lines().any(|l| l.starts_with("error: ")),
                    "{}: {err}",
                    case.name
                );
                assert!(!err.contains("os error"), "{}: {err}", case.name);
                continue;
            }
            assert!(
                err.lines().any(|l| l.starts_with("오류: ")),
                "{}: {err}",
                case.name
            );
            assert!(hangul(err), "{}: {err}", case.name);
            for want in case.korean {
                assert!(err.contains(want), "{}: {want}\n{err}", case.name);
            }
            for english in case.english.iter().chain(&ENGLISH_LEFTOVERS) {
                assert!(
                    !err.contains(english),
                    "{}: {english:?} in\n{err}",
                    case.name
                );
            }
        }
    }
}
