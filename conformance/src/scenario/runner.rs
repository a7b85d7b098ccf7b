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

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The snapshot body (YAML), redacted.
    pub text: String,
    /// Expectations that did not hold, each naming its step and line.
    pub failures: Vec<String>,
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
    Err { variant: String, message: String },
}

struct Ctx<'a> {
    scenario: &'a Scenario,
    sim: Simulator,
    clock: Arc<ManualClock>,
    driver: Result<Pdu, (String, String)>,
    target: SocketAddr,
}

/// Runs `scenario` on the current tokio runtime.
pub async fn run(scenario: &Scenario) -> Result<Run, String> {
    let clock = Arc::new(ManualClock::default());
    let sim = Simulator::start(scenario.pdus.clone(), clock.clone())
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
    if let Some(p) = closed_port {
        redactions.push((p.to_string(), "127.0.0.1:[closed-port]".into()));
    }
    for info in sim.control.pdus() {
        // Readings jitter unless frozen; a snapshot needs the same numbers every run.
        let _ = sim.control.freeze_meters(&info.name, true);
    }
    let mut config = scenario.driver_config.clone();
    config.port = target.port();
    let driver = Pdu::new(config).map_err(|e| (variant_name(&e), e.to_string()));
    let mut ctx = Ctx {
        scenario,
        sim,
        clock,
        driver,
        target,
    };

    let mut steps = Vec::new();
    let mut failures = Vec::new();
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
        match &outcome {
            Outcome::Ok(node) => rec.push("ok", node.clone()),
            Outcome::Err { variant, message } => rec.push(
                "error",
                Node::map()
                    .with("variant", variant)
                    .with("message", message),
            ),
        }
        rec.push("outlets", ctx.outlets_node());
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
        for info in ctx.sim.control.pdus() {
            let id = info.engine_id.clone();
            if !redactions.iter().any(|(from, _)| *from == id) {
                redactions.push((id, "[engine-id]".into()));
            }
        }
        steps.push(rec);
    }
    let doc = Node::map()
        .with("description", &scenario.description)
        .with("steps", Node::List(steps));
    let mut text = to_yaml(&doc);
    // Longest first, so an engine ID is not half-replaced by a shorter one inside it.
    redactions.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    for (from, to) in &redactions {
        if !from.is_empty() {
            text = text.replace(from.as_str(), to);
        }
    }
    ctx.sim.stop();
    Ok(Run { text, failures })
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
        OutletArg::Name(s) => OutletRef::Name(s.clone()),
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
            | StepKind::Detect => self.driver_step(step).await,
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
                Ok(info) => Outcome::Ok(Node::map().with("engine_boots", info.engine_boots)),
                Err(e) => control_err(&e.to_string()),
            },
            StepKind::Engine => {
                let change = EngineChange {
                    boots: f.boots,
                    skew_secs: f.skew_secs,
                    engine_id: f.engine_id.clone(),
                };
                match self.sim.control.change_engine(&self.pdu_of(step), &change) {
                    Ok(info) => Outcome::Ok(
                        Node::map()
                            .with("engine_boots", info.engine_boots)
                            .with("engine_id", info.engine_id),
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

    async fn driver_step(&mut self, step: &Step) -> Outcome {
        let pdu = match &mut self.driver {
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
                            format!("outlet {} {} {} {}", x.outlet, x.quantity, x.value, x.unit)
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
        };
        match (f.expect_ok, outcome) {
            (Some(true), Outcome::Err { .. }) => problems.push(format!("expected ok, got {got}")),
            (Some(false), Outcome::Ok(_)) => problems.push("expected an error, got ok".into()),
            _ => {}
        }
        if let Some(want) = &f.expect_error {
            match outcome {
                Outcome::Err { variant, .. } if variant == want => {}
                _ => problems.push(format!("expected error {want}, got {got}")),
            }
        }
        if let Some(part) = &f.expect_message {
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
        if let Some(want) = &f.expect_counters {
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
