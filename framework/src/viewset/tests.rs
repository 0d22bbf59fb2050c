//! A viewset over an in-memory repository, driven through the router in memory.

use std::sync::Mutex;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{Action, ListQuery, ModelViewSet, Page, Repository};
use crate::{ApiError, Request, Response, Router, Validate, ValidationErrors, api_view};

#[derive(Clone, Serialize, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct Track {
    id: u64,
    title: String,
    artist_name: String,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct NewTrack {
    title: String,
    artist_name: String,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct TrackPatch {
    title: Option<String>,
    artist_name: Option<String>,
}

impl Validate for NewTrack {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.length("title", &self.title, 1, 100);
        errors.length("artist_name", &self.artist_name, 1, 100);
        errors.into_result()
    }
}

impl Validate for TrackPatch {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(t) = &self.title {
            errors.length("title", t, 1, 100);
        }
        errors.into_result()
    }
}

/// The unit-test repository: a vector behind a mutex. Filtering and ordering are done here in
/// memory; the SQL repositories do them in SQL.
#[derive(Default)]
struct Memory(Mutex<Vec<Track>>);

impl Memory {
    fn rows(&self) -> Result<std::sync::MutexGuard<'_, Vec<Track>>, ApiError> {
        self.0.lock().map_err(|_| ApiError::internal("poisoned"))
    }
}

fn field(t: &Track, name: &str) -> String {
    match name {
        "title" => t.title.clone(),
        "artist_name" => t.artist_name.clone(),
        _ => format!("{:020}", t.id),
    }
}

impl Repository for Memory {
    type Model = Track;
    type Input = NewTrack;
    type Patch = TrackPatch;

    async fn list(&self, q: &ListQuery) -> Result<Page<Track>, ApiError> {
        let mut rows: Vec<Track> = self
            .rows()?
            .iter()
            .filter(|t| q.filters.iter().all(|(f, v)| field(t, f) == *v))
            .cloned()
            .collect();
        for key in q.ordering.iter().rev() {
            rows.sort_by(|a, b| {
                let o = field(a, &key.field).cmp(&field(b, &key.field));
                if key.descending { o.reverse() } else { o }
            });
        }
        let count = rows.len() as u64;
        let items = rows
            .into_iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .collect();
        Ok(Page {
            items,
            count: Some(count),
        })
    }

    async fn retrieve(&self, id: &str) -> Result<Option<Track>, ApiError> {
        let Ok(id) = id.parse::<u64>() else {
            return Ok(None);
        };
        Ok(self.rows()?.iter().find(|t| t.id == id).cloned())
    }

    async fn create(&self, input: NewTrack) -> Result<Track, ApiError> {
        let mut rows = self.rows()?;
        let track = Track {
            id: rows.iter().map(|t| t.id).max().unwrap_or(0) + 1,
            title: input.title,
            artist_name: input.artist_name,
        };
        rows.push(track.clone());
        Ok(track)
    }

    async fn update(&self, id: &str, input: NewTrack) -> Result<Option<Track>, ApiError> {
        let Ok(id) = id.parse::<u64>() else {
            return Ok(None);
        };
        let mut rows = self.rows()?;
        Ok(rows.iter_mut().find(|t| t.id == id).map(|t| {
            t.title = input.title;
            t.artist_name = input.artist_name;
            t.clone()
        }))
    }

    async fn partial_update(&self, id: &str, patch: TrackPatch) -> Result<Option<Track>, ApiError> {
        let Ok(id) = id.parse::<u64>() else {
            return Ok(None);
        };
        let mut rows = self.rows()?;
        Ok(rows.iter_mut().find(|t| t.id == id).map(|t| {
            if let Some(title) = patch.title {
                t.title = title;
            }
            if let Some(artist) = patch.artist_name {
                t.artist_name = artist;
            }
            t.clone()
        }))
    }

    async fn destroy(&self, id: &str) -> Result<bool, ApiError> {
        let Ok(id) = id.parse::<u64>() else {
            return Ok(false);
        };
        let mut rows = self.rows()?;
        let before = rows.len();
        rows.retain(|t| t.id != id);
        Ok(rows.len() < before)
    }
}

fn router(rows: usize) -> Router {
    let memory = Memory::default();
    {
        let mut seed = memory.0.lock().unwrap();
        for i in 1..=rows as u64 {
            seed.push(Track {
                id: i,
                title: format!("Track {i:03}"),
                artist_name: if i % 2 == 0 { "Miles" } else { "Bill" }.into(),
            });
        }
    }
    let recent = api_view(|_req: Request| async { Ok(Response::new("recent")) });
    let play = api_view(|req: Request| async move {
        Ok(Response::new(format!(
            "playing {}",
            req.path_param("id").unwrap_or("?")
        )))
    });
    ModelViewSet::new("Track", "track", memory)
        .filter_fields(["artist_name"])
        .ordering_fields(["title", "artist_name", "id"])
        .page_size(5, 10)
        .action(Action::list("recent", "recent").method(Method::GET, recent))
        .action(Action::detail("play", "play").method(Method::POST, play))
        .register(Router::new(), "/api/tracks/")
        .and_then(|r| r.api_root("/api/", "api-root"))
        .unwrap()
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
}

async fn send(router: &Router, method: Method, uri: &str, body: Option<Value>) -> Reply {
    let mut req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "h");
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    let res = router
        .clone()
        .oneshot(req.body(Full::new(body)).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

#[tokio::test]
async fn list_is_paginated_in_drfs_envelope_with_link_headers() {
    let r = router(12);
    let page = send(&r, Method::GET, "/api/tracks/", None).await;
    let body = page.json();
    assert_eq!(body["count"], 12);
    assert_eq!(body["results"].as_array().unwrap().len(), 5);
    assert_eq!(body["next"], "http://h/api/tracks/?page=2");
    assert_eq!(body["previous"], Value::Null);
    assert_eq!(
        page.headers["link"],
        "<http://h/api/tracks/?page=2>; rel=\"next\""
    );

    let last = send(&r, Method::GET, "/api/tracks/?page=3", None)
        .await
        .json();
    assert_eq!(last["results"].as_array().unwrap().len(), 2);
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["previous"], "http://h/api/tracks/?page=2");

    let past = send(&r, Method::GET, "/api/tracks/?page=4", None).await;
    assert_eq!(
        (past.status, past.json()["detail"].clone()),
        (StatusCode::NOT_FOUND, json!("Invalid page."))
    );
    // page_size is capped at the viewset's maximum.
    let big = send(&r, Method::GET, "/api/tracks/?page_size=50", None)
        .await
        .json();
    assert_eq!(big["results"].as_array().unwrap().len(), 10);
    // An empty list is one empty page, not a 404.
    let empty = send(&router(0), Method::GET, "/api/tracks/", None).await;
    assert_eq!(
        (empty.status, empty.json()["count"].clone()),
        (StatusCode::OK, json!(0))
    );
}

#[tokio::test]
async fn filters_and_ordering_reach_the_repository_and_links_keep_them() {
    let r = router(12);
    let body = send(
        &r,
        Method::GET,
        "/api/tracks/?artist_name=Miles&ordering=-title&page_size=2",
        None,
    )
    .await
    .json();
    assert_eq!(body["count"], 6);
    let titles: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Track 012", "Track 010"]);
    assert_eq!(
        body["next"],
        "http://h/api/tracks/?artist_name=Miles&ordering=-title&page=2&page_size=2"
    );
    // A field that is not allowed is ignored (DRF), not an error.
    let body = send(&r, Method::GET, "/api/tracks/?ordering=secret,-id", None)
        .await
        .json();
    assert_eq!(body["results"][0]["id"], 12);
}

#[tokio::test]
async fn create_validates_and_answers_201() {
    let r = router(0);
    let created = send(
        &r,
        Method::POST,
        "/api/tracks/",
        Some(json!({"id": 99, "title": "So What", "artist_name": "Miles", "extra": 1})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    // The read-only id and the unknown field are ignored on input.
    assert_eq!(
        created.json(),
        json!({"id": 1, "title": "So What", "artist_name": "Miles"})
    );

    let bad = send(
        &r,
        Method::POST,
        "/api/tracks/",
        Some(json!({"title": "", "artist_name": "x".repeat(101)})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json(),
        json!({
            "title": ["This field may not be blank."],
            "artist_name": ["Ensure this field has no more than 100 characters."]
        })
    );
    let missing = send(
        &r,
        Method::POST,
        "/api/tracks/",
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(
        missing.json(),
        json!({"artist_name": ["This field is required."]})
    );
    let wrong = send(
        &r,
        Method::POST,
        "/api/tracks/",
        Some(json!({"title": 5, "artist_name": "x"})),
    )
    .await;
    assert_eq!(
        wrong.json()["title"][0],
        "Not a valid string.",
        "DRF's words, never serde's"
    );
}

#[tokio::test]
async fn retrieve_update_partial_update_and_destroy() {
    let r = router(3);
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/2/", None).await.json()["title"],
        "Track 002"
    );
    let put = send(
        &r,
        Method::PUT,
        "/api/tracks/2/",
        Some(json!({"title": "New", "artist_name": "Bill"})),
    )
    .await;
    assert_eq!(
        put.json(),
        json!({"id": 2, "title": "New", "artist_name": "Bill"})
    );
    let patch = send(
        &r,
        Method::PATCH,
        "/api/tracks/2/",
        Some(json!({"title": "Newer"})),
    )
    .await;
    assert_eq!(
        patch.json(),
        json!({"id": 2, "title": "Newer", "artist_name": "Bill"})
    );
    let bad_patch = send(
        &r,
        Method::PATCH,
        "/api/tracks/2/",
        Some(json!({"title": ""})),
    )
    .await;
    assert_eq!(bad_patch.status, StatusCode::BAD_REQUEST);
    let gone = send(&r, Method::DELETE, "/api/tracks/2/", None).await;
    assert_eq!((gone.status, gone.body.len()), (StatusCode::NO_CONTENT, 0));
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/2/", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_or_non_numeric_ids_are_404_whatever_the_method() {
    let r = router(3);
    for (method, uri) in [
        (Method::GET, "/api/tracks/9/"),
        (Method::GET, "/api/tracks/abc/"),
        (Method::PUT, "/api/tracks/9/"),
        (Method::PATCH, "/api/tracks/abc/"),
        (Method::DELETE, "/api/tracks/9/"),
    ] {
        let body = Some(json!({"title": "x", "artist_name": "y"}));
        let reply = send(&r, method.clone(), uri, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}");
    }
}

#[tokio::test]
async fn extra_actions_get_their_routes_and_the_root_lists_the_viewset() {
    let r = router(3);
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/recent/", None)
            .await
            .json(),
        "recent"
    );
    assert_eq!(
        send(&r, Method::POST, "/api/tracks/3/play/", None)
            .await
            .json(),
        "playing 3"
    );
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/3/play/", None)
            .await
            .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let root = send(&r, Method::GET, "/api/", None).await.json();
    assert_eq!(
        root,
        json!({"track-list": "http://h/api/tracks/", "track-recent": "http://h/api/tracks/recent/"})
    );
}

#[tokio::test]
async fn a_detail_action_on_a_missing_or_junk_id_is_a_404_before_its_view() {
    let r = router(3);
    for id in ["4", "abc", "-1", "%00"] {
        let res = send(&r, Method::POST, &format!("/api/tracks/{id}/play/"), None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(res.json(), json!({"detail": "No such object."}), "{id}");
    }
    // An encoded slash is no id segment: the router's own 404.
    let res = send(&r, Method::POST, "/api/tracks/1%2F..%2F2/play/", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // The row it acts on is there for the view (DRF's `self.get_object()`).
    let memory = Memory::default();
    memory.0.lock().unwrap().push(Track {
        id: 2,
        title: "Track 002".into(),
        artist_name: "Miles".into(),
    });
    let r = ModelViewSet::new("Track", "track", memory)
        .action(Action::detail("title", "title").method(
            Method::GET,
            api_view(|req: Request| async move {
                let track = req
                    .extensions()
                    .get::<std::sync::Arc<Track>>()
                    .map(|t| t.title.clone());
                Ok(Response::new(track))
            }),
        ))
        .register(Router::new(), "/api/tracks/")
        .unwrap();
    let res = send(&r, Method::GET, "/api/tracks/2/title/", None).await;
    assert_eq!(res.json(), "Track 002");
}

#[tokio::test]
async fn options_names_list_and_instance_like_drf() {
    let r = router(1);
    assert_eq!(
        send(&r, Method::OPTIONS, "/api/tracks/", None).await.json()["name"],
        "Track List"
    );
    assert_eq!(
        send(&r, Method::OPTIONS, "/api/tracks/1/", None)
            .await
            .json()["name"],
        "Track Instance"
    );
}

#[tokio::test]
async fn hostile_pages_hosts_and_orderings_are_answered_not_obeyed() {
    let r = router(12);
    // An offset SQL cannot hold is no page at all.
    let huge = send(
        &r,
        Method::GET,
        "/api/tracks/?page=576460752303423488&page_size=10",
        None,
    )
    .await;
    assert_eq!(huge.status, StatusCode::NOT_FOUND);
    // An empty ?page= is page 1, as DRF.
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/?page=", None)
            .await
            .json()["count"],
        12
    );
    // A repeated ordering field counts once; the first mention wins.
    let ordering = format!("?ordering=-id{}", ",id".repeat(3000));
    let body = send(&r, Method::GET, &format!("/api/tracks/{ordering}"), None)
        .await
        .json();
    assert_eq!(body["results"][0]["id"], 12);
    // A Host that is not a host is refused, not copied into links.
    let req = http::Request::get("/api/tracks/")
        .header("host", "a>; rel=\"next\", <http://evil")
        .body(Full::<Bytes>::default())
        .unwrap();
    let res = r.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("link").is_none());
}

#[tokio::test]
async fn a_link_header_has_next_and_prev_in_the_middle_and_keeps_format() {
    let r = router(12);
    let page = send(&r, Method::GET, "/api/tracks/?page=2&format=json", None).await;
    assert_eq!(
        page.headers["link"],
        "<http://h/api/tracks/?format=json&page=3>; rel=\"next\", <http://h/api/tracks/?format=json>; rel=\"prev\""
    );
}

#[tokio::test]
async fn two_routers_from_one_base_list_only_their_own_routes() {
    let base = Router::new().api_root("/api/", "api-root").unwrap();
    let view = || api_view(|_req: Request| async { Ok(Response::new(1)) });
    let a = base
        .clone()
        .route("/api/a/", "a", [(Method::GET, view())])
        .unwrap();
    let b = base.route("/api/b/", "b", [(Method::GET, view())]).unwrap();
    assert_eq!(
        send(&a, Method::GET, "/api/", None).await.json(),
        json!({"a": "http://h/api/a/"})
    );
    assert_eq!(
        send(&b, Method::GET, "/api/", None).await.json(),
        json!({"b": "http://h/api/b/"})
    );
}

#[tokio::test]
async fn extra_action_routes_take_format_suffixes_and_head_works_on_lists() {
    let r = router(3);
    let res = send(&r, Method::GET, "/api/tracks/recent.json", None).await;
    assert_eq!((res.status, res.json()), (StatusCode::OK, json!("recent")));
    let res = send(&r, Method::POST, "/api/tracks/3/play.json", None).await;
    assert_eq!(res.json(), "playing 3");
    let head = send(&r, Method::HEAD, "/api/tracks/", None).await;
    assert_eq!((head.status, head.body.len()), (StatusCode::OK, 0));
}

#[tokio::test]
async fn limit_offset_pagination_is_drfs() {
    let memory = Memory::default();
    for i in 1..=7 {
        memory.0.lock().unwrap().push(Track {
            id: i,
            title: format!("T{i}"),
            artist_name: "A".into(),
        });
    }
    let r = ModelViewSet::new("Track", "track", memory)
        .limit_offset(3, 5)
        .register(Router::new(), "/t/")
        .unwrap();
    let page = send(&r, Method::GET, "/t/?offset=3", None).await;
    let body = page.json();
    assert_eq!(body["count"], 7);
    assert_eq!(body["results"][0]["id"], 4);
    assert_eq!(body["results"].as_array().unwrap().len(), 3);
    assert_eq!(body["next"], "http://h/t/?limit=3&offset=6");
    assert_eq!(body["previous"], "http://h/t/?limit=3");
    assert_eq!(
        page.headers["link"],
        "<http://h/t/?limit=3&offset=6>; rel=\"next\", <http://h/t/?limit=3>; rel=\"prev\""
    );
    // The limit is capped; an offset past the end is an empty page, not a 404.
    let capped = send(&r, Method::GET, "/t/?limit=50", None).await.json();
    assert_eq!(capped["results"].as_array().unwrap().len(), 5);
    let past = send(&r, Method::GET, "/t/?offset=100", None).await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.json()["results"], serde_json::json!([]));
    assert_eq!(past.json()["next"], Value::Null);
    // `?page=` means nothing here.
    let page = send(&r, Method::GET, "/t/?page=9", None).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn perform_hooks_change_input_and_refuse() {
    let r = ModelViewSet::new("Track", "track", Memory::default())
        .perform_create(|req, input: &mut NewTrack| {
            // Something the client does not send, from the request.
            input.artist_name = req
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            Ok(())
        })
        .perform_update(|_req, input: &mut NewTrack| {
            input.title = input.title.to_uppercase();
            Ok(())
        })
        .perform_destroy(|_req, id| {
            if id == "1" {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "permission_denied",
                    "Track 1 stays.",
                ))
            } else {
                Ok(())
            }
        })
        .register(Router::new(), "/t/")
        .unwrap();
    let body = serde_json::json!({"title": "a", "artist_name": "ignored"});
    let created = send(&r, Method::POST, "/t/", Some(body.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["artist_name"], "h");
    let updated = send(&r, Method::PUT, "/t/1/", Some(body)).await.json();
    assert_eq!(updated["title"], "A");
    let refused = send(&r, Method::DELETE, "/t/1/", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["detail"], "Track 1 stays.");
    assert_eq!(
        send(&r, Method::GET, "/t/1/", None).await.status,
        StatusCode::OK
    );
    let missing = send(&r, Method::DELETE, "/t/2/", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "404 before the hook");
}

#[tokio::test]
async fn to_representation_shapes_every_row_and_update_hooks_see_the_current_row() {
    let r = ModelViewSet::new("Track", "track", Memory::default())
        .to_representation(|req, track: &mut Track| {
            if !req.headers().contains_key("x-full") {
                track.artist_name = String::new();
            }
        })
        .perform_update(|req, input: &mut NewTrack| {
            // A column the client may not change: kept from the row as it is.
            let current = req
                .extensions()
                .get::<std::sync::Arc<Track>>()
                .ok_or_else(|| ApiError::internal("no current row"))?;
            input.artist_name = current.artist_name.clone();
            Ok(())
        })
        .register(Router::new(), "/t/")
        .unwrap();
    let body = json!({"title": "a", "artist_name": "Bill"});
    let created = send(&r, Method::POST, "/t/", Some(body)).await;
    assert_eq!(created.json()["artist_name"], "", "hidden on create");
    let page = send(&r, Method::GET, "/t/", None).await.json();
    assert_eq!(page["results"][0]["artist_name"], "", "hidden on list");
    assert_eq!(
        send(&r, Method::GET, "/t/1/", None).await.json()["artist_name"],
        ""
    );
    let put = json!({"title": "b", "artist_name": "Miles"});
    let updated = send(&r, Method::PUT, "/t/1/", Some(put)).await.json();
    assert_eq!(
        (updated["title"].as_str(), updated["artist_name"].as_str()),
        (Some("b"), Some(""))
    );
    let req = http::Request::get("/t/1/")
        .header("host", "h")
        .header("x-full", "1");
    let full = r
        .clone()
        .oneshot(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let body = full.into_body().collect().await.unwrap().to_bytes();
    let full: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        full["artist_name"], "Bill",
        "the PUT kept the stored artist"
    );
}

/// A style of its own: `?skip=`, no count, a `next` link while rows remain.
struct Skip;

impl super::Pagination for Skip {
    fn window(&self, req: &Request) -> Result<crate::pagination::Window, ApiError> {
        let skip = req
            .query()
            .get("skip")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(crate::pagination::Window::new(skip, 2))
    }

    fn envelope(
        &self,
        req: &Request,
        fetched: &crate::pagination::Fetched,
    ) -> Result<crate::pagination::Envelope, ApiError> {
        let envelope = crate::pagination::Envelope::new(None);
        let next = fetched.window.offset + fetched.len as u64;
        Ok(if fetched.more {
            envelope.next(format!(
                "{}{}?skip={next}",
                req.base_url()?,
                req.uri().path()
            ))
        } else {
            envelope
        })
    }
}

#[tokio::test]
async fn a_pagination_style_of_ones_own_decides_window_and_envelope() {
    let memory = Memory::default();
    for i in 1..=3 {
        memory.0.lock().unwrap().push(Track {
            id: i,
            title: format!("T{i}"),
            artist_name: "A".into(),
        });
    }
    let r = ModelViewSet::new("Track", "track", memory)
        .pagination(Skip)
        .register(Router::new(), "/t/")
        .unwrap();
    let first = send(&r, Method::GET, "/t/", None).await;
    assert_eq!(
        first.json(),
        json!({"next": "http://h/t/?skip=2", "previous": null, "results": [
            {"id": 1, "title": "T1", "artist_name": "A"},
            {"id": 2, "title": "T2", "artist_name": "A"}]})
    );
    assert_eq!(first.headers["link"], "<http://h/t/?skip=2>; rel=\"next\"");
    let last = send(&r, Method::GET, "/t/?skip=2", None).await;
    assert_eq!(last.json()["results"][0]["id"], 3);
    assert_eq!(last.json()["next"], Value::Null);
    assert!(last.headers.get("link").is_none());
}

/// A viewset on a router with settings: every action inherits them, the viewset's own choices
/// win whatever the call order, and one action may have settings of its own.
#[cfg(feature = "auth")]
mod policy {
    use std::sync::Arc;

    use super::*;
    use crate::ApiSettings;
    use crate::permissions::{AllowAny, IsAuthenticated};
    use crate::renderers::{JsonRenderer, Renderer, YamlRenderer};

    fn seeded() -> Memory {
        let memory = Memory::default();
        memory.0.lock().unwrap().push(Track {
            id: 1,
            title: "So What".into(),
            artist_name: "Miles".into(),
        });
        memory
    }

    fn yaml_and_users_only() -> ApiSettings {
        ApiSettings::default()
            .renderers([Arc::new(YamlRenderer::new()) as Arc<dyn Renderer>])
            .permissions([Arc::new(IsAuthenticated) as _])
    }

    #[tokio::test]
    async fn a_viewset_inherits_its_routers_settings_in_every_action() {
        let play = api_view(|_req: Request| async { Ok(Response::new("playing")) });
        let router = ModelViewSet::new("Track", "track", seeded())
            .action(Action::detail("play", "play").method(Method::GET, play))
            .action_settings(
                "retrieve",
                ApiSettings::default().permissions([Arc::new(AllowAny) as _]),
            )
            .register(Router::with_settings(yaml_and_users_only()), "/api/tracks/")
            .unwrap();
        // No authenticators: not authenticated is a 403 (no challenge to make).
        assert_eq!(
            send(&router, Method::GET, "/api/tracks/", None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(&router, Method::GET, "/api/tracks/1/play/", None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(&router, Method::DELETE, "/api/tracks/1/", None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let open = send(&router, Method::GET, "/api/tracks/1/", None).await;
        assert_eq!(open.status, StatusCode::OK);
        assert_eq!(
            open.headers["content-type"],
            "application/yaml; charset=utf-8"
        );
    }

    #[tokio::test]
    async fn a_viewsets_own_renderers_survive_a_later_settings_call() {
        let router = ModelViewSet::new("Track", "track", seeded())
            .renderers([Arc::new(JsonRenderer::new()) as Arc<dyn Renderer>])
            .settings(&yaml_and_users_only())
            .permissions([Arc::new(AllowAny) as _])
            .register(Router::with_settings(yaml_and_users_only()), "/api/tracks/")
            .unwrap();
        let res = send(&router, Method::GET, "/api/tracks/1/", None).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.headers["content-type"], "application/json");
    }

    #[tokio::test]
    async fn settings_for_an_unknown_action_are_refused_at_registration() {
        let outcome = ModelViewSet::new("Track", "track", seeded())
            .action_settings("delete", ApiSettings::default())
            .register(Router::new(), "/api/tracks/");
        assert!(matches!(outcome, Err(crate::RouteError::Pattern { .. })));
    }
}

#[tokio::test]
async fn a_viewset_takes_its_routers_pagination_unless_it_has_its_own() {
    let seeded = || {
        let memory = Memory::default();
        memory.0.lock().unwrap().extend((1..=7).map(|i| Track {
            id: i,
            title: format!("t{i}"),
            artist_name: "a".into(),
        }));
        memory
    };
    let settings =
        crate::ApiSettings::default().pagination(super::LimitOffsetPagination::new(3, 5));
    let router = ModelViewSet::new("Track", "track", seeded())
        .register(Router::with_settings(settings), "/inherited/")
        .unwrap();
    let router = ModelViewSet::new("Track", "own", seeded())
        .page_size(2, 4)
        .register(router, "/own/")
        .unwrap();
    let inherited = send(&router, Method::GET, "/inherited/", None).await.json();
    assert_eq!(inherited["results"].as_array().map(Vec::len), Some(3));
    assert!(
        inherited["next"]
            .as_str()
            .unwrap_or_default()
            .contains("limit=3"),
        "{inherited}"
    );
    let own = send(&router, Method::GET, "/own/", None).await.json();
    assert_eq!(own["results"].as_array().map(Vec::len), Some(2));
    assert!(
        own["next"].as_str().unwrap_or_default().contains("page=2"),
        "{own}"
    );
}

mod offered;
