#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! `pdusim serve` command-line behaviour that needs a real process: failing early and clearly.

use std::process::Command;

const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// A busy control port fails the start before any PDU claims to be listening (and before any
/// engine boots is bumped), with an error that names the address and the fix.
#[test]
fn a_busy_control_port_fails_before_the_banner() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(PDUSIM)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--control",
            &addr.to_string(),
        ])
        .arg("--state-dir")
        .arg(state.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stdout.contains("listening on"), "{stdout}");
    assert!(
        stderr.contains(&addr.to_string()) && stderr.contains("--control"),
        "{stderr}"
    );
    // Nothing was started: no engine state was written.
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0);
}

/// A quick flag with a slip is refused with the accepted forms, never echoing the secret.
#[test]
fn a_community_with_an_unknown_access_suffix_is_refused() {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(PDUSIM)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--community",
            "s3cret:wr",
        ])
        .arg("--state-dir")
        .arg(state.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("NAME:rw") && !stderr.contains("s3cret"),
        "{stderr}"
    );
}
