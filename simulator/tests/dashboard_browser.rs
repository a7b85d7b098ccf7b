//! The dashboard in a real browser: Debian's Chromium driven through chromedriver (WebDriver,
//! with the `fantoccini` client) against a `pdusim` this test starts, checked against
//! net-snmp's tools. Screenshots (PNG) are written under `target/tmp/dashboard/`.
//!
//! `scripts/test.sh` installs `chromium` and `chromium-driver`; a missing one fails this test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use pdu_test_support::browser::{chromium_args, Chromedriver, CHROMIUM};
use pdu_test_support::oids::*;
use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// How long any one wait for the page or an agent may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);

fn admin() -> Sec {
    V3::auth_priv("admin", "SHA", "authpass123", "AES", "privpass123").into()
}

/// A headless Chromium session with a fresh profile, set up for a machine without internet.
async fn browser(driver: &Chromedriver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": chromium_args(profile, 1400, 2200) }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .expect("a Chromium session through chromedriver")
}

/// The text of the first element `css` finds ("" if there is none yet).
async fn text_of(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Polls the page (every 100 ms, at most [`DEADLINE`]) until `css`'s text satisfies `want`;
/// returns that text, or fails naming what was expected and what was there.
async fn wait_text(client: &Client, css: &str, what: &str, want: impl Fn(&str) -> bool) -> String {
    let start = std::time::Instant::now();
    loop {
        let text = text_of(client, css).await;
        if want(&text) {
            return text;
        }
        if start.elapsed() > DEADLINE {
            panic!("{css}: waited for {what}; the page shows {text:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(artifacts().join(name), png).unwrap();
}

/// outletSwitchingState of `outlet` as net-snmp reads it (7 on, 8 off).
fn snmp_state(sim: &PdusimProcess, outlet: u32) -> Option<i64> {
    let out = sim.get(&admin(), &[&state(outlet)]);
    out.varbinds().first().and_then(|(_, v)| parse_number(v))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_switches_outlets_shows_snmp_changes_faults_and_the_request_log() {
    let state_dir = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    // A trap receiver of the test's own: the dashboard's notification panel must show what
    // was sent to it, and it must really arrive.
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let notify = receiver.local_addr().unwrap().to_string();
    let sim = PdusimProcess::builder(PDUSIM)
        .state_dir(state_dir.path())
        .control()
        .args(["--notify", notify.as_str()])
        .start();
    let control_port = sim.control_port().unwrap();
    let driver = Chromedriver::start();
    let client = browser(&driver, profile.path()).await;

    // The page lists the PDU and its 8 outlets.
    client
        .goto(&format!("http://127.0.0.1:{control_port}/"))
        .await
        .unwrap();
    let list = text_of(&client, "#pdu-list").await;
    assert!(
        list.contains("px2") && list.contains("raritan-px2"),
        "{list}"
    );
    wait_text(&client, "#live", "the event stream to open", |t| {
        t.starts_with("Live")
    })
    .await;
    let rows = client
        .find_all(Locator::Css("#outlets tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 8, "8 outlet rows");
    for n in 1..=8 {
        let state = text_of(&client, &format!("#outlet-{n} .state")).await;
        assert_eq!(state, "on", "outlet {n}");
    }
    // A marker that a reload would lose: changes below must arrive without one.
    client
        .execute("window.notReloaded = true; return true;", vec![])
        .await
        .unwrap();

    // Clicking outlet 3 "off" switches it for SNMP.
    click(&client, "#outlet-3 button.switch-off").await;
    assert!(
        wait_until(DEADLINE, || snmp_state(&sim, 3) == Some(STATE_OFF)),
        "snmpget of outlet 3 never read off after the click"
    );
    wait_text(&client, "#outlet-3 .state", "outlet 3 off", |t| t == "off").await;
    // The switch raised Raritan's outlet notification (PDU2-MIB outletSensorStateChange), which
    // reached the receiver and shows in the notification panel with its outcome.
    wait_text(
        &client,
        "#notifications tbody",
        "outletSensorStateChange sent to the receiver",
        |t| t.contains("outletSensorStateChange") && t.contains(&notify) && t.contains("sent"),
    )
    .await;
    let mut seen_trap_oids = Vec::new();
    let mut buf = vec![0u8; 65536];
    while !seen_trap_oids
        .iter()
        .any(|o: &String| o.starts_with("1.3.6.1.4.1.13742.6.0.63"))
    {
        let (len, _) = receiver
            .recv_from(&mut buf)
            .expect("the outlet notification reaches the receiver");
        if let Ok(snmp_proto::Message::Community(m)) = snmp_proto::decode_message(&buf[..len]) {
            // snmpTrapOID.0 is the second varbind of an SNMPv2-Trap.
            if let Some(snmp_proto::Value::ObjectId(oid)) = m.pdu.varbinds.get(1).map(|v| &v.value)
            {
                seen_trap_oids.push(oid.to_string());
            }
        }
    }

    // An snmpset from outside shows up on the page, without a reload.
    sim.set(&admin(), &[&control(5), "i", "0"]).expect_clean();
    wait_text(&client, "#outlet-5 .state", "outlet 5 off", |t| t == "off").await;
    let kept = client
        .execute("return window.notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(kept, serde_json::Value::Bool(true), "the page was reloaded");
    screenshot(&client, "dashboard.png").await;

    // Renaming outlet 2 on the page renames it for SNMP.
    let rename = client.find(Locator::Css("#rename-2")).await.unwrap();
    rename.clear().await.unwrap();
    rename.send_keys("db-primary").await.unwrap();
    click(&client, "#outlet-2 .rename button").await;
    assert!(
        wait_until(DEADLINE, || {
            let out = sim.get(&admin(), &[&outlet_name(2)]);
            out.varbinds().first().map(|(_, v)| v.as_str()) == Some("STRING: \"db-primary\"")
        }),
        "snmpget of outletName.2 never read the new name"
    );
    wait_text(&client, "#outlet-2 .name", "the new name", |t| {
        t == "db-primary"
    })
    .await;

    // A drop-response fault added in the panel: the next snmpget times out.
    client
        .find(Locator::Css("#fault-kind"))
        .await
        .unwrap()
        .select_by_value("drop-response")
        .await
        .unwrap();
    click(&client, "#add-fault").await;
    wait_text(&client, "#faults tbody", "the fault listed", |t| {
        t.contains("drop-response")
    })
    .await;
    let dropped = sim.tool("snmpget", &admin(), &["-r", "0", "-t", "1"], &[&state(1)]);
    assert!(
        !dropped.ok() && dropped.all_output().contains("Timeout"),
        "expected a timeout with drop-response: {}",
        dropped.describe()
    );
    screenshot(&client, "dashboard-fault.png").await;
    // Clearing it restores answers.
    click(&client, "#clear-faults").await;
    wait_text(&client, "#faults tbody", "no faults", |t| {
        t.contains("No active faults")
    })
    .await;
    assert_eq!(snmp_state(&sim, 1), Some(STATE_ON), "answers again");

    // The request log: an snmpget with its user, a wrong-key request with its Report.
    let wrong = Sec::from(V3::auth_priv(
        "admin",
        "SHA",
        "not-the-key-1",
        "AES",
        "privpass123",
    ));
    sim.get(&Sec::v2c("public"), &[&state(4)]).expect_clean();
    let refused = sim.get(&wrong, &[&state(2)]);
    assert!(
        !refused.ok(),
        "a wrong key is refused: {}",
        refused.describe()
    );
    let log = wait_text(&client, "#requests tbody", "a wrongDigests Report", |t| {
        t.contains("Report usmStatsWrongDigests")
    })
    .await;
    let rows: Vec<&str> = log.lines().collect();
    assert!(
        rows.iter().any(|r| r.contains("user admin")
            && r.contains("authPriv")
            && r.contains("GetRequest")
            && r.contains(&dotted(&state(1)).trim_start_matches('.').to_string())
            && r.contains("Response")),
        "an snmpget of outlet 1 by admin, answered: {log}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("user admin") && r.contains("Report usmStatsWrongDigests")),
        "the wrong-key request with its Report: {log}"
    );
    assert!(
        rows.iter().any(|r| r.contains("drop-response fault")),
        "the dropped answer: {log}"
    );
    assert!(
        rows.iter().any(|r| r.contains("v2c")
            && r.contains("community (read-only)")
            && r.contains(&dotted(&state(4)).trim_start_matches('.').to_string())),
        "the v2c GET, by what its community may do: {log}"
    );
    assert!(
        !log.contains("public") && !log.contains("authpass123"),
        "a secret on the page: {log}"
    );
    // No secret of the default set-up anywhere in the page as rendered.
    let source = client.source().await.unwrap();
    for secret in ["public", "private", "authpass123", "privpass123"] {
        assert!(!source.contains(secret), "{secret:?} is on the page");
    }
    screenshot(&client, "dashboard-requests.png").await;

    // An engine restart asks first; accepted, boots go up by one and the outlets stay.
    let boots = text_of(&client, "#f-boots").await;
    assert_eq!(boots, "1");
    click(&client, "#restart-keep").await;
    client.accept_alert().await.unwrap();
    wait_text(&client, "#f-boots", "snmpEngineBoots 2", |t| t == "2").await;
    assert_eq!(snmp_state(&sim, 3), Some(STATE_OFF), "outlets kept");
    client.close().await.unwrap();
}
