use reportfig::style::import::{import_text, write_imported, ImportFormat};
use reportfig::style::parse_style;

/// `styles import`: every style made has a plain file name, parses back as a style of that
/// name, and is written inside the target folder only; a refusal names the file and a line
/// it has.
pub fn check_import(format: ImportFormat, file: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match import_text(text, format, file) {
        Ok(styles) => {
            for s in &styles {
                assert!(
                    !s.name.is_empty()
                        && !s.name.starts_with('.')
                        && !s.name.contains(['/', '\\', ':', '\0']),
                    "{:?}",
                    s.name
                );
                let (style, diagnostics) = parse_style(&s.toml, "x.toml", Some(&s.name));
                assert!(style.is_some(), "{diagnostics:?}\n{}", s.toml);
            }
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("styles");
            for p in write_imported(&styles, &dir, false).unwrap() {
                assert_eq!(p.parent(), Some(dir.as_path()));
            }
            let outside: Vec<_> = std::fs::read_dir(tmp.path())
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .filter(|n| n != "styles")
                .collect();
            assert!(outside.is_empty(), "{outside:?}");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains(file), "{message}");
            crate::assert_lines_are_real(&message, file, crate::line_count(text));
        }
    }
}
