//! A view end to end in memory: negotiation, rendering, errors and their fallbacks, headers.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use serde_json::json;
use tower::ServiceExt;

use crate::renderers::{
    BinaryRenderer, JsonRenderer, PlainTextRenderer, Renderer, XmlRenderer, YamlRenderer,
};
use crate::{ApiError, ApiView, Request, Response, api_view};

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
    raw: Bytes,
}

async fn send(view: &ApiView, req: http::Request<Full<Bytes>>) -> Reply {
    let res = view.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        raw: body,
    }
}

fn get(accept: &[&str]) -> http::Request<Full<Bytes>> {
    let mut req = http::Request::get("/thing");
    for a in accept {
        req = req.header("accept", *a);
    }
    req.body(Full::default()).unwrap()
}

fn ct(r: &Reply) -> &str {
    r.headers
        .get("content-type")
        .map_or("", |v| v.to_str().unwrap())
}

fn renderers(list: Vec<Arc<dyn Renderer>>) -> Vec<Arc<dyn Renderer>> {
    list
}

fn failing(status: StatusCode) -> ApiView {
    api_view(
        move |_req: Request| async move { Err(ApiError::new(status, "nope", "No thing here.")) },
    )
}

#[tokio::test]
async fn errors_fall_back_to_the_first_data_renderer_when_a_binary_one_was_negotiated() {
    let view = failing(StatusCode::NOT_FOUND).renderers(renderers(vec![
        Arc::new(BinaryRenderer::new(mime::IMAGE_PNG, "png")),
        Arc::new(YamlRenderer::new()),
        Arc::new(JsonRenderer::new()),
    ]));
    let r = send(&view, get(&["image/png"])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(ct(&r), "application/yaml; charset=utf-8");
    assert_eq!(r.body, "detail: No thing here.\n");
}

#[tokio::test]
async fn errors_fall_back_when_plain_text_was_negotiated() {
    let view = failing(StatusCode::CONFLICT).renderers(renderers(vec![
        Arc::new(PlainTextRenderer::new()),
        Arc::new(JsonRenderer::new()),
    ]));
    let r = send(&view, get(&["text/plain"])).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(ct(&r), "application/json");
    assert_eq!(r.body, r#"{"detail":"No thing here."}"#);
}

#[tokio::test]
async fn errors_are_json_when_no_renderer_renders_data() {
    let view = failing(StatusCode::GONE)
        .renderers(renderers(vec![Arc::new(BinaryRenderer::octet_stream())]));
    let r = send(&view, get(&[])).await;
    assert_eq!((r.status, ct(&r)), (StatusCode::GONE, "application/json"));
}

#[tokio::test]
async fn vary_is_sent_only_when_there_is_a_choice() {
    let ok = || api_view(|_req: Request| async { Ok(Response::new(1)) });
    let one = ok().renderers(renderers(vec![Arc::new(JsonRenderer::new())]));
    assert!(send(&one, get(&[])).await.headers.get("vary").is_none());
    let two = ok().renderers(renderers(vec![
        Arc::new(JsonRenderer::new()),
        Arc::new(YamlRenderer::new()),
    ]));
    assert_eq!(send(&two, get(&[])).await.headers["vary"], "Accept");
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_view_keeps_serving() {
    let view = api_view(|req: Request| async move {
        if req.uri().path() == "/boom" {
            panic!("kaboom");
        }
        Ok(Response::new("fine"))
    });
    let boom = http::Request::get("/boom").body(Full::default()).unwrap();
    let r = send(&view, boom).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.body, r#"{"detail":"A server error occurred."}"#);
    assert!(
        !r.body.contains("kaboom"),
        "the panic message stays in the log"
    );
    assert_eq!(send(&view, get(&[])).await.body, r#""fine""#);
}

#[tokio::test]
async fn a_wildcard_renderer_never_labels_bytes_with_the_clients_type() {
    let images = || {
        renderers(vec![Arc::new(BinaryRenderer::new(
            "image/*".parse().unwrap(),
            "img",
        ))])
    };
    let unlabelled =
        api_view(|_req: Request| async { Ok(Response::new(Bytes::from_static(b"\x89PNG"))) })
            .renderers(images());
    let r = send(&unlabelled, get(&["image/webp"])).await;
    assert_eq!(ct(&r), "application/octet-stream");

    let labelled = api_view(|req: Request| async move {
        assert_eq!(req.negotiated().media_type(), "image/webp");
        Ok(Response::bytes(
            Bytes::from_static(b"\x89PNG"),
            mime::IMAGE_PNG,
        ))
    })
    .renderers(images());
    let r = send(&labelled, get(&["image/webp"])).await;
    assert_eq!((r.status, ct(&r)), (StatusCode::OK, "image/png"));
    assert_eq!(&r.raw[..], b"\x89PNG");
}

#[tokio::test]
async fn an_explicit_content_type_keeps_its_parameters_and_gets_a_charset_when_textual() {
    let view = |m: &'static str| {
        api_view(move |_req: Request| async move {
            Ok(Response::new("<p>hi</p>").with_content_type(m.parse().unwrap()))
        })
    };
    let r = send(&view("text/html"), get(&[])).await;
    assert_eq!(ct(&r), "text/html; charset=utf-8");
    let r = send(&view("text/html; charset=iso-8859-1"), get(&[])).await;
    assert_eq!(ct(&r), "text/html; charset=iso-8859-1");
    let r = send(&view("application/vnd.thing+json"), get(&[])).await;
    assert_eq!(ct(&r), "application/vnd.thing+json");
}

#[tokio::test]
async fn data_a_format_cannot_hold_is_a_406_in_a_format_that_can() {
    let view = api_view(|_req: Request| async { Ok(Response::new(json!({"1st": 1}))) }).renderers(
        renderers(vec![
            Arc::new(JsonRenderer::new()),
            Arc::new(XmlRenderer::new()),
        ]),
    );
    let r = send(&view, get(&["application/xml"])).await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(ct(&r), "application/json");
    assert!(r.body.contains("1st"), "{}", r.body);
}

#[tokio::test]
async fn accept_field_lines_are_combined() {
    let view = api_view(|_req: Request| async { Ok(Response::new(1)) }).renderers(renderers(vec![
        Arc::new(JsonRenderer::new()),
        Arc::new(YamlRenderer::new()),
    ]));
    let r = send(&view, get(&["application/json;q=0.5", "application/yaml"])).await;
    assert_eq!(ct(&r), "application/yaml; charset=utf-8");
}

fn post(content_type: Option<&str>, body: &'static str) -> http::Request<Full<Bytes>> {
    let mut req = http::Request::post("/thing");
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    req.body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

fn echo() -> ApiView {
    api_view(|mut req: Request| async move { Ok(Response::new(req.value().await?)) })
}

#[tokio::test]
async fn an_empty_body_is_empty_data_whatever_its_type() {
    for ct in [None, Some("application/json"), Some("application/pdf")] {
        let r = send(&echo(), post(ct, "")).await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (StatusCode::OK, "null"),
            "{ct:?}"
        );
    }
}

#[tokio::test]
async fn a_body_without_content_type_is_415() {
    let r = send(&echo(), post(None, "{}")).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.body.contains("Missing Content-Type"), "{}", r.body);
}

#[tokio::test]
async fn a_field_that_does_not_fit_is_a_drf_shaped_400() {
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Track {
        title: String,
        year: u16,
    }
    let view = api_view(|mut req: Request| async move {
        let t: Track = req.data().await?;
        Ok(Response::new(t))
    });
    let r = send(
        &view,
        post(
            Some("application/json"),
            r#"{"title": "x", "year": "soon"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["year"][0], "A valid integer is required.", "{body}");
    let r = send(&view, post(Some("application/json"), r#""just a string""#)).await;
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(body["non_field_errors"][0].is_string(), "{body}");
}

#[tokio::test]
async fn a_body_cut_off_by_tower_https_limit_is_a_413_in_the_negotiated_format() {
    let limited = tower::ServiceBuilder::new()
        .layer(tower_http::limit::RequestBodyLimitLayer::new(16))
        .service(echo().renderers(renderers(vec![
            Arc::new(JsonRenderer::new()),
            Arc::new(YamlRenderer::new()),
        ])));
    let req = http::Request::post("/thing")
        .header("content-type", "application/json")
        .header("accept", "application/yaml")
        .body(Full::new(Bytes::from(format!("[{}1]", "1,".repeat(100)))))
        .unwrap();
    let res = limited.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        res.headers()["content-type"],
        "application/yaml; charset=utf-8"
    );
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        &body[..],
        b"detail: Request body larger than the server accepts.\n"
    );
}

#[test]
fn pages_show_the_path_as_the_client_sent_it() {
    use crate::extensions::MountPrefix;
    let uri: http::Uri = "/tracks/?page=2".parse().unwrap();
    assert_eq!(super::page_path(&uri, None), "/tracks/?page=2");
    let prefix = MountPrefix("/api".into());
    assert_eq!(super::page_path(&uri, Some(&prefix)), "/api/tracks/?page=2");
    // `//host/` would be another site to a browser.
    let uri: http::Uri = "//evil.example/x".parse().unwrap();
    assert_eq!(super::page_path(&uri, None), "/evil.example/x");
}
