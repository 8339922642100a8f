//! `generate --decoder tiny`: a draft decoded by a tiny preview decoder (TAESD layout),
//! recorded as such, and the errors a user meets on the way.

use crate::common::{ok, reportfig_offline, run, tiny_turbo};
use reportfig::output::read_metadata;
use reportfig_testkit::tiny_vae::{config, write_tiny_decoder};

/// A tiny TAESD (8 channels, one block per level) in `dir`.
fn write_taesd(dir: &std::path::Path) {
    write_tiny_decoder(dir, &config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0), 5).unwrap();
}

fn generate(home: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = reportfig_offline(home);
    cmd.args(["generate", "Bus stop", "--model"])
        .arg(tiny_turbo())
        .args(["--size", "64x64", "--steps", "1", "--seed", "7", "-o"])
        .arg(out)
        .args(extra);
    cmd
}

#[test]
fn a_draft_is_decoded_by_the_tiny_decoder_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    let taesd = home.path().join("taesd");
    write_taesd(&taesd);
    let full = home.path().join("full.png");
    let draft = home.path().join("draft.png");
    ok(generate(home.path(), &full, &[]));
    let r = ok(generate(
        home.path(),
        &draft,
        &[
            "--decoder",
            "tiny",
            "--tiny-decoder",
            taesd.to_str().unwrap(),
        ],
    ));
    assert!(r.stderr.contains("without --decoder tiny"), "{}", r.stderr);
    assert!(r.stderr.contains("seed 7"), "{}", r.stderr);
    let meta = read_metadata(&draft).unwrap().unwrap();
    assert_eq!(meta.draft_decoder.as_deref(), Some(taesd.to_str().unwrap()));
    assert_eq!(read_metadata(&full).unwrap().unwrap().draft_decoder, None);
    let (a, b) = (image::open(&full).unwrap(), image::open(&draft).unwrap());
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    assert_ne!(
        a.to_rgb8().into_raw(),
        b.to_rgb8().into_raw(),
        "another decoder made it"
    );
}

#[test]
fn a_missing_or_mismatched_tiny_decoder_is_bad_input() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("x.png");
    // Offline without the family's preset in the cache: the message names it and how to
    // bring it.
    let r = run(generate(home.path(), &out, &["--decoder", "tiny"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("madebyollin/taesd")
            && r.stderr.contains("reportfig models export taesd"),
        "{}",
        r.stderr
    );
    let r = run(generate(
        home.path(),
        &out,
        &["--decoder", "tiny", "--tiny-decoder", "tiny"],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("there is no tiny decoder \"tiny\"")
            && r.stderr.contains("taesd, taesdxl"),
        "{}",
        r.stderr
    );
    let r = run(generate(home.path(), &out, &["--tiny-decoder", "taesd"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("add --decoder tiny"), "{}", r.stderr);
    assert!(!out.exists());

    let eight = home.path().join("eight");
    let json = config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0)
        .replace("\"latent_channels\":4", "\"latent_channels\":8");
    assert!(json.contains("\"latent_channels\":8"), "{json}");
    write_tiny_decoder(&eight, &json, 5).unwrap();
    let r = run(generate(
        home.path(),
        &out,
        &[
            "--decoder",
            "tiny",
            "--tiny-decoder",
            eight.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("reads 8 latent channels but this model makes 4"),
        "{}",
        r.stderr
    );

    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = generate(
        home.path(),
        &out,
        &[
            "--decoder",
            "tiny",
            "--tiny-decoder",
            empty.to_str().unwrap(),
        ],
    );
    cmd.env("LANG", "ko_KR.UTF-8");
    let r = run(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("config.json"), "{}", r.stderr);
    assert!(!out.exists(), "nothing written");
}

/// A batch of drafts, then the same batch without `--decoder tiny`: every figure is made
/// again, in full quality, and only then is the folder up to date.
#[test]
fn a_draft_batch_is_remade_in_full_quality_without_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let taesd = home.path().join("taesd");
    write_taesd(&taesd);
    let outline = home.path().join("o.txt");
    std::fs::write(&outline, "One\nTwo\n").unwrap();
    let batch = |extra: &[&str]| {
        let mut cmd = reportfig_offline(home.path());
        cmd.arg("batch")
            .arg(&outline)
            .arg("--model")
            .arg(tiny_turbo())
            .args(["--size", "64x64", "--steps", "1", "--no-translate"])
            .args(extra);
        cmd
    };
    let tiny = [
        "--decoder",
        "tiny",
        "--tiny-decoder",
        taesd.to_str().unwrap(),
    ];
    let r = ok(batch(&tiny));
    assert!(r.stdout.starts_with("2 generated"), "{}", r.stdout);
    assert!(r.stderr.contains("without --decoder tiny"), "{}", r.stderr);
    let figure = home.path().join("figures/01-one.png");
    assert!(read_metadata(&figure)
        .unwrap()
        .unwrap()
        .draft_decoder
        .is_some());
    // Drafts again: up to date.
    assert!(ok(batch(&tiny))
        .stdout
        .starts_with("0 generated, 2 up to date"));
    // Full quality: both made again.
    let r = ok(batch(&[]));
    assert!(r.stdout.starts_with("2 generated"), "{}", r.stdout);
    assert_eq!(read_metadata(&figure).unwrap().unwrap().draft_decoder, None);
    assert!(ok(batch(&[]))
        .stdout
        .starts_with("0 generated, 2 up to date"));
}

/// `--decoder tiny` alone takes the preset for the model's family (taesd for the tiny
/// SD-Turbo), found in the Hugging Face cache as `models fetch taesd` leaves it, and records
/// its name.
#[cfg(unix)]
#[test]
fn the_family_preset_is_the_default_tiny_decoder() {
    let home = tempfile::tempdir().unwrap();
    let taesd = home.path().join("taesd-files");
    write_taesd(&taesd);
    crate::common::cache_from_folder(
        &home.path().join("hf/hub"),
        "madebyollin/taesd",
        "main",
        &taesd,
    );
    let draft = home.path().join("draft.png");
    ok(generate(home.path(), &draft, &["--decoder", "tiny"]));
    let meta = read_metadata(&draft).unwrap().unwrap();
    assert_eq!(meta.draft_decoder.as_deref(), Some("taesd"));
    // The same decoder named by its folder makes the same draft.
    let by_folder = home.path().join("by-folder.png");
    ok(generate(
        home.path(),
        &by_folder,
        &[
            "--decoder",
            "tiny",
            "--tiny-decoder",
            taesd.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        image::open(&draft).unwrap().to_rgb8(),
        image::open(&by_folder).unwrap().to_rgb8()
    );
}

/// `compare --decoder tiny`: every cell a draft, recorded as such, with a note saying how to
/// make the chosen one in full quality.
#[test]
fn compare_makes_drafts_to_choose_from() {
    let home = tempfile::tempdir().unwrap();
    let taesd = home.path().join("taesd");
    write_taesd(&taesd);
    let mut cmd = reportfig_offline(home.path());
    cmd.current_dir(home.path())
        .args(["compare", "Bus stop", "--seeds", "1,2", "--model"])
        .arg(tiny_turbo())
        .args([
            "--size",
            "64x64",
            "--steps",
            "1",
            "--no-translate",
            "-o",
            "sheet.png",
        ])
        .args([
            "--decoder",
            "tiny",
            "--tiny-decoder",
            taesd.to_str().unwrap(),
        ]);
    let r = ok(cmd);
    assert!(
        r.stderr.contains("drafts from the tiny decoder"),
        "{}",
        r.stderr
    );
    let cells: Vec<_> = std::fs::read_dir(home.path().join("sheet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(cells.len(), 2);
    for cell in cells {
        let meta = read_metadata(&cell).unwrap().unwrap();
        assert_eq!(meta.draft_decoder.as_deref(), Some(taesd.to_str().unwrap()));
    }
}
