//! `--dpi` and `--print` end to end on the tiny turbo model: the PNG's pixel size, its
//! `pHYs` chunk, and the print record in the metadata.

use std::path::Path;

use reportfig::output::{read_metadata, read_print_record, PrintRecord};

use crate::common::{self, run, tiny_turbo};

/// (width, height, pHYs as (x ppu, y ppu, unit is metre)) of a PNG.
fn png_facts(path: &Path) -> (u32, u32, Option<(u32, u32, bool)>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let info = reader.info();
    let phys = info
        .pixel_dims
        .map(|d| (d.xppu, d.yppu, d.unit == png::Unit::Meter));
    (info.width, info.height, phys)
}

fn generate(dir: &Path, out: &str, extra: &[&str]) -> common::Run {
    let mut cmd = common::reportfig_in(dir);
    cmd.args([
        "generate",
        "A city park in spring",
        "--no-translate",
        "--seed",
        "3",
    ])
    .args(["--steps", "1", "--model"])
    .arg(tiny_turbo())
    .args(["-o", out])
    .args(extra);
    run(&mut cmd)
}

#[test]
fn dpi_writes_phys_and_leaves_the_pixels_alone() {
    let dir = tempfile::tempdir().unwrap();
    let plain = generate(dir.path(), "plain.png", &["--size", "64x64"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let dpi = generate(dir.path(), "dpi.png", &["--size", "64x64", "--dpi", "300"]);
    assert_eq!(dpi.code, 0, "{}", dpi.stderr);

    assert_eq!(png_facts(&dir.path().join("plain.png")), (64, 64, None));
    // 300 / 0.0254 = 11811.02 pixels per metre.
    assert_eq!(
        png_facts(&dir.path().join("dpi.png")),
        (64, 64, Some((11811, 11811, true)))
    );
    assert_eq!(
        read_print_record(&dir.path().join("plain.png")).unwrap(),
        None
    );
    assert_eq!(
        read_print_record(&dir.path().join("dpi.png")).unwrap(),
        Some(PrintRecord {
            dpi: 300,
            page: None,
            upscaled_by: None
        })
    );
    // Same request, same pixels: only the chunk differs.
    let a = image::open(dir.path().join("plain.png")).unwrap().to_rgb8();
    let b = image::open(dir.path().join("dpi.png")).unwrap().to_rgb8();
    assert_eq!(a, b);
}

#[test]
fn dpi_out_of_range_is_refused_with_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    common::english_locale(&mut cmd);
    cmd.args(["generate", "x", "--dpi", "20"]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("50 to 1200"), "{}", r.stderr);
}

#[test]
fn print_a4_fills_the_page_at_300_dpi() {
    let dir = tempfile::tempdir().unwrap();
    let r = generate(dir.path(), "a4.png", &["--print", "a4"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = dir.path().join("a4.png");
    assert_eq!(png_facts(&path), (2480, 3508, Some((11811, 11811, true))));
    let rec = read_print_record(&path).unwrap().unwrap();
    assert_eq!(rec.dpi, 300);
    assert_eq!(rec.page.as_deref(), Some("a4"));
    assert_eq!(rec.upscaled_by.as_deref(), Some("lanczos3"));
    // The request records what was generated: the model's scale in A4's shape.
    let req = read_metadata(&path).unwrap().unwrap();
    assert_eq!((req.width, req.height), (424, 600));
    assert_eq!(req.crop_to_ratio, Some((210, 297)));
}

#[test]
fn print_slide_defaults_to_150_dpi_and_a_dpi_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = generate(dir.path(), "slide.png", &["--print", "slide"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 150 / 0.0254 = 5905.5 pixels per metre.
    assert_eq!(
        png_facts(&dir.path().join("slide.png")),
        (2000, 1125, Some((5906, 5906, true)))
    );
    let r = generate(dir.path(), "a5.png", &["--print", "a5", "--dpi", "100"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        png_facts(&dir.path().join("a5.png")),
        (583, 827, Some((3937, 3937, true)))
    );
}

#[test]
fn print_and_size_are_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    common::english_locale(&mut cmd);
    cmd.args(["generate", "x", "--print", "a4", "--size", "square"]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn print_uses_the_upscaler_folder_when_given_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let up = dir.path().join("tiny-upscaler");
    reportfig_testkit::upscale::write_tiny_upscaler(&up).unwrap();
    let mut cmd = common::reportfig_in(dir.path());
    common::english_locale(&mut cmd);
    cmd.args([
        "generate",
        "A city park in spring",
        "--no-translate",
        "--seed",
        "3",
    ])
    .args(["--steps", "1", "--model"])
    .arg(tiny_turbo())
    .args(["-o", "up.png", "--print", "slide", "--upscaler"])
    .arg(&up);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("upscaler tiny-upscaler (×4)"),
        "{}",
        r.stderr
    );
    let path = dir.path().join("up.png");
    assert_eq!(png_facts(&path), (2000, 1125, Some((5906, 5906, true))));
    let rec = read_print_record(&path).unwrap().unwrap();
    assert_eq!(
        rec.upscaled_by.as_deref(),
        Some("tiny-upscaler x4 + lanczos3")
    );

    // The same figure without it: Lanczos alone, said so, and other pixels.
    let mut cmd = common::reportfig_in(dir.path());
    common::english_locale(&mut cmd);
    cmd.args([
        "generate",
        "A city park in spring",
        "--no-translate",
        "--seed",
        "3",
    ])
    .args(["--steps", "1", "--model"])
    .arg(tiny_turbo())
    .args(["-o", "plain.png", "--print", "slide"]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("plain Lanczos resize"), "{}", r.stderr);
    let a = image::open(&path).unwrap().to_rgb8();
    let b = image::open(dir.path().join("plain.png")).unwrap().to_rgb8();
    assert_ne!(a, b);
}

#[test]
fn an_upscaler_folder_without_weights_is_refused_before_generating() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (lang, needle) in [
        ("en", "has no model.safetensors"),
        ("ko", "폴더에 model.safetensors 파일도 .pth 파일도 없습니다"),
    ] {
        let mut cmd = common::reportfig_in(dir.path());
        cmd.args(["--lang", lang, "generate", "x", "--no-translate", "--model"])
            .arg(tiny_turbo())
            .args(["--print", "a4", "--upscaler"])
            .arg(&empty);
        let r = run(&mut cmd);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(needle), "{}", r.stderr);
    }
    assert!(!common::files(dir.path())
        .iter()
        .any(|f| f.ends_with(".png")));
}

/// Every PNG under `dir`, recursively, sorted.
fn all_pngs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "png") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn batch_and_compare_take_dpi_and_print() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report");
    std::fs::create_dir_all(&report).unwrap();
    let outline = report.join("captions.txt");
    std::fs::write(&outline, "Smart bus stop\n").unwrap();
    let mut cmd = common::reportfig_offline(home.path());
    cmd.arg("batch")
        .arg(&outline)
        .args(["--model", tiny_turbo().to_str().unwrap()])
        .args([
            "--steps",
            "1",
            "--no-translate",
            "--print",
            "slide",
            "--dpi",
            "96",
        ]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let figures = all_pngs(&report.join("figures"));
    assert_eq!(figures.len(), 1, "{figures:?}");
    // 13.33 x 7.5 in at 96 dpi; 96 / 0.0254 = 3779.5.
    assert_eq!(
        png_facts(&figures[0]),
        (1280, 720, Some((3780, 3780, true)))
    );
    assert_eq!(
        read_print_record(&figures[0])
            .unwrap()
            .unwrap()
            .page
            .as_deref(),
        Some("slide")
    );

    let mut cmd = common::reportfig_offline(home.path());
    cmd.current_dir(home.path())
        .args(["compare", "Smart bus stop", "--seeds", "1,2"])
        .args(["--model", tiny_turbo().to_str().unwrap()])
        .args([
            "--size",
            "64x64",
            "--no-translate",
            "--dpi",
            "300",
            "-o",
            "sheet.png",
        ]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cells: Vec<_> = all_pngs(home.path())
        .into_iter()
        .filter(|p| !p.starts_with(&report) && p.file_name().unwrap() != "sheet.png")
        .collect();
    assert_eq!(cells.len(), 2, "{cells:?}");
    for c in &cells {
        assert_eq!(png_facts(c), (64, 64, Some((11811, 11811, true))));
    }
}

/// A title on a print-size picture is typeset after the enlargement, at the printed size;
/// the titled picture and the plain one beside it both carry the print record and pHYs, and
/// `retitle` keeps them.
#[test]
fn a_title_goes_on_the_enlarged_picture_and_both_files_keep_the_dpi() {
    let dir = tempfile::tempdir().unwrap();
    let r = generate(
        dir.path(),
        "cover.png",
        &[
            "--print",
            "a5",
            "--dpi",
            "50",
            "--title",
            "2026 교통 보고서",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let titled = dir.path().join("cover.png");
    let untitled = dir.path().join("cover.untitled.png");
    // A5 at 50 dpi: 148 x 210 mm; 50 / 0.0254 = 1968.5 pixels per metre.
    let expected = (291, 413, Some((1969, 1969, true)));
    assert_eq!(png_facts(&untitled), expected);
    assert_eq!(png_facts(&titled), expected, "the titled file keeps pHYs");
    let record = read_print_record(&untitled).unwrap().unwrap();
    assert_eq!(record.dpi, 50);
    assert_eq!(record.page.as_deref(), Some("a5"));
    assert_eq!(read_print_record(&titled).unwrap(), Some(record.clone()));

    // A new title, from either file, still says 50 dpi.
    for from in ["cover.png", "cover.untitled.png"] {
        let mut cmd = common::reportfig_in(dir.path());
        cmd.args(["retitle", from, "--title", "교통 계획"]);
        let r = run(&mut cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(png_facts(&titled), expected, "retitle from {from}");
        assert_eq!(read_print_record(&titled).unwrap(), Some(record.clone()));
    }
}

/// A picture made without `--dpi` stays without `pHYs` when titled: no DPI is invented.
#[test]
fn a_title_without_dpi_writes_no_phys() {
    let dir = tempfile::tempdir().unwrap();
    let r = generate(
        dir.path(),
        "cover.png",
        &["--size", "256x256", "--title", "교통 보고서"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(png_facts(&dir.path().join("cover.png")), (256, 256, None));
    assert_eq!(
        read_print_record(&dir.path().join("cover.png")).unwrap(),
        None
    );
}

/// Batch covers and compare's titled cells keep the DPI in their titled files too.
#[test]
fn batch_covers_and_compare_titles_keep_the_dpi() {
    let home = tempfile::tempdir().unwrap();
    let outline = home.path().join("outline.md");
    std::fs::write(
        &outline,
        "# 2026년 교통 계획\n\n그림: 시청 앞 광장 {cover}\n",
    )
    .unwrap();
    let mut cmd = common::reportfig_offline(home.path());
    cmd.arg("batch")
        .arg(&outline)
        .args(["--model", tiny_turbo().to_str().unwrap()])
        .args(["--size", "192x128", "--steps", "1", "--no-translate"])
        .args(["--dpi", "300"]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let figures = all_pngs(&home.path().join("figures"));
    assert_eq!(figures.len(), 2, "{figures:?}");
    for f in &figures {
        assert_eq!(
            png_facts(f),
            (192, 128, Some((11811, 11811, true))),
            "{f:?}"
        );
        assert_eq!(read_print_record(f).unwrap().unwrap().dpi, 300, "{f:?}");
    }

    let mut cmd = common::reportfig_offline(home.path());
    cmd.current_dir(home.path())
        .args(["compare", "Smart bus stop", "--seeds", "1"])
        .args(["--model", tiny_turbo().to_str().unwrap()])
        .args(["--size", "192x128", "--no-translate", "--dpi", "96"])
        .args(["--title", "교통 보고서", "-o", "sheet.png"]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cells = all_pngs(&home.path().join("sheet"));
    assert_eq!(
        cells.len(),
        2,
        "a titled cell and its plain picture: {cells:?}"
    );
    for c in &cells {
        assert_eq!(png_facts(c), (192, 128, Some((3780, 3780, true))), "{c:?}");
    }
}

/// The preset's pinned repo and commit (configs/presets.toml).
const UPSCALER_REPO: &str = "clavidk/realesr-general-x4v3";
const UPSCALER_COMMIT: &str = "6aecc46ba1fc8cfdfe8643f090782e2e62c044cd";

fn print_with_upscaler(home: &Path, out: &str, upscaler: &str, lang: &str) -> common::Run {
    print_with_upscaler_and(home, out, upscaler, lang, &[])
}

/// [`print_with_upscaler`] with `extra` arguments (a `--dpi`).
fn print_with_upscaler_and(
    home: &Path,
    out: &str,
    upscaler: &str,
    lang: &str,
    extra: &[&str],
) -> common::Run {
    let mut cmd = common::reportfig_offline(home);
    cmd.current_dir(home)
        .args(["--lang", lang, "generate", "A city park in spring"])
        .args(["--no-translate", "--seed", "3", "--steps", "1", "--model"])
        .arg(tiny_turbo())
        // At the slide's own 150 dpi (2000 x 1125): larger than the tiny model's picture, so
        // the upscaler runs; a lower --dpi would make a reduction, which Lanczos does alone.
        .args(["-o", out, "--print", "slide"])
        .args(["--upscaler", upscaler])
        .args(extra);
    run(&mut cmd)
}

/// `--upscaler realesr-general-x4v3` with the released `.pth` put in the data folder by hand
/// (no hub, no conversion, no Python), and `--upscaler FILE.pth` directly.
#[test]
fn an_upscaler_preset_is_found_in_the_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let folder = home
        .path()
        .join("data/reportfig/upscalers/realesr-general-x4v3");
    std::fs::create_dir_all(&folder).unwrap();
    let pth = folder.join("realesr-general-x4v3.pth");
    std::fs::copy(common::tiny_upscaler_pth(), &pth).unwrap();

    let r = print_with_upscaler(home.path(), "preset.png", "realesr-general-x4v3", "en");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("upscaler realesr-general-x4v3 (×4)"),
        "{}",
        r.stderr
    );
    let path = home.path().join("preset.png");
    // 13.33 x 7.5 in at 150 dpi.
    assert_eq!(png_facts(&path), (2000, 1125, Some((5906, 5906, true))));
    let rec = read_print_record(&path).unwrap().unwrap();
    assert_eq!(
        rec.upscaled_by.as_deref(),
        Some("realesr-general-x4v3 x4 + lanczos3")
    );

    // The file itself, named by path: the same network, the same pixels.
    let r = print_with_upscaler(home.path(), "file.png", pth.to_str().unwrap(), "en");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = image::open(&path).unwrap().to_rgb8();
    let b = image::open(home.path().join("file.png")).unwrap().to_rgb8();
    assert_eq!(a, b);
}

/// At 50 dpi the slide (667 x 375) is smaller than the picture the model makes for it: the
/// upscaler is not run, and the note says so instead of announcing an enlargement.
#[test]
fn a_page_smaller_than_the_picture_is_only_resized_and_the_note_says_so() {
    let home = tempfile::tempdir().unwrap();
    let pth = common::tiny_upscaler_pth();
    let r = print_with_upscaler_and(
        home.path(),
        "small.png",
        pth.to_str().unwrap(),
        "en",
        &["--dpi", "50"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("667 x 375 pixels, no larger than the picture"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("with the upscaler"), "{}", r.stderr);
    let path = home.path().join("small.png");
    assert_eq!(png_facts(&path).0, 667);
    let rec = read_print_record(&path).unwrap().unwrap();
    assert_eq!(rec.upscaled_by.as_deref(), Some("lanczos3"));
}

/// Offline, the preset is found in the Hugging Face cache where `models fetch` or
/// `models import` put it.
#[test]
fn an_upscaler_preset_is_found_in_the_hub_cache_offline() {
    let home = tempfile::tempdir().unwrap();
    let snapshot = home.path().join("snapshot");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::copy(
        common::tiny_upscaler_pth(),
        snapshot.join("realesr-general-x4v3.pth"),
    )
    .unwrap();
    common::cache_from_folder(
        &home.path().join("hf/hub"),
        UPSCALER_REPO,
        UPSCALER_COMMIT,
        &snapshot,
    );
    let r = print_with_upscaler(home.path(), "cached.png", "realesr-general-x4v3", "en");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rec = read_print_record(&home.path().join("cached.png"))
        .unwrap()
        .unwrap();
    assert_eq!(
        rec.upscaled_by.as_deref(),
        Some("realesr-general-x4v3 x4 + lanczos3")
    );
}

/// Offline with nothing downloaded: refused before generating, with the release to download
/// by hand and the folder to put it in, in both languages; an unknown name lists the presets.
#[test]
fn a_missing_upscaler_preset_says_where_to_get_it() {
    let home = tempfile::tempdir().unwrap();
    let folder = home
        .path()
        .join("data/reportfig/upscalers/realesr-general-x4v3");
    for (lang, needle) in [
        ("en", "is not on this computer"),
        ("ko", "이 컴퓨터에 없고"),
    ] {
        let r = print_with_upscaler(home.path(), "x.png", "realesr-general-x4v3", lang);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(needle), "{}", r.stderr);
        assert!(
            r.stderr.contains(
                "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.2.5.0/realesr-general-x4v3.pth"
            ),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(folder.to_str().unwrap()), "{}", r.stderr);
        assert!(
            r.stderr.contains("models fetch realesr-general-x4v3"),
            "{}",
            r.stderr
        );
    }
    let r = print_with_upscaler(home.path(), "x.png", "esrgan", "en");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no upscaler \"esrgan\""), "{}", r.stderr);
    assert!(r.stderr.contains("realesr-general-x4v3"), "{}", r.stderr);
    assert!(!all_pngs(home.path()).iter().any(|p| p.ends_with("x.png")));
}
