//! The request log of a PDU: the last [`CAPACITY`] requests it received and what it answered
//! (values, an error-status, which Report and why, or why nothing was sent), for the control
//! API (`GET /pdus/{pdu}/requests`) and the dashboard.
//!
//! The log costs nothing until it is armed ([`RequestLog::arm`]): an unarmed log is one atomic
//! load per request and allocates nothing. The control API server arms it when it starts (for
//! every PDU of a small rig, or for a PDU when its log is first asked for).
//!
//! Secrets stay out: a community is shown by what it may do (`community (read-write)`), never
//! by its name; an SNMPv3 user by name (user names are not secret, RFC 3414 §2.4).
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use snmp_proto::report::ReportReason;
use snmp_proto::usm::SecurityLevel;
use snmp_proto::{ErrorStatus, Pdu, PduType, Value, VarBind, Version};

use crate::access::Access;

/// How many requests a PDU's log keeps (the oldest go first).
pub const CAPACITY: usize = 200;

/// The most varbinds one record lists (the count says how many there were).
const MAX_VARBINDS: usize = 16;

/// The most characters of one value shown.
const MAX_VALUE_CHARS: usize = 64;

/// One request and what became of it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestRecord {
    /// Its place in the PDU's log, from 1 (for "what is new since").
    pub seq: u64,
    /// When it arrived, in milliseconds since the Unix epoch (wall clock).
    pub at_unix_ms: u64,
    /// The sender's address and port (`IP:PORT` in JSON).
    pub peer: Option<SocketAddr>,
    /// `v1`, `v2c` or `v3`; `None` when the datagram did not decode.
    pub version: Option<&'static str>,
    /// Who asked: `community (read-only)`, `community (read-write)`, `unknown community`, or
    /// `user NAME` (SNMPv3). Never a community's name.
    pub principal: Option<Cow<'static, str>>,
    /// The message's securityLevel (SNMPv3): `noAuthNoPriv`, `authNoPriv` or `authPriv`.
    pub security_level: Option<&'static str>,
    /// The PDU type (`GetRequest`, ...); `None` when it could not be read (encrypted with
    /// keys that failed, or never decoded).
    pub pdu_type: Option<&'static str>,
    /// The request-id, when the PDU could be read.
    pub request_id: Option<i32>,
    /// The requested OIDs, the first 16 (SET values after ` = `).
    pub varbinds: Vec<String>,
    /// How many varbinds the request had.
    pub varbind_count: usize,
    /// What the agent did about it.
    pub outcome: Outcome,
}

/// What a request got.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// A Response PDU.
    Response {
        /// Its error-status by RFC 3416 name (`noError`, `noSuchName`, ...).
        error_status: &'static str,
        /// Its error-index (1-based varbind, 0 for none).
        error_index: i32,
        /// `OID = value` of the first 16 varbinds it carried.
        values: Vec<String>,
        /// Set when a fault changed or lost it after it was made (`drop-response`, ...).
        fault: Option<String>,
    },
    /// A Report PDU (RFC 3412 §7.1 step 3, RFC 3414 §3.2).
    Report {
        /// The counter it carries (`usmStatsWrongDigests`, `snmpUnknownContexts`, ...).
        counter: &'static str,
        /// Why, in words.
        reason: &'static str,
        /// False when the request's reportable flag was clear, so nothing was sent.
        sent: bool,
        /// Set when a fault changed or lost it after it was made (`drop-response`, ...).
        fault: Option<String>,
    },
    /// No answer at all.
    Dropped {
        /// Why, in words (a fault, a bad community, a message that did not decode, ...).
        reason: Cow<'static, str>,
    },
}

/// The last [`CAPACITY`] requests of one PDU, kept only while armed.
#[derive(Debug, Default)]
pub struct RequestLog {
    armed: AtomicBool,
    next_seq: AtomicU64,
    records: Mutex<VecDeque<RequestRecord>>,
}

impl RequestLog {
    /// Starts keeping requests (idempotent).
    pub fn arm(&self) {
        self.armed.store(true, Ordering::Release);
    }

    /// Whether requests are being kept.
    pub fn armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    /// The `seq` of the newest record (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.next_seq.load(Ordering::Acquire)
    }

    /// The kept records newer than `after` (a `seq`; 0 for all), oldest first.
    pub fn since(&self, after: u64) -> Vec<RequestRecord> {
        self.lock()
            .iter()
            .filter(|r| r.seq > after)
            .cloned()
            .collect()
    }

    fn push(&self, mut record: RequestRecord) {
        let mut records = self.lock();
        // Numbered under the lock, so records are in `seq` order.
        record.seq = self.next_seq.fetch_add(1, Ordering::AcqRel).wrapping_add(1);
        if records.len() >= CAPACITY {
            records.pop_front();
        }
        records.push_back(record);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RequestRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one request has been seen to be so far, on its way through `dispatch`; written to the
/// log of the PDU it reached when it is finished. Every method does nothing (and allocates
/// nothing) while that log is not armed.
#[derive(Debug)]
pub struct Seen<'d> {
    peer: Option<SocketAddr>,
    log: Option<&'d RequestLog>,
    record: Option<Box<RequestRecord>>,
}

impl<'d> Seen<'d> {
    /// A request from `peer` (when the transport knows it), not yet tied to a PDU.
    #[inline]
    pub fn new(peer: Option<SocketAddr>) -> Seen<'d> {
        Seen {
            peer,
            log: None,
            record: None,
        }
    }

    /// The request belongs to the PDU whose log is `log` (kept only if that log is armed).
    #[inline]
    pub fn at(&mut self, log: &'d RequestLog) {
        if self.log.is_some_and(|l| std::ptr::eq(l, log)) {
            return;
        }
        self.log = Some(log);
        if !log.armed() {
            self.record = None;
        } else if self.record.is_none() {
            self.record = Some(Box::new(RequestRecord {
                seq: 0,
                at_unix_ms: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                peer: self.peer,
                version: None,
                principal: None,
                security_level: None,
                pdu_type: None,
                request_id: None,
                varbinds: Vec::new(),
                varbind_count: 0,
                outcome: Outcome::Dropped {
                    reason: Cow::Borrowed("no answer"),
                },
            }));
        }
    }

    /// Whether anything is being recorded (the log is armed).
    #[inline]
    pub fn recording(&self) -> bool {
        self.record.is_some()
    }

    /// The message's version and, for v1/v2c, what its community may do.
    #[inline]
    pub fn community(&mut self, version: Version, access: Option<Access>) {
        if let Some(r) = &mut self.record {
            r.version = Some(version_name(version));
            r.principal = Some(Cow::Borrowed(match access {
                Some(Access::ReadOnly) => "community (read-only)",
                Some(Access::ReadWrite) => "community (read-write)",
                None => "unknown community",
            }));
        }
    }

    /// An SNMPv3 message from user `name` at `level`.
    #[inline]
    pub fn user(&mut self, name: &[u8], level: SecurityLevel) {
        if let Some(r) = &mut self.record {
            r.version = Some("v3");
            r.principal = Some(if name.is_empty() {
                Cow::Borrowed("no user (discovery)")
            } else {
                Cow::Owned(format!("user {}", String::from_utf8_lossy(name)))
            });
            r.security_level = Some(level.name());
        }
    }

    /// The request PDU, as read.
    #[inline]
    pub fn request(&mut self, pdu: &Pdu<'_>) {
        if let Some(r) = &mut self.record {
            r.pdu_type = Some(pdu_type_name(pdu.pdu_type));
            r.request_id = Some(pdu.request_id);
            r.varbind_count = pdu.varbinds.len();
            let set = pdu.pdu_type == PduType::SetRequest;
            r.varbinds = pdu
                .varbinds
                .iter()
                .take(MAX_VARBINDS)
                .map(|vb| if set { show(vb) } else { vb.oid.to_string() })
                .collect();
        }
    }

    /// The Response PDU made for it.
    #[inline]
    pub fn answered(&mut self, response: &Pdu<'_>) {
        if let Some(r) = &mut self.record {
            r.outcome = Outcome::Response {
                error_status: ErrorStatus::from_code(response.error_status)
                    .map_or("unknown error-status", ErrorStatus::name),
                error_index: response.error_index,
                values: response
                    .varbinds
                    .iter()
                    .take(MAX_VARBINDS)
                    .map(show)
                    .collect(),
                fault: None,
            };
        }
    }

    /// A Report carrying `reason`'s counter; `sent` is false when the request did not ask for
    /// reports.
    #[inline]
    pub fn reported(&mut self, reason: ReportReason, sent: bool) {
        if let Some(r) = &mut self.record {
            r.outcome = Outcome::Report {
                counter: reason.name(),
                reason: explain(reason),
                sent,
                fault: None,
            };
        }
    }

    /// A Report with `failure`'s counter made by a `report-instead` fault.
    #[inline]
    pub fn reported_by_fault(&mut self, failure: snmp_proto::report::UsmFailure) {
        if let Some(r) = &mut self.record {
            r.outcome = Outcome::Report {
                counter: failure.name(),
                reason: "a report-instead fault",
                sent: true,
                fault: None,
            };
        }
    }

    /// Nothing is sent, for `reason`.
    #[inline]
    pub fn dropped(&mut self, reason: impl Into<Cow<'static, str>>) {
        if let Some(r) = &mut self.record {
            r.outcome = Outcome::Dropped {
                reason: reason.into(),
            };
        }
    }

    /// A Send-point fault (`kind`, e.g. `drop-response`) acted on the answer.
    #[inline]
    pub fn send_fault(&mut self, kind: &str) {
        if let Some(r) = &mut self.record {
            match &mut r.outcome {
                Outcome::Response { fault, .. } | Outcome::Report { fault, .. } => {
                    let text = fault.get_or_insert_with(String::new);
                    if !text.is_empty() {
                        text.push_str(", ");
                    }
                    text.push_str(kind);
                }
                Outcome::Dropped { .. } => {}
            }
        }
    }

    /// Writes the record to its PDU's log.
    #[inline]
    pub fn finish(self) {
        if let (Some(log), Some(record)) = (self.log, self.record) {
            log.push(*record);
        }
    }
}

fn version_name(v: Version) -> &'static str {
    match v {
        Version::V1 => "v1",
        Version::V2c => "v2c",
        Version::V3 => "v3",
    }
}

/// The PDU type's ASN.1 name (RFC 3416 §3).
pub fn pdu_type_name(t: PduType) -> &'static str {
    match t {
        PduType::GetRequest => "GetRequest",
        PduType::GetNextRequest => "GetNextRequest",
        PduType::GetBulkRequest => "GetBulkRequest",
        PduType::SetRequest => "SetRequest",
        PduType::Response => "Response",
        PduType::InformRequest => "InformRequest",
        PduType::SnmpV2Trap => "SNMPv2-Trap",
        PduType::Report => "Report",
        PduType::TrapV1 => "Trap",
    }
}

/// `OID = value`, the value as net-snmp's tools would show it, cut at 64 characters.
fn show(vb: &VarBind<'_>) -> String {
    let mut text = vb.oid.to_string();
    text.push_str(" = ");
    let _ = match &vb.value {
        Value::Integer(v) => write!(text, "INTEGER: {v}"),
        Value::OctetString(bytes) | Value::Opaque(bytes) => {
            let prefix = if matches!(vb.value, Value::Opaque(_)) {
                "Opaque"
            } else {
                "STRING"
            };
            if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                let shown: String = String::from_utf8_lossy(bytes)
                    .chars()
                    .take(MAX_VALUE_CHARS)
                    .collect();
                write!(text, "{prefix}: \"{shown}\"")
            } else {
                let shown = hex::encode(bytes.get(..MAX_VALUE_CHARS / 2).unwrap_or(bytes));
                write!(text, "Hex-{prefix}: {shown}")
            }
        }
        Value::ObjectId(o) => write!(text, "OID: {o}"),
        Value::Null => write!(text, "NULL"),
        Value::IpAddress([a, b, c, d]) => write!(text, "IpAddress: {a}.{b}.{c}.{d}"),
        Value::Counter32(v) => write!(text, "Counter32: {v}"),
        Value::Gauge32(v) => write!(text, "Gauge32: {v}"),
        Value::TimeTicks(v) => write!(text, "Timeticks: {v}"),
        Value::Counter64(v) => write!(text, "Counter64: {v}"),
        Value::NoSuchObject => write!(text, "noSuchObject"),
        Value::NoSuchInstance => write!(text, "noSuchInstance"),
        Value::EndOfMibView => write!(text, "endOfMibView"),
        Value::Other { contents, .. } => {
            let shown = hex::encode(contents.get(..MAX_VALUE_CHARS / 2).unwrap_or(contents));
            write!(text, "{}: {shown}", vb.value.type_name())
        }
    };
    text
}

/// Why an engine sends the Report with this counter, for a driver author.
fn explain(reason: ReportReason) -> &'static str {
    use snmp_proto::report::UsmFailure::*;
    match reason {
        ReportReason::Usm(UnknownEngineId) => {
            "the request's msgAuthoritativeEngineID is not this engine's (discovery: learn it from this Report)"
        }
        ReportReason::Usm(UnknownUserName) => "no SNMPv3 user of that name here",
        ReportReason::Usm(UnsupportedSecLevel) => {
            "the user has no keys for the securityLevel asked (e.g. authPriv for a user without privacy)"
        }
        ReportReason::Usm(WrongDigest) => {
            "the message's MAC does not verify: wrong authentication password or protocol"
        }
        ReportReason::Usm(NotInTimeWindow) => {
            "engine boots/time outside the 150 s window: resynchronise from this Report's boots and time"
        }
        ReportReason::Usm(DecryptionError) => {
            "the ScopedPDU does not decrypt: wrong privacy password or protocol"
        }
        ReportReason::UnknownPduHandler => {
            "the contextEngineID is not this engine's, or the PDU is not a request"
        }
        ReportReason::UnknownContext => "no PDU at this address serves that contextName",
        ReportReason::UnavailableContext => "the context is not available",
        ReportReason::UnknownSecurityModel => "a security model other than USM",
        ReportReason::InvalidMsg => "inconsistent msgFlags",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use snmp_proto::report::UsmFailure;
    use snmp_proto::Oid;

    fn get(oids: &[&str]) -> Pdu<'static> {
        Pdu {
            pdu_type: PduType::GetRequest,
            request_id: 9,
            error_status: 0,
            error_index: 0,
            varbinds: oids
                .iter()
                .map(|o| VarBind {
                    oid: Oid::parse(o).unwrap(),
                    value: Value::Null,
                })
                .collect(),
            trap_v1: None,
        }
    }

    #[test]
    fn an_unarmed_log_keeps_nothing() {
        let log = RequestLog::default();
        let mut seen = Seen::new(None);
        seen.at(&log);
        assert!(!seen.recording());
        seen.community(Version::V2c, Some(Access::ReadOnly));
        seen.request(&get(&["1.3.6.1.2.1.1.5.0"]));
        seen.finish();
        assert!(log.since(0).is_empty());
        assert_eq!(log.last_seq(), 0);
    }

    #[test]
    fn records_what_was_asked_and_answered_without_the_community() {
        let log = RequestLog::default();
        log.arm();
        let mut seen = Seen::new(Some("127.0.0.1:5000".parse().unwrap()));
        seen.at(&log);
        seen.community(Version::V2c, Some(Access::ReadWrite));
        let request = get(&["1.3.6.1.2.1.1.5.0"]);
        seen.request(&request);
        let mut response = request.clone();
        response.pdu_type = PduType::Response;
        response.varbinds[0].value = Value::octets("rack-a");
        seen.answered(&response);
        seen.send_fault("drop-response");
        seen.finish();
        let records = log.since(0);
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.seq, 1);
        assert_eq!(r.peer, Some("127.0.0.1:5000".parse().unwrap()));
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["peer"], "127.0.0.1:5000");
        assert_eq!(
            (r.version, r.principal.as_deref(), r.pdu_type),
            (
                Some("v2c"),
                Some("community (read-write)"),
                Some("GetRequest")
            )
        );
        assert_eq!(r.varbinds, ["1.3.6.1.2.1.1.5.0"]);
        assert_eq!(
            r.outcome,
            Outcome::Response {
                error_status: "noError",
                error_index: 0,
                values: vec!["1.3.6.1.2.1.1.5.0 = STRING: \"rack-a\"".into()],
                fault: Some("drop-response".into()),
            }
        );
    }

    #[test]
    fn reports_name_their_counter_and_the_log_keeps_the_last_200() {
        let log = RequestLog::default();
        log.arm();
        for _ in 0..CAPACITY + 5 {
            let mut seen = Seen::new(None);
            seen.at(&log);
            seen.user(b"admin", SecurityLevel::AuthPriv);
            seen.reported(ReportReason::Usm(UsmFailure::WrongDigest), true);
            seen.finish();
        }
        let records = log.since(0);
        assert_eq!(records.len(), CAPACITY);
        assert_eq!(records[0].seq, 6);
        assert_eq!(log.last_seq(), 205);
        assert_eq!(log.since(204).len(), 1);
        let r = &records[0];
        assert_eq!(
            (r.principal.as_deref(), r.security_level),
            (Some("user admin"), Some("authPriv"))
        );
        assert!(matches!(
            r.outcome,
            Outcome::Report {
                counter: "usmStatsWrongDigests",
                sent: true,
                ..
            }
        ));
    }
}
