//! Decoding SNMP messages (RFC 3416 PDUs in v1/v2c community messages or v3 RFC 3412 messages).
//!
//! SNMP has a fixed shape, so this parses that shape directly — message, msgGlobalData, USM
//! parameters, ScopedPDU, PDU, varbind list, varbind, value — with no generic recursion: nesting
//! depth is bounded by the code, not by the datagram. The decoded [`Message`] borrows from the
//! datagram (community, USM fields, octet-string values), so a request costs only the varbind
//! `Vec` and the OID arcs. The varbind count is capped at [`MAX_VARBINDS`], more than any UDP
//! datagram can carry.
//!
//! Decoding is syntax only: whether a version / PDU type / security model / flags combination
//! is acceptable is for the security and agent layers to decide (and count).
//!
//! # What is accepted from a peer, and what is not
//!
//! The rule: accept what the standard (RFC 3417 §8: BER, definite lengths) and net-snmp's
//! agent accept from clients when the bytes still have exactly one meaning; refuse (a
//! [`DecodeError`], which an agent counts in snmpInASNParseErrs, RFC 3412 §7.2 step 2) what is
//! truncated, ambiguous or out of its type's range. Everything this crate *writes* stays
//! minimal whatever it accepted.
//!
//! | Input | Decision | Why |
//! |---|---|---|
//! | Long-form lengths with more octets than needed (`81 26`, `82 00 26`) | accepted | RFC 3417 §8 allows them |
//! | Indefinite length (`80`), more than [`ber::MAX_LENGTH_OCTETS`] length octets, a length past the data | refused | RFC 3417 §8; the element's end is unknown |
//! | INTEGER with redundant leading `00` / `FF` (`02 02 00 05`, `02 02 FF FF`, Counter32 `41 06 00 00 FF FF FF FF`) | accepted, as its one value | X.690 §8.3.2 binds senders; the value is unambiguous; net-snmp's agent accepts it and fixed-width encoders write it |
//! | `41 05 00 FF FF FF FF` | accepted | the *minimal* encoding of 4294967295 (the `00` keeps it positive) |
//! | INTEGER out of its type's range (request-id or msgVersion 2^32 as `02 05 01 00 00 00 00`, a Counter32 of 2^32) | refused | RFC 3416 gives request-id `INTEGER (-214783648..214783647)`; net-snmp's agent keeps the low 32 bits and answers request-id 0 (or version 0 = SNMPv1), a changed meaning no manager can pair |
//! | Empty INTEGER (`02 00`) | refused | no value at all |
//! | OID subidentifier with leading `80` octets | accepted, as its one value | X.690 §8.19.2 binds senders; net-snmp's agent reads it |
//! | OID subidentifier past 2^32−1, more than 128 arcs, empty OID, last octet with its continuation bit | refused | RFC 2578 §3.5 and §7.1.3; truncated |
//! | NULL with contents (`05 01 00`, `05 02 00 00`), likewise noSuchObject / noSuchInstance / endOfMibView | accepted, contents ignored | X.690 §8.8.2 says a NULL has none; a NULL carries no value whatever follows, and net-snmp's agent answers |
//! | Bytes after the message SEQUENCE (`…05 00` + `00`, + `DE AD BE EF…`) | ignored | net-snmp's agent answers; the message is complete without them (a v3 MAC still covers the whole datagram, wholeMsg as received, so a tail after an authenticated message fails its MAC, as in net-snmp's agent) |
//! | Elements after the last field of the message SEQUENCE, of the ScopedPDU or of the PDU | ignored | net-snmp's agent answers; every field SNMP defines is present |
//! | An element after the value inside a VarBind | refused | net-snmp's agent drops it too: the varbind's shape is wrong |
//! | BIT STRING (`03`, at least one octet), NsapAddress (`45`), UInteger32 (`47`, as a 32-bit unsigned INTEGER) as a value | accepted as [`Value::Other`] | net-snmp's agent reads them and answers a SET of one with wrongType; an empty BIT STRING or UInteger32 stays refused, as there |
//! | Any other value tag (`24`, `9F 50`, …) | refused | no SNMP type; net-snmp's agent drops it too |
//! | msgUserName over 32 octets | refused | RFC 3414 §2.4: `OCTET STRING (SIZE(0..32))`; net-snmp's agent counts a parse error |
//! | msgAuthoritativeEngineID of any length | accepted | RFC 3414 §2.4 gives it no size; one outside SnmpEngineID's 5..32 (RFC 3411) is no engine's, so an agent answers usmStatsUnknownEngineIDs, as net-snmp's does |
//! | More varbinds than [`MAX_VARBINDS`] | refused | no UDP datagram can carry that many (see the constant) |

use std::borrow::Cow;

pub use crate::ber::DecodeError;
use crate::ber::{self, tag, Reader, Tlv};
use crate::message::*;

/// The smallest encoded varbind (`30 05 06 01 xx 05 00`), used to size the varbind `Vec`.
pub const MIN_VARBIND_LEN: usize = 7;

/// The largest UDP payload, in bytes: a UDP length field is 16 bits (RFC 768), so no datagram
/// over IPv4 or IPv6 (without jumbograms) carries more than 65,535 bytes of payload.
pub const MAX_UDP_PAYLOAD: usize = 65_535;

/// The most varbinds decoded from one PDU (9,362); one more is [`DecodeError::TooManyVarbinds`].
///
/// RFC 3416 §3 allows up to 2147483647 (max-bindings), so the bound is not SNMP's but the
/// transport's: a varbind takes at least [`MIN_VARBIND_LEN`] bytes and a UDP datagram at most
/// [`MAX_UDP_PAYLOAD`], so no datagram can carry more than this many. Only a larger buffer
/// (never one read from UDP) meets the limit. Memory stays bounded by the datagram: the
/// varbind `Vec` is sized from the bytes present.
pub const MAX_VARBINDS: usize = MAX_UDP_PAYLOAD / MIN_VARBIND_LEN;

/// The longest msgUserName, in octets (RFC 3414 §2.4: `OCTET STRING (SIZE(0..32))`); a longer
/// one is [`DecodeError::TooLong`].
pub const MAX_USER_NAME_LEN: usize = 32;

/// The smallest msgMaxSize, in bytes (RFC 3412 §6: INTEGER (484..2147483647)); a smaller one is
/// [`DecodeError::OutOfRange`].
pub const MIN_MSG_MAX_SIZE: i32 = 484;

/// The USM security model number, msgSecurityModel 3 (RFC 3411 §5, SnmpSecurityModel).
pub const SECURITY_MODEL_USM: i32 = 3;

/// Decodes a whole datagram: a v1/v2c community message (RFC 1157 §4, RFC 1901 §3) or a v3
/// message (RFC 3412 §6, with RFC 3414 §2.4 UsmSecurityParameters when msgSecurityModel is 3).
///
/// The result borrows from `datagram`. Bytes after the outer SEQUENCE, and elements after the
/// last field of the message or of the PDU, are ignored (see the module docs). Errors: any
/// [`DecodeError`], with the offset of the offending byte; [`DecodeError::UnsupportedVersion`]
/// for a msgVersion other than 0, 1 or 3 that fits 32 bits ([`DecodeError::IntegerOverflow`]
/// when it does not). v3 header fields outside their RFC 3412 ranges (msgID, msgMaxSize,
/// msgSecurityModel, a msgFlags that is not one octet), negative
/// msgAuthoritativeEngineBoots/Time and a msgUserName over [`MAX_USER_NAME_LEN`] octets are
/// errors too. Encrypted msgData is returned undecoded ([`ScopedPduData::Encrypted`]).
pub fn decode_message(datagram: &[u8]) -> Result<Message<'_>, DecodeError> {
    let mut top = Reader::new(datagram);
    // Bytes after the message are ignored, as net-snmp's agent ignores them.
    let message = top.read_expected(tag::SEQUENCE, "the message SEQUENCE (0x30)")?;
    let mut r = message.reader();
    let version_tlv = r.read_expected(tag::INTEGER, "msgVersion INTEGER")?;
    // RFC 3412 §6: msgVersion INTEGER (0..2147483647). One that does not even fit 32 bits is
    // malformed, not merely a version this engine does not speak.
    let version = i64::from(ber::decode_i32(&version_tlv)?);
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
    // Elements after the PDU are ignored, as net-snmp's agent ignores them.
    let pdu = decode_pdu(&mut r)?;
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
    // Elements after msgData are ignored, as after a community message's PDU.
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
    let user_offset = seq.offset();
    let user_name = seq.read_octet_string("msgUserName OCTET STRING")?;
    if user_name.len() > MAX_USER_NAME_LEN {
        return Err(DecodeError::TooLong {
            offset: user_offset,
            what: "msgUserName",
            length: user_name.len(),
            max: MAX_USER_NAME_LEN,
        });
    }
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
    // Elements after the PDU are ignored, as in the message SEQUENCE and as net-snmp's agent
    // ignores them.
    let pdu = decode_pdu(&mut r)?;
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
    // Elements after the VarBindList are ignored, as net-snmp's agent ignores them.
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
/// OID and fixed-length errors of the value's type (an IpAddress that is not 4 bytes, an
/// integer too large for its type, an empty BIT STRING). The contents of a NULL or an
/// exception are ignored; BIT STRING, NsapAddress and UInteger32 become [`Value::Other`].
pub fn decode_value(tlv: Tlv<'_>) -> Result<Value<'_>, DecodeError> {
    Ok(match tlv.tag {
        tag::INTEGER => Value::Integer(ber::decode_i32(&tlv)?),
        tag::OCTET_STRING => Value::OctetString(Cow::Borrowed(tlv.contents)),
        tag::OBJECT_IDENTIFIER => Value::ObjectId(ber::decode_oid(tlv.contents, tlv.offset)?),
        // X.690 §8.8.2: a NULL has no contents; any that come carry no meaning and are ignored
        // (so are an exception's, which is an IMPLICIT NULL).
        tag::NULL => Value::Null,
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
        tag::NO_SUCH_OBJECT => Value::NoSuchObject,
        tag::NO_SUCH_INSTANCE => Value::NoSuchInstance,
        tag::END_OF_MIB_VIEW => Value::EndOfMibView,
        // RFC 1442's types and BIT STRING: kept raw for the agent to refuse with wrongType.
        tag::BIT_STRING | tag::NSAP_ADDRESS | tag::UINTEGER32 => {
            if tlv.tag == tag::UINTEGER32 {
                ber::decode_u32(&tlv, "UInteger32")?;
            } else if tlv.tag == tag::BIT_STRING && tlv.contents.is_empty() {
                // The unused-bits octet is mandatory (X.690 §8.6.2.2).
                return Err(DecodeError::WrongLength {
                    offset: tlv.offset,
                    what: "BIT STRING",
                    length: 0,
                    expected: 1,
                });
            }
            Value::Other {
                tag: tlv.tag,
                contents: Cow::Borrowed(tlv.contents),
            }
        }
        found => {
            return Err(DecodeError::UnexpectedTag {
                offset: tlv.offset,
                expected: "an SMI value (0x02-0x06, 0x40-0x47, 0x80-0x82)",
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
    fn rejects_unknown_version_and_ignores_trailing_bytes() {
        let mut bytes = h("302902010204067075626c6963a01c020409d3164a020100020100300e300c06082b060102010101000500");
        assert_eq!(
            decode_message(&bytes),
            Err(DecodeError::UnsupportedVersion(2))
        );
        bytes[4] = 1;
        let plain = bytes.clone();
        bytes.push(0);
        assert_eq!(decode_message(&bytes), decode_message(&plain));
        assert!(decode_message(&plain).is_ok());
    }

    #[test]
    fn value_tags() {
        let v = |b: &[u8]| {
            let b = b.to_vec();
            let tlv = Reader::new(&b).read_tlv().unwrap();
            decode_value(tlv).map(Value::into_owned)
        };
        assert_eq!(v(&[0x05, 0x00]), Ok(Value::Null));
        // NULL contents are ignored (X.690 §8.8.2 says there are none).
        assert_eq!(v(&[0x05, 0x01, 0x00]), Ok(Value::Null));
        assert_eq!(v(&[0x05, 0x02, 0x00, 0x00]), Ok(Value::Null));
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
        assert_eq!(v(&[0x82, 1, 0]), Ok(Value::EndOfMibView));
        assert_eq!(
            v(&[0x44, 2, 0x9f, 0x78]),
            Ok(Value::Opaque(Cow::Owned(vec![0x9f, 0x78])))
        );
        // RFC 1442's NsapAddress and UInteger32, and BIT STRING: kept raw.
        for (bytes, tag) in [
            (&[0x45, 1, 1][..], tag::NSAP_ADDRESS),
            (&[0x47, 1, 1], tag::UINTEGER32),
            (&[0x47, 5, 0, 0xFF, 0xFF, 0xFF, 0xFF], tag::UINTEGER32),
            (&[0x03, 1, 0], tag::BIT_STRING),
            (&[0x03, 2, 4, 0xF0], tag::BIT_STRING),
        ] {
            let contents = bytes[2..].to_vec();
            assert_eq!(
                v(bytes),
                Ok(Value::Other {
                    tag,
                    contents: Cow::Owned(contents)
                })
            );
        }
        assert!(matches!(
            v(&[0x48, 0]),
            Err(DecodeError::UnexpectedTag { found: 0x48, .. })
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
