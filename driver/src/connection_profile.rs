//! Connection profiles: named sets of connection settings in one TOML file that every tool
//! talking to an agent reads (`pductl`, `pdu-conformance check`, `pdu-conformance load`) with
//! `--profile NAME`.
//!
//! The file is `--profiles-file PATH`, else `$PDU_PROFILES`, else
//! `$XDG_CONFIG_HOME/pdu/profiles.toml`, else `~/.config/pdu/profiles.toml`. Each top-level
//! table is a profile:
//!
//! ```toml
//! [rack1]
//! host = "10.0.0.5"
//! user = "ops"
//! auth = "sha256"
//! auth_key_env = "RACK1_AUTH_KEY"   # or auth_key = "…" (file mode 600), or auth_key_file
//! priv = "aes256"
//! priv_key_file = "rack1.priv"       # relative to this file's folder
//! vendor = "apc-rpdu2"
//! ```
//!
//! Command-line flags (and their environment variables) override the profile; the profile
//! overrides the defaults. Errors name the file, the profile, the key and the fix, and never
//! show a community string or key: like ssh with private keys, a file holding a community or key
//! itself (not a `*_file` or `*_env` reference) must not be readable by group or others.

use std::path::{Path, PathBuf};

use snmp_proto::usm::keys::MIN_PASSWORD_LEN;

use crate::config::{parse_auth, parse_priv, Secret, SnmpVersion};
use crate::connection::{parse_security_level, ConnectionArgs};
use crate::error::{Error, Result};

/// Every key a profile may hold, in the order the documentation lists them.
pub const KEYS: &[&str] = &[
    "host",
    "port",
    "version",
    "community",
    "community_env",
    "user",
    "security_level",
    "auth",
    "auth_key",
    "auth_key_file",
    "auth_key_env",
    "priv",
    "priv_key",
    "priv_key_file",
    "priv_key_env",
    "context",
    "timeout",
    "retries",
    "vendor",
    "raw_oid",
    "raw_on",
    "raw_off",
    "raw_state_oid",
    "raw_state_on",
    "raw_state_off",
    "verify",
    "cycle_delay",
    "min_gap",
    "index_offset",
    "max_walk_bytes",
];

/// `pductl`'s own settings a profile may hold (other tools ignore them): raw mode, verification
/// and cycle timing, as its flags of the same names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriverSettings {
    /// `--raw-oid`: raw mode's control OID prefix.
    pub raw_oid: Option<String>,
    /// `--raw-on`: raw mode's integer for on.
    pub raw_on: Option<i64>,
    /// `--raw-off`: raw mode's integer for off.
    pub raw_off: Option<i64>,
    /// `--raw-state-oid`: raw mode's state OID prefix.
    pub raw_state_oid: Option<String>,
    /// `--raw-state-on`: the state integer that means on.
    pub raw_state_on: Option<i64>,
    /// `--raw-state-off`: the state integer that means off.
    pub raw_state_off: Option<i64>,
    /// `--verify`: seconds to read the state back after a switch (0: do not).
    pub verify: Option<f64>,
    /// `--cycle-delay`: seconds off in a cycle done as off, wait, on.
    pub cycle_delay: Option<f64>,
    /// `--min-gap`: seconds to leave between two switch operations.
    pub min_gap: Option<f64>,
    /// `--index-offset`: added to the outlet number in the control columns.
    pub index_offset: Option<u32>,
    /// `--max-walk-bytes`: the most bytes one walk of a column may read.
    pub max_walk_bytes: Option<usize>,
}

/// One profile, read and checked: the connection settings as [`ConnectionArgs`] (so flags can
/// be laid over them with [`ConnectionArgs::or`]), the vendor and pductl's own settings.
/// `Debug` shows no secret ([`Secret`] is redacted).
#[derive(Debug, Clone)]
pub struct ConnectionProfile {
    /// The profile's name (its table in the file).
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Host, port, version, community, user, securityLevel, protocols and keys (keys from
    /// `*_env` variables already read, `*_file` paths taken from the file's folder), context,
    /// timeout (seconds) and retries.
    pub conn: ConnectionArgs,
    /// A vendor profile name, `detect` or `raw` (`--vendor`).
    pub vendor: Option<String>,
    /// pductl's own settings.
    pub driver: DriverSettings,
}

/// The profiles file used without `--profiles-file` and `$PDU_PROFILES`:
/// `$XDG_CONFIG_HOME/pdu/profiles.toml`, else `~/.config/pdu/profiles.toml` (`None` without
/// either variable).
pub fn default_profiles_file() -> Option<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(xdg).join("pdu/profiles.toml"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|home| PathBuf::from(home).join(".config/pdu/profiles.toml"))
}

/// Reads profile `name` from the file at `file`.
///
/// Errors: [`Error::BadConfig`] naming the file (and the profile and key where there is one):
/// a missing or unreadable file, TOML that does not parse, an unknown profile (the message
/// lists the defined ones), an unknown key or a value of the wrong type or range, an
/// environment variable a `*_env` key names that is not set, a key shorter than 8 characters,
/// a file holding a community or key that group or others can read.
pub fn load(file: &Path, name: &str) -> Result<ConnectionProfile> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::BadConfig(format!(
                "--profile {name}: the profiles file {} does not exist: create it with a [{name}] table \
                 (see the connection profiles section of pdu-driver's README), or name another with \
                 --profiles-file PATH or PDU_PROFILES",
                file.display()
            ))
        } else {
            Error::BadConfig(format!("cannot read the profiles file {}: {e}", file.display()))
        }
    })?;
    let profile = parse(&text, file, name)?;
    check_permissions(file, &text)?;
    Ok(profile)
}

/// Parses profile `name` out of `text`, the contents of the profiles file `file` (named in
/// errors; relative `*_file` paths are taken from its folder). Errors as [`load`]'s, without
/// the file-system ones.
pub fn parse(text: &str, file: &Path, name: &str) -> Result<ConnectionProfile> {
    let in_file = |problem: String| Error::BadConfig(format!("{}: {problem}", file.display()));
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The message and the place, never the line itself: it may hold a key.
        let place = e
            .span()
            .map(|span| {
                let before = text.get(..span.start).unwrap_or_default();
                format!("line {}: ", before.matches('\n').count() + 1)
            })
            .unwrap_or_default();
        in_file(format!("{place}{}", e.message().trim_end()))
    })?;
    let mut known: Vec<&str> = table
        .iter()
        .filter(|(_, v)| v.is_table())
        .map(|(k, _)| k.as_str())
        .collect();
    known.sort_unstable();
    if let Some((key, _)) = table.iter().find(|(_, v)| !v.is_table()) {
        return Err(in_file(format!(
            "`{key}` is outside any profile: put it under a [NAME] table"
        )));
    }
    let Some(toml::Value::Table(entries)) = table.get(name) else {
        return Err(in_file(format!(
            "no profile named {name:?}; {}",
            if known.is_empty() {
                format!("the file defines none: add a [{name}] table")
            } else {
                format!("the file defines {}", known.join(", "))
            }
        )));
    };
    let p = Fields {
        entries,
        file,
        name,
    };
    p.refuse_unknown()?;
    let base = file.parent().unwrap_or(Path::new(""));
    let key_file = |key: &str| -> Result<Option<PathBuf>> {
        Ok(p.string(key)?.map(|s| {
            let path = PathBuf::from(s);
            if path.is_relative() {
                base.join(path)
            } else {
                path
            }
        }))
    };
    let version = match entries.get("version") {
        None => None,
        Some(toml::Value::Integer(i)) => Some(i.to_string()),
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(p.bad("version", "must be 1, \"2c\" or 3")),
    };
    if let Some(v) = &version {
        v.parse::<SnmpVersion>()
            .map_err(|_| p.bad("version", "must be 1, \"2c\" or 3"))?;
    }
    let auth = p.string("auth")?;
    if let Some(a) = &auth {
        parse_auth(a).map_err(|_| {
            p.bad(
                "auth",
                "must be one of none, md5, sha, sha224, sha256, sha384, sha512",
            )
        })?;
    }
    let privacy = p.string("priv")?;
    if let Some(x) = &privacy {
        parse_priv(x).map_err(|_| {
            p.bad(
                "priv",
                "must be one of none, des, aes, aes192, aes256, aes192-cisco, aes256-cisco",
            )
        })?;
    }
    let security_level = p.string("security_level")?;
    if let Some(l) = &security_level {
        parse_security_level(l).map_err(|_| {
            p.bad(
                "security_level",
                "must be noAuthNoPriv, authNoPriv or authPriv",
            )
        })?;
    }
    let timeout = p.number("timeout")?;
    if timeout.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
        return Err(p.bad(
            "timeout",
            "must be a number of seconds more than 0, e.g. 1.5",
        ));
    }
    let port = p.integer("port")?;
    let port = port
        .map(|v| u16::try_from(v).ok().filter(|p| *p > 0))
        .map(|v| v.ok_or_else(|| p.bad("port", "must be a UDP port, 1 to 65535")))
        .transpose()?;
    let retries = p
        .integer("retries")?
        .map(|v| u32::try_from(v).map_err(|_| p.bad("retries", "must be 0 or more")))
        .transpose()?;
    let conn = ConnectionArgs {
        host: p.string("host")?,
        port,
        snmp_version: version,
        community: p.secret("community", "community_env", 1)?,
        user: p.string("user")?,
        security_level,
        auth,
        auth_key: p.secret("auth_key", "auth_key_env", MIN_PASSWORD_LEN)?,
        auth_key_file: key_file("auth_key_file")?,
        privacy,
        priv_key: p.secret("priv_key", "priv_key_env", MIN_PASSWORD_LEN)?,
        priv_key_file: key_file("priv_key_file")?,
        context: p.string("context")?,
        timeout,
        timeout_ms: None,
        retries,
        profile: None,
        profiles_file: None,
    };
    let driver = DriverSettings {
        raw_oid: p.string("raw_oid")?,
        raw_on: p.integer("raw_on")?,
        raw_off: p.integer("raw_off")?,
        raw_state_oid: p.string("raw_state_oid")?,
        raw_state_on: p.integer("raw_state_on")?,
        raw_state_off: p.integer("raw_state_off")?,
        verify: p.number("verify")?,
        cycle_delay: p.number("cycle_delay")?,
        min_gap: p.number("min_gap")?,
        index_offset: p
            .integer("index_offset")?
            .map(|n| u32::try_from(n).map_err(|_| p.bad("index_offset", "must be 0 or more")))
            .transpose()?,
        max_walk_bytes: p
            .integer("max_walk_bytes")?
            .map(|n| usize::try_from(n).map_err(|_| p.bad("max_walk_bytes", "must be 1 or more")))
            .transpose()?,
    };
    Ok(ConnectionProfile {
        name: name.to_string(),
        file: file.to_path_buf(),
        conn,
        vendor: p.string("vendor")?,
        driver,
    })
}

/// The keys of one profile table, read with errors that name the file, profile and key.
struct Fields<'a> {
    entries: &'a toml::Table,
    file: &'a Path,
    name: &'a str,
}

impl Fields<'_> {
    fn bad(&self, key: &str, problem: &str) -> Error {
        Error::BadConfig(format!(
            "{}: profile {:?}: {key} {problem}",
            self.file.display(),
            self.name
        ))
    }

    fn refuse_unknown(&self) -> Result<()> {
        match self.entries.keys().find(|k| !KEYS.contains(&k.as_str())) {
            Some(k) => Err(self.bad(k, &format!("is not a profile key: use {}", KEYS.join(", ")))),
            None => Ok(()),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.entries.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(key, "must be a string, in quotes")),
        }
    }

    fn integer(&self, key: &str) -> Result<Option<i64>> {
        match self.entries.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i)),
            Some(_) => Err(self.bad(key, "must be a whole number, without quotes")),
        }
    }

    fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.entries.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(toml::Value::Float(f)) => Ok(Some(*f)),
            Some(_) => Err(self.bad(key, "must be a number of seconds, without quotes")),
        }
    }

    /// A secret given in the file (`key`) or in the environment variable `env_key` names; at
    /// least `min` characters. Never shown in an error.
    fn secret(&self, key: &str, env_key: &str, min: usize) -> Result<Option<Secret>> {
        let value = match (self.entries.get(key), self.string(env_key)?) {
            (Some(_), Some(_)) => {
                return Err(self.bad(key, &format!("and {env_key} are both given: keep one")))
            }
            (Some(toml::Value::String(s)), None) => s.clone(),
            (Some(_), None) => return Err(self.bad(key, "must be a string, in quotes")),
            (None, Some(var)) => std::env::var(&var).map_err(|_| {
                self.bad(
                    env_key,
                    &format!("names the environment variable {var}, which is not set: export it"),
                )
            })?,
            (None, None) => return Ok(None),
        };
        let len = value.chars().count();
        if len < min {
            return Err(self.bad(
                key,
                &if min == 1 {
                    "is empty: give the community, or leave the key out".to_string()
                } else {
                    format!(
                        "is {len} characters long: SNMPv3 keys need at least {min} (RFC 3414 section 11.2)"
                    )
                },
            ));
        }
        Ok(Some(Secret::from(value)))
    }
}

/// Refuses, like ssh, a profiles file that holds a community or key itself and that group or
/// others may read (Unix permissions; elsewhere nothing is checked).
fn check_permissions(file: &Path, text: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let holds_secret = text
            .parse::<toml::Table>()
            .map(|t| {
                t.values().filter_map(toml::Value::as_table).any(|p| {
                    ["community", "auth_key", "priv_key"]
                        .iter()
                        .any(|k| p.contains_key(*k))
                })
            })
            .unwrap_or(false);
        let mode = std::fs::metadata(file)
            .map_err(|e| {
                Error::BadConfig(format!(
                    "cannot read the profiles file {}: {e}",
                    file.display()
                ))
            })?
            .permissions()
            .mode();
        if holds_secret && mode & 0o077 != 0 {
            return Err(Error::BadConfig(format!(
                "{f}: holds a community or key and is readable by others (mode {:o}): run chmod 600 {f}, \
                 or move the secrets to key files (auth_key_file, priv_key_file) or environment \
                 variables (auth_key_env, priv_key_env, community_env)",
                mode & 0o777,
                f = file.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, text);
    Ok(())
}

/// The text of a secret, for tests in this crate.
#[cfg(test)]
fn exposed(s: &Option<Secret>) -> Option<&str> {
    use crate::config::ExposeSecret;
    s.as_ref().map(|s| s.expose_secret())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[rack1]
host = "10.0.0.5"
port = 1161
version = 3
user = "ops"
auth = "sha256"
auth_key = "authkey-123"
priv = "aes256"
priv_key_file = "rack1.priv"
context = "pdu2"
timeout = 1.5
retries = 4
vendor = "apc-rpdu2"
verify = 0

[lab]
host = "127.0.0.1"
community = "private"
"#;

    fn file() -> &'static Path {
        Path::new("/etc/pdu/profiles.toml")
    }

    #[test]
    fn a_profile_reads_every_key() {
        let p = parse(FILE, file(), "rack1").unwrap();
        assert_eq!(p.conn.host.as_deref(), Some("10.0.0.5"));
        assert_eq!(p.conn.port, Some(1161));
        assert_eq!(p.conn.snmp_version.as_deref(), Some("3"));
        assert_eq!(exposed(&p.conn.auth_key), Some("authkey-123"));
        assert_eq!(
            p.conn.priv_key_file.as_deref(),
            Some(Path::new("/etc/pdu/rack1.priv"))
        );
        assert_eq!(p.conn.timeout, Some(1.5));
        assert_eq!(p.conn.retries, Some(4));
        assert_eq!(p.vendor.as_deref(), Some("apc-rpdu2"));
        assert_eq!(p.driver.verify, Some(0.0));
        assert!(!format!("{p:?}").contains("authkey-123"));
    }

    #[test]
    fn an_unknown_profile_lists_the_known_ones() {
        let e = parse(FILE, file(), "rack9").unwrap_err().to_string();
        assert!(
            e.contains("/etc/pdu/profiles.toml")
                && e.contains("\"rack9\"")
                && e.contains("lab, rack1"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_key_is_refused_with_file_profile_and_the_keys() {
        let text = FILE.replace("host = \"127.0.0.1\"", "hots = \"127.0.0.1\"");
        let e = parse(&text, file(), "lab").unwrap_err().to_string();
        assert!(
            e.contains("/etc/pdu/profiles.toml")
                && e.contains("\"lab\"")
                && e.contains("hots is not a profile key")
                && e.contains("host, port"),
            "{e}"
        );
    }

    #[test]
    fn wrong_values_name_the_key_and_never_show_a_secret() {
        for (bad, key) in [
            ("port = \"x\"", "port"),
            ("port = 70000", "port"),
            ("version = 4", "version"),
            ("auth = \"sha1x\"", "auth"),
            ("priv = \"aes512\"", "priv"),
            ("security_level = \"high\"", "security_level"),
            ("timeout = 0", "timeout"),
            ("retries = -1", "retries"),
            ("auth_key = \"short7!\"", "auth_key"),
            ("auth_key = 12345678", "auth_key"),
        ] {
            let text = format!("[p]\nhost = \"h\"\n{bad}\n");
            let e = parse(&text, file(), "p").unwrap_err().to_string();
            assert!(e.contains(&format!("profile \"p\": {key} ")), "{bad}: {e}");
            assert!(!e.contains("short7!") && !e.contains("12345678"), "{e}");
        }
        // TOML that does not parse: the line, not the text on it.
        let e = parse("[p]\nauth_key = \"secret-123\n", file(), "p")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && !e.contains("secret-123"), "{e}");
        let e = parse("host = \"h\"\n", file(), "p")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside any profile"), "{e}");
    }

    #[test]
    fn keys_from_the_environment() {
        let var = "PDU_PROFILE_TEST_KEY_FROM_ENV";
        std::env::set_var(var, "env-authkey-1");
        let text = format!("[p]\nhost = \"h\"\nuser = \"u\"\nauth_key_env = \"{var}\"\n");
        let p = parse(&text, file(), "p").unwrap();
        assert_eq!(exposed(&p.conn.auth_key), Some("env-authkey-1"));
        let text = "[p]\npriv_key_env = \"PDU_PROFILE_TEST_UNSET_VARIABLE\"\n";
        let e = parse(text, file(), "p").unwrap_err().to_string();
        assert!(
            e.contains("priv_key_env") && e.contains("PDU_PROFILE_TEST_UNSET_VARIABLE"),
            "{e}"
        );
        let text = format!("[p]\nauth_key = \"authkey-12\"\nauth_key_env = \"{var}\"\n");
        assert!(parse(&text, file(), "p").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_file_with_keys_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.toml");
        std::fs::write(&path, FILE).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load(&path, "lab").unwrap_err().to_string();
        assert!(e.contains("chmod 600") && e.contains("644"), "{e}");
        assert!(!e.contains("private"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load(&path, "lab").is_ok());
        // Without secrets in it, the file may be shared.
        std::env::set_var("PDU_PROFILE_TEST_SHARED_KEY", "shared-authkey");
        std::fs::write(
            &path,
            "[lab]\nhost = \"h\"\nauth_key_env = \"PDU_PROFILE_TEST_SHARED_KEY\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load(&path, "lab").is_ok());
        let e = load(&dir.path().join("none.toml"), "lab")
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not exist") && e.contains("[lab]"), "{e}");
    }
}
