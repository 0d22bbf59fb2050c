//! The process: graceful shutdown on SIGTERM.

use std::time::Duration;

use crate::start;

#[tokio::test]
async fn sigterm_exits_zero() {
    let mut app = start();
    assert_eq!(app.get("/api/hello/", &[]).await.status, 200);
    let status = app
        .terminate(Duration::from_secs(10))
        .expect("exited within 10 s of SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    let mut app = crate::start_on(restframe_tests::Backend::Sqlite);
    let base = app.base().to_owned();
    let in_flight = tokio::spawn(async move {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<bytes::Bytes>>();
        let res = client
            .get(format!("{base}/api/test/slow/?ms=1500").parse().unwrap())
            .await
            .expect("the in-flight request is answered");
        let status = res.status();
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, body)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let exited = tokio::task::spawn_blocking(move || {
        let status = app.terminate(Duration::from_secs(10));
        (status, app)
    });
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(&body[..], br#"{"slept_ms":1500}"#);
    let (exit, app) = exited.await.unwrap();
    let exit = exit.expect("exited within 10 s of SIGTERM");
    assert!(exit.success(), "{exit:?}");
    // And it no longer accepts connections.
    assert!(std::net::TcpStream::connect(app.base().trim_start_matches("http://")).is_err());
}
