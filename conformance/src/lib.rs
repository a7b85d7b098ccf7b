//! Conformance kit: scenario replay, device checks (issue 5), and a load generator (`load`).
#![forbid(unsafe_code)]

pub mod load;
