//! Fault injection: what a PDU does wrong on purpose. Each fault acts at one named point of the
//! request flow (ARCHITECTURE.md), so the flow itself stays free of special cases:
//!
//! - `Receive`: before decoding (the agent is down, the request is lost);
//! - `Respond`: after security, instead of or around the agent (forced error-status, a Report
//!   instead of the Response, a wrong request-id);
//! - `Commit`: when a SET is applied to outlets (stuck or slow outlets);
//! - `Send`: on the encoded answer (dropped, late, duplicated, reordered, truncated, corrupted,
//!   sent from another port);
//! - `Notify`: on a notification the PDU sends (dropped, late, duplicated, an inform whose
//!   Responses are ignored), in the originator (`notify`);
//! - `Report`: on an SNMPv3 Report the PDU sends (a discovery Report without engine boots and
//!   time, a Report with no varbinds).
//!
//! One-shot engine events (restart, engine ID change, boots at maximum, clock skew) are not
//! faults that wait for packets; they are operations on the device (`Device::restart`, ...).
//!
//! A fault is scheduled: it becomes active after N more requests (default 0), stays active for
//! a duration and/or a number of packets (default: until cleared). Only packets a fault acts
//! on count against its packets ([`Schedule::packets`] lists them per kind): a point takes
//! faults that act on every packet with [`FaultSet::at`], and looks up the others with
//! [`FaultSet::pending`] and [`FaultSet::claim`]s each one that acts.
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Where in the flow a fault acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPoint {
    /// A datagram has arrived, before it is decoded.
    Receive,
    /// The request passed the security checks; the agent is about to answer.
    Respond,
    /// A SET is being applied to the outlets.
    Commit,
    /// The answer is encoded and about to leave.
    Send,
    /// A notification (trap or inform) is about to be sent to the PDU's targets.
    Notify,
    /// An SNMPv3 Report (RFC 3412 §7.1 step 3, RFC 3414 §3.2) is about to be sent.
    Report,
}

/// What goes wrong. Serialized as `{ "kind": "drop-response", ... }` in the control API and
/// scenarios. Deserializing refuses a field the kind does not take, for every kind (a
/// schedule field such as `for_ms` is pointed to `schedule`), naming the field at fault as
/// [`FaultKind::from_value`] does.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultKind {
    /// The agent stops answering anything (a hung management card).
    AgentDown,
    /// The request is lost before the agent sees it.
    DropRequest,
    /// The answer is lost.
    DropResponse,
    /// The answer leaves `ms` milliseconds late.
    Delay {
        /// The delay, in milliseconds.
        ms: u64,
    },
    /// The answer is sent twice.
    Duplicate,
    /// The answer is held back and sent after the next one.
    Reorder,
    /// Only the first `bytes` bytes of the answer are sent.
    Truncate {
        /// How many bytes of the answer are kept.
        bytes: usize,
    },
    /// One byte of the answer (at `offset` from the end, default the last) is flipped.
    Corrupt {
        /// Which byte, counted back from the last (0, the default, is the last).
        #[serde(default)]
        offset_from_end: usize,
    },
    /// The answer comes from another UDP source port.
    WrongSourcePort,
    /// The Response carries error-status `status` (a name such as "genErr" or a number),
    /// pointing at the first varbind, or only for requests naming `oid` (a prefix), or only
    /// for SETs.
    ForceError {
        /// The error-status, by RFC 3416 name or number (an unknown one is refused).
        status: String,
        /// Only requests with a varbind under this dotted OID; error-index then points at the
        /// first such varbind.
        #[serde(default)]
        oid: Option<String>,
        /// Only SetRequests.
        #[serde(default)]
        set_only: bool,
    },
    /// The Response's request-id is off by one.
    WrongRequestId,
    /// A SET is carried out (outlets switch, state is saved) and then answered with genErr
    /// (error-index 1) or, with `no_answer`, not answered at all, as PDUs in the field do when
    /// their management card fails after acting. Only SETs the agent accepted are affected;
    /// other requests are answered as usual.
    ErrorAfterCommit {
        /// No Response at all (the manager times out) instead of genErr.
        #[serde(default)]
        no_answer: bool,
    },
    /// A Report with this usmStats counter (e.g. "usmStatsNotInTimeWindows") instead of the
    /// Response. SNMPv3 only (v1/v2c requests are answered as usual); a name that is not a
    /// usmStats counter is refused.
    ReportInstead {
        /// The usmStats counter's name, case-insensitive.
        counter: String,
    },
    /// SETs to this outlet are accepted but change nothing.
    StuckOutlet {
        /// The outlet number, from 1.
        outlet: u32,
    },
    /// SETs to this outlet take effect `ms` milliseconds later (by the PDU's clock).
    SlowOutlet {
        /// The outlet number, from 1.
        outlet: u32,
        /// The delay, in milliseconds.
        ms: u64,
    },
    /// The notification is not sent to any target.
    DropNotification,
    /// The notification leaves `ms` milliseconds late (real time).
    DelayNotification {
        /// The delay, in milliseconds.
        ms: u64,
    },
    /// The notification is sent twice to each target (an inform: each transmission twice).
    DuplicateNotification,
    /// The inform's Responses are ignored, so it is sent again until its retries run out and
    /// then fails (counted), as if the receiver never acknowledged it.
    UnacknowledgedInform,
    /// A minimum gap between switch operations (ATEN PDUs): a SET to the vendor's on, off or
    /// cycle control column arriving less than `ms` milliseconds (real time) after the
    /// previous switch operation this PDU carried out is refused with error-status `status`
    /// (default resourceUnavailable; error-index 1) or, with `ignore`, answered noError and
    /// not carried out.
    SwitchGap {
        /// The minimum gap, in milliseconds (1 to a day).
        ms: u64,
        /// The error-status of a refused SET, by RFC 3416 name or number (default
        /// "resourceUnavailable"); not with `ignore`.
        #[serde(default)]
        status: Option<String>,
        /// Answer noError and do nothing, instead of refusing.
        #[serde(default)]
        ignore: bool,
    },
    /// Delayed commands are refused (Eaton IPV/IPC models): a SET that would leave an outlet
    /// as it is with a change pending (a delay above 0 in Eaton's control columns, APC's
    /// delayedOn/Off/Reboot, ...) is undone and answered wrongValue (error-index 1).
    RefuseDelayedCommands,
    /// Lockout of a source address after failed authentications: after `failures` of them
    /// from one source address (a wrong digest, usmStatsWrongDigests, or an unknown
    /// community), everything from that address is dropped for `secs` seconds by the PDU's
    /// clock; then it is forgiven and counting starts again. Counted on the PDU whose engine
    /// or community table refused the message (the first PDU of a shared address).
    AuthLockout {
        /// Failed authentications that lock the source out (at least 1).
        failures: u32,
        /// How long the lockout lasts, in seconds (1 to a day).
        secs: u64,
    },
    /// The discovery Report (usmStatsUnknownEngineIDs to a message with an empty
    /// msgAuthoritativeEngineID, RFC 3414 §4) carries msgAuthoritativeEngineBoots and
    /// msgAuthoritativeEngineTime 0, as some agents send it; managers learn the real values
    /// from the notInTimeWindow Report that answers their first authenticated request.
    DiscoveryWithoutTime,
    /// SNMPv3 Reports carry no varbind (no usmStats counter says why the message was
    /// refused), as some agents send them.
    EmptyReport,
    /// Values of INTEGER objects under `oid` (a dotted prefix, e.g. Sentry3's
    /// outletControlAction column) are encoded as a zero-length INTEGER (`02 00`), which BER
    /// does not allow (X.690 §8.3.1) and Sentry3 firmware sends. SNMPv1/v2c Responses only
    /// (an SNMPv3 Response is protected after encoding and is sent as usual).
    ZeroLengthInteger {
        /// The dotted OID prefix whose INTEGER values are sent empty.
        oid: String,
    },
}

/// [`FaultKind`] as read: externally tagged (`{"drop-response": {}}`) so that serde names the
/// path of a field at fault, every kind a struct so that an unknown field is refused.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum Repr {
    AgentDown {},
    DropRequest {},
    DropResponse {},
    Delay {
        ms: u64,
    },
    Duplicate {},
    Reorder {},
    Truncate {
        bytes: usize,
    },
    Corrupt {
        #[serde(default)]
        offset_from_end: usize,
    },
    WrongSourcePort {},
    ForceError {
        status: String,
        #[serde(default)]
        oid: Option<String>,
        #[serde(default)]
        set_only: bool,
    },
    WrongRequestId {},
    ErrorAfterCommit {
        #[serde(default)]
        no_answer: bool,
    },
    ReportInstead {
        counter: String,
    },
    StuckOutlet {
        outlet: u32,
    },
    SlowOutlet {
        outlet: u32,
        ms: u64,
    },
    DropNotification {},
    DelayNotification {
        ms: u64,
    },
    DuplicateNotification {},
    UnacknowledgedInform {},
    SwitchGap {
        ms: u64,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        ignore: bool,
    },
    RefuseDelayedCommands {},
    AuthLockout {
        failures: u32,
        secs: u64,
    },
    DiscoveryWithoutTime {},
    EmptyReport {},
    ZeroLengthInteger {
        oid: String,
    },
}

impl From<Repr> for FaultKind {
    fn from(repr: Repr) -> Self {
        match repr {
            Repr::AgentDown {} => FaultKind::AgentDown,
            Repr::DropRequest {} => FaultKind::DropRequest,
            Repr::DropResponse {} => FaultKind::DropResponse,
            Repr::Delay { ms } => FaultKind::Delay { ms },
            Repr::Duplicate {} => FaultKind::Duplicate,
            Repr::Reorder {} => FaultKind::Reorder,
            Repr::Truncate { bytes } => FaultKind::Truncate { bytes },
            Repr::Corrupt { offset_from_end } => FaultKind::Corrupt { offset_from_end },
            Repr::WrongSourcePort {} => FaultKind::WrongSourcePort,
            Repr::ForceError {
                status,
                oid,
                set_only,
            } => FaultKind::ForceError {
                status,
                oid,
                set_only,
            },
            Repr::WrongRequestId {} => FaultKind::WrongRequestId,
            Repr::ErrorAfterCommit { no_answer } => FaultKind::ErrorAfterCommit { no_answer },
            Repr::ReportInstead { counter } => FaultKind::ReportInstead { counter },
            Repr::StuckOutlet { outlet } => FaultKind::StuckOutlet { outlet },
            Repr::SlowOutlet { outlet, ms } => FaultKind::SlowOutlet { outlet, ms },
            Repr::DropNotification {} => FaultKind::DropNotification,
            Repr::DelayNotification { ms } => FaultKind::DelayNotification { ms },
            Repr::DuplicateNotification {} => FaultKind::DuplicateNotification,
            Repr::UnacknowledgedInform {} => FaultKind::UnacknowledgedInform,
            Repr::SwitchGap { ms, status, ignore } => FaultKind::SwitchGap { ms, status, ignore },
            Repr::RefuseDelayedCommands {} => FaultKind::RefuseDelayedCommands,
            Repr::AuthLockout { failures, secs } => FaultKind::AuthLockout { failures, secs },
            Repr::DiscoveryWithoutTime {} => FaultKind::DiscoveryWithoutTime,
            Repr::EmptyReport {} => FaultKind::EmptyReport,
            Repr::ZeroLengthInteger { oid } => FaultKind::ZeroLengthInteger { oid },
        }
    }
}

/// The fields of a [`Schedule`], for pointing one written in a fault to `schedule`.
const SCHEDULE_FIELDS: [&str; 3] = ["after_requests", "for_ms", "packets"];

/// The name inside the first pair of backquotes after `marker` in serde's `message`.
fn quoted_after<'m>(message: &'m str, marker: &str) -> Option<&'m str> {
    message
        .split_once(marker)
        .and_then(|(_, rest)| rest.split('`').next())
}

/// A serde error found at `path` (dotted, from the part's root, "." for the root) of the part
/// named `part` (`fault`, `schedule`) as a [`FaultSpecError`] naming the dotted path of the
/// field at fault (`fault.status`, `schedule.packets`).
fn spec_error(part: &str, path: &str, message: &str) -> FaultSpecError {
    let inner = path.trim_start_matches('.');
    let field = if let Some(unknown) = quoted_after(message, "unknown field `") {
        if SCHEDULE_FIELDS.contains(&unknown) && part != "schedule" {
            return FaultSpecError::new(
                format!("{part}.{unknown}"),
                format!(
                    "`{unknown}` is not a field of the fault but of its schedule: put it in `schedule`, e.g. {{\"fault\": {{\"kind\": \"agent-down\"}}, \"schedule\": {{\"{unknown}\": 1000}}}}"
                ),
            );
        }
        unknown.to_string()
    } else if let Some(missing) = quoted_after(message, "missing field `") {
        missing.to_string()
    } else {
        inner.to_string()
    };
    let field = if field.is_empty() {
        part.to_string()
    } else {
        format!("{part}.{field}")
    };
    FaultSpecError::new(field, message.to_string())
}

impl FaultKind {
    /// Reads a fault from its JSON/TOML object (`{"kind": "delay", "ms": 300}`), refusing a
    /// field the kind does not take (pointing a schedule field such as `for_ms` to
    /// `schedule`), a missing one, or one of the wrong type.
    ///
    /// Errors: [`FaultSpecError`] naming the dotted path of the field at fault (`fault.kind`,
    /// `fault.status`, `fault.outlet`, ...).
    pub fn from_value(value: serde_json::Value) -> Result<FaultKind, FaultSpecError> {
        let serde_json::Value::Object(mut fields) = value else {
            return Err(FaultSpecError::new(
                "fault",
                "a fault is an object naming its kind, e.g. {\"kind\": \"drop-response\"}",
            ));
        };
        let kind = match fields.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            Some(other) => {
                return Err(FaultSpecError::new(
                    "fault.kind",
                    format!("{other} is not a fault kind: write its name, e.g. \"drop-response\""),
                ))
            }
            None => {
                return Err(FaultSpecError::new(
                    "fault.kind",
                    "missing field `kind`: name what goes wrong, e.g. \"drop-response\"",
                ))
            }
        };
        let mut tagged = serde_json::Map::new();
        tagged.insert(kind, serde_json::Value::Object(fields));
        match serde_path_to_error::deserialize::<_, Repr>(serde_json::Value::Object(tagged)) {
            Ok(repr) => Ok(repr.into()),
            Err(e) => {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                if quoted_after(&message, "unknown variant `").is_some() {
                    return Err(FaultSpecError::new("fault.kind", message));
                }
                // The first segment is the kind itself.
                let within = path.split_once('.').map_or("", |(_, rest)| rest);
                Err(spec_error("fault", within, &message))
            }
        }
    }
}

impl<'de> Deserialize<'de> for FaultKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        FaultKind::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl Schedule {
    /// Reads a schedule from its JSON/TOML object (`{"packets": 1}`), refusing an unknown
    /// field or one of the wrong type.
    ///
    /// Errors: [`FaultSpecError`] naming the dotted path of the field at fault
    /// (`schedule.packets`, ...).
    pub fn from_value(value: serde_json::Value) -> Result<Schedule, FaultSpecError> {
        serde_path_to_error::deserialize::<_, Schedule>(value).map_err(|e| {
            let path = e.path().to_string();
            spec_error("schedule", &path, &e.into_inner().to_string())
        })
    }
}

impl FaultKind {
    /// One sensible fault of every kind, in declaration order (for tests and examples that
    /// must cover every kind: a new kind cannot compile until it joins this list).
    pub fn examples() -> Vec<FaultKind> {
        let mut all = vec![FaultKind::AgentDown];
        while let Some(next) = all.last().and_then(FaultKind::next_example) {
            all.push(next);
        }
        all
    }

    /// The example of the kind declared after this one (`None` after the last): a chain
    /// through every kind, with no catch-all arm.
    fn next_example(&self) -> Option<FaultKind> {
        use FaultKind::*;
        Some(match self {
            AgentDown => DropRequest,
            DropRequest => DropResponse,
            DropResponse => Delay { ms: 300 },
            Delay { .. } => Duplicate,
            Duplicate => Reorder,
            Reorder => Truncate { bytes: 10 },
            Truncate { .. } => Corrupt { offset_from_end: 0 },
            Corrupt { .. } => WrongSourcePort,
            WrongSourcePort => ForceError {
                status: "genErr".into(),
                oid: None,
                set_only: true,
            },
            ForceError { .. } => WrongRequestId,
            WrongRequestId => ErrorAfterCommit { no_answer: false },
            ErrorAfterCommit { .. } => ReportInstead {
                counter: "usmStatsNotInTimeWindows".into(),
            },
            ReportInstead { .. } => StuckOutlet { outlet: 1 },
            StuckOutlet { .. } => SlowOutlet {
                outlet: 1,
                ms: 2000,
            },
            SlowOutlet { .. } => DropNotification,
            DropNotification => DelayNotification { ms: 500 },
            DelayNotification { .. } => DuplicateNotification,
            DuplicateNotification => UnacknowledgedInform,
            UnacknowledgedInform => SwitchGap {
                ms: 2000,
                status: None,
                ignore: false,
            },
            SwitchGap { .. } => RefuseDelayedCommands,
            RefuseDelayedCommands => AuthLockout {
                failures: 3,
                secs: 300,
            },
            AuthLockout { .. } => DiscoveryWithoutTime,
            DiscoveryWithoutTime => EmptyReport,
            EmptyReport => ZeroLengthInteger {
                oid: "1.3.6.1.4.1.1718.3.2.3.1.11".into(),
            },
            ZeroLengthInteger { .. } => return None,
        })
    }

    /// The one point of the flow where this kind acts.
    pub fn point(&self) -> FaultPoint {
        use FaultKind::*;
        match self {
            AgentDown | DropRequest | AuthLockout { .. } => FaultPoint::Receive,
            DiscoveryWithoutTime | EmptyReport => FaultPoint::Report,
            ForceError { .. }
            | WrongRequestId
            | ReportInstead { .. }
            | ErrorAfterCommit { .. }
            | SwitchGap { .. }
            | RefuseDelayedCommands
            | ZeroLengthInteger { .. } => FaultPoint::Respond,
            StuckOutlet { .. } | SlowOutlet { .. } => FaultPoint::Commit,
            DropResponse
            | Delay { .. }
            | Duplicate
            | Reorder
            | Truncate { .. }
            | Corrupt { .. }
            | WrongSourcePort => FaultPoint::Send,
            DropNotification
            | DelayNotification { .. }
            | DuplicateNotification
            | UnacknowledgedInform => FaultPoint::Notify,
        }
    }
}

/// When a fault acts. All fields optional: the default is "from now until cleared".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Becomes active after this many more requests reach the PDU, whether or not the fault
    /// would act on them: at an address of its own every datagram counts (a GET, a SET, an
    /// SNMPv3 discovery, one security refuses, one that does not decode); at an address shared
    /// with other PDUs, every message that names it by community or context.
    #[serde(default)]
    pub after_requests: u64,
    /// Stays active this long (by the PDU's clock) once active.
    #[serde(default)]
    pub for_ms: Option<u64>,
    /// Acts on this many packets, then expires. A packet counts only when the fault acts on
    /// it; packets it leaves alone pass and use nothing:
    ///
    /// - `agent-down`, `drop-request`: every request reaching the PDU;
    /// - `auth-lockout`: every request it drops from a locked-out source address;
    /// - `force-error`: every request it answers with its error-status (with `set_only`, SETs
    ///   only; with `oid`, requests naming it);
    /// - `report-instead`: every SNMPv3 request it answers with its Report;
    /// - `wrong-request-id`: every Response whose request-id it changes;
    /// - `error-after-commit`: every SET the agent carried out (answered genErr or not at all);
    /// - `switch-gap`: every switch operation it refuses or ignores (not one it lets through);
    /// - `refuse-delayed-commands`: every delayed command it refuses;
    /// - `zero-length-integer`: every SNMPv1/v2c Response with an INTEGER under its `oid`;
    /// - `stuck-outlet`, `slow-outlet`: every SET that would have switched its outlet;
    /// - `drop-response`, `delay`, `duplicate`, `reorder`, `truncate`, `corrupt`,
    ///   `wrong-source-port`: every answer about to be sent;
    /// - `empty-report`: every SNMPv3 Report; `discovery-without-time`: every discovery Report;
    /// - `drop-notification`, `delay-notification`, `duplicate-notification`: every
    ///   notification the PDU raises (none after a `drop-notification` dropped it);
    ///   `unacknowledged-inform`: every notification sent as an inform to some target.
    ///
    /// A request answered by one fault instead of the agent (`force-error`, `report-instead`,
    /// a refusing `switch-gap`) is not acted on by the others of the `Respond` point.
    #[serde(default)]
    pub packets: Option<u32>,
}

/// A fault as listed by the control API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultInfo {
    /// Its ID within the PDU, from 1, for removing it.
    pub id: u64,
    /// What it does (flattened into the JSON object: `"kind": ...` and its fields).
    #[serde(flatten)]
    pub kind: FaultKind,
    /// When it acts, as added (not what is left of it).
    pub schedule: Schedule,
}

/// What is left of a fault's [`Schedule`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Remaining {
    /// Requests still to come before it starts acting (0: active).
    pub requests_until_active: u64,
    /// Packets it will still act on (`None`: no limit).
    pub packets_left: Option<u32>,
    /// Milliseconds it stays active (`None`: no limit; the full `for_ms` until it first acts).
    pub ms_left: Option<u64>,
}

#[derive(Debug)]
struct Active {
    id: u64,
    kind: FaultKind,
    schedule: Schedule,
    /// Request count at which it starts.
    starts_at_request: u64,
    /// Clock reading at which it started acting (set on first use when `for_ms` is given).
    started_at: Option<Duration>,
    packets_left: Option<u32>,
}

impl Active {
    /// Uses one packet of its budget; false when that was the last one (it is then dropped).
    fn use_packet(&mut self) -> bool {
        match &mut self.packets_left {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n > 0
            }
            None => true,
        }
    }

    /// Whether its `for_ms` has run out at `now` (it started acting that long ago or more).
    fn expired(&self, now: Duration) -> bool {
        match (self.started_at, self.schedule.for_ms) {
            (Some(started), Some(ms)) => started
                .checked_add(Duration::from_millis(ms))
                .is_some_and(|end| now >= end),
            _ => false,
        }
    }
}

/// The faults of one PDU.
#[derive(Debug, Default)]
pub struct FaultSet {
    /// How many outlets the PDU has (outlet faults must name one); `None`: not checked.
    outlets: Option<u32>,
    /// Fast path: no lock is taken while no fault was ever added.
    armed: AtomicBool,
    next_id: AtomicU64,
    requests: AtomicU64,
    active: Mutex<Vec<Active>>,
    /// `auth-lockout`: failed authentications and lockouts, per source address.
    lockouts: Mutex<HashMap<IpAddr, Lockout>>,
    /// `switch-gap`: when this PDU last carried out a switch operation (real time).
    last_switch: Mutex<Option<Instant>>,
}

/// One source address under `auth-lockout`.
#[derive(Debug, Default, Clone, Copy)]
struct Lockout {
    /// Failed authentications since the last lockout ended.
    failures: u32,
    /// Until when (PDU clock) everything from it is dropped.
    until: Option<Duration>,
}

impl FaultSet {
    /// The faults of a PDU with `outlets` outlets (numbered from 1), none added yet.
    pub fn for_outlets(outlets: u32) -> Self {
        FaultSet {
            outlets: Some(outlets),
            ..FaultSet::default()
        }
    }

    /// Adds a fault; `after_requests` counts from now: that many requests pass untouched and
    /// the next is the first it acts on. Returns its ID (from 1, never reused within the PDU).
    ///
    /// Errors: [`FaultSpecError`] naming the field, when the kind or schedule does not mean
    /// anything ([`FaultKind::validate`], [`Schedule::validate`]); nothing is added then.
    pub fn add(&self, kind: FaultKind, schedule: Schedule) -> Result<u64, FaultSpecError> {
        kind.validate(self.outlets)?;
        schedule.validate()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        // Requests are counted before their faults are looked up, so the first
        // `after_requests` requests pass untouched and the next one is the first affected.
        let now = self.requests.load(Ordering::Relaxed);
        let starts_at_request = match schedule.after_requests {
            0 => now,
            n => now.saturating_add(n).saturating_add(1),
        };
        let packets_left = schedule.packets;
        self.lock().push(Active {
            id,
            kind,
            schedule,
            starts_at_request,
            started_at: None,
            packets_left,
        });
        self.armed.store(true, Ordering::Release);
        Ok(id)
    }

    /// Removes fault `id`; false if there is none (never added, removed, or dropped because
    /// its time or packets ran out).
    pub fn remove(&self, id: u64) -> bool {
        let mut active = self.lock();
        let before = active.len();
        active.retain(|a| a.id != id);
        before != active.len()
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Every fault not yet removed at `now` (the PDU's clock), in the order added. A fault whose
    /// time (`for_ms`) or packets ran out is not listed: it is dropped here, as it would be the
    /// next time its point is reached.
    pub fn list(&self, now: Duration) -> Vec<FaultInfo> {
        let mut active = self.lock();
        active.retain(|a| !a.expired(now));
        active
            .iter()
            .map(|a| FaultInfo {
                id: a.id,
                kind: a.kind.clone(),
                schedule: a.schedule.clone(),
            })
            .collect()
    }

    /// What is left of each fault's schedule at `now`, by ID, in the order added (for the
    /// dashboard; [`FaultSet::list`] gives the schedules as added).
    pub fn remaining(&self, now: Duration) -> Vec<(u64, Remaining)> {
        let requests = self.requests.load(Ordering::Relaxed);
        let mut active = self.lock();
        active.retain(|a| !a.expired(now));
        active
            .iter()
            .map(|a| {
                let ms_left = a.schedule.for_ms.map(|ms| match a.started_at {
                    None => ms,
                    Some(started) => {
                        let used = now.saturating_sub(started).as_millis();
                        ms.saturating_sub(u64::try_from(used).unwrap_or(u64::MAX))
                    }
                });
                let left = Remaining {
                    requests_until_active: a
                        .starts_at_request
                        .saturating_sub(requests)
                        .saturating_sub(1),
                    packets_left: a.packets_left,
                    ms_left,
                };
                (a.id, left)
            })
            .collect()
    }

    /// Counts one request reaching the PDU (for `after_requests`).
    pub fn count_request(&self) {
        if self.armed.load(Ordering::Acquire) {
            self.requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The faults acting at `point` on this packet, each using one packet of its budget
    /// (dropping the ones that ran out): for the points and kinds that act on every packet
    /// reaching them (see [`Schedule::packets`]). Kinds that act on some packets only are
    /// looked up with [`FaultSet::pending`] and used with [`FaultSet::claim`].
    pub fn at(&self, point: FaultPoint, now: Duration) -> Vec<FaultKind> {
        if !self.armed.load(Ordering::Acquire) {
            return Vec::new();
        }
        let requests = self.requests.load(Ordering::Relaxed);
        let mut active = self.lock();
        let mut acting = Vec::new();
        active.retain_mut(|a| {
            if a.kind.point() != point || requests < a.starts_at_request {
                return true;
            }
            a.started_at.get_or_insert(now);
            if a.expired(now) {
                return false;
            }
            acting.push(a.kind.clone());
            a.use_packet()
        });
        acting
    }

    /// The faults that may act at `point` on this packet (active, time not run out), by ID, in
    /// the order added, without using their budgets: the caller decides which of them act on
    /// the packet and [`FaultSet::claim`]s those, so a packet a fault leaves alone does not
    /// count against its `packets` (a `set_only` fault and a GET, for instance).
    pub fn pending(&self, point: FaultPoint, now: Duration) -> Vec<(u64, FaultKind)> {
        if !self.armed.load(Ordering::Acquire) {
            return Vec::new();
        }
        let requests = self.requests.load(Ordering::Relaxed);
        let mut active = self.lock();
        active.retain(|a| !a.expired(now));
        active
            .iter()
            .filter(|a| a.kind.point() == point && requests >= a.starts_at_request)
            .map(|a| (a.id, a.kind.clone()))
            .collect()
    }

    /// Fault `id` (from [`FaultSet::pending`]) acts on this packet: uses one packet of its
    /// budget and starts its `for_ms` on first use. False when it is gone meanwhile (removed,
    /// its time or packets ran out, for instance used up by a concurrent request): then it
    /// must not act.
    pub fn claim(&self, id: u64, now: Duration) -> bool {
        let mut active = self.lock();
        let Some(pos) = active.iter().position(|a| a.id == id) else {
            return false;
        };
        let Some(a) = active.get_mut(pos) else {
            return false;
        };
        a.started_at.get_or_insert(now);
        if a.expired(now) {
            active.remove(pos);
            return false;
        }
        if !a.use_packet() {
            active.remove(pos);
        }
        true
    }

    /// The outlet faults (stuck, slow) that may act on this SET: the `Commit` point of
    /// [`FaultSet::pending`]; one acts (and is [`FaultSet::claim`]ed) when the SET would have
    /// switched its outlet.
    pub fn outlet_faults(&self, now: Duration) -> Vec<(u64, FaultKind)> {
        self.pending(FaultPoint::Commit, now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Active>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `auth-lockout` fault in force (the first added and active), without using its
    /// packet budget.
    fn lockout_rule(&self) -> Option<(u32, u64)> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let requests = self.requests.load(Ordering::Relaxed);
        self.lock().iter().find_map(|a| match a.kind {
            FaultKind::AuthLockout { failures, secs } if requests >= a.starts_at_request => {
                Some((failures, secs))
            }
            _ => None,
        })
    }

    /// Notes a failed authentication (a wrong digest, an unknown community) from `source` at
    /// `now` (PDU clock): with an `auth-lockout` fault in force, the source is locked out once
    /// its failures reach the fault's count. Returns whether it is locked out now.
    pub fn auth_failed(&self, source: Option<IpAddr>, now: Duration) -> bool {
        let (Some(source), Some((failures, secs))) = (source, self.lockout_rule()) else {
            return false;
        };
        let mut lockouts = self.lockouts.lock().unwrap_or_else(|p| p.into_inner());
        let entry = lockouts.entry(source).or_default();
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures >= failures {
            entry.failures = 0;
            entry.until = now.checked_add(Duration::from_secs(secs));
        }
        entry.until.is_some_and(|until| now < until)
    }

    /// Whether `source` is locked out at `now` by `auth-lockout` (a lockout that has run out
    /// is forgotten).
    pub fn locked_out(&self, source: Option<IpAddr>, now: Duration) -> bool {
        let Some(source) = source else { return false };
        let mut lockouts = self.lockouts.lock().unwrap_or_else(|p| p.into_inner());
        match lockouts.get(&source).and_then(|l| l.until) {
            Some(until) if now < until => true,
            Some(_) => {
                lockouts.remove(&source);
                false
            }
            None => false,
        }
    }

    /// `switch-gap`: whether a switch operation now comes less than `ms` milliseconds (real
    /// time) after the last one this PDU carried out.
    pub fn switch_too_soon(&self, ms: u64) -> bool {
        let last = *self.last_switch.lock().unwrap_or_else(|p| p.into_inner());
        last.is_some_and(|at| at.elapsed() < Duration::from_millis(ms))
    }

    /// Notes that this PDU carried out a switch operation now (for `switch-gap`).
    pub fn switched(&self) {
        *self.last_switch.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }
}

/// The longest delay a fault may add (`delay`, `slow-outlet`, `delay-notification`), in
/// milliseconds: one day.
pub const MAX_FAULT_DELAY_MS: u64 = 86_400_000;
/// The longest `for_ms` of a schedule, in milliseconds: 365 days.
pub const MAX_FOR_MS: u64 = 365 * 86_400_000;
/// The largest `after_requests` of a schedule (2^32 - 1).
pub const MAX_AFTER_REQUESTS: u64 = u32::MAX as u64;
/// The largest byte offset `corrupt` and `truncate` take: the largest UDP payload.
pub const MAX_DATAGRAM_OFFSET: usize = 65_507;

/// A fault spec that does not mean anything, refused where it enters (control API, scenario
/// file, [`FaultSet::add`], deserializing a [`FaultKind`]). `field` is the dotted path of the
/// offending field as written in JSON/TOML (`fault.kind`, `fault.status`, `fault.outlet`,
/// `schedule.packets`, ...), for an error shape that names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {problem}")]
pub struct FaultSpecError {
    /// The dotted path of the field at fault, as named in the JSON/TOML fault spec.
    pub field: String,
    /// What is wrong and what to write instead.
    pub problem: String,
}

impl FaultSpecError {
    fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FaultSpecError {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The dotted path of the field at fault, as named in the JSON/TOML fault spec
    /// (`fault.status`, `schedule.packets`).
    pub fn field(&self) -> &str {
        &self.field
    }
}

fn check_delay(field: &str, ms: u64) -> Result<(), FaultSpecError> {
    if ms == 0 {
        return Err(FaultSpecError::new(
            field,
            "a delay of 0 ms changes nothing: give at least 1",
        ));
    }
    if ms > MAX_FAULT_DELAY_MS {
        return Err(FaultSpecError::new(
            field,
            format!("{ms} ms is more than a day ({MAX_FAULT_DELAY_MS} ms); use a shorter delay, or agent-down for an agent that never answers"),
        ));
    }
    Ok(())
}

fn check_outlet(outlet: u32, outlets: Option<u32>) -> Result<(), FaultSpecError> {
    match outlets {
        _ if outlet == 0 => Err(FaultSpecError::new(
            "fault.outlet",
            "outlets are numbered from 1",
        )),
        Some(count) if outlet > count => Err(FaultSpecError::new(
            "fault.outlet",
            format!("the PDU has no outlet {outlet}: it has outlets 1 to {count}"),
        )),
        _ => Ok(()),
    }
}

/// A known error-status name or number other than noError (`status`).
fn check_status(status: &str) -> Result<(), FaultSpecError> {
    match parse_error_status(status) {
        None => {
            let names: Vec<&str> = snmp_proto::ErrorStatus::ALL
                .into_iter()
                .skip(1)
                .map(snmp_proto::ErrorStatus::name)
                .collect();
            Err(FaultSpecError::new(
                "fault.status",
                format!(
                    "{status:?} is not an error-status: write one of {}, or its number 1-18 as a string (\"5\") (RFC 3416)",
                    names.join(", ")
                ),
            ))
        }
        Some(snmp_proto::ErrorStatus::NoError) => Err(FaultSpecError::new(
            "fault.status",
            "noError is not an error: write the error-status to force, e.g. genErr",
        )),
        Some(_) => Ok(()),
    }
}

impl FaultKind {
    /// Checks that the fault means what it says: a known error-status name or number other
    /// than noError (`status`) and a dotted OID (`oid`) for `force-error`, a usmStats counter
    /// name for `report-instead` (`counter`), an outlet between 1 and `outlets` for
    /// `stuck-outlet`/`slow-outlet` (`outlet`; `outlets` `None` checks only that it is not 0),
    /// delays of at most [`MAX_FAULT_DELAY_MS`] (`ms`), offsets of at most
    /// [`MAX_DATAGRAM_OFFSET`] (`offset_from_end`, `bytes`).
    ///
    /// Errors: [`FaultSpecError`] naming the first field at fault.
    pub fn validate(&self, outlets: Option<u32>) -> Result<(), FaultSpecError> {
        use FaultKind::*;
        match self {
            ForceError { status, oid, .. } => {
                check_status(status)?;
                if let Some(text) = oid {
                    // X.690 §8.19.4: an OID's first arc is 0, 1 or 2.
                    let first_arc_ok = snmp_proto::Oid::parse(text)
                        .is_some_and(|o| o.arcs().first().is_some_and(|&a| a <= 2));
                    if !first_arc_ok {
                        return Err(FaultSpecError::new(
                            "fault.oid",
                            format!("{text:?} is not a dotted OID such as 1.3.6.1.4.1.13742"),
                        ));
                    }
                }
                Ok(())
            }
            ReportInstead { counter } => match snmp_proto::report::UsmFailure::from_name(counter) {
                Some(_) => Ok(()),
                None => {
                    let names: Vec<&str> = snmp_proto::report::UsmFailure::ALL
                        .into_iter()
                        .map(snmp_proto::report::UsmFailure::name)
                        .collect();
                    Err(FaultSpecError::new(
                        "fault.counter",
                        format!(
                            "{counter:?} is not a usmStats counter: write one of {}",
                            names.join(", ")
                        ),
                    ))
                }
            },
            StuckOutlet { outlet } => check_outlet(*outlet, outlets),
            SlowOutlet { outlet, ms } => {
                check_outlet(*outlet, outlets)?;
                check_delay("fault.ms", *ms)
            }
            Delay { ms } | DelayNotification { ms } => check_delay("fault.ms", *ms),
            Corrupt { offset_from_end } if *offset_from_end > MAX_DATAGRAM_OFFSET => {
                Err(FaultSpecError::new(
                    "fault.offset_from_end",
                    format!("{offset_from_end} is beyond any UDP datagram: at most {MAX_DATAGRAM_OFFSET} (0 is the last byte)"),
                ))
            }
            Truncate { bytes } if *bytes > MAX_DATAGRAM_OFFSET => Err(FaultSpecError::new(
                "fault.bytes",
                format!("{bytes} is beyond any UDP datagram: at most {MAX_DATAGRAM_OFFSET}"),
            )),
            SwitchGap { ms, status, ignore } => {
                if *ms == 0 {
                    return Err(FaultSpecError::new(
                        "fault.ms",
                        "a gap of 0 ms refuses nothing: give at least 1",
                    ));
                }
                check_delay("fault.ms", *ms)?;
                match (status, ignore) {
                    (Some(_), true) => Err(FaultSpecError::new(
                        "fault.status",
                        "an ignored SET is answered noError: give either status or ignore = true, not both",
                    )),
                    (Some(status), false) => check_status(status),
                    (None, _) => Ok(()),
                }
            }
            AuthLockout { failures, secs } => {
                if *failures == 0 {
                    return Err(FaultSpecError::new(
                        "fault.failures",
                        "0 failures would lock out every source at once: give at least 1",
                    ));
                }
                if *secs == 0 || *secs > MAX_FAULT_DELAY_MS / 1000 {
                    return Err(FaultSpecError::new(
                        "fault.secs",
                        format!(
                            "{secs} s: a lockout lasts 1 s to a day ({} s)",
                            MAX_FAULT_DELAY_MS / 1000
                        ),
                    ));
                }
                Ok(())
            }
            ZeroLengthInteger { oid } => match snmp_proto::Oid::parse(oid) {
                Some(_) => Ok(()),
                None => Err(FaultSpecError::new(
                    "fault.oid",
                    format!("{oid:?} is not a dotted OID such as 1.3.6.1.4.1.1718.3.2.3.1.11"),
                )),
            },
            Corrupt { .. }
            | Truncate { .. }
            | RefuseDelayedCommands
            | DiscoveryWithoutTime
            | EmptyReport
            | AgentDown
            | DropRequest
            | DropResponse
            | Duplicate
            | Reorder
            | WrongSourcePort
            | WrongRequestId
            | ErrorAfterCommit { .. }
            | DropNotification
            | DuplicateNotification
            | UnacknowledgedInform => Ok(()),
        }
    }
}

impl Schedule {
    /// Checks the schedule: `packets` at least 1 (leave it out for no limit), `after_requests`
    /// at most [`MAX_AFTER_REQUESTS`], `for_ms` at most [`MAX_FOR_MS`] and not 0.
    ///
    /// Errors: [`FaultSpecError`] naming the field at fault.
    pub fn validate(&self) -> Result<(), FaultSpecError> {
        if self.packets == Some(0) {
            return Err(FaultSpecError::new(
                "schedule.packets",
                "0 packets would never act: give at least 1, or leave packets out for no limit",
            ));
        }
        if self.after_requests > MAX_AFTER_REQUESTS {
            return Err(FaultSpecError::new(
                "schedule.after_requests",
                format!(
                    "{} is more requests than a run can send: at most {MAX_AFTER_REQUESTS}",
                    self.after_requests
                ),
            ));
        }
        match self.for_ms {
            Some(0) => Err(FaultSpecError::new(
                "schedule.for_ms",
                "0 ms would never act: give at least 1, or leave for_ms out for no limit",
            )),
            Some(ms) if ms > MAX_FOR_MS => Err(FaultSpecError::new(
                "schedule.for_ms",
                format!("{ms} ms is more than a year: at most {MAX_FOR_MS}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Parses an error-status name ("genErr", "notWritable", ...) or number.
pub fn parse_error_status(text: &str) -> Option<snmp_proto::ErrorStatus> {
    use snmp_proto::ErrorStatus;
    match text.parse::<i32>() {
        Ok(code) => ErrorStatus::from_code(code),
        Err(_) => ErrorStatus::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text)),
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use super::*;

    #[test]
    fn packet_budgets_and_request_delays() {
        let f = FaultSet::default();
        f.add(
            FaultKind::DropResponse,
            Schedule {
                after_requests: 1,
                packets: Some(2),
                ..Schedule::default()
            },
        )
        .unwrap();
        let now = Duration::ZERO;
        assert!(
            f.at(FaultPoint::Send, now).is_empty(),
            "not before the first request has passed"
        );
        f.count_request();
        assert!(
            f.at(FaultPoint::Send, now).is_empty(),
            "the first request passes: after_requests = 1"
        );
        f.count_request();
        assert_eq!(f.at(FaultPoint::Send, now), vec![FaultKind::DropResponse]);
        assert!(
            f.at(FaultPoint::Receive, now).is_empty(),
            "other points are untouched"
        );
        assert_eq!(f.at(FaultPoint::Send, now), vec![FaultKind::DropResponse]);
        assert!(
            f.at(FaultPoint::Send, now).is_empty(),
            "two packets, then gone"
        );
        assert!(f.list(Duration::ZERO).is_empty());
    }

    /// `pending` uses no budget and does not start `for_ms`; `claim` uses one packet, starts
    /// the time, and refuses once the fault is gone.
    #[test]
    fn pending_uses_nothing_and_claim_uses_one_packet() {
        let f = FaultSet::default();
        let id = f
            .add(
                FaultKind::WrongRequestId,
                Schedule {
                    packets: Some(2),
                    for_ms: Some(1000),
                    ..Schedule::default()
                },
            )
            .unwrap();
        let t = Duration::from_millis;
        for _ in 0..5 {
            assert_eq!(
                f.pending(FaultPoint::Respond, t(0)),
                vec![(id, FaultKind::WrongRequestId)]
            );
        }
        assert!(f.pending(FaultPoint::Send, t(0)).is_empty(), "other points");
        // Not started by looking: its whole time is left long after.
        assert_eq!(f.remaining(t(5000))[0].1.ms_left, Some(1000));
        assert_eq!(f.remaining(t(5000))[0].1.packets_left, Some(2));
        assert!(f.claim(id, t(5000)));
        assert_eq!(f.remaining(t(5000))[0].1.packets_left, Some(1));
        assert_eq!(
            f.remaining(t(5400))[0].1.ms_left,
            Some(600),
            "started at its first use"
        );
        assert!(f.claim(id, t(5500)));
        assert!(!f.claim(id, t(5500)), "two packets, then gone");
        assert!(f.pending(FaultPoint::Respond, t(5500)).is_empty());
        // A fault whose time ran out cannot be claimed.
        let timed = f
            .add(
                FaultKind::WrongRequestId,
                Schedule {
                    for_ms: Some(10),
                    ..Schedule::default()
                },
            )
            .unwrap();
        assert!(f.claim(timed, t(6000)));
        assert!(!f.claim(timed, t(6010)));
        assert!(f.list(t(6010)).is_empty());
    }

    #[test]
    fn meaningless_specs_are_refused_with_their_field() {
        let f = FaultSet::for_outlets(4);
        let refused = |kind: FaultKind, schedule: Schedule| {
            f.add(kind, schedule)
                .expect_err("a meaningless fault must be refused")
                .field
        };
        let always = Schedule::default;
        let force = |status: &str, oid: Option<&str>| FaultKind::ForceError {
            status: status.into(),
            oid: oid.map(String::from),
            set_only: false,
        };
        assert_eq!(refused(force("oops", None), always()), "fault.status");
        assert_eq!(refused(force("noError", None), always()), "fault.status");
        assert_eq!(refused(force("19", None), always()), "fault.status");
        assert_eq!(
            refused(force("genErr", Some("1.x.3")), always()),
            "fault.oid"
        );
        assert_eq!(
            refused(
                FaultKind::ReportInstead {
                    counter: "usmStatsNope".into()
                },
                always()
            ),
            "fault.counter"
        );
        assert_eq!(
            refused(FaultKind::StuckOutlet { outlet: 5 }, always()),
            "fault.outlet"
        );
        assert_eq!(
            refused(FaultKind::StuckOutlet { outlet: 0 }, always()),
            "fault.outlet"
        );
        assert_eq!(
            refused(FaultKind::SlowOutlet { outlet: 9, ms: 10 }, always()),
            "fault.outlet"
        );
        assert_eq!(
            refused(
                FaultKind::SlowOutlet {
                    outlet: 1,
                    ms: u64::MAX
                },
                always()
            ),
            "fault.ms"
        );
        assert_eq!(
            refused(FaultKind::Delay { ms: u64::MAX }, always()),
            "fault.ms"
        );
        assert_eq!(
            refused(FaultKind::DelayNotification { ms: u64::MAX }, always()),
            "fault.ms"
        );
        assert_eq!(
            refused(
                FaultKind::Corrupt {
                    offset_from_end: usize::MAX
                },
                always()
            ),
            "fault.offset_from_end"
        );
        assert_eq!(
            refused(FaultKind::Truncate { bytes: usize::MAX }, always()),
            "fault.bytes"
        );
        let drop = || FaultKind::DropResponse;
        let packets = |n| Schedule {
            packets: Some(n),
            ..Schedule::default()
        };
        assert_eq!(refused(drop(), packets(0)), "schedule.packets");
        let after = Schedule {
            after_requests: u64::MAX,
            ..Schedule::default()
        };
        assert_eq!(refused(drop(), after), "schedule.after_requests");
        let for_ms = |ms| Schedule {
            for_ms: Some(ms),
            ..Schedule::default()
        };
        assert_eq!(refused(drop(), for_ms(0)), "schedule.for_ms");
        assert_eq!(refused(drop(), for_ms(u64::MAX)), "schedule.for_ms");
        assert!(
            f.list(Duration::ZERO).is_empty(),
            "nothing refused was added"
        );
        // The same kinds with sensible values are taken.
        for kind in [
            force("notWritable", Some("1.3.6.1.4.1")),
            force("17", None),
            FaultKind::ReportInstead {
                counter: "usmstatsnotintimewindows".into(),
            },
            FaultKind::StuckOutlet { outlet: 4 },
            FaultKind::SlowOutlet {
                outlet: 1,
                ms: 2000,
            },
            FaultKind::Corrupt { offset_from_end: 3 },
            FaultKind::ErrorAfterCommit { no_answer: true },
        ] {
            f.add(kind, packets(1)).expect("a sensible fault is taken");
        }
        assert_eq!(f.list(Duration::ZERO).len(), 7);
        let msg = f
            .add(force("oops", None), always())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("genErr") && msg.contains("oops"), "{msg}");
    }

    #[test]
    fn protocol_quirk_kinds_are_validated_with_their_field() {
        let f = FaultSet::for_outlets(4);
        let refused = |kind: FaultKind| {
            f.add(kind, Schedule::default())
                .expect_err("a meaningless fault must be refused")
                .field
        };
        let gap = |ms, status: Option<&str>, ignore| FaultKind::SwitchGap {
            ms,
            status: status.map(String::from),
            ignore,
        };
        assert_eq!(refused(gap(0, None, false)), "fault.ms");
        assert_eq!(refused(gap(u64::MAX, None, false)), "fault.ms");
        assert_eq!(refused(gap(500, Some("oops"), false)), "fault.status");
        assert_eq!(refused(gap(500, Some("noError"), false)), "fault.status");
        assert_eq!(refused(gap(500, Some("genErr"), true)), "fault.status");
        let lockout = |failures, secs| FaultKind::AuthLockout { failures, secs };
        assert_eq!(refused(lockout(0, 60)), "fault.failures");
        assert_eq!(refused(lockout(3, 0)), "fault.secs");
        assert_eq!(refused(lockout(3, u64::MAX)), "fault.secs");
        assert_eq!(
            refused(FaultKind::ZeroLengthInteger { oid: "x.1".into() }),
            "fault.oid"
        );
        assert!(f.list(Duration::ZERO).is_empty());
        for kind in [
            gap(2000, None, false),
            gap(2000, Some("genErr"), false),
            gap(2000, None, true),
            lockout(3, 300),
            FaultKind::RefuseDelayedCommands,
            FaultKind::DiscoveryWithoutTime,
            FaultKind::EmptyReport,
            FaultKind::ZeroLengthInteger {
                oid: "1.3.6.1.4.1.1718.3.2.3.1.11".into(),
            },
        ] {
            f.add(kind, Schedule::default())
                .expect("a sensible fault is taken");
        }
        assert_eq!(f.list(Duration::ZERO).len(), 8);
    }

    /// auth-lockout: the Nth failure from one address locks that address (only) out for the
    /// given time on the PDU clock; then it is answered again and counting restarts.
    #[test]
    fn auth_lockout_counts_per_source_and_expires_by_the_clock() {
        let f = FaultSet::default();
        let a: Option<IpAddr> = Some("127.0.0.2".parse().unwrap());
        let b: Option<IpAddr> = Some("127.0.0.3".parse().unwrap());
        let t = Duration::from_secs;
        assert!(!f.auth_failed(a, t(0)), "no fault, no counting");
        f.add(
            FaultKind::AuthLockout {
                failures: 2,
                secs: 60,
            },
            Schedule::default(),
        )
        .unwrap();
        assert!(!f.auth_failed(a, t(1)));
        assert!(!f.locked_out(a, t(1)));
        assert!(f.auth_failed(a, t(2)), "the second failure locks out");
        assert!(f.locked_out(a, t(2)));
        assert!(f.locked_out(a, t(61)));
        assert!(!f.locked_out(b, t(3)), "another address is not locked out");
        assert!(!f.locked_out(None, t(3)));
        assert!(!f.locked_out(a, t(62)), "60 s after the lockout began");
        assert!(!f.auth_failed(a, t(63)), "counting starts again");
        assert!(f.auth_failed(a, t(64)));
    }

    #[test]
    fn switch_gap_is_measured_from_the_last_switch() {
        let f = FaultSet::default();
        assert!(!f.switch_too_soon(60_000), "no switch yet");
        f.switched();
        assert!(f.switch_too_soon(60_000));
        assert!(!f.switch_too_soon(0));
    }

    #[test]
    fn after_requests_lets_that_many_requests_pass() {
        let f = FaultSet::default();
        f.add(
            FaultKind::DropRequest,
            Schedule {
                after_requests: 3,
                ..Schedule::default()
            },
        )
        .unwrap();
        let now = Duration::ZERO;
        for n in 1..=3 {
            f.count_request();
            assert!(f.at(FaultPoint::Receive, now).is_empty(), "request {n}");
        }
        assert_eq!(f.remaining(now)[0].1.requests_until_active, 0);
        f.count_request();
        assert_eq!(f.at(FaultPoint::Receive, now), vec![FaultKind::DropRequest]);
    }

    #[test]
    fn durations_expire_by_the_clock() {
        let f = FaultSet::default();
        f.add(
            FaultKind::AgentDown,
            Schedule {
                for_ms: Some(1000),
                ..Schedule::default()
            },
        )
        .unwrap();
        assert_eq!(
            f.at(FaultPoint::Receive, Duration::from_millis(10)).len(),
            1
        );
        assert_eq!(
            f.at(FaultPoint::Receive, Duration::from_millis(1009)).len(),
            1
        );
        assert!(f
            .at(FaultPoint::Receive, Duration::from_millis(1010))
            .is_empty());
    }

    #[test]
    fn expired_faults_are_not_listed() {
        let f = FaultSet::default();
        let timed = Schedule {
            for_ms: Some(1000),
            ..Schedule::default()
        };
        f.add(FaultKind::AgentDown, timed.clone()).unwrap();
        f.add(FaultKind::DropRequest, Schedule::default()).unwrap();
        // Not started yet: listed with its whole time left, however late it is.
        assert_eq!(f.list(Duration::from_secs(50)).len(), 2);
        assert_eq!(f.at(FaultPoint::Receive, Duration::from_secs(100)).len(), 2);
        let ids = |now| -> Vec<u64> { f.list(now).iter().map(|i| i.id).collect() };
        assert_eq!(ids(Duration::from_millis(100_999)), vec![1, 2]);
        assert_eq!(
            f.remaining(Duration::from_millis(100_999))[0].1.ms_left,
            Some(1)
        );
        // Its time ran out without its point being reached again: gone from both lists.
        assert_eq!(ids(Duration::from_millis(101_000)), vec![2]);
        assert_eq!(
            f.remaining(Duration::from_millis(101_000))
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>(),
            vec![2]
        );
        assert!(!f.remove(1), "an expired fault is gone, not removable");
    }

    /// Every kind, however many fields it takes, refuses a field it does not take, through
    /// `from_value` and through serde (TOML here), naming `fault.<field>`; a schedule field is
    /// pointed to `schedule`.
    #[test]
    fn every_kind_refuses_unknown_fields() {
        let examples = FaultKind::examples();
        // The chain covers every kind the reader knows (the names its error lists).
        let unknown = FaultKind::from_value(serde_json::json!({"kind": "explode"})).unwrap_err();
        assert_eq!(unknown.field, "fault.kind");
        let known = unknown.problem.matches('`').count() / 2 - 1;
        assert_eq!(examples.len(), known, "{}", unknown.problem);
        for kind in &examples {
            let value = serde_json::to_value(kind).unwrap();
            assert_eq!(&FaultKind::from_value(value.clone()).unwrap(), kind);
            kind.validate(Some(4)).expect("examples are sensible");
            for extra in ["typo", "for_ms", "packets", "after_requests"] {
                let mut with = value.clone();
                with[extra] = serde_json::json!(1000);
                let e = FaultKind::from_value(with.clone()).expect_err(&format!("{with}"));
                assert_eq!(e.field, format!("fault.{extra}"), "{with}: {e}");
                if extra != "typo" {
                    assert!(e.problem.contains("put it in `schedule`"), "{with}: {e}");
                }
                // The same through serde, as scenario files and the Rust API read faults.
                #[derive(Deserialize, Debug)]
                struct W {
                    #[allow(dead_code)]
                    fault: FaultKind,
                }
                let mut written = with.clone();
                if let Some(fields) = written.as_object_mut() {
                    fields.retain(|_, v| !v.is_null()); // TOML has no null
                }
                let table: toml::Value =
                    serde_json::from_value(serde_json::json!({ "fault": written })).unwrap();
                let e = toml::from_str::<W>(&toml::to_string(&table).unwrap())
                    .expect_err("refused through serde too")
                    .to_string();
                assert!(e.contains(&format!("`fault.{extra}`")), "{with}: {e}");
            }
        }
    }

    /// Type and presence errors name the dotted path of the field at fault.
    #[test]
    fn type_and_presence_errors_name_the_dotted_field() {
        use serde_json::json;
        for (fault, field) in [
            (json!({"kind": "force-error"}), "fault.status"),
            (json!({"kind": "force-error", "status": 5}), "fault.status"),
            (
                json!({"kind": "force-error", "status": "genErr", "set_only": "yes"}),
                "fault.set_only",
            ),
            (
                json!({"kind": "stuck-outlet", "outlet": -1}),
                "fault.outlet",
            ),
            (json!({"kind": "slow-outlet", "outlet": 3}), "fault.ms"),
            (
                json!({"kind": "corrupt", "offset_from_end": -1}),
                "fault.offset_from_end",
            ),
            (json!({"kind": "delay", "ms": "soon"}), "fault.ms"),
            (json!({"kind": "meteor"}), "fault.kind"),
            (json!({"kind": 7}), "fault.kind"),
            (json!({"ms": 7}), "fault.kind"),
            (json!("drop-response"), "fault"),
        ] {
            let e = FaultKind::from_value(fault.clone()).expect_err(&format!("{fault}"));
            assert_eq!(e.field, field, "{fault}: {e}");
        }
        for (schedule, field) in [
            (json!({"packets": -1}), "schedule.packets"),
            (json!({"packets": "one"}), "schedule.packets"),
            (json!({"after_requests": -1}), "schedule.after_requests"),
            (json!({"pakets": 1}), "schedule.pakets"),
        ] {
            let e = Schedule::from_value(schedule.clone()).expect_err(&format!("{schedule}"));
            assert_eq!(e.field, field, "{schedule}: {e}");
        }
    }

    #[test]
    fn kinds_parse_from_toml_and_name_mistakes() {
        #[derive(Deserialize)]
        struct W {
            fault: FaultKind,
        }
        let w: W = toml::from_str("fault = { kind = \"delay\", ms = 300 }").unwrap();
        assert_eq!(w.fault, FaultKind::Delay { ms: 300 });
        let e = toml::from_str::<W>("fault = { kind = \"explode\" }")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("explode") && e.contains("agent-down"), "{e}");
        assert_eq!(
            parse_error_status("genErr"),
            Some(snmp_proto::ErrorStatus::GenErr)
        );
        assert_eq!(
            parse_error_status("17"),
            Some(snmp_proto::ErrorStatus::NotWritable)
        );
        assert_eq!(parse_error_status("oops"), None);
    }
}
