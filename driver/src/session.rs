//! The SNMP transport: snmp2's `AsyncSession` with what it lacks — a timeout and retries
//! around every call, re-synchronisation on `AuthUpdated`, error-status checks, owned
//! results — and the mapping of its errors to ours (with the diagnosis probe for v3).

use snmp_proto::usm::ExposeSecret;
use std::net::SocketAddr;
use std::time::Duration;

use snmp2::{AsyncSession, Oid};
use snmp_proto::usm::MasterKeyCache;
use std::sync::Arc;
use tokio::time::timeout;

use crate::config::{
    auth_name, priv_name, triple_des_refused, AuthProtocol, Config, PrivProtocol, SnmpVersion,
};
use crate::error::{error_status_hint, error_status_name, read_error_status_hint, Error, Result};
use crate::guard::{Guard, GuardUser, Refusal};
use crate::probe::{self, Diagnosis};
use pdu_mibs::oid_string;

const LOCKED_ADVICE: &str = "RFC 3414 §2.2.2 locks an agent at the maximum engineBoots out of authenticated SNMPv3: reset the PDU's SNMP engine (engine ID or boots counter, often a factory reset of the SNMP settings), or use --version 2c meanwhile";

const NOT_IN_TIME_WINDOW_ADVICE: &str = "the agent's engineBoots or engineTime keeps changing (rebooting in a loop, or a clock that jumps); check the PDU's uptime and clock, and retry once it is stable";

/// A value read from the agent, owned (the SMI types of RFC 3416 §3, as snmp2 decodes them).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// INTEGER / Integer32, e.g. an outlet state.
    Integer(i64),
    /// OCTET STRING: raw bytes (outlet names, sysDescr), not necessarily UTF-8.
    OctetString(Vec<u8>),
    /// OBJECT IDENTIFIER, as arcs (sysObjectID).
    ObjectIdentifier(Vec<u32>),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32 (one encoding, application tag 2).
    Unsigned32(u32),
    /// TimeTicks, in hundredths of a second.
    Timeticks(u32),
    /// Counter64 (SNMPv2c and v3 only).
    Counter64(u64),
    /// IpAddress: four octets in network order.
    IpAddress([u8; 4]),
    /// NULL.
    Null,
    /// The noSuchObject exception (RFC 3416 §4.2.1): the agent has no such object.
    NoSuchObject,
    /// The noSuchInstance exception: the object exists, that instance does not.
    NoSuchInstance,
    /// The endOfMibView exception: a GETNEXT ran past the last object.
    EndOfMibView,
    /// Anything else (Opaque, an OID with an arc above 2^32, ...), as snmp2 shows it.
    Other(String),
    /// A value the agent sent that could not be decoded (snmp2 stops at it): most often a
    /// zero-length INTEGER (`02 00`), which X.690 §8.3.1 forbids and some Sentry3 firmware
    /// sends. Neither a number nor "missing".
    Undecodable,
}

/// What [`Value::Undecodable`] most likely was, for messages.
pub const UNDECODABLE: &str = "a value that could not be decoded: most likely a zero-length INTEGER (02 00), which BER forbids (X.690 §8.3.1) and some PDU firmware (Sentry3) sends";

impl Value {
    /// True for the v2 exceptions that mean "nothing here".
    pub fn is_missing(&self) -> bool {
        matches!(
            self,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
        )
    }

    /// Numeric value of any integer-like type.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(v) => Some(*v),
            Value::Counter32(v) | Value::Unsigned32(v) | Value::Timeticks(v) => Some(i64::from(*v)),
            Value::Counter64(v) => i64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// An OCTET STRING as text (invalid UTF-8 replaced by U+FFFD); `None` for any other type.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::OctetString(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    /// The type and value for messages, as net-snmp prints them: `INTEGER 7`,
    /// `STRING "web"`, `OID .1.3.6…`, `noSuchInstance`.
    pub fn describe(&self) -> String {
        match self {
            Value::Integer(v) => format!("INTEGER {v}"),
            Value::OctetString(b) => format!("STRING {:?}", String::from_utf8_lossy(b)),
            Value::ObjectIdentifier(o) => format!("OID {}", oid_string(o)),
            Value::Counter32(v) => format!("Counter32 {v}"),
            Value::Unsigned32(v) => format!("Gauge32 {v}"),
            Value::Timeticks(v) => format!("Timeticks {v}"),
            Value::Counter64(v) => format!("Counter64 {v}"),
            Value::IpAddress(a) => format!("IpAddress {}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            Value::Null => "NULL".into(),
            Value::NoSuchObject => "noSuchObject".into(),
            Value::NoSuchInstance => "noSuchInstance".into(),
            Value::EndOfMibView => "endOfMibView".into(),
            Value::Other(s) => s.clone(),
            Value::Undecodable => UNDECODABLE.into(),
        }
    }
}

/// A value to SET.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// INTEGER: a switching command.
    Integer(i64),
    /// OCTET STRING: an outlet name.
    OctetString(Vec<u8>),
}

/// One request the transport sends, as OID arcs.
#[derive(Debug, Clone)]
pub enum Request {
    /// GetRequest for every OID, in one PDU.
    Get(Vec<Vec<u32>>),
    /// GetNextRequest for one OID.
    GetNext(Vec<u32>),
    /// SetRequest with every varbind, in one PDU (the agent applies all or none, RFC 3416 §4.2.5).
    Set(Vec<(Vec<u32>, SetValue)>),
}

impl Request {
    fn oid_at(&self, index: u32) -> Option<String> {
        let i = usize::try_from(index).ok()?.checked_sub(1)?;
        match self {
            Request::Get(oids) => oids.get(i).map(|o| oid_string(o)),
            Request::GetNext(oid) => (i == 0).then(|| oid_string(oid)),
            Request::Set(vbs) => vbs.get(i).map(|(o, _)| oid_string(o)),
        }
    }
    fn first_oid(&self) -> String {
        self.oid_at(1).unwrap_or_default()
    }
}

/// The varbinds of a Response, in the agent's order: (OID arcs, value).
pub type Varbinds = Vec<(Vec<u32>, Value)>;

/// The answer to a request whose error-status was not noError.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRefusal {
    /// The error-status (RFC 3416 §3): 2 noSuchName, 17 notWritable, ...
    pub status: u32,
    /// The OID the error-index points at, dotted (`.1.3.6…`); the request's first OID when
    /// error-index is 0 or out of range.
    pub oid: String,
    /// Whether the refused request was a SET (else a GET, GETNEXT or walk): an
    /// authorizationError means no write access for a SET, no read access for a read.
    pub write: bool,
}

impl AgentRefusal {
    /// As an [`Error::AgentError`], with the error-status's RFC 3416 name and what to check.
    pub fn into_error(self) -> Error {
        Error::AgentError {
            status: error_status_name(self.status),
            code: self.status,
            oid: self.oid,
            hint: if self.write {
                error_status_hint(self.status)
            } else {
                read_error_status_hint(self.status)
            },
        }
    }
}

/// Why one attempt failed before an answer could be read.
enum Failure {
    Snmp(snmp2::Error),
    Io(std::io::Error),
    /// The answer guard dropped an answer, or the agent's host refused the datagram.
    Refused(Refusal),
    /// A setting snmp2 cannot honour (a config that skipped [`Config::validate`]).
    Config(Error),
}

impl From<snmp2::Error> for Failure {
    fn from(e: snmp2::Error) -> Self {
        Failure::Snmp(e)
    }
}

/// What one request has been through so far, across its tries.
#[derive(Debug, Default)]
struct Attempts {
    tries: u32,
    /// Engine boots/time re-synchronisations (snmp2's `AuthUpdated` and mismatches).
    resyncs: u32,
    /// Set once a Report made us re-discover and send again: that happens once.
    report_retried: bool,
    /// How many answers could not be read, and what the last one was.
    malformed_count: u32,
    malformed: Option<String>,
}

/// The SNMP session with one PDU. The snmp2 session is opened (with engine discovery for v3)
/// on the first request and opened again after a timeout or an unreadable answer; every
/// request gets the config's timeout and retries. `Debug` shows host, port and whether a
/// session is open, never a key.
pub struct Transport {
    cfg: Config,
    session: Option<Box<Connected>>,
    next_request_id: i32,
    /// Set once a v3 discovery was answered: a later silence is then not "host down".
    discovery_answered: bool,
    /// Set once a request got its answer: a later silence is the agent going away, not a
    /// wrong key or community.
    answered: bool,
    /// Master keys for the diagnosis probe and the answer guard: each password is hashed
    /// once per transport.
    keys: Arc<MasterKeyCache>,
    /// Set once the agent refused our authentication (usmStatsWrongDigests): silence after
    /// that is most likely a lockout of this address ([`Error::LikelyLockout`]).
    auth_refused: std::sync::atomic::AtomicBool,
    /// The first address the agent answered from that was not the requests' port (quirk 28
    /// in docs/QUIRKS.md), once the answer guard took such an answer.
    answered_from: Option<SocketAddr>,
    /// What the transport learnt about the agent, for the next report that carries notes.
    notes: Vec<String>,
}

/// An open snmp2 session and the answer guard it talks to the agent through.
struct Connected {
    session: AsyncSession,
    guard: Guard,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("host", &self.cfg.host)
            .field("port", &self.cfg.port)
            .field("connected", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

fn oid_of(arcs: &[u32]) -> std::result::Result<Oid<'static>, String> {
    let wide: Vec<u64> = arcs.iter().map(|&a| u64::from(a)).collect();
    Oid::from(&wide).map_err(|e| format!("OID {} cannot be encoded: {e:?}", oid_string(arcs)))
}

fn arcs_of(oid: &Oid<'_>) -> Option<Vec<u32>> {
    oid.iter()?.map(|a| u32::try_from(a).ok()).collect()
}

fn own_value(v: &snmp2::Value<'_>) -> Value {
    use snmp2::Value as V;
    match v {
        V::Integer(i) => Value::Integer(*i),
        V::OctetString(b) => Value::OctetString(b.to_vec()),
        V::ObjectIdentifier(o) => {
            arcs_of(o).map_or_else(|| Value::Other(format!("OID {o}")), Value::ObjectIdentifier)
        }
        V::Counter32(c) => Value::Counter32(*c),
        V::Unsigned32(c) => Value::Unsigned32(*c),
        V::Timeticks(c) => Value::Timeticks(*c),
        V::Counter64(c) => Value::Counter64(*c),
        V::IpAddress(a) => Value::IpAddress(*a),
        V::Null => Value::Null,
        V::NoSuchObject => Value::NoSuchObject,
        V::NoSuchInstance => Value::NoSuchInstance,
        V::EndOfMibView => Value::EndOfMibView,
        other => Value::Other(format!("{other:?}")),
    }
}

fn own_pdu(pdu: &snmp2::Pdu<'_>) -> std::result::Result<(u32, u32, Varbinds), String> {
    let mut out = Vec::new();
    for (name, value) in pdu.varbinds.clone() {
        let arcs = arcs_of(&name).ok_or_else(|| format!("OID {name} has an arc above 2^32"))?;
        out.push((arcs, own_value(&value)));
    }
    Ok((pdu.error_status, pdu.error_index, out))
}

/// The snmp2 security settings for `c` (engine ID, boots and time still to be learnt).
///
/// Errors: 3DES, which snmp2 does not have ([`Config::validate`] refuses it first).
pub(crate) fn usm_security(c: &Config) -> Result<snmp2::v3::Security> {
    use snmp2::v3::{Auth, AuthProtocol as A, Cipher, KeyExtension, Security};
    let proto = match c.auth {
        None | Some(AuthProtocol::Md5) => A::Md5,
        Some(AuthProtocol::Sha1) => A::Sha1,
        Some(AuthProtocol::Sha224) => A::Sha224,
        Some(AuthProtocol::Sha256) => A::Sha256,
        Some(AuthProtocol::Sha384) => A::Sha384,
        Some(AuthProtocol::Sha512) => A::Sha512,
    };
    // validate() guarantees non-empty keys wherever snmp2 would use them; snmp2 never
    // derives a key for noAuthNoPriv, so the placeholder is never hashed.
    let auth_key = if c.auth.is_none() {
        "unused-noauth"
    } else {
        c.auth_key.expose_secret()
    };
    let mut sec = Security::new(c.user.as_bytes(), auth_key.as_bytes())
        .with_auth_protocol(proto)
        .with_context_name(&c.context);
    let cipher = match c.privacy {
        None => None,
        Some(PrivProtocol::Des) => Some((Cipher::Des, None)),
        Some(PrivProtocol::TripleDes) => return Err(triple_des_refused(priv_name(c.privacy))),
        Some(PrivProtocol::Aes128) => Some((Cipher::Aes128, None)),
        Some(PrivProtocol::Aes192) => Some((Cipher::Aes192, Some(KeyExtension::Blumenthal))),
        Some(PrivProtocol::Aes256) => Some((Cipher::Aes256, Some(KeyExtension::Blumenthal))),
        Some(PrivProtocol::Aes192Cisco) => Some((Cipher::Aes192, Some(KeyExtension::Reeder))),
        Some(PrivProtocol::Aes256Cisco) => Some((Cipher::Aes256, Some(KeyExtension::Reeder))),
    };
    sec = match (c.auth, cipher) {
        (None, _) => sec.with_auth(Auth::NoAuthNoPriv),
        (_, None) => sec.with_auth(Auth::AuthNoPriv),
        (_, Some((cipher, ext))) => {
            let s = sec.with_auth(Auth::AuthPriv {
                cipher,
                privacy_password: c.priv_key.expose_secret().as_bytes().to_vec(),
            });
            match ext {
                Some(e) => s.with_key_extension_method(e),
                None => s,
            }
        }
    };
    Ok(sec)
}

/// What one walked row counts toward [`Config::max_walk_bytes`]: 4 bytes per OID arc, plus a
/// string's or OID's own length, or 8 for a number.
fn walked_bytes(oid: &[u32], value: &Value) -> usize {
    let value_bytes = match value {
        Value::OctetString(b) => b.len(),
        Value::ObjectIdentifier(o) => o.len().saturating_mul(4),
        Value::Other(s) => s.len(),
        _ => 8,
    };
    oid.len().saturating_mul(4).saturating_add(value_bytes)
}

impl Transport {
    /// A transport for `cfg`; nothing is sent before the first request. `cfg` is not checked
    /// here: call [`Config::validate`] first (as [`crate::Pdu::new`] does), since snmp2
    /// panics on an empty password.
    pub fn new(cfg: Config) -> Self {
        // Start request IDs somewhere not obviously shared with another client.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1);
        Transport {
            cfg,
            session: None,
            next_request_id: i32::try_from(seed & 0x3fff_ffff).unwrap_or(1),
            discovery_answered: false,
            answered: false,
            keys: Arc::new(MasterKeyCache::default()),
            auth_refused: std::sync::atomic::AtomicBool::new(false),
            answered_from: None,
            notes: Vec::new(),
        }
    }

    /// What the transport learnt about the agent since the last call (an agent answering
    /// from another UDP port than the requests go to), as notes for the user.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The address the agent answered from when that was not the port the requests go to
    /// (quirk 28 in docs/QUIRKS.md); `None` while every answer came from the agent's port.
    pub fn answered_from_another_port(&self) -> Option<SocketAddr> {
        self.answered_from
    }

    /// Notes, once, that the answer guard took answers from `from`, another port than the
    /// agent's.
    fn learn_source(&mut self, from: Option<SocketAddr>) {
        let (Some(from), None) = (from, self.answered_from) else {
            return;
        };
        self.answered_from = Some(from);
        tracing::debug!(%from, port = self.cfg.port, "the agent answers from another UDP port");
        // No port numbers in the note: they change from run to run, and the note is part of
        // recorded output; the debug log above has them.
        self.notes.push(
            "the agent answers from another UDP port than the one the requests go to (a NAT or multi-homed agent, quirk 28 in docs/QUIRKS.md): its answers were taken because they came from its address and matched the requests in flight (RUST_LOG=pdu_driver=debug shows the port)".into(),
        );
    }

    /// The configuration the transport was made with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn take_request_id(&mut self) -> i32 {
        let id = self.next_request_id;
        self.next_request_id = self.next_request_id.wrapping_add(1000) & 0x3fff_ffff;
        id
    }

    fn map_io(&self, e: &std::io::Error) -> Error {
        Error::Network {
            host: self.cfg.host.clone(),
            port: self.cfg.port,
            detail: e.to_string(),
        }
    }

    fn protocol(&self, detail: impl Into<String>) -> Error {
        Error::Protocol {
            host: self.cfg.host.clone(),
            port: self.cfg.port,
            detail: detail.into(),
        }
    }

    /// Create the UDP session (through a new answer guard) and, for v3, run engine discovery.
    async fn open(&mut self) -> std::result::Result<Box<Connected>, Failure> {
        let id = self.take_request_id();
        let agent = tokio::net::lookup_host((self.cfg.host.as_str(), self.cfg.port))
            .await
            .map_err(Failure::Io)?
            .next()
            .ok_or_else(|| {
                Failure::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the name resolves to no address",
                ))
            })?;
        let user = (self.cfg.version == SnmpVersion::V3).then(|| GuardUser {
            name: self.cfg.user.as_bytes().to_vec(),
            auth: self.cfg.auth.map(|a| (a, self.cfg.auth_key.clone())),
            keys: self.keys.clone(),
        });
        let mut guard = Guard::start(agent, user).await.map_err(Failure::Io)?;
        let addr = guard.local();
        let community = self.cfg.community.expose_secret().as_bytes().to_vec();
        let made = match self.cfg.version {
            SnmpVersion::V1 => AsyncSession::new_v1(addr, &community, id).await,
            SnmpVersion::V2c => AsyncSession::new_v2c(addr, &community, id).await,
            SnmpVersion::V3 => {
                let security = usm_security(&self.cfg).map_err(Failure::Config)?;
                AsyncSession::new_v3(addr, id, security).await
            }
        };
        let mut session = made.map_err(Failure::Io)?;
        if self.cfg.version == SnmpVersion::V3 {
            tokio::select! {
                discovered = Box::pin(session.init()) => discovered?,
                refusal = guard.refusal() => return Err(Failure::Refused(refusal)),
            }
            self.discovery_answered = true;
        }
        Ok(Box::new(Connected { session, guard }))
    }

    async fn exchange(
        session: &mut AsyncSession,
        req: &Request,
    ) -> std::result::Result<std::result::Result<(u32, u32, Varbinds), String>, snmp2::Error> {
        let result = match req {
            Request::Get(oids) => {
                let owned: std::result::Result<Vec<Oid<'static>>, String> =
                    oids.iter().map(|o| oid_of(o)).collect();
                let owned = match owned {
                    Ok(o) => o,
                    Err(e) => return Ok(Err(e)),
                };
                let refs: Vec<&Oid<'_>> = owned.iter().collect();
                let pdu = Box::pin(session.get_many(&refs)).await?;
                own_pdu(&pdu)
            }
            Request::GetNext(oid) => {
                let o = match oid_of(oid) {
                    Ok(o) => o,
                    Err(e) => return Ok(Err(e)),
                };
                let pdu = Box::pin(session.getnext(&o)).await?;
                own_pdu(&pdu)
            }
            Request::Set(vbs) => {
                let mut oids = Vec::with_capacity(vbs.len());
                for (o, _) in vbs {
                    match oid_of(o) {
                        Ok(o) => oids.push(o),
                        Err(e) => return Ok(Err(e)),
                    }
                }
                let values: Vec<(&Oid<'_>, snmp2::Value<'_>)> = oids
                    .iter()
                    .zip(vbs)
                    .map(|(o, (_, v))| {
                        let value = match v {
                            SetValue::Integer(i) => snmp2::Value::Integer(*i),
                            SetValue::OctetString(b) => snmp2::Value::OctetString(b),
                        };
                        (o, value)
                    })
                    .collect();
                let pdu = Box::pin(session.set(&values)).await?;
                own_pdu(&pdu)
            }
        };
        Ok(result)
    }

    /// [`Error::LikelyLockout`], naming what the agent said before it went silent.
    fn likely_lockout(&self, seen: &str) -> Error {
        Error::LikelyLockout {
            host: self.cfg.host.clone(),
            port: self.cfg.port,
            user: self.cfg.user.clone(),
            seen: seen.into(),
        }
    }

    /// The error for a request whose last try got no answer.
    async fn timeout_error(&self, at: &Attempts) -> Error {
        let c = &self.cfg;
        let tries = at.tries;
        if c.version == SnmpVersion::V3
            && self.auth_refused.load(std::sync::atomic::Ordering::Relaxed)
        {
            return self.likely_lockout("usmStatsWrongDigests earlier");
        }
        if let Some(detail) = &at.malformed {
            // Something came back, but nothing that could be read: say what.
            return self.protocol(format!(
                "{detail}; {} of {tries} answers could not be decoded, the others never came",
                at.malformed_count
            ));
        }
        if self.answered {
            return Error::Timeout {
                host: c.host.clone(),
                port: c.port,
                tries,
                timeout: c.timeout,
                hint: "and that the agent is still running: it answered earlier requests with these settings and then stopped (agent hung or rebooting, or the network dropped)".into(),
            };
        }
        let hint = match c.version {
            SnmpVersion::V1 | SnmpVersion::V2c => format!(
                "and the community string (--community) and --snmp-version {}: agents ignore requests with a wrong community, requests from an address their access list does not allow and, on some PDUs, every request from an address for a while after failed logins (a lockout)",
                c.version
            ),
            SnmpVersion::V3 if self.discovery_answered && c.privacy.is_some() => {
                // Silence after discovery is how net-snmp answers a request it cannot
                // decrypt; ask the agent before blaming the privacy key.
                match probe::diagnose(c, &self.keys).await {
                    Diagnosis::DecryptionError => {
                        return Error::DecryptionError {
                            user: c.user.clone(),
                            privacy: priv_name(c.privacy).into(),
                            detail: format!(
                                " (it answered engine discovery, then ignored {tries} encrypted requests; a probe signed with the authentication key was not refused for its digest, and got no answer or a decryption error)"
                            ),
                        };
                    }
                    Diagnosis::UserKnown => {
                        "and that the agent is not overloaded: it answered engine discovery and a diagnostic request encrypted with these keys, but not the request itself".into()
                    }
                    Diagnosis::NoAnswer | Diagnosis::Other(_) => {
                        "and the SNMPv3 settings: the agent answered engine discovery but not the request".into()
                    }
                    definite => return self.diagnosis_error(definite, "the agent did not answer"),
                }
            }
            SnmpVersion::V3 if self.discovery_answered => {
                "and the SNMPv3 settings: the agent answered engine discovery but not the request".into()
            }
            SnmpVersion::V3 => "and that the agent speaks SNMPv3 (engine discovery got no answer)".into(),
        };
        Error::Timeout {
            host: c.host.clone(),
            port: c.port,
            tries,
            timeout: c.timeout,
            hint,
        }
    }

    /// The error for what the diagnosis probe found.
    fn diagnosis_error(&self, diagnosis: Diagnosis, fallback: &str) -> Error {
        let c = &self.cfg;
        match diagnosis {
            Diagnosis::UnknownUser => Error::UnknownUserName { user: c.user.clone() },
            Diagnosis::WrongDigest => {
                self.auth_refused.store(true, std::sync::atomic::Ordering::Relaxed);
                Error::WrongDigest { user: c.user.clone(), auth: auth_name(c.auth).into() }
            }
            Diagnosis::UnsupportedSecLevel => {
                Error::UnsupportedSecurityLevel { user: c.user.clone(), level: c.security_level().to_string() }
            }
            Diagnosis::UnknownContext => Error::UnknownContext { context: c.context.clone() },
            Diagnosis::NotInTimeWindow { boots } if boots >= i64::from(i32::MAX) => Error::NotInTimeWindow {
                boots_hint: format!("{boots}, the maximum"),
                advice: LOCKED_ADVICE.into(),
            },
            Diagnosis::NotInTimeWindow { boots } => Error::NotInTimeWindow {
                boots_hint: boots.to_string(),
                advice: NOT_IN_TIME_WINDOW_ADVICE.into(),
            },
            Diagnosis::DecryptionError => Error::DecryptionError {
                user: c.user.clone(),
                privacy: priv_name(c.privacy).into(),
                detail: " (the authentication key is right: a probe signed with it passed the agent's digest check)".into(),
            },
            Diagnosis::EmptyReport => Error::AuthenticationFailed {
                user: c.user.clone(),
                detail: format!(
                    "{fallback}; the agent's Reports carry no varbind, so which usmStats counter refused the request (unknown user, wrong digest, security level, time window, decryption) cannot be told (RFC 3412 §7.1 step 3 puts it there; this agent leaves it out). Check --user, --auth/--auth-key and --priv/--priv-key against the PDU, the authentication key first"
                ),
            },
            other => {
                let found = other.describe();
                let advice = report_advice(&found, &c.host, c.port);
                Error::AuthenticationFailed {
                    user: c.user.clone(),
                    detail: format!("{fallback}; a diagnostic probe found: {found}. {advice}"),
                }
            }
        }
    }

    /// The agent refused the request with a Report that snmp2 does not show: ask the agent
    /// why with the probe (whose discovery is a fresh one). If the probe's request, sent
    /// with the same user and keys, was accepted, the refusal was about a stale engine
    /// state (engine ID, boots or time): re-discover and send once more. `None` = try again.
    async fn after_report(&mut self, fallback: &str, at: &mut Attempts) -> Option<Error> {
        self.session = None;
        let diagnosis = probe::diagnose(&self.cfg, &self.keys).await;
        tracing::debug!(?diagnosis, "the agent refused the request with a Report");
        if diagnosis == Diagnosis::UserKnown && !at.report_retried {
            at.report_retried = true;
            at.tries = at.tries.saturating_sub(1);
            return None;
        }
        // Refused, and then not even discovery is answered: the agent locked us out.
        if diagnosis == Diagnosis::NoAnswer {
            return Some(self.likely_lockout("a Report refusing the request"));
        }
        Some(self.diagnosis_error(diagnosis, fallback))
    }

    /// Send `req`, with timeout and retries; Ok(Err(refusal)) when the agent answered with an error-status.
    ///
    /// Errors: [`Error::Timeout`] (no answer after `retries + 1` tries of `timeout` each; a try
    /// that must first open a v3 session gets twice that, for discovery), [`Error::Unreachable`],
    /// [`Error::Network`], [`Error::Protocol`] (answers that cannot be read or matched),
    /// [`Error::DiscoveryFailed`], [`Error::BadConfig`] (settings snmp2 cannot honour) and, for
    /// v3, the errors of what the diagnosis probe found ([`Error::UnknownUserName`],
    /// [`Error::WrongDigest`], [`Error::DecryptionError`], [`Error::NotInTimeWindow`], ...).
    pub async fn request_raw(
        &mut self,
        req: &Request,
    ) -> Result<std::result::Result<Varbinds, AgentRefusal>> {
        let mut at = Attempts::default();
        // A SET is sent once: one that was carried out but not answered would be carried out
        // again by a blind retry (a second reboot). The caller reads the outlet back and
        // decides (`Pdu::switch`).
        let max_tries = match req {
            Request::Set(_) => 1,
            Request::Get(_) | Request::GetNext(_) => self.cfg.retries.saturating_add(1),
        };
        let per_try: Duration = self.cfg.timeout;
        loop {
            at.tries += 1;
            let needs_open = self.session.is_none();
            // Opening a v3 session is one more round trip: give it its own allowance.
            let limit = if needs_open && self.cfg.version == SnmpVersion::V3 {
                per_try * 2
            } else {
                per_try
            };
            let attempt = {
                let fut = async {
                    let mut connected = match self.session.take() {
                        Some(s) => s,
                        None => self.open().await?,
                    };
                    connected.guard.forget();
                    let Connected { session, guard } = &mut *connected;
                    let r = tokio::select! {
                        answered = Self::exchange(session, req) => answered.map_err(Failure::Snmp),
                        refusal = guard.refusal() => Err(Failure::Refused(refusal)),
                    };
                    self.learn_source(guard.answered_from_another_port());
                    self.session = Some(connected);
                    r
                };
                timeout(limit, Box::pin(fut)).await
            };
            let outcome = match attempt {
                Err(_elapsed) => {
                    // A late answer would be read as the answer to the next request: start afresh.
                    self.session = None;
                    tracing::debug!(tries = at.tries, "no answer within {:?}", per_try);
                    if at.tries >= max_tries {
                        return Err(self.timeout_error(&at).await);
                    }
                    continue;
                }
                Ok(r) => r,
            };
            match outcome {
                Ok(Ok((0, _, mut vbs))) => {
                    self.answered = true;
                    // snmp2 stops reading varbinds at a value it cannot decode (a zero-length
                    // INTEGER, `02 00`, as some Sentry3 firmware sends): the OIDs asked for
                    // and missing from the answer get [`Value::Undecodable`].
                    if let Request::Get(oids) = req {
                        for oid in oids.iter().skip(vbs.len()) {
                            vbs.push((oid.clone(), Value::Undecodable));
                        }
                    }
                    if let (Request::GetNext(oid), true) = (req, vbs.is_empty()) {
                        return Err(self.protocol(format!(
                            "the answer to GETNEXT of {} holds no varbind that could be decoded ({})",
                            oid_string(oid),
                            UNDECODABLE
                        )));
                    }
                    return Ok(Ok(vbs));
                }
                Ok(Ok((status, index, _))) => {
                    self.answered = true;
                    let oid = req.oid_at(index).unwrap_or_else(|| req.first_oid());
                    let write = matches!(req, Request::Set(_));
                    return Ok(Err(AgentRefusal { status, oid, write }));
                }
                Ok(Err(detail)) => return Err(self.protocol(detail)),
                Err(Failure::Io(e)) => return Err(self.map_io(&e)),
                Err(Failure::Config(e)) => return Err(e),
                Err(Failure::Refused(refusal)) => {
                    self.session = None;
                    match self.refused(refusal, &mut at, max_tries) {
                        Some(err) => return Err(err),
                        None => continue,
                    }
                }
                Err(Failure::Snmp(e)) => match self.classify(e, &mut at, max_tries).await {
                    Some(err) => return Err(err),
                    None => continue,
                },
            }
        }
    }

    /// What a refusal of the answer guard means: `None` = try again (a dropped answer counts
    /// as an unreadable one).
    fn refused(&self, refusal: Refusal, at: &mut Attempts, max_tries: u32) -> Option<Error> {
        let c = &self.cfg;
        match refusal {
            Refusal::Unreachable => Some(Error::Unreachable {
                host: c.host.clone(),
                port: c.port,
            }),
            Refusal::Network(detail) => Some(Error::Network {
                host: c.host.clone(),
                port: c.port,
                detail,
            }),
            Refusal::Locked => Some(Error::NotInTimeWindow {
                boots_hint: format!("{}, the maximum", crate::guard::MAX_ENGINE_BOOTS_OR_TIME),
                advice: LOCKED_ADVICE.into(),
            }),
            Refusal::Answer(detail) => {
                tracing::debug!(tries = at.tries, "{detail}");
                at.malformed_count += 1;
                at.malformed = Some(detail);
                if at.tries >= max_tries {
                    let detail = at.malformed.clone().unwrap_or_default();
                    Some(self.protocol(format!(
                        "{detail}; {} of {} answers could not be used",
                        at.malformed_count, at.tries
                    )))
                } else {
                    None
                }
            }
        }
    }

    /// Decide what an snmp2 error means: `None` = try again.
    async fn classify(
        &mut self,
        e: snmp2::Error,
        at: &mut Attempts,
        max_tries: u32,
    ) -> Option<Error> {
        use snmp2::v3::AuthErrorKind as K;
        use snmp2::Error as E;
        let c = &self.cfg;
        tracing::debug!(error = %e, "snmp2 error");
        match e {
            // Engine boots/time learnt (first request, or the agent restarted): send again,
            // then re-discover once, then give up.
            E::AuthUpdated | E::AuthFailure(K::EngineBootsMismatch | K::EngineTimeMismatch | K::EngineIdMismatch) => {
                at.resyncs += 1;
                at.tries = at.tries.saturating_sub(1);
                if at.resyncs == 3 {
                    self.session = None;
                }
                if at.resyncs > 3 {
                    return Some(Error::NotInTimeWindow {
                        boots_hint: "changed between requests".into(),
                        advice: NOT_IN_TIME_WINDOW_ADVICE.into(),
                    });
                }
                None
            }
            // An authenticated Report in clear text for an encrypted request: RFC 3414 §3.2
            // step 7 sends only notInTimeWindow that way (snmp2 hides which). Re-discover the
            // engine's boots and time and send again once; if it is refused again, ask why.
            E::AuthFailure(K::ReplyNotEncrypted) => {
                self.session = None;
                if !at.report_retried {
                    at.report_retried = true;
                    at.tries = at.tries.saturating_sub(1);
                    tracing::debug!("authenticated Report in clear text: re-synchronising");
                    return None;
                }
                let diagnosis = probe::diagnose(c, &self.keys).await;
                Some(match diagnosis {
                    // The probe, freshly synchronised, got through; what refused our request
                    // was an authenticated Report in clear text, which RFC 3414 §3.2 step 7b
                    // sends only for usmStatsNotInTimeWindows: name that, not the keys.
                    Diagnosis::UserKnown | Diagnosis::NoAnswer | Diagnosis::Other(_) => {
                        Error::NotInTimeWindow {
                            boots_hint: "unknown: the refusals came as authenticated Reports in clear text, the form RFC 3414 §3.2 step 7b gives only to usmStatsNotInTimeWindows".into(),
                            advice: NOT_IN_TIME_WINDOW_ADVICE.into(),
                        }
                    }
                    definite => self.diagnosis_error(
                        definite,
                        "the agent answered an encrypted request with a Report in clear text, again after a re-synchronisation",
                    ),
                })
            }
            // An unauthenticated Report (unknown user or engine ID, wrong digest, level,
            // decryption error): snmp2 hides which.
            E::AuthFailure(K::NotAuthenticated) if self.session.is_some() || self.discovery_answered => {
                self.after_report("the agent refused our authenticated request", at).await
            }
            E::AuthFailure(K::NotAuthenticated) => Some(Error::DiscoveryFailed {
                host: c.host.clone(),
                port: c.port,
                detail: "the answer to discovery carried no engine ID".into(),
            }),
            // An authenticated answer with engineBoots 0: snmpEngineBoots is 1..2147483647
            // (RFC 3411 §5), and snmp2 refuses to authenticate an answer from an engine at 0.
            E::AuthFailure(K::EngineBootsNotProvided) => {
                self.session = None;
                Some(self.protocol(
                    "its authenticated answers carry engineBoots 0, which SNMPv3 does not allow (RFC 3411: snmpEngineBoots is 1..2147483647) and this driver cannot authenticate; restart the PDU's SNMP agent (or reset its SNMP engine) so that engineBoots counts from 1, or use --version 2c meanwhile",
                ))
            }
            E::AuthFailure(K::KeyExtensionRequired) => Some(Error::BadConfig(format!(
                "--priv {} with --auth {} needs a key extension: use aes192/aes256 (net-snmp style) or aes192-cisco/aes256-cisco",
                priv_name(c.privacy),
                auth_name(c.auth)
            ))),
            E::AsnWrongType if c.version == SnmpVersion::V3 => {
                // A Report instead of a Response (unknown context, …).
                self.after_report("the agent answered with a Report instead of a Response", at).await
            }
            // An answer that cannot be read (cut short, corrupted, or failing our HMAC check,
            // which the agent's own answer does only when damaged: a wrong key of ours gets a
            // wrongDigest Report, not a Response): as good as lost. Try again on a new socket
            // (and, for v3, a fresh discovery: snmp2 may have taken the engine time from it).
            E::AsnParse
            | E::AsnInvalidLen
            | E::AsnWrongType
            | E::AsnUnsupportedType
            | E::AsnEof
            | E::AsnIntOverflow
            | E::UnsupportedVersion
            | E::ValueOutOfRange
            | E::BufferOverflow
            | E::Crypto(_)
            | E::AuthFailure(K::SignatureMismatch | K::PrivLengthMismatch | K::PayloadLengthMismatch) => {
                self.session = None;
                let detail = match e {
                    E::AuthFailure(K::SignatureMismatch) => {
                        "an answer failed the HMAC check with our authentication key (damaged on the way, or not from this agent)".to_string()
                    }
                    other => format!("a malformed answer ({other})"),
                };
                tracing::debug!(tries = at.tries, "{detail}");
                at.malformed_count += 1;
                at.malformed = Some(detail);
                if at.tries >= max_tries {
                    let detail = at.malformed.clone().unwrap_or_default();
                    Some(self.protocol(format!(
                        "{detail}; {} of {} answers could not be decoded",
                        at.malformed_count, at.tries
                    )))
                } else {
                    None
                }
            }
            E::Receive => {
                self.session = None;
                Some(Error::Unreachable { host: c.host.clone(), port: c.port })
            }
            E::RequestIdMismatch | E::CommunityMismatch => {
                // A stale answer to an earlier (timed-out) request: new socket, count it as a try.
                self.session = None;
                if at.tries >= max_tries {
                    Some(self.protocol(format!("{e}: answers do not match requests")))
                } else {
                    None
                }
            }
            E::Send => {
                self.session = None;
                Some(Error::Network { host: c.host.clone(), port: c.port, detail: "cannot send the request".into() })
            }
            other => {
                self.session = None;
                Some(self.protocol(other.to_string()))
            }
        }
    }

    /// Send `req`; an error-status becomes [`Error::AgentError`].
    pub async fn request(&mut self, req: &Request) -> Result<Varbinds> {
        self.request_raw(req)
            .await?
            .map_err(AgentRefusal::into_error)
    }

    /// GET `oids` in one request; an error-status becomes [`Error::AgentError`], and the other
    /// errors are those of [`Transport::request_raw`].
    pub async fn get(&mut self, oids: Vec<Vec<u32>>) -> Result<Varbinds> {
        self.request(&Request::Get(oids)).await
    }

    /// GET one OID; a v1 noSuchName becomes `Value::NoSuchObject`.
    pub async fn get_one(&mut self, oid: &[u32]) -> Result<Value> {
        match self.request_raw(&Request::Get(vec![oid.to_vec()])).await? {
            Ok(vbs) => Ok(vbs
                .into_iter()
                .next()
                .map_or(Value::NoSuchObject, |(_, v)| v)),
            Err(r) if r.status == 2 => Ok(Value::NoSuchObject),
            Err(r) => Err(r.into_error()),
        }
    }

    /// Every (oid, value) below `column`, by GETNEXT, up to [`Config::max_walk_bytes`] and
    /// [`crate::config::MAX_WALK_ROWS`] rows.
    ///
    /// Errors: those of [`Transport::request_raw`], [`Error::AgentError`] for an error-status
    /// (but noSuchName, v1's end of the MIB), [`Error::Protocol`] for a GETNEXT that does not
    /// advance, [`Error::WalkTooLarge`] when the column goes on past the limits.
    pub async fn walk(&mut self, column: &[u32]) -> Result<Varbinds> {
        let mut out = Vec::new();
        let mut cursor = column.to_vec();
        let mut bytes = 0usize;
        loop {
            let next = match self.request_raw(&Request::GetNext(cursor.clone())).await? {
                Ok(vbs) => vbs.into_iter().next(),
                Err(r) if r.status == 2 => None, // v1 end of MIB
                Err(r) => return Err(r.into_error()),
            };
            let Some((oid, value)) = next else { break };
            if !oid.starts_with(column) || value.is_missing() {
                break;
            }
            if oid <= cursor {
                return Err(self.protocol(format!(
                    "GETNEXT of {} returned {}, which does not come after it",
                    oid_string(&cursor),
                    oid_string(&oid)
                )));
            }
            bytes = bytes.saturating_add(walked_bytes(&oid, &value));
            if bytes > self.cfg.max_walk_bytes || out.len() >= crate::config::MAX_WALK_ROWS {
                return Err(Error::WalkTooLarge {
                    column: oid_string(column),
                    rows: out.len(),
                    bytes,
                    max_bytes: self.cfg.max_walk_bytes,
                    max_rows: crate::config::MAX_WALK_ROWS,
                });
            }
            cursor.clone_from(&oid);
            out.push((oid, value));
        }
        Ok(out)
    }

    /// SET every varbind in one request. An error-status comes back as `Ok(Err(refusal))` so
    /// that the caller can tell a missing outlet (noSuchName, noCreation) from other refusals;
    /// the errors are those of [`Transport::request_raw`].
    pub async fn set(
        &mut self,
        vbs: Vec<(Vec<u32>, SetValue)>,
    ) -> Result<std::result::Result<Varbinds, AgentRefusal>> {
        self.request_raw(&Request::Set(vbs)).await
    }
}

/// What to check after a Report naming the counter found in `found` (a probe's description,
/// [`Diagnosis::describe`]), by what that counter means: RFC 3414 §3.2 for the usmStats
/// counters, RFC 3412 §7.2 and §4.2.2.1 and RFC 3413 §3.2 for the others. The usmStats
/// counters with a [`Diagnosis`] of their own never come here; a Report naming no known
/// counter gets the keys-and-user advice.
fn report_advice(found: &str, host: &str, port: u16) -> String {
    use snmp_proto::report::{ReportReason, UsmFailure};
    let reason = ReportReason::ALL
        .into_iter()
        .find(|r| found.contains(r.name()));
    match reason {
        Some(ReportReason::Usm(UsmFailure::UnknownEngineId)) => format!(
            "The agent does not take the snmpEngineID the request carried (learnt by discovery just before) as its own (RFC 3414 §3.2 step 3): the user and keys are not the cause. Its engine ID changes between requests (an SNMP engine reset or reconfigured while in use), or more than one agent answers at {host}:{port} (a NAT, proxy or load balancer passing requests to different agents, or PDUs sharing one address): make sure one agent with one engine ID answers there (net-snmp's `snmpget -v3 -d` shows the engine ID of each answer), then retry"
        ),
        Some(ReportReason::Usm(UsmFailure::UnknownUserName)) => {
            "Check --user (case matters) against the PDU's SNMPv3 users".into()
        }
        Some(ReportReason::Usm(UsmFailure::WrongDigest)) => {
            "Check --auth and --auth-key against the PDU".into()
        }
        Some(ReportReason::Usm(UsmFailure::DecryptionError)) => {
            "Check --priv and --priv-key against the PDU (the authentication is right)".into()
        }
        Some(ReportReason::Usm(UsmFailure::UnsupportedSecLevel)) => {
            "Check --security-level, --auth and --priv against the levels the PDU gives this user".into()
        }
        Some(ReportReason::Usm(UsmFailure::NotInTimeWindow)) => {
            "The agent's engineBoots or engineTime keeps changing (RFC 3414 §3.2 step 7): check the PDU's uptime and clock, and retry once it is stable".into()
        }
        Some(ReportReason::UnknownSecurityModel) => {
            "The agent does not run the User-based Security Model the request uses (RFC 3412 §7.2 step 4): the user and keys are not the cause; enable SNMPv3 (USM) on the PDU, or use --snmp-version 2c".into()
        }
        Some(ReportReason::InvalidMsg) => {
            "The agent found the message header inconsistent (RFC 3412 §7.2 step 5: msgFlags asking for privacy without authentication, or not matching the security model): not a wrong key; try another --security-level, and report it as an interoperability fault of the agent".into()
        }
        Some(ReportReason::UnknownPduHandler) => {
            "No application in the agent takes this kind of request (RFC 3412 §4.2.2.1): the user and keys are not the cause; check that the PDU has SNMP writes (or this request type) enabled".into()
        }
        Some(ReportReason::UnavailableContext) => {
            "The agent knows the context but cannot serve it now (RFC 3413 §3.2 step 3): retry later, or check --context".into()
        }
        Some(ReportReason::UnknownContext) => "Check --context against the PDU's contexts".into(),
        None => {
            "Check --user, --auth/--auth-key and --priv/--priv-key against the PDU".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_advice_follows_the_counter() {
        let engine = report_advice(
            "a Report naming usmStatsUnknownEngineIDs (.1.3.6.1.6.3.15.1.1.4.0)",
            "10.0.0.5",
            161,
        );
        assert!(
            engine.contains("RFC 3414 §3.2 step 3")
                && engine.contains("engine ID")
                && engine.contains("10.0.0.5:161")
                && engine.contains("not the cause")
                && !engine.contains("--auth-key"),
            "{engine}"
        );
        let model = report_advice("a Report naming snmpUnknownSecurityModels (.1.3)", "h", 1);
        assert!(model.contains("--snmp-version 2c"), "{model}");
        let other = report_advice("a Report naming .1.3.6.1.4.1.9.9", "h", 1);
        assert!(other.contains("--auth/--auth-key"), "{other}");
        // Every counter gets advice of its own, none the keys-and-user fallback.
        for reason in snmp_proto::report::ReportReason::ALL {
            let advice = report_advice(&format!("a Report naming {reason} (.1)"), "h", 1);
            assert_ne!(advice, other, "{reason}");
        }
    }

    #[test]
    fn oid_conversion_round_trip() {
        let arcs = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1, 3];
        let oid = oid_of(&arcs).expect("valid");
        assert_eq!(arcs_of(&oid), Some(arcs));
        assert!(oid_of(&[9, 99]).is_err());
    }

    #[test]
    fn refusal_names_status_and_oid() {
        let req = Request::Set(vec![(
            snmp_proto::oids::SYS_DESCR.to_vec(),
            SetValue::Integer(1),
        )]);
        assert_eq!(req.oid_at(1).as_deref(), Some(".1.3.6.1.2.1.1.1.0"));
        assert_eq!(req.oid_at(0), None);
        let e = AgentRefusal {
            status: 17,
            oid: ".1.3.6.1.2.1.1.1.0".into(),
            write: true,
        }
        .into_error();
        assert!(e.to_string().contains("notWritable"), "{e}");
        // authorizationError: for a SET, write access; for a read, read access.
        let refusal = |write| {
            AgentRefusal {
                status: 16,
                oid: ".1.3.6.1.2.1.1.1.0".into(),
                write,
            }
            .into_error()
            .to_string()
        };
        assert!(refusal(true).contains("write access"), "{}", refusal(true));
        let read = refusal(false);
        assert!(
            read.contains("may not read") && !read.contains("write access"),
            "{read}"
        );
    }

    #[test]
    fn values() {
        assert_eq!(Value::Counter32(5).as_i64(), Some(5));
        assert!(Value::NoSuchInstance.is_missing());
        assert_eq!(
            Value::OctetString(b"a".to_vec()).as_text().as_deref(),
            Some("a")
        );
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable_not_a_timeout() {
        // Bind and drop to find a port that is very likely closed.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let mut cfg = Config::new("127.0.0.1");
        cfg.port = port;
        cfg.retries = 0;
        let mut t = Transport::new(cfg);
        let r = t.get(vec![snmp_proto::oids::SYS_DESCR.to_vec()]).await;
        assert!(
            matches!(
                r,
                Err(Error::Unreachable { .. }) | Err(Error::Timeout { .. })
            ),
            "{r:?}"
        );
    }
}
