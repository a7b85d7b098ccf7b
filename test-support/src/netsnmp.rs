//! net-snmp's command-line tools (Debian package `snmp`): run, isolated from the machine's
//! configuration, and their output parsed.

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// SNMPv3 security parameters as net-snmp's `-l/-u/-a/-A/-x/-X` flags spell them.
#[derive(Clone, Debug)]
pub struct V3 {
    /// The user name (`-u`).
    pub user: String,
    /// The security level (`-l`): `noAuthNoPriv`, `authNoPriv` or `authPriv`.
    pub level: &'static str,
    /// Authentication protocol and password (`-a`, `-A`), net-snmp spelling (`SHA-256`).
    pub auth: Option<(String, String)>,
    /// Privacy protocol and password (`-x`, `-X`), net-snmp spelling (`AES-256`).
    pub privacy: Option<(String, String)>,
}

impl V3 {
    /// A noAuthNoPriv user.
    pub fn no_auth(user: &str) -> V3 {
        V3 {
            user: user.into(),
            level: "noAuthNoPriv",
            auth: None,
            privacy: None,
        }
    }

    /// An authNoPriv user with protocol `proto` (net-snmp spelling) and password `pass`.
    pub fn auth(user: &str, proto: &str, pass: &str) -> V3 {
        V3 {
            user: user.into(),
            level: "authNoPriv",
            auth: Some((proto.into(), pass.into())),
            privacy: None,
        }
    }

    /// An authPriv user: authentication `a`/`apass`, privacy `p`/`ppass` (net-snmp spelling).
    pub fn auth_priv(user: &str, a: &str, apass: &str, p: &str, ppass: &str) -> V3 {
        V3 {
            user: user.into(),
            level: "authPriv",
            auth: Some((a.into(), apass.into())),
            privacy: Some((p.into(), ppass.into())),
        }
    }

    /// Same credentials, another requested security level.
    pub fn at_level(&self, level: &'static str) -> V3 {
        V3 {
            level,
            ..self.clone()
        }
    }
}

/// How a tool authenticates: a community (v1, v2c) or an SNMPv3 user.
#[derive(Clone, Debug)]
pub enum Sec {
    /// SNMPv1 with this community.
    V1(String),
    /// SNMPv2c with this community.
    V2c(String),
    /// SNMPv3 with this user.
    V3(V3),
}

impl Sec {
    /// SNMPv1 with community `c`.
    pub fn v1(c: &str) -> Sec {
        Sec::V1(c.into())
    }

    /// SNMPv2c with community `c`.
    pub fn v2c(c: &str) -> Sec {
        Sec::V2c(c.into())
    }

    fn args(&self) -> Vec<String> {
        match self {
            Sec::V1(c) => vec!["-v1".into(), "-c".into(), c.clone()],
            Sec::V2c(c) => vec!["-v2c".into(), "-c".into(), c.clone()],
            Sec::V3(v) => {
                let mut a = vec![
                    "-v3".into(),
                    "-l".into(),
                    v.level.to_string(),
                    "-u".into(),
                    v.user.clone(),
                ];
                if let Some((p, pass)) = &v.auth {
                    a.extend(["-a".into(), p.clone(), "-A".into(), pass.clone()]);
                }
                if let Some((p, pass)) = &v.privacy {
                    a.extend(["-x".into(), p.clone(), "-X".into(), pass.clone()]);
                }
                a
            }
        }
    }
}

impl From<V3> for Sec {
    fn from(v: V3) -> Sec {
        Sec::V3(v)
    }
}

/// What a net-snmp tool did.
#[derive(Debug)]
pub struct Out {
    /// The command line, quoted where needed, for failure messages.
    pub cmdline: String,
    /// How the tool exited.
    pub status: ExitStatus,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Out {
    /// True if the tool exited 0.
    pub fn ok(&self) -> bool {
        self.status.success()
    }

    /// Panics with the full command and output unless the tool exited 0 with an empty stderr.
    #[track_caller]
    pub fn expect_clean(&self) -> &Out {
        assert!(
            self.status.success() && self.stderr.trim().is_empty(),
            "expected a clean run of\n  {}\n{}",
            self.cmdline,
            self.describe()
        );
        self
    }

    /// Exit status, stdout and stderr, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    /// Output lines `OID = VALUE` (with `-On`), continuation lines joined to the previous one.
    pub fn varbinds(&self) -> Vec<(String, String)> {
        parse_varbinds(&self.stdout)
    }

    /// stdout + stderr, for matching messages wherever the tool printed them.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Parses `-On` output into `(".1.3.6...", "TYPE: value")` pairs; a line that does not start
/// with an OID continues the previous value (Hex-STRING and multi-line strings).
pub fn parse_varbinds(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('.') {
            if let Some((oid, value)) = line.split_once(" = ") {
                out.push((oid.to_string(), value.trim_end().to_string()));
                continue;
            }
        }
        if let Some(last) = out.last_mut() {
            last.1.push('\n');
            last.1.push_str(line.trim_end());
        }
    }
    out
}

/// `INTEGER: 7`, `Counter32: 12`, `Gauge32: 3`, `Timeticks: (42) 0:00:00.42` → the number.
pub fn parse_number(value: &str) -> Option<i64> {
    let (ty, n) = value.split_once(": ")?;
    match ty {
        "INTEGER" | "Counter32" | "Gauge32" | "Counter64" | "Timeticks" => n
            .split_whitespace()
            .next()?
            .trim_matches(|c| c == '(' || c == ')')
            .parse()
            .ok(),
        _ => None,
    }
}

/// net-snmp prints numeric OIDs (`-On`) with a leading dot: `1.3.6` → `.1.3.6`.
pub fn dotted(oid: &str) -> String {
    if oid.starts_with('.') {
        oid.to_string()
    } else {
        format!(".{oid}")
    }
}

/// A throwaway directory for net-snmp's configuration and persistent state.
fn netsnmp_env() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary dir for net-snmp config/persistence");
    // net-snmp announces "Created directory: .../cert_indexes" on stderr when it is missing.
    std::fs::create_dir(dir.path().join("cert_indexes")).expect("create cert_indexes");
    dir
}

/// Runs `tool` (e.g. `snmpget`) as `tool -On -r1 -t2 <sec> OPTS TARGET ARGS`, isolated from
/// `/etc/snmp/snmp.conf` and `~/.snmp` (no MIBs, no defaults, no persistent state). A missing
/// tool is a test failure, never a skip.
pub fn run_tool(tool: &str, sec: &Sec, opts: &[&str], target: &str, args: &[&str]) -> Out {
    let env_dir = netsnmp_env();
    let mut argv: Vec<String> = vec![
        "-On".into(),
        "-r".into(),
        "1".into(),
        "-t".into(),
        "2".into(),
    ];
    argv.extend(sec.args());
    argv.extend(opts.iter().map(|s| s.to_string()));
    argv.push(target.to_string());
    argv.extend(args.iter().map(|s| s.to_string()));
    let cmdline = format!("{tool} {}", shell_words(&argv));
    let started = Instant::now();
    let output = Command::new(tool)
        .args(&argv)
        .env("MIBS", "")
        .env("MIBDIRS", env_dir.path())
        .env("SNMPCONFPATH", env_dir.path())
        .env("SNMP_PERSISTENT_DIR", env_dir.path())
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` is not installed: install the Debian package `snmp` (apt-get install snmp) \
             — these tests need net-snmp's command-line tools and never skip"
        ),
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    };
    let elapsed = started.elapsed();
    if elapsed > Duration::from_millis(1500) {
        // Slow answers are the first sign of a stalled agent; say so even when the test passes.
        eprintln!("slow: {:.1}s for {cmdline}", elapsed.as_secs_f64());
    }
    Out {
        cmdline,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
    }
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// net-snmp's tools pointed at one agent: implemented by [`crate::PdusimProcess`] and
/// [`crate::Snmpd`].
pub trait NetSnmp {
    /// The agent's address as the tools take it: `127.0.0.1:PORT`.
    fn target(&self) -> String;

    /// Runs `tool` against this agent (see [`run_tool`]).
    fn tool(&self, tool: &str, sec: &Sec, opts: &[&str], args: &[&str]) -> Out {
        run_tool(tool, sec, opts, &self.target(), args)
    }

    /// `snmpget` of `oids`.
    fn get(&self, sec: &Sec, oids: &[&str]) -> Out {
        self.tool("snmpget", sec, &[], oids)
    }

    /// `snmpgetnext` of `oids`.
    fn getnext(&self, sec: &Sec, oids: &[&str]) -> Out {
        self.tool("snmpgetnext", sec, &[], oids)
    }

    /// `snmpset`; `args` as it takes them: OID TYPE VALUE [OID TYPE VALUE ...].
    fn set(&self, sec: &Sec, args: &[&str]) -> Out {
        self.tool("snmpset", sec, &[], args)
    }

    /// `snmpwalk` from `root`.
    fn walk(&self, sec: &Sec, root: &str) -> Out {
        self.tool("snmpwalk", sec, &[], &[root])
    }

    /// `snmpbulkwalk` from `root`.
    fn bulkwalk(&self, sec: &Sec, root: &str) -> Out {
        self.tool("snmpbulkwalk", sec, &[], &[root])
    }

    /// GETs one object and returns its printed value (`INTEGER: 7`), panicking on any error.
    #[track_caller]
    fn get_value(&self, sec: &Sec, oid: &str) -> String {
        let out = self.get(sec, &[oid]);
        out.expect_clean();
        let vbs = out.varbinds();
        assert_eq!(
            vbs.len(),
            1,
            "one varbind from {}\n{}",
            out.cmdline,
            out.describe()
        );
        assert_eq!(vbs[0].0, dotted(oid), "{}", out.cmdline);
        vbs[0].1.clone()
    }

    /// GETs an INTEGER/Counter32/Gauge32 object as a number, panicking on any error.
    #[track_caller]
    fn get_number(&self, sec: &Sec, oid: &str) -> i64 {
        let v = self.get_value(sec, oid);
        parse_number(&v).unwrap_or_else(|| panic!("{oid}: not a number: {v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varbinds_join_continuation_lines() {
        let text = ".1.3.6.1.2.1.1.1.0 = STRING: \"a\"\n.1.3.6.1.6.3.10.2.1.1.0 = Hex-STRING: 80 00\n01 02 \n";
        assert_eq!(
            parse_varbinds(text),
            vec![
                (".1.3.6.1.2.1.1.1.0".into(), "STRING: \"a\"".into()),
                (
                    ".1.3.6.1.6.3.10.2.1.1.0".into(),
                    "Hex-STRING: 80 00\n01 02".into()
                ),
            ]
        );
    }

    #[test]
    fn numbers_of_each_type() {
        assert_eq!(parse_number("INTEGER: 7"), Some(7));
        assert_eq!(parse_number("Counter32: 12"), Some(12));
        assert_eq!(parse_number("Timeticks: (42) 0:00:00.42"), Some(42));
        assert_eq!(parse_number("STRING: \"7\""), None);
        assert_eq!(dotted("1.3.6"), ".1.3.6");
        assert_eq!(dotted(".1.3.6"), ".1.3.6");
    }
}
