//! The security subsystem between the wire and the agent: v1/v2c communities, and USM
//! incoming-message processing in the order RFC 3414 §3.2 prescribes, with the Report each
//! failure earns. Outgoing v3 messages are encrypted and signed here too (§3.1).
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::access::User;
use crate::device::Device;
use crate::engine::TIME_WINDOW_SECS;
use crate::stats::bump;
use snmp_proto::report::ReportReason;
pub use snmp_proto::report::UsmFailure;
use snmp_proto::usm::protect::{authenticate, decrypt, protect, OutgoingMessage};
use snmp_proto::usm::SecurityLevel;
use snmp_proto::{Pdu, V3Message, VarBind};

/// Increments the usmStats counter for `failure` on `device` and returns the varbind a Report
/// carries (RFC 3414 §3.2: the counter's OID and its new value).
pub fn count(failure: UsmFailure, device: &Device) -> VarBind<'static> {
    let s = &device.stats;
    let counter = match failure {
        UsmFailure::UnsupportedSecLevel => &s.usm_unsupported_sec_levels,
        UsmFailure::NotInTimeWindow => &s.usm_not_in_time_windows,
        UsmFailure::UnknownUserName => &s.usm_unknown_user_names,
        UsmFailure::UnknownEngineId => &s.usm_unknown_engine_ids,
        UsmFailure::WrongDigest => &s.usm_wrong_digests,
        UsmFailure::DecryptionError => &s.usm_decryption_errors,
    };
    ReportReason::Usm(failure).varbind(bump(counter))
}

/// What USM made of an incoming v3 message.
pub enum Inbound {
    /// Authentic, in time and decrypted: hand the ScopedPDU bytes (or the plaintext one) on.
    Accepted {
        user: Arc<User>,
        level: SecurityLevel,
        decrypted: Option<Vec<u8>>,
    },
    /// Refused: answer with a Report carrying this varbind, if the sender asked for reports.
    Refused {
        failure: UsmFailure,
        report: VarBind<'static>,
        signed_by: Option<Arc<User>>,
    },
}

/// RFC 3414 §3.2 steps 3–8, in order. `datagram` is the whole received message, needed to check
/// its HMAC.
pub fn process_inbound(
    device: &Device,
    datagram: &[u8],
    msg: &V3Message<'_>,
    level: SecurityLevel,
) -> Inbound {
    let refuse = |failure: UsmFailure, signed_by: Option<Arc<User>>| Inbound::Refused {
        failure,
        report: count(failure, device),
        signed_by,
    };
    let usm = &msg.usm;
    let engine = &device.engine;
    // Step 3: an engine ID that is not ours (including the empty one of discovery).
    if usm.engine_id != &*engine.id() {
        return refuse(UsmFailure::UnknownEngineId, None);
    }
    // Step 4: the user.
    let Some(user) = device.users().get(usm.user_name).cloned() else {
        return refuse(UsmFailure::UnknownUserName, None);
    };
    // Step 5: a level the user has no keys for.
    if level > user.usm.key_level() {
        return refuse(UsmFailure::UnsupportedSecLevel, None);
    }
    if level == SecurityLevel::NoAuthNoPriv {
        return Inbound::Accepted {
            user,
            level,
            decrypted: None,
        };
    }
    // Step 6: authentication, over the message with msgAuthenticationParameters zeroed.
    if !authenticate(&user.usm, datagram, msg) {
        return refuse(UsmFailure::WrongDigest, None);
    }
    // Step 7: the time window (§3.2 7a), and the lock-out at the maximum boots (§2.2.2).
    let boots = engine.boots();
    let skew = i64::from(usm.engine_time).abs_diff(i64::from(engine.time()));
    if engine.locked_out() || usm.engine_boots != boots || skew > TIME_WINDOW_SECS.unsigned_abs() {
        return refuse(UsmFailure::NotInTimeWindow, Some(user));
    }
    if level == SecurityLevel::AuthNoPriv {
        return Inbound::Accepted {
            user,
            level,
            decrypted: None,
        };
    }
    // Step 8: decryption. Whether the plaintext is a ScopedPDU is checked where it is decoded
    // (dispatch).
    match decrypt(&user.usm, msg) {
        Ok(plain) => Inbound::Accepted {
            user,
            level,
            decrypted: Some(plain),
        },
        Err(_) => refuse(UsmFailure::DecryptionError, None),
    }
}

/// Salts for outgoing encryption: a counter that starts somewhere unpredictable, so two runs of
/// the simulator do not reuse IVs with the same keys.
pub struct SaltSource(AtomicU64);

impl SaltSource {
    /// A counter starting at a random 64-bit value from the operating system.
    pub fn new() -> Self {
        // Without OS randomness (never seen on Linux), the time still varies the start per run.
        let start = getrandom::u64().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
        });
        SaltSource(AtomicU64::new(start))
    }

    /// The next salt (RFC 3414 §8.1.1.1, RFC 3826 §3.1.2.1): never the same twice in a run.
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

impl Default for SaltSource {
    fn default() -> Self {
        Self::new()
    }
}

/// How an outgoing v3 message is protected.
#[derive(Clone, Copy)]
pub struct Outbound<'u> {
    /// The request's msgID, echoed.
    pub msg_id: i32,
    /// This engine's msgMaxSize, in bytes.
    pub msg_max_size: i32,
    /// The level asked for; lowered to what `user`'s keys allow.
    pub level: SecurityLevel,
    /// The user whose keys protect the message (required above noAuthNoPriv).
    pub user: Option<&'u User>,
    /// The user name to echo (for Reports about unknown users, the name that was sent).
    pub user_name: &'u [u8],
}

/// Encodes, encrypts and signs a v3 Response or Report into `out` (cleared first), as this
/// PDU's authoritative engine (RFC 3414 §3.1 with its own engine ID, boots and time).
/// `scratch` is a reusable buffer for the plaintext ScopedPDU.
pub fn wrap_outbound(
    device: &Device,
    salts: &SaltSource,
    how: &Outbound<'_>,
    context_name: &[u8],
    pdu: &Pdu<'_>,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
    let engine = &device.engine;
    let engine_id = engine.id();
    let outgoing = OutgoingMessage {
        msg_id: how.msg_id,
        msg_max_size: how.msg_max_size,
        reportable: false,
        level: how.level,
        user: how.user.map(|u| &u.usm),
        user_name: how.user_name,
        engine_id: &engine_id,
        engine_boots: engine.boots(),
        engine_time: engine.time(),
        context_engine_id: &engine_id,
        context_name,
        salt: salts.next(),
    };
    protect(out, scratch, &outgoing, pdu);
}
