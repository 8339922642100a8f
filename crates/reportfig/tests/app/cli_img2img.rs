//! `generate --init-image FILE --strength S`: an illustration that starts from the user's own
//! picture, recorded in the PNG, and the errors a user meets on the way.

use std::path::Path;

use crate::common::{ok, reportfig_offline, run, sha256_hex, tiny_turbo};
use image::{Rgb, RgbImage};
use reportfig::output::read_metadata;

/// A picture with a clear layout: a bright disc on the left of a dark field.
fn photo(path: &Path, width: u32, height: u32) {
    RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (
            x as f64 - width as f64 * 0.3,
            y as f64 - height as f64 * 0.5,
        );
        if (dx * dx + dy * dy).sqrt() < height as f64 * 0.3 {
            Rgb([250, 230, 40])
        } else {
            Rgb([20, 40, 90])
        }
    })
    .save(path)
    .unwrap();
}

fn generate(home: &Path, out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = reportfig_offline(home);
    cmd.args(["generate", "Bus stop", "--model"])
        .arg(tiny_turbo())
        .args(["--steps", "4", "--seed", "7", "-o"])
        .arg(out)
        .args(extra);
    cmd
}

#[test]
fn an_image_starts_from_the_picture_and_records_it() {
    let home = tempfile::tempdir().unwrap();
    let pic = home.path().join("시청 사진.png");
    photo(&pic, 96, 64);
    let size = ["--size", "64x64"];
    let plain = home.path().join("plain.png");
    ok(generate(home.path(), &plain, &size));
    let mut made = Vec::new();
    for strength in ["0.5", "1"] {
        let out = home.path().join(format!("from-photo-{strength}.png"));
        let mut args = vec![
            "--init-image",
            pic.to_str().unwrap(),
            "--strength",
            strength,
        ];
        args.extend(size);
        ok(generate(home.path(), &out, &args));
        let meta = read_metadata(&out).unwrap().unwrap();
        let init = meta
            .init_image
            .expect("the PNG records its starting picture");
        assert_eq!(init.file, "시청 사진.png");
        assert_eq!(init.sha256, sha256_hex(&std::fs::read(&pic).unwrap()));
        assert_eq!(init.strength, strength.parse::<f64>().unwrap());
        made.push(image::open(&out).unwrap().to_rgb8());
    }
    let plain = image::open(&plain).unwrap().to_rgb8();
    assert_eq!(made[0].dimensions(), (64, 64));
    assert_ne!(made[0], plain, "the picture changed the result");
    assert_ne!(made[0], made[1], "the strength changed the result");
    assert_eq!(
        read_metadata(&home.path().join("plain.png"))
            .unwrap()
            .unwrap()
            .init_image,
        None
    );

    // The same command again makes the same picture: the seed and the file decide it.
    let again = home.path().join("again.png");
    let mut args = vec!["--init-image", pic.to_str().unwrap(), "--strength", "0.5"];
    args.extend(size);
    ok(generate(home.path(), &again, &args));
    assert_eq!(image::open(&again).unwrap().to_rgb8(), made[0]);
}

/// Without --size the photo keeps its shape at the model's scale (the tiny turbo model
/// reads as SD-Turbo, 512 px): a 3:2 landscape photo gives a landscape image.
#[test]
fn without_a_size_the_photo_keeps_its_shape() {
    let home = tempfile::tempdir().unwrap();
    let pic = home.path().join("harbour.png");
    photo(&pic, 150, 100);
    let out = home.path().join("harbour-style.png");
    ok(generate(
        home.path(),
        &out,
        &["--init-image", pic.to_str().unwrap(), "--strength", "0.25"],
    ));
    let (w, h) = image::image_dimensions(&out).unwrap();
    assert!(w > h, "{w}x{h}");
    assert_eq!((w % 8, h % 8), (0, 0));
    let ratio = w as f64 / h as f64;
    assert!((ratio - 1.5).abs() < 0.1, "{w}x{h}");
    // Around the model's 512x512 area.
    let area = (w * h) as f64 / (512.0 * 512.0);
    assert!((0.8..1.25).contains(&area), "{w}x{h}");
}

#[test]
fn bad_pictures_and_strengths_are_bad_input_in_both_languages() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("x.png");
    let pic = home.path().join("photo.png");
    photo(&pic, 96, 64);
    let text = home.path().join("notes.jpg");
    std::fs::write(&text, "meeting notes, not a photo").unwrap();
    let small = home.path().join("icon.png");
    photo(&small, 48, 48);
    let missing = home.path().join("missing.jpg");
    let p = |p: &Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            vec!["--init-image".into(), p(&missing)],
            "cannot read the starting picture",
            "시작 그림",
        ),
        (
            vec!["--init-image".into(), p(&text)],
            "is not a PNG or JPEG picture",
            "PNG나 JPEG 그림이 아닙니다",
        ),
        (
            vec!["--init-image".into(), p(&small)],
            "is 48x48; it needs at least 64 pixels",
            "64픽셀 이상",
        ),
        (
            vec![
                "--init-image".into(),
                p(&pic),
                "--strength".into(),
                "0".into(),
            ],
            "--strength 0 must be above 0 and at most 1",
            "0보다 크고 1 이하",
        ),
        (
            vec![
                "--init-image".into(),
                p(&pic),
                "--strength".into(),
                "1.5".into(),
            ],
            "--strength 1.5 must be above 0",
            "0보다 크고 1 이하",
        ),
        (
            vec!["--strength".into(), "0.5".into()],
            "--strength only applies to a starting picture; add --init-image FILE",
            "--init-image 파일을 함께",
        ),
        (
            vec![
                "--init-image".into(),
                p(&pic),
                "--strength".into(),
                "0.2".into(),
            ],
            "4 steps at --strength 0.2 leave no step to run; use --strength 0.25 or more",
            "--strength를 0.25 이상으로",
        ),
    ];
    for (args, en, ko) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(generate(home.path(), &out, &args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(en), "{args:?}: {}", r.stderr);
        assert!(r.stderr.lines().count() <= 3, "{args:?}: {}", r.stderr);
        let mut korean = generate(home.path(), &out, &args);
        korean.env("LANG", "ko_KR.UTF-8");
        let r = run(korean);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(ko), "{args:?}: {}", r.stderr);
        assert!(!out.exists(), "{args:?}: nothing is written");
    }
}

/// `compare --init-image --vary strength=…`: one column per strength, each cell recording
/// the strength it was made with, and the legend saying what the word means.
#[test]
fn compare_varies_the_strength_of_one_picture() {
    let home = tempfile::tempdir().unwrap();
    let pic = home.path().join("harbour.png");
    photo(&pic, 64, 64);
    let compare = |args: &[&str]| {
        let mut cmd = reportfig_offline(home.path());
        cmd.current_dir(home.path())
            .arg("compare")
            .args(args)
            .args(["--model", tiny_turbo().to_str().unwrap(), "--size", "64x64"])
            .args(["--steps", "4", "--no-translate"]);
        cmd
    };
    let r = ok(compare(&[
        "Harbour",
        "--init-image",
        pic.to_str().unwrap(),
        "--vary",
        "strength=0.5,1",
        "-o",
        "sheet.png",
    ]));
    assert_eq!(r.stdout.trim(), "sheet.png\nsheet/index.html");
    let mut files: Vec<_> = std::fs::read_dir(home.path().join("sheet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["화풍없음-시드-1-변경-0-5.png", "화풍없음-시드-1-변경-1.png"]
    );
    let strengths: Vec<f64> = files
        .iter()
        .map(|p| {
            read_metadata(p)
                .unwrap()
                .unwrap()
                .init_image
                .unwrap()
                .strength
        })
        .collect();
    assert_eq!(strengths, [0.5, 1.0]);
    assert_ne!(
        image::open(&files[0]).unwrap().to_rgb8(),
        image::open(&files[1]).unwrap().to_rgb8()
    );
    let page = std::fs::read_to_string(home.path().join("sheet/index.html")).unwrap();
    assert!(
        page.contains("strength: how much of the starting picture"),
        "legend"
    );
    assert!(
        page.contains("--strength 0.5"),
        "the reuse snippet names the strength"
    );

    let r = run(compare(&[
        "Harbour",
        "--vary",
        "strength=0.5,1",
        "-o",
        "x.png",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("add --init-image FILE"), "{}", r.stderr);
    let r = run(compare(&[
        "Harbour",
        "--init-image",
        pic.to_str().unwrap(),
        "--vary",
        "strength=0,2",
        "-o",
        "x.png",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("\"0\" is not a strength"), "{}", r.stderr);
}

/// A turbo model's usual single step still runs from a picture: without --steps the
/// schedule is lengthened to 2, of which the last runs at strength 0.6.
#[test]
fn without_steps_the_model_still_runs_its_usual_steps() {
    let home = tempfile::tempdir().unwrap();
    let pic = home.path().join("hall.png");
    photo(&pic, 64, 64);
    let out = home.path().join("hall-style.png");
    let mut cmd = reportfig_offline(home.path());
    cmd.args(["generate", "City hall", "--model"])
        .arg(tiny_turbo())
        .args(["--size", "64x64", "--seed", "3", "--init-image"])
        .arg(&pic)
        .arg("-o")
        .arg(&out);
    ok(cmd);
    let meta = read_metadata(&out).unwrap().unwrap();
    assert_eq!(meta.steps, 2);
    assert_eq!(meta.init_image.unwrap().strength, 0.6);
}

fn batch(home: &Path, outline: &Path) -> assert_cmd::Command {
    let mut cmd = reportfig_offline(home);
    cmd.arg("batch")
        .arg(outline)
        .args(["--model", tiny_turbo().to_str().unwrap()])
        .args(["--size", "64x64", "--steps", "4", "--no-translate"]);
    cmd
}

/// `{image=… strength=…}` in Markdown and an `image` column in CSV: paths from the outline's
/// folder, each figure recording its picture, a re-run skipping what is up to date and
/// remaking a figure whose photo changed.
#[test]
fn batch_figures_start_from_pictures_beside_the_outline() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report");
    std::fs::create_dir_all(report.join("photos")).unwrap();
    photo(&report.join("photos/harbour.png"), 96, 64);
    photo(&report.join("photos/park.png"), 64, 64);
    let outline = report.join("outline.md");
    std::fs::write(
        &outline,
        "# 2026 항만 보고서\n\n## 1. 항만\n\n그림: 영일만 항구 {image=photos/harbour.png strength=0.5}\n\n그림: 해도 공원 {image=./photos/park.png}\n\n## 2. 교통\n\n그림: 버스 정류장\n",
    )
    .unwrap();
    ok(batch(home.path(), &outline));
    let figures = report.join("figures");
    let meta = |name: &str| read_metadata(&figures.join(name)).unwrap().unwrap();
    let harbour = meta("01-영일만-항구.png").init_image.unwrap();
    assert_eq!(
        (harbour.file.as_str(), harbour.strength),
        ("harbour.png", 0.5)
    );
    let park = meta("02-해도-공원.png").init_image.unwrap();
    assert_eq!((park.file.as_str(), park.strength), ("park.png", 0.6));
    assert_eq!(meta("03-버스-정류장.png").init_image, None);

    let r = ok(batch(home.path(), &outline));
    assert!(
        r.stdout.starts_with("0 generated, 3 up to date"),
        "{}",
        r.stdout
    );
    photo(&report.join("photos/park.png"), 80, 64);
    let r = ok(batch(home.path(), &outline));
    assert!(
        r.stdout.starts_with("1 generated, 2 up to date"),
        "{}",
        r.stdout
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("02-해도-공원.png") && all.contains("starting picture"),
        "{all}"
    );

    let csv = report.join("figures.csv");
    std::fs::write(
        &csv,
        "caption,image,strength\n항구,photos/harbour.png,0.75\n공원,,\n",
    )
    .unwrap();
    let mut cmd = batch(home.path(), &csv);
    cmd.arg("--out").arg(report.join("csv-figures"));
    ok(cmd);
    let made = read_metadata(&report.join("csv-figures/01-항구.png"))
        .unwrap()
        .unwrap();
    assert_eq!(made.init_image.unwrap().strength, 0.75);
    let plain = read_metadata(&report.join("csv-figures/02-공원.png"))
        .unwrap()
        .unwrap();
    assert_eq!(plain.init_image, None);
}

/// An outline may only name pictures inside its own folder tree: an outline passed around,
/// or uploaded to a shared server, must not read other files on the machine.
#[test]
fn batch_refuses_pictures_outside_the_outline_folder() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report");
    std::fs::create_dir_all(report.join("photos")).unwrap();
    photo(&home.path().join("secret.png"), 64, 64);
    photo(&report.join("photos/ok.png"), 64, 64);
    std::fs::write(report.join("photos/notes.png"), "not a picture").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        home.path().join("secret.png"),
        report.join("photos/link.png"),
    )
    .unwrap();
    let secret = home.path().join("secret.png");
    let mut cases = vec![
        (
            "image=../secret.png".to_string(),
            "leaves the outline's folder",
            "폴더 밖(..)",
        ),
        (
            format!("image={}", secret.display()),
            "is an absolute path",
            "전체 경로",
        ),
        ("image=photos/none.png".into(), "does not exist", "없습니다"),
        (
            "image=photos".into(),
            "is a folder, not a picture",
            "폴더입니다",
        ),
        (
            "image=photos/ok.png strength=2".into(),
            "must be a number above 0",
            "0보다 크고",
        ),
        (
            "strength=0.5".into(),
            "strength= and mask= only apply to a starting picture",
            "시작 그림",
        ),
        (
            "image=photos/notes.png".into(),
            "is not a PNG or JPEG picture",
            "PNG나 JPEG 그림이 아닙니다",
        ),
    ];
    #[cfg(unix)]
    cases.push((
        "image=photos/link.png".into(),
        "link to a file outside the outline's folder",
        "링크",
    ));
    for (settings, en, ko) in cases {
        let outline = report.join("outline.md");
        std::fs::write(&outline, format!("# 보고서\n\n그림: 항구 {{{settings}}}\n")).unwrap();
        let r = run(batch(home.path(), &outline));
        assert_eq!(r.code, 2, "{settings}: {}", r.stderr);
        assert!(r.stderr.contains(en), "{settings}: {}", r.stderr);
        assert!(r.stderr.contains("outline.md"), "{settings}: {}", r.stderr);
        let mut korean = batch(home.path(), &outline);
        korean.env("LANG", "ko_KR.UTF-8");
        let r = run(korean);
        assert_eq!(r.code, 2, "{settings}: {}", r.stderr);
        assert!(r.stderr.contains(ko), "{settings}: {}", r.stderr);
        assert!(
            !report.join("figures").exists(),
            "{settings}: nothing written"
        );
    }
}

/// `--mask FILE`: only the white region is repainted. With an ordinary model the latents are
/// blended every step; an inpainting model (9-channel UNet) reads the mask itself and
/// refuses to draw without one.
#[test]
fn a_mask_repaints_only_its_white_region() {
    let home = tempfile::tempdir().unwrap();
    let pic = home.path().join("square.png");
    photo(&pic, 64, 64);
    let mask = home.path().join("sky.png");
    image::GrayImage::from_fn(64, 64, |_, y| image::Luma([if y < 32 { 255 } else { 0 }]))
        .save(&mask)
        .unwrap();
    let small_mask = home.path().join("small-mask.png");
    image::GrayImage::new(64, 80).save(&small_mask).unwrap();

    let plain = home.path().join("plain.png");
    let masked = home.path().join("masked.png");
    let start = ["--init-image", pic.to_str().unwrap(), "--size", "64x64"];
    ok(generate(home.path(), &plain, &start));
    let mut args = start.to_vec();
    args.extend(["--mask", mask.to_str().unwrap()]);
    ok(generate(home.path(), &masked, &args));
    let meta = read_metadata(&masked).unwrap().unwrap();
    let recorded = meta
        .init_image
        .unwrap()
        .mask
        .expect("the PNG records the mask");
    assert_eq!(recorded.file, "sky.png");
    assert_eq!(recorded.sha256, sha256_hex(&std::fs::read(&mask).unwrap()));
    assert_ne!(
        image::open(&plain).unwrap().to_rgb8(),
        image::open(&masked).unwrap().to_rgb8()
    );

    let mut args = start.to_vec();
    args.extend(["--mask", small_mask.to_str().unwrap()]);
    let r = run(generate(home.path(), &home.path().join("x.png"), &args));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("is 64x80 but the starting picture is 64x64"),
        "{}",
        r.stderr
    );

    // An inpainting model: refused without a mask, in the user's language; fine with one.
    let inpaint = home.path().join("inpaint-model");
    reportfig_testkit::write_tiny_inpaint_model(&inpaint, reportfig_testkit::TinyFamily::Sd15)
        .unwrap();
    let with_model = |out: &Path, extra: &[&str], lang: &str| {
        let mut cmd = reportfig_offline(home.path());
        cmd.env("LANG", lang)
            .args(["generate", "Bus stop", "--model"])
            .arg(&inpaint)
            .args(["--size", "64x64", "--steps", "2", "--seed", "1", "-o"])
            .arg(out)
            .args(extra);
        cmd
    };
    let out = home.path().join("inpainted.png");
    let r = run(with_model(&out, &[], "C.UTF-8"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("this is an inpainting model"),
        "{}",
        r.stderr
    );
    let r = run(with_model(&out, &[], "ko_KR.UTF-8"));
    assert!(r.stderr.contains("인페인팅"), "{}", r.stderr);
    assert!(!out.exists());
    let mut args = vec!["--init-image", pic.to_str().unwrap()];
    args.extend(["--mask", mask.to_str().unwrap(), "--strength", "1"]);
    ok(with_model(&out, &args, "C.UTF-8"));
    assert!(read_metadata(&out)
        .unwrap()
        .unwrap()
        .init_image
        .unwrap()
        .mask
        .is_some());
}

/// `{image=… mask=…}` in an outline: the figure is inpainted, the same photo with and
/// without a mask are two figures, and the review page's snippet names both files.
#[test]
fn batch_figures_can_repaint_only_a_masked_region() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report");
    std::fs::create_dir_all(report.join("photos")).unwrap();
    photo(&report.join("photos/hall.png"), 64, 64);
    image::GrayImage::from_fn(64, 64, |_, y| image::Luma([if y < 32 { 255 } else { 0 }]))
        .save(report.join("photos/sky.png"))
        .unwrap();
    let outline = report.join("outline.md");
    std::fs::write(
        &outline,
        "# 보고서\n\n그림: 시청 하늘 {image=photos/hall.png mask=photos/sky.png seed=4}\n\n그림: 시청 {image=photos/hall.png seed=4}\n\n그림: 가림만 {mask=photos/sky.png}\n",
    )
    .unwrap();
    let r = run(batch(home.path(), &outline));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("strength= and mask= only apply"),
        "{}",
        r.stderr
    );

    std::fs::write(
        &outline,
        "# 보고서\n\n그림: 시청 하늘 {image=photos/hall.png mask=photos/sky.png seed=4}\n\n그림: 시청 {image=photos/hall.png seed=4}\n",
    )
    .unwrap();
    ok(batch(home.path(), &outline));
    let figures = report.join("figures");
    let masked = read_metadata(&figures.join("01-시청-하늘.png"))
        .unwrap()
        .unwrap();
    let plain = read_metadata(&figures.join("02-시청.png"))
        .unwrap()
        .unwrap();
    assert_eq!(masked.init_image.unwrap().mask.unwrap().file, "sky.png");
    assert!(plain.init_image.unwrap().mask.is_none());
    assert_ne!(
        image::open(figures.join("01-시청-하늘.png"))
            .unwrap()
            .to_rgb8(),
        image::open(figures.join("02-시청.png")).unwrap().to_rgb8(),
        "same photo and seed, the mask made the difference"
    );
    let page = std::fs::read_to_string(figures.join("index.html")).unwrap();
    assert!(
        page.contains("image=photos/hall.png strength=0.6 mask=photos/sky.png"),
        "the snippet makes the inpainted figure again"
    );
}
