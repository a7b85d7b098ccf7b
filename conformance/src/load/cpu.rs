//! CPU time of a process (user + system, all threads), so the load generator can say what a
//! request cost itself and, given the agent's PID, the agent.
//!
//! Its own comes from getrusage(2), in microseconds; another process's from `/proc/PID/stat`,
//! in clock ticks of 10 ms (Linux only).

use std::time::Duration;

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::{TimeVal, TimeValLike};

/// Clock ticks per second in `/proc/*/stat`: USER_HZ, which Linux fixes at 100 for user space
/// on every architecture it runs on.
const TICKS_PER_SECOND: u64 = 100;

/// CPU time a process has used so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct CpuTime(Duration);

impl CpuTime {
    /// From `/proc/*/stat` clock ticks.
    pub fn from_ticks(ticks: u64) -> CpuTime {
        CpuTime(Duration::from_millis(
            ticks.saturating_mul(1000 / TICKS_PER_SECOND),
        ))
    }

    /// The CPU time as a `Duration` (microsecond resolution from getrusage, 10 ms from
    /// `/proc`).
    pub fn as_duration(self) -> Duration {
        self.0
    }

    /// The CPU time used since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: CpuTime) -> Duration {
        self.0.saturating_sub(earlier.0)
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
    Some(CpuTime::from_ticks(utime.checked_add(stime)?))
}

fn duration_of(t: TimeVal) -> Duration {
    Duration::from_micros(u64::try_from(t.num_microseconds()).unwrap_or(0))
}

/// CPU time used so far by this process, all threads (getrusage `RUSAGE_SELF`, microseconds).
pub fn own() -> Option<CpuTime> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).ok()?;
    Some(CpuTime(
        duration_of(usage.user_time()) + duration_of(usage.system_time()),
    ))
}

/// CPU time used so far by the process `pid`, from `/proc/PID/stat`. `None` when the process
/// is gone or `/proc` is not there (not Linux).
pub fn of_process(pid: u32) -> Option<CpuTime> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU time used so far by the process `pid`, or by this one for `None`.
pub fn read(pid: Option<u32>) -> Option<CpuTime> {
    match pid {
        Some(p) => of_process(p),
        None => own(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn parses_a_real_line() {
        let line = "1234 (pdusim) S 1 1234 1234 0 -1 4194560 2000 0 0 0 731 269 0 0 20 0 3 0 \
                    100 200000000 1000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0";
        assert_eq!(parse_stat(line), Some(CpuTime::from_ticks(1000)));
        assert_eq!(
            parse_stat(line).map(CpuTime::as_duration),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn names_with_spaces_and_parentheses_do_not_shift_fields() {
        let line = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 7 0 0 20 0 1 0 1 1 1";
        assert_eq!(
            parse_stat(line).map(CpuTime::as_duration),
            Some(Duration::from_millis(120))
        );
    }

    #[test]
    fn short_or_garbled_lines_are_none() {
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("1 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s"), None);
    }

    #[test]
    fn difference_saturates() {
        let a = CpuTime::from_ticks(50);
        let b = CpuTime::from_ticks(40);
        assert_eq!(a.since(b), Duration::from_millis(100));
        assert_eq!(b.since(a), Duration::ZERO);
    }

    #[test]
    fn timevals_convert_to_microseconds() {
        assert_eq!(
            duration_of(TimeVal::new(2, 345_678)),
            Duration::from_micros(2_345_678)
        );
        assert_eq!(duration_of(TimeVal::new(-1, 0)), Duration::ZERO);
    }

    #[test]
    fn own_time_is_readable_and_grows_with_work() {
        let before = own().expect("getrusage(RUSAGE_SELF)");
        let started = Instant::now();
        let mut x = 1u64;
        let mut after = before;
        // Spin until the CPU time moves (bounded, should the machine be very busy).
        while after == before && started.elapsed() < Duration::from_secs(5) {
            for i in 0..10_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
            after = own().expect("getrusage(RUSAGE_SELF)");
        }
        assert!(after > before, "{before:?} -> {after:?}");
        assert_eq!(read(None).map(|t| t >= after), Some(true));
    }

    #[test]
    fn own_process_is_readable_by_pid_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(read(Some(std::process::id())).is_some());
        }
    }
}
