//! `run --report DIR`'s HTML run report opened in a real browser (Debian's Chromium through
//! chromedriver and `fantoccini`): every scenario is in the verdict tables, grouped by folder,
//! with the verdict the JSON report gives it, and a changed scenario shows its diff. A
//! screenshot (PNG) is written under `target/tmp/run-report/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use fantoccini::{ClientBuilder, Locator};
use pdu_test_support::browser::{chromium_args, Chromedriver, CHROMIUM};

const CONFORMANCE: &str = env!("CARGO_BIN_EXE_pdu-conformance");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_run_report_shows_the_verdicts_of_the_json_report() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    // The usm folder from the corpus (passes, against its snapshots), and one of its scenarios
    // copied into a folder of its own, which has no snapshot there: a "changed" row with a diff.
    let work = tempfile::tempdir().unwrap();
    let extra = work.path().join("copied");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::copy(
        corpus.join("usm/unknown-user.toml"),
        extra.join("unknown-user.toml"),
    )
    .unwrap();
    let report_dir = work.path().join("report");
    let out = Command::new(CONFORMANCE)
        .arg("run")
        .arg(corpus.join("usm"))
        .arg(&extra)
        .arg("--report")
        .arg(&report_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one scenario is changed:\n{stdout}"
    );
    assert!(stdout.contains("run report: "), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("run-report.json")).unwrap())
            .unwrap();
    let want: Vec<(String, String)> = json["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(want.len() >= 10, "{want:?}");
    assert!(
        want.iter().any(|(_, v)| v == "changed") && want.iter().any(|(_, v)| v == "pass"),
        "{want:?}"
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
    let html = report_dir.join("run-report.html");
    client
        .goto(&format!("file://{}", html.display()))
        .await
        .unwrap();
    let mut shown = Vec::new();
    for row in client
        .find_all(Locator::Css("table.verdicts tbody tr"))
        .await
        .unwrap()
    {
        let name = row
            .find(Locator::Css("td a"))
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
    let mut sorted_want = want.clone();
    sorted_want.sort();
    shown.sort();
    assert_eq!(
        shown, sorted_want,
        "the verdict tables against the JSON report"
    );
    let headings: Vec<String> = {
        let mut v = Vec::new();
        for h in client.find_all(Locator::Css("section > h2")).await.unwrap() {
            v.push(h.text().await.unwrap());
        }
        v
    };
    assert!(
        // A scenario outside the corpus is named by its file alone: "(top level)".
        headings.iter().any(|h| h == "usm") && headings.iter().any(|h| h == "(top level)"),
        "grouped by folder: {headings:?}"
    );
    let diff = client
        .find(Locator::Css("section.changed pre.diff"))
        .await
        .unwrap()
        .html(false)
        .await
        .unwrap();
    assert!(
        !diff.trim().is_empty(),
        "the changed scenario shows its diff"
    );
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-report");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("run-report.png"), png).unwrap();
    client.close().await.unwrap();
}
