//! Server Technology Sentry3 (Sentry3-MIB, sysObjectID `.1718.3`). Outlets are addressed
//! `<tower>.<infeed>.<outlet>`: a single tower with one infeed is `1.1.N`.
//!
//! outletControlAction (rw) takes none(0) on(1) off(2) reboot(3) and reads none(0).
//! outletStatus reads off(0) on(1) offWait(2) onWait(3), and offError(4) onError(5) when the
//! sensed power differs from the control state with nothing pending (a stuck relay;
//! the status is the sensed power). outletControlState reads wakeOff(2) wakeOn(3) for an
//! outlet given no command since the PDU started (it woke up that way), then off(4) on(5), and
//! reboot(8) pendOn(10) pendOff(11) while a command runs — the column labgrid reads (3 or 5 as
//! on, 4 as off). Several codes mean on: quirk 3 of `docs/QUIRKS.md`.

use std::time::Duration;

use pdu_mibs::SENTRY3 as S3;

use super::metering::{outlet_reading, scaled_i32};
use super::{
    expect_display_string, expect_one_of, join, join_const, name_of, outlet_column, outlet_mut,
    outlet_position, scalar, set_name, unit_cell, VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, PendingKind, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `sentry3` profile: a Server Technology Sentry3 (Sentry3-MIB), tower 1, infeed 1.
pub struct Sentry3;

const TOWER: u32 = 1;
const INFEED: u32 = 1;

const SENTRY3: &[u32] = S3.sys_object_id;
// Objects pdu-mibs does not carry, below SENTRY3.
const SYSTEM_TOWER_COUNT: &[u32] = &[1, 4];
const INFEED_OUTLET_COUNT: &[u32] = &[2, 2, 1, 9];
/// towerInfeedCount (towerEntry 5): input feeds on the tower.
const TOWER_INFEED_COUNT: &[u32] = &[2, 1, 1, 5];
const OUTLET_CONTROL_STATE: &[u32] = &[2, 3, 1, 10];
const OUTLET_VOLTAGE: &[u32] = &[2, 3, 1, 13];
const OUTLET_POWER: &[u32] = &[2, 3, 1, 14];
const OUTLET_ENERGY: &[u32] = &[2, 3, 1, 18];

const COL_TOWER_COUNT: u16 = 1;
const COL_OUTLET_COUNT: u16 = 2;
const COL_NAME: u16 = 3;
const COL_STATUS: u16 = 4;
const COL_LOAD: u16 = 5;
const COL_CONTROL_STATE: u16 = 6;
const COL_CONTROL_ACTION: u16 = 7;
const COL_VOLTAGE: u16 = 8;
const COL_POWER: u16 = 9;
const COL_ENERGY: u16 = 10;
const COL_INFEED_COUNT: u16 = 11;

// outletControlAction.
const ACTION_NONE: i32 = 0;
const ACTION_ON: i32 = S3.switching.on.value as i32;
const ACTION_OFF: i32 = S3.switching.off.value as i32;
const ACTION_REBOOT: i32 = 3;
// outletStatus.
const STATUS_OFF: i32 = S3.state.off[0] as i32;
const STATUS_ON: i32 = S3.state.on[0] as i32;
const STATUS_OFF_WAIT: i32 = S3.state.pending_off[0] as i32;
const STATUS_ON_WAIT: i32 = S3.state.pending_on[0] as i32;
const STATUS_OFF_ERROR: i32 = 4;
const STATUS_ON_ERROR: i32 = 5;
// outletControlState.
const CONTROL_WAKE_OFF: i32 = 2;
const CONTROL_WAKE_ON: i32 = 3;
const CONTROL_OFF: i32 = 4;
const CONTROL_ON: i32 = 5;
const CONTROL_REBOOT: i32 = 8;
const CONTROL_PEND_ON: i32 = 10;
const CONTROL_PEND_OFF: i32 = 11;
/// outletName is DisplayString (SIZE(0..24)).
const NAME_MAX: usize = 24;

const CONTROL_OID: [u32; 14] = join_const(S3.switching.on.column, &[TOWER, INFEED]);
const STATE_OID: [u32; 14] = join_const(S3.state.column, &[TOWER, INFEED]);

fn s3(suffix: &[u32]) -> Vec<u32> {
    join(SENTRY3, suffix)
}

impl VendorProfile for Sentry3 {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &S3
    }
    fn sys_descr(&self) -> &'static str {
        "Sentry Switched CDU Version 7.1c"
    }
    fn enterprise(&self) -> u32 {
        1718
    }
    /// Sentry3-MIB: systemVersion (1718.3.1.1, the firmware), towerEntry (1718.3.2.1.1, tower 1)
    /// towerProductSN(6) and towerModelNumber(7).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 1718, 3, 1, 1, 0],
                "Sentry Switched CDU Version 7.1c",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 1, 1, 6, 1],
                "ABEF0001234",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 1, 1, 7, 1],
                "CW-24V2-L30M",
            ),
        ]
    }
    fn control_oid(&self) -> &'static [u32] {
        &CONTROL_OID
    }
    fn state_oid(&self) -> &'static [u32] {
        &STATE_OID
    }

    fn build(&self, tree: &mut MibTree, outlets: u32) {
        scalar(
            tree,
            &s3(SYSTEM_TOWER_COUNT),
            Access::ReadOnly,
            COL_TOWER_COUNT,
        );
        unit_cell(
            tree,
            &s3(INFEED_OUTLET_COUNT),
            &[TOWER, INFEED],
            COL_OUTLET_COUNT,
        );
        unit_cell(tree, &s3(TOWER_INFEED_COUNT), &[TOWER], COL_INFEED_COUNT);
        let rw = Access::ReadWrite;
        let ro = Access::ReadOnly;
        let load = S3.meters.first().map_or(&[][..], |m| m.column);
        let columns: [(Vec<u32>, Access, u16); 8] = [
            (S3.name_column.unwrap_or_default().to_vec(), rw, COL_NAME),
            (S3.state.column.to_vec(), ro, COL_STATUS),
            (load.to_vec(), ro, COL_LOAD),
            (s3(OUTLET_CONTROL_STATE), ro, COL_CONTROL_STATE),
            (S3.switching.on.column.to_vec(), rw, COL_CONTROL_ACTION),
            (s3(OUTLET_VOLTAGE), ro, COL_VOLTAGE),
            (s3(OUTLET_POWER), ro, COL_POWER),
            (s3(OUTLET_ENERGY), ro, COL_ENERGY),
        ];
        for (column_oid, access, column) in &columns {
            outlet_column(
                tree,
                column_oid,
                &[TOWER, INFEED],
                outlets,
                *access,
                *column,
            );
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
            COL_TOWER_COUNT | COL_INFEED_COUNT => return Value::Integer(1),
            COL_OUTLET_COUNT => return super::outlet_count(state),
            COL_LOAD | COL_VOLTAGE | COL_POWER | COL_ENERGY => {
                let Some(r) = outlet_reading(state, index, now) else {
                    return Value::NoSuchInstance;
                };
                let load_scale = S3.meters.first().map_or(0.01, |m| m.scale);
                return Value::Integer(match column {
                    COL_LOAD => scaled_i32(r.amps, load_scale),
                    COL_VOLTAGE => scaled_i32(r.volts, 0.1),
                    COL_POWER => scaled_i32(r.watts, 1.0),
                    _ => scaled_i32(r.watt_hours, 1.0),
                });
            }
            _ => {}
        }
        let control = state.vendor.control.get(&index).copied();
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        let power = outlet.power(now);
        let pending = outlet.pending(now);
        match column {
            COL_NAME => name_of(outlet, index),
            COL_STATUS => Value::Integer(
                match (power, outlet.next_step(now).map(|s| s.power), control) {
                    (Power::On, Some(Power::Off), _) => STATUS_OFF_WAIT,
                    (Power::Off, Some(Power::On), _) => STATUS_ON_WAIT,
                    (Power::On, _, Some(Power::Off)) => STATUS_ON_ERROR,
                    (Power::Off, _, Some(Power::On)) => STATUS_OFF_ERROR,
                    (Power::On, _, _) => STATUS_ON,
                    (Power::Off, _, _) => STATUS_OFF,
                },
            ),
            COL_CONTROL_STATE => Value::Integer(match (pending, control, power) {
                (Some(PendingKind::Reboot), _, _) => CONTROL_REBOOT,
                (Some(PendingKind::On), _, _) => CONTROL_PEND_ON,
                (Some(PendingKind::Off), _, _) => CONTROL_PEND_OFF,
                (None, None, Power::On) => CONTROL_WAKE_ON,
                (None, None, Power::Off) => CONTROL_WAKE_OFF,
                (None, Some(Power::On), _) => CONTROL_ON,
                (None, Some(Power::Off), _) => CONTROL_OFF,
            }),
            // An action column: nothing to read back.
            COL_CONTROL_ACTION => Value::Integer(ACTION_NONE),
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
            COL_NAME => expect_display_string(value, NAME_MAX).map(|_| ()),
            COL_CONTROL_ACTION => {
                expect_one_of(value, &[ACTION_NONE, ACTION_ON, ACTION_OFF, ACTION_REBOOT])
                    .map(|_| ())
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
        let Some(outlet) = outlet_mut(index, state) else {
            return;
        };
        let command = match (column, value) {
            (COL_NAME, _) => {
                set_name(outlet, value);
                None
            }
            (COL_CONTROL_ACTION, Value::Integer(ACTION_ON)) => Some(Command::On),
            (COL_CONTROL_ACTION, Value::Integer(ACTION_OFF)) => Some(Command::Off),
            (COL_CONTROL_ACTION, Value::Integer(ACTION_REBOOT)) => Some(Command::Reboot),
            _ => None,
        };
        if let Some(command) = command {
            outlet.command(command, now);
            let target = outlet.settled_power();
            state.vendor.control.insert(index, target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;
    use crate::profiles::text;

    /// Sentry3-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_sentry3_mib() {
        assert_eq!(
            S3.name_column,
            Some(&lit(".1.3.6.1.4.1.1718.3.2.3.1.3")[..])
        );
        assert_eq!(S3.state.column, lit(".1.3.6.1.4.1.1718.3.2.3.1.5"));
        assert_eq!(S3.meters[0].column, lit(".1.3.6.1.4.1.1718.3.2.3.1.7"));
        assert_eq!(
            s3(OUTLET_CONTROL_STATE),
            lit(".1.3.6.1.4.1.1718.3.2.3.1.10")
        );
        assert_eq!(S3.switching.on.column, lit(".1.3.6.1.4.1.1718.3.2.3.1.11"));
        assert_eq!(
            Sentry3.control_oid(),
            lit(".1.3.6.1.4.1.1718.3.2.3.1.11.1.1")
        );
        assert_eq!(Sentry3.sys_object_id(), lit(".1.3.6.1.4.1.1718.3"));
        assert_eq!((ACTION_ON, ACTION_OFF, ACTION_REBOOT), (1, 2, 3));
    }

    const ACTION: &str = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1";
    const STATUS: &str = ".1.3.6.1.4.1.1718.3.2.3.1.5.1.1";
    const CONTROL: &str = ".1.3.6.1.4.1.1718.3.2.3.1.10.1.1";

    #[test]
    fn switches_and_reboots_at_tower_1_infeed_1() {
        let pdu = TestPdu::start("sentry3", 8);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.3.2.2.1.9.1.1"), 8);
        assert_eq!(pdu.get_int(&format!("{STATUS}.5")), 1);
        // No command since the start: wakeOn(3).
        assert_eq!(pdu.get_int(&format!("{CONTROL}.5")), 3);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.6")), 3);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.3.2.3.1.7.1.1.5"), 43);
        assert_eq!(pdu.set_int(&format!("{ACTION}.5"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.5")), 0);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.5")), 4);
        assert_eq!(pdu.get_int(&format!("{ACTION}.5")), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.3.2.3.1.7.1.1.5"), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.3.2.3.1.14.1.1.5"), 0);
        assert_eq!(pdu.set_int(&format!("{ACTION}.5"), 1), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.5")), 1);
        assert_eq!(pdu.set_int(&format!("{ACTION}.5"), 3), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.5")), 3);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.5")), 8);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.5")), 5);
        assert_eq!(pdu.set_int(&format!("{ACTION}.5"), 4), WRONG_VALUE);
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.1718.3.2.3.1.11.1.2.5", 1),
            NO_CREATION
        );
        assert_eq!(pdu.set(".1.3.6.1.4.1.1718.3.2.3.1.3.1.1.5", text("fw")), OK);
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.1718.3.2.3.1.3.1.1.5"), "fw");
    }

    /// A relay that does not follow its command (stuck-outlet fault): outletStatus reads the
    /// sensed power with the error code, outletControlState the command; a control API change
    /// is a command too.
    #[test]
    fn a_stuck_relay_reads_on_error_and_off_error() {
        use crate::fault::{FaultKind, Schedule};
        let pdu = TestPdu::start("sentry3", 4);
        pdu.device
            .faults
            .add(FaultKind::StuckOutlet { outlet: 2 }, Schedule::default())
            .unwrap();
        assert_eq!(pdu.set_int(&format!("{ACTION}.2"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.2")), STATUS_ON_ERROR);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.2")), CONTROL_OFF);
        pdu.device.faults.clear();
        assert_eq!(pdu.set_int(&format!("{ACTION}.2"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.2")), STATUS_OFF);
        pdu.device
            .faults
            .add(FaultKind::StuckOutlet { outlet: 2 }, Schedule::default())
            .unwrap();
        assert_eq!(pdu.set_int(&format!("{ACTION}.2"), 1), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.2")), STATUS_OFF_ERROR);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.2")), CONTROL_ON);
    }
}
