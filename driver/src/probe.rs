//! A diagnostic probe for SNMPv3 failures that snmp2 cannot tell apart.
//!
//! snmp2 hides Report PDUs and returns the same error for an unknown user, a wrong key, a
//! wrong privacy key and an agent locked at the maximum engineBoots. When that happens the
//! driver sends up to three messages of its own with an empty varbind list and reads the
//! usmStats OID in the agent's Report (RFC 3414 §3.2 checks, in this order: unknown user,
//! unsupported security level, wrong digest, time window, decryption). Those messages are
//! built, signed and read with `snmp_proto` (the protocol crate the agent uses too), while
//! the session itself stays on snmp2, so the two implementations check each other:
//! 1. discovery (engine ID, boots, time);
//! 2. the user at noAuthNoPriv (unknown user? unknown context?);
//! 3. the user at the configured level, signed with the configured authentication key (the
//!    key never leaves this host: only the HMAC is sent) and, for authPriv, encrypted by
//!    snmp2 with the configured privacy key, exactly as the session's requests are. A wrong
//!    digest then means the authentication key or protocol is wrong; a decryption error (or
//!    silence, as net-snmp does) means the authentication is right and the privacy key or
//!    protocol is wrong; a Response means the agent accepts this user with these keys (so
//!    a refusal of the session's request was about stale engine boots/time or engine ID).
//!    Because the encryption is a real one, the probe moves no usmStatsDecryptionErrors
//!    counter on an agent whose keys match.

use snmp_proto::usm::ExposeSecret;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use snmp_proto::report::{ReportReason, UsmFailure};
use snmp_proto::usm::protect::{authenticate, decrypt, protect, OutgoingMessage};
use snmp_proto::usm::{MasterKeyCache, Password, SecurityLevel, UsmUser};
use snmp_proto::{
    decode_message, decode_scoped_pdu, Message, Pdu, PduType, ScopedPduData, SECURITY_MODEL_USM,
};
use tokio::net::UdpSocket;
use tokio::time::timeout;

use crate::config::Config;

/// msgMaxSize of the probe's messages: the largest UDP payload over IPv4.
const MSG_MAX_SIZE: i32 = 65507;

/// What the probe learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// Discovery got no answer.
    NoAnswer,
    /// A usmStatsUnknownUserNames Report (RFC 3414 §3.2 step 4).
    UnknownUser,
    /// A usmStatsUnsupportedSecLevels Report (RFC 3414 §3.2 step 5): the user exists at
    /// another securityLevel.
    UnsupportedSecLevel,
    /// A usmStatsWrongDigests Report (RFC 3414 §3.2 step 6): wrong authentication key or protocol.
    WrongDigest,
    /// A usmStatsNotInTimeWindows Report (RFC 3414 §3.2 step 7), with the agent's engineBoots,
    /// as its Report gave it.
    NotInTimeWindow {
        /// msgAuthoritativeEngineBoots of the Report (2147483647 is the locked maximum).
        boots: i64,
    },
    /// The agent reported usmStatsDecryptionErrors, or (for authPriv) did not answer a
    /// correctly signed message: authentication is right, privacy is not.
    DecryptionError,
    /// An snmpUnknownContexts Report (RFC 3413 §3.2): no such contextName.
    UnknownContext,
    /// A Report with no varbind: the agent refused the message without saying which counter
    /// (RFC 3412 §7.1 step 3 puts one there), as some agents do.
    EmptyReport,
    /// The agent knows the user and did not complain about the security level.
    UserKnown,
    /// Anything else, described.
    Other(String),
}

impl Diagnosis {
    /// For messages: the Report's counter name (`usmStatsWrongDigests`, ...) or what happened.
    pub fn describe(&self) -> String {
        let counter = |reason: ReportReason| reason.name().to_string();
        match self {
            Diagnosis::NoAnswer => "no answer to engine discovery".into(),
            Diagnosis::UnknownUser => counter(ReportReason::Usm(UsmFailure::UnknownUserName)),
            Diagnosis::UnsupportedSecLevel => {
                counter(ReportReason::Usm(UsmFailure::UnsupportedSecLevel))
            }
            Diagnosis::WrongDigest => counter(ReportReason::Usm(UsmFailure::WrongDigest)),
            Diagnosis::NotInTimeWindow { .. } => {
                counter(ReportReason::Usm(UsmFailure::NotInTimeWindow))
            }
            Diagnosis::DecryptionError => counter(ReportReason::Usm(UsmFailure::DecryptionError)),
            Diagnosis::UnknownContext => counter(ReportReason::UnknownContext),
            Diagnosis::EmptyReport => "a Report with no varbind (no usmStats counter)".into(),
            Diagnosis::UserKnown => "the agent knows the user".into(),
            Diagnosis::Other(s) => s.clone(),
        }
    }
}

// ------------------------------------------------------------------------------------------
// The probe's messages, built and read by snmp-proto.
// ------------------------------------------------------------------------------------------

/// The authoritative engine a probe is addressed to: empty and zero for discovery, then what
/// discovery learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Engine<'a> {
    pub id: &'a [u8],
    pub boots: i32,
    pub time: i32,
}

impl Engine<'_> {
    /// What a discovery request carries (RFC 3414 §4).
    pub(crate) const UNKNOWN: Engine<'static> = Engine {
        id: &[],
        boots: 0,
        time: 0,
    };
}

/// A reportable GetRequest with an empty varbind list (request-id = `msg_id`) from `user_name`
/// in `context`, protected at `level` with `keys` (`None`: noAuthNoPriv). The agent runs its
/// USM checks on it and reports the first that fails; a GET of nothing changes nothing.
pub(crate) fn probe_message(
    msg_id: i32,
    engine: Engine<'_>,
    user_name: &[u8],
    context: &[u8],
    level: SecurityLevel,
    keys: Option<&UsmUser>,
) -> Vec<u8> {
    let how = OutgoingMessage {
        msg_id,
        msg_max_size: MSG_MAX_SIZE,
        reportable: true,
        level,
        user: keys,
        user_name,
        engine_id: engine.id,
        engine_boots: engine.boots,
        engine_time: engine.time,
        context_engine_id: engine.id,
        context_name: context,
        // The probe encrypts nothing itself (authPriv is snmp2's job): the salt is unused.
        salt: 0,
    };
    let get = Pdu {
        pdu_type: PduType::GetRequest,
        request_id: msg_id,
        error_status: 0,
        error_index: 0,
        varbinds: Vec::new(),
        trap_v1: None,
    };
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    protect(&mut out, &mut scratch, &how, &get);
    out
}

/// `cfg`'s user with its authentication key localized to `engine_id` (no privacy key: the
/// probe signs, snmp2 encrypts). Only the HMAC made with it ever leaves this host.
fn signing_keys(
    cfg: &Config,
    engine_id: &[u8],
    cache: &MasterKeyCache,
) -> Result<Option<UsmUser>, snmp_proto::usm::LocalizeError> {
    let Some(proto) = cfg.auth else {
        return Ok(None);
    };
    let password = Password::from(cfg.auth_key.expose_secret());
    UsmUser::localize(
        cfg.user.as_bytes(),
        Some((proto, &password)),
        None,
        engine_id,
        cache,
    )
    .map(Some)
}

/// The parts of an agent's answer the probe needs, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProbeAnswer {
    pub msg_id: i32,
    pub engine_id: Vec<u8>,
    pub boots: i32,
    pub time: i32,
    /// The PDU's type; `None` if the answer is encrypted.
    pub pdu_type: Option<PduType>,
    /// The first varbind's OID (a Report's counter).
    pub first_oid: Option<Vec<u32>>,
}

impl ProbeAnswer {
    fn engine(&self) -> Engine<'_> {
        Engine {
            id: &self.engine_id,
            boots: self.boots,
            time: self.time,
        }
    }
}

/// An SNMPv3 USM message, read by snmp-proto's decoder; `None` for anything else.
pub(crate) fn parse_answer(bytes: &[u8]) -> Option<ProbeAnswer> {
    let Ok(Message::V3(msg)) = decode_message(bytes) else {
        return None;
    };
    if msg.msg_security_model != SECURITY_MODEL_USM {
        return None;
    }
    let (pdu_type, first_oid) = match &msg.data {
        ScopedPduData::Plaintext(scoped) => (
            Some(scoped.pdu.pdu_type),
            scoped.pdu.varbinds.first().map(|vb| vb.oid.0.clone()),
        ),
        ScopedPduData::Encrypted(_) => (None, None),
    };
    Some(ProbeAnswer {
        msg_id: msg.msg_id,
        engine_id: msg.usm.engine_id.to_vec(),
        boots: msg.usm.engine_boots,
        time: msg.usm.engine_time,
        pdu_type,
        first_oid,
    })
}

fn classify(answer: &ProbeAnswer) -> Diagnosis {
    if answer.pdu_type != Some(PduType::Report) {
        return Diagnosis::UserKnown;
    }
    match &answer.first_oid {
        Some(oid) => classify_report(oid, answer.boots.into()),
        None => Diagnosis::EmptyReport,
    }
}

/// What a Report naming `oid` (and carrying the agent's engineBoots `boots`) says.
fn classify_report(oid: &[u32], boots: i64) -> Diagnosis {
    match ReportReason::from_oid(oid) {
        Some(ReportReason::Usm(UsmFailure::UnsupportedSecLevel)) => Diagnosis::UnsupportedSecLevel,
        Some(ReportReason::Usm(UsmFailure::NotInTimeWindow)) => {
            Diagnosis::NotInTimeWindow { boots }
        }
        Some(ReportReason::Usm(UsmFailure::UnknownUserName)) => Diagnosis::UnknownUser,
        Some(ReportReason::Usm(UsmFailure::WrongDigest)) => Diagnosis::WrongDigest,
        Some(ReportReason::Usm(UsmFailure::DecryptionError)) => Diagnosis::DecryptionError,
        Some(ReportReason::UnknownContext) => Diagnosis::UnknownContext,
        Some(other) => Diagnosis::Other(format!(
            "a Report naming {other} ({})",
            pdu_mibs::oid_string(oid)
        )),
        None => Diagnosis::Other(format!("a Report naming {}", pdu_mibs::oid_string(oid))),
    }
}

// ------------------------------------------------------------------------------------------
// The exchange.
// ------------------------------------------------------------------------------------------

/// The probe's socket toward the agent. Not connected, so that answers from the agent's
/// address but another UDP port (a NAT or multi-homed agent, quirk 28 in docs/QUIRKS.md) are
/// read too; datagrams from other addresses are skipped, and answers are paired with the
/// probe's messages by msgID.
struct ProbeSocket {
    socket: UdpSocket,
    agent: SocketAddr,
}

impl ProbeSocket {
    async fn send(&self, msg: &[u8]) -> std::io::Result<usize> {
        self.socket.send_to(msg, self.agent).await
    }

    /// The next datagram from the agent's IP address (any port).
    async fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let (n, from) = self.socket.recv_from(buf).await?;
            if from.ip() == self.agent.ip() {
                return Ok(n);
            }
        }
    }
}

async fn exchange(
    socket: &ProbeSocket,
    msg: &[u8],
    cfg: &Config,
    msg_id: i32,
) -> Option<ProbeAnswer> {
    exchange_raw(socket, msg, cfg, msg_id).await.map(|(a, _)| a)
}

/// As [`exchange`], with the answer's bytes (to decrypt an encrypted one).
async fn exchange_raw(
    socket: &ProbeSocket,
    msg: &[u8],
    cfg: &Config,
    msg_id: i32,
) -> Option<(ProbeAnswer, Vec<u8>)> {
    let mut buf = vec![0u8; 65536];
    for _ in 0..=cfg.retries {
        socket.send(msg).await.ok()?;
        let deadline = tokio::time::Instant::now() + cfg.timeout;
        loop {
            let Ok(received) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await
            else {
                break;
            };
            let n = received.ok()?;
            let Some(bytes) = buf.get(..n) else { continue };
            if let Some(a) = parse_answer(bytes) {
                if a.msg_id == msg_id {
                    return Some((a, bytes.to_vec()));
                }
            }
        }
    }
    None
}

/// Run the probe against `cfg`'s host and user. Master keys come from `keys`, so repeated
/// diagnoses with the same credentials hash each password once.
pub async fn diagnose(cfg: &Config, keys: &MasterKeyCache) -> Diagnosis {
    let run = async {
        let addr: SocketAddr = tokio::net::lookup_host((cfg.host.as_str(), cfg.port))
            .await
            .ok()?
            .next()?;
        let socket = match addr {
            SocketAddr::V4(_) => UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await.ok()?,
            SocketAddr::V6(_) => UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).await.ok()?,
        };
        let socket = ProbeSocket {
            socket,
            agent: addr,
        };
        Some(probe_on(&socket, cfg, keys).await)
    };
    let overall =
        cfg.timeout.saturating_mul(3 * (cfg.retries + 1)) + std::time::Duration::from_millis(100);
    match timeout(overall, run).await {
        Ok(Some(d)) => d,
        _ => Diagnosis::NoAnswer,
    }
}

async fn probe_on(socket: &ProbeSocket, cfg: &Config, keys: &MasterKeyCache) -> Diagnosis {
    let base = i32::try_from(std::process::id() & 0xffff).unwrap_or(1) << 12;
    let discovery = probe_message(
        base + 1,
        Engine::UNKNOWN,
        b"",
        b"",
        SecurityLevel::NoAuthNoPriv,
        None,
    );
    let Some(engine) = exchange(socket, &discovery, cfg, base + 1).await else {
        return Diagnosis::NoAnswer;
    };
    let user_probe = probe_message(
        base + 2,
        engine.engine(),
        cfg.user.as_bytes(),
        cfg.context.as_bytes(),
        SecurityLevel::NoAuthNoPriv,
        None,
    );
    if let Some(d @ (Diagnosis::UnknownUser | Diagnosis::UnknownContext)) =
        exchange(socket, &user_probe, cfg, base + 2)
            .await
            .map(|a| classify(&a))
    {
        return d;
    }
    if cfg.auth.is_none() {
        return Diagnosis::UserKnown;
    }
    if cfg.privacy.is_some() {
        return probe_auth_priv(socket, cfg, &engine, base + 3, keys).await;
    }
    let user = match signing_keys(cfg, &engine.engine_id, keys) {
        Ok(Some(user)) => user,
        Ok(None) => return Diagnosis::UserKnown,
        Err(e) => {
            return Diagnosis::Other(format!(
                "cannot localize the authentication key to the agent's engine ID: {e}"
            ))
        }
    };
    let signed = probe_message(
        base + 3,
        engine.engine(),
        cfg.user.as_bytes(),
        cfg.context.as_bytes(),
        SecurityLevel::AuthNoPriv,
        Some(&user),
    );
    match exchange(socket, &signed, cfg, base + 3).await {
        Some(a) => classify(&a),
        None => Diagnosis::Other("no answer to a correctly signed message".into()),
    }
}

/// Step 3 for authPriv: a GET with no varbinds, signed and encrypted by snmp2 with the
/// configured keys, exactly as the session would send it. An agent with the same keys
/// answers it (a Response, or the Report it would give the real request); a wrong digest
/// or time window is reported before decryption; a privacy key or protocol that does not
/// match gives a decryption error, or silence (net-snmp drops what it cannot decrypt).
/// A well-formed encryption means the probe itself never moves usmStatsDecryptionErrors
/// on an agent whose keys match.
async fn probe_auth_priv(
    socket: &ProbeSocket,
    cfg: &Config,
    engine: &ProbeAnswer,
    msg_id: i32,
    keys: &MasterKeyCache,
) -> Diagnosis {
    let security = match crate::session::usm_security(cfg) {
        Ok(s) => s,
        Err(e) => return Diagnosis::Other(format!("cannot build an encrypted probe: {e}")),
    };
    let security = match security.with_engine_id(&engine.engine_id) {
        Ok(s) => s.with_engine_boots_and_time(i64::from(engine.boots), i64::from(engine.time)),
        Err(e) => {
            return Diagnosis::Other(format!(
                "cannot localize the keys to the agent's engine ID: {e}"
            ))
        }
    };
    let request = match encrypted_get(cfg, engine.engine(), msg_id, &security) {
        Ok(r) => r,
        Err(e) => return Diagnosis::Other(format!("cannot build an encrypted probe: {e}")),
    };
    match exchange_raw(socket, &request, cfg, msg_id).await {
        // In clear: a Report (wrong digest, time window, decryption error, …).
        Some((a, _)) if a.pdu_type.is_some() => classify(&a),
        // Encrypted: the agent decrypted the probe, so it knows the user with these keys;
        // unless what it answered is a Report (an unknown context, …), that is all.
        Some((a, raw)) => encrypted_report(cfg, &a, &raw, keys).unwrap_or(Diagnosis::UserKnown),
        // Signed right but not understood: net-snmp drops a message it cannot decrypt.
        None => Diagnosis::DecryptionError,
    }
}

/// What an encrypted Report in `raw` (the datagram `answer` was read from) says, read with
/// snmp-proto and `cfg`'s keys; `None` when the answer is no Report, or cannot be
/// authenticated and decrypted with those keys.
///
/// (Not snmp2: its `Pdu::from_bytes_with_security` zeroes msgAuthenticationParameters in the
/// caller's buffer, through a shared reference, when it checks an HMAC.)
fn encrypted_report(
    cfg: &Config,
    answer: &ProbeAnswer,
    raw: &[u8],
    cache: &MasterKeyCache,
) -> Option<Diagnosis> {
    let auth_password = Password::from(cfg.auth_key.expose_secret());
    let priv_password = Password::from(cfg.priv_key.expose_secret());
    let user = UsmUser::localize(
        cfg.user.as_bytes(),
        Some((cfg.auth?, &auth_password)),
        Some((cfg.privacy?, &priv_password)),
        &answer.engine_id,
        cache,
    )
    .ok()?;
    let Ok(Message::V3(msg)) = decode_message(raw) else {
        return None;
    };
    if !authenticate(&user, raw, &msg) {
        return None;
    }
    let plaintext = decrypt(&user, &msg).ok()?;
    let scoped = decode_scoped_pdu(&plaintext).ok()?;
    if scoped.pdu.pdu_type != PduType::Report {
        return None;
    }
    Some(match scoped.pdu.varbinds.first() {
        Some(vb) => classify_report(vb.oid.arcs(), answer.boots.into()),
        None => Diagnosis::EmptyReport,
    })
}

/// An authPriv GET with no varbinds for `cfg`'s user, encrypted and signed by snmp2 with
/// `security`.
///
/// snmp2 encodes v3 messages only from a `Pdu` it parsed itself: snmp-proto builds the same
/// GET at noAuthNoPriv, snmp2 parses it (no key is derived for that level) and encodes it
/// again with the keys.
fn encrypted_get(
    cfg: &Config,
    engine: Engine<'_>,
    msg_id: i32,
    security: &snmp2::v3::Security,
) -> Result<Vec<u8>, snmp2::Error> {
    let plain = probe_message(
        msg_id,
        engine,
        cfg.user.as_bytes(),
        cfg.context.as_bytes(),
        SecurityLevel::NoAuthNoPriv,
        None,
    );
    let mut reader = snmp2::v3::Security::new(cfg.user.as_bytes(), b"unused-noauth")
        .with_auth(snmp2::v3::Auth::NoAuthNoPriv)
        .with_engine_id(engine.id)?
        .with_engine_boots_and_time(i64::from(engine.boots), i64::from(engine.time));
    let pdu = snmp2::Pdu::from_bytes_with_security(&plain, Some(&mut reader))?;
    pdu.to_bytes_with_security(Some(security))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthProtocol, PrivProtocol};
    use snmp_proto::usm::AuthKey;
    use snmp_proto::{Oid, V3Message, Value, VarBind, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE};

    const ENGINE: &[u8] = &[0x80, 0, 0x1f, 0x88, 4, 1, 2];

    fn engine() -> Engine<'static> {
        Engine {
            id: ENGINE,
            boots: 3,
            time: 1000,
        }
    }

    fn v3_config(auth: Option<AuthProtocol>, privacy: Option<PrivProtocol>) -> Config {
        let mut c =
            Config::new("127.0.0.1").v3("ops", auth, "ops-auth-key", privacy, "ops-priv-key");
        c.context = "ctx".into();
        c
    }

    fn v3(bytes: &[u8]) -> V3Message<'_> {
        match decode_message(bytes).expect("decodes") {
            Message::V3(m) => m,
            other => panic!("not SNMPv3: {other:?}"),
        }
    }

    /// A user whose key is derived by `AuthKey::from_password`, not through the probe's cache.
    fn independent_user(proto: AuthProtocol, password: &[u8], engine_id: &[u8]) -> UsmUser {
        UsmUser {
            name: b"ops".to_vec(),
            auth: Some(AuthKey::from_password(proto, password, engine_id).expect("localizes")),
            privacy: None,
        }
    }

    #[test]
    fn discovery_is_an_empty_unauthenticated_get() {
        let bytes = probe_message(
            7,
            Engine::UNKNOWN,
            b"",
            b"",
            SecurityLevel::NoAuthNoPriv,
            None,
        );
        let m = v3(&bytes);
        assert_eq!(
            (m.msg_id, m.msg_max_size, m.msg_flags, m.msg_security_model),
            (7, MSG_MAX_SIZE, FLAG_REPORTABLE, SECURITY_MODEL_USM)
        );
        assert_eq!(m.usm, Default::default());
        let ScopedPduData::Plaintext(scoped) = &m.data else {
            panic!("encrypted discovery")
        };
        assert_eq!(scoped.pdu.pdu_type, PduType::GetRequest);
        assert_eq!(scoped.pdu.request_id, 7);
        assert!(scoped.pdu.varbinds.is_empty());
        assert!(scoped.context_engine_id.is_empty() && scoped.context_name.is_empty());
    }

    #[test]
    fn signed_probe_verifies_with_independently_localized_keys() {
        let cache = MasterKeyCache::default();
        for proto in AuthProtocol::ALL {
            let cfg = v3_config(Some(proto), None);
            let keys = signing_keys(&cfg, ENGINE, &cache)
                .expect("localizes")
                .expect("an auth key");
            let bytes = probe_message(
                9,
                engine(),
                b"ops",
                b"ctx",
                SecurityLevel::AuthNoPriv,
                Some(&keys),
            );
            let m = v3(&bytes);
            assert_eq!(m.msg_flags, FLAG_AUTH | FLAG_REPORTABLE, "{proto}");
            assert_eq!(
                (m.usm.engine_id, m.usm.engine_boots, m.usm.engine_time),
                (ENGINE, 3, 1000)
            );
            assert_eq!(m.usm.user_name, b"ops");
            assert_eq!(m.usm.auth_params.len(), proto.mac_len(), "{proto}");
            assert!(m.usm.priv_params.is_empty());
            let right = independent_user(proto, b"ops-auth-key", ENGINE);
            assert!(authenticate(&right, &bytes, &m), "{proto}");
            let wrong_key = independent_user(proto, b"not-the-auth-key", ENGINE);
            assert!(!authenticate(&wrong_key, &bytes, &m), "{proto}");
            let other_engine = independent_user(proto, b"ops-auth-key", &[0x80, 0, 0, 0, 9]);
            assert!(!authenticate(&other_engine, &bytes, &m), "{proto}");
            let ScopedPduData::Plaintext(scoped) = &m.data else {
                panic!("encrypted")
            };
            assert_eq!(
                (scoped.context_engine_id, scoped.context_name),
                (ENGINE, &b"ctx"[..])
            );
            assert!(scoped.pdu.varbinds.is_empty());
        }
    }

    /// The session's own stack, given the same configured key, verifies the probe's HMAC:
    /// snmp-proto and snmp2 agree on what the key signs.
    #[test]
    fn snmp2_verifies_the_signed_probe() {
        for proto in [AuthProtocol::Md5, AuthProtocol::Sha1, AuthProtocol::Sha512] {
            let cfg = v3_config(Some(proto), None);
            let keys = signing_keys(&cfg, ENGINE, &MasterKeyCache::default())
                .expect("localizes")
                .expect("an auth key");
            let bytes = probe_message(
                9,
                engine(),
                b"ops",
                b"ctx",
                SecurityLevel::AuthNoPriv,
                Some(&keys),
            );
            let security = |c: &Config| {
                crate::session::usm_security(c)
                    .expect("snmp2 settings")
                    .with_engine_id(ENGINE)
                    .expect("snmp2 localizes")
                    .with_engine_boots_and_time(3, 1000)
            };
            // Copies: snmp2 zeroes the MAC in the buffer it is given.
            let copy = bytes.clone();
            let mut same = security(&cfg);
            let pdu = snmp2::Pdu::from_bytes_with_security(&copy, Some(&mut same))
                .expect("snmp2 verifies the HMAC");
            assert_eq!(pdu.message_type, snmp2::MessageType::GetRequest);
            assert_eq!(pdu.req_id, 9);
            assert_eq!(pdu.varbinds.clone().count(), 0);
            let mut wrong_cfg = cfg.clone();
            wrong_cfg.auth_key = "not-the-auth-key".into();
            let mut wrong = security(&wrong_cfg);
            let copy = bytes.clone();
            assert!(
                matches!(
                    snmp2::Pdu::from_bytes_with_security(&copy, Some(&mut wrong)),
                    Err(snmp2::Error::AuthFailure(
                        snmp2::v3::AuthErrorKind::SignatureMismatch
                    ))
                ),
                "{proto}"
            );
        }
    }

    #[test]
    fn a_short_password_is_a_described_failure_not_a_panic() {
        let mut cfg = v3_config(Some(AuthProtocol::Sha1), None);
        cfg.auth_key = "short".into();
        let e = signing_keys(&cfg, ENGINE, &MasterKeyCache::default())
            .expect_err("RFC 3414 §11.2 minimum");
        let text = e.to_string();
        assert!(text.contains("at least 8"), "{text}");
        assert!(!text.contains("short"), "the password leaked: {text}");
        assert!(
            signing_keys(&v3_config(None, None), ENGINE, &MasterKeyCache::default())
                .expect("no auth")
                .is_none()
        );
    }

    /// An agent's answer, built with snmp-proto as pdusim builds its own.
    fn answer(pdu_type: PduType, varbinds: Vec<VarBind<'static>>, boots: i32) -> Vec<u8> {
        let how = OutgoingMessage {
            msg_id: 77,
            msg_max_size: 1500,
            reportable: false,
            level: SecurityLevel::NoAuthNoPriv,
            user: None,
            user_name: b"ops",
            engine_id: ENGINE,
            engine_boots: boots,
            engine_time: 1234,
            context_engine_id: ENGINE,
            context_name: b"",
            salt: 0,
        };
        let pdu = Pdu {
            pdu_type,
            request_id: 77,
            error_status: 0,
            error_index: 0,
            varbinds,
            trap_v1: None,
        };
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        protect(&mut out, &mut scratch, &how, &pdu);
        out
    }

    fn report(reason: ReportReason, boots: i32) -> Vec<u8> {
        answer(PduType::Report, vec![reason.varbind(1)], boots)
    }

    #[test]
    fn reads_reports() {
        let cases = [
            (
                ReportReason::Usm(UsmFailure::UnknownUserName),
                Diagnosis::UnknownUser,
            ),
            (
                ReportReason::Usm(UsmFailure::WrongDigest),
                Diagnosis::WrongDigest,
            ),
            (
                ReportReason::Usm(UsmFailure::UnsupportedSecLevel),
                Diagnosis::UnsupportedSecLevel,
            ),
            (
                ReportReason::Usm(UsmFailure::NotInTimeWindow),
                Diagnosis::NotInTimeWindow { boots: 5 },
            ),
            (
                ReportReason::Usm(UsmFailure::DecryptionError),
                Diagnosis::DecryptionError,
            ),
            (ReportReason::UnknownContext, Diagnosis::UnknownContext),
        ];
        for (reason, expected) in cases {
            let a = parse_answer(&report(reason, 5)).expect("parses");
            assert_eq!((a.msg_id, a.boots, a.time), (77, 5, 1234));
            assert_eq!(a.engine_id, ENGINE);
            assert_eq!(a.pdu_type, Some(PduType::Report));
            assert_eq!(classify(&a), expected, "{reason}");
            assert_eq!(expected.describe(), reason.name());
        }
        let locked = parse_answer(&report(
            ReportReason::Usm(UsmFailure::NotInTimeWindow),
            i32::MAX,
        ))
        .expect("parses");
        assert_eq!(
            classify(&locked),
            Diagnosis::NotInTimeWindow {
                boots: i64::from(i32::MAX)
            }
        );
        // Counters the probe does not act on are named.
        let a = parse_answer(&report(ReportReason::Usm(UsmFailure::UnknownEngineId), 5))
            .expect("parses");
        assert!(
            matches!(classify(&a), Diagnosis::Other(ref m) if m.contains("usmStatsUnknownEngineIDs")),
            "{:?}",
            classify(&a)
        );
        // The counter without its instance is not a Report counter.
        let subtree = VarBind {
            oid: Oid::new(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 3]),
            value: Value::Counter32(1),
        };
        let a = parse_answer(&answer(PduType::Report, vec![subtree], 5)).expect("parses");
        assert_eq!(
            classify(&a),
            Diagnosis::Other("a Report naming .1.3.6.1.6.3.15.1.1.3".into())
        );
        let a = parse_answer(&answer(PduType::Report, Vec::new(), 5)).expect("parses");
        assert_eq!(classify(&a), Diagnosis::EmptyReport);
        let a = parse_answer(&answer(PduType::Response, Vec::new(), 5)).expect("parses");
        assert_eq!(classify(&a), Diagnosis::UserKnown);
    }

    #[test]
    fn only_usm_v3_answers_are_read() {
        let mut v2c = Vec::new();
        snmp_proto::encode_community_message(
            &mut v2c,
            snmp_proto::Version::V2c,
            b"public",
            &Pdu {
                pdu_type: PduType::Response,
                request_id: 77,
                error_status: 0,
                error_index: 0,
                varbinds: Vec::new(),
                trap_v1: None,
            },
        );
        assert!(matches!(decode_message(&v2c), Ok(Message::Community(_))));
        assert_eq!(parse_answer(&v2c), None);
        assert_eq!(parse_answer(&[]), None);
    }

    #[test]
    fn garbage_never_panics() {
        let good = report(ReportReason::Usm(UsmFailure::UnknownUserName), 5);
        for cut in 0..good.len() {
            let _ = parse_answer(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let _ = parse_answer(&bad);
        }
        assert_eq!(parse_answer(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }

    /// snmp2 encrypts the probe (as the session would); snmp-proto, with keys localized on
    /// its own, authenticates and decrypts it back into the GET.
    #[test]
    fn encrypted_probe_is_a_get_that_both_stacks_can_read() {
        let snmp2_privs = [
            PrivProtocol::Des,
            PrivProtocol::Aes128,
            PrivProtocol::Aes192,
            PrivProtocol::Aes256,
            PrivProtocol::Aes192Cisco,
            PrivProtocol::Aes256Cisco,
        ];
        let cache = MasterKeyCache::default();
        for privacy in snmp2_privs {
            let cfg = v3_config(Some(AuthProtocol::Sha1), Some(privacy));
            let security = crate::session::usm_security(&cfg)
                .expect("snmp2 settings")
                .with_engine_id(ENGINE)
                .expect("keys localize")
                .with_engine_boots_and_time(3, 1000);
            let msg = encrypted_get(&cfg, engine(), 4242, &security).expect("builds");
            let a = parse_answer(&msg).expect("well-formed v3");
            assert_eq!(
                (a.msg_id, a.boots, a.time, a.pdu_type),
                (4242, 3, 1000, None)
            );
            let mut reader = security.clone();
            // A copy: snmp2 zeroes the MAC in the buffer it is given.
            let copy = msg.clone();
            let pdu =
                snmp2::Pdu::from_bytes_with_security(&copy, Some(&mut reader)).expect("decrypts");
            assert_eq!(pdu.message_type, snmp2::MessageType::GetRequest);
            assert_eq!(pdu.req_id, 4242);
            assert_eq!(pdu.varbinds.clone().count(), 0);

            let user = UsmUser::localize(
                b"ops",
                Some((AuthProtocol::Sha1, &Password::from("ops-auth-key"))),
                Some((privacy, &Password::from("ops-priv-key"))),
                ENGINE,
                &cache,
            )
            .expect("localizes");
            let m = v3(&msg);
            assert_eq!(m.msg_flags & (FLAG_AUTH | FLAG_PRIV), FLAG_AUTH | FLAG_PRIV);
            assert!(authenticate(&user, &msg, &m), "{privacy}");
            let plain = decrypt(&user, &m).expect("decrypts");
            let scoped = decode_scoped_pdu(&plain).expect("a ScopedPDU");
            assert_eq!(scoped.pdu.pdu_type, PduType::GetRequest, "{privacy}");
            assert_eq!(scoped.pdu.request_id, 4242);
            assert!(scoped.pdu.varbinds.is_empty());
            assert_eq!(scoped.context_engine_id, ENGINE);
            assert_eq!(scoped.context_name, b"ctx");
        }
    }

    /// An authPriv answer protected by snmp-proto with the user's keys, as an agent with
    /// the same keys sends it.
    fn encrypted_answer(
        cfg: &Config,
        pdu_type: PduType,
        varbinds: Vec<VarBind<'static>>,
    ) -> Vec<u8> {
        let auth_password = Password::from(cfg.auth_key.expose_secret());
        let priv_password = Password::from(cfg.priv_key.expose_secret());
        let user = UsmUser::localize(
            b"ops",
            cfg.auth.map(|a| (a, &auth_password)),
            cfg.privacy.map(|p| (p, &priv_password)),
            ENGINE,
            &MasterKeyCache::default(),
        )
        .expect("localizes");
        let how = OutgoingMessage {
            msg_id: 77,
            msg_max_size: 1500,
            reportable: false,
            level: SecurityLevel::AuthPriv,
            user: Some(&user),
            user_name: b"ops",
            engine_id: ENGINE,
            engine_boots: 3,
            engine_time: 1000,
            context_engine_id: ENGINE,
            context_name: b"ctx",
            salt: 0x1234,
        };
        let pdu = Pdu {
            pdu_type,
            request_id: 77,
            error_status: 0,
            error_index: 0,
            varbinds,
            trap_v1: None,
        };
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        protect(&mut out, &mut scratch, &how, &pdu);
        out
    }

    #[test]
    fn encrypted_reports_are_read_with_the_configured_keys() {
        let cfg = v3_config(Some(AuthProtocol::Sha256), Some(PrivProtocol::Aes256));
        let cache = MasterKeyCache::default();
        let unknown_context = vec![ReportReason::UnknownContext.varbind(1)];
        let raw = encrypted_answer(&cfg, PduType::Report, unknown_context.clone());
        let a = parse_answer(&raw).expect("parses");
        assert_eq!(a.pdu_type, None, "encrypted");
        assert_eq!(
            encrypted_report(&cfg, &a, &raw, &cache),
            Some(Diagnosis::UnknownContext)
        );
        let raw = encrypted_answer(&cfg, PduType::Report, Vec::new());
        assert_eq!(
            encrypted_report(&cfg, &a, &raw, &cache),
            Some(Diagnosis::EmptyReport)
        );
        // A Response is no Report: the caller concludes the user is known.
        let raw = encrypted_answer(&cfg, PduType::Response, Vec::new());
        assert_eq!(encrypted_report(&cfg, &a, &raw, &cache), None);
        // Keys that do not match the answer's: not read (and nothing panics).
        let raw = encrypted_answer(&cfg, PduType::Report, unknown_context);
        let mut other = cfg.clone();
        other.priv_key = "another-priv-key".into();
        assert_eq!(encrypted_report(&other, &a, &raw, &cache), None);
        other = cfg.clone();
        other.auth_key = "another-auth-key".into();
        assert_eq!(encrypted_report(&other, &a, &raw, &cache), None);
    }

    /// A minimal agent on loopback: discovery gets the engine, the unauthenticated probe an
    /// unsupportedSecLevel Report, the signed probe a Response if its HMAC verifies under
    /// `password`, else a wrongDigest Report.
    async fn fake_agent(
        password: &'static [u8],
    ) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = socket.local_addr().expect("address");
        let user = independent_user(AuthProtocol::Sha256, password, ENGINE);
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                let bytes = &buf[..n];
                let Ok(Message::V3(m)) = decode_message(bytes) else {
                    continue;
                };
                let ScopedPduData::Plaintext(scoped) = &m.data else {
                    continue;
                };
                let (pdu_type, varbinds) = if m.usm.engine_id.is_empty() {
                    let r = ReportReason::Usm(UsmFailure::UnknownEngineId);
                    (PduType::Report, vec![r.varbind(1)])
                } else if m.msg_flags & FLAG_AUTH == 0 {
                    let r = ReportReason::Usm(UsmFailure::UnsupportedSecLevel);
                    (PduType::Report, vec![r.varbind(1)])
                } else if authenticate(&user, bytes, &m) {
                    (PduType::Response, Vec::new())
                } else {
                    let r = ReportReason::Usm(UsmFailure::WrongDigest);
                    (PduType::Report, vec![r.varbind(1)])
                };
                let how = OutgoingMessage {
                    msg_id: m.msg_id,
                    msg_max_size: 1500,
                    reportable: false,
                    level: SecurityLevel::NoAuthNoPriv,
                    user: None,
                    user_name: m.usm.user_name,
                    engine_id: ENGINE,
                    engine_boots: 3,
                    engine_time: 1000,
                    context_engine_id: ENGINE,
                    context_name: scoped.context_name,
                    salt: 0,
                };
                let pdu = Pdu {
                    pdu_type,
                    request_id: scoped.pdu.request_id,
                    error_status: 0,
                    error_index: 0,
                    varbinds,
                    trap_v1: None,
                };
                let (mut out, mut scratch) = (Vec::new(), Vec::new());
                protect(&mut out, &mut scratch, &how, &pdu);
                let _ = socket.send_to(&out, from).await;
            }
        });
        (addr, task)
    }

    #[tokio::test]
    async fn diagnose_tells_a_wrong_key_from_a_right_one() {
        let (addr, agent) = fake_agent(b"the-right-key").await;
        let mut cfg = v3_config(Some(AuthProtocol::Sha256), None);
        cfg.port = addr.port();
        cfg.timeout = std::time::Duration::from_millis(500);
        cfg.retries = 0;
        let keys = MasterKeyCache::default();
        cfg.auth_key = "the-right-key".into();
        assert_eq!(diagnose(&cfg, &keys).await, Diagnosis::UserKnown);
        cfg.auth_key = "the-wrong-key".into();
        assert_eq!(diagnose(&cfg, &keys).await, Diagnosis::WrongDigest);
        agent.abort();
        // Nobody there any more: no answer to discovery.
        let _ = agent.await;
        assert_eq!(diagnose(&cfg, &keys).await, Diagnosis::NoAnswer);
    }
}
