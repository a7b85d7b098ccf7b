//! Encoding SNMP messages, byte for byte as net-snmp does: minimal definite lengths, minimal
//! INTEGERs, unsigned types with a leading 0x00 when their top bit is set.
//!
//! Every function *appends* to a caller-owned `Vec<u8>` (clear it before reuse), so the hot path
//! reuses one buffer and never allocates per varbind. Lengths are computed before contents are
//! written (`encoded_len_of_*`), which lets the encoder write forward in one pass, and lets the
//! agent check a GETBULK response against msgMaxSize as it grows it.
//!
//! Encoding cannot fail and never panics. Sizes are in bytes and saturate at `usize::MAX`
//! rather than wrap, so a total too large for memory compares as too big against any limit.

use crate::ber::{self, tag};
use crate::message::*;

/// msgData for [`encode_v3_message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V3Body<'b> {
    /// An already-encoded ScopedPDU (see [`encode_scoped_pdu`]), copied as is.
    Plaintext(&'b [u8]),
    /// The ciphertext of a ScopedPDU, written as the encryptedPDU OCTET STRING.
    Encrypted(&'b [u8]),
}

/// Adds byte counts, saturating (see the module docs).
fn total<const N: usize>(lens: [usize; N]) -> usize {
    lens.into_iter().fold(0, usize::saturating_add)
}

fn value_contents_len(value: &Value<'_>) -> usize {
    match value {
        Value::Integer(v) => ber::signed_len(i64::from(*v)),
        Value::OctetString(s) | Value::Opaque(s) => s.len(),
        Value::Other { contents, .. } => contents.len(),
        Value::ObjectId(oid) => ber::oid_len(oid),
        Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => 0,
        Value::IpAddress(_) => 4,
        Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => {
            ber::unsigned_len(u64::from(*v))
        }
        Value::Counter64(v) => ber::unsigned_len(*v),
    }
}

/// Appends one varbind value element (tag, length, contents; RFC 3416 §3 ObjectSyntax).
pub fn encode_value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Integer(v) => ber::write_signed(out, tag::INTEGER, i64::from(*v)),
        Value::OctetString(s) => ber::write_octets(out, tag::OCTET_STRING, s),
        Value::ObjectId(oid) => ber::write_oid(out, oid),
        Value::Null => ber::write_header(out, tag::NULL, 0),
        Value::IpAddress(a) => ber::write_octets(out, tag::IP_ADDRESS, a),
        Value::Counter32(v) => ber::write_unsigned(out, tag::COUNTER32, u64::from(*v)),
        Value::Gauge32(v) => ber::write_unsigned(out, tag::GAUGE32, u64::from(*v)),
        Value::TimeTicks(v) => ber::write_unsigned(out, tag::TIME_TICKS, u64::from(*v)),
        Value::Opaque(s) => ber::write_octets(out, tag::OPAQUE, s),
        Value::Counter64(v) => ber::write_unsigned(out, tag::COUNTER64, *v),
        Value::NoSuchObject => ber::write_header(out, tag::NO_SUCH_OBJECT, 0),
        Value::NoSuchInstance => ber::write_header(out, tag::NO_SUCH_INSTANCE, 0),
        Value::EndOfMibView => ber::write_header(out, tag::END_OF_MIB_VIEW, 0),
        Value::Other { tag, contents } => ber::write_octets(out, *tag, contents),
    }
}

fn varbind_contents_len(vb: &VarBind<'_>) -> usize {
    total([
        ber::tlv_len(ber::oid_len(&vb.oid)),
        ber::tlv_len(value_contents_len(&vb.value)),
    ])
}

/// The encoded size of one varbind SEQUENCE in bytes (its share of a VarBindList's contents):
/// what [`encode_varbind`] appends.
pub fn encoded_len_of_varbind(vb: &VarBind<'_>) -> usize {
    ber::tlv_len(varbind_contents_len(vb))
}

fn varbind_list_contents_len(varbinds: &[VarBind<'_>]) -> usize {
    varbinds
        .iter()
        .map(encoded_len_of_varbind)
        .fold(0, usize::saturating_add)
}

fn trap_v1_header_len(h: &TrapV1Header) -> usize {
    total([
        ber::tlv_len(ber::oid_len(&h.enterprise)),
        ber::tlv_len(4),
        ber::tlv_len(ber::signed_len(i64::from(h.generic_trap))),
        ber::tlv_len(ber::signed_len(i64::from(h.specific_trap))),
        ber::tlv_len(ber::unsigned_len(u64::from(h.time_stamp))),
    ])
}

fn pdu_contents_len(pdu: &Pdu<'_>, varbind_list_len: usize) -> usize {
    let fields = match (pdu.pdu_type, &pdu.trap_v1) {
        (PduType::TrapV1, Some(h)) => trap_v1_header_len(h),
        (PduType::TrapV1, None) => trap_v1_header_len(&empty_trap_header()),
        _ => total([
            ber::tlv_len(ber::signed_len(i64::from(pdu.request_id))),
            ber::tlv_len(ber::signed_len(i64::from(pdu.error_status))),
            ber::tlv_len(ber::signed_len(i64::from(pdu.error_index))),
        ]),
    };
    fields.saturating_add(ber::tlv_len(varbind_list_len))
}

fn empty_trap_header() -> TrapV1Header {
    TrapV1Header {
        enterprise: Oid::default(),
        agent_addr: [0; 4],
        generic_trap: 0,
        specific_trap: 0,
        time_stamp: 0,
    }
}

/// The encoded size of a PDU element in bytes: what [`encode_pdu`] appends.
pub fn encoded_len_of_pdu(pdu: &Pdu<'_>) -> usize {
    ber::tlv_len(pdu_contents_len(
        pdu,
        varbind_list_contents_len(&pdu.varbinds),
    ))
}

/// Appends a PDU. For GetBulkRequest, `error_status`/`error_index` are written as
/// non-repeaters/max-repetitions. A `TrapV1` PDU is written from `trap_v1` (all-zero fields
/// and the OID 0.0 if it is `None`); `trap_v1` is ignored for other PDU types.
pub fn encode_pdu(out: &mut Vec<u8>, pdu: &Pdu<'_>) {
    let list_len = varbind_list_contents_len(&pdu.varbinds);
    ber::write_header(out, pdu.pdu_type.tag(), pdu_contents_len(pdu, list_len));
    if pdu.pdu_type == PduType::TrapV1 {
        let empty;
        let h = match &pdu.trap_v1 {
            Some(h) => h,
            None => {
                empty = empty_trap_header();
                &empty
            }
        };
        ber::write_oid(out, &h.enterprise);
        ber::write_octets(out, tag::IP_ADDRESS, &h.agent_addr);
        ber::write_signed(out, tag::INTEGER, i64::from(h.generic_trap));
        ber::write_signed(out, tag::INTEGER, i64::from(h.specific_trap));
        ber::write_unsigned(out, tag::TIME_TICKS, u64::from(h.time_stamp));
    } else {
        ber::write_signed(out, tag::INTEGER, i64::from(pdu.request_id));
        ber::write_signed(out, tag::INTEGER, i64::from(pdu.error_status));
        ber::write_signed(out, tag::INTEGER, i64::from(pdu.error_index));
    }
    ber::write_header(out, tag::SEQUENCE, list_len);
    for vb in &pdu.varbinds {
        encode_varbind(out, vb);
    }
}

/// Appends one varbind SEQUENCE.
pub fn encode_varbind(out: &mut Vec<u8>, vb: &VarBind<'_>) {
    ber::write_header(out, tag::SEQUENCE, varbind_contents_len(vb));
    ber::write_oid(out, &vb.oid);
    encode_value(out, &vb.value);
}

fn version_number(version: Version) -> i64 {
    match version {
        Version::V1 => 0,
        Version::V2c => 1,
        Version::V3 => 3,
    }
}

fn community_contents_len(version: Version, community: &[u8], pdu_len: usize) -> usize {
    total([
        ber::tlv_len(ber::signed_len(version_number(version))),
        ber::tlv_len(community.len()),
        pdu_len,
    ])
}

/// The encoded size of a whole community message in bytes: what [`encode_community_message`]
/// appends.
pub fn encoded_len_of_community_message(
    version: Version,
    community: &[u8],
    pdu: &Pdu<'_>,
) -> usize {
    ber::tlv_len(community_contents_len(
        version,
        community,
        encoded_len_of_pdu(pdu),
    ))
}

/// Appends a v1/v2c message: SEQUENCE { version, community, PDU } (RFC 1157 §4, RFC 1901 §3).
pub fn encode_community_message(
    out: &mut Vec<u8>,
    version: Version,
    community: &[u8],
    pdu: &Pdu<'_>,
) {
    let pdu_len = encoded_len_of_pdu(pdu);
    ber::write_header(
        out,
        tag::SEQUENCE,
        community_contents_len(version, community, pdu_len),
    );
    ber::write_signed(out, tag::INTEGER, version_number(version));
    ber::write_octets(out, tag::OCTET_STRING, community);
    encode_pdu(out, pdu);
}

fn scoped_pdu_contents_len(scoped: &ScopedPdu<'_>) -> usize {
    total([
        ber::tlv_len(scoped.context_engine_id.len()),
        ber::tlv_len(scoped.context_name.len()),
        encoded_len_of_pdu(&scoped.pdu),
    ])
}

/// The encoded size of a ScopedPDU in bytes (before any privacy padding): what
/// [`encode_scoped_pdu`] appends.
pub fn encoded_len_of_scoped_pdu(scoped: &ScopedPdu<'_>) -> usize {
    ber::tlv_len(scoped_pdu_contents_len(scoped))
}

/// Appends a ScopedPDU: SEQUENCE { contextEngineID, contextName, PDU } (RFC 3412 §6.8).
pub fn encode_scoped_pdu(out: &mut Vec<u8>, scoped: &ScopedPdu<'_>) {
    encode_scoped_pdu_parts(
        out,
        scoped.context_engine_id,
        scoped.context_name,
        &scoped.pdu,
    );
}

/// `encode_scoped_pdu` from its parts, so a caller holding a borrowed PDU need not clone it
/// into a `ScopedPdu`.
pub fn encode_scoped_pdu_parts(
    out: &mut Vec<u8>,
    context_engine_id: &[u8],
    context_name: &[u8],
    pdu: &Pdu<'_>,
) {
    let pdu_len = encoded_len_of_pdu(pdu);
    let contents = total([
        ber::tlv_len(context_engine_id.len()),
        ber::tlv_len(context_name.len()),
        pdu_len,
    ]);
    ber::write_header(out, tag::SEQUENCE, contents);
    ber::write_octets(out, tag::OCTET_STRING, context_engine_id);
    ber::write_octets(out, tag::OCTET_STRING, context_name);
    encode_pdu(out, pdu);
}

/// The encoded size in bytes of a v3 message with these parameters and a body of `body_len`
/// bytes (an encoded ScopedPDU, or a ciphertext when `encrypted`): what [`encode_v3_message`]
/// appends.
pub fn encoded_len_of_v3_message(
    msg_id: i32,
    msg_max_size: i32,
    usm: &UsmSecurityParameters<'_>,
    body_len: usize,
    encrypted: bool,
) -> usize {
    let body = if encrypted {
        ber::tlv_len(body_len)
    } else {
        body_len
    };
    ber::tlv_len(v3_contents_len(msg_id, msg_max_size, usm, body))
}

fn global_data_contents_len(msg_id: i32, msg_max_size: i32) -> usize {
    total([
        ber::tlv_len(ber::signed_len(i64::from(msg_id))),
        ber::tlv_len(ber::signed_len(i64::from(msg_max_size))),
        ber::tlv_len(1),
        ber::tlv_len(ber::signed_len(3)),
    ])
}

fn usm_contents_len(usm: &UsmSecurityParameters<'_>) -> usize {
    total([
        ber::tlv_len(usm.engine_id.len()),
        ber::tlv_len(ber::signed_len(i64::from(usm.engine_boots))),
        ber::tlv_len(ber::signed_len(i64::from(usm.engine_time))),
        ber::tlv_len(usm.user_name.len()),
        ber::tlv_len(usm.auth_params.len()),
        ber::tlv_len(usm.priv_params.len()),
    ])
}

fn v3_contents_len(
    msg_id: i32,
    msg_max_size: i32,
    usm: &UsmSecurityParameters<'_>,
    body_len: usize,
) -> usize {
    total([
        ber::tlv_len(ber::signed_len(3)),
        ber::tlv_len(global_data_contents_len(msg_id, msg_max_size)),
        ber::tlv_len(ber::tlv_len(usm_contents_len(usm))),
        body_len,
    ])
}

/// Appends an SNMPv3 message (RFC 3412 §6) with msgSecurityModel 3 (USM, RFC 3414 §2.4) and
/// returns the offset in `out` of msgAuthenticationParameters' contents. `usm.auth_params` is
/// written as given: to sign, pass N zero bytes, compute the HMAC over the finished message,
/// and write it at that offset (RFC 3414 §6.3.1; [`crate::usm::protect::protect`] does all of
/// this). msgVersion is 3; `msg_flags` is written as given.
pub fn encode_v3_message(
    out: &mut Vec<u8>,
    msg_id: i32,
    msg_max_size: i32,
    msg_flags: u8,
    usm: &UsmSecurityParameters<'_>,
    data: V3Body<'_>,
) -> usize {
    let body_len = match data {
        V3Body::Plaintext(scoped) => scoped.len(),
        V3Body::Encrypted(ciphertext) => ber::tlv_len(ciphertext.len()),
    };
    ber::write_header(
        out,
        tag::SEQUENCE,
        v3_contents_len(msg_id, msg_max_size, usm, body_len),
    );
    ber::write_signed(out, tag::INTEGER, 3);

    ber::write_header(
        out,
        tag::SEQUENCE,
        global_data_contents_len(msg_id, msg_max_size),
    );
    ber::write_signed(out, tag::INTEGER, i64::from(msg_id));
    ber::write_signed(out, tag::INTEGER, i64::from(msg_max_size));
    ber::write_octets(out, tag::OCTET_STRING, &[msg_flags]);
    ber::write_signed(out, tag::INTEGER, 3);

    let usm_len = usm_contents_len(usm);
    ber::write_header(out, tag::OCTET_STRING, ber::tlv_len(usm_len));
    ber::write_header(out, tag::SEQUENCE, usm_len);
    ber::write_octets(out, tag::OCTET_STRING, usm.engine_id);
    ber::write_signed(out, tag::INTEGER, i64::from(usm.engine_boots));
    ber::write_signed(out, tag::INTEGER, i64::from(usm.engine_time));
    ber::write_octets(out, tag::OCTET_STRING, usm.user_name);
    ber::write_header(out, tag::OCTET_STRING, usm.auth_params.len());
    let auth_params_offset = out.len();
    out.extend_from_slice(usm.auth_params);
    ber::write_octets(out, tag::OCTET_STRING, usm.priv_params);

    match data {
        V3Body::Plaintext(scoped) => out.extend_from_slice(scoped),
        V3Body::Encrypted(ciphertext) => ber::write_octets(out, tag::OCTET_STRING, ciphertext),
    }
    auth_params_offset
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn pdu(varbinds: Vec<VarBind<'static>>) -> Pdu<'static> {
        Pdu {
            pdu_type: PduType::Response,
            request_id: 1,
            error_status: 0,
            error_index: 0,
            varbinds,
            trap_v1: None,
        }
    }

    #[test]
    fn lengths_match_what_is_written() {
        let vbs = vec![
            VarBind {
                oid: Oid::new(&[1, 3, 6, 1]),
                value: Value::Integer(-5),
            },
            VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 2]),
                value: Value::OctetString(Cow::Owned(vec![7; 300])),
            },
            VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 3]),
                value: Value::Counter64(u64::MAX),
            },
        ];
        for vb in &vbs {
            let mut out = Vec::new();
            encode_varbind(&mut out, vb);
            assert_eq!(out.len(), encoded_len_of_varbind(vb));
        }
        let p = pdu(vbs);
        let mut out = Vec::new();
        encode_pdu(&mut out, &p);
        assert_eq!(out.len(), encoded_len_of_pdu(&p));
        out.clear();
        encode_community_message(&mut out, Version::V2c, b"public", &p);
        assert_eq!(
            out.len(),
            encoded_len_of_community_message(Version::V2c, b"public", &p)
        );
        let scoped = ScopedPdu {
            context_engine_id: b"\x80\0\0\0\x01",
            context_name: b"",
            pdu: p,
        };
        out.clear();
        encode_scoped_pdu(&mut out, &scoped);
        assert_eq!(out.len(), encoded_len_of_scoped_pdu(&scoped));
    }

    #[test]
    fn v3_auth_offset_points_at_the_auth_parameters() {
        let usm = UsmSecurityParameters {
            engine_id: b"\x80\0\0\0\x01\x02\x03\x04",
            engine_boots: 1,
            engine_time: 2,
            user_name: b"user",
            auth_params: &[0; 12],
            priv_params: b"",
        };
        let mut out = vec![0xEE]; // appending: offsets are within `out`
        let offset = encode_v3_message(
            &mut out,
            7,
            65507,
            FLAG_AUTH | FLAG_REPORTABLE,
            &usm,
            V3Body::Encrypted(&[1, 2, 3]),
        );
        assert_eq!(
            &out[offset - 2..offset + 12],
            &[&[0x04, 12][..], &[0; 12]].concat()[..]
        );
        assert_eq!(
            out.len() - 1,
            encoded_len_of_v3_message(7, 65507, &usm, 3, true)
        );
        assert_eq!(&out[out.len() - 5..], &[0x04, 3, 1, 2, 3]);
    }
}
