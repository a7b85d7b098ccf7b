//! Conformance kit: scenario replay (`run`), device checks (`check`), and a load generator (`load`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
pub mod check;
pub mod load;
pub mod run;
pub mod scenario;
