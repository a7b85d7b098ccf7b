//! Connection and device configuration, validated before anything touches snmp2
//! (which panics on an empty password).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use pdu_mibs::Profile;

use crate::error::{Error, Result};

/// A password, key or community string: the workspace's one secret type
/// ([`snmp_proto::usm::Password`], secrecy's `SecretString`). Never shown by `Debug`; read with
/// [`ExposeSecret::expose_secret`].
pub type Secret = snmp_proto::usm::Password;

/// The longest per-try timeout [`Config::validate`] accepts: one hour.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// The most retries [`Config::validate`] accepts.
pub const MAX_RETRIES: u32 = 100;
/// The longest `--verify` and `--cycle-delay` [`Config::validate`] accept: one day.
pub const MAX_WAIT: Duration = Duration::from_secs(86_400);
/// How many bytes one walk of a column may read before it stops with
/// [`Error::WalkTooLarge`], by default (`--max-walk-bytes`): 1 MiB, some thousand outlets'
/// names. Counted as 4 bytes per OID arc, a string's or OID's own length, 8 per number.
pub const DEFAULT_MAX_WALK_BYTES: usize = 1 << 20;
/// The largest `--max-walk-bytes` [`Config::validate`] accepts: 256 MiB.
pub const MAX_WALK_BYTES: usize = 256 << 20;
/// How many rows one walk may read, whatever its bytes: 100,000.
pub const MAX_WALK_ROWS: usize = 100_000;
pub use snmp_proto::usm::ExposeSecret;

/// The SNMP message version to speak. Parsed from `1`, `2c` or `3` (also `v1`, `2`, `v2c`,
/// `v3`); shown as `1`, `2c`, `3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnmpVersion {
    /// SNMPv1 (RFC 1157), community-based.
    V1,
    /// SNMPv2c (RFC 1901, PDUs of RFC 3416), community-based.
    V2c,
    /// SNMPv3 with USM (RFC 3412, RFC 3414).
    V3,
}

impl FromStr for SnmpVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1" | "v1" => Ok(SnmpVersion::V1),
            "2" | "2c" | "v2" | "v2c" => Ok(SnmpVersion::V2c),
            "3" | "v3" => Ok(SnmpVersion::V3),
            other => Err(Error::BadConfig(format!(
                "unknown SNMP version {other:?}: use 1, 2c or 3"
            ))),
        }
    }
}

impl fmt::Display for SnmpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SnmpVersion::V1 => "1",
            SnmpVersion::V2c => "2c",
            SnmpVersion::V3 => "3",
        })
    }
}

pub use snmp_proto::usm::{AuthProtocol, PrivProtocol, SecurityLevel};

/// The `--auth` names, as `pdusim --user` spells them.
pub const AUTH_NAMES: &str = "none, md5, sha (sha1), sha224, sha256, sha384, sha512";

/// The `--priv` names, as `pdusim --user` spells them (3DES is not offered: snmp2 has none).
pub const PRIV_NAMES: &str = "none, des, aes (aes128), aes192, aes256, aes192-cisco, aes256-cisco";

/// Parses `--auth` (and the profile file's `auth`): `none` (also `noauth` or empty) is `None`;
/// `md5`, `sha` (`sha1`), `sha224`, `sha256`, `sha384`, `sha512`, in any case, with or without
/// `-` or `_` (`SHA-256`).
pub fn parse_auth(s: &str) -> Result<Option<AuthProtocol>> {
    let norm = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
    if matches!(norm.as_str(), "none" | "noauth" | "") {
        return Ok(None);
    }
    norm.parse::<AuthProtocol>().map(Some).map_err(|_| {
        Error::BadConfig(format!(
            "unknown authentication protocol {s:?}: use one of {AUTH_NAMES}"
        ))
    })
}

/// Parses `--priv` (and the profile file's `priv`): `none` (also `nopriv` or empty) is `None`;
/// `des`, `aes` (`aes128`, `aes-128`), `aes192`, `aes256` (net-snmp's key extension, Blumenthal),
/// `aes192-cisco`/`aes192c`, `aes256-cisco`/`aes256c` (Cisco's and pysnmp's, Reeder), in any
/// case, `_` for `-`. `aes192`/`aes256` extend the key as net-snmp does. 3DES is refused: snmp2,
/// the driver's SNMP stack, has none.
pub fn parse_priv(s: &str) -> Result<Option<PrivProtocol>> {
    let norm = s.trim().to_ascii_lowercase().replace('_', "-");
    if matches!(norm.as_str(), "none" | "nopriv" | "") {
        return Ok(None);
    }
    match norm.parse::<PrivProtocol>() {
        Ok(PrivProtocol::TripleDes) => Err(triple_des_refused(s)),
        Ok(p) => Ok(Some(p)),
        Err(_) => Err(Error::BadConfig(format!(
            "unknown privacy protocol {s:?}: use one of {PRIV_NAMES}"
        ))),
    }
}

/// The error for 3DES, which snmp-proto knows and snmp2 does not.
pub(crate) fn triple_des_refused(spelled: &str) -> Error {
    Error::BadConfig(format!(
        "privacy protocol {spelled:?} is not offered: snmp2, the driver's SNMP stack, has no 3DES; use one of {PRIV_NAMES}"
    ))
}

/// How `--auth` spells `auth`: `none`, `md5`, `sha`, `sha224`, `sha256`, `sha384`, `sha512`.
pub fn auth_name(auth: Option<AuthProtocol>) -> &'static str {
    match auth {
        None => "none",
        Some(AuthProtocol::Md5) => "md5",
        Some(AuthProtocol::Sha1) => "sha",
        Some(AuthProtocol::Sha224) => "sha224",
        Some(AuthProtocol::Sha256) => "sha256",
        Some(AuthProtocol::Sha384) => "sha384",
        Some(AuthProtocol::Sha512) => "sha512",
    }
}

/// How `--priv` spells `privacy`: `none`, `des`, `aes`, `aes192`, `aes256`, `aes192-cisco`,
/// `aes256-cisco` (and `3des`, which [`parse_priv`] refuses).
pub fn priv_name(privacy: Option<PrivProtocol>) -> &'static str {
    match privacy {
        None => "none",
        Some(PrivProtocol::Des) => "des",
        Some(PrivProtocol::TripleDes) => "3des",
        Some(PrivProtocol::Aes128) => "aes",
        Some(PrivProtocol::Aes192) => "aes192",
        Some(PrivProtocol::Aes256) => "aes256",
        Some(PrivProtocol::Aes192Cisco) => "aes192-cisco",
        Some(PrivProtocol::Aes256Cisco) => "aes256-cisco",
    }
}

/// Anything without a profile: SET `control_prefix.<outlet>` to `on`/`off`
/// (jumpstarter's SNMP driver is exactly [`RawProfile::jumpstarter`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawProfile {
    /// The control column's OID; the outlet number is appended as the only index arc.
    pub control_prefix: Vec<u32>,
    /// The INTEGER to SET for on.
    pub on: i64,
    /// The INTEGER to SET for off.
    pub off: i64,
    /// A native cycle value written to the same column; `None` = off, wait, on.
    pub cycle: Option<i64>,
    /// Where to read the state back, and what on/off read as; `None` = never read back.
    pub state: Option<RawState>,
}

/// Raw mode's state column: where to read an outlet's state back and which integers mean
/// on and off (any other reads as unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawState {
    /// The state column's OID; the outlet number is appended as the only index arc.
    pub prefix: Vec<u32>,
    /// The value that reads as on.
    pub on: i64,
    /// The value that reads as off.
    pub off: i64,
}

impl RawProfile {
    /// jumpstarter's default: `1.3.6.1.4.1.13742.6.4.1.2.1.2.1.<plug>`, Integer 1 on, 0 off.
    pub fn jumpstarter() -> Self {
        RawProfile {
            control_prefix: vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1],
            on: 1,
            off: 0,
            cycle: None,
            state: None,
        }
    }
}

/// Which vendor tables to use.
#[derive(Debug, Clone, PartialEq)]
pub enum Vendor {
    /// Read sysObjectID and pick the profile.
    Detect,
    /// A vendor profile of [`pdu_mibs`], by name (`raritan-px2`, `apc-rpdu2`, ...).
    Profile(&'static Profile),
    /// No profile: the OIDs and integers given (`raw`/`jumpstarter`: [`RawProfile::jumpstarter`]).
    Raw(RawProfile),
}

impl FromStr for Vendor {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "detect" | "auto" => Ok(Vendor::Detect),
            "raw" | "jumpstarter" => Ok(Vendor::Raw(RawProfile::jumpstarter())),
            name => pdu_mibs::by_name(name).map(Vendor::Profile).ok_or_else(|| {
                Error::BadConfig(format!(
                    "unknown vendor profile {s:?}: use detect, raw or one of {}",
                    pdu_mibs::names().join(", ")
                ))
            }),
        }
    }
}

/// The largest [`Config::index_offset`].
pub const MAX_INDEX_OFFSET: u32 = 16;

/// Everything needed to talk to one PDU.
#[derive(Debug, Clone)]
pub struct Config {
    /// The PDU's host name or address.
    pub host: String,
    /// The agent's UDP port (161).
    pub port: u16,
    /// The SNMP version to speak.
    pub version: SnmpVersion,
    /// v1/v2c community.
    pub community: Secret,
    /// v3 user name.
    pub user: String,
    /// v3 authentication protocol; `None` for noAuthNoPriv.
    pub auth: Option<AuthProtocol>,
    /// v3 authentication password (a passphrase hashed to a key, RFC 3414 A.2 and §2.6), not a
    /// key; unused when `auth` is `None`.
    pub auth_key: Secret,
    /// v3 privacy protocol; `None` for no privacy.
    pub privacy: Option<PrivProtocol>,
    /// v3 privacy password (hashed like `auth_key`); unused when `privacy` is `None`.
    pub priv_key: Secret,
    /// v3 contextName (empty: the default context).
    pub context: String,
    /// Which vendor tables to use, or detection.
    pub vendor: Vendor,
    /// How long to wait for each answer.
    pub timeout: Duration,
    /// How many times to send again after a timeout.
    pub retries: u32,
    /// After a switch, read the state until it matches, for at most this long.
    pub verify: Option<Duration>,
    /// Off time for a client-side cycle (off, wait, on).
    pub cycle_delay: Duration,
    /// The least time between two switch operations of one [`crate::Pdu`] (zero: none). PDUs
    /// such as ATEN's refuse or ignore a switch that comes sooner after the previous one: the
    /// driver waits out the rest of the gap before the next switch SET, and sends a SET refused
    /// with genErr or resourceUnavailable once more after the gap.
    pub min_gap: Duration,
    /// Added to the outlet number in the control columns only (0 to 16): for firmware whose
    /// control table is indexed from another base than its state table (quirk 10 of
    /// `docs/QUIRKS.md`: index 1 is the whole unit's command, outlet N is row N + 1).
    pub index_offset: u32,
    /// The most bytes one walk of a column may read (see [`DEFAULT_MAX_WALK_BYTES`] for how
    /// they are counted); a walk that would read more stops with [`Error::WalkTooLarge`].
    pub max_walk_bytes: usize,
}

impl Config {
    /// Defaults: port 161, SNMPv2c, community `private`, detect the vendor, 1 s timeout, 2 retries,
    /// verify for 10 s, 3 s off time when cycling by hand, walks of at most
    /// [`DEFAULT_MAX_WALK_BYTES`].
    pub fn new(host: impl Into<String>) -> Self {
        Config {
            host: host.into(),
            port: 161,
            version: SnmpVersion::V2c,
            community: Secret::from("private"),
            user: String::new(),
            auth: None,
            auth_key: Secret::from(""),
            privacy: None,
            priv_key: Secret::from(""),
            context: String::new(),
            vendor: Vendor::Detect,
            timeout: Duration::from_secs(1),
            retries: 2,
            verify: Some(Duration::from_secs(10)),
            cycle_delay: Duration::from_secs(3),
            min_gap: Duration::ZERO,
            index_offset: 0,
            max_walk_bytes: DEFAULT_MAX_WALK_BYTES,
        }
    }

    /// SNMPv3 with the given user and protocols (a protocol, or `None`).
    pub fn v3(
        mut self,
        user: impl Into<String>,
        auth: impl Into<Option<AuthProtocol>>,
        auth_key: impl Into<String>,
        privacy: impl Into<Option<PrivProtocol>>,
        priv_key: impl Into<String>,
    ) -> Self {
        self.version = SnmpVersion::V3;
        self.user = user.into();
        self.auth = auth.into();
        self.auth_key = Secret::from(auth_key.into());
        self.privacy = privacy.into();
        self.priv_key = Secret::from(priv_key.into());
        self
    }

    /// The v3 security level the protocols give (displayed as `authPriv`, `authNoPriv` or
    /// `noAuthNoPriv`).
    pub fn security_level(&self) -> SecurityLevel {
        match (self.auth, self.privacy) {
            (None, _) => SecurityLevel::NoAuthNoPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        }
    }

    /// Checks everything snmp2 would panic on or silently misuse. Call before connecting.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::BadConfig(m));
        if self.host.trim().is_empty() {
            return bad("no host given: set --host (name or address of the PDU)".into());
        }
        if self.port == 0 {
            return bad(
                "port 0 is not valid: SNMP agents listen on 161 unless configured otherwise".into(),
            );
        }
        if self.timeout.is_zero() {
            return bad("timeout must be more than 0".into());
        }
        // Bounds that keep every later computation (deadlines, retries + 1, total waits) far
        // from overflow, and a mistyped value from waiting for years.
        if self.timeout > MAX_TIMEOUT {
            return bad(format!(
                "timeout {:?} is too long: give at most {} seconds",
                self.timeout,
                MAX_TIMEOUT.as_secs()
            ));
        }
        if self.index_offset > MAX_INDEX_OFFSET {
            return bad(format!(
                "index offset {} is too large: give 0 to {MAX_INDEX_OFFSET} (real firmware shifts by one)",
                self.index_offset
            ));
        }
        if self.index_offset > 0 && matches!(self.vendor, Vendor::Raw(_)) {
            return bad(
                "--index-offset applies to vendor profiles; in raw mode give the control OID prefix and number outlets as the PDU does".into(),
            );
        }
        if self.retries > MAX_RETRIES {
            return bad(format!(
                "{} retries is too many: give 0 to {MAX_RETRIES}",
                self.retries
            ));
        }
        if self.verify.is_some_and(|v| v > MAX_WAIT) {
            return bad(format!(
                "--verify {:?} is too long: give at most {} seconds (0 = do not read back)",
                self.verify.unwrap_or_default(),
                MAX_WAIT.as_secs()
            ));
        }
        if self.cycle_delay > MAX_WAIT {
            return bad(format!(
                "--cycle-delay {:?} is too long: give at most {} seconds",
                self.cycle_delay,
                MAX_WAIT.as_secs()
            ));
        }
        if self.max_walk_bytes == 0 || self.max_walk_bytes > MAX_WALK_BYTES {
            return bad(format!(
                "--max-walk-bytes {} is out of range: give 1 to {MAX_WALK_BYTES} (default {DEFAULT_MAX_WALK_BYTES})",
                self.max_walk_bytes
            ));
        }
        match self.version {
            SnmpVersion::V1 | SnmpVersion::V2c => {
                if self.community.expose_secret().is_empty() {
                    return bad(format!(
                        "SNMPv{} needs a community string: set --community (or PDU_COMMUNITY)",
                        self.version
                    ));
                }
            }
            SnmpVersion::V3 => {
                if self.user.is_empty() {
                    return bad("SNMPv3 needs a user name: set --user".into());
                }
                if self.auth.is_none() && self.privacy.is_some() {
                    return bad(format!(
                        "privacy --priv {} needs authentication: set --auth (SNMPv3 has no privacy without authentication)",
                        priv_name(self.privacy)
                    ));
                }
                if self.privacy == Some(PrivProtocol::TripleDes) {
                    return Err(triple_des_refused(priv_name(self.privacy)));
                }
                if self.auth.is_some() && self.auth_key.expose_secret().is_empty() {
                    return bad(format!(
                        "--auth {} needs an authentication key: set --auth-key, --auth-key-file or PDU_AUTH_KEY",
                        auth_name(self.auth)
                    ));
                }
                if self.privacy.is_some() && self.priv_key.expose_secret().is_empty() {
                    return bad(format!(
                        "--priv {} needs a privacy key: set --priv-key, --priv-key-file or PDU_PRIV_KEY",
                        priv_name(self.privacy)
                    ));
                }
            }
        }
        if let Vendor::Raw(raw) = &self.vendor {
            if raw.control_prefix.len() < 2 {
                return bad(
                    "raw mode needs a control OID prefix such as 1.3.6.1.4.1.13742.6.4.1.2.1.2.1"
                        .into(),
                );
            }
            let integers = [("--raw-on", raw.on), ("--raw-off", raw.off)]
                .into_iter()
                .chain(raw.cycle.map(|c| ("the cycle value", c)))
                .chain(
                    raw.state
                        .iter()
                        .flat_map(|s| [("--raw-state-on", s.on), ("--raw-state-off", s.off)]),
                );
            for (flag, value) in integers {
                if i32::try_from(value).is_err() {
                    return bad(format!(
                        "{flag} {value} does not fit SNMP's INTEGER (Integer32, RFC 2578 §7.1.1): give {} to {}",
                        i32::MIN,
                        i32::MAX
                    ));
                }
            }
            if raw.on == raw.off {
                return bad(format!(
                    "raw mode: the on and off values are both {}",
                    raw.on
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_retries_are_bounded() {
        let mut c = Config::new("pdu");
        c.timeout = Duration::from_secs_f64(1e19);
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("at most 3600 seconds"), "{e}");
        c.timeout = Duration::from_secs(1);
        c.retries = u32::MAX;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("0 to 100"), "{e}");
        c.retries = 100;
        assert!(c.validate().is_ok());
        c.verify = Some(Duration::from_secs(86_401));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("--verify") && e.contains("86400"), "{e}");
        c.verify = None;
        c.cycle_delay = Duration::MAX;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("--cycle-delay") && e.contains("86400"), "{e}");
        c.cycle_delay = Duration::from_secs(3);
        for bytes in [0, MAX_WALK_BYTES + 1] {
            c.max_walk_bytes = bytes;
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains("--max-walk-bytes"), "{e}");
        }
        c.max_walk_bytes = DEFAULT_MAX_WALK_BYTES;
        let mut raw = RawProfile::jumpstarter();
        raw.on = 1 << 40;
        c.vendor = Vendor::Raw(raw);
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("--raw-on") && e.contains("Integer32"), "{e}");
    }

    #[test]
    fn secrets_never_in_debug() {
        let c = Config::new("pdu").v3(
            "ops",
            AuthProtocol::Sha1,
            "authpass-123",
            PrivProtocol::Aes128,
            "privpass-456",
        );
        let d = format!("{c:?}");
        assert!(
            !d.contains("authpass-123") && !d.contains("privpass-456") && !d.contains("private"),
            "{d}"
        );
        assert!(d.contains("[REDACTED]"), "{d}");
    }

    #[test]
    fn protocol_names() {
        assert_eq!(parse_auth("sha").ok(), Some(Some(AuthProtocol::Sha1)));
        assert_eq!(parse_auth("SHA-256").ok(), Some(Some(AuthProtocol::Sha256)));
        assert_eq!(
            parse_auth(" sha_512 ").ok(),
            Some(Some(AuthProtocol::Sha512))
        );
        assert_eq!(parse_auth("noauth").ok(), Some(None));
        assert_eq!(parse_auth("").ok(), Some(None));
        assert!(matches!(parse_auth("sha3"), Err(Error::BadConfig(m)) if m.contains("sha224")));
        assert_eq!(parse_priv("aes").ok(), Some(Some(PrivProtocol::Aes128)));
        assert_eq!(parse_priv("AES_128").ok(), Some(Some(PrivProtocol::Aes128)));
        assert_eq!(
            parse_priv("aes256-cisco").ok(),
            Some(Some(PrivProtocol::Aes256Cisco))
        );
        assert_eq!(
            parse_priv("aes192c").ok(),
            Some(Some(PrivProtocol::Aes192Cisco))
        );
        assert_eq!(parse_priv("nopriv").ok(), Some(None));
        assert!(parse_priv("rot13").is_err());
        assert!(matches!(parse_priv("3des"), Err(Error::BadConfig(m)) if m.contains("3DES")));
        assert_eq!("2c".parse::<SnmpVersion>().ok(), Some(SnmpVersion::V2c));
        // Every name the flags print parses back to itself.
        for a in AuthProtocol::ALL.map(Some).into_iter().chain([None]) {
            assert_eq!(parse_auth(auth_name(a)).ok(), Some(a));
        }
        for p in PrivProtocol::ALL.map(Some).into_iter().chain([None]) {
            if p != Some(PrivProtocol::TripleDes) {
                assert_eq!(parse_priv(priv_name(p)).ok(), Some(p));
            }
        }
    }

    #[test]
    fn empty_keys_are_refused_before_snmp2_can_panic() {
        let c = Config::new("pdu").v3("ops", AuthProtocol::Sha1, "", None, "");
        assert!(matches!(c.validate(), Err(Error::BadConfig(m)) if m.contains("--auth-key")));
        let c = Config::new("pdu").v3(
            "ops",
            AuthProtocol::Sha1,
            "x12345678",
            PrivProtocol::Des,
            "",
        );
        assert!(matches!(c.validate(), Err(Error::BadConfig(m)) if m.contains("--priv-key")));
        let c = Config::new("pdu").v3("ops", None, "", PrivProtocol::Des, "k");
        assert!(c.validate().is_err());
        let c = Config::new("pdu").v3(
            "ops",
            AuthProtocol::Sha1,
            "x12345678",
            PrivProtocol::TripleDes,
            "y12345678",
        );
        assert!(matches!(c.validate(), Err(Error::BadConfig(m)) if m.contains("3DES")));
        let c = Config::new("pdu").v3("", None, "", None, "");
        assert!(c.validate().is_err());
        let mut c = Config::new("pdu");
        c.community = Secret::from("");
        assert!(c.validate().is_err());
        assert!(Config::new("pdu").validate().is_ok());
    }

    #[test]
    fn vendor_names() {
        assert!(
            matches!("raritan-px2".parse::<Vendor>(), Ok(Vendor::Profile(p)) if p.name == "raritan-px2")
        );
        assert!(
            matches!("raw".parse::<Vendor>(), Ok(Vendor::Raw(r)) if r == RawProfile::jumpstarter())
        );
        assert!(
            matches!("nope".parse::<Vendor>(), Err(Error::BadConfig(m)) if m.contains("apc-rpdu2"))
        );
    }
}
