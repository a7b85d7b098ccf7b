//! A live `pdusim` takes a burst of malformed datagrams without dying, counts each one in
//! snmpInASNParseErrs (RFC 3418), and keeps answering normal requests.
#![allow(clippy::unwrap_used)]

use pdu_test_support::oids::*;
use pdu_test_support::*;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// A BER SNMPv2c GetRequest for sysDescr.0, community "public", built by hand (RFC 1157/3416).
fn v2c_get(request_id: u32) -> Vec<u8> {
    let id = request_id.to_be_bytes();
    let mut p = vec![
        0x30, 0x29, // Message SEQUENCE, 41 octets
        0x02, 0x01, 0x01, // version 1 = v2c
        0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community
        0xa0, 0x1c, // GetRequest-PDU, 28 octets
        0x02, 0x04, // request-id, 4 octets (high bit clear below)
    ];
    p.extend_from_slice(&[id[0] & 0x7f, id[1], id[2], id[3]]);
    p.extend_from_slice(&[
        0x02, 0x01, 0x00, // error-status
        0x02, 0x01, 0x00, // error-index
        0x30, 0x0e, // VarBindList
        0x30, 0x0c, // VarBind
        0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // 1.3.6.1.2.1.1.1.0
        0x05, 0x00, // NULL
    ]);
    assert_eq!(p.len(), 43);
    p
}

/// Sends a valid GET and waits for its response: since pdusim answers one socket's datagrams in
/// order, the answer also means every datagram sent before it has been processed.
fn sync(sock: &UdpSocket, agent: &str, request_id: u32) {
    let req = v2c_get(request_id);
    let want_id = &req[17..21].to_vec();
    let mut buf = [0u8; 2048];
    for _ in 0..3 {
        sock.send_to(&req, agent).unwrap();
        // A timeout ends the inner loop: send again.
        while let Ok((n, _)) = sock.recv_from(&mut buf) {
            let resp = &buf[..n];
            // Response-PDU (0xa2) carrying our request-id
            if resp
                .windows(6)
                .any(|w| w[0] == 0x02 && w[1] == 0x04 && w[2..6] == want_id[..])
                && resp.contains(&0xa2)
            {
                return;
            }
        }
    }
    panic!("pdusim did not answer a valid v2c GET (request-id {request_id}) after the burst");
}

/// xorshift64*: deterministic pseudo-random bytes without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn byte(&mut self) -> u8 {
        (self.next() >> 32) as u8
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Captures the datagram `snmpget` sends for an authPriv request, by pointing it at a socket
/// of ours with the engine ID, boots and time given up front (`-e`, `-Z`) so it skips discovery.
fn capture_v3_packet(engine_id_hex: &str) -> Vec<u8> {
    let catcher = UdpSocket::bind("127.0.0.1:0").unwrap();
    catcher
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let port = catcher.local_addr().unwrap().port();
    let env = tempfile::tempdir().unwrap();
    let mut child = Command::new("snmpget")
        .args([
            "-On",
            "-r",
            "0",
            "-t",
            "3",
            "-v3",
            "-l",
            "authPriv",
            "-u",
            "fuzz",
            "-a",
            "SHA-256",
            "-A",
            "fuzz-auth-pw",
            "-x",
            "AES",
            "-X",
            "fuzz-priv-pw",
            "-e",
            engine_id_hex,
            "-Z",
            "1,1",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .arg(SYS_DESCR)
        .env("MIBS", "")
        .env("SNMPCONFPATH", env.path())
        .env("SNMP_PERSISTENT_DIR", env.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run snmpget ({e}): install the Debian package `snmp`"));
    let mut buf = [0u8; 4096];
    let got = catcher.recv_from(&mut buf);
    let _ = child.kill();
    let _ = child.wait();
    let (n, _) = got.expect("snmpget sent an SNMPv3 request to the capture socket");
    buf[..n].to_vec()
}

/// The counter a plaintext v3 Report carries (dotted), or `None` for another answer.
fn v3_report_counter(answer: &[u8]) -> Option<String> {
    let snmp_proto::Message::V3(m) = snmp_proto::decode_message(answer).unwrap() else {
        panic!("not a v3 answer")
    };
    match m.data {
        snmp_proto::ScopedPduData::Plaintext(s)
            if s.pdu.pdu_type == snmp_proto::PduType::Report =>
        {
            Some(s.pdu.varbinds[0].oid.to_string())
        }
        _ => None,
    }
}

#[test]
fn malformed_burst_is_counted_and_survived() {
    let engine_hex = "800035ae0466757a7a2d656e67696e65"; // enterprise 13742, text "fuzz-engine"
    let mut sim = PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "raritan-px2",
            "--outlets",
            "8",
            "--community",
            "public",
            "--user",
            "fuzz:sha256:fuzz-auth-pw:aes:fuzz-priv-pw",
            "--engine-id",
            engine_hex,
        ],
    );
    let ro = Sec::v2c("public");
    let agent = sim.target();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut rid = 0x4000_0000u32; // 4 content octets in minimal BER, as v2c_get encodes it

    // Sanity: our hand-built GET and net-snmp's captured v3 GET are both valid as sent.
    sync(&sock, &agent, rid);
    let v3 = capture_v3_packet(engine_hex);
    assert_eq!(v3[0], 0x30, "captured an SNMP message");
    sock.send_to(&v3, &agent).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("pdusim answers the intact SNMPv3 request net-snmp built");
    assert!(n > 0);
    let intact = v3_report_counter(&buf[..n]);
    // The intact request gets the time-window Report (snmpget's -Z 1,1 is not the agent's
    // clock). Bytes after the message are ignored by the decoder, but the MAC covers wholeMsg
    // as received on the wire (RFC 3414 §3.1.2, RFC 3412 §4.2.1): the same request with a
    // tail fails authentication, usmStatsWrongDigests, as in net-snmp's agent.
    let tailed = [&v3[..], &[0xDE, 0xAD, 0xBE, 0xEF]].concat();
    sock.send_to(&tailed, &agent).unwrap();
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("pdusim answers the SNMPv3 request with bytes after it");
    assert_eq!(intact.as_deref(), Some(USM_STATS_NOT_IN_TIME_WINDOWS));
    assert_eq!(
        v3_report_counter(&buf[..n]).as_deref(),
        Some(USM_STATS_WRONG_DIGESTS)
    );

    // A GET that is valid as sent (its request-id has 4 content octets, so it must be at least
    // 0x00800000 to be a minimal INTEGER): every mutation below is malformed because of what it
    // changes, not because the base already was.
    let valid = v2c_get(0x4000_0007);
    sock.send_to(&valid, &agent).unwrap();
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("pdusim answers the valid base GET");
    assert!(n > 0 && buf[0] == 0x30, "a message came back");
    // RFC 3417 §8: more length octets than needed are allowed; this one is answered too.
    let mut longer = vec![0x30, 0x81, 0x29];
    longer.extend_from_slice(&valid[2..]);
    sock.send_to(&longer, &agent).unwrap();
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("pdusim answers a GET whose length is written 81 29");
    assert!(n > 0 && buf[0] == 0x30, "a message came back");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut categories: Vec<(&str, Vec<Vec<u8>>)> = Vec::new();

    // 1. every proper prefix of a valid v2c GET
    categories.push((
        "truncated v2c GET",
        (1..valid.len()).map(|n| valid[..n].to_vec()).collect(),
    ));
    // 2. every proper prefix of a valid v3 authPriv GET
    categories.push((
        "truncated v3 authPriv GET",
        (1..v3.len()).map(|n| v3[..n].to_vec()).collect(),
    ));
    // 3. random bytes that do not start with a SEQUENCE tag
    categories.push((
        "random bytes",
        (0..150)
            .map(|_| {
                let len = 1 + rng.below(300);
                let mut p: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
                if p[0] == 0x30 {
                    p[0] = 0x31;
                }
                p
            })
            .collect(),
    ));
    // 4. a SEQUENCE whose length overruns the datagram, then random content
    categories.push((
        "overrunning SEQUENCE length",
        (0..100)
            .map(|_| {
                let body = rng.below(200);
                let claimed = body + 1 + rng.below(1000);
                let mut p = vec![0x30, 0x82, (claimed >> 8) as u8, claimed as u8];
                p.extend((0..body).map(|_| rng.byte()));
                p
            })
            .collect(),
    ));
    // 5. hand-made nasties
    let mut nasties: Vec<Vec<u8>> = Vec::new();
    // 2-GB length field
    let mut p = vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff];
    p.extend_from_slice(&valid[2..]);
    nasties.push(p);
    // a length field of 9 length octets
    let mut p = vec![0x30, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0x29];
    p.extend_from_slice(&valid[2..]);
    nasties.push(p);
    // indefinite length (forbidden in SNMP, RFC 3417 §8)
    let mut p = vec![0x30, 0x80];
    p.extend_from_slice(&valid[2..]);
    p.extend_from_slice(&[0, 0]);
    nasties.push(p);
    // the outer length one short / one long of the content
    let mut p = valid.clone();
    p[1] = 0x28;
    nasties.push(p);
    let mut p = valid.clone();
    p[1] = 0x2a;
    nasties.push(p);
    // version as OCTET STRING instead of INTEGER
    let mut p = valid.clone();
    p[2] = 0x04;
    nasties.push(p);
    // a 200-arc OID in an otherwise valid GET (RFC 2578: at most 128 sub-identifiers)
    {
        let oid: Vec<u8> = std::iter::once(0x2bu8)
            .chain(std::iter::repeat(0x01).take(199))
            .collect();
        let mut vb = vec![0x06, 0x81, oid.len() as u8];
        vb.extend_from_slice(&oid);
        vb.extend_from_slice(&[0x05, 0x00]);
        let vb = [vec![0x30, 0x81, vb.len() as u8], vb].concat();
        let vbl = [vec![0x30, 0x81, vb.len() as u8], vb].concat();
        let pdu_body = [
            vec![0x02, 0x01, 0x05, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
            vbl,
        ]
        .concat();
        let pdu = [vec![0xa0, 0x81, pdu_body.len() as u8], pdu_body].concat();
        let body = [vec![0x02, 0x01, 0x01, 0x04, 0x06], b"public".to_vec(), pdu].concat();
        assert!(body.len() < 0x10000);
        let msg = [
            vec![0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8],
            body,
        ]
        .concat();
        nasties.push(msg);
    }
    // an OID sub-identifier that never ends (high bit set on every octet to the end)
    {
        let mut p = valid.clone();
        let end = p.len() - 2;
        let at = end - 8; // the OID contents
        for b in &mut p[at..end] {
            *b |= 0x80;
        }
        nasties.push(p);
    }
    // request-id as a 9-octet INTEGER (does not fit Integer32)
    {
        let mut p = vec![0x30, 0x2e, 0x02, 0x01, 0x01, 0x04, 0x06];
        p.extend_from_slice(b"public");
        p.extend_from_slice(&[0xa0, 0x21, 0x02, 0x09, 0x01, 2, 3, 4, 5, 6, 7, 8, 9]);
        p.extend_from_slice(&valid[21..]);
        assert_eq!(p.len(), 0x30);
        nasties.push(p);
    }
    categories.push(("hand-made nasties", nasties));

    let mut report = Vec::new();
    let mut total = 0i64;
    for (name, packets) in &categories {
        let before = sim.get_number(&ro, SNMP_IN_ASN_PARSE_ERRS);
        for (i, p) in packets.iter().enumerate() {
            sock.send_to(p, &agent).unwrap();
            if i % 40 == 39 {
                rid += 1;
                sync(&sock, &agent, rid); // keep the receive queue short: no loopback drops
            }
        }
        rid += 1;
        sync(&sock, &agent, rid);
        assert!(
            sim.is_running(),
            "pdusim died during {name}\nstderr: {}",
            sim.stderr()
        );
        let after = sim.get_number(&ro, SNMP_IN_ASN_PARSE_ERRS);
        report.push(format!(
            "{name}: sent {}, snmpInASNParseErrs +{}",
            packets.len(),
            after - before
        ));
        total += packets.len() as i64;
        if after - before != packets.len() as i64 {
            report.push(format!("  ^ MISMATCH for {name}"));
        }
    }
    eprintln!("{}", report.join("\n"));

    // 6. bit-flipped / byte-mutated copies of valid packets: anything may happen to each one
    //    (parse error, auth failure, a response), but pdusim must survive them all.
    let mut mutated = 0;
    for round in 0..300 {
        let base = if round % 2 == 0 { &valid } else { &v3 };
        let mut p = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(p.len());
            p[at] ^= 1 << rng.below(8);
        }
        sock.send_to(&p, &agent).unwrap();
        mutated += 1;
        if round % 40 == 39 {
            // drain any answers, then sync
            sock.set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            while sock.recv_from(&mut buf).is_ok() {}
            sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            rid += 1;
            sync(&sock, &agent, rid);
        }
    }
    assert!(
        sim.is_running(),
        "pdusim died on mutated packets\nstderr: {}",
        sim.stderr()
    );
    eprintln!("mutated packets sent: {mutated}");

    // still a working agent for net-snmp
    let v = sim.get_value(&ro, SYS_DESCR);
    assert!(v.starts_with("STRING: "), "{v}");
    let v3user: Sec =
        V3::auth_priv("fuzz", "SHA-256", "fuzz-auth-pw", "AES", "fuzz-priv-pw").into();
    assert!(sim.get_value(&v3user, SYS_DESCR).starts_with("STRING: "));
    sim.set(&v3user, &[&control(1), "i", "0"]).expect_clean();
    assert_eq!(
        sim.get_value(&ro, &state(1)),
        format!("INTEGER: {STATE_OFF}")
    );

    assert!(
        !report.iter().any(|l| l.contains("MISMATCH")),
        "every malformed datagram must count once in snmpInASNParseErrs (total {total}):\n{}",
        report.join("\n")
    );
}
