//! The BER codec for SNMP messages: knows bytes, nothing of serving.
pub mod types;
pub use types::*;
