//! Codec tests across ber/decode/encode: packets captured from net-snmp 5.9.3 (decoded, checked,
//! re-encoded byte for byte), rejections, and property tests (no panic on any input; round trips).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::panic
)]

use std::borrow::Cow;

use proptest::prelude::*;

use super::*;
use crate::ber::{self, tag};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Captures. Requests: `<command> -d -r 0 -t 1 127.0.0.1:9 ...` (nothing listens; `-d` dumps
// the bytes sent). Responses: the same tools against a throwaway `snmpd` 5.9.3 on
// 127.0.0.1:16161 (config: rocommunity public, rwcommunity private, createUser user, rouser
// user noauth), `-d` dumping the bytes received.

/// snmpget -v2c -c public 127.0.0.1:9 1.3.6.1.2.1.1.1.0
const GET_V2C: &str =
    "302902010104067075626c6963a01c020409d3164a020100020100300e300c06082b060102010101000500";
/// snmpgetnext -v1 -c private 127.0.0.1:9 1.3.6.1.2.1.1 1.3.6.1.4.1.318
const GETNEXT_V1: &str = "3035020100040770726976617465a127020414b771e50201000201003019300a06062b06010201010500300b06072b06010401823e0500";
/// snmpbulkget -v2c -c public -Cn1 -Cr10 127.0.0.1:9 1.3.6.1.2.1.1.3 1.3.6.1.2.1.2.2
const BULK_V2C: &str = "303502010104067075626c6963a52802046ec832c602010102010a301a300b06072b0601020101030500300b06072b0601020102020500";
/// snmpset -v2c -c private 127.0.0.1:9 1.3.6.1.2.1.1.5.0 i -2147483648 1.3.6.1.2.1.1.6.0 s hello
///   1.3.6.1.4.1.1.1 x DEADBEEF00 1.3.6.1.4.1.1.3 u 4294967295 1.3.6.1.4.1.1.4 t 1234567
///   1.3.6.1.4.1.1.5 a 10.1.2.3 1.3.6.1.4.1.1.6 o 1.3.6.1.4294967295.2 1.3.6.1.4.1.1.7 i 2147483647
///   1.3.6.1.4.1.1.8 u 128 1.3.6.1.4.1.1.9 n x
const SET_V2C_TYPES: &str = "3081cb020101040770726976617465a381bc020437e2c2000201000201003081ad301006082b06010201010500020480000000301106082b06010201010600040568656c6c6f301006072b0601040101010405deadbeef00301006072b060104010103420500ffffffff300e06072b060104010104430312d687300f06072b06010401010540040a010203301406072b06010401010606092b06018fffffff7f02300f06072b06010401010702047fffffff300d06072b06010401010842020080300b06072b0601040101090500";
/// snmpset -v2c -c private 127.0.0.1:9 1.3.6.1.4.1.1.8 U 5   (net-snmp's Opaque-wrapped UInt64)
const SET_V2C_OPAQUE: &str = "302d020101040770726976617465a31f0204245967db0201000201003011300f06072b06010401010844049f7b0105";
/// snmpset -v1 -c private 127.0.0.1:9 1.3.6.1.4.1.318.1.1.4.4.2.1.3.1 i 3
const SET_V1: &str = "3032020100040770726976617465a32402040bed242c02010002010030163014060f2b06010401823e0101040402010301020103";
/// snmpget -v2c -c public 127.0.0.1:9 2.999.3 0.39 1.39.1
const GET_V2C_FIRST_ARCS: &str = "303302010104067075626c6963a026020441cbe1f3020100020100301830070603883703050030050601270500300606024f010500";
/// snmptrap -v2c -c public 127.0.0.1:9 12345 1.3.6.1.6.3.1.1.5.1 1.3.6.1.4.1.1.2 c 4294967295
///   1.3.6.1.4.1.1.3 C 18446744073709551615 1.3.6.1.4.1.1.4 C 0
const TRAP_V2C_COUNTERS: &str = "307a02010104067075626c6963a76d020477b28a90020100020100305f300e06082b06010201010300430230393017060a2b06010603010104010006092b0601060301010501301006072b060104010102410500ffffffff301406072b060104010103460900ffffffffffffffff300c06072b060104010104460100";
/// snmpinform -v2c -c public 127.0.0.1:9 12345 1.3.6.1.6.3.1.1.5.1 1.3.6.1.2.1.1.1.0 s x
const INFORM_V2C: &str = "305302010104067075626c6963a64602046e5a44c00201000201003038300e06082b06010201010300430230393017060a2b06010603010104010006092b0601060301010501300d06082b06010201010100040178";
/// snmptrap -v1 -c public 127.0.0.1:9 1.3.6.1.4.1.318 10.0.0.1 6 17 12345 1.3.6.1.4.1.318.1.1 s "outlet on"
const TRAP_V1: &str = "304002010004067075626c6963a43306072b06010401823e40040a000001020106020111430230393018301606092b06010401823e010104096f75746c6574206f6e";
/// snmpget -v3 -e 8000000001020304 -l noAuthNoPriv -u user 127.0.0.1:9 1.3.6.1.2.1.1.1.0
const V3_GET_NOAUTH: &str = "3060020103301102047af77729020300ffe3040104020103041c301a0408800000000102030402010002010004047573657204000400302a040880000000010203040400a01c02047bc5e8a5020100020100300e300c06082b060102010101000500";
/// snmpbulkget -v3 -e 8000000001020304 -n ctx -l noAuthNoPriv -u user -Cn0 -Cr50 127.0.0.1:9 1.3.6.1.2.1.2.2.1
const V3_BULK_CONTEXT: &str = "30630201033011020464377e84020300ffe3040104020103041c301a0408800000000102030402010002010004047573657204000400302d040880000000010203040403637478a51c02047e44ef2e020100020132300e300c06082b060102010202010500";
/// snmpset -v3 -e 8000000001020304 -l noAuthNoPriv -u admin 127.0.0.1:9 1.3.6.1.4.1.318.1.1.4.4.2.1.3.1 i 2
const V3_SET: &str = "3069020103301102044f55d307020300ffe3040104020103041d301b04088000000001020304020100020100040561646d696e040004003032040880000000010203040400a3240204731267f502010002010030163014060f2b06010401823e0101040402010301020102";
/// snmpget -v3 -e 8000000001020304 -l authNoPriv -a MD5 -A authpassword -u user 127.0.0.1:9 1.3.6.1.2.1.1.1.0
const V3_AUTH_MD5: &str = "306c0201033011020415e9d9be020300ffe30401050201030428302604088000000001020304020100020100040475736572040c0245dfbaee370465b39831770400302a040880000000010203040400a01c0204555224d1020100020100300e300c06082b060102010101000500";
/// snmpget -v3 -e 8000000001020304 -l authPriv -a SHA -A authpassword -x AES -X privpassword -u user
///   127.0.0.1:9 1.3.6.1.2.1.1.1.0
const V3_AUTH_PRIV_AES: &str = "30760201033011020463ed97ad020300ffe30401070201030430302e04088000000001020304020100020100040475736572040c4225b4a42d7e71ce3510f4ba04082cb19aef16042b7a042c91a11400e0c59834059d7c25d546a0d591d3cad427293b59fc4559ef89174209925c8fa8fe8fa1d7ad721524";
/// snmpget -v3 -l noAuthNoPriv -u user 127.0.0.1:9 1.3.6.1.2.1.1.1.0   (engineID discovery probe)
const V3_DISCOVERY: &str = "303e020103301102040d260e6f020300ffe30401040201030410300e0400020100020100040004000400301404000400a00e020478525b2c0201000201003000";
/// Received by: snmpget -v2c -c public 127.0.0.1:16161 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.2.2.1.10.1
///   1.3.6.1.2.1.31.1.1.1.6.1 1.3.6.1.2.1.1.99.0 1.3.6.1.2.1.1.1.99 1.3.6.1.2.1.4.20.1.1.127.0.0.1
const RESPONSE_V2C_TYPES: &str = "30818302010104067075626c6963a27602046e2be3830201000201003068300e06082b06010201010300430202093010060a2b060102010202010a014102272d3011060b2b060102011f01010106014602272d300c06082b060102010163008000300c06082b0601020101016381003015060d2b06010201041401017f00000140047f000001";
/// Received by: snmpgetnext -v2c -c public 127.0.0.1:16161 1.9
const RESPONSE_END_OF_MIB: &str =
    "302202010104067075626c6963a21502044f6ad5c0020100020100300730050601318200";
/// Received by: snmpget -v1 -c public 127.0.0.1:16161 1.3.6.1.2.1.1.99.0   (noSuchName, index 1)
const RESPONSE_V1_NO_SUCH_NAME: &str =
    "302902010004067075626c6963a21c0204758c9485020102020101300e300c06082b060102010163000500";
/// Received by: snmpset -v2c -c public 127.0.0.1:16161 1.3.6.1.2.1.1.5.0 s x   (noAccess, index 1)
const RESPONSE_V2C_NO_ACCESS: &str =
    "302a02010104067075626c6963a21d02040ab61d80020106020101300f300d06082b06010201010500040178";
/// Received by: snmpbulkget -v2c -c public -Cn0 -Cr8 127.0.0.1:16161 1.3.6.1.2.1.1
const RESPONSE_V2C_BULK: &str = "3081eb02010104067075626c6963a281dd02046b75818d0201000201003081ce304506082b0601020101010004394c696e757820766d20362e31382e34342d66632d7637383220233120534d5020505245454d50545f44594e414d4943204030207838365f3634301606082b06010201010200060a2b06010401bf0803020a300e06082b0601020101030043020374301006082b060102010104000404726f6f74300e06082b060102010105000402766d301306082b060102010106000407556e6b6e6f776e300d06082b060102010108004301003017060a2b06010201010901020106092b060106030a030101";
/// Received by: snmpget -v3 -l noAuthNoPriv -u user 127.0.0.1:16161 1.3.6.1.2.1.1.5.0
///   (the Report answering the discovery probe: usmStatsUnknownEngineIDs.0 = 1)
const REPORT_V3_UNKNOWN_ENGINE: &str = "3079020103301102046ab9cbd9020300ffe304010002010304253023041580001f880438303030303030303031303230333034020101020106040004000400303a041580001f8804383030303030303030313032303330340400a81f02041ae3bb3f0201000201003011300f060a2b060106030f01010400410101";
/// Received by: the same command, after discovery (sysName.0 = "vm").
const RESPONSE_V3: &str = "307c020103301102046ab9cbd8020300ffe304010002010304293027041580001f880438303030303030303031303230333034020101020106040475736572040004003039041580001f8804383030303030303030313032303330340400a21e02041ae3bb3e0201000201003010300e06082b060102010105000402766d";

const ALL_CAPTURES: &[&str] = &[
    GET_V2C,
    GETNEXT_V1,
    BULK_V2C,
    SET_V2C_TYPES,
    SET_V2C_OPAQUE,
    SET_V1,
    GET_V2C_FIRST_ARCS,
    TRAP_V2C_COUNTERS,
    INFORM_V2C,
    TRAP_V1,
    V3_GET_NOAUTH,
    V3_BULK_CONTEXT,
    V3_SET,
    V3_AUTH_MD5,
    V3_AUTH_PRIV_AES,
    V3_DISCOVERY,
    RESPONSE_V2C_TYPES,
    RESPONSE_END_OF_MIB,
    RESPONSE_V1_NO_SUCH_NAME,
    RESPONSE_V2C_NO_ACCESS,
    RESPONSE_V2C_BULK,
    REPORT_V3_UNKNOWN_ENGINE,
    RESPONSE_V3,
];

/// Encodes a decoded message again with the public encoders; for v3, with `same_offset`, also
/// checks that the returned auth offset is the decoded one (true only when the input was
/// minimal).
fn reencode(message: &Message<'_>, same_offset: bool) -> Vec<u8> {
    let mut out = Vec::new();
    match message {
        Message::Community(m) => encode_community_message(&mut out, m.version, m.community, &m.pdu),
        Message::V3(m) => {
            assert_eq!(
                m.msg_security_model, 3,
                "only USM messages can be re-encoded"
            );
            let mut scoped = Vec::new();
            let body = match &m.data {
                ScopedPduData::Plaintext(s) => {
                    encode_scoped_pdu(&mut scoped, s);
                    V3Body::Plaintext(&scoped)
                }
                ScopedPduData::Encrypted(c) => V3Body::Encrypted(c),
            };
            let offset = encode_v3_message(
                &mut out,
                m.msg_id,
                m.msg_max_size,
                m.msg_flags,
                &m.usm,
                body,
            );
            if same_offset {
                assert_eq!(offset, m.auth_params_offset);
            }
        }
    }
    out
}

/// Two decoded messages say the same thing: equal, except for the v3 fields that record where
/// things were in the bytes (msgSecurityParameters' raw bytes, the auth offset).
fn assert_same_meaning(a: &Message<'_>, b: &Message<'_>) {
    match (a, b) {
        (Message::V3(a), Message::V3(b)) => {
            assert_eq!(
                (a.msg_id, a.msg_max_size, a.msg_flags, a.msg_security_model),
                (b.msg_id, b.msg_max_size, b.msg_flags, b.msg_security_model)
            );
            assert_eq!((&a.usm, &a.data), (&b.usm, &b.data));
        }
        _ => assert_eq!(a, b),
    }
}

fn community(hex: &str) -> (Vec<u8>, CommunityMessage<'static>) {
    let bytes = h(hex);
    let leaked: &'static [u8] = Box::leak(bytes.clone().into_boxed_slice());
    match decode_message(leaked).unwrap() {
        Message::Community(m) => (bytes, m),
        other => panic!("not a community message: {other:?}"),
    }
}

fn v3(hex: &str) -> (Vec<u8>, V3Message<'static>) {
    let bytes = h(hex);
    let leaked: &'static [u8] = Box::leak(bytes.clone().into_boxed_slice());
    match decode_message(leaked).unwrap() {
        Message::V3(m) => (bytes, m),
        other => panic!("not a v3 message: {other:?}"),
    }
}

fn oid(text: &str) -> Oid {
    Oid::parse(text).unwrap()
}

fn plaintext<'a>(m: &'a V3Message<'_>) -> &'a ScopedPdu<'a> {
    match &m.data {
        ScopedPduData::Plaintext(s) => s,
        ScopedPduData::Encrypted(_) => panic!("encrypted"),
    }
}

#[test]
fn every_capture_reencodes_byte_for_byte() {
    for hex in ALL_CAPTURES {
        let bytes = h(hex);
        let message = decode_message(&bytes).unwrap_or_else(|e| panic!("{hex}: {e}"));
        assert_eq!(hex::encode(reencode(&message, true)), *hex);
    }
}

#[test]
fn capture_get_v2c() {
    let (_, m) = community(GET_V2C);
    assert_eq!((m.version, m.community), (Version::V2c, &b"public"[..]));
    assert_eq!(m.pdu.pdu_type, PduType::GetRequest);
    assert_eq!(
        (m.pdu.request_id, m.pdu.error_status, m.pdu.error_index),
        (0x09d3164a, 0, 0)
    );
    assert_eq!(
        m.pdu.varbinds,
        vec![VarBind {
            oid: oid("1.3.6.1.2.1.1.1.0"),
            value: Value::Null
        }]
    );
}

#[test]
fn capture_getnext_v1() {
    let (_, m) = community(GETNEXT_V1);
    assert_eq!((m.version, m.community), (Version::V1, &b"private"[..]));
    assert_eq!(m.pdu.pdu_type, PduType::GetNextRequest);
    let names: Vec<_> = m.pdu.varbinds.iter().map(|vb| vb.oid.to_string()).collect();
    assert_eq!(names, ["1.3.6.1.2.1.1", "1.3.6.1.4.1.318"]);
}

#[test]
fn capture_getbulk_carries_non_repeaters_and_max_repetitions() {
    let (_, m) = community(BULK_V2C);
    assert_eq!(m.pdu.pdu_type, PduType::GetBulkRequest);
    assert_eq!((m.pdu.error_status, m.pdu.error_index), (1, 10));
    assert_eq!(m.pdu.varbinds.len(), 2);
}

#[test]
fn capture_set_with_every_settable_type() {
    let (_, m) = community(SET_V2C_TYPES);
    assert_eq!(m.pdu.pdu_type, PduType::SetRequest);
    let values: Vec<_> = m.pdu.varbinds.iter().map(|vb| vb.value.clone()).collect();
    assert_eq!(
        values,
        vec![
            Value::Integer(i32::MIN),
            Value::octets("hello"),
            Value::octets(vec![0xDE, 0xAD, 0xBE, 0xEF, 0x00]),
            Value::Gauge32(u32::MAX),
            Value::TimeTicks(1234567),
            Value::IpAddress([10, 1, 2, 3]),
            Value::ObjectId(Oid::new(&[1, 3, 6, 1, u32::MAX, 2])),
            Value::Integer(i32::MAX),
            Value::Gauge32(128),
            Value::Null,
        ]
    );
    let (_, m) = community(SET_V2C_OPAQUE);
    assert_eq!(
        m.pdu.varbinds[0].value,
        Value::Opaque(Cow::Borrowed(&[0x9f, 0x7b, 0x01, 0x05]))
    );
    let (_, m) = community(SET_V1);
    assert_eq!(m.version, Version::V1);
    assert_eq!(
        m.pdu.varbinds[0].oid,
        oid("1.3.6.1.4.1.318.1.1.4.4.2.1.3.1")
    );
    assert_eq!(m.pdu.varbinds[0].value, Value::Integer(3));
}

#[test]
fn capture_first_arcs() {
    let (_, m) = community(GET_V2C_FIRST_ARCS);
    let names: Vec<_> = m.pdu.varbinds.iter().map(|vb| vb.oid.to_string()).collect();
    assert_eq!(names, ["2.999.3", "0.39", "1.39.1"]);
}

#[test]
fn capture_traps_and_inform() {
    let (_, m) = community(TRAP_V2C_COUNTERS);
    assert_eq!(m.pdu.pdu_type, PduType::SnmpV2Trap);
    let values: Vec<_> = m.pdu.varbinds.iter().map(|vb| vb.value.clone()).collect();
    assert_eq!(
        values,
        vec![
            Value::TimeTicks(12345),
            Value::ObjectId(oid("1.3.6.1.6.3.1.1.5.1")),
            Value::Counter32(u32::MAX),
            Value::Counter64(u64::MAX),
            Value::Counter64(0),
        ]
    );
    let (_, m) = community(INFORM_V2C);
    assert_eq!(m.pdu.pdu_type, PduType::InformRequest);

    let (_, m) = community(TRAP_V1);
    assert_eq!(m.version, Version::V1);
    assert_eq!(m.pdu.pdu_type, PduType::TrapV1);
    assert_eq!(
        m.pdu.trap_v1,
        Some(TrapV1Header {
            enterprise: oid("1.3.6.1.4.1.318"),
            agent_addr: [10, 0, 0, 1],
            generic_trap: 6,
            specific_trap: 17,
            time_stamp: 12345,
        })
    );
    assert_eq!(
        m.pdu.varbinds,
        vec![VarBind {
            oid: oid("1.3.6.1.4.1.318.1.1"),
            value: Value::octets("outlet on")
        }]
    );
}

#[test]
fn capture_responses_from_snmpd() {
    let (_, m) = community(RESPONSE_V2C_TYPES);
    assert_eq!(m.pdu.pdu_type, PduType::Response);
    let values: Vec<_> = m.pdu.varbinds.iter().map(|vb| vb.value.clone()).collect();
    assert_eq!(
        values,
        vec![
            Value::TimeTicks(521),
            Value::Counter32(10029),
            Value::Counter64(10029),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::IpAddress([127, 0, 0, 1]),
        ]
    );
    let (_, m) = community(RESPONSE_END_OF_MIB);
    assert_eq!(m.pdu.varbinds[0].value, Value::EndOfMibView);
    let (_, m) = community(RESPONSE_V1_NO_SUCH_NAME);
    assert_eq!(
        (m.pdu.error_status, m.pdu.error_index),
        (ErrorStatus::NoSuchName as i32, 1)
    );
    let (_, m) = community(RESPONSE_V2C_NO_ACCESS);
    assert_eq!(
        (m.pdu.error_status, m.pdu.error_index),
        (ErrorStatus::NoAccess as i32, 1)
    );
    let (_, m) = community(RESPONSE_V2C_BULK);
    assert_eq!(m.pdu.varbinds.len(), 8);
    assert_eq!(
        m.pdu.varbinds[1].value,
        Value::ObjectId(oid("1.3.6.1.4.1.8072.3.2.10"))
    );
}

#[test]
fn capture_v3_noauth_get() {
    let (bytes, m) = v3(V3_GET_NOAUTH);
    assert_eq!(
        (m.msg_id, m.msg_max_size, m.msg_flags, m.msg_security_model),
        (0x7af77729, 65507, FLAG_REPORTABLE, 3)
    );
    assert_eq!(m.usm.engine_id, h("8000000001020304"));
    assert_eq!((m.usm.engine_boots, m.usm.engine_time), (0, 0));
    assert_eq!(m.usm.user_name, b"user");
    assert_eq!((m.usm.auth_params, m.usm.priv_params), (&b""[..], &b""[..]));
    assert_eq!(m.auth_params_offset, 52);
    assert_eq!(&bytes[50..52], &[0x04, 0x00]);
    let s = plaintext(&m);
    assert_eq!(
        (s.context_engine_id, s.context_name),
        (&h("8000000001020304")[..], &b""[..])
    );
    assert_eq!(s.pdu.pdu_type, PduType::GetRequest);
    assert_eq!(s.pdu.varbinds[0].oid, oid("1.3.6.1.2.1.1.1.0"));

    let (_, m) = v3(V3_BULK_CONTEXT);
    let s = plaintext(&m);
    assert_eq!(s.context_name, b"ctx");
    assert_eq!(
        (s.pdu.pdu_type, s.pdu.error_status, s.pdu.error_index),
        (PduType::GetBulkRequest, 0, 50)
    );

    let (_, m) = v3(V3_SET);
    assert_eq!(m.usm.user_name, b"admin");
    assert_eq!(plaintext(&m).pdu.varbinds[0].value, Value::Integer(2));
}

#[test]
fn capture_v3_auth_offsets() {
    let (bytes, m) = v3(V3_AUTH_MD5);
    assert_eq!(m.msg_flags, FLAG_AUTH | FLAG_REPORTABLE);
    assert_eq!(m.usm.auth_params.len(), 12);
    assert_eq!(
        &bytes[m.auth_params_offset..m.auth_params_offset + 12],
        m.usm.auth_params
    );
    assert_eq!(m.auth_params_offset, 52);

    let (bytes, m) = v3(V3_AUTH_PRIV_AES);
    assert_eq!(m.msg_flags, FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE);
    assert_eq!(
        &bytes[m.auth_params_offset..m.auth_params_offset + 12],
        m.usm.auth_params
    );
    assert_eq!(m.usm.priv_params, h("2cb19aef16042b7a"));
    match m.data {
        ScopedPduData::Encrypted(c) => assert_eq!(c.len(), 44),
        ScopedPduData::Plaintext(_) => panic!("expected encryptedPDU"),
    }
}

#[test]
fn capture_v3_discovery_and_report() {
    let (_, m) = v3(V3_DISCOVERY);
    assert_eq!(m.usm, UsmSecurityParameters::default());
    let s = plaintext(&m);
    assert!(s.context_engine_id.is_empty() && s.pdu.varbinds.is_empty());

    let (_, m) = v3(REPORT_V3_UNKNOWN_ENGINE);
    assert_eq!(m.msg_flags, 0);
    assert_eq!((m.usm.engine_boots, m.usm.engine_time), (1, 6));
    let s = plaintext(&m);
    assert_eq!(s.pdu.pdu_type, PduType::Report);
    assert_eq!(
        s.pdu.varbinds,
        vec![VarBind {
            oid: oid("1.3.6.1.6.3.15.1.1.4.0"),
            value: Value::Counter32(1)
        }]
    );
    let (_, m) = v3(RESPONSE_V3);
    assert_eq!(plaintext(&m).pdu.varbinds[0].value, Value::octets("vm"));
}

#[test]
fn scoped_pdu_alone_and_with_padding() {
    let (bytes, m) = v3(V3_BULK_CONTEXT);
    // The ScopedPDU is the last element of the message.
    let start = bytes.len() - 0x2f;
    let mut scoped = bytes[start..].to_vec();
    let copy = scoped.clone();
    let decoded = decode_scoped_pdu(&copy).unwrap();
    assert_eq!(&decoded, plaintext(&m));
    scoped.extend_from_slice(&[0; 7]); // DES padding
    assert_eq!(decode_scoped_pdu(&scoped).unwrap(), decoded);
    let mut out = Vec::new();
    encode_scoped_pdu(&mut out, &decoded);
    assert_eq!(out, &bytes[start..]);
    // An element after the PDU inside the ScopedPDU SEQUENCE is ignored, as after the PDU of
    // a community message (net-snmp's agent answers it).
    let mut contents = scoped[2..copy.len()].to_vec();
    contents.extend_from_slice(&[0x02, 0x01, 0x01]);
    let mut extra = Vec::new();
    ber::write_octets(&mut extra, tag::SEQUENCE, &contents);
    assert_eq!(decode_scoped_pdu(&extra).unwrap(), decoded);
}

// ---------------------------------------------------------------------------------------------
// Rejections

#[test]
fn every_truncation_is_rejected() {
    for hex in ALL_CAPTURES {
        let bytes = h(hex);
        for n in 0..bytes.len() {
            assert!(
                decode_message(&bytes[..n]).is_err(),
                "{hex} truncated to {n} decoded"
            );
        }
    }
    let (bytes, _) = v3(V3_GET_NOAUTH);
    let scoped = &bytes[bytes.len() - 0x2c..];
    assert!(decode_scoped_pdu(scoped).is_ok());
    for n in 0..scoped.len() {
        assert!(decode_scoped_pdu(&scoped[..n]).is_err());
    }
}

#[test]
fn rejects_a_two_gigabyte_length() {
    let mut bytes = vec![0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF];
    bytes.extend_from_slice(&h(GET_V2C)[2..]);
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::LengthOverrun {
            offset: 0,
            length: 0x7FFF_FFFF,
            ..
        })
    ));
    // The same inside a varbind list and an octet string.
    let mut bytes = h("3030020101040670756231696361a0230204000000010201000201003015");
    bytes.extend_from_slice(&[0x84, 0x7F, 0xFF, 0xFF, 0xFF]);
    bytes.extend_from_slice(&[0; 8]);
    assert!(decode_message(&bytes).is_err());
    assert!(matches!(
        decode_scoped_pdu(&[0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x04, 0x00]),
        Err(DecodeError::LengthOverrun { .. })
    ));
}

/// A v2c GetRequest (request-id 1) whose PDU contents end with `list_and_extra` (the
/// VarBindList element and whatever follows it).
fn get_with_pdu_tail(list_and_extra: &[u8]) -> Vec<u8> {
    let mut pdu = Vec::new();
    let fields = h("020101020100020100");
    ber::write_header(&mut pdu, 0xA0, fields.len() + list_and_extra.len());
    pdu.extend_from_slice(&fields);
    pdu.extend_from_slice(list_and_extra);
    let mut body = h("02010104067075626c6963");
    body.extend_from_slice(&pdu);
    let mut out = Vec::new();
    ber::write_header(&mut out, tag::SEQUENCE, body.len());
    out.extend_from_slice(&body);
    out
}

/// A v2c GetRequest with one varbind whose SEQUENCE contents are `contents`.
fn get_with_varbind(contents: &[u8]) -> Vec<u8> {
    let mut varbind = Vec::new();
    ber::write_header(&mut varbind, tag::SEQUENCE, contents.len());
    varbind.extend_from_slice(contents);
    let mut list = Vec::new();
    ber::write_header(&mut list, tag::SEQUENCE, varbind.len());
    list.extend_from_slice(&varbind);
    get_with_pdu_tail(&list)
}

/// A v2c GetRequest for one varbind whose OID element is `oid_element`, value NULL.
fn get_with_oid_element(oid_element: &[u8]) -> Vec<u8> {
    get_with_varbind(&[oid_element, &[0x05, 0x00][..]].concat())
}

/// A v2c GetRequest for 1.3.6.1 whose value element is `value_element`.
fn get_with_value_element(value_element: &[u8]) -> Vec<u8> {
    get_with_varbind(&[&[0x06, 0x03, 0x2B, 0x06, 0x01][..], value_element].concat())
}

#[test]
fn rejects_oids_with_too_many_arcs() {
    let mut element = Vec::new();
    ber::write_oid(&mut element, &Oid(vec![1; 200]));
    assert!(matches!(
        decode_message(&get_with_oid_element(&element)),
        Err(DecodeError::TooManyArcs { .. })
    ));
    element.clear();
    ber::write_oid(&mut element, &Oid(vec![1; 128]));
    assert!(decode_message(&get_with_oid_element(&element)).is_ok());
    element.clear();
    ber::write_oid(&mut element, &Oid(vec![1; 129]));
    assert!(matches!(
        decode_message(&get_with_oid_element(&element)),
        Err(DecodeError::TooManyArcs { .. })
    ));
    // Empty, arc over u32.
    assert!(matches!(
        decode_message(&get_with_oid_element(&[0x06, 0x00])),
        Err(DecodeError::EmptyOid { .. })
    ));
    assert!(matches!(
        decode_message(&get_with_oid_element(&[
            0x06, 0x06, 0x2B, 0x90, 0x80, 0x80, 0x80, 0x00
        ])),
        Err(DecodeError::ArcOverflow { .. })
    ));
}

#[test]
fn accepts_longer_lengths_as_rfc_3417_allows_and_non_minimal_integers() {
    let plain = h(GET_V2C);
    let minimal = decode_message(&plain).unwrap();
    // RFC 3417 §8: the long form may use more length octets than needed. Outer length 0x29
    // written as 81 29, as 82 00 29, and as 88 00 00 00 00 00 00 00 29: the same message.
    for prefix in [
        &[0x30, 0x81][..],
        &[0x30, 0x82, 0x00],
        &[0x30, 0x88, 0, 0, 0, 0, 0, 0, 0],
    ] {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&h(GET_V2C)[1..]);
        assert_eq!(decode_message(&bytes).unwrap(), minimal, "{prefix:02x?}");
    }
    // puresnmp writes a length of 38 as 81 26 (issue report): the whole GET decodes.
    let puresnmp =
        h("30812602010104067075626c6963a01902014d020100020100300e300c06082b060102010105000500");
    let Message::Community(m) = decode_message(&puresnmp).unwrap() else {
        panic!("not v2c")
    };
    assert_eq!(m.pdu.varbinds[0].oid, oid("1.3.6.1.2.1.1.5.0"));
    // Nine length octets, and a length of 4 GiB or more, are refused.
    let mut nine = vec![0x30, 0x89, 0, 0, 0, 0, 0, 0, 0, 0];
    nine.extend_from_slice(&h(GET_V2C)[1..]);
    assert_eq!(
        decode_message(&nine),
        Err(DecodeError::BadLength { offset: 1 })
    );
    assert_eq!(
        decode_message(&[0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00]),
        Err(DecodeError::BadLength { offset: 1 })
    );
    // What this crate writes stays minimal.
    let mut out = Vec::new();
    encode_community_message(&mut out, m.version, m.community, &m.pdu);
    assert_eq!(out[1], 0x26);
    // version 1 written as 02 02 00 01.
    let mut bytes = h(
        "302a0202000104067075626c6963a01c020409d3164a020100020100300e300c06082b060102010101000500",
    );
    let Message::Community(m) = decode_message(&bytes).unwrap() else {
        panic!("not community")
    };
    assert_eq!(m.version, Version::V2c);
    // request-id -1 written as 02 02 FF FF.
    bytes = h("302702010104067075626c6963a01a0202ffff020100020100300e300c06082b060102010101000500");
    let Message::Community(m) = decode_message(&bytes).unwrap() else {
        panic!("not community")
    };
    assert_eq!(m.pdu.request_id, -1);
    // Zero-length error-status.
    bytes =
        h("302802010104067075626c6963a01b020409d3164a0200020100300e300c06082b060102010101000500");
    assert_eq!(
        decode_message(&bytes),
        Err(DecodeError::EmptyInteger { offset: 21 })
    );
    // request-id 2^32 does not fit i32 (RFC 3416: -214783648..214783647).
    bytes = h(
        "302a02010104067075626c6963a01d02050100000000020100020100300e300c06082b060102010101000500",
    );
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::IntegerOverflow { offset: 15, .. })
    ));
}

/// Each lenient form decodes to what its minimal form decodes to, and re-encodes to the
/// minimal form: what is accepted never changes what is written.
#[test]
fn lenient_forms_mean_what_their_minimal_forms_mean() {
    let same = |what: &str, lenient: &[u8], minimal: &[u8]| {
        let want = decode_message(minimal).unwrap_or_else(|e| panic!("{what}: minimal: {e}"));
        let got = decode_message(lenient).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got, want, "{what}");
        assert_eq!(reencode(&got, true), minimal, "{what}: re-encoding");
    };
    let value = get_with_value_element;
    // X.690 §8.3.2 binds senders: redundant sign octets do not change an INTEGER.
    same(
        "Integer32 5 in 4 octets",
        &value(&[0x02, 0x04, 0, 0, 0, 5]),
        &value(&[0x02, 0x01, 5]),
    );
    same(
        "Integer32 -2 in 4 octets",
        &value(&[0x02, 0x04, 0xFF, 0xFF, 0xFF, 0xFE]),
        &value(&[0x02, 0x01, 0xFE]),
    );
    same(
        "Counter32 4294967295 with an extra 00",
        &value(&[0x41, 0x06, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
        &value(&[0x41, 0x05, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
    );
    same(
        "TimeTicks 5 in 2 octets",
        &value(&[0x43, 0x02, 0, 5]),
        &value(&[0x43, 0x01, 5]),
    );
    same(
        "Counter64 2^64-1 with two extra 00",
        &value(&[
            0x46, 0x0B, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]),
        &value(&[
            0x46, 0x09, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]),
    );
    // X.690 §8.19.2 binds senders: 0x80 padding does not change a subidentifier.
    same(
        "1.3.6 with 80 80 before the 6",
        &get_with_oid_element(&[0x06, 0x04, 0x2B, 0x80, 0x80, 0x06]),
        &get_with_oid_element(&[0x06, 0x02, 0x2B, 0x06]),
    );
    same(
        "1.3.6 with 80 before the first subidentifier",
        &get_with_oid_element(&[0x06, 0x03, 0x80, 0x2B, 0x06]),
        &get_with_oid_element(&[0x06, 0x02, 0x2B, 0x06]),
    );
    // X.690 §8.8.2: a NULL's contents (there should be none) carry nothing.
    for (what, lenient, minimal) in [
        ("NULL 05 01 00", &[0x05, 0x01, 0x00][..], &[0x05, 0x00][..]),
        ("NULL 05 02 00 00", &[0x05, 0x02, 0x00, 0x00], &[0x05, 0x00]),
        ("noSuchObject 80 01 00", &[0x80, 0x01, 0x00], &[0x80, 0x00]),
        ("endOfMibView 82 01 07", &[0x82, 0x01, 0x07], &[0x82, 0x00]),
    ] {
        same(what, &value(lenient), &value(minimal));
    }
    // Request-id and version with redundant octets.
    let plain = h(GET_V2C);
    let mut version = plain.clone();
    version.splice(2..5, [0x02, 0x02, 0x00, 0x01]);
    version[1] += 1;
    same("msgVersion 02 02 00 01", &version, &plain);
    let mut request_id = plain.clone();
    request_id.splice(15..21, [0x02, 0x05, 0x00, 0x09, 0xd3, 0x16, 0x4a]);
    request_id[1] += 1;
    request_id[14] += 1;
    same("request-id with an extra 00", &request_id, &plain);
    // Bytes after the message, elements after the PDU or after the VarBindList.
    same(
        "a 00 after the message",
        &[&plain[..], &[0x00]].concat(),
        &plain,
    );
    same(
        "DE AD BE EF x3 after the message",
        &[&plain[..], &[0xDE, 0xAD, 0xBE, 0xEF].repeat(3)].concat(),
        &plain,
    );
    let mut fourth = plain.clone();
    fourth[1] += 2;
    fourth.extend_from_slice(&[0x05, 0x00]);
    same("a fourth element in the message", &fourth, &plain);
    same(
        "an element after the VarBindList",
        &get_with_pdu_tail(&h("30003000")),
        &get_with_pdu_tail(&h("3000")),
    );
}

/// What stays refused: values out of their type's range, truncated or empty elements, and a
/// msgUserName over RFC 3414's 32 octets.
#[test]
fn out_of_range_and_oversized_fields_stay_refused() {
    let plain = h(GET_V2C);
    // msgVersion 2^32: does not fit 32 bits (net-snmp's agent would read it as 0, SNMPv1).
    let mut version = plain.clone();
    version.splice(2..5, [0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00]);
    version[1] += 4;
    assert!(matches!(
        decode_message(&version),
        Err(DecodeError::IntegerOverflow {
            offset: 2,
            ty: "Integer32"
        })
    ));
    // A Counter32 of 2^32, an Integer32 of 2^31, a negative Gauge32 even when padded.
    let value = |v: &[u8]| decode_message(&get_with_value_element(v)).map(|_| ());
    for v in [
        &[0x41, 0x05, 0x01, 0, 0, 0, 0][..],
        &[0x02, 0x05, 0x00, 0x80, 0, 0, 0],
        &[0x42, 0x02, 0xFF, 0xFF],
    ] {
        assert!(
            matches!(value(v), Err(DecodeError::IntegerOverflow { .. })),
            "{v:02x?}"
        );
    }

    let v3 = |engine_id: &[u8], user: &[u8]| {
        let usm = UsmSecurityParameters {
            engine_id,
            engine_boots: 1,
            engine_time: 2,
            user_name: user,
            auth_params: b"",
            priv_params: b"",
        };
        let mut out = Vec::new();
        encode_v3_message(&mut out, 1, 65507, 4, &usm, V3Body::Encrypted(b""));
        out
    };
    let user32 = v3(b"\x80\x00\x00\x00\x01", &[b'u'; 32]);
    let Message::V3(m) = decode_message(&user32).unwrap() else {
        panic!("not v3")
    };
    assert_eq!(m.usm.user_name, &[b'u'; 32][..]);
    let user33 = v3(b"\x80\x00\x00\x00\x01", &[b'u'; 33]);
    assert!(matches!(
        decode_message(&user33),
        Err(DecodeError::TooLong {
            what: "msgUserName",
            length: 33,
            max: 32,
            ..
        })
    ));
    // msgAuthoritativeEngineID has no size in RFC 3414 §2.4: 33 octets decode (an agent then
    // answers usmStatsUnknownEngineIDs).
    let engine33 = v3(&[1; 33], b"user");
    let Message::V3(m) = decode_message(&engine33).unwrap() else {
        panic!("not v3")
    };
    assert_eq!(m.usm.engine_id.len(), 33);
}

#[test]
fn rejects_indefinite_lengths() {
    let mut bytes = vec![0x30, 0x80];
    bytes.extend_from_slice(&h(GET_V2C)[2..]);
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(
        decode_message(&bytes),
        Err(DecodeError::IndefiniteLength { offset: 1 })
    );
}

#[test]
fn rejects_bad_values() {
    assert!(decode_message(&get_with_value_element(&[0x05, 0x00])).is_ok());
    let err = |value: &[u8]| decode_message(&get_with_value_element(value)).unwrap_err();
    assert!(matches!(
        err(&[0x40, 0x03, 10, 1, 2]),
        DecodeError::WrongLength {
            what: "IpAddress",
            ..
        }
    ));
    assert!(matches!(
        err(&[0x40, 0x05, 10, 1, 2, 3, 4]),
        DecodeError::WrongLength {
            what: "IpAddress",
            ..
        }
    ));
    assert!(matches!(
        err(&[0x41, 0x01, 0xFF]),
        DecodeError::IntegerOverflow {
            ty: "Counter32",
            ..
        }
    ));
    assert!(matches!(
        err(&[0x42, 0x05, 0x01, 0, 0, 0, 0]),
        DecodeError::IntegerOverflow { ty: "Gauge32", .. }
    ));
    assert!(matches!(
        err(&[0x41, 0x05, 0x01, 0, 0, 0, 0]),
        DecodeError::IntegerOverflow {
            ty: "Counter32",
            ..
        }
    ));
    assert!(matches!(
        err(&[0x46, 0x00]),
        DecodeError::EmptyInteger { .. }
    ));
    assert!(matches!(
        err(&[0x02, 0x05, 0x00, 0x80, 0, 0, 0]),
        DecodeError::IntegerOverflow {
            ty: "Integer32",
            ..
        }
    ));
    assert!(matches!(err(&[0x06, 0x00]), DecodeError::EmptyOid { .. }));
    // UInteger32 and BIT STRING are read, but an empty one has no value.
    assert!(matches!(
        err(&[0x47, 0x00]),
        DecodeError::EmptyInteger { .. }
    ));
    assert!(matches!(
        err(&[0x47, 0x05, 0x01, 0, 0, 0, 0]),
        DecodeError::IntegerOverflow {
            ty: "UInteger32",
            ..
        }
    ));
    assert!(matches!(
        err(&[0x03, 0x00]),
        DecodeError::WrongLength {
            what: "BIT STRING",
            ..
        }
    ));
    assert!(matches!(
        err(&[0x48, 0x00]),
        DecodeError::UnexpectedTag { found: 0x48, .. }
    ));
    assert!(matches!(
        err(&[0x24, 0x00]),
        DecodeError::UnexpectedTag { found: 0x24, .. }
    ));
    assert!(matches!(
        err(&[0xA0, 0x00]),
        DecodeError::UnexpectedTag { found: 0xA0, .. }
    ));
}

#[test]
fn rejects_wrong_tags() {
    let mut bytes = h(GET_V2C);
    bytes[5] = 0x02; // community tagged INTEGER
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::UnexpectedTag {
            offset: 5,
            found: 0x02,
            ..
        })
    ));
    let mut bytes = h(GET_V2C);
    bytes[13] = 0xA9; // unknown PDU
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::UnexpectedTag {
            offset: 13,
            found: 0xA9,
            ..
        })
    ));
    let mut bytes = h(GET_V2C);
    bytes[27] = 0x31; // VarBindList tagged SET
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::UnexpectedTag {
            offset: 27,
            found: 0x31,
            ..
        })
    ));
    let mut bytes = h(GET_V2C);
    bytes[0] = 0x31;
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::UnexpectedTag { offset: 0, .. })
    ));
    let mut bytes = h(GET_V2C);
    bytes[41] = 0x48; // value with an unknown application tag
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::UnexpectedTag {
            offset: 41,
            found: 0x48,
            ..
        })
    ));
    let mut bytes = h(V3_GET_NOAUTH);
    let at = bytes.len() - 0x2c;
    bytes[at] = 0x31; // msgData neither SEQUENCE nor OCTET STRING
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::UnexpectedTag { found: 0x31, .. })
    ));
}

#[test]
fn rejects_out_of_range_v3_header_fields() {
    let usm = UsmSecurityParameters {
        engine_id: b"\x80\0\0\0\x01",
        user_name: b"u",
        ..Default::default()
    };
    let mut scoped = Vec::new();
    encode_scoped_pdu(
        &mut scoped,
        &ScopedPdu {
            context_engine_id: b"",
            context_name: b"",
            pdu: Pdu {
                pdu_type: PduType::GetRequest,
                request_id: 1,
                error_status: 0,
                error_index: 0,
                varbinds: vec![],
                trap_v1: None,
            },
        },
    );
    let encode = |msg_id: i32, max: i32, usm: &UsmSecurityParameters<'_>| {
        let mut out = Vec::new();
        encode_v3_message(
            &mut out,
            msg_id,
            max,
            FLAG_REPORTABLE,
            usm,
            V3Body::Plaintext(&scoped),
        );
        out
    };
    assert!(decode_message(&encode(1, 484, &usm)).is_ok());
    assert!(matches!(
        decode_message(&encode(1, 483, &usm)),
        Err(DecodeError::OutOfRange {
            field: "msgMaxSize",
            ..
        })
    ));
    assert!(matches!(
        decode_message(&encode(-1, 484, &usm)),
        Err(DecodeError::OutOfRange { field: "msgID", .. })
    ));
    let bad_boots = UsmSecurityParameters {
        engine_boots: -1,
        ..usm.clone()
    };
    assert!(matches!(
        decode_message(&encode(1, 484, &bad_boots)),
        Err(DecodeError::OutOfRange {
            field: "msgAuthoritativeEngineBoots",
            ..
        })
    ));
    let bad_time = UsmSecurityParameters {
        engine_time: i32::MIN,
        ..usm.clone()
    };
    assert!(matches!(
        decode_message(&encode(1, 484, &bad_time)),
        Err(DecodeError::OutOfRange { .. })
    ));

    // msgFlags of two octets: 04 01 04 -> 04 02 04 00, all enclosing lengths + 1.
    let mut bytes = h(V3_GET_NOAUTH);
    bytes[1] += 1;
    bytes[6] += 1;
    bytes.splice(18..21, [0x04, 0x02, 0x04, 0x00]);
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::WrongLength {
            what: "msgFlags",
            ..
        })
    ));
    // Unknown versions.
    let mut bytes = h(V3_GET_NOAUTH);
    bytes[4] = 2;
    assert_eq!(
        decode_message(&bytes),
        Err(DecodeError::UnsupportedVersion(2))
    );
}

#[test]
fn non_usm_security_model_keeps_raw_parameters() {
    // msgSecurityModel 3 -> 2: the parameters stay raw, usm stays empty.
    let mut bytes = h(V3_GET_NOAUTH);
    bytes[23] = 2;
    let Message::V3(m) = decode_message(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(m.msg_security_model, 2);
    assert_eq!(m.usm, UsmSecurityParameters::default());
    assert_eq!(m.auth_params_offset, 0);
    assert_eq!(m.security_parameters.len(), 0x1c);
}

#[test]
fn varbind_count_is_capped() {
    let vb = VarBind {
        oid: Oid::new(&[1, 3]),
        value: Value::Null,
    };
    let mut pdu = Pdu {
        pdu_type: PduType::GetRequest,
        request_id: 1,
        error_status: 0,
        error_index: 0,
        varbinds: vec![vb.clone(); decode::MAX_VARBINDS],
        trap_v1: None,
    };
    let mut out = Vec::new();
    encode_community_message(&mut out, Version::V2c, b"public", &pdu);
    assert!(decode_message(&out).is_ok());
    pdu.varbinds.push(vb);
    out.clear();
    encode_community_message(&mut out, Version::V2c, b"public", &pdu);
    assert!(matches!(
        decode_message(&out),
        Err(DecodeError::TooManyVarbinds { .. })
    ));
}

#[test]
fn trailing_bytes_inside_a_varbind_or_usm_parameters_are_rejected() {
    // After the value, inside the varbind.
    let bytes = get_with_varbind(&h("06032b060105000500"));
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::TrailingBytes { count: 2, .. })
    ));
    // Inside msgSecurityParameters, after the UsmSecurityParameters SEQUENCE.
    let mut bytes = h(V3_GET_NOAUTH);
    bytes[1] += 1;
    bytes[25] += 1;
    bytes.insert(26 + 0x1c, 0x00);
    assert!(matches!(
        decode_message(&bytes),
        Err(DecodeError::TrailingBytes {
            offset: 54,
            count: 1
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// Round trips of every PDU type and value type.

fn sample_values() -> Vec<Value<'static>> {
    vec![
        Value::Integer(0),
        Value::Integer(i32::MIN),
        Value::Integer(i32::MAX),
        Value::Integer(-1),
        Value::octets(""),
        Value::octets(vec![0xAB; 1000]),
        Value::ObjectId(Oid::new(&[2, 999, u32::MAX, 0])),
        Value::ObjectId(Oid::new(&[0, 0])),
        Value::ObjectId(Oid::new(&[1, 39])),
        Value::ObjectId(Oid::new(&[2, u32::MAX])),
        Value::Null,
        Value::IpAddress([255, 0, 127, 1]),
        Value::Counter32(0),
        Value::Counter32(u32::MAX),
        Value::Gauge32(0x80),
        Value::TimeTicks(u32::MAX),
        Value::Opaque(Cow::Owned(vec![0x9f, 0x78, 0x04, 0, 0, 0, 0])),
        Value::Counter64(0),
        Value::Counter64(u64::MAX),
        Value::Counter64(1 << 63),
        Value::NoSuchObject,
        Value::NoSuchInstance,
        Value::EndOfMibView,
    ]
}

#[test]
fn every_pdu_type_and_value_round_trips() {
    let varbinds: Vec<_> = sample_values()
        .into_iter()
        .enumerate()
        .map(|(i, value)| VarBind {
            oid: Oid::new(&[1, 3, 6, 1, 4, 1, 318, i as u32, u32::MAX]),
            value,
        })
        .collect();
    let types = [
        PduType::GetRequest,
        PduType::GetNextRequest,
        PduType::Response,
        PduType::SetRequest,
        PduType::TrapV1,
        PduType::GetBulkRequest,
        PduType::InformRequest,
        PduType::SnmpV2Trap,
        PduType::Report,
    ];
    for pdu_type in types {
        let trap_v1 = (pdu_type == PduType::TrapV1).then(|| TrapV1Header {
            enterprise: Oid::new(&[1, 3, 6, 1, 4, 1, 318]),
            agent_addr: [192, 0, 2, 1],
            generic_trap: 6,
            specific_trap: i32::MAX,
            time_stamp: u32::MAX,
        });
        let (request_id, error_status, error_index) = if trap_v1.is_some() {
            (0, 0, 0)
        } else {
            (i32::MIN, 5, i32::MAX)
        };
        let pdu = Pdu {
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds: varbinds.clone(),
            trap_v1,
        };
        for version in [Version::V1, Version::V2c] {
            let mut out = Vec::new();
            encode_community_message(&mut out, version, b"community", &pdu);
            assert_eq!(
                out.len(),
                encoded_len_of_community_message(version, b"community", &pdu)
            );
            let decoded = decode_message(&out).unwrap();
            assert_eq!(
                decoded,
                Message::Community(CommunityMessage {
                    version,
                    community: b"community",
                    pdu: pdu.clone()
                })
            );
        }
        let scoped = ScopedPdu {
            context_engine_id: b"\x80\0\x13\x70\x05",
            context_name: b"outlets",
            pdu: pdu.clone(),
        };
        let mut body = Vec::new();
        encode_scoped_pdu(&mut body, &scoped);
        let usm = UsmSecurityParameters {
            engine_id: b"\x80\0\x13\x70\x05",
            engine_boots: i32::MAX,
            engine_time: 0,
            user_name: b"admin",
            auth_params: &[0; 48],
            priv_params: &[1; 8],
        };
        let mut out = Vec::new();
        let offset = encode_v3_message(
            &mut out,
            i32::MAX,
            i32::MAX,
            7,
            &usm,
            V3Body::Plaintext(&body),
        );
        let Message::V3(m) = decode_message(&out).unwrap() else {
            panic!()
        };
        assert_eq!(m.auth_params_offset, offset);
        assert_eq!(
            (m.msg_id, m.msg_max_size, m.msg_flags, &m.usm),
            (i32::MAX, i32::MAX, 7, &usm)
        );
        assert_eq!(m.data, ScopedPduData::Plaintext(scoped));
    }
}

#[test]
fn long_form_lengths_round_trip() {
    // Lengths needing 2 and 3 length octets.
    for size in [200usize, 300, 70_000] {
        let pdu = Pdu {
            pdu_type: PduType::Response,
            request_id: 1,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: Oid::new(&[1, 3]),
                value: Value::octets(vec![0x5A; size]),
            }],
            trap_v1: None,
        };
        let mut out = Vec::new();
        encode_community_message(&mut out, Version::V2c, b"p", &pdu);
        let Message::Community(m) = decode_message(&out).unwrap() else {
            panic!()
        };
        assert_eq!(m.pdu, pdu);
    }
}

#[test]
fn encoding_is_deterministic_into_a_reused_buffer() {
    let (bytes, m) = community(RESPONSE_V2C_TYPES);
    let mut out = Vec::with_capacity(1500);
    for _ in 0..3 {
        out.clear();
        encode_community_message(&mut out, m.version, m.community, &m.pdu);
        assert_eq!(out, bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Set(usize, u8),
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match *m {
            Mutation::FlipBit(i, bit) => {
                let i = i % bytes.len();
                bytes[i] ^= 1 << (bit % 8);
            }
            Mutation::Truncate(n) => bytes.truncate(n % bytes.len()),
            Mutation::Insert(i, b) => {
                let i = i % (bytes.len() + 1);
                bytes.insert(i, b);
            }
            Mutation::Set(i, b) => {
                let i = i % bytes.len();
                bytes[i] = b;
            }
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(0x00u8),
                Just(0x80),
                Just(0x81),
                Just(0x84),
                Just(0xFF),
                Just(0x30),
                any::<u8>()
            ]
        )
            .prop_map(|(i, b)| Mutation::Set(i, b)),
    ]
}

/// Whatever decodes re-encodes minimally: the re-encoding decodes to the same message and
/// encodes to itself again (the writer's output is a fixed point), and is never longer than
/// what was read, whatever leniency the decoder applied.
fn check_canonical(bytes: &[u8]) {
    if let Ok(message) = decode_message(bytes) {
        let usm = matches!(&message, Message::Community(_))
            || matches!(&message, Message::V3(m) if m.msg_security_model == 3);
        if usm {
            let once = reencode(&message, false);
            let again = decode_message(&once).unwrap();
            assert_same_meaning(&again, &message);
            assert_eq!(reencode(&again, true), once);
            assert!(once.len() <= bytes.len());
        }
    }
    if let Ok(scoped) = decode_scoped_pdu(bytes) {
        let mut out = Vec::new();
        encode_scoped_pdu(&mut out, &scoped);
        assert_eq!(decode_scoped_pdu(&out).unwrap(), scoped);
        let mut again = Vec::new();
        encode_scoped_pdu(&mut again, &scoped);
        assert_eq!(again, out);
        assert!(out.len() <= bytes.len());
    }
}

fn arb_oid() -> impl Strategy<Value = Oid> {
    let first = prop_oneof![
        (0u32..2, 0u32..40).prop_map(|(x, y)| vec![x, y]),
        any::<u32>().prop_map(|y| vec![2, y]),
    ];
    let arc = prop_oneof![0u32..200, any::<u32>()];
    (first, prop::collection::vec(arc, 0..=(Oid::MAX_ARCS - 2))).prop_map(|(mut arcs, rest)| {
        arcs.extend(rest);
        Oid(arcs)
    })
}

fn arb_value() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Value::octets),
        arb_oid().prop_map(Value::ObjectId),
        Just(Value::Null),
        any::<[u8; 4]>().prop_map(Value::IpAddress),
        any::<u32>().prop_map(Value::Counter32),
        any::<u32>().prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::TimeTicks),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(|v| Value::Opaque(Cow::Owned(v))),
        any::<u64>().prop_map(Value::Counter64),
        Just(Value::NoSuchObject),
        Just(Value::NoSuchInstance),
        Just(Value::EndOfMibView),
    ]
}

fn arb_pdu() -> impl Strategy<Value = Pdu<'static>> {
    let pdu_type = prop::sample::select(vec![
        PduType::GetRequest,
        PduType::GetNextRequest,
        PduType::Response,
        PduType::SetRequest,
        PduType::TrapV1,
        PduType::GetBulkRequest,
        PduType::InformRequest,
        PduType::SnmpV2Trap,
        PduType::Report,
    ]);
    let varbinds = prop::collection::vec(
        (arb_oid(), arb_value()).prop_map(|(oid, value)| VarBind { oid, value }),
        0..12,
    );
    let header = (
        arb_oid(),
        any::<[u8; 4]>(),
        any::<i32>(),
        any::<i32>(),
        any::<u32>(),
    )
        .prop_map(
            |(enterprise, agent_addr, generic_trap, specific_trap, time_stamp)| TrapV1Header {
                enterprise,
                agent_addr,
                generic_trap,
                specific_trap,
                time_stamp,
            },
        );
    (
        pdu_type,
        any::<i32>(),
        any::<i32>(),
        any::<i32>(),
        varbinds,
        header,
    )
        .prop_map(
            |(pdu_type, request_id, error_status, error_index, varbinds, header)| {
                if pdu_type == PduType::TrapV1 {
                    Pdu {
                        pdu_type,
                        request_id: 0,
                        error_status: 0,
                        error_index: 0,
                        varbinds,
                        trap_v1: Some(header),
                    }
                } else {
                    Pdu {
                        pdu_type,
                        request_id,
                        error_status,
                        error_index,
                        varbinds,
                        trap_v1: None,
                    }
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_canonical(&bytes);
    }

    #[test]
    fn random_bytes_under_a_sequence_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = Vec::new();
        ber::write_header(&mut bytes, tag::SEQUENCE, body.len());
        bytes.extend_from_slice(&body);
        check_canonical(&bytes);
    }

    #[test]
    fn mutated_captures_never_panic(
        which in 0..ALL_CAPTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let bytes = mutate(h(ALL_CAPTURES[which]), &mutations);
        check_canonical(&bytes);
    }

    #[test]
    fn mutated_scoped_pdus_never_panic(
        which in 0..4usize,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        // ScopedPDUs cut from the v3 captures with a plaintext body.
        let (hex, len) = [(V3_GET_NOAUTH, 0x2c), (V3_BULK_CONTEXT, 0x2f), (V3_SET, 0x34), (RESPONSE_V3, 0x3b)][which];
        let full = h(hex);
        let scoped = full[full.len() - len..].to_vec();
        prop_assert!(decode_scoped_pdu(&scoped).is_ok());
        check_canonical(&mutate(scoped, &mutations));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn generated_pdus_round_trip(
        pdu in arb_pdu(),
        community in prop::collection::vec(any::<u8>(), 0..40),
        v2c in any::<bool>(),
    ) {
        let version = if v2c { Version::V2c } else { Version::V1 };
        let mut out = Vec::new();
        encode_community_message(&mut out, version, &community, &pdu);
        prop_assert_eq!(out.len(), encoded_len_of_community_message(version, &community, &pdu));
        let decoded = decode_message(&out).unwrap();
        prop_assert_eq!(decoded, Message::Community(CommunityMessage { version, community: &community, pdu: pdu.clone() }));

        let scoped = ScopedPdu { context_engine_id: &community, context_name: b"", pdu };
        let mut body = Vec::new();
        encode_scoped_pdu(&mut body, &scoped);
        body.extend_from_slice(&[0; 5]);
        prop_assert_eq!(decode_scoped_pdu(&body).unwrap(), scoped);
    }

    #[test]
    fn generated_v3_headers_round_trip(
        msg_id in 0..=i32::MAX,
        max_size in 484..=i32::MAX,
        flags in any::<u8>(),
        engine_id in prop::collection::vec(any::<u8>(), 0..40),
        boots in 0..=i32::MAX,
        time in 0..=i32::MAX,
        user in prop::collection::vec(any::<u8>(), 0..=32),
        auth in prop::collection::vec(any::<u8>(), 0..64),
        privacy in prop::collection::vec(any::<u8>(), 0..16),
        ciphertext in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let usm = UsmSecurityParameters {
            engine_id: &engine_id, engine_boots: boots, engine_time: time,
            user_name: &user, auth_params: &auth, priv_params: &privacy,
        };
        let mut out = Vec::new();
        let offset = encode_v3_message(&mut out, msg_id, max_size, flags, &usm, V3Body::Encrypted(&ciphertext));
        prop_assert_eq!(out.len(), encoded_len_of_v3_message(msg_id, max_size, &usm, ciphertext.len(), true));
        prop_assert_eq!(&out[offset..offset + auth.len()], &auth[..]);
        let Message::V3(m) = decode_message(&out).unwrap() else { panic!() };
        prop_assert_eq!(m.auth_params_offset, offset);
        prop_assert_eq!((m.msg_id, m.msg_max_size, m.msg_flags, m.msg_security_model), (msg_id, max_size, flags, 3));
        prop_assert_eq!(m.usm, usm);
        prop_assert_eq!(m.data, ScopedPduData::Encrypted(&ciphertext));
    }
}
