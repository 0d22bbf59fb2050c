//! The loop the routing, links and throttles benchmarks share: one request through a router per
//! iteration, on a current-thread runtime.

use std::hint::black_box;

use bytes::Bytes;
use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use http_body_util::Empty;
use restframe::Router;
use tower::ServiceExt;

/// A GET of `path` with a `Host`, and no body.
pub fn get(path: &str) -> http::Request<Empty<Bytes>> {
    http::Request::get(path)
        .header("host", "127.0.0.1:8000")
        .body(Empty::new())
        .expect("a request")
}

/// Benchmarks `router` answering the requests `request` makes, one per iteration.
pub fn bench(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    router: &Router,
    request: impl Fn() -> http::Request<Empty<Bytes>>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    group.bench_function(name, |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = router.clone().oneshot(black_box(request())).await;
                response.map(|r| r.status())
            })
        })
    });
}
