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
//!
//! # No panic from the network
//!
//! Everything here handles bytes from untrusted peers, so the crate denies the lints that
//! could hide a panic or a silent wrap: arithmetic (`arithmetic_side_effects`), indexing and
//! slicing, truncating `as` casts, `unwrap`/`expect` and `panic!`. Lengths read from the wire
//! use checked arithmetic that fails with a [`DecodeError`]; computed sizes saturate, where a
//! saturated size can only mean "too big"; `wrapping_*` appears only where a bound, stated next
//! to it, proves it cannot wrap. Slices are taken with `.get()`. No non-test code allows these
//! lints; test modules opt out with `#[allow]`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

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
