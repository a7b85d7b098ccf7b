//! CyberPower switched ePDU, CPS-MIB (sysObjectID `.3808.1.1.3`). Index N. Mirrors APC rPDU:
//! ePDUOutletControlOutletCommand takes immediateOn(1) immediateOff(2) immediateReboot(3)
//! delayedOn(4) delayedOff(5) delayedReboot(6) cancelPendingCommand(7) outletIdentify(8) and
//! reads 1 if on, 2 if off; ePDUOutletStatusOutletState on(1)/off(2). Status and control are
//! separate read-only/read-write trees, as the real firmware has: a SET on status is notWritable.

use std::time::Duration;

use pdu_mibs::CYBERPOWER_EPDU as CPS;

use super::metering::{outlet_reading, scaled};
use super::{
    delay_secs, expect_display_string, expect_in, expect_one_of, integer, join, name_of, on_off,
    outlet_column, outlet_mut, outlet_position, scalar, set_delay, set_name, Inventory,
    VendorProfile,
};
use crate::access::Access;
use crate::mib::{CountSyntax, IdentityField, InventoryCount, MibTree};
use crate::outlet::Command;
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `cyberpower-epdu` profile: a CyberPower switched ePDU (CPS-MIB).
pub struct CyberPowerEpdu;

const EPDU: &[u32] = CPS.sys_object_id;
// Objects pdu-mibs does not carry, below EPDU.
const CONTROL_INDEX: &[u32] = &[3, 3, 1, 1, 1];
const CONFIG_INDEX: &[u32] = &[3, 4, 1, 1, 1];
const CONFIG_NAME: &[u32] = &[3, 4, 1, 1, 2];
const CONFIG_POWER_ON_TIME: &[u32] = &[3, 4, 1, 1, 4];
const CONFIG_POWER_OFF_TIME: &[u32] = &[3, 4, 1, 1, 5];
const CONFIG_REBOOT_DURATION: &[u32] = &[3, 4, 1, 1, 6];
const STATUS_INDEX: &[u32] = &[3, 5, 1, 1, 1];
const STATUS_NAME: &[u32] = &[3, 5, 1, 1, 2];
const STATUS_COMMAND_PENDING: &[u32] = &[3, 5, 1, 1, 5];
const STATUS_LOAD: &[u32] = &[3, 5, 1, 1, 7];
const STATUS_ACTIVE_POWER: &[u32] = &[3, 5, 1, 1, 8];
const STATUS_ENERGY: &[u32] = &[3, 5, 1, 1, 13];

const COL_NUM_OUTLETS: u16 = 1;
const COL_INDEX: u16 = 2;
const COL_NAME: u16 = 3;
const COL_CONFIG_NAME: u16 = 4;
const COL_COMMAND: u16 = 5;
const COL_POWER_ON_TIME: u16 = 6;
const COL_POWER_OFF_TIME: u16 = 7;
const COL_REBOOT_DURATION: u16 = 8;
const COL_STATE: u16 = 9;
const COL_PENDING: u16 = 10;
const COL_LOAD: u16 = 11;
const COL_POWER: u16 = 12;
const COL_ENERGY: u16 = 13;

const IMMEDIATE_ON: i32 = CPS.switching.on.value as i32;
const IMMEDIATE_OFF: i32 = CPS.switching.off.value as i32;
const IMMEDIATE_REBOOT: i32 = 3;
const DELAYED_ON: i32 = 4;
const DELAYED_OFF: i32 = 5;
const DELAYED_REBOOT: i32 = 6;
const CANCEL: i32 = 7;
const IDENTIFY: i32 = 8;
const STATE_ON: i32 = CPS.state.on[0] as i32;
const STATE_OFF: i32 = CPS.state.off[0] as i32;
const PENDING: i32 = 1;
const NO_PENDING: i32 = 2;
const NAME_MAX: usize = 31;
const DELAY_RANGE: std::ops::RangeInclusive<i32> = -1..=7200;
const REBOOT_RANGE: std::ops::RangeInclusive<i32> = 5..=60;

fn cps(suffix: &[u32]) -> Vec<u32> {
    join(EPDU, suffix)
}

impl VendorProfile for CyberPowerEpdu {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &CPS
    }
    fn sys_descr(&self) -> &'static str {
        "CyberPower PDU41001 Switched ePDU, firmware 1.2.3"
    }
    fn enterprise(&self) -> u32 {
        3808
    }
    /// CPS-MIB ePDUIdent (3808.1.1.3.1), DisplayString scalars: ePDUIdentFirmwareRev(3),
    /// ePDUIdentModelNumber(5), ePDUIdentSerialNumber(6) (checked against CPS-MIB's text, not
    /// only its APC rPDUIdent mirror); ePDUIdentDeviceNumOutlets(8, INTEGER) is the profile's
    /// outlet count.
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 1, 3, 0],
                "1.2.3",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 1, 5, 0],
                "PDU41001",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 1, 6, 0],
                "GA1234000001",
            ),
        ]
    }
    /// CPS-MIB, all INTEGER scalars: ePDUIdent (3808.1.1.3.1) ePDUIdentDeviceNumPhases(9) and
    /// ePDUIdentDeviceNumBreakers(10) ("the same as the number of banks of outlets", 0 for none);
    /// ePDULoadDevice (3808.1.1.3.2.1) ePDULoadDevNumPhases(2) and ePDULoadDevNumBanks(4). A
    /// PDU41001 is single-phase; no bank table is served, so no banks by default. CPS-MIB's ePDU
    /// group has no inlet count.
    fn inventory(&self) -> &'static [Inventory] {
        const fn integer(count: InventoryCount, oid: &'static [u32], default: u32) -> Inventory {
            Inventory {
                count,
                oid,
                syntax: CountSyntax::Integer,
                default,
            }
        }
        const OBJECTS: &[Inventory] = &[
            integer(
                InventoryCount::Phases,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 1, 9, 0],
                1,
            ),
            integer(
                InventoryCount::OutletGroups,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 1, 10, 0],
                0,
            ),
            integer(
                InventoryCount::Phases,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 2, 1, 2, 0],
                1,
            ),
            integer(
                InventoryCount::OutletGroups,
                &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 2, 1, 4, 0],
                0,
            ),
        ];
        OBJECTS
    }
    fn build(&self, tree: &mut MibTree, outlets: u32) {
        if let Some(count) = CPS.outlet_count {
            scalar(tree, count, Access::ReadOnly, COL_NUM_OUTLETS);
        }
        let rw = Access::ReadWrite;
        let ro = Access::ReadOnly;
        let columns: [(Vec<u32>, Access, u16); 15] = [
            (cps(CONTROL_INDEX), ro, COL_INDEX),
            (CPS.name_column.unwrap_or_default().to_vec(), ro, COL_NAME),
            (CPS.switching.on.column.to_vec(), rw, COL_COMMAND),
            (cps(CONFIG_INDEX), ro, COL_INDEX),
            (cps(CONFIG_NAME), rw, COL_CONFIG_NAME),
            (cps(CONFIG_POWER_ON_TIME), rw, COL_POWER_ON_TIME),
            (cps(CONFIG_POWER_OFF_TIME), rw, COL_POWER_OFF_TIME),
            (cps(CONFIG_REBOOT_DURATION), rw, COL_REBOOT_DURATION),
            (cps(STATUS_INDEX), ro, COL_INDEX),
            (cps(STATUS_NAME), ro, COL_NAME),
            (CPS.state.column.to_vec(), ro, COL_STATE),
            (cps(STATUS_COMMAND_PENDING), ro, COL_PENDING),
            (cps(STATUS_LOAD), ro, COL_LOAD),
            (cps(STATUS_ACTIVE_POWER), ro, COL_POWER),
            (cps(STATUS_ENERGY), ro, COL_ENERGY),
        ];
        for (column_oid, access, column) in &columns {
            outlet_column(tree, column_oid, &[], outlets, *access, *column);
        }
    }
    fn read(
        &self,
        column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static> {
        match column {
            COL_NUM_OUTLETS => return super::outlet_count(state),
            COL_LOAD | COL_POWER | COL_ENERGY => {
                // Gauge in tenths of amps, watts, tenths of kWh.
                return outlet_reading(state, index, now).map_or(Value::NoSuchInstance, |r| {
                    Value::Gauge32(match column {
                        COL_LOAD => scaled(r.amps, 0.1),
                        COL_POWER => scaled(r.watts, 1.0),
                        _ => scaled(r.watt_hours, 100.0),
                    })
                });
            }
            _ => {}
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_INDEX => integer(index),
            COL_NAME | COL_CONFIG_NAME => name_of(outlet, index),
            COL_COMMAND => on_off(outlet, now, IMMEDIATE_ON, IMMEDIATE_OFF),
            COL_POWER_ON_TIME => Value::Integer(delay_secs(outlet.delays.on_delay)),
            COL_POWER_OFF_TIME => Value::Integer(delay_secs(outlet.delays.off_delay)),
            COL_REBOOT_DURATION => Value::Integer(delay_secs(outlet.delays.reboot)),
            COL_STATE => on_off(outlet, now, STATE_ON, STATE_OFF),
            COL_PENDING => Value::Integer(if outlet.pending(now).is_some() {
                PENDING
            } else {
                NO_PENDING
            }),
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
                    IDENTIFY,
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
        let Some(outlet) = outlet_mut(index, state) else {
            return;
        };
        let command = match value {
            Value::Integer(IMMEDIATE_ON) => Some(Command::On),
            Value::Integer(IMMEDIATE_OFF) => Some(Command::Off),
            Value::Integer(IMMEDIATE_REBOOT) => Some(Command::Reboot),
            Value::Integer(DELAYED_ON) => Some(Command::DelayedOn),
            Value::Integer(DELAYED_OFF) => Some(Command::DelayedOff),
            Value::Integer(DELAYED_REBOOT) => Some(Command::DelayedReboot),
            Value::Integer(CANCEL) => Some(Command::Cancel),
            // outletIdentify blinks the outlet's LED: nothing to model.
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

    /// CPS-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_cps_mib() {
        assert_eq!(
            CPS.outlet_count,
            Some(&lit(".1.3.6.1.4.1.3808.1.1.3.1.8.0")[..])
        );
        assert_eq!(
            CPS.switching.on.column,
            lit(".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4")
        );
        assert_eq!(CPS.state.column, lit(".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4"));
        assert_eq!(
            CPS.name_column,
            Some(&lit(".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.2")[..])
        );
        assert_eq!(
            CyberPowerEpdu.sys_object_id(),
            lit(".1.3.6.1.4.1.3808.1.1.3")
        );
    }

    #[test]
    fn switches_delays_and_refuses_sets_on_status() {
        let pdu = TestPdu::start("cyberpower-epdu", 8);
        let cmd = ".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4";
        let st = ".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4";
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.3808.1.1.3.1.8.0"), 8);
        assert_eq!(pdu.set_int(&format!("{cmd}.1"), 2), OK);
        assert_eq!(
            (
                pdu.get_int(&format!("{st}.1")),
                pdu.get_int(&format!("{cmd}.1"))
            ),
            (2, 2)
        );
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.8.1"), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.8.2"), 100);
        assert_eq!(pdu.set_int(&format!("{cmd}.1"), 4), OK);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.5.1"), 1);
        pdu.advance(3);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 1);
        assert_eq!(pdu.set_int(&format!("{cmd}.1"), 8), OK);
        assert_eq!(pdu.set_int(&format!("{cmd}.1"), 9), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{st}.1"), 2), NOT_WRITABLE);
        assert_eq!(
            pdu.set(
                ".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.2.1",
                crate::profiles::text("a")
            ),
            NOT_WRITABLE
        );
        assert_eq!(
            pdu.set(
                ".1.3.6.1.4.1.3808.1.1.3.3.4.1.1.2.1",
                crate::profiles::text("a")
            ),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.2.1"), "a");
    }
}
