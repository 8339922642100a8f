//! `generate --decoder tiny`: a draft decoded by a tiny preview decoder (TAESD layout),
//! recorded as such, and the errors a user meets on the way.

use crate::common::{ok, reportfig_offline, run, tiny_turbo};
use reportfig::output::read_metadata;
use reportfig_testkit::tiny_vae::{config, write_tiny_decoder};

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
    write_tiny_decoder(
        &taesd,
        &config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0),
        5,
    )
    .unwrap();
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
    let r = run(generate(home.path(), &out, &["--decoder", "tiny"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--decoder tiny needs the tiny decoder's folder"),
        "{}",
        r.stderr
    );

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
    write_tiny_decoder(
        &taesd,
        &config(&[8, 8, 8, 8], &[1, 1, 1, 1], "relu", 1.0),
        5,
    )
    .unwrap();
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
