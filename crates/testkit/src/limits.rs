//! Running a process against a full disk, as unprivileged tests and CI can: a file-size limit
//! (`RLIMIT_FSIZE`, what `ulimit -f` sets) makes every write past it fail, and a tiny tmpfs,
//! where mounting is allowed, is a disk that really fills up.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `cmd` with no file it writes allowed past `bytes`, as `ulimit -f` does: a write past
/// it fails with `EFBIG` ("File too large") when the process ignores `SIGXFSZ` (reportfig
/// does, see `output::fail_writes_past_file_size_limit`), else the signal kills it. The
/// signal is left as a shell leaves it, so the tests also prove the program ignores it.
#[cfg(unix)]
pub fn limit_file_size(cmd: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: setrlimit is one (POSIX lists it), and the closure
    // neither allocates nor takes locks.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A tmpfs of `bytes` mounted on a new folder under `parent`, unmounted (lazily, so a test
/// that failed with a file still open does not leave it mounted) when dropped. `None` where
/// this process may not mount (not root, or a container without `CAP_SYS_ADMIN`).
pub struct TinyDisk {
    path: PathBuf,
}

impl TinyDisk {
    pub fn mount(parent: &Path, bytes: u64) -> Option<TinyDisk> {
        let path = parent.join("tiny-disk");
        std::fs::create_dir_all(&path).ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes},mode=0777"))
            .arg("tmpfs")
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(TinyDisk { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Unmounts it now, as a network drive or a stick vanishes: the folder stays, empty.
    pub fn vanish(&self) -> bool {
        Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .stderr(std::process::Stdio::null())
            .status();
    }
}
