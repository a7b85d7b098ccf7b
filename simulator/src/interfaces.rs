//! IF-MIB (RFC 2863) for a PDU's one network interface, its management Ethernet port, as the
//! network cards of real PDUs (net-snmp inside) serve it: ifNumber.0 = 1, ifTable row 1 and
//! ifXTable row 1, and ifTableLastChange.0.
//!
//! The fixed columns are [`Cell::Static`]: ifDescr and ifName `eth0`, ifType ethernetCsmacd(6),
//! ifMtu 1500, ifSpeed 100000000 and ifHighSpeed 100 (100 Mb/s), ifAdminStatus and ifOperStatus
//! up(1), ifLastChange 0 (the port came up with the agent). The live ones are
//! [`Cell::Interface`]:
//!
//! - ifPhysAddress: a locally administered MAC address derived from the PDU's address and name
//!   ([`mac_address`]);
//! - the traffic counters, from the PDU's [`crate::stats::InterfaceStats`]: ifHCInOctets,
//!   ifHCOutOctets, ifHCInUcastPkts, ifHCOutUcastPkts (Counter64, modulo 2^64) and ifInOctets,
//!   ifOutOctets, ifInUcastPkts, ifOutUcastPkts (Counter32: the low 32 bits of the same counts);
//! - ifCounterDiscontinuityTime (TimeTicks).
//!
//! The error, discard, unknown-protocol, non-unicast, multicast and broadcast counters stay 0:
//! the simulated link loses and damages nothing, and the agent sends and receives unicast
//! datagrams only. Malformed SNMP messages are not ifInErrors: they arrived intact and were
//! handed to the SNMP engine, which counts them (snmpInASNParseErrs); they do count in
//! ifInOctets and ifInUcastPkts as every datagram does.
//!
//! The writable objects of the MIB (ifAdminStatus, ifLinkUpDownTrapEnable, ifPromiscuousMode,
//! ifAlias) are served read-only, as RFC 2863's compliance statements allow: a SET of them is
//! notWritable (taking down the management port would cut the manager off).
//!
//! A recording that has rows of its own under interfaces (1.3.6.1.2.1.2) or ifMIB
//! (1.3.6.1.2.1.31) keeps them, and none of these objects are served for it
//! ([`has_recorded_interfaces`]).

use std::net::SocketAddr;

use snmp_proto::{oids, Oid, Value};

use crate::access::Access;
use crate::mib::{Cell, InterfaceObject, MibTree, TrafficCounter};

/// ifIndex of the management port.
pub const IF_INDEX: u32 = 1;
/// ifDescr and ifName of the management port.
pub const IF_NAME: &str = "eth0";
/// ifSpeed: 100 Mb/s, in bits per second (Gauge32).
pub const IF_SPEED: u32 = 100_000_000;
/// ifHighSpeed: the same speed in units of 1,000,000 bits per second (Gauge32).
pub const IF_HIGH_SPEED: u32 = 100;
/// ifMtu: the largest datagram the port sends or receives, in octets.
pub const IF_MTU: i32 = 1500;
/// ifType ethernetCsmacd (IANAifType-MIB).
pub const ETHERNET_CSMACD: i32 = 6;

fn traffic(counter: TrafficCounter, high_capacity: bool) -> Cell {
    Cell::Interface(InterfaceObject::Traffic {
        counter,
        high_capacity,
    })
}

/// Declares ifNumber.0, ifTable row 1, ifXTable row 1 and ifTableLastChange.0 in `t`.
pub fn register(t: &mut MibTree) {
    use TrafficCounter::{InOctets, InUcastPkts, OutOctets, OutUcastPkts};
    let zero32 = || Cell::Static(Value::Counter32(0));
    let zero64 = || Cell::Static(Value::Counter64(0));
    let index = i32::try_from(IF_INDEX).unwrap_or(1);
    t.scalar(
        oids::IF_NUMBER.split_last().map_or(&[][..], |(_, o)| o),
        Access::ReadOnly,
        Cell::Static(Value::Integer(1)),
    );
    let if_table: [(u32, Cell); 22] = [
        (1, Cell::Static(Value::Integer(index))),
        (2, Cell::Static(Value::octets(IF_NAME))),
        (3, Cell::Static(Value::Integer(ETHERNET_CSMACD))),
        (4, Cell::Static(Value::Integer(IF_MTU))),
        (5, Cell::Static(Value::Gauge32(IF_SPEED))),
        (6, Cell::Interface(InterfaceObject::PhysAddress)),
        // ifAdminStatus, ifOperStatus: up(1).
        (7, Cell::Static(Value::Integer(1))),
        (8, Cell::Static(Value::Integer(1))),
        // ifLastChange: the port has been up since the agent started.
        (9, Cell::Static(Value::TimeTicks(0))),
        (10, traffic(InOctets, false)),
        (11, traffic(InUcastPkts, false)),
        // ifInNUcastPkts (deprecated), ifInDiscards, ifInErrors, ifInUnknownProtos.
        (12, zero32()),
        (13, zero32()),
        (14, zero32()),
        (15, zero32()),
        (16, traffic(OutOctets, false)),
        (17, traffic(OutUcastPkts, false)),
        // ifOutNUcastPkts (deprecated), ifOutDiscards, ifOutErrors.
        (18, zero32()),
        (19, zero32()),
        (20, zero32()),
        // ifOutQLen (deprecated, Gauge32), ifSpecific (deprecated: zeroDotZero).
        (21, Cell::Static(Value::Gauge32(0))),
        (22, Cell::Static(Value::ObjectId(Oid::new(&[0, 0])))),
    ];
    let if_x_table: [(u32, Cell); 19] = [
        (1, Cell::Static(Value::octets(IF_NAME))),
        // ifInMulticastPkts, ifInBroadcastPkts, ifOutMulticastPkts, ifOutBroadcastPkts.
        (2, zero32()),
        (3, zero32()),
        (4, zero32()),
        (5, zero32()),
        (6, traffic(InOctets, true)),
        (7, traffic(InUcastPkts, true)),
        // ifHCInMulticastPkts, ifHCInBroadcastPkts.
        (8, zero64()),
        (9, zero64()),
        (10, traffic(OutOctets, true)),
        (11, traffic(OutUcastPkts, true)),
        // ifHCOutMulticastPkts, ifHCOutBroadcastPkts.
        (12, zero64()),
        (13, zero64()),
        // ifLinkUpDownTrapEnable: enabled(1), the MIB's default for a bottom-layer interface.
        (14, Cell::Static(Value::Integer(1))),
        (15, Cell::Static(Value::Gauge32(IF_HIGH_SPEED))),
        // ifPromiscuousMode false(2), ifConnectorPresent true(1), ifAlias empty.
        (16, Cell::Static(Value::Integer(2))),
        (17, Cell::Static(Value::Integer(1))),
        (18, Cell::Static(Value::octets(""))),
        (
            19,
            Cell::Interface(InterfaceObject::CounterDiscontinuityTime),
        ),
    ];
    for (entry, columns) in [
        (oids::IF_ENTRY, if_table.to_vec()),
        (oids::IF_X_ENTRY, if_x_table.to_vec()),
    ] {
        for (column, cell) in columns {
            let mut object = entry.to_vec();
            object.push(column);
            t.object(&object, Access::ReadOnly);
            t.instance(&object, &[IF_INDEX], cell);
        }
    }
    t.scalar(
        oids::IF_TABLE_LAST_CHANGE
            .split_last()
            .map_or(&[][..], |(_, o)| o),
        Access::ReadOnly,
        Cell::Static(Value::TimeTicks(0)),
    );
}

/// Whether `oids` (a recording's) hold objects under interfaces (1.3.6.1.2.1.2) or ifMIB
/// (1.3.6.1.2.1.31): then the recording's interface rows are served and [`register`]'s are not.
pub fn has_recorded_interfaces<'a>(mut oids: impl Iterator<Item = &'a Oid>) -> bool {
    oids.any(|oid| oid.starts_with(oids::INTERFACES) || oid.starts_with(oids::IF_MIB))
}

/// ifPhysAddress of the PDU named `name` answering at `address`: a locally administered
/// unicast MAC address (first octet 0x02), then two octets from the name and three from the
/// address, the same three a quick-flag PDU's sysName shows in hex
/// ([`crate::factory::FactoryIdentity::sys_name`]), as real cards derive their default host
/// name from their MAC address. The same at every start; PDUs sharing an address differ by
/// name.
pub fn mac_address(address: Option<SocketAddr>, name: &str) -> [u8; 6] {
    let tag = crate::factory::address_tag(address).to_be_bytes();
    let by_name = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let [_, _, n1, n2] = by_name.to_be_bytes();
    let [_, a1, a2, a3] = tag;
    [0x02, n1, n2, a1, a2, a3]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn arcs(text: &str) -> Vec<u32> {
        Oid::parse(text).unwrap().0
    }

    /// Every instance at the OID IF-MIB gives it (checked with `snmptranslate -On` against
    /// RFC 2863's IF-MIB), written out here rather than built from `oids`.
    #[test]
    fn objects_are_at_the_oids_of_if_mib() {
        let mut t = MibTree::default();
        register(&mut t);
        let mut expected: Vec<Vec<u32>> =
            vec![arcs("1.3.6.1.2.1.2.1.0"), arcs("1.3.6.1.2.1.31.1.5.0")];
        expected.extend((1..=22).map(|c| arcs(&format!("1.3.6.1.2.1.2.2.1.{c}.1"))));
        expected.extend((1..=19).map(|c| arcs(&format!("1.3.6.1.2.1.31.1.1.1.{c}.1"))));
        expected.sort();
        let mut walked = Vec::new();
        let mut cursor: Vec<u32> = Vec::new();
        while let Some((next, _)) = t.next(&cursor) {
            cursor = next.to_vec();
            walked.push(cursor.clone());
        }
        assert_eq!(walked, expected);
        let traffic_at = |text: &str| match t.get(&arcs(text)).unwrap() {
            Cell::Interface(InterfaceObject::Traffic {
                counter,
                high_capacity,
            }) => (*counter, *high_capacity),
            other => panic!("{text}: {other:?}"),
        };
        use TrafficCounter::*;
        for (text, expected) in [
            ("1.3.6.1.2.1.2.2.1.10.1", (InOctets, false)),
            ("1.3.6.1.2.1.2.2.1.11.1", (InUcastPkts, false)),
            ("1.3.6.1.2.1.2.2.1.16.1", (OutOctets, false)),
            ("1.3.6.1.2.1.2.2.1.17.1", (OutUcastPkts, false)),
            ("1.3.6.1.2.1.31.1.1.1.6.1", (InOctets, true)),
            ("1.3.6.1.2.1.31.1.1.1.7.1", (InUcastPkts, true)),
            ("1.3.6.1.2.1.31.1.1.1.10.1", (OutOctets, true)),
            ("1.3.6.1.2.1.31.1.1.1.11.1", (OutUcastPkts, true)),
        ] {
            assert_eq!(traffic_at(text), expected, "{text}");
        }
        let fixed = |text: &str| match t.get(&arcs(text)).unwrap() {
            Cell::Static(v) => v.clone(),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(fixed("1.3.6.1.2.1.2.1.0"), Value::Integer(1));
        assert_eq!(fixed("1.3.6.1.2.1.2.2.1.1.1"), Value::Integer(1));
        assert_eq!(fixed("1.3.6.1.2.1.2.2.1.2.1"), Value::octets("eth0"));
        assert_eq!(fixed("1.3.6.1.2.1.2.2.1.3.1"), Value::Integer(6));
        assert_eq!(fixed("1.3.6.1.2.1.2.2.1.4.1"), Value::Integer(1500));
        assert_eq!(fixed("1.3.6.1.2.1.2.2.1.5.1"), Value::Gauge32(100_000_000));
        assert_eq!(fixed("1.3.6.1.2.1.2.2.1.8.1"), Value::Integer(1));
        assert_eq!(fixed("1.3.6.1.2.1.31.1.1.1.1.1"), Value::octets("eth0"));
        assert_eq!(fixed("1.3.6.1.2.1.31.1.1.1.15.1"), Value::Gauge32(100));
        assert!(matches!(
            t.get(&arcs("1.3.6.1.2.1.31.1.1.1.19.1")).unwrap(),
            Cell::Interface(InterfaceObject::CounterDiscontinuityTime)
        ));
        // Read-only throughout, ifAdminStatus included.
        assert_eq!(
            t.object_of(&arcs("1.3.6.1.2.1.2.2.1.7.1")).unwrap().1,
            Access::ReadOnly
        );
        assert_eq!(
            t.get(&arcs("1.3.6.1.2.1.2.2.1.10.2")).err(),
            Some(crate::mib::Missing::NoSuchInstance)
        );
    }

    /// Every vendor profile's PDU serves the management port, and its own objects never take
    /// an IF-MIB OID.
    #[test]
    fn every_profile_serves_the_management_port() {
        for vendor in crate::profiles::PROFILES {
            let t = crate::device::build_tree(*vendor, 2, None);
            assert!(
                matches!(
                    t.get(&arcs("1.3.6.1.2.1.31.1.1.1.6.1")),
                    Ok(Cell::Interface(InterfaceObject::Traffic {
                        counter: TrafficCounter::InOctets,
                        high_capacity: true
                    }))
                ),
                "{}",
                vendor.name()
            );
            assert!(
                matches!(
                    t.get(&arcs("1.3.6.1.2.1.2.2.1.2.1")),
                    Ok(Cell::Static(v)) if *v == Value::octets(IF_NAME)
                ),
                "{}",
                vendor.name()
            );
        }
    }

    #[test]
    fn the_mac_address_is_locally_administered_stable_and_follows_address_and_name() {
        let at = |a: &str| a.parse().ok();
        let mac = mac_address(at("127.0.0.1:1161"), "px2");
        assert_eq!(mac[0], 0x02, "locally administered, unicast");
        assert_eq!(mac, mac_address(at("127.0.0.1:1161"), "px2"));
        assert_ne!(mac, mac_address(at("127.0.0.1:1162"), "px2"));
        assert_ne!(mac, mac_address(at("127.0.0.1:1161"), "px2-b"));
        // The address part is what a quick-flag sysName shows.
        let sys_name = crate::factory::identity("apc-rpdu2").sys_name(at("127.0.0.1:1161"));
        let hex: String = mac[3..].iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(sys_name, format!("apc{hex}"));
    }

    #[test]
    fn recordings_with_interface_rows_are_recognised() {
        let with = [
            Oid::parse("1.3.6.1.2.1.1.5.0").unwrap(),
            Oid::parse("1.3.6.1.2.1.2.2.1.10.2").unwrap(),
        ];
        assert!(has_recorded_interfaces(with.iter()));
        let x = [Oid::parse("1.3.6.1.2.1.31.1.1.1.6.1").unwrap()];
        assert!(has_recorded_interfaces(x.iter()));
        let without = [
            Oid::parse("1.3.6.1.2.1.1.5.0").unwrap(),
            Oid::parse("1.3.6.1.2.1.25.1.0").unwrap(),
            Oid::parse("1.3.6.1.2.1.3.1.0").unwrap(),
        ];
        assert!(!has_recorded_interfaces(without.iter()));
    }
}
