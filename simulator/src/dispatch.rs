//! One datagram in, at most one datagram out: decode, apply security, run the agent, protect
//! and encode the answer. Every drop is counted where RFC 3412/3414/3584 say it is.

use tracing::debug;

use crate::agent::{error_response, respond, Permission};
use crate::device::{Device, MAX_MESSAGE_SIZE};
use crate::endpoint::Endpoint;
use crate::security::{process_inbound, wrap_outbound, Inbound, Outbound, SaltSource};
use crate::stats::bump;
use crate::usm::SecurityLevel;
use crate::wire::{
    decode_message, decode_scoped_pdu, encode_community_message, CommunityMessage, ErrorStatus,
    Message, Oid, Pdu, PduType, ScopedPduData, V3Message, Value, VarBind, Version, FLAG_REPORTABLE,
};

/// Room kept for headers when turning a message size limit into a varbind budget: the
/// message, PDU and varbind-list headers, and (v3) USM parameters, MAC and cipher padding.
const HEADER_ALLOWANCE: usize = 64;

/// Per-socket reusable buffers, so answering does not allocate message-sized buffers.
#[derive(Default)]
pub struct Buffers {
    pub out: Vec<u8>,
    scratch: Vec<u8>,
}

/// Handles one datagram for the PDUs at `endpoint`. Returns true when `buffers.out` holds an
/// answer to send. Counters that apply before a PDU is known go to the endpoint's primary.
pub fn handle_datagram(
    endpoint: &Endpoint,
    salts: &SaltSource,
    datagram: &[u8],
    buffers: &mut Buffers,
) -> bool {
    let device = endpoint.primary();
    bump(&device.stats.snmp_in_pkts);
    let message = match decode_message(datagram) {
        Ok(m) => m,
        Err(e) => {
            bump(&device.stats.snmp_in_asn_parse_errs);
            debug!(pdu = %device.name, "dropped a malformed message: {e}");
            return false;
        }
    };
    let answered = match message {
        Message::Community(m) => handle_community(endpoint, m, buffers),
        Message::V3(m) => handle_v3(endpoint, salts, datagram, m, buffers),
    };
    if answered {
        bump(&device.stats.snmp_out_pkts);
    }
    answered
}

fn is_request(pdu: &Pdu<'_>) -> bool {
    matches!(
        pdu.pdu_type,
        PduType::GetRequest
            | PduType::GetNextRequest
            | PduType::GetBulkRequest
            | PduType::SetRequest
    )
}

fn handle_community(endpoint: &Endpoint, m: CommunityMessage<'_>, buffers: &mut Buffers) -> bool {
    let Some((device, permission)) = endpoint.by_community(m.community) else {
        let device = endpoint.primary();
        bump(&device.stats.snmp_in_bad_community_names);
        debug!(pdu = %device.name, "dropped a request with an unknown community");
        return false;
    };
    // RFC 3584 §4.1: GetBulk does not exist in v1; a v1 message carrying one is malformed.
    if m.version == Version::V1 && m.pdu.pdu_type == PduType::GetBulkRequest {
        bump(&device.stats.snmp_in_asn_parse_errs);
        return false;
    }
    if !is_request(&m.pdu) {
        bump(&device.stats.snmp_silent_drops);
        return false;
    }
    if m.pdu.pdu_type == PduType::SetRequest && permission == Permission::ReadOnly {
        bump(&device.stats.snmp_in_bad_community_uses);
    }
    log_request(device, m.version, &m.pdu, "community");
    let budget = MAX_MESSAGE_SIZE.saturating_sub(HEADER_ALLOWANCE + m.community.len());
    let response = respond(device, m.version, &m.pdu, permission, budget);
    buffers.out.clear();
    encode_community_message(&mut buffers.out, m.version, m.community, &response);
    if buffers.out.len() > MAX_MESSAGE_SIZE {
        // RFC 3416 §4.2.1: too big to send: say tooBig with no varbinds.
        let too_big = Pdu {
            varbinds: Vec::new(),
            ..error_response(&m.pdu, ErrorStatus::TooBig, 0)
        };
        bump(&device.stats.snmp_out_too_bigs);
        buffers.out.clear();
        encode_community_message(&mut buffers.out, m.version, m.community, &too_big);
    }
    bump(&device.stats.snmp_out_get_responses);
    true
}

fn handle_v3(
    endpoint: &Endpoint,
    salts: &SaltSource,
    datagram: &[u8],
    m: V3Message<'_>,
    buffers: &mut Buffers,
) -> bool {
    // USM belongs to the address's engine: the primary PDU's.
    let device = endpoint.primary();
    let stats = &device.stats;
    // RFC 3412 §7.2 step 3: only USM is known here.
    if m.msg_security_model != 3 {
        bump(&stats.snmp_unknown_security_models);
        return false;
    }
    // Step 5: privacy without authentication is not a security level.
    let Some(level) = SecurityLevel::from_flags(m.msg_flags) else {
        bump(&stats.snmp_invalid_msgs);
        return false;
    };
    let reportable = m.msg_flags & FLAG_REPORTABLE != 0;
    let max_size = usize::try_from(m.msg_max_size)
        .unwrap_or(MAX_MESSAGE_SIZE)
        .min(MAX_MESSAGE_SIZE);
    let verdict = process_inbound(device, datagram, &m, level);
    let (user, decrypted) = match verdict {
        Inbound::Accepted {
            user, decrypted, ..
        } => (user, decrypted),
        Inbound::Refused {
            failure,
            report,
            signed_by,
        } => {
            debug!(pdu = %device.name, user = %String::from_utf8_lossy(m.usm.user_name), "refused: {}", failure.name());
            if !reportable {
                return false;
            }
            // The request-id of the refused PDU when it can be read (it is plaintext); else 0.
            let (request_id, context) = match &m.data {
                ScopedPduData::Plaintext(s) => (s.pdu.request_id, s.context_name),
                ScopedPduData::Encrypted(_) => (0, &b""[..]),
            };
            let report = Pdu {
                pdu_type: PduType::Report,
                request_id,
                error_status: 0,
                error_index: 0,
                varbinds: vec![report],
                trap_v1: None,
            };
            // notInTimeWindow Reports go out authenticated, so the sender can trust the
            // boots and time they carry (RFC 3414 §3.2 step 7b); the others cannot be.
            let level = if signed_by.is_some() {
                SecurityLevel::AuthNoPriv
            } else {
                SecurityLevel::NoAuthNoPriv
            };
            let how = Outbound {
                msg_id: m.msg_id,
                msg_max_size: MAX_MESSAGE_SIZE as i32,
                level,
                user: signed_by.as_deref(),
                user_name: m.usm.user_name,
            };
            wrap_outbound(
                device,
                salts,
                &how,
                context,
                &report,
                &mut buffers.scratch,
                &mut buffers.out,
            );
            return true;
        }
    };
    let scoped = match (&m.data, &decrypted) {
        (_, Some(plain)) => decode_scoped_pdu(plain),
        (ScopedPduData::Plaintext(s), None) => Ok(s.clone()),
        // An encrypted body at a level without privacy.
        (ScopedPduData::Encrypted(_), None) => {
            bump(&stats.snmp_in_asn_parse_errs);
            return false;
        }
    };
    let Ok(scoped) = scoped else {
        bump(&stats.snmp_in_asn_parse_errs);
        return false;
    };
    let how = Outbound {
        msg_id: m.msg_id,
        msg_max_size: MAX_MESSAGE_SIZE as i32,
        level,
        user: Some(&user),
        user_name: m.usm.user_name,
    };
    let report = |counter: Oid, value: u32, buffers: &mut Buffers| {
        let pdu = Pdu {
            pdu_type: PduType::Report,
            request_id: scoped.pdu.request_id,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: counter,
                value: Value::Counter32(value),
            }],
            trap_v1: None,
        };
        wrap_outbound(
            device,
            salts,
            &how,
            scoped.context_name,
            &pdu,
            &mut buffers.scratch,
            &mut buffers.out,
        );
        reportable
    };
    // RFC 3412 §7.2 step 10 / RFC 3413: a contextEngineID that is not ours, or a context this
    // PDU does not have.
    if !scoped.context_engine_id.is_empty() && scoped.context_engine_id != &*device.engine.id() {
        let n = bump(&stats.snmp_unknown_pdu_handlers);
        return report(Oid::new(&[1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0]), n, buffers);
    }
    let Some(target) = endpoint.by_context(scoped.context_name) else {
        let n = bump(&stats.snmp_unknown_contexts);
        return report(Oid::new(&[1, 3, 6, 1, 6, 3, 12, 1, 5, 0]), n, buffers);
    };
    if !is_request(&scoped.pdu) {
        bump(&stats.snmp_unknown_pdu_handlers);
        return false;
    }
    log_request(target, Version::V3, &scoped.pdu, "usm");
    let response = if level < user.min_level {
        // The access policy asks for more security than the request has (VACM would find no
        // access entry): authorizationError, as net-snmp answers.
        Pdu {
            varbinds: Vec::new(),
            ..error_response(&scoped.pdu, ErrorStatus::AuthorizationError, 0)
        }
    } else {
        let permission = match user.access {
            crate::mib::Access::ReadWrite => Permission::ReadWrite,
            crate::mib::Access::ReadOnly => Permission::ReadOnly,
        };
        let budget = max_size.saturating_sub(
            HEADER_ALLOWANCE + 2 * m.usm.user_name.len() + device.engine.id().len() * 2 + 64,
        );
        respond(target, Version::V3, &scoped.pdu, permission, budget)
    };
    wrap_outbound(
        device,
        salts,
        &how,
        scoped.context_name,
        &response,
        &mut buffers.scratch,
        &mut buffers.out,
    );
    if buffers.out.len() > max_size {
        let too_big = Pdu {
            varbinds: Vec::new(),
            ..error_response(&scoped.pdu, ErrorStatus::TooBig, 0)
        };
        bump(&stats.snmp_out_too_bigs);
        wrap_outbound(
            device,
            salts,
            &how,
            scoped.context_name,
            &too_big,
            &mut buffers.scratch,
            &mut buffers.out,
        );
    }
    bump(&stats.snmp_out_get_responses);
    true
}

fn log_request(device: &Device, version: Version, pdu: &Pdu<'_>, security: &str) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let first = pdu
            .varbinds
            .first()
            .map(|vb| vb.oid.to_string())
            .unwrap_or_default();
        debug!(
            pdu = %device.name,
            ?version,
            security,
            kind = ?pdu.pdu_type,
            request_id = pdu.request_id,
            varbinds = pdu.varbinds.len(),
            first = %first,
            "request"
        );
    }
}
