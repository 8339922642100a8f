//! What the fuzz targets share: the properties of `crates/reportfig/tests/app/fuzz_*.rs`,
//! checked on whatever bytes libFuzzer makes. A broken property panics, which libFuzzer
//! reports as a crash with the input saved under `artifacts/`.

mod import;
pub use import::check_import;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use reportfig::outline::{
    parse_outline, parse_uploaded_outline, OutlineFormat, UploadedPictures, MAX_CAPTION_CHARS,
};

/// A folder with `photos/ok.png`, made once per process: outlines are only read, never
/// written, so every input can share it.
pub fn folder_with_a_photo() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::fs::create_dir_all(dir.join("photos")).unwrap();
        std::fs::write(dir.join("photos/ok.png"), b"a picture").unwrap();
        dir.canonicalize().unwrap()
    })
}

/// The `file:N` a refusal opens with names a line within `lines` (+1 for a missing last
/// line). Only the first: what follows may quote the input, which can hold `file:N` text of
/// its own (libFuzzer found one: an unknown CSV column spelled `figures.csv:3]`).
pub fn assert_lines_are_real(message: &str, file: &str, lines: usize) {
    let marker = format!("{file}:");
    if let Some(i) = message.find(&marker) {
        let rest = &message[i + marker.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>() {
            assert!(n >= 1 && n <= lines + 1, "line {n} of {lines}: {message}");
        }
    }
}

/// Lines as the parsers count them, at least one.
pub fn line_count(text: &str) -> usize {
    text.lines().count().max(1)
}

/// The outline properties: parsed from a file in a folder, an accepted outline keeps every
/// output name a plain `.png` name and every picture inside the outline's folder, and no
/// caption holds a control character; a refusal names the file and a line it has. The same
/// bytes uploaded to `serve` never name a picture, and a refusal names the upload.
pub fn check_outline(format: OutlineFormat, name: &str, data: &[u8]) {
    let dir = folder_with_a_photo();
    let mut pictured = false;
    if let Ok(text) = std::str::from_utf8(data) {
        let lines = line_count(text);
        match parse_outline(&dir.join(name), format, text.to_string(), &|_| Ok(())) {
            Ok(outline) => {
                assert!(!outline.items.is_empty());
                for item in &outline.items {
                    assert!(!item.caption.trim().is_empty());
                    assert!(item.caption.chars().count() <= MAX_CAPTION_CHARS);
                    assert!(
                        item.line >= 1 && item.line <= lines + 1,
                        "line {}",
                        item.line
                    );
                    assert!(
                        !item.caption.chars().any(char::is_control),
                        "{:?}",
                        item.caption
                    );
                    if let Some(file) = &item.overrides.file {
                        assert!(!file.contains(['/', '\\', ':']) && !file.starts_with('.'));
                        assert!(file.to_lowercase().ends_with(".png"), "{file}");
                    }
                    if let Some(image) = &item.overrides.image {
                        pictured = true;
                        let real = image.canonicalize().unwrap();
                        assert!(real.starts_with(dir), "{} escapes", real.display());
                    }
                    if let Some(s) = item.overrides.strength {
                        assert!(s > 0.0 && s <= 1.0 && item.overrides.image.is_some());
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains(name), "{message}");
                assert_lines_are_real(&message, name, lines);
            }
        }
    }
    match parse_uploaded_outline(
        Path::new(name),
        format,
        data.to_vec(),
        &|_| Ok(()),
        UploadedPictures::None,
    ) {
        Ok(o) => {
            assert!(o.items.iter().all(|i| i.overrides.image.is_none()));
            assert!(!pictured, "an upload accepted a picture the file names");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains(name), "{message}");
            assert!(
                !pictured || message.contains("uploaded without its pictures"),
                "{message}"
            );
        }
    }
}
