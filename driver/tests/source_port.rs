//! An agent that answers from another UDP port than the one the requests go to (a NAT or
//! multi-homed agent, quirk 28 of `docs/QUIRKS.md`), played by a real `pdusim` process with
//! the `wrong-source-port` fault injected through its control API: `pductl` switches and reads
//! outlets over SNMPv2c and SNMPv3 all the same, says in a note that the agent does this, and
//! names a wrong SNMPv3 key as such (the diagnosis probe reads such answers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pductl_command;

use std::net::UdpSocket;
use std::time::Duration;

use pdu_test_support::{workspace_pdusim, PdusimProcess};
use snmp_proto::{
    decode_message, encode_community_message, Message, Oid, Pdu, PduType, Value, VarBind, Version,
};

/// The v3 user the simulator is given, and its keys.
const USER: &str = "ops:sha256:ops-auth-pass:aes256:ops-priv-pass";

/// `pductl --host 127.0.0.1 --port PORT --timeout 1 --retries 1 ARGS` with `envs`: exit code,
/// stdout, stderr.
fn pductl(port: u16, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    pductl_command::run(port, "1", args, envs)
}

/// "on" or "off", as the simulator's control API holds outlet `n`.
fn power(sim: &PdusimProcess, n: u32) -> String {
    let (status, response) = sim.control_request("GET", "/pdus/px2/outlets", "");
    assert_eq!(status, 200, "{response}");
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .trim();
    let outlets: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("the outlets as JSON ({e}): {body}"));
    outlets
        .as_array()
        .and_then(|a| a.iter().find(|o| o["outlet"] == n))
        .and_then(|o| o["power"].as_str())
        .unwrap_or_else(|| panic!("outlet {n} in {body}"))
        .to_string()
}

/// The source port of pdusim's answer to a v2c GET of sysName.0, read on an unconnected socket.
fn answer_port(sim: &PdusimProcess) -> u16 {
    let pdu = Pdu {
        pdu_type: PduType::GetRequest,
        request_id: 4242,
        error_status: 0,
        error_index: 0,
        varbinds: vec![VarBind {
            oid: Oid::parse("1.3.6.1.2.1.1.5.0").unwrap(),
            value: Value::Null,
        }],
        trap_v1: None,
    };
    let mut request = Vec::new();
    encode_community_message(&mut request, Version::V2c, b"public", &pdu);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.send_to(&request, sim.addr()).unwrap();
    let mut buf = vec![0u8; 65_535];
    let (n, from) = socket.recv_from(&mut buf).expect("an answer from pdusim");
    match decode_message(&buf[..n]) {
        Ok(Message::Community(m)) => assert_eq!(m.pdu.request_id, 4242),
        other => panic!("not the answer to the GET: {other:?}"),
    }
    assert_eq!(from.ip(), sim.addr().ip());
    from.port()
}

/// The note `pductl` prints when the agent answers from another port.
const NOTE: &str = "note: the agent answers from another UDP port than the one the requests go to";

/// The port the debug log of `pductl` (`RUST_LOG=pdu_driver=debug`) says the agent answered
/// from.
fn logged_port(stderr: &str) -> u16 {
    stderr
        .lines()
        .find(|l| l.contains("the agent answers from another UDP port"))
        .and_then(|l| l.split("from=127.0.0.1:").nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| {
            panic!("the debug log names the address the agent answered from: {stderr}")
        })
}

/// With every answer sent from another port: `off`, `status`, `on` over v2c and SNMPv3
/// (authPriv, SHA-256/AES-256) go through, each switch confirmed by read-back and by the
/// simulator's own state, with a note (and the port in the debug log); a wrong authentication key is named
/// usmStatsWrongDigests (not a lockout).
#[test]
fn pductl_copes_with_answers_from_another_port() {
    let sim = PdusimProcess::builder(workspace_pdusim())
        .args([
            "--vendor",
            "raritan-px2",
            "--outlets",
            "4",
            "--name",
            "px2",
            "--community",
            "public",
            "--community",
            "private:rw",
            "--user",
            USER,
        ])
        .control()
        .start();
    let port = sim.port();
    assert_eq!(
        answer_port(&sim),
        port,
        "before the fault: from the agent's port"
    );
    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/faults",
        r#"{"fault":{"kind":"wrong-source-port"}}"#,
    );
    assert_eq!(status, 201, "{body}");
    assert_ne!(
        answer_port(&sim),
        port,
        "the fault makes pdusim answer from another port"
    );

    // v2c
    let (code, out, err) = pductl(
        port,
        &["--community", "private", "off", "2"],
        &[("RUST_LOG", "pdu_driver=debug")],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("outlet 2: off (was on): now off"), "{out}");
    assert!(out.contains(NOTE), "{out}");
    assert_ne!(logged_port(&err), port, "{err}");
    assert_eq!(power(&sim, 2), "off");
    let (code, out, err) = pductl(port, &["--community", "public", "status", "2"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("outlet 2 (") && out.trim_end().ends_with(": off"),
        "{out}"
    );

    // SNMPv3, authPriv
    let v3 = [
        "--user",
        "ops",
        "--auth",
        "sha256",
        "--priv",
        "aes256",
        "--vendor",
        "raritan-px2",
    ];
    let keys = [
        ("PDU_AUTH_KEY", "ops-auth-pass"),
        ("PDU_PRIV_KEY", "ops-priv-pass"),
    ];
    let (code, out, err) = pductl(port, &[&v3[..], &["on", "2"]].concat(), &keys);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("outlet 2: on (was off): now on"), "{out}");
    assert!(out.contains(NOTE), "{out}");
    assert_eq!(power(&sim, 2), "on");
    let (code, out, err) = pductl(port, &[&v3[..], &["status", "2"]].concat(), &keys);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.trim_end().ends_with(": on"), "{out}");

    // A wrong authentication key: the diagnosis probe reads the agent's Report from the other
    // port and names it.
    let (code, out, err) = pductl(
        port,
        &[&v3[..], &["status", "2"]].concat(),
        &[
            ("PDU_AUTH_KEY", "not-the-auth-pass"),
            ("PDU_PRIV_KEY", "ops-priv-pass"),
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("usmStatsWrongDigests"), "{err}");
}
