//! The security subsystem between the wire and the agent: v1/v2c communities, and USM
//! incoming-message processing in the order RFC 3414 §3.2 prescribes, with the Report each
//! failure earns. Outgoing v3 messages are encrypted and signed here too (§3.1).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::agent::Permission;
use crate::device::{Device, USM_STATS_OID};
use crate::engine::TIME_WINDOW_SECS;
use crate::stats::bump;
use crate::usm::{SecurityLevel, UsmUser};
use crate::wire::{
    encode_scoped_pdu_parts, encode_v3_message, Oid, Pdu, ScopedPduData, UsmSecurityParameters,
    V3Body, V3Message, Value, VarBind,
};

pub use crate::usm::{UserError as SecurityError, UserSpec, UserTable};

/// A v1/v2c community string and what it may do.
#[derive(Clone, PartialEq, Eq)]
pub struct Community {
    pub name: String,
    pub permission: Permission,
}

impl fmt::Debug for Community {
    // Community strings are passwords in all but name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Community")
            .field("name", &"<redacted>")
            .field("permission", &self.permission)
            .finish()
    }
}

/// usmStats counters, each the reason a Report gives (RFC 3414 §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsmFailure {
    UnsupportedSecLevel = 1,
    NotInTimeWindow = 2,
    UnknownUserName = 3,
    UnknownEngineId = 4,
    WrongDigest = 5,
    DecryptionError = 6,
}

impl UsmFailure {
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

    pub fn name(self) -> &'static str {
        match self {
            UsmFailure::UnsupportedSecLevel => "usmStatsUnsupportedSecLevels",
            UsmFailure::NotInTimeWindow => "usmStatsNotInTimeWindows",
            UsmFailure::UnknownUserName => "usmStatsUnknownUserNames",
            UsmFailure::UnknownEngineId => "usmStatsUnknownEngineIDs",
            UsmFailure::WrongDigest => "usmStatsWrongDigests",
            UsmFailure::DecryptionError => "usmStatsDecryptionErrors",
        }
    }

    /// Increments the matching counter and returns the varbind a Report carries.
    pub fn count(self, device: &Device) -> VarBind<'static> {
        let s = &device.stats;
        let counter = match self {
            UsmFailure::UnsupportedSecLevel => &s.usm_unsupported_sec_levels,
            UsmFailure::NotInTimeWindow => &s.usm_not_in_time_windows,
            UsmFailure::UnknownUserName => &s.usm_unknown_user_names,
            UsmFailure::UnknownEngineId => &s.usm_unknown_engine_ids,
            UsmFailure::WrongDigest => &s.usm_wrong_digests,
            UsmFailure::DecryptionError => &s.usm_decryption_errors,
        };
        let value = bump(counter);
        let mut oid = USM_STATS_OID.to_vec();
        oid.extend_from_slice(&[self as u32, 0]);
        VarBind {
            oid: Oid(oid),
            value: Value::Counter32(value),
        }
    }
}

/// What USM made of an incoming v3 message.
pub enum Inbound {
    /// Authentic, in time and decrypted: hand the ScopedPDU bytes (or the plaintext one) on.
    Accepted {
        user: Arc<UsmUser>,
        level: SecurityLevel,
        decrypted: Option<Vec<u8>>,
    },
    /// Refused: answer with a Report carrying this varbind, if the sender asked for reports.
    Refused {
        failure: UsmFailure,
        report: VarBind<'static>,
        signed_by: Option<Arc<UsmUser>>,
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
    let refuse = |failure: UsmFailure, signed_by: Option<Arc<UsmUser>>| Inbound::Refused {
        failure,
        report: failure.count(device),
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
    if level > user.key_level() {
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
    let Some(auth) = user.auth.as_ref() else {
        return refuse(UsmFailure::UnsupportedSecLevel, None);
    };
    let start = msg.auth_params_offset;
    let end = start + usm.auth_params.len();
    let authentic = usm.auth_params.len() == auth.mac_len()
        && end <= datagram.len()
        && ZEROED.with(|cell| {
            // A reused per-thread copy of the message, with the MAC's place zeroed.
            let mut zeroed = cell.borrow_mut();
            zeroed.clear();
            zeroed.extend_from_slice(datagram);
            zeroed.get_mut(start..end).map(|p| p.fill(0)).is_some()
                && auth.verify(&zeroed, usm.auth_params)
        });
    if !authentic {
        return refuse(UsmFailure::WrongDigest, None);
    }
    // Step 7: the time window (§3.2 7a), and the lock-out at the maximum boots (§2.2.2).
    let boots = engine.boots();
    let skew = (i64::from(usm.engine_time) - i64::from(engine.time())).abs();
    if engine.locked_out() || usm.engine_boots != boots || skew > TIME_WINDOW_SECS {
        return refuse(UsmFailure::NotInTimeWindow, Some(user));
    }
    if level == SecurityLevel::AuthNoPriv {
        return Inbound::Accepted {
            user,
            level,
            decrypted: None,
        };
    }
    // Step 8: decryption.
    let (Some(privacy), ScopedPduData::Encrypted(ciphertext)) = (user.privacy.as_ref(), &msg.data)
    else {
        return refuse(UsmFailure::DecryptionError, None);
    };
    let boots = u32::try_from(usm.engine_boots).unwrap_or(0);
    let time = u32::try_from(usm.engine_time).unwrap_or(0);
    // Whether the plaintext is a ScopedPDU is checked where it is decoded (dispatch).
    let decrypted = privacy.decrypt(boots, time, usm.priv_params, ciphertext);
    match decrypted {
        Ok(plain) => Inbound::Accepted {
            user,
            level,
            decrypted: Some(plain),
        },
        _ => refuse(UsmFailure::DecryptionError, None),
    }
}

thread_local! {
    static ZEROED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Salts for outgoing encryption: a counter that starts somewhere unpredictable, so two runs of
/// the simulator do not reuse IVs with the same keys.
pub struct SaltSource(AtomicU64);

impl SaltSource {
    pub fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        SaltSource(AtomicU64::new(h.finish()))
    }
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
    pub msg_id: i32,
    pub msg_max_size: i32,
    pub level: SecurityLevel,
    /// The user whose keys protect the message (required above noAuthNoPriv).
    pub user: Option<&'u UsmUser>,
    /// The user name to echo (for Reports about unknown users, the name that was sent).
    pub user_name: &'u [u8],
}

/// Encodes, encrypts and signs a v3 message into `out` (cleared first). `scratch` is a reusable
/// buffer for the plaintext ScopedPDU.
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
    let boots = engine.boots();
    let time = engine.time();
    scratch.clear();
    encode_scoped_pdu_parts(scratch, &engine_id, context_name, pdu);
    let auth = how
        .user
        .and_then(|u| u.auth.as_ref())
        .filter(|_| how.level >= SecurityLevel::AuthNoPriv);
    let privacy = how
        .user
        .and_then(|u| u.privacy.as_ref())
        .filter(|_| how.level == SecurityLevel::AuthPriv);
    let zeros = [0u8; 48];
    let auth_placeholder = auth.map_or(&zeros[..0], |a| {
        zeros.get(..a.mac_len()).unwrap_or(&zeros[..])
    });
    let (ciphertext, priv_params) = match privacy {
        Some(p) => {
            let (c, params) = p.encrypt(
                u32::try_from(boots).unwrap_or(0),
                u32::try_from(time).unwrap_or(0),
                salts.next(),
                scratch,
            );
            (Some(c), params.to_vec())
        }
        None => (None, Vec::new()),
    };
    let usm = UsmSecurityParameters {
        engine_id: &engine_id,
        engine_boots: boots,
        engine_time: time,
        user_name: how.user_name,
        auth_params: auth_placeholder,
        priv_params: &priv_params,
    };
    let body = match &ciphertext {
        Some(c) => V3Body::Encrypted(c),
        None => V3Body::Plaintext(scratch),
    };
    out.clear();
    let flags = if auth.is_some() && privacy.is_some() {
        SecurityLevel::AuthPriv.flags()
    } else if auth.is_some() {
        SecurityLevel::AuthNoPriv.flags()
    } else {
        0
    };
    let offset = encode_v3_message(out, how.msg_id, how.msg_max_size, flags, &usm, body);
    if let Some(a) = auth {
        let mac = a.sign(out);
        if let Some(slot) = out.get_mut(offset..offset + mac.len()) {
            slot.copy_from_slice(&mac);
        }
    }
}
