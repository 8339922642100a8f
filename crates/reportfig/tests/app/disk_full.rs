//! A disk that fills up, and a folder that vanishes, while `generate`, `batch` and `compare`
//! write: a clear error naming the folder (exit 1), no half-written file beside good ones,
//! the finished figures and the manifest still valid, no temporary file left behind.
//!
//! Two ways to fill a disk: a file-size limit (`RLIMIT_FSIZE`, as `ulimit -f` sets), which
//! works unprivileged everywhere, and a tiny tmpfs where this process may mount one (root in
//! CI), a disk that really runs out of space. A check that cannot run here says so plainly
//! (and fails under `REPORTFIG_REQUIRE_ALL_CHECKS`, as CI sets it).
#![cfg(target_os = "linux")]

use std::path::Path;

use reportfig_testkit::limits::TinyDisk;

use crate::common::{self, files, limited, reportfig_in, reportfig_in_std, run, tiny_turbo};

/// Smaller than any 64x64 figure with its metadata (about 10 KB), larger than the small
/// files written before it (lock files).
const SMALLER_THAN_A_FIGURE: u64 = 2048;

fn generate_args(cmd: &mut std::process::Command, out: &str, seed: &str) {
    cmd.args(["generate", "A park", "--no-translate", "-q", "--seed", seed])
        .args(["--size", "64x64", "-o", out, "--model"])
        .arg(tiny_turbo());
}

fn batch_args(cmd: &mut std::process::Command, outline: &Path, extra: &[&str]) {
    cmd.arg("batch")
        .arg(outline)
        .arg("--model")
        .arg(tiny_turbo());
    cmd.args(["--size", "64x64", "--steps", "1", "--no-translate", "-q"]);
    cmd.args(extra);
}

/// No temporary file of ours (`.NAME.XXXXXX.tmp`, the write check's) in `dir`.
fn assert_no_temporaries(dir: &Path) {
    let left: Vec<String> = files(dir)
        .into_iter()
        .filter(|f| f.ends_with(".tmp") || f.starts_with(".reportfig-write-check"))
        .collect();
    assert!(
        left.is_empty(),
        "temporary files left in {}: {left:?}",
        dir.display()
    );
}

/// Every PNG in `dir` decodes whole, and the manifest (when there is one) lists only files
/// that are there with the hash they have.
fn assert_folder_consistent(dir: &Path) {
    for f in files(dir).iter().filter(|f| f.ends_with(".png")) {
        image::open(dir.join(f)).unwrap_or_else(|e| panic!("{f} does not decode: {e}"));
    }
    let manifest = dir.join("manifest.json");
    if manifest.exists() {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap())
                .expect("the manifest is whole JSON");
        for f in m["figures"].as_array().unwrap() {
            let file = f["file"].as_str().unwrap();
            let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                f["sha256"].as_str().unwrap(),
                common::sha256_hex(&bytes),
                "{file}"
            );
        }
    }
}

/// `cmd` with no limit, for the runs that prepare a folder.
fn plain(cmd: std::process::Command) -> assert_cmd::Command {
    assert_cmd::Command::from_std(cmd)
}

fn figure_count(dir: &Path) -> usize {
    files(dir).iter().filter(|f| f.ends_with(".png")).count()
}

#[test]
fn generate_on_a_full_disk_names_the_folder_and_leaves_the_old_file() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    std::fs::create_dir(&out).unwrap();

    for (lang, words) in [
        (
            "C.UTF-8",
            "the disk is full or a file-size limit was reached",
        ),
        (
            "ko_KR.UTF-8",
            "디스크가 가득 찼거나 파일 크기 제한에 걸렸습니다",
        ),
    ] {
        let mut cmd = reportfig_in_std(home.path());
        cmd.env("LANG", lang);
        generate_args(&mut cmd, "out/figure.png", "1");
        let r = run(limited(cmd, SMALLER_THAN_A_FIGURE));
        assert_eq!(r.code, 1, "{}", r.stderr);
        let first = r.stderr.lines().next().unwrap();
        assert!(first.contains(words), "{}", r.stderr);
        assert!(
            first.contains("figure.png") && first.contains("out"),
            "names the file and its folder: {}",
            r.stderr
        );
        assert!(r.stderr.contains("-o"), "{}", r.stderr);
        assert!(!r.stderr.contains("os error"), "{}", r.stderr);
        assert!(files(&out).is_empty(), "{:?}", files(&out));
    }

    // Over an existing picture with --force: the old one stays whole.
    let mut cmd = reportfig_in_std(home.path());
    generate_args(&mut cmd, "out/figure.png", "1");
    assert_eq!(run(plain(cmd)).code, 0);
    let before = std::fs::read(out.join("figure.png")).unwrap();
    let mut cmd = reportfig_in_std(home.path());
    generate_args(&mut cmd, "out/figure.png", "2");
    cmd.arg("--force");
    let r = run(limited(cmd, SMALLER_THAN_A_FIGURE));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(std::fs::read(out.join("figure.png")).unwrap(), before);
    assert_eq!(files(&out), ["figure.png"]);
}

/// The disk fills at the third of four figures: the run stops there (the fourth is not
/// computed only to fail), the two made before are whole and in the manifest, nothing
/// half-written is left, and once there is room the next run makes only the two missing.
#[test]
fn batch_on_a_full_disk_stops_at_the_figure_that_did_not_fit() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("report.txt");
    let figures = home.path().join("figures");
    std::fs::write(&outline, "One\nTwo\n").unwrap();
    let mut cmd = reportfig_in_std(home.path());
    batch_args(&mut cmd, &outline, &[]);
    assert_eq!(run(plain(cmd)).code, 0);

    std::fs::write(&outline, "One\nTwo\nThree\nFour\n").unwrap();
    for (lang, words) in [
        ("C.UTF-8", "the batch stopped"),
        ("ko_KR.UTF-8", "일괄 작업을 멈췄습니다"),
    ] {
        let mut cmd = reportfig_in_std(home.path());
        cmd.env("LANG", lang);
        batch_args(&mut cmd, &outline, &[]);
        let r = run(limited(cmd, SMALLER_THAN_A_FIGURE));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(words), "{}", r.stderr);
        assert!(
            r.stderr.contains("03-three.png") && r.stderr.contains(&figures.display().to_string()),
            "names the figure and the folder: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("04-four"),
            "stopped at once: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("os error"), "{}", r.stderr);
        assert_eq!(figure_count(&figures), 2);
        assert_no_temporaries(&figures);
        assert_folder_consistent(&figures);
    }

    let mut cmd = reportfig_in_std(home.path());
    batch_args(&mut cmd, &outline, &[]);
    let r = run(plain(cmd));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("2 generated, 2 up to date, 0 failed"),
        "{}",
        r.stdout
    );
    assert_folder_consistent(&figures);
}

/// Every figure fits but the review page, which embeds them all, does not: exit 1 naming
/// the page and the folder, the figures and the manifest whole, no temporary file.
#[test]
fn batch_whose_gallery_does_not_fit_keeps_the_figures_and_the_manifest() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("report.txt");
    let figures = home.path().join("figures");
    std::fs::write(&outline, "One\nTwo\nThree\n").unwrap();
    let mut cmd = reportfig_in_std(home.path());
    batch_args(&mut cmd, &outline, &[]);
    assert_eq!(run(plain(cmd)).code, 0);
    let size = |f: &str| std::fs::metadata(figures.join(f)).unwrap().len();
    let largest = files(&figures)
        .iter()
        .filter(|f| f.ends_with(".png") || f.as_str() == "manifest.json")
        .map(|f| size(f))
        .max()
        .unwrap();
    let gallery = size("index.html");
    assert!(gallery > largest, "the page embeds every figure");
    let limit = largest + (gallery - largest) / 2;

    let mut cmd = reportfig_in_std(home.path());
    batch_args(&mut cmd, &outline, &["--force"]);
    let r = run(limited(cmd, limit));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("index.html") && r.stderr.contains(&figures.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("disk is full"), "{}", r.stderr);
    assert_eq!(figure_count(&figures), 3);
    assert_no_temporaries(&figures);
    assert_folder_consistent(&figures);
}

#[test]
fn compare_on_a_full_disk_names_the_folder_and_leaves_no_temporary() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = reportfig_in_std(home.path());
    cmd.args([
        "compare",
        "Bike lanes",
        "--vary",
        "steps=1,2",
        "-o",
        "grid.png",
    ])
    .args(["--size", "64x64", "--no-translate", "-q", "--model"])
    .arg(tiny_turbo());
    let r = run(limited(cmd, SMALLER_THAN_A_FIGURE));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the disk is full or a file-size limit was reached"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("os error"), "{}", r.stderr);
    assert_no_temporaries(home.path());
    let cells = home.path().join("grid");
    if cells.is_dir() {
        assert_no_temporaries(&cells);
        assert_eq!(figure_count(&cells), 0, "{:?}", files(&cells));
    }
    assert!(!home.path().join("grid.png").exists());
}

/// A disk that really runs out of space (ENOSPC, not a per-file limit): a tmpfs of 64 KiB
/// takes a few figures of twelve; the rest is refused as above.
#[test]
fn batch_on_a_tiny_disk_that_fills_up() {
    let home = tempfile::tempdir().unwrap();
    let Some(disk) = TinyDisk::mount(home.path(), 64 * 1024) else {
        reportfig_testkit::not_run(
            "batch_on_a_tiny_disk_that_fills_up",
            "permission to mount a tmpfs (root, or CAP_SYS_ADMIN in a container)",
        );
        return;
    };
    let outline = home.path().join("report.txt");
    let lines: String = (1..=12).map(|i| format!("Figure number {i}\n")).collect();
    std::fs::write(&outline, lines).unwrap();
    let figures = disk.path().join("figures");
    let mut cmd = reportfig_in(home.path());
    cmd.arg("batch").arg(&outline).arg("--out").arg(&figures);
    cmd.args(["--size", "64x64", "--steps", "1", "--no-translate", "-q"])
        .arg("--model")
        .arg(tiny_turbo());
    let r = run(cmd);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("the batch stopped") && r.stderr.contains("disk is full"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&figures.display().to_string()),
        "{}",
        r.stderr
    );
    let made = figure_count(&figures);
    assert!((1..12).contains(&made), "{made} figures fit");
    assert_no_temporaries(&figures);
    assert_folder_consistent(&figures);
}

/// A network drive that disconnects mid-batch (the tmpfs is unmounted under the running
/// batch): the run stops at the next write saying the folder is gone, and creates nothing
/// where it was.
#[test]
fn batch_into_a_drive_that_vanishes_mid_run() {
    let home = tempfile::tempdir().unwrap();
    let Some(disk) = TinyDisk::mount(home.path(), 16 * 1024 * 1024) else {
        reportfig_testkit::not_run(
            "batch_into_a_drive_that_vanishes_mid_run",
            "permission to mount a tmpfs (root, or CAP_SYS_ADMIN in a container)",
        );
        return;
    };
    let outline = home.path().join("report.txt");
    let lines: String = (1..=40).map(|i| format!("Figure number {i}\n")).collect();
    std::fs::write(&outline, lines).unwrap();
    let figures = disk.path().join("figures");
    let mut cmd = reportfig_in_std(home.path());
    cmd.arg("batch").arg(&outline).arg("--out").arg(&figures);
    cmd.args(["--size", "64x64", "--steps", "2", "--no-translate", "-q"])
        .arg("--model")
        .arg(tiny_turbo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while figure_count_or_zero(&figures) == 0 {
        assert!(start.elapsed().as_secs() < 120, "no figure made");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(disk.vanish(), "umount -l");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the batch stopped") && stderr.contains("no longer there"),
        "{stderr}"
    );
    assert!(!figures.exists(), "nothing recreated where the drive was");
}

fn figure_count_or_zero(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
            .count()
    })
}

/// A temporary file a killed `generate` left (older than any live write) is removed by the
/// next run into the folder, as a batch removes its own; a fresh one (a write in progress)
/// and files of other names are left alone.
#[test]
fn generate_removes_temporaries_a_killed_run_left_behind() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for name in [
        ".figure.png.Ab12Cd.tmp",
        ".other.png.Zz99Yy.tmp",
        "notes.tmp",
    ] {
        let f = std::fs::File::create(out.join(name)).unwrap();
        f.set_modified(old).unwrap();
    }
    std::fs::write(out.join(".live.png.Qq11Ww.tmp"), b"being written").unwrap();
    let mut cmd = reportfig_in_std(home.path());
    generate_args(&mut cmd, "out/figure.png", "1");
    let r = run(plain(cmd));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        files(&out),
        [".live.png.Qq11Ww.tmp", "figure.png", "notes.tmp"]
    );
}
