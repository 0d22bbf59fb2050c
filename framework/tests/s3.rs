//! `S3Storage` against a real, signature-checking S3 server (s3s-fs, started by
//! `./tests/run-all`): save, metadata, ranged reads, delete, and presigned URLs used by a
//! plain HTTP client.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use restframe::storage::{S3Config, S3Storage, Storage};

fn config() -> S3Config {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name}: run ./tests/run-all, which starts an S3 server"))
    };
    S3Config {
        endpoint: Some(var("RESTFRAME_TEST_S3_ENDPOINT")),
        bucket: var("RESTFRAME_TEST_S3_BUCKET"),
        region: var("RESTFRAME_TEST_S3_REGION"),
        access_key_id: var("RESTFRAME_TEST_S3_ACCESS_KEY_ID"),
        secret_access_key: var("RESTFRAME_TEST_S3_SECRET_ACCESS_KEY"),
        path_style: true,
    }
}

async fn read(s: &S3Storage, key: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = s.open(key, range).await.unwrap();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn http(method: &str, url: &str, body: Vec<u8>) -> (u16, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let res = client.request(req).await.unwrap();
    let status = res.status().as_u16();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn s3_storage_round_trip_and_presigned_urls() {
    let s3 = S3Storage::new(config()).unwrap();
    let key = format!("test/{}/big.bin", std::process::id());
    // 12 MiB in 64 KiB chunks: three multipart parts.
    let chunk: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    let chunks = (0..192).map(move |_| Ok(Bytes::from(chunk.clone())));
    let meta = s3
        .save(
            &key,
            "application/x-test",
            Box::pin(futures_util::stream::iter(chunks)),
        )
        .await
        .unwrap();
    assert_eq!(meta.size, 12 * 1024 * 1024);
    assert_eq!(meta.content_type, "application/x-test");
    assert!(!meta.etag.is_empty());
    assert_eq!(s3.metadata(&key).await.unwrap(), Some(meta.clone()));
    assert_eq!(read(&s3, &key, Some(256..260)).await, [0, 1, 2, 3]);
    assert_eq!(read(&s3, &key, None).await.len(), 12 * 1024 * 1024);

    // A presigned PUT works with a plain client and no credentials; a tampered one does not.
    let small = format!("test/{}/small.txt", std::process::id());
    let put = s3
        .presign_put(&small, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    let tampered = put.url.replace("small.txt", "other.txt");
    assert_eq!(http("PUT", &tampered, b"x".to_vec()).await.0, 403);
    assert_eq!(http("PUT", &put.url, b"hello".to_vec()).await.0, 200);
    let get = s3
        .presign_get(&small, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        http("GET", &get.url, Vec::new()).await,
        (200, Bytes::from_static(b"hello"))
    );
    // Unsigned, the object URL is refused.
    assert_eq!(http("GET", &s3.url(&small), Vec::new()).await.0, 403);

    assert!(s3.delete(&key).await.unwrap());
    assert!(!s3.delete(&key).await.unwrap());
    assert_eq!(s3.metadata(&key).await.unwrap(), None);
    assert!(s3.delete(&small).await.unwrap());
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn s3_storage_lists_a_folder_in_pages() {
    let s3 = S3Storage::new(config()).unwrap();
    let folder = format!("list-test/{}/", std::process::id());
    let keys: Vec<String> = (0..5).map(|n| format!("{folder}k{n}.txt")).collect();
    for key in &keys {
        let data = futures_util::stream::iter([Ok(Bytes::from_static(b"x"))]);
        s3.save(key, "text/plain", Box::pin(data)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s3.list(&folder, after.as_deref(), 2).await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|m| m.key.clone()));
        if page.len() < 2 {
            break;
        }
        after = page.last().map(|m| m.key.clone());
    }
    assert_eq!(seen, keys);
    let first = &s3.list(&folder, None, 1).await.unwrap()[0];
    assert_eq!((first.size, first.key.as_str()), (1, keys[0].as_str()));
    assert!(first.last_modified > std::time::SystemTime::UNIX_EPOCH);
    // Another folder's objects are not listed.
    assert!(
        s3.list("list-test/none/", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    for key in &keys {
        assert!(s3.delete(key).await.unwrap());
    }
}
