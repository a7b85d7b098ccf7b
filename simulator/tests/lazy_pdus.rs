#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests fail loudly by design
//! Lazy PDUs through the real binary: a PDU of `--count N` nobody has spoken to has no engine,
//! users or state (the control API's listing says `"materialised": false` and shows no engine);
//! its first SNMP request or control operation makes it, with the snmpEngineBoots of this
//! start, an snmpEngineTime and sysUpTime counted from the process start, its saved engine ID
//! and the outlet state it saved in an earlier run.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use pdu_test_support::{oids, parse_number, run_tool, PdusimProcess, Sec, V3};
use serde_json::Value;

const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");
const SYS_UP_TIME: &str = "1.3.6.1.2.1.1.3.0";
const ENGINE_TIME: &str = "1.3.6.1.6.3.10.2.1.3.0";
/// More PDUs than pdusim prints a banner for (a banner shows each PDU's engine, which would
/// make it).
const COUNT: u8 = 6;

/// A port nobody holds on the wildcard address right now (the shared socket binds 0.0.0.0).
fn free_wildcard_port() -> u16 {
    UdpSocket::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// `--count 6 --spread address` on `port` with a control API, state in `dir`.
fn start(dir: &std::path::Path, port: u16) -> PdusimProcess {
    PdusimProcess::builder(PDUSIM)
        .listen(&format!("127.1.0.1:{port}"))
        .state_dir(dir)
        .control()
        .args([
            "--count",
            &COUNT.to_string(),
            "--spread",
            "address",
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

/// One control API request; the status and the JSON body (`Null` when there is none).
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let (status, _, json) = http_with_head(port, method, path, body);
    (status, json)
}

/// One control API request; the status, the response head and the JSON body.
fn http_with_head(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, String, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let body = body.trim();
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    };
    (status, head.to_ascii_lowercase(), json)
}

/// Which PDUs the control API's listing shows as materialised, PDU 1 first; every PDU that is
/// not must show no engine.
fn materialised(sim: &PdusimProcess) -> Vec<bool> {
    let (status, head, list) = http_with_head(sim.control_port().unwrap(), "GET", "/pdus", None);
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), usize::from(COUNT), "{list:?}");
    let made = list.iter().filter(|p| p["materialised"] == true).count();
    assert!(
        head.lines()
            .any(|l| l.trim() == format!("x-materialised-count: {made}")),
        "{made} materialised in the list: {head}"
    );
    list.iter()
        .map(|p| {
            let made = p["materialised"].as_bool().unwrap();
            assert_eq!(p["outlets"], 4, "spec-level info is always there: {p}");
            if !made {
                assert!(
                    p["engine_id"].is_null() && p["engine_boots"].is_null(),
                    "an engine shown for a PDU that has none: {p}"
                );
            }
            made
        })
        .collect()
}

/// `oid` of PDU `k` (from 1) over SNMPv3 authPriv, as net-snmp's snmpget prints the value.
fn get(sim: &PdusimProcess, k: u8, oid: &str) -> String {
    let out = run_tool(
        "snmpget",
        &v3(),
        &[],
        &format!("127.1.0.{k}:{}", sim.port()),
        &[oid],
    );
    out.expect_clean().varbinds()[0].1.clone()
}

fn number(text: &str) -> i64 {
    parse_number(text).unwrap_or_else(|| panic!("not a number: {text}"))
}

/// sysUpTime as snmpget prints it with -On: `Timeticks: (12345) 0:02:03.45`.
fn ticks(text: &str) -> i64 {
    text.split(['(', ')'])
        .nth(1)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not TimeTicks: {text}"))
}

#[test]
fn a_pdu_comes_into_being_at_its_first_use_with_what_it_saved() {
    let dir = tempfile::tempdir().unwrap();
    // The port is free when picked; another process could take it before pdusim binds, so a
    // few tries (each a fresh port) keep the test from failing for a reason of its own.
    let (sim, port) = (0..5)
        .find_map(|_| {
            let port = free_wildcard_port();
            std::panic::catch_unwind(|| start(dir.path(), port))
                .ok()
                .map(|sim| (sim, port))
        })
        .expect("pdusim starts on a free shared port");
    assert_eq!(
        materialised(&sim),
        vec![false; 6],
        "nobody spoke to any PDU"
    );
    // A request with an unknown community is counted by the PDU at that address, and makes
    // nothing.
    let wrong = run_tool(
        "snmpget",
        &Sec::v2c("not-a-community"),
        &["-t", "0.5", "-r", "0"],
        &format!("127.1.0.4:{port}"),
        &[oids::SYS_NAME],
    );
    assert!(!wrong.ok(), "{}", wrong.describe());
    assert_eq!(materialised(&sim), vec![false; 6]);

    // An SNMP SET makes PDU 2 and switches its outlet 2 off; a control API call makes PDU 3.
    run_tool(
        "snmpset",
        &v3(),
        &[],
        &format!("127.1.0.2:{port}"),
        &[&oids::control(2), "i", "0"],
    )
    .expect_clean();
    let (status, body) = http(
        sim.control_port().unwrap(),
        "PUT",
        "/pdus/raritan-px2-3/outlets/4",
        Some(r#"{"name":"db-4"}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        materialised(&sim),
        vec![false, true, true, false, false, false]
    );
    let engine_id = get(&sim, 2, oids::SNMP_ENGINE_ID);
    assert_eq!(number(&get(&sim, 2, oids::SNMP_ENGINE_BOOTS)), 1);
    drop(sim);

    // The second start: PDU 2 saved its outlets and engine, and still comes into being only
    // when asked.
    let sim = start(dir.path(), port);
    assert_eq!(materialised(&sim), vec![false; 6], "a start makes no PDU");
    // Engine time and sysUpTime count from the process start, not from the first request:
    // after this pause a PDU made now has been up at least this long.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(get(&sim, 2, oids::SNMP_ENGINE_ID), engine_id);
    assert_eq!(number(&get(&sim, 2, oids::SNMP_ENGINE_BOOTS)), 2);
    assert!(number(&get(&sim, 2, ENGINE_TIME)) >= 2);
    assert!(ticks(&get(&sim, 2, SYS_UP_TIME)) >= 200);
    let states: Vec<i64> = (1..=4)
        .map(|n| number(&get(&sim, 2, &oids::state(n))))
        .collect();
    assert_eq!(
        states,
        vec![
            oids::STATE_ON,
            oids::STATE_OFF,
            oids::STATE_ON,
            oids::STATE_ON
        ],
        "outlet 2 as PDU 2 saved it in the first run"
    );
    // PDU 3's outlet name, set through the control API in the first run, survived too.
    let (status, outlets) = http(
        sim.control_port().unwrap(),
        "GET",
        "/pdus/raritan-px2-3/outlets",
        None,
    );
    assert_eq!(status, 200, "{outlets}");
    assert_eq!(outlets[3]["name"], "db-4", "{outlets}");
    // A PDU that never saved anything: boots is this directory's start count.
    assert_eq!(number(&get(&sim, 5, oids::SNMP_ENGINE_BOOTS)), 2);
    assert_ne!(get(&sim, 5, oids::SNMP_ENGINE_ID), engine_id);
    assert_eq!(
        materialised(&sim),
        vec![false, true, true, false, true, false]
    );
}
