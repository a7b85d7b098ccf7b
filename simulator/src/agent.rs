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
            error_response(version, request, status, index)
        }
    };
    Answered {
        response,
        state_changed,
    }
}

/// A Response carrying the request's own varbinds and an error, as RFC 3416 asks of errors
/// (for tooBig, [`too_big_response`] instead).
pub fn error_response(
    version: Version,
    request: &Pdu<'_>,
    status: ErrorStatus,
    index: usize,
) -> Pdu<'static> {
    if status == ErrorStatus::TooBig {
        return too_big_response(version, request);
    }
    response(request.request_id, status, index, request_varbinds(request))
}

/// The request's varbinds, owned, for a Response that carries them back.
fn request_varbinds(request: &Pdu<'_>) -> Vec<VarBind<'static>> {
    request
        .varbinds
        .iter()
        .map(|vb| VarBind {
            oid: vb.oid.clone(),
            value: vb.value.clone().into_owned(),
        })
        .collect()
}

/// The tooBig Response to `request`, with error-index 0 in every version, whether the real
/// answer was too big or a fault forces the error: SNMPv2c and SNMPv3 send an empty
/// variable-bindings field (RFC 3416 §4.2.1); SNMPv1 sends the request's own varbinds back, a
/// GetResponse "of identical form" (RFC 1157 §4.1.2), which is no bigger than the request.
pub fn too_big_response(version: Version, request: &Pdu<'_>) -> Pdu<'static> {
    let varbinds = match version {
        Version::V1 => request_varbinds(request),
        Version::V2c | Version::V3 => Vec::new(),
    };
    response(request.request_id, ErrorStatus::TooBig, 0, varbinds)
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

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::recording::Recording;
    use snmp_proto::oids;

    const CONFIG: &str = r#"
[[pdu]]
name = "a"
vendor = "raritan-px2"
outlets = 4
sys_name = "lab"
[[pdu.community]]
name = "c"
"#;

    /// PDU2-MIB switchingOperation of PDU 1 (read-write: off 0, on 1, cycle 2); outlet appended.
    const OPERATION: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.2.1";
    /// PDU2-MIB outletSwitchingState of PDU 1 (read-only: on 7, off 8); outlet appended.
    const STATE: &str = "1.3.6.1.4.1.13742.6.4.1.2.1.3.1";
    /// usmStatsDecryptionErrors.0: the last instance in every PDU's tree.
    const LAST: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0];
    /// Under mib-2 but declared by nobody.
    const UNKNOWN: &str = "1.3.6.1.2.1.99.0";
    /// A budget no test response comes near.
    const ROOMY: usize = 65000;

    fn device_with(config: &str, recording: Option<&str>) -> Device {
        let mut spec = FileConfig::parse(config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = None;
        spec.recording = recording.map(|text| Arc::new(Recording::parse(text, "t").unwrap()));
        Device::start(spec, Arc::new(ManualClock::default())).unwrap()
    }

    fn device() -> Device {
        device_with(CONFIG, None)
    }

    fn oid(text: &str) -> Oid {
        Oid::parse(text).unwrap()
    }

    fn outlet(column: &str, n: u32) -> Oid {
        oid(column).child(&[n])
    }

    fn pdu(pdu_type: PduType, varbinds: Vec<(Oid, Value<'static>)>) -> Pdu<'static> {
        Pdu {
            pdu_type,
            request_id: 42,
            error_status: 0,
            error_index: 0,
            varbinds: varbinds
                .into_iter()
                .map(|(oid, value)| VarBind { oid, value })
                .collect(),
            trap_v1: None,
        }
    }

    fn nulls(oids: &[Oid]) -> Vec<(Oid, Value<'static>)> {
        oids.iter().map(|o| (o.clone(), Value::Null)).collect()
    }

    fn bulk(non_repeaters: i32, max_repetitions: i32, oids: &[Oid]) -> Pdu<'static> {
        Pdu {
            error_status: non_repeaters,
            error_index: max_repetitions,
            ..pdu(PduType::GetBulkRequest, nulls(oids))
        }
    }

    fn pairs(p: &Pdu<'_>) -> Vec<(Oid, Value<'static>)> {
        p.varbinds
            .iter()
            .map(|vb| (vb.oid.clone(), vb.value.clone().into_owned()))
            .collect()
    }

    /// (error-status, error-index) of a response.
    fn error(p: &Pdu<'_>) -> (i32, i32) {
        (p.error_status, p.error_index)
    }

    fn code(status: ErrorStatus) -> i32 {
        status as i32
    }

    /// A v2c GET of one instance, with read-only access.
    fn read(device: &Device, o: &Oid) -> Value<'static> {
        let request = pdu(PduType::GetRequest, nulls(std::slice::from_ref(o)));
        let answered = respond(device, Version::V2c, &request, Access::ReadOnly, ROOMY);
        assert_eq!(error(&answered.response), (0, 0), "GET {o}");
        answered.response.varbinds[0].value.clone()
    }

    fn outlet_states(device: &Device) -> Vec<Value<'static>> {
        (1..=4).map(|n| read(device, &outlet(STATE, n))).collect()
    }

    fn all_on() -> Vec<Value<'static>> {
        vec![Value::Integer(7); 4]
    }

    #[test]
    fn get_answers_each_varbind_and_tells_no_such_object_from_no_such_instance() {
        let d = device();
        let request = pdu(
            PduType::GetRequest,
            nulls(&[
                Oid::new(oids::SYS_NAME),
                oid("1.3.6.1.2.1.1.5.1"),
                oid(UNKNOWN),
                outlet(STATE, 5),
                outlet(STATE, 2),
            ]),
        );
        let answered = respond(&d, Version::V2c, &request, Access::ReadOnly, ROOMY);
        let r = &answered.response;
        assert_eq!(
            (r.pdu_type, r.request_id, error(r)),
            (PduType::Response, 42, (0, 0))
        );
        assert_eq!(
            pairs(r),
            vec![
                (Oid::new(oids::SYS_NAME), Value::octets("lab")),
                // sysName exists, its instance .1 does not.
                (oid("1.3.6.1.2.1.1.5.1"), Value::NoSuchInstance),
                (oid(UNKNOWN), Value::NoSuchObject),
                // The column exists; this PDU has 4 outlets.
                (outlet(STATE, 5), Value::NoSuchInstance),
                (outlet(STATE, 2), Value::Integer(7)),
            ]
        );
        assert!(!answered.state_changed);
        assert_eq!(d.stats.snmp_in_get_requests.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn v1_get_of_a_missing_object_or_instance_is_no_such_name_at_its_index() {
        let d = device();
        for (missing, index) in [(oid(UNKNOWN), 2), (oid("1.3.6.1.2.1.1.5.1"), 2)] {
            let request = pdu(
                PduType::GetRequest,
                nulls(&[Oid::new(oids::SYS_NAME), missing, Oid::new(oids::SYS_DESCR)]),
            );
            let r = respond(&d, Version::V1, &request, Access::ReadOnly, ROOMY).response;
            assert_eq!(error(&r), (code(ErrorStatus::NoSuchName), index));
            assert_eq!(r.varbinds, request.varbinds, "the request's varbinds");
        }
        assert_eq!(d.stats.snmp_out_no_such_names.load(Ordering::Relaxed), 2);
    }

    /// A recording with interface rows of its own keeps them: the live management port is
    /// not mixed in (no ifNumber or ifXTable it did not record); without one, it is served.
    #[test]
    fn recorded_interface_rows_win_over_the_live_management_port() {
        let recorded = device_with(
            CONFIG,
            Some("1.3.6.1.2.1.2.2.1.2.1|4|LOOPBACK\n1.3.6.1.2.1.2.2.1.10.1|65|1313604\n"),
        );
        assert_eq!(
            read(&recorded, &oid("1.3.6.1.2.1.2.2.1.2.1")),
            Value::octets("LOOPBACK")
        );
        assert_eq!(
            read(&recorded, &oid("1.3.6.1.2.1.2.2.1.10.1")),
            Value::Counter32(1_313_604)
        );
        for absent in ["1.3.6.1.2.1.2.1.0", "1.3.6.1.2.1.31.1.1.1.6.1"] {
            assert_eq!(
                read(&recorded, &oid(absent)),
                Value::NoSuchObject,
                "{absent}"
            );
        }
        let live = device();
        assert_eq!(
            read(&live, &oid("1.3.6.1.2.1.2.2.1.2.1")),
            Value::octets("eth0")
        );
        assert_eq!(
            read(&live, &oid("1.3.6.1.2.1.31.1.1.1.6.1")),
            Value::Counter64(0)
        );
        // Moving the counters of recorded rows, which count nothing, is refused, naming the
        // field.
        assert!(live.serves_live_interface() && !recorded.serves_live_interface());
        let name = recorded.name.clone();
        let control = crate::control::Control::new(vec![Arc::new(recorded), Arc::new(live)]);
        for body in [
            r#"{"if_counter_offset":5}"#,
            r#"{"if_counters_reset":true}"#,
        ] {
            let change: crate::control::EngineChange = serde_json::from_str(body).unwrap();
            let error = control.change_engine(&name, &change).unwrap_err();
            assert!(
                error.field().is_some_and(|f| f.starts_with("if_counter"))
                    && error.to_string().contains("recording's own interface rows"),
                "{body}: {error}"
            );
        }
    }

    #[test]
    fn v1_managers_never_see_counter64() {
        // Recorded ifHCInOctets (Counter64) of two interfaces.
        let d = device_with(
            CONFIG,
            Some("1.3.6.1.2.1.31.1.1.1.6.1|70|5\n1.3.6.1.2.1.31.1.1.1.6.2|70|6\n"),
        );
        let first = oid("1.3.6.1.2.1.31.1.1.1.6.1");
        let second = oid("1.3.6.1.2.1.31.1.1.1.6.2");
        assert_eq!(read(&d, &first), Value::Counter64(5));
        let get = pdu(PduType::GetRequest, nulls(std::slice::from_ref(&first)));
        let r = respond(&d, Version::V1, &get, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&r), (code(ErrorStatus::NoSuchName), 1));
        // GETNEXT: v2c lands on the counter, v1 skips both to whatever follows them.
        let next = pdu(PduType::GetNextRequest, nulls(&[oid("1.3.6.1.2.1.31")]));
        let v2 = respond(&d, Version::V2c, &next, Access::ReadOnly, ROOMY).response;
        assert_eq!(pairs(&v2), vec![(first, Value::Counter64(5))]);
        let after = pdu(PduType::GetNextRequest, nulls(&[second]));
        let after = respond(&d, Version::V2c, &after, Access::ReadOnly, ROOMY).response;
        let v1 = respond(&d, Version::V1, &next, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&v1), (0, 0));
        assert_eq!(pairs(&v1), pairs(&after));
        assert!(!v1.varbinds[0].oid.starts_with(&[1, 3, 6, 1, 2, 1, 31]));
    }

    #[test]
    fn get_next_walks_in_oid_order_and_ends_with_end_of_mib_view() {
        let d = device();
        let request = pdu(
            PduType::GetNextRequest,
            nulls(&[
                Oid::new(oids::SYSTEM),
                Oid::new(oids::SYS_DESCR),
                outlet(STATE, 1),
                Oid::new(LAST),
            ]),
        );
        let r = respond(&d, Version::V2c, &request, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&r), (0, 0));
        assert_eq!(
            pairs(&r),
            vec![
                (Oid::new(oids::SYS_DESCR), Value::octets("PX2 030004")),
                (
                    Oid::new(oids::SYS_OBJECT_ID),
                    Value::ObjectId(oid("1.3.6.1.4.1.13742.6"))
                ),
                (outlet(STATE, 2), Value::Integer(7)),
                // Past the end: the request's own name.
                (Oid::new(LAST), Value::EndOfMibView),
            ]
        );
        // A walk of the state column visits the outlets in order, then leaves the column.
        let mut cursor = oid(STATE);
        let mut walked = Vec::new();
        loop {
            let step = pdu(
                PduType::GetNextRequest,
                nulls(std::slice::from_ref(&cursor)),
            );
            let r = respond(&d, Version::V2c, &step, Access::ReadOnly, ROOMY).response;
            cursor = r.varbinds[0].oid.clone();
            if !cursor.starts_with(oid(STATE).arcs()) {
                break;
            }
            walked.push(cursor.clone());
        }
        assert_eq!(
            walked,
            (1..=4).map(|n| outlet(STATE, n)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn v1_get_next_past_the_end_is_no_such_name() {
        let d = device();
        let request = pdu(
            PduType::GetNextRequest,
            nulls(&[Oid::new(oids::SYSTEM), Oid::new(LAST)]),
        );
        let r = respond(&d, Version::V1, &request, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&r), (code(ErrorStatus::NoSuchName), 2));
        assert_eq!(r.varbinds, request.varbinds);
        assert_eq!(d.stats.snmp_in_get_nexts.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn get_bulk_puts_non_repeaters_first_then_repeats_the_repeaters_in_turn() {
        let d = device();
        let usm5 = oid("1.3.6.1.6.3.15.1.1.5.0");
        let request = bulk(
            1,
            3,
            &[Oid::new(oids::SYS_DESCR), Oid::new(oids::SYS_UP_TIME), usm5],
        );
        let r = respond(&d, Version::V2c, &request, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&r), (0, 0));
        let last = Oid::new(LAST);
        assert_eq!(
            pairs(&r),
            vec![
                (
                    Oid::new(oids::SYS_OBJECT_ID),
                    Value::ObjectId(oid("1.3.6.1.4.1.13742.6"))
                ),
                (Oid::new(oids::SYS_CONTACT), Value::octets("")),
                (last.clone(), Value::Counter32(0)),
                (Oid::new(oids::SYS_NAME), Value::octets("lab")),
                // A repeater past the end keeps the last name it reached.
                (last.clone(), Value::EndOfMibView),
                (Oid::new(oids::SYS_LOCATION), Value::octets("")),
                (last, Value::EndOfMibView),
            ]
        );
    }

    #[test]
    fn get_bulk_takes_its_counts_as_rfc_3416_says_and_stops_early() {
        let d = device();
        let ask = |request: Pdu<'static>| {
            let r = respond(&d, Version::V2c, &request, Access::ReadOnly, ROOMY).response;
            assert_eq!(error(&r), (0, 0));
            r.varbinds.into_iter().map(|vb| vb.oid).collect::<Vec<_>>()
        };
        let descr = Oid::new(oids::SYS_DESCR);
        let object_id = Oid::new(oids::SYS_OBJECT_ID);
        let up_time = Oid::new(oids::SYS_UP_TIME);
        // max-repetitions 0: the non-repeaters only.
        assert_eq!(
            ask(bulk(1, 0, &[descr.clone(), up_time.clone()])),
            vec![object_id.clone()]
        );
        // More non-repeaters than varbinds: every varbind is one.
        assert_eq!(
            ask(bulk(5, 10, &[descr.clone(), object_id.clone()])),
            vec![object_id.clone(), up_time.clone()]
        );
        // Negative counts count as 0 (RFC 3416 §4.2.3: N = max(min(n, L), 0), M = max(m, 0)).
        assert_eq!(
            ask(bulk(-3, 2, std::slice::from_ref(&descr))),
            vec![object_id.clone(), up_time.clone()]
        );
        assert!(ask(bulk(0, -1, std::slice::from_ref(&descr))).is_empty());
        // Every repeater at the end: one endOfMibView, not max-repetitions of them.
        assert_eq!(ask(bulk(0, 50, &[Oid::new(LAST)])), vec![Oid::new(LAST)]);
        // The PDU's own cap on varbinds per GETBULK.
        let capped = device_with(
            &CONFIG.replace("outlets = 4\n", "outlets = 4\nmax_bulk_varbinds = 3\n"),
            None,
        );
        let request = bulk(0, 50, &[Oid::new(oids::SYSTEM)]);
        let r = respond(&capped, Version::V2c, &request, Access::ReadOnly, ROOMY).response;
        assert_eq!(
            r.varbinds.into_iter().map(|vb| vb.oid).collect::<Vec<_>>(),
            vec![descr, object_id, up_time]
        );
    }

    #[test]
    fn get_bulk_stops_before_the_varbind_that_would_not_fit() {
        let d = device();
        let request = bulk(0, 10, &[Oid::new(oids::SYSTEM)]);
        let full = respond(&d, Version::V2c, &request, Access::ReadOnly, ROOMY).response;
        assert_eq!(full.varbinds.len(), 10);
        let three: usize = full.varbinds[..3].iter().map(encoded_len_of_varbind).sum();
        for (budget, expected) in [(three, 3), (three - 1, 2)] {
            let r = respond(&d, Version::V2c, &request, Access::ReadOnly, budget).response;
            assert_eq!(error(&r), (0, 0), "budget {budget}");
            assert_eq!(r.varbinds, full.varbinds[..expected], "budget {budget}");
        }
    }

    #[test]
    fn set_applies_every_varbind_or_none() {
        let d = device();
        let mut varbinds = vec![
            (Oid::new(oids::SYS_NAME), Value::octets("renamed")),
            (outlet(OPERATION, 1), Value::Integer(0)),
            (outlet(OPERATION, 2), Value::Integer(9)),
        ];
        let request = pdu(PduType::SetRequest, varbinds.clone());
        let answered = respond(&d, Version::V2c, &request, Access::ReadWrite, ROOMY);
        assert_eq!(
            error(&answered.response),
            (code(ErrorStatus::WrongValue), 3)
        );
        assert_eq!(answered.response.varbinds, request.varbinds);
        assert!(!answered.state_changed);
        assert_eq!(read(&d, &Oid::new(oids::SYS_NAME)), Value::octets("lab"));
        assert_eq!(
            outlet_states(&d),
            all_on(),
            "the valid varbinds were not applied"
        );
        // The same request with the bad value fixed is applied whole.
        varbinds[2].1 = Value::Integer(0);
        let request = pdu(PduType::SetRequest, varbinds);
        let answered = respond(&d, Version::V2c, &request, Access::ReadWrite, ROOMY);
        assert_eq!(error(&answered.response), (0, 0));
        assert_eq!(answered.response.varbinds, request.varbinds);
        assert!(answered.state_changed);
        assert_eq!(
            read(&d, &Oid::new(oids::SYS_NAME)),
            Value::octets("renamed")
        );
        assert_eq!(outlet_states(&d), [8, 8, 7, 7].map(Value::Integer).to_vec());
        assert_eq!(d.stats.snmp_in_set_requests.load(Ordering::Relaxed), 2);
        assert_eq!(d.stats.snmp_in_total_set_vars.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn set_errors_name_the_first_failing_varbind_and_change_nothing() {
        let d = device();
        let name = || (Oid::new(oids::SYS_NAME), Value::octets("renamed"));
        let off = |n| (outlet(OPERATION, n), Value::Integer(0));
        let cases: Vec<(Vec<(Oid, Value<'static>)>, ErrorStatus, i32)> = vec![
            // A read-only object's instance.
            (
                vec![name(), (Oid::new(oids::SYS_DESCR), Value::octets("x"))],
                ErrorStatus::NotWritable,
                2,
            ),
            (
                vec![off(1), (outlet(STATE, 2), Value::Integer(8))],
                ErrorStatus::NotWritable,
                2,
            ),
            // A writable column's row that does not exist and cannot be created.
            (vec![name(), off(9)], ErrorStatus::NoCreation, 2),
            // Read-only column, missing row; and no object at all.
            (
                vec![(outlet(STATE, 9), Value::Integer(8))],
                ErrorStatus::NotWritable,
                1,
            ),
            (
                vec![off(1), (oid(UNKNOWN), Value::Integer(1))],
                ErrorStatus::NotWritable,
                2,
            ),
            (
                vec![(Oid::new(oids::SYS_NAME), Value::Integer(1))],
                ErrorStatus::WrongType,
                1,
            ),
            (
                vec![off(1), (outlet(OPERATION, 2), Value::octets("off"))],
                ErrorStatus::WrongType,
                2,
            ),
            // Two failures: the first is reported.
            (
                vec![
                    off(1),
                    (Oid::new(oids::SYS_DESCR), Value::octets("x")),
                    off(9),
                ],
                ErrorStatus::NotWritable,
                2,
            ),
        ];
        for (varbinds, status, index) in cases {
            let request = pdu(PduType::SetRequest, varbinds);
            let answered = respond(&d, Version::V2c, &request, Access::ReadWrite, ROOMY);
            assert_eq!(
                error(&answered.response),
                (code(status), index),
                "{:?}",
                request.varbinds
            );
            assert_eq!(answered.response.varbinds, request.varbinds);
            assert!(!answered.state_changed);
        }
        assert_eq!(read(&d, &Oid::new(oids::SYS_NAME)), Value::octets("lab"));
        assert_eq!(outlet_states(&d), all_on());
    }

    #[test]
    fn v1_set_errors_are_mapped_to_v1_codes() {
        let d = device();
        let cases = [
            (
                outlet(OPERATION, 1),
                Value::Integer(9),
                ErrorStatus::BadValue,
            ),
            (
                outlet(OPERATION, 1),
                Value::octets("off"),
                ErrorStatus::BadValue,
            ),
            (
                Oid::new(oids::SYS_DESCR),
                Value::octets("x"),
                ErrorStatus::NoSuchName,
            ),
            (
                outlet(OPERATION, 9),
                Value::Integer(0),
                ErrorStatus::NoSuchName,
            ),
        ];
        for (o, value, status) in cases {
            let request = pdu(PduType::SetRequest, vec![(o, value)]);
            let r = respond(&d, Version::V1, &request, Access::ReadWrite, ROOMY).response;
            assert_eq!(error(&r), (code(status), 1), "{:?}", request.varbinds);
            assert_eq!(r.varbinds, request.varbinds);
        }
        assert_eq!(d.stats.snmp_out_bad_values.load(Ordering::Relaxed), 2);
        assert_eq!(d.stats.snmp_out_no_such_names.load(Ordering::Relaxed), 2);
        assert_eq!(outlet_states(&d), all_on());
    }

    #[test]
    fn read_only_access_gets_no_access_and_changes_nothing() {
        let d = device();
        let request = pdu(
            PduType::SetRequest,
            vec![
                (Oid::new(oids::SYS_NAME), Value::octets("renamed")),
                (outlet(OPERATION, 1), Value::Integer(0)),
            ],
        );
        let answered = respond(&d, Version::V2c, &request, Access::ReadOnly, ROOMY);
        assert_eq!(error(&answered.response), (code(ErrorStatus::NoAccess), 1));
        assert_eq!(answered.response.varbinds, request.varbinds);
        assert!(!answered.state_changed);
        // SNMPv1 has no noAccess: noSuchName (RFC 3584 §4.4).
        let v1 = respond(&d, Version::V1, &request, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&v1), (code(ErrorStatus::NoSuchName), 1));
        assert_eq!(read(&d, &Oid::new(oids::SYS_NAME)), Value::octets("lab"));
        assert_eq!(outlet_states(&d), all_on());
        // No varbind to point at.
        let empty = pdu(PduType::SetRequest, Vec::new());
        let r = respond(&d, Version::V2c, &empty, Access::ReadOnly, ROOMY).response;
        assert_eq!(error(&r), (code(ErrorStatus::NoAccess), 0));
    }

    #[test]
    fn an_empty_set_succeeds_without_changing_state() {
        let d = device();
        let request = pdu(PduType::SetRequest, Vec::new());
        let answered = respond(&d, Version::V2c, &request, Access::ReadWrite, ROOMY);
        assert_eq!(error(&answered.response), (0, 0));
        assert!(answered.response.varbinds.is_empty());
        assert!(!answered.state_changed);
    }

    #[test]
    fn a_pdu_that_is_not_a_request_gets_gen_err() {
        let d = device();
        for pdu_type in [PduType::Response, PduType::Report, PduType::SnmpV2Trap] {
            let request = pdu(pdu_type, nulls(&[Oid::new(oids::SYS_NAME)]));
            let r = respond(&d, Version::V2c, &request, Access::ReadWrite, ROOMY).response;
            assert_eq!(error(&r), (code(ErrorStatus::GenErr), 0), "{pdu_type:?}");
            assert_eq!(r.varbinds, request.varbinds);
        }
        assert_eq!(d.stats.snmp_out_gen_errs.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn v1_error_maps_every_status_onto_an_snmpv1_one() {
        use ErrorStatus::*;
        let v1_codes = [NoError, TooBig, NoSuchName, BadValue, ReadOnly, GenErr];
        for status in v1_codes {
            assert_eq!(v1_error(status), status);
        }
        // RFC 3584 §4.4.
        let mapped = [
            (NoAccess, NoSuchName),
            (NotWritable, NoSuchName),
            (NoCreation, NoSuchName),
            (InconsistentName, NoSuchName),
            (AuthorizationError, NoSuchName),
            (WrongValue, BadValue),
            (WrongEncoding, BadValue),
            (WrongType, BadValue),
            (WrongLength, BadValue),
            (InconsistentValue, BadValue),
            (ResourceUnavailable, GenErr),
            (CommitFailed, GenErr),
            (UndoFailed, GenErr),
        ];
        for (v2, v1) in mapped {
            assert_eq!(v1_error(v2), v1, "{v2:?}");
        }
        assert_eq!(v1_codes.len() + mapped.len(), ErrorStatus::ALL.len());
    }
}
