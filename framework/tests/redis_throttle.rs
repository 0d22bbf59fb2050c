//! `RedisThrottleStore` against a real Redis server (started by `./tests/run-all`): two stores
//! on two connections, as two app instances would have, share one budget per key; the wait
//! runs from the oldest request; keys expire with their window; an unreachable Redis is an
//! error within the timeout, not a hang.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use restframe::throttling::{Rate, RedisThrottleStore, RedisThrottleStoreConfig, ThrottleStore};

fn url() -> String {
    std::env::var("RESTFRAME_TEST_REDIS_URL")
        .expect("RESTFRAME_TEST_REDIS_URL: run ./tests/run-all, which starts Redis")
}

/// A prefix of its own per test run, so runs and tests never see each other's keys.
fn config(test: &str) -> RedisThrottleStoreConfig {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    RedisThrottleStoreConfig::default().prefix(format!(
        "restframe-test:{}:{nanos}:{test}:",
        std::process::id()
    ))
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn two_instances_share_one_budget() {
    let config = config("shared");
    let a = RedisThrottleStore::connect_with(&url(), config.clone())
        .await
        .unwrap();
    let b = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    let rate: Rate = "3/min".parse().unwrap();

    let start = Instant::now();
    assert_eq!(a.hit("anon:10.0.0.1", rate).await.unwrap(), None);
    assert_eq!(b.hit("anon:10.0.0.1", rate).await.unwrap(), None);
    assert_eq!(a.hit("anon:10.0.0.1", rate).await.unwrap(), None);
    // The budget of 3 is spent across both instances: each now refuses.
    let wait_b = b
        .hit("anon:10.0.0.1", rate)
        .await
        .unwrap()
        .expect("b refuses the 4th");
    let wait_a = a
        .hit("anon:10.0.0.1", rate)
        .await
        .unwrap()
        .expect("a refuses the 5th");
    // The wait runs from the first request: a minute minus the time since then.
    let elapsed = start.elapsed();
    for wait in [wait_a, wait_b] {
        assert!(wait <= Duration::from_secs(60), "{wait:?}");
        assert!(
            wait + elapsed + Duration::from_millis(50) >= Duration::from_secs(60),
            "{wait:?} after {elapsed:?}"
        );
    }
    assert!(
        wait_a <= wait_b,
        "later refusals wait less: {wait_a:?} > {wait_b:?}"
    );
    // Another key has its own budget, on either instance.
    assert_eq!(b.hit("anon:10.0.0.2", rate).await.unwrap(), None);
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn concurrent_hits_never_exceed_the_budget() {
    let config = config("concurrent");
    let a = RedisThrottleStore::connect_with(&url(), config.clone())
        .await
        .unwrap();
    let b = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    let rate: Rate = "10/hour".parse().unwrap();
    let hits = (0..40).map(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        store.hit("user:1", rate)
    });
    let results = futures_util::future::join_all(hits).await;
    let allowed = results.iter().filter(|r| matches!(r, Ok(None))).count();
    let refused = results.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    assert_eq!((allowed, refused), (10, 30), "{results:?}");
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn a_window_that_passed_allows_again() {
    let store = RedisThrottleStore::connect_with(&url(), config("window"))
        .await
        .unwrap();
    let rate: Rate = "1/s".parse().unwrap();
    assert_eq!(store.hit("k", rate).await.unwrap(), None);
    let wait = store
        .hit("k", rate)
        .await
        .unwrap()
        .expect("refused within the second");
    assert!(wait <= Duration::from_secs(1), "{wait:?}");
    // Not a timing assertion: sleeping past the wait (plus slack) must let the next one in.
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    assert_eq!(store.hit("k", rate).await.unwrap(), None);
    // A zero rate refuses everything, with the whole window as the wait.
    let zero = Rate::new(0, Duration::from_secs(60));
    assert_eq!(
        store.hit("z", zero).await.unwrap(),
        Some(Duration::from_secs(60))
    );
}

#[tokio::test]
async fn an_unreachable_redis_fails_within_the_connect_timeout() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let config = RedisThrottleStoreConfig::default().connect_timeout(Duration::from_millis(500));
    let start = Instant::now();
    let err = RedisThrottleStore::connect_with("redis://127.0.0.1:1/", config)
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(err.to_string().starts_with("throttle store: "), "{err}");
    let err = RedisThrottleStore::connect("not a url").await.unwrap_err();
    assert!(err.to_string().starts_with("throttle store: "), "{err}");
}
