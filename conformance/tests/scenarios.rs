//! The whole scenario corpus through insta: one snapshot per scenario file, so a change in
//! driver (or simulator) behaviour shows up as a snapshot diff in review.
//!
//! The scenarios run in parallel first, as `pdu-conformance run` runs them (some wait for
//! real timeouts); `glob!` then asserts
//! each record in file order. Redaction (ports, engine IDs) is done by the runner itself, so
//! `pdu-conformance run` compares exactly these bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use pdu_conformance::scenario;

#[test]
fn corpus() {
    let corpus = scenario::default_corpus_dir();
    let files = pdu_conformance::run::collect(&[corpus]).expect("the corpus folder");
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let snapshots = scenario::default_snapshot_dir();
    let runs: HashMap<PathBuf, Result<scenario::Run, String>> =
        pdu_conformance::run::run_all(files, jobs, &snapshots, |_, _, _| {})
            .into_iter()
            .map(|o| (std::fs::canonicalize(&o.path).unwrap_or(o.path), o.run))
            .collect();
    insta::glob!("../../scenarios", "**/*.toml", |path| {
        let key = std::fs::canonicalize(path).unwrap();
        let run = match runs.get(&key) {
            Some(Ok(run)) => run,
            Some(Err(e)) => panic!("{e}"),
            None => panic!("{} was not run", path.display()),
        };
        insta::assert_snapshot!(run.text);
        assert!(
            run.failures.is_empty(),
            "{}: expectations failed:\n{}",
            path.display(),
            run.failures.join("\n")
        );
    });
}

/// `run` finds the snapshot files `glob!` writes.
#[test]
fn run_command_and_insta_agree_on_snapshot_names() {
    let corpus = scenario::default_corpus_dir();
    let dir = scenario::default_snapshot_dir();
    for path in pdu_conformance::run::collect(&[corpus]).unwrap() {
        let name = scenario::scenario_name(&path);
        let snap = scenario::snapshot_file(&dir, &name);
        let text = std::fs::read_to_string(&snap)
            .unwrap_or_else(|e| panic!("{}: no snapshot at {} ({e})", name, snap.display()));
        assert!(
            scenario::snapshot_body(&text).is_some(),
            "{}",
            snap.display()
        );
    }
}
