//! The values the codec decodes to and encodes from: SMI types, varbinds, PDUs and messages.
//!
//! Decoded messages borrow from the datagram (`'a`): community, security parameters, context and
//! octet-string values are slices of the received bytes, not copies.

use std::borrow::Cow;
use std::fmt;

/// An OBJECT IDENTIFIER as its arcs. At most [`Oid::MAX_ARCS`] arcs (RFC 2578 allows 128).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(pub Vec<u32>);

impl Oid {
    pub const MAX_ARCS: usize = 128;

    pub fn new(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.0.starts_with(prefix)
    }
    /// A new OID with `suffix` appended.
    pub fn child(&self, suffix: &[u32]) -> Oid {
        let mut arcs = Vec::with_capacity(self.0.len() + suffix.len());
        arcs.extend_from_slice(&self.0);
        arcs.extend_from_slice(suffix);
        Oid(arcs)
    }
    /// Parses dotted notation, with or without a leading dot: `1.3.6.1` or `.1.3.6.1`.
    pub fn parse(text: &str) -> Option<Oid> {
        let text = text.strip_prefix('.').unwrap_or(text);
        if text.is_empty() {
            return None;
        }
        let arcs: Option<Vec<u32>> = text.split('.').map(|a| a.parse().ok()).collect();
        let arcs = arcs?;
        (arcs.len() <= Self::MAX_ARCS).then_some(Oid(arcs))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// A varbind value: every SMIv2 type, plus the v2 exceptions and NULL.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Value<'a> {
    Integer(i32),
    OctetString(Cow<'a, [u8]>),
    ObjectId(Oid),
    Null,
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Opaque(Cow<'a, [u8]>),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl Value<'_> {
    /// Copies any borrowed bytes so the value outlives the datagram.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::OctetString(s) => Value::OctetString(Cow::Owned(s.into_owned())),
            Value::Opaque(s) => Value::Opaque(Cow::Owned(s.into_owned())),
            Value::Integer(v) => Value::Integer(v),
            Value::ObjectId(o) => Value::ObjectId(o),
            Value::Null => Value::Null,
            Value::IpAddress(a) => Value::IpAddress(a),
            Value::Counter32(v) => Value::Counter32(v),
            Value::Gauge32(v) => Value::Gauge32(v),
            Value::TimeTicks(v) => Value::TimeTicks(v),
            Value::Counter64(v) => Value::Counter64(v),
            Value::NoSuchObject => Value::NoSuchObject,
            Value::NoSuchInstance => Value::NoSuchInstance,
            Value::EndOfMibView => Value::EndOfMibView,
        }
    }

    /// The SMI type's name, for error messages and logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "OCTET STRING",
            Value::ObjectId(_) => "OBJECT IDENTIFIER",
            Value::Null => "NULL",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "TimeTicks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::NoSuchObject => "noSuchObject",
            Value::NoSuchInstance => "noSuchInstance",
            Value::EndOfMibView => "endOfMibView",
        }
    }

    pub fn octets(text: impl Into<Vec<u8>>) -> Value<'static> {
        Value::OctetString(Cow::Owned(text.into()))
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VarBind<'a> {
    pub oid: Oid,
    pub value: Value<'a>,
}

/// PDU tags (context-specific, constructed): RFC 3416 and RFC 1157.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PduType {
    GetRequest,     // 0xA0
    GetNextRequest, // 0xA1
    Response,       // 0xA2
    SetRequest,     // 0xA3
    TrapV1,         // 0xA4
    GetBulkRequest, // 0xA5
    InformRequest,  // 0xA6
    SnmpV2Trap,     // 0xA7
    Report,         // 0xA8
}

impl PduType {
    pub fn tag(self) -> u8 {
        match self {
            PduType::GetRequest => 0xA0,
            PduType::GetNextRequest => 0xA1,
            PduType::Response => 0xA2,
            PduType::SetRequest => 0xA3,
            PduType::TrapV1 => 0xA4,
            PduType::GetBulkRequest => 0xA5,
            PduType::InformRequest => 0xA6,
            PduType::SnmpV2Trap => 0xA7,
            PduType::Report => 0xA8,
        }
    }
    pub fn from_tag(tag: u8) -> Option<PduType> {
        Some(match tag {
            0xA0 => PduType::GetRequest,
            0xA1 => PduType::GetNextRequest,
            0xA2 => PduType::Response,
            0xA3 => PduType::SetRequest,
            0xA4 => PduType::TrapV1,
            0xA5 => PduType::GetBulkRequest,
            0xA6 => PduType::InformRequest,
            0xA7 => PduType::SnmpV2Trap,
            0xA8 => PduType::Report,
            _ => return None,
        })
    }
}

/// error-status values (RFC 3416 §3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum ErrorStatus {
    NoError = 0,
    TooBig = 1,
    NoSuchName = 2,
    BadValue = 3,
    ReadOnly = 4,
    GenErr = 5,
    NoAccess = 6,
    WrongType = 7,
    WrongLength = 8,
    WrongEncoding = 9,
    WrongValue = 10,
    NoCreation = 11,
    InconsistentValue = 12,
    ResourceUnavailable = 13,
    CommitFailed = 14,
    UndoFailed = 15,
    AuthorizationError = 16,
    NotWritable = 17,
    InconsistentName = 18,
}

impl ErrorStatus {
    pub const ALL: [ErrorStatus; 19] = [
        ErrorStatus::NoError,
        ErrorStatus::TooBig,
        ErrorStatus::NoSuchName,
        ErrorStatus::BadValue,
        ErrorStatus::ReadOnly,
        ErrorStatus::GenErr,
        ErrorStatus::NoAccess,
        ErrorStatus::WrongType,
        ErrorStatus::WrongLength,
        ErrorStatus::WrongEncoding,
        ErrorStatus::WrongValue,
        ErrorStatus::NoCreation,
        ErrorStatus::InconsistentValue,
        ErrorStatus::ResourceUnavailable,
        ErrorStatus::CommitFailed,
        ErrorStatus::UndoFailed,
        ErrorStatus::AuthorizationError,
        ErrorStatus::NotWritable,
        ErrorStatus::InconsistentName,
    ];

    pub fn from_code(code: i32) -> Option<ErrorStatus> {
        Self::ALL.into_iter().find(|s| *s as i32 == code)
    }

    /// The name RFC 3416 gives it ("genErr", "notWritable", ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorStatus::NoError => "noError",
            ErrorStatus::TooBig => "tooBig",
            ErrorStatus::NoSuchName => "noSuchName",
            ErrorStatus::BadValue => "badValue",
            ErrorStatus::ReadOnly => "readOnly",
            ErrorStatus::GenErr => "genErr",
            ErrorStatus::NoAccess => "noAccess",
            ErrorStatus::WrongType => "wrongType",
            ErrorStatus::WrongLength => "wrongLength",
            ErrorStatus::WrongEncoding => "wrongEncoding",
            ErrorStatus::WrongValue => "wrongValue",
            ErrorStatus::NoCreation => "noCreation",
            ErrorStatus::InconsistentValue => "inconsistentValue",
            ErrorStatus::ResourceUnavailable => "resourceUnavailable",
            ErrorStatus::CommitFailed => "commitFailed",
            ErrorStatus::UndoFailed => "undoFailed",
            ErrorStatus::AuthorizationError => "authorizationError",
            ErrorStatus::NotWritable => "notWritable",
            ErrorStatus::InconsistentName => "inconsistentName",
        }
    }
}

/// The fields of a v1 Trap-PDU (RFC 1157 §4.1.6), decoded only.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TrapV1Header {
    pub enterprise: Oid,
    pub agent_addr: [u8; 4],
    pub generic_trap: i32,
    pub specific_trap: i32,
    pub time_stamp: u32,
}

/// A PDU. For GetBulkRequest, `error_status` holds non-repeaters and `error_index`
/// max-repetitions, exactly as they sit on the wire (RFC 3416 §3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pdu<'a> {
    pub pdu_type: PduType,
    pub request_id: i32,
    pub error_status: i32,
    pub error_index: i32,
    pub varbinds: Vec<VarBind<'a>>,
    /// Present only for `PduType::TrapV1`.
    pub trap_v1: Option<TrapV1Header>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Version {
    V1,  // 0
    V2c, // 1
    V3,  // 3
}

/// A community-based message (v1 or v2c).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommunityMessage<'a> {
    pub version: Version,
    pub community: &'a [u8],
    pub pdu: Pdu<'a>,
}

/// msgFlags bits (RFC 3412 §6.4).
pub const FLAG_AUTH: u8 = 0x01;
pub const FLAG_PRIV: u8 = 0x02;
pub const FLAG_REPORTABLE: u8 = 0x04;

/// UsmSecurityParameters (RFC 3414 §2.4), borrowed from the datagram.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct UsmSecurityParameters<'a> {
    pub engine_id: &'a [u8],
    pub engine_boots: i32,
    pub engine_time: i32,
    pub user_name: &'a [u8],
    pub auth_params: &'a [u8],
    pub priv_params: &'a [u8],
}

/// A ScopedPDU (RFC 3412 §6.8).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScopedPdu<'a> {
    pub context_engine_id: &'a [u8],
    pub context_name: &'a [u8],
    pub pdu: Pdu<'a>,
}

/// msgData: a plaintext ScopedPDU, or the encryptedPDU OCTET STRING still to be decrypted.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ScopedPduData<'a> {
    Plaintext(ScopedPdu<'a>),
    Encrypted(&'a [u8]),
}

/// An SNMPv3 message (RFC 3412 §6) as decoded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct V3Message<'a> {
    pub msg_id: i32,
    pub msg_max_size: i32,
    pub msg_flags: u8,
    pub msg_security_model: i32,
    /// The raw msgSecurityParameters OCTET STRING contents (decoded as USM into `usm`
    /// when msgSecurityModel is 3).
    pub security_parameters: &'a [u8],
    pub usm: UsmSecurityParameters<'a>,
    /// Where, within the whole datagram, msgAuthenticationParameters' contents start.
    /// HMAC verification zeroes these bytes in a copy of the datagram (RFC 3414 §6.3.2).
    pub auth_params_offset: usize,
    pub data: ScopedPduData<'a>,
}

/// Any message the agent may receive.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Message<'a> {
    Community(CommunityMessage<'a>),
    V3(V3Message<'a>),
}
