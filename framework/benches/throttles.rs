//! Throttling an anonymous request (issue 16): the yardstick runs the example app with its
//! anonymous, user and scoped throttles on (at rates never reached), so every read pays for
//! them. Measures one anonymous GET through a router to a view with DRF's three throttles over a
//! `MemoryThrottleStore`, against the same view with none; the difference is the throttles'
//! cost (their keys, the store's lookup). Run: `cargo bench -p restframe --features auth --bench
//! throttles`.
#![allow(missing_docs)]

mod oneshot;

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use http::Method;
use restframe::extensions::ClientAddr;
use restframe::throttling::{
    AnonRateThrottle, MemoryThrottleStore, ScopedRateThrottle, Throttle, UserRateThrottle,
};
use restframe::{Request, Response, Router, api_view};

fn router(throttles: Vec<Arc<dyn Throttle>>) -> Router {
    let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) }).throttles(throttles);
    Router::new()
        .route("/api/tracks/{id}/", "track-detail", [(Method::GET, ok)])
        .expect("the route")
}

fn throttles(c: &mut Criterion) {
    let store = Arc::new(MemoryThrottleStore::new());
    let never = || "100000000/min".parse().expect("a rate");
    let three: Vec<Arc<dyn Throttle>> = vec![
        Arc::new(AnonRateThrottle::new(never(), store.clone())),
        Arc::new(UserRateThrottle::new(never(), store.clone())),
        Arc::new(ScopedRateThrottle::new(store).rate("uploads", never())),
    ];
    // An anonymous client at a fixed address, as `restframe::serve` records it.
    let request = || {
        let mut req = oneshot::get("/api/tracks/4/");
        let peer = "192.0.2.7:50000".parse().expect("an address");
        req.extensions_mut().insert(ClientAddr(peer));
        req
    };
    let mut group = c.benchmark_group("throttles");
    oneshot::bench(&mut group, "none", &router(Vec::new()), request);
    oneshot::bench(&mut group, "anon_user_scoped", &router(three), request);
    group.finish();
}

criterion_group!(benches, throttles);
criterion_main!(benches);
