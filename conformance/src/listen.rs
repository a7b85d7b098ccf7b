//! `pdu-conformance listen`: a trap and inform receiver for checking what a PDU (real or
//! simulated) sends. It decodes and prints every notification — SNMPv1 Trap-PDUs, SNMPv2c and
//! SNMPv3 traps and informs — and acknowledges informs with a Response.
//!
//! For SNMPv3 it is a notification receiver as RFC 3414 and RFC 3413 describe it:
//! - traps: the sender's engine is authoritative; the user's keys are localized to the
//!   msgAuthoritativeEngineID the trap carries (no time window: the receiver cannot know the
//!   sender's clock);
//! - informs: this receiver's engine is authoritative. It answers discovery probes with a
//!   usmStatsUnknownEngineIDs Report carrying its engine ID, boots and time (§4), checks the
//!   time window (an authenticated usmStatsNotInTimeWindows Report when outside), and sends
//!   usmStatsUnknownUserNames, usmStatsWrongDigests or usmStatsDecryptionErrors Reports as an
//!   agent would.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Instant;

use pdusim::config::{user_from_flag, UserConfig};
use snmp_proto::report::UsmFailure;
use snmp_proto::usm::protect::{authenticate, decrypt, protect, OutgoingMessage};
use snmp_proto::usm::{MasterKeyCache, SecurityLevel, UsmUser};
use snmp_proto::{
    decode_message, decode_scoped_pdu, encode_community_message, oids, Message, Oid, Pdu, PduType,
    ScopedPduData, V3Message, Value, VarBind, Version, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE,
};

/// The flags of `pdu-conformance listen`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance listen --port 1162
  pdu-conformance listen --port 1162 --user ops:sha:opsauth123:aes:opspriv123
  pdusim serve --notify 127.0.0.1:1162 --notify-inform --notify-user ops:sha:opsauth123:aes:opspriv123

Every notification is printed on one line; informs are acknowledged. v1/v2c notifications are
accepted with any community unless --community is given. SNMPv3 users are given as for pdusim
(NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]); informs are sent to this receiver's engine (printed at
start), traps under the sender's engine.")]
pub struct ListenArgs {
    /// The UDP port to listen on (162 needs privileges).
    #[arg(long, default_value_t = 1162)]
    pub port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// Accept v1/v2c notifications only with this community (repeatable; default: any).
    #[arg(long = "community", value_name = "NAME")]
    pub communities: Vec<String>,
    /// An SNMPv3 user, NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]] (repeatable).
    #[arg(long = "user", value_name = "NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]")]
    pub users: Vec<String>,
    /// This receiver's snmpEngineID in hex (default: made up at start).
    #[arg(long, value_name = "HEX")]
    pub engine_id: Option<String>,
    /// Stop after this many notifications.
    #[arg(long)]
    pub count: Option<u64>,
    /// Print each notification as a JSON object instead of a line.
    #[arg(long)]
    pub json: bool,
}

/// Why the receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// A `--user` flag is wrong (its text is never repeated: it holds passwords).
    #[error("{0}")]
    User(String),
    /// `--engine-id` is not 5 to 32 octets of hex.
    #[error("--engine-id: {0}")]
    EngineId(String),
    /// The socket could not be bound or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One notification as it arrived.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Notification {
    /// The sender's address.
    pub from: SocketAddr,
    /// `v1`, `v2c` or `v3`.
    pub version: &'static str,
    /// `trap` or `inform`.
    pub kind: &'static str,
    /// `community NAME` or `user NAME (securityLevel)`.
    pub security: String,
    /// sysUpTime.0 (SNMPv2) or time-stamp (SNMPv1), hundredths of a second.
    pub up_time: Option<u32>,
    /// snmpTrapOID.0, or for SNMPv1 the RFC 3584 §3.1 translation of enterprise and trap numbers.
    pub trap_oid: Option<String>,
    /// SNMPv1: agent-addr.
    pub agent_addr: Option<String>,
    /// The other varbinds: OID and value as text.
    pub varbinds: Vec<(String, String)>,
    /// An inform answered with a Response.
    pub acknowledged: bool,
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} from {} ({})",
            self.version, self.kind, self.from, self.security
        )?;
        if let Some(t) = self.up_time {
            write!(f, " uptime {t}")?;
        }
        if let Some(o) = &self.trap_oid {
            write!(f, " {o}")?;
        }
        if let Some(a) = &self.agent_addr {
            write!(f, " agent {a}")?;
        }
        for (oid, value) in &self.varbinds {
            write!(f, " | {oid} = {value}")?;
        }
        if self.acknowledged {
            f.write_str(" [acknowledged]")?;
        }
        Ok(())
    }
}

/// A user this receiver knows, with its keys localized per engine as needed.
struct User {
    config: UserConfig,
}

/// The receiver: a UDP socket, this engine's identity, the users and their localized keys.
pub struct Receiver {
    socket: UdpSocket,
    engine_id: Vec<u8>,
    boots: i32,
    started: Instant,
    communities: Vec<String>,
    users: Vec<User>,
    keys: MasterKeyCache,
    localized: HashMap<(Vec<u8>, String), std::sync::Arc<UsmUser>>,
    salt: u64,
    buffers: (Vec<u8>, Vec<u8>),
}

/// How far an inform's msgAuthoritativeEngineTime may be from this engine's (RFC 3414 §3.2
/// step 7a), in seconds.
const TIME_WINDOW: i32 = 150;

impl Receiver {
    /// Binds `addr` (port 0: the system picks one) with these communities (empty: any) and
    /// users (`NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]`).
    ///
    /// Errors: a bad user or engine ID, or the socket cannot be bound.
    pub fn bind(
        addr: SocketAddr,
        communities: Vec<String>,
        users: &[String],
        engine_id: Option<&str>,
    ) -> Result<Receiver, ListenError> {
        let users = users
            .iter()
            .map(|u| {
                user_from_flag(u)
                    .map(|config| User { config })
                    .map_err(|e| ListenError::User(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let engine_id = match engine_id {
            Some(text) => pdusim::engine::parse_engine_id(text)
                .map_err(|e| ListenError::EngineId(e.to_string()))?,
            // Enterprise 8072 (net-snmp), format 5 (octets), random bytes.
            None => pdusim::engine::generate_engine_id(8072),
        };
        let socket = UdpSocket::bind(addr)?;
        let salt = getrandom::u64().unwrap_or(0x5eed);
        Ok(Receiver {
            socket,
            engine_id,
            boots: 1,
            started: Instant::now(),
            communities,
            users,
            keys: MasterKeyCache::default(),
            localized: HashMap::new(),
            salt,
            buffers: (Vec::new(), Vec::new()),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// This receiver's snmpEngineID (informs are sent to it).
    pub fn engine_id(&self) -> &[u8] {
        &self.engine_id
    }

    /// Sets how long [`Receiver::receive`] waits for a datagram (`None`: forever).
    pub fn set_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        self.socket.set_read_timeout(timeout)
    }

    fn engine_time(&self) -> i32 {
        i32::try_from(self.started.elapsed().as_secs()).unwrap_or(i32::MAX)
    }

    /// Waits for the next notification, answering discovery probes, informs and errors on the
    /// way. Datagrams that are not notifications (or fail the checks) are not returned.
    ///
    /// Errors: the socket's (a timeout set with [`Receiver::set_timeout`] included).
    pub fn receive(&mut self) -> std::io::Result<Notification> {
        let mut buf = vec![0u8; 65535];
        loop {
            let (len, from) = self.socket.recv_from(&mut buf)?;
            let datagram = buf.get(..len).unwrap_or_default().to_vec();
            if let Some(n) = self.handle(&datagram, from)? {
                return Ok(n);
            }
        }
    }

    fn handle(
        &mut self,
        datagram: &[u8],
        from: SocketAddr,
    ) -> std::io::Result<Option<Notification>> {
        let Ok(message) = decode_message(datagram) else {
            eprintln!("listen: a malformed datagram from {from}, dropped");
            return Ok(None);
        };
        match message {
            Message::Community(m) => {
                let community = String::from_utf8_lossy(m.community).into_owned();
                if !self.communities.is_empty() && !self.communities.contains(&community) {
                    eprintln!("listen: unknown community from {from}, dropped");
                    return Ok(None);
                }
                let version = if m.version == Version::V1 {
                    "v1"
                } else {
                    "v2c"
                };
                let mut n = notification(&m.pdu, from, version, format!("community {community}"));
                if n.is_none() {
                    return Ok(None);
                }
                if m.pdu.pdu_type == PduType::InformRequest {
                    let response = response_to(&m.pdu);
                    let mut out = Vec::new();
                    encode_community_message(&mut out, m.version, m.community, &response);
                    self.socket.send_to(&out, from)?;
                    if let Some(n) = &mut n {
                        n.acknowledged = true;
                    }
                }
                Ok(n)
            }
            Message::V3(m) => self.handle_v3(datagram, &m, from),
        }
    }

    fn keys(&mut self, engine_id: &[u8], name: &str) -> Option<std::sync::Arc<UsmUser>> {
        let key = (engine_id.to_vec(), name.to_string());
        if let Some(u) = self.localized.get(&key) {
            return Some(u.clone());
        }
        let user = self.users.iter().find(|u| u.config.name == name)?;
        let c = &user.config;
        let localized = UsmUser::localize(
            name.as_bytes(),
            c.auth.zip(c.auth_password.as_ref()),
            c.privacy.zip(c.priv_password.as_ref()),
            engine_id,
            &self.keys,
        )
        .ok()?;
        let localized = std::sync::Arc::new(localized);
        self.localized.insert(key, localized.clone());
        Some(localized)
    }

    fn handle_v3(
        &mut self,
        datagram: &[u8],
        m: &V3Message<'_>,
        from: SocketAddr,
    ) -> std::io::Result<Option<Notification>> {
        let reportable = m.msg_flags & FLAG_REPORTABLE != 0;
        let ours = m.usm.engine_id == self.engine_id.as_slice();
        // RFC 3414 §4: a probe (or an inform to an engine we are not) learns our engine.
        if m.usm.engine_id.is_empty() || (reportable && !ours) {
            if reportable {
                self.report(m, UsmFailure::UnknownEngineId, None, from)?;
            }
            return Ok(None);
        }
        let name = String::from_utf8_lossy(m.usm.user_name).into_owned();
        let Some(user) = self.keys(m.usm.engine_id, &name) else {
            eprintln!("listen: unknown user {name:?} from {from}");
            if reportable {
                self.report(m, UsmFailure::UnknownUserName, None, from)?;
            }
            return Ok(None);
        };
        let level = SecurityLevel::from_flags(m.msg_flags).unwrap_or(SecurityLevel::NoAuthNoPriv);
        if level > user.key_level() {
            if reportable {
                self.report(m, UsmFailure::UnsupportedSecLevel, None, from)?;
            }
            return Ok(None);
        }
        if m.msg_flags & FLAG_AUTH != 0 && !authenticate(&user, datagram, m) {
            eprintln!("listen: wrong digest from {from} (user {name:?})");
            if reportable {
                self.report(m, UsmFailure::WrongDigest, None, from)?;
            }
            return Ok(None);
        }
        if ours && m.msg_flags & FLAG_AUTH != 0 {
            let in_window = m.usm.engine_boots == self.boots
                && (m.usm.engine_time - self.engine_time()).abs() <= TIME_WINDOW;
            if !in_window {
                if reportable {
                    self.report(m, UsmFailure::NotInTimeWindow, Some(&user), from)?;
                }
                return Ok(None);
            }
        }
        let scoped_bytes;
        let scoped = match &m.data {
            ScopedPduData::Plaintext(s) => s.clone(),
            ScopedPduData::Encrypted(_) if m.msg_flags & FLAG_PRIV != 0 => {
                scoped_bytes = match decrypt(&user, m) {
                    Ok(b) => b,
                    Err(_) => {
                        if reportable {
                            self.report(m, UsmFailure::DecryptionError, None, from)?;
                        }
                        return Ok(None);
                    }
                };
                match decode_scoped_pdu(&scoped_bytes) {
                    Ok(s) => s,
                    Err(_) => {
                        if reportable {
                            self.report(m, UsmFailure::DecryptionError, None, from)?;
                        }
                        return Ok(None);
                    }
                }
            }
            ScopedPduData::Encrypted(_) => return Ok(None),
        };
        let security = format!("user {name} ({level})");
        let mut n = notification(&scoped.pdu, from, "v3", security);
        if n.is_some() && scoped.pdu.pdu_type == PduType::InformRequest && ours {
            let response = response_to(&scoped.pdu);
            let salt = self.next_salt();
            let how = OutgoingMessage {
                msg_id: m.msg_id,
                msg_max_size: 65507,
                reportable: false,
                level,
                user: Some(&user),
                user_name: m.usm.user_name,
                engine_id: &self.engine_id,
                engine_boots: self.boots,
                engine_time: self.engine_time(),
                context_engine_id: scoped.context_engine_id,
                context_name: scoped.context_name,
                salt,
            };
            let mut out = Vec::new();
            protect(&mut out, &mut self.buffers.1, &how, &response);
            self.socket.send_to(&out, from)?;
            if let Some(n) = &mut n {
                n.acknowledged = true;
            }
        }
        Ok(n)
    }

    fn next_salt(&mut self) -> u64 {
        self.salt = self.salt.wrapping_add(1);
        self.salt
    }

    /// A Report with usmStats `failure` (RFC 3414 §3.2), authenticated with `signed` when given
    /// (notInTimeWindow), else at noAuthNoPriv.
    fn report(
        &mut self,
        m: &V3Message<'_>,
        failure: UsmFailure,
        signed: Option<&UsmUser>,
        to: SocketAddr,
    ) -> std::io::Result<()> {
        let mut counter = oids::USM_STATS.to_vec();
        counter.extend([failure.arc(), 0]);
        let pdu = Pdu {
            pdu_type: PduType::Report,
            request_id: 0,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: Oid(counter),
                value: Value::Counter32(1),
            }],
            trap_v1: None,
        };
        let how = OutgoingMessage {
            msg_id: m.msg_id,
            msg_max_size: 65507,
            reportable: false,
            level: if signed.is_some() {
                SecurityLevel::AuthNoPriv
            } else {
                SecurityLevel::NoAuthNoPriv
            },
            user: signed,
            user_name: m.usm.user_name,
            engine_id: &self.engine_id,
            engine_boots: self.boots,
            engine_time: self.engine_time(),
            context_engine_id: &self.engine_id,
            context_name: b"",
            salt: 0,
        };
        let mut out = Vec::new();
        protect(&mut out, &mut self.buffers.0, &how, &pdu);
        self.socket.send_to(&out, to)?;
        Ok(())
    }
}

/// The Response acknowledging an inform: same request-id and varbinds (RFC 3416 §4.2.7).
fn response_to(inform: &Pdu<'_>) -> Pdu<'static> {
    Pdu {
        pdu_type: PduType::Response,
        request_id: inform.request_id,
        error_status: 0,
        error_index: 0,
        varbinds: inform
            .varbinds
            .iter()
            .map(|vb| VarBind {
                oid: vb.oid.clone(),
                value: vb.value.clone().into_owned(),
            })
            .collect(),
        trap_v1: None,
    }
}

/// The notification a PDU carries, or `None` for any other PDU type.
fn notification(
    pdu: &Pdu<'_>,
    from: SocketAddr,
    version: &'static str,
    security: String,
) -> Option<Notification> {
    let kind = match pdu.pdu_type {
        PduType::TrapV1 | PduType::SnmpV2Trap => "trap",
        PduType::InformRequest => "inform",
        _ => return None,
    };
    let mut n = Notification {
        from,
        version,
        kind,
        security,
        up_time: None,
        trap_oid: None,
        agent_addr: None,
        varbinds: Vec::new(),
        acknowledged: false,
    };
    if let Some(h) = &pdu.trap_v1 {
        n.up_time = Some(h.time_stamp);
        n.agent_addr = Some(std::net::Ipv4Addr::from(h.agent_addr).to_string());
        // RFC 3584 §3.1: generic traps are snmpTraps.(generic+1), enterprise-specific ones
        // enterprise.0.specific.
        n.trap_oid = Some(if h.generic_trap == 6 {
            format!("{}.0.{}", h.enterprise, h.specific_trap)
        } else {
            format!(
                "{}.{}",
                Oid::new(oids::SNMP_TRAPS),
                h.generic_trap.saturating_add(1)
            )
        });
    }
    for vb in &pdu.varbinds {
        match (vb.oid.arcs(), &vb.value) {
            (a, Value::TimeTicks(t)) if a == oids::SYS_UP_TIME => n.up_time = Some(*t),
            (a, Value::ObjectId(o)) if a == oids::SNMP_TRAP_OID => n.trap_oid = Some(o.to_string()),
            _ => n.varbinds.push((vb.oid.to_string(), value_text(&vb.value))),
        }
    }
    Some(n)
}

/// A value as text: `INTEGER: 3`, `STRING: "x"`, `OID: 1.3...`, `Hex-STRING: 80 00`.
pub fn value_text(v: &Value<'_>) -> String {
    match v {
        Value::Integer(i) => format!("INTEGER: {i}"),
        Value::OctetString(s) if s.iter().all(|b| b.is_ascii_graphic() || *b == b' ') => {
            format!("STRING: {:?}", String::from_utf8_lossy(s))
        }
        Value::OctetString(s) | Value::Opaque(s) => format!(
            "Hex-STRING: {}",
            s.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Value::ObjectId(o) => format!("OID: {o}"),
        Value::Null => "NULL".into(),
        Value::IpAddress(a) => format!("IpAddress: {}", std::net::Ipv4Addr::from(*a)),
        Value::Counter32(c) => format!("Counter32: {c}"),
        Value::Gauge32(g) => format!("Gauge32: {g}"),
        Value::TimeTicks(t) => format!("Timeticks: {t}"),
        Value::Counter64(c) => format!("Counter64: {c}"),
        Value::NoSuchObject => "noSuchObject".into(),
        Value::NoSuchInstance => "noSuchInstance".into(),
        Value::EndOfMibView => "endOfMibView".into(),
        Value::Other { contents, .. } => format!(
            "{}: {}",
            v.type_name(),
            contents
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Runs `pdu-conformance listen` until `--count` notifications arrived (or forever).
pub fn run(args: ListenArgs) -> Result<ExitCode, ListenError> {
    let mut receiver = Receiver::bind(
        SocketAddr::new(args.address, args.port),
        args.communities.clone(),
        &args.users,
        args.engine_id.as_deref(),
    )?;
    eprintln!(
        "listening on {} (snmpEngineID {} for informs); Ctrl-C to stop",
        receiver.local_addr()?,
        receiver
            .engine_id()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mut seen = 0u64;
    while args.count.map_or(true, |c| seen < c) {
        let n = receiver.receive()?;
        seen = seen.saturating_add(1);
        if args.json {
            println!("{}", serde_json::to_string(&n).unwrap_or_default());
        } else {
            println!("{n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
