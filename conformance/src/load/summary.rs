//! The end-of-run report, for people (text) and scripts (one JSON object).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::outcome::{ErrorKind, Tally};
use super::session::Operation;

/// What a load run did: the plan in brief, the merged tally and the CPU it cost.
pub struct Summary {
    /// The agent as given, `host:port`.
    pub target: String,
    /// How requests were protected, e.g. `v3 authPriv (admin, SHA/AES)` or `v2c`.
    pub security: String,
    /// The request type.
    pub operation: Operation,
    /// How many OIDs each request named.
    pub oids: usize,
    /// How many workers ran.
    pub concurrency: u32,
    /// Wall-clock time from the start gate to the last worker's end.
    pub elapsed: Duration,
    /// Every worker's tally, merged.
    pub tally: Tally,
    /// The generator's own CPU time during the run (all threads).
    pub client_cpu: Option<Duration>,
    /// The agent's CPU time during the run, when its PID was given.
    pub server_cpu: Option<Duration>,
    /// The agent's process ID, if given (`--server-pid`).
    pub server_pid: Option<u32>,
}

/// `153 µs`, `2.41 ms`, `1.20 s`.
pub fn format_nanos(nanos: u64) -> String {
    if nanos < 10_000 {
        format!("{:.1} µs", nanos as f64 / 1e3)
    } else if nanos < 1_000_000 {
        format!("{} µs", (nanos + 500) / 1000)
    } else if nanos < 1_000_000_000 {
        format!("{:.2} ms", nanos as f64 / 1e6)
    } else {
        format!("{:.2} s", nanos as f64 / 1e9)
    }
}

/// A number for JSON, to the thousandth (NaN and infinities become null).
fn json_number(v: f64) -> Option<f64> {
    v.is_finite().then(|| (v * 1000.0).round() / 1000.0)
}

/// The JSON summary: one flat object, fields in this order. `errors_by_kind` maps each
/// [`ErrorKind`](super::outcome::ErrorKind), as it prints, to its count.
#[derive(Serialize)]
struct JsonSummary<'a> {
    target: &'a str,
    security: &'a str,
    op: &'static str,
    oids: usize,
    concurrency: u32,
    seconds: Option<f64>,
    requests: u64,
    ok: u64,
    errors: u64,
    late: u64,
    requests_per_second: Option<f64>,
    p50_us: Option<f64>,
    p90_us: Option<f64>,
    p99_us: Option<f64>,
    max_us: Option<f64>,
    client_cpu_us_per_request: Option<f64>,
    server_cpu_us_per_request: Option<f64>,
    errors_by_kind: &'a BTreeMap<ErrorKind, u64>,
}

impl Summary {
    /// Requests that ended, answered or not ([`Tally::requests`]).
    pub fn requests(&self) -> u64 {
        self.tally.requests()
    }

    /// Requests that ended per second of `elapsed`; 0 for a run of no time.
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests() as f64 / secs
        } else {
            0.0
        }
    }

    /// CPU microseconds per request that ended.
    fn per_request_us(&self, cpu: Option<Duration>) -> Option<f64> {
        let n = self.requests();
        cpu.filter(|_| n > 0)
            .map(|c| c.as_secs_f64() * 1e6 / n as f64)
    }

    /// The generator's CPU time per request that ended, in microseconds; `None` when it
    /// could not be read or no request ended.
    pub fn client_cpu_us_per_request(&self) -> Option<f64> {
        self.per_request_us(self.client_cpu)
    }

    /// The agent's CPU time per request that ended, in microseconds; `None` without
    /// `--server-pid`, when `/proc/PID/stat` could not be read, or when no request ended.
    pub fn server_cpu_us_per_request(&self) -> Option<f64> {
        self.per_request_us(self.server_cpu)
    }

    fn percentile(&self, q: f64) -> u64 {
        self.tally.latency.quantile_nanos(q)
    }

    /// For people: a header line, request counts and rate, latency percentiles (p50, p90, p99,
    /// max) of answered requests, CPU per request, and errors by kind.
    pub fn to_text(&self) -> String {
        let t = &self.tally;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} {}, {} {} OID{}, {} worker{}, {:.2} s",
            self.target,
            self.security,
            self.operation.name(),
            self.oids,
            if self.oids == 1 { "" } else { "s" },
            self.concurrency,
            if self.concurrency == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "requests   {} ({:.0}/s), ok {}, errors {}{}",
            self.requests(),
            self.per_second(),
            t.ok,
            t.error_count(),
            if t.late > 0 {
                format!(", late replies {}", t.late)
            } else {
                String::new()
            }
        );
        if t.ok > 0 {
            let _ = writeln!(
                s,
                "latency    p50 {}, p90 {}, p99 {}, max {} (answered requests)",
                format_nanos(self.percentile(0.50)),
                format_nanos(self.percentile(0.90)),
                format_nanos(self.percentile(0.99)),
                format_nanos(t.latency.max_nanos())
            );
        }
        if let Some(us) = self.client_cpu_us_per_request() {
            let _ = writeln!(s, "client CPU {us:.1} µs/request (this process)");
        }
        match (self.server_cpu_us_per_request(), self.server_pid) {
            (Some(us), Some(pid)) => {
                let _ = writeln!(s, "server CPU {us:.1} µs/request (pid {pid})");
            }
            (None, Some(pid)) => {
                let _ = writeln!(s, "server CPU unknown: cannot read /proc/{pid}/stat");
            }
            _ => {}
        }
        if !t.errors.is_empty() {
            let list = t
                .errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(s, "errors     {list}");
        }
        s
    }

    /// One JSON object on one line: `target`, `security`, `op`, `oids`, `concurrency`,
    /// `seconds`, `requests`, `ok`, `errors`, `late`, `requests_per_second`, `p50_us`, `p90_us`,
    /// `p99_us`, `max_us` (microseconds), `client_cpu_us_per_request`,
    /// `server_cpu_us_per_request` and `errors_by_kind` (each [`ErrorKind`] as it prints, with
    /// its count). Numbers are rounded to the thousandth; unknown ones are `null`.
    ///
    /// Errors: serde_json's, which this flat object never produces.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let t = &self.tally;
        let us = |nanos: u64| json_number(nanos as f64 / 1e3);
        serde_json::to_string(&JsonSummary {
            target: &self.target,
            security: &self.security,
            op: self.operation.name(),
            oids: self.oids,
            concurrency: self.concurrency,
            seconds: json_number(self.elapsed.as_secs_f64()),
            requests: self.requests(),
            ok: t.ok,
            errors: t.error_count(),
            late: t.late,
            requests_per_second: json_number(self.per_second()),
            p50_us: us(self.percentile(0.50)),
            p90_us: us(self.percentile(0.90)),
            p99_us: us(self.percentile(0.99)),
            max_us: us(t.latency.max_nanos()),
            client_cpu_us_per_request: self.client_cpu_us_per_request().and_then(json_number),
            server_cpu_us_per_request: self.server_cpu_us_per_request().and_then(json_number),
            errors_by_kind: &t.errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        let mut tally = Tally::default();
        for i in 1..=100u64 {
            tally.ok += 1;
            tally.latency.record_nanos(i * 10_000);
        }
        tally.error(ErrorKind::Timeout);
        tally.error(ErrorKind::Report("usmStatsNotInTimeWindows"));
        Summary {
            target: "127.0.0.1:1161".into(),
            security: "v3 authPriv (a \"b\", SHA/AES)".into(),
            operation: Operation::Get,
            oids: 1,
            concurrency: 2,
            elapsed: Duration::from_secs(2),
            tally,
            client_cpu: Some(Duration::from_millis(102)),
            server_cpu: None,
            server_pid: None,
        }
    }

    #[test]
    fn rates_and_cpu_per_request() {
        let s = summary();
        assert_eq!(s.requests(), 102);
        assert!((s.per_second() - 51.0).abs() < 1e-9);
        assert!((s.client_cpu_us_per_request().unwrap_or(0.0) - 1000.0).abs() < 1e-6);
        assert_eq!(s.server_cpu_us_per_request(), None);
    }

    #[test]
    fn json_is_one_flat_object_with_escaped_strings() {
        let j = summary().to_json().unwrap();
        assert!(
            j.starts_with('{') && j.ends_with('}') && !j.contains('\n'),
            "{j}"
        );
        assert!(
            j.starts_with(concat!(
                r#"{"target":"127.0.0.1:1161","security":"v3 authPriv (a \"b\", SHA/AES)","#,
                r#""op":"get","oids":1,"concurrency":2,"seconds":2.0,"#,
                r#""requests":102,"ok":100,"errors":2,"late":0,"requests_per_second":51.0,"#,
                r#""p50_us":"#,
            )),
            "{j}"
        );
        let order = [
            "p50_us",
            "p90_us",
            "p99_us",
            "max_us",
            "client_cpu_us_per_request",
            "server_cpu_us_per_request",
            "errors_by_kind",
        ]
        .map(|key| j.find(&format!(",\"{key}\":")).unwrap());
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{j}");
        assert!(j.contains(r#""client_cpu_us_per_request":1000.0,"#), "{j}");
        assert!(j.contains(r#""server_cpu_us_per_request":null,"#), "{j}");
        assert!(
            j.ends_with(r#""errors_by_kind":{"timeout":1,"report usmStatsNotInTimeWindows":1}}"#),
            "{j}"
        );
        // What bench/compare.sh reads, the way it reads it.
        let jget = |key: &str| {
            let at = j.rfind(&format!("\"{key}\":")).unwrap() + key.len() + 3;
            j[at..].split([',', '}']).next().unwrap().to_string()
        };
        assert_eq!(jget("requests"), "102");
        assert_eq!(jget("errors"), "2");
        assert_eq!(jget("seconds"), "2.0");
        assert_eq!(jget("requests_per_second"), "51.0");
        assert_eq!(jget("client_cpu_us_per_request"), "1000.0");
        let p50: f64 = jget("p50_us").parse().unwrap();
        let p99: f64 = jget("p99_us").parse().unwrap();
        assert!((490.0..=510.0).contains(&p50), "{j}");
        assert!(p50 < p99 && p99 <= 1010.0, "{j}");
        let parsed: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(parsed["security"], "v3 authPriv (a \"b\", SHA/AES)");
    }

    #[test]
    fn json_numbers_are_rounded_and_non_finite_is_null() {
        assert_eq!(json_number(2.0), Some(2.0));
        assert_eq!(json_number(153.4567), Some(153.457));
        assert_eq!(json_number(f64::NAN), None);
        assert_eq!(json_number(f64::INFINITY), None);
        let mut s = summary();
        s.elapsed = Duration::from_micros(1_234_567);
        s.tally = Tally::default();
        s.client_cpu = None;
        let j = s.to_json().unwrap();
        assert!(j.contains(r#""seconds":1.235,"#), "{j}");
        assert!(j.contains(r#""requests":0,"#), "{j}");
        assert!(j.contains(r#""requests_per_second":0.0,"#), "{j}");
        assert!(j.contains(r#""client_cpu_us_per_request":null,"#), "{j}");
        assert!(j.ends_with(r#""errors_by_kind":{}}"#), "{j}");
    }

    #[test]
    fn text_names_errors() {
        let t = summary().to_text();
        assert!(
            t.contains("errors     timeout 1, report usmStatsNotInTimeWindows 1"),
            "{t}"
        );
        assert!(t.contains("requests   102 (51/s), ok 100, errors 2"), "{t}");
    }

    #[test]
    fn nanos_format() {
        assert_eq!(format_nanos(1500), "1.5 µs");
        assert_eq!(format_nanos(153_400), "153 µs");
        assert_eq!(format_nanos(2_410_000), "2.41 ms");
        assert_eq!(format_nanos(1_200_000_000), "1.20 s");
    }
}
