//! The whole scenario corpus against pductl: one snapshot per scenario file, so a change in
//! driver (or simulator) behaviour shows up as a snapshot diff in review.
//!
//! The scenarios run in parallel, as `pdu-conformance run` runs them (some wait for real
//! timeouts), and are judged by the same code: a scenario passes when its expectations hold
//! and its record equals `conformance/tests/snapshots/drivers/pductl/FOLDER/FILE.snap`.
//! Redaction (ports, engine IDs) is done by the runner itself, so `pdu-conformance run`
//! compares exactly these bytes.
//!
//! `PDU_CONFORMANCE_ACCEPT=1` (or insta's `INSTA_UPDATE=always`) writes the records of new and
//! changed scenarios as their snapshots, as `pdu-conformance run --accept` does, and passes
//! unless an expectation failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pdu_conformance::run::{self, Verdict};
use pdu_conformance::scenario;

fn accepting() -> bool {
    std::env::var("PDU_CONFORMANCE_ACCEPT").is_ok_and(|v| v == "1")
        || std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always")
}

#[test]
fn corpus() {
    let corpus = scenario::default_corpus_dir();
    let files = run::collect(&[corpus]).expect("the corpus folder");
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let snapshots = scenario::default_snapshot_dir();
    let outcomes = run::run_all(files, jobs, &snapshots, |_, _, _| {});
    let accept = accepting();
    let mut bad = Vec::new();
    for o in &outcomes {
        if accept && run::accept(o, "pductl").unwrap() {
            eprintln!("wrote {}", o.snapshot.display());
        }
        match &o.verdict {
            Verdict::Passed | Verdict::NotApplicable { .. } => {}
            Verdict::Changed { .. } if accept => {}
            Verdict::Changed { diff } => bad.push(format!(
                "CHANGED {} (snapshot {}):\n{diff}",
                o.name,
                o.snapshot.display()
            )),
            Verdict::Failed { reasons } | Verdict::Hung { reasons } => bad.push(format!(
                "{} {}:\n  {}",
                o.verdict.word().to_uppercase(),
                o.name,
                reasons.join("\n  ")
            )),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} scenarios did not pass (accept a reviewed change with \
         `pdu-conformance run --accept FILE` or PDU_CONFORMANCE_ACCEPT=1):\n{}",
        bad.len(),
        outcomes.len(),
        bad.join("\n")
    );
}

/// Every `.snap` file below `dir`.
fn snapshot_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "snap"))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Every corpus scenario has its pductl snapshot where `run` looks for it, and every snapshot
/// of any driver belongs to a scenario of the corpus (none is left behind by a rename).
#[test]
fn snapshots_and_scenarios_match_one_to_one() {
    let corpus = scenario::default_corpus_dir();
    let base = scenario::default_snapshot_dir();
    let files = run::collect(&[corpus]).unwrap();
    let mut wanted = std::collections::HashSet::new();
    for path in &files {
        wanted.insert(scenario::scenario_name(path));
        if accepting() {
            // `corpus`, running beside this test, is writing the new ones.
            continue;
        }
        let snap = scenario::snapshot_path(path, "pductl", &base);
        let text = std::fs::read_to_string(&snap).unwrap_or_else(|e| {
            panic!(
                "{}: no snapshot at {} ({e}); write it with `pdu-conformance run --accept {}`",
                scenario::scenario_name(path),
                snap.display(),
                path.display()
            )
        });
        assert!(
            scenario::snapshot_body(&text).is_some(),
            "{}",
            snap.display()
        );
    }
    let drivers = base.join("drivers");
    for driver in std::fs::read_dir(&drivers).unwrap() {
        let dir = driver.unwrap().path();
        for snap in snapshot_files(&dir) {
            let name = snap
                .strip_prefix(&dir)
                .unwrap()
                .with_extension("toml")
                .to_string_lossy()
                .replace('\\', "/");
            assert!(
                wanted.contains(&name),
                "{} belongs to no scenario (scenarios/{name} does not exist): remove it",
                snap.display()
            );
        }
    }
}
