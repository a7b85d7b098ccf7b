//! One simulated PDU: its engine, counters, MIB tree, and the state behind it (system group
//! strings and outlets), persisted to its state directory on every change.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::access::{Access, Community, UserError, UserSpec, UserTable};
use crate::clock::Clock;
use crate::engine::{Engine, EngineError};
use crate::fault::FaultKind;
use crate::mib::{Cell, EngineObject, InterfaceObject, MibTree, SystemObject, TrafficCounter};
use crate::notification::{
    outlet_notification_varbinds, standard_trap_varbinds, Notification, NotificationQueue,
    NotifyTarget, SystemStrings, AUTHENTICATION_FAILURE, COLD_START, WARM_START,
};
use crate::outlet::{Delays, Outlet, Power, StartupPower};
use crate::persist::{replace_file_in_background, PendingWrite};
use crate::profiles::{expect_display_string, VendorProfile};
use crate::recording::Recording;
use crate::state::DeviceState;
use crate::stats::{read, AgentStats, InterfaceStats};
use snmp_proto::usm::MasterKeyCache;
use snmp_proto::{oids, ErrorStatus, Oid, Value};

/// How many octets sysContact, sysName and sysLocation hold (SNMPv2-MIB: SIZE (0..255)).
const SYSTEM_STRING_MAX: usize = 255;
/// The largest message this agent accepts or sends (the largest UDP payload over IPv4).
pub const MAX_MESSAGE_SIZE: usize = 65507;

/// Everything needed to start one PDU, as a config file or the command line describes it.
#[derive(Clone, Debug)]
pub struct DeviceSpec {
    /// The PDU's name: its state folder's, and a contextName that picks it.
    pub name: String,
    /// The vendor profile it serves.
    pub vendor: &'static dyn VendorProfile,
    /// How many outlets, 1 to 1024.
    pub outlets: u32,
    /// Outlet names, outlet 1 first; outlets beyond the list have none.
    pub outlet_names: Vec<String>,
    /// Outlet power at the first start (no saved state).
    pub initial_power: Power,
    /// How long a cycle (reboot) keeps an outlet off.
    pub power_off_period: Duration,
    /// On/off delays for delayed commands (the reboot period is `power_off_period`).
    pub delays: Delays,
    /// What outlets do when the PDU starts with saved state.
    pub startup: StartupPower,
    /// Load per outlet in watts when on (outlets beyond the list draw `default_load_watts`).
    pub outlet_loads: Vec<f64>,
    /// Per-outlet power at first start (a recording's states); outlets beyond the list start
    /// with `initial_power`.
    pub outlet_powers: Vec<Power>,
    /// Watts an outlet beyond `outlet_loads` draws when on.
    pub default_load_watts: f64,
    /// sysDescr.0; default: the recording's, else the vendor profile's.
    pub sys_descr: Option<String>,
    /// Overrides the vendor's (and a recording's) sysObjectID.
    pub sys_object_id: Option<Oid>,
    /// Nameplate facts (model, serial number, ...) served in the vendor MIB's identity objects
    /// ([`crate::profiles::VendorProfile::identity`]); each left out comes from the recording,
    /// else the profile's default.
    pub identity: Identity,
    /// MIB-level quirks (`[pdu.quirks]`): gaps, phantom rows, banks, offsets, renumbered
    /// columns, empty legacy tables, what off outlets' meters read.
    pub quirks: crate::mib_quirks::MibQuirks,
    /// A recording of a real device: its objects are served as recorded, except those the
    /// vendor profile owns; its system group is the default for this PDU's.
    pub recording: Option<Arc<Recording>>,
    /// sysName.0 at the first start (later: as saved).
    pub sys_name: String,
    /// sysContact.0 at the first start (later: as saved).
    pub sys_contact: String,
    /// sysLocation.0 at the first start (later: as saved).
    pub sys_location: String,
    /// Where engine boots and outlet state are kept; `None`: nothing is saved (tests,
    /// scenarios).
    pub state_dir: Option<PathBuf>,
    /// snmpEngineID (5 to 32 octets); `None`: the saved one, else a new one.
    pub engine_id: Option<Vec<u8>>,
    /// The v1/v2c communities and what each may do.
    pub communities: Vec<Community>,
    /// The SNMPv3 users (usmUserTable).
    pub users: Vec<UserSpec>,
    /// SNMPv3 context names this PDU answers to, besides the default empty context.
    pub contexts: Vec<String>,
    /// The most varbinds a GETBULK response carries, whatever max-repetitions asks.
    pub max_bulk_varbinds: usize,
    /// Where notifications (traps, informs) go; empty: none are sent.
    pub notify: Vec<NotifyTarget>,
}

impl std::fmt::Debug for dyn VendorProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a PDU could not start (or restart).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The engine's state (engine ID, boots) could not be read or written.
    #[error("PDU {pdu}: {source}")]
    Engine {
        /// The PDU's name.
        pdu: String,
        /// What went wrong.
        source: EngineError,
    },
    /// A user's keys could not be made.
    #[error("PDU {pdu}: {source}")]
    Security {
        /// The PDU's name.
        pdu: String,
        /// What went wrong.
        source: UserError,
    },
    /// The state folder could not be created.
    #[error("PDU {pdu}: cannot create the state folder {path}: {source}; check that it is writable, or pick another with --state-dir")]
    StateDir {
        /// The PDU's name.
        pdu: String,
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The state directory's start count could not be read or saved (nothing was started).
    #[error("state directory {root}: {source}")]
    StartCount {
        /// The state directory root.
        root: PathBuf,
        /// What went wrong.
        source: EngineError,
    },
    /// A start thread panicked (a bug): the PDUs it started are unknown.
    #[error("a PDU start thread panicked: this is a bug, please report it with the log")]
    Panicked,
    /// A restart that puts the outlets back to their first-start state could not save them:
    /// nothing was restarted.
    #[error("PDU {pdu}: the restart was refused and the outlets were left as they were, because their first-start state could not be saved ({why}); free space on the state directory's file system or make it writable")]
    StateNotSaved {
        /// The PDU's name.
        pdu: String,
        /// Why the write failed (the file and the operating system's error).
        why: String,
    },
    /// The saved outlet state could not be read.
    #[error("PDU {pdu}: cannot read outlet state {path}: {source}; fix or delete the file to start afresh")]
    State {
        /// The PDU's name.
        pdu: String,
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: StateFileError,
    },
}

/// Why a saved state file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file exists but cannot be read.
    #[error("{0}")]
    Read(#[from] std::io::Error),
    /// The file is not the TOML this program writes (boxed: the parser's error is large).
    #[error("{0}")]
    Parse(Box<toml::de::Error>),
    /// The file was saved by another PDU: another vendor, or another outlet count.
    #[error("it was saved for {saved}, but this PDU is {now}; delete that folder to start this PDU afresh, or give it another --state-dir (or name)")]
    Mismatch {
        /// What the file was saved for (vendor, outlet count).
        saved: String,
        /// What this PDU is.
        now: String,
    },
    /// The file was cut short (a full disk, a copy interrupted, a crash of the machine during a
    /// copy): it lacks its end marker, or the marker's outlet count is not the records it holds.
    #[error("the file is incomplete: {detail} (cut short by a full disk or an interrupted copy?)")]
    Truncated {
        /// What is missing.
        detail: String,
    },
}

/// What PDUs started in one process share: master keys derived from passwords, and MIB trees
/// (which depend only on the vendor and the outlet count).
#[derive(Default, Debug)]
pub struct KeyAndTreeCache {
    /// Master keys (Ku, RFC 3414 A.2) by password and protocol.
    pub keys: Arc<MasterKeyCache>,
    trees: Mutex<HashMap<TreeKey, Arc<MibTree>>>,
    /// This start's count of each state directory root (the folder holding the PDUs' own
    /// folders), bumped once by the launcher: PDUs under a root listed here start without
    /// writing anything ([`crate::engine::StartCount`]); others save their boots at start.
    pub start_counts: HashMap<PathBuf, crate::engine::StartCount>,
}

/// A tree depends on the vendor, the outlet count, the recording (by its path) and the
/// MIB-level quirks.
type TreeKey = (
    &'static str,
    u32,
    Option<String>,
    crate::mib_quirks::MibQuirks,
);

impl KeyAndTreeCache {
    /// The MIB tree for `vendor` with `outlets` outlets over `recording`, built once and
    /// shared (recordings are told apart by their origin path).
    pub fn tree(
        &self,
        vendor: &'static dyn VendorProfile,
        outlets: u32,
        recording: Option<&Arc<Recording>>,
        quirks: &crate::mib_quirks::MibQuirks,
    ) -> Arc<MibTree> {
        let mut trees = self.trees.lock().unwrap_or_else(|p| p.into_inner());
        let key = (
            vendor.name(),
            outlets,
            recording.map(|r| r.origin.clone()),
            quirks.clone(),
        );
        trees
            .entry(key)
            .or_insert_with(|| {
                let mut tree = build_tree(vendor, outlets, recording.map(|r| &**r));
                quirks.apply(&mut tree, vendor);
                Arc::new(tree)
            })
            .clone()
    }
}

/// `outlets.toml`. Written with `format = 2` first and an `[end]` table last, whose outlet
/// count must match the `[[outlets]]` records: a file cut anywhere (even exactly between two
/// records) is refused instead of silently putting the missing outlets back to their defaults.
/// Files without `format` (written before the marker existed) are read as they are.
#[derive(Serialize, Deserialize)]
struct SavedState {
    /// 2 for files with an end marker; absent in older files.
    #[serde(default)]
    format: Option<u32>,
    sys_name: String,
    sys_contact: String,
    sys_location: String,
    /// The vendor profile the settings below belong to (their column numbers are its own).
    #[serde(default)]
    vendor: Option<String>,
    /// Vendor settings the outlet model has no field for (Baytech locks, Raritan's "global"
    /// start-up, Vertiv's reboot delay), as [column, index, value].
    #[serde(default)]
    vendor_settings: Vec<[i64; 3]>,
    /// snmpEnableAuthenTraps as last set (`None` in files written before it was saved).
    #[serde(default)]
    enable_authen_traps: Option<bool>,
    outlets: Vec<SavedOutlet>,
    /// The end marker: the last table of the file (the TOML writer keeps field order).
    #[serde(default)]
    end: Option<EndMarker>,
}

/// The last table of `outlets.toml`: how many `[[outlets]]` records come before it.
#[derive(Serialize, Deserialize)]
struct EndMarker {
    outlets: usize,
}

/// `format` of the state files this program writes.
const STATE_FORMAT: u32 = 2;

#[derive(Serialize, Deserialize)]
struct SavedOutlet {
    name: String,
    power: Power,
    power_off_period_secs: u64,
    #[serde(default)]
    energy_wh: f64,
    /// Delays set over SNMP (APC PowerOnTime/PowerOffTime, Vertiv hold times); `None` in files
    /// written before they were saved, or for "never" (APC's -1).
    #[serde(default)]
    on_delay_secs: Option<u64>,
    #[serde(default)]
    off_delay_secs: Option<u64>,
    /// Start-up power set over SNMP (Raritan outletStateOnStartup, Eaton power-on state).
    #[serde(default)]
    startup: Option<StartupPower>,
}

pub(crate) const STATE_FILE: &str = "outlets.toml";

pub use crate::persist::SAVE_WAIT;

/// A PDU's nameplate facts and inventory counts as configured (`[[pdu]]` `manufacturer`,
/// `model`, `serial_number`, `firmware_version`, `inlets`, `phases`, `outlet_groups`); `None`
/// leaves the recording's value, else the vendor profile's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The manufacturer's name.
    pub manufacturer: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// The serial number.
    pub serial_number: Option<String>,
    /// The firmware version.
    pub firmware_version: Option<String>,
    /// The number of power inlets (input cords).
    pub inlets: Option<u32>,
    /// The number of input phases (1 or 3).
    pub phases: Option<u32>,
    /// The number of outlet groups (banks behind their own breakers); 0 for none.
    pub outlet_groups: Option<u32>,
}

impl Identity {
    fn get(&self, field: crate::mib::IdentityField) -> Option<&String> {
        use crate::mib::IdentityField as F;
        match field {
            F::Manufacturer => self.manufacturer.as_ref(),
            F::Model => self.model.as_ref(),
            F::SerialNumber => self.serial_number.as_ref(),
            F::FirmwareVersion => self.firmware_version.as_ref(),
        }
    }

    fn count(&self, count: crate::mib::InventoryCount) -> Option<u32> {
        use crate::mib::InventoryCount as C;
        match count {
            C::Inlets => self.inlets,
            C::Phases => self.phases,
            C::OutletGroups => self.outlet_groups,
            // The profile serves rows for one unit: not a setting.
            C::Units => None,
        }
    }
}

/// The value of each inventory count of `spec`'s vendor: configured, else recorded (at any of
/// the objects that report it, as INTEGER or Gauge32), else the profile's default.
fn resolve_inventory(spec: &DeviceSpec) -> Vec<(crate::mib::InventoryCount, u32)> {
    let objects = spec.vendor.inventory();
    let mut counts: Vec<(crate::mib::InventoryCount, u32)> = Vec::new();
    for object in objects {
        if counts.iter().any(|(c, _)| *c == object.count) {
            continue;
        }
        let recorded = || {
            objects
                .iter()
                .filter(|o| o.count == object.count)
                .find_map(|o| match spec.recording.as_ref()?.get(o.oid)? {
                    Value::Integer(v) => u32::try_from(*v).ok(),
                    Value::Gauge32(v) => Some(*v),
                    _ => None,
                })
        };
        let value = spec
            .identity
            .count(object.count)
            .or_else(recorded)
            .unwrap_or(object.default);
        counts.push((object.count, value));
    }
    counts
}

/// The value of each identity object of `spec`'s vendor, in the order of
/// [`VendorProfile::identity`]: configured (one setting fills every object of its field),
/// else recorded at that object, else that object's default.
fn resolve_identity(spec: &DeviceSpec) -> Vec<String> {
    spec.vendor
        .identity()
        .iter()
        .map(|(field, oid, default)| {
            spec.identity
                .get(*field)
                .cloned()
                .or_else(|| spec.recording.as_ref().and_then(|r| r.text(oid)))
                .unwrap_or_else(|| (*default).to_string())
        })
        .collect()
}

/// One running PDU: counters, faults, communities and MIB tree from the start, and its engine,
/// users and state from its first use. Shared between the transport's tasks (`Arc<Device>`);
/// the state is behind a lock.
///
/// # Lazy PDUs
///
/// A PDU that nobody has spoken to costs its specification and a few hundred bytes of
/// counters: [`Device::start_lazy`] (what [`crate::launch`] uses) reads and writes nothing. Its
/// engine (snmpEngineID, snmpEngineBoots, snmpEngineTime), its localized user keys, its outlets
/// and the rest of its state ([`Live`]) come into being on the first call that needs them: an
/// SNMP request that reaches it (v1/v2c by community, SNMPv3 through its engine), a control API
/// or dashboard operation on it, the start notification or settle timer of a PDU with
/// notification targets. From then on it is exactly the PDU an eager start makes: state changes
/// go back to its folder as they always did ([`Device::persist`]), so nothing is lost at a stop.
///
/// Coming into being later changes nothing a manager can see:
///
/// - snmpEngineBoots comes from the state directory's start count
///   ([`crate::engine::StartCount`]), bumped once before any PDU of the process answers, so it
///   is the same whenever in this run the engine is made;
/// - snmpEngineTime and sysUpTime count from the process start, when the PDU was started
///   (`born`), not from its first request ([`Engine::count_time_from`]);
/// - outlet energy accrues from the process start too, and a first start (no saved state) is
///   the state the specification describes, as at an eager start.
///
/// Saved files are still checked at the start: the launcher lists each state directory once
/// and [`Device::check_saved`] reads the files of every PDU that has a folder (without keeping
/// them), so a corrupt or mismatched file stops the start with the file named, as before. A
/// file that becomes unreadable while the process runs leaves its PDU *unavailable*
/// ([`Device::unavailable`]): it logs why once, answers nothing (requests are counted and
/// dropped) and never writes over the file.
///
/// What lists or inspects PDUs without an operation on them (the control API's paged `/pdus`,
/// the dashboard's list, counters) reads the specification and the counters only:
/// [`Device::is_materialised`] tells whether the rest exists (the control API's `GET /pdus`
/// shows it per PDU and counts them in `X-Materialised-Count`).
pub struct Device {
    /// The PDU's name: its state folder's, and a contextName that picks it.
    pub name: String,
    /// The vendor profile it serves.
    pub vendor: &'static dyn VendorProfile,
    /// Its snmp group, MPD, target and usmStats counters.
    pub stats: AgentStats,
    /// The traffic counters of its management port, served in IF-MIB ([`crate::interfaces`]).
    pub interface: InterfaceStats,
    /// The faults it is told to commit.
    pub faults: crate::fault::FaultSet,
    /// The last requests it received and what it answered (kept once armed).
    pub requests: crate::request_log::RequestLog,
    keys: Arc<MasterKeyCache>,
    /// The spec this PDU started from: what it is made from, and restarts that lose outlet
    /// state.
    spec: DeviceSpec,
    /// The v1/v2c communities and what each may do.
    pub communities: Vec<Community>,
    /// More contextNames that pick this PDU at a shared address, besides its name.
    pub contexts: Vec<String>,
    /// The most varbinds one GETBULK Response carries.
    pub max_bulk_varbinds: usize,
    tree: Arc<MibTree>,
    clock: Arc<dyn Clock>,
    /// The state directory root's start count, when started with one.
    start_count: Option<crate::engine::StartCount>,
    /// The profile columns of its per-outlet meters, when `off_readings` changes them.
    meter_columns: Vec<u16>,
    /// Clock reading when this PDU was started: engine time, sysUpTime and energy count from
    /// here, whenever [`Live`] is made.
    born: Duration,
    /// Everything made at the first use.
    live: std::sync::OnceLock<Live>,
    /// Why the PDU could not come into being, once it tried and failed.
    unavailable: std::sync::OnceLock<String>,
    /// The notification originator's side of this PDU: targets, queue, counters, history.
    pub notifications: NotificationQueue,
}

/// The part of a PDU that comes into being at its first use ([`Device`]'s lazy PDUs): engine,
/// users, identity and the mutable state.
struct Live {
    engine: Engine,
    /// Behind a lock only because an engine ID change re-localizes every key.
    users: RwLock<Arc<UserTable>>,
    sys_descr: String,
    sys_object_id: Oid,
    /// The identity objects' values ([`resolve_identity`]).
    identity: Vec<String>,
    /// The inventory counts' values ([`resolve_inventory`]).
    inventory: Vec<(crate::mib::InventoryCount, u32)>,
    /// Clock reading at agent start, for sysUpTime.
    started_nanos: std::sync::atomic::AtomicU64,
    /// Nanoseconds added to sysUpTime (`uptime_skew_secs` of the control API), so that a
    /// test can put the agent days or years after its start without waiting.
    uptime_skew_nanos: std::sync::atomic::AtomicU64,
    state: Mutex<DeviceState>,
    state_file: Option<PathBuf>,
    /// Whether this start found saved state (a restart: warmStart) or not (coldStart).
    warm_start: bool,
}

impl Device {
    /// Starts a PDU on its own, at once: creates the state folder, starts the engine (boots +
    /// 1, saved before anything is answered), localizes the users' keys, and loads the saved
    /// state or makes the first-start one.
    ///
    /// Errors: [`StartError::StateDir`], [`StartError::Engine`], [`StartError::Security`],
    /// [`StartError::State`].
    pub fn start(spec: DeviceSpec, clock: Arc<dyn Clock>) -> Result<Device, StartError> {
        Self::start_shared(spec, clock, &KeyAndTreeCache::default())
    }

    /// Starts a PDU at once, sharing key derivation and MIB trees with the other PDUs of the
    /// process. Errors: as [`Device::start`].
    pub fn start_shared(
        spec: DeviceSpec,
        clock: Arc<dyn Clock>,
        shared: &KeyAndTreeCache,
    ) -> Result<Device, StartError> {
        let device = Self::start_lazy(spec, clock, shared);
        if device.start_count.is_none() {
            if let Some(dir) = &device.spec.state_dir {
                std::fs::create_dir_all(dir).map_err(|source| StartError::StateDir {
                    pdu: device.name.clone(),
                    path: dir.clone(),
                    source,
                })?;
            }
        }
        let live = Live::load(&device)?;
        let _ = device.live.set(live);
        Ok(device)
    }

    /// Starts a PDU that comes into being at its first use (see [`Device`]): reads and writes
    /// nothing. A spec with a state directory but no start count in `shared` saves its boots
    /// when it comes into being ([`Engine::start`]); its folder must exist by then.
    pub fn start_lazy(spec: DeviceSpec, clock: Arc<dyn Clock>, shared: &KeyAndTreeCache) -> Device {
        let start_count = spec
            .state_dir
            .as_deref()
            .and_then(|dir| shared.start_counts.get(dir.parent()?).copied());
        Device {
            name: spec.name.clone(),
            vendor: spec.vendor,
            stats: AgentStats::default(),
            interface: InterfaceStats::default(),
            faults: crate::fault::FaultSet::for_outlets(spec.outlets),
            requests: crate::request_log::RequestLog::default(),
            keys: shared.keys.clone(),
            communities: spec.communities.clone(),
            contexts: spec.contexts.clone(),
            max_bulk_varbinds: spec.max_bulk_varbinds,
            tree: shared.tree(
                spec.vendor,
                spec.outlets,
                spec.recording.as_ref(),
                &spec.quirks,
            ),
            meter_columns: match spec.quirks.off_readings {
                crate::mib_quirks::OffReadings::Zero => Vec::new(),
                _ => crate::mib_quirks::meter_columns(spec.vendor),
            },
            born: clock.now(),
            clock,
            start_count,
            live: std::sync::OnceLock::new(),
            unavailable: std::sync::OnceLock::new(),
            notifications: NotificationQueue::new(spec.notify.clone()),
            spec,
        }
    }

    /// Reads what `spec` saved in its state folder (engine ID and boots, outlet state), if it
    /// has one, and says whether the PDU could come into being with it. Writes nothing.
    ///
    /// Errors: [`StartError::Engine`], [`StartError::State`], as [`Device::start`] would
    /// return them.
    pub fn check_saved(spec: &DeviceSpec) -> Result<(), StartError> {
        let Some(dir) = &spec.state_dir else {
            return Ok(());
        };
        Engine::check_saved(dir).map_err(|source| StartError::Engine {
            pdu: spec.name.clone(),
            source,
        })?;
        let state_file = dir.join(STATE_FILE);
        initial_state(spec, Some(&state_file)).map_err(|source| StartError::State {
            pdu: spec.name.clone(),
            path: state_file,
            source,
        })?;
        Ok(())
    }

    /// Whether this PDU's engine, users and state exist yet (see [`Device`]); asking makes
    /// nothing.
    pub fn is_materialised(&self) -> bool {
        self.live.get().is_some()
    }

    /// Why this PDU could not come into being (its saved files became unreadable while the
    /// process ran), if it tried and failed: it answers nothing until the file is fixed and
    /// pdusim restarted.
    pub fn unavailable(&self) -> Option<&str> {
        self.live();
        self.unavailable.get().map(String::as_str)
    }

    /// The spec this PDU was started from.
    pub fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    /// How many outlets the PDU has (from its spec; makes nothing).
    pub fn outlet_count(&self) -> usize {
        self.spec.outlets as usize
    }

    /// Whether the PDU has SNMPv3 users (from its spec; makes nothing).
    pub fn has_users(&self) -> bool {
        !self.spec.users.is_empty()
    }

    /// The engine, users and state, made now if this is the first use.
    fn live(&self) -> &Live {
        self.live.get_or_init(|| match Live::load(self) {
            Ok(live) => {
                tracing::debug!(pdu = %self.name, "PDU came into being at its first use");
                live
            }
            Err(e) => {
                let why = crate::error_chain::text(&e);
                tracing::error!(
                    "{why}; this PDU answers nothing until the file is fixed and pdusim restarted"
                );
                let _ = self.unavailable.set(why);
                Live::detached(self)
            }
        })
    }

    /// Its SNMP engine: snmpEngineID, snmpEngineBoots, snmpEngineTime.
    pub fn engine(&self) -> &Engine {
        &self.live().engine
    }

    /// usmUserTable as it is now.
    pub fn users(&self) -> Arc<UserTable> {
        self.live()
            .users
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Gives the engine a new ID (boots back to 1) and re-localizes every user's keys to it.
    pub fn change_engine_id(&self, id: Vec<u8>) -> Result<(), StartError> {
        let pdu = || self.name.clone();
        let users = UserTable::new(&self.spec.users, &id, &self.keys)
            .map_err(|source| StartError::Security { pdu: pdu(), source })?;
        self.engine()
            .change_id(id)
            .map_err(|source| StartError::Engine { pdu: pdu(), source })?;
        *self.live().users.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(users);
        Ok(())
    }

    /// An agent restart inside the process: boots + 1, engine time and sysUpTime back to 0,
    /// and outlets either as they were or as at a first start.
    ///
    /// Errors: [`StartError::StateNotSaved`] when the first-start outlets could not be saved
    /// (nothing is restarted, the outlets are as before, and it is counted in
    /// `stateSaveFailures`); [`StartError::Engine`] when the new engineBoots could not be saved
    /// (the restart has happened).
    pub fn restart(&self, keep_outlets: bool) -> Result<(), StartError> {
        if !keep_outlets {
            self.reset_outlets_saved()?;
        }
        self.engine()
            .restart()
            .map_err(|source| StartError::Engine {
                pdu: self.name.clone(),
                source,
            })?;
        self.live()
            .started_nanos
            .store(nanos(self.now()), std::sync::atomic::Ordering::SeqCst);
        self.live()
            .uptime_skew_nanos
            .store(0, std::sync::atomic::Ordering::SeqCst);
        // The management port's counters start again with the agent; no discontinuity since.
        self.interface.reset(0);
        // RFC 3418: warmStart when the configuration is unaltered, coldStart when it may be.
        let start = if keep_outlets {
            ("warmStart", WARM_START)
        } else {
            ("coldStart", COLD_START)
        };
        if !keep_outlets {
            let now = self.now();
            self.notifications
                .reset_outlets(&mut self.lock_state(), now);
        }
        self.raise(
            start.0,
            start.1,
            standard_trap_varbinds(&self.live().sys_object_id),
        );
        Ok(())
    }

    /// What to do once a state write has had its wait (up to [`SAVE_WAIT`]): nothing when it
    /// is on disk; otherwise the PDU's state goes back to `before` (what the file holds; queued
    /// behind a stalled write, so the file ends up agreeing whichever way that one ends), the
    /// failure is counted in `stateSaveFailures` and logged as "`what` and undone", with the
    /// cause and the fix. Errors: the cause (the file and the operating system's error, or how
    /// long the write has been stalled).
    pub fn undo_unless_saved(
        &self,
        write: &crate::persist::PendingWrite,
        before: crate::state::DeviceState,
        what: &str,
    ) -> Result<(), String> {
        use crate::persist::WriteOutcome;
        let (why, fix, still_pending) = match write.outcome() {
            WriteOutcome::Written => return Ok(()),
            WriteOutcome::Failed(why) => (
                why.to_string(),
                "free space on the state directory's file system or make it writable",
                false,
            ),
            WriteOutcome::Pending => (
                format!(
                    "the state file was still not written after {} s",
                    SAVE_WAIT.as_secs()
                ),
                "check the state directory's file system, which is hung or far too slow",
                true,
            ),
        };
        {
            let mut state = self.lock_state();
            *state = before;
            if still_pending {
                let _ = self.queue_state_write(&state);
            }
        }
        crate::stats::bump(&self.stats.state_save_failures);
        tracing::error!(
            pdu = %self.name,
            "{what} and undone because its state could not be saved ({why}): {fix}"
        );
        Err(why)
    }

    /// Puts the outlets back to their first-start state and waits (up to [`SAVE_WAIT`]) for it
    /// to be saved. When the write fails or is still unfinished, the outlets are put back as
    /// they were (queued to be written after a stalled write) and the failure is counted in
    /// `stateSaveFailures`. Errors: [`StartError::State`], [`StartError::StateNotSaved`].
    fn reset_outlets_saved(&self) -> Result<(), StartError> {
        let fresh = initial_state(&self.spec, None).map_err(|source| StartError::State {
            pdu: self.name.clone(),
            path: PathBuf::new(),
            source,
        })?;
        let (before, pending) = {
            let mut state = self.lock_state();
            let before = std::mem::replace(&mut *state, fresh);
            (before, self.queue_state_write(&state))
        };
        let Some(write) = pending else {
            return Ok(());
        };
        write.wait(SAVE_WAIT);
        self.undo_unless_saved(
            &write,
            before,
            "a restart to first-start outlets was refused",
        )
        .map_err(|why| StartError::StateNotSaved {
            pdu: self.name.clone(),
            why,
        })
    }

    /// Time since the agent (re)started, as sysUpTime counts it (with any skew added by
    /// [`Device::skew_uptime`]); not wrapped (sysUpTime's TimeTicks are:
    /// [`Device::up_time_ticks`]).
    pub fn uptime(&self) -> Duration {
        self.uptime_at(self.now())
    }

    fn uptime_at(&self, now: Duration) -> Duration {
        let live = self.live();
        let started =
            Duration::from_nanos(live.started_nanos.load(std::sync::atomic::Ordering::SeqCst));
        let skew = Duration::from_nanos(
            live.uptime_skew_nanos
                .load(std::sync::atomic::Ordering::SeqCst),
        );
        now.saturating_sub(started).saturating_add(skew)
    }

    /// sysUpTime.0 at `now` (RFC 3418): hundredths of a second since the agent (re)started,
    /// modulo 2^32 as TimeTicks are (RFC 2578 §7.1.8): it wraps to 0 after about 497 days.
    pub fn up_time_ticks(&self, now: Duration) -> u32 {
        time_ticks(self.uptime_at(now))
    }

    /// Sets sysUpTime `secs` seconds ahead of the time since the agent (re)started, as if it
    /// had been up that much longer, replacing any earlier skew (0 removes it); a restart puts
    /// it back to 0. For tests of managers at sysUpTime's wrap, which takes about 497 days of
    /// real time.
    pub fn skew_uptime(&self, secs: u64) {
        self.live().uptime_skew_nanos.store(
            secs.saturating_mul(1_000_000_000),
            std::sync::atomic::Ordering::SeqCst,
        );
    }

    /// Whether the PDU serves the live management port of IF-MIB, which counts its traffic;
    /// false for a recording with interface rows of its own, which are served as recorded.
    pub fn serves_live_interface(&self) -> bool {
        !self.spec.recording.as_ref().is_some_and(|r| {
            crate::interfaces::has_recorded_interfaces(r.entries.iter().map(|(oid, _)| oid))
        })
    }

    /// Moves the management port's traffic counters (IF-MIB ifHCInOctets, ifHCOutOctets,
    /// ifHCInUcastPkts, ifHCOutUcastPkts and their low 32 bits in ifTable) `by` on, wrapping
    /// modulo 2^64, as if that many more octets and datagrams had passed each way: not a
    /// discontinuity. For tests of managers at the counters' wraps, which take years of real
    /// traffic. A restart puts the counters back to 0.
    pub fn offset_interface_counters(&self, by: u64) {
        self.interface.add_offset(by);
    }

    /// Sets the management port's traffic counters back to 0 without an agent restart (as a
    /// re-initialised network driver does): a discontinuity, so ifCounterDiscontinuityTime
    /// becomes sysUpTime now (RFC 2863).
    pub fn reset_interface_counters(&self) {
        let now = self.now();
        self.interface.reset(self.up_time_ticks(now));
    }

    /// ifPhysAddress: the management port's MAC address ([`crate::interfaces::mac_address`]).
    pub fn mac_address(&self) -> [u8; 6] {
        crate::interfaces::mac_address(self.notifications.agent_address(), &self.name)
    }

    /// Raises the start notification once the originator is attached: coldStart at the first
    /// start (no saved state), warmStart when the PDU restarts with its saved state
    /// (SNMPv2-MIB, RFC 3418). Takes the outlets as they are as already reported.
    pub fn announce_start(&self) {
        let now = self.now();
        self.notifications
            .reset_outlets(&mut self.lock_state(), now);
        let (name, oid) = if self.live().warm_start {
            ("warmStart", WARM_START)
        } else {
            ("coldStart", COLD_START)
        };
        self.raise(
            name,
            oid,
            standard_trap_varbinds(&self.live().sys_object_id),
        );
    }

    /// Raises authenticationFailure (RFC 3418) if snmpEnableAuthenTraps is enabled: a message
    /// with an unknown community or a wrong digest arrived.
    pub fn authentication_failure(&self) {
        if self.notifications.active() && self.lock_state().enable_authen_traps {
            self.raise(
                "authenticationFailure",
                AUTHENTICATION_FAILURE,
                standard_trap_varbinds(&self.live().sys_object_id),
            );
        }
    }

    /// Queues a notification with sysUpTime and the engine's ID, boots and time as they are now.
    pub fn raise(
        &self,
        name: &'static str,
        oid: &[u32],
        varbinds: Vec<snmp_proto::VarBind<'static>>,
    ) {
        if !self.notifications.active() {
            return;
        }
        self.push(name, Oid::new(oid), varbinds);
    }

    fn push(&self, name: &'static str, trap_oid: Oid, varbinds: Vec<snmp_proto::VarBind<'static>>) {
        let now = self.now();
        self.notifications.push(
            &self.name,
            Notification {
                name,
                trap_oid,
                varbinds,
                up_time: self.up_time_ticks(now),
                engine_id: self.engine().id(),
                engine_boots: self.engine().boots(),
                engine_time: self.engine().time(),
                sys_object_id: self.live().sys_object_id.clone(),
                faults: self.notify_faults(now),
            },
        );
    }

    /// The Notify fault point: the faults acting on a notification raised at `now`, each using
    /// one packet of its budget. `unacknowledged-inform` acts only when some target is sent
    /// an inform; nothing acts after a `drop-notification` has dropped it.
    fn notify_faults(&self, now: Duration) -> Vec<FaultKind> {
        let informs = self
            .notifications
            .targets()
            .iter()
            .any(|t| matches!(t.kind, crate::notification::NotifyKind::Inform));
        let mut acting = Vec::new();
        for (id, kind) in self.faults.pending(crate::fault::FaultPoint::Notify, now) {
            if matches!(kind, FaultKind::UnacknowledgedInform) && !informs {
                continue;
            }
            if !self.faults.claim(id, now) {
                continue;
            }
            let dropped = matches!(kind, FaultKind::DropNotification);
            acting.push(kind);
            if dropped {
                break;
            }
        }
        acting
    }

    /// Sends the vendor's outlet notifications for every outlet whose power changed since it
    /// was last reported (settling pending steps due by `now`).
    pub fn observe_outlets(&self, state: &mut DeviceState, now: Duration) {
        let events = self.notifications.observe_outlets(state, now);
        if !self.notifications.active() {
            return;
        }
        for (n, event, before) in events {
            let Some(outlet) = usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| state.outlets.get_mut(i))
            else {
                continue;
            };
            let power = outlet.power(now);
            let system = SystemStrings {
                name: &state.sys_name,
                contact: &state.sys_contact,
                location: &state.sys_location,
            };
            let outlet_name = state
                .outlets
                .get(usize::try_from(n).unwrap_or(usize::MAX).saturating_sub(1))
                .map(|o| o.name.clone())
                .unwrap_or_default();
            for (name, oid, varbinds) in outlet_notification_varbinds(
                self.vendor.mib(),
                n,
                &outlet_name,
                event,
                power,
                before,
                system,
                &self.name,
                self.notifications.agent_address(),
            ) {
                self.push(name, oid, varbinds);
            }
        }
    }

    /// When the next pending outlet step is due (a clock reading), if any.
    pub fn next_outlet_deadline(&self, state: &mut DeviceState, now: Duration) -> Option<Duration> {
        state
            .outlets
            .iter_mut()
            .filter_map(|o| o.next_step(now))
            .map(|s| s.at)
            .min()
    }

    /// The objects this PDU serves, in OID order.
    pub fn tree(&self) -> &MibTree {
        &self.tree
    }

    /// The PDU's clock: time since the clock's epoch (not since this agent started).
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// Locks the device state for one request: a request sees one consistent state.
    pub fn lock_state(&self) -> MutexGuard<'_, DeviceState> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // matters more than stopping would, so carry on with the data as it is.
        self.live()
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of `cell` at `now`, from `state` (a locked [`Device::lock_state`]), the
    /// engine or the counters. sysUpTime is in hundredths of a second since the agent
    /// (re)started; snmpEngineTime in seconds. Settles pending outlet steps due by `now`.
    pub fn read(&self, cell: &Cell, state: &mut DeviceState, now: Duration) -> Value<'static> {
        match cell {
            Cell::Static(v) => v.clone(),
            Cell::Identity(position) => self
                .live()
                .identity
                .get(*position)
                .map_or(Value::NoSuchInstance, |v| Value::octets(v.clone())),
            Cell::Inventory { count, syntax } => self
                .live()
                .inventory
                .iter()
                .find(|(c, _)| c == count)
                .map_or(Value::NoSuchInstance, |(_, v)| syntax.value(*v)),
            Cell::System(object) => match object {
                SystemObject::Descr => {
                    Value::OctetString(Cow::Owned(self.live().sys_descr.clone().into_bytes()))
                }
                SystemObject::ObjectId => Value::ObjectId(self.live().sys_object_id.clone()),
                SystemObject::UpTime => Value::TimeTicks(self.up_time_ticks(now)),
                SystemObject::Contact => Value::octets(state.sys_contact.clone()),
                SystemObject::Name => Value::octets(state.sys_name.clone()),
                SystemObject::Location => Value::octets(state.sys_location.clone()),
                SystemObject::Services => Value::Integer(72),
                SystemObject::EnableAuthenTraps => {
                    Value::Integer(if state.enable_authen_traps { 1 } else { 2 })
                }
            },
            Cell::Counter(counter) => Value::Counter32(read(counter(&self.stats))),
            Cell::Interface(object) => self.read_interface(*object),
            Cell::Engine(object) => match object {
                EngineObject::Id => Value::octets(self.engine().id().to_vec()),
                EngineObject::Boots => Value::Integer(self.engine().boots()),
                EngineObject::Time => Value::Integer(self.engine().time()),
                EngineObject::MaxMessageSize => Value::Integer(MAX_MESSAGE_SIZE as i32),
            },
            Cell::Profile { column, index } => {
                let value = self.vendor.read(*column, *index, state, now);
                if self.meter_columns.contains(column)
                    && crate::profiles::outlet_mut(*index, state)
                        .is_some_and(|o| o.power(now) == crate::outlet::Power::Off)
                {
                    self.spec.quirks.off_readings.off_value(value)
                } else {
                    value
                }
            }
        }
    }

    /// The value of a live IF-MIB object of the management port.
    fn read_interface(&self, object: InterfaceObject) -> Value<'static> {
        let i = &self.interface;
        match object {
            InterfaceObject::PhysAddress => Value::octets(self.mac_address().to_vec()),
            InterfaceObject::CounterDiscontinuityTime => Value::TimeTicks(
                i.discontinuity_time
                    .load(std::sync::atomic::Ordering::Relaxed),
            ),
            InterfaceObject::Traffic {
                counter,
                high_capacity,
            } => {
                let count = i.served(match counter {
                    TrafficCounter::InOctets => &i.in_octets,
                    TrafficCounter::InUcastPkts => &i.in_ucast_pkts,
                    TrafficCounter::OutOctets => &i.out_octets,
                    TrafficCounter::OutUcastPkts => &i.out_ucast_pkts,
                });
                if high_capacity {
                    Value::Counter64(count)
                } else {
                    // Counter32: the low 32 bits, so it wraps modulo 2^32 as the count grows.
                    Value::Counter32((count & u64::from(u32::MAX)) as u32)
                }
            }
        }
    }

    /// Phase one of a SET: may this cell take this value? Changes nothing.
    pub fn check_write(
        &self,
        cell: &Cell,
        access: Access,
        value: &Value<'_>,
        state: &DeviceState,
    ) -> Result<(), ErrorStatus> {
        if access == Access::ReadOnly {
            return Err(ErrorStatus::NotWritable);
        }
        match cell {
            Cell::System(SystemObject::Contact | SystemObject::Name | SystemObject::Location) => {
                expect_display_string(value, SYSTEM_STRING_MAX).map(|_| ())
            }
            // enabled(1), disabled(2).
            Cell::System(SystemObject::EnableAuthenTraps) => match value {
                Value::Integer(1 | 2) => Ok(()),
                Value::Integer(_) => Err(ErrorStatus::WrongValue),
                _ => Err(ErrorStatus::WrongType),
            },
            Cell::Profile { column, index } => {
                self.vendor.check_write(*column, *index, value, state)
            }
            _ => Err(ErrorStatus::NotWritable),
        }
    }

    /// Phase two of a SET: applies a value `check_write` accepted.
    pub fn write(&self, cell: &Cell, value: &Value<'_>, state: &mut DeviceState, now: Duration) {
        let text = || match value {
            Value::OctetString(s) => String::from_utf8_lossy(s).into_owned(),
            _ => String::new(),
        };
        match cell {
            Cell::System(SystemObject::Contact) => state.sys_contact = text(),
            Cell::System(SystemObject::Name) => state.sys_name = text(),
            Cell::System(SystemObject::Location) => state.sys_location = text(),
            Cell::System(SystemObject::EnableAuthenTraps) => {
                state.enable_authen_traps = matches!(value, Value::Integer(1))
            }
            Cell::Profile { column, index } => {
                self.vendor.write(*column, *index, value, state, now)
            }
            _ => {}
        }
    }

    /// Phase two of a whole SET: writes every (cell, value) pair `check_write` accepted, then
    /// applies the `Commit` fault point (stuck and slow outlets are set back after the commit,
    /// a slow one given its new state later), whatever table the SET went through.
    pub fn commit<'v>(
        &self,
        writes: impl Iterator<Item = (&'v Cell, &'v Value<'v>)>,
        state: &mut DeviceState,
        now: Duration,
    ) {
        let outlet_faults = self.faults.outlet_faults(now);
        let before = (!outlet_faults.is_empty()).then(|| state.outlets.clone());
        for (cell, value) in writes {
            self.write(cell, value, state, now);
        }
        if let Some(before) = before {
            apply_outlet_faults(&self.faults, &outlet_faults, before, state, now);
        }
        self.outlets_changed(state, now);
    }

    /// After a command changed outlets: notifies what changed at once and wakes the
    /// settle-on-time timer, whose next deadline may have moved.
    pub fn outlets_changed(&self, state: &mut DeviceState, now: Duration) {
        if self.notifications.active() {
            self.observe_outlets(state, now);
            self.notifications.wake();
        }
    }

    /// Persists the state after a change: locks it and queues the state file for writing
    /// ([`Device::queue_state_write`]). `None` when the PDU has no state directory.
    pub fn persist(&self) -> Option<PendingWrite> {
        let state = self.lock_state();
        self.queue_state_write(&state)
    }

    /// Queues the state file for writing on the background writer (atomically, safe against a
    /// crash of this process; see `persist`); wait on the result before answering. A failure is
    /// logged, not fatal: the PDU keeps answering, as a real one with a worn flash would.
    pub fn queue_state_write(&self, state: &DeviceState) -> Option<PendingWrite> {
        let path = self.live().state_file.as_ref()?;
        let saved = SavedState {
            format: Some(STATE_FORMAT),
            sys_name: state.sys_name.clone(),
            sys_contact: state.sys_contact.clone(),
            sys_location: state.sys_location.clone(),
            vendor: Some(self.vendor.name().to_string()),
            vendor_settings: state
                .vendor
                .settings
                .iter()
                .map(|((column, index), value)| {
                    [i64::from(*column), i64::from(*index), i64::from(*value)]
                })
                .collect(),
            enable_authen_traps: Some(state.enable_authen_traps),
            outlets: state
                .outlets
                .iter()
                .map(|o| SavedOutlet {
                    name: o.name.clone(),
                    power: o.settled_power(),
                    power_off_period_secs: o.delays.reboot.as_secs(),
                    energy_wh: o.energy_recorded(),
                    on_delay_secs: (o.delays.on_delay != Delays::NEVER)
                        .then_some(o.delays.on_delay.as_secs()),
                    off_delay_secs: (o.delays.off_delay != Delays::NEVER)
                        .then_some(o.delays.off_delay.as_secs()),
                    startup: Some(o.startup),
                })
                .collect(),
            end: Some(EndMarker {
                outlets: state.outlets.len(),
            }),
        };
        match toml::to_string(&saved) {
            Ok(text) => Some(replace_file_in_background(path.clone(), text.into_bytes())),
            Err(e) => {
                tracing::error!(pdu = %self.name, path = %path.display(), "cannot save outlet state: {e}");
                None
            }
        }
    }

    /// A copy of every outlet's power right now, for reports and tests.
    pub fn outlet_powers(&self) -> Vec<Power> {
        let now = self.now();
        self.lock_state()
            .outlets
            .iter_mut()
            .map(|o| o.power(now))
            .collect()
    }
}

impl Live {
    /// Makes `device`'s engine, users and state from its spec and saved files (see [`Device`]).
    /// Called once per PDU, never while `device.live` is readable.
    fn load(device: &Device) -> Result<Live, StartError> {
        let spec = &device.spec;
        let pdu = || spec.name.clone();
        let engine = match (spec.state_dir.as_deref(), device.start_count) {
            // Nothing is written: the folder comes into being at the PDU's first write.
            (Some(dir), Some(starts)) => Engine::start_counted(
                dir,
                spec.engine_id.clone(),
                spec.vendor.enterprise(),
                spec.name.as_str(),
                starts,
                device.clock.clone(),
            ),
            (dir, _) => Engine::start(
                dir,
                spec.engine_id.clone(),
                spec.vendor.enterprise(),
                device.clock.clone(),
            ),
        }
        .map_err(|source| StartError::Engine { pdu: pdu(), source })?;
        engine.count_time_from(device.born);
        if engine.locked_out() {
            let fix = match spec.state_dir.as_deref().and_then(std::path::Path::parent) {
                Some(root) => format!(
                    "stop pdusim and run `pdusim state reset --state-dir {} --pdu {}`, or POST {{\"boots\":1}} to /pdus/{}/engine on the control API",
                    root.display(),
                    spec.name,
                    spec.name
                ),
                None => format!(
                    "POST {{\"boots\":1}} to /pdus/{}/engine on the control API",
                    spec.name
                ),
            };
            tracing::warn!(
                "PDU {}: snmpEngineBoots is 2147483647, the maximum: every authenticated SNMPv3 request will be refused as not in time window (RFC 3414 §2.2.2); to undo it, {fix}",
                spec.name
            );
        }
        let users = UserTable::new(&spec.users, &engine.id(), &device.keys)
            .map_err(|source| StartError::Security { pdu: pdu(), source })?;
        let state_file = spec.state_dir.as_ref().map(|d| d.join(STATE_FILE));
        let warm_start = state_file.as_ref().is_some_and(|f| f.exists());
        let mut state =
            initial_state(spec, state_file.as_ref()).map_err(|source| StartError::State {
                pdu: pdu(),
                path: state_file.clone().unwrap_or_default(),
                source,
            })?;
        // Energy accrues from this start, not from the clock's epoch.
        for outlet in &mut state.outlets {
            outlet.restore_energy(outlet.energy_recorded(), device.born);
        }
        Ok(Live {
            engine,
            users: RwLock::new(Arc::new(users)),
            identity: resolve_identity(spec),
            inventory: resolve_inventory(spec),
            sys_descr: spec
                .sys_descr
                .clone()
                .or_else(|| {
                    spec.recording
                        .as_ref()
                        .and_then(|r| r.text(oids::SYS_DESCR))
                })
                .unwrap_or_else(|| spec.vendor.sys_descr().to_string()),
            sys_object_id: match (
                &spec.sys_object_id,
                spec.recording
                    .as_ref()
                    .and_then(|r| r.get(oids::SYS_OBJECT_ID)),
            ) {
                (Some(oid), _) => oid.clone(),
                (None, Some(Value::ObjectId(oid))) => oid.clone(),
                _ => Oid::new(spec.vendor.sys_object_id()),
            },
            started_nanos: std::sync::atomic::AtomicU64::new(nanos(device.born)),
            uptime_skew_nanos: std::sync::atomic::AtomicU64::new(0),
            state: Mutex::new(state),
            state_file,
            warm_start,
        })
    }

    /// What an unavailable PDU gets when its saved files cannot be read: the spec's first
    /// start, saving nothing (so the files stay as they are) and without users.
    fn detached(device: &Device) -> Live {
        let spec = &device.spec;
        let engine = Engine::unsaved(
            crate::engine::generate_engine_id(spec.vendor.enterprise()),
            device.clock.clone(),
        );
        Live {
            engine,
            users: RwLock::new(Arc::new(UserTable::default())),
            identity: resolve_identity(spec),
            inventory: resolve_inventory(spec),
            sys_descr: spec.vendor.sys_descr().to_string(),
            sys_object_id: Oid::new(spec.vendor.sys_object_id()),
            started_nanos: std::sync::atomic::AtomicU64::new(nanos(device.born)),
            uptime_skew_nanos: std::sync::atomic::AtomicU64::new(0),
            state: Mutex::new(fresh_state(spec)),
            state_file: None,
            warm_start: false,
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A duration as TimeTicks: hundredths of a second modulo 2^32 (RFC 2578 §7.1.8).
pub fn time_ticks(d: Duration) -> u32 {
    let wrapped = (d.as_millis() / 10) % (1u128 << 32);
    u32::try_from(wrapped).unwrap_or(0)
}

/// The state `spec` describes for a first start (nothing saved).
fn fresh_state(spec: &DeviceSpec) -> DeviceState {
    let delays = Delays {
        reboot: spec.power_off_period,
        ..spec.delays
    };
    DeviceState {
        sys_name: spec.sys_name.clone(),
        sys_contact: spec.sys_contact.clone(),
        sys_location: spec.sys_location.clone(),
        outlets: (0..spec.outlets as usize)
            .map(|i| {
                let power = spec
                    .outlet_powers
                    .get(i)
                    .copied()
                    .unwrap_or(spec.initial_power);
                let mut outlet = Outlet::new(
                    spec.outlet_names.get(i).cloned().unwrap_or_default(),
                    power,
                    delays,
                );
                outlet.load_watts = spec
                    .outlet_loads
                    .get(i)
                    .copied()
                    .unwrap_or(spec.default_load_watts);
                outlet.startup = spec.startup;
                outlet
            })
            .collect(),
        meters_frozen: false,
        vendor: crate::state::VendorState::default(),
        enable_authen_traps: false,
    }
}

/// The state `spec` starts with: what `state_file` saved, else [`fresh_state`].
fn initial_state(
    spec: &DeviceSpec,
    state_file: Option<&PathBuf>,
) -> Result<DeviceState, StateFileError> {
    let mut state = fresh_state(spec);
    let Some(path) = state_file.filter(|p| p.exists()) else {
        return Ok(state);
    };
    let text = std::fs::read_to_string(path)?;
    let saved: SavedState =
        toml::from_str(&text).map_err(|e| StateFileError::Parse(Box::new(e)))?;
    if saved.format.is_some() {
        match &saved.end {
            None => {
                return Err(StateFileError::Truncated {
                    detail: format!(
                        "no [end] table after the {} outlet records it holds",
                        saved.outlets.len()
                    ),
                })
            }
            Some(end) if end.outlets != saved.outlets.len() => {
                return Err(StateFileError::Truncated {
                    detail: format!(
                        "its [end] table counts {} outlets but {} records come before it",
                        end.outlets,
                        saved.outlets.len()
                    ),
                })
            }
            Some(_) => {}
        }
    }
    let saved_vendor = saved.vendor.as_deref().unwrap_or(spec.vendor.name());
    if saved_vendor != spec.vendor.name() || saved.outlets.len() != state.outlets.len() {
        return Err(StateFileError::Mismatch {
            saved: format!("{saved_vendor} with {} outlets", saved.outlets.len()),
            now: format!(
                "{} with {} outlets",
                spec.vendor.name(),
                state.outlets.len()
            ),
        });
    }
    state.sys_name = saved.sys_name;
    state.sys_contact = saved.sys_contact;
    state.sys_location = saved.sys_location;
    state.enable_authen_traps = saved.enable_authen_traps.unwrap_or(false);
    {
        for [column, index, value] in saved.vendor_settings {
            if let (Ok(column), Ok(index), Ok(value)) = (
                u16::try_from(column),
                u32::try_from(index),
                i32::try_from(value),
            ) {
                state.vendor.settings.insert((column, index), value);
            }
        }
    }
    for (outlet, saved) in state.outlets.iter_mut().zip(saved.outlets) {
        let power = match saved.startup.unwrap_or(outlet.startup) {
            StartupPower::LastKnown => saved.power,
            StartupPower::On => Power::On,
            StartupPower::Off => Power::Off,
        };
        let delays = Delays {
            reboot: Duration::from_secs(saved.power_off_period_secs.max(1)),
            on_delay: saved
                .on_delay_secs
                .map_or(outlet.delays.on_delay, Duration::from_secs),
            off_delay: saved
                .off_delay_secs
                .map_or(outlet.delays.off_delay, Duration::from_secs),
        };
        let mut restored = Outlet::new(saved.name, power, delays);
        restored.load_watts = outlet.load_watts;
        restored.startup = saved.startup.unwrap_or(outlet.startup);
        restored.restore_energy(saved.energy_wh, Duration::ZERO);
        *outlet = restored;
    }
    Ok(state)
}

/// The objects every PDU has (MIB-II system and snmp groups, the engine and USM counters)
/// plus the vendor's.
pub fn build_tree(
    vendor: &dyn VendorProfile,
    outlets: u32,
    recording: Option<&Recording>,
) -> MibTree {
    let mut t = MibTree::default();
    crate::standard_mib::register(&mut t);
    // A recording's own interface rows win over the live management port.
    if !recording.is_some_and(|r| {
        crate::interfaces::has_recorded_interfaces(r.entries.iter().map(|(oid, _)| oid))
    }) {
        crate::interfaces::register(&mut t);
    }
    vendor.build(&mut t, outlets);
    for (position, (_, oid, _)) in vendor.identity().iter().enumerate() {
        if let Some((index, object)) = oid.split_last() {
            t.object(object, crate::access::Access::ReadOnly);
            t.instance(object, &[*index], Cell::Identity(position));
        }
    }
    for inventory in vendor.inventory() {
        if let Some((index, object)) = inventory.oid.split_last() {
            t.object(object, crate::access::Access::ReadOnly);
            t.instance(
                object,
                &[*index],
                Cell::Inventory {
                    count: inventory.count,
                    syntax: inventory.syntax,
                },
            );
        }
    }
    // The recording fills in everything else the real device had. What this agent or the
    // vendor profile declares (the system group, counters, the live outlet columns) stays live.
    for (oid, value) in recording.map(|r| r.entries.as_slice()).unwrap_or_default() {
        if t.get(oid.arcs()).is_err() && t.object_of(oid.arcs()).is_none() {
            t.instance(oid.arcs(), &[], Cell::Static(value.clone()));
        }
    }
    t
}

/// The `Commit` fault point: stuck outlets go back to what they were; slow ones switch later.
/// A fault acts (and uses a packet of its budget) only when the SET changed its outlet.
fn apply_outlet_faults(
    set: &crate::fault::FaultSet,
    faults: &[(u64, FaultKind)],
    before: Vec<Outlet>,
    state: &mut DeviceState,
    now: Duration,
) {
    for (id, fault) in faults {
        let (outlet, delay) = match fault {
            FaultKind::StuckOutlet { outlet } => (*outlet, None),
            FaultKind::SlowOutlet { outlet, ms } => (*outlet, Some(Duration::from_millis(*ms))),
            // Faults of the other points never come back from `outlet_faults`.
            FaultKind::AgentDown
            | FaultKind::DropRequest
            | FaultKind::DropResponse
            | FaultKind::Delay { .. }
            | FaultKind::Duplicate
            | FaultKind::Reorder
            | FaultKind::Truncate { .. }
            | FaultKind::Corrupt { .. }
            | FaultKind::WrongSourcePort
            | FaultKind::ForceError { .. }
            | FaultKind::WrongRequestId
            | FaultKind::ReportInstead { .. }
            | FaultKind::ErrorAfterCommit { .. }
            | FaultKind::DropNotification
            | FaultKind::DelayNotification { .. }
            | FaultKind::DuplicateNotification
            | FaultKind::UnacknowledgedInform
            | FaultKind::SwitchGap { .. }
            | FaultKind::RefuseDelayedCommands
            | FaultKind::AuthLockout { .. }
            | FaultKind::DiscoveryWithoutTime
            | FaultKind::EmptyReport
            | FaultKind::ZeroLengthInteger { .. } => continue,
        };
        let Some(pos) = usize::try_from(outlet).ok().and_then(|n| n.checked_sub(1)) else {
            continue;
        };
        let (Some(after), Some(was)) = (state.outlets.get_mut(pos), before.get(pos)) else {
            continue;
        };
        if after == was || !set.claim(*id, now) {
            continue;
        }
        let target = after.settled_power();
        *after = was.clone();
        if let Some(delay) = delay {
            if target != after.settled_power() {
                after.switch_after(target, delay, now);
            }
        }
    }
}

#[cfg(test)]
mod persistence_tests {
    use super::*;
    use crate::clock::ManualClock;

    fn spec(dir: &std::path::Path) -> DeviceSpec {
        let cfg = crate::config::FileConfig::parse(
            "[[pdu]]\nname = \"p\"\nvendor = \"apc-rpdu2\"\noutlets = 3\n[[pdu.community]]\nname = \"c\"\n",
            "test",
        )
        .unwrap();
        let mut spec = cfg.validate("test").unwrap().remove(0).0;
        spec.state_dir = Some(dir.to_path_buf());
        spec
    }

    /// A lazy PDU makes nothing until used; then its engine time and sysUpTime count from its
    /// start, its boots is the start count, and its first write creates its folder.
    #[test]
    fn a_lazy_pdu_comes_into_being_at_its_first_use() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let mut shared = KeyAndTreeCache::default();
        // The second start of the directory.
        crate::engine::StartCount::bump(root.path()).unwrap();
        let starts = crate::engine::StartCount::bump(root.path()).unwrap();
        shared
            .start_counts
            .insert(root.path().to_path_buf(), starts);
        let device = Device::start_lazy(spec(&root.path().join("p")), clock.clone(), &shared);
        clock.advance(Duration::from_secs(90));
        assert!(!device.is_materialised());
        assert_eq!(device.outlet_count(), 3);
        assert!(!root.path().join("p").exists(), "nothing written at start");
        assert_eq!(
            device.engine().time(),
            90,
            "engine time counts from the start"
        );
        assert!(device.is_materialised());
        assert_eq!(device.engine().boots(), 2, "boots is the start count");
        assert_eq!(device.uptime(), Duration::from_secs(90));
        assert_eq!(device.unavailable(), None);
        device.persist().unwrap().wait(Duration::from_secs(10));
        assert!(root.path().join("p").join(STATE_FILE).exists());
    }

    /// A saved file that cannot be read when a lazy PDU comes into being leaves it
    /// unavailable, and the file as it was.
    #[test]
    fn a_lazy_pdu_whose_file_went_bad_is_unavailable_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let mut shared = KeyAndTreeCache::default();
        let starts = crate::engine::StartCount::bump(root.path()).unwrap();
        shared
            .start_counts
            .insert(root.path().to_path_buf(), starts);
        let dir = root.path().join("p");
        Device::check_saved(&spec(&dir)).unwrap();
        let device = Device::start_lazy(spec(&dir), clock, &shared);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(STATE_FILE), "not toml [").unwrap();
        assert!(Device::check_saved(&spec(&dir)).is_err());
        let why = device.unavailable().unwrap().to_string();
        assert!(why.contains("fix or delete the file"), "{why}");
        assert!(
            device.persist().is_none(),
            "an unavailable PDU saves nothing"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(STATE_FILE)).unwrap(),
            "not toml ["
        );
    }

    /// What SETs changed on an outlet (power, name, delays, start-up power, vendor settings)
    /// survives a restart.
    #[test]
    fn outlet_settings_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let device = Device::start(spec(dir.path()), clock.clone()).unwrap();
        {
            let mut state = device.lock_state();
            let o = &mut state.outlets[1];
            o.name = "db-1".into();
            o.switch(Power::Off, Duration::ZERO);
            o.delays.on_delay = Duration::from_secs(30);
            o.startup = StartupPower::LastKnown;
            state.vendor.settings.insert((7, 2), 3);
            state.enable_authen_traps = true;
            device
                .queue_state_write(&state)
                .unwrap()
                .wait(Duration::from_secs(10));
        }
        drop(device);
        let again = Device::start(spec(dir.path()), clock).unwrap();
        assert_eq!(again.engine().boots(), 2);
        let state = again.lock_state();
        let o = &state.outlets[1];
        assert_eq!(
            (o.name.as_str(), o.settled_power(), o.delays.on_delay),
            ("db-1", Power::Off, Duration::from_secs(30))
        );
        assert_eq!(
            state.vendor.settings.get(&(7, 2)),
            Some(&3),
            "vendor settings survive too"
        );
        assert!(
            state.enable_authen_traps,
            "snmpEnableAuthenTraps survives too"
        );
    }

    /// A state saved by another PDU (another vendor, another outlet count) is refused with
    /// the fix, never silently adopted.
    #[test]
    fn a_state_saved_for_another_vendor_or_outlet_count_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let device = Device::start(spec(dir.path()), clock.clone()).unwrap();
        device.persist().unwrap().wait(Duration::from_secs(10));
        drop(device);
        let mut more_outlets = spec(dir.path());
        more_outlets.outlets = 4;
        let mut other_vendor = spec(dir.path());
        other_vendor.vendor = crate::profiles::find("raritan-px2").unwrap();
        for (changed, now) in [
            (more_outlets, "apc-rpdu2 with 4 outlets"),
            (other_vendor, "raritan-px2 with 3 outlets"),
        ] {
            let message = Device::start(changed, clock.clone())
                .err()
                .unwrap()
                .to_string();
            assert!(
                message.contains("saved for apc-rpdu2 with 3 outlets")
                    && message.contains(now)
                    && message.contains("--state-dir"),
                "{message}"
            );
        }
        Device::start(spec(dir.path()), clock).unwrap();
    }

    /// A state file cut anywhere, even exactly between two outlet records, is refused with
    /// the file named and the fix; a whole file, and one from before the end marker, are read.
    #[test]
    fn a_state_file_cut_short_is_refused_not_half_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let device = Device::start(spec(dir.path()), clock.clone()).unwrap();
        {
            let mut state = device.lock_state();
            state.outlets[2].switch(Power::Off, Duration::ZERO);
            device
                .queue_state_write(&state)
                .unwrap()
                .wait(Duration::from_secs(10));
        }
        drop(device);
        let path = dir.path().join(STATE_FILE);
        let whole = std::fs::read_to_string(&path).unwrap();
        assert!(whole.trim_end().ends_with("[end]\noutlets = 3"), "{whole}");
        let record = |n: usize| whole.match_indices("[[outlets]]").nth(n).unwrap().0;
        let cuts = [
            ("between records 2 and 3", record(2)),
            ("before the end marker", whole.find("[end]").unwrap()),
            ("inside the end marker", whole.find("outlets = 3").unwrap()),
            ("inside the last record", whole.find("[end]").unwrap() - 20),
        ];
        for (what, at) in cuts {
            std::fs::write(&path, &whole[..at]).unwrap();
            let error = Device::start(spec(dir.path()), clock.clone())
                .err()
                .unwrap_or_else(|| panic!("a file cut {what} was accepted"));
            let message = error.to_string();
            assert!(
                matches!(error, StartError::State { .. })
                    && message.contains(&path.display().to_string())
                    && message.contains("fix or delete the file"),
                "{what}: {message}"
            );
        }
        std::fs::write(&path, &whole).unwrap();
        let again = Device::start(spec(dir.path()), clock.clone()).unwrap();
        assert_eq!(
            again.outlet_powers(),
            vec![Power::On, Power::On, Power::Off]
        );
        drop(again);
        // A file written before the end marker existed (no `format`) is still read.
        let legacy = whole
            .replace("format = 2\n", "")
            .replace("\n[end]\noutlets = 3\n", "\n");
        assert!(
            !legacy.contains("[end]") && !legacy.contains("format"),
            "{legacy}"
        );
        std::fs::write(&path, legacy).unwrap();
        let legacy = Device::start(spec(dir.path()), clock).unwrap();
        assert_eq!(
            legacy.outlet_powers(),
            vec![Power::On, Power::On, Power::Off]
        );
    }
}

/// Every clock and counter the agent serves wraps or latches as its SMI type says
/// (RFC 2578 §7.1): TimeTicks and Counter32 modulo 2^32, Gauge32 latched at 2^32 - 1.
#[cfg(test)]
mod limit_tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::mib::Cell;

    fn device(clock: Arc<ManualClock>) -> Device {
        let cfg = crate::config::FileConfig::parse(
            "[[pdu]]\nname = \"p\"\nvendor = \"apc-rpdu2\"\noutlets = 2\n[[pdu.community]]\nname = \"c\"\n",
            "test",
        )
        .unwrap();
        let spec = cfg.validate("test").unwrap().remove(0).0;
        Device::start(spec, clock).unwrap()
    }

    fn up_time(d: &Device) -> Value<'static> {
        let now = d.now();
        d.read(
            &Cell::System(SystemObject::UpTime),
            &mut d.lock_state(),
            now,
        )
    }

    /// A 500-day run on the manual clock, a day at a time: sysUpTime grows by a day's
    /// 8640000 ticks each day until 2^32 ticks (497 days 2 h 27 min 52.96 s), then starts
    /// again from 0 instead of sticking at 4294967295.
    #[test]
    fn sys_up_time_wraps_modulo_2_32_in_a_days_long_run() {
        let clock = Arc::new(ManualClock::default());
        let d = device(clock.clone());
        let day = Duration::from_secs(86_400);
        let mut wraps = 0;
        let mut last = 0u64;
        for _ in 0..500 {
            clock.advance(day);
            let Value::TimeTicks(now) = up_time(&d) else {
                panic!("sysUpTime is TimeTicks");
            };
            let now = u64::from(now);
            if now < last {
                wraps += 1;
                // The day that wraps: last + 8640000 - 2^32.
                assert_eq!(now, last + 8_640_000 - (1u64 << 32));
            } else {
                assert_eq!(now, last + 8_640_000);
            }
            last = now;
        }
        assert_eq!(wraps, 1, "one wrap in 500 days");
        // Exactly at the boundary: the last tick before it, then 0.
        let clock = Arc::new(ManualClock::default());
        let d = device(clock.clone());
        clock.advance(Duration::from_millis(42_949_672_950));
        assert_eq!(up_time(&d), Value::TimeTicks(u32::MAX));
        clock.advance(Duration::from_millis(10));
        assert_eq!(up_time(&d), Value::TimeTicks(0));
        clock.advance(Duration::from_millis(10));
        assert_eq!(up_time(&d), Value::TimeTicks(1));
        // The skew of the control API puts it there without a long run; a restart resets it.
        let clock = Arc::new(ManualClock::default());
        let d = device(clock.clone());
        d.skew_uptime(42_949_672);
        assert_eq!(up_time(&d), Value::TimeTicks(4_294_967_200));
        clock.advance(Duration::from_secs(1));
        assert_eq!(up_time(&d), Value::TimeTicks(4));
        // A new skew replaces the old one; 0 removes it.
        d.skew_uptime(42_949_672);
        assert_eq!(up_time(&d), Value::TimeTicks(4));
        d.skew_uptime(0);
        assert_eq!(up_time(&d), Value::TimeTicks(100));
        d.skew_uptime(42_949_672);
        d.restart(true).unwrap();
        assert_eq!(up_time(&d), Value::TimeTicks(0));
    }

    /// Counter32 objects (snmpInPkts, usmStats...) wrap to 0 after 4294967295.
    #[test]
    fn counter32_objects_wrap() {
        let d = device(Arc::new(ManualClock::default()));
        d.stats
            .snmp_in_pkts
            .store(u32::MAX - 1, std::sync::atomic::Ordering::Relaxed);
        let cell = Cell::Counter(|s: &AgentStats| &s.snmp_in_pkts);
        let read_it = || d.read(&cell, &mut d.lock_state(), Duration::ZERO);
        assert_eq!(read_it(), Value::Counter32(u32::MAX - 1));
        assert_eq!(crate::stats::bump(&d.stats.snmp_in_pkts), u32::MAX);
        assert_eq!(read_it(), Value::Counter32(u32::MAX));
        assert_eq!(crate::stats::bump(&d.stats.snmp_in_pkts), 0);
        assert_eq!(read_it(), Value::Counter32(0));
    }

    fn interface(d: &Device, column: &str) -> Value<'static> {
        let oid = Oid::parse(column).unwrap();
        let cell = d.tree().get(oid.arcs()).unwrap().clone();
        let now = d.now();
        d.read(&cell, &mut d.lock_state(), now)
    }

    const IF_IN_OCTETS: &str = "1.3.6.1.2.1.2.2.1.10.1";
    const IF_IN_UCAST_PKTS: &str = "1.3.6.1.2.1.2.2.1.11.1";
    const IF_OUT_OCTETS: &str = "1.3.6.1.2.1.2.2.1.16.1";
    const IF_HC_IN_OCTETS: &str = "1.3.6.1.2.1.31.1.1.1.6.1";
    const IF_HC_IN_UCAST_PKTS: &str = "1.3.6.1.2.1.31.1.1.1.7.1";
    const IF_HC_OUT_OCTETS: &str = "1.3.6.1.2.1.31.1.1.1.10.1";
    const IF_LAST_CHANGE: &str = "1.3.6.1.2.1.2.2.1.9.1";
    const IF_COUNTER_DISCONTINUITY_TIME: &str = "1.3.6.1.2.1.31.1.1.1.19.1";

    /// ifInOctets (Counter32) is the low 32 bits of the count: it wraps past 4294967295 while
    /// ifHCInOctets (Counter64) keeps counting; the packet and out columns alike.
    #[test]
    fn counter32_interface_columns_wrap_while_counter64_ones_keep_counting() {
        let d = device(Arc::new(ManualClock::default()));
        d.offset_interface_counters(u64::from(u32::MAX) - 100);
        d.interface.received(100);
        assert_eq!(interface(&d, IF_IN_OCTETS), Value::Counter32(u32::MAX));
        assert_eq!(
            interface(&d, IF_HC_IN_OCTETS),
            Value::Counter64(u64::from(u32::MAX))
        );
        d.interface.received(150);
        assert_eq!(interface(&d, IF_IN_OCTETS), Value::Counter32(149));
        assert_eq!(
            interface(&d, IF_HC_IN_OCTETS),
            Value::Counter64((1 << 32) + 149)
        );
        // The packet count is 2^32 - 101 + 2 datagrams: not yet wrapped.
        assert_eq!(
            interface(&d, IF_IN_UCAST_PKTS),
            Value::Counter32(u32::MAX - 98)
        );
        assert_eq!(
            interface(&d, IF_HC_IN_UCAST_PKTS),
            Value::Counter64(u64::from(u32::MAX) - 98)
        );
        // Sent: two datagrams of 60 octets (a duplicated answer).
        d.interface.sent(60, 2);
        assert_eq!(interface(&d, IF_OUT_OCTETS), Value::Counter32(19));
        assert_eq!(
            interface(&d, IF_HC_OUT_OCTETS),
            Value::Counter64((1 << 32) + 19)
        );
    }

    /// ifHCInOctets wraps past 18446744073709551615 to small values, and ifInOctets with it.
    #[test]
    fn counter64_interface_columns_wrap_modulo_2_64() {
        let d = device(Arc::new(ManualClock::default()));
        // -1000 modulo 2^64, as a scenario's TOML writes it.
        d.offset_interface_counters(u64::MAX - 999);
        d.interface.received(999);
        assert_eq!(interface(&d, IF_HC_IN_OCTETS), Value::Counter64(u64::MAX));
        assert_eq!(interface(&d, IF_IN_OCTETS), Value::Counter32(u32::MAX));
        d.interface.received(80);
        assert_eq!(interface(&d, IF_HC_IN_OCTETS), Value::Counter64(79));
        assert_eq!(interface(&d, IF_IN_OCTETS), Value::Counter32(79));
        // The offset is added, not set: another full turn of 2^64 leaves the value as it was.
        d.offset_interface_counters(u64::MAX);
        d.offset_interface_counters(1);
        assert_eq!(interface(&d, IF_HC_IN_OCTETS), Value::Counter64(79));
    }

    /// A 600-day run on the manual clock, a day at a time, with traffic every day: the counters
    /// only grow (across sysUpTime's wrap at day 497 too) until a reset on day 3 of the second
    /// half, whose sysUpTime ifCounterDiscontinuityTime keeps however far sysUpTime moves on;
    /// ifLastChange stays 0; a restart puts counters and discontinuity time back to 0.
    #[test]
    fn interface_counters_and_discontinuity_time_in_a_days_long_run() {
        let clock = Arc::new(ManualClock::default());
        let d = device(clock.clone());
        let day = Duration::from_secs(86_400);
        let hc_in = |d: &Device| match interface(d, IF_HC_IN_OCTETS) {
            Value::Counter64(v) => v,
            other => panic!("ifHCInOctets is Counter64: {other:?}"),
        };
        let mut last = 0;
        let mut reset_at = None;
        for n in 1..=600u32 {
            clock.advance(day);
            d.interface.received(1_000_000);
            if n == 303 {
                d.reset_interface_counters();
                reset_at = Some(up_time(&d));
                assert_eq!(hc_in(&d), 0, "the reset sets the counts to 0");
                last = 0;
                continue;
            }
            let now = hc_in(&d);
            assert_eq!(now, last + 1_000_000, "day {n}");
            last = now;
            let expected = match reset_at {
                Some(Value::TimeTicks(t)) => Value::TimeTicks(t),
                _ => Value::TimeTicks(0),
            };
            assert_eq!(
                interface(&d, IF_COUNTER_DISCONTINUITY_TIME),
                expected,
                "day {n}"
            );
            assert_eq!(interface(&d, IF_LAST_CHANGE), Value::TimeTicks(0));
        }
        // Reset on day 303: sysUpTime then was 303 days of ticks; now, at day 600, sysUpTime
        // has wrapped and is below it, the discontinuity time is not.
        assert_eq!(reset_at, Some(Value::TimeTicks(303 * 8_640_000)));
        let Value::TimeTicks(now) = up_time(&d) else {
            panic!("TimeTicks")
        };
        assert_eq!(u64::from(now), 600 * 8_640_000 - (1u64 << 32));
        assert_eq!(
            interface(&d, IF_COUNTER_DISCONTINUITY_TIME),
            Value::TimeTicks(303 * 8_640_000)
        );
        assert_eq!(hc_in(&d), 297 * 1_000_000);
        d.offset_interface_counters(5);
        d.restart(true).unwrap();
        assert_eq!(hc_in(&d), 0, "a restart starts the counters again");
        assert_eq!(
            interface(&d, IF_COUNTER_DISCONTINUITY_TIME),
            Value::TimeTicks(0)
        );
    }

    /// A Gauge32 reading beyond 2^32 - 1 latches at 4294967295 (RFC 2578 §7.1.7) instead of
    /// wrapping or going negative; TimeTicks conversion of huge durations wraps instead.
    #[test]
    fn gauge32_latches_and_time_ticks_wrap() {
        use crate::profiles::metering::scaled;
        assert_eq!(scaled(4_294_967_294.0, 1.0), 4_294_967_294);
        assert_eq!(scaled(4_294_967_295.0, 1.0), u32::MAX);
        assert_eq!(scaled(4_294_967_296.0, 1.0), u32::MAX);
        assert_eq!(scaled(1e30, 0.1), u32::MAX);
        assert_eq!(time_ticks(Duration::from_millis(42_949_672_950)), u32::MAX);
        assert_eq!(time_ticks(Duration::from_millis(42_949_672_960)), 0);
        assert_eq!(time_ticks(Duration::MAX), {
            let ticks = Duration::MAX.as_millis() / 10;
            u32::try_from(ticks % (1u128 << 32)).unwrap()
        });
    }
}

#[cfg(test)]
mod notify_fault_tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::fault::Schedule;

    fn device(kind: &str) -> Device {
        let text = format!(
            "[[pdu]]\nname = \"p\"\n[[pdu.community]]\nname = \"c\"\n[[pdu.notify]]\naddress = \"127.0.0.1:162\"\nkind = \"{kind}\"\n"
        );
        let spec = crate::config::FileConfig::parse(&text, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        let spec = DeviceSpec {
            state_dir: None,
            ..spec
        };
        Device::start(spec, Arc::new(ManualClock::default())).unwrap()
    }

    /// unacknowledged-inform uses its budget only on notifications sent as informs; the
    /// other Notify faults on every notification; nothing after a drop.
    #[test]
    fn notify_faults_use_their_budget_only_where_they_act() {
        let once = Schedule {
            packets: Some(1),
            ..Schedule::default()
        };
        let traps = device("trap");
        let now = traps.now();
        traps
            .faults
            .add(FaultKind::UnacknowledgedInform, once.clone())
            .unwrap();
        traps
            .faults
            .add(FaultKind::DuplicateNotification, once.clone())
            .unwrap();
        assert_eq!(
            traps.notify_faults(now),
            vec![FaultKind::DuplicateNotification]
        );
        let left: Vec<FaultKind> = traps.faults.list(now).into_iter().map(|f| f.kind).collect();
        assert_eq!(
            left,
            vec![FaultKind::UnacknowledgedInform],
            "traps leave it alone"
        );

        let informs = device("inform");
        let now = informs.now();
        for kind in [FaultKind::DropNotification, FaultKind::UnacknowledgedInform] {
            informs.faults.add(kind, once.clone()).unwrap();
        }
        assert_eq!(
            informs.notify_faults(now),
            vec![FaultKind::DropNotification],
            "nothing acts on a dropped notification"
        );
        assert_eq!(informs.faults.list(now).len(), 1);
        assert_eq!(
            informs.notify_faults(now),
            vec![FaultKind::UnacknowledgedInform]
        );
        assert!(informs.faults.list(now).is_empty());
    }
}
