//! The driver against `pdusim`, this project's simulator: every operation for every vendor
//! profile the simulator has, every auth × priv combination, and each error variant produced
//! for real. Outlet states are checked on the simulator's side (its control API), not only
//! through the driver. Most tests run the simulator in-process on a manual clock; the last
//! ones run the `pdusim` binary and the `pductl` binary as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pductl_command;

use std::time::Duration;

use pdu_driver::{
    auth_name, priv_name, AuthProtocol, Config, Error, OutletRef, Pdu, PrivProtocol, SnmpVersion,
    Vendor, Verification,
};
use pdu_test_support::{user, workspace_pdusim, PdusimProcess, TestUser};
use pdusim::control::{EngineChange, NewFault};
use pdusim::fault::{FaultKind, Schedule};

// ------------------------------------------------------------------------------------------
// pdusim, this project's simulator, in-process on the test's tokio runtime.
// ------------------------------------------------------------------------------------------

/// Every auth × priv combination pdusim serves and snmp2 can speak (snmp2 0.5 has no 3DES),
/// named `m-<auth>-<priv>`, plus the noAuthNoPriv user `noauth`.
fn matrix_users() -> Vec<TestUser> {
    const AUTHS: [Option<AuthProtocol>; 6] = [
        Some(AuthProtocol::Md5),
        Some(AuthProtocol::Sha1),
        Some(AuthProtocol::Sha224),
        Some(AuthProtocol::Sha256),
        Some(AuthProtocol::Sha384),
        Some(AuthProtocol::Sha512),
    ];
    const PRIVS: [Option<PrivProtocol>; 7] = [
        None,
        Some(PrivProtocol::Des),
        Some(PrivProtocol::Aes128),
        Some(PrivProtocol::Aes192),
        Some(PrivProtocol::Aes256),
        Some(PrivProtocol::Aes192Cisco),
        Some(PrivProtocol::Aes256Cisco),
    ];
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut users = vec![user("noauth", None, "", None, "")];
    for a in AUTHS {
        for p in PRIVS {
            let name = leak(format!("m-{}-{}", auth_name(a), priv_name(p)));
            let priv_key = if p.is_none() {
                ""
            } else {
                leak(format!("{name}-privkey"))
            };
            users.push(user(name, a, leak(format!("{name}-authkey")), p, priv_key));
        }
    }
    users
}

/// One simulated PDU named `pdu`, served by `pdusim::launch::Simulator` on a port the system
/// picked (`127.0.0.1:0`, read back from the simulator), with a manual clock (time moves only
/// when a test says so) and a throwaway state dir.
struct Pdusim {
    sim: pdusim::launch::Simulator,
    clock: std::sync::Arc<pdusim::clock::ManualClock>,
    name: &'static str,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Pdusim {
    /// `vendor` with `outlets` outlets, communities `public` (ro) and `private` (rw), the
    /// given v3 users (read-write), and `extra` TOML appended inside the `[[pdu]]` table
    /// (more `[[pdu.user]]` entries, settings). Must run inside a tokio runtime.
    fn start(vendor: &str, outlets: u32, users: &[TestUser], extra: &str) -> Pdusim {
        Self::start_clocked(vendor, outlets, users, extra, false)
    }

    /// As [`Pdusim::start`], on the system's monotonic clock instead of the manual one, for
    /// outlets that must change while the driver waits (a slow outlet, a reboot's off time);
    /// `clock` is then left unused.
    fn start_real_time(vendor: &str, outlets: u32, users: &[TestUser], extra: &str) -> Pdusim {
        Self::start_clocked(vendor, outlets, users, extra, true)
    }

    fn start_clocked(
        vendor: &str,
        outlets: u32,
        users: &[TestUser],
        extra: &str,
        real_time: bool,
    ) -> Pdusim {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut toml = format!(
            "state_dir = {:?}\n[[pdu]]\nname = \"pdu\"\nvendor = {vendor:?}\nlisten = [\"127.0.0.1:0\"]\n\
             outlets = {outlets}\npower_off_period = 1\n\
             [[pdu.community]]\nname = \"public\"\naccess = \"read-only\"\n\
             [[pdu.community]]\nname = \"private\"\naccess = \"read-write\"\n",
            dir.path().display().to_string()
        );
        for u in users {
            toml.push_str(&format!(
                "[[pdu.user]]\nname = {:?}\naccess = \"read-write\"\n",
                u.name
            ));
            if u.auth.is_some() {
                toml.push_str(&format!(
                    "auth = {:?}\nauth_password = {:?}\n",
                    auth_name(u.auth),
                    u.auth_key
                ));
            }
            if u.privacy.is_some() {
                toml.push_str(&format!(
                    "priv = {:?}\npriv_password = {:?}\n",
                    priv_name(u.privacy),
                    u.priv_key
                ));
            }
        }
        toml.push_str(extra);
        let specs = pdusim::config::FileConfig::parse(&toml, "test config")
            .and_then(|c| c.validate("test config"))
            .unwrap_or_else(|e| panic!("pdusim config refused: {e}\n{toml}"));
        let clock = std::sync::Arc::new(pdusim::clock::ManualClock::default());
        // Start the engine clock somewhere other than 0 so engineTime is a real number.
        clock.advance(Duration::from_secs(1000));
        let sim_clock: std::sync::Arc<dyn pdusim::clock::Clock> = if real_time {
            std::sync::Arc::new(pdusim::clock::MonotonicClock::new())
        } else {
            clock.clone()
        };
        let sim = pdusim::launch::Simulator::start(specs, sim_clock)
            .unwrap_or_else(|e| panic!("pdusim did not start: {e}"));
        let port = sim.address("pdu").expect("pdu has an address").port();
        Pdusim {
            sim,
            clock,
            name: "pdu",
            port,
            _dir: dir,
        }
    }

    /// The UDP port the simulator got.
    fn port(&self) -> u16 {
        self.port
    }

    /// Outlets as the simulator holds them (not through SNMP).
    fn outlets(&self) -> Vec<pdusim::control::OutletInfo> {
        self.sim
            .control
            .outlets(self.name)
            .expect("control: outlets")
    }

    /// "on" or "off", as the simulator holds outlet `n`.
    fn power(&self, n: u32) -> &'static str {
        let o = self
            .outlets()
            .into_iter()
            .find(|o| o.outlet == n)
            .unwrap_or_else(|| panic!("simulator has no outlet {n}"));
        match o.power {
            pdusim::outlet::Power::On => "on",
            pdusim::outlet::Power::Off => "off",
        }
    }

    fn outlet_name(&self, n: u32) -> String {
        self.outlets()
            .into_iter()
            .find(|o| o.outlet == n)
            .map(|o| o.name)
            .unwrap_or_default()
    }

    fn engine_boots(&self) -> i32 {
        self.sim
            .control
            .pdu(self.name)
            .expect("control: pdu")
            .engine_boots
            .expect("one PDU is shown with its engine")
    }
}

/// Every profile `pdusim vendors` lists, from the simulator's registry: a new simulator profile
/// is driven here without editing this file (and fails until the driver has its MIB data).
fn sim_vendors() -> Vec<&'static str> {
    pdusim::profiles::PROFILES
        .iter()
        .map(|p| p.name())
        .collect()
}

const ADMIN: TestUser = user(
    "admin",
    Some(AuthProtocol::Sha1),
    "authpass123",
    Some(PrivProtocol::Aes128),
    "privpass123",
);
const AUTHONLY: TestUser = user(
    "authonly",
    Some(AuthProtocol::Sha1),
    "authonly-key",
    None,
    "",
);

fn n(x: u32) -> OutletRef {
    OutletRef::Number(x)
}

/// Short timeouts: the simulator is in-process and answers at once.
fn fast(mut c: Config) -> Config {
    c.timeout = Duration::from_millis(300);
    c.retries = 1;
    c.verify = Some(Duration::from_secs(2));
    c
}

fn v2c(sim: &Pdusim, vendor: &str) -> Config {
    let mut c = Config::new("127.0.0.1");
    c.port = sim.port();
    c.version = SnmpVersion::V2c;
    c.community = "private".into();
    c.vendor = vendor.parse().unwrap();
    fast(c)
}

/// A v3 config for `u`, with the Raritan PX2 profile.
fn v3(sim: &Pdusim, u: &TestUser) -> Config {
    let mut c = v2c(sim, "raritan-px2").v3(u.name, u.auth, u.auth_key, u.privacy, u.priv_key);
    c.vendor = Vendor::Profile(&pdu_driver::vendors::RARITAN_PX2);
    c
}

fn expect_err<T: std::fmt::Debug>(label: &str, r: Result<T, Error>) -> Error {
    match r {
        Err(e) => {
            eprintln!("{label}: {e}");
            e
        }
        Ok(v) => panic!("{label}: expected an error, got {v:?}"),
    }
}

fn confirmed(v: &Verification, want: &str) -> bool {
    matches!(v, Verification::Confirmed { state, .. } if state == want)
}

#[tokio::test]
async fn the_driver_has_mib_data_for_every_simulator_profile() {
    let missing: Vec<&str> = sim_vendors()
        .into_iter()
        .filter(|v| pdu_driver::vendors::by_name(v).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "the driver has no profile for pdusim's {missing:?}: add them to mibs/src/lib.rs"
    );
}

/// One vendor: every operation, each checked on the simulator's side. Returns one line per
/// operation: ("op", Ok(()) | Err(why)).
async fn run_vendor(vendor: &'static str) -> Vec<(&'static str, Result<(), String>)> {
    let sim = Pdusim::start(vendor, 4, &[], "");
    sim.sim.control.freeze_meters(sim.name, true).unwrap();
    let profile = pdu_driver::vendors::by_name(vendor).unwrap();
    let mut pdu = Pdu::new(v2c(&sim, vendor)).unwrap();
    let mut rows: Vec<(&'static str, Result<(), String>)> = Vec::new();
    macro_rules! step {
        ($op:expr, $body:expr) => {{
            let r: Result<(), String> = async { $body }.await;
            rows.push(($op, r));
        }};
    }
    macro_rules! ensure {
        ($cond:expr, $($fmt:tt)*) => {
            if !$cond {
                return Err(format!($($fmt)*));
            }
        };
    }

    step!("detect", {
        let mut c = v2c(&sim, vendor);
        c.vendor = Vendor::Detect;
        let mut d = Pdu::new(c).unwrap();
        let found = d.detect().await.map_err(|e| e.to_string())?;
        ensure!(
            found.profile == Some(vendor),
            "sysObjectID {} ({:?}) detected as {:?}",
            found.sys_object_id,
            found.sys_descr,
            found.profile
        );
        // The detected profile switches too.
        d.off(&n(4)).await.map_err(|e| e.to_string())?;
        ensure!(
            sim.power(4) == "off",
            "detected-profile off left the outlet {}",
            sim.power(4)
        );
        d.on(&n(4)).await.map_err(|e| e.to_string())?;
        ensure!(
            sim.power(4) == "on",
            "detected-profile on left the outlet {}",
            sim.power(4)
        );
        Ok(())
    });

    step!("off", {
        let r = pdu.off(&n(2)).await.map_err(|e| e.to_string())?;
        ensure!(
            sim.power(2) == "off",
            "simulator says outlet 2 is {}",
            sim.power(2)
        );
        ensure!(
            sim.power(1) == "on" && sim.power(3) == "on",
            "other outlets changed"
        );
        ensure!(r.before.as_deref() == Some("on"), "before: {:?}", r.before);
        ensure!(confirmed(&r.verification, "off"), "{:?}", r.verification);
        Ok(())
    });

    step!("state", {
        let s = pdu.state(&n(2)).await.map_err(|e| e.to_string())?;
        ensure!(
            s.state == "off",
            "driver reads outlet 2 as {s:?}, simulator {}",
            sim.power(2)
        );
        let s = pdu.state(&n(1)).await.map_err(|e| e.to_string())?;
        ensure!(
            s.state == "on",
            "driver reads outlet 1 as {s:?}, simulator {}",
            sim.power(1)
        );
        Ok(())
    });

    step!("on", {
        let r = pdu.on(&n(2)).await.map_err(|e| e.to_string())?;
        ensure!(
            sim.power(2) == "on",
            "simulator says outlet 2 is {}",
            sim.power(2)
        );
        ensure!(r.before.as_deref() == Some("off"), "before: {:?}", r.before);
        ensure!(confirmed(&r.verification, "on"), "{:?}", r.verification);
        Ok(())
    });

    step!("cycle", {
        // Without read-back: check the simulator mid-cycle, then move its clock on.
        let mut c = v2c(&sim, vendor);
        c.verify = None;
        let mut quiet = Pdu::new(c).unwrap();
        let r = quiet.cycle(&n(1)).await.map_err(|e| e.to_string())?;
        ensure!(r.method == "native", "method {}", r.method);
        let mid = sim.outlets()[0].clone();
        ensure!(
            mid.power == pdusim::outlet::Power::Off && mid.pending == Some("reboot"),
            "mid-cycle the simulator has outlet 1 {:?} pending {:?}",
            mid.power,
            mid.pending
        );
        let mid_driver = quiet.state(&n(1)).await.map_err(|e| e.to_string())?;
        ensure!(
            mid_driver.state != "on",
            "driver reads a cycling outlet as on ({mid_driver:?})"
        );
        sim.clock.advance(Duration::from_secs(2));
        ensure!(
            sim.power(1) == "on",
            "after the off period the outlet is {}",
            sim.power(1)
        );
        // With read-back: the clock moves while the driver polls.
        let clock = sim.clock.clone();
        let mover = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            clock.advance(Duration::from_secs(2));
        });
        let r = pdu.cycle(&n(1)).await.map_err(|e| e.to_string())?;
        mover.await.unwrap();
        ensure!(confirmed(&r.verification, "on"), "{:?}", r.verification);
        ensure!(sim.power(1) == "on", "simulator: {}", sim.power(1));
        Ok(())
    });

    step!("list", {
        pdu.off(&n(3)).await.map_err(|e| e.to_string())?;
        let list = pdu.outlets().await.map_err(|e| e.to_string())?;
        let got: Vec<(u32, String)> = list
            .outlets
            .iter()
            .map(|o| (o.outlet, o.state.clone()))
            .collect();
        let want: Vec<(u32, String)> = sim
            .outlets()
            .iter()
            .map(|o| (o.outlet, sim.power(o.outlet).to_string()))
            .collect();
        ensure!(got == want, "driver lists {got:?}, simulator has {want:?}");
        if profile.name_column.is_some() {
            let names: Vec<Option<String>> = list.outlets.iter().map(|o| o.name.clone()).collect();
            ensure!(
                names.iter().all(Option::is_some),
                "names missing from the list: {names:?}"
            );
        }
        pdu.on(&n(3)).await.map_err(|e| e.to_string())?;
        Ok(())
    });

    step!("set_name", {
        let r = pdu.set_name(&n(3), "db-3").await;
        if profile.name_writable {
            ensure!(matches!(r, Ok(3)), "{r:?}");
            ensure!(
                sim.outlet_name(3) == "db-3",
                "simulator name {:?}",
                sim.outlet_name(3)
            );
            // Address it by the new name.
            let s = pdu
                .off(&OutletRef::Name("db-3".into()))
                .await
                .map_err(|e| e.to_string())?;
            ensure!(
                s.outlet == 3 && sim.power(3) == "off",
                "by name: {s:?} / {}",
                sim.power(3)
            );
            pdu.on(&OutletRef::Name("DB-3".into()))
                .await
                .map_err(|e| e.to_string())?;
            ensure!(sim.power(3) == "on", "by folded name: {}", sim.power(3));
        } else {
            ensure!(
                matches!(r, Err(Error::BadConfig(_))),
                "read-only names: expected BadConfig, got {r:?}"
            );
            if profile.name_column.is_some() {
                // The simulator's own label still addresses the outlet.
                let label = sim.outlet_name(3);
                let label = if label.is_empty() {
                    "Outlet 3".to_string()
                } else {
                    label
                };
                let s = pdu
                    .state(&OutletRef::Name(label.clone()))
                    .await
                    .map_err(|e| format!("by name {label:?}: {e}"))?;
                ensure!(s.outlet == 3, "{label:?} resolved to {}", s.outlet);
            } else {
                let e = pdu.state(&OutletRef::Name("x".into())).await;
                ensure!(matches!(e, Err(Error::NoSuchOutlet { .. })), "{e:?}");
            }
        }
        Ok(())
    });

    step!("readings", {
        let r = pdu.readings(Some(&n(2))).await.map_err(|e| e.to_string())?;
        if profile.meters.is_empty() {
            ensure!(r.readings.is_empty(), "{r:?}");
            ensure!(
                !r.notes.is_empty(),
                "no note says why there are no readings"
            );
            return Ok(());
        }
        ensure!(
            r.readings.len() == profile.meters.len(),
            "expected {} readings, got {:?}",
            profile.meters.len(),
            r
        );
        // The simulator draws 60 W per outlet that is on, at 230 V (meters frozen).
        for x in &r.readings {
            let Some(value) = x.value else {
                return Err(format!(
                    "{} of an outlet that is on reads n/a: {r:?}",
                    x.quantity
                ));
            };
            let ok = match x.quantity {
                "power" => (value - 60.0).abs() < 1.0,
                "current" => (value - 60.0 / 230.0).abs() < 0.06,
                "voltage" => (value - 230.0).abs() < 1.0,
                _ => value >= 0.0,
            };
            ensure!(ok, "{} reads {value} {}", x.quantity, x.unit);
        }
        pdu.off(&n(2)).await.map_err(|e| e.to_string())?;
        let r = pdu.readings(Some(&n(2))).await.map_err(|e| e.to_string())?;
        if let Some(p) = r.readings.iter().find(|x| x.quantity == "power") {
            ensure!(
                p.value == Some(0.0),
                "an outlet that is off draws {:?} W",
                p.value
            );
        }
        pdu.on(&n(2)).await.map_err(|e| e.to_string())?;
        let all = pdu.readings(None).await.map_err(|e| e.to_string())?;
        ensure!(
            all.readings.len() == 4 * profile.meters.len(),
            "all outlets: {all:?}"
        );
        Ok(())
    });

    step!("no-such-outlet", {
        let e = pdu.on(&n(9)).await;
        ensure!(matches!(e, Err(Error::NoSuchOutlet { .. })), "{e:?}");
        ensure!(
            sim.outlets()
                .iter()
                .all(|o| o.power == pdusim::outlet::Power::On),
            "something switched"
        );
        Ok(())
    });

    rows
}

#[tokio::test]
async fn every_vendor_every_operation() {
    let mut table = String::new();
    let mut failures = Vec::new();
    for vendor in sim_vendors() {
        let rows = run_vendor(vendor).await;
        table.push_str(&format!("{vendor:<16}"));
        for (op, r) in &rows {
            table.push_str(&format!(" {op}:{}", if r.is_ok() { "ok" } else { "FAIL" }));
            if let Err(why) = r {
                failures.push(format!("{vendor} {op}: {why}"));
            }
        }
        table.push('\n');
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "\n{table}\n{}", failures.join("\n"));
}

#[tokio::test]
async fn every_auth_priv_combination() {
    let users = matrix_users();
    let sim = Pdusim::start("raritan-px2", 2, &users, "");
    let mut failures = Vec::new();
    for u in &users {
        let label = format!(
            "{:<24} {:>6} / {:<12}",
            u.name,
            pdu_driver::auth_name(u.auth),
            pdu_driver::priv_name(u.privacy)
        );
        let mut pdu = Pdu::new(v3(&sim, u)).unwrap();
        let r = async {
            pdu.off(&n(2)).await?;
            let sim_off = sim.power(2);
            let read_off = pdu.state(&n(2)).await?.state;
            pdu.on(&n(2)).await?;
            Ok::<_, Error>((sim_off, read_off, sim.power(2)))
        }
        .await;
        match r {
            Ok(("off", ref s, "on")) if s == "off" => eprintln!("ok   {label}"),
            other => {
                eprintln!("FAIL {label}: {other:?}");
                failures.push(format!("{label}: {other:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "failed:\n{}", failures.join("\n"));
}

// ------------------------------------------------------------------------------------------
// Each error variant, produced for real.
// ------------------------------------------------------------------------------------------

fn error_sim() -> Pdusim {
    Pdusim::start(
        "raritan-px2",
        4,
        &[ADMIN, AUTHONLY, user("noauth", None, "", None, "")],
        "[[pdu.user]]\nname = \"reader\"\nauth = \"sha\"\nauth_password = \"reader-auth-key\"\n\
         priv = \"aes\"\npriv_password = \"reader-priv-key\"\naccess = \"read-only\"\n\
         [[pdu.user]]\nname = \"strict\"\nauth = \"sha\"\nauth_password = \"strict-auth-key\"\n\
         priv = \"aes\"\npriv_password = \"strict-priv-key\"\nmin_level = \"authPriv\"\n",
    )
}

#[tokio::test]
async fn wrong_auth_key_is_wrong_digest() {
    let sim = error_sim();
    let u = TestUser {
        auth_key: "not-the-auth-key",
        ..ADMIN
    };
    let e = expect_err(
        "wrong auth key",
        Pdu::new(v3(&sim, &u)).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::WrongDigest { .. }), "{e:?}");
    assert!(e.to_string().contains("--auth-key"), "{e}");
    let u = TestUser {
        auth: Some(AuthProtocol::Md5),
        ..AUTHONLY
    };
    let e = expect_err(
        "wrong auth protocol",
        Pdu::new(v3(&sim, &u)).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::WrongDigest { .. }), "{e:?}");
}

#[tokio::test]
async fn unknown_user_is_named() {
    let sim = error_sim();
    let u = TestUser {
        name: "nobody",
        ..ADMIN
    };
    let e = expect_err(
        "unknown user",
        Pdu::new(v3(&sim, &u)).unwrap().state(&n(1)).await,
    );
    assert!(
        matches!(e, Error::UnknownUserName { ref user } if user == "nobody"),
        "{e:?}"
    );
}

#[tokio::test]
async fn wrong_priv_key_is_a_decryption_error() {
    let sim = error_sim();
    let u = TestUser {
        priv_key: "not-the-priv-key",
        ..ADMIN
    };
    let e = expect_err(
        "wrong priv key",
        Pdu::new(v3(&sim, &u)).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::DecryptionError { .. }), "{e:?}");
    assert!(e.to_string().contains("--priv-key"), "{e}");
    assert_eq!(sim.power(1), "on");
    let u = TestUser {
        privacy: Some(PrivProtocol::Des),
        ..ADMIN
    };
    let e = expect_err(
        "wrong priv protocol",
        Pdu::new(v3(&sim, &u)).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::DecryptionError { .. }), "{e:?}");
}

#[tokio::test]
async fn unsupported_security_level() {
    let sim = error_sim();
    // authonly has no privacy key on the agent: asking for authPriv.
    let u = TestUser {
        privacy: Some(PrivProtocol::Aes128),
        priv_key: "whatever-key",
        ..AUTHONLY
    };
    let e = expect_err(
        "authPriv for an auth-only user",
        Pdu::new(v3(&sim, &u)).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::UnsupportedSecurityLevel { .. }), "{e:?}");
    // noauth has no keys at all: asking for authNoPriv.
    let u = TestUser {
        name: "noauth",
        ..AUTHONLY
    };
    let e = expect_err(
        "authNoPriv for a noauth user",
        Pdu::new(v3(&sim, &u)).unwrap().state(&n(1)).await,
    );
    assert!(matches!(e, Error::UnsupportedSecurityLevel { .. }), "{e:?}");
    // strict has both keys but may only be used at authPriv (min_level): asking for
    // authNoPriv passes USM (the user has the keys, RFC 3414 §3.2 step 5) and is refused by
    // access control, as net-snmp's `rwuser NAME priv` does: authorizationError.
    let u = user(
        "strict",
        Some(AuthProtocol::Sha1),
        "strict-auth-key",
        None,
        "",
    );
    let e = expect_err(
        "authNoPriv below min_level",
        Pdu::new(v3(&sim, &u)).unwrap().state(&n(1)).await,
    );
    assert!(
        matches!(
            e,
            Error::AgentError {
                status: "authorizationError",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("security level"), "{e}");
}

#[tokio::test]
async fn read_only_object_is_not_writable() {
    let sim = error_sim();
    // SET on outletSwitchingState (read-only in PDU2-MIB), through a raw profile.
    let mut raw = pdu_driver::RawProfile::jumpstarter();
    raw.control_prefix = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3, 1];
    raw.on = 7;
    raw.off = 8;
    let mut c = v3(&sim, &ADMIN);
    c.vendor = Vendor::Raw(raw);
    let e = expect_err(
        "SET on a read-only column",
        Pdu::new(c).unwrap().off(&n(1)).await,
    );
    assert!(
        matches!(e, Error::AgentError { status: "notWritable", code: 17, ref oid, .. } if oid == ".1.3.6.1.4.1.13742.6.4.1.2.1.3.1.1"),
        "{e:?}"
    );
    assert_eq!(sim.power(1), "on");
}

#[tokio::test]
async fn bad_value_is_wrong_value() {
    let sim = error_sim();
    let mut raw = pdu_driver::RawProfile::jumpstarter();
    raw.on = 5; // switchingOperation is off(0), on(1), cycle(2)
    let mut c = v2c(&sim, "raritan-px2");
    c.vendor = Vendor::Raw(raw);
    let e = expect_err(
        "switchingOperation = 5",
        Pdu::new(c).unwrap().on(&n(1)).await,
    );
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
    // An over-long outlet name.
    let mut pdu = Pdu::new(v2c(&sim, "raritan-px2")).unwrap();
    let e = expect_err("long name", pdu.set_name(&n(1), &"x".repeat(300)).await);
    assert!(
        matches!(
            e,
            Error::AgentError {
                status: "wrongLength" | "wrongValue",
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn read_only_access_is_refused() {
    let sim = error_sim();
    let mut c = v2c(&sim, "raritan-px2");
    c.community = "public".into();
    let mut pdu = Pdu::new(c).unwrap();
    assert_eq!(pdu.state(&n(1)).await.unwrap().state, "on");
    let e = expect_err("SET with the read-only community", pdu.off(&n(1)).await);
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
    let reader = user(
        "reader",
        Some(AuthProtocol::Sha1),
        "reader-auth-key",
        Some(PrivProtocol::Aes128),
        "reader-priv-key",
    );
    let mut pdu = Pdu::new(v3(&sim, &reader)).unwrap();
    assert_eq!(pdu.state(&n(1)).await.unwrap().state, "on");
    let e = expect_err("SET by a read-only user", pdu.off(&n(1)).await);
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
    assert_eq!(sim.power(1), "on");
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let sim = error_sim();
    let mut c = v3(&sim, &ADMIN);
    drop(sim);
    // The in-process listener task is aborted with the simulator; give it a moment.
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.retries = 0;
    let e = expect_err(
        "nothing listening",
        Pdu::new(c.clone()).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("nothing is listening"), "{e}");
    c.version = SnmpVersion::V2c;
    let e = expect_err(
        "nothing listening (v2c)",
        Pdu::new(c).unwrap().on(&n(1)).await,
    );
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
}

#[tokio::test]
async fn no_such_outlet() {
    let sim = error_sim();
    let mut pdu = Pdu::new(v3(&sim, &ADMIN)).unwrap();
    let e = expect_err("outlet 9 of 4", pdu.on(&n(9)).await);
    assert!(matches!(e, Error::NoSuchOutlet { .. }), "{e:?}");
    assert!(e.to_string().contains("1-4"), "{e}");
    let e = expect_err(
        "outlet by unknown name",
        pdu.on(&OutletRef::Name("no-such-name".into())).await,
    );
    assert!(matches!(e, Error::NoSuchOutlet { .. }), "{e:?}");
    let e = expect_err("outlet 0", pdu.state(&n(0)).await);
    assert!(matches!(e, Error::NoSuchOutlet { .. }), "{e:?}");
    let e = expect_err("rename outlet 9", pdu.set_name(&n(9), "x").await);
    assert!(
        matches!(e, Error::NoSuchOutlet { .. } | Error::AgentError { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn wrong_community_times_out_with_a_community_hint() {
    let sim = error_sim();
    let mut c = v2c(&sim, "raritan-px2");
    c.community = "wrong".into();
    let e = expect_err("wrong community", Pdu::new(c).unwrap().state(&n(1)).await);
    assert!(matches!(e, Error::Timeout { tries: 2, .. }), "{e:?}");
    assert!(e.to_string().contains("community"), "{e}");
}

#[tokio::test]
async fn agent_restart_between_calls_resyncs() {
    let sim = error_sim();
    for (u, keep) in [(ADMIN, true), (AUTHONLY, false)] {
        let mut pdu = Pdu::new(v3(&sim, &u)).unwrap();
        pdu.off(&n(1)).await.unwrap();
        assert_eq!(sim.power(1), "off");
        let before = sim.engine_boots();
        let info = sim.sim.control.restart(sim.name, keep).unwrap();
        assert_eq!(
            info.engine_boots,
            Some(before + 1),
            "engineBoots did not go up"
        );
        let s = pdu
            .state(&n(1))
            .await
            .unwrap_or_else(|e| panic!("{} after restart: {e}", u.name));
        assert_eq!(s.state, if keep { "off" } else { "on" }, "{}", u.name);
        pdu.on(&n(1)).await.unwrap();
        assert_eq!(sim.power(1), "on");
    }
    // A restart plus the engine clock far along (a long-running agent) also recovers.
    let mut pdu = Pdu::new(v3(&sim, &ADMIN)).unwrap();
    pdu.off(&n(2)).await.unwrap();
    sim.sim.control.restart(sim.name, true).unwrap();
    sim.clock.advance(Duration::from_secs(3600));
    pdu.on(&n(2)).await.unwrap();
    assert_eq!(sim.power(2), "on");
}

#[tokio::test]
async fn engine_boots_at_maximum_is_not_in_time_window() {
    let sim = error_sim();
    // An established session first.
    let mut pdu = Pdu::new(v3(&sim, &ADMIN)).unwrap();
    pdu.state(&n(1)).await.unwrap();
    sim.sim
        .control
        .change_engine(
            sim.name,
            &EngineChange {
                boots: Some(i32::MAX),
                ..EngineChange::default()
            },
        )
        .unwrap();
    let e = expect_err(
        "boots at 2147483647, established session",
        pdu.off(&n(1)).await,
    );
    assert!(matches!(e, Error::NotInTimeWindow { .. }), "{e:?}");
    // And a new one.
    let e = expect_err(
        "boots at 2147483647, new session",
        Pdu::new(v3(&sim, &ADMIN)).unwrap().off(&n(1)).await,
    );
    assert!(matches!(e, Error::NotInTimeWindow { .. }), "{e:?}");
    assert_eq!(sim.power(1), "on", "nothing switched");
}

#[tokio::test]
async fn a_dropped_answer_is_retried() {
    let sim = error_sim();
    for u in [None, Some(ADMIN)] {
        let c = match &u {
            None => v2c(&sim, "raritan-px2"),
            Some(u) => v3(&sim, u),
        };
        let mut pdu = Pdu::new(c).unwrap();
        pdu.state(&n(1)).await.unwrap();
        sim.sim
            .control
            .add_fault(
                sim.name,
                NewFault {
                    fault: FaultKind::DropResponse,
                    schedule: Schedule {
                        packets: Some(1),
                        ..Schedule::default()
                    },
                },
            )
            .unwrap();
        let r = pdu
            .off(&n(1))
            .await
            .unwrap_or_else(|e| panic!("{u:?}: {e}"));
        assert!(confirmed(&r.verification, "off"), "{r:?}");
        assert_eq!(sim.power(1), "off");
        assert!(
            sim.sim.control.faults(sim.name).unwrap().is_empty(),
            "the fault was used"
        );
        pdu.on(&n(1)).await.unwrap();
    }
}

#[tokio::test]
async fn agent_down_is_a_timeout() {
    let sim = error_sim();
    for u in [None, Some(ADMIN), Some(AUTHONLY)] {
        let c = match &u {
            None => v2c(&sim, "raritan-px2"),
            Some(u) => v3(&sim, u),
        };
        let label = u.map_or("v2c", |u| u.name);
        let mut pdu = Pdu::new(c.clone()).unwrap();
        pdu.state(&n(1)).await.unwrap();
        let id = sim
            .sim
            .control
            .add_fault(
                sim.name,
                NewFault {
                    fault: FaultKind::AgentDown,
                    schedule: Schedule::default(),
                },
            )
            .unwrap();
        // A session that was working, and a new one.
        let e = expect_err(
            &format!("{label}: agent down, established session"),
            pdu.off(&n(1)).await,
        );
        assert!(
            matches!(e, Error::Timeout { tries: 2, .. }),
            "{label}: {e:?}"
        );
        let e = expect_err(
            &format!("{label}: agent down, new session"),
            Pdu::new(c).unwrap().off(&n(1)).await,
        );
        assert!(
            matches!(e, Error::Timeout { tries: 2, .. }),
            "{label}: {e:?}"
        );
        assert!(e.to_string().contains("no answer from 127.0.0.1:"), "{e}");
        sim.sim.control.remove_fault(sim.name, id).unwrap();
        assert_eq!(sim.power(1), "on");
        // And it comes back.
        pdu.state(&n(1))
            .await
            .unwrap_or_else(|e| panic!("{label}: agent back: {e}"));
    }
}

// ------------------------------------------------------------------------------------------
// The binaries, as a user runs them.
// ------------------------------------------------------------------------------------------

fn add_fault(sim: &Pdusim, fault: FaultKind) {
    sim.sim
        .control
        .add_fault(
            sim.name,
            NewFault {
                fault,
                schedule: Schedule::default(),
            },
        )
        .unwrap_or_else(|e| panic!("fault refused: {e}"));
}

fn force_gen_err() -> FaultKind {
    FaultKind::ForceError {
        status: "genErr".into(),
        oid: None,
        set_only: true,
    }
}

/// A cycle of an outlet that was off, answered genErr, and nothing happens: the outlet reads
/// off, as before, for the whole read-back window. That is no evidence of a cycle under way:
/// the driver reports the agent's genErr (it used to take "off" for the cycle carried out,
/// then wait for "on" and say the PDU had accepted the command).
#[tokio::test]
async fn a_cycle_of_an_off_outlet_answered_gen_err_that_changed_nothing_is_the_agents_error() {
    let sim = error_sim();
    for u in [None, Some(ADMIN)] {
        let mut c = match &u {
            None => v2c(&sim, "raritan-px2"),
            Some(u) => v3(&sim, u),
        };
        c.verify = Some(Duration::from_millis(600));
        let label = u.map_or("v2c", |u| u.name);
        let mut pdu = Pdu::new(c).unwrap();
        pdu.off(&n(3)).await.unwrap();
        add_fault(&sim, force_gen_err());
        let e = expect_err(label, pdu.cycle(&n(3)).await);
        assert!(
            matches!(e, Error::AgentError { code: 5, .. }),
            "{label}: {e:?}"
        );
        sim.sim.control.clear_faults(sim.name).unwrap();
        assert_eq!(sim.power(3), "off", "{label}: nothing was switched");
        // The manual clock has not moved: no reboot was started that could still end in on.
        sim.clock.advance(Duration::from_secs(30));
        assert_eq!(sim.power(3), "off", "{label}: no reboot was under way");
        pdu.on(&n(3)).await.unwrap();
    }
}

/// A cycle of an outlet that was off, carried out (pdusim, like many PDUs, reboots an off
/// outlet: off for its power-off period, then on) and answered genErr: the read-back polls
/// within the --verify window, sees the outlet come on (a change from off) and reports the
/// cycle carried out, without sending it again.
#[tokio::test]
async fn a_cycle_of_an_off_outlet_carried_out_and_answered_gen_err_is_seen_coming_on() {
    let sim = Pdusim::start_real_time("raritan-px2", 8, &[ADMIN], "");
    let mut c = v3(&sim, &ADMIN);
    c.verify = Some(Duration::from_secs(20));
    let mut pdu = Pdu::new(c).unwrap();
    pdu.off(&n(3)).await.unwrap();
    add_fault(&sim, FaultKind::ErrorAfterCommit { no_answer: false });
    let seen = sim.sim.control.requests(sim.name, 0).unwrap();
    let after = seen.last().map_or(0, |r| r.seq);
    let r = pdu
        .cycle(&n(3))
        .await
        .unwrap_or_else(|e| panic!("cycle: {e}"));
    sim.sim.control.clear_faults(sim.name).unwrap();
    assert_eq!(r.before.as_deref(), Some("off"), "{r:?}");
    assert!(confirmed(&r.verification, "on"), "{r:?}");
    assert!(
        r.notes.iter().any(|note| note.contains(
            "the cycle SET was answered genErr, but the outlet reads on (was off) after"
        )),
        "{r:?}"
    );
    let sets = sim
        .sim
        .control
        .requests(sim.name, after)
        .unwrap()
        .into_iter()
        .filter(|r| r.pdu_type == Some("SetRequest"))
        .count();
    assert_eq!(sets, 1, "the cycle SET is sent once: {r:?}");
    assert_eq!(sim.power(3), "on");
}

/// A slow outlet (it follows 1.5 s after the SET) whose on SET is carried out and answered
/// genErr: the read-back polls within the --verify window instead of reading once, so the
/// switch is reported carried out with a note, not as the agent's genErr.
#[tokio::test]
async fn a_slow_outlet_switched_and_answered_gen_err_is_read_back_until_it_follows() {
    let sim = Pdusim::start_real_time("raritan-px2", 8, &[ADMIN], "");
    for u in [None, Some(ADMIN)] {
        let mut c = match &u {
            None => v2c(&sim, "raritan-px2"),
            Some(u) => v3(&sim, u),
        };
        c.verify = Some(Duration::from_secs(20));
        let label = u.map_or("v2c", |u| u.name);
        let mut pdu = Pdu::new(c).unwrap();
        pdu.off(&n(7)).await.unwrap();
        add_fault(
            &sim,
            FaultKind::SlowOutlet {
                outlet: 7,
                ms: 1500,
            },
        );
        add_fault(&sim, FaultKind::ErrorAfterCommit { no_answer: false });
        let r = pdu
            .on(&n(7))
            .await
            .unwrap_or_else(|e| panic!("{label}: on: {e}"));
        sim.sim.control.clear_faults(sim.name).unwrap();
        assert!(confirmed(&r.verification, "on"), "{label}: {r:?}");
        assert!(
            r.notes.iter().any(|note| note.contains(
                "the on SET was answered genErr, but the outlet reads on (was off) after"
            )),
            "{label}: {r:?}"
        );
        assert_eq!(sim.power(7), "on", "{label}");
    }
}

/// A cycle the PDU answers noError but never carries out (a stuck relay, or a switch ignored
/// inside a minimum gap): the outlet reads on throughout, which is no evidence of a cycle, so
/// the read-back is not confirmed; an outlet that really cycles shows its off phase and is.
#[tokio::test]
async fn a_cycle_that_never_leaves_on_is_not_confirmed() {
    let sim = Pdusim::start_real_time("raritan-px2", 8, &[], "");
    let mut c = v2c(&sim, "raritan-px2");
    c.verify = Some(Duration::from_millis(1500));
    let mut pdu = Pdu::new(c).unwrap();
    pdu.on(&n(5)).await.unwrap();
    add_fault(&sim, FaultKind::StuckOutlet { outlet: 5 });
    let r = pdu.cycle(&n(5)).await.unwrap();
    sim.sim.control.clear_faults(sim.name).unwrap();
    match &r.verification {
        Verification::NotConfirmed { last_state, .. } => {
            assert!(last_state.contains("never off or in transition"), "{r:?}")
        }
        other => panic!("a cycle that never left on is not confirmed: {other:?}"),
    }
    assert_eq!(sim.power(5), "on");
    // Without the fault the same cycle passes through off, and is confirmed.
    let mut c = v2c(&sim, "raritan-px2");
    c.verify = Some(Duration::from_secs(20));
    let r = Pdu::new(c).unwrap().cycle(&n(5)).await.unwrap();
    assert!(confirmed(&r.verification, "on"), "{r:?}");
}

fn pductl(port: u16, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    pductl_command::run(port, "0.5", args, envs)
}

/// README's default check: `pdusim serve` with its embedded default (an 8-outlet Raritan PX2,
/// user admin SHA authpass123 AES privpass123), only moved to a port the system picks and a
/// throwaway state directory; `pductl … on 3` then `status 3` reads on.
#[test]
fn readme_default_simulator_with_pductl() {
    let agent = PdusimProcess::start(workspace_pdusim(), &[]);
    let port = agent.port();
    let v3 = [
        "--snmp-version",
        "3",
        "--user",
        "admin",
        "--auth",
        "sha",
        "--auth-key",
        "authpass123",
        "--priv",
        "aes",
        "--priv-key",
        "privpass123",
    ];
    let (code, out, err) = pductl(port, &[&v3[..], &["off", "3"]].concat(), &[]);
    assert_eq!(code, 0, "{out}{err}\n{}", agent.log());
    assert!(
        out.contains("outlet 3: off (was on): now off (confirmed"),
        "{out}"
    );
    let (code, out, err) = pductl(port, &[&v3[..], &["on", "3"]].concat(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("outlet 3: on (was off): now on (confirmed"),
        "{out}"
    );
    let (code, out, err) = pductl(port, &[&v3[..], &["status", "3"]].concat(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "outlet 3 (db-1): on");
    // Keys from the environment, the profile detected, JSON out.
    let keys = [
        ("PDU_AUTH_KEY", "authpass123"),
        ("PDU_PRIV_KEY", "privpass123"),
    ];
    let (code, out, err) = pductl(
        port,
        &[
            "--user", "admin", "--auth", "sha", "--priv", "aes", "list", "--json",
        ],
        &keys,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\"name\": \"spare-2\""), "{out}");
    let (code, out, _) = pductl(port, &["--community", "public", "detect"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("profile     raritan-px2"), "{out}");
    // Output to a pipe carries no colour codes, neither pductl's nor the simulator's log.
    let (_, out, err) = pductl(port, &["-c", "public", "list"], &[("RUST_LOG", "debug")]);
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "{out}{err}"
    );
    assert!(!agent.log().contains('\u{1b}'), "{}", agent.log());
    // Another vendor's profile against this Raritan: no claim that switching works, and an
    // empty list is an error that points at detection.
    let (code, _, err) = pductl(
        port,
        &["-c", "public", "--vendor", "apc-rpdu2", "status", "1"],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("pductl detect") && !err.contains("switching still works"),
        "{err}"
    );
    let (code, out, err) = pductl(
        port,
        &["-c", "public", "--vendor", "raritan-px1", "list"],
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("raritan-px1") && err.contains("pductl detect"),
        "{err}"
    );
    // A mistake: non-zero exit, the message on stderr.
    let (code, _, err) = pductl(
        port,
        &[
            "--user", "admin", "--auth", "sha", "--priv", "aes", "on", "3",
        ],
        &[("PDU_AUTH_KEY", "wrongpass123"), keys[1]],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("usmStatsWrongDigests") && err.contains("--auth-key"),
        "{err}"
    );
}

/// The README's examples for three vendors, against the pdusim binary.
#[test]
fn readme_examples_for_three_vendors() {
    for (vendor, outlet) in [("apc-rpdu2", "5"), ("eaton-epdu", "2"), ("sentry4", "7")] {
        let agent = PdusimProcess::start(
            workspace_pdusim(),
            &[
                "--vendor",
                vendor,
                "--outlets",
                "8",
                "--community",
                "public",
                "--community",
                "private:rw",
                "--user",
                "ops:sha256:ops-auth-pass:aes256:ops-priv-pass",
            ],
        );
        let port = agent.port();
        let keys = [
            ("PDU_AUTH_KEY", "ops-auth-pass"),
            ("PDU_PRIV_KEY", "ops-priv-pass"),
        ];
        let v3 = [
            "--user", "ops", "--auth", "sha256", "--priv", "aes256", "--vendor", vendor,
        ];
        let (code, out, err) = pductl(port, &[&v3[..], &["off", outlet]].concat(), &keys);
        assert_eq!(code, 0, "{vendor}: {out}{err}\n{}", agent.log());
        assert!(
            out.contains(&format!(
                "outlet {outlet}: off (was on): now off (confirmed"
            )),
            "{vendor}: {out}"
        );
        let (code, out, err) = pductl(port, &["--community", "public", "status", outlet], &[]);
        assert_eq!(code, 0, "{vendor}: {out}{err}");
        assert!(out.trim_end().ends_with(": off"), "{vendor}: {out}");
        let (code, out, err) = pductl(
            port,
            &["--community", "private", "--vendor", vendor, "on", outlet],
            &[],
        );
        assert_eq!(code, 0, "{vendor}: {out}{err}");
        assert!(out.contains("now on (confirmed"), "{vendor}: {out}");
        let (code, out, err) = pductl(port, &["--community", "public", "list"], &[]);
        assert_eq!(code, 0, "{vendor}: {out}{err}");
        assert_eq!(
            out.lines().filter(|l| l.contains(" on ")).count(),
            8,
            "{vendor}: {out}"
        );
    }
}

/// A connection profile (v3 authPriv: the auth key from an environment variable the profile
/// names, the priv key from a key file next to the profiles file), against the in-process
/// simulator; pductl runs as a real process.
#[tokio::test]
async fn pductl_connection_profile_and_key_files() {
    let sim = Pdusim::start("vertiv-geist", 4, &[ADMIN], "");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("priv.key"), "privpass123\n").unwrap();
    let profile = dir.path().join("profiles.toml");
    std::fs::write(
        &profile,
        format!(
            "[other]\nhost = \"192.0.2.1\"\n\n[geist]\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\n\
             security_level = \"authPriv\"\nauth = \"sha\"\nauth_key_env = \"GEIST_AUTH\"\n\
             priv = \"aes\"\npriv_key_file = \"priv.key\"\nvendor = \"vertiv-geist\"\ntimeout = 0.3\nretries = 1\n",
            sim.port(),
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_pductl");
    let profiles_file = profile.display().to_string();
    let run = move |args: Vec<String>| {
        let profiles_file = profiles_file.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args(["--profiles-file", &profiles_file])
                .args(args)
                .env_remove("PDU_AUTH_KEY")
                .env_remove("PDU_PRIV_KEY")
                .env_remove("PDU_PROFILE")
                .env_remove("PDU_PROFILES")
                .env("GEIST_AUTH", "authpass123")
                .output()
                .expect("run pductl")
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let out = run(args(&["--profile", "geist", "off", "2"]))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("outlet 2: off (was on): now off"), "{text}");
    assert_eq!(sim.power(2), "off");
    // A not-confirmed switch exits 3: a stuck outlet accepts the SET and never changes.
    sim.sim
        .control
        .add_fault(
            sim.name,
            NewFault {
                fault: FaultKind::StuckOutlet { outlet: 3 },
                schedule: Schedule::default(),
            },
        )
        .unwrap();
    let out = run(args(&["--profile", "geist", "--verify", "0.6", "off", "3"]))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("NOT confirmed"), "{text}");
    assert_eq!(sim.power(3), "on");
    // A flag overrides the profile: a wrong privacy key makes the agent fail to decrypt.
    let out = run(args(&[
        "--profile",
        "geist",
        "--priv-key",
        "wrong-priv-key",
        "status",
        "1",
    ]))
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not decrypt"), "{err}");
    assert!(!err.contains("wrong-priv-key"), "{err}");
    // An unknown profile names the file and the profiles it has.
    let out = run(args(&["--profile", "rack9", "list"])).await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("profiles.toml") && err.contains("\"rack9\"") && err.contains("geist, other"),
        "{err}"
    );
}
