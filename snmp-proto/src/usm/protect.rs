//! Protecting and checking whole SNMPv3 messages with USM, for either end of an exchange.
//!
//! - [`protect`]: RFC 3414 §3.1 (generating an outgoing message): encode the ScopedPDU, encrypt
//!   it (§3.1 step 4), write the message with zeroed msgAuthenticationParameters, and sign it in
//!   place (§3.1 step 7). An agent protects Responses and Reports with its own engine's
//!   boots/time; a manager protects requests with what it learned of the agent's engine.
//! - [`authenticate`]: RFC 3414 §3.2 step 6 (§6.3.2 for the HMAC): the MAC of the received
//!   datagram with msgAuthenticationParameters zeroed, compared in constant time.
//! - [`decrypt`]: RFC 3414 §3.2 step 8: the encryptedPDU back into a serialized ScopedPDU.
//!
//! What differs between the two ends — which engine is authoritative, how the time window is
//! checked (§3.2 step 7a vs 7b), which counters are bumped and which Report is sent — stays with
//! the caller: this module knows messages and keys, nothing of serving.

use std::cell::RefCell;

use super::auth::MAX_DIGEST_LEN;
use super::privacy::DecryptError;
use super::{PrivKey, SecurityLevel, UsmUser};
use crate::encode::{encode_scoped_pdu_parts, encode_v3_message, V3Body};
use crate::message::{Pdu, ScopedPduData, UsmSecurityParameters, V3Message, FLAG_REPORTABLE};

/// Everything but the PDU that an outgoing SNMPv3 message carries (RFC 3412 §6, RFC 3414 §2.4).
#[derive(Clone, Copy, Debug)]
pub struct OutgoingMessage<'a> {
    /// msgID: a manager's own, or the request's echoed by an agent.
    pub msg_id: i32,
    /// msgMaxSize in bytes: the largest message the sender accepts (484 and up).
    pub msg_max_size: i32,
    /// msgFlags' reportable bit: set on requests, clear on Responses, Reports and traps.
    pub reportable: bool,
    /// The securityLevel asked for. The message is sent at the weaker of this and what
    /// `user`'s keys allow (an agent's Report to a user it could not authenticate goes out at
    /// noAuthNoPriv).
    pub level: SecurityLevel,
    /// The keys that protect the message; `None` sends at noAuthNoPriv.
    pub user: Option<&'a UsmUser>,
    /// msgUserName. Usually `user`'s name; a Report about an unknown user echoes the name that
    /// was received.
    pub user_name: &'a [u8],
    /// msgAuthoritativeEngineID (empty for discovery).
    pub engine_id: &'a [u8],
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: i32,
    /// msgAuthoritativeEngineTime, in seconds.
    pub engine_time: i32,
    /// contextEngineID of the ScopedPDU (normally the same as `engine_id`).
    pub context_engine_id: &'a [u8],
    /// contextName of the ScopedPDU.
    pub context_name: &'a [u8],
    /// The salt for encryption (RFC 3414 §8.1.1.1, RFC 3826 §3.1.2.1). It must differ for
    /// every message protected with the same key: use a counter from a random start.
    pub salt: u64,
}

impl OutgoingMessage<'_> {
    /// The level the message is actually sent at: `level`, lowered to what the keys allow.
    pub fn effective_level(&self) -> SecurityLevel {
        self.level.min(
            self.user
                .map_or(SecurityLevel::NoAuthNoPriv, UsmUser::key_level),
        )
    }
}

/// Encodes, encrypts and signs one SNMPv3 message into `out` (cleared first). `scratch` is a
/// reused buffer for the plaintext ScopedPDU. Implements RFC 3414 §3.1 steps 1–9 for USM.
///
/// The level is [`OutgoingMessage::effective_level`]; msgFlags carries it and the reportable
/// bit. Negative engine boots/time are written as given but encrypt as 0. Cannot fail; it
/// allocates only the ciphertext when encrypting (and grows `out`/`scratch` if too small).
pub fn protect(out: &mut Vec<u8>, scratch: &mut Vec<u8>, how: &OutgoingMessage<'_>, pdu: &Pdu<'_>) {
    scratch.clear();
    encode_scoped_pdu_parts(scratch, how.context_engine_id, how.context_name, pdu);
    let level = how.effective_level();
    let auth = how
        .user
        .and_then(|u| u.auth.as_ref())
        .filter(|_| level >= SecurityLevel::AuthNoPriv);
    let privacy = how
        .user
        .and_then(|u| u.privacy.as_ref())
        .filter(|_| level == SecurityLevel::AuthPriv);
    // The longest MAC (HMAC-SHA-512, RFC 7860) is 48 bytes.
    const ZEROS: [u8; 48] = [0; 48];
    let auth_placeholder = auth
        .and_then(|a| ZEROS.get(..a.mac_len()))
        .unwrap_or_default();
    let boots = u32::try_from(how.engine_boots).unwrap_or(0);
    let time = u32::try_from(how.engine_time).unwrap_or(0);
    let encrypted = privacy.map(|p| p.encrypt(boots, time, how.salt, scratch));
    let usm = UsmSecurityParameters {
        engine_id: how.engine_id,
        engine_boots: how.engine_boots,
        engine_time: how.engine_time,
        user_name: how.user_name,
        auth_params: auth_placeholder,
        priv_params: encrypted
            .as_ref()
            .map_or(&[][..], |(_, params)| &params[..]),
    };
    let body = match &encrypted {
        Some((ciphertext, _)) => V3Body::Encrypted(ciphertext),
        None => V3Body::Plaintext(scratch),
    };
    let flags = level.flags() | if how.reportable { FLAG_REPORTABLE } else { 0 };
    out.clear();
    let offset = encode_v3_message(out, how.msg_id, how.msg_max_size, flags, &usm, body);
    if let Some(a) = auth {
        let mut full = [0; MAX_DIGEST_LEN];
        let mac = a.mac(out, &mut full);
        if let Some(slot) = offset
            .checked_add(mac.len())
            .and_then(|end| out.get_mut(offset..end))
        {
            slot.copy_from_slice(mac);
        }
    }
}

thread_local! {
    /// A reused per-thread copy of the datagram being authenticated, with the MAC's place zeroed.
    static ZEROED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// RFC 3414 §3.2 step 6: is `msg` (decoded from `datagram`) authentic under `user`'s key?
/// The MAC covers wholeMsg "as received on the wire" (RFC 3414 §3.1.2, RFC 3412 §4.2.1): the
/// whole datagram, so bytes after the message SEQUENCE (which the decoder ignores) are part of
/// it, as in net-snmp's agent. False when the user has no authentication key, when
/// msgAuthenticationParameters has the wrong length for the protocol, or when the MAC differs
/// (compared in constant time).
pub fn authenticate(user: &UsmUser, datagram: &[u8], msg: &V3Message<'_>) -> bool {
    let Some(auth) = user.auth.as_ref() else {
        return false;
    };
    let start = msg.auth_params_offset;
    let Some(end) = start.checked_add(msg.usm.auth_params.len()) else {
        return false;
    };
    if msg.usm.auth_params.len() != auth.mac_len() || end > datagram.len() {
        return false;
    }
    ZEROED.with(|cell| {
        let mut zeroed = cell.borrow_mut();
        zeroed.clear();
        zeroed.extend_from_slice(datagram);
        zeroed.get_mut(start..end).map(|p| p.fill(0)).is_some()
            && auth.verify(&zeroed, msg.usm.auth_params)
    })
}

/// Why an incoming message could not be decrypted (RFC 3414 §3.2 step 8: a
/// usmStatsDecryptionErrors Report at the agent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivacyError {
    /// The user has no privacy key.
    #[error("the user has no privacy key")]
    NoPrivacyKey,
    /// msgFlags asked for privacy but msgData is a plaintext ScopedPDU.
    #[error("msgFlags say encrypted, but msgData is a plaintext ScopedPDU")]
    NotEncrypted,
    /// The cipher refused the parameters or the ciphertext's shape.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
}

/// RFC 3414 §3.2 step 8: decrypts `msg`'s encryptedPDU with `user`'s privacy key, using the
/// message's msgAuthoritativeEngineBoots/Time and msgPrivacyParameters. Returns the serialized
/// ScopedPDU (DES/3DES may leave padding after it). A wrong key is not detected here: the
/// plaintext then fails to decode as a ScopedPDU, which the same step also counts as a
/// decryption error.
pub fn decrypt(user: &UsmUser, msg: &V3Message<'_>) -> Result<Vec<u8>, PrivacyError> {
    let privacy: &PrivKey = user.privacy.as_ref().ok_or(PrivacyError::NoPrivacyKey)?;
    let ScopedPduData::Encrypted(ciphertext) = &msg.data else {
        return Err(PrivacyError::NotEncrypted);
    };
    let boots = u32::try_from(msg.usm.engine_boots).unwrap_or(0);
    let time = u32::try_from(msg.usm.engine_time).unwrap_or(0);
    Ok(privacy.decrypt(boots, time, msg.usm.priv_params, ciphertext)?)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;
    use crate::decode::{decode_message, decode_scoped_pdu};
    use crate::message::{Message, Oid, PduType, Value, VarBind, FLAG_AUTH, FLAG_PRIV};
    use crate::usm::{AuthProtocol, MasterKeyCache, Password, PrivProtocol};

    const ENGINE: &[u8] = &[0x80, 0, 0x1f, 0x88, 0x80, 1, 2, 3, 4];

    fn user(auth: Option<AuthProtocol>, privacy: Option<PrivProtocol>) -> UsmUser {
        let a = Password::from("authpass123");
        let p = Password::from("privpass123");
        UsmUser::localize(
            b"ops",
            auth.map(|x| (x, &a)),
            privacy.map(|x| (x, &p)),
            ENGINE,
            &MasterKeyCache::default(),
        )
        .unwrap()
    }

    fn get() -> Pdu<'static> {
        Pdu {
            pdu_type: PduType::GetRequest,
            request_id: 7,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                value: Value::Null,
            }],
            trap_v1: None,
        }
    }

    fn outgoing<'a>(u: &'a UsmUser, level: SecurityLevel) -> OutgoingMessage<'a> {
        OutgoingMessage {
            msg_id: 99,
            msg_max_size: 1500,
            reportable: true,
            level,
            user: Some(u),
            user_name: &u.name,
            engine_id: ENGINE,
            engine_boots: 3,
            engine_time: 1234,
            context_engine_id: ENGINE,
            context_name: b"",
            salt: 0x0102_0304_0506_0708,
        }
    }

    #[test]
    fn every_protocol_pair_protects_what_the_other_end_checks() {
        for auth in AuthProtocol::ALL {
            for privacy in PrivProtocol::ALL {
                let u = user(Some(auth), Some(privacy));
                let (mut out, mut scratch) = (Vec::new(), Vec::new());
                protect(
                    &mut out,
                    &mut scratch,
                    &outgoing(&u, SecurityLevel::AuthPriv),
                    &get(),
                );
                let Message::V3(m) = decode_message(&out).unwrap() else {
                    panic!("not v3")
                };
                assert_eq!(
                    m.msg_flags,
                    FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE,
                    "{auth} {privacy}"
                );
                assert!(authenticate(&u, &out, &m), "{auth} {privacy}");
                let plain = decrypt(&u, &m).unwrap();
                let scoped = decode_scoped_pdu(&plain).unwrap();
                assert_eq!(scoped.pdu, get(), "{auth} {privacy}");
                assert_eq!(scoped.context_engine_id, ENGINE);
            }
        }
    }

    #[test]
    fn a_changed_byte_or_another_key_fails_authentication() {
        let u = user(Some(AuthProtocol::Sha256), None);
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        protect(
            &mut out,
            &mut scratch,
            &outgoing(&u, SecurityLevel::AuthNoPriv),
            &get(),
        );
        let Message::V3(m) = decode_message(&out).unwrap() else {
            panic!("not v3")
        };
        assert!(authenticate(&u, &out, &m));
        let other = {
            let a = Password::from("another-pass");
            UsmUser::localize(
                b"ops",
                Some((AuthProtocol::Sha256, &a)),
                None,
                ENGINE,
                &MasterKeyCache::default(),
            )
            .unwrap()
        };
        assert!(!authenticate(&other, &out, &m));
        let no_auth = user(None, None);
        assert!(!authenticate(&no_auth, &out, &m));
        // Change sysName.0 into sysName.1 (the OID's last arc, before the NULL value's 05 00):
        // still a valid message, but the MAC no longer matches.
        let mut tampered = out.clone();
        let at = tampered.len() - 3;
        tampered[at] ^= 1;
        let Message::V3(t) = decode_message(&tampered).unwrap() else {
            panic!("not v3")
        };
        assert!(!authenticate(&u, &tampered, &t));
    }

    #[test]
    fn the_level_is_lowered_to_what_the_keys_allow() {
        let u = user(Some(AuthProtocol::Md5), None);
        let how = outgoing(&u, SecurityLevel::AuthPriv);
        assert_eq!(how.effective_level(), SecurityLevel::AuthNoPriv);
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        protect(
            &mut out,
            &mut scratch,
            &OutgoingMessage {
                reportable: false,
                ..how
            },
            &get(),
        );
        let Message::V3(m) = decode_message(&out).unwrap() else {
            panic!("not v3")
        };
        assert_eq!(m.msg_flags, FLAG_AUTH);
        assert!(matches!(m.data, ScopedPduData::Plaintext(_)));
        assert_eq!(decrypt(&u, &m), Err(PrivacyError::NoPrivacyKey));
        let with_priv = user(Some(AuthProtocol::Md5), Some(PrivProtocol::Des));
        assert_eq!(decrypt(&with_priv, &m), Err(PrivacyError::NotEncrypted));
    }
}
