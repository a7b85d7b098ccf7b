//! The standard MIB groups every PDU serves, whatever its vendor: system and snmp
//! (SNMPv2-MIB, RFC 3418), snmpEngine (SNMP-FRAMEWORK-MIB, RFC 3411), snmpMPDStats
//! (SNMP-MPD-MIB, RFC 3412), snmpUnavailableContexts/snmpUnknownContexts (SNMP-TARGET-MIB,
//! RFC 3413) and usmStats (SNMP-USER-BASED-SM-MIB, RFC 3414). Values are read live from the
//! device's state, engine and counters ([`crate::stats::AgentStats`]); the OIDs come from
//! [`snmp_proto::oids`].

use snmp_proto::oids;

use crate::access::Access;
use crate::mib::{Cell, EngineObject, MibTree, SystemObject};
use crate::stats::AgentStats;

fn under(prefix: &[u32], arc: u32) -> Vec<u32> {
    let mut o = prefix.to_vec();
    o.push(arc);
    o
}

/// Declares every standard object in `t`.
pub fn register(t: &mut MibTree) {
    let system = [
        (1, Access::ReadOnly, SystemObject::Descr),
        (2, Access::ReadOnly, SystemObject::ObjectId),
        (3, Access::ReadOnly, SystemObject::UpTime),
        (4, Access::ReadWrite, SystemObject::Contact),
        (5, Access::ReadWrite, SystemObject::Name),
        (6, Access::ReadWrite, SystemObject::Location),
        (7, Access::ReadOnly, SystemObject::Services),
    ];
    for (arc, access, object) in system {
        t.scalar(&under(oids::SYSTEM, arc), access, Cell::System(object));
    }
    type Counter = fn(&AgentStats) -> &std::sync::atomic::AtomicU32;
    let snmp: [(u32, Counter); 19] = [
        (1, |s| &s.snmp_in_pkts),
        (2, |s| &s.snmp_out_pkts),
        (3, |s| &s.snmp_in_bad_versions),
        (4, |s| &s.snmp_in_bad_community_names),
        (5, |s| &s.snmp_in_bad_community_uses),
        (6, |s| &s.snmp_in_asn_parse_errs),
        (8, |s| &s.snmp_in_too_bigs),
        (13, |s| &s.snmp_in_total_req_vars),
        (14, |s| &s.snmp_in_total_set_vars),
        (15, |s| &s.snmp_in_get_requests),
        (16, |s| &s.snmp_in_get_nexts),
        (17, |s| &s.snmp_in_set_requests),
        (20, |s| &s.snmp_out_too_bigs),
        (21, |s| &s.snmp_out_no_such_names),
        (22, |s| &s.snmp_out_bad_values),
        (24, |s| &s.snmp_out_gen_errs),
        (28, |s| &s.snmp_out_get_responses),
        (29, |s| &s.snmp_out_traps),
        (31, |s| &s.snmp_silent_drops),
    ];
    for (arc, counter) in snmp {
        t.scalar(
            &under(oids::SNMP_GROUP, arc),
            Access::ReadOnly,
            Cell::Counter(counter),
        );
    }
    // snmpEnableAuthenTraps: writable, kept with the PDU's state.
    t.scalar(
        &under(oids::SNMP_GROUP, 30),
        Access::ReadWrite,
        Cell::System(SystemObject::EnableAuthenTraps),
    );
    t.scalar(
        &under(oids::SNMP_GROUP, 32),
        Access::ReadOnly,
        Cell::Counter(|s| &s.snmp_proxy_drops),
    );
    let engine = [
        (1, EngineObject::Id),
        (2, EngineObject::Boots),
        (3, EngineObject::Time),
        (4, EngineObject::MaxMessageSize),
    ];
    for (arc, object) in engine {
        t.scalar(
            &under(oids::SNMP_ENGINE, arc),
            Access::ReadOnly,
            Cell::Engine(object),
        );
    }
    let mpd: [(u32, Counter); 3] = [
        (1, |s| &s.snmp_unknown_security_models),
        (2, |s| &s.snmp_invalid_msgs),
        (3, |s| &s.snmp_unknown_pdu_handlers),
    ];
    for (arc, counter) in mpd {
        t.scalar(
            &under(oids::SNMP_MPD_STATS, arc),
            Access::ReadOnly,
            Cell::Counter(counter),
        );
    }
    t.scalar(
        &under(oids::SNMP_TARGET_OBJECTS, 4),
        Access::ReadOnly,
        Cell::Counter(|s| &s.snmp_unavailable_contexts),
    );
    t.scalar(
        &under(oids::SNMP_TARGET_OBJECTS, 5),
        Access::ReadOnly,
        Cell::Counter(|s| &s.snmp_unknown_contexts),
    );
    let usm: [(u32, Counter); 6] = [
        (1, |s| &s.usm_unsupported_sec_levels),
        (2, |s| &s.usm_not_in_time_windows),
        (3, |s| &s.usm_unknown_user_names),
        (4, |s| &s.usm_unknown_engine_ids),
        (5, |s| &s.usm_wrong_digests),
        (6, |s| &s.usm_decryption_errors),
    ];
    for (arc, counter) in usm {
        t.scalar(
            &under(oids::USM_STATS, arc),
            Access::ReadOnly,
            Cell::Counter(counter),
        );
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::device::Device;
    use crate::mib::Missing;
    use snmp_proto::{Oid, Value};

    type Counter = fn(&AgentStats) -> &AtomicU32;

    fn arcs(text: &str) -> Vec<u32> {
        Oid::parse(text).unwrap().0
    }

    /// Every counter, at the instance OID its MIB gives it (SNMPv2-MIB, SNMP-MPD-MIB,
    /// SNMP-TARGET-MIB, SNMP-USER-BASED-SM-MIB), written out here rather than taken from `oids`.
    fn counters() -> Vec<(&'static str, Counter)> {
        vec![
            ("1.3.6.1.2.1.11.1.0", |s| &s.snmp_in_pkts),
            ("1.3.6.1.2.1.11.2.0", |s| &s.snmp_out_pkts),
            ("1.3.6.1.2.1.11.3.0", |s| &s.snmp_in_bad_versions),
            ("1.3.6.1.2.1.11.4.0", |s| &s.snmp_in_bad_community_names),
            ("1.3.6.1.2.1.11.5.0", |s| &s.snmp_in_bad_community_uses),
            ("1.3.6.1.2.1.11.6.0", |s| &s.snmp_in_asn_parse_errs),
            ("1.3.6.1.2.1.11.8.0", |s| &s.snmp_in_too_bigs),
            ("1.3.6.1.2.1.11.13.0", |s| &s.snmp_in_total_req_vars),
            ("1.3.6.1.2.1.11.14.0", |s| &s.snmp_in_total_set_vars),
            ("1.3.6.1.2.1.11.15.0", |s| &s.snmp_in_get_requests),
            ("1.3.6.1.2.1.11.16.0", |s| &s.snmp_in_get_nexts),
            ("1.3.6.1.2.1.11.17.0", |s| &s.snmp_in_set_requests),
            ("1.3.6.1.2.1.11.20.0", |s| &s.snmp_out_too_bigs),
            ("1.3.6.1.2.1.11.21.0", |s| &s.snmp_out_no_such_names),
            ("1.3.6.1.2.1.11.22.0", |s| &s.snmp_out_bad_values),
            ("1.3.6.1.2.1.11.24.0", |s| &s.snmp_out_gen_errs),
            ("1.3.6.1.2.1.11.28.0", |s| &s.snmp_out_get_responses),
            ("1.3.6.1.2.1.11.29.0", |s| &s.snmp_out_traps),
            ("1.3.6.1.2.1.11.31.0", |s| &s.snmp_silent_drops),
            ("1.3.6.1.2.1.11.32.0", |s| &s.snmp_proxy_drops),
            ("1.3.6.1.6.3.11.2.1.1.0", |s| {
                &s.snmp_unknown_security_models
            }),
            ("1.3.6.1.6.3.11.2.1.2.0", |s| &s.snmp_invalid_msgs),
            ("1.3.6.1.6.3.11.2.1.3.0", |s| &s.snmp_unknown_pdu_handlers),
            ("1.3.6.1.6.3.12.1.4.0", |s| &s.snmp_unavailable_contexts),
            ("1.3.6.1.6.3.12.1.5.0", |s| &s.snmp_unknown_contexts),
            ("1.3.6.1.6.3.15.1.1.1.0", |s| &s.usm_unsupported_sec_levels),
            ("1.3.6.1.6.3.15.1.1.2.0", |s| &s.usm_not_in_time_windows),
            ("1.3.6.1.6.3.15.1.1.3.0", |s| &s.usm_unknown_user_names),
            ("1.3.6.1.6.3.15.1.1.4.0", |s| &s.usm_unknown_engine_ids),
            ("1.3.6.1.6.3.15.1.1.5.0", |s| &s.usm_wrong_digests),
            ("1.3.6.1.6.3.15.1.1.6.0", |s| &s.usm_decryption_errors),
        ]
    }

    /// The other instances: system (RFC 3418), snmpEnableAuthenTraps, snmpEngine (RFC 3411).
    const OTHERS: [&str; 12] = [
        "1.3.6.1.2.1.1.1.0",
        "1.3.6.1.2.1.1.2.0",
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.2.1.1.4.0",
        "1.3.6.1.2.1.1.5.0",
        "1.3.6.1.2.1.1.6.0",
        "1.3.6.1.2.1.1.7.0",
        "1.3.6.1.2.1.11.30.0",
        "1.3.6.1.6.3.10.2.1.1.0",
        "1.3.6.1.6.3.10.2.1.2.0",
        "1.3.6.1.6.3.10.2.1.3.0",
        "1.3.6.1.6.3.10.2.1.4.0",
    ];

    fn tree() -> MibTree {
        let mut t = MibTree::default();
        register(&mut t);
        t
    }

    #[test]
    fn every_counter_is_served_at_the_oid_its_mib_gives_it() {
        let t = tree();
        let stats = AgentStats::default();
        for (text, expected) in counters() {
            match t.get(&arcs(text)) {
                Ok(Cell::Counter(served)) => assert!(
                    std::ptr::eq(served(&stats), expected(&stats)),
                    "{text} serves another counter"
                ),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_groups_hold_exactly_these_instances_in_oid_order() {
        let t = tree();
        let mut expected: Vec<Vec<u32>> = counters()
            .into_iter()
            .map(|(text, _)| arcs(text))
            .chain(OTHERS.iter().map(|text| arcs(text)))
            .collect();
        expected.sort();
        let mut walked = Vec::new();
        let mut cursor: Vec<u32> = Vec::new();
        while let Some((next, _)) = t.next(&cursor) {
            cursor = next.to_vec();
            walked.push(cursor.clone());
        }
        assert_eq!(walked, expected);
        assert_eq!(t.len(), 43);
    }

    #[test]
    fn only_sys_contact_name_location_and_enable_authen_traps_are_writable() {
        let t = tree();
        for text in counters().into_iter().map(|(t, _)| t).chain(OTHERS) {
            let instance = arcs(text);
            let (object, access) = t.object_of(&instance).unwrap();
            assert_eq!(object, &instance[..instance.len() - 1], "{text}");
            let writable = [
                "1.3.6.1.2.1.1.4.0",
                "1.3.6.1.2.1.1.5.0",
                "1.3.6.1.2.1.1.6.0",
                "1.3.6.1.2.1.11.30.0",
            ];
            let expected = if writable.contains(&text) {
                Access::ReadWrite
            } else {
                Access::ReadOnly
            };
            assert_eq!(access, expected, "{text}");
        }
        // The snmp group's unused and unimplemented arcs are not objects.
        for text in [
            "1.3.6.1.2.1.11.7.0",
            "1.3.6.1.2.1.11.9.0",
            "1.3.6.1.2.1.11.19.0",
        ] {
            assert_eq!(
                t.get(&arcs(text)).err(),
                Some(Missing::NoSuchObject),
                "{text}"
            );
        }
        assert_eq!(
            t.get(&arcs("1.3.6.1.2.1.1.5.1")).err(),
            Some(Missing::NoSuchInstance)
        );
    }

    #[test]
    fn values_are_read_live_from_the_device_engine_and_counters() {
        let config = r#"
[[pdu]]
name = "a"
engine_id = "8000000001020304"
sys_descr = "a test PDU"
sys_contact = "ops@example.com"
[[pdu.community]]
name = "c"
"#;
        let mut spec = FileConfig::parse(config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = None;
        let clock = Arc::new(ManualClock::default());
        let d = Device::start(spec, clock.clone()).unwrap();
        let value = |text: &str| {
            let cell = d.tree().get(&arcs(text)).unwrap();
            let mut state = d.lock_state();
            d.read(cell, &mut state, d.now())
        };
        clock.advance(Duration::from_millis(12_345));
        d.stats.snmp_in_pkts.store(5, Ordering::Relaxed);
        d.stats.usm_wrong_digests.store(3, Ordering::Relaxed);
        let expected = [
            ("1.3.6.1.2.1.1.1.0", Value::octets("a test PDU")),
            (
                "1.3.6.1.2.1.1.2.0",
                Value::ObjectId(Oid::parse("1.3.6.1.4.1.13742.6").unwrap()),
            ),
            ("1.3.6.1.2.1.1.3.0", Value::TimeTicks(1234)),
            ("1.3.6.1.2.1.1.4.0", Value::octets("ops@example.com")),
            ("1.3.6.1.2.1.1.7.0", Value::Integer(72)),
            ("1.3.6.1.2.1.11.1.0", Value::Counter32(5)),
            ("1.3.6.1.2.1.11.30.0", Value::Integer(2)),
            (
                "1.3.6.1.6.3.10.2.1.1.0",
                Value::octets(vec![0x80, 0, 0, 0, 1, 2, 3, 4]),
            ),
            ("1.3.6.1.6.3.10.2.1.2.0", Value::Integer(1)),
            ("1.3.6.1.6.3.10.2.1.3.0", Value::Integer(12)),
            ("1.3.6.1.6.3.10.2.1.4.0", Value::Integer(65507)),
            ("1.3.6.1.6.3.15.1.1.5.0", Value::Counter32(3)),
        ];
        for (text, v) in expected {
            assert_eq!(value(text), v, "{text}");
        }
        // An agent restart: sysUpTime and snmpEngineTime from 0 again, boots + 1.
        d.restart(true).unwrap();
        clock.advance(Duration::from_secs(2));
        assert_eq!(value("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(200));
        assert_eq!(value("1.3.6.1.6.3.10.2.1.2.0"), Value::Integer(2));
        assert_eq!(value("1.3.6.1.6.3.10.2.1.3.0"), Value::Integer(2));
    }
}
