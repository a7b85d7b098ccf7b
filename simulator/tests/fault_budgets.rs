//! Fault schedules through the real `pdusim` binary, its control API and net-snmp's
//! `snmpget`/`snmpset`: a fault's `packets` budget is used only by packets the fault acts on,
//! so a SET-only fault with `packets: 1` outlives the GETs a manager sends first (pductl reads
//! before it sets) and hits the SET; a field a fault kind does not take is refused with 400
//! naming it, a misplaced schedule field pointed to `schedule`.
#![allow(clippy::unwrap_used)]

use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

#[test]
fn a_set_only_fault_with_one_packet_outlives_gets_and_hits_the_set() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args([
            "--vendor",
            "raritan-px2",
            "--name",
            "px2",
            "--outlets",
            "4",
            "--community",
            "private:rw",
        ])
        .control()
        .start();
    let sec = Sec::v2c("private");
    let faults = || body_of(sim.control_request("GET", "/pdus/px2/faults", ""));
    for (n, fault) in [
        r#"{"kind":"error-after-commit"}"#,
        r#"{"kind":"force-error","status":"genErr","set_only":true}"#,
    ]
    .into_iter()
    .enumerate()
    {
        let (status, body) = body_of(sim.control_request(
            "POST",
            "/pdus/px2/faults",
            &format!(r#"{{"fault":{fault},"schedule":{{"packets":1}}}}"#),
        ));
        assert_eq!(status, 201, "{fault}: {body}");
        // GETs, as a manager reads before it switches: the fault leaves them alone.
        for _ in 0..2 {
            let read = sim.get(&sec, &[&oids::state(1), oids::SYS_NAME]);
            read.expect_clean();
        }
        let (_, listed) = faults();
        assert!(
            listed.contains(r#""packets":1"#),
            "{fault}: still in force after GETs: {listed}"
        );
        // The SET is hit: genErr.
        let off = if n == 0 { "0" } else { "1" };
        let hit = sim.set(&sec, &[&oids::control(1), "i", off]);
        assert!(
            hit.all_output().contains("genError"),
            "{fault}: the SET is answered genErr: {}",
            hit.describe()
        );
        assert_eq!(
            faults(),
            (200, "[]".to_string()),
            "{fault}: its one packet used"
        );
        // error-after-commit carried the SET (off) out; force-error refused its SET (on), so
        // outlet 1 is off after both.
        assert_eq!(outlet_1(&sim, &sec), oids::STATE_OFF, "{fault}");
        // The next SET is answered as usual and carried out.
        sim.set(&sec, &[&oids::control(1), "i", off]).expect_clean();
        let expected = if n == 0 {
            oids::STATE_OFF
        } else {
            oids::STATE_ON
        };
        assert_eq!(outlet_1(&sim, &sec), expected, "{fault}");
    }
}

/// The status and body of a control API answer (headers dropped).
fn body_of((status, response): (u16, String)) -> (u16, String) {
    let body = response
        .split_once("\r\n\r\n")
        .map_or(response.as_str(), |(_, body)| body);
    (status, body.to_string())
}

/// outletSwitchingState of outlet 1, by snmpget.
fn outlet_1(sim: &PdusimProcess, sec: &Sec) -> i64 {
    let read = sim.get(sec, &[&oids::state(1)]);
    read.expect_clean();
    read.varbinds()
        .first()
        .and_then(|(_, value)| parse_number(value))
        .unwrap_or_else(|| panic!("a number: {}", read.describe()))
}

#[test]
fn a_field_the_kind_does_not_take_is_refused_naming_it() {
    let sim = PdusimProcess::builder(PDUSIM)
        .args(["--name", "px2", "--community", "private:rw"])
        .control()
        .start();
    for (spec, field, hint) in [
        (
            r#"{"fault":{"kind":"agent-down","for_ms":1000}}"#,
            "fault.for_ms",
            "put it in `schedule`",
        ),
        (
            r#"{"fault":{"kind":"drop-response","packets":1}}"#,
            "fault.packets",
            "put it in `schedule`",
        ),
        (
            r#"{"fault":{"kind":"duplicate","typo":1}}"#,
            "fault.typo",
            "unknown field",
        ),
        (
            r#"{"fault":{"kind":"force-error"}}"#,
            "fault.status",
            "missing field",
        ),
        (
            r#"{"fault":{"kind":"drop-response"},"schedule":{"packets":-1}}"#,
            "schedule.packets",
            "invalid value",
        ),
    ] {
        let (status, body) = body_of(sim.control_request("POST", "/pdus/px2/faults", spec));
        assert_eq!(status, 400, "{spec}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["field"], field, "{spec}: {body}");
        assert!(
            error["error"].as_str().unwrap_or_default().contains(hint),
            "{spec}: {body}"
        );
    }
    // Nothing was added: the agent answers.
    assert_eq!(
        body_of(sim.control_request("GET", "/pdus/px2/faults", "")),
        (200, "[]".to_string())
    );
    sim.get(&Sec::v2c("private"), &[oids::SYS_NAME])
        .expect_clean();
}
