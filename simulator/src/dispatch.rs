//! One datagram in, at most one datagram out: decode, apply security, run the agent, protect
//! and encode the answer. Every drop is counted where RFC 3412/3414/3584 say it is, and the
//! PDU's faults act at their named points (`crate::fault`).
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::time::Duration;

use tracing::debug;

use crate::access::Access;
use crate::agent::{error_response, respond, too_big_response};
pub use crate::delivery::Delivery;
use crate::device::{Device, MAX_MESSAGE_SIZE};
use crate::endpoint::Endpoint;
use crate::fault::{parse_error_status, FaultKind, FaultPoint};
use crate::request_log::Seen;
use crate::security::{
    process_inbound, wrap_outbound, wrap_outbound_at, Inbound, Outbound, SaltSource, UsmFailure,
};
use crate::stats::bump;
use snmp_proto::report::ReportReason;
use snmp_proto::usm::SecurityLevel;
use snmp_proto::{
    decode_message, decode_scoped_pdu, encode_community_message, CommunityMessage, DecodeError,
    ErrorStatus, Message, Oid, Pdu, PduType, ScopedPduData, V3Message, Value, VarBind, Version,
    FLAG_REPORTABLE,
};

/// Room kept for headers when turning a message size limit into a varbind budget: the
/// message, PDU and varbind-list headers, and (v3) USM parameters, MAC and cipher padding.
const HEADER_ALLOWANCE: usize = 64;

/// msgMaxSize of every answer: [`MAX_MESSAGE_SIZE`] as the INTEGER it is sent as.
const MAX_MSG_MAX_SIZE: i32 = 65507;
const _: () = assert!(MAX_MSG_MAX_SIZE as usize == MAX_MESSAGE_SIZE);

/// Per-socket reusable buffers, so answering does not allocate message-sized buffers.
#[derive(Default)]
pub struct Buffers {
    /// The encoded answer [`handle_datagram`] leaves for the transport to send.
    pub out: Vec<u8>,
    scratch: Vec<u8>,
    /// The state write the last SET started: the transport waits for it (briefly) before it
    /// sends the answer, so a SET is answered once its effect is on disk.
    pub saving: Option<crate::persist::PendingWrite>,
    /// Who sent the datagram being handled, when the transport knows (for the request log).
    pub peer: Option<std::net::SocketAddr>,
    /// What [`settle_save`] needs to undo the last SET if [`Buffers::saving`] fails.
    unsaved: Option<Unsaved>,
}

/// A SET whose state write is pending: the PDU, its state before the SET, and the commitFailed
/// answer to send instead if the write fails.
struct Unsaved {
    device: Option<std::sync::Arc<Device>>,
    before: crate::state::DeviceState,
    answer: Vec<u8>,
}

/// Called by the transport once it has waited for [`Buffers::saving`] (up to
/// [`crate::persist::SAVE_WAIT`]): when the state write of the SET being answered failed (a full
/// disk, a read-only folder), or had still not finished (a hung file system), the SET is undone
/// in memory (the PDU's state goes back to what it was before it, which is what the state file
/// holds), counted in `AgentStats::state_save_failures`, logged with the fix, and
/// [`Buffers::out`] becomes a Response with error-status commitFailed and error-index 0
/// (RFC 3416 §4.2.5 step 3: the assignments had all succeeded in memory, and the failure comes
/// at the commit, when they are made to last; they are undone, so not undoFailed).
/// resourceUnavailable (step 2) is for a resource found missing before any assignment, which a
/// write that fails afterwards is not.
///
/// A write given up while still pending may yet land: the state from before the SET is queued
/// behind it, so the file ends up holding what the PDU holds. Only a SET whose write is on disk
/// is answered noError.
pub fn settle_save(saving: &crate::persist::PendingWrite, buffers: &mut Buffers) {
    let Some(unsaved) = buffers.unsaved.take() else {
        return;
    };
    let Some(device) = unsaved.device else {
        return;
    };
    if device
        .undo_unless_saved(saving, unsaved.before, "a SET was answered commitFailed")
        .is_err()
    {
        buffers.out = unsaved.answer;
    }
}

/// What the transport does before sending the answer to a SET that changed state: waits for
/// [`Buffers::saving`] (up to [`crate::persist::save_wait`], without holding the runtime's
/// workers), then [`settle_save`]. Nothing happens when no write was started.
pub async fn await_save(buffers: &mut Buffers) {
    if let Some(saving) = buffers.saving.take() {
        let _ = tokio::time::timeout(crate::persist::save_wait(), saving.written()).await;
        settle_save(&saving, buffers);
    }
}

/// Handles one datagram for the PDUs at `endpoint`. Returns how to send the answer left in
/// `buffers.out`, or None when there is nothing to send. Counters that apply before a PDU is
/// known go to the endpoint's primary.
///
/// Every datagram counts in the IF-MIB counters of the PDU it is for
/// ([`crate::stats::InterfaceStats::received`]): the PDU its community or context names, else
/// (malformed, unknown community or context, refused by USM) the address's primary; the
/// answer counts as sent by the PDU that answers, once the Send-point faults have acted
/// (a dropped answer is not sent, a duplicated one is sent twice).
pub fn handle_datagram(
    endpoint: &Endpoint,
    salts: &SaltSource,
    datagram: &[u8],
    buffers: &mut Buffers,
) -> Option<Delivery> {
    let mut seen = Seen::new(buffers.peer);
    let mut addressed = endpoint.primary();
    let delivery = handle(
        endpoint,
        salts,
        datagram,
        buffers,
        &mut seen,
        &mut addressed,
    );
    addressed.interface.received(datagram.len());
    seen.finish();
    delivery
}

fn handle<'e>(
    endpoint: &'e Endpoint,
    salts: &SaltSource,
    datagram: &[u8],
    buffers: &mut Buffers,
    seen: &mut Seen<'e>,
    addressed: &mut &'e Device,
) -> Option<Delivery> {
    let primary = endpoint.primary();
    buffers.saving = None;
    buffers.unsaved = None;
    bump(&primary.stats.snmp_in_pkts);
    seen.at(&primary.requests);
    // A lone PDU owns every datagram to its address: its Receive faults act before decoding.
    // PDUs sharing an address count requests and lose them only once the message names them
    // (community or context), so each one's faults act on its own requests only.
    if !shared(endpoint) {
        primary.faults.count_request();
        if lost_on_receive(primary, buffers.peer, seen) {
            return None;
        }
    }
    let message = match decode_message(datagram) {
        Ok(m) => m,
        // RFC 3412 §7.2 step 2 and RFC 3418 snmpInBadVersions: a well-formed message of a
        // version this engine does not speak is a bad version, not a parse error.
        Err(DecodeError::UnsupportedVersion(version)) => {
            bump(&primary.stats.snmp_in_bad_versions);
            seen.dropped("unsupported msgVersion (snmpInBadVersions)");
            debug!(pdu = %primary.name, "dropped a message of unsupported msgVersion {version}");
            return None;
        }
        Err(e) => {
            bump(&primary.stats.snmp_in_asn_parse_errs);
            seen.dropped("malformed message (snmpInASNParseErrs)");
            debug!(pdu = %primary.name, "dropped a malformed message: {e}");
            return None;
        }
    };
    let answered_by = match message {
        Message::Community(m) => handle_community(endpoint, m, buffers, seen, addressed)?,
        Message::V3(m) => handle_v3(endpoint, salts, datagram, m, buffers, seen, addressed)?,
    };
    bump(&primary.stats.snmp_out_pkts);
    deliver(answered_by, &mut buffers.out, seen)
}

/// Whether several PDUs answer at this address (then faults are counted and scoped per PDU
/// once a message names one).
fn shared(endpoint: &Endpoint) -> bool {
    endpoint.devices().len() > 1
}

/// The `Receive` point: an agent that is down, a request lost on the way, or one from a
/// source address locked out after failed authentications.
fn lost_on_receive(
    device: &Device,
    peer: Option<std::net::SocketAddr>,
    seen: &mut Seen<'_>,
) -> bool {
    let now = device.now();
    let mut lost = None;
    // Each fault that drops the request uses one packet of its budget (`Schedule::packets`).
    for (id, fault) in device.faults.pending(FaultPoint::Receive, now) {
        let why = match fault {
            FaultKind::AgentDown => "lost to an agent-down fault",
            FaultKind::DropRequest => "lost to a drop-request fault",
            FaultKind::AuthLockout { .. } => {
                if !device.faults.locked_out(peer.map(|p| p.ip()), now) {
                    continue;
                }
                "dropped: the source address is locked out after failed authentications (auth-lockout fault)"
            }
            // Faults of the other points never come back from `at(FaultPoint::Receive)`.
            FaultKind::DropResponse
            | FaultKind::Delay { .. }
            | FaultKind::Duplicate
            | FaultKind::Reorder
            | FaultKind::Truncate { .. }
            | FaultKind::Corrupt { .. }
            | FaultKind::WrongSourcePort
            | FaultKind::ForceError { .. }
            | FaultKind::WrongRequestId
            | FaultKind::ReportInstead { .. }
            | FaultKind::ErrorAfterCommit { .. }
            | FaultKind::StuckOutlet { .. }
            | FaultKind::SlowOutlet { .. }
            | FaultKind::DropNotification
            | FaultKind::DelayNotification { .. }
            | FaultKind::DuplicateNotification
            | FaultKind::UnacknowledgedInform
            | FaultKind::SwitchGap { .. }
            | FaultKind::RefuseDelayedCommands
            | FaultKind::DiscoveryWithoutTime
            | FaultKind::EmptyReport
            | FaultKind::ZeroLengthInteger { .. } => continue,
        };
        // The first fault that drops it acts; the others leave this request alone.
        if lost.is_none() && device.faults.claim(id, now) {
            lost = Some(why);
        }
    }
    if let Some(why) = lost {
        debug!(pdu = %device.name, "request {why}");
        seen.dropped(why);
    }
    lost.is_some()
}

/// The `Send` point: faults that change or hold back the encoded answer.
fn deliver(device: &Device, out: &mut Vec<u8>, seen: &mut Seen<'_>) -> Option<Delivery> {
    let mut delivery = Delivery::default();
    for fault in device.faults.at(FaultPoint::Send, device.now()) {
        if seen.recording() {
            seen.send_fault(fault_name(&fault));
        }
        match fault {
            FaultKind::DropResponse => return None,
            FaultKind::Delay { ms } => delivery.delay = Some(Duration::from_millis(ms)),
            FaultKind::Duplicate => delivery.duplicate = true,
            FaultKind::Reorder => delivery.reorder = true,
            FaultKind::WrongSourcePort => delivery.wrong_source_port = true,
            FaultKind::Truncate { bytes } => out.truncate(bytes),
            FaultKind::Corrupt { offset_from_end } => {
                let at = offset_from_end
                    .checked_add(1)
                    .and_then(|back| out.len().checked_sub(back));
                if let Some(byte) = at.and_then(|i| out.get_mut(i)) {
                    *byte ^= 0xFF;
                }
            }
            // Faults of the other points never come back from `at(FaultPoint::Send)`.
            FaultKind::AgentDown
            | FaultKind::DropRequest
            | FaultKind::ForceError { .. }
            | FaultKind::WrongRequestId
            | FaultKind::ReportInstead { .. }
            | FaultKind::ErrorAfterCommit { .. }
            | FaultKind::StuckOutlet { .. }
            | FaultKind::SlowOutlet { .. }
            | FaultKind::DropNotification
            | FaultKind::DelayNotification { .. }
            | FaultKind::DuplicateNotification
            | FaultKind::UnacknowledgedInform
            | FaultKind::SwitchGap { .. }
            | FaultKind::RefuseDelayedCommands
            | FaultKind::AuthLockout { .. }
            | FaultKind::DiscoveryWithoutTime
            | FaultKind::EmptyReport
            | FaultKind::ZeroLengthInteger { .. } => {}
        }
    }
    let datagrams = if delivery.duplicate { 2 } else { 1 };
    device.interface.sent(out.len(), datagrams);
    Some(delivery)
}

/// A Send-point fault's kind, as the control API names it.
fn fault_name(fault: &FaultKind) -> &'static str {
    match fault {
        FaultKind::DropResponse => "drop-response",
        FaultKind::Delay { .. } => "delay",
        FaultKind::Duplicate => "duplicate",
        FaultKind::Reorder => "reorder",
        FaultKind::WrongSourcePort => "wrong-source-port",
        FaultKind::Truncate { .. } => "truncate",
        FaultKind::Corrupt { .. } => "corrupt",
        FaultKind::AgentDown
        | FaultKind::DropRequest
        | FaultKind::ForceError { .. }
        | FaultKind::WrongRequestId
        | FaultKind::ReportInstead { .. }
        | FaultKind::ErrorAfterCommit { .. }
        | FaultKind::StuckOutlet { .. }
        | FaultKind::SlowOutlet { .. }
        | FaultKind::DropNotification
        | FaultKind::DelayNotification { .. }
        | FaultKind::DuplicateNotification
        | FaultKind::UnacknowledgedInform
        | FaultKind::SwitchGap { .. }
        | FaultKind::RefuseDelayedCommands
        | FaultKind::AuthLockout { .. }
        | FaultKind::DiscoveryWithoutTime
        | FaultKind::EmptyReport
        | FaultKind::ZeroLengthInteger { .. } => "fault",
    }
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

/// Replaces the INTEGER values under `prefix` by an empty Opaque (`44 00`); returns their OIDs.
fn empty_integers(response: &mut Pdu<'static>, prefix: &Oid) -> Vec<Oid> {
    let mut emptied = Vec::new();
    for vb in &mut response.varbinds {
        if vb.oid.starts_with(prefix.arcs()) && matches!(vb.value, Value::Integer(_)) {
            vb.value = Value::Opaque(std::borrow::Cow::Borrowed(&[]));
            emptied.push(vb.oid.clone());
        }
    }
    emptied
}

/// Turns the empty Opaque after `oid`'s OBJECT IDENTIFIER in `message` into a zero-length
/// INTEGER (`02 00`): same length, so no enclosing length changes.
fn retag_empty_integer(message: &mut [u8], oid: &Oid) {
    let mut pattern = Vec::new();
    snmp_proto::ber::write_oid(&mut pattern, oid);
    pattern.extend_from_slice(&[0x44, 0x00]);
    let Some(at) = message
        .windows(pattern.len())
        .position(|w| w == pattern.as_slice())
    else {
        return;
    };
    let tag = at.saturating_add(pattern.len()).saturating_sub(2);
    if let Some(byte) = message.get_mut(tag) {
        *byte = 0x02;
    }
}

/// Whether `request` is a SET to the vendor's on, off or cycle control column (a switch
/// operation, for `switch-gap`).
fn switches(device: &Device, request: &Pdu<'_>) -> bool {
    if request.pdu_type != PduType::SetRequest {
        return false;
    }
    let switching = device.vendor.mib().switching;
    let columns = [
        Some(switching.on.column),
        Some(switching.off.column),
        switching.cycle.map(|c| c.column),
    ];
    request.varbinds.iter().any(|vb| {
        columns
            .iter()
            .flatten()
            .any(|column| vb.oid.starts_with(column))
    })
}

/// Whether a command turned `before` into `after` by scheduling a delayed command on an
/// outlet that had none (for `refuse-delayed-commands`).
fn delayed_command(
    before: &[crate::outlet::Outlet],
    after: &mut [crate::outlet::Outlet],
    now: Duration,
) -> bool {
    before
        .iter()
        .zip(after.iter_mut())
        .any(|(was, is)| !was.clone().delayed_pending(now) && is.delayed_pending(now))
}

/// What the agent side decided, after the `Respond` faults.
enum Answer {
    Response(Pdu<'static>),
    /// A Report claiming this USM failure, instead of the Response.
    Report(UsmFailure),
    /// No answer at all (the request was carried out, or not).
    Nothing,
}

/// Runs the agent for `device`, with the `Respond` point's faults around it.
fn answer(
    device: &Device,
    version: Version,
    request: &Pdu<'_>,
    access: Access,
    budget: usize,
    buffers: &mut Buffers,
    zero_length: &mut Option<Oid>,
) -> Answer {
    let now = device.now();
    // A fault uses its packet budget only on requests it acts on (`Schedule::packets`): each
    // is claimed once it is sure to act.
    let faults = device.faults.pending(FaultPoint::Respond, now);
    let is_set = request.pdu_type == PduType::SetRequest;
    let mut wrong_request_id = None;
    let mut after_commit = None;
    let mut gap_noted = false;
    let mut refuse_delayed = None;
    let mut zero_length_prefix = None;
    for (id, fault) in &faults {
        let id = *id;
        match fault {
            FaultKind::ForceError {
                status,
                oid,
                set_only,
            } => {
                if *set_only && !is_set {
                    continue;
                }
                let prefix = oid.as_deref().and_then(Oid::parse);
                let index = match &prefix {
                    Some(p) => match request
                        .varbinds
                        .iter()
                        .position(|vb| vb.oid.starts_with(p.arcs()))
                    {
                        Some(i) => i.saturating_add(1),
                        None => continue,
                    },
                    None => usize::from(!request.varbinds.is_empty()),
                };
                if !device.faults.claim(id, now) {
                    continue;
                }
                let status = parse_error_status(status).unwrap_or(ErrorStatus::GenErr);
                // SNMPv1 has only its six error-status values (RFC 3584 §4.4).
                let status = match version {
                    Version::V1 => crate::agent::v1_error(status),
                    Version::V2c | Version::V3 => status,
                };
                return Answer::Response(error_response(version, request, status, index));
            }
            FaultKind::ReportInstead { counter } => {
                if version != Version::V3 {
                    continue;
                }
                if let Some(failure) = UsmFailure::from_name(counter) {
                    if device.faults.claim(id, now) {
                        return Answer::Report(failure);
                    }
                }
            }
            FaultKind::WrongRequestId => {
                wrong_request_id.get_or_insert(id);
            }
            FaultKind::ErrorAfterCommit { no_answer } => {
                if is_set {
                    after_commit.get_or_insert((id, *no_answer));
                }
            }
            FaultKind::SwitchGap { ms, status, ignore } => {
                if !switches(device, request) {
                    continue;
                }
                if !device.faults.switch_too_soon(*ms) {
                    gap_noted = true;
                    continue;
                }
                if !device.faults.claim(id, now) {
                    continue;
                }
                if *ignore {
                    // Accepted, not carried out: noError with the request's varbinds.
                    return Answer::Response(error_response(
                        version,
                        request,
                        ErrorStatus::NoError,
                        0,
                    ));
                }
                let status = status
                    .as_deref()
                    .and_then(parse_error_status)
                    .unwrap_or(ErrorStatus::ResourceUnavailable);
                let status = match version {
                    Version::V1 => crate::agent::v1_error(status),
                    Version::V2c | Version::V3 => status,
                };
                return Answer::Response(error_response(version, request, status, 1));
            }
            FaultKind::RefuseDelayedCommands => {
                if is_set {
                    refuse_delayed.get_or_insert(id);
                }
            }
            FaultKind::ZeroLengthInteger { oid } => {
                if version != Version::V3 {
                    if let Some(prefix) = Oid::parse(oid) {
                        zero_length_prefix.get_or_insert((id, prefix));
                    }
                }
            }
            // Faults of the other points never come back from `pending(FaultPoint::Respond)`.
            FaultKind::AgentDown
            | FaultKind::DropRequest
            | FaultKind::DropResponse
            | FaultKind::Delay { .. }
            | FaultKind::Duplicate
            | FaultKind::Reorder
            | FaultKind::Truncate { .. }
            | FaultKind::Corrupt { .. }
            | FaultKind::WrongSourcePort
            | FaultKind::StuckOutlet { .. }
            | FaultKind::SlowOutlet { .. }
            | FaultKind::DropNotification
            | FaultKind::DelayNotification { .. }
            | FaultKind::DuplicateNotification
            | FaultKind::UnacknowledgedInform
            | FaultKind::AuthLockout { .. }
            | FaultKind::DiscoveryWithoutTime
            | FaultKind::EmptyReport => {}
        }
    }
    // What an unsaved SET goes back to (see `settle_save`).
    let before = (request.pdu_type == PduType::SetRequest).then(|| device.lock_state().clone());
    let crate::agent::Answered {
        mut response,
        state_changed,
    } = respond(device, version, request, access, budget);
    // refuse-delayed-commands: a SET that left an outlet as it was with a change pending was a
    // delayed command: undone and refused.
    if let (Some(id), true) = (refuse_delayed, state_changed) {
        if let Some(before) = &before {
            let now = device.now();
            let mut state = device.lock_state();
            if delayed_command(&before.outlets, &mut state.outlets, now)
                && device.faults.claim(id, now)
            {
                *state = before.clone();
                drop(state);
                return Answer::Response(error_response(
                    version,
                    request,
                    ErrorStatus::WrongValue,
                    1,
                ));
            }
        }
    }
    if gap_noted && response.error_status == ErrorStatus::NoError as i32 {
        device.faults.switched();
    }
    if state_changed {
        buffers.saving = device.persist();
        if buffers.saving.is_some() {
            buffers.unsaved = before.map(|before| Unsaved {
                device: None,
                before,
                answer: Vec::new(),
            });
        }
    }
    // error-after-commit: the SET was carried out; the answer says genErr, or nothing comes.
    if let Some((id, no_answer)) = after_commit {
        if response.error_status == ErrorStatus::NoError as i32 && device.faults.claim(id, now) {
            if no_answer {
                return Answer::Nothing;
            }
            response = error_response(version, request, ErrorStatus::GenErr, 1);
        }
    }
    if let Some(id) = wrong_request_id {
        if device.faults.claim(id, now) {
            response.request_id = response.request_id.wrapping_add(1);
        }
    }
    // zero-length-integer acts on a Response with an INTEGER under its prefix.
    if let Some((id, prefix)) = zero_length_prefix {
        let has_integer = response
            .varbinds
            .iter()
            .any(|vb| vb.oid.starts_with(prefix.arcs()) && matches!(vb.value, Value::Integer(_)));
        if has_integer && device.faults.claim(id, now) {
            *zero_length = Some(prefix);
        }
    }
    Answer::Response(response)
}

/// Whether `device` is unavailable (its saved state became unreadable while the process ran,
/// see [`crate::device::Device::unavailable`]): then the request is dropped unanswered, as a
/// PDU that cannot boot answers nothing. Asking makes a lazy PDU come into being.
fn unavailable(device: &Device, seen: &mut Seen<'_>) -> bool {
    if device.unavailable().is_none() {
        return false;
    }
    seen.dropped("the PDU is unavailable: its saved state cannot be read (see the log)");
    true
}

fn handle_community<'e>(
    endpoint: &'e Endpoint,
    m: CommunityMessage<'_>,
    buffers: &mut Buffers,
    seen: &mut Seen<'e>,
    addressed: &mut &'e Device,
) -> Option<&'e Device> {
    let Some((device, access)) = endpoint.by_community(m.community) else {
        let primary = endpoint.primary();
        bump(&primary.stats.snmp_in_bad_community_names);
        seen.community(m.version, None);
        seen.request(&m.pdu);
        seen.dropped("unknown community (snmpInBadCommunityNames)");
        primary.authentication_failure();
        primary
            .faults
            .auth_failed(buffers.peer.map(|p| p.ip()), primary.now());
        debug!(pdu = %primary.name, "dropped a request with an unknown community");
        return None;
    };
    *addressed = device;
    seen.at(&device.requests);
    seen.community(m.version, Some(access));
    seen.request(&m.pdu);
    if unavailable(device, seen) {
        return None;
    }
    if shared(endpoint) {
        device.faults.count_request();
        if lost_on_receive(device, buffers.peer, seen) {
            return None;
        }
    }
    // RFC 3584 §4.1: GetBulk does not exist in v1; a v1 message carrying one is malformed.
    if m.version == Version::V1 && m.pdu.pdu_type == PduType::GetBulkRequest {
        bump(&device.stats.snmp_in_asn_parse_errs);
        seen.dropped("GetBulkRequest in SNMPv1 (snmpInASNParseErrs)");
        return None;
    }
    if !is_request(&m.pdu) {
        // RFC 3412 §4.2.2.1 step 2 (no application for a Trap, Inform or Report) and §4.2.2.2
        // step 2 (a Response that answers nothing we sent): snmpUnknownPDUHandlers, as for
        // SNMPv3. snmpSilentDrops is for answers too big even as tooBig (RFC 3418).
        bump(&device.stats.snmp_unknown_pdu_handlers);
        seen.dropped("not a request (snmpUnknownPDUHandlers)");
        return None;
    }
    if m.pdu.pdu_type == PduType::SetRequest && access == Access::ReadOnly {
        bump(&device.stats.snmp_in_bad_community_uses);
    }
    log_request(device, m.version, &m.pdu, "community");
    let budget =
        MAX_MESSAGE_SIZE.saturating_sub(HEADER_ALLOWANCE.saturating_add(m.community.len()));
    let mut zero_length = None;
    let mut response = match answer(
        device,
        m.version,
        &m.pdu,
        access,
        budget,
        buffers,
        &mut zero_length,
    ) {
        Answer::Response(response) => response,
        Answer::Nothing => {
            seen.dropped("answer withheld by an error-after-commit fault");
            return None;
        }
        // Reports are a v3 affair; `answer` only makes them for v3.
        Answer::Report(_) => return None,
    };
    if let Some(unsaved) = buffers.unsaved.as_mut() {
        unsaved.device = endpoint
            .devices()
            .iter()
            .find(|d| std::ptr::eq(d.as_ref(), device))
            .cloned();
        let failed = error_response(m.version, &m.pdu, ErrorStatus::CommitFailed, 0);
        encode_community_message(&mut unsaved.answer, m.version, m.community, &failed);
    }
    // zero-length-integer: the INTEGERs under the prefix go out as `44 00` (an empty Opaque,
    // the same two octets long) and are then retagged `02 00` in the encoded message.
    let emptied = zero_length
        .map(|prefix| empty_integers(&mut response, &prefix))
        .unwrap_or_default();
    buffers.out.clear();
    encode_community_message(&mut buffers.out, m.version, m.community, &response);
    for oid in &emptied {
        retag_empty_integer(&mut buffers.out, oid);
    }
    if buffers.out.len() > MAX_MESSAGE_SIZE {
        // RFC 3416 §4.2.1: too big to send: say tooBig with no varbinds.
        let too_big = too_big_response(m.version, &m.pdu);
        bump(&device.stats.snmp_out_too_bigs);
        buffers.out.clear();
        encode_community_message(&mut buffers.out, m.version, m.community, &too_big);
        seen.answered(&too_big);
    } else {
        seen.answered(&response);
    }
    bump(&device.stats.snmp_out_get_responses);
    Some(device)
}

fn handle_v3<'e>(
    endpoint: &'e Endpoint,
    salts: &SaltSource,
    datagram: &[u8],
    m: V3Message<'_>,
    buffers: &mut Buffers,
    seen: &mut Seen<'e>,
    addressed: &mut &'e Device,
) -> Option<&'e Device> {
    // USM belongs to the address's engine: the primary PDU's.
    let device = endpoint.primary();
    let stats = &device.stats;
    if unavailable(device, seen) {
        return None;
    }
    // RFC 3412 §7.2 step 4: only USM is known here.
    if m.msg_security_model != 3 {
        bump(&stats.snmp_unknown_security_models);
        seen.dropped("a security model other than USM (snmpUnknownSecurityModels)");
        return None;
    }
    // Step 5: privacy without authentication is not a security level.
    let Some(level) = SecurityLevel::from_flags(m.msg_flags) else {
        bump(&stats.snmp_invalid_msgs);
        seen.dropped("privacy without authentication in msgFlags (snmpInvalidMsgs)");
        return None;
    };
    seen.user(m.usm.user_name, level);
    let reportable = m.msg_flags & FLAG_REPORTABLE != 0;
    let max_size = usize::try_from(m.msg_max_size)
        .unwrap_or(MAX_MESSAGE_SIZE)
        .min(MAX_MESSAGE_SIZE);
    let (user, decrypted) = match process_inbound(device, datagram, &m, level) {
        Inbound::Accepted {
            user, decrypted, ..
        } => (user, decrypted),
        Inbound::Refused {
            failure,
            report,
            signed_by,
        } => {
            debug!(pdu = %device.name, user = %String::from_utf8_lossy(m.usm.user_name), "refused: {}", failure.name());
            if let ScopedPduData::Plaintext(s) = &m.data {
                seen.request(&s.pdu);
            }
            seen.reported(ReportReason::Usm(failure), reportable);
            if failure == UsmFailure::WrongDigest {
                device.authentication_failure();
                device
                    .faults
                    .auth_failed(buffers.peer.map(|p| p.ip()), device.now());
            }
            return usm_report(device, salts, &m, report, signed_by.as_deref(), buffers);
        }
    };
    let scoped = match (&m.data, &decrypted) {
        // RFC 3414 §3.2 step 8: bytes that do not decode as a ScopedPDU mean the privacy key
        // or protocol is wrong; the sender wants to hear that as a decryption error.
        (_, Some(plain)) => match decode_scoped_pdu(plain) {
            Ok(scoped) => Some(scoped),
            Err(_) => {
                debug!(pdu = %device.name, user = %String::from_utf8_lossy(m.usm.user_name), "refused: undecryptable");
                seen.reported(ReportReason::Usm(UsmFailure::DecryptionError), reportable);
                return usm_report(
                    device,
                    salts,
                    &m,
                    crate::security::count(UsmFailure::DecryptionError, device),
                    None,
                    buffers,
                );
            }
        },
        (ScopedPduData::Plaintext(s), None) => Some(s.clone()),
        // An encrypted body at a level without privacy.
        (ScopedPduData::Encrypted(_), None) => None,
    };
    let Some(scoped) = scoped else {
        bump(&stats.snmp_in_asn_parse_errs);
        seen.dropped("an encrypted ScopedPDU without privacy in msgFlags (snmpInASNParseErrs)");
        return None;
    };
    seen.request(&scoped.pdu);
    let how = Outbound {
        msg_id: m.msg_id,
        msg_max_size: MAX_MSG_MAX_SIZE,
        level,
        user: Some(&user),
        user_name: m.usm.user_name,
    };
    let send = |pdu: &Pdu<'_>, buffers: &mut Buffers| {
        wrap_outbound(
            device,
            salts,
            &how,
            scoped.context_name,
            pdu,
            &mut buffers.scratch,
            &mut buffers.out,
        );
    };
    // RFC 3412 §7.2 step 10 / RFC 3413: a contextEngineID that is not ours, or a context no PDU
    // at this address has.
    let counter_report =
        |reason: ReportReason, value: u32| report_pdu(scoped.pdu.request_id, reason.varbind(value));
    if !scoped.context_engine_id.is_empty() && scoped.context_engine_id != &*device.engine().id() {
        let n = bump(&stats.snmp_unknown_pdu_handlers);
        seen.reported(ReportReason::UnknownPduHandler, reportable);
        send(&counter_report(ReportReason::UnknownPduHandler, n), buffers);
        return reportable.then_some(device);
    }
    let Some(target) = endpoint.by_context(scoped.context_name) else {
        let n = bump(&stats.snmp_unknown_contexts);
        seen.reported(ReportReason::UnknownContext, reportable);
        send(&counter_report(ReportReason::UnknownContext, n), buffers);
        return reportable.then_some(device);
    };
    *addressed = target;
    if shared(endpoint) {
        target.faults.count_request();
        if lost_on_receive(target, buffers.peer, seen) {
            return None;
        }
    }
    if !std::ptr::eq(target, device) {
        seen.at(&target.requests);
        seen.user(m.usm.user_name, level);
        seen.request(&scoped.pdu);
        if lost_on_receive(target, buffers.peer, seen) || unavailable(target, seen) {
            return None;
        }
    }
    if !is_request(&scoped.pdu) {
        bump(&stats.snmp_unknown_pdu_handlers);
        seen.dropped("not a request (snmpUnknownPDUHandlers)");
        return None;
    }
    log_request(target, Version::V3, &scoped.pdu, "usm");
    if level < user.min_level {
        // The access policy asks for more security than the request has (VACM would find no
        // access entry): authorizationError, error-index 0, built from the original PDU with its
        // varbinds (RFC 3413 §3.2 step 5), as net-snmp answers.
        let refused = error_response(Version::V3, &scoped.pdu, ErrorStatus::AuthorizationError, 0);
        seen.answered(&refused);
        send(&refused, buffers);
        return Some(target);
    }
    let budget = max_size.saturating_sub(
        HEADER_ALLOWANCE
            .saturating_add(m.usm.user_name.len().saturating_mul(2))
            .saturating_add(device.engine().id().len().saturating_mul(2))
            .saturating_add(64),
    );
    match answer(
        target,
        Version::V3,
        &scoped.pdu,
        user.access,
        budget,
        buffers,
        &mut None,
    ) {
        Answer::Response(response) => {
            if buffers.unsaved.is_some() {
                send(
                    &error_response(Version::V3, &scoped.pdu, ErrorStatus::CommitFailed, 0),
                    buffers,
                );
                let failed = std::mem::take(&mut buffers.out);
                if let Some(unsaved) = buffers.unsaved.as_mut() {
                    unsaved.answer = failed;
                    unsaved.device = endpoint
                        .devices()
                        .iter()
                        .find(|d| std::ptr::eq(d.as_ref(), target))
                        .cloned();
                }
            }
            send(&response, buffers);
            if buffers.out.len() > max_size {
                let too_big = too_big_response(Version::V3, &scoped.pdu);
                bump(&stats.snmp_out_too_bigs);
                send(&too_big, buffers);
                seen.answered(&too_big);
            } else {
                seen.answered(&response);
            }
            bump(&stats.snmp_out_get_responses);
        }
        Answer::Nothing => {
            seen.dropped("answer withheld by an error-after-commit fault");
            return None;
        }
        Answer::Report(failure) => {
            seen.reported_by_fault(failure);
            let mut report = report_pdu(
                scoped.pdu.request_id,
                crate::security::count(failure, device),
            );
            if report_faults(device, false).empty {
                report.varbinds.clear();
            }
            // A notInTimeWindow Report is authenticated, the others are not (as above).
            let level = if failure == UsmFailure::NotInTimeWindow {
                SecurityLevel::AuthNoPriv
            } else {
                SecurityLevel::NoAuthNoPriv
            };
            let how = Outbound { level, ..how };
            wrap_outbound(
                device,
                salts,
                &how,
                scoped.context_name,
                &report,
                &mut buffers.scratch,
                &mut buffers.out,
            );
        }
    }
    Some(target)
}

/// Answers a message USM refused with a Report, if the sender asked for reports.
fn usm_report<'d>(
    device: &'d Device,
    salts: &SaltSource,
    m: &V3Message<'_>,
    varbind: VarBind<'static>,
    signed_by: Option<&crate::access::User>,
    buffers: &mut Buffers,
) -> Option<&'d Device> {
    if m.msg_flags & FLAG_REPORTABLE == 0 {
        return None;
    }
    // The request-id of the refused PDU when it can be read (it is plaintext); else 0.
    let (request_id, context) = match &m.data {
        ScopedPduData::Plaintext(s) => (s.pdu.request_id, s.context_name),
        ScopedPduData::Encrypted(_) => (0, &b""[..]),
    };
    let faults = report_faults(device, m.usm.engine_id.is_empty());
    let mut report = report_pdu(request_id, varbind);
    if faults.empty {
        report.varbinds.clear();
    }
    // discovery-without-time: the answer to discovery (no engine ID yet) says boots 0, time 0.
    let clock = if faults.discovery_without_time {
        (0, 0)
    } else {
        (device.engine().boots(), device.engine().time())
    };
    // notInTimeWindow Reports go out authenticated, so the sender can trust the boots and
    // time they carry (RFC 3414 §3.2 step 7b); the others cannot be.
    let level = if signed_by.is_some() {
        SecurityLevel::AuthNoPriv
    } else {
        SecurityLevel::NoAuthNoPriv
    };
    let how = Outbound {
        msg_id: m.msg_id,
        msg_max_size: MAX_MSG_MAX_SIZE,
        level,
        user: signed_by,
        user_name: m.usm.user_name,
    };
    wrap_outbound_at(
        device,
        salts,
        &how,
        context,
        &report,
        clock,
        &mut buffers.scratch,
        &mut buffers.out,
    );
    Some(device)
}

/// What the `Report` point's faults do to the Report about to be sent.
#[derive(Default)]
struct ReportFaults {
    /// `empty-report`: no varbind.
    empty: bool,
    /// `discovery-without-time`: a discovery Report says boots 0, time 0.
    discovery_without_time: bool,
}

/// The `Report` point, for a Report answering discovery (`discovery`: the message named no
/// authoritative engine) or not: `discovery-without-time` acts on discovery Reports only, so
/// only those use its packet budget.
fn report_faults(device: &Device, discovery: bool) -> ReportFaults {
    let mut out = ReportFaults::default();
    let now = device.now();
    for (id, fault) in device.faults.pending(FaultPoint::Report, now) {
        match fault {
            FaultKind::EmptyReport => {
                if !out.empty && device.faults.claim(id, now) {
                    out.empty = true;
                }
            }
            FaultKind::DiscoveryWithoutTime => {
                if discovery && !out.discovery_without_time && device.faults.claim(id, now) {
                    out.discovery_without_time = true;
                }
            }
            // Faults of the other points never come back from `at(FaultPoint::Report)`.
            FaultKind::AgentDown
            | FaultKind::DropRequest
            | FaultKind::DropResponse
            | FaultKind::Delay { .. }
            | FaultKind::Duplicate
            | FaultKind::Reorder
            | FaultKind::Truncate { .. }
            | FaultKind::Corrupt { .. }
            | FaultKind::WrongSourcePort
            | FaultKind::ForceError { .. }
            | FaultKind::WrongRequestId
            | FaultKind::ReportInstead { .. }
            | FaultKind::ErrorAfterCommit { .. }
            | FaultKind::StuckOutlet { .. }
            | FaultKind::SlowOutlet { .. }
            | FaultKind::DropNotification
            | FaultKind::DelayNotification { .. }
            | FaultKind::DuplicateNotification
            | FaultKind::UnacknowledgedInform
            | FaultKind::SwitchGap { .. }
            | FaultKind::RefuseDelayedCommands
            | FaultKind::AuthLockout { .. }
            | FaultKind::ZeroLengthInteger { .. } => {}
        }
    }
    out
}

fn report_pdu(request_id: i32, varbind: VarBind<'static>) -> Pdu<'static> {
    Pdu {
        pdu_type: PduType::Report,
        request_id,
        error_status: 0,
        error_index: 0,
        varbinds: vec![varbind],
        trap_v1: None,
    }
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

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::stats::read;
    use snmp_proto::usm::auth::AuthKey;
    use snmp_proto::usm::AuthProtocol;
    use snmp_proto::Value;
    use snmp_proto::{
        encode_scoped_pdu, encode_v3_message, ScopedPdu, UsmSecurityParameters, V3Body, V3Message,
    };

    const CONFIG: &str = r#"
[[pdu]]
name = "px2"
engine_id = "8000000001020304"
[[pdu.user]]
name = "ops"
auth = "sha"
auth_password = "opsauth123"
"#;

    /// The PDUs of `config`, started on a manual clock with no state directory.
    fn pdus(config: &str) -> Vec<Arc<Device>> {
        FileConfig::parse(config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .into_iter()
            .map(|(spec, _)| {
                let spec = crate::device::DeviceSpec {
                    state_dir: None,
                    ..spec
                };
                Arc::new(Device::start(spec, Arc::new(ManualClock::default())).unwrap())
            })
            .collect()
    }

    fn endpoint() -> Endpoint {
        Endpoint::new("127.0.0.1:1161".parse().unwrap(), pdus(CONFIG)).unwrap()
    }

    /// A lazy PDU whose saved state went bad while the process ran answers nothing (v2c and
    /// v3 alike) and writes nothing over the file.
    #[test]
    fn an_unavailable_pdu_answers_nothing() {
        let root = tempfile::tempdir().unwrap();
        let config = format!("{CONFIG}[[pdu.community]]\nname = \"rw\"\naccess = \"read-write\"\n");
        let spec = FileConfig::parse(&config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        let dir = root.path().join("px2");
        let spec = crate::device::DeviceSpec {
            state_dir: Some(dir.clone()),
            ..spec
        };
        let mut shared = crate::device::KeyAndTreeCache::default();
        let starts = crate::engine::StartCount::bump(root.path()).unwrap();
        shared
            .start_counts
            .insert(root.path().to_path_buf(), starts);
        let device = Device::start_lazy(spec, Arc::new(ManualClock::default()), &shared);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(crate::device::STATE_FILE), "[[outlets]\n").unwrap();
        let endpoint =
            Endpoint::new("127.0.0.1:1161".parse().unwrap(), vec![Arc::new(device)]).unwrap();
        let mut out = Vec::new();
        let get = request(
            PduType::GetRequest,
            vec![VarBind {
                oid: Oid::new(snmp_proto::oids::SYS_NAME),
                value: Value::Null,
            }],
        );
        snmp_proto::encode_community_message(&mut out, Version::V2c, b"rw", &get);
        let mut buffers = Buffers::default();
        assert!(handle_datagram(&endpoint, &SaltSource::new(), &out, &mut buffers).is_none());
        // SNMPv3 discovery gets no Report either.
        let discovery = v3(0x04, b"", 0, 0, b"", None, get.clone());
        assert!(handle_datagram(&endpoint, &SaltSource::new(), &discovery, &mut buffers).is_none());
        assert!(endpoint.primary().unavailable().is_some());
        assert_eq!(
            std::fs::read_to_string(dir.join(crate::device::STATE_FILE)).unwrap(),
            "[[outlets]\n"
        );
    }

    fn request(pdu_type: PduType, varbinds: Vec<VarBind<'static>>) -> Pdu<'static> {
        Pdu {
            pdu_type,
            request_id: 77,
            error_status: 0,
            error_index: 0,
            varbinds,
            trap_v1: None,
        }
    }

    /// A v3 message in clear, signed with `auth` when given.
    fn v3(
        flags: u8,
        engine_id: &[u8],
        boots: i32,
        time: i32,
        user: &[u8],
        auth: Option<&AuthKey>,
        pdu: Pdu<'_>,
    ) -> Vec<u8> {
        let mut scoped = Vec::new();
        encode_scoped_pdu(
            &mut scoped,
            &ScopedPdu {
                context_engine_id: engine_id,
                context_name: b"",
                pdu,
            },
        );
        let zeros = [0u8; 12];
        let usm = UsmSecurityParameters {
            engine_id,
            engine_boots: boots,
            engine_time: time,
            user_name: user,
            auth_params: if auth.is_some() { &zeros } else { &[] },
            priv_params: &[],
        };
        let mut out = Vec::new();
        let at = encode_v3_message(
            &mut out,
            4242,
            65507,
            flags,
            &usm,
            V3Body::Plaintext(&scoped),
        );
        if let Some(key) = auth {
            let mac = key.sign(&out);
            out[at..at + mac.len()].copy_from_slice(&mac);
        }
        out
    }

    fn answer_to(endpoint: &Endpoint, datagram: &[u8]) -> Option<V3Message<'static>> {
        let mut buffers = Buffers::default();
        handle_datagram(endpoint, &SaltSource::new(), datagram, &mut buffers)?;
        let bytes: &'static [u8] = Box::leak(buffers.out.clone().into_boxed_slice());
        match decode_message(bytes).unwrap() {
            Message::V3(m) => Some(m),
            Message::Community(_) => panic!("a v3 request got a community answer"),
        }
    }

    fn report_oid(m: &V3Message<'_>) -> (PduType, String, i32) {
        let ScopedPduData::Plaintext(s) = &m.data else {
            panic!("reports are not encrypted")
        };
        (
            s.pdu.pdu_type,
            s.pdu.varbinds[0].oid.to_string(),
            s.pdu.request_id,
        )
    }

    /// A PX2 with outlets saved under `dir` and a read-write community `private`.
    fn saving_endpoint(dir: &std::path::Path) -> (Endpoint, Arc<Device>) {
        let config = "[[pdu]]\nname = \"px2\"\noutlets = 4\n[[pdu.community]]\nname = \"private\"\naccess = \"rw\"\n";
        let mut spec = FileConfig::parse(config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = Some(dir.to_path_buf());
        let device = Arc::new(Device::start(spec, Arc::new(ManualClock::default())).unwrap());
        let endpoint =
            Endpoint::new("127.0.0.1:1161".parse().unwrap(), vec![device.clone()]).unwrap();
        (endpoint, device)
    }

    /// A v2c SET of PX2 switchingOperation.`outlet` to off (0), community `private`.
    fn switch_off(outlet: u32) -> Vec<u8> {
        let oid = format!("1.3.6.1.4.1.13742.6.4.1.2.1.2.1.{outlet}");
        let pdu = request(
            PduType::SetRequest,
            vec![VarBind {
                oid: snmp_proto::Oid::parse(&oid).unwrap(),
                value: Value::Integer(0),
            }],
        );
        let mut out = Vec::new();
        snmp_proto::encode_community_message(&mut out, Version::V2c, b"private", &pdu);
        out
    }

    fn error_status_of(answer: &[u8]) -> i32 {
        match decode_message(answer).unwrap() {
            Message::Community(m) => m.pdu.error_status,
            Message::V3(_) => panic!("a v2c request got a v3 answer"),
        }
    }

    fn power_of(device: &Device, outlet: usize) -> crate::outlet::Power {
        device.outlet_powers()[outlet - 1]
    }

    /// A SET whose state write has still not finished when the wait ends (a hung file system)
    /// is not acknowledged: it is answered commitFailed, undone in memory and counted, and the
    /// state from before it is written after the stalled write, so the file ends up agreeing.
    #[test]
    fn a_set_whose_write_is_still_pending_after_the_wait_is_refused_and_undone() {
        use crate::outlet::Power;
        let dir = tempfile::tempdir().unwrap();
        let (endpoint, device) = saving_endpoint(dir.path());
        assert_eq!(power_of(&device, 1), Power::On);
        let mut buffers = Buffers::default();
        handle_datagram(&endpoint, &SaltSource::new(), &switch_off(1), &mut buffers).unwrap();
        assert_eq!(error_status_of(&buffers.out), 0, "answered noError so far");
        assert_eq!(power_of(&device, 1), Power::Off);
        // The real write lands (the stalled write that ends after all) ...
        let real = buffers.saving.take().unwrap();
        assert!(real.wait(std::time::Duration::from_secs(20)));
        // ... but the transport only knows of a write still pending when it gives up waiting.
        let stalled = crate::persist::PendingWrite::new();
        settle_save(&stalled, &mut buffers);
        assert_eq!(
            error_status_of(&buffers.out),
            ErrorStatus::CommitFailed as i32,
            "the answer is commitFailed"
        );
        assert_eq!(power_of(&device, 1), Power::On, "the SET is undone");
        assert_eq!(read(&device.stats.state_save_failures), 1, "and counted");
        assert!(crate::persist::flush_background_writes(
            std::time::Duration::from_secs(20)
        ));
        drop(endpoint);
        drop(device);
        let (_, again) = saving_endpoint(dir.path());
        assert_eq!(
            power_of(&again, 1),
            Power::On,
            "the state file holds the state from before the refused SET"
        );
    }

    /// The transport waits for the outcome of a SET's write, not for a short deadline: a write
    /// that fails a while later (a slow file system that then reports a full disk) still turns
    /// the answer into commitFailed; one that succeeds leaves it noError.
    #[tokio::test]
    async fn the_answer_waits_for_the_outcome_of_a_slow_write() {
        use crate::outlet::Power;
        let dir = tempfile::tempdir().unwrap();
        let (endpoint, device) = saving_endpoint(dir.path());
        for fails in [true, false] {
            let mut buffers = Buffers::default();
            handle_datagram(&endpoint, &SaltSource::new(), &switch_off(2), &mut buffers).unwrap();
            let real = buffers.saving.take().unwrap();
            assert!(real.wait(std::time::Duration::from_secs(20)));
            let slow = crate::persist::PendingWrite::new();
            buffers.saving = Some(slow.clone());
            let ender = std::thread::spawn(move || {
                // Well past the 50 ms the transport used to wait.
                std::thread::sleep(std::time::Duration::from_millis(400));
                if fails {
                    slow.fail("cannot write outlets.toml: No space left on device".into());
                } else {
                    slow.finish();
                }
            });
            await_save(&mut buffers).await;
            ender.join().unwrap();
            let (status, power) = if fails {
                (ErrorStatus::CommitFailed as i32, Power::On)
            } else {
                (0, Power::Off)
            };
            assert_eq!(error_status_of(&buffers.out), status, "fails: {fails}");
            assert_eq!(power_of(&device, 2), power, "fails: {fails}");
        }
    }

    #[test]
    fn discovery_by_get_and_by_empty_set_is_answered_with_engine_id_boots_and_time() {
        let endpoint = endpoint();
        for pdu_type in [PduType::GetRequest, PduType::SetRequest] {
            let probe = v3(
                FLAG_REPORTABLE,
                b"",
                0,
                0,
                b"",
                None,
                request(pdu_type, Vec::new()),
            );
            let m = answer_to(&endpoint, &probe).expect("a Report");
            assert_eq!(
                report_oid(&m),
                (PduType::Report, "1.3.6.1.6.3.15.1.1.4.0".into(), 77),
                "{pdu_type:?}"
            );
            assert_eq!(
                (m.msg_id, m.msg_flags & FLAG_REPORTABLE),
                (4242, 0),
                "echoes msgID, reportable clear"
            );
            assert_eq!(m.usm.engine_id, [0x80, 0, 0, 0, 1, 2, 3, 4]);
            assert_eq!(m.usm.engine_boots, 1);
        }
    }

    /// RFC 3417 §8 lets a sender write lengths with more octets than needed (puresnmp writes
    /// `81 7f`): such a message is answered like its minimal twin, not counted as malformed.
    #[test]
    fn longer_length_fields_are_accepted() {
        let endpoint = endpoint();
        let minimal = v3(
            FLAG_REPORTABLE,
            b"",
            0,
            0,
            b"",
            None,
            request(PduType::GetRequest, Vec::new()),
        );
        assert!(
            minimal[1] < 0x80,
            "a short message: its outer length is one octet"
        );
        let mut longer = vec![0x30, 0x82, 0x00];
        longer.extend_from_slice(&minimal[1..]);
        let m = answer_to(&endpoint, &longer).expect("a Report");
        assert_eq!(report_oid(&m).1, "1.3.6.1.6.3.15.1.1.4.0");
        assert_eq!(
            crate::stats::read(&endpoint.primary().stats.snmp_in_asn_parse_errs),
            0
        );
    }

    /// RFC 3412 §7.2 step 2 / RFC 3418: a message of an unknown msgVersion is counted in
    /// snmpInBadVersions and dropped; a truly malformed one in snmpInASNParseErrs.
    #[test]
    fn unknown_versions_are_bad_versions_not_parse_errors() {
        let endpoint = endpoint();
        let stats = &endpoint.primary().stats;
        let mut buffers = Buffers::default();
        for version in [2u8, 4] {
            // A well-formed v2c-shaped GET with msgVersion 2 or 4.
            let mut get = vec![0x30, 0x1a, 0x02, 0x01, version, 0x04, 0x06];
            get.extend_from_slice(b"public");
            get.extend_from_slice(&[
                0xa0, 0x0d, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00,
            ]);
            get[1] = u8::try_from(get.len() - 2).unwrap();
            assert!(handle_datagram(&endpoint, &SaltSource::new(), &get, &mut buffers).is_none());
        }
        assert!(handle_datagram(
            &endpoint,
            &SaltSource::new(),
            &[0x30, 0x03, 0x02],
            &mut buffers
        )
        .is_none());
        assert_eq!(crate::stats::read(&stats.snmp_in_bad_versions), 2);
        assert_eq!(crate::stats::read(&stats.snmp_in_asn_parse_errs), 1);
    }

    /// A Response, Trap, Inform or Report sent to the agent over SNMPv1/v2c is dropped and
    /// counted in snmpUnknownPDUHandlers (RFC 3412 §4.2.2.1 step 2, §4.2.2.2 step 2), as over
    /// SNMPv3 and as net-snmp's agent counts it, not in snmpSilentDrops.
    #[test]
    fn non_requests_are_unknown_pdu_handlers() {
        const ONE: &str = r#"
[[pdu]]
name = "px2"
[[pdu.community]]
name = "public"
access = "read-only"
"#;
        let device = pdus(ONE).remove(0);
        let endpoint =
            Endpoint::new("127.0.0.1:1161".parse().unwrap(), vec![device.clone()]).unwrap();
        let sys_name = || {
            vec![VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                value: Value::Null,
            }]
        };
        let kinds = [
            PduType::Response,
            PduType::Report,
            PduType::InformRequest,
            PduType::SnmpV2Trap,
        ];
        for pdu_type in kinds {
            let mut out = Vec::new();
            snmp_proto::encode_community_message(
                &mut out,
                Version::V2c,
                b"public",
                &request(pdu_type, sys_name()),
            );
            let mut buffers = Buffers::default();
            assert!(
                handle_datagram(&endpoint, &SaltSource::new(), &out, &mut buffers).is_none(),
                "{pdu_type:?} is not answered"
            );
        }
        let stats = &device.stats;
        assert_eq!(
            crate::stats::read(&stats.snmp_unknown_pdu_handlers),
            u32::try_from(kinds.len()).unwrap()
        );
        assert_eq!(crate::stats::read(&stats.snmp_silent_drops), 0);
    }

    /// Error Responses keep the request's varbinds (RFC 3416 §4.2.1 and §4.2.5: "the same
    /// values in its request-id and variable-bindings fields"; RFC 1157 §4.1.2 "of identical
    /// form" under v1), forced by fault injection or not; only tooBig is sent with none
    /// (RFC 3416 §4.2.1). error-after-commit carries the SET out and still answers genErr.
    #[test]
    fn error_responses_keep_the_request_varbinds() {
        const ONE: &str = r#"
[[pdu]]
name = "px2"
vendor = "raritan-px2"
outlets = 4
[[pdu.community]]
name = "rw"
access = "read-write"
"#;
        let device = pdus(ONE).remove(0);
        let endpoint =
            Endpoint::new("127.0.0.1:1161".parse().unwrap(), vec![device.clone()]).unwrap();
        // switchingOperation.1.2 = off(0), and sysName.0 alongside.
        let off: Vec<u32> = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1, 2];
        let state: Vec<u32> = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3, 1, 2];
        let ask = |version: Version, pdu_type: PduType, varbinds: Vec<VarBind<'static>>| {
            let mut out = Vec::new();
            let request = request(pdu_type, varbinds);
            snmp_proto::encode_community_message(&mut out, version, b"rw", &request);
            let mut buffers = Buffers::default();
            handle_datagram(&endpoint, &SaltSource::new(), &out, &mut buffers)?;
            let Ok(Message::Community(m)) = decode_message(&buffers.out) else {
                panic!("not a community message");
            };
            let p = m.pdu;
            Some((
                request.varbinds,
                p.error_status,
                p.error_index,
                p.varbinds
                    .into_iter()
                    .map(|vb| VarBind {
                        oid: vb.oid.clone(),
                        value: vb.value.into_owned(),
                    })
                    .collect::<Vec<_>>(),
            ))
        };
        let set_off = vec![
            VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                value: Value::octets("renamed"),
            },
            VarBind {
                oid: Oid::new(&off),
                value: Value::Integer(0),
            },
        ];
        let get_state = || {
            ask(
                Version::V2c,
                PduType::GetRequest,
                vec![VarBind {
                    oid: Oid::new(&state),
                    value: Value::Null,
                }],
            )
            .unwrap()
            .3[0]
                .value
                .clone()
        };
        // A forced error pointing at the varbind under `oid`.
        let fault = device
            .faults
            .add(
                FaultKind::ForceError {
                    status: "wrongValue".into(),
                    oid: Some("1.3.6.1.4.1.13742".into()),
                    set_only: true,
                },
                crate::fault::Schedule::default(),
            )
            .unwrap();
        let (sent, status, index, got) =
            ask(Version::V2c, PduType::SetRequest, set_off.clone()).unwrap();
        assert_eq!((status, index), (ErrorStatus::WrongValue as i32, 2));
        assert_eq!(got, sent);
        assert_eq!(
            get_state(),
            Value::Integer(7),
            "a forced error changes nothing"
        );
        // Under v1 the forced error is mapped, and the varbinds still come back.
        let (sent, status, _, got) =
            ask(Version::V1, PduType::SetRequest, set_off.clone()).unwrap();
        assert_eq!(status, ErrorStatus::BadValue as i32);
        assert_eq!(got, sent);
        assert!(device.faults.remove(fault));
        // error-after-commit: carried out (outlet 2 off), answered genErr with the varbinds.
        device
            .faults
            .add(
                FaultKind::ErrorAfterCommit { no_answer: false },
                crate::fault::Schedule {
                    packets: Some(1),
                    ..Default::default()
                },
            )
            .unwrap();
        let (sent, status, index, got) =
            ask(Version::V2c, PduType::SetRequest, set_off.clone()).unwrap();
        assert_eq!((status, index), (ErrorStatus::GenErr as i32, 1));
        assert_eq!(got, sent);
        assert_eq!(get_state(), Value::Integer(8), "the SET was carried out");
        // ... and with no_answer, carried out and never answered.
        device
            .faults
            .add(
                FaultKind::ErrorAfterCommit { no_answer: true },
                crate::fault::Schedule {
                    packets: Some(1),
                    ..Default::default()
                },
            )
            .unwrap();
        let mut on = set_off.clone();
        on[1].value = Value::Integer(1);
        assert!(ask(Version::V2c, PduType::SetRequest, on).is_none());
        assert_eq!(
            get_state(),
            Value::Integer(7),
            "carried out without an answer"
        );
        // A v1 GET of a missing instance: noSuchName with the request's varbinds.
        let missing = vec![VarBind {
            oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 7]),
            value: Value::Null,
        }];
        let (sent, status, index, got) = ask(Version::V1, PduType::GetRequest, missing).unwrap();
        assert_eq!((status, index), (ErrorStatus::NoSuchName as i32, 1));
        assert_eq!(got, sent);
        // A forced tooBig is answered as a real one: error-index 0, and no varbinds in v2c
        // (RFC 3416 §4.2.1), the request's own in v1 (RFC 1157 §4.1.2, "of identical form").
        let fault = device
            .faults
            .add(
                FaultKind::ForceError {
                    status: "tooBig".into(),
                    oid: None,
                    set_only: false,
                },
                crate::fault::Schedule::default(),
            )
            .unwrap();
        for version in [Version::V1, Version::V2c] {
            let (sent, status, index, got) =
                ask(version, PduType::SetRequest, set_off.clone()).unwrap();
            assert_eq!(
                (status, index),
                (ErrorStatus::TooBig as i32, 0),
                "{version:?}"
            );
            match version {
                Version::V1 => assert_eq!(got, sent),
                _ => assert!(got.is_empty(), "{version:?}: {got:?}"),
            }
        }
        assert!(device.faults.remove(fault));
    }

    /// A fault's `packets` budget is used only by packets it acts on: a SET-only or
    /// OID-scoped force-error, error-after-commit and stuck-outlet outlive GETs (and SETs they
    /// leave alone) and act on the first request they apply to.
    #[test]
    fn budgets_count_only_packets_a_fault_acts_on() {
        const ONE: &str = r#"
[[pdu]]
name = "px2"
vendor = "raritan-px2"
outlets = 4
[[pdu.community]]
name = "rw"
access = "read-write"
"#;
        let device = pdus(ONE).remove(0);
        let endpoint =
            Endpoint::new("127.0.0.1:1161".parse().unwrap(), vec![device.clone()]).unwrap();
        // switchingOperation.1.2 (write) and switchingState.1.2 (read) of outlet 2.
        let control: Vec<u32> = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1, 2];
        let state: Vec<u32> = vec![1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3, 1, 2];
        let sys_name = Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]);
        let ask = |pdu_type: PduType, oid: &Oid, value: Value<'static>| -> (i32, Value<'static>) {
            let mut out = Vec::new();
            let request = request(
                pdu_type,
                vec![VarBind {
                    oid: oid.clone(),
                    value,
                }],
            );
            snmp_proto::encode_community_message(&mut out, Version::V2c, b"rw", &request);
            let mut buffers = Buffers::default();
            handle_datagram(&endpoint, &SaltSource::new(), &out, &mut buffers).expect("answered");
            let Ok(Message::Community(m)) = decode_message(&buffers.out) else {
                panic!("not a community message");
            };
            (
                m.pdu.error_status,
                m.pdu.varbinds[0].value.clone().into_owned(),
            )
        };
        let get = || ask(PduType::GetRequest, &Oid::new(&state), Value::Null);
        let switch = |on: bool| {
            ask(
                PduType::SetRequest,
                &Oid::new(&control),
                Value::Integer(i32::from(on)),
            )
            .0
        };
        let rename = || ask(PduType::SetRequest, &sys_name, Value::octets("x")).0;
        let once = crate::fault::Schedule {
            packets: Some(1),
            ..Default::default()
        };
        let listed = || device.faults.list(device.now()).len();
        let no_error = ErrorStatus::NoError as i32;
        let gen_err = ErrorStatus::GenErr as i32;
        let set_only_error = FaultKind::ForceError {
            status: "genErr".into(),
            oid: None,
            set_only: true,
        };
        let scoped_error = FaultKind::ForceError {
            status: "genErr".into(),
            oid: Some("1.3.6.1.4.1.13742.6.4.1.2.1.2".into()),
            set_only: false,
        };
        for fault in [
            set_only_error,
            scoped_error,
            FaultKind::ErrorAfterCommit { no_answer: false },
        ] {
            device.faults.add(fault.clone(), once.clone()).unwrap();
            for _ in 0..3 {
                assert_eq!(get().0, no_error, "{fault:?}: a GET is left alone");
            }
            assert_eq!(listed(), 1, "{fault:?}: GETs used none of its budget");
            if matches!(fault, FaultKind::ForceError { oid: Some(_), .. }) {
                assert_eq!(
                    rename(),
                    no_error,
                    "{fault:?}: a SET elsewhere is left alone"
                );
                assert_eq!(listed(), 1, "{fault:?}");
            }
            assert_eq!(switch(false), gen_err, "{fault:?}: the SET is hit");
            assert_eq!(listed(), 0, "{fault:?}: its one packet used");
            assert_eq!(switch(true), no_error, "{fault:?}: then gone");
        }
        // after_requests counts requests of every type, not only those the fault acts on.
        device
            .faults
            .add(
                FaultKind::ForceError {
                    status: "genErr".into(),
                    oid: None,
                    set_only: true,
                },
                crate::fault::Schedule {
                    after_requests: 2,
                    packets: Some(1),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(get().0, no_error);
        assert_eq!(switch(true), no_error, "the second request passes too");
        assert_eq!(switch(true), gen_err, "the third is the first affected");
        assert_eq!(listed(), 0);
        // stuck-outlet: GETs and SETs that do not switch its outlet pass; the first SET that
        // would switch it does nothing and uses the budget.
        let on = get().1;
        device
            .faults
            .add(FaultKind::StuckOutlet { outlet: 2 }, once.clone())
            .unwrap();
        assert_eq!(get().1, on);
        assert_eq!(rename(), no_error);
        assert_eq!(listed(), 1, "a GET and a rename used none of its budget");
        assert_eq!(switch(false), no_error);
        assert_eq!(get().1, on, "stuck: still on");
        assert_eq!(listed(), 0);
        assert_eq!(switch(false), no_error);
        assert_ne!(get().1, on, "then it switches");
    }

    /// discovery-without-time uses its budget on discovery Reports only: a Report for an
    /// unknown user leaves it in force; the next discovery Report carries boots and time 0.
    #[test]
    fn discovery_without_time_counts_discovery_reports_only() {
        let endpoint = endpoint();
        let device = endpoint.primary();
        device
            .faults
            .add(
                FaultKind::DiscoveryWithoutTime,
                crate::fault::Schedule {
                    packets: Some(1),
                    ..Default::default()
                },
            )
            .unwrap();
        let engine_id = device.engine().id();
        let boots = device.engine().boots();
        let unknown_user = v3(
            FLAG_REPORTABLE,
            &engine_id,
            boots,
            0,
            b"nobody",
            None,
            request(PduType::GetRequest, Vec::new()),
        );
        let report = answer_to(&endpoint, &unknown_user).expect("a Report");
        assert_eq!(report.usm.engine_boots, boots, "not a discovery Report");
        assert_eq!(device.faults.list(device.now()).len(), 1, "budget unused");
        let probe = v3(
            FLAG_REPORTABLE,
            b"",
            0,
            0,
            b"",
            None,
            request(PduType::GetRequest, Vec::new()),
        );
        let report = answer_to(&endpoint, &probe).expect("a discovery Report");
        assert_eq!((report.usm.engine_boots, report.usm.engine_time), (0, 0));
        assert!(
            device.faults.list(device.now()).is_empty(),
            "one packet used"
        );
        let report = answer_to(&endpoint, &probe).expect("a discovery Report");
        assert_eq!(report.usm.engine_boots, boots, "then gone");
    }

    /// Two PDUs at one address, told apart by community: each counts its own requests for
    /// `after_requests`, and a Receive fault of one loses only its own requests.
    /// Each datagram counts in the IF-MIB counters of the PDU it is for, with its exact length;
    /// each answer in those of the PDU that sent it, twice when duplicated, not at all when
    /// dropped; what names no PDU (an unknown community, a malformed message) counts on the
    /// address's first PDU.
    #[test]
    fn interface_counters_count_datagrams_and_octets_per_addressed_pdu() {
        use std::sync::atomic::Ordering::Relaxed;
        const TWO: &str = r#"
[[pdu]]
name = "a"
[[pdu.community]]
name = "ca"
[[pdu]]
name = "b"
[[pdu.community]]
name = "cb"
"#;
        let devices = pdus(TWO);
        let endpoint = Endpoint::new("127.0.0.1:1161".parse().unwrap(), devices.clone()).unwrap();
        let get = |community: &[u8]| {
            let mut out = Vec::new();
            snmp_proto::encode_community_message(
                &mut out,
                Version::V2c,
                community,
                &request(
                    PduType::GetRequest,
                    vec![VarBind {
                        oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                        value: Value::Null,
                    }],
                ),
            );
            let mut buffers = Buffers::default();
            let answered = handle_datagram(&endpoint, &SaltSource::new(), &out, &mut buffers)
                .map(|_| buffers.out.len());
            (out.len(), answered)
        };
        let counts = |d: &Device| {
            let i = &d.interface;
            [
                i.in_octets.load(Relaxed),
                i.in_ucast_pkts.load(Relaxed),
                i.out_octets.load(Relaxed),
                i.out_ucast_pkts.load(Relaxed),
            ]
        };
        let (a, b) = (&devices[0], &devices[1]);
        let (asked, answer) = get(b"cb");
        let answer = answer.unwrap();
        assert_eq!(counts(b), [asked as u64, 1, answer as u64, 1]);
        assert_eq!(counts(a), [0; 4], "b's traffic is not a's");
        // A duplicated answer is sent twice; a dropped one not at all.
        b.faults
            .add(FaultKind::Duplicate, crate::fault::Schedule::default())
            .unwrap();
        get(b"cb");
        assert_eq!(
            counts(b),
            [2 * asked as u64, 2, 3 * answer as u64, 3],
            "a duplicated answer counts twice"
        );
        b.faults.clear();
        b.faults
            .add(FaultKind::DropResponse, crate::fault::Schedule::default())
            .unwrap();
        assert_eq!(get(b"cb").1, None);
        assert_eq!(counts(b), [3 * asked as u64, 3, 3 * answer as u64, 3]);
        // An unknown community and a malformed datagram name no PDU: the first one's.
        let (unknown, none) = get(b"nobody");
        assert_eq!(none, None);
        let mut buffers = Buffers::default();
        let garbage = [0x30, 0x03, 0x02, 0x01];
        assert!(handle_datagram(&endpoint, &SaltSource::new(), &garbage, &mut buffers).is_none());
        assert_eq!(counts(a), [(unknown + garbage.len()) as u64, 2, 0, 0]);
        assert_eq!(counts(b)[1], 3);
    }

    #[test]
    fn faults_count_and_act_per_pdu_at_a_shared_address() {
        const TWO: &str = r#"
[[pdu]]
name = "a"
[[pdu.community]]
name = "ca"
access = "read-only"
[[pdu]]
name = "b"
[[pdu.community]]
name = "cb"
access = "read-only"
"#;
        let devices = pdus(TWO);
        let endpoint = Endpoint::new("127.0.0.1:1161".parse().unwrap(), devices.clone()).unwrap();
        let get = |community: &[u8]| {
            let mut out = Vec::new();
            snmp_proto::encode_community_message(
                &mut out,
                Version::V2c,
                community,
                &request(
                    PduType::GetRequest,
                    vec![VarBind {
                        oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                        value: Value::Null,
                    }],
                ),
            );
            let mut buffers = Buffers::default();
            handle_datagram(&endpoint, &SaltSource::new(), &out, &mut buffers).is_some()
        };
        let (a, b) = (&devices[0], &devices[1]);
        b.faults
            .add(
                FaultKind::DropRequest,
                crate::fault::Schedule {
                    after_requests: 1,
                    ..Default::default()
                },
            )
            .unwrap();
        for _ in 0..3 {
            assert!(
                get(b"ca"),
                "PDU a's requests neither count for b nor meet b's fault"
            );
        }
        assert!(get(b"cb"), "b's first request passes (after_requests = 1)");
        assert!(!get(b"cb"), "b's second request is lost");
        assert!(get(b"ca"), "a is still answered");
        b.faults.clear();
        a.faults
            .add(FaultKind::AgentDown, crate::fault::Schedule::default())
            .unwrap();
        assert!(
            !get(b"ca"),
            "the primary's agent-down loses its own requests"
        );
        assert!(get(b"cb"), "but not those of the other PDU at its address");
    }

    /// RFC 3413 §3.2 step 5: a request refused by the access policy (here: below the user's
    /// minimum securityLevel) is answered with authorizationError, error-index 0, built from
    /// the original PDU: its varbinds come back, as net-snmp's agent sends them.
    #[test]
    fn authorization_errors_keep_the_request_varbinds() {
        let endpoint = endpoint();
        let names = [[1, 3, 6, 1, 2, 1, 1, 5, 0], [1, 3, 6, 1, 2, 1, 1, 6, 0]];
        let varbinds = names
            .iter()
            .map(|o| VarBind {
                oid: Oid::new(o),
                value: Value::Null,
            })
            .collect();
        let engine_id = [0x80, 0, 0, 0, 1, 2, 3, 4];
        let get = v3(
            FLAG_REPORTABLE,
            &engine_id,
            1,
            0,
            b"ops",
            None,
            request(PduType::GetRequest, varbinds),
        );
        let m = answer_to(&endpoint, &get).expect("a Response");
        let ScopedPduData::Plaintext(s) = &m.data else {
            panic!("answered in clear, as asked")
        };
        assert_eq!(s.pdu.pdu_type, PduType::Response);
        assert_eq!(
            (s.pdu.error_status, s.pdu.error_index),
            (ErrorStatus::AuthorizationError as i32, 0)
        );
        let got: Vec<&[u32]> = s.pdu.varbinds.iter().map(|vb| vb.oid.arcs()).collect();
        assert_eq!(got, [&names[0][..], &names[1][..]]);
    }

    #[test]
    fn no_report_without_the_reportable_flag() {
        let endpoint = endpoint();
        let probe = v3(
            0,
            b"",
            0,
            0,
            b"",
            None,
            request(PduType::GetRequest, Vec::new()),
        );
        assert!(answer_to(&endpoint, &probe).is_none());
    }

    #[test]
    fn not_in_time_window_report_is_authenticated_with_current_boots_and_time() {
        let endpoint = endpoint();
        let engine_id = endpoint.primary().engine().id();
        let key = AuthKey::from_password(AuthProtocol::Sha1, b"opsauth123", &engine_id).unwrap();
        let get = request(
            PduType::GetRequest,
            vec![VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                value: Value::Null,
            }],
        );
        let late = v3(
            FLAG_REPORTABLE | 1,
            &engine_id,
            1,
            1000,
            b"ops",
            Some(&key),
            get.clone(),
        );
        let m = answer_to(&endpoint, &late).expect("a Report");
        assert_eq!(report_oid(&m).1, "1.3.6.1.6.3.15.1.1.2.0");
        assert_eq!(m.msg_flags, 1, "authNoPriv, not reportable");
        assert_eq!((m.usm.engine_boots, m.usm.engine_time), (1, 0));
        // In the window, the same request is answered.
        let in_time = v3(
            FLAG_REPORTABLE | 1,
            &engine_id,
            1,
            0,
            b"ops",
            Some(&key),
            get.clone(),
        );
        let m = answer_to(&endpoint, &in_time).expect("a Response");
        assert_eq!(report_oid(&m).0, PduType::Response);
        // A wrong digest is refused unauthenticated.
        let wrong = AuthKey::from_password(AuthProtocol::Sha1, b"notthekey99", &engine_id).unwrap();
        let forged = v3(
            FLAG_REPORTABLE | 1,
            &engine_id,
            1,
            0,
            b"ops",
            Some(&wrong),
            get,
        );
        let m = answer_to(&endpoint, &forged).expect("a Report");
        assert_eq!(
            (report_oid(&m).1.as_str(), m.msg_flags),
            ("1.3.6.1.6.3.15.1.1.5.0", 0)
        );
    }

    /// The request log, once armed, says who asked, what, and which Report or Response came
    /// back, and that a fault lost the answer; unarmed it keeps nothing.
    #[test]
    fn the_request_log_records_reports_responses_and_faults() {
        let endpoint = endpoint();
        let device = endpoint.primary();
        let engine_id = device.engine().id();
        let get = request(
            PduType::GetRequest,
            vec![VarBind {
                oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
                value: Value::Null,
            }],
        );
        let key = AuthKey::from_password(AuthProtocol::Sha1, b"opsauth123", &engine_id).unwrap();
        let good = v3(
            FLAG_REPORTABLE | 1,
            &engine_id,
            1,
            0,
            b"ops",
            Some(&key),
            get.clone(),
        );
        answer_to(&endpoint, &good).expect("a Response");
        assert!(device.requests.since(0).is_empty(), "not armed yet");
        device.requests.arm();
        let wrong = AuthKey::from_password(AuthProtocol::Sha1, b"notthekey99", &engine_id).unwrap();
        let forged = v3(
            FLAG_REPORTABLE | 1,
            &engine_id,
            1,
            0,
            b"ops",
            Some(&wrong),
            get.clone(),
        );
        answer_to(&endpoint, &forged).expect("a Report");
        answer_to(&endpoint, &good).expect("a Response");
        device
            .faults
            .add(FaultKind::DropResponse, crate::fault::Schedule::default())
            .unwrap();
        assert!(answer_to(&endpoint, &good).is_none(), "dropped");
        let records = device.requests.since(0);
        let summary: Vec<_> = records
            .iter()
            .map(|r| {
                (
                    r.principal.clone().unwrap(),
                    r.security_level,
                    r.outcome.clone(),
                )
            })
            .collect();
        use crate::request_log::Outcome;
        let response = |fault: Option<&str>| Outcome::Response {
            error_status: "noError",
            error_index: 0,
            // sysName.0: empty in this configuration.
            values: vec!["1.3.6.1.2.1.1.5.0 = STRING: \"\"".into()],
            fault: fault.map(String::from),
        };
        assert!(
            matches!(
                &summary[0].2,
                Outcome::Report {
                    counter: "usmStatsWrongDigests",
                    sent: true,
                    ..
                }
            ),
            "{summary:?}"
        );
        assert_eq!(summary[1].2, response(None));
        assert_eq!(summary[2].2, response(Some("drop-response")));
        for (principal, level, _) in &summary {
            assert_eq!(
                (principal.as_ref(), *level),
                ("user ops", Some("authNoPriv"))
            );
        }
        assert_eq!(records[1].varbinds, ["1.3.6.1.2.1.1.5.0"]);
    }

    #[test]
    fn faults_act_at_their_points() {
        let endpoint = endpoint();
        let device = endpoint.primary();
        let probe = v3(
            FLAG_REPORTABLE,
            b"",
            0,
            0,
            b"",
            None,
            request(PduType::GetRequest, Vec::new()),
        );
        device
            .faults
            .add(
                FaultKind::AgentDown,
                crate::fault::Schedule {
                    packets: Some(1),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(
            answer_to(&endpoint, &probe).is_none(),
            "down for one packet"
        );
        assert!(answer_to(&endpoint, &probe).is_some(), "then back");
        device
            .faults
            .add(
                FaultKind::Delay { ms: 250 },
                crate::fault::Schedule::default(),
            )
            .unwrap();
        let mut buffers = Buffers::default();
        let delivery =
            handle_datagram(&endpoint, &SaltSource::new(), &probe, &mut buffers).unwrap();
        assert_eq!(delivery.delay, Some(Duration::from_millis(250)));
    }
}
