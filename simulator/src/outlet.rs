//! The vendor-neutral outlet: on or off, with delayed commands, power cycles, pending states
//! and metering. Every vendor table is a view of this one model, so two tables of the same
//! device can never disagree.
//!
//! Pending actions are settled lazily against the clock whenever the outlet is read, so no timer
//! task runs per outlet and a manual clock in tests moves them deterministically.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Whether an outlet is powered. Written `on` / `off` in files and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Power {
    /// Powered.
    On,
    /// Not powered.
    Off,
}

/// What the outlet does at power-up of the PDU (Raritan outletStateOnStartup, APC
/// PowerOnTime, ...): come up off, on, or as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartupPower {
    /// The outlet comes up off (`off`).
    Off,
    /// The outlet comes up on (`on`).
    On,
    /// The outlet comes up as it was saved (`last-known`).
    LastKnown,
}

/// A command as every vendor table expresses it, in the model's own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// On now, cancelling anything pending.
    On,
    /// Off now, cancelling anything pending.
    Off,
    /// Off now, on again after the reboot duration.
    Reboot,
    /// On after the outlet's on-delay.
    DelayedOn,
    /// Off after the outlet's off-delay.
    DelayedOff,
    /// PowerNet-MIB's delayedReboot: a delayed off (the off-delay), the reboot duration, then a
    /// delayed on (the on-delay).
    DelayedReboot,
    /// Drop whatever is pending; the outlet stays as it is now.
    Cancel,
}

/// One scheduled change: at clock reading `at`, the outlet's power becomes `power`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// When, as a reading of the PDU's clock (time since its epoch).
    pub at: Duration,
    /// The power from then on.
    pub power: Power,
}

/// What a pending command will do next, as vendor tables report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingKind {
    /// Off now or soon, then on again (a reboot in progress).
    Reboot,
    /// Will turn on.
    On,
    /// Will turn off.
    Off,
}

/// Per-outlet timings, in the units vendor MIBs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delays {
    /// How long a delayed-on waits (APC PowerOnTime, Vertiv hold times); [`Delays::NEVER`]
    /// for never.
    pub on_delay: Duration,
    /// How long a delayed-off waits (APC PowerOffTime); [`Delays::NEVER`] for never.
    pub off_delay: Duration,
    /// How long a reboot keeps the outlet off (Raritan outletPowerCyclingPowerOffPeriod,
    /// APC RebootDuration).
    pub reboot: Duration,
}

impl Delays {
    /// A delay that never ends (APC's -1, "never power on/off"): a step that far off is never
    /// scheduled.
    pub const NEVER: Duration = Duration::MAX;
}

impl Default for Delays {
    fn default() -> Self {
        Delays {
            on_delay: Duration::ZERO,
            off_delay: Duration::ZERO,
            reboot: Duration::from_secs(5),
        }
    }
}

/// One outlet: its power, at most two pending steps, its delays and its metering.
#[derive(Clone, Debug, PartialEq)]
pub struct Outlet {
    /// The outlet's name (empty if none), as vendor name columns show it.
    pub name: String,
    power: Power,
    /// At most two steps: a delayed reboot is "off at t1, on at t2".
    pending: [Option<Step>; 2],
    /// The timings its delayed commands and reboots use.
    pub delays: Delays,
    /// True while the pending steps are a reboot (so "on later" reads as rebooting).
    rebooting: bool,
    /// What the outlet does when the PDU restarts with saved state.
    pub startup: StartupPower,
    /// The load this outlet draws when on, in watts.
    pub load_watts: f64,
    /// Energy delivered so far, in watt-hours, up to `energy_at`.
    energy_wh: f64,
    energy_at: Duration,
}

impl Outlet {
    /// An outlet at `power` with nothing pending, coming up as it was at a restart
    /// ([`StartupPower::LastKnown`]), drawing 0 W, with no energy delivered yet.
    pub fn new(name: String, power: Power, delays: Delays) -> Self {
        Outlet {
            name,
            power,
            pending: [None, None],
            delays,
            rebooting: false,
            startup: StartupPower::LastKnown,
            load_watts: 0.0,
            energy_wh: 0.0,
            energy_at: Duration::ZERO,
        }
    }

    /// The outlet's power at `now`, after any pending step due by then.
    pub fn power(&mut self, now: Duration) -> Power {
        self.settle(now);
        self.power
    }

    /// The power the outlet will have once pending steps are done: what survives a restart.
    pub fn settled_power(&self) -> Power {
        self.pending
            .iter()
            .rev()
            .flatten()
            .next()
            .map_or(self.power, |s| s.power)
    }

    /// What is pending at `now`, if anything.
    pub fn pending(&mut self, now: Duration) -> Option<PendingKind> {
        self.settle(now);
        match self.pending {
            [None, _] => None,
            [Some(_), Some(_)] => Some(PendingKind::Reboot),
            // Off now and on later is a reboot under way.
            [Some(Step {
                power: Power::On, ..
            }), None]
                if self.power == Power::Off && self.rebooting =>
            {
                Some(PendingKind::Reboot)
            }
            [Some(Step {
                power: Power::On, ..
            }), None] => Some(PendingKind::On),
            [Some(Step {
                power: Power::Off, ..
            }), None] => Some(PendingKind::Off),
        }
    }

    /// Whether a delayed command is pending at `now`: a scheduled change that is not the end
    /// of a reboot's off period (for the `refuse-delayed-commands` fault).
    pub fn delayed_pending(&mut self, now: Duration) -> bool {
        self.settle(now);
        match self.pending {
            [None, _] => false,
            // Off now, on at the end of the off period: a reboot under way, not a delay.
            [Some(Step {
                power: Power::On, ..
            }), None] => !(self.rebooting && self.power == Power::Off),
            [Some(_), _] => true,
        }
    }

    /// Seconds until the next pending step that turns the outlet to `power`, if one is pending
    /// (Eaton's countdown columns).
    pub fn countdown_to(&mut self, power: Power, now: Duration) -> Option<Duration> {
        self.settle(now);
        self.pending
            .iter()
            .flatten()
            .find(|s| s.power == power)
            .map(|s| s.at.saturating_sub(now))
    }

    /// Applies a command at `now`. Any new command replaces what was pending.
    pub fn command(&mut self, command: Command, now: Duration) {
        self.settle(now);
        let d = self.delays;
        self.rebooting = false;
        match command {
            Command::On => self.set_now(Power::On, now),
            Command::Off => self.set_now(Power::Off, now),
            Command::Reboot => {
                self.set_now(Power::Off, now);
                self.pending = [step(now, d.reboot, Power::On), None];
                self.rebooting = true;
            }
            Command::DelayedOn => self.schedule([step(now, d.on_delay, Power::On), None], now),
            Command::DelayedOff => self.schedule([step(now, d.off_delay, Power::Off), None], now),
            Command::DelayedReboot => {
                let off_for = d.reboot.checked_add(d.on_delay).unwrap_or(Delays::NEVER);
                self.reboot_after(d.off_delay, off_for, now)
            }
            Command::Cancel => self.pending = [None, None],
        }
    }

    /// Switches at once, cancelling anything pending.
    pub fn switch(&mut self, power: Power, now: Duration) {
        self.command(
            if power == Power::On {
                Command::On
            } else {
                Command::Off
            },
            now,
        );
    }

    /// Schedules a change `after` from now to an absolute power, with a zero delay meaning now.
    pub fn switch_after(&mut self, power: Power, after: Duration, now: Duration) {
        self.settle(now);
        self.rebooting = false;
        self.schedule([step(now, after, power), None], now);
    }

    /// Reboot with an off period of `off_for` starting `after` from now.
    pub fn reboot_after(&mut self, after: Duration, off_for: Duration, now: Duration) {
        self.settle(now);
        let off = step(now, after, Power::Off);
        // No off step (it would never come) means no on step either.
        let on = off.and_then(|s| step(s.at, off_for, Power::On));
        self.rebooting = true;
        self.schedule([off, on], now);
    }

    /// The next scheduled change, if any (vendors that report "pending on" or "pending off").
    pub fn next_step(&mut self, now: Duration) -> Option<Step> {
        self.settle(now);
        self.pending[0]
    }

    /// Energy delivered so far, in watt-hours.
    pub fn energy_wh(&mut self, now: Duration) -> f64 {
        self.settle(now);
        self.accumulate(now);
        self.energy_wh
    }

    /// Active power drawn right now, in watts (zero when off).
    pub fn power_watts(&mut self, now: Duration) -> f64 {
        match self.power(now) {
            Power::On => self.load_watts,
            Power::Off => 0.0,
        }
    }

    /// Energy as last accounted (at the last state change or read), without touching the clock.
    pub fn energy_recorded(&self) -> f64 {
        self.energy_wh
    }

    /// Restores saved counters (after a restart).
    pub fn restore_energy(&mut self, wh: f64, now: Duration) {
        self.energy_wh = wh;
        self.energy_at = now;
    }

    fn set_now(&mut self, power: Power, now: Duration) {
        self.accumulate(now);
        self.power = power;
        self.pending = [None, None];
    }

    fn schedule(&mut self, steps: [Option<Step>; 2], now: Duration) {
        self.pending = steps;
        // A zero delay takes effect at once.
        self.settle(now);
    }

    fn settle(&mut self, now: Duration) {
        while let Some(step) = self.pending[0] {
            if now < step.at {
                break;
            }
            self.accumulate(step.at);
            self.power = step.power;
            self.pending = [self.pending[1], None];
        }
        if self.pending[0].is_none() {
            self.rebooting = false;
        }
    }

    /// Adds the energy delivered between the last accounting and `until`.
    fn accumulate(&mut self, until: Duration) {
        if until > self.energy_at {
            if self.power == Power::On {
                self.energy_wh += self.load_watts * (until - self.energy_at).as_secs_f64() / 3600.0;
            }
            self.energy_at = until;
        }
    }
}

/// A step `after` from `now`, or none if that is beyond the clock's range (`Delays::NEVER`).
fn step(now: Duration, after: Duration, power: Power) -> Option<Step> {
    now.checked_add(after).map(|at| Step { at, power })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn outlet() -> Outlet {
        Outlet::new(
            "a".into(),
            Power::On,
            Delays {
                on_delay: secs(3),
                off_delay: secs(2),
                reboot: secs(5),
            },
        )
    }

    #[test]
    fn reboot_is_off_for_the_period_then_on() {
        let mut o = outlet();
        o.command(Command::Reboot, secs(10));
        assert_eq!(o.power(secs(14)), Power::Off);
        assert_eq!(o.pending(secs(14)), Some(PendingKind::Reboot));
        assert_eq!(o.settled_power(), Power::On);
        assert_eq!(o.power(secs(15)), Power::On);
        assert_eq!(o.pending(secs(15)), None);
    }

    #[test]
    fn delayed_commands_pend_then_apply_and_cancel_stops_them() {
        let mut o = outlet();
        o.command(Command::DelayedOff, secs(0));
        assert_eq!(
            (o.power(secs(1)), o.pending(secs(1))),
            (Power::On, Some(PendingKind::Off))
        );
        assert_eq!(o.countdown_to(Power::Off, secs(1)), Some(secs(1)));
        assert_eq!(o.power(secs(2)), Power::Off);
        o.command(Command::DelayedOn, secs(2));
        o.command(Command::Cancel, secs(3));
        assert_eq!(o.power(secs(100)), Power::Off);
    }

    #[test]
    fn delayed_reboot_goes_off_then_on() {
        let mut o = outlet();
        o.command(Command::DelayedReboot, secs(0));
        assert_eq!(o.power(secs(1)), Power::On);
        assert_eq!(o.pending(secs(1)), Some(PendingKind::Reboot));
        assert_eq!(o.power(secs(3)), Power::Off);
        // Off at 2 s (off-delay), then the 5 s reboot duration and the 3 s on-delay.
        assert_eq!(o.power(secs(9)), Power::Off);
        assert_eq!(o.power(secs(10)), Power::On);
    }

    #[test]
    fn switching_cancels_a_reboot() {
        let mut o = outlet();
        o.command(Command::Reboot, Duration::ZERO);
        o.switch(Power::Off, secs(1));
        assert_eq!(o.power(secs(60)), Power::Off);
    }

    #[test]
    fn energy_accumulates_only_while_on() {
        let mut o = outlet();
        o.load_watts = 360.0;
        o.command(Command::Off, secs(10)); // on for 10 s: 1 Wh
        assert!((o.energy_wh(secs(100)) - 1.0).abs() < 1e-9);
        o.command(Command::On, secs(100));
        assert!((o.energy_wh(secs(110)) - 2.0).abs() < 1e-9);
        assert_eq!(o.power_watts(secs(110)), 360.0);
    }

    #[test]
    fn never_delays_schedule_nothing_and_do_not_overflow() {
        let mut o = outlet();
        o.delays.on_delay = Delays::NEVER;
        o.command(Command::Off, secs(1));
        o.command(Command::DelayedOn, secs(2));
        assert_eq!(o.pending(secs(3)), None);
        assert_eq!(o.power(secs(1_000_000)), Power::Off);
        o.delays.off_delay = Delays::NEVER;
        o.command(Command::On, secs(4));
        o.command(Command::DelayedReboot, secs(5));
        assert_eq!((o.power(secs(99)), o.pending(secs(99))), (Power::On, None));
        o.reboot_after(Delays::NEVER, secs(5), secs(100));
        assert_eq!(o.next_step(secs(100)), None);
    }

    #[test]
    fn next_step_names_the_coming_change() {
        let mut o = outlet();
        o.command(Command::DelayedReboot, secs(0));
        assert_eq!(
            o.next_step(secs(1)),
            Some(Step {
                at: secs(2),
                power: Power::Off
            })
        );
        assert_eq!(
            o.next_step(secs(3)),
            Some(Step {
                at: secs(10),
                power: Power::On
            })
        );
        assert_eq!(o.next_step(secs(10)), None);
    }
}
