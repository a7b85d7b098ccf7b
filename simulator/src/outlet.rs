//! The vendor-neutral outlet: on or off, with a power cycle that holds it off for a period and
//! then brings it back on. Vendor profiles are views of this one model.
//!
//! Pending actions are settled lazily against the clock whenever the outlet is read, so no timer
//! task runs per outlet and a manual clock in tests moves them deterministically.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Power {
    On,
    Off,
}

/// What an outlet does when a timer it started runs out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Clock reading at which `then` takes effect.
    pub at: Duration,
    pub then: Power,
}

#[derive(Clone, Debug)]
pub struct Outlet {
    pub name: String,
    power: Power,
    pending: Option<Pending>,
    /// How long a cycle keeps the outlet off (Raritan outletPowerCyclingPowerOffPeriod).
    pub cycle_off_period: Duration,
}

impl Outlet {
    pub fn new(name: String, power: Power, cycle_off_period: Duration) -> Self {
        Outlet {
            name,
            power,
            pending: None,
            cycle_off_period,
        }
    }

    /// The outlet's power at `now`, after any pending action due by then.
    pub fn power(&mut self, now: Duration) -> Power {
        self.settle(now);
        self.power
    }

    /// The power the outlet will have once pending actions are done: what survives a restart.
    pub fn settled_power(&self) -> Power {
        self.pending.map_or(self.power, |p| p.then)
    }

    pub fn pending(&mut self, now: Duration) -> Option<Pending> {
        self.settle(now);
        self.pending
    }

    /// Switches at once, cancelling anything pending.
    pub fn switch(&mut self, power: Power) {
        self.pending = None;
        self.power = power;
    }

    /// Off now, on again after the cycle period. An outlet that is off still cycles (it comes
    /// on after the period), as Raritan and APC units do.
    pub fn cycle(&mut self, now: Duration) {
        self.power = Power::Off;
        self.pending = Some(Pending {
            at: now + self.cycle_off_period,
            then: Power::On,
        });
    }

    fn settle(&mut self, now: Duration) {
        if let Some(p) = self.pending {
            if now >= p.at {
                self.power = p.then;
                self.pending = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_is_off_for_the_period_then_on() {
        let mut o = Outlet::new("a".into(), Power::On, Duration::from_secs(5));
        o.cycle(Duration::from_secs(10));
        assert_eq!(o.power(Duration::from_secs(14)), Power::Off);
        assert_eq!(o.settled_power(), Power::On);
        assert_eq!(o.power(Duration::from_secs(15)), Power::On);
        assert_eq!(o.pending(Duration::from_secs(15)), None);
    }

    #[test]
    fn switching_cancels_a_cycle() {
        let mut o = Outlet::new("a".into(), Power::On, Duration::from_secs(5));
        o.cycle(Duration::ZERO);
        o.switch(Power::Off);
        assert_eq!(o.power(Duration::from_secs(60)), Power::Off);
    }
}
