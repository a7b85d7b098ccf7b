//! One process per state directory: the directory's `lock` file is held with `flock(2)` for as
//! long as the process runs, and says who holds it. Two processes on one state directory would
//! share engine boots counters and overwrite each other's outlet states; the second is refused,
//! told which process holds the directory.
//!
//! While it holds the lock a process also removes the temporary files an earlier process left
//! when it was killed between writing a state file and renaming it into place (`persist`):
//! nobody else can be writing them.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// The lock file at the root of a state directory.
pub const LOCK_FILE: &str = "lock";

/// A state directory held by this process; released when dropped (or when the process ends,
/// however it ends: the kernel drops `flock` locks with the file).
pub struct StateLock {
    _file: Flock<File>,
    root: PathBuf,
}

impl std::fmt::Debug for StateLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateLock")
            .field("root", &self.root)
            .finish()
    }
}

/// Why a state directory cannot be held.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("state directory {root} is in use by another process ({holder}): stop that one, or give this one another --state-dir")]
    Held {
        /// The state directory.
        root: PathBuf,
        /// What the holder wrote into the lock file (its PID and command line).
        holder: String,
    },
    /// The directory does not exist and cannot be created.
    #[error("cannot create state directory {root}: {source}; create it, or make its parent writable, or pick another with --state-dir")]
    Create {
        /// The state directory.
        root: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The directory's lock file cannot be created, written or locked.
    #[error("cannot write the lock file of state directory {root}: {source}; the state directory must be writable: fix its permissions (or mount it read-write), or pick another with --state-dir")]
    Io {
        /// The state directory.
        root: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl StateLock {
    /// Creates `root` if needed and takes its lock without waiting, writing this process's PID
    /// and command line into the lock file, then removes the temporary files a killed process
    /// left (see the module documentation).
    ///
    /// Errors: [`LockError::Held`] when another process holds the directory,
    /// [`LockError::Create`] when it cannot be created, [`LockError::Io`] when its lock file
    /// cannot be written or locked.
    pub fn acquire(root: &Path) -> Result<StateLock, LockError> {
        let io = |source| LockError::Io {
            root: root.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(root).map_err(|source| LockError::Create {
            root: root.to_path_buf(),
            source,
        })?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(root.join(LOCK_FILE))
            .map_err(io)?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    root: root.to_path_buf(),
                    holder: if holder.is_empty() {
                        "it has not said who it is yet".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err((_, errno)) => return Err(io(std::io::Error::from(errno))),
        };
        let command: Vec<String> = std::env::args().take(4).collect();
        let me = format!("pid {}: {}", std::process::id(), command.join(" "));
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        let removed = remove_stale_temporaries(root);
        if removed > 0 {
            tracing::info!(
                root = %root.display(),
                "removed {removed} temporary file(s) left by a process that was killed while saving"
            );
        }
        Ok(StateLock {
            _file: file,
            root: root.to_path_buf(),
        })
    }

    /// The state directory held.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Removes `*.toml.tmp*` files (`persist`'s temporaries) in `root` and in its PDU folders one
/// level down; returns how many. Errors are skipped: a file that cannot be removed stays.
fn remove_stale_temporaries(root: &Path) -> usize {
    let mut removed = 0;
    let is_temporary = |name: &str| name.contains(".toml.tmp");
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        match entry.file_type() {
            Ok(t) if t.is_dir() => {
                for inner in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                    let inner_name = inner.file_name();
                    if is_temporary(&inner_name.to_string_lossy())
                        && std::fs::remove_file(inner.path()).is_ok()
                    {
                        removed += 1;
                    }
                }
            }
            Ok(t) if t.is_file() && is_temporary(&name) && std::fs::remove_file(&path).is_ok() => {
                removed += 1;
            }
            _ => {}
        }
    }
    removed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("state");
        let first = StateLock::acquire(&root).unwrap();
        // flock locks belong to the open file: a second open in this process conflicts like
        // another process's would.
        let error = StateLock::acquire(&root).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, LockError::Held { .. }), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id()))
                && message.contains(&root.display().to_string())
                && message.contains("--state-dir"),
            "{message}"
        );
        drop(first);
        StateLock::acquire(&root).unwrap();
    }

    #[test]
    fn temporaries_left_by_a_killed_writer_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("px2")).unwrap();
        for f in [
            "px2/outlets.toml",
            "px2/outlets.toml.tmpAbC123",
            "px2/engine.toml.tmpx",
            "starts.toml",
            "starts.toml.tmp9",
            "notes.txt",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        let _lock = StateLock::acquire(root).unwrap();
        let mut left: Vec<String> = walk(root);
        left.sort();
        assert_eq!(
            left,
            vec!["lock", "notes.txt", "px2/outlets.toml", "starts.toml"]
        );
    }

    fn walk(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(root).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                for inner in std::fs::read_dir(e.path()).unwrap().flatten() {
                    out.push(format!("{name}/{}", inner.file_name().to_string_lossy()));
                }
            } else {
                out.push(name);
            }
        }
        out
    }
}
