//! MIB-level quirks of real PDUs, per PDU (`[pdu.quirks]` in a config or scenario; the numbers
//! are those of the catalogue in `docs/QUIRKS.md`): where a vendor profile's rows are and what
//! some of them read. They are fixed while the PDU runs: [`MibQuirks::apply`] changes the MIB
//! tree once, when it is built, and [`OffReadings`] changes meter reads.
//!
//! - 10 `control_index_offset`: the control columns are indexed by outlet + offset (index 1 is
//!   the whole unit's command on the firmware `fence_eaton_snmp` handles);
//! - 12 `legacy_tables_empty`: the legacy tables of a profile that serves two MIB generations
//!   (APC sPDU beside rPDU/rPDU2) are declared but have no rows;
//! - 14 `column_shift`: every outlet-table column is renumbered N arcs up (firmware that
//!   inserted columns, as one IBM/Lenovo PDU firmware did);
//! - 15 `bank_size`: outlets are numbered in banks, `unit.bank.outlet` (Sentry towers with
//!   banks of 8: `1.1.1`-`1.1.8`, `1.2.1`-`1.2.8`) instead of flat `unit.1.N`;
//! - 16 `missing_outlets`, `phantom_row`: rows left out of every outlet table (gaps), and a row
//!   with index 0 that is no outlet;
//! - 32 `off_readings`: what an off outlet's meters read.

use serde::{Deserialize, Serialize};

use crate::mib::{Cell, MibTree};
use crate::profiles::VendorProfile;
use pdu_mibs::IndexShape;
use snmp_proto::Value;

/// The largest `control_index_offset` and `column_shift` accepted: real firmware moves by one
/// or two; more is a typo.
pub const MAX_SHIFT: u32 = 16;

/// One PDU's MIB-level quirks; the default is none (the vendor's MIB as written).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MibQuirks {
    /// Quirk 10: outlet N's control row has index N + this (1 to [`MAX_SHIFT`]; 0: none). The
    /// state and name columns keep index N.
    #[serde(default)]
    pub control_index_offset: u32,
    /// Quirk 12: the legacy tables ([`VendorProfile::legacy_tables`]) have no rows.
    #[serde(default)]
    pub legacy_tables_empty: bool,
    /// Quirk 14: every outlet-table column is served this many arcs further up (column `.5`
    /// at `.7` for 2), 1 to [`MAX_SHIFT`]; 0: none.
    #[serde(default)]
    pub column_shift: u32,
    /// Quirk 15: outlets numbered in banks of this many, the bank in the middle index
    /// (Sentry infeed): outlet 9 with banks of 8 is `1.2.1`. Only for profiles indexed
    /// `unit.cord.outlet`.
    #[serde(default)]
    pub bank_size: Option<u32>,
    /// Quirk 16: outlets with no row in any outlet table (a gap in the numbering).
    #[serde(default)]
    pub missing_outlets: Vec<u32>,
    /// Quirk 16: a row with index 0 in the state (and name) column that is no outlet: it reads
    /// as on, named "ALL".
    #[serde(default)]
    pub phantom_row: bool,
    /// Quirk 32: what an off outlet's current and power meters read.
    #[serde(default)]
    pub off_readings: OffReadings,
}

/// What the per-outlet current and power meters (`pdu_mibs::Profile::meters`) of an off
/// outlet read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OffReadings {
    /// Zero, as a unit that measures nothing (`zero`, the default).
    #[default]
    Zero,
    /// noSuchInstance: the value is left out while the outlet is off (`no-such-instance`,
    /// Raritan's powerFactor).
    NoSuchInstance,
    /// -1, "not available" (`sentinel`, EATON-EPDU-MIB); meters of an unsigned type
    /// (Gauge32) cannot hold it and read noSuchInstance.
    Sentinel,
}

impl MibQuirks {
    /// True when no quirk is set.
    pub fn is_none(&self) -> bool {
        *self == MibQuirks::default()
    }

    /// Checks the quirks against the PDU's vendor and outlet count. Errors: the key at fault
    /// and what to do.
    pub fn validate(
        &self,
        vendor: &dyn VendorProfile,
        outlets: u32,
    ) -> Result<(), (&'static str, String)> {
        let mib = vendor.mib();
        if self.control_index_offset > MAX_SHIFT {
            return Err((
                "control_index_offset",
                format!("must be 0 to {MAX_SHIFT} (real firmware shifts by one)"),
            ));
        }
        if self.control_index_offset > 0 {
            let columns = [
                Some(mib.switching.on.column),
                Some(mib.switching.off.column),
                mib.switching.cycle.map(|c| c.column),
            ];
            if columns.contains(&Some(mib.state.column)) {
                return Err((
                    "control_index_offset",
                    format!(
                        "{} reads outlet state from its control column, so an offset would move the state too: use a vendor with separate control and state columns",
                        vendor.name()
                    ),
                ));
            }
        }
        if self.column_shift > MAX_SHIFT {
            return Err((
                "column_shift",
                format!("must be 0 to {MAX_SHIFT} (the firmware on record moved columns by 2)"),
            ));
        }
        if let Some(size) = self.bank_size {
            if !matches!(mib.index, IndexShape::UnitCordOutlet { .. }) {
                let banked: Vec<&str> = crate::profiles::PROFILES
                    .iter()
                    .filter(|p| matches!(p.mib().index, IndexShape::UnitCordOutlet { .. }))
                    .map(|p| p.name())
                    .collect();
                return Err((
                    "bank_size",
                    format!(
                        "{} numbers outlets without a bank index; banks exist for {}",
                        vendor.name(),
                        banked.join(", ")
                    ),
                ));
            }
            if size == 0 || size > outlets {
                return Err((
                    "bank_size",
                    format!("must be 1 to the outlet count ({outlets})"),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for n in &self.missing_outlets {
            if *n == 0 || *n > outlets {
                return Err((
                    "missing_outlets",
                    format!("outlet {n} does not exist: give outlets 1 to {outlets}"),
                ));
            }
            if !seen.insert(*n) {
                return Err(("missing_outlets", format!("outlet {n} is listed twice")));
            }
        }
        if u32::try_from(seen.len()).unwrap_or(u32::MAX) >= outlets {
            return Err((
                "missing_outlets",
                "every outlet would be missing: leave at least one".into(),
            ));
        }
        if self.legacy_tables_empty && vendor.legacy_tables().is_empty() {
            let with: Vec<&str> = crate::profiles::PROFILES
                .iter()
                .filter(|p| !p.legacy_tables().is_empty())
                .map(|p| p.name())
                .collect();
            return Err((
                "legacy_tables_empty",
                format!(
                    "{} serves no legacy tables; profiles that do: {}",
                    vendor.name(),
                    with.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Changes `tree`, just built for `vendor`, as the quirks say: legacy rows and missing
    /// outlets dropped, columns renumbered, outlets moved into banks, control rows offset, the
    /// phantom row added. Outlet cells keep their outlet number, so reads and writes still
    /// reach the right outlet.
    pub fn apply(&self, tree: &mut MibTree, vendor: &dyn VendorProfile) {
        if self.is_none() {
            return;
        }
        let mib = vendor.mib();
        let shape = mib.index;
        let legacy = if self.legacy_tables_empty {
            vendor.legacy_tables()
        } else {
            &[]
        };
        let control_columns: Vec<&[u32]> = [
            Some(mib.switching.on.column),
            Some(mib.switching.off.column),
            mib.switching.cycle.map(|c| c.column),
        ]
        .into_iter()
        .flatten()
        .collect();
        tree.relocate(|oid, cell| {
            if legacy.iter().any(|prefix| oid.starts_with(prefix)) {
                return None;
            }
            let Cell::Profile { index: n, .. } = cell else {
                return Some(oid.to_vec());
            };
            let n = *n;
            if n == 0 {
                return Some(oid.to_vec());
            }
            if self.missing_outlets.contains(&n) {
                return None;
            }
            let suffix = shape.suffix(n);
            let Some(column) = oid.strip_suffix(suffix.as_slice()) else {
                // Not indexed by the outlet alone (Raritan's sensor rows): left where it is.
                return Some(oid.to_vec());
            };
            let is_control = control_columns.contains(&column);
            let mut column = column.to_vec();
            if let Some(last) = column.last_mut() {
                *last = last.saturating_add(self.column_shift);
            }
            let mut index = match (shape, self.bank_size) {
                (IndexShape::UnitCordOutlet { unit, cord }, Some(size)) if size > 0 => {
                    vec![unit, cord + (n - 1) / size, (n - 1) % size + 1]
                }
                _ => suffix.clone(),
            };
            if is_control && self.control_index_offset > 0 {
                if let Some(last) = index.last_mut() {
                    *last = last.saturating_add(self.control_index_offset);
                }
            }
            column.extend_from_slice(&index);
            Some(column)
        });
        if self.phantom_row {
            let shifted = |column: &[u32]| {
                let mut c = column.to_vec();
                if let Some(last) = c.last_mut() {
                    *last = last.saturating_add(self.column_shift);
                }
                c
            };
            let state = shifted(mib.state.column);
            let on = mib.state.on.first().copied().unwrap_or(1);
            tree.instance(
                &state,
                &shape.suffix(0),
                Cell::Static(Value::Integer(i32::try_from(on).unwrap_or(1))),
            );
            if let Some(name) = mib.name_column {
                tree.instance(
                    &shifted(name),
                    &shape.suffix(0),
                    Cell::Static(Value::octets("ALL")),
                );
            }
        }
    }
}

/// The profile columns (its own numbers) that hold `vendor`'s per-outlet meters
/// (`pdu_mibs::Profile::meters`) that go missing while the outlet is off, found in a
/// one-outlet tree: current and power. Voltage (the line's) is still measured and energy is a
/// running total, so they are left out.
pub fn meter_columns(vendor: &dyn VendorProfile) -> Vec<u16> {
    let mut tree = MibTree::default();
    vendor.build(&mut tree, 1);
    let mib = vendor.mib();
    mib.meters
        .iter()
        .filter(|m| off_dependent(m.quantity))
        .filter_map(|m| match tree.get(&mib.meter_oid(m, 1)) {
            Ok(Cell::Profile { column, .. }) => Some(*column),
            _ => None,
        })
        .collect()
}

/// Whether a meter of `quantity` has no value while the outlet is off (current, power).
fn off_dependent(quantity: pdu_mibs::Quantity) -> bool {
    matches!(
        quantity,
        pdu_mibs::Quantity::Current | pdu_mibs::Quantity::Power
    )
}

impl OffReadings {
    /// What a meter that read `value` reads for an outlet that is off.
    pub fn off_value(self, value: Value<'static>) -> Value<'static> {
        match (self, &value) {
            (OffReadings::Zero, _) => value,
            (OffReadings::Sentinel, Value::Integer(_)) => Value::Integer(-1),
            (OffReadings::NoSuchInstance | OffReadings::Sentinel, _) => Value::NoSuchInstance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(name: &str) -> &'static dyn VendorProfile {
        crate::profiles::find(name).unwrap()
    }

    #[test]
    fn validation_names_the_key_and_the_fix() {
        let q = |f: fn(&mut MibQuirks)| {
            let mut q = MibQuirks::default();
            f(&mut q);
            q
        };
        let err = |q: MibQuirks, v: &str| q.validate(vendor(v), 8).unwrap_err();
        assert_eq!(
            err(q(|q| q.bank_size = Some(8)), "raritan-px2").0,
            "bank_size"
        );
        assert!(err(q(|q| q.bank_size = Some(8)), "raritan-px2")
            .1
            .contains("sentry3"));
        assert_eq!(err(q(|q| q.bank_size = Some(9)), "sentry3").0, "bank_size");
        assert!(q(|q| q.bank_size = Some(4))
            .validate(vendor("sentry3"), 8)
            .is_ok());
        assert_eq!(
            err(q(|q| q.missing_outlets = vec![9]), "sentry3").0,
            "missing_outlets"
        );
        assert_eq!(
            err(q(|q| q.missing_outlets = (1..=8).collect()), "sentry3").0,
            "missing_outlets"
        );
        assert!(err(q(|q| q.control_index_offset = 1), "raritan-px1")
            .1
            .contains("control column"));
        assert!(q(|q| q.control_index_offset = 1)
            .validate(vendor("eaton-epdu"), 8)
            .is_ok());
        assert_eq!(
            err(q(|q| q.column_shift = 17), "raritan-px2").0,
            "column_shift"
        );
        assert!(err(q(|q| q.legacy_tables_empty = true), "raritan-px2")
            .1
            .contains("apc-rpdu2"));
    }

    #[test]
    fn meters_are_found_for_every_metering_profile() {
        for p in crate::profiles::PROFILES {
            let present = p
                .mib()
                .meters
                .iter()
                .filter(|m| off_dependent(m.quantity))
                .count();
            assert_eq!(meter_columns(*p).len(), present, "{} meter cells", p.name());
        }
    }
}
