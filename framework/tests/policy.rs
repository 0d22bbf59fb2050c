//! The request policy through a router: authentication, permissions and throttles before the
//! handler, 401 against 403, CSRF, 429, and settings inherited by every view.
//!
//! Run with `cargo test -p restframe --features full --test policy`.
#![cfg(feature = "auth")]
// Lets clippy see the helpers as test code (`allow-unwrap-in-tests`), not only `#[test]` fns.
#![cfg(test)]

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::ServiceExt;

use restframe::auth::{
    Identity, Session, SessionAuthentication, SessionStore, TokenAuthentication, TokenStore,
    hash_key,
};
use restframe::permissions::{AllowAny, IsAdminUser, IsAuthenticated, Not, Permission};
use restframe::renderers::{JsonRenderer, Renderer, YamlRenderer};
use restframe::throttling::{
    AnonRateThrottle, MemoryThrottleStore, Rate, ScopedRateThrottle, ThrottleStore,
    ThrottleStoreError, UserRateThrottle,
};
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

fn token_auth() -> Arc<TokenAuthentication> {
    Arc::new(TokenAuthentication::new(Tokens(HashMap::from([
        (hash_key("alice-key"), Identity::new(1, "alice")),
        (hash_key("staff-key"), Identity::new(2, "root").staff(true)),
    ]))))
}

struct Sessions;

impl SessionStore for Sessions {
    fn session_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Session>, ApiError>> {
        Box::pin(async move {
            Ok((key_hash == hash_key("sess-1")).then(|| Session {
                identity: Identity::new(1, "alice"),
                csrf_token: "csrf-1".into(),
            }))
        })
    }
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Thing {
    name: String,
}

/// POST: reads a `Thing` (400 without a name); answers the user's name.
fn create() -> ApiView {
    api_view(|mut req: Request| async move {
        let thing: Thing = req.data().await?;
        let user = req.user().await?.username().map(str::to_owned);
        Ok(Response::new(json!({"name": thing.name, "user": user}))
            .with_status(StatusCode::CREATED))
    })
}

/// DELETE: there is never such a thing.
fn destroy() -> ApiView {
    api_view(|_req: Request| async move { Err(ApiError::not_found("No such thing.")) })
}

/// GET: who is asking.
fn whoami() -> ApiView {
    api_view(|req: Request| async move {
        Ok(Response::new(
            json!({"user": req.current_user().username()}),
        ))
    })
}

fn protected(settings: ApiSettings) -> Router {
    Router::with_settings(settings)
        .route(
            "/things/",
            "thing-list",
            [(Method::GET, whoami()), (Method::POST, create())],
        )
        .and_then(|r| {
            r.route(
                "/things/{id}/",
                "thing-detail",
                [(Method::DELETE, destroy())],
            )
        })
        .unwrap_or_else(|e| panic!("routes: {e}"))
}

fn token_router() -> Router {
    protected(
        ApiSettings::default()
            .renderers([
                Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>,
                Arc::new(YamlRenderer::new()),
            ])
            .authenticators([token_auth() as _])
            .permissions([Arc::new(IsAuthenticated) as _]),
    )
}

async fn send(
    router: &Router,
    req: http::Request<Full<Bytes>>,
) -> (StatusCode, http::HeaderMap, Bytes) {
    let res = router
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let (parts, body) = res.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (parts.status, parts.headers, bytes)
}

fn request(
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<Full<Bytes>> {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_owned())))
        .unwrap_or_else(|e| panic!("request: {e}"))
}

fn detail(body: &[u8]) -> Value {
    serde_json::from_slice::<Value>(body).map_or(Value::Null, |v| v["detail"].clone())
}

#[tokio::test]
async fn anonymous_post_with_a_bad_body_is_401_not_400() {
    let router = token_router();
    let json_type = [("content-type", "application/json")];
    let (status, headers, body) =
        send(&router, request(Method::POST, "/things/", &json_type, "{}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Token");
    assert_eq!(
        detail(&body),
        "Authentication credentials were not provided."
    );

    let with_token = [
        ("content-type", "application/json"),
        ("authorization", "Token alice-key"),
    ];
    let (status, _, _) = send(
        &router,
        request(Method::POST, "/things/", &with_token, "{}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, body) = send(
        &router,
        request(Method::POST, "/things/", &with_token, r#"{"name":"x"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).ok(),
        Some(json!({"name": "x", "user": "alice"}))
    );
}

#[tokio::test]
async fn anonymous_delete_of_a_missing_id_is_401_not_404() {
    let router = token_router();
    let (status, headers, _) = send(&router, request(Method::DELETE, "/things/99/", &[], "")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Token");
    let (status, _, _) = send(
        &router,
        request(
            Method::DELETE,
            "/things/99/",
            &[("authorization", "Bearer alice-key")],
            "",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_invalid_token_is_401_invalid_token() {
    let router = token_router();
    let (status, headers, body) = send(
        &router,
        request(
            Method::GET,
            "/things/",
            &[("authorization", "Token nope")],
            "",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Token");
    assert_eq!(detail(&body), "Invalid token.");
}

#[tokio::test]
async fn failures_are_rendered_in_the_negotiated_format() {
    let router = token_router();
    let (status, headers, body) = send(
        &router,
        request(
            Method::GET,
            "/things/",
            &[("accept", "application/yaml")],
            "",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["content-type"], "application/yaml; charset=utf-8");
    assert_eq!(
        std::str::from_utf8(&body).ok().map(str::trim),
        Some("detail: Authentication credentials were not provided.")
    );
}

#[tokio::test]
async fn an_authenticated_but_forbidden_user_is_403() {
    let router = protected(
        ApiSettings::default()
            .authenticators([token_auth() as _])
            .permissions([Arc::new(IsAdminUser) as _]),
    );
    let alice = [("authorization", "Token alice-key")];
    let (status, headers, body) = send(&router, request(Method::GET, "/things/", &alice, "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get("www-authenticate").is_none());
    assert_eq!(
        detail(&body),
        "You do not have permission to perform this action."
    );
    let staff = [("authorization", "Token staff-key")];
    let (status, _, _) = send(&router, request(Method::GET, "/things/", &staff, "")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_refusal_that_never_looked_at_the_user_still_tells_401_from_403() {
    // `Not(AllowAny)` refuses everyone without asking who they are: a valid token must still
    // be a 403 and no credentials a 401, as DRF's `permission_denied` decides.
    let router = protected(
        ApiSettings::default()
            .authenticators([token_auth() as _])
            .permissions([Arc::new(Not(AllowAny)) as _]),
    );
    let alice = [("authorization", "Token alice-key")];
    let (status, _, _) = send(&router, request(Method::GET, "/things/", &alice, "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = send(&router, request(Method::GET, "/things/", &[], "")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Token");
}

#[tokio::test]
async fn without_a_challenge_not_authenticated_is_403() {
    let router = protected(
        ApiSettings::default()
            .authenticators([
                Arc::new(SessionAuthentication::new(Sessions)) as _,
                token_auth() as _,
            ])
            .permissions([Arc::new(IsAuthenticated) as _]),
    );
    let (status, headers, body) = send(&router, request(Method::GET, "/things/", &[], "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get("www-authenticate").is_none());
    assert_eq!(
        detail(&body),
        "Authentication credentials were not provided."
    );
}

#[tokio::test]
async fn session_csrf_is_refused_without_the_token_and_accepted_with_it() {
    let router = protected(
        ApiSettings::default()
            .authenticators([
                Arc::new(SessionAuthentication::new(Sessions)) as _,
                token_auth() as _,
            ])
            .permissions([Arc::new(IsAuthenticated) as _]),
    );
    let body = r#"{"name":"x"}"#;
    let no_token = [
        ("content-type", "application/json"),
        ("cookie", "sessionid=sess-1"),
    ];
    let (status, _, res) = send(&router, request(Method::POST, "/things/", &no_token, body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(detail(&res), "CSRF Failed: CSRF token missing.");
    let with_token = [
        ("content-type", "application/json"),
        ("cookie", "sessionid=sess-1"),
        ("x-csrftoken", "csrf-1"),
    ];
    let (status, _, _) = send(
        &router,
        request(Method::POST, "/things/", &with_token, body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // A session read needs no token; a token-authenticated write is not asked for one.
    let (status, _, _) = send(
        &router,
        request(
            Method::GET,
            "/things/",
            &[("cookie", "sessionid=sess-1")],
            "",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = [
        ("content-type", "application/json"),
        ("authorization", "Token alice-key"),
    ];
    let (status, _, _) = send(&router, request(Method::POST, "/things/", &token, body)).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn throttled_requests_get_429_with_retry_after() {
    let store = Arc::new(MemoryThrottleStore::new());
    let rate = "2/min".parse().unwrap_or_else(|e| panic!("rate: {e}"));
    let router = protected(
        ApiSettings::default()
            .authenticators([token_auth() as _])
            .throttles([Arc::new(UserRateThrottle::new(rate, store)) as _]),
    );
    for _ in 0..2 {
        let (status, _, _) = send(&router, request(Method::GET, "/things/", &[], "")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, body) = send(&router, request(Method::GET, "/things/", &[], "")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    assert_eq!(
        detail(&body),
        format!("Request was throttled. Expected available in {retry} seconds.")
    );
    // Another user has a budget of their own.
    let alice = [("authorization", "Token alice-key")];
    let (status, _, _) = send(&router, request(Method::GET, "/things/", &alice, "")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_scoped_throttle_limits_only_views_of_its_scope() {
    let store = Arc::new(MemoryThrottleStore::new());
    let rate = "1/min".parse().unwrap_or_else(|e| panic!("rate: {e}"));
    let settings = ApiSettings::default()
        .throttles([Arc::new(ScopedRateThrottle::new(store).rate("uploads", rate)) as _]);
    let router = Router::with_settings(settings)
        .route("/open/", "open", [(Method::GET, whoami())])
        .and_then(|r| {
            r.route(
                "/upload/",
                "upload",
                [(Method::GET, whoami().throttle_scope("uploads"))],
            )
        })
        .unwrap_or_else(|e| panic!("routes: {e}"));
    for _ in 0..3 {
        let (status, _, _) = send(&router, request(Method::GET, "/open/", &[], "")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, _) = send(&router, request(Method::GET, "/upload/", &[], "")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&router, request(Method::GET, "/upload/", &[], "")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn authentication_is_lazy_when_every_permission_allows_any() {
    // `AllowAny` does not look at the user: a bad token reaches a handler that never asks…
    let router = protected(
        ApiSettings::default()
            .authenticators([token_auth() as _])
            .permissions([Arc::new(AllowAny) as _]),
    );
    let bad = [("authorization", "Token nope")];
    let (status, _, _) = send(&router, request(Method::GET, "/things/", &bad, "")).await;
    assert_eq!(status, StatusCode::OK);
    // …and is refused by one that does.
    let bad_post = [
        ("authorization", "Token nope"),
        ("content-type", "application/json"),
    ];
    let (status, headers, _) = send(
        &router,
        request(Method::POST, "/things/", &bad_post, r#"{"name":"x"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Token");
}

fn formats(res_headers: &http::HeaderMap) -> String {
    res_headers["content-type"]
        .to_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn views_inherit_the_routers_settings_and_their_own_choices_win() {
    let yaml: Vec<Arc<dyn Renderer>> = vec![Arc::new(YamlRenderer::new())];
    let json: Vec<Arc<dyn Renderer>> = vec![Arc::new(JsonRenderer::new())];
    let yaml_settings = ApiSettings::default()
        .renderers(yaml.clone())
        .authenticators([token_auth() as _])
        .permissions([Arc::new(IsAuthenticated) as _]);
    let router = Router::with_settings(yaml_settings.clone())
        .route("/inherits/", "inherits", [(Method::GET, whoami())])
        // `.settings()` after `.renderers()` keeps the view's renderers.
        .and_then(|r| {
            r.route(
                "/own/",
                "own",
                [(
                    Method::GET,
                    whoami().renderers(json.clone()).settings(&yaml_settings),
                )],
            )
        })
        .and_then(|r| {
            r.route(
                "/open/",
                "open",
                [(
                    Method::GET,
                    whoami().permissions([Arc::new(AllowAny) as Arc<dyn Permission>]),
                )],
            )
        })
        .unwrap_or_else(|e| panic!("routes: {e}"));
    let alice = [("authorization", "Token alice-key")];
    let (status, headers, _) = send(&router, request(Method::GET, "/inherits/", &alice, "")).await;
    assert_eq!(
        (status, formats(&headers).as_str()),
        (StatusCode::OK, "application/yaml; charset=utf-8")
    );
    let (status, _, _) = send(&router, request(Method::GET, "/inherits/", &[], "")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = send(&router, request(Method::GET, "/own/", &alice, "")).await;
    assert_eq!(
        (status, formats(&headers).as_str()),
        (StatusCode::OK, "application/json")
    );
    let (status, headers, _) = send(&router, request(Method::GET, "/open/", &[], "")).await;
    assert_eq!(
        (status, formats(&headers).as_str()),
        (StatusCode::OK, "application/yaml; charset=utf-8")
    );
    // An unknown path is a 404 for everyone.
    let (status, _, _) = send(&router, request(Method::GET, "/nowhere/", &[], "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_policy_changes_nothing() {
    let router = protected(ApiSettings::default());
    let (status, _, body) = send(
        &router,
        request(
            Method::GET,
            "/things/",
            &[("authorization", "Token nope")],
            "",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).ok(),
        Some(json!({"user": null}))
    );
    let (status, _, _) = send(&router, request(Method::DELETE, "/things/9/", &[], "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn from(addr: &str, headers: &[(&str, &str)]) -> http::Request<Full<Bytes>> {
    let mut req = request(Method::GET, "/things/", headers, "");
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    req.extensions_mut()
        .insert(restframe::extensions::ClientAddr(addr));
    req
}

/// A throttle store that records the keys it is asked for, and allows everything.
#[derive(Default)]
struct Keys(std::sync::Mutex<Vec<String>>);

impl ThrottleStore for Keys {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        _: Rate,
    ) -> BoxFuture<'a, Result<Option<std::time::Duration>, ThrottleStoreError>> {
        self.0.lock().unwrap().push(key.to_owned());
        Box::pin(async { Ok(None) })
    }
}

/// The keys are those stored before (a shared store keeps its histories across a deployment):
/// each throttle's prefix, then the user's id, or else the client's address (an IPv6 client's
/// /64), or `unknown` when the connection recorded none.
#[tokio::test]
async fn each_throttle_keys_its_history_by_its_name_and_the_client() {
    let keys = Arc::new(Keys::default());
    let rate = || "10/min".parse().unwrap();
    let router = Router::with_settings(
        ApiSettings::default()
            .authenticators([token_auth() as _])
            .throttles([
                Arc::new(AnonRateThrottle::new(rate(), keys.clone())) as _,
                Arc::new(UserRateThrottle::new(rate(), keys.clone())) as _,
                Arc::new(ScopedRateThrottle::new(keys.clone()).rate("uploads", rate())) as _,
            ]),
    )
    .route(
        "/things/",
        "thing-list",
        [(Method::GET, whoami().throttle_scope("uploads"))],
    )
    .unwrap();
    let anonymous = |ident: &str| {
        vec![
            format!("throttle_anon_{ident}"),
            format!("throttle_user_ip:{ident}"),
            format!("throttle_scope_uploads_ip:{ident}"),
        ]
    };
    for (req, expected) in [
        (from("192.0.2.107:4000", &[]), anonymous("192.0.2.107")),
        (from("[::ffff:10.0.0.9]:4000", &[]), anonymous("10.0.0.9")),
        (
            from("[2001:db8:1:2::9]:4000", &[]),
            anonymous("2001:db8:1:2::/64"),
        ),
        (
            request(Method::GET, "/things/", &[], ""),
            anonymous("unknown"),
        ),
        (
            from("192.0.2.107:4000", &[("authorization", "Token alice-key")]),
            vec![
                "throttle_user_user:1".to_owned(),
                "throttle_scope_uploads_user:1".to_owned(),
            ],
        ),
    ] {
        let (status, _, _) = send(&router, req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(std::mem::take(&mut *keys.0.lock().unwrap()), expected);
    }
}

#[tokio::test]
async fn the_anonymous_throttle_counts_by_connection_address_not_forwarded_for() {
    let store = Arc::new(MemoryThrottleStore::new());
    let rate = "1/min".parse().unwrap();
    let router = protected(
        ApiSettings::default()
            .authenticators([token_auth() as _])
            .throttles([Arc::new(AnonRateThrottle::new(rate, store)) as _]),
    );
    let (status, _, _) = send(
        &router,
        from("10.0.0.1:5000", &[("x-forwarded-for", "1.1.1.1")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Another port, another forwarded-for: the same client.
    let (status, _, _) = send(
        &router,
        from("10.0.0.1:6000", &[("x-forwarded-for", "2.2.2.2")]),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = send(&router, from("10.0.0.2:5000", &[])).await;
    assert_eq!(status, StatusCode::OK);
    // Authenticated requests are not the anonymous throttle's.
    let alice = [("authorization", "Token alice-key")];
    for _ in 0..2 {
        let (status, _, _) = send(&router, from("10.0.0.1:5000", &alice)).await;
        assert_eq!(status, StatusCode::OK);
    }
}
