//! The standard MIB groups every PDU serves, whatever its vendor: system and snmp
//! (SNMPv2-MIB, RFC 3418), snmpEngine (SNMP-FRAMEWORK-MIB, RFC 3411), snmpMPDStats
//! (SNMP-MPD-MIB, RFC 3412), snmpUnavailableContexts/snmpUnknownContexts (SNMP-TARGET-MIB,
//! RFC 3413) and usmStats (SNMP-USER-BASED-SM-MIB, RFC 3414). Values are read live from the
//! device's state, engine and counters ([`crate::stats::AgentStats`]); the OIDs come from
//! [`snmp_proto::oids`].

use snmp_proto::{oids, Value};

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
    let snmp: [(u32, Counter); 18] = [
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
        (31, |s| &s.snmp_silent_drops),
    ];
    for (arc, counter) in snmp {
        t.scalar(
            &under(oids::SNMP_GROUP, arc),
            Access::ReadOnly,
            Cell::Counter(counter),
        );
    }
    // snmpEnableAuthenTraps: disabled(2); this agent sends no traps.
    t.scalar(
        &under(oids::SNMP_GROUP, 30),
        Access::ReadOnly,
        Cell::Static(Value::Integer(2)),
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
