//! Stored files served through a view: caching validators, 304, ranges, 416, HEAD.
#![cfg(feature = "files")]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::files::serve_file;
use restframe::renderers::{BinaryRenderer, JsonRenderer};
use restframe::storage::{FileSystemStorage, Storage};
use restframe::{Request, Router, api_view};
use tower::ServiceExt;

async fn router() -> (Router, std::path::PathBuf) {
    let root = std::env::temp_dir().join(format!("rf-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let media = Arc::new(FileSystemStorage::new(&root, "/media/"));
    let body: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    media
        .save(
            "a/song.mp3",
            "audio/mpeg",
            Box::pin(futures_util::stream::iter([Ok(Bytes::from(body))])),
        )
        .await
        .unwrap();
    let view = api_view(move |req: Request| {
        let media = media.clone();
        async move {
            let key = req.path_param("key").unwrap_or_default().to_owned();
            serve_file(&req, &*media, &key, "public, max-age=60").await
        }
    })
    .renderers([
        Arc::new(BinaryRenderer::new("audio/mpeg".parse().unwrap(), "mp3")) as _,
        Arc::new(JsonRenderer::new()) as _,
    ]);
    let router = Router::new()
        .route("/media/{key:[a-z/]+\\.mp3}", "media", [(Method::GET, view)])
        .unwrap();
    (router, root)
}

async fn get(
    r: &Router,
    method: Method,
    headers: &[(&str, &str)],
) -> (StatusCode, http::HeaderMap, Bytes) {
    let mut req = http::Request::builder()
        .method(method)
        .uri("/media/a/song.mp3")
        .header("host", "h");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = r
        .clone()
        .oneshot(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test]
async fn files_are_served_with_caching_and_ranges() {
    let (r, root) = router().await;
    let (status, h, body) = get(&r, Method::GET, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), 10_000);
    assert_eq!(h["content-type"], "audio/mpeg");
    assert_eq!(h["content-length"], "10000");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "public, max-age=60");
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag.len(), 66, "a quoted sha256: {etag}");
    let modified = h["last-modified"].to_str().unwrap().to_owned();

    let (status, h, body) = get(&r, Method::GET, &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(h["etag"], etag.as_str());
    let (status, _, _) = get(&r, Method::GET, &[("if-modified-since", &modified)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, _) = get(&r, Method::GET, &[("if-none-match", "\"other\"")]).await;
    assert_eq!(status, 200);

    let (status, h, body) = get(&r, Method::GET, &[("range", "bytes=256-259")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&body[..], &[0, 1, 2, 3]);
    assert_eq!(h["content-range"], "bytes 256-259/10000");
    assert_eq!(h["content-length"], "4");
    let (status, h, _) = get(&r, Method::GET, &[("range", "bytes=20000-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(h["content-range"], "bytes */10000");

    let (status, h, body) = get(&r, Method::HEAD, &[]).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
    assert_eq!(h["content-length"], "10000");
    assert_eq!(h["etag"], etag.as_str());

    // Accept negotiation still applies: the file's type or JSON (errors), nothing else.
    let (status, _, _) = get(&r, Method::GET, &[("accept", "image/png")]).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    std::fs::remove_dir_all(root).unwrap();
}
