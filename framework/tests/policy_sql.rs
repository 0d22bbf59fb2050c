//! Per-request querysets and object permissions on a `ModelViewSet` over SQLite, through the
//! router: a row hidden from a user is a 404 for them, in SQL, on list and on detail; a row a
//! permission refuses is a 403; a detail action on a missing row is a 404 from the framework.
//!
//! Run with `cargo test -p restframe --features sqlite,full --test policy_sql`.
#![cfg(all(feature = "sqlite", feature = "auth"))]
#![cfg(test)]

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::auth::{Identity, TokenAuthentication, TokenStore, hash_key};
use restframe::permissions::{IsAuthenticated, Permission, PermissionExt};
use restframe::sql::{Column, ColumnType, Database, Migration, SqlRepository, Table};
use restframe::{
    Action, ApiError, ApiSettings, BoxFuture, ModelViewSet, Request, Response, Router, Validate,
    api_view,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    id: i64,
    owner_id: i64,
    body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NoteInput {
    owner_id: i64,
    body: String,
}

impl Validate for NoteInput {}

#[derive(Debug, Default, Serialize, Deserialize)]
struct NotePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
}

impl Validate for NotePatch {}

impl Table for Note {
    type Input = NoteInput;
    type Patch = NotePatch;
    const NAME: &'static str = "policy_note";
    const COLUMNS: &'static [Column] = &[
        Column::new("id", ColumnType::Integer).read_only(),
        Column::new("owner_id", ColumnType::Integer),
        Column::new("body", ColumnType::Text),
    ];
}

const MIGRATIONS: &[Migration] = &[Migration::same(
    1,
    "policy_note",
    "CREATE TABLE policy_note (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, body TEXT NOT NULL)",
)];

struct Tokens(HashMap<String, Identity>);

impl TokenStore for Tokens {
    fn user_for_key_hash<'a>(
        &'a self,
        key_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Identity>, ApiError>> {
        Box::pin(async move { Ok(self.0.get(key_hash).cloned()) })
    }
}

/// Only the owner may touch a note.
struct IsOwner;

impl Permission for IsOwner {
    fn has_permission(&self, _req: &Request) -> bool {
        true
    }

    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        obj.downcast_ref::<Note>()
            .is_some_and(|n| req.current_user().id() == Some(n.owner_id))
    }
}

/// Reading is for anyone; writing a note is for its owner.
struct OwnerWrites;

impl Permission for OwnerWrites {
    fn has_permission(&self, _req: &Request) -> bool {
        true
    }

    fn has_object_permission(&self, req: &Request, obj: &dyn Any) -> bool {
        req.method() == Method::GET
            || obj
                .downcast_ref::<Note>()
                .is_some_and(|n| req.current_user().id() == Some(n.owner_id))
    }
}

/// Bob's notes are locked, whoever asks: a rule on the row alone, that never looks at the
/// user.
struct NotLocked;

impl Permission for NotLocked {
    fn has_permission(&self, _req: &Request) -> bool {
        true
    }

    fn has_object_permission(&self, _req: &Request, obj: &dyn Any) -> bool {
        obj.downcast_ref::<Note>().is_some_and(|n| n.owner_id != 2)
    }

    fn needs_user(&self) -> bool {
        false
    }
}

async fn router() -> Router {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.migrate(MIGRATIONS).await.unwrap();
    let repo = SqlRepository::<Note>::new(&db);
    for (owner, body) in [(1, "alice's"), (2, "bob's"), (1, "alice's too")] {
        restframe::Repository::create(
            &repo,
            NoteInput {
                owner_id: owner,
                body: body.into(),
            },
        )
        .await
        .unwrap();
    }
    let tokens = Tokens(HashMap::from([
        (hash_key("alice"), Identity::new(1, "alice")),
        (hash_key("bob"), Identity::new(2, "bob")),
        (hash_key("sam"), Identity::new(3, "sam").staff(true)),
    ]));
    let settings = ApiSettings::default()
        .authenticators([Arc::new(TokenAuthentication::new(tokens)) as _])
        .permissions([Arc::new(IsAuthenticated) as _]);
    let echo = Action::detail("echo", "echo").method(
        Method::POST,
        api_view(|req: Request| async move {
            let note = req.extensions().get::<Arc<Note>>().map(|n| n.body.clone());
            Ok(Response::new(json!({"note": note})))
        }),
    );
    let router = ModelViewSet::new("Note", "note", repo.clone())
        .queryset(|req| {
            let id = req
                .current_user()
                .id()
                .ok_or_else(|| ApiError::not_found("No user."))?;
            Ok(vec![("owner_id".to_owned(), id.to_string())])
        })
        .register(Router::with_settings(settings), "/notes/")
        .unwrap();
    let router = ModelViewSet::new("Note", "shared", repo.clone())
        .permissions([Arc::new(IsAuthenticated.and(IsOwner)) as _])
        .action(echo.clone())
        .register(router, "/shared/")
        .unwrap();
    // Open to all, but only staff see a note's body: the hook sees the user even though no
    // permission asked for it.
    let router = ModelViewSet::new("Note", "open", repo.clone())
        .permissions([Arc::new(restframe::permissions::AllowAny) as _])
        .to_representation(|req, note: &mut Note| {
            if !req.current_user().is_staff() {
                note.body = "(hidden)".into();
            }
        })
        .register(router, "/open/")
        .unwrap();
    // Anyone reads; only the owner writes: a page shows the write forms to the owner only.
    #[cfg(feature = "browsable")]
    let router = ModelViewSet::new("Note", "mine", repo.clone())
        .renderers([
            Arc::new(restframe::renderers::BrowsableApiRenderer::new()) as _,
            Arc::new(restframe::renderers::JsonRenderer::new()) as _,
        ])
        .permissions([Arc::new(OwnerWrites) as _])
        .register(router, "/mine/")
        .unwrap();
    ModelViewSet::new("Note", "locked", repo)
        .permissions([Arc::new(NotLocked) as _])
        .action(echo)
        .register(router, "/locked/")
        .unwrap()
}

async fn send(
    router: &Router,
    method: Method,
    uri: &str,
    user: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = http::Request::builder().method(method).uri(uri);
    if let Some(u) = user {
        req = req.header("authorization", format!("Token {u}"));
    }
    let req = req
        .header("content-type", "application/json")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_narrowed_list_shows_only_ones_own_rows_in_sql() {
    let router = router().await;
    let (status, page) = send(&router, Method::GET, "/notes/", Some("alice")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 2);
    let owners: Vec<&Value> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["owner_id"])
        .collect();
    assert_eq!(owners, [&json!(1), &json!(1)]);
    let (_, page) = send(&router, Method::GET, "/notes/", Some("bob")).await;
    assert_eq!(page["count"], 1);
}

#[tokio::test]
async fn a_row_hidden_from_a_user_is_404_for_them() {
    let router = router().await;
    let (status, note) = send(&router, Method::GET, "/notes/1/", Some("alice")).await;
    assert_eq!(
        (status, note["body"].as_str()),
        (StatusCode::OK, Some("alice's"))
    );
    let (status, _) = send(&router, Method::GET, "/notes/2/", Some("alice")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&router, Method::DELETE, "/notes/2/", Some("alice")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&router, Method::GET, "/notes/2/", Some("bob")).await;
    assert_eq!(status, StatusCode::OK);
    // Anonymous: 401 before any lookup.
    let (status, _) = send(&router, Method::DELETE, "/notes/99/", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn object_permissions_see_the_row() {
    let router = router().await;
    let (status, _) = send(&router, Method::GET, "/shared/1/", Some("alice")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(&router, Method::GET, "/shared/1/", Some("bob")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["detail"],
        "You do not have permission to perform this action."
    );
    let (status, _) = send(&router, Method::DELETE, "/shared/1/", Some("bob")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&router, Method::GET, "/shared/99/", Some("bob")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn detail_actions_get_the_row_or_a_404_or_a_403() {
    let router = router().await;
    let (status, body) = send(&router, Method::POST, "/shared/3/echo/", Some("alice")).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"note": "alice's too"}))
    );
    let (status, _) = send(&router, Method::POST, "/shared/3/echo/", Some("bob")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&router, Method::POST, "/shared/99/echo/", Some("alice")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&router, Method::POST, "/shared/3/echo/", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_object_rule_that_ignores_the_user_still_guards_destroy_and_detail_actions() {
    let router = router().await;
    // Note 2 is bob's, so locked, even for alice; note 1 is not. (Anonymous would be a 401:
    // the router has an authenticator, and DRF tells those to authenticate.)
    let (status, _) = send(&router, Method::POST, "/locked/2/echo/", Some("alice")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&router, Method::DELETE, "/locked/2/", Some("alice")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = send(&router, Method::POST, "/locked/1/echo/", Some("alice")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"note": "alice's"})));
    let (status, _) = send(&router, Method::GET, "/locked/2/", Some("alice")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn to_representation_sees_the_user_on_every_action_even_under_allow_any() {
    let router = router().await;
    for uri in ["/open/1/", "/open/"] {
        let (status, staff) = send(&router, Method::GET, uri, Some("sam")).await;
        assert_eq!(status, StatusCode::OK);
        let (_, anonymous) = send(&router, Method::GET, uri, None).await;
        let body = |v: &Value| {
            v.get("results")
                .map_or(v["body"].clone(), |r| r[0]["body"].clone())
        };
        assert_eq!(body(&staff), "alice's", "{uri}: {staff}");
        assert_eq!(body(&anonymous), "(hidden)", "{uri}: {anonymous}");
    }
}

/// DRF's `show_form_for_method` with `check_object_permissions`: a page of a row shows the
/// write forms only to a user the object permissions let write it.
#[cfg(feature = "browsable")]
#[tokio::test]
async fn a_rows_page_shows_write_forms_only_to_who_may_write_the_row() {
    let router = router().await;
    let page = |uri: &'static str| {
        let router = router.clone();
        async move {
            let req = http::Request::get(uri)
                .header("accept", "text/html")
                .header("authorization", "Token alice")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let forms = |html: &str| {
        (
            html.contains(r#"id="raw-form-PUT""#),
            html.contains(r#"id="delete-button""#),
        )
    };
    let (status, own) = page("/mine/1/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(forms(&own), (true, true), "alice's own note");
    let (status, bobs) = page("/mine/2/").await;
    assert_eq!(status, StatusCode::OK, "anyone reads");
    assert_eq!(forms(&bobs), (false, false), "bob's note: {bobs}");
}
