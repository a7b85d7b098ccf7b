//! The MIB tree: which object instances exist, in OID order, and what each one is.
//!
//! The tree holds descriptors (`Cell`s), not values: values are read from the device when a
//! request arrives. Trees are immutable once built, so PDUs of the same vendor and outlet count
//! can share one.

use crate::access::Access;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::AtomicU32;

use crate::stats::AgentStats;
use snmp_proto::Value;

/// The scalars of the SNMPv2-MIB system group (RFC 3418) a PDU serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemObject {
    /// sysDescr (system.1): the configured, recorded or vendor text.
    Descr,
    /// sysObjectID (system.2): the vendor's, unless overridden.
    ObjectId,
    /// sysUpTime (system.3): TimeTicks, hundredths of a second since the agent (re)started.
    UpTime,
    /// sysContact (system.4), writable, up to 255 octets.
    Contact,
    /// sysName (system.5), writable, up to 255 octets.
    Name,
    /// sysLocation (system.6), writable, up to 255 octets.
    Location,
    /// sysServices (system.7): 72, application and end-to-end layers.
    Services,
    /// snmpEnableAuthenTraps (snmp.30, RFC 3418), writable: enabled(1) or disabled(2).
    EnableAuthenTraps,
}

/// The scalars of snmpEngine (SNMP-FRAMEWORK-MIB, RFC 3411 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineObject {
    /// snmpEngineID (snmpEngine.1).
    Id,
    /// snmpEngineBoots (snmpEngine.2).
    Boots,
    /// snmpEngineTime (snmpEngine.3), in seconds.
    Time,
    /// snmpEngineMaxMessageSize (snmpEngine.4): 65507 bytes.
    MaxMessageSize,
}

/// The live objects of IF-MIB (RFC 2863) row 1, the management Ethernet port
/// ([`crate::interfaces`]); its fixed columns are [`Cell::Static`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterfaceObject {
    /// ifPhysAddress (ifEntry.6): the port's MAC address, derived from the PDU's address and
    /// name.
    PhysAddress,
    /// A traffic counter: as Counter64 (ifXTable's ifHC columns) when `high_capacity`, else
    /// its low 32 bits as Counter32 (ifTable's columns).
    Traffic {
        /// Which count.
        counter: TrafficCounter,
        /// Counter64 (true) or Counter32 (false).
        high_capacity: bool,
    },
    /// ifCounterDiscontinuityTime (ifXEntry.19): TimeTicks.
    CounterDiscontinuityTime,
}

/// The four traffic counts of the management port ([`crate::stats::InterfaceStats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrafficCounter {
    /// ifInOctets / ifHCInOctets.
    InOctets,
    /// ifInUcastPkts / ifHCInUcastPkts.
    InUcastPkts,
    /// ifOutOctets / ifHCOutOctets.
    OutOctets,
    /// ifOutUcastPkts / ifHCOutUcastPkts.
    OutUcastPkts,
}

/// What an object instance is, and so where its value comes from.
#[derive(Clone, Debug)]
pub enum Cell {
    /// A fixed value (a recording's objects, snmpEnableAuthenTraps).
    Static(Value<'static>),
    /// A system group scalar, from the device and its state.
    System(SystemObject),
    /// A Counter32: the function picks the counter out of the device's [`AgentStats`].
    Counter(fn(&AgentStats) -> &AtomicU32),
    /// An snmpEngine scalar, from the device's engine.
    Engine(EngineObject),
    /// A nameplate object of the vendor's MIB (model, serial number, ...), by its position in
    /// [`crate::profiles::VendorProfile::identity`], from the PDU's identity: its
    /// configuration, else its recording, else the profile's default.
    Identity(usize),
    /// An inventory count of the vendor's MIB (inlets, phases, outlet groups, units), from the
    /// PDU's configuration, else its recording, else the profile's default, in the object's
    /// SMI type.
    Inventory {
        /// Which count.
        count: InventoryCount,
        /// The object's SMI type.
        syntax: CountSyntax,
    },
    /// A live IF-MIB object of the management port, from the device's
    /// [`crate::stats::InterfaceStats`].
    Interface(InterfaceObject),
    /// An object of the vendor profile's own MIB (outlet tables, unit settings): `column` is
    /// the profile's number for one of its columns or scalars (each profile names them as
    /// constants), `index` the row (outlet number, or 0 for a scalar). The profile reads and
    /// writes it ([`crate::profiles::VendorProfile`]).
    Profile {
        /// The profile's own column number.
        column: u16,
        /// The row: outlet (1-based), unit or 0.
        index: u32,
    },
}

/// The nameplate / identity facts a PDU has, whichever objects its vendor's MIB puts them in
/// ([`crate::profiles::VendorProfile::identity`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentityField {
    /// The manufacturer's name (PDU2-MIB pduManufacturer).
    Manufacturer,
    /// The model (PDU2-MIB pduModel, PowerNet-MIB rPDUIdentModelNumber).
    Model,
    /// The serial number (PDU2-MIB pduSerialNumber, PowerNet-MIB rPDUIdentSerialNumber).
    SerialNumber,
    /// The firmware version (PowerNet-MIB rPDUIdentFirmwareRev).
    FirmwareVersion,
}

/// The counts of a PDU's parts its vendor's MIB reports beside the outlet count (which is the
/// PDU's `outlets`) ([`crate::profiles::VendorProfile::inventory`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InventoryCount {
    /// Power inlets (input cords): TRIPPLITE-PRODUCTS tlpPduIdentNumInputs.
    Inlets,
    /// Input phases: TRIPPLITE-PRODUCTS tlpPduIdentNumPhases, CPS-MIB ePDUIdentDeviceNumPhases.
    Phases,
    /// Outlet groups or banks, each behind its own breaker: TRIPPLITE-PRODUCTS
    /// tlpPduIdentNumOutletGroups, CPS-MIB ePDUIdentDeviceNumBreakers / ePDULoadDevNumBanks.
    OutletGroups,
    /// Units (devices) the agent manages: TRIPPLITE-PRODUCTS tlpDeviceNumDevices, VERTIV-V5-MIB
    /// deviceCount. Always the one unit the profile serves rows for, unless recorded otherwise.
    Units,
}

/// The SMI type an inventory count object has in its MIB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountSyntax {
    /// INTEGER / Integer32 (CPS-MIB, VERTIV-V5-MIB).
    Integer,
    /// Unsigned32, which is Gauge32 on the wire (RFC 2578 §7.1.11; TRIPPLITE-PRODUCTS).
    Unsigned32,
}

impl CountSyntax {
    /// `count` as a value of this type; an INTEGER above 2147483647 reads as 2147483647.
    pub fn value(self, count: u32) -> Value<'static> {
        match self {
            CountSyntax::Integer => Value::Integer(i32::try_from(count).unwrap_or(i32::MAX)),
            CountSyntax::Unsigned32 => Value::Gauge32(count),
        }
    }
}

/// Why a GET found nothing (RFC 3416 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// No declared object has this OID as an instance (noSuchObject).
    NoSuchObject,
    /// The object is declared but has no such instance (noSuchInstance).
    NoSuchInstance,
}

/// The object instances a PDU serves, in OID order, with the object types they belong to.
#[derive(Default, Debug)]
pub struct MibTree {
    instances: BTreeMap<Vec<u32>, Cell>,
    /// Object types (scalars without `.0`, table columns), with their maximum access.
    objects: BTreeMap<Vec<u32>, Access>,
}

impl MibTree {
    /// Declares an object type (a scalar's OID without `.0`, or a column's OID).
    pub fn object(&mut self, oid: &[u32], access: Access) {
        self.objects.insert(oid.to_vec(), access);
    }

    /// Adds an instance `object.index` of a declared object.
    pub fn instance(&mut self, object: &[u32], index: &[u32], cell: Cell) {
        let mut oid = Vec::with_capacity(object.len() + index.len());
        oid.extend_from_slice(object);
        oid.extend_from_slice(index);
        self.instances.insert(oid, cell);
    }

    /// Declares a scalar object and its `.0` instance in one go.
    pub fn scalar(&mut self, object: &[u32], access: Access, cell: Cell) {
        self.object(object, access);
        self.instance(object, &[0], cell);
    }

    /// The instance at exactly `oid`. Errors: [`Missing::NoSuchInstance`] when `oid` is under
    /// a declared object, else [`Missing::NoSuchObject`].
    pub fn get(&self, oid: &[u32]) -> Result<&Cell, Missing> {
        match self.instances.get(oid) {
            Some(cell) => Ok(cell),
            None if self.object_of(oid).is_some() => Err(Missing::NoSuchInstance),
            None => Err(Missing::NoSuchObject),
        }
    }

    /// The first instance strictly after `oid` in lexicographic order.
    pub fn next(&self, oid: &[u32]) -> Option<(&[u32], &Cell)> {
        self.instances
            .range::<[u32], _>((Bound::Excluded(oid), Bound::Unbounded))
            .next()
            .map(|(k, v)| (k.as_slice(), v))
    }

    /// The declared object that `oid` is an instance of (the longest declared prefix), if any.
    pub fn object_of(&self, oid: &[u32]) -> Option<(&[u32], Access)> {
        (1..oid.len()).rev().find_map(|len| {
            let prefix = oid.get(..len)?;
            self.objects
                .get_key_value(prefix)
                .map(|(k, a)| (k.as_slice(), *a))
        })
    }

    /// Moves or drops instances: `place` gets each instance's OID and cell and answers where
    /// it goes (`None`: dropped). An instance moved under an undeclared object declares it,
    /// with the access and arc count of the object it came from; objects left without
    /// instances stay declared (their instances read noSuchInstance). For the MIB-level quirks
    /// of [`crate::mib_quirks`].
    pub fn relocate(&mut self, mut place: impl FnMut(&[u32], &Cell) -> Option<Vec<u32>>) {
        let instances = std::mem::take(&mut self.instances);
        for (oid, cell) in instances {
            let Some(new) = place(&oid, &cell) else {
                continue;
            };
            if new != oid {
                if let Some((object, access)) = self.object_of(&oid) {
                    let len = object.len();
                    if let Some(prefix) = new.get(..len) {
                        if !self.objects.contains_key(prefix) {
                            self.objects.insert(prefix.to_vec(), access);
                        }
                    }
                }
            }
            self.instances.insert(new, cell);
        }
    }

    /// How many instances the tree holds.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// True when the tree holds no instance.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_tells_missing_object_from_missing_instance() {
        let mut t = MibTree::default();
        t.scalar(
            &[1, 3, 6, 1, 2, 1, 1, 1],
            Access::ReadOnly,
            Cell::Static(Value::Integer(1)),
        );
        assert!(t.get(&[1, 3, 6, 1, 2, 1, 1, 1, 0]).is_ok());
        assert_eq!(
            t.get(&[1, 3, 6, 1, 2, 1, 1, 1, 1]).unwrap_err(),
            Missing::NoSuchInstance
        );
        assert_eq!(
            t.get(&[1, 3, 6, 1, 2, 1, 1, 2, 0]).unwrap_err(),
            Missing::NoSuchObject
        );
        assert_eq!(
            t.get(&[1, 3, 6, 1, 2, 1, 1, 1]).unwrap_err(),
            Missing::NoSuchObject
        );
    }

    #[test]
    fn next_walks_in_oid_order() {
        let mut t = MibTree::default();
        t.object(&[1, 3, 6, 1, 4], Access::ReadOnly);
        for i in [10u32, 2, 1] {
            t.instance(
                &[1, 3, 6, 1, 4],
                &[i],
                Cell::Static(Value::Integer(i as i32)),
            );
        }
        let order: Vec<Vec<u32>> =
            std::iter::successors(t.next(&[1]).map(|(o, _)| o.to_vec()), |o| {
                t.next(o).map(|(o, _)| o.to_vec())
            })
            .collect();
        assert_eq!(
            order,
            vec![
                vec![1, 3, 6, 1, 4, 1],
                vec![1, 3, 6, 1, 4, 2],
                vec![1, 3, 6, 1, 4, 10]
            ]
        );
    }
}
