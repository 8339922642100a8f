//! Glossaries: an accepted one has no empty term and applies to any caption; a refusal
//! names the file and a line it has.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use reportfig::translate::Glossary;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Glossary::parse(text, Path::new("my-glossary.toml")) {
        Ok(g) => {
            for t in g.terms() {
                assert!(
                    !t.korean.trim().is_empty() && !t.english.trim().is_empty(),
                    "{t:?}"
                );
            }
            let _ = g.apply("포항시 시내버스 노선 a<b 😀");
            let _ = g.apply(text);
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("my-glossary.toml"), "{message}");
            reportfig_fuzz::assert_lines_are_real(
                &message,
                "my-glossary.toml",
                reportfig_fuzz::line_count(text),
            );
        }
    }
});
