//! The scenario file format (TOML) and its checks. Every mistake is reported as
//! `FILE:LINE:COLUMN: what is wrong and what is expected`, from the spans toml keeps.
//!
//! ```toml
//! description = "APC rPDU2: off, on, cycle and state on outlet 3"
//!
//! [[pdu]]                 # exactly the [[pdu]] table of a pdusim config (`listen` is ignored:
//! name = "apc"            # each PDU gets a free loopback port)
//! vendor = "apc-rpdu2"
//! [[pdu.community]]
//! name = "private"
//! access = "read-write"
//!
//! [driver]                # the driver's connection
//! vendor = "apc-rpdu2"
//!
//! [[step]]
//! do = "off"
//! outlet = 3
//! expect_outlets = { 3 = "off" }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;

use pdusim::config::{FileConfig, PduConfig};
use pdusim::device::DeviceSpec;
use pdusim::fault::{FaultKind, Schedule};
use serde::Deserialize;
use toml::Spanned;

/// A scenario file that cannot run: where, and what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    /// The file, as given.
    pub file: String,
    /// The line, from 1 (0 when the file could not be read).
    pub line: usize,
    /// The column, from 1, in bytes (0 when the file could not be read).
    pub column: usize,
    /// What is wrong and what is expected.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    description: Spanned<String>,
    #[serde(default)]
    receive_notifications: bool,
    #[serde(default)]
    pdu: Vec<Spanned<PduConfig>>,
    #[serde(default)]
    driver: Option<Spanned<DriverFile>>,
    #[serde(default)]
    step: Vec<Spanned<StepFile>>,
}

/// `[driver]`: how the driver under test connects. Defaults: v2c, community `private`,
/// vendor `detect`, 1000 ms timeout, 1 retry, read back once after a switch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverFile {
    /// Which `[[pdu]]` it talks to (default: the first).
    pub pdu: Option<String>,
    /// `"closed"`: a loopback port nothing listens on, for the Unreachable path.
    pub port: Option<String>,
    /// SNMP version: `1`, `2c` or `3` (default `2c`).
    pub version: Option<Spanned<String>>,
    /// v1/v2c community (default `private`).
    pub community: Option<String>,
    /// SNMPv3 user name.
    pub user: Option<String>,
    /// SNMPv3 authentication protocol, as `pductl --auth` spells it.
    pub auth: Option<Spanned<String>>,
    /// SNMPv3 authentication password.
    pub auth_key: Option<String>,
    /// SNMPv3 privacy protocol (`priv` in the file), as `pductl --priv` spells it.
    #[serde(rename = "priv")]
    pub privacy: Option<Spanned<String>>,
    /// SNMPv3 privacy password.
    pub priv_key: Option<String>,
    /// SNMPv3 contextName (default empty).
    pub context: Option<String>,
    /// Vendor profile name, `detect` or `raw` (default `detect`).
    pub vendor: Option<Spanned<String>>,
    /// The driver's wait for each answer, in milliseconds (default 1000).
    pub timeout_ms: Option<u64>,
    /// The driver's resends after a timeout (default 1).
    pub retries: Option<u32>,
    /// How long the driver reads back after a switch (default 0: one read, no waiting, so
    /// the manual clock decides what it sees). `-1`: no read-back at all.
    pub verify_ms: Option<i64>,
    /// Off time of a client-side cycle (default 0).
    pub cycle_delay_ms: Option<u64>,
    /// The least time between two switch operations of the driver (default 0: none).
    pub min_gap_ms: Option<u64>,
    /// `pductl --index-offset`: added to the outlet number in the control columns (default 0).
    pub index_offset: Option<u32>,
}

/// What a step does. `do` may be left out when a step only waits or checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    // Driver actions.
    /// The driver switches `outlet` on ([`pdu_driver::Pdu::on`]).
    On,
    /// The driver switches `outlet` off.
    Off,
    /// The driver cycles `outlet`.
    Cycle,
    /// The driver reads `outlet`'s state.
    State,
    /// The driver lists every outlet.
    List,
    /// The driver renames `outlet` to `name`.
    Name,
    /// The driver reads metering, for `outlet` or every outlet.
    Readings,
    /// The driver detects the vendor profile from sysObjectID.
    Detect,
    // Raw SNMP (v1/v2c, the built-in client).
    /// A raw GetRequest of `oids`.
    Get,
    /// A raw GetNextRequest of `oids`.
    Getnext,
    /// A raw GetBulkRequest of `oids` with `non_repeaters` and `max_repetitions`.
    Bulk,
    /// A raw SetRequest of `varbinds`.
    Set,
    // The simulator's control API.
    /// Adds `fault` with `schedule` to the PDU.
    Fault,
    /// Removes every fault from the PDU.
    ClearFaults,
    /// Restarts the PDU's agent: engineBoots + 1, engine time 0; outlets kept unless
    /// `keep_outlets = false`.
    Restart,
    /// Changes the PDU's engine: `boots`, `skew_secs`, `engine_id`, `uptime_skew_secs`, and the
    /// IF-MIB counters of its management port: `if_counter_offset`, `if_counters_reset`.
    Engine,
    /// Changes outlet `outlet` directly (not through SNMP): `power`, `command`, `name`.
    Outlet,
    /// Only waits (advance_ms / sleep_ms) and expectations.
    Check,
}

impl StepKind {
    /// Whether the driver under test performs this step (the others are the runner's own raw
    /// client or the simulator's control API, the same for every driver).
    pub fn is_driver_action(self) -> bool {
        matches!(
            self,
            StepKind::On
                | StepKind::Off
                | StepKind::Cycle
                | StepKind::State
                | StepKind::List
                | StepKind::Name
                | StepKind::Readings
                | StepKind::Detect
        )
    }

    /// Whether the step changes an outlet when it works (a driver that cannot do it cannot
    /// be judged on what follows).
    pub fn changes_outlets(self) -> bool {
        matches!(
            self,
            StepKind::On | StepKind::Off | StepKind::Cycle | StepKind::Name
        )
    }

    /// As `do = ...` spells it (`clear-faults`, `getnext`, ...).
    pub fn name(self) -> &'static str {
        match self {
            StepKind::On => "on",
            StepKind::Off => "off",
            StepKind::Cycle => "cycle",
            StepKind::State => "state",
            StepKind::List => "list",
            StepKind::Name => "name",
            StepKind::Readings => "readings",
            StepKind::Detect => "detect",
            StepKind::Get => "get",
            StepKind::Getnext => "getnext",
            StepKind::Bulk => "bulk",
            StepKind::Set => "set",
            StepKind::Fault => "fault",
            StepKind::ClearFaults => "clear-faults",
            StepKind::Restart => "restart",
            StepKind::Engine => "engine",
            StepKind::Outlet => "outlet",
            StepKind::Check => "check",
        }
    }
}

/// An outlet by number or by name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OutletArg {
    /// The outlet number, from 1.
    Number(u32),
    /// The outlet's name (driver steps only).
    Name(String),
}

impl std::fmt::Display for OutletArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutletArg::Number(n) => write!(f, "{n}"),
            OutletArg::Name(s) => write!(f, "{s:?}"),
        }
    }
}

/// One `[[step]]` table as written: every field any step kind may use (which kind uses which is
/// checked when the scenario is parsed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// `do`: the action; left out, the step only waits and checks ([`StepKind::Check`]).
    #[serde(rename = "do")]
    pub kind: Option<StepKind>,
    /// The PDU a control step (or expect_outlets) acts on; default: the driver's. On a driver
    /// step, the PDU the driver talks to: another PDU gets its own driver handle (the
    /// `[driver]` settings, that PDU's address), kept for the later steps naming it.
    pub pdu: Option<String>,
    /// The outlet a driver or `outlet` step acts on (`outlet` steps need a number).
    pub outlet: Option<OutletArg>,
    /// `name`: the new outlet name; `outlet` step: rename directly.
    pub name: Option<String>,
    /// Raw get/getnext/bulk: OIDs, dotted.
    pub oids: Option<Vec<String>>,
    /// Raw set: `[[OID, "TYPE:VALUE"], ...]`, types as snmpset (i u c t s x o a).
    pub varbinds: Option<Vec<(String, String)>>,
    /// Raw bulk: non-repeaters (default 0).
    pub non_repeaters: Option<i32>,
    /// Raw bulk: max-repetitions (default 10).
    pub max_repetitions: Option<i32>,
    /// Raw steps: community and version (default: the driver's, else private / 2c).
    pub community: Option<String>,
    /// Raw steps: `1` or `2c`.
    pub version: Option<String>,
    /// `fault`: the fault to add (`{ kind = "drop-response" }`, ...).
    pub fault: Option<FaultKind>,
    /// `fault`: when it acts (`after_requests`, `for_ms`, `packets`; default: always).
    pub schedule: Option<Schedule>,
    /// `restart`: keep the outlets' states (default true) or go back to the first-start ones.
    pub keep_outlets: Option<bool>,
    /// `engine`: set snmpEngineBoots (2147483647 locks the engine out, RFC 3414 §2.2.2).
    pub boots: Option<i32>,
    /// `engine`: move snmpEngineTime by this many seconds (beyond ±150 leaves the time window).
    pub skew_secs: Option<i64>,
    /// `engine`: a new snmpEngineID, in hex.
    pub engine_id: Option<String>,
    /// `engine`: move sysUpTime by this many seconds (it wraps after 2^32 hundredths of a
    /// second, about 497 days).
    pub uptime_skew_secs: Option<i64>,
    /// `engine`: move the IF-MIB traffic counters of the PDU's management port this many on,
    /// modulo 2^64 (a negative N is 2^64 + N: `-1000` puts fresh Counter64 counters 1000
    /// before their wrap); see the control API's `if_counter_offset`.
    pub if_counter_offset: Option<i64>,
    /// `engine`: `true` sets the IF-MIB traffic counters back to 0, a discontinuity
    /// (ifCounterDiscontinuityTime becomes sysUpTime now).
    pub if_counters_reset: Option<bool>,
    /// `outlet` step: "on" / "off" / a command ("reboot", "delayed-on", ...).
    pub power: Option<String>,
    /// `outlet` step: a command for the outlet model ("reboot", "delayed-on", "cancel", ...).
    pub command: Option<String>,
    /// Before the action: move the simulator's clock (instant).
    pub advance_ms: Option<u64>,
    /// Before the action: really wait (only where a real timer must run out).
    pub sleep_ms: Option<u64>,
    /// Whether the action succeeds: a driver call returns `Ok`, a raw request is answered
    /// (whatever its error-status), a control call is accepted. Driver-neutral: every driver
    /// is judged by it.
    pub expect_ok: Option<bool>,
    /// pdu-driver's error variant, e.g. "WrongDigest". Specific to `pductl`; for any other
    /// driver it only says the step must fail.
    pub expect_error: Option<String>,
    /// A part of pdu-driver's error message (specific to `pductl`).
    pub expect_message: Option<String>,
    /// Driver-neutral: the driver step must end (succeed or fail) within this many
    /// milliseconds; past it the step is `hung` (an adapter is killed). Default: the
    /// connection's timeout × (retries + 1) × 2 + the cycle delay + 10 s.
    pub expect_within_ms: Option<u64>,
    /// The notifications (snmpTrapOID names as the vendor MIB spells them, e.g.
    /// `outletSensorStateChange`, `coldStart`) this step must make the PDUs send, in order;
    /// needs `receive_notifications = true`.
    pub expect_notifications: Option<Vec<String>>,
    /// Outlet power after the step, by number: `{ 3 = "off" }`.
    pub expect_outlets: Option<BTreeMap<String, String>>,
    /// `state`: the state the driver reads.
    pub expect_state: Option<String>,
    /// Raw steps: the error-status name ("noError", "wrongValue", ...).
    pub expect_status: Option<String>,
    /// Raw steps: how many varbinds come back.
    pub expect_varbinds: Option<usize>,
    /// How much counters moved in this step: `{ usmStatsWrongDigests = 1 }`. On a driver step
    /// it measures that driver's traffic, so it is specific to `pductl`.
    pub expect_counters: Option<BTreeMap<String, u32>>,
}

/// A checked scenario, ready to run.
#[derive(Debug)]
pub struct Scenario {
    /// One line: the behaviour the scenario pins.
    pub description: String,
    /// The simulated PDUs, as pdusim's config validation made them, each with its listen
    /// address (loopback port 0: a free port is bound at run time) and no state folder.
    pub pdus: Vec<(DeviceSpec, Vec<SocketAddr>)>,
    /// `[driver]` as written (defaults where absent).
    pub driver: DriverFile,
    /// The driver's configuration from `[driver]`, for host 127.0.0.1; the runner sets the port
    /// once the simulator has bound its own.
    pub driver_config: pdu_driver::Config,
    /// The PDU the driver talks to.
    pub driver_pdu: String,
    /// `driver.port = "closed"`: the driver talks to a loopback port nothing listens on.
    pub closed_port: bool,
    /// `receive_notifications = true`: every PDU sends SNMPv2c traps (community `public`) to a
    /// receiver the runner holds, and each step records the notifications that arrived.
    pub receive_notifications: bool,
    /// The steps, in file order.
    pub steps: Vec<Step>,
}

/// One checked step.
#[derive(Debug, Clone)]
pub struct Step {
    /// What it does ([`StepKind::Check`] when `do` is left out).
    pub kind: StepKind,
    /// The line of its `[[step]]` table, from 1.
    pub line: usize,
    /// The step as written.
    pub file: StepFile,
}

/// Counter names a scenario may expect (the usmStats and the MPD / community counters).
pub const COUNTERS: &[&str] = &[
    "usmStatsUnsupportedSecLevels",
    "usmStatsNotInTimeWindows",
    "usmStatsUnknownUserNames",
    "usmStatsUnknownEngineIDs",
    "usmStatsWrongDigests",
    "usmStatsDecryptionErrors",
    "snmpUnknownContexts",
    "snmpInBadCommunityNames",
    "snmpInBadVersions",
    "snmpInASNParseErrs",
];

/// Driver error variants a step may expect.
pub const ERROR_VARIANTS: &[&str] = &[
    "BadConfig",
    "Timeout",
    "LikelyLockout",
    "Unreachable",
    "Network",
    "DiscoveryFailed",
    "UnknownUserName",
    "WrongDigest",
    "DecryptionError",
    "UnsupportedSecurityLevel",
    "NotInTimeWindow",
    "UnknownContext",
    "AuthenticationFailed",
    "AgentError",
    "SetOutcomeUnknown",
    "SwitchTooSoon",
    "NoSuchOutlet",
    "UnexpectedValue",
    "NotAvailable",
    "UnknownDevice",
    "Protocol",
];

/// Line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

struct Located<'a> {
    file: &'a str,
    text: &'a str,
}

impl Located<'_> {
    fn at(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The span of `key = ...` inside `within`, else `within` itself.
    fn key_in(&self, within: Range<usize>, key: &str) -> Range<usize> {
        let Some(slice) = self.text.get(within.clone()) else {
            return within;
        };
        let mut offset = within.start;
        for line in slice.split_inclusive('\n') {
            let t = line.trim_start();
            if t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
            {
                let indent = line.len() - t.len();
                return offset + indent..offset + line.trim_end().len();
            }
            offset += line.len();
        }
        within
    }
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the scenario: {e}"),
    })?;
    parse(&text, &file)
}

/// Parses and checks scenario text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let loc = Located { file, text };
    let raw: ScenarioFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        loc.at(span, e.message().trim_end().replace('\n', " "))
    })?;
    if raw.description.get_ref().trim().is_empty() {
        return Err(loc.at(
            raw.description.span(),
            "description is empty: say in one line what behaviour this scenario pins",
        ));
    }
    if raw.pdu.is_empty() {
        return Err(loc.at(
            0..0,
            "no [[pdu]] table: add one (the format of `pdusim example-config`)",
        ));
    }
    // The PDUs, checked by pdusim's own validation; each on a free loopback port, state in memory.
    let spans: Vec<Range<usize>> = raw.pdu.iter().map(|p| p.span()).collect();
    let config = FileConfig {
        state_dir: None,
        state_fsync: false,
        base_dir: Path::new(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        pdu: raw
            .pdu
            .into_iter()
            .map(|p| {
                let mut p = p.into_inner();
                p.listen = vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))];
                p
            })
            .collect(),
    };
    let mut pdus = config.validate(file).map_err(|e| match e {
        pdusim::config::ConfigError::Field { field, problem, .. } => {
            // "pdu[1].user[0].auth" -> the [[pdu]] table 1, key "auth" (the last part).
            let index = field
                .strip_prefix("pdu[")
                .and_then(|r| r.split(']').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            let key = field
                .rsplit('.')
                .next()
                .unwrap_or("")
                .split('[')
                .next()
                .unwrap_or("");
            let within = spans.get(index).cloned().unwrap_or(0..0);
            loc.at(loc.key_in(within, key), format!("{field}: {problem}"))
        }
        other => loc.at(0..0, other.to_string()),
    })?;
    for (spec, _) in &mut pdus {
        spec.state_dir = None;
    }
    let names: Vec<String> = pdus.iter().map(|(s, _)| s.name.clone()).collect();

    let (driver, driver_span) = match raw.driver {
        Some(d) => {
            let span = d.span();
            (d.into_inner(), span)
        }
        None => (
            DriverFile {
                pdu: None,
                port: None,
                version: None,
                community: None,
                user: None,
                auth: None,
                auth_key: None,
                privacy: None,
                priv_key: None,
                context: None,
                vendor: None,
                timeout_ms: None,
                retries: None,
                verify_ms: None,
                cycle_delay_ms: None,
                min_gap_ms: None,
                index_offset: None,
            },
            0..0,
        ),
    };
    let driver_pdu = match &driver.pdu {
        Some(name) if !names.contains(name) => {
            return Err(loc.at(
                loc.key_in(driver_span.clone(), "pdu"),
                format!("driver.pdu: no [[pdu]] is named {name:?}; the PDUs are {names:?}"),
            ))
        }
        Some(name) => name.clone(),
        None => names.first().cloned().unwrap_or_default(),
    };
    let closed_port = match driver.port.as_deref() {
        None => false,
        Some("closed") => true,
        Some(other) => {
            return Err(loc.at(
                loc.key_in(driver_span.clone(), "port"),
                format!("driver.port {other:?}: leave it out (the PDU's own port) or write \"closed\" (a port nothing listens on)"),
            ))
        }
    };
    let driver_config = driver_config(&driver, &loc)?;

    let mut steps = Vec::new();
    for (i, s) in raw.step.into_iter().enumerate() {
        let span = s.span();
        let file_step = s.into_inner();
        let kind = file_step.kind.unwrap_or(StepKind::Check);
        let step = Step {
            kind,
            line: line_col(text, span.start).0,
            file: file_step,
        };
        check_step(&step, i + 1, &names, &loc, span.clone())?;
        if step.file.expect_notifications.is_some() && !raw.receive_notifications {
            return Err(loc.at(
                loc.key_in(span, "expect_notifications"),
                "expect_notifications needs receive_notifications = true at the top of the file",
            ));
        }
        steps.push(step);
    }
    Ok(Scenario {
        description: raw.description.into_inner(),
        pdus,
        driver,
        driver_config,
        driver_pdu,
        closed_port,
        receive_notifications: raw.receive_notifications,
        steps,
    })
}

fn driver_config(d: &DriverFile, loc: &Located<'_>) -> Result<pdu_driver::Config, ScenarioError> {
    use pdu_driver::{parse_auth, parse_priv, SnmpVersion, Vendor};
    let bad = |s: &Spanned<String>, e: pdu_driver::Error| {
        let m = e.to_string();
        loc.at(
            s.span(),
            m.strip_prefix("bad configuration: ")
                .unwrap_or(&m)
                .to_string(),
        )
    };
    let mut c = pdu_driver::Config::new("127.0.0.1");
    if let Some(v) = &d.version {
        c.version = v.get_ref().parse::<SnmpVersion>().map_err(|e| bad(v, e))?;
    }
    if let Some(community) = &d.community {
        c.community = community.as_str().into();
    }
    if let Some(user) = &d.user {
        c.user = user.clone();
    }
    if let Some(a) = &d.auth {
        c.auth = parse_auth(a.get_ref()).map_err(|e| bad(a, e))?;
    }
    if let Some(k) = &d.auth_key {
        c.auth_key = k.as_str().into();
    }
    if let Some(p) = &d.privacy {
        c.privacy = parse_priv(p.get_ref()).map_err(|e| bad(p, e))?;
    }
    if let Some(k) = &d.priv_key {
        c.priv_key = k.as_str().into();
    }
    if let Some(ctx) = &d.context {
        c.context = ctx.clone();
    }
    if let Some(v) = &d.vendor {
        c.vendor = v.get_ref().parse::<Vendor>().map_err(|e| bad(v, e))?;
    }
    c.timeout = std::time::Duration::from_millis(d.timeout_ms.unwrap_or(1000));
    c.retries = d.retries.unwrap_or(1);
    c.verify = match d.verify_ms.unwrap_or(0) {
        ms if ms < 0 => None,
        ms => Some(std::time::Duration::from_millis(ms.unsigned_abs())),
    };
    c.cycle_delay = std::time::Duration::from_millis(d.cycle_delay_ms.unwrap_or(0));
    c.min_gap = std::time::Duration::from_millis(d.min_gap_ms.unwrap_or(0));
    c.index_offset = d.index_offset.unwrap_or(0);
    Ok(c)
}

/// Which fields each kind of step uses: anything else given is a mistake worth naming.
fn allowed(kind: StepKind) -> &'static [&'static str] {
    match kind {
        StepKind::On | StepKind::Off | StepKind::Cycle | StepKind::State => &["outlet"],
        StepKind::Name => &["outlet", "name"],
        StepKind::Readings => &["outlet"],
        StepKind::List | StepKind::Detect | StepKind::Check => &[],
        StepKind::Get | StepKind::Getnext => &["oids", "community", "version"],
        StepKind::Bulk => &[
            "oids",
            "non_repeaters",
            "max_repetitions",
            "community",
            "version",
        ],
        StepKind::Set => &["varbinds", "community", "version"],
        StepKind::Fault => &["fault", "schedule"],
        StepKind::ClearFaults => &[],
        StepKind::Restart => &["keep_outlets"],
        StepKind::Engine => &[
            "boots",
            "skew_secs",
            "engine_id",
            "uptime_skew_secs",
            "if_counter_offset",
            "if_counters_reset",
        ],
        StepKind::Outlet => &["outlet", "power", "command", "name"],
    }
}

fn check_step(
    step: &Step,
    number: usize,
    names: &[String],
    loc: &Located<'_>,
    span: Range<usize>,
) -> Result<(), ScenarioError> {
    let f = &step.file;
    let kind = step.kind;
    let err = |key: &str, message: String| {
        loc.at(
            loc.key_in(span.clone(), key),
            format!("step {number} ({}): {message}", kind.name()),
        )
    };
    let given: [(&str, bool); 20] = [
        ("outlet", f.outlet.is_some()),
        ("name", f.name.is_some()),
        ("oids", f.oids.is_some()),
        ("varbinds", f.varbinds.is_some()),
        ("non_repeaters", f.non_repeaters.is_some()),
        ("max_repetitions", f.max_repetitions.is_some()),
        ("community", f.community.is_some()),
        ("version", f.version.is_some()),
        ("fault", f.fault.is_some()),
        ("schedule", f.schedule.is_some()),
        ("keep_outlets", f.keep_outlets.is_some()),
        ("boots", f.boots.is_some()),
        ("skew_secs", f.skew_secs.is_some()),
        ("engine_id", f.engine_id.is_some()),
        ("uptime_skew_secs", f.uptime_skew_secs.is_some()),
        ("if_counter_offset", f.if_counter_offset.is_some()),
        ("if_counters_reset", f.if_counters_reset.is_some()),
        ("power", f.power.is_some()),
        ("command", f.command.is_some()),
        ("pdu", false),
    ];
    let ok = allowed(kind);
    for (key, present) in given {
        if present && !ok.contains(&key) {
            return Err(err(
                key,
                format!(
                    "`{key}` does not apply to this step; it takes {}",
                    if ok.is_empty() {
                        "no arguments".to_string()
                    } else {
                        ok.join(", ")
                    }
                ),
            ));
        }
    }
    let needs = |key: &str, present: bool, example: &str| {
        if present {
            Ok(())
        } else {
            Err(err("do", format!("needs `{key}`, e.g. {example}")))
        }
    };
    match kind {
        StepKind::On | StepKind::Off | StepKind::Cycle | StepKind::State => {
            needs("outlet", f.outlet.is_some(), "outlet = 3")?
        }
        StepKind::Name => {
            needs("outlet", f.outlet.is_some(), "outlet = 3")?;
            needs("name", f.name.is_some(), "name = \"web-1\"")?;
        }
        StepKind::Get | StepKind::Getnext | StepKind::Bulk => {
            needs("oids", f.oids.is_some(), "oids = [\"1.3.6.1.2.1.1.1.0\"]")?;
            for o in f.oids.iter().flatten() {
                if pdu_mibs_parse(o).is_none() {
                    return Err(err(
                        "oids",
                        format!("{o:?} is not a dotted OID such as 1.3.6.1.2.1.1.1.0"),
                    ));
                }
            }
        }
        StepKind::Set => {
            needs(
                "varbinds",
                f.varbinds.is_some(),
                "varbinds = [[\"1.3.6.1.2.1.1.5.0\", \"s:lab\"]]",
            )?;
            for (o, v) in f.varbinds.iter().flatten() {
                if pdu_mibs_parse(o).is_none() {
                    return Err(err("varbinds", format!("{o:?} is not a dotted OID")));
                }
                if let Err(e) = crate::load::args::parse_set_value(v) {
                    return Err(err(
                        "varbinds",
                        e.to_string().replace("--set-value ", "value "),
                    ));
                }
            }
        }
        StepKind::Fault => {
            needs(
                "fault",
                f.fault.is_some(),
                "fault = { kind = \"drop-response\" }",
            )?;
            // The outlet count is checked when the fault is added (per PDU).
            if let Some(fault) = &f.fault {
                fault
                    .validate(None)
                    .map_err(|e| err("fault", e.to_string()))?;
            }
            if let Some(schedule) = &f.schedule {
                schedule
                    .validate()
                    .map_err(|e| err("schedule", e.to_string()))?;
            }
        }
        StepKind::Engine
            if f.boots.is_none()
                && f.skew_secs.is_none()
                && f.engine_id.is_none()
                && f.uptime_skew_secs.is_none()
                && f.if_counter_offset.is_none()
                && f.if_counters_reset.is_none() =>
        {
            return Err(err(
                "do",
                "needs boots, skew_secs, engine_id, uptime_skew_secs, if_counter_offset or if_counters_reset".into(),
            ));
        }
        StepKind::Outlet => {
            needs(
                "outlet",
                matches!(f.outlet, Some(OutletArg::Number(_))),
                "outlet = 3 (a number)",
            )?;
            if f.power.is_none() && f.command.is_none() && f.name.is_none() {
                return Err(err("do", "needs power, command or name".into()));
            }
            if let Some(p) = &f.power {
                if p != "on" && p != "off" {
                    return Err(err(
                        "power",
                        format!("{p:?}: use \"on\" or \"off\" (or command = \"reboot\")"),
                    ));
                }
            }
        }
        _ => {}
    }
    if let Some(pdu) = &f.pdu {
        if !names.contains(pdu) {
            return Err(err(
                "pdu",
                format!("no [[pdu]] is named {pdu:?}; the PDUs are {names:?}"),
            ));
        }
    }
    if let Some(v) = &f.expect_error {
        if !ERROR_VARIANTS.contains(&v.as_str()) {
            return Err(err(
                "expect_error",
                format!(
                    "{v:?} is not a driver error variant; use one of {}",
                    ERROR_VARIANTS.join(", ")
                ),
            ));
        }
        if f.expect_ok == Some(true) {
            return Err(err(
                "expect_ok",
                "expect_ok = true and expect_error contradict each other".into(),
            ));
        }
    }
    if f.expect_within_ms.is_some() && !kind.is_driver_action() {
        return Err(err(
            "expect_within_ms",
            "applies to driver actions only (on, off, cycle, state, list, name, readings, detect)"
                .into(),
        ));
    }
    for (outlet, power) in f.expect_outlets.iter().flatten() {
        if outlet.parse::<u32>().map_or(true, |n| n == 0) {
            return Err(err(
                "expect_outlets",
                format!("{outlet:?} is not an outlet number: write {{ 3 = \"off\" }}"),
            ));
        }
        if power != "on" && power != "off" {
            return Err(err(
                "expect_outlets",
                format!("outlet {outlet}: {power:?} is not a power state; use \"on\" or \"off\""),
            ));
        }
    }
    for name in f.expect_counters.iter().flat_map(|c| c.keys()) {
        if !COUNTERS.contains(&name.as_str()) {
            return Err(err(
                "expect_counters",
                format!(
                    "{name:?} is not a counter the runner reads; use one of {}",
                    COUNTERS.join(", ")
                ),
            ));
        }
    }
    if kind == StepKind::Check
        && f.advance_ms.is_none()
        && f.sleep_ms.is_none()
        && f.expect_outlets.is_none()
        && f.expect_counters.is_none()
    {
        return Err(err(
            "do",
            "`do` is missing: say what the step does (on, off, cycle, state, list, name, readings, detect, get, getnext, bulk, set, fault, clear-faults, restart, engine, outlet) or give advance_ms / sleep_ms / expect_outlets".into(),
        ));
    }
    Ok(())
}

fn pdu_mibs_parse(text: &str) -> Option<Vec<u32>> {
    pdu_driver::vendors::parse_oid(text).filter(|o| o.len() >= 2)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PDU: &str = "description = \"d\"\n[[pdu]]\nname = \"a\"\n[[pdu.community]]\nname = \"private\"\naccess = \"read-write\"\n";

    fn error_of(text: &str) -> ScenarioError {
        parse(text, "t.toml").err().unwrap()
    }

    #[test]
    fn a_minimal_scenario_parses() {
        let s = parse(
            &format!(
                "{PDU}[[step]]\ndo = \"off\"\noutlet = 3\nexpect_outlets = {{ 3 = \"off\" }}\n"
            ),
            "t.toml",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 1);
        assert_eq!(s.steps[0].kind, StepKind::Off);
        assert_eq!(s.steps[0].line, 7);
        assert_eq!(s.driver_pdu, "a");
    }

    #[test]
    fn unknown_step_names_line_and_choices() {
        let e = error_of(&format!("{PDU}[[step]]\ndo = \"explode\"\n"));
        assert_eq!((e.file.as_str(), e.line), ("t.toml", 8));
        assert!(
            e.message.contains("explode") && e.message.contains("cycle"),
            "{e}"
        );
    }

    #[test]
    fn unknown_vendor_names_line() {
        let e = error_of("description = \"d\"\n[[pdu]]\nname = \"a\"\nvendor = \"acme\"\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message.contains("acme") && e.message.contains("raritan-px2"),
            "{e}"
        );
        let e = error_of(&format!("{PDU}[driver]\nvendor = \"acme\"\n"));
        assert_eq!(e.line, 8, "{e}");
        assert!(e.message.contains("apc-rpdu2"), "{e}");
    }

    #[test]
    fn wrong_type_names_line_and_expectation() {
        let e = error_of(&format!("{PDU}[driver]\ntimeout_ms = \"fast\"\n"));
        assert_eq!(e.line, 8, "{e}");
        assert!(
            e.message.contains("u64") || e.message.contains("integer"),
            "{e}"
        );
        let e = error_of(&format!(
            "{PDU}[[step]]\ndo = \"off\"\noutlet = 3\nexpect_ok = \"yes\"\n"
        ));
        assert_eq!(e.line, 10, "{e}");
        assert!(e.message.contains("bool"), "{e}");
    }

    #[test]
    fn meaningless_faults_are_refused_with_their_field() {
        for (fault, field, line) in [
            ("fault = { kind = \"force-error\", status = \"oops\" }\n", "`fault.status`", 9),
            ("fault = { kind = \"report-instead\", counter = \"usmStatsNope\" }\n", "`fault.counter`", 9),
            ("fault = { kind = \"stuck-outlet\", outlet = 0 }\n", "`fault.outlet`", 9),
            ("fault = { kind = \"corrupt\", offset_from_end = 9223372036854775807 }\n", "`fault.offset_from_end`", 9),
            ("fault = { kind = \"drop-response\" }\nschedule = { packets = 0 }\n", "`schedule.packets`", 10),
            ("fault = { kind = \"drop-response\" }\nschedule = { after_requests = 9223372036854775807 }\n", "`schedule.after_requests`", 10),
        ] {
            let e = error_of(&format!("{PDU}[[step]]\ndo = \"fault\"\n{fault}"));
            assert_eq!(e.line, line, "{fault}: {e}");
            assert!(e.message.contains(field), "{fault}: {e}");
        }
    }

    /// Every fault kind refuses a field it does not take in a scenario file, naming it and
    /// the step's line; a schedule field is pointed to `schedule`.
    #[test]
    fn every_fault_kind_refuses_unknown_fields() {
        for kind in FaultKind::examples() {
            let value = serde_json::to_value(&kind).unwrap();
            let fields: Vec<String> = value
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            let step = |fields: &[String]| {
                format!(
                    "{PDU}[[step]]\ndo = \"fault\"\nfault = {{ {} }}\n",
                    fields.join(", ")
                )
            };
            let s = parse(&step(&fields), "t.toml").unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(s.steps[0].file.fault.as_ref(), Some(&kind));
            for extra in ["typo", "for_ms", "packets", "after_requests"] {
                let mut with = fields.clone();
                with.push(format!("{extra} = 1000"));
                let text = step(&with);
                let e = error_of(&text);
                assert_eq!(e.line, 9, "{text}: {e}");
                assert!(
                    e.message.contains(&format!("`fault.{extra}`")),
                    "{text}: {e}"
                );
                if extra != "typo" {
                    assert!(e.message.contains("put it in `schedule`"), "{text}: {e}");
                }
            }
        }
    }

    #[test]
    fn misplaced_and_missing_fields() {
        let e = error_of(&format!("{PDU}[[step]]\ndo = \"list\"\noutlet = 3\n"));
        assert_eq!(e.line, 9, "{e}");
        assert!(e.message.contains("`outlet` does not apply"), "{e}");
        let e = error_of(&format!("{PDU}[[step]]\ndo = \"off\"\n"));
        assert!(e.message.contains("needs `outlet`"), "{e}");
        let e = error_of(&format!(
            "{PDU}[[step]]\ndo = \"off\"\noutlet = 1\nexpect_error = \"Oops\"\n"
        ));
        assert!(e.message.contains("WrongDigest"), "{e}");
        let e = error_of(&format!(
            "{PDU}[[step]]\ndo = \"off\"\noutlet = 1\nexpct_ok = true\n"
        ));
        assert_eq!(e.line, 10, "{e}");
        assert!(e.message.contains("expct_ok"), "{e}");
        let e = error_of(&format!(
            "{PDU}[[step]]\ndo = \"fault\"\nfault = {{ kind = \"explode\" }}\n"
        ));
        assert!(e.message.contains("agent-down"), "{e}");
    }

    #[test]
    fn pdu_field_mistakes_point_into_the_table() {
        let e = error_of("description = \"d\"\n[[pdu]]\nname = \"a\"\noutlets = 0\n");
        assert_eq!(e.line, 4, "{e}");
        let e = error_of("description = \"d\"\n[[pdu]]\nname = \"a\"\noutlets = \"eight\"\n");
        assert_eq!(e.line, 4, "{e}");
    }
}
