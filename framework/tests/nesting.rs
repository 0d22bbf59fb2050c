//! The router inside other tower stacks: nested in an axum app under a prefix, and wrapped in
//! tower-http layers.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::{Request, Response, Router, api_view};
use tower::{ServiceBuilder, ServiceExt};

fn tracks() -> Router {
    let list = api_view(|req: Request| async move {
        Ok(Response::new(serde_json::json!({
            "self": format!("{}{}", req.base_url()?, req.uri().path()),
        })))
    })
    .name("Tracks");
    Router::new()
        .route("/tracks/", "tracks", [(Method::GET, list)])
        .and_then(|r| r.api_root("/", "root"))
        .unwrap()
}

async fn get<S>(svc: S, uri: &str, host: &str) -> (StatusCode, http::HeaderMap, Bytes)
where
    S: tower::Service<http::Request<axum::body::Body>, Response = http::Response<axum::body::Body>>,
    S::Error: std::fmt::Debug,
{
    let req = http::Request::builder()
        .uri(uri)
        .header("host", host)
        .header("accept-encoding", "gzip")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test]
async fn nested_in_axum_under_a_prefix_links_keep_the_prefix() {
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .nest_service("/api", tracks().mount_prefix("/api"));

    let (status, _, body) = get(app.clone(), "/api/tracks/", "h").await;
    assert_eq!(status, 200);
    assert_eq!(&body[..], br#"{"self":"http://h/api/tracks/"}"#);
    let (_, _, body) = get(app.clone(), "/api/", "h").await;
    assert_eq!(&body[..], br#"{"tracks":"http://h/api/tracks/"}"#);
    let (status, _, _) = get(app.clone(), "/api/tracks.json", "h").await;
    assert_eq!(status, 200);
    let (_, _, body) = get(app, "/health", "h").await;
    assert_eq!(&body[..], b"ok");
}

#[tokio::test]
async fn allowed_hosts_refuse_other_hosts_in_the_negotiated_format() {
    let router = tracks().allowed_hosts(["api.example.com", ".music.test"]);
    let svc = axum::Router::new().fallback_service(router);
    let (status, _, _) = get(svc.clone(), "/tracks/", "api.example.com:8000").await;
    assert_eq!(status, 200);
    let (status, _, body) = get(svc.clone(), "/tracks/", "evil.example.com").await;
    assert_eq!(status, 400);
    assert_eq!(&body[..], br#"{"detail":"Invalid Host header."}"#);
    let (status, _, _) = get(svc, "/tracks/", "www.music.test").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn tower_http_layers_wrap_the_router() {
    use tower_http::compression::CompressionLayer;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;
    use tower_http::trace::TraceLayer;

    let big = api_view(|_req: Request| async { Ok(Response::new("la ".repeat(2000))) });
    let echo = api_view(|mut req: Request| async move { Ok(Response::new(req.value().await?)) });
    let router = Router::new()
        .route("/big/", "big", [(Method::GET, big)])
        .and_then(|r| r.route("/echo/", "echo", [(Method::POST, echo)]))
        .unwrap();
    let svc = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(1024))
        // Innermost: its 503 needs a `Default` body, which restframe's has and the limit
        // layer's wrapper has not.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ))
        .service(router);

    let req = http::Request::builder()
        .uri("/big/")
        .header("host", "h")
        .header("accept-encoding", "gzip")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let zipped = res.into_body().collect().await.unwrap().to_bytes();
    assert!(zipped.len() < 1000, "compressed: {} bytes", zipped.len());

    let req = http::Request::builder()
        .method("POST")
        .uri("/echo/")
        .header("host", "h")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(format!("\"{}\"", "x".repeat(4096)))))
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    // The limit layer's error surfaces through the body; restframe renders it as a 413.
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
