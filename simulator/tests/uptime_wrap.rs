//! sysUpTime wraps as TimeTicks do (modulo 2^32 hundredths of a second, RFC 2578 §7.1.8),
//! seen by net-snmp's `snmpget` through the real `pdusim` binary: the control API's
//! `uptime_skew_secs` puts the agent a few seconds before the wrap (about 497 days after its
//! start), and the readings then go from near 4294967295 back to small numbers instead of
//! sticking at the maximum. Plain HTTP/1.1 over a loopback TCP socket for the control API.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const SYS_UP_TIME: &str = "1.3.6.1.2.1.1.3.0";
/// 2^32: TimeTicks wrap here.
const WRAP: i64 = 1 << 32;

#[test]
fn sys_up_time_wraps_to_zero_after_2_32_ticks() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args(["--community", "public"])
        .control()
        .start();
    let sec = Sec::v2c("public");
    let up_time = || sim.get_number(&sec, SYS_UP_TIME);
    // A slow machine may pass the wrap between the skew and the first reading: then the
    // reading is small and the skew is tried again from there.
    for _ in 0..5 {
        let now = up_time();
        assert!((0..WRAP).contains(&now), "sysUpTime {now} is not TimeTicks");
        // Three seconds before the wrap.
        let skew = (WRAP - now) / 100 - 3;
        let (status, body) = sim.control_request(
            "POST",
            "/pdus/px2/engine",
            &format!("{{\"uptime_skew_secs\":{skew}}}"),
        );
        assert_eq!(status, 200, "{body}");
        let before = up_time();
        if before < WRAP - 100 * 60 {
            continue;
        }
        let mut after = before;
        let wrapped = wait_until(Duration::from_secs(60), || {
            after = up_time();
            after < before
        });
        assert!(
            wrapped,
            "sysUpTime went from {before} to {after} without wrapping"
        );
        assert!(
            after < 100 * 60,
            "after the wrap sysUpTime starts again from 0, not from {after}"
        );
        return;
    }
    panic!("the skew never put sysUpTime within a minute of its wrap");
}
