//! Route reversing (DRF's `reverse(viewname, args, request=request)`): absolute URLs from the
//! request, under a mount prefix or none, arguments percent-encoded as path segments and checked
//! against their captures, clear errors for unknown names and wrong arguments.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::router::ReverseError;
use restframe::{ApiError, ApiView, Request, Response, Router, api_view};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Reverses what the query asks — `?name=…&arg=…&arg=…` (positional) or `&kw=k:v` (by name) —
/// and answers the URL and the path, or the error's status and logged reason.
fn reverser() -> ApiView {
    api_view(|req: Request| async move {
        let query = req.query();
        let name = query.get("name").unwrap_or_default().into_owned();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_str().as_bytes())
            .into_owned()
            .collect();
        let args: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == "arg")
            .map(|(_, v)| v.as_str())
            .collect();
        let kwargs: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(k, _)| k == "kw")
            .filter_map(|(_, v)| v.split_once(':'))
            .collect();
        let outcome = |r: Result<String, ApiError>| match r {
            Ok(url) => Value::String(url),
            Err(e) => json!({"status": e.status().as_u16(), "log": e.internal_detail()}),
        };
        let url = if kwargs.is_empty() {
            req.reverse(&name, &args)
        } else {
            req.reverse_kwargs(&name, &kwargs)
        };
        let (url, path) = (outcome(url), outcome(req.reverse_path(&name, &args)));
        // A `Reverser` gives what `reverse` and `reverse_path` give, errors included: every
        // test of this file checks it.
        if kwargs.is_empty() {
            let batch = outcome(req.reverser(&name).and_then(|r| r.url(&args)));
            let batch_path = outcome(req.path_reverser(&name).and_then(|r| r.url(&args)));
            if (&batch, &batch_path) != (&url, &path) {
                return Err(ApiError::internal(format!(
                    "the reverser disagrees: {batch} {batch_path}, not {url} {path}"
                )));
            }
        }
        Ok(Response::new(json!({"url": url, "path": path})))
    })
}

/// Echoes the captures it was reached with.
fn echo() -> ApiView {
    api_view(|req: Request| async move {
        let params = req
            .extensions()
            .get::<restframe::extensions::PathParams>()
            .map(|p| p.0.clone())
            .unwrap_or_default();
        Ok(Response::new(json!(params)))
    })
}

fn router() -> Router {
    Router::new()
        .route("/reverse/", "reverse", [(Method::GET, reverser())])
        .and_then(|r| r.route("/tracks/", "track-list", [(Method::GET, echo())]))
        .and_then(|r| {
            r.route(
                "/tracks/{id:[0-9]+}/",
                "track-detail",
                [(Method::GET, echo())],
            )
        })
        .and_then(|r| r.route("/files/{name}/", "file-detail", [(Method::GET, echo())]))
        .and_then(|r| r.route("/paths/{path:.+}/", "path-detail", [(Method::GET, echo())]))
        .and_then(|r| {
            r.route(
                "/albums/{album}/tracks/{id:[0-9]+}/",
                "album-track",
                [(Method::GET, echo())],
            )
        })
        .and_then(|r| r.route("/static/logo.png", "logo", [(Method::GET, echo())]))
        .unwrap()
}

async fn get<S>(svc: S, uri: &str) -> (StatusCode, Value)
where
    S: tower::Service<http::Request<Full<Bytes>>, Response = http::Response<restframe::Body>>,
    S::Error: std::fmt::Debug,
{
    let req = http::Request::get(uri)
        .header("host", "example.org")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// `/reverse/` asked to reverse `name` with `args`.
fn ask(name: &str, args: &[&str]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("name", name);
    for arg in args {
        query.append_pair("arg", arg);
    }
    format!("/reverse/?{}", query.finish())
}

#[tokio::test]
async fn without_a_mount_prefix_urls_are_absolute_from_the_request() {
    let (status, body) = get(router(), &ask("track-detail", &["4"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"url": "http://example.org/tracks/4/", "path": "/tracks/4/"})
    );
    let (_, body) = get(router(), &ask("track-list", &[])).await;
    assert_eq!(body["url"], "http://example.org/tracks/");
    // A pattern without a trailing slash reverses without one.
    let (_, body) = get(router(), &ask("logo", &[])).await;
    assert_eq!(body["path"], "/static/logo.png");
}

#[tokio::test]
async fn under_a_mount_prefix_urls_keep_it() {
    let app = axum::Router::new().nest_service("/api", router().mount_prefix("/api"));
    let req = http::Request::get(format!(
        "/api{}",
        ask("album-track", &["kind-of-blue", "4"])
    ))
    .header("host", "example.org:8000")
    .body(axum::body::Body::empty())
    .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        json!({
            "url": "http://example.org:8000/api/albums/kind-of-blue/tracks/4/",
            "path": "/api/albums/kind-of-blue/tracks/4/",
        })
    );
    // The URL reaches its route through the app.
    let req = http::Request::get("/api/albums/kind-of-blue/tracks/4/")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"[["album","kind-of-blue"],["id","4"]]"#);
    // And the table reverses the same without a request.
    let routes = router().mount_prefix("/api/").routes();
    assert_eq!(
        routes.reverse("track-list", &[]).as_deref(),
        Ok("/api/tracks/")
    );
}

#[tokio::test]
async fn arguments_are_encoded_as_segments_and_reach_the_route_as_given() {
    let cases = [
        ("file-detail", "so what?", "/files/so%20what%3F/"),
        (
            "file-detail",
            "Café #1 100%",
            "/files/Caf%C3%A9%20%231%20100%25/",
        ),
        ("file-detail", "a+b=c&d", "/files/a+b=c&d/"),
        ("file-detail", "<script>", "/files/%3Cscript%3E/"),
        ("path-detail", "a/b/../c", "/paths/a%2Fb%2F..%2Fc/"),
        ("path-detail", "..", "/paths/%2E%2E/"),
    ];
    for (name, arg, path) in cases {
        let (status, body) = get(router(), &ask(name, &[arg])).await;
        assert_eq!(status, StatusCode::OK, "{arg}");
        assert_eq!(body["path"], path, "{arg}");
        assert_eq!(body["url"], format!("http://example.org{path}"), "{arg}");
        // Requested, the path gives the argument back.
        let (status, params) = get(router(), path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let capture = if name == "file-detail" {
            "name"
        } else {
            "path"
        };
        assert_eq!(params, json!([[capture, arg]]), "{path}");
    }
}

#[tokio::test]
async fn a_request_with_a_format_suffix_reverses_to_the_plain_route() {
    let (status, body) = get(router(), "/reverse.json?name=track-detail&arg=4").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["url"], "http://example.org/tracks/4/");
}

#[tokio::test]
async fn unknown_names_and_wrong_arguments_are_clear_500s() {
    let cases: [(String, &str); 6] = [
        (
            ask("trak-detail", &["4"]),
            "reverse: no route is named `trak-detail`",
        ),
        (
            ask("track-detail", &[]),
            "reverse(`track-detail`): the route takes 1 argument (`id`), 0 given",
        ),
        (
            ask("track-list", &["4"]),
            "reverse(`track-list`): the route takes 0 arguments, 1 given",
        ),
        (
            ask("album-track", &["x"]),
            "reverse(`album-track`): the route takes 2 arguments (`album`, `id`), 1 given",
        ),
        (
            ask("track-detail", &["four"]),
            "reverse(`track-detail`): \"four\" does not fit the capture `id` (^(?:[0-9]+)$)",
        ),
        (
            ask("file-detail", &["a/b"]),
            "reverse(`file-detail`): \"a/b\" does not fit the capture `name` (^(?:[^/.]+)$)",
        ),
    ];
    for (uri, log) in cases {
        let (_, body) = get(router(), &uri).await;
        assert_eq!(body["url"], json!({"status": 500, "log": log}), "{uri}");
        assert_eq!(body["path"], json!({"status": 500, "log": log}), "{uri}");
    }
    // By name: each capture once, no other.
    for kwargs in [
        "kw=id:4",
        "kw=id:4&kw=album:a&kw=extra:1",
        "kw=id:4&kw=id:5",
    ] {
        let (_, body) = get(router(), &format!("/reverse/?name=album-track&{kwargs}")).await;
        assert_eq!(body["url"]["status"], 500, "{kwargs}");
        let log = body["url"]["log"].as_str().unwrap_or_default();
        assert!(
            log.starts_with(
                "reverse(`album-track`): the route takes the arguments `album`, `id`, given `id`"
            ),
            "{log}"
        );
    }
    let (_, body) = get(
        router(),
        "/reverse/?name=album-track&kw=id:4&kw=album:a%20b",
    )
    .await;
    assert_eq!(body["url"], "http://example.org/albums/a%20b/tracks/4/");
}

#[tokio::test]
async fn a_failed_reverse_hides_its_reason_from_the_client() {
    let view =
        api_view(|req: Request| async move { Ok(Response::new(req.reverse("nowhere", &[])?)) });
    let router = Router::new()
        .route("/", "root", [(Method::GET, view)])
        .unwrap();
    let (status, body) = get(router, "/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"detail": "A server error occurred."}));
}

#[tokio::test]
async fn a_view_served_without_a_router_has_no_table_to_reverse_from() {
    let (status, body) = get(reverser(), &ask("track-list", &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["path"]["log"],
        "reverse: the request did not come through a Router, so no route table is at hand"
    );
}

#[test]
fn the_table_reverses_with_typed_errors() {
    let routes = router().routes();
    assert_eq!(
        routes.reverse("album-track", &["a"]),
        Err(ReverseError::WrongArguments {
            name: "album-track".into(),
            expected: vec!["album".into(), "id".into()],
            given: 1,
        })
    );
    assert_eq!(
        routes.reverse_kwargs("track-detail", &[("pk", "4")]),
        Err(ReverseError::WrongKeywords {
            name: "track-detail".into(),
            expected: vec!["id".into()],
            given: vec!["pk".into()],
        })
    );
    assert!(matches!(
        routes.reverse("track-detail", &["4.json"]),
        Err(ReverseError::NoMatch { ref capture, .. }) if capture == "id"
    ));
    assert_eq!(
        routes.reverse("nowhere", &[]),
        Err(ReverseError::UnknownName("nowhere".into()))
    );
}
