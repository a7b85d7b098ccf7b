//! The end-of-run report, for people (text) and scripts (one JSON object).

use std::fmt::Write;
use std::time::Duration;

use super::outcome::Tally;
use super::session::Operation;

pub struct Summary {
    pub target: String,
    pub security: String,
    pub operation: Operation,
    pub oids: usize,
    pub concurrency: u32,
    pub elapsed: Duration,
    pub tally: Tally,
    /// The generator's own CPU time during the run (all threads).
    pub client_cpu: Option<Duration>,
    /// The agent's CPU time during the run, when its PID was given.
    pub server_cpu: Option<Duration>,
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

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A finite number for JSON (NaN and infinities become null).
fn json_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "null".into()
    }
}

impl Summary {
    pub fn requests(&self) -> u64 {
        self.tally.requests()
    }

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

    pub fn client_cpu_us_per_request(&self) -> Option<f64> {
        self.per_request_us(self.client_cpu)
    }

    pub fn server_cpu_us_per_request(&self) -> Option<f64> {
        self.per_request_us(self.server_cpu)
    }

    fn percentile(&self, q: f64) -> u64 {
        self.tally.latency.quantile_nanos(q)
    }

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

    pub fn to_json(&self) -> String {
        let t = &self.tally;
        let opt = |v: Option<f64>| v.map_or("null".to_string(), json_number);
        let errors = t
            .errors
            .iter()
            .map(|(k, n)| format!("{}:{n}", json_string(&k.to_string())))
            .collect::<Vec<_>>()
            .join(",");
        let us = |nanos: u64| json_number(nanos as f64 / 1e3);
        format!(
            concat!(
                "{{\"target\":{},\"security\":{},\"op\":{},\"oids\":{},\"concurrency\":{},",
                "\"seconds\":{},\"requests\":{},\"ok\":{},\"errors\":{},\"late\":{},",
                "\"requests_per_second\":{},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},",
                "\"max_us\":{},\"client_cpu_us_per_request\":{},",
                "\"server_cpu_us_per_request\":{},\"errors_by_kind\":{{{}}}}}"
            ),
            json_string(&self.target),
            json_string(&self.security),
            json_string(self.operation.name()),
            self.oids,
            self.concurrency,
            json_number(self.elapsed.as_secs_f64()),
            self.requests(),
            t.ok,
            t.error_count(),
            t.late,
            json_number(self.per_second()),
            us(self.percentile(0.50)),
            us(self.percentile(0.90)),
            us(self.percentile(0.99)),
            us(t.latency.max_nanos()),
            opt(self.client_cpu_us_per_request()),
            opt(self.server_cpu_us_per_request()),
            errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::outcome::ErrorKind;
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
        let j = summary().to_json();
        assert!(j.starts_with('{') && j.ends_with('}'));
        assert!(
            j.contains(r#""security":"v3 authPriv (a \"b\", SHA/AES)""#),
            "{j}"
        );
        assert!(j.contains(r#""requests":102,"ok":100,"errors":2,"#), "{j}");
        assert!(j.contains(r#""server_cpu_us_per_request":null"#), "{j}");
        assert!(
            j.contains(r#""errors_by_kind":{"timeout":1,"report usmStatsNotInTimeWindows":1}"#),
            "{j}"
        );
        assert!(
            j.contains(r#""p50_us":500.000"#) || j.contains(r#""p50_us":50"#),
            "{j}"
        );
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
