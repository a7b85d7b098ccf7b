//! pdusim: a simulated switched PDU speaking SNMP v1, v2c and v3.
//!
//! Data flows one way, each step a module with one job:
//! `wire` (BER decode) -> `security` (community or USM) -> `agent` (GET/GETNEXT/GETBULK/SET
//! against the `mib` tree) -> `device` and `vendor` (outlet model, vendor tables) -> back out
//! through `security` and `wire`. `dispatch` strings the steps together; `server` is the UDP
//! transport.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod agent;
pub mod batch;
pub mod clock;
pub mod config;
pub mod control;
pub mod control_http;
pub mod dashboard;
pub mod delivery;
pub mod device;
pub mod dispatch;
pub mod endpoint;
pub mod engine;
pub mod error_chain;
pub mod factory;
pub mod fault;
pub mod interfaces;
pub mod launch;
pub mod mib;
pub mod mib_quirks;
pub mod notification;
pub mod notify;
pub mod outlet;
pub mod persist;
pub mod profiles;
pub mod recording;
pub mod request_log;
pub mod security;
pub mod server;
pub mod spread;
pub mod standard_mib;
pub mod state;
pub mod state_dir;
pub mod state_lock;
pub mod stats;
