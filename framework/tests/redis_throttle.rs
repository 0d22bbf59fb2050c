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

/// A plain Redis connection for looking at what the store left there.
async fn inspect() -> redis::aio::MultiplexedConnection {
    redis::Client::open(url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn zcard(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> u64 {
    redis::cmd("ZCARD")
        .arg(key)
        .query_async(conn)
        .await
        .unwrap()
}

async fn total(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> Option<u64> {
    redis::cmd("GET")
        .arg(format!("{key}#total"))
        .query_async(conn)
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn a_small_rate_is_exact_across_two_leasing_instances() {
    // Default config (leases on): below 200 per window there is no lease, every hit is a call.
    let config = config("small");
    let a = RedisThrottleStore::connect_with(&url(), config.clone())
        .await
        .unwrap();
    let b = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    let rate: Rate = "4/min".parse().unwrap();
    let mut allowed = 0;
    for i in 0..10 {
        let store = if i % 3 == 0 { &a } else { &b };
        if store.hit("user:1", rate).await.unwrap().is_none() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 4);
    assert_eq!(a.redis_calls() + b.redis_calls(), 10);
    // Concurrently, on another key: still exactly 4.
    let hits = (0..20).map(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        store.hit("user:2", rate)
    });
    let results = futures_util::future::join_all(hits).await;
    let allowed = results.iter().filter(|r| matches!(r, Ok(None))).count();
    assert_eq!(allowed, 4, "{results:?}");
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn a_large_rate_is_leased_never_over_and_at_most_a_lease_short_per_instance() {
    let config = config("large");
    let start = Instant::now();
    let prefix = format!("{:?}", config);
    let a = RedisThrottleStore::connect_with(&url(), config.clone())
        .await
        .unwrap();
    let b = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    let rate: Rate = "10000/min".parse().unwrap();
    let hits = (0..10_500).map(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        store.hit("user:1", rate)
    });
    let results = futures_util::future::join_all(hits).await;
    let allowed = results.iter().filter(|r| matches!(r, Ok(None))).count();
    let refused: Vec<Duration> = results
        .iter()
        .filter_map(|r| r.as_ref().unwrap().as_ref().copied())
        .collect();
    let calls = a.redis_calls() + b.redis_calls();
    eprintln!(
        "10000/min, 10500 hits on 2 instances in {:?}: {allowed} allowed, {calls} Redis calls ({} + {})",
        start.elapsed(),
        a.redis_calls(),
        b.redis_calls()
    );
    assert_eq!(allowed + refused.len(), 10_500);
    assert!(allowed <= 10_000, "{allowed}");
    // A lease holds at most 100 slots: each instance refuses at most that many early.
    assert!(allowed >= 9_800, "{allowed}");
    assert!(calls < 500, "{calls} Redis calls for 10500 hits");
    for wait in refused {
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(61),
            "{wait:?}"
        );
    }
    // Redis holds one member per reservation, and counts no more than the rate.
    let key = prefix_key(&prefix, "user:1");
    let mut conn = inspect().await;
    let members = zcard(&mut conn, &key).await;
    assert!(members <= 300, "{members} members");
    assert!(total(&mut conn, &key).await.unwrap() <= 10_000);
}

/// The prefix a test config uses, read back from its Debug output (the field is private).
fn prefix_key(debug: &str, key: &str) -> String {
    let start = debug.find("prefix: \"").unwrap() + "prefix: \"".len();
    let end = start + debug[start..].find('"').unwrap();
    format!("{}{{{key}}}", &debug[start..end])
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn redis_memory_grows_with_reservations_not_requests() {
    // The benchmark's never-refusing rate: a sliding log would hold 10000 members.
    let config = config("memory");
    let prefix = format!("{:?}", config);
    let store = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    let rate: Rate = "100000000/min".parse().unwrap();
    for _ in 0..10_000 {
        assert_eq!(store.hit("user:1", rate).await.unwrap(), None);
    }
    let key = prefix_key(&prefix, "user:1");
    let mut conn = inspect().await;
    let members = zcard(&mut conn, &key).await;
    let calls = store.redis_calls();
    eprintln!("100000000/min, 10000 hits in a row: {calls} Redis calls, {members} members");
    assert!(members <= 300, "{members} members");
    assert!(calls <= 300, "{calls} calls");
    // Counted: at least every hit, and the key expires with the window (plus the lease).
    assert!(total(&mut conn, &key).await.unwrap() >= 10_000);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 61_000, "{ttl}");
    // 20000 more at once: one call serves thousands of waiting requests, none is left waiting.
    let start = Instant::now();
    let hits = (0..20_000).map(|_| store.hit("user:1", rate));
    let results = futures_util::future::join_all(hits).await;
    assert!(results.iter().all(|r| matches!(r, Ok(None))));
    let calls = store.redis_calls() - calls;
    eprintln!(
        "then 20000 at once: {calls} Redis calls, {:?}",
        start.elapsed()
    );
    assert!(calls <= 10, "{calls} calls");
    assert!(zcard(&mut conn, &key).await <= 300);
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn a_refused_leased_hit_waits_within_the_window() {
    let store = RedisThrottleStore::connect_with(&url(), config("wait"))
        .await
        .unwrap();
    // 300 per minute: leases of up to 3 slots, served for 600 ms.
    let rate: Rate = "300/min".parse().unwrap();
    let start = Instant::now();
    let mut allowed = 0;
    let mut waits = Vec::new();
    for _ in 0..320 {
        match store.hit("user:1", rate).await.unwrap() {
            None => allowed += 1,
            Some(wait) => waits.push(wait),
        }
    }
    assert!((297..=300).contains(&allowed), "{allowed}");
    assert_eq!(waits.len(), 320 - allowed);
    let elapsed = start.elapsed();
    for wait in waits {
        assert!(wait > Duration::ZERO, "{wait:?}");
        assert!(wait <= Duration::from_secs(61), "{wait:?}");
        // The oldest reservation was made at the start: it leaves a minute (plus its lease)
        // after that.
        assert!(
            wait + elapsed + Duration::from_millis(50) >= Duration::from_secs(60),
            "{wait:?} after {elapsed:?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn unused_leased_slots_go_back_with_the_next_reservation() {
    let config = config("giveback");
    let prefix = format!("{:?}", config);
    let store = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    // Leases of up to 100 slots, served for 600 ms; each starts at 1 slot and doubles.
    let rate: Rate = "10000/min".parse().unwrap();
    for _ in 0..4 {
        assert_eq!(store.hit("user:1", rate).await.unwrap(), None);
    }
    let key = prefix_key(&prefix, "user:1");
    let mut conn = inspect().await;
    // Reservations of 1, 2 and 4 slots: the last has 3 unused.
    assert_eq!(store.redis_calls(), 3);
    assert_eq!(total(&mut conn, &key).await, Some(7));
    assert_eq!(zcard(&mut conn, &key).await, 3);
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The lease expired: the next hit gives its 3 unused slots back and reserves 1.
    assert_eq!(store.hit("user:1", rate).await.unwrap(), None);
    assert_eq!(store.redis_calls(), 4);
    assert_eq!(total(&mut conn, &key).await, Some(5));
    assert_eq!(zcard(&mut conn, &key).await, 4);
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn exact_turns_leasing_off() {
    let config = config("exact").exact();
    let store = RedisThrottleStore::connect_with(&url(), config)
        .await
        .unwrap();
    let rate: Rate = "10000/min".parse().unwrap();
    for _ in 0..50 {
        assert_eq!(store.hit("user:1", rate).await.unwrap(), None);
    }
    assert_eq!(store.redis_calls(), 50);
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn a_dropped_reservation_does_not_strand_its_waiters() {
    use futures_util::FutureExt;

    let store = RedisThrottleStore::connect_with(&url(), config("dropped"))
        .await
        .unwrap();
    let rate: Rate = "10000/min".parse().unwrap();
    // The first hit starts a reservation, the second waits for it; then the first is dropped
    // (a client that went away).
    let mut first = Box::pin(store.hit("user:1", rate));
    assert!(first.as_mut().now_or_never().is_none());
    let mut second = Box::pin(store.hit("user:1", rate));
    assert!(second.as_mut().now_or_never().is_none());
    drop(first);
    let start = Instant::now();
    assert_eq!(second.await.unwrap(), None);
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
}
