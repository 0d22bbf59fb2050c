//! The HTTP edge: timeouts, the connection cap, the declared body size, allowed hosts, trusted
//! proxies and request logs, on the real binary over raw TCP where the client must misbehave.
//!
//! Settings are given as `EXAMPLE_APP_*` variables (the flags' fallbacks), so each test also
//! shows that the fallback works.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use restframe_tests::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn start_with(env: &[(&str, &str)]) -> App {
    App::start_with_env(env!("CARGO_BIN_EXE_example-app"), &["--test-routes"], env)
}

fn addr(app: &App) -> String {
    app.base().trim_start_matches("http://").to_owned()
}

/// Reads until the peer closes the connection (EOF or reset), for at most `limit`: what was
/// read, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (got, false),
            Ok(Ok(0) | Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status code of the first response in `bytes` (0 when there is none).
fn status_of(bytes: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(bytes);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Reads a response's status line and headers (not its body), for at most `limit`.
async fn read_head(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, stream.read(&mut byte)).await {
            Ok(Ok(1)) => got.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&got).into_owned())
}

const HELLO: &[u8] =
    b"GET /api/hello/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n";

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let app = start_with(&[("EXAMPLE_APP_KEEP_ALIVE_TIMEOUT", "1s")]);
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    conn.write_all(HELLO).await.unwrap();
    let started = Instant::now();
    let (got, closed) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert_eq!(status_of(&got), 200, "{}", String::from_utf8_lossy(&got));
    assert!(closed, "an idle connection stayed open past 5 s");
    assert!(started.elapsed() >= Duration::from_millis(800));
}

#[tokio::test]
async fn trickled_headers_are_cut_at_the_header_read_timeout() {
    let app = start_with(&[("EXAMPLE_APP_HEADER_READ_TIMEOUT", "1s")]);
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    let (mut read, mut write) = conn.split();
    let trickle = async {
        let _ = write
            .write_all(b"GET /api/hello/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await;
        for _ in 0..40 {
            if write.write_all(b"X").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let watch = async {
        let mut buf = [0u8; 1024];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    };
    let closed = tokio::select! {
        closed = watch => closed,
        () = trickle => false,
    };
    assert!(
        closed,
        "headers trickled for 5 s and the connection stayed open"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_read_timeout() {
    let app = start_with(&[("EXAMPLE_APP_HEADER_READ_TIMEOUT", "1s")]);
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    let (_, closed) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert!(closed, "a silent connection stayed open past 5 s");
}

#[tokio::test]
async fn a_trickled_body_is_cut_at_the_body_read_timeout() {
    let app = start_with(&[("EXAMPLE_APP_BODY_READ_TIMEOUT", "1s")]);
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    let (mut read, mut write) = conn.split();
    let started = Instant::now();
    let trickle = async {
        let head = format!(
            "POST /api/echo/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
             Authorization: Token {}\r\nContent-Type: application/json\r\n\
             Content-Length: 40\r\n\r\n{{\"a\":\"",
            app.admin_token()
        );
        let _ = write.write_all(head.as_bytes()).await;
        // Two bytes every 3 s: progress, but slower than the timeout.
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            if write.write_all(b"xx").await.is_err() {
                break;
            }
        }
    };
    let watch = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
        loop {
            match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
                Err(_) => return (got, false),
                Ok(Ok(0) | Err(_)) => return (got, true),
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    let (got, closed) = tokio::select! {
        watched = watch => watched,
        () = trickle => (Vec::new(), false),
    };
    assert!(closed, "a stalled body kept its connection open for 6 s");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Answered 408 (not the 401 of a request the server never had to read), then closed.
    assert_eq!(status_of(&got), 408, "{}", String::from_utf8_lossy(&got));
}

/// The upload routes have no request timeout, so a body trickled faster than the body-read
/// timeout but slower than any real upload (2 bytes every 200 ms) must still be cut: a body
/// must make 1 KiB of progress in every body-read timeout.
#[tokio::test]
async fn a_trickled_upload_is_cut_though_bytes_keep_coming() {
    let app = start_with(&[("EXAMPLE_APP_BODY_READ_TIMEOUT", "1s")]);
    let created = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title": "Trickle", "artist_name": "Slow", "release_date": null}"#,
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().unwrap();
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    let (mut read, mut write) = conn.split();
    let started = Instant::now();
    let trickle = async {
        let head = format!(
            "POST /api/tracks/{id}/upload/slow.mp3/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Accept: application/json\r\nAuthorization: Token {}\r\n\
             Content-Type: audio/mpeg\r\nContent-Length: 100000\r\n\r\nID3",
            app.admin_token()
        );
        let _ = write.write_all(head.as_bytes()).await;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if write.write_all(b"xx").await.is_err() {
                break;
            }
        }
    };
    let watch = read_until_closed_half(&mut read, Duration::from_secs(8));
    let (got, closed) = tokio::select! {
        watched = watch => watched,
        () = trickle => (Vec::new(), false),
    };
    assert!(closed, "a trickled upload kept its connection open for 8 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status_of(&got), 408, "{}", String::from_utf8_lossy(&got));
}

/// [`read_until_closed`] on the read half of a split stream.
async fn read_until_closed_half(
    read: &mut tokio::net::tcp::ReadHalf<'_>,
    limit: Duration,
) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
            Err(_) => return (got, false),
            Ok(Ok(0) | Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A client that never reads its response (a large one) must not hold its connection: past
/// the body-read timeout without the client reading, the connection is closed.
#[tokio::test]
async fn a_client_that_reads_nothing_is_cut_at_the_body_read_timeout() {
    let app = start_with(&[
        ("EXAMPLE_APP_BODY_READ_TIMEOUT", "1s"),
        ("EXAMPLE_APP_KEEP_ALIVE_TIMEOUT", "1s"),
        ("EXAMPLE_APP_MAX_CONNECTIONS", "1"),
    ]);
    // The harness's own pooled connection closes at the keep-alive timeout first.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A response far bigger than the socket buffers: the schema, asked for again and again on
    // one connection (pipelined), never read.
    let mut unread = TcpStream::connect(addr(&app)).await.unwrap();
    let one = b"GET /api/schema/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n";
    let mut requests = Vec::new();
    for _ in 0..400 {
        requests.extend_from_slice(one);
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), unread.write_all(&requests)).await;
    // With one connection allowed, a second client is served only once the first is cut.
    let started = Instant::now();
    let mut second = TcpStream::connect(addr(&app)).await.unwrap();
    second.write_all(HELLO).await.unwrap();
    let head = read_head(&mut second, Duration::from_secs(10)).await;
    let head = head.expect("the second client waited 10 s: the unread connection was never cut");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop(unread);
}

/// HTTP/2: a client that grants no flow-control credit (initial window 0) stalls its
/// responses without any write blocking; past the body-read timeout its connection is cut, so
/// it cannot hold a slot under `max_connections` (and its responses' memory) for ever.
#[tokio::test]
async fn an_http2_client_granting_no_credit_is_cut_at_the_body_read_timeout() {
    let app = start_with(&[
        ("EXAMPLE_APP_BODY_READ_TIMEOUT", "1s"),
        ("EXAMPLE_APP_KEEP_ALIVE_TIMEOUT", "1s"),
        ("EXAMPLE_APP_MAX_CONNECTIONS", "1"),
    ]);
    // The harness's own pooled connection closes at the keep-alive timeout first.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let tcp = TcpStream::connect(addr(&app)).await.unwrap();
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, bytes::Bytes>(tcp)
        .await
        .expect("h2c handshake (prior knowledge)");
    let driver = tokio::spawn(connection);
    let mut client = client.ready().await.expect("h2 ready");
    let mut responses = Vec::new();
    for _ in 0..3 {
        let req = http::Request::get(format!("http://{}/api/schema/", addr(&app)))
            .header("accept", "application/json")
            .body(())
            .unwrap();
        let (response, _) = client.send_request(req, true).expect("send");
        responses.push(response);
        client = client.ready().await.expect("h2 ready");
    }
    // The heads come (no credit needed), the bodies never can.
    let first = tokio::time::timeout(Duration::from_secs(5), responses.remove(0))
        .await
        .expect("a response head within 5 s")
        .expect("a response head");
    assert_eq!(first.status(), 200);
    // With one connection allowed, a second client is served only once the first is cut.
    let started = Instant::now();
    let mut second = TcpStream::connect(addr(&app)).await.unwrap();
    second.write_all(HELLO).await.unwrap();
    let head = read_head(&mut second, Duration::from_secs(10)).await;
    let head = head.expect("the second client waited 10 s: the stalled HTTP/2 one was never cut");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop((client, first, responses));
    driver.abort();
}

#[tokio::test]
async fn past_max_connections_accept_waits_and_then_serves() {
    let app = start_with(&[("EXAMPLE_APP_MAX_CONNECTIONS", "2")]);
    // Let the connection the harness used for its token go.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
        conn.write_all(HELLO).await.unwrap();
        let head = read_head(&mut conn, Duration::from_secs(5)).await;
        assert!(head.is_some_and(|h| h.starts_with("HTTP/1.1 200")));
        held.push(conn);
    }
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third.write_all(HELLO).await.unwrap();
    assert!(
        read_head(&mut third, Duration::from_millis(1500))
            .await
            .is_none(),
        "a third connection was served while two were open"
    );
    drop(held.pop());
    let head = read_head(&mut third, Duration::from_secs(5)).await;
    assert!(
        head.as_deref()
            .is_some_and(|h| h.starts_with("HTTP/1.1 200")),
        "the waiting connection was not served once one closed: {head:?}"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_before_the_body() {
    let app = start_with(&[]);
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    let head = format!(
        "POST /api/echo/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
         Authorization: Token {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000000\r\n\r\n",
        app.admin_token()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let (got, _) = read_until_closed(&mut conn, Duration::from_secs(3)).await;
    let text = String::from_utf8_lossy(&got);
    assert_eq!(status_of(&got), 413, "{text}");
    assert!(text.contains("application/json"), "{text}");
    assert!(text.contains("\"detail\""), "{text}");
}

/// A fresh presigned URL's path and query for track `id`.
async fn presigned_path(app: &App, id: i64) -> String {
    let r = app
        .post(
            &format!("/api/tracks/{id}/presigned-url/"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let url = r.json()["url"].as_str().unwrap().to_owned();
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap()
}

/// The same up front on the upload routes: a track upload (multipart or raw) and a presigned
/// PUT declaring more than the upload limit are refused before a byte of the body is read;
/// and a presigned PUT whose body stalls is a 408, not a 500.
#[tokio::test]
async fn uploads_declaring_too_much_are_413_and_a_stalled_presigned_put_is_408() {
    let app = start_with(&[
        ("EXAMPLE_APP_MAX_UPLOAD_SIZE", "1MiB"),
        ("EXAMPLE_APP_BODY_READ_TIMEOUT", "1s"),
    ]);
    let created = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title": "Big", "artist_name": "Declared", "release_date": null}"#,
        )
        .await;
    let id = created.json()["id"].as_i64().unwrap();
    let put = presigned_path(&app, id).await;
    // 3 MiB declared (a multipart body may carry two parts of 1 MiB): the multipart and the
    // raw track upload, and the presigned PUT.
    let boundary = "b";
    for (method, path, content_type) in [
        (
            "POST",
            format!("/api/tracks/{id}/upload/big.mp3/"),
            format!("multipart/form-data; boundary={boundary}"),
        ),
        (
            "POST",
            format!("/api/tracks/{id}/upload/big.mp3/"),
            "audio/mpeg".to_owned(),
        ),
        ("PUT", put.clone(), "audio/mpeg".to_owned()),
    ] {
        let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
             Authorization: Token {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: 3145728\r\n\r\n",
            app.admin_token()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let (got, _) = read_until_closed(&mut conn, Duration::from_secs(3)).await;
        assert_eq!(
            status_of(&got),
            413,
            "{method} {path}: {}",
            String::from_utf8_lossy(&got)
        );
    }
    // A presigned PUT that stalls mid-body: 408.
    let put = presigned_path(&app, id).await;
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    let head = format!(
        "PUT {put} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
         Content-Type: audio/mpeg\r\nContent-Length: 5000\r\n\r\nID3"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let (got, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    assert_eq!(status_of(&got), 408, "{}", String::from_utf8_lossy(&got));
}

/// A body refused before it is read (413 up front) must not cost the client its answer: the
/// server closes with a lingering close (the rest of the body read and discarded), not a
/// reset that can destroy the response before the client reads it, and it says `Connection:
/// close`, so a pooling client does not reuse the connection. An ordinary HTTP client sending
/// the whole body sees the 413 every time.
#[tokio::test]
async fn a_body_refused_up_front_still_gets_its_answer_to_the_client() {
    let app = start_with(&[("EXAMPLE_APP_MAX_UPLOAD_SIZE", "1MiB")]);
    let created = app
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title": "Too", "artist_name": "Big", "release_date": null}"#,
        )
        .await;
    let id = created.json()["id"].as_i64().unwrap();
    let body = vec![0u8; 4 << 20];
    for round in 0..20 {
        let r = app
            .send_body(
                "POST",
                &format!("/api/tracks/{id}/upload/big.mp3/"),
                "audio/mpeg",
                body.clone(),
            )
            .await;
        assert_eq!(r.status, 413, "round {round}: {}", r.text());
        // The connection closes (the body was never read): the client is told, so it does
        // not send its next request on it.
        assert_eq!(r.header("connection"), "close", "round {round}");
    }
}

#[tokio::test]
async fn a_poisoned_host_is_400_unless_every_host_is_allowed() {
    let app = start_with(&[]);
    let evil = [
        ("host", "downloads.evil.example"),
        ("accept", "application/json"),
    ];
    let reply = app.get("/api/hello/", &evil).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["detail"], "Invalid Host header.");
    let reply = app.get("/api/tracks/", &evil).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    for host in ["localhost", "127.0.0.1:8000", "[::1]:1"] {
        let reply = app.get("/api/hello/", &[("host", host)]).await;
        assert_eq!(reply.status, 200, "{host}");
    }

    let any = start_with(&[("EXAMPLE_APP_ALLOWED_HOSTS", "*")]);
    let reply = any.get("/api/hello/", &evil).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

const FORWARDED: [(&str, &str); 3] = [
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "api.example.com"),
    ("accept", "application/json"),
];

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = start_with(&[("EXAMPLE_APP_ALLOWED_HOSTS", "*")]);
    let reply = app.get("/api/", &FORWARDED).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains(&format!("{}/api/tracks/", app.base())),
        "{text}"
    );
    assert!(!text.contains("api.example.com"), "{text}");
    assert!(!text.contains("https://"), "{text}");
}

#[tokio::test]
async fn forwarded_headers_from_a_trusted_proxy_count() {
    let app = start_with(&[
        ("EXAMPLE_APP_TRUSTED_PROXIES", "127.0.0.1"),
        ("EXAMPLE_APP_ALLOWED_HOSTS", "api.example.com,127.0.0.1"),
    ]);
    let reply = app.get("/api/", &FORWARDED).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("https://api.example.com/api/tracks/"),
        "{text}"
    );
    // The forwarded host is held to the allowed hosts too.
    let reply = app
        .get(
            "/api/",
            &[
                ("x-forwarded-host", "downloads.evil.example"),
                ("accept", "application/json"),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
}

/// Three anonymous requests from a loopback address of their own (a fresh budget: the
/// harness's own calls come from 127.0.0.1), claiming two clients in `X-Forwarded-For`.
async fn throttled(app: &App) -> Vec<u16> {
    let caller = app.anonymous().from_ip("127.0.0.9".parse().unwrap());
    let mut statuses = Vec::new();
    for client in ["203.0.113.1", "203.0.113.1", "203.0.113.2"] {
        let reply = caller
            .get("/api/hello/", &[("x-forwarded-for", client)])
            .await;
        statuses.push(reply.status);
    }
    statuses
}

#[tokio::test]
async fn throttles_count_x_forwarded_for_only_from_a_trusted_proxy() {
    let direct = start_with(&[("EXAMPLE_APP_THROTTLE_ANON", "1/min")]);
    // Untrusted: one client (the peer), whatever the header says.
    assert_eq!(throttled(&direct).await, [200, 429, 429]);
    let proxied = start_with(&[
        ("EXAMPLE_APP_THROTTLE_ANON", "1/min"),
        ("EXAMPLE_APP_TRUSTED_PROXIES", "127.0.0.0/8"),
    ]);
    // Trusted: each forwarded client has its own budget.
    assert_eq!(throttled(&proxied).await, [200, 429, 200]);
}

#[tokio::test]
async fn a_slow_request_gets_503_at_the_request_timeout() {
    let app = start_with(&[("EXAMPLE_APP_REQUEST_TIMEOUT", "1s")]);
    let started = Instant::now();
    let reply = app
        .get("/api/test/slow/?ms=4000", &[("accept", "application/json")])
        .await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.json()["detail"], "Request timed out.");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A GET of the slow test route (1.5 s) on a connection of its own: its response head.
fn slow_get(app: &App) -> tokio::task::JoinHandle<Option<String>> {
    let addr = addr(app);
    tokio::spawn(async move {
        let mut conn = TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET /api/test/slow/?ms=1500 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        read_head(&mut conn, Duration::from_secs(5)).await
    })
}

#[tokio::test]
async fn past_max_requests_a_get_waits_for_a_handler_to_end() {
    let app = start_with(&[("EXAMPLE_APP_MAX_REQUESTS", "1")]);
    let slow = slow_get(&app);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The one slot is the slow handler's: a GET waits for it to end.
    let started = Instant::now();
    let mut second = TcpStream::connect(addr(&app)).await.unwrap();
    second.write_all(HELLO).await.unwrap();
    assert!(
        read_head(&mut second, Duration::from_millis(600))
            .await
            .is_none(),
        "a second GET was handled while the one slot was taken"
    );
    let head = read_head(&mut second, Duration::from_secs(5)).await;
    assert!(
        head.as_deref()
            .is_some_and(|h| h.starts_with("HTTP/1.1 200")),
        "the waiting GET was not served once the slot was free: {head:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    let first = slow.await.unwrap();
    assert!(first.is_some_and(|h| h.starts_with("HTTP/1.1 200")));
    // A request with a body takes no slot: a POST is answered while a slow GET runs.
    let slow = slow_get(&app);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut post = TcpStream::connect(addr(&app)).await.unwrap();
    post.write_all(
        b"POST /api/echo/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    )
    .await
    .unwrap();
    // Answered at once (401: the echo wants a login; its handler ran, and that is the point).
    let head = read_head(&mut post, Duration::from_millis(800)).await;
    assert!(
        head.as_deref()
            .is_some_and(|h| h.starts_with("HTTP/1.1 401")),
        "a POST waited for the GET's slot: {head:?}"
    );
    assert!(slow.await.unwrap().is_some());
}

/// The example app with its stderr read line by line into a channel (the harness lets stderr
/// through to the terminal).
struct Logged {
    child: std::process::Child,
    base: String,
    lines: std::sync::mpsc::Receiver<String>,
    dir: std::path::PathBuf,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_logged(env: &[(&str, &str)]) -> Logged {
    let dir = std::env::temp_dir().join(format!("restframe-e2e-edge-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(["--bind", "127.0.0.1:0", "--log", "info"])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("db.sqlite3").display()))
        .arg("--media-root")
        .arg(dir.join("media"))
        .env("EXAMPLE_APP_THROTTLE_ANON", "off")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    Logged {
        child,
        base,
        lines,
        dir,
    }
}

#[tokio::test]
async fn each_request_is_logged_with_its_propagated_request_id_as_json() {
    let app = start_logged(&[("EXAMPLE_APP_LOG_FORMAT", "json")]);
    let mut conn = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    conn.write_all(
        b"GET /api/hello/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
          X-Request-Id: e2e-req-42\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let (got, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
    assert!(text.contains("x-request-id: e2e-req-42\r\n"), "{text}");

    // A request without one (or with a bad one) gets a fresh id, echoed.
    let mut conn = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    conn.write_all(
        b"GET /api/hello/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: a b\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let (got, _) = read_until_closed(&mut conn, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap_or_else(|| panic!("no request id: {text}"));
    assert!(!id.is_empty() && id != "a b", "{id}");

    let deadline = Instant::now() + Duration::from_secs(5);
    let line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = app
            .lines
            .recv_timeout(left)
            .expect("a request log line within 5 s");
        if line.contains("e2e-req-42") {
            break line;
        }
    };
    let entry: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let fields = &entry["fields"];
    assert_eq!(fields["method"], "GET", "{line}");
    assert_eq!(fields["path"], "/api/hello/", "{line}");
    assert_eq!(fields["status"], 200, "{line}");
    assert_eq!(fields["request_id"], "e2e-req-42", "{line}");
    assert!(fields["bytes"].as_u64().is_some_and(|b| b > 0), "{line}");
    assert!(fields["latency_ms"].is_number(), "{line}");
    // To the microsecond: at most three decimals.
    let latency = fields["latency_ms"].to_string();
    let decimals = latency.split_once('.').map_or(0, |(_, d)| d.len());
    assert!(decimals <= 3, "{line}");
}
