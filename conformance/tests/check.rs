//! `pdu-conformance check` against an in-process `pdusim` with the embedded default set-up
//! (every check passes; each injected fault makes the right check fail) and against net-snmp's
//! `snmpd` (what passes and what does not is snapshotted).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use pdu_conformance::check::{self, check, Options, Report, Status};
use pdu_driver::{AuthProtocol, Config, PrivProtocol, SnmpVersion};
use pdu_test_support::Snmpd;
use pdusim::control::NewFault;
use pdusim::fault::{FaultKind, Schedule};
use pdusim::launch::Simulator;

/// The embedded default configuration (PDU `px2`, raritan-px2, 8 outlets, users noauth,
/// authonly, admin) on a loopback port the system picks (port 0), state in memory, real clock.
fn default_simulator() -> Simulator {
    let mut file = pdusim::config::FileConfig::embedded_default();
    for p in &mut file.pdu {
        p.listen = vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))];
    }
    let mut pdus = file.validate("embedded default").unwrap();
    for (spec, _) in &mut pdus {
        spec.state_dir = None;
    }
    Simulator::start(pdus, Arc::new(pdusim::clock::MonotonicClock::new())).unwrap()
}

fn v2c(port: u16) -> Config {
    let mut c = Config::new("127.0.0.1");
    c.port = port;
    c.version = SnmpVersion::V2c;
    c.community = "private".into();
    // snmpd answers the outlet table through a pass_persist script: slow on a loaded machine.
    c.timeout = Duration::from_millis(2000);
    c.retries = 1;
    c.verify = Some(Duration::from_secs(2));
    c
}

fn admin(port: u16) -> Config {
    v2c(port).v3(
        "admin",
        AuthProtocol::Sha1,
        "authpass123",
        PrivProtocol::Aes128,
        "privpass123",
    )
}

fn port_of(sim: &Simulator) -> u16 {
    sim.address("px2").unwrap().port()
}

fn fault(sim: &Simulator, kind: FaultKind) {
    sim.control
        .add_fault(
            "px2",
            NewFault {
                fault: kind,
                schedule: Schedule::default(),
            },
        )
        .unwrap();
}

fn status_of(report: &Report, name: &str) -> Status {
    report
        .get(name)
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("no check {name}: {}", report.to_text()))
}

/// Asserts that `name` failed and its evidence (why, sent, received) mentions `needle`.
fn assert_failed(report: &Report, name: &str, needle: &str) {
    let c = report
        .get(name)
        .unwrap_or_else(|| panic!("no check {name}: {}", report.to_text()));
    assert_eq!(
        c.status,
        Status::Fail,
        "{name} should fail:\n{}",
        report.to_text()
    );
    let all = format!(
        "{} {} {}",
        c.evidence,
        c.sent.join(" "),
        c.received.join(" ")
    );
    assert!(
        all.contains(needle),
        "{name}: {needle:?} not in the evidence:\n{}",
        report.to_text()
    );
}

fn powers(sim: &Simulator) -> Vec<String> {
    sim.control
        .outlets("px2")
        .unwrap()
        .iter()
        .map(|o| format!("{:?}", o.power))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_simulator_passes_every_check_v3_with_switching() {
    let sim = default_simulator();
    let report = check(admin(port_of(&sim)), &Options::switching(3)).await;
    for name in check::ALL {
        assert_eq!(
            status_of(&report, name),
            Status::Pass,
            "{name}:\n{}",
            report.to_text()
        );
    }
    assert_eq!(report.checks.len(), check::ALL.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_simulator_v2c_passes_and_switches_nothing_unasked() {
    let sim = default_simulator();
    let before = powers(&sim);
    // An outlet named, but switching not allowed: still nothing switched.
    let options = Options {
        outlet: Some(2),
        ..Options::default()
    };
    let report = check(v2c(port_of(&sim)), &options).await;
    assert!(!report.failed(), "{}", report.to_text());
    for name in [
        check::DISCOVERY,
        check::LEVEL_PRIV,
        check::UNKNOWN_USER,
        check::WRONG_KEY,
        check::TIME_WINDOW,
    ] {
        assert_eq!(
            status_of(&report, name),
            Status::NotApplicable,
            "{name}: v2c"
        );
    }
    for name in [check::SWITCH_OFF, check::SWITCH_ON, check::SWITCH_CYCLE] {
        assert_eq!(
            status_of(&report, name),
            Status::NotApplicable,
            "{name}: never switches unasked"
        );
    }
    for name in [
        check::GET,
        check::DETECTION,
        check::GETNEXT,
        check::GETBULK,
        check::OUTLET_COUNT,
        check::OUTLET_STATES,
        check::OUTLET_NAMES,
        check::BAD_SET,
    ] {
        assert_eq!(
            status_of(&report, name),
            Status::Pass,
            "{name}:\n{}",
            report.to_text()
        );
    }
    assert_eq!(
        powers(&sim),
        before,
        "an outlet changed without --allow-switching"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authonly_user_levels() {
    let sim = default_simulator();
    let mut c = v2c(port_of(&sim)).v3("authonly", AuthProtocol::Sha1, "authpass123", None, "");
    c.privacy = None;
    let report = check(c, &Options::default()).await;
    assert!(!report.failed(), "{}", report.to_text());
    assert_eq!(status_of(&report, check::LEVEL_AUTH), Status::Pass);
    assert_eq!(status_of(&report, check::LEVEL_PRIV), Status::NotApplicable);
    assert_eq!(status_of(&report, check::TIME_WINDOW), Status::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_force_error_gen_err_fails_bad_set() {
    let sim = default_simulator();
    fault(
        &sim,
        FaultKind::ForceError {
            status: "genErr".into(),
            oid: None,
            set_only: true,
        },
    );
    let report = check(v2c(port_of(&sim)), &Options::default()).await;
    assert_failed(&report, check::BAD_SET, "genErr");
    assert_eq!(
        status_of(&report, check::GET),
        Status::Pass,
        "reads are untouched"
    );
    assert_eq!(status_of(&report, check::OUTLET_STATES), Status::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_force_error_on_state_column_fails_table_reads() {
    let sim = default_simulator();
    fault(
        &sim,
        FaultKind::ForceError {
            status: "genErr".into(),
            oid: Some("1.3.6.1.4.1.13742.6.4.1.2.1.3".into()),
            set_only: false,
        },
    );
    let report = check(v2c(port_of(&sim)), &Options::default()).await;
    assert_eq!(
        status_of(&report, check::GET),
        Status::Pass,
        "{}",
        report.to_text()
    );
    assert_failed(&report, check::GETNEXT, "genErr");
    assert_failed(&report, check::GETBULK, "genErr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_agent_down_fails_discovery_and_skips_the_rest() {
    let sim = default_simulator();
    fault(&sim, FaultKind::AgentDown);
    let mut c = admin(port_of(&sim));
    c.timeout = Duration::from_millis(150);
    c.retries = 0;
    let report = check(c.clone(), &Options::switching(1)).await;
    assert_failed(&report, check::DISCOVERY, "no answer");
    assert_eq!(report.failed, 1, "{}", report.to_text());
    assert_eq!(status_of(&report, check::SWITCH_OFF), Status::NotApplicable);
    // Over v2c the first GET is the one that fails.
    let mut c = v2c(port_of(&sim));
    c.timeout = Duration::from_millis(150);
    c.retries = 0;
    let report = check(c, &Options::default()).await;
    assert_failed(&report, check::GET, "no answer");
    assert_eq!(report.failed, 1, "{}", report.to_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_report_instead_fails_the_configured_level() {
    let sim = default_simulator();
    fault(
        &sim,
        FaultKind::ReportInstead {
            counter: "usmStatsNotInTimeWindows".into(),
        },
    );
    let report = check(admin(port_of(&sim)), &Options::default()).await;
    assert_failed(&report, check::LEVEL_PRIV, "usmStatsNotInTimeWindows");
    assert_failed(&report, check::GET, "usmStatsNotInTimeWindows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_stuck_outlet_fails_switch_off_and_cycle() {
    let sim = default_simulator();
    fault(&sim, FaultKind::StuckOutlet { outlet: 3 });
    let mut c = v2c(port_of(&sim));
    c.verify = Some(Duration::from_millis(600));
    let report = check(c, &Options::switching(3)).await;
    assert_failed(&report, check::SWITCH_OFF, "still reads on");
    // A cycle the outlet ignores reads on throughout: no off phase, no pass.
    assert_failed(&report, check::SWITCH_CYCLE, "no off phase seen");
    assert_eq!(
        status_of(&report, check::BAD_SET),
        Status::Pass,
        "{}",
        report.to_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_wrong_request_id_fails_get() {
    let sim = default_simulator();
    fault(&sim, FaultKind::WrongRequestId);
    let mut c = v2c(port_of(&sim));
    c.timeout = Duration::from_millis(200);
    c.retries = 0;
    let report = check(c, &Options::default()).await;
    assert_failed(&report, check::GET, "request-id");
    let get = report.get(check::GET).unwrap();
    assert!(
        get.received
            .iter()
            .any(|r| r.starts_with("ignored: Response")),
        "{}",
        report.to_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_dir_gets_markdown_and_json() {
    let sim = default_simulator();
    let report = check(v2c(port_of(&sim)), &Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/report");
    let [md, json, _html] = report.write(&out).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let md = std::fs::read_to_string(md).unwrap();
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), check::ALL.len());
    for name in check::ALL {
        let c = checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("{name} not in the JSON"));
        assert!(["pass", "fail", "not-applicable"].contains(&c["status"].as_str().unwrap()));
        assert!(
            md.contains(&format!("| {name} |")),
            "{name} not in the Markdown table:\n{md}"
        );
    }
    assert_eq!(json["failed"], 0);
    let get = checks.iter().find(|c| c["check"] == "GET").unwrap();
    assert!(
        get["sent"][0]
            .as_str()
            .unwrap()
            .starts_with("GET .1.3.6.1.2.1.1.1.0"),
        "{get}"
    );
    assert!(
        md.contains("### GET — pass") && md.contains("received  Response noError"),
        "{md}"
    );
}

#[test]
fn allow_switching_needs_an_outlet() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pdu-conformance"))
        .args(["check", "--host", "127.0.0.1", "--allow-switching"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--outlet"), "{err}");
}

/// The report with what varies between runs taken out: ports, engine IDs, boots, engine time,
/// sysUpTime, counters, request-ids and durations.
fn redacted(report: &Report, port: u16) -> String {
    let text = report
        .to_text()
        .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:[port]");
    let rules = [
        (r"0x[0-9a-f]{10,}", "[engine-id]"),
        (r"boots \d+", "boots [n]"),
        (r", time \d+", ", time [t]"),
        (r"Timeticks \d+", "Timeticks [t]"),
        (r"Counter32 \d+", "Counter32 [n]"),
        (r"request-id [\d, ]*\d", "request-id [id]"),
        (r"after \d+ ms", "after [t] ms"),
    ];
    rules.iter().fold(text, |t, (re, with)| {
        regex::Regex::new(re)
            .unwrap()
            .replace_all(&t, *with)
            .into_owned()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snmpd_report_is_snapshotted() {
    let agent = Snmpd::start(4);
    let report = check(v2c(agent.port()), &Options::switching(2)).await;
    insta::assert_snapshot!("snmpd_v2c", redacted(&report, agent.port()));
    let v3 = v2c(agent.port()).v3(
        "shaaes",
        AuthProtocol::Sha1,
        "shaaes-auth-key",
        PrivProtocol::Aes128,
        "shaaes-priv-key",
    );
    let report = check(v3, &Options::default()).await;
    insta::assert_snapshot!("snmpd_v3", redacted(&report, agent.port()));
}
