//! Restarting `pdusim` on the same state directory keeps outlet states, names, the sys strings
//! and the engine ID, and adds exactly one to snmpEngineBoots.
#![allow(clippy::unwrap_used)]

use pdu_test_support::oids::*;
use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const USER: &str = "admin:sha512:restart-auth-pw:aes256:restart-priv-pw";

fn admin() -> Sec {
    V3::auth_priv(
        "admin",
        "SHA-512",
        "restart-auth-pw",
        "AES-256",
        "restart-priv-pw",
    )
    .into()
}

fn start(dir: &std::path::Path, extra: &[&str]) -> PdusimProcess {
    let mut args = vec![
        "--vendor",
        "raritan-px2",
        "--outlets",
        "8",
        "--community",
        "public",
        "--user",
        USER,
    ];
    args.extend_from_slice(extra);
    PdusimProcess::builder(PDUSIM)
        .state_dir(dir)
        .args(&args)
        .start()
}

fn states(sim: &PdusimProcess, sec: &Sec) -> Vec<String> {
    let out = sim.walk(sec, SWITCHING_STATE_COL);
    out.expect_clean();
    out.varbinds().into_iter().map(|v| v.1).collect()
}

fn on(b: bool) -> String {
    format!("INTEGER: {}", if b { STATE_ON } else { STATE_OFF })
}

#[test]
fn restart_keeps_outlets_names_engine_id_and_counts_boots() {
    let dir = tempfile::tempdir().unwrap();
    let sec = admin();

    let first = start(dir.path(), &[]);
    assert_eq!(
        states(&first, &sec),
        vec![on(true); 8],
        "a first start powers every outlet on"
    );
    let boots1 = first.get_number(&sec, SNMP_ENGINE_BOOTS);
    assert!(
        boots1 >= 1,
        "snmpEngineBoots starts at 1 or more, got {boots1}"
    );
    let engine_id = first.get_value(&sec, SNMP_ENGINE_ID);
    assert!(engine_id.starts_with("Hex-STRING: "), "{engine_id}");

    first
        .set(
            &sec,
            &[
                &control(2),
                "i",
                "0",
                &control(5),
                "i",
                "0",
                &control(8),
                "i",
                "0",
            ],
        )
        .expect_clean();
    first
        .set(&sec, &[&outlet_name(5), "s", "kept across restarts"])
        .expect_clean();
    first
        .set(
            &sec,
            &[SYS_NAME, "s", "pdu-restart", SYS_LOCATION, "s", "Lab 9"],
        )
        .expect_clean();
    let want_states: Vec<String> = (1..=8).map(|n| on(![2, 5, 8].contains(&n))).collect();
    assert_eq!(states(&first, &sec), want_states);
    let status = first.stop();
    eprintln!("pdusim exit status after SIGTERM: {status}");

    let second = start(dir.path(), &[]);
    assert_eq!(
        states(&second, &sec),
        want_states,
        "outlet states survive a restart"
    );
    assert_eq!(
        second.get_value(&sec, &outlet_name(5)),
        "STRING: \"kept across restarts\""
    );
    assert_eq!(second.get_value(&sec, SYS_NAME), "STRING: \"pdu-restart\"");
    assert_eq!(second.get_value(&sec, SYS_LOCATION), "STRING: \"Lab 9\"");
    assert_eq!(
        second.get_number(&sec, SNMP_ENGINE_BOOTS),
        boots1 + 1,
        "boots goes up by exactly one"
    );
    assert_eq!(
        second.get_value(&sec, SNMP_ENGINE_ID),
        engine_id,
        "the engine ID is kept"
    );
    // snmpEngineTime restarts from zero with the new boots value (RFC 3414 §2.2.2)
    let time = second.get_number(&sec, "1.3.6.1.6.3.10.2.1.3.0");
    assert!(
        (0..60).contains(&time),
        "snmpEngineTime after a restart is small, got {time}"
    );
    // the same v2c view agrees
    assert_eq!(states(&second, &Sec::v2c("public")), want_states);

    // A third start counts again, and changes made in the second run are kept too.
    second.set(&sec, &[&control(2), "i", "1"]).expect_clean();
    second.stop();
    let third = start(dir.path(), &[]);
    assert_eq!(third.get_number(&sec, SNMP_ENGINE_BOOTS), boots1 + 2);
    assert_eq!(third.get_value(&sec, &state(2)), on(true));
    assert_eq!(third.get_value(&sec, &state(5)), on(false));
    assert_eq!(third.get_value(&sec, SNMP_ENGINE_ID), engine_id);
}

#[test]
fn restart_with_configured_engine_id() {
    let dir = tempfile::tempdir().unwrap();
    let sec = admin();
    // an enterprise-format engine ID (RFC 3411): 0x80 | enterprise 13742, format 4 (text) "pdusim-test"
    let hex = "800035ae0470647573696d2d74657374";
    let want_id = "Hex-STRING: 80 00 35 AE 04 70 64 75 73 69 6D 2D 74 65 73 74";
    let first = start(dir.path(), &["--engine-id", hex]);
    assert_eq!(first.get_value(&sec, SNMP_ENGINE_ID).trim_end(), want_id);
    let boots1 = first.get_number(&sec, SNMP_ENGINE_BOOTS);
    first.set(&sec, &[&control(1), "i", "0"]).expect_clean();
    first.stop();
    let second = start(dir.path(), &["--engine-id", hex]);
    assert_eq!(second.get_value(&sec, SNMP_ENGINE_ID).trim_end(), want_id);
    assert_eq!(second.get_number(&sec, SNMP_ENGINE_BOOTS), boots1 + 1);
    assert_eq!(second.get_value(&sec, &state(1)), on(false));
}

/// Outlet state is saved on every change, so even a SIGKILL (no shutdown hook) loses nothing
/// that was acknowledged.
#[test]
fn acknowledged_set_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let sec = admin();
    let first = start(dir.path(), &[]);
    let boots1 = first.get_number(&sec, SNMP_ENGINE_BOOTS);
    first
        .set(
            &sec,
            &[&control(3), "i", "0", &outlet_name(3), "s", "killed"],
        )
        .expect_clean();
    first.kill_hard();
    let second = start(dir.path(), &[]);
    assert_eq!(second.get_value(&sec, &state(3)), on(false));
    assert_eq!(
        second.get_value(&sec, &outlet_name(3)),
        "STRING: \"killed\""
    );
    assert_eq!(second.get_number(&sec, SNMP_ENGINE_BOOTS), boots1 + 1);
}
