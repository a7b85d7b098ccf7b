//! Raritan PX2/PX3, PDU2-MIB (sysObjectID 1.3.6.1.4.1.13742.6). Index `<pduId>.<outlet>`, with
//! pduId 1 on a unit that is not linked to others. Control and state are separate columns with
//! separate enums: write switchingOperation off(0)/on(1)/cycle(2), read outletSwitchingState
//! on(7)/off(8). Meters are measurementsOutletSensorValue `.<pdu>.<outlet>.<sensor type>`.
//! OIDs and integers come from `pdu_mibs::RARITAN_PX2`; only what it lacks is written here.

use std::time::Duration;

use pdu_mibs::RARITAN_PX2 as PX2;

use super::metering::{outlet_reading, scaled};
use super::{
    expect_display_string, expect_in, expect_one_of, join, join_const, outlet_column, outlet_mut,
    outlet_position, scalar, set_name, text, unit_cell, VendorProfile,
};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, Power, StartupPower};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `raritan-px2` profile: a Raritan PX2/PX3 (PDU2-MIB), the simulator's default vendor.
pub struct RaritanPx2;

const PDU2: &[u32] = PX2.sys_object_id;
const PDU_ID: u32 = 1;

// Objects pdu-mibs does not carry, as PDU2-MIB numbers them below PDU2.
const PDU_COUNT: &[u32] = &[3, 1];
const OUTLET_LABEL: &[u32] = &[3, 5, 3, 1, 2];
const OUTLET_POWER_OFF_PERIOD: &[u32] = &[3, 5, 3, 1, 12];
const OUTLET_STATE_ON_STARTUP: &[u32] = &[3, 5, 3, 1, 13];
/// outletSensorMeasurementsEntry: isAvailable(2), state(3), value(4).
const SENSOR_IS_AVAILABLE: &[u32] = &[5, 4, 3, 1, 2];
const SENSOR_STATE: &[u32] = &[5, 4, 3, 1, 3];

/// nameplateEntry (PDU2-MIB 3.2.1.1): pduManufacturer(2), pduModel(3), pduSerialNumber(4),
/// instance pduId 1.
const PDU_MANUFACTURER: [u32; 14] = join_const(PDU2, &[3, 2, 1, 1, 2, PDU_ID]);
const PDU_MODEL: [u32; 14] = join_const(PDU2, &[3, 2, 1, 1, 3, PDU_ID]);
const PDU_SERIAL_NUMBER: [u32; 14] = join_const(PDU2, &[3, 2, 1, 1, 4, PDU_ID]);
/// unitConfigurationEntry inletCount (PDU2-MIB 3.2.2.1.2).
const INLET_COUNT: &[u32] = &[3, 2, 2, 1, 2];

// Column identifiers this profile gives its cells.
const COL_INLET_COUNT: u16 = 9;
const COL_PDU_COUNT: u16 = 1;
const COL_OUTLET_COUNT: u16 = 2;
const COL_LABEL: u16 = 3;
const COL_NAME: u16 = 4;
const COL_POWER_OFF_PERIOD: u16 = 5;
const COL_SWITCHING_OPERATION: u16 = 6;
const COL_SWITCHING_STATE: u16 = 7;
const COL_STATE_ON_STARTUP: u16 = 8;
/// Sensor cells: base + 100 × object (2 available, 3 state, 4 value) + sensor type.
const COL_SENSOR_BASE: u16 = 1000;

// switchingOperation values.
const OP_OFF: i32 = PX2.switching.off.value as i32;
const OP_ON: i32 = PX2.switching.on.value as i32;
const OP_CYCLE: i32 = match PX2.switching.cycle {
    Some(c) => c.value as i32,
    None => 2,
};
// outletSwitchingState values (DeviceStateEnumeration), also SensorStateEnumeration's on/off.
const STATE_ON: i32 = 7;
const STATE_OFF: i32 = 8;
/// SensorStateEnumeration normal(4), for numeric sensors.
const SENSOR_NORMAL: i32 = 4;

// SensorTypeEnumeration values this PDU meters per outlet.
const RMS_CURRENT: u32 = 1;
const RMS_VOLTAGE: u32 = 4;
const ACTIVE_POWER: u32 = 5;
const ACTIVE_ENERGY: u32 = 8;
const ON_OFF: u32 = 14;
const SENSORS: [u32; 5] = [
    RMS_CURRENT,
    RMS_VOLTAGE,
    ACTIVE_POWER,
    ACTIVE_ENERGY,
    ON_OFF,
];

// OutletStateOnStartupEnumeration.
const STARTUP_OFF: i32 = 0;
const STARTUP_ON: i32 = 1;
const STARTUP_LAST_KNOWN: i32 = 2;
const STARTUP_GLOBAL: i32 = 3;

/// PDU2-MIB outletName is DisplayString (SIZE(0..64)).
const NAME_MAX: usize = 64;
/// outletPowerCyclingPowerOffPeriod range, in seconds.
const POWER_OFF_PERIOD: std::ops::RangeInclusive<i32> = 1..=3600;

const CONTROL_OID: [u32; 14] = join_const(PX2.switching.on.column, &[PDU_ID]);
const STATE_OID: [u32; 14] = join_const(PX2.state.column, &[PDU_ID]);

fn oid(suffix: &[u32]) -> Vec<u32> {
    join(PDU2, suffix)
}

/// The scale (SI units per step) of a sensor type, from pdu-mibs where it has one.
fn sensor_scale(sensor: u32) -> f64 {
    PX2.meters
        .iter()
        .find(|m| m.sub_index == Some(sensor))
        .map_or(1.0, |m| m.scale)
}

fn sensor_column(object: u16, sensor: u32) -> u16 {
    COL_SENSOR_BASE + object * 100 + u16::try_from(sensor).unwrap_or(0)
}

impl VendorProfile for RaritanPx2 {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &PX2
    }
    fn sys_descr(&self) -> &'static str {
        "PX2 030004"
    }
    fn enterprise(&self) -> u32 {
        13742
    }
    fn control_oid(&self) -> &'static [u32] {
        &CONTROL_OID
    }
    fn state_oid(&self) -> &'static [u32] {
        &STATE_OID
    }

    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (IdentityField::Manufacturer, &PDU_MANUFACTURER, "Raritan"),
            (IdentityField::Model, &PDU_MODEL, "PX2-5496"),
            (
                IdentityField::SerialNumber,
                &PDU_SERIAL_NUMBER,
                "PKE0954001",
            ),
        ]
    }

    fn build(&self, tree: &mut MibTree, outlets: u32) {
        scalar(tree, &oid(PDU_COUNT), Access::ReadOnly, COL_PDU_COUNT);
        unit_cell(tree, &oid(INLET_COUNT), &[PDU_ID], COL_INLET_COUNT);
        if let Some(count) = PX2.outlet_count.and_then(|c| c.split_last()) {
            unit_cell(tree, count.1, &[*count.0], COL_OUTLET_COUNT);
        }
        let name = PX2.name_column.unwrap_or_default();
        let columns: [(&[u32], Access, u16); 6] = [
            (&oid(OUTLET_LABEL), Access::ReadOnly, COL_LABEL),
            (name, Access::ReadWrite, COL_NAME),
            (
                &oid(OUTLET_POWER_OFF_PERIOD),
                Access::ReadWrite,
                COL_POWER_OFF_PERIOD,
            ),
            (
                &oid(OUTLET_STATE_ON_STARTUP),
                Access::ReadWrite,
                COL_STATE_ON_STARTUP,
            ),
            (
                PX2.switching.on.column,
                Access::ReadWrite,
                COL_SWITCHING_OPERATION,
            ),
            (PX2.state.column, Access::ReadOnly, COL_SWITCHING_STATE),
        ];
        for (column_oid, access, column) in columns {
            outlet_column(tree, column_oid, &[PDU_ID], outlets, access, column);
        }
        let value_column = PX2.meters.first().map_or(&[][..], |m| m.column);
        let sensor_objects: [(Vec<u32>, u16); 3] = [
            (oid(SENSOR_IS_AVAILABLE), 2),
            (oid(SENSOR_STATE), 3),
            (value_column.to_vec(), 4),
        ];
        for (column_oid, object) in &sensor_objects {
            tree.object(column_oid, Access::ReadOnly);
            for outlet in 1..=outlets {
                for sensor in SENSORS {
                    tree.instance(
                        column_oid,
                        &[PDU_ID, outlet, sensor],
                        crate::mib::Cell::Profile {
                            column: sensor_column(*object, sensor),
                            index: outlet,
                        },
                    );
                }
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
            return super::outlet_count(state);
        }
        if column == COL_INLET_COUNT {
            return Value::Integer(1);
        }
        if column > COL_SENSOR_BASE {
            return read_sensor(column - COL_SENSOR_BASE, index, state, now);
        }
        let setting = state.vendor.settings.get(&(column, index)).copied();
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        match column {
            COL_LABEL => text(index.to_string()),
            COL_NAME => text(outlet.name.clone()),
            COL_POWER_OFF_PERIOD => super::integer(outlet.delays.reboot.as_secs()),
            COL_STATE_ON_STARTUP => Value::Integer(setting.unwrap_or(match outlet.startup {
                StartupPower::Off => STARTUP_OFF,
                StartupPower::On => STARTUP_ON,
                StartupPower::LastKnown => STARTUP_LAST_KNOWN,
            })),
            // Reads back the outlet's present state as off(0)/on(1).
            COL_SWITCHING_OPERATION => super::on_off(outlet, now, OP_ON, OP_OFF),
            COL_SWITCHING_STATE => super::on_off(outlet, now, STATE_ON, STATE_OFF),
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
            COL_POWER_OFF_PERIOD => expect_in(value, POWER_OFF_PERIOD).map(|_| ()),
            COL_STATE_ON_STARTUP => expect_one_of(
                value,
                &[STARTUP_OFF, STARTUP_ON, STARTUP_LAST_KNOWN, STARTUP_GLOBAL],
            )
            .map(|_| ()),
            COL_SWITCHING_OPERATION => expect_one_of(value, &[OP_OFF, OP_ON, OP_CYCLE]).map(|_| ()),
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
        if column == COL_STATE_ON_STARTUP {
            // global(3) has no place in the outlet model: remember it raw, behave as lastKnown
            // (the PDU-wide default).
            match value {
                Value::Integer(STARTUP_GLOBAL) => {
                    state
                        .vendor
                        .settings
                        .insert((column, index), STARTUP_GLOBAL);
                }
                _ => {
                    state.vendor.settings.remove(&(column, index));
                }
            }
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return;
        };
        match (column, value) {
            (COL_NAME, _) => set_name(outlet, value),
            (COL_POWER_OFF_PERIOD, Value::Integer(secs)) => {
                outlet.delays.reboot = Duration::from_secs(u64::try_from(*secs).unwrap_or(1))
            }
            (COL_STATE_ON_STARTUP, Value::Integer(v)) => {
                outlet.startup = match *v {
                    STARTUP_OFF => StartupPower::Off,
                    STARTUP_ON => StartupPower::On,
                    _ => StartupPower::LastKnown,
                }
            }
            (COL_SWITCHING_OPERATION, Value::Integer(OP_OFF)) => outlet.command(Command::Off, now),
            (COL_SWITCHING_OPERATION, Value::Integer(OP_ON)) => outlet.command(Command::On, now),
            (COL_SWITCHING_OPERATION, Value::Integer(OP_CYCLE)) => {
                outlet.command(Command::Reboot, now)
            }
            _ => {}
        }
    }
}

/// measurementsOutletSensor{IsAvailable,State,Value} for one outlet and sensor type.
fn read_sensor(code: u16, index: u32, state: &mut DeviceState, now: Duration) -> Value<'static> {
    let (object, sensor) = (code / 100, u32::from(code % 100));
    let Some(reading) = outlet_reading(state, index, now) else {
        return Value::NoSuchInstance;
    };
    let on = outlet_mut(index, state).map(|o| o.power(now)) == Some(Power::On);
    match object {
        // TruthValue true(1): every outlet of this model has these sensors.
        2 => Value::Integer(1),
        3 if sensor == ON_OFF => Value::Integer(if on { STATE_ON } else { STATE_OFF }),
        3 => Value::Integer(SENSOR_NORMAL),
        4 => Value::Gauge32(match sensor {
            RMS_CURRENT => scaled(reading.amps, sensor_scale(RMS_CURRENT)),
            RMS_VOLTAGE => scaled(reading.volts, sensor_scale(RMS_VOLTAGE)),
            ACTIVE_POWER => scaled(reading.watts, sensor_scale(ACTIVE_POWER)),
            ACTIVE_ENERGY => scaled(reading.watt_hours, sensor_scale(ACTIVE_ENERGY)),
            _ => u32::from(on),
        }),
        _ => Value::NoSuchInstance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;

    /// The literal OIDs from PDU2-MIB (as the MIB writes them), so a typo here cannot hide.
    #[test]
    fn oids_match_pdu2_mib() {
        assert_eq!(
            PX2.switching.on.column,
            lit(".1.3.6.1.4.1.13742.6.4.1.2.1.2")
        );
        assert_eq!(PX2.state.column, lit(".1.3.6.1.4.1.13742.6.4.1.2.1.3"));
        assert_eq!(
            PX2.name_column.map(<[u32]>::to_vec),
            Some(lit(".1.3.6.1.4.1.13742.6.3.5.3.1.3"))
        );
        assert_eq!(
            PX2.outlet_count.map(<[u32]>::to_vec),
            Some(lit(".1.3.6.1.4.1.13742.6.3.2.2.1.4.1"))
        );
        assert_eq!(super::oid(PDU_COUNT), lit(".1.3.6.1.4.1.13742.6.3.1"));
        assert_eq!(
            super::oid(OUTLET_POWER_OFF_PERIOD),
            lit(".1.3.6.1.4.1.13742.6.3.5.3.1.12")
        );
        assert_eq!(
            super::oid(OUTLET_STATE_ON_STARTUP),
            lit(".1.3.6.1.4.1.13742.6.3.5.3.1.13")
        );
        assert_eq!(PX2.meters[0].column, lit(".1.3.6.1.4.1.13742.6.5.4.3.1.4"));
        // jumpstarter's default: the control column for pdu 1, plug appended.
        assert_eq!(
            RaritanPx2.control_oid(),
            lit(".1.3.6.1.4.1.13742.6.4.1.2.1.2.1")
        );
        assert_eq!(RaritanPx2.sys_object_id(), lit(".1.3.6.1.4.1.13742.6"));
        assert_eq!(
            (OP_OFF, OP_ON, OP_CYCLE, STATE_ON, STATE_OFF),
            (0, 1, 2, 7, 8)
        );
    }

    const OP: &str = ".1.3.6.1.4.1.13742.6.4.1.2.1.2.1";
    const ST: &str = ".1.3.6.1.4.1.13742.6.4.1.2.1.3.1";
    const SENSOR: &str = ".1.3.6.1.4.1.13742.6.5.4.3.1.4.1";

    #[test]
    fn switches_cycles_and_meters_through_the_agent() {
        let pdu = TestPdu::start("raritan-px2", 4);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.13742.6.3.2.2.1.4.1"), 4);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.13742.6.3.1.0"), 1);
        assert_eq!(pdu.get_int(&format!("{ST}.2")), 7);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.5")), 100);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.4")), 230);
        // 100 W at 230 V is 0.435 A, in mA (decimalDigits 3).
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.1")), 435);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.14")), 1);
        assert_eq!(pdu.set_int(&format!("{OP}.2"), 0), OK);
        assert_eq!(pdu.get_int(&format!("{ST}.2")), 8);
        assert_eq!(pdu.get_int(&format!("{OP}.2")), 0);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.5")), 0);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.1")), 0);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.14")), 0);
        assert_eq!(pdu.get_int(".1.3.6.1.4.1.13742.6.5.4.3.1.3.1.2.14"), 8);
        // Energy: outlet 1 at 100 W for 36 s is 1 Wh.
        pdu.advance(36);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.1.8")), 1);
        assert_eq!(pdu.get_int(&format!("{SENSOR}.2.8")), 0);
        // Cycle: off for the 5 s period, then on.
        assert_eq!(pdu.set_int(&format!("{OP}.1"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{ST}.1")), 8);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{ST}.1")), 7);
        assert_eq!(pdu.set_int(&format!("{OP}.1"), 3), WRONG_VALUE);
        assert_eq!(pdu.set_int(&format!("{OP}.9"), 1), NO_CREATION);
        assert_eq!(pdu.set(&format!("{OP}.1"), text("on")), WRONG_TYPE);
        assert_eq!(pdu.set_int(&format!("{ST}.1"), 7), NOT_WRITABLE);
    }

    #[test]
    fn state_on_startup_takes_its_four_values() {
        let pdu = TestPdu::start("raritan-px2", 2);
        let o = ".1.3.6.1.4.1.13742.6.3.5.3.1.13.1.1";
        assert_eq!(pdu.get_int(o), 2);
        for v in [0, 1, 3, 2] {
            assert_eq!(pdu.set_int(o, v), OK);
            assert_eq!(pdu.get_int(o), v);
        }
        assert_eq!(pdu.set_int(o, 4), WRONG_VALUE);
        assert_eq!(
            pdu.set(".1.3.6.1.4.1.13742.6.3.5.3.1.3.1.2", text("db1")),
            OK
        );
        assert_eq!(pdu.get_text(".1.3.6.1.4.1.13742.6.3.5.3.1.3.1.2"), "db1");
        assert_eq!(
            pdu.set_int(".1.3.6.1.4.1.13742.6.3.5.3.1.12.1.2", 0),
            WRONG_VALUE
        );
    }
}
