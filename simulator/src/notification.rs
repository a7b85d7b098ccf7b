//! What a PDU tells its managers: notification targets (`[[pdu.notify]]`, `--notify`), the
//! notifications themselves (SNMPv2 form: sysUpTime.0, snmpTrapOID.0, then the objects), and
//! the per-PDU queue that hands them to the originator ([`crate::notify`]) without blocking the
//! request path.
//!
//! Events: coldStart / warmStart (SNMPv2-MIB, RFC 3418), authenticationFailure (when
//! snmpEnableAuthenTraps is enabled), and each vendor's own outlet notifications, whose OIDs and
//! objects come from `pdu_mibs::notifications`. Outlet notifications are sent when an outlet's
//! power actually changes, whoever changed it and whenever a pending step completes: the queue
//! keeps the power it last reported per outlet and [`NotificationQueue::observe_outlets`]
//! compares.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pdu_mibs::notifications::{outlet_notifications, OutletEvent, Source};
use serde::{Deserialize, Serialize};
use snmp_proto::usm::keys::MIN_PASSWORD_LEN;
use snmp_proto::usm::{AuthProtocol, Password, PrivProtocol, SecurityLevel};
use snmp_proto::{oids, Oid, Value, VarBind};

use crate::access::{Access, UserSpec};
use crate::outlet::{PendingKind, Power};
use crate::state::DeviceState;

/// snmpTrapEnterprise.0 (SNMPv2-MIB): the enterprise of a standard trap, used for SNMPv1's
/// enterprise field (RFC 3584 §3.2).
pub const SNMP_TRAP_ENTERPRISE: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0];
/// coldStart (SNMPv2-MIB snmpTraps.1).
pub const COLD_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 1];
/// warmStart (SNMPv2-MIB snmpTraps.2).
pub const WARM_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 2];
/// authenticationFailure (SNMPv2-MIB snmpTraps.5).
pub const AUTHENTICATION_FAILURE: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 5];

/// How many notifications wait per process before new ones are dropped (and counted).
pub const QUEUE_DEPTH: usize = 65_536;
/// How many sent notifications each PDU remembers for the control API.
pub const HISTORY: usize = 32;

/// The SNMP version a target receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifyVersion {
    /// SNMPv1 Trap-PDU (RFC 1157, mapped per RFC 3584 §3.2). Written `"1"`.
    #[serde(rename = "1")]
    V1,
    /// SNMPv2c (RFC 1901). Written `"2c"`.
    #[serde(rename = "2c")]
    V2c,
    /// SNMPv3 with USM (RFC 3414). Written `"3"`.
    #[serde(rename = "3")]
    V3,
}

/// Trap (unacknowledged) or inform (acknowledged, retransmitted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyKind {
    /// SNMPv2-Trap-PDU (or SNMPv1 Trap-PDU).
    Trap,
    /// InformRequest-PDU (RFC 3416 §4.2.7), retransmitted until a Response arrives.
    Inform,
}

fn default_version() -> NotifyVersion {
    NotifyVersion::V2c
}
fn default_kind() -> NotifyKind {
    NotifyKind::Trap
}
fn default_timeout_ms() -> u64 {
    1000
}
fn default_retries() -> u32 {
    3
}

/// One `[[pdu.notify]]` table: where and how to send this PDU's notifications.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// The receiver, IP:PORT (snmptrapd listens on 162).
    pub address: String,
    /// `"1"`, `"2c"` (default) or `"3"`.
    #[serde(default = "default_version")]
    pub version: NotifyVersion,
    /// `trap` (default) or `inform` (v2c and v3 only).
    #[serde(default = "default_kind")]
    pub kind: NotifyKind,
    /// The community for v1/v2c (default `public`; never printed).
    pub community: Option<String>,
    /// The SNMPv3 user (usmUserName), for version 3.
    pub user: Option<String>,
    /// The user's authentication protocol: md5, sha, sha224, sha256, sha384 or sha512.
    pub auth: Option<String>,
    /// The authentication password, at least 8 characters (never printed).
    pub auth_password: Option<String>,
    /// The privacy protocol: des, 3des, aes, aes192, aes256, aes192-cisco or aes256-cisco.
    #[serde(rename = "priv")]
    pub privacy: Option<String>,
    /// The privacy password, at least 8 characters (never printed).
    pub priv_password: Option<String>,
    /// Milliseconds an inform waits for its Response before it is sent again, 10 to 60000
    /// (default 1000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// How many times an unanswered inform is sent again, 0 to 10 (default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("address", &self.address)
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A checked notification target.
#[derive(Clone, Debug)]
pub struct NotifyTarget {
    /// The receiver's address.
    pub address: SocketAddr,
    /// The SNMP version it receives.
    pub version: NotifyVersion,
    /// Trap or inform.
    pub kind: NotifyKind,
    /// The community (v1/v2c).
    pub community: Password,
    /// The SNMPv3 user (v3): its keys are localized to the PDU's engine for traps and to the
    /// receiver's engine for informs (RFC 3414 §4).
    pub user: Option<UserSpec>,
    /// How long an inform waits for its Response before it is sent again.
    pub timeout: Duration,
    /// How many times an unanswered inform is sent again.
    pub retries: u32,
}

impl NotifyTarget {
    /// The securityLevel a v3 notification to this target is sent at: what the user's keys
    /// allow.
    pub fn level(&self) -> SecurityLevel {
        self.user
            .as_ref()
            .map_or(SecurityLevel::NoAuthNoPriv, UserSpec::key_level)
    }
}

impl NotifyConfig {
    /// Checks the table. Errors name the key (`address`, `kind`, `auth_password`, ...) and say
    /// what would be right; they never repeat a password or community.
    pub fn validate(&self) -> Result<NotifyTarget, (&'static str, String)> {
        let address: SocketAddr = self.address.parse().map_err(|_| {
            (
                "address",
                format!(
                    "{:?} is not an address: write IP:PORT, e.g. 127.0.0.1:1162",
                    self.address
                ),
            )
        })?;
        if !address.is_ipv4() {
            return Err((
                "address",
                format!(
                    "{address} is IPv6: notifications go to IPv4 receivers, e.g. 127.0.0.1:1162"
                ),
            ));
        }
        if self.kind == NotifyKind::Inform && self.version == NotifyVersion::V1 {
            return Err((
                "kind",
                "SNMPv1 has no InformRequest: use version \"2c\" or \"3\" for informs, or kind \"trap\"".into(),
            ));
        }
        if !(10..=60_000).contains(&self.timeout_ms) {
            return Err((
                "timeout_ms",
                format!(
                    "{} ms is out of range: give 10 to 60000 milliseconds",
                    self.timeout_ms
                ),
            ));
        }
        if self.retries > 10 {
            return Err((
                "retries",
                format!("{} is out of range: give 0 to 10", self.retries),
            ));
        }
        let v3_fields = self.user.is_some()
            || self.auth.is_some()
            || self.auth_password.is_some()
            || self.privacy.is_some()
            || self.priv_password.is_some();
        let user = match self.version {
            NotifyVersion::V3 => {
                if self.community.is_some() {
                    return Err((
                        "community",
                        "SNMPv3 uses a user, not a community: remove community, or use version \"2c\"".into(),
                    ));
                }
                Some(self.user_spec()?)
            }
            _ => {
                if v3_fields {
                    return Err((
                        "user",
                        "users, auth and priv are for version \"3\": set version = \"3\", or remove them".into(),
                    ));
                }
                None
            }
        };
        let community = self.community.clone().unwrap_or_else(|| "public".into());
        if community.is_empty() {
            return Err(("community", "must not be empty".into()));
        }
        Ok(NotifyTarget {
            address,
            version: self.version,
            kind: self.kind,
            community: Password::from(community),
            user,
            timeout: Duration::from_millis(self.timeout_ms),
            retries: self.retries,
        })
    }

    fn user_spec(&self) -> Result<UserSpec, (&'static str, String)> {
        let name = self.user.clone().ok_or((
            "user",
            "missing: version \"3\" needs a user (and its auth/priv protocols and passwords)"
                .to_string(),
        ))?;
        if name.is_empty() || name.len() > 32 {
            return Err((
                "user",
                "a user name is 1 to 32 characters (RFC 3414 usmUserName)".into(),
            ));
        }
        let password = |key: &'static str, text: &Option<String>| {
            match text {
            Some(t) if t.chars().count() < MIN_PASSWORD_LEN => Err((
                key,
                format!(
                    "this password is {} characters; SNMPv3 passwords must be at least {MIN_PASSWORD_LEN} (RFC 3414 §11.2)",
                    t.chars().count()
                ),
            )),
            Some(t) => Ok(Some(Password::from(t.clone()))),
            None => Ok(None),
        }
        };
        let auth_password = password("auth_password", &self.auth_password)?;
        let priv_password = password("priv_password", &self.priv_password)?;
        let auth = match (&self.auth, auth_password) {
            (Some(p), Some(pw)) => Some((
                p.parse::<AuthProtocol>()
                    .map_err(|e| ("auth", e.to_string()))?,
                pw,
            )),
            (Some(_), None) => {
                return Err((
                    "auth_password",
                    "missing: a protocol was given, so give its password too".into(),
                ))
            }
            (None, Some(_)) => {
                return Err((
                    "auth",
                    "missing: auth_password is set, so say which protocol (e.g. \"sha\")".into(),
                ))
            }
            (None, None) => None,
        };
        let privacy = match (&self.privacy, priv_password) {
            (Some(_), _) if auth.is_none() => {
                return Err((
                    "priv",
                    "privacy needs authentication: set auth and auth_password too".into(),
                ))
            }
            (Some(p), Some(pw)) => Some((
                p.parse::<PrivProtocol>()
                    .map_err(|e| ("priv", e.to_string()))?,
                pw,
            )),
            (Some(_), None) => {
                return Err((
                    "priv_password",
                    "missing: a protocol was given, so give its password too".into(),
                ))
            }
            (None, Some(_)) => {
                return Err((
                    "priv",
                    "missing: priv_password is set, so say which protocol (e.g. \"aes\")".into(),
                ))
            }
            (None, None) => None,
        };
        Ok(UserSpec {
            name,
            auth,
            privacy,
            access: Access::ReadOnly,
            min_level: None,
        })
    }
}

/// One notification as a PDU raises it, in SNMPv2 form (RFC 3416 §4.2.6): sysUpTime.0 and
/// snmpTrapOID.0 are added when it is sent, so `varbinds` holds only the objects.
#[derive(Clone, Debug)]
pub struct Notification {
    /// The notification's name in its MIB (`coldStart`, `rPDUOutletOn`, ...), for logs.
    pub name: &'static str,
    /// snmpTrapOID.0's value.
    pub trap_oid: Oid,
    /// The objects, in the MIB's order.
    pub varbinds: Vec<VarBind<'static>>,
    /// sysUpTime.0 when it was raised, in hundredths of a second.
    pub up_time: u32,
    /// The PDU's snmpEngineID when it was raised (the authoritative engine of v3 traps).
    pub engine_id: Arc<[u8]>,
    /// The PDU's snmpEngineBoots then.
    pub engine_boots: i32,
    /// The PDU's snmpEngineTime then, in seconds.
    pub engine_time: i32,
    /// The PDU's sysObjectID (the SNMPv1 enterprise of its vendor traps' fallback).
    pub sys_object_id: Oid,
    /// The faults acting on it (the `Notify` fault point, taken when it was raised).
    pub faults: Vec<crate::fault::FaultKind>,
}

/// What became of one notification, per target, for the control API.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SentNotification {
    /// The notification's MIB name.
    pub name: &'static str,
    /// snmpTrapOID.0, dotted.
    pub trap_oid: String,
    /// sysUpTime.0 at the event, in hundredths of a second.
    pub up_time: u32,
    /// The receiver.
    pub target: SocketAddr,
    /// `trap` or `inform`.
    pub kind: NotifyKind,
    /// The SNMP version sent.
    pub version: NotifyVersion,
    /// `sent` (trap), `acknowledged` or `failed: why` (inform), `dropped: why`.
    pub outcome: String,
}

/// What the control API shows of a PDU's notifications (`GET /pdus/{pdu}/notifications`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NotificationReport {
    /// Notifications raised and queued.
    pub raised: u32,
    /// Notifications dropped because the queue was full.
    pub dropped: u32,
    /// Informs acknowledged.
    pub informs_acknowledged: u32,
    /// Informs that failed.
    pub informs_failed: u32,
    /// The last notifications sent, oldest first, one entry per target.
    pub sent: Vec<SentNotification>,
}

/// A queued notification: which PDU raised it (its index in the originator) and what.
pub type Queued = (usize, Arc<Notification>);

/// Counters of the notification originator for one PDU (no MIB object holds them: the control
/// API and logs show them).
#[derive(Debug, Default)]
pub struct NotifyCounters {
    /// Notifications raised and queued.
    pub raised: AtomicU32,
    /// Notifications dropped because the queue was full.
    pub dropped: AtomicU32,
    /// Informs acknowledged by a Response.
    pub informs_acknowledged: AtomicU32,
    /// Informs that failed: no Response after every retry, or a Report that cannot be cured.
    pub informs_failed: AtomicU32,
}

/// The power an outlet last had in a notification, and whether a reboot is under way.
#[derive(Clone, Copy, Debug)]
struct Seen {
    power: Power,
    rebooting: bool,
}

/// One PDU's side of the notification originator: the queue to it (attached at launch when
/// the PDU has targets), the targets, the outlet powers last reported, a wake-up for the
/// settle-on-time timer, counters and the last notifications sent.
#[derive(Debug, Default)]
pub struct NotificationQueue {
    targets: Vec<NotifyTarget>,
    sender: OnceLock<(tokio::sync::mpsc::Sender<Queued>, usize)>,
    agent: OnceLock<SocketAddr>,
    seen: Mutex<Vec<Seen>>,
    wake: tokio::sync::Notify,
    /// What was sent, counted.
    pub counters: NotifyCounters,
    history: Mutex<VecDeque<SentNotification>>,
}

impl NotificationQueue {
    /// A queue for these targets, not yet attached to an originator.
    pub fn new(targets: Vec<NotifyTarget>) -> Self {
        NotificationQueue {
            targets,
            ..Default::default()
        }
    }

    /// The targets notifications go to.
    pub fn targets(&self) -> &[NotifyTarget] {
        &self.targets
    }

    /// Connects the queue to the originator (once); `index` names the PDU there.
    pub fn attach(&self, sender: tokio::sync::mpsc::Sender<Queued>, index: usize) {
        let _ = self.sender.set((sender, index));
    }

    /// Whether notifications are being sent (targets and an attached originator).
    pub fn active(&self) -> bool {
        self.sender.get().is_some()
    }

    /// Records the address the PDU answers on (for agent-addr and the vendors' address objects).
    pub fn set_agent_address(&self, addr: SocketAddr) {
        let _ = self.agent.set(addr);
    }

    /// The address the PDU answers on, if known.
    pub fn agent_address(&self) -> Option<SocketAddr> {
        self.agent.get().copied()
    }

    /// The agent's IPv4 address (0.0.0.0 when it listens on IPv6 or on every address).
    pub fn agent_ipv4(&self) -> [u8; 4] {
        match self.agent_address().map(|a| a.ip()) {
            Some(IpAddr::V4(ip)) => ip.octets(),
            _ => Ipv4Addr::UNSPECIFIED.octets(),
        }
    }

    /// Queues a notification without waiting: a full queue drops it (counted and logged).
    pub fn push(&self, pdu: &str, notification: Notification) {
        let Some((sender, index)) = self.sender.get() else {
            return;
        };
        crate::stats::bump(&self.counters.raised);
        let name = notification.name;
        if sender.try_send((*index, Arc::new(notification))).is_err() {
            crate::stats::bump(&self.counters.dropped);
            tracing::warn!(
                pdu,
                notification = name,
                "notification dropped: the queue is full"
            );
        }
    }

    /// Wakes the settle-on-time timer: an outlet's schedule changed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits until [`NotificationQueue::wake`] is called (a call made earlier counts).
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// Remembers what became of a notification (the last [`HISTORY`] are kept).
    pub fn record(&self, sent: SentNotification) {
        let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if h.len() >= HISTORY {
            h.pop_front();
        }
        h.push_back(sent);
    }

    /// The last notifications sent (oldest first), with their outcome.
    pub fn history(&self) -> Vec<SentNotification> {
        self.history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The counters and the last notifications sent, for the control API.
    pub fn report(&self) -> NotificationReport {
        let c = &self.counters;
        NotificationReport {
            raised: crate::stats::read(&c.raised),
            dropped: crate::stats::read(&c.dropped),
            informs_acknowledged: crate::stats::read(&c.informs_acknowledged),
            informs_failed: crate::stats::read(&c.informs_failed),
            sent: self.history(),
        }
    }

    /// Takes the outlets' powers as already reported (at attach and after a restart resets
    /// them), so that only later changes are notified.
    pub fn reset_outlets(&self, state: &mut DeviceState, now: Duration) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        *seen = state
            .outlets
            .iter_mut()
            .map(|o| Seen {
                power: o.power(now),
                rebooting: o.pending(now) == Some(PendingKind::Reboot),
            })
            .collect();
    }

    /// Compares every outlet's power at `now` with what was last reported and returns the
    /// events: (outlet number, event, power before). Settles pending steps due by `now`.
    /// Returns nothing when notifications are not being sent.
    pub fn observe_outlets(
        &self,
        state: &mut DeviceState,
        now: Duration,
    ) -> Vec<(u32, OutletEvent, Power)> {
        if !self.active() {
            return Vec::new();
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut events = Vec::new();
        for (i, o) in state.outlets.iter_mut().enumerate() {
            let power = o.power(now);
            let rebooting = o.pending(now) == Some(PendingKind::Reboot);
            let Some(s) = seen.get_mut(i) else {
                seen.push(Seen { power, rebooting });
                continue;
            };
            let n = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
            if power != s.power {
                let before = s.power;
                match power {
                    Power::On => {
                        events.push((n, OutletEvent::TurnedOn, before));
                        if s.rebooting {
                            events.push((n, OutletEvent::Rebooted, before));
                        }
                        s.rebooting = false;
                    }
                    Power::Off => {
                        events.push((n, OutletEvent::TurnedOff, before));
                        s.rebooting = rebooting;
                    }
                }
                s.power = power;
            } else if power == Power::Off {
                s.rebooting = rebooting;
            }
        }
        events
    }
}

/// The system group values notifications carry.
#[derive(Clone, Copy, Debug)]
pub struct SystemStrings<'a> {
    /// sysName.0.
    pub name: &'a str,
    /// sysContact.0.
    pub contact: &'a str,
    /// sysLocation.0.
    pub location: &'a str,
}

/// The varbinds of a standard trap (coldStart, warmStart, authenticationFailure): just
/// snmpTrapEnterprise.0 = sysObjectID, as net-snmp's agent sends, so that an SNMPv1 receiver
/// gets the vendor's enterprise (RFC 3584 §3.2).
pub fn standard_trap_varbinds(sys_object_id: &Oid) -> Vec<VarBind<'static>> {
    vec![VarBind {
        oid: Oid::new(SNMP_TRAP_ENTERPRISE),
        value: Value::ObjectId(sys_object_id.clone()),
    }]
}

/// The vendor notifications (name, OID, varbinds) for an outlet `event`, from the vendor's
/// MIB data (`pdu_mibs::notifications`).
#[allow(clippy::too_many_arguments)]
pub fn outlet_notification_varbinds(
    profile: &pdu_mibs::Profile,
    outlet: u32,
    outlet_name: &str,
    event: OutletEvent,
    now_power: Power,
    before: Power,
    system: SystemStrings<'_>,
    pdu: &str,
    agent: Option<SocketAddr>,
) -> Vec<(&'static str, Oid, Vec<VarBind<'static>>)> {
    let ipv4 = match agent.map(|a| a.ip()) {
        Some(IpAddr::V4(ip)) => ip.octets(),
        _ => [0, 0, 0, 0],
    };
    let encode = |p: Power, on: i32, off: i32| if p == Power::On { on } else { off };
    outlet_notifications(profile.name)
        .iter()
        .filter(|n| n.events.contains(&event))
        .map(|n| {
            let varbinds = n
                .objects
                .iter()
                .map(|o| {
                    let value = match o.value {
                        Source::OutletNumber => {
                            Value::Integer(i32::try_from(outlet).unwrap_or(i32::MAX))
                        }
                        Source::OutletName => Value::octets(outlet_name),
                        Source::OutletLabel => Value::octets(outlet.to_string()),
                        Source::State { on, off } => Value::Integer(encode(now_power, on, off)),
                        Source::OldState { on, off } => Value::Integer(encode(before, on, off)),
                        Source::Integer(v) => Value::Integer(v),
                        Source::Unsigned(v) => Value::Gauge32(v),
                        Source::SysName => Value::octets(system.name),
                        Source::SysContact => Value::octets(system.contact),
                        Source::SysLocation => Value::octets(system.location),
                        Source::SerialNumber => Value::octets(serial_number(pdu)),
                        Source::AgentAddressOctets => Value::octets(ipv4.to_vec()),
                        Source::AgentIpAddress => Value::IpAddress(ipv4),
                        Source::AgentPort => {
                            Value::Gauge32(u32::from(agent.map_or(0, |a| a.port())))
                        }
                        Source::UnixTime => Value::Gauge32(
                            std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)),
                        ),
                        Source::OutletId(prefix) => Value::octets(format!("{prefix}{outlet}")),
                        Source::StateText { on, off } => {
                            Value::octets(if now_power == Power::On { on } else { off })
                        }
                        Source::Message => Value::octets(format!(
                            "Outlet {outlet}{} {}.",
                            if outlet_name.is_empty() {
                                String::new()
                            } else {
                                format!(" ({outlet_name})")
                            },
                            match event {
                                OutletEvent::TurnedOn => "turned on",
                                OutletEvent::TurnedOff => "turned off",
                                OutletEvent::Rebooted => "rebooted",
                            }
                        )),
                    };
                    VarBind {
                        oid: Oid(o.instance_oid(profile, outlet)),
                        value,
                    }
                })
                .collect();
            (n.name, Oid::new(n.oid), varbinds)
        })
        .collect()
}

/// The serial number a simulated PDU reports: `SIM-` and its name.
pub fn serial_number(pdu: &str) -> String {
    format!("SIM-{pdu}")
}

/// For each target: a one-line summary and the shell lines that start net-snmp's snmptrapd to
/// receive what it sends (printed at start). The default community `public` is shown; other
/// secrets are placeholders (`<community>`, `<auth-pass>`, `<priv-pass>`), never printed.
pub fn snmptrapd_hint(targets: &[NotifyTarget], engine_id: &[u8]) -> Vec<(String, Vec<String>)> {
    use snmp_proto::usm::ExposeSecret;
    let mut out = Vec::new();
    for t in targets {
        let version = match t.version {
            NotifyVersion::V1 => "v1",
            NotifyVersion::V2c => "v2c",
            NotifyVersion::V3 => "v3",
        };
        let kind = match t.kind {
            NotifyKind::Trap => "traps",
            NotifyKind::Inform => "informs",
        };
        let conf = match &t.user {
            None => {
                let c = t.community.expose_secret();
                let shown = if c == "public" { c } else { "<community>" };
                vec![format!("authCommunity log {shown}")]
            }
            Some(u) => {
                // Traps come from this PDU's engine, so snmptrapd needs the user under its
                // engine ID; informs are sent to snmptrapd's own engine.
                let engine = match t.kind {
                    NotifyKind::Trap => format!("-e 0x{} ", hex::encode(engine_id)),
                    NotifyKind::Inform => String::new(),
                };
                let mut line = format!("createUser {engine}{}", u.name);
                if let Some((a, _)) = &u.auth {
                    line.push_str(&format!(" {} <auth-pass>", a.name()));
                    if let Some((p, _)) = &u.privacy {
                        line.push_str(&format!(" {} <priv-pass>", p.name()));
                    }
                }
                vec![line, format!("authUser log {}", u.name)]
            }
        };
        let quoted: Vec<String> = conf.iter().map(|l| format!("'{l}'")).collect();
        out.push((
            format!("{version} {kind} to {}", t.address),
            vec![
                format!("printf '%s\\n' {} > trapd.conf", quoted.join(" ")),
                format!(
                    "snmptrapd -f -Lo -C -c trapd.conf udp:{}:{}",
                    t.address.ip(),
                    t.address.port()
                ),
            ],
        ));
    }
    out
}

/// The snmpTrapOID.0 and sysUpTime.0 varbinds that start every SNMPv2 notification
/// (RFC 3416 §4.2.6), followed by `varbinds`.
pub fn v2_varbinds(n: &Notification) -> Vec<VarBind<'static>> {
    let mut all = Vec::with_capacity(n.varbinds.len().saturating_add(2));
    all.push(VarBind {
        oid: Oid::new(oids::SYS_UP_TIME),
        value: Value::TimeTicks(n.up_time),
    });
    all.push(VarBind {
        oid: Oid::new(oids::SNMP_TRAP_OID),
        value: Value::ObjectId(n.trap_oid.clone()),
    });
    all.extend(n.varbinds.iter().cloned());
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileConfig;

    fn error_of(notify: &str) -> String {
        let text = format!(
            "[[pdu]]\nname = \"a\"\n[[pdu.community]]\nname = \"p\"\n[[pdu.notify]]\n{notify}"
        );
        match FileConfig::parse(&text, "t.toml").and_then(|c| c.validate("t.toml")) {
            Ok(_) => panic!("accepted: {notify}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn notify_mistakes_name_the_field_and_the_fix() {
        for (notify, field, fix) in [
            ("address = \"localhost\"\n", "notify[0].address", "IP:PORT"),
            ("address = \"[::1]:162\"\n", "notify[0].address", "IPv4"),
            (
                "address = \"127.0.0.1:162\"\nversion = \"1\"\nkind = \"inform\"\n",
                "notify[0].kind",
                "SNMPv1 has no InformRequest",
            ),
            (
                "address = \"127.0.0.1:162\"\nkind = \"inform\"\ntimeout_ms = 5\n",
                "notify[0].timeout_ms",
                "10 to 60000",
            ),
            (
                "address = \"127.0.0.1:162\"\nretries = 99\n",
                "notify[0].retries",
                "0 to 10",
            ),
            (
                "address = \"127.0.0.1:162\"\nversion = \"3\"\n",
                "notify[0].user",
                "needs a user",
            ),
            (
                "address = \"127.0.0.1:162\"\nuser = \"u\"\n",
                "notify[0].user",
                "set version = \"3\"",
            ),
            (
                "address = \"127.0.0.1:162\"\nversion = \"3\"\nuser = \"u\"\nauth = \"sha\"\nauth_password = \"s3cr\"\n",
                "notify[0].auth_password",
                "at least 8",
            ),
            (
                "address = \"127.0.0.1:162\"\nversion = \"3\"\nuser = \"u\"\npriv = \"aes\"\npriv_password = \"s3cretpriv\"\n",
                "notify[0].priv",
                "needs authentication",
            ),
            (
                "address = \"127.0.0.1:162\"\nversion = \"3\"\nuser = \"u\"\nauth = \"sha9\"\nauth_password = \"s3cretauth\"\n",
                "notify[0].auth",
                "sha9",
            ),
            (
                "address = \"127.0.0.1:162\"\nversion = \"3\"\nuser = \"u\"\ncommunity = \"s3cret\"\n",
                "notify[0].community",
                "not a community",
            ),
        ] {
            let e = error_of(notify);
            assert!(
                e.contains(&format!("pdu[0].{field}")) && e.contains(fix),
                "{notify}: {e}"
            );
            assert!(!e.contains("s3cr"), "no secret in {e}");
        }
        // A version that is not one of the three is refused by the parser, with the line.
        let e = error_of("address = \"127.0.0.1:162\"\nversion = \"2\"\n");
        assert!(e.contains("line 7") && e.contains("2c"), "{e}");
    }

    #[test]
    fn a_valid_target_keeps_its_settings_and_hides_its_secrets() {
        let c: NotifyConfig = toml::from_str(
            "address = \"127.0.0.1:1162\"\nversion = \"3\"\nkind = \"inform\"\nuser = \"ops\"\nauth = \"sha256\"\nauth_password = \"authsecret1\"\npriv = \"aes256\"\npriv_password = \"privsecret1\"\ntimeout_ms = 250\nretries = 2\n",
        )
        .unwrap();
        let t = c.validate().unwrap();
        assert_eq!(
            (t.version, t.kind, t.timeout, t.retries, t.level()),
            (
                NotifyVersion::V3,
                NotifyKind::Inform,
                Duration::from_millis(250),
                2,
                SecurityLevel::AuthPriv
            )
        );
        let shown = format!("{c:?} {t:?}");
        assert!(
            !shown.contains("authsecret1") && !shown.contains("privsecret1"),
            "{shown}"
        );
        let hint = snmptrapd_hint(&[t], b"\x80\0\0\0\x01");
        assert!(
            hint[0].1[0].contains("createUser ops SHA-256 <auth-pass> AES-256 <priv-pass>"),
            "{hint:?}"
        );
    }
}
