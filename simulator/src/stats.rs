//! The counters an agent keeps about itself: the SNMPv2-MIB snmp group (1.3.6.1.2.1.11),
//! usmStats (1.3.6.1.6.3.15.1.1), and the MPD / target counters RFC 3412 and 3413 define.

use std::sync::atomic::{AtomicU32, Ordering};

macro_rules! counters {
    ($(#[$meta:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name { $(pub $field: AtomicU32,)* }
    };
}

counters!(
    /// Counters that apply to the whole agent process.
    AgentStats {
        snmp_in_pkts,
        snmp_out_pkts,
        snmp_in_bad_versions,
        snmp_in_bad_community_names,
        snmp_in_bad_community_uses,
        snmp_in_asn_parse_errs,
        snmp_silent_drops,
        snmp_proxy_drops,
        snmp_in_too_bigs,
        snmp_in_get_requests,
        snmp_in_get_nexts,
        snmp_in_set_requests,
        snmp_out_get_responses,
        snmp_out_too_bigs,
        snmp_out_no_such_names,
        snmp_out_bad_values,
        snmp_out_gen_errs,
        snmp_in_total_req_vars,
        snmp_in_total_set_vars,
        // RFC 3412 snmpMPDStats
        snmp_unknown_security_models,
        snmp_invalid_msgs,
        snmp_unknown_pdu_handlers,
        // RFC 3413 snmpTargetObjects
        snmp_unavailable_contexts,
        snmp_unknown_contexts,
        // RFC 3414 usmStats
        usm_unsupported_sec_levels,
        usm_not_in_time_windows,
        usm_unknown_user_names,
        usm_unknown_engine_ids,
        usm_wrong_digests,
        usm_decryption_errors,
    }
);

/// Adds one, wrapping as a Counter32 does.
pub fn bump(counter: &AtomicU32) -> u32 {
    counter.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
}

pub fn read(counter: &AtomicU32) -> u32 {
    counter.load(Ordering::Relaxed)
}
