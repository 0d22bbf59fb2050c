//! `ServeOptions::max_requests` and `request_timeout` over real TCP: a request waiting for a
//! handler slot, and a handler that takes too long, are bounded by the request timeout, and
//! answered 503 in the negotiated format when it runs out.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use restframe::{Response, Router, ServeOptions, api_view, serve_with};
use restframe_parsers::{MultiPartParser, Parser};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A view that sleeps `?ms=` milliseconds, then answers how long.
fn sleeper() -> restframe::ApiView {
    api_view(|req: restframe::Request| async move {
        let ms = req
            .query()
            .get("ms")
            .and_then(|ms| ms.parse::<u64>().ok())
            .unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(Response::new(serde_json::json!({ "held_ms": ms })))
    })
}

/// A router with `/hold/` (a GET that sleeps `ms`; its view takes uploads, so the request
/// timeout does not apply to it, as to any upload route), `/slow/` (the same without uploads)
/// and `/quick/`.
fn router() -> Router {
    let hold = sleeper().parsers([Arc::new(MultiPartParser::new()) as Arc<dyn Parser>]);
    let quick = api_view(|_req: restframe::Request| async move {
        Ok(Response::new(serde_json::json!({ "quick": true })))
    });
    Router::new()
        .route("/hold/", "hold", [(Method::GET, hold)])
        .and_then(|r| r.route("/slow/", "slow", [(Method::GET, sleeper())]))
        .and_then(|r| r.route("/quick/", "quick", [(Method::GET, quick)]))
        .unwrap()
}

/// Serves [`router`] with one handler slot and a request timeout of `timeout`.
async fn start(timeout: Duration) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions::default()
        .max_requests(Some(1))
        .request_timeout(Some(timeout))
        .request_log(false);
    tokio::spawn(serve_with(
        listener,
        router(),
        std::future::pending::<()>(),
        options,
    ));
    addr
}

/// Sends `GET path` and reads the whole response (the server closes: `Connection: close`).
async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut out))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_request_waiting_for_a_slot_past_its_timeout_is_answered_503() {
    let addr = start(Duration::from_millis(400)).await;
    // The one slot, held for 2 s by a view the timeout does not apply to.
    let held = tokio::spawn(get(addr, "/hold/?ms=2000"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let waited = get(addr, "/quick/").await;
    let took = started.elapsed();
    assert!(waited.starts_with("HTTP/1.1 503"), "{waited}");
    assert!(waited.contains("application/json"), "{waited}");
    assert!(waited.contains("Request timed out."), "{waited}");
    // Its timeout, not the holder's 2 s.
    assert!(
        took < Duration::from_millis(1500),
        "answered after {took:?}"
    );
    assert!(
        took >= Duration::from_millis(300),
        "answered after {took:?}"
    );
    let held = held.await.unwrap();
    assert!(held.starts_with("HTTP/1.1 200"), "{held}");
    // The slot is free again: a request is served.
    let quick = get(addr, "/quick/").await;
    assert!(quick.starts_with("HTTP/1.1 200"), "{quick}");
    assert!(quick.contains(r#"{"quick":true}"#), "{quick}");
}

#[tokio::test]
async fn a_request_that_gets_a_slot_in_time_is_served() {
    let addr = start(Duration::from_millis(1500)).await;
    let held = tokio::spawn(get(addr, "/hold/?ms=500"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let waited = get(addr, "/quick/").await;
    assert!(waited.starts_with("HTTP/1.1 200"), "{waited}");
    // It did wait for the slot.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(held.await.unwrap().starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_handler_past_the_request_timeout_is_answered_503_and_frees_its_slot() {
    let addr = start(Duration::from_millis(400)).await;
    let started = Instant::now();
    let slow = get(addr, "/slow/?ms=5000").await;
    let took = started.elapsed();
    assert!(slow.starts_with("HTTP/1.1 503"), "{slow}");
    assert!(slow.contains("application/json"), "{slow}");
    assert!(slow.contains("Request timed out."), "{slow}");
    assert!(!slow.contains("held_ms"), "{slow}");
    assert!(
        took >= Duration::from_millis(300),
        "answered after {took:?}"
    );
    assert!(
        took < Duration::from_millis(2500),
        "answered after {took:?}"
    );
    // The handler was dropped with its slot: the next request is served at once.
    let quick = get(addr, "/quick/").await;
    assert!(quick.starts_with("HTTP/1.1 200"), "{quick}");
    // Within the timeout, the handler's own answer.
    let slow = get(addr, "/slow/?ms=50").await;
    assert!(slow.starts_with("HTTP/1.1 200"), "{slow}");
    assert!(slow.contains(r#"{"held_ms":50}"#), "{slow}");
}
