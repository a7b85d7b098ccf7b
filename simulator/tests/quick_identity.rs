#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! A quick-flag PDU is what its vendor ships at its address: the vendor's own PDU name, sysName
//! and outlet names, or `--name`; read back with net-snmp's `snmpget`/`snmpwalk` from the real
//! `pdusim` binary.

use std::net::UdpSocket;
use std::time::Duration;

use pdu_test_support::{run_tool, wait_until, PdusimProcess, Sec, V3};

const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");
const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";

fn dotted(arcs: &[u32]) -> String {
    arcs.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// sysName.0 of the agent at `target`, read with snmpget over v2c.
fn sys_name(target: &str) -> String {
    let out = run_tool(
        "snmpget",
        &Sec::v2c("public"),
        &["-Oqv"],
        target,
        &[SYS_NAME],
    );
    out.expect_clean();
    out.stdout.trim().trim_matches('"').to_string()
}

/// The vendor's outlet name column, walked with snmpwalk: outlet 1 first.
fn outlet_names(target: &str, vendor: &str) -> Vec<String> {
    let column = pdu_mibs::by_name(vendor)
        .and_then(|p| p.name_column)
        .unwrap();
    let out = run_tool(
        "snmpwalk",
        &Sec::v2c("public"),
        &[],
        target,
        &[&dotted(column)],
    );
    out.expect_clean();
    out.varbinds()
        .into_iter()
        .map(|(_, v)| {
            v.trim_start_matches("STRING: ")
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

fn banner(sim: &PdusimProcess) -> String {
    sim.stdout()
        .into_iter()
        .find(|l| l.contains(" listening on "))
        .unwrap_or_else(|| panic!("no banner in {:?}", sim.stdout()))
}

#[test]
fn each_vendor_has_its_own_name_sys_name_and_outlet_names() {
    let apc = PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "apc-rpdu2",
            "--outlets",
            "4",
            "--community",
            "public",
        ],
    );
    let sentry = PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "sentry4",
            "--outlets",
            "4",
            "--community",
            "public",
        ],
    );
    let raritan = PdusimProcess::start(PDUSIM, &["--outlets", "4", "--community", "public"]);
    let at = |sim: &PdusimProcess| sim.addr().to_string();

    assert!(
        banner(&apc).contains("PDU \"rpdu2\" (apc-rpdu2"),
        "{}",
        banner(&apc)
    );
    assert!(
        banner(&sentry).contains("PDU \"sentry4\" (sentry4"),
        "{}",
        banner(&sentry)
    );
    assert!(
        banner(&raritan).contains("PDU \"px2\" (raritan-px2"),
        "{}",
        banner(&raritan)
    );

    let apc_name = sys_name(&at(&apc));
    let sentry_name = sys_name(&at(&sentry));

    assert!(
        apc_name.starts_with("apc") && apc_name.len() == 9,
        "{apc_name}"
    );
    assert!(sentry_name.starts_with("Sentry4-"), "{sentry_name}");

    assert_eq!(
        outlet_names(&at(&apc), "apc-rpdu2"),
        ["Outlet 1", "Outlet 2", "Outlet 3", "Outlet 4"]
    );
    assert_eq!(
        outlet_names(&at(&sentry), "sentry4"),
        [
            "Master_Outlet_1",
            "Master_Outlet_2",
            "Master_Outlet_3",
            "Master_Outlet_4"
        ]
    );
    // The default vendor's PDU is the embedded default, moved: its names stay.
    assert_eq!(sys_name(&at(&raritan)), "px2-lab");
    assert_eq!(
        outlet_names(&at(&raritan), "raritan-px2"),
        ["web-1", "web-2", "db-1", "db-2"]
    );
}

#[test]
fn name_sets_the_pdu_name_sys_name_and_snmpv3_context() {
    let sim = PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "eaton-epdu",
            "--name",
            "rack7-a",
            "--outlets",
            "2",
            "--community",
            "public",
            "--user",
            "ops:sha:opsauth123:aes:opspriv123",
        ],
    );
    assert!(
        banner(&sim).contains("PDU \"rack7-a\" (eaton-epdu"),
        "{}",
        banner(&sim)
    );
    let target = sim.addr().to_string();
    assert_eq!(sys_name(&target), "rack7-a");
    assert_eq!(
        outlet_names(&target, "eaton-epdu"),
        ["Outlet A1", "Outlet A2"]
    );
    // The name is the PDU's SNMPv3 context; another context is unknown.
    let v3 = Sec::V3(V3::auth_priv(
        "ops",
        "SHA",
        "opsauth123",
        "AES",
        "opspriv123",
    ));
    let out = run_tool(
        "snmpget",
        &v3,
        &["-Oqv", "-n", "rack7-a"],
        &target,
        &[SYS_NAME],
    );
    out.expect_clean();
    assert_eq!(out.stdout.trim().trim_matches('"'), "rack7-a");
    let out = run_tool("snmpget", &v3, &["-n", "rack7-b"], &target, &[SYS_NAME]);
    assert!(!out.ok(), "{}", out.describe());

    // A name that cannot be a folder is refused, naming the flag and what is allowed.
    let refused = std::process::Command::new(PDUSIM)
        .args(["serve", "--listen", "127.0.0.1:0", "--name", "rack/7"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("--name") && stderr.contains("letters, digits"),
        "{stderr}"
    );
}

fn free_wildcard_port() -> u16 {
    UdpSocket::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `--count 3 --spread address` PDUs from 127.1.7.1 (or `base`) with `extra` flags, on
/// a port picked free (a few tries: another process may take it first).
fn count_of_three(base: &str, extra: &[&str]) -> PdusimProcess {
    let sim = (0..5)
        .find_map(|_| {
            let port = free_wildcard_port();
            std::panic::catch_unwind(|| {
                PdusimProcess::builder(PDUSIM)
                    .listen(&format!("{base}:{port}"))
                    .args([
                        "--count",
                        "3",
                        "--spread",
                        "address",
                        "--community",
                        "public",
                    ])
                    .args(extra)
                    .start()
            })
            .ok()
        })
        .expect("pdusim starts on a free shared port");
    wait_until(Duration::from_secs(30), || {
        sim.stdout()
            .iter()
            .filter(|l| l.contains(" listening on "))
            .count()
            == 3
    });
    sim
}

#[test]
fn count_numbers_names_and_each_address_has_its_own_sys_name() {
    let named = count_of_three("127.1.7.1", &["--vendor", "sentry3", "--name", "lab"]);
    let port = named.port();
    let banners = named.stdout().join("\n");
    for (i, name) in [(1, "lab-1"), (2, "lab-2"), (3, "lab-3")] {
        assert!(
            banners.contains(&format!(
                "PDU \"{name}\" (sentry3, 8 outlets) listening on 127.1.7.{i}:{port}"
            )),
            "{name} in {banners}"
        );
        let target = format!("127.1.7.{i}:{port}");
        assert_eq!(sys_name(&target), name);
        assert_eq!(
            outlet_names(&target, "sentry3").first().map(String::as_str),
            Some("Master_Outlet_1")
        );
    }

    // Without --name: VENDOR-n, and a sysName of the vendor's style that differs per address.
    let plain = count_of_three("127.1.8.1", &["--vendor", "apc-rpdu2"]);
    let port = plain.port();
    let banners = plain.stdout().join("\n");
    let mut names = std::collections::HashSet::new();
    for i in 1..=3 {
        assert!(
            banners.contains(&format!("PDU \"apc-rpdu2-{i}\" (apc-rpdu2")),
            "{banners}"
        );
        let name = sys_name(&format!("127.1.8.{i}:{port}"));
        assert!(name.starts_with("apc"), "{name}");
        names.insert(name);
    }
    assert_eq!(names.len(), 3, "{names:?}");
}

/// A recording keeps what the recorded device said: its sysName and outlet names.
#[test]
fn a_recording_keeps_its_recorded_identity() {
    let recording = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../recordings/apc-8932.snmprec"
    );
    let sim = PdusimProcess::start(PDUSIM, &["--recording", recording, "--community", "public"]);
    assert!(
        banner(&sim).contains("PDU \"apc-8932\""),
        "{}",
        banner(&sim)
    );
    let text = std::fs::read_to_string(recording).unwrap();
    // snmprec: `OID|4|text` or `OID|4x|hex`.
    let recorded = text
        .lines()
        .find_map(|l| {
            if let Some(t) = l.strip_prefix("1.3.6.1.2.1.1.5.0|4|") {
                return Some(t.to_string());
            }
            let hex = l.strip_prefix("1.3.6.1.2.1.1.5.0|4x|")?;
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Some(String::from_utf8(bytes).unwrap())
        })
        .expect("the recording has a sysName");
    assert_eq!(recorded, "pwr-dc01-pdu-rack3-01");
    assert_eq!(sys_name(&sim.addr().to_string()), recorded);
}

/// Without --state-dir, a recording keeps its state in a folder named after it and its address,
/// not after the default vendor.
#[test]
fn a_recording_s_default_state_folder_is_named_after_it() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let recording = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../recordings/apc-8932.snmprec"
    );
    let mut child = std::process::Command::new(PDUSIM)
        .args(["serve", "--listen", "127.0.0.1:0", "--recording", recording])
        .env("XDG_STATE_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("state directory:"));
    child.kill().unwrap();
    child.wait().unwrap();
    let line = line.expect("pdusim prints its state directory");
    let wanted = home
        .path()
        .join("pdusim/apc-8932-127.0.0.1-0/apc-8932")
        .display()
        .to_string();
    assert!(line.ends_with(&wanted), "{line} (wanted {wanted})");
}
