#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests fail loudly by design
//! `pdusim serve --batch-io` (recvmmsg/sendmmsg on dedicated threads) answers as the async path
//! does: SNMPv3 GETs and SETs through net-snmp's tools (a SET is answered after its state is
//! written, and a restart finds it), a burst of datagrams answered in one batch each with its
//! own answer, and the `Send` faults (reorder, duplicate) still acting.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use pdu_test_support::{oids, parse_number, run_tool, PdusimProcess, Sec, V3};
use snmp_proto::{
    decode_message, encode_community_message, Message, Oid, Pdu, PduType, Value, VarBind, Version,
};

const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

fn start(dir: &std::path::Path) -> PdusimProcess {
    PdusimProcess::builder(PDUSIM)
        .state_dir(dir)
        .control()
        .args([
            "--batch-io",
            "--vendor",
            "raritan-px2",
            "--outlets",
            "4",
            "--community",
            "public:rw",
            "--user",
            "ops:sha:opsauth123:aes:opspriv123",
        ])
        .start()
}

fn v3() -> Sec {
    Sec::V3(V3::auth_priv(
        "ops",
        "SHA",
        "opsauth123",
        "AES",
        "opspriv123",
    ))
}

fn get_sys_name(request_id: i32) -> Vec<u8> {
    let pdu = Pdu {
        pdu_type: PduType::GetRequest,
        request_id,
        error_status: 0,
        error_index: 0,
        varbinds: vec![VarBind {
            oid: Oid::parse(oids::SYS_NAME).unwrap(),
            value: Value::Null,
        }],
        trap_v1: None,
    };
    let mut out = Vec::new();
    encode_community_message(&mut out, Version::V2c, b"public", &pdu);
    out
}

/// The request IDs of the next `n` answers `client` receives, in arrival order.
fn answers(client: &UdpSocket, n: usize) -> Vec<i32> {
    let mut buf = vec![0u8; 65536];
    (0..n)
        .map(|_| {
            let (len, _) = client.recv_from(&mut buf).expect("an answer");
            let Message::Community(m) = decode_message(&buf[..len]).unwrap() else {
                panic!("not a community message")
            };
            assert_eq!(m.pdu.pdu_type, PduType::Response);
            m.pdu.request_id
        })
        .collect()
}

fn add_fault(sim: &PdusimProcess, body: &str) {
    let port = sim.control_port().unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "POST /pdus/px2/faults HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 20"), "{response}");
}

#[test]
fn batched_io_answers_gets_sets_bursts_and_faults() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path());
    let target = sim.addr().to_string();
    // SNMPv3 authPriv through net-snmp: discovery, GET, SET, and the SET's effect.
    run_tool(
        "snmpset",
        &v3(),
        &[],
        &target,
        &[&oids::control(3), "i", "0"],
    )
    .expect_clean();
    let state = |sim: &PdusimProcess| {
        let out = run_tool(
            "snmpget",
            &v3(),
            &[],
            &sim.addr().to_string(),
            &[&oids::state(3)],
        );
        parse_number(&out.expect_clean().varbinds()[0].1)
    };
    assert_eq!(state(&sim), Some(oids::STATE_OFF));

    // A burst: 20 requests sent before any answer is read, each answered once.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let addr: SocketAddr = sim.addr();
    for id in 1..=20 {
        client.send_to(&get_sys_name(id), addr).unwrap();
    }
    let got: HashSet<i32> = answers(&client, 20).into_iter().collect();
    assert_eq!(got, (1..=20).collect::<HashSet<i32>>());

    // reorder: the first answer is held back until the next one has gone.
    add_fault(
        &sim,
        r#"{"fault":{"kind":"reorder"},"schedule":{"packets":1}}"#,
    );
    client.send_to(&get_sys_name(101), addr).unwrap();
    client.send_to(&get_sys_name(102), addr).unwrap();
    assert_eq!(answers(&client, 2), vec![102, 101]);
    // duplicate: one request, two answers.
    add_fault(
        &sim,
        r#"{"fault":{"kind":"duplicate"},"schedule":{"packets":1}}"#,
    );
    client.send_to(&get_sys_name(201), addr).unwrap();
    client.send_to(&get_sys_name(202), addr).unwrap();
    assert_eq!(answers(&client, 3), vec![201, 201, 202]);

    // The SET was written before it was answered: a restart on the same state finds it.
    drop(sim);
    let again = start(dir.path());
    assert_eq!(state(&again), Some(oids::STATE_OFF));
}
