//! One worker: its own UDP socket, one request in flight, sent again as soon as the last one is
//! answered (or at the pace `--rate` sets). Blocking sockets on plain threads: a request costs
//! one `send` and one `recv`, which keeps the generator's own CPU per request low.

use std::collections::HashMap;
use std::io::ErrorKind as IoErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use snmp_proto::usm::{LocalizeError, MasterKeyCache, UsmUser};

use super::args::{Plan, SecuritySpec, Stop};
use super::outcome::{ErrorKind, Tally};
use super::session::{Security, Session, Verdict};

/// Counters the progress line reads while workers run.
#[derive(Default)]
pub struct Progress {
    /// Requests of this worker answered correctly so far.
    pub ok: AtomicU64,
    /// Requests of this worker that failed so far.
    pub errors: AtomicU64,
}

/// What the workers share.
pub struct Shared {
    /// Set when the run is over: workers finish their request in flight and return.
    pub stop: AtomicBool,
    /// Requests handed out (for `--requests`).
    pub issued: AtomicU64,
    /// One [`Progress`] per worker, by worker index.
    pub progress: Vec<Progress>,
    /// The start gate: `None` until every worker is ready, then whether to go.
    gate: Mutex<Option<bool>>,
    gate_open: Condvar,
    /// USM keys by engine ID: turning a password into a key costs a megabyte of hashing, so
    /// it is done once per run ([`MasterKeyCache`]) and localized once per engine, not per
    /// worker.
    keys: Mutex<HashMap<Vec<u8>, Arc<UsmUser>>>,
    master_keys: MasterKeyCache,
}

impl Shared {
    /// The shared state for `workers` workers: not stopped, nothing issued, the gate closed.
    pub fn new(workers: u32) -> Shared {
        Shared {
            stop: AtomicBool::new(false),
            issued: AtomicU64::new(0),
            progress: (0..workers).map(|_| Progress::default()).collect(),
            gate: Mutex::new(None),
            gate_open: Condvar::new(),
            keys: Mutex::new(HashMap::new()),
            master_keys: MasterKeyCache::default(),
        }
    }

    /// Lets the workers start (`go`) or sends them home.
    pub fn open_gate(&self, go: bool) {
        if let Ok(mut g) = self.gate.lock() {
            *g = Some(go);
        }
        self.gate_open.notify_all();
    }

    fn wait_at_gate(&self) -> bool {
        let Ok(mut g) = self.gate.lock() else {
            return false;
        };
        loop {
            if let Some(go) = *g {
                return go;
            }
            g = match self.gate_open.wait(g) {
                Ok(g) => g,
                Err(_) => return false,
            };
        }
    }

    fn keys_for(
        &self,
        engine_id: &[u8],
        security: &SecuritySpec,
    ) -> Result<Arc<UsmUser>, SetupError> {
        // A worker that panicked while holding the cache left nothing half-written in it.
        let mut cache = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(k) = cache.get(engine_id) {
            return Ok(k.clone());
        }
        let keys = Arc::new(derive_keys(engine_id, security, &self.master_keys)?);
        cache.insert(engine_id.to_vec(), keys.clone());
        Ok(keys)
    }
}

fn derive_keys(
    engine_id: &[u8],
    security: &SecuritySpec,
    master_keys: &MasterKeyCache,
) -> Result<UsmUser, SetupError> {
    let SecuritySpec::Usm {
        user,
        auth,
        privacy,
        ..
    } = security
    else {
        return Err(SetupError::NotV3);
    };
    UsmUser::localize(
        user.as_bytes(),
        auth.as_ref().map(|(proto, password)| (*proto, password)),
        privacy.as_ref().map(|(proto, password)| (*proto, password)),
        engine_id,
        master_keys,
    )
    .map_err(|e| match e {
        LocalizeError::AuthPassword(source) => SetupError::Key {
            flag: "--auth-key",
            source,
        },
        LocalizeError::PrivPassword(source) => SetupError::Key {
            flag: "--priv-key",
            source,
        },
        LocalizeError::PrivWithoutAuth => SetupError::Args(super::args::ArgError::PrivWithoutAuth),
    })
}

/// A worker that could not get going, and why (shown to the user as is).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A password too short for SNMPv3 keys.
    #[error("{flag}: {source}")]
    Key {
        /// The flag that gave the password.
        flag: &'static str,
        /// What is wrong with it.
        source: snmp_proto::usm::KeyError,
    },
    /// A combination of flags that cannot work.
    #[error(transparent)]
    Args(super::args::ArgError),
    /// Keys were asked for on a v1/v2c run (a bug).
    #[error("not an SNMPv3 run")]
    NotV3,
    /// The UDP socket could not be opened, connected or configured.
    #[error("{what}: {source}")]
    Socket {
        /// What was being done.
        what: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// No usable discovery answer.
    #[error("engine discovery with {target} failed ({last}): is an SNMPv3 agent listening there?")]
    Discovery {
        /// The agent's address as given.
        target: String,
        /// The last failure seen.
        last: ErrorKind,
    },
    /// The request made before the run failed.
    #[error("the first request to {target} failed with {kind}: {hint}")]
    FirstRequest {
        /// The agent's address as given.
        target: String,
        /// How it failed.
        kind: ErrorKind,
        /// What to check.
        hint: &'static str,
    },
}

struct Worker<'p> {
    plan: &'p Plan,
    socket: UdpSocket,
    session: Session,
    out: Vec<u8>,
    inbound: Vec<u8>,
}

enum Outcome {
    Ok(Duration),
    Failed(ErrorKind),
}

impl<'p> Worker<'p> {
    fn new(plan: &'p Plan, index: u32, salt_seed: u64) -> Result<Worker<'p>, SetupError> {
        let local: SocketAddr = match plan.target {
            SocketAddr::V4(a) if a.ip().is_loopback() => ([127, 0, 0, 1], 0).into(),
            SocketAddr::V4(_) => ([0, 0, 0, 0], 0).into(),
            SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = UdpSocket::bind(local).map_err(|source| SetupError::Socket {
            what: "cannot open a UDP socket".into(),
            source,
        })?;
        socket
            .connect(plan.target)
            .map_err(|source| SetupError::Socket {
                what: format!("cannot reach {}", plan.target_text),
                source,
            })?;
        socket
            .set_read_timeout(Some(plan.timeout))
            .map_err(|source| SetupError::Socket {
                what: "cannot set a socket timeout".into(),
                source,
            })?;
        let security = match &plan.security {
            SecuritySpec::Community { version, community } => Security::Community {
                version: *version,
                community: community.clone(),
            },
            SecuritySpec::Usm { user, context, .. } => Security::Usm {
                // Filled in after discovery.
                keys: Arc::new(UsmUser {
                    name: user.as_bytes().to_vec(),
                    auth: None,
                    privacy: None,
                }),
                context: context.clone(),
            },
        };
        Ok(Worker {
            plan,
            socket,
            session: Session::new(security, &plan.spec, index, salt_seed),
            out: Vec::with_capacity(1500),
            inbound: vec![0; 65536],
        })
    }

    /// Sends what is in `out` and waits for the answer to `pending`, until the deadline.
    fn exchange(
        &mut self,
        pending: super::session::Pending,
        tally: &mut Tally,
        judge: impl Fn(&mut Session, &[u8]) -> Verdict,
    ) -> Outcome {
        let sent_at = Instant::now();
        if self.socket.send(&self.out).is_err() {
            return Outcome::Failed(ErrorKind::Network);
        }
        let deadline = sent_at + self.plan.timeout;
        let mut timeout_changed = false;
        let outcome = loop {
            match self.socket.recv(&mut self.inbound) {
                Ok(n) => {
                    let datagram = self.inbound.get(..n).unwrap_or(&[]);
                    match judge(&mut self.session, datagram) {
                        Verdict::Ok => break Outcome::Ok(sent_at.elapsed()),
                        Verdict::Failed(kind) => break Outcome::Failed(kind),
                        Verdict::Late => tally.late += 1,
                        Verdict::Stray(kind) => tally.error(kind),
                    }
                }
                Err(e) if matches!(e.kind(), IoErrorKind::WouldBlock | IoErrorKind::TimedOut) => {
                    break Outcome::Failed(ErrorKind::Timeout)
                }
                Err(e) if e.kind() == IoErrorKind::Interrupted => {}
                // ICMP port unreachable from an earlier send, or the like.
                Err(_) => break Outcome::Failed(ErrorKind::Network),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Outcome::Failed(ErrorKind::Timeout);
            }
            // Wait only for what is left of this request's time.
            let _ = self.socket.set_read_timeout(Some(left));
            timeout_changed = true;
        };
        if timeout_changed {
            let _ = self.socket.set_read_timeout(Some(self.plan.timeout));
        }
        let _ = pending;
        outcome
    }

    /// SNMPv3: learns the engine and derives the keys for it.
    fn discover(&mut self, shared: &Shared) -> Result<(), SetupError> {
        let mut scratch = Tally::default();
        let mut last = ErrorKind::Timeout;
        for _ in 0..3 {
            let pending = self.session.encode_discovery(&mut self.out);
            let mut learned = None;
            let outcome = self.exchange(pending, &mut scratch, |session, datagram| {
                match session.learn_engine(pending, datagram) {
                    Ok(_) => Verdict::Ok,
                    Err(ErrorKind::Mismatched) => Verdict::Late,
                    Err(k) => Verdict::Failed(k),
                }
            });
            if let Outcome::Ok(_) = outcome {
                learned = self.session.engine.clone();
            }
            match (learned, outcome) {
                (Some(engine), _) => {
                    let keys = shared.keys_for(&engine.engine_id, &self.plan.security)?;
                    if let Security::Usm { keys: k, .. } = &mut self.session.security {
                        *k = keys;
                    }
                    return Ok(());
                }
                (None, Outcome::Failed(kind)) => last = kind,
                (None, Outcome::Ok(_)) => {}
            }
        }
        Err(SetupError::Discovery {
            target: self.plan.target_text.clone(),
            last,
        })
    }

    /// One request before the run, so a wrong port, community or password stops the run with
    /// a reason instead of a wall of errors. A first notInTimeWindow Report (an agent whose
    /// discovery Report left out its clock) is answered by trying again with the clock it gave.
    fn probe(&mut self) -> Result<(), SetupError> {
        let mut scratch = Tally::default();
        for attempt in 0..2 {
            let outcome = self.one_request(&mut scratch);
            match outcome {
                Outcome::Ok(_) => return Ok(()),
                Outcome::Failed(ErrorKind::Report("usmStatsNotInTimeWindows")) if attempt == 0 => {}
                Outcome::Failed(kind) => return Err(self.explain(kind)),
            }
        }
        Err(self.explain(ErrorKind::Report("usmStatsNotInTimeWindows")))
    }

    fn explain(&self, kind: ErrorKind) -> SetupError {
        let target = &self.plan.target_text;
        let hint = match (kind, &self.plan.security) {
            (ErrorKind::Timeout, SecuritySpec::Community { .. }) => {
                "is the agent running there, and is the community right? (agents ignore unknown communities)"
            }
            (ErrorKind::Timeout, _) => "is the agent running there?",
            (ErrorKind::Report("usmStatsUnknownUserNames"), _) => "the agent does not know --user",
            (ErrorKind::Report("usmStatsWrongDigests"), _) => "check --auth and --auth-key",
            (ErrorKind::Report("usmStatsDecryptionErrors"), _) => "check --priv and --priv-key",
            (ErrorKind::Report("usmStatsUnsupportedSecLevels"), _) => {
                "the user has no keys for this security level: check --auth/--priv"
            }
            (ErrorKind::Report("snmpUnknownContexts"), _) => "check --context",
            (ErrorKind::NoSuchObject | ErrorKind::NoSuchInstance, _) => {
                "the agent does not have that OID: check --oid"
            }
            (ErrorKind::ErrorStatus(_), _) => {
                "check --oid, --op and --set-value (and write access for SET)"
            }
            (ErrorKind::Network, _) => "nothing listens on that port?",
            _ => "the agent's answer does not match the request",
        };
        SetupError::FirstRequest {
            target: target.clone(),
            kind,
            hint,
        }
    }

    fn one_request(&mut self, tally: &mut Tally) -> Outcome {
        let pending = self.session.encode_request(&mut self.out);
        let plan = self.plan;
        let spec = &plan.spec;
        self.exchange(pending, tally, |session, datagram| {
            session.check_reply(pending, spec, datagram)
        })
    }

    fn run(&mut self, shared: &Shared, progress: &Progress) -> Tally {
        let mut tally = Tally::default();
        let interval = self
            .plan
            .rate
            .map(|r| Duration::from_secs_f64(f64::from(self.plan.concurrency) / r));
        let mut next_send = Instant::now();
        let limit = match self.plan.stop {
            Stop::Requests(n) => Some(n),
            Stop::After(_) => None,
        };
        while !shared.stop.load(Ordering::Relaxed) {
            if let Some(limit) = limit {
                if shared.issued.fetch_add(1, Ordering::Relaxed) >= limit {
                    break;
                }
            }
            if let Some(interval) = interval {
                let now = Instant::now();
                if next_send > now {
                    std::thread::sleep(next_send - now);
                }
                // Late by more than one interval: do not burst to catch up.
                next_send = (next_send + interval).max(now);
            }
            match self.one_request(&mut tally) {
                Outcome::Ok(latency) => {
                    tally.ok += 1;
                    tally.latency.record(latency);
                    progress.ok.fetch_add(1, Ordering::Relaxed);
                }
                Outcome::Failed(kind) => {
                    tally.error(kind);
                    progress.errors.fetch_add(1, Ordering::Relaxed);
                    if kind == ErrorKind::Network {
                        // Nothing listens: do not spin.
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            }
        }
        tally
    }
}

/// A worker's whole life: set up, report readiness, wait for the start, run.
pub fn work(
    plan: &Plan,
    shared: &Shared,
    index: u32,
    salt_seed: u64,
    ready: std::sync::mpsc::Sender<Result<(), SetupError>>,
) -> Tally {
    let setup = (|| {
        let mut worker = Worker::new(plan, index, salt_seed)?;
        if matches!(plan.security, SecuritySpec::Usm { .. }) {
            worker.discover(shared)?;
        }
        worker.probe()?;
        Ok(worker)
    })();
    let mut worker = match setup {
        Ok(w) => {
            let _ = ready.send(Ok(()));
            w
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return Tally::default();
        }
    };
    if !shared.wait_at_gate() {
        return Tally::default();
    }
    let Some(progress) = shared.progress.get(index as usize) else {
        return Tally::default();
    };
    worker.run(shared, progress)
}
