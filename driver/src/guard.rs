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
//! to earlier requests of the session, are dropped without a word (RFC 3412 §7.2.10). An agent whose engineBoots is 2147483647 is locked out of
//! authenticated SNMPv3 (RFC 3414 §2.2.2) and reported as such. SNMPv1/v2c answers pass as they
//! are (snmp2 range-checks those), and "port unreachable" from the agent's host is reported.
//!
//! What remains: an unauthenticated Report whose boots and time are in range is still taken in
//! by snmp2 during a session (RFC 3414 §4 discovery needs it); from a forger this can make
//! requests fail (re-synchronisation, then an error), not panic or hang the driver.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use snmp_proto::usm::{AuthProtocol, MasterKeyCache, Password, UsmUser};
use snmp_proto::{decode_message, Message, FLAG_AUTH, FLAG_PRIV};
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
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Guard {
    /// Starts a relay to `agent`, checking SNMPv3 answers for `user` (`None`: v1/v2c, answers
    /// pass unchecked). Needs a tokio runtime.
    ///
    /// Errors: a socket cannot be bound or connected.
    pub async fn start(agent: SocketAddr, user: Option<GuardUser>) -> io::Result<Guard> {
        let inner = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let local = inner.local_addr()?;
        let unspecified: SocketAddr = if agent.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let outer = UdpSocket::bind(unspecified).await?;
        outer.connect(agent).await?;
        let (tx, refusals) = mpsc::unbounded_channel();
        let task = tokio::spawn(relay(inner, outer, user, tx));
        Ok(Guard {
            local,
            refusals,
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
}

/// How many earlier requests' IDs the relay remembers, so that their late answers are dropped.
const REMEMBERED_REQUESTS: usize = 64;

/// The ID that pairs an answer with its request: msgID for SNMPv3, request-id for SNMPv1/v2c;
/// `None` when the datagram does not decode.
fn message_id(datagram: &[u8]) -> Option<i32> {
    match decode_message(datagram).ok()? {
        Message::V3(m) => Some(m.msg_id),
        Message::Community(m) => Some(m.pdu.request_id),
    }
}

/// The relay loop: requests from the session go to the agent as they are; the first answer
/// to the request being waited for goes back when [`check`] accepts it (SNMPv3). A second copy
/// of it (a duplicated datagram) and late answers to earlier requests are dropped, as RFC 3412
/// §7.2.10 drops answers that match no outstanding request, so the session never reads one as
/// the answer to the next request.
async fn relay(
    inner: UdpSocket,
    outer: UdpSocket,
    user: Option<GuardUser>,
    refusals: mpsc::UnboundedSender<Refusal>,
) {
    let mut session: Option<SocketAddr> = None;
    // The request being waited for, whether its answer went back, and the earlier ones.
    let mut current: Option<i32> = None;
    let mut answered = false;
    let mut earlier: std::collections::VecDeque<i32> = std::collections::VecDeque::new();
    let mut up = vec![0u8; 65_536];
    let mut down = vec![0u8; 65_536];
    let mut localized: Option<(Vec<u8>, UsmUser)> = None;
    loop {
        tokio::select! {
            received = inner.recv_from(&mut up) => {
                let Ok((n, from)) = received else { continue };
                // Only the session's own socket (the first to send) is relayed.
                if session.is_some_and(|s| s != from) {
                    continue;
                }
                session = Some(from);
                let request = up.get(..n).unwrap_or_default();
                if let Some(id) = current.take() {
                    if earlier.len() == REMEMBERED_REQUESTS {
                        earlier.pop_front();
                    }
                    earlier.push_back(id);
                }
                current = message_id(request);
                answered = false;
                if let Err(e) = outer.send(request).await {
                    let _ = refusals.send(network_refusal(&e));
                }
            }
            received = outer.recv(&mut down) => {
                let answer = match received {
                    Ok(n) => down.get(..n).unwrap_or_default(),
                    Err(e) => {
                        let _ = refusals.send(network_refusal(&e));
                        continue;
                    }
                };
                let id = message_id(answer);
                let ours = id.is_some() && id == current;
                if (ours && answered) || id.is_some_and(|i| !ours && earlier.contains(&i)) {
                    continue;
                }
                let verdict = match &user {
                    Some(u) => check(answer, current, u, &mut localized),
                    None => Ok(()),
                };
                match (verdict, session) {
                    (Ok(()), Some(s)) => {
                        answered = answered || ours;
                        let _ = inner.send_to(answer, s).await;
                    }
                    (Ok(()), None) => {}
                    (Err(refusal), _) => {
                        let _ = refusals.send(refusal);
                    }
                }
            }
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
