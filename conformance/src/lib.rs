//! Conformance kit: scenario replay (`run`), device checks (`check`), a load generator (`load`)
//! and a trap and inform receiver (`listen`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
pub mod listen;
pub mod load;
pub mod run;
pub mod scenario;
