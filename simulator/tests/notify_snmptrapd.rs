#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The notification originator against net-snmp's own receiver, `snmptrapd`: SNMPv1 and v2c
//! traps, v2c informs, SNMPv3 traps (the PDU's engine authoritative) and informs (snmptrapd's
//! engine discovered) for several auth × priv pairs, the vendors' outlet notifications when an
//! outlet is switched with `snmpset` or completes a cycle on its own, coldStart / warmStart,
//! authenticationFailure, and informs failing (and counted) when the receiver has another key.
//!
//! The simulator runs in-process (so its counters can be read) on a port the system picked;
//! snmptrapd on `udp:127.0.0.1:0` with its port read back. Nothing asserts a time: waits are
//! deadlines for something to arrive.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use pdu_test_support::{find_user, NetSnmp, Received, Sec, Snmptrapd, TestUser, TrapUser};
use pdusim::clock::{Clock, ManualClock, MonotonicClock};
use pdusim::config::FileConfig;
use pdusim::device::DeviceSpec;
use pdusim::launch::Simulator;
use snmp_proto::Oid;

/// How long a notification may take to show up in snmptrapd's log.
const ARRIVES: Duration = Duration::from_secs(15);

const COLD_START: &str = ".1.3.6.1.6.3.1.1.5.1";
const WARM_START: &str = ".1.3.6.1.6.3.1.1.5.2";
const AUTHENTICATION_FAILURE: &str = ".1.3.6.1.6.3.1.1.5.5";

struct At(SocketAddr);
impl NetSnmp for At {
    fn target(&self) -> String {
        self.0.to_string()
    }
}

fn specs(text: &str) -> Vec<(DeviceSpec, Vec<SocketAddr>)> {
    FileConfig::parse(text, "test")
        .unwrap()
        .validate("test")
        .unwrap()
        .into_iter()
        .map(|(spec, addrs)| {
            (
                DeviceSpec {
                    state_dir: None,
                    ..spec
                },
                addrs,
            )
        })
        .collect()
}

fn start(text: &str, clock: Arc<dyn Clock>) -> (tokio::runtime::Runtime, Simulator) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime
        .block_on(async { Simulator::start(specs(text), clock) })
        .unwrap();
    (runtime, sim)
}

fn is(r: &Received, pdu: &str, security: &str, trap_oid: &str) -> bool {
    r.pdu == pdu && r.security == security && r.trap_oid() == Some(trap_oid)
}

/// The `[[pdu.notify]]` lines for an SNMPv3 user.
fn v3_target(address: &str, kind: &str, u: &TestUser) -> String {
    format!(
        "[[pdu.notify]]\naddress = \"{address}\"\nversion = \"3\"\nkind = \"{kind}\"\nuser = \"{}\"\nauth = \"{}\"\nauth_password = \"{}\"\npriv = \"{}\"\npriv_password = \"{}\"\ntimeout_ms = 500\nretries = 4\n",
        u.name,
        u.auth.unwrap().name(),
        u.auth_key,
        u.privacy.unwrap().name(),
        u.priv_key
    )
}

#[test]
fn v1_v2c_traps_and_v2c_informs_reach_snmptrapd_with_the_rfc_3584_mapping() {
    let trapd = Snmptrapd::start("public", &[]);
    let a = trapd.address();
    let text = format!(
        "[[pdu]]\nname = \"apc\"\nvendor = \"apc-rpdu\"\noutlets = 4\nlisten = [\"127.0.0.1:0\"]\n\
         [[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n\
         [[pdu.notify]]\naddress = \"{a}\"\nversion = \"1\"\n\
         [[pdu.notify]]\naddress = \"{a}\"\nversion = \"2c\"\n\
         [[pdu.notify]]\naddress = \"{a}\"\nversion = \"2c\"\nkind = \"inform\"\ntimeout_ms = 500\n"
    );
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    let device = sim.devices[0].clone();
    let pdu = At(sim.address("apc").unwrap());
    let sec = Sec::v2c("private");

    // coldStart: SNMPv1 generic-trap coldStart(0) with the vendor's enterprise (RFC 3584 §3.2),
    // SNMPv2c sysUpTime.0 and snmpTrapOID.0 first, and the inform acknowledged.
    let v1 = trapd.expect("SNMPv1 coldStart", ARRIVES, |r| {
        r.version == "SNMP v1" && r.v1.as_ref().is_some_and(|v| v.generic == 0)
    });
    let f = v1.v1.unwrap();
    assert_eq!(
        (f.enterprise.as_str(), f.specific, f.agent_addr.as_str()),
        (".1.3.6.1.4.1.318.1.3.4.5", 0, "127.0.0.1")
    );
    assert_eq!(v1.security, "community public");
    let v2 = trapd.expect("SNMPv2c coldStart trap", ARRIVES, |r| {
        is(r, "TRAP2", "community public", COLD_START)
    });
    assert_eq!(v2.version, "SNMP v2c");
    assert_eq!(v2.varbinds[0].0, ".1.3.6.1.2.1.1.3.0", "sysUpTime.0 first");
    assert_eq!(
        v2.varbinds[1].0, ".1.3.6.1.6.3.1.1.4.1.0",
        "snmpTrapOID.0 second"
    );
    assert_eq!(
        v2.value(".1.3.6.1.6.3.1.1.4.3.0"),
        Some("OID: .1.3.6.1.4.1.318.1.3.4.5"),
        "snmpTrapEnterprise.0 is the sysObjectID"
    );
    trapd.expect("SNMPv2c coldStart inform", ARRIVES, |r| {
        is(r, "INFORM", "community public", COLD_START)
    });
    assert!(
        pdu_test_support::wait_until(ARRIVES, || device
            .notifications
            .counters
            .informs_acknowledged
            .load(Ordering::Relaxed)
            == 1),
        "snmptrapd's Response acknowledges the inform: {:?}",
        device.notifications.history()
    );

    // rPDUOutletControlCommand.2 = immediateOff(2): PowerNet-MIB rPDUOutletOff for outlet 2.
    pdu.set(&sec, &[".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.2", "i", "2"])
        .expect_clean();
    let off = trapd.expect("rPDUOutletOff over v2c", ARRIVES, |r| {
        is(r, "TRAP2", "community public", ".1.3.6.1.4.1.318.0.269")
    });
    let objects: Vec<&str> = off.varbinds[2..].iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(
        objects,
        [
            ".1.3.6.1.4.1.318.1.1.12.1.6.0",
            ".1.3.6.1.4.1.318.1.1.12.1.1.0",
            ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.2",
            ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.2.2",
            ".1.3.6.1.4.1.318.2.3.3.0",
        ],
        "rPDUIdentSerialNumber, rPDUIdentName, rPDUOutletControlIndex, rPDUOutletControlOutletName, mtrapargsString"
    );
    assert_eq!(
        off.value(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.2"),
        Some("INTEGER: 2")
    );
    let v1_off = trapd.expect("rPDUOutletOff over v1", ARRIVES, |r| {
        r.v1.as_ref().is_some_and(|v| v.specific == 269)
    });
    let f = v1_off.v1.clone().unwrap();
    assert_eq!((f.enterprise.as_str(), f.generic), (".1.3.6.1.4.1.318", 6));
    assert_eq!(
        v1_off.value(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.2"),
        Some("INTEGER: 2")
    );
    // Nothing was sent for the outlets that did not change.
    assert!(
        !trapd
            .received()
            .iter()
            .any(|r| r.value(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.1").is_some()),
        "no notification for outlet 1"
    );

    // authenticationFailure only once snmpEnableAuthenTraps is enabled(1).
    pdu.set(&sec, &[".1.3.6.1.2.1.11.30.0", "i", "1"])
        .expect_clean();
    assert_eq!(pdu.get_number(&sec, ".1.3.6.1.2.1.11.30.0"), 1);
    let wrong = pdu.get(&Sec::v2c("not-a-community"), &[".1.3.6.1.2.1.1.5.0"]);
    assert!(!wrong.ok(), "a wrong community is not answered");
    trapd.expect("authenticationFailure", ARRIVES, |r| {
        is(r, "TRAP2", "community public", AUTHENTICATION_FAILURE)
    });

    // A control-API restart keeping the outlets is a warmStart; resetting them, a coldStart.
    sim.control.restart("apc", true).unwrap();
    trapd.expect("warmStart", ARRIVES, |r| {
        is(r, "TRAP2", "community public", WARM_START)
    });
    let colds_before = trapd
        .received()
        .iter()
        .filter(|r| is(r, "TRAP2", "community public", COLD_START))
        .count();
    sim.control.restart("apc", false).unwrap();
    assert!(
        pdu_test_support::wait_until(ARRIVES, || trapd
            .received()
            .iter()
            .filter(|r| is(r, "TRAP2", "community public", COLD_START))
            .count()
            > colds_before),
        "a restart that resets the outlets sends coldStart:\n{}",
        trapd.log()
    );

    // snmpOutTraps counts every notification PDU generated, one per target.
    let raised = device.notifications.counters.raised.load(Ordering::Relaxed);
    assert!(raised >= 5, "raised {raised}");
    let out_traps = pdu.get_number(&sec, ".1.3.6.1.2.1.11.29.0");
    assert_eq!(out_traps, i64::from(raised) * 3, "snmpOutTraps: 3 targets");
}

#[test]
fn v3_traps_and_informs_for_each_auth_and_priv_pair() {
    let users: Vec<TestUser> = [
        "md5des",
        "shaaes",
        "sha256aes256",
        "sha384aes192",
        "sha512aes256",
    ]
    .into_iter()
    .map(find_user)
    .collect();
    let engine_id = "80001f8880aabbccdd01".to_string();
    let engine = hex_bytes(&engine_id);
    let mut trap_users: Vec<TrapUser> = users
        .iter()
        .map(|u| TrapUser {
            user: *u,
            engine_id: Some(engine.clone()),
        })
        .collect();
    trap_users.extend(users.iter().map(|u| TrapUser {
        user: *u,
        engine_id: None,
    }));
    let trapd = Snmptrapd::start("public", &trap_users);
    let a = trapd.address();
    let mut text = format!(
        "[[pdu]]\nname = \"r\"\nvendor = \"raritan-px2\"\noutlets = 2\nlisten = [\"127.0.0.1:0\"]\nengine_id = \"{engine_id}\"\n[[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n"
    );
    for u in &users {
        text.push_str(&v3_target(&a, "trap", u));
        text.push_str(&v3_target(&a, "inform", u));
    }
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    let device = sim.devices[0].clone();
    for u in &users {
        let security = format!("user {}", u.name);
        trapd.expect(
            &format!("v3 coldStart trap from {}", u.name),
            ARRIVES,
            |r| r.version == "SNMP v3" && is(r, "TRAP2", &security, COLD_START),
        );
        trapd.expect(
            &format!("v3 coldStart inform from {}", u.name),
            ARRIVES,
            |r| r.version == "SNMP v3" && is(r, "INFORM", &security, COLD_START),
        );
    }
    let acknowledged = || {
        device
            .notifications
            .counters
            .informs_acknowledged
            .load(Ordering::Relaxed)
    };
    assert!(
        pdu_test_support::wait_until(ARRIVES, || acknowledged() == users.len() as u32),
        "every v3 inform acknowledged: {:?}",
        device.notifications.history()
    );
    // A second notification reuses the discovered engine: PDU2-MIB outletSensorStateChange.
    At(sim.address("r").unwrap())
        .set(
            &Sec::v2c("private"),
            &[".1.3.6.1.4.1.13742.6.4.1.2.1.2.1.1", "i", "0"],
        )
        .expect_clean();
    for u in &users {
        let security = format!("user {}", u.name);
        for pdu in ["TRAP2", "INFORM"] {
            let r = trapd.expect(
                &format!("outletSensorStateChange {pdu} for {}", u.name),
                ARRIVES,
                |r| is(r, pdu, &security, ".1.3.6.1.4.1.13742.6.0.63"),
            );
            assert_eq!(
                r.value(".1.3.6.1.4.1.13742.6.5.4.3.1.3.1.1.14"),
                Some("INTEGER: 8"),
                "measurementsOutletSensorState off(8)"
            );
        }
    }
    assert!(
        pdu_test_support::wait_until(ARRIVES, || acknowledged() == 2 * users.len() as u32),
        "{:?}",
        device.notifications.history()
    );
    assert_eq!(
        device
            .notifications
            .counters
            .informs_failed
            .load(Ordering::Relaxed),
        0
    );
}

/// Each vendor's own notification, exactly: switched with snmpset through the vendor's control
/// column, and a cycle that completes on its own on the manual clock (no one reads the outlet).
#[test]
fn vendor_outlet_notifications_on_snmpset_and_when_a_cycle_completes() {
    let trapd = Snmptrapd::start("public", &[]);
    let a = trapd.address();
    let mut text = String::new();
    for (name, vendor) in [
        ("apc", "apc-rpdu2"),
        ("px2", "raritan-px2"),
        ("eaton", "eaton-epdu"),
    ] {
        text.push_str(&format!(
            "[[pdu]]\nname = \"{name}\"\nvendor = \"{vendor}\"\noutlets = 4\npower_off_period = 7\nlisten = [\"127.0.0.1:0\"]\n\
             [[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n\
             [[pdu.notify]]\naddress = \"{a}\"\n"
        ));
    }
    let clock = Arc::new(ManualClock::default());
    let (_rt, sim) = start(&text, clock.clone());
    let sec = Sec::v2c("private");
    // Each PDU's coldStart carries its own sysObjectID as snmpTrapEnterprise.0.
    for enterprise in [
        "OID: .1.3.6.1.4.1.318.1.3.4.6",
        "OID: .1.3.6.1.4.1.13742.6",
        "OID: .1.3.6.1.4.1.534.6.6.7",
    ] {
        trapd.expect(&format!("coldStart from {enterprise}"), ARRIVES, |r| {
            r.trap_oid() == Some(COLD_START)
                && r.value(".1.3.6.1.6.3.1.1.4.3.0") == Some(enterprise)
        });
    }
    // APC rPDU2OutletSwitchedControlCommand.3 = immediateOff(2).
    At(sim.address("apc").unwrap())
        .set(&sec, &[".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.3", "i", "2"])
        .expect_clean();
    let r = trapd.expect("PowerNet-MIB rPDUOutletOff", ARRIVES, |r| {
        r.trap_oid() == Some(".1.3.6.1.4.1.318.0.269")
    });
    assert_eq!(
        r.value(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.3"),
        Some("INTEGER: 3")
    );
    // Raritan switchingOperation.1.2 = off(0).
    At(sim.address("px2").unwrap())
        .set(&sec, &[".1.3.6.1.4.1.13742.6.4.1.2.1.2.1.2", "i", "0"])
        .expect_clean();
    let r = trapd.expect("PDU2-MIB outletSensorStateChange", ARRIVES, |r| {
        r.trap_oid() == Some(".1.3.6.1.4.1.13742.6.0.63")
    });
    assert_eq!(
        r.value(".1.3.6.1.4.1.13742.6.3.5.3.1.2.1.2"),
        Some("STRING: \"2\""),
        "outletLabel"
    );
    assert_eq!(
        r.value(".1.3.6.1.4.1.13742.6.5.4.3.1.3.1.2.14"),
        Some("INTEGER: 8"),
        "off(8)"
    );
    assert_eq!(
        r.value(".1.3.6.1.4.1.13742.6.0.0.2.0"),
        Some("INTEGER: 7"),
        "oldSensorState on(7)"
    );
    assert_eq!(
        r.value(".1.3.6.1.4.1.13742.6.0.0.10.0"),
        Some("INTEGER: 14"),
        "typeOfSensor onOff(14)"
    );
    // Eaton outletControlRebootCmd.0.4 = 0: a cycle, off now.
    At(sim.address("eaton").unwrap())
        .set(&sec, &[".1.3.6.1.4.1.534.6.6.7.6.6.1.5.0.4", "i", "0"])
        .expect_clean();
    let eaton_off = |r: &Received| {
        r.trap_oid() == Some(".1.3.6.1.4.1.534.6.6.7.0.33")
            && r.value(".1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.4") == Some("INTEGER: 0")
    };
    let r = trapd.expect(
        "EATON-EPDU-MIB notifyOutletControlStatus off",
        ARRIVES,
        eaton_off,
    );
    assert_eq!(
        r.value(".1.3.6.1.4.1.534.6.6.7.1.2.1.1.0"),
        Some("INTEGER: 0"),
        "strappingIndex"
    );
    assert_eq!(
        r.value(".1.3.6.1.4.1.534.6.6.7.6.1.1.1.0.4"),
        Some("INTEGER: 4"),
        "outletIndex"
    );
    // The cycle completes on the manual clock alone: outlet 4 back on, notified unread.
    let on_again = |r: &Received| {
        r.trap_oid() == Some(".1.3.6.1.4.1.534.6.6.7.0.33")
            && r.value(".1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.4") == Some("INTEGER: 1")
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !trapd.received().iter().any(on_again),
        "the clock has not moved: the outlet is still off"
    );
    clock.advance(Duration::from_secs(7));
    trapd.expect(
        "notifyOutletControlStatus on after the cycle",
        ARRIVES,
        on_again,
    );
}

#[test]
fn informs_fail_and_are_counted_when_the_receiver_has_another_key() {
    let mut wrong = find_user("shaaes");
    wrong.auth_key = "not-the-same-auth-key";
    let trapd = Snmptrapd::start(
        "public",
        &[TrapUser {
            user: wrong,
            engine_id: None,
        }],
    );
    let a = trapd.address();
    let text = format!(
        "[[pdu]]\nname = \"e\"\nvendor = \"eaton-epdu\"\noutlets = 2\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n{}",
        v3_target(&a, "inform", &find_user("shaaes")).replace("retries = 4", "retries = 1")
    );
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    let device = sim.devices[0].clone();
    assert!(
        pdu_test_support::wait_until(ARRIVES, || device
            .notifications
            .counters
            .informs_failed
            .load(Ordering::Relaxed)
            == 1),
        "the coldStart inform fails: {:?}\n{}",
        device.notifications.history(),
        trapd.log()
    );
    let history = device.notifications.history();
    assert!(
        history[0].outcome.contains("usmStatsWrongDigests"),
        "snmptrapd reports the wrong digest: {history:?}"
    );
    assert_eq!(
        device
            .notifications
            .counters
            .informs_acknowledged
            .load(Ordering::Relaxed),
        0
    );
    assert!(
        !trapd.received().iter().any(|r| r.pdu == "INFORM"),
        "snmptrapd logged nothing it could not authenticate:\n{}",
        trapd.log()
    );
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// What a new user does: `pdusim serve --notify ... --notify-inform --notify-user ...`, start
/// snmptrapd with the lines pdusim prints, switch an outlet with snmpset and see the vendor's
/// inform; a restart on the same state then announces itself with warmStart.
#[test]
fn pdusim_serve_with_notify_flags_prints_the_receiver_and_sends_v3_informs() {
    let user = find_user("shaaes");
    let trapd = Snmptrapd::start(
        "public",
        &[TrapUser {
            user,
            engine_id: None,
        }],
    );
    let state = tempfile::tempdir().unwrap();
    let flags = [
        "--vendor".to_string(),
        "raritan-px2".into(),
        "--community".into(),
        "private:rw".into(),
        "--notify".into(),
        trapd.address(),
        "--notify-inform".into(),
        "--notify-user".into(),
        format!("{}:sha:{}:aes:{}", user.name, user.auth_key, user.priv_key),
    ];
    let pdu = pdu_test_support::PdusimProcess::builder(env!("CARGO_BIN_EXE_pdusim"))
        .state_dir(state.path())
        .args(&flags)
        .start();
    // The banner's lines follow the "listening on" line the builder waits for.
    pdu_test_support::wait_until(ARRIVES, || {
        pdu.stdout().iter().any(|l| l.contains("snmptrapd -f"))
    });
    let banner = pdu.stdout().join("\n");
    assert!(
        banner.contains(&format!("v3 informs to {}", trapd.address()))
            && banner.contains("createUser shaaes SHA <auth-pass> AES <priv-pass>")
            && banner.contains(&format!(
                "snmptrapd -f -Lo -C -c trapd.conf udp:127.0.0.1:{}",
                trapd.port()
            ))
            && !banner.contains(user.auth_key)
            && !banner.contains(user.priv_key),
        "the banner shows how to receive, without the passwords:\n{banner}"
    );
    let inform = |oid: &'static str| {
        move |r: &Received| is(r, "INFORM", "user shaaes", oid) && r.version == "SNMP v3"
    };
    trapd.expect("coldStart inform", ARRIVES, inform(COLD_START));
    // PDU2-MIB switchingOperation.1.5 = off(0).
    let set = pdu.set(
        &Sec::v2c("private"),
        &[".1.3.6.1.4.1.13742.6.4.1.2.1.2.1.5", "i", "0"],
    );
    set.expect_clean();
    let r = trapd.expect(
        "outletSensorStateChange inform",
        ARRIVES,
        inform(".1.3.6.1.4.1.13742.6.0.63"),
    );
    assert_eq!(
        r.value(".1.3.6.1.4.1.13742.6.5.4.3.1.3.1.5.14"),
        Some("INTEGER: 8"),
        "outlet 5 off(8)"
    );
    pdu.stop();
    let again = pdu_test_support::PdusimProcess::builder(env!("CARGO_BIN_EXE_pdusim"))
        .state_dir(state.path())
        .args(&flags)
        .start();
    trapd.expect(
        "warmStart inform after a restart",
        ARRIVES,
        inform(WARM_START),
    );
    drop(again);
}

/// A receiver that reboots (same engine ID, engineBoots + 1) answers the next inform with an
/// authenticated usmStatsNotInTimeWindows Report; the originator resynchronises once, as a
/// manager must (RFC 3414 §4), and the inform is acknowledged.
#[test]
fn a_rebooted_receiver_is_resynchronised_and_the_inform_acknowledged() {
    let user = find_user("sha256aes");
    let mut trapd = Snmptrapd::start(
        "public",
        &[TrapUser {
            user,
            engine_id: None,
        }],
    );
    let a = trapd.address();
    let text = format!(
        "[[pdu]]\nname = \"e\"\nvendor = \"eaton-epdu\"\noutlets = 2\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n{}",
        v3_target(&a, "inform", &user)
    );
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    let device = sim.devices[0].clone();
    let acknowledged = || {
        device
            .notifications
            .counters
            .informs_acknowledged
            .load(Ordering::Relaxed)
    };
    assert!(
        pdu_test_support::wait_until(ARRIVES, || acknowledged() == 1),
        "{:?}",
        device.notifications.history()
    );
    trapd.restart();
    sim.control
        .change_outlet(
            "e",
            1,
            &pdusim::control::OutletChange {
                power: Some(pdusim::outlet::Power::Off),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        pdu_test_support::wait_until(ARRIVES, || acknowledged() == 2),
        "the inform after the receiver's reboot: {:?}\n{}",
        device.notifications.history(),
        trapd.log()
    );
    assert_eq!(
        device
            .notifications
            .counters
            .informs_failed
            .load(Ordering::Relaxed),
        0
    );
    trapd.expect("notifyOutletControlStatus inform", ARRIVES, |r| {
        r.pdu == "INFORM" && r.trap_oid() == Some(".1.3.6.1.4.1.534.6.6.7.0.33")
    });
}

/// Faults at the notification point, each for one notification: dropped, sent twice, held
/// back, and an inform whose Responses are ignored until its retries run out.
#[test]
fn notification_faults_drop_duplicate_delay_and_leave_informs_unacknowledged() {
    use pdusim::control::{NewFault, OutletChange};
    use pdusim::fault::{FaultKind, Schedule};
    let trapd = Snmptrapd::start("public", &[]);
    let a = trapd.address();
    let text = format!(
        "[[pdu]]\nname = \"e\"\nvendor = \"eaton-epdu\"\noutlets = 4\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n\
         [[pdu.notify]]\naddress = \"{a}\"\n"
    );
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    let c = &sim.control;
    trapd.expect("coldStart", ARRIVES, |r| r.trap_oid() == Some(COLD_START));
    let once = |fault: FaultKind| NewFault {
        fault,
        schedule: Schedule {
            packets: Some(1),
            ..Default::default()
        },
    };
    let off = |n: u32| {
        c.change_outlet(
            "e",
            n,
            &OutletChange {
                power: Some(pdusim::outlet::Power::Off),
                ..Default::default()
            },
        )
        .unwrap();
    };
    let for_outlet = |n: u32| {
        let oid = format!(".1.3.6.1.4.1.534.6.6.7.6.1.1.1.0.{n}");
        move |r: &Received| r.value(&oid).is_some()
    };
    c.add_fault("e", once(FaultKind::DropNotification)).unwrap();
    off(1);
    c.add_fault("e", once(FaultKind::DuplicateNotification))
        .unwrap();
    off(2);
    c.add_fault("e", once(FaultKind::DelayNotification { ms: 200 }))
        .unwrap();
    off(3);
    trapd.expect("outlet 3, held back", ARRIVES, for_outlet(3));
    let got = trapd.received();
    assert!(
        !got.iter().any(for_outlet(1)),
        "outlet 1's notification was dropped:\n{}",
        trapd.log()
    );
    assert_eq!(
        got.iter().filter(|r| for_outlet(2)(r)).count(),
        2,
        "outlet 2's notification came twice:\n{}",
        trapd.log()
    );
    let report = c.notifications("e").unwrap();
    assert!(
        report
            .sent
            .iter()
            .any(|s| s.outcome.contains("drop-notification")),
        "{report:?}"
    );
}

#[test]
fn an_inform_never_acknowledged_is_sent_again_then_fails_and_is_counted() {
    use pdusim::control::NewFault;
    use pdusim::fault::{FaultKind, Schedule};
    let trapd = Snmptrapd::start("public", &[]);
    let a = trapd.address();
    let text = format!(
        "[[pdu]]\nname = \"e\"\nvendor = \"eaton-epdu\"\noutlets = 2\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n\
         [[pdu.notify]]\naddress = \"{a}\"\nkind = \"inform\"\ntimeout_ms = 100\nretries = 2\n"
    );
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    let device = sim.devices[0].clone();
    let acknowledged = || {
        device
            .notifications
            .counters
            .informs_acknowledged
            .load(Ordering::Relaxed)
    };
    assert!(pdu_test_support::wait_until(ARRIVES, || acknowledged() == 1));
    sim.control
        .add_fault(
            "e",
            NewFault {
                fault: FaultKind::UnacknowledgedInform,
                schedule: Schedule::default(),
            },
        )
        .unwrap();
    sim.control.restart("e", true).unwrap();
    assert!(
        pdu_test_support::wait_until(ARRIVES, || device
            .notifications
            .counters
            .informs_failed
            .load(Ordering::Relaxed)
            == 1),
        "{:?}",
        device.notifications.history()
    );
    let warm = trapd
        .received()
        .into_iter()
        .filter(|r| is(r, "INFORM", "community public", WARM_START))
        .count();
    assert_eq!(warm, 3, "sent once and retried twice:\n{}", trapd.log());
    let report = sim.control.notifications("e").unwrap();
    assert_eq!((report.informs_acknowledged, report.informs_failed), (1, 1));
    assert!(
        report
            .sent
            .last()
            .unwrap()
            .outcome
            .contains("no Response after every retry"),
        "{report:?}"
    );
}

/// Every vendor whose MIB defines outlet notifications: outlet 2 switched off with snmpset
/// through the vendor's own control column (from its MIB data) sends exactly the notification
/// its MIB data names, with exactly its objects, in order, for outlet 2.
#[test]
fn every_vendor_sends_its_mibs_outlet_notification_with_its_objects() {
    use pdu_mibs::notifications::{outlet_notifications, OutletEvent};
    let trapd = Snmptrapd::start("public", &[]);
    let a = trapd.address();
    let vendors: Vec<&'static pdu_mibs::Profile> = pdu_mibs::PROFILES
        .iter()
        .copied()
        .filter(|p| pdusim::profiles::find(p.name).is_some())
        .filter(|p| !outlet_notifications(p.name).is_empty())
        .collect();
    assert!(
        vendors.len() >= 5,
        "APC (2), Raritan, Eaton, CyberPower, Sentry4"
    );
    let mut text = String::new();
    for p in &vendors {
        text.push_str(&format!(
            "[[pdu]]\nname = \"{0}\"\nvendor = \"{0}\"\noutlets = 3\nlisten = [\"127.0.0.1:0\"]\n\
             [[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n\
             [[pdu.notify]]\naddress = \"{a}\"\n",
            p.name
        ));
    }
    let (_rt, sim) = start(&text, Arc::new(MonotonicClock::new()));
    for p in &vendors {
        let off = p.switching.off;
        At(sim.address(p.name).unwrap())
            .set(
                &Sec::v2c("private"),
                &[
                    &pdu_test_support::dotted(&Oid::new(&p.outlet_oid(off.column, 2)).to_string()),
                    "i",
                    &off.value.to_string(),
                ],
            )
            .expect_clean();
        for n in outlet_notifications(p.name)
            .iter()
            .filter(|n| n.events.contains(&OutletEvent::TurnedOff))
        {
            let want_oid = format!(".{}", Oid::new(n.oid));
            let want: Vec<String> = n
                .objects
                .iter()
                .map(|o| format!(".{}", Oid(o.instance_oid(p, 2))))
                .collect();
            let r = trapd.expect(&format!("{} from {}", n.name, p.name), ARRIVES, |r| {
                r.trap_oid() == Some(want_oid.as_str())
                    && r.varbinds.iter().skip(2).map(|(o, _)| o).eq(want.iter())
            });
            assert_eq!(r.pdu, "TRAP2", "{}", n.name);
        }
    }
}
