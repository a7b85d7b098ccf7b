//! Raritan PX2/PX3, PDU2-MIB (sysObjectID 1.3.6.1.4.1.13742.6). Index `<pduId>.<outlet>`, with
//! pduId 1 on a unit that is not linked to others. Control and state are separate columns with
//! separate enums: write switchingOperation off(0)/on(1)/cycle(2), read outletSwitchingState
//! on(7)/off(8).

use std::borrow::Cow;
use std::time::Duration;

use super::{expect_display_string, expect_integer, outlet_position, VendorProfile};
use crate::device::DeviceState;
use crate::mib::{Access, Cell, MibTree};
use crate::outlet::{Command, Power};
use crate::wire::{ErrorStatus, Value};

pub struct RaritanPx2;

const PDU2: [u32; 8] = [1, 3, 6, 1, 4, 1, 13742, 6];
const PDU_ID: u32 = 1;

// The objects, as PDU2-MIB numbers them below PDU2.
const PDU_COUNT: &[u32] = &[3, 1];
const OUTLET_COUNT: &[u32] = &[3, 2, 2, 1, 4];
const OUTLET_LABEL: &[u32] = &[3, 5, 3, 1, 2];
const OUTLET_NAME: &[u32] = &[3, 5, 3, 1, 3];
const OUTLET_POWER_OFF_PERIOD: &[u32] = &[3, 5, 3, 1, 12];
const SWITCHING_OPERATION: &[u32] = &[4, 1, 2, 1, 2];
const OUTLET_SWITCHING_STATE: &[u32] = &[4, 1, 2, 1, 3];

// Column identifiers this profile gives its cells.
const COL_PDU_COUNT: u16 = 1;
const COL_OUTLET_COUNT: u16 = 2;
const COL_LABEL: u16 = 3;
const COL_NAME: u16 = 4;
const COL_POWER_OFF_PERIOD: u16 = 5;
const COL_SWITCHING_OPERATION: u16 = 6;
const COL_SWITCHING_STATE: u16 = 7;

// switchingOperation values.
const OP_OFF: i32 = 0;
const OP_ON: i32 = 1;
const OP_CYCLE: i32 = 2;
// outletSwitchingState values (DeviceStateEnumeration).
const STATE_ON: i32 = 7;
const STATE_OFF: i32 = 8;

/// PDU2-MIB outletName is DisplayString (SIZE(0..64)).
const NAME_MAX: usize = 64;
/// outletPowerCyclingPowerOffPeriod range, in seconds.
const POWER_OFF_PERIOD: std::ops::RangeInclusive<i32> = 1..=3600;

fn oid(suffix: &[u32]) -> Vec<u32> {
    let mut o = PDU2.to_vec();
    o.extend_from_slice(suffix);
    o
}

impl VendorProfile for RaritanPx2 {
    fn name(&self) -> &'static str {
        "raritan-px2"
    }
    fn description(&self) -> &'static str {
        "Raritan PX2/PX3 (PDU2-MIB)"
    }
    fn sys_object_id(&self) -> &'static [u32] {
        &PDU2
    }
    fn sys_descr(&self) -> &'static str {
        "PX2 030004"
    }
    fn enterprise(&self) -> u32 {
        13742
    }
    fn control_oid(&self) -> &'static [u32] {
        &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1]
    }

    fn state_oid(&self) -> &'static [u32] {
        &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3, 1]
    }

    fn build(&self, tree: &mut MibTree, outlets: u32) {
        tree.scalar(
            &oid(PDU_COUNT),
            Access::ReadOnly,
            Cell::Vendor {
                column: COL_PDU_COUNT,
                index: 0,
            },
        );
        let count = oid(OUTLET_COUNT);
        tree.object(&count, Access::ReadOnly);
        tree.instance(
            &count,
            &[PDU_ID],
            Cell::Vendor {
                column: COL_OUTLET_COUNT,
                index: PDU_ID,
            },
        );
        let columns = [
            (OUTLET_LABEL, Access::ReadOnly, COL_LABEL),
            (OUTLET_NAME, Access::ReadWrite, COL_NAME),
            (
                OUTLET_POWER_OFF_PERIOD,
                Access::ReadWrite,
                COL_POWER_OFF_PERIOD,
            ),
            (
                SWITCHING_OPERATION,
                Access::ReadWrite,
                COL_SWITCHING_OPERATION,
            ),
            (
                OUTLET_SWITCHING_STATE,
                Access::ReadOnly,
                COL_SWITCHING_STATE,
            ),
        ];
        for (suffix, access, column) in columns {
            let object = oid(suffix);
            tree.object(&object, access);
            for outlet in 1..=outlets {
                tree.instance(
                    &object,
                    &[PDU_ID, outlet],
                    Cell::Vendor {
                        column,
                        index: outlet,
                    },
                );
            }
        }
    }

    fn read(
        &self,
        column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static> {
        if column == COL_PDU_COUNT {
            return Value::Integer(1);
        }
        if column == COL_OUTLET_COUNT {
            return Value::Integer(i32::try_from(state.outlets.len()).unwrap_or(i32::MAX));
        }
        let Some(outlet) = outlet_position(index, state).and_then(|p| state.outlets.get_mut(p))
        else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_LABEL => Value::OctetString(Cow::Owned(index.to_string().into_bytes())),
            COL_NAME => Value::OctetString(Cow::Owned(outlet.name.clone().into_bytes())),
            COL_POWER_OFF_PERIOD => {
                Value::Integer(i32::try_from(outlet.delays.reboot.as_secs()).unwrap_or(i32::MAX))
            }
            // Reads back the outlet's present state as off(0)/on(1).
            COL_SWITCHING_OPERATION => Value::Integer(match outlet.power(now) {
                Power::On => OP_ON,
                Power::Off => OP_OFF,
            }),
            COL_SWITCHING_STATE => Value::Integer(match outlet.power(now) {
                Power::On => STATE_ON,
                Power::Off => STATE_OFF,
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
            COL_NAME => expect_display_string(value, NAME_MAX).map(|_| ()),
            COL_POWER_OFF_PERIOD => {
                let secs = expect_integer(value)?;
                if POWER_OFF_PERIOD.contains(&secs) {
                    Ok(())
                } else {
                    Err(ErrorStatus::WrongValue)
                }
            }
            COL_SWITCHING_OPERATION => match expect_integer(value)? {
                OP_OFF | OP_ON | OP_CYCLE => Ok(()),
                _ => Err(ErrorStatus::WrongValue),
            },
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
        let Some(outlet) = outlet_position(index, state).and_then(|p| state.outlets.get_mut(p))
        else {
            return;
        };
        match (column, value) {
            (COL_NAME, Value::OctetString(s)) => {
                outlet.name = String::from_utf8_lossy(s).into_owned()
            }
            (COL_POWER_OFF_PERIOD, Value::Integer(secs)) => {
                outlet.delays.reboot = Duration::from_secs(u64::try_from(*secs).unwrap_or(1))
            }
            (COL_SWITCHING_OPERATION, Value::Integer(OP_OFF)) => outlet.command(Command::Off, now),
            (COL_SWITCHING_OPERATION, Value::Integer(OP_ON)) => outlet.command(Command::On, now),
            (COL_SWITCHING_OPERATION, Value::Integer(OP_CYCLE)) => outlet.command(Command::Reboot, now),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The literal OIDs from PDU2-MIB (as quoted in VENDORS.md), so a typo here cannot hide.
    #[test]
    fn oids_match_pdu2_mib() {
        assert_eq!(
            oid(SWITCHING_OPERATION),
            [1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2]
        );
        assert_eq!(
            oid(OUTLET_SWITCHING_STATE),
            [1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3]
        );
        assert_eq!(
            oid(OUTLET_NAME),
            [1, 3, 6, 1, 4, 1, 13742, 6, 3, 5, 3, 1, 3]
        );
        assert_eq!(
            oid(OUTLET_COUNT),
            [1, 3, 6, 1, 4, 1, 13742, 6, 3, 2, 2, 1, 4]
        );
        assert_eq!(oid(PDU_COUNT), [1, 3, 6, 1, 4, 1, 13742, 6, 3, 1]);
        assert_eq!(
            oid(OUTLET_POWER_OFF_PERIOD),
            [1, 3, 6, 1, 4, 1, 13742, 6, 3, 5, 3, 1, 12]
        );
        // jumpstarter's default: the control column for pdu 1, plug appended.
        assert_eq!(
            RaritanPx2.control_oid(),
            [1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1]
        );
    }
}
