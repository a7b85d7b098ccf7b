//! Drivers through adapters: the committed compatibility matrix and every shipped adapter's
//! snapshots (the whole corpus against pductl, net-snmp, jumpstarter and labgrid), the 20-line example
//! adapter of ADAPTERS.md, and adapters that misbehave (hang, print garbage, answer another
//! request, crash), which must be recorded as such while the run goes on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use pdu_conformance::adapter::BUILT_IN;
use pdu_conformance::matrix::Matrix;
use pdu_conformance::run::{collect, run_one_with, Tested, Verdict};
use pdu_conformance::scenario;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The whole corpus against every built-in driver, as `pdu-conformance matrix` runs it: each
/// adapter's records equal its committed snapshots (a record that differs is run once more
/// alone, as the command does: a busy machine may push a driver past a short timeout once), no
/// snapshot is left for a scenario that became n/a, and the generated MATRIX.md and matrix.json
/// equal the committed ones.
#[test]
fn matrix_of_the_shipped_drivers_matches_the_committed_one() {
    let drivers: Vec<Tested> = BUILT_IN
        .iter()
        .map(|name| {
            Tested::new(name).unwrap_or_else(|e| {
                panic!("{e}\n(scripts/test.sh installs jq, net-snmp and the Python virtualenvs)")
            })
        })
        .collect();
    let files = collect(&[scenario::default_corpus_dir()]).unwrap();
    let snapshots = scenario::default_snapshot_dir();
    // Adapter scenarios mostly wait on the network and on driver timeouts: more at once than
    // there are cores.
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(4);
    let started = Instant::now();
    let mut matrix = Matrix::build(&files, drivers, jobs, &snapshots);
    for (driver, name, diff) in matrix.rerun_changed(&snapshots, &files) {
        eprintln!("{driver} {name} differed from its snapshot, run again alone:\n{diff}");
    }
    for c in &matrix.columns {
        c.driver.pool.drain();
        eprintln!(
            "{}: corpus time {:.1} s (sum of its {} scenarios)",
            c.driver.name(),
            c.corpus_time.as_secs_f64(),
            c.outcomes.len()
        );
    }
    eprintln!(
        "matrix of {} drivers in {:.1} s",
        matrix.columns.len(),
        started.elapsed().as_secs_f64()
    );
    let accept =
        "accept with `cargo run -p pdu-conformance -- matrix --accept` and review `git diff`";

    for c in matrix.columns.iter().filter(|c| c.driver.hello.is_some()) {
        assert!(
            c.driver.snapshot_dir(&snapshots).is_dir(),
            "{} has no snapshot folder ({accept})",
            c.driver.name()
        );
    }
    let changed = matrix.changed(&snapshots);
    let listing: Vec<String> = changed
        .iter()
        .map(|(driver, name, diff)| format!("{driver} {name}:\n{diff}"))
        .collect();
    assert!(
        changed.is_empty(),
        "records differ from the committed snapshots ({accept}):\n{}",
        listing.join("\n")
    );

    for c in &matrix.columns {
        if c.driver.hello.is_none() {
            continue;
        }
        for o in &c.outcomes {
            let stale =
                o.run.as_ref().is_ok_and(|r| r.not_applicable.is_some()) && o.snapshot.exists();
            assert!(
                !stale,
                "{}: {} is n/a but has a snapshot ({accept})",
                c.driver.name(),
                o.name
            );
        }
    }

    let committed = std::fs::read_to_string(conformance_dir().join("MATRIX.md")).unwrap();
    let generated = matrix.markdown();
    if committed != generated {
        let diff = similar::TextDiff::from_lines(&committed, &generated)
            .unified_diff()
            .header("committed MATRIX.md", "this run")
            .to_string();
        panic!("MATRIX.md differs ({accept}):\n{diff}");
    }
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(conformance_dir().join("matrix.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(committed, matrix.json(), "matrix.json differs ({accept})");
}

/// The adapter ADAPTERS.md shows, taken from the document as a reader would copy it.
fn doc_example_adapter(dir: &Path) -> PathBuf {
    let doc = std::fs::read_to_string(conformance_dir().join("ADAPTERS.md")).unwrap();
    let section = doc
        .split("## An adapter in 20 lines")
        .nth(1)
        .expect("ADAPTERS.md has its example section");
    let script = section
        .split("```bash\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the example is a bash block");
    write_script(dir, "my-adapter.sh", script)
}

/// The command that runs a script written by [`write_script`]: through `bash` rather than
/// executed itself, because another test thread that forks while the script is being written
/// holds it open for writing in its child until that child's exec, and executing a file open
/// for writing fails with ETXTBSY ("Text file busy").
fn bash_command(script: &Path) -> String {
    format!("bash {}", script.display())
}

fn write_script(dir: &Path, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn corpus(name: &str) -> PathBuf {
    scenario::default_corpus_dir().join(name)
}

#[test]
fn the_documented_example_adapter_runs_the_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let adapter = doc_example_adapter(tmp.path());
    let driver = Tested::new(&bash_command(&adapter)).unwrap();
    assert_eq!(driver.hello.as_ref().unwrap().name, "my-snmpset-script");
    let snapshots = tmp.path().join("snapshots");
    let verdict = |name: &str| run_one_with(&corpus(name), &snapshots, &driver).verdict;
    // A lost answer: snmpset resends within its retries; the outlet is off. No snapshot of
    // this driver exists, so its record is new ("changed"), with every expectation held.
    assert!(matches!(
        verdict("transport/drop-response-once.toml"),
        Verdict::Changed { .. }
    ));
    // genErr on every SET: it must fail, and does.
    assert!(matches!(
        verdict("errors/forced-genErr.toml"),
        Verdict::Changed { .. }
    ));
    // SNMPv3 only: the example speaks v1/v2c.
    match verdict("usm/wrong-auth-key.toml") {
        Verdict::NotApplicable { reason } => assert!(reason.contains("version 3"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A cycle switches: the example has no cycle action.
    match verdict("vendors/apc-rpdu2.toml") {
        Verdict::NotApplicable { reason } => assert!(reason.contains("cycle"), "{reason}"),
        other => panic!("{other:?}"),
    }
    driver.pool.drain();
}

/// A scenario with one switch, v2c, and a deadline of half a second for it.
fn one_switch_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("one-switch.toml");
    std::fs::write(
        &path,
        "description = \"one off\"\n[[pdu]]\nname = \"pdu\"\nvendor = \"raritan-px2\"\noutlets = 4\n\
         [[pdu.community]]\nname = \"private\"\naccess = \"read-write\"\n[driver]\nvendor = \"raritan-px2\"\n\
         [[step]]\ndo = \"off\"\noutlet = 2\nexpect_ok = true\nexpect_within_ms = 500\nexpect_outlets = { 2 = \"off\" }\n",
    )
    .unwrap();
    path
}

const HELLO: &str = "#!/usr/bin/env bash\necho '{\"protocol\":1,\"name\":\"bad\",\"version\":\"0\",\"actions\":[\"on\",\"off\"]}'\n";

fn misbehaving(body: &str) -> (Verdict, pdu_conformance::scenario::Run) {
    let tmp = tempfile::tempdir().unwrap();
    let adapter = write_script(tmp.path(), "bad.sh", &format!("{HELLO}{body}"));
    let driver = Tested::new(&bash_command(&adapter)).unwrap();
    let outcome = run_one_with(
        &one_switch_scenario(tmp.path()),
        &tmp.path().join("snapshots"),
        &driver,
    );
    (outcome.verdict, outcome.run.unwrap())
}

#[test]
fn an_adapter_that_hangs_is_killed_and_the_step_is_hung() {
    // It reads the request, says something on stderr, and never answers.
    let (verdict, run) = misbehaving("read -r line\necho 'thinking hard' >&2\nsleep 600\n");
    match verdict {
        Verdict::Hung { reasons } => {
            assert!(reasons[0].contains("no reply within 0.5 s"), "{reasons:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(run.text.contains("hung:"), "{}", run.text);
    assert!(run.stderr.contains("thinking hard"), "{:?}", run.stderr);
}

#[test]
fn an_adapter_that_prints_garbage_is_recorded_with_its_stderr() {
    let (verdict, run) =
        misbehaving("read -r line\necho 'debug: sending SET' >&2\necho 'SET sent!'\n");
    match verdict {
        Verdict::Failed { reasons } => {
            assert!(reasons[0].contains("not a protocol line"), "{reasons:?}");
            assert!(reasons[0].contains("SET sent!"), "{reasons:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        run.stderr.contains("debug: sending SET"),
        "{:?}",
        run.stderr
    );
}

#[test]
fn an_adapter_that_answers_another_request_is_recorded() {
    let (verdict, _) = misbehaving("read -r line\necho '{\"id\":42,\"ok\":true}'\n");
    match verdict {
        Verdict::Failed { reasons } => {
            assert!(
                reasons[0].contains("a reply to request 42, expected 1"),
                "{reasons:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_adapter_that_crashes_is_recorded_with_its_exit_status() {
    let (verdict, run) = misbehaving("read -r line\necho 'Traceback: boom' >&2\nexit 3\n");
    match verdict {
        Verdict::Failed { reasons } => {
            assert!(reasons[0].contains("exit status: 3"), "{reasons:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(run.stderr.contains("Traceback: boom"), "{:?}", run.stderr);
}
