#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests fail loudly by design
//! `--count N --spread address`: PDUs each at their own loopback address on one shared port,
//! served through one socket, each answering from the address it was asked at.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use pdu_test_support::{oids, parse_number, run_tool, wait_until, PdusimProcess, Sec, V3};
use snmp_proto::{
    decode_message, encode_community_message, Message, Oid, Pdu, PduType, Value, VarBind, Version,
};

const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");
const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";
const ENGINE_ID: &str = "1.3.6.1.6.3.10.2.1.1.0";

/// A port nobody holds on the wildcard address right now (the shared socket binds 0.0.0.0).
fn free_wildcard_port() -> u16 {
    UdpSocket::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get_sys_name(request_id: i32) -> Vec<u8> {
    let pdu = Pdu {
        pdu_type: PduType::GetRequest,
        request_id,
        error_status: 0,
        error_index: 0,
        varbinds: vec![VarBind {
            oid: Oid::parse(SYS_NAME).unwrap(),
            value: Value::Null,
        }],
        trap_v1: None,
    };
    let mut out = Vec::new();
    encode_community_message(&mut out, Version::V2c, b"public", &pdu);
    out
}

#[test]
fn each_pdu_answers_at_its_own_address_from_that_address() {
    let v3 = V3::auth_priv("ops", "SHA", "opsauth123", "AES", "opspriv123");
    // The port is free when picked; another process could take it before pdusim binds, so a
    // few tries (each a fresh port) keep the test from failing for a reason of its own.
    let pdusim = (0..5)
        .find_map(|_| {
            let port = free_wildcard_port();
            let start = std::panic::catch_unwind(|| {
                PdusimProcess::builder(PDUSIM)
                    .listen(&format!("127.1.0.1:{port}"))
                    .args([
                        "--count",
                        "3",
                        "--spread",
                        "address",
                        "--shard",
                        "2",
                        "--community",
                        "public:rw",
                    ])
                    .args(["--user", "ops:sha:opsauth123:aes:opspriv123"])
                    .start()
            });
            start.ok()
        })
        .expect("pdusim starts on a free shared port");
    let port = pdusim.port();
    assert_eq!(pdusim.addr().ip().to_string(), "127.1.0.1");
    // Shard 2 of PDUs three at a time: numbered 7, 8, 9, each at its own address.
    // (The banners after the first may still be on their way through the pipe.)
    let banners = || -> Vec<String> {
        pdusim
            .stdout()
            .into_iter()
            .filter(|l| l.contains(" listening on "))
            .collect()
    };
    wait_until(Duration::from_secs(30), || banners().len() == 3);
    let banners = banners();
    for (number, i) in [(7, 1), (8, 2), (9, 3)] {
        let wanted = format!(
            "PDU \"raritan-px2-{number}\" (raritan-px2, 8 outlets) listening on 127.1.0.{i}:{port}"
        );
        assert!(
            banners.iter().any(|l| l.contains(&wanted)),
            "{wanted} in {banners:?}"
        );
    }

    // Raw datagrams: the answer must come from the address asked, for each PDU.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for i in 1..=3u8 {
        let target: SocketAddr = format!("127.1.0.{i}:{port}").parse().unwrap();
        client.send_to(&get_sys_name(i32::from(i)), target).unwrap();
        let mut buf = vec![0u8; 65536];
        let (len, from) = client.recv_from(&mut buf).expect("an answer");
        assert_eq!(from, target, "PDU {i} answered from another address");
        let Message::Community(m) = decode_message(&buf[..len]).unwrap() else {
            panic!("not a community message")
        };
        assert_eq!(
            (m.pdu.pdu_type, m.pdu.request_id),
            (PduType::Response, i32::from(i))
        );
    }

    // Each address is its own PDU: its own snmpEngineID, its own outlets.
    let engine_ids: Vec<String> = (1..=3)
        .map(|i| {
            let out = run_tool(
                "snmpget",
                &Sec::V3(v3.clone()),
                &[],
                &format!("127.1.0.{i}:{port}"),
                &[ENGINE_ID],
            );
            out.expect_clean().varbinds()[0].1.clone()
        })
        .collect();
    assert!(
        engine_ids[0] != engine_ids[1]
            && engine_ids[1] != engine_ids[2]
            && engine_ids[0] != engine_ids[2],
        "three PDUs, three engines: {engine_ids:?}"
    );
    run_tool(
        "snmpset",
        &Sec::v2c("public"),
        &[],
        &format!("127.1.0.2:{port}"),
        &[&oids::control(3), "i", "0"],
    )
    .expect_clean();
    let state = |i: u8| {
        let out = run_tool(
            "snmpget",
            &Sec::v2c("public"),
            &[],
            &format!("127.1.0.{i}:{port}"),
            &[&oids::state(3)],
        );
        parse_number(&out.expect_clean().varbinds()[0].1)
    };
    // Raritan outletSwitchingState: 7 on, 8 off.
    assert_eq!((state(1), state(2), state(3)), (Some(7), Some(8), Some(7)));

    // An address of the port that is no PDU's gets no answer.
    let stray = run_tool(
        "snmpget",
        &Sec::v2c("public"),
        &[],
        &format!("127.1.0.4:{port}"),
        &[SYS_NAME],
    );
    assert!(
        !stray.ok() && stray.all_output().contains("Timeout"),
        "{}",
        stray.describe()
    );
}

#[test]
fn spread_address_refuses_what_it_cannot_place() {
    let state = tempfile::tempdir().unwrap();
    for (listen, count, needle) in [
        ("192.0.2.1:1161", "2", "loopback"),
        ("127.0.0.1:0", "2", "port every PDU shares"),
        ("127.255.255.250:1161", "10", "127.255.255.254"),
        ("[::1]:1161", "2", "IPv4"),
    ] {
        let out = Command::new(PDUSIM)
            .args([
                "serve",
                "--listen",
                listen,
                "--count",
                count,
                "--spread",
                "address",
                "--state-dir",
            ])
            .arg(state.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{listen}: {stderr}");
        assert!(
            stderr.contains(needle) && stderr.contains("--"),
            "{listen}: {stderr}"
        );
    }
    // Nothing was started: no engine state was written.
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0);
}
