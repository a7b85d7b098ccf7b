//! The command responder (RFC 3416 §4.2): GET, GETNEXT, GETBULK and two-phase SET against a
//! device's MIB tree. Knows nothing of bytes or security: it takes a decoded request PDU and
//! returns the response PDU.
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use crate::access::Access;
use crate::device::Device;
use crate::mib::{Cell, Missing};
use crate::state::DeviceState;
use crate::stats::bump;
use snmp_proto::{encoded_len_of_varbind, ErrorStatus, Oid, Pdu, PduType, Value, VarBind, Version};

/// What the command responder produced for one request.
#[derive(Debug)]
pub struct Answered {
    /// The Response PDU (error-status and error-index set on failure, RFC 3416 §4.2).
    pub response: Pdu<'static>,
    /// A SET changed the PDU's state. The agent does not persist anything: the caller asks the
    /// device to ([`Device::persist`]) and decides whether to wait for the write.
    pub state_changed: bool,
}

/// Answers one request (RFC 3416 §4.2). `access` is what the requester may do (after community
/// or USM checks); `varbind_budget` is how many bytes of encoded varbinds fit in the response
/// message, so GETBULK stops before exceeding it.
pub fn respond(
    device: &Device,
    version: Version,
    request: &Pdu<'_>,
    access: Access,
    varbind_budget: usize,
) -> Answered {
    let mut state = device.lock_state();
    let now = device.now();
    let mut state_changed = false;
    let stats = &device.stats;
    let result = match request.pdu_type {
        PduType::GetRequest => {
            bump(&stats.snmp_in_get_requests);
            get(device, version, request, &mut state, now)
        }
        PduType::GetNextRequest => {
            bump(&stats.snmp_in_get_nexts);
            get_next(device, version, request, &mut state, now)
        }
        PduType::GetBulkRequest => get_bulk(device, request, &mut state, now, varbind_budget),
        PduType::SetRequest => {
            bump(&stats.snmp_in_set_requests);
            set(device, request, access, &mut state, now, &mut state_changed)
        }
        _ => Err((ErrorStatus::GenErr, 0)),
    };
    drop(state);
    let response = match result {
        Ok(varbinds) => response(request.request_id, ErrorStatus::NoError, 0, varbinds),
        Err((status, index)) => {
            let status = if version == Version::V1 {
                v1_error(status)
            } else {
                status
            };
            match status {
                ErrorStatus::NoSuchName => bump(&stats.snmp_out_no_such_names),
                ErrorStatus::BadValue => bump(&stats.snmp_out_bad_values),
                ErrorStatus::GenErr => bump(&stats.snmp_out_gen_errs),
                _ => 0,
            };
            error_response(request, status, index)
        }
    };
    Answered {
        response,
        state_changed,
    }
}

/// A Response carrying the request's own varbinds and an error, as RFC 3416 asks of errors.
pub fn error_response(request: &Pdu<'_>, status: ErrorStatus, index: usize) -> Pdu<'static> {
    let varbinds = request
        .varbinds
        .iter()
        .map(|vb| VarBind {
            oid: vb.oid.clone(),
            value: vb.value.clone().into_owned(),
        })
        .collect();
    response(request.request_id, status, index, varbinds)
}

fn response(
    request_id: i32,
    status: ErrorStatus,
    index: usize,
    varbinds: Vec<VarBind<'static>>,
) -> Pdu<'static> {
    Pdu {
        pdu_type: PduType::Response,
        request_id,
        error_status: status as i32,
        error_index: i32::try_from(index).unwrap_or(0),
        varbinds,
        trap_v1: None,
    }
}

/// RFC 3584 §4.4: the v2 error-status values a v1 manager understands.
pub fn v1_error(status: ErrorStatus) -> ErrorStatus {
    use ErrorStatus::*;
    match status {
        NoError | TooBig | NoSuchName | BadValue | ReadOnly | GenErr => status,
        WrongValue | WrongEncoding | WrongType | WrongLength | InconsistentValue => BadValue,
        NoAccess | NotWritable | NoCreation | InconsistentName | AuthorizationError => NoSuchName,
        ResourceUnavailable | CommitFailed | UndoFailed => GenErr,
    }
}

type Outcome = Result<Vec<VarBind<'static>>, (ErrorStatus, usize)>;

fn get(
    device: &Device,
    version: Version,
    request: &Pdu<'_>,
    state: &mut DeviceState,
    now: std::time::Duration,
) -> Outcome {
    let mut out = Vec::with_capacity(request.varbinds.len());
    for (i, vb) in request.varbinds.iter().enumerate() {
        let value = match device.tree().get(vb.oid.arcs()) {
            Ok(cell) => device.read(cell, state, now),
            Err(Missing::NoSuchObject) => Value::NoSuchObject,
            Err(Missing::NoSuchInstance) => Value::NoSuchInstance,
        };
        // RFC 3584 §4.2.2.1: a v1 manager gets noSuchName for what it cannot represent.
        if version == Version::V1
            && matches!(
                value,
                Value::NoSuchObject | Value::NoSuchInstance | Value::Counter64(_)
            )
        {
            return Err((ErrorStatus::NoSuchName, i.saturating_add(1)));
        }
        out.push(VarBind {
            oid: vb.oid.clone(),
            value,
        });
    }
    bump_by(&device.stats.snmp_in_total_req_vars, out.len());
    Ok(out)
}

/// The next instance after `oid` with a value the requester can see.
fn next_after(
    device: &Device,
    version: Version,
    oid: &[u32],
    state: &mut DeviceState,
    now: std::time::Duration,
) -> Option<VarBind<'static>> {
    let mut cursor = oid;
    loop {
        let (next, cell): (&[u32], &Cell) = device.tree().next(cursor)?;
        let value = device.read(cell, state, now);
        let hidden = matches!(value, Value::NoSuchInstance | Value::NoSuchObject)
            || (version == Version::V1 && matches!(value, Value::Counter64(_)));
        if !hidden {
            return Some(VarBind {
                oid: Oid::new(next),
                value,
            });
        }
        cursor = next;
    }
}

fn get_next(
    device: &Device,
    version: Version,
    request: &Pdu<'_>,
    state: &mut DeviceState,
    now: std::time::Duration,
) -> Outcome {
    let mut out = Vec::with_capacity(request.varbinds.len());
    for (i, vb) in request.varbinds.iter().enumerate() {
        match next_after(device, version, vb.oid.arcs(), state, now) {
            Some(found) => out.push(found),
            None if version == Version::V1 => {
                return Err((ErrorStatus::NoSuchName, i.saturating_add(1)))
            }
            None => out.push(VarBind {
                oid: vb.oid.clone(),
                value: Value::EndOfMibView,
            }),
        }
    }
    bump_by(&device.stats.snmp_in_total_req_vars, out.len());
    Ok(out)
}

/// RFC 3416 §4.2.3. Stops early when every repeater has reached the end of the MIB, at the
/// device's varbind cap, or when the next varbind would not fit in the response.
fn get_bulk(
    device: &Device,
    request: &Pdu<'_>,
    state: &mut DeviceState,
    now: std::time::Duration,
    budget: usize,
) -> Outcome {
    let total = request.varbinds.len();
    let non_repeaters = usize::try_from(request.error_status.max(0))
        .unwrap_or(0)
        .min(total);
    let max_repetitions = usize::try_from(request.error_index.max(0)).unwrap_or(0);
    let cap = device.max_bulk_varbinds.max(1);
    let mut out: Vec<VarBind<'static>> = Vec::new();
    let mut used = 0usize;
    // Adds a varbind if it fits; false means the response is full.
    let mut push = |vb: VarBind<'static>, out: &mut Vec<VarBind<'static>>| -> bool {
        let len = encoded_len_of_varbind(&vb);
        if out.len() >= cap || used.saturating_add(len) > budget {
            return false;
        }
        used = used.saturating_add(len);
        out.push(vb);
        true
    };
    let end = |oid: &Oid| VarBind {
        oid: oid.clone(),
        value: Value::EndOfMibView,
    };
    for vb in request.varbinds.iter().take(non_repeaters) {
        let found = next_after(device, Version::V2c, vb.oid.arcs(), state, now)
            .unwrap_or_else(|| end(&vb.oid));
        if !push(found, &mut out) {
            return Ok(out);
        }
    }
    let mut cursors: Vec<Oid> = request
        .varbinds
        .iter()
        .skip(non_repeaters)
        .map(|vb| vb.oid.clone())
        .collect();
    let mut ended = vec![false; cursors.len()];
    for _ in 0..max_repetitions {
        if cursors.is_empty() || ended.iter().all(|e| *e) {
            break;
        }
        for (cursor, done) in cursors.iter_mut().zip(ended.iter_mut()) {
            let found = if *done {
                None
            } else {
                next_after(device, Version::V2c, cursor.arcs(), state, now)
            };
            let vb = match found {
                Some(vb) => {
                    *cursor = vb.oid.clone();
                    vb
                }
                None => {
                    *done = true;
                    end(cursor)
                }
            };
            if !push(vb, &mut out) {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// RFC 3416 §4.2.5: check every varbind first; only if all pass, commit them all (through
/// [`Device::commit`], where the `Commit` faults act). `state_changed` is set when something
/// was committed.
fn set(
    device: &Device,
    request: &Pdu<'_>,
    access: Access,
    state: &mut DeviceState,
    now: std::time::Duration,
    state_changed: &mut bool,
) -> Outcome {
    bump_by(&device.stats.snmp_in_total_set_vars, request.varbinds.len());
    if access == Access::ReadOnly {
        return Err((
            ErrorStatus::NoAccess,
            usize::from(!request.varbinds.is_empty()),
        ));
    }
    let mut cells = Vec::with_capacity(request.varbinds.len());
    for (i, vb) in request.varbinds.iter().enumerate() {
        let tree = device.tree();
        let cell = match tree.get(vb.oid.arcs()) {
            Ok(cell) => cell,
            Err(_) => {
                // An instance that does not exist: noCreation where the object is writable
                // (its rows cannot be created), notWritable where nothing could be written.
                let status = match tree.object_of(vb.oid.arcs()) {
                    Some((_, Access::ReadWrite)) => ErrorStatus::NoCreation,
                    _ => ErrorStatus::NotWritable,
                };
                return Err((status, i.saturating_add(1)));
            }
        };
        let max_access = tree
            .object_of(vb.oid.arcs())
            .map_or(Access::ReadOnly, |(_, a)| a);
        device
            .check_write(cell, max_access, &vb.value, state)
            .map_err(|status| (status, i.saturating_add(1)))?;
        cells.push(cell);
    }
    device.commit(
        cells
            .into_iter()
            .zip(request.varbinds.iter().map(|vb| &vb.value)),
        state,
        now,
    );
    *state_changed = !request.varbinds.is_empty();
    Ok(request
        .varbinds
        .iter()
        .map(|vb| VarBind {
            oid: vb.oid.clone(),
            value: vb.value.clone().into_owned(),
        })
        .collect())
}

fn bump_by(counter: &std::sync::atomic::AtomicU32, n: usize) {
    counter.fetch_add(
        u32::try_from(n).unwrap_or(u32::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
}
