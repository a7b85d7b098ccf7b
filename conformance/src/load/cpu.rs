//! CPU time of a process from `/proc/PID/stat` (utime + stime, all threads), so the load
//! generator can say what a request cost itself and, given the agent's PID, the agent.

use std::time::Duration;

/// Clock ticks per second in `/proc/*/stat`: USER_HZ, which Linux fixes at 100 for user space
/// on every architecture it runs on.
const TICKS_PER_SECOND: u64 = 100;

/// utime + stime of a process, as read from its `stat` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CpuTime {
    pub ticks: u64,
}

impl CpuTime {
    pub fn as_duration(self) -> Duration {
        Duration::from_millis(self.ticks * 1000 / TICKS_PER_SECOND)
    }

    pub fn since(self, earlier: CpuTime) -> Duration {
        CpuTime {
            ticks: self.ticks.saturating_sub(earlier.ticks),
        }
        .as_duration()
    }
}

/// Parses the contents of `/proc/PID/stat`. The command name (field 2) is in parentheses and
/// may itself hold spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<CpuTime> {
    let after_name = text.get(text.rfind(')')? + 1..)?;
    // After the name: field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(CpuTime {
        ticks: utime + stime,
    })
}

/// CPU time used so far by the process `pid` (`None` for this process). `None` when the
/// process is gone or `/proc` is not there (not Linux).
pub fn read(pid: Option<u32>) -> Option<CpuTime> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_line() {
        let line = "1234 (pdusim) S 1 1234 1234 0 -1 4194560 2000 0 0 0 731 269 0 0 20 0 3 0 \
                    100 200000000 1000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0";
        assert_eq!(parse_stat(line), Some(CpuTime { ticks: 1000 }));
        assert_eq!(
            parse_stat(line).map(CpuTime::as_duration),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn names_with_spaces_and_parentheses_do_not_shift_fields() {
        let line = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 7 0 0 20 0 1 0 1 1 1";
        assert_eq!(parse_stat(line), Some(CpuTime { ticks: 12 }));
    }

    #[test]
    fn short_or_garbled_lines_are_none() {
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("1 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s"), None);
    }

    #[test]
    fn difference_saturates() {
        let a = CpuTime { ticks: 50 };
        let b = CpuTime { ticks: 40 };
        assert_eq!(a.since(b), Duration::from_millis(100));
        assert_eq!(b.since(a), Duration::ZERO);
    }

    #[test]
    fn own_process_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(read(None).is_some());
        }
    }
}
