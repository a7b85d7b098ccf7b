//! What can go wrong with a request, by name, and the tally of a run.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};
use snmp_proto::report::ReportReason;
use snmp_proto::{ErrorStatus, Oid};

use super::histogram::LatencyHistogram;

/// Why a request did not count as answered correctly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// No answer before the per-request deadline.
    Timeout,
    /// The agent answered with this error-status (RFC 3416 §3).
    ErrorStatus(i32),
    /// The agent answered with a Report carrying this counter (usmStats*, snmpUnknown*...).
    Report(&'static str),
    /// The reply was not valid BER / SNMP.
    Decode,
    /// A reply that did not match: wrong request-id/msgID, community, user, engine or level.
    Mismatched,
    /// msgAuthenticationParameters did not verify.
    BadDigest,
    /// The encryptedPDU did not decrypt into a ScopedPDU.
    Decryption,
    /// A PDU type other than Response or Report.
    UnexpectedPdu,
    /// Varbinds that do not answer the request (count, names, order).
    WrongVarbinds,
    /// A GET or SET answered with the noSuchObject exception for a varbind (RFC 3416 §4.2.1).
    NoSuchObject,
    /// A GET or SET answered with the noSuchInstance exception for a varbind.
    NoSuchInstance,
    /// A GET or SET answered with the endOfMibView exception for a varbind.
    EndOfMibView,
    /// The datagram could not be sent, or the port answered ICMP unreachable.
    Network,
}

/// error-status names (RFC 3416 §3).
pub fn error_status_name(status: i32) -> Option<&'static str> {
    ErrorStatus::from_code(status).map(ErrorStatus::name)
}

/// What [`report_name`] calls a counter that is none of [`ReportReason::ALL`].
pub const UNKNOWN_COUNTER: &str = "an unknown counter";

/// The name of the counter a Report's first varbind carries (`usmStatsNotInTimeWindows`,
/// `snmpUnknownContexts`, ..., or [`UNKNOWN_COUNTER`]).
pub fn report_name(oid: &Oid) -> &'static str {
    ReportReason::from_oid(oid.arcs()).map_or(UNKNOWN_COUNTER, ReportReason::name)
}

/// Tallies and JSON summaries name error kinds as they print.
impl Serialize for ErrorKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Timeout => f.write_str("timeout"),
            ErrorKind::ErrorStatus(s) => match error_status_name(*s) {
                Some(name) => write!(f, "error-status {name}"),
                None => write!(f, "error-status {s}"),
            },
            ErrorKind::Report(name) => write!(f, "report {name}"),
            ErrorKind::Decode => f.write_str("decode error"),
            ErrorKind::Mismatched => f.write_str("mismatched reply"),
            ErrorKind::BadDigest => f.write_str("bad HMAC"),
            ErrorKind::Decryption => f.write_str("decryption error"),
            ErrorKind::UnexpectedPdu => f.write_str("unexpected PDU type"),
            ErrorKind::WrongVarbinds => f.write_str("wrong varbinds"),
            ErrorKind::NoSuchObject => f.write_str("noSuchObject"),
            ErrorKind::NoSuchInstance => f.write_str("noSuchInstance"),
            ErrorKind::EndOfMibView => f.write_str("endOfMibView"),
            ErrorKind::Network => f.write_str("network error"),
        }
    }
}

/// What one worker (or, merged, the whole run) saw.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Requests answered correctly; their latencies are in `latency`.
    pub ok: u64,
    /// Failed requests and stray replies, by kind.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Replies to requests already given up on (their timeout is counted).
    pub late: u64,
    /// Round-trip times of the requests answered correctly (`ok` of them).
    pub latency: LatencyHistogram,
}

impl Tally {
    /// Counts one failed request or stray reply of `kind`.
    pub fn error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_insert(0) += 1;
    }

    /// Failed requests and stray replies, every kind together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Requests that ended, well or not (stray replies are counted as errors but are not
    /// requests).
    pub fn requests(&self) -> u64 {
        let strays = self
            .errors
            .iter()
            .filter(|(k, _)| **k == ErrorKind::Mismatched)
            .map(|(_, n)| n)
            .sum::<u64>();
        self.ok + self.error_count() - strays.min(self.error_count())
    }

    /// Adds `other`'s counts and latencies (one worker's tally into the run's).
    pub fn merge(&mut self, other: &Tally) {
        self.ok += other.ok;
        self.late += other.late;
        for (k, n) in &other.errors {
            *self.errors.entry(*k).or_insert(0) += n;
        }
        self.latency.merge(&other.latency);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn report_names() {
        let o = |s: &str| Oid::parse(s).unwrap();
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.15.1.1.2.0")),
            "usmStatsNotInTimeWindows"
        );
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.15.1.1.4.0")),
            "usmStatsUnknownEngineIDs"
        );
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.15.1.1.6.0")),
            "usmStatsDecryptionErrors"
        );
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.12.1.5.0")),
            "snmpUnknownContexts"
        );
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.15.1.1.9.0")),
            "an unknown counter"
        );
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.15.1.1.0.0")),
            "an unknown counter"
        );
        assert_eq!(
            report_name(&o("1.3.6.1.6.3.15.1.1.2")),
            "an unknown counter"
        );
        for reason in ReportReason::ALL {
            assert_eq!(ReportReason::from_oid(reason.oid().arcs()), Some(reason));
            assert_eq!(report_name(&reason.oid()), reason.name());
        }
    }

    #[test]
    fn error_kinds_print_their_names() {
        assert_eq!(
            ErrorKind::ErrorStatus(2).to_string(),
            "error-status noSuchName"
        );
        assert_eq!(
            ErrorKind::ErrorStatus(17).to_string(),
            "error-status notWritable"
        );
        assert_eq!(ErrorKind::ErrorStatus(99).to_string(), "error-status 99");
        assert_eq!(
            ErrorKind::Report("usmStatsWrongDigests").to_string(),
            "report usmStatsWrongDigests"
        );
    }

    #[test]
    fn tallies_merge_and_count_requests() {
        let mut a = Tally {
            ok: 10,
            ..Tally::default()
        };
        a.error(ErrorKind::Timeout);
        a.error(ErrorKind::Mismatched);
        let mut b = Tally {
            ok: 5,
            late: 1,
            ..Tally::default()
        };
        b.error(ErrorKind::Timeout);
        a.merge(&b);
        assert_eq!(a.ok, 15);
        assert_eq!(a.late, 1);
        assert_eq!(a.errors.get(&ErrorKind::Timeout), Some(&2));
        assert_eq!(a.error_count(), 3);
        // The stray reply is an error but not a request.
        assert_eq!(a.requests(), 17);
    }
}
