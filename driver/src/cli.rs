//! `pductl` command line: flags, an optional TOML profile file, keys from env or files.
//! Precedence: command-line flag > environment variable > profile file > default.

use snmp_proto::usm::ExposeSecret;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

use crate::config::{
    parse_auth, parse_priv, AuthProtocol, Config, PrivProtocol, RawProfile, RawState, Secret,
    SnmpVersion, Vendor,
};
use crate::error::{Error, Result};

/// The `pductl` command line: connection flags and one subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "pductl",
    disable_version_flag = true,
    about = "Switch, cycle and read outlets on switched PDUs over SNMP"
)]
pub struct Cli {
    /// Where the PDU is and how to talk to it.
    #[command(flatten)]
    pub conn: Connection,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A `pductl` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Switch an outlet on (number or name).
    On {
        /// Outlet number (from 1) or name.
        outlet: String,
    },
    /// Switch an outlet off.
    Off {
        /// Outlet number (from 1) or name.
        outlet: String,
    },
    /// Power-cycle an outlet (the PDU's own reboot command, else off, wait, on).
    Cycle {
        /// Outlet number (from 1) or name.
        outlet: String,
    },
    /// Show one outlet's state, or every outlet's.
    Status {
        /// Outlet number (from 1) or name; every outlet if omitted.
        outlet: Option<String>,
    },
    /// List every outlet: number, name, state.
    List,
    /// Rename an outlet.
    Name {
        /// Outlet number (from 1) or current name.
        outlet: String,
        /// The name to give it.
        new_name: String,
    },
    /// Read sysObjectID and tell which vendor profile fits.
    Detect,
    /// Per-outlet metering (current, power, energy) where the vendor has it.
    Readings {
        /// Outlet number (from 1) or name; every outlet if omitted.
        outlet: Option<String>,
    },
}

/// Connection flags; all may be given before or after the subcommand.
#[derive(Debug, Args, Default)]
pub struct Connection {
    /// TOML file with any of: host, port, version, community, user, auth, auth_key, auth_key_file,
    /// priv, priv_key, priv_key_file, context, vendor, timeout, retries, raw_oid, raw_on, raw_off, raw_state_oid.
    #[arg(long, global = true, env = "PDUCTL_PROFILE")]
    pub profile: Option<PathBuf>,
    /// PDU host name or address.
    #[arg(long, global = true, env = "PDUCTL_HOST")]
    pub host: Option<String>,
    /// UDP port (161).
    #[arg(long, global = true)]
    pub port: Option<u16>,
    /// SNMP version: 1, 2c or 3 (3 if --user is given, else 2c).
    #[arg(long = "version", global = true, value_name = "1|2c|3")]
    pub snmp_version: Option<String>,
    /// v1/v2c community (default `private`).
    #[arg(long, global = true, env = "PDUCTL_COMMUNITY", hide_env_values = true)]
    pub community: Option<Secret>,
    /// SNMPv3 user name.
    #[arg(long, global = true, env = "PDUCTL_USER")]
    pub user: Option<String>,
    /// Authentication protocol: none, md5, sha, sha224, sha256, sha384, sha512.
    #[arg(long, global = true)]
    pub auth: Option<String>,
    /// Authentication key (prefer PDUCTL_AUTH_KEY or --auth-key-file: keeps it out of shell history).
    #[arg(long, global = true, env = "PDUCTL_AUTH_KEY", hide_env_values = true)]
    pub auth_key: Option<Secret>,
    /// Read the authentication key from the first line of this file.
    #[arg(long, global = true)]
    pub auth_key_file: Option<PathBuf>,
    /// Privacy protocol: none, des, aes, aes192, aes256, aes192-cisco, aes256-cisco.
    #[arg(long = "priv", global = true)]
    pub privacy: Option<String>,
    /// Privacy key (prefer PDUCTL_PRIV_KEY or --priv-key-file).
    #[arg(long, global = true, env = "PDUCTL_PRIV_KEY", hide_env_values = true)]
    pub priv_key: Option<Secret>,
    /// Read the privacy key from the first line of this file.
    #[arg(long, global = true)]
    pub priv_key_file: Option<PathBuf>,
    /// SNMPv3 context name.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Vendor profile (detect, raw, raritan-px2, apc-rpdu2, …); default detect.
    #[arg(long, global = true)]
    pub vendor: Option<String>,
    /// Raw mode: control OID prefix; the outlet number is appended (jumpstarter: 1.3.6.1.4.1.13742.6.4.1.2.1.2.1).
    #[arg(long, global = true)]
    pub raw_oid: Option<String>,
    /// Raw mode: integer for on (1).
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_on: Option<i64>,
    /// Raw mode: integer for off (0).
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_off: Option<i64>,
    /// Raw mode: state OID prefix to read back, with `--raw-state-on`/`--raw-state-off`.
    #[arg(long, global = true)]
    pub raw_state_oid: Option<String>,
    /// Raw mode: the state integer that means on (default: the --raw-on value).
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_state_on: Option<i64>,
    /// Raw mode: the state integer that means off (default: the --raw-off value).
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_state_off: Option<i64>,
    /// Seconds to wait for each answer (1).
    #[arg(long, global = true)]
    pub timeout: Option<f64>,
    /// Times to resend after a timeout (2).
    #[arg(long, global = true)]
    pub retries: Option<u32>,
    /// Seconds to wait for the outlet to report the new state (10); 0 = do not read back.
    #[arg(long, global = true)]
    pub verify: Option<f64>,
    /// Off time in seconds for a cycle done as off, wait, on (3).
    #[arg(long, global = true)]
    pub cycle_delay: Option<f64>,
}

/// The profile file: the same names as the flags, with underscores.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    host: Option<String>,
    port: Option<u16>,
    version: Option<toml::Value>,
    community: Option<String>,
    user: Option<String>,
    auth: Option<String>,
    auth_key: Option<String>,
    auth_key_file: Option<PathBuf>,
    #[serde(rename = "priv")]
    privacy: Option<String>,
    priv_key: Option<String>,
    priv_key_file: Option<PathBuf>,
    context: Option<String>,
    vendor: Option<String>,
    raw_oid: Option<String>,
    raw_on: Option<i64>,
    raw_off: Option<i64>,
    raw_state_oid: Option<String>,
    raw_state_on: Option<i64>,
    raw_state_off: Option<i64>,
    timeout: Option<f64>,
    retries: Option<u32>,
    verify: Option<f64>,
    cycle_delay: Option<f64>,
}

fn read_key_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::BadConfig(format!("cannot read key file {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string())
}

fn seconds(v: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| Error::BadConfig(format!("{what} must be a number of seconds ≥ 0, got {v}")))
}

fn parse_oid(text: &str, what: &str) -> Result<Vec<u32>> {
    pdu_mibs::parse_oid(text).ok_or_else(|| {
        Error::BadConfig(format!(
            "{what} {text:?} is not a numeric OID like 1.3.6.1.4.1…"
        ))
    })
}

impl Connection {
    /// Merge flags, environment (already folded in by clap) and the profile file into a [`Config`].
    pub fn to_config(&self) -> Result<Config> {
        let file: ProfileFile = match &self.profile {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::BadConfig(format!("cannot read profile {}: {e}", path.display()))
                })?;
                toml::from_str(&text)
                    .map_err(|e| Error::BadConfig(format!("profile {}: {e}", path.display())))?
            }
            None => ProfileFile::default(),
        };
        let host = self.host.clone().or(file.host).ok_or_else(|| {
            Error::BadConfig("no PDU given: set --host (or host = \"…\" in --profile FILE)".into())
        })?;
        let mut c = Config::new(host);
        if let Some(p) = self.port.or(file.port) {
            c.port = p;
        }
        let user = self.user.clone().or(file.user);
        let version = match (&self.snmp_version, &file.version) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(toml::Value::String(s))) => Some(s.clone()),
            (None, Some(toml::Value::Integer(i))) => Some(i.to_string()),
            (None, Some(other)) => {
                return Err(Error::BadConfig(format!(
                    "profile: version {other} is not 1, \"2c\" or 3"
                )))
            }
            (None, None) => None,
        };
        c.version = match version {
            Some(v) => v.parse()?,
            None if user.is_some() => SnmpVersion::V3,
            None => SnmpVersion::V2c,
        };
        if let Some(cm) = self.community.clone().or(file.community.map(Secret::from)) {
            c.community = cm;
        }
        c.user = user.unwrap_or_default();
        if let Some(a) = self.auth.clone().or(file.auth) {
            c.auth = parse_auth(&a)?;
        }
        let auth_key = match (
            &self.auth_key,
            &self.auth_key_file,
            &file.auth_key,
            &file.auth_key_file,
        ) {
            (Some(k), _, _, _) => Some(k.expose_secret().to_string()),
            (None, Some(p), _, _) => Some(read_key_file(p)?),
            (None, None, Some(k), _) => Some(k.clone()),
            (None, None, None, Some(p)) => Some(read_key_file(p)?),
            _ => None,
        };
        let priv_key = match (
            &self.priv_key,
            &self.priv_key_file,
            &file.priv_key,
            &file.priv_key_file,
        ) {
            (Some(k), _, _, _) => Some(k.expose_secret().to_string()),
            (None, Some(p), _, _) => Some(read_key_file(p)?),
            (None, None, Some(k), _) => Some(k.clone()),
            (None, None, None, Some(p)) => Some(read_key_file(p)?),
            _ => None,
        };
        if let Some(k) = auth_key {
            c.auth_key = Secret::from(k);
            if self.auth.is_none() && c.auth.is_none() {
                c.auth = Some(AuthProtocol::Sha1);
            }
        }
        if let Some(p) = self.privacy.clone().or(file.privacy) {
            c.privacy = parse_priv(&p)?;
        }
        if let Some(k) = priv_key {
            c.priv_key = Secret::from(k);
            if c.privacy.is_none() {
                c.privacy = Some(PrivProtocol::Aes128);
            }
        }
        if let Some(ctx) = self.context.clone().or(file.context) {
            c.context = ctx;
        }
        if let Some(v) = self.vendor.clone().or(file.vendor) {
            c.vendor = v.parse::<Vendor>()?;
        }
        let raw_oid = self.raw_oid.clone().or(file.raw_oid);
        if raw_oid.is_some() || matches!(c.vendor, Vendor::Raw(_)) {
            let mut raw = RawProfile::jumpstarter();
            if let Some(o) = raw_oid {
                raw.control_prefix = parse_oid(&o, "--raw-oid")?;
            }
            raw.on = self.raw_on.or(file.raw_on).unwrap_or(raw.on);
            raw.off = self.raw_off.or(file.raw_off).unwrap_or(raw.off);
            if let Some(s) = self.raw_state_oid.clone().or(file.raw_state_oid) {
                raw.state = Some(RawState {
                    prefix: parse_oid(&s, "--raw-state-oid")?,
                    on: self.raw_state_on.or(file.raw_state_on).unwrap_or(raw.on),
                    off: self.raw_state_off.or(file.raw_state_off).unwrap_or(raw.off),
                });
            }
            c.vendor = Vendor::Raw(raw);
        }
        if let Some(t) = self.timeout.or(file.timeout) {
            c.timeout = seconds(t, "--timeout")?;
        }
        if let Some(r) = self.retries.or(file.retries) {
            c.retries = r;
        }
        if let Some(v) = self.verify.or(file.verify) {
            c.verify = if v <= 0.0 {
                None
            } else {
                Some(seconds(v, "--verify")?)
            };
        }
        if let Some(d) = self.cycle_delay.or(file.cycle_delay) {
            c.cycle_delay = seconds(d, "--cycle-delay")?;
        }
        c.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_before_or_after_the_subcommand() {
        let a = Cli::try_parse_from(["pductl", "--host", "h", "--port", "1161", "on", "3"])
            .expect("parses");
        let b = Cli::try_parse_from(["pductl", "on", "3", "--host", "h", "--port", "1161"])
            .expect("parses");
        assert_eq!(a.conn.port, b.conn.port);
        assert!(matches!(b.command, Command::On { ref outlet } if outlet == "3"));
    }

    #[test]
    fn user_implies_v3_and_keys_from_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("auth.key");
        std::fs::write(&key, "file-auth-key\n").expect("write");
        let cli = Cli::try_parse_from([
            "pductl",
            "--host",
            "h",
            "--user",
            "ops",
            "--auth",
            "sha256",
            "--auth-key-file",
            key.to_str().expect("utf8"),
            "list",
        ])
        .expect("parses");
        let c = cli.conn.to_config().expect("valid");
        assert_eq!(c.version, SnmpVersion::V3);
        assert_eq!(c.auth_key.expose_secret(), "file-auth-key");
        assert_eq!((c.auth, c.privacy), (Some(AuthProtocol::Sha256), None));
        assert!(!format!("{c:?}").contains("file-auth-key"));
    }

    #[test]
    fn profile_file_and_flag_precedence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("pdu.toml");
        std::fs::write(
            &p,
            "host = \"10.1.1.1\"\nport = 1161\nversion = 3\nuser = \"ops\"\nauth = \"sha\"\nauth_key = \"k-12345678\"\npriv = \"aes\"\npriv_key = \"p-12345678\"\nvendor = \"apc-rpdu2\"\ntimeout = 0.5\n",
        )
        .expect("write");
        let cli = Cli::try_parse_from([
            "pductl",
            "--profile",
            p.to_str().expect("utf8"),
            "--port",
            "2000",
            "list",
        ])
        .expect("parses");
        let c = cli.conn.to_config().expect("valid");
        assert_eq!((c.host.as_str(), c.port), ("10.1.1.1", 2000));
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(
            (c.auth, c.privacy),
            (Some(AuthProtocol::Sha1), Some(PrivProtocol::Aes128))
        );
        assert!(matches!(c.vendor, Vendor::Profile(p) if p.name == "apc-rpdu2"));
        std::fs::write(&p, "hots = \"x\"\n").expect("write");
        let cli = Cli::try_parse_from(["pductl", "--profile", p.to_str().expect("utf8"), "list"])
            .expect("parses");
        assert!(matches!(cli.conn.to_config(), Err(Error::BadConfig(m)) if m.contains("hots")));
    }

    #[test]
    fn raw_mode_flags() {
        let cli = Cli::try_parse_from([
            "pductl",
            "--host",
            "h",
            "--raw-oid",
            ".1.3.6.1.4.1.99.1",
            "--raw-on",
            "2",
            "--raw-off",
            "-1",
            "on",
            "1",
        ])
        .expect("parses");
        let c = cli.conn.to_config().expect("valid");
        assert!(
            matches!(c.vendor, Vendor::Raw(ref r) if r.control_prefix == vec![1, 3, 6, 1, 4, 1, 99, 1] && r.on == 2 && r.off == -1)
        );
        let cli = Cli::try_parse_from(["pductl", "--host", "h", "--vendor", "raw", "on", "1"])
            .expect("parses");
        assert!(
            matches!(cli.conn.to_config().expect("valid").vendor, Vendor::Raw(r) if r == RawProfile::jumpstarter())
        );
    }
}
