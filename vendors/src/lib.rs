//! Vendor PDU MIB facts (OIDs, index shapes, encodings), data only. Filled in by issue 4.
#![forbid(unsafe_code)]
