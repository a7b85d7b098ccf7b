//! Well-known OIDs, written from the MIBs (SNMPv2-MIB, SNMP-FRAMEWORK-MIB,
//! SNMP-USER-BASED-SM-MIB, Raritan's PDU2-MIB), never from anything the simulator prints.

/// sysDescr.0 (SNMPv2-MIB).
pub const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
/// sysObjectID.0 (SNMPv2-MIB).
pub const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
/// sysContact.0 (SNMPv2-MIB).
pub const SYS_CONTACT: &str = "1.3.6.1.2.1.1.4.0";
/// sysName.0 (SNMPv2-MIB).
pub const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";
/// sysLocation.0 (SNMPv2-MIB).
pub const SYS_LOCATION: &str = "1.3.6.1.2.1.1.6.0";
/// snmpInBadCommunityNames.0 (SNMPv2-MIB).
pub const SNMP_IN_BAD_COMMUNITY_NAMES: &str = "1.3.6.1.2.1.11.4.0";
/// snmpInASNParseErrs.0 (SNMPv2-MIB).
pub const SNMP_IN_ASN_PARSE_ERRS: &str = "1.3.6.1.2.1.11.6.0";
/// snmpEngineID.0 (SNMP-FRAMEWORK-MIB).
pub const SNMP_ENGINE_ID: &str = "1.3.6.1.6.3.10.2.1.1.0";
/// snmpEngineBoots.0 (SNMP-FRAMEWORK-MIB).
pub const SNMP_ENGINE_BOOTS: &str = "1.3.6.1.6.3.10.2.1.2.0";
/// usmStatsUnsupportedSecLevels.0 (SNMP-USER-BASED-SM-MIB).
pub const USM_STATS_UNSUPPORTED_SEC_LEVELS: &str = "1.3.6.1.6.3.15.1.1.1.0";
/// usmStatsNotInTimeWindows.0 (SNMP-USER-BASED-SM-MIB).
pub const USM_STATS_NOT_IN_TIME_WINDOWS: &str = "1.3.6.1.6.3.15.1.1.2.0";
/// usmStatsUnknownUserNames.0 (SNMP-USER-BASED-SM-MIB).
pub const USM_STATS_UNKNOWN_USER_NAMES: &str = "1.3.6.1.6.3.15.1.1.3.0";
/// usmStatsUnknownEngineIDs.0 (SNMP-USER-BASED-SM-MIB).
pub const USM_STATS_UNKNOWN_ENGINE_IDS: &str = "1.3.6.1.6.3.15.1.1.4.0";
/// usmStatsWrongDigests.0 (SNMP-USER-BASED-SM-MIB).
pub const USM_STATS_WRONG_DIGESTS: &str = "1.3.6.1.6.3.15.1.1.5.0";
/// usmStatsDecryptionErrors.0 (SNMP-USER-BASED-SM-MIB).
pub const USM_STATS_DECRYPTION_ERRORS: &str = "1.3.6.1.6.3.15.1.1.6.0";

/// Raritan's PDU2-MIB subtree.
pub const RARITAN: &str = "1.3.6.1.4.1.13742.6";
/// outletCount of PDU 1 (PDU2-MIB).
pub const OUTLET_COUNT: &str = "1.3.6.1.4.1.13742.6.3.2.2.1.4.1";
/// switchingOperation column (write 0 off, 1 on, 2 cycle), index 1.N.
pub const SWITCHING_OPERATION_COL: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";
/// outletSwitchingState column (7 on, 8 off), index 1.N.
pub const SWITCHING_STATE_COL: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.3.1";
/// outletName column (read-write), index 1.N.
pub const OUTLET_NAME_COL: &str = "1.3.6.1.4.1.13742.6.3.5.3.1.3.1";

/// outletSwitchingState on.
pub const STATE_ON: i64 = 7;
/// outletSwitchingState off.
pub const STATE_OFF: i64 = 8;

/// switchingOperation of outlet `outlet` (PDU 1).
pub fn control(outlet: u32) -> String {
    format!("{SWITCHING_OPERATION_COL}.{outlet}")
}

/// outletSwitchingState of outlet `outlet` (PDU 1).
pub fn state(outlet: u32) -> String {
    format!("{SWITCHING_STATE_COL}.{outlet}")
}

/// outletName of outlet `outlet` (PDU 1).
pub fn outlet_name(outlet: u32) -> String {
    format!("{OUTLET_NAME_COL}.{outlet}")
}
