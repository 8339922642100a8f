//! All styles a run can use: the built-ins, then the user's config folder, then
//! `--styles-dir`; a later style with the same name replaces an earlier one. Bad files are
//! skipped with diagnostics, never fatal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::builtin::BUILTIN_STYLES;
use super::parse::parse_style;
use super::{Diagnostic, DiagnosticKind, Origin, Severity, Style, StyleError};
use crate::msg;

/// A style and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedStyle {
    pub style: Style,
    pub origin: Origin,
    /// Where the style this one replaced came from (a user style with a built-in's name).
    pub replaces: Option<Origin>,
}

/// The styles available to one run.
#[derive(Debug, Clone, Default)]
pub struct StyleLibrary {
    styles: BTreeMap<String, LoadedStyle>,
    diagnostics: Vec<Diagnostic>,
}

/// The platform's user styles folder (`~/.config/reportfig/styles` on Linux,
/// `%APPDATA%\reportfig\config\styles` on Windows, `~/Library/Application
/// Support/reportfig/styles` on macOS); `None` when the platform has no home folder.
pub fn default_user_styles_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "reportfig").map(|d| d.config_dir().join("styles"))
}

impl StyleLibrary {
    /// Only the built-in styles.
    pub fn builtin() -> Self {
        let mut lib = Self::default();
        for (file, text) in BUILTIN_STYLES {
            let stem = file.trim_end_matches(".toml");
            lib.add_text(text, Origin::Builtin(file), Some(stem));
        }
        lib
    }

    /// Built-ins, then `config_dir` (skipped silently when it does not exist: most users
    /// never make one), then `styles_dir` (which must exist, since the user named it).
    pub fn load(config_dir: Option<&Path>, styles_dir: Option<&Path>) -> Result<Self, StyleError> {
        let mut lib = Self::builtin();
        if let Some(dir) = config_dir {
            if dir.is_dir() {
                lib.add_dir(dir)?;
            }
        }
        if let Some(dir) = styles_dir {
            lib.add_dir(dir)?;
        }
        Ok(lib)
    }

    /// Adds every `*.toml` in `dir` (not recursive), in file-name order.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), StyleError> {
        let read_err = |source| StyleError::ReadDir {
            path: dir.to_path_buf(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
                    && p.is_file()
            })
            .collect();
        files.sort();
        for path in files {
            self.add_file(&path);
        }
        Ok(())
    }

    /// Adds one style file; problems become diagnostics.
    pub fn add_file(&mut self, path: &Path) {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let stem = path.file_stem().and_then(|s| s.to_str());
                self.add_text(&text, Origin::File(path.to_path_buf()), stem);
            }
            Err(e) => self.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                kind: DiagnosticKind::Syntax,
                file: shown,
                line: None,
                field: None,
                message: msg!("style-diag-unreadable", reason = e.to_string()),
            }),
        }
    }

    fn add_text(&mut self, text: &str, origin: Origin, stem: Option<&str>) {
        let shown = origin.to_string();
        let (style, diags) = parse_style(text, &shown, stem);
        self.diagnostics.extend(diags);
        let Some(style) = style else {
            self.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                kind: DiagnosticKind::Invalid,
                file: shown,
                line: None,
                field: None,
                message: msg!("style-diag-skipped"),
            });
            return;
        };
        let name = style.name.clone();
        let replaces = self.styles.get(&name).map(|old| old.origin.clone());
        if let Some(old) = &replaces {
            // Replacing a built-in is the documented way to customise one; replacing another
            // user file is more likely an accident, so only that is a warning.
            let severity = match old {
                Origin::Builtin(_) => None,
                Origin::File(_) => Some(Severity::Warning),
            };
            if let Some(severity) = severity {
                self.diagnostics.push(Diagnostic {
                    severity,
                    kind: DiagnosticKind::Shadowed,
                    file: shown,
                    line: None,
                    field: Some("name".into()),
                    message: msg!(
                        "style-diag-replaces",
                        name = &name,
                        origin = old.to_string()
                    ),
                });
            }
        }
        self.styles.insert(
            name,
            LoadedStyle {
                style,
                origin,
                replaces,
            },
        );
    }

    /// Problems found while loading, in the order found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Every style, by name.
    pub fn iter(&self) -> impl Iterator<Item = &LoadedStyle> {
        self.styles.values()
    }

    pub fn len(&self) -> usize {
        self.styles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.styles.is_empty()
    }

    /// One style by name or by title, or an error with the nearest names.
    ///
    /// Office users know styles by the Korean titles `styles list` shows, so a title finds
    /// its style too (`수묵화`), and so does a part of one (`수채화` for 수채화 도시 풍경),
    /// as long as only one style's title has it; spaces and `·` do not count.
    pub fn get(&self, name: &str) -> Result<&LoadedStyle, StyleError> {
        let key = name.trim();
        if let Some(s) = self.styles.get(key) {
            return Ok(s);
        }
        // A unique beginning is enough (`flat-vector` for `flat-vector-infographic`): people
        // remember the start of a name, and the issue texts use the short forms.
        let mut starts = self
            .styles
            .iter()
            .filter(|(k, _)| key.len() >= 4 && k.starts_with(key));
        if let (Some((_, s)), None) = (starts.next(), starts.next()) {
            return Ok(s);
        }
        if let Some(found) = self.by_title(key)? {
            return Ok(found);
        }
        // A slip in a Korean title (`수체화`) is as likely as one in a name, so a key with
        // Hangul is measured against each word of the Korean titles too; the suggestion then
        // carries that title, which is what the user typed and will recognise. Words are
        // compared letter by letter (jamo), not syllable by syllable: 체 for 채 is one wrong
        // vowel, while 묵 for 체 is a different word, yet both are one syllable off.
        let hangul = key.chars().any(is_hangul_syllable);
        let key_jamo = jamo(key);
        let mut near: Vec<(usize, &str, Option<&str>)> = self
            .styles
            .iter()
            .filter_map(|(k, s)| {
                let by_name = if k.contains(key) && key.len() >= 3 {
                    0
                } else {
                    crate::page::edit_distance(key, k)
                };
                let ko = s.style.title.ko.as_deref();
                let by_title = ko
                    .filter(|_| hangul)
                    .and_then(|t| {
                        t.split(|c: char| c.is_whitespace() || c == '·')
                            .filter(|w| !w.is_empty())
                            .map(|w| crate::page::edit_distance(&key_jamo, &jamo(w)))
                            .min()
                    })
                    .filter(|d| *d <= 1.max(key_jamo.chars().count() / 3));
                let d = if by_name <= 3.max(k.len() / 4) {
                    by_name.min(by_title.unwrap_or(usize::MAX))
                } else {
                    by_title?
                };
                Some((d, k.as_str(), ko))
            })
            .collect();
        near.sort();
        Err(StyleError::UnknownStyle {
            name: key.to_string(),
            near: near
                .iter()
                .take(3)
                .map(|(_, k, ko)| (k.to_string(), ko.map(str::to_string)))
                .collect(),
        })
    }

    /// The style whose Korean or English title is `key`, else the one whose Korean title
    /// contains it; `Ok(None)` when no title matches, an error when several do.
    fn by_title(&self, key: &str) -> Result<Option<&LoadedStyle>, StyleError> {
        fn plain(s: &str) -> String {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '·')
                .flat_map(char::to_lowercase)
                .collect()
        }
        let wanted = plain(key);
        if wanted.is_empty() {
            return Ok(None);
        }
        let exact: Vec<&LoadedStyle> = self
            .styles
            .values()
            .filter(|s| {
                s.style
                    .title
                    .ko
                    .as_deref()
                    .is_some_and(|t| plain(t) == wanted)
                    || plain(&s.style.title.en) == wanted
            })
            .collect();
        let found = if exact.is_empty() {
            // A part of a title must be a word's worth: one Hangul syllable matches too much.
            if wanted.chars().count() < 2 {
                return Ok(None);
            }
            self.styles
                .values()
                .filter(|s| {
                    s.style
                        .title
                        .ko
                        .as_deref()
                        .is_some_and(|t| plain(t).contains(&wanted))
                })
                .collect()
        } else {
            exact
        };
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            several => Err(StyleError::Ambiguous {
                name: key.to_string(),
                candidates: several
                    .iter()
                    .map(|s| {
                        let title = s.style.title.ko.as_ref().unwrap_or(&s.style.title.en);
                        (s.style.name.clone(), title.clone())
                    })
                    .collect(),
            }),
        }
    }

    /// `a+b+c` into the styles, in order. An empty spec is an error; use no `--style` for
    /// the bare caption.
    pub fn resolve_stack(&self, spec: &str) -> Result<Vec<&Style>, StyleError> {
        let names: Vec<&str> = spec
            .split('+')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if names.is_empty() {
            return Err(StyleError::EmptyStack {
                spec: spec.to_string(),
            });
        }
        names
            .into_iter()
            .map(|n| self.get(n).map(|l| &l.style))
            .collect()
    }

    /// Styles grouped by category (categories and styles sorted by name).
    pub fn by_category(&self) -> BTreeMap<&str, Vec<&LoadedStyle>> {
        let mut out: BTreeMap<&str, Vec<&LoadedStyle>> = BTreeMap::new();
        for s in self.styles.values() {
            out.entry(s.style.category.as_str()).or_default().push(s);
        }
        out
    }
}

fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Hangul syllables split into their letters (initial, vowel, final), everything else as it
/// is, so an edit distance counts letters a typist got wrong rather than whole syllables.
fn jamo(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if !is_hangul_syllable(c) {
            out.push(c);
            continue;
        }
        // Unicode composes a syllable as 0xAC00 + (initial × 21 + vowel) × 28 + final.
        let n = c as u32 - 0xAC00;
        let (initial, vowel, last) = (n / 588, n % 588 / 28, n % 28);
        out.extend(char::from_u32(0x1100 + initial));
        out.extend(char::from_u32(0x1161 + vowel));
        if last > 0 {
            out.extend(char::from_u32(0x11A7 + last));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::jamo;
    use crate::page::edit_distance;

    #[test]
    fn a_wrong_vowel_is_nearer_than_a_wrong_syllable() {
        // 수체화 for 수채화 is one vowel off; 수묵화 is three letters off, though both are
        // one syllable away.
        assert_eq!(edit_distance(&jamo("수체화"), &jamo("수채화")), 1);
        assert_eq!(edit_distance(&jamo("수체화"), &jamo("수묵화")), 3);
        assert_eq!(jamo("3D 각"), "3D \u{1100}\u{1161}\u{11A8}");
    }
}
