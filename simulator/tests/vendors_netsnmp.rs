//! Every vendor profile through net-snmp's own tools against a running `pdusim serve`, with the
//! literal OIDs from VENDORS.md (never constants from the code under test): switch on and off,
//! cycle, delayed commands and their pending states, cancel, bad values, command read-back,
//! names, counts, and metering that is zero when off.

mod common;

use std::time::Duration;

use common::{wait_until, Sec, Sim};

fn rw() -> Sec {
    Sec::v2c("private")
}

fn start(vendor: &str) -> Sim {
    Sim::start(&[
        "--vendor",
        vendor,
        "--outlets",
        "8",
        "--community",
        "private:rw",
        "--power-off-period",
        "2",
    ])
}

#[track_caller]
fn set_int(sim: &Sim, oid: &str, value: i64) {
    sim.set(&rw(), &[oid, "i", &value.to_string()])
        .expect_clean();
}

#[track_caller]
fn set_refused(sim: &Sim, oid: &str, value: i64, reason: &str) {
    let out = sim.set(&rw(), &[oid, "i", &value.to_string()]);
    assert!(
        !out.ok() && out.all_output().contains(reason),
        "{}\n{}",
        out.cmdline,
        out.describe()
    );
}

#[track_caller]
fn num(sim: &Sim, oid: &str) -> i64 {
    sim.get_number(&rw(), oid)
}

#[track_caller]
fn wait_for(sim: &Sim, oid: &str, want: i64) {
    let ok = wait_until(Duration::from_secs(15), || num(sim, oid) == want);
    assert!(ok, "{oid} never became {want}; it reads {}", num(sim, oid));
}

#[test]
fn apc_rpdu2_tables_agree_through_snmpset() {
    let sim = start("apc-rpdu2");
    let s_ctl = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3";
    let r_cmd = ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4";
    let r_state = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4";
    let r2_state = ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.5";
    let r2_cmd = ".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5";
    let r2_pending = ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.6";
    let master = ".1.3.6.1.4.1.318.1.1.4.2.2.0";
    assert_eq!(
        sim.get_value(&rw(), "1.3.6.1.2.1.1.2.0"),
        "OID: .1.3.6.1.4.1.318.1.3.4.6"
    );
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.26.9.1.0"), 8);
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.12.1.8.0"), 8);
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.4.4.1.0"), 8);

    // Off through rPDU2: rPDU2 off(1), rPDU off(2), sPDU outletOff(2), master "Off".
    set_int(&sim, &format!("{r2_cmd}.3"), 2);
    assert_eq!(num(&sim, &format!("{r2_state}.3")), 1);
    assert_eq!(num(&sim, &format!("{r_state}.3")), 2);
    assert_eq!(num(&sim, &format!("{s_ctl}.3")), 2);
    assert_eq!(num(&sim, &format!("{r_cmd}.3")), 2);
    assert_eq!(num(&sim, &format!("{r2_cmd}.3")), 2);
    assert_eq!(
        sim.get_value(&rw(), master),
        "STRING: \"On  On  Off On  On  On  On  On  \""
    );
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.3"), 0);
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.3"), 0);
    assert!(num(&sim, ".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.4") > 0);
    // On through sPDU.
    set_int(&sim, &format!("{s_ctl}.3"), 1);
    assert_eq!(num(&sim, &format!("{r2_state}.3")), 2);
    // Cycle through rPDU: off now, on after the 2 s period.
    set_int(&sim, &format!("{r_cmd}.4"), 3);
    assert_eq!(num(&sim, &format!("{r2_state}.4")), 1);
    assert_eq!(num(&sim, &format!("{r2_pending}.4")), 1);
    wait_for(&sim, &format!("{r2_state}.4"), 2);
    assert_eq!(num(&sim, &format!("{r2_pending}.4")), 2);
    // Delayed off after PowerOffTime (1 s), pending meanwhile; then a cancelled delayed on.
    set_int(&sim, ".1.3.6.1.4.1.318.1.1.26.9.2.1.1.6.5", 1);
    set_int(&sim, &format!("{r2_cmd}.5"), 6);
    wait_for(&sim, &format!("{r2_state}.5"), 1);
    set_int(&sim, ".1.3.6.1.4.1.318.1.1.26.9.2.1.1.5.5", 60);
    set_int(&sim, &format!("{r2_cmd}.5"), 5);
    assert_eq!(num(&sim, &format!("{r2_pending}.5")), 1);
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5.5"), 1);
    set_int(&sim, &format!("{r2_cmd}.5"), 8);
    assert_eq!(num(&sim, &format!("{r2_pending}.5")), 2);
    assert_eq!(num(&sim, &format!("{r2_state}.5")), 1);
    // All on through the master switch, which reads noCommand(6).
    set_int(&sim, ".1.3.6.1.4.1.318.1.1.4.2.1.0", 1);
    assert_eq!(
        sim.get_value(&rw(), master),
        "STRING: \"On  On  On  On  On  On  On  On  \""
    );
    assert_eq!(num(&sim, ".1.3.6.1.4.1.318.1.1.4.2.1.0"), 6);
    // Values PowerNet-MIB does not allow.
    set_refused(&sim, &format!("{r2_cmd}.1"), 4, "wrongValue");
    set_refused(&sim, &format!("{r2_cmd}.1"), 9, "wrongValue");
    set_refused(&sim, &format!("{s_ctl}.1"), 4, "wrongValue");
    set_refused(
        &sim,
        ".1.3.6.1.4.1.318.1.1.26.9.2.1.1.7.1",
        61,
        "wrongValue",
    );
    set_refused(&sim, &format!("{r2_state}.1"), 1, "notWritable");
    // Names: write in rPDU2, read in rPDU.
    sim.set(
        &rw(),
        &[".1.3.6.1.4.1.318.1.1.26.9.2.1.1.3.2", "s", "db-01"],
    )
    .expect_clean();
    assert_eq!(
        sim.get_value(&rw(), ".1.3.6.1.4.1.318.1.1.12.3.4.1.1.2.2"),
        "STRING: \"db-01\""
    );
}

#[test]
fn eaton_epdu_countdowns_through_snmpset() {
    let sim = start("eaton-epdu");
    let status = ".1.3.6.1.4.1.534.6.6.7.6.6.1.2.0";
    let off = ".1.3.6.1.4.1.534.6.6.7.6.6.1.3.0";
    let on = ".1.3.6.1.4.1.534.6.6.7.6.6.1.4.0";
    let reboot = ".1.3.6.1.4.1.534.6.6.7.6.6.1.5.0";
    assert_eq!(
        sim.get_value(&rw(), "1.3.6.1.2.1.1.2.0"),
        "OID: .1.3.6.1.4.1.534.6.6.7"
    );
    assert_eq!(num(&sim, ".1.3.6.1.4.1.534.6.6.7.1.2.1.22.0"), 8);
    assert_eq!(num(&sim, &format!("{off}.1")), -1);
    set_int(&sim, &format!("{off}.1"), 0);
    assert_eq!(num(&sim, &format!("{status}.1")), 0);
    assert_eq!(num(&sim, ".1.3.6.1.4.1.534.6.6.7.6.5.1.3.0.1"), 0);
    assert_eq!(num(&sim, ".1.3.6.1.4.1.534.6.6.7.6.4.1.3.0.1"), 0);
    assert!(num(&sim, ".1.3.6.1.4.1.534.6.6.7.6.5.1.3.0.2") > 0);
    // labgrid's on: 1 (one second): pendingOn(3) with a countdown, then on(1).
    set_int(&sim, &format!("{on}.1"), 1);
    assert_eq!(num(&sim, &format!("{status}.1")), 3);
    assert!((0..=1).contains(&num(&sim, &format!("{on}.1"))));
    wait_for(&sim, &format!("{status}.1"), 1);
    assert_eq!(num(&sim, &format!("{on}.1")), -1);
    // A long delayed off, counted down, then cancelled with -1.
    set_int(&sim, &format!("{off}.2"), 300);
    assert_eq!(num(&sim, &format!("{status}.2")), 2);
    let left = num(&sim, &format!("{off}.2"));
    assert!((290..=300).contains(&left), "countdown {left}");
    set_int(&sim, &format!("{off}.2"), -1);
    assert_eq!(num(&sim, &format!("{off}.2")), -1);
    assert_eq!(num(&sim, &format!("{status}.2")), 1);
    // Reboot now: pendingOn while off, on after outletControlRebootOffTime.
    set_int(&sim, &format!("{reboot}.3"), 0);
    assert_eq!(num(&sim, &format!("{status}.3")), 3);
    wait_for(&sim, &format!("{status}.3"), 1);
    set_refused(&sim, &format!("{on}.1"), -2, "wrongValue");
    set_refused(&sim, &format!("{on}.1"), 100000, "wrongValue");
    set_refused(&sim, &format!("{status}.1"), 1, "notWritable");
    sim.set(&rw(), &[".1.3.6.1.4.1.534.6.6.7.6.1.1.3.0.4", "s", "nas"])
        .expect_clean();
    assert_eq!(
        sim.get_value(&rw(), ".1.3.6.1.4.1.534.6.6.7.6.1.1.3.0.4"),
        "STRING: \"nas\""
    );
}

/// Each vendor: off, on and cycle as its MIB says, read back in its state column and its
/// command column, and a value its MIB does not allow.
struct Case {
    vendor: &'static str,
    sys_object_id: &'static str,
    control: &'static str,
    state: &'static str,
    on: i64,
    off: i64,
    cycle: i64,
    state_on: i64,
    state_off: i64,
    /// What the control column reads with the outlet off.
    control_reads_off: i64,
    bad: i64,
}

const CASES: &[Case] = &[
    Case {
        vendor: "raritan-px2",
        sys_object_id: ".1.3.6.1.4.1.13742.6",
        control: ".1.3.6.1.4.1.13742.6.4.1.2.1.2.1",
        state: ".1.3.6.1.4.1.13742.6.4.1.2.1.3.1",
        on: 1,
        off: 0,
        cycle: 2,
        state_on: 7,
        state_off: 8,
        control_reads_off: 0,
        bad: 3,
    },
    Case {
        vendor: "raritan-px1",
        sys_object_id: ".1.3.6.1.4.1.13742.4",
        control: ".1.3.6.1.4.1.13742.4.1.2.2.1.3",
        state: ".1.3.6.1.4.1.13742.4.1.2.2.1.3",
        on: 1,
        off: 0,
        cycle: 2,
        state_on: 1,
        state_off: 0,
        control_reads_off: 0,
        bad: -1,
    },
    Case {
        vendor: "apc-rpdu",
        sys_object_id: ".1.3.6.1.4.1.318.1.3.4.5",
        control: ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4",
        state: ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4",
        on: 1,
        off: 2,
        cycle: 3,
        state_on: 1,
        state_off: 2,
        control_reads_off: 2,
        bad: 8,
    },
    Case {
        vendor: "sentry3",
        sys_object_id: ".1.3.6.1.4.1.1718.3",
        control: ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1",
        state: ".1.3.6.1.4.1.1718.3.2.3.1.5.1.1",
        on: 1,
        off: 2,
        cycle: 3,
        state_on: 1,
        state_off: 0,
        control_reads_off: 0,
        bad: 4,
    },
    Case {
        vendor: "sentry4",
        sys_object_id: ".1.3.6.1.4.1.1718.4",
        control: ".1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1",
        state: ".1.3.6.1.4.1.1718.4.1.8.3.1.1.1.1",
        on: 1,
        off: 2,
        cycle: 3,
        state_on: 1,
        state_off: 2,
        control_reads_off: 0,
        bad: 7,
    },
    Case {
        vendor: "cyberpower-epdu",
        sys_object_id: ".1.3.6.1.4.1.3808.1.1.3",
        control: ".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4",
        state: ".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4",
        on: 1,
        off: 2,
        cycle: 3,
        state_on: 1,
        state_off: 2,
        control_reads_off: 2,
        bad: 9,
    },
    Case {
        vendor: "tripplite-pdu",
        sys_object_id: ".1.3.6.1.4.1.850.1.1.1",
        control: ".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.6.1",
        state: ".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.4.1",
        on: 2,
        off: 1,
        cycle: 3,
        state_on: 2,
        state_off: 1,
        control_reads_off: 0,
        bad: 4,
    },
    Case {
        vendor: "vertiv-geist",
        sys_object_id: ".1.3.6.1.4.1.21239.5",
        control: ".1.3.6.1.4.1.21239.5.2.3.5.1.6",
        state: ".1.3.6.1.4.1.21239.5.2.3.5.1.4",
        on: 2,
        off: 4,
        cycle: 6,
        state_on: 1,
        state_off: 2,
        control_reads_off: 8,
        bad: 9,
    },
    Case {
        vendor: "baytech-mrp",
        sys_object_id: ".1.3.6.1.4.1.4779",
        control: ".1.3.6.1.4.1.4779.1.3.5.3.1.3.1",
        state: ".1.3.6.1.4.1.4779.1.3.5.3.1.3.1",
        on: 1,
        off: 0,
        cycle: 2,
        state_on: 1,
        state_off: 0,
        control_reads_off: 0,
        bad: 6,
    },
];

#[test]
fn every_vendor_switches_as_its_mib_says() {
    for case in CASES {
        let sim = start(case.vendor);
        let v = case.vendor;
        assert_eq!(
            sim.get_value(&rw(), "1.3.6.1.2.1.1.2.0"),
            format!("OID: {}", case.sys_object_id),
            "{v}"
        );
        let (control, state) = (format!("{}.5", case.control), format!("{}.5", case.state));
        assert_eq!(num(&sim, &state), case.state_on, "{v} starts on");
        set_int(&sim, &control, case.off);
        assert_eq!(num(&sim, &state), case.state_off, "{v} off");
        assert_eq!(
            num(&sim, &control),
            case.control_reads_off,
            "{v} control read-back"
        );
        set_int(&sim, &control, case.on);
        assert_eq!(num(&sim, &state), case.state_on, "{v} on");
        set_int(&sim, &control, case.cycle);
        wait_for(&sim, &state, case.state_on);
        set_refused(&sim, &control, case.bad, "wrongValue");
    }
}
