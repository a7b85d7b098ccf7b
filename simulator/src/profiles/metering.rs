//! Simulated meter readings, shared by the vendors that meter outlets: active power from the
//! outlet's configured load (zero when off), current from that power at the nominal voltage,
//! energy accumulated by the outlet model.
//!
//! Readings wander by up to ±2% so pollers see live data. The wander is a pure function of the
//! clock (in 5-second steps) and the outlet number, so it needs no random source and repeats
//! exactly under a manual clock; `DeviceState::meters_frozen` turns it off.

use std::time::Duration;

use crate::state::DeviceState;

/// The supply voltage the simulated PDU sees, in volts.
pub const NOMINAL_VOLTS: f64 = 230.0;

/// How far readings wander from the true value, as a fraction.
const WANDER: f64 = 0.02;
/// How long one reading holds before it wanders again.
const WANDER_STEP: Duration = Duration::from_secs(5);

/// One outlet's readings at one instant, in SI units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// Voltage in volts: [`NOMINAL_VOLTS`], wandering by up to ±0.5%.
    pub volts: f64,
    /// Current in amperes: `watts` over [`NOMINAL_VOLTS`].
    pub amps: f64,
    /// Active power in watts: the outlet's load when on (wandering by up to ±2%), else 0.
    pub watts: f64,
    /// Energy delivered so far in watt-hours, exact (no wander).
    pub watt_hours: f64,
}

/// The readings of outlet `index` (1-based) at `now`, or none if there is no such outlet.
pub fn outlet_reading(state: &mut DeviceState, index: u32, now: Duration) -> Option<Reading> {
    let frozen = state.meters_frozen;
    let outlet = super::outlet_mut(index, state)?;
    let factor = if frozen {
        1.0
    } else {
        1.0 + wander(index, now)
    };
    let watts = outlet.power_watts(now) * factor;
    Some(Reading {
        volts: if frozen {
            NOMINAL_VOLTS
        } else {
            NOMINAL_VOLTS * (1.0 + wander(index.wrapping_add(1000), now) / 4.0)
        },
        amps: watts / NOMINAL_VOLTS,
        watts,
        watt_hours: outlet.energy_wh(now),
    })
}

/// Device totals: the sum over all outlets.
pub fn total_reading(state: &mut DeviceState, now: Duration) -> Reading {
    let count = u32::try_from(state.outlets.len()).unwrap_or(u32::MAX);
    let mut total = Reading {
        volts: NOMINAL_VOLTS,
        amps: 0.0,
        watts: 0.0,
        watt_hours: 0.0,
    };
    for index in 1..=count {
        if let Some(r) = outlet_reading(state, index, now) {
            total.amps += r.amps;
            total.watts += r.watts;
            total.watt_hours += r.watt_hours;
        }
    }
    total
}

/// A reading scaled to the MIB's unit (`scale` SI units per step) and rounded, clamped to `u32`.
pub fn scaled(value: f64, scale: f64) -> u32 {
    let v = (value / scale).round();
    if v.is_nan() || v <= 0.0 {
        0
    } else if v >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        v as u32
    }
}

/// The same, for MIBs whose meters are INTEGER (Integer32).
pub fn scaled_i32(value: f64, scale: f64) -> i32 {
    i32::try_from(scaled(value, scale)).unwrap_or(i32::MAX)
}

/// A deterministic wander in [-WANDER, WANDER] for outlet `index` at `now` (splitmix64).
fn wander(index: u32, now: Duration) -> f64 {
    let step = now.as_secs() / WANDER_STEP.as_secs();
    let mut z = step ^ (u64::from(index) << 40) ^ 0x9e37_79b9_7f4a_7c15;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    // 53 random bits as a fraction in [0, 1), then into [-1, 1].
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
    (unit * 2.0 - 1.0) * WANDER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wander_is_small_deterministic_and_moves() {
        let a = wander(1, Duration::from_secs(10));
        assert_eq!(a, wander(1, Duration::from_secs(12)));
        assert!(a.abs() <= WANDER);
        let values: Vec<f64> = (0..20)
            .map(|s| wander(3, Duration::from_secs(s * 5)))
            .collect();
        assert!(values.iter().any(|v| *v != values[0]));
        assert!(values.iter().all(|v| v.abs() <= WANDER));
    }

    #[test]
    fn scaling_rounds_and_clamps() {
        assert_eq!(scaled(0.26, 0.1), 3);
        assert_eq!(scaled(-1.0, 1.0), 0);
        assert_eq!(scaled(1e20, 1.0), u32::MAX);
        assert_eq!(scaled_i32(1e20, 1.0), i32::MAX);
    }
}
