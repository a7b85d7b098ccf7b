//! APC Switched Rack PDU AP89xx (PowerNet-MIB): the sPDU and rPDU tables of `apc-rpdu` plus the
//! rPDU2 switched and metered tables, all views of the one outlet model, as a real AP89xx
//! serves them (see recordings/apc-8932.snmprec). sysObjectID `.318.1.3.4.6` (rPDU2). Index N.
//!
//! rPDU2 encodings: SwitchedStatusState is **off(1)/on(2)**, reversed against rPDU;
//! SwitchedControlCommand writes immediateOn(1) immediateOff(2) immediateReboot(3) delayedOn(5)
//! delayedOff(6) delayedReboot(7) cancelPendingCommand(8), reads 1 or 2, and refuses
//! outletUnknown(4). Meters: current in 0.1 A, power in W, energy in 0.1 kWh.

use std::time::Duration;

use pdu_mibs::{Quantity, APC_RPDU2 as RPDU2};

use super::apc_rpdu::{self, DELAY_RANGE, NAME_MAX, NO_PENDING, PENDING, REBOOT_RANGE};
use super::metering::{outlet_reading, scaled_i32};
use super::{
    delay_secs, expect_display_string, expect_in, expect_one_of, integer, join, name_of, on_off,
    outlet_column, outlet_mut, outlet_position, scalar, set_delay, set_name, VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::Command;
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `apc-rpdu2` profile: an APC AP89xx serving PowerNet-MIB sPDU, rPDU and rPDU2 tables.
pub struct ApcRpdu2;

/// rPDU2Outlet.
const RPDU2_OUTLET: &[u32] = &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9];

// Objects pdu-mibs does not carry, below RPDU2_OUTLET.
const CONFIG_INDEX: &[u32] = &[2, 1, 1, 1];
const CONFIG_MODULE: &[u32] = &[2, 1, 1, 2];
const CONFIG_NUMBER: &[u32] = &[2, 1, 1, 4];
const CONFIG_POWER_ON_TIME: &[u32] = &[2, 1, 1, 5];
const CONFIG_POWER_OFF_TIME: &[u32] = &[2, 1, 1, 6];
const CONFIG_REBOOT_DURATION: &[u32] = &[2, 1, 1, 7];
const STATUS_INDEX: &[u32] = &[2, 3, 1, 1];
const STATUS_MODULE: &[u32] = &[2, 3, 1, 2];
const STATUS_NAME: &[u32] = &[2, 3, 1, 3];
const STATUS_NUMBER: &[u32] = &[2, 3, 1, 4];
const STATUS_COMMAND_PENDING: &[u32] = &[2, 3, 1, 6];
const CONTROL_INDEX: &[u32] = &[2, 4, 1, 1];
const CONTROL_MODULE: &[u32] = &[2, 4, 1, 2];
const CONTROL_NAME: &[u32] = &[2, 4, 1, 3];
const CONTROL_NUMBER: &[u32] = &[2, 4, 1, 4];
const METERED_TABLE_SIZE: &[u32] = &[3];
const METERED_INDEX: &[u32] = &[4, 3, 1, 1];
const METERED_MODULE: &[u32] = &[4, 3, 1, 2];
const METERED_NAME: &[u32] = &[4, 3, 1, 3];
const METERED_NUMBER: &[u32] = &[4, 3, 1, 4];
const METERED_STATE: &[u32] = &[4, 3, 1, 5];

// Columns 100 and up (1..=99 are apc_rpdu's).
const COL_SWITCHED_TABLE_SIZE: u16 = 100;
const COL_METERED_TABLE_SIZE: u16 = 101;
const COL_INDEX: u16 = 102;
const COL_MODULE: u16 = 103;
const COL_CONFIG_NAME: u16 = 104;
const COL_NAME: u16 = 105;
const COL_POWER_ON_TIME: u16 = 106;
const COL_POWER_OFF_TIME: u16 = 107;
const COL_REBOOT_DURATION: u16 = 108;
const COL_STATE: u16 = 109;
const COL_PENDING: u16 = 110;
const COL_COMMAND: u16 = 111;
const COL_LOAD_STATE: u16 = 112;
const COL_CURRENT: u16 = 113;
const COL_POWER: u16 = 114;
const COL_ENERGY: u16 = 115;

// rPDU2OutletSwitchedStatusState: off(1), on(2).
const STATE_ON: i32 = RPDU2.state.on[0] as i32;
const STATE_OFF: i32 = RPDU2.state.off[0] as i32;
// rPDU2OutletSwitchedControlCommand.
const IMMEDIATE_ON: i32 = RPDU2.switching.on.value as i32;
const IMMEDIATE_OFF: i32 = RPDU2.switching.off.value as i32;
const IMMEDIATE_REBOOT: i32 = 3;
const DELAYED_ON: i32 = 5;
const DELAYED_OFF: i32 = 6;
const DELAYED_REBOOT: i32 = 7;
const CANCEL: i32 = 8;
/// rPDU2OutletMeteredStatusState lowLoad(1), normal(2).
const LOW_LOAD: i32 = 1;
const NORMAL_LOAD: i32 = 2;
/// rPDU2 module (the PDU's position in a chain): 1 on a single unit.
const MODULE: i32 = 1;

fn rpdu2(suffix: &[u32]) -> Vec<u32> {
    join(RPDU2_OUTLET, suffix)
}

fn meter_scale(quantity: Quantity) -> f64 {
    RPDU2
        .meters
        .iter()
        .find(|m| m.quantity == quantity)
        .map_or(1.0, |m| m.scale)
}

fn meter_column(quantity: Quantity) -> Vec<u32> {
    RPDU2
        .meters
        .iter()
        .find(|m| m.quantity == quantity)
        .map_or_else(Vec::new, |m| m.column.to_vec())
}

impl VendorProfile for ApcRpdu2 {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &RPDU2
    }
    fn description(&self) -> &'static str {
        "APC AP89xx (PowerNet-MIB sPDU+rPDU+rPDU2)"
    }
    fn sys_descr(&self) -> &'static str {
        "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 PN:apc_hw05_aos_672.bin AF1:v6.7.2 AN1:apc_hw05_rpdu2g_672.bin MN:AP8932 HR:02 SN: 3F1234567890 MD:01/23/2019)"
    }
    fn enterprise(&self) -> u32 {
        318
    }
    /// PowerNet-MIB sPDUIdent (318.1.1.4.1): sPDUIdentFirmwareRev(2), sPDUIdentModelNumber(4),
    /// sPDUIdentSerialNumber(5), as in the sysDescr the card writes.
    /// The sPDU and rPDU outlet tables, beside the rPDU2 ones.
    fn legacy_tables(&self) -> &'static [&'static [u32]] {
        apc_rpdu::SPDU_AND_RPDU_OUTLET_TABLES
    }
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 1, 2, 0],
                "v6.7.2",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 1, 4, 0],
                "AP8932",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 1, 5, 0],
                "3F1234567890",
            ),
        ]
    }

    fn build(&self, tree: &mut MibTree, outlets: u32) {
        apc_rpdu::build(tree, outlets);
        let ro = Access::ReadOnly;
        let rw = Access::ReadWrite;
        if let Some(count) = RPDU2.outlet_count {
            scalar(tree, count, ro, COL_SWITCHED_TABLE_SIZE);
        }
        scalar(tree, &rpdu2(METERED_TABLE_SIZE), ro, COL_METERED_TABLE_SIZE);
        let columns: [(Vec<u32>, Access, u16); 25] = [
            (rpdu2(CONFIG_INDEX), ro, COL_INDEX),
            (rpdu2(CONFIG_MODULE), ro, COL_MODULE),
            (
                RPDU2.name_column.unwrap_or_default().to_vec(),
                rw,
                COL_CONFIG_NAME,
            ),
            (rpdu2(CONFIG_NUMBER), ro, COL_INDEX),
            (rpdu2(CONFIG_POWER_ON_TIME), rw, COL_POWER_ON_TIME),
            (rpdu2(CONFIG_POWER_OFF_TIME), rw, COL_POWER_OFF_TIME),
            (rpdu2(CONFIG_REBOOT_DURATION), rw, COL_REBOOT_DURATION),
            (rpdu2(STATUS_INDEX), ro, COL_INDEX),
            (rpdu2(STATUS_MODULE), ro, COL_MODULE),
            (rpdu2(STATUS_NAME), ro, COL_NAME),
            (rpdu2(STATUS_NUMBER), ro, COL_INDEX),
            (RPDU2.state.column.to_vec(), ro, COL_STATE),
            (rpdu2(STATUS_COMMAND_PENDING), ro, COL_PENDING),
            (rpdu2(CONTROL_INDEX), ro, COL_INDEX),
            (rpdu2(CONTROL_MODULE), ro, COL_MODULE),
            (rpdu2(CONTROL_NAME), ro, COL_NAME),
            (rpdu2(CONTROL_NUMBER), ro, COL_INDEX),
            (RPDU2.switching.on.column.to_vec(), rw, COL_COMMAND),
            (rpdu2(METERED_INDEX), ro, COL_INDEX),
            (rpdu2(METERED_MODULE), ro, COL_MODULE),
            (rpdu2(METERED_NAME), ro, COL_NAME),
            (rpdu2(METERED_NUMBER), ro, COL_INDEX),
            (rpdu2(METERED_STATE), ro, COL_LOAD_STATE),
            (meter_column(Quantity::Current), ro, COL_CURRENT),
            (meter_column(Quantity::Power), ro, COL_POWER),
        ];
        for (column_oid, access, column) in &columns {
            outlet_column(tree, column_oid, &[], outlets, *access, *column);
        }
        outlet_column(
            tree,
            &meter_column(Quantity::Energy),
            &[],
            outlets,
            ro,
            COL_ENERGY,
        );
    }

    fn read(
        &self,
        column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static> {
        if column <= apc_rpdu::LAST_COLUMN {
            return apc_rpdu::read("AP8932", column, index, state, now);
        }
        match column {
            COL_SWITCHED_TABLE_SIZE | COL_METERED_TABLE_SIZE => return super::outlet_count(state),
            COL_LOAD_STATE | COL_CURRENT | COL_POWER | COL_ENERGY => {
                let Some(r) = outlet_reading(state, index, now) else {
                    return Value::NoSuchInstance;
                };
                return Value::Integer(match column {
                    COL_LOAD_STATE if r.watts > 0.0 => NORMAL_LOAD,
                    COL_LOAD_STATE => LOW_LOAD,
                    COL_CURRENT => scaled_i32(r.amps, meter_scale(Quantity::Current)),
                    COL_POWER => scaled_i32(r.watts, meter_scale(Quantity::Power)),
                    _ => scaled_i32(r.watt_hours, meter_scale(Quantity::Energy)),
                });
            }
            _ => {}
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_INDEX => integer(index),
            COL_MODULE => Value::Integer(MODULE),
            COL_CONFIG_NAME | COL_NAME => name_of(outlet, index),
            COL_POWER_ON_TIME => Value::Integer(delay_secs(outlet.delays.on_delay)),
            COL_POWER_OFF_TIME => Value::Integer(delay_secs(outlet.delays.off_delay)),
            COL_REBOOT_DURATION => Value::Integer(delay_secs(outlet.delays.reboot)),
            COL_STATE => on_off(outlet, now, STATE_ON, STATE_OFF),
            COL_PENDING => Value::Integer(if outlet.pending(now).is_some() {
                PENDING
            } else {
                NO_PENDING
            }),
            COL_COMMAND => on_off(outlet, now, IMMEDIATE_ON, IMMEDIATE_OFF),
            _ => Value::NoSuchInstance,
        }
    }

    fn check_write(
        &self,
        column: u16,
        index: u32,
        value: &Value<'_>,
        state: &DeviceState,
    ) -> Result<(), ErrorStatus> {
        if column <= apc_rpdu::LAST_COLUMN {
            return apc_rpdu::check_write(column, index, value, state);
        }
        outlet_position(index, state).ok_or(ErrorStatus::NoCreation)?;
        match column {
            COL_COMMAND => expect_one_of(
                value,
                &[
                    IMMEDIATE_ON,
                    IMMEDIATE_OFF,
                    IMMEDIATE_REBOOT,
                    DELAYED_ON,
                    DELAYED_OFF,
                    DELAYED_REBOOT,
                    CANCEL,
                ],
            )
            .map(|_| ()),
            COL_CONFIG_NAME => expect_display_string(value, NAME_MAX).map(|_| ()),
            COL_POWER_ON_TIME | COL_POWER_OFF_TIME => expect_in(value, DELAY_RANGE).map(|_| ()),
            COL_REBOOT_DURATION => expect_in(value, REBOOT_RANGE).map(|_| ()),
            _ => Err(ErrorStatus::NotWritable),
        }
    }

    fn write(
        &self,
        column: u16,
        index: u32,
        value: &Value<'_>,
        state: &mut DeviceState,
        now: Duration,
    ) {
        if column <= apc_rpdu::LAST_COLUMN {
            return apc_rpdu::write(column, index, value, state, now);
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return;
        };
        let command = match (column, value) {
            (COL_COMMAND, Value::Integer(IMMEDIATE_ON)) => Some(Command::On),
            (COL_COMMAND, Value::Integer(IMMEDIATE_OFF)) => Some(Command::Off),
            (COL_COMMAND, Value::Integer(IMMEDIATE_REBOOT)) => Some(Command::Reboot),
            (COL_COMMAND, Value::Integer(DELAYED_ON)) => Some(Command::DelayedOn),
            (COL_COMMAND, Value::Integer(DELAYED_OFF)) => Some(Command::DelayedOff),
            (COL_COMMAND, Value::Integer(DELAYED_REBOOT)) => Some(Command::DelayedReboot),
            (COL_COMMAND, Value::Integer(CANCEL)) => Some(Command::Cancel),
            _ => None,
        };
        match column {
            COL_COMMAND => {
                if let Some(command) = command {
                    outlet.command(command, now);
                }
            }
            COL_CONFIG_NAME => set_name(outlet, value),
            COL_POWER_ON_TIME => set_delay(&mut outlet.delays.on_delay, value),
            COL_POWER_OFF_TIME => set_delay(&mut outlet.delays.off_delay, value),
            COL_REBOOT_DURATION => set_delay(&mut outlet.delays.reboot, value),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;
    use crate::profiles::text;

    /// PowerNet-MIB rPDU2 literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_powernet_mib() {
        assert_eq!(
            RPDU2.outlet_count,
            Some(&lit(".1.3.6.1.4.1.318.1.1.26.9.1.0")[..])
        );
        assert_eq!(
            RPDU2.name_column,
            Some(&lit(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.3")[..])
        );
        assert_eq!(RPDU2.state.column, lit(".1.3.6.1.4.1.318.1.1.26.9.2.3.1.5"));
        assert_eq!(
            rpdu2(STATUS_COMMAND_PENDING),
            lit(".1.3.6.1.4.1.318.1.1.26.9.2.3.1.6")
        );
        assert_eq!(
            RPDU2.switching.on.column,
            lit(".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5")
        );
        assert_eq!(
            meter_column(Quantity::Current),
            lit(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6")
        );
        assert_eq!(
            meter_column(Quantity::Power),
            lit(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7")
        );
        assert_eq!(
            meter_column(Quantity::Energy),
            lit(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.11")
        );
        assert_eq!(
            rpdu2(CONFIG_POWER_ON_TIME),
            lit(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.5")
        );
        assert_eq!(
            rpdu2(CONFIG_REBOOT_DURATION),
            lit(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.7")
        );
        assert_eq!(ApcRpdu2.sys_object_id(), lit(".1.3.6.1.4.1.318.1.3.4.6"));
        assert_eq!(
            (STATE_OFF, STATE_ON, IMMEDIATE_ON, IMMEDIATE_OFF),
            (1, 2, 1, 2)
        );
    }

    const S_CTL: &str = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3";
    const R_CMD: &str = ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4";
    const R_STATE: &str = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4";
    const R2_CMD: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5";
    const R2_STATE: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.5";
    const R2_PENDING: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.6";
    const MASTER: &str = ".1.3.6.1.4.1.318.1.1.4.2.2.0";

    /// Every view of outlet `n` agrees: sPDU, rPDU, rPDU2 and the master-state string.
    fn assert_views_agree(pdu: &TestPdu, outlets: u32) {
        let master = pdu.get_text(MASTER);
        for n in 1..=outlets {
            let on = pdu.get_int(&format!("{R_STATE}.{n}")) == 1;
            let (s, r, r2, r2c) = (
                pdu.get_int(&format!("{S_CTL}.{n}")),
                pdu.get_int(&format!("{R_CMD}.{n}")),
                pdu.get_int(&format!("{R2_STATE}.{n}")),
                pdu.get_int(&format!("{R2_CMD}.{n}")),
            );
            assert_eq!(
                (s, r, r2, r2c),
                if on { (1, 1, 2, 1) } else { (2, 2, 1, 2) },
                "outlet {n}"
            );
            let word = master
                .get((n as usize - 1) * 4..n as usize * 4)
                .expect("4 chars per outlet");
            assert_eq!(
                word,
                if on { "On  " } else { "Off " },
                "master state {master:?}"
            );
            let pending = pdu.get_int(&format!("{R2_PENDING}.{n}"));
            assert_eq!(
                pending,
                pdu.get_int(&format!(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5.{n}"))
            );
            assert_eq!(
                pending,
                pdu.get_int(&format!(".1.3.6.1.4.1.318.1.1.4.4.2.1.2.{n}"))
            );
        }
    }

    #[test]
    fn three_tables_and_master_state_never_disagree() {
        let pdu = TestPdu::start("apc-rpdu2", 4);
        assert_views_agree(&pdu, 4);
        let steps: [(&str, i32); 9] = [
            (R2_CMD, 2),
            (S_CTL, 2),
            (R_CMD, 1),
            (R2_CMD, 3),
            (S_CTL, 6),
            (R_CMD, 6),
            (R2_CMD, 5),
            (S_CTL, 3),
            (R2_CMD, 8),
        ];
        for (i, (column, value)) in steps.iter().enumerate() {
            let outlet = i % 4 + 1;
            assert_eq!(pdu.set_int(&format!("{column}.{outlet}"), *value), OK);
            assert_views_agree(&pdu, 4);
            pdu.advance(1);
            assert_views_agree(&pdu, 4);
        }
        for command in [3, 1, 4, 7] {
            assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.4.2.1.0", command), OK);
            assert_views_agree(&pdu, 4);
            pdu.advance(4);
            assert_views_agree(&pdu, 4);
        }
        for command in [3, 2, 6, 8, 4, 7] {
            assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.12.3.1.1.0", command), OK);
            assert_views_agree(&pdu, 4);
            pdu.advance(3);
            assert_views_agree(&pdu, 4);
        }
    }

    #[test]
    fn rpdu2_switches_delays_cancels_and_meters() {
        let pdu = TestPdu::start("apc-rpdu2", 2);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.1.0"), 2);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.3.0"), 2);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1"), 100);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.1"), 4);
        // Off now: state off(1), meters zero.
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.1")), 1);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1"), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.1"), 0);
        // Delayed on after PowerOnTime (set to 10 s), pending until then; cancel stops it.
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.5.1", 10), OK);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.4.1"), 10);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 5), OK);
        assert_eq!(pdu.get_int(&format!("{R2_PENDING}.1")), 1);
        pdu.advance(9);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.1")), 1);
        pdu.advance(1);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.1")), 2);
        assert_eq!(pdu.get_int(&format!("{R2_PENDING}.1")), 2);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 6), OK);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 8), OK);
        pdu.advance(100);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.1")), 2);
        // Reboot: off for RebootDuration, then on.
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.7.2", 10), OK);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.2"), 3), OK);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.2")), 1);
        pdu.advance(10);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.2")), 2);
        // Energy in 0.1 kWh: outlet 2 on 100 W for an hour less its 10 s off is ~0.1 kWh.
        pdu.advance(3600);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.11.2"), 1);
        // Bad values.
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 4), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 9), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 0), WRONG_VALUE);
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.5.1", 7201),
            WRONG_VALUE
        );
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.7.1", 61),
            WRONG_VALUE
        );
        assert_eq!(pdu.set_int(&format!("{R2_STATE}.1"), 2), NOT_WRITABLE);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.3"), 1), NO_CREATION);
        // Names are one name across the tables.
        assert_eq!(
            pdu.set(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.3.2", text("db")),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.2.2"), "db");
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.318.1.1.26.9.2.4.1.3.2"), "db");
        assert_eq!(
            pdu.set(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.3.2", text("x".repeat(24))),
            snmp_proto::ErrorStatus::WrongLength as i32
        );
    }

    #[test]
    fn never_delay_reads_minus_one_and_never_fires() {
        let pdu = TestPdu::start("apc-rpdu2", 1);
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.6.1", -1), OK);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.5.1"), -1);
        assert_eq!(pdu.set_int(&format!("{R2_CMD}.1"), 6), OK);
        pdu.advance(100_000);
        assert_eq!(pdu.get_int(&format!("{R2_STATE}.1")), 2);
    }

    /// One SET carrying commands for several outlets through different tables applies all of
    /// them, or none when one is bad.
    #[test]
    fn multi_varbind_sets_are_all_or_nothing() {
        let pdu = TestPdu::start("apc-rpdu2", 3);
        let status = pdu.set_many(&[
            (&format!("{S_CTL}.1"), Value::Integer(2)),
            (&format!("{R2_CMD}.2"), Value::Integer(9)),
        ]);
        assert_eq!(status, WRONG_VALUE);
        assert_eq!(pdu.get_text(MASTER), "On  On  On  ");
        let status = pdu.set_many(&[
            (&format!("{S_CTL}.1"), Value::Integer(2)),
            (&format!("{R_CMD}.2"), Value::Integer(2)),
            (&format!("{R2_CMD}.3"), Value::Integer(2)),
        ]);
        assert_eq!(status, OK);
        assert_eq!(pdu.get_text(MASTER), "Off Off Off ");
        assert_views_agree(&pdu, 3);
    }
}
