//! `reportfig compare` end to end through the binary, on a tiny turbo model (64x64).

use std::path::Path;

use assert_cmd::Command;
use reportfig::compare::{layout_sheet, ContactSheet, SheetCell, SheetFont, SHEET_KEYWORD};

use crate::common;
use common::{ok, reportfig_offline, run, tiny_turbo};

fn compare(home: &Path, args: &[&str]) -> Command {
    let mut cmd = reportfig_offline(home);
    cmd.current_dir(home).arg("compare").args(args).args([
        "--model",
        tiny_turbo().to_str().unwrap(),
        "--size",
        "64x64",
        // Korean as typed: translation has its own tests (cli_translate.rs).
        "--no-translate",
    ]);
    cmd
}

/// The sheet as described by its own metadata, with the single images read back from disk.
fn sheet_from_files(sheet_png: &Path) -> (ContactSheet, serde_json::Value) {
    let meta: serde_json::Value = serde_json::from_str(
        &reportfig::output::read_text_chunk(sheet_png, SHEET_KEYWORD)
            .unwrap()
            .expect("the sheet carries its metadata"),
    )
    .unwrap();
    let cell_dir = sheet_png.with_extension("");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let mut rows: Vec<Vec<SheetCell>> = Vec::new();
    for cell in meta["cells"].as_array().unwrap() {
        let (r, c) = (
            cell["row"].as_u64().unwrap() as usize,
            cell["column"].as_u64().unwrap() as usize,
        );
        if rows.len() <= r {
            rows.push(Vec::new());
        }
        assert_eq!(rows[r].len(), c);
        let file = cell["file"].as_str().unwrap().to_string();
        let image = image::open(cell_dir.join(&file)).unwrap().to_rgb8();
        // Every single image records the request it was made from.
        let req = reportfig::output::read_metadata(&cell_dir.join(&file))
            .unwrap()
            .unwrap();
        assert_eq!(serde_json::to_value(&req).unwrap(), cell["parameters"]);
        rows[r].push(SheetCell {
            image,
            label_lines: strings(&cell["label"]),
            params_json: cell["parameters"].clone(),
            file: Some(file),
            snippet: cell["snippet"].as_str().map(str::to_string),
            snippet_note: None,
        });
    }
    let sheet = ContactSheet {
        header: meta["header"].as_str().unwrap().to_string(),
        column_labels: strings(&meta["columns"]),
        row_labels: strings(&meta["rows"]),
        rows,
        legend: strings(&meta["legend"]),
    };
    (sheet, meta)
}

fn has_ink(img: &image::RgbImage, r: reportfig::compare::Rect) -> bool {
    (r.y..r.y + r.height).any(|y| {
        (r.x..r.x + r.width).any(|x| {
            let p = img.get_pixel(x, y).0;
            p.iter().any(|&v| v < 128)
        })
    })
}

#[test]
fn styles_by_seeds_sheet_with_korean_labels() {
    let home = tempfile::tempdir().unwrap();
    let r = ok(compare(
        home.path(),
        &[
            "버스 전용차로 확대",
            "--styles",
            "isometric-city,watercolor-cityscape,line-icons",
            "--seeds",
            "1,2",
            "--steps",
            "1",
        ],
    ));
    // The sheet, then its page.
    let printed: Vec<&str> = r.stdout.lines().collect();
    let sheet_png = home.path().join(printed[0]);
    assert_eq!(
        sheet_png.file_name().unwrap(),
        "비교-버스-전용차로-확대.png"
    );
    assert_eq!(
        home.path().join(printed[1]),
        home.path().join("비교-버스-전용차로-확대/index.html")
    );
    let (sheet, meta) = sheet_from_files(&sheet_png);
    assert_eq!(sheet.dimensions().unwrap(), (2, 3));
    assert_eq!(sheet.header, "버스 전용차로 확대");
    assert_eq!(sheet.row_labels, ["seed 1", "seed 2"]);
    assert_eq!(meta["cell_width"], 64);
    // Style titles in Korean and English head each label.
    let first = &sheet.rows[0][0].label_lines;
    assert!(
        first[0].chars().any(|c| ('가'..='힣').contains(&c)) && first[0].contains('('),
        "{first:?}"
    );
    // The drawn sheet has exactly the size the layout gives for 2x3 cells of 64x64, and
    // every label band has text drawn in it.
    let font = SheetFont::bundled();
    let layout = layout_sheet(&sheet, &font).unwrap();
    let img = image::open(&sheet_png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (layout.width, layout.height));
    for (r, row) in layout.labels.iter().enumerate() {
        for (c, band) in row.iter().enumerate() {
            assert!(has_ink(&img, *band), "label band r{r} c{c} is empty");
            let pic = layout.images[r][c];
            assert_eq!((pic.width, pic.height), (64, 64));
        }
    }
    // Same seed across a row, different seeds down a column.
    for (r, row) in sheet.rows.iter().enumerate() {
        for cell in row {
            assert_eq!(cell.params_json["seed"], [1, 2][r]);
        }
    }
    let dir = sheet_png.with_extension("");
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains(&format!(
        "href=\"../{}\"",
        reportfig::text::url_path("비교-버스-전용차로-확대.png")
    )));
    for row in &sheet.rows {
        for cell in row {
            let f = cell.file.as_deref().unwrap();
            assert!(
                html.contains(&format!("src=\"{}\"", reportfig::text::url_path(f))),
                "{f}"
            );
            assert!(dir.join(f).exists());
        }
    }

    // Existing files are not replaced without --force.
    let again = run(compare(
        home.path(),
        &[
            "버스 전용차로 확대",
            "--styles",
            "isometric-city",
            "--steps",
            "1",
        ],
    ));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn vary_axes_make_columns_and_rows() {
    let home = tempfile::tempdir().unwrap();
    // guidance 0 and 1 both run without guidance: identical settings for the pipeline, so
    // the images of a row must be identical; the rows (steps 1 and 2) differ.
    let r = ok(compare(
        home.path(),
        &[
            "Bike lanes",
            "--vary",
            "steps=1,2",
            "--vary",
            "guidance=0,1",
            "-o",
            "grid.png",
        ],
    ));
    assert_eq!(r.stdout.trim(), "grid.png\ngrid/index.html");
    let (sheet, _) = sheet_from_files(&home.path().join("grid.png"));
    assert_eq!(sheet.dimensions().unwrap(), (2, 2));
    assert_eq!(sheet.row_labels, ["steps 1\nseed 1", "steps 2\nseed 1"]);
    for row in &sheet.rows {
        assert_eq!(
            row[0].image, row[1].image,
            "same seed, same effective settings"
        );
    }
    assert_ne!(sheet.rows[0][0].image, sheet.rows[1][0].image);
    // The row label says steps 2; the cell names only what changes along the row.
    assert_eq!(sheet.rows[1][1].label_lines, ["(no style)", "guidance 1"]);
    let names: Vec<_> = sheet
        .rows
        .iter()
        .flatten()
        .map(|c| c.file.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "화풍없음-시드-1-단계-1-지침강도-0.png",
            "화풍없음-시드-1-단계-1-지침강도-1.png",
            "화풍없음-시드-1-단계-2-지침강도-0.png",
            "화풍없음-시드-1-단계-2-지침강도-1.png"
        ]
    );
}

/// A warning that concerns some cells only names them: here the negative prompt is ignored
/// where guidance is off (column 1) but used where it is on (column 2).
#[test]
fn warnings_name_the_cells_they_concern() {
    let home = tempfile::tempdir().unwrap();
    let r = ok(compare(
        home.path(),
        &[
            "Bike lanes",
            "--negative",
            "blurry",
            "--vary",
            "guidance=0,3",
            "-o",
            "neg.png",
        ],
    ));
    let warning = r
        .stderr
        .lines()
        .find(|l| l.contains("negative"))
        .unwrap_or_else(|| panic!("no warning about the negative prompt: {}", r.stderr));
    assert!(warning.contains("row 1, column 1 (no style)"), "{warning}");
    assert!(!warning.contains("column 2"), "{warning}");
}

#[test]
fn bad_vary_and_missing_glyphs_fail_before_any_work() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["Parks", "--vary", "colour=red,blue"],
            "--vary colour=red,blue: there is no axis \"colour\"; the axes are steps, guidance, sampler, strength, model",
        ),
        (&["Parks", "--vary", "steps=0,2"], "--vary steps=0,2: \"0\" is not a number of steps"),
        (&["Parks", "--vary", "sampler=euler,magic"], "--vary sampler=euler,magic:"),
        (
            &["Parks", "--vary", "steps=1", "--vary", "steps=2"],
            "--vary steps is given twice",
        ),
        (&["Parks", "--styles", "no-such-style"], "no-such-style"),
    ];
    for (args, expected) in cases {
        let r = run(compare(home.path(), args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{args:?}: {}", r.stderr);
    }
    // The problem itself reads in Korean too, not only its frame and hint.
    let mut korean = compare(home.path(), &["Parks", "--vary", "colour=red,blue"]);
    korean.env("LANG", "ko_KR.UTF-8");
    let r = run(korean);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("\"colour\"이라는 비교 항목은 없습니다")
            && !r.stderr.contains("there is no axis"),
        "{}",
        r.stderr
    );
    let r = run(compare(home.path(), &["Parks ☃", "--steps", "1"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("'☃' (U+2603)") && r.stderr.contains("--font"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("loading"),
        "checked before the model loads"
    );
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with("compare"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
