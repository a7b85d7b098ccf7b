//! Stopping a child process: SIGTERM first (so it can save its state), SIGKILL after a deadline.

use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Sends SIGTERM and waits up to `deadline` for `child` to exit; kills it after that. Returns
/// the exit status (if any could be had) and whether it had to be killed.
pub(crate) fn terminate(child: &mut Child, deadline: Duration) -> (Option<ExitStatus>, bool) {
    if let Ok(Some(status)) = child.try_wait() {
        return (Some(status), false);
    }
    let sent = i32::try_from(child.id())
        .ok()
        .is_some_and(|pid| kill(Pid::from_raw(pid), Signal::SIGTERM).is_ok());
    if sent {
        let end = Instant::now() + deadline;
        while Instant::now() < end {
            if let Ok(Some(status)) = child.try_wait() {
                return (Some(status), false);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    (child.wait().ok(), true)
}
