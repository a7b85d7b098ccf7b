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

/// What to check for an error-status answering a read (GET, GETNEXT, a walk): the access
/// refusals mean the community or user may not read that object (a view that leaves it out),
/// not a missing write access; the rest as [`error_status_hint`].
pub fn read_error_status_hint(status: u32) -> &'static str {
    use ErrorStatus as S;
    match i32::try_from(status).ok().and_then(ErrorStatus::from_code) {
        Some(S::AuthorizationError) => {
            "this user or community may not read this object at this security level: the agent's access control (VACM view, net-snmp: rouser/rocommunity with an OID) leaves it out, the user is used below the security level the PDU requires for it (--auth and --priv), or --context is wrong"
        }
        Some(S::NoAccess) => {
            "this community or user may not read this object: the agent's read view leaves it out; use a community or user whose view includes it"
        }
        _ => error_status_hint(status),
    }
}

/// Every failure of the driver. The message (`Display`) says what failed and what to check;
/// no variant carries a key or community string.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is missing, malformed or contradictory (flags, profile file,
    /// [`crate::Config::validate`]), or the profile lacks what was asked (a name column, a
    /// writable name). The text says which.
    #[error("bad configuration: {0}")]
    BadConfig(String),

    #[error(
        "outlet {outlet}: the {action} SET {failure}, and reading the outlet back ({read_back}) cannot tell whether it was carried out; it was not sent again, so it is never carried out twice: check the outlet (`state`), then repeat the command if it did not happen"
    )]
    /// A SET that may switch an outlet went unanswered or was answered with an error, and the
    /// read-back afterwards cannot tell whether the PDU carried it out (a PDU that acts and
    /// then fails its answer, or answers too late). Sending it again could repeat it (a second
    /// reboot for `cycle`), so the driver stops and says so.
    SetOutcomeUnknown {
        /// The outlet number.
        outlet: u32,
        /// `on`, `off` or `cycle`.
        action: &'static str,
        /// What went wrong with the SET ("was not answered", "was answered genErr").
        failure: String,
        /// The state read back afterwards (`on`, `off`, `unreadable`, ...).
        read_back: String,
    },

    #[error(
        "outlet {outlet}: the {action} SET was refused ({status}) {after} after the previous switch operation: some PDUs (ATEN among them) refuse or ignore a switch that comes sooner than a minimum gap after the last one; leave a gap with --min-gap SECONDS (e.g. 2), or retry later"
    )]
    /// A switch SET refused with genErr or resourceUnavailable shortly after this driver's
    /// previous switch on the same PDU, with no [`crate::Config::min_gap`] set: most likely a
    /// PDU that enforces a minimum gap between switch operations.
    SwitchTooSoon {
        /// The outlet number.
        outlet: u32,
        /// `on`, `off` or `cycle`.
        action: &'static str,
        /// The error-status, by RFC 3416 name.
        status: &'static str,
        /// How soon after the previous switch SET, in words ("within 10 s").
        after: String,
    },

    #[error(
        "no answer from {host}:{port} after {tries} tries ({timeout:?} each): check that the PDU is reachable, that its SNMP agent is enabled on that port, {hint}"
    )]
    /// No answer to any try of a request.
    Timeout {
        /// The PDU's host, as configured.
        host: String,
        /// The PDU's UDP port.
        port: u16,
        /// Requests sent, the first included (`retries + 1`).
        tries: u32,
        /// The wait for each try.
        timeout: Duration,
        /// What else to check, chosen by SNMP version and by what the agent answered before
        /// (starts with "and ...").
        hint: String,
    },

    #[error(
        "{host}:{port} stopped answering after it refused the authentication of user {user:?} ({seen}): many PDUs lock a source address out for a while (often minutes) after failed authentications; check --auth-key and --auth against the PDU, then wait for the lockout to end (or clear it on the PDU) before trying again"
    )]
    /// The agent refused our authentication (a usmStatsWrongDigests Report, or another
    /// refusal) and then answered nothing, not even engine discovery: most likely a lockout of
    /// this source address after failed authentications.
    LikelyLockout {
        /// The PDU's host, as configured.
        host: String,
        /// The PDU's UDP port.
        port: u16,
        /// The msgUserName sent (`--user`).
        user: String,
        /// What the agent said before it went silent (the Report's counter).
        seen: String,
    },

    #[error(
        "nothing is listening on {host}:{port} (the host answered \"port unreachable\"): check --host and --port, and that SNMP is enabled on the PDU"
    )]
    /// Receiving failed, normally because the host answered ICMP "port unreachable".
    Unreachable {
        /// The PDU's host, as configured.
        host: String,
        /// The PDU's UDP port.
        port: u16,
    },

    #[error(
        "cannot reach {host}:{port}: {detail}: check --host (name or address) and the network"
    )]
    /// The socket could not be opened or the request not sent (name resolution, no route).
    Network {
        /// The PDU's host, as configured.
        host: String,
        /// The PDU's UDP port.
        port: u16,
        /// The operating system's error, or what could not be done.
        detail: String,
    },

    #[error(
        "SNMPv3 engine discovery with {host}:{port} failed ({detail}): the agent did not tell its engine ID; check that it speaks SNMPv3 (or use --snmp-version 2c)"
    )]
    /// SNMPv3 engine discovery (RFC 3414 §4) was answered without an engine ID.
    DiscoveryFailed {
        /// The PDU's host, as configured.
        host: String,
        /// The PDU's UDP port.
        port: u16,
        /// What was wrong with the answer.
        detail: String,
    },

    #[error(
        "the agent does not know the SNMPv3 user {user:?} (it reported usmStatsUnknownUserNames): check --user, and that this user exists on the PDU"
    )]
    /// The diagnosis probe got usmStatsUnknownUserNames (RFC 3414 §3.2 step 4).
    UnknownUserName {
        /// The msgUserName sent (`--user`).
        user: String,
    },

    #[error(
        "the agent rejected the authentication of user {user:?} (usmStatsWrongDigests): the authentication key (--auth-key) or the protocol (--auth {auth}) does not match the PDU's setting for this user"
    )]
    /// The diagnosis probe got usmStatsWrongDigests (RFC 3414 §3.2 step 6): the authentication
    /// key or protocol differs from the agent's.
    WrongDigest {
        /// The msgUserName sent (`--user`).
        user: String,
        /// The configured authentication protocol, as `--auth` spells it.
        auth: String,
    },

    #[error(
        "the agent could not decrypt the requests of user {user:?}{detail}: the privacy key (--priv-key) or the privacy protocol (--priv {privacy}) does not match the PDU's setting for this user"
    )]
    /// The agent reported usmStatsDecryptionErrors (RFC 3414 §3.2 step 8), or answered a
    /// correctly signed probe but never an encrypted request: the privacy key or protocol
    /// differs from the agent's.
    DecryptionError {
        /// The msgUserName sent (`--user`).
        user: String,
        /// The configured privacy protocol, as `--priv` spells it.
        privacy: String,
        /// How it was found, as a parenthesised clause with a leading space (or empty).
        detail: String,
    },

    #[error(
        "the agent does not allow security level {level} for user {user:?} (usmStatsUnsupportedSecLevels): the user is set up on the PDU with a different level; check --auth/--priv (none, or a protocol) against the PDU"
    )]
    /// The diagnosis probe got usmStatsUnsupportedSecLevels (RFC 3414 §3.2 step 5).
    UnsupportedSecurityLevel {
        /// The msgUserName sent (`--user`).
        user: String,
        /// The securityLevel asked for: `noAuthNoPriv`, `authNoPriv` or `authPriv`.
        level: String,
    },

    #[error(
        "the agent keeps rejecting our engine time even after a re-synchronisation (usmStatsNotInTimeWindows, engineBoots {boots_hint}): {advice}"
    )]
    /// usmStatsNotInTimeWindows (RFC 3414 §3.2 step 7) again after re-synchronising, or the
    /// agent's engineBoots/engineTime changed between every request.
    NotInTimeWindow {
        /// The agent's engineBoots as its Report gave it (noting when it is the maximum,
        /// 2147483647), or how it behaved.
        boots_hint: String,
        /// What to do about it.
        advice: String,
    },

    #[error("the agent does not know the SNMPv3 context {context:?} (snmpUnknownContexts): check --context")]
    /// The diagnosis probe got snmpUnknownContexts (RFC 3413 §3.2).
    UnknownContext {
        /// The contextName sent (`--context`).
        context: String,
    },

    #[error("authentication of user {user:?} failed: {detail}")]
    /// An SNMPv3 refusal that the diagnosis probe could not put down to one usmStats counter.
    AuthenticationFailed {
        /// The msgUserName sent (`--user`).
        user: String,
        /// What snmp2 reported and what the probe found.
        detail: String,
    },

    #[error("the agent answered {status} ({code}) for {oid}: {hint}")]
    /// The agent answered with an error-status other than noError (RFC 3416 §3).
    AgentError {
        /// The error-status's RFC 3416 name ([`error_status_name`]).
        status: &'static str,
        /// The error-status number, as received.
        code: u32,
        /// The OID error-index points at, dotted (the request's first if it points nowhere).
        oid: String,
        /// What to check ([`error_status_hint`]).
        hint: &'static str,
    },

    #[error("no such outlet {outlet}: {detail}")]
    /// The outlet does not exist on the PDU (or no outlet has that name).
    NoSuchOutlet {
        /// The outlet as the user gave it: a number, or a quoted name.
        outlet: String,
        /// Why, and which outlets or names there are.
        detail: String,
    },

    #[error("unexpected value at {oid}: got {got}, expected {expected}: check the vendor profile (--vendor)")]
    /// The agent answered with a value of the wrong type (e.g. a string in a state column).
    UnexpectedValue {
        /// The object read, dotted.
        oid: String,
        /// The value received, as [`crate::session::Value::describe`] shows it.
        got: String,
        /// What the profile expects there.
        expected: String,
    },

    #[error("the PDU has no {what} (at {oid}): {hint}")]
    /// The PDU lacks an object the operation needs (sysObjectID for detection, a state column).
    NotAvailable {
        /// The object, in words.
        what: String,
        /// Where it was looked for, dotted, or `(none configured)`.
        oid: String,
        /// What to do instead.
        hint: String,
    },

    #[error("could not detect the PDU type: sysObjectID is {sys_object_id} ({sys_descr:?}), which no profile knows; pick one with --vendor ({known}) or use --raw-oid")]
    /// Vendor detection found no profile for the PDU's sysObjectID.
    UnknownDevice {
        /// The sysObjectID the PDU reported, dotted.
        sys_object_id: String,
        /// The sysDescr the PDU reported.
        sys_descr: String,
        /// The profile names to choose from, comma-separated.
        known: String,
    },

    #[error("the walk of {column} read {rows} rows ({bytes} bytes) without reaching the end of the column, more than a walk may read (--max-walk-bytes {max_bytes}, at most {max_rows} rows): the agent's table does not end (a broken agent) or is far larger than a PDU's; raise --max-walk-bytes if the PDU really has that many outlets")]
    /// A walk of one column read more than [`crate::Config::max_walk_bytes`] (or
    /// [`crate::config::MAX_WALK_ROWS`] rows) without reaching the column's end.
    WalkTooLarge {
        /// The column walked, dotted.
        column: String,
        /// Rows read before stopping.
        rows: usize,
        /// Bytes read before stopping, counted as [`crate::config::DEFAULT_MAX_WALK_BYTES`] says.
        bytes: usize,
        /// The byte limit in force.
        max_bytes: usize,
        /// The row limit in force.
        max_rows: usize,
    },

    #[error("the agent's answer could not be understood ({detail}); check that {host}:{port} is an SNMP agent and the --snmp-version matches")]
    /// Answers came that could not be used: malformed, failing the HMAC check, not matching
    /// the request, engineBoots 0, or a GETNEXT that did not advance.
    Protocol {
        /// The PDU's host, as configured.
        host: String,
        /// The PDU's UDP port.
        port: u16,
        /// What was wrong, and how many answers were.
        detail: String,
    },
}

/// The driver's result type: [`Error`] for every failure.
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
