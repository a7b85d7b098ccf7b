//! pdusim: a simulated switched PDU speaking SNMP v1, v2c and v3.
//!
//! Data flows one way: `wire` (BER) -> `security` (community / USM) -> `agent` (MIB view)
//! -> `pdu` (outlet model) -> back out through `security` and `wire`.
#![forbid(unsafe_code)]

pub mod wire;
