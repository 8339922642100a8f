//! Where a server keeps its images: `<data>/images/<id>.png` with its metadata, as
//! `generate` writes it, and `<id>.json` beside it saying what became of the job. Both are
//! written atomically, so a stop at any moment leaves either the old file or the new one, and
//! a restart finds every finished image and every job that was lost.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, Message};
use crate::output::{self, OutputError};

/// A job's id: 32 lower-case hex digits (128 random bits). Only an id that passed
/// [`JobId::parse`] is ever turned into a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    pub const LEN: usize = 32;

    /// A fresh random id.
    pub fn random() -> std::io::Result<JobId> {
        Ok(JobId(random_hex(Self::LEN / 2)?))
    }

    /// The id in a URL, or `None` for anything that is not exactly 32 lower-case hex digits
    /// (so no `..`, `/` or other path can ever reach the file system).
    pub fn parse(text: &str) -> Option<JobId> {
        let ok = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| JobId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `bytes` random bytes from the operating system, as lower-case hex.
pub fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(std::io::Error::other)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A text in both languages, fixed when it was made, so a stored error reads in the language
/// of whoever asks later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Texts {
    pub en: String,
    pub ko: String,
}

impl Texts {
    pub fn of(message: &Message) -> Texts {
        Texts {
            en: message.render(Lang::En),
            ko: message.render(Lang::Ko),
        }
    }

    /// An error with its causes, as the command line shows them (outermost first).
    pub fn of_error(err: &anyhow::Error) -> Texts {
        let join = |lang| {
            let mut shown = String::new();
            for text in crate::explain::error_chain(err, lang) {
                if !shown.contains(text.as_str()) {
                    if !shown.is_empty() {
                        shown.push('\n');
                    }
                    shown.push_str(&text);
                }
            }
            shown
        };
        Texts {
            en: join(Lang::En),
            ko: join(Lang::Ko),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

/// What a job is doing, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// What a job makes: one picture, or a comparison's labelled sheet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    #[default]
    Image,
    Compare,
}

impl JobKind {
    fn is_image(&self) -> bool {
        *self == JobKind::Image
    }
}

/// `<id>.json`: a job as it is known on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    /// Left out for an image (records written before comparisons were served are images).
    #[serde(default, skip_serializing_if = "JobKind::is_image")]
    pub kind: JobKind,
    pub state: JobState,
    pub caption: String,
    pub seed: u64,
    /// Seconds since 1970 when the job was accepted, to the millisecond: a picture and a
    /// comparison asked for in the same second keep their order in the history. Records
    /// written with whole seconds read as they are.
    pub created: f64,
    /// Seconds it waited in the queue before it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_seconds: Option<f64>,
    /// Seconds the model worked on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Texts>,
    /// Whose history it is in: the SHA-256 of the browser's `reportfig-owner` cookie (never
    /// the cookie itself); `None` for jobs sent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The server instance that makes it (`--instance`), when several share the data
    /// folder; `None` in records written before instances were named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// The images folder of a server's data folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating it if needed) `<data>/images`.
    pub fn open(data: &Path) -> Result<Store, OutputError> {
        let dir = data.join("images");
        std::fs::create_dir_all(&dir).map_err(|source| OutputError::UnwritableFolder {
            dir: dir.clone(),
            source,
        })?;
        Ok(Store { dir })
    }

    pub fn png_path(&self, id: &JobId) -> PathBuf {
        self.dir.join(format!("{}.png", id.as_str()))
    }

    fn record_path(&self, id: &JobId) -> PathBuf {
        self.dir.join(format!("{}.json", id.as_str()))
    }

    /// Writes (or replaces) a job's record.
    pub fn write(&self, record: &JobRecord) -> Result<(), OutputError> {
        let id = JobId::parse(&record.id).ok_or_else(|| OutputError::Encode {
            message: format!("internal error: bad job id {:?}", record.id),
        })?;
        write_record(&self.record_path(&id), record)
    }

    /// Removes a job's files (a cancelled or deleted job); files already gone are fine.
    pub fn remove(&self, id: &JobId) {
        let _ = std::fs::remove_file(self.png_path(id));
        let _ = std::fs::remove_file(self.record_path(id));
    }

    /// The record of job `id` as it is on disk now (another instance sharing the folder may
    /// have written it); `None` when there is none or it is not a record.
    pub fn read(&self, id: &JobId) -> Option<JobRecord> {
        read_record(&self.record_path(id), id, |r: &JobRecord| &r.id)
    }

    /// Whether job `id` has a record on disk: a finished job without one was deleted,
    /// perhaps through another instance.
    pub fn has_record(&self, id: &JobId) -> bool {
        self.record_path(id).is_file()
    }

    /// The ids of every job recorded in the folder, by their file names alone.
    pub fn ids(&self) -> Vec<JobId> {
        ids_in(&self.dir, |name| name.strip_suffix(".json"))
    }

    /// Whether a finished job's picture is there.
    pub fn has_png(&self, id: &JobId) -> bool {
        self.png_path(id).is_file()
    }

    /// Every job found on disk, oldest first. A job that was waiting or running when the
    /// server last stopped, or whose picture is missing, is recorded as failed with `lost`,
    /// since nothing will make it now; files that are not ours are left alone. A job that
    /// another instance sharing the folder is still making (`running` says whether an
    /// instance of that name runs) is left out: it is read again when asked for.
    pub fn load(&self, lost: &Message, running: &dyn Fn(&str) -> bool) -> Vec<JobRecord> {
        // Another instance may share the folder: only temporaries old enough to be left behind.
        output::remove_stale_temporaries(&self.dir, output::STALE_TEMPORARY_AGE);
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            let Some(id) = JobId::parse(stem) else {
                continue;
            };
            let Some(mut record) = read_record(&entry.path(), &id, |r: &JobRecord| &r.id) else {
                continue;
            };
            if !record.state.is_finished() && record.instance.as_deref().is_some_and(running) {
                continue;
            }
            let missing_png = record.state == JobState::Done && !self.png_path(&id).is_file();
            if !record.state.is_finished() || missing_png {
                record.state = JobState::Failed;
                record.error = Some(Texts::of(lost));
                if self.write(&record).is_err() {
                    continue;
                }
            }
            out.push(record);
        }
        out.sort_by(|a, b| {
            a.created
                .total_cmp(&b.created)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }
}

/// Writes a record (a job's or a batch's) as pretty JSON, atomically.
pub(crate) fn write_record<R: Serialize>(path: &Path, record: &R) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(record).map_err(|e| OutputError::Encode {
        message: e.to_string(),
    })?;
    text.push('\n');
    output::write_atomic(path, text.as_bytes(), true)
}

/// The record at `path`, when it is one and is the record of `id` (`id_of` reads the id it
/// names): a file renamed or copied by hand never answers for another job.
pub(crate) fn read_record<R: DeserializeOwned>(
    path: &Path,
    id: &JobId,
    id_of: impl Fn(&R) -> &str,
) -> Option<R> {
    let text = std::fs::read_to_string(path).ok()?;
    let record = serde_json::from_str::<R>(&text).ok()?;
    (id_of(&record) == id.as_str()).then_some(record)
}

/// The ids that the entries of `dir` name, as `stem` finds an id's text in an entry's name
/// (only what [`JobId::parse`] accepts counts).
pub(crate) fn ids_in(dir: &Path, stem: impl Fn(&str) -> Option<&str>) -> Vec<JobId> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| JobId::parse(stem(e.file_name().to_str()?)?))
        .collect()
}

/// Seconds since 1970, for records.
pub fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_32_hex_digits_are_ids() {
        assert!(JobId::parse(&"a".repeat(32)).is_some());
        assert!(JobId::parse(&"0123456789abcdef".repeat(2)).is_some());
        for bad in [
            "",
            "../../etc/passwd",
            &"a".repeat(31),
            &"a".repeat(33),
            &"A".repeat(32),
            &format!("{}/", "a".repeat(31)),
            &format!("{}.png", "a".repeat(28)),
        ] {
            assert!(JobId::parse(bad).is_none(), "{bad:?}");
        }
        let a = JobId::random().unwrap();
        let b = JobId::random().unwrap();
        assert_ne!(a, b);
        assert!(JobId::parse(a.as_str()).is_some());
    }

    fn record(state: JobState, n: u64, created: f64) -> JobRecord {
        JobRecord {
            id: format!("{n:032x}"),
            kind: JobKind::Image,
            state,
            caption: "a park".into(),
            seed: n,
            created,
            waited_seconds: None,
            seconds: None,
            error: None,
            owner: None,
            instance: None,
        }
    }

    #[test]
    fn jobs_of_one_second_keep_the_order_they_were_asked_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // The later job has the smaller id: only the time within the second orders them.
        store.write(&record(JobState::Done, 1, 100.7)).unwrap();
        store.write(&record(JobState::Done, 2, 100.2)).unwrap();
        // A record from before milliseconds were kept: whole seconds read as they are.
        let old = format!(
            r#"{{"id":"{:032x}","state":"done","caption":"a park","seed":3,"created":99}}"#,
            3
        );
        std::fs::write(dir.path().join(format!("images/{:032x}.json", 3)), old).unwrap();
        let lost = crate::msg!("caption-empty");
        let seeds: Vec<u64> = store
            .load(&lost, &|_| false)
            .iter()
            .map(|r| r.seed)
            .collect();
        assert_eq!(seeds, vec![3, 2, 1]);
    }

    #[test]
    fn unfinished_jobs_are_reported_lost_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let record = |state, n: u64| record(state, n, n as f64);
        store.write(&record(JobState::Queued, 1)).unwrap();
        store.write(&record(JobState::Running, 2)).unwrap();
        // Done, but its picture is gone.
        store.write(&record(JobState::Done, 3)).unwrap();
        let done = record(JobState::Done, 4);
        store.write(&done).unwrap();
        std::fs::write(store.png_path(&JobId::parse(&done.id).unwrap()), b"png").unwrap();
        // Not ours: ignored and kept.
        std::fs::write(dir.path().join("images/notes.json"), b"{}").unwrap();

        let lost = crate::msg!("caption-empty");
        // Another instance, still running, is making this one: not lost.
        let mut elsewhere = record(JobState::Running, 5);
        elsewhere.instance = Some("b".into());
        store.write(&elsewhere).unwrap();
        let loaded = store.load(&lost, &|i| i == "b");
        let states: Vec<_> = loaded.iter().map(|r| r.state).collect();
        use JobState::*;
        assert_eq!(states, vec![Failed, Failed, Failed, Done]);
        assert_eq!(loaded[0].error.as_ref().unwrap().en, lost.render(Lang::En));
        assert!(dir.path().join("images/notes.json").is_file());
        // The failure was written down, so the next restart reads the same.
        let again: Vec<_> = store
            .load(&lost, &|i| i == "b")
            .iter()
            .map(|r| r.state)
            .collect();
        assert_eq!(again, states);
        assert_eq!(
            store
                .read(&JobId::parse(&elsewhere.id).unwrap())
                .unwrap()
                .state,
            Running,
            "left as its instance wrote it"
        );
        // Once that instance has stopped, its job is lost too.
        let last = store.load(&lost, &|_| false);
        assert_eq!(last.len(), 5);
        assert!(last.iter().all(|r| r.state != Running));
    }
}
