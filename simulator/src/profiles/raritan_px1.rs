//! Raritan PX1, PDU-MIB (sysObjectID `.13742.4`). Index N. One read-write column is both
//! control and state: outletOperationalState error(-1) off(0) on(1) cycling(2). Write 0, 1 or 2;
//! it reads cycling(2) while a power cycle keeps the outlet off.

use std::time::Duration;

use pdu_mibs::RARITAN_PX1 as PX1;

use super::metering::{outlet_reading, scaled};
use super::{
    expect_display_string, expect_one_of, name_of, outlet_column, outlet_mut, outlet_position,
    scalar, set_name, VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, PendingKind, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `raritan-px1` profile: a Raritan PX1 (PDU-MIB).
pub struct RaritanPx1;

const COL_OUTLET_COUNT: u16 = 1;
const COL_LABEL: u16 = 2;
const COL_OPERATIONAL_STATE: u16 = 3;
const COL_CURRENT: u16 = 4;
const COL_VOLTAGE: u16 = 5;
const COL_ACTIVE_POWER: u16 = 6;

/// PDU-MIB outletEntry (`.13742.4.1.2.2.1`) meter columns: outletCurrent (.4, mA),
/// outletVoltage (.6, mV), outletActivePower (.7, W).
const OUTLET_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 2, 1];

const OFF: i32 = PX1.state.off[0] as i32;
const ON: i32 = PX1.state.on[0] as i32;
const CYCLING: i32 = PX1.state.pending_on[0] as i32;
/// outletLabel: PDU-MIB DisplayString, kept to what the web UI accepts.
const NAME_MAX: usize = 32;

impl VendorProfile for RaritanPx1 {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &PX1
    }
    fn sys_descr(&self) -> &'static str {
        "Raritan Dominion PX - Firmware Version 01.05.08"
    }
    fn enterprise(&self) -> u32 {
        13742
    }
    /// PDU-MIB info group (13742.4.1.1): firmwareVersion(1), serialNumber(2), objectName(12)
    /// ("the model type of the device"; accessible-for-notify in the MIB, read with GET by
    /// Network UPS Tools' raritan-pdu driver as the model).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 1, 1, 0],
                "01.05.08.5415",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 1, 2, 0],
                "PK21940023",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 1, 12, 0],
                "DPXR8-15",
            ),
        ]
    }
    fn build(&self, tree: &mut MibTree, outlets: u32) {
        if let Some(count) = PX1.outlet_count {
            scalar(tree, count, Access::ReadOnly, COL_OUTLET_COUNT);
        }
        let name = PX1.name_column.unwrap_or_default();
        outlet_column(tree, name, &[], outlets, Access::ReadWrite, COL_LABEL);
        outlet_column(
            tree,
            PX1.state.column,
            &[],
            outlets,
            Access::ReadWrite,
            COL_OPERATIONAL_STATE,
        );
        for (arc, column) in [(4, COL_CURRENT), (6, COL_VOLTAGE), (7, COL_ACTIVE_POWER)] {
            let oid = super::join(OUTLET_ENTRY, &[arc]);
            outlet_column(tree, &oid, &[], outlets, Access::ReadOnly, column);
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
        if matches!(column, COL_CURRENT | COL_VOLTAGE | COL_ACTIVE_POWER) {
            let Some(r) = outlet_reading(state, index, now) else {
                return Value::NoSuchInstance;
            };
            return Value::Gauge32(match column {
                COL_CURRENT => scaled(r.amps, 0.001),
                COL_VOLTAGE => scaled(r.volts, 0.001),
                _ => scaled(r.watts, 1.0),
            });
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_LABEL => name_of(outlet, index),
            COL_OPERATIONAL_STATE => {
                Value::Integer(match (outlet.pending(now), outlet.power(now)) {
                    (Some(PendingKind::Reboot), Power::Off) => CYCLING,
                    (_, Power::On) => ON,
                    (_, Power::Off) => OFF,
                })
            }
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
            COL_LABEL => expect_display_string(value, NAME_MAX).map(|_| ()),
            // error(-1) is a state the PDU reports, not a command.
            COL_OPERATIONAL_STATE => expect_one_of(value, &[OFF, ON, CYCLING]).map(|_| ()),
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
        match (column, value) {
            (COL_LABEL, _) => set_name(outlet, value),
            (COL_OPERATIONAL_STATE, Value::Integer(OFF)) => outlet.command(Command::Off, now),
            (COL_OPERATIONAL_STATE, Value::Integer(ON)) => outlet.command(Command::On, now),
            (COL_OPERATIONAL_STATE, Value::Integer(CYCLING)) => {
                outlet.command(Command::Reboot, now)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;

    /// PDU-MIB literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_pdu_mib() {
        assert_eq!(PX1.state.column, lit(".1.3.6.1.4.1.13742.4.1.2.2.1.3"));
        assert_eq!(
            PX1.switching.on.column,
            lit(".1.3.6.1.4.1.13742.4.1.2.2.1.3")
        );
        assert_eq!(
            PX1.outlet_count,
            Some(&lit(".1.3.6.1.4.1.13742.4.1.2.1.0")[..])
        );
        assert_eq!(
            PX1.name_column,
            Some(&lit(".1.3.6.1.4.1.13742.4.1.2.2.1.2")[..])
        );
        assert_eq!(RaritanPx1.sys_object_id(), lit(".1.3.6.1.4.1.13742.4"));
        assert_eq!((OFF, ON, CYCLING), (0, 1, 2));
    }

    #[test]
    fn one_column_switches_and_reads_cycling() {
        let pdu = TestPdu::start("raritan-px1", 8);
        let op = ".1.3.6.1.4.1.13742.4.1.2.2.1.3";
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.13742.4.1.2.1.0"), 8);
        assert_eq!(pdu.set_int(&format!("{op}.3"), 0), OK);
        assert_eq!(pdu.get_int(&format!("{op}.3")), 0);
        assert_eq!(pdu.set_int(&format!("{op}.3"), 1), OK);
        assert_eq!(pdu.set_int(&format!("{op}.3"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{op}.3")), 2);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{op}.3")), 1);
        assert_eq!(pdu.set_int(&format!("{op}.3"), -1), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{op}.3"), 3), WRONG_VALUE);
        assert_eq!(
            pdu.set(
                ".1.3.6.1.4.1.13742.4.1.2.2.1.2.3",
                crate::profiles::text("r1")
            ),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.13742.4.1.2.2.1.2.3"), "r1");
    }
}
