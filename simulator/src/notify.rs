//! The notification originator (RFC 3413 §3.2): one task and one UDP socket per process, fed by
//! every PDU's bounded queue ([`crate::notification`]), so sending never holds up answering
//! requests. Plus one settle-on-time timer per PDU with targets, which wakes at the next pending
//! outlet step (or when a manual clock is advanced) so that outlets settle, and notify, without
//! anyone reading them.
//!
//! - SNMPv1: Trap-PDU mapped from the SNMPv2 form per RFC 3584 §3.2 (enterprise, generic and
//!   specific trap, agent-addr, time-stamp; Counter64 objects dropped).
//! - SNMPv2c: SNMPv2-Trap-PDU or InformRequest-PDU, sysUpTime.0 and snmpTrapOID.0 first.
//! - SNMPv3 traps: the PDU's own engine is authoritative (its engineID, boots and time; keys
//!   localized to it).
//! - SNMPv3 informs: the receiver is authoritative. Its engineID, boots and time are discovered
//!   first (RFC 3414 §4), keys are localized to it, and its Reports are handled as a manager
//!   must: notInTimeWindow resynchronises once (an authenticated Report only), unknown user,
//!   wrong digest, unsupported level and decryption errors fail the inform.
//! - Informs are sent again after the target's timeout until a Response arrives or the retries
//!   are used up; failures are counted ([`crate::notification::NotifyCounters`]) and logged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use snmp_proto::report::{ReportReason, UsmFailure};
use snmp_proto::usm::protect::{authenticate, protect, OutgoingMessage};
use snmp_proto::usm::{MasterKeyCache, SecurityLevel, UsmUser};
use snmp_proto::{
    decode_message, encode_community_message, Message, Pdu, PduType, ScopedPduData, TrapV1Header,
    Value, VarBind, Version,
};
use tokio::net::UdpSocket;
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::device::{Device, MAX_MESSAGE_SIZE};
use crate::fault::FaultKind;
use crate::notification::{
    v2_varbinds, Notification, NotifyKind, NotifyTarget, NotifyVersion, Queued, SentNotification,
    QUEUE_DEPTH, SNMP_TRAP_ENTERPRISE,
};
use crate::security::SaltSource;
use crate::stats::bump;

/// Starts the originator and the PDUs' timers on the current tokio runtime, for every PDU with
/// targets, and raises each one's coldStart or warmStart. Does nothing when no PDU has targets.
///
/// Errors: the originator's socket could not be bound.
pub fn spawn(
    devices: &[Arc<Device>],
    clock: Arc<dyn Clock>,
    tasks: &mut tokio::task::JoinSet<std::io::Result<()>>,
) -> std::io::Result<()> {
    let with_targets: Vec<Arc<Device>> = devices
        .iter()
        .filter(|d| !d.notifications.targets().is_empty())
        .cloned()
        .collect();
    if with_targets.is_empty() {
        return Ok(());
    }
    let loopback_only = with_targets
        .iter()
        .flat_map(|d| d.notifications.targets())
        .all(|t| t.address.ip().is_loopback());
    let local: SocketAddr = if loopback_only {
        ([127, 0, 0, 1], 0).into()
    } else {
        ([0, 0, 0, 0], 0).into()
    };
    let std_socket = std::net::UdpSocket::bind(local)?;
    std_socket.set_nonblocking(true)?;
    let socket = UdpSocket::from_std(std_socket)?;
    let (sender, receiver) = tokio::sync::mpsc::channel(QUEUE_DEPTH);
    for (index, device) in with_targets.iter().enumerate() {
        device.notifications.attach(sender.clone(), index);
        tasks.spawn(settle_on_time(device.clone(), clock.clone()));
    }
    drop(sender);
    let originator = Originator {
        socket,
        devices: with_targets.clone(),
        salts: SaltSource::new(),
        keys: MasterKeyCache::default(),
        trap_users: HashMap::new(),
        remotes: HashMap::new(),
        pending: HashMap::new(),
        by_msg_id: HashMap::new(),
        next_id: 1,
        buffers: (Vec::new(), Vec::new()),
        delayed: Vec::new(),
    };
    tasks.spawn(originator.run(receiver));
    for device in &with_targets {
        device.announce_start();
    }
    Ok(())
}

/// Wakes at the PDU's next pending outlet step (or when its manual clock moves, or when a
/// command changed the schedule) and lets the PDU notify what changed.
async fn settle_on_time(device: Arc<Device>, clock: Arc<dyn Clock>) -> std::io::Result<()> {
    let mut advanced = clock.advanced();
    let manual = advanced.is_some();
    loop {
        let (next, now) = {
            let mut state = device.lock_state();
            let now = device.now();
            device.observe_outlets(&mut state, now);
            (device.next_outlet_deadline(&mut state, now), now)
        };
        let sleep = async {
            match next {
                // A real clock: sleep until the step is due (and a millisecond more, so it is).
                Some(at) if !manual => {
                    tokio::time::sleep(at.saturating_sub(now) + Duration::from_millis(1)).await
                }
                _ => std::future::pending().await,
            }
        };
        let advance = async {
            match advanced.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = device.notifications.woken() => {}
            _ = sleep => {}
            still = advance => if !still { advanced = None; },
        }
    }
}

/// A receiver's engine as discovered for informs (RFC 3414 §4).
struct Remote {
    engine_id: Vec<u8>,
    boots: i32,
    time: i32,
    learned: Instant,
    user: Arc<UsmUser>,
}

impl Remote {
    /// The receiver's snmpEngineTime now, estimated from when it was learned.
    fn time_now(&self) -> i32 {
        let elapsed = i32::try_from(self.learned.elapsed().as_secs()).unwrap_or(i32::MAX);
        self.time.saturating_add(elapsed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the receiver's engineID (a Report to an empty-engine probe).
    Discovery,
    /// The inform itself is out.
    Sent,
}

struct Pending {
    device: usize,
    target: usize,
    notification: Arc<Notification>,
    request_id: i32,
    retries_left: u32,
    deadline: Instant,
    stage: Stage,
    resynced: bool,
    /// Each transmission is sent twice (the DuplicateNotification fault).
    duplicate: bool,
    /// Responses are ignored (the UnacknowledgedInform fault).
    unacknowledged: bool,
}

/// A user's keys and the engineID they are localized to.
type LocalizedUser = (Arc<[u8]>, Arc<UsmUser>);

struct Originator {
    socket: UdpSocket,
    devices: Vec<Arc<Device>>,
    salts: SaltSource,
    keys: MasterKeyCache,
    /// Trap users' keys, localized to the sending PDU's engine: (pdu, target) -> (engineID, keys).
    trap_users: HashMap<(usize, usize), LocalizedUser>,
    /// Receivers' engines, learned for informs: (pdu, target) -> engine.
    remotes: HashMap<(usize, usize), Remote>,
    /// Informs waiting for their Response, by request-id.
    pending: HashMap<i32, Pending>,
    /// v3 msgID -> request-id of the inform it carried.
    by_msg_id: HashMap<i32, i32>,
    next_id: i32,
    buffers: (Vec<u8>, Vec<u8>),
    /// Notifications held back by a DelayNotification fault: when, which PDU, what.
    delayed: Vec<(Instant, usize, Arc<Notification>)>,
}

impl Originator {
    async fn run(
        mut self,
        mut receiver: tokio::sync::mpsc::Receiver<Queued>,
    ) -> std::io::Result<()> {
        let mut datagram = vec![0u8; MAX_MESSAGE_SIZE];
        loop {
            let deadline = self
                .pending
                .values()
                .map(|p| p.deadline)
                .chain(self.delayed.iter().map(|(at, _, _)| *at))
                .min();
            let retransmit = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                queued = receiver.recv() => match queued {
                    Some((device, notification)) => self.with_faults(device, notification).await,
                    None => return Ok(()),
                },
                received = self.socket.recv_from(&mut datagram) => {
                    if let Ok((len, from)) = received {
                        if let Some(bytes) = datagram.get(..len) {
                            let bytes = bytes.to_vec();
                            self.received(&bytes, from).await;
                        }
                    }
                }
                _ = retransmit => {
                    self.send_delayed().await;
                    self.retransmit_due().await;
                }
            }
        }
    }

    fn next_id(&mut self) -> i32 {
        let id = self.next_id;
        self.next_id = if id >= i32::MAX - 1 { 1 } else { id + 1 };
        id
    }

    async fn send(&self, device: usize, to: SocketAddr, bytes: &[u8]) {
        if let Some(d) = self.devices.get(device) {
            bump(&d.stats.snmp_out_pkts);
            d.interface.sent(bytes.len(), 1);
        }
        if let Err(e) = self.socket.send_to(bytes, to).await {
            debug!(%to, "cannot send a notification: {e}");
        }
    }

    fn target(&self, device: usize, target: usize) -> Option<(&Arc<Device>, &NotifyTarget)> {
        let d = self.devices.get(device)?;
        let t = d.notifications.targets().get(target)?;
        Some((d, t))
    }

    /// The Notify fault point (its faults taken when the PDU raised the notification): drops,
    /// holds back, or marks the notification, then sends it.
    async fn with_faults(&mut self, device: usize, n: Arc<Notification>) {
        let Some(d) = self.devices.get(device).cloned() else {
            return;
        };
        let mut duplicate = false;
        let mut unacknowledged = false;
        for fault in &n.faults {
            match *fault {
                FaultKind::DropNotification => {
                    debug!(pdu = %d.name, notification = n.name, "dropped (fault)");
                    for t in d.notifications.targets() {
                        d.notifications.record(sent(
                            &n,
                            t,
                            "dropped: drop-notification fault".into(),
                        ));
                    }
                    return;
                }
                FaultKind::DelayNotification { ms } => {
                    self.delayed
                        .push((Instant::now() + Duration::from_millis(ms), device, n));
                    return;
                }
                FaultKind::DuplicateNotification => duplicate = true,
                FaultKind::UnacknowledgedInform => unacknowledged = true,
                // Faults of the other points are never taken at the Notify point.
                FaultKind::AgentDown
                | FaultKind::DropRequest
                | FaultKind::DropResponse
                | FaultKind::Delay { .. }
                | FaultKind::Duplicate
                | FaultKind::Reorder
                | FaultKind::Truncate { .. }
                | FaultKind::Corrupt { .. }
                | FaultKind::WrongSourcePort
                | FaultKind::ForceError { .. }
                | FaultKind::WrongRequestId
                | FaultKind::ReportInstead { .. }
                | FaultKind::ErrorAfterCommit { .. }
                | FaultKind::StuckOutlet { .. }
                | FaultKind::SlowOutlet { .. }
                | FaultKind::SwitchGap { .. }
                | FaultKind::RefuseDelayedCommands
                | FaultKind::AuthLockout { .. }
                | FaultKind::DiscoveryWithoutTime
                | FaultKind::EmptyReport
                | FaultKind::ZeroLengthInteger { .. } => {}
            }
        }
        self.originate(device, n, duplicate, unacknowledged).await;
    }

    /// Sends the notifications a DelayNotification fault held back whose time has come.
    async fn send_delayed(&mut self) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.delayed = later;
        for (_, device, n) in due {
            self.originate(device, n, false, false).await;
        }
    }

    /// One notification to every target of its PDU.
    async fn originate(
        &mut self,
        device: usize,
        n: Arc<Notification>,
        duplicate: bool,
        unacknowledged: bool,
    ) {
        let Some(d) = self.devices.get(device).cloned() else {
            return;
        };
        for (ti, t) in d.notifications.targets().iter().enumerate() {
            bump(&d.stats.snmp_out_traps);
            debug!(pdu = %d.name, notification = n.name, target = %t.address, "sending");
            match (t.kind, t.version) {
                (NotifyKind::Trap, _) => {
                    if let Some(bytes) = self.trap_message(device, ti, &n) {
                        self.send(device, t.address, &bytes).await;
                        if duplicate {
                            self.send(device, t.address, &bytes).await;
                        }
                    }
                    d.notifications.record(sent(&n, t, "sent".into()));
                }
                (NotifyKind::Inform, _) => {
                    let request_id = self.next_id();
                    let stage = if t.version == NotifyVersion::V3
                        && !self.remotes.contains_key(&(device, ti))
                    {
                        Stage::Discovery
                    } else {
                        Stage::Sent
                    };
                    self.pending.insert(
                        request_id,
                        Pending {
                            device,
                            target: ti,
                            notification: n.clone(),
                            request_id,
                            retries_left: t.retries,
                            deadline: Instant::now() + t.timeout,
                            stage,
                            resynced: false,
                            duplicate,
                            unacknowledged,
                        },
                    );
                    self.transmit(request_id).await;
                }
            }
        }
    }

    /// A trap to one target, encoded (and protected for v3 with the PDU's own engine).
    fn trap_message(&mut self, device: usize, target: usize, n: &Notification) -> Option<Vec<u8>> {
        let (d, t) = self.target(device, target)?;
        let (d, t) = (d.clone(), t.clone());
        let mut out = Vec::new();
        match t.version {
            NotifyVersion::V1 => {
                let pdu = v1_trap(n, d.notifications.agent_ipv4());
                encode_community_message(
                    &mut out,
                    Version::V1,
                    snmp_proto::usm::ExposeSecret::expose_secret(&t.community).as_bytes(),
                    &pdu,
                );
            }
            NotifyVersion::V2c => {
                let pdu = v2_pdu(PduType::SnmpV2Trap, self.next_id(), n);
                encode_community_message(
                    &mut out,
                    Version::V2c,
                    snmp_proto::usm::ExposeSecret::expose_secret(&t.community).as_bytes(),
                    &pdu,
                );
            }
            NotifyVersion::V3 => {
                let user = self.trap_user(device, target, &t, &n.engine_id)?;
                let pdu = v2_pdu(PduType::SnmpV2Trap, self.next_id(), n);
                let msg_id = self.next_id();
                let how = OutgoingMessage {
                    msg_id,
                    msg_max_size: MAX_MESSAGE_SIZE as i32,
                    reportable: false,
                    level: t.level(),
                    user: Some(&user),
                    user_name: &user.name,
                    engine_id: &n.engine_id,
                    engine_boots: n.engine_boots,
                    engine_time: n.engine_time,
                    context_engine_id: &n.engine_id,
                    context_name: b"",
                    salt: self.salts.next(),
                };
                protect(&mut out, &mut self.buffers.1, &how, &pdu);
            }
        }
        Some(out)
    }

    fn trap_user(
        &mut self,
        device: usize,
        target: usize,
        t: &NotifyTarget,
        engine_id: &Arc<[u8]>,
    ) -> Option<Arc<UsmUser>> {
        if let Some((id, user)) = self.trap_users.get(&(device, target)) {
            if id == engine_id {
                return Some(user.clone());
            }
        }
        let user = Arc::new(self.localize(t, engine_id)?);
        self.trap_users
            .insert((device, target), (engine_id.clone(), user.clone()));
        Some(user)
    }

    fn localize(&self, t: &NotifyTarget, engine_id: &[u8]) -> Option<UsmUser> {
        let spec = t.user.as_ref()?;
        match UsmUser::localize(
            spec.name.as_bytes(),
            spec.auth.as_ref().map(|(p, pw)| (*p, pw)),
            spec.privacy.as_ref().map(|(p, pw)| (*p, pw)),
            engine_id,
            &self.keys,
        ) {
            Ok(u) => Some(u),
            Err(e) => {
                warn!(user = %spec.name, "cannot localize the notification user's keys: {e}");
                None
            }
        }
    }

    /// Sends (or sends again) the pending inform `request_id` as its stage says.
    async fn transmit(&mut self, request_id: i32) {
        let Some(p) = self.pending.get(&request_id) else {
            return;
        };
        let (device, target, stage, duplicate) = (p.device, p.target, p.stage, p.duplicate);
        let n = p.notification.clone();
        let Some((_, t)) = self.target(device, target) else {
            return;
        };
        let t = t.clone();
        let mut out = Vec::new();
        match t.version {
            NotifyVersion::V1 => return,
            NotifyVersion::V2c => {
                let pdu = v2_pdu(PduType::InformRequest, request_id, &n);
                encode_community_message(
                    &mut out,
                    Version::V2c,
                    snmp_proto::usm::ExposeSecret::expose_secret(&t.community).as_bytes(),
                    &pdu,
                );
            }
            NotifyVersion::V3 => {
                let msg_id = self.next_id();
                self.by_msg_id.insert(msg_id, request_id);
                match (stage, self.remotes.get(&(device, target))) {
                    (Stage::Sent, Some(remote)) => {
                        let pdu = v2_pdu(PduType::InformRequest, request_id, &n);
                        let how = OutgoingMessage {
                            msg_id,
                            msg_max_size: MAX_MESSAGE_SIZE as i32,
                            reportable: true,
                            level: t.level(),
                            user: Some(&remote.user),
                            user_name: &remote.user.name,
                            engine_id: &remote.engine_id,
                            engine_boots: remote.boots,
                            engine_time: remote.time_now(),
                            context_engine_id: &remote.engine_id,
                            context_name: b"",
                            salt: self.salts.next(),
                        };
                        protect(&mut out, &mut self.buffers.1, &how, &pdu);
                    }
                    _ => {
                        // RFC 3414 §4: a noAuthNoPriv probe with an empty engineID; the
                        // receiver answers with a Report carrying its engineID, boots and time.
                        let probe = Pdu {
                            pdu_type: PduType::GetRequest,
                            request_id,
                            error_status: 0,
                            error_index: 0,
                            varbinds: Vec::new(),
                            trap_v1: None,
                        };
                        let how = OutgoingMessage {
                            msg_id,
                            msg_max_size: MAX_MESSAGE_SIZE as i32,
                            reportable: true,
                            level: SecurityLevel::NoAuthNoPriv,
                            user: None,
                            user_name: b"",
                            engine_id: b"",
                            engine_boots: 0,
                            engine_time: 0,
                            context_engine_id: b"",
                            context_name: b"",
                            salt: 0,
                        };
                        protect(&mut out, &mut self.buffers.1, &how, &probe);
                    }
                }
            }
        }
        self.send(device, t.address, &out).await;
        if duplicate {
            self.send(device, t.address, &out).await;
        }
    }

    async fn retransmit_due(&mut self) {
        let now = Instant::now();
        let due: Vec<i32> = self
            .pending
            .values()
            .filter(|p| p.deadline <= now)
            .map(|p| p.request_id)
            .collect();
        for id in due {
            let Some(p) = self.pending.get(&id) else {
                continue;
            };
            if p.retries_left == 0 {
                let why = match p.stage {
                    Stage::Discovery => "no answer to engine discovery after every retry",
                    Stage::Sent => "no Response after every retry",
                };
                self.fail(id, why);
                continue;
            }
            let timeout = self
                .target(p.device, p.target)
                .map_or(Duration::from_secs(1), |(_, t)| t.timeout);
            if let Some(p) = self.pending.get_mut(&id) {
                p.retries_left -= 1;
                p.deadline = now + timeout;
            }
            self.transmit(id).await;
        }
    }

    fn finish(&mut self, request_id: i32, outcome: Result<(), String>) {
        let Some(p) = self.pending.remove(&request_id) else {
            return;
        };
        self.by_msg_id.retain(|_, r| *r != request_id);
        let Some((d, t)) = self.target(p.device, p.target) else {
            return;
        };
        match outcome {
            Ok(()) => {
                bump(&d.notifications.counters.informs_acknowledged);
                debug!(pdu = %d.name, notification = p.notification.name, target = %t.address, "inform acknowledged");
                d.notifications
                    .record(sent(&p.notification, t, "acknowledged".into()));
            }
            Err(why) => {
                bump(&d.notifications.counters.informs_failed);
                warn!(pdu = %d.name, notification = p.notification.name, target = %t.address, "inform failed: {why}");
                d.notifications
                    .record(sent(&p.notification, t, format!("failed: {why}")));
            }
        }
    }

    fn fail(&mut self, request_id: i32, why: &str) {
        self.finish(request_id, Err(why.to_string()));
    }

    async fn received(&mut self, datagram: &[u8], from: SocketAddr) {
        let Ok(message) = decode_message(datagram) else {
            debug!(%from, "a malformed datagram on the notification socket, dropped");
            return;
        };
        match message {
            Message::Community(m) => {
                let id = m.pdu.request_id;
                let Some(p) = self.pending.get(&id) else {
                    return;
                };
                let Some((d, t)) = self.target(p.device, p.target) else {
                    return;
                };
                bump(&d.stats.snmp_in_pkts);
                d.interface.received(datagram.len());
                let community_ok = snmp_proto::usm::ExposeSecret::expose_secret(&t.community)
                    .as_bytes()
                    == m.community;
                if m.pdu.pdu_type == PduType::Response
                    && t.address == from
                    && community_ok
                    && !p.unacknowledged
                {
                    self.finish(id, Ok(()));
                }
            }
            Message::V3(m) => {
                let Some(&request_id) = self.by_msg_id.get(&m.msg_id) else {
                    return;
                };
                let Some(p) = self.pending.get(&request_id) else {
                    return;
                };
                let key = (p.device, p.target);
                let (stage, resynced, unacknowledged) = (p.stage, p.resynced, p.unacknowledged);
                let Some((d, t)) = self.target(key.0, key.1) else {
                    return;
                };
                bump(&d.stats.snmp_in_pkts);
                d.interface.received(datagram.len());
                let t = t.clone();
                let pdu_type_and_reason = match &m.data {
                    ScopedPduData::Plaintext(s) => Some((
                        s.pdu.pdu_type,
                        s.pdu
                            .varbinds
                            .first()
                            .and_then(|vb| ReportReason::from_oid(vb.oid.arcs())),
                    )),
                    // An encrypted answer: only a Response to our authPriv inform is.
                    ScopedPduData::Encrypted(_) => None,
                };
                let authentic = |user: &UsmUser| {
                    m.msg_flags & snmp_proto::FLAG_AUTH != 0 && authenticate(user, datagram, &m)
                };
                match pdu_type_and_reason {
                    Some((
                        PduType::Report,
                        Some(ReportReason::Usm(UsmFailure::UnknownEngineId)),
                    )) if stage == Stage::Discovery => {
                        let Some(user) = self.localize(&t, m.usm.engine_id) else {
                            self.fail(request_id, "the user's keys cannot be localized");
                            return;
                        };
                        info!(pdu = %d.name, target = %t.address, engine_id = %hex::encode(m.usm.engine_id), "discovered the receiver's engine");
                        self.remotes.insert(
                            key,
                            Remote {
                                engine_id: m.usm.engine_id.to_vec(),
                                boots: m.usm.engine_boots,
                                time: m.usm.engine_time,
                                learned: Instant::now(),
                                user: Arc::new(user),
                            },
                        );
                        if let Some(p) = self.pending.get_mut(&request_id) {
                            p.stage = Stage::Sent;
                            p.deadline = Instant::now() + t.timeout;
                        }
                        self.transmit(request_id).await;
                    }
                    Some((
                        PduType::Report,
                        Some(ReportReason::Usm(UsmFailure::NotInTimeWindow)),
                    )) => {
                        // RFC 3414 §4: only an authenticated Report may move our notion of the
                        // receiver's time; resynchronise once, then give up.
                        let authentic_report =
                            self.remotes.get(&key).is_some_and(|r| authentic(&r.user));
                        if !authentic_report || resynced {
                            self.fail(
                                request_id,
                                "not in time window (usmStatsNotInTimeWindows) after resynchronising",
                            );
                            return;
                        }
                        if let Some(r) = self.remotes.get_mut(&key) {
                            r.boots = m.usm.engine_boots;
                            r.time = m.usm.engine_time;
                            r.learned = Instant::now();
                        }
                        if let Some(p) = self.pending.get_mut(&request_id) {
                            p.resynced = true;
                            p.deadline = Instant::now() + t.timeout;
                        }
                        self.transmit(request_id).await;
                    }
                    Some((
                        PduType::Report,
                        Some(ReportReason::Usm(UsmFailure::UnknownEngineId)),
                    )) if !resynced => {
                        // The receiver has another engine now (replaced or reinstalled):
                        // discover it again, once.
                        self.remotes.remove(&key);
                        if let Some(p) = self.pending.get_mut(&request_id) {
                            p.stage = Stage::Discovery;
                            p.resynced = true;
                            p.deadline = Instant::now() + t.timeout;
                        }
                        self.transmit(request_id).await;
                    }
                    Some((PduType::Report, reason)) => {
                        // Unknown user, wrong digest, unsupported level, decryption error, or
                        // an engine ID the receiver no longer has: nothing a retry would cure.
                        // Forget the engine so the next inform discovers it afresh.
                        self.remotes.remove(&key);
                        let why = match reason {
                            Some(ReportReason::Usm(f)) => {
                                format!("the receiver reported {}", f.name())
                            }
                            _ => "the receiver sent a Report".to_string(),
                        };
                        self.fail(request_id, &why);
                    }
                    Some((PduType::Response, _)) | None => {
                        let ok = self.remotes.get(&key).is_some_and(|r| {
                            t.level() == SecurityLevel::NoAuthNoPriv || authentic(&r.user)
                        });
                        if ok && stage == Stage::Sent && !unacknowledged {
                            self.finish(request_id, Ok(()));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

fn sent(n: &Notification, t: &NotifyTarget, outcome: String) -> SentNotification {
    SentNotification {
        name: n.name,
        trap_oid: n.trap_oid.to_string(),
        up_time: n.up_time,
        target: t.address,
        kind: t.kind,
        version: t.version,
        outcome,
    }
}

/// The SNMPv2 PDU (trap or inform) carrying `n`.
fn v2_pdu(pdu_type: PduType, request_id: i32, n: &Notification) -> Pdu<'static> {
    Pdu {
        pdu_type,
        request_id,
        error_status: 0,
        error_index: 0,
        varbinds: v2_varbinds(n),
        trap_v1: None,
    }
}

/// RFC 3584 §3.2: the SNMPv1 Trap-PDU for an SNMPv2 notification.
///
/// - A standard trap (snmpTraps.1-6): generic-trap is its last arc minus one, specific-trap 0,
///   enterprise snmpTrapEnterprise.0's value if present, else snmpTraps.
/// - Any other: generic-trap enterpriseSpecific(6), specific-trap its last arc, enterprise the
///   OID without its last arc (and without the next-to-last too when that is 0).
/// - Counter64 objects are dropped (SNMPv1 has no such type), and snmpTrapEnterprise.0, which
///   the enterprise field carries.
pub fn v1_trap(n: &Notification, agent_addr: [u8; 4]) -> Pdu<'static> {
    let arcs = n.trap_oid.arcs();
    let standard = arcs.len() == snmp_proto::oids::SNMP_TRAPS.len() + 1
        && arcs.starts_with(snmp_proto::oids::SNMP_TRAPS)
        && arcs.last().is_some_and(|a| (1..=6).contains(a));
    let enterprise_varbind = n
        .varbinds
        .iter()
        .find(|vb| vb.oid.arcs() == SNMP_TRAP_ENTERPRISE)
        .and_then(|vb| match &vb.value {
            Value::ObjectId(o) => Some(o.clone()),
            _ => None,
        });
    let last = arcs.last().copied().unwrap_or(0);
    let (enterprise, generic_trap, specific_trap) = if standard {
        (
            enterprise_varbind
                .unwrap_or_else(|| snmp_proto::Oid::new(snmp_proto::oids::SNMP_TRAPS)),
            i32::try_from(last).unwrap_or(0).saturating_sub(1),
            0,
        )
    } else {
        let mut prefix = arcs.get(..arcs.len().saturating_sub(1)).unwrap_or_default();
        if prefix.last() == Some(&0) {
            prefix = prefix
                .get(..prefix.len().saturating_sub(1))
                .unwrap_or_default();
        }
        (
            snmp_proto::Oid::new(prefix),
            6,
            i32::try_from(last).unwrap_or(i32::MAX),
        )
    };
    let varbinds: Vec<VarBind<'static>> = n
        .varbinds
        .iter()
        .filter(|vb| {
            !matches!(vb.value, Value::Counter64(_)) && vb.oid.arcs() != SNMP_TRAP_ENTERPRISE
        })
        .cloned()
        .collect();
    Pdu {
        pdu_type: PduType::TrapV1,
        request_id: 0,
        error_status: 0,
        error_index: 0,
        varbinds,
        trap_v1: Some(TrapV1Header {
            enterprise,
            agent_addr,
            generic_trap,
            specific_trap,
            time_stamp: n.up_time,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use snmp_proto::Oid;

    fn notification(oid: &[u32], varbinds: Vec<VarBind<'static>>) -> Notification {
        Notification {
            name: "t",
            trap_oid: Oid::new(oid),
            varbinds,
            up_time: 1234,
            engine_id: Arc::from(&b"\x80\0\0\0\x01"[..]),
            engine_boots: 1,
            engine_time: 2,
            sys_object_id: Oid::new(&[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 5]),
            faults: Vec::new(),
        }
    }

    #[test]
    fn rfc3584_maps_standard_and_enterprise_traps_to_v1() {
        let apc = Oid::new(&[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 5]);
        let cold = notification(
            crate::notification::COLD_START,
            crate::notification::standard_trap_varbinds(&apc),
        );
        let pdu = v1_trap(&cold, [127, 0, 0, 1]);
        let h = pdu.trap_v1.clone().unwrap();
        assert_eq!(
            (
                h.enterprise,
                h.generic_trap,
                h.specific_trap,
                h.time_stamp,
                h.agent_addr
            ),
            (apc.clone(), 0, 0, 1234, [127, 0, 0, 1])
        );
        assert!(
            pdu.varbinds.is_empty(),
            "snmpTrapEnterprise.0 is in the enterprise field"
        );
        let on = notification(
            &[1, 3, 6, 1, 4, 1, 318, 0, 268],
            vec![
                VarBind {
                    oid: Oid::new(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 1, 3]),
                    value: Value::Integer(3),
                },
                VarBind {
                    oid: Oid::new(&[1, 3, 6, 1, 9]),
                    value: Value::Counter64(5),
                },
            ],
        );
        let pdu = v1_trap(&on, [127, 0, 0, 1]);
        let h = pdu.trap_v1.clone().unwrap();
        assert_eq!(
            (h.enterprise, h.generic_trap, h.specific_trap),
            (Oid::new(&[1, 3, 6, 1, 4, 1, 318]), 6, 268)
        );
        assert_eq!(pdu.varbinds.len(), 1, "Counter64 objects are dropped");
        let raritan = notification(&[1, 3, 6, 1, 4, 1, 13742, 6, 0, 63], Vec::new());
        let h = v1_trap(&raritan, [0; 4]).trap_v1.unwrap();
        assert_eq!(
            (h.enterprise, h.specific_trap),
            (Oid::new(&[1, 3, 6, 1, 4, 1, 13742, 6]), 63)
        );
    }
}
