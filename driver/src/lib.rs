//! A PDU power driver over SNMP: switch, cycle, read and rename outlets on switched PDUs
//! from Raritan, APC, Eaton, Server Technology, CyberPower, Tripp Lite, Vertiv/Geist and
//! Baytech, or on anything else in raw mode.
//!
//! Built on the `snmp2` crate; this crate adds what it lacks (timeouts, retries,
//! re-synchronisation, error-status checks and a diagnosis of SNMPv3 failures).
//!
//! ```no_run
//! # async fn demo() -> Result<(), pdu_driver::Error> {
//! use pdu_driver::{Config, Pdu, AuthProtocol, PrivProtocol};
//! let mut cfg = Config::new("10.0.0.5")
//!     .v3("ops", AuthProtocol::Sha256, "auth-pass", PrivProtocol::Aes128, "priv-pass");
//! cfg.vendor = "raritan-px2".parse()?;
//! let mut pdu = Pdu::new(cfg)?;
//! let report = pdu.on(&"3".parse()?).await?;
//! println!("{report:?}");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod connection;
pub mod connection_profile;
pub mod error;
pub mod guard;
pub mod pdu;
pub mod probe;
pub mod session;

pub use config::{
    auth_name, parse_auth, parse_priv, priv_name, AuthProtocol, Config, PrivProtocol, RawProfile,
    RawState, Secret, SecurityLevel, SnmpVersion, Vendor,
};
pub use connection::ConnectionArgs;
pub use connection_profile::ConnectionProfile;
pub use error::{Error, Result};
pub use pdu::{
    Action, Detected, OutletList, OutletRef, OutletStatus, Pdu, Reading, Readings, SwitchReport,
    Verification,
};
pub use pdu_mibs as vendors;
pub use probe::Diagnosis;
/// The protocol crate the driver builds and reads its own messages with (the diagnosis probe),
/// and whose USM types its configuration uses.
pub use snmp_proto;
