//! Conformance kit: scenario replay (`run`) against any driver through adapters (`adapter`),
//! the driver compatibility matrix (`matrix`), device checks (`check`), and a load generator
//! (`load`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
pub mod check;
pub mod load;
pub mod matrix;
pub mod run;
pub mod scenario;
