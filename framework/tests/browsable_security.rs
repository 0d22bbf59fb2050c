//! The browsable API and the request policy: pages cannot be framed, forms are shown only to
//! users the view's permissions let use them, and the page says who is logged in.
//!
//! Run with `cargo test -p restframe --all-features --test browsable_security`.
#![cfg(all(feature = "auth", feature = "browsable"))]
#![cfg(test)]

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

use restframe::auth::{Identity, TokenAuthentication, TokenStore, hash_key};
use restframe::permissions::{IsAdminUser, IsAuthenticatedOrReadOnly, Permission};
use restframe::renderers::{BrowsableApiRenderer, JsonRenderer, Renderer};
use restframe::{ApiError, ApiSettings, ApiView, BoxFuture, Request, Response, Router, api_view};

struct Tokens(HashMap<String, Identity>);

impl TokenStore for Tokens {
    fn user_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
        Box::pin(async move { Ok(self.0.get(key_hash).cloned()) })
    }
}

fn view() -> ApiView {
    api_view(|_req: Request| async { Ok(Response::new(serde_json::json!({"id": 1}))) })
}

fn renderers() -> [Arc<dyn Renderer>; 2] {
    [
        Arc::new(BrowsableApiRenderer::new()) as Arc<dyn Renderer>,
        Arc::new(JsonRenderer::new()) as _,
    ]
}

/// `/things/1/` (GET, PUT, DELETE) under `permission`, with token authentication when `auth`.
fn router(auth: bool, permission: Option<Arc<dyn Permission>>) -> Router {
    let mut settings = ApiSettings::default().renderers(renderers());
    if auth {
        let tokens = Tokens(HashMap::from([
            (hash_key("alice-key"), Identity::new(1, "alice")),
            (hash_key("root-key"), Identity::new(2, "root").staff(true)),
        ]));
        settings = settings.authenticators([Arc::new(TokenAuthentication::new(tokens)) as _]);
    }
    if let Some(p) = permission {
        settings = settings.permissions([p]);
    }
    Router::with_settings(settings)
        .route(
            "/things/1/",
            "thing-detail",
            [
                (Method::GET, view()),
                (Method::PUT, view()),
                (Method::DELETE, view()),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn page(router: Router, token: Option<&str>) -> (StatusCode, http::HeaderMap, String) {
    let mut req = http::Request::get("/things/1/").header("accept", "text/html");
    if let Some(t) = token {
        req = req.header("authorization", format!("Token {t}"));
    }
    let res = router
        .oneshot(req.body(Full::new(Bytes::new())).unwrap_or_default())
        .await
        .unwrap_or_else(|e| match e {});
    let (parts, body) = res.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    (parts.status, parts.headers, body)
}

fn has_forms(html: &str) -> (bool, bool) {
    (
        html.contains(r#"id="raw-form-PUT""#),
        html.contains(r#"id="delete-button""#),
    )
}

#[tokio::test]
async fn html_pages_cannot_be_framed() {
    let (status, headers, _) = page(router(false, None), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'");
    // An error page too.
    let res = router(false, None)
        .oneshot(
            http::Request::get("/nowhere/")
                .header("accept", "text/html")
                .body(Full::new(Bytes::new()))
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    // JSON is not a page.
    let res = router(false, None)
        .oneshot(
            http::Request::get("/things/1/")
                .header("accept", "application/json")
                .body(Full::new(Bytes::new()))
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| match e {});
    assert!(res.headers().get("x-frame-options").is_none());
}

#[tokio::test]
async fn without_auth_every_form_is_shown_and_no_user() {
    let (_, _, html) = page(router(false, None), None).await;
    assert_eq!(has_forms(&html), (true, true));
    assert!(!html.contains(r#"id="current-user""#));
}

#[tokio::test]
async fn anonymous_users_get_no_forms_they_may_not_use() {
    let read_only = || Some(Arc::new(IsAuthenticatedOrReadOnly) as Arc<dyn Permission>);
    let (status, _, html) = page(router(true, read_only()), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(has_forms(&html), (false, false));
    assert!(html.contains("not logged in (anonymous)"), "{html}");

    let (_, _, html) = page(router(true, read_only()), Some("alice-key")).await;
    assert_eq!(has_forms(&html), (true, true));
    assert!(html.contains("logged in as <b>alice</b>"), "{html}");
}

#[tokio::test]
async fn staff_only_views_show_forms_to_staff_only() {
    let staff = || Some(Arc::new(IsAdminUser) as Arc<dyn Permission>);
    // Alice may not even GET: the 403 page has no forms.
    let (status, _, html) = page(router(true, staff()), Some("alice-key")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(has_forms(&html), (false, false));
    assert!(html.contains("logged in as <b>alice</b>"), "{html}");

    let (status, _, html) = page(router(true, staff()), Some("root-key")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(has_forms(&html), (true, true));
}
