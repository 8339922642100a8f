//! Property tests of the outline parsers (Markdown, text, CSV) on generated text built from
//! the pieces that break parsers: braces, settings, quotes, commas, headings, control
//! characters, Hangul, path tricks. Whatever the text, parsing never panics; what it accepts
//! keeps every file inside the figures folder and every picture inside the outline's folder;
//! what it refuses names the outline and a line that exists.

use std::path::Path;

use proptest::prelude::*;
use reportfig::outline::{
    parse_outline, parse_uploaded_outline, OutlineFormat, UploadedPictures, MAX_CAPTION_CHARS,
};

/// Fragments that lines are made of.
const PIECES: &[&str] = &[
    "Bus lanes",
    "버스 전용차로",
    "그림: ",
    "Figure: ",
    "# ",
    "## ",
    "{",
    "}",
    "{seed=3}",
    "{seed=-1}",
    "{seed=99999999999999999999}",
    "{style=x}",
    "{file=../../etc/passwd}",
    "{file=C:\\\\x.png}",
    "{file=ok.png}",
    "{file=.hidden}",
    "{image=photos/ok.png}",
    "{image=photos/ok.png strength=0.5}",
    "{image=../outside.png}",
    "{image=/etc/passwd}",
    "{image=photos}",
    "{image=\"photos/ok.png\" strength=2}",
    "{strength=0.5}",
    "{en=\"Bus stop\"}",
    "{en=\"버스\"}",
    "{cover}",
    "{negative=\"text, watermark\"}",
    "{#id .class}",
    "\"",
    ",",
    "caption,style,seed,file,image,strength",
    "\t",
    "\u{0}",
    "\u{1b}[31m",
    "\u{7}",
    "a<b and c>d",
    "<script>alert(1)</script>",
    "😀",
    "\u{feff}",
    " ",
];

fn outline_text() -> impl Strategy<Value = String> {
    let line = proptest::collection::vec(proptest::sample::select(PIECES), 0..6)
        .prop_map(|parts| parts.concat());
    let eol = proptest::sample::select(&["\n", "\r\n", "\n\n"][..]);
    proptest::collection::vec((line, eol), 0..12).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(l, e)| format!("{l}{e}"))
            .collect::<String>()
    })
}

fn check(dir: &Path, name: &str, format: OutlineFormat, text: String) -> Result<(), TestCaseError> {
    let lines = text.lines().count().max(1);
    let path = dir.join(name);
    match parse_outline(&path, format, text, &|_| Ok(())) {
        Ok(outline) => {
            prop_assert!(!outline.items.is_empty());
            let base = dir.canonicalize().unwrap();
            for item in &outline.items {
                prop_assert!(!item.caption.trim().is_empty());
                prop_assert!(item.caption.chars().count() <= MAX_CAPTION_CHARS);
                prop_assert!(
                    item.line >= 1 && item.line <= lines + 1,
                    "line {}",
                    item.line
                );
                if let Some(file) = &item.overrides.file {
                    prop_assert!(!file.contains(['/', '\\', ':']) && !file.starts_with('.'));
                    prop_assert!(file.to_lowercase().ends_with(".png"), "{file}");
                }
                if let Some(image) = &item.overrides.image {
                    let real = image.canonicalize().unwrap();
                    prop_assert!(real.starts_with(&base), "{} escapes", real.display());
                }
                if let Some(s) = item.overrides.strength {
                    prop_assert!(s > 0.0 && s <= 1.0 && item.overrides.image.is_some());
                }
                // Nothing a terminal or a page would run reaches a caption.
                prop_assert!(
                    !item.caption.chars().any(|c| c.is_control()),
                    "{:?}",
                    item.caption
                );
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.contains(name), "{message}");
            // A `path:N:` prefix names a line the outline has.
            if let Some(rest) = message.split_once(&format!("{name}:")).map(|(_, r)| r) {
                if let Some(n) = rest.split(':').next().and_then(|n| n.parse::<usize>().ok()) {
                    prop_assert!(n >= 1 && n <= lines + 1, "line {n} of {lines}: {message}");
                }
            }
        }
    }
    Ok(())
}

fn folder_with_a_photo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("photos")).unwrap();
    std::fs::write(dir.path().join("photos/ok.png"), b"a picture").unwrap();
    dir
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::fuzz_cases(300), ..ProptestConfig::default() })]

    #[test]
    fn markdown_outlines_never_panic_or_escape(text in outline_text()) {
        let dir = folder_with_a_photo();
        check(dir.path(), "outline.md", OutlineFormat::Markdown, text)?;
    }

    #[test]
    fn text_outlines_never_panic_or_escape(text in outline_text()) {
        let dir = folder_with_a_photo();
        check(dir.path(), "captions.txt", OutlineFormat::Text, text)?;
    }

    #[test]
    fn csv_outlines_never_panic_or_escape(text in outline_text()) {
        let dir = folder_with_a_photo();
        check(dir.path(), "figures.csv", OutlineFormat::Csv, text)?;
    }

    /// An outline uploaded to `serve` never names a picture: one the same text would start
    /// from on disk is refused, and the name in messages is the uploaded one.
    #[test]
    fn uploaded_outlines_never_name_a_picture(
        text in outline_text(),
        format in proptest::sample::select(
            &[OutlineFormat::Markdown, OutlineFormat::Text, OutlineFormat::Csv][..]
        ),
    ) {
        let dir = folder_with_a_photo();
        let on_disk = parse_outline(&dir.path().join("upload.md"), format, text.clone(), &|_| Ok(()));
        let listed: std::collections::BTreeSet<String> = ["photos/ok.png".to_string()].into();
        let zipped = parse_uploaded_outline(
            Path::new("upload.md"),
            format,
            text.clone().into_bytes(),
            &|_| Ok(()),
            UploadedPictures::Listed(&listed),
        );
        let uploaded = parse_uploaded_outline(
            Path::new("upload.md"),
            format,
            text.into_bytes(),
            &|_| Ok(()),
            UploadedPictures::None,
        );
        // In a ZIP holding the same files as the folder, the outline means what it means on
        // disk: the same figures, starting from the same pictures, or refused at the same line.
        match (&on_disk, &zipped) {
            (Ok(d), Ok(z)) => {
                prop_assert_eq!(d.items.len(), z.items.len());
                for (a, b) in d.items.iter().zip(&z.items) {
                    let from_folder = a.overrides.image.as_ref().map(|p| {
                        p.strip_prefix(dir.path()).unwrap().to_string_lossy().replace('\\', "/")
                    });
                    let in_zip = b.overrides.image.as_ref().map(|p| p.to_string_lossy().into_owned());
                    prop_assert_eq!(from_folder.map(|p| p.trim_start_matches("./").to_string()), in_zip);
                }
            }
            (Err(d), Err(z)) => {
                let line = |m: &str| m.split(':').nth(1).map(str::to_string);
                prop_assert_eq!(line(&d.to_string()), line(&z.to_string()), "{} / {}", d, z);
            }
            (d, z) => prop_assert!(false, "on disk {:?}, in a ZIP {:?}", d.as_ref().err().map(|e| e.to_string()), z.as_ref().err().map(|e| e.to_string())),
        }
        let pictured = on_disk.is_ok_and(|d| d.items.iter().any(|i| i.overrides.image.is_some()));
        match uploaded {
            Ok(o) => {
                prop_assert!(o.items.iter().all(|i| i.overrides.image.is_none()));
                prop_assert!(!pictured, "an upload accepted a picture the file names");
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("upload.md"), "{message}");
                // Refused for what it is, never looked for on the server's disk.
                prop_assert!(
                    !pictured || message.contains("uploaded without its pictures"),
                    "{message}"
                );
            }
        }
    }
}

/// The pieces do make outlines that are accepted with pictures and files, so the
/// properties above are checked on real items, not only on errors.
#[test]
fn the_pieces_make_accepted_outlines_too() {
    let dir = folder_with_a_photo();
    let text = "Bus lanes{image=photos/ok.png strength=0.5}\n버스 전용차로{file=ok.png}\n";
    let o = parse_outline(
        &dir.path().join("captions.txt"),
        OutlineFormat::Text,
        text.into(),
        &|_| Ok(()),
    )
    .unwrap();
    assert_eq!(o.items.len(), 2);
    assert_eq!(o.items[0].overrides.strength, Some(0.5));
    assert!(o.items[0].overrides.image.is_some());
    assert_eq!(o.items[1].overrides.file.as_deref(), Some("ok.png"));
}

/// What the property above meets only sometimes, in every format: a picture the outline would
/// start from on disk is refused in an upload for what it is.
#[test]
fn an_upload_refuses_the_picture_the_file_would_start_from() {
    let dir = folder_with_a_photo();
    for (name, format, text) in [
        (
            "upload.md",
            OutlineFormat::Markdown,
            "## Bus lanes {image=photos/ok.png}\n",
        ),
        (
            "upload.txt",
            OutlineFormat::Text,
            "Bus lanes{image=photos/ok.png strength=0.5}\n",
        ),
        (
            "upload.csv",
            OutlineFormat::Csv,
            "caption,image\nBus lanes,photos/ok.png\n",
        ),
    ] {
        let on_disk = parse_outline(&dir.path().join(name), format, text.into(), &|_| Ok(()));
        assert!(on_disk.unwrap().items[0].overrides.image.is_some());
        let e = parse_uploaded_outline(
            Path::new(name),
            format,
            text.into(),
            &|_| Ok(()),
            UploadedPictures::None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with(&format!("{name}:")) && e.contains("uploaded without its pictures"),
            "{e}"
        );
    }
}
