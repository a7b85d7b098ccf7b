//! The agent targets: one in-process endpoint (built once), datagrams through
//! `pdusim::dispatch::handle_datagram`, and the checks every answer must pass.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use pdusim::clock::ManualClock;
use pdusim::config::FileConfig;
use pdusim::device::{Device, DeviceSpec};
use pdusim::dispatch::Buffers;
use pdusim::endpoint::Endpoint;
use pdusim::security::SaltSource;
use snmp_proto::usm::protect::{authenticate, decrypt, protect, OutgoingMessage};
use snmp_proto::usm::{AuthProtocol, MasterKeyCache, Password, PrivProtocol, UsmUser};
use snmp_proto::{
    decode_scoped_pdu, Message, Oid, Pdu, PduType, ScopedPduData, Value, VarBind, FLAG_AUTH,
    FLAG_PRIV,
};

/// The engine ID of the primary PDU (hex in [`CONFIG`]).
const ENGINE_ID: [u8; 10] = [0x80, 0x00, 0x1f, 0x88, 0x80, 0xc0, 0xff, 0xee, 0x00, 0x01];

/// Two PDUs on one address: a Raritan PX2 (primary: its engine and users answer v3) and an APC
/// rPDU reached by community `apc-rw` or contextName `apc`. No `state_dir`: the specs are
/// stripped of it below, so nothing is written.
const CONFIG: &str = r#"
[[pdu]]
name = "px2"
vendor = "raritan-px2"
listen = ["127.0.0.1:1161"]
outlets = 8
engine_id = "80001f8880c0ffee0001"
contexts = ["lab"]
max_bulk_varbinds = 200
[[pdu.community]]
name = "public"
access = "read-only"
[[pdu.community]]
name = "private"
access = "read-write"
[[pdu.user]]
name = "noauth"
access = "read-only"
[[pdu.user]]
name = "md5des"
auth = "md5"
auth_password = "md5authpass"
priv = "des"
priv_password = "despriv123"
access = "read-write"
[[pdu.user]]
name = "shaaes"
auth = "sha"
auth_password = "shaauthpass"
priv = "aes"
priv_password = "aespriv123"
access = "read-write"
[[pdu.user]]
name = "sha256aes256"
auth = "sha256"
auth_password = "sha256authpass"
priv = "aes256"
priv_password = "aes256priv123"
access = "read-only"
[[pdu.user]]
name = "shaonly"
auth = "sha"
auth_password = "shaonlypass"
access = "read-write"

[[pdu]]
name = "apc"
vendor = "apc-rpdu"
listen = ["127.0.0.1:1161"]
outlets = 4
[[pdu.community]]
name = "apc-rw"
access = "read-write"
"#;

/// The configured users with keys (name, auth, privacy), as a manager knows them.
type UserDef = (
    &'static str,
    Option<(AuthProtocol, &'static str)>,
    Option<(PrivProtocol, &'static str)>,
);

/// The users of [`CONFIG`] that have keys; `noauth` needs none.
const USERS: [UserDef; 4] = [
    (
        "md5des",
        Some((AuthProtocol::Md5, "md5authpass")),
        Some((PrivProtocol::Des, "despriv123")),
    ),
    (
        "shaaes",
        Some((AuthProtocol::Sha1, "shaauthpass")),
        Some((PrivProtocol::Aes128, "aespriv123")),
    ),
    (
        "sha256aes256",
        Some((AuthProtocol::Sha256, "sha256authpass")),
        Some((PrivProtocol::Aes256, "aes256priv123")),
    ),
    ("shaonly", Some((AuthProtocol::Sha1, "shaonlypass")), None),
];

/// The endpoint every call shares, and the users' keys derived independently of the agent.
struct Fixture {
    endpoint: Endpoint,
    salts: SaltSource,
    users: Vec<UsmUser>,
}

/// The shared fixture, built on first use. Building it is set-up, not fuzzing: a failure here
/// is a broken harness and panics with the reason.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match build() {
        Ok(f) => f,
        Err(e) => panic!("the fuzz harness's endpoint cannot be built: {e}"),
    })
}

fn build() -> Result<Fixture, String> {
    let config = FileConfig::parse(CONFIG, "fuzz").map_err(|e| e.to_string())?;
    let specs = config.validate("fuzz").map_err(|e| e.to_string())?;
    let clock = Arc::new(ManualClock::default());
    let mut devices = Vec::new();
    for (spec, _) in specs {
        let spec = DeviceSpec {
            state_dir: None,
            ..spec
        };
        devices.push(Arc::new(
            Device::start(spec, clock.clone()).map_err(|e| e.to_string())?,
        ));
    }
    let endpoint = Endpoint::new(
        "127.0.0.1:1161"
            .parse()
            .map_err(|_| "address".to_string())?,
        devices,
    )
    .map_err(|e| e.to_string())?;
    if endpoint.primary().engine().id().as_ref() != ENGINE_ID {
        return Err("the primary's engine ID is not the configured one".into());
    }
    let cache = MasterKeyCache::default();
    let mut users = Vec::new();
    for (name, auth, privacy) in USERS {
        let auth_pw = auth.map(|(p, pw)| (p, Password::from(pw)));
        let priv_pw = privacy.map(|(p, pw)| (p, Password::from(pw)));
        let user = UsmUser::localize(
            name.as_bytes(),
            auth_pw.as_ref().map(|(p, pw)| (*p, pw)),
            priv_pw.as_ref().map(|(p, pw)| (*p, pw)),
            &ENGINE_ID,
            &cache,
        )
        .map_err(|e| e.to_string())?;
        users.push(user);
    }
    Ok(Fixture {
        endpoint,
        salts: SaltSource::new(),
        users,
    })
}

/// The whole agent path, `pdusim::dispatch::handle_datagram`, on the shared in-process endpoint
/// (a PX2 with communities `public`/`private` and v3 users `noauth`, `md5des` (MD5/DES),
/// `shaaes` (SHA/AES), `sha256aes256` (SHA-256/AES-256), `shaonly` (SHA, no privacy); an APC
/// rPDU behind community `apc-rw` and context `apc`; a manual clock; no state folder).
///
/// Invariants: handling never panics; every answer decodes with `snmp_proto::decode_message`;
/// a v3 answer whose msgFlags claim authentication names a configured user, carries that user's
/// MAC (`authenticate`) and, when it claims privacy, decrypts (`decrypt`) to a ScopedPDU that
/// decodes. A v3 answer is never flagged privacy without authentication.
///
/// The endpoint's state (outlets, counters) carries over from call to call, as on a real agent.
pub fn handle_datagram(data: &[u8]) {
    run(fixture(), data);
}

fn run(f: &Fixture, datagram: &[u8]) {
    let mut buffers = Buffers::default();
    if pdusim::dispatch::handle_datagram(&f.endpoint, &f.salts, datagram, &mut buffers).is_none() {
        return;
    }
    check_answer(f, &buffers.out);
}

/// The invariants every answer of the agent must meet (see [`handle_datagram`]).
fn check_answer(f: &Fixture, answer: &[u8]) {
    let message = match snmp_proto::decode_message(answer) {
        Ok(m) => m,
        Err(e) => panic!("the agent's answer does not decode: {e}; answer {answer:02x?}"),
    };
    let Message::V3(v3) = message else {
        return;
    };
    let auth = v3.msg_flags & FLAG_AUTH != 0;
    let privacy = v3.msg_flags & FLAG_PRIV != 0;
    assert!(
        auth || !privacy,
        "the agent flagged an answer priv without auth: flags {:#04x}",
        v3.msg_flags
    );
    if !auth {
        assert!(
            matches!(v3.data, ScopedPduData::Plaintext(_)),
            "an unauthenticated answer carries an encryptedPDU"
        );
        return;
    }
    let Some(user) = f.users.iter().find(|u| u.name == v3.usm.user_name) else {
        panic!(
            "the agent authenticated an answer for a user without keys: {:?}",
            String::from_utf8_lossy(v3.usm.user_name)
        );
    };
    assert!(
        authenticate(user, answer, &v3),
        "the agent's answer does not authenticate with {:?}'s key",
        String::from_utf8_lossy(&user.name)
    );
    if privacy {
        let plaintext = match decrypt(user, &v3) {
            Ok(p) => p,
            Err(e) => panic!("the agent's encrypted answer does not decrypt: {e}"),
        };
        if let Err(e) = decode_scoped_pdu(&plaintext) {
            panic!("the agent's decrypted answer is no ScopedPDU: {e}");
        }
    } else {
        assert!(
            matches!(v3.data, ScopedPduData::Plaintext(_)),
            "an answer flagged without privacy carries an encryptedPDU"
        );
    }
}

/// A real authenticated SNMPv3 request built from `data`, so fuzzing reaches the agent and MIB
/// code behind the MAC check.
///
/// The first byte picks the user (`md5des`, `shaaes`, `sha256aes256` at authPriv; `shaonly` at
/// authNoPriv), the second the contextName (`""`, `lab`, `apc`, `nope`) and whether the rest is
/// tried as a serialized ScopedPDU (`snmp_proto::decode_scoped_pdu`; its PDU and contextName are
/// used). Otherwise the rest drives a PDU: type, request-id, GetBulk fields, and varbinds under
/// the system, snmp, engine, USM, PX2 and APC subtrees with values of every SMI type. The
/// message is protected with `snmp_proto::usm::protect::protect` under the endpoint's engine
/// ID, boots and time and handed to the agent; the answer meets the invariants of
/// [`handle_datagram`].
pub fn authenticated_path(data: &[u8]) {
    let f = fixture();
    let mut bytes = Bytes(data);
    let Some(user) = f.users.get(usize::from(bytes.byte() % 4)) else {
        return;
    };
    let choice = bytes.byte();
    let mut context: &[u8] = [b"".as_slice(), b"lab", b"apc", b"nope"]
        .get(usize::from(choice % 4))
        .copied()
        .unwrap_or_default();
    let decoded = if choice & 0x80 != 0 {
        decode_scoped_pdu(bytes.0).ok()
    } else {
        None
    };
    let pdu = match decoded {
        Some(scoped) => {
            context = scoped.context_name;
            scoped.pdu
        }
        None => pdu_from(&mut bytes),
    };
    let engine = &f.endpoint.primary().engine();
    let how = OutgoingMessage {
        msg_id: pdu.request_id & 0x7fff_ffff,
        msg_max_size: 65507,
        reportable: true,
        level: user.key_level(),
        user: Some(user),
        user_name: &user.name,
        engine_id: &ENGINE_ID,
        engine_boots: engine.boots(),
        engine_time: engine.time(),
        context_engine_id: &ENGINE_ID,
        context_name: context,
        salt: 0x0102_0304_0506_0708,
    };
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    protect(&mut out, &mut scratch, &how, &pdu);
    run(f, &out);
}

/// Fuzz bytes read front to back; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
}

/// Subtrees the varbinds are drawn under: what the agent serves, and some it does not.
const PREFIXES: [&[u32]; 12] = [
    &[1, 3, 6, 1, 2, 1, 1],
    &[1, 3, 6, 1, 2, 1, 11],
    &[1, 3, 6, 1, 6, 3, 10, 2, 1],
    &[1, 3, 6, 1, 6, 3, 11, 2, 1],
    &[1, 3, 6, 1, 6, 3, 12, 1],
    &[1, 3, 6, 1, 6, 3, 15, 1, 1],
    &[1, 3, 6, 1, 4, 1, 13742, 6],
    &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12],
    &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 4],
    &[1, 3, 6, 1],
    &[],
];

const PDU_TYPES: [PduType; 9] = [
    PduType::GetRequest,
    PduType::GetNextRequest,
    PduType::GetBulkRequest,
    PduType::SetRequest,
    PduType::GetRequest,
    PduType::SetRequest,
    PduType::InformRequest,
    PduType::Response,
    PduType::SnmpV2Trap,
];

fn pdu_from(bytes: &mut Bytes<'_>) -> Pdu<'static> {
    let pdu_type = PDU_TYPES
        .get(usize::from(bytes.byte() % 9))
        .copied()
        .unwrap_or(PduType::GetRequest);
    let request_id = i32::from_be_bytes(bytes.u32().to_be_bytes());
    let (error_status, error_index) = if pdu_type == PduType::GetBulkRequest {
        let flags = bytes.byte();
        if flags & 0x80 != 0 {
            (
                i32::from_be_bytes(bytes.u32().to_be_bytes()),
                i32::from_be_bytes(bytes.u32().to_be_bytes()),
            )
        } else {
            (i32::from(flags % 4), i32::from(bytes.byte() % 64))
        }
    } else {
        (0, 0)
    };
    let count = bytes.byte() % 8;
    let mut varbinds = Vec::new();
    for _ in 0..count {
        let prefix = PREFIXES
            .get(usize::from(bytes.byte() % 12))
            .copied()
            .unwrap_or_default();
        let mut arcs = prefix.to_vec();
        let extra = bytes.byte();
        for _ in 0..extra % 6 {
            let b = bytes.byte();
            arcs.push(if b == 0xff {
                bytes.u32()
            } else {
                u32::from(b % 32)
            });
        }
        let value = if pdu_type == PduType::SetRequest || extra & 0x80 != 0 {
            value_from(bytes)
        } else {
            Value::Null
        };
        varbinds.push(VarBind {
            oid: Oid(arcs),
            value,
        });
    }
    Pdu {
        pdu_type,
        request_id,
        error_status,
        error_index,
        varbinds,
        trap_v1: None,
    }
}

fn value_from(bytes: &mut Bytes<'_>) -> Value<'static> {
    let kind = bytes.byte();
    match kind % 14 {
        0 => Value::Integer(i32::from(kind >> 4)),
        1 => Value::Integer(i32::from_be_bytes(bytes.u32().to_be_bytes())),
        2 => {
            let n = usize::from(bytes.byte() % 48);
            Value::OctetString(Cow::Owned(bytes.take(n).to_vec()))
        }
        3 => Value::ObjectId(Oid(vec![1, 3, 6, 1, bytes.u32()])),
        4 => Value::Null,
        5 => Value::IpAddress(bytes.u32().to_be_bytes()),
        6 => Value::Counter32(bytes.u32()),
        7 => Value::Gauge32(bytes.u32()),
        8 => Value::TimeTicks(bytes.u32()),
        9 => {
            let n = usize::from(bytes.byte() % 16);
            Value::Opaque(Cow::Owned(bytes.take(n).to_vec()))
        }
        10 => Value::Counter64(u64::from(bytes.u32()) << 32 | u64::from(bytes.u32())),
        11 => Value::NoSuchObject,
        12 => Value::NoSuchInstance,
        _ => Value::EndOfMibView,
    }
}
