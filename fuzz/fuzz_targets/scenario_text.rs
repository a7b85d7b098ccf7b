//! cargo-fuzz target: `pdu_fuzz_harness::scenario_text` (see fuzz-harness/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pdu_fuzz_harness::scenario_text(data));
