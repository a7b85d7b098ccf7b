//! The driver against net-snmp's own agent (`snmpd`), started on a loopback port the system
//! picked with a throwaway config and a pass_persist script serving a Raritan PX2 outlet
//! subtree (`pdu_test_support::Snmpd`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pdu_driver::{Config, Error, OutletRef, Pdu, SnmpVersion, Vendor, Verification};
use pdu_test_support::{find_user, Snmpd, TestUser, USERS};

/// A v2c config with the read-write community and the Raritan PX2 profile.
fn v2c_config(agent: &Snmpd) -> Config {
    let mut c = Config::new("127.0.0.1");
    c.port = agent.port();
    c.version = SnmpVersion::V2c;
    c.community = "private".into();
    c.vendor = "raritan-px2".parse().unwrap();
    c.timeout = Duration::from_millis(700);
    c.retries = 1;
    c.verify = Some(Duration::from_secs(3));
    c
}

/// A v3 config for `u`.
fn config_for(agent: &Snmpd, u: &TestUser) -> Config {
    let mut c = v2c_config(agent).v3(u.name, u.auth, u.auth_key, u.privacy, u.priv_key);
    c.vendor = Vendor::Profile(&pdu_driver::vendors::RARITAN_PX2);
    c
}

fn outlet(n: u32) -> OutletRef {
    OutletRef::Number(n)
}

async fn on_off_state(cfg: Config, agent: &Snmpd, label: &str) {
    let mut pdu = Pdu::new(cfg).unwrap();
    let r = pdu
        .off(&outlet(3))
        .await
        .unwrap_or_else(|e| panic!("{label}: off failed: {e}\nsnmpd log:\n{}", agent.log()));
    assert!(
        matches!(r.verification, Verification::Confirmed { ref state, .. } if state == "off"),
        "{label}: {r:?}"
    );
    assert_eq!(pdu.state(&outlet(3)).await.unwrap().state, "off", "{label}");
    let r = pdu.on(&outlet(3)).await.unwrap();
    assert_eq!(r.before.as_deref(), Some("off"), "{label}");
    assert!(
        matches!(r.verification, Verification::Confirmed { ref state, .. } if state == "on"),
        "{label}: {r:?}"
    );
    let s = pdu.state(&outlet(3)).await.unwrap();
    assert_eq!(
        (s.state.as_str(), s.raw, s.name.as_deref()),
        ("on", Some(7), Some("outlet-3")),
        "{label}"
    );
}

#[tokio::test]
async fn v2c_on_off_state_list_name_cycle_readings() {
    let agent = Snmpd::start(8);
    on_off_state(v2c_config(&agent), &agent, "v2c").await;

    let mut pdu = Pdu::new(v2c_config(&agent)).unwrap();
    let list = pdu.outlets().await.unwrap();
    assert_eq!(list.outlets.len(), 8, "{list:?}");
    assert!(list.outlets.iter().all(|o| o.state == "on"));
    assert_eq!(list.outlets[4].name.as_deref(), Some("outlet-5"));

    assert_eq!(pdu.set_name(&outlet(5), "web server").await.unwrap(), 5);
    let s = pdu
        .off(&OutletRef::Name("web server".into()))
        .await
        .unwrap();
    assert_eq!(s.outlet, 5);
    let r = pdu.cycle(&outlet(5)).await.unwrap();
    assert_eq!(r.method, "native");
    assert!(
        matches!(r.verification, Verification::Confirmed { .. }),
        "{r:?}"
    );

    let readings = pdu.readings(Some(&outlet(5))).await.unwrap();
    let power = readings
        .readings
        .iter()
        .find(|r| r.quantity == "power")
        .expect("power reading");
    assert_eq!((power.value, power.unit), (Some(42.0), "W"));
    assert!(
        readings.notes.iter().any(|n| n.contains("current")),
        "missing meters are noted: {readings:?}"
    );
}

#[tokio::test]
async fn v1_switches_too() {
    let agent = Snmpd::start(4);
    let mut cfg = v2c_config(&agent);
    cfg.version = pdu_driver::SnmpVersion::V1;
    on_off_state(cfg, &agent, "v1").await;
}

#[tokio::test]
async fn detect_reads_sys_object_id() {
    let agent = Snmpd::start(2);
    let mut cfg = v2c_config(&agent);
    cfg.vendor = pdu_driver::Vendor::Detect;
    let mut pdu = Pdu::new(cfg).unwrap();
    let d = pdu.detect().await.unwrap();
    assert_eq!(d.sys_object_id, ".1.3.6.1.4.1.13742.6");
    assert_eq!(d.profile, Some("raritan-px2"));
    assert!(d.sys_descr.starts_with("PX2"));
    // And the detected profile switches.
    pdu.off(&outlet(2)).await.unwrap();
    assert_eq!(pdu.state(&outlet(2)).await.unwrap().state, "off");
}

#[tokio::test]
async fn raw_mode_like_jumpstarter() {
    let agent = Snmpd::start(4);
    let mut cfg = config_for(&agent, &find_user("shaaes"));
    cfg.vendor = "raw".parse().unwrap();
    let mut pdu = Pdu::new(cfg).unwrap();
    let r = pdu.off(&outlet(4)).await.unwrap();
    assert!(
        matches!(r.verification, Verification::Unavailable { .. }),
        "{r:?}"
    );
    // Read back through the real profile.
    let mut check = Pdu::new(config_for(&agent, &find_user("shaaes"))).unwrap();
    assert_eq!(check.state(&outlet(4)).await.unwrap().state, "off");
}

#[tokio::test]
async fn v3_every_user_switches() {
    let agent = Snmpd::start(4);
    let mut failures = Vec::new();
    for u in USERS {
        let label = format!(
            "{} ({} / {})",
            u.name,
            pdu_driver::auth_name(u.auth),
            pdu_driver::priv_name(u.privacy)
        );
        let mut pdu = Pdu::new(config_for(&agent, u)).unwrap();
        let result = async {
            pdu.off(&outlet(2)).await?;
            let off = pdu.state(&outlet(2)).await?.state;
            pdu.on(&outlet(2)).await?;
            let on = pdu.state(&outlet(2)).await?.state;
            Ok::<_, Error>((off, on))
        }
        .await;
        match result {
            Ok((off, on)) if off == "off" && on == "on" => eprintln!("ok   {label}"),
            other => failures.push(format!("{label}: {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "failed:\n{}\nsnmpd log:\n{}",
        failures.join("\n"),
        agent.log()
    );
}

fn expect_err<T: std::fmt::Debug>(r: Result<T, Error>) -> Error {
    match r {
        Err(e) => {
            eprintln!("message: {e}");
            e
        }
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

#[tokio::test]
async fn wrong_auth_key_is_wrong_digest() {
    let agent = Snmpd::start(2);
    let u = TestUser {
        auth_key: "not-the-auth-key",
        ..find_user("shaaes")
    };
    let e = expect_err(
        Pdu::new(config_for(&agent, &u))
            .unwrap()
            .on(&outlet(1))
            .await,
    );
    assert!(matches!(e, Error::WrongDigest { .. }), "{e:?}");
    assert!(e.to_string().contains("--auth-key"));
}

#[tokio::test]
async fn wrong_auth_protocol_is_wrong_digest() {
    let agent = Snmpd::start(2);
    let u = TestUser {
        auth: Some(pdu_driver::AuthProtocol::Md5),
        ..find_user("shaonly")
    };
    let e = expect_err(
        Pdu::new(config_for(&agent, &u))
            .unwrap()
            .on(&outlet(1))
            .await,
    );
    assert!(matches!(e, Error::WrongDigest { .. }), "{e:?}");
}

#[tokio::test]
async fn unknown_user_is_named() {
    let agent = Snmpd::start(2);
    let u = TestUser {
        name: "nobody",
        ..find_user("shaaes")
    };
    let e = expect_err(
        Pdu::new(config_for(&agent, &u))
            .unwrap()
            .on(&outlet(1))
            .await,
    );
    assert!(
        matches!(e, Error::UnknownUserName { ref user } if user == "nobody"),
        "{e:?}"
    );
}

#[tokio::test]
async fn too_high_security_level_is_unsupported() {
    let agent = Snmpd::start(2);
    // shaonly has no privacy key on the agent.
    let u = TestUser {
        privacy: Some(pdu_driver::PrivProtocol::Aes128),
        priv_key: "whatever-key",
        ..find_user("shaonly")
    };
    let e = expect_err(
        Pdu::new(config_for(&agent, &u))
            .unwrap()
            .on(&outlet(1))
            .await,
    );
    assert!(matches!(e, Error::UnsupportedSecurityLevel { .. }), "{e:?}");
}

#[tokio::test]
async fn wrong_priv_key_times_out_with_a_privacy_hint() {
    let agent = Snmpd::start(2);
    let u = TestUser {
        priv_key: "not-the-priv-key",
        ..find_user("shaaes")
    };
    let mut cfg = config_for(&agent, &u);
    cfg.timeout = Duration::from_millis(400);
    let e = expect_err(Pdu::new(cfg).unwrap().on(&outlet(1)).await);
    assert!(matches!(e, Error::DecryptionError { .. }), "{e:?}");
    assert!(e.to_string().contains("--priv-key"));
}

#[tokio::test]
async fn read_only_object_is_not_writable() {
    let agent = Snmpd::start(2);
    let mut pdu = Pdu::new(v2c_config(&agent)).unwrap();
    // outletSwitchingState is read-only in the script; snmpd maps it to notWritable.
    let mut raw = pdu_driver::RawProfile::jumpstarter();
    raw.control_prefix = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3, 1];
    raw.on = 7;
    raw.off = 8;
    let mut cfg = v2c_config(&agent);
    cfg.vendor = pdu_driver::Vendor::Raw(raw);
    let e = expect_err(Pdu::new(cfg).unwrap().on(&outlet(1)).await);
    assert!(
        matches!(
            e,
            Error::AgentError {
                status: "notWritable",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains(".1.3.6.1.4.1.13742.6.4.1.2.1.3.1.1"),
        "{e}"
    );
    // sysName is net-snmp's own object; renaming an outlet to an over-long name → wrongLength.
    let e = expect_err(pdu.set_name(&outlet(1), &"x".repeat(40)).await);
    assert!(
        matches!(
            e,
            Error::AgentError {
                status: "wrongLength",
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn bad_value_is_wrong_value() {
    let agent = Snmpd::start(2);
    let mut raw = pdu_driver::RawProfile::jumpstarter();
    raw.on = 5; // not a switchingOperation value
    let mut cfg = config_for(&agent, &find_user("md5des"));
    cfg.vendor = pdu_driver::Vendor::Raw(raw);
    let e = expect_err(Pdu::new(cfg).unwrap().on(&outlet(1)).await);
    assert!(
        matches!(
            e,
            Error::AgentError {
                status: "wrongValue",
                code: 10,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn read_only_user_is_refused() {
    let agent = Snmpd::start(2);
    let reader = TestUser {
        name: "reader",
        auth: Some(pdu_driver::AuthProtocol::Sha1),
        auth_key: "reader-auth-key",
        privacy: Some(pdu_driver::PrivProtocol::Aes128),
        priv_key: "reader-priv-key",
    };
    let mut pdu = Pdu::new(config_for(&agent, &reader)).unwrap();
    assert_eq!(pdu.state(&outlet(1)).await.unwrap().state, "on");
    let e = expect_err(pdu.off(&outlet(1)).await);
    assert!(
        matches!(
            e,
            Error::AgentError {
                status: "noAccess" | "authorizationError" | "notWritable",
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn no_such_outlet() {
    let agent = Snmpd::start(4);
    let mut pdu = Pdu::new(v2c_config(&agent)).unwrap();
    let e = expect_err(pdu.on(&outlet(9)).await);
    assert!(matches!(e, Error::NoSuchOutlet { .. }), "{e:?}");
    assert!(e.to_string().contains("1-4"), "{e}");
    let e = expect_err(pdu.on(&OutletRef::Name("no-such-name".into())).await);
    assert!(matches!(e, Error::NoSuchOutlet { .. }), "{e:?}");
    let e = expect_err(pdu.on(&outlet(0)).await);
    assert!(matches!(e, Error::NoSuchOutlet { .. }), "{e:?}");
}

#[tokio::test]
async fn wrong_community_times_out_with_a_community_hint() {
    let agent = Snmpd::start(2);
    let mut cfg = v2c_config(&agent);
    cfg.community = "wrong".into();
    cfg.timeout = Duration::from_millis(300);
    let e = expect_err(Pdu::new(cfg).unwrap().state(&outlet(1)).await);
    assert!(matches!(e, Error::Timeout { tries: 2, .. }), "{e:?}");
    assert!(e.to_string().contains("community"));
}

#[tokio::test]
async fn nothing_listening_is_clear() {
    let agent = Snmpd::start(2);
    let port = agent.port();
    drop(agent);
    let mut cfg = Config::new("127.0.0.1");
    cfg.port = port;
    cfg.vendor = "raritan-px2".parse().unwrap();
    cfg.timeout = Duration::from_millis(300);
    let e = expect_err(Pdu::new(cfg).unwrap().on(&outlet(1)).await);
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("nothing is listening"));
}

#[tokio::test]
async fn agent_restart_between_calls_resyncs() {
    let mut agent = Snmpd::start(2);
    for name in ["shaaes", "md5des", "sha256aes256"] {
        let mut pdu = Pdu::new(config_for(&agent, &find_user(name))).unwrap();
        pdu.off(&outlet(1)).await.unwrap();
        let boots_before = agent.saved_engine_boots();
        agent.restart(); // engineBoots + 1, engine time restarts; the outlet state resets to on
        assert!(
            agent.saved_engine_boots() > boots_before,
            "engineBoots did not go up: {boots_before:?}"
        );
        let s = pdu
            .state(&outlet(1))
            .await
            .unwrap_or_else(|e| panic!("{name} after restart: {e}\n{}", agent.log()));
        assert_eq!(
            s.state, "on",
            "{name}: the script starts with every outlet on"
        );
        pdu.off(&outlet(1)).await.unwrap();
    }
}

/// The pductl binary, as a user runs it.
fn pductl(agent: &Snmpd, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let port = agent.port().to_string();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pductl"));
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--timeout",
        "0.5",
        "--retries",
        "1",
    ])
    .args(args);
    cmd.env_remove("PDU_AUTH_KEY")
        .env_remove("PDU_PRIV_KEY")
        .env_remove("PDU_COMMUNITY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run pductl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn pductl_switches_an_outlet_on_snmpd() {
    let agent = Snmpd::start(4);
    let v3 = [
        "--user",
        "sha256aes256",
        "--auth",
        "sha256",
        "--priv",
        "aes256",
        "--vendor",
        "raritan-px2",
    ];
    let keys = [
        ("PDU_AUTH_KEY", "sha256aes256-auth"),
        ("PDU_PRIV_KEY", "sha256aes256-priv"),
    ];
    let (code, out, err) = pductl(&agent, &[&v3[..], &["off", "3"]].concat(), &keys);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("outlet 3: off (was on): now off (confirmed"),
        "{out}"
    );
    // Flags after the subcommand, vendor detected, JSON out.
    let (code, out, err) = pductl(
        &agent,
        &["status", "3", "--json", "--community", "public"],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\"state\": \"off\""), "{out}");
    let (code, out, _) = pductl(&agent, &["list"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("outlet-4"), "{out}");
    let (code, out, _) = pductl(&agent, &["detect"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("raritan-px2"), "{out}");
    // Errors: non-zero exit, the message on stderr.
    let (code, _, err) = pductl(
        &agent,
        &[&v3[..], &["on", "3"]].concat(),
        &[("PDU_AUTH_KEY", "wrong-auth-key"), keys[1]],
    );
    assert_eq!(code, 1);
    assert!(err.contains("usmStatsWrongDigests"), "{err}");
    let (code, _, err) = pductl(&agent, &["--user", "x", "--auth", "sha", "on", "3"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("--auth-key"), "{err}");
}
