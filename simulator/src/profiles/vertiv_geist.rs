//! Vertiv/Geist switched PDU, VERTIV-V5-MIB (sysObjectID `.21239.5`). Index N.
//! pduOutletSwitchControl (rw) takes cancel(1) on(2) onAfterDelay(3) off(4) offAfterDelay(5)
//! reboot(6) rebootAfterDelay(7) none(8) and reads none(8). pduOutletSwitchState reads on(1)
//! off(2) on2off(3) off2on(4) rebootOn(5) rebootOff(6): the transitional values while a
//! delayed command or a reboot runs.

use std::time::Duration;

use pdu_mibs::VERTIV_GEIST as V5;

use super::{
    delay_secs, expect_display_string, expect_in, expect_one_of, join, name_of, outlet_column,
    outlet_mut, outlet_position, set_delay, set_name, Inventory, VendorProfile,
};
use crate::access::Access;
use crate::mib::{CountSyntax, IdentityField, InventoryCount, MibTree};
use crate::outlet::{Command, PendingKind, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `vertiv-geist` profile: a Vertiv/Geist switched PDU (VERTIV-V5-MIB).
pub struct VertivGeist;

/// pduOutletSwitchEntry, for the columns pdu-mibs does not carry.
const SWITCH_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 3, 5, 1];
const SWITCH_INDEX: &[u32] = &[1];
const SWITCH_TIME_TO_ACTION: &[u32] = &[7];
const SWITCH_ON_DELAY: &[u32] = &[8];
const SWITCH_OFF_DELAY: &[u32] = &[9];
const SWITCH_REBOOT_HOLD_DELAY: &[u32] = &[11];
/// pduOutletSwitchName (read-only); the writable name is pduOutletSwitchLabel (`pdu_mibs`).
const SWITCH_NAME: &[u32] = &[2];
/// pduOutletSwitchRebootDelay: seconds before a rebootAfterDelay turns the outlet off.
const SWITCH_REBOOT_DELAY: &[u32] = &[10];

const COL_INDEX: u16 = 1;
const COL_NAME: u16 = 2;
const COL_STATE: u16 = 3;
const COL_CONTROL: u16 = 4;
const COL_TIME_TO_ACTION: u16 = 5;
const COL_ON_DELAY: u16 = 6;
const COL_OFF_DELAY: u16 = 7;
const COL_REBOOT_HOLD: u16 = 8;
const COL_LABEL: u16 = 9;
const COL_REBOOT_DELAY: u16 = 10;
const COL_METER_CURRENT: u16 = 11;
const COL_METER_POWER: u16 = 12;

/// pduOutletMeterEntry: pduOutletMeterCurrent (.8, 0.01 A) and pduOutletMeterRealPower (.12, W).
const METER_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 3, 6, 1];

// pduOutletSwitchControl.
const CANCEL: i32 = 1;
const ON: i32 = V5.switching.on.value as i32;
const ON_AFTER_DELAY: i32 = 3;
const OFF: i32 = V5.switching.off.value as i32;
const OFF_AFTER_DELAY: i32 = 5;
const REBOOT: i32 = 6;
const REBOOT_AFTER_DELAY: i32 = 7;
const NONE: i32 = 8;
// pduOutletSwitchState.
const STATE_ON: i32 = V5.state.on[0] as i32;
const STATE_OFF: i32 = V5.state.off[0] as i32;
const STATE_ON2OFF: i32 = V5.state.pending_off[0] as i32;
const STATE_OFF2ON: i32 = V5.state.pending_on[0] as i32;
const STATE_REBOOT_ON: i32 = 5;
const STATE_REBOOT_OFF: i32 = 6;
/// pduOutletSwitchName is SnmpAdminString (SIZE (1..25)).
const NAME_MAX: usize = 25;
/// The delay columns' range, seconds.
const DELAY_RANGE: std::ops::RangeInclusive<i32> = 0..=600;

impl VendorProfile for VertivGeist {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &V5
    }
    fn sys_descr(&self) -> &'static str {
        "Vertiv Geist rPDU, firmware 5.10.3"
    }
    fn enterprise(&self) -> u32 {
        21239
    }
    /// VERTIV-V5-MIB deviceInfo (21239.5.2.1, SnmpAdminString scalars): productTitle(1), the
    /// product name; productVersion(2), the firmware; productModelNumber(8);
    /// productSerialNumber(10); productManufacturer(15). pduMainEntry (21239.5.2.3.1.1, INDEX
    /// pduMainIndex) of PDU 1: pduMainSerial(2).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 1, 1, 0],
                "Vertiv rPDU",
            ),
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 1, 2, 0],
                "5.10.3",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 1, 8, 0],
                "VP7871",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 1, 10, 0],
                "0217VP7871A10042",
            ),
            (
                IdentityField::Manufacturer,
                &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 1, 15, 0],
                "Vertiv",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 3, 1, 1, 2, 1],
                "0217VP7871A10042",
            ),
        ]
    }
    /// VERTIV-V5-MIB deviceCount.0 (21239.5.2.1.6, Integer32 0..16): the one PDU. The MIB has
    /// no inlet, phase or outlet count: managers count pduPhaseTable and pduOutletSwitchTable
    /// rows.
    fn inventory(&self) -> &'static [Inventory] {
        &[Inventory {
            count: InventoryCount::Units,
            oid: &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 1, 6, 0],
            syntax: CountSyntax::Integer,
            default: 1,
        }]
    }
    fn build(&self, tree: &mut MibTree, outlets: u32) {
        let rw = Access::ReadWrite;
        let ro = Access::ReadOnly;
        let columns: [(Vec<u32>, Access, u16); 10] = [
            (join(SWITCH_ENTRY, SWITCH_INDEX), ro, COL_INDEX),
            (join(SWITCH_ENTRY, SWITCH_NAME), ro, COL_NAME),
            (V5.name_column.unwrap_or_default().to_vec(), rw, COL_LABEL),
            (
                join(SWITCH_ENTRY, SWITCH_REBOOT_DELAY),
                rw,
                COL_REBOOT_DELAY,
            ),
            (V5.state.column.to_vec(), ro, COL_STATE),
            (V5.switching.on.column.to_vec(), rw, COL_CONTROL),
            (
                join(SWITCH_ENTRY, SWITCH_TIME_TO_ACTION),
                ro,
                COL_TIME_TO_ACTION,
            ),
            (join(SWITCH_ENTRY, SWITCH_ON_DELAY), rw, COL_ON_DELAY),
            (join(SWITCH_ENTRY, SWITCH_OFF_DELAY), rw, COL_OFF_DELAY),
            (
                join(SWITCH_ENTRY, SWITCH_REBOOT_HOLD_DELAY),
                rw,
                COL_REBOOT_HOLD,
            ),
        ];
        for (column_oid, access, column) in &columns {
            outlet_column(tree, column_oid, &[], outlets, *access, *column);
        }
        for (arc, column) in [(8, COL_METER_CURRENT), (12, COL_METER_POWER)] {
            outlet_column(tree, &join(METER_ENTRY, &[arc]), &[], outlets, ro, column);
        }
    }
    fn read(
        &self,
        column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static> {
        if matches!(column, COL_METER_CURRENT | COL_METER_POWER) {
            return match super::metering::outlet_reading(state, index, now) {
                Some(r) if column == COL_METER_CURRENT => {
                    Value::Gauge32(super::metering::scaled(r.amps, 0.01))
                }
                Some(r) => Value::Gauge32(super::metering::scaled(r.watts, 1.0)),
                None => Value::NoSuchInstance,
            };
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_INDEX => super::integer(index),
            COL_NAME | COL_LABEL => name_of(outlet, index),
            COL_REBOOT_DELAY => Value::Integer(reboot_delay_secs(&state.vendor, index)),
            COL_STATE => Value::Integer(match (outlet.pending(now), outlet.power(now)) {
                (Some(PendingKind::Reboot), Power::On) => STATE_REBOOT_ON,
                (Some(PendingKind::Reboot), Power::Off) => STATE_REBOOT_OFF,
                (Some(PendingKind::Off), _) => STATE_ON2OFF,
                (Some(PendingKind::On), _) => STATE_OFF2ON,
                (None, Power::On) => STATE_ON,
                (None, Power::Off) => STATE_OFF,
            }),
            COL_CONTROL => Value::Integer(NONE),
            COL_TIME_TO_ACTION => super::integer(
                outlet
                    .next_step(now)
                    .map_or(0, |s| s.at.saturating_sub(now).as_secs()),
            ),
            COL_ON_DELAY => Value::Integer(delay_secs(outlet.delays.on_delay)),
            COL_OFF_DELAY => Value::Integer(delay_secs(outlet.delays.off_delay)),
            COL_REBOOT_HOLD => Value::Integer(delay_secs(outlet.delays.reboot)),
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
            COL_LABEL => match expect_display_string(value, NAME_MAX)? {
                [] => Err(ErrorStatus::WrongLength),
                _ => Ok(()),
            },
            COL_CONTROL => expect_one_of(
                value,
                &[
                    CANCEL,
                    ON,
                    ON_AFTER_DELAY,
                    OFF,
                    OFF_AFTER_DELAY,
                    REBOOT,
                    REBOOT_AFTER_DELAY,
                    NONE,
                ],
            )
            .map(|_| ()),
            COL_ON_DELAY | COL_OFF_DELAY | COL_REBOOT_HOLD | COL_REBOOT_DELAY => {
                expect_in(value, DELAY_RANGE).map(|_| ())
            }
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
        if column == COL_REBOOT_DELAY {
            if let Value::Integer(secs) = value {
                state
                    .vendor
                    .settings
                    .insert((COL_REBOOT_DELAY, index), *secs);
            }
            return;
        }
        let reboot_delay = Duration::from_secs(
            u64::try_from(reboot_delay_secs(&state.vendor, index)).unwrap_or(0),
        );
        let Some(outlet) = outlet_mut(index, state) else {
            return;
        };
        let command = match value {
            Value::Integer(CANCEL) => Some(Command::Cancel),
            Value::Integer(ON) => Some(Command::On),
            Value::Integer(ON_AFTER_DELAY) => Some(Command::DelayedOn),
            Value::Integer(OFF) => Some(Command::Off),
            Value::Integer(OFF_AFTER_DELAY) => Some(Command::DelayedOff),
            Value::Integer(REBOOT) => Some(Command::Reboot),
            // Off after pduOutletSwitchRebootDelay, held off for the reboot hold delay.
            Value::Integer(REBOOT_AFTER_DELAY) => {
                if column == COL_CONTROL {
                    outlet.reboot_after(reboot_delay, outlet.delays.reboot, now);
                }
                None
            }
            _ => None,
        };
        match column {
            COL_CONTROL => {
                if let Some(command) = command {
                    outlet.command(command, now);
                }
            }
            COL_LABEL => set_name(outlet, value),
            COL_ON_DELAY => set_delay(&mut outlet.delays.on_delay, value),
            COL_OFF_DELAY => set_delay(&mut outlet.delays.off_delay, value),
            COL_REBOOT_HOLD => set_delay(&mut outlet.delays.reboot, value),
            _ => {}
        }
    }
}

fn reboot_delay_secs(vendor: &crate::state::VendorState, index: u32) -> i32 {
    vendor
        .settings
        .get(&(COL_REBOOT_DELAY, index))
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;

    /// VERTIV-V5-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_vertiv_v5_mib() {
        assert_eq!(
            V5.switching.on.column,
            lit(".1.3.6.1.4.1.21239.5.2.3.5.1.6")
        );
        assert_eq!(V5.state.column, lit(".1.3.6.1.4.1.21239.5.2.3.5.1.4"));
        // Older vendor tables quote pduOutletSwitchName (.2); in the MIB it is read-only and the
        // writable name is pduOutletSwitchLabel (.3): the MIB wins.
        assert_eq!(
            V5.name_column,
            Some(&lit(".1.3.6.1.4.1.21239.5.2.3.5.1.3")[..])
        );
        assert_eq!(VertivGeist.sys_object_id(), lit(".1.3.6.1.4.1.21239.5"));
        assert_eq!(
            (ON, OFF, REBOOT, NONE, STATE_ON, STATE_OFF),
            (2, 4, 6, 8, 1, 2)
        );
    }

    #[test]
    fn control_reads_none_and_states_show_transitions() {
        let pdu = TestPdu::start("vertiv-geist", 4);
        let ctl = ".1.3.6.1.4.1.21239.5.2.3.5.1.6";
        let st = ".1.3.6.1.4.1.21239.5.2.3.5.1.4";
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 4), OK);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 2);
        assert_eq!(pdu.get_int(&format!("{ctl}.1")), 8);
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 3), OK);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 4);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.21239.5.2.3.5.1.7.1"), 3);
        pdu.advance(3);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 1);
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 5), OK);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 3);
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 1), OK);
        pdu.advance(10);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 1);
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 6), OK);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 6);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{st}.1")), 1);
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 9), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{ctl}.1"), 0), WRONG_VALUE);
        assert_eq!(
            pdu.set(
                ".1.3.6.1.4.1.21239.5.2.3.5.1.3.1",
                crate::profiles::text("")
            ),
            snmp_proto::ErrorStatus::WrongLength as i32
        );
        assert_eq!(
            pdu.set(
                ".1.3.6.1.4.1.21239.5.2.3.5.1.2.1",
                crate::profiles::text("nas")
            ),
            snmp_proto::ErrorStatus::NotWritable as i32,
            "pduOutletSwitchName is read-only"
        );
        // rebootAfterDelay waits pduOutletSwitchRebootDelay (.10), then holds off.
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.21239.5.2.3.5.1.10.2", 2), OK);
        assert_eq!(pdu.set_int(&format!("{ctl}.2"), 7), OK);
        assert_eq!(
            pdu.get_int(&format!("{st}.2")),
            5,
            "rebootOn while the delay runs"
        );
        pdu.advance(2);
        assert_eq!(
            pdu.get_int(&format!("{st}.2")),
            6,
            "rebootOff once it ran out"
        );
    }
}
