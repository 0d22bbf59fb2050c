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
