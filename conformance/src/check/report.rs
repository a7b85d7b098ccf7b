//! The report: each check's result with its evidence, as text (the terminal), Markdown and
//! JSON (`--report DIR`).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// A check's result. Serialized as `pass`, `fail`, `not-applicable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The device behaves as drivers need.
    Pass,
    /// It does not; the evidence says how.
    Fail,
    /// The check does not apply (another SNMP version, no such table, switching not allowed).
    NotApplicable,
}

impl Status {
    /// The result column's word: `pass`, `FAIL` (loud on purpose) or `n/a`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotApplicable => "n/a",
        }
    }
}

/// One check: its result, why (`evidence`), and the requests behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The check's name, one of [`super::ALL`].
    pub check: String,
    /// Its result.
    pub status: Status,
    /// Why, in one line.
    pub evidence: String,
    /// What was sent, one line per request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sent: Vec<String>,
    /// What came back, one line per datagram (or "no answer").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub received: Vec<String>,
}

impl Check {
    /// A result with no requests behind it yet (see [`Check::with`]).
    pub fn new(check: &str, status: Status, evidence: impl Into<String>) -> Check {
        Check {
            check: check.into(),
            status,
            evidence: evidence.into(),
            sent: Vec::new(),
            received: Vec::new(),
        }
    }
    /// A [`Status::Pass`].
    pub fn pass(check: &str, evidence: impl Into<String>) -> Check {
        Check::new(check, Status::Pass, evidence)
    }
    /// A [`Status::Fail`].
    pub fn fail(check: &str, evidence: impl Into<String>) -> Check {
        Check::new(check, Status::Fail, evidence)
    }
    /// A [`Status::NotApplicable`].
    pub fn na(check: &str, evidence: impl Into<String>) -> Check {
        Check::new(check, Status::NotApplicable, evidence)
    }
    /// Adds a request and what came back.
    pub fn with(mut self, sent: impl Into<String>, received: Vec<String>) -> Check {
        self.sent.push(sent.into());
        self.received.extend(received);
        self
    }
}

/// Every check of one device, in the order run, with the totals.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The device, as `host:port`.
    pub target: String,
    /// How it was spoken to: `v2c`, or `v3 authPriv as "ops"`.
    pub security: String,
    /// The vendor profile used, if one was detected or given.
    pub profile: Option<String>,
    /// The results, in the order [`Report::push`] added them.
    pub checks: Vec<Check>,
    /// How many checks passed.
    pub passed: usize,
    /// How many checks failed.
    pub failed: usize,
    /// How many checks did not apply.
    pub not_applicable: usize,
}

impl Report {
    /// An empty report on `target` (`host:port`) spoken to with `security`.
    pub fn new(target: String, security: String) -> Report {
        Report {
            target,
            security,
            profile: None,
            checks: Vec::new(),
            passed: 0,
            failed: 0,
            not_applicable: 0,
        }
    }

    /// Adds a result and counts it in the totals.
    pub fn push(&mut self, check: Check) {
        match check.status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
        self.checks.push(check);
    }

    /// True if any check failed (the command then exits with status 2).
    pub fn failed(&self) -> bool {
        self.failed > 0
    }

    /// The first result of the check named `name`.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == name)
    }

    fn heading(&self) -> String {
        format!(
            "Compatibility check of {} ({}), profile {}",
            self.target,
            self.security,
            self.profile.as_deref().unwrap_or("none")
        )
    }

    fn totals(&self) -> String {
        format!(
            "{} passed, {} failed, {} not applicable",
            self.passed, self.failed, self.not_applicable
        )
    }

    /// For the terminal: a table of results, then the evidence of each check.
    pub fn to_text(&self) -> String {
        let width = self
            .checks
            .iter()
            .map(|c| c.check.len())
            .max()
            .unwrap_or(10)
            .max(5);
        let mut out = format!("{}\n\n{:<width$}  result  why\n", self.heading(), "check");
        for c in &self.checks {
            out.push_str(&format!(
                "{:<width$}  {:<6}  {}\n",
                c.check,
                c.status.word(),
                c.evidence
            ));
        }
        out.push_str("\nEvidence (what was sent, what came back):\n");
        for c in self.checks.iter().filter(|c| !c.sent.is_empty()) {
            out.push_str(&format!("\n[{}] {}\n", c.status.word(), c.check));
            for s in &c.sent {
                out.push_str(&format!("  sent      {s}\n"));
            }
            for r in &c.received {
                out.push_str(&format!("  received  {r}\n"));
            }
        }
        out.push_str(&format!("\n{}\n", self.totals()));
        out
    }

    /// For `check-report.md`: the totals, a table of results, then each check's evidence in a
    /// code block.
    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!(
            "# {}\n\n{}\n\n| check | result | why |\n|---|---|---|\n",
            self.heading(),
            self.totals()
        );
        for c in &self.checks {
            let word = match c.status {
                Status::Pass => "pass",
                Status::Fail => "**FAIL**",
                Status::NotApplicable => "n/a",
            };
            out.push_str(&format!(
                "| {} | {word} | {} |\n",
                cell(&c.check),
                cell(&c.evidence)
            ));
        }
        out.push_str("\n## Evidence\n");
        for c in self.checks.iter().filter(|c| !c.sent.is_empty()) {
            out.push_str(&format!(
                "\n### {} — {}\n\n{}\n\n```\n",
                c.check,
                c.status.word(),
                c.evidence
            ));
            for s in &c.sent {
                out.push_str(&format!("sent      {s}\n"));
            }
            for r in &c.received {
                out.push_str(&format!("received  {r}\n"));
            }
            out.push_str("```\n");
        }
        out
    }

    /// For `--json` and `check-report.json`: the report, pretty-printed (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
    }

    /// For `check-report.html`: one self-contained page (inline CSS, no script, nothing loaded
    /// from elsewhere) to attach to a ticket or print: the device's identity (target, security,
    /// profile, what detection and engine discovery found), the date `generated` (e.g. an HTTP
    /// date) and the tool's version, the verdict table, then each check's evidence.
    pub fn to_html(&self, generated: &str) -> String {
        let e = crate::html::escape;
        let evidence_of = |name: &str| self.get(name).map_or("", |c| c.evidence.as_str());
        let mut out = String::with_capacity(16 * 1024);
        out.push_str(&crate::html::page_head(&self.heading()));
        out.push_str(&format!("<h1>{}</h1>\n", e(&self.heading())));
        out.push_str(&format!(
            "<p id=\"totals\" class=\"{}\">{}</p>\n",
            if self.failed() { "failed" } else { "passed" },
            e(&self.totals())
        ));
        out.push_str("<h2>Device</h2>\n<dl id=\"identity\">\n");
        for (term, value) in [
            ("Target", self.target.as_str()),
            ("Spoken to as", self.security.as_str()),
            ("Profile", self.profile.as_deref().unwrap_or("none")),
            ("Detection", evidence_of(super::DETECTION)),
            ("Engine discovery", evidence_of(super::DISCOVERY)),
            ("Checked", generated),
            (
                "Tool",
                concat!("pdu-conformance ", env!("CARGO_PKG_VERSION")),
            ),
        ] {
            out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", e(term), e(value)));
        }
        out.push_str("</dl>\n<h2>Verdicts</h2>\n<table id=\"verdicts\">\n");
        out.push_str("<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Result</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n");
        for c in &self.checks {
            out.push_str(&format!(
                "<tr class=\"{}\"><th scope=\"row\">{}</th><td class=\"result\">{}</td><td>{}</td></tr>\n",
                status_class(c.status),
                e(&c.check),
                c.status.word(),
                e(&c.evidence)
            ));
        }
        out.push_str("</tbody>\n</table>\n<h2>Evidence</h2>\n");
        for c in self.checks.iter().filter(|c| !c.sent.is_empty()) {
            out.push_str(&format!(
                "<section class=\"{}\">\n<h3>{} — {}</h3>\n<p>{}</p>\n<pre>",
                status_class(c.status),
                e(&c.check),
                c.status.word(),
                e(&c.evidence)
            ));
            for s in &c.sent {
                out.push_str(&format!("sent      {}\n", e(s)));
            }
            for r in &c.received {
                out.push_str(&format!("received  {}\n", e(r)));
            }
            out.push_str("</pre>\n</section>\n");
        }
        out.push_str("</body>\n</html>\n");
        out
    }

    /// Writes `check-report.md`, `check-report.json` and `check-report.html` into `dir`
    /// (created if missing); the HTML is dated now. Returns their paths in that order.
    ///
    /// Errors: the folder cannot be created or a file cannot be written; the error names it.
    pub fn write(&self, dir: &Path) -> Result<[PathBuf; 3], WriteError> {
        let failed = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WriteError { path, source }
        };
        std::fs::create_dir_all(dir).map_err(failed(dir))?;
        let md = dir.join("check-report.md");
        let json = dir.join("check-report.json");
        let html = dir.join("check-report.html");
        std::fs::write(&md, self.to_markdown()).map_err(failed(&md))?;
        std::fs::write(&json, self.to_json() + "\n").map_err(failed(&json))?;
        let generated = httpdate::fmt_http_date(std::time::SystemTime::now());
        std::fs::write(&html, self.to_html(&generated)).map_err(failed(&html))?;
        Ok([md, json, html])
    }
}

/// The CSS class of a result (`pass`, `fail`, `not-applicable`), as JSON names it.
fn status_class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NotApplicable => "not-applicable",
    }
}

/// A report file or folder that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    /// The file or folder.
    pub path: PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}
