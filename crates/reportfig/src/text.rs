//! Small text helpers several pages and commands share: telling Korean text apart, and making
//! file names safe inside the HTML pages we write (the batch gallery, the comparison page, the
//! illustrated Markdown).

use std::fmt::Write;

/// Hangul in any of its Unicode forms: precomposed syllables, conjoining jamo and
/// compatibility jamo (what a keyboard leaves mid-word, such as `ㅎ`).
pub fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// Whether any character of `text` is Hangul: what makes a caption Korean.
pub fn has_hangul(text: &str) -> bool {
    text.chars().any(is_hangul)
}

/// A relative file path as a URL path: `/` separators (a Windows `\` becomes `/`), everything
/// but unreserved ASCII percent-encoded, so spaces, `#`, `?` and Korean names all load from
/// disk.
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escape text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` inside a JavaScript double-quoted string in an HTML `<script>` element, where HTML
/// entities are not decoded and `</script>` would end the script early.
pub fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '<' => out.push_str("\\u003c"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_in_every_form() {
        for c in ['가', '힣', 'ᄀ', 'ᆨ', 'ㅎ', 'ㅏ'] {
            assert!(is_hangul(c), "{c}");
        }
        for c in ['a', '1', '漢', 'あ', ' '] {
            assert!(!is_hangul(c), "{c}");
        }
    }

    #[test]
    fn script_strings_cannot_close_the_script() {
        assert_eq!(js_string("a\"</script>\\"), "a\\\"\\u003c/script>\\\\");
    }

    #[test]
    fn url_paths_are_encoded() {
        assert_eq!(url_path("cells\\a b#1.png"), "cells/a%20b%231.png");
        assert_eq!(url_path("한.png"), "%ED%95%9C.png");
        assert_eq!(url_path("01-a?b.png"), "01-a%3Fb.png");
    }
}
