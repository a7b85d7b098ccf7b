//! The control API over HTTP/JSON (axum), bound to loopback unless told otherwise:
//!
//! ```text
//! GET    /pdus?offset=N&limit=M        a page of PDUs (1000 by default; X-Total-Count, X-Materialised-Count, Link: next)
//! GET    /pdus/{pdu}                    one PDU (engine ID, boots, time)
//! GET    /pdus/{pdu}/outlets            outlets: power, name, pending
//! PUT    /pdus/{pdu}/outlets/{n}        {"power":"off"} | {"command":"reboot"} | {"name":"db-1"}
//! GET    /pdus/{pdu}/faults             active faults
//! POST   /pdus/{pdu}/faults             {"fault":{"kind":"drop-response"},"schedule":{"packets":2}}
//! DELETE /pdus/{pdu}/faults             clear all faults
//! DELETE /pdus/{pdu}/faults/{id}        clear one fault
//! POST   /pdus/{pdu}/restart            {"keep_outlets":true}
//! POST   /pdus/{pdu}/engine             {"boots":2147483647} | {"skew_secs":400} | {"engine_id":"8000..."} | {"uptime_skew_secs":42949670}
//!                                       | {"if_counter_offset":-1000} | {"if_counters_reset":true}
//! GET    /pdus/{pdu}/requests?after=N   the request log (records with seq > N; arms the log)
//! GET    /pdus/{pdu}/events             server-sent events for the dashboard: `state`, `requests`
//! GET    /pdus/{pdu}/notifications      notification counters and the last ones sent
//! PUT    /outlets/{n}                   {"power":"off"}: outlet n of every PDU that has it
//! GET    /                              the dashboard (`?q=FILTER&page=N&pdu=NAME`)
//! ```
//!
//! `if_counter_offset` moves the IF-MIB octet and packet counters of the PDU's management port
//! (ifHCInOctets ... and their low 32 bits in ifTable) N on, modulo 2^64, as if that much traffic
//! had passed: N from -2^63 to 2^64 - 1, a negative N being 2^64 + N. `if_counters_reset: true`
//! sets them back to 0, a discontinuity: ifCounterDiscontinuityTime becomes sysUpTime now
//! ([`crate::interfaces`]).
//!
//! Every error, on every route, is JSON of one shape: `{"error": message, "field": name}`, where
//! `field` names the request field at fault (`power`, `command`, `boots`, `fault.kind`,
//! `schedule.packets`, `n`, `id`, `after`, ...) or is `null`. Status codes: 404 for an unknown
//! PDU, outlet or fault ID, and for an unknown route; 400 for a malformed body, a field of the
//! wrong type or value, an unknown field, or a path number that is not one; 415 for a body sent
//! without `Content-Type: application/json`; 405 for a method a route does not take (with
//! `Allow`); 401/403 from the guards below; 500 when the PDU cannot save its state.
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

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{
    FromRef, FromRequest, FromRequestParts, MatchedPath, Path, Query, Request, State,
};
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
            ControlError::NoSuchPdu(_)
            | ControlError::NoSuchOutlet { .. }
            | ControlError::NoSuchFault { .. } => StatusCode::NOT_FOUND,
            ControlError::BadRequest(_)
            | ControlError::BadField { .. }
            | ControlError::BadFault(_) => StatusCode::BAD_REQUEST,
            ControlError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ControlError::NotSaved { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        error_response(status, &self.to_string(), self.field())
    }
}

/// The one error shape of this API: `{"error": message, "field": name or null}`.
fn error_response(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    (status, Json(json!({ "error": message, "field": field }))).into_response()
}

/// Whether a request's `Content-Type` is JSON (`application/json`, or `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// Reads a JSON body into `T`, or the error response: 415 when the content type is not JSON,
/// 400 naming the field (its path, `fault.kind`, or the unknown or missing field's name) when
/// the body is malformed or of the wrong shape.
#[allow(clippy::result_large_err)] // an axum Response, as every handler here returns
fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Response> {
    if !is_json(headers) {
        return Err(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON: send the header Content-Type: application/json",
            None,
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            let named = |marker: &str| {
                message
                    .split_once(marker)
                    .and_then(|(_, rest)| rest.split('`').next())
                    .map(str::to_string)
            };
            let field = if inner.is_syntax() || inner.is_eof() {
                None
            } else if let Some(unknown) = named("unknown field `").filter(|_| path == ".") {
                Some(unknown)
            } else if path != "." {
                Some(path)
            } else {
                named("missing field `")
            };
            let message = match &field {
                Some(f) => format!("{f}: {message}"),
                None => format!("the body is not valid JSON: {message}"),
            };
            Err(error_response(
                StatusCode::BAD_REQUEST,
                &message,
                field.as_deref(),
            ))
        }
    }
}

/// A JSON request body whose rejection has this API's error shape (see [`parse_body`]).
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| error_response(e.status(), &e.body_text(), None))?;
        parse_body(&headers, &body).map(JsonBody)
    }
}

/// Path parameters whose rejection has this API's error shape: 400 naming the parameter
/// (`n`, `id`) that is not a number.
struct PathArgs<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathArgs<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        // The route's parameter names, in order (`/pdus/{pdu}/outlets/{n}`: pdu, n).
        let names: Vec<String> = parts
            .extensions
            .get::<MatchedPath>()
            .map(|m| {
                m.as_str()
                    .split('/')
                    .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathArgs(value)),
            Err(rejection) => {
                let field = match &rejection {
                    PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                        ErrorKind::ParseErrorAtKey { key, .. }
                        | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.clone()),
                        ErrorKind::ParseErrorAtIndex { index, .. } => names.get(*index).cloned(),
                        ErrorKind::ParseError { .. } => names.last().cloned(),
                        _ => None,
                    },
                    _ => None,
                };
                let message = match &field {
                    Some(f) => format!("{f} in the path must be a whole number of 0 or more"),
                    None => rejection.body_text(),
                };
                Err(error_response(
                    rejection.status(),
                    &message,
                    field.as_deref(),
                ))
            }
        }
    }
}

/// Unknown routes: 404 in this API's error shape.
async fn no_route(method: Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no route {method} {}: the API has /pdus, /pdus/{{pdu}}, /pdus/{{pdu}}/outlets[/{{n}}], /pdus/{{pdu}}/faults[/{{id}}], /pdus/{{pdu}}/restart, /pdus/{{pdu}}/engine, /pdus/{{pdu}}/requests, /pdus/{{pdu}}/notifications, /pdus/{{pdu}}/events and /outlets/{{n}}",
            uri.path()
        ),
        None,
    )
}

/// A known route asked with a method it does not take: 405 in this API's error shape (axum
/// adds the `Allow` header).
async fn wrong_method(method: Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{method} is not allowed on {}: the Allow header lists the methods it takes",
            uri.path()
        ),
        None,
    )
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

/// The routes listed above, over `control`, without a token. Errors are as the module
/// documentation says.
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
            get(|State(c): State<Control>, Path(pdu): Path<String>, after: Result<Query<After>, QueryRejection>| async move {
                let Query(after) = after.map_err(|_| {
                    error_response(StatusCode::BAD_REQUEST, "after must be a whole number of 0 or more (a record's seq)", Some("after"))
                })?;
                c.requests(&pdu, after.after).map(Json).map_err(IntoResponse::into_response)
            }),
        )
        .route("/pdus", get(list_pdus))
        .route("/pdus/{pdu}", get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.pdu(&pdu).map(Json) }))
        .route(
            "/pdus/{pdu}/outlets",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.outlets(&pdu).map(Json) }),
        )
        .route(
            "/pdus/{pdu}/outlets/{n}",
            put(|State(c): State<Control>, PathArgs((pdu, n)): PathArgs<(String, u32)>, JsonBody(change): JsonBody<OutletChange>| async move {
                blocking(move || c.change_outlet(&pdu, n, &change)).await.map(Json)
            }),
        )
        .route(
            "/pdus/{pdu}/faults",
            get(|State(c): State<Control>, Path(pdu): Path<String>| async move { c.faults(&pdu).map(Json) })
                .post(|State(c): State<Control>, Path(pdu): Path<String>, JsonBody(body): JsonBody<serde_json::Value>| async move {
                    // Read here rather than by serde, so an error names the dotted path of the
                    // field at fault (`fault.status`), which serde cannot inside a tagged fault.
                    let fault = NewFault::from_value(body)?;
                    c.add_fault(&pdu, fault).map(|id| (StatusCode::CREATED, Json(json!({ "id": id }))))
                })
                .delete(|State(c): State<Control>, Path(pdu): Path<String>| async move {
                    c.clear_faults(&pdu).map(|()| StatusCode::NO_CONTENT)
                }),
        )
        .route(
            "/outlets/{n}",
            put(|State(c): State<Control>, PathArgs(n): PathArgs<u32>, JsonBody(change): JsonBody<OutletChange>| async move {
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
            delete(|State(c): State<Control>, PathArgs((pdu, id)): PathArgs<(String, u64)>| async move {
                match c.remove_fault(&pdu, id) {
                    Ok(true) => Ok(StatusCode::NO_CONTENT),
                    Ok(false) => Err(ControlError::NoSuchFault { pdu, id }),
                    Err(e) => Err(e),
                }
            }),
        )
        .route(
            "/pdus/{pdu}/restart",
            post(|State(c): State<Control>, Path(pdu): Path<String>, headers: HeaderMap, body: axum::body::Bytes| async move {
                // The body is optional: none (or only whitespace) restarts keeping the outlets.
                let keep = if body.iter().all(u8::is_ascii_whitespace) {
                    true
                } else {
                    parse_body::<RestartBody>(&headers, &body)?.keep_outlets
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
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
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

/// `GET /pdus?offset=N&limit=M`: a page of the PDU list (a JSON array, in config order), at
/// most [`MAX_PAGE`] long ([`DEFAULT_PAGE`] without `limit`), with the whole list's length in
/// `X-Total-Count`, how many of all the PDUs have come into being (lazy PDUs, see
/// [`crate::device::Device`]) in `X-Materialised-Count`, and, when more follow, the next page's
/// address in `Link` (`rel="next"`).
/// Errors: 400 for an `offset` or `limit` that is not a whole number, or a `limit` of 0 or
/// above [`MAX_PAGE`].
async fn list_pdus(
    State(c): State<Control>,
    Query(page): Query<Vec<(String, String)>>,
) -> Response {
    let mut offset = 0usize;
    let mut limit = DEFAULT_PAGE;
    for (key, value) in &page {
        let parsed = value.parse::<usize>();
        match (key.as_str(), parsed) {
            ("offset", Ok(n)) => offset = n,
            ("limit", Ok(n)) if (1..=MAX_PAGE).contains(&n) => limit = n,
            ("offset" | "limit", _) => {
                let fix = if key == "limit" {
                    format!("a whole number from 1 to {MAX_PAGE}")
                } else {
                    "a whole number from 0".to_string()
                };
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({ "error": format!("{key}={value:?} is not valid: give {fix}"), "field": key })),
                )
                    .into_response();
            }
            _ => {}
        }
    }
    let total = c.len();
    let pdus = c.pdus_page(offset, limit);
    let mut response = Json(pdus).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        headers.insert("x-total-count", v);
    }
    let made = c.devices().iter().filter(|d| d.is_materialised()).count();
    if let Ok(v) = HeaderValue::from_str(&made.to_string()) {
        headers.insert("x-materialised-count", v);
    }
    let next = offset.saturating_add(limit);
    if next < total {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "</pdus?offset={next}&limit={limit}>; rel=\"next\""
        )) {
            headers.insert(header::LINK, v);
        }
    }
    response
}

/// PDUs in a `GET /pdus` page when no `limit` is given.
pub const DEFAULT_PAGE: usize = 1000;
/// The longest `GET /pdus` page.
pub const MAX_PAGE: usize = 10_000;

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
    error_response(status, &message, None)
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

    /// The PDU list comes in pages with the total and the next page's address; bad page
    /// parameters are a 400 naming the parameter.
    #[tokio::test]
    async fn the_pdu_list_is_paged() {
        let mut config = String::new();
        for i in 0..5 {
            config.push_str(&format!(
                "[[pdu]]\nname = \"p{i}\"\nlisten = [\"127.0.0.1:0\"]\n[[pdu.community]]\nname = \"c\"\n"
            ));
        }
        let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::ManualClock::default());
        let devices: Vec<Arc<crate::device::Device>> =
            crate::config::FileConfig::parse(&config, "t")
                .unwrap()
                .validate("t")
                .unwrap()
                .into_iter()
                .map(|(mut spec, _)| {
                    spec.state_dir = None;
                    Arc::new(crate::device::Device::start(spec, clock.clone()).unwrap())
                })
                .collect();
        let app = router(Control::new(devices));
        let names = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        };
        let response = tower::ServiceExt::oneshot(
            app.clone(),
            Request::builder()
                .uri("/pdus?offset=1&limit=2")
                .header("host", "127.0.0.1")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-total-count"], "5");
        assert_eq!(
            response.headers()[header::LINK],
            "</pdus?offset=3&limit=2>; rel=\"next\""
        );
        let (status, all) = call_json(&app, "GET", "/pdus", None).await;
        assert_eq!(
            (status, names(&all)),
            (
                StatusCode::OK,
                vec![
                    "p0".into(),
                    "p1".into(),
                    "p2".into(),
                    "p3".into(),
                    "p4".into()
                ]
            )
        );
        let (_, last) = call_json(&app, "GET", "/pdus?offset=4&limit=2", None).await;
        assert_eq!(names(&last), vec!["p4".to_string()]);
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=10001", "limit"),
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
        ] {
            let (status, body) = call_json(&app, "GET", &format!("/pdus?{query}"), None).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some(field)),
                "{query}: {body}"
            );
        }
    }

    #[tokio::test]
    async fn get_routes_show_pdus_outlets_and_faults() {
        let (app, _) = app();
        let pdu = serde_json::json!({
            "name": "a",
            "vendor": "raritan-px2",
            "outlets": 4,
            "materialised": true,
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
                serde_json::json!({"error": "no PDU named \"z\": GET /pdus lists them", "field": null})
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
            (
                "POST",
                "/pdus/a/engine",
                r#"{"if_counter_offset":18446744073709551616}"#,
                "if_counter_offset",
            ),
            (
                "POST",
                "/pdus/a/engine",
                r#"{"if_counter_offset":-9223372036854775809}"#,
                "if_counter_offset",
            ),
            (
                "POST",
                "/pdus/a/engine",
                r#"{"if_counter_offset":"near the wrap"}"#,
                "if_counter_offset",
            ),
            (
                "POST",
                "/pdus/a/engine",
                r#"{"if_counter_offset":1.5}"#,
                "if_counter_offset",
            ),
            (
                "POST",
                "/pdus/a/engine",
                r#"{"if_counters_reset":1}"#,
                "if_counters_reset",
            ),
            (
                "POST",
                "/pdus/a/faults",
                r#"{"fault":{"kind":"delay","ms":"soon"}}"#,
                "fault.ms",
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
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {uri} {body}");
            // Every error of the API is JSON, bad bodies included, and names the field.
            let error: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let message = error["error"].as_str().unwrap_or_default();
            assert!(message.contains(field), "{method} {uri} {body}: {text}");
            assert_eq!(
                error["field"],
                Value::from(field),
                "{method} {uri} {body}: {text}"
            );
        }
        let (status, body) = call_json(
            &app,
            "PUT",
            "/pdus/a/outlets/first",
            Some(r#"{"power":"off"}"#),
        )
        .await;
        assert_eq!(
            (status, &body["field"]),
            (StatusCode::BAD_REQUEST, &Value::from("n"))
        );
        assert_eq!(powers(&control), vec![Power::On; 4]);
        assert_eq!(control.pdu("a").unwrap().engine_boots, Some(1));
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
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            serde_json::json!({
                "error": format!("PDU \"a\" has no fault {id}: GET /pdus/a/faults lists them"),
                "field": null,
            })
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

    /// A fault whose `for_ms` ran out is not listed, even when no request has reached its point
    /// since (which is what used to drop it).
    #[tokio::test]
    async fn expired_faults_are_not_listed() {
        let mut spec = FileConfig::parse(CONFIG, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = None;
        let clock = Arc::new(ManualClock::default());
        let device = Arc::new(Device::start(spec, clock.clone()).unwrap());
        let app = router(Control::new(vec![device.clone()]));
        for body in [
            r#"{"fault":{"kind":"agent-down"},"schedule":{"for_ms":1500}}"#,
            r#"{"fault":{"kind":"duplicate"}}"#,
        ] {
            let (status, _) = call(&app, "POST", "/pdus/a/faults", Some(body)).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let kinds = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|f| f["kind"].as_str().unwrap().to_string())
                .collect()
        };
        // agent-down starts its 1.5 s when it first acts (one request reaching the PDU).
        let acting = device
            .faults
            .at(crate::fault::FaultPoint::Receive, device.now());
        assert_eq!(acting, vec![crate::fault::FaultKind::AgentDown]);
        clock.advance(std::time::Duration::from_millis(1499));
        let (_, listed) = call_json(&app, "GET", "/pdus/a/faults", None).await;
        assert_eq!(kinds(&listed), ["agent-down", "duplicate"]);
        clock.advance(std::time::Duration::from_millis(1));
        let (status, listed) = call_json(&app, "GET", "/pdus/a/faults", None).await;
        assert_eq!(
            (status, kinds(&listed)),
            (StatusCode::OK, vec!["duplicate".to_string()])
        );
    }

    /// Every 400 for a fault names the dotted path of the field at fault, whether the spec
    /// does not parse (a missing field, a wrong type) or does not mean anything.
    #[tokio::test]
    async fn meaningless_faults_are_refused_with_400_naming_the_field() {
        let (app, _) = app();
        for (spec, field) in [
            (
                r#"{"fault":{"kind":"force-error","status":"oops"}}"#,
                "fault.status",
            ),
            (r#"{"fault":{"kind":"force-error"}}"#, "fault.status"),
            (
                r#"{"fault":{"kind":"force-error","status":5}}"#,
                "fault.status",
            ),
            (
                r#"{"fault":{"kind":"force-error","status":"genErr","set_only":"yes"}}"#,
                "fault.set_only",
            ),
            (
                r#"{"fault":{"kind":"report-instead","counter":"usmStatsNope"}}"#,
                "fault.counter",
            ),
            (
                r#"{"fault":{"kind":"stuck-outlet","outlet":99}}"#,
                "fault.outlet",
            ),
            (
                r#"{"fault":{"kind":"stuck-outlet","outlet":-1}}"#,
                "fault.outlet",
            ),
            (r#"{"fault":{"kind":"slow-outlet","outlet":3}}"#, "fault.ms"),
            (
                r#"{"fault":{"kind":"slow-outlet","outlet":3,"ms":0}}"#,
                "fault.ms",
            ),
            (r#"{"fault":{"kind":"delay","ms":0}}"#, "fault.ms"),
            (
                r#"{"fault":{"kind":"delay-notification","ms":0}}"#,
                "fault.ms",
            ),
            (
                r#"{"fault":{"kind":"force-error","status":"genErr","oid":"3.1"}}"#,
                "fault.oid",
            ),
            (
                r#"{"fault":{"kind":"corrupt","offset_from_end":18446744073709551615}}"#,
                "fault.offset_from_end",
            ),
            (
                r#"{"fault":{"kind":"corrupt","offset_from_end":-1}}"#,
                "fault.offset_from_end",
            ),
            (r#"{"fault":{"kind":"meteor"}}"#, "fault.kind"),
            (r#"{"fault":{}}"#, "fault.kind"),
            (r#"{"schedule":{"packets":1}}"#, "fault"),
            (
                r#"{"fault":{"kind":"agent-down","for_ms":1000}}"#,
                "fault.for_ms",
            ),
            (
                r#"{"fault":{"kind":"drop-response"},"for_ms":1000}"#,
                "for_ms",
            ),
            (
                r#"{"fault":{"kind":"drop-response"},"schedule":{"packets":0}}"#,
                "schedule.packets",
            ),
            (
                r#"{"fault":{"kind":"drop-response"},"schedule":{"packets":-1}}"#,
                "schedule.packets",
            ),
            (
                r#"{"fault":{"kind":"drop-response"},"schedule":{"after_requests":18446744073709551615}}"#,
                "schedule.after_requests",
            ),
            (
                r#"{"fault":{"kind":"drop-response"},"schedule":{"for_ms":0}}"#,
                "schedule.for_ms",
            ),
            (
                r#"{"fault":{"kind":"drop-response"},"schedule":{"pakets":1}}"#,
                "schedule.pakets",
            ),
        ] {
            let (status, body) = call_json(&app, "POST", "/pdus/a/faults", Some(spec)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{spec}: {body}");
            assert_eq!(body["field"], Value::from(field), "{spec}: {body}");
            let message = body["error"].as_str().unwrap_or_default();
            assert!(message.contains(&format!("`{field}`")), "{spec}: {body}");
        }
        assert_eq!(
            call_json(&app, "GET", "/pdus/a/faults", None).await,
            (StatusCode::OK, serde_json::json!([])),
            "nothing refused was added"
        );
    }

    /// Every fault kind, with or without parameters, refuses a field it does not take; a
    /// schedule field misplaced in the fault is pointed to `schedule`.
    #[tokio::test]
    async fn every_fault_kind_refuses_unknown_fields() {
        let (app, _) = app();
        for kind in crate::fault::FaultKind::examples() {
            let fault = serde_json::to_value(&kind).unwrap();
            for extra in [
                "typo",
                "for_ms",
                "packets",
                "after_requests",
                "offset_from_end",
            ] {
                if fault.get(extra).is_some() {
                    continue; // corrupt takes offset_from_end
                }
                let mut with = fault.clone();
                with[extra] = Value::from(1000);
                let spec = serde_json::json!({ "fault": with }).to_string();
                let (status, body) = call_json(&app, "POST", "/pdus/a/faults", Some(&spec)).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{spec}: {body}");
                let field = format!("fault.{extra}");
                assert_eq!(body["field"], Value::from(field), "{spec}: {body}");
                let message = body["error"].as_str().unwrap_or_default();
                if ["for_ms", "packets", "after_requests"].contains(&extra) {
                    assert!(message.contains("put it in `schedule`"), "{spec}: {body}");
                }
            }
            // As it is, the kind is taken.
            let spec = serde_json::json!({ "fault": fault }).to_string();
            let (status, body) = call_json(&app, "POST", "/pdus/a/faults", Some(&spec)).await;
            assert_eq!(status, StatusCode::CREATED, "{spec}: {body}");
        }
        let (_, listed) = call_json(&app, "GET", "/pdus/a/faults", None).await;
        assert_eq!(
            listed.as_array().map(Vec::len),
            Some(crate::fault::FaultKind::examples().len()),
            "only the well-formed ones were added"
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
        assert!(control.device("a").unwrap().engine().locked_out());
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
        // IF-MIB counters: the largest offset, a negative one (modulo 2^64), a reset.
        let device = control.device("a").unwrap();
        for (body, expected) in [
            (r#"{"if_counter_offset":18446744073709551615}"#, u64::MAX),
            (r#"{"if_counter_offset":-1000}"#, u64::MAX - 1000),
            (r#"{"if_counters_reset":true,"if_counter_offset":7}"#, 7),
        ] {
            let (status, _) = call_json(&app, "POST", "/pdus/a/engine", Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(
                device
                    .interface
                    .offset
                    .load(std::sync::atomic::Ordering::Relaxed),
                expected,
                "{body}"
            );
        }
        let (_, bad) = call_json(
            &app,
            "POST",
            "/pdus/a/engine",
            Some(r#"{"if_counter_offset":18446744073709551616}"#),
        )
        .await;
        assert!(
            bad["error"]
                .as_str()
                .unwrap()
                .contains("18446744073709551615"),
            "the error says what the field takes: {bad}"
        );
    }

    /// Every route's errors have the one shape `{"error": message, "field": name-or-null}` and
    /// the documented status.
    #[tokio::test]
    async fn every_route_answers_errors_in_one_shape() {
        let (app, control) = app();
        let off = Some(r#"{"power":"off"}"#);
        let cases: Vec<(&str, &str, Option<&str>, StatusCode, Option<&str>)> = vec![
            // Unknown PDU, on every route that names one.
            ("GET", "/pdus/z", None, StatusCode::NOT_FOUND, None),
            ("GET", "/pdus/z/outlets", None, StatusCode::NOT_FOUND, None),
            ("PUT", "/pdus/z/outlets/1", off, StatusCode::NOT_FOUND, None),
            ("GET", "/pdus/z/faults", None, StatusCode::NOT_FOUND, None),
            (
                "POST",
                "/pdus/z/faults",
                Some(r#"{"fault":{"kind":"duplicate"}}"#),
                StatusCode::NOT_FOUND,
                None,
            ),
            (
                "DELETE",
                "/pdus/z/faults",
                None,
                StatusCode::NOT_FOUND,
                None,
            ),
            (
                "DELETE",
                "/pdus/z/faults/1",
                None,
                StatusCode::NOT_FOUND,
                None,
            ),
            ("POST", "/pdus/z/restart", None, StatusCode::NOT_FOUND, None),
            (
                "POST",
                "/pdus/z/engine",
                Some(r#"{"skew_secs":1}"#),
                StatusCode::NOT_FOUND,
                None,
            ),
            ("GET", "/pdus/z/requests", None, StatusCode::NOT_FOUND, None),
            (
                "GET",
                "/pdus/z/notifications",
                None,
                StatusCode::NOT_FOUND,
                None,
            ),
            ("GET", "/pdus/z/events", None, StatusCode::NOT_FOUND, None),
            // Unknown outlet and fault IDs.
            ("PUT", "/pdus/a/outlets/9", off, StatusCode::NOT_FOUND, None),
            (
                "DELETE",
                "/pdus/a/faults/77",
                None,
                StatusCode::NOT_FOUND,
                None,
            ),
            // Path numbers and query parameters that are not numbers.
            ("PUT", "/outlets/x", off, StatusCode::BAD_REQUEST, Some("n")),
            (
                "DELETE",
                "/pdus/a/faults/x",
                None,
                StatusCode::BAD_REQUEST,
                Some("id"),
            ),
            (
                "GET",
                "/pdus/a/requests?after=x",
                None,
                StatusCode::BAD_REQUEST,
                Some("after"),
            ),
            // Fields of the right type but a wrong value, named.
            (
                "PUT",
                "/pdus/a/outlets/1",
                Some(r#"{"command":"explode"}"#),
                StatusCode::BAD_REQUEST,
                Some("command"),
            ),
            (
                "POST",
                "/pdus/a/engine",
                Some(r#"{"boots":0}"#),
                StatusCode::BAD_REQUEST,
                Some("boots"),
            ),
            (
                "POST",
                "/pdus/a/engine",
                Some(r#"{"engine_id":"zz"}"#),
                StatusCode::BAD_REQUEST,
                Some("engine_id"),
            ),
            (
                "PUT",
                "/outlets/1",
                Some(r#"{"power":"up"}"#),
                StatusCode::BAD_REQUEST,
                Some("power"),
            ),
            // Not JSON at all.
            (
                "POST",
                "/pdus/a/engine",
                Some("{boots"),
                StatusCode::BAD_REQUEST,
                None,
            ),
            // Unknown routes and methods.
            ("GET", "/nowhere", None, StatusCode::NOT_FOUND, None),
            (
                "GET",
                "/pdus/a/outlets/1/extra",
                None,
                StatusCode::NOT_FOUND,
                None,
            ),
            (
                "DELETE",
                "/pdus",
                None,
                StatusCode::METHOD_NOT_ALLOWED,
                None,
            ),
            (
                "GET",
                "/pdus/a/engine",
                None,
                StatusCode::METHOD_NOT_ALLOWED,
                None,
            ),
            (
                "POST",
                "/pdus/a/outlets/1",
                off,
                StatusCode::METHOD_NOT_ALLOWED,
                None,
            ),
        ];
        for (method, uri, body, status, field) in cases {
            let (got, json) = call_json(&app, method, uri, body).await;
            assert_eq!(got, status, "{method} {uri}: {json}");
            let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["error", "field"], "{method} {uri}: {json}");
            assert!(
                !json["error"].as_str().unwrap().is_empty(),
                "{method} {uri}"
            );
            assert_eq!(
                json["field"],
                field.map_or(Value::Null, Value::from),
                "{method} {uri}: {json}"
            );
        }
        // A body without a JSON content type: 415, on every route that takes a body.
        for (method, uri) in [
            ("PUT", "/pdus/a/outlets/1"),
            ("PUT", "/outlets/1"),
            ("POST", "/pdus/a/faults"),
            ("POST", "/pdus/a/engine"),
            ("POST", "/pdus/a/restart"),
        ] {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::from(r#"{"power":"off"}"#))
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let json: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {uri}: {json}"
            );
            assert!(
                json["error"].as_str().unwrap().contains("application/json"),
                "{json}"
            );
            assert_eq!(json["field"], Value::Null);
        }
        // Nothing of all that changed anything.
        assert_eq!(powers(&control), vec![Power::On; 4]);
        assert_eq!(control.pdu("a").unwrap().engine_boots, Some(1));
        assert!(control.faults("a").unwrap().is_empty());
    }

    /// DELETE /pdus/{pdu}/faults/{id} removes that fault only; the others keep acting.
    #[tokio::test]
    async fn a_fault_is_deleted_by_its_id() {
        let (app, control) = app();
        let mut ids = Vec::new();
        for body in [
            r#"{"fault":{"kind":"duplicate"}}"#,
            r#"{"fault":{"kind":"stuck-outlet","outlet":2}}"#,
        ] {
            let (status, json) = call_json(&app, "POST", "/pdus/a/faults", Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{json}");
            ids.push(json["id"].as_u64().unwrap());
        }
        let uri = format!("/pdus/a/faults/{}", ids[0]);
        assert_eq!(
            call(&app, "DELETE", &uri, None).await,
            (StatusCode::NO_CONTENT, String::new())
        );
        let left: Vec<u64> = control.faults("a").unwrap().iter().map(|f| f.id).collect();
        assert_eq!(left, vec![ids[1]]);
        let (status, json) = call_json(&app, "DELETE", &uri, None).await;
        assert_eq!(
            (status, &json["field"]),
            (StatusCode::NOT_FOUND, &Value::Null)
        );
    }
}
