//! The configuration file (TOML) and its validation. Every mistake names the field and says what
//! would be right. The command line's quick flags build the same `FileConfig`.

use snmp_proto::usm::ExposeSecret;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::access::{Access, Community, UserSpec};
use crate::device::DeviceSpec;
use crate::engine::parse_engine_id;
use crate::outlet::{Delays, Power, StartupPower};
use crate::profiles::{self, VendorProfile};
use crate::recording::{Recording, Strictness};
use snmp_proto::usm::keys::{ProtocolParseError, MIN_PASSWORD_LEN};
use snmp_proto::usm::{AuthProtocol, Password, PrivProtocol, SecurityLevel};
use snmp_proto::{oids, Oid, Value};
use std::sync::Arc;

/// The embedded default: one 8-outlet Raritan PX2 on 127.0.0.1:1161.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A configuration that cannot be used. No variant shows a password or community string.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The text is not TOML of this shape (an unknown key, a wrong type).
    #[error("{origin}: {message}")]
    Syntax {
        /// The file's path, or what the text came from (`embedded default`, `command line`).
        origin: String,
        /// Line, column and key, then toml's message (never the line's value).
        message: String,
    },
    /// A value that parses but cannot be used.
    #[error("{origin}: {field}: {problem}")]
    Field {
        /// The file's path, or what the text came from.
        origin: String,
        /// Where, e.g. `pdu[1].user[0].auth_password`.
        field: String,
        /// What is wrong and what would be right.
        problem: String,
    },
}

/// A whole configuration file: where state is kept and the `[[pdu]]` tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where each PDU keeps its state folder; default: see [`FileConfig::state_root`].
    pub state_dir: Option<PathBuf>,
    /// fsync every outlet-state write (`state_fsync = true`), so an acknowledged SET survives a
    /// power cut; default false: writes survive a crash of the process, not of the machine
    /// (see `persist::set_state_durability`).
    #[serde(default)]
    pub state_fsync: bool,
    /// The folder relative paths in the file are taken from.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The PDUs, one per `[[pdu]]` table (at least one is needed).
    #[serde(default)]
    pub pdu: Vec<PduConfig>,
}

/// The most power inlets `inlets` accepts: real PDUs have one or two cords, some four.
pub const MAX_INLETS: u32 = 8;

/// One `[[pdu]]` table: a simulated PDU as the file gives it. [`FileConfig::validate`] checks
/// it and fills the defaults in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PduConfig {
    /// The PDU's name: also its state folder's name.
    pub name: PduName,
    /// The vendor profile (`pdusim vendors`). Default: what the recording's sysObjectID names,
    /// else raritan-px2.
    #[serde(default, deserialize_with = "vendor_profile")]
    pub vendor: Option<&'static dyn VendorProfile>,
    /// Addresses to answer on.
    #[serde(default = "default_listen", deserialize_with = "listen_addrs")]
    pub listen: Vec<SocketAddr>,
    /// Default: the recording's outlet count, else 8.
    pub outlets: Option<u32>,
    /// An snmpsim `.snmprec` recording of a real device to serve as this PDU's static base
    /// (a relative path is taken from the config file's folder).
    pub recording: Option<PathBuf>,
    /// Skip (and log) bad lines in the recording instead of refusing the file.
    #[serde(default)]
    pub recording_lenient: bool,
    /// Outlet names, outlet 1 first (at most one per outlet; default: the recording's, else
    /// empty).
    #[serde(default)]
    pub outlet_names: Vec<String>,
    /// Outlet power at the first start (default: on, or a recording's states).
    pub initial_power: Option<Power>,
    /// Seconds a cycle (reboot) keeps an outlet off, 1 to 3600 (default 5).
    #[serde(default = "default_power_off_period")]
    pub power_off_period: u64,
    /// sysName.0 (default: the recording's, else empty).
    #[serde(default)]
    pub sys_name: String,
    /// sysLocation.0 (default: the recording's, else empty).
    #[serde(default)]
    pub sys_location: String,
    /// sysContact.0 (default: the recording's, else empty).
    #[serde(default)]
    pub sys_contact: String,
    /// sysDescr.0 (default: the vendor profile's).
    pub sys_descr: Option<String>,
    /// Overrides the vendor's sysObjectID (a device whose firmware reports one drivers do not
    /// recognise).
    #[serde(default, deserialize_with = "object_identifier")]
    pub sys_object_id: Option<Oid>,
    /// The manufacturer's name in the vendor MIB's nameplate objects (default: the recording's,
    /// else the profile's).
    pub manufacturer: Option<String>,
    /// The model in the vendor MIB's nameplate objects (PDU2-MIB pduModel, PowerNet-MIB
    /// sPDUIdentModelNumber; default: the recording's, else the profile's).
    pub model: Option<String>,
    /// The serial number in the vendor MIB's nameplate objects.
    pub serial_number: Option<String>,
    /// The firmware version in the vendor MIB's nameplate objects.
    pub firmware_version: Option<String>,
    /// The number of power inlets in the vendor MIB's inventory objects (TRIPPLITE-PRODUCTS
    /// tlpPduIdentNumInputs), 1 to [`MAX_INLETS`] (default: the recording's, else the
    /// profile's).
    pub inlets: Option<u32>,
    /// The number of input phases in the vendor MIB's inventory objects (TRIPPLITE-PRODUCTS
    /// tlpPduIdentNumPhases, CPS-MIB ePDUIdentDeviceNumPhases), 1 or 3 (default: the
    /// recording's, else the profile's).
    pub phases: Option<u32>,
    /// The number of outlet groups (banks, each behind its own breaker) in the vendor MIB's
    /// inventory objects (TRIPPLITE-PRODUCTS tlpPduIdentNumOutletGroups, CPS-MIB
    /// ePDUIdentDeviceNumBreakers), 0 (none) to the PDU's outlets (default: the recording's,
    /// else the profile's).
    pub outlet_groups: Option<u32>,
    /// MIB-level quirks of real PDUs, `[pdu.quirks]` (`docs/QUIRKS.md`): gaps and phantom rows,
    /// banks, control index offsets, renumbered columns, empty legacy tables, what off outlets'
    /// meters read. None by default.
    #[serde(default)]
    pub quirks: crate::mib_quirks::MibQuirks,
    /// snmpEngineID in hex (5 to 32 octets); default: made once and kept in the state folder.
    #[serde(default, deserialize_with = "engine_id")]
    pub engine_id: Option<Vec<u8>>,
    /// More SNMPv3 contextNames that pick this PDU at a shared address, besides its own name
    /// (the default context `""` picks the address's first PDU).
    #[serde(default)]
    pub contexts: Vec<String>,
    /// The most varbinds one GETBULK Response carries, at least 1 (default 1000).
    #[serde(default = "default_max_bulk")]
    pub max_bulk_varbinds: usize,
    /// Seconds a delayed-on command waits, 0 to 7200 (default 0).
    #[serde(default)]
    pub on_delay: u64,
    /// Seconds a delayed-off command waits, 0 to 7200 (default 0).
    #[serde(default)]
    pub off_delay: u64,
    /// Outlet power when the PDU starts with saved state.
    #[serde(default = "default_startup")]
    pub power_on_state: StartupPower,
    /// Watts each outlet draws when on (outlets beyond the list draw default_load_watts).
    #[serde(default)]
    pub outlet_loads: Vec<f64>,
    /// Watts an outlet draws when on, 0 to 100000 (default 60).
    #[serde(default = "default_load")]
    pub default_load_watts: f64,
    /// The v1/v2c communities, `[[pdu.community]]`.
    #[serde(default)]
    pub community: Vec<CommunityConfig>,
    /// The SNMPv3 users, `[[pdu.user]]`. A PDU needs a community or a user.
    #[serde(default)]
    pub user: Vec<UserConfig>,
    /// Where traps and informs go, `[[pdu.notify]]` (none by default).
    #[serde(default)]
    pub notify: Vec<crate::notification::NotifyConfig>,
}

/// A v1/v2c community as the file gives it, `[[pdu.community]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityConfig {
    /// The community string (never printed).
    #[serde(deserialize_with = "community_name")]
    pub name: Password,
    /// read-only (default) or read-write.
    #[serde(default = "default_community_access")]
    pub access: Access,
}

/// An SNMPv3 user as the file gives it. Passwords are never printed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// usmUserName, 1 to 32 characters.
    pub name: String,
    /// md5, sha, sha224, sha256, sha384 or sha512.
    #[serde(default, deserialize_with = "parsed")]
    pub auth: Option<AuthProtocol>,
    /// At least 8 characters.
    #[serde(default, deserialize_with = "password")]
    pub auth_password: Option<Password>,
    /// des, 3des, aes, aes192, aes256, aes192-cisco or aes256-cisco.
    #[serde(rename = "priv", default, deserialize_with = "parsed")]
    pub privacy: Option<PrivProtocol>,
    /// At least 8 characters.
    #[serde(default, deserialize_with = "password")]
    pub priv_password: Option<Password>,
    /// read-write (default) or read-only.
    #[serde(default = "default_user_access")]
    pub access: Access,
    /// The lowest securityLevel accepted from this user (default: what its keys allow).
    #[serde(default, deserialize_with = "parsed")]
    pub min_level: Option<SecurityLevel>,
}

/// A PDU's name: letters, digits, '-', '_' and '.', not starting with '.', so that it is
/// usable as a folder name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct PduName(String);

impl PduName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PduName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PduName {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        let usable = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if usable {
            Ok(PduName(name))
        } else {
            Err(format!("PDU name {name:?} is not usable as a folder name: use letters, digits, '-', '_' or '.'"))
        }
    }
}

/// `T` from its `FromStr` text (protocols, security levels), with `T`'s own error message.
fn parsed<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text = String::deserialize(d)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

fn password<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Password>, D::Error> {
    let text = String::deserialize(d)?;
    if text.chars().count() < MIN_PASSWORD_LEN {
        return Err(serde::de::Error::custom(format!(
            "this password is {} characters; SNMPv3 passwords must be at least {MIN_PASSWORD_LEN} (RFC 3414 §11.2)",
            text.chars().count()
        )));
    }
    Ok(Some(Password::from(text)))
}

fn community_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Password, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Err(serde::de::Error::custom(
            "a community name must not be empty",
        ));
    }
    Ok(Password::from(text))
}

fn vendor_profile<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<&'static dyn VendorProfile>, D::Error> {
    let name = String::deserialize(d)?;
    profiles::find(&name).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown vendor {name:?}: choose one of {}",
            profiles::names().join(", ")
        ))
    })
}

fn listen_addrs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|a| {
            a.parse().map_err(|_| {
                serde::de::Error::custom(format!(
                    "{a:?} is not an address: write IP:PORT, e.g. 127.0.0.1:1161"
                ))
            })
        })
        .collect()
}

fn object_identifier<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
    let text = String::deserialize(d)?;
    Oid::parse(&text)
        .filter(|o| o.arcs().len() >= 2)
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not an OID: write it dotted, e.g. \"1.3.6.1.4.1.318.1.3.4.6\""
            ))
        })
}

fn engine_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    let text = String::deserialize(d)?;
    parse_engine_id(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

const DEFAULT_VENDOR: &str = "raritan-px2";
fn default_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::from(([127, 0, 0, 1], 1161))]
}
/// Outlets of a PDU when neither the file nor a recording says.
const DEFAULT_OUTLETS: u32 = 8;
fn default_power_off_period() -> u64 {
    5
}
fn default_startup() -> StartupPower {
    StartupPower::LastKnown
}
fn default_load() -> f64 {
    60.0
}
fn default_max_bulk() -> usize {
    1000
}
fn default_community_access() -> Access {
    Access::ReadOnly
}
fn default_user_access() -> Access {
    Access::ReadWrite
}

/// The most outlets a PDU may have (real ones stop at 48; leave room for odd set-ups).
const MAX_OUTLETS: u32 = 1024;

impl FileConfig {
    /// Parses a config file's text; `origin` names it in errors.
    ///
    /// Errors give the line and column and what to write instead, but never the offending line
    /// itself: it may hold a password or community string.
    pub fn parse(text: &str, origin: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let place = e.span().map(|span| {
                let before = text.get(..span.start).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                // The key on that line (the text before `=`), never its value.
                let line_text = text.lines().nth(line - 1).unwrap_or_default();
                let key = line_text
                    .split_once('=')
                    .map(|(k, _)| k.trim())
                    .filter(|k| {
                        !k.is_empty()
                            && k.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                    });
                match key {
                    Some(key) => format!("line {line}, column {column}, `{key}`: "),
                    None => format!("line {line}, column {column}: "),
                }
            });
            ConfigError::Syntax {
                origin: origin.to_string(),
                message: format!("{}{}", place.unwrap_or_default(), e.message().trim_end()),
            }
        })
    }

    /// Reads and parses the file at `path`; relative paths in it are taken from its folder.
    /// Nothing is checked beyond the syntax: see [`FileConfig::validate`].
    ///
    /// Errors: [`ConfigError::Read`], [`ConfigError::Syntax`].
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Self::parse(&text, &path.display().to_string())?;
        cfg.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        // Relative paths in a file are taken from the file's folder, as `recording` is.
        if let Some(dir) = cfg.state_dir.take() {
            cfg.state_dir = Some(if dir.is_relative() {
                cfg.base_dir.join(dir)
            } else {
                dir
            });
        }
        Ok(cfg)
    }

    /// [`DEFAULT_CONFIG`], parsed: what `pdusim serve` runs without a config or flags.
    pub fn embedded_default() -> FileConfig {
        // The embedded file is checked by a unit test, so this cannot fail in a release.
        Self::parse(DEFAULT_CONFIG, "embedded default").unwrap_or(FileConfig {
            state_dir: None,
            state_fsync: false,
            base_dir: PathBuf::new(),
            pdu: Vec::new(),
        })
    }

    /// The state directory: the configured one, else $XDG_STATE_HOME/pdusim, else
    /// ~/.local/state/pdusim, else ./pdusim-state.
    pub fn state_root(&self) -> PathBuf {
        if let Some(dir) = &self.state_dir {
            return dir.clone();
        }
        if let Some(xdg) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(xdg).join("pdusim");
        }
        if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(home).join(".local/state/pdusim");
        }
        PathBuf::from("pdusim-state")
    }

    /// Checks everything and turns the file into PDUs to start, each with its listen addresses.
    pub fn validate(
        &self,
        origin: &str,
    ) -> Result<Vec<(DeviceSpec, Vec<SocketAddr>)>, ConfigError> {
        let mut recordings: std::collections::HashMap<PathBuf, Arc<Recording>> =
            std::collections::HashMap::new();
        let field = |field: String, problem: String| ConfigError::Field {
            origin: origin.to_string(),
            field,
            problem,
        };
        if self.pdu.is_empty() {
            return Err(field(
                "pdu".into(),
                "no PDU is defined: add a [[pdu]] table (see `pdusim example-config`)".into(),
            ));
        }
        let root = self.state_root();
        let mut seen_names = std::collections::HashSet::new();
        let mut seen_addrs = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (i, p) in self.pdu.iter().enumerate() {
            let at = |name: &str| format!("pdu[{i}].{name}");
            if !seen_names.insert(p.name.clone()) {
                return Err(field(
                    at("name"),
                    format!(
                        "{:?} is used by two PDUs: names must be unique",
                        p.name.as_str()
                    ),
                ));
            }
            let recording = match &p.recording {
                Some(path) => {
                    let path = if path.is_absolute() {
                        path.clone()
                    } else {
                        self.base_dir.join(path)
                    };
                    let loaded = match recordings.get(&path) {
                        Some(r) => Arc::clone(r),
                        None => {
                            let strictness = if p.recording_lenient {
                                Strictness::Lenient
                            } else {
                                Strictness::Strict
                            };
                            let (r, skipped) = Recording::load_with(&path, strictness).map_err(|e| {
                                field(
                                    at("recording"),
                                    format!("{e} (set recording_lenient = true, or pass --lenient, to skip bad lines)"),
                                )
                            })?;
                            for bad in &skipped {
                                tracing::warn!("skipped a bad recording line: {bad}");
                            }
                            let r = Arc::new(r);
                            recordings.insert(path, r.clone());
                            r
                        }
                    };
                    Some(loaded)
                }
                None => None,
            };
            // No vendor given: the recording's sysObjectID says which, else Raritan PX2.
            let recorded_vendor =
                recording
                    .as_ref()
                    .and_then(|r| match r.get(oids::SYS_OBJECT_ID) {
                        Some(Value::ObjectId(oid)) => pdu_mibs::by_sys_object_id(oid.arcs())
                            .and_then(|d| profiles::find(d.name)),
                        _ => None,
                    });
            let vendor = p
                .vendor
                .or(recorded_vendor)
                .or_else(|| profiles::find(DEFAULT_VENDOR))
                .ok_or_else(|| {
                    field(
                        at("vendor"),
                        format!("no profile named {DEFAULT_VENDOR}: this build is broken"),
                    )
                })?;
            let profile_data = pdu_mibs::by_name(vendor.name());
            let recorded_outlets = recording
                .as_ref()
                .zip(profile_data.and_then(|d| d.outlet_count))
                .and_then(|(r, oid)| match r.get(oid) {
                    Some(Value::Integer(n)) => u32::try_from(*n).ok(),
                    // TRIPPLITE-PRODUCTS tlpPduIdentNumOutlets is Unsigned32.
                    Some(Value::Gauge32(n)) => Some(*n),
                    _ => None,
                });
            let outlets = p.outlets.or(recorded_outlets).unwrap_or(DEFAULT_OUTLETS);
            if outlets == 0 || outlets > MAX_OUTLETS {
                return Err(field(
                    at("outlets"),
                    format!("{outlets} outlets is out of range: give 1 to {MAX_OUTLETS}"),
                ));
            }
            let outlet_count = usize::try_from(outlets).unwrap_or(usize::MAX);
            let mut outlet_names = p.outlet_names.clone();
            if outlet_names.is_empty() {
                // The recorded device's own outlet names, where its profile says where they are.
                if let (Some(r), Some(data)) = (&recording, profile_data) {
                    outlet_names = (1..=outlets)
                        .map(|n| {
                            data.name_oid(n)
                                .and_then(|oid| r.text(&oid))
                                .unwrap_or_default()
                        })
                        .collect();
                }
            }
            if outlet_names.len() > outlet_count {
                return Err(field(
                    at("outlet_names"),
                    format!(
                        "{} names for {outlets} outlets: give at most one name per outlet",
                        outlet_names.len()
                    ),
                ));
            }
            // The recorded system group, where the file leaves it empty.
            let recorded_text = |value: &str, oid: &[u32]| -> String {
                match (&recording, value.is_empty()) {
                    (Some(r), true) => r.text(oid).unwrap_or_default(),
                    _ => value.to_string(),
                }
            };
            // The recorded device's outlet states, as its state column says — or, where that
            // value was made up by a simulator variation, as another of its tables really said.
            let outlet_powers: Vec<Power> = match (&recording, profile_data) {
                (Some(r), Some(data)) if p.initial_power.is_none() => (1..=outlets)
                    .map_while(|n| recorded_power(r, data, n))
                    .collect(),
                _ => Vec::new(),
            };
            if !(1..=3600).contains(&p.power_off_period) {
                return Err(field(
                    at("power_off_period"),
                    format!(
                        "{} s is out of range: give 1 to 3600 seconds",
                        p.power_off_period
                    ),
                ));
            }
            for (key, delay) in [("on_delay", p.on_delay), ("off_delay", p.off_delay)] {
                if delay > 7200 {
                    return Err(field(
                        at(key),
                        format!("{delay} s is out of range: give 0 to 7200 seconds"),
                    ));
                }
            }
            if p.outlet_loads.len() > outlet_count
                || p.outlet_loads
                    .iter()
                    .chain([&p.default_load_watts])
                    .any(|w| !w.is_finite() || *w < 0.0 || *w > 100_000.0)
            {
                return Err(field(
                    at("outlet_loads"),
                    "give at most one load per outlet, each 0 to 100000 watts".into(),
                ));
            }
            for (key, value, count) in [
                ("inlets", p.inlets, crate::mib::InventoryCount::Inlets),
                ("phases", p.phases, crate::mib::InventoryCount::Phases),
                (
                    "outlet_groups",
                    p.outlet_groups,
                    crate::mib::InventoryCount::OutletGroups,
                ),
            ] {
                if value.is_some() {
                    unserved_setting(vendor, |v| v.inventory().iter().any(|o| o.count == count))
                        .map_err(|problem| field(at(key), problem))?;
                }
            }
            for (key, value, which) in [
                (
                    "manufacturer",
                    &p.manufacturer,
                    crate::mib::IdentityField::Manufacturer,
                ),
                ("model", &p.model, crate::mib::IdentityField::Model),
                (
                    "serial_number",
                    &p.serial_number,
                    crate::mib::IdentityField::SerialNumber,
                ),
                (
                    "firmware_version",
                    &p.firmware_version,
                    crate::mib::IdentityField::FirmwareVersion,
                ),
            ] {
                let Some(text) = value else { continue };
                // DisplayString is SIZE (0..255) (RFC 2579).
                if text.len() > 255 {
                    return Err(field(
                        at(key),
                        format!(
                            "{} octets is too long for a DisplayString: at most 255 (RFC 2579)",
                            text.len()
                        ),
                    ));
                }
                unserved_setting(vendor, |v| v.identity().iter().any(|(f, ..)| *f == which))
                    .map_err(|problem| field(at(key), problem))?;
            }
            if p.inlets.is_some_and(|n| !(1..=MAX_INLETS).contains(&n)) {
                return Err(field(
                    at("inlets"),
                    format!("must be 1 to {MAX_INLETS}: the power cords feeding the PDU"),
                ));
            }
            if p.phases.is_some_and(|n| n != 1 && n != 3) {
                return Err(field(
                    at("phases"),
                    "must be 1 (single-phase) or 3 (three-phase)".into(),
                ));
            }
            if p.outlet_groups.is_some_and(|n| n > outlets) {
                return Err(field(
                    at("outlet_groups"),
                    format!("must be 0 (none) to the PDU's {outlets} outlets: each group holds at least one outlet"),
                ));
            }
            p.quirks
                .validate(vendor, outlets)
                .map_err(|(key, problem)| field(format!("pdu[{i}].quirks.{key}"), problem))?;
            if p.max_bulk_varbinds == 0 {
                return Err(field(at("max_bulk_varbinds"), "must be at least 1".into()));
            }
            if p.listen.is_empty() {
                return Err(field(
                    at("listen"),
                    "no address: give at least one, e.g. [\"127.0.0.1:1161\"]".into(),
                ));
            }
            for (j, addr) in p.listen.iter().enumerate() {
                // Several PDUs may share an address (picked by community or context); the
                // same PDU listing an address twice is a slip.
                if seen_addrs.insert(*addr, i) == Some(i) {
                    return Err(field(
                        format!("pdu[{i}].listen[{j}]"),
                        format!("{addr} is listed twice"),
                    ));
                }
            }
            if p.community.is_empty() && p.user.is_empty() {
                return Err(field(at("community"), "the PDU has no community and no user, so nobody could talk to it: add a [[pdu.community]] or [[pdu.user]]".into()));
            }
            let mut communities: Vec<Community> = Vec::new();
            for (j, c) in p.community.iter().enumerate() {
                // Named by position: a community string is a secret and never printed.
                if let Some(first) = communities
                    .iter()
                    .position(|other| other.name.expose_secret() == c.name.expose_secret())
                {
                    return Err(field(
                        format!("pdu[{i}].community[{j}].name"),
                        format!("the same community as pdu[{i}].community[{first}]: list each community once"),
                    ));
                }
                communities.push(Community {
                    name: c.name.clone(),
                    access: c.access,
                });
            }
            let mut users: Vec<UserSpec> = Vec::new();
            for (j, u) in p.user.iter().enumerate() {
                let user = user_spec(u).map_err(|(key, problem)| {
                    field(format!("pdu[{i}].user[{j}].{key}"), problem)
                })?;
                if users.iter().any(|other| other.name == user.name) {
                    return Err(field(
                        format!("pdu[{i}].user[{j}].name"),
                        format!("{:?} is defined twice for this PDU", user.name),
                    ));
                }
                users.push(user);
            }
            let mut notify = Vec::new();
            for (j, n) in p.notify.iter().enumerate() {
                notify.push(n.validate().map_err(|(key, problem)| {
                    field(format!("pdu[{i}].notify[{j}].{key}"), problem)
                })?);
            }
            let spec = DeviceSpec {
                notify,
                name: p.name.to_string(),
                vendor,
                outlets,
                outlet_names,
                initial_power: p.initial_power.unwrap_or(Power::On),
                power_off_period: Duration::from_secs(p.power_off_period),
                delays: Delays {
                    on_delay: Duration::from_secs(p.on_delay),
                    off_delay: Duration::from_secs(p.off_delay),
                    reboot: Duration::from_secs(p.power_off_period),
                },
                startup: p.power_on_state,
                outlet_loads: p.outlet_loads.clone(),
                outlet_powers,
                default_load_watts: p.default_load_watts,
                sys_descr: p.sys_descr.clone(),
                sys_object_id: p.sys_object_id.clone(),
                identity: crate::device::Identity {
                    manufacturer: p.manufacturer.clone(),
                    model: p.model.clone(),
                    serial_number: p.serial_number.clone(),
                    firmware_version: p.firmware_version.clone(),
                    inlets: p.inlets,
                    phases: p.phases,
                    outlet_groups: p.outlet_groups,
                },
                quirks: p.quirks.clone(),
                sys_name: recorded_text(&p.sys_name, oids::SYS_NAME),
                sys_contact: recorded_text(&p.sys_contact, oids::SYS_CONTACT),
                sys_location: recorded_text(&p.sys_location, oids::SYS_LOCATION),
                state_dir: Some(root.join(p.name.as_str())),
                engine_id: p.engine_id.clone(),
                communities,
                users,
                contexts: p.contexts.clone(),
                max_bulk_varbinds: p.max_bulk_varbinds,
                recording,
            };
            out.push((spec, p.listen.clone()));
        }
        Ok(out)
    }
}

/// Outlet `n`'s recorded power: from the vendor's own state column unless that value is a
/// simulator variation, else from any other profile's state column recorded for real.
fn recorded_power(r: &Recording, vendor: &pdu_mibs::Profile, n: u32) -> Option<Power> {
    let read = |data: &pdu_mibs::Profile| -> Option<(Power, bool)> {
        let oid = data.state_oid(n);
        let Some(Value::Integer(v)) = r.get(&oid) else {
            return None;
        };
        let power = match data.state.decode(i64::from(*v)).settled()? {
            true => Power::On,
            false => Power::Off,
        };
        Some((power, r.is_synthetic(&oid)))
    };
    let own = read(vendor);
    if let Some((power, false)) = own {
        return Some(power);
    }
    let same_family =
        |d: &&&pdu_mibs::Profile| d.sys_object_id.get(..7) == vendor.sys_object_id.get(..7);
    pdu_mibs::PROFILES
        .iter()
        .filter(same_family)
        .find_map(|d| read(d).filter(|(_, synthetic)| !synthetic).map(|(p, _)| p))
        .or(own.map(|(p, _)| p))
}

/// The cross-field checks of a user entry (each field is already parsed). Errors name the key.
fn user_spec(u: &UserConfig) -> Result<UserSpec, (&'static str, String)> {
    if u.name.is_empty() || u.name.len() > 32 {
        return Err((
            "name",
            "a user name is 1 to 32 characters (RFC 3414 usmUserName)".into(),
        ));
    }
    let auth = match (u.auth, &u.auth_password) {
        (Some(proto), Some(password)) => Some((proto, password.clone())),
        (Some(_), None) => {
            return Err((
                "auth_password",
                "missing: a protocol was given, so give its password too".into(),
            ))
        }
        (None, Some(_)) => {
            return Err((
                "auth",
                "missing: auth_password is set, so say which protocol (e.g. \"sha\")".into(),
            ))
        }
        (None, None) => None,
    };
    let privacy = match (u.privacy, &u.priv_password) {
        (Some(_), _) if auth.is_none() => {
            return Err((
                "priv",
                "privacy needs authentication: set auth and auth_password too".into(),
            ))
        }
        (Some(proto), Some(password)) => Some((proto, password.clone())),
        (Some(_), None) => {
            return Err((
                "priv_password",
                "missing: a protocol was given, so give its password too".into(),
            ))
        }
        (None, Some(_)) => {
            return Err((
                "priv",
                "missing: priv_password is set, so say which protocol (e.g. \"aes\")".into(),
            ))
        }
        (None, None) => None,
    };
    let spec = UserSpec {
        name: u.name.clone(),
        auth,
        privacy,
        access: u.access,
        min_level: u.min_level,
    };
    if spec.min_level.is_some_and(|l| l > spec.key_level()) {
        return Err(("min_level", "is higher than the user's keys allow: add the auth/priv protocol and password, or lower min_level".into()));
    }
    Ok(spec)
}

/// Why a `--user` flag could not be read. The flag's text is never repeated: it holds passwords.
#[derive(Debug, thiserror::Error)]
pub enum UserFlagError {
    /// Not 1, 3 or 5 colon-separated parts.
    #[error(
        "--user for {user:?}: write NAME, NAME:AUTH:AUTHPASS or NAME:AUTH:AUTHPASS:PRIV:PRIVPASS"
    )]
    Shape {
        /// The user name (the part before the first colon).
        user: String,
    },
    /// An unknown protocol or a short password.
    #[error("--user for {user:?}: {problem}")]
    Part {
        /// The user name.
        user: String,
        /// What is wrong, without the passwords.
        problem: String,
    },
}

/// Parses `--user NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]` into a read-write user entry.
///
/// Errors name the user and the part that is wrong, never the passwords.
pub fn user_from_flag(text: &str) -> Result<UserConfig, UserFlagError> {
    let parts: Vec<&str> = text.splitn(5, ':').collect();
    let user = parts.first().copied().unwrap_or_default().to_string();
    let part = |problem: String| UserFlagError::Part {
        user: user.clone(),
        problem,
    };
    let password = |text: &str| -> Result<Password, UserFlagError> {
        if text.chars().count() < MIN_PASSWORD_LEN {
            return Err(part(format!(
                "a password is {} characters; SNMPv3 passwords must be at least {MIN_PASSWORD_LEN}",
                text.chars().count()
            )));
        }
        Ok(Password::from(text))
    };
    let mut config = UserConfig {
        name: user.clone(),
        auth: None,
        auth_password: None,
        privacy: None,
        priv_password: None,
        access: Access::ReadWrite,
        min_level: None,
    };
    match parts.as_slice() {
        [_] => {}
        [_, auth, auth_pw, rest @ ..] if rest.len() != 1 => {
            config.auth = Some(
                auth.parse()
                    .map_err(|e: ProtocolParseError| part(e.to_string()))?,
            );
            config.auth_password = Some(password(auth_pw)?);
            if let [privacy, priv_pw] = rest {
                config.privacy = Some(
                    privacy
                        .parse()
                        .map_err(|e: ProtocolParseError| part(e.to_string()))?,
                );
                config.priv_password = Some(password(priv_pw)?);
            }
        }
        _ => return Err(UserFlagError::Shape { user }),
    }
    Ok(config)
}

/// Why a `--community` flag could not be read. The flag's text is never repeated: it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommunityFlagError {
    /// Nothing before the access suffix.
    #[error("--community: the community name is empty: write NAME, NAME:ro or NAME:rw")]
    Empty,
    /// A suffix after the last `:` that is neither `ro` nor `rw` (`private:wr`).
    #[error("--community: the text after the last ':' is not an access: write NAME, NAME:ro or NAME:rw (a name that contains ':' needs the suffix, e.g. my:name:ro)")]
    UnknownAccess,
}

/// Parses `--community NAME[:ro|:rw]` (read-only unless it ends in `:rw`). A name containing
/// `:` must end in `:ro` or `:rw`, so that a slip like `private:wr` is refused instead of
/// becoming a read-only community called `private:wr`.
///
/// Errors: an empty name or an unknown access suffix; the message never repeats the text.
pub fn community_from_flag(text: &str) -> Result<CommunityConfig, CommunityFlagError> {
    let (name, access) = match text.rsplit_once(':') {
        Some((name, "rw")) => (name, Access::ReadWrite),
        Some((name, "ro")) => (name, Access::ReadOnly),
        Some(_) => return Err(CommunityFlagError::UnknownAccess),
        None => (text, Access::ReadOnly),
    };
    if name.is_empty() {
        return Err(CommunityFlagError::Empty);
    }
    Ok(CommunityConfig {
        name: Password::from(name),
        access,
    })
}

/// Refuses a nameplate or inventory setting for `vendor` when its profile serves no object
/// that reports it (`serves` tells which profiles do); the problem names the ones that do.
fn unserved_setting(
    vendor: &dyn VendorProfile,
    serves: impl Fn(&dyn VendorProfile) -> bool,
) -> Result<(), String> {
    if serves(vendor) {
        return Ok(());
    }
    let having: Vec<&str> = profiles::PROFILES
        .iter()
        .filter(|v| serves(**v))
        .map(|v| v.name())
        .collect();
    Err(format!(
        "{} serves no object that reports it (only {} do): remove the key",
        vendor.name(),
        having.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid() {
        let cfg = FileConfig::parse(DEFAULT_CONFIG, "embedded").unwrap();
        let pdus = cfg.validate("embedded").unwrap();
        assert_eq!(pdus.len(), 1);
        assert_eq!(pdus[0].0.outlets, 8);
        assert_eq!(
            pdus[0].1,
            vec!["127.0.0.1:1161".parse::<SocketAddr>().unwrap()]
        );
    }

    fn error_of(text: &str) -> String {
        match FileConfig::parse(text, "t.toml").and_then(|c| c.validate("t.toml")) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn state_fsync_is_off_unless_asked_and_must_be_a_boolean() {
        let pdu = "[[pdu]]\nname = \"a\"\n";
        assert!(!FileConfig::parse(pdu, "t").unwrap().state_fsync);
        let on = FileConfig::parse(&format!("state_fsync = true\n{pdu}"), "t").unwrap();
        assert!(on.state_fsync);
        let e = error_of(&format!("state_fsync = \"yes\"\n{pdu}"));
        assert!(e.contains("state_fsync") || e.contains("line 1"), "{e}");
    }

    #[test]
    fn mistakes_name_the_field_and_the_fix() {
        let e = error_of("[[pdu]]\nname = \"a\"\noutlet = 3\n");
        assert!(
            e.contains("unknown field `outlet`") && e.contains("line 3"),
            "{e}"
        );
        let e =
            error_of("[[pdu]]\nname = \"a\"\nvendor = \"acme\"\n[[pdu.community]]\nname = \"p\"\n");
        assert!(
            e.contains("line 3")
                && e.contains("\"acme\"")
                && e.contains("choose one of raritan-px2"),
            "{e}"
        );
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha\"\nauth_password = \"short\"\n");
        assert!(
            e.contains("line 6") && e.contains("at least 8") && !e.contains("short\""),
            "{e}"
        );
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha\"\nauth_password = \"longenough\"\npriv = \"rot13\"\npriv_password = \"longenough\"\n");
        assert!(
            e.contains("line 7") && e.contains("rot13") && e.contains("aes"),
            "{e}"
        );
        let e = error_of("[[pdu]]\nname = \"a\"\noutlets = \"eight\"\n");
        assert!(e.contains("outlets") && e.contains("line 3"), "{e}");
        let e = error_of(
            "[[pdu]]\nname = \"a\"\nlisten = [\"localhost\"]\n[[pdu.community]]\nname = \"p\"\n",
        );
        assert!(e.contains("line 3") && e.contains("IP:PORT"), "{e}");
        let e = error_of("[[pdu]]\nname = \"../x\"\n[[pdu.community]]\nname = \"p\"\n");
        assert!(e.contains("line 2") && e.contains("folder name"), "{e}");
        let e = error_of(
            "[[pdu]]\nname = \"a\"\ninitial_power = \"maybe\"\n[[pdu.community]]\nname = \"p\"\n",
        );
        assert!(e.contains("line 3") && e.contains("`on`"), "{e}");
        let e = error_of(
            "[[pdu]]\nname = \"a\"\n[[pdu.community]]\nname = \"p\"\naccess = \"write\"\n",
        );
        assert!(e.contains("line 5") && e.contains("read-write"), "{e}");
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.community]]\nname = \"s3cret\"\n[[pdu.community]]\nname = \"s3cret\"\naccess = \"rw\"\n");
        assert!(
            e.contains("pdu[0].community[1].name")
                && e.contains("community[0]")
                && !e.contains("s3cret"),
            "{e}"
        );
        // Cross-field checks still name the field path.
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha\"\n");
        assert!(
            e.contains("pdu[0].user[0].auth_password") && e.contains("missing"),
            "{e}"
        );
        let e = error_of("[[pdu]]\nname = \"a\"\noutlets = 0\n[[pdu.community]]\nname = \"p\"\n");
        assert!(
            e.contains("pdu[0].outlets") && e.contains("1 to 1024"),
            "{e}"
        );
        // Inventory counts: in range for a real PDU, groups no more than outlets.
        for (key, value, fix) in [
            ("inlets", "0", "1 to 8"),
            ("phases", "2", "1 (single-phase) or 3"),
            ("outlet_groups", "9", "0 (none) to the PDU's 8 outlets"),
        ] {
            let e = error_of(&format!(
                "[[pdu]]\nname = \"a\"\nvendor = \"tripplite-pdu\"\noutlets = 8\n{key} = {value}\n[[pdu.community]]\nname = \"p\"\n"
            ));
            assert!(
                e.contains(&format!("pdu[0].{key}")) && e.contains(fix),
                "{key}: {e}"
            );
        }
        let e = error_of(
            "[[pdu]]\nname = \"a\"\nvendor = \"raritan-px2\"\nphases = 3\n[[pdu.community]]\nname = \"p\"\n",
        );
        assert!(
            e.contains("pdu[0].phases") && e.contains("raritan-px2 serves no object"),
            "{e}"
        );
        // Nameplate text: a DisplayString (at most 255 octets), and only where the profile
        // serves an object for it.
        let e = error_of(&format!(
            "[[pdu]]\nname = \"a\"\nvendor = \"raritan-px2\"\nmodel = \"{}\"\n[[pdu.community]]\nname = \"p\"\n",
            "M".repeat(256)
        ));
        assert!(
            e.contains("pdu[0].model") && e.contains("at most 255"),
            "{e}"
        );
        let e = error_of(
            "[[pdu]]\nname = \"a\"\nvendor = \"raritan-px2\"\nfirmware_version = \"9\"\n[[pdu.community]]\nname = \"p\"\n",
        );
        assert!(
            e.contains("pdu[0].firmware_version")
                && e.contains("raritan-px2 serves no object")
                && e.contains("apc-rpdu"),
            "{e}"
        );
    }

    #[test]
    fn relative_paths_in_a_file_are_taken_from_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab.toml");
        std::fs::write(
            &file,
            "state_dir = \"state\"\n[[pdu]]\nname = \"a\"\n[[pdu.community]]\nname = \"p\"\n",
        )
        .unwrap();
        let cfg = FileConfig::load(&file).unwrap();
        assert_eq!(cfg.state_root(), dir.path().join("state"));
        let (spec, _) = cfg.validate("lab.toml").unwrap().remove(0);
        assert_eq!(spec.state_dir, Some(dir.path().join("state").join("a")));
    }

    #[test]
    fn fields_parse_into_their_types() {
        let text = "[[pdu]]\nname = \"a\"\nvendor = \"apc-rpdu2\"\nlisten = [\"127.0.0.1:1999\"]\ninitial_power = \"off\"\npower_on_state = \"on\"\nengine_id = \"800000000102030405\"\n[[pdu.community]]\nname = \"p\"\naccess = \"rw\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha256\"\nauth_password = \"longenough\"\nmin_level = \"authNoPriv\"\n";
        let cfg = FileConfig::parse(text, "t.toml").unwrap();
        let p = &cfg.pdu[0];
        assert_eq!(p.vendor.map(|v| v.name()), Some("apc-rpdu2"));
        assert_eq!(
            p.listen,
            vec!["127.0.0.1:1999".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            (p.initial_power, p.power_on_state),
            (Some(Power::Off), StartupPower::On)
        );
        assert_eq!(
            p.engine_id.as_deref(),
            Some(&[0x80, 0, 0, 0, 1, 2, 3, 4, 5][..])
        );
        assert_eq!(p.community[0].access, Access::ReadWrite);
        assert_eq!(p.user[0].auth, Some(AuthProtocol::Sha256));
        assert_eq!(p.user[0].min_level, Some(SecurityLevel::AuthNoPriv));
        let (spec, addrs) = cfg.validate("t.toml").unwrap().remove(0);
        assert_eq!((spec.initial_power, addrs.len()), (Power::Off, 1));
    }

    #[test]
    fn quick_flags_parse() {
        let u = user_from_flag("admin:sha:authpass123:aes:privpass123").unwrap();
        assert_eq!(
            (u.name.as_str(), u.auth, u.privacy),
            (
                "admin",
                Some(AuthProtocol::Sha1),
                Some(PrivProtocol::Aes128)
            )
        );
        assert!(matches!(
            user_from_flag("admin:sha"),
            Err(UserFlagError::Shape { .. })
        ));
        assert_eq!(
            community_from_flag("private:rw").unwrap().access,
            Access::ReadWrite
        );
        assert_eq!(
            community_from_flag("public").unwrap().access,
            Access::ReadOnly
        );
        assert_eq!(
            community_from_flag("public").unwrap().name.expose_secret(),
            "public"
        );
        assert_eq!(
            community_from_flag("a:b:ro").unwrap().name.expose_secret(),
            "a:b"
        );
        for (bad, want) in [
            ("s3cret:wr", CommunityFlagError::UnknownAccess),
            ("s3c:r3t", CommunityFlagError::UnknownAccess),
            (":rw", CommunityFlagError::Empty),
            ("", CommunityFlagError::Empty),
        ] {
            let e = community_from_flag(bad).unwrap_err();
            assert_eq!(e, want, "{bad}");
            // The secret text never comes back in the message.
            assert!(
                !e.to_string().contains("s3c") && !e.to_string().contains("r3t"),
                "{e}"
            );
        }
    }

    #[test]
    fn flags_and_debug_never_show_passwords() {
        let u = user_from_flag("admin:sha:topsecret99:aes:privsecret9").unwrap();
        let shown = format!("{u:?}");
        assert!(
            !shown.contains("topsecret99") && !shown.contains("privsecret9"),
            "{shown}"
        );
        for bad in [
            "admin:sha:topsecret99:aes",
            "admin:shaX:topsecret99",
            "admin:sha:topsecret99:rot13:privsecret9",
            "admin:sha:short",
        ] {
            let e = user_from_flag(bad).unwrap_err().to_string();
            assert!(
                e.contains("\"admin\"")
                    && !e.contains("topsecret99")
                    && !e.contains("privsecret9")
                    && !e.contains("short"),
                "{e}"
            );
        }
        // A misspelt key next to a password: the error names the place, not the line's text.
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha\"\nauth_pasword = \"topsecret99\"\n");
        assert!(
            e.contains("line 6") && e.contains("auth_pasword") && !e.contains("topsecret99"),
            "{e}"
        );
        let c = format!("{:?}", community_from_flag("s3cret:rw").unwrap());
        assert!(!c.contains("s3cret"), "{c}");
    }
}
