//! The control API over HTTP/JSON (axum), bound to loopback unless told otherwise:
//!
//! ```text
//! GET    /pdus                          every PDU
//! GET    /pdus/{pdu}                    one PDU (engine ID, boots, time)
//! GET    /pdus/{pdu}/outlets            outlets: power, name, pending
//! PUT    /pdus/{pdu}/outlets/{n}        {"power":"off"} | {"command":"reboot"} | {"name":"db-1"}
//! GET    /pdus/{pdu}/faults             active faults
//! POST   /pdus/{pdu}/faults             {"fault":{"kind":"drop-response"},"schedule":{"packets":2}}
//! DELETE /pdus/{pdu}/faults             clear all faults
//! DELETE /pdus/{pdu}/faults/{id}        clear one fault
//! POST   /pdus/{pdu}/restart            {"keep_outlets":true}
//! POST   /pdus/{pdu}/engine             {"boots":2147483647} | {"skew_secs":400} | {"engine_id":"8000..."}
//! ```

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::control::{Control, ControlError, EngineChange, NewFault, OutletChange};

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            ControlError::NoSuchPdu(_) | ControlError::NoSuchOutlet { .. } => StatusCode::NOT_FOUND,
            ControlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ControlError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RestartBody {
    #[serde(default = "yes")]
    keep_outlets: bool,
}

fn yes() -> bool {
    true
}

pub fn router(control: Control) -> Router {
    Router::new()
        .route("/pdus", get(|State(c): State<Control>| async move { Json(c.pdus()) }))
        .route("/pdus/{pdu}", get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.pdu(&pdu).map(Json) }))
        .route(
            "/pdus/{pdu}/outlets",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.outlets(&pdu).map(Json) }),
        )
        .route(
            "/pdus/{pdu}/outlets/{n}",
            put(|State(c): State<Control>, Path((pdu, n)): Path<(String, u32)>, Json(change): Json<OutletChange>| async move {
                c.change_outlet(&pdu, n, &change).map(Json)
            }),
        )
        .route(
            "/pdus/{pdu}/faults",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.faults(&pdu).map(Json) })
                .post(|State(c): State<Control>, Path(pdu): Path<String>, Json(fault): Json<NewFault>| async move {
                    c.add_fault(&pdu, fault).map(|id| (StatusCode::CREATED, Json(json!({ "id": id }))))
                })
                .delete(|State(c): State<Control>, Path(pdu): Path<String>| async move {
                    c.clear_faults(&pdu).map(|()| StatusCode::NO_CONTENT)
                }),
        )
        .route(
            "/pdus/{pdu}/faults/{id}",
            delete(|State(c): State<Control>, Path((pdu, id)): Path<(String, u64)>| async move {
                match c.remove_fault(&pdu, id) {
                    Ok(true) => Ok(StatusCode::NO_CONTENT),
                    Ok(false) => Err(ControlError::BadRequest(format!("PDU {pdu:?} has no fault {id}"))),
                    Err(e) => Err(e),
                }
            }),
        )
        .route(
            "/pdus/{pdu}/restart",
            post(|State(c): State<Control>, Path(pdu): Path<String>, body: Option<Json<RestartBody>>| async move {
                let keep = body.map_or(true, |Json(b)| b.keep_outlets);
                c.restart(&pdu, keep).map(Json)
            }),
        )
        .route(
            "/pdus/{pdu}/engine",
            post(|State(c): State<Control>, Path(pdu): Path<String>, Json(change): Json<EngineChange>| async move {
                c.change_engine(&pdu, &change).map(Json)
            }),
        )
        .with_state(control)
}

/// Serves the control API on `listener` until the process stops.
pub async fn serve(listener: tokio::net::TcpListener, control: Control) -> std::io::Result<()> {
    axum::serve(listener, router(control)).await
}
