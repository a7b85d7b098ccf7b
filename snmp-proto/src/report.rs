//! Report PDUs: why an engine refused a message, by the counter its Report carries.
//!
//! An SNMPv3 engine that drops a message for a security or dispatch reason answers (when the
//! message was reportable) with a Report PDU whose first varbind is the counter it incremented
//! (RFC 3412 §7.1 step 3, RFC 3414 §3.2). Agents build these varbinds with
//! [`ReportReason::varbind`]; managers read them back with [`ReportReason::from_oid`].

use crate::message::{Oid, Value, VarBind};
use crate::oids;

/// The usmStats counters (RFC 3414 §5), one per refusal in RFC 3414 §3.2. The discriminant is
/// the counter's arc under [`oids::USM_STATS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsmFailure {
    /// usmStatsUnsupportedSecLevels (§3.2 step 5): a level the user has no keys for.
    UnsupportedSecLevel = 1,
    /// usmStatsNotInTimeWindows (§3.2 step 7): engine boots/time outside the 150 s window.
    NotInTimeWindow = 2,
    /// usmStatsUnknownUserNames (§3.2 step 4).
    UnknownUserName = 3,
    /// usmStatsUnknownEngineIDs (§3.2 step 3), also the answer to discovery.
    UnknownEngineId = 4,
    /// usmStatsWrongDigests (§3.2 step 6): the HMAC did not verify.
    WrongDigest = 5,
    /// usmStatsDecryptionErrors (§3.2 step 8).
    DecryptionError = 6,
}

impl UsmFailure {
    /// Every counter, in the MIB's order.
    pub const ALL: [UsmFailure; 6] = [
        UsmFailure::UnsupportedSecLevel,
        UsmFailure::NotInTimeWindow,
        UsmFailure::UnknownUserName,
        UsmFailure::UnknownEngineId,
        UsmFailure::WrongDigest,
        UsmFailure::DecryptionError,
    ];

    /// By usmStats counter name (`usmStatsWrongDigests`), case-insensitive.
    pub fn from_name(name: &str) -> Option<UsmFailure> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The counter's object name in SNMP-USER-BASED-SM-MIB.
    pub const fn name(self) -> &'static str {
        match self {
            UsmFailure::UnsupportedSecLevel => "usmStatsUnsupportedSecLevels",
            UsmFailure::NotInTimeWindow => "usmStatsNotInTimeWindows",
            UsmFailure::UnknownUserName => "usmStatsUnknownUserNames",
            UsmFailure::UnknownEngineId => "usmStatsUnknownEngineIDs",
            UsmFailure::WrongDigest => "usmStatsWrongDigests",
            UsmFailure::DecryptionError => "usmStatsDecryptionErrors",
        }
    }

    /// The counter's arc under usmStats.
    pub const fn arc(self) -> u32 {
        self as u32
    }
}

/// Every counter a Report may carry: the usmStats ones and the message-processing and
/// dispatcher ones of RFC 3412 §7.2 and RFC 3413 §3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportReason {
    /// A usmStats counter (RFC 3414).
    Usm(UsmFailure),
    /// snmpUnknownSecurityModels (RFC 3412 §7.2 step 4).
    UnknownSecurityModel,
    /// snmpInvalidMsgs (RFC 3412 §7.2 step 5).
    InvalidMsg,
    /// snmpUnknownPDUHandlers (RFC 3412 §4.2.2.1).
    UnknownPduHandler,
    /// snmpUnavailableContexts (RFC 3413 §3.2 step 3).
    UnavailableContext,
    /// snmpUnknownContexts (RFC 3413 §3.2 step 3).
    UnknownContext,
}

impl ReportReason {
    /// Every reason: the six usmStats counters first.
    pub const ALL: [ReportReason; 11] = [
        ReportReason::Usm(UsmFailure::UnsupportedSecLevel),
        ReportReason::Usm(UsmFailure::NotInTimeWindow),
        ReportReason::Usm(UsmFailure::UnknownUserName),
        ReportReason::Usm(UsmFailure::UnknownEngineId),
        ReportReason::Usm(UsmFailure::WrongDigest),
        ReportReason::Usm(UsmFailure::DecryptionError),
        ReportReason::UnknownSecurityModel,
        ReportReason::InvalidMsg,
        ReportReason::UnknownPduHandler,
        ReportReason::UnavailableContext,
        ReportReason::UnknownContext,
    ];

    /// The counter's instance OID (ending in `.0`).
    pub fn oid(self) -> Oid {
        match self {
            ReportReason::Usm(failure) => {
                let mut arcs = oids::USM_STATS.to_vec();
                arcs.extend_from_slice(&[failure.arc(), 0]);
                Oid(arcs)
            }
            ReportReason::UnknownSecurityModel => Oid::new(oids::SNMP_UNKNOWN_SECURITY_MODELS),
            ReportReason::InvalidMsg => Oid::new(oids::SNMP_INVALID_MSGS),
            ReportReason::UnknownPduHandler => Oid::new(oids::SNMP_UNKNOWN_PDU_HANDLERS),
            ReportReason::UnavailableContext => Oid::new(oids::SNMP_UNAVAILABLE_CONTEXTS),
            ReportReason::UnknownContext => Oid::new(oids::SNMP_UNKNOWN_CONTEXTS),
        }
    }

    /// The counter's MIB object name (`usmStatsWrongDigests`, `snmpUnknownContexts`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ReportReason::Usm(failure) => failure.name(),
            ReportReason::UnknownSecurityModel => "snmpUnknownSecurityModels",
            ReportReason::InvalidMsg => "snmpInvalidMsgs",
            ReportReason::UnknownPduHandler => "snmpUnknownPDUHandlers",
            ReportReason::UnavailableContext => "snmpUnavailableContexts",
            ReportReason::UnknownContext => "snmpUnknownContexts",
        }
    }

    /// Which counter a Report's first varbind names. The instance `.0` is required; the
    /// subtree alone or another instance is not a Report counter. Allocates nothing.
    pub fn from_oid(arcs: &[u32]) -> Option<ReportReason> {
        if let Some([arc, 0]) = arcs.strip_prefix(oids::USM_STATS) {
            return UsmFailure::ALL
                .into_iter()
                .find(|f| f.arc() == *arc)
                .map(ReportReason::Usm);
        }
        [
            (
                oids::SNMP_UNKNOWN_SECURITY_MODELS,
                ReportReason::UnknownSecurityModel,
            ),
            (oids::SNMP_INVALID_MSGS, ReportReason::InvalidMsg),
            (
                oids::SNMP_UNKNOWN_PDU_HANDLERS,
                ReportReason::UnknownPduHandler,
            ),
            (
                oids::SNMP_UNAVAILABLE_CONTEXTS,
                ReportReason::UnavailableContext,
            ),
            (oids::SNMP_UNKNOWN_CONTEXTS, ReportReason::UnknownContext),
        ]
        .into_iter()
        .find(|(oid, _)| *oid == arcs)
        .map(|(_, reason)| reason)
    }

    /// The varbind a Report carries: this counter's OID and its value after the increment.
    pub fn varbind(self, count: u32) -> VarBind<'static> {
        VarBind {
            oid: self.oid(),
            value: Value::Counter32(count),
        }
    }
}

impl std::fmt::Display for ReportReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_where_the_mibs_put_them() {
        let dotted: Vec<String> = ReportReason::ALL
            .iter()
            .map(|r| r.oid().to_string())
            .collect();
        assert_eq!(
            dotted,
            [
                "1.3.6.1.6.3.15.1.1.1.0",
                "1.3.6.1.6.3.15.1.1.2.0",
                "1.3.6.1.6.3.15.1.1.3.0",
                "1.3.6.1.6.3.15.1.1.4.0",
                "1.3.6.1.6.3.15.1.1.5.0",
                "1.3.6.1.6.3.15.1.1.6.0",
                "1.3.6.1.6.3.11.2.1.1.0",
                "1.3.6.1.6.3.11.2.1.2.0",
                "1.3.6.1.6.3.11.2.1.3.0",
                "1.3.6.1.6.3.12.1.4.0",
                "1.3.6.1.6.3.12.1.5.0",
            ]
        );
    }

    #[test]
    fn classification_round_trips_and_rejects_neighbours() {
        for reason in ReportReason::ALL {
            assert_eq!(ReportReason::from_oid(reason.oid().arcs()), Some(reason));
        }
        assert_eq!(
            ReportReason::from_oid(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 9, 0]),
            None
        );
        assert_eq!(
            ReportReason::from_oid(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 3]),
            None
        );
        assert_eq!(
            ReportReason::from_oid(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 0, 0]),
            None
        );
        assert_eq!(
            UsmFailure::from_name("USMSTATSWRONGDIGESTS"),
            Some(UsmFailure::WrongDigest)
        );
        assert_eq!(
            ReportReason::Usm(UsmFailure::NotInTimeWindow)
                .varbind(4)
                .value,
            Value::Counter32(4)
        );
    }
}
