//! Presigned uploads that bypass the app, on the file system (the app's own HMAC-signed URLs)
//! and on a real S3 server (its own SigV4 URLs): a plain PUT, then confirm; expired, tampered
//! and unknown keys refused; unconfirmed uploads cleaned up; the uploader's `Content-Type`
//! never served back (HTML served inert); a URL good for one upload only; the cleanup
//! draining every expired upload; another instance's URL refused with a message that says why.

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
    // RFC 3339 in UTC, as every datetime of the API, and in the future.
    let expires: restframe::DateTime = p["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        p["expires_at"].as_str().unwrap().ends_with('Z'),
        "{}",
        p["expires_at"]
    );
    assert!(expires > restframe::DateTime::now(), "{expires}");

    // Not uploaded yet: confirm says so. A key that is well formed but does not name an
    // upload ready to bind conflicts with the stored state: 409, in DRF's field-error shape.
    let r = confirm(app, id, key).await;
    assert_eq!(r.status, 409);
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
    assert_eq!(confirm(app, other, key).await.status, 409);
    assert_eq!(
        confirm(app, id, "pending/tracks/1/nope.mp3").await.status,
        409
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
    assert_eq!(confirm(app, id, key).await.status, 409);

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
    // Refused and removed: the key names nothing any more.
    assert_eq!(
        confirm(app, id, p["key"].as_str().unwrap()).await.status,
        409
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
        409
    );
    let r = confirm(app, id, kept["key"].as_str().unwrap()).await;
    assert_eq!(r.status, 409);
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
    let mut left = Vec::new();
    for _ in 0..100 {
        left = pending_files(&app.dir().join("media"));
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "{left:?}");
}

/// The objects of presigned uploads not yet confirmed, under a file-system media root (where
/// the app puts them: `uploads/pending/`, and `pending/` before that), hidden files aside.
fn pending_files(media: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&media.join("uploads/pending"), &mut out);
    walk(&media.join("pending"), &mut out);
    out
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

/// An MP3 by its first bytes (an ID3 tag, an MPEG frame header), and an HTML page after them.
const HOSTILE: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00\xFF\xFB\x90\x64\
<html><body><script>alert(document.domain)</script></body></html>";

/// A stored-file answer that no browser renders as a page of the app's origin.
fn assert_inert(r: &restframe_tests::Reply) {
    let ct = r.header("content-type");
    assert!(!ct.contains("html") && !ct.contains("xml"), "{ct}");
    assert_eq!(
        r.header("content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
}

/// HTML uploaded as `text/html` to a presigned URL, with an MP3's first bytes so that it
/// passes the checks: the track's file is served as the sniffed `audio/mpeg`, inert.
async fn html_upload_is_served_inert(app: &App) {
    let id = create_track(app, "Trojan", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let p = presign(app, id).await;
    let r = app
        .send_to_url_with(
            "PUT",
            p["url"].as_str().unwrap(),
            &[("content-type", "text/html; charset=utf-8")],
            HOSTILE.to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = confirm(app, id, p["key"].as_str().unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    for accept in ["*/*", "text/html,*/*;q=0.1"] {
        let file = app
            .get(&format!("/api/tracks/{id}/file/"), &[("accept", accept)])
            .await;
        assert_eq!(file.status, 200, "{}", file.text());
        assert_inert(&file);
        assert_eq!(file.header("content-type"), "audio/mpeg");
        assert_eq!(file.body.as_ref(), HOSTILE);
    }
}

/// After confirm, the URL takes nothing more that could reach the track: the app's own route
/// refuses it (403); on S3 the PUT lands at the pending key, which is never bound again.
async fn a_used_url_changes_nothing(app: &App, own_route: bool) {
    let id = create_track(app, "Once", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let p = presign(app, id).await;
    let (url, key) = (p["url"].as_str().unwrap(), p["key"].as_str().unwrap());
    let content = mp3(4096);
    assert_eq!(
        app.send_to_url("PUT", url, content.clone()).await.status,
        200
    );
    let r = confirm(app, id, key).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let bound = r.json()["file"].clone();

    let again = app.send_to_url("PUT", url, HOSTILE.to_vec()).await;
    if own_route {
        assert_eq!(again.status, 403, "{}", again.text());
        assert!(again.text().contains("already used"), "{}", again.text());
    }
    assert_eq!(confirm(app, id, key).await.status, 409);
    let file = app.get(&format!("/api/tracks/{id}/file/"), &[]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body.as_ref(), &content[..]);
    let track = app.get(&format!("/api/tracks/{id}/"), &[]).await.json();
    assert_eq!(track["file"], bound);
}

#[tokio::test]
async fn a_presigned_html_upload_is_served_inert_on_the_file_system() {
    let app = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    html_upload_is_served_inert(&app).await;

    // Never confirmed: the object under the presigned key is not served as a page either.
    let id = create_track(&app, "Bait", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let p = presign(&app, id).await;
    let page = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    let r = app
        .send_to_url_with(
            "PUT",
            p["url"].as_str().unwrap(),
            &[("content-type", "text/html")],
            page,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .get(&format!("/media/{}", p["key"].as_str().unwrap()), &[])
        .await;
    if r.status == 200 {
        assert_inert(&r);
        assert_eq!(r.header("content-type"), "application/octet-stream");
        assert_eq!(r.header("content-disposition"), "attachment");
    } else {
        assert_eq!(r.status, 404, "{}", r.text());
    }
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn a_presigned_html_upload_is_served_inert_on_s3() {
    html_upload_is_served_inert(&start_s3(&[])).await;
}

#[tokio::test]
async fn a_presigned_url_is_refused_once_confirmed_on_the_file_system() {
    let app = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    a_used_url_changes_nothing(&app, true).await;
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn a_presigned_url_used_again_is_never_bound_on_s3() {
    a_used_url_changes_nothing(&start_s3(&[]), false).await;
}

#[tokio::test]
async fn the_presigned_url_of_a_deleted_track_is_refused() {
    let app = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    let id = create_track(&app, "Gone", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let p = presign(&app, id).await;
    assert_eq!(app.delete(&format!("/api/tracks/{id}/")).await.status, 204);
    let r = app
        .send_to_url("PUT", p["url"].as_str().unwrap(), mp3(1000))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn an_oversized_presigned_upload_on_s3_is_refused_at_confirm_and_removed() {
    let app = start_s3(&["--max-upload-size", "1KiB"]);
    let id = create_track(&app, "Big", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let p = presign(&app, id).await;
    // S3 takes it (its presigned PUT has no size limit), but it is never bound.
    let r = app
        .send_to_url("PUT", p["url"].as_str().unwrap(), mp3(2048))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = confirm(&app, id, p["key"].as_str().unwrap()).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"file": ["Ensure this file is no larger than 1024 bytes (it is 2048)."]})
    );
    // Removed with its record: the key is unknown now.
    let r = confirm(&app, id, p["key"].as_str().unwrap()).await;
    assert_eq!(r.json(), json!({"key": ["Unknown or expired upload key."]}));
    let track = app.get(&format!("/api/tracks/{id}/"), &[]).await.json();
    assert_eq!(track["file"], Value::Null);
}

#[tokio::test]
async fn a_presigned_url_of_another_instance_is_refused_with_a_message_that_says_why() {
    // Neither has --secret-key: each signs with its own random key.
    let a = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    let b = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    let id = create_track(&a, "Elsewhere", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        create_track(&b, "Elsewhere", "Someone", None).await["id"],
        id
    );
    let p = presign(&a, id).await;
    let url = p["url"].as_str().unwrap().replace(a.base(), b.base());
    let r = b.send_to_url("PUT", &url, mp3(1000)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("another instance"), "{detail}");
    assert!(detail.contains("--secret-key"), "{detail}");
}

/// Starts the app binary on the database and media root of `app` (stopped), with `args`; its
/// output is discarded. The caller kills it.
fn restart(app: &App, args: &[&str]) -> std::process::Child {
    std::process::Command::new(app.bin())
        .args(["--bind", "127.0.0.1:0", "--log", "warn", "--database-url"])
        .arg(app.database_url())
        .arg("--media-root")
        .arg(app.dir().join("media"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("restart example-app")
}

#[tokio::test]
async fn the_presign_cleanup_drains_every_expired_upload() {
    // More expired uploads than one batch of the old cleanup (1,000), all to be removed by
    // one run of the cleanup (at startup; the next is an hour away).
    const UPLOADS: usize = 1100;
    let mut app = App::start(
        env!("CARGO_BIN_EXE_example-app"),
        &["--presign-expiry", "2", "--upload-cleanup-interval", "1h"],
    );
    let id = create_track(&app, "Many", "Someone", None).await["id"]
        .as_i64()
        .unwrap();
    let app_ref = &app;
    let mut done = 0;
    while done < UPLOADS {
        let batch = (UPLOADS - done).min(16);
        let puts = (0..batch).map(|_| async move {
            let p = presign(app_ref, id).await;
            app_ref
                .send_to_url("PUT", p["url"].as_str().unwrap(), mp3(64))
                .await
                .status
        });
        let statuses = futures_util::future::join_all(puts).await;
        // A PUT can come after its expiry on a slow machine: that one stored nothing.
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 403),
            "{statuses:?}"
        );
        done += batch;
    }
    assert!(app.terminate(Duration::from_secs(10)).is_some());
    let stored = pending_files(&app.dir().join("media")).len();
    assert!(stored > 1000, "only {stored} uploads stored");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let mut again = restart(&app, &["--upload-cleanup-interval", "1h"]);
    let mut left = stored;
    for _ in 0..200 {
        left = pending_files(&app.dir().join("media")).len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = again.kill();
    let _ = again.wait();
    assert_eq!(left, 0, "{left} of {stored} expired uploads left");
}
