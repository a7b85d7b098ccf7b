//! `pdusim serve --control ... --control-token TOKEN` through the real binary: the control API
//! and the dashboard answer only requests carrying the token, and changes from another origin
//! are refused even with it. Plain HTTP/1.1 over a loopback TCP socket.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;

use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const TOKEN: &str = "tok-3f9a1c7e55d24b08";

/// One request to the control API; the status code and the whole response.
fn http(port: u16, method: &str, path: &str, headers: &[&str]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    (status, response)
}

#[test]
fn a_control_token_is_required_on_every_request() {
    let dir = tempfile::tempdir().unwrap();
    let sim = PdusimProcess::builder(PDUSIM)
        .state_dir(dir.path())
        .args(["--control-token", TOKEN])
        .control()
        .start();
    let port = sim.control_port().unwrap();
    let bearer = format!("Authorization: Bearer {TOKEN}");
    for path in ["/pdus", "/", "/pdus/px2/requests"] {
        let (status, body) = http(port, "GET", path, &[]);
        assert_eq!(status, 401, "GET {path} without the token: {body}");
        assert!(!body.contains(TOKEN), "the token echoed: {body}");
        let (status, body) = http(port, "GET", path, &[&bearer]);
        assert_eq!(status, 200, "GET {path} with the token: {body}");
    }
    let (status, _) = http(port, "DELETE", "/pdus/px2/faults", &[&bearer]);
    assert_eq!(status, 204);
    let (status, body) = http(
        port,
        "DELETE",
        "/pdus/px2/faults",
        &[&bearer, "Origin: http://attacker.example"],
    );
    assert_eq!(status, 403, "{body}");
    // The dashboard link with the token sets a cookie that then opens the page.
    let (status, response) = http(port, "GET", &format!("/?token={TOKEN}"), &[]);
    assert_eq!(status, 303, "{response}");
    let cookie = response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap_or_else(|| panic!("no cookie: {response}"));
    let pair = cookie.split(';').next().unwrap();
    let (status, page) = http(port, "GET", "/", &[&format!("Cookie: {pair}")]);
    assert_eq!(status, 200);
    assert!(page.contains("data-pdu=\"px2\""), "{page}");
    assert!(!sim.log().contains(TOKEN), "the token reached the log");
}
