#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! Every vendor profile through net-snmp's own tools against a running `pdusim serve`, with the
//! literal OIDs from the vendor MIBs (never constants from the code under test): switch on and off,
//! cycle, delayed commands and their pending states, cancel, bad values, command read-back,
//! names, counts, and metering that is zero when off. Each object is
//! written with a comment naming the MIB object.
//!
//! One `#[test]` per vendor (plus one APC consistency test per APC profile) so libtest runs them
//! in parallel. Checks are soft: a vendor's test runs all its items, then fails listing every
//! mismatch, and a vendor × item table is written to stderr once all of them have run.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use pdu_test_support::{parse_number, NetSnmp, PdusimProcess, Sec};

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

// ---------------------------------------------------------------------------------------------
// Soft checks and the vendor × item table
// ---------------------------------------------------------------------------------------------

const ITEMS: [&str; 12] = [
    "on",
    "off",
    "cycle",
    "delayed",
    "pending",
    "cancel",
    "badValue",
    "readBack",
    "names",
    "count",
    "metering",
    "consistency",
];
/// How many `#[test]` functions in this file report a row (one per vendor with a dedicated
/// test, plus the two APC consistency tests). A profile without a dedicated test here is still
/// switched through net-snmp by `tests/every_profile.rs`.
const REPORTERS: usize = 13;
/// `--power-off-period`, in seconds: how long a cycle keeps an outlet off. Every delay these
/// tests write (PowerOnTime, PowerOffTime, OnCmd = n, pduOutletSwitchRebootDelay, ...) is this
/// long too, so each transitional state they check (off during a cycle, pending or still on
/// before a delayed command acts) holds for at least PERIOD after the SET that starts it.
const PERIOD: i64 = 4;
/// How soon after its SET a transitional state must be read for `Run::during` to count it: well
/// inside PERIOD, so that only a badly stalled machine answers later, and a later answer fails.
const WINDOW: Duration = Duration::from_millis(2500);
const _: () = assert!(WINDOW.as_millis() < PERIOD as u128 * 1000);
/// How long `wait` polls for a pending action's result before it fails: far beyond the longest
/// action here (an APC delayed reboot, PowerOffTime + RebootDuration + PowerOnTime = 3 × PERIOD);
/// a passing run never waits this long.
const DEADLINE: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Mark {
    NotApplicable,
    Pass,
    Fail,
}

static ROWS: Mutex<BTreeMap<String, BTreeMap<&'static str, Mark>>> = Mutex::new(BTreeMap::new());
static FINISHED: AtomicUsize = AtomicUsize::new(0);

fn rw() -> Sec {
    Sec::v2c("private")
}
fn ro() -> Sec {
    Sec::v2c("public")
}

fn start(vendor: &str, power_off_period: i64) -> PdusimProcess {
    PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            vendor,
            "--outlets",
            "8",
            "--community",
            "private:rw",
            "--community",
            "public",
            "--power-off-period",
            &power_off_period.to_string(),
        ],
    )
}

/// One vendor's run: the simulator, the item being checked, and what went wrong.
struct Run {
    sim: PdusimProcess,
    vendor: &'static str,
    item: &'static str,
    marks: BTreeMap<&'static str, Mark>,
    failures: Vec<String>,
    /// Set by `finish`, whose own panic is not an unexpected one.
    finished: bool,
}

impl Run {
    fn new(vendor: &'static str) -> Run {
        Run::with_period(vendor, PERIOD)
    }

    /// A run whose simulator cycles outlets for `power_off_period` seconds.
    fn with_period(vendor: &'static str, power_off_period: i64) -> Run {
        Run {
            sim: start(vendor, power_off_period),
            vendor,
            item: "count",
            marks: BTreeMap::new(),
            failures: Vec::new(),
            finished: false,
        }
    }

    /// The item the following checks belong to.
    fn item(&mut self, item: &'static str) {
        assert!(ITEMS.contains(&item), "unknown item {item}");
        self.item = item;
        self.marks.entry(item).or_insert(Mark::Pass);
    }

    /// Items this vendor's MIB has no counterpart for.
    fn not_applicable(&mut self, items: &[&'static str]) {
        for item in items {
            self.marks.entry(item).or_insert(Mark::NotApplicable);
        }
    }

    fn fail(&mut self, msg: String) {
        self.marks.insert(self.item, Mark::Fail);
        self.failures
            .push(format!("[{} / {}] {msg}", self.vendor, self.item));
    }

    /// After a timeout: is the agent still running, and what did it print?
    fn diagnose(&mut self, tool_stderr: &str) -> String {
        if !tool_stderr.contains("Timeout") {
            return String::new();
        }
        let running = self.sim.is_running();
        format!(
            "agent {} on port {}; its stderr:\n{}",
            if running { "still running" } else { "EXITED" },
            self.sim.port(),
            self.sim.stderr()
        )
    }

    /// GETs several objects in one request: their printed values, in order.
    fn get_values(&mut self, oids: &[&str]) -> Option<Vec<String>> {
        let out = self.sim.get(&ro(), oids);
        let vbs = out.varbinds();
        if !out.ok() || !out.stderr.trim().is_empty() || vbs.len() != oids.len() {
            let diag = self.diagnose(&out.stderr);
            self.fail(format!(
                "GET failed: {}\n{}{diag}",
                out.cmdline,
                out.describe()
            ));
            return None;
        }
        Some(vbs.into_iter().map(|(_, v)| v).collect())
    }

    fn value(&mut self, oid: &str) -> Option<String> {
        self.get_values(&[oid]).and_then(|v| v.into_iter().next())
    }

    fn num(&mut self, oid: &str) -> Option<i64> {
        let v = self.value(oid)?;
        let n = parse_number(&v);
        if n.is_none() {
            self.fail(format!("{oid}: not a number: {v}"));
        }
        n
    }

    /// A DisplayString's text, without net-snmp's quotes.
    fn text(&mut self, oid: &str) -> Option<String> {
        let v = self.value(oid)?;
        match v.strip_prefix("STRING: ") {
            Some(s) => Some(s.trim_matches('"').to_string()),
            None if v == "\"\"" => Some(String::new()),
            None => {
                self.fail(format!("{oid}: not a string: {v}"));
                None
            }
        }
    }

    #[track_caller]
    fn is(&mut self, oid: &str, want: i64, why: &str) -> bool {
        self.is_in(oid, &[want], why)
    }

    #[track_caller]
    fn is_in(&mut self, oid: &str, wants: &[i64], why: &str) -> bool {
        match self.num(oid) {
            Some(n) if wants.contains(&n) => true,
            Some(n) => {
                let at = std::panic::Location::caller().line();
                self.fail(format!("{why}: {oid} = {n}, want {wants:?} (line {at})"));
                false
            }
            None => false,
        }
    }

    #[track_caller]
    fn positive(&mut self, oid: &str, why: &str) {
        if let Some(n) = self.num(oid) {
            if n <= 0 {
                let at = std::panic::Location::caller().line();
                self.fail(format!("{why}: {oid} = {n}, want > 0 (line {at})"));
            }
        }
    }

    #[track_caller]
    fn text_is(&mut self, oid: &str, want: &str, why: &str) {
        if let Some(t) = self.text(oid) {
            if t != want {
                let at = std::panic::Location::caller().line();
                self.fail(format!("{why}: {oid} = {t:?}, want {want:?} (line {at})"));
            }
        }
    }

    /// snmpset OID TYPE VALUE, expected to succeed.
    #[track_caller]
    fn set_typed(&mut self, oid: &str, ty: &str, value: &str) -> bool {
        let out = self.sim.set(&rw(), &[oid, ty, value]);
        if out.ok() && out.stderr.trim().is_empty() {
            return true;
        }
        let at = std::panic::Location::caller().line();
        self.fail(format!(
            "SET refused (line {at}): {}\n{}",
            out.cmdline,
            out.describe()
        ));
        false
    }

    #[track_caller]
    fn set(&mut self, oid: &str, value: i64) -> bool {
        self.set_typed(oid, "i", &value.to_string())
    }

    /// snmpset expected to fail with `reason` (wrongValue, notWritable, ...).
    #[track_caller]
    fn refused_typed(&mut self, oid: &str, ty: &str, value: &str, reason: &str) {
        let out = self.sim.set(&rw(), &[oid, ty, value]);
        if !out.ok() && out.all_output().contains(reason) {
            return;
        }
        let at = std::panic::Location::caller().line();
        self.fail(format!(
            "want {reason} (line {at}): {}\n{}",
            out.cmdline,
            out.describe()
        ));
    }

    #[track_caller]
    fn refused(&mut self, oid: &str, value: i64, reason: &str) {
        self.refused_typed(oid, "i", &value.to_string(), reason)
    }

    /// Reads `oid` and expects one of `wants`: a state that the SET made just after `since`
    /// started and that holds until at least `within` after `since`. Only an answer that came
    /// back inside that window shows the state; a later one fails the item (the check could not
    /// be made in time), so a wrong value can never pass for a late one.
    #[track_caller]
    fn during(&mut self, since: Instant, within: Duration, oid: &str, wants: &[i64], why: &str) {
        let got = self.num(oid);
        let took = since.elapsed();
        let at = std::panic::Location::caller().line();
        if took >= within {
            let got = got.map_or_else(|| "nothing".to_string(), |n| n.to_string());
            self.fail(format!(
                "{why}: could not be checked in time: {oid} read {got} {:.2} s after the \
                 command, but the state is only sure to hold for {:.2} s (line {at})",
                took.as_secs_f64(),
                within.as_secs_f64()
            ));
            return;
        }
        if let Some(n) = got {
            if !wants.contains(&n) {
                self.fail(format!("{why}: {oid} = {n}, want {wants:?} (line {at})"));
            }
        }
    }

    /// Polls until `oid` reads one of `wants` (deadline: DEADLINE); false (and a failure) if it
    /// never did.
    #[track_caller]
    fn wait(&mut self, oid: &str, wants: &[i64], why: &str) -> bool {
        let end = Instant::now() + DEADLINE;
        let mut last = None;
        loop {
            let out = self.sim.get(&ro(), &[oid]);
            let n = out.varbinds().first().and_then(|(_, v)| parse_number(v));
            if let Some(n) = n {
                if wants.contains(&n) {
                    return true;
                }
            }
            last = n.or(last);
            if Instant::now() >= end {
                let at = std::panic::Location::caller().line();
                self.fail(format!(
                    "{why}: {oid} never read {wants:?} within {DEADLINE:?}; last {last:?} (line {at})"
                ));
                return false;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Walks `column` and expects `want` rows (one per outlet).
    #[track_caller]
    fn rows(&mut self, column: &str, want: usize, why: &str) {
        let out = self.sim.walk(&ro(), column);
        let n = out.varbinds().len();
        if !out.ok() || n != want {
            let at = std::panic::Location::caller().line();
            self.fail(format!(
                "{why}: walk of {column} gave {n} rows, want {want} (line {at})\n{}",
                out.describe()
            ));
        }
    }

    fn sys_object_id(&mut self, want: &str) {
        if let Some(v) = self.value("1.3.6.1.2.1.1.2.0") {
            if v != format!("OID: {want}") {
                self.fail(format!("sysObjectID {v}, want {want}"));
            }
        }
    }

    /// Fails the test with every mismatch found.
    fn finish(mut self) {
        self.finished = true;
        if !self.failures.is_empty() {
            panic!(
                "{} check(s) failed for {}:\n{}",
                self.failures.len(),
                self.vendor,
                self.failures.join("\n")
            );
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if thread::panicking() && !self.finished {
            // An unexpected panic: whatever item was under way did not pass.
            self.marks.insert(self.item, Mark::Fail);
        }
        let all_done = {
            let mut rows = ROWS.lock().unwrap_or_else(|e| e.into_inner());
            let row = rows.entry(self.vendor.to_string()).or_default();
            for (item, mark) in &self.marks {
                let m = row.entry(item).or_insert(*mark);
                *m = (*m).max(*mark);
            }
            FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == REPORTERS
        };
        if all_done {
            print_table();
        }
    }
}

/// Writes the vendor × item table straight to stderr (past libtest's output capture).
fn print_table() {
    let rows = ROWS.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = String::from("\nvendor × item (ok = checked and passed, BUG = a check failed, - = not in this vendor's MIB, ? = not reached)\n");
    s.push_str(&format!("{:<16}", "vendor"));
    for item in ITEMS {
        s.push_str(&format!(" {item:>11}"));
    }
    s.push('\n');
    // Rows in the order `pdusim vendors` lists the profiles.
    for vendor in pdusim::profiles::PROFILES.iter().map(|p| p.name()) {
        let Some(row) = rows.get(vendor) else {
            continue;
        };
        s.push_str(&format!("{vendor:<16}"));
        for item in ITEMS {
            let m = match row.get(item) {
                Some(Mark::Pass) => "ok",
                Some(Mark::Fail) => "BUG",
                Some(Mark::NotApplicable) => "-",
                None => "?",
            };
            s.push_str(&format!(" {m:>11}"));
        }
        s.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(s.as_bytes());
}

fn o(column: &str, outlet: u32) -> String {
    format!("{column}.{outlet}")
}

// ---------------------------------------------------------------------------------------------
// Raritan PX2/PX3 — PDU2-MIB, index <pduId>.<outlet>, pduId 1
// ---------------------------------------------------------------------------------------------

#[test]
fn raritan_px2() {
    let mut r = Run::new("raritan-px2");
    let op = ".1.3.6.1.4.1.13742.6.4.1.2.1.2.1"; // switchingOperation off(0) on(1) cycle(2)
    let st = ".1.3.6.1.4.1.13742.6.4.1.2.1.3.1"; // outletSwitchingState on(7) off(8)
    let sensor = ".1.3.6.1.4.1.13742.6.5.4.3.1.4.1"; // measurementsOutletSensorValue.1.N.type
    r.not_applicable(&["delayed", "pending", "cancel", "consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.13742.6");
    r.is(".1.3.6.1.4.1.13742.6.3.2.2.1.4.1", 8, "outletCount");
    r.is(".1.3.6.1.4.1.13742.6.3.1.0", 1, "pduCount");
    r.rows(st, 8, "outletSwitchingState rows");

    // Cycle first, so its period runs while the rest is checked.
    r.item("cycle");
    r.is(
        ".1.3.6.1.4.1.13742.6.3.5.3.1.12.1.3",
        PERIOD,
        "outletPowerCyclingPowerOffPeriod from --power-off-period",
    );
    let t = Instant::now();
    r.set(&o(op, 3), 2);
    r.during(t, WINDOW, &o(st, 3), &[8], "off during the cycle");

    r.item("off");
    r.is(&o(st, 1), 7, "starts on");
    r.set(&o(op, 1), 0);
    r.is(&o(st, 1), 8, "off");
    r.item("readBack");
    r.is(&o(op, 1), 0, "switchingOperation reads the state: off(0)");
    r.item("metering");
    r.is(&format!("{sensor}.1.5"), 0, "activePower when off");
    r.is(&format!("{sensor}.1.1"), 0, "rmsCurrent when off");
    r.positive(&format!("{sensor}.2.5"), "activePower when on");
    r.positive(&format!("{sensor}.2.1"), "rmsCurrent when on");
    r.item("on");
    r.set(&o(op, 1), 1);
    r.is(&o(st, 1), 7, "on");
    r.item("readBack");
    r.is(&o(op, 1), 1, "switchingOperation reads on(1)");
    r.item("metering");
    r.positive(&format!("{sensor}.1.5"), "activePower back on");

    r.item("badValue");
    r.refused(&o(op, 8), 3, "wrongValue");
    r.refused(&o(op, 8), -1, "wrongValue");
    r.refused(&o(st, 8), 7, "notWritable");
    r.refused(&o(op, 9), 1, "noCreation");

    r.item("names");
    r.set_typed(".1.3.6.1.4.1.13742.6.3.5.3.1.3.1.2", "s", "db-01"); // outletName (rw)
    r.text_is(".1.3.6.1.4.1.13742.6.3.5.3.1.3.1.2", "db-01", "outletName");
    r.text_is(".1.3.6.1.4.1.13742.6.3.5.3.1.2.1.2", "2", "outletLabel"); // read-only
    r.refused_typed(
        ".1.3.6.1.4.1.13742.6.3.5.3.1.2.1.2",
        "s",
        "x",
        "notWritable",
    );

    r.item("cycle");
    r.wait(&o(st, 3), &[7], "on again after the period");
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Raritan PX1 — PDU-MIB, one read-write column: error(-1) off(0) on(1) cycling(2)
// ---------------------------------------------------------------------------------------------

#[test]
fn raritan_px1() {
    let mut r = Run::new("raritan-px1");
    let op = ".1.3.6.1.4.1.13742.4.1.2.2.1.3"; // outletOperationalState (rw)
    r.not_applicable(&["delayed", "cancel", "consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.13742.4");
    r.is(".1.3.6.1.4.1.13742.4.1.2.1.0", 8, "outletCount");
    r.rows(op, 8, "outletOperationalState rows");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(op, 3), 2);
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(op, 3),
        &[2],
        "cycling(2) while the cycle keeps it off",
    );

    r.item("off");
    r.is(&o(op, 1), 1, "starts on");
    r.set(&o(op, 1), 0);
    r.item("readBack");
    r.is(&o(op, 1), 0, "reads off(0)");
    r.item("metering");
    // PDU-MIB meters every outlet: outletCurrent (.4, mA) and outletActivePower (.7, W) in
    // outletEntry `.1.3.6.1.4.1.13742.4.1.2.2.1`.
    r.is(
        ".1.3.6.1.4.1.13742.4.1.2.2.1.7.1",
        0,
        "PDU-MIB outletActivePower when off",
    );
    r.is(
        ".1.3.6.1.4.1.13742.4.1.2.2.1.4.1",
        0,
        "PDU-MIB outletCurrent when off",
    );
    r.positive(
        ".1.3.6.1.4.1.13742.4.1.2.2.1.7.2",
        "PDU-MIB outletActivePower when on",
    );
    r.item("on");
    r.set(&o(op, 1), 1);
    r.is(&o(op, 1), 1, "on(1)");

    r.item("badValue");
    r.refused(&o(op, 8), -1, "wrongValue"); // error(-1) is a state, not a command
    r.refused(&o(op, 8), 3, "wrongValue");

    r.item("names");
    r.text(".1.3.6.1.4.1.13742.4.1.2.2.1.2.4"); // readable before any write
    r.set_typed(".1.3.6.1.4.1.13742.4.1.2.2.1.2.4", "s", "r1"); // outletLabel (rw)
    r.text_is(".1.3.6.1.4.1.13742.4.1.2.2.1.2.4", "r1", "outletLabel");

    r.item("cycle");
    r.wait(&o(op, 3), &[1], "on(1) after the period");
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// APC — PowerNet-MIB. Shared by apc-rpdu (AP79xx: sPDU + rPDU) and apc-rpdu2 (+ rPDU2).
// ---------------------------------------------------------------------------------------------

const S_CTL: &str = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3"; // sPDUOutletCtl on(1) off(2) reboot(3)...
const S_PENDING: &str = ".1.3.6.1.4.1.318.1.1.4.4.2.1.2"; // sPDUOutletPending 1 / 2
const S_CTL_NAME: &str = ".1.3.6.1.4.1.318.1.1.4.4.2.1.4";
const S_MASTER_SWITCH: &str = ".1.3.6.1.4.1.318.1.1.4.2.1.0";
const S_MASTER_STATE: &str = ".1.3.6.1.4.1.318.1.1.4.2.2.0";
/// sPDUMasterPending (PowerNet-MIB `.4.2.3.0`, "Yes "/"No  " per outlet; a column the driver does not use,
/// quoted by the apc-rpdu profile's own test).
const S_MASTER_PENDING: &str = ".1.3.6.1.4.1.318.1.1.4.2.3.0";
const R_DEV_COMMAND: &str = ".1.3.6.1.4.1.318.1.1.12.3.1.1.0";
const R_CMD: &str = ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4"; // rPDUOutletControlOutletCommand
const R_CTL_NAME: &str = ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.2";
const R_CFG_NAME: &str = ".1.3.6.1.4.1.318.1.1.12.3.4.1.1.2";
const R_ON_TIME: &str = ".1.3.6.1.4.1.318.1.1.12.3.4.1.1.4";
const R_OFF_TIME: &str = ".1.3.6.1.4.1.318.1.1.12.3.4.1.1.5";
const R_REBOOT_DURATION: &str = ".1.3.6.1.4.1.318.1.1.12.3.4.1.1.6";
const R_STATE: &str = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4"; // on(1) off(2)
const R_PENDING: &str = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.5"; // pending(1) none(2)
const R_LOAD: &str = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.7"; // 0.1 A
const R2_CFG_NAME: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.1.1.3";
const R2_STATE: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.5"; // off(1) on(2)
const R2_PENDING: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.6";
const R2_CMD: &str = ".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5";

/// Starts an APC delayed reboot of `outlet` (`command` = `value`) and checks that the outlet is
/// still on, with the command pending, before PowerOffTime. PowerNet-MIB says delayedReboot "will
/// cause the Switched Rack PDU to perform a delayedOff command, wait the RebootDuration OID time,
/// and then perform a delayedOn command": 3 × PERIOD here, so the test checks other things while
/// it runs and `apc_delayed_reboot_ends` watches the rest. Returns the time just before the SET.
fn apc_delayed_reboot_starts(r: &mut Run, command: &str, value: i64, outlet: u32) -> Instant {
    r.item("delayed");
    r.set(&o(R_OFF_TIME, outlet), PERIOD);
    r.set(&o(R_ON_TIME, outlet), PERIOD);
    r.is(
        &o(R_REBOOT_DURATION, outlet),
        PERIOD,
        "RebootDuration from --power-off-period",
    );
    let t = Instant::now();
    r.set(&o(command, outlet), value);
    r.during(
        t,
        WINDOW,
        &o(R_STATE, outlet),
        &[1],
        "still on before PowerOffTime",
    );
    r.during(
        t,
        WINDOW,
        &o(R_PENDING, outlet),
        &[1],
        "pending while the delayed reboot runs",
    );
    t
}

/// The rest of the delayed reboot that `apc_delayed_reboot_starts` started at `since`, in order:
/// off (after PowerOffTime), still pending while off (RebootDuration and PowerOnTime to go), then
/// on again with nothing pending. Only the order is checked here; the times themselves (off from
/// PowerOffTime to PowerOffTime + RebootDuration + PowerOnTime) are pinned on a manual clock by
/// `delayed_reboot_is_delayed_off_then_reboot_duration_then_delayed_on` in
/// simulator/src/profiles/apc_rpdu.rs and `delayed_reboot_goes_off_then_on` in
/// simulator/src/outlet.rs.
fn apc_delayed_reboot_ends(r: &mut Run, since: Instant, outlet: u32) {
    r.item("delayed");
    if !r.wait(
        &o(R_STATE, outlet),
        &[2],
        "delayed reboot: off after PowerOffTime",
    ) {
        return;
    }
    // Pending until PowerOffTime + RebootDuration + PowerOnTime (3 × PERIOD) after the SET.
    r.during(
        since,
        2 * Duration::from_secs(PERIOD as u64) + WINDOW,
        &o(R_PENDING, outlet),
        &[1],
        "delayed reboot: still pending once off (RebootDuration, then delayedOn)",
    );
    if r.wait(&o(R_STATE, outlet), &[1], "delayed reboot: on again") {
        r.is(
            &o(R_PENDING, outlet),
            2,
            "delayed reboot: nothing pending once on again",
        );
    }
}

/// The per-vendor checks of rPDU (and sPDU) common to both APC profiles.
fn apc_rpdu_items(r: &mut Run, outlets_via_rpdu2: bool) {
    r.item("count");
    r.is(
        ".1.3.6.1.4.1.318.1.1.4.4.1.0",
        8,
        "sPDUOutletControlTableSize",
    );
    r.is(
        ".1.3.6.1.4.1.318.1.1.12.1.8.0",
        8,
        "rPDUIdentDeviceNumOutlets",
    );
    r.rows(R_STATE, 8, "rPDUOutletStatusOutletState rows");
    r.rows(S_CTL, 8, "sPDUOutletCtl rows");

    // Cycle through rPDU: off now, pending, on after RebootDuration (PERIOD).
    r.item("cycle");
    let t = Instant::now();
    r.set(&o(R_CMD, 3), 3);
    r.during(
        t,
        WINDOW,
        &o(R_STATE, 3),
        &[2],
        "off during immediateReboot",
    );
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(R_PENDING, 3),
        &[1],
        "rPDU pending during the reboot",
    );
    r.during(
        t,
        WINDOW,
        &o(S_PENDING, 3),
        &[1],
        "sPDU pending during the reboot",
    );

    // Delayed on / off through rPDU, with PowerOnTime / PowerOffTime = PERIOD.
    r.item("delayed");
    r.set(&o(R_CMD, 4), 2);
    r.set(&o(R_ON_TIME, 4), PERIOD);
    r.is(&o(R_ON_TIME, 4), PERIOD, "PowerOnTime reads back");
    let t4 = Instant::now();
    r.set(&o(R_CMD, 4), 4); // delayedOn
    r.during(
        t4,
        WINDOW,
        &o(R_STATE, 4),
        &[2],
        "still off before PowerOnTime",
    );
    r.set(&o(R_OFF_TIME, 5), PERIOD);
    let t5 = Instant::now();
    r.set(&o(R_CMD, 5), 5); // delayedOff
    r.during(
        t5,
        WINDOW,
        &o(R_STATE, 5),
        &[1],
        "still on before PowerOffTime",
    );

    // Pending and cancel, with a delay long enough to see.
    r.item("pending");
    r.set(&o(R_OFF_TIME, 7), 60);
    r.set(&o(R_CMD, 7), 5);
    r.is(
        &o(R_PENDING, 7),
        1,
        "rPDUOutletStatusCommandPending during delayedOff",
    );
    r.is(&o(S_PENDING, 7), 1, "sPDUOutletPending during delayedOff");
    if let Some(p) = r.text(S_MASTER_PENDING) {
        if p.get(24..28) != Some("Yes ") {
            r.fail(format!(
                "sPDUMasterPending {p:?}: outlet 7 should read \"Yes \""
            ));
        }
    }
    r.is(&o(R_STATE, 7), 1, "still on while pending");
    r.is(
        &o(R_CMD, 7),
        1,
        "command reads the state (on) while pending",
    );
    r.item("cancel");
    r.set(&o(R_CMD, 7), 7); // cancelPendingCommand
    r.is(&o(R_PENDING, 7), 2, "no command pending after cancel");
    r.is(&o(S_PENDING, 7), 2, "sPDU: no command pending after cancel");
    r.is(&o(R_STATE, 7), 1, "still on after cancel");

    r.item("off");
    r.is(&o(R_STATE, 1), 1, "starts on");
    if outlets_via_rpdu2 {
        r.set(&o(R2_CMD, 1), 2);
    } else {
        r.set(&o(R_CMD, 1), 2);
    }
    r.is(&o(R_STATE, 1), 2, "rPDU state off(2)");
    r.item("readBack");
    r.is(&o(R_CMD, 1), 2, "rPDU command reads 2 when off");
    r.is(&o(S_CTL, 1), 2, "sPDUOutletCtl reads outletOff(2)");
    r.item("metering");
    r.is(&o(R_LOAD, 1), 0, "rPDUOutletStatusLoad when off");
    r.positive(&o(R_LOAD, 2), "rPDUOutletStatusLoad when on");
    r.item("on");
    r.set(&o(R_CMD, 1), 1);
    r.is(&o(R_STATE, 1), 1, "rPDU state on(1)");
    r.item("readBack");
    r.is(&o(R_CMD, 1), 1, "rPDU command reads 1 when on");
    r.is(&o(S_CTL, 1), 1, "sPDUOutletCtl reads outletOn(1)");
    r.is(
        S_MASTER_SWITCH,
        6,
        "sPDUMasterControlSwitch reads noCommand(6)",
    );
    r.is(
        R_DEV_COMMAND,
        1,
        "rPDUOutletDevCommand reads noCommandAll(1)",
    );

    r.item("badValue");
    r.refused(&o(R_CMD, 8), 8, "wrongValue");
    r.refused(&o(R_CMD, 8), 0, "wrongValue");
    r.refused(&o(S_CTL, 8), 4, "wrongValue"); // outletUnknown(4) is read-only
    r.refused(&o(S_CTL, 8), 8, "wrongValue");
    r.refused(S_MASTER_SWITCH, 8, "wrongValue");
    r.refused(R_DEV_COMMAND, 9, "wrongValue");
    r.refused(&o(R_REBOOT_DURATION, 8), 4, "wrongValue"); // 5–60
    r.refused(&o(R_ON_TIME, 8), 7201, "wrongValue"); // -1..7200
    r.refused(&o(R_STATE, 8), 1, "notWritable");
    r.refused(S_MASTER_STATE, 1, "notWritable");

    r.item("names");
    // Names at start-up (the quick flags give the default config's names): one name per
    // outlet, the same in every table.
    if let Some(first) = r.text(&o(R_CFG_NAME, 6)) {
        r.text_is(
            &o(R_CTL_NAME, 6),
            &first,
            "rPDUOutletControlOutletName = config name",
        );
        r.text_is(&o(S_CTL_NAME, 6), &first, "sPDUOutletCtlName = config name");
    }
    r.set_typed(&o(R_CFG_NAME, 6), "s", "web1");
    r.text_is(&o(R_CTL_NAME, 6), "web1", "rPDUOutletControlOutletName");
    r.text_is(&o(S_CTL_NAME, 6), "web1", "sPDUOutletCtlName");
    r.refused_typed(&o(R_CTL_NAME, 6), "s", "x", "notWritable");

    // The short delays and the cycle have run out by now, or soon.
    r.item("cycle");
    r.wait(&o(R_STATE, 3), &[1], "on again after RebootDuration");
    r.is(&o(R_PENDING, 3), 2, "no command pending after the cycle");
    r.item("delayed");
    r.wait(&o(R_STATE, 4), &[1], "delayedOn: on after PowerOnTime");
    r.is(&o(R_PENDING, 4), 2, "no command pending after delayedOn");
    r.wait(&o(R_STATE, 5), &[2], "delayedOff: off after PowerOffTime");
}

#[test]
fn apc_rpdu() {
    let mut r = Run::new("apc-rpdu");
    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.318.1.3.4.5");
    // Outlet 6's delayed reboot runs while everything else is checked.
    let rebooting = apc_delayed_reboot_starts(&mut r, R_CMD, 6, 6);
    apc_rpdu_items(&mut r, false);
    apc_delayed_reboot_ends(&mut r, rebooting, 6);
    r.finish();
}

#[test]
fn apc_rpdu2() {
    let mut r = Run::new("apc-rpdu2");
    let r2_on_time = ".1.3.6.1.4.1.318.1.1.26.9.2.1.1.5"; // rPDU2OutletSwitchedConfigPowerOnTime
    let r2_reboot = ".1.3.6.1.4.1.318.1.1.26.9.2.1.1.7"; // ...ConfigRebootDuration
    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.318.1.3.4.6");
    r.is(
        ".1.3.6.1.4.1.318.1.1.26.9.1.0",
        8,
        "rPDU2OutletSwitchedTableSize",
    );
    r.rows(R2_STATE, 8, "rPDU2 SwitchedStatusState rows");
    // Outlet 6's delayed reboot through rPDU2 runs while everything else is checked.
    let rebooting = apc_delayed_reboot_starts(&mut r, R2_CMD, 7, 6);
    apc_rpdu_items(&mut r, true);

    // rPDU2's own encodings: state off(1)/on(2), command immediateOn(1) immediateOff(2)
    // immediateReboot(3) delayedOn(5) delayedOff(6) delayedReboot(7) cancel(8).
    r.item("off");
    r.set(&o(R2_CMD, 2), 2);
    r.is(&o(R2_STATE, 2), 1, "rPDU2 off(1)");
    r.is(&o(R_STATE, 2), 2, "rPDU off(2) for the same outlet");
    r.item("readBack");
    r.is(&o(R2_CMD, 2), 2, "rPDU2 command reads 2 when off");
    r.item("metering");
    r.is(
        &o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7", 2),
        0,
        "MeteredStatusPower when off",
    );
    r.is(
        &o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6", 2),
        0,
        "MeteredStatusCurrent when off",
    );
    r.positive(
        &o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7", 1),
        "MeteredStatusPower when on",
    );
    r.positive(
        &o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6", 1),
        "MeteredStatusCurrent when on",
    );
    r.item("on");
    r.set(&o(R2_CMD, 2), 1);
    r.is(&o(R2_STATE, 2), 2, "rPDU2 on(2)");
    r.item("readBack");
    r.is(&o(R2_CMD, 2), 1, "rPDU2 command reads 1 when on");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(R2_CMD, 8), 3);
    r.during(
        t,
        WINDOW,
        &o(R2_STATE, 8),
        &[1],
        "rPDU2 off during immediateReboot",
    );
    r.during(
        t,
        WINDOW,
        &o(R2_PENDING, 8),
        &[1],
        "rPDU2 commandPending(1) during the reboot",
    );

    r.item("delayed");
    r.set(&o(r2_on_time, 5), PERIOD);
    r.set(&o(R2_CMD, 5), 2);
    let t5 = Instant::now();
    r.set(&o(R2_CMD, 5), 5);
    r.during(
        t5,
        WINDOW,
        &o(R2_PENDING, 5),
        &[1],
        "rPDU2 pending during delayedOn",
    );

    r.item("pending");
    r.set(&o(r2_on_time, 7), 60);
    r.is(
        &o(R_ON_TIME, 7),
        60,
        "one PowerOnTime across rPDU and rPDU2",
    );
    r.set(&o(R2_CMD, 7), 2);
    r.set(&o(R2_CMD, 7), 5); // delayedOn
    r.is(&o(R2_PENDING, 7), 1, "rPDU2 commandPending(1)");
    r.is(&o(R_PENDING, 7), 1, "rPDU pending(1)");
    r.is(&o(R2_STATE, 7), 1, "still off(1)");
    r.item("cancel");
    r.set(&o(R2_CMD, 7), 8);
    r.is(
        &o(R2_PENDING, 7),
        2,
        "rPDU2 noCommandPending(2) after cancel",
    );
    r.is(&o(R2_STATE, 7), 1, "still off after cancel");
    r.set(&o(R2_CMD, 7), 1);

    r.item("badValue");
    r.refused(&o(R2_CMD, 8), 4, "wrongValue"); // outletUnknown(4)
    r.refused(&o(R2_CMD, 8), 9, "wrongValue");
    r.refused(&o(R2_CMD, 8), 0, "wrongValue");
    r.refused(&o(r2_reboot, 8), 61, "wrongValue");
    r.refused(&o(R2_STATE, 8), 1, "notWritable");

    r.item("names");
    r.set_typed(&o(R2_CFG_NAME, 4), "s", "db-01");
    r.text_is(
        &o(R_CFG_NAME, 4),
        "db-01",
        "rPDU config name after an rPDU2 write",
    );
    r.text_is(&o(S_CTL_NAME, 4), "db-01", "sPDU name after an rPDU2 write");
    r.refused_typed(&o(R2_CFG_NAME, 4), "s", &"x".repeat(24), "wrongLength");

    r.item("cycle");
    r.wait(&o(R2_STATE, 8), &[2], "rPDU2 on again after RebootDuration");
    r.item("delayed");
    if r.wait(
        &o(R2_STATE, 5),
        &[2],
        "rPDU2 delayedOn: on after PowerOnTime",
    ) {
        r.is(&o(R2_PENDING, 5), 2, "rPDU2 no pending once on");
    }
    apc_delayed_reboot_ends(&mut r, rebooting, 6);
    r.finish();
}

/// Every view of every outlet through one GET: sPDU, rPDU, rPDU2 (if served) and the
/// master-state and master-pending strings must tell the same story.
fn apc_views_agree(r: &mut Run, rpdu2: bool, after: &str) {
    let mut oids: Vec<String> = vec![S_MASTER_STATE.into(), S_MASTER_PENDING.into()];
    let mut columns = vec![R_STATE, R_CMD, S_CTL, R_PENDING, S_PENDING];
    if rpdu2 {
        columns.extend([R2_STATE, R2_CMD, R2_PENDING]);
    }
    for c in &columns {
        for n in 1..=8 {
            oids.push(o(c, n));
        }
    }
    let refs: Vec<&str> = oids.iter().map(String::as_str).collect();
    let Some(values) = r.get_values(&refs) else {
        return;
    };
    let strip = |v: &str| {
        v.strip_prefix("STRING: ")
            .unwrap_or(v)
            .trim_matches('"')
            .to_string()
    };
    let (master, pending) = (strip(&values[0]), strip(&values[1]));
    let nums: Vec<i64> = values[2..]
        .iter()
        .map(|v| parse_number(v).unwrap_or(i64::MIN))
        .collect();
    let at = |col: usize, n: usize| nums[col * 8 + n];
    let mut bad = Vec::new();
    if master.len() != 32 {
        bad.push(format!(
            "sPDUMasterState {master:?} is not 4 chars × 8 outlets"
        ));
    }
    for n in 0..8 {
        let on = at(0, n) == 1;
        let p = at(3, n);
        let mut want = vec![
            ("rPDU state", at(0, n), if on { 1 } else { 2 }),
            ("rPDU command read-back", at(1, n), if on { 1 } else { 2 }),
            ("sPDUOutletCtl", at(2, n), if on { 1 } else { 2 }),
            ("sPDUOutletPending", at(4, n), p),
        ];
        if rpdu2 {
            want.push(("rPDU2 state", at(5, n), if on { 2 } else { 1 }));
            want.push(("rPDU2 command read-back", at(6, n), if on { 1 } else { 2 }));
            want.push(("rPDU2 pending", at(7, n), p));
        }
        for (what, got, expected) in want {
            if got != expected {
                bad.push(format!(
                    "outlet {}: {what} = {got}, but rPDU says {} (pending {p}), want {expected}",
                    n + 1,
                    if on { "on" } else { "off" }
                ));
            }
        }
        let word = master.get(n * 4..n * 4 + 4).unwrap_or("");
        if word != if on { "On  " } else { "Off " } {
            bad.push(format!(
                "outlet {}: sPDUMasterState word {word:?}, rPDU says {}",
                n + 1,
                if on { "on" } else { "off" }
            ));
        }
        let pword = pending.get(n * 4..n * 4 + 4).unwrap_or("");
        if pword != if p == 1 { "Yes " } else { "No  " } {
            bad.push(format!(
                "outlet {}: sPDUMasterPending word {pword:?}, pending column {p}",
                n + 1
            ));
        }
    }
    if !bad.is_empty() {
        r.fail(format!("after {after}:\n  {}", bad.join("\n  ")));
    }
}

/// States of all outlets as rPDU reports them (1 on, 2 off).
fn apc_states(r: &mut Run) -> Vec<i64> {
    let oids: Vec<String> = (1..=8).map(|n| o(R_STATE, n)).collect();
    let refs: Vec<&str> = oids.iter().map(String::as_str).collect();
    r.get_values(&refs)
        .map(|v| v.iter().map(|s| parse_number(s).unwrap_or(0)).collect())
        .unwrap_or_default()
}

#[track_caller]
fn apc_expect_states(r: &mut Run, want: [i64; 8], after: &str) {
    let got = apc_states(r);
    if got != want {
        r.fail(format!("after {after}: rPDU states {got:?}, want {want:?}"));
    }
}

/// Waits until no outlet has a command pending.
fn apc_wait_settled(r: &mut Run, after: &str) {
    let end = Instant::now() + DEADLINE;
    loop {
        let oids: Vec<String> = (1..=8).map(|n| o(R_PENDING, n)).collect();
        let refs: Vec<&str> = oids.iter().map(String::as_str).collect();
        let pending = r.get_values(&refs).unwrap_or_default();
        if pending.iter().all(|v| parse_number(v) == Some(2)) {
            return;
        }
        if Instant::now() >= end {
            r.fail(format!(
                "after {after}: commands still pending: {pending:?}"
            ));
            return;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn apc_consistency(vendor: &'static str, rpdu2: bool) {
    // Every check here reads all the views in one GET, and they must agree at any moment, so
    // nothing depends on when an answer comes: a short period keeps the three reboot waits short.
    let mut r = Run::with_period(vendor, 1);
    r.item("consistency");
    apc_views_agree(&mut r, rpdu2, "start");
    // (table, outlet, value, what): each command through each table, checked right after.
    let mut steps: Vec<(&str, u32, i64, &str)> = vec![
        (S_CTL, 1, 2, "sPDUOutletCtl outletOff"),
        (R_CMD, 2, 2, "rPDU immediateOff"),
        (S_CTL, 1, 1, "sPDUOutletCtl outletOn"),
        (R_CMD, 2, 1, "rPDU immediateOn"),
    ];
    if rpdu2 {
        steps.push((R2_CMD, 3, 2, "rPDU2 immediateOff"));
        steps.push((R2_CMD, 3, 1, "rPDU2 immediateOn"));
    }
    for (column, outlet, value, what) in &steps {
        r.set(&o(column, *outlet), *value);
        apc_views_agree(&mut r, rpdu2, what);
    }
    // Reboots through each table at once: off and pending everywhere, then on everywhere.
    r.set(&o(S_CTL, 4), 3);
    r.set(&o(R_CMD, 5), 3);
    if rpdu2 {
        r.set(&o(R2_CMD, 6), 3);
    }
    apc_views_agree(&mut r, rpdu2, "reboots through sPDU, rPDU and rPDU2");
    apc_wait_settled(&mut r, "reboots");
    apc_views_agree(&mut r, rpdu2, "reboots finished");
    apc_expect_states(&mut r, [1; 8], "reboots finished");

    // Long delays (60 s): pending in every table, cancelled through each table that can.
    // sPDU delays are sPDUOutletPowerOffTime (PowerNet-MIB `.4.5.2.1.4`), the same delay as
    // rPDU's PowerOffTime.
    r.set(&o(R_OFF_TIME, 7), 60);
    r.set(&o(S_CTL, 7), 6); // offWithDelay
    apc_views_agree(&mut r, rpdu2, "sPDUOutletCtl offWithDelay");
    r.is(&o(R_PENDING, 7), 1, "offWithDelay pending");
    r.set(&o(R_CMD, 7), 7);
    apc_views_agree(&mut r, rpdu2, "rPDU cancelPendingCommand");
    r.is(&o(R_PENDING, 7), 2, "cancelled through rPDU");
    r.set(&o(R_CMD, 7), 5);
    apc_views_agree(&mut r, rpdu2, "rPDU delayedOff");
    if rpdu2 {
        r.set(&o(R2_CMD, 7), 8);
        apc_views_agree(&mut r, rpdu2, "rPDU2 cancelPendingCommand");
        r.set(&o(R2_CMD, 7), 6);
        apc_views_agree(&mut r, rpdu2, "rPDU2 delayedOff");
        r.is(&o(R_PENDING, 7), 1, "rPDU2 delayedOff pending in rPDU");
    }
    r.set(R_DEV_COMMAND, 8); // cancelAllPendingCommands
    apc_views_agree(
        &mut r,
        rpdu2,
        "rPDUOutletDevCommand cancelAllPendingCommands",
    );
    r.is(
        &o(R_PENDING, 7),
        2,
        "cancelled through rPDUOutletDevCommand",
    );
    r.is(
        R_DEV_COMMAND,
        1,
        "rPDUOutletDevCommand reads noCommandAll(1)",
    );

    // The master switch and the device command.
    r.set(S_MASTER_SWITCH, 3); // turnAllOffNow
    apc_views_agree(&mut r, rpdu2, "sPDUMasterControlSwitch turnAllOffNow");
    apc_expect_states(&mut r, [2; 8], "turnAllOffNow");
    r.is(
        S_MASTER_SWITCH,
        6,
        "sPDUMasterControlSwitch reads noCommand(6)",
    );
    r.set(S_MASTER_SWITCH, 1); // turnAllOnNow
    apc_views_agree(&mut r, rpdu2, "sPDUMasterControlSwitch turnAllOnNow");
    apc_expect_states(&mut r, [1; 8], "turnAllOnNow");
    r.set(R_DEV_COMMAND, 3); // immediateAllOff
    apc_views_agree(&mut r, rpdu2, "rPDUOutletDevCommand immediateAllOff");
    apc_expect_states(&mut r, [2; 8], "immediateAllOff");
    r.set(R_DEV_COMMAND, 2); // immediateAllOn
    apc_views_agree(&mut r, rpdu2, "rPDUOutletDevCommand immediateAllOn");
    apc_expect_states(&mut r, [1; 8], "immediateAllOn");
    r.set(S_MASTER_SWITCH, 4); // rebootAllNow
    apc_views_agree(&mut r, rpdu2, "sPDUMasterControlSwitch rebootAllNow");
    apc_wait_settled(&mut r, "rebootAllNow");
    apc_views_agree(&mut r, rpdu2, "rebootAllNow finished");
    apc_expect_states(&mut r, [1; 8], "rebootAllNow finished");
    r.set(R_DEV_COMMAND, 4); // immediateAllReboot
    apc_views_agree(&mut r, rpdu2, "rPDUOutletDevCommand immediateAllReboot");
    apc_wait_settled(&mut r, "immediateAllReboot");
    apc_views_agree(&mut r, rpdu2, "immediateAllReboot finished");
    apc_expect_states(&mut r, [1; 8], "immediateAllReboot finished");
    r.finish();
}

#[test]
fn apc_rpdu2_tables_and_master_state_agree() {
    apc_consistency("apc-rpdu2", true);
}

#[test]
fn apc_rpdu_tables_and_master_state_agree() {
    apc_consistency("apc-rpdu", false);
}

// ---------------------------------------------------------------------------------------------
// Eaton ePDU — EATON-EPDU-MIB, index <strappingIndex>.<outlet>, strapping 0
// ---------------------------------------------------------------------------------------------

#[test]
fn eaton_epdu() {
    let mut r = Run::new("eaton-epdu");
    let status = ".1.3.6.1.4.1.534.6.6.7.6.6.1.2.0"; // off(0) on(1) pendingOff(2) pendingOn(3)
    let off = ".1.3.6.1.4.1.534.6.6.7.6.6.1.3.0"; // outletControlOffCmd
    let on = ".1.3.6.1.4.1.534.6.6.7.6.6.1.4.0"; // outletControlOnCmd
    let reboot = ".1.3.6.1.4.1.534.6.6.7.6.6.1.5.0"; // outletControlRebootCmd
    let name = ".1.3.6.1.4.1.534.6.6.7.6.1.1.3.0";
    let watts = ".1.3.6.1.4.1.534.6.6.7.6.5.1.3.0";
    let current = ".1.3.6.1.4.1.534.6.6.7.6.4.1.3.0";
    r.not_applicable(&["consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.534.6.6.7");
    r.is(".1.3.6.1.4.1.534.6.6.7.1.2.1.22.0", 8, "outletCount");
    r.rows(status, 8, "outletControlStatus rows");

    // Reboot now: off (pendingOn) for outletControlRebootOffTime, then on.
    r.item("cycle");
    // outletControlRebootOffTime (EATON-EPDU-MIB outletControlEntry 8), from --power-off-period.
    r.is(
        ".1.3.6.1.4.1.534.6.6.7.6.6.1.8.0.3",
        PERIOD,
        "outletControlRebootOffTime",
    );
    let t = Instant::now();
    r.set(&o(reboot, 3), 0);
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(status, 3),
        &[3],
        "pendingOn(3) while the reboot keeps it off",
    );

    // labgrid's on: n (in n seconds; here n = PERIOD): pendingOn(3) with a countdown, then on(1).
    r.item("delayed");
    // A countdown read within WINDOW of its SET: more than PERIOD - WINDOW seconds are left, and
    // the count is in whole seconds rounded up (never 0 while pending), so it reads one of these.
    let countdown: Vec<i64> = (PERIOD - WINDOW.as_secs() as i64..=PERIOD).collect();
    r.set(&o(off, 4), 0);
    let t4 = Instant::now();
    r.set(&o(on, 4), PERIOD);
    r.during(
        t4,
        WINDOW,
        &o(status, 4),
        &[3],
        "pendingOn(3) during OnCmd = n",
    );
    r.during(t4, WINDOW, &o(on, 4), &countdown, "OnCmd counts down");
    let t5 = Instant::now();
    r.set(&o(off, 5), PERIOD);
    r.during(
        t5,
        WINDOW,
        &o(status, 5),
        &[2],
        "pendingOff(2) during OffCmd = n",
    );
    // A delayed reboot, watched as it runs while the rest is checked: pendingOff, then off
    // (pendingOn) for outletControlRebootOffTime, then on.
    let t6 = Instant::now();
    r.set(&o(reboot, 6), PERIOD);
    r.during(
        t6,
        WINDOW,
        &o(status, 6),
        &[2],
        "pendingOff(2) before RebootCmd = n acts",
    );
    r.during(
        t6,
        WINDOW,
        &o(reboot, 6),
        &countdown,
        "RebootCmd counts down",
    );

    r.item("pending");
    r.set(&o(off, 7), 300);
    r.is(&o(status, 7), 2, "pendingOff(2)");
    r.is_in(
        &o(off, 7),
        &(290..=300).collect::<Vec<_>>(),
        "OffCmd countdown",
    );
    r.is(&o(on, 7), -1, "OnCmd reads -1: no on pending");
    r.item("cancel");
    r.set(&o(on, 7), -1);
    r.is(&o(status, 7), 2, "-1 on OnCmd leaves the pending off alone");
    r.set(&o(off, 7), -1);
    r.is(&o(off, 7), -1, "OffCmd -1 after cancel");
    r.is(&o(status, 7), 1, "on(1) after cancel");

    r.item("off");
    r.is(&o(status, 1), 1, "starts on");
    r.set(&o(off, 1), 0);
    r.is(&o(status, 1), 0, "off(0)");
    r.item("readBack");
    r.is(&o(off, 1), -1, "OffCmd reads -1 when nothing is pending");
    r.is(&o(on, 1), -1, "OnCmd reads -1 when nothing is pending");
    r.is(
        &o(reboot, 1),
        -1,
        "RebootCmd reads -1 when nothing is pending",
    );
    r.item("metering");
    r.is(&o(watts, 1), 0, "outletWatts when off");
    r.is(&o(current, 1), 0, "outletCurrent when off");
    r.positive(&o(watts, 2), "outletWatts when on");
    r.positive(&o(current, 2), "outletCurrent when on");
    r.item("on");
    r.set(&o(on, 1), 0);
    r.is(&o(status, 1), 1, "on(1)");

    r.item("badValue");
    r.refused(&o(on, 8), -2, "wrongValue");
    r.refused(&o(on, 8), 100000, "wrongValue");
    r.refused(&o(status, 8), 1, "notWritable");
    r.refused(".1.3.6.1.4.1.534.6.6.7.6.6.1.4.1.1", 0, "noCreation"); // strapping 1

    r.item("names");
    r.set_typed(&o(name, 2), "s", "nas");
    r.text_is(&o(name, 2), "nas", "outletName");
    r.refused_typed(&o(name, 2), "s", "", "wrongLength"); // SIZE(1..31)

    r.item("cycle");
    r.wait(
        &o(status, 3),
        &[1],
        "on(1) after outletControlRebootOffTime",
    );
    r.is(&o(reboot, 3), -1, "RebootCmd reads -1 once done");
    r.item("delayed");
    r.wait(&o(status, 4), &[1], "OnCmd = n: on after n seconds");
    r.is(&o(on, 4), -1, "OnCmd reads -1 once done");
    r.wait(&o(status, 5), &[0], "OffCmd = n: off after n seconds");
    r.wait(
        &o(status, 6),
        &[3],
        "RebootCmd = n: off after n seconds, pendingOn(3) for outletControlRebootOffTime",
    );
    r.wait(&o(status, 6), &[1], "RebootCmd = n: on again");
    r.is(&o(reboot, 6), -1, "RebootCmd reads -1 once done");
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Server Technology Sentry3 — Sentry3-MIB, outlet N of a single tower is 1.1.N
// ---------------------------------------------------------------------------------------------

#[test]
fn sentry3() {
    let mut r = Run::new("sentry3");
    let entry = ".1.3.6.1.4.1.1718.3.2.3.1";
    let name = format!("{entry}.3");
    let status = format!("{entry}.5.1.1"); // off(0) on(1) offWait(2) onWait(3)
    let load = format!("{entry}.7.1.1"); // 0.01 A
    let control_state = format!("{entry}.10.1.1"); // wakeOn(3) off(4) on(5) reboot(8)
    let action = format!("{entry}.11.1.1"); // none(0) on(1) off(2) reboot(3)
    r.not_applicable(&["delayed", "cancel", "consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.1718.3");
    // infeedOutletCount (Sentry3-MIB infeedEntry 9), as the sentry3 profile's test quotes it.
    r.is(".1.3.6.1.4.1.1718.3.2.2.1.9.1.1", 8, "infeedOutletCount");
    r.rows(&status, 8, "outletStatus rows");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(&action, 3), 3);
    r.during(
        t,
        WINDOW,
        &o(&status, 3),
        &[3],
        "onWait(3) during the reboot: off, on again after the period",
    );
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(&control_state, 3),
        &[8],
        "outletControlState reboot(8)",
    );

    r.item("off");
    r.is(&o(&status, 1), 1, "starts on");
    r.is(
        &o(&control_state, 1),
        3,
        "outletControlState wakeOn(3): no command since the start",
    );
    r.set(&o(&action, 1), 2);
    r.is(&o(&status, 1), 0, "outletStatus off(0)");
    r.is(&o(&control_state, 1), 4, "outletControlState off(4)");
    r.item("readBack");
    r.is(&o(&action, 1), 0, "outletControlAction reads none(0)");
    r.item("metering");
    r.is(&o(&load, 1), 0, "outletLoadValue when off");
    r.positive(&o(&load, 2), "outletLoadValue when on");
    r.item("on");
    r.set(&o(&action, 1), 1);
    r.is(&o(&status, 1), 1, "outletStatus on(1)");
    r.is(&o(&control_state, 1), 5, "outletControlState on(5)");

    r.item("badValue");
    r.refused(&o(&action, 8), 4, "wrongValue");
    r.refused(&o(&action, 8), -1, "wrongValue");
    r.refused(&o(&status, 8), 1, "notWritable");
    r.refused(&format!("{entry}.11.1.2.8"), 1, "noCreation"); // infeed 2 does not exist

    r.item("names");
    r.set_typed(&format!("{name}.1.1.5"), "s", "fw");
    r.text_is(&format!("{name}.1.1.5"), "fw", "outletName");

    r.item("cycle");
    r.wait(&o(&status, 3), &[1], "on(1) after the period");
    r.is(
        &o(&control_state, 3),
        5,
        "outletControlState on(5) after the cycle",
    );
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Server Technology Sentry4 — Sentry4-MIB, outlet N of a single unit is 1.1.N
// ---------------------------------------------------------------------------------------------

#[test]
fn sentry4() {
    let mut r = Run::new("sentry4");
    let name = ".1.3.6.1.4.1.1718.4.1.8.2.1.3.1.1"; // st4OutletName (rw)
    let state = ".1.3.6.1.4.1.1718.4.1.8.3.1.1.1.1"; // st4OutletState on(1) off(2)
    let control_state = ".1.3.6.1.4.1.1718.4.1.8.5.1.1.1.1"; // off(10) on(11) reboot(12)
    let action = ".1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1"; // none(0) on(1) off(2) reboot(3) queue*
                                                      // st4OutletCurrent / st4OutletActivePower (Sentry4-MIB st4OutletMonitorEntry 3 and 7), as
                                                      // the sentry4 profile's test quotes them.
    let current = ".1.3.6.1.4.1.1718.4.1.8.3.1.3.1.1";
    let power = ".1.3.6.1.4.1.1718.4.1.8.3.1.7.1.1";
    // st4OutletQueueControl (Sentry4-MIB st4OutletCommonControl 1): clear(0) commit(1).
    let queue = ".1.3.6.1.4.1.1718.4.1.8.6.1.0";
    r.not_applicable(&["consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.1718.4");
    // st4InputCordOutletCount (Sentry4-MIB st4InputCordConfigEntry 24), as quoted by the
    // sentry4 profile's test.
    r.is(
        ".1.3.6.1.4.1.1718.4.1.3.2.1.24.1.1",
        8,
        "st4InputCordOutletCount",
    );
    r.rows(state, 8, "st4OutletState rows");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(action, 3), 3);
    r.during(t, WINDOW, &o(state, 3), &[2], "off during the reboot");
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(control_state, 3),
        &[12],
        "st4OutletControlState reboot(12)",
    );

    r.item("off");
    r.is(&o(state, 1), 1, "starts on");
    r.set(&o(action, 1), 2);
    r.is(&o(state, 1), 2, "off(2)");
    r.is(&o(control_state, 1), 10, "st4OutletControlState off(10)");
    r.item("readBack");
    r.is(&o(action, 1), 0, "st4OutletControlAction reads none(0)");
    r.item("metering");
    r.is(&o(power, 1), 0, "st4OutletActivePower when off");
    r.is(&o(current, 1), 0, "st4OutletCurrent when off");
    r.positive(&o(power, 2), "st4OutletActivePower when on");
    r.positive(&o(current, 2), "st4OutletCurrent when on");
    r.item("on");
    r.set(&o(action, 1), 1);
    r.is(&o(state, 1), 1, "on(1)");
    r.is(&o(control_state, 1), 11, "st4OutletControlState on(11)");

    // Queue-then-commit: queued actions wait until st4OutletQueueControl = commit(1).
    r.item("delayed");
    r.set(&o(action, 5), 5); // queueOff
    r.set(&o(action, 6), 5);
    r.item("pending");
    r.is(&o(state, 5), 1, "a queued off does not act before commit");
    r.is(
        queue,
        1,
        "st4OutletQueueControl reads commit(1) while actions are queued",
    );
    r.item("delayed");
    r.set(queue, 1);
    r.is(&o(state, 5), 2, "queued off done on commit");
    r.is(&o(state, 6), 2, "both queued actions run on commit");
    r.is(queue, 0, "queue empty after commit");
    r.item("cancel");
    r.set(&o(action, 5), 4); // queueOn
    r.set(queue, 0); // clear
    r.set(queue, 1);
    r.is(&o(state, 5), 2, "a cleared queue does nothing on commit");

    r.item("badValue");
    r.refused(&o(action, 8), 7, "wrongValue");
    r.refused(&o(action, 8), -1, "wrongValue");
    r.refused(queue, 2, "wrongValue");
    r.refused(&o(state, 8), 1, "notWritable");

    r.item("names");
    r.set_typed(&o(name, 4), "s", "sw");
    r.text_is(&o(name, 4), "sw", "st4OutletName");

    r.item("cycle");
    r.wait(&o(state, 3), &[1], "on(1) after the period");
    r.is(
        &o(control_state, 3),
        11,
        "st4OutletControlState on(11) after the cycle",
    );
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// CyberPower — CPS-MIB ePDU, index N (mirrors APC rPDU)
// ---------------------------------------------------------------------------------------------

#[test]
fn cyberpower_epdu() {
    let mut r = Run::new("cyberpower-epdu");
    let cmd = ".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4"; // ePDUOutletControlOutletCommand
    let ctl_name = ".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.2"; // ePDUOutletControlOutletName
    let state = ".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4"; // ePDUOutletStatusOutletState on(1) off(2)
                                                     // CPS-MIB objects the driver does not use; CPS-MIB numbers them as PowerNet-MIB's rPDU
                                                     // (whose OIDs the driver uses), and the cyberpower profile's test quotes .3.4.1.1.2,
                                                     // .3.5.1.1.5 and .3.5.1.1.8:
    let cfg_name = ".1.3.6.1.4.1.3808.1.1.3.3.4.1.1.2"; // ePDUOutletConfigOutletName (rw)
    let on_time = ".1.3.6.1.4.1.3808.1.1.3.3.4.1.1.4"; // ePDUOutletConfigPowerOnTime
    let off_time = ".1.3.6.1.4.1.3808.1.1.3.3.4.1.1.5"; // ePDUOutletConfigPowerOffTime
    let pending = ".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.5"; // ePDUOutletStatusCommandPending
    let load = ".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.7"; // ePDUOutletStatusLoad (0.1 A)
    let power = ".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.8"; // ePDUOutletStatusActivePower (W)
    r.not_applicable(&["consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.3808.1.1.3");
    r.is(
        ".1.3.6.1.4.1.3808.1.1.3.1.8.0",
        8,
        "ePDUIdentDeviceNumOutlets",
    );
    r.rows(state, 8, "ePDUOutletStatusOutletState rows");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(cmd, 3), 3);
    r.during(t, WINDOW, &o(state, 3), &[2], "off during immediateReboot");
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(pending, 3),
        &[1],
        "pending(1) during the reboot",
    );

    r.item("delayed");
    r.set(&o(cmd, 4), 2);
    r.set(&o(on_time, 4), PERIOD);
    let t4 = Instant::now();
    r.set(&o(cmd, 4), 4); // delayedOn
    r.during(
        t4,
        WINDOW,
        &o(state, 4),
        &[2],
        "still off before PowerOnTime",
    );
    r.set(&o(off_time, 5), PERIOD);
    let t5 = Instant::now();
    r.set(&o(cmd, 5), 5); // delayedOff
    r.during(
        t5,
        WINDOW,
        &o(state, 5),
        &[1],
        "still on before PowerOffTime",
    );
    // A delayed reboot, watched as it runs while the rest is checked.
    r.set(&o(off_time, 6), PERIOD);
    let t6 = Instant::now();
    r.set(&o(cmd, 6), 6); // delayedReboot
    r.during(t6, WINDOW, &o(state, 6), &[1], "on before PowerOffTime");
    r.during(
        t6,
        WINDOW,
        &o(pending, 6),
        &[1],
        "pending(1) during delayedReboot",
    );

    r.item("pending");
    r.set(&o(off_time, 7), 60);
    r.set(&o(cmd, 7), 5);
    r.is(&o(pending, 7), 1, "pending(1) during delayedOff");
    r.is(&o(state, 7), 1, "on while pending");
    r.item("cancel");
    r.set(&o(cmd, 7), 7);
    r.is(&o(pending, 7), 2, "none(2) after cancelPendingCommand");
    r.is(&o(state, 7), 1, "still on after cancel");

    r.item("off");
    r.is(&o(state, 1), 1, "starts on");
    r.set(&o(cmd, 1), 2);
    r.is(&o(state, 1), 2, "off(2)");
    r.item("readBack");
    r.is(&o(cmd, 1), 2, "command reads 2 when off");
    r.item("metering");
    r.is(&o(power, 1), 0, "ePDUOutletStatusActivePower when off");
    r.is(&o(load, 1), 0, "ePDUOutletStatusLoad when off");
    r.positive(&o(power, 2), "ePDUOutletStatusActivePower when on");
    r.positive(&o(load, 2), "ePDUOutletStatusLoad when on");
    r.item("on");
    r.set(&o(cmd, 1), 1);
    r.is(&o(state, 1), 1, "on(1)");
    r.item("readBack");
    r.is(&o(cmd, 1), 1, "command reads 1 when on");
    r.set(&o(cmd, 1), 8); // outletIdentify: accepted, no switching
    r.is(&o(state, 1), 1, "outletIdentify leaves the outlet on");

    r.item("badValue");
    r.refused(&o(cmd, 8), 9, "wrongValue");
    r.refused(&o(cmd, 8), 0, "wrongValue");
    r.refused(&o(state, 8), 2, "notWritable");

    r.item("names");
    r.set_typed(&o(cfg_name, 2), "s", "a");
    r.text_is(&o(ctl_name, 2), "a", "ePDUOutletControlOutletName");
    r.refused_typed(&o(ctl_name, 2), "s", "b", "notWritable");

    r.item("cycle");
    r.wait(&o(state, 3), &[1], "on again after the reboot duration");
    r.is(&o(pending, 3), 2, "no pending after the cycle");
    r.item("delayed");
    r.wait(&o(state, 4), &[1], "delayedOn: on after PowerOnTime");
    r.wait(&o(state, 5), &[2], "delayedOff: off after PowerOffTime");
    r.wait(&o(state, 6), &[2], "delayedReboot: off after PowerOffTime");
    r.wait(&o(state, 6), &[1], "delayedReboot: on again");
    r.is(&o(pending, 6), 2, "no pending after the delayed reboot");
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Tripp Lite — TRIPPLITE-PRODUCTS, index <device>.<outlet>, device 1
// ---------------------------------------------------------------------------------------------

#[test]
fn tripplite_pdu() {
    let mut r = Run::new("tripplite-pdu");
    let entry = ".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1";
    let name = format!("{entry}.2.1");
    let state = format!("{entry}.4.1"); // tlpPduOutletState unknown(0) off(1) on(2)
    let cmd = format!("{entry}.6.1"); // tlpPduOutletCommand idle(0) turnOff(1) turnOn(2) cycle(3)
                                      // tlpPduOutletCurrent / tlpPduOutletPower (TRIPPLITE-PRODUCTS tlpPduOutletEntry 8 and 9),
                                      // as the tripplite profile's test quotes them.
    let current = format!("{entry}.8.1");
    let power = format!("{entry}.9.1");
    r.not_applicable(&["delayed", "pending", "cancel", "consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.850.1.1.1");
    r.is(
        ".1.3.6.1.4.1.850.1.1.3.2.1.2.1.4.1",
        8,
        "tlpPduIdentNumOutlets",
    );
    r.rows(&state, 8, "tlpPduOutletState rows");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(&cmd, 3), 3);
    r.during(t, WINDOW, &o(&state, 3), &[1], "off(1) during the cycle");

    r.item("off");
    r.is(&o(&state, 1), 2, "starts on(2)");
    r.set(&o(&cmd, 1), 1);
    r.is(&o(&state, 1), 1, "off(1)");
    r.item("readBack");
    r.is(&o(&cmd, 1), 0, "tlpPduOutletCommand reads idle(0)");
    r.item("metering");
    r.is(&o(&power, 1), 0, "tlpPduOutletPower when off");
    r.is(&o(&current, 1), 0, "tlpPduOutletCurrent when off");
    r.positive(&o(&power, 2), "tlpPduOutletPower when on");
    r.positive(&o(&current, 2), "tlpPduOutletCurrent when on");
    r.item("on");
    r.set(&o(&cmd, 1), 2);
    r.is(&o(&state, 1), 2, "on(2)");
    r.item("readBack");
    r.is(
        &o(&cmd, 1),
        0,
        "tlpPduOutletCommand reads idle(0) when on too",
    );

    r.item("badValue");
    r.refused(&o(&cmd, 8), 4, "wrongValue");
    r.refused(&o(&cmd, 8), -1, "wrongValue");
    r.refused(&o(&state, 8), 2, "notWritable");

    r.item("names");
    r.set_typed(&o(&name, 2), "s", "rack-fan");
    r.text_is(&o(&name, 2), "rack-fan", "tlpPduOutletName");

    r.item("cycle");
    r.wait(&o(&state, 3), &[2], "on(2) after the period");
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Vertiv/Geist — VERTIV-V5-MIB, index N
// ---------------------------------------------------------------------------------------------

#[test]
fn vertiv_geist() {
    let mut r = Run::new("vertiv-geist");
    let entry = ".1.3.6.1.4.1.21239.5.2.3.5.1"; // pduOutletSwitchEntry
    let name = format!("{entry}.2"); // pduOutletSwitchName: read-only in VERTIV-V5-MIB
    let label = format!("{entry}.3"); // pduOutletSwitchLabel: read-write in VERTIV-V5-MIB
    let state = format!("{entry}.4"); // on(1) off(2) on2off(3) off2on(4) rebootOn(5) rebootOff(6)
    let ctl = format!("{entry}.6"); // cancel(1) on(2) onAfterDelay(3) off(4) offAfterDelay(5)
                                    // reboot(6) rebootAfterDelay(7) none(8)
    let time_to_action = format!("{entry}.7"); // pduOutletSwitchTimeToAction
    let on_delay = format!("{entry}.8"); // pduOutletSwitchOnDelay (0..600 s)
    let off_delay = format!("{entry}.9"); // pduOutletSwitchOffDelay
    let reboot_delay = format!("{entry}.10"); // pduOutletSwitchRebootDelay
    let hold = format!("{entry}.11"); // pduOutletSwitchRebootHoldDelay (off time of a reboot)
                                      // pduOutletMeterTable (VERTIV-V5-MIB .21239.5.2.3.6): pduOutletMeterCurrent (.8, centiamps)
                                      // and pduOutletMeterRealPower (.12, W).
    let meter_power = ".1.3.6.1.4.1.21239.5.2.3.6.1.12";
    let meter_current = ".1.3.6.1.4.1.21239.5.2.3.6.1.8";
    r.not_applicable(&["consistency"]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.21239.5");
    r.rows(&state, 8, "pduOutletSwitchState rows");
    r.rows(&ctl, 8, "pduOutletSwitchControl rows");

    r.item("cycle");
    r.is(
        &o(&hold, 3),
        PERIOD,
        "pduOutletSwitchRebootHoldDelay from --power-off-period",
    );
    let t = Instant::now();
    r.set(&o(&ctl, 3), 6); // reboot
    r.item("pending");
    r.during(
        t,
        WINDOW,
        &o(&state, 3),
        &[6],
        "rebootOff(6) during the reboot",
    );

    r.item("delayed");
    r.set(&o(&ctl, 4), 4);
    r.set(&o(&on_delay, 4), PERIOD);
    r.is(
        &o(&on_delay, 4),
        PERIOD,
        "pduOutletSwitchOnDelay reads back",
    );
    let t4 = Instant::now();
    r.set(&o(&ctl, 4), 3); // onAfterDelay
    r.item("pending");
    r.during(
        t4,
        WINDOW,
        &o(&state, 4),
        &[4],
        "off2on(4) during onAfterDelay",
    );
    r.item("delayed");
    r.set(&o(&off_delay, 5), PERIOD);
    let t5 = Instant::now();
    r.set(&o(&ctl, 5), 5); // offAfterDelay
    r.item("pending");
    r.during(
        t5,
        WINDOW,
        &o(&state, 5),
        &[3],
        "on2off(3) during offAfterDelay",
    );
    // rebootAfterDelay waits pduOutletSwitchRebootDelay (.10), then holds the outlet off for
    // pduOutletSwitchRebootHoldDelay (.11); it runs while the rest is checked.
    // pduOutletSwitchOffDelay, set short here, is not a delay rebootAfterDelay waits.
    r.item("delayed");
    r.set(&o(&reboot_delay, 6), PERIOD);
    r.set(&o(&off_delay, 6), 1);
    let t6 = Instant::now();
    r.set(&o(&ctl, 6), 7); // rebootAfterDelay
    r.item("pending");
    r.during(
        t6,
        WINDOW,
        &o(&state, 6),
        &[5],
        "rebootOn(5) before the reboot starts",
    );

    r.item("pending");
    r.set(&o(&off_delay, 7), 60);
    r.set(&o(&ctl, 7), 5);
    r.is(&o(&state, 7), 3, "on2off(3)");
    r.is_in(
        &o(&time_to_action, 7),
        &(50..=60).collect::<Vec<_>>(),
        "pduOutletSwitchTimeToAction",
    );
    r.item("cancel");
    r.set(&o(&ctl, 7), 1); // cancel
    r.is(&o(&state, 7), 1, "on(1) after cancel");
    r.is(&o(&time_to_action, 7), 0, "nothing to time after cancel");

    r.item("off");
    r.is(&o(&state, 1), 1, "starts on");
    r.set(&o(&ctl, 1), 4);
    r.is(&o(&state, 1), 2, "off(2)");
    r.item("readBack");
    r.is(&o(&ctl, 1), 8, "pduOutletSwitchControl reads none(8)");
    r.item("on");
    r.set(&o(&ctl, 1), 2);
    r.is(&o(&state, 1), 1, "on(1)");
    r.item("readBack");
    r.is(
        &o(&ctl, 1),
        8,
        "pduOutletSwitchControl reads none(8) when on too",
    );

    r.item("badValue");
    r.refused(&o(&ctl, 8), 9, "wrongValue");
    r.refused(&o(&ctl, 8), 0, "wrongValue");
    r.refused(&o(&on_delay, 8), 601, "wrongValue");
    r.refused(&o(&state, 8), 1, "notWritable");

    r.item("names");
    r.text(&o(&name, 2)); // readable
                          // VERTIV-V5-MIB pduOutletSwitchName (.2) is read-only (the device's own name for the
                          // outlet); the user-settable text is pduOutletSwitchLabel (.3, read-write, SIZE(0..25)).
    r.refused_typed(&o(&name, 2), "s", "nas", "notWritable");
    r.set_typed(&o(&label, 2), "s", "nas");
    r.text_is(&o(&label, 2), "nas", "pduOutletSwitchLabel");

    r.item("metering");
    r.set(&o(&ctl, 1), 4);
    r.is(&o(meter_power, 1), 0, "pduOutletMeterRealPower when off");
    r.is(&o(meter_current, 1), 0, "pduOutletMeterCurrent when off");
    r.positive(&o(meter_power, 2), "pduOutletMeterRealPower when on");
    r.set(&o(&ctl, 1), 2);

    r.item("cycle");
    r.wait(&o(&state, 3), &[1], "on(1) after the hold delay");
    r.item("delayed");
    r.wait(
        &o(&state, 4),
        &[1],
        "onAfterDelay: on(1) after pduOutletSwitchOnDelay",
    );
    r.wait(
        &o(&state, 5),
        &[2],
        "offAfterDelay: off(2) after pduOutletSwitchOffDelay",
    );
    r.wait(
        &o(&state, 6),
        &[6],
        "rebootAfterDelay: rebootOff(6) after the delay, for the hold delay",
    );
    r.wait(
        &o(&state, 6),
        &[1],
        "rebootAfterDelay: on again after the hold",
    );
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Baytech MRP27 — one read-write column: off(0) on(1) reboot(2) lockOn(3) lockOff(4) unlock(5)
// ---------------------------------------------------------------------------------------------

#[test]
fn baytech_mrp() {
    let mut r = Run::new("baytech-mrp");
    let col = ".1.3.6.1.4.1.4779.1.3.5.3.1.3.1";
    r.not_applicable(&[
        "delayed",
        "pending",
        "cancel",
        "names",
        "metering",
        "consistency",
    ]);

    r.item("count");
    r.sys_object_id(".1.3.6.1.4.1.4779");
    r.rows(col, 8, "outlet rows");

    r.item("cycle");
    let t = Instant::now();
    r.set(&o(col, 3), 2);
    r.during(t, WINDOW, &o(col, 3), &[0], "off(0) during the reboot");

    r.item("off");
    r.is(&o(col, 1), 1, "starts on");
    r.set(&o(col, 1), 0);
    r.item("readBack");
    r.is(&o(col, 1), 0, "reads off(0)");
    r.item("on");
    r.set(&o(col, 1), 1);
    r.is(&o(col, 1), 1, "reads on(1)");

    // Locks: a locked outlet reads lockOn(3)/lockOff(4) and refuses switching until unlock(5).
    r.item("badValue");
    r.set(&o(col, 2), 4); // lockOff
    r.is(&o(col, 2), 4, "reads lockOff(4)");
    r.refused(&o(col, 2), 1, "inconsistentValue");
    r.set(&o(col, 2), 5); // unlock
    r.is(&o(col, 2), 0, "off(0) after unlock");
    r.set(&o(col, 2), 1);

    r.item("badValue");
    r.refused(&o(col, 8), 6, "wrongValue");
    r.refused(&o(col, 8), -1, "wrongValue");
    r.refused(".1.3.6.1.4.1.4779.1.3.5.3.1.3.1.9", 1, "noCreation");

    r.item("cycle");
    r.wait(&o(col, 3), &[1], "on(1) after the period");
    r.finish();
}
