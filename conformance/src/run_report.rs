//! `pdu-conformance run --report DIR`: the run as `run-report.html` (one self-contained page:
//! scenarios grouped by folder, each with its verdict, the reasons it failed or hung, the diff
//! of a changed record, what the driver did at each step and the full record) and
//! `run-report.json` (the same verdicts, for tools).

use std::path::{Path, PathBuf};

use crate::html::escape;
use crate::run::{Outcome, RunError, Verdict};

/// The verdict as the report words it (`pass`, `fail`, `changed`, `hung`, `n/a`), also the
/// CSS class (`n/a` as `not-applicable`).
fn word(verdict: &Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Passed => ("pass", "pass"),
        Verdict::Failed { .. } => ("fail", "fail"),
        Verdict::Changed { .. } => ("changed", "changed"),
        Verdict::Hung { .. } => ("hung", "hung"),
        Verdict::NotApplicable { .. } => ("n/a", "not-applicable"),
    }
}

/// The lines that say why a scenario did not pass (empty when it did).
fn reasons(verdict: &Verdict) -> Vec<String> {
    match verdict {
        Verdict::Passed => Vec::new(),
        Verdict::Failed { reasons } | Verdict::Hung { reasons } => reasons.clone(),
        Verdict::Changed { .. } => vec!["the record differs from the committed snapshot".into()],
        Verdict::NotApplicable { reason } => vec![reason.clone()],
    }
}

fn folder_of(name: &str) -> &str {
    name.rsplit_once('/').map_or("", |(f, _)| f)
}

/// The run as JSON: the driver, the date, totals by verdict, and one object per scenario
/// (name, folder, verdict, seconds, reasons).
pub fn to_json(outcomes: &[Outcome], driver: &str, generated: &str) -> serde_json::Value {
    let mut totals = std::collections::BTreeMap::<&str, usize>::new();
    let scenarios: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let (w, _) = word(&o.verdict);
            *totals.entry(w).or_default() += 1;
            serde_json::json!({
                "name": o.name,
                "folder": folder_of(&o.name),
                "verdict": w,
                "seconds": (o.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                "reasons": reasons(&o.verdict),
            })
        })
        .collect();
    serde_json::json!({
        "driver": driver,
        "generated": generated,
        "tool": format!("pdu-conformance {}", env!("CARGO_PKG_VERSION")),
        "totals": totals,
        "scenarios": scenarios,
    })
}

/// The run as one HTML page (see the module documentation), dated `generated`.
pub fn to_html(outcomes: &[Outcome], driver: &str, generated: &str) -> String {
    let title = format!("Scenario run against {driver}");
    let mut out = crate::html::page_head(&title);
    out.push_str(&format!("<h1>{}</h1>\n", escape(&title)));
    let json = to_json(outcomes, driver, generated);
    let totals = json["totals"]
        .as_object()
        .map(|t| {
            t.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let bad = outcomes.iter().any(|o| !o.verdict.is_good());
    out.push_str(&format!(
        "<p id=\"totals\" class=\"{}\">{} scenarios: {}</p>\n",
        if bad { "failed" } else { "passed" },
        outcomes.len(),
        escape(&totals)
    ));
    out.push_str(&format!(
        "<dl>\n<dt>Driver</dt><dd>{}</dd>\n<dt>Generated</dt><dd>{}</dd>\n<dt>Tool</dt><dd>pdu-conformance {}</dd>\n</dl>\n",
        escape(driver),
        escape(generated),
        env!("CARGO_PKG_VERSION")
    ));
    let mut folders: Vec<&str> = outcomes.iter().map(|o| folder_of(&o.name)).collect();
    folders.dedup();
    folders.sort_unstable();
    folders.dedup();
    for folder in folders {
        out.push_str(&format!(
            "<section>\n<h2>{}</h2>\n<table class=\"verdicts\">\n<thead><tr><th scope=\"col\">Scenario</th><th scope=\"col\">Result</th><th scope=\"col\">Time</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n",
            escape(if folder.is_empty() { "(top level)" } else { folder })
        ));
        for o in outcomes.iter().filter(|o| folder_of(&o.name) == folder) {
            let (w, class) = word(&o.verdict);
            out.push_str(&format!(
                "<tr class=\"{class}\" data-scenario=\"{}\"><td><a href=\"#{}\">{}</a></td><td class=\"result\">{w}</td><td>{:.2} s</td><td>{}</td></tr>\n",
                escape(&o.name),
                anchor(&o.name),
                escape(&o.name),
                o.elapsed.as_secs_f64(),
                escape(&reasons(&o.verdict).join("; "))
            ));
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("<h2>Scenarios</h2>\n");
    for o in outcomes {
        let (w, class) = word(&o.verdict);
        out.push_str(&format!(
            "<section id=\"{}\" class=\"{class}\">\n<h3>{} — {w}</h3>\n",
            anchor(&o.name),
            escape(&o.name)
        ));
        match &o.run {
            Ok(run) => {
                if !run.description.is_empty() {
                    out.push_str(&format!("<p>{}</p>\n", escape(&run.description)));
                }
                for r in reasons(&o.verdict) {
                    out.push_str(&format!("<p><strong>{}</strong></p>\n", escape(&r)));
                }
                if let Verdict::Changed { diff } = &o.verdict {
                    out.push_str(&format!(
                        "<h4>Diff, snapshot to this run</h4>\n<pre class=\"diff\">{}</pre>\n",
                        escape(diff)
                    ));
                }
                if !run.driver_steps.is_empty() {
                    out.push_str("<h4>Driver steps</h4>\n<ol>\n");
                    for s in &run.driver_steps {
                        out.push_str(&format!("<li>{}</li>\n", escape(s)));
                    }
                    out.push_str("</ol>\n");
                }
                out.push_str(&format!(
                    "<details><summary>Record</summary>\n<pre>{}</pre>\n</details>\n",
                    escape(&run.text)
                ));
                if !run.stderr.is_empty() {
                    out.push_str(&format!(
                        "<details><summary>Adapter stderr</summary>\n<pre>{}</pre>\n</details>\n",
                        escape(&run.stderr)
                    ));
                }
            }
            Err(why) => out.push_str(&format!("<p><strong>{}</strong></p>\n", escape(why))),
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// An HTML id for a scenario name (`usm/wrong-digest.toml` -> `s-usm-wrong-digest-toml`).
fn anchor(name: &str) -> String {
    let mut id = String::from("s-");
    id.extend(
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }),
    );
    id
}

/// Writes `run-report.html` and `run-report.json` into `dir` (created if missing), dated now;
/// returns their paths.
///
/// Errors: [`RunError::Write`] naming the folder or file that could not be written.
pub fn write(dir: &Path, outcomes: &[Outcome], driver: &str) -> Result<[PathBuf; 2], RunError> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(failed(dir))?;
    let generated = httpdate::fmt_http_date(std::time::SystemTime::now());
    let html = dir.join("run-report.html");
    let json = dir.join("run-report.json");
    std::fs::write(&html, to_html(outcomes, driver, &generated)).map_err(failed(&html))?;
    let text = serde_json::to_string_pretty(&to_json(outcomes, driver, &generated))
        .unwrap_or_default()
        + "\n";
    std::fs::write(&json, text).map_err(failed(&json))?;
    Ok([html, json])
}
