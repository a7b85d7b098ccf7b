//! Baytech MRP27 (sysObjectID `.4779`). Index `<module>.<outlet>`, module 1. A single
//! read-write column is control and state: write off(0) on(1) reboot(2) lockOn(3) lockOff(4)
//! unlock(5); it reads off(0)/on(1), or lockOn(3)/lockOff(4) while the outlet is locked. A
//! locked outlet refuses on/off/reboot with inconsistentValue until unlock(5).

use std::time::Duration;

use pdu_mibs::BAYTECH_MRP as MRP;

use super::{expect_one_of, join_const, outlet_column, outlet_mut, outlet_position, VendorProfile};
use crate::access::Access;
use crate::mib::{IdentityField, MibTree};
use crate::outlet::{Command, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

/// The `baytech-mrp` profile: a Baytech MRP27 with its single control-and-state column.
pub struct BaytechMrp;

const MODULE: u32 = 1;
const COL_OUTLET: u16 = 1;

const OFF: i32 = MRP.switching.off.value as i32;
const ON: i32 = MRP.switching.on.value as i32;
const REBOOT: i32 = 2;
const LOCK_ON: i32 = 3;
const LOCK_OFF: i32 = 4;
const UNLOCK: i32 = 5;

const CONTROL_OID: [u32; 14] = join_const(MRP.switching.on.column, &[MODULE]);

impl VendorProfile for BaytechMrp {
    fn mib(&self) -> &'static pdu_mibs::Profile {
        &MRP
    }
    fn sys_descr(&self) -> &'static str {
        "Baytech MRP27 Remote Power Controller, F.W. V1.20"
    }
    fn enterprise(&self) -> u32 {
        4779
    }
    /// Baytech's MIB as Network UPS Tools' baytech driver reads it: the firmware (4779.1.1.1.0),
    /// the serial number (4779.1.1.2.0) and the module's model (4779.1.3.5.2.1.24.1).
    fn identity(&self) -> &'static [(IdentityField, &'static [u32], &'static str)] {
        &[
            (
                IdentityField::FirmwareVersion,
                &[1, 3, 6, 1, 4, 1, 4779, 1, 1, 1, 0],
                "F.W. V1.20",
            ),
            (
                IdentityField::SerialNumber,
                &[1, 3, 6, 1, 4, 1, 4779, 1, 1, 2, 0],
                "BT0091234",
            ),
            (
                IdentityField::Model,
                &[1, 3, 6, 1, 4, 1, 4779, 1, 3, 5, 2, 1, 24, 1],
                "MRP27",
            ),
        ]
    }
    fn control_oid(&self) -> &'static [u32] {
        &CONTROL_OID
    }
    fn state_oid(&self) -> &'static [u32] {
        &CONTROL_OID
    }
    fn build(&self, tree: &mut MibTree, outlets: u32) {
        outlet_column(
            tree,
            MRP.switching.on.column,
            &[MODULE],
            outlets,
            Access::ReadWrite,
            COL_OUTLET,
        );
    }
    fn read(
        &self,
        _column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static> {
        let lock = state.vendor.settings.get(&(COL_OUTLET, index)).copied();
        let Some(outlet) = outlet_mut(index, state) else {
            return Value::NoSuchInstance;
        };
        Value::Integer(match (lock, outlet.power(now)) {
            (Some(l), _) => l,
            (None, Power::On) => ON,
            (None, Power::Off) => OFF,
        })
    }
    fn check_write(
        &self,
        _column: u16,
        index: u32,
        value: &Value<'_>,
        state: &DeviceState,
    ) -> Result<(), ErrorStatus> {
        outlet_position(index, state).ok_or(ErrorStatus::NoCreation)?;
        let v = expect_one_of(value, &[OFF, ON, REBOOT, LOCK_ON, LOCK_OFF, UNLOCK])?;
        let locked = state.vendor.settings.contains_key(&(COL_OUTLET, index));
        if locked && matches!(v, OFF | ON | REBOOT) {
            return Err(ErrorStatus::InconsistentValue);
        }
        Ok(())
    }
    fn write(
        &self,
        _column: u16,
        index: u32,
        value: &Value<'_>,
        state: &mut DeviceState,
        now: Duration,
    ) {
        let Value::Integer(v) = *value else { return };
        match v {
            LOCK_ON | LOCK_OFF => {
                state.vendor.settings.insert((COL_OUTLET, index), v);
            }
            UNLOCK => {
                state.vendor.settings.remove(&(COL_OUTLET, index));
            }
            _ => {}
        }
        let Some(outlet) = outlet_mut(index, state) else {
            return;
        };
        match v {
            OFF | LOCK_OFF => outlet.command(Command::Off, now),
            ON | LOCK_ON => outlet.command(Command::On, now),
            REBOOT => outlet.command(Command::Reboot, now),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::testing::*;

    #[test]
    fn oids_match_baytech_mib() {
        assert_eq!(
            MRP.switching.on.column,
            lit(".1.3.6.1.4.1.4779.1.3.5.3.1.3")
        );
        assert_eq!(
            BaytechMrp.control_oid(),
            lit(".1.3.6.1.4.1.4779.1.3.5.3.1.3.1")
        );
        assert_eq!(BaytechMrp.sys_object_id(), lit(".1.3.6.1.4.1.4779"));
        assert_eq!((OFF, ON, REBOOT), (0, 1, 2));
    }

    #[test]
    fn one_column_switches_reboots_and_locks() {
        let pdu = TestPdu::start("baytech-mrp", 4);
        let o = ".1.3.6.1.4.1.4779.1.3.5.3.1.3.1";
        assert_eq!(pdu.get_int(&format!("{o}.2")), 1);
        assert_eq!(pdu.set_int(&format!("{o}.2"), 0), OK);
        assert_eq!(pdu.get_int(&format!("{o}.2")), 0);
        assert_eq!(pdu.set_int(&format!("{o}.2"), 2), OK);
        assert_eq!(pdu.get_int(&format!("{o}.2")), 0);
        pdu.advance(5);
        assert_eq!(pdu.get_int(&format!("{o}.2")), 1);
        assert_eq!(pdu.set_int(&format!("{o}.2"), 4), OK);
        assert_eq!(pdu.get_int(&format!("{o}.2")), 4);
        assert_eq!(
            pdu.set_int(&format!("{o}.2"), 1),
            snmp_proto::ErrorStatus::InconsistentValue as i32
        );
        assert_eq!(pdu.set_int(&format!("{o}.2"), 5), OK);
        assert_eq!(pdu.get_int(&format!("{o}.2")), 0);
        assert_eq!(pdu.set_int(&format!("{o}.2"), 6), WRONG_VALUE);
    }
}
