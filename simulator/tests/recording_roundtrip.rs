#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! Both recordings of real APC PDUs, served through the simulator: every recorded object outside
//! what the agent and the vendor profile own reads back exactly as recorded, and the live outlet
//! columns start from the recorded states.

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::Duration;

use pdusim::clock::MonotonicClock;
use pdusim::config::FileConfig;
use pdusim::launch::Simulator;
use pdusim::mib::MibTree;
use pdusim::recording::Recording;
use snmp_proto::{
    decode_message, encode_community_message, Message, Oid, Pdu, PduType, Value, VarBind, Version,
};

fn recording_path(file: &str) -> String {
    format!("{}/../recordings/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// A minimal v2c client on the simulator's own codec: one request, one answer.
struct Client {
    socket: UdpSocket,
    next_id: i32,
}

impl Client {
    fn new(target: std::net::SocketAddr) -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(target).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Client { socket, next_id: 1 }
    }

    fn request(
        &mut self,
        pdu_type: PduType,
        oids: &[Oid],
        non_repeaters: i32,
        max_repetitions: i32,
    ) -> Vec<VarBind<'static>> {
        self.next_id += 1;
        let pdu = Pdu {
            pdu_type,
            request_id: self.next_id,
            error_status: non_repeaters,
            error_index: max_repetitions,
            varbinds: oids
                .iter()
                .map(|o| VarBind {
                    oid: o.clone(),
                    value: Value::Null,
                })
                .collect(),
            trap_v1: None,
        };
        let mut out = Vec::new();
        encode_community_message(&mut out, Version::V2c, b"public", &pdu);
        self.socket.send(&out).unwrap();
        let mut buf = vec![0u8; 65536];
        let n = self.socket.recv(&mut buf).unwrap();
        let Message::Community(m) = decode_message(&buf[..n]).unwrap() else {
            panic!("not a v2c answer")
        };
        assert_eq!((m.pdu.request_id, m.pdu.error_status), (self.next_id, 0));
        m.pdu
            .varbinds
            .into_iter()
            .map(|vb| VarBind {
                oid: vb.oid,
                value: vb.value.into_owned(),
            })
            .collect()
    }

    /// Every object from the start of the tree, in order, by GETBULK.
    fn walk_all(&mut self) -> Vec<VarBind<'static>> {
        let mut all = Vec::new();
        let mut cursor = Oid::new(&[0, 0]);
        loop {
            let batch = self.request(PduType::GetBulkRequest, &[cursor.clone()], 0, 50);
            for vb in batch {
                if vb.value == Value::EndOfMibView {
                    return all;
                }
                cursor = vb.oid.clone();
                all.push(vb);
            }
        }
    }
}

fn check(file: &str, vendor: &str, outlets: usize) {
    let path = recording_path(file);
    let recording = Recording::load(std::path::Path::new(&path)).unwrap();
    let text = format!("[[pdu]]\nname = \"rec\"\nlisten = [\"127.0.0.1:0\"]\nrecording = \"{path}\"\n[[pdu.community]]\nname = \"public\"\n");
    let mut cfg = FileConfig::parse(&text, "test").unwrap();
    cfg.state_dir = Some(tempfile::tempdir().unwrap().keep());
    let pdus = cfg.validate("test").unwrap();
    assert_eq!(
        pdus[0].0.vendor.name(),
        vendor,
        "vendor picked from the recorded sysObjectID"
    );
    assert_eq!(pdus[0].0.outlets as usize, outlets);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(async { Simulator::start(pdus, Arc::new(MonotonicClock::new())) })
        .unwrap();
    let device = sim.devices[0].clone();
    let tree: &MibTree = device.tree();
    let mut client = Client::new(sim.address("rec").unwrap());
    let served: std::collections::HashMap<Oid, Value<'static>> = client
        .walk_all()
        .into_iter()
        .map(|vb| (vb.oid, vb.value))
        .collect();

    let mut compared = 0;
    let mut owned = 0;
    for (oid, recorded) in &recording.entries {
        if tree.object_of(oid.arcs()).is_some() {
            owned += 1; // the agent's own (system, counters, engine) or the vendor's live columns
            continue;
        }
        assert_eq!(
            served.get(oid),
            Some(recorded),
            "{file}: {oid} must read back as recorded"
        );
        compared += 1;
    }
    eprintln!("{file}: {compared} recorded objects read back exactly; {owned} owned by the agent or the {vendor} profile");
    assert!(
        compared > 1500,
        "only {compared} objects compared: the profile claims too much of the recording"
    );

    // The identity is the recorded one.
    for arc in [1u32, 2, 4, 5, 6] {
        let oid = Oid::new(&[1, 3, 6, 1, 2, 1, 1, arc, 0]);
        assert_eq!(
            served.get(&oid),
            recording.get(oid.arcs()),
            "{file}: system.{arc}"
        );
    }
    // The live state columns of all three APC tables start from the recorded states.
    let columns: [&[u32]; 3] = [
        &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 5], // rPDU2OutletSwitchedStatusState
        &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 4], // rPDUOutletStatusOutletState
        &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 3],     // sPDUOutletCtl
    ];
    let mut live = 0;
    for column in columns {
        for n in 1..=outlets as u32 {
            let oid = Oid::new(column).child(&[n]);
            // Values a simulator variation made up (`2:numeric|...`) are not the device's; the
            // device's own tables say what the outlet really was.
            if let Some(recorded) = recording
                .get(oid.arcs())
                .filter(|_| !recording.is_synthetic(oid.arcs()))
            {
                assert_eq!(
                    served.get(&oid),
                    Some(recorded),
                    "{file}: live {oid} starts as recorded"
                );
                live += 1;
            }
        }
    }
    assert_eq!(
        live,
        2 * outlets,
        "{file}: the rPDU and sPDU states of every outlet were recorded for real"
    );
    drop(sim);
}

#[test]
fn ap8932_round_trip() {
    check("apc-8932.snmprec", "apc-rpdu2", 24);
}

#[test]
fn ap7902b_round_trip() {
    check("apc-7902b.snmprec", "apc-rpdu2", 16);
}
