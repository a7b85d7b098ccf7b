//! Fuzz targets for the SNMP codec and the simulated agent, as plain functions.
//!
//! Each target takes arbitrary bytes and panics only when an invariant is broken, so the same
//! function runs under cargo-fuzz (`fuzz/`, nightly) and as an ordinary test over the committed
//! corpus (`tests/corpus.rs`, stable, part of `cargo test --workspace`):
//!
//! - [`decode_message`]: decode, re-encode, decode again: the two decodings are equal.
//! - [`handle_datagram`]: the whole agent path on an in-process endpoint; every answer decodes,
//!   and v3 answers above noAuthNoPriv authenticate (and decrypt) with the user's keys.
//! - [`authenticated_path`]: a real authPriv request built from the bytes, signed and encrypted
//!   with a configured user's keys, so the agent and MIB code behind the MAC are reached.
//! - [`config_text`]: parsing and validating a config file never panics.
//! - [`recording_text`]: the snmpsim recording parser, in memory, strict and lenient.
//! - [`scenario_text`]: the conformance scenario parser (TOML, its checks, config validation).
//! - [`control_body`]: JSON request bodies through the control API's axum router, in-process.
//!
//! [`TARGETS`] lists them by name, the name of their corpus folder and cargo-fuzz target.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod agent;
mod control_body;
mod files;

pub use agent::{authenticated_path, handle_datagram};
pub use control_body::control_body;
pub use files::{recording_text, scenario_text};

use snmp_proto::{
    encode_community_message, encode_scoped_pdu, encode_v3_message, Message, ScopedPduData, V3Body,
};

/// A fuzz target: its name (corpus folder, cargo-fuzz target) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: [Target; 7] = [
    ("decode_message", decode_message),
    ("handle_datagram", handle_datagram),
    ("authenticated_path", authenticated_path),
    ("config_text", config_text),
    ("recording_text", recording_text),
    ("scenario_text", scenario_text),
    ("control_body", control_body),
];

/// `snmp_proto::decode_message`, then, when it decodes, a round trip through the encoder.
///
/// Invariants:
/// - decoding never panics;
/// - the re-encoding (community messages with `encode_community_message`; v3 messages with
///   `encode_v3_message`, plaintext ScopedPDUs with `encode_scoped_pdu`, encryptedPDUs as the
///   same ciphertext) decodes, to a message equal to the first;
/// - the re-encoding is never longer than the input and is a fixed point: encoding its
///   decoding gives the same bytes, and msgAuthenticationParameters sit where
///   `encode_v3_message` says.
///
/// Not compared byte for byte with the input: the decoder accepts long-form lengths with more
/// octets than needed (RFC 3417 §8, `82 00 26`), non-minimal INTEGERs, 0x80-padded OID
/// subidentifiers, NULL contents and bytes after the message (see `snmp_proto::decode`), which
/// the encoder writes minimally or not at all. For the same reason a v3 message's raw msgSecurityParameters and
/// msgAuthenticationParameters' offset are compared between the re-encoding and its decoding,
/// not with the input. v3 messages with a msgSecurityModel other than 3 (USM) are decoded but
/// not re-encoded (the encoder writes USM only); the plaintext inside an encryptedPDU is not
/// looked at (no keys here: see [`authenticated_path`]).
pub fn decode_message(data: &[u8]) {
    let Ok(first) = snmp_proto::decode_message(data) else {
        return;
    };
    let Some((out, _)) = encode(&first) else {
        return;
    };
    let second = match snmp_proto::decode_message(&out) {
        Ok(m) => m,
        Err(e) => panic!("the re-encoding of a decoded message does not decode: {e}"),
    };
    assert_eq!(
        comparable(&first),
        comparable(&second),
        "decode(encode(decode(x))) != decode(x)"
    );
    assert!(
        out.len() <= data.len(),
        "the re-encoding is longer than the input ({} > {} bytes)",
        out.len(),
        data.len()
    );
    let Some((again, offset)) = encode(&second) else {
        panic!("the re-encoding decodes to a message the encoder cannot write");
    };
    assert_eq!(again, out, "encoding is not a fixed point");
    if let Message::V3(m) = &second {
        assert_eq!(
            Some(m.auth_params_offset),
            offset,
            "msgAuthenticationParameters are not where encode_v3_message put them"
        );
    }
}

/// The message re-encoded, with the offset of msgAuthenticationParameters for v3; `None` for a
/// v3 message whose msgSecurityModel is not USM.
fn encode(message: &Message<'_>) -> Option<(Vec<u8>, Option<usize>)> {
    let mut out = Vec::new();
    match message {
        Message::Community(m) => {
            encode_community_message(&mut out, m.version, m.community, &m.pdu);
            Some((out, None))
        }
        Message::V3(m) => {
            if m.msg_security_model != snmp_proto::decode::SECURITY_MODEL_USM {
                return None;
            }
            let mut scoped = Vec::new();
            let body = match &m.data {
                ScopedPduData::Plaintext(s) => {
                    encode_scoped_pdu(&mut scoped, s);
                    V3Body::Plaintext(&scoped)
                }
                ScopedPduData::Encrypted(ciphertext) => V3Body::Encrypted(ciphertext),
            };
            let offset = encode_v3_message(
                &mut out,
                m.msg_id,
                m.msg_max_size,
                m.msg_flags,
                &m.usm,
                body,
            );
            Some((out, Some(offset)))
        }
    }
}

/// The message without what depends on how lengths were written: a v3 message's raw
/// msgSecurityParameters and the offset of msgAuthenticationParameters.
fn comparable<'a>(message: &Message<'a>) -> Message<'a> {
    match message {
        Message::Community(m) => Message::Community(m.clone()),
        Message::V3(m) => Message::V3(snmp_proto::V3Message {
            security_parameters: &[],
            auth_params_offset: 0,
            ..m.clone()
        }),
    }
}

/// `pdusim::config::FileConfig::parse` on `data` as UTF-8 text, and `validate` when it parses.
///
/// Invariant: neither panics, whatever the text (non-UTF-8 input is skipped). Validation may
/// read a recording file a config names; it writes nothing.
pub fn config_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = pdusim::config::FileConfig::parse(text, "fuzz") {
        let _ = config.validate("fuzz");
    }
}
