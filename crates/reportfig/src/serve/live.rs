//! A running job as the other instances sharing the data folder see it, in `<data>/live/`:
//! `<id>.json`, its progress, written by the instance that makes it at every step, and
//! `<id>.cancel`, a request from another instance to cancel it, which the making instance
//! looks for several times a second. Both are replaced whole (a temporary file renamed), so
//! a reader finds the old content or the new one, never half of one; both go once the job
//! ends. Plain files on the folder every instance already shares: no other channel between
//! instances, nothing written outside the data folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::{ids_in, JobId};
use crate::output::OutputError;

/// What `<id>.json` says: the same counts the making instance shows for its own jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveProgress {
    /// Steps done and the total of the picture being made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<(usize, usize)>,
    /// A comparison's pictures made and the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells: Option<(usize, usize)>,
}

/// The `live` folder of a data folder.
#[derive(Debug, Clone)]
pub struct Live {
    dir: PathBuf,
}

impl Live {
    pub fn new(data: &Path) -> Live {
        Live {
            dir: data.join("live"),
        }
    }

    fn progress_path(&self, id: &JobId) -> PathBuf {
        self.dir.join(format!("{}.json", id.as_str()))
    }

    fn cancel_path(&self, id: &JobId) -> PathBuf {
        self.dir.join(format!("{}.cancel", id.as_str()))
    }

    /// Replaces `path` with `bytes` by renaming a temporary file of the same folder. Not
    /// synced to the disk, unlike records and pictures: progress is stale a second later,
    /// and a lost cancel request is sent again by the user.
    fn replace(&self, path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        use std::io::Write;
        let unwritable = |source| OutputError::UnwritableFolder {
            dir: self.dir.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(unwritable)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".live.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(unwritable)?;
        temp.write_all(bytes).map_err(unwritable)?;
        temp.persist(path).map_err(|e| unwritable(e.error))?;
        Ok(())
    }

    /// Publishes a running job's progress. Best effort: a job is not failed because the
    /// others cannot see its progress.
    pub fn write_progress(&self, id: &JobId, progress: &LiveProgress) {
        if let Ok(text) = serde_json::to_string(progress) {
            let _ = self.replace(&self.progress_path(id), text.as_bytes());
        }
    }

    /// The progress another instance published for `id`, if any.
    pub fn read_progress(&self, id: &JobId) -> Option<LiveProgress> {
        let text = std::fs::read_to_string(self.progress_path(id)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Asks the instance making `id` to cancel it; `from` (the asking instance) is written
    /// in the file for whoever looks at the folder.
    pub fn request_cancel(&self, id: &JobId, from: &str) -> Result<(), OutputError> {
        self.replace(&self.cancel_path(id), format!("{from}\n").as_bytes())
    }

    /// Whether cancelling `id` was asked for and not yet done.
    pub fn cancel_requested(&self, id: &JobId) -> bool {
        self.cancel_path(id).is_file()
    }

    /// Every job whose cancelling was asked for, by the file names alone.
    pub fn cancel_requests(&self) -> Vec<JobId> {
        ids_in(&self.dir, |name| name.strip_suffix(".cancel"))
    }

    /// Forgets a job that ended (made, failed or cancelled): its progress and any request.
    pub fn clear(&self, id: &JobId) {
        let _ = std::fs::remove_file(self.progress_path(id));
        let _ = std::fs::remove_file(self.cancel_path(id));
    }

    /// Removes what a killed instance left half-written (temporaries of ours only).
    pub fn remove_stale_temporaries(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let old = std::time::Duration::from_secs(60);
        for entry in entries.flatten() {
            let name = entry.file_name();
            let ours = name
                .to_str()
                .is_some_and(|n| n.starts_with(".live.") && n.ends_with(".tmp"));
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= old));
            if ours && stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_cancel_requests_round_trip_and_clear() {
        let dir = tempfile::tempdir().unwrap();
        let live = Live::new(dir.path());
        let id = JobId::parse(&"ab".repeat(16)).unwrap();
        assert_eq!(live.read_progress(&id), None);
        assert!(!live.cancel_requested(&id) && live.cancel_requests().is_empty());

        let p = LiveProgress {
            step: Some((3, 20)),
            cells: Some((1, 4)),
        };
        live.write_progress(&id, &p);
        live.write_progress(
            &id,
            &LiveProgress {
                step: Some((4, 20)),
                ..p
            },
        );
        assert_eq!(live.read_progress(&id).unwrap().step, Some((4, 20)));
        live.request_cancel(&id, "b").unwrap();
        assert!(live.cancel_requested(&id));
        assert_eq!(live.cancel_requests(), vec![id.clone()]);
        // Only the two files: no temporary left beside them.
        let mut names: Vec<_> = std::fs::read_dir(dir.path().join("live"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [format!("{id}.cancel"), format!("{id}.json")]);

        live.clear(&id);
        assert_eq!(live.read_progress(&id), None);
        assert!(!live.cancel_requested(&id));
        // Files that are not ours are never taken for requests.
        std::fs::write(dir.path().join("live/notes.cancel"), b"x").unwrap();
        assert!(live.cancel_requests().is_empty());
    }
}
