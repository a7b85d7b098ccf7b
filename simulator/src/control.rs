//! Control of running PDUs from outside the SNMP flow: outlet states, faults, engine events.
//! The conformance runner calls this API in-process; `control_http` serves the same operations
//! over HTTP/JSON on loopback (`pdusim serve --control 127.0.0.1:PORT`) for drivers written in
//! any language.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::engine::parse_engine_id;
use crate::fault::{FaultInfo, FaultKind, Schedule};
use crate::outlet::{Command, PendingKind, Power};
use crate::request_log::RequestRecord;

/// Why a control call was refused. Over HTTP: 404 for an unknown PDU, outlet or fault, 400 for
/// `BadRequest` and `BadField`, 500 for `Failed`, with `{"error": message, "field": name}`
/// ([`ControlError::field`], `null` when no one field is at fault).
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No running PDU has this name.
    #[error("no PDU named {0:?}: GET /pdus lists them")]
    NoSuchPdu(String),
    /// The PDU has no such outlet.
    #[error("PDU {pdu:?} has no outlet {outlet}: it has outlets 1 to {count}")]
    NoSuchOutlet {
        /// The PDU's name.
        pdu: String,
        /// The outlet number asked for.
        outlet: u32,
        /// How many outlets the PDU has (numbered from 1).
        count: usize,
    },
    /// The PDU has no fault with this ID (never added, removed, or run out).
    #[error("PDU {pdu:?} has no fault {id}: GET /pdus/{pdu}/faults lists them")]
    NoSuchFault {
        /// The PDU's name.
        pdu: String,
        /// The fault ID asked for.
        id: u64,
    },
    /// The request cannot be carried out as given, and no one field is at fault.
    #[error("{0}")]
    BadRequest(String),
    /// A fault spec that does not mean anything; [`crate::fault::FaultSpecError::field`] names
    /// the field at fault. Over HTTP: 400.
    #[error(transparent)]
    BadFault(#[from] crate::fault::FaultSpecError),
    /// One field of the request is wrong (an unknown command, bad hex, boots below 1).
    #[error("{field}: {message}")]
    BadField {
        /// The field, as the request names it (`command`, `boots`, `engine_id`, ...).
        field: String,
        /// What is wrong with it and what is accepted.
        message: String,
    },
    /// The PDU could not do it (its state or engine boots could not be written).
    #[error("{0}")]
    Failed(String),
    /// An outlet change was made but its state could not be saved, so it was undone (the
    /// outlets are as before the request). Over HTTP: 503, since it may work once the disk has
    /// room again.
    #[error("the change was undone because the state of PDU {} could not be saved: {why}; free space on the state directory's file system or make it writable, then send the request again", .pdus.join(", "))]
    NotSaved {
        /// The PDUs whose change was undone.
        pdus: Vec<String>,
        /// Why the write failed (the file and the operating system's error).
        why: String,
    },
}

impl ControlError {
    /// The request field at fault, for the `field` of an HTTP error: `Some` for
    /// [`ControlError::BadField`], `None` otherwise.
    pub fn field(&self) -> Option<&str> {
        match self {
            ControlError::BadField { field, .. } => Some(field),
            ControlError::BadFault(e) => Some(e.field()),
            _ => None,
        }
    }

    /// A [`ControlError::BadField`].
    pub fn bad_field(field: &str, message: impl Into<String>) -> ControlError {
        ControlError::BadField {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A PDU as the control API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PduInfo {
    /// The PDU's name (its state folder's, and a contextName that picks it).
    pub name: String,
    /// The vendor profile's name, e.g. `raritan-px2`.
    pub vendor: String,
    /// How many outlets it has.
    pub outlets: usize,
    /// Whether the PDU's engine, users and state exist yet: a PDU comes into being at its
    /// first request or operation ([`crate::device::Device`]'s lazy PDUs). A listing never
    /// makes one; asking for one PDU (`GET /pdus/{pdu}`) does.
    pub materialised: bool,
    /// snmpEngineID in lower-case hex; `None` (JSON `null`) in a listing of a PDU that has
    /// not come into being.
    pub engine_id: Option<String>,
    /// snmpEngineBoots; `None` as for `engine_id`.
    pub engine_boots: Option<i32>,
    /// snmpEngineTime, in seconds; `None` as for `engine_id`.
    pub engine_time: Option<i32>,
}

/// An outlet as the control API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutletInfo {
    /// The outlet number, from 1.
    pub outlet: u32,
    /// The outlet's name (empty if it has none).
    pub name: String,
    /// Whether it is powered now (during a reboot: off until the off period ends).
    pub power: Power,
    /// "reboot", "on" or "off" while a delayed command or reboot is running.
    pub pending: Option<&'static str>,
}

/// A change to one outlet, made directly (not through SNMP).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutletChange {
    /// Switch at once, cancelling anything pending.
    pub power: Option<Power>,
    /// "on", "off", "reboot", "delayed-on", "delayed-off", "delayed-reboot" or "cancel".
    pub command: Option<String>,
    /// A new outlet name.
    pub name: Option<String>,
}

/// Engine events: each field given is applied.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineChange {
    /// Sets snmpEngineBoots (2147483647 locks the engine out, RFC 3414 §2.2.2).
    pub boots: Option<i32>,
    /// Skews engine time by this many seconds (beyond ±150 puts managers out of the window).
    pub skew_secs: Option<i64>,
    /// A new snmpEngineID, in hex (the device was replaced or reset).
    pub engine_id: Option<String>,
    /// Puts sysUpTime this many seconds (0 or more) ahead of the time since the agent
    /// (re)started, as if it had been up that much longer, replacing any earlier skew (0
    /// removes it); a restart puts it back to 0. sysUpTime wraps modulo 2^32 hundredths of a
    /// second (about 497 days), so `{"uptime_skew_secs": 42949670}` right after a start puts
    /// it 2.96 s before its wrap.
    #[serde(default)]
    pub uptime_skew_secs: Option<i64>,
    /// Moves the management port's IF-MIB traffic counters (ifHCInOctets, ifHCOutOctets,
    /// ifHCInUcastPkts, ifHCOutUcastPkts, and ifInOctets ... their low 32 bits) this many on,
    /// modulo 2^64, as if that much traffic had passed: a manager sees the counters wrap, not a
    /// discontinuity. A whole number from -9223372036854775808 to 18446744073709551615; a
    /// negative N is 2^64 + N (the same modulo 2^64), for TOML scenario files, whose integers
    /// stop at 2^63 - 1. On fresh counters, `{"if_counter_offset": 4294967000}` puts the
    /// Counter32 columns 296 before their wrap, `{"if_counter_offset": -1000}` (or
    /// 18446744073709550616) the Counter64 ones 1000 before theirs. A restart puts the counters
    /// back to 0.
    #[serde(default, deserialize_with = "counter_offset")]
    pub if_counter_offset: Option<u64>,
    /// `true`: sets the management port's traffic counters (and any offset) back to 0 without a
    /// restart, a counter discontinuity: ifCounterDiscontinuityTime becomes sysUpTime now
    /// (RFC 2863). Applied before `if_counter_offset`.
    #[serde(default)]
    pub if_counters_reset: Option<bool>,
}

/// `if_counter_offset`: a whole number from -2^63 to 2^64 - 1, a negative one taken modulo
/// 2^64; refused otherwise with what it must be (serde names the field).
fn counter_offset<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Offset;
    impl serde::de::Visitor<'_> for Offset {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "a whole number from -9223372036854775808 to 18446744073709551615: the octets and datagrams to add to the IF-MIB traffic counters, modulo 2^64",
            )
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            // Two's complement: 2^64 + v for a negative v.
            Ok(v as u64)
        }
    }
    d.deserialize_any(Offset).map(Some)
}

/// A fault to add: what it does and when (`POST /pdus/{pdu}/faults`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFault {
    /// What the fault does, e.g. `{"kind": "drop-response"}`.
    pub fault: FaultKind,
    /// When it acts (default: from now until cleared).
    #[serde(default)]
    pub schedule: Schedule,
}

impl NewFault {
    /// Reads `{"fault": {...}, "schedule": {...}}` (the schedule optional), refusing unknown
    /// fields (a schedule field written beside `fault` is pointed to `schedule`), missing
    /// ones and ones of the wrong type.
    ///
    /// Errors: [`crate::fault::FaultSpecError`] naming the dotted path of the field at fault
    /// (`fault`, `fault.kind`, `fault.status`, `schedule.packets`, ...).
    pub fn from_value(value: serde_json::Value) -> Result<NewFault, crate::fault::FaultSpecError> {
        use crate::fault::FaultSpecError;
        let serde_json::Value::Object(mut fields) = value else {
            return Err(FaultSpecError {
                field: "fault".into(),
                problem: "the body is an object: {\"fault\": {\"kind\": \"drop-response\"}, \"schedule\": {\"packets\": 1}}".into(),
            });
        };
        let fault = fields.remove("fault");
        let schedule = fields.remove("schedule");
        if let Some(unknown) = fields.keys().next() {
            let fix = if ["after_requests", "for_ms", "packets"].contains(&unknown.as_str()) {
                "put it in `schedule`"
            } else {
                "the body has `fault` and `schedule` only"
            };
            return Err(FaultSpecError {
                field: unknown.clone(),
                problem: format!("unknown field `{unknown}`: {fix}"),
            });
        }
        let Some(fault) = fault else {
            return Err(FaultSpecError {
                field: "fault".into(),
                problem:
                    "missing field `fault`: what goes wrong, e.g. {\"kind\": \"drop-response\"}"
                        .into(),
            });
        };
        Ok(NewFault {
            fault: FaultKind::from_value(fault)?,
            schedule: match schedule {
                Some(schedule) => Schedule::from_value(schedule)?,
                None => Schedule::default(),
            },
        })
    }
}

/// The handle to every PDU of a running simulator.
#[derive(Clone)]
pub struct Control {
    devices: Arc<Vec<Arc<Device>>>,
    /// Each name's position in `devices` (the first PDU of that name), so that a lookup does
    /// not scan 100,000 PDUs.
    by_name: Arc<HashMap<String, usize>>,
}

impl Control {
    /// A handle on `devices` (their names should be unique: lookups take the first).
    pub fn new(devices: Vec<Arc<Device>>) -> Control {
        let mut by_name = HashMap::with_capacity(devices.len());
        for (i, d) in devices.iter().enumerate() {
            by_name.entry(d.name.clone()).or_insert(i);
        }
        Control {
            devices: Arc::new(devices),
            by_name: Arc::new(by_name),
        }
    }

    /// The PDU named `name`. Errors: [`ControlError::NoSuchPdu`].
    pub fn device(&self, name: &str) -> Result<&Arc<Device>, ControlError> {
        self.by_name
            .get(name)
            .and_then(|&i| self.devices.get(i))
            .ok_or_else(|| ControlError::NoSuchPdu(name.to_string()))
    }

    /// Every PDU, in the order started, as a listing: the engine of a PDU that has not come
    /// into being is left out, and none is made.
    pub fn pdus(&self) -> Vec<PduInfo> {
        self.devices.iter().map(|d| pdu_summary(d)).collect()
    }

    /// PDUs `offset..offset + limit` of [`Control::pdus`] (fewer at the end, none past it).
    pub fn pdus_page(&self, offset: usize, limit: usize) -> Vec<PduInfo> {
        self.devices
            .iter()
            .skip(offset)
            .take(limit)
            .map(|d| pdu_summary(d))
            .collect()
    }

    /// One PDU. Errors: [`ControlError::NoSuchPdu`].
    pub fn pdu(&self, name: &str) -> Result<PduInfo, ControlError> {
        self.device(name).map(|d| pdu_info(d))
    }

    /// Every outlet of the PDU, outlet 1 first, as of the PDU's clock now (settling what is
    /// due). Errors: [`ControlError::NoSuchPdu`].
    pub fn outlets(&self, name: &str) -> Result<Vec<OutletInfo>, ControlError> {
        let device = self.device(name)?;
        let now = device.now();
        let mut state = device.lock_state();
        Ok(state
            .outlets
            .iter_mut()
            .zip(1u32..)
            .map(|(o, n)| OutletInfo {
                outlet: n,
                name: o.name.clone(),
                power: o.power(now),
                pending: o.pending(now).map(|p| match p {
                    PendingKind::Reboot => "reboot",
                    PendingKind::On => "on",
                    PendingKind::Off => "off",
                }),
            })
            .collect())
    }

    /// Applies `change` to one outlet: power first, then the command, then the name. The new
    /// state is saved (waiting for the write, up to [`crate::persist::SAVE_WAIT`]) before the
    /// outlet is returned.
    ///
    /// Errors: [`ControlError::NoSuchPdu`], [`ControlError::NoSuchOutlet`],
    /// [`ControlError::BadField`] for an unknown command, [`ControlError::NotSaved`] when the
    /// new state could not be written (the change is then undone, as an SNMP SET's is, and
    /// counted in `stateSaveFailures`).
    pub fn change_outlet(
        &self,
        name: &str,
        outlet: u32,
        change: &OutletChange,
    ) -> Result<OutletInfo, ControlError> {
        let device = self.device(name)?;
        let command = command_of(change)?;
        let before = device.lock_state().clone();
        if let Some(p) = apply_change(device, outlet, change, command)? {
            settle_change(device, &p, before).map_err(|why| ControlError::NotSaved {
                pdus: vec![device.name.clone()],
                why,
            })?;
        }
        self.outlets(name)?
            .into_iter()
            .find(|o| o.outlet == outlet)
            .ok_or_else(|| ControlError::Failed("the outlet vanished".into()))
    }

    /// Applies `change` to outlet `outlet` of every PDU that has one, in one call (PDUs with
    /// notification targets all notify at once); returns how many PDUs changed. The state
    /// writes are queued for all of them before any is waited for.
    ///
    /// Errors: [`ControlError::BadField`] for an unknown command, [`ControlError::NotSaved`]
    /// naming the PDUs whose new state could not be written (those are undone and counted; the
    /// others keep the change).
    pub fn change_outlet_everywhere(
        &self,
        outlet: u32,
        change: &OutletChange,
    ) -> Result<usize, ControlError> {
        let command = command_of(change)?;
        let mut changed = 0;
        let mut pending = Vec::new();
        for device in self.devices.iter() {
            let before = device.lock_state().clone();
            match apply_change(device, outlet, change, command) {
                Ok(p) => {
                    changed += 1;
                    if let Some(p) = p {
                        pending.push((device, p, before));
                    }
                }
                Err(ControlError::NoSuchOutlet { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let mut unsaved = Vec::new();
        let mut why = String::new();
        for (device, p, before) in pending {
            if let Err(e) = settle_change(device, &p, before) {
                unsaved.push(device.name.clone());
                why = e;
            }
        }
        if !unsaved.is_empty() {
            return Err(ControlError::NotSaved { pdus: unsaved, why });
        }
        Ok(changed)
    }

    /// Adds a fault to the PDU; returns its ID (for [`Control::remove_fault`]).
    /// Errors: [`ControlError::NoSuchPdu`], [`ControlError::BadFault`] for a spec that does not
    /// mean anything (an unknown error-status or usmStats counter, an outlet the PDU lacks,
    /// `packets = 0`, numbers out of range), naming the field.
    pub fn add_fault(&self, name: &str, fault: NewFault) -> Result<u64, ControlError> {
        Ok(self.device(name)?.faults.add(fault.fault, fault.schedule)?)
    }

    /// The PDU's faults, as [`crate::fault::FaultSet::list`] gives them.
    /// Errors: [`ControlError::NoSuchPdu`].
    pub fn faults(&self, name: &str) -> Result<Vec<FaultInfo>, ControlError> {
        let device = self.device(name)?;
        Ok(device.faults.list(device.now()))
    }

    /// The PDU's notification counters and the last notifications it sent (oldest first).
    /// Errors: [`ControlError::NoSuchPdu`].
    pub fn notifications(
        &self,
        name: &str,
    ) -> Result<crate::notification::NotificationReport, ControlError> {
        Ok(self.device(name)?.notifications.report())
    }

    /// Removes every fault of the PDU. Errors: [`ControlError::NoSuchPdu`].
    pub fn clear_faults(&self, name: &str) -> Result<(), ControlError> {
        self.device(name)?.faults.clear();
        Ok(())
    }

    /// Removes fault `id`; false if the PDU has no such fault (or it ran out).
    /// Errors: [`ControlError::NoSuchPdu`].
    pub fn remove_fault(&self, name: &str, id: u64) -> Result<bool, ControlError> {
        Ok(self.device(name)?.faults.remove(id))
    }

    /// Restarts the agent: boots + 1, time 0; outlets kept or back to their first-start state.
    ///
    /// Errors: [`ControlError::NoSuchPdu`]; [`ControlError::NotSaved`] when the first-start
    /// outlets could not be saved (nothing is restarted); [`ControlError::Failed`] when the new
    /// engineBoots could not be saved (the restart has happened).
    pub fn restart(&self, name: &str, keep_outlets: bool) -> Result<PduInfo, ControlError> {
        let device = self.device(name)?;
        device.restart(keep_outlets).map_err(|e| match e {
            crate::device::StartError::StateNotSaved { pdu, why } => ControlError::NotSaved {
                pdus: vec![pdu],
                why,
            },
            e => ControlError::Failed(e.to_string()),
        })?;
        Ok(pdu_info(device))
    }

    /// Applies `change` to the PDU's SNMP engine, in order: new engine ID, boots, time skew,
    /// sysUpTime skew, IF-MIB counter reset, IF-MIB counter offset.
    ///
    /// Errors: [`ControlError::NoSuchPdu`], [`ControlError::BadField`] for an engine ID that
    /// is not 5 to 32 octets of hex or boots below 1 (RFC 3411 §5), [`ControlError::Failed`]
    /// when the new engine ID or boots cannot be saved.
    pub fn change_engine(
        &self,
        name: &str,
        change: &EngineChange,
    ) -> Result<PduInfo, ControlError> {
        let device = self.device(name)?;
        // Every field is checked before any is applied, so a refused change changes nothing.
        let engine_id = match &change.engine_id {
            Some(hex) => Some(
                parse_engine_id(hex)
                    .map_err(|e| ControlError::bad_field("engine_id", e.to_string()))?,
            ),
            None => None,
        };
        if change.boots.is_some_and(|boots| boots < 1) {
            return Err(ControlError::bad_field(
                "boots",
                "snmpEngineBoots is 1 to 2147483647 (RFC 3411 §5)",
            ));
        }
        let uptime_skew = match change.uptime_skew_secs {
            Some(skew) => Some(u64::try_from(skew).map_err(|_| {
                ControlError::bad_field(
                    "uptime_skew_secs",
                    "sysUpTime cannot go back before the agent's start: give 0 or more seconds (0 removes the skew)",
                )
            })?),
            None => None,
        };
        let counters_change = if change.if_counter_offset.is_some() {
            Some("if_counter_offset")
        } else if change.if_counters_reset == Some(true) {
            Some("if_counters_reset")
        } else {
            None
        };
        if let Some(field) = counters_change {
            if !device.serves_live_interface() {
                return Err(ControlError::bad_field(
                    field,
                    format!(
                        "PDU {name} serves its recording's own interface rows (IF-MIB), as recorded: they count no traffic, so there is nothing to move; use a PDU without a recording, or a recording without interface rows"
                    ),
                ));
            }
        }
        if let Some(id) = engine_id {
            device
                .change_engine_id(id)
                .map_err(|e| ControlError::Failed(e.to_string()))?;
        }
        if let Some(boots) = change.boots {
            device
                .engine()
                .set_boots(boots)
                .map_err(|e| ControlError::Failed(e.to_string()))?;
        }
        if let Some(skew) = change.skew_secs {
            device.engine().set_skew(skew);
        }
        if let Some(skew) = uptime_skew {
            device.skew_uptime(skew);
        }
        if change.if_counters_reset == Some(true) {
            device.reset_interface_counters();
        }
        if let Some(by) = change.if_counter_offset {
            device.offset_interface_counters(by);
        }
        Ok(pdu_info(device))
    }

    /// The PDU's request log newer than `after` (a record's `seq`; 0 for all kept), oldest
    /// first. Arms the log: a PDU keeps requests from the first time anyone asks (or from the
    /// start, after [`Control::keep_request_logs`]). Errors: [`ControlError::NoSuchPdu`].
    pub fn requests(&self, name: &str, after: u64) -> Result<Vec<RequestRecord>, ControlError> {
        let device = self.device(name)?;
        device.requests.arm();
        Ok(device.requests.since(after))
    }

    /// Arms the request log of every PDU (each keeps up to [`crate::request_log::CAPACITY`]
    /// requests).
    pub fn keep_request_logs(&self) {
        for d in self.devices.iter() {
            d.requests.arm();
        }
    }

    /// How many PDUs there are.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether there are no PDUs.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// Every PDU, in the order started.
    pub fn devices(&self) -> &[Arc<Device>] {
        &self.devices
    }

    /// Holds metering readings steady (no jitter), for exact comparisons.
    pub fn freeze_meters(&self, name: &str, frozen: bool) -> Result<(), ControlError> {
        self.device(name)?.lock_state().meters_frozen = frozen;
        Ok(())
    }

    /// The PDU's clock now (time since its epoch), for callers polling pending states.
    /// Errors: [`ControlError::NoSuchPdu`].
    pub fn now(&self, name: &str) -> Result<Duration, ControlError> {
        Ok(self.device(name)?.now())
    }
}

/// The command an outlet change names, parsed. Errors: [`ControlError::BadField`].
fn command_of(change: &OutletChange) -> Result<Option<Command>, ControlError> {
    match change.command.as_deref() {
        None => Ok(None),
        Some(text) => parse_command(text).map(Some).ok_or_else(|| {
            ControlError::bad_field(
                "command",
                format!("{text:?}: use on, off, reboot, delayed-on, delayed-off, delayed-reboot or cancel"),
            )
        }),
    }
}

/// Waits (up to [`crate::persist::SAVE_WAIT`]) for the state write a change started; when it
/// failed or is still unfinished, puts the PDU's state back to `before` (queueing that to be
/// written after a stalled write), counts it in `stateSaveFailures`, logs it with the fix, and
/// returns why.
fn settle_change(
    device: &Device,
    write: &crate::persist::PendingWrite,
    before: crate::state::DeviceState,
) -> Result<(), String> {
    write.wait(crate::persist::SAVE_WAIT);
    device.undo_unless_saved(
        write,
        before,
        "an outlet change through the control API was refused",
    )
}

/// Applies one change to one outlet (power first, then the command, then the name), notifies
/// what changed and queues the state write. Errors: [`ControlError::NoSuchOutlet`].
fn apply_change(
    device: &Device,
    outlet: u32,
    change: &OutletChange,
    command: Option<Command>,
) -> Result<Option<crate::persist::PendingWrite>, ControlError> {
    let now = device.now();
    let mut state = device.lock_state();
    let count = state.outlets.len();
    let o = usize::try_from(outlet)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| state.outlets.get_mut(i))
        .ok_or(ControlError::NoSuchOutlet {
            pdu: device.name.clone(),
            outlet,
            count,
        })?;
    if let Some(power) = change.power {
        o.switch(power, now);
    }
    if let Some(command) = command {
        o.command(command, now);
    }
    if let Some(new_name) = &change.name {
        o.name = new_name.clone();
    }
    if change.power.is_some() || command.is_some() {
        let target = o.settled_power();
        state.vendor.control.insert(outlet, target);
    }
    device.outlets_changed(&mut state, now);
    Ok(device.queue_state_write(&state))
}

/// One PDU with its engine, which comes into being if it has not yet.
fn pdu_info(d: &Device) -> PduInfo {
    let engine = d.engine();
    PduInfo {
        name: d.name.clone(),
        vendor: d.vendor.name().to_string(),
        outlets: d.outlet_count(),
        materialised: d.is_materialised(),
        engine_id: Some(hex::encode(&*engine.id())),
        engine_boots: Some(engine.boots()),
        engine_time: Some(engine.time()),
    }
}

/// One PDU for a listing: the engine only if the PDU has come into being; makes nothing.
fn pdu_summary(d: &Device) -> PduInfo {
    if d.is_materialised() {
        return pdu_info(d);
    }
    PduInfo {
        name: d.name.clone(),
        vendor: d.vendor.name().to_string(),
        outlets: d.outlet_count(),
        materialised: false,
        engine_id: None,
        engine_boots: None,
        engine_time: None,
    }
}

fn parse_command(text: &str) -> Option<Command> {
    Some(match text.to_ascii_lowercase().as_str() {
        "on" => Command::On,
        "off" => Command::Off,
        "reboot" | "cycle" => Command::Reboot,
        "delayed-on" => Command::DelayedOn,
        "delayed-off" => Command::DelayedOff,
        "delayed-reboot" => Command::DelayedReboot,
        "cancel" => Command::Cancel,
        _ => return None,
    })
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
    use super::*;
    use crate::access::Access;
    use crate::agent::respond;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::engine::MAX_ENGINE_BOOTS;
    use crate::security::{process_inbound, Inbound};
    use snmp_proto::usm::protect::{protect, OutgoingMessage};
    use snmp_proto::usm::{AuthProtocol, MasterKeyCache, Password, SecurityLevel, UsmUser};
    use snmp_proto::{decode_message, Message, Oid, Pdu, PduType, Value, VarBind, Version};

    const CONFIG: &str = r#"
[[pdu]]
name = "a"
vendor = "raritan-px2"
listen = ["127.0.0.1:1161"]
outlets = 4
outlet_names = ["web-1", "web-2", "db-1", "db-2"]
power_off_period = 5
on_delay = 3
off_delay = 2
engine_id = "8000000001020304"
[[pdu.community]]
name = "c"
[[pdu.user]]
name = "ops"
auth = "sha"
auth_password = "authpass123"

[[pdu]]
name = "b"
vendor = "apc-rpdu2"
listen = ["127.0.0.1:1162"]
outlets = 2
engine_id = "8000000001020305"
[[pdu.community]]
name = "c"
"#;

    /// PDU2-MIB outletSwitchingState (on 7, off 8), switchingOperation and outletName of
    /// PDU 1; the outlet is appended.
    const STATE: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.3.1";
    const OPERATION: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";
    const NAME: &str = "1.3.6.1.4.1.13742.6.3.5.3.1.3.1";

    fn control() -> (Control, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::default());
        let devices = FileConfig::parse(CONFIG, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .into_iter()
            .map(|(mut spec, _)| {
                spec.state_dir = None;
                Arc::new(Device::start(spec, clock.clone()).unwrap())
            })
            .collect();
        (Control::new(devices), clock)
    }

    fn at(column: &str, outlet: u32) -> Oid {
        Oid::parse(column).unwrap().child(&[outlet])
    }

    /// One varbind through the agent, as a manager with a read-write community would send it.
    fn snmp(c: &Control, pdu_type: PduType, oid: Oid, value: Value<'static>) -> Pdu<'static> {
        let request = Pdu {
            pdu_type,
            request_id: 1,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind { oid, value }],
            trap_v1: None,
        };
        respond(
            c.device("a").unwrap(),
            Version::V2c,
            &request,
            Access::ReadWrite,
            65000,
        )
        .response
    }

    fn snmp_get(c: &Control, oid: Oid) -> Value<'static> {
        let r = snmp(c, PduType::GetRequest, oid, Value::Null);
        assert_eq!(r.error_status, 0);
        r.varbinds[0].value.clone()
    }

    /// outletSwitchingState of every outlet of "a", as SNMP reads it.
    fn snmp_states(c: &Control) -> Vec<i32> {
        (1..=4)
            .map(|n| match snmp_get(c, at(STATE, n)) {
                Value::Integer(v) => v,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn powers(c: &Control, pdu: &str) -> Vec<(Power, Option<&'static str>)> {
        c.outlets(pdu)
            .unwrap()
            .into_iter()
            .map(|o| (o.power, o.pending))
            .collect()
    }

    fn power(p: Power) -> OutletChange {
        OutletChange {
            power: Some(p),
            ..Default::default()
        }
    }

    fn command(text: &str) -> OutletChange {
        OutletChange {
            command: Some(text.into()),
            ..Default::default()
        }
    }

    #[test]
    fn lists_the_pdus_and_their_outlets() {
        let (c, clock) = control();
        clock.advance(Duration::from_secs(7));
        assert_eq!(
            c.pdus(),
            vec![
                PduInfo {
                    name: "a".into(),
                    vendor: "raritan-px2".into(),
                    outlets: 4,
                    materialised: true,
                    engine_id: Some("8000000001020304".into()),
                    engine_boots: Some(1),
                    engine_time: Some(7),
                },
                PduInfo {
                    name: "b".into(),
                    vendor: "apc-rpdu2".into(),
                    outlets: 2,
                    materialised: true,
                    engine_id: Some("8000000001020305".into()),
                    engine_boots: Some(1),
                    engine_time: Some(7),
                },
            ]
        );
        assert_eq!(c.pdu("b").unwrap(), c.pdus()[1]);
        assert_eq!(
            c.outlets("a").unwrap(),
            ["web-1", "web-2", "db-1", "db-2"]
                .into_iter()
                .zip(1..)
                .map(|(name, outlet)| OutletInfo {
                    outlet,
                    name: name.into(),
                    power: Power::On,
                    pending: None,
                })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_outlet_switched_here_is_switched_for_snmp_too() {
        let (c, _) = control();
        let info = c.change_outlet("a", 2, &power(Power::Off)).unwrap();
        assert_eq!(
            info,
            OutletInfo {
                outlet: 2,
                name: "web-2".into(),
                power: Power::Off,
                pending: None,
            }
        );
        assert_eq!(snmp_states(&c), [7, 8, 7, 7]);
        assert_eq!(powers(&c, "b"), vec![(Power::On, None); 2], "another PDU");
        let renamed = OutletChange {
            name: Some("db-9".into()),
            ..Default::default()
        };
        assert_eq!(c.change_outlet("a", 2, &renamed).unwrap().name, "db-9");
        assert_eq!(snmp_get(&c, at(NAME, 2)), Value::octets("db-9"));
        c.change_outlet("a", 2, &command("on")).unwrap();
        assert_eq!(snmp_states(&c), [7; 4]);
        // And what SNMP switches, the control API shows.
        let r = snmp(&c, PduType::SetRequest, at(OPERATION, 3), Value::Integer(0));
        assert_eq!(r.error_status, 0);
        assert_eq!(c.outlets("a").unwrap()[2].power, Power::Off);
    }

    #[test]
    fn commands_run_on_the_pdus_clock() {
        let (c, clock) = control();
        let tick = |secs| clock.advance(Duration::from_secs(secs));
        // Reboot: off for power_off_period (5 s), then on.
        let info = c.change_outlet("a", 1, &command("reboot")).unwrap();
        assert_eq!((info.power, info.pending), (Power::Off, Some("reboot")));
        tick(4);
        assert_eq!(powers(&c, "a")[0], (Power::Off, Some("reboot")));
        tick(1);
        assert_eq!(powers(&c, "a")[0], (Power::On, None));
        // Delayed off: on for off_delay (2 s), then off.
        let info = c.change_outlet("a", 2, &command("Delayed-Off")).unwrap();
        assert_eq!((info.power, info.pending), (Power::On, Some("off")));
        tick(2);
        assert_eq!(powers(&c, "a")[1], (Power::Off, None));
        assert_eq!(snmp_states(&c), [7, 8, 7, 7]);
        // Cancel drops a pending delayed on.
        let info = c.change_outlet("a", 2, &command("delayed-on")).unwrap();
        assert_eq!((info.power, info.pending), (Power::Off, Some("on")));
        let info = c.change_outlet("a", 2, &command("cancel")).unwrap();
        assert_eq!((info.power, info.pending), (Power::Off, None));
        tick(60);
        assert_eq!(powers(&c, "a")[1], (Power::Off, None));
    }

    #[test]
    fn unknown_pdus_outlets_and_commands_are_refused_and_change_nothing() {
        let (c, _) = control();
        for n in [0, 5, u32::MAX] {
            let error = c.change_outlet("a", n, &power(Power::Off)).unwrap_err();
            assert!(
                matches!(&error, ControlError::NoSuchOutlet { pdu, outlet, count: 4 } if pdu == "a" && *outlet == n),
                "{error:?}"
            );
            assert!(error.to_string().contains("outlets 1 to 4"), "{error}");
        }
        let error = c.change_outlet("a", 1, &command("explode")).unwrap_err();
        assert!(matches!(error, ControlError::BadField { .. }), "{error:?}");
        assert!(error.to_string().contains("\"explode\""), "{error}");
        assert_eq!(snmp_states(&c), [7; 4]);
        let no_pdu = |r: Result<(), ControlError>| {
            let error = r.unwrap_err();
            assert!(
                matches!(&error, ControlError::NoSuchPdu(name) if name == "z"),
                "{error:?}"
            );
            assert!(error.to_string().contains("\"z\""), "{error}");
        };
        no_pdu(c.pdu("z").map(drop));
        no_pdu(c.outlets("z").map(drop));
        no_pdu(c.change_outlet("z", 1, &power(Power::Off)).map(drop));
        no_pdu(c.faults("z").map(drop));
        no_pdu(c.clear_faults("z"));
        no_pdu(c.remove_fault("z", 1).map(drop));
        no_pdu(
            c.add_fault(
                "z",
                NewFault {
                    fault: FaultKind::Duplicate,
                    schedule: Schedule::default(),
                },
            )
            .map(drop),
        );
        no_pdu(c.restart("z", true).map(drop));
        no_pdu(c.change_engine("z", &EngineChange::default()).map(drop));
    }

    #[test]
    fn faults_are_added_listed_removed_and_cleared_per_pdu() {
        let (c, _) = control();
        let once = Schedule {
            packets: Some(2),
            ..Default::default()
        };
        let drop_id = c
            .add_fault(
                "a",
                NewFault {
                    fault: FaultKind::DropResponse,
                    schedule: once.clone(),
                },
            )
            .unwrap();
        let stuck = FaultKind::StuckOutlet { outlet: 1 };
        let stuck_id = c
            .add_fault(
                "a",
                NewFault {
                    fault: stuck.clone(),
                    schedule: Schedule::default(),
                },
            )
            .unwrap();
        assert_ne!(drop_id, stuck_id);
        assert_eq!(
            c.faults("a").unwrap(),
            vec![
                FaultInfo {
                    id: drop_id,
                    kind: FaultKind::DropResponse,
                    schedule: once,
                },
                FaultInfo {
                    id: stuck_id,
                    kind: stuck.clone(),
                    schedule: Schedule::default(),
                },
            ]
        );
        assert!(c.faults("b").unwrap().is_empty());
        // The stuck outlet takes SETs without switching.
        let r = snmp(&c, PduType::SetRequest, at(OPERATION, 1), Value::Integer(0));
        assert_eq!(r.error_status, 0);
        assert_eq!(snmp_states(&c)[0], 7);
        assert!(c.remove_fault("a", drop_id).unwrap());
        assert!(!c.remove_fault("a", drop_id).unwrap(), "already removed");
        assert_eq!(
            c.faults("a")
                .unwrap()
                .into_iter()
                .map(|f| f.id)
                .collect::<Vec<_>>(),
            [stuck_id]
        );
        c.clear_faults("a").unwrap();
        assert!(c.faults("a").unwrap().is_empty());
        snmp(&c, PduType::SetRequest, at(OPERATION, 1), Value::Integer(0));
        assert_eq!(snmp_states(&c)[0], 8, "no longer stuck");
    }

    #[test]
    fn engine_boots_and_time_change_and_bad_values_are_refused() {
        let (c, clock) = control();
        let change = |e: EngineChange| c.change_engine("a", &e);
        let info = change(EngineChange {
            boots: Some(5),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(info.engine_boots, Some(5));
        for bad in [0, -3] {
            let error = change(EngineChange {
                boots: Some(bad),
                ..Default::default()
            })
            .unwrap_err();
            assert!(matches!(error, ControlError::BadField { .. }), "{error:?}");
            assert!(error.to_string().contains("1 to 2147483647"), "{error}");
        }
        assert_eq!(c.pdu("a").unwrap().engine_boots, Some(5));
        // A bad field refuses the whole change: the good ones beside it are not applied.
        let error = change(EngineChange {
            boots: Some(9),
            uptime_skew_secs: Some(-1),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(error.field(), Some("uptime_skew_secs"), "{error}");
        assert_eq!(c.pdu("a").unwrap().engine_boots, Some(5));
        let error = change(EngineChange {
            engine_id: Some("80000000010203".into()),
            boots: Some(0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(error.field(), Some("boots"), "{error}");
        assert_ne!(
            c.device("a").unwrap().engine().id().as_ref(),
            [0x80, 0, 0, 0, 1, 2, 3],
            "the engine ID is unchanged"
        );
        let info = change(EngineChange {
            skew_secs: Some(400),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(info.engine_time, Some(400));
        clock.advance(Duration::from_secs(10));
        assert_eq!(c.pdu("a").unwrap().engine_time, Some(410));
        assert_eq!(c.pdu("b").unwrap().engine_time, Some(10), "another PDU");
        // Boots at the maximum lock the engine out (RFC 3414 §2.2.2).
        change(EngineChange {
            boots: Some(MAX_ENGINE_BOOTS),
            ..Default::default()
        })
        .unwrap();
        assert!(c.device("a").unwrap().engine().locked_out());
    }

    /// An authNoPriv GET from user "ops" to `engine_id`, keys localized to it.
    fn ops_request(engine_id: &[u8]) -> Vec<u8> {
        let password = Password::from("authpass123");
        let user = UsmUser::localize(
            b"ops",
            Some((AuthProtocol::Sha1, &password)),
            None,
            engine_id,
            &MasterKeyCache::default(),
        )
        .unwrap();
        let pdu = Pdu {
            pdu_type: PduType::GetRequest,
            request_id: 1,
            error_status: 0,
            error_index: 0,
            varbinds: Vec::new(),
            trap_v1: None,
        };
        let how = OutgoingMessage {
            msg_id: 1,
            msg_max_size: 65507,
            reportable: true,
            level: SecurityLevel::AuthNoPriv,
            user: Some(&user),
            user_name: b"ops",
            engine_id,
            engine_boots: 1,
            engine_time: 0,
            context_engine_id: engine_id,
            context_name: b"",
            salt: 0,
        };
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        protect(&mut out, &mut scratch, &how, &pdu);
        out
    }

    #[test]
    fn a_new_engine_id_restarts_boots_and_relocalizes_the_users_keys() {
        let (c, _) = control();
        c.change_engine(
            "a",
            &EngineChange {
                boots: Some(9),
                ..Default::default()
            },
        )
        .unwrap();
        let info = c
            .change_engine(
                "a",
                &EngineChange {
                    engine_id: Some("8000000001020399".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            (
                info.engine_id.as_deref().unwrap(),
                info.engine_boots.unwrap()
            ),
            ("8000000001020399", 1)
        );
        let device = c.device("a").unwrap();
        let accepted = |datagram: &[u8]| {
            let Message::V3(m) = decode_message(datagram).unwrap() else {
                panic!("not v3")
            };
            matches!(
                process_inbound(device, datagram, &m, SecurityLevel::AuthNoPriv),
                Inbound::Accepted { .. }
            )
        };
        assert!(accepted(&ops_request(&[0x80, 0, 0, 0, 1, 2, 3, 0x99])));
        assert!(!accepted(&ops_request(&[0x80, 0, 0, 0, 1, 2, 3, 4])));
        // Not hex: refused, the ID kept.
        let error = c
            .change_engine(
                "a",
                &EngineChange {
                    engine_id: Some("not-hex".into()),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(matches!(error, ControlError::BadField { .. }), "{error:?}");
        assert_eq!(
            c.pdu("a").unwrap().engine_id.as_deref(),
            Some("8000000001020399")
        );
    }

    #[test]
    fn a_restart_bumps_boots_and_keeps_or_resets_the_outlets() {
        let (c, clock) = control();
        c.change_outlet(
            "a",
            1,
            &OutletChange {
                power: Some(Power::Off),
                name: Some("renamed".into()),
                ..Default::default()
            },
        )
        .unwrap();
        clock.advance(Duration::from_secs(100));
        let info = c.restart("a", true).unwrap();
        assert_eq!((info.engine_boots, info.engine_time), (Some(2), Some(0)));
        let first = &c.outlets("a").unwrap()[0];
        assert_eq!((first.name.as_str(), first.power), ("renamed", Power::Off));
        let info = c.restart("a", false).unwrap();
        assert_eq!(info.engine_boots, Some(3));
        let first = &c.outlets("a").unwrap()[0];
        assert_eq!((first.name.as_str(), first.power), ("web-1", Power::On));
        assert_eq!(snmp_states(&c), [7; 4]);
        assert_eq!(c.pdu("b").unwrap().engine_boots, Some(1), "another PDU");
    }
}
