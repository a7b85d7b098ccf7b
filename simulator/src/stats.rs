//! The counters an agent keeps about itself: the SNMPv2-MIB snmp group (1.3.6.1.2.1.11),
//! usmStats (1.3.6.1.6.3.15.1.1), and the MPD / target counters RFC 3412 and 3413 define.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

macro_rules! counters {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name { $($(#[$field_meta])* pub $field: AtomicU32,)* }
    };
}

counters!(
    /// Counters that apply to the whole agent process.
    AgentStats {
        /// snmpInPkts (snmp.1, RFC 3418): datagrams received, readable or not.
        snmp_in_pkts,
        /// snmpOutPkts (snmp.2): messages answered (counted before Send-point faults act) and
        /// notification messages sent (every inform retransmission included).
        snmp_out_pkts,
        /// snmpInBadVersions (snmp.3): well-formed messages of a msgVersion not served.
        snmp_in_bad_versions,
        /// snmpInBadCommunityNames (snmp.4): v1/v2c messages whose community no PDU at the
        /// address knows (dropped).
        snmp_in_bad_community_names,
        /// snmpInBadCommunityUses (snmp.5): SETs with a read-only community.
        snmp_in_bad_community_uses,
        /// snmpInASNParseErrs (snmp.6): messages that do not decode (also a v1 GetBulk,
        /// RFC 3584 §4.1).
        snmp_in_asn_parse_errs,
        /// snmpSilentDrops (snmp.31): v1/v2c PDUs that are not requests (a Response or trap
        /// sent to the agent), dropped unanswered.
        snmp_silent_drops,
        /// Not a MIB object: SETs answered commitFailed and undone because their state file
        /// could not be written (a full disk, a read-only state directory).
        state_save_failures,
        /// snmpProxyDrops (snmp.32): always 0, the agent proxies nothing.
        snmp_proxy_drops,
        /// snmpInTooBigs (snmp.8, obsolete in RFC 3418): never counted.
        snmp_in_too_bigs,
        /// snmpInGetRequests (snmp.15): GetRequest PDUs processed.
        snmp_in_get_requests,
        /// snmpInGetNexts (snmp.16): GetNextRequest PDUs processed.
        snmp_in_get_nexts,
        /// snmpInSetRequests (snmp.17): SetRequest PDUs processed.
        snmp_in_set_requests,
        /// snmpOutGetResponses (snmp.28): Response PDUs sent.
        snmp_out_get_responses,
        /// snmpOutTraps (snmp.29, RFC 1213; obsolete in RFC 3418): notification PDUs generated
        /// (one per target; an inform's retransmissions are not counted again).
        snmp_out_traps,
        /// snmpOutTooBigs (snmp.20): Responses with error-status tooBig.
        snmp_out_too_bigs,
        /// snmpOutNoSuchNames (snmp.21): Responses with error-status noSuchName.
        snmp_out_no_such_names,
        /// snmpOutBadValues (snmp.22): Responses with error-status badValue.
        snmp_out_bad_values,
        /// snmpOutGenErrs (snmp.24): Responses with error-status genErr.
        snmp_out_gen_errs,
        /// snmpInTotalReqVars (snmp.13): objects read by GET, GETNEXT and GETBULK.
        snmp_in_total_req_vars,
        /// snmpInTotalSetVars (snmp.14): objects in SET requests.
        snmp_in_total_set_vars,
        // RFC 3412 snmpMPDStats
        /// snmpUnknownSecurityModels (RFC 3412 §7.2 step 4): v3 messages of a security model
        /// other than USM.
        snmp_unknown_security_models,
        /// snmpInvalidMsgs (RFC 3412 §7.2 step 5): v3 messages with inconsistent msgFlags
        /// (privacy without authentication).
        snmp_invalid_msgs,
        /// snmpUnknownPDUHandlers (RFC 3412 §4.2.2.1): v3 PDUs no application here handles: a
        /// contextEngineID that is not this engine's, or a PDU that is not a request.
        snmp_unknown_pdu_handlers,
        // RFC 3413 snmpTargetObjects
        /// snmpUnavailableContexts (RFC 3413 §3.2): never counted, every known context is
        /// available.
        snmp_unavailable_contexts,
        /// snmpUnknownContexts (RFC 3413 §3.2): v3 requests for a contextName no PDU serves.
        snmp_unknown_contexts,
        // RFC 3414 usmStats
        /// usmStatsUnsupportedSecLevels (RFC 3414 §3.2 step 5).
        usm_unsupported_sec_levels,
        /// usmStatsNotInTimeWindows (RFC 3414 §3.2 step 7).
        usm_not_in_time_windows,
        /// usmStatsUnknownUserNames (RFC 3414 §3.2 step 4).
        usm_unknown_user_names,
        /// usmStatsUnknownEngineIDs (RFC 3414 §3.2 step 3), discovery included.
        usm_unknown_engine_ids,
        /// usmStatsWrongDigests (RFC 3414 §3.2 step 6).
        usm_wrong_digests,
        /// usmStatsDecryptionErrors (RFC 3414 §3.2 step 8).
        usm_decryption_errors,
    }
);

/// Adds one, wrapping as a Counter32 does.
pub fn bump(counter: &AtomicU32) -> u32 {
    counter.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
}

/// The counter's current value (a Counter32: it wraps at 2^32).
pub fn read(counter: &AtomicU32) -> u32 {
    counter.load(Ordering::Relaxed)
}

/// The traffic counters of a PDU's management Ethernet port, served in IF-MIB (RFC 2863)
/// ifTable and ifXTable row 1 ([`crate::interfaces`]). Each count is 64 bits wide, as the
/// Counter64 columns (ifHCInOctets ...) are; the Counter32 columns (ifInOctets ...) serve its
/// low 32 bits. The counts are of the SNMP datagrams this PDU receives and sends (UDP payload
/// octets; the simulated link adds no headers), counted with one relaxed atomic add each.
#[derive(Debug, Default)]
pub struct InterfaceStats {
    /// Octets of the datagrams received for this PDU (ifHCInOctets before the offset).
    pub in_octets: AtomicU64,
    /// Datagrams received for this PDU (ifHCInUcastPkts before the offset).
    pub in_ucast_pkts: AtomicU64,
    /// Octets of the datagrams this PDU sent: answers and notifications (ifHCOutOctets before
    /// the offset).
    pub out_octets: AtomicU64,
    /// Datagrams this PDU sent (ifHCOutUcastPkts before the offset).
    pub out_ucast_pkts: AtomicU64,
    /// Added, wrapping modulo 2^64, to each of the four counts when served: the control API's
    /// `if_counter_offset`, which puts the counters where a long run would have taken them.
    pub offset: AtomicU64,
    /// ifCounterDiscontinuityTime: sysUpTime (TimeTicks, hundredths of a second) when the
    /// counters were last reset without an agent restart; 0 when they never were.
    pub discontinuity_time: AtomicU32,
}

impl InterfaceStats {
    /// Counts one datagram of `octets` received.
    pub fn received(&self, octets: usize) {
        self.in_octets
            .fetch_add(octets_u64(octets), Ordering::Relaxed);
        self.in_ucast_pkts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `datagrams` datagrams of `octets` each sent.
    pub fn sent(&self, octets: usize, datagrams: u64) {
        self.out_octets.fetch_add(
            octets_u64(octets).wrapping_mul(datagrams),
            Ordering::Relaxed,
        );
        self.out_ucast_pkts.fetch_add(datagrams, Ordering::Relaxed);
    }

    /// A count as its Counter64 column serves it: the count plus the offset, modulo 2^64.
    pub fn served(&self, count: &AtomicU64) -> u64 {
        count
            .load(Ordering::Relaxed)
            .wrapping_add(self.offset.load(Ordering::Relaxed))
    }

    /// Adds `by` to the offset, wrapping modulo 2^64: the served counters move on by `by`, as
    /// if that many more octets and datagrams had passed in each direction.
    pub fn add_offset(&self, by: u64) {
        // Atomic adds wrap on overflow.
        self.offset.fetch_add(by, Ordering::Relaxed);
    }

    /// Sets every count and the offset back to 0 and records `discontinuity_time`
    /// (ifCounterDiscontinuityTime, RFC 2863: the sysUpTime at which the counters suffered a
    /// discontinuity; 0 at an agent restart).
    pub fn reset(&self, discontinuity_time: u32) {
        for count in [
            &self.in_octets,
            &self.in_ucast_pkts,
            &self.out_octets,
            &self.out_ucast_pkts,
            &self.offset,
        ] {
            count.store(0, Ordering::Relaxed);
        }
        self.discontinuity_time
            .store(discontinuity_time, Ordering::Relaxed);
    }
}

fn octets_u64(octets: usize) -> u64 {
    u64::try_from(octets).unwrap_or(u64::MAX)
}
