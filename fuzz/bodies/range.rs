//! Any `Range` and `If-Range` header on `GET` or `HEAD` of a stored file, through the public
//! serving path (`Router::files`, `serve_file`, the file-system storage): the answer is a 200 of
//! the whole file, a 206 of exactly the bytes its `Content-Range` names, or a 416, and never a
//! panic.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::Router;
use restframe::storage::{FileSystemStorage, Storage};
use tower::ServiceExt;

/// The stored file's size.
const SIZE: usize = 10_000;

struct Served {
    runtime: tokio::runtime::Runtime,
    router: Router,
    content: Vec<u8>,
    etag: String,
    last_modified: String,
}

/// The router serving one stored file, built once per process.
fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let root = root();
        let _ = std::fs::remove_dir_all(&root);
        let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        let storage = Arc::new(FileSystemStorage::new(&root, "/media/"));
        runtime
            .block_on(storage.save(
                "a/song.mp3",
                "audio/mpeg",
                Box::pin(futures_util::stream::iter([Ok(Bytes::from(
                    content.clone(),
                ))])),
            ))
            .expect("the file is stored");
        let router = Router::new()
            .files("/media/", "media", storage, "public, max-age=60")
            .expect("the files route");
        let (status, headers, _) = runtime.block_on(get(&router, Method::GET, &[]));
        assert_eq!(status, StatusCode::OK);
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        Served {
            etag: header("etag"),
            last_modified: header("last-modified"),
            runtime,
            router,
            content,
        }
    })
}

/// Where the file is stored: a directory of this process's own.
fn root() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("restframe-fuzz-range-{}", std::process::id()))
}

/// Removes the stored file; for the stable replay, once done (the fuzzer never returns).
#[allow(dead_code)] // the fuzz target never calls it
pub fn cleanup() {
    let _ = std::fs::remove_dir_all(root());
}

async fn get(
    router: &Router,
    method: Method,
    headers: &[(&str, &[u8])],
) -> (StatusCode, http::HeaderMap, Bytes) {
    let mut req = http::Request::builder()
        .method(method)
        .uri("/media/a/song.mp3")
        .header("host", "localhost");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let Ok(req) = req.body(Full::new(Bytes::new())) else {
        // Not a valid header value: hyper would have refused the request.
        return (
            StatusCode::BAD_REQUEST,
            http::HeaderMap::new(),
            Bytes::new(),
        );
    };
    let Ok(res) = router.clone().oneshot(req).await;
    let (parts, body) = res.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => panic!("the file's body failed: {e}"),
    };
    (parts.status, parts.headers, body)
}

/// One run: `flags range \n if-range`. Bit 0 of `flags` asks `HEAD` instead of `GET`; bit 1
/// sends an `If-Range` (the literal `etag` or `date` standing for the file's current `ETag` or
/// `Last-Modified`).
pub fn run(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (range, if_range) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let s = served();
    let if_range = match if_range {
        Some(b"etag") => Some(s.etag.as_bytes()),
        Some(b"date") => Some(s.last_modified.as_bytes()),
        other => other,
    };
    let head = flags & 1 == 1;
    let mut headers: Vec<(&str, &[u8])> = vec![("range", range)];
    if let (true, Some(v)) = (flags & 2 == 2, if_range) {
        headers.push(("if-range", v));
    }
    let method = if head { Method::HEAD } else { Method::GET };
    let (status, h, body) = s.runtime.block_on(get(&s.router, method, &headers));
    if status == StatusCode::BAD_REQUEST && h.is_empty() {
        return;
    }
    let header = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(usize::MAX);
    match status {
        StatusCode::OK => {
            assert_eq!(length, SIZE);
            if !head {
                assert!(body == s.content, "a 200 with other bytes than the file's");
            }
        }
        StatusCode::PARTIAL_CONTENT => {
            let Some((first, last)) = header("content-range")
                .strip_prefix("bytes ")
                .and_then(|r| r.strip_suffix(&format!("/{SIZE}")))
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
            else {
                panic!("a 206 with Content-Range {:?}", header("content-range"));
            };
            assert!(first <= last && last < SIZE, "{first}-{last}");
            assert!(
                range.trim_ascii().starts_with(b"bytes="),
                "a 206 without a byte range"
            );
            assert_eq!(length, last - first + 1);
            if !head {
                assert!(
                    body[..] == s.content[first..=last],
                    "a 206 with other bytes"
                );
            }
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            assert_eq!(header("content-range"), format!("bytes */{SIZE}"));
        }
        other => panic!("{other} for Range {range:?}"),
    }
}
