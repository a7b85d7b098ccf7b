//! The `Pdu` handle: outlet operations expressed through a vendor profile (or raw mode).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use pdu_mibs::{oid_string, OutletState, Profile, Quantity};
use serde::Serialize;
use snmp_proto::oids;

use crate::config::{Config, RawProfile, Vendor};
use crate::error::{Error, Result};
use crate::session::{SetValue, Transport, Value};

/// An outlet as the user names it: by number (`3`), by its index in the vendor's tables
/// (`1.2.3`: tower, bank, outlet) or by name (`web-server`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutletRef {
    /// The outlet number, from 1 (the last index arc in the vendor's tables; counted flat
    /// across banks on PDUs that number outlets in banks).
    Number(u32),
    /// The index the vendor's tables give the outlet, dotted (`1.2.3` is Sentry tower 1, bank
    /// or infeed 2, outlet 3; `1.5` is Raritan PDU 1, outlet 5).
    Index(Vec<u32>),
    /// The outlet's name as the name column holds it (exact match first, then ignoring ASCII
    /// case if that is unambiguous).
    Name(String),
}

impl FromStr for OutletRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.is_empty() {
            return Err(Error::BadConfig(
                "empty outlet: give a number (1, 2, …) or an outlet name".into(),
            ));
        }
        if let Ok(n) = t.parse::<u32>() {
            return Ok(OutletRef::Number(n));
        }
        let arcs: Option<Vec<u32>> = t.split('.').map(|a| a.parse().ok()).collect();
        Ok(match arcs {
            Some(arcs) if arcs.len() > 1 => OutletRef::Index(arcs),
            _ => OutletRef::Name(t.to_string()),
        })
    }
}

impl fmt::Display for OutletRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutletRef::Number(n) => write!(f, "{n}"),
            OutletRef::Index(arcs) => {
                let text: Vec<String> = arcs.iter().map(u32::to_string).collect();
                write!(f, "{}", text.join("."))
            }
            OutletRef::Name(s) => write!(f, "{s:?}"),
        }
    }
}

/// What to do to an outlet. Serialized as `on`, `off`, `cycle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Switch on.
    On,
    /// Switch off.
    Off,
    /// Power-cycle: the vendor's reboot command, else off, `cycle_delay`, on.
    Cycle,
}

impl Action {
    /// `on`, `off` or `cycle`, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::On => "on",
            Action::Off => "off",
            Action::Cycle => "cycle",
        }
    }
}

/// The state of one outlet, as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutletStatus {
    /// The outlet number.
    pub outlet: u32,
    /// The outlet's name, if the profile has a name column and it could be read.
    pub name: Option<String>,
    /// `on`, `off`, `pending-on`, `pending-off`, `unknown`, or `unreadable`.
    pub state: String,
    /// The integer the agent reported, if any.
    pub raw: Option<i64>,
}

/// How a verify-after-set ended.
///
/// Serialized with a `result` tag: `not-requested`, `confirmed`, `not-confirmed`, `unavailable`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Verification {
    /// Verification was off ([`Config::verify`] `None`).
    NotRequested,
    /// The state column reported the wanted settled state.
    Confirmed {
        /// The state read: `on` or `off`.
        state: String,
        /// Milliseconds from the end of the SET(s) to the read that confirmed it.
        after_ms: u128,
    },
    /// The deadline passed without the wanted state (still pending, or refused silently).
    NotConfirmed {
        /// The last state read (`unread` if none could be read).
        last_state: String,
        /// The deadline, [`Config::verify`], in milliseconds.
        deadline_ms: u128,
    },
    /// The state cannot be read back (no state column, or the state before could not be read).
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// The result of switching or cycling one outlet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwitchReport {
    /// The outlet number (resolved from a name if one was given).
    pub outlet: u32,
    /// What was done.
    pub action: Action,
    /// `native` (the vendor's own reboot/on/off command) or `off-wait-on`.
    pub method: &'static str,
    /// The state read before switching (as [`OutletStatus::state`]); `None` if unreadable.
    pub before: Option<String>,
    /// Whether the new state was read back, and when.
    pub verification: Verification,
    /// Things the driver could not read (it still switched).
    pub notes: Vec<String>,
}

/// Every outlet the PDU lists, from [`Pdu::outlets`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutletList {
    /// One entry per outlet number found in the state or name column, in ascending order.
    pub outlets: Vec<OutletStatus>,
    /// Columns that were missing or empty.
    pub notes: Vec<String>,
}

/// What [`Pdu::detect`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detected {
    /// sysObjectID.0, dotted (`.1.3.6.1.4.1.13742.6`).
    pub sys_object_id: String,
    /// sysDescr.0 (empty if absent).
    pub sys_descr: String,
    /// The name of the profile whose sysObjectID matches, if any.
    pub profile: Option<&'static str>,
}

/// One metering value of one outlet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// The outlet number.
    pub outlet: u32,
    /// `current`, `voltage`, `power` or `energy` ([`pdu_mibs::Quantity::as_str`]).
    pub quantity: &'static str,
    /// The raw INTEGER times the profile's scale, in `unit`; `None` when the PDU has no value
    /// now (the meter is missing, or reads negative, "not available": quirk 32 in
    /// `docs/QUIRKS.md`), shown as `n/a`.
    pub value: Option<f64>,
    /// `A`, `V`, `W` or `Wh`.
    pub unit: &'static str,
}

/// What [`Pdu::readings`] read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readings {
    /// The values read, by outlet then by the profile's meter order.
    pub readings: Vec<Reading>,
    /// Meters that could not be read, or why there are none.
    pub notes: Vec<String>,
}

/// Outlet tables resolved from the configuration.
#[derive(Debug, Clone)]
enum Tables {
    Vendor(VendorTables),
    Raw(RawProfile),
}

/// A vendor profile's tables as this PDU numbers them.
#[derive(Debug, Clone)]
struct VendorTables {
    profile: &'static Profile,
    /// Added to the outlet number in the control columns ([`Config::index_offset`]).
    control_offset: u32,
    /// The index suffix of each outlet, outlet 1 first, when the PDU numbers its outlets in
    /// banks (`unit.bank.outlet`, quirk 15 of `docs/QUIRKS.md`): flat outlet N is the Nth row
    /// of the state column. `None`: the profile's index shape.
    rows: Option<Vec<Vec<u32>>>,
}

impl VendorTables {
    fn new(profile: &'static Profile, control_offset: u32) -> Self {
        VendorTables {
            profile,
            control_offset,
            rows: None,
        }
    }

    /// The index suffix of outlet `n`.
    fn suffix(&self, n: u32) -> Vec<u32> {
        let banked = self
            .rows
            .as_ref()
            .and_then(|rows| rows.get(usize::try_from(n).ok()?.checked_sub(1)?).cloned());
        banked.unwrap_or_else(|| self.profile.index.suffix(n))
    }

    fn oid(&self, column: &[u32], n: u32) -> Vec<u32> {
        let mut oid = column.to_vec();
        oid.extend(self.suffix(n));
        oid
    }

    /// The outlet `oid` names in `column`.
    fn outlet_in(&self, column: &[u32], oid: &[u32]) -> Option<u32> {
        let suffix = oid.strip_prefix(column)?;
        match &self.rows {
            Some(rows) => rows
                .iter()
                .position(|r| r.as_slice() == suffix)
                .and_then(|p| u32::try_from(p + 1).ok()),
            None => self.profile.index.outlet_from_suffix(suffix),
        }
    }
}

impl Tables {
    fn command(&self, action: Action, n: u32) -> Option<(Vec<u32>, i64)> {
        match self {
            Tables::Vendor(t) => {
                let p = t.profile;
                let c = match action {
                    Action::On => p.switching.on,
                    Action::Off => p.switching.off,
                    Action::Cycle => p.switching.cycle?,
                };
                let mut oid = t.oid(c.column, n);
                if let Some(last) = oid.last_mut() {
                    *last = last.saturating_add(t.control_offset);
                }
                Some((oid, c.value))
            }
            Tables::Raw(r) => {
                let v = match action {
                    Action::On => r.on,
                    Action::Off => r.off,
                    Action::Cycle => r.cycle?,
                };
                let mut oid = r.control_prefix.clone();
                oid.push(n);
                Some((oid, v))
            }
        }
    }

    fn state_column(&self) -> Option<Vec<u32>> {
        match self {
            Tables::Vendor(t) => Some(t.profile.state.column.to_vec()),
            Tables::Raw(r) => r.state.as_ref().map(|s| s.prefix.clone()),
        }
    }

    fn state_oid(&self, n: u32) -> Option<Vec<u32>> {
        match self {
            Tables::Vendor(t) => Some(t.oid(t.profile.state.column, n)),
            Tables::Raw(r) => r.state.as_ref().map(|s| {
                let mut o = s.prefix.clone();
                o.push(n);
                o
            }),
        }
    }

    fn decode(&self, v: i64) -> OutletState {
        match self {
            Tables::Vendor(t) => t.profile.state.decode(v),
            Tables::Raw(r) => match &r.state {
                Some(s) if s.on == v => OutletState::On,
                Some(s) if s.off == v => OutletState::Off,
                _ => OutletState::Unknown(v),
            },
        }
    }

    /// The outlet number named by `oid` in `column`.
    fn outlet_in(&self, column: &[u32], oid: &[u32]) -> Option<u32> {
        match self {
            Tables::Vendor(t) => t.outlet_in(column, oid),
            Tables::Raw(_) => match oid.strip_prefix(column)? {
                [n] => Some(*n),
                _ => None,
            },
        }
    }

    fn name_column(&self) -> Option<&'static [u32]> {
        match self {
            Tables::Vendor(t) => t.profile.name_column,
            Tables::Raw(_) => None,
        }
    }

    fn profile_name(&self) -> &'static str {
        match self {
            Tables::Vendor(t) => t.profile.name,
            Tables::Raw(_) => "raw",
        }
    }
}

fn state_text(state: OutletState) -> String {
    state.as_str().to_string()
}

/// A handle on one PDU. Cheap to create; talks to the network only in its operations.
#[derive(Debug)]
pub struct Pdu {
    transport: Transport,
    tables: Option<Tables>,
    /// When the last switch SET was sent, for [`Config::min_gap`] and for naming a refusal
    /// that came too soon after it.
    last_switch: Option<Instant>,
    /// How long after the switch before it the last switch SET was sent.
    gap_before: Option<Duration>,
    /// What the driver learnt about the PDU's tables (banks, an empty legacy generation),
    /// said once in the next report that carries notes.
    notes: Vec<String>,
}

/// Within this long after a switch, a genErr or resourceUnavailable refusal of the next one
/// is named as a likely minimum gap between switch operations.
const GAP_SUSPECT: Duration = Duration::from_secs(10);

impl Pdu {
    /// Validate `config` and build the handle (no network traffic yet).
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let tables = match &config.vendor {
            Vendor::Detect => None,
            Vendor::Profile(p) => Some(Tables::Vendor(VendorTables::new(p, config.index_offset))),
            Vendor::Raw(r) => Some(Tables::Raw(r.clone())),
        };
        Ok(Pdu {
            transport: Transport::new(config),
            tables,
            last_switch: None,
            gap_before: None,
            notes: Vec::new(),
        })
    }

    /// The configuration the handle was made with.
    pub fn config(&self) -> &Config {
        self.transport.config()
    }

    /// The profile in use (`raw` in raw mode), detecting it first if needed.
    pub async fn profile_name(&mut self) -> Result<&'static str> {
        Ok(self.tables().await?.profile_name())
    }

    /// Read sysObjectID and sysDescr and find the matching profile.
    pub async fn detect(&mut self) -> Result<Detected> {
        let vbs = self
            .transport
            .get(vec![oids::SYS_OBJECT_ID.to_vec(), oids::SYS_DESCR.to_vec()])
            .await?;
        let mut sys_object_id = None;
        let mut sys_descr = String::new();
        for (oid, v) in vbs {
            if oid == oids::SYS_OBJECT_ID {
                if let Value::ObjectIdentifier(o) = v {
                    sys_object_id = Some(o);
                }
            } else if oid == oids::SYS_DESCR {
                sys_descr = v.as_text().unwrap_or_default();
            }
        }
        let Some(id) = sys_object_id else {
            return Err(Error::NotAvailable {
                what: "sysObjectID".into(),
                oid: oid_string(oids::SYS_OBJECT_ID),
                hint: "the agent does not identify itself; choose a profile with --vendor".into(),
            });
        };
        Ok(Detected {
            sys_object_id: oid_string(&id),
            sys_descr,
            profile: pdu_mibs::by_sys_object_id(&id).map(|p| p.name),
        })
    }

    async fn tables(&mut self) -> Result<&Tables> {
        if self.tables.is_none() {
            let d = self.detect().await?;
            let profile =
                d.profile
                    .and_then(pdu_mibs::by_name)
                    .ok_or_else(|| Error::UnknownDevice {
                        sys_object_id: d.sys_object_id.clone(),
                        sys_descr: d.sys_descr.clone(),
                        known: pdu_mibs::names().join(", "),
                    })?;
            tracing::info!(profile = profile.name, "detected");
            let offset = self.config().index_offset;
            self.tables = Some(Tables::Vendor(VendorTables::new(profile, offset)));
        }
        match &self.tables {
            Some(t) => Ok(t),
            None => Err(Error::BadConfig("no vendor profile".into())),
        }
    }

    /// Outlet number for `outlet`; names are looked up in the name column.
    pub async fn resolve(&mut self, outlet: &OutletRef) -> Result<u32> {
        match outlet {
            OutletRef::Number(0) => Err(Error::NoSuchOutlet {
                outlet: "0".into(),
                detail: "outlets are numbered from 1".into(),
            }),
            OutletRef::Number(n) => Ok(*n),
            OutletRef::Index(arcs) => self.resolve_index(arcs).await,
            OutletRef::Name(name) => {
                let tables = self.tables().await?.clone();
                let Some(column) = tables.name_column() else {
                    return Err(Error::NoSuchOutlet {
                        outlet: format!("{name:?}"),
                        detail: format!(
                            "the {} profile has no outlet name column; address the outlet by number",
                            tables.profile_name()
                        ),
                    });
                };
                let rows = self.transport.walk(column).await?;
                // Names under more than one bank: outlets are counted flat across banks.
                let tables = self.banked(&tables, column, &rows).unwrap_or(tables);
                let named: Vec<(u32, String)> = rows
                    .iter()
                    .filter_map(|(oid, v)| Some((tables.outlet_in(column, oid)?, v.as_text()?)))
                    .filter(|(n, _)| *n > 0)
                    .collect();
                if let Some((n, _)) = named.iter().find(|(_, s)| s == name) {
                    return Ok(*n);
                }
                let folded: Vec<&(u32, String)> = named
                    .iter()
                    .filter(|(_, s)| s.eq_ignore_ascii_case(name))
                    .collect();
                match folded.as_slice() {
                    [(n, _)] => Ok(*n),
                    _ => Err(Error::NoSuchOutlet {
                        outlet: format!("{name:?}"),
                        detail: if named.is_empty() {
                            format!(
                                "the name column {} is empty; address the outlet by number",
                                oid_string(column)
                            )
                        } else {
                            format!(
                                "no outlet has that name; names are: {}",
                                named
                                    .iter()
                                    .map(|(n, s)| format!("{n}={s:?}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        },
                    }),
                }
            }
        }
    }

    /// The outlet number of the row whose index in the vendor's tables is `arcs` (`1.2.3`),
    /// found in the state column (which also tells the driver whether the PDU numbers its
    /// outlets in banks).
    async fn resolve_index(&mut self, arcs: &[u32]) -> Result<u32> {
        let tables = self.tables().await?.clone();
        let what = OutletRef::Index(arcs.to_vec()).to_string();
        let Tables::Vendor(_) = &tables else {
            return Err(Error::NoSuchOutlet {
                outlet: what,
                detail: "raw mode numbers outlets by the last arc only: give the number".into(),
            });
        };
        let column = tables.state_column().unwrap_or_default();
        let rows = self.transport.walk(&column).await?;
        let tables = self.banked(&tables, &column, &rows).unwrap_or(tables);
        let mut oid = column.clone();
        oid.extend_from_slice(arcs);
        match tables.outlet_in(&column, &oid) {
            Some(n) if n > 0 && rows.iter().any(|(o, _)| *o == oid) => Ok(n),
            _ => {
                let indexes: Vec<String> = rows
                    .iter()
                    .filter_map(|(o, _)| o.strip_prefix(column.as_slice()))
                    .map(|s| s.iter().map(u32::to_string).collect::<Vec<_>>().join("."))
                    .collect();
                Err(Error::NoSuchOutlet {
                    outlet: what,
                    detail: if indexes.is_empty() {
                        format!("the state column {} has no rows", oid_string(&column))
                    } else {
                        format!(
                            "the {} state column has rows {}",
                            tables.profile_name(),
                            indexes.join(", ")
                        )
                    },
                })
            }
        }
    }

    /// Read one outlet's state. `Ok(None)` if the profile cannot read state (raw mode without a
    /// state column, or a device without one); `NoSuchOutlet` if the column exists but the outlet does not.
    ///
    /// When the outlet's row is missing, the column is walked: rows under more than one bank
    /// mean the PDU numbers its outlets in banks (flat outlet N becomes the Nth row, quirk 15);
    /// an empty column of a profile with other MIB generations on the same hardware sends the
    /// driver to the generation that has rows (quirk 12). Either is remembered, with a note.
    async fn read_state(&mut self, tables: &Tables, n: u32) -> Result<Option<(OutletState, i64)>> {
        let mut tables = tables.clone();
        loop {
            let Some(oid) = tables.state_oid(n) else {
                return Ok(None);
            };
            let v = self.transport.get_one(&oid).await?;
            if let Some(i) = v.as_i64() {
                return Ok(Some((tables.decode(i), i)));
            }
            if !v.is_missing() {
                return Err(Error::UnexpectedValue {
                    oid: oid_string(&oid),
                    got: v.describe(),
                    expected: match &tables {
                        Tables::Vendor(t) => format!(
                            "an INTEGER outlet state; another type there is what firmware that renumbered the MIB's columns serves (quirk 14 in docs/QUIRKS.md): walk the {} outlet table and compare it with the MIB, or use --vendor raw with the OIDs the device really has",
                            t.profile.name
                        ),
                        Tables::Raw(_) => "an INTEGER outlet state".into(),
                    },
                });
            }
            // Is the column there at all? Then the outlet is not.
            let column = tables.state_column().unwrap_or_default();
            let rows = self.transport.walk(&column).await?;
            if let Some(banked) = self.banked(&tables, &column, &rows) {
                tables = banked;
                continue;
            }
            let known: Vec<u32> = rows
                .iter()
                .filter_map(|(o, _)| tables.outlet_in(&column, o))
                .filter(|n| *n > 0)
                .collect();
            if known.is_empty() {
                if let Some(other) = self.other_generation(&tables).await? {
                    tables = other;
                    continue;
                }
                return Ok(None);
            }
            return Err(Error::NoSuchOutlet {
                outlet: n.to_string(),
                detail: format!(
                    "the PDU has outlets {} (no {} in {})",
                    summarize(&known),
                    oid_string(&oid),
                    tables.profile_name()
                ),
            });
        }
    }

    /// If the state column's `rows` lie under more than one bank of a `unit.cord.outlet`
    /// profile (Sentry towers with banks of outlets: `1.1.1`-`1.1.8`, `1.2.1`-`1.2.8`), the
    /// tables with flat outlet N as the Nth row, now in use.
    fn banked(
        &mut self,
        tables: &Tables,
        column: &[u32],
        rows: &[(Vec<u32>, Value)],
    ) -> Option<Tables> {
        let Tables::Vendor(t) = tables else {
            return None;
        };
        let pdu_mibs::IndexShape::UnitCordOutlet { unit, cord } = t.profile.index else {
            return None;
        };
        if t.rows.is_some() {
            return None;
        }
        let suffixes: Vec<Vec<u32>> = rows
            .iter()
            .filter_map(|(o, _)| o.strip_prefix(column))
            .filter(|s| matches!(s, [u, _, n] if *u == unit && *n > 0))
            .map(<[u32]>::to_vec)
            .collect();
        let banks: std::collections::BTreeSet<u32> =
            suffixes.iter().filter_map(|s| s.get(1).copied()).collect();
        if banks.len() < 2 || !banks.contains(&cord) {
            return None;
        }
        self.notes.push(format!(
            "the PDU numbers its outlets in {} banks ({}.B.N); outlets are counted flat across them, outlet {} being {}",
            banks.len(),
            unit,
            suffixes.len(),
            suffixes.last().map(|s| s.iter().map(u32::to_string).collect::<Vec<_>>().join(".")).unwrap_or_default()
        ));
        let banked = Tables::Vendor(VendorTables {
            rows: Some(suffixes),
            ..t.clone()
        });
        self.tables = Some(banked.clone());
        Some(banked)
    }

    /// When `tables`' state column has no rows: the first other generation of the vendor's
    /// MIB (`pdu_mibs::other_generations`) whose state column has, now in use.
    async fn other_generation(&mut self, tables: &Tables) -> Result<Option<Tables>> {
        let Tables::Vendor(t) = tables else {
            return Ok(None);
        };
        for other in pdu_mibs::other_generations(t.profile.name) {
            let rows = self.transport.walk(other.state.column).await?;
            if rows
                .iter()
                .any(|(o, _)| other.outlet_in_column(other.state.column, o).is_some())
            {
                self.notes.push(format!(
                    "the {} state table {} has no rows (legacy tables empty beside newer ones, quirk 12): using the {} tables, which have",
                    t.profile.name,
                    oid_string(t.profile.state.column),
                    other.name
                ));
                let other = Tables::Vendor(VendorTables::new(other, t.control_offset));
                self.tables = Some(other.clone());
                return Ok(Some(other));
            }
        }
        Ok(None)
    }

    /// The state of one outlet.
    pub async fn state(&mut self, outlet: &OutletRef) -> Result<OutletStatus> {
        let n = self.resolve(outlet).await?;
        let tables = self.tables().await?.clone();
        let read = self.read_state(&tables, n).await?;
        // Reading the state may have taught the driver the PDU's real layout.
        let tables = self.tables().await?.clone();
        let name = self.read_name(&tables, n).await;
        match read {
            Some((s, raw)) => Ok(OutletStatus {
                outlet: n,
                name,
                state: state_text(s),
                raw: Some(raw),
            }),
            None => Err(Error::NotAvailable {
                what: format!("state column for outlet {n}"),
                oid: tables
                    .state_oid(n)
                    .map(|o| oid_string(&o))
                    .unwrap_or_else(|| "(none configured)".into()),
                hint: match &tables {
                    Tables::Raw(r) if r.state.is_none() => {
                        "raw mode reads no outlet state unless --raw-state-oid is given; switching does not depend on it".into()
                    }
                    Tables::Raw(_) => {
                        "the --raw-state-oid column has no rows on this device: check the OID".into()
                    }
                    Tables::Vendor(t) => format!(
                        "the device has no {} state table, so it is probably not a {} PDU and switching with this profile will fail too: run `pductl detect` and use the profile it names (or drop --vendor); if it is one, its firmware may have renumbered the MIB's columns (quirk 14 in docs/QUIRKS.md): walk its outlet table and compare it with the MIB",
                        t.profile.name, t.profile.name
                    ),
                },
            }),
        }
    }

    async fn read_name(&mut self, tables: &Tables, n: u32) -> Option<String> {
        let column = tables.name_column()?;
        let oid = match tables {
            Tables::Vendor(t) => t.oid(column, n),
            Tables::Raw(_) => return None,
        };
        self.transport.get_one(&oid).await.ok()?.as_text()
    }

    /// Switch `outlet` on and, if [`Config::verify`] is set, read the state until it is on.
    ///
    /// Errors: [`Error::NoSuchOutlet`] (unknown number or name, or the agent refuses the control
    /// OID with noSuchName, noCreation or inconsistentName), [`Error::UnknownDevice`] when
    /// detection finds no profile, [`Error::AgentError`] for other refusals,
    /// [`Error::UnexpectedValue`] for a state that is not an INTEGER, and the transport's errors
    /// ([`crate::session::Transport::request_raw`]).
    pub async fn on(&mut self, outlet: &OutletRef) -> Result<SwitchReport> {
        self.switch(outlet, Action::On).await
    }

    /// Switch `outlet` off; as [`Pdu::on`], with the same errors.
    pub async fn off(&mut self, outlet: &OutletRef) -> Result<SwitchReport> {
        self.switch(outlet, Action::Off).await
    }

    /// Power-cycle: the vendor's reboot command if it has one, else off, wait, on.
    pub async fn cycle(&mut self, outlet: &OutletRef) -> Result<SwitchReport> {
        self.switch(outlet, Action::Cycle).await
    }

    async fn set_command(&mut self, tables: &Tables, action: Action, n: u32) -> Result<()> {
        let Some((oid, value)) = tables.command(action, n) else {
            return Err(Error::BadConfig(format!(
                "{} has no {} command",
                tables.profile_name(),
                action.as_str()
            )));
        };
        // Config::min_gap: wait out the rest of the gap since the last switch.
        let gap = self.config().min_gap;
        if let Some(since) = self.last_switch.map(|at| at.elapsed()) {
            if since < gap {
                tokio::time::sleep(gap - since).await;
            }
        }
        tracing::debug!(oid = %oid_string(&oid), value, "SET");
        let mut answer = self.switch_set(&oid, value).await?;
        // resourceUnavailable (RFC 3416: the SET was not carried out, resources are short) soon
        // after the previous switch: a PDU that wants a minimum gap between switch operations.
        if let Err(r) = &answer {
            if r.status == 13 && self.too_soon() {
                if gap.is_zero() {
                    return Err(self.switch_too_soon(n, action, r.status));
                }
                tokio::time::sleep(gap).await;
                answer = self.switch_set(&oid, value).await?;
            }
        }
        match answer {
            Ok(_) => Ok(()),
            // noSuchName / noCreation / inconsistentName on the control OID: the outlet is not there.
            Err(r) if matches!(r.status, 2 | 11 | 18) => {
                let offset = self.control_offset_seen(tables, action).await;
                Err(Error::NoSuchOutlet {
                    outlet: n.to_string(),
                    detail: format!(
                        "the agent answered {} for {}{}",
                        crate::error::error_status_name(r.status),
                        oid_string(&oid),
                        offset.map_or_else(String::new, |k| format!(
                            "; its control rows are numbered {k} above its state rows (a control index offset, quirk 10 in docs/QUIRKS.md): give --index-offset {k}"
                        ))
                    ),
                })
            }
            Err(r) => Err(r.into_error()),
        }
    }

    /// Sends one switch SET, noting when (for [`Config::min_gap`] and [`Pdu::too_soon`]).
    async fn switch_set(
        &mut self,
        oid: &[u32],
        value: i64,
    ) -> Result<std::result::Result<crate::session::Varbinds, crate::session::AgentRefusal>> {
        self.gap_before = self.last_switch.map(|at| at.elapsed());
        self.last_switch = Some(Instant::now());
        self.transport
            .set(vec![(oid.to_vec(), SetValue::Integer(value))])
            .await
    }

    /// Whether the last switch SET came soon enough after the one before it that a refusal is
    /// most likely a minimum gap between switch operations (within [`GAP_SUSPECT`], or the
    /// configured gap if longer).
    fn too_soon(&self) -> bool {
        self.gap_before
            .is_some_and(|since| since < GAP_SUSPECT.max(self.config().min_gap))
    }

    /// [`Error::SwitchTooSoon`] for the last switch SET, refused with `status`.
    fn switch_too_soon(&self, outlet: u32, action: Action, status: u32) -> Error {
        Error::SwitchTooSoon {
            outlet,
            action: action.as_str(),
            status: crate::error::error_status_name(status),
            after: format!(
                "within {} s",
                GAP_SUSPECT.max(self.config().min_gap).as_secs_f64()
            ),
        }
    }

    /// After a control row was missing: how far the rows of `action`'s control column are
    /// numbered above the state column's (beyond [`Config::index_offset`]), when both list the
    /// same number of rows, all shifted by the same k > 0. Walks both columns; `None` when
    /// they cannot be read or do not line up.
    async fn control_offset_seen(&mut self, tables: &Tables, action: Action) -> Option<u32> {
        let Tables::Vendor(t) = tables else {
            return None;
        };
        let command = match action {
            Action::On => t.profile.switching.on,
            Action::Off => t.profile.switching.off,
            Action::Cycle => t.profile.switching.cycle?,
        };
        let last = |column: &[u32], rows: &[(Vec<u32>, Value)]| -> Vec<u32> {
            rows.iter()
                .filter_map(|(o, _)| o.strip_prefix(column)?.last().copied())
                .collect()
        };
        let control = self.transport.walk(command.column).await.ok()?;
        let state = self.transport.walk(t.profile.state.column).await.ok()?;
        let control = last(command.column, &control);
        let state = last(t.profile.state.column, &state);
        if control.is_empty() || control.len() != state.len() {
            return None;
        }
        let k = control.first()?.checked_sub(*state.first()?)?;
        let k = k.checked_sub(t.control_offset)?;
        (k > 0
            && control
                .iter()
                .zip(&state)
                .all(|(c, s)| c.checked_sub(*s) == Some(k + t.control_offset)))
        .then_some(k)
    }

    /// Sends the SET for `action` and, when it goes unanswered (or only a stale or unreadable
    /// answer comes) or is answered genErr, commitFailed or undoFailed, reads the outlet back
    /// before reporting or retrying: a PDU may carry out a SET and then fail its answer. The
    /// transport sends a SET only once ([`crate::session::Transport::request_raw`]); this is
    /// where it is retried, and only `on`/`off` (the same command twice leaves the outlet as
    /// once), up to [`Config::retries`] times, when the read-back shows it was not carried
    /// out.
    ///
    /// `before` is the state read before the SET: only a change from it is evidence that the
    /// PDU carried the command out ([`read_back_evidence`]). The read-back is polled within the
    /// [`Config::verify`] window (one read when it is `None` or zero, and for an unanswered
    /// `on`/`off` that is resent anyway), so a slow outlet that was switched is seen switched.
    /// A `cycle` is never sent again: when the read-back shows no change, an agent's error
    /// answer is reported as the error it is if the outlet was off before and stayed off for
    /// a window longer than zero (the read-back agrees nothing happened), and otherwise
    /// [`Error::SetOutcomeUnknown`].
    async fn set_checked(
        &mut self,
        tables: &Tables,
        action: Action,
        n: u32,
        before: Option<OutletState>,
        notes: &mut Vec<String>,
    ) -> Result<()> {
        let mut resent = 0;
        loop {
            let (failure, error) = match self.set_command(tables, action, n).await {
                Ok(()) => return Ok(()),
                Err(e @ Error::Timeout { .. }) => ("was not answered".to_string(), e),
                // A stale or unreadable answer: the SET may have arrived all the same.
                Err(e @ Error::Protocol { .. }) => {
                    ("got no answer that could be read".to_string(), e)
                }
                Err(
                    e @ Error::AgentError {
                        code: 5 | 14 | 15, ..
                    },
                ) => {
                    let Error::AgentError { status, .. } = &e else {
                        return Err(e);
                    };
                    (format!("was answered {status}"), e)
                }
                Err(e) => return Err(e),
            };
            let unanswered = matches!(error, Error::Timeout { .. } | Error::Protocol { .. });
            // An on/off that will be sent again if one read does not show it carried out
            // (unanswered with resends left, or refused genErr within a configured minimum
            // gap, below) needs no wait: sending it twice leaves the outlet as once.
            let gap_resend = matches!(error, Error::AgentError { code: 5, .. })
                && !self.config().min_gap.is_zero()
                && self.too_soon()
                && resent == 0;
            let resendable = (unanswered && resent < self.config().retries) || gap_resend;
            let window = if action != Action::Cycle && resendable {
                Duration::ZERO
            } else {
                self.config().verify.unwrap_or(Duration::ZERO)
            };
            let (evidence, seen, after_ms) =
                self.read_back(tables, n, action, before, window).await;
            let last = seen
                .last()
                .map_or_else(|| "unreadable".to_string(), |s| state_text(*s));
            let was = before.map_or_else(String::new, |b| format!(" (was {})", state_text(b)));
            let after = if after_ms > 0 {
                format!(" after {after_ms} ms")
            } else {
                String::new()
            };
            match evidence {
                Evidence::CarriedOut => {
                    notes.push(format!(
                        "the {} SET {failure}, but the outlet reads {last}{was}{after}: the PDU carried it out, so it was not sent again",
                        action.as_str()
                    ));
                    return Ok(());
                }
                Evidence::AlreadySo => {
                    notes.push(format!(
                        "the {} SET {failure}; the outlet was {last} before it and reads {last}, as asked (whether the PDU carried the SET out cannot be told), so it was not sent again",
                        action.as_str()
                    ));
                    return Ok(());
                }
                Evidence::NoChange => {}
            }
            let as_before = if before.is_some() && before == seen.last().copied() {
                ", as before"
            } else {
                ""
            };
            let read_back = if seen.is_empty() {
                "unreadable".to_string()
            } else if window.is_zero() {
                format!("{last}{as_before}")
            } else {
                format!("{last}{as_before}, for {} ms", window.as_millis())
            };
            if action == Action::Cycle {
                // The outlet was off and stayed off for the whole read-back window: the
                // read-back agrees with the agent's error answer that nothing happened (a PDU
                // whose off time is longer than the window looks the same; documented).
                // Without an answer, with one read only (a cycle in its off time reads off
                // too), or with the outlet on before (a cycle that finished before the first
                // read looks the same), the outcome cannot be told; never send a cycle again.
                if !unanswered && before == Some(OutletState::Off) && !window.is_zero() {
                    return Err(error);
                }
                return Err(Error::SetOutcomeUnknown {
                    outlet: n,
                    action: action.as_str(),
                    failure,
                    read_back,
                });
            }
            // Refused with genErr soon after the previous switch, and not carried out, with a
            // minimum gap configured: a PDU that wants that gap between switch operations
            // (and says genErr). Send it once more after the gap (it was not carried out).
            // Without a gap configured, genErr stays a plain AgentError: it means too many
            // other things to name a gap.
            let gap = self.config().min_gap;
            if let (Error::AgentError { code: 5, .. }, false) = (&error, gap.is_zero()) {
                if self.too_soon() {
                    if resent > 0 {
                        return Err(self.switch_too_soon(n, action, 5));
                    }
                    tokio::time::sleep(gap).await;
                    resent += 1;
                    notes.push(format!(
                        "the {} SET {failure} soon after the previous switch and was not carried out: sent again after the minimum gap",
                        action.as_str()
                    ));
                    continue;
                }
            }
            // Not carried out: an unanswered on/off is safe to send again; an error is reported.
            if !unanswered || resent >= self.config().retries {
                return Err(error);
            }
            resent += 1;
            notes.push(format!(
                "the {} SET {failure} and the outlet still reads {last}: sent again",
                action.as_str(),
            ));
        }
    }

    /// Reads outlet `n` back after a failed switch SET until the reads show whether `action`
    /// was carried out ([`read_back_evidence`]) or `window` has passed (one read when it is
    /// zero). Returns the evidence, the states read (unreadable reads left out) and the
    /// milliseconds from the first read to the one that decided.
    async fn read_back(
        &mut self,
        tables: &Tables,
        n: u32,
        action: Action,
        before: Option<OutletState>,
        window: Duration,
    ) -> (Evidence, Vec<OutletState>, u128) {
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            if let Ok(Some((s, _))) = self.read_state(tables, n).await {
                seen.push(s);
            }
            let evidence = read_back_evidence(action, before, &seen);
            if evidence != Evidence::NoChange || start.elapsed() >= window {
                let ms = if seen.len() > 1 {
                    start.elapsed().as_millis()
                } else {
                    0
                };
                return (evidence, seen, ms);
            }
            tokio::time::sleep(Duration::from_millis(250).min(window)).await;
        }
    }

    async fn switch(&mut self, outlet: &OutletRef, action: Action) -> Result<SwitchReport> {
        let n = self.resolve(outlet).await?;
        let tables = self.tables().await?.clone();
        let mut notes = Vec::new();
        let before_state = match self.read_state(&tables, n).await {
            Ok(Some((s, _))) => Some(s),
            Ok(None) => {
                notes.push(match tables.state_oid(n) {
                    Some(o) => format!(
                        "could not read the state column {}: the PDU lacks it",
                        oid_string(&o)
                    ),
                    None => "no state column configured: the result is not read back".into(),
                });
                None
            }
            Err(e @ Error::NoSuchOutlet { .. }) => return Err(e),
            // A state the agent encodes so that it cannot be read (a zero-length INTEGER):
            // switching does not depend on it; say so and switch without a read-back.
            Err(Error::UnexpectedValue { oid, got, .. }) if got == crate::session::UNDECODABLE => {
                notes.push(format!(
                    "could not read the state {oid} before switching: {got}; switched without reading it back"
                ));
                None
            }
            Err(e) => return Err(e),
        };
        let before = before_state.map(state_text);
        // Reading the state may have taught the driver the PDU's real layout.
        let tables = self.tables().await?.clone();
        let mut notes = std::mem::take(&mut self.notes)
            .into_iter()
            .chain(notes)
            .collect::<Vec<_>>();
        let native = tables.command(action, n).is_some();
        let method = if native { "native" } else { "off-wait-on" };
        if native {
            self.set_checked(&tables, action, n, before_state, &mut notes)
                .await?;
        } else {
            self.set_checked(&tables, Action::Off, n, before_state, &mut notes)
                .await?;
            tokio::time::sleep(self.config().cycle_delay).await;
            self.set_checked(&tables, Action::On, n, None, &mut notes)
                .await?;
        }
        let want_on = action != Action::Off;
        let verification = match self.config().verify {
            None => Verification::NotRequested,
            Some(_) if tables.state_oid(n).is_none() || before.is_none() => {
                Verification::Unavailable {
                    reason: "no readable state column".into(),
                }
            }
            Some(deadline) => {
                // A native cycle of an outlet that was on shows its off phase (off, a pending
                // or transitional code) before it is on again: "on" alone is no evidence, since
                // a PDU that ignored the cycle reads on too.
                let off_phase_needed =
                    action == Action::Cycle && native && before_state == Some(OutletState::On);
                self.verify(
                    &tables,
                    n,
                    want_on,
                    action == Action::Cycle,
                    off_phase_needed,
                    deadline,
                )
                .await?
            }
        };
        // The SET went through but the outlet did not change: a control table numbered from
        // another base switches another outlet; say so when the tables show it.
        if matches!(verification, Verification::NotConfirmed { .. })
            && before.as_deref() != Some(if want_on { "on" } else { "off" })
        {
            if let Some(k) = self.control_offset_seen(&tables, action).await {
                notes.push(format!(
                    "outlet {n} did not change, and the control rows are numbered {k} above the state rows (a control index offset, quirk 10 in docs/QUIRKS.md): the SET reached the row of outlet {}; give --index-offset {k}",
                    n.saturating_sub(k)
                ));
            }
        }
        notes.extend(self.transport.take_notes());
        Ok(SwitchReport {
            outlet: n,
            action,
            method,
            before,
            verification,
            notes,
        })
    }

    async fn verify(
        &mut self,
        tables: &Tables,
        n: u32,
        want_on: bool,
        cycling: bool,
        off_phase_needed: bool,
        deadline: Duration,
    ) -> Result<Verification> {
        let start = Instant::now();
        let mut last = String::from("unread");
        let mut off_phase_seen = false;
        // A native cycle passes through off; give it a moment before the first read.
        if cycling {
            tokio::time::sleep(Duration::from_millis(200).min(deadline)).await;
        }
        loop {
            if let Some((s, _)) = self.read_state(tables, n).await? {
                last = state_text(s);
                // Off, a pending code, or a vendor's own transitional code (Vertiv's
                // rebootOff): anything but on shows the cycle under way.
                off_phase_seen |= s != OutletState::On;
                if s.settled() == Some(want_on) && (off_phase_seen || !off_phase_needed) {
                    return Ok(Verification::Confirmed {
                        state: last,
                        after_ms: start.elapsed().as_millis(),
                    });
                }
            }
            if start.elapsed() >= deadline {
                if off_phase_needed && !off_phase_seen && last == "on" {
                    last.push_str(", never off or in transition as a cycle passes through,");
                }
                return Ok(Verification::NotConfirmed {
                    last_state: last,
                    deadline_ms: deadline.as_millis(),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Index, name and state of every outlet, by walking the name and state columns.
    pub async fn outlets(&mut self) -> Result<OutletList> {
        let mut tables = self.tables().await?.clone();
        let mut notes = Vec::new();
        let mut states: Vec<(u32, OutletState, i64)> = Vec::new();
        // Rows with index 0 are no outlet (outlets are numbered from 1).
        let mut phantom = Vec::new();
        match tables.state_column() {
            Some(mut column) => {
                let mut rows = self.transport.walk(&column).await?;
                if let Some(banked) = self.banked(&tables, &column, &rows) {
                    tables = banked;
                } else if !rows
                    .iter()
                    .any(|(o, _)| tables.outlet_in(&column, o).is_some_and(|n| n > 0))
                {
                    if let Some(other) = self.other_generation(&tables).await? {
                        tables = other;
                        column = tables.state_column().unwrap_or_default();
                        rows = self.transport.walk(&column).await?;
                    }
                }
                for (oid, v) in rows {
                    match (tables.outlet_in(&column, &oid), v.as_i64()) {
                        (Some(0), _) => phantom.push(oid_string(&oid)),
                        (Some(n), Some(i)) => states.push((n, tables.decode(i), i)),
                        _ => {}
                    }
                }
                if states.is_empty() {
                    notes.push(format!(
                        "the state column {} is empty or missing",
                        oid_string(&column)
                    ));
                }
            }
            None => notes.push("no state column configured".into()),
        }
        let mut names: Vec<(u32, String)> = Vec::new();
        if let Some(column) = tables.name_column() {
            for (oid, v) in self.transport.walk(column).await? {
                match (tables.outlet_in(column, &oid), v.as_text()) {
                    (Some(0), _) => phantom.push(oid_string(&oid)),
                    (Some(n), Some(s)) => names.push((n, s)),
                    _ => {}
                }
            }
            if names.is_empty() {
                notes.push(format!(
                    "the name column {} is empty or missing",
                    oid_string(column)
                ));
            }
        }
        let mut numbers: Vec<u32> = states
            .iter()
            .map(|s| s.0)
            .chain(names.iter().map(|n| n.0))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        let outlets = numbers
            .into_iter()
            .map(|n| {
                let st = states.iter().find(|s| s.0 == n);
                OutletStatus {
                    outlet: n,
                    name: names.iter().find(|x| x.0 == n).map(|x| x.1.clone()),
                    state: st.map_or_else(|| "unreadable".to_string(), |s| state_text(s.1)),
                    raw: st.map(|s| s.2),
                }
            })
            .collect();
        if !phantom.is_empty() {
            notes.push(format!(
                "left out {}: index 0 is no outlet (outlets are numbered from 1; a phantom row, quirk 16 in docs/QUIRKS.md)",
                phantom.join(", ")
            ));
        }
        let mut learnt = std::mem::take(&mut self.notes);
        learnt.extend(notes);
        learnt.extend(self.transport.take_notes());
        Ok(OutletList {
            outlets,
            notes: learnt,
        })
    }

    /// Rename an outlet (where the vendor's name column is writable).
    pub async fn set_name(&mut self, outlet: &OutletRef, name: &str) -> Result<u32> {
        let n = self.resolve(outlet).await?;
        let tables = self.tables().await?.clone();
        let (profile, t) = match &tables {
            Tables::Vendor(t) => (t.profile, t),
            Tables::Raw(_) => {
                return Err(Error::BadConfig(
                    "raw mode has no name column; use a vendor profile".into(),
                ))
            }
        };
        let Some(oid) = profile.name_column.map(|c| t.oid(c, n)) else {
            return Err(Error::BadConfig(format!(
                "the {} profile has no outlet name column",
                profile.name
            )));
        };
        if !profile.name_writable {
            return Err(Error::BadConfig(format!(
                "{} outlet names ({}) are read-only in the MIB",
                profile.name,
                oid_string(&oid)
            )));
        }
        self.transport
            .set(vec![(oid, SetValue::OctetString(name.as_bytes().to_vec()))])
            .await?
            .map_err(crate::session::AgentRefusal::into_error)?;
        Ok(n)
    }

    /// Metering readings for one outlet or all outlets (those the state column lists).
    pub async fn readings(&mut self, outlet: Option<&OutletRef>) -> Result<Readings> {
        let tables = self.tables().await?.clone();
        let Tables::Vendor(t) = tables else {
            return Ok(Readings {
                readings: vec![],
                notes: vec!["raw mode has no metering".into()],
            });
        };
        let profile = t.profile;
        let mut notes = Vec::new();
        if profile.meters.is_empty() {
            notes.push(format!(
                "the {} profile has no per-outlet metering objects",
                profile.name
            ));
            return Ok(Readings {
                readings: vec![],
                notes,
            });
        }
        let outlets: Vec<u32> = match outlet {
            Some(o) => vec![self.resolve(o).await?],
            None => {
                let list = self.outlets().await?;
                notes.extend(list.notes);
                list.outlets.iter().map(|o| o.outlet).collect()
            }
        };
        // Listing may have taught the driver the PDU's real layout.
        let t = match self.tables().await?.clone() {
            Tables::Vendor(t) => t,
            Tables::Raw(_) => t,
        };
        let mut readings = Vec::new();
        for n in outlets {
            for m in t.profile.meters {
                let mut oid = t.oid(m.column, n);
                oid.extend(m.sub_index);
                let v = self.transport.get_one(&oid).await?;
                let value = match v.as_i64() {
                    // Negative: "not available" (EATON-EPDU-MIB -1, Sentry3 "not able to be
                    // measured"), never a reading.
                    Some(raw) if raw < 0 => {
                        notes.push(format!(
                            "outlet {n}: {} not available (the PDU reads {raw} at {}, its \"not available\")",
                            m.quantity.as_str(),
                            oid_string(&oid)
                        ));
                        None
                    }
                    #[allow(clippy::cast_precision_loss)]
                    Some(raw) => Some(raw as f64 * m.scale),
                    None => {
                        notes.push(format!(
                            "outlet {n}: no {} at {} ({})",
                            m.quantity.as_str(),
                            oid_string(&oid),
                            v.describe()
                        ));
                        if !v.is_missing() {
                            continue;
                        }
                        None
                    }
                };
                readings.push(Reading {
                    outlet: n,
                    quantity: m.quantity.as_str(),
                    value,
                    unit: unit(m.quantity),
                });
            }
        }
        notes.extend(self.transport.take_notes());
        Ok(Readings { readings, notes })
    }
}

/// What the reads after a failed switch SET show, judged against the state before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    /// The outlet changed as the command changes it: the PDU carried it out (or it is under
    /// way).
    CarriedOut,
    /// `on`/`off` only: the outlet was already in the wanted state and still is.
    AlreadySo,
    /// Nothing read shows the command carried out.
    NoChange,
}

/// Whether the states `seen` (in order) after a failed `action` SET show it carried out,
/// given the state `before` the SET (`None`: unreadable).
///
/// - `on`/`off`: the wanted state or its pending code; [`Evidence::AlreadySo`] when the
///   outlet was in that state before.
/// - `cycle`: a pending code (a reboot in progress) always counts. Otherwise a change from
///   `before`: an outlet that was on (or unread) counts once it reads off (on → off, the first
///   half of on → off → on); an outlet that was off counts once it reads on (the PDU turned
///   it on after its off time, as many do for a reboot of an off outlet). An outlet that was
///   off and reads off shows nothing: the cycle was refused, not carried out, or is still in
///   its off time.
fn read_back_evidence(
    action: Action,
    before: Option<OutletState>,
    seen: &[OutletState],
) -> Evidence {
    let any = |f: fn(&OutletState) -> bool| seen.iter().any(f);
    match action {
        Action::On | Action::Off => {
            let on = action == Action::On;
            let wanted = if on {
                OutletState::On
            } else {
                OutletState::Off
            };
            let pending = if on {
                OutletState::PendingOn
            } else {
                OutletState::PendingOff
            };
            match seen.iter().find(|s| **s == wanted || **s == pending) {
                None => Evidence::NoChange,
                Some(_) if before == Some(wanted) && seen.iter().all(|s| *s == wanted) => {
                    Evidence::AlreadySo
                }
                Some(_) => Evidence::CarriedOut,
            }
        }
        Action::Cycle => {
            let pending = any(|s| matches!(s, OutletState::PendingOn | OutletState::PendingOff));
            let changed = match before {
                Some(OutletState::Off) => any(|s| *s == OutletState::On),
                _ => any(|s| *s == OutletState::Off),
            };
            if pending || changed {
                Evidence::CarriedOut
            } else {
                Evidence::NoChange
            }
        }
    }
}

fn unit(q: Quantity) -> &'static str {
    q.unit()
}

/// `1-8, 10` style summary of outlet numbers.
fn summarize(ns: &[u32]) -> String {
    let mut v = ns.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlet_refs() {
        assert_eq!("3".parse::<OutletRef>().ok(), Some(OutletRef::Number(3)));
        assert_eq!(
            "web-1".parse::<OutletRef>().ok(),
            Some(OutletRef::Name("web-1".into()))
        );
        assert!("  ".parse::<OutletRef>().is_err());
    }

    #[test]
    fn outlet_refs_by_index() {
        assert_eq!(
            "1.2.3".parse::<OutletRef>().ok(),
            Some(OutletRef::Index(vec![1, 2, 3]))
        );
        assert_eq!(OutletRef::Index(vec![1, 2, 3]).to_string(), "1.2.3");
        assert_eq!(
            "1.x".parse::<OutletRef>().ok(),
            Some(OutletRef::Name("1.x".into()))
        );
        assert_eq!(
            "v1.2".parse::<OutletRef>().ok(),
            Some(OutletRef::Name("v1.2".into()))
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(summarize(&[3, 1, 2, 5, 7, 8]), "1-3, 5, 7-8");
        assert_eq!(summarize(&[]), "");
    }

    #[test]
    fn raw_tables_follow_jumpstarter() {
        let t = Tables::Raw(RawProfile::jumpstarter());
        let (oid, v) = t.command(Action::On, 4).expect("on exists");
        assert_eq!(oid_string(&oid), ".1.3.6.1.4.1.13742.6.4.1.2.1.2.1.4");
        assert_eq!(v, 1);
        assert_eq!(t.command(Action::Off, 4).map(|c| c.1), Some(0));
        assert!(
            t.command(Action::Cycle, 4).is_none(),
            "jumpstarter cycles off, wait, on"
        );
        assert!(t.state_oid(4).is_none());
    }

    #[test]
    fn vendor_tables_use_the_profile() {
        let t = Tables::Vendor(VendorTables::new(&pdu_mibs::APC_RPDU2, 0));
        assert_eq!(t.decode(1), OutletState::Off);
        let col = t.state_column().unwrap_or_default();
        let mut oid = col.clone();
        oid.push(12);
        assert_eq!(t.outlet_in(&col, &oid), Some(12));
    }

    #[test]
    fn read_back_of_on_and_off_wants_the_state_or_its_pending_code() {
        use OutletState::{Off, On, PendingOff, PendingOn};
        let e = read_back_evidence;
        assert_eq!(e(Action::On, Some(Off), &[On]), Evidence::CarriedOut);
        assert_eq!(e(Action::On, Some(Off), &[PendingOn]), Evidence::CarriedOut);
        assert_eq!(
            e(Action::On, Some(Off), &[Off, Off, On]),
            Evidence::CarriedOut
        );
        assert_eq!(e(Action::On, Some(Off), &[Off]), Evidence::NoChange);
        assert_eq!(e(Action::On, Some(Off), &[]), Evidence::NoChange);
        assert_eq!(e(Action::On, Some(On), &[On]), Evidence::AlreadySo);
        assert_eq!(e(Action::On, None, &[On]), Evidence::CarriedOut);
        assert_eq!(
            e(Action::Off, Some(On), &[PendingOff]),
            Evidence::CarriedOut
        );
        assert_eq!(e(Action::Off, Some(On), &[On, Off]), Evidence::CarriedOut);
        assert_eq!(e(Action::Off, Some(Off), &[Off]), Evidence::AlreadySo);
        assert_eq!(e(Action::Off, Some(On), &[On]), Evidence::NoChange);
    }

    #[test]
    fn read_back_of_a_cycle_needs_a_change_from_before() {
        use OutletState::{Off, On, PendingOff, PendingOn, Unknown};
        let e = read_back_evidence;
        // Was on: off (on → off) or a pending code counts; on throughout cannot tell.
        assert_eq!(e(Action::Cycle, Some(On), &[Off]), Evidence::CarriedOut);
        assert_eq!(
            e(Action::Cycle, Some(On), &[On, Off, On]),
            Evidence::CarriedOut
        );
        assert_eq!(
            e(Action::Cycle, Some(On), &[PendingOn]),
            Evidence::CarriedOut
        );
        assert_eq!(e(Action::Cycle, Some(On), &[On, On]), Evidence::NoChange);
        // Was off: off is no evidence (the case that was taken as carried out); a pending
        // code or the outlet coming on after the off time is.
        assert_eq!(e(Action::Cycle, Some(Off), &[Off]), Evidence::NoChange);
        assert_eq!(
            e(Action::Cycle, Some(Off), &[Off, Off, Off]),
            Evidence::NoChange
        );
        assert_eq!(
            e(Action::Cycle, Some(Off), &[Off, PendingOn]),
            Evidence::CarriedOut
        );
        assert_eq!(
            e(Action::Cycle, Some(Off), &[PendingOff]),
            Evidence::CarriedOut
        );
        assert_eq!(
            e(Action::Cycle, Some(Off), &[Off, On]),
            Evidence::CarriedOut
        );
        assert_eq!(
            e(Action::Cycle, Some(Off), &[Unknown(9)]),
            Evidence::NoChange
        );
        // Before unreadable: off or pending counts, as a change from on is the only cycle
        // that reads off.
        assert_eq!(e(Action::Cycle, None, &[Off]), Evidence::CarriedOut);
        assert_eq!(e(Action::Cycle, None, &[On]), Evidence::NoChange);
    }
}
