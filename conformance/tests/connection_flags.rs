//! The connection flags `check` and `load` share with `pductl`, through the real binary against
//! an in-process `pdusim` with the embedded default set-up (user admin, SHA/AES): `--user` makes
//! both speak SNMPv3, net-snmp's short flags work, keys come from `PDU_AUTH_KEY`/`PDU_PRIV_KEY`,
//! short keys are refused without being shown, and `-V` prints the program's version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;
use std::sync::Arc;

use pdusim::launch::Simulator;

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

/// Runs `pdu-conformance ARGS` with ENVS (and none of the shared variables inherited).
async fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pdu-conformance"));
    cmd.args(args);
    for k in [
        "PDU_HOST",
        "PDU_COMMUNITY",
        "PDU_USER",
        "PDU_AUTH_KEY",
        "PDU_PRIV_KEY",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run pdu-conformance"))
        .await
        .unwrap();
    eprintln!(
        "$ pdu-conformance {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_user_speaks_v3() {
    let sim = default_simulator();
    let port = sim.address("px2").unwrap().port().to_string();
    let out = run(
        &[
            "check",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            "admin",
            "--auth",
            "sha",
            "--priv",
            "aes",
            "--timeout",
            "0.5",
            "--json",
        ],
        &[
            ("PDU_AUTH_KEY", "authpass123"),
            ("PDU_PRIV_KEY", "privpass123"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let checks = json["checks"].as_array().unwrap();
    let discovery = checks
        .iter()
        .find(|c| c["check"] == "engine discovery")
        .unwrap();
    assert_eq!(discovery["status"], "pass", "{discovery}");
    let level = checks
        .iter()
        .find(|c| c["check"] == "security level authPriv")
        .unwrap();
    assert_eq!(level["status"], "pass", "{level}");
    assert!(!stdout(&out).contains("privpass123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_takes_net_snmp_short_flags() {
    let sim = default_simulator();
    let port = sim.address("px2").unwrap().port().to_string();
    let out = run(
        &[
            "load",
            "--host",
            "127.0.0.1",
            "-p",
            &port,
            "-v",
            "3",
            "-u",
            "admin",
            "-l",
            "authPriv",
            "-a",
            "SHA",
            "-A",
            "authpass123",
            "-x",
            "AES",
            "-X",
            "privpass123",
            "-t",
            "2",
            "--oid",
            "1.3.6.1.2.1.1.5.0",
            "--requests",
            "20",
            "--json",
            "--quiet",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(json["ok"], 20, "{json}");
    assert!(
        json["security"]
            .as_str()
            .unwrap()
            .starts_with("v3 authPriv (admin, SHA"),
        "{json}"
    );
    // The same community default as pductl and check: public, which the default PDU has.
    let out = run(
        &[
            "load",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--oid",
            "1.3.6.1.2.1.1.5.0",
            "--requests",
            "5",
            "--json",
            "--quiet",
        ],
        &[],
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (json["ok"].as_u64(), json["security"].as_str()),
        (Some(5), Some("v2c"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_keys_are_refused_by_check_and_load_without_showing_them() {
    for sub in [&["check"][..], &["load", "--oid", "1.3.6.1.2.1.1.5.0"][..]] {
        let mut args = sub.to_vec();
        args.extend([
            "--host",
            "127.0.0.1",
            "-u",
            "admin",
            "-a",
            "sha",
            "-A",
            "seven77",
        ]);
        let out = run(&args, &[]).await;
        assert_eq!(out.status.code(), Some(1), "{sub:?}");
        let err = stderr(&out);
        assert!(
            err.contains("--auth-key") && err.contains("at least 8"),
            "{sub:?}: {err}"
        );
        assert!(!err.contains("seven77"), "{sub:?}: {err}");
    }
    let out = run(&["check"], &[]).await;
    assert!(stderr(&out).contains("--host"), "{}", stderr(&out));
}

#[tokio::test]
async fn dash_capital_v_prints_the_version_everywhere() {
    for args in [&["-V"][..], &["check", "-V"], &["load", "--version"]] {
        let out = run(args, &[]).await;
        assert!(out.status.success(), "{args:?}");
        assert!(
            stdout(&out).contains(env!("CARGO_PKG_VERSION")),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

/// `check` with a community the agent does not know: the GET fails saying a wrong community
/// (or an access list) is the usual cause; `--vendor raw` says raw mode throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_messages_point_the_right_way() {
    let sim = default_simulator();
    let port = sim.address("px2").unwrap().port().to_string();
    let base = [
        "check",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "-t",
        "0.3",
        "-r",
        "0",
    ];
    let out = run(&[&base[..], &["-c", "no-such-community"]].concat(), &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    let get = text.lines().find(|l| l.starts_with("GET ")).unwrap();
    assert!(
        get.contains("wrong --community") && get.contains("access list"),
        "{text}"
    );
    let out = run(
        &[&base[..], &["-c", "public", "--vendor", "raw"]].concat(),
        &[],
    )
    .await;
    let text = stdout(&out);
    let detection = text.lines().find(|l| l.starts_with("detection")).unwrap();
    assert!(
        detection.contains("raw mode") && !detection.contains("-> profile"),
        "{text}"
    );
    let getnext = text.lines().find(|l| l.starts_with("GETNEXT")).unwrap();
    assert!(getnext.contains("--vendor raritan-px2"), "{text}");
}
