//! Presigned uploads that bypass the app, on the file system (the app's own HMAC-signed URLs)
//! and on a real S3 server (its own SigV4 URLs): a plain PUT, then confirm; expired, tampered
//! and unknown keys refused; unconfirmed uploads cleaned up.

use std::time::Duration;

use restframe_tests::App;
use serde_json::{Value, json};

use crate::crud::create_track;

fn mp3(len: usize) -> Vec<u8> {
    let mut body = b"ID3\x04\x00\x00\x00\x00\x00\x00\xFF\xFB\x90\x64".to_vec();
    body.resize(len, 7);
    body
}

async fn presign(app: &App, id: i64) -> Value {
    let r = app
        .post(
            &format!("/api/tracks/{id}/presigned-url/"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn confirm(app: &App, id: i64, key: &str) -> restframe_tests::Reply {
    app.post(
        &format!("/api/tracks/{id}/confirm-upload/"),
        "application/json",
        json!({"key": key}).to_string(),
    )
    .await
}

async fn put_then_confirm(app: &App) {
    let track = create_track(app, "So What", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let p = presign(app, id).await;
    assert_eq!(p["method"], "PUT");
    let url = p["url"].as_str().unwrap();
    let key = p["key"].as_str().unwrap();
    assert!(url.starts_with("http://"), "{url}");
    assert!(key.ends_with(".mp3"), "{key}");
    assert!(p["expires_at"].as_u64().unwrap() > 1_700_000_000);

    // Not uploaded yet: confirm says so.
    let r = confirm(app, id, key).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"key": ["Nothing was uploaded with this key."]})
    );

    // A tampered URL is refused; the real one takes a plain PUT with no headers.
    let tampered = url.replace(".mp3", "x.mp3");
    assert_eq!(
        app.send_to_url("PUT", &tampered, mp3(100)).await.status,
        403
    );
    let content = mp3(64 * 1024);
    let r = app.send_to_url("PUT", url, content.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Another track cannot claim it; an unknown key is refused.
    let other = create_track(app, "Other", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(confirm(app, other, key).await.status, 400);
    assert_eq!(
        confirm(app, id, "pending/tracks/1/nope.mp3").await.status,
        400
    );

    let r = confirm(app, id, key).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["file"],
        format!("{}/api/tracks/{id}/file/", app.base())
    );
    let file = app.get(&format!("/api/tracks/{id}/file/"), &[]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body.as_ref(), &content[..]);
    // Confirmed once: the key is spent.
    assert_eq!(confirm(app, id, key).await.status, 400);

    // An object that is not an MP3 is refused at confirmation, and removed.
    let p = presign(app, id).await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    assert_eq!(
        app.send_to_url("PUT", p["url"].as_str().unwrap(), png)
            .await
            .status,
        200
    );
    let r = confirm(app, id, p["key"].as_str().unwrap()).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"file": ["The file's content is image/png, not one of: audio/mpeg."]})
    );
    assert_eq!(
        confirm(app, id, p["key"].as_str().unwrap()).await.status,
        400
    );
}

async fn expired_urls_and_unconfirmed_uploads(app: &App) {
    let id = create_track(app, "Late", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    // Uploaded in time but never confirmed: removed by the cleanup after expiry.
    let kept = presign(app, id).await;
    assert_eq!(
        app.send_to_url("PUT", kept["url"].as_str().unwrap(), mp3(1000))
            .await
            .status,
        200
    );
    let late = presign(app, id).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Past its expiry, the URL is refused and the key cannot be confirmed.
    let r = app
        .send_to_url("PUT", late["url"].as_str().unwrap(), mp3(1000))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        confirm(app, id, late["key"].as_str().unwrap()).await.status,
        400
    );
    let r = confirm(app, id, kept["key"].as_str().unwrap()).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"key": ["Unknown or expired upload key."]}));
}

fn start(extra: &[&str]) -> App {
    let mut args = vec!["--presign-expiry", "1", "--upload-cleanup-interval", "1"];
    args.extend_from_slice(extra);
    App::start(env!("CARGO_BIN_EXE_example-app"), &args)
}

#[tokio::test]
async fn presigned_uploads_on_the_file_system() {
    let app = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    put_then_confirm(&app).await;
}

#[tokio::test]
async fn expired_presigned_uploads_on_the_file_system() {
    let app = start(&[]);
    expired_urls_and_unconfirmed_uploads(&app).await;
    // The unconfirmed object is gone from disk (the cleanup runs every second; allow it ten).
    let pending = app.dir().join("media/pending/tracks/1");
    let mut left = Vec::new();
    for _ in 0..100 {
        left = std::fs::read_dir(&pending)
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "{left:?}");
}

fn s3_args() -> Vec<String> {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name}: run ./tests/run-all, which starts an S3 server"))
    };
    vec![
        "--storage".into(),
        "s3".into(),
        "--s3-endpoint".into(),
        var("RESTFRAME_TEST_S3_ENDPOINT"),
        "--s3-bucket".into(),
        var("RESTFRAME_TEST_S3_BUCKET"),
        "--s3-region".into(),
        var("RESTFRAME_TEST_S3_REGION"),
    ]
}

fn start_s3(extra: &[&str]) -> App {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let mut args: Vec<String> = s3_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    App::start_with_env(
        env!("CARGO_BIN_EXE_example-app"),
        &args,
        &[
            ("AWS_ACCESS_KEY_ID", &var("RESTFRAME_TEST_S3_ACCESS_KEY_ID")),
            (
                "AWS_SECRET_ACCESS_KEY",
                &var("RESTFRAME_TEST_S3_SECRET_ACCESS_KEY"),
            ),
        ],
    )
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn presigned_uploads_on_s3() {
    put_then_confirm(&start_s3(&[])).await;
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn expired_presigned_uploads_on_s3() {
    let app = start_s3(&["--presign-expiry", "1", "--upload-cleanup-interval", "1"]);
    expired_urls_and_unconfirmed_uploads(&app).await;
}

#[tokio::test]
async fn an_oversized_presigned_upload_on_the_file_system_is_413_and_stores_nothing() {
    let app = App::start(
        env!("CARGO_BIN_EXE_example-app"),
        &["--max-upload-size", "1KiB"],
    );
    let id = create_track(&app, "Big", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let p = presign(&app, id).await;
    let r = app
        .send_to_url("PUT", p["url"].as_str().unwrap(), mp3(2048))
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    let r = confirm(&app, id, p["key"].as_str().unwrap()).await;
    assert_eq!(
        r.json(),
        json!({"key": ["Nothing was uploaded with this key."]})
    );
}
