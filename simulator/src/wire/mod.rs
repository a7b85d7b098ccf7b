//! The BER codec for SNMP messages: knows bytes, nothing of serving.
//!
//! - [`types`]: the decoded shapes (messages, PDUs, varbinds, SMI values).
//! - [`ber`]: a zero-copy reader of tags, definite lengths, INTEGERs and OIDs (strict: minimal
//!   encodings only), and the matching writer functions.
//! - [`decode`]: [`decode_message`] for datagrams, [`decode_scoped_pdu`] for decrypted
//!   ScopedPDUs. Results borrow from the input buffer (community, USM fields, octet strings), so
//!   decoding a request allocates only the varbind list and OID arcs. It never panics, bounds
//!   every allocation by bytes actually present, and names the failing byte offset.
//! - [`encode`]: net-snmp-identical encoding into a reused `Vec<u8>`, plus `encoded_len_of_*`
//!   so responses can be sized against msgMaxSize before they are written.
pub mod types;
pub use types::*;
pub mod ber;
pub mod decode;
pub mod encode;
pub use decode::*;
pub use encode::*;

#[cfg(test)]
mod codec_tests;
