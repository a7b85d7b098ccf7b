//! The control API target: fuzzed JSON bodies through the real axum router, in-process.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use pdusim::clock::ManualClock;
use pdusim::config::FileConfig;
use pdusim::control::Control;
use pdusim::device::{Device, DeviceSpec};
use tower::ServiceExt;

/// One PX2 with four outlets and no state folder: nothing is written.
const CONFIG: &str = r#"
[[pdu]]
name = "a"
vendor = "raritan-px2"
listen = ["127.0.0.1:1161"]
outlets = 4
engine_id = "8000000001020304"
[[pdu.community]]
name = "c"
"#;

/// The routes that take a body: method and path, `{n}` replaced by an outlet number.
const ROUTES: [(&str, &str); 5] = [
    ("PUT", "/pdus/a/outlets/{n}"),
    ("POST", "/pdus/a/faults"),
    ("POST", "/pdus/a/restart"),
    ("POST", "/pdus/a/engine"),
    ("PUT", "/outlets/{n}"),
];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    router: Router,
    control: Control,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match build() {
        Ok(f) => f,
        Err(e) => panic!("the control API fuzz fixture cannot be built: {e}"),
    })
}

fn build() -> Result<Fixture, String> {
    let config = FileConfig::parse(CONFIG, "fuzz").map_err(|e| e.to_string())?;
    let (spec, _) = config
        .validate("fuzz")
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("no PDU")?;
    let spec = DeviceSpec {
        state_dir: None,
        ..spec
    };
    let device =
        Device::start(spec, Arc::new(ManualClock::default())).map_err(|e| e.to_string())?;
    let control = Control::new(vec![Arc::new(device)]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Fixture {
        runtime,
        router: pdusim::control_http::router(control.clone()),
        control,
    })
}

/// A request body for a control API route: the first byte picks the route
/// ([`ROUTES`]), the second the outlet number (0 to 5, so 0 and 5 are out of range), the rest
/// is the body, sent as `application/json`.
///
/// Invariants: the router never panics and never answers 5xx (a bad body is the client's
/// error); every answer but 204 is a JSON document, and every 4xx one is an object with a
/// string `error`. The PDU's faults are cleared after each input so state stays bounded.
pub fn control_body(data: &[u8]) {
    let (Some(&route), Some(&outlet)) = (data.first(), data.get(1)) else {
        return;
    };
    let body = data[2..].to_vec();
    let (method, path) = ROUTES[usize::from(route) % ROUTES.len()];
    let uri = path.replace("{n}", &(outlet % 6).to_string());
    let f = fixture();
    let request = match Request::builder()
        .method(method)
        .uri(&uri)
        .header("content-type", "application/json")
        .header("host", "127.0.0.1")
        .body(Body::from(body))
    {
        Ok(r) => r,
        Err(e) => panic!("the harness built a bad request: {e}"),
    };
    let (status, bytes) = f.runtime.block_on(async {
        let response = match f.router.clone().oneshot(request).await {
            Ok(r) => r,
            Err(e) => match e {},
        };
        let status = response.status();
        match axum::body::to_bytes(response.into_body(), 1 << 20).await {
            Ok(b) => (status, b),
            Err(e) => panic!("{method} {uri}: the answer's body cannot be read: {e}"),
        }
    });
    let _ = f.control.clear_faults("a");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !status.is_server_error(),
        "{method} {uri}: a request body was answered {status}: {text}"
    );
    if status == StatusCode::NO_CONTENT {
        return;
    }
    let json: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => panic!("{method} {uri}: answer {status} is not JSON ({e}): {text}"),
    };
    if status.is_client_error() {
        assert!(
            json.get("error").is_some_and(serde_json::Value::is_string),
            "{method} {uri}: error {status} has no string \"error\": {text}"
        );
    }
}
