//! Test support for this workspace, shared by the tests of `pdusim` (simulator), `pdu-driver`
//! and `pdu-conformance`: the agents tests talk to, run as child processes, and net-snmp's
//! command-line tools to talk to them with. Nothing is mocked.
//!
//! - [`PdusimProcess`]: `pdusim serve` on `127.0.0.1:0`, the port the system picked read back
//!   from its banner (and the control API's, with `--control 127.0.0.1:0`); stopped with
//!   SIGTERM when dropped. Its binary is a parameter: the simulator's tests pass
//!   `env!("CARGO_BIN_EXE_pdusim")`, the other crates [`workspace_pdusim`].
//! - [`Snmpd`]: net-snmp's own agent on `udp:127.0.0.1:0`, its port read back from the socket
//!   it holds, with a writable PDU2-MIB outlet subtree and the SNMPv3 [`USERS`].
//! - [`Snmptrapd`]: net-snmp's notification receiver on `udp:127.0.0.1:0`, its port read back
//!   the same way, with a community and SNMPv3 users ([`TrapUser`]), its log parsed into
//!   [`Received`] notifications.
//! - [`run_tool`] and the [`NetSnmp`] trait: `snmpget`, `snmpset`, `snmpwalk`, ... isolated
//!   from the machine's net-snmp configuration, and their output parsed ([`parse_varbinds`],
//!   [`parse_number`]).
//! - [`oids`]: well-known OIDs, written from the MIBs.
//! - [`browser`]: Debian's chromedriver on a port it picked, and the arguments headless
//!   Chromium needs here.
//!
//! No port is ever chosen by a test: every agent binds port 0 and the test reads back what it
//! got, so tests running in parallel cannot race for a port. Errors are panics with a message
//! that says what went wrong and what the agent printed; a missing tool or agent binary is a
//! test failure, never a skip.
#![deny(missing_docs)]

pub mod browser;
mod child;
mod netsnmp;
pub mod oids;
mod pdusim_process;
mod snmpd;
mod snmptrapd;

use std::time::{Duration, Instant};

pub use netsnmp::{dotted, parse_number, parse_varbinds, run_tool, NetSnmp, Out, Sec, V3};
pub use pdusim_process::{workspace_pdusim, PdusimBuilder, PdusimProcess};
pub use snmpd::{find_user, user, Snmpd, TestUser, SNMPD, USERS};
pub use snmptrapd::{Received, Snmptrapd, TrapUser, V1Fields, SNMPTRAPD};

/// Polls `f` every 100 ms until it returns true (then true) or `deadline` passes (then false).
pub fn wait_until(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
