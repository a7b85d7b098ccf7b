//! A live `pdusim` reads the BER net-snmp's agent reads from clients, and still drops (and
//! counts in snmpInASNParseErrs, RFC 3418) what is truly malformed. Every datagram is built by
//! hand here and sent over UDP; the counters are read with net-snmp's `snmpget`. The decisions
//! are listed in the `snmp_proto::decode` module docs.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use pdu_test_support::oids::*;
use pdu_test_support::*;
use snmp_proto::{
    decode_message, encode_community_message, encode_scoped_pdu, encode_v3_message, Message, Oid,
    PduType, ScopedPdu, UsmSecurityParameters, V3Body, Value, Version,
};
use std::net::UdpSocket;
use std::time::Duration;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// The engine ID the simulator is started with (enterprise 13742, text "ber-engine").
const ENGINE_ID_HEX: &str = "800035ae046265722d656e67696e65";

/// snmpOutTooBigs.0 (RFC 3418).
const SNMP_OUT_TOO_BIGS: &str = "1.3.6.1.2.1.11.20.0";

/// error-status wrongType (RFC 3416 §3).
const WRONG_TYPE: i32 = 7;

/// An element: tag, minimal definite length, contents.
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len();
    let mut out = vec![tag];
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(body);
    out
}

/// A minimal INTEGER element.
fn int(v: i32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 3
        && ((bytes[start] == 0 && bytes[start + 1] < 0x80)
            || (bytes[start] == 0xFF && bytes[start + 1] >= 0x80))
    {
        start += 1;
    }
    tlv(0x02, &bytes[start..])
}

/// sysName.0 as an OID element, minimal.
const SYS_NAME_OID: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00];
/// sysLocation.0 as an OID element, minimal.
const SYS_LOCATION_OID: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x06, 0x00];
/// sysDescr.0 as an OID element, minimal.
const SYS_DESCR_OID: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00];
/// NULL.
const NULL: [u8; 2] = [0x05, 0x00];

fn varbind(oid: &[u8], value: &[u8]) -> Vec<u8> {
    tlv(0x30, &[oid, value].concat())
}

/// A PDU with this request-id element, error-status and error-index 0.
fn request_pdu(tag: u8, request_id: &[u8], varbinds: &[Vec<u8>]) -> Vec<u8> {
    let list = tlv(0x30, &varbinds.concat());
    tlv(tag, &[request_id, &int(0), &int(0), &list].concat())
}

/// A community message with this version element.
fn message(version: &[u8], community: &str, pdu: &[u8]) -> Vec<u8> {
    tlv(
        0x30,
        &[version, &tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// A v2c GetRequest of sysName.0 with this request-id.
fn get_sys_name(request_id: i32) -> Vec<u8> {
    message(
        &int(1),
        "public",
        &request_pdu(0xA0, &int(request_id), &[varbind(&SYS_NAME_OID, &NULL)]),
    )
}

/// A v2c SetRequest (community `private`) of one varbind.
fn set(request_id: i32, oid: &[u8], value: &[u8]) -> Vec<u8> {
    message(
        &int(1),
        "private",
        &request_pdu(0xA3, &int(request_id), &[varbind(oid, value)]),
    )
}

struct Agent {
    sim: PdusimProcess,
    sock: UdpSocket,
    target: String,
    next_id: i32,
}

impl Agent {
    fn start() -> Agent {
        let sim = PdusimProcess::start(
            PDUSIM,
            &[
                "--vendor",
                "raritan-px2",
                "--outlets",
                "8",
                "--community",
                "public",
                "--community",
                "private:rw",
                "--engine-id",
                ENGINE_ID_HEX,
            ],
        );
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let target = sim.target();
        Agent {
            sim,
            sock,
            target,
            next_id: 0x1000,
        }
    }

    /// Sends `datagram` and returns the next answer (bytes), or panics naming `what`.
    fn ask(&self, what: &str, datagram: &[u8]) -> Vec<u8> {
        self.sock.send_to(datagram, &self.target).unwrap();
        let mut buf = vec![0u8; 65_536];
        let (n, _) = self
            .sock
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("no answer to {what} ({e})"));
        buf.truncate(n);
        buf
    }

    /// Sends `datagram`, then a valid GET; pdusim answers one socket's datagrams in order, so
    /// the first answer must be the GET's: `datagram` got none.
    fn expect_dropped(&mut self, what: &str, datagram: &[u8]) {
        self.sock.send_to(datagram, &self.target).unwrap();
        self.next_id += 1;
        let id = self.next_id;
        let answer = self.ask("the GET after a dropped datagram", &get_sys_name(id));
        let Message::Community(m) = decode_message(&answer).unwrap() else {
            panic!("not a community answer")
        };
        assert_eq!(
            m.pdu.request_id, id,
            "{what} was answered, yet it is malformed and must be dropped"
        );
    }

    fn parse_errors(&self) -> i64 {
        self.sim
            .get_number(&Sec::v2c("public"), SNMP_IN_ASN_PARSE_ERRS)
    }
}

/// Decodes a community answer and checks that it is a Response written minimally
/// (re-encoding it gives the same bytes): what the agent sends stays minimal whatever it
/// accepted. Returns the version and the PDU.
fn response(what: &str, answer: &[u8]) -> (Version, snmp_proto::Pdu<'static>) {
    let Message::Community(m) = decode_message(answer).unwrap() else {
        panic!("{what}: not a community answer")
    };
    let mut again = Vec::new();
    encode_community_message(&mut again, m.version, m.community, &m.pdu);
    assert_eq!(again, answer, "{what}: the answer is not minimal BER");
    assert_eq!(m.pdu.pdu_type, PduType::Response, "{what}");
    let varbinds = m
        .pdu
        .varbinds
        .into_iter()
        .map(|vb| snmp_proto::VarBind {
            oid: vb.oid,
            value: vb.value.into_owned(),
        })
        .collect();
    let pdu = snmp_proto::Pdu {
        varbinds,
        trap_v1: None,
        ..m.pdu
    };
    (m.version, pdu)
}

#[test]
fn lenient_ber_is_answered_as_net_snmp_answers_it() {
    let agent = Agent::start();
    let before = agent.parse_errors();
    let sys_name = Oid::parse(SYS_NAME).unwrap();

    // request-id 5 as 02 02 00 05, -1 as 02 02 FF FF, 7 as a fixed-width 4-octet INTEGER.
    for (element, id) in [
        (vec![0x02, 0x02, 0x00, 0x05], 5),
        (vec![0x02, 0x02, 0xFF, 0xFF], -1),
        (vec![0x02, 0x04, 0x00, 0x00, 0x00, 0x07], 7),
    ] {
        let vbs = [varbind(&SYS_NAME_OID, &NULL)];
        let what = format!("request-id {element:02x?}");
        let (_, pdu) = response(
            &what,
            &agent.ask(
                &what,
                &message(&int(1), "public", &request_pdu(0xA0, &element, &vbs)),
            ),
        );
        assert_eq!((pdu.request_id, pdu.error_status), (id, 0), "{what}");
        assert_eq!(pdu.varbinds[0].oid, sys_name, "{what}");
        assert!(
            matches!(pdu.varbinds[0].value, Value::OctetString(_)),
            "{what}"
        );
    }

    // msgVersion 1 (v2c) as 02 02 00 01: answered as v2c.
    let what = "msgVersion 02 02 00 01";
    let datagram = message(
        &[0x02, 0x02, 0x00, 0x01],
        "public",
        &request_pdu(0xA0, &int(11), &[varbind(&SYS_NAME_OID, &NULL)]),
    );
    let (version, pdu) = response(what, &agent.ask(what, &datagram));
    assert_eq!((version, pdu.request_id), (Version::V2c, 11));

    // An OID subidentifier padded with 0x80 (1.3.6.1.2.1.1.5.0 with `80 01` for the 1 after 6).
    let what = "an OID with a 0x80-padded subidentifier";
    let padded = [
        0x06, 0x09, 0x2b, 0x06, 0x80, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00,
    ];
    let datagram = message(
        &int(1),
        "public",
        &request_pdu(0xA0, &int(12), &[varbind(&padded, &NULL)]),
    );
    let (_, pdu) = response(what, &agent.ask(what, &datagram));
    assert_eq!(pdu.varbinds[0].oid, sys_name, "{what}");
    assert!(matches!(pdu.varbinds[0].value, Value::OctetString(_)));

    // NULL with contents.
    for (i, null) in [&[0x05, 0x01, 0x00][..], &[0x05, 0x02, 0x00, 0x00]]
        .into_iter()
        .enumerate()
    {
        let what = format!("NULL {null:02x?}");
        let id = 20 + i as i32;
        let datagram = message(
            &int(1),
            "public",
            &request_pdu(0xA0, &int(id), &[varbind(&SYS_NAME_OID, null)]),
        );
        let (_, pdu) = response(&what, &agent.ask(&what, &datagram));
        assert_eq!((pdu.request_id, pdu.error_status), (id, 0), "{what}");
        assert!(matches!(pdu.varbinds[0].value, Value::OctetString(_)));
    }

    // Bytes after the message, and a fourth element inside it.
    let tails: [(&str, Vec<u8>); 3] = [
        (
            "one byte after the message",
            [get_sys_name(30), vec![0x00]].concat(),
        ),
        (
            "12 bytes of garbage after the message",
            [get_sys_name(31), [0xDE, 0xAD, 0xBE, 0xEF].repeat(3)].concat(),
        ),
        (
            "a fourth element in the message SEQUENCE",
            tlv(
                0x30,
                &[
                    &int(1)[..],
                    &tlv(0x04, b"public"),
                    &request_pdu(0xA0, &int(32), &[varbind(&SYS_NAME_OID, &NULL)]),
                    &NULL,
                ]
                .concat(),
            ),
        ),
    ];
    for (i, (what, datagram)) in tails.iter().enumerate() {
        let (_, pdu) = response(what, &agent.ask(what, datagram));
        assert_eq!((pdu.request_id, pdu.error_status), (30 + i as i32, 0));
    }

    // A SET whose INTEGER is non-minimal still means its one value: outlet 1 off (0) written
    // in 4 octets, then on (1) as 02 02 00 01.
    let control1 = Oid::parse(&control(1)).unwrap();
    let mut control_oid = Vec::new();
    snmp_proto::ber::write_oid(&mut control_oid, &control1);
    let ro = Sec::v2c("public");
    for (value, want) in [
        (vec![0x02, 0x04, 0x00, 0x00, 0x00, 0x00], STATE_OFF),
        (vec![0x02, 0x02, 0x00, 0x01], STATE_ON),
    ] {
        let what = format!("SET outlet 1 control to {value:02x?}");
        let (_, pdu) = response(&what, &agent.ask(&what, &set(40, &control_oid, &value)));
        assert_eq!(pdu.error_status, 0, "{what}");
        assert_eq!(
            agent.sim.get_value(&ro, &state(1)),
            format!("INTEGER: {want}"),
            "{what}"
        );
    }

    // Values of types SNMPv2 does not define (RFC 1442's NsapAddress and UInteger32, BIT
    // STRING), and a Counter32 of 4294967295 (minimal and padded): they reach the agent and
    // get wrongType, as from net-snmp's agent.
    for value in [
        &[0x45, 0x01, 0x01][..],
        &[0x47, 0x01, 0x01],
        &[0x03, 0x01, 0x00],
        &[0x41, 0x05, 0x00, 0xFF, 0xFF, 0xFF, 0xFF],
        &[0x41, 0x06, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF],
        &[0x02, 0x02, 0x00, 0x01],
    ] {
        let what = format!("SET sysLocation.0 to {value:02x?}");
        let (_, pdu) = response(&what, &agent.ask(&what, &set(50, &SYS_LOCATION_OID, value)));
        assert_eq!(
            (pdu.error_status, pdu.error_index),
            (WRONG_TYPE, 1),
            "{what}"
        );
    }
    // The same at a vendor column: outlet 1's control, an INTEGER.
    for value in [
        &[0x45, 0x01, 0x01][..],
        &[0x47, 0x01, 0x00],
        &[0x03, 0x01, 0x00],
    ] {
        let what = format!("SET outlet 1 control to {value:02x?}");
        let (_, pdu) = response(&what, &agent.ask(&what, &set(51, &control_oid, value)));
        assert_eq!(
            (pdu.error_status, pdu.error_index),
            (WRONG_TYPE, 1),
            "{what}"
        );
    }
    assert_eq!(
        agent.sim.get_value(&ro, &state(1)),
        format!("INTEGER: {STATE_ON}"),
        "a refused SET changes nothing"
    );

    assert_eq!(
        agent.parse_errors(),
        before,
        "none of these is a parse error"
    );
}

#[test]
fn malformed_ber_is_still_counted_and_dropped() {
    let mut agent = Agent::start();
    let before = agent.parse_errors();
    let two_to_32 = [0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "request-id 2^32 (out of Integer32's range)",
            message(
                &int(1),
                "public",
                &request_pdu(0xA0, &two_to_32, &[varbind(&SYS_NAME_OID, &NULL)]),
            ),
        ),
        (
            "msgVersion 2^32",
            message(
                &two_to_32,
                "public",
                &request_pdu(0xA0, &int(1), &[varbind(&SYS_NAME_OID, &NULL)]),
            ),
        ),
        (
            "a Counter32 of 2^32 in a SET",
            set(
                2,
                &SYS_LOCATION_OID,
                &[0x41, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00],
            ),
        ),
        (
            "an empty request-id INTEGER",
            message(
                &int(1),
                "public",
                &request_pdu(0xA0, &[0x02, 0x00], &[varbind(&SYS_NAME_OID, &NULL)]),
            ),
        ),
        (
            "a third element in a VarBind",
            message(
                &int(1),
                "public",
                &request_pdu(
                    0xA0,
                    &int(3),
                    &[tlv(0x30, &[&SYS_NAME_OID[..], &NULL, &NULL].concat())],
                ),
            ),
        ),
        (
            "an empty BIT STRING value",
            set(4, &SYS_LOCATION_OID, &[0x03, 0x00]),
        ),
        (
            "an empty UInteger32 value",
            set(5, &SYS_LOCATION_OID, &[0x47, 0x00]),
        ),
        (
            "an unknown application tag 0x48",
            set(6, &SYS_LOCATION_OID, &[0x48, 0x01, 0x01]),
        ),
        (
            "an OID whose last subidentifier never ends",
            message(
                &int(1),
                "public",
                &request_pdu(
                    0xA0,
                    &int(7),
                    &[varbind(&[0x06, 0x03, 0x2b, 0x06, 0x81], &NULL)],
                ),
            ),
        ),
        ("indefinite length", {
            let valid = get_sys_name(8);
            [&[0x30, 0x80][..], &valid[2..], &[0, 0]].concat()
        }),
    ];
    for (what, datagram) in &cases {
        agent.expect_dropped(what, datagram);
    }
    assert_eq!(
        agent.parse_errors() - before,
        cases.len() as i64,
        "each malformed datagram counts once in snmpInASNParseErrs"
    );
}

#[test]
fn a_request_of_1025_varbinds_is_answered_and_a_huge_one_gets_too_big() {
    let agent = Agent::start();
    let before = agent.parse_errors();
    let ro = Sec::v2c("public");
    let too_bigs = agent.sim.get_number(&ro, SNMP_OUT_TOO_BIGS);

    // 1025 x sysName.0: 14,382 bytes, more varbinds than the decoder used to take.
    let vbs = vec![varbind(&SYS_NAME_OID, &NULL); 1025];
    let datagram = message(&int(1), "public", &request_pdu(0xA0, &int(1), &vbs));
    assert_eq!(datagram.len(), 14_382);
    let (_, pdu) = response("1025 varbinds", &agent.ask("1025 varbinds", &datagram));
    assert_eq!((pdu.request_id, pdu.error_status), (1, 0));
    assert_eq!(pdu.varbinds.len(), 1025);
    let name = agent.sim.get_value(&ro, SYS_NAME);
    for vb in &pdu.varbinds {
        assert_eq!(vb.oid, Oid::parse(SYS_NAME).unwrap());
        let Value::OctetString(s) = &vb.value else {
            panic!("{:?}", vb.value)
        };
        assert!(
            name.contains(&*String::from_utf8_lossy(s)),
            "{name} vs {s:?}"
        );
    }

    // 4,600 x sysDescr.0 fits one datagram (64,415 bytes) but its answer cannot: tooBig, with
    // error-index 0 and no varbinds (RFC 3416 §4.2.1).
    let vbs = vec![varbind(&SYS_DESCR_OID, &NULL); 4_600];
    let datagram = message(&int(1), "public", &request_pdu(0xA0, &int(4600), &vbs));
    assert!(datagram.len() <= 65_507, "{}", datagram.len());
    let (_, pdu) = response("4,600 varbinds", &agent.ask("4,600 varbinds", &datagram));
    assert_eq!(
        (pdu.request_id, pdu.error_status, pdu.error_index),
        (4600, 1, 0),
        "tooBig"
    );
    assert!(pdu.varbinds.is_empty());
    assert_eq!(agent.sim.get_number(&ro, SNMP_OUT_TOO_BIGS), too_bigs + 1);
    // SNMPv1: the same, but "of identical form" (RFC 1157 §4.1.2): the request's varbinds
    // come back, which fit, as the request did.
    let datagram = message(&int(0), "public", &request_pdu(0xA0, &int(4601), &vbs));
    let (_, pdu) = response(
        "v1 4,600 varbinds",
        &agent.ask("v1 4,600 varbinds", &datagram),
    );
    assert_eq!(
        (pdu.request_id, pdu.error_status, pdu.error_index),
        (4601, 1, 0),
        "v1 tooBig"
    );
    assert_eq!(pdu.varbinds.len(), 4_600);
    assert!(pdu
        .varbinds
        .iter()
        .all(|vb| vb.oid == Oid::parse(SYS_DESCR).unwrap() && vb.value == Value::Null));
    assert_eq!(agent.sim.get_number(&ro, SNMP_OUT_TOO_BIGS), too_bigs + 2);
    assert_eq!(agent.parse_errors(), before);
}

/// An SNMPv3 noAuthNoPriv, reportable GetRequest of sysName.0 with these USM fields.
fn v3_get(engine_id: &[u8], user: &[u8]) -> Vec<u8> {
    let mut scoped = Vec::new();
    encode_scoped_pdu(
        &mut scoped,
        &ScopedPdu {
            context_engine_id: engine_id,
            context_name: b"",
            pdu: snmp_proto::Pdu {
                pdu_type: PduType::GetRequest,
                request_id: 9,
                error_status: 0,
                error_index: 0,
                varbinds: vec![snmp_proto::VarBind {
                    oid: Oid::parse(SYS_NAME).unwrap(),
                    value: Value::Null,
                }],
                trap_v1: None,
            },
        },
    );
    let usm = UsmSecurityParameters {
        engine_id,
        engine_boots: 0,
        engine_time: 0,
        user_name: user,
        auth_params: b"",
        priv_params: b"",
    };
    let mut out = Vec::new();
    encode_v3_message(&mut out, 77, 65_507, 0x04, &usm, V3Body::Plaintext(&scoped));
    out
}

/// The single varbind of a v3 Report.
fn report_counter(answer: &[u8]) -> Oid {
    let Message::V3(m) = decode_message(answer).unwrap() else {
        panic!("not a v3 answer")
    };
    let snmp_proto::ScopedPduData::Plaintext(scoped) = m.data else {
        panic!("an encrypted Report")
    };
    assert_eq!(scoped.pdu.pdu_type, PduType::Report);
    scoped.pdu.varbinds[0].oid.clone()
}

#[test]
fn v3_user_names_over_32_octets_are_parse_errors_long_engine_ids_are_unknown() {
    let mut agent = Agent::start();
    let ours = hex::decode(ENGINE_ID_HEX).unwrap();
    let before = agent.parse_errors();

    // RFC 3414 §2.4: msgUserName OCTET STRING (SIZE(0..32)); 32 octets is a name (unknown
    // here), 33 is malformed.
    let answer = agent.ask("a 32-octet user name", &v3_get(&ours, &[b'a'; 32]));
    assert_eq!(
        report_counter(&answer),
        Oid::parse(USM_STATS_UNKNOWN_USER_NAMES).unwrap()
    );
    agent.expect_dropped("a 33-octet user name", &v3_get(&ours, &[b'a'; 33]));
    assert_eq!(agent.parse_errors(), before + 1);

    // msgAuthoritativeEngineID has no size in RFC 3414 §2.4: one of 33 octets is no engine's
    // (SnmpEngineID is 5..32 octets, RFC 3411), so usmStatsUnknownEngineIDs, as net-snmp says.
    let long = [&[0x80][..], &[0x01; 32]].concat();
    let answer = agent.ask("a 33-octet engine ID", &v3_get(&long, b"admin"));
    assert_eq!(
        report_counter(&answer),
        Oid::parse(USM_STATS_UNKNOWN_ENGINE_IDS).unwrap()
    );
    assert_eq!(agent.parse_errors(), before + 1);
}
