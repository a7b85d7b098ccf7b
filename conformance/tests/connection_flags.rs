//! The connection flags `check` and `load` share with `pductl`, through the real binary against
//! an in-process `pdusim` with the embedded default set-up (user admin, SHA/AES): `--user` makes
//! both speak SNMPv3, net-snmp's short flags work, keys come from `PDU_AUTH_KEY`/`PDU_PRIV_KEY`,
//! short keys are refused without being shown, and `-V` prints the program's version. Both
//! read a connection profile (`--profile NAME`) against a real `pdusim` process with an
//! SHA-256/AES-256 user.
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
        "PDU_PROFILE",
        "PDU_PROFILES",
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

/// `check` and `load` take everything from a connection profile (v3 authPriv, SHA-256/AES-256,
/// the privacy key from a key file next to the profiles file) against a real `pdusim` process;
/// a flag overrides the profile; `PDU_PROFILES` names the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_load_take_a_connection_profile() {
    let sim = pdu_test_support::PdusimProcess::start(
        pdu_test_support::workspace_pdusim(),
        &[
            "--vendor",
            "apc-rpdu2",
            "--user",
            "ops:sha256:opsauth123:aes256:opspriv123",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.priv"), "opspriv123\n").unwrap();
    let file = dir.path().join("profiles.toml");
    std::fs::write(
        &file,
        format!(
            "[lab]\nhost = \"127.0.0.1\"\nport = {}\nversion = 3\nuser = \"ops\"\n\
             security_level = \"authPriv\"\nauth = \"sha256\"\nauth_key = \"opsauth123\"\n\
             priv = \"aes256\"\npriv_key_file = \"lab.priv\"\nvendor = \"apc-rpdu2\"\n\
             timeout = 2\nretries = 1\n",
            sim.port()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let file = file.display().to_string();

    let out = run(
        &[
            "check",
            "--profiles-file",
            &file,
            "--profile",
            "lab",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let checks = json["checks"].as_array().unwrap();
    let status = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .map(|c| c["status"].clone())
    };
    assert_eq!(
        status("security level authPriv"),
        Some("pass".into()),
        "{json}"
    );
    assert_eq!(status("outlet count"), Some("pass".into()), "{json}");
    assert_eq!(json["profile"], "apc-rpdu2", "{json}");

    let out = run(
        &[
            "load",
            "--profile",
            "lab",
            "--oid",
            "1.3.6.1.2.1.1.5.0",
            "--requests",
            "20",
            "--json",
            "--quiet",
        ],
        &[("PDU_PROFILES", &file)],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(json["ok"], 20, "{json}");
    assert!(
        json["security"]
            .as_str()
            .unwrap()
            .starts_with("v3 authPriv (ops, SHA-256"),
        "{json}"
    );

    // A flag wins over the profile: a wrong authentication key is refused by the agent, and
    // shown nowhere.
    let out = run(
        &[
            "check",
            "--profiles-file",
            &file,
            "--profile",
            "lab",
            "-A",
            "not-the-auth-key",
            "-t",
            "0.5",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains("not-the-auth-key") && !all.contains("opsauth123"),
        "{all}"
    );
    // An unknown key in the profile is refused, naming the file, the profile and the key.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[lab]\nhost = \"127.0.0.1\"\ncomunity = \"public\"\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml").display().to_string();
    for sub in [&["check"][..], &["load", "--oid", "1.3.6.1.2.1.1.5.0"][..]] {
        let args = [sub, &["--profiles-file", &bad, "--profile", "lab"]].concat();
        let out = run(&args, &[]).await;
        assert_eq!(out.status.code(), Some(1), "{sub:?}");
        let err = stderr(&out);
        assert!(
            err.contains("bad.toml") && err.contains("\"lab\"") && err.contains("comunity"),
            "{sub:?}: {err}"
        );
    }
}
