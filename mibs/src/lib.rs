//! Vendor PDU MIB facts — OIDs, outlet index shapes and integer encodings — as plain data.
//!
//! This crate is the one place where a vendor OID or an integer meaning is written down.
//! The driver (`pdu-driver`) reads it to build requests; the simulator can read the same
//! tables to serve them. Nothing here talks to the network or allocates on use except
//! [`Profile::outlet_oid`] and friends, which build full OIDs.
//!
//! Source of every number: the vendors' MIB files (PDU2-MIB, PowerNet-MIB, EATON-EPDU-MIB, ...),
//! checked with `snmptranslate`. The unit tests at the bottom quote the literal OIDs from them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod notifications;

/// A numeric OID as a list of arcs, e.g. `&[1, 3, 6, 1, 2, 1, 1, 2, 0]`.
pub type OidArcs = &'static [u32];

/// The standard objects a profile is detected by, from the protocol crate (defined once).
pub use snmp_proto::oids::{SYS_DESCR, SYS_NAME, SYS_OBJECT_ID};

/// How outlet number N becomes the index suffix appended to a column OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexShape {
    /// `N` (APC, CyberPower, Vertiv, Raritan PX1).
    Outlet,
    /// `unit.N`: Raritan pduId (1), Eaton strappingIndex (0), Tripp Lite device (1), Baytech module (1).
    UnitOutlet {
        /// The unit (PDU, strapping, device or module) index written before the outlet.
        unit: u32,
    },
    /// `unit.cord.N`: Sentry3 tower.infeed.N, Sentry4 unit.cord.N.
    UnitCordOutlet {
        /// The unit (Sentry3 tower, Sentry4 unit) index, first.
        unit: u32,
        /// The cord (Sentry3 infeed, Sentry4 cord) index, between unit and outlet.
        cord: u32,
    },
}

impl IndexShape {
    /// The index suffix for outlet `n`.
    pub fn suffix(self, n: u32) -> Vec<u32> {
        match self {
            IndexShape::Outlet => vec![n],
            IndexShape::UnitOutlet { unit } => vec![unit, n],
            IndexShape::UnitCordOutlet { unit, cord } => vec![unit, cord, n],
        }
    }

    /// The outlet number an index suffix names, if the suffix has this shape
    /// (and, for unit/cord shapes, belongs to this unit and cord).
    pub fn outlet_from_suffix(self, suffix: &[u32]) -> Option<u32> {
        match (self, suffix) {
            (IndexShape::Outlet, [n]) => Some(*n),
            (IndexShape::UnitOutlet { unit }, [u, n]) if *u == unit => Some(*n),
            (IndexShape::UnitCordOutlet { unit, cord }, [u, c, n]) if *u == unit && *c == cord => {
                Some(*n)
            }
            _ => None,
        }
    }

    /// The index as written in MIB tables, e.g. `1.N`.
    pub fn pattern(self) -> String {
        match self {
            IndexShape::Outlet => "N".to_string(),
            IndexShape::UnitOutlet { unit } => format!("{unit}.N"),
            IndexShape::UnitCordOutlet { unit, cord } => format!("{unit}.{cord}.N"),
        }
    }
}

/// One switching command: write the integer `value` to `column.<index>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// The control column, without the outlet index (the profile's [`IndexShape`] adds it).
    pub column: OidArcs,
    /// The INTEGER to SET, e.g. PDU2-MIB switchingOperation on(1).
    pub value: i64,
}

/// How to switch an outlet. Most vendors use one control column with a different integer
/// per command; Eaton uses one column per command (write 0 = now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switching {
    /// The command that switches the outlet on.
    pub on: Command,
    /// The command that switches the outlet off.
    pub off: Command,
    /// The vendor's native reboot (power cycle) command, if it has one.
    pub cycle: Option<Command>,
}

/// What a value read from the state column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutletState {
    /// The outlet is on (powered).
    On,
    /// The outlet is off (not powered).
    Off,
    /// The device accepted an "on" and has not finished (Eaton pendingOn, Sentry3 onWait, …).
    PendingOn,
    /// The device accepted an "off" and has not finished.
    PendingOff,
    /// A value this profile has no meaning for (unknown, unavailable, error, …).
    Unknown(i64),
}

impl OutletState {
    /// The state a switch operation is heading for, ignoring "pending".
    pub fn settled(self) -> Option<bool> {
        match self {
            OutletState::On => Some(true),
            OutletState::Off => Some(false),
            _ => None,
        }
    }

    /// The state as shown to people and in JSON: `on`, `off`, `pending-on`, `pending-off` or
    /// `unknown` (the raw value of [`OutletState::Unknown`] is not included).
    pub fn as_str(self) -> &'static str {
        match self {
            OutletState::On => "on",
            OutletState::Off => "off",
            OutletState::PendingOn => "pending-on",
            OutletState::PendingOff => "pending-off",
            OutletState::Unknown(_) => "unknown",
        }
    }
}

/// The state (status) column and the integers it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateColumn {
    /// The status column, without the outlet index. For some vendors (Raritan PX1, APC sPDU,
    /// Baytech) it is the same column as the control one.
    pub column: OidArcs,
    /// The values that mean on; the first is what [`StateColumn::encode`] reports.
    pub on: &'static [i64],
    /// The values that mean off; the first is what [`StateColumn::encode`] reports.
    pub off: &'static [i64],
    /// The values that mean an "on" is under way (empty if the vendor reports none).
    pub pending_on: &'static [i64],
    /// The values that mean an "off" is under way (empty if the vendor reports none).
    pub pending_off: &'static [i64],
}

impl StateColumn {
    /// What `value`, read from [`StateColumn::column`], means; a value in none of the lists is
    /// [`OutletState::Unknown`].
    pub fn decode(&self, value: i64) -> OutletState {
        if self.on.contains(&value) {
            OutletState::On
        } else if self.off.contains(&value) {
            OutletState::Off
        } else if self.pending_on.contains(&value) {
            OutletState::PendingOn
        } else if self.pending_off.contains(&value) {
            OutletState::PendingOff
        } else {
            OutletState::Unknown(value)
        }
    }

    /// The integer the agent reports for a settled on/off state (the first listed).
    pub fn encode(&self, on: bool) -> Option<i64> {
        if on {
            self.on.first().copied()
        } else {
            self.off.first().copied()
        }
    }
}

/// What a metering column measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// amperes
    Current,
    /// volts
    Voltage,
    /// watts
    Power,
    /// watt-hours
    Energy,
}

impl Quantity {
    /// The SI unit symbol a [`Meter`]'s scaled value is in: `A`, `V`, `W` or `Wh`.
    pub fn unit(self) -> &'static str {
        match self {
            Quantity::Current => "A",
            Quantity::Voltage => "V",
            Quantity::Power => "W",
            Quantity::Energy => "Wh",
        }
    }

    /// The quantity's name in output: `current`, `voltage`, `power` or `energy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Quantity::Current => "current",
            Quantity::Voltage => "voltage",
            Quantity::Power => "power",
            Quantity::Energy => "energy",
        }
    }
}

/// A per-outlet metering object: `column.<index>[.sub_index]`, raw value × `scale` = SI unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Meter {
    /// What the column measures (and so the unit of the scaled value).
    pub quantity: Quantity,
    /// The metering column, without the outlet index.
    pub column: OidArcs,
    /// Appended after the outlet index (Raritan's sensor type), if any.
    pub sub_index: Option<u32>,
    /// The factor from the raw INTEGER to the [`Quantity::unit`], e.g. 0.001 for milliamperes,
    /// 0.1 for tenths of an ampere, 100.0 for tenths of a kWh.
    pub scale: f64,
}

/// Everything the driver (and the simulator) needs to know about one vendor's outlet tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Stable, lower-case name used on command lines and in files, e.g. `raritan-px2`.
    pub name: &'static str,
    /// Vendor, model family and MIB, for people.
    pub description: &'static str,
    /// The sysObjectID the device reports (detection compares by prefix).
    pub sys_object_id: OidArcs,
    /// How an outlet number becomes the index of every outlet column.
    pub index: IndexShape,
    /// The control column(s) and the integers that switch an outlet.
    pub switching: Switching,
    /// The status column and what its integers mean.
    pub state: StateColumn,
    /// Outlet name column; `name_writable` says whether SET on it renames the outlet.
    pub name_column: Option<OidArcs>,
    /// Whether a SET on [`Profile::name_column`] renames the outlet (false: read-only names).
    pub name_writable: bool,
    /// A scalar holding the number of outlets (full OID, instance included).
    pub outlet_count: Option<OidArcs>,
    /// The per-outlet metering columns (empty when the MIB has none per outlet).
    pub meters: &'static [Meter],
}

impl Profile {
    fn join(column: OidArcs, index: &[u32], tail: Option<u32>) -> Vec<u32> {
        let mut v = Vec::with_capacity(column.len() + index.len() + 1);
        v.extend_from_slice(column);
        v.extend_from_slice(index);
        v.extend(tail);
        v
    }

    /// Full OID of `column` for outlet `n`.
    pub fn outlet_oid(&self, column: OidArcs, n: u32) -> Vec<u32> {
        Self::join(column, &self.index.suffix(n), None)
    }

    /// Full OID of the status column for outlet `n`.
    pub fn state_oid(&self, n: u32) -> Vec<u32> {
        self.outlet_oid(self.state.column, n)
    }

    /// Full OID of the name column for outlet `n`; `None` if the profile has no name column.
    pub fn name_oid(&self, n: u32) -> Option<Vec<u32>> {
        self.name_column.map(|c| self.outlet_oid(c, n))
    }

    /// Full OID of `meter` for outlet `n`: `column.<index>[.sub_index]`.
    pub fn meter_oid(&self, meter: &Meter, n: u32) -> Vec<u32> {
        Self::join(meter.column, &self.index.suffix(n), meter.sub_index)
    }

    /// The outlet number `oid` names in `column`, if it is `column.<index of this shape>`.
    pub fn outlet_in_column(&self, column: OidArcs, oid: &[u32]) -> Option<u32> {
        let suffix = oid.strip_prefix(column)?;
        self.index.outlet_from_suffix(suffix)
    }

    /// True if `sys_object_id` is this profile's sysObjectID or below it.
    pub fn matches_sys_object_id(&self, sys_object_id: &[u32]) -> bool {
        sys_object_id.starts_with(self.sys_object_id)
    }
}

/// Format arcs the way MIB documents do: `.1.3.6.1…`.
pub fn oid_string(arcs: &[u32]) -> String {
    format!(".{}", snmp_proto::Oid::new(arcs))
}

/// Parse `1.3.6…` or `.1.3.6…`. Returns `None` on anything else.
pub fn parse_oid(text: &str) -> Option<Vec<u32>> {
    snmp_proto::Oid::parse(text.trim()).map(|oid| oid.0)
}

// ---------------------------------------------------------------------------------------------
// The profiles. Column OIDs are written without the index; the index shape adds it.
// ---------------------------------------------------------------------------------------------

/// Raritan PX2/PX3, PDU2-MIB. Write 0/1/2, read 7/8: the state column does not use the control column's numbers.
pub const RARITAN_PX2: Profile = Profile {
    name: "raritan-px2",
    description: "Raritan PX2/PX3 (PDU2-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 13742, 6],
    index: IndexShape::UnitOutlet { unit: 1 },
    switching: Switching {
        on: Command {
            column: &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2],
            value: 1,
        },
        off: Command {
            column: &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2],
            value: 0,
        },
        cycle: Some(Command {
            column: &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2],
            value: 2,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3],
        on: &[7],
        off: &[8],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 13742, 6, 3, 5, 3, 1, 3]),
    name_writable: true,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 13742, 6, 3, 2, 2, 1, 4, 1]),
    // measurementsOutletSensorValue.<pdu>.<outlet>.<type>. Raritan scales by the sensor's
    // decimalDigits; these are the PX2 defaults (current 3 digits, others 0).
    meters: &[
        Meter {
            quantity: Quantity::Current,
            column: RARITAN_PX2_SENSOR,
            sub_index: Some(1),
            scale: 0.001,
        },
        Meter {
            quantity: Quantity::Voltage,
            column: RARITAN_PX2_SENSOR,
            sub_index: Some(4),
            scale: 1.0,
        },
        Meter {
            quantity: Quantity::Power,
            column: RARITAN_PX2_SENSOR,
            sub_index: Some(5),
            scale: 1.0,
        },
        Meter {
            quantity: Quantity::Energy,
            column: RARITAN_PX2_SENSOR,
            sub_index: Some(8),
            scale: 1.0,
        },
    ],
};
const RARITAN_PX2_SENSOR: OidArcs = &[1, 3, 6, 1, 4, 1, 13742, 6, 5, 4, 3, 1, 4];

/// Raritan PX1, PDU-MIB: one read-write column that is both control and state.
pub const RARITAN_PX1: Profile = Profile {
    name: "raritan-px1",
    description: "Raritan PX1 (PDU-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 13742, 4],
    index: IndexShape::Outlet,
    switching: Switching {
        on: Command {
            column: RARITAN_PX1_OPSTATE,
            value: 1,
        },
        off: Command {
            column: RARITAN_PX1_OPSTATE,
            value: 0,
        },
        cycle: Some(Command {
            column: RARITAN_PX1_OPSTATE,
            value: 2,
        }),
    },
    state: StateColumn {
        column: RARITAN_PX1_OPSTATE,
        on: &[1],
        off: &[0],
        pending_on: &[2],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 2, 1, 2]),
    name_writable: true,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 1, 0]),
    // PDU-MIB outletEntry: outletCurrent (.4, mA), outletVoltage (.6, mV), outletActivePower (.7, W).
    meters: &[
        Meter {
            quantity: Quantity::Current,
            column: &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 2, 1, 4],
            sub_index: None,
            scale: 0.001,
        },
        Meter {
            quantity: Quantity::Voltage,
            column: &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 2, 1, 6],
            sub_index: None,
            scale: 0.001,
        },
        Meter {
            quantity: Quantity::Power,
            column: &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 2, 1, 7],
            sub_index: None,
            scale: 1.0,
        },
    ],
};
const RARITAN_PX1_OPSTATE: OidArcs = &[1, 3, 6, 1, 4, 1, 13742, 4, 1, 2, 2, 1, 3];

const APC_SPDU_CTL: OidArcs = &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 3];
/// APC MasterSwitch, PowerNet-MIB sPDU table: sPDUOutletCtl is both control and state.
pub const APC_SPDU: Profile = Profile {
    name: "apc-spdu",
    description: "APC MasterSwitch (PowerNet-MIB sPDUOutletControlTable)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 7],
    index: IndexShape::Outlet,
    switching: Switching {
        on: Command {
            column: APC_SPDU_CTL,
            value: 1,
        },
        off: Command {
            column: APC_SPDU_CTL,
            value: 2,
        },
        cycle: Some(Command {
            column: APC_SPDU_CTL,
            value: 3,
        }),
    },
    state: StateColumn {
        column: APC_SPDU_CTL,
        on: &[1],
        off: &[2],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 4]),
    name_writable: false,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 1, 0]),
    meters: &[],
};

const APC_RPDU_CMD: OidArcs = &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 4];
/// APC rPDU (PowerNet-MIB rPDU tables): status on(1)/off(2).
pub const APC_RPDU: Profile = Profile {
    name: "apc-rpdu",
    description: "APC Switched Rack PDU (PowerNet-MIB rPDU)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 5],
    index: IndexShape::Outlet,
    switching: Switching {
        on: Command {
            column: APC_RPDU_CMD,
            value: 1,
        },
        off: Command {
            column: APC_RPDU_CMD,
            value: 2,
        },
        cycle: Some(Command {
            column: APC_RPDU_CMD,
            value: 3,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 4],
        on: &[1],
        off: &[2],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 4, 1, 1, 2]),
    name_writable: true,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 1, 8, 0]),
    meters: &[Meter {
        quantity: Quantity::Current,
        column: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 7],
        sub_index: None,
        scale: 0.1,
    }],
};

const APC_RPDU2_CMD: OidArcs = &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 4, 1, 5];
/// APC rPDU2 (PowerNet-MIB rPDU2 tables): status **off(1)/on(2)**, reversed against rPDU.
pub const APC_RPDU2: Profile = Profile {
    name: "apc-rpdu2",
    description: "APC Switched Rack PDU, AP79xx/AP89xx (PowerNet-MIB rPDU2)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 6],
    index: IndexShape::Outlet,
    switching: Switching {
        on: Command {
            column: APC_RPDU2_CMD,
            value: 1,
        },
        off: Command {
            column: APC_RPDU2_CMD,
            value: 2,
        },
        cycle: Some(Command {
            column: APC_RPDU2_CMD,
            value: 3,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 5],
        on: &[2],
        off: &[1],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 1, 1, 3]),
    name_writable: true,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 1, 0]),
    meters: &[
        Meter {
            quantity: Quantity::Current,
            column: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 4, 3, 1, 6],
            sub_index: None,
            scale: 0.1,
        },
        Meter {
            quantity: Quantity::Power,
            column: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 4, 3, 1, 7],
            sub_index: None,
            scale: 1.0,
        },
        Meter {
            quantity: Quantity::Energy,
            column: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 4, 3, 1, 11],
            sub_index: None,
            scale: 100.0,
        },
    ],
};

/// Eaton ePDU: one column per command, write 0 = now; status off(0) on(1) pendingOff(2) pendingOn(3).
pub const EATON_EPDU: Profile = Profile {
    name: "eaton-epdu",
    description: "Eaton ePDU G3 (EATON-EPDU-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7],
    index: IndexShape::UnitOutlet { unit: 0 },
    switching: Switching {
        on: Command {
            column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 4],
            value: 0,
        },
        off: Command {
            column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 3],
            value: 0,
        },
        cycle: Some(Command {
            column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 5],
            value: 0,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 2],
        on: &[1],
        off: &[0],
        pending_on: &[3],
        pending_off: &[2],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 1, 1, 3]),
    name_writable: true,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 1, 2, 1, 22, 0]),
    meters: &[
        Meter {
            quantity: Quantity::Current,
            column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 4, 1, 3],
            sub_index: None,
            scale: 0.001,
        },
        Meter {
            quantity: Quantity::Power,
            column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 5, 1, 3],
            sub_index: None,
            scale: 1.0,
        },
        Meter {
            quantity: Quantity::Energy,
            column: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 5, 1, 4],
            sub_index: None,
            scale: 1.0,
        },
    ],
};

const SENTRY3_ACTION: OidArcs = &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 11];
/// Server Technology Sentry3: outletControlAction on(1) off(2) reboot(3); outletStatus off(0) on(1)
/// offWait(2) onWait(3) offError(4) onError(5) noComm(6) reading(7) offFuse(8) onFuse(9). The
/// status is the sensed power: onError/offError are on/off while the control state says the
/// other (a relay that did not follow); noComm, reading and the fuse codes are unknown. Outlets
/// addressed as tower 1, infeed 1 (banks of outlets are further infeeds: `1.2.N`).
pub const SENTRY3: Profile = Profile {
    name: "sentry3",
    description: "Server Technology Sentry3 (Sentry3-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 1718, 3],
    index: IndexShape::UnitCordOutlet { unit: 1, cord: 1 },
    switching: Switching {
        on: Command {
            column: SENTRY3_ACTION,
            value: 1,
        },
        off: Command {
            column: SENTRY3_ACTION,
            value: 2,
        },
        cycle: Some(Command {
            column: SENTRY3_ACTION,
            value: 3,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 5],
        on: &[1, 5],
        off: &[0, 4],
        pending_on: &[3],
        pending_off: &[2],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 3]),
    name_writable: true,
    outlet_count: None,
    meters: &[Meter {
        quantity: Quantity::Current,
        column: &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 7],
        sub_index: None,
        scale: 0.01,
    }],
};

const SENTRY4_ACTION: OidArcs = &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 5, 1, 2];
/// Server Technology Sentry4: st4OutletControlAction on(1) off(2) reboot(3); st4OutletState on(1) off(2).
pub const SENTRY4: Profile = Profile {
    name: "sentry4",
    description: "Server Technology Sentry4 (Sentry4-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 1718, 4],
    index: IndexShape::UnitCordOutlet { unit: 1, cord: 1 },
    switching: Switching {
        on: Command {
            column: SENTRY4_ACTION,
            value: 1,
        },
        off: Command {
            column: SENTRY4_ACTION,
            value: 2,
        },
        cycle: Some(Command {
            column: SENTRY4_ACTION,
            value: 3,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 3, 1, 1],
        on: &[1],
        off: &[2],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 2, 1, 3]),
    name_writable: true,
    outlet_count: None,
    meters: &[],
};

const CPS_CMD: OidArcs = &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 3, 1, 1, 4];
/// CyberPower ePDU (CPS-MIB), mirrors APC rPDU.
pub const CYBERPOWER_EPDU: Profile = Profile {
    name: "cyberpower-epdu",
    description: "CyberPower switched ePDU (CPS-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3],
    index: IndexShape::Outlet,
    switching: Switching {
        on: Command {
            column: CPS_CMD,
            value: 1,
        },
        off: Command {
            column: CPS_CMD,
            value: 2,
        },
        cycle: Some(Command {
            column: CPS_CMD,
            value: 3,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 5, 1, 1, 4],
        on: &[1],
        off: &[2],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 3, 1, 1, 2]),
    name_writable: false,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 1, 8, 0]),
    meters: &[],
};

const TRIPPLITE_CMD: OidArcs = &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 3, 3, 1, 1, 6];
/// Tripp Lite PDU (TRIPPLITE-PRODUCTS): turnOff(1) turnOn(2) cycle(3); state off(1) on(2).
pub const TRIPPLITE_PDU: Profile = Profile {
    name: "tripplite-pdu",
    description: "Tripp Lite switched PDU (TRIPPLITE-PRODUCTS)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 850, 1, 1, 1],
    index: IndexShape::UnitOutlet { unit: 1 },
    switching: Switching {
        on: Command {
            column: TRIPPLITE_CMD,
            value: 2,
        },
        off: Command {
            column: TRIPPLITE_CMD,
            value: 1,
        },
        cycle: Some(Command {
            column: TRIPPLITE_CMD,
            value: 3,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 3, 3, 1, 1, 4],
        on: &[2],
        off: &[1],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: Some(&[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 3, 3, 1, 1, 2]),
    name_writable: true,
    outlet_count: Some(&[1, 3, 6, 1, 4, 1, 850, 1, 1, 3, 2, 1, 2, 1, 4, 1]),
    meters: &[],
};

const VERTIV_CONTROL: OidArcs = &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 3, 5, 1, 6];
/// Vertiv/Geist (VERTIV-V5-MIB): control on(2) off(4) reboot(6); state on(1) off(2) on2off(3) off2on(4).
pub const VERTIV_GEIST: Profile = Profile {
    name: "vertiv-geist",
    description: "Vertiv/Geist switched PDU (VERTIV-V5-MIB)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 21239, 5],
    index: IndexShape::Outlet,
    switching: Switching {
        on: Command {
            column: VERTIV_CONTROL,
            value: 2,
        },
        off: Command {
            column: VERTIV_CONTROL,
            value: 4,
        },
        cycle: Some(Command {
            column: VERTIV_CONTROL,
            value: 6,
        }),
    },
    state: StateColumn {
        column: &[1, 3, 6, 1, 4, 1, 21239, 5, 2, 3, 5, 1, 4],
        on: &[1],
        off: &[2],
        pending_on: &[4],
        pending_off: &[3],
    },
    // VERTIV-V5-MIB: pduOutletSwitchName (.2) is read-only; the writable name is
    // pduOutletSwitchLabel (.3). An older vendor table lists .2; the MIB wins.
    name_column: Some(&[1, 3, 6, 1, 4, 1, 21239, 5, 2, 3, 5, 1, 3]),
    name_writable: true,
    outlet_count: None,
    meters: &[],
};

const BAYTECH_OUTLET: OidArcs = &[1, 3, 6, 1, 4, 1, 4779, 1, 3, 5, 3, 1, 3];
/// Baytech MRP: one column, write off(0) on(1) reboot(2), the same OID reads the state.
pub const BAYTECH_MRP: Profile = Profile {
    name: "baytech-mrp",
    description: "Baytech MRP27",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 4779],
    index: IndexShape::UnitOutlet { unit: 1 },
    switching: Switching {
        on: Command {
            column: BAYTECH_OUTLET,
            value: 1,
        },
        off: Command {
            column: BAYTECH_OUTLET,
            value: 0,
        },
        cycle: Some(Command {
            column: BAYTECH_OUTLET,
            value: 2,
        }),
    },
    state: StateColumn {
        column: BAYTECH_OUTLET,
        on: &[1, 3],
        off: &[0, 4],
        pending_on: &[],
        pending_off: &[],
    },
    name_column: None,
    name_writable: false,
    outlet_count: None,
    meters: &[],
};

/// Every profile, in the order `detect` tries them.
pub const PROFILES: &[&Profile] = &[
    &RARITAN_PX2,
    &RARITAN_PX1,
    &APC_RPDU2,
    &APC_RPDU,
    &APC_SPDU,
    &EATON_EPDU,
    &SENTRY3,
    &SENTRY4,
    &CYBERPOWER_EPDU,
    &TRIPPLITE_PDU,
    &VERTIV_GEIST,
    &BAYTECH_MRP,
];

/// Profiles that are generations of one vendor's MIB on the same hardware, newest first: a
/// unit may serve an older generation's tables empty beside the newer ones (APC AP7822,
/// quirk 12 of `docs/QUIRKS.md`), so a driver whose table has no rows can try the others.
pub const TABLE_GENERATIONS: &[&[&str]] = &[&["apc-rpdu2", "apc-rpdu", "apc-spdu"]];

/// The other generations of `name`'s tables ([`TABLE_GENERATIONS`]), newest first.
pub fn other_generations(name: &str) -> Vec<&'static Profile> {
    TABLE_GENERATIONS
        .iter()
        .filter(|g| g.contains(&name))
        .flat_map(|g| g.iter())
        .filter(|n| **n != name)
        .filter_map(|n| by_name(n))
        .collect()
}

/// Extra sysObjectIDs that map to a profile whose own sysObjectID differs
/// (APC rPDUB, `.318.1.3.4.8`, serves the rPDU2 tables).
pub const SYS_OBJECT_ID_ALIASES: &[(OidArcs, &str)] =
    &[(&[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 8], "apc-rpdu2")];

/// The profile with this name (`raritan-px2`, `apc-rpdu2`, …).
pub fn by_name(name: &str) -> Option<&'static Profile> {
    let name = name.trim().to_ascii_lowercase();
    PROFILES.iter().copied().find(|p| p.name == name)
}

/// The profile whose sysObjectID is `sys_object_id` or a prefix of it (longest match wins).
pub fn by_sys_object_id(sys_object_id: &[u32]) -> Option<&'static Profile> {
    if let Some((_, name)) = SYS_OBJECT_ID_ALIASES
        .iter()
        .find(|(oid, _)| sys_object_id.starts_with(oid))
    {
        return by_name(name);
    }
    PROFILES
        .iter()
        .copied()
        .filter(|p| p.matches_sys_object_id(sys_object_id))
        .max_by_key(|p| p.sys_object_id.len())
}

/// Names of all profiles, for help texts and error messages.
pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Vec<u32> {
        parse_oid(s).unwrap_or_else(|| panic!("bad literal {s}"))
    }

    #[test]
    fn oid_text_round_trip() {
        assert_eq!(oid_string(&[1, 3, 6]), ".1.3.6");
        assert_eq!(parse_oid(".1.3.6.1"), Some(vec![1, 3, 6, 1]));
        assert_eq!(parse_oid("1.3.6.1"), Some(vec![1, 3, 6, 1]));
        assert_eq!(parse_oid("1.x"), None);
        assert_eq!(parse_oid(""), None);
    }

    #[test]
    fn index_shapes() {
        assert_eq!(IndexShape::Outlet.suffix(5), vec![5]);
        assert_eq!(IndexShape::UnitOutlet { unit: 1 }.suffix(5), vec![1, 5]);
        assert_eq!(IndexShape::UnitOutlet { unit: 0 }.suffix(5), vec![0, 5]);
        assert_eq!(
            IndexShape::UnitCordOutlet { unit: 1, cord: 1 }.suffix(5),
            vec![1, 1, 5]
        );
        assert_eq!(
            IndexShape::UnitOutlet { unit: 1 }.outlet_from_suffix(&[1, 9]),
            Some(9)
        );
        assert_eq!(
            IndexShape::UnitOutlet { unit: 1 }.outlet_from_suffix(&[2, 9]),
            None
        );
        assert_eq!(IndexShape::Outlet.outlet_from_suffix(&[1, 9]), None);
        assert_eq!(
            IndexShape::UnitCordOutlet { unit: 1, cord: 1 }.pattern(),
            "1.1.N"
        );
    }

    /// PDU2-MIB, quoted from the MIB.
    #[test]
    fn raritan_px2_literal_oids() {
        let p = &RARITAN_PX2;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 3),
            o(".1.3.6.1.4.1.13742.6.4.1.2.1.2.1.3")
        );
        assert_eq!((p.switching.off.value, p.switching.on.value), (0, 1));
        assert_eq!(p.switching.cycle.map(|c| c.value), Some(2));
        assert_eq!(p.state_oid(3), o(".1.3.6.1.4.1.13742.6.4.1.2.1.3.1.3"));
        assert_eq!(p.state.decode(7), OutletState::On);
        assert_eq!(p.state.decode(8), OutletState::Off);
        assert_eq!(p.state.decode(-1), OutletState::Unknown(-1));
        assert_eq!(p.name_oid(3), Some(o(".1.3.6.1.4.1.13742.6.3.5.3.1.3.1.3")));
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.13742.6.3.2.2.1.4.1"))
        );
        assert_eq!(p.sys_object_id, o(".1.3.6.1.4.1.13742.6").as_slice());
        let power = p
            .meters
            .iter()
            .find(|m| m.quantity == Quantity::Power)
            .map(|m| p.meter_oid(m, 3));
        assert_eq!(power, Some(o(".1.3.6.1.4.1.13742.6.5.4.3.1.4.1.3.5")));
    }

    /// jumpstarter's default raw OID is exactly the PX2 control column with pdu 1.
    #[test]
    fn jumpstarter_default_is_px2_control() {
        let mut jump = o("1.3.6.1.4.1.13742.6.4.1.2.1.2.1");
        jump.push(4);
        assert_eq!(
            RARITAN_PX2.outlet_oid(RARITAN_PX2.switching.on.column, 4),
            jump
        );
    }

    #[test]
    fn raritan_px1_literal_oids() {
        let p = &RARITAN_PX1;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 2),
            o(".1.3.6.1.4.1.13742.4.1.2.2.1.3.2")
        );
        assert_eq!(p.state_oid(2), o(".1.3.6.1.4.1.13742.4.1.2.2.1.3.2"));
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.13742.4.1.2.1.0"))
        );
        assert_eq!(p.name_oid(2), Some(o(".1.3.6.1.4.1.13742.4.1.2.2.1.2.2")));
    }

    #[test]
    fn apc_spdu_literal_oids() {
        let p = &APC_SPDU;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 4),
            o(".1.3.6.1.4.1.318.1.1.4.4.2.1.3.4")
        );
        assert_eq!((p.switching.on.value, p.switching.off.value), (1, 2));
        assert_eq!(p.switching.cycle.map(|c| c.value), Some(3));
        assert_eq!(p.state.decode(4), OutletState::Unknown(4));
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.318.1.1.4.4.1.0"))
        );
        assert_eq!(p.name_oid(4), Some(o(".1.3.6.1.4.1.318.1.1.4.4.2.1.4.4")));
        assert_eq!(p.sys_object_id, o(".1.3.6.1.4.1.318.1.3.4.7").as_slice());
    }

    #[test]
    fn apc_rpdu_literal_oids() {
        let p = &APC_RPDU;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 1),
            o(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.1")
        );
        assert_eq!(p.state_oid(1), o(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4.1"));
        assert_eq!(p.state.decode(1), OutletState::On);
        assert_eq!(p.state.decode(2), OutletState::Off);
        assert_eq!(
            p.name_oid(1),
            Some(o(".1.3.6.1.4.1.318.1.1.12.3.4.1.1.2.1"))
        );
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.318.1.1.12.1.8.0"))
        );
        assert_eq!(
            p.meter_oid(&p.meters[0], 1),
            o(".1.3.6.1.4.1.318.1.1.12.3.5.1.1.7.1")
        );
        assert_eq!(p.sys_object_id, o(".1.3.6.1.4.1.318.1.3.4.5").as_slice());
    }

    /// rPDU2 status is off(1)/on(2): reversed against rPDU on the same device.
    #[test]
    fn apc_rpdu2_literal_oids_and_reversed_status() {
        let p = &APC_RPDU2;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 7),
            o(".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.7")
        );
        assert_eq!((p.switching.on.value, p.switching.off.value), (1, 2));
        assert_eq!(p.state_oid(7), o(".1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.7"));
        assert_eq!(p.state.decode(1), OutletState::Off);
        assert_eq!(p.state.decode(2), OutletState::On);
        assert_ne!(p.state.decode(1), APC_RPDU.state.decode(1));
        assert_eq!(
            p.name_oid(7),
            Some(o(".1.3.6.1.4.1.318.1.1.26.9.2.1.1.3.7"))
        );
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.318.1.1.26.9.1.0"))
        );
        let oids: Vec<_> = p.meters.iter().map(|m| p.meter_oid(m, 7)).collect();
        assert_eq!(
            oids,
            vec![
                o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.7"),
                o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.7"),
                o(".1.3.6.1.4.1.318.1.1.26.9.4.3.1.11.7")
            ]
        );
    }

    #[test]
    fn eaton_literal_oids() {
        let p = &EATON_EPDU;
        assert_eq!(
            p.outlet_oid(p.switching.off.column, 2),
            o(".1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.2")
        );
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 2),
            o(".1.3.6.1.4.1.534.6.6.7.6.6.1.4.0.2")
        );
        assert_eq!(
            p.switching.cycle.map(|c| p.outlet_oid(c.column, 2)),
            Some(o(".1.3.6.1.4.1.534.6.6.7.6.6.1.5.0.2"))
        );
        assert_eq!((p.switching.on.value, p.switching.off.value), (0, 0));
        assert_eq!(p.state_oid(2), o(".1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.2"));
        assert_eq!(p.state.decode(3), OutletState::PendingOn);
        assert_eq!(p.state.decode(2), OutletState::PendingOff);
        assert_eq!(p.name_oid(2), Some(o(".1.3.6.1.4.1.534.6.6.7.6.1.1.3.0.2")));
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.534.6.6.7.1.2.1.22.0"))
        );
    }

    #[test]
    fn table_generations() {
        let names =
            |n: &str| -> Vec<&str> { other_generations(n).iter().map(|p| p.name).collect() };
        assert_eq!(names("apc-spdu"), ["apc-rpdu2", "apc-rpdu"]);
        assert_eq!(names("apc-rpdu2"), ["apc-rpdu", "apc-spdu"]);
        assert!(names("raritan-px2").is_empty());
    }

    #[test]
    fn sentry_literal_oids() {
        let p = &SENTRY3;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 5),
            o(".1.3.6.1.4.1.1718.3.2.3.1.11.1.1.5")
        );
        assert_eq!(p.state_oid(5), o(".1.3.6.1.4.1.1718.3.2.3.1.5.1.1.5"));
        assert_eq!(p.name_oid(5), Some(o(".1.3.6.1.4.1.1718.3.2.3.1.3.1.1.5")));
        // Sentry3-MIB outletStatus: every code a unit passes through.
        let decoded: Vec<OutletState> = (0..=9).map(|v| p.state.decode(v)).collect();
        assert_eq!(
            decoded,
            [
                OutletState::Off,
                OutletState::On,
                OutletState::PendingOff,
                OutletState::PendingOn,
                OutletState::Off,
                OutletState::On,
                OutletState::Unknown(6),
                OutletState::Unknown(7),
                OutletState::Unknown(8),
                OutletState::Unknown(9),
            ]
        );
        let p = &SENTRY4;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 5),
            o(".1.3.6.1.4.1.1718.4.1.8.5.1.2.1.1.5")
        );
        assert_eq!(p.state_oid(5), o(".1.3.6.1.4.1.1718.4.1.8.3.1.1.1.1.5"));
        assert_eq!(
            p.name_oid(5),
            Some(o(".1.3.6.1.4.1.1718.4.1.8.2.1.3.1.1.5"))
        );
        assert_eq!(
            (p.state.decode(1), p.state.decode(2)),
            (OutletState::On, OutletState::Off)
        );
    }

    #[test]
    fn cyberpower_tripplite_vertiv_baytech_literal_oids() {
        let p = &CYBERPOWER_EPDU;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 3),
            o(".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.3")
        );
        assert_eq!(p.state_oid(3), o(".1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4.3"));
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.3808.1.1.3.1.8.0"))
        );
        let p = &TRIPPLITE_PDU;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 3),
            o(".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.6.1.3")
        );
        assert_eq!((p.switching.on.value, p.switching.off.value), (2, 1));
        assert_eq!(p.state_oid(3), o(".1.3.6.1.4.1.850.1.1.3.2.3.3.1.1.4.1.3"));
        assert_eq!(
            p.outlet_count.map(<[u32]>::to_vec),
            Some(o(".1.3.6.1.4.1.850.1.1.3.2.1.2.1.4.1"))
        );
        let p = &VERTIV_GEIST;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 3),
            o(".1.3.6.1.4.1.21239.5.2.3.5.1.6.3")
        );
        assert_eq!((p.switching.on.value, p.switching.off.value), (2, 4));
        assert_eq!(p.state_oid(3), o(".1.3.6.1.4.1.21239.5.2.3.5.1.4.3"));
        let p = &BAYTECH_MRP;
        assert_eq!(
            p.outlet_oid(p.switching.on.column, 3),
            o(".1.3.6.1.4.1.4779.1.3.5.3.1.3.1.3")
        );
        assert_eq!(p.state_oid(3), p.outlet_oid(p.switching.on.column, 3));
    }

    #[test]
    fn detect_by_sys_object_id() {
        let name = |s: &str| by_sys_object_id(&o(s)).map(|p| p.name);
        assert_eq!(name(".1.3.6.1.4.1.13742.6"), Some("raritan-px2"));
        assert_eq!(name(".1.3.6.1.4.1.13742.4"), Some("raritan-px1"));
        assert_eq!(name(".1.3.6.1.4.1.318.1.3.4.5"), Some("apc-rpdu"));
        assert_eq!(name(".1.3.6.1.4.1.318.1.3.4.6"), Some("apc-rpdu2"));
        assert_eq!(name(".1.3.6.1.4.1.318.1.3.4.7"), Some("apc-spdu"));
        assert_eq!(name(".1.3.6.1.4.1.318.1.3.4.8"), Some("apc-rpdu2"));
        assert_eq!(name(".1.3.6.1.4.1.534.6.6.7"), Some("eaton-epdu"));
        assert_eq!(name(".1.3.6.1.4.1.1718.3"), Some("sentry3"));
        assert_eq!(name(".1.3.6.1.4.1.1718.4"), Some("sentry4"));
        assert_eq!(name(".1.3.6.1.4.1.3808.1.1.3"), Some("cyberpower-epdu"));
        assert_eq!(name(".1.3.6.1.4.1.850.1.1.1"), Some("tripplite-pdu"));
        assert_eq!(name(".1.3.6.1.4.1.21239.5"), Some("vertiv-geist"));
        assert_eq!(name(".1.3.6.1.4.1.4779"), Some("baytech-mrp"));
        assert_eq!(name(".1.3.6.1.4.1.8072.3.2.10"), None);
    }

    #[test]
    fn names_are_unique_and_findable() {
        let mut n = names();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), PROFILES.len());
        for p in PROFILES {
            assert_eq!(by_name(p.name).map(|q| q.name), Some(p.name));
            assert!(p.state.encode(true).is_some() && p.state.encode(false).is_some());
        }
    }
}
