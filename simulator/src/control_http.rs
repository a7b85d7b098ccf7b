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

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
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

/// A JSON request body whose rejection is JSON too (`{"error": "..."}`, 400 for malformed JSON,
/// 415 without a JSON content type, 422 for a body of the wrong shape), like every other error
/// of this API, so a client always parses one format.
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err((
                rejection.status(),
                Json(json!({ "error": rejection.body_text() })),
            )
                .into_response()),
        }
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

/// The routes listed above, over `control`. Errors are JSON `{"error": message}` with the
/// status [`ControlError`] maps to; removing a fault that does not exist is a 400.
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
            put(|State(c): State<Control>, Path((pdu, n)): Path<(String, u32)>, JsonBody(change): JsonBody<OutletChange>| async move {
                c.change_outlet(&pdu, n, &change).map(Json)
            }),
        )
        .route(
            "/pdus/{pdu}/faults",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.faults(&pdu).map(Json) })
                .post(|State(c): State<Control>, Path(pdu): Path<String>, JsonBody(fault): JsonBody<NewFault>| async move {
                    c.add_fault(&pdu, fault).map(|id| (StatusCode::CREATED, Json(json!({ "id": id }))))
                })
                .delete(|State(c): State<Control>, Path(pdu): Path<String>| async move {
                    c.clear_faults(&pdu).map(|()| StatusCode::NO_CONTENT)
                }),
        )
        .route(
            "/outlets/{n}",
            put(|State(c): State<Control>, Path(n): Path<u32>, JsonBody(change): JsonBody<OutletChange>| async move {
                // Many PDUs' state writes are waited for: off the async workers.
                tokio::task::spawn_blocking(move || c.change_outlet_everywhere(n, &change))
                    .await
                    .map_err(|e| ControlError::Failed(e.to_string()))?
                    .map(|changed| Json(serde_json::json!({ "changed": changed })))
            }),
        )
        .route(
            "/pdus/{pdu}/notifications",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.notifications(&pdu).map(Json) }),
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
            post(|State(c): State<Control>, Path(pdu): Path<String>, body: axum::body::Bytes| async move {
                // The body is optional: none (or only whitespace) restarts keeping the outlets.
                let keep = if body.iter().all(u8::is_ascii_whitespace) {
                    true
                } else {
                    match Json::<RestartBody>::from_bytes(&body) {
                        Ok(Json(b)) => b.keep_outlets,
                        Err(rejection) => {
                            let error = Json(json!({ "error": rejection.body_text() }));
                            return Err((rejection.status(), error).into_response());
                        }
                    }
                };
                c.restart(&pdu, keep).map(Json).map_err(IntoResponse::into_response)
            }),
        )
        .route(
            "/pdus/{pdu}/engine",
            post(|State(c): State<Control>, Path(pdu): Path<String>, JsonBody(change): JsonBody<EngineChange>| async move {
                c.change_engine(&pdu, &change).map(Json)
            }),
        )
        .with_state(control)
}

/// Serves the control API on `listener` until the process stops.
pub async fn serve(listener: tokio::net::TcpListener, control: Control) -> std::io::Result<()> {
    axum::serve(listener, router(control)).await
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
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::device::Device;
    use crate::outlet::Power;
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::Value;
    use tower::ServiceExt;

    const CONFIG: &str = r#"
[[pdu]]
name = "a"
vendor = "raritan-px2"
outlets = 4
outlet_names = ["web-1", "web-2", "db-1", "db-2"]
engine_id = "8000000001020304"
[[pdu.community]]
name = "c"
"#;

    fn app() -> (Router, Control) {
        let mut spec = FileConfig::parse(CONFIG, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = None;
        let device = Device::start(spec, Arc::new(ManualClock::default())).unwrap();
        let control = Control::new(vec![Arc::new(device)]);
        (router(control.clone()), control)
    }

    /// One request through the router, in-process; the status and the body as text.
    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> (StatusCode, String) {
        let request = Request::builder().method(method).uri(uri);
        let request = match body {
            Some(json) => request
                .header("content-type", "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// A call whose answer is JSON.
    async fn call_json(
        app: &Router,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, text) = call(app, method, uri, body).await;
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {uri}: {status}, not JSON ({e}): {text}"));
        (status, json)
    }

    fn powers(control: &Control) -> Vec<Power> {
        control.device("a").unwrap().outlet_powers()
    }

    #[tokio::test]
    async fn get_routes_show_pdus_outlets_and_faults() {
        let (app, _) = app();
        let pdu = serde_json::json!({
            "name": "a",
            "vendor": "raritan-px2",
            "outlets": 4,
            "engine_id": "8000000001020304",
            "engine_boots": 1,
            "engine_time": 0,
        });
        assert_eq!(
            call_json(&app, "GET", "/pdus", None).await,
            (StatusCode::OK, Value::Array(vec![pdu.clone()]))
        );
        assert_eq!(
            call_json(&app, "GET", "/pdus/a", None).await,
            (StatusCode::OK, pdu)
        );
        let (status, outlets) = call_json(&app, "GET", "/pdus/a/outlets", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(outlets.as_array().unwrap().len(), 4);
        assert_eq!(
            outlets[2],
            serde_json::json!({"outlet": 3, "name": "db-1", "power": "on", "pending": null})
        );
        assert_eq!(
            call_json(&app, "GET", "/pdus/a/faults", None).await,
            (StatusCode::OK, serde_json::json!([]))
        );
    }

    #[tokio::test]
    async fn unknown_pdus_and_outlets_are_404_with_a_json_error() {
        let (app, control) = app();
        for (method, uri) in [
            ("GET", "/pdus/z"),
            ("GET", "/pdus/z/outlets"),
            ("GET", "/pdus/z/faults"),
            ("DELETE", "/pdus/z/faults"),
        ] {
            let (status, body) = call_json(&app, method, uri, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(
                body,
                serde_json::json!({"error": "no PDU named \"z\": GET /pdus lists them"})
            );
        }
        let (status, body) =
            call_json(&app, "PUT", "/pdus/a/outlets/9", Some(r#"{"power":"off"}"#)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let message = body["error"].as_str().unwrap();
        assert!(message.contains("outlets 1 to 4"), "{message}");
        assert_eq!(powers(&control), vec![Power::On; 4]);
    }

    #[tokio::test]
    async fn put_outlet_switches_renames_and_commands() {
        let (app, control) = app();
        let (status, body) =
            call_json(&app, "PUT", "/pdus/a/outlets/2", Some(r#"{"power":"off"}"#)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            serde_json::json!({"outlet": 2, "name": "web-2", "power": "off", "pending": null})
        );
        assert_eq!(
            powers(&control),
            [Power::On, Power::Off, Power::On, Power::On]
        );
        let (status, body) = call_json(
            &app,
            "PUT",
            "/pdus/a/outlets/1",
            Some(r#"{"command":"reboot","name":"db-9"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&body["name"], &body["power"], &body["pending"]),
            (
                &Value::from("db-9"),
                &Value::from("off"),
                &Value::from("reboot")
            )
        );
        let (status, body) = call_json(
            &app,
            "PUT",
            "/pdus/a/outlets/3",
            Some(r#"{"command":"explode"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("explode"),
            "{body}"
        );
        assert_eq!(powers(&control)[2], Power::On);
    }

    #[tokio::test]
    async fn a_bad_body_is_a_client_error_that_names_the_field() {
        let (app, control) = app();
        for (method, uri, body, field) in [
            (
                "PUT",
                "/pdus/a/outlets/1",
                r#"{"power":"sideways"}"#,
                "power",
            ),
            ("PUT", "/pdus/a/outlets/1", r#"{"powr":"off"}"#, "powr"),
            ("PUT", "/pdus/a/outlets/1", r#"{"name":7}"#, "name"),
            ("POST", "/pdus/a/engine", r#"{"boots":"many"}"#, "boots"),
            // Inside a tagged fault, serde names the fault, not the field within it.
            (
                "POST",
                "/pdus/a/faults",
                r#"{"fault":{"kind":"delay","ms":"soon"}}"#,
                "fault",
            ),
            (
                "POST",
                "/pdus/a/faults",
                r#"{"fault":{"kind":"meteor"}}"#,
                "fault.kind",
            ),
            (
                "POST",
                "/pdus/a/faults",
                r#"{"fault":{"kind":"duplicate"},"schedule":{"packets":-1}}"#,
                "schedule.packets",
            ),
            (
                "POST",
                "/pdus/a/restart",
                r#"{"keep_outlets":"yes"}"#,
                "keep_outlets",
            ),
        ] {
            let (status, text) = call(&app, method, uri, Some(body)).await;
            assert!(status.is_client_error(), "{method} {uri} {body}: {status}");
            // Every error of the API is JSON, bad bodies included.
            let error: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let message = error["error"].as_str().unwrap_or_default();
            assert!(message.contains(field), "{method} {uri} {body}: {text}");
        }
        let (status, _) = call(
            &app,
            "PUT",
            "/pdus/a/outlets/first",
            Some(r#"{"power":"off"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(powers(&control), vec![Power::On; 4]);
        assert_eq!(control.pdu("a").unwrap().engine_boots, 1);
        assert!(control.faults("a").unwrap().is_empty());
    }

    #[tokio::test]
    async fn notifications_are_listed_with_their_counters() {
        let (app, _) = app();
        let (status, body) = call_json(&app, "GET", "/pdus/a/notifications", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&body["raised"], &body["informs_failed"], &body["sent"]),
            (&Value::from(0), &Value::from(0), &Value::Array(Vec::new())),
            "{body}"
        );
        let (status, _) = call(&app, "GET", "/pdus/nope/notifications", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn one_call_switches_an_outlet_on_every_pdu() {
        let (app, control) = app();
        let (status, body) = call_json(&app, "PUT", "/outlets/2", Some(r#"{"power":"off"}"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["changed"], Value::from(1));
        assert_eq!(
            powers(&control),
            vec![Power::On, Power::Off, Power::On, Power::On]
        );
        // No PDU has outlet 9: nothing changes, and that is not an error.
        let (status, body) = call_json(&app, "PUT", "/outlets/9", Some(r#"{"power":"off"}"#)).await;
        assert_eq!(
            (status, &body["changed"]),
            (StatusCode::OK, &Value::from(0))
        );
    }

    #[tokio::test]
    async fn faults_are_added_listed_and_deleted() {
        let (app, _) = app();
        let (status, body) = call_json(
            &app,
            "POST",
            "/pdus/a/faults",
            Some(r#"{"fault":{"kind":"drop-response"},"schedule":{"packets":2}}"#),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let id = body["id"].as_u64().unwrap();
        assert_eq!(
            call_json(&app, "GET", "/pdus/a/faults", None).await,
            (
                StatusCode::OK,
                serde_json::json!([{
                    "id": id,
                    "kind": "drop-response",
                    "schedule": {"after_requests": 0, "for_ms": null, "packets": 2},
                }])
            )
        );
        let uri = format!("/pdus/a/faults/{id}");
        assert_eq!(
            call(&app, "DELETE", &uri, None).await,
            (StatusCode::NO_CONTENT, String::new())
        );
        let (status, body) = call_json(&app, "DELETE", &uri, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            serde_json::json!({"error": format!("PDU \"a\" has no fault {id}")})
        );
        for kind in [
            r#"{"fault":{"kind":"duplicate"}}"#,
            r#"{"fault":{"kind":"stuck-outlet","outlet":1}}"#,
        ] {
            let (status, _) = call(&app, "POST", "/pdus/a/faults", Some(kind)).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let (_, listed) = call_json(&app, "GET", "/pdus/a/faults", None).await;
        assert_eq!(listed.as_array().unwrap().len(), 2);
        assert_eq!(
            call(&app, "DELETE", "/pdus/a/faults", None).await,
            (StatusCode::NO_CONTENT, String::new())
        );
        assert_eq!(
            call_json(&app, "GET", "/pdus/a/faults", None).await,
            (StatusCode::OK, serde_json::json!([]))
        );
    }

    #[tokio::test]
    async fn restart_keeps_outlets_unless_told_not_to() {
        let (app, control) = app();
        call(&app, "PUT", "/pdus/a/outlets/1", Some(r#"{"power":"off"}"#)).await;
        // No body: outlets kept.
        let (status, body) = call_json(&app, "POST", "/pdus/a/restart", None).await;
        assert_eq!(
            (status, &body["engine_boots"]),
            (StatusCode::OK, &Value::from(2))
        );
        assert_eq!(powers(&control)[0], Power::Off);
        let (status, body) = call_json(&app, "POST", "/pdus/a/restart", Some("{}")).await;
        assert_eq!(
            (status, &body["engine_boots"]),
            (StatusCode::OK, &Value::from(3))
        );
        assert_eq!(powers(&control)[0], Power::Off);
        let (status, body) = call_json(
            &app,
            "POST",
            "/pdus/a/restart",
            Some(r#"{"keep_outlets":false}"#),
        )
        .await;
        assert_eq!(
            (status, &body["engine_boots"]),
            (StatusCode::OK, &Value::from(4))
        );
        assert_eq!(powers(&control), vec![Power::On; 4]);
    }

    #[tokio::test]
    async fn engine_changes_answer_the_pdu_or_a_json_error() {
        let (app, control) = app();
        let (status, body) =
            call_json(&app, "POST", "/pdus/a/engine", Some(r#"{"skew_secs":400}"#)).await;
        assert_eq!(
            (status, &body["engine_time"]),
            (StatusCode::OK, &Value::from(400))
        );
        let (status, body) = call_json(
            &app,
            "POST",
            "/pdus/a/engine",
            Some(r#"{"boots":2147483647}"#),
        )
        .await;
        assert_eq!(
            (status, &body["engine_boots"]),
            (StatusCode::OK, &Value::from(2_147_483_647))
        );
        assert!(control.device("a").unwrap().engine.locked_out());
        let (status, body) =
            call_json(&app, "POST", "/pdus/a/engine", Some(r#"{"boots":0}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("snmpEngineBoots"),
            "{body}"
        );
        let (status, body) = call_json(
            &app,
            "POST",
            "/pdus/a/engine",
            Some(r#"{"engine_id":"8000000001020399"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&body["engine_id"], &body["engine_boots"]),
            (&Value::from("8000000001020399"), &Value::from(1))
        );
    }
}
