//! Crash-safe state files: write a temporary file, (fsync it,) rename it over the old one. A
//! crash leaves either the old file or the new one, never half of either.
//!
//! Two strengths: `Durability::PowerLoss` fsyncs the file and the folder, for what must never
//! go back (snmpEngineBoots, RFC 3414 §2.2.2). `Durability::ProcessCrash` skips the fsyncs: the
//! rename is still atomic and the kernel keeps the data if the process dies, which is what outlet
//! state needs on the SET path, where an fsync would cost milliseconds per request.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// How hard a write tries to survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file and its folder: survives a power loss (snmpEngineBoots).
    PowerLoss,
    /// No fsync: survives a crash of this process (outlet state on the SET path).
    ProcessCrash,
}

/// Replaces `path` with `contents`, durable against power loss.
///
/// Errors: the folder cannot be created, or the temporary file cannot be written or renamed.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_file(path, contents, Durability::PowerLoss)
}

/// Replaces `path` with `contents` atomically: a temporary file in the same folder (from the
/// `tempfile` crate, so concurrent writers never share one), written, optionally fsynced, then
/// renamed over `path`. A crash leaves the old file or the new one, never a mix; a failed write
/// leaves no temporary file behind.
///
/// Errors: the folder cannot be created, or the temporary file cannot be written or renamed.
pub fn replace_file(path: &Path, contents: &[u8], durability: Durability) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "state path has no file name")
    })?;
    let mut prefix = file_name.to_os_string();
    prefix.push(".tmp");
    let mut tmp = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir)?;
    tmp.write_all(contents)?;
    if durability == Durability::PowerLoss {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if durability == Durability::PowerLoss {
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// A write handed to the background writer: `wait` blocks until it is done (or a deadline);
/// `written` is the same for async callers, without blocking their runtime; `failure` says
/// whether it failed.
#[derive(Clone)]
pub struct PendingWrite(
    Arc<(Mutex<bool>, Condvar)>,
    Arc<tokio::sync::Notify>,
    Arc<OnceLock<String>>,
);

/// How a state write ended, as far as is known now ([`PendingWrite::outcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome<'a> {
    /// Still queued or being written.
    Pending,
    /// On disk (as [`state_durability`] makes it).
    Written,
    /// It failed; why (the file and the operating system's error).
    Failed(&'a str),
}

impl PendingWrite {
    /// A write not yet done; [`PendingWrite::fail`] or the writer ends it.
    pub(crate) fn new() -> PendingWrite {
        PendingWrite(
            Arc::new((Mutex::new(false), Condvar::new())),
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(OnceLock::new()),
        )
    }

    /// Why the write failed (the file and the operating system's error), once it is done and
    /// has failed; `None` while it is pending or when it succeeded.
    pub fn failure(&self) -> Option<&str> {
        self.2.get().map(String::as_str)
    }

    /// Whether the write is done, and how it went.
    pub fn outcome(&self) -> WriteOutcome<'_> {
        if !*self.0 .0.lock().unwrap_or_else(|p| p.into_inner()) {
            return WriteOutcome::Pending;
        }
        // `fail` sets the reason before it marks the write done.
        match self.failure() {
            Some(why) => WriteOutcome::Failed(why),
            None => WriteOutcome::Written,
        }
    }

    /// Ends the write as failed, for `why`.
    pub(crate) fn fail(&self, why: String) {
        let _ = self.2.set(why);
        self.finish();
    }

    /// Completes once the write is on disk.
    pub async fn written(&self) {
        if !*self.0 .0.lock().unwrap_or_else(|p| p.into_inner()) {
            // `finish` leaves a permit, so a write finished since the check is not missed.
            self.1.notified().await;
        }
    }

    /// Waits until the write is done or `timeout` passes; true when done.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (lock, done) = &*self.0;
        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = done
            .wait_timeout_while(guard, timeout, |finished| !*finished)
            .unwrap_or_else(|p| p.into_inner());
        *guard
    }

    /// Ends the write as done.
    pub(crate) fn finish(&self) {
        let (lock, done) = &*self.0;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        done.notify_all();
        self.1.notify_one();
    }
}

struct Job {
    path: PathBuf,
    contents: Vec<u8>,
    done: PendingWrite,
}

/// Whether background state writes fsync ([`Durability::PowerLoss`]); off by default.
static FSYNC_STATE_WRITES: AtomicBool = AtomicBool::new(false);

/// Sets how hard the background writer's state writes (outlet state on the SET path) try:
/// [`Durability::ProcessCrash`] (the default: no fsync) or [`Durability::PowerLoss`] (fsync the
/// file and its folder on every write, so an acknowledged SET survives a power cut, at the
/// cost of an fsync per SET; the `state_fsync` config key and `--state-fsync` flag).
pub fn set_state_durability(durability: Durability) {
    FSYNC_STATE_WRITES.store(durability == Durability::PowerLoss, Ordering::Relaxed);
}

/// How background state writes are made (see [`set_state_durability`]).
pub fn state_durability() -> Durability {
    if FSYNC_STATE_WRITES.load(Ordering::Relaxed) {
        Durability::PowerLoss
    } else {
        Durability::ProcessCrash
    }
}

/// The longest a SET or a control call waits for its state write: 10 s. A write normally
/// takes well under a millisecond (an fsync, with [`Durability::PowerLoss`], a few); one still
/// unfinished after this long (a hung or badly stalled file system) is given up on: the change
/// is undone and answered as failed (`dispatch::settle_save`, the control API), and the state
/// from before it is queued to be written after the stalled one. So nothing is acknowledged
/// before it is on disk, and the file ends up holding what the PDU holds either way.
pub const SAVE_WAIT: Duration = Duration::from_secs(10);

/// How long the transport waits for a SET's state write before giving up on it:
/// [`SAVE_WAIT`], whatever the [`state_durability`].
pub fn save_wait() -> Duration {
    SAVE_WAIT
}

/// Replaces `path` with `contents` ([`state_durability`]) on the process's one state-writer
/// thread, in the order queued. A request waits for its outcome (up to [`SAVE_WAIT`]) before it
/// answers, so an answer never acknowledges what is not on disk. Several writes of one file
/// queued at once collapse into the last.
pub fn replace_file_in_background(path: PathBuf, contents: Vec<u8>) -> PendingWrite {
    let done = PendingWrite::new();
    let job = Job {
        path,
        contents,
        done: done.clone(),
    };
    if let Err(unsent) = writer().send(job) {
        // The writer is gone (it never is, short of a panic there): write here instead.
        let job = unsent.0;
        match replace_file(&job.path, &job.contents, state_durability()) {
            Ok(()) => job.done.finish(),
            Err(e) => {
                tracing::error!(path = %job.path.display(), "cannot save state: {e}");
                job.done
                    .fail(format!("cannot write {}: {e}", job.path.display()));
            }
        }
    }
    done
}

/// Waits (up to `timeout`) until every background write queued so far is on disk: at shutdown.
pub fn flush_background_writes(timeout: Duration) -> bool {
    let Some(sender) = WRITER.get() else {
        return true;
    };
    let done = PendingWrite::new();
    let barrier = Job {
        path: PathBuf::new(),
        contents: Vec::new(),
        done: done.clone(),
    };
    sender.send(barrier).is_ok() && done.wait(timeout)
}

static WRITER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();

fn writer() -> &'static mpsc::Sender<Job> {
    WRITER.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("pdusim-state-writer".into())
            .spawn(move || {
                while let Ok(first) = receiver.recv() {
                    let mut jobs = vec![first];
                    jobs.extend(receiver.try_iter());
                    // Only the newest contents of each file matter.
                    let mut newest: HashMap<&Path, &[u8]> = HashMap::new();
                    for job in jobs.iter().filter(|j| !j.path.as_os_str().is_empty()) {
                        newest.insert(&job.path, &job.contents);
                    }
                    // A failed file fails every job that wanted it written; the waiter logs it.
                    let mut failed: HashMap<&Path, String> = HashMap::new();
                    for (path, contents) in newest {
                        if let Err(e) = replace_file(path, contents, state_durability()) {
                            tracing::error!(path = %path.display(), "cannot save state: {e}");
                            failed.insert(path, format!("cannot write {}: {e}", path.display()));
                        }
                    }
                    for job in &jobs {
                        match failed.get(job.path.as_path()) {
                            Some(why) => job.done.fail(why.clone()),
                            None => job.done.finish(),
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(
                "cannot start the state writer thread ({e}): state will be written by requests"
            );
        }
        sender
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.toml");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.toml")]);
    }

    #[test]
    fn background_writes_land_in_order_and_flush_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outlets.toml");
        let mut last = None;
        for n in 0..50 {
            last = Some(replace_file_in_background(
                path.clone(),
                format!("n = {n}").into_bytes(),
            ));
        }
        assert!(last.unwrap().wait(Duration::from_secs(10)));
        assert!(flush_background_writes(Duration::from_secs(10)));
        assert_eq!(fs::read_to_string(&path).unwrap(), "n = 49");
    }
}
