//! The PDU power driver. Work in progress: see issue 4.
#![forbid(unsafe_code)]
