//! Typeset titles end to end (`generate --title`, `retitle`) on the tiny turbo model: the
//! picture under a title is the picture without one, pixel for pixel outside the title box.

use std::path::Path;

use assert_cmd::Command;
use image::RgbImage;
use reportfig::output::read_titled_metadata;
use reportfig::title::{TitleBox, TitleLayout, TitleRecord};

use crate::common::{self, ok, run};

const CAPTION: &str = "Smart traffic signals at a busy city intersection";

fn generate(dir: &Path, out: &str, extra: &[&str]) -> Command {
    let mut cmd = common::reportfig_in(dir);
    cmd.args(["generate", CAPTION, "--no-translate", "--model"])
        .arg(common::tiny_turbo())
        .args([
            "--size", "192x128", "--steps", "1", "--seed", "11", "-o", out,
        ])
        .args(extra);
    cmd
}

fn pixels(path: &Path) -> RgbImage {
    image::open(path).unwrap().to_rgb8()
}

fn record(path: &Path) -> TitleRecord {
    read_titled_metadata(path)
        .unwrap()
        .expect("reportfig metadata")
        .1
        .expect("a title record")
}

/// Pixels differing inside the box; panics on any difference outside it.
fn changed_only_inside(a: &RgbImage, b: &RgbImage, area: TitleBox) -> usize {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut inside = 0;
    for (x, y, p) in a.enumerate_pixels() {
        let q = b.get_pixel(x, y);
        if area.contains(x, y) {
            inside += usize::from(p != q);
        } else {
            assert_eq!(
                p, q,
                "pixel ({x}, {y}) outside the title box {area:?} changed"
            );
        }
    }
    inside
}

#[test]
fn a_title_changes_only_its_box_and_keeps_the_plain_picture_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    ok(generate(dir.path(), "plain.png", &[]));
    let r = ok(generate(
        dir.path(),
        "cover.png",
        &["--title", "2026년 시민 참여 예산", "--subtitle", "교통국"],
    ));
    assert_eq!(r.stdout.trim(), "cover.png");
    let plain = pixels(&dir.path().join("plain.png"));
    // Same seed, same picture: the kept plain picture is the untitled run's.
    assert_eq!(pixels(&dir.path().join("cover.untitled.png")), plain);
    let rec = record(&dir.path().join("cover.png"));
    assert_eq!(rec.spec.title, "2026년 시민 참여 예산");
    assert_eq!(rec.spec.subtitle.as_deref(), Some("교통국"));
    assert_eq!(rec.spec.layout, TitleLayout::Top);
    assert_eq!(rec.untitled, "cover.untitled.png");
    let titled = pixels(&dir.path().join("cover.png"));
    let inked = changed_only_inside(&plain, &titled, rec.area);
    // Hangul glyphs were drawn: a good part of the box is ink, band or shadow.
    let area = (rec.area.width * rec.area.height) as usize;
    assert!(inked * 20 > area, "{inked} of {area} pixels changed");
    // The untitled file carries no title record; the request is the same.
    let (plain_request, none) = read_titled_metadata(&dir.path().join("cover.untitled.png"))
        .unwrap()
        .unwrap();
    assert!(none.is_none());
    let (titled_request, _) = read_titled_metadata(&dir.path().join("cover.png"))
        .unwrap()
        .unwrap();
    assert_eq!(plain_request, titled_request);
}

#[test]
fn a_title_too_long_is_refused_before_generating_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let long = "지역 균형 발전을 위한 ".repeat(12);
    let r = run(generate(dir.path(), "cover.png", &["--title", &long]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("does not fit in 3 lines"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: shorten it"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("seed"),
        "refused before the seed note: {}",
        r.stderr
    );
    let mut ko = generate(dir.path(), "cover.png", &["--title", &long]);
    ko.env("LANG", "ko_KR.UTF-8");
    let r = run(ko);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("3줄 안에 들어가지 않습니다"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("제목을 줄여 주세요"), "{}", r.stderr);
    let mut written = common::files(dir.path());
    written.retain(|n| n != ".home");
    assert!(written.is_empty(), "{written:?}");
}

#[test]
fn retitle_sets_a_new_title_from_the_plain_picture_without_generating() {
    let dir = tempfile::tempdir().unwrap();
    ok(generate(dir.path(), "cover.png", &["--title", "교통 계획"]));
    let cover = dir.path().join("cover.png");
    let untitled = dir.path().join("cover.untitled.png");
    let first = pixels(&cover);
    let untitled_bytes = std::fs::read(&untitled).unwrap();

    // No model given: retitle reads the plain picture, it does not generate.
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["retitle", "cover.png", "--title", "2026년 교통 계획(최종)"])
        .args(["--title-layout", "band", "--title-font", "serif"]);
    let r = ok(cmd);
    assert_eq!(r.stdout.trim(), "cover.png");
    let rec = record(&cover);
    assert_eq!(rec.spec.title, "2026년 교통 계획(최종)");
    assert_eq!(rec.spec.layout, TitleLayout::Band);
    assert_eq!(rec.backdrop, "band");
    assert_eq!(rec.area.width, 192, "a band spans the width");
    let second = pixels(&cover);
    assert_ne!(first, second);
    let plain = pixels(&untitled);
    assert!(changed_only_inside(&plain, &second, rec.area) > 0);
    assert_eq!(std::fs::read(&untitled).unwrap(), untitled_bytes);

    // From the plain picture too, into the same titled file (one retitle made).
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["retitle", "cover.untitled.png", "--title", "교통 계획"]);
    assert_eq!(ok(cmd).stdout.trim(), "cover.png");
    assert_eq!(pixels(&cover), first, "same title, same pixels");

    // A file of the titled name that is not a title of this picture is left alone.
    std::fs::copy(&untitled, dir.path().join("other.png")).unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args([
        "retitle",
        "cover.png",
        "--title",
        "새 제목",
        "-o",
        "other.png",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a titled copy"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(dir.path().join("other.png")).unwrap(),
        untitled_bytes
    );

    // The titled file stays beside its plain picture.
    std::fs::create_dir(dir.path().join("elsewhere")).unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args([
        "retitle",
        "cover.png",
        "--title",
        "새 제목",
        "-o",
        "elsewhere/c.png",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not in the folder"), "{}", r.stderr);

    // A picture reportfig did not make.
    let foreign = dir.path().join("photo.png");
    RgbImage::new(100, 100).save(&foreign).unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    cmd.args(["retitle", "photo.png", "--title", "제목"]);
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("was not made by reportfig"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_cover_in_an_outline_is_titled_with_the_first_heading_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 2026년 교통 계획\n\n그림: 시청 앞 광장의 아침 {cover}\n\n## 버스 전용 차로\n\n그림: 버스 전용 차로\n",
    )
    .unwrap();
    let batch = || {
        let mut cmd = common::reportfig_offline(dir.path());
        cmd.arg("batch")
            .arg(&outline)
            .arg("--model")
            .arg(common::tiny_turbo())
            .args(["--size", "192x128", "--steps", "1", "--no-translate"]);
        cmd
    };
    ok(batch());
    let figures = dir.path().join("figures");
    let mut names = common::files(&figures);
    names.retain(|n| n.ends_with(".png"));
    assert_eq!(names.len(), 3, "{names:?}");
    let cover = figures.join(
        names
            .iter()
            .find(|n| n.starts_with("01-") && !n.contains(".untitled"))
            .unwrap(),
    );
    let rec = record(&cover);
    assert_eq!(rec.spec.title, "2026년 교통 계획");
    let plain = pixels(&figures.join(&rec.untitled));
    assert!(changed_only_inside(&plain, &pixels(&cover), rec.area) > 0);
    // The second figure is a plain one.
    let other = figures.join(names.iter().find(|n| n.starts_with("02-")).unwrap());
    assert!(read_titled_metadata(&other).unwrap().unwrap().1.is_none());
    // A re-run finds everything up to date (the plain picture is not a stray file).
    let r = ok(batch());
    assert!(!r.stderr.contains("untitled"), "{}", r.stderr);
    assert!(
        r.stdout.contains("0 generated, 2 up to date, 0 failed"),
        "{}",
        r.stdout
    );
    let mut again = common::files(&figures);
    again.retain(|n| n.ends_with(".png"));
    assert_eq!(again, names);

    // A first heading too long for a cover of this size: refused before any work, naming
    // the line of the cover figure.
    let long = "지역 균형 발전을 위한 ".repeat(12);
    std::fs::write(
        &outline,
        format!("# {long}\n\n그림: 시청 앞 광장 {{cover}}\n"),
    )
    .unwrap();
    let r = run(batch());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("outline.md:3"), "{}", r.stderr);
    assert!(r.stderr.contains("shorten it"), "{}", r.stderr);

    // No heading, no cover title: refused before any work.
    std::fs::write(&outline, "그림: 시청 앞 광장의 아침 {cover}\n").unwrap();
    let r = run(batch());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("has no heading"), "{}", r.stderr);
}

#[test]
fn compare_titles_every_single_image_and_keeps_each_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::reportfig_offline(dir.path());
    cmd.current_dir(dir.path())
        .args([
            "compare",
            "시청 앞 광장",
            "--styles",
            "paper-cut,flat-vector-infographic",
        ])
        .args([
            "--title",
            "2026년 업무 보고",
            "--title-layout",
            "bottom",
            "-o",
            "sheet.png",
        ])
        .arg("--model")
        .arg(common::tiny_turbo())
        .args(["--size", "192x128", "--steps", "1", "--no-translate"]);
    ok(cmd);
    let cells = dir.path().join("sheet");
    let mut names = common::files(&cells);
    names.retain(|n| n.ends_with(".png"));
    let titled: Vec<&String> = names
        .iter()
        .filter(|n| !n.ends_with(".untitled.png"))
        .collect();
    assert_eq!(titled.len(), 2, "{names:?}");
    assert_eq!(names.len(), 4, "{names:?}");
    for name in titled {
        let path = cells.join(name);
        let rec = record(&path);
        assert_eq!(rec.spec.layout, TitleLayout::Bottom);
        let plain = pixels(&cells.join(&rec.untitled));
        assert!(changed_only_inside(&plain, &pixels(&path), rec.area) > 0);
    }
}

/// `batch --cover` makes the first figure the cover without touching the outline.
#[test]
fn batch_cover_flag_titles_the_first_figure() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 2026년 교통 계획\n\n그림: 시청 앞 광장의 아침\n\n그림: 버스 전용 차로\n",
    )
    .unwrap();
    let mut cmd = common::reportfig_offline(dir.path());
    cmd.arg("batch")
        .arg(&outline)
        .arg("--model")
        .arg(common::tiny_turbo())
        .args([
            "--size",
            "192x128",
            "--steps",
            "1",
            "--no-translate",
            "--cover",
        ]);
    ok(cmd);
    let figures = dir.path().join("figures");
    let names = common::files(&figures);
    let first = names
        .iter()
        .find(|n| n.starts_with("01-") && n.ends_with(".png") && !n.contains(".untitled"))
        .unwrap();
    assert_eq!(record(&figures.join(first)).spec.title, "2026년 교통 계획");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("01-") && n.contains(".untitled")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("02-") && n.contains(".untitled")),
        "{names:?}"
    );
}

/// `batch --title` titles a text outline (no headings, no `{cover}`): the first figure
/// becomes the cover, with the subtitle and the batch-wide layout.
#[test]
fn batch_title_makes_a_cover_of_a_text_outline() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("captions.txt");
    std::fs::write(&outline, "시청 앞 광장의 아침\n버스 전용 차로\n").unwrap();
    let mut cmd = common::reportfig_offline(dir.path());
    cmd.arg("batch")
        .arg(&outline)
        .arg("--model")
        .arg(common::tiny_turbo())
        .args(["--size", "192x128", "--steps", "1", "--no-translate"])
        .args(["--title", "2026년 업무 보고", "--subtitle", "교통정책과"])
        .args(["--title-layout", "bottom"]);
    ok(cmd);
    let figures = dir.path().join("figures");
    let names = common::files(&figures);
    let first = names
        .iter()
        .find(|n| n.starts_with("01-") && n.ends_with(".png") && !n.contains(".untitled"))
        .unwrap();
    let rec = record(&figures.join(first));
    assert_eq!(rec.spec.title, "2026년 업무 보고");
    assert_eq!(rec.spec.subtitle.as_deref(), Some("교통정책과"));
    assert_eq!(rec.spec.layout, TitleLayout::Bottom);
    let plain = pixels(&figures.join(&rec.untitled));
    assert!(changed_only_inside(&plain, &pixels(&figures.join(first)), rec.area) > 0);
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("02-") && n.contains(".untitled")),
        "{names:?}"
    );
}

/// A cover's own `{cover layout=…}` wins over `--title-layout`; the first heading stays the
/// title when no `--title` is given; a cover elsewhere in the outline is not moved.
#[test]
fn a_cover_layout_in_the_outline_wins_over_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 2026년 교통 계획\n\n그림: 버스 전용 차로\n\n그림: 시청 앞 광장의 아침 {cover layout=band}\n",
    )
    .unwrap();
    let mut cmd = common::reportfig_offline(dir.path());
    cmd.arg("batch")
        .arg(&outline)
        .arg("--model")
        .arg(common::tiny_turbo())
        .args(["--size", "192x128", "--steps", "1", "--no-translate"])
        .args(["--title-layout", "center", "--subtitle", "교통정책과"]);
    ok(cmd);
    let figures = dir.path().join("figures");
    let names = common::files(&figures);
    let cover = names
        .iter()
        .find(|n| n.starts_with("02-") && n.ends_with(".png") && !n.contains(".untitled"))
        .unwrap();
    let rec = record(&figures.join(cover));
    assert_eq!(rec.spec.title, "2026년 교통 계획");
    assert_eq!(rec.spec.subtitle.as_deref(), Some("교통정책과"));
    assert_eq!(rec.spec.layout, TitleLayout::Band);
    assert_eq!(rec.backdrop, "band");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("01-") && n.contains(".untitled")),
        "the first figure stays plain: {names:?}"
    );
}

/// An unknown layout is refused before any work, naming the line, in both languages.
#[test]
fn an_unknown_cover_layout_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let outline = dir.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 2026년 교통 계획\n\n그림: 시청 앞 광장 {cover layout=middle}\n",
    )
    .unwrap();
    for (lang, needle) in [
        ("en", "outline.md:3: title layout \"middle\" is not one of"),
        ("ko", "3번째 줄: 제목 위치 \"middle\""),
    ] {
        let mut cmd = common::reportfig_offline(dir.path());
        cmd.args(["--lang", lang, "batch"])
            .arg(&outline)
            .arg("--model")
            .arg(common::tiny_turbo())
            .args(["--no-translate"]);
        let r = run(cmd);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(needle), "{}", r.stderr);
        assert!(r.stderr.contains("cover layout=band"), "{}", r.stderr);
    }
    assert!(!dir.path().join("figures").exists());
}
