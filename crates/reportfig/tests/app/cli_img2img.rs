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
