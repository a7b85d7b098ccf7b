//! IF-MIB (RFC 2863) of the management port, through the real `pdusim` binary and net-snmp's
//! tools: the port's rows as a manager walks them, the traffic counters counting the
//! manager's own requests, the control API's `if_counter_offset` putting ifHCInOctets just
//! before its wrap at 2^64 so that it wraps to small values while ifInOctets stays its low 32
//! bits, and SNMPv1 walks skipping the Counter64 columns (RFC 3584 §4.2.2.1).
#![allow(clippy::unwrap_used)]

use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const IF_NUMBER: &str = ".1.3.6.1.2.1.2.1.0";
const IF_DESCR: &str = ".1.3.6.1.2.1.2.2.1.2.1";
const IF_TYPE: &str = ".1.3.6.1.2.1.2.2.1.3.1";
const IF_SPEED: &str = ".1.3.6.1.2.1.2.2.1.5.1";
const IF_PHYS_ADDRESS: &str = ".1.3.6.1.2.1.2.2.1.6.1";
const IF_ADMIN_STATUS: &str = ".1.3.6.1.2.1.2.2.1.7.1";
const IF_OPER_STATUS: &str = ".1.3.6.1.2.1.2.2.1.8.1";
const IF_IN_OCTETS: &str = ".1.3.6.1.2.1.2.2.1.10.1";
const IF_OUT_OCTETS: &str = ".1.3.6.1.2.1.2.2.1.16.1";
const IF_NAME: &str = ".1.3.6.1.2.1.31.1.1.1.1.1";
const IF_HC_IN_OCTETS: &str = ".1.3.6.1.2.1.31.1.1.1.6.1";
const IF_HC_OUT_OCTETS: &str = ".1.3.6.1.2.1.31.1.1.1.10.1";
const IF_HIGH_SPEED: &str = ".1.3.6.1.2.1.31.1.1.1.15.1";
const IF_COUNTER_DISCONTINUITY_TIME: &str = ".1.3.6.1.2.1.31.1.1.1.19.1";

/// The unsigned number of a `Counter32: N` / `Counter64: N` value, any width.
fn counter(value: &str, ty: &str) -> u64 {
    let n = value
        .strip_prefix(&format!("{ty}: "))
        .unwrap_or_else(|| panic!("expected a {ty}, got {value}"));
    n.trim().parse().unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// One GET of ifHCInOctets, ifInOctets, ifHCOutOctets and ifOutOctets (one request: one
/// consistent reading): the two 64-bit counts and the two 32-bit ones.
fn octets(sim: &PdusimProcess, sec: &Sec) -> ([u64; 2], [u64; 2]) {
    let out = sim.get(
        sec,
        &[
            IF_HC_IN_OCTETS,
            IF_IN_OCTETS,
            IF_HC_OUT_OCTETS,
            IF_OUT_OCTETS,
        ],
    );
    let v = out.expect_clean().varbinds();
    assert_eq!(v.len(), 4, "{}", out.describe());
    (
        [counter(&v[0].1, "Counter64"), counter(&v[2].1, "Counter64")],
        [counter(&v[1].1, "Counter32"), counter(&v[3].1, "Counter32")],
    )
}

#[test]
fn if_hc_in_octets_wraps_past_2_64_and_if_in_octets_is_its_low_32_bits() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args(["--community", "public", "--community", "private:rw"])
        .control()
        .start();
    let sec = Sec::v2c("public");
    // The management port as a manager walks it.
    let walk = sim.walk(&sec, "1.3.6.1.2.1.2");
    let rows: std::collections::HashMap<String, String> =
        walk.expect_clean().varbinds().into_iter().collect();
    assert_eq!(rows.len(), 23, "ifNumber and 22 ifTable columns: {rows:?}");
    for (oid, value) in [
        (IF_NUMBER, "INTEGER: 1"),
        (IF_DESCR, "STRING: \"eth0\""),
        (IF_TYPE, "INTEGER: 6"),
        (IF_SPEED, "Gauge32: 100000000"),
        (IF_ADMIN_STATUS, "INTEGER: 1"),
        (IF_OPER_STATUS, "INTEGER: 1"),
    ] {
        assert_eq!(rows.get(oid).map(String::as_str), Some(value), "{oid}");
    }
    let mac = rows.get(IF_PHYS_ADDRESS).unwrap();
    assert!(
        mac.starts_with("Hex-STRING: 02 ") && mac.split_whitespace().count() == 7,
        "a locally administered MAC address: {mac}"
    );
    for (oid, value) in [
        (IF_NAME, "STRING: \"eth0\""),
        (IF_HIGH_SPEED, "Gauge32: 100"),
        (IF_COUNTER_DISCONTINUITY_TIME, "Timeticks: (0) 0:00:00.00"),
    ] {
        assert_eq!(sim.get_value(&sec, oid), value, "{oid}");
    }
    // The port is not switched off over SNMP, even with a read-write community.
    let set = sim.set(&Sec::v2c("private"), &[IF_ADMIN_STATUS, "i", "2"]);
    assert!(
        !set.ok() && set.all_output().contains("notWritable"),
        "{}",
        set.describe()
    );
    assert_eq!(sim.get_value(&sec, IF_ADMIN_STATUS), "INTEGER: 1");
    // The counters count this manager's traffic: every request and answer so far.
    let ([hc_in, hc_out], [in32, out32]) = octets(&sim, &sec);
    assert!(
        hc_in > 0 && hc_out > 0,
        "in {hc_in}, out {hc_out} after a walk"
    );
    assert_eq!((in32, out32), (hc_in, hc_out));
    let ([hc_in_2, hc_out_2], _) = octets(&sim, &sec);
    assert!(
        (hc_in + 40..hc_in + 200).contains(&hc_in_2)
            && (hc_out + 40..hc_out + 300).contains(&hc_out_2),
        "one GET and its answer later: in {hc_in} -> {hc_in_2}, out {hc_out} -> {hc_out_2}"
    );
    // Put ifHCInOctets 600 octets before its wrap (a few GETs away) and GET until it wraps.
    let offset = (u64::MAX - 599).wrapping_sub(hc_in_2);
    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/engine",
        &format!("{{\"if_counter_offset\":{offset}}}"),
    );
    assert_eq!(status, 200, "{body}");
    let mut last = None;
    let mut wrapped = None;
    for _ in 0..40 {
        let ([hc_in, hc_out], [in32, out32]) = octets(&sim, &sec);
        assert_eq!(
            in32,
            hc_in & 0xffff_ffff,
            "ifInOctets is ifHCInOctets mod 2^32"
        );
        assert_eq!(out32, hc_out & 0xffff_ffff, "ifOutOctets likewise");
        match last {
            Some(before) if hc_in < before => {
                wrapped = Some((before, hc_in));
                break;
            }
            _ => {
                assert!(
                    hc_in >= u64::MAX - 599,
                    "before the wrap ifHCInOctets is near 2^64: {hc_in}"
                );
                last = Some(hc_in);
            }
        }
    }
    let (before, after) = wrapped.expect("ifHCInOctets never wrapped in 40 GETs");
    assert!(
        before > u64::MAX - 600 && after < 200,
        "ifHCInOctets went from {before} to {after}: past 18446744073709551615 to a small value"
    );
    // Out of range: refused, naming the field and what it takes.
    let (status, body) = sim.control_request(
        "POST",
        "/pdus/px2/engine",
        r#"{"if_counter_offset":18446744073709551616}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("\"field\":\"if_counter_offset\"") && body.contains("18446744073709551615"),
        "{body}"
    );
}

/// SNMPv1 has no Counter64 (RFC 3584 §4.2.2.1): a v1 walk of ifXTable skips the HC columns
/// and goes on to the rest; a v1 GET of one is noSuchName; v2c sees them all.
#[test]
fn snmpv1_walks_skip_the_counter64_columns() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args(["--community", "public"])
        .start();
    let v2c = sim.walk(&Sec::v2c("public"), "1.3.6.1.2.1.31");
    let v2c = v2c.expect_clean().varbinds();
    let hc: Vec<&(String, String)> = v2c
        .iter()
        .filter(|(_, value)| value.starts_with("Counter64: "))
        .collect();
    assert_eq!(hc.len(), 8, "ifHC* columns 6 to 13: {v2c:?}");
    let v1 = sim.walk(&Sec::v1("public"), "1.3.6.1.2.1.31");
    let v1 = v1.expect_clean().varbinds();
    assert!(
        v1.iter().all(|(_, value)| !value.starts_with("Counter64")),
        "{v1:?}"
    );
    let without_hc: Vec<&(String, String)> = v2c
        .iter()
        .filter(|(_, value)| !value.starts_with("Counter64: "))
        .collect();
    assert_eq!(
        v1.iter()
            .map(|(oid, _)| oid.as_str())
            .collect::<Vec<_>>(),
        without_hc
            .iter()
            .map(|(oid, _)| oid.as_str())
            .collect::<Vec<_>>(),
        "v1 walks every other object, ifHighSpeed and ifCounterDiscontinuityTime after the HC columns included"
    );
    assert!(v1.iter().any(|(oid, _)| oid == IF_HIGH_SPEED), "{v1:?}");
    let get = sim.get(&Sec::v1("public"), &[IF_HC_IN_OCTETS]);
    assert!(
        get.all_output().contains("noSuchName")
            || get.all_output().contains("There is no such variable"),
        "{}",
        get.describe()
    );
}
