//! tower-http's `CorsLayer` around the router, as `docs/routers.md` stacks it: a real preflight
//! (OPTIONS with `Origin` and `Access-Control-Request-Method`) gets CORS's answer, a plain
//! OPTIONS still gets the router's metadata (with CORS's headers), other requests reach the
//! router with CORS's headers.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_METHOD,
};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::{Request, Response, Router, api_view};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::CorsLayer;

/// Marks a plain OPTIONS while `CorsLayer` looks at it as a GET.
#[derive(Clone, Copy)]
struct PlainOptions;

/// `CorsLayer` answers every OPTIONS itself; show it a plain one (no
/// `Access-Control-Request-Method`: not a preflight) as a GET, so that it passes it on.
fn hide_plain_options<B>(mut req: http::Request<B>) -> http::Request<B> {
    if req.method() == Method::OPTIONS && !req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
    {
        *req.method_mut() = Method::GET;
        req.extensions_mut().insert(PlainOptions);
    }
    req
}

/// Makes the plain OPTIONS an OPTIONS again, for the router.
fn restore_plain_options<B>(mut req: http::Request<B>) -> http::Request<B> {
    if req.extensions_mut().remove::<PlainOptions>().is_some() {
        *req.method_mut() = Method::OPTIONS;
    }
    req
}

fn router() -> Router {
    let hello = api_view(|_req: Request| async { Ok(Response::new("hello")) }).name("Hello");
    Router::new()
        .route("/api/hello/", "hello", [(Method::GET, hello)])
        .unwrap()
}

async fn send<S, B>(svc: S, req: http::Request<Full<Bytes>>) -> (StatusCode, http::HeaderMap, Bytes)
where
    S: tower::Service<http::Request<Full<Bytes>>, Response = http::Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let res = svc.oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

fn options(preflight: bool) -> http::Request<Full<Bytes>> {
    let mut b = http::Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/hello/")
        .header("host", "api.example")
        .header("origin", "https://app.example");
    if preflight {
        b = b.header(ACCESS_CONTROL_REQUEST_METHOD, "GET");
    }
    b.body(Full::new(Bytes::new())).unwrap()
}

#[tokio::test]
async fn bare_cors_layer_swallows_the_routers_options() {
    // Why the documented stack has the two `map_request` steps: tower-http answers every
    // OPTIONS as a preflight.
    let service = ServiceBuilder::new()
        .layer(CorsLayer::permissive())
        .service(router());
    let (status, _, body) = send(service, options(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
}

#[tokio::test]
async fn preflight_gets_cors_and_plain_options_gets_the_metadata() {
    let service = ServiceBuilder::new()
        .map_request(hide_plain_options)
        .layer(CorsLayer::permissive())
        .map_request(restore_plain_options)
        .service(router());

    // A real preflight: CORS's answer, empty, never the router's.
    let (status, headers, body) = send(service.clone(), options(true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_METHODS], "*");
    assert!(body.is_empty());

    // A plain OPTIONS (as a browser sends it after its preflight): the router's metadata,
    // readable cross-origin.
    let (status, headers, body) = send(service.clone(), options(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(headers.get(ACCESS_CONTROL_ALLOW_METHODS).is_none());
    let meta: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(meta["name"], "Hello");
    assert!(headers["allow"].to_str().unwrap().contains("GET"));

    // Any other request: the router's answer with CORS's headers.
    let get = http::Request::get("/api/hello/")
        .header("host", "api.example")
        .header("origin", "https://app.example")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, headers, body) = send(service, get).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(&body[..], br#""hello""#);
}
