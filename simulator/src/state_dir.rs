//! A state directory seen from outside a running simulator: `pdusim state show` lists what it
//! holds (start count, each PDU's engine and outlets, who holds it) and `pdusim state reset`
//! puts PDUs' engines (and optionally outlets) back to a first start, for example after an
//! engineBoots of 2147483647 locked a PDU out of SNMPv3 (RFC 3414 §2.2.2).
//!
//! A state directory (the root) holds `starts.toml`, `lock` and one folder per PDU with
//! `engine.toml` and `outlets.toml`; quick-flag simulators keep one root per vendor and
//! address under a common base.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::engine::MAX_ENGINE_BOOTS;
use crate::state_lock::{LockError, StateLock, LOCK_FILE};

use crate::device::STATE_FILE as OUTLETS_FILE;
use crate::engine::{ENGINE_FILE, STARTS_FILE};

/// Why a state directory could not be shown or reset.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    /// The folder holds no state directory (no `starts.toml`, `lock` or PDU folders).
    #[error("{0} holds no pdusim state (no starts.toml, lock or PDU folders): give the folder `pdusim serve` printed as its state directory's parent, or --state-dir as given to serve")]
    NotAStateDir(PathBuf),
    /// A PDU asked for has no folder.
    #[error("{root} has no PDU {pdu:?}: `pdusim state show --state-dir {root}` lists them")]
    NoSuchPdu {
        /// The state directory.
        root: PathBuf,
        /// The PDU asked for.
        pdu: String,
    },
    /// The directory is in use, or cannot be locked.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A file could not be read or removed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Whether `dir` is a state directory root (it has a start count, a lock or PDU folders).
fn is_root(dir: &Path) -> bool {
    dir.join(STARTS_FILE).exists() || dir.join(LOCK_FILE).exists() || !pdu_folders(dir).is_empty()
}

/// The PDU folders of a root: sub-folders holding an engine or outlets file, by name.
fn pdu_folders(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(ENGINE_FILE).exists() || p.join(OUTLETS_FILE).exists())
        .collect();
    out.sort();
    out
}

/// The roots at or below `dir`: `dir` itself if it is one, else its sub-folders that are
/// (the per-vendor-and-address roots of quick-flag simulators).
pub fn roots(dir: &Path) -> Result<Vec<PathBuf>, StateDirError> {
    if is_root(dir) {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && is_root(p))
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(StateDirError::NotAStateDir(dir.to_path_buf()));
    }
    Ok(out)
}

fn read_toml(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path)
        .ok()?
        .parse::<toml::Table>()
        .ok()
}

/// A human-readable listing of the roots at or below `dir`: each root's start count and
/// holder, then each PDU's engine ID, saved engineBoots (and whether it is locked out) and
/// outlet powers.
///
/// Errors: [`StateDirError::NotAStateDir`].
pub fn show(dir: &Path) -> Result<String, StateDirError> {
    let mut out = String::new();
    for root in roots(dir)? {
        let starts = read_toml(&root.join(STARTS_FILE))
            .and_then(|t| t.get("starts")?.as_integer())
            .map_or("none yet".to_string(), |n| n.to_string());
        let holder = match StateLock::acquire(&root) {
            Ok(_) => "not running".to_string(),
            Err(LockError::Held { holder, .. }) => format!("in use by {holder}"),
            Err(e) => e.to_string(),
        };
        let _ = writeln!(out, "{}: start count {starts}, {holder}", root.display());
        for folder in pdu_folders(&root) {
            let name = folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let engine = read_toml(&folder.join(ENGINE_FILE));
            let engine_text = match &engine {
                Some(t) => {
                    let boots = t
                        .get("boots")
                        .and_then(toml::Value::as_integer)
                        .unwrap_or(0);
                    format!(
                        "snmpEngineID {}, snmpEngineBoots {boots} saved{}{}",
                        t.get("engine_id")
                            .and_then(toml::Value::as_str)
                            .unwrap_or("?"),
                        t.get("starts")
                            .and_then(toml::Value::as_integer)
                            .map_or(String::new(), |s| format!(" at start {s}")),
                        if boots >= i64::from(MAX_ENGINE_BOOTS) {
                            " -- LOCKED OUT of SNMPv3 (the maximum): `pdusim state reset` it"
                        } else {
                            ""
                        }
                    )
                }
                None if folder.join(ENGINE_FILE).exists() => "engine.toml unreadable".into(),
                None => "engine never saved (boots = the start count)".into(),
            };
            let outlets_text = match read_toml(&folder.join(OUTLETS_FILE)) {
                Some(t) => {
                    let outlets = t.get("outlets").and_then(toml::Value::as_array);
                    let powers: Vec<&str> = outlets
                        .into_iter()
                        .flatten()
                        .filter_map(|o| o.get("power")?.as_str())
                        .collect();
                    let on = powers.iter().filter(|p| **p == "on").count();
                    format!(
                        "{} outlets ({on} on, {} off), vendor {}",
                        powers.len(),
                        powers.len().saturating_sub(on),
                        t.get("vendor").and_then(toml::Value::as_str).unwrap_or("?")
                    )
                }
                None if folder.join(OUTLETS_FILE).exists() => "outlets.toml unreadable".into(),
                None => "outlets never saved (configured defaults)".into(),
            };
            let _ = writeln!(out, "  {name}: {engine_text}; {outlets_text}");
        }
    }
    Ok(out)
}

/// Puts PDUs back to a first start, as a factory reset of a PDU's SNMP engine does: each gets
/// a new snmpEngineID (same enterprise, new random octets) whose snmpEngineBoots is 1 at the
/// next start (RFC 3414 §2.2.2: a new engine ID starts boots again, so managers rediscover it
/// rather than see boots go back), and with `outlets` its `outlets.toml` is removed. `pdus`
/// empty means every PDU of the root. Holds the directory's lock meanwhile, so a running
/// simulator is never changed under it. Returns the files rewritten or removed.
///
/// Errors: [`StateDirError::Lock`] when a simulator holds the directory,
/// [`StateDirError::NotAStateDir`], [`StateDirError::NoSuchPdu`], [`StateDirError::Io`].
pub fn reset(root: &Path, pdus: &[String], outlets: bool) -> Result<Vec<PathBuf>, StateDirError> {
    if !is_root(root) {
        return Err(StateDirError::NotAStateDir(root.to_path_buf()));
    }
    let _lock = StateLock::acquire(root)?;
    let folders: Vec<PathBuf> = if pdus.is_empty() {
        pdu_folders(root)
    } else {
        pdus.iter()
            .map(|p| {
                let folder = root.join(p);
                if folder.is_dir() {
                    Ok(folder)
                } else {
                    Err(StateDirError::NoSuchPdu {
                        root: root.to_path_buf(),
                        pdu: p.clone(),
                    })
                }
            })
            .collect::<Result<_, _>>()?
    };
    let count = read_toml(&root.join(STARTS_FILE))
        .and_then(|t| t.get("starts")?.as_integer())
        .unwrap_or(0);
    let mut removed = Vec::new();
    for folder in folders {
        let engine_file = folder.join(ENGINE_FILE);
        let enterprise = read_toml(&engine_file)
            .and_then(|t| hex::decode(t.get("engine_id")?.as_str()?).ok())
            .and_then(|id| Some(u32::from_be_bytes(id.get(..4)?.try_into().ok()?) & 0x7fff_ffff))
            .unwrap_or(13742);
        // Boots 0 saved at this start count: one start later it is 1.
        let text = format!(
            "engine_id = \"{}\"\nboots = 0\nstarts = {count}\n",
            hex::encode(crate::engine::generate_engine_id(enterprise))
        );
        crate::persist::write_atomically(&engine_file, text.as_bytes()).map_err(|source| {
            StateDirError::Io {
                path: engine_file.clone(),
                source,
            }
        })?;
        removed.push(engine_file);
        let mut files = Vec::new();
        if outlets {
            files.push(folder.join(OUTLETS_FILE));
        }
        for file in files {
            match std::fs::remove_file(&file) {
                Ok(()) => removed.push(file),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StateDirError::Io { path: file, source }),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::{Engine, StartCount};
    use std::sync::Arc;

    #[test]
    fn a_locked_out_engine_is_shown_and_reset_and_a_running_simulator_is_left_alone() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("raritan-px2-127.0.0.1-1161");
        let clock = Arc::new(ManualClock::default());
        let starts = StartCount::bump(&root).unwrap();
        let engine =
            Engine::start_counted(&root.join("px2"), None, 13742, "px2", starts, clock.clone())
                .unwrap();
        engine.set_boots(MAX_ENGINE_BOOTS).unwrap();
        drop(engine);
        // Found from the common base too, as quick-flag simulators keep one root each.
        let listing = show(base.path()).unwrap();
        assert!(
            listing.contains("start count 1, not running")
                && listing.contains("px2: snmpEngineID")
                && listing.contains("snmpEngineBoots 2147483647 saved at start 1 -- LOCKED OUT"),
            "{listing}"
        );
        // Refused while a simulator holds the directory, and it is named.
        let held = StateLock::acquire(&root).unwrap();
        let error = reset(&root, &[], false).unwrap_err();
        assert!(
            matches!(error, StateDirError::Lock(LockError::Held { .. })),
            "{error}"
        );
        assert!(show(base.path()).unwrap().contains("in use by pid"));
        drop(held);
        assert!(matches!(
            reset(&root, &["nope".into()], false),
            Err(StateDirError::NoSuchPdu { .. })
        ));
        let old_id = {
            let e =
                Engine::start_counted(&root.join("px2"), None, 13742, "px2", starts, clock.clone())
                    .unwrap();
            e.id()
        };
        let removed = reset(&root, &["px2".into()], false).unwrap();
        assert_eq!(removed, vec![root.join("px2").join(ENGINE_FILE)]);
        // The next start is a new engine, at boots 1: no longer locked out.
        let next = StartCount::bump(&root).unwrap();
        let engine =
            Engine::start_counted(&root.join("px2"), None, 13742, "px2", next, clock).unwrap();
        assert!(!engine.locked_out());
        assert_eq!(engine.boots(), 1);
        assert_ne!(engine.id(), old_id);
        assert_eq!(&engine.id()[..5], &[0x80, 0x00, 0x35, 0xae, 5]);
        // A folder with no state in it is named as such.
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            show(empty.path()),
            Err(StateDirError::NotAStateDir(_))
        ));
    }
}
