//! Decoding SNMP messages (RFC 3416 PDUs in v1/v2c community messages or v3 RFC 3412 messages).
//!
//! SNMP has a fixed shape, so this parses that shape directly — message, msgGlobalData, USM
//! parameters, ScopedPDU, PDU, varbind list, varbind, value — with no generic recursion: nesting
//! depth is bounded by the code, not by the datagram. The decoded [`Message`] borrows from the
//! datagram (community, USM fields, octet-string values), so a request costs only the varbind
//! `Vec` and the OID arcs. The varbind count is capped at [`MAX_VARBINDS`].
//!
//! Decoding is syntax only: whether a version / PDU type / security model / flags combination
//! is acceptable is for the security and agent layers to decide (and count).

use std::borrow::Cow;

pub use crate::ber::DecodeError;
use crate::ber::{self, tag, Reader, Tlv};
use crate::message::*;

/// The most varbinds decoded from one PDU; one more is [`DecodeError::TooManyVarbinds`].
pub const MAX_VARBINDS: usize = 1024;

/// The smallest encoded varbind (`30 05 06 01 xx 05 00`), used to size the varbind `Vec`.
const MIN_VARBIND_LEN: usize = 7;

/// The smallest msgMaxSize, in bytes (RFC 3412 §6: INTEGER (484..2147483647)); a smaller one is
/// [`DecodeError::OutOfRange`].
pub const MIN_MSG_MAX_SIZE: i32 = 484;

/// The USM security model number, msgSecurityModel 3 (RFC 3411 §5, SnmpSecurityModel).
pub const SECURITY_MODEL_USM: i32 = 3;

/// Decodes a whole datagram: a v1/v2c community message (RFC 1157 §4, RFC 1901 §3) or a v3
/// message (RFC 3412 §6, with RFC 3414 §2.4 UsmSecurityParameters when msgSecurityModel is 3).
///
/// The result borrows from `datagram`. Errors: any [`DecodeError`], with the offset of the
/// offending byte; [`DecodeError::UnsupportedVersion`] for a msgVersion other than 0, 1 or 3;
/// [`DecodeError::TrailingBytes`] for bytes after the outer SEQUENCE. v3 header fields outside
/// their RFC 3412 ranges (msgID, msgMaxSize, msgSecurityModel, a msgFlags that is not one
/// octet) and negative msgAuthoritativeEngineBoots/Time are errors too. Encrypted msgData is
/// returned undecoded ([`ScopedPduData::Encrypted`]).
pub fn decode_message(datagram: &[u8]) -> Result<Message<'_>, DecodeError> {
    let mut top = Reader::new(datagram);
    let message = top.read_expected(tag::SEQUENCE, "the message SEQUENCE (0x30)")?;
    top.finish()?;
    let mut r = message.reader();
    let version_tlv = r.read_expected(tag::INTEGER, "msgVersion INTEGER")?;
    let version = ber::decode_signed(version_tlv.contents, version_tlv.offset, 8, "msgVersion")?;
    match version {
        0 => decode_community(r, Version::V1).map(Message::Community),
        1 => decode_community(r, Version::V2c).map(Message::Community),
        3 => decode_v3(r).map(Message::V3),
        other => Err(DecodeError::UnsupportedVersion(other)),
    }
}

/// Decodes a decrypted ScopedPDU (RFC 3412 §6.8). Bytes after its SEQUENCE are allowed (and
/// ignored): block ciphers pad the plaintext (DES-CBC to a multiple of 8 bytes).
///
/// Errors: any [`DecodeError`] inside the ScopedPDU, offsets relative to `plaintext`. A
/// plaintext decrypted with the wrong key fails here, usually with an unexpected tag or a
/// length overrun; see [`crate::usm::protect::decrypt`] for how that is counted.
pub fn decode_scoped_pdu(plaintext: &[u8]) -> Result<ScopedPdu<'_>, DecodeError> {
    let mut r = Reader::new(plaintext);
    let scoped = r.read_expected(tag::SEQUENCE, "the ScopedPDU SEQUENCE (0x30)")?;
    decode_scoped_pdu_contents(&scoped)
}

fn decode_community<'a>(
    mut r: Reader<'a>,
    version: Version,
) -> Result<CommunityMessage<'a>, DecodeError> {
    let community = r.read_octet_string("community OCTET STRING")?;
    let pdu = decode_pdu(&mut r)?;
    r.finish()?;
    Ok(CommunityMessage {
        version,
        community,
        pdu,
    })
}

fn decode_v3(mut r: Reader<'_>) -> Result<V3Message<'_>, DecodeError> {
    let mut global = r.read_sequence("msgGlobalData SEQUENCE")?;
    let msg_id = global.read_i32_in("msgID", 0..=i32::MAX)?;
    let msg_max_size = global.read_i32_in("msgMaxSize", MIN_MSG_MAX_SIZE..=i32::MAX)?;
    let flags = global.read_expected(tag::OCTET_STRING, "msgFlags OCTET STRING")?;
    flags.expect_len("msgFlags", 1)?;
    let msg_flags = flags.contents.first().copied().unwrap_or(0);
    let msg_security_model = global.read_i32_in("msgSecurityModel", 1..=i32::MAX)?;
    global.finish()?;

    let params = r.read_expected(tag::OCTET_STRING, "msgSecurityParameters OCTET STRING")?;
    let (usm, auth_params_offset) = if msg_security_model == SECURITY_MODEL_USM {
        decode_usm(&params)?
    } else {
        (UsmSecurityParameters::default(), 0)
    };

    let at = r.offset();
    let data =
        match r.peek_tag() {
            Some(tag::SEQUENCE) => {
                let scoped = r.read_tlv()?;
                ScopedPduData::Plaintext(decode_scoped_pdu_contents(&scoped)?)
            }
            Some(tag::OCTET_STRING) => ScopedPduData::Encrypted(r.read_tlv()?.contents),
            Some(found) => return Err(DecodeError::UnexpectedTag {
                offset: at,
                expected:
                    "msgData: a ScopedPDU SEQUENCE (0x30) or an encryptedPDU OCTET STRING (0x04)",
                found,
            }),
            None => return Err(DecodeError::Truncated { offset: at }),
        };
    r.finish()?;
    Ok(V3Message {
        msg_id,
        msg_max_size,
        msg_flags,
        msg_security_model,
        security_parameters: params.contents,
        usm,
        auth_params_offset,
        data,
    })
}

/// Decodes UsmSecurityParameters from the msgSecurityParameters OCTET STRING; returns them and
/// the absolute offset of msgAuthenticationParameters' contents.
fn decode_usm<'a>(params: &Tlv<'a>) -> Result<(UsmSecurityParameters<'a>, usize), DecodeError> {
    let mut outer = params.reader();
    let mut seq = outer.read_sequence("UsmSecurityParameters SEQUENCE")?;
    outer.finish()?;
    let engine_id = seq.read_octet_string("msgAuthoritativeEngineID OCTET STRING")?;
    let engine_boots = seq.read_i32_in("msgAuthoritativeEngineBoots", 0..=i32::MAX)?;
    let engine_time = seq.read_i32_in("msgAuthoritativeEngineTime", 0..=i32::MAX)?;
    let user_name = seq.read_octet_string("msgUserName OCTET STRING")?;
    let auth = seq.read_expected(
        tag::OCTET_STRING,
        "msgAuthenticationParameters OCTET STRING",
    )?;
    let priv_params = seq.read_octet_string("msgPrivacyParameters OCTET STRING")?;
    seq.finish()?;
    let usm = UsmSecurityParameters {
        engine_id,
        engine_boots,
        engine_time,
        user_name,
        auth_params: auth.contents,
        priv_params,
    };
    Ok((usm, auth.contents_offset))
}

fn decode_scoped_pdu_contents<'a>(scoped: &Tlv<'a>) -> Result<ScopedPdu<'a>, DecodeError> {
    let mut r = scoped.reader();
    let context_engine_id = r.read_octet_string("contextEngineID OCTET STRING")?;
    let context_name = r.read_octet_string("contextName OCTET STRING")?;
    let pdu = decode_pdu(&mut r)?;
    r.finish()?;
    Ok(ScopedPdu {
        context_engine_id,
        context_name,
        pdu,
    })
}

fn decode_pdu<'a>(r: &mut Reader<'a>) -> Result<Pdu<'a>, DecodeError> {
    const EXPECTED: &str = "a PDU (0xA0..=0xA8)";
    let offset = r.offset();
    let found = r.peek_tag().ok_or(DecodeError::Truncated { offset })?;
    let pdu_type = PduType::from_tag(found).ok_or(DecodeError::UnexpectedTag {
        offset,
        expected: EXPECTED,
        found,
    })?;
    let mut p = r.read_tlv()?.reader();
    let pdu = if pdu_type == PduType::TrapV1 {
        let enterprise = p.read_oid("enterprise OBJECT IDENTIFIER")?;
        let addr = p.read_expected(tag::IP_ADDRESS, "agent-addr IpAddress (0x40)")?;
        let agent_addr = ip_address(&addr)?;
        let generic_trap = p.read_i32("generic-trap INTEGER")?;
        let specific_trap = p.read_i32("specific-trap INTEGER")?;
        let ticks = p.read_expected(tag::TIME_TICKS, "time-stamp TimeTicks (0x43)")?;
        let time_stamp = ber::decode_u32(&ticks, "TimeTicks")?;
        let varbinds = decode_varbind_list(&mut p)?;
        Pdu {
            pdu_type,
            request_id: 0,
            error_status: 0,
            error_index: 0,
            varbinds,
            trap_v1: Some(TrapV1Header {
                enterprise,
                agent_addr,
                generic_trap,
                specific_trap,
                time_stamp,
            }),
        }
    } else {
        let request_id = p.read_i32("request-id INTEGER")?;
        let error_status = p.read_i32("error-status (or non-repeaters) INTEGER")?;
        let error_index = p.read_i32("error-index (or max-repetitions) INTEGER")?;
        let varbinds = decode_varbind_list(&mut p)?;
        Pdu {
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds,
            trap_v1: None,
        }
    };
    p.finish()?;
    Ok(pdu)
}

fn decode_varbind_list<'a>(p: &mut Reader<'a>) -> Result<Vec<VarBind<'a>>, DecodeError> {
    let mut list = p.read_sequence("VarBindList SEQUENCE")?;
    // Sized from bytes that are present, never from a length field alone.
    let mut varbinds =
        Vec::with_capacity((list.remaining().len() / MIN_VARBIND_LEN).min(MAX_VARBINDS));
    while !list.is_empty() {
        if varbinds.len() >= MAX_VARBINDS {
            return Err(DecodeError::TooManyVarbinds {
                offset: list.offset(),
                max: MAX_VARBINDS,
            });
        }
        let mut vb = list.read_sequence("VarBind SEQUENCE")?;
        let oid = vb.read_oid("the varbind name OBJECT IDENTIFIER")?;
        let value = decode_value(vb.read_tlv()?)?;
        vb.finish()?;
        varbinds.push(VarBind { oid, value });
    }
    Ok(varbinds)
}

fn ip_address(tlv: &Tlv<'_>) -> Result<[u8; 4], DecodeError> {
    tlv.expect_len("IpAddress", 4)?;
    <[u8; 4]>::try_from(tlv.contents).map_err(|_| DecodeError::WrongLength {
        offset: tlv.offset,
        what: "IpAddress",
        length: tlv.contents.len(),
        expected: 4,
    })
}

/// Decodes one varbind value from its element (RFC 3416 §3 ObjectSyntax and the exceptions).
///
/// Errors: [`DecodeError::UnexpectedTag`] for a tag that is no SMI value, and the integer,
/// OID and fixed-length errors of the value's type (a NULL or exception with contents, an
/// IpAddress that is not 4 bytes, an integer too large for its type).
pub fn decode_value(tlv: Tlv<'_>) -> Result<Value<'_>, DecodeError> {
    Ok(match tlv.tag {
        tag::INTEGER => Value::Integer(ber::decode_i32(&tlv)?),
        tag::OCTET_STRING => Value::OctetString(Cow::Borrowed(tlv.contents)),
        tag::OBJECT_IDENTIFIER => Value::ObjectId(ber::decode_oid(tlv.contents, tlv.offset)?),
        tag::NULL => {
            tlv.expect_len("NULL", 0)?;
            Value::Null
        }
        tag::IP_ADDRESS => Value::IpAddress(ip_address(&tlv)?),
        tag::COUNTER32 => Value::Counter32(ber::decode_u32(&tlv, "Counter32")?),
        tag::GAUGE32 => Value::Gauge32(ber::decode_u32(&tlv, "Gauge32")?),
        tag::TIME_TICKS => Value::TimeTicks(ber::decode_u32(&tlv, "TimeTicks")?),
        tag::OPAQUE => Value::Opaque(Cow::Borrowed(tlv.contents)),
        tag::COUNTER64 => Value::Counter64(ber::decode_unsigned(
            tlv.contents,
            tlv.offset,
            u64::MAX,
            "Counter64",
        )?),
        tag::NO_SUCH_OBJECT => {
            tlv.expect_len("noSuchObject", 0)?;
            Value::NoSuchObject
        }
        tag::NO_SUCH_INSTANCE => {
            tlv.expect_len("noSuchInstance", 0)?;
            Value::NoSuchInstance
        }
        tag::END_OF_MIB_VIEW => {
            tlv.expect_len("endOfMibView", 0)?;
            Value::EndOfMibView
        }
        found => {
            return Err(DecodeError::UnexpectedTag {
                offset: tlv.offset,
                expected: "an SMI value (0x02, 0x04, 0x05, 0x06, 0x40-0x44, 0x46, 0x80-0x82)",
                found,
            })
        }
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_a_v2c_get() {
        // snmpget -v2c -c public 127.0.0.1:9 1.3.6.1.2.1.1.1.0
        let bytes = h("302902010104067075626c6963a01c020409d3164a020100020100300e300c06082b060102010101000500");
        let Message::Community(m) = decode_message(&bytes).unwrap() else {
            panic!("not community")
        };
        assert_eq!(m.version, Version::V2c);
        assert_eq!(m.community, b"public");
        assert_eq!(m.pdu.pdu_type, PduType::GetRequest);
        assert_eq!(m.pdu.request_id, 0x09d3164a);
        assert_eq!(m.pdu.varbinds.len(), 1);
        assert_eq!(
            m.pdu.varbinds[0].oid,
            Oid::parse("1.3.6.1.2.1.1.1.0").unwrap()
        );
        assert_eq!(m.pdu.varbinds[0].value, Value::Null);
    }

    #[test]
    fn values_borrow_from_the_datagram() {
        let bytes = h("302a02010104067075626c6963a31d02040ab61d80020100020100300f300d06082b06010201010500040178");
        let Message::Community(m) = decode_message(&bytes).unwrap() else {
            panic!()
        };
        match &m.pdu.varbinds[0].value {
            Value::OctetString(Cow::Borrowed(s)) => assert_eq!(*s, b"x"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_unknown_version_and_trailing_bytes() {
        let mut bytes = h("302902010204067075626c6963a01c020409d3164a020100020100300e300c06082b060102010101000500");
        assert_eq!(
            decode_message(&bytes),
            Err(DecodeError::UnsupportedVersion(2))
        );
        bytes[4] = 1;
        bytes.push(0);
        assert_eq!(
            decode_message(&bytes),
            Err(DecodeError::TrailingBytes {
                offset: 43,
                count: 1
            })
        );
    }

    #[test]
    fn value_tags() {
        let v = |b: &[u8]| {
            let b = b.to_vec();
            let tlv = Reader::new(&b).read_tlv().unwrap();
            decode_value(tlv).map(Value::into_owned)
        };
        assert_eq!(v(&[0x05, 0x00]), Ok(Value::Null));
        assert!(matches!(
            v(&[0x05, 0x01, 0x00]),
            Err(DecodeError::WrongLength { .. })
        ));
        assert_eq!(
            v(&[0x40, 4, 10, 1, 2, 3]),
            Ok(Value::IpAddress([10, 1, 2, 3]))
        );
        assert!(matches!(
            v(&[0x40, 3, 10, 1, 2]),
            Err(DecodeError::WrongLength { .. })
        ));
        assert!(matches!(
            v(&[0x40, 5, 10, 1, 2, 3, 4]),
            Err(DecodeError::WrongLength { .. })
        ));
        assert_eq!(v(&[0x80, 0]), Ok(Value::NoSuchObject));
        assert_eq!(v(&[0x81, 0]), Ok(Value::NoSuchInstance));
        assert_eq!(v(&[0x82, 0]), Ok(Value::EndOfMibView));
        assert!(matches!(
            v(&[0x82, 1, 0]),
            Err(DecodeError::WrongLength { .. })
        ));
        assert_eq!(
            v(&[0x44, 2, 0x9f, 0x78]),
            Ok(Value::Opaque(Cow::Owned(vec![0x9f, 0x78])))
        );
        assert!(matches!(
            v(&[0x45, 0]),
            Err(DecodeError::UnexpectedTag { found: 0x45, .. })
        ));
        assert!(matches!(
            v(&[0x24, 0]),
            Err(DecodeError::UnexpectedTag { found: 0x24, .. })
        ));
        assert!(matches!(
            v(&[0x02, 0]),
            Err(DecodeError::EmptyInteger { .. })
        ));
    }
}
