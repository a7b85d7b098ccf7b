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
//! GET    /pdus/{pdu}/requests?after=N   the request log (records with seq > N; arms the log)
//! GET    /pdus/{pdu}/events             server-sent events for the dashboard: `state`, `requests`
//! GET    /                              the dashboard (`?q=FILTER&page=N&pdu=NAME`)
//! ```
//!
//! Guards (every route, the dashboard's included): with a token ([`ServeOptions::token`],
//! required when bound to a non-loopback address) every request must carry it, as
//! `Authorization: Bearer TOKEN`, the `pdusim_token` cookie, or once as `?token=TOKEN` on a GET
//! (answered with the cookie and a redirect to the same page without it). Without a token the
//! `Host` must be a loopback name or address, so a web page cannot reach the API through a DNS
//! name it controls. Requests that change state (anything but GET and HEAD) from another
//! origin (`Origin` not this `Host`, or `Sec-Fetch-Site` cross-site or same-site) are refused
//! with 403.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::control::{Control, ControlError, EngineChange, NewFault, OutletChange};
use crate::dashboard::{Addresses, PageQuery};

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

/// How the server guards itself, and what the dashboard shows beyond the control API.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Required on every request when set (see the module documentation). Never logged.
    pub token: Option<String>,
    /// Where each PDU answers SNMP, by PDU name, for the dashboard.
    pub addresses: Addresses,
}

/// Up to this many PDUs, every PDU's request log is kept from the start; above it, a PDU's
/// log starts when first looked at (each keeps up to [`crate::request_log::CAPACITY`]).
pub const KEEP_ALL_LOGS_UP_TO: usize = 256;

/// How often an open dashboard's event stream looks for changes (and sends only those).
const EVENT_PERIOD: Duration = Duration::from_millis(300);

/// The request records an event stream sends when it opens (the newest).
const FIRST_RECORDS: u64 = 50;

#[derive(Clone)]
struct AppState {
    control: Control,
    addresses: Arc<Addresses>,
}

impl FromRef<AppState> for Control {
    fn from_ref(state: &AppState) -> Control {
        state.control.clone()
    }
}

/// The routes listed above, over `control`, without a token. Errors are JSON
/// `{"error": message}` with the status [`ControlError`] maps to; removing a fault that does
/// not exist is a 400.
pub fn router(control: Control) -> Router {
    app(control, ServeOptions::default())
}

/// The routes listed above, over `control`, guarded as `options` say.
pub fn app(control: Control, options: ServeOptions) -> Router {
    let guard = Arc::new(Guard {
        token: options.token,
    });
    let state = AppState {
        control,
        addresses: Arc::new(options.addresses),
    };
    Router::new()
        .route("/", get(dashboard_page))
        .route(
            "/dashboard.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], crate::dashboard::SCRIPT) }),
        )
        .route(
            "/dashboard.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], crate::dashboard::STYLE) }),
        )
        .route("/pdus/{pdu}/events", get(events))
        .route(
            "/pdus/{pdu}/requests",
            get(|State(c): State<Control>, Path(pdu): Path<String>, Query(after): Query<After>| async move {
                c.requests(&pdu, after.after).map(Json)
            }),
        )
        .route("/pdus", get(|State(c): State<Control>| async move { Json(c.pdus()) }))
        .route("/pdus/{pdu}", get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.pdu(&pdu).map(Json) }))
        .route(
            "/pdus/{pdu}/outlets",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.outlets(&pdu).map(Json) }),
        )
        .route(
            "/pdus/{pdu}/outlets/{n}",
            put(|State(c): State<Control>, Path((pdu, n)): Path<(String, u32)>, JsonBody(change): JsonBody<OutletChange>| async move {
                blocking(move || c.change_outlet(&pdu, n, &change)).await.map(Json)
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
                blocking(move || c.change_outlet_everywhere(n, &change))
                    .await
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
                blocking(move || c.restart(&pdu, keep)).await.map(Json).map_err(IntoResponse::into_response)
            }),
        )
        .route(
            "/pdus/{pdu}/engine",
            post(|State(c): State<Control>, Path(pdu): Path<String>, JsonBody(change): JsonBody<EngineChange>| async move {
                blocking(move || c.change_engine(&pdu, &change)).await.map(Json)
            }),
        )
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(guard, check))
}

/// Runs a control call that may block (it waits for state writes on a condition variable, or
/// fsyncs engine state) on tokio's blocking pool, so the async workers that also answer SNMP
/// are never held by it.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, ControlError> + Send + 'static,
) -> Result<T, ControlError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| ControlError::Failed(format!("a control call panicked: {e}")))?
}

/// Serves the control API and the dashboard on `listener` until the process stops. Keeps
/// every PDU's request log when there are at most [`KEEP_ALL_LOGS_UP_TO`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    control: Control,
    options: ServeOptions,
) -> std::io::Result<()> {
    if control.len() <= KEEP_ALL_LOGS_UP_TO {
        control.keep_request_logs();
    }
    axum::serve(listener, app(control, options)).await
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

async fn dashboard_page(State(s): State<AppState>, Query(query): Query<PageQuery>) -> Response {
    let html = crate::dashboard::page(&s.control, &s.addresses, &query);
    (
        [
            // Only this server's script and style; no framing by other sites.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

/// The dashboard's live feed for one PDU: a `state` event (the PDU's [`PduStatus`]) whenever
/// it changed, and a `requests` event with the request records new since the last one.
///
/// [`PduStatus`]: crate::dashboard::PduStatus
async fn events(
    State(s): State<AppState>,
    Path(pdu): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ControlError> {
    let device = s.control.device(&pdu)?.clone();
    device.requests.arm();
    let seq = device.requests.last_seq().saturating_sub(FIRST_RECORDS);
    let mut ticks = tokio::time::interval(EVENT_PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = (s, pdu, device, String::new(), seq, ticks);
    let feed = stream::unfold(
        start,
        |(s, pdu, device, mut last, mut seq, mut ticks)| async move {
            loop {
                ticks.tick().await;
                // The PDU is gone only if the process is stopping: end the stream.
                let status = crate::dashboard::status(&s.control, &s.addresses, &pdu).ok()?;
                let mut out = Vec::new();
                let json = serde_json::to_string(&status).ok()?;
                if json != last {
                    out.push(Event::default().event("state").data(json.clone()));
                    last = json;
                }
                let records = device.requests.since(seq);
                if let Some(newest) = records.last() {
                    seq = newest.seq;
                    let json = serde_json::to_string(&records).ok()?;
                    out.push(Event::default().event("requests").data(json));
                }
                if !out.is_empty() {
                    return Some((out, (s, pdu, device, last, seq, ticks)));
                }
            }
        },
    )
    .flat_map(|events| stream::iter(events.into_iter().map(Ok)));
    Ok(Sse::new(feed).keep_alive(KeepAlive::default()))
}

/// The guards of the module documentation.
struct Guard {
    token: Option<String>,
}

/// The cookie that carries the token for a browser.
const TOKEN_COOKIE: &str = "pdusim_token";

async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    match &guard.token {
        None => {
            if let Some(host) = &host {
                if !is_loopback_host(host) {
                    return refuse(
                        StatusCode::FORBIDDEN,
                        format!("Host {host:?} is not a loopback name: without a token the control API answers only to 127.0.0.1, [::1] or localhost"),
                    );
                }
            }
        }
        Some(token) => {
            let from_query = request
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
            if request.method() == Method::GET {
                if let Some(given) = from_query {
                    if !same(given, token) {
                        return refuse(StatusCode::UNAUTHORIZED, "wrong token".into());
                    }
                    // Keep it in a cookie and show the page without it in the address bar.
                    let rest: Vec<&str> = request
                        .uri()
                        .query()
                        .unwrap_or_default()
                        .split('&')
                        .filter(|kv| !kv.starts_with("token=") && !kv.is_empty())
                        .collect();
                    let mut location = request.uri().path().to_string();
                    if !rest.is_empty() {
                        location.push('?');
                        location.push_str(&rest.join("&"));
                    }
                    let cookie =
                        format!("{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
                    let mut response = StatusCode::SEE_OTHER.into_response();
                    if let (Ok(l), Ok(c)) = (
                        HeaderValue::from_str(&location),
                        HeaderValue::from_str(&cookie),
                    ) {
                        response.headers_mut().insert(header::LOCATION, l);
                        response.headers_mut().insert(header::SET_COOKIE, c);
                    }
                    return response;
                }
            }
            if !carries_token(headers, token) {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "this control API needs its token (printed by pdusim at start): send `Authorization: Bearer TOKEN`, or open the dashboard once as /?token=TOKEN".into(),
                );
            }
        }
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        if let Some(why) = cross_origin(headers, host.as_deref()) {
            return refuse(StatusCode::FORBIDDEN, why);
        }
    }
    next.run(request).await
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Whether `host` (a Host header: name or address, maybe with a port) is loopback.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a state-changing request comes from another origin, if it does.
fn cross_origin(headers: &HeaderMap, host: Option<&str>) -> Option<String> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return Some(format!(
                "cross-origin request refused (Sec-Fetch-Site: {site}): change state from the dashboard or a non-browser client"
            ));
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("(not text)");
    let expected = host.map(|h| format!("http://{h}"));
    if expected.as_deref() == Some(origin) {
        None
    } else {
        Some(format!(
            "cross-origin request refused: Origin {origin:?} is not this server"
        ))
    }
}

fn carries_token(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim(), token));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
        .any(|given| same(given, token));
    bearer || cookie
}

/// Compares without stopping at the first difference, so timing does not tell how much of a
/// guess was right.
fn same(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
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

    /// One request with `headers`; the status and the body as text.
    async fn call_with(
        app: &Router,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn cross_origin_changes_and_foreign_hosts_are_refused() {
        let (app, control) = app();
        control
            .add_fault(
                "a",
                NewFault {
                    fault: crate::fault::FaultKind::Duplicate,
                    schedule: Default::default(),
                },
            )
            .unwrap();
        let host = ("host", "127.0.0.1:8161");
        for headers in [
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://127.0.0.1:9999")],
            vec![host, ("sec-fetch-site", "cross-site")],
        ] {
            let (status, body) = call_with(&app, "DELETE", "/pdus/a/faults", &headers).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}: {body}");
            assert!(body.contains("cross-origin"), "{body}");
        }
        assert_eq!(control.faults("a").unwrap().len(), 1, "nothing cleared");
        // A page on another name resolving to loopback (DNS rebinding) gets nothing, reads
        // included.
        let (status, body) =
            call_with(&app, "GET", "/pdus", &[("host", "evil.example:8161")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        // Reads from anywhere on loopback, and changes from this origin, go through.
        let (status, _) = call_with(
            &app,
            "GET",
            "/pdus",
            &[("origin", "http://evil.example"), host],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let same = [
            host,
            ("origin", "http://127.0.0.1:8161"),
            ("sec-fetch-site", "same-origin"),
        ];
        let (status, body) = call_with(&app, "DELETE", "/pdus/a/faults", &same).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(control.faults("a").unwrap().is_empty());
    }

    #[tokio::test]
    async fn with_a_token_every_request_must_carry_it() {
        let (_, control) = app();
        let app = super::app(
            control.clone(),
            ServeOptions {
                token: Some("0123456789abcdef".into()),
                addresses: Default::default(),
            },
        );
        let host = ("host", "192.0.2.7:8161");
        for headers in [
            vec![host],
            vec![host, ("authorization", "Bearer 0123456789abcdeX")],
            vec![host, ("cookie", "pdusim_token=nope")],
        ] {
            let (status, body) = call_with(&app, "GET", "/pdus", &headers).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{headers:?}");
            assert!(
                !body.contains("0123456789abcdef"),
                "the token leaked: {body}"
            );
        }
        let (status, _) = call_with(&app, "GET", "/", &[host]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the dashboard too");
        let (status, _) = call_with(
            &app,
            "GET",
            "/pdus",
            &[host, ("authorization", "Bearer 0123456789abcdef")],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call_with(
            &app,
            "GET",
            "/pdus",
            &[
                host,
                ("cookie", "theme=dark; pdusim_token=0123456789abcdef"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // The token in the address once: a cookie and a redirect without it.
        let request = Request::builder()
            .uri("/?pdu=a&token=0123456789abcdef")
            .header("host", "192.0.2.7:8161")
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/?pdu=a");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(
            cookie.starts_with("pdusim_token=0123456789abcdef;"),
            "{cookie}"
        );
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        // Even with the token, a change from another origin is refused.
        let (status, _) = call_with(
            &app,
            "DELETE",
            "/pdus/a/faults",
            &[
                host,
                ("authorization", "Bearer 0123456789abcdef"),
                ("origin", "http://evil.example"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn the_dashboard_and_its_files_are_served() {
        let (app, _) = app();
        let (status, html) = call(&app, "GET", "/", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-pdu=\"a\""), "{html}");
        assert!(
            !html.contains("\"c\""),
            "the community name is not on the page"
        );
        let (status, js) = call(&app, "GET", "/dashboard.js", None).await;
        assert_eq!(
            (status, js.as_str()),
            (StatusCode::OK, crate::dashboard::SCRIPT)
        );
        let (status, css) = call(&app, "GET", "/dashboard.css", None).await;
        assert_eq!(
            (status, css.as_str()),
            (StatusCode::OK, crate::dashboard::STYLE)
        );
        let (status, body) = call_json(&app, "GET", "/pdus/a/requests?after=0", None).await;
        assert_eq!((status, body), (StatusCode::OK, serde_json::json!([])));
        let (status, _) = call_json(&app, "GET", "/pdus/z/requests", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
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
