//! The request policy in the OpenAPI document: security schemes from the authenticators in use,
//! `security` per operation from its permissions, and 401, 403 and 429 where they can occur.
//!
//! Run with `cargo test -p restframe --all-features --test openapi_security`.
#![cfg(all(feature = "auth", feature = "openapi"))]
#![cfg(test)]

use std::sync::Arc;

use http::Method;
use serde_json::{Value, json};

use restframe::auth::{
    BasicAuthentication, Identity, Session, SessionAuthentication, SessionStore,
    TokenAuthentication, TokenStore, UserStore,
};
use restframe::openapi::ApiInfo;
use restframe::permissions::{
    AllowAny, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly, Not, PermissionExt,
};
use restframe::throttling::{AnonRateThrottle, MemoryThrottleStore};
use restframe::{ApiError, ApiSettings, ApiView, BoxFuture, Request, Response, Router, api_view};

struct NoTokens;

impl TokenStore for NoTokens {
    fn user_for_key_hash<'a>(
        &'a self,
        _key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
        Box::pin(async { Ok(None) })
    }
}

struct NoUsers;

impl UserStore for NoUsers {
    fn verify_password<'a>(
        &'a self,
        _username: &'a str,
        _password: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
        Box::pin(async { Ok(None) })
    }
}

struct NoSessions;

impl SessionStore for NoSessions {
    fn session_for_key_hash<'a>(
        &'a self,
        _key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Session>, ApiError>> {
        Box::pin(async { Ok(None) })
    }
}

fn view() -> ApiView {
    api_view(|_req: Request| async { Ok(Response::new("ok")) })
}

fn document(router: &Router) -> Value {
    serde_json::to_value(router.openapi(&ApiInfo::new("Test", "1"))).unwrap_or(Value::Null)
}

fn op<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    &doc["paths"][path][method]
}

fn statuses(op: &Value) -> Vec<String> {
    op["responses"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default()
}

/// Token auth for the router; the routes choose their permissions.
fn router() -> Router {
    let settings = ApiSettings::default()
        .authenticators([
            Arc::new(TokenAuthentication::new(NoTokens)) as _,
            Arc::new(SessionAuthentication::new(NoSessions)) as _,
        ])
        .permissions([Arc::new(IsAuthenticatedOrReadOnly) as _]);
    let open = |v: ApiView| v.permissions([Arc::new(AllowAny) as _]);
    Router::with_settings(settings)
        .route(
            "/api/things/",
            "thing-list",
            [(Method::GET, view()), (Method::POST, view())],
        )
        .and_then(|r| {
            r.route(
                "/api/open/",
                "open",
                [(Method::GET, open(view())), (Method::POST, open(view()))],
            )
        })
        .and_then(|r| {
            r.route(
                "/api/staff/",
                "staff",
                [(
                    Method::GET,
                    view().permissions([Arc::new(IsAuthenticated.and(IsAdminUser)) as _]),
                )],
            )
        })
        .and_then(|r| {
            r.route(
                "/api/anonymous-only/",
                "anonymous-only",
                [(
                    Method::POST,
                    view().permissions([Arc::new(Not(IsAuthenticated)) as _]),
                )],
            )
        })
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn authenticators_in_use_are_security_schemes() {
    let doc = document(&router());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["tokenAuth"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "description": "A token: `Authorization: Token <key>` (DRF's keyword) or `Authorization: Bearer <key>`."
        })
    );
    assert_eq!(schemes["cookieAuth"]["type"], "apiKey");
    assert_eq!(schemes["cookieAuth"]["in"], "cookie");
    assert_eq!(schemes["cookieAuth"]["name"], "sessionid");
    assert_eq!(schemes.as_object().map(|s| s.len()), Some(2));
}

#[test]
fn basic_auth_is_http_basic() {
    let router = Router::new()
        .route(
            "/api/x/",
            "x",
            [(
                Method::GET,
                view()
                    .authenticators([Arc::new(BasicAuthentication::new(NoUsers)) as _])
                    .permissions([Arc::new(IsAuthenticated) as _]),
            )],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = document(&router);
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"],
        json!({"type": "http", "scheme": "basic"})
    );
    assert_eq!(
        op(&doc, "/api/x/", "get")["security"],
        json!([{"basicAuth": []}])
    );
}

#[test]
fn read_only_permission_secures_unsafe_methods_only() {
    let doc = document(&router());
    let get = op(&doc, "/api/things/", "get");
    let post = op(&doc, "/api/things/", "post");
    assert_eq!(get.get("security"), None);
    assert_eq!(
        post["security"],
        json!([{"tokenAuth": []}, {"cookieAuth": []}])
    );
    // Bad credentials can be a 401 on either (Token has a challenge); a refusal a 403.
    for o in [get, post] {
        let s = statuses(o);
        assert!(s.contains(&"401".to_owned()), "{s:?}");
        assert!(s.contains(&"403".to_owned()), "{s:?}");
        assert_eq!(
            o["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
    }
}

#[test]
fn allow_any_has_no_security_and_no_403() {
    let doc = document(&router());
    for method in ["get", "post"] {
        let o = op(&doc, "/api/open/", method);
        assert_eq!(o.get("security"), None);
        let s = statuses(o);
        assert!(!s.contains(&"403".to_owned()), "{s:?}");
        // The authenticators still run when the handler asks who the user is.
        assert!(s.contains(&"401".to_owned()), "{s:?}");
    }
}

#[test]
fn composed_permissions_decide_security() {
    let doc = document(&router());
    assert_eq!(
        op(&doc, "/api/staff/", "get")["security"],
        json!([{"tokenAuth": []}, {"cookieAuth": []}])
    );
    assert_eq!(
        op(&doc, "/api/anonymous-only/", "post").get("security"),
        None
    );
}

#[test]
fn throttled_operations_document_429_with_retry_after() {
    let throttle = AnonRateThrottle::new(
        "10/min".parse().unwrap_or_else(|e| panic!("{e}")),
        Arc::new(MemoryThrottleStore::new()),
    );
    let router = Router::new()
        .route(
            "/api/x/",
            "x",
            [
                (Method::GET, view().throttles([Arc::new(throttle) as _])),
                (Method::POST, view()),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = document(&router);
    let get = op(&doc, "/api/x/", "get");
    assert_eq!(
        get["responses"]["429"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
    assert!(get["responses"]["429"]["headers"]["Retry-After"].is_object());
    // No authenticators, no permissions: nothing of the policy but the 429.
    let s = statuses(get);
    assert!(!s.contains(&"401".to_owned()) && !s.contains(&"403".to_owned()));
    assert_eq!(doc["components"].get("securitySchemes"), None);
    assert!(!statuses(op(&doc, "/api/x/", "post")).contains(&"429".to_owned()));
}

#[test]
fn no_policy_changes_nothing() {
    let router = Router::new()
        .route("/api/x/", "x", [(Method::GET, view())])
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = document(&router);
    assert_eq!(
        statuses(op(&doc, "/api/x/", "get")),
        ["200", "400", "404", "406"]
    );
    assert_eq!(op(&doc, "/api/x/", "get").get("security"), None);
    assert_eq!(doc["components"].get("securitySchemes"), None);
}
