//! Track uploads over HTTP: a raw body and a multipart form, checked (extension, size, real
//! MPEG content), stored (file system or S3), and served back with caching and ranges.

use restframe_tests::App;
use serde_json::Value;

use crate::crud::create_track;

/// A small "MP3": an ID3v2 header, then MPEG frame-sync bytes, then filler.
pub(crate) fn mp3(len: usize) -> Vec<u8> {
    let mut body = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    body.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
    body.extend((0..len.saturating_sub(body.len())).map(|i| (i % 251) as u8));
    body
}

fn multipart(boundary: &str, filename: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nlive take\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: audio/mpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

async fn upload_and_serve(app: &App) {
    let track = create_track(app, "So What", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let content = mp3(300 * 1024);

    // Raw body.
    let r = app
        .send_body(
            "POST",
            &format!("/api/tracks/{id}/upload/so_what.mp3/"),
            "audio/mpeg",
            content.clone(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let uploaded = r.json();
    let file_url = format!("{}/api/tracks/{id}/file/", app.base());
    assert_eq!(uploaded["file"], file_url.as_str());
    assert_eq!(uploaded["title"], "So What");
    assert!(
        uploaded.get("file_key").is_none(),
        "storage keys stay private"
    );
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/"), &[]).await.json()["file"],
        file_url.as_str()
    );

    // Served back: the bytes, audio/mpeg without charset, validators, nosniff.
    let path = format!("/api/tracks/{id}/file/");
    let got = app.get(&path, &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body.as_ref(), &content[..]);
    assert_eq!(got.header("content-type"), "audio/mpeg");
    assert_eq!(got.header("accept-ranges"), "bytes");
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    let etag = got.header("etag").to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let modified = got.header("last-modified").to_owned();
    assert!(!modified.is_empty());
    // Conditional: 304 with no body, by ETag and by date.
    let r = app.get(&path, &[("if-none-match", &etag)]).await;
    assert_eq!((r.status, r.body.len()), (304, 0));
    let r = app.get(&path, &[("if-modified-since", &modified)]).await;
    assert_eq!(r.status, 304);
    // Ranges: 206 and 416.
    let r = app.get(&path, &[("range", "bytes=0-9")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body.as_ref(), &content[..10]);
    assert_eq!(
        r.header("content-range"),
        format!("bytes 0-9/{}", content.len())
    );
    let r = app.get(&path, &[("range", "bytes=99999999-")]).await;
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        format!("bytes */{}", content.len())
    );
    // HEAD: headers, no body.
    let r = app.send("HEAD", &path, &[], "").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert_eq!(r.header("content-length"), content.len().to_string());
    // The file route offers the file's type and JSON only.
    assert_eq!(app.get(&path, &[("accept", "text/csv")]).await.status, 406);

    // Multipart, field `file`, replacing the first upload.
    let other = mp3(5000);
    let boundary = "----restframe-e2e-boundary";
    let r = app
        .send_body(
            "POST",
            &format!("/api/tracks/{id}/upload/so_what_live.mp3/"),
            &format!("multipart/form-data; boundary={boundary}"),
            multipart(boundary, "whatever.mp3", &other),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = app.get(&path, &[]).await;
    assert_eq!(got.body.as_ref(), &other[..]);
    assert_ne!(got.header("etag"), etag, "a new version, a new ETag");

    // The same name again: stored under a unique name, and the replaced file is removed.
    let r = app
        .send_body(
            "POST",
            &format!("/api/tracks/{id}/upload/so_what_live.mp3/"),
            "audio/mpeg",
            content.clone(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app.get(&path, &[]).await.body.as_ref(), &content[..]);
}

async fn bad_uploads_are_refused(app: &App) {
    let track = create_track(app, "Blue in Green", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let url = format!("/api/tracks/{id}/upload/blue.mp3/");

    // A PNG named .mp3: 400 on the file field, nothing stored.
    let png =
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
            .to_vec();
    let r = app.send_body("POST", &url, "audio/mpeg", png).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({"file": ["The file's content is image/png, not one of: audio/mpeg."]})
    );
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/"), &[]).await.json()["file"],
        Value::Null
    );
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/file/"), &[])
            .await
            .status,
        404
    );

    // Not an .mp3 name, or a traversal attempt: no such route.
    for bad in ["blue.wav", "..%2F..%2Fetc%2Fpasswd.mp3", "a%20b.mp3"] {
        let r = app
            .send_body(
                "POST",
                &format!("/api/tracks/{id}/upload/{bad}/"),
                "audio/mpeg",
                mp3(100),
            )
            .await;
        assert_eq!(r.status, 404, "{bad}");
    }
    // Too large (the app runs with --max-upload-size 1MiB): 413 in the negotiated format.
    let r = app
        .send(
            "POST",
            &url,
            &[
                ("content-type", "audio/mpeg"),
                ("accept", "application/yaml"),
            ],
            mp3(1024 * 1024 + 1),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().starts_with("detail: "), "{}", r.text());
    // Empty, or a multipart body without the `file` field.
    let r = app.send_body("POST", &url, "audio/mpeg", Vec::new()).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let boundary = "b0undary";
    let no_file = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{boundary}--\r\n"
    );
    let r = app
        .send_body(
            "POST",
            &url,
            &format!("multipart/form-data; boundary={boundary}"),
            no_file,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({"file": ["No file was submitted."]})
    );
    // An unknown track: 404 before the body is read.
    let r = app
        .send_body(
            "POST",
            "/api/tracks/999999/upload/x.mp3/",
            "audio/mpeg",
            mp3(100),
        )
        .await;
    assert_eq!(r.status, 404);
}

fn start_fs() -> App {
    App::start(
        env!("CARGO_BIN_EXE_example-app"),
        &["--max-upload-size", "1MiB"],
    )
}

#[tokio::test]
async fn uploads_to_the_file_system_are_served_with_caching() {
    let app = start_fs();
    upload_and_serve(&app).await;
    // On disk under the media root, with no temporary files left behind.
    let dir = app.dir().join("media/tracks/1");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    // Only the current file is left: earlier uploads of the track were removed.
    assert_eq!(names.len(), 1, "{names:?}");
    let current = &names[0];
    assert!(
        current.starts_with("so_what_live_") && current.ends_with(".mp3"),
        "{current}"
    );
    // And the same bytes at /media/.
    let r = app.get(&format!("/media/tracks/1/{current}"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "audio/mpeg");
    assert_eq!(
        app.get("/media/.meta/tracks/1/so_what.mp3.json", &[])
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn bad_uploads_to_the_file_system_are_refused() {
    bad_uploads_are_refused(&start_fs()).await;
}

fn start_s3() -> App {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name}: run ./tests/run-all, which starts an S3 server"))
    };
    // The app reads its credentials from the standard AWS variables, given to it alone.
    App::start_with_env(
        env!("CARGO_BIN_EXE_example-app"),
        &[
            "--storage",
            "s3",
            "--s3-endpoint",
            &var("RESTFRAME_TEST_S3_ENDPOINT"),
            "--s3-bucket",
            &var("RESTFRAME_TEST_S3_BUCKET"),
            "--s3-region",
            &var("RESTFRAME_TEST_S3_REGION"),
            "--max-upload-size",
            "1MiB",
        ],
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
async fn uploads_to_s3_are_served_with_caching() {
    upload_and_serve(&start_s3()).await;
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn bad_uploads_to_s3_are_refused() {
    bad_uploads_are_refused(&start_s3()).await;
}
