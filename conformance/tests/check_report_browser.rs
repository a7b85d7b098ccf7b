//! `check --report DIR`'s HTML report opened in a real browser (Debian's Chromium through
//! chromedriver and the `fantoccini` WebDriver client): its verdict table is there and says
//! what the JSON report says, check for check. A screenshot (PNG) is written under
//! `target/tmp/check-report/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use pdu_conformance::check::{check, Options};
use pdu_driver::{AuthProtocol, Config, PrivProtocol};
use pdu_test_support::browser::{chromium_args, Chromedriver, CHROMIUM};
use pdusim::control::NewFault;
use pdusim::fault::{FaultKind, Schedule};
use pdusim::launch::Simulator;

/// The embedded default configuration on a loopback port the system picks, state in memory.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_check_report_shows_the_verdicts_of_the_json_report() {
    let sim = default_simulator();
    // One failing check, so the report shows a FAIL next to the passes.
    sim.control
        .add_fault(
            "px2",
            NewFault {
                fault: FaultKind::ForceError {
                    status: "genErr".into(),
                    oid: None,
                    set_only: true,
                },
                schedule: Schedule::default(),
            },
        )
        .unwrap();
    let mut config = Config::new("127.0.0.1");
    config.port = sim.address("px2").unwrap().port();
    config.timeout = Duration::from_millis(500);
    config.retries = 1;
    let config = config.v3(
        "admin",
        AuthProtocol::Sha1,
        "authpass123",
        PrivProtocol::Aes128,
        "privpass123",
    );
    let report = check(config, &Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let [_, json, html] = report.write(dir.path()).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let want: Vec<(String, String)> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let word = match c["status"].as_str().unwrap() {
                "pass" => "pass",
                "fail" => "FAIL",
                "not-applicable" => "n/a",
                other => panic!("unknown status {other}"),
            };
            (c["check"].as_str().unwrap().to_string(), word.to_string())
        })
        .collect();
    assert!(
        want.iter().any(|(_, w)| w == "FAIL") && want.iter().any(|(_, w)| w == "pass"),
        "the fault makes one check fail: {want:?}"
    );

    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": chromium_args(profile.path(), 1200, 1600) }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .expect("a Chromium session through chromedriver");
    client
        .goto(&format!("file://{}", html.display()))
        .await
        .unwrap();
    let mut shown = Vec::new();
    for row in client
        .find_all(Locator::Css("#verdicts tbody tr"))
        .await
        .unwrap()
    {
        let name = row
            .find(Locator::Css("th"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let result = row
            .find(Locator::Css("td.result"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        shown.push((name, result));
    }
    assert_eq!(shown, want, "the verdict table against the JSON report");
    let totals = client
        .find(Locator::Css("#totals"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        totals,
        format!(
            "{} passed, {} failed, {} not applicable",
            json["passed"], json["failed"], json["not_applicable"]
        )
    );
    let identity = client
        .find(Locator::Css("#identity"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        json["target"].as_str().unwrap(),
        json["security"].as_str().unwrap(),
        concat!("pdu-conformance ", env!("CARGO_PKG_VERSION")),
        "GMT",
    ] {
        assert!(identity.contains(needle), "{needle:?} in {identity}");
    }
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-report");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("check-report.png"), png).unwrap();
    client.close().await.unwrap();
}
