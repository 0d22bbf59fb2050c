//! The router in memory: matching, suffixes, trailing slashes, HEAD, OPTIONS, 405, 404, root.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{RouteError, Router};
use crate::parsers::{JsonParser, Parser, YamlParser};
use crate::renderers::{JsonRenderer, Renderer, YamlRenderer};
use crate::{ApiError, ApiView, Request, Response, api_view};

fn renderers() -> Vec<Arc<dyn Renderer>> {
    vec![Arc::new(JsonRenderer::new()), Arc::new(YamlRenderer::new())]
}

fn parsers() -> Vec<Arc<dyn Parser>> {
    vec![Arc::new(JsonParser::new()), Arc::new(YamlParser::new())]
}

/// A view answering what it saw: method, path params, negotiated format.
fn echo(name: &str) -> ApiView {
    let label = name.to_owned();
    api_view(move |req: Request| {
        let label = label.clone();
        async move {
            Ok(Response::new(json!({
                "view": label,
                "method": req.method().as_str(),
                "id": req.path_param("id"),
                "format": req.negotiated().format(),
            })))
        }
    })
    .name(name)
    .description("Tracks of the catalogue.")
    .renderers(renderers())
    .parsers(parsers())
}

fn router() -> Router {
    Router::new()
        .route(
            "/api/tracks/",
            "track-list",
            [(Method::GET, echo("list")), (Method::POST, echo("create"))],
        )
        .and_then(|r| {
            r.route(
                "/api/tracks/{id:[0-9]+}/",
                "track-detail",
                [
                    (Method::GET, echo("retrieve")),
                    (Method::DELETE, echo("destroy")),
                ],
            )
        })
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
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

async fn send(method: Method, uri: &str, accept: Option<&str>) -> Reply {
    let mut req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "example.org");
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = router()
        .oneshot(req.body(Full::<Bytes>::default()).unwrap())
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
async fn each_method_reaches_its_view_with_the_captures() {
    let r = send(Method::GET, "/api/tracks/42/", None).await;
    assert_eq!(
        r.json(),
        json!({"view": "retrieve", "method": "GET", "id": "42", "format": "json"})
    );
    let r = send(Method::DELETE, "/api/tracks/42/", None).await;
    assert_eq!(r.json()["view"], "destroy");
    let r = send(Method::POST, "/api/tracks/", None).await;
    assert_eq!(r.json()["view"], "create");
}

#[tokio::test]
async fn the_trailing_slash_is_optional() {
    assert_eq!(
        send(Method::GET, "/api/tracks", None).await.json()["view"],
        "list"
    );
    assert_eq!(
        send(Method::GET, "/api/tracks/42", None).await.json()["id"],
        "42"
    );
}

#[tokio::test]
async fn format_suffixes_pick_the_renderer_on_list_and_detail_routes() {
    let r = send(Method::GET, "/api/tracks.yaml", Some("application/json")).await;
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");
    let r = send(Method::GET, "/api/tracks/42.yaml/", None).await;
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");
    assert!(std::str::from_utf8(&r.body).unwrap().contains("id: '42'"));
    // ?format= still works when the path has no suffix, and the suffix wins over it.
    let r = send(Method::GET, "/api/tracks/?format=yaml", None).await;
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");
    let r = send(Method::GET, "/api/tracks.json?format=yaml", None).await;
    assert_eq!(r.header("content-type"), "application/json");
}

#[tokio::test]
async fn an_unknown_suffix_or_a_capture_that_does_not_fit_is_404() {
    for uri in [
        "/api/tracks.pdf",
        "/api/tracks/four/",
        "/api/nothing/",
        "/elsewhere",
    ] {
        let r = send(Method::GET, uri, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(r.json()["detail"], format!("No route for {uri}."));
    }
}

#[tokio::test]
async fn an_unregistered_method_is_405_with_allow_in_the_negotiated_format() {
    let r = send(Method::PUT, "/api/tracks/42/", Some("application/yaml")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), "GET, DELETE, HEAD, OPTIONS");
    assert_eq!(r.header("content-type"), "application/yaml; charset=utf-8");
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "detail: Method \"PUT\" not allowed.\n"
    );
}

#[tokio::test]
async fn head_is_get_without_a_body() {
    // The API root's body does not depend on the method, so the lengths must agree.
    let get = send(Method::GET, "/api/", None).await;
    let head = send(Method::HEAD, "/api/", None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), get.body.len().to_string());
    assert_eq!(head.header("content-type"), get.header("content-type"));
}

#[tokio::test]
async fn options_describes_the_route() {
    let r = send(Method::OPTIONS, "/api/tracks/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("allow"), "GET, POST, HEAD, OPTIONS");
    assert_eq!(
        r.json(),
        json!({
            "name": "list",
            "description": "Tracks of the catalogue.",
            "renders": ["application/json", "application/yaml"],
            "parses": ["application/json", "application/yaml"],
        })
    );
    // A route with no body-taking method parses nothing.
    let r = send(Method::OPTIONS, "/api/tracks/42/", None).await;
    assert_eq!(r.json()["parses"], json!([]));
}

#[tokio::test]
async fn options_of_a_file_route_is_rendered_by_a_data_renderer() {
    let file =
        api_view(|_req: Request| async { Ok(Response::bytes(&b"\x89PNG"[..], mime::IMAGE_PNG)) })
            .renderers([
                Arc::new(crate::renderers::BinaryRenderer::new(
                    mime::IMAGE_PNG,
                    "png",
                )) as Arc<dyn Renderer>,
                Arc::new(JsonRenderer::new()),
            ]);
    let router = Router::new()
        .route("/static/a.png", "a", [(Method::GET, file)])
        .unwrap();
    let req = http::Request::builder()
        .method(Method::OPTIONS)
        .uri("/static/a.png")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = router.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["renders"], json!(["image/png", "application/json"]));
}

#[tokio::test]
async fn pages_get_the_route_forms_with_a_file_input_only_for_multipart() {
    use crate::extensions::RouteForms;
    let seen = api_view(|req: Request| async move {
        let info = req.extensions().get::<RouteForms>().unwrap().0.clone();
        Ok(Response::new(format!("{info:?}")))
    });
    let raw_only = seen
        .clone()
        .parsers([Arc::new(crate::parsers::FileUploadParser::new()) as Arc<dyn Parser>]);
    let multipart = seen.clone().parsers([
        Arc::new(crate::parsers::MultiPartParser::new()) as Arc<dyn Parser>,
        Arc::new(crate::parsers::FileUploadParser::new()),
    ]);
    let router = Router::new()
        .route(
            "/raw/",
            "raw",
            [(Method::PUT, raw_only), (Method::GET, seen.clone())],
        )
        .unwrap()
        .route(
            "/multi/",
            "multi",
            [(Method::POST, multipart), (Method::DELETE, seen)],
        )
        .unwrap();
    let info = |method: Method, uri: &str| {
        let router = router.clone();
        let req = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(Bytes::new()))
            .unwrap();
        async move {
            let body = router
                .oneshot(req)
                .await
                .unwrap()
                .into_body()
                .collect()
                .await;
            String::from_utf8(body.unwrap().to_bytes().to_vec()).unwrap()
        }
    };
    let raw = info(Method::GET, "/raw/").await;
    assert!(
        raw.contains(r#"allow: [\"PUT\", \"GET\", \"HEAD\", \"OPTIONS\"]"#),
        "{raw}"
    );
    assert!(
        raw.contains(r#"method: \"PUT\""#) && raw.contains("file_field: None"),
        "{raw}"
    );
    let multi = info(Method::DELETE, "/multi/").await;
    assert!(multi.contains(r#"file_field: Some(\"file\")"#), "{multi}");
    assert!(
        multi.contains(r#"method: \"DELETE\", media_types: []"#),
        "{multi}"
    );
}

#[tokio::test]
async fn the_api_root_lists_absolute_urls_of_list_routes() {
    let r = send(Method::GET, "/api/", None).await;
    assert_eq!(
        r.json(),
        json!({"track-list": "http://example.org/api/tracks/"})
    );
    let r = send(Method::GET, "/api.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn captures_are_percent_decoded_and_bad_utf8_is_404() {
    let router = Router::new()
        .route("/files/{name}/", "file", [(Method::GET, echo_name())])
        .unwrap();
    let get = |uri: &'static str| {
        router.clone().oneshot(
            http::Request::get(uri)
                .body(Full::<Bytes>::default())
                .unwrap(),
        )
    };
    let res = get("/files/so%20what/").await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#""so what""#);
    assert_eq!(
        get("/files/%FF/").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

fn echo_name() -> ApiView {
    api_view(|req: Request| async move {
        Ok(Response::new(
            req.path_param("name").unwrap_or_default().to_owned(),
        ))
    })
}

#[test]
fn routes_share_a_name_when_their_captures_differ_and_reverse_by_arguments() {
    let table = Router::new()
        .route("/tracks/{id}/", "track", [(Method::GET, echo("a"))])
        .unwrap()
        .route(
            "/{version:v1}/tracks/{id}/",
            "track",
            [(Method::GET, echo("b"))],
        )
        .unwrap()
        .route(
            "/{version:v2}/tracks/{id}/",
            "track",
            [(Method::GET, echo("c"))],
        )
        .unwrap()
        .routes();
    assert_eq!(table.named("track").count(), 3);
    assert_eq!(table.reverse("track", &["4"]).as_deref(), Ok("/tracks/4/"));
    // Django's rule: the first route the arguments fill.
    assert_eq!(
        table.reverse("track", &["v2", "4"]).as_deref(),
        Ok("/v2/tracks/4/")
    );
    assert_eq!(
        table
            .reverse_kwargs("track", &[("id", "4"), ("version", "v1")])
            .as_deref(),
        Ok("/v1/tracks/4/")
    );
    assert!(table.reverse("track", &["v3", "4"]).is_err());
    // The same captures under one name could not be told apart.
    let twice = Router::new()
        .route("/a/{id}/", "a", [(Method::GET, echo("a"))])
        .unwrap()
        .route("/b/{id}/", "a", [(Method::GET, echo("b"))]);
    assert_eq!(twice.unwrap_err(), RouteError::DuplicateName("a".into()));
}

#[test]
fn registration_checks_the_table() {
    let ok = || {
        Router::new()
            .route("/a/", "a", [(Method::GET, echo("a"))])
            .unwrap()
    };
    assert_eq!(
        ok().route("/a/", "b", [(Method::GET, echo("b"))])
            .unwrap_err(),
        RouteError::DuplicatePattern("/a/".into())
    );
    assert_eq!(
        ok().route("/b/", "a", [(Method::GET, echo("b"))])
            .unwrap_err(),
        RouteError::DuplicateName("a".into())
    );
    assert!(matches!(
        ok().route(
            "/b/",
            "b",
            [(Method::GET, echo("b")), (Method::GET, echo("c"))]
        ),
        Err(RouteError::DuplicateMethod { .. })
    ));
    assert_eq!(
        ok().route("/b/", "b", Vec::<(Method, ApiView)>::new())
            .unwrap_err(),
        RouteError::NoMethods("/b/".into())
    );
    let err = ok()
        .route("/b/{id", "b", [(Method::GET, echo("b"))])
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("route pattern `/b/{id`: unclosed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_view_error_keeps_its_headers() {
    let view = api_view(|_req: Request| async {
        Err(
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "Try later.").with_header(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("5"),
            ),
        )
    });
    let router = Router::new()
        .route("/x/", "x", [(Method::GET, view)])
        .unwrap();
    let res = router
        .oneshot(
            http::Request::get("/x/")
                .body(Full::<Bytes>::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
}

async fn json_of(router: Router, uri: &str) -> (StatusCode, Value) {
    let req = http::Request::get(uri)
        .header("host", "example.org")
        .body(Full::<Bytes>::default())
        .unwrap();
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn views_get_the_matched_route_the_mount_prefix_and_the_route_table() {
    use super::RouteTable;
    use crate::extensions::{MatchedRoute, MountPrefix};
    let seen = api_view(|req: Request| async move {
        let matched = req.extensions().get::<MatchedRoute>().unwrap();
        let prefix = req.extensions().get::<MountPrefix>().unwrap();
        let table = req.extensions().get::<Arc<RouteTable>>().unwrap();
        let names: Vec<&str> = table.entries().iter().map(|r| r.name()).collect();
        Ok(Response::new(json!({
            "pattern": matched.pattern(),
            "name": matched.name(),
            "prefix": prefix.as_str(),
            "routes": names,
        })))
    });
    let router = Router::new()
        .mount_prefix("/api")
        .route(
            "/tracks/{id:[0-9]+}/",
            "track-detail",
            [(Method::GET, seen)],
        )
        .unwrap()
        .api_root("/", "api-root")
        .unwrap();
    let (status, body) = json_of(router, "/tracks/4/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"pattern": "/tracks/{id:[0-9]+}/", "name": "track-detail", "prefix": "/api",
               "routes": ["track-detail", "api-root"]})
    );
}

#[tokio::test]
async fn typed_path_parameters_are_a_404_when_missing_or_unparsable() {
    let view = api_view(|req: Request| async move {
        let id: u8 = req.path("id")?;
        Ok(Response::new(u32::from(id) + 1))
    });
    let router = Router::new()
        .route(
            "/tracks/{id}/",
            "track-detail",
            [(Method::GET, view.clone())],
        )
        .unwrap()
        .route("/tracks/", "track-list", [(Method::GET, view)])
        .unwrap();
    assert_eq!(
        json_of(router.clone(), "/tracks/41/").await,
        (StatusCode::OK, json!(42))
    );
    for uri in ["/tracks/four/", "/tracks/300/", "/tracks/"] {
        assert_eq!(
            json_of(router.clone(), uri).await,
            (StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn shared_state_comes_from_the_view_before_the_router_and_is_a_500_when_missing() {
    struct Label(&'static str);
    struct Missing;
    let read = |req: Request| async move { Ok(Response::new(req.state::<Label>()?.0)) };
    let own = api_view(read).with_state(Label("view"));
    let inherited = api_view(read);
    let missing = api_view(|req: Request| async move {
        req.state::<Missing>()?;
        Ok(Response::new("unreachable"))
    });
    let router = Router::new()
        .route("/own/", "own", [(Method::GET, own)])
        .unwrap()
        .route("/inherited/", "inherited", [(Method::GET, inherited)])
        .unwrap()
        .route("/missing/", "missing", [(Method::GET, missing)])
        .unwrap()
        .with_state(Label("router"));
    assert_eq!(
        json_of(router.clone(), "/own/").await,
        (StatusCode::OK, json!("view"))
    );
    assert_eq!(
        json_of(router.clone(), "/inherited/").await,
        (StatusCode::OK, json!("router"))
    );
    assert_eq!(
        json_of(router, "/missing/").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[test]
fn the_route_table_is_made_again_when_the_router_changes() {
    let router = Router::new()
        .route("/a/", "a", [(Method::GET, echo("a"))])
        .unwrap();
    assert_eq!(router.routes().entries().len(), 1);
    let router = router
        .route("/b/", "b", [(Method::GET, echo("b"))])
        .unwrap();
    let table = router.routes();
    assert_eq!(table.entries().len(), 2);
    assert!(Arc::ptr_eq(&table, &router.routes()));
}
