//! Any route pattern and request path, through the public router: compiling a pattern never
//! panics (a bad one is a `RouteError`), and a path either matches, with every capture
//! percent-decoded and fitting its own regex, or is a 404.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::renderers::{JsonRenderer, Renderer};
use restframe::{Request, Response, Router, api_view};
use tower::ServiceExt;

/// One run: the input's valid UTF-8 prefix is `pattern\npath`.
pub fn run(data: &[u8]) {
    let input = match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    };
    let Some((pattern, path)) = input.split_once('\n') else {
        return;
    };
    // Patterns are written by developers: a long one only makes for a slow regex compile.
    if pattern.len() > 200 {
        return;
    }
    let names: Arc<OnceLock<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&names);
    let view = api_view(move |req: Request| {
        let names = Arc::clone(&seen);
        async move {
            let mut params = serde_json::Map::new();
            for name in names.get().into_iter().flatten() {
                let value = req.path_param(name).map(str::to_owned);
                params.insert(name.clone(), serde_json::json!(value));
            }
            Ok(Response::new(serde_json::Value::Object(params)))
        }
    })
    .renderers([Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>]);
    let router = match Router::new().route(pattern, "fuzzed", [(Method::GET, view)]) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let table = router.routes();
    let Some(entry) = table.entries().iter().find(|e| e.name() == "fuzzed") else {
        panic!("the route {pattern:?} is not in the table");
    };
    let captures: Vec<(String, String)> = entry
        .captures()
        .map(|(n, r)| (n.to_owned(), r.to_owned()))
        .collect();
    for (name, _) in &captures {
        assert!(
            entry.template().contains(&format!("{{{name}}}")),
            "template {:?} lacks {name}",
            entry.template()
        );
    }
    let _ = names.set(captures.iter().map(|(n, _)| n.clone()).collect());

    let Ok(req) = http::Request::builder()
        .uri(path)
        .header("host", "localhost")
        .header("accept", "application/json")
        .body(Full::new(Bytes::new()))
    else {
        return;
    };
    let sent = req.uri().path().to_owned();
    let (status, body) = runtime().block_on(async {
        let Ok(res) = router.oneshot(req).await;
        let status = res.status();
        let body = match res.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => panic!("the body failed: {e}"),
        };
        (status, body)
    });

    // A capture-free pattern matches itself, with or without its trailing slash.
    let literal = pattern.strip_suffix('/').unwrap_or(pattern);
    if captures.is_empty() && (sent == literal || sent == format!("{literal}/")) {
        assert_eq!(
            status,
            StatusCode::OK,
            "{sent:?} does not match {pattern:?}"
        );
    }
    match status {
        StatusCode::OK => {
            if captures.is_empty() {
                assert!(sent.starts_with(literal), "{sent:?} matched {pattern:?}");
            }
            let params: serde_json::Map<String, serde_json::Value> =
                match serde_json::from_slice(&body) {
                    Ok(p) => p,
                    Err(e) => panic!("the view's answer {body:?}: {e}"),
                };
            for (name, own) in &captures {
                let Some(value) = params.get(name).and_then(|v| v.as_str()) else {
                    panic!("{sent:?} matched {pattern:?} without a {name} capture");
                };
                let re = match regex::Regex::new(own) {
                    Ok(re) => re,
                    Err(e) => panic!("capture {name} has a regex that does not compile: {e}"),
                };
                assert!(re.is_match(value), "{name} = {value:?} does not fit {own}");
            }
        }
        StatusCode::NOT_FOUND => {}
        other => panic!("{other} for {sent:?} on {pattern:?}: {body:?}"),
    }
}

/// One runtime per process: building one per run would dwarf the routing.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    })
}
