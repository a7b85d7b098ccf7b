//! Hostile and broken agents, played by a small UDP responder inside the test on loopback: the
//! driver must turn every answer into a result or an error, never panic, never hang.
//!
//! - SNMPv3 answers with engine boots and time out of range (i64 extremes, negative, the locked
//!   maximum 2147483647), engine IDs too long or too short, a msgID that is not the request's,
//!   an authenticated Report whose MAC does not verify:
//!   the driver must refuse them before its SNMP stack (snmp2, which stores boots and time from
//!   a Report before any check and adds to them without overflow checks) takes them in.
//! - Answers from another UDP port (quirk 28): taken only from the agent's IP address and only
//!   when they carry the ID of the request in flight; a forger on another loopback address
//!   (127.0.0.2) and answers with a wrong request-id or msgID are ignored.
//! - An endless table: a walk stops at `--max-walk-bytes` with an error that says so, through
//!   the real `pductl` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pdu_driver::session::{Transport, Value};
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

/// Where a responder sends an answer from.
#[derive(Clone, Copy, Debug)]
enum From {
    /// The agent's own socket, the one the request went to.
    Agent,
    /// The responder's extra socket number N (see [`Responder::start_with`]).
    Extra(usize),
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
        Self::start_with(&[], move |datagram| {
            answer(datagram)
                .map(|a| vec![(From::Agent, a)])
                .unwrap_or_default()
        })
    }

    /// A responder with extra sockets bound to `extra` (another port of 127.0.0.1, another
    /// loopback address): `answer` says what to send to the requester, in order, and from which
    /// socket.
    fn start_with(
        extra: &[&str],
        answer: impl Fn(&[u8]) -> Vec<(From, Vec<u8>)> + Send + 'static,
    ) -> Responder {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let extra: Vec<UdpSocket> = extra
            .iter()
            .map(|a| UdpSocket::bind(a).unwrap_or_else(|e| panic!("bind {a}: {e}")))
            .collect();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                for (from, out) in answer(&buf[..n]) {
                    let sender = match from {
                        From::Agent => &socket,
                        From::Extra(i) => &extra[i],
                    };
                    let _ = sender.send_to(&out, peer);
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

/// sysName.0, the OID the transport-level tests read.
const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];

/// A v2c Response to the GET `datagram`: every OID asked for, with the string `value`, under
/// the request's request-id plus `id_offset`.
fn v2c_answer(datagram: &[u8], value: &str, id_offset: i32) -> Option<Vec<u8>> {
    let Message::Community(m) = decode_message(datagram).ok()? else {
        return None;
    };
    let response = snmp_proto::Pdu {
        pdu_type: snmp_proto::PduType::Response,
        request_id: m.pdu.request_id.wrapping_add(id_offset),
        error_status: 0,
        error_index: 0,
        varbinds: m
            .pdu
            .varbinds
            .iter()
            .map(|vb| snmp_proto::VarBind {
                oid: vb.oid.clone(),
                value: snmp_proto::Value::OctetString(value.as_bytes().to_vec().into()),
            })
            .collect(),
        trap_v1: None,
    };
    let mut out = Vec::new();
    snmp_proto::encode_community_message(&mut out, m.version, m.community, &response);
    Some(out)
}

/// A v2c transport (community `public`) to 127.0.0.1:`port`: 300 ms per try, one retry.
fn v2c_transport(port: u16) -> Transport {
    let mut cfg = Config::new("127.0.0.1");
    cfg.port = port;
    cfg.timeout = Duration::from_millis(300);
    cfg.retries = 1;
    Transport::new(cfg)
}

/// Reads sysName.0, failing the test if the driver hangs.
async fn read_sys_name(t: &mut Transport) -> Result<Value, Error> {
    tokio::time::timeout(Duration::from_secs(60), t.get_one(SYS_NAME))
        .await
        .expect("the driver hung (no result after 60 s)")
}

/// A forger on another loopback address (127.0.0.2) answers the request in flight, with its
/// request-id, to the port the driver's requests come from, while the agent (127.0.0.1) stays
/// silent: the driver does not take the forged answer and times out. When the agent's own
/// answer follows the forged one (from another port of its address, as a NAT may send it),
/// the driver takes the agent's.
#[tokio::test]
async fn a_forged_answer_from_another_address_is_ignored() {
    let forger_only = Responder::start_with(&["127.0.0.2:0"], |d| {
        v2c_answer(d, "forged", 0)
            .map(|a| vec![(From::Extra(0), a)])
            .unwrap_or_default()
    });
    let mut t = v2c_transport(forger_only.port);
    let outcome = read_sys_name(&mut t).await;
    assert!(
        matches!(outcome, Err(Error::Timeout { .. })),
        "the forged answer from 127.0.0.2 was taken or misnamed: {outcome:?}"
    );
    assert_eq!(t.answered_from_another_port(), None);
    drop(forger_only);

    let forger_then_agent = Responder::start_with(&["127.0.0.2:0", "127.0.0.1:0"], |d| {
        let forged = v2c_answer(d, "forged", 0).map(|a| (From::Extra(0), a));
        let real = v2c_answer(d, "real", 0).map(|a| (From::Extra(1), a));
        forged.into_iter().chain(real).collect()
    });
    let mut t = v2c_transport(forger_then_agent.port);
    let value = read_sys_name(&mut t).await.expect("the agent's answer");
    assert_eq!(value, Value::OctetString(b"real".to_vec()));
    let from = t
        .answered_from_another_port()
        .expect("the transport knows the agent answered from another port");
    assert_eq!(from.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_ne!(from.port(), forger_then_agent.port);
    let notes = t.take_notes();
    assert!(
        notes.len() == 1 && notes[0].contains("answers from another UDP port"),
        "one note says so: {notes:?}"
    );
}

/// The agent answers from another port of its address with a request-id that is not the
/// request's: ignored (a timeout, not an answer and not a protocol error ending the try); the
/// right answer after it from that port is taken.
#[tokio::test]
async fn an_answer_from_another_port_with_a_wrong_request_id_is_ignored() {
    let wrong_only = Responder::start_with(&["127.0.0.1:0"], |d| {
        v2c_answer(d, "wrong-id", 1)
            .map(|a| vec![(From::Extra(0), a)])
            .unwrap_or_default()
    });
    let mut t = v2c_transport(wrong_only.port);
    let outcome = read_sys_name(&mut t).await;
    assert!(
        matches!(outcome, Err(Error::Timeout { .. })),
        "an answer with another request-id was taken or misnamed: {outcome:?}"
    );
    drop(wrong_only);

    let wrong_then_right = Responder::start_with(&["127.0.0.1:0"], |d| {
        let wrong = v2c_answer(d, "wrong-id", 1).map(|a| (From::Extra(0), a));
        let right = v2c_answer(d, "right-id", 0).map(|a| (From::Extra(0), a));
        wrong.into_iter().chain(right).collect()
    });
    let mut t = v2c_transport(wrong_then_right.port);
    let value = read_sys_name(&mut t).await.expect("the matching answer");
    assert_eq!(value, Value::OctetString(b"right-id".to_vec()));
    // The next request gets its own answer, not a leftover of the first.
    let value = read_sys_name(&mut t).await.expect("the second answer");
    assert_eq!(value, Value::OctetString(b"right-id".to_vec()));
}

/// SNMPv3 answers from another port of the agent's address: a discovery Report with a msgID
/// that is not the request's is ignored (the driver times out, where from the agent's own port
/// it is refused naming the msgID); one with the request's msgID gets every check of an
/// answer from the agent's port (here a MAC that does not verify, named as such).
#[tokio::test]
async fn v3_answers_from_another_port_need_the_msg_id_and_pass_every_check() {
    let good_id = vec![0x80, 0, 0x1f, 0x88, 0x80, 1, 2, 3, 4];
    let wrong_msg_id = Crafted {
        name: "a msgID that is not the request's, from another port",
        engine_id: good_id.clone(),
        boots: 5,
        time: 10,
        msg_id_offset: 1,
        flags: 0,
    };
    let responder = Responder::start_with(&["127.0.0.1:0"], move |datagram| {
        v3_ids(datagram)
            .map(|(msg_id, request_id)| {
                vec![(From::Extra(0), report(&wrong_msg_id, msg_id, request_id))]
            })
            .unwrap_or_default()
    });
    let mut pdu = Pdu::new(v3_config(responder.port)).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(60), pdu.state(&OutletRef::Number(1)))
        .await
        .expect("the driver hung (no result after 60 s)");
    assert!(
        matches!(outcome, Err(Error::Timeout { .. })),
        "a Report with another msgID from another port was taken or misnamed: {outcome:?}"
    );
    drop(responder);

    let forged_mac = Crafted {
        name: "an authenticated Report with a forged MAC, from another port",
        engine_id: good_id,
        boots: 1000,
        time: 1000,
        msg_id_offset: 0,
        flags: 1,
    };
    let responder = Responder::start_with(&["127.0.0.1:0"], move |datagram| {
        v3_ids(datagram)
            .map(|(msg_id, request_id)| {
                vec![(From::Extra(0), report(&forged_mac, msg_id, request_id))]
            })
            .unwrap_or_default()
    });
    let mut pdu = Pdu::new(v3_config(responder.port)).unwrap();
    let error = tokio::time::timeout(Duration::from_secs(60), pdu.state(&OutletRef::Number(1)))
        .await
        .expect("the driver hung (no result after 60 s)")
        .expect_err("a Report whose MAC does not verify is refused");
    assert!(error.to_string().contains("HMAC"), "{error}");
}
