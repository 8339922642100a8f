//! Helpers shared by the integration tests: the tiny model, running the binary in a private
//! home, listing folders, the samples and a fixed style list. Each test file uses a part, so
//! unused items are expected.
#![allow(dead_code)]

use std::borrow::BorrowMut;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use reportfig_testkit::{write_tiny_model, TinyFamily};

/// A tiny turbo model (64x64, 1 step), written once per test process.
pub fn tiny_turbo() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("turbo");
        write_tiny_model(&model, TinyFamily::Turbo).unwrap();
        (dir, model)
    })
    .1
}

/// The binary with an empty, private Hugging Face cache and no network; config and data
/// folders under `home`.
pub fn reportfig_offline(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("reportfig").unwrap();
    cmd.env("HF_HOME", home.join("hf"))
        .env_remove("HF_HUB_CACHE")
        .env("HF_HUB_OFFLINE", "1")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"));
    english_locale(&mut cmd);
    cmd
}

/// Pages and labels in English whatever the machine's locale, unless a test sets its own.
pub fn english_locale(cmd: &mut Command) {
    cmd.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8");
}

/// `reportfig` run in `dir`, with a private, empty Hugging Face cache, home, config and data
/// folders under `dir/.home`, so no test can touch the network or the user's files.
pub fn reportfig_in(dir: &Path) -> Command {
    Command::from_std(reportfig_in_std(dir))
}

/// [`reportfig_in`] as a `std::process::Command`, for what only it can set (a file-size
/// limit, [`limited`]).
pub fn reportfig_in_std(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reportfig"));
    let home = dir.join(".home");
    cmd.current_dir(dir)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HF_HOME", home.join("hf"))
        .env("HF_HUB_CACHE", home.join("hf/hub"))
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("HF_ENDPOINT")
        .env_remove("HF_TOKEN")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8");
    cmd
}

/// `cmd` with no file it writes allowed past `bytes`: every write past it fails as on a full
/// disk ([`reportfig_testkit::limits::limit_file_size`]).
#[cfg(unix)]
pub fn limited(mut cmd: std::process::Command, bytes: u64) -> Command {
    reportfig_testkit::limits::limit_file_size(&mut cmd, bytes);
    Command::from_std(cmd)
}

/// What one run of the binary left: exit code (-1 when killed by a signal) and its output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut cmd: impl BorrowMut<Command>) -> Run {
    let out = cmd.borrow_mut().output().expect("reportfig runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs and asserts exit code 0, showing both streams when it is not.
pub fn ok(cmd: impl BorrowMut<Command>) -> Run {
    let r = run(cmd);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r
}

/// Names of the entries in `dir`, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A file under the repository's `samples/`.
pub fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(rel)
}

/// The styles the outline tests may name, so they need no style library.
pub const STYLES: &[&str] = &[
    "isometric-city",
    "welfare-care",
    "watercolor-cityscape",
    "green-carbon-neutral",
    "minimal-corporate-cover",
    "line-icons",
    "aerial-map-view",
    "community-people",
    "night-city",
    "safety-disaster-response",
];

/// A style check over [`STYLES`]; the message ends in a hint, as the real one does.
pub fn style_check(name: &str) -> Result<(), reportfig::i18n::Message> {
    if STYLES.contains(&name) {
        Ok(())
    } else {
        Err(reportfig::msg!(
            "untranslated",
            text = "there is no such style\nhint: `reportfig styles list` shows the styles"
        ))
    }
}

/// The tiny random-weight Marian translator in the Hugging Face layout that
/// `tools/reference/translate_goldens.py` made (committed with the engine's goldens).
pub fn tiny_translator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/marian-tiny")
}

/// A tiny Real-ESRGAN compact upscaler saved as Real-ESRGAN releases its weights
/// (`torch.save({"params": state_dict})`), made by `tools/reference/upscaler_goldens.py`.
pub fn tiny_upscaler_pth() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/upscaler-tiny.pth")
}

/// A headless-capable Chromium on PATH, or `None` after saying (through the test kit, which
/// fails the test when every check is required) that `test` could not run.
pub fn chromium(test: &str) -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        reportfig_testkit::not_run(test, "chromium on PATH (apt-get install chromium)");
    }
    found
}

/// The DOM of the local page `page` after `budget_ms` of virtual time in headless `chromium`,
/// with file access between local pages allowed (the probe pages load the page under test).
pub fn dump_dom(chromium: &str, page: &Path, budget_ms: u32) -> String {
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--allow-file-access-from-files",
            &format!("--virtual-time-budget={budget_ms}"),
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A file's SHA-256 in lower-case hex, as the manifest and the hub write it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The commit id the test caches record for a revision that is not one.
pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// Files of every depth under `dir`, as `/`-separated relative paths.
pub fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if e.path().is_dir() {
            walk(&e.path(), &rel, out);
        } else {
            out.push(rel);
        }
    }
}

/// Puts the folder's files into `cache` as hf-hub does (blobs, relative symlinks in the
/// snapshot, `refs/<revision>`), for `repo` at `revision`.
pub fn cache_from_folder(cache: &Path, repo: &str, revision: &str, folder: &Path) {
    let repo_dir = cache.join(format!("models--{}", repo.replace('/', "--")));
    let commit = if revision.len() == 40 { revision } else { SHA };
    let mut files = Vec::new();
    walk(folder, "", &mut files);
    for (i, rel) in files.iter().enumerate() {
        let blob = repo_dir.join("blobs").join(format!("blob{i}"));
        std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
        std::fs::copy(folder.join(rel), &blob).unwrap();
        let link = repo_dir.join("snapshots").join(commit).join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        let ups = "../".repeat(rel.matches('/').count() + 2);
        std::os::unix::fs::symlink(format!("{ups}blobs/blob{i}"), &link).unwrap();
    }
    if revision != commit {
        let r = repo_dir.join("refs").join(revision);
        std::fs::create_dir_all(r.parent().unwrap()).unwrap();
        std::fs::write(r, commit).unwrap();
    }
}

/// Cases per property test: `default` (bounded for CI), or `PROPTEST_CASES` for a longer
/// run (README, "Reliability"); an explicit count in a `ProptestConfig` would hide it.
pub fn fuzz_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
