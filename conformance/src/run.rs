//! `pdu-conformance run`: replays scenario files, in parallel, and compares each record with
//! its committed insta snapshot. Summary: passed / failed / changed; JUnit XML on request;
//! exit status 1 on any failure or change.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::adapter::process::{AdapterProcess, Pool};
use crate::adapter::{DriverChoice, DriverError, Hello};
use crate::scenario::runner::{Under, HELLO_DEADLINE};
use crate::scenario::{self, snapshot_body, snapshot_path};

/// The flags of `pdu-conformance run`: which scenarios, how many at once, where the
/// snapshots and the JUnit report are.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance run                      # the whole corpus (scenarios/ of this workspace)
  pdu-conformance run scenarios/usm --filter digest
  pdu-conformance run --junit target/conformance.xml --jobs 2
  pdu-conformance run --driver jumpstarter # a built-in adapter (pductl, net-snmp, jumpstarter)
  pdu-conformance run --accept scenarios/errors/my-case.toml   # write (or update) its snapshot
  pdu-conformance run --driver ./my-adapter.sh --snapshots /tmp/snaps --accept

A scenario passes when every expectation in it holds and its record equals its snapshot. A
corpus scenario's (one below a `scenarios` folder) is
conformance/tests/snapshots/drivers/DRIVER/FOLDER/FILE.snap; any other file's is next to it,
FILE.snap for pductl and FILE.DRIVER.snap for other drivers. --accept writes the record of each
scenario run as its snapshot (review the change with `git diff`). Scenarios a driver cannot be
judged by (an SNMP version or action it lacks) are n/a.
Exit status: 0 when all passed (or were n/a), 1 otherwise (with --accept: 1 when an expectation
failed).")]
pub struct RunArgs {
    /// Scenario files or folders (default: the workspace's scenarios/).
    pub paths: Vec<PathBuf>,
    /// Only scenarios whose name (e.g. usm/wrong-digest.toml) contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write run-report.html (scenarios by folder, steps, outcomes, diffs; one self-contained
    /// page) and run-report.json into this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Scenarios run at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// The folder of committed snapshots of corpus scenarios (default
    /// conformance/tests/snapshots; each driver's are in drivers/DRIVER/ below it).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Print each changed scenario's new record in full, not only the diff.
    #[arg(long)]
    pub verbose: bool,
    /// The driver under test: `pductl` (in-process, the default), a built-in adapter
    /// (`net-snmp`, `jumpstarter`) or an adapter command (`./my-adapter.sh`, `python3 a.py`),
    /// which speaks the adapter protocol (conformance/ADAPTERS.md).
    #[arg(long, value_name = "NAME|COMMAND", default_value = "pductl")]
    pub driver: String,
    /// Write each scenario's record as its snapshot for this driver, where it is new or differs
    /// (review the change with `git diff`); n/a scenarios get none.
    #[arg(long)]
    pub accept: bool,
}

/// A driver ready to run scenarios: what it is and, for an adapter, its hello.
#[derive(Debug, Clone)]
pub struct Tested {
    /// Which driver.
    pub choice: DriverChoice,
    /// What the adapter announced (`None` for pductl).
    pub hello: Option<Hello>,
    /// Idle processes of a stateless adapter, shared by the threads running scenarios.
    pub pool: Pool,
}

impl Tested {
    /// Resolves `--driver` and, for an adapter, starts it once to read its hello.
    ///
    /// Errors: [`RunError::Driver`] for a name that is no driver, [`RunError::Adapter`] when
    /// the adapter does not start or says no proper hello.
    pub fn new(driver: &str) -> Result<Tested, RunError> {
        let choice = crate::adapter::resolve(driver)?;
        let pool = Pool::default();
        let hello = match &choice {
            DriverChoice::Pductl => None,
            DriverChoice::Adapter { name, command } => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| RunError::Adapter {
                        name: name.clone(),
                        problem: format!("cannot start a runtime: {e}"),
                    })?;
                let p = rt
                    .block_on(AdapterProcess::start(command, HELLO_DEADLINE))
                    .map_err(|(f, stderr)| RunError::Adapter {
                        name: name.clone(),
                        problem: format!("{f}; its stderr:\n{stderr}"),
                    })?;
                let hello = p.hello.clone();
                if hello.stateless {
                    pool.put(p);
                } else {
                    p.finish(Duration::from_secs(2));
                }
                Some(hello)
            }
        };
        Ok(Tested {
            choice,
            hello,
            pool,
        })
    }

    /// The in-process driver.
    pub fn pductl() -> Tested {
        Tested {
            choice: DriverChoice::Pductl,
            hello: None,
            pool: Pool::default(),
        }
    }

    /// The driver's name (`pductl`, `jumpstarter`, ...).
    pub fn name(&self) -> &str {
        self.choice.name()
    }

    /// Where this driver's snapshots of corpus scenarios are below `base`:
    /// `base/drivers/NAME` (`drivers/pductl` for pductl).
    pub fn snapshot_dir(&self, base: &Path) -> PathBuf {
        base.join("drivers").join(self.name())
    }

    fn under(&self) -> Under<'_> {
        match (&self.choice, &self.hello) {
            (DriverChoice::Adapter { command, .. }, Some(hello)) => Under::Adapter {
                command,
                hello,
                pool: &self.pool,
            },
            _ => Under::Pductl,
        }
    }
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
    /// A driver step did not end within its deadline.
    Hung {
        /// Which steps, and the deadline.
        reasons: Vec<String>,
    },
    /// The scenario cannot judge this driver.
    NotApplicable {
        /// Why (an SNMP version or an action the driver lacks).
        reason: String,
    },
}

impl Verdict {
    /// One word: `pass`, `changed`, `fail`, `hung`, `n/a`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "pass",
            Verdict::Changed { .. } => "changed",
            Verdict::Failed { .. } => "fail",
            Verdict::Hung { .. } => "hung",
            Verdict::NotApplicable { .. } => "n/a",
        }
    }

    /// Whether the run command counts it as good (passed or n/a).
    pub fn is_good(&self) -> bool {
        matches!(self, Verdict::Passed | Verdict::NotApplicable { .. })
    }
}

/// One scenario's result, as [`run_one`] returns it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario's name: its path below `scenarios/` (`usm/wrong-digest.toml`).
    pub name: String,
    /// The file run.
    pub path: PathBuf,
    /// Its snapshot file for the driver run ([`scenario::snapshot_path`]).
    pub snapshot: PathBuf,
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
    /// `--driver` names no driver.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The adapter did not start properly.
    #[error("the adapter {name} did not start: {problem}")]
    Adapter {
        /// The driver's name.
        name: String,
        /// What went wrong, with the adapter's stderr.
        problem: String,
    },
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
    if let Some(reason) = &run.not_applicable {
        return Verdict::NotApplicable {
            reason: reason.clone(),
        };
    }
    if !run.hung.is_empty() {
        return Verdict::Hung {
            reasons: run.hung.clone(),
        };
    }
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
    run_all_with(files, jobs, snapshots, &Tested::pductl(), progress)
}

/// [`run_all`] for any driver: `snapshots` is the base folder ([`Tested::snapshot_dir`]
/// picks the driver's own).
pub fn run_all_with(
    files: Vec<PathBuf>,
    jobs: usize,
    snapshots: &Path,
    driver: &Tested,
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
                let outcome = run_one_with(&path, snapshots, driver);
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
    run_one_with(path, snapshots, &Tested::pductl())
}

/// Runs one scenario file against `driver` and judges it against the driver's snapshot
/// below `snapshots`.
pub fn run_one_with(path: &Path, snapshots: &Path, driver: &Tested) -> Outcome {
    let started = Instant::now();
    let name = scenario::scenario_name(path);
    let run = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(async {
            let s = scenario::load(path).map_err(|e| e.to_string())?;
            scenario::runner::run_with(&s, driver.under()).await
        }),
        Err(e) => Err(format!("cannot start a runtime: {e}")),
    };
    let snapshot_file = snapshot_path(path, driver.name(), snapshots);
    let snapshot = std::fs::read_to_string(&snapshot_file).ok();
    let verdict = judge(&run, snapshot.as_deref());
    Outcome {
        name,
        path: path.to_path_buf(),
        snapshot: snapshot_file,
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
    let driver = Tested::new(&args.driver)?;
    let started = Instant::now();
    let outcomes = run_all_with(files, jobs, &snapshots, &driver, |o, n, total| {
        let word = match o.verdict {
            Verdict::Passed => "ok",
            Verdict::Changed { .. } => "CHANGED",
            Verdict::Failed { .. } => "FAILED",
            Verdict::Hung { .. } => "HUNG",
            Verdict::NotApplicable { .. } => "n/a",
        };
        match &bar {
            Some(bar) => {
                if !o.verdict.is_good() {
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
    driver.pool.drain();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (mut passed, mut failed, mut changed, mut na) = (0, 0, 0, 0);
    for o in &outcomes {
        if args.accept {
            accept(o, driver.name())?;
        }
        match &o.verdict {
            Verdict::Passed => passed += 1,
            Verdict::NotApplicable { .. } => na += 1,
            Verdict::Failed { reasons } | Verdict::Hung { reasons } => {
                failed += 1;
                println!(
                    "{} {} ({})",
                    o.verdict.word().to_uppercase(),
                    o.name,
                    o.path.display()
                );
                for r in reasons {
                    println!("  {r}");
                }
                if let Ok(r) = &o.run {
                    if !r.stderr.is_empty() {
                        println!("  adapter stderr:");
                        for l in r.stderr.lines() {
                            println!("    {l}");
                        }
                    }
                    if args.verbose {
                        println!("  record:\n{}", r.text);
                    }
                }
            }
            Verdict::Changed { diff } => {
                changed += 1;
                println!(
                    "CHANGED {} (snapshot {}{})",
                    o.name,
                    o.snapshot.display(),
                    if args.accept { ", written" } else { "" }
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
        "{} scenarios in {:.1}s against {}: {passed} passed, {failed} failed, {changed} changed, {na} n/a",
        outcomes.len(),
        elapsed.as_secs_f64(),
        driver.name()
    );
    if args.accept {
        changed = 0;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&outcomes)?).map_err(|source| RunError::Write {
            path: path.clone(),
            source,
        })?;
        println!("JUnit report: {}", path.display());
    }
    if let Some(dir) = &args.report {
        let [html, json] = crate::run_report::write(dir, &outcomes, driver.name())?;
        println!("run report: {} and {}", html.display(), json.display());
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
            Verdict::Hung { reasons } => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message("a driver step hung")
                    .set_description(reasons.join("\n"));
                s
            }
            Verdict::NotApplicable { reason } => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(reason.clone());
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

/// Writes `body` as the snapshot file `path` of scenario `name` for driver `driver`, in the
/// format [`snapshot_body`] reads, creating its folders.
///
/// Errors: [`RunError::Write`] when the file cannot be written.
pub fn write_snapshot(path: &Path, name: &str, driver: &str, body: &str) -> Result<(), RunError> {
    let text = format!("---\nsource: {name}\ndriver: {driver}\n---\n{body}");
    path.parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, text))
        .map_err(|source| RunError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// `--accept` for one outcome: writes its record as its snapshot where there is none yet or it
/// differs (a scenario that is n/a or could not run gets none). Returns whether it wrote.
///
/// Errors: [`RunError::Write`] when the file cannot be written.
pub fn accept(outcome: &Outcome, driver: &str) -> Result<bool, RunError> {
    let Ok(run) = &outcome.run else {
        return Ok(false);
    };
    if run.not_applicable.is_some() {
        return Ok(false);
    }
    let current = std::fs::read_to_string(&outcome.snapshot).ok();
    let same = current
        .as_deref()
        .and_then(snapshot_body)
        .is_some_and(|body| body.trim_end() == run.text.trim_end());
    if same {
        return Ok(false);
    }
    write_snapshot(&outcome.snapshot, &outcome.name, driver, &run.text)?;
    Ok(true)
}
