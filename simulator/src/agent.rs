//! The command responder (RFC 3416 §4.2): GET, GETNEXT, GETBULK and two-phase SET against a
//! device's MIB tree. Knows nothing of bytes or security: it takes a decoded request PDU and
//! returns the response PDU.

use crate::access::Access;
use crate::device::{Device, DeviceState};
use crate::fault::FaultKind;
use crate::mib::{Cell, Missing};
use crate::stats::bump;
use snmp_proto::{encoded_len_of_varbind, ErrorStatus, Oid, Pdu, PduType, Value, VarBind, Version};

/// Answers one request. `varbind_budget` is how many bytes of encoded varbinds fit in the
/// response message; GETBULK stops before exceeding it.
pub fn respond(
    device: &Device,
    version: Version,
    request: &Pdu<'_>,
    permission: Access,
    varbind_budget: usize,
) -> Pdu<'static> {
    let (response, saving) = respond_saving(device, version, request, permission, varbind_budget);
    if let Some(pending) = saving {
        pending.wait(crate::device::SAVE_WAIT);
    }
    response
}

/// `respond`, handing back the state write a SET started instead of waiting for it, so an
/// async caller can wait without blocking its runtime (see `server`).
pub fn respond_saving(
    device: &Device,
    version: Version,
    request: &Pdu<'_>,
    permission: Access,
    varbind_budget: usize,
) -> (Pdu<'static>, Option<crate::persist::PendingWrite>) {
    let mut state = device.lock_state();
    let now = device.now();
    let mut saving = None;
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
            set(device, request, permission, &mut state, now, &mut saving)
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
    (response, saving)
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
            return Err((ErrorStatus::NoSuchName, i + 1));
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
            None if version == Version::V1 => return Err((ErrorStatus::NoSuchName, i + 1)),
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
        if out.len() >= cap || used + len > budget {
            return false;
        }
        used += len;
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

/// RFC 3416 §4.2.5: check every varbind first; only if all pass, apply them all.
/// The state write a committed SET started goes to `saving`, for `respond` to wait on once the
/// state lock is released.
fn set(
    device: &Device,
    request: &Pdu<'_>,
    permission: Access,
    state: &mut DeviceState,
    now: std::time::Duration,
    saving: &mut Option<crate::persist::PendingWrite>,
) -> Outcome {
    bump_by(&device.stats.snmp_in_total_set_vars, request.varbinds.len());
    if permission == Access::ReadOnly {
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
                    Some((_, crate::access::Access::ReadWrite)) => ErrorStatus::NoCreation,
                    _ => ErrorStatus::NotWritable,
                };
                return Err((status, i + 1));
            }
        };
        let access = tree
            .object_of(vb.oid.arcs())
            .map_or(crate::access::Access::ReadOnly, |(_, a)| a);
        device
            .check_write(cell, access, &vb.value, state)
            .map_err(|status| (status, i + 1))?;
        cells.push(cell);
    }
    // The `Commit` fault point: outlets that are stuck or slow are set back after the commit
    // (and a slow one is given the new state later), whatever table the SET went through.
    let outlet_faults = device.faults.outlet_faults(now);
    let before = (!outlet_faults.is_empty()).then(|| state.outlets.clone());
    for (cell, vb) in cells.into_iter().zip(&request.varbinds) {
        device.write(cell, &vb.value, state, now);
    }
    if let Some(before) = before {
        apply_outlet_faults(&outlet_faults, before, state, now);
    }
    if !request.varbinds.is_empty() {
        *saving = device.save(state);
    }
    Ok(request
        .varbinds
        .iter()
        .map(|vb| VarBind {
            oid: vb.oid.clone(),
            value: vb.value.clone().into_owned(),
        })
        .collect())
}

fn apply_outlet_faults(
    faults: &[FaultKind],
    before: Vec<crate::outlet::Outlet>,
    state: &mut DeviceState,
    now: std::time::Duration,
) {
    for fault in faults {
        let (outlet, delay) = match fault {
            FaultKind::StuckOutlet { outlet } => (*outlet, None),
            FaultKind::SlowOutlet { outlet, ms } => {
                (*outlet, Some(std::time::Duration::from_millis(*ms)))
            }
            _ => continue,
        };
        let Some(pos) = usize::try_from(outlet).ok().and_then(|n| n.checked_sub(1)) else {
            continue;
        };
        let (Some(after), Some(was)) = (state.outlets.get_mut(pos), before.get(pos)) else {
            continue;
        };
        let target = after.settled_power();
        *after = was.clone();
        if let Some(delay) = delay {
            if target != after.settled_power() {
                after.switch_after(target, delay, now);
            }
        }
    }
}

fn bump_by(counter: &std::sync::atomic::AtomicU32, n: usize) {
    counter.fetch_add(
        u32::try_from(n).unwrap_or(u32::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
}
