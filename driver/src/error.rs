//! The one error type of the driver. Every variant names a failure a user can act on,
//! and its message says what to check.

use std::time::Duration;

use snmp_proto::ErrorStatus;

/// The RFC 3416 name of an error-status value (`genErr`, `notWritable`, …), as
/// [`snmp_proto::ErrorStatus`] gives it; `unknown error-status` for a value outside 0–18.
pub fn error_status_name(status: u32) -> &'static str {
    i32::try_from(status)
        .ok()
        .and_then(ErrorStatus::from_code)
        .map_or("unknown error-status", ErrorStatus::name)
}

/// What to check for a given error-status.
pub fn error_status_hint(status: u32) -> &'static str {
    use ErrorStatus as S;
    let Some(status) = i32::try_from(status).ok().and_then(ErrorStatus::from_code) else {
        return "see RFC 3416 for this error-status";
    };
    match status {
        S::TooBig => "the answer would not fit in one message; ask for fewer objects",
        S::NoSuchName | S::NoCreation | S::InconsistentName => {
            "the object does not exist on this agent: check the vendor profile (--vendor) and the outlet number"
        }
        S::WrongLength => "the value is too long or too short for this object (outlet names are often limited to 32 characters)",
        S::BadValue | S::WrongType | S::WrongEncoding | S::WrongValue | S::InconsistentValue => {
            "the agent refused the value: the vendor profile (--vendor) probably encodes this command differently from the device, or the outlet does not support it"
        }
        S::ReadOnly | S::NotWritable => {
            "the object is read-only: check the vendor profile (--vendor), and that the community/user has write access"
        }
        S::NoAccess => {
            "access denied: use a read-write community (e.g. `private`) or a v3 user with write access (net-snmp: rwuser) for this context"
        }
        S::AuthorizationError => {
            "access denied for this user at this security level: use a v3 user with write access (net-snmp: rwuser), at the security level the PDU requires for it (--auth and --priv), and the right --context"
        }
        S::GenErr | S::ResourceUnavailable | S::CommitFailed | S::UndoFailed => {
            "the agent failed internally; retry, and check the device's own log"
        }
        S::NoError => "see RFC 3416 for this error-status",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad configuration: {0}")]
    BadConfig(String),

    #[error(
        "no answer from {host}:{port} after {tries} tries ({timeout:?} each): check that the PDU is reachable, that its SNMP agent is enabled on that port, {hint}"
    )]
    Timeout {
        host: String,
        port: u16,
        tries: u32,
        timeout: Duration,
        hint: String,
    },

    #[error(
        "nothing is listening on {host}:{port} (the host answered \"port unreachable\"): check --host and --port, and that SNMP is enabled on the PDU"
    )]
    Unreachable { host: String, port: u16 },

    #[error(
        "cannot reach {host}:{port}: {detail}: check --host (name or address) and the network"
    )]
    Network {
        host: String,
        port: u16,
        detail: String,
    },

    #[error(
        "SNMPv3 engine discovery with {host}:{port} failed ({detail}): the agent did not tell its engine ID; check that it speaks SNMPv3 (or use --version 2c)"
    )]
    DiscoveryFailed {
        host: String,
        port: u16,
        detail: String,
    },

    #[error(
        "the agent does not know the SNMPv3 user {user:?} (it reported usmStatsUnknownUserNames): check --user, and that this user exists on the PDU"
    )]
    UnknownUserName { user: String },

    #[error(
        "the agent rejected the authentication of user {user:?} (usmStatsWrongDigests): the authentication key (--auth-key) or the protocol (--auth {auth}) does not match the PDU's setting for this user"
    )]
    WrongDigest { user: String, auth: String },

    #[error(
        "the agent could not decrypt the requests of user {user:?}{detail}: the privacy key (--priv-key) or the privacy protocol (--priv {privacy}) does not match the PDU's setting for this user"
    )]
    DecryptionError {
        user: String,
        privacy: String,
        detail: String,
    },

    #[error(
        "the agent does not allow security level {level} for user {user:?} (usmStatsUnsupportedSecLevels): the user is set up on the PDU with a different level; check --auth/--priv (none, or a protocol) against the PDU"
    )]
    UnsupportedSecurityLevel { user: String, level: String },

    #[error(
        "the agent keeps rejecting our engine time even after a re-synchronisation (usmStatsNotInTimeWindows, engineBoots {boots_hint}): {advice}"
    )]
    NotInTimeWindow { boots_hint: String, advice: String },

    #[error("the agent does not know the SNMPv3 context {context:?} (snmpUnknownContexts): check --context")]
    UnknownContext { context: String },

    #[error("authentication of user {user:?} failed: {detail}")]
    AuthenticationFailed { user: String, detail: String },

    #[error("the agent answered {status} ({code}) for {oid}: {hint}")]
    AgentError {
        status: &'static str,
        code: u32,
        oid: String,
        hint: &'static str,
    },

    #[error("no such outlet {outlet}: {detail}")]
    NoSuchOutlet { outlet: String, detail: String },

    #[error("unexpected value at {oid}: got {got}, expected {expected}: check the vendor profile (--vendor)")]
    UnexpectedValue {
        oid: String,
        got: String,
        expected: String,
    },

    #[error("the PDU has no {what} (at {oid}): {hint}")]
    NotAvailable {
        what: String,
        oid: String,
        hint: String,
    },

    #[error("could not detect the PDU type: sysObjectID is {sys_object_id} ({sys_descr:?}), which no profile knows; pick one with --vendor ({known}) or use --raw-oid")]
    UnknownDevice {
        sys_object_id: String,
        sys_descr: String,
        known: String,
    },

    #[error("the agent's answer could not be understood ({detail}); check that {host}:{port} is an SNMP agent and the --version matches")]
    Protocol {
        host: String,
        port: u16,
        detail: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_check() {
        let e = Error::Timeout {
            host: "10.0.0.5".into(),
            port: 161,
            tries: 3,
            timeout: Duration::from_secs(1),
            hint: "and the community string (--community)".into(),
        };
        let m = e.to_string();
        assert!(
            m.contains("10.0.0.5:161") && m.contains("3 tries") && m.contains("community"),
            "{m}"
        );
        let e = Error::AgentError {
            status: error_status_name(17),
            code: 17,
            oid: ".1.3".into(),
            hint: error_status_hint(17),
        };
        assert!(
            e.to_string()
                .contains("notWritable (17) for .1.3: the object is read-only"),
            "{e}"
        );
        let e = Error::WrongDigest {
            user: "ops".into(),
            auth: "sha".into(),
        };
        assert!(e.to_string().contains("--auth-key"));
    }

    #[test]
    fn every_status_has_a_name() {
        for s in 1..=18 {
            assert_ne!(error_status_name(s), "unknown error-status");
        }
        assert_eq!(error_status_name(10), "wrongValue");
        assert_eq!(error_status_name(19), "unknown error-status");
        assert_eq!(error_status_name(u32::MAX), "unknown error-status");
        assert!(error_status_hint(16).contains("security level"));
        assert!(error_status_hint(u32::MAX).contains("RFC 3416"));
    }
}
