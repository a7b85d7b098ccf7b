//! The answer guard: a relay on loopback between snmp2's session socket and the agent, so that
//! every answer is read with `snmp-proto` and checked before snmp2 sees it.
//!
//! snmp2 takes an SNMPv3 answer's msgAuthoritativeEngineBoots and msgAuthoritativeEngineTime
//! into its session state before it checks the answer's MAC (and from unauthenticated Reports
//! at any time), as 64-bit numbers it later adds to and subtracts from without overflow checks:
//! an agent (or anyone who can send from its address) answering with boots or time near the
//! 64-bit limits makes it panic, and out-of-range values desynchronise the session. snmp2 does
//! not compare msgID with the request's either. The guard hands snmp2 only answers that
//!
//! - decode as SNMP (`snmp_proto::decode_message`), in the version of the request;
//! - for SNMPv3: carry the request's msgID (RFC 3412 §7.2.10), msgSecurityModel USM (3), an
//!   engine ID of 5 to 32 octets (RFC 3411 `SnmpEngineID`; an empty one, as in a discovery
//!   Report without one, is left to snmp2, which refuses it), engineBoots and engineTime within
//!   0..2147483647 (RFC 3414 §2.2), privacy only with authentication, and, when flagged
//!   authenticated, a MAC that verifies with the user's key (RFC 3414 §3.2 step 6).
//!
//! An answer that fails is dropped and reported to the transport, which ends the try with an
//! error naming what was wrong. A second copy of an answer already passed on, and late answers
//! to earlier requests of the session, are dropped without a word (RFC 3412 §7.2.10). An agent
//! whose engineBoots is 2147483647 is locked out of authenticated SNMPv3 (RFC 3414 §2.2.2) and
//! reported as such. SNMPv1/v2c answers from the agent's port pass as they are (snmp2
//! range-checks those), and "port unreachable" from the agent's host is reported.
//!
//! # Answers from another source port
//!
//! Some agents answer from the agent's address but from another UDP port than the one the
//! request went to (a multi-homed agent, or a NAT or firewall in front of it: quirk 28 of
//! `docs/QUIRKS.md`). The guard talks to the agent through two sockets that share one local
//! address and port (`SO_REUSEPORT`):
//!
//! - a socket *connected* to the agent's address and port sends every request and receives the
//!   answers from that port; being connected, it also receives ICMP "port unreachable", which
//!   becomes [`Refusal::Unreachable`];
//! - an unconnected socket receives every other datagram to that port: Linux gives a datagram
//!   to the connected socket of a `SO_REUSEPORT` group when its source is the connected peer
//!   (the most specific match) and to the unconnected one otherwise
//!   (`tests::the_kernel_sorts_answers_by_source` checks this).
//!
//! The source of every datagram is read, on both sockets (so the rules hold even where a kernel
//! sorted one differently). A datagram from any other IP address than the agent's is dropped. A
//! datagram from the agent's address but another port is taken for an answer only when it
//! decodes, is in the request's version, and carries the ID of the request in flight (msgID for
//! SNMPv3; request-id for SNMPv1/v2c, whose PDU must also be a Response); then it passes every
//! check above, like an answer from the agent's own port. Anything else from another port is
//! dropped without ending the try (logged at debug level), so a stray or forged datagram cannot
//! cut a request short. The first answer taken from another port is recorded
//! ([`Guard::answered_from_another_port`]) so that the driver can tell the user the agent does
//! this. Only processes of the same user can join a `SO_REUSEPORT` group, so no other user's
//! socket can take the answers. On systems other than Linux and Android the unconnected socket
//! is not opened and answers from another port are dropped (the request times out).
//!
//! What remains: an unauthenticated Report whose boots and time are in range is still taken in
//! by snmp2 during a session (RFC 3414 §4 discovery needs it); from a forger this can make
//! requests fail (re-synchronisation, then an error), not panic or hang the driver.

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use snmp_proto::usm::{AuthProtocol, MasterKeyCache, Password, UsmUser};
use snmp_proto::{decode_message, Message, PduType, Version, FLAG_AUTH, FLAG_PRIV};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// The largest snmpEngineBoots and snmpEngineTime (RFC 3414 §2.2): 2^31 - 1. An engine whose
/// boots reach it is locked out of authenticated SNMPv3 (§2.2.2).
pub const MAX_ENGINE_BOOTS_OR_TIME: i32 = i32::MAX;

/// The shortest and longest snmpEngineID, in octets (RFC 3411 `SnmpEngineID`).
pub const ENGINE_ID_OCTETS: std::ops::RangeInclusive<usize> = 5..=32;

/// Why the guard ended a try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The agent's host answered ICMP "port unreachable".
    Unreachable,
    /// Sending to or receiving from the agent failed otherwise (the operating system's error).
    Network(String),
    /// An SNMPv3 answer with engineBoots 2147483647: the engine is locked (RFC 3414 §2.2.2).
    Locked,
    /// An answer out of the protocol's bounds, dropped before snmp2 saw it: what was wrong.
    Answer(String),
}

/// The SNMPv3 user whose answers the guard authenticates.
pub struct GuardUser {
    /// The securityName.
    pub name: Vec<u8>,
    /// The authentication protocol and pass phrase; `None` for noAuthNoPriv.
    pub auth: Option<(AuthProtocol, Password)>,
    /// Master keys, shared with the diagnosis probe: each pass phrase is hashed once.
    pub keys: Arc<MasterKeyCache>,
}

/// A running relay: snmp2's session sends to [`Guard::local`]; answers the guard accepts come
/// back to the session from there, refusals arrive on [`Guard::refusal`]. Dropping it stops it.
pub struct Guard {
    local: SocketAddr,
    refusals: mpsc::UnboundedReceiver<Refusal>,
    other_port: Arc<Mutex<Option<SocketAddr>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Guard {
    /// Starts a relay to `agent`, checking SNMPv3 answers for `user` (`None`: v1/v2c, answers
    /// from the agent's port pass unchecked). Needs a tokio runtime.
    ///
    /// Errors: a socket cannot be bound or connected.
    pub async fn start(agent: SocketAddr, user: Option<GuardUser>) -> io::Result<Guard> {
        let inner = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let local = inner.local_addr()?;
        let AgentSockets { connected, other } = AgentSockets::open(agent)?;
        connected.connect(agent).await?;
        let (tx, refusals) = mpsc::unbounded_channel();
        let other_port = Arc::new(Mutex::new(None));
        let relay = Relay {
            agent,
            user,
            refusals: tx,
            other_port: other_port.clone(),
        };
        let task = tokio::spawn(relay.run(inner, connected, other));
        Ok(Guard {
            local,
            refusals,
            other_port,
            task,
        })
    }

    /// Where the session should send its requests.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Forgets refusals of answers that came before the request now being sent.
    pub fn forget(&mut self) {
        while self.refusals.try_recv().is_ok() {}
    }

    /// The next refusal; pending forever if none comes.
    pub async fn refusal(&mut self) -> Refusal {
        match self.refusals.recv().await {
            Some(r) => r,
            None => std::future::pending().await,
        }
    }

    /// The source address of the first answer this guard took from the agent's IP address but
    /// another UDP port than the one requests go to (see the module documentation); `None`
    /// while every answer came from the agent's port.
    pub fn answered_from_another_port(&self) -> Option<SocketAddr> {
        self.other_port.lock().ok().and_then(|seen| *seen)
    }
}

/// The guard's two sockets toward the agent, bound to one local address and port (see the
/// module documentation).
pub struct AgentSockets {
    /// Sends the requests; to be connected to the agent's address and port, it then receives
    /// the answers from that port and ICMP errors.
    pub connected: UdpSocket,
    /// Receives datagrams from every other source; `None` where the system cannot share the
    /// port this way (not Linux or Android) or refused to.
    pub other: Option<UdpSocket>,
}

impl AgentSockets {
    /// Binds both sockets on the unspecified address of `agent`'s family, on one ephemeral
    /// port; `connected` is not connected yet. Needs a tokio runtime.
    ///
    /// Errors: the first socket cannot be made or bound (a failure of the second one leaves
    /// `other` at `None`, logged at debug level).
    pub fn open(agent: SocketAddr) -> io::Result<AgentSockets> {
        let unspecified: SocketAddr = if agent.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        open_sockets(unspecified)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_sockets(unspecified: SocketAddr) -> io::Result<AgentSockets> {
    let connected = port_sharing_socket(unspecified)?;
    let mut shared = unspecified;
    shared.set_port(connected.local_addr()?.port());
    let other = match port_sharing_socket(shared).and_then(UdpSocket::from_std) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!(
                "cannot open a second socket on {shared} for answers from another port: {e}"
            );
            None
        }
    };
    Ok(AgentSockets {
        connected: UdpSocket::from_std(connected)?,
        other,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn open_sockets(unspecified: SocketAddr) -> io::Result<AgentSockets> {
    let socket = std::net::UdpSocket::bind(unspecified)?;
    socket.set_nonblocking(true)?;
    Ok(AgentSockets {
        connected: UdpSocket::from_std(socket)?,
        other: None,
    })
}

/// A non-blocking UDP socket with `SO_REUSEPORT`, bound to `at`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn port_sharing_socket(at: SocketAddr) -> io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(at), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&at.into())?;
    Ok(socket.into())
}

/// How many earlier requests' IDs the relay remembers, so that their late answers are dropped.
const REMEMBERED_REQUESTS: usize = 64;

/// The version and the ID that pairs an answer with its request: msgID for SNMPv3,
/// request-id for SNMPv1/v2c; `None` when the datagram does not decode.
fn version_and_id(datagram: &[u8]) -> Option<(Version, i32)> {
    match decode_message(datagram).ok()? {
        Message::V3(m) => Some((Version::V3, m.msg_id)),
        Message::Community(m) => Some((m.version, m.pdu.request_id)),
    }
}

/// What the relay does with one datagram from the agent's side.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Hand it to the session.
    Pass,
    /// Drop it without ending the try; why, for the debug log.
    Ignore(&'static str),
    /// Drop it and end the try.
    Refuse(Refusal),
}

/// Which request is in flight, whether its answer went back, and the earlier ones.
#[derive(Default)]
struct Pairing {
    current: Option<(Version, i32)>,
    answered: bool,
    earlier: VecDeque<i32>,
}

impl Pairing {
    /// The session sent `request`: it is now the one in flight.
    fn sent(&mut self, request: &[u8]) {
        if let Some((_, id)) = self.current.take() {
            if self.earlier.len() == REMEMBERED_REQUESTS {
                self.earlier.pop_front();
            }
            self.earlier.push_back(id);
        }
        self.current = version_and_id(request);
        self.answered = false;
    }

    /// Judges `answer`, which came from the agent's own port or, with `other_port`, from
    /// the agent's IP address and another port. A second copy of the answer already passed on
    /// and late answers to earlier requests are ignored, as RFC 3412 §7.2.10 drops answers
    /// that match no outstanding request, so the session never reads one as the answer to the
    /// next request.
    fn judge(
        &mut self,
        answer: &[u8],
        other_port: bool,
        user: Option<&GuardUser>,
        localized: &mut Option<(Vec<u8>, UsmUser)>,
    ) -> Verdict {
        let key = version_and_id(answer);
        let id = key.map(|(_, id)| id);
        let current_id = self.current.map(|(_, id)| id);
        let ours = id.is_some() && id == current_id;
        if ours && self.answered {
            return Verdict::Ignore("a second copy of an answer already passed on");
        }
        if id.is_some_and(|i| !ours && self.earlier.contains(&i)) {
            return Verdict::Ignore("a late answer to an earlier request");
        }
        if other_port {
            if !ours || key.map(|(v, _)| v) != self.current.map(|(v, _)| v) {
                return Verdict::Ignore(
                    "not an answer to the request in flight (no such msgID or request-id, another version, or not SNMP)",
                );
            }
            if let Ok(Message::Community(m)) = decode_message(answer) {
                if m.pdu.pdu_type != PduType::Response {
                    return Verdict::Ignore("an SNMPv1/v2c PDU that is not a Response");
                }
            }
        }
        let verdict = match user {
            Some(u) => check(answer, current_id, u, localized),
            None => Ok(()),
        };
        match verdict {
            Ok(()) => {
                self.answered = self.answered || ours;
                Verdict::Pass
            }
            Err(refusal) => Verdict::Refuse(refusal),
        }
    }
}

/// What the relay task owns besides its sockets.
struct Relay {
    agent: SocketAddr,
    user: Option<GuardUser>,
    refusals: mpsc::UnboundedSender<Refusal>,
    other_port: Arc<Mutex<Option<SocketAddr>>>,
}

/// Receives on `socket`, or waits forever when there is none.
async fn recv_from_other(
    socket: Option<&UdpSocket>,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr)> {
    match socket {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

impl Relay {
    /// The relay loop: requests from the session go to the agent as they are; an answer goes
    /// back when [`Pairing::judge`] lets it pass.
    async fn run(self, inner: UdpSocket, connected: UdpSocket, other: Option<UdpSocket>) {
        let mut session: Option<SocketAddr> = None;
        let mut pairing = Pairing::default();
        let mut up = vec![0u8; 65_536];
        let mut down = vec![0u8; 65_536];
        let mut side = vec![0u8; 65_536];
        let mut localized: Option<(Vec<u8>, UsmUser)> = None;
        loop {
            let (answer, from) = tokio::select! {
                received = inner.recv_from(&mut up) => {
                    let Ok((n, from)) = received else { continue };
                    // Only the session's own socket (the first to send) is relayed.
                    if session.is_some_and(|s| s != from) {
                        continue;
                    }
                    session = Some(from);
                    let request = up.get(..n).unwrap_or_default();
                    pairing.sent(request);
                    if let Err(e) = connected.send(request).await {
                        let _ = self.refusals.send(network_refusal(&e));
                    }
                    continue;
                }
                // The source is checked on both sockets: a kernel that gave the connected socket
                // a datagram from another source (older Linux could, by SO_REUSEPORT's hash)
                // must not make it an answer from the agent's port.
                received = connected.recv_from(&mut down) => match received {
                    Ok((n, from)) => (down.get(..n).unwrap_or_default(), from),
                    Err(e) => {
                        let _ = self.refusals.send(network_refusal(&e));
                        continue;
                    }
                },
                received = recv_from_other(other.as_ref(), &mut side) => match received {
                    Ok((n, from)) => (side.get(..n).unwrap_or_default(), from),
                    Err(e) => {
                        tracing::debug!("receiving on the socket for answers from another port: {e}");
                        continue;
                    }
                },
            };
            let Some(to) = session else { continue };
            if from.ip() != self.agent.ip() {
                tracing::debug!(%from, agent = %self.agent, "dropped a datagram from another address than the agent's");
                continue;
            }
            let other_port = from.port() != self.agent.port();
            match pairing.judge(answer, other_port, self.user.as_ref(), &mut localized) {
                Verdict::Pass => {
                    if other_port {
                        self.first_from_another_port(from);
                    }
                    let _ = inner.send_to(answer, to).await;
                }
                Verdict::Ignore(why) => {
                    tracing::debug!(%from, "dropped an answer: {why}");
                }
                Verdict::Refuse(refusal) => {
                    let _ = self.refusals.send(refusal);
                }
            }
        }
    }

    /// Records (and logs, once) that the agent answered from `from`, not its own port.
    fn first_from_another_port(&self, from: SocketAddr) {
        let Ok(mut seen) = self.other_port.lock() else {
            return;
        };
        if seen.is_none() {
            tracing::debug!(
                %from,
                agent = %self.agent,
                "the agent answered from another UDP port than the one requests go to (quirk 28): answers from its address that match the request in flight are taken"
            );
            *seen = Some(from);
        }
    }
}

fn network_refusal(e: &io::Error) -> Refusal {
    if e.kind() == io::ErrorKind::ConnectionRefused {
        Refusal::Unreachable
    } else {
        Refusal::Network(e.to_string())
    }
}

/// Whether an SNMPv3 `answer` to the request with `msg_id` may reach snmp2 (see the module
/// documentation). `localized` keeps the user's key localized to the last engine ID seen.
///
/// Errors: the [`Refusal`] saying what was wrong.
pub fn check(
    answer: &[u8],
    msg_id: Option<i32>,
    user: &GuardUser,
    localized: &mut Option<(Vec<u8>, UsmUser)>,
) -> Result<(), Refusal> {
    let bad = |what: String| Err(Refusal::Answer(what));
    let m = match decode_message(answer) {
        Ok(Message::V3(m)) => m,
        Ok(Message::Community(_)) => {
            return bad("an SNMPv1/v2c answer to an SNMPv3 request".into());
        }
        Err(e) => {
            return bad(format!("an answer that does not decode as SNMP ({e})"));
        }
    };
    if let Some(sent) = msg_id {
        if m.msg_id != sent {
            return bad(format!(
                "an answer's msgID {} is not the request's {sent} (RFC 3412 §7.2.10)",
                m.msg_id
            ));
        }
    }
    if m.msg_security_model != snmp_proto::decode::SECURITY_MODEL_USM {
        return bad(format!(
            "an answer's msgSecurityModel is {}, not USM (3)",
            m.msg_security_model
        ));
    }
    let id_len = m.usm.engine_id.len();
    if id_len != 0 && !ENGINE_ID_OCTETS.contains(&id_len) {
        return bad(format!(
            "an answer's engine ID has {id_len} octets: an snmpEngineID has 5 to 32 (RFC 3411)"
        ));
    }
    let (boots, time) = (m.usm.engine_boots, m.usm.engine_time);
    if boots < 0 || time < 0 {
        return bad(format!(
            "an answer's engineBoots {boots} or engineTime {time} is out of range: both are 0 to {MAX_ENGINE_BOOTS_OR_TIME} (RFC 3414 §2.2)"
        ));
    }
    if boots == MAX_ENGINE_BOOTS_OR_TIME {
        return Err(Refusal::Locked);
    }
    if m.msg_flags & FLAG_PRIV != 0 && m.msg_flags & FLAG_AUTH == 0 {
        return bad("an answer flagged encrypted but not authenticated (RFC 3412 §7.2.5)".into());
    }
    if m.msg_flags & FLAG_AUTH != 0 {
        let Some((protocol, password)) = &user.auth else {
            return bad("an authenticated answer to an unauthenticated request".into());
        };
        let reuse = localized
            .as_ref()
            .is_some_and(|(id, _)| id.as_slice() == m.usm.engine_id);
        if !reuse {
            let keyed = UsmUser::localize(
                &user.name,
                Some((*protocol, password)),
                None,
                m.usm.engine_id,
                &user.keys,
            )
            .map_err(|e| {
                Refusal::Answer(format!(
                    "cannot localize the authentication key to the answer's engine ID: {e}"
                ))
            })?;
            *localized = Some((m.usm.engine_id.to_vec(), keyed));
        }
        let Some((_, keyed)) = localized.as_ref() else {
            return bad("no localized key".into());
        };
        if !snmp_proto::usm::protect::authenticate(keyed, answer, &m) {
            return bad(
                "an authenticated answer failed the HMAC check with our authentication key (damaged on the way, or not from this agent)"
                    .into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Everything `socket` receives within a short quiet period: (source, bytes).
    async fn drain(socket: &UdpSocket) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while let Ok(Ok((n, from))) =
            tokio::time::timeout(Duration::from_millis(300), socket.recv_from(&mut buf)).await
        {
            got.push((from, buf[..n].to_vec()));
        }
        got
    }

    /// The design the guard rests on, checked on this kernel: of two sockets sharing a port
    /// with `SO_REUSEPORT`, the connected one gets the datagrams from its peer (and only those)
    /// and ICMP "port unreachable"; the other one gets the datagrams from every other source,
    /// another port of the agent's address and another loopback address alike.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn the_kernel_sorts_answers_by_source() {
        let agent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let agent_other_port = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let elsewhere = UdpSocket::bind("127.0.0.2:0")
            .await
            .expect("bind 127.0.0.2 (all of 127.0.0.0/8 is loopback on Linux)");
        let agent_addr = agent.local_addr().unwrap();
        let AgentSockets { connected, other } = AgentSockets::open(agent_addr).unwrap();
        let other = other.expect("a second socket on the same port");
        connected.connect(agent_addr).await.unwrap();
        let port = connected.local_addr().unwrap().port();
        assert_eq!(other.local_addr().unwrap().port(), port);
        let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        for i in 0..10u8 {
            agent.send_to(&[b'a', i], to).await.unwrap();
            agent_other_port.send_to(&[b'o', i], to).await.unwrap();
            elsewhere.send_to(&[b'e', i], to).await.unwrap();
        }
        let on_connected = drain(&connected).await;
        let on_other = drain(&other).await;
        assert_eq!(on_connected.len(), 10, "{on_connected:?}");
        assert!(
            on_connected
                .iter()
                .all(|(from, b)| *from == agent_addr && b[0] == b'a'),
            "{on_connected:?}"
        );
        assert_eq!(on_other.len(), 20, "{on_other:?}");
        assert_eq!(
            on_other
                .iter()
                .filter(|(from, b)| *from == agent_other_port.local_addr().unwrap() && b[0] == b'o')
                .count(),
            10,
            "{on_other:?}"
        );
        assert_eq!(
            on_other
                .iter()
                .filter(|(from, b)| *from == elsewhere.local_addr().unwrap() && b[0] == b'e')
                .count(),
            10,
            "{on_other:?}"
        );

        // A port nothing listens on: the connected socket learns of the ICMP error.
        let closed = {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap()
        };
        let AgentSockets { connected, other } = AgentSockets::open(closed).unwrap();
        connected.connect(closed).await.unwrap();
        connected.send(b"x").await.unwrap();
        let mut buf = [0u8; 8];
        let err = tokio::time::timeout(Duration::from_secs(5), connected.recv(&mut buf))
            .await
            .expect("the ICMP error arrives")
            .expect_err("nothing answers");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        assert!(drain(other.as_ref().unwrap()).await.is_empty());
    }

    /// A v1/v2c message of `pdu_type` with `request_id`.
    fn community(version: Version, pdu_type: PduType, request_id: i32) -> Vec<u8> {
        let pdu = snmp_proto::Pdu {
            pdu_type,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: Vec::new(),
            trap_v1: None,
        };
        let mut out = Vec::new();
        snmp_proto::encode_community_message(&mut out, version, b"public", &pdu);
        out
    }

    /// How answers from another port of the agent's address are paired with the request in
    /// flight: only a Response with its request-id and version passes, once; duplicates, late
    /// answers to earlier requests, other IDs, other versions and requests are ignored.
    #[test]
    fn answers_from_another_port_must_match_the_request_in_flight() {
        let v2c = |t, id| community(Version::V2c, t, id);
        let mut p = Pairing::default();
        let mut localized = None;
        let mut judge = |p: &mut Pairing, answer: &[u8], other_port| {
            p.judge(answer, other_port, None, &mut localized)
        };
        p.sent(&v2c(PduType::GetRequest, 7));
        assert!(matches!(
            judge(&mut p, &v2c(PduType::Response, 8), true),
            Verdict::Ignore(_)
        ));
        assert!(matches!(
            judge(&mut p, &community(Version::V1, PduType::Response, 7), true),
            Verdict::Ignore(_)
        ));
        assert!(matches!(
            judge(&mut p, &v2c(PduType::GetRequest, 7), true),
            Verdict::Ignore(_)
        ));
        assert!(matches!(
            judge(&mut p, b"not SNMP", true),
            Verdict::Ignore(_)
        ));
        assert_eq!(
            judge(&mut p, &v2c(PduType::Response, 7), true),
            Verdict::Pass
        );
        assert!(matches!(
            judge(&mut p, &v2c(PduType::Response, 7), true),
            Verdict::Ignore(_)
        ));
        p.sent(&v2c(PduType::GetRequest, 9));
        assert!(matches!(
            judge(&mut p, &v2c(PduType::Response, 7), true),
            Verdict::Ignore(_)
        ));
        assert!(matches!(
            judge(&mut p, &v2c(PduType::Response, 7), false),
            Verdict::Ignore(_)
        ));
        assert_eq!(
            judge(&mut p, &v2c(PduType::Response, 9), true),
            Verdict::Pass
        );
    }
}
