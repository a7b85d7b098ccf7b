//! The values the codec decodes to and encodes from: SMI types, varbinds, PDUs and messages.
//!
//! Decoded messages borrow from the datagram (`'a`): community, security parameters, context and
//! octet-string values are slices of the received bytes, not copies.

use std::borrow::Cow;
use std::fmt;

/// An OBJECT IDENTIFIER as its arcs (RFC 2578 §3.5: each arc 0..=4294967295).
///
/// The decoder never yields more than [`Oid::MAX_ARCS`] arcs, nor does [`Oid::parse`]; values
/// built directly are not checked. Ordering is lexicographic by arc, which is the MIB's
/// GetNext order.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(
    /// The arcs, in order.
    pub Vec<u32>,
);

impl Oid {
    /// The most arcs an OID may have (RFC 2578 §3.5: at most 128 sub-identifiers; the first
    /// BER subidentifier, which packs two arcs, counts as two).
    pub const MAX_ARCS: usize = 128;

    /// An OID with these arcs (copied; not checked against [`Oid::MAX_ARCS`]).
    pub fn new(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }
    /// The arcs, in order.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }
    /// True when `prefix` is a prefix of the arcs (or equal to them): the OID is in the subtree
    /// `prefix`.
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.0.starts_with(prefix)
    }
    /// A new OID with `suffix` appended (an instance or a deeper node).
    pub fn child(&self, suffix: &[u32]) -> Oid {
        let mut arcs = Vec::with_capacity(self.0.len().saturating_add(suffix.len()));
        arcs.extend_from_slice(&self.0);
        arcs.extend_from_slice(suffix);
        Oid(arcs)
    }
    /// Parses dotted notation, with or without a leading dot: `1.3.6.1` or `.1.3.6.1`.
    ///
    /// `None` for an empty string, an empty or non-decimal arc, an arc above 4294967295, or
    /// more than [`Oid::MAX_ARCS`] arcs.
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

/// A varbind value: every SMIv2 type (RFC 2578 §7.1), plus NULL and the exceptions of
/// RFC 3416 §3. Octet strings borrow from the datagram when decoded (`'a`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Value<'a> {
    /// INTEGER / Integer32 (tag 0x02), also enumerations and TruthValue (1 = true, 2 = false).
    Integer(i32),
    /// OCTET STRING (0x04): DisplayString, MAC addresses, engine IDs... as raw bytes.
    OctetString(Cow<'a, [u8]>),
    /// OBJECT IDENTIFIER (0x06).
    ObjectId(Oid),
    /// NULL (0x05): the value of every varbind in a Get, GetNext or GetBulk request.
    Null,
    /// IpAddress (0x40): an IPv4 address, network byte order.
    IpAddress([u8; 4]),
    /// Counter32 (0x41): a wrapping counter.
    Counter32(u32),
    /// Gauge32 / Unsigned32 (0x42).
    Gauge32(u32),
    /// TimeTicks (0x43): hundredths of a second.
    TimeTicks(u32),
    /// Opaque (0x44): the contents, itself BER, kept undecoded.
    Opaque(Cow<'a, [u8]>),
    /// Counter64 (0x46): a wrapping 64-bit counter (v2c and v3 only).
    Counter64(u64),
    /// noSuchObject (0x80): no such object in the agent's view (RFC 3416 §4.2.1).
    NoSuchObject,
    /// noSuchInstance (0x81): the object exists, that instance does not (RFC 3416 §4.2.1).
    NoSuchInstance,
    /// endOfMibView (0x82): GetNext/GetBulk walked past the last object (RFC 3416 §4.2.2).
    EndOfMibView,
    /// A value of a type outside RFC 3416's ObjectSyntax that net-snmp's agent still reads
    /// from a client: BIT STRING (0x03, at least the unused-bits octet), NsapAddress (0x45)
    /// and UInteger32 (0x47, a 32-bit unsigned integer) of RFC 1442. Kept undecoded so
    /// that an agent can answer a SET of one with wrongType (RFC 3416 §4.2.5) instead of
    /// dropping the message; written back as received.
    Other {
        /// The tag byte: 0x03, 0x45 or 0x47 when decoded.
        tag: u8,
        /// The contents octets, as received.
        contents: Cow<'a, [u8]>,
    },
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
            Value::Other { tag, contents } => Value::Other {
                tag,
                contents: Cow::Owned(contents.into_owned()),
            },
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
            Value::Other { tag, .. } => match *tag {
                crate::ber::tag::BIT_STRING => "BIT STRING",
                crate::ber::tag::NSAP_ADDRESS => "NsapAddress",
                crate::ber::tag::UINTEGER32 => "UInteger32",
                _ => "an unknown type",
            },
        }
    }

    /// An owned OCTET STRING value (from a `&str`, `String`, `Vec<u8>`, `&[u8]`...).
    pub fn octets(text: impl Into<Vec<u8>>) -> Value<'static> {
        Value::OctetString(Cow::Owned(text.into()))
    }
}

/// A variable binding: an object instance's name and its value (RFC 3416 §3, VarBind).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VarBind<'a> {
    /// The name (object instance OID).
    pub oid: Oid,
    /// The value, or NULL in a request, or an exception in a Response.
    pub value: Value<'a>,
}

/// PDU types (context-specific, constructed tags): RFC 3416 §3 and, for `TrapV1`, RFC 1157
/// §4.1.6.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PduType {
    /// GetRequest-PDU, tag 0xA0 (RFC 3416 §4.2.1).
    GetRequest,
    /// GetNextRequest-PDU, tag 0xA1 (RFC 3416 §4.2.2).
    GetNextRequest,
    /// Response-PDU, tag 0xA2 (RFC 3416 §4.2.4); GetResponse-PDU in SNMPv1.
    Response,
    /// SetRequest-PDU, tag 0xA3 (RFC 3416 §4.2.5).
    SetRequest,
    /// SNMPv1 Trap-PDU, tag 0xA4 (RFC 1157 §4.1.6): fields in [`Pdu::trap_v1`].
    TrapV1,
    /// GetBulkRequest-PDU, tag 0xA5 (RFC 3416 §4.2.3), v2c and v3 only.
    GetBulkRequest,
    /// InformRequest-PDU, tag 0xA6 (RFC 3416 §4.2.7).
    InformRequest,
    /// SNMPv2-Trap-PDU, tag 0xA7 (RFC 3416 §4.2.6).
    SnmpV2Trap,
    /// Report-PDU, tag 0xA8 (RFC 3416 §3; sent as RFC 3412 §7.1 step 3 says, see
    /// [`crate::report`]).
    Report,
}

impl PduType {
    /// The tag byte on the wire (0xA0..=0xA8).
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
    /// The PDU type with this tag byte; `None` outside 0xA0..=0xA8.
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

/// error-status values (RFC 3416 §3); the discriminant is the value on the wire. Codes 0–5
/// are SNMPv1's too (RFC 1157 §4.1.1); 6–18 exist only in v2c and v3 (RFC 3416 §4.2.5), and an
/// SNMPv1 agent maps them onto v1 codes (RFC 3584).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum ErrorStatus {
    /// noError(0).
    NoError = 0,
    /// tooBig(1): the Response would exceed a message size limit.
    TooBig = 1,
    /// noSuchName(2): SNMPv1's "no such object" (RFC 3416 keeps it for proxy compatibility).
    NoSuchName = 2,
    /// badValue(3): SNMPv1's "bad Set value" (kept for proxy compatibility).
    BadValue = 3,
    /// readOnly(4): SNMPv1 (kept for proxy compatibility).
    ReadOnly = 4,
    /// genErr(5): any other failure.
    GenErr = 5,
    /// noAccess(6): the object is not accessible for this operation in this view.
    NoAccess = 6,
    /// wrongType(7): the Set value's type is not the object's.
    WrongType = 7,
    /// wrongLength(8): the Set value's length is not acceptable.
    WrongLength = 8,
    /// wrongEncoding(9): the Set value's encoding is not acceptable.
    WrongEncoding = 9,
    /// wrongValue(10): the Set value is outside the object's range.
    WrongValue = 10,
    /// noCreation(11): the instance does not exist and cannot be created.
    NoCreation = 11,
    /// inconsistentValue(12): the value is valid but cannot be set now.
    InconsistentValue = 12,
    /// resourceUnavailable(13): a resource needed for the Set is not available.
    ResourceUnavailable = 13,
    /// commitFailed(14): the Set failed and was undone.
    CommitFailed = 14,
    /// undoFailed(15): the Set failed and could not be fully undone.
    UndoFailed = 15,
    /// authorizationError(16): access control refused the operation.
    AuthorizationError = 16,
    /// notWritable(17): the object cannot be written (or created).
    NotWritable = 17,
    /// inconsistentName(18): the instance does not exist and cannot be created now.
    InconsistentName = 18,
}

impl ErrorStatus {
    /// Every error-status, in numeric order (`ALL[n]` has code `n`).
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

    /// The error-status with this wire value; `None` outside 0..=18.
    pub fn from_code(code: i32) -> Option<ErrorStatus> {
        Self::ALL.into_iter().find(|s| *s as i32 == code)
    }

    /// The name RFC 3416 §3 gives it ("genErr", "notWritable", ...).
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

/// The fields of an SNMPv1 Trap-PDU (RFC 1157 §4.1.6) before its varbinds.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TrapV1Header {
    /// enterprise: the sysObjectID of the entity sending the trap.
    pub enterprise: Oid,
    /// agent-addr: the sender's IPv4 address, network byte order.
    pub agent_addr: [u8; 4],
    /// generic-trap: 0 coldStart .. 5 egpNeighborLoss, 6 enterpriseSpecific.
    pub generic_trap: i32,
    /// specific-trap: the enterprise's code, meaningful when generic-trap is 6.
    pub specific_trap: i32,
    /// time-stamp: the sender's sysUpTime at the event, in hundredths of a second.
    pub time_stamp: u32,
}

/// A PDU. For GetBulkRequest, `error_status` holds non-repeaters and `error_index`
/// max-repetitions, exactly as they sit on the wire (RFC 3416 §3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pdu<'a> {
    /// Which PDU this is (its tag).
    pub pdu_type: PduType,
    /// request-id, echoed in the Response. 0 for `TrapV1`, which has none.
    pub request_id: i32,
    /// error-status (see [`ErrorStatus`]), or non-repeaters in a GetBulkRequest. 0 for
    /// `TrapV1`.
    pub error_status: i32,
    /// error-index: the 1-based index of the varbind in error, 0 if none; max-repetitions in
    /// a GetBulkRequest. 0 for `TrapV1`.
    pub error_index: i32,
    /// variable-bindings, in order.
    pub varbinds: Vec<VarBind<'a>>,
    /// Present only for `PduType::TrapV1`.
    pub trap_v1: Option<TrapV1Header>,
}

/// msgVersion / version: which SNMP message format.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Version {
    /// version-1 (0): community-based SNMPv1 (RFC 1157).
    V1,
    /// version-2c (1): community-based SNMPv2c (RFC 1901).
    V2c,
    /// snmpv3 (3): RFC 3412 §6.
    V3,
}

/// A community-based message (v1 or v2c): SEQUENCE { version, community, PDU } (RFC 1157 §4,
/// RFC 1901 §3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommunityMessage<'a> {
    /// [`Version::V1`] or [`Version::V2c`].
    pub version: Version,
    /// The community string, borrowed from the datagram.
    pub community: &'a [u8],
    /// The PDU.
    pub pdu: Pdu<'a>,
}

/// msgFlags authFlag (RFC 3412 §6.4): the message is authenticated.
pub const FLAG_AUTH: u8 = 0x01;
/// msgFlags privFlag (RFC 3412 §6.4): the ScopedPDU is encrypted (only with [`FLAG_AUTH`]).
pub const FLAG_PRIV: u8 = 0x02;
/// msgFlags reportableFlag (RFC 3412 §6.4): the receiver may answer an error with a Report.
pub const FLAG_REPORTABLE: u8 = 0x04;

/// UsmSecurityParameters (RFC 3414 §2.4), borrowed from the datagram.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct UsmSecurityParameters<'a> {
    /// msgAuthoritativeEngineID: the authoritative engine's snmpEngineID (empty in discovery).
    pub engine_id: &'a [u8],
    /// msgAuthoritativeEngineBoots: its snmpEngineBoots (0..=2147483647).
    pub engine_boots: i32,
    /// msgAuthoritativeEngineTime: its snmpEngineTime, in seconds (0..=2147483647).
    pub engine_time: i32,
    /// msgUserName: the USM user (securityName), at most 32 bytes by RFC 3414.
    pub user_name: &'a [u8],
    /// msgAuthenticationParameters: the truncated HMAC, or empty without authentication.
    pub auth_params: &'a [u8],
    /// msgPrivacyParameters: the 8-byte salt, or empty without privacy.
    pub priv_params: &'a [u8],
}

/// A ScopedPDU (RFC 3412 §6.8): the PDU and the context it is addressed to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScopedPdu<'a> {
    /// contextEngineID: the engine that holds the context (usually the agent's).
    pub context_engine_id: &'a [u8],
    /// contextName: the context within it (empty for the default context).
    pub context_name: &'a [u8],
    /// The PDU.
    pub pdu: Pdu<'a>,
}

/// msgData: a plaintext ScopedPDU, or the encryptedPDU OCTET STRING still to be decrypted
/// (RFC 3412 §6.7).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ScopedPduData<'a> {
    /// A plaintext ScopedPDU (noAuthNoPriv or authNoPriv).
    Plaintext(ScopedPdu<'a>),
    /// The encryptedPDU's ciphertext (authPriv): see [`crate::usm::protect::decrypt`].
    Encrypted(&'a [u8]),
}

/// An SNMPv3 message (RFC 3412 §6) as decoded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct V3Message<'a> {
    /// msgID (0..=2147483647), echoed in the answer.
    pub msg_id: i32,
    /// msgMaxSize: the largest message the sender accepts, in bytes (484..=2147483647).
    pub msg_max_size: i32,
    /// msgFlags' single octet: [`FLAG_AUTH`], [`FLAG_PRIV`], [`FLAG_REPORTABLE`].
    pub msg_flags: u8,
    /// msgSecurityModel (1..=2147483647); 3 is USM ([`crate::decode::SECURITY_MODEL_USM`]).
    pub msg_security_model: i32,
    /// The raw msgSecurityParameters OCTET STRING contents (decoded as USM into `usm`
    /// when msgSecurityModel is 3).
    pub security_parameters: &'a [u8],
    /// The USM parameters; all empty and zero when msgSecurityModel is not 3.
    pub usm: UsmSecurityParameters<'a>,
    /// Where, within the whole datagram, msgAuthenticationParameters' contents start (0 when
    /// msgSecurityModel is not 3). HMAC verification zeroes these bytes in a copy of the
    /// datagram (RFC 3414 §6.3.2).
    pub auth_params_offset: usize,
    /// msgData.
    pub data: ScopedPduData<'a>,
}

/// Any message the agent may receive.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Message<'a> {
    /// SNMPv1 or SNMPv2c.
    Community(CommunityMessage<'a>),
    /// SNMPv3.
    V3(V3Message<'a>),
}
