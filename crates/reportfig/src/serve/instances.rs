//! Several servers on one data folder, behind one reverse proxy or Kubernetes Service: each
//! is an instance with a name (`--instance`, by default the machine's or pod's host name),
//! and holds `<data>/instances/<name>.lock` locked while it runs. Every job's record names
//! the instance that makes it, so another instance can tell a job still being made (its
//! instance holds the lock) from one left behind by an instance that stopped (nobody does),
//! and never reports the first as lost.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::time::Duration;

use crate::commands::BadInput;
use crate::msg;

/// Longest instance name: a DNS label, as a Kubernetes pod name or a host name is.
const MAX_NAME_CHARS: usize = 63;

/// `--instance`: letters, digits, `.`, `_` and `-`, not starting with a dot, at most 63
/// characters (it names a file).
pub fn check_name(name: &str) -> Result<String, BadInput> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(BadInput(msg!(
            "serve-bad-instance",
            instance = name,
            max = MAX_NAME_CHARS
        )))
    }
}

/// The instances folder of a data folder.
#[derive(Debug, Clone)]
pub struct Instances {
    dir: PathBuf,
}

/// This instance's lock, held until the process ends (the system lets go of it then, even
/// after a crash or `kill -9`).
#[derive(Debug)]
pub struct Claimed {
    _file: File,
}

impl Instances {
    pub fn new(data: &std::path::Path) -> Instances {
        Instances {
            dir: data.join("instances"),
        }
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.lock"))
    }

    /// Takes `name` for this process; another running instance of the same name on the same
    /// folder is refused, since both would take the other's waiting jobs for lost ones.
    pub fn claim(&self, name: &str) -> Result<Claimed, anyhow::Error> {
        std::fs::create_dir_all(&self.dir).map_err(|source| {
            crate::output::OutputError::UnwritableFolder {
                dir: self.dir.clone(),
                source,
            }
        })?;
        let path = self.lock_path(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| crate::output::OutputError::UnwritableFolder {
                dir: self.dir.clone(),
                source,
            })?;
        // Another instance looking whether this one runs holds the lock for an instant:
        // try again for a moment before calling the name taken.
        for _ in 0..20 {
            match file.try_lock() {
                Ok(()) => return Ok(Claimed { _file: file }),
                Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(50)),
                Err(TryLockError::Error(e)) => {
                    return Err(crate::output::OutputError::UnwritableFolder {
                        dir: self.dir.clone(),
                        source: e,
                    }
                    .into())
                }
            }
        }
        Err(BadInput(msg!(
            "serve-instance-busy",
            instance = name,
            dir = self.dir.display().to_string()
        ))
        .into())
    }

    /// Whether the instance `name` is running on this folder now (holds its lock). A name
    /// that never ran, or whose lock cannot be read, is not running.
    pub fn is_running(&self, name: &str) -> bool {
        if check_name(name).is_err() {
            return false;
        }
        let Ok(file) = File::open(self.lock_path(name)) else {
            return false;
        };
        // Shared: several instances may look at once; only the holder's lock refuses it.
        match file.try_lock_shared() {
            Ok(()) => false,
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_are_plain_file_names() {
        for ok in ["a", "reportfig-7d9f8-x2k4q", "gpu1.city", "node_2"] {
            assert_eq!(check_name(ok).unwrap(), ok);
        }
        for bad in [
            "",
            " ",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "시청",
            &"a".repeat(64),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_claimed_name_is_running_until_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let instances = Instances::new(dir.path());
        assert!(!instances.is_running("a"), "never ran");
        let held = instances.claim("a").unwrap();
        assert!(instances.is_running("a"));
        assert!(!instances.is_running("b"));
        // Looking does not take the name from its holder.
        assert!(instances.is_running("a"));
        let twice = instances.claim("a").unwrap_err();
        assert!(twice.to_string().contains("\"a\""), "{twice}");
        drop(held);
        assert!(!instances.is_running("a"));
        let _again = instances.claim("a").unwrap();
        assert!(instances.is_running("a"));
    }
}
