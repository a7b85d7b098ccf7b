//! `pdusim serve` as a child process on ports the system picked.
//!
//! The process is started with `--listen 127.0.0.1:0` (and `--control 127.0.0.1:0` when asked)
//! and the ports it got are read back from what it prints once its sockets are bound:
//!
//! ```text
//! pdusim: PDU "px2" (raritan-px2, 8 outlets) listening on 127.0.0.1:40123
//!   control API: http://127.0.0.1:40124/pdus
//! ```
//!
//! pdusim binds every address before it prints its banner, and the control API's listener
//! before its line, so both are ready (requests queue in the kernel) when they are read.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::netsnmp::NetSnmp;

/// How long a `pdusim` may take to print its banner (debug builds derive USM keys at start).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a `pdusim` may take to exit after SIGTERM (it flushes queued state writes first).
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// The `pdusim` binary of this workspace, for tests of crates other than the simulator (which
/// use `env!("CARGO_BIN_EXE_pdusim")`): `cargo build -p pdusim --bin pdusim` with the profile
/// the running test was built with, once per test process so that it is never stale, then
/// found next to the test executable's `deps/` folder (`target/<profile>/pdusim`). A failed
/// build fails the test.
pub fn workspace_pdusim() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the path of the running test executable");
        // target/<profile>/deps/<test>-<hash> -> target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .unwrap_or_else(|| panic!("{} is not in target/<profile>/deps", exe.display()));
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_string(),
            Some(other) => other.to_string(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root above test-support/");
        let status = Command::new(&cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "pdusim",
                "--bin",
                "pdusim",
                "--profile",
            ])
            .arg(&profile)
            .current_dir(workspace)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {cargo:?} build -p pdusim: {e}"));
        assert!(
            status.success(),
            "cargo build -p pdusim --profile {profile} failed ({status})"
        );
        let bin = profile_dir.join(format!("pdusim{}", std::env::consts::EXE_SUFFIX));
        assert!(
            bin.exists(),
            "{} is missing after cargo build -p pdusim --profile {profile}",
            bin.display()
        );
        bin
    })
    .clone()
}

enum StateDir {
    Owned(tempfile::TempDir),
    Given(PathBuf),
}

impl StateDir {
    fn path(&self) -> &Path {
        match self {
            StateDir::Owned(d) => d.path(),
            StateDir::Given(p) => p,
        }
    }
}

/// How to start a [`PdusimProcess`]: made by [`PdusimProcess::builder`].
#[must_use = "a builder does nothing until start() is called"]
pub struct PdusimBuilder {
    bin: PathBuf,
    args: Vec<OsString>,
    state_dir: Option<PathBuf>,
    control: bool,
    listen: Option<String>,
}

impl PdusimBuilder {
    /// Appends arguments after `serve --listen 127.0.0.1:0 --state-dir DIR` (quick flags such
    /// as `--vendor`, `--outlets`, `--community`, `--user`; not `--listen` or `--config`).
    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Keeps state in `dir`, which the caller owns (to restart on the same state); by default
    /// each process gets a temporary directory of its own, removed with it.
    pub fn state_dir(mut self, dir: &Path) -> Self {
        self.state_dir = Some(dir.to_path_buf());
        self
    }

    /// Listens on `addr` (e.g. `127.1.0.1:16100`, for `--count N --spread address`) instead of
    /// `127.0.0.1:0`.
    pub fn listen(mut self, addr: &str) -> Self {
        self.listen = Some(addr.to_owned());
        self
    }

    /// Serves the control API too, on `127.0.0.1:0`; [`PdusimProcess::control_port`] says where.
    pub fn control(mut self) -> Self {
        self.control = true;
        self
    }

    /// Starts the process and waits until it is listening (at most a minute); panics with what
    /// it printed if it exits or stays silent instead.
    pub fn start(self) -> PdusimProcess {
        let state = match self.state_dir {
            Some(dir) => StateDir::Given(dir),
            None => StateDir::Owned(
                tempfile::tempdir().expect("create a temporary state directory for pdusim"),
            ),
        };
        let mut cmd = Command::new(&self.bin);
        cmd.args(["serve", "--listen"])
            .arg(self.listen.as_deref().unwrap_or("127.0.0.1:0"))
            .arg("--state-dir")
            .arg(state.path());
        if self.control {
            cmd.args(["--control", "127.0.0.1:0"]);
        }
        let mut child = cmd
            .args(&self.args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));

        let stdout_lines = Arc::new(Mutex::new(Vec::new()));
        let stderr_text = Arc::new(Mutex::new(String::new()));
        let (events, ready) = mpsc::channel::<Event>();
        {
            let stdout = child.stdout.take().expect("pdusim's stdout is piped");
            let lines = stdout_lines.clone();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let event = parse_line(&line);
                    lock(&lines).push(line);
                    if let Some(event) = event {
                        let _ = events.send(event);
                    }
                }
                // Dropping `events` tells the waiter that the process closed its stdout.
            });
        }
        let stderr_reader = {
            let mut stderr = child.stderr.take().expect("pdusim's stderr is piped");
            let text = stderr_text.clone();
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match stderr.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => lock(&text).push_str(&String::from_utf8_lossy(&buf[..n])),
                    }
                }
            })
        };

        let mut process = PdusimProcess {
            child: Some(child),
            addresses: Vec::new(),
            control: None,
            state,
            stdout_lines,
            stderr_text,
            stderr_reader: Some(stderr_reader),
        };
        let end = Instant::now() + START_DEADLINE;
        while process.addresses.is_empty() || (self.control && process.control.is_none()) {
            match ready.recv_timeout(end.saturating_duration_since(Instant::now())) {
                Ok(Event::Listening(addrs)) => {
                    if process.addresses.is_empty() {
                        process.addresses = addrs;
                    }
                }
                Ok(Event::Control(addr)) => process.control = Some(addr),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = process.terminate();
                    panic!(
                        "pdusim ({}) printed no \"listening on\"{} line within {START_DEADLINE:?}\n{}",
                        self.bin.display(),
                        if self.control { " and \"control API\"" } else { "" },
                        process.log()
                    );
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = process.child.as_mut().map(Child::wait);
                    if let Some(reader) = process.stderr_reader.take() {
                        let _ = reader.join();
                    }
                    panic!(
                        "pdusim ({}) exited ({status:?}) before it was listening\n{}",
                        self.bin.display(),
                        process.log()
                    );
                }
            }
        }
        process
    }
}

enum Event {
    /// A PDU's banner: the addresses it answers on.
    Listening(Vec<SocketAddr>),
    /// The control API's bound address.
    Control(SocketAddr),
}

/// `pdusim: PDU "px2" (raritan-px2, 8 outlets) listening on 127.0.0.1:40123, 127.0.0.1:40124`,
/// `pdusim: 1000 PDUs listening on 1000 addresses (127.0.0.1:20000 .. 127.0.0.1:20999)` and
/// `  control API: http://127.0.0.1:40125/pdus`.
fn parse_line(line: &str) -> Option<Event> {
    if let Some(rest) = line.trim_start().strip_prefix("control API: http://") {
        let addr = rest.split('/').next()?.parse().ok()?;
        return Some(Event::Control(addr));
    }
    let (_, listen) = line
        .strip_prefix("pdusim: ")?
        .split_once(" listening on ")?;
    let listen = match listen.split_once(" addresses (") {
        Some((_, range)) => range.split(" .. ").next()?,
        None => listen,
    };
    let addrs: Vec<SocketAddr> = listen
        .split(", ")
        .map(|a| a.trim().parse())
        .collect::<Result<_, _>>()
        .ok()?;
    (!addrs.is_empty()).then_some(Event::Listening(addrs))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running `pdusim serve`, listening on a port the system picked; stopped with SIGTERM (and
/// killed if it does not exit within 10 s) when dropped.
pub struct PdusimProcess {
    child: Option<Child>,
    addresses: Vec<SocketAddr>,
    control: Option<SocketAddr>,
    state: StateDir,
    stdout_lines: Arc<Mutex<Vec<String>>>,
    stderr_text: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl PdusimProcess {
    /// `bin serve --listen 127.0.0.1:0 --state-dir <new temp dir> ARGS`, waited for until it
    /// listens. `bin` is `env!("CARGO_BIN_EXE_pdusim")` in the simulator's tests,
    /// [`workspace_pdusim`] elsewhere.
    pub fn start(bin: impl AsRef<Path>, args: &[&str]) -> PdusimProcess {
        Self::builder(bin).args(args).start()
    }

    /// A process to configure (state directory, control API, arguments) before starting it.
    pub fn builder(bin: impl AsRef<Path>) -> PdusimBuilder {
        PdusimBuilder {
            bin: bin.as_ref().to_path_buf(),
            args: Vec::new(),
            state_dir: None,
            control: false,
            listen: None,
        }
    }

    /// The UDP port the (first) PDU answers on.
    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// The address the (first) PDU answers on, as its banner printed it.
    pub fn addr(&self) -> SocketAddr {
        self.addresses[0]
    }

    /// The TCP port of the control API (`None` unless [`PdusimBuilder::control`] was asked for).
    pub fn control_port(&self) -> Option<u16> {
        self.control.map(|a| a.port())
    }

    /// Sends `method path` with a JSON `body` (empty: none) to the control API over plain
    /// HTTP/1.1 and returns the status code and the whole response (headers and body).
    ///
    /// Panics when the process has no control API or the answer is not HTTP.
    pub fn control_request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::Write;
        let port = self
            .control_port()
            .expect("control_request needs PdusimBuilder::control()");
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the control API");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("write the request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read the response");
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
        (status, response)
    }

    /// The state directory the process was given.
    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    /// Every line it printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        lock(&self.stdout_lines).clone()
    }

    /// Everything it printed on stderr so far.
    pub fn stderr(&self) -> String {
        lock(&self.stderr_text).clone()
    }

    /// stdout and stderr so far, for failure messages.
    pub fn log(&self) -> String {
        format!(
            "--- pdusim stdout ---\n{}\n--- pdusim stderr ---\n{}",
            self.stdout().join("\n"),
            self.stderr()
        )
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends SIGTERM and waits for the process to exit; panics if it had to be killed after
    /// 10 s instead, since pdusim must stop on SIGTERM.
    pub fn stop(mut self) -> ExitStatus {
        let (status, forced) = self.terminate();
        assert!(
            !forced,
            "pdusim did not exit within {STOP_DEADLINE:?} of SIGTERM (killed it)\n{}",
            self.log()
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
        match self.child.take() {
            Some(mut child) => crate::child::terminate(&mut child, STOP_DEADLINE),
            None => (None, false),
        }
    }
}

impl NetSnmp for PdusimProcess {
    fn target(&self) -> String {
        self.addr().to_string()
    }
}

impl Drop for PdusimProcess {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_lines() {
        let Some(Event::Listening(a)) = parse_line(
            "pdusim: PDU \"px2\" (raritan-px2, 8 outlets) listening on 127.0.0.1:40123, 127.0.0.1:40124",
        ) else {
            panic!("not a banner")
        };
        assert_eq!(
            a,
            vec![
                "127.0.0.1:40123".parse::<SocketAddr>().expect("addr"),
                "127.0.0.1:40124".parse().expect("addr")
            ]
        );
        let Some(Event::Listening(a)) = parse_line(
            "pdusim: 1000 PDUs listening on 1000 addresses (127.0.0.1:20000 .. 127.0.0.1:20999), started in 0.50 s",
        ) else {
            panic!("not a summary")
        };
        assert_eq!(a, vec!["127.0.0.1:20000".parse().expect("addr")]);
        let Some(Event::Control(c)) = parse_line("  control API: http://127.0.0.1:40125/pdus")
        else {
            panic!("not the control line")
        };
        assert_eq!(c.port(), 40125);
        assert!(parse_line("  snmpEngineID 80001f88  snmpEngineBoots 1").is_none());
        assert!(parse_line("    snmpwalk -v2c -c public 127.0.0.1:40123 1.3.6").is_none());
    }
}
