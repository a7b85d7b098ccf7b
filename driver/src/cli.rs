//! `pductl` command line: the shared connection flags ([`ConnectionArgs`], `--profile NAME`
//! included), the driver's own, keys from env or files.
//! Precedence: command-line flag > environment variable > connection profile > default.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, RawProfile, RawState, Vendor, MAX_WAIT};
use crate::connection::ConnectionArgs;
use crate::error::{Error, Result};

/// The `pductl` command line: connection flags and one subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "pductl",
    version,
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

/// The `pductl` flags besides the subcommand; all may be given before or after it.
#[derive(Debug, Args, Default)]
pub struct Connection {
    /// Where the PDU is and how to speak to it (shared with `pdu-conformance`).
    #[command(flatten)]
    pub snmp: ConnectionArgs,
    /// Vendor profile (detect, raw, raritan-px2, apc-rpdu2, …) [default: detect].
    #[arg(long, global = true)]
    pub vendor: Option<String>,
    /// Raw mode: control OID prefix; the outlet number is appended (jumpstarter: 1.3.6.1.4.1.13742.6.4.1.2.1.2.1).
    #[arg(long, global = true)]
    pub raw_oid: Option<String>,
    /// Raw mode: integer for on [default: 1].
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_on: Option<i64>,
    /// Raw mode: integer for off [default: 0].
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_off: Option<i64>,
    /// Raw mode: state OID prefix to read back, with `--raw-state-on`/`--raw-state-off`.
    #[arg(long, global = true)]
    pub raw_state_oid: Option<String>,
    /// Raw mode: the state integer that means on [default: the --raw-on value].
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_state_on: Option<i64>,
    /// Raw mode: the state integer that means off [default: the --raw-off value].
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub raw_state_off: Option<i64>,
    /// Seconds to wait for the outlet to report the new state; 0 = do not read back [default: 10].
    #[arg(long, global = true)]
    pub verify: Option<f64>,
    /// Off time in seconds for a cycle done as off, wait, on [default: 3].
    #[arg(long, global = true)]
    pub cycle_delay: Option<f64>,
    /// Seconds to leave between two switch operations, for PDUs that refuse or ignore a switch
    /// too soon after the previous one (ATEN) [default: 0].
    #[arg(long, global = true)]
    pub min_gap: Option<f64>,
    /// Add N to the outlet number in the control table only, for firmware that numbers its
    /// control rows from another base (row 1 = the whole unit) [default: 0].
    #[arg(long, global = true, value_name = "N")]
    pub index_offset: Option<u32>,
    /// The most bytes one walk of a column (`list`, names) may read before it stops with an
    /// error, against agents whose tables never end [default: 1048576].
    #[arg(long, global = true, value_name = "BYTES")]
    pub max_walk_bytes: Option<usize>,
}

/// `v` seconds as a duration, at most [`MAX_WAIT`].
fn seconds(v: f64, what: &str) -> Result<Duration> {
    if v.is_finite() && v > MAX_WAIT.as_secs_f64() {
        return Err(Error::BadConfig(format!(
            "{what} {v} is too long: give at most {} seconds",
            MAX_WAIT.as_secs()
        )));
    }
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
    /// Merge flags, environment (already folded in by clap) and the connection profile
    /// `--profile` names into a [`Config`].
    ///
    /// Errors: [`Error::BadConfig`] naming the flag or the profile's file, name and key.
    pub fn to_config(&self) -> Result<Config> {
        let profile = self.snmp.load_profile()?;
        let file = profile
            .as_ref()
            .map(|p| p.driver.clone())
            .unwrap_or_default();
        let file_vendor = profile.as_ref().and_then(|p| p.vendor.clone());
        let mut c = self.snmp.over(profile.as_ref()).to_config()?;
        if let Some(v) = self.vendor.clone().or(file_vendor) {
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
        if let Some(d) = self.min_gap.or(file.min_gap) {
            c.min_gap = seconds(d, "--min-gap")?;
        }
        if let Some(n) = self.index_offset.or(file.index_offset) {
            c.index_offset = n;
        }
        if let Some(b) = self.max_walk_bytes.or(file.max_walk_bytes) {
            c.max_walk_bytes = b;
        }
        c.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthProtocol, ExposeSecret, PrivProtocol, SnmpVersion};
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
        assert_eq!(a.conn.snmp.port, b.conn.snmp.port);
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
    fn profile_and_flag_precedence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("profiles.toml");
        std::fs::write(
            &p,
            "[rack1]\nhost = \"10.1.1.1\"\nport = 1161\nversion = 3\nuser = \"ops\"\nauth = \"sha\"\nauth_key = \"k-12345678\"\npriv = \"aes\"\npriv_key = \"p-12345678\"\nvendor = \"apc-rpdu2\"\ntimeout = 0.5\nverify = 0\n",
        )
        .expect("write");
        set_owner_only(&p);
        let file = p.to_str().expect("utf8");
        let cli = Cli::try_parse_from([
            "pductl",
            "--profiles-file",
            file,
            "--profile",
            "rack1",
            "--port",
            "2000",
            "list",
        ])
        .expect("parses");
        let c = cli.conn.to_config().expect("valid");
        // The flag wins over the profile; the profile over the defaults.
        assert_eq!((c.host.as_str(), c.port), ("10.1.1.1", 2000));
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(c.retries, 2);
        assert_eq!(c.verify, None);
        assert_eq!(
            (c.auth, c.privacy),
            (Some(AuthProtocol::Sha1), Some(PrivProtocol::Aes128))
        );
        assert!(matches!(c.vendor, Vendor::Profile(p) if p.name == "apc-rpdu2"));
        let cli = Cli::try_parse_from([
            "pductl",
            "--profiles-file",
            file,
            "--profile",
            "rack1",
            "--vendor",
            "sentry4",
            "-A",
            "flag-authkey",
            "list",
        ])
        .expect("parses");
        let c = cli.conn.to_config().expect("valid");
        assert!(matches!(c.vendor, Vendor::Profile(p) if p.name == "sentry4"));
        assert_eq!(c.auth_key.expose_secret(), "flag-authkey");
        // A profile the file lacks, and the old single-file form, are refused with the fix.
        let cli =
            Cli::try_parse_from(["pductl", "--profiles-file", file, "--profile", "x", "list"])
                .expect("parses");
        assert!(
            matches!(cli.conn.to_config(), Err(Error::BadConfig(m)) if m.contains("rack1") && m.contains("\"x\""))
        );
        let cli = Cli::try_parse_from(["pductl", "--profile", file, "list"]).expect("parses");
        assert!(
            matches!(cli.conn.to_config(), Err(Error::BadConfig(m)) if m.contains("--profiles-file"))
        );
    }

    fn set_owner_only(path: &std::path::Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        #[cfg(not(unix))]
        let _ = path;
    }

    /// Every numeric flag is bounded with an error naming it, never a panic or an overflow.
    #[test]
    fn numeric_flags_are_bounded() {
        let refused = |args: &[&str], words: &[&str]| {
            let mut argv = vec!["pductl", "--host", "h"];
            argv.extend_from_slice(args);
            argv.push("list");
            let cli = Cli::try_parse_from(argv).expect("parses");
            let e = cli.conn.to_config().expect_err("refused").to_string();
            for w in words {
                assert!(e.contains(w), "{args:?}: {w:?} missing from: {e}");
            }
        };
        refused(&["--timeout", "1e19"], &["--timeout", "3600"]);
        refused(&["--timeout", "inf"], &["--timeout"]);
        refused(&["--timeout", "NaN"], &["--timeout"]);
        refused(&["--timeout=-1"], &["--timeout"]);
        refused(&["--timeout", "0"], &["--timeout"]);
        refused(&["--timeout-ms", "18446744073709551615"], &["3600"]);
        refused(&["--retries", "4294967295"], &["retries", "0 to 100"]);
        refused(&["--verify", "1e18"], &["--verify", "86400"]);
        refused(&["--verify", "NaN"], &["--verify"]);
        refused(&["--cycle-delay", "1e300"], &["--cycle-delay", "86400"]);
        refused(&["--cycle-delay=-3"], &["--cycle-delay"]);
        refused(&["--max-walk-bytes", "0"], &["--max-walk-bytes"]);
        refused(
            &["--max-walk-bytes", "18446744073709551615"],
            &["--max-walk-bytes"],
        );
        refused(
            &[
                "--raw-oid",
                "1.3.6.1.4.1.99",
                "--raw-on",
                "9223372036854775807",
            ],
            &["--raw-on", "Integer32"],
        );
        refused(
            &[
                "--raw-oid",
                "1.3.6.1.4.1.99",
                "--raw-state-oid",
                "1.3.6.1.4.1.99.2",
                "--raw-state-off",
                "-2147483649",
            ],
            &["--raw-state-off", "Integer32"],
        );
        assert!(
            Cli::try_parse_from(["pductl", "--host", "h", "--retries", "4294967296", "list"])
                .is_err(),
            "beyond u32 is clap's usage error"
        );
        let cli =
            Cli::try_parse_from(["pductl", "--host", "h", "--max-walk-bytes", "4096", "list"])
                .expect("parses");
        assert_eq!(cli.conn.to_config().expect("valid").max_walk_bytes, 4096);
        // The profile file's numbers go through the same checks.
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("pdu.toml");
        for (line, words) in [
            ("timeout = 1e19", &["--timeout", "3600"][..]),
            ("retries = 4294967295", &["retries", "0 to 100"][..]),
            ("verify = 1e18", &["--verify", "86400"][..]),
            ("max_walk_bytes = 0", &["--max-walk-bytes"][..]),
            ("retries = -1", &["retries"][..]),
            ("port = 70000", &["port"][..]),
        ] {
            std::fs::write(&p, format!("[t]\nhost = \"h\"\n{line}\n")).expect("write");
            let file = p.to_str().expect("utf8");
            let cli =
                Cli::try_parse_from(["pductl", "--profiles-file", file, "--profile", "t", "list"])
                    .expect("parses");
            let e = cli.conn.to_config().expect_err(line).to_string();
            for w in words {
                assert!(e.contains(w), "{line}: {w:?} missing from: {e}");
            }
        }
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
