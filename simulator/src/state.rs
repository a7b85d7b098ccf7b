//! A PDU's mutable state: what SETs and the control API change, and what survives a restart.
//! The PDU model ([`crate::device`]) owns it and decides how it is persisted; vendor profiles
//! ([`crate::profiles`]) read and change it.

use std::collections::BTreeMap;

use crate::outlet::{Command, Outlet, Power};

/// The mutable part of a PDU: what SETs change and what survives a restart.
#[derive(Clone, Debug)]
pub struct DeviceState {
    /// sysName.0.
    pub sys_name: String,
    /// sysContact.0.
    pub sys_contact: String,
    /// sysLocation.0.
    pub sys_location: String,
    /// The outlets, outlet 1 first.
    pub outlets: Vec<Outlet>,
    /// Holds meter readings steady (no jitter) so tests can compare exact values.
    pub meters_frozen: bool,
    /// What a vendor profile keeps beyond the outlet model (queued actions, raw settings).
    pub vendor: VendorState,
    /// snmpEnableAuthenTraps.0 (SNMPv2-MIB, RFC 3418): whether authenticationFailure
    /// notifications are sent.
    pub enable_authen_traps: bool,
}

/// What a vendor profile keeps per PDU beyond the outlet model.
#[derive(Clone, Debug, Default)]
pub struct VendorState {
    /// Sentry4 queued outlet actions (queueOn/queueOff/queueReboot), by outlet number, run
    /// together on commit.
    pub queued: BTreeMap<u32, Command>,
    /// Raw values of writable objects the outlet model has no field for, by (column, index).
    pub settings: BTreeMap<(u16, u32), i32>,
    /// Each outlet's control state since the PDU started: the power its last command (SNMP
    /// or control API) heads for, by outlet number. An outlet not listed has had no command
    /// yet (Sentry3 reads wakeOn/wakeOff); one whose power differs with nothing pending did
    /// not follow its command (a stuck relay: Sentry3 reads onError/offError).
    pub control: BTreeMap<u32, Power>,
}
