//! The connection arguments every command that talks to an agent shares: `pductl`,
//! `pdu-conformance check` and `pdu-conformance load` flatten [`ConnectionArgs`] into their
//! command lines, so the three spell, default and check them the same way.
//!
//! Decisions, the same for every tool:
//! - `--host` is required (no tool guesses a device); `--port` defaults to 161.
//! - The SNMP version is `-v/--snmp-version`; without it, 3 when `--user` is given, else 2c.
//!   `-V/--version` prints the program's version.
//! - `--community` defaults to `public` (net-snmp's read community); switching outlets needs a
//!   community with write access, e.g. `-c private`.
//! - Secrets are "keys": `--auth-key`, `--priv-key` (the pass phrases net-snmp takes as `-A`
//!   and `-X`, hashed to keys as RFC 3414 A.2 says); `--auth-password`/`--priv-password` are
//!   aliases. Keys shorter than 8 characters are refused (RFC 3414 §11.2).
//! - One set of environment variables: `PDU_HOST`, `PDU_COMMUNITY`, `PDU_USER`,
//!   `PDU_AUTH_KEY`, `PDU_PRIV_KEY`.
//! - `-t/--timeout` is in seconds (fractions allowed) per try, default 1; `-r/--retries`
//!   defaults to 2.
//! - net-snmp's short flags: `-v -c -u -l -a -A -x -X -n -t -r`.
//! - `--profile NAME` takes every setting above (and the vendor) from a named profile of the
//!   profiles file (`--profiles-file PATH`, `PDU_PROFILES`, default
//!   `~/.config/pdu/profiles.toml`; see [`crate::connection_profile`]); flags and their
//!   environment variables override it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use snmp_proto::usm::keys::MIN_PASSWORD_LEN;

use crate::config::{
    parse_auth, parse_priv, AuthProtocol, Config, ExposeSecret, PrivProtocol, Secret,
    SecurityLevel, SnmpVersion,
};
use crate::error::{Error, Result};

/// The default community: net-snmp's conventional read community.
pub const DEFAULT_COMMUNITY: &str = "public";
/// The default seconds to wait for each answer.
pub const DEFAULT_TIMEOUT_SECS: f64 = 1.0;
/// The default times to send again after a timeout.
pub const DEFAULT_RETRIES: u32 = 2;

/// Where the agent is and how to speak to it: host, port, SNMP version, community or SNMPv3
/// user, securityLevel, protocols and keys, contextName, timeout and retries.
///
/// Every field is optional as typed so that a connection profile ([`ConnectionArgs::or`]) can
/// fill what the command line leaves out; [`ConnectionArgs::to_config`] reads the profile
/// `--profile` names and applies the defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// The agent's host name or address (required).
    #[arg(long, global = true, env = "PDU_HOST", value_name = "HOST")]
    pub host: Option<String>,
    /// The agent's UDP port [default: 161].
    #[arg(long, short = 'p', global = true, value_name = "PORT")]
    pub port: Option<u16>,
    /// SNMP version: 1, 2c or 3 [default: 3 with --user, else 2c].
    #[arg(
        long = "snmp-version",
        short = 'v',
        global = true,
        value_name = "1|2c|3"
    )]
    pub snmp_version: Option<String>,
    /// v1/v2c community [default: public]; switching needs one with write access.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "PDU_COMMUNITY",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "COMMUNITY"
    )]
    pub community: Option<Secret>,
    /// SNMPv3 user name (securityName); implies --snmp-version 3.
    #[arg(
        long,
        short = 'u',
        global = true,
        env = "PDU_USER",
        value_name = "USER"
    )]
    pub user: Option<String>,
    /// SNMPv3 securityLevel: noAuthNoPriv, authNoPriv or authPriv [default: the highest the
    /// protocols and keys given allow].
    #[arg(
        long = "security-level",
        short = 'l',
        global = true,
        visible_alias = "level",
        value_name = "LEVEL"
    )]
    pub security_level: Option<String>,
    /// SNMPv3 authentication protocol: md5, sha, sha224, sha256, sha384, sha512 [default: sha
    /// when an --auth-key is given, else none].
    #[arg(
        long = "auth",
        short = 'a',
        global = true,
        visible_alias = "auth-protocol",
        value_name = "PROTOCOL"
    )]
    pub auth: Option<String>,
    /// SNMPv3 authentication key (the pass phrase net-snmp takes as -A; at least 8 characters).
    /// Prefer PDU_AUTH_KEY or --auth-key-file: keeps it out of shell history.
    #[arg(
        long = "auth-key",
        short = 'A',
        global = true,
        alias = "auth-password",
        env = "PDU_AUTH_KEY",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "KEY"
    )]
    pub auth_key: Option<Secret>,
    /// Read the authentication key from the first line of this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub auth_key_file: Option<PathBuf>,
    /// SNMPv3 privacy protocol: des, aes, aes192, aes256, aes192-cisco, aes256-cisco [default:
    /// aes when a --priv-key is given, else none].
    #[arg(
        long = "priv",
        short = 'x',
        global = true,
        visible_alias = "priv-protocol",
        value_name = "PROTOCOL"
    )]
    pub privacy: Option<String>,
    /// SNMPv3 privacy key (the pass phrase net-snmp takes as -X; at least 8 characters).
    /// Prefer PDU_PRIV_KEY or --priv-key-file.
    #[arg(
        long = "priv-key",
        short = 'X',
        global = true,
        alias = "priv-password",
        env = "PDU_PRIV_KEY",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "KEY"
    )]
    pub priv_key: Option<Secret>,
    /// Read the privacy key from the first line of this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub priv_key_file: Option<PathBuf>,
    /// SNMPv3 contextName [default: empty, the default context].
    #[arg(long, short = 'n', global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Seconds to wait for each answer, fractions allowed [default: 1].
    #[arg(long, short = 't', global = true, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// The same timeout in milliseconds (older spelling of --timeout).
    #[arg(
        long,
        global = true,
        hide = true,
        conflicts_with = "timeout",
        value_name = "MS"
    )]
    pub timeout_ms: Option<u64>,
    /// Times to send a request again after a timeout [default: 2].
    #[arg(long, short = 'r', global = true, value_name = "N")]
    pub retries: Option<u32>,
    /// Take the connection settings (and the vendor) from this profile of the profiles file;
    /// flags given too override it.
    #[arg(long, global = true, env = "PDU_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// The profiles file [default: $XDG_CONFIG_HOME/pdu/profiles.toml, else
    /// ~/.config/pdu/profiles.toml].
    #[arg(long, global = true, env = "PDU_PROFILES", value_name = "FILE")]
    pub profiles_file: Option<PathBuf>,
}

/// The first line of a key file, without its line end.
///
/// Errors: [`Error::BadConfig`] naming the file when it cannot be read.
pub fn read_key_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::BadConfig(format!("cannot read key file {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string())
}

/// `--security-level`, as net-snmp spells it (`noAuthNoPriv`, `authNoPriv`, `authPriv`, any
/// case; also `noauth`, `auth`, `priv`).
///
/// Errors: [`Error::BadConfig`] naming the accepted forms.
pub fn parse_security_level(text: &str) -> Result<SecurityLevel> {
    match text.trim().to_ascii_lowercase().as_str() {
        "noauthnopriv" | "noauth" => Ok(SecurityLevel::NoAuthNoPriv),
        "authnopriv" | "auth" => Ok(SecurityLevel::AuthNoPriv),
        "authpriv" | "priv" => Ok(SecurityLevel::AuthPriv),
        _ => Err(Error::BadConfig(format!(
            "--security-level {text:?} is not a securityLevel: use noAuthNoPriv, authNoPriv or authPriv"
        ))),
    }
}

fn key_of(flag: &Option<Secret>, file: &Option<PathBuf>) -> Result<Option<Secret>> {
    match (flag, file) {
        (Some(k), _) => Ok(Some(k.clone())),
        (None, Some(p)) => Ok(Some(Secret::from(read_key_file(p)?))),
        (None, None) => Ok(None),
    }
}

impl ConnectionArgs {
    /// These arguments, with every one left out taken from `other` (e.g. a profile file):
    /// command line (and environment) first.
    pub fn or(self, other: ConnectionArgs) -> ConnectionArgs {
        let (auth_key, auth_key_file) = if self.auth_key.is_some() || self.auth_key_file.is_some() {
            (self.auth_key, self.auth_key_file)
        } else {
            (other.auth_key, other.auth_key_file)
        };
        let (priv_key, priv_key_file) = if self.priv_key.is_some() || self.priv_key_file.is_some() {
            (self.priv_key, self.priv_key_file)
        } else {
            (other.priv_key, other.priv_key_file)
        };
        let (timeout, timeout_ms) = if self.timeout.is_some() || self.timeout_ms.is_some() {
            (self.timeout, self.timeout_ms)
        } else {
            (other.timeout, other.timeout_ms)
        };
        ConnectionArgs {
            host: self.host.or(other.host),
            port: self.port.or(other.port),
            snmp_version: self.snmp_version.or(other.snmp_version),
            community: self.community.or(other.community),
            user: self.user.or(other.user),
            security_level: self.security_level.or(other.security_level),
            auth: self.auth.or(other.auth),
            auth_key,
            auth_key_file,
            privacy: self.privacy.or(other.privacy),
            priv_key,
            priv_key_file,
            context: self.context.or(other.context),
            timeout,
            timeout_ms,
            retries: self.retries.or(other.retries),
            profile: self.profile.or(other.profile),
            profiles_file: self.profiles_file.or(other.profiles_file),
        }
    }

    /// The profile `--profile` names, read from `--profiles-file` (or `PDU_PROFILES`, or
    /// [`default_profiles_file`](crate::connection_profile::default_profiles_file)); `None`
    /// without `--profile`.
    ///
    /// Errors: [`Error::BadConfig`] as [`connection_profile::load`](crate::connection_profile::load)
    /// says, and for a `--profile` that looks like a path (profiles are named now) or no file
    /// to look in.
    pub fn load_profile(&self) -> Result<Option<crate::connection_profile::ConnectionProfile>> {
        let Some(name) = &self.profile else {
            return Ok(None);
        };
        if name.contains('/') || name.ends_with(".toml") {
            return Err(Error::BadConfig(format!(
                "--profile takes a profile's name, not a file: put the settings under a [NAME] table \
                 of a profiles file and give --profiles-file {name} --profile NAME"
            )));
        }
        let file = self
            .profiles_file
            .clone()
            .or_else(crate::connection_profile::default_profiles_file)
            .ok_or_else(|| {
                Error::BadConfig(format!(
                    "--profile {name}: no profiles file: give --profiles-file PATH (or set PDU_PROFILES, or HOME)"
                ))
            })?;
        crate::connection_profile::load(&file, name).map(Some)
    }

    /// These arguments over `profile`'s settings (when given): the command line first. The
    /// result names no profile, so its [`ConnectionArgs::to_config`] reads none again.
    pub fn over(&self, profile: Option<&crate::connection_profile::ConnectionProfile>) -> Self {
        let mut merged = match profile {
            Some(p) => self.clone().or(p.conn.clone()),
            None => self.clone(),
        };
        merged.profile = None;
        merged
    }

    /// The per-try timeout these arguments ask for (`--timeout` seconds, or the hidden
    /// `--timeout-ms`), default 1 s.
    ///
    /// Errors: [`Error::BadConfig`] for a negative, zero or non-finite number.
    pub fn timeout(&self) -> Result<Duration> {
        let t = match (self.timeout, self.timeout_ms) {
            (Some(s), _) if s.is_finite() && s > crate::config::MAX_TIMEOUT.as_secs_f64() => {
                return Err(Error::BadConfig(format!(
                    "--timeout {s} is too long: give at most {} seconds",
                    crate::config::MAX_TIMEOUT.as_secs()
                )))
            }
            (Some(s), _) => Duration::try_from_secs_f64(s).map_err(|_| {
                Error::BadConfig(format!(
                    "--timeout must be a number of seconds more than 0, got {s}"
                ))
            })?,
            (None, Some(ms)) => Duration::from_millis(ms),
            (None, None) => Duration::from_secs_f64(DEFAULT_TIMEOUT_SECS),
        };
        if t.is_zero() {
            return Err(Error::BadConfig(
                "--timeout must be more than 0 seconds, e.g. --timeout 1 or -t 0.5".into(),
            ));
        }
        Ok(t)
    }

    /// A driver [`Config`] for these arguments over the profile `--profile` names (its vendor
    /// included), with the defaults of the module documentation and the driver's own for the
    /// rest (vendor detection, verification), checked with [`Config::validate`].
    ///
    /// Errors: [`Error::BadConfig`] naming the flag: no `--host`, an unknown version,
    /// protocol or securityLevel, a securityLevel the protocols and keys given cannot reach,
    /// a key shorter than 8 characters, an unreadable key file, a zero timeout; and the
    /// profile's errors ([`ConnectionArgs::load_profile`]).
    pub fn to_config(&self) -> Result<Config> {
        let profile = self.load_profile()?;
        let mut c = self.over(profile.as_ref()).flags_to_config()?;
        if let Some(v) = profile.and_then(|p| p.vendor) {
            c.vendor = v.parse()?;
        }
        Ok(c)
    }

    /// [`ConnectionArgs::to_config`] of these fields alone (no profile is read).
    fn flags_to_config(&self) -> Result<Config> {
        let host = self.host.clone().ok_or_else(|| {
            Error::BadConfig(
                "no agent given: set --host NAME-OR-ADDRESS (or PDU_HOST, or host = \"…\" in a profile file)"
                    .into(),
            )
        })?;
        let mut c = Config::new(host);
        c.community = Secret::from(DEFAULT_COMMUNITY);
        c.retries = DEFAULT_RETRIES;
        if let Some(p) = self.port {
            c.port = p;
        }
        c.version = match &self.snmp_version {
            Some(v) => v.parse()?,
            None if self.user.is_some() => SnmpVersion::V3,
            None => SnmpVersion::V2c,
        };
        if let Some(cm) = &self.community {
            c.community = cm.clone();
        }
        c.user = self.user.clone().unwrap_or_default();
        let auth_key = key_of(&self.auth_key, &self.auth_key_file)?;
        let priv_key = key_of(&self.priv_key, &self.priv_key_file)?;
        let mut auth = match &self.auth {
            Some(a) => parse_auth(a)?,
            None => auth_key.as_ref().map(|_| AuthProtocol::Sha1),
        };
        let mut privacy = match &self.privacy {
            Some(p) => parse_priv(p)?,
            None => priv_key.as_ref().map(|_| PrivProtocol::Aes128),
        };
        if let Some(level) = &self.security_level {
            match parse_security_level(level)? {
                SecurityLevel::NoAuthNoPriv => {
                    auth = None;
                    privacy = None;
                }
                SecurityLevel::AuthNoPriv => {
                    privacy = None;
                    if auth.is_none() {
                        return Err(Error::BadConfig(
                            "--security-level authNoPriv needs --auth PROTOCOL and --auth-key KEY"
                                .into(),
                        ));
                    }
                }
                SecurityLevel::AuthPriv => {
                    if auth.is_none() || privacy.is_none() {
                        return Err(Error::BadConfig(
                            "--security-level authPriv needs --auth and --auth-key, and --priv and --priv-key"
                                .into(),
                        ));
                    }
                }
            }
        }
        c.auth = auth;
        c.privacy = privacy;
        if let Some(k) = auth_key {
            c.auth_key = k;
        }
        if let Some(k) = priv_key {
            c.priv_key = k;
        }
        if c.version == SnmpVersion::V3 {
            check_key_length(c.auth.is_some(), &c.auth_key, "--auth-key")?;
            check_key_length(c.privacy.is_some(), &c.priv_key, "--priv-key")?;
        }
        if let Some(ctx) = &self.context {
            c.context = ctx.clone();
        }
        c.timeout = self.timeout()?;
        if let Some(r) = self.retries {
            c.retries = r;
        }
        c.validate()?;
        Ok(c)
    }
}

/// Refuses a key in use that is shorter than RFC 3414 §11.2's 8 characters (an empty one is left
/// to [`Config::validate`], which names the flag that is missing).
fn check_key_length(used: bool, key: &Secret, flag: &str) -> Result<()> {
    let len = key.expose_secret().len();
    if used && len > 0 && len < MIN_PASSWORD_LEN {
        return Err(Error::BadConfig(format!(
            "{flag} is {len} characters long: SNMPv3 keys need at least {MIN_PASSWORD_LEN} (RFC 3414 section 11.2); choose a longer one"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    #[command(name = "t")]
    struct Cli {
        #[command(flatten)]
        conn: ConnectionArgs,
    }

    fn config(args: &[&str]) -> Result<Config> {
        let mut argv = vec!["t"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("parses").conn.to_config()
    }

    #[test]
    fn defaults() {
        let c = config(&["--host", "h"]).expect("valid");
        assert_eq!(c.port, 161);
        assert_eq!(c.version, SnmpVersion::V2c);
        assert_eq!(c.community.expose_secret(), "public");
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!(c.retries, 2);
        assert!(matches!(config(&[]), Err(Error::BadConfig(m)) if m.contains("--host")));
    }

    #[test]
    fn net_snmp_short_flags() {
        let c = config(&[
            "--host",
            "h",
            "-v",
            "3",
            "-u",
            "ops",
            "-l",
            "authPriv",
            "-a",
            "SHA-256",
            "-A",
            "-starts-with-a-dash",
            "-x",
            "AES",
            "-X",
            "privkey12",
            "-n",
            "pdu2",
            "-t",
            "0.5",
            "-r",
            "0",
        ])
        .expect("valid");
        assert_eq!(c.version, SnmpVersion::V3);
        assert_eq!(c.user, "ops");
        assert_eq!(c.auth, Some(AuthProtocol::Sha256));
        assert_eq!(c.privacy, Some(PrivProtocol::Aes128));
        assert_eq!(c.auth_key.expose_secret(), "-starts-with-a-dash");
        assert_eq!(c.context, "pdu2");
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(c.retries, 0);
    }

    #[test]
    fn user_implies_v3_and_level_limits_the_protocols() {
        let c = config(&[
            "--host",
            "h",
            "--user",
            "ops",
            "--auth-key",
            "authkey12",
            "--priv-key",
            "privkey12",
            "--security-level",
            "authNoPriv",
        ])
        .expect("valid");
        assert_eq!(c.version, SnmpVersion::V3);
        assert_eq!((c.auth, c.privacy), (Some(AuthProtocol::Sha1), None));
        let e = config(&["--host", "h", "-u", "ops", "-l", "authPriv"]).expect_err("refused");
        assert!(e.to_string().contains("--auth"), "{e}");
        let e = config(&["--host", "h", "-u", "ops", "-l", "secret"]).expect_err("refused");
        assert!(e.to_string().contains("noAuthNoPriv"), "{e}");
    }

    #[test]
    fn short_keys_refused_without_showing_them() {
        let e = config(&["--host", "h", "-u", "ops", "-a", "sha", "-A", "short7!"])
            .expect_err("refused");
        let text = e.to_string();
        assert!(
            text.contains("at least 8") && text.contains("--auth-key"),
            "{text}"
        );
        assert!(!text.contains("short7!"), "{text}");
        let e = config(&["--host", "h", "-u", "ops", "-A", "authkey12", "-X", "pk"])
            .expect_err("refused");
        assert!(e.to_string().contains("--priv-key"), "{e}");
    }

    #[test]
    fn timeout_ms_alias_and_bad_timeouts() {
        let c = config(&["--host", "h", "--timeout-ms", "250"]).expect("valid");
        assert_eq!(c.timeout, Duration::from_millis(250));
        assert!(config(&["--host", "h", "-t", "0"]).is_err());
        assert!(config(&["--host", "h", "--timeout=-1"]).is_err());
    }

    #[test]
    fn a_profile_fills_what_the_flags_leave_out_vendor_included() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("profiles.toml");
        std::fs::write(dir.path().join("p.key"), "file-privkey\n").expect("write");
        std::fs::write(
            &file,
            "[a]\nhost = \"10.2.2.2\"\nuser = \"ops\"\nauth_key_env = \"PDU_CONNECTION_TEST_AUTH\"\n\
             priv_key_file = \"p.key\"\nretries = 5\nvendor = \"sentry4\"\n",
        )
        .expect("write");
        std::env::set_var("PDU_CONNECTION_TEST_AUTH", "env-authkey");
        let f = file.to_str().expect("utf8");
        let c = config(&["--profiles-file", f, "--profile", "a", "-r", "1"]).expect("valid");
        assert_eq!(c.host, "10.2.2.2");
        assert_eq!(c.version, SnmpVersion::V3);
        assert_eq!(c.auth_key.expose_secret(), "env-authkey");
        assert_eq!(c.priv_key.expose_secret(), "file-privkey");
        assert_eq!(
            (c.auth, c.privacy),
            (Some(AuthProtocol::Sha1), Some(PrivProtocol::Aes128))
        );
        assert_eq!(c.retries, 1);
        assert!(matches!(c.vendor, crate::config::Vendor::Profile(p) if p.name == "sentry4"));
        // A key flag replaces the profile's key file; --host replaces its host.
        let c = config(&[
            "--profiles-file",
            f,
            "--profile",
            "a",
            "--host",
            "h2",
            "-X",
            "flag-privkey",
        ])
        .expect("valid");
        assert_eq!(c.host, "h2");
        assert_eq!(c.priv_key.expose_secret(), "flag-privkey");
        assert_eq!(c.retries, 5);
    }

    #[test]
    fn or_prefers_the_command_line() {
        let cli = Cli::try_parse_from(["t", "--port", "2000"]).expect("parses");
        let file = ConnectionArgs {
            host: Some("10.1.1.1".into()),
            port: Some(1161),
            timeout: Some(3.0),
            ..ConnectionArgs::default()
        };
        let c = cli.conn.or(file).to_config().expect("valid");
        assert_eq!((c.host.as_str(), c.port), ("10.1.1.1", 2000));
        assert_eq!(c.timeout, Duration::from_secs(3));
    }
}
