//! cargo-fuzz target: `pdu_fuzz_harness::control_body` (see fuzz-harness/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pdu_fuzz_harness::control_body(data));
