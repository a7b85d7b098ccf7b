//! The BER codec for SNMP messages: knows bytes, nothing of serving.
pub mod types;
pub use types::*;
pub mod ber;
pub mod decode;
pub mod encode;
pub use decode::*;
pub use encode::*;
