//! Vendor profiles: each one is a view of the vendor-neutral outlet model (`crate::outlet`)
//! through that vendor's MIB — its OIDs, index shape and the integers that mean on and off.
//! Adding a vendor is adding one file here and one line to `PROFILES`.

use std::time::Duration;

use crate::device::DeviceState;
use crate::mib::MibTree;
use crate::wire::{ErrorStatus, Value};

pub mod raritan_px2;

pub trait VendorProfile: Send + Sync + 'static {
    /// The name users pick it by (`--vendor`).
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn sys_object_id(&self) -> &'static [u32];
    fn sys_descr(&self) -> &'static str;
    /// The IANA enterprise number, used when deriving an engine ID.
    fn enterprise(&self) -> u32;
    /// The OID prefix a driver writes to switch outlet N (the instance suffix is appended).
    fn control_oid(&self) -> &'static [u32];
    /// The OID prefix a driver reads outlet N's state from (the instance suffix is appended).
    fn state_oid(&self) -> &'static [u32];
    /// Adds this vendor's objects for a PDU with `outlets` outlets.
    fn build(&self, tree: &mut MibTree, outlets: u32);
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

/// Every profile this build knows.
pub static PROFILES: &[&dyn VendorProfile] = &[&raritan_px2::RaritanPx2];

pub fn find(name: &str) -> Option<&'static dyn VendorProfile> {
    PROFILES
        .iter()
        .copied()
        .find(|p| p.name().eq_ignore_ascii_case(name))
}

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
