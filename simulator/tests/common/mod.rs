//! Test harness: runs a real `pdusim` process on a free loopback UDP port and drives it with
//! net-snmp's command-line tools (Debian package `snmp`). Nothing here is mocked: every
//! assertion is about what net-snmp printed or what came back over UDP.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a `pdusim` may take to print its banner (debug builds derive USM keys at start).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a `pdusim` may take to exit after SIGTERM.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Well-known OIDs, written from the MIBs (SNMPv2-MIB, SNMP-FRAMEWORK-MIB, SNMP-USER-BASED-SM-MIB,
// PDU2-MIB), not from anything the simulator prints.
// ---------------------------------------------------------------------------------------------
pub const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
pub const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
pub const SYS_CONTACT: &str = "1.3.6.1.2.1.1.4.0";
pub const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";
pub const SYS_LOCATION: &str = "1.3.6.1.2.1.1.6.0";
pub const SNMP_IN_BAD_COMMUNITY_NAMES: &str = "1.3.6.1.2.1.11.4.0";
pub const SNMP_IN_ASN_PARSE_ERRS: &str = "1.3.6.1.2.1.11.6.0";
pub const SNMP_ENGINE_ID: &str = "1.3.6.1.6.3.10.2.1.1.0";
pub const SNMP_ENGINE_BOOTS: &str = "1.3.6.1.6.3.10.2.1.2.0";
pub const USM_STATS_UNSUPPORTED_SEC_LEVELS: &str = "1.3.6.1.6.3.15.1.1.1.0";
pub const USM_STATS_NOT_IN_TIME_WINDOWS: &str = "1.3.6.1.6.3.15.1.1.2.0";
pub const USM_STATS_UNKNOWN_USER_NAMES: &str = "1.3.6.1.6.3.15.1.1.3.0";
pub const USM_STATS_UNKNOWN_ENGINE_IDS: &str = "1.3.6.1.6.3.15.1.1.4.0";
pub const USM_STATS_WRONG_DIGESTS: &str = "1.3.6.1.6.3.15.1.1.5.0";
pub const USM_STATS_DECRYPTION_ERRORS: &str = "1.3.6.1.6.3.15.1.1.6.0";

pub const RARITAN: &str = "1.3.6.1.4.1.13742.6";
pub const OUTLET_COUNT: &str = "1.3.6.1.4.1.13742.6.3.2.2.1.4.1";
/// switchingOperation column (write 0 off, 1 on, 2 cycle), index 1.N.
pub const SWITCHING_OPERATION_COL: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";
/// outletSwitchingState column (7 on, 8 off), index 1.N.
pub const SWITCHING_STATE_COL: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.3.1";
/// outletName column (read-write), index 1.N.
pub const OUTLET_NAME_COL: &str = "1.3.6.1.4.1.13742.6.3.5.3.1.3.1";

pub const STATE_ON: i64 = 7;
pub const STATE_OFF: i64 = 8;

pub fn control(outlet: u32) -> String {
    format!("{SWITCHING_OPERATION_COL}.{outlet}")
}
pub fn state(outlet: u32) -> String {
    format!("{SWITCHING_STATE_COL}.{outlet}")
}
pub fn outlet_name(outlet: u32) -> String {
    format!("{OUTLET_NAME_COL}.{outlet}")
}

/// net-snmp prints numeric OIDs (`-On`) with a leading dot.
pub fn dotted(oid: &str) -> String {
    if oid.starts_with('.') {
        oid.to_string()
    } else {
        format!(".{oid}")
    }
}

// ---------------------------------------------------------------------------------------------
// The simulator process
// ---------------------------------------------------------------------------------------------

enum StateDir {
    Owned(tempfile::TempDir),
    Given(PathBuf),
}

/// A running `pdusim serve`, stopped with SIGTERM when dropped.
pub struct Sim {
    child: Option<Child>,
    pub port: u16,
    state: StateDir,
    stdout_lines: Arc<Mutex<Vec<String>>>,
    stderr_text: Arc<Mutex<String>>,
}

fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1:0");
    socket.local_addr().expect("local address").port()
}

impl Sim {
    /// Starts `pdusim serve --listen 127.0.0.1:<free port> --state-dir <new temp dir> ARGS`.
    pub fn start(args: &[&str]) -> Sim {
        let dir = tempfile::tempdir().expect("create a temporary state directory");
        Self::start_with(StateDir::Owned(dir), args)
    }

    /// Like [`Sim::start`] with a state directory the caller keeps (for restarts).
    pub fn start_in(state_dir: &Path, args: &[&str]) -> Sim {
        Self::start_with(StateDir::Given(state_dir.to_path_buf()), args)
    }

    fn start_with(state: StateDir, args: &[&str]) -> Sim {
        let state_path = match &state {
            StateDir::Owned(d) => d.path().to_path_buf(),
            StateDir::Given(p) => p.clone(),
        };
        let mut last_failure = String::new();
        for _attempt in 0..5 {
            let port = free_udp_port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_pdusim"))
                .arg("serve")
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .arg("--state-dir")
                .arg(&state_path)
                .args(args)
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn the pdusim binary");

            let stdout_lines = Arc::new(Mutex::new(Vec::new()));
            let stderr_text = Arc::new(Mutex::new(String::new()));
            let (ready_tx, ready_rx) = mpsc::channel::<()>();
            {
                let stdout = child.stdout.take().unwrap();
                let lines = stdout_lines.clone();
                thread::spawn(move || {
                    let mut signalled = false;
                    for line in BufReader::new(stdout).lines() {
                        let Ok(line) = line else { break };
                        let is_ready = line.contains("listening on");
                        lines.lock().unwrap().push(line);
                        if is_ready && !signalled {
                            signalled = true;
                            let _ = ready_tx.send(());
                        }
                    }
                    // Dropping ready_tx tells the waiter the process closed stdout.
                });
            }
            {
                let mut stderr = child.stderr.take().unwrap();
                let text = stderr_text.clone();
                thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stderr.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => text
                                .lock()
                                .unwrap()
                                .push_str(&String::from_utf8_lossy(&buf[..n])),
                        }
                    }
                });
            }

            match ready_rx.recv_timeout(START_DEADLINE) {
                Ok(()) => {
                    return Sim {
                        child: Some(child),
                        port,
                        state,
                        stdout_lines,
                        stderr_text,
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "pdusim printed no \"listening on\" banner within {START_DEADLINE:?}\nstdout: {:?}\nstderr: {}",
                        stdout_lines.lock().unwrap(),
                        stderr_text.lock().unwrap()
                    );
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("wait for pdusim");
                    // Give the stderr reader a moment to drain.
                    thread::sleep(Duration::from_millis(50));
                    let err = stderr_text.lock().unwrap().clone();
                    last_failure = format!(
                        "pdusim exited ({status}) before listening\nstdout: {:?}\nstderr: {err}",
                        stdout_lines.lock().unwrap()
                    );
                    if err.contains("in use") {
                        continue; // someone took the port between our probe and pdusim's bind
                    }
                    panic!("{last_failure}");
                }
            }
        }
        panic!("could not start pdusim on a free port after 5 attempts; last: {last_failure}");
    }

    /// `127.0.0.1:PORT` — the agent address for net-snmp tools.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn state_dir(&self) -> PathBuf {
        match &self.state {
            StateDir::Owned(d) => d.path().to_path_buf(),
            StateDir::Given(p) => p.clone(),
        }
    }

    pub fn stdout(&self) -> Vec<String> {
        self.stdout_lines.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr_text.lock().unwrap().clone()
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends SIGTERM and waits for the process to exit; kills it if it does not within a
    /// deadline (and then panics, since pdusim must stop on SIGTERM).
    pub fn stop(mut self) -> ExitStatus {
        let (status, forced) = self.terminate();
        assert!(
            !forced,
            "pdusim did not exit within {STOP_DEADLINE:?} of SIGTERM (killed it)\nstderr: {}",
            self.stderr()
        );
        status.expect("pdusim exit status")
    }

    /// SIGKILL: no chance to clean up or save anything.
    pub fn kill_hard(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn terminate(&mut self) -> (Option<ExitStatus>, bool) {
        let Some(mut child) = self.child.take() else {
            return (None, false);
        };
        if let Ok(Some(status)) = child.try_wait() {
            return (Some(status), false);
        }
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !sent {
            // no `kill` command: SIGKILL is all std offers
            let _ = child.kill();
            return (child.wait().ok(), true);
        }
        let deadline = Instant::now() + STOP_DEADLINE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return (Some(status), false);
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        (child.wait().ok(), true)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

// ---------------------------------------------------------------------------------------------
// net-snmp tools
// ---------------------------------------------------------------------------------------------

/// SNMPv3 security parameters as net-snmp's `-l/-u/-a/-A/-x/-X` flags spell them.
#[derive(Clone, Debug)]
pub struct V3 {
    pub user: String,
    pub level: &'static str,
    pub auth: Option<(String, String)>,
    pub privacy: Option<(String, String)>,
}

impl V3 {
    pub fn no_auth(user: &str) -> V3 {
        V3 {
            user: user.into(),
            level: "noAuthNoPriv",
            auth: None,
            privacy: None,
        }
    }
    pub fn auth(user: &str, proto: &str, pass: &str) -> V3 {
        V3 {
            user: user.into(),
            level: "authNoPriv",
            auth: Some((proto.into(), pass.into())),
            privacy: None,
        }
    }
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

#[derive(Clone, Debug)]
pub enum Sec {
    V1(String),
    V2c(String),
    V3(V3),
}

impl Sec {
    pub fn v1(c: &str) -> Sec {
        Sec::V1(c.into())
    }
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
    pub cmdline: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Out {
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
            // Hex-STRING values and multi-line strings continue on following lines.
            last.1.push('\n');
            last.1.push_str(line.trim_end());
        }
    }
    out
}

fn netsnmp_env() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary dir for net-snmp config/persistence");
    // net-snmp announces "Created directory: .../cert_indexes" on stderr when it is missing.
    std::fs::create_dir(dir.path().join("cert_indexes")).expect("create cert_indexes");
    dir
}

/// Runs `tool` (e.g. `snmpget`) as `tool -On -r1 -t2 <sec> OPTS TARGET ARGS`.
/// A missing tool is a test failure, never a skip.
pub fn run_tool(tool: &str, sec: &Sec, opts: &[&str], target: &str, args: &[&str]) -> Out {
    // Isolate from /etc/snmp/snmp.conf and ~/.snmp: no MIBs, no defaults, no persistent state.
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

impl Sim {
    pub fn tool(&self, tool: &str, sec: &Sec, opts: &[&str], args: &[&str]) -> Out {
        run_tool(tool, sec, opts, &self.target(), args)
    }
    pub fn get(&self, sec: &Sec, oids: &[&str]) -> Out {
        self.tool("snmpget", sec, &[], oids)
    }
    pub fn getnext(&self, sec: &Sec, oids: &[&str]) -> Out {
        self.tool("snmpgetnext", sec, &[], oids)
    }
    /// `args` as snmpset takes them: OID TYPE VALUE [OID TYPE VALUE ...].
    pub fn set(&self, sec: &Sec, args: &[&str]) -> Out {
        self.tool("snmpset", sec, &[], args)
    }
    pub fn walk(&self, sec: &Sec, root: &str) -> Out {
        self.tool("snmpwalk", sec, &[], &[root])
    }
    pub fn bulkwalk(&self, sec: &Sec, root: &str) -> Out {
        self.tool("snmpbulkwalk", sec, &[], &[root])
    }

    /// GET one object and return its printed value (`INTEGER: 7`), panicking on any error.
    #[track_caller]
    pub fn get_value(&self, sec: &Sec, oid: &str) -> String {
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

    /// GET an INTEGER/Counter32/Gauge32 object as a number.
    #[track_caller]
    pub fn get_number(&self, sec: &Sec, oid: &str) -> i64 {
        let v = self.get_value(sec, oid);
        parse_number(&v).unwrap_or_else(|| panic!("{oid}: not a number: {v}"))
    }
}

/// `INTEGER: 7`, `Counter32: 12`, `Gauge32: 3` → the number.
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

/// Polls `f` until it returns true or the deadline passes.
pub fn wait_until(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        thread::sleep(Duration::from_millis(100));
    }
}
