//! Style TOML files: diagnostics name the file and a line it has, and a style is produced
//! exactly when no diagnostic is an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reportfig::style::{parse_style, Severity};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = reportfig_fuzz::line_count(text);
    let (style, diagnostics) = parse_style(text, "fuzz.toml", Some("fuzz"));
    for d in &diagnostics {
        assert_eq!(d.file, "fuzz.toml");
        if let Some(line) = d.line {
            assert!(line >= 1 && line <= lines + 1, "line {line} of {lines}");
        }
    }
    let has_error = diagnostics.iter().any(|d| d.severity == Severity::Error);
    assert_eq!(style.is_some(), !has_error);
});
