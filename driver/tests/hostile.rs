//! Hostile and broken agents, played by a small UDP responder inside the test on loopback: the
//! driver must turn every answer into a result or an error, never panic, never hang.
//!
//! - SNMPv3 answers with engine boots and time out of range (i64 extremes, negative, the locked
//!   maximum 2147483647), engine IDs too long or too short, a msgID that is not the request's,
//!   an authenticated Report whose MAC does not verify:
//!   the driver must refuse them before its SNMP stack (snmp2, which stores boots and time from
//!   a Report before any check and adds to them without overflow checks) takes them in.
//! - An endless table: a walk stops at `--max-walk-bytes` with an error that says so, through
//!   the real `pductl` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pdu_driver::{AuthProtocol, Config, Error, OutletRef, Pdu, PrivProtocol};
use snmp_proto::{decode_message, Message, ScopedPduData};

/// The simulator binary's sibling: the `pductl` cargo built for these tests.
const PDUCTL: &str = env!("CARGO_BIN_EXE_pductl");

/// A BER TLV with a definite length (short or long form).
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap());
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap());
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// An INTEGER of any i64 value, in the fewest two's-complement octets (up to 8: more than the
/// 4 SNMP's Integer32 allows, which is the point).
fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(0x02, &bytes[start..])
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// What a crafted discovery Report carries.
#[derive(Clone, Debug)]
struct Crafted {
    name: &'static str,
    engine_id: Vec<u8>,
    boots: i64,
    time: i64,
    /// Added to the request's msgID in the answer.
    msg_id_offset: i64,
    /// msgFlags; with the authFlag the Report carries a MAC of zeros (24 octets, as
    /// HMAC-SHA-256-192's), which cannot verify.
    flags: u8,
}

/// An unauthenticated Report (usmStatsUnknownEngineIDs.0 = 1), as an agent answers discovery,
/// with the given engine ID, boots, time and msgID.
fn report(c: &Crafted, msg_id: i64, request_id: i64) -> Vec<u8> {
    // 1.3.6.1.6.3.15.1.1.4.0
    let unknown_engine_ids = tlv(0x06, &[0x2b, 6, 1, 6, 3, 15, 1, 1, 4, 0]);
    let usm = seq(&[
        tlv(0x04, &c.engine_id),
        int(c.boots),
        int(c.time),
        tlv(0x04, b"ops"),
        tlv(
            0x04,
            if c.flags & 1 != 0 {
                &[0u8; 24][..]
            } else {
                b""
            },
        ),
        tlv(0x04, b""),
    ]);
    let pdu = tlv(
        0xa8,
        &[
            int(request_id),
            int(0),
            int(0),
            seq(&[seq(&[unknown_engine_ids, tlv(0x41, &[1])])]),
        ]
        .concat(),
    );
    seq(&[
        int(3),
        seq(&[
            int(msg_id + c.msg_id_offset),
            int(65507),
            tlv(0x04, &[c.flags]),
            int(3),
        ]),
        tlv(0x04, &usm),
        seq(&[tlv(0x04, &c.engine_id), tlv(0x04, b""), pdu]),
    ])
}

/// A UDP responder on 127.0.0.1 answering every datagram with `answer(datagram)` (nothing
/// when it returns `None`), on its own thread until dropped.
struct Responder {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Responder {
    fn start(answer: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static) -> Responder {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(out) = answer(&buf[..n]) {
                    let _ = socket.send_to(&out, peer);
                }
            }
        });
        Responder {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The msgID and (for a plaintext ScopedPDU) request-id of a v3 request.
fn v3_ids(datagram: &[u8]) -> Option<(i64, i64)> {
    match decode_message(datagram).ok()? {
        Message::V3(m) => {
            let request_id = match &m.data {
                ScopedPduData::Plaintext(s) => i64::from(s.pdu.request_id),
                ScopedPduData::Encrypted(_) => 0,
            };
            Some((i64::from(m.msg_id), request_id))
        }
        Message::Community(_) => None,
    }
}

fn v3_config(port: u16) -> Config {
    let mut cfg = Config::new("127.0.0.1").v3(
        "ops",
        AuthProtocol::Sha256,
        "hostile-auth-key",
        PrivProtocol::Aes128,
        "hostile-priv-key",
    );
    cfg.port = port;
    cfg.timeout = Duration::from_millis(500);
    cfg.retries = 1;
    cfg.vendor = "raritan-px2".parse().unwrap();
    cfg
}

/// Every crafted Report ends the request with an error (within a bound far above the driver's
/// own timeouts), and the error says what was wrong where the driver can tell.
#[tokio::test]
async fn hostile_v3_answers_end_in_errors_not_panics_or_hangs() {
    let good_id = vec![0x80, 0, 0x1f, 0x88, 0x80, 1, 2, 3, 4];
    let cases = [
        Crafted {
            name: "boots and time at i64::MAX",
            engine_id: good_id.clone(),
            boots: i64::MAX,
            time: i64::MAX,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "boots and time at i64::MIN",
            engine_id: good_id.clone(),
            boots: i64::MIN,
            time: i64::MIN,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "boots just past Integer32",
            engine_id: good_id.clone(),
            boots: 1 << 31,
            time: 10,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "boots at the locked maximum",
            engine_id: good_id.clone(),
            boots: i64::from(i32::MAX),
            time: i64::from(i32::MAX),
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "time at its maximum",
            engine_id: good_id.clone(),
            boots: 5,
            time: i64::from(i32::MAX),
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "negative boots",
            engine_id: good_id.clone(),
            boots: -1,
            time: 10,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "negative time",
            engine_id: good_id.clone(),
            boots: 5,
            time: -100,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "a 1000-octet engine ID",
            engine_id: vec![0x80; 1000],
            boots: 5,
            time: 10,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "a 4-octet engine ID",
            engine_id: vec![0x80, 0, 0, 1],
            boots: 5,
            time: 10,
            msg_id_offset: 0,
            flags: 0,
        },
        Crafted {
            name: "a msgID that is not the request's",
            engine_id: good_id.clone(),
            boots: 5,
            time: 10,
            msg_id_offset: 1,
            flags: 0,
        },
        Crafted {
            name: "an authenticated Report with a forged MAC",
            engine_id: good_id.clone(),
            boots: 1000,
            time: 1000,
            msg_id_offset: 0,
            flags: 1,
        },
    ];
    for case in cases {
        let crafted = case.clone();
        let responder = Responder::start(move |datagram| {
            let (msg_id, request_id) = v3_ids(datagram)?;
            Some(report(&crafted, msg_id, request_id))
        });
        let mut pdu = Pdu::new(v3_config(responder.port)).unwrap();
        let outcome =
            tokio::time::timeout(Duration::from_secs(60), pdu.state(&OutletRef::Number(1))).await;
        let error = match outcome {
            Err(_) => panic!("{}: the driver hung (no result after 60 s)", case.name),
            Ok(Ok(state)) => panic!(
                "{}: a hostile agent's answer was taken: {state:?}",
                case.name
            ),
            Ok(Err(e)) => e,
        };
        let text = error.to_string();
        println!("{}: {text}", case.name);
        let wanted: &[&str] = match case.name {
            "boots at the locked maximum" => &["2147483647", "the maximum"],
            "a msgID that is not the request's" => &["msgID"],
            "a 1000-octet engine ID" | "a 4-octet engine ID" => &["engine ID", "5 to 32"],
            "time at its maximum" => &[],
            "an authenticated Report with a forged MAC" => &["HMAC"],
            "negative boots" => &["msgAuthoritativeEngineBoots", "-1", "allowed range"],
            "negative time" => &["msgAuthoritativeEngineTime", "-100", "allowed range"],
            _ => &["does not fit Integer32"],
        };
        for w in wanted {
            assert!(
                text.contains(w),
                "{}: the error should say {w:?}: {text}",
                case.name
            );
        }
        if case.name == "boots at the locked maximum" {
            assert!(matches!(error, Error::NotInTimeWindow { .. }), "{error:?}");
        }
        drop(responder);
    }
}

/// The next row of an endless table: GETNEXT of `column` or of `column.n` answers
/// `column.(n + 1)` with a 1000-octet string, forever (any OID of 14 arcs or fewer is taken
/// for a column).
fn endless_table(datagram: &[u8]) -> Option<Vec<u8>> {
    let Message::Community(m) = decode_message(datagram).ok()? else {
        return None;
    };
    let asked = m.pdu.varbinds.first()?.oid.arcs().to_vec();
    // PX2's outlet columns have 14 arcs; their rows one more.
    let mut next = asked.clone();
    match next.last_mut() {
        Some(last) if asked.len() > 14 => *last = last.wrapping_add(1),
        _ => next.push(1),
    }
    let name = vec![b'x'; 1000];
    let response = snmp_proto::Pdu {
        pdu_type: snmp_proto::PduType::Response,
        request_id: m.pdu.request_id,
        error_status: 0,
        error_index: 0,
        varbinds: vec![snmp_proto::VarBind {
            oid: snmp_proto::Oid::new(&next),
            value: snmp_proto::Value::OctetString(name.into()),
        }],
        trap_v1: None,
    };
    let mut out = Vec::new();
    snmp_proto::encode_community_message(&mut out, m.version, m.community, &response);
    Some(out)
}

/// `pductl list` against an agent whose outlet table never ends stops once the walk has read
/// `--max-walk-bytes`, exits 1 and says which limit it hit and how to raise it.
#[test]
fn a_walk_of_an_endless_table_stops_at_the_byte_cap() {
    let responder = Responder::start(endless_table);
    let out = std::process::Command::new(PDUCTL)
        .args(["--host", "127.0.0.1", "--port"])
        .arg(responder.port.to_string())
        .args([
            "--community",
            "public",
            "--vendor",
            "raritan-px2",
            "--max-walk-bytes",
            "20000",
            "--timeout",
            "2",
            "list",
        ])
        .output()
        .expect("run pductl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit 1: {stderr}");
    assert!(
        stderr.contains("--max-walk-bytes") && stderr.contains("20000"),
        "names the limit and the flag: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(responder);
}
