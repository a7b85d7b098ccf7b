//! Vendor profiles: each one is a view of the vendor-neutral outlet model (`crate::outlet`)
//! through that vendor's MIB — its OIDs, index shape and the integers that mean on and off.
//! Adding a vendor is adding one file here and one line to `PROFILES`.

use std::borrow::Cow;
use std::time::Duration;

use crate::access::Access;
use crate::mib::{Cell, MibTree};
use crate::outlet::{Command, Delays, Outlet, Power};
use crate::state::DeviceState;
use snmp_proto::{ErrorStatus, Value};

pub mod apc_rpdu;
pub mod apc_rpdu2;
pub mod baytech_mrp;
pub mod cyberpower_epdu;
pub mod eaton_epdu;
pub mod metering;
pub mod raritan_px1;
pub mod raritan_px2;
pub mod sentry3;
pub mod sentry4;
pub mod tripplite_pdu;
pub mod vertiv_geist;

#[cfg(test)]
pub(crate) mod testing;

/// One vendor's PDU: its MIB tables as views of the outlet model. The identity (name,
/// description, sysObjectID, control and state columns) comes from the vendor's MIB data entry
/// in `pdu-mibs`, which the driver uses too; a profile overrides a method only where the
/// simulator serves something the data entry does not say.
pub trait VendorProfile: Send + Sync + 'static {
    /// The vendor's MIB data entry (OIDs, index shape, integer encodings).
    fn mib(&self) -> &'static pdu_mibs::Profile;
    /// The name users pick it by (`--vendor`).
    fn name(&self) -> &'static str {
        self.mib().name
    }
    /// Vendor, model family and MIB, for people.
    fn description(&self) -> &'static str {
        self.mib().description
    }
    /// sysObjectID.0 as this device reports it.
    fn sys_object_id(&self) -> &'static [u32] {
        self.mib().sys_object_id
    }
    /// sysDescr.0, as the real device's firmware writes it.
    fn sys_descr(&self) -> &'static str;
    /// The IANA enterprise number, used when deriving an engine ID.
    fn enterprise(&self) -> u32;
    /// The OID prefix a driver writes to switch outlet N (the instance suffix is appended).
    fn control_oid(&self) -> &'static [u32] {
        self.mib().switching.on.column
    }
    /// The OID prefix a driver reads outlet N's state from (the instance suffix is appended).
    fn state_oid(&self) -> &'static [u32] {
        self.mib().state.column
    }
    /// The nameplate objects of the vendor's MIB as instance OIDs (e.g. PDU2-MIB pduModel.1),
    /// with the identity fact each one serves and the default value of a simulated unit. Served
    /// per PDU from its configuration (`model`, `serial_number`, ...), else its recording, else
    /// this default. None by default.
    fn identity(&self) -> &'static [(crate::mib::IdentityField, &'static [u32], &'static str)] {
        &[]
    }
    /// The inventory count objects of the vendor's MIB as instance OIDs (e.g. TRIPPLITE-PRODUCTS
    /// tlpPduIdentNumPhases.1), with the count each one serves, its SMI type and the default of
    /// a simulated unit. Served per PDU from its configuration (`inlets`, `phases`,
    /// `outlet_groups`), else its recording, else this default. The outlet count is not here:
    /// it is the PDU's outlets, served by [`VendorProfile::build`]. None by default.
    fn inventory(&self) -> &'static [Inventory] {
        &[]
    }
    /// The OID prefixes of the legacy tables this profile serves beside its own (APC sPDU
    /// tables beside rPDU/rPDU2), which `legacy_tables_empty` leaves without rows (quirk 12 of
    /// `docs/QUIRKS.md`). None by default.
    fn legacy_tables(&self) -> &'static [&'static [u32]] {
        &[]
    }
    /// Adds this vendor's objects for a PDU with `outlets` outlets.
    fn build(&self, tree: &mut MibTree, outlets: u32);
    /// The value of the profile's `column` at row `index` (an outlet number, or 0 for a scalar)
    /// at `now`, from `state`. Pending outlet steps due by `now` are settled first.
    fn read(
        &self,
        column: u16,
        index: u32,
        state: &mut DeviceState,
        now: Duration,
    ) -> Value<'static>;
    /// Checks a SET without changing anything (RFC 3416 §4.2.5 phase one).
    fn check_write(
        &self,
        column: u16,
        index: u32,
        value: &Value<'_>,
        state: &DeviceState,
    ) -> Result<(), ErrorStatus>;
    /// Applies a SET already checked by `check_write`.
    fn write(
        &self,
        column: u16,
        index: u32,
        value: &Value<'_>,
        state: &mut DeviceState,
        now: Duration,
    );
}

/// One inventory count object of a vendor MIB ([`VendorProfile::inventory`]).
#[derive(Clone, Copy, Debug)]
pub struct Inventory {
    /// The count it serves.
    pub count: crate::mib::InventoryCount,
    /// The instance OID (with `.0` for a scalar, the unit's index for a table row).
    pub oid: &'static [u32],
    /// Its SMI type in the MIB.
    pub syntax: crate::mib::CountSyntax,
    /// The value of a simulated unit when neither the configuration nor a recording gives one.
    pub default: u32,
}

/// Every profile this build knows.
pub static PROFILES: &[&dyn VendorProfile] = &[
    &raritan_px2::RaritanPx2,
    &raritan_px1::RaritanPx1,
    &apc_rpdu2::ApcRpdu2,
    &apc_rpdu::ApcRpdu,
    &eaton_epdu::EatonEpdu,
    &sentry3::Sentry3,
    &sentry4::Sentry4,
    &cyberpower_epdu::CyberPowerEpdu,
    &tripplite_pdu::TrippLitePdu,
    &vertiv_geist::VertivGeist,
    &baytech_mrp::BaytechMrp,
];

/// The profile named `name` (case-insensitive), as `--vendor` and config files give it.
pub fn find(name: &str) -> Option<&'static dyn VendorProfile> {
    PROFILES
        .iter()
        .copied()
        .find(|p| p.name().eq_ignore_ascii_case(name))
}

/// Every profile's name, in [`PROFILES`] order, for help texts and error messages.
pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name()).collect()
}

/// An INTEGER value of a SET, or wrongType.
pub fn expect_integer(value: &Value<'_>) -> Result<i32, ErrorStatus> {
    match value {
        Value::Integer(v) => Ok(*v),
        _ => Err(ErrorStatus::WrongType),
    }
}

/// A DisplayString value of a SET within `max_len` octets: wrongType or wrongLength otherwise.
pub fn expect_display_string<'v>(
    value: &'v Value<'_>,
    max_len: usize,
) -> Result<&'v [u8], ErrorStatus> {
    match value {
        Value::OctetString(s) if s.len() > max_len => Err(ErrorStatus::WrongLength),
        // RFC 2579 DisplayString: NVT ASCII, no control characters but CR/LF/TAB.
        Value::OctetString(s)
            if s.iter()
                .any(|b| *b >= 0x80 || (*b < 0x20 && !matches!(b, b'\r' | b'\n' | b'\t'))) =>
        {
            Err(ErrorStatus::WrongValue)
        }
        Value::OctetString(s) => Ok(s),
        _ => Err(ErrorStatus::WrongType),
    }
}

/// Maps an outlet index (1-based) to a position in the outlet list.
pub fn outlet_position(index: u32, state: &DeviceState) -> Option<usize> {
    let pos = usize::try_from(index).ok()?.checked_sub(1)?;
    (pos < state.outlets.len()).then_some(pos)
}

/// An INTEGER value of a SET that must be one of `allowed`: wrongType or wrongValue otherwise.
pub fn expect_one_of(value: &Value<'_>, allowed: &[i32]) -> Result<i32, ErrorStatus> {
    let v = expect_integer(value)?;
    allowed
        .contains(&v)
        .then_some(v)
        .ok_or(ErrorStatus::WrongValue)
}

/// An INTEGER value of a SET within `range`: wrongType or wrongValue otherwise.
pub fn expect_in(
    value: &Value<'_>,
    range: std::ops::RangeInclusive<i32>,
) -> Result<i32, ErrorStatus> {
    let v = expect_integer(value)?;
    range
        .contains(&v)
        .then_some(v)
        .ok_or(ErrorStatus::WrongValue)
}

/// `prefix` followed by `suffix`, as one OID.
pub fn join(prefix: &[u32], suffix: &[u32]) -> Vec<u32> {
    let mut o = Vec::with_capacity(prefix.len() + suffix.len());
    o.extend_from_slice(prefix);
    o.extend_from_slice(suffix);
    o
}

/// `prefix` followed by `suffix` at compile time, for the `&'static` OIDs the trait returns
/// (`N` must be the sum of both lengths).
pub const fn join_const<const N: usize>(prefix: &[u32], suffix: &[u32]) -> [u32; N] {
    let mut out = [0u32; N];
    let mut i = 0;
    while i < prefix.len() {
        out[i] = prefix[i];
        i += 1;
    }
    let mut j = 0;
    while j < suffix.len() {
        out[i + j] = suffix[j];
        j += 1;
    }
    out
}

/// Declares a column and one instance per outlet, `column.<unit index>.<outlet>`; each cell
/// carries the outlet number as its index.
pub fn outlet_column(
    tree: &mut MibTree,
    column_oid: &[u32],
    unit_index: &[u32],
    outlets: u32,
    access: Access,
    column: u16,
) {
    tree.object(column_oid, access);
    for outlet in 1..=outlets {
        tree.instance(
            column_oid,
            &join(unit_index, &[outlet]),
            Cell::Profile {
                column,
                index: outlet,
            },
        );
    }
}

/// Declares a scalar given with or without its `.0` (pdu-mibs writes counts with it).
pub fn scalar(tree: &mut MibTree, oid: &[u32], access: Access, column: u16) {
    let object = oid.strip_suffix(&[0]).unwrap_or(oid);
    tree.scalar(object, access, Cell::Profile { column, index: 0 });
}

/// Declares a one-instance object `oid.<index>` (a count per unit, per cord).
pub fn unit_cell(tree: &mut MibTree, oid: &[u32], index: &[u32], column: u16) {
    tree.object(oid, Access::ReadOnly);
    tree.instance(oid, index, Cell::Profile { column, index: 0 });
}

/// The outlet a cell's index names, if it exists.
pub fn outlet_mut(index: u32, state: &mut DeviceState) -> Option<&mut Outlet> {
    outlet_position(index, state).and_then(|p| state.outlets.get_mut(p))
}

/// An INTEGER value; anything outside Integer32 reads as 2147483647.
pub fn integer(v: impl TryInto<i32>) -> Value<'static> {
    Value::Integer(v.try_into().unwrap_or(i32::MAX))
}

/// An OCTET STRING value.
pub fn text(s: impl Into<Vec<u8>>) -> Value<'static> {
    Value::OctetString(Cow::Owned(s.into()))
}

/// The number of outlets as an INTEGER, for the vendors' outlet-count scalars.
pub fn outlet_count(state: &DeviceState) -> Value<'static> {
    integer(state.outlets.len())
}

/// A delay in whole seconds, -1 for `Delays::NEVER` (APC's "never").
pub fn delay_secs(d: Duration) -> i32 {
    if d == Delays::NEVER {
        -1
    } else {
        i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
    }
}

/// The inverse of `delay_secs`: negative means never.
pub fn delay_from_secs(secs: i32) -> Duration {
    u64::try_from(secs).map_or(Delays::NEVER, Duration::from_secs)
}

/// A SET value that names a delay or period: writes it into the outlet's delays.
pub fn set_delay(field: &mut Duration, value: &Value<'_>) {
    if let Value::Integer(secs) = value {
        *field = delay_from_secs(*secs);
    }
}

/// Writes a DisplayString SET into the outlet's name.
pub fn set_name(outlet: &mut Outlet, value: &Value<'_>) {
    if let Value::OctetString(s) = value {
        outlet.name = String::from_utf8_lossy(s).into_owned();
    }
}

/// The outlet's name as read, or its number where none was given (as devices label them).
pub fn name_of(outlet: &Outlet, index: u32) -> Value<'static> {
    if outlet.name.is_empty() {
        text(format!("Outlet {index}"))
    } else {
        text(outlet.name.clone())
    }
}

/// Applies `command` to every outlet (the "all outlets" commands).
pub fn command_all(state: &mut DeviceState, command: Command, now: Duration) {
    for outlet in &mut state.outlets {
        outlet.command(command, now);
    }
}

/// `on` if the outlet is on now, else `off`.
pub fn on_off(outlet: &mut Outlet, now: Duration, on: i32, off: i32) -> Value<'static> {
    Value::Integer(if outlet.power(now) == Power::On {
        on
    } else {
        off
    })
}
