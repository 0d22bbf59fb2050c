//! JSONP serves anonymous requests only: a request with credentials (an `Authorization` header,
//! a session cookie) or that the view's authenticators authenticate gets a 403, in JSON.
//!
//! Run with `cargo test -p restframe --all-features --test jsonp`.
#![cfg(all(feature = "auth", feature = "jsonp"))]
#![cfg(test)]

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

use restframe::auth::{Authenticated, Authenticator, Credentials, Identity};
use restframe::renderers::{JsonRenderer, JsonpRenderer, Renderer};
use restframe::{ApiError, ApiView, BoxFuture, Request, Response, api_view};

/// Authenticates `X-Api-Key: secret` (a header JSONP's pre-check does not know).
struct ApiKey;

impl Authenticator for ApiKey {
    fn authenticate<'a>(
        &'a self,
        head: &'a Parts,
    ) -> BoxFuture<'a, Result<Option<Authenticated>, ApiError>> {
        Box::pin(async move {
            Ok(head
                .headers
                .get("x-api-key")
                .filter(|k| k.as_bytes() == b"secret")
                .map(|_| (Identity::new(1, "robot"), Credentials::new("api-key"))))
        })
    }
}

fn view() -> ApiView {
    api_view(|_req: Request| async { Ok(Response::new(serde_json::json!({"public": true}))) })
        .renderers([
            Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
            Arc::new(JsonpRenderer::new()) as _,
        ])
        .authenticators([Arc::new(ApiKey) as _])
}

async fn get(headers: &[(&str, &str)]) -> (StatusCode, String, String) {
    let mut req = http::Request::builder()
        .method(Method::GET)
        .uri("/things/?format=jsonp&callback=cb");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = view()
        .oneshot(req.body(Full::new(Bytes::new())).unwrap_or_default())
        .await
        .unwrap_or_else(|e| match e {});
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = res
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    (status, ct, body)
}

#[tokio::test]
async fn anonymous_requests_get_jsonp() {
    let (status, ct, body) = get(&[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/javascript"), "{ct}");
    assert_eq!(body, r#"cb({"public":true});"#);
    // A cookie that is not the session's (the CSRF cookie) is no credential.
    let (status, _, _) = get(&[("cookie", "csrftoken=abc")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn credentials_are_refused_before_the_handler() {
    for headers in [
        &[("authorization", "Token whatever")][..],
        &[("cookie", "theme=dark; sessionid=abc")][..],
    ] {
        let (status, ct, body) = get(headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(ct, "application/json", "{headers:?}");
        assert!(body.contains("anonymous requests only"), "{body}");
        assert!(!body.contains("cb("), "{body}");
    }
}

#[tokio::test]
async fn a_user_the_authenticators_find_gets_no_jsonp() {
    let (status, ct, body) = get(&[("x-api-key", "secret")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ct, "application/json");
    assert!(body.contains("anonymous requests only"), "{body}");
    // A key the authenticator does not accept leaves the request anonymous.
    let (status, _, _) = get(&[("x-api-key", "wrong")]).await;
    assert_eq!(status, StatusCode::OK);
}
