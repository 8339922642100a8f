//! An outline uploaded together with its starting pictures: one ZIP file, as a staff member
//! makes it from the report's folder (right click, "compress"). It is read in memory only:
//! nothing of it is written to the server's disk, so no name inside it can lead a write
//! anywhere. The outline is the one `.md`, `.txt` or `.csv` file in it; its `image=` and
//! `mask=` paths are read from the outline's folder inside the ZIP, as `batch` reads them
//! from the outline's folder on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use crate::commands::BadInput;
use crate::msg;

/// The largest ZIP upload: a few photos of a few megabytes each, with the outline.
pub const MAX_ZIP_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// The most its files may hold once unpacked, so a small ZIP cannot fill the memory.
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// The most files it may hold (folders and system files included).
const MAX_ENTRIES: usize = 2000;

/// What came in the ZIP: the outline (its name and bytes) and every other file beside it or
/// in folders below it, by its `/`-separated path from the outline's folder.
pub(crate) struct OutlineZip {
    pub outline_name: String,
    pub outline: Vec<u8>,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl OutlineZip {
    /// The paths an `image=` may name.
    pub fn names(&self) -> BTreeSet<String> {
        self.files.keys().cloned().collect()
    }
}

/// Whether an upload is a ZIP file, by its first bytes (what the browser calls it varies).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

fn is_outline_name(path: &str) -> bool {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("md" | "markdown" | "txt" | "csv"))
}

/// What operating systems add to a ZIP without asking: never an outline or a picture.
fn is_system_file(path: &str) -> bool {
    path.split('/').any(|part| {
        part == "__MACOSX" || part.starts_with("._") || part == ".DS_Store" || part == "Thumbs.db"
    })
}

/// Unpacks `bytes` (in memory) and finds the outline in it.
pub(crate) fn read(zip_name: &str, bytes: &[u8]) -> Result<OutlineZip, BadInput> {
    let unreadable = |reason: String| {
        BadInput(msg!(
            "serve-zip-unreadable",
            name = zip_name,
            reason = reason
        ))
    };
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(BadInput(msg!(
            "serve-zip-too-many-files",
            name = zip_name,
            count = archive.len(),
            max = MAX_ENTRIES
        )));
    }
    let mut all: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| unreadable(e.to_string()))?;
        let raw = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if entry.is_dir() {
            continue;
        }
        // Only plain paths inside the ZIP: `..`, absolute paths and links are refused, not
        // quietly renamed, so what the outline names is what was packed. ZIPs made on
        // Windows may separate folders with `\`, which `image=` may too.
        let key = crate::outline::uploaded_file_key(&raw);
        let absolute = raw.starts_with(['/', '\\']) || raw.as_bytes().get(1) == Some(&b':');
        let climbs = key.split('/').any(|part| part == "..");
        if absolute || climbs || key.is_empty() || raw.contains('\0') || entry.is_symlink() {
            return Err(BadInput(msg!(
                "serve-zip-bad-path",
                name = zip_name,
                entry = raw
            )));
        }
        if is_system_file(&key) {
            continue;
        }
        // The declared size may lie: what is read is held to the same limit.
        let left = MAX_UNPACKED_BYTES - unpacked;
        let mut data = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut data)
            .map_err(|e| unreadable(format!("{raw}: {e}")))?;
        unpacked += data.len() as u64;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(BadInput(msg!(
                "serve-zip-too-large-unpacked",
                name = zip_name,
                max = MAX_UNPACKED_BYTES / (1024 * 1024)
            )));
        }
        all.insert(key, data);
    }
    let outlines: Vec<&String> = all.keys().filter(|k| is_outline_name(k)).collect();
    let outline_path = match outlines.as_slice() {
        [one] => (*one).clone(),
        [] => return Err(BadInput(msg!("serve-zip-no-outline", name = zip_name))),
        several => {
            return Err(BadInput(msg!(
                "serve-zip-several-outlines",
                name = zip_name,
                files = several
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };
    let outline = all.remove(&outline_path).unwrap_or_default();
    // Paths are from the outline's folder: what lies above or beside that folder cannot be
    // named (`..` is refused), so it is left out.
    let (folder, outline_name) = match outline_path.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name.to_string()),
        None => (String::new(), outline_path.clone()),
    };
    let files = all
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&folder)?.to_string(), v)))
        .collect();
    Ok(OutlineZip {
        outline_name,
        outline,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn refusal(bytes: &[u8]) -> String {
        match read("photos.zip", bytes) {
            Ok(_) => panic!("accepted"),
            Err(BadInput(m)) => m.render(crate::i18n::Lang::En),
        }
    }

    #[test]
    fn the_outline_is_found_in_its_folder_and_pictures_are_named_from_there() {
        let bytes = zip_of(&[
            (
                "보고서/outline.md",
                b"## Harbour {image=photos/harbour.png}\n",
            ),
            ("보고서/photos/harbour.png", b"png"),
            ("보고서/../../etc/x.png", b"never"),
            ("elsewhere.png", b"beside the folder"),
            ("__MACOSX/보고서/._outline.md", b"resource fork"),
        ]);
        // `..` is refused outright, not renamed into the folder.
        assert!(refusal(&bytes).contains("../../etc/x.png"));
        let bytes = zip_of(&[
            (
                "보고서/outline.md",
                b"## Harbour {image=photos/harbour.png}\n",
            ),
            ("보고서/photos/harbour.png", b"png"),
            ("elsewhere.png", b"beside the folder"),
            ("__MACOSX/보고서/._outline.md", b"resource fork"),
        ]);
        assert!(is_zip(&bytes));
        let z = read("photos.zip", &bytes).unwrap();
        assert_eq!(z.outline_name, "outline.md");
        assert_eq!(z.outline, b"## Harbour {image=photos/harbour.png}\n");
        assert_eq!(
            z.names().into_iter().collect::<Vec<_>>(),
            ["photos/harbour.png"]
        );
    }

    #[test]
    fn no_outline_several_outlines_and_broken_zips_are_refused_with_their_names() {
        let none = refusal(&zip_of(&[("a.png", b"x")]));
        assert!(
            none.contains("photos.zip") && none.contains(".md"),
            "{none}"
        );
        let two = refusal(&zip_of(&[("a.md", b"x"), ("b.csv", b"y")]));
        assert!(two.contains("a.md, b.csv"), "{two}");
        let mut cut = zip_of(&[("a.md", b"x")]);
        cut.truncate(cut.len() / 2);
        let cut = refusal(&cut);
        assert!(cut.contains("photos.zip"), "{cut}");
    }

    use proptest::prelude::*;

    /// Names that break unpackers: climbing, absolute, Windows drive and UNC forms, empty
    /// parts, Hangul, and the system files operating systems add.
    fn entry_name() -> impl Strategy<Value = String> {
        let part = prop::sample::select(vec![
            "..",
            ".",
            "",
            "photos",
            "보고서",
            "C:",
            "\\\\server",
            "a.md",
            "b.csv",
            "x.png",
            "__MACOSX",
            "._a.md",
            "..\\x.png",
            "/etc",
            "outline.txt",
        ]);
        prop::collection::vec(part, 1..5).prop_map(|parts| parts.join("/"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Whatever the ZIP's names, what is accepted names only plain paths inside it, and
        /// an outline is found only when exactly one was packed; nothing panics.
        #[test]
        fn any_names_give_plain_paths_or_a_refusal(names in prop::collection::vec(entry_name(), 1..6)) {
            let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default();
            for (name, data) in &files {
                // The writer itself refuses some names (a repeated one): leave those out.
                if w.start_file(*name, opts).is_ok() {
                    w.write_all(data).unwrap();
                }
            }
            let bytes = w.finish().unwrap().into_inner();
            if let Ok(z) = read("t.zip", &bytes) {
                prop_assert!(is_outline_name(&z.outline_name));
                prop_assert!(!z.outline_name.contains('/'));
                for key in z.files.keys() {
                    prop_assert!(!key.starts_with('/') && !key.contains('\\'), "{key}");
                    prop_assert!(key.split('/').all(|p| !p.is_empty() && p != "." && p != ".."), "{key}");
                    prop_assert!(!is_system_file(key), "{key}");
                }
            }
        }

        /// Damaged bytes after a ZIP's signature: a refusal naming the upload, never a panic.
        #[test]
        fn damaged_zips_are_refused(tail in prop::collection::vec(any::<u8>(), 0..400), cut in 0usize..200) {
            let mut bytes = zip_of(&[("a.md", b"## A park\n"), ("photos/x.png", b"png")]);
            let at = cut.min(bytes.len());
            bytes.truncate(bytes.len() - at);
            bytes.extend(tail);
            match read("t.zip", &bytes) {
                Ok(z) => prop_assert_eq!(z.outline_name, "a.md"),
                Err(BadInput(m)) => prop_assert!(m.render(crate::i18n::Lang::En).contains("t.zip")),
            }
        }
    }

    #[test]
    fn a_zip_bomb_stops_at_the_unpacked_limit() {
        // 300 MB of zeros packs into a few hundred kilobytes.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        w.start_file("outline.md", opts).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..300 {
            w.write_all(&zeros).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        assert!(bytes.len() < MAX_ZIP_UPLOAD_BYTES);
        let m = refusal(&bytes);
        assert!(m.contains("256 MB"), "{m}");
    }
}
