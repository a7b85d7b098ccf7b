//! `pdu-conformance matrix`: the scenario corpus against several drivers at once, as a
//! compatibility matrix (scenarios grouped by folder × drivers, each cell pass / fail / hung /
//! n/a with a one-line reason, per-driver totals), written as Markdown and JSON.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::adapter::{DriverChoice, BUILT_IN};
use crate::run::{collect, run_one_with, write_snapshot, Outcome, RunError, Tested, Verdict};
use crate::scenario;

/// The flags of `pdu-conformance matrix`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance matrix                          # every built-in driver; rewrites conformance/MATRIX.md and matrix.json
  pdu-conformance matrix --driver pductl --driver ./my-adapter.sh --out /tmp/m
  pdu-conformance matrix --accept                 # also rewrite the adapters' snapshots

Exit status: 0 when written (and, with --check, when every adapter's record equals its
snapshot), 1 otherwise.")]
pub struct MatrixArgs {
    /// Scenario files or folders (default: the workspace's scenarios/).
    pub paths: Vec<PathBuf>,
    /// A driver: pductl, net-snmp, jumpstarter or an adapter command; repeat for each column
    /// (default: every built-in driver).
    #[arg(long = "driver", value_name = "NAME|COMMAND")]
    pub drivers: Vec<String>,
    /// Scenario runs at once, across drivers (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Where MATRIX.md and matrix.json go (default: the workspace's conformance/ folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write the matrix as one self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The folder of committed snapshots.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Write each adapter's records as its snapshots.
    #[arg(long)]
    pub accept: bool,
}

/// One cell: a scenario for a driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `pass`, `fail`, `hung` or `n/a`.
    pub verdict: &'static str,
    /// One line: what the driver did, or why it failed, hung or was not judged.
    pub reason: String,
}

/// One driver's column.
#[derive(Debug, Clone)]
pub struct Column {
    /// The driver.
    pub driver: Tested,
    /// Its scenarios' outcomes, in scenario order.
    pub outcomes: Vec<Outcome>,
    /// The sum of its scenarios' wall-clock times (the corpus time at `--jobs 1`).
    pub corpus_time: Duration,
}

/// The whole matrix.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Scenario names (`usm/wrong-auth-key.toml`), sorted.
    pub scenarios: Vec<String>,
    /// Their descriptions, by name.
    pub descriptions: BTreeMap<String, String>,
    /// One column per driver, in the order given.
    pub columns: Vec<Column>,
}

const REASON_CHARS: usize = 160;

fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > REASON_CHARS {
        let cut: String = flat.chars().take(REASON_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The cell of `outcome`: the behaviour verdict (the snapshot comparison is not part of it).
pub fn cell(outcome: &Outcome) -> Cell {
    let run = match &outcome.run {
        Ok(r) => r,
        Err(e) => {
            return Cell {
                verdict: "fail",
                reason: one_line(e),
            }
        }
    };
    let strip = |s: &str| {
        // "step 2 (line 25): ..." -> "step 2: ..."
        match (s.find(" (line "), s.find("): ")) {
            (Some(a), Some(b)) if a < b => format!("{}:{}", &s[..a], &s[b + 2..]),
            _ => s.to_string(),
        }
    };
    if let Some(why) = &run.not_applicable {
        return Cell {
            verdict: "n/a",
            reason: one_line(why),
        };
    }
    if let Some(h) = run.hung.first() {
        return Cell {
            verdict: "hung",
            reason: one_line(&strip(h)),
        };
    }
    if let Some(f) = run.failures.first() {
        return Cell {
            verdict: "fail",
            reason: one_line(&strip(f)),
        };
    }
    Cell {
        verdict: "pass",
        reason: one_line(&run.driver_steps.join("; ")),
    }
}

impl Matrix {
    /// Runs every scenario of `files` against every driver, `jobs` at a time (drivers
    /// interleaved, so slow adapters overlap). Snapshots are compared below `snapshots`.
    pub fn build(files: &[PathBuf], drivers: Vec<Tested>, jobs: usize, snapshots: &Path) -> Matrix {
        let tasks: Vec<(usize, usize)> = (0..files.len())
            .flat_map(|f| (0..drivers.len()).map(move |d| (f, d)))
            .collect();
        let total = tasks.len();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{pos:>4}/{len} [{bar:30}] {elapsed} {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let queue =
            std::sync::Mutex::new(tasks.into_iter().collect::<std::collections::VecDeque<_>>());
        let done = std::sync::Mutex::new(Vec::with_capacity(total));
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1).min(total.max(1)) {
                scope.spawn(|| loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                    let Some((f, d)) = next else { break };
                    let (Some(path), Some(driver)) = (files.get(f), drivers.get(d)) else {
                        break;
                    };
                    let outcome = run_one_with(path, snapshots, driver);
                    if let Some(bar) = &bar {
                        bar.set_message(format!("{} {}", driver.name(), outcome.name));
                        bar.inc(1);
                    }
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((f, d, outcome));
                });
            }
        });
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
        done.sort_by_key(|(f, d, _)| (*d, *f));
        let mut columns: Vec<Column> = drivers
            .into_iter()
            .map(|driver| Column {
                driver,
                outcomes: Vec::new(),
                corpus_time: Duration::ZERO,
            })
            .collect();
        let mut descriptions = BTreeMap::new();
        for (_, d, outcome) in done {
            if let Ok(r) = &outcome.run {
                descriptions.insert(outcome.name.clone(), r.description.clone());
            }
            if let Some(c) = columns.get_mut(d) {
                c.corpus_time += outcome.elapsed;
                c.outcomes.push(outcome);
            }
        }
        let scenarios = files.iter().map(|p| scenario::scenario_name(p)).collect();
        Matrix {
            scenarios,
            descriptions,
            columns,
        }
    }

    fn cell_of(&self, column: &Column, name: &str) -> Cell {
        column
            .outcomes
            .iter()
            .find(|o| o.name == name)
            .map(cell)
            .unwrap_or(Cell {
                verdict: "n/a",
                reason: "not run".into(),
            })
    }

    /// Per driver: how many cells are pass, fail, hung, n/a.
    pub fn totals(&self) -> Vec<(String, BTreeMap<&'static str, usize>)> {
        self.columns
            .iter()
            .map(|c| {
                let mut t: BTreeMap<&'static str, usize> = ["pass", "fail", "hung", "n/a"]
                    .iter()
                    .map(|k| (*k, 0))
                    .collect();
                for name in &self.scenarios {
                    *t.entry(self.cell_of(c, name).verdict).or_default() += 1;
                }
                (c.driver.name().to_string(), t)
            })
            .collect()
    }

    fn driver_version(c: &Column) -> String {
        match &c.driver.hello {
            Some(h) => format!("{} {}", h.name, h.version),
            None => format!("pdu-driver {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The matrix as Markdown: totals, then one table per scenario folder.
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = String::new();
        out.push_str("# Driver compatibility matrix\n\n");
        out.push_str(
            "Every scenario of `scenarios/` replayed against each driver on the simulator \
             (conformance/ADAPTERS.md says how drivers are wrapped and judged). A cell is **pass**, \
             **fail**, **hung** (no reply by the step's deadline) or **n/a** (an SNMP version or \
             action the driver lacks), with what the driver did or why it failed.\n\n\
             Regenerate: `scripts/test.sh` makes the Python virtualenv, then \
             `cargo run -p pdu-conformance -- matrix --accept`. Generated; do not edit.\n\n",
        );
        out.push_str(
            "| driver | version | pass | fail | hung | n/a |\n|---|---|---|---|---|---|\n",
        );
        for (c, (name, t)) in self.columns.iter().zip(self.totals()) {
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} |\n",
                esc(&Self::driver_version(c)),
                t["pass"],
                t["fail"],
                t["hung"],
                t["n/a"]
            ));
        }
        let mut folders: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for name in &self.scenarios {
            let folder = name.rsplit_once('/').map_or("", |(f, _)| f).to_string();
            folders.entry(folder).or_default().push(name);
        }
        for (folder, names) in folders {
            out.push_str(&format!("\n## {folder}\n\n| scenario |"));
            for c in &self.columns {
                out.push_str(&format!(" {} |", c.driver.name()));
            }
            out.push_str("\n|---|");
            for _ in &self.columns {
                out.push_str("---|");
            }
            out.push('\n');
            for name in names {
                let file = name.rsplit_once('/').map_or(name.as_str(), |(_, f)| f);
                let description = self.descriptions.get(name).cloned().unwrap_or_default();
                out.push_str(&format!("| `{file}`: {} |", esc(&description)));
                for c in &self.columns {
                    let cell = self.cell_of(c, name);
                    let word = match cell.verdict {
                        "pass" => "pass".to_string(),
                        other => format!("**{other}**"),
                    };
                    if cell.reason.is_empty() {
                        out.push_str(&format!(" {word} |"));
                    } else {
                        out.push_str(&format!(" {word}: {} |", esc(&cell.reason)));
                    }
                }
                out.push('\n');
            }
        }
        out
    }

    /// The matrix as JSON: drivers with their totals, and scenarios with one cell per driver.
    pub fn json(&self) -> serde_json::Value {
        let drivers: Vec<serde_json::Value> = self
            .columns
            .iter()
            .zip(self.totals())
            .map(|(c, (name, t))| {
                serde_json::json!({
                    "name": name,
                    "driver": Self::driver_version(c),
                    "totals": t,
                })
            })
            .collect();
        let scenarios: Vec<serde_json::Value> = self
            .scenarios
            .iter()
            .map(|name| {
                let cells: serde_json::Map<String, serde_json::Value> = self
                    .columns
                    .iter()
                    .map(|c| {
                        let cell = self.cell_of(c, name);
                        (
                            c.driver.name().to_string(),
                            serde_json::json!({ "verdict": cell.verdict, "reason": cell.reason }),
                        )
                    })
                    .collect();
                serde_json::json!({
                    "name": name,
                    "folder": name.rsplit_once('/').map_or("", |(f, _)| f),
                    "description": self.descriptions.get(name).cloned().unwrap_or_default(),
                    "cells": cells,
                })
            })
            .collect();
        serde_json::json!({ "protocol": crate::adapter::PROTOCOL_VERSION, "drivers": drivers, "scenarios": scenarios })
    }

    /// The matrix as one self-contained HTML page (inline CSS, no script): per-driver totals,
    /// then one table per scenario folder, a row per scenario and a cell per driver with the
    /// verdict and its one-line reason.
    pub fn html(&self) -> String {
        html_of(&self.json())
    }

    /// Runs again, one at a time, every adapter scenario whose record differs from its snapshot or that hung
    /// and keeps the second run: a busy machine can push a driver past a short
    /// timeout once, a change of behaviour shows twice. Returns the scenarios run again, with
    /// the first run's diff.
    pub fn rerun_changed(
        &mut self,
        snapshots: &Path,
        files: &[PathBuf],
    ) -> Vec<(String, String, String)> {
        let mut again = Vec::new();
        for c in &mut self.columns {
            if c.driver.choice == DriverChoice::Pductl || !c.driver.snapshot_dir(snapshots).is_dir()
            {
                continue;
            }
            for o in &mut c.outcomes {
                // A hung step is rerun too: on a busy machine a slow driver (a Python process
                // per step) can miss its deadline once.
                let why = match &o.verdict {
                    Verdict::Changed { diff } => diff.clone(),
                    Verdict::Hung { reasons } => reasons.join("\n"),
                    _ => continue,
                };
                let Some(path) = files.iter().find(|p| scenario::scenario_name(p) == o.name) else {
                    continue;
                };
                again.push((c.driver.name().to_string(), o.name.clone(), why));
                *o = run_one_with(path, snapshots, &c.driver);
            }
        }
        again
    }

    /// Per driver: the scenarios whose record differs from the committed snapshot (adapters
    /// with a snapshot folder below `snapshots` only; pductl's are checked by `cargo test`'s
    /// `scenarios` test and `pdu-conformance run`).
    pub fn changed(&self, snapshots: &Path) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for c in &self.columns {
            if c.driver.choice == DriverChoice::Pductl || !c.driver.snapshot_dir(snapshots).is_dir()
            {
                continue;
            }
            for o in &c.outcomes {
                if let Verdict::Changed { diff } = &o.verdict {
                    out.push((c.driver.name().to_string(), o.name.clone(), diff.clone()));
                }
            }
        }
        out
    }
}

/// The committed matrix documents: `conformance/MATRIX.md` and `conformance/matrix.json`.
pub fn default_out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `pdu-conformance matrix`: runs the corpus for each `--driver` (default: every built-in
/// one), writes `MATRIX.md` and `matrix.json`, prints per-driver totals and corpus times.
///
/// Errors: those of [`collect`], [`Tested::new`] for a driver that does not start, and
/// [`RunError::Write`] for files that cannot be written.
pub fn run(args: MatrixArgs) -> Result<ExitCode, RunError> {
    let paths = if args.paths.is_empty() {
        vec![scenario::default_corpus_dir()]
    } else {
        args.paths.clone()
    };
    let files = collect(&paths)?;
    if files.is_empty() {
        return Err(RunError::NoneMatched);
    }
    let names: Vec<String> = if args.drivers.is_empty() {
        BUILT_IN.iter().map(|s| s.to_string()).collect()
    } else {
        args.drivers.clone()
    };
    let drivers = names
        .iter()
        .map(|n| Tested::new(n))
        .collect::<Result<Vec<_>, _>>()?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let snapshots = args
        .snapshots
        .clone()
        .unwrap_or_else(scenario::default_snapshot_dir);
    let started = Instant::now();
    let mut matrix = Matrix::build(&files, drivers, jobs, &snapshots);
    if !args.accept {
        for (driver, name, _) in matrix.rerun_changed(&snapshots, &files) {
            eprintln!("{driver} {name}: differs from its snapshot; run again alone");
        }
    }
    let elapsed = started.elapsed();
    for c in &matrix.columns {
        c.driver.pool.drain();
    }
    let out = args.out.clone().unwrap_or_else(default_out_dir);
    let write = |file: &str, text: String| {
        let path = out.join(file);
        std::fs::create_dir_all(&out)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| RunError::Write { path, source })
    };
    write("MATRIX.md", matrix.markdown())?;
    if let Some(path) = &args.html {
        std::fs::write(path, matrix.html()).map_err(|source| RunError::Write {
            path: path.clone(),
            source,
        })?;
    }
    write(
        "matrix.json",
        serde_json::to_string_pretty(&matrix.json()).unwrap_or_default() + "\n",
    )?;
    for (c, (name, t)) in matrix.columns.iter().zip(matrix.totals()) {
        println!(
            "{name:<12} pass {:>3}  fail {:>3}  hung {:>3}  n/a {:>3}   corpus time {:.1}s",
            t["pass"],
            t["fail"],
            t["hung"],
            t["n/a"],
            c.corpus_time.as_secs_f64()
        );
    }
    println!(
        "{} scenarios x {} drivers in {:.1}s (--jobs {jobs}); wrote {} and {}",
        matrix.scenarios.len(),
        matrix.columns.len(),
        elapsed.as_secs_f64(),
        out.join("MATRIX.md").display(),
        out.join("matrix.json").display()
    );
    let changed = matrix.changed(&snapshots);
    if args.accept {
        for c in &matrix.columns {
            if let DriverChoice::Adapter { name, .. } = &c.driver.choice {
                for o in &c.outcomes {
                    match &o.run {
                        Ok(r) if r.not_applicable.is_none() => {
                            write_snapshot(&o.snapshot, &o.name, name, &r.text)?;
                        }
                        // n/a: no record to keep; a stale one would mislead.
                        _ => {
                            let _ = std::fs::remove_file(&o.snapshot);
                        }
                    }
                }
            }
        }
        println!("{} adapter snapshots changed, written", changed.len());
        return Ok(ExitCode::SUCCESS);
    }
    for (driver, name, diff) in &changed {
        println!("CHANGED {driver} {name}");
        for l in diff.lines() {
            println!("  {l}");
        }
    }
    Ok(if changed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// [`Matrix::html`] from the matrix's JSON form (see [`Matrix::json`]).
fn html_of(json: &serde_json::Value) -> String {
    use crate::html::escape;
    let empty = Vec::new();
    let drivers = json["drivers"].as_array().unwrap_or(&empty);
    let names: Vec<&str> = drivers.iter().filter_map(|d| d["name"].as_str()).collect();
    let mut out = crate::html::page_head("Driver compatibility matrix");
    out.push_str("<h1>Driver compatibility matrix</h1>\n<table id=\"totals\">\n<thead><tr><th scope=\"col\">Driver</th><th scope=\"col\">Version</th><th scope=\"col\">pass</th><th scope=\"col\">fail</th><th scope=\"col\">hung</th><th scope=\"col\">n/a</th></tr></thead>\n<tbody>\n");
    for d in drivers {
        let t = &d["totals"];
        out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(d["name"].as_str().unwrap_or_default()),
            escape(d["driver"].as_str().unwrap_or_default()),
            t["pass"], t["fail"], t["hung"], t["n/a"]
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    let scenarios = json["scenarios"].as_array().unwrap_or(&empty);
    let mut folders: Vec<&str> = scenarios
        .iter()
        .filter_map(|s| s["folder"].as_str())
        .collect();
    folders.sort_unstable();
    folders.dedup();
    for folder in folders {
        out.push_str(&format!("<section>\n<h2>{}</h2>\n<table class=\"matrix\">\n<thead><tr><th scope=\"col\">Scenario</th>", escape(folder)));
        for n in &names {
            out.push_str(&format!("<th scope=\"col\">{}</th>", escape(n)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for s in scenarios
            .iter()
            .filter(|s| s["folder"].as_str() == Some(folder))
        {
            out.push_str(&format!(
                "<tr><th scope=\"row\" title=\"{}\">{}</th>",
                escape(s["description"].as_str().unwrap_or_default()),
                escape(s["name"].as_str().unwrap_or_default())
            ));
            for n in &names {
                let cell = &s["cells"][*n];
                let verdict = cell["verdict"].as_str().unwrap_or("n/a");
                let class = if verdict == "n/a" {
                    "not-applicable"
                } else {
                    verdict
                };
                out.push_str(&format!(
                    "<td class=\"{}\"><strong>{}</strong><br><small>{}</small></td>",
                    escape(class),
                    escape(verdict),
                    escape(cell["reason"].as_str().unwrap_or_default())
                ));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod html_tests {
    /// The committed matrix, as HTML: a totals row per driver and a cell per scenario and
    /// driver, each with the verdict the JSON gives, its reason escaped.
    #[test]
    fn the_committed_matrix_as_html_has_every_cell_of_the_json() {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(super::default_out_dir().join("matrix.json")).unwrap(),
        )
        .unwrap();
        let html = super::html_of(&json);
        let drivers = json["drivers"].as_array().unwrap().len();
        let scenarios = json["scenarios"].as_array().unwrap().len();
        assert_eq!(html.matches("<td class=").count(), drivers * scenarios);
        assert_eq!(
            html.matches("<tr><th scope=\"row\" title=").count(),
            scenarios
        );
        let cells = |verdict: &str| {
            json["scenarios"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["cells"].as_object().unwrap().values())
                .filter(|c| c["verdict"] == verdict)
                .count()
        };
        for verdict in ["pass", "fail", "hung"] {
            assert_eq!(
                html.matches(&format!(
                    "<td class=\"{verdict}\"><strong>{verdict}</strong>"
                ))
                .count(),
                cells(verdict),
                "{verdict}"
            );
        }
        assert!(!html.contains("<script"), "no script in a report");
    }
}
