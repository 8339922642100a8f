//! PNG metadata, atomic writes and file names, as batch resume and `generate -o` rely on them.

use std::fs;
use std::io;
use std::path::Path;

use image::{Rgb, RgbImage};
use reportfig::output::{
    a1111_parameters, default_file_name, encode_generated, read_metadata, read_parameters,
    read_text_chunk, save_generated, save_png, slug, write_atomic, write_atomic_with, Naming,
    OutputError, TextChunk,
};
use reportfig_engine::pipeline::scheduler::SamplerKind;
use reportfig_engine::GenerationRequest;

fn request() -> GenerationRequest {
    GenerationRequest {
        caption: "Smart traffic signals at a busy city intersection".to_string(),
        styles: vec!["flat-vector".to_string()],
        prompt: "flat vector illustration, smart traffic signals at a busy city intersection"
            .to_string(),
        negative_prompt: Some("blurry, text, watermark".to_string()),
        width: 512,
        height: 512,
        steps: 4,
        guidance: 7.5,
        seed: 42,
        sampler: Some(SamplerKind::EulerAncestral),
        model: "sd-turbo".to_string(),
        model_revision: Some("b261bac6fd2cf515557d5d0707481eafa0485ec2".to_string()),
        crop_to_ratio: None,
        draft_decoder: None,
        init_image: None,
        loras: Vec::new(),
        caption_en: None,
        translated_by: None,
    }
}

fn korean_request() -> GenerationRequest {
    GenerationRequest {
        caption: "노인복지관 개관식".to_string(),
        styles: vec![],
        prompt: "노인복지관 개관식, 밝은 수채화".to_string(),
        negative_prompt: Some("흐릿함, 글자".to_string()),
        width: 64,
        height: 48,
        steps: 2,
        guidance: 0.0,
        seed: u64::MAX,
        sampler: None,
        model: "./models/내 모델".to_string(),
        model_revision: None,
        crop_to_ratio: None,
        draft_decoder: None,
        init_image: None,
        loras: Vec::new(),
        caption_en: None,
        translated_by: None,
    }
}

fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
    })
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a1111_infotext_layout() {
    assert_eq!(
        a1111_parameters(&request()),
        "flat vector illustration, smart traffic signals at a busy city intersection\n\
         Negative prompt: blurry, text, watermark\n\
         Steps: 4, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: sd-turbo"
    );
}

#[test]
fn a1111_infotext_without_negative_or_sampler_and_with_quoting() {
    let mut req = request();
    req.negative_prompt = None;
    req.sampler = None;
    req.guidance = 1.0;
    req.width = 768;
    req.height = 512;
    req.model = "C:\\models\\city, v2".to_string();
    assert_eq!(
        a1111_parameters(&req),
        "flat vector illustration, smart traffic signals at a busy city intersection\n\
         Steps: 4, CFG scale: 1.0, Seed: 42, Size: 768x512, Model: \"C:\\\\models\\\\city, v2\""
    );
    // An explicit empty negative prompt is left out, as A1111 does.
    req.negative_prompt = Some(String::new());
    assert!(!a1111_parameters(&req).contains("Negative prompt"));
}

#[test]
fn sampler_display_names() {
    let names = [
        ("euler", "Euler"),
        ("euler-a", "Euler a"),
        ("ddim", "DDIM"),
        ("pndm", "PLMS"),
        ("dpmpp-2m", "DPM++ 2M"),
        ("dpmpp-2m-karras", "DPM++ 2M Karras"),
        ("lcm", "LCM"),
        ("ddpm", "DDPM"),
    ];
    for (ours, theirs) in names {
        let mut req = request();
        req.sampler = Some(ours.parse().unwrap());
        let text = a1111_parameters(&req);
        // The `reportfig` chunk keeps the strings it had when samplers were plain strings.
        let json = serde_json::to_string(&req).unwrap();
        assert!(json.contains(&format!(r#""sampler":"{ours}""#)), "{json}");
        assert!(
            text.contains(&format!(", Sampler: {theirs}, CFG scale:")),
            "{ours}: {text}"
        );
    }
}

#[test]
fn metadata_round_trip_keeps_korean_and_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("복지관.png");
    let req = korean_request();
    let image = gradient(req.width, req.height);
    save_generated(&path, &image, &req, false).unwrap();

    assert_eq!(read_metadata(&path).unwrap(), Some(req.clone()));
    let params = read_parameters(&path).unwrap().unwrap();
    assert_eq!(
        params,
        "노인복지관 개관식, 밝은 수채화\n\
         Negative prompt: 흐릿함, 글자\n\
         Steps: 2, CFG scale: 0.0, Seed: 18446744073709551615, Size: 64x48, Model: ./models/내 모델"
    );

    let json = read_text_chunk(&path, "reportfig").unwrap().unwrap();
    assert!(json.starts_with("{\"format_version\":1,\"caption\":\"노인복지관 개관식\""));

    // The pixels survive too.
    let back = image::open(&path).unwrap().to_rgb8();
    assert_eq!(back, image);
}

#[test]
fn none_and_empty_negative_prompts_stay_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let image = gradient(8, 8);
    for negative in [None, Some(String::new())] {
        let mut req = request();
        req.negative_prompt = negative.clone();
        let path = dir.path().join(format!("{}.png", negative.is_some()));
        save_generated(&path, &image, &req, false).unwrap();
        assert_eq!(
            read_metadata(&path).unwrap().unwrap().negative_prompt,
            negative
        );
    }
}

#[test]
fn image_without_our_chunk_reads_as_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.png");
    save_png(&path, &gradient(4, 4), &[], false).unwrap();
    assert_eq!(read_metadata(&path).unwrap(), None);
    assert_eq!(read_parameters(&path).unwrap(), None);
}

#[test]
fn damaged_and_newer_metadata_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.png");
    save_png(
        &damaged,
        &gradient(4, 4),
        &[TextChunk::new(
            "reportfig",
            "{\"format_version\":1,\"seed\":",
        )],
        false,
    )
    .unwrap();
    let err = read_metadata(&damaged).unwrap_err();
    assert!(matches!(err, OutputError::BadMetadata { .. }), "{err}");
    assert!(err.to_string().contains("damaged.png"), "{err}");

    let newer = dir.path().join("newer.png");
    save_png(
        &newer,
        &gradient(4, 4),
        &[TextChunk::new("reportfig", "{\"format_version\":99}")],
        false,
    )
    .unwrap();
    let err = read_metadata(&newer).unwrap_err();
    assert!(err.to_string().contains("newer reportfig"), "{err}");

    let not_png = dir.path().join("notes.png");
    fs::write(&not_png, "hello").unwrap();
    let err = read_metadata(&not_png).unwrap_err();
    assert!(matches!(err, OutputError::NotPng { .. }), "{err}");
}

#[test]
fn encoding_is_deterministic() {
    let req = request();
    let image = gradient(96, 64);
    let a = encode_generated(&image, &req).unwrap();
    let b = encode_generated(&image.clone(), &req.clone()).unwrap();
    assert_eq!(a, b);

    let dir = tempfile::tempdir().unwrap();
    let p1 = dir.path().join("one.png");
    let p2 = dir.path().join("two.png");
    save_generated(&p1, &image, &req, false).unwrap();
    save_generated(&p2, &image, &req, false).unwrap();
    assert_eq!(fs::read(&p1).unwrap(), fs::read(&p2).unwrap());
    assert_eq!(fs::read(&p1).unwrap(), a);

    let mut other = req.clone();
    other.seed += 1;
    assert_ne!(encode_generated(&image, &other).unwrap(), a);
}

#[test]
fn existing_file_is_not_replaced_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cover.png");
    fs::write(&path, b"old").unwrap();

    let err = write_atomic(&path, b"new", false).unwrap_err();
    assert!(matches!(err, OutputError::AlreadyExists { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{} already exists; pass --force to replace it or choose another name with -o",
            path.display()
        )
    );
    assert_eq!(fs::read(&path).unwrap(), b"old");
    assert_eq!(dir_entries(dir.path()), ["cover.png"]);

    write_atomic(&path, b"new", true).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(dir_entries(dir.path()), ["cover.png"]);
}

#[test]
fn failure_midway_leaves_old_file_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cover.png");
    fs::write(&path, b"old contents").unwrap();

    let err = write_atomic_with(&path, true, |w| {
        w.write_all(b"half of the new")?;
        Err(io::Error::other("disk full"))
    })
    .unwrap_err();
    assert!(matches!(err, OutputError::Write { .. }), "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"old contents");
    assert_eq!(dir_entries(dir.path()), ["cover.png"]);
}

#[test]
fn target_that_is_a_folder_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cover.png");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep.txt"), b"x").unwrap();

    for overwrite in [false, true] {
        let err = write_atomic(&target, b"png", overwrite).unwrap_err();
        assert!(matches!(err, OutputError::IsDirectory { .. }), "{err}");
        assert!(err.to_string().contains("is a folder"), "{err}");
    }
    assert_eq!(dir_entries(dir.path()), ["cover.png"]);
    assert_eq!(dir_entries(&target), ["keep.txt"]);
}

#[test]
fn missing_or_unusable_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let err = write_atomic(&missing.join("a.png"), b"x", false).unwrap_err();
    assert!(matches!(err, OutputError::MissingFolder { .. }), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    // A file where the folder should be: as root a read-only folder would still be writable.
    let blocker = dir.path().join("figures");
    fs::write(&blocker, b"not a folder").unwrap();
    let err = write_atomic(&blocker.join("a.png"), b"x", false).unwrap_err();
    assert!(matches!(err, OutputError::ParentNotFolder { .. }), "{err}");
    assert!(
        err.to_string().contains(&blocker.display().to_string()),
        "{err}"
    );
}

/// Batch's manifest, gallery and Markdown writes go through the same writer: they replace an
/// existing file whole, leave no temporary file, and a failure keeps the old file.
#[test]
fn batch_writes_replace_whole_files_through_the_same_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    fs::write(&path, b"{\"old\": true}").unwrap();
    reportfig::batch::write_atomic(&path, b"{\"new\": true}").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"{\"new\": true}");
    assert_eq!(dir_entries(dir.path()), ["manifest.json"]);

    // A folder where the file should go: the write fails, names the file, and the folder with
    // its contents stays as it was.
    let blocked = dir.path().join("index.html");
    fs::create_dir(&blocked).unwrap();
    fs::write(blocked.join("keep.txt"), b"x").unwrap();
    let err = reportfig::batch::write_atomic(&blocked, b"<html>").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&blocked.display().to_string()), "{msg}");
    assert!(!msg.contains(" -o"), "batch has no -o flag: {msg}");
    assert_eq!(dir_entries(dir.path()), ["index.html", "manifest.json"]);
    assert_eq!(dir_entries(&blocked), ["keep.txt"]);
}

/// Both writers used to differ in who may read the result; now one policy: what the umask
/// allows for any new file, as `generate -o` has always done.
#[cfg(unix)]
#[test]
fn figures_and_batch_files_get_the_same_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let figure = dir.path().join("a.png");
    let manifest = dir.path().join("manifest.json");
    write_atomic(&figure, b"png", false).unwrap();
    reportfig::batch::write_atomic(&manifest, b"{}").unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&figure), mode(&manifest));
    assert_eq!(
        mode(&figure),
        reportfig::output::new_file_permissions().mode() & 0o777
    );
}

/// Replacing a file (`--force`, a batch remaking a figure, the manifest rebuilt) keeps the
/// permissions its owner gave it: a private figure stays private, a read-only one read-only.
#[cfg(unix)]
#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for (name, given) in [("a.png", 0o600), ("b.png", 0o444), ("manifest.json", 0o640)] {
        let path = dir.path().join(name);
        write_atomic(&path, b"old", false).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(given)).unwrap();
        if name.ends_with(".json") {
            reportfig::batch::write_atomic(&path, b"new").unwrap();
        } else {
            write_atomic(&path, b"new", true).unwrap();
        }
        assert_eq!(fs::read(&path).unwrap(), b"new", "{name}");
        assert_eq!(mode(&path), given, "{name}: {:o}", mode(&path));
    }
}

#[test]
fn default_file_names() {
    assert_eq!(
        default_file_name(
            "Smart traffic signals at a busy city intersection",
            42,
            Naming::Roman
        ),
        "smart-traffic-signals-at-a-busy-city-intersection-42.png"
    );
    assert_eq!(
        default_file_name("노인복지관 개관식", 7, Naming::Roman),
        "noinbokjigwan-gaegwansik-7.png"
    );
}

#[test]
fn slugs_for_many_kinds_of_text() {
    assert_eq!(slug("Hello,   World!", 60), "hello-world");
    assert_eq!(
        slug("  --City's budget: 2025/26--  ", 60),
        "citys-budget-2025-26"
    );
    assert_eq!(slug("서울시 교통 신호", 60), "seoulsi-gyotong-sinho");
    assert_eq!(slug("Café naïve façade", 60), "cafe-naive-facade");
    // Emoji are dropped; emoji alone still gives a stable, distinct name.
    assert_eq!(slug("🚦 Traffic lights 🚗", 60), "traffic-lights");
    let a = slug("🚦🚗", 60);
    let b = slug("🚲", 60);
    assert!(a.starts_with("figure-") && a.len() == 15, "{a}");
    assert_ne!(a, b);
    // Other scripts get a hash so names stay distinct.
    let tokyo = slug("東京の交通", 60);
    assert!(tokyo.starts_with("figure-") && tokyo.len() == 15, "{tokyo}");
    let mixed = slug("東京 traffic", 60);
    assert!(
        mixed.starts_with("traffic-") && mixed.len() == 16,
        "{mixed}"
    );
    assert_eq!(slug("", 60), "figure");
    assert_eq!(slug("   ", 60), "figure");
}

#[test]
fn slugs_are_length_limited_at_word_boundaries() {
    let long = "a very long caption about the renovation of the old municipal library and the \
                new park next to it with many trees";
    let s = slug(long, 40);
    assert!(s.len() <= 40, "{s}");
    assert_eq!(s, "a-very-long-caption-about-the-renovation");
    let word = "x".repeat(200);
    assert_eq!(slug(&word, 30), "x".repeat(30));
    let name = default_file_name(long, 123456789, Naming::Roman);
    assert!(name.len() <= 60 + "-123456789.png".len(), "{name}");
    // A hash suffix survives truncation.
    let mixed = slug(&format!("{long} 東京"), 30);
    assert!(mixed.len() <= 30, "{mixed}");
    assert_eq!(&mixed[mixed.len() - 9..mixed.len() - 8], "-");
}

#[test]
fn slugs_avoid_reserved_and_unsafe_names() {
    for reserved in ["CON", "nul", "Aux", "com1", "LPT9", "prn"] {
        let s = slug(reserved, 60);
        assert_ne!(s.to_ascii_lowercase(), reserved.to_ascii_lowercase());
        assert!(s.ends_with("-fig"), "{s}");
    }
    for nasty in [
        "../../etc/passwd",
        "a\\b/c:d*e?f\"g<h>i|j",
        "trailing dot.",
        "\u{0}\u{7}",
    ] {
        let s = slug(nasty, 60);
        assert!(!s.is_empty());
        assert!(
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{s}"
        );
        assert!(!s.starts_with('-') && !s.ends_with('-'), "{s}");
    }
}
