//! A small v1/v2c client on pdusim's own codec, for what the driver does not do: multi-varbind
//! SETs, GETBULK with chosen non-repeaters and max-repetitions, GETs of any OID.

use std::net::SocketAddr;
use std::time::Duration;

use snmp_proto::{
    decode_message, encode_community_message, ErrorStatus, Message, Oid, Pdu, PduType, Value,
    VarBind, Version,
};

/// What came back.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The Response's error-status (RFC 3416 §3; 0 is noError).
    pub error_status: i32,
    /// The Response's error-index: the failing varbind, from 1 (0: none).
    pub error_index: i32,
    /// Each varbind as (dotted OID with a leading dot, value as [`describe`] prints it).
    pub varbinds: Vec<(String, String)>,
}

impl RawResponse {
    /// The error-status's RFC 3416 name ([`status_name`]).
    pub fn status_name(&self) -> String {
        status_name(self.error_status)
    }
}

/// The RFC 3416 name of error-status `code` (`noError`, `wrongValue`, ...), or
/// `error-status N` for a code outside 0-18.
pub fn status_name(code: i32) -> String {
    ErrorStatus::from_code(code)
        .map_or_else(|| format!("error-status {code}"), |s| s.name().to_string())
}

/// A value as snmpget would print it, roughly.
pub fn describe(value: &Value<'_>) -> String {
    match value {
        Value::Integer(i) => format!("INTEGER {i}"),
        Value::OctetString(s) => format!("STRING {:?}", String::from_utf8_lossy(s)),
        Value::ObjectId(o) => format!("OID .{o}"),
        Value::Null => "NULL".into(),
        Value::IpAddress(a) => format!("IpAddress {}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        Value::Counter32(v) => format!("Counter32 {v}"),
        Value::Gauge32(v) => format!("Gauge32 {v}"),
        Value::TimeTicks(v) => format!("Timeticks {v}"),
        Value::Opaque(b) => format!("Opaque {}", b.len()),
        Value::Counter64(v) => format!("Counter64 {v}"),
        Value::NoSuchObject => "noSuchObject".into(),
        Value::NoSuchInstance => "noSuchInstance".into(),
        Value::EndOfMibView => "endOfMibView".into(),
        Value::Other { contents, .. } => format!("{} {}", value.type_name(), contents.len()),
    }
}

/// One v1/v2c request, sent as built.
pub struct RawRequest {
    /// `V1` or `V2c`.
    pub version: Version,
    /// The community, as bytes.
    pub community: Vec<u8>,
    /// GetRequest, GetNextRequest, GetBulkRequest or SetRequest.
    pub pdu_type: PduType,
    /// The varbinds: NULL values to read, the values to write for a SET.
    pub varbinds: Vec<VarBind<'static>>,
    /// GetBulkRequest's non-repeaters (sent in the error-status field; ignored otherwise).
    pub non_repeaters: i32,
    /// GetBulkRequest's max-repetitions (sent in the error-index field; ignored otherwise).
    pub max_repetitions: i32,
}

/// Sends one request and waits `timeout` for its answer (no retries: a raw step says exactly
/// what was on the wire). `Err` says why nothing usable came back.
pub async fn exchange(
    target: SocketAddr,
    req: &RawRequest,
    timeout: Duration,
) -> Result<RawResponse, String> {
    let request_id = 0x1234_5678 ^ i32::try_from(req.varbinds.len()).unwrap_or(0);
    let (error_status, error_index) = match req.pdu_type {
        PduType::GetBulkRequest => (req.non_repeaters, req.max_repetitions),
        _ => (0, 0),
    };
    let pdu = Pdu {
        pdu_type: req.pdu_type,
        request_id,
        error_status,
        error_index,
        varbinds: req.varbinds.clone(),
        trap_v1: None,
    };
    let mut out = Vec::new();
    encode_community_message(&mut out, req.version, &req.community, &pdu);
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    socket
        .send_to(&out, target)
        .await
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut buf = vec![0u8; 65536];
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let received = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await;
        let n = match received {
            Err(_) => return Err(format!("no answer within {} ms", timeout.as_millis())),
            Ok(Err(e)) => return Err(format!("receive failed: {e}")),
            Ok(Ok((n, _))) => n,
        };
        let datagram = buf.get(..n).unwrap_or_default();
        let message = decode_message(datagram).map_err(|e| format!("undecodable answer: {e}"))?;
        let Message::Community(m) = message else {
            return Err("the answer is not a v1/v2c message".into());
        };
        if m.pdu.request_id != request_id {
            continue; // a stray (duplicated or late) answer: keep waiting for ours
        }
        if m.pdu.pdu_type != PduType::Response {
            return Err(format!(
                "the answer is a {:?}, not a Response",
                m.pdu.pdu_type
            ));
        }
        return Ok(RawResponse {
            error_status: m.pdu.error_status,
            error_index: m.pdu.error_index,
            varbinds: m
                .pdu
                .varbinds
                .iter()
                .map(|vb| (format!(".{}", vb.oid), describe(&vb.value)))
                .collect(),
        });
    }
}

/// A dotted OID (`1.3.6…` or `.1.3.6…`); `None` if `text` is not one.
pub fn oid(text: &str) -> Option<Oid> {
    pdu_driver::vendors::parse_oid(text).map(|arcs| Oid::new(&arcs))
}
