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
    // As a generated client writes the key, its slashes percent-encoded.
    let encoded = app
        .get(&format!("/media/tracks%2F1%2F{current}"), &[])
        .await;
    assert_eq!(encoded.status, 200, "{}", encoded.text());
    assert_eq!(encoded.body, r.body);
    // Encoded slashes are no way out of the storage, nor into its metadata.
    for path in [
        "/media/tracks%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/media/tracks%2F1%2F..%2F..%2Fdata%2Fdb.sqlite3",
        "/media/.meta%2Ftracks%2F1%2Fso_what.mp3.json",
        "/media/%2Fetc%2Fpasswd",
    ] {
        let r = app.get(path, &[]).await;
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.text()
        );
    }
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

/// The non-hidden files in `dir` (none when it is missing).
fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// Every file under `dir`, hidden ones included, as paths relative to it.
fn all_files(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

async fn upload(app: &App, id: i64, name: &str, content: Vec<u8>) -> restframe_tests::Reply {
    app.send_body(
        "POST",
        &format!("/api/tracks/{id}/upload/{name}/"),
        "audio/mpeg",
        content,
    )
    .await
}

#[tokio::test]
async fn a_poisoned_host_on_an_upload_is_not_shown_to_other_clients() {
    // Any host accepted (the default list would refuse this one up front).
    let app = App::start_with_env(
        env!("CARGO_BIN_EXE_example-app"),
        &[],
        &[("EXAMPLE_APP_ALLOWED_HOSTS", "*")],
    );
    let track = create_track(&app, "Freddie Freeloader", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let r = app
        .send(
            "POST",
            &format!("/api/tracks/{id}/upload/freddie.mp3/"),
            &[
                ("host", "downloads.evil.example"),
                ("content-type", "audio/mpeg"),
            ],
            mp3(2000),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Everyone else sees the file on their own host.
    let own = format!("{}/api/tracks/{id}/file/", app.base());
    let list = app.anonymous().get("/api/tracks/", &[]).await;
    assert_eq!(list.json()["results"][0]["file"], own.as_str());
    let detail = app
        .anonymous()
        .get(&format!("/api/tracks/{id}/"), &[])
        .await;
    assert_eq!(detail.json()["file"], own.as_str());
    for path in ["/api/tracks/", "/api/tracks.json", "/tracks/"] {
        let page = app.anonymous().get(path, &[("accept", "*/*")]).await;
        assert!(!page.text().contains("evil"), "{path}: {}", page.text());
    }
}

#[tokio::test]
async fn deleting_a_track_deletes_its_file_and_pending_uploads() {
    let app = start_fs();
    let track = create_track(&app, "All Blues", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let r = upload(&app, id, "all_blues.mp3", mp3(4000)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let media = app.dir().join("media");
    let names = files_in(&media.join(format!("tracks/{id}")));
    assert_eq!(names.len(), 1, "{names:?}");
    let served = format!("/media/tracks/{id}/{}", names[0]);
    assert_eq!(app.get(&served, &[]).await.status, 200);
    // A presigned upload, PUT but not confirmed.
    let grant = app
        .send_body(
            "POST",
            &format!("/api/tracks/{id}/presigned-url/"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(grant.status, 201, "{}", grant.text());
    let grant = grant.json();
    let put = app
        .send_to_url("PUT", grant["url"].as_str().unwrap(), mp3(3000))
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let pending = media.join(grant["key"].as_str().unwrap());
    assert!(pending.exists(), "{}", pending.display());

    assert_eq!(app.delete(&format!("/api/tracks/{id}/")).await.status, 204);
    assert_eq!(
        files_in(&media.join(format!("tracks/{id}"))),
        Vec::<String>::new()
    );
    assert!(!pending.exists(), "the pending upload went with its track");
    assert_eq!(app.get(&served, &[]).await.status, 404);
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/file/"), &[])
            .await
            .status,
        404
    );
    // No side file is left for either.
    let left: Vec<String> = all_files(&media)
        .into_iter()
        .filter(|f| f.contains(&format!("tracks/{id}/")))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

#[tokio::test]
async fn concurrent_uploads_to_one_track_leave_one_file_always_readable() {
    let app = start_fs();
    let track = create_track(&app, "Flamenco Sketches", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let first = upload(&app, id, "first.mp3", mp3(20_000)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let done = std::sync::atomic::AtomicBool::new(false);
    let file = format!("/api/tracks/{id}/file/");
    let reader = async {
        let mut reads = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let r = app.anonymous().get(&file, &[]).await;
            assert_eq!(r.status, 200, "read {reads}: {}", r.text());
            reads += 1;
        }
        reads
    };
    let writers = async {
        let uploads = (0..20).map(|n| upload(&app, id, "take.mp3", mp3(20_000 + n)));
        let replies = futures_util::future::join_all(uploads).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        replies
    };
    let (reads, replies) = tokio::join!(reader, writers);
    assert!(reads > 0);
    for r in &replies {
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let names = files_in(&app.dir().join(format!("media/tracks/{id}")));
    assert_eq!(names.len(), 1, "exactly one file: {names:?}");
    // The one left is the one bound, and it is served.
    let got = app.get(&file, &[]).await;
    assert_eq!(got.status, 200);
    let len = got.body.len();
    assert!((20_000..20_020).contains(&len), "{len}");
    let stored = std::fs::read(app.dir().join(format!("media/tracks/{id}/{}", names[0]))).unwrap();
    assert_eq!(stored, got.body.as_ref());
}

/// An upload whose connection may be cut: a 404 for a track already gone is answered before
/// the body is read, and the server then closes the connection with the body unread, which
/// can reset it under the client. `None` for a cut connection.
async fn upload_or_cut(app: &App, id: i64, name: &str, content: Vec<u8>) -> Option<u16> {
    use http_body_util::{BodyExt, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let req = http::Request::post(format!("{}/api/tracks/{id}/upload/{name}/", app.base()))
        .header("content-type", "audio/mpeg")
        .header("authorization", format!("Token {}", app.admin_token()))
        .body(Full::new(bytes::Bytes::from(content)))
        .unwrap();
    let res = client.request(req).await.ok()?;
    let status = res.status().as_u16();
    res.into_body().collect().await.ok()?;
    Some(status)
}

#[tokio::test]
async fn an_upload_racing_a_delete_leaves_no_file() {
    let app = start_fs();
    for round in 0..8 {
        let track = create_track(&app, "Race", "Miles Davis", None).await;
        let id = track["id"].as_i64().unwrap();
        let path = format!("/api/tracks/{id}/");
        // The upload's body is parsed while the DELETE runs; which wins varies by round.
        let (up, del) = tokio::join!(upload_or_cut(&app, id, "race.mp3", mp3(200_000)), async {
            tokio::time::sleep(std::time::Duration::from_millis(round * 3)).await;
            app.delete(&path).await
        });
        assert!(matches!(up, Some(200 | 404) | None), "{up:?}");
        assert_eq!(del.status, 204, "{}", del.text());
        assert_eq!(app.get(&path, &[]).await.status, 404);
        let left = files_in(&app.dir().join(format!("media/tracks/{id}")));
        assert_eq!(left, Vec::<String>::new(), "round {round}");
    }
}

#[tokio::test]
async fn a_kill_mid_upload_leaves_nothing_after_the_restart_sweep() {
    use tokio::io::AsyncWriteExt;

    let mut app = App::start(
        env!("CARGO_BIN_EXE_example-app"),
        &["--max-upload-size", "10MiB"],
    );
    let track = create_track(&app, "Kind of Blue", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    // A file that stays bound: the sweep must not touch it.
    assert_eq!(upload(&app, id, "kept.mp3", mp3(3000)).await.status, 200);
    let media = app.dir().join("media");
    let kept = files_in(&media.join(format!("tracks/{id}")));
    assert_eq!(kept.len(), 1);

    // A slow upload: past the memory threshold (so it spills to disk), then stalled.
    let addr = app.base().trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/tracks/{id}/upload/slow.mp3/ HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Token {}\r\nContent-Type: audio/mpeg\r\nContent-Length: {}\r\n\r\n",
        app.admin_token(),
        5 << 20
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&mp3(3 << 20)).await.unwrap();
    let spills = media.join(".uploads");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while all_files(&spills).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no spill file appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // What an interrupted save and a lost race leave: a temporary file, an orphan.
    std::fs::write(media.join(format!("tracks/{id}/.x.mp3.1-1.tmp")), b"part").unwrap();
    std::fs::write(media.join(format!("tracks/{id}/orphan.mp3")), b"orphan").unwrap();
    app.kill9();
    drop(socket);
    assert!(
        !all_files(&spills).is_empty(),
        "the spill file outlives the process"
    );

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.restart(&["--sweep-grace", "1s", "--sweep-interval", "1s"], &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let left: Vec<String> = all_files(&media)
            .into_iter()
            .filter(|f| !f.starts_with(".meta/") && !f.ends_with(".sqlite3"))
            .collect();
        let expected = vec![format!("tracks/{id}/{}", kept[0])];
        if left == expected {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "left: {left:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Side files: only the kept one's.
    let sides: Vec<String> = all_files(&media.join(".meta"));
    assert_eq!(sides, vec![format!("tracks/{id}/{}.json", kept[0])]);
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/file/"), &[])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn long_upload_names_are_a_400_naming_the_field() {
    let app = start_fs();
    let track = create_track(&app, "Long", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let long = format!("{}.mp3", "a".repeat(240));
    // In the URL, raw body or multipart.
    let r = upload(&app, id, &long, mp3(2000)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.json()["file"][0]
            .as_str()
            .unwrap()
            .contains("at most 100"),
        "{}",
        r.text()
    );
    let boundary = "long-name-boundary";
    let r = app
        .send_body(
            "POST",
            &format!("/api/tracks/{id}/upload/{long}/"),
            &format!("multipart/form-data; boundary={boundary}"),
            multipart(boundary, "x.mp3", &mp3(2000)),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json().get("file").is_some(), "{}", r.text());
    // A long (or odd) multipart filename: the URL's name is the one stored.
    for odd in [
        format!("{}.mp3", "b".repeat(300)),
        "../../etc/passwd.mp3".to_owned(),
        "ünï cödé\\x.mp3".to_owned(),
    ] {
        let r = app
            .send_body(
                "POST",
                &format!("/api/tracks/{id}/upload/short.mp3/"),
                &format!("multipart/form-data; boundary={boundary}"),
                multipart(boundary, &odd, &mp3(2000)),
            )
            .await;
        assert_eq!(r.status, 200, "{odd}: {}", r.text());
    }
    // A name at the limit is fine.
    let r = upload(&app, id, &format!("{}.mp3", "c".repeat(96)), mp3(2000)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let names = files_in(&app.dir().join(format!("media/tracks/{id}")));
    assert_eq!(names.len(), 1, "{names:?}");
}

/// An app on S3 with a bucket of its own (a fresh folder of the s3s-fs server's data
/// directory, `RESTFRAME_TEST_S3_DIR`), so what it stores and sweeps is its alone; and the
/// bucket's folder, where each object is a file.
fn start_s3_own_bucket(args: &[&str]) -> (App, std::path::PathBuf) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name}: run ./tests/run-all, which starts an S3 server"))
    };
    let bucket = format!(
        "restframe-e2e-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let folder = std::path::Path::new(&var("RESTFRAME_TEST_S3_DIR"))
        .join("data")
        .join(&bucket);
    std::fs::create_dir_all(&folder).unwrap();
    let mut all = vec![
        "--storage",
        "s3",
        "--s3-endpoint",
        Box::leak(var("RESTFRAME_TEST_S3_ENDPOINT").into_boxed_str()),
        "--s3-bucket",
        Box::leak(bucket.into_boxed_str()),
        "--s3-region",
        Box::leak(var("RESTFRAME_TEST_S3_REGION").into_boxed_str()),
    ];
    all.extend_from_slice(args);
    let app = App::start_with_env(
        env!("CARGO_BIN_EXE_example-app"),
        &all,
        &[
            ("AWS_ACCESS_KEY_ID", &var("RESTFRAME_TEST_S3_ACCESS_KEY_ID")),
            (
                "AWS_SECRET_ACCESS_KEY",
                &var("RESTFRAME_TEST_S3_SECRET_ACCESS_KEY"),
            ),
        ],
    );
    (app, folder)
}

/// The objects of a bucket folder (s3s-fs keeps its own files beside them, hidden or
/// suffixed: left out).
fn objects_in(folder: &std::path::Path) -> Vec<String> {
    let mut found: Vec<String> = all_files(folder)
        .into_iter()
        .filter(|f| {
            !f.split('/').any(|seg| seg.starts_with('.'))
                && !f.ends_with(".s3s-fs-meta")
                && !f.contains(".s3s")
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn deleting_a_track_deletes_its_object_and_pending_uploads_on_s3() {
    let (app, bucket) = start_s3_own_bucket(&[]);
    let track = create_track(&app, "All Blues", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    assert_eq!(
        upload(&app, id, "all_blues.mp3", mp3(4000)).await.status,
        200
    );
    let grant = app
        .send_body(
            "POST",
            &format!("/api/tracks/{id}/presigned-url/"),
            "application/json",
            "",
        )
        .await
        .json();
    let put = app
        .send_to_url("PUT", grant["url"].as_str().unwrap(), mp3(3000))
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(objects_in(&bucket).len(), 2, "{:?}", objects_in(&bucket));
    assert_eq!(app.delete(&format!("/api/tracks/{id}/")).await.status, 204);
    assert_eq!(objects_in(&bucket), Vec::<String>::new());
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn concurrent_uploads_to_one_track_leave_one_object_on_s3() {
    let (app, bucket) = start_s3_own_bucket(&[]);
    let track = create_track(&app, "Flamenco Sketches", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    assert_eq!(upload(&app, id, "first.mp3", mp3(20_000)).await.status, 200);
    let done = std::sync::atomic::AtomicBool::new(false);
    let file = format!("/api/tracks/{id}/file/");
    let reader = async {
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let r = app.anonymous().get(&file, &[]).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
    };
    let writers = async {
        let uploads = (0..20).map(|n| upload(&app, id, "take.mp3", mp3(20_000 + n)));
        let replies = futures_util::future::join_all(uploads).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        replies
    };
    let ((), replies) = tokio::join!(reader, writers);
    assert!(replies.iter().all(|r| r.status == 200));
    assert_eq!(objects_in(&bucket).len(), 1, "{:?}", objects_in(&bucket));
    // And an upload racing a DELETE leaves nothing either.
    let detail = format!("/api/tracks/{id}/");
    let (up, del) = tokio::join!(
        upload_or_cut(&app, id, "race.mp3", mp3(200_000)),
        app.delete(&detail)
    );
    assert!(matches!(up, Some(200 | 404) | None), "{up:?}");
    assert_eq!(del.status, 204);
    assert_eq!(objects_in(&bucket), Vec::<String>::new());
}

#[tokio::test]
#[ignore = "needs an S3 server: ./tests/run-all starts one (or set RESTFRAME_TEST_S3_* and pass --include-ignored)"]
async fn the_restart_sweep_removes_unreferenced_objects_on_s3() {
    let (mut app, bucket) = start_s3_own_bucket(&[]);
    let track = create_track(&app, "Kind of Blue", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    assert_eq!(upload(&app, id, "kept.mp3", mp3(3000)).await.status, 200);
    let kept = objects_in(&bucket);
    assert_eq!(kept.len(), 1);
    // An object no row references (a crash between storing and binding).
    std::fs::write(bucket.join(format!("tracks/{id}/orphan.mp3")), mp3(100)).unwrap();
    assert_eq!(objects_in(&bucket).len(), 2);
    app.kill9();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut args: Vec<String> = Vec::new();
    for (flag, var) in [
        ("--s3-endpoint", "RESTFRAME_TEST_S3_ENDPOINT"),
        ("--s3-region", "RESTFRAME_TEST_S3_REGION"),
    ] {
        args.push(flag.to_owned());
        args.push(std::env::var(var).unwrap());
    }
    let name = bucket.file_name().unwrap().to_string_lossy().into_owned();
    args.extend(["--storage", "s3", "--s3-bucket", &name].map(str::to_owned));
    args.extend(["--sweep-grace", "1s", "--sweep-interval", "1s"].map(str::to_owned));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let id_var = std::env::var("RESTFRAME_TEST_S3_ACCESS_KEY_ID").unwrap();
    let secret_var = std::env::var("RESTFRAME_TEST_S3_SECRET_ACCESS_KEY").unwrap();
    app.restart(
        &refs,
        &[
            ("AWS_ACCESS_KEY_ID", &id_var),
            ("AWS_SECRET_ACCESS_KEY", &secret_var),
        ],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while objects_in(&bucket) != kept {
        assert!(
            std::time::Instant::now() < deadline,
            "left: {:?}",
            objects_in(&bucket)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/file/"), &[])
            .await
            .status,
        200
    );
}
