//! Eaton ePDU G3, EATON-EPDU-MIB (sysObjectID `.534.6.6.7`). Index `<strappingIndex>.<outlet>`,
//! strappingIndex 0 on a unit that is not daisy-chained.
//!
//! One write-only-in-spirit column per command: outletControlOffCmd / OnCmd / RebootCmd take
//! -1..99999: 0 acts now, n acts in n seconds, -1 cancels that command if it is pending. A read
//! gives -1 when that command is not pending, else its countdown in seconds.
//! outletControlStatus reads off(0) on(1) pendingOff(2) pendingOn(3) — pending while a delayed
//! command or a reboot's off period runs (labgrid reads pendingOn as on).

use std::time::Duration;

use pdu_mibs::{Quantity, EATON_EPDU as EATON};

use super::metering::{outlet_reading, scaled_i32};
use super::{
    expect_display_string, expect_in, expect_one_of, integer, join_const, name_of, outlet_column,
    outlet_mut, outlet_position, set_name, unit_cell, VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, Outlet, PendingKind, Power, StartupPower};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `eaton-epdu` profile: an Eaton ePDU G3 (EATON-EPDU-MIB), one column per command.
pub struct EatonEpdu;

const STRAPPING_INDEX: u32 = 0;

// Columns pdu-mibs does not carry (outletControlEntry 6 and 8).
const OUTLET_CONTROL_POWER_ON_STATE: &[u32] = &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 6];
const OUTLET_CONTROL_REBOOT_OFF_TIME: &[u32] = &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 8];

const COL_OUTLET_COUNT: u16 = 1;
const COL_NAME: u16 = 2;
const COL_STATUS: u16 = 3;
const COL_OFF_CMD: u16 = 4;
const COL_ON_CMD: u16 = 5;
const COL_REBOOT_CMD: u16 = 6;
const COL_POWER_ON_STATE: u16 = 7;
const COL_REBOOT_OFF_TIME: u16 = 8;
const COL_CURRENT: u16 = 9;
const COL_WATTS: u16 = 10;
const COL_WH: u16 = 11;

// outletControlStatus.
const STATUS_OFF: i32 = EATON.state.off[0] as i32;
const STATUS_ON: i32 = EATON.state.on[0] as i32;
const STATUS_PENDING_OFF: i32 = EATON.state.pending_off[0] as i32;
const STATUS_PENDING_ON: i32 = EATON.state.pending_on[0] as i32;
/// The command columns' range; -1 cancels.
const CMD_RANGE: std::ops::RangeInclusive<i32> = -1..=99999;
const CANCEL: i32 = -1;
/// outletControlRebootOffTime range, seconds.
const REBOOT_OFF_TIME: std::ops::RangeInclusive<i32> = 1..=99999;
// outletControlPowerOnState off(0) on(1) lastState(2).
const POWER_ON_OFF: i32 = 0;
const POWER_ON_ON: i32 = 1;
const POWER_ON_LAST: i32 = 2;
/// outletName is DisplayString (SIZE(1..31)).
const NAME_MAX: usize = 31;

const OFF_CMD: &[u32] = EATON.switching.off.column;
const ON_CMD: &[u32] = EATON.switching.on.column;
const REBOOT_CMD: &[u32] = match EATON.switching.cycle {
    Some(c) => c.column,
    None => &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 5],
};
const CONTROL_OID: [u32; 15] = join_const(ON_CMD, &[STRAPPING_INDEX]);
const STATE_OID: [u32; 15] = join_const(EATON.state.column, &[STRAPPING_INDEX]);

fn meter(quantity: Quantity) -> Option<&'static pdu_mibs::Meter> {
    EATON.meters.iter().find(|m| m.quantity == quantity)
}

/// The countdown of a pending `kind` command in whole seconds, rounded up so a pending command never reads 0 before it acts.
fn countdown(outlet: &mut Outlet, kind: PendingKind, now: Duration) -> i32 {
    if outlet.pending(now) != Some(kind) {
        return CANCEL;
    }
    outlet.next_step(now).map_or(CANCEL, |step| {
        let left = step.at.saturating_sub(now);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        i32::try_from(secs).unwrap_or(i32::MAX)
    })
}

impl VendorProfile for EatonEpdu {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &EATON
    }
    fn sys_descr(&self) -> &'static str {
        "Eaton ePDU Switched EMAB04 (1P, 16A, 24 outlets), firmware 04.01.0003"
    }
    fn enterprise(&self) -> u32 {
        534
    }
    /// EATON-EPDU-MIB unitEntry (534.6.6.7.1.2.1, unit 0): productName(2), the object Network
    /// UPS Tools' `snmp-ups` reads to detect the model; partNumber(3), serialNumber(4),
    /// firmwareVersion(5).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 1, 2, 1, 2, 0],
                "Eaton ePDU Switched 0U (C20 16A 1P) 20xC13 4xC19",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 1, 2, 1, 3, 0],
                "EMAB04",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 1, 2, 1, 4, 0],
                "ADB1234567",
            ),
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 1, 2, 1, 5, 0],
                "04.01.0003",
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
        if let Some((strap, count)) = EATON.outlet_count.and_then(|c| c.split_last()) {
            unit_cell(tree, count, &[*strap], COL_OUTLET_COUNT);
        }
        let rw = Access::ReadWrite;
        let ro = Access::ReadOnly;
        let mut columns: Vec<(&[u32], Access, u16)> = vec![
            (EATON.name_column.unwrap_or_default(), rw, COL_NAME),
            (EATON.state.column, ro, COL_STATUS),
            (OFF_CMD, rw, COL_OFF_CMD),
            (ON_CMD, rw, COL_ON_CMD),
            (REBOOT_CMD, rw, COL_REBOOT_CMD),
            (OUTLET_CONTROL_POWER_ON_STATE, rw, COL_POWER_ON_STATE),
            (OUTLET_CONTROL_REBOOT_OFF_TIME, rw, COL_REBOOT_OFF_TIME),
        ];
        for (quantity, column) in [
            (Quantity::Current, COL_CURRENT),
            (Quantity::Power, COL_WATTS),
            (Quantity::Energy, COL_WH),
        ] {
            if let Some(m) = meter(quantity) {
                columns.push((m.column, ro, column));
            }
        }
        for (column_oid, access, column) in columns {
            outlet_column(
                tree,
                column_oid,
                &[STRAPPING_INDEX],
                outlets,
                access,
                column,
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
        if column == COL_OUTLET_COUNT {
            return super::outlet_count(state);
        }
        if let Some((quantity, _)) = [
            (Quantity::Current, COL_CURRENT),
            (Quantity::Power, COL_WATTS),
            (Quantity::Energy, COL_WH),
        ]
        .into_iter()
        .find(|(_, c)| *c == column)
        {
            let scale = meter(quantity).map_or(1.0, |m| m.scale);
            return outlet_reading(state, index, now).map_or(Value::NoSuchInstance, |r| {
                Value::Integer(scaled_i32(
                    match quantity {
                        Quantity::Current => r.amps,
                        Quantity::Power => r.watts,
                        _ => r.watt_hours,
                    },
                    scale,
                ))
            });
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_NAME => name_of(outlet, index),
            COL_STATUS => {
                let power = outlet.power(now);
                let next = outlet.next_step(now).map(|s| s.power);
                Value::Integer(match (power, next) {
                    (Power::On, Some(Power::Off)) => STATUS_PENDING_OFF,
                    (Power::Off, Some(Power::On)) => STATUS_PENDING_ON,
                    (Power::On, _) => STATUS_ON,
                    (Power::Off, _) => STATUS_OFF,
                })
            }
            COL_OFF_CMD => Value::Integer(countdown(outlet, PendingKind::Off, now)),
            COL_ON_CMD => Value::Integer(countdown(outlet, PendingKind::On, now)),
            COL_REBOOT_CMD => Value::Integer(countdown(outlet, PendingKind::Reboot, now)),
            COL_POWER_ON_STATE => Value::Integer(match outlet.startup {
                StartupPower::Off => POWER_ON_OFF,
                StartupPower::On => POWER_ON_ON,
                StartupPower::LastKnown => POWER_ON_LAST,
            }),
            COL_REBOOT_OFF_TIME => integer(outlet.delays.reboot.as_secs()),
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
            COL_NAME => match expect_display_string(value, NAME_MAX)? {
                [] => Err(ErrorStatus::WrongLength),
                _ => Ok(()),
            },
            COL_OFF_CMD | COL_ON_CMD | COL_REBOOT_CMD => expect_in(value, CMD_RANGE).map(|_| ()),
            COL_POWER_ON_STATE => {
                expect_one_of(value, &[POWER_ON_OFF, POWER_ON_ON, POWER_ON_LAST]).map(|_| ())
            }
            COL_REBOOT_OFF_TIME => expect_in(value, REBOOT_OFF_TIME).map(|_| ()),
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
        if column == COL_NAME {
            return set_name(outlet, value);
        }
        let Value::Integer(v) = *value else {
            return;
        };
        let after = Duration::from_secs(u64::try_from(v).unwrap_or(0));
        let cancels = |outlet: &mut Outlet, kind| {
            if outlet.pending(now) == Some(kind) {
                outlet.command(Command::Cancel, now);
            }
        };
        match (column, v) {
            (COL_OFF_CMD, CANCEL) => cancels(outlet, PendingKind::Off),
            (COL_ON_CMD, CANCEL) => cancels(outlet, PendingKind::On),
            (COL_REBOOT_CMD, CANCEL) => cancels(outlet, PendingKind::Reboot),
            (COL_OFF_CMD, _) => outlet.switch_after(Power::Off, after, now),
            (COL_ON_CMD, _) => outlet.switch_after(Power::On, after, now),
            (COL_REBOOT_CMD, _) => {
                let off_for = outlet.delays.reboot;
                outlet.reboot_after(after, off_for, now)
            }
            (COL_POWER_ON_STATE, _) => {
                outlet.startup = match v {
                    POWER_ON_OFF => StartupPower::Off,
                    POWER_ON_ON => StartupPower::On,
                    _ => StartupPower::LastKnown,
                }
            }
            (COL_REBOOT_OFF_TIME, _) => outlet.delays.reboot = after,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;
    use crate::profiles::text;

    /// EATON-EPDU-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_eaton_epdu_mib() {
        assert_eq!(
            EATON.outlet_count,
            Some(&lit(".1.3.6.1.4.1.534.6.6.7.1.2.1.22.0")[..])
        );
        assert_eq!(
            EATON.name_column,
            Some(&lit(".1.3.6.1.4.1.534.6.6.7.6.1.1.3")[..])
        );
        assert_eq!(EATON.state.column, lit(".1.3.6.1.4.1.534.6.6.7.6.6.1.2"));
        assert_eq!(OFF_CMD, lit(".1.3.6.1.4.1.534.6.6.7.6.6.1.3"));
        assert_eq!(ON_CMD, lit(".1.3.6.1.4.1.534.6.6.7.6.6.1.4"));
        assert_eq!(REBOOT_CMD, lit(".1.3.6.1.4.1.534.6.6.7.6.6.1.5"));
        assert_eq!(
            meter(Quantity::Current).map(|m| m.column),
            Some(&lit(".1.3.6.1.4.1.534.6.6.7.6.4.1.3")[..])
        );
        assert_eq!(
            meter(Quantity::Power).map(|m| m.column),
            Some(&lit(".1.3.6.1.4.1.534.6.6.7.6.5.1.3")[..])
        );
        assert_eq!(
            meter(Quantity::Energy).map(|m| m.column),
            Some(&lit(".1.3.6.1.4.1.534.6.6.7.6.5.1.4")[..])
        );
        assert_eq!(
            EatonEpdu.control_oid(),
            lit(".1.3.6.1.4.1.534.6.6.7.6.6.1.4.0")
        );
        assert_eq!(EatonEpdu.sys_object_id(), lit(".1.3.6.1.4.1.534.6.6.7"));
        assert_eq!(
            (STATUS_OFF, STATUS_ON, STATUS_PENDING_OFF, STATUS_PENDING_ON),
            (0, 1, 2, 3)
        );
    }

    const STATUS: &str = ".1.3.6.1.4.1.534.6.6.7.6.6.1.2.0";
    const OFF: &str = ".1.3.6.1.4.1.534.6.6.7.6.6.1.3.0";
    const ON: &str = ".1.3.6.1.4.1.534.6.6.7.6.6.1.4.0";
    const REBOOT: &str = ".1.3.6.1.4.1.534.6.6.7.6.6.1.5.0";

    #[test]
    fn countdowns_pending_states_and_cancel() {
        let pdu = TestPdu::start("eaton-epdu", 3);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.534.6.6.7.1.2.1.22.0"), 3);
        assert_eq!(pdu.get_int(&format!("{STATUS}.1")), 1);
        assert_eq!(pdu.get_int(&format!("{OFF}.1")), -1);
        // Off now.
        assert_eq!(pdu.set_int(&format!("{OFF}.1"), 0), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.1")), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.534.6.6.7.6.5.1.3.0.1"), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.534.6.6.7.6.4.1.3.0.1"), 0);
        // labgrid's on: 1 = in one second; pendingOn(3) with a countdown until then.
        assert_eq!(pdu.set_int(&format!("{ON}.1"), 1), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.1")), 3);
        assert_eq!(pdu.get_int(&format!("{ON}.1")), 1);
        assert_eq!(pdu.get_int(&format!("{OFF}.1")), -1);
        pdu.advance(1);
        assert_eq!(pdu.get_int(&format!("{STATUS}.1")), 1);
        assert_eq!(pdu.get_int(&format!("{ON}.1")), -1);
        // 100 W: 435 mA.
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.534.6.6.7.6.4.1.3.0.1"), 435);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.534.6.6.7.6.5.1.3.0.1"), 100);
        // Delayed off counts down; -1 on the On column does not cancel it, on the Off one does.
        assert_eq!(pdu.set_int(&format!("{OFF}.2"), 30), OK);
        pdu.advance(10);
        assert_eq!(pdu.get_int(&format!("{STATUS}.2")), 2);
        assert_eq!(pdu.get_int(&format!("{OFF}.2")), 20);
        assert_eq!(pdu.set_int(&format!("{ON}.2"), -1), OK);
        assert_eq!(pdu.get_int(&format!("{OFF}.2")), 20);
        assert_eq!(pdu.set_int(&format!("{OFF}.2"), -1), OK);
        assert_eq!(pdu.get_int(&format!("{OFF}.2")), -1);
        pdu.advance(60);
        assert_eq!(pdu.get_int(&format!("{STATUS}.2")), 1);
        // Reboot now: off (pendingOn) for outletControlRebootOffTime, then on.
        assert_eq!(pdu.set_int(".1.3.6.1.4.1.534.6.6.7.6.6.1.8.0.3", 8), OK);
        assert_eq!(pdu.set_int(&format!("{REBOOT}.3"), 0), OK);
        assert_eq!(pdu.get_int(&format!("{STATUS}.3")), 3);
        assert_eq!(pdu.get_int(&format!("{REBOOT}.3")), 8);
        pdu.advance(8);
        assert_eq!(pdu.get_int(&format!("{STATUS}.3")), 1);
        assert_eq!(pdu.get_int(&format!("{REBOOT}.3")), -1);
        // Bad values.
        assert_eq!(pdu.set_int(&format!("{ON}.1"), -2), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{ON}.1"), 100_000), WRONG_VALUE);
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.534.6.6.7.6.6.1.6.0.1", 3),
            WRONG_VALUE
        );
        assert_eq!(pdu.set_int(&format!("{STATUS}.1"), 1), NOT_WRITABLE);
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.534.6.6.7.6.6.1.4.1.1", 0),
            NO_CREATION
        );
        // Names.
        assert_eq!(
            pdu.set(".1.3.6.1.4.1.534.6.6.7.6.1.1.3.0.2", text("nas")),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.534.6.6.7.6.1.1.3.0.2"), "nas");
    }
}
