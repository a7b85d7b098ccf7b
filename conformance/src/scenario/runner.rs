//! Runs one scenario: its PDUs on an in-process simulator (free loopback port, state in
//! memory, a manual clock), the driver against them, and each step recorded — the action,
//! its outcome, outlet states after it and the counters that moved.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pdu_driver::{OutletRef, Pdu, Verification};
use pdusim::clock::ManualClock;
use pdusim::control::{EngineChange, NewFault, OutletChange};
use pdusim::launch::Simulator;
use pdusim::stats::{read, AgentStats};
use snmp_proto::{PduType, Value, VarBind, Version};

use super::format::{OutletArg, Scenario, Step, StepKind};
use super::raw::{self, RawRequest};
use super::record::{to_yaml, Node};
use crate::adapter::process::{AdapterFailure, AdapterProcess, Pool};
use crate::adapter::{Connection, Hello, Request, ACTIONS, NOT_SUPPORTED, PROTOCOL_VERSION};

/// The result of one run.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The snapshot body (YAML), redacted.
    pub text: String,
    /// Expectations that did not hold, each naming its step and line.
    pub failures: Vec<String>,
    /// Driver steps that did not end within their deadline, each naming its step and line.
    pub hung: Vec<String>,
    /// Why the scenario cannot judge this driver (an SNMP version it does not speak, an
    /// action it lacks on a step that switches); `None` when it could.
    pub not_applicable: Option<String>,
    /// What the driver did at each driver step, one line each (`off 2: ok`,
    /// `off 2: SNMPError: ...`, `state 2: off`, `detect: n/a`), redacted like the record.
    pub driver_steps: Vec<String>,
    /// The scenario's description.
    pub description: String,
    /// What the adapter wrote on stderr (empty for `pductl`).
    pub stderr: String,
}

/// The driver a scenario runs against.
#[derive(Clone, Copy)]
pub enum Under<'a> {
    /// `pdu-driver`, in-process: every expectation applies, its own included.
    Pductl,
    /// An adapter process: started for the scenario, reused across its steps; judged by the
    /// driver-neutral expectations.
    Adapter {
        /// The program and its arguments.
        command: &'a [String],
        /// What it announced when first started (decides which scenarios are n/a).
        hello: &'a Hello,
        /// Idle processes of a stateless adapter, reused across scenarios.
        pool: &'a Pool,
    },
}

/// How long an adapter has to start and say hello.
pub const HELLO_DEADLINE: Duration = Duration::from_secs(30);

/// Why `scenario` cannot judge the driver that announced `hello`, if it cannot: an SNMP
/// version the driver does not speak, or a step that switches with an action (or an outlet
/// by name) the adapter protocol or the driver lacks. Read-only steps the driver lacks are
/// n/a one by one instead.
pub fn applicability(scenario: &Scenario, hello: &Hello) -> Option<String> {
    let version = scenario.driver_config.version.to_string();
    let uses_driver = scenario.steps.iter().any(|s| s.kind.is_driver_action());
    if uses_driver && !hello.speaks(&version) {
        return Some(format!(
            "SNMP version {version}: the driver speaks only {}",
            hello.snmp_versions.clone().unwrap_or_default().join(", ")
        ));
    }
    for step in &scenario.steps {
        if !step.kind.changes_outlets() {
            continue;
        }
        let action = step.kind.name();
        if !ACTIONS.contains(&action) || !hello.supports(action) {
            return Some(format!("the driver has no action `{action}`"));
        }
        if matches!(step.file.outlet, Some(OutletArg::Name(_))) {
            return Some("outlets by name are not part of the adapter protocol".into());
        }
    }
    if !scenario.steps.iter().any(|s| {
        s.kind.is_driver_action()
            && ACTIONS.contains(&s.kind.name())
            && hello.supports(s.kind.name())
            && !matches!(s.file.outlet, Some(OutletArg::Name(_)))
    }) {
        return Some("no step uses an action the driver has".into());
    }
    None
}

/// The deadline of a driver step: `expect_within_ms`, else the connection's timeout ×
/// (retries + 1) × 2 + the cycle delay + 10 s.
pub fn step_deadline(scenario: &Scenario, step: &Step) -> Duration {
    if let Some(ms) = step.file.expect_within_ms {
        return Duration::from_millis(ms);
    }
    let c = &scenario.driver_config;
    c.timeout
        .saturating_mul(c.retries.saturating_add(1).saturating_mul(2))
        .saturating_add(c.cycle_delay)
        .saturating_add(Duration::from_secs(10))
}

struct AdapterState {
    command: Vec<String>,
    hello: Hello,
    process: Option<AdapterProcess>,
    stderr: String,
    pool: Pool,
}

fn counters(stats: &AgentStats) -> [(&'static str, u32); 10] {
    [
        (
            "usmStatsUnsupportedSecLevels",
            read(&stats.usm_unsupported_sec_levels),
        ),
        (
            "usmStatsNotInTimeWindows",
            read(&stats.usm_not_in_time_windows),
        ),
        (
            "usmStatsUnknownUserNames",
            read(&stats.usm_unknown_user_names),
        ),
        (
            "usmStatsUnknownEngineIDs",
            read(&stats.usm_unknown_engine_ids),
        ),
        ("usmStatsWrongDigests", read(&stats.usm_wrong_digests)),
        (
            "usmStatsDecryptionErrors",
            read(&stats.usm_decryption_errors),
        ),
        ("snmpUnknownContexts", read(&stats.snmp_unknown_contexts)),
        (
            "snmpInBadCommunityNames",
            read(&stats.snmp_in_bad_community_names),
        ),
        ("snmpInBadVersions", read(&stats.snmp_in_bad_versions)),
        ("snmpInASNParseErrs", read(&stats.snmp_in_asn_parse_errs)),
    ]
}

/// `Timeout`, `WrongDigest`, ...: the variant's name, from its Debug form.
pub fn variant_name(e: &pdu_driver::Error) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// How a step ended.
enum Outcome {
    Ok(Node),
    Err {
        variant: String,
        message: String,
    },
    /// The driver lacks this action (or said NotSupported).
    NotApplicable(String),
    /// The adapter hung, crashed or broke the protocol (stderr kept).
    Adapter(AdapterFailure, String),
}

struct Ctx<'a> {
    scenario: &'a Scenario,
    sim: Simulator,
    clock: Arc<ManualClock>,
    driver: Result<Pdu, (String, String)>,
    /// Driver steps with `pdu = "name"` naming another PDU: one `Pdu` per such PDU, made on
    /// first use with the driver's settings and that PDU's address.
    others: std::collections::HashMap<String, Result<Pdu, (String, String)>>,
    adapter: Option<AdapterState>,
    target: SocketAddr,
}

/// Runs `scenario` against `pdu-driver` on the current tokio runtime.
pub async fn run(scenario: &Scenario) -> Result<Run, String> {
    run_with(scenario, Under::Pductl).await
}

/// Runs `scenario` against the driver `under` on the current tokio runtime. A scenario that
/// cannot judge an adapter ([`applicability`]) is not run: its [`Run`] only says why.
pub async fn run_with(scenario: &Scenario, under: Under<'_>) -> Result<Run, String> {
    if let Under::Adapter { hello, .. } = under {
        if let Some(why) = applicability(scenario, hello) {
            return Ok(Run {
                text: format!("n/a: {}\n", serde_json::to_string(&why).unwrap_or_default()),
                not_applicable: Some(why),
                description: scenario.description.clone(),
                ..Run::default()
            });
        }
    }
    let clock = Arc::new(ManualClock::default());
    // `receive_notifications`: every PDU traps (v2c, community public) to a socket held here.
    let mut pdus = scenario.pdus.clone();
    let receiver = if scenario.receive_notifications {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .map_err(|e| format!("cannot bind the notification receiver: {e}"))?;
        let address = socket
            .local_addr()
            .map_err(|e| format!("cannot bind the notification receiver: {e}"))?;
        for (spec, _) in &mut pdus {
            spec.notify.push(pdusim::notification::NotifyTarget {
                address,
                version: pdusim::notification::NotifyVersion::V2c,
                kind: pdusim::notification::NotifyKind::Trap,
                community: "public".to_string().into(),
                user: None,
                timeout: Duration::from_secs(1),
                retries: 0,
            });
        }
        Some(socket)
    } else {
        None
    };
    let sim = Simulator::start(pdus, clock.clone())
        .map_err(|e| format!("the simulator did not start: {e}"))?;
    let mut redactions: Vec<(String, String)> = Vec::new();
    let mut closed_port = None;
    let target = if scenario.closed_port {
        // Bind and drop: nothing listens there afterwards, so the host answers "port unreachable".
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map_err(|e| format!("cannot find a free port: {e}"))?;
        closed_port = Some(port);
        port
    } else {
        sim.address(&scenario.driver_pdu)
            .ok_or_else(|| format!("the simulator has no PDU {:?}", scenario.driver_pdu))?
    };
    for (_, addr) in &sim.addresses {
        redactions.push((addr.to_string(), "127.0.0.1:[port]".into()));
    }
    if let Under::Adapter { .. } = under {
        // An adapter's messages and stderr are its own: keep the secrets it was given out of
        // the record, whatever it echoes.
        use snmp_proto::usm::ExposeSecret;
        let c = &scenario.driver_config;
        for (secret, label) in [
            (c.auth_key.expose_secret(), "[auth-key]"),
            (c.priv_key.expose_secret(), "[priv-key]"),
            (c.community.expose_secret(), "[community]"),
        ] {
            if !secret.is_empty() {
                redactions.push((secret.to_string(), label.into()));
            }
        }
    }
    if let Some(p) = closed_port {
        redactions.push((p.to_string(), "127.0.0.1:[closed-port]".into()));
    }
    for info in sim.control.pdus() {
        // Readings jitter unless frozen; a snapshot needs the same numbers every run.
        let _ = sim.control.freeze_meters(&info.name, true);
    }
    let mut config = scenario.driver_config.clone();
    config.port = target.port();
    let (driver, adapter) = match under {
        Under::Pductl => (
            Pdu::new(config).map_err(|e| (variant_name(&e), e.to_string())),
            None,
        ),
        Under::Adapter {
            command,
            hello,
            pool,
        } => (
            Err(("Adapter".into(), "not the in-process driver".into())),
            Some(AdapterState {
                command: command.to_vec(),
                hello: hello.clone(),
                process: if hello.stateless { pool.take() } else { None },
                stderr: String::new(),
                pool: pool.clone(),
            }),
        ),
    };
    let mut ctx = Ctx {
        scenario,
        sim,
        clock,
        driver,
        others: std::collections::HashMap::new(),
        adapter,
        target,
    };

    let mut steps = Vec::new();
    let mut failures = Vec::new();
    let mut hung = Vec::new();
    let mut not_applicable = None;
    let mut driver_steps = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let number = i + 1;
        let f = &step.file;
        if let Some(ms) = f.advance_ms {
            ctx.clock.advance(Duration::from_millis(ms));
        }
        if let Some(ms) = f.sleep_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let before = ctx.all_counters();
        let outcome = ctx.act(step).await;
        let after = ctx.all_counters();
        let mut rec = Node::map()
            .with("step", number)
            .with("do", describe_step(step));
        if let Some(ms) = f.advance_ms {
            rec.push("advance_ms", i64::try_from(ms).unwrap_or(i64::MAX));
        }
        if let Some(ms) = f.sleep_ms {
            rec.push("sleep_ms", i64::try_from(ms).unwrap_or(i64::MAX));
        }
        let kind_key = if ctx.adapter.is_some() {
            "type"
        } else {
            "variant"
        };
        let mut stop = false;
        if step.kind.is_driver_action() {
            let what = match &step.file.outlet {
                Some(o) => format!("{} {o}", step.kind.name()),
                None => step.kind.name().to_string(),
            };
            let said = match &outcome {
                Outcome::Ok(Node::Map(entries)) => entries
                    .iter()
                    .find(|(k, _)| k == "state")
                    .and_then(|(_, v)| match v {
                        Node::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_else(|| "ok".into()),
                Outcome::Ok(_) => "ok".into(),
                Outcome::Err { variant, message } => format!("{variant}: {message}"),
                Outcome::NotApplicable(_) => "n/a".into(),
                Outcome::Adapter(f, _) => f.to_string(),
            };
            driver_steps.push(format!("{what}: {said}"));
        }
        match &outcome {
            Outcome::Ok(node) => rec.push("ok", node.clone()),
            Outcome::Err { variant, message } => rec.push(
                "error",
                Node::map().with(kind_key, variant).with("message", message),
            ),
            Outcome::NotApplicable(why) => {
                rec.push("n/a", why);
                if step.kind.changes_outlets() {
                    not_applicable = Some(format!("step {number} ({}): {why}", step.kind.name()));
                    stop = true;
                }
            }
            Outcome::Adapter(failure, stderr) => {
                let key = match failure {
                    AdapterFailure::Hung { .. } => "hung",
                    _ => "adapter_failure",
                };
                rec.push(key, failure.to_string());
                let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
                if !tail.is_empty() {
                    let tail: Vec<String> = tail.into_iter().rev().map(String::from).collect();
                    rec.push("stderr", tail);
                }
                let line = format!(
                    "step {number} (line {}, {}): {failure}",
                    step.line,
                    step.kind.name()
                );
                match failure {
                    AdapterFailure::Hung { .. } => hung.push(line),
                    _ => failures.push(line),
                }
                stop = true;
            }
        }
        rec.push("outlets", ctx.outlets_node());
        if let Some(socket) = &receiver {
            let ports: Vec<u32> = ctx
                .sim
                .addresses
                .iter()
                .map(|(_, a)| u32::from(a.port()))
                .collect();
            let arrived = notifications_arrived(&ctx.sim.control, socket, &ports).await;
            if let Some(want) = &step.file.expect_notifications {
                let got: Vec<&str> = arrived.iter().map(|(name, _)| name.as_str()).collect();
                if got != want.iter().map(String::as_str).collect::<Vec<_>>() {
                    failures.push(format!(
                        "step {number} (line {}): expected notifications {want:?}, arrived {got:?}",
                        step.line
                    ));
                }
            }
            if !arrived.is_empty() {
                rec.push(
                    "notifications",
                    Node::List(arrived.into_iter().map(|(_, node)| node).collect()),
                );
            }
        }
        // Counters that moved, per PDU.
        let mut moved = Node::map();
        let mut deltas: BTreeMap<String, BTreeMap<&'static str, u32>> = BTreeMap::new();
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            let mut per = Node::map();
            for ((key, vb), (_, va)) in b.iter().zip(a.iter()) {
                let d = va.wrapping_sub(*vb);
                if d != 0 {
                    per.push(key, d);
                    deltas.entry(name.clone()).or_default().insert(key, d);
                }
            }
            if per != Node::map() {
                moved.push(name, per);
            }
        }
        if moved != Node::map() {
            rec.push("counters", moved);
        }
        let problems = ctx.check(step, &outcome, &deltas);
        for p in &problems {
            failures.push(format!("step {number} (line {}): {p}", step.line));
        }
        if !problems.is_empty() {
            rec.push("expectations_failed", problems);
        }
        // A PDU that has not come into being has shown no engine ID yet.
        for info in ctx.sim.control.pdus() {
            let Some(id) = info.engine_id.clone() else {
                continue;
            };
            if !redactions.iter().any(|(from, _)| *from == id) {
                redactions.push((id, "[engine-id]".into()));
            }
        }
        steps.push(rec);
        if stop {
            break;
        }
    }
    let doc = Node::map()
        .with("description", &scenario.description)
        .with("steps", Node::List(steps));
    // Longest first, so an engine ID is not half-replaced by a shorter one inside it.
    redactions.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    let redact = |mut text: String| {
        for (from, to) in &redactions {
            if !from.is_empty() {
                text = text.replace(from.as_str(), to);
            }
        }
        text
    };
    let text = redact(to_yaml(&doc));
    let failures: Vec<String> = failures.into_iter().map(redact).collect();
    let hung: Vec<String> = hung.into_iter().map(redact).collect();
    let driver_steps: Vec<String> = driver_steps.into_iter().map(redact).collect();
    let stderr = match ctx.adapter.take() {
        Some(mut a) => {
            if let Some(p) = a.process.take() {
                a.stderr.push_str(&p.stderr_text());
                if a.hello.stateless {
                    a.pool.put(p);
                } else {
                    p.finish(Duration::from_secs(2));
                }
            }
            a.stderr
        }
        None => String::new(),
    };
    let stderr = redact(stderr);
    ctx.sim.stop();
    Ok(Run {
        text,
        failures,
        hung,
        not_applicable,
        driver_steps,
        description: scenario.description.clone(),
        stderr,
    })
}

fn describe_step(step: &Step) -> String {
    let f = &step.file;
    let mut s = step.kind.name().to_string();
    let mut add = |part: String| {
        s.push(' ');
        s.push_str(&part);
    };
    if let Some(o) = &f.outlet {
        add(format!("outlet {o}"));
    }
    match step.kind {
        StepKind::Name | StepKind::Outlet => {
            if let Some(n) = &f.name {
                add(format!("name {n:?}"));
            }
        }
        _ => {}
    }
    if let Some(oids) = &f.oids {
        add(oids.join(" "));
    }
    if let (Some(n), StepKind::Bulk) = (f.non_repeaters, step.kind) {
        add(format!("non-repeaters {n}"));
    }
    if let (Some(n), StepKind::Bulk) = (f.max_repetitions, step.kind) {
        add(format!("max-repetitions {n}"));
    }
    for (oid, v) in f.varbinds.iter().flatten() {
        add(format!("{oid}={v}"));
    }
    if let Some(fault) = &f.fault {
        add(serde_json::to_string(fault).unwrap_or_default());
    }
    if let Some(sch) = &f.schedule {
        add(format!(
            "schedule {}",
            serde_json::to_string(sch).unwrap_or_default()
        ));
    }
    if let Some(k) = f.keep_outlets {
        add(format!("keep_outlets {k}"));
    }
    if let Some(b) = f.boots {
        add(format!("boots {b}"));
    }
    if let Some(sk) = f.skew_secs {
        add(format!("skew {sk} s"));
    }
    if let Some(sk) = f.uptime_skew_secs {
        add(format!("sysUpTime skew {sk} s"));
    }
    if f.if_counters_reset == Some(true) {
        add("IF-MIB counters reset".into());
    }
    if let Some(n) = f.if_counter_offset {
        add(format!("IF-MIB counters {n} on"));
    }
    if f.engine_id.is_some() {
        add("engine-id changed".into());
    }
    if let Some(p) = &f.power {
        add(format!("power {p}"));
    }
    if let Some(c) = &f.command {
        add(format!("command {c}"));
    }
    if let Some(p) = &f.pdu {
        add(format!("on {p}"));
    }
    s
}

fn outlet_ref(o: &OutletArg) -> OutletRef {
    match o {
        OutletArg::Number(n) => OutletRef::Number(*n),
        // "1.2.3" is the outlet's index in the vendor's tables; anything else a name.
        OutletArg::Name(s) => s.parse().unwrap_or_else(|_| OutletRef::Name(s.clone())),
    }
}

fn verification(v: &Verification) -> String {
    match v {
        Verification::NotRequested => "not requested".into(),
        Verification::Confirmed { state, .. } => format!("confirmed {state}"),
        Verification::NotConfirmed { last_state, .. } => {
            format!("not confirmed (read {last_state})")
        }
        Verification::Unavailable { reason } => format!("unavailable: {reason}"),
    }
}

impl Ctx<'_> {
    fn all_counters(&self) -> Vec<(String, [(&'static str, u32); 10])> {
        self.sim
            .devices
            .iter()
            .map(|d| (d.name.clone(), counters(&d.stats)))
            .collect()
    }

    /// Outlet power of every PDU, as runs: `1-2 on, 3 off, 4-8 on`.
    fn outlets_node(&self) -> Node {
        let mut per_pdu = Vec::new();
        for info in self.sim.control.pdus() {
            let Ok(outlets) = self.sim.control.outlets(&info.name) else {
                continue;
            };
            let labels: Vec<String> = outlets
                .iter()
                .map(|o| {
                    let p = serde_json::to_value(o.power)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    match o.pending {
                        Some(pending) => format!("{p} (pending {pending})"),
                        None => p,
                    }
                })
                .collect();
            let mut runs: Vec<String> = Vec::new();
            let mut i = 0;
            while i < labels.len() {
                let mut j = i;
                while j + 1 < labels.len() && labels[j + 1] == labels[i] {
                    j += 1;
                }
                runs.push(if i == j {
                    format!("{} {}", i + 1, labels[i])
                } else {
                    format!("{}-{} {}", i + 1, j + 1, labels[i])
                });
                i = j + 1;
            }
            per_pdu.push((info.name, Node::Str(runs.join(", "))));
        }
        match per_pdu.len() {
            1 => per_pdu
                .into_iter()
                .next()
                .map(|(_, n)| n)
                .unwrap_or(Node::map()),
            _ => Node::Map(per_pdu),
        }
    }

    fn pdu_of(&self, step: &Step) -> String {
        step.file
            .pdu
            .clone()
            .unwrap_or_else(|| self.scenario.driver_pdu.clone())
    }

    async fn act(&mut self, step: &Step) -> Outcome {
        let f = &step.file;
        match step.kind {
            StepKind::Check => Outcome::Ok(Node::map()),
            StepKind::On
            | StepKind::Off
            | StepKind::Cycle
            | StepKind::State
            | StepKind::List
            | StepKind::Name
            | StepKind::Readings
            | StepKind::Detect => {
                if self.adapter.is_some() {
                    return self.adapter_step(step).await;
                }
                match step.file.expect_within_ms {
                    Some(ms) => {
                        let after = Duration::from_millis(ms);
                        match tokio::time::timeout(after, self.driver_step(step)).await {
                            Ok(o) => o,
                            Err(_) => {
                                Outcome::Adapter(AdapterFailure::Hung { after }, String::new())
                            }
                        }
                    }
                    None => self.driver_step(step).await,
                }
            }
            StepKind::Get | StepKind::Getnext | StepKind::Bulk | StepKind::Set => {
                self.raw_step(step).await
            }
            StepKind::Fault => {
                let Some(fault) = f.fault.clone() else {
                    return control_err("no fault given");
                };
                let new = NewFault {
                    fault,
                    schedule: f.schedule.clone().unwrap_or_default(),
                };
                match self.sim.control.add_fault(&self.pdu_of(step), new) {
                    Ok(id) => {
                        Outcome::Ok(Node::map().with("fault_id", i64::try_from(id).unwrap_or(0)))
                    }
                    Err(e) => control_err(&e.to_string()),
                }
            }
            StepKind::ClearFaults => match self.sim.control.clear_faults(&self.pdu_of(step)) {
                Ok(()) => Outcome::Ok(Node::map()),
                Err(e) => control_err(&e.to_string()),
            },
            StepKind::Restart => match self
                .sim
                .control
                .restart(&self.pdu_of(step), f.keep_outlets.unwrap_or(true))
            {
                Ok(info) => Outcome::Ok(
                    Node::map().with("engine_boots", info.engine_boots.unwrap_or_default()),
                ),
                Err(e) => control_err(&e.to_string()),
            },
            StepKind::Engine => {
                let change = EngineChange {
                    boots: f.boots,
                    skew_secs: f.skew_secs,
                    engine_id: f.engine_id.clone(),
                    uptime_skew_secs: f.uptime_skew_secs,
                    // Modulo 2^64: a negative offset is 2^64 + N.
                    if_counter_offset: f.if_counter_offset.map(|n| n as u64),
                    if_counters_reset: f.if_counters_reset,
                };
                match self.sim.control.change_engine(&self.pdu_of(step), &change) {
                    Ok(info) => Outcome::Ok(
                        Node::map()
                            .with("engine_boots", info.engine_boots.unwrap_or_default())
                            .with("engine_id", info.engine_id.unwrap_or_default()),
                    ),
                    Err(e) => control_err(&e.to_string()),
                }
            }
            StepKind::Outlet => {
                let Some(OutletArg::Number(n)) = f.outlet else {
                    return control_err("outlet needs a number");
                };
                let change = OutletChange {
                    power: f.power.as_deref().and_then(|p| {
                        serde_json::from_value(serde_json::Value::String(p.into())).ok()
                    }),
                    command: f.command.clone(),
                    name: f.name.clone(),
                };
                match self
                    .sim
                    .control
                    .change_outlet(&self.pdu_of(step), n, &change)
                {
                    Ok(_) => Outcome::Ok(Node::map()),
                    Err(e) => control_err(&e.to_string()),
                }
            }
        }
    }

    /// A driver step through the adapter process (started on first use, and again after it
    /// was killed).
    async fn adapter_step(&mut self, step: &Step) -> Outcome {
        let target = self.step_target(step);
        let Some(a) = self.adapter.as_mut() else {
            return control_err("no adapter");
        };
        let action = step.kind.name();
        if !ACTIONS.contains(&action) || !a.hello.supports(action) {
            return Outcome::NotApplicable(format!("the driver has no action `{action}`"));
        }
        let outlet = match &step.file.outlet {
            Some(OutletArg::Number(n)) => Some(*n),
            Some(OutletArg::Name(_)) => {
                return Outcome::NotApplicable(
                    "outlets by name are not part of the adapter protocol".into(),
                )
            }
            None => None,
        };
        if a.process.as_ref().map_or(true, AdapterProcess::is_dead) {
            if let Some(old) = a.process.take() {
                a.stderr.push_str(&old.stderr_text());
            }
            match AdapterProcess::start(&a.command, HELLO_DEADLINE).await {
                Ok(p) => a.process = Some(p),
                Err((failure, stderr)) => {
                    a.stderr.push_str(&stderr);
                    return Outcome::Adapter(failure, stderr);
                }
            }
        }
        let Some(process) = a.process.as_mut() else {
            return control_err("no adapter process");
        };
        let mut config = self.scenario.driver_config.clone();
        config.port = target.port();
        let request = Request {
            protocol: PROTOCOL_VERSION,
            id: 0,
            action: action.to_string(),
            outlet,
            connection: Connection::new(&config, outlet),
        };
        let deadline = step_deadline(self.scenario, step);
        match process.call(request, deadline).await {
            Ok(reply) if reply.ok => {
                let mut n = Node::map();
                if let Some(state) = reply.state {
                    n.push("state", state);
                }
                if let Some(v) = reply.value {
                    n.push("value", v.to_string());
                }
                Outcome::Ok(n)
            }
            Ok(reply) => match reply.error {
                Some(e) if e.kind == NOT_SUPPORTED => Outcome::NotApplicable(e.message),
                Some(e) => Outcome::Err {
                    variant: e.kind,
                    message: e.message,
                },
                None => Outcome::Err {
                    variant: "(no type)".into(),
                    message: "the adapter said ok: false without an error".into(),
                },
            },
            Err(failure) => {
                let stderr = process.stderr_text();
                Outcome::Adapter(failure, stderr)
            }
        }
    }

    /// The address a driver step talks to: its `pdu`'s, else the driver's.
    fn step_target(&self, step: &Step) -> SocketAddr {
        match &step.file.pdu {
            Some(name) if *name != self.scenario.driver_pdu && !self.scenario.closed_port => {
                self.sim.address(name).unwrap_or(self.target)
            }
            _ => self.target,
        }
    }

    async fn driver_step(&mut self, step: &Step) -> Outcome {
        let other = step
            .file
            .pdu
            .clone()
            .filter(|name| *name != self.scenario.driver_pdu && !self.scenario.closed_port);
        let driver = match other {
            Some(name) => {
                let mut config = self.scenario.driver_config.clone();
                config.port = self.step_target(step).port();
                self.others.entry(name).or_insert_with(|| {
                    Pdu::new(config).map_err(|e| (variant_name(&e), e.to_string()))
                })
            }
            None => &mut self.driver,
        };
        let pdu = match driver {
            Ok(p) => p,
            Err((variant, message)) => {
                return Outcome::Err {
                    variant: variant.clone(),
                    message: message.clone(),
                }
            }
        };
        let f = &step.file;
        let outlet = f
            .outlet
            .as_ref()
            .map(outlet_ref)
            .unwrap_or(OutletRef::Number(0));
        let result: Result<Node, pdu_driver::Error> = match step.kind {
            StepKind::On | StepKind::Off | StepKind::Cycle => {
                let r = match step.kind {
                    StepKind::On => pdu.on(&outlet).await,
                    StepKind::Off => pdu.off(&outlet).await,
                    _ => pdu.cycle(&outlet).await,
                };
                r.map(|r| {
                    let mut n = Node::map()
                        .with("outlet", r.outlet)
                        .with("method", r.method)
                        .with("before", r.before.unwrap_or_else(|| "unread".into()))
                        .with("verification", verification(&r.verification));
                    if !r.notes.is_empty() {
                        n.push("notes", r.notes);
                    }
                    n
                })
            }
            StepKind::State => pdu.state(&outlet).await.map(|s| {
                Node::map()
                    .with("outlet", s.outlet)
                    .with("name", s.name.unwrap_or_default())
                    .with("state", s.state)
                    .with(
                        "raw",
                        s.raw.map_or_else(|| "none".to_string(), |r| r.to_string()),
                    )
            }),
            StepKind::List => pdu.outlets().await.map(|l| {
                let rows: Vec<String> = l
                    .outlets
                    .iter()
                    .map(|o| {
                        format!(
                            "{} {:?} {} ({})",
                            o.outlet,
                            o.name.clone().unwrap_or_default(),
                            o.state,
                            o.raw.map_or_else(|| "none".to_string(), |r| r.to_string())
                        )
                    })
                    .collect();
                let mut n = Node::map().with("outlets", rows);
                if !l.notes.is_empty() {
                    n.push("notes", l.notes);
                }
                n
            }),
            StepKind::Name => pdu
                .set_name(&outlet, f.name.as_deref().unwrap_or_default())
                .await
                .map(|n| Node::map().with("outlet", n)),
            StepKind::Readings => {
                let which = f.outlet.as_ref().map(|_| outlet.clone());
                pdu.readings(which.as_ref()).await.map(|r| {
                    let rows: Vec<String> = r
                        .readings
                        .iter()
                        .map(|x| {
                            let value =
                                x.value.map_or_else(|| "n/a".to_string(), |v| v.to_string());
                            format!("outlet {} {} {value} {}", x.outlet, x.quantity, x.unit)
                        })
                        .collect();
                    let mut n = Node::map().with("readings", rows);
                    if !r.notes.is_empty() {
                        n.push("notes", r.notes);
                    }
                    n
                })
            }
            StepKind::Detect => pdu.detect().await.map(|d| {
                Node::map()
                    .with("sys_object_id", d.sys_object_id)
                    .with("sys_descr", d.sys_descr)
                    .with("profile", d.profile.unwrap_or("none"))
            }),
            _ => return control_err("not a driver step"),
        };
        match result {
            Ok(n) => Outcome::Ok(n),
            Err(e) => Outcome::Err {
                variant: variant_name(&e),
                message: e.to_string(),
            },
        }
    }

    async fn raw_step(&mut self, step: &Step) -> Outcome {
        let f = &step.file;
        let d = &self.scenario.driver;
        let version_text = f
            .version
            .clone()
            .or_else(|| d.version.as_ref().map(|v| v.get_ref().clone()))
            .unwrap_or_else(|| "2c".into());
        let version = match crate::load::args::parse_version(&version_text) {
            Ok(Version::V3) | Err(_) => Version::V2c,
            Ok(v) => v,
        };
        let community = f
            .community
            .clone()
            .or_else(|| d.community.clone())
            .unwrap_or_else(|| "private".into());
        let (pdu_type, varbinds) = match step.kind {
            StepKind::Set => {
                let mut vbs = Vec::new();
                for (oid, value) in f.varbinds.iter().flatten() {
                    let (Some(oid), Ok(value)) =
                        (raw::oid(oid), crate::load::args::parse_set_value(value))
                    else {
                        return control_err("bad varbind");
                    };
                    vbs.push(VarBind { oid, value });
                }
                (PduType::SetRequest, vbs)
            }
            kind => {
                let t = match kind {
                    StepKind::Get => PduType::GetRequest,
                    StepKind::Getnext => PduType::GetNextRequest,
                    _ => PduType::GetBulkRequest,
                };
                let vbs = f
                    .oids
                    .iter()
                    .flatten()
                    .filter_map(|o| raw::oid(o))
                    .map(|oid| VarBind {
                        oid,
                        value: Value::Null,
                    })
                    .collect();
                (t, vbs)
            }
        };
        let req = RawRequest {
            version,
            community: community.into_bytes(),
            pdu_type,
            varbinds,
            non_repeaters: f.non_repeaters.unwrap_or(0),
            max_repetitions: f.max_repetitions.unwrap_or(10),
        };
        let timeout = self.scenario.driver_config.timeout;
        match raw::exchange(self.target, &req, timeout).await {
            Ok(r) => {
                let rows: Vec<String> = r
                    .varbinds
                    .iter()
                    .map(|(o, v)| format!("{o} = {v}"))
                    .collect();
                Outcome::Ok(
                    Node::map()
                        .with("status", r.status_name())
                        .with("index", r.error_index)
                        .with("varbinds", rows),
                )
            }
            Err(message) => Outcome::Err {
                variant: "NoAnswer".into(),
                message,
            },
        }
    }

    /// The expectations of `step` that did not hold.
    fn check(
        &self,
        step: &Step,
        outcome: &Outcome,
        deltas: &BTreeMap<String, BTreeMap<&'static str, u32>>,
    ) -> Vec<String> {
        let f = &step.file;
        let mut problems = Vec::new();
        let got = match outcome {
            Outcome::Ok(_) => "ok".to_string(),
            Outcome::Err { variant, message } => format!("{variant}: {message}"),
            // Not judged: recorded as n/a, or as the adapter's failure.
            Outcome::NotApplicable(_) | Outcome::Adapter(..) => return problems,
        };
        // pdu-driver's own expectations; any other driver is judged by what they imply.
        let pductl = self.adapter.is_none();
        let must_fail = f.expect_ok == Some(false) || (!pductl && f.expect_error.is_some());
        match (f.expect_ok, outcome) {
            (Some(true), Outcome::Err { .. }) => problems.push(format!("expected ok, got {got}")),
            (_, Outcome::Ok(_)) if must_fail => problems.push("expected an error, got ok".into()),
            _ => {}
        }
        if let (Some(want), true) = (&f.expect_error, pductl) {
            match outcome {
                Outcome::Err { variant, .. } if variant == want => {}
                _ => problems.push(format!("expected error {want}, got {got}")),
            }
        }
        if let (Some(part), true) = (&f.expect_message, pductl) {
            match outcome {
                Outcome::Err { message, .. } if message.contains(part.as_str()) => {}
                _ => problems.push(format!("expected a message containing {part:?}, got {got}")),
            }
        }
        let field = |key: &str| -> Option<Node> {
            match outcome {
                Outcome::Ok(Node::Map(entries)) => entries
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone()),
                _ => None,
            }
        };
        if let Some(want) = &f.expect_state {
            if field("state") != Some(Node::Str(want.clone())) {
                problems.push(format!(
                    "expected state {want:?}, got {got} {:?}",
                    field("state")
                ));
            }
        }
        if let Some(want) = &f.expect_status {
            if field("status") != Some(Node::Str(want.clone())) {
                problems.push(format!(
                    "expected error-status {want}, got {:?}",
                    field("status")
                ));
            }
        }
        if let Some(want) = f.expect_varbinds {
            match field("varbinds") {
                Some(Node::List(v)) if v.len() == want => {}
                other => problems.push(format!(
                    "expected {want} varbinds, got {}",
                    match other {
                        Some(Node::List(v)) => v.len().to_string(),
                        _ => got.clone(),
                    }
                )),
            }
        }
        let pdu = self.pdu_of(step);
        if let Some(want) = &f.expect_outlets {
            match self.sim.control.outlets(&pdu) {
                Ok(outlets) => {
                    for (n, power) in want {
                        let n = n.parse::<u32>().unwrap_or(0);
                        let actual = outlets
                            .iter()
                            .find(|o| o.outlet == n)
                            .and_then(|o| serde_json::to_value(o.power).ok())
                            .and_then(|v| v.as_str().map(String::from));
                        if actual.as_deref() != Some(power.as_str()) {
                            problems.push(format!(
                                "expected outlet {n} {power}, it is {}",
                                actual.unwrap_or_else(|| "missing".into())
                            ));
                        }
                    }
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        let counters_apply = pductl || !step.kind.is_driver_action();
        if let (Some(want), true) = (&f.expect_counters, counters_apply) {
            let moved = deltas.get(&pdu);
            for (name, n) in want {
                let actual = moved
                    .and_then(|m| m.get(name.as_str()))
                    .copied()
                    .unwrap_or(0);
                if actual != *n {
                    problems.push(format!(
                        "expected {name} to move by {n}, it moved by {actual}"
                    ));
                }
            }
        }
        problems
    }
}

fn control_err(message: &str) -> Outcome {
    Outcome::Err {
        variant: "ControlError".into(),
        message: message.to_string(),
    }
}

/// The notifications that reached the scenario's receiver since the last call, in arrival
/// order, each as (its name, its record: type, snmpTrapOID name and OID, the other varbinds).
/// Waits first until every PDU's originator has handled all it raised and nothing new was
/// raised for three polls in a row (150 ms), at most 5 s: the originator sends on its own task,
/// and a completion on the manual clock raises from the settle-on-time timer.
/// `ports`: the simulator's ports, which a vendor's agent-port object carries (recorded as
/// `[port]`, as addresses are).
async fn notifications_arrived(
    control: &pdusim::control::Control,
    socket: &std::net::UdpSocket,
    ports: &[u32],
) -> Vec<(String, Node)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut last = None;
    let mut stable = 0;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    while std::time::Instant::now() < deadline {
        let mut snapshot = Vec::new();
        let mut settled = true;
        for info in control.pdus() {
            if let Ok(r) = control.notifications(&info.name) {
                let handled = u32::try_from(r.sent.len())
                    .unwrap_or(u32::MAX)
                    .saturating_add(r.dropped);
                settled &= handled >= r.raised.min(32);
                for sent in &r.sent {
                    names.insert(sent.trap_oid.clone(), sent.name.to_string());
                }
                snapshot.push((r.raised, r.sent.len()));
            }
        }
        if settled && last.as_ref() == Some(&snapshot) {
            stable += 1;
            if stable >= 3 {
                break;
            }
        } else {
            stable = 0;
        }
        last = Some(snapshot);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    while let Ok((len, _)) = socket.recv_from(&mut buf) {
        let Some(datagram) = buf.get(..len) else {
            continue;
        };
        let Ok(snmp_proto::Message::Community(m)) = snmp_proto::decode_message(datagram) else {
            out.push((
                "(undecodable)".to_string(),
                Node::from("a datagram that is not an SNMPv1/v2c message"),
            ));
            continue;
        };
        let trap = m.pdu.varbinds.get(1).and_then(|v| match &v.value {
            snmp_proto::Value::ObjectId(oid) => Some(oid.to_string()),
            _ => None,
        });
        let trap = trap.unwrap_or_default();
        let name = names.get(&trap).cloned().unwrap_or_else(|| trap.clone());
        let varbinds: Vec<String> = m
            .pdu
            .varbinds
            .iter()
            .skip(2)
            .map(|v| {
                let number = match v.value {
                    snmp_proto::Value::Gauge32(n) => Some(n),
                    snmp_proto::Value::Integer(n) => u32::try_from(n).ok(),
                    _ => None,
                };
                match number {
                    Some(n) if n != 0 && ports.contains(&n) => format!("{} = [port]", v.oid),
                    _ => format!("{} = {}", v.oid, value_text(&v.value)),
                }
            })
            .collect();
        let node = Node::map()
            .with("type", format!("{:?} {:?}", m.version, m.pdu.pdu_type))
            .with(
                "community",
                String::from_utf8_lossy(m.community).into_owned(),
            )
            .with("trap", format!("{name} ({trap})"))
            .with("varbinds", varbinds);
        out.push((name, node));
    }
    out
}

/// A varbind value as a record line (`INTEGER 7`, `STRING "db-1"`, `OID 1.3.6...`).
fn value_text(v: &snmp_proto::Value<'_>) -> String {
    use snmp_proto::Value as V;
    match v {
        V::Integer(n) => format!("INTEGER {n}"),
        V::OctetString(b) => format!("STRING {:?}", String::from_utf8_lossy(b)),
        V::ObjectId(o) => format!("OID {o}"),
        V::Null => "NULL".into(),
        V::IpAddress(a) => format!("IpAddress {}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        V::Counter32(n) => format!("Counter32 {n}"),
        // A time stamp in Unix seconds (a vendor's sensor time stamp) is the wall clock's:
        // recorded as such, so a snapshot is the same at every run.
        V::Gauge32(n) if *n >= 1_000_000_000 => "Gauge32 [unix time]".into(),
        V::Gauge32(n) => format!("Gauge32 {n}"),
        V::TimeTicks(n) => format!("Timeticks {n}"),
        V::Opaque(b) => format!("Opaque {} bytes", b.len()),
        V::Counter64(n) => format!("Counter64 {n}"),
        V::NoSuchObject => "noSuchObject".into(),
        V::NoSuchInstance => "noSuchInstance".into(),
        V::EndOfMibView => "endOfMibView".into(),
        V::Other { contents, .. } => format!("{} {} bytes", v.type_name(), contents.len()),
    }
}
