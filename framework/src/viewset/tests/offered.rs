//! Viewsets that offer some of the standard actions (DRF's `ReadOnlyModelViewSet`, or mixins of
//! one's choice), and reversing a viewset's routes.

use super::*;
use crate::StandardAction::{self, Create, Destroy, List, PartialUpdate, Retrieve, Update};

fn seeded(rows: u64) -> Memory {
    let memory = Memory::default();
    memory.0.lock().unwrap().extend((1..=rows).map(|i| Track {
        id: i,
        title: format!("Track {i}"),
        artist_name: "Miles".into(),
    }));
    memory
}

/// A viewset with a list action `recent` and a detail action `play` (POST).
fn tracks(rows: u64) -> ModelViewSet<Memory> {
    let recent = api_view(|_req: Request| async { Ok(Response::new("recent")) });
    let play = api_view(|req: Request| async move {
        Ok(Response::new(format!(
            "playing {}",
            req.path_param("id").unwrap_or("?")
        )))
    });
    ModelViewSet::new("Track", "track", seeded(rows))
        .action(Action::list("recent", "recent").method(Method::GET, recent))
        .action(Action::detail("play", "play").method(Method::POST, play))
}

fn register(viewset: ModelViewSet<Memory>) -> Router {
    viewset
        .register(Router::new(), "/api/tracks/")
        .and_then(|r| r.api_root("/api/", "api-root"))
        .unwrap()
}

fn names(router: &Router) -> Vec<String> {
    router
        .routes()
        .entries()
        .iter()
        .map(|r| r.name().to_owned())
        .collect()
}

/// The status and `Allow` of `method` on `uri`.
async fn allow(router: &Router, method: Method, uri: &str) -> (StatusCode, String) {
    let reply = send(router, method, uri, None).await;
    let allow = reply
        .headers
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (reply.status, allow)
}

const READ: &str = "GET, HEAD, OPTIONS";

#[tokio::test]
async fn a_read_only_viewset_reads_and_answers_405_with_allow_to_writes() {
    let viewset = ModelViewSet::read_only("Track", "track", seeded(2));
    assert!(viewset.offers(List) && viewset.offers(Retrieve));
    assert!(!viewset.offers(Create) && !viewset.offers(Destroy));
    let r = register(viewset);
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/", None).await.json()["count"],
        2
    );
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/1/", None).await.json()["id"],
        1
    );
    for uri in ["/api/tracks/", "/api/tracks/1/"] {
        assert_eq!(
            allow(&r, Method::HEAD, uri).await.0,
            StatusCode::OK,
            "{uri}"
        );
        assert_eq!(
            allow(&r, Method::OPTIONS, uri).await,
            (StatusCode::OK, READ.to_owned()),
            "{uri}"
        );
    }
    let post = send(
        &r,
        Method::POST,
        "/api/tracks/",
        Some(json!({"title": "t", "artist_name": "a"})),
    )
    .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers["allow"], READ);
    assert_eq!(
        post.json(),
        json!({"detail": "Method \"POST\" not allowed."})
    );
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        assert_eq!(
            allow(&r, method.clone(), "/api/tracks/1/").await,
            (StatusCode::METHOD_NOT_ALLOWED, READ.to_owned()),
            "{method}"
        );
    }
    // Nothing was written or deleted.
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/", None).await.json()["count"],
        2
    );
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/1/", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn extra_actions_keep_working_on_a_read_only_viewset() {
    let r = register(tracks(3).only(StandardAction::READ_ONLY));
    let play = send(&r, Method::POST, "/api/tracks/3/play/", None).await;
    assert_eq!(
        (play.status, play.json()),
        (StatusCode::OK, json!("playing 3"))
    );
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/recent/", None)
            .await
            .json(),
        "recent"
    );
    assert_eq!(
        names(&r),
        [
            "track-list",
            "track-recent",
            "track-detail",
            "track-play",
            "api-root"
        ]
    );
}

#[tokio::test]
async fn a_subset_answers_exactly_its_methods() {
    let r = register(tracks(3).only([Create, Destroy]));
    assert_eq!(
        allow(&r, Method::GET, "/api/tracks/").await,
        (StatusCode::METHOD_NOT_ALLOWED, "POST, OPTIONS".to_owned())
    );
    // No GET, so no HEAD either.
    assert_eq!(
        allow(&r, Method::HEAD, "/api/tracks/").await,
        (StatusCode::METHOD_NOT_ALLOWED, "POST, OPTIONS".to_owned())
    );
    assert_eq!(
        allow(&r, Method::OPTIONS, "/api/tracks/1/").await,
        (StatusCode::OK, "DELETE, OPTIONS".to_owned())
    );
    for method in [Method::GET, Method::PUT, Method::PATCH] {
        assert_eq!(
            allow(&r, method.clone(), "/api/tracks/1/").await,
            (StatusCode::METHOD_NOT_ALLOWED, "DELETE, OPTIONS".to_owned()),
            "{method}"
        );
    }
    let created = send(
        &r,
        Method::POST,
        "/api/tracks/",
        Some(json!({"title": "t", "artist_name": "a"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        send(&r, Method::DELETE, "/api/tracks/4/", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&r, Method::DELETE, "/api/tracks/4/", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let r = register(tracks(3).without([Update, Destroy]));
    assert_eq!(
        allow(&r, Method::DELETE, "/api/tracks/1/").await,
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "GET, PATCH, HEAD, OPTIONS".to_owned()
        )
    );
    assert_eq!(
        allow(&r, Method::OPTIONS, "/api/tracks/").await,
        (StatusCode::OK, "GET, POST, HEAD, OPTIONS".to_owned())
    );
    let patched = send(
        &r,
        Method::PATCH,
        "/api/tracks/1/",
        Some(json!({"title": "New"})),
    )
    .await;
    assert_eq!(patched.json()["title"], "New");
}

#[tokio::test]
async fn only_replaces_and_without_narrows() {
    let viewset = tracks(0)
        .only([List])
        .only([Retrieve, Update])
        .without([Update, Create]);
    let offered: Vec<StandardAction> = StandardAction::ALL
        .into_iter()
        .filter(|&a| viewset.offers(a))
        .collect();
    assert_eq!(offered, [Retrieve]);
    let all = tracks(0).without([]);
    assert!(StandardAction::ALL.into_iter().all(|a| all.offers(a)));
    assert!(!tracks(0).without([PartialUpdate]).offers(PartialUpdate));
}

#[tokio::test]
async fn a_route_left_without_actions_is_not_registered() {
    let r = register(tracks(2).only([Retrieve]));
    assert_eq!(
        names(&r),
        ["track-recent", "track-detail", "track-play", "api-root"]
    );
    let list = send(&r, Method::GET, "/api/tracks/", None).await;
    assert_eq!(list.status, StatusCode::NOT_FOUND);
    assert!(list.headers.get("allow").is_none());
    assert_eq!(
        send(&r, Method::GET, "/api/", None).await.json(),
        json!({"track-recent": "http://h/api/tracks/recent/"})
    );
    // The detail route and the actions still answer.
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/2/", None).await.json()["id"],
        2
    );
    assert_eq!(
        send(&r, Method::GET, "/api/tracks/recent/", None)
            .await
            .json(),
        "recent"
    );

    // Nothing offered, no extra action: nothing registered at all.
    let bare = ModelViewSet::new("Track", "track", seeded(1))
        .only([])
        .register(Router::new(), "/api/tracks/")
        .unwrap();
    assert!(bare.routes().entries().is_empty());
    assert_eq!(
        send(&bare, Method::GET, "/api/tracks/1/", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn settings_for_an_action_not_offered_are_refused_at_registration() {
    let outcome = ModelViewSet::read_only("Track", "track", seeded(0))
        .action_settings("create", crate::ApiSettings::default())
        .register(Router::new(), "/api/tracks/");
    match outcome {
        Err(crate::RouteError::Pattern { why, .. }) => {
            assert!(
                why.contains("`create`, which the viewset does not offer"),
                "{why}"
            )
        }
        other => panic!("{:?}", other.map(|r| names(&r))),
    }
    // An offered one is fine.
    assert!(
        ModelViewSet::read_only("Track", "track", seeded(0))
            .action_settings("retrieve", crate::ApiSettings::default())
            .register(Router::new(), "/api/tracks/")
            .is_ok()
    );
}

/// The operations of the OpenAPI document, as `(path, method, operationId)`.
#[cfg(feature = "openapi")]
fn operations(router: &Router) -> Vec<(String, String, String)> {
    let doc = router.openapi(&crate::openapi::ApiInfo::new("Tracks", "1"));
    let doc = serde_json::to_value(&doc).unwrap();
    let mut ops = Vec::new();
    // The viewset's paths; not the API root's.
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/api/" {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ops.push((path.clone(), method.clone(), id.to_owned()));
            }
        }
    }
    ops.sort();
    ops
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn the_schema_lists_only_offered_operations() {
    let op =
        |path: &str, method: &str, id: &str| (path.to_owned(), method.to_owned(), id.to_owned());
    let r = register(tracks(1).only(StandardAction::READ_ONLY).with_schemas());
    assert_eq!(
        operations(&r),
        [
            op("/api/tracks/", "get", "tracks_list"),
            op("/api/tracks/recent/", "get", "tracks_recent"),
            op("/api/tracks/{id}/", "get", "tracks_retrieve"),
            op("/api/tracks/{id}/play/", "post", "tracks_play"),
        ]
    );
    let r = register(tracks(1).without([Destroy, Create]).with_schemas());
    let ops = operations(&r);
    assert!(
        ops.contains(&op("/api/tracks/{id}/", "put", "tracks_update")),
        "{ops:?}"
    );
    assert!(ops.contains(&op("/api/tracks/{id}/", "patch", "tracks_partial_update")));
    assert!(
        !ops.iter()
            .any(|o| o.1 == "delete" || o.2 == "tracks_create"),
        "{ops:?}"
    );
    // A route left without actions is no path of the document.
    let r = register(tracks(1).only([Create]));
    let ops = operations(&r);
    assert!(!ops.iter().any(|o| o.0 == "/api/tracks/{id}/"), "{ops:?}");
    assert!(ops.contains(&op("/api/tracks/", "post", "tracks_create")));
}

#[cfg(feature = "browsable")]
#[tokio::test]
async fn the_browsable_api_shows_forms_for_offered_methods_only() {
    use crate::renderers::{BrowsableApiRenderer, JsonRenderer, Renderer};
    use std::sync::Arc;
    let page = |r: Router, uri: &'static str| async move {
        let req = http::Request::get(uri)
            .header("host", "h")
            .header("accept", "text/html")
            .body(Full::<Bytes>::default())
            .unwrap();
        let res = r.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    };
    let html = || -> [Arc<dyn Renderer>; 2] {
        [
            Arc::new(BrowsableApiRenderer::new()),
            Arc::new(JsonRenderer::new()),
        ]
    };
    let r = register(tracks(1).renderers(html()).without([Update, Destroy]));
    let detail = page(r.clone(), "/api/tracks/1/").await;
    assert!(detail.contains(r#"id="raw-form-PATCH""#), "{detail}");
    assert!(!detail.contains(r#"id="raw-form-PUT""#));
    assert!(!detail.contains(r#"id="delete-button""#));
    assert!(
        detail.contains("Allowed methods: GET, PATCH, HEAD, OPTIONS"),
        "{detail}"
    );
    let list = page(r, "/api/tracks/").await;
    assert!(list.contains(r#"id="raw-form-POST""#));

    let r = register(tracks(1).renderers(html()).only(StandardAction::READ_ONLY));
    for uri in ["/api/tracks/", "/api/tracks/1/"] {
        let html = page(r.clone(), uri).await;
        assert!(
            !html.contains("raw-form-") && !html.contains(r#"id="delete-button""#),
            "{html}"
        );
        assert!(html.contains("Allowed methods: GET, HEAD, OPTIONS"));
    }
}

/// A list action answering the URLs of the viewset's routes, reversed from the request.
fn with_links(viewset: ModelViewSet<Memory>) -> ModelViewSet<Memory> {
    let links = api_view(|req: Request| async move {
        let one = |name: &str, args: &[&str]| match req.reverse(name, args) {
            Ok(url) => Value::String(url),
            Err(e) => json!({"status": e.status().as_u16(), "log": e.internal_detail()}),
        };
        Ok(Response::new(json!({
            "list": one("track-list", &[]),
            "detail": one("track-detail", &["4"]),
            "play": one("track-play", &["4"]),
            "recent": one("track-recent", &[]),
            "path": req.reverse_path("track-detail", &["4"])?,
        })))
    });
    viewset.action(Action::list("links", "links").method(Method::GET, links))
}

#[tokio::test]
async fn a_viewsets_routes_reverse_by_name_under_the_mount_prefix() {
    let r = with_links(tracks(4))
        .register(Router::new().mount_prefix("/music/"), "/tracks/")
        .unwrap();
    let links = send(&r, Method::GET, "/tracks/links/", None).await.json();
    assert_eq!(
        links,
        json!({
            "list": "http://h/music/tracks/",
            "detail": "http://h/music/tracks/4/",
            "play": "http://h/music/tracks/4/play/",
            "recent": "http://h/music/tracks/recent/",
            "path": "/music/tracks/4/",
        })
    );
    // The reversed paths, less the prefix something in front strips, are the routes.
    let detail = send(&r, Method::GET, "/tracks/4/", None).await.json();
    assert_eq!(detail["id"], 4);
    assert_eq!(
        r.routes().reverse("track-play", &["4"]).as_deref(),
        Ok("/music/tracks/4/play/")
    );
}

#[tokio::test]
async fn actions_not_offered_do_not_reverse() {
    let r = with_links(tracks(4).only([List]))
        .register(Router::new(), "/api/tracks/")
        .unwrap();
    let reply = send(&r, Method::GET, "/api/tracks/links/", None).await;
    // `reverse_path` of the missing detail route failed, with `?`: a 500 that hides why.
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json(), json!({"detail": "A server error occurred."}));
    assert_eq!(
        r.routes().reverse("track-detail", &["4"]),
        Err(crate::ReverseError::UnknownName("track-detail".into()))
    );
    assert_eq!(
        r.routes().reverse("track-list", &[]).as_deref(),
        Ok("/api/tracks/")
    );
}
