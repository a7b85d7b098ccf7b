//! `pdu-conformance check` against a `pdusim` process (everything passes; an injected fault
//! makes the right check fail) and against net-snmp's `snmpd` (its report is snapshotted).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use pdu_conformance::check::{check, Report, Status};
use pdu_driver::{Config, SnmpVersion};
use support::Agent;

fn v2c(port: u16) -> Config {
    let mut c = Config::new("127.0.0.1");
    c.port = port;
    c.version = SnmpVersion::V2c;
    c.community = "private".into();
    c.timeout = Duration::from_millis(500);
    c.retries = 1;
    c
}

fn status_of(report: &Report, name: &str) -> Status {
    report.checks.iter().find(|c| c.check == name).map(|c| c.status).unwrap_or_else(|| panic!("no check {name}: {report:?}"))
}

/// The report with what varies between runs (ports, read-back times) taken out.
fn redacted(report: &Report, port: u16) -> String {
    let text = report.to_text().replace(&format!("127.0.0.1:{port}"), "127.0.0.1:[port]");
    let re_ms = |s: &str| -> String {
        // "after 12 ms" -> "after [t] ms"
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("after ") {
            out.push_str(&rest[..i + 6]);
            rest = &rest[i + 6..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 {
                out.push_str("[t]");
                rest = &rest[digits..];
            }
        }
        out.push_str(rest);
        out
    };
    re_ms(&text)
}

#[tokio::test]
async fn pdusim_passes_every_check_v2c_and_v3() {
    let agent = Agent::pdusim();
    let report = check(v2c(agent.port), Some(3)).await;
    assert!(!report.failed(), "{}\n{}", report.to_text(), agent.log());
    for name in ["detection", "outlet states", "outlet names", "GETBULK", "bad SET refused", "switch off", "switch on"] {
        assert_eq!(status_of(&report, name), Status::Pass, "{name}: {}", report.to_text());
    }
    let v3 = v2c(agent.port).v3(
        "admin",
        pdu_driver::AuthProtocol::Sha1,
        "authpass123",
        pdu_driver::PrivProtocol::Aes128,
        "privpass123",
    );
    let report = check(v3, None).await;
    assert!(!report.failed(), "{}", report.to_text());
    assert_eq!(status_of(&report, "v3 security levels"), Status::Pass);
    assert_eq!(status_of(&report, "switch off/on"), Status::NotApplicable, "never switches unasked");
}

#[tokio::test]
async fn pdusim_faults_fail_the_right_check() {
    let agent = Agent::pdusim();
    let control = agent.control_port.unwrap();
    // Every SET answered genErr: only the bad-SET check notices (as a note) and switching fails.
    let (code, _) = support_http::request(control, "POST", "/pdus/px2/faults", r#"{"fault":{"kind":"force-error","status":"genErr","set_only":true}}"#);
    assert_eq!(code, 201);
    let report = check(v2c(agent.port), Some(2)).await;
    assert_eq!(status_of(&report, "detection"), Status::Pass);
    assert_eq!(status_of(&report, "bad SET refused"), Status::Note, "{}", report.to_text());
    assert_eq!(status_of(&report, "switch off"), Status::Fail, "{}", report.to_text());
    // The agent down: detection fails and the report stops there.
    support_http::request(control, "DELETE", "/pdus/px2/faults", "");
    support_http::request(control, "POST", "/pdus/px2/faults", r#"{"fault":{"kind":"agent-down"}}"#);
    let mut c = v2c(agent.port);
    c.timeout = Duration::from_millis(150);
    c.retries = 0;
    let report = check(c, None).await;
    assert_eq!(status_of(&report, "detection"), Status::Fail, "{}", report.to_text());
    assert!(report.checks.iter().any(|c| c.evidence.contains("no answer")), "{}", report.to_text());
}

#[tokio::test]
async fn snmpd_report_is_snapshotted() {
    let agent = Agent::snmpd(4);
    let report = check(v2c(agent.port), Some(2)).await;
    insta::assert_snapshot!("snmpd_v2c", redacted(&report, agent.port));
    let v3 = v2c(agent.port).v3(
        "shaaes",
        pdu_driver::AuthProtocol::Sha1,
        "shaaes-auth-key",
        pdu_driver::PrivProtocol::Aes128,
        "shaaes-priv-key",
    );
    let report = check(v3, None).await;
    insta::assert_snapshot!("snmpd_v3", redacted(&report, agent.port));
}

/// A hand-written HTTP/1.1 client: enough for the control API, no dependency.
mod support_http {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    pub fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let content_type = if body.is_empty() { "" } else { "Content-Type: application/json\r\n" };
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (code, body)
    }
}
