//! The `auth-lockout` fault through the real `pdusim` binary and net-snmp's `snmpget` (quirk 21
//! of docs/QUIRKS.md): two requests signed with a wrong key get usmStatsWrongDigests Reports,
//! after which even the right key gets no answer from this address, until the lockout (2 s of
//! the process's clock) is over. Plain HTTP/1.1 over loopback TCP for the control API.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";

#[test]
fn wrong_digests_lock_the_source_address_out_for_a_while() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args(["--user", "ops:sha:lockout-auth-pw"])
        .control()
        .start();
    let right: Sec = V3::auth("ops", "SHA", "lockout-auth-pw").into();
    let wrong: Sec = V3::auth("ops", "SHA", "not-the-auth-pw").into();
    let once = ["-t", "1", "-r", "0"];
    sim.get(&right, &[SYS_NAME]).expect_clean();

    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/faults",
        r#"{"fault":{"kind":"auth-lockout","failures":0,"secs":2}}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#""field":"fault.failures""#), "{body}");
    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/faults",
        r#"{"fault":{"kind":"auth-lockout","failures":2,"secs":2}}"#,
    );
    assert_eq!(status, 201, "{body}");

    for n in 1..=2 {
        let out = sim.tool("snmpget", &wrong, &once, &[SYS_NAME]);
        assert!(
            !out.ok() && out.all_output().contains("Authentication failure"),
            "wrong key {n}: the agent answers with a wrongDigest Report: {}",
            out.describe()
        );
    }
    // Locked out: the right key is not answered either.
    let locked = sim.tool("snmpget", &right, &once, &[SYS_NAME]);
    assert!(
        !locked.ok() && locked.all_output().contains("Timeout"),
        "a locked-out address gets no answer: {}",
        locked.describe()
    );
    // The lockout ends by itself.
    let answered = wait_until(Duration::from_secs(60), || {
        sim.tool("snmpget", &right, &once, &[SYS_NAME]).ok()
    });
    assert!(answered, "the lockout never ended");
}
