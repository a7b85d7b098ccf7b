//! snmp-proto: the SNMP protocol as bytes and keys, shared by the agent (`pdusim`), the driver's
//! diagnosis probe (`pdu-driver`) and the conformance kit (`pdu-conformance`). It knows messages,
//! PDUs and USM; it knows nothing of serving, sockets, PDUs-the-hardware or outlets.
//!
//! - [`message`]: the decoded shapes (messages, PDUs, varbinds, SMI values, error-status names).
//! - [`ber`]: a zero-copy reader of tags, definite lengths, INTEGERs and OIDs (strict: minimal
//!   encodings only), and the matching writer functions.
//! - [`decode`]: [`decode_message`] for datagrams, [`decode_scoped_pdu`] for decrypted
//!   ScopedPDUs. Results borrow from the input buffer (community, USM fields, octet strings), so
//!   decoding a request allocates only the varbind list and OID arcs. It never panics, bounds
//!   every allocation by bytes actually present, and names the failing byte offset.
//! - [`encode`]: net-snmp-identical encoding into a reused `Vec<u8>`, plus `encoded_len_of_*`
//!   so responses can be sized against msgMaxSize before they are written.
//! - [`usm`]: the User-based Security Model (RFC 3414, 3826, 7860): password-to-key,
//!   localisation, HMAC, DES/3DES/AES privacy, and [`usm::protect`] to protect and check whole
//!   messages from either end (authoritative agent or non-authoritative manager).
//! - [`oids`]: the standard OIDs (system, snmp group, snmpEngine, snmpMPDStats, usmStats, ...).
//! - [`report`]: the counters a Report PDU carries, by OID and name.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ber;
pub mod decode;
pub mod encode;
pub mod message;
pub mod oids;
pub mod report;
pub mod usm;

pub use decode::*;
pub use encode::*;
pub use message::*;

#[cfg(test)]
mod codec_tests;
