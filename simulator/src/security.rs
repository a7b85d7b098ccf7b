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
        /// The user named by msgUserName, with its localized keys and access.
        user: Arc<User>,
        /// The message's securityLevel (from msgFlags).
        level: SecurityLevel,
        /// The decrypted ScopedPDU bytes at authPriv (not yet decoded); `None` below it.
        decrypted: Option<Vec<u8>>,
    },
    /// Refused: answer with a Report carrying this varbind, if the sender asked for reports.
    Refused {
        /// Which RFC 3414 §3.2 check failed.
        failure: UsmFailure,
        /// The usmStats counter's varbind, already incremented.
        report: VarBind<'static>,
        /// The user whose key authenticated the message, for a notInTimeWindow Report, which
        /// is sent authenticated (§3.2 step 7b); `None` for every other failure (sent at
        /// noAuthNoPriv).
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
    let engine = &device.engine();
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
    let engine = device.engine();
    let clock = (engine.boots(), engine.time());
    wrap_outbound_at(device, salts, how, context_name, pdu, clock, scratch, out);
}

/// [`wrap_outbound`] with msgAuthoritativeEngineBoots and msgAuthoritativeEngineTime given as
/// `(boots, time)` instead of the engine's (the `discovery-without-time` fault sends 0 and 0).
#[allow(clippy::too_many_arguments)]
pub fn wrap_outbound_at(
    device: &Device,
    salts: &SaltSource,
    how: &Outbound<'_>,
    context_name: &[u8],
    pdu: &Pdu<'_>,
    (engine_boots, engine_time): (i32, i32),
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
    let engine_id = device.engine().id();
    let outgoing = OutgoingMessage {
        msg_id: how.msg_id,
        msg_max_size: how.msg_max_size,
        reportable: false,
        level: how.level,
        user: how.user.map(|u| &u.usm),
        user_name: how.user_name,
        engine_id: &engine_id,
        engine_boots,
        engine_time,
        context_engine_id: &engine_id,
        context_name,
        salt: salts.next(),
    };
    protect(out, scratch, &outgoing, pdu);
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::engine::MAX_ENGINE_BOOTS;
    use crate::stats::read;
    use snmp_proto::usm::{AuthProtocol, MasterKeyCache, Password, PrivProtocol, UsmUser};
    use snmp_proto::{
        decode_message, decode_scoped_pdu, encode_scoped_pdu_parts, encode_v3_message, Message,
        Oid, PduType, ScopedPduData, UsmSecurityParameters, V3Body, Value, FLAG_AUTH, FLAG_PRIV,
        FLAG_REPORTABLE,
    };

    const ENGINE: [u8; 8] = [0x80, 0, 0, 0, 1, 2, 3, 4];
    const AUTH: &str = "authpass123";
    const PRIV: &str = "privpass123";
    const CONFIG: &str = r#"
[[pdu]]
name = "a"
engine_id = "8000000001020304"
[[pdu.user]]
name = "noauth"
[[pdu.user]]
name = "authonly"
auth = "sha"
auth_password = "authpass123"
[[pdu.user]]
name = "admin"
auth = "sha"
auth_password = "authpass123"
priv = "aes"
priv_password = "privpass123"
"#;

    fn device() -> (Device, Arc<ManualClock>) {
        let mut spec = FileConfig::parse(CONFIG, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = None;
        let clock = Arc::new(ManualClock::default());
        (Device::start(spec, clock.clone()).unwrap(), clock)
    }

    /// A manager's copy of a user: SHA-1 and AES-128 keys localized to `engine`.
    fn manager(name: &str, auth: Option<&str>, privacy: Option<&str>, engine: &[u8]) -> UsmUser {
        let auth = auth.map(Password::from);
        let privacy = privacy.map(Password::from);
        UsmUser::localize(
            name.as_bytes(),
            auth.as_ref().map(|p| (AuthProtocol::Sha1, p)),
            privacy.as_ref().map(|p| (PrivProtocol::Aes128, p)),
            engine,
            &MasterKeyCache::default(),
        )
        .unwrap()
    }

    fn get_sys_name() -> Pdu<'static> {
        Pdu {
            pdu_type: PduType::GetRequest,
            request_id: 5,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: Oid::new(snmp_proto::oids::SYS_NAME),
                value: Value::Null,
            }],
            trap_v1: None,
        }
    }

    /// A reportable GET of sysName.0 as a manager protects it (RFC 3414 §3.1).
    fn request(
        user: Option<&UsmUser>,
        user_name: &[u8],
        level: SecurityLevel,
        engine_id: &[u8],
        boots: i32,
        time: i32,
    ) -> Vec<u8> {
        let how = OutgoingMessage {
            msg_id: 9,
            msg_max_size: 65507,
            reportable: true,
            level,
            user,
            user_name,
            engine_id,
            engine_boots: boots,
            engine_time: time,
            context_engine_id: engine_id,
            context_name: b"",
            salt: 0x0102_0304_0506_0708,
        };
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        protect(&mut out, &mut scratch, &how, &get_sys_name());
        out
    }

    /// A request from `user` to this engine at boots 1, time `time`.
    fn from(user: &UsmUser, level: SecurityLevel, time: i32) -> Vec<u8> {
        request(Some(user), &user.name, level, &ENGINE, 1, time)
    }

    fn inbound(device: &Device, datagram: &[u8]) -> Inbound {
        let Message::V3(m) = decode_message(datagram).unwrap() else {
            panic!("not v3")
        };
        let level = SecurityLevel::from_flags(m.msg_flags).unwrap();
        process_inbound(device, datagram, &m, level)
    }

    /// (failure, report varbind, user the Report is signed by).
    fn refused(i: Inbound) -> (UsmFailure, VarBind<'static>, Option<String>) {
        match i {
            Inbound::Refused {
                failure,
                report,
                signed_by,
            } => (
                failure,
                report,
                signed_by.map(|u| String::from_utf8_lossy(&u.usm.name).into_owned()),
            ),
            Inbound::Accepted { user, .. } => {
                panic!("accepted for {:?}", String::from_utf8_lossy(&user.usm.name))
            }
        }
    }

    /// (user name, level, decrypted ScopedPDU).
    fn accepted(i: Inbound) -> (String, SecurityLevel, Option<Vec<u8>>) {
        match i {
            Inbound::Accepted {
                user,
                level,
                decrypted,
            } => (
                String::from_utf8_lossy(&user.usm.name).into_owned(),
                level,
                decrypted,
            ),
            Inbound::Refused { failure, .. } => panic!("refused: {}", failure.name()),
        }
    }

    /// The usmStats counters, in MIB order (unsupportedSecLevels .1 to decryptionErrors .6).
    fn counters(d: &Device) -> [u32; 6] {
        let s = &d.stats;
        [
            read(&s.usm_unsupported_sec_levels),
            read(&s.usm_not_in_time_windows),
            read(&s.usm_unknown_user_names),
            read(&s.usm_unknown_engine_ids),
            read(&s.usm_wrong_digests),
            read(&s.usm_decryption_errors),
        ]
    }

    /// The Report varbind: usmStats.<arc>.0 and the counter's new value.
    fn report(arc: u32, count: u32) -> VarBind<'static> {
        VarBind {
            oid: Oid::new(&[1, 3, 6, 1, 6, 3, 15, 1, 1, arc, 0]),
            value: Value::Counter32(count),
        }
    }

    #[test]
    fn step_3_an_engine_id_not_ours_is_unknown_and_answers_discovery() {
        let (d, _) = device();
        // Discovery: empty engine ID and user, noAuthNoPriv.
        let probe = request(None, b"", SecurityLevel::NoAuthNoPriv, b"", 0, 0);
        assert_eq!(
            refused(inbound(&d, &probe)),
            (UsmFailure::UnknownEngineId, report(4, 1), None)
        );
        // Another engine's ID, even from a known user with good keys for it.
        let other = [0x80, 0, 0, 0, 1, 2, 3, 5];
        let signed = request(
            Some(&manager("authonly", Some(AUTH), None, &other)),
            b"authonly",
            SecurityLevel::AuthNoPriv,
            &other,
            1,
            0,
        );
        assert_eq!(
            refused(inbound(&d, &signed)),
            (UsmFailure::UnknownEngineId, report(4, 2), None)
        );
        assert_eq!(counters(&d), [0, 0, 0, 2, 0, 0]);
    }

    #[test]
    fn step_4_an_unknown_user_is_refused_before_its_level_or_digest_is_looked_at() {
        let (d, _) = device();
        let plain = request(None, b"nobody", SecurityLevel::NoAuthNoPriv, &ENGINE, 1, 0);
        assert_eq!(
            refused(inbound(&d, &plain)),
            (UsmFailure::UnknownUserName, report(3, 1), None)
        );
        let stranger = manager("nobody", Some(AUTH), Some(PRIV), &ENGINE);
        let encrypted = from(&stranger, SecurityLevel::AuthPriv, 0);
        assert_eq!(
            refused(inbound(&d, &encrypted)),
            (UsmFailure::UnknownUserName, report(3, 2), None)
        );
        assert_eq!(counters(&d), [0, 0, 2, 0, 0, 0]);
    }

    #[test]
    fn step_5_a_level_above_the_users_keys_is_unsupported() {
        let (d, _) = device();
        // The manager has keys the agent's user does not.
        let noauth = manager("noauth", Some(AUTH), None, &ENGINE);
        assert_eq!(
            refused(inbound(&d, &from(&noauth, SecurityLevel::AuthNoPriv, 0))),
            (UsmFailure::UnsupportedSecLevel, report(1, 1), None)
        );
        let authonly = manager("authonly", Some(AUTH), Some(PRIV), &ENGINE);
        assert_eq!(
            refused(inbound(&d, &from(&authonly, SecurityLevel::AuthPriv, 0))),
            (UsmFailure::UnsupportedSecLevel, report(1, 2), None)
        );
        assert_eq!(counters(&d), [2, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn step_6_a_wrong_digest_is_refused_before_time_and_privacy() {
        let (d, _) = device();
        let forger = manager("authonly", Some("wrongpass1"), None, &ENGINE);
        assert_eq!(
            refused(inbound(&d, &from(&forger, SecurityLevel::AuthNoPriv, 0))),
            (UsmFailure::WrongDigest, report(5, 1), None)
        );
        // Wrong key and out of the time window: the digest is checked first.
        let late = request(
            Some(&forger),
            b"authonly",
            SecurityLevel::AuthNoPriv,
            &ENGINE,
            7,
            9999,
        );
        assert_eq!(refused(inbound(&d, &late)).0, UsmFailure::WrongDigest);
        // A wrong authentication key with the right privacy key: not decrypted.
        let admin = manager("admin", Some("wrongpass1"), Some(PRIV), &ENGINE);
        assert_eq!(
            refused(inbound(&d, &from(&admin, SecurityLevel::AuthPriv, 0))).0,
            UsmFailure::WrongDigest
        );
        // One changed byte of an authentic message: sysName.0 becomes sysName.1.
        let good = manager("authonly", Some(AUTH), None, &ENGINE);
        let mut tampered = from(&good, SecurityLevel::AuthNoPriv, 0);
        assert!(matches!(inbound(&d, &tampered), Inbound::Accepted { .. }));
        let at = tampered.len() - 3;
        tampered[at] ^= 1;
        assert_eq!(refused(inbound(&d, &tampered)).0, UsmFailure::WrongDigest);
        assert_eq!(counters(&d), [0, 0, 0, 0, 4, 0]);
    }

    #[test]
    fn step_7_the_time_window_is_150_seconds_and_the_report_is_signed() {
        let (d, clock) = device();
        clock.advance(Duration::from_secs(1000));
        assert_eq!(d.engine().time(), 1000);
        let user = manager("authonly", Some(AUTH), None, &ENGINE);
        for (boots, time, in_window) in [
            (1, 1000, true),
            (1, 850, true),
            (1, 1150, true),
            (1, 849, false),
            (1, 1151, false),
            (2, 1000, false),
            (0, 1000, false),
        ] {
            let datagram = request(
                Some(&user),
                b"authonly",
                SecurityLevel::AuthNoPriv,
                &ENGINE,
                boots,
                time,
            );
            let outcome = inbound(&d, &datagram);
            if in_window {
                assert_eq!(accepted(outcome).0, "authonly", "boots {boots} time {time}");
            } else {
                let (failure, _, signed_by) = refused(outcome);
                assert_eq!(
                    (failure, signed_by.as_deref()),
                    (UsmFailure::NotInTimeWindow, Some("authonly")),
                    "boots {boots} time {time}"
                );
            }
        }
        assert_eq!(counters(&d), [0, 4, 0, 0, 0, 0]);
    }

    #[test]
    fn step_7_an_engine_at_maximum_boots_is_locked_out() {
        let (d, _) = device();
        d.engine().set_boots(MAX_ENGINE_BOOTS).unwrap();
        let user = manager("authonly", Some(AUTH), None, &ENGINE);
        // Even with boots and time exactly the engine's own (RFC 3414 §3.2 step 7a).
        let datagram = request(
            Some(&user),
            b"authonly",
            SecurityLevel::AuthNoPriv,
            &ENGINE,
            MAX_ENGINE_BOOTS,
            d.engine().time(),
        );
        assert_eq!(
            refused(inbound(&d, &datagram)),
            (
                UsmFailure::NotInTimeWindow,
                report(2, 1),
                Some("authonly".into())
            )
        );
        // Unauthenticated messages have no time window to be out of.
        let plain = request(None, b"noauth", SecurityLevel::NoAuthNoPriv, &ENGINE, 0, 0);
        assert_eq!(accepted(inbound(&d, &plain)).1, SecurityLevel::NoAuthNoPriv);
    }

    /// An authentic admin message at authPriv whose msgData is `body` and
    /// msgPrivacyParameters `salt`: flags and MAC right, the privacy part wrong.
    fn signed_with_bad_privacy(body: V3Body<'_>, salt: &[u8]) -> Vec<u8> {
        let user = manager("admin", Some(AUTH), Some(PRIV), &ENGINE);
        let key = user.auth.as_ref().unwrap();
        let zeros = vec![0u8; key.mac_len()];
        let usm = UsmSecurityParameters {
            engine_id: &ENGINE,
            engine_boots: 1,
            engine_time: 0,
            user_name: b"admin",
            auth_params: &zeros,
            priv_params: salt,
        };
        let mut out = Vec::new();
        let at = encode_v3_message(
            &mut out,
            9,
            65507,
            FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE,
            &usm,
            body,
        );
        let mac = key.sign(&out);
        out[at..at + mac.len()].copy_from_slice(&mac);
        out
    }

    #[test]
    fn step_8_what_cannot_be_decrypted_is_a_decryption_error() {
        let (d, _) = device();
        let mut scoped = Vec::new();
        encode_scoped_pdu_parts(&mut scoped, &ENGINE, b"", &get_sys_name());
        // msgFlags say encrypted, msgData is a plaintext ScopedPDU.
        let plaintext = signed_with_bad_privacy(V3Body::Plaintext(&scoped), &[0; 8]);
        assert_eq!(
            refused(inbound(&d, &plaintext)),
            (UsmFailure::DecryptionError, report(6, 1), None)
        );
        // An AES salt that is not 8 bytes.
        let short_salt = signed_with_bad_privacy(V3Body::Encrypted(&scoped), &[0; 4]);
        assert_eq!(
            refused(inbound(&d, &short_salt)),
            (UsmFailure::DecryptionError, report(6, 2), None)
        );
        assert_eq!(counters(&d), [0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn authentic_timely_requests_are_accepted_at_their_level() {
        let (d, _) = device();
        // noAuthNoPriv: no time window, whatever boots and time say.
        let plain = request(None, b"noauth", SecurityLevel::NoAuthNoPriv, &ENGINE, 0, 0);
        assert_eq!(
            accepted(inbound(&d, &plain)),
            ("noauth".into(), SecurityLevel::NoAuthNoPriv, None)
        );
        let authonly = manager("authonly", Some(AUTH), None, &ENGINE);
        assert_eq!(
            accepted(inbound(&d, &from(&authonly, SecurityLevel::AuthNoPriv, 0))),
            ("authonly".into(), SecurityLevel::AuthNoPriv, None)
        );
        // A user with privacy keys may still send authNoPriv.
        let admin = manager("admin", Some(AUTH), Some(PRIV), &ENGINE);
        assert_eq!(
            accepted(inbound(&d, &from(&admin, SecurityLevel::AuthNoPriv, 0))),
            ("admin".into(), SecurityLevel::AuthNoPriv, None)
        );
        let (name, level, decrypted) =
            accepted(inbound(&d, &from(&admin, SecurityLevel::AuthPriv, 0)));
        assert_eq!((name.as_str(), level), ("admin", SecurityLevel::AuthPriv));
        let plain = decrypted.expect("the decrypted ScopedPDU");
        let scoped = decode_scoped_pdu(&plain).unwrap();
        assert_eq!(scoped.pdu, get_sys_name());
        assert_eq!(scoped.context_engine_id, ENGINE);
        assert_eq!(counters(&d), [0; 6], "nothing counted");
    }

    #[test]
    fn count_bumps_the_counter_the_standard_mib_serves() {
        let (d, _) = device();
        for failure in UsmFailure::ALL {
            let oid = Oid::new(&[1, 3, 6, 1, 6, 3, 15, 1, 1, failure.arc(), 0]);
            assert_eq!(count(failure, &d), report(failure.arc(), 1));
            assert_eq!(count(failure, &d), report(failure.arc(), 2));
            let cell = d.tree().get(oid.arcs()).unwrap();
            let mut state = d.lock_state();
            assert_eq!(
                d.read(cell, &mut state, d.now()),
                Value::Counter32(2),
                "{}",
                failure.name()
            );
        }
        assert_eq!(counters(&d), [2; 6]);
    }

    fn response() -> Pdu<'static> {
        Pdu {
            pdu_type: PduType::Response,
            varbinds: vec![VarBind {
                oid: Oid::new(snmp_proto::oids::SYS_NAME),
                value: Value::octets("lab"),
            }],
            ..get_sys_name()
        }
    }

    fn wrap(d: &Device, salts: &SaltSource, how: &Outbound<'_>, context: &[u8]) -> Vec<u8> {
        let (mut scratch, mut out) = (Vec::new(), vec![0xAA; 3]);
        wrap_outbound(d, salts, how, context, &response(), &mut scratch, &mut out);
        out
    }

    fn v3(datagram: &[u8]) -> V3Message<'_> {
        match decode_message(datagram).unwrap() {
            Message::V3(m) => m,
            Message::Community(_) => panic!("not v3"),
        }
    }

    #[test]
    fn wrap_outbound_encrypts_and_signs_as_this_engine_for_the_manager_to_check() {
        let (d, clock) = device();
        clock.advance(Duration::from_secs(42));
        let salts = SaltSource::new();
        let users = d.users();
        let how = Outbound {
            msg_id: 77,
            msg_max_size: 65507,
            level: SecurityLevel::AuthPriv,
            user: Some(users.get(b"admin").unwrap()),
            user_name: b"admin",
        };
        let out = wrap(&d, &salts, &how, b"ctx");
        let m = v3(&out);
        assert_eq!((m.msg_id, m.msg_max_size), (77, 65507));
        assert_eq!(m.msg_flags, FLAG_AUTH | FLAG_PRIV, "not reportable");
        assert_eq!(
            (m.usm.engine_id, m.usm.engine_boots, m.usm.engine_time),
            (&ENGINE[..], 1, 42)
        );
        assert_eq!(m.usm.user_name, b"admin");
        let admin = manager("admin", Some(AUTH), Some(PRIV), &ENGINE);
        assert!(authenticate(&admin, &out, &m));
        let scoped_bytes = decrypt(&admin, &m).unwrap();
        let scoped = decode_scoped_pdu(&scoped_bytes).unwrap();
        assert_eq!(
            (scoped.context_engine_id, scoped.context_name),
            (&ENGINE[..], &b"ctx"[..])
        );
        assert_eq!(scoped.pdu, response());
        // Another key does not verify it.
        let other = manager("admin", Some("otherpass1"), Some(PRIV), &ENGINE);
        assert!(!authenticate(&other, &out, &m));
        // Two answers never share a salt.
        let again = wrap(&d, &salts, &how, b"ctx");
        assert_ne!(v3(&again).usm.priv_params, m.usm.priv_params);
    }

    #[test]
    fn wrap_outbound_lowers_the_level_to_the_keys_and_echoes_unknown_users() {
        let (d, _) = device();
        let salts = SaltSource::new();
        let users = d.users();
        // authPriv asked for a user without privacy keys: authNoPriv, in clear.
        let how = Outbound {
            msg_id: 1,
            msg_max_size: 65507,
            level: SecurityLevel::AuthPriv,
            user: Some(users.get(b"authonly").unwrap()),
            user_name: b"authonly",
        };
        let out = wrap(&d, &salts, &how, b"");
        let m = v3(&out);
        assert_eq!(m.msg_flags, FLAG_AUTH);
        assert!(authenticate(
            &manager("authonly", Some(AUTH), None, &ENGINE),
            &out,
            &m
        ));
        let ScopedPduData::Plaintext(scoped) = &m.data else {
            panic!("encrypted without privacy keys")
        };
        assert_eq!(scoped.pdu, response());
        // A Report to a user this engine does not know: unauthenticated, the name echoed.
        let how = Outbound {
            msg_id: 2,
            msg_max_size: 65507,
            level: SecurityLevel::AuthNoPriv,
            user: None,
            user_name: b"nobody",
        };
        let out = wrap(&d, &salts, &how, b"");
        let m = v3(&out);
        assert_eq!(m.msg_flags, 0);
        assert_eq!(
            (m.usm.user_name, m.usm.auth_params, m.usm.engine_id),
            (&b"nobody"[..], &b""[..], &ENGINE[..])
        );
        assert!(matches!(m.data, ScopedPduData::Plaintext(_)));
    }

    #[test]
    fn salts_never_repeat_within_a_run() {
        let salts = SaltSource::new();
        let first = salts.next();
        assert_eq!(salts.next(), first.wrapping_add(1));
        assert_eq!(salts.next(), first.wrapping_add(2));
    }
}
