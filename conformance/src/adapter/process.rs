//! One adapter process: started in its own process group, its stdout read line by line on a
//! thread (so a scenario's single-threaded runtime keeps serving the simulator while it
//! waits), its stderr kept, killed with its whole group when it hangs or is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::{Hello, Reply, Request, PROTOCOL_VERSION};

/// How much of the adapter's stderr is kept (the last bytes), in bytes.
const STDERR_KEPT: usize = 16 * 1024;

/// What went wrong with the adapter itself (not with the driver it wraps).
#[derive(Debug, Clone, PartialEq)]
pub enum AdapterFailure {
    /// No line within the deadline: the process group was killed.
    Hung {
        /// The deadline that ran out.
        after: Duration,
    },
    /// The process ended (or closed stdout) before answering.
    Crashed {
        /// Its exit status, as the OS reports it (`exit status: 1`, `signal: 9`).
        status: String,
    },
    /// A line that is not the JSON object expected.
    NotJson {
        /// The line (cut to 200 characters).
        line: String,
        /// Why it does not parse.
        error: String,
    },
    /// A reply to another request.
    WrongId {
        /// The id sent.
        want: u64,
        /// The id that came back.
        got: u64,
    },
    /// A hello with another protocol version.
    WrongProtocol {
        /// The version the adapter announced.
        got: u32,
    },
    /// The process could not be started or written to.
    Io {
        /// What the OS said.
        message: String,
    },
}

impl std::fmt::Display for AdapterFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdapterFailure::Hung { after } => {
                write!(f, "no reply within {:.1} s; killed", after.as_secs_f64())
            }
            AdapterFailure::Crashed { status } => write!(f, "the adapter ended ({status})"),
            AdapterFailure::NotJson { line, error } => {
                write!(f, "not a protocol line: {line:?} ({error})")
            }
            AdapterFailure::WrongId { want, got } => {
                write!(f, "a reply to request {got}, expected {want}")
            }
            AdapterFailure::WrongProtocol { got } => write!(
                f,
                "the adapter speaks protocol {got}; this runner speaks {PROTOCOL_VERSION}"
            ),
            AdapterFailure::Io { message } => write!(f, "{message}"),
        }
    }
}

/// A running adapter.
pub struct AdapterProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: UnboundedReceiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Closed by the stderr reader when the adapter's stderr reaches its end.
    stderr_done: std::sync::mpsc::Receiver<()>,
    next_id: u64,
    dead: bool,
    /// What the adapter announced.
    pub hello: Hello,
}

impl AdapterProcess {
    /// Starts `command` and reads its [`Hello`] within `deadline`.
    ///
    /// Errors: any [`AdapterFailure`], with the stderr it wrote so far.
    pub async fn start(
        command: &[String],
        deadline: Duration,
    ) -> Result<AdapterProcess, (AdapterFailure, String)> {
        let Some((program, args)) = command.split_first() else {
            return Err((
                AdapterFailure::Io {
                    message: "empty adapter command".into(),
                },
                String::new(),
            ));
        };
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| {
                (
                    AdapterFailure::Io {
                        message: format!("cannot start {program}: {e}"),
                    },
                    String::new(),
                )
            })?;
        let (tx, lines) = unbounded_channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                            if tx.send(line).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (stderr_end, stderr_done) = std::sync::mpsc::channel::<()>();
        if let Some(mut pipe) = child.stderr.take() {
            let kept = stderr.clone();
            std::thread::spawn(move || {
                // Dropped when this thread ends: tells `wait_status` all of stderr is kept.
                let _end = stderr_end;
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let mut k = kept.lock().unwrap_or_else(|p| p.into_inner());
                    k.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    let excess = k.len().saturating_sub(STDERR_KEPT);
                    k.drain(..excess);
                }
            });
        }
        let stdin = child.stdin.take();
        let mut p = AdapterProcess {
            child,
            stdin,
            lines,
            stderr,
            stderr_done,
            next_id: 1,
            dead: false,
            hello: Hello {
                protocol: 0,
                name: String::new(),
                version: String::new(),
                actions: Vec::new(),
                snmp_versions: None,
                stateless: false,
            },
        };
        let hello = match p.read_line(deadline).await {
            Ok(line) => match serde_json::from_str::<Hello>(&line) {
                Ok(h) if h.protocol == PROTOCOL_VERSION => Ok(h),
                Ok(h) => Err(AdapterFailure::WrongProtocol { got: h.protocol }),
                Err(e) => Err(not_json(&line, &e)),
            },
            Err(f) => Err(f),
        };
        match hello {
            Ok(h) => {
                p.hello = h;
                Ok(p)
            }
            Err(f) => {
                p.kill();
                let err = p.stderr_text();
                Err((f, err))
            }
        }
    }

    /// Whether the process was killed or ended (it must be started again).
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Sends `request` (its `id` set here) and waits up to `deadline` for the reply. On any
    /// failure the process is killed.
    pub async fn call(
        &mut self,
        mut request: Request,
        deadline: Duration,
    ) -> Result<Reply, AdapterFailure> {
        let id = self.next_id;
        self.next_id += 1;
        request.id = id;
        request.protocol = PROTOCOL_VERSION;
        let mut line = serde_json::to_string(&request).map_err(|e| AdapterFailure::Io {
            message: format!("cannot encode the request: {e}"),
        })?;
        line.push('\n');
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("stdin closed")),
        };
        if written.is_err() {
            let status = self.wait_status();
            self.kill();
            return Err(AdapterFailure::Crashed { status });
        }
        let result = match self.read_line(deadline).await {
            Ok(line) => match serde_json::from_str::<Reply>(&line) {
                Ok(r) if r.id == id => Ok(r),
                Ok(r) => Err(AdapterFailure::WrongId {
                    want: id,
                    got: r.id,
                }),
                Err(e) => Err(not_json(&line, &e)),
            },
            Err(f) => Err(f),
        };
        if result.is_err() {
            self.kill();
        }
        result
    }

    async fn read_line(&mut self, deadline: Duration) -> Result<String, AdapterFailure> {
        match tokio::time::timeout(deadline, self.lines.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => {
                let status = self.wait_status();
                self.dead = true;
                Err(AdapterFailure::Crashed { status })
            }
            Err(_) => {
                self.kill();
                Err(AdapterFailure::Hung { after: deadline })
            }
        }
    }

    /// The exit status, waiting briefly for a process that closed its stdout (and for the
    /// rest of its stderr, so that what it wrote before exiting is kept).
    fn wait_status(&mut self) -> String {
        for _ in 0..50 {
            if let Ok(Some(s)) = self.child.try_wait() {
                // Ok(()) never comes: the sender is only dropped, when stderr ends (or a
                // grandchild keeps it open: then after a second).
                let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
                return s.to_string();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "still running, stdout closed".into()
    }

    /// What the adapter wrote on stderr so far (the last [`STDERR_KEPT`] bytes).
    pub fn stderr_text(&self) -> String {
        let k = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&k).into_owned()
    }

    /// Forgets the stderr kept so far (between scenarios).
    pub fn clear_stderr(&self) {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Kills the process and everything it started (its process group), then waits for the
    /// rest of its stderr.
    pub fn kill(&mut self) {
        if !self.dead {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = self.child.kill();
        }
        self.stdin = None;
        let _ = self.child.wait();
        // What the adapter wrote on stderr before it was killed is still in the pipe: wait
        // (up to a second, for a grandchild that escaped the group and keeps the pipe open) for
        // the reader to reach the end, so that the caller's `stderr_text` has all of it.
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
        self.dead = true;
    }

    /// Closes stdin (the adapter's cue to exit) and waits up to `grace` before killing it.
    pub fn finish(mut self, grace: Duration) {
        self.stdin = None;
        let steps = grace.as_millis() / 10;
        for _ in 0..steps {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.dead = true;
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }
}

impl Drop for AdapterProcess {
    fn drop(&mut self) {
        if !self.dead {
            self.kill();
        }
    }
}

fn not_json(line: &str, e: &serde_json::Error) -> AdapterFailure {
    AdapterFailure::NotJson {
        line: line.chars().take(200).collect(),
        error: e.to_string(),
    }
}

/// Idle adapter processes of a stateless adapter ([`Hello::stateless`]), reused across
/// scenarios by the threads that run them.
#[derive(Clone, Default)]
pub struct Pool(Arc<Mutex<Vec<AdapterProcess>>>);

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |v| v.len());
        write!(f, "Pool({n} idle)")
    }
}

impl Pool {
    /// An idle process, if there is one.
    pub fn take(&self) -> Option<AdapterProcess> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// Keeps `process` for the next scenario (its stderr forgotten); a dead one is dropped.
    pub fn put(&self, process: AdapterProcess) {
        if !process.is_dead() {
            process.clear_stderr();
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(process);
        }
    }

    /// Ends every idle process.
    pub fn drain(&self) {
        let all: Vec<AdapterProcess> =
            std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        for p in all {
            p.finish(Duration::from_secs(2));
        }
    }
}
