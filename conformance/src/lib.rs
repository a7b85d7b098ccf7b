//! Conformance kit. Work in progress: see issue 5.
#![forbid(unsafe_code)]
