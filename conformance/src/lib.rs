//! Conformance kit: scenario replay (`run`) against any driver through adapters (`adapter`),
//! the driver compatibility matrix (`matrix`), device checks (`check`), a load generator
//! (`load`) and a trap and inform receiver (`listen`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
pub mod check;
mod html;
pub mod listen;
pub mod load;
pub mod matrix;
pub mod run;
pub mod run_report;
pub mod scenario;
