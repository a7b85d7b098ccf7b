//! The authoritative SNMP engine (RFC 3414 §2.2): snmpEngineID, snmpEngineBoots (persisted and
//! bumped at every start) and snmpEngineTime (seconds since this start, from the `Clock`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::persist::write_atomically;

/// RFC 3414 §2.2.2: engineBoots at this value locks the engine out of authenticated traffic.
pub const MAX_ENGINE_BOOTS: i32 = 2_147_483_647;
/// RFC 3414 §2.2.3: the time window is 150 seconds.
pub const TIME_WINDOW_SECS: i64 = 150;

/// Why the engine's ID or saved state (`engine.toml`: engine ID and boots) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An engine ID that is not 5 to 32 octets of hex (RFC 3411 SnmpEngineID); the text given.
    #[error(
        "engine ID {0:?} is not valid: give 5 to 32 bytes as hex digits, e.g. 80001f8880c0ffee0001"
    )]
    BadEngineId(String),
    /// The state file exists but cannot be read.
    #[error("cannot read engine state {path}: {source}; fix or delete the file to start afresh")]
    ReadState {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The state file is not what this program writes, or holds a bad engine ID.
    #[error("engine state {path} is corrupt ({detail}); fix or delete the file to start afresh")]
    CorruptState {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The state file cannot be written (at a start this stops the PDU: its boots could
    /// otherwise go back at the next start).
    #[error(
        "cannot write engine state {path}: {source}; check that the state directory is writable"
    )]
    WriteState {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Parses an engine ID given as hex (an optional `0x` prefix, `:` separators allowed).
pub fn parse_engine_id(text: &str) -> Result<Vec<u8>, EngineError> {
    let cleaned: String = text
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| *c != ':')
        .collect();
    let bytes = hex::decode(&cleaned).map_err(|_| EngineError::BadEngineId(text.to_string()))?;
    // RFC 3411 SnmpEngineID: SIZE(5..32).
    if !(5..=32).contains(&bytes.len()) {
        return Err(EngineError::BadEngineId(text.to_string()));
    }
    Ok(bytes)
}

/// A fresh engine ID in RFC 3411 format 5 (octets): the enterprise (here Raritan's 13742, or
/// whatever the caller's vendor is) with the high bit set, then 8 random octets.
pub fn generate_engine_id(enterprise: u32) -> Vec<u8> {
    let mut id = (enterprise | 0x8000_0000).to_be_bytes().to_vec();
    id.push(5);
    let mut random = [0u8; 8];
    if getrandom::fill(&mut random).is_err() {
        // No OS randomness (never seen on Linux): the clock still makes IDs differ per start.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        random = (nanos as u64 ^ u64::from(std::process::id())).to_be_bytes();
    }
    id.extend_from_slice(&random);
    id
}

#[derive(Serialize, Deserialize)]
struct EngineState {
    engine_id: String,
    boots: i32,
    /// The state directory's start count when `boots` was saved (see [`StartCount`]); absent
    /// in files saved by an engine started on its own ([`Engine::start`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starts: Option<i32>,
}

pub(crate) const ENGINE_FILE: &str = "engine.toml";
pub(crate) const STARTS_FILE: &str = "starts.toml";

/// How many times a process has started the PDUs of one state directory, saved once per start
/// in `starts.toml` at the directory's root, with a random seed made at the first start.
///
/// This is how 100,000 PDUs start without writing 100,000 files, while each one's
/// snmpEngineBoots still goes up by one at every start (RFC 3414 §2.2.2):
///
/// - a PDU's `engine.toml` records its boots *and the start count it was saved at*; at a
///   later start its boots is the saved boots plus the starts since (one per start), computed,
///   not written;
/// - a PDU that never saved anything (nobody restarted it, changed its engine, ...) has boots
///   equal to the start count, and an engine ID derived from the seed and its name
///   ([`StartCount::engine_id`]), the same at every start, so it needs no file either;
/// - a PDU's folder and files come into being at its first write (an outlet switched, an
///   engine restart or change), and from then on follow the first rule;
/// - a saved start count the directory has not reached (its `starts.toml` was deleted or
///   replaced) cannot be trusted to order starts: that PDU's boots goes up by one from its
///   saved value and is saved again with the new count.
///
/// The only write at a start is `starts.toml` itself (one file, with an fsync), before any
/// PDU answers, so a crash can never let a PDU's boots go back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartCount {
    /// This start's number, from 1.
    pub count: i32,
    seed: [u8; 8],
}

#[derive(Serialize, Deserialize)]
struct StartsFile {
    starts: i32,
    seed: String,
}

impl StartCount {
    /// Reads `root/starts.toml` (none: this is start 1 and a new seed is made), adds one, and
    /// writes it back durably (an fsync of one file) before returning.
    ///
    /// Errors: [`EngineError::ReadState`] or [`EngineError::CorruptState`] for a file that
    /// cannot be read or is not what this program writes; [`EngineError::WriteState`] when the
    /// new count cannot be saved (the PDUs must not start: their boots could go back).
    pub fn bump(root: &Path) -> Result<StartCount, EngineError> {
        let path = root.join(STARTS_FILE);
        let (previous, seed) = if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| EngineError::ReadState {
                path: path.clone(),
                source,
            })?;
            let corrupt = |detail: String| EngineError::CorruptState {
                path: path.clone(),
                detail,
            };
            let file: StartsFile = toml::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
            let seed: [u8; 8] = hex::decode(&file.seed)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| corrupt("seed is not 8 bytes of hex".into()))?;
            (file.starts, seed)
        } else {
            let mut seed = [0u8; 8];
            if getrandom::fill(&mut seed).is_err() {
                seed = generate_engine_id(0)
                    .get(5..13)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or_default();
            }
            (0, seed)
        };
        let count = previous.saturating_add(1).clamp(1, MAX_ENGINE_BOOTS);
        let text = toml::to_string(&StartsFile {
            starts: count,
            seed: hex::encode(seed),
        })
        .map_err(|e| EngineError::CorruptState {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        write_atomically(&path, text.as_bytes())
            .map_err(|source| EngineError::WriteState { path, source })?;
        Ok(StartCount { count, seed })
    }

    /// The snmpEngineID of PDU `name` when none is configured or saved: RFC 3411 format 5
    /// (octets), the enterprise with the high bit set, then the first 8 bytes of
    /// SHA-256(seed || name). The same at every start of this state directory, different per
    /// PDU and per directory.
    pub fn engine_id(&self, enterprise: u32, name: &str) -> Vec<u8> {
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(self.seed)
            .chain_update(name.as_bytes())
            .finalize();
        let mut id = (enterprise | 0x8000_0000).to_be_bytes().to_vec();
        id.push(5);
        id.extend(digest.iter().take(8));
        id
    }
}

/// The engine as it runs: ID, boots, and the clock its time is read from.
pub struct Engine {
    /// Behind a lock only so a fault can change it; read once per message.
    id: RwLock<Arc<[u8]>>,
    /// Seconds added to engine time: a clock-skew fault.
    skew_secs: AtomicI64,
    boots: AtomicI32,
    /// Clock reading (in nanoseconds) at which engine time was last reset to zero.
    time_origin_nanos: AtomicU64,
    clock: Arc<dyn Clock>,
    state_file: Option<PathBuf>,
    /// The start count saved with boots, when started with one ([`Engine::start_counted`]).
    starts: Option<i32>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("id", &hex::encode(&*self.id()))
            .field("boots", &self.boots())
            .field("time", &self.time())
            .finish()
    }
}

impl Engine {
    /// Starts the engine: loads its state from `state_dir` (if any), bumps boots, persists.
    /// `configured_id` wins over a persisted one; otherwise a persisted ID is kept, else one is made.
    pub fn start(
        state_dir: Option<&Path>,
        configured_id: Option<Vec<u8>>,
        enterprise: u32,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        let state_file = state_dir.map(|d| d.join(ENGINE_FILE));
        let previous = match &state_file {
            Some(path) if path.exists() => Some(load_state(path)?),
            _ => None,
        };
        let id = match (configured_id, &previous) {
            (Some(id), _) => id,
            (None, Some(prev)) => {
                parse_engine_id(&prev.engine_id).map_err(|e| EngineError::CorruptState {
                    path: state_file.clone().unwrap_or_default(),
                    detail: e.to_string(),
                })?
            }
            (None, None) => generate_engine_id(enterprise),
        };
        // RFC 3414 §2.2.2: boots counts restarts; a changed engine ID starts again at 1.
        let boots = match &previous {
            Some(prev) if prev.engine_id == hex::encode(&id) => prev.boots.saturating_add(1),
            _ => 1,
        };
        let engine = Engine {
            id: RwLock::new(Arc::from(id)),
            skew_secs: AtomicI64::new(0),
            boots: AtomicI32::new(boots),
            time_origin_nanos: AtomicU64::new(nanos(clock.now())),
            clock,
            state_file,
            starts: None,
        };
        engine.persist()?;
        Ok(engine)
    }

    /// Starts the engine of PDU `name` at start `starts` of its state directory, writing
    /// nothing unless it must (see [`StartCount`]): boots is computed from the saved boots and
    /// the starts since, and a PDU without saved state gets boots = the start count and the
    /// engine ID [`StartCount::engine_id`] makes. `configured_id` wins over both.
    ///
    /// Errors: [`EngineError::ReadState`], [`EngineError::CorruptState`] for a saved state that
    /// cannot be used; [`EngineError::WriteState`] when a state that must be re-saved (an
    /// engine ID changed by the config, a file from before start counts, a start count the
    /// directory has not reached) cannot be.
    pub fn start_counted(
        state_dir: &Path,
        configured_id: Option<Vec<u8>>,
        enterprise: u32,
        name: &str,
        starts: StartCount,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        let state_file = state_dir.join(ENGINE_FILE);
        let previous = match state_file.try_exists() {
            Ok(true) => Some(load_state(&state_file)?),
            Ok(false) => None,
            Err(source) => {
                return Err(EngineError::ReadState {
                    path: state_file,
                    source,
                })
            }
        };
        let saved_id =
            match &previous {
                Some(prev) => Some(parse_engine_id(&prev.engine_id).map_err(|e| {
                    EngineError::CorruptState {
                        path: state_file.clone(),
                        detail: e.to_string(),
                    }
                })?),
                None => None,
            };
        let id = configured_id
            .or_else(|| saved_id.clone())
            .unwrap_or_else(|| starts.engine_id(enterprise, name));
        let (boots, write) = match (&previous, saved_id) {
            (Some(prev), Some(saved)) if saved == id => match prev.starts {
                // Saved at an earlier start of this directory: one boot per start since.
                Some(at) if at < starts.count => (
                    // Saturates at MAX_ENGINE_BOOTS (i32::MAX): a locked-out engine stays so.
                    prev.boots.saturating_add(starts.count.saturating_sub(at)),
                    false,
                ),
                // Saved by an engine started on its own, or at a start count this directory
                // has not reached: one boot more, saved with this start's count.
                _ => (prev.boots.saturating_add(1), true),
            },
            // RFC 3414 §2.2.2: a new engine ID starts boots again at 1.
            (Some(_), _) => (1, true),
            (None, _) => (starts.count, false),
        };
        let engine = Engine {
            id: RwLock::new(Arc::from(id)),
            skew_secs: AtomicI64::new(0),
            boots: AtomicI32::new(boots),
            time_origin_nanos: AtomicU64::new(nanos(clock.now())),
            clock,
            state_file: Some(state_file),
            starts: Some(starts.count),
        };
        if write {
            engine.persist()?;
        }
        Ok(engine)
    }

    /// An engine that saves nothing: `id`, boots 1, time from now. What a PDU whose saved
    /// state cannot be read gets, so that nothing is written over that state.
    pub fn unsaved(id: Vec<u8>, clock: Arc<dyn Clock>) -> Engine {
        Engine {
            id: RwLock::new(Arc::from(id)),
            skew_secs: AtomicI64::new(0),
            boots: AtomicI32::new(1),
            time_origin_nanos: AtomicU64::new(nanos(clock.now())),
            clock,
            state_file: None,
            starts: None,
        }
    }

    /// snmpEngineID, as it is now (an engine ID change replaces it).
    pub fn id(&self) -> Arc<[u8]> {
        self.id.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Gives the engine a new snmpEngineID (a replaced or factory-reset device): boots starts
    /// again at 1 and time at 0, as for a new engine (RFC 3414 §2.2.2).
    pub fn change_id(&self, id: Vec<u8>) -> Result<(), EngineError> {
        *self.id.write().unwrap_or_else(|p| p.into_inner()) = Arc::from(id);
        self.boots.store(1, Ordering::SeqCst);
        self.time_origin_nanos
            .store(nanos(self.clock.now()), Ordering::SeqCst);
        self.persist()
    }

    /// Skews engine time by `secs` (negative goes back, never below 0).
    pub fn set_skew(&self, secs: i64) {
        self.skew_secs.store(secs, Ordering::SeqCst);
    }

    /// snmpEngineBoots: 1 to 2147483647 ([`MAX_ENGINE_BOOTS`]). Reading it first settles a
    /// wrap of engine time (see [`Engine::time`]), so boots and time read together agree.
    pub fn boots(&self) -> i32 {
        self.settled_secs();
        self.boots.load(Ordering::SeqCst)
    }

    /// snmpEngineTime: whole seconds since the last (re)start, 0..=2147483646.
    ///
    /// RFC 3414 §2.2.2: when snmpEngineTime reaches its maximum (2147483647), snmpEngineBoots
    /// goes up by one as if the engine had rebooted and time starts again at 0. Done here, when
    /// time is read (after 68 years of uptime, or at once after a large clock-skew fault); the
    /// new boots is persisted like any other.
    pub fn time(&self) -> i32 {
        i32::try_from(self.settled_secs()).unwrap_or(i32::MAX)
    }

    /// Engine time in seconds, after turning every full period of 2147483647 s into a boot.
    fn settled_secs(&self) -> i64 {
        const PERIOD: i64 = i32::MAX as i64;
        loop {
            let since = nanos(self.clock.now())
                .saturating_sub(self.time_origin_nanos.load(Ordering::SeqCst));
            let secs = i64::try_from(since / 1_000_000_000).unwrap_or(i64::MAX);
            let skew = self.skew_secs.load(Ordering::SeqCst);
            let skewed = secs.saturating_add(skew).max(0);
            let wraps = skewed / PERIOD;
            if wraps == 0 {
                return skewed;
            }
            // One reader wins the wrap (moves the skew back by whole periods) and bumps boots.
            let back = wraps.saturating_mul(PERIOD);
            if self
                .skew_secs
                .compare_exchange(
                    skew,
                    skew.saturating_sub(back),
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
            {
                let add = i32::try_from(wraps).unwrap_or(i32::MAX);
                let _ = self
                    .boots
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                        Some(b.saturating_add(add))
                    });
                if let Err(e) = self.persist() {
                    tracing::error!(
                        "engine time wrapped, but the new snmpEngineBoots could not be saved: {e}"
                    );
                }
            }
        }
    }

    /// True once boots has reached its maximum: RFC 3414 §3.2 step 7b says every authenticated
    /// message is then outside the time window.
    pub fn locked_out(&self) -> bool {
        self.boots() == MAX_ENGINE_BOOTS
    }

    /// An engine restart without a process restart: boots + 1, time back to 0.
    pub fn restart(&self) -> Result<(), EngineError> {
        let _ = self
            .boots
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                Some(b.saturating_add(1))
            });
        self.time_origin_nanos
            .store(nanos(self.clock.now()), Ordering::SeqCst);
        self.persist()
    }

    /// Sets snmpEngineBoots, clamped to 1..=2147483647 (RFC 3411 §5), and saves it; engine
    /// time is not reset. Errors: [`EngineError::WriteState`] (the new value stays in force).
    pub fn set_boots(&self, boots: i32) -> Result<(), EngineError> {
        // RFC 3411 §5: snmpEngineBoots is 1..2147483647.
        self.boots
            .store(boots.clamp(1, MAX_ENGINE_BOOTS), Ordering::SeqCst);
        self.persist()
    }

    /// Moves the moment engine time counts from to `origin` (a clock reading): a PDU that
    /// comes into being after the process started ([`crate::device`]'s lazy PDUs) has been
    /// running, as far as a manager can tell, since the process started, so its snmpEngineTime
    /// counts from then (RFC 3414 §2.2.1).
    pub fn count_time_from(&self, origin: Duration) {
        self.time_origin_nanos
            .store(nanos(origin), Ordering::SeqCst);
    }

    /// Reads the engine state saved in `state_dir` (if any) and says whether it could be used,
    /// writing nothing: the start-time check of a PDU that comes into being later.
    ///
    /// Errors: [`EngineError::ReadState`], [`EngineError::CorruptState`], as
    /// [`Engine::start_counted`] would return them.
    pub fn check_saved(state_dir: &Path) -> Result<(), EngineError> {
        let state_file = state_dir.join(ENGINE_FILE);
        match state_file.try_exists() {
            Ok(false) => Ok(()),
            Ok(true) => {
                let prev = load_state(&state_file)?;
                parse_engine_id(&prev.engine_id).map(|_| ()).map_err(|e| {
                    EngineError::CorruptState {
                        path: state_file,
                        detail: e.to_string(),
                    }
                })
            }
            Err(source) => Err(EngineError::ReadState {
                path: state_file,
                source,
            }),
        }
    }

    /// The clock this engine reads, for the agent's other uses (sysUpTime, outlet delays).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The clock's reading: time since its epoch, not since this engine started.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    fn persist(&self) -> Result<(), EngineError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let state = EngineState {
            engine_id: hex::encode(&*self.id()),
            boots: self.boots(),
            starts: self.starts,
        };
        let text = toml::to_string(&state).map_err(|e| EngineError::CorruptState {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        write_atomically(path, text.as_bytes()).map_err(|source| EngineError::WriteState {
            path: path.clone(),
            source,
        })
    }
}

fn load_state(path: &Path) -> Result<EngineState, EngineError> {
    let text = std::fs::read_to_string(path).map_err(|source| EngineError::ReadState {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| EngineError::CorruptState {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn boots_go_up_by_one_per_start_and_id_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let first = Engine::start(Some(dir.path()), None, 13742, clock.clone()).unwrap();
        assert_eq!(first.boots(), 1);
        let id = first.id().to_vec();
        assert_eq!(&id[..5], &[0x80, 0x00, 0x35, 0xae, 5]);
        drop(first);
        let second = Engine::start(Some(dir.path()), None, 13742, clock).unwrap();
        assert_eq!(second.boots(), 2);
        assert_eq!(&*second.id(), &id[..]);
    }

    fn counted(dir: &Path, name: &str, starts: StartCount, clock: &Arc<ManualClock>) -> Engine {
        Engine::start_counted(&dir.join(name), None, 13742, name, starts, clock.clone()).unwrap()
    }

    #[test]
    fn counted_starts_write_one_file_and_still_bump_every_boots() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let first = StartCount::bump(root.path()).unwrap();
        assert_eq!(first.count, 1);
        let a = counted(root.path(), "a", first, &clock);
        let b = counted(root.path(), "b", first, &clock);
        assert_eq!((a.boots(), b.boots()), (1, 1));
        assert_ne!(a.id(), b.id(), "each PDU its own engine ID");
        assert_eq!(&a.id()[..5], &[0x80, 0x00, 0x35, 0xae, 5]);
        // Nothing but starts.toml was written.
        let names: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(STARTS_FILE)]);
        let (a_id, b_id) = (a.id(), b.id());
        drop((a, b));

        let second = StartCount::bump(root.path()).unwrap();
        assert_eq!(second.count, 2);
        let a = counted(root.path(), "a", second, &clock);
        let b = counted(root.path(), "b", second, &clock);
        assert_eq!((a.boots(), b.boots()), (2, 2));
        assert_eq!((a.id(), b.id()), (a_id.clone(), b_id));
        // A restart is saved (with the start count it happened at) ...
        a.restart().unwrap();
        assert_eq!(a.boots(), 3);
        assert!(root.path().join("a").join(ENGINE_FILE).exists());
        drop((a, b));

        // ... and counts on: +1 per start since.
        StartCount::bump(root.path()).unwrap();
        let fourth = StartCount::bump(root.path()).unwrap();
        let a = counted(root.path(), "a", fourth, &clock);
        let b = counted(root.path(), "b", fourth, &clock);
        assert_eq!((a.boots(), b.boots()), (5, 4));
        assert_eq!(a.id(), a_id);
    }

    #[test]
    fn a_lost_start_count_or_an_old_file_still_moves_boots_forward() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        // A file saved by an engine started on its own (no start count in it).
        drop(Engine::start(Some(&root.path().join("a")), None, 13742, clock.clone()).unwrap());
        drop(Engine::start(Some(&root.path().join("a")), None, 13742, clock.clone()).unwrap());
        let one = StartCount::bump(root.path()).unwrap();
        let a = counted(root.path(), "a", one, &clock);
        assert_eq!(a.boots(), 3, "one more than the two standalone starts");
        a.set_boots(40).unwrap();
        drop(a);
        // starts.toml lost: the count restarts at 1, not above the saved one; boots still goes up.
        std::fs::remove_file(root.path().join(STARTS_FILE)).unwrap();
        let again = StartCount::bump(root.path()).unwrap();
        assert_eq!(again.count, 1);
        let a = counted(root.path(), "a", again, &clock);
        assert_eq!(a.boots(), 41);
        drop(a);
        let next = StartCount::bump(root.path()).unwrap();
        assert_eq!(counted(root.path(), "a", next, &clock).boots(), 42);
    }

    #[test]
    fn counted_boots_stay_locked_out_and_a_new_engine_id_starts_at_one() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let one = StartCount::bump(root.path()).unwrap();
        let a = counted(root.path(), "a", one, &clock);
        a.set_boots(MAX_ENGINE_BOOTS).unwrap();
        drop(a);
        let two = StartCount::bump(root.path()).unwrap();
        assert!(counted(root.path(), "a", two, &clock).locked_out());
        let three = StartCount::bump(root.path()).unwrap();
        let configured = Engine::start_counted(
            &root.path().join("a"),
            Some(vec![0x80, 0, 0, 1, 4, 1, 2, 3]),
            13742,
            "a",
            three,
            clock.clone(),
        )
        .unwrap();
        assert_eq!(configured.boots(), 1);
    }

    #[test]
    fn a_damaged_start_count_is_refused_with_the_file() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join(STARTS_FILE),
            "starts = 3\nseed = \"xyz\"\n",
        )
        .unwrap();
        let error = StartCount::bump(root.path()).unwrap_err();
        assert!(matches!(error, EngineError::CorruptState { .. }), "{error}");
        assert!(error.to_string().contains(STARTS_FILE), "{error}");
    }

    #[test]
    fn time_follows_the_clock_and_restart_resets_it() {
        let clock = Arc::new(ManualClock::default());
        let engine = Engine::start(None, Some(vec![0x80, 0, 0, 0, 1]), 1, clock.clone()).unwrap();
        clock.advance(Duration::from_secs(42));
        assert_eq!(engine.time(), 42);
        engine.restart().unwrap();
        assert_eq!((engine.boots(), engine.time()), (2, 0));
    }

    /// RFC 3414 §2.2.2 at the boundary, on the manual clock: time 2147483646 is the last
    /// value; at 2147483647 boots goes up by one (persisted) and time starts again at 0.
    #[test]
    fn engine_time_wraps_into_a_boot_at_its_maximum() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let engine = Engine::start(Some(dir.path()), None, 1, clock.clone()).unwrap();
        engine.set_skew(i64::from(i32::MAX) - 3);
        assert_eq!((engine.boots(), engine.time()), (1, i32::MAX - 3));
        clock.advance(Duration::from_secs(2));
        assert_eq!((engine.boots(), engine.time()), (1, i32::MAX - 1));
        clock.advance(Duration::from_secs(1));
        assert_eq!((engine.boots(), engine.time()), (2, 0));
        clock.advance(Duration::from_secs(5));
        assert_eq!((engine.boots(), engine.time()), (2, 5));
        // The new boots is on disk: the next start is boot 3.
        drop(engine);
        let next = Engine::start(Some(dir.path()), None, 1, clock.clone()).unwrap();
        assert_eq!(next.boots(), 3);
        // The case: a skew of 2147483640 s, then days of discovery: boots moves.
        next.set_skew(2_147_483_640);
        clock.advance(Duration::from_secs(10));
        assert_eq!((next.boots(), next.time()), (4, 3));
        // Several periods at once (a huge skew) count one boot each, and stop at the maximum.
        next.set_skew(i64::MAX / 2);
        assert_eq!(next.boots(), MAX_ENGINE_BOOTS);
        assert!(next.locked_out());
    }

    #[test]
    fn engine_id_parsing_names_the_problem() {
        assert_eq!(
            parse_engine_id("0x8000000001").unwrap(),
            vec![0x80, 0, 0, 0, 1]
        );
        assert!(parse_engine_id("80:00:00:00:01").is_ok());
        assert!(parse_engine_id("zz").is_err());
        assert!(parse_engine_id("8000").is_err());
    }

    #[test]
    fn corrupt_state_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(ENGINE_FILE), "boots = \"many\"").unwrap();
        let err =
            Engine::start(Some(dir.path()), None, 1, Arc::new(ManualClock::default())).unwrap_err();
        assert!(err.to_string().contains("engine.toml"), "{err}");
    }
}
