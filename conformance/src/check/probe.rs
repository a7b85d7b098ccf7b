//! Hand-built requests for the checks the driver cannot make: discovery, a chosen security
//! level, a wrong key, an unknown user, a skewed engine time, a SET of a bad value. Requests
//! are encoded and replies validated by the load generator's [`Session`]; this module adds the
//! socket, retries, and a readable account of what was sent and what came back.

use snmp_proto::usm::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pdu_driver::Config;
use snmp_proto::usm::protect::{decrypt, PrivacyError};
use snmp_proto::usm::{LocalizeError, MasterKeyCache, Password, UsmUser};
use snmp_proto::{
    decode_message, decode_scoped_pdu, Message, Oid, Pdu, PduType, ScopedPduData, Value, Version,
    FLAG_AUTH, FLAG_PRIV,
};

use crate::load::outcome::{report_name, ErrorKind};
use crate::load::session::{EngineView, Operation, RequestSpec, Security, Session, Verdict};
use crate::scenario::raw::{describe, status_name};
use snmp_proto::usm::SecurityLevel;

/// The user's keys at `level`, localized to `engine_id`; `auth_password` replaces the
/// configured one (the wrong-key check).
pub fn keys_for(
    config: &Config,
    user: &str,
    level: SecurityLevel,
    engine_id: &[u8],
    auth_password: Option<&str>,
) -> Result<Arc<UsmUser>, String> {
    let auth = match level {
        SecurityLevel::NoAuthNoPriv => None,
        _ => {
            let proto = config
                .auth
                .ok_or("the user has no authentication protocol")?;
            let password = auth_password.unwrap_or(config.auth_key.expose_secret());
            Some((proto, Password::from(password)))
        }
    };
    let privacy = match level {
        SecurityLevel::AuthPriv => {
            let proto = config.privacy.ok_or("the user has no privacy protocol")?;
            Some((proto, Password::from(config.priv_key.expose_secret())))
        }
        _ => None,
    };
    UsmUser::localize(
        user.as_bytes(),
        auth.as_ref().map(|(proto, password)| (*proto, password)),
        privacy.as_ref().map(|(proto, password)| (*proto, password)),
        engine_id,
        &MasterKeyCache::default(),
    )
    .map(Arc::new)
    .map_err(|e| match e {
        LocalizeError::AuthPassword(e) => format!("authentication key: {e}"),
        LocalizeError::PrivPassword(e) => format!("privacy key: {e}"),
        LocalizeError::PrivWithoutAuth => e.to_string(),
    })
}

/// A decoded answer, owned, with what a report needs of it.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The PDU's type: a Response or a Report, normally.
    pub pdu_type: PduType,
    /// The PDU's request-id.
    pub request_id: i32,
    /// The error-status (RFC 3416 §3; 0 is noError).
    pub error_status: i32,
    /// The error-index: the failing varbind, from 1 (0: none).
    pub error_index: i32,
    /// Each varbind's OID and its value as text (`INTEGER 1`, `STRING "x"`, `noSuchInstance`).
    pub varbinds: Vec<(Oid, String)>,
    /// Varbinds whose value is noSuchObject / noSuchInstance / endOfMibView.
    pub exceptions: usize,
    /// SNMPv3: msgFlags and the USM parameters the agent sent.
    pub v3: Option<V3Info>,
}

/// The SNMPv3 header fields of an answer (RFC 3412 §6, RFC 3414 §2.4).
#[derive(Clone, Debug)]
pub struct V3Info {
    /// msgFlags: the auth (0x01), priv (0x02) and reportable (0x04) bits.
    pub flags: u8,
    /// msgAuthoritativeEngineID.
    pub engine_id: Vec<u8>,
    /// msgAuthoritativeEngineBoots.
    pub boots: i32,
    /// msgAuthoritativeEngineTime, in seconds.
    pub time: i32,
}

impl Answer {
    /// The usmStats/snmp counter a Report carries.
    pub fn report(&self) -> Option<&'static str> {
        (self.pdu_type == PduType::Report).then(|| {
            self.varbinds
                .first()
                .map_or("(empty Report)", |(o, _)| report_name(o))
        })
    }

    /// Whether the answer's msgFlags has the auth bit (SNMPv3 only; v1/v2c answers are not).
    /// Says what the agent claims: the MAC is not verified here.
    pub fn authenticated(&self) -> bool {
        self.v3.as_ref().is_some_and(|v| v.flags & FLAG_AUTH != 0)
    }

    /// One line for a report: the PDU type, the Report counter or error-status, the first four
    /// varbinds, the v3 securityLevel, engine ID, boots and time, and the request-id.
    pub fn describe(&self) -> String {
        let kind = match self.pdu_type {
            PduType::Response => "Response",
            PduType::Report => "Report",
            other => return format!("an unexpected {other:?} PDU"),
        };
        let mut out = String::from(kind);
        if let Some(counter) = self.report() {
            out.push_str(&format!(" {counter}"));
        }
        if self.pdu_type == PduType::Response {
            if self.error_status == 0 {
                out.push_str(" noError");
            } else {
                out.push_str(&format!(
                    " {} ({}) at index {}",
                    status_name(self.error_status),
                    self.error_status,
                    self.error_index
                ));
            }
        }
        let shown: Vec<String> = self
            .varbinds
            .iter()
            .take(4)
            .map(|(o, v)| format!(".{o} = {v}"))
            .collect();
        if !shown.is_empty() {
            out.push_str(&format!(": {}", shown.join(", ")));
        }
        if self.varbinds.len() > 4 {
            out.push_str(&format!(", … ({} varbinds)", self.varbinds.len()));
        }
        if let Some(v) = &self.v3 {
            let level = match (v.flags & FLAG_AUTH != 0, v.flags & FLAG_PRIV != 0) {
                (true, true) => "authPriv",
                (true, false) => "authNoPriv",
                _ => "noAuthNoPriv",
            };
            out.push_str(&format!(
                " [{level}; engine ID {}, boots {}, time {}]",
                hex(&v.engine_id),
                v.boots,
                v.time
            ));
        }
        out.push_str(&format!(" (request-id {})", self.request_id));
        out
    }
}

/// `bytes` as `0x` and two lower-case hex digits per byte (`0x80001f88...`); `0x` when empty.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// How one exchange ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// An answer to our request; `verdict` is the load generator's judgement of it.
    Answered {
        /// The answer, decoded (and decrypted).
        answer: Answer,
        /// `Ok` for a usable answer; else why not (a Report, an error-status, a wrong value).
        verdict: Result<(), ErrorKind>,
    },
    /// Something came back that cannot be read (bad BER, or encrypted with a key we lack);
    /// also a socket that could not be opened or a request that could not be sent.
    Unreadable {
        /// The load generator's error class (`Decode`, `Network`, ...).
        verdict: ErrorKind,
        /// What was wrong.
        detail: String,
    },
    /// Nothing (of ours) came back.
    Silence {
        /// The wait for each attempt, in milliseconds.
        waited_ms: u128,
        /// How many times the request was sent.
        attempts: u32,
    },
}

/// One request and what came of it.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What was sent, in words, with the request-id of every attempt.
    pub sent: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Datagrams that were not an answer to this request (wrong request-id, other user…).
    pub strays: Vec<String>,
}

impl Exchange {
    /// The answer, if one to this request could be read (whatever its verdict).
    pub fn answer(&self) -> Option<&Answer> {
        match &self.outcome {
            Outcome::Answered { answer, .. } => Some(answer),
            _ => None,
        }
    }

    /// True when no answer to this request came back (strays do not count).
    pub fn silent(&self) -> bool {
        matches!(self.outcome, Outcome::Silence { .. })
    }

    /// What came back, in a line per datagram.
    pub fn received(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .strays
            .iter()
            .map(|s| format!("ignored: {s}"))
            .collect();
        out.push(match &self.outcome {
            Outcome::Answered { answer, verdict } => match verdict {
                Ok(()) | Err(ErrorKind::Report(_) | ErrorKind::ErrorStatus(_)) => answer.describe(),
                Err(kind) => format!("{} — {kind}", answer.describe()),
            },
            Outcome::Unreadable { verdict, detail } => {
                format!("an unreadable answer ({verdict}): {detail}")
            }
            Outcome::Silence {
                waited_ms,
                attempts,
            } => {
                format!(
                    "no answer ({attempts} attempt{}, {waited_ms} ms each)",
                    if *attempts == 1 { "" } else { "s" }
                )
            }
        });
        out
    }

    /// A short account of a failure to get a usable answer.
    pub fn trouble(&self) -> String {
        match &self.outcome {
            Outcome::Silence { .. } if !self.strays.is_empty() => {
                format!("no answer carried our request-id; {} other datagram(s) came back (see received)", self.strays.len())
            }
            Outcome::Silence { .. } => "no answer".into(),
            Outcome::Unreadable { verdict, .. } => {
                format!("the answer could not be read: {verdict}")
            }
            Outcome::Answered {
                answer,
                verdict: Err(kind),
            } => format!("{}: {kind}", answer_kind(answer)),
            Outcome::Answered { answer, .. } => answer_kind(answer),
        }
    }
}

fn answer_kind(a: &Answer) -> String {
    match (a.report(), a.error_status) {
        (Some(r), _) => format!("a Report {r} instead of a Response"),
        (None, 0) => "a Response".into(),
        (None, s) => format!("a Response with {} ({s})", status_name(s)),
    }
}

/// Where requests go, and how patiently.
pub struct Link {
    /// The agent's address.
    pub target: SocketAddr,
    /// The wait for each attempt's answer.
    pub timeout: Duration,
    /// Attempts after the first, each with a new request-id.
    pub retries: u32,
    next_session: u32,
    salt: u64,
}

impl Link {
    /// A link to `target` with `config`'s timeout and retries; salts start from the clock.
    pub fn new(target: SocketAddr, config: &Config) -> Link {
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(7, |d| d.as_nanos() as u64);
        Link {
            target,
            timeout: config.timeout,
            retries: config.retries,
            next_session: 0,
            salt,
        }
    }

    /// A session (its own request-id block) speaking `security`, asking `spec`.
    pub fn session(
        &mut self,
        security: Security,
        spec: &RequestSpec,
        engine: Option<EngineView>,
    ) -> Session {
        self.next_session += 1;
        self.salt = self
            .salt
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut s = Session::new(security, spec, self.next_session, self.salt);
        s.engine = engine;
        s
    }

    async fn socket(&self) -> Result<tokio::net::UdpSocket, String> {
        let local = if self.target.is_ipv4() {
            if self.target.ip().is_loopback() {
                "127.0.0.1:0"
            } else {
                "0.0.0.0:0"
            }
        } else {
            "[::]:0"
        };
        tokio::net::UdpSocket::bind(local)
            .await
            .map_err(|e| format!("cannot open a UDP socket: {e}"))
    }

    /// Sends `spec` through `session`, resending (a new request-id each time) on silence.
    pub async fn request(
        &mut self,
        session: &mut Session,
        spec: &RequestSpec,
        what: String,
    ) -> Exchange {
        self.run(session, spec, what, false).await
    }

    /// RFC 3414 §4 discovery. On success the session has learned the engine.
    pub async fn discover(&mut self, session: &mut Session) -> Exchange {
        let spec = RequestSpec {
            operation: Operation::Get,
            oids: Vec::new(),
            set_value: None,
        };
        self.run(
            session,
            &spec,
            "GET with no varbinds, empty engine ID and user name, noAuthNoPriv, reportable".into(),
            true,
        )
        .await
    }

    async fn run(
        &mut self,
        session: &mut Session,
        spec: &RequestSpec,
        what: String,
        discovery: bool,
    ) -> Exchange {
        let mut strays = Vec::new();
        let mut ids = Vec::new();
        let socket = match self.socket().await {
            Ok(s) => s,
            Err(e) => {
                return Exchange {
                    sent: what,
                    outcome: Outcome::Unreadable {
                        verdict: ErrorKind::Network,
                        detail: e,
                    },
                    strays,
                };
            }
        };
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65536];
        let attempts = self.retries + 1;
        for _ in 0..attempts {
            let pending = if discovery {
                session.encode_discovery(&mut out)
            } else {
                session.encode_request(&mut out)
            };
            ids.push(pending.request_id);
            if let Err(e) = socket.send_to(&out, self.target).await {
                return Exchange {
                    sent: format!("{what} (request-id {})", pending.request_id),
                    outcome: Outcome::Unreadable {
                        verdict: ErrorKind::Network,
                        detail: format!("cannot send: {e}"),
                    },
                    strays,
                };
            }
            let deadline = tokio::time::Instant::now() + self.timeout;
            loop {
                let n = match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                    Err(_) => break,
                    Ok(Err(_)) => break, // ICMP unreachable on loopback: same as silence
                    Ok(Ok((n, _))) => n,
                };
                let datagram = buf.get(..n).unwrap_or_default();
                let sent = format!("{what} (request-id {})", pending.request_id);
                if discovery {
                    match session.learn_engine(pending, datagram) {
                        Err(ErrorKind::Mismatched) => {
                            strays.push(summarize(datagram, None));
                            continue;
                        }
                        Err(kind) => {
                            return Exchange {
                                sent,
                                outcome: judged(datagram, None, Err(kind)),
                                strays,
                            };
                        }
                        Ok(_) => {
                            return Exchange {
                                sent,
                                outcome: judged(datagram, None, Ok(())),
                                strays,
                            }
                        }
                    }
                }
                let keys = match &session.security {
                    Security::Usm { keys, .. } => Some(keys.clone()),
                    Security::Community { .. } => None,
                };
                match session.check_reply(pending, spec, datagram) {
                    Verdict::Late => strays.push(format!(
                        "a late answer to an earlier attempt: {}",
                        summarize(datagram, keys.as_deref())
                    )),
                    Verdict::Stray(_) => strays.push(summarize(datagram, keys.as_deref())),
                    Verdict::Ok => {
                        return Exchange {
                            sent,
                            outcome: judged(datagram, keys.as_deref(), Ok(())),
                            strays,
                        }
                    }
                    Verdict::Failed(kind) => {
                        return Exchange {
                            sent,
                            outcome: judged(datagram, keys.as_deref(), Err(kind)),
                            strays,
                        }
                    }
                }
            }
        }
        let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
        Exchange {
            sent: format!("{what} (request-id {})", ids.join(", ")),
            outcome: Outcome::Silence {
                waited_ms: self.timeout.as_millis(),
                attempts,
            },
            strays,
        }
    }
}

fn judged(datagram: &[u8], keys: Option<&UsmUser>, verdict: Result<(), ErrorKind>) -> Outcome {
    match open(datagram, keys) {
        Ok(answer) => Outcome::Answered { answer, verdict },
        Err(detail) => Outcome::Unreadable {
            verdict: verdict.err().unwrap_or(ErrorKind::Decode),
            detail,
        },
    }
}

fn summarize(datagram: &[u8], keys: Option<&UsmUser>) -> String {
    match open(datagram, keys) {
        Ok(a) => a.describe(),
        Err(e) => format!("an unreadable datagram of {} bytes ({e})", datagram.len()),
    }
}

/// Decodes (and, with the keys, decrypts) a datagram into an [`Answer`].
pub fn open(datagram: &[u8], keys: Option<&UsmUser>) -> Result<Answer, String> {
    match decode_message(datagram).map_err(|e| format!("not SNMP: {e}"))? {
        Message::Community(m) => Ok(answer_of(&m.pdu, None)),
        Message::V3(m) => {
            let info = V3Info {
                flags: m.msg_flags,
                engine_id: m.usm.engine_id.to_vec(),
                boots: m.usm.engine_boots,
                time: m.usm.engine_time,
            };
            let plain;
            let scoped = match &m.data {
                ScopedPduData::Plaintext(s) => s.clone(),
                ScopedPduData::Encrypted(_) => {
                    let no_key = "encrypted, and we have no privacy key for it";
                    plain = decrypt(keys.ok_or(no_key)?, &m).map_err(|e| match e {
                        PrivacyError::Decrypt(e) => format!("does not decrypt: {e:?}"),
                        PrivacyError::NoPrivacyKey | PrivacyError::NotEncrypted => no_key.into(),
                    })?;
                    decode_scoped_pdu(&plain)
                        .map_err(|e| format!("does not decrypt into a ScopedPDU: {e}"))?
                }
            };
            Ok(answer_of(&scoped.pdu, Some(info)))
        }
        #[allow(unreachable_patterns)]
        _ => Err("not a v1/v2c/v3 message".into()),
    }
}

fn answer_of(pdu: &Pdu<'_>, v3: Option<V3Info>) -> Answer {
    let exceptions = pdu
        .varbinds
        .iter()
        .filter(|vb| {
            matches!(
                vb.value,
                Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
            )
        })
        .count();
    Answer {
        pdu_type: pdu.pdu_type,
        request_id: pdu.request_id,
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds: pdu
            .varbinds
            .iter()
            .map(|vb| (vb.oid.clone(), describe(&vb.value)))
            .collect(),
        exceptions,
        v3,
    }
}

/// The security a v1/v2c config speaks.
pub fn community_security(config: &Config) -> Security {
    let version = match config.version {
        pdu_driver::SnmpVersion::V1 => Version::V1,
        _ => Version::V2c,
    };
    Security::Community {
        version,
        community: config.community.expose_secret().as_bytes().to_vec(),
    }
}

/// An engine view with its time moved by `skew` seconds (the time-window check).
pub fn skewed(view: &EngineView, skew: i32) -> EngineView {
    let now = view
        .time
        .saturating_add(i32::try_from(view.learned_at.elapsed().as_secs()).unwrap_or(0));
    EngineView {
        engine_id: view.engine_id.clone(),
        boots: view.boots,
        time: now.saturating_add(skew).max(0),
        learned_at: Instant::now(),
    }
}
