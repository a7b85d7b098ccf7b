#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! Every registered vendor profile, switched through net-snmp's tools with the OIDs and
//! integers of its MIB data entry (`pdu-mibs`, which the driver uses too): off, read back off,
//! on, read back on. A new profile is covered here without editing any test; its deeper,
//! literal-OID checks go in `vendors_netsnmp.rs`.

use std::time::{Duration, Instant};

use pdu_mibs::{OutletState, Profile};
use pdu_test_support::{parse_number, NetSnmp, PdusimProcess, Sec};

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// Dotted text of an OID, as net-snmp's tools take it (snmp-proto's `Oid` display).
fn dotted(arcs: &[u32]) -> String {
    snmp_proto::Oid::new(arcs).to_string()
}

/// Reads outlet `n`'s state until it settles (pending states pass), for at most 10 s.
fn settled_state(sim: &PdusimProcess, mib: &Profile, n: u32) -> OutletState {
    let oid = dotted(&mib.state_oid(n));
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let out = sim.get(&Sec::v2c("public"), &[&oid]);
        out.expect_clean();
        let (_, value) = out.varbinds().into_iter().next().expect("one varbind");
        let state = mib
            .state
            .decode(parse_number(&value).unwrap_or_else(|| panic!("{oid}: not a number: {value}")));
        if !matches!(state, OutletState::PendingOn | OutletState::PendingOff)
            || Instant::now() > end
        {
            return state;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn switch(sim: &PdusimProcess, mib: &Profile, n: u32, on: bool) {
    let command = if on {
        mib.switching.on
    } else {
        mib.switching.off
    };
    let oid = dotted(&mib.outlet_oid(command.column, n));
    let value = command.value.to_string();
    sim.set(&Sec::v2c("private"), &[&oid, "i", &value])
        .expect_clean();
}

#[test]
fn every_profile_switches_outlets_as_its_mib_data_says() {
    for profile in pdusim::profiles::PROFILES {
        let name = profile.name();
        let mib = pdu_mibs::PROFILES.iter().find(|m| m.name == name).unwrap_or_else(|| {
            panic!("simulator profile {name} has no entry in pdu-mibs: add its MIB data to mibs/src/lib.rs")
        });
        let sim = PdusimProcess::start(
            PDUSIM,
            &[
                "--vendor",
                name,
                "--outlets",
                "4",
                "--community",
                "private:rw",
                "--community",
                "public",
            ],
        );
        for n in [1, 4] {
            switch(&sim, mib, n, false);
            assert_eq!(
                settled_state(&sim, mib, n),
                OutletState::Off,
                "{name} outlet {n} after off"
            );
            switch(&sim, mib, n, true);
            assert_eq!(
                settled_state(&sim, mib, n),
                OutletState::On,
                "{name} outlet {n} after on"
            );
        }
    }
}
