//! Tripp Lite switched PDU, TRIPPLITE-PRODUCTS (sysObjectID `.850.1.1.1`). Index
//! `<device>.<outlet>`, device 1. tlpPduOutletCommand (rw) takes idle(0) turnOff(1) turnOn(2)
//! cycle(3) and always reads idle(0); tlpPduOutletState reads off(1)/on(2) (unknown(0) never).

use std::time::Duration;

use pdu_mibs::TRIPPLITE_PDU as TL;

use super::metering::{outlet_reading, scaled_i32};
use super::{
    expect_display_string, expect_one_of, join, join_const, name_of, on_off, outlet_column,
    outlet_mut, outlet_position, set_name, unit_cell, Inventory, VendorProfile,
};
use crate::access::Access;
use crate::mib::{CountSyntax, IdentityField, InventoryCount, MibTree};
use crate::outlet::Command;
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `tripplite-pdu` profile: a Tripp Lite switched PDU (TRIPPLITE-PRODUCTS), device 1.
pub struct TrippLitePdu;

const DEVICE: u32 = 1;
/// tlpPduOutletEntry, for the meter columns pdu-mibs does not carry.
const OUTLET_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 3, 3, 1, 1];
const OUTLET_VOLTAGE: &[u32] = &[7];
const OUTLET_CURRENT: &[u32] = &[8];
const OUTLET_POWER: &[u32] = &[9];

const COL_COUNT: u16 = 1;
const COL_NAME: u16 = 2;
const COL_STATE: u16 = 3;
const COL_COMMAND: u16 = 4;
const COL_VOLTAGE: u16 = 5;
const COL_CURRENT: u16 = 6;
const COL_POWER: u16 = 7;

const IDLE: i32 = 0;
const TURN_OFF: i32 = TL.switching.off.value as i32;
const TURN_ON: i32 = TL.switching.on.value as i32;
const CYCLE: i32 = 3;
const STATE_OFF: i32 = TL.state.off[0] as i32;
const STATE_ON: i32 = TL.state.on[0] as i32;
const NAME_MAX: usize = 64;

const CONTROL_OID: [u32; 17] = join_const(TL.switching.on.column, &[DEVICE]);
const STATE_OID: [u32; 17] = join_const(TL.state.column, &[DEVICE]);

impl VendorProfile for TrippLitePdu {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &TL
    }
    fn sys_descr(&self) -> &'static str {
        "Tripp Lite PDUMH20HVNET 12.06.0068"
    }
    fn enterprise(&self) -> u32 {
        850
    }
    /// TRIPPLITE-PRODUCTS, device 1: tlpDeviceEntry (850.1.1.1.2.1) tlpDeviceManufacturer(4) and
    /// tlpDeviceModel(5); tlpDeviceIdentEntry (850.1.1.2.1.1) tlpDeviceIdentFirmwareVersion(4)
    /// and tlpDeviceIdentSerialNum(5).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::Manufacturer,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 1, 2, 1, 4, 1],
                "Tripp Lite",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 1, 2, 1, 5, 1],
                "PDUMH20HVNET",
            ),
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 2, 1, 1, 4, 1],
                "12.06.0068",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 2, 1, 1, 5, 1],
                "2716AV0PD123400123",
            ),
        ]
    }
    /// TRIPPLITE-PRODUCTS, all Unsigned32: tlpDeviceNumDevices.0 (850.1.1.1.1) and
    /// tlpPduIdentNumPdu.0 (850.1.1.3.2.1.1), the one unit; tlpPduIdentEntry (850.1.1.3.2.1.2.1,
    /// INDEX tlpDeviceIndex) of device 1: tlpPduIdentNumInputs(1), tlpPduIdentNumPhases(3) and
    /// tlpPduIdentNumOutletGroups(5). A PDUMH20HVNET has one single-phase cord; no outlet group
    /// table is served, so no groups by default. tlpPduIdentNumOutlets(4) is the PDU's outlets
    /// ([`TrippLitePdu::build`]).
    fn inventory(&self) -> &'static [Inventory] {
        const fn unsigned(count: InventoryCount, oid: &'static [u32], default: u32) -> Inventory {
            Inventory {
                count,
                oid,
                syntax: CountSyntax::Unsigned32,
                default,
            }
        }
        const OBJECTS: &[Inventory] = &[
            unsigned(
                InventoryCount::Units,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 1, 1, 0],
                1,
            ),
            unsigned(
                InventoryCount::Units,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 1, 1, 0],
                1,
            ),
            unsigned(
                InventoryCount::Inlets,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 1, 2, 1, 1, DEVICE],
                1,
            ),
            unsigned(
                InventoryCount::Phases,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 1, 2, 1, 3, DEVICE],
                1,
            ),
            unsigned(
                InventoryCount::OutletGroups,
                &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 1, 2, 1, 5, DEVICE],
                0,
            ),
        ];
        OBJECTS
    }
    fn control_oid(&self) -> &'static [u32] {
        &CONTROL_OID
    }
    fn state_oid(&self) -> &'static [u32] {
        &STATE_OID
    }
    fn build(&self, tree: &mut MibTree, outlets: u32) {
        if let Some((dev, count)) = TL.outlet_count.and_then(|c| c.split_last()) {
            unit_cell(tree, count, &[*dev], COL_COUNT);
        }
        let rw = Access::ReadWrite;
        let ro = Access::ReadOnly;
        let columns: [(Vec<u32>, Access, u16); 6] = [
            (TL.name_column.unwrap_or_default().to_vec(), rw, COL_NAME),
            (TL.state.column.to_vec(), ro, COL_STATE),
            (TL.switching.on.column.to_vec(), rw, COL_COMMAND),
            (join(OUTLET_ENTRY, OUTLET_VOLTAGE), ro, COL_VOLTAGE),
            (join(OUTLET_ENTRY, OUTLET_CURRENT), ro, COL_CURRENT),
            (join(OUTLET_ENTRY, OUTLET_POWER), ro, COL_POWER),
        ];
        for (column_oid, access, column) in &columns {
            outlet_column(tree, column_oid, &[DEVICE], outlets, *access, *column);
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
            // tlpPduIdentNumOutlets is Unsigned32: Gauge32 on the wire.
            COL_COUNT => {
                return Value::Gauge32(u32::try_from(state.outlets.len()).unwrap_or(u32::MAX))
            }
            COL_VOLTAGE | COL_CURRENT | COL_POWER => {
                // Volts, hundredths of amps, watts.
                return outlet_reading(state, index, now).map_or(Value::NoSuchInstance, |r| {
                    Value::Integer(match column {
                        COL_VOLTAGE => scaled_i32(r.volts, 1.0),
                        COL_CURRENT => scaled_i32(r.amps, 0.01),
                        _ => scaled_i32(r.watts, 1.0),
                    })
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
            COL_COMMAND => Value::Integer(IDLE),
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
            COL_COMMAND => expect_one_of(value, &[IDLE, TURN_OFF, TURN_ON, CYCLE]).map(|_| ()),
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
            (COL_NAME, _) => set_name(outlet, value),
            (COL_COMMAND, Value::Integer(TURN_OFF)) => outlet.command(Command::Off, now),
            (COL_COMMAND, Value::Integer(TURN_ON)) => outlet.command(Command::On, now),
            (COL_COMMAND, Value::Integer(CYCLE)) => outlet.command(Command::Reboot, now),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;

    /// TRIPPLITE-PRODUCTS literal OIDs, as the vendor MIB writes them.
    #[test]
    fn oids_match_tripplite_products() {
        assert_eq!(
            TL.switching.on.column,
            lit(".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.6")
        );
        assert_eq!(TL.state.column, lit(".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.4"));
        assert_eq!(
            TL.name_column,
            Some(&lit(".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.2")[..])
        );
        assert_eq!(
            TL.outlet_count,
            Some(&lit(".1.3.6.1.4.1.850.1.1.3.2.1.2.1.4.1")[..])
        );
        assert_eq!(TrippLitePdu.sys_object_id(), lit(".1.3.6.1.4.1.850.1.1.1"));
        assert_eq!(
            (TURN_OFF, TURN_ON, CYCLE, STATE_OFF, STATE_ON),
            (1, 2, 3, 1, 2)
        );
    }

    #[test]
    fn command_reads_idle_and_switches() {
        let pdu = TestPdu::start("tripplite-pdu", 8);
        let cmd = ".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.6.1";
        let st = ".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.4.1";
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.850.1.1.3.2.1.2.1.4.1"), 8);
        assert_eq!(pdu.set_int(&format!("{cmd}.4"), 1), OK);
        assert_eq!(pdu.get_int(&format!("{st}.4")), 1);
        assert_eq!(pdu.get_int(&format!("{cmd}.4")), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.9.1.4"), 0);
        assert_eq!(pdu.set_int(&format!("{cmd}.4"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{st}.4")), 2);
        assert_eq!(pdu.set_int(&format!("{cmd}.4"), 3), OK);
        assert_eq!(pdu.get_int(&format!("{st}.4")), 1);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{st}.4")), 2);
        assert_eq!(pdu.set_int(&format!("{cmd}.4"), 4), WRONG_VALUE);
    }
}
