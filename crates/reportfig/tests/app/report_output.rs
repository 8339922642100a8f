//! Output for reports: the Word document a batch writes (`--docx`), the illustrated Markdown
//! copy without settings blocks, and a word processor's file given as the outline.

use std::io::Read;
use std::path::Path;

use crate::common::{ok, reportfig_offline, run, tiny_turbo};

fn batch(home: &Path, outline: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = reportfig_offline(home);
    cmd.arg("batch").arg(outline).args([
        "--model",
        tiny_turbo().to_str().unwrap(),
        "--size",
        "64x64",
        "--no-translate",
    ]);
    cmd.args(extra);
    cmd
}

/// The document's `word/document.xml` and how many PNGs its package holds.
fn open_docx(path: &Path) -> (String, usize) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let media = (0..zip.len())
        .filter(|&i| {
            let f = zip.by_index(i).unwrap();
            let name = f.name().unwrap();
            name.starts_with("word/media/") && name.ends_with(".png")
        })
        .count();
    (xml, media)
}

/// Positions of `needles` in `hay`, which must all be there, in that order.
fn in_order(hay: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        let at = hay[from..]
            .find(n)
            .unwrap_or_else(|| panic!("{n:?} not found after byte {from}"));
        from += at + n.len();
    }
}

const OUTLINE: &str = "# 2026 교통 보고서\n\n## 1. 대중교통\n\n그림: 버스 전용차로 {seed=3}\n\n## 2. 보행 환경\n\n그림: 자전거 도로\n\n그림: 공원 산책로\n";

#[test]
fn the_document_has_headings_figures_and_numbered_captions_in_order() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("report.md");
    std::fs::write(&outline, OUTLINE).unwrap();
    let docx = home.path().join("report-figures.docx");
    let r = ok(batch(home.path(), &outline, &["--docx"])
        .arg(&docx)
        .env("LANG", "ko_KR.UTF-8"));
    assert!(r.stdout.contains("report-figures.docx"), "{}", r.stdout);
    let (xml, media) = open_docx(&docx);
    assert_eq!(media, 3, "one picture per figure");
    in_order(
        &xml,
        &[
            "2026 교통 보고서",
            "1. 대중교통",
            "<pic:pic",
            "그림 1. 버스 전용차로",
            "2. 보행 환경",
            "<pic:pic",
            "그림 2. 자전거 도로",
            "<pic:pic",
            "그림 3. 공원 산책로",
        ],
    );
    assert!(xml.contains("Heading2"), "headings use heading styles");
    assert!(!xml.contains("{seed"), "no settings block in the document");
}

#[test]
fn a_rerun_replaces_its_own_document_but_not_one_the_user_edited() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("report.md");
    std::fs::write(&outline, OUTLINE).unwrap();
    // Without the extension: Word and HWP need `.docx`.
    ok(batch(home.path(), &outline, &["--docx"]).arg(home.path().join("figs")));
    let docx = home.path().join("figs.docx");
    assert!(docx.is_file());
    ok(batch(home.path(), &outline, &["--docx"]).arg(&docx));

    let mut edited = std::fs::read(&docx).unwrap();
    edited.extend_from_slice(b"the user's edits");
    std::fs::write(&docx, &edited).unwrap();
    let r = run(batch(home.path(), &outline, &["--docx"]).arg(&docx));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("figs.docx") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(&docx).unwrap(),
        edited,
        "the edited document is untouched"
    );

    let mut own = std::fs::File::create(home.path().join("mine.docx")).unwrap();
    std::io::Write::write_all(&mut own, b"a document of the user's").unwrap();
    let r = run(batch(home.path(), &outline, &["--docx"]).arg(home.path().join("mine.docx")));
    assert_eq!(r.code, 2, "{}", r.stderr);

    ok(batch(home.path(), &outline, &["--force", "--docx"]).arg(&docx));
    let (xml, _) = open_docx(&docx);
    assert!(
        xml.contains("Figure 3. 공원 산책로"),
        "English captions under LANG=C"
    );
}

#[test]
fn the_illustrated_copy_leaves_the_settings_out() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("report.md");
    std::fs::write(&outline, OUTLINE).unwrap();
    ok(batch(home.path(), &outline, &["--markdown"]));
    let text = std::fs::read_to_string(home.path().join("report.illustrated.md")).unwrap();
    assert!(!text.contains("{seed=3}"), "{text}");
    assert!(
        text.contains("그림: 버스 전용차로\n\n![버스 전용차로]("),
        "{text}"
    );
}

#[test]
fn a_word_or_hwp_file_as_the_outline_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    for name in ["report.docx", "보고서.hwp"] {
        let path = home.path().join(name);
        std::fs::write(&path, b"PK\x03\x04 binary").unwrap();
        let r = run(batch(home.path(), &path, &[]));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains(".txt") && r.stderr.contains("--docx"),
            "{}",
            r.stderr
        );
    }
}
