//! APC Switched Rack PDU AP79xx, PowerNet-MIB: the sPDU (MasterSwitch) and rPDU tables, served
//! together as the real card does, both views of the one outlet model. sysObjectID
//! `.318.1.3.4.5` (rPDU). Index N. The same tables are part of `apc-rpdu2` (AP89xx), which
//! reuses the functions here and adds rPDU2.
//!
//! Encodings that differ between the two tables (PowerNet-MIB):
//! - sPDUOutletCtl: write outletOn(1) outletOff(2) outletReboot(3) onWithDelay(5)
//!   offWithDelay(6) rebootWithDelay(7); reads 1 or 2; outletUnknown(4) cannot be written.
//! - rPDUOutletControlOutletCommand: write immediateOn(1) immediateOff(2) immediateReboot(3)
//!   delayedOn(4) delayedOff(5) delayedReboot(6) cancelPendingCommand(7); reads 1 or 2.
//! - sPDUMasterControlSwitch reads noCommand(6); rPDUOutletDevCommand reads noCommandAll(1).
//! - sPDUMasterState is "On  " / "Off " per outlet; sPDUMasterPending "Yes " / "No  ".

use std::time::Duration;

use pdu_mibs::{APC_RPDU as RPDU, APC_SPDU as SPDU};

use super::metering::{outlet_reading, scaled};
use super::{
    command_all, delay_secs, expect_display_string, expect_in, expect_one_of, integer, join,
    name_of, on_off, outlet_column, outlet_mut, outlet_position, scalar, set_delay, set_name, text,
    VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `apc-rpdu` profile: an APC AP79xx serving the PowerNet-MIB sPDU and rPDU outlet tables.
pub struct ApcRpdu;

/// PowerNet-MIB sPDU (MasterSwitch) and rPDU subtrees.
const SPDU_BASE: &[u32] = &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4];
const RPDU_BASE: &[u32] = &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12];

/// The sPDU outlet tables: sPDUOutletControlTable (4.4.2) and sPDUOutletConfigTable (4.5.2).
pub(super) const SPDU_OUTLET_TABLES: &[&[u32]] = &[
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 5, 2],
];
/// The sPDU and rPDU outlet tables: the above, and rPDUOutletControlTable (12.3.3),
/// rPDUOutletConfigTable (12.3.4) and rPDUOutletStatusTable (12.3.5).
pub(super) const SPDU_AND_RPDU_OUTLET_TABLES: &[&[u32]] = &[
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 5, 2],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 4],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5],
];

// sPDU objects pdu-mibs does not carry, below SPDU_BASE.
const SPDU_MASTER_CONTROL_SWITCH: &[u32] = &[2, 1];
const SPDU_MASTER_STATE: &[u32] = &[2, 2];
const SPDU_MASTER_PENDING: &[u32] = &[2, 3];
const SPDU_OUTLET_CONTROL_INDEX: &[u32] = &[4, 2, 1, 1];
const SPDU_OUTLET_PENDING: &[u32] = &[4, 2, 1, 2];
const SPDU_OUTLET_CONFIG_TABLE_SIZE: &[u32] = &[5, 1];
const SPDU_OUTLET_CONFIG_INDEX: &[u32] = &[5, 2, 1, 1];
const SPDU_OUTLET_POWER_ON_TIME: &[u32] = &[5, 2, 1, 2];
const SPDU_OUTLET_NAME: &[u32] = &[5, 2, 1, 3];
const SPDU_OUTLET_POWER_OFF_TIME: &[u32] = &[5, 2, 1, 4];
const SPDU_OUTLET_REBOOT_DURATION: &[u32] = &[5, 2, 1, 5];

// rPDU objects pdu-mibs does not carry, below RPDU_BASE.
const RPDU_IDENT_MODEL_NUMBER: &[u32] = &[1, 5];
const RPDU_OUTLET_DEV_COMMAND: &[u32] = &[3, 1, 1];
const RPDU_OUTLET_DEV_NUM_CNTRL_OUTLETS: &[u32] = &[3, 1, 3];
const RPDU_OUTLET_DEV_NUM_TOTAL_OUTLETS: &[u32] = &[3, 1, 4];
const RPDU_CONTROL_INDEX: &[u32] = &[3, 3, 1, 1, 1];
const RPDU_CONTROL_NAME: &[u32] = &[3, 3, 1, 1, 2];
const RPDU_CONFIG_INDEX: &[u32] = &[3, 4, 1, 1, 1];
const RPDU_CONFIG_POWER_ON_TIME: &[u32] = &[3, 4, 1, 1, 4];
const RPDU_CONFIG_POWER_OFF_TIME: &[u32] = &[3, 4, 1, 1, 5];
const RPDU_CONFIG_REBOOT_DURATION: &[u32] = &[3, 4, 1, 1, 6];
const RPDU_STATUS_INDEX: &[u32] = &[3, 5, 1, 1, 1];
const RPDU_STATUS_NAME: &[u32] = &[3, 5, 1, 1, 2];
const RPDU_STATUS_COMMAND_PENDING: &[u32] = &[3, 5, 1, 1, 5];

// Column identifiers (1..=99 here; rPDU2 uses 100 and up).
const COL_S_MASTER_CONTROL: u16 = 1;
const COL_S_MASTER_STATE: u16 = 2;
const COL_S_MASTER_PENDING: u16 = 3;
const COL_S_CONTROL_TABLE_SIZE: u16 = 4;
const COL_S_CONTROL_INDEX: u16 = 5;
const COL_S_PENDING: u16 = 6;
const COL_S_CTL: u16 = 7;
const COL_S_CTL_NAME: u16 = 8;
const COL_S_CONFIG_TABLE_SIZE: u16 = 9;
const COL_S_CONFIG_INDEX: u16 = 10;
const COL_S_POWER_ON_TIME: u16 = 11;
const COL_S_NAME: u16 = 12;
const COL_S_POWER_OFF_TIME: u16 = 13;
const COL_S_REBOOT_DURATION: u16 = 14;
const COL_R_MODEL: u16 = 20;
const COL_R_NUM_OUTLETS: u16 = 21;
const COL_R_DEV_COMMAND: u16 = 22;
const COL_R_NUM_CNTRL: u16 = 23;
const COL_R_NUM_TOTAL: u16 = 24;
const COL_R_CONTROL_INDEX: u16 = 25;
const COL_R_CONTROL_NAME: u16 = 26;
const COL_R_COMMAND: u16 = 27;
const COL_R_CONFIG_INDEX: u16 = 28;
const COL_R_CONFIG_NAME: u16 = 29;
const COL_R_POWER_ON_TIME: u16 = 30;
const COL_R_POWER_OFF_TIME: u16 = 31;
const COL_R_REBOOT_DURATION: u16 = 32;
const COL_R_STATUS_INDEX: u16 = 33;
const COL_R_STATUS_NAME: u16 = 34;
const COL_R_STATE: u16 = 35;
const COL_R_PENDING: u16 = 36;
const COL_R_LOAD: u16 = 37;
/// The last column of this file's range.
pub(super) const LAST_COLUMN: u16 = 99;

// sPDUOutletCtl.
const S_ON: i32 = SPDU.switching.on.value as i32;
const S_OFF: i32 = SPDU.switching.off.value as i32;
const S_REBOOT: i32 = 3;
const S_ON_WITH_DELAY: i32 = 5;
const S_OFF_WITH_DELAY: i32 = 6;
const S_REBOOT_WITH_DELAY: i32 = 7;
// sPDUMasterControlSwitch.
const M_ALL_ON_NOW: i32 = 1;
const M_ALL_ON_SEQUENCE: i32 = 2;
const M_ALL_OFF_NOW: i32 = 3;
const M_REBOOT_ALL_NOW: i32 = 4;
const M_REBOOT_ALL_SEQUENCE: i32 = 5;
const M_NO_COMMAND: i32 = 6;
const M_ALL_OFF_SEQUENCE: i32 = 7;
// rPDUOutletControlOutletCommand.
const R_ON: i32 = RPDU.switching.on.value as i32;
const R_OFF: i32 = RPDU.switching.off.value as i32;
const R_REBOOT: i32 = 3;
const R_DELAYED_ON: i32 = 4;
const R_DELAYED_OFF: i32 = 5;
const R_DELAYED_REBOOT: i32 = 6;
const R_CANCEL: i32 = 7;
// rPDUOutletDevCommand.
const D_NO_COMMAND: i32 = 1;
const D_ALL_ON: i32 = 2;
const D_ALL_OFF: i32 = 3;
const D_ALL_REBOOT: i32 = 4;
const D_DELAYED_ALL_ON: i32 = 5;
const D_DELAYED_ALL_OFF: i32 = 6;
const D_DELAYED_ALL_REBOOT: i32 = 7;
const D_CANCEL_ALL: i32 = 8;
// rPDUOutletStatusOutletState on(1)/off(2); pending(1)/none(2) in every APC pending column.
const R_STATUS_ON: i32 = RPDU.state.on[0] as i32;
const R_STATUS_OFF: i32 = RPDU.state.off[0] as i32;
pub(super) const PENDING: i32 = 1;
pub(super) const NO_PENDING: i32 = 2;

/// Outlet names: APC cards keep up to 23 characters.
pub(super) const NAME_MAX: usize = 23;
/// rPDU/rPDU2 PowerOnTime and PowerOffTime: -1 never, 0 now, up to 7200 s.
pub(super) const DELAY_RANGE: std::ops::RangeInclusive<i32> = -1..=7200;
/// rPDU/rPDU2 RebootDuration.
pub(super) const REBOOT_RANGE: std::ops::RangeInclusive<i32> = 5..=60;
/// sPDU delays take these values; others become the next lower one (PowerNet-MIB).
const SPDU_DELAYS: [i32; 8] = [-1, 0, 15, 30, 45, 60, 120, 300];
const SPDU_REBOOTS: [i32; 7] = [5, 10, 15, 20, 30, 45, 60];

fn spdu(suffix: &[u32]) -> Vec<u32> {
    join(SPDU_BASE, suffix)
}
fn rpdu(suffix: &[u32]) -> Vec<u32> {
    join(RPDU_BASE, suffix)
}

/// The largest allowed value not above `v` (or the smallest allowed).
fn next_lower(v: i32, allowed: &[i32]) -> i32 {
    let lowest = allowed.first().copied().unwrap_or(v);
    allowed
        .iter()
        .copied()
        .filter(|a| *a <= v)
        .max()
        .unwrap_or(lowest)
}

/// Adds the sPDU and rPDU objects.
pub(super) fn build(tree: &mut MibTree, outlets: u32) {
    let rw = Access::ReadWrite;
    let ro = Access::ReadOnly;
    scalar(
        tree,
        &spdu(SPDU_MASTER_CONTROL_SWITCH),
        rw,
        COL_S_MASTER_CONTROL,
    );
    scalar(tree, &spdu(SPDU_MASTER_STATE), ro, COL_S_MASTER_STATE);
    scalar(tree, &spdu(SPDU_MASTER_PENDING), ro, COL_S_MASTER_PENDING);
    if let Some(count) = SPDU.outlet_count {
        scalar(tree, count, ro, COL_S_CONTROL_TABLE_SIZE);
    }
    scalar(
        tree,
        &spdu(SPDU_OUTLET_CONFIG_TABLE_SIZE),
        ro,
        COL_S_CONFIG_TABLE_SIZE,
    );
    scalar(tree, &rpdu(RPDU_IDENT_MODEL_NUMBER), ro, COL_R_MODEL);
    if let Some(count) = RPDU.outlet_count {
        scalar(tree, count, ro, COL_R_NUM_OUTLETS);
    }
    scalar(tree, &rpdu(RPDU_OUTLET_DEV_COMMAND), rw, COL_R_DEV_COMMAND);
    scalar(
        tree,
        &rpdu(RPDU_OUTLET_DEV_NUM_CNTRL_OUTLETS),
        ro,
        COL_R_NUM_CNTRL,
    );
    scalar(
        tree,
        &rpdu(RPDU_OUTLET_DEV_NUM_TOTAL_OUTLETS),
        ro,
        COL_R_NUM_TOTAL,
    );
    let load = RPDU.meters.first().map_or(&[][..], |m| m.column);
    let columns: [(Vec<u32>, Access, u16); 22] = [
        (spdu(SPDU_OUTLET_CONTROL_INDEX), ro, COL_S_CONTROL_INDEX),
        (spdu(SPDU_OUTLET_PENDING), ro, COL_S_PENDING),
        (SPDU.switching.on.column.to_vec(), rw, COL_S_CTL),
        (
            SPDU.name_column.unwrap_or_default().to_vec(),
            ro,
            COL_S_CTL_NAME,
        ),
        (spdu(SPDU_OUTLET_CONFIG_INDEX), ro, COL_S_CONFIG_INDEX),
        (spdu(SPDU_OUTLET_POWER_ON_TIME), rw, COL_S_POWER_ON_TIME),
        (spdu(SPDU_OUTLET_NAME), rw, COL_S_NAME),
        (spdu(SPDU_OUTLET_POWER_OFF_TIME), rw, COL_S_POWER_OFF_TIME),
        (spdu(SPDU_OUTLET_REBOOT_DURATION), rw, COL_S_REBOOT_DURATION),
        (rpdu(RPDU_CONTROL_INDEX), ro, COL_R_CONTROL_INDEX),
        (rpdu(RPDU_CONTROL_NAME), ro, COL_R_CONTROL_NAME),
        (RPDU.switching.on.column.to_vec(), rw, COL_R_COMMAND),
        (rpdu(RPDU_CONFIG_INDEX), ro, COL_R_CONFIG_INDEX),
        (
            RPDU.name_column.unwrap_or_default().to_vec(),
            rw,
            COL_R_CONFIG_NAME,
        ),
        (rpdu(RPDU_CONFIG_POWER_ON_TIME), rw, COL_R_POWER_ON_TIME),
        (rpdu(RPDU_CONFIG_POWER_OFF_TIME), rw, COL_R_POWER_OFF_TIME),
        (rpdu(RPDU_CONFIG_REBOOT_DURATION), rw, COL_R_REBOOT_DURATION),
        (rpdu(RPDU_STATUS_INDEX), ro, COL_R_STATUS_INDEX),
        (rpdu(RPDU_STATUS_NAME), ro, COL_R_STATUS_NAME),
        (RPDU.state.column.to_vec(), ro, COL_R_STATE),
        (rpdu(RPDU_STATUS_COMMAND_PENDING), ro, COL_R_PENDING),
        (load.to_vec(), ro, COL_R_LOAD),
    ];
    for (column_oid, access, column) in &columns {
        outlet_column(tree, column_oid, &[], outlets, *access, *column);
    }
}

/// "On  Off " and "Yes No  ": four characters per outlet, as the MasterSwitch card writes them.
fn master_string(
    state: &mut DeviceState,
    now: Duration,
    word: impl Fn(&mut crate::outlet::Outlet) -> &'static str,
) -> Value<'static> {
    let mut s = String::with_capacity(state.outlets.len() * 4);
    for outlet in &mut state.outlets {
        s.push_str(&format!("{:<4}", word(outlet)));
    }
    let _ = now;
    text(s)
}

pub(super) fn read(
    model: &str,
    column: u16,
    index: u32,
    state: &mut DeviceState,
    now: Duration,
) -> Value<'static> {
    match column {
        COL_S_MASTER_CONTROL => return Value::Integer(M_NO_COMMAND),
        COL_S_MASTER_STATE => {
            return master_string(state, now, |o| match o.power(now) {
                Power::On => "On",
                Power::Off => "Off",
            })
        }
        COL_S_MASTER_PENDING => {
            return master_string(state, now, |o| {
                if o.pending(now).is_some() {
                    "Yes"
                } else {
                    "No"
                }
            })
        }
        COL_S_CONTROL_TABLE_SIZE
        | COL_S_CONFIG_TABLE_SIZE
        | COL_R_NUM_OUTLETS
        | COL_R_NUM_CNTRL
        | COL_R_NUM_TOTAL => return super::outlet_count(state),
        COL_R_MODEL => return text(model),
        COL_R_DEV_COMMAND => return Value::Integer(D_NO_COMMAND),
        COL_R_LOAD => {
            return outlet_reading(state, index, now).map_or(Value::NoSuchInstance, |r| {
                Value::Gauge32(scaled(r.amps, RPDU.meters.first().map_or(0.1, |m| m.scale)))
            })
        }
        _ => {}
    }
    let Some(outlet) = outlet_mut(index, state) else {
        return Value::NoSuchInstance;
    };
    let pending = |o: &mut crate::outlet::Outlet| {
        Value::Integer(if o.pending(now).is_some() {
            PENDING
        } else {
            NO_PENDING
        })
    };
    match column {
        COL_S_CONTROL_INDEX | COL_S_CONFIG_INDEX | COL_R_CONTROL_INDEX | COL_R_CONFIG_INDEX
        | COL_R_STATUS_INDEX => integer(index),
        COL_S_PENDING | COL_R_PENDING => pending(outlet),
        COL_S_CTL => on_off(outlet, now, S_ON, S_OFF),
        COL_R_COMMAND => on_off(outlet, now, R_ON, R_OFF),
        COL_R_STATE => on_off(outlet, now, R_STATUS_ON, R_STATUS_OFF),
        COL_S_CTL_NAME | COL_S_NAME | COL_R_CONTROL_NAME | COL_R_CONFIG_NAME
        | COL_R_STATUS_NAME => name_of(outlet, index),
        COL_S_POWER_ON_TIME | COL_R_POWER_ON_TIME => {
            Value::Integer(delay_secs(outlet.delays.on_delay))
        }
        COL_S_POWER_OFF_TIME | COL_R_POWER_OFF_TIME => {
            Value::Integer(delay_secs(outlet.delays.off_delay))
        }
        COL_S_REBOOT_DURATION | COL_R_REBOOT_DURATION => {
            Value::Integer(delay_secs(outlet.delays.reboot))
        }
        _ => Value::NoSuchInstance,
    }
}

pub(super) fn check_write(
    column: u16,
    index: u32,
    value: &Value<'_>,
    state: &DeviceState,
) -> Result<(), ErrorStatus> {
    let any = |allowed: &[i32]| expect_one_of(value, allowed).map(|_| ());
    match column {
        COL_S_MASTER_CONTROL => return any(&[1, 2, 3, 4, 5, 6, 7]),
        COL_R_DEV_COMMAND => return any(&[1, 2, 3, 4, 5, 6, 7, 8]),
        _ => {}
    }
    outlet_position(index, state).ok_or(ErrorStatus::NoCreation)?;
    match column {
        COL_S_CTL => any(&[
            S_ON,
            S_OFF,
            S_REBOOT,
            S_ON_WITH_DELAY,
            S_OFF_WITH_DELAY,
            S_REBOOT_WITH_DELAY,
        ]),
        COL_R_COMMAND => any(&[
            R_ON,
            R_OFF,
            R_REBOOT,
            R_DELAYED_ON,
            R_DELAYED_OFF,
            R_DELAYED_REBOOT,
            R_CANCEL,
        ]),
        COL_S_NAME | COL_R_CONFIG_NAME => expect_display_string(value, NAME_MAX).map(|_| ()),
        // The MasterSwitch takes any number and rounds it down to a supported one.
        COL_S_POWER_ON_TIME | COL_S_POWER_OFF_TIME | COL_S_REBOOT_DURATION => {
            super::expect_integer(value).map(|_| ())
        }
        COL_R_POWER_ON_TIME | COL_R_POWER_OFF_TIME => expect_in(value, DELAY_RANGE).map(|_| ()),
        COL_R_REBOOT_DURATION => expect_in(value, REBOOT_RANGE).map(|_| ()),
        _ => Err(ErrorStatus::NotWritable),
    }
}

pub(super) fn write(
    column: u16,
    index: u32,
    value: &Value<'_>,
    state: &mut DeviceState,
    now: Duration,
) {
    let Value::Integer(v) = value else {
        if let Some(outlet) = outlet_mut(index, state) {
            set_name(outlet, value);
        }
        return;
    };
    let v = *v;
    let all = match (column, v) {
        (COL_S_MASTER_CONTROL, M_ALL_ON_NOW) | (COL_R_DEV_COMMAND, D_ALL_ON) => Some(Command::On),
        (COL_S_MASTER_CONTROL, M_ALL_OFF_NOW) | (COL_R_DEV_COMMAND, D_ALL_OFF) => {
            Some(Command::Off)
        }
        (COL_S_MASTER_CONTROL, M_REBOOT_ALL_NOW) | (COL_R_DEV_COMMAND, D_ALL_REBOOT) => {
            Some(Command::Reboot)
        }
        (COL_S_MASTER_CONTROL, M_ALL_ON_SEQUENCE) | (COL_R_DEV_COMMAND, D_DELAYED_ALL_ON) => {
            Some(Command::DelayedOn)
        }
        (COL_S_MASTER_CONTROL, M_ALL_OFF_SEQUENCE) | (COL_R_DEV_COMMAND, D_DELAYED_ALL_OFF) => {
            Some(Command::DelayedOff)
        }
        (COL_S_MASTER_CONTROL, M_REBOOT_ALL_SEQUENCE)
        | (COL_R_DEV_COMMAND, D_DELAYED_ALL_REBOOT) => Some(Command::DelayedReboot),
        (COL_R_DEV_COMMAND, D_CANCEL_ALL) => Some(Command::Cancel),
        _ => None,
    };
    if let Some(command) = all {
        return command_all(state, command, now);
    }
    let Some(outlet) = outlet_mut(index, state) else {
        return;
    };
    let command = match (column, v) {
        (COL_S_CTL, S_ON) | (COL_R_COMMAND, R_ON) => Some(Command::On),
        (COL_S_CTL, S_OFF) | (COL_R_COMMAND, R_OFF) => Some(Command::Off),
        (COL_S_CTL, S_REBOOT) | (COL_R_COMMAND, R_REBOOT) => Some(Command::Reboot),
        (COL_S_CTL, S_ON_WITH_DELAY) | (COL_R_COMMAND, R_DELAYED_ON) => Some(Command::DelayedOn),
        (COL_S_CTL, S_OFF_WITH_DELAY) | (COL_R_COMMAND, R_DELAYED_OFF) => Some(Command::DelayedOff),
        (COL_S_CTL, S_REBOOT_WITH_DELAY) | (COL_R_COMMAND, R_DELAYED_REBOOT) => {
            Some(Command::DelayedReboot)
        }
        (COL_R_COMMAND, R_CANCEL) => Some(Command::Cancel),
        _ => None,
    };
    if let Some(command) = command {
        return outlet.command(command, now);
    }
    let snapped = match column {
        COL_S_POWER_ON_TIME | COL_S_POWER_OFF_TIME => next_lower(v, &SPDU_DELAYS),
        COL_S_REBOOT_DURATION => next_lower(v, &SPDU_REBOOTS),
        _ => v,
    };
    let value = Value::Integer(snapped);
    match column {
        COL_S_POWER_ON_TIME | COL_R_POWER_ON_TIME => set_delay(&mut outlet.delays.on_delay, &value),
        COL_S_POWER_OFF_TIME | COL_R_POWER_OFF_TIME => {
            set_delay(&mut outlet.delays.off_delay, &value)
        }
        COL_S_REBOOT_DURATION | COL_R_REBOOT_DURATION => {
            set_delay(&mut outlet.delays.reboot, &value)
        }
        _ => {}
    }
}

impl VendorProfile for ApcRpdu {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &RPDU
    }
    fn description(&self) -> &'static str {
        "APC AP79xx (PowerNet-MIB sPDU+rPDU)"
    }
    fn sys_descr(&self) -> &'static str {
        "APC Web/SNMP Management Card (MB:v3.9.2 PF:v3.9.2 PN:apc_hw02_aos_392.bin AF1:v3.9.2 AN1:apc_hw02_rpdu_392.bin MN:AP7921 HR:B2 SN: ZA1234012345 MD:06/14/2012)"
    }
    fn enterprise(&self) -> u32 {
        318
    }
    /// PowerNet-MIB sPDUIdent (318.1.1.4.1): sPDUIdentFirmwareRev(2), sPDUIdentModelNumber(4),
    /// sPDUIdentSerialNumber(5), as in the sysDescr the card writes.
    /// The MasterSwitch sPDU outlet tables, beside the rPDU ones.
    fn legacy_tables(&self) -> &'static [&'static [u32]] {
        SPDU_OUTLET_TABLES
    }
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 1, 2, 0],
                "v3.9.2",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 1, 4, 0],
                "AP7921",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 1, 5, 0],
                "ZA1234012345",
            ),
        ]
    }
    fn build(&self, tree: &mut MibTree, outlets: u32) {
        build(tree, outlets);
    }
    fn read(
        &self,
        column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static> {
        read("AP7921", column, index, state, now)
    }
    fn check_write(
        &self,
        column: u16,
        index: u32,
        value: &Value<'_>,
        state: &DeviceState,
    ) -> Result<(), ErrorStatus> {
        check_write(column, index, value, state)
    }
    fn write(
        &self,
        column: u16,
        index: u32,
        value: &Value<'_>,
        state: &mut DeviceState,
        now: Duration,
    ) {
        write(column, index, value, state, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;

    /// PowerNet-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_powernet_mib() {
        assert_eq!(
            SPDU.switching.on.column,
            lit(".1.3.6.1.4.1.318.1.1.4.4.2.1.3")
        );
        assert_eq!(
            SPDU.outlet_count,
            Some(&lit(".1.3.6.1.4.1.318.1.1.4.4.1.0")[..])
        );
        assert_eq!(
            spdu(SPDU_MASTER_CONTROL_SWITCH),
            lit(".1.3.6.1.4.1.318.1.1.4.2.1")
        );
        assert_eq!(spdu(SPDU_MASTER_STATE), lit(".1.3.6.1.4.1.318.1.1.4.2.2"));
        assert_eq!(
            spdu(SPDU_OUTLET_PENDING),
            lit(".1.3.6.1.4.1.318.1.1.4.4.2.1.2")
        );
        assert_eq!(
            RPDU.outlet_count,
            Some(&lit(".1.3.6.1.4.1.318.1.1.12.1.8.0")[..])
        );
        assert_eq!(
            rpdu(RPDU_OUTLET_DEV_COMMAND),
            lit(".1.3.6.1.4.1.318.1.1.12.3.1.1")
        );
        assert_eq!(
            rpdu(RPDU_CONTROL_NAME),
            lit(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.2")
        );
        assert_eq!(
            RPDU.switching.on.column,
            lit(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")
        );
        assert_eq!(
            RPDU.name_column,
            Some(&lit(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.2")[..])
        );
        assert_eq!(
            rpdu(RPDU_CONFIG_POWER_ON_TIME),
            lit(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.4")
        );
        assert_eq!(
            rpdu(RPDU_CONFIG_POWER_OFF_TIME),
            lit(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.5")
        );
        assert_eq!(
            rpdu(RPDU_CONFIG_REBOOT_DURATION),
            lit(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.6")
        );
        assert_eq!(RPDU.state.column, lit(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4"));
        assert_eq!(
            rpdu(RPDU_STATUS_COMMAND_PENDING),
            lit(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5")
        );
        assert_eq!(
            RPDU.meters[0].column,
            lit(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.7")
        );
        assert_eq!(ApcRpdu.sys_object_id(), lit(".1.3.6.1.4.1.318.1.3.4.5"));
        assert_eq!(
            (S_ON, S_OFF, R_ON, R_OFF, R_STATUS_ON, R_STATUS_OFF),
            (1, 2, 1, 2, 1, 2)
        );
    }

    const CTL: &str = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3";
    const CMD: &str = ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4";
    const STATE: &str = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4";
    const MASTER: &str = ".1.3.6.1.4.1.318.1.1.4.2.2.0";

    /// PowerNet-MIB delayedReboot: "perform a delayedOff command, wait the RebootDuration OID
    /// time, and then perform a delayedOn command". With PowerOffTime 2 s, RebootDuration 5 s
    /// and PowerOnTime 3 s, the outlet is off from 2 s to 10 s, exactly, on the manual clock.
    #[test]
    fn delayed_reboot_is_delayed_off_then_reboot_duration_then_delayed_on() {
        let pdu = TestPdu::start("apc-rpdu", 3);
        let pending = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5.2";
        assert_eq!(pdu.set_int(&format!("{CMD}.2"), 6), OK);
        let mut seen = Vec::new();
        for second in 0..=11 {
            seen.push((
                second,
                pdu.get_int(&format!("{STATE}.2")),
                pdu.get_int(pending),
            ));
            pdu.advance(1);
        }
        // (second, rPDUOutletStatusOutletState on(1)/off(2), rPDUOutletStatusCommandPending yes(1)/no(2))
        let want: Vec<(i32, i32, i32)> = (0..=11)
            .map(|s| {
                (
                    s,
                    if (2..10).contains(&s) { 2 } else { 1 },
                    if s < 10 { 1 } else { 2 },
                )
            })
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn spdu_and_rpdu_are_one_outlet() {
        let pdu = TestPdu::start("apc-rpdu", 3);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.1.8.0"), 3);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.4.4.1.0"), 3);
        assert_eq!(pdu.get_text(MASTER), "On  On  On  ");
        assert_eq!(pdu.set_int(&format!("{CTL}.2"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{STATE}.2")), 2);
        assert_eq!(pdu.get_int(&format!("{CMD}.2")), 2);
        assert_eq!(pdu.get_int(&format!("{CTL}.2")), 2);
        assert_eq!(pdu.get_text(MASTER), "On  Off On  ");
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.7.2"), 0);
        // 100 W at 230 V is 0.4 A in tenths.
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.7.1"), 4);
        // Delayed on through rPDU: pending in both tables, then on after the 3 s on-delay.
        assert_eq!(pdu.set_int(&format!("{CMD}.2"), 4), OK);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5.2"), 1);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.4.4.2.1.2.2"), 1);
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.318.1.1.4.2.3.0"), "No  Yes No  ");
        pdu.advance(3);
        assert_eq!(pdu.get_int(&format!("{STATE}.2")), 1);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5.2"), 2);
        // Master switch all off, reads noCommand(6); device command reads noCommandAll(1).
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.4.2.1.0", 3), OK);
        assert_eq!(pdu.get_text(MASTER), "Off Off Off ");
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.4.2.1.0"), 6);
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.12.3.1.1.0", 2), OK);
        assert_eq!(pdu.get_text(MASTER), "On  On  On  ");
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.1.1.0"), 1);
        // Values the MIB does not allow.
        assert_eq!(pdu.set_int(&format!("{CTL}.1"), 4), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{CMD}.1"), 8), WRONG_VALUE);
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.318.1.1.12.3.1.1.0", 9),
            WRONG_VALUE
        );
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.6.1", 4),
            WRONG_VALUE
        );
        assert_eq!(pdu.set_int(&format!("{STATE}.1"), 1), NOT_WRITABLE);
        // The MasterSwitch rounds delays down to a supported value.
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.4.5.2.1.2.1", 50), OK);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.4.1"), 45);
        // Names: one name, every table.
        assert_eq!(
            pdu.set(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.2.1", text("web1")),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.318.1.1.4.4.2.1.4.1"), "web1");
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.2.1"), "web1");
    }
}
