//! The configuration file (TOML) and its validation. Every mistake names the field and says what
//! would be right. The command line's quick flags build the same `FileConfig`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::access::{Access, Community, UserSpec};
use crate::device::DeviceSpec;
use crate::engine::parse_engine_id;
use crate::outlet::{Delays, Power, StartupPower};
use crate::profiles;
use crate::recording::{Recording, Strictness};
use snmp_proto::usm::{
    keys::MIN_PASSWORD_LEN, AuthProtocol, Password, PrivProtocol, SecurityLevel,
};
use snmp_proto::{Oid, Value};
use std::sync::Arc;

/// The embedded default: one 8-outlet Raritan PX2 on 127.0.0.1:1161.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: {field}: {problem}")]
    Field {
        origin: String,
        field: String,
        problem: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub state_dir: Option<PathBuf>,
    /// The folder relative paths in the file are taken from.
    #[serde(skip)]
    pub base_dir: PathBuf,
    #[serde(default)]
    pub pdu: Vec<PduConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PduConfig {
    pub name: String,
    /// Default: what the recording's sysObjectID names, else raritan-px2.
    pub vendor: Option<String>,
    #[serde(default = "default_listen")]
    pub listen: Vec<String>,
    /// Default: the recording's outlet count, else 8.
    pub outlets: Option<u32>,
    /// An snmpsim `.snmprec` recording of a real device to serve as this PDU's static base
    /// (a relative path is taken from the config file's folder).
    pub recording: Option<PathBuf>,
    /// Skip (and log) bad lines in the recording instead of refusing the file.
    #[serde(default)]
    pub recording_lenient: bool,
    #[serde(default)]
    pub outlet_names: Vec<String>,
    /// "on" or "off" (default: on, or a recording's states).
    pub initial_power: Option<String>,
    #[serde(default = "default_power_off_period")]
    pub power_off_period: u64,
    #[serde(default)]
    pub sys_name: String,
    #[serde(default)]
    pub sys_location: String,
    #[serde(default)]
    pub sys_contact: String,
    pub sys_descr: Option<String>,
    /// Overrides the vendor's sysObjectID (a device whose firmware reports one drivers do not
    /// recognise, QUIRKS 13).
    pub sys_object_id: Option<String>,
    pub engine_id: Option<String>,
    #[serde(default)]
    pub contexts: Vec<String>,
    #[serde(default = "default_max_bulk")]
    pub max_bulk_varbinds: usize,
    /// Seconds a delayed-on / delayed-off command waits.
    #[serde(default)]
    pub on_delay: u64,
    #[serde(default)]
    pub off_delay: u64,
    /// "on", "off" or "last-known": outlet power when the PDU starts with saved state.
    #[serde(default = "default_startup")]
    pub power_on_state: String,
    /// Watts each outlet draws when on (outlets beyond the list draw default_load_watts).
    #[serde(default)]
    pub outlet_loads: Vec<f64>,
    #[serde(default = "default_load")]
    pub default_load_watts: f64,
    #[serde(default)]
    pub community: Vec<CommunityConfig>,
    #[serde(default)]
    pub user: Vec<UserConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityConfig {
    pub name: String,
    #[serde(default = "default_community_access")]
    pub access: String,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    pub auth: Option<String>,
    pub auth_password: Option<String>,
    #[serde(rename = "priv")]
    pub privacy: Option<String>,
    pub priv_password: Option<String>,
    #[serde(default = "default_user_access")]
    pub access: String,
    pub min_level: Option<String>,
}

impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("auth", &self.auth)
            .field("priv", &self.privacy)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

const DEFAULT_VENDOR: &str = "raritan-px2";
fn default_listen() -> Vec<String> {
    vec!["127.0.0.1:1161".into()]
}
/// Outlets of a PDU when neither the file nor a recording says.
const DEFAULT_OUTLETS: u32 = 8;
fn default_power_off_period() -> u64 {
    5
}
fn default_startup() -> String {
    "last-known".into()
}
fn default_load() -> f64 {
    60.0
}
fn default_max_bulk() -> usize {
    1000
}
fn default_community_access() -> String {
    "read-only".into()
}
fn default_user_access() -> String {
    "read-write".into()
}

/// The most outlets a PDU may have (real ones stop at 48; leave room for odd set-ups).
const MAX_OUTLETS: u32 = 1024;

impl FileConfig {
    pub fn parse(text: &str, origin: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Self::parse(&text, &path.display().to_string())?;
        cfg.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(cfg)
    }

    pub fn embedded_default() -> FileConfig {
        // The embedded file is checked by a unit test, so this cannot fail in a release.
        Self::parse(DEFAULT_CONFIG, "embedded default").unwrap_or(FileConfig {
            state_dir: None,
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
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                || p.name.starts_with('.')
            {
                return Err(field(
                    at("name"),
                    format!(
                        "{:?} is not usable as a folder name: use letters, digits, '-', '_' or '.'",
                        p.name
                    ),
                ));
            }
            if !seen_names.insert(p.name.clone()) {
                return Err(field(
                    at("name"),
                    format!("{:?} is used by two PDUs: names must be unique", p.name),
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
                            let (r, skipped) = Recording::load_with(&path, strictness)
                                .map_err(|e| field(at("recording"), format!("{e} (set recording_lenient = true, or pass --lenient, to skip bad lines)")))?;
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
                    .and_then(|r| match r.get(&[1, 3, 6, 1, 2, 1, 1, 2, 0]) {
                        Some(Value::ObjectId(oid)) => {
                            pdu_mibs::by_sys_object_id(oid.arcs()).map(|d| d.name.to_string())
                        }
                        _ => None,
                    });
            let vendor_name = p
                .vendor
                .clone()
                .or(recorded_vendor)
                .unwrap_or_else(|| DEFAULT_VENDOR.to_string());
            let vendor = profiles::find(&vendor_name).ok_or_else(|| {
                field(
                    at("vendor"),
                    format!(
                        "unknown vendor {vendor_name:?}: choose one of {}",
                        profiles::names().join(", ")
                    ),
                )
            })?;
            let profile_data = pdu_mibs::by_name(vendor.name());
            let recorded_outlets = recording
                .as_ref()
                .zip(profile_data.and_then(|d| d.outlet_count))
                .and_then(|(r, oid)| match r.get(oid) {
                    Some(Value::Integer(n)) => u32::try_from(*n).ok(),
                    _ => None,
                });
            let outlets = p.outlets.or(recorded_outlets).unwrap_or(DEFAULT_OUTLETS);
            let mut p = p.clone();
            if p.outlet_names.is_empty() {
                // The recorded device's own outlet names, where its profile says where they are.
                if let (Some(r), Some(data)) = (&recording, profile_data) {
                    p.outlet_names = (1..=outlets.min(MAX_OUTLETS))
                        .map(|n| {
                            data.name_oid(n)
                                .and_then(|oid| r.text(&oid))
                                .unwrap_or_default()
                        })
                        .collect();
                }
            }
            if let Some(r) = &recording {
                let system = [
                    (&mut p.sys_name, [1, 3, 6, 1, 2, 1, 1, 5, 0]),
                    (&mut p.sys_contact, [1, 3, 6, 1, 2, 1, 1, 4, 0]),
                    (&mut p.sys_location, [1, 3, 6, 1, 2, 1, 1, 6, 0]),
                ];
                for (value, oid) in system {
                    if value.is_empty() {
                        *value = r.text(&oid).unwrap_or_default();
                    }
                }
            }
            // The recorded device's outlet states, as its state column says — or, where that
            // value was made up by a simulator variation, as another of its tables really said.
            let outlet_powers: Vec<Power> = match (&recording, profile_data) {
                (Some(r), Some(data)) if p.initial_power.is_none() => (1..=outlets
                    .min(MAX_OUTLETS))
                    .map_while(|n| recorded_power(r, data, n))
                    .collect(),
                _ => Vec::new(),
            };
            let p = &p;
            if outlets == 0 || outlets > MAX_OUTLETS {
                return Err(field(
                    at("outlets"),
                    format!(
                        "{} outlets is out of range: give 1 to {MAX_OUTLETS}",
                        outlets
                    ),
                ));
            }
            if p.outlet_names.len() > outlets as usize {
                return Err(field(
                    at("outlet_names"),
                    format!(
                        "{} names for {} outlets: give at most one name per outlet",
                        p.outlet_names.len(),
                        outlets
                    ),
                ));
            }
            let initial_power = match p
                .initial_power
                .as_deref()
                .unwrap_or("on")
                .to_ascii_lowercase()
                .as_str()
            {
                "on" => Power::On,
                "off" => Power::Off,
                other => {
                    return Err(field(
                        at("initial_power"),
                        format!("{other:?} is not a power state: use \"on\" or \"off\""),
                    ))
                }
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
            let startup = match p.power_on_state.to_ascii_lowercase().as_str() {
                "on" => StartupPower::On,
                "off" => StartupPower::Off,
                "last-known" | "lastknown" => StartupPower::LastKnown,
                other => {
                    return Err(field(
                        at("power_on_state"),
                        format!("{other:?}: use \"on\", \"off\" or \"last-known\""),
                    ))
                }
            };
            if p.on_delay > 7200 || p.off_delay > 7200 {
                return Err(field(at("on_delay"), "delays are 0 to 7200 seconds".into()));
            }
            if p.outlet_loads.len() > outlets as usize
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
            if p.max_bulk_varbinds == 0 {
                return Err(field(at("max_bulk_varbinds"), "must be at least 1".into()));
            }
            let engine_id = match &p.engine_id {
                Some(hex) => {
                    Some(parse_engine_id(hex).map_err(|e| field(at("engine_id"), e.to_string()))?)
                }
                None => None,
            };
            if p.listen.is_empty() {
                return Err(field(
                    at("listen"),
                    "no address: give at least one, e.g. [\"127.0.0.1:1161\"]".into(),
                ));
            }
            let mut addrs = Vec::new();
            for (j, a) in p.listen.iter().enumerate() {
                let addr: SocketAddr = a.parse().map_err(|_| {
                    field(
                        format!("pdu[{i}].listen[{j}]"),
                        format!("{a:?} is not an address: write IP:PORT, e.g. 127.0.0.1:1161"),
                    )
                })?;
                // Several PDUs may share an address (picked by community or context); the
                // same PDU listing an address twice is a slip.
                if seen_addrs.get(&addr) == Some(&i) {
                    return Err(field(
                        format!("pdu[{i}].listen[{j}]"),
                        format!("{addr} is listed twice"),
                    ));
                }
                seen_addrs.insert(addr, i);
                addrs.push(addr);
            }
            if p.community.is_empty() && p.user.is_empty() {
                return Err(field(at("community"), "the PDU has no community and no user, so nobody could talk to it: add a [[pdu.community]] or [[pdu.user]]".into()));
            }
            let mut communities = Vec::new();
            for (j, c) in p.community.iter().enumerate() {
                let access = parse_permission(&c.access).ok_or_else(|| {
                    field(
                        format!("pdu[{i}].community[{j}].access"),
                        format!("{:?}: use \"read-only\" or \"read-write\"", c.access),
                    )
                })?;
                if c.name.is_empty() {
                    return Err(field(
                        format!("pdu[{i}].community[{j}].name"),
                        "must not be empty".into(),
                    ));
                }
                communities.push(Community {
                    name: c.name.clone(),
                    access,
                });
            }
            let mut users = Vec::new();
            for (j, u) in p.user.iter().enumerate() {
                users.push(
                    validate_user(u, &format!("pdu[{i}].user[{j}]"))
                        .map_err(|(f, problem)| field(f, problem))?,
                );
            }
            let mut names = std::collections::HashSet::new();
            for (j, u) in users.iter().enumerate() {
                if !names.insert(u.name.clone()) {
                    return Err(field(
                        format!("pdu[{i}].user[{j}].name"),
                        format!("{:?} is defined twice for this PDU", u.name),
                    ));
                }
            }
            let spec = DeviceSpec {
                name: p.name.clone(),
                vendor,
                outlets,
                recording,
                outlet_names: p.outlet_names.clone(),
                initial_power,
                power_off_period: Duration::from_secs(p.power_off_period),
                delays: Delays { on_delay: Duration::from_secs(p.on_delay), off_delay: Duration::from_secs(p.off_delay), reboot: Duration::from_secs(p.power_off_period) },
                startup,
                outlet_loads: p.outlet_loads.clone(),
                outlet_powers,
                default_load_watts: p.default_load_watts,
                sys_descr: p.sys_descr.clone(),
                sys_object_id: match &p.sys_object_id {
                    Some(text) => Some(Oid::parse(text).filter(|o| o.arcs().len() >= 2).ok_or_else(|| {
                        field(at("sys_object_id"), format!("{text:?} is not an OID: write it dotted, e.g. \"1.3.6.1.4.1.318.1.3.4.6\""))
                    })?),
                    None => None,
                },
                sys_name: p.sys_name.clone(),
                sys_contact: p.sys_contact.clone(),
                sys_location: p.sys_location.clone(),
                state_dir: Some(root.join(&p.name)),
                engine_id,
                communities,
                users,
                contexts: p.contexts.clone(),
                max_bulk_varbinds: p.max_bulk_varbinds,
            };
            out.push((spec, addrs));
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

fn parse_permission(text: &str) -> Option<Access> {
    Access::parse(&text.to_ascii_lowercase())
}

fn validate_user(u: &UserConfig, at: &str) -> Result<UserSpec, (String, String)> {
    let f = |name: &str| format!("{at}.{name}");
    if u.name.is_empty() || u.name.len() > 32 {
        return Err((
            f("name"),
            "a user name is 1 to 32 characters (RFC 3414 usmUserName)".into(),
        ));
    }
    let password = |field: &str, value: &Option<String>| -> Result<Password, (String, String)> {
        let Some(pw) = value else {
            return Err((
                f(field),
                "missing: a protocol was given, so give its password too".into(),
            ));
        };
        if pw.chars().count() < MIN_PASSWORD_LEN {
            return Err((f(field), format!("is {} characters; SNMPv3 passwords must be at least {MIN_PASSWORD_LEN} (RFC 3414 §11.2)", pw.chars().count())));
        }
        Ok(Password::new(pw.clone()))
    };
    let auth = match &u.auth {
        Some(name) => {
            let proto: AuthProtocol = name.parse().map_err(|e| (f("auth"), format!("{e}")))?;
            Some((proto, password("auth_password", &u.auth_password)?))
        }
        None if u.auth_password.is_some() => {
            return Err((
                f("auth"),
                "missing: auth_password is set, so say which protocol (e.g. \"sha\")".into(),
            ))
        }
        None => None,
    };
    let privacy = match &u.privacy {
        Some(_) if auth.is_none() => {
            return Err((
                f("priv"),
                "privacy needs authentication: set auth and auth_password too".into(),
            ))
        }
        Some(name) => {
            let proto: PrivProtocol = name.parse().map_err(|e| (f("priv"), format!("{e}")))?;
            Some((proto, password("priv_password", &u.priv_password)?))
        }
        None if u.priv_password.is_some() => {
            return Err((
                f("priv"),
                "missing: priv_password is set, so say which protocol (e.g. \"aes\")".into(),
            ))
        }
        None => None,
    };
    let access = match parse_permission(&u.access) {
        Some(access) => access,
        None => {
            return Err((
                f("access"),
                format!("{:?}: use \"read-only\" or \"read-write\"", u.access),
            ))
        }
    };
    let min_level = match u
        .min_level
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("noauthnopriv") => Some(SecurityLevel::NoAuthNoPriv),
        Some("authnopriv") => Some(SecurityLevel::AuthNoPriv),
        Some("authpriv") => Some(SecurityLevel::AuthPriv),
        Some(other) => {
            return Err((
                f("min_level"),
                format!("{other:?}: use noAuthNoPriv, authNoPriv or authPriv"),
            ))
        }
    };
    let spec = UserSpec {
        name: u.name.clone(),
        auth,
        privacy,
        access,
        min_level,
    };
    if spec.min_level.is_some_and(|l| l > spec.key_level()) {
        return Err((f("min_level"), "is higher than the user's keys allow: add the auth/priv protocol and password, or lower min_level".into()));
    }
    Ok(spec)
}

/// Parses `--user NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]` into a user entry (read-write).
pub fn user_from_flag(text: &str) -> Result<UserConfig, String> {
    let parts: Vec<&str> = text.splitn(5, ':').collect();
    let (name, auth, auth_password, privacy, priv_password) = match parts.as_slice() {
        [name] => (*name, None, None, None, None),
        [name, auth, auth_pw] => (*name, Some(*auth), Some(*auth_pw), None, None),
        [name, auth, auth_pw, privacy, priv_pw] => (
            *name,
            Some(*auth),
            Some(*auth_pw),
            Some(*privacy),
            Some(*priv_pw),
        ),
        _ => {
            return Err(format!(
            "--user {text:?}: write NAME, NAME:AUTH:AUTHPASS or NAME:AUTH:AUTHPASS:PRIV:PRIVPASS"
        ))
        }
    };
    Ok(UserConfig {
        name: name.to_string(),
        auth: auth.map(String::from),
        auth_password: auth_password.map(String::from),
        privacy: privacy.map(String::from),
        priv_password: priv_password.map(String::from),
        access: "read-write".into(),
        min_level: None,
    })
}

/// Parses `--community NAME[:rw|:ro]` (read-only unless it ends in `:rw`).
pub fn community_from_flag(text: &str) -> CommunityConfig {
    match text.rsplit_once(':') {
        Some((name, "rw")) => CommunityConfig {
            name: name.into(),
            access: "read-write".into(),
        },
        Some((name, "ro")) => CommunityConfig {
            name: name.into(),
            access: "read-only".into(),
        },
        _ => CommunityConfig {
            name: text.into(),
            access: "read-only".into(),
        },
    }
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
    fn mistakes_name_the_field_and_the_fix() {
        let e = error_of("[[pdu]]\nname = \"a\"\noutlet = 3\n");
        assert!(
            e.contains("unknown field `outlet`") && e.contains("line 3"),
            "{e}"
        );
        let e =
            error_of("[[pdu]]\nname = \"a\"\nvendor = \"acme\"\n[[pdu.community]]\nname = \"p\"\n");
        assert!(
            e.contains("pdu[0].vendor") && e.contains("raritan-px2"),
            "{e}"
        );
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha\"\nauth_password = \"short\"\n");
        assert!(
            e.contains("pdu[0].user[0].auth_password") && e.contains("at least 8"),
            "{e}"
        );
        let e = error_of("[[pdu]]\nname = \"a\"\n[[pdu.user]]\nname = \"u\"\nauth = \"sha\"\nauth_password = \"longenough\"\npriv = \"rot13\"\npriv_password = \"longenough\"\n");
        assert!(e.contains("pdu[0].user[0].priv"), "{e}");
        let e = error_of("[[pdu]]\nname = \"a\"\noutlets = \"eight\"\n");
        assert!(e.contains("outlets") && e.contains("line 3"), "{e}");
        let e = error_of(
            "[[pdu]]\nname = \"a\"\nlisten = [\"localhost\"]\n[[pdu.community]]\nname = \"p\"\n",
        );
        assert!(
            e.contains("pdu[0].listen[0]") && e.contains("IP:PORT"),
            "{e}"
        );
    }

    #[test]
    fn quick_flags_parse() {
        let u = user_from_flag("admin:sha:authpass123:aes:privpass123").unwrap();
        assert_eq!(
            (u.name.as_str(), u.privacy.as_deref()),
            ("admin", Some("aes"))
        );
        assert!(user_from_flag("admin:sha").is_err());
        assert_eq!(community_from_flag("private:rw").access, "read-write");
        assert_eq!(community_from_flag("public").access, "read-only");
    }

    #[test]
    fn user_config_debug_hides_passwords() {
        let u = user_from_flag("admin:sha:topsecret99:aes:privsecret9").unwrap();
        let shown = format!("{u:?}");
        assert!(
            !shown.contains("topsecret99") && !shown.contains("privsecret9"),
            "{shown}"
        );
    }
}
