//! Time as the simulator sees it. Engine time, sysUpTime and outlet delays all read one
//! `Clock`, so tests (and the conformance runner) can move time by hand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of monotonic time for one or more PDUs: [`MonotonicClock`] when serving,
/// [`ManualClock`] in tests and scenarios.
pub trait Clock: Send + Sync + 'static {
    /// Time elapsed since this clock's own epoch (monotonic, never goes back).
    fn now(&self) -> Duration;

    /// For a clock moved by hand: a receiver that sees every move, so timers waiting on this
    /// clock wake when it is advanced. `None` for a clock that moves by itself (sleep instead).
    fn advanced(&self) -> Option<tokio::sync::watch::Receiver<()>> {
        None
    }
}

/// The real monotonic clock, with its epoch at creation.
#[derive(Debug)]
pub struct MonotonicClock {
    epoch: Instant,
}

impl MonotonicClock {
    /// A clock reading zero now.
    pub fn new() -> Self {
        MonotonicClock {
            epoch: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    nanos: AtomicU64,
    moved: tokio::sync::watch::Sender<()>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock {
            nanos: AtomicU64::new(0),
            moved: tokio::sync::watch::Sender::new(()),
        }
    }
}

impl ManualClock {
    /// Moves the clock forward by `by`; every PDU reading it sees the new time at once.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(by, Ordering::SeqCst);
        self.moved.send_replace(());
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }

    fn advanced(&self) -> Option<tokio::sync::watch::Receiver<()>> {
        Some(self.moved.subscribe())
    }
}
