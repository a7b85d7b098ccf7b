//! The simulator's control API driven over real HTTP (a hand-written HTTP/1.1 client on a
//! TcpStream) against a `pdusim` process, with SNMP (the driver) checking each effect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use pdu_driver::{Config, OutletRef, Pdu};
use pdu_test_support::{workspace_pdusim, PdusimProcess};

fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

fn driver(port: u16) -> Pdu {
    let mut c = Config::new("127.0.0.1");
    c.port = port;
    c.community = "private".into();
    c.vendor = "raritan-px2".parse().unwrap();
    c.timeout = Duration::from_millis(300);
    c.retries = 0;
    c.verify = None;
    Pdu::new(c).unwrap()
}

#[tokio::test]
async fn pdus_outlets_faults_restart_over_http() {
    // The embedded default (PDU px2, raritan-px2, 8 outlets) on ports the system picks.
    let agent = PdusimProcess::builder(workspace_pdusim()).control().start();
    let port = agent.control_port().unwrap();

    let (code, body) = http(port, "GET", "/pdus", "");
    assert_eq!(code, 200, "{body}");
    let pdus: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(pdus[0]["name"], "px2", "{body}");
    assert_eq!(pdus[0]["outlets"], 8);
    let boots = pdus[0]["engine_boots"].as_i64().unwrap();

    // PUT an outlet off: the driver reads it off over SNMP.
    let (code, body) = http(port, "PUT", "/pdus/px2/outlets/4", r#"{"power":"off"}"#);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(r#""power":"off""#), "{body}");
    let mut pdu = driver(agent.port());
    assert_eq!(pdu.state(&OutletRef::Number(4)).await.unwrap().state, "off");
    let (code, body) = http(port, "PUT", "/pdus/px2/outlets/99", r#"{"power":"off"}"#);
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("outlets 1 to 8"), "{body}");

    // POST a fault: the agent stops answering; DELETE: it answers again.
    let (code, body) = http(
        port,
        "POST",
        "/pdus/px2/faults",
        r#"{"fault":{"kind":"agent-down"}}"#,
    );
    assert_eq!(code, 201, "{body}");
    let (_, listed) = http(port, "GET", "/pdus/px2/faults", "");
    assert!(listed.contains("agent-down"), "{listed}");
    let e = driver(agent.port())
        .state(&OutletRef::Number(4))
        .await
        .unwrap_err();
    assert!(matches!(e, pdu_driver::Error::Timeout { .. }), "{e:?}");
    let (code, _) = http(port, "DELETE", "/pdus/px2/faults", "");
    assert_eq!(code, 204);
    assert_eq!(
        driver(agent.port())
            .state(&OutletRef::Number(4))
            .await
            .unwrap()
            .state,
        "off"
    );
    let (code, body) = http(
        port,
        "POST",
        "/pdus/px2/faults",
        r#"{"fault":{"kind":"explode"}}"#,
    );
    assert!((400..500).contains(&code), "{code} {body}");

    // POST restart: boots + 1, outlets kept by default.
    let (code, body) = http(
        port,
        "POST",
        "/pdus/px2/restart",
        r#"{"keep_outlets":true}"#,
    );
    assert_eq!(code, 200, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["engine_boots"].as_i64().unwrap(), boots + 1, "{body}");
    let (_, outlets) = http(port, "GET", "/pdus/px2/outlets", "");
    let outlets: serde_json::Value = serde_json::from_str(&outlets).unwrap();
    assert_eq!(outlets[3]["power"], "off");
    let (code, _) = http(port, "GET", "/pdus/nope", "");
    assert_eq!(code, 404);
}
