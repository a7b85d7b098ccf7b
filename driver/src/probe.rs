//! A diagnostic probe for SNMPv3 failures that snmp2 cannot tell apart.
//!
//! snmp2 hides Report PDUs and returns the same error for an unknown user, a wrong key, a
//! wrong privacy key and an agent locked at the maximum engineBoots. When that happens the
//! driver sends up to three hand-built messages with an empty varbind list and reads the
//! usmStats OID in the agent's Report (RFC 3414 §3.2 checks, in this order: unknown user,
//! unsupported security level, wrong digest, time window, decryption):
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

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::UdpSocket;
use tokio::time::timeout;

use crate::config::{AuthProtocol, Config, PrivProtocol};

const USM_STATS: [u32; 9] = [1, 3, 6, 1, 6, 3, 15, 1, 1];
const SNMP_UNKNOWN_CONTEXTS: [u32; 10] = [1, 3, 6, 1, 6, 3, 12, 1, 5, 0];

const FLAG_AUTH: u8 = 0x01;
const FLAG_PRIV: u8 = 0x02;
const FLAG_REPORTABLE: u8 = 0x04;

/// What the probe learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// Discovery got no answer.
    NoAnswer,
    UnknownUser,
    UnsupportedSecLevel,
    WrongDigest,
    /// With the agent's engineBoots, as its Report gave it.
    NotInTimeWindow {
        boots: i64,
    },
    /// The agent reported usmStatsDecryptionErrors, or (for authPriv) did not answer a
    /// correctly signed message: authentication is right, privacy is not.
    DecryptionError,
    UnknownContext,
    /// The agent knows the user and did not complain about the security level.
    UserKnown,
    /// Anything else, described.
    Other(String),
}

impl Diagnosis {
    pub fn describe(&self) -> String {
        match self {
            Diagnosis::NoAnswer => "no answer to engine discovery".into(),
            Diagnosis::UnknownUser => "usmStatsUnknownUserNames".into(),
            Diagnosis::UnsupportedSecLevel => "usmStatsUnsupportedSecLevels".into(),
            Diagnosis::WrongDigest => "usmStatsWrongDigests".into(),
            Diagnosis::NotInTimeWindow { .. } => "usmStatsNotInTimeWindows".into(),
            Diagnosis::DecryptionError => "usmStatsDecryptionErrors".into(),
            Diagnosis::UnknownContext => "snmpUnknownContexts".into(),
            Diagnosis::UserKnown => "the agent knows the user".into(),
            Diagnosis::Other(s) => s.clone(),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Minimal BER: just what a v3 message with an empty varbind list needs.
// ------------------------------------------------------------------------------------------

pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

pub(crate) fn integer(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(0x02, &bytes[start..])
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// The USM fields a probe message carries.
pub(crate) struct ProbeMessage<'a> {
    pub msg_id: i32,
    pub flags: u8,
    pub engine_id: &'a [u8],
    pub boots: i64,
    pub time: i64,
    pub user: &'a [u8],
    pub auth_len: usize,
    pub context: &'a [u8],
}

impl ProbeMessage<'_> {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let header = sequence(&[
            integer(self.msg_id.into()),
            integer(65507),
            octets(&[self.flags]),
            integer(3),
        ]);
        let priv_params: &[u8] = if self.flags & FLAG_PRIV != 0 {
            &[0; 8]
        } else {
            &[]
        };
        let usm = sequence(&[
            octets(self.engine_id),
            integer(self.boots),
            integer(self.time),
            octets(self.user),
            octets(&vec![0; self.auth_len]),
            octets(priv_params),
        ]);
        let pdu = tlv(
            0xa0,
            &[
                integer(self.msg_id.into()),
                integer(0),
                integer(0),
                sequence(&[]),
            ]
            .concat(),
        );
        let scoped = sequence(&[octets(self.engine_id), octets(self.context), pdu]);
        let data = if self.flags & FLAG_PRIV != 0 {
            // Never decrypted: the agent checks the digest first. 16 bytes of "ciphertext".
            octets(&[0; 16])
        } else {
            scoped
        };
        sequence(&[integer(3), header, octets(&usm), data])
    }
}

/// A BER reader over untrusted bytes: every access is checked, nothing panics.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    fn any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let (len_bytes, after) = (rest.get(..n)?, rest.get(n..)?);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let content = rest.get(..len)?;
        self.data = rest.get(len..)?;
        Some((tag, content))
    }

    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.any()? {
            (t, c) if t == tag => Some(c),
            _ => None,
        }
    }

    fn integer(&mut self) -> Option<i64> {
        let c = self.expect(0x02)?;
        if c.is_empty() || c.len() > 8 {
            return None;
        }
        let init: i64 = if c.first()? & 0x80 != 0 { -1 } else { 0 };
        Some(c.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
    }
}

fn decode_oid(c: &[u8]) -> Option<Vec<u32>> {
    let mut arcs = Vec::new();
    let mut acc: u32 = 0;
    for (i, &b) in c.iter().enumerate() {
        acc = acc.checked_mul(128)?.checked_add(u32::from(b & 0x7f))?;
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        } else if i + 1 == c.len() {
            return None;
        }
    }
    Some(arcs)
}

/// The parts of an agent's answer the probe needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProbeAnswer {
    pub msg_id: i64,
    pub engine_id: Vec<u8>,
    pub boots: i64,
    pub time: i64,
    /// PDU tag: 0xa2 Response, 0xa8 Report; `None` if encrypted.
    pub pdu_tag: Option<u8>,
    pub first_oid: Option<Vec<u32>>,
}

pub(crate) fn parse_answer(bytes: &[u8]) -> Option<ProbeAnswer> {
    let mut top = Reader::new(Reader::new(bytes).expect(0x30)?);
    if top.integer()? != 3 {
        return None;
    }
    let mut header = Reader::new(top.expect(0x30)?);
    let msg_id = header.integer()?;
    let _max = header.integer()?;
    let flags = *header.expect(0x04)?.first()?;
    let mut usm = Reader::new(Reader::new(top.expect(0x04)?).expect(0x30)?);
    let engine_id = usm.expect(0x04)?.to_vec();
    let boots = usm.integer()?;
    let time = usm.integer()?;
    let mut answer = ProbeAnswer {
        msg_id,
        engine_id,
        boots,
        time,
        pdu_tag: None,
        first_oid: None,
    };
    if flags & FLAG_PRIV != 0 {
        return Some(answer);
    }
    let mut scoped = Reader::new(top.expect(0x30)?);
    let _ctx_engine = scoped.expect(0x04)?;
    let _ctx_name = scoped.expect(0x04)?;
    let (tag, pdu) = scoped.any()?;
    answer.pdu_tag = Some(tag);
    let mut pdu = Reader::new(pdu);
    let _req = pdu.integer()?;
    let _status = pdu.integer()?;
    let _index = pdu.integer()?;
    let mut vbs = Reader::new(pdu.expect(0x30)?);
    if let Some(vb) = vbs.expect(0x30) {
        answer.first_oid = Reader::new(vb).expect(0x06).and_then(decode_oid);
    }
    Some(answer)
}

fn classify(answer: &ProbeAnswer) -> Diagnosis {
    let Some(oid) = &answer.first_oid else {
        return if answer.pdu_tag == Some(0xa8) {
            Diagnosis::Other("a Report without varbinds".into())
        } else {
            Diagnosis::UserKnown
        };
    };
    if answer.pdu_tag != Some(0xa8) {
        return Diagnosis::UserKnown;
    }
    classify_report(oid, answer.boots)
}

/// What a Report naming `oid` (and carrying the agent's engineBoots `boots`) says.
fn classify_report(oid: &[u32], boots: i64) -> Diagnosis {
    if oid == SNMP_UNKNOWN_CONTEXTS {
        return Diagnosis::UnknownContext;
    }
    match oid.strip_prefix(&USM_STATS[..]) {
        Some([1, ..]) => Diagnosis::UnsupportedSecLevel,
        Some([2, ..]) => Diagnosis::NotInTimeWindow { boots },
        Some([3, ..]) => Diagnosis::UnknownUser,
        Some([5, ..]) => Diagnosis::WrongDigest,
        Some([6, ..]) => Diagnosis::DecryptionError,
        _ => Diagnosis::Other(format!("a Report naming {}", pdu_mibs::oid_string(oid))),
    }
}

async fn exchange(
    socket: &UdpSocket,
    msg: &[u8],
    cfg: &Config,
    msg_id: i32,
) -> Option<ProbeAnswer> {
    exchange_raw(socket, msg, cfg, msg_id).await.map(|(a, _)| a)
}

/// As [`exchange`], with the answer's bytes (to decrypt an encrypted one).
async fn exchange_raw(
    socket: &UdpSocket,
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
                if a.msg_id == i64::from(msg_id) {
                    return Some((a, bytes.to_vec()));
                }
            }
        }
    }
    None
}

/// Run the probe against `cfg`'s host and user.
pub async fn diagnose(cfg: &Config) -> Diagnosis {
    let run = async {
        let addr: SocketAddr = tokio::net::lookup_host((cfg.host.as_str(), cfg.port))
            .await
            .ok()?
            .next()?;
        let socket = match addr {
            SocketAddr::V4(_) => UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await.ok()?,
            SocketAddr::V6(_) => UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).await.ok()?,
        };
        socket.connect(addr).await.ok()?;
        Some(probe_on(&socket, cfg).await)
    };
    let overall =
        cfg.timeout.saturating_mul(3 * (cfg.retries + 1)) + std::time::Duration::from_millis(100);
    match timeout(overall, run).await {
        Ok(Some(d)) => d,
        _ => Diagnosis::NoAnswer,
    }
}

async fn probe_on(socket: &UdpSocket, cfg: &Config) -> Diagnosis {
    let base = i32::try_from(std::process::id() & 0xffff).unwrap_or(1) << 12;
    let discovery = ProbeMessage {
        msg_id: base + 1,
        flags: FLAG_REPORTABLE,
        engine_id: &[],
        boots: 0,
        time: 0,
        user: &[],
        auth_len: 0,
        context: &[],
    };
    let Some(engine) = exchange(socket, &discovery.encode(), cfg, base + 1).await else {
        return Diagnosis::NoAnswer;
    };
    let user_probe = ProbeMessage {
        msg_id: base + 2,
        flags: FLAG_REPORTABLE,
        engine_id: &engine.engine_id,
        boots: engine.boots,
        time: engine.time,
        user: cfg.user.as_bytes(),
        auth_len: 0,
        context: cfg.context.as_bytes(),
    };
    if let Some(d @ (Diagnosis::UnknownUser | Diagnosis::UnknownContext)) =
        exchange(socket, &user_probe.encode(), cfg, base + 2)
            .await
            .map(|a| classify(&a))
    {
        return d;
    }
    if cfg.auth == AuthProtocol::None {
        return Diagnosis::UserKnown;
    }
    if cfg.privacy != PrivProtocol::None {
        return probe_auth_priv(socket, cfg, &engine, base + 3).await;
    }
    let level_probe = ProbeMessage {
        msg_id: base + 3,
        flags: FLAG_REPORTABLE | FLAG_AUTH,
        engine_id: &engine.engine_id,
        boots: engine.boots,
        time: engine.time,
        user: cfg.user.as_bytes(),
        auth_len: cfg.auth.digest_len(),
        context: cfg.context.as_bytes(),
    };
    let signed = level_probe.encode_signed(cfg.auth, cfg.auth_key.expose().as_bytes());
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
    socket: &UdpSocket,
    cfg: &Config,
    engine: &ProbeAnswer,
    msg_id: i32,
) -> Diagnosis {
    let mut security = match crate::session::usm_security(cfg).with_engine_id(&engine.engine_id) {
        Ok(s) => s.with_engine_boots_and_time(engine.boots, engine.time),
        Err(e) => {
            return Diagnosis::Other(format!(
                "cannot localize the keys to the agent's engine ID: {e}"
            ))
        }
    };
    let request = match encrypted_get(
        cfg,
        &engine.engine_id,
        engine.boots,
        engine.time,
        msg_id,
        &security,
    ) {
        Ok(r) => r,
        Err(e) => return Diagnosis::Other(format!("cannot build an encrypted probe: {e}")),
    };
    match exchange_raw(socket, &request, cfg, msg_id).await {
        // In clear: a Report (wrong digest, time window, decryption error, …).
        Some((a, _)) if a.pdu_tag.is_some() => classify(&a),
        // Encrypted with our keys: the agent decrypted the probe; read what it answered.
        Some((a, raw)) => match snmp2::Pdu::from_bytes_with_security(&raw, Some(&mut security)) {
            Ok(pdu) if pdu.message_type == snmp2::MessageType::Report => {
                let first = pdu.varbinds.clone().next().and_then(|(oid, _)| {
                    oid.iter().and_then(|arcs| {
                        arcs.map(|x| u32::try_from(x).ok())
                            .collect::<Option<Vec<u32>>>()
                    })
                });
                match first {
                    Some(oid) => classify_report(&oid, a.boots),
                    None => Diagnosis::Other("an encrypted Report without varbinds".into()),
                }
            }
            _ => Diagnosis::UserKnown,
        },
        // Signed right but not understood: net-snmp drops a message it cannot decrypt.
        None => Diagnosis::DecryptionError,
    }
}

/// An authPriv GET with no varbinds for `cfg`'s user, built by snmp2 with `security`.
///
/// snmp2 encodes v3 messages only from a `Pdu` it parsed itself: parse the same GET at
/// noAuthNoPriv first (no key is derived for that level), then encode it with the keys.
fn encrypted_get(
    cfg: &Config,
    engine_id: &[u8],
    boots: i64,
    time: i64,
    msg_id: i32,
    security: &snmp2::v3::Security,
) -> Result<Vec<u8>, snmp2::Error> {
    let plain = ProbeMessage {
        msg_id,
        flags: FLAG_REPORTABLE,
        engine_id,
        boots,
        time,
        user: cfg.user.as_bytes(),
        auth_len: 0,
        context: cfg.context.as_bytes(),
    }
    .encode();
    let mut reader = snmp2::v3::Security::new(cfg.user.as_bytes(), b"unused-noauth")
        .with_auth(snmp2::v3::Auth::NoAuthNoPriv)
        .with_engine_id(engine_id)?
        .with_engine_boots_and_time(boots, time);
    let pdu = snmp2::Pdu::from_bytes_with_security(&plain, Some(&mut reader))?;
    pdu.to_bytes_with_security(Some(security))
}

// ------------------------------------------------------------------------------------------
// USM authentication (RFC 3414 §6-7 and A.2, RFC 7860), for the signed probe only.
// ------------------------------------------------------------------------------------------

/// RFC 3414 A.2: hash a megabyte of the repeated password, then localize to the engine.
fn localized_key<D: hmac::digest::Digest>(password: &[u8], engine_id: &[u8]) -> Vec<u8> {
    let mut h = D::new();
    if !password.is_empty() {
        let mut block = [0u8; 64];
        let mut at = 0usize;
        for _ in 0..(1_048_576 / 64) {
            for b in &mut block {
                *b = password[at % password.len()];
                at += 1;
            }
            h.update(block);
        }
    }
    let ku = h.finalize();
    let mut h = D::new();
    h.update(&ku);
    h.update(engine_id);
    h.update(&ku);
    h.finalize().to_vec()
}

fn hmac_of<D>(password: &[u8], engine_id: &[u8], message: &[u8]) -> Vec<u8>
where
    D: hmac::digest::Digest + hmac::digest::core_api::BlockSizeUser,
{
    use hmac::Mac;
    let key = localized_key::<D>(password, engine_id);
    match <hmac::SimpleHmac<D> as Mac>::new_from_slice(&key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// msgAuthenticationParameters for `message` (with its own parameters zeroed).
pub(crate) fn sign(
    auth: AuthProtocol,
    password: &[u8],
    engine_id: &[u8],
    message: &[u8],
) -> Vec<u8> {
    let mut mac = match auth {
        AuthProtocol::None => return Vec::new(),
        AuthProtocol::Md5 => hmac_of::<md5::Md5>(password, engine_id, message),
        AuthProtocol::Sha1 => hmac_of::<sha1::Sha1>(password, engine_id, message),
        AuthProtocol::Sha224 => hmac_of::<sha2::Sha224>(password, engine_id, message),
        AuthProtocol::Sha256 => hmac_of::<sha2::Sha256>(password, engine_id, message),
        AuthProtocol::Sha384 => hmac_of::<sha2::Sha384>(password, engine_id, message),
        AuthProtocol::Sha512 => hmac_of::<sha2::Sha512>(password, engine_id, message),
    };
    mac.truncate(auth.digest_len());
    mac
}

impl ProbeMessage<'_> {
    /// The message, signed with `password` under `auth` when its flags ask for authentication.
    pub(crate) fn encode_signed(&self, auth: AuthProtocol, password: &[u8]) -> Vec<u8> {
        let mut msg = self.encode();
        if self.flags & FLAG_AUTH == 0 || self.auth_len == 0 || auth == AuthProtocol::None {
            return msg;
        }
        // The zeroed parameters sit right after the user name in the USM sequence.
        let mut marker = octets(self.user);
        marker.extend_from_slice(&octets(&vec![0; self.auth_len]));
        let Some(at) = msg
            .windows(marker.len())
            .position(|w| w == marker.as_slice())
            .map(|p| p + marker.len() - self.auth_len)
        else {
            return msg;
        };
        let mac = sign(auth, password, self.engine_id, &msg);
        if let Some(slot) = msg.get_mut(at..at + mac.len()) {
            slot.copy_from_slice(&mac);
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3414 A.3.1 and A.3.2: "maplesyrup" localized to engine 00…02.
    #[test]
    fn key_localization_matches_rfc3414() {
        let engine = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let md5 = localized_key::<md5::Md5>(b"maplesyrup", &engine);
        assert_eq!(
            md5,
            [
                0x52, 0x6f, 0x5e, 0xed, 0x9f, 0xcc, 0xe2, 0x6f, 0x89, 0x64, 0xc2, 0x93, 0x07, 0x87,
                0xd8, 0x2b
            ]
        );
        let sha = localized_key::<sha1::Sha1>(b"maplesyrup", &engine);
        assert_eq!(
            sha,
            [
                0x66, 0x95, 0xfe, 0xbc, 0x92, 0x88, 0xe3, 0x62, 0x82, 0x23, 0x5f, 0xc7, 0x15, 0x1f,
                0x12, 0x84, 0x97, 0xb3, 0x8f, 0x3f
            ]
        );
        assert_eq!(
            sign(AuthProtocol::Sha512, b"maplesyrup", &engine, b"m").len(),
            48
        );
    }

    #[test]
    fn signed_probe_carries_the_mac_where_the_zeros_were() {
        let m = ProbeMessage {
            msg_id: 9,
            flags: FLAG_REPORTABLE | FLAG_AUTH,
            engine_id: &[1, 2, 3, 4, 5],
            boots: 2,
            time: 300,
            user: b"ops",
            auth_len: 12,
            context: b"",
        };
        let plain = m.encode();
        let signed = m.encode_signed(AuthProtocol::Sha1, b"ops-auth-key");
        assert_eq!(plain.len(), signed.len());
        let mut marker = octets(b"ops");
        marker.extend_from_slice(&octets(&[0; 12]));
        let start = plain
            .windows(marker.len())
            .position(|w| w == marker.as_slice())
            .expect("zeroed parameters")
            + marker.len()
            - 12;
        assert_eq!(plain[..start], signed[..start]);
        assert_eq!(plain[start + 12..], signed[start + 12..]);
        assert_eq!(
            signed[start..start + 12],
            sign(
                AuthProtocol::Sha1,
                b"ops-auth-key",
                &[1, 2, 3, 4, 5],
                &plain
            )[..]
        );
    }

    #[test]
    fn integers_are_minimal() {
        assert_eq!(integer(0), vec![2, 1, 0]);
        assert_eq!(integer(127), vec![2, 1, 127]);
        assert_eq!(integer(128), vec![2, 2, 0, 128]);
        assert_eq!(integer(-1), vec![2, 1, 0xff]);
        assert_eq!(integer(65507), vec![2, 3, 0, 0xff, 0xe3]);
    }

    #[test]
    fn long_lengths() {
        let t = tlv(4, &[0; 200]);
        assert_eq!(&t[..3], &[4, 0x81, 200]);
        assert_eq!(Reader::new(&t).expect(4).map(<[u8]>::len), Some(200));
    }

    #[test]
    fn oid_decoding() {
        // 1.3.6.1.6.3.15.1.1.3.0
        let c = [0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0];
        assert_eq!(decode_oid(&c), Some(vec![1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0]));
        assert_eq!(decode_oid(&[0x2b, 0x81]), None);
        assert_eq!(
            decode_oid(&[0x2b, 6, 1, 4, 1, 0xeb, 0x2e]),
            Some(vec![1, 3, 6, 1, 4, 1, 13742])
        );
    }

    /// A Report as net-snmp sends it for an unknown user (built with our encoder).
    fn report(oid_content: &[u8]) -> Vec<u8> {
        let header = sequence(&[integer(77), integer(65507), octets(&[0]), integer(3)]);
        let usm = sequence(&[
            octets(&[0x80, 0, 0x1f, 0x88]),
            integer(5),
            integer(1234),
            octets(b"ops"),
            octets(&[]),
            octets(&[]),
        ]);
        let vb = sequence(&[tlv(6, oid_content), tlv(0x41, &[1])]);
        let pdu = tlv(
            0xa8,
            &[integer(77), integer(0), integer(0), sequence(&[vb])].concat(),
        );
        let scoped = sequence(&[octets(&[0x80, 0, 0x1f, 0x88]), octets(&[]), pdu]);
        sequence(&[integer(3), header, octets(&usm), scoped])
    }

    #[test]
    fn reads_reports() {
        let a = parse_answer(&report(&[0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0])).expect("parses");
        assert_eq!((a.msg_id, a.boots, a.time), (77, 5, 1234));
        assert_eq!(a.engine_id, vec![0x80, 0, 0x1f, 0x88]);
        assert_eq!(classify(&a), Diagnosis::UnknownUser);
        let a = parse_answer(&report(&[0x2b, 6, 1, 6, 3, 15, 1, 1, 5, 0])).expect("parses");
        assert_eq!(classify(&a), Diagnosis::WrongDigest);
        let a = parse_answer(&report(&[0x2b, 6, 1, 6, 3, 15, 1, 1, 1, 0])).expect("parses");
        assert_eq!(classify(&a), Diagnosis::UnsupportedSecLevel);
        let a = parse_answer(&report(&[0x2b, 6, 1, 6, 3, 12, 1, 5, 0])).expect("parses");
        assert_eq!(classify(&a), Diagnosis::UnknownContext);
    }

    #[test]
    fn garbage_never_panics() {
        let good = report(&[0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0]);
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

    #[test]
    fn encrypted_probe_is_a_get_that_snmp2_can_decrypt() {
        use crate::config::SnmpVersion;
        let mut cfg = Config::new("127.0.0.1");
        cfg.version = SnmpVersion::V3;
        cfg.user = "ops".into();
        cfg.auth = AuthProtocol::Sha1;
        cfg.auth_key = "ops-auth-key".into();
        cfg.privacy = PrivProtocol::Aes128;
        cfg.priv_key = "ops-priv-key".into();
        let engine = [0x80, 0, 0x1f, 0x88, 4, 1, 2];
        let security = crate::session::usm_security(&cfg)
            .with_engine_id(&engine)
            .expect("keys localize")
            .with_engine_boots_and_time(3, 1000);
        let msg = encrypted_get(&cfg, &engine, 3, 1000, 4242, &security).expect("builds");
        let a = parse_answer(&msg).expect("well-formed v3");
        assert_eq!(
            (a.msg_id, a.boots, a.time, a.pdu_tag),
            (4242, 3, 1000, None)
        );
        let mut reader = security.clone();
        let pdu = snmp2::Pdu::from_bytes_with_security(&msg, Some(&mut reader)).expect("decrypts");
        assert_eq!(pdu.message_type, snmp2::MessageType::GetRequest);
        assert_eq!(pdu.req_id, 4242);
        assert_eq!(pdu.varbinds.clone().count(), 0);
    }

    #[test]
    fn probe_message_round_trips_through_our_reader() {
        let m = ProbeMessage {
            msg_id: 9,
            flags: FLAG_REPORTABLE | FLAG_AUTH,
            engine_id: &[1, 2, 3],
            boots: 2,
            time: 300,
            user: b"ops",
            auth_len: 12,
            context: b"",
        }
        .encode();
        let a = parse_answer(&m).expect("well-formed");
        assert_eq!(
            (a.msg_id, a.boots, a.time, a.pdu_tag),
            (9, 2, 300, Some(0xa0))
        );
    }
}
