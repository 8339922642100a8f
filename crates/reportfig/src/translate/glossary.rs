//! The glossary: Korean names and administrative terms with the English they must become.
//!
//! A general translator romanises place names (영일대 → "Yeongil-dae"), or translates offices
//! word by word (행정복지센터 → "administrative welfare center"). Before translation each term
//! found in the caption is replaced by its English; Marian models copy Latin text through, so
//! the English survives, and [`Glossary::lost_terms`] checks afterwards that it did.
//!
//! Format (TOML, `configs/glossary.toml` built in, the user's own in their config folder or
//! `--glossary FILE`):
//!
//! ```toml
//! [terms]
//! "포항시" = "Pohang City"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::is_hangul;

const BUILTIN_TOML: &str = include_str!("../../../../configs/glossary.toml");

#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    #[error("cannot read the glossary {}: {reason}\nhint: check the path given with --glossary", path.display())]
    Unreadable {
        path: PathBuf,
        reason: crate::os_reason::OsReason,
    },
    #[error("{}:{line}: {problem}\nhint: {FORMAT_HINT}", path.display())]
    Bad {
        path: PathBuf,
        line: usize,
        problem: GlossaryProblem,
    },
}

/// What is wrong on a glossary line (typed, so it can be said in the user's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlossaryProblem {
    /// Not TOML: the TOML reader's own words.
    Toml(String),
    NoKorean {
        term: String,
    },
    NoEnglish {
        term: String,
    },
    StillKorean {
        term: String,
        english: String,
    },
}

impl std::fmt::Display for GlossaryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GlossaryProblem::Toml(text) => f.write_str(text),
            GlossaryProblem::NoKorean { term } => write!(
                f,
                "the term {term:?} has no Korean letters; the left side is the Korean word to look for"
            ),
            GlossaryProblem::NoEnglish { term } => write!(f, "the term {term:?} has no English"),
            GlossaryProblem::StillKorean { term, english } => write!(
                f,
                "the English for {term:?} is {english:?}, which still has Korean letters; the model reads only English"
            ),
        }
    }
}

const FORMAT_HINT: &str =
    "write one term per line under [terms], as \"포항시\" = \"Pohang City\" (both in quotes)";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    #[serde(default)]
    terms: BTreeMap<String, toml::Spanned<String>>,
}

/// One term: the Korean as written in captions and the English that must appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub korean: String,
    pub english: String,
}

/// A term that was found in a caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub korean: String,
    pub english: String,
}

/// Terms, longest Korean first, so 영일대해수욕장 wins over 영일대.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glossary {
    terms: Vec<Term>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Glossary {
    /// The glossary that ships with reportfig.
    pub fn builtin() -> Glossary {
        // Embedded at build time and checked by a test, so a failure is a bug in the build.
        Glossary::parse(BUILTIN_TOML, Path::new("configs/glossary.toml"))
            .unwrap_or_else(|e| panic!("the built-in glossary is invalid: {e}"))
    }

    pub fn load(path: &Path) -> Result<Glossary, GlossaryError> {
        let text = std::fs::read_to_string(path).map_err(|e| GlossaryError::Unreadable {
            path: path.to_path_buf(),
            reason: (&e).into(),
        })?;
        Glossary::parse(text.trim_start_matches('\u{feff}'), path)
    }

    /// Parses glossary TOML; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Glossary, GlossaryError> {
        let bad = |offset: usize, problem: GlossaryProblem| GlossaryError::Bad {
            path: path.to_path_buf(),
            line: line_of(text, offset),
            problem,
        };
        let file: GlossaryFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            bad(
                offset,
                GlossaryProblem::Toml(e.message().trim().to_string()),
            )
        })?;
        let mut terms = Vec::with_capacity(file.terms.len());
        for (korean, english) in file.terms {
            let offset = english.span().start;
            let korean_t = korean.trim();
            let english_t = english.get_ref().trim();
            if !korean_t.chars().any(is_hangul) {
                return Err(bad(
                    offset,
                    GlossaryProblem::NoKorean {
                        term: korean.clone(),
                    },
                ));
            }
            if english_t.is_empty() {
                return Err(bad(
                    offset,
                    GlossaryProblem::NoEnglish {
                        term: korean.clone(),
                    },
                ));
            }
            if english_t.chars().any(is_hangul) {
                return Err(bad(
                    offset,
                    GlossaryProblem::StillKorean {
                        term: korean.clone(),
                        english: english_t.to_string(),
                    },
                ));
            }
            terms.push(Term {
                korean: korean_t.to_string(),
                english: english_t.to_string(),
            });
        }
        let mut g = Glossary { terms };
        g.sort();
        Ok(g)
    }

    fn sort(&mut self) {
        self.terms.sort_by(|a, b| {
            b.korean
                .chars()
                .count()
                .cmp(&a.korean.chars().count())
                .then_with(|| a.korean.cmp(&b.korean))
        });
    }

    /// This glossary with `other`'s terms added; where both have a term, `other`'s English
    /// wins (the user's own glossary over the built-in one).
    pub fn merged_with(mut self, other: Glossary) -> Glossary {
        for t in other.terms {
            match self.terms.iter_mut().find(|s| s.korean == t.korean) {
                Some(s) => s.english = t.english,
                None => self.terms.push(t),
            }
        }
        self.sort();
        self
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// A short fingerprint of every term, so cached translations made with another glossary
    /// are not reused.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for t in &self.terms {
            h.update(t.korean.as_bytes());
            h.update([0]);
            h.update(t.english.as_bytes());
            h.update([0]);
        }
        format!("{:x}", h.finalize())[..16].to_string()
    }

    /// Replaces every term that starts a word of `caption` (particles may follow: 포항시의)
    /// by its English, longest term first, and says which terms were found.
    pub fn apply(&self, caption: &str) -> (String, Vec<Match>) {
        let mut out = String::with_capacity(caption.len());
        let mut matches: Vec<Match> = Vec::new();
        let mut rest = caption;
        let mut at_word_start = true;
        while let Some(c) = rest.chars().next() {
            if at_word_start {
                if let Some(t) = self.terms.iter().find(|t| rest.starts_with(&t.korean)) {
                    // The English stands apart from what follows (particles, next word), so
                    // the translator reads it as a name: "Pohang City의".
                    let prev_is_space = out.ends_with(char::is_whitespace) || out.is_empty();
                    if !prev_is_space && !out.ends_with(|c: char| c.is_ascii_punctuation()) {
                        out.push(' ');
                    }
                    out.push_str(&t.english);
                    rest = &rest[t.korean.len()..];
                    if rest.starts_with(|c: char| c.is_alphanumeric())
                        && !rest.starts_with(is_hangul)
                    {
                        out.push(' ');
                    }
                    if !matches.iter().any(|m| m.korean == t.korean) {
                        matches.push(Match {
                            korean: t.korean.clone(),
                            english: t.english.clone(),
                        });
                    }
                    at_word_start = false;
                    continue;
                }
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
            at_word_start = !c.is_alphanumeric();
        }
        (out, matches)
    }

    /// The matched terms whose English is not in `english` (compared without case), for a
    /// warning: the translator dropped or rewrote them.
    pub fn lost_terms<'m>(english: &str, matches: &'m [Match]) -> Vec<&'m Match> {
        let text = english.to_lowercase();
        matches
            .iter()
            .filter(|m| !text.contains(&m.english.to_lowercase()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str) -> Glossary {
        Glossary::parse(text, Path::new("g.toml")).unwrap()
    }

    #[test]
    fn builtin_parses_and_has_the_issue_terms() {
        let b = Glossary::builtin();
        for (ko, en) in [
            ("포항시", "Pohang City"),
            ("읍면동", "towns, townships and neighbourhoods"),
            ("행정복지센터", "community service centre"),
            ("영일대", "Yeongildae"),
        ] {
            assert!(
                b.terms().iter().any(|t| t.korean == ko && t.english == en),
                "{ko}"
            );
        }
    }

    #[test]
    fn longest_term_wins_and_particles_stay() {
        let g =
            g("[terms]\n\"영일대\" = \"Yeongildae\"\n\"영일대해수욕장\" = \"Yeongildae Beach\"\n");
        let (text, m) = g.apply("영일대해수욕장의 야경과 영일대 산책");
        assert_eq!(text, "Yeongildae Beach의 야경과 Yeongildae 산책");
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn terms_match_only_at_the_start_of_a_word() {
        let g = g("[terms]\n\"남구\" = \"Nam-gu district\"\n");
        let (text, m) = g.apply("이남구 씨와 남구청");
        assert_eq!(text, "이남구 씨와 Nam-gu district청");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn lost_terms_are_found_without_case() {
        let m = vec![
            Match {
                korean: "포항시".into(),
                english: "Pohang City".into(),
            },
            Match {
                korean: "영일대".into(),
                english: "Yeongildae".into(),
            },
        ];
        let lost = Glossary::lost_terms("A night view of pohang city", &m);
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].korean, "영일대");
    }

    #[test]
    fn user_terms_win() {
        let merged =
            Glossary::builtin().merged_with(g("[terms]\n\"포항시\" = \"City of Pohang\"\n"));
        assert!(merged
            .terms()
            .iter()
            .any(|t| t.korean == "포항시" && t.english == "City of Pohang"));
        assert_ne!(merged.fingerprint(), Glossary::builtin().fingerprint());
    }

    #[test]
    fn bad_lines_name_file_line_and_fix() {
        for (text, line, what) in [
            (
                "[terms]\n\"포항시\" = \"Pohang\"\n\"항구\" = \n",
                3,
                "expected",
            ),
            ("[terms]\n\"포항시\" = \"\"\n", 2, "no English"),
            (
                "[terms]\n\"Pohang\" = \"Pohang City\"\n",
                2,
                "no Korean letters",
            ),
            ("[terms]\n\"포항시\" = \"포항\"\n", 2, "still has Korean"),
            ("[words]\n\"포항시\" = \"Pohang\"\n", 1, "unknown field"),
        ] {
            let e = Glossary::parse(text, Path::new("my.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(&format!("my.toml:{line}: ")), "{e}");
            assert!(e.contains(what), "{e}");
            assert!(e.contains("hint: "), "{e}");
        }
    }
}
