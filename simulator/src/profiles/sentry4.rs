//! Server Technology Sentry4 (Sentry4-MIB, sysObjectID `.1718.4`). Outlets are addressed
//! `<unit>.<cord>.<outlet>`: a single unit with one input cord is `1.1.N`.
//!
//! st4OutletControlAction (rw) takes none(0) on(1) off(2) reboot(3), which act at once, and
//! queueOn(4) queueOff(5) queueReboot(6), which wait in a queue until st4OutletQueueControl is
//! set to commit(1) (all queued actions run together) or clear(0). The action column reads
//! none(0); the queue control reads commit(1) while anything is queued, else clear(0).
//! st4OutletState reads on(1)/off(2); st4OutletControlState pendOn(8) pendOff(9) off(10)
//! on(11) reboot(12).

use std::time::Duration;

use pdu_mibs::SENTRY4 as S4;

use super::metering::{outlet_reading, scaled_i32};
use super::{
    expect_display_string, expect_one_of, join, join_const, name_of, on_off, outlet_column,
    outlet_mut, outlet_position, scalar, set_name, unit_cell, VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, PendingKind, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `sentry4` profile: a Server Technology Sentry4 (Sentry4-MIB), unit 1, cord 1.
pub struct Sentry4;

const UNIT: u32 = 1;
const CORD: u32 = 1;

const SENTRY4: &[u32] = S4.sys_object_id;
// Objects pdu-mibs does not carry, below SENTRY4.
const SYSTEM_UNIT_COUNT: &[u32] = &[1, 1, 1, 21];
/// st4UnitInputCordCount (st4UnitConfigEntry 30): input cords of the unit.
const UNIT_INPUT_CORD_COUNT: &[u32] = &[1, 2, 2, 1, 30];
const INPUT_CORD_OUTLET_COUNT: &[u32] = &[1, 3, 2, 1, 24];
const OUTLET_CURRENT: &[u32] = &[1, 8, 3, 1, 3];
const OUTLET_VOLTAGE: &[u32] = &[1, 8, 3, 1, 6];
const OUTLET_ACTIVE_POWER: &[u32] = &[1, 8, 3, 1, 7];
const OUTLET_ENERGY: &[u32] = &[1, 8, 3, 1, 14];
const OUTLET_CONTROL_STATE: &[u32] = &[1, 8, 5, 1, 1];
const OUTLET_QUEUE_CONTROL: &[u32] = &[1, 8, 6, 1];

const COL_UNIT_COUNT: u16 = 1;
const COL_CORD_COUNT: u16 = 12;
const COL_OUTLET_COUNT: u16 = 2;
const COL_QUEUE_CONTROL: u16 = 3;
const COL_NAME: u16 = 4;
const COL_STATE: u16 = 5;
const COL_CURRENT: u16 = 6;
const COL_VOLTAGE: u16 = 7;
const COL_POWER: u16 = 8;
const COL_ENERGY: u16 = 9;
const COL_CONTROL_STATE: u16 = 10;
const COL_CONTROL_ACTION: u16 = 11;

// st4OutletControlAction.
const ACTION_NONE: i32 = 0;
const ACTION_ON: i32 = S4.switching.on.value as i32;
const ACTION_OFF: i32 = S4.switching.off.value as i32;
const ACTION_REBOOT: i32 = 3;
const QUEUE_ON: i32 = 4;
const QUEUE_OFF: i32 = 5;
const QUEUE_REBOOT: i32 = 6;
// st4OutletQueueControl.
const QUEUE_CLEAR: i32 = 0;
const QUEUE_COMMIT: i32 = 1;
// st4OutletState (DeviceState).
const STATE_ON: i32 = S4.state.on[0] as i32;
const STATE_OFF: i32 = S4.state.off[0] as i32;
// st4OutletControlState.
const CONTROL_PEND_ON: i32 = 8;
const CONTROL_PEND_OFF: i32 = 9;
const CONTROL_OFF: i32 = 10;
const CONTROL_ON: i32 = 11;
const CONTROL_REBOOT: i32 = 12;
/// st4OutletName is DisplayString (SIZE(0..32)).
const NAME_MAX: usize = 32;

const CONTROL_OID: [u32; 15] = join_const(S4.switching.on.column, &[UNIT, CORD]);
const STATE_OID: [u32; 15] = join_const(S4.state.column, &[UNIT, CORD]);

fn s4(suffix: &[u32]) -> Vec<u32> {
    join(SENTRY4, suffix)
}

impl VendorProfile for Sentry4 {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &S4
    }
    fn sys_descr(&self) -> &'static str {
        "Sentry Switched PDU Version 8.0k"
    }
    fn enterprise(&self) -> u32 {
        1718
    }
    /// Sentry4-MIB: st4SystemFirmwareVersion (1718.4.1.1.1.3), st4UnitConfigEntry
    /// (1718.4.1.2.2.1, unit 1) st4UnitProductSN(4) and st4UnitModel(5).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 1, 1, 3, 0],
                "Version 8.0k",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 2, 2, 1, 4, 1],
                "AAAA0001234",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 2, 2, 1, 5, 1],
                "C2S42CE-YCMFAM00",
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
            &s4(SYSTEM_UNIT_COUNT),
            Access::ReadOnly,
            COL_UNIT_COUNT,
        );
        scalar(
            tree,
            &s4(OUTLET_QUEUE_CONTROL),
            Access::ReadWrite,
            COL_QUEUE_CONTROL,
        );
        unit_cell(
            tree,
            &s4(INPUT_CORD_OUTLET_COUNT),
            &[UNIT, CORD],
            COL_OUTLET_COUNT,
        );
        unit_cell(tree, &s4(UNIT_INPUT_CORD_COUNT), &[UNIT], COL_CORD_COUNT);
        let rw = Access::ReadWrite;
        let ro = Access::ReadOnly;
        let columns: [(Vec<u32>, Access, u16); 8] = [
            (S4.name_column.unwrap_or_default().to_vec(), rw, COL_NAME),
            (S4.state.column.to_vec(), ro, COL_STATE),
            (s4(OUTLET_CURRENT), ro, COL_CURRENT),
            (s4(OUTLET_VOLTAGE), ro, COL_VOLTAGE),
            (s4(OUTLET_ACTIVE_POWER), ro, COL_POWER),
            (s4(OUTLET_ENERGY), ro, COL_ENERGY),
            (s4(OUTLET_CONTROL_STATE), ro, COL_CONTROL_STATE),
            (S4.switching.on.column.to_vec(), rw, COL_CONTROL_ACTION),
        ];
        for (column_oid, access, column) in &columns {
            outlet_column(tree, column_oid, &[UNIT, CORD], outlets, *access, *column);
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
            COL_UNIT_COUNT | COL_CORD_COUNT => return Value::Integer(1),
            COL_OUTLET_COUNT => return super::outlet_count(state),
            COL_QUEUE_CONTROL => {
                return Value::Integer(if state.vendor.queued.is_empty() {
                    QUEUE_CLEAR
                } else {
                    QUEUE_COMMIT
                })
            }
            COL_CURRENT | COL_VOLTAGE | COL_POWER | COL_ENERGY => {
                let Some(r) = outlet_reading(state, index, now) else {
                    return Value::NoSuchInstance;
                };
                return Value::Integer(match column {
                    COL_CURRENT => scaled_i32(r.amps, 0.01),
                    COL_VOLTAGE => scaled_i32(r.volts, 0.1),
                    COL_POWER => scaled_i32(r.watts, 1.0),
                    _ => scaled_i32(r.watt_hours, 1.0),
                });
            }
            _ => {}
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_NAME => name_of(outlet, index),
            COL_STATE => on_off(outlet, now, STATE_ON, STATE_OFF),
            COL_CONTROL_STATE => Value::Integer(match (outlet.pending(now), outlet.power(now)) {
                (Some(PendingKind::Reboot), _) => CONTROL_REBOOT,
                (Some(PendingKind::On), _) => CONTROL_PEND_ON,
                (Some(PendingKind::Off), _) => CONTROL_PEND_OFF,
                (None, Power::On) => CONTROL_ON,
                (None, Power::Off) => CONTROL_OFF,
            }),
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
        if column == COL_QUEUE_CONTROL {
            return expect_one_of(value, &[QUEUE_CLEAR, QUEUE_COMMIT]).map(|_| ());
        }
        outlet_position(index, state).ok_or(ErrorStatus::NoCreation)?;
        match column {
            COL_NAME => expect_display_string(value, NAME_MAX).map(|_| ()),
            COL_CONTROL_ACTION => expect_one_of(
                value,
                &[
                    ACTION_NONE,
                    ACTION_ON,
                    ACTION_OFF,
                    ACTION_REBOOT,
                    QUEUE_ON,
                    QUEUE_OFF,
                    QUEUE_REBOOT,
                ],
            )
            .map(|_| ()),
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
        if column == COL_QUEUE_CONTROL {
            let queued = std::mem::take(&mut state.vendor.queued);
            if matches!(value, Value::Integer(QUEUE_COMMIT)) {
                for (outlet, command) in queued {
                    if let Some(o) = outlet_mut(outlet, state) {
                        o.command(command, now);
                    }
                }
            }
            return;
        }
        let queue = |command| (Some(command), true);
        let (command, queued) = match (column, value) {
            (COL_CONTROL_ACTION, Value::Integer(ACTION_ON)) => (Some(Command::On), false),
            (COL_CONTROL_ACTION, Value::Integer(ACTION_OFF)) => (Some(Command::Off), false),
            (COL_CONTROL_ACTION, Value::Integer(ACTION_REBOOT)) => (Some(Command::Reboot), false),
            (COL_CONTROL_ACTION, Value::Integer(QUEUE_ON)) => queue(Command::On),
            (COL_CONTROL_ACTION, Value::Integer(QUEUE_OFF)) => queue(Command::Off),
            (COL_CONTROL_ACTION, Value::Integer(QUEUE_REBOOT)) => queue(Command::Reboot),
            _ => (None, false),
        };
        match command {
            Some(command) if queued => {
                state.vendor.queued.insert(index, command);
            }
            Some(command) => {
                if let Some(outlet) = outlet_mut(index, state) {
                    outlet.command(command, now);
                }
            }
            None if column == COL_NAME => {
                if let Some(outlet) = outlet_mut(index, state) {
                    set_name(outlet, value);
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;
    use crate::profiles::text;

    /// Sentry4-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_sentry4_mib() {
        assert_eq!(
            S4.name_column,
            Some(&lit(".1.3.6.1.4.1.1718.4.1.8.2.1.3")[..])
        );
        assert_eq!(S4.state.column, lit(".1.3.6.1.4.1.1718.4.1.8.3.1.1"));
        assert_eq!(
            s4(OUTLET_CONTROL_STATE),
            lit(".1.3.6.1.4.1.1718.4.1.8.5.1.1")
        );
        assert_eq!(S4.switching.on.column, lit(".1.3.6.1.4.1.1718.4.1.8.5.1.2"));
        assert_eq!(
            Sentry4.control_oid(),
            lit(".1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1")
        );
        assert_eq!(Sentry4.sys_object_id(), lit(".1.3.6.1.4.1.1718.4"));
        assert_eq!((STATE_ON, STATE_OFF), (1, 2));
    }

    const ACTION: &str = ".1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1";
    const STATE: &str = ".1.3.6.1.4.1.1718.4.1.8.3.1.1.1.1";
    const CONTROL: &str = ".1.3.6.1.4.1.1718.4.1.8.5.1.1.1.1";
    const QUEUE: &str = ".1.3.6.1.4.1.1718.4.1.8.6.1.0";

    #[test]
    fn switches_now_and_queues_until_commit() {
        let pdu = TestPdu::start("sentry4", 4);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.4.1.3.2.1.24.1.1"), 4);
        assert_eq!(pdu.set_int(&format!("{ACTION}.1"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{STATE}.1")), 2);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.1")), 10);
        assert_eq!(pdu.get_int(&format!("{ACTION}.1")), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.4.1.8.3.1.7.1.1.1"), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.1718.4.1.8.3.1.7.1.1.2"), 100);
        // Queue two, nothing moves until commit.
        assert_eq!(pdu.set_int(&format!("{ACTION}.2"), 5), OK);
        assert_eq!(pdu.set_int(&format!("{ACTION}.3"), 5), OK);
        assert_eq!(pdu.get_int(QUEUE), 1);
        assert_eq!(pdu.get_int(&format!("{STATE}.2")), 1);
        assert_eq!(pdu.set_int(QUEUE, 1), OK);
        assert_eq!(pdu.get_int(QUEUE), 0);
        assert_eq!(
            (
                pdu.get_int(&format!("{STATE}.2")),
                pdu.get_int(&format!("{STATE}.3"))
            ),
            (2, 2)
        );
        // Clear drops the queue.
        assert_eq!(pdu.set_int(&format!("{ACTION}.2"), 4), OK);
        assert_eq!(pdu.set_int(QUEUE, 0), OK);
        assert_eq!(pdu.set_int(QUEUE, 1), OK);
        assert_eq!(pdu.get_int(&format!("{STATE}.2")), 2);
        // Queue and commit in one request.
        let status = pdu.set_many(&[
            (&format!("{ACTION}.1"), Value::Integer(4)),
            (&format!("{ACTION}.4"), Value::Integer(6)),
            (QUEUE, Value::Integer(1)),
        ]);
        assert_eq!(status, OK);
        assert_eq!(pdu.get_int(&format!("{STATE}.1")), 1);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.4")), 12);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{CONTROL}.4")), 11);
        assert_eq!(pdu.set_int(&format!("{ACTION}.1"), 7), WRONG_VALUE);
        assert_eq!(pdu.set_int(QUEUE, 2), WRONG_VALUE);
        assert_eq!(
            pdu.set(".1.3.6.1.4.1.1718.4.1.8.2.1.3.1.1.4", text("sw")),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.1718.4.1.8.2.1.3.1.1.4"), "sw");
    }
}
