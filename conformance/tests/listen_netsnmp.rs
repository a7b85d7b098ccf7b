#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! `pdu-conformance listen`'s receiver against net-snmp's own senders (`snmptrap`,
//! `snmpinform`: v1, v2c, v3 traps under the sender's engine, v3 informs that discover this
//! receiver's engine), and against pdusim's originator. `snmpinform` exits 0 only when its
//! inform is acknowledged, so its status checks the receiver's Responses and Reports.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use pdu_conformance::listen::{Notification, Receiver};
use pdu_test_support::{find_user, run_tool, Sec, TestUser, V3};

const WAIT: Duration = Duration::from_secs(20);

fn flag(u: &TestUser) -> String {
    format!(
        "{}:{}:{}:{}:{}",
        u.name,
        u.auth.unwrap().name(),
        u.auth_key,
        u.privacy.unwrap().name(),
        u.priv_key
    )
}

fn v3(u: &TestUser) -> Sec {
    V3::auth_priv(
        u.name,
        u.auth.unwrap().name(),
        u.auth_key,
        u.privacy.unwrap().name(),
        u.priv_key,
    )
    .into()
}

/// A receiver on a port the system picked, its notifications sent to the returned channel.
fn receiver(users: &[TestUser]) -> (String, mpsc::Receiver<Notification>) {
    let flags: Vec<String> = users.iter().map(flag).collect();
    let mut r = Receiver::bind("127.0.0.1:0".parse().unwrap(), Vec::new(), &flags, None).unwrap();
    r.set_timeout(Some(WAIT)).unwrap();
    let addr = r.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(n) = r.receive() {
            if tx.send(n).is_err() {
                break;
            }
        }
    });
    (addr, rx)
}

#[test]
fn receives_and_acknowledges_what_net_snmp_sends() {
    let users = [find_user("shaaes"), find_user("md5des")];
    let (addr, rx) = receiver(&users);
    let next = || rx.recv_timeout(WAIT).expect("a notification");

    run_tool(
        "snmptrap",
        &Sec::v1("public"),
        &[],
        &addr,
        &[
            ".1.3.6.1.4.1.318",
            "127.0.0.1",
            "6",
            "268",
            "456",
            ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.3",
            "i",
            "3",
        ],
    )
    .expect_clean();
    let n = next();
    assert_eq!(
        (n.version, n.kind, n.trap_oid.as_deref(), n.up_time),
        ("v1", "trap", Some("1.3.6.1.4.1.318.0.268"), Some(456)),
        "{n}"
    );
    assert_eq!(n.varbinds[0].1, "INTEGER: 3");

    run_tool(
        "snmpinform",
        &Sec::v2c("public"),
        &[],
        &addr,
        &["99", ".1.3.6.1.6.3.1.1.5.1"],
    )
    .expect_clean();
    let n = next();
    assert_eq!(
        (n.version, n.kind, n.trap_oid.as_deref(), n.acknowledged),
        ("v2c", "inform", Some("1.3.6.1.6.3.1.1.5.1"), true)
    );

    for u in &users {
        run_tool(
            "snmptrap",
            &v3(u),
            &["-e", "0x80001f8880010203040506"],
            &addr,
            &["77", ".1.3.6.1.6.3.1.1.5.2"],
        )
        .expect_clean();
        let n = next();
        assert_eq!(
            (n.version, n.kind, n.security.clone()),
            ("v3", "trap", format!("user {} (authPriv)", u.name)),
            "{n}"
        );
        // snmpinform discovers this receiver's engine and succeeds only when acknowledged.
        run_tool(
            "snmpinform",
            &v3(u),
            &[],
            &addr,
            &["88", ".1.3.6.1.6.3.1.1.5.5"],
        )
        .expect_clean();
        let n = next();
        assert_eq!(
            (n.kind, n.trap_oid.as_deref(), n.acknowledged),
            ("inform", Some("1.3.6.1.6.3.1.1.5.5"), true),
            "{n}"
        );
    }

    // A wrong key: the inform is refused (a wrongDigest Report), so snmpinform fails.
    let mut wrong = users[0];
    wrong.auth_key = "some-other-auth-key";
    let out = run_tool(
        "snmpinform",
        &v3(&wrong),
        &[],
        &addr,
        &["1", ".1.3.6.1.6.3.1.1.5.5"],
    );
    assert!(!out.ok(), "{}", out.describe());
    assert!(rx.try_recv().is_err(), "nothing was accepted");
}

#[test]
fn receives_pdusims_v3_informs() {
    let user = find_user("sha256aes");
    let (addr, rx) = receiver(&[user]);
    let text = format!(
        "[[pdu]]\nname = \"px\"\nvendor = \"raritan-px2\"\noutlets = 2\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"p\"\n\
         [[pdu.notify]]\naddress = \"{addr}\"\nversion = \"3\"\nkind = \"inform\"\nuser = \"{}\"\nauth = \"sha256\"\nauth_password = \"{}\"\npriv = \"aes\"\npriv_password = \"{}\"\n",
        user.name, user.auth_key, user.priv_key
    );
    let specs: Vec<_> = pdusim::config::FileConfig::parse(&text, "t")
        .unwrap()
        .validate("t")
        .unwrap()
        .into_iter()
        .map(|(spec, addrs)| {
            (
                pdusim::device::DeviceSpec {
                    state_dir: None,
                    ..spec
                },
                addrs,
            )
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(async {
            pdusim::launch::Simulator::start(specs, Arc::new(pdusim::clock::MonotonicClock::new()))
        })
        .unwrap();
    let n = rx.recv_timeout(WAIT).expect("pdusim's coldStart inform");
    assert_eq!(
        (n.version, n.kind, n.trap_oid.as_deref(), n.acknowledged),
        ("v3", "inform", Some("1.3.6.1.6.3.1.1.5.1"), true),
        "{n}"
    );
    let device = sim.devices[0].clone();
    assert!(
        pdu_test_support::wait_until(WAIT, || device
            .notifications
            .counters
            .informs_acknowledged
            .load(std::sync::atomic::Ordering::Relaxed)
            == 1),
        "{:?}",
        device.notifications.history()
    );
}
