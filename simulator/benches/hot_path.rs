//! The hot pieces of answering an SNMPv3 authPriv request, one by one and whole:
//!
//! - `wire`: decoding a request datagram, encoding a response (ScopedPDU + v3 message);
//! - `usm`: HMAC-SHA-96 sign/verify with a localized key (pads precomputed), AES-128-CFB and
//!   DES-CBC over a ~100-byte ScopedPDU;
//! - `dispatch`: a whole request through `handle_datagram` — decode, USM checks, decrypt, agent,
//!   encrypt, sign, encode — against an in-process PDU, no sockets.
//!
//! Run with `cargo bench -p pdusim` (add `-- dispatch` to pick a group).

use std::borrow::Cow;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use pdusim::clock::MonotonicClock;
use pdusim::config::FileConfig;
use pdusim::device::Device;
use pdusim::dispatch::{handle_datagram, Buffers};
use pdusim::endpoint::Endpoint;
use pdusim::security::SaltSource;
use snmp_proto::usm::auth::AuthKey;
use snmp_proto::usm::keys::AuthProtocol;
use snmp_proto::usm::privacy::PrivKey;
use snmp_proto::usm::PrivProtocol;
use snmp_proto::{
    decode_message, encode_community_message, encode_scoped_pdu, encode_v3_message, Oid, Pdu,
    PduType, ScopedPdu, UsmSecurityParameters, V3Body, Value, VarBind, Version, FLAG_AUTH,
    FLAG_PRIV, FLAG_REPORTABLE,
};

const ENGINE_HEX: &str = "80001f8880c0ffee00010203";
const USER: &str = "bench";
const AUTH_PASS: &str = "authpass123";
const PRIV_PASS: &str = "privpass123";
const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];

fn engine_id() -> Vec<u8> {
    (0..ENGINE_HEX.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(ENGINE_HEX.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One 24-outlet PDU with a SHA/AES user, a SHA/DES user and a v2c community.
fn device(dir: &std::path::Path) -> Arc<Device> {
    let text = format!(
        r#"
state_dir = "{dir}"
[[pdu]]
name = "bench"
listen = ["127.0.0.1:1161"]
outlets = 24
engine_id = "{ENGINE_HEX}"
[[pdu.community]]
name = "public"
access = "read-only"
[[pdu.user]]
name = "{USER}"
auth = "sha"
auth_password = "{AUTH_PASS}"
priv = "aes"
priv_password = "{PRIV_PASS}"
access = "read-write"
"#,
        dir = dir.display()
    );
    let config = FileConfig::parse(&text, "bench").expect("bench config parses");
    let (spec, _) = config
        .validate("bench")
        .expect("bench config is valid")
        .into_iter()
        .next()
        .expect("one PDU");
    Arc::new(Device::start(spec, Arc::new(MonotonicClock::new())).expect("PDU starts"))
}

struct Client {
    auth: AuthKey,
    aes: PrivKey,
    des: PrivKey,
    engine_id: Vec<u8>,
}

impl Client {
    fn new() -> Client {
        let engine_id = engine_id();
        let auth = AuthKey::from_password(AuthProtocol::Sha1, AUTH_PASS.as_bytes(), &engine_id)
            .expect("auth key");
        let aes = PrivKey::new(
            PrivProtocol::Aes128,
            AuthProtocol::Sha1,
            PRIV_PASS.as_bytes(),
            &engine_id,
        )
        .expect("AES key");
        let des = PrivKey::new(
            PrivProtocol::Des,
            AuthProtocol::Sha1,
            PRIV_PASS.as_bytes(),
            &engine_id,
        )
        .expect("DES key");
        Client {
            auth,
            aes,
            des,
            engine_id,
        }
    }

    fn scoped_pdu(&self, pdu: &Pdu<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode_scoped_pdu(
            &mut out,
            &ScopedPdu {
                context_engine_id: &self.engine_id,
                context_name: b"",
                pdu: pdu.clone(),
            },
        );
        out
    }

    /// A signed, AES-encrypted v3 message carrying `pdu`, as a client sends it.
    fn authpriv_message(&self, pdu: &Pdu<'_>, boots: i32, time: i32) -> Vec<u8> {
        let scoped = self.scoped_pdu(pdu);
        let (ciphertext, salt) = self.aes.encrypt(
            u32::try_from(boots).unwrap_or(0),
            u32::try_from(time).unwrap_or(0),
            0x0102_0304_0506_0708,
            &scoped,
        );
        let usm = UsmSecurityParameters {
            engine_id: &self.engine_id,
            engine_boots: boots,
            engine_time: time,
            user_name: USER.as_bytes(),
            auth_params: &[0; 12],
            priv_params: &salt,
        };
        let mut out = Vec::new();
        let offset = encode_v3_message(
            &mut out,
            pdu.request_id,
            65507,
            FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE,
            &usm,
            V3Body::Encrypted(&ciphertext),
        );
        let mac = self.auth.sign(&out);
        out[offset..offset + mac.len()].copy_from_slice(&mac);
        out
    }
}

fn request(pdu_type: PduType, oids: &[Vec<u32>], max_repetitions: i32) -> Pdu<'static> {
    Pdu {
        pdu_type,
        request_id: 0x1234_5678,
        error_status: 0,
        error_index: max_repetitions,
        varbinds: oids
            .iter()
            .map(|o| VarBind {
                oid: Oid::new(o),
                value: Value::Null,
            })
            .collect(),
        trap_v1: None,
    }
}

fn response_pdu() -> Pdu<'static> {
    Pdu {
        pdu_type: PduType::Response,
        request_id: 0x1234_5678,
        error_status: 0,
        error_index: 0,
        varbinds: vec![VarBind {
            oid: Oid::new(&SYS_DESCR),
            value: Value::OctetString(Cow::Borrowed(
                b"Raritan PX2 intelligent rack PDU, firmware 3.6.10".as_slice(),
            )),
        }],
        trap_v1: None,
    }
}

fn wire(c: &mut Criterion) {
    let client = Client::new();
    let datagram = client.authpriv_message(
        &request(PduType::GetRequest, &[SYS_DESCR.to_vec()], 0),
        1,
        100,
    );
    let mut g = c.benchmark_group("wire");
    g.throughput(Throughput::Bytes(datagram.len() as u64));
    g.bench_function("decode_v3_authpriv_get", |b| {
        b.iter(|| decode_message(black_box(&datagram)).is_ok())
    });
    let response = response_pdu();
    let engine = client.engine_id.clone();
    let mut scoped = Vec::with_capacity(256);
    let mut out = Vec::with_capacity(512);
    g.bench_function("encode_v3_response", |b| {
        b.iter(|| {
            scoped.clear();
            encode_scoped_pdu(
                &mut scoped,
                &ScopedPdu {
                    context_engine_id: &engine,
                    context_name: b"",
                    pdu: black_box(&response).clone(),
                },
            );
            out.clear();
            let usm = UsmSecurityParameters {
                engine_id: &engine,
                engine_boots: 1,
                engine_time: 100,
                user_name: USER.as_bytes(),
                auth_params: &[0; 12],
                priv_params: &[0; 8],
            };
            encode_v3_message(
                &mut out,
                7,
                65507,
                FLAG_AUTH | FLAG_PRIV,
                &usm,
                V3Body::Plaintext(&scoped),
            )
        })
    });
    g.finish();
}

fn usm(c: &mut Criterion) {
    let client = Client::new();
    let message = client.authpriv_message(
        &request(PduType::GetRequest, &[SYS_DESCR.to_vec()], 0),
        1,
        100,
    );
    let mac = client.auth.sign(&message);
    let scoped = client.scoped_pdu(&response_pdu());
    let mut g = c.benchmark_group("usm");
    g.throughput(Throughput::Bytes(message.len() as u64));
    g.bench_function("hmac_sha96_sign", |b| {
        b.iter(|| client.auth.sign(black_box(&message)))
    });
    g.bench_function("hmac_sha96_verify", |b| {
        b.iter(|| client.auth.verify(black_box(&message), black_box(&mac)))
    });
    g.throughput(Throughput::Bytes(scoped.len() as u64));
    let (aes_ct, aes_salt) = client.aes.encrypt(1, 100, 42, &scoped);
    g.bench_function("aes128_cfb_encrypt", |b| {
        b.iter(|| client.aes.encrypt(1, 100, 42, black_box(&scoped)))
    });
    g.bench_function("aes128_cfb_decrypt", |b| {
        b.iter(|| client.aes.decrypt(1, 100, &aes_salt, black_box(&aes_ct)))
    });
    let (des_ct, des_salt) = client.des.encrypt(1, 100, 42, &scoped);
    g.bench_function("des_cbc_encrypt", |b| {
        b.iter(|| client.des.encrypt(1, 100, 42, black_box(&scoped)))
    });
    g.bench_function("des_cbc_decrypt", |b| {
        b.iter(|| client.des.decrypt(1, 100, &des_salt, black_box(&des_ct)))
    });
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = device(dir.path());
    let boots = device.engine().boots();
    let time = device.engine().time();
    let endpoint = Endpoint::new(
        "127.0.0.1:1161".parse().expect("addr"),
        vec![device.clone()],
    )
    .expect("endpoint");
    let salts = SaltSource::new();
    let client = Client::new();
    let system: Vec<Vec<u32>> = (1..=7).map(|i| vec![1, 3, 6, 1, 2, 1, 1, i, 0]).collect();
    let cases = [
        (
            "v3_authpriv_get_1",
            request(PduType::GetRequest, &system[..1], 0),
        ),
        (
            "v3_authpriv_get_7",
            request(PduType::GetRequest, &system, 0),
        ),
        (
            "v3_authpriv_getbulk_24",
            request(PduType::GetBulkRequest, &[vec![1, 3, 6, 1, 2, 1, 1]], 24),
        ),
    ];
    let mut g = c.benchmark_group("dispatch");
    g.throughput(Throughput::Elements(1));
    let mut buffers = Buffers::default();
    for (name, pdu) in &cases {
        let datagram = client.authpriv_message(pdu, boots, time);
        assert!(
            handle_datagram(&endpoint, &salts, &datagram, &mut buffers).is_some(),
            "{name} is answered"
        );
        g.bench_function(*name, |b| {
            b.iter(|| handle_datagram(&endpoint, &salts, black_box(&datagram), &mut buffers))
        });
    }
    // SET writes the state file on every change: measured with fresh outlet values.
    let set = Pdu {
        varbinds: vec![VarBind {
            oid: Oid::new(&[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1, 1]),
            value: Value::Integer(1),
        }],
        ..request(PduType::SetRequest, &[], 0)
    };
    let set_datagram = client.authpriv_message(&set, boots, time);
    g.bench_function("v3_authpriv_set_outlet_on", |b| {
        b.iter_batched_ref(
            || set_datagram.clone(),
            |d| handle_datagram(&endpoint, &salts, d, &mut buffers),
            BatchSize::SmallInput,
        )
    });
    let mut v2c = Vec::new();
    encode_community_message(
        &mut v2c,
        Version::V2c,
        b"public",
        &request(PduType::GetRequest, &system[..1], 0),
    );
    assert!(
        handle_datagram(&endpoint, &salts, &v2c, &mut buffers).is_some(),
        "v2c is answered"
    );
    g.bench_function("v2c_get_1", |b| {
        b.iter(|| handle_datagram(&endpoint, &salts, black_box(&v2c), &mut buffers))
    });
    // The same two GETs with the request log armed (as when the control API serves a small
    // rig): the cost of keeping a record of each request.
    endpoint.primary().requests.arm();
    let get_1 = client.authpriv_message(&cases[0].1, boots, time);
    g.bench_function("v3_authpriv_get_1_logged", |b| {
        b.iter(|| handle_datagram(&endpoint, &salts, black_box(&get_1), &mut buffers))
    });
    g.bench_function("v2c_get_1_logged", |b| {
        b.iter(|| handle_datagram(&endpoint, &salts, black_box(&v2c), &mut buffers))
    });
    g.finish();
}

criterion_group!(benches, wire, usm, dispatch);
criterion_main!(benches);
