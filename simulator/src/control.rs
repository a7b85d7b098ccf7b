//! Control of running PDUs from outside the SNMP flow: outlet states, faults, engine events.
//! The conformance runner calls this API in-process; `control_http` serves the same operations
//! over HTTP/JSON on loopback (`pdusim serve --control 127.0.0.1:PORT`) for drivers written in
//! any language.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::engine::parse_engine_id;
use crate::fault::{FaultInfo, FaultKind, Schedule};
use crate::outlet::{Command, PendingKind, Power};

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no PDU named {0:?}: GET /pdus lists them")]
    NoSuchPdu(String),
    #[error("PDU {pdu:?} has no outlet {outlet}: it has outlets 1 to {count}")]
    NoSuchOutlet {
        pdu: String,
        outlet: u32,
        count: usize,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Failed(String),
}

/// A PDU as the control API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PduInfo {
    pub name: String,
    pub vendor: String,
    pub outlets: usize,
    pub engine_id: String,
    pub engine_boots: i32,
    pub engine_time: i32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutletInfo {
    pub outlet: u32,
    pub name: String,
    pub power: Power,
    /// "reboot", "on" or "off" while a delayed command or reboot is running.
    pub pending: Option<&'static str>,
}

/// A change to one outlet, made directly (not through SNMP).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutletChange {
    pub power: Option<Power>,
    /// "on", "off", "reboot", "delayed-on", "delayed-off", "delayed-reboot" or "cancel".
    pub command: Option<String>,
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFault {
    pub fault: FaultKind,
    #[serde(default)]
    pub schedule: Schedule,
}

/// The handle to every PDU of a running simulator.
#[derive(Clone)]
pub struct Control {
    devices: Arc<Vec<Arc<Device>>>,
}

impl Control {
    pub fn new(devices: Vec<Arc<Device>>) -> Control {
        Control {
            devices: Arc::new(devices),
        }
    }

    pub fn device(&self, name: &str) -> Result<&Arc<Device>, ControlError> {
        self.devices
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| ControlError::NoSuchPdu(name.to_string()))
    }

    pub fn pdus(&self) -> Vec<PduInfo> {
        self.devices.iter().map(|d| pdu_info(d)).collect()
    }

    pub fn pdu(&self, name: &str) -> Result<PduInfo, ControlError> {
        self.device(name).map(|d| pdu_info(d))
    }

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

    pub fn change_outlet(
        &self,
        name: &str,
        outlet: u32,
        change: &OutletChange,
    ) -> Result<OutletInfo, ControlError> {
        let device = self.device(name)?;
        let command = match change.command.as_deref() {
            None => None,
            Some(text) => Some(parse_command(text).ok_or_else(|| {
                ControlError::BadRequest(format!(
                    "command {text:?}: use on, off, reboot, delayed-on, delayed-off, delayed-reboot or cancel"
                ))
            })?),
        };
        let now = device.now();
        let pending = {
            let mut state = device.lock_state();
            let count = state.outlets.len();
            let o = usize::try_from(outlet)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| state.outlets.get_mut(i))
                .ok_or(ControlError::NoSuchOutlet {
                    pdu: name.to_string(),
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
            device.queue_state_write(&state)
        };
        if let Some(p) = pending {
            p.wait(crate::device::SAVE_WAIT);
        }
        self.outlets(name)?
            .into_iter()
            .find(|o| o.outlet == outlet)
            .ok_or_else(|| ControlError::Failed("the outlet vanished".into()))
    }

    pub fn add_fault(&self, name: &str, fault: NewFault) -> Result<u64, ControlError> {
        Ok(self.device(name)?.faults.add(fault.fault, fault.schedule))
    }

    pub fn faults(&self, name: &str) -> Result<Vec<FaultInfo>, ControlError> {
        Ok(self.device(name)?.faults.list())
    }

    pub fn clear_faults(&self, name: &str) -> Result<(), ControlError> {
        self.device(name)?.faults.clear();
        Ok(())
    }

    pub fn remove_fault(&self, name: &str, id: u64) -> Result<bool, ControlError> {
        Ok(self.device(name)?.faults.remove(id))
    }

    /// Restarts the agent: boots + 1, time 0; outlets kept or back to their first-start state.
    pub fn restart(&self, name: &str, keep_outlets: bool) -> Result<PduInfo, ControlError> {
        let device = self.device(name)?;
        device
            .restart(keep_outlets)
            .map_err(|e| ControlError::Failed(e.to_string()))?;
        Ok(pdu_info(device))
    }

    pub fn change_engine(
        &self,
        name: &str,
        change: &EngineChange,
    ) -> Result<PduInfo, ControlError> {
        let device = self.device(name)?;
        if let Some(hex) = &change.engine_id {
            let id = parse_engine_id(hex).map_err(|e| ControlError::BadRequest(e.to_string()))?;
            device
                .change_engine_id(id)
                .map_err(|e| ControlError::Failed(e.to_string()))?;
        }
        if let Some(boots) = change.boots {
            if boots < 1 {
                return Err(ControlError::BadRequest(
                    "snmpEngineBoots is 1 to 2147483647 (RFC 3411 §5)".into(),
                ));
            }
            device
                .engine
                .set_boots(boots)
                .map_err(|e| ControlError::Failed(e.to_string()))?;
        }
        if let Some(skew) = change.skew_secs {
            device.engine.set_skew(skew);
        }
        Ok(pdu_info(device))
    }

    /// Holds metering readings steady (no jitter), for exact comparisons.
    pub fn freeze_meters(&self, name: &str, frozen: bool) -> Result<(), ControlError> {
        self.device(name)?.lock_state().meters_frozen = frozen;
        Ok(())
    }

    /// Waits (by the PDU's clock) — a convenience for callers polling pending states.
    pub fn now(&self, name: &str) -> Result<Duration, ControlError> {
        Ok(self.device(name)?.now())
    }
}

fn pdu_info(d: &Device) -> PduInfo {
    PduInfo {
        name: d.name.clone(),
        vendor: d.vendor.name().to_string(),
        outlets: d.lock_state().outlets.len(),
        engine_id: hex::encode(&*d.engine.id()),
        engine_boots: d.engine.boots(),
        engine_time: d.engine.time(),
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
