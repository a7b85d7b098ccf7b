//! One client's side of the protocol: it encodes requests and judges replies. No sockets here,
//! so every check can be tested on bytes.
//!
//! A [`Session`] owns its request-id (and, for v3, msgID) space, so replies to another worker's
//! requests, or late replies to its own timed-out ones, are told apart from the one awaited.
//! SNMPv3 sessions learn the agent's engine (ID, boots, time) once, by discovery, then derive
//! engine time locally from the elapsed time.

use std::sync::Arc;
use std::time::Instant;

use snmp_proto::report::{ReportReason, UsmFailure};
use snmp_proto::usm::protect::{authenticate, decrypt, protect, OutgoingMessage};
use snmp_proto::usm::{SecurityLevel, UsmUser};
use snmp_proto::{
    decode_message, decode_scoped_pdu, encode_community_message, Message, Oid, Pdu, PduType,
    ScopedPduData, V3Message, Value, VarBind, Version, FLAG_AUTH, FLAG_PRIV,
};

use super::outcome::{report_name, ErrorKind};

/// msgMaxSize sent in every request: the largest UDP payload over IPv4, as net-snmp sends.
const MSG_MAX_SIZE: i32 = 65507;

/// Which request to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// GetRequest (RFC 3416 §4.2.1).
    Get,
    /// GetNextRequest (RFC 3416 §4.2.2).
    GetNext,
    /// GetBulkRequest (RFC 3416 §4.2.3), with non-repeaters 0.
    GetBulk {
        /// max-repetitions: rows asked for after each OID (0 or more).
        max_repetitions: i32,
    },
    /// SetRequest (RFC 3416 §4.2.5) of [`RequestSpec::set_value`] to every OID.
    Set,
}

impl Operation {
    /// As `--op` spells it: `get`, `getnext`, `getbulk`, `set`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Get => "get",
            Operation::GetNext => "getnext",
            Operation::GetBulk { .. } => "getbulk",
            Operation::Set => "set",
        }
    }
}

/// What every request of a run asks for.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// The PDU type.
    pub operation: Operation,
    /// The varbind names, in order (empty for discovery).
    pub oids: Vec<Oid>,
    /// The value written to every OID (SET only).
    pub set_value: Option<Value<'static>>,
}

impl RequestSpec {
    /// The PDU to send, with request-id 0 (set per request).
    pub fn pdu(&self) -> Pdu<'static> {
        let value = match (self.operation, &self.set_value) {
            (Operation::Set, Some(v)) => v.clone(),
            _ => Value::Null,
        };
        let (pdu_type, error_status, error_index) = match self.operation {
            Operation::Get => (PduType::GetRequest, 0, 0),
            Operation::GetNext => (PduType::GetNextRequest, 0, 0),
            // non-repeaters 0, max-repetitions N.
            Operation::GetBulk { max_repetitions } => (PduType::GetBulkRequest, 0, max_repetitions),
            Operation::Set => (PduType::SetRequest, 0, 0),
        };
        Pdu {
            pdu_type,
            request_id: 0,
            error_status,
            error_index,
            varbinds: self
                .oids
                .iter()
                .map(|oid| VarBind {
                    oid: oid.clone(),
                    value: value.clone(),
                })
                .collect(),
            trap_v1: None,
        }
    }

    /// Checks a Response PDU's varbinds against what was asked.
    pub fn check_varbinds(&self, varbinds: &[VarBind<'_>]) -> Result<(), ErrorKind> {
        match self.operation {
            Operation::Get | Operation::Set => {
                if varbinds.len() != self.oids.len() {
                    return Err(ErrorKind::WrongVarbinds);
                }
                for (vb, oid) in varbinds.iter().zip(&self.oids) {
                    if vb.oid != *oid {
                        return Err(ErrorKind::WrongVarbinds);
                    }
                    check_value(&vb.value)?;
                }
            }
            Operation::GetNext => {
                if varbinds.len() != self.oids.len() {
                    return Err(ErrorKind::WrongVarbinds);
                }
                for (vb, oid) in varbinds.iter().zip(&self.oids) {
                    // endOfMibView keeps the requested name; anything else must be past it.
                    let past = vb.oid > *oid || vb.value == Value::EndOfMibView;
                    if !past {
                        return Err(ErrorKind::WrongVarbinds);
                    }
                }
            }
            Operation::GetBulk { max_repetitions } => {
                let limit = self.oids.len() * usize::try_from(max_repetitions.max(1)).unwrap_or(1);
                if varbinds.is_empty() && !self.oids.is_empty() && max_repetitions > 0 {
                    return Err(ErrorKind::WrongVarbinds);
                }
                if varbinds.len() > limit {
                    return Err(ErrorKind::WrongVarbinds);
                }
                // Each repetition's names increase column by column.
                let width = self.oids.len().max(1);
                for (i, vb) in varbinds.iter().enumerate() {
                    let previous = match i.checked_sub(width) {
                        Some(p) => varbinds.get(p).map(|p| &p.oid),
                        None => self.oids.get(i),
                    };
                    if let Some(prev) = previous {
                        if vb.oid <= *prev && vb.value != Value::EndOfMibView {
                            return Err(ErrorKind::WrongVarbinds);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A GET or SET answered with an exception instead of a value is not a working read.
fn check_value(value: &Value<'_>) -> Result<(), ErrorKind> {
    match value {
        Value::NoSuchObject => Err(ErrorKind::NoSuchObject),
        Value::NoSuchInstance => Err(ErrorKind::NoSuchInstance),
        Value::EndOfMibView => Err(ErrorKind::EndOfMibView),
        _ => Ok(()),
    }
}

/// The agent's engine as last learned: its ID, and boots/time at a moment of ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineView {
    /// The agent's snmpEngineID (msgAuthoritativeEngineID).
    pub engine_id: Vec<u8>,
    /// snmpEngineBoots, as last learned.
    pub boots: i32,
    /// snmpEngineTime in seconds, as it was at `learned_at`.
    pub time: i32,
    /// When `boots` and `time` were learned, by our monotonic clock.
    pub learned_at: Instant,
}

impl EngineView {
    /// snmpEngineTime now, by the agent's clock as we estimate it.
    fn time_now(&self) -> i32 {
        let elapsed = i32::try_from(self.learned_at.elapsed().as_secs()).unwrap_or(i32::MAX);
        self.time.saturating_add(elapsed)
    }
}

/// How a session speaks.
#[derive(Clone)]
pub enum Security {
    /// SNMPv1 or v2c with a community string.
    Community {
        /// `V1` or `V2c`.
        version: Version,
        /// The community, as bytes.
        community: Vec<u8>,
    },
    /// SNMPv3 with USM; requests go out at the level the keys allow.
    Usm {
        /// The user's keys, localized to the agent's engine (shared: localizing is costly).
        keys: Arc<UsmUser>,
        /// contextName of every ScopedPDU.
        context: Vec<u8>,
    },
}

/// What a sent request expects back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The request-id sent (also the msgID, for SNMPv3).
    pub request_id: i32,
}

/// What a received datagram is, for the request awaited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The answer, and a good one.
    Ok,
    /// The answer, and an error (the request is over).
    Failed(ErrorKind),
    /// An answer to one of our earlier requests (already given up on): ignore, keep waiting.
    Late,
    /// Not an answer to this request and not a late one: count it, keep waiting.
    Stray(ErrorKind),
}

/// One client: its security, its id space and (v3) what it knows of the agent's engine.
pub struct Session {
    /// How requests are protected.
    pub security: Security,
    /// The agent's engine (SNMPv3): set by discovery, by the caller, or refreshed by an
    /// authentic usmStatsNotInTimeWindows Report; `None` before discovery.
    pub engine: Option<EngineView>,
    /// The first request-id/msgID this session uses.
    first_id: i32,
    next_id: i32,
    salt: u64,
    /// The request PDU, reused with a new request-id each time.
    pdu: Pdu<'static>,
    scratch: Vec<u8>,
}

/// Each worker gets its own block of ids, so replies cannot be taken for another's.
const IDS_PER_SESSION: i32 = 1 << 22;

impl Session {
    /// `index` picks this session's id block (0..511) and salt start.
    pub fn new(security: Security, spec: &RequestSpec, index: u32, salt_seed: u64) -> Session {
        let first_id = ((index % 511) as i32 + 1) * IDS_PER_SESSION;
        Session {
            security,
            engine: None,
            first_id,
            next_id: first_id,
            salt: salt_seed,
            pdu: spec.pdu(),
            scratch: Vec::with_capacity(512),
        }
    }

    fn take_id(&mut self) -> i32 {
        let id = self.next_id;
        self.next_id += 1;
        if self.next_id >= self.first_id + IDS_PER_SESSION {
            self.next_id = self.first_id;
        }
        id
    }

    /// Was `id` handed out by this session before the one awaited?
    fn is_earlier(&self, id: i32, awaited: i32) -> bool {
        id >= self.first_id && id < self.next_id && id != awaited
    }

    /// Encodes the next request into `out` (cleared first).
    pub fn encode_request(&mut self, out: &mut Vec<u8>) -> Pending {
        let id = self.take_id();
        self.pdu.request_id = id;
        out.clear();
        match &self.security {
            Security::Community { version, community } => {
                encode_community_message(out, *version, community, &self.pdu);
            }
            Security::Usm { keys, context } => {
                let (engine_id, boots, time) = match &self.engine {
                    Some(e) => (&e.engine_id[..], e.boots, e.time_now()),
                    None => (&[][..], 0, 0),
                };
                self.salt = self.salt.wrapping_add(1);
                let how = OutgoingMessage {
                    msg_id: id,
                    msg_max_size: MSG_MAX_SIZE,
                    reportable: true,
                    level: keys.key_level(),
                    user: Some(keys),
                    user_name: &keys.name,
                    engine_id,
                    engine_boots: boots,
                    engine_time: time,
                    context_engine_id: engine_id,
                    context_name: context,
                    salt: self.salt,
                };
                protect(out, &mut self.scratch, &how, &self.pdu);
            }
        }
        Pending { request_id: id }
    }

    /// Encodes an engine discovery probe (RFC 3414 §4): noAuthNoPriv, empty engine ID and
    /// user, no varbinds. The agent answers with a usmStatsUnknownEngineIDs Report.
    pub fn encode_discovery(&mut self, out: &mut Vec<u8>) -> Pending {
        let id = self.take_id();
        let pdu = Pdu {
            pdu_type: PduType::GetRequest,
            request_id: id,
            error_status: 0,
            error_index: 0,
            varbinds: Vec::new(),
            trap_v1: None,
        };
        let how = OutgoingMessage {
            msg_id: id,
            msg_max_size: MSG_MAX_SIZE,
            reportable: true,
            level: SecurityLevel::NoAuthNoPriv,
            user: None,
            user_name: &[],
            engine_id: &[],
            engine_boots: 0,
            engine_time: 0,
            context_engine_id: &[],
            context_name: &[],
            salt: 0,
        };
        protect(out, &mut self.scratch, &how, &pdu);
        Pending { request_id: id }
    }

    /// Reads the engine from a discovery Report. `Err` says what was wrong with the reply.
    pub fn learn_engine(
        &mut self,
        pending: Pending,
        datagram: &[u8],
    ) -> Result<EngineView, ErrorKind> {
        let Ok(Message::V3(m)) = decode_message(datagram) else {
            return Err(ErrorKind::Decode);
        };
        if m.msg_id != pending.request_id {
            return Err(ErrorKind::Mismatched);
        }
        if m.usm.engine_id.is_empty() {
            return Err(ErrorKind::WrongVarbinds);
        }
        let view = EngineView {
            engine_id: m.usm.engine_id.to_vec(),
            boots: m.usm.engine_boots,
            time: m.usm.engine_time,
            learned_at: Instant::now(),
        };
        self.engine = Some(view.clone());
        Ok(view)
    }

    /// Judges a datagram received while waiting for `pending`.
    pub fn check_reply(
        &mut self,
        pending: Pending,
        spec: &RequestSpec,
        datagram: &[u8],
    ) -> Verdict {
        let message = match decode_message(datagram) {
            Ok(m) => m,
            Err(_) => return Verdict::Failed(ErrorKind::Decode),
        };
        match (message, &self.security) {
            (Message::Community(m), Security::Community { version, community }) => {
                if m.version != *version || m.community != &community[..] {
                    return Verdict::Stray(ErrorKind::Mismatched);
                }
                self.check_pdu(pending, spec, &m.pdu)
            }
            (Message::V3(m), Security::Usm { .. }) => self.check_v3(pending, spec, datagram, m),
            _ => Verdict::Stray(ErrorKind::Mismatched),
        }
    }

    fn check_pdu(&self, pending: Pending, spec: &RequestSpec, pdu: &Pdu<'_>) -> Verdict {
        if pdu.request_id != pending.request_id {
            return if self.is_earlier(pdu.request_id, pending.request_id) {
                Verdict::Late
            } else {
                Verdict::Stray(ErrorKind::Mismatched)
            };
        }
        match pdu.pdu_type {
            PduType::Response => {}
            PduType::Report => {
                let name = pdu
                    .varbinds
                    .first()
                    .map_or("(empty Report)", |vb| report_name(&vb.oid));
                return Verdict::Failed(ErrorKind::Report(name));
            }
            _ => return Verdict::Failed(ErrorKind::UnexpectedPdu),
        }
        if pdu.error_status != 0 {
            return Verdict::Failed(ErrorKind::ErrorStatus(pdu.error_status));
        }
        match spec.check_varbinds(&pdu.varbinds) {
            Ok(()) => Verdict::Ok,
            Err(kind) => Verdict::Failed(kind),
        }
    }

    fn check_v3(
        &mut self,
        pending: Pending,
        spec: &RequestSpec,
        datagram: &[u8],
        m: V3Message<'_>,
    ) -> Verdict {
        let Security::Usm { keys, context } = &self.security else {
            return Verdict::Stray(ErrorKind::Mismatched);
        };
        if m.msg_id != pending.request_id {
            return if self.is_earlier(m.msg_id, pending.request_id) {
                Verdict::Late
            } else {
                Verdict::Stray(ErrorKind::Mismatched)
            };
        }
        if m.msg_security_model != 3 {
            return Verdict::Failed(ErrorKind::Mismatched);
        }
        let authenticated = m.msg_flags & FLAG_AUTH != 0;
        // A Report may come at a lower level (RFC 3412 §7.1 step 3): read it, and trust the
        // engine boots/time it carries only when it is authentic.
        if authenticated {
            if keys.auth.is_none() {
                return Verdict::Failed(ErrorKind::Mismatched);
            }
            if !authenticate(keys, datagram, &m) {
                return Verdict::Failed(ErrorKind::BadDigest);
            }
        }
        if m.usm.user_name != &keys.name[..] {
            return Verdict::Failed(ErrorKind::Mismatched);
        }
        let plain;
        let scoped = match &m.data {
            ScopedPduData::Plaintext(s) => s.clone(),
            ScopedPduData::Encrypted(_) => {
                if keys.privacy.is_none() || m.msg_flags & FLAG_PRIV == 0 {
                    return Verdict::Failed(ErrorKind::Mismatched);
                }
                plain = match decrypt(keys, &m) {
                    Ok(p) => p,
                    Err(_) => return Verdict::Failed(ErrorKind::Decryption),
                };
                match decode_scoped_pdu(&plain) {
                    Ok(s) => s,
                    Err(_) => return Verdict::Failed(ErrorKind::Decryption),
                }
            }
        };
        if scoped.pdu.pdu_type == PduType::Report {
            let counter = scoped.pdu.varbinds.first().map(|vb| &vb.oid);
            // notInTimeWindow, authentic: the agent's clock is in its USM parameters.
            if authenticated
                && counter.and_then(|oid| ReportReason::from_oid(oid.arcs()))
                    == Some(ReportReason::Usm(UsmFailure::NotInTimeWindow))
            {
                if let Some(engine) = &mut self.engine {
                    engine.boots = m.usm.engine_boots;
                    engine.time = m.usm.engine_time;
                    engine.learned_at = Instant::now();
                }
            }
            return Verdict::Failed(ErrorKind::Report(
                counter.map_or("(empty Report)", report_name),
            ));
        }
        // A Response must come at the level of the request, from the engine we talk to.
        if m.msg_flags & (FLAG_AUTH | FLAG_PRIV) != keys.key_level().flags() {
            return Verdict::Failed(ErrorKind::Mismatched);
        }
        if let Some(engine) = &self.engine {
            if m.usm.engine_id != &engine.engine_id[..] || scoped.context_name != &context[..] {
                return Verdict::Failed(ErrorKind::Mismatched);
            }
        }
        self.check_pdu(pending, spec, &scoped.pdu)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use snmp_proto::usm::{AuthProtocol, MasterKeyCache, Password, PrivProtocol};
    use snmp_proto::{ErrorStatus, FLAG_REPORTABLE};
    use std::borrow::Cow;

    const ENGINE: &[u8] = b"\x80\x00\x1f\x88\x80test-engine";

    fn oid(s: &str) -> Oid {
        Oid::parse(s).unwrap()
    }

    fn get_spec(oids: &[&str]) -> RequestSpec {
        RequestSpec {
            operation: Operation::Get,
            oids: oids.iter().map(|o| oid(o)).collect(),
            set_value: None,
        }
    }

    fn v2c_session(spec: &RequestSpec) -> Session {
        Session::new(
            Security::Community {
                version: Version::V2c,
                community: b"public".to_vec(),
            },
            spec,
            0,
            1,
        )
    }

    fn user(auth_password: &str, priv_password: &str) -> UsmUser {
        UsmUser::localize(
            b"bench",
            Some((AuthProtocol::Sha1, &Password::from(auth_password))),
            Some((PrivProtocol::Aes128, &Password::from(priv_password))),
            ENGINE,
            &MasterKeyCache::default(),
        )
        .unwrap()
    }

    fn keys() -> Arc<UsmUser> {
        Arc::new(user("authpass123", "privpass123"))
    }

    fn v3_session(spec: &RequestSpec) -> Session {
        let mut s = Session::new(
            Security::Usm {
                keys: keys(),
                context: Vec::new(),
            },
            spec,
            3,
            99,
        );
        s.engine = Some(EngineView {
            engine_id: ENGINE.to_vec(),
            boots: 4,
            time: 1000,
            learned_at: Instant::now(),
        });
        s
    }

    fn response(request_id: i32, varbinds: Vec<VarBind<'static>>) -> Pdu<'static> {
        Pdu {
            pdu_type: PduType::Response,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds,
            trap_v1: None,
        }
    }

    fn vb(o: &str, value: Value<'static>) -> VarBind<'static> {
        VarBind { oid: oid(o), value }
    }

    /// What an agent would send: the request's PDU answered, protected with `keys` at `level`
    /// (with its engine's boots 4 and time 1000); `mac_ok: false` spoils the MAC.
    fn agent_reply(
        keys: &UsmUser,
        msg_id: i32,
        level: SecurityLevel,
        pdu: &Pdu<'_>,
        mac_ok: bool,
    ) -> Vec<u8> {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        let how = OutgoingMessage {
            msg_id,
            msg_max_size: 65507,
            reportable: false,
            level,
            user: Some(keys),
            user_name: &keys.name,
            engine_id: ENGINE,
            engine_boots: 4,
            engine_time: 1000,
            context_engine_id: ENGINE,
            context_name: b"",
            salt: 0xabcdef,
        };
        assert_eq!(
            how.effective_level(),
            level,
            "the keys do not allow {level}"
        );
        protect(&mut out, &mut scratch, &how, pdu);
        if !mac_ok {
            let Message::V3(m) = decode_message(&out).unwrap() else {
                panic!("not v3")
            };
            assert!(!m.usm.auth_params.is_empty(), "no MAC to spoil");
            let at = m.auth_params_offset;
            out[at] ^= 1;
        }
        out
    }

    #[test]
    fn v2c_request_round_trips_and_good_reply_is_ok() {
        let spec = get_spec(&["1.3.6.1.2.1.1.1.0"]);
        let mut s = v2c_session(&spec);
        let mut out = Vec::new();
        let pending = s.encode_request(&mut out);
        let Message::Community(req) = decode_message(&out).unwrap() else {
            panic!("not a community message")
        };
        assert_eq!(req.pdu.request_id, pending.request_id);
        assert_eq!(req.pdu.pdu_type, PduType::GetRequest);
        assert_eq!(req.community, b"public");

        let mut reply = Vec::new();
        let pdu = response(
            pending.request_id,
            vec![vb("1.3.6.1.2.1.1.1.0", Value::octets("PX2"))],
        );
        encode_community_message(&mut reply, Version::V2c, b"public", &pdu);
        assert_eq!(s.check_reply(pending, &spec, &reply), Verdict::Ok);
    }

    #[test]
    fn v2c_reply_problems_are_named() {
        let spec = get_spec(&["1.3.6.1.2.1.1.1.0"]);
        let mut s = v2c_session(&spec);
        let mut out = Vec::new();
        let earlier = s.encode_request(&mut out);
        let pending = s.encode_request(&mut out);
        let encode = |pdu: &Pdu<'_>, community: &[u8]| {
            let mut reply = Vec::new();
            encode_community_message(&mut reply, Version::V2c, community, pdu);
            reply
        };
        let good_vbs = vec![vb("1.3.6.1.2.1.1.1.0", Value::octets("PX2"))];

        let late = encode(&response(earlier.request_id, good_vbs.clone()), b"public");
        assert_eq!(s.check_reply(pending, &spec, &late), Verdict::Late);

        let foreign = encode(&response(7, good_vbs.clone()), b"public");
        assert_eq!(
            s.check_reply(pending, &spec, &foreign),
            Verdict::Stray(ErrorKind::Mismatched)
        );

        let other_community = encode(&response(pending.request_id, good_vbs.clone()), b"x");
        assert_eq!(
            s.check_reply(pending, &spec, &other_community),
            Verdict::Stray(ErrorKind::Mismatched)
        );

        let mut err = response(pending.request_id, good_vbs.clone());
        err.error_status = ErrorStatus::NoSuchName as i32;
        assert_eq!(
            s.check_reply(pending, &spec, &encode(&err, b"public")),
            Verdict::Failed(ErrorKind::ErrorStatus(2))
        );

        let missing = response(
            pending.request_id,
            vec![vb("1.3.6.1.2.1.1.1.0", Value::NoSuchObject)],
        );
        assert_eq!(
            s.check_reply(pending, &spec, &encode(&missing, b"public")),
            Verdict::Failed(ErrorKind::NoSuchObject)
        );

        let wrong_oid = response(
            pending.request_id,
            vec![vb("1.3.6.1.2.1.1.2.0", Value::Integer(1))],
        );
        assert_eq!(
            s.check_reply(pending, &spec, &encode(&wrong_oid, b"public")),
            Verdict::Failed(ErrorKind::WrongVarbinds)
        );

        assert_eq!(
            s.check_reply(pending, &spec, b"\x30\x03\x02\x01"),
            Verdict::Failed(ErrorKind::Decode)
        );
    }

    #[test]
    fn v3_authpriv_request_is_authentic_and_decrypts() {
        let spec = get_spec(&["1.3.6.1.2.1.1.5.0"]);
        let mut s = v3_session(&spec);
        let mut out = Vec::new();
        let pending = s.encode_request(&mut out);
        let Message::V3(m) = decode_message(&out).unwrap() else {
            panic!("not v3")
        };
        assert_eq!(m.msg_id, pending.request_id);
        assert_eq!(m.msg_flags, FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE);
        assert_eq!(m.usm.engine_id, ENGINE);
        assert_eq!(m.usm.engine_boots, 4);
        let k = keys();
        assert!(authenticate(&k, &out, &m));
        assert!(!authenticate(
            &user("another-pass", "privpass123"),
            &out,
            &m
        ));
        assert!(matches!(m.data, ScopedPduData::Encrypted(_)));
        let plain = decrypt(&k, &m).unwrap();
        let scoped = decode_scoped_pdu(&plain).unwrap();
        assert_eq!(scoped.pdu.request_id, pending.request_id);
        assert_eq!(scoped.pdu.varbinds.len(), 1);
    }

    #[test]
    fn v3_reply_checks() {
        let spec = get_spec(&["1.3.6.1.2.1.1.5.0"]);
        let mut s = v3_session(&spec);
        let k = keys();
        let mut out = Vec::new();
        let earlier = s.encode_request(&mut out);
        let pending = s.encode_request(&mut out);
        let good = response(
            pending.request_id,
            vec![vb(
                "1.3.6.1.2.1.1.5.0",
                Value::OctetString(Cow::Borrowed(b"pdu")),
            )],
        );
        let authpriv = SecurityLevel::AuthPriv;
        let id = pending.request_id;

        let ok = agent_reply(&k, id, authpriv, &good, true);
        assert_eq!(s.check_reply(pending, &spec, &ok), Verdict::Ok);

        let bad_mac = agent_reply(&k, id, authpriv, &good, false);
        assert_eq!(
            s.check_reply(pending, &spec, &bad_mac),
            Verdict::Failed(ErrorKind::BadDigest)
        );

        // A response at a lower level than asked is not accepted.
        let downgraded = agent_reply(&k, id, SecurityLevel::AuthNoPriv, &good, true);
        assert_eq!(
            s.check_reply(pending, &spec, &downgraded),
            Verdict::Failed(ErrorKind::Mismatched)
        );

        let other_id = agent_reply(&k, id + 5, authpriv, &good, true);
        assert_eq!(
            s.check_reply(pending, &spec, &other_id),
            Verdict::Stray(ErrorKind::Mismatched)
        );
        let late = agent_reply(&k, earlier.request_id, authpriv, &good, true);
        assert_eq!(s.check_reply(pending, &spec, &late), Verdict::Late);

        // msgID right but request-id inside wrong.
        let mut inner = good.clone();
        inner.request_id = 12;
        let inner_wrong = agent_reply(&k, id, authpriv, &inner, true);
        assert_eq!(
            s.check_reply(pending, &spec, &inner_wrong),
            Verdict::Stray(ErrorKind::Mismatched)
        );

        // Undecryptable body.
        let mut garbled = ok.clone();
        let n = garbled.len();
        garbled[n - 3] ^= 0xff;
        let verdict = s.check_reply(pending, &spec, &garbled);
        assert_eq!(verdict, Verdict::Failed(ErrorKind::BadDigest));

        // Authentic, but encrypted with another privacy key.
        let other_priv = user("authpass123", "another-priv");
        let undecryptable = agent_reply(&other_priv, id, authpriv, &good, true);
        assert_eq!(
            s.check_reply(pending, &spec, &undecryptable),
            Verdict::Failed(ErrorKind::Decryption)
        );

        // Authentic, but from a user without privacy: not the level asked for.
        let auth_only = UsmUser::localize(
            b"bench",
            Some((AuthProtocol::Sha1, &Password::from("authpass123"))),
            None,
            ENGINE,
            &MasterKeyCache::default(),
        )
        .unwrap();
        let reply = agent_reply(&auth_only, id, SecurityLevel::AuthNoPriv, &good, true);
        assert_eq!(
            s.check_reply(pending, &spec, &reply),
            Verdict::Failed(ErrorKind::Mismatched)
        );
    }

    #[test]
    fn authentic_not_in_time_window_report_resyncs_the_clock() {
        let spec = get_spec(&["1.3.6.1.2.1.1.5.0"]);
        let mut s = v3_session(&spec);
        s.engine.as_mut().unwrap().boots = 1;
        let k = keys();
        let mut out = Vec::new();
        let pending = s.encode_request(&mut out);
        let report = Pdu {
            pdu_type: PduType::Report,
            ..response(
                pending.request_id,
                vec![vb("1.3.6.1.6.3.15.1.1.2.0", Value::Counter32(1))],
            )
        };
        // Unauthenticated, its clock is not trusted.
        let unauthentic = agent_reply(
            &k,
            pending.request_id,
            SecurityLevel::NoAuthNoPriv,
            &report,
            true,
        );
        assert_eq!(
            s.check_reply(pending, &spec, &unauthentic),
            Verdict::Failed(ErrorKind::Report("usmStatsNotInTimeWindows"))
        );
        assert_eq!(s.engine.as_ref().unwrap().boots, 1);
        let reply = agent_reply(
            &k,
            pending.request_id,
            SecurityLevel::AuthNoPriv,
            &report,
            true,
        );
        assert_eq!(
            s.check_reply(pending, &spec, &reply),
            Verdict::Failed(ErrorKind::Report("usmStatsNotInTimeWindows"))
        );
        assert_eq!(s.engine.as_ref().unwrap().boots, 4);
        // The next request carries the agent's clock.
        let pending = s.encode_request(&mut out);
        let Message::V3(m) = decode_message(&out).unwrap() else {
            panic!("not v3")
        };
        assert_eq!(m.msg_id, pending.request_id);
        assert_eq!((m.usm.engine_boots, m.usm.engine_time), (4, 1000));
    }

    #[test]
    fn discovery_learns_the_engine() {
        let spec = get_spec(&["1.3.6.1.2.1.1.5.0"]);
        let mut s = Session::new(
            Security::Usm {
                keys: keys(),
                context: Vec::new(),
            },
            &spec,
            0,
            0,
        );
        let mut out = Vec::new();
        let pending = s.encode_discovery(&mut out);
        let Message::V3(m) = decode_message(&out).unwrap() else {
            panic!("not v3")
        };
        assert_eq!(m.msg_flags, FLAG_REPORTABLE);
        assert!(m.usm.engine_id.is_empty());

        let report = Pdu {
            pdu_type: PduType::Report,
            ..response(0, vec![vb("1.3.6.1.6.3.15.1.1.4.0", Value::Counter32(1))])
        };
        let noauth = UsmUser {
            name: Vec::new(),
            auth: None,
            privacy: None,
        };
        let reply = agent_reply(
            &noauth,
            pending.request_id,
            SecurityLevel::NoAuthNoPriv,
            &report,
            true,
        );
        let view = s.learn_engine(pending, &reply).unwrap();
        assert_eq!(view.engine_id, ENGINE);
        assert_eq!((view.boots, view.time), (4, 1000));
        assert_eq!(
            s.learn_engine(Pending { request_id: 1 }, &reply),
            Err(ErrorKind::Mismatched)
        );
    }

    #[test]
    fn getbulk_and_getnext_varbind_checks() {
        let bulk = RequestSpec {
            operation: Operation::GetBulk { max_repetitions: 3 },
            oids: vec![oid("1.3.6.1.2.1.1")],
            set_value: None,
        };
        let walk = vec![
            vb("1.3.6.1.2.1.1.1.0", Value::octets("a")),
            vb("1.3.6.1.2.1.1.2.0", Value::ObjectId(oid("1.3.6.1.4"))),
            vb("1.3.6.1.2.1.1.3.0", Value::TimeTicks(5)),
        ];
        assert_eq!(bulk.check_varbinds(&walk), Ok(()));
        assert_eq!(bulk.check_varbinds(&walk[..1]), Ok(()));
        assert_eq!(bulk.check_varbinds(&[]), Err(ErrorKind::WrongVarbinds));
        let mut too_many = walk.clone();
        too_many.push(vb("1.3.6.1.2.1.1.4.0", Value::octets("x")));
        assert_eq!(
            bulk.check_varbinds(&too_many),
            Err(ErrorKind::WrongVarbinds)
        );
        let backwards = vec![walk[1].clone(), walk[0].clone()];
        assert_eq!(
            bulk.check_varbinds(&backwards),
            Err(ErrorKind::WrongVarbinds)
        );

        let next = RequestSpec {
            operation: Operation::GetNext,
            oids: vec![oid("1.3.6.1.2.1.1.1.0")],
            set_value: None,
        };
        assert_eq!(next.check_varbinds(&walk[1..2]), Ok(()));
        assert_eq!(
            next.check_varbinds(&walk[..1]),
            Err(ErrorKind::WrongVarbinds)
        );
    }

    #[test]
    fn set_pdu_carries_the_value() {
        let spec = RequestSpec {
            operation: Operation::Set,
            oids: vec![oid("1.3.6.1.4.1.13742.6.4.1.2.1.2.1.1")],
            set_value: Some(Value::Integer(1)),
        };
        let pdu = spec.pdu();
        assert_eq!(pdu.pdu_type, PduType::SetRequest);
        assert_eq!(pdu.varbinds[0].value, Value::Integer(1));
        let bulk = RequestSpec {
            operation: Operation::GetBulk {
                max_repetitions: 24,
            },
            ..spec
        };
        let pdu = bulk.pdu();
        assert_eq!((pdu.error_status, pdu.error_index), (0, 24));
        assert_eq!(pdu.varbinds[0].value, Value::Null);
    }

    #[test]
    fn sessions_use_disjoint_ids() {
        let spec = get_spec(&["1.3.6.1.2.1.1.1.0"]);
        let mut a = v2c_session(&spec);
        let mut b = Session::new(a.security.clone(), &spec, 1, 0);
        let mut out = Vec::new();
        let ia = a.encode_request(&mut out).request_id;
        let ib = b.encode_request(&mut out).request_id;
        assert_ne!(ia, ib);
        assert!(!a.is_earlier(ib, ia + 1));
        assert!(a.is_earlier(ia, ia + 1));
    }
}
