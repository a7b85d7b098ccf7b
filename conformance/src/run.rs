//! `pdu-conformance run`: replays scenario files, in parallel, and compares each record with
//! its committed insta snapshot. Summary: passed / failed / changed; JUnit XML on request;
//! exit status 1 on any failure or change.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::scenario::{self, snapshot_body, snapshot_file};

/// The flags of `pdu-conformance run`: which scenarios, how many at once, where the
/// snapshots and the JUnit report are.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance run                      # the whole corpus (scenarios/ of this workspace)
  pdu-conformance run scenarios/usm --filter digest
  pdu-conformance run --junit target/conformance.xml --jobs 2

A scenario passes when every expectation in it holds and its record equals the committed
snapshot (conformance/tests/snapshots). To accept a changed record, run
`cargo insta test -p pdu-conformance --review` (or INSTA_UPDATE=always cargo test -p pdu-conformance).
Exit status: 0 when all passed, 1 otherwise.")]
pub struct RunArgs {
    /// Scenario files or folders (default: the workspace's scenarios/).
    pub paths: Vec<PathBuf>,
    /// Only scenarios whose name (e.g. usm/wrong-digest.toml) contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Scenarios run at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// The folder of committed snapshots.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Print each changed scenario's new record in full, not only the diff.
    #[arg(long)]
    pub verbose: bool,
}

/// How one scenario ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every expectation held and the record equals the committed snapshot.
    Passed,
    /// The record differs from the snapshot (or there is none yet).
    Changed {
        /// A unified diff, snapshot to this run (or a note that there is no snapshot).
        diff: String,
    },
    /// An expectation failed, or the file could not run.
    Failed {
        /// One line per failed expectation, or why the file could not run.
        reasons: Vec<String>,
    },
}

/// One scenario's result, as [`run_one`] returns it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario's name: its path below `scenarios/` (`usm/wrong-digest.toml`).
    pub name: String,
    /// The file run.
    pub path: PathBuf,
    /// How it ended.
    pub verdict: Verdict,
    /// Wall-clock time of loading, running and judging it.
    pub elapsed: Duration,
    /// The run's record and failures, or why the file could not be loaded or run.
    pub run: Result<scenario::Run, String>,
}

/// Why `run` could not replay the corpus (a scenario that fails is a verdict, not an error).
#[derive(Debug, Error)]
pub enum RunError {
    /// A folder of scenarios could not be read.
    #[error("cannot read the folder {path}: {source}")]
    Folder {
        /// The folder given.
        path: PathBuf,
        /// What went wrong.
        source: walkdir::Error,
    },
    /// A path that is neither a file nor a folder.
    #[error("{0} does not exist: give scenario files or folders")]
    Missing(PathBuf),
    /// Paths and filter left nothing to run.
    #[error("no scenario files matched: check the paths and --filter")]
    NoneMatched,
    /// The JUnit report could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The report's path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The JUnit report could not be rendered.
    #[error("cannot render the JUnit report: {0}")]
    Junit(#[from] quick_junit::SerializeError),
}

/// Every `.toml` below the given paths, sorted.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RunError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|source| RunError::Folder {
                path: p.clone(),
                source,
            })?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(RunError::Missing(p.clone()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every `.toml` file below `dir`, at any depth.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), walkdir::Error> {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "toml") {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

/// Compares a run with the committed snapshot.
pub fn judge(run: &Result<scenario::Run, String>, snapshot: Option<&str>) -> Verdict {
    let run = match run {
        Err(e) => {
            return Verdict::Failed {
                reasons: vec![e.clone()],
            }
        }
        Ok(r) => r,
    };
    if !run.failures.is_empty() {
        return Verdict::Failed {
            reasons: run.failures.clone(),
        };
    }
    match snapshot.and_then(snapshot_body) {
        Some(body) if body.trim_end() == run.text.trim_end() => Verdict::Passed,
        Some(body) => Verdict::Changed {
            diff: diff(body, &run.text),
        },
        None => Verdict::Changed {
            diff: "no snapshot yet (new scenario)".into(),
        },
    }
}

fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old.trim_end(), new.trim_end())
        .unified_diff()
        .context_radius(3)
        .header("snapshot", "this run")
        .to_string()
}

/// Runs `files` on `jobs` threads, each scenario on its own single-threaded runtime: a
/// scenario's key derivation (CPU-bound) then never delays another scenario's timers.
/// `progress` is told about each scenario as it ends.
pub fn run_all(
    files: Vec<PathBuf>,
    jobs: usize,
    snapshots: &Path,
    progress: impl Fn(&Outcome, usize, usize) + Sync,
) -> Vec<Outcome> {
    let total = files.len();
    let queue = std::sync::Mutex::new(
        files
            .into_iter()
            .enumerate()
            .collect::<std::collections::VecDeque<_>>(),
    );
    let done = std::sync::Mutex::new(Vec::with_capacity(total));
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(total.max(1)) {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some((i, path)) = next else { break };
                let outcome = run_one(&path, snapshots);
                let mut done = done.lock().unwrap_or_else(|p| p.into_inner());
                done.push((i, outcome));
                if let Some((_, o)) = done.last() {
                    progress(o, done.len(), total);
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}

/// Runs one scenario file and judges it against its snapshot.
pub fn run_one(path: &Path, snapshots: &Path) -> Outcome {
    let started = Instant::now();
    let name = scenario::scenario_name(path);
    let run = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(scenario::run_file(path)),
        Err(e) => Err(format!("cannot start a runtime: {e}")),
    };
    let snapshot = std::fs::read_to_string(snapshot_file(snapshots, &name)).ok();
    let verdict = judge(&run, snapshot.as_deref());
    Outcome {
        name,
        path: path.to_path_buf(),
        verdict,
        elapsed: started.elapsed(),
        run,
    }
}

/// `pdu-conformance run`: collects the scenario files (default: the workspace's `scenarios/`),
/// runs them on `--jobs` threads, prints failures, diffs and a summary, and writes the JUnit
/// report if asked.
///
/// Returns exit status 0 when every scenario passed, 1 when one failed or changed. Errors:
/// [`RunError::Folder`] and [`RunError::Missing`] for paths that cannot be read,
/// [`RunError::NoneMatched`], and [`RunError::Write`] / [`RunError::Junit`] for the JUnit report.
pub fn run(args: RunArgs) -> Result<ExitCode, RunError> {
    let paths = if args.paths.is_empty() {
        vec![scenario::default_corpus_dir()]
    } else {
        args.paths.clone()
    };
    let mut files = collect(&paths)?;
    if let Some(f) = &args.filter {
        files.retain(|p| scenario::scenario_name(p).contains(f.as_str()));
    }
    if files.is_empty() {
        return Err(RunError::NoneMatched);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let snapshots = args
        .snapshots
        .clone()
        .unwrap_or_else(scenario::default_snapshot_dir);
    // A progress bar on a terminal; one line per scenario otherwise (CI logs).
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{pos:>3}/{len} [{bar:30}] {elapsed} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Some(bar)
    } else {
        None
    };
    let started = Instant::now();
    let outcomes = run_all(files, jobs, &snapshots, |o, n, total| {
        let word = match o.verdict {
            Verdict::Passed => "ok",
            Verdict::Changed { .. } => "CHANGED",
            Verdict::Failed { .. } => "FAILED",
        };
        match &bar {
            Some(bar) => {
                if o.verdict != Verdict::Passed {
                    bar.println(format!("{word:<7} {}", o.name));
                }
                bar.set_message(o.name.clone());
                bar.inc(1);
            }
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "[{n:>3}/{total}] {word:<7} {}", o.name);
            }
        }
    });
    let elapsed = started.elapsed();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (mut passed, mut failed, mut changed) = (0, 0, 0);
    for o in &outcomes {
        match &o.verdict {
            Verdict::Passed => passed += 1,
            Verdict::Failed { reasons } => {
                failed += 1;
                println!("FAILED {} ({})", o.name, o.path.display());
                for r in reasons {
                    println!("  {r}");
                }
                if args.verbose {
                    if let Ok(r) = &o.run {
                        println!("  record:\n{}", r.text);
                    }
                }
            }
            Verdict::Changed { diff } => {
                changed += 1;
                println!(
                    "CHANGED {} (snapshot {})",
                    o.name,
                    snapshot_file(&snapshots, &o.name).display()
                );
                for l in diff.lines() {
                    println!("  {l}");
                }
                if args.verbose {
                    if let Ok(r) = &o.run {
                        println!("  new record:\n{}", r.text);
                    }
                }
            }
        }
    }
    println!(
        "{} scenarios in {:.1}s: {passed} passed, {failed} failed, {changed} changed",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&outcomes)?).map_err(|source| RunError::Write {
            path: path.clone(),
            source,
        })?;
        println!("JUnit report: {}", path.display());
    }
    Ok(if failed + changed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The outcomes as JUnit XML: one test case per scenario, in a suite per folder.
pub fn junit(outcomes: &[Outcome]) -> Result<String, RunError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("pdu-conformance");
    let mut suites: std::collections::BTreeMap<String, Vec<TestCase>> = Default::default();
    for o in outcomes {
        let (folder, file) = o
            .name
            .rsplit_once('/')
            .unwrap_or(("scenarios", o.name.as_str()));
        let status = match &o.verdict {
            Verdict::Passed => TestCaseStatus::success(),
            Verdict::Failed { reasons } => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message("an expectation failed")
                    .set_description(reasons.join("\n"));
                s
            }
            Verdict::Changed { diff } => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message("the record differs from the committed snapshot")
                    .set_description(diff.clone());
                s
            }
        };
        let mut case = TestCase::new(file.to_string(), status);
        case.set_classname(folder.to_string()).set_time(o.elapsed);
        suites.entry(folder.to_string()).or_default().push(case);
    }
    for (name, cases) in suites {
        let mut suite = TestSuite::new(name);
        suite.add_test_cases(cases);
        report.add_test_suite(suite);
    }
    Ok(report.to_string()?)
}
