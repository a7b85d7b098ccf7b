//! The standard object identifiers every SNMP engine serves or reads, defined once.
//!
//! Subtrees are given without an instance; scalar instances end in `.0`. Sources: SNMPv2-MIB
//! (RFC 3418), SNMP-FRAMEWORK-MIB (RFC 3411 §5), SNMP-MPD-MIB (RFC 3412 §5),
//! SNMP-TARGET-MIB (RFC 3413 §4.1), SNMP-USER-BASED-SM-MIB (RFC 3414 §5).

/// system (SNMPv2-MIB, RFC 3418): 1.3.6.1.2.1.1.
pub const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
/// sysDescr.0: a textual description of the entity.
pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
/// sysObjectID.0: the vendor's authoritative identification of the device.
pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
/// sysUpTime.0: hundredths of a second since the agent (re)started, as TimeTicks.
pub const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// sysContact.0 (read-write).
pub const SYS_CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
/// sysName.0 (read-write).
pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
/// sysLocation.0 (read-write).
pub const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
/// sysServices.0.
pub const SYS_SERVICES: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 7, 0];

/// snmp group (SNMPv2-MIB, RFC 3418): 1.3.6.1.2.1.11, the agent's message counters.
pub const SNMP_GROUP: &[u32] = &[1, 3, 6, 1, 2, 1, 11];
/// snmpEnableAuthenTraps.0: whether authenticationFailure notifications are sent (1 = enabled,
/// 2 = disabled).
pub const SNMP_ENABLE_AUTHEN_TRAPS: &[u32] = &[1, 3, 6, 1, 2, 1, 11, 30, 0];

/// snmpTrapOID.0: the second varbind of every SNMPv2 notification (RFC 3416 §4.2.6).
pub const SNMP_TRAP_OID: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// snmpTraps: the standard notifications (coldStart .1, warmStart .2, authenticationFailure .5).
pub const SNMP_TRAPS: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5];

/// snmpEngine (SNMP-FRAMEWORK-MIB, RFC 3411 §5): 1.3.6.1.6.3.10.2.1.
pub const SNMP_ENGINE: &[u32] = &[1, 3, 6, 1, 6, 3, 10, 2, 1];
/// snmpEngineID.0.
pub const SNMP_ENGINE_ID: &[u32] = &[1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0];
/// snmpEngineBoots.0.
pub const SNMP_ENGINE_BOOTS: &[u32] = &[1, 3, 6, 1, 6, 3, 10, 2, 1, 2, 0];
/// snmpEngineTime.0, in seconds.
pub const SNMP_ENGINE_TIME: &[u32] = &[1, 3, 6, 1, 6, 3, 10, 2, 1, 3, 0];
/// snmpEngineMaxMessageSize.0, in bytes.
pub const SNMP_ENGINE_MAX_MESSAGE_SIZE: &[u32] = &[1, 3, 6, 1, 6, 3, 10, 2, 1, 4, 0];

/// snmpMPDStats (SNMP-MPD-MIB, RFC 3412 §5): 1.3.6.1.6.3.11.2.1.
pub const SNMP_MPD_STATS: &[u32] = &[1, 3, 6, 1, 6, 3, 11, 2, 1];
/// snmpUnknownSecurityModels.0.
pub const SNMP_UNKNOWN_SECURITY_MODELS: &[u32] = &[1, 3, 6, 1, 6, 3, 11, 2, 1, 1, 0];
/// snmpInvalidMsgs.0.
pub const SNMP_INVALID_MSGS: &[u32] = &[1, 3, 6, 1, 6, 3, 11, 2, 1, 2, 0];
/// snmpUnknownPDUHandlers.0.
pub const SNMP_UNKNOWN_PDU_HANDLERS: &[u32] = &[1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0];

/// snmpTargetObjects (SNMP-TARGET-MIB, RFC 3413 §4.1): 1.3.6.1.6.3.12.1.
pub const SNMP_TARGET_OBJECTS: &[u32] = &[1, 3, 6, 1, 6, 3, 12, 1];
/// snmpUnavailableContexts.0.
pub const SNMP_UNAVAILABLE_CONTEXTS: &[u32] = &[1, 3, 6, 1, 6, 3, 12, 1, 4, 0];
/// snmpUnknownContexts.0.
pub const SNMP_UNKNOWN_CONTEXTS: &[u32] = &[1, 3, 6, 1, 6, 3, 12, 1, 5, 0];

/// usmStats (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): 1.3.6.1.6.3.15.1.1. Each counter's arc is
/// [`crate::report::UsmFailure`]'s discriminant.
pub const USM_STATS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1];

/// interfaces (IF-MIB, RFC 2863; MIB-II): 1.3.6.1.2.1.2. ifNumber is arc 1, ifTable arc 2.
pub const INTERFACES: &[u32] = &[1, 3, 6, 1, 2, 1, 2];
/// ifNumber.0 (IF-MIB, RFC 2863): how many rows ifTable has.
pub const IF_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];
/// ifEntry (IF-MIB, RFC 2863): 1.3.6.1.2.1.2.2.1; column N of row I is `ifEntry.N.I`.
pub const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
/// ifMIB (IF-MIB, RFC 2863): 1.3.6.1.2.1.31, the home of ifXTable.
pub const IF_MIB: &[u32] = &[1, 3, 6, 1, 2, 1, 31];
/// ifXEntry (IF-MIB, RFC 2863): 1.3.6.1.2.1.31.1.1.1; column N of row I is `ifXEntry.N.I`.
pub const IF_X_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
/// ifTableLastChange.0 (IF-MIB, RFC 2863): sysUpTime of the last row change of ifTable.
pub const IF_TABLE_LAST_CHANGE: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 5, 0];
