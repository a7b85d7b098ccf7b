//! The `zero-length-integer` fault through the real `pdusim` binary (quirk 30 of
//! docs/QUIRKS.md, Sentry3's outletControlAction column): the Response carries the column's
//! value as `02 00` right after its OID, every enclosing length still right, the rest of the
//! message intact; net-snmp's `snmpget` cannot use that answer, while the column next to it
//! still reads as usual. The fault is added through the control API, as a test in any
//! language would add it; a fault that means nothing is refused with 400 and its field.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::UdpSocket;
use std::time::Duration;

use pdu_test_support::*;
use snmp_proto::{
    decode_message, encode_community_message, ErrorStatus, Message, Oid, Pdu, PduType, Value,
    VarBind, Version,
};

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// Sentry3-MIB outletControlAction (the column the fault empties) and outletStatus, outlet
/// 2 of tower 1, infeed 1.
const ACTION: &str = "1.3.6.1.4.1.1718.3.2.3.1.11";
const ACTION_2: &str = "1.3.6.1.4.1.1718.3.2.3.1.11.1.1.2";
const STATUS_2: &str = "1.3.6.1.4.1.1718.3.2.3.1.5.1.1.2";

/// A v2c GET of `oids` (community `private`) and the raw answer.
fn get_raw(agent: std::net::SocketAddr, oids: &[&str]) -> Vec<u8> {
    let pdu = Pdu {
        pdu_type: PduType::GetRequest,
        request_id: 4711,
        error_status: 0,
        error_index: 0,
        varbinds: oids
            .iter()
            .map(|o| VarBind {
                oid: Oid::parse(o).unwrap(),
                value: Value::Null,
            })
            .collect(),
        trap_v1: None,
    };
    let mut request = Vec::new();
    encode_community_message(&mut request, Version::V2c, b"private", &pdu);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.send_to(&request, agent).unwrap();
    let mut answer = vec![0u8; 65_535];
    let (len, _) = socket
        .recv_from(&mut answer)
        .expect("an answer from pdusim");
    answer.truncate(len);
    answer
}

#[test]
fn a_column_is_served_as_zero_length_integers() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args([
            "--vendor",
            "sentry3",
            "--name",
            "px2",
            "--community",
            "private:rw",
        ])
        .control()
        .start();
    let sec = Sec::v2c("private");
    // Before the fault: both columns read as INTEGERs.
    let before = sim.get(&sec, &[ACTION_2, STATUS_2]);
    before.expect_clean();
    assert_eq!(before.varbinds().len(), 2, "{}", before.describe());

    // A fault that means nothing is refused with its field.
    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/faults",
        r#"{"fault":{"kind":"zero-length-integer","oid":"not.an.oid"}}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#""field":"fault.oid""#), "{body}");
    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/faults",
        &format!(r#"{{"fault":{{"kind":"zero-length-integer","oid":"{ACTION}"}}}}"#),
    );
    assert_eq!(status, 201, "{body}");

    let answer = get_raw(sim.addr(), &[ACTION_2, STATUS_2]);
    let mut action_tlv = Vec::new();
    snmp_proto::ber::write_oid(&mut action_tlv, &Oid::parse(ACTION_2).unwrap());
    let at = answer
        .windows(action_tlv.len())
        .position(|w| w == action_tlv.as_slice())
        .unwrap_or_else(|| panic!("outletControlAction.1.1.2 is in the answer: {answer:02x?}"));
    let value = at + action_tlv.len();
    assert_eq!(
        &answer[value..value + 2],
        &[0x02, 0x00],
        "the control column's value is a zero-length INTEGER: {answer:02x?}"
    );
    // The outer lengths still add up: the message is exactly its SEQUENCE.
    assert_eq!(answer[0], 0x30);
    let outer = match answer[1] {
        n if n < 0x80 => usize::from(n) + 2,
        0x81 => usize::from(answer[2]) + 3,
        n => panic!("unexpected length octet {n:02x}"),
    };
    assert_eq!(outer, answer.len(), "{answer:02x?}");
    // A strict BER reader (snmp-proto's, as the agent uses for requests) refuses it, naming it.
    let error = decode_message(&answer)
        .expect_err("02 00 is not BER")
        .to_string();
    assert!(error.contains("zero-length INTEGER"), "{error}");
    // With the control column's value re-encoded as `02 01 00` (every enclosing length one
    // larger), the rest decodes: the status column and the request-id are as they were.
    let fixed = grow_enclosing(&answer, value);
    let Message::Community(m) = decode_message(&fixed).expect("mended answer decodes") else {
        panic!("a v2c answer");
    };
    assert_eq!(m.pdu.request_id, 4711);
    assert_eq!(m.pdu.error_status, ErrorStatus::NoError as i32);
    assert_eq!(m.pdu.varbinds[0].value, Value::Integer(0));
    assert!(matches!(m.pdu.varbinds[1].value, Value::Integer(_)));

    // net-snmp cannot use the answer at all; the status column alone still reads.
    let broken = sim.tool("snmpget", &sec, &["-t", "1", "-r", "0"], &[ACTION_2]);
    assert!(
        !broken.ok(),
        "snmpget took a zero-length INTEGER: {}",
        broken.describe()
    );
    let status_only = sim.get(&sec, &[STATUS_2]);
    status_only.expect_clean();
    assert_eq!(
        status_only.varbinds().len(),
        1,
        "{}",
        status_only.describe()
    );
}

/// The answer with the `02 00` at `value` written `02 01 00`, each enclosing length (all in
/// short or one-octet long form in these small answers) one larger.
fn grow_enclosing(answer: &[u8], value: usize) -> Vec<u8> {
    let mut out = answer.to_vec();
    // Walk the TLVs from the top, growing every constructed one that contains `value`.
    let mut at = 0;
    let mut end = answer.len();
    while at < value {
        let (len, header) = match answer[at + 1] {
            n if n < 0x80 => (usize::from(n), 2),
            0x81 => (usize::from(answer[at + 2]), 3),
            n => panic!("unexpected length octet {n:02x}"),
        };
        let contents = at + header;
        let tlv_end = contents + len;
        let constructed = answer[at] & 0x20 != 0;
        if (at..tlv_end).contains(&value) && constructed && tlv_end <= end {
            match header {
                2 => out[at + 1] += 1,
                _ => out[at + 2] += 1,
            }
            end = tlv_end;
            at = contents;
        } else {
            at = tlv_end;
        }
    }
    out[value + 1] = 0x01;
    out.insert(value + 2, 0x00);
    out
}
