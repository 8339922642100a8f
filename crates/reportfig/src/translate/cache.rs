//! `translations.json` in a batch's figures folder: the English of every Korean caption, so a
//! rerun where nothing changed does not load the translator at all (about 300 MB and a few
//! seconds), and shards of one batch share what each translated.
//!
//! Entries are keyed by translator and glossary ([`super::CaptionTranslator::cache_key`]), so
//! switching either makes new translations; the old ones stay for switching back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{English, Outcome};
use crate::output::{self, OutputError};

pub const CACHE_FILE: &str = "translations.json";

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CacheFile {
    format_version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    key: String,
    caption: String,
    english: String,
    translated_by: String,
    /// Set when the translator gave nothing usable (the caption was used as typed); kept so
    /// a rerun does not load the translator only to fail again. In English, for a person
    /// reading the file; the rerun says it again from `failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
    /// Which failure it was (`empty`, or `cut` with the cut text in `english`), so a rerun
    /// warns in the user's language. Files written before it have only `warning`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
}

/// The catalogue messages of a failed translation, by the name the file stores.
const FAILURES: [(&str, &str); 2] = [
    ("empty", "warn-translation-empty"),
    ("cut", "warn-translation-cut"),
];

/// The warning of a failed translation read back: from its kind when the file has one, else
/// the English words an older file kept.
fn replayed_warning(e: &Entry, warning: String) -> crate::i18n::Message {
    match e.failure.as_deref() {
        Some("empty") => crate::msg!("warn-translation-empty", caption = e.caption.as_str()),
        Some("cut") => crate::msg!(
            "warn-translation-cut",
            caption = e.caption.as_str(),
            text = e.english.as_str()
        ),
        _ => crate::msg!("untranslated", text = warning),
    }
}

/// Translations made earlier under `key`. A missing or unreadable file is an empty cache: it
/// only saves time, and is rewritten after the next translation.
pub fn read(path: &Path, key: &str) -> Vec<(String, Outcome)> {
    read_file(path)
        .entries
        .into_iter()
        .filter(|e| e.key == key)
        .map(|e| {
            let outcome = match e.warning.clone() {
                Some(warning) => Outcome::Failed {
                    warning: replayed_warning(&e, warning),
                },
                None => Outcome::English(English {
                    text: e.english,
                    translated_by: e.translated_by,
                }),
            };
            (e.caption, outcome)
        })
        .collect()
}

fn read_file(path: &Path) -> CacheFile {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<CacheFile>(&t).ok())
        .filter(|f| f.format_version == FORMAT_VERSION)
        .unwrap_or_default()
}

/// Adds `made` under `key` (replacing the same caption's entry) and writes the file
/// atomically, sorted so the same translations give the same bytes.
pub fn write<'a>(
    path: &Path,
    key: &str,
    made: impl IntoIterator<Item = (&'a str, &'a Outcome)>,
) -> Result<(), OutputError> {
    let mut file = read_file(path);
    let mut changed = false;
    for (caption, outcome) in made {
        let (english, translated_by, warning, failure) = match outcome {
            Outcome::English(e) => (e.text.clone(), e.translated_by.clone(), None, None),
            Outcome::Failed { warning } => {
                let failure = FAILURES
                    .iter()
                    .find(|(_, id)| *id == warning.id())
                    .map(|(kind, _)| kind.to_string());
                let cut = match warning.arg("text") {
                    Some(crate::i18n::Arg::Text(t)) if failure.as_deref() == Some("cut") => {
                        t.clone()
                    }
                    _ => String::new(),
                };
                (cut, String::new(), Some(warning.to_string()), failure)
            }
            Outcome::AsTyped => continue,
        };
        let entry = Entry {
            key: key.to_string(),
            caption: caption.to_string(),
            english,
            translated_by,
            warning,
            failure,
        };
        match file
            .entries
            .iter_mut()
            .find(|e| e.key == key && e.caption == caption)
        {
            Some(e) if *e == entry => {}
            Some(e) => {
                *e = entry;
                changed = true;
            }
            None => {
                file.entries.push(entry);
                changed = true;
            }
        }
    }
    if !changed && path.exists() {
        return Ok(());
    }
    file.format_version = FORMAT_VERSION;
    file.entries
        .sort_by(|a, b| (&a.key, &a.caption).cmp(&(&b.key, &b.caption)));
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    output::write_atomic(path, text.as_bytes(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(text: &str) -> Outcome {
        Outcome::English(English {
            text: text.into(),
            translated_by: "opus-mt-ko-en + glossary".into(),
        })
    }

    #[test]
    fn round_trip_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        assert!(read(&path, "a").is_empty());
        write(&path, "a", [("버스", &e("a bus"))]).unwrap();
        write(&path, "b", [("버스", &e("the bus"))]).unwrap();
        write(
            &path,
            "a",
            [("시청", &e("city hall")), ("버스", &e("a city bus"))],
        )
        .unwrap();
        let mut a = read(&path, "a");
        a.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            a,
            vec![
                ("버스".to_string(), e("a city bus")),
                ("시청".to_string(), e("city hall"))
            ]
        );
        assert_eq!(read(&path, "b"), vec![("버스".to_string(), e("the bus"))]);
        // The file keeps the warning's English; it comes back as that text.
        let failed = Outcome::Failed {
            warning: crate::msg!("untranslated", text = "no English"),
        };
        write(&path, "b", [("항구", &failed)]).unwrap();
        assert!(read(&path, "b").contains(&("항구".to_string(), failed)));
        let bytes = std::fs::read(&path).unwrap();
        write(&path, "a", [("시청", &e("city hall"))]).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "nothing new: file unchanged"
        );
    }

    /// A failed translation read back warns in the user's language, as the first run did,
    /// not in the English words the file keeps for people.
    #[test]
    fn a_replayed_failure_is_the_same_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        let cut = Outcome::Failed {
            warning: crate::msg!("warn-translation-cut", caption = "긴 설명", text = "a long"),
        };
        let empty = Outcome::Failed {
            warning: crate::msg!("warn-translation-empty", caption = "빈 설명"),
        };
        write(&path, "a", [("긴 설명", &cut), ("빈 설명", &empty)]).unwrap();
        let mut back = read(&path, "a");
        back.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            back,
            vec![("긴 설명".to_string(), cut), ("빈 설명".to_string(), empty)]
        );
    }

    #[test]
    fn a_damaged_file_is_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        std::fs::write(&path, "{not json").unwrap();
        assert!(read(&path, "a").is_empty());
        write(&path, "a", [("버스", &e("a bus"))]).unwrap();
        assert_eq!(read(&path, "a").len(), 1);
    }
}
