#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! A recorded real device served with live outlets, and several PDUs behind one address,
//! both checked with net-snmp's own tools.

use std::sync::Arc;

use pdu_test_support::{run_tool, NetSnmp, PdusimProcess, Sec, V3};
use pdusim::clock::MonotonicClock;
use pdusim::config::FileConfig;
use pdusim::launch::{LaunchError, Simulator};
use pdusim::server::BindError;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const AP8932: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../recordings/apc-8932.snmprec"
);

const RPDU2_CONTROL: &str = "1.3.6.1.4.1.318.1.1.26.9.2.4.1.5";
const RPDU2_STATE: &str = "1.3.6.1.4.1.318.1.1.26.9.2.3.1.5";
const RPDU_STATE: &str = "1.3.6.1.4.1.318.1.1.12.3.5.1.1.4";
const SPDU_CTL: &str = "1.3.6.1.4.1.318.1.1.4.4.2.1.3";

#[test]
fn a_recorded_ap8932_answers_as_itself_and_its_outlets_switch() {
    let sim = PdusimProcess::start(PDUSIM, &["--recording", AP8932]);
    let public = Sec::v2c("public");
    let private = Sec::v2c("private");
    // The real device's identity, from the recording.
    let descr = sim.get_value(&public, "1.3.6.1.2.1.1.1.0");
    assert!(descr.contains("MN:AP8932"), "{descr}");
    assert_eq!(
        sim.get_value(&public, "1.3.6.1.2.1.1.2.0"),
        "OID: .1.3.6.1.4.1.318.1.3.4.6"
    );
    assert_eq!(
        sim.get_value(&public, "1.3.6.1.2.1.1.5.0"),
        "STRING: \"pwr-dc01-pdu-rack3-01\""
    );
    // Objects no profile owns are served as recorded.
    assert_eq!(
        sim.get_value(&public, "1.3.6.1.2.1.2.2.1.2.1"),
        "STRING: \"LOOPBACK\""
    );
    // The vendor was picked from sysObjectID (apc-rpdu2): 24 outlets, recorded names and states.
    assert_eq!(sim.get_number(&public, "1.3.6.1.4.1.318.1.1.26.9.1.0"), 24);
    assert_eq!(
        sim.get_value(&public, "1.3.6.1.4.1.318.1.1.26.9.2.1.1.3.1"),
        "STRING: \"SW-DC01-WEST-01-B\""
    );
    // Outlet 3 was recorded off (rPDU2 off = 1; rPDU off = 2).
    assert_eq!(sim.get_number(&public, &format!("{RPDU2_STATE}.3")), 1);
    assert_eq!(sim.get_number(&public, &format!("{RPDU_STATE}.3")), 2);
    // Switch it on through rPDU2 (immediateOn = 1): every table of the device agrees.
    sim.set(&private, &[&format!("{RPDU2_CONTROL}.3"), "i", "1"])
        .expect_clean();
    assert_eq!(
        sim.get_number(&public, &format!("{RPDU2_STATE}.3")),
        2,
        "rPDU2: on(2)"
    );
    assert_eq!(
        sim.get_number(&public, &format!("{RPDU_STATE}.3")),
        1,
        "rPDU: on(1)"
    );
    assert_eq!(
        sim.get_number(&public, &format!("{SPDU_CTL}.3")),
        1,
        "sPDU: outletOn(1)"
    );
    // The walk of the whole recorded tree ends cleanly.
    let walk = sim.bulkwalk(&public, ".1");
    walk.expect_clean();
    assert!(
        walk.varbinds().len() > 3000,
        "{} varbinds",
        walk.varbinds().len()
    );
}

/// rack-a and rack-b behind one port (filled in), rack-c on a port the system picks.
const PDUS: &str = r#"
[[pdu]]
name = "rack-a"
vendor = "raritan-px2"
listen = ["127.0.0.1:{port}"]
outlets = 4
sys_name = "pdu-a"
[[pdu.community]]
name = "a-rw"
access = "read-write"
[[pdu.user]]
name = "ops"
auth = "sha"
auth_password = "opsauth123"
priv = "aes"
priv_password = "opspriv123"

[[pdu]]
name = "rack-b"
vendor = "eaton-epdu"
listen = ["127.0.0.1:{port}"]
outlets = 6
sys_name = "pdu-b"
[[pdu.community]]
name = "b-rw"
access = "read-write"

[[pdu]]
name = "rack-c"
vendor = "sentry3"
listen = ["127.0.0.1:0"]
sys_name = "pdu-c"
[[pdu.community]]
name = "a-rw"
access = "read-only"
"#;

/// `--vendor` is not silently dropped when a recording is given: the named profile serves the
/// outlets (here the AP79xx rPDU tables on an AP8932 recording), the recording the rest.
#[test]
fn vendor_flag_wins_over_the_recordings_sysobjectid() {
    let sim = PdusimProcess::start(PDUSIM, &["--recording", AP8932, "--vendor", "apc-rpdu"]);
    let banner = sim.stdout().join("\n");
    assert!(banner.contains("(apc-rpdu, 24 outlets)"), "{banner}");
    let public = Sec::v2c("public");
    // rPDUOutletStatusOutletState, a column of apc-rpdu's profile, answers for outlet 1.
    assert!(sim
        .get_value(&public, &format!("{RPDU_STATE}.1"))
        .starts_with("INTEGER: "));
    // The recorded identity is still served.
    assert!(sim
        .get_value(&public, "1.3.6.1.2.1.1.1.0")
        .contains("MN:AP8932"));
}

fn config(
    text: &str,
    state_dir: &std::path::Path,
) -> Vec<(pdusim::device::DeviceSpec, Vec<std::net::SocketAddr>)> {
    let mut cfg = FileConfig::parse(text, "test config").unwrap();
    cfg.state_dir = Some(state_dir.to_path_buf());
    cfg.validate("test config").unwrap()
}

/// Three PDUs from one config: two behind one port (v2c picks by community, v3 by context
/// name), one on a port of its own.
#[test]
fn pdus_are_addressed_by_port_community_and_context() {
    let state = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // rack-c listens on port 0: the system picks a port, never shared with another address.
    // rack-a and rack-b must share one port, which port 0 cannot say (each port-0 address
    // gets a port of its own), and `Simulator` binds its sockets itself: that port is found by
    // binding port 0 and released just before the simulator binds it. The one free-port race
    // left in the tests, as narrow as it gets (nothing runs in between but parsing the
    // config); a lost race is an "in use" error, and the start is tried again.
    let mut attempts = 0;
    let (sim, port) = loop {
        attempts += 1;
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = PDUS.replace("{port}", &port.to_string());
        let started = runtime.block_on(async {
            Simulator::start(config(&text, state.path()), Arc::new(MonotonicClock::new()))
        });
        match started {
            Ok(sim) => break (sim, port),
            Err(LaunchError::Bind(BindError::InUse { .. })) if attempts < 5 => continue,
            Err(e) => panic!("the simulator did not start (attempt {attempts}): {e}"),
        }
    };
    assert_eq!(sim.address("rack-a").unwrap().port(), port);
    assert_eq!(sim.address("rack-b").unwrap().port(), port);
    let port_c = sim.address("rack-c").unwrap().port();
    assert_ne!(port_c, port, "rack-c has a port of its own");
    let target = format!("127.0.0.1:{port}");
    let name_of = |sec: &Sec| {
        let out = run_tool("snmpget", sec, &[], &target, &["1.3.6.1.2.1.1.5.0"]);
        out.expect_clean();
        out.varbinds()
            .first()
            .map(|v| v.1.clone())
            .unwrap_or_default()
    };
    assert_eq!(name_of(&Sec::v2c("a-rw")), "STRING: \"pdu-a\"");
    // The same community on another port is another PDU.
    let on_c = run_tool(
        "snmpget",
        &Sec::v2c("a-rw"),
        &[],
        &format!("127.0.0.1:{port_c}"),
        &["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0"],
    );
    on_c.expect_clean();
    assert_eq!(on_c.varbinds()[0].1, "STRING: \"pdu-c\"");
    assert_eq!(on_c.varbinds()[1].1, "OID: .1.3.6.1.4.1.1718.3");
    assert_eq!(name_of(&Sec::v2c("b-rw")), "STRING: \"pdu-b\"");
    let ops = V3::auth_priv("ops", "SHA", "opsauth123", "AES", "opspriv123");
    assert_eq!(
        name_of(&Sec::from(ops.clone())),
        "STRING: \"pdu-a\"",
        "the empty context is the first PDU"
    );
    let with_context = |ctx: &str| {
        run_tool(
            "snmpget",
            &Sec::from(ops.clone()),
            &["-n", ctx],
            &target,
            &["1.3.6.1.2.1.1.5.0"],
        )
    };
    let b = with_context("rack-b");
    b.expect_clean();
    assert_eq!(
        b.varbinds().first().map(|v| v.1.as_str()),
        Some("STRING: \"pdu-b\"")
    );
    let unknown = with_context("rack-z");
    assert!(
        !unknown.ok() && unknown.all_output().contains("context"),
        "{}",
        unknown.describe()
    );
    // Switching through one PDU leaves the other alone: Eaton off command for outlet 2 of rack-b.
    run_tool(
        "snmpset",
        &Sec::v2c("b-rw"),
        &[],
        &target,
        &["1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.2", "i", "0"],
    )
    .expect_clean();
    let b_outlets = sim.control.outlets("rack-b").unwrap();
    let a_outlets = sim.control.outlets("rack-a").unwrap();
    assert_eq!(b_outlets[1].power, pdusim::outlet::Power::Off);
    assert!(a_outlets
        .iter()
        .all(|o| o.power == pdusim::outlet::Power::On));
    drop(sim);
}

/// The nameplate objects managers detect models by (Network UPS Tools reads PDU2-MIB pduModel
/// after matching sysObjectID): served per PDU as configured, and from the recording when one
/// is loaded, read with net-snmp's snmpget.
#[test]
fn nameplate_objects_are_configurable_per_pdu_and_taken_from_the_recording() {
    let state = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = r#"
[[pdu]]
name = "px-a"
vendor = "raritan-px2"
listen = ["127.0.0.1:0"]
model = "PX3-5190R"
serial_number = "QFD1234567"
[[pdu.community]]
name = "public"
access = "read-only"

[[pdu]]
name = "px-b"
vendor = "raritan-px2"
listen = ["127.0.0.1:0"]
[[pdu.community]]
name = "public"
access = "read-only"
"#;
    let sim = runtime
        .block_on(async {
            Simulator::start(config(text, state.path()), Arc::new(MonotonicClock::new()))
        })
        .unwrap();
    let public = Sec::v2c("public");
    // PDU2-MIB nameplateEntry .2 pduManufacturer, .3 pduModel, .4 pduSerialNumber (pduId 1);
    // unitConfigurationEntry .2 inletCount.
    let oids = [
        "1.3.6.1.4.1.13742.6.3.2.1.1.2.1",
        "1.3.6.1.4.1.13742.6.3.2.1.1.3.1",
        "1.3.6.1.4.1.13742.6.3.2.1.1.4.1",
        "1.3.6.1.4.1.13742.6.3.2.2.1.2.1",
    ];
    let read = |pdu: &str| {
        let target = format!("127.0.0.1:{}", sim.address(pdu).unwrap().port());
        let out = run_tool("snmpget", &public, &[], &target, &oids);
        out.expect_clean();
        out.varbinds()
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
    };
    let a = read("px-a");
    assert_eq!(a[1], "STRING: \"PX3-5190R\"", "{a:?}");
    assert_eq!(a[2], "STRING: \"QFD1234567\"", "{a:?}");
    assert!(a[0].starts_with("STRING: \"") && a[0].len() > 10, "{a:?}");
    assert_eq!(a[3], "INTEGER: 1", "inletCount: {a:?}");
    let b = read("px-b");
    assert_eq!(b[0], a[0], "the same manufacturer");
    assert_ne!(b[1], a[1], "px-b keeps the profile's model: {b:?}");
    assert!(b[1].starts_with("STRING: \"PX"), "{b:?}");

    // An Eaton ePDU: EATON-EPDU-MIB partNumber.0, serialNumber.0, firmwareVersion.0, with the
    // model configured.
    let eaton = PdusimProcess::start(PDUSIM, &["--vendor", "eaton-epdu"]);
    let id = eaton.get_value(&public, "1.3.6.1.4.1.534.6.6.7.1.2.1.4.0");
    assert!(
        id.starts_with("STRING: \"") && id.len() > 10,
        "serialNumber: {id}"
    );
    let fw = eaton.get_value(&public, "1.3.6.1.4.1.534.6.6.7.1.2.1.5.0");
    assert!(fw.starts_with("STRING: \""), "firmwareVersion: {fw}");

    // A recorded AP8932: PowerNet-MIB sPDUIdentModelNumber and sPDUIdentSerialNumber as recorded.
    let rec = PdusimProcess::start(PDUSIM, &["--recording", AP8932]);
    assert_eq!(
        rec.get_value(&public, "1.3.6.1.4.1.318.1.1.4.1.4.0"),
        "STRING: \"AP8932\""
    );
    assert_eq!(
        rec.get_value(&public, "1.3.6.1.4.1.318.1.1.4.1.5.0"),
        "STRING: \"3F503A169043\""
    );
}

/// Every vendor profile serves the nameplate and inventory objects its MIB defines, at the
/// literal OIDs of that MIB (written out here, not taken from the profiles), with the value
/// configured per PDU, the recording's where one is loaded (and nothing is configured), and a
/// plausible default otherwise; read with net-snmp's snmpget. A profile added to `PROFILES`
/// without a nameplate row here fails, and so does one whose inventory objects are not all
/// listed.
#[test]
fn every_profile_serves_its_nameplate_objects() {
    // (vendor, [(config key, literal OID)]).
    let table: &[(&str, &[(&str, &str)])] = &[
        (
            "raritan-px2",
            &[
                ("manufacturer", "1.3.6.1.4.1.13742.6.3.2.1.1.2.1"),
                ("model", "1.3.6.1.4.1.13742.6.3.2.1.1.3.1"),
                ("serial_number", "1.3.6.1.4.1.13742.6.3.2.1.1.4.1"),
            ],
        ),
        (
            // PDU-MIB info: firmwareVersion(1), serialNumber(2), objectName(12).
            "raritan-px1",
            &[
                ("firmware_version", "1.3.6.1.4.1.13742.4.1.1.1.0"),
                ("serial_number", "1.3.6.1.4.1.13742.4.1.1.2.0"),
                ("model", "1.3.6.1.4.1.13742.4.1.1.12.0"),
            ],
        ),
        (
            "apc-rpdu2",
            &[
                ("firmware_version", "1.3.6.1.4.1.318.1.1.4.1.2.0"),
                ("model", "1.3.6.1.4.1.318.1.1.4.1.4.0"),
                ("serial_number", "1.3.6.1.4.1.318.1.1.4.1.5.0"),
            ],
        ),
        (
            "apc-rpdu",
            &[
                ("firmware_version", "1.3.6.1.4.1.318.1.1.4.1.2.0"),
                ("model", "1.3.6.1.4.1.318.1.1.4.1.4.0"),
                ("serial_number", "1.3.6.1.4.1.318.1.1.4.1.5.0"),
            ],
        ),
        (
            // EATON-EPDU-MIB productName.0 (what Network UPS Tools detects the model by),
            // partNumber.0, serialNumber.0, firmwareVersion.0.
            "eaton-epdu",
            &[
                ("model", "1.3.6.1.4.1.534.6.6.7.1.2.1.2.0"),
                ("model", "1.3.6.1.4.1.534.6.6.7.1.2.1.3.0"),
                ("serial_number", "1.3.6.1.4.1.534.6.6.7.1.2.1.4.0"),
                ("firmware_version", "1.3.6.1.4.1.534.6.6.7.1.2.1.5.0"),
            ],
        ),
        (
            // Sentry3-MIB systemVersion.0, towerProductSN.1, towerModelNumber.1.
            "sentry3",
            &[
                ("firmware_version", "1.3.6.1.4.1.1718.3.1.1.0"),
                ("serial_number", "1.3.6.1.4.1.1718.3.2.1.1.6.1"),
                ("model", "1.3.6.1.4.1.1718.3.2.1.1.7.1"),
            ],
        ),
        (
            // Sentry4-MIB st4SystemFirmwareVersion.0, st4UnitProductSN.1, st4UnitModel.1.
            "sentry4",
            &[
                ("firmware_version", "1.3.6.1.4.1.1718.4.1.1.1.3.0"),
                ("serial_number", "1.3.6.1.4.1.1718.4.1.2.2.1.4.1"),
                ("model", "1.3.6.1.4.1.1718.4.1.2.2.1.5.1"),
            ],
        ),
        (
            // CPS-MIB ePDUIdentFirmwareRev.0, ePDUIdentModelNumber.0, ePDUIdentSerialNumber.0.
            "cyberpower-epdu",
            &[
                ("firmware_version", "1.3.6.1.4.1.3808.1.1.3.1.3.0"),
                ("model", "1.3.6.1.4.1.3808.1.1.3.1.5.0"),
                ("serial_number", "1.3.6.1.4.1.3808.1.1.3.1.6.0"),
            ],
        ),
        (
            // TRIPPLITE-PRODUCTS tlpDeviceManufacturer.1, tlpDeviceModel.1,
            // tlpDeviceIdentFirmwareVersion.1, tlpDeviceIdentSerialNum.1.
            "tripplite-pdu",
            &[
                ("manufacturer", "1.3.6.1.4.1.850.1.1.1.2.1.4.1"),
                ("model", "1.3.6.1.4.1.850.1.1.1.2.1.5.1"),
                ("firmware_version", "1.3.6.1.4.1.850.1.1.2.1.1.4.1"),
                ("serial_number", "1.3.6.1.4.1.850.1.1.2.1.1.5.1"),
            ],
        ),
        (
            // VERTIV-V5-MIB deviceInfo productTitle.0, productVersion.0, productModelNumber.0,
            // productSerialNumber.0, productManufacturer.0; pduMainSerial.1.
            "vertiv-geist",
            &[
                ("model", "1.3.6.1.4.1.21239.5.2.1.1.0"),
                ("firmware_version", "1.3.6.1.4.1.21239.5.2.1.2.0"),
                ("model", "1.3.6.1.4.1.21239.5.2.1.8.0"),
                ("serial_number", "1.3.6.1.4.1.21239.5.2.1.10.0"),
                ("manufacturer", "1.3.6.1.4.1.21239.5.2.1.15.0"),
                ("serial_number", "1.3.6.1.4.1.21239.5.2.3.1.1.2.1"),
            ],
        ),
        (
            "baytech-mrp",
            &[
                ("firmware_version", "1.3.6.1.4.1.4779.1.1.1.0"),
                ("serial_number", "1.3.6.1.4.1.4779.1.1.2.0"),
                ("model", "1.3.6.1.4.1.4779.1.3.5.2.1.24.1"),
            ],
        ),
    ];
    let names: Vec<&str> = table.iter().map(|(v, _)| *v).collect();
    for profile in pdusim::profiles::names() {
        assert!(
            names.contains(&profile),
            "{profile} has no nameplate row in this test"
        );
    }
    // The inventory counts: (vendor, [(count, literal OID, SMI type as snmpget prints it)]).
    // "outlets" is the PDU's `outlets`, "units" the one unit the profile has rows for; the
    // others are `[[pdu]]` keys.
    let counts: &[(&str, &[CountRow])] = &[
        (
            // TRIPPLITE-PRODUCTS (Unsigned32): tlpDeviceNumDevices.0, tlpPduIdentNumPdu.0;
            // tlpPduIdentEntry of device 1: NumInputs(1), NumPhases(3), NumOutlets(4),
            // NumOutletGroups(5).
            "tripplite-pdu",
            &[
                ("units", "1.3.6.1.4.1.850.1.1.1.1.0", "Gauge32"),
                ("units", "1.3.6.1.4.1.850.1.1.3.2.1.1.0", "Gauge32"),
                ("inlets", "1.3.6.1.4.1.850.1.1.3.2.1.2.1.1.1", "Gauge32"),
                ("phases", "1.3.6.1.4.1.850.1.1.3.2.1.2.1.3.1", "Gauge32"),
                ("outlets", "1.3.6.1.4.1.850.1.1.3.2.1.2.1.4.1", "Gauge32"),
                (
                    "outlet_groups",
                    "1.3.6.1.4.1.850.1.1.3.2.1.2.1.5.1",
                    "Gauge32",
                ),
            ],
        ),
        (
            // CPS-MIB (INTEGER): ePDUIdentDeviceNumOutlets.0, ePDUIdentDeviceNumPhases.0,
            // ePDUIdentDeviceNumBreakers.0, ePDULoadDevNumPhases.0, ePDULoadDevNumBanks.0.
            "cyberpower-epdu",
            &[
                ("outlets", "1.3.6.1.4.1.3808.1.1.3.1.8.0", "INTEGER"),
                ("phases", "1.3.6.1.4.1.3808.1.1.3.1.9.0", "INTEGER"),
                ("outlet_groups", "1.3.6.1.4.1.3808.1.1.3.1.10.0", "INTEGER"),
                ("phases", "1.3.6.1.4.1.3808.1.1.3.2.1.2.0", "INTEGER"),
                ("outlet_groups", "1.3.6.1.4.1.3808.1.1.3.2.1.4.0", "INTEGER"),
            ],
        ),
        (
            // VERTIV-V5-MIB deviceCount.0 (Integer32); the MIB has no other count.
            "vertiv-geist",
            &[("units", "1.3.6.1.4.1.21239.5.2.1.6.0", "INTEGER")],
        ),
    ];
    for profile in pdusim::profiles::PROFILES {
        let listed = counts
            .iter()
            .find(|(v, _)| *v == profile.name())
            .map_or(0, |(_, rows)| {
                rows.iter().filter(|(key, _, _)| *key != "outlets").count()
            });
        assert_eq!(
            listed,
            profile.inventory().len(),
            "{}: this test must list every inventory object the profile serves",
            profile.name()
        );
    }
    // What the configured PDU is given, and what the recording says (different from both the
    // configuration and any default).
    let configured_counts = [
        ("outlets", 12),
        ("inlets", 2),
        ("phases", 3),
        ("outlet_groups", 3),
    ];
    let recorded_counts = [
        ("outlets", 10),
        ("inlets", 4),
        ("phases", 3),
        ("outlet_groups", 5),
        ("units", 2),
    ];
    let count_of =
        |list: &[(&str, u32)], key: &str| list.iter().find(|(k, _)| *k == key).map(|(_, n)| *n);
    let count_rows = |vendor: &str| {
        counts
            .iter()
            .find(|(v, _)| *v == vendor)
            .map_or(&[][..], |(_, rows)| *rows)
    };
    let state = tempfile::tempdir().unwrap();
    // Three PDUs per vendor: one configured, one with the profile's defaults, one with a
    // recording of its own.
    let mut text = String::new();
    for (vendor, fields) in table {
        for configured in [true, false] {
            text.push_str(&format!(
                "[[pdu]]\nname = \"{vendor}-{configured}\"\nvendor = \"{vendor}\"\nlisten = [\"127.0.0.1:0\"]\n"
            ));
            if configured {
                let mut keys: Vec<&str> = fields.iter().map(|(key, _)| *key).collect();
                keys.sort_unstable();
                keys.dedup();
                for key in keys {
                    text.push_str(&format!("{key} = \"{key}-of-{vendor}\"\n"));
                }
                // The counts this vendor reports (others are refused); outlets for every one.
                for (key, n) in configured_counts {
                    if key == "outlets" || count_rows(vendor).iter().any(|(k, _, _)| *k == key) {
                        text.push_str(&format!("{key} = {n}\n"));
                    }
                }
            }
            text.push_str("[[pdu.community]]\nname = \"public\"\naccess = \"read-only\"\n\n");
        }
        let mut lines: Vec<(Vec<u32>, String)> = Vec::new();
        for (i, (key, oid)) in fields.iter().enumerate() {
            lines.push((arcs(oid), format!("{oid}|4|rec-{key}-{i}")));
        }
        for (key, oid, ty) in count_rows(vendor) {
            let tag = if *ty == "Gauge32" { 66 } else { 2 };
            let n = count_of(&recorded_counts, key).unwrap();
            lines.push((arcs(oid), format!("{oid}|{tag}|{n}")));
        }
        lines.sort();
        let recording = state.path().join(format!("{vendor}.snmprec"));
        let body: Vec<String> = lines.into_iter().map(|(_, line)| line).collect();
        std::fs::write(&recording, body.join("\n") + "\n").unwrap();
        text.push_str(&format!(
            "[[pdu]]\nname = \"{vendor}-recorded\"\nvendor = \"{vendor}\"\nrecording = {:?}\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"public\"\naccess = \"read-only\"\n\n",
            recording.display().to_string()
        ));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(async {
            Simulator::start(config(&text, state.path()), Arc::new(MonotonicClock::new()))
        })
        .unwrap();
    let public = Sec::v2c("public");
    for (vendor, fields) in table {
        let rows = count_rows(vendor);
        let oids: Vec<&str> = fields
            .iter()
            .map(|(_, oid)| *oid)
            .chain(rows.iter().map(|(_, oid, _)| *oid))
            .collect();
        let read = |pdu: &str| {
            let target = format!("127.0.0.1:{}", sim.address(pdu).unwrap().port());
            let out = run_tool("snmpget", &public, &[], &target, &oids);
            out.expect_clean();
            out.varbinds()
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
        };
        let configured = read(&format!("{vendor}-true"));
        let defaults = read(&format!("{vendor}-false"));
        let recorded = read(&format!("{vendor}-recorded"));
        for (i, (key, oid)) in fields.iter().enumerate() {
            assert_eq!(
                configured[i],
                format!("STRING: \"{key}-of-{vendor}\""),
                "{vendor} {key} at {oid}"
            );
            assert_eq!(
                recorded[i],
                format!("STRING: \"rec-{key}-{i}\""),
                "{vendor} {key} at {oid}: the recording's value"
            );
            let default = &defaults[i];
            assert!(
                default.starts_with("STRING: \"") && default.len() > "STRING: \"\"".len() + 2,
                "{vendor} {key} at {oid} has no plausible default: {default}"
            );
            assert!(
                !default.contains("-of-") && !default.contains("rec-"),
                "{vendor} {key}: the default PDU got another's value: {default}"
            );
        }
        let default_outlets = sim
            .control
            .outlets(&format!("{vendor}-false"))
            .unwrap()
            .len();
        for (j, (key, oid, ty)) in rows.iter().enumerate() {
            let i = fields.len() + j;
            let number = |v: &str| {
                v.strip_prefix(&format!("{ty}: "))
                    .and_then(|n| n.parse::<u32>().ok())
                    .unwrap_or_else(|| panic!("{vendor} {key} at {oid} is no {ty}: {v}"))
            };
            // The configured PDU: its setting; units are the one unit served.
            let want = count_of(&configured_counts, key).unwrap_or(1);
            assert_eq!(number(&configured[i]), want, "{vendor} {key} at {oid}");
            let want = count_of(&recorded_counts, key).unwrap();
            assert_eq!(
                number(&recorded[i]),
                want,
                "{vendor} {key} at {oid}: the recording's value"
            );
            let default = number(&defaults[i]);
            let plausible = match *key {
                "outlets" => default as usize == default_outlets,
                "phases" => default == 1 || default == 3,
                "inlets" | "units" => default >= 1,
                _ => default as usize <= default_outlets,
            };
            assert!(
                plausible,
                "{vendor} {key} at {oid}: {default} is no plausible default ({default_outlets} outlets)"
            );
        }
        if rows.iter().any(|(key, _, _)| *key == "outlets") {
            let recorded_outlets = sim.control.outlets(&format!("{vendor}-recorded")).unwrap();
            assert_eq!(
                Some(recorded_outlets.len() as u32),
                count_of(&recorded_counts, "outlets"),
                "{vendor}: the PDU has the recording's outlet count"
            );
        }
    }
    drop(sim);
}

/// An inventory count object in a test table: (count, literal OID, SMI type as snmpget prints
/// it).
type CountRow = (&'static str, &'static str, &'static str);

/// `oid` (dotted, without a leading dot) as arcs, for sorting recording lines.
fn arcs(oid: &str) -> Vec<u32> {
    oid.split('.').map(|a| a.parse().unwrap()).collect()
}

/// The MIB-level quirks of `[pdu.quirks]` (docs/QUIRKS.md 10, 12, 14, 15, 16, 32) as net-snmp's
/// snmpwalk, snmpget and snmpset see them, at the literal OIDs of each vendor's MIB; and a quirk
/// that means nothing for its vendor is refused naming the key.
#[test]
fn mib_quirks_move_and_drop_rows_as_real_firmware_does() {
    let pdu = |name: &str, vendor: &str, outlets: u32, quirks: &str| {
        format!(
            "[[pdu]]\nname = \"{name}\"\nvendor = \"{vendor}\"\noutlets = {outlets}\nlisten = [\"127.0.0.1:0\"]\n[pdu.quirks]\n{quirks}\n[[pdu.community]]\nname = \"private\"\naccess = \"read-write\"\n\n"
        )
    };
    let text = [
        pdu(
            "gaps",
            "raritan-px2",
            6,
            "missing_outlets = [4]\nphantom_row = true",
        ),
        pdu("banks", "sentry3", 16, "bank_size = 8"),
        pdu("offset", "eaton-epdu", 4, "control_index_offset = 1"),
        pdu("shift", "sentry3", 4, "column_shift = 2"),
        pdu("legacy", "apc-rpdu2", 4, "legacy_tables_empty = true"),
        pdu("sentinel", "eaton-epdu", 2, "off_readings = \"sentinel\""),
    ]
    .concat();
    let state = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(async {
            Simulator::start(config(&text, state.path()), Arc::new(MonotonicClock::new()))
        })
        .unwrap();
    let private = Sec::v2c("private");
    let target = |pdu: &str| format!("127.0.0.1:{}", sim.address(pdu).unwrap().port());
    let walk = |pdu: &str, column: &str| -> Vec<(String, String)> {
        let out = run_tool("snmpwalk", &private, &[], &target(pdu), &[column]);
        out.expect_clean();
        out.varbinds()
            .into_iter()
            // An empty subtree: snmpwalk GETs the OID itself and prints "No Such Object/Instance".
            .filter(|(_, v)| !v.starts_with("No more variables") && !v.starts_with("No Such"))
            .map(|(oid, v)| (oid.trim_start_matches(&format!(".{column}")).to_string(), v))
            .collect()
    };
    let indexes = |rows: &[(String, String)]| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    let get = |pdu: &str, oid: &str| -> String {
        let out = run_tool("snmpget", &private, &[], &target(pdu), &[oid]);
        out.expect_clean();
        out.varbinds().remove(0).1
    };
    let set = |pdu: &str, oid: &str, v: &str| {
        run_tool("snmpset", &private, &[], &target(pdu), &[oid, "i", v]).expect_clean();
    };

    // 16: PDU2-MIB outletSwitchingState: no row 4, a phantom row 0 reading on(7).
    let rows = walk("gaps", "1.3.6.1.4.1.13742.6.4.1.2.1.3");
    assert_eq!(
        indexes(&rows),
        [".1.0", ".1.1", ".1.2", ".1.3", ".1.5", ".1.6"],
        "{rows:?}"
    );
    assert_eq!(rows[0].1, "INTEGER: 7");
    assert_eq!(
        get("gaps", "1.3.6.1.4.1.13742.6.4.1.2.1.2.1.4"),
        "No Such Instance currently exists at this OID"
    );

    // 15: Sentry3 outletStatus in two banks of 8; outletControlAction at 1.2.2 switches outlet 10.
    let rows = walk("banks", "1.3.6.1.4.1.1718.3.2.3.1.5");
    assert_eq!(rows.len(), 16, "{rows:?}");
    assert_eq!(rows[8].0, ".1.2.1");
    assert_eq!(rows[15].0, ".1.2.8");
    set("banks", "1.3.6.1.4.1.1718.3.2.3.1.11.1.2.2", "2");
    assert_eq!(
        get("banks", "1.3.6.1.4.1.1718.3.2.3.1.5.1.2.2"),
        "INTEGER: 0"
    );
    let outlets = sim.control.outlets("banks").unwrap();
    assert_eq!(outlets[9].power, pdusim::outlet::Power::Off);
    assert_eq!(outlets[1].power, pdusim::outlet::Power::On);

    // 10: EATON-EPDU-MIB outletControlOffCmd rows 0.2-0.5 beside outletControlStatus rows 0.1-0.4.
    let control = walk("offset", "1.3.6.1.4.1.534.6.6.7.6.6.1.3");
    let status = walk("offset", "1.3.6.1.4.1.534.6.6.7.6.6.1.2");
    assert_eq!(indexes(&control), [".0.2", ".0.3", ".0.4", ".0.5"]);
    assert_eq!(indexes(&status), [".0.1", ".0.2", ".0.3", ".0.4"]);
    set("offset", "1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.2", "0");
    assert_eq!(
        get("offset", "1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.1"),
        "INTEGER: 0"
    );

    // 14: the Sentry3 columns two up: outletName (.3) is served where outletStatus (.5) was.
    assert_eq!(
        get("shift", "1.3.6.1.4.1.1718.3.2.3.1.5.1.1.1"),
        "STRING: \"Outlet 1\""
    );
    assert_eq!(
        get("shift", "1.3.6.1.4.1.1718.3.2.3.1.7.1.1.1"),
        "INTEGER: 1"
    );

    // 12: sPDUOutletControlTable and rPDUOutletStatusTable empty, rPDU2 full.
    assert!(walk("legacy", "1.3.6.1.4.1.318.1.1.4.4.2").is_empty());
    assert!(walk("legacy", "1.3.6.1.4.1.318.1.1.12.3.5").is_empty());
    assert_eq!(walk("legacy", "1.3.6.1.4.1.318.1.1.26.9.2.3.1.5").len(), 4);

    // 32: EATON-EPDU-MIB outletCurrent reads -1 once the outlet is off; energy still counts.
    set("sentinel", "1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.2", "0");
    assert_eq!(
        get("sentinel", "1.3.6.1.4.1.534.6.6.7.6.4.1.3.0.2"),
        "INTEGER: -1"
    );
    assert_ne!(
        get("sentinel", "1.3.6.1.4.1.534.6.6.7.6.4.1.3.0.1"),
        "INTEGER: -1"
    );
    assert!(get("sentinel", "1.3.6.1.4.1.534.6.6.7.6.5.1.4.0.2").starts_with("INTEGER: "));
    drop(sim);

    // A quirk its vendor cannot have is refused where it enters, naming the key and the fix.
    let bad = pdu("flat", "raritan-px2", 8, "bank_size = 8");
    let err = FileConfig::parse(&bad, "test config")
        .unwrap()
        .validate("test config")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("pdu[0].quirks.bank_size") && err.contains("sentry3"),
        "{err}"
    );
}

/// Network UPS Tools' `snmp-ups` (Debian's nut-snmp), the real manager, detects every profile
/// it has a MIB mapping for: it matches sysObjectID, then reads the model object (PDU2-MIB
/// pduModel.1, PowerNet-MIB sPDUIdentModelNumber.0, EATON-EPDU-MIB productName.0, Baytech
/// sBTAModulesRPCType.1) and names the model it read. Its other vendors (CyberPower ePDU,
/// Tripp Lite, Vertiv/Geist, Sentry, Raritan PX1 with sysObjectID 13742.4) have no mapping in
/// it, whatever the agent serves.
#[test]
fn network_ups_tools_detects_the_profiles_it_supports() {
    const SNMP_UPS: &str = "/lib/nut/snmp-ups";
    assert!(
        std::path::Path::new(SNMP_UPS).exists(),
        "{SNMP_UPS} is missing: install Debian's nut-snmp (scripts/test.sh does)"
    );
    // (profile, the snmp-ups MIB mapping that must pick it).
    let supported = [
        ("raritan-px2", "raritan-px2"),
        ("apc-rpdu", "apc_pdu"),
        ("apc-rpdu2", "apc_pdu"),
        ("eaton-epdu", "eaton_epdu"),
        ("baytech-mrp", "baytech"),
    ];
    let text: String = supported
        .iter()
        .map(|(vendor, _)| {
            format!(
                "[[pdu]]\nname = \"{vendor}\"\nvendor = \"{vendor}\"\nmodel = \"nut-{vendor}\"\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"public\"\naccess = \"read-only\"\n\n"
            )
        })
        .collect();
    let state = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(async {
            Simulator::start(config(&text, state.path()), Arc::new(MonotonicClock::new()))
        })
        .unwrap();
    for (vendor, mib) in supported {
        let port = sim.address(vendor).unwrap().port();
        let mut child = std::process::Command::new(SNMP_UPS)
            .args(["-s", "pdusim", "-d", "1", "-x"])
            .arg(format!("port=127.0.0.1:{port}"))
            .args(["-x", "mibs=auto", "-x", "community=public"])
            .args(["-x", "snmp_version=v2c"])
            .env("NUT_STATEPATH", state.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {SNMP_UPS}: {e}"));
        // snmp-ups logs its verdict on stderr, then polls on: read up to the verdict and stop it.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let verdict = line.starts_with("Detected ") || line.contains("No supported");
                if tx.send(line).is_err() || verdict {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        // A guard against a hung tool, not a timing check.
        while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(120)) {
            let verdict = line.starts_with("Detected ") || line.contains("No supported");
            seen.push(line);
            if verdict {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let want = format!("Detected nut-{vendor} on host 127.0.0.1:{port} (mib: {mib} ");
        assert!(
            seen.last().is_some_and(|l| l.starts_with(&want)),
            "{vendor}: snmp-ups did not say {want:?}; it said:\n{}",
            seen.join("\n")
        );
    }
    drop(sim);
}
