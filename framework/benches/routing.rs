//! Finding a request's route (issue 16): a router tries its routes in turn, so a path near the
//! end of a big router pays for every route before it. Each pattern's literal text before its
//! first capture is checked before its regex runs. Measures one request through a router of 60
//! routes (30 viewset-like pairs, a list and a detail each) to the last detail, against one to
//! the first. Run: `cargo bench -p restframe --bench routing`.
#![allow(missing_docs)]

mod oneshot;

use criterion::{Criterion, criterion_group, criterion_main};
use http::Method;
use restframe::{Request, Response, Router, api_view};

/// Viewset-like pairs of routes: `/api/things{i}/` and `/api/things{i}/{id}/`.
const PAIRS: usize = 30;

fn router() -> Router {
    let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) });
    let mut router = Router::new();
    for i in 0..PAIRS {
        router = router
            .route(
                &format!("/api/things{i}/"),
                &format!("things{i}-list"),
                [(Method::GET, ok.clone())],
            )
            .and_then(|r| {
                r.route(
                    &format!("/api/things{i}/{{id}}/"),
                    &format!("things{i}-detail"),
                    [(Method::GET, ok.clone())],
                )
            })
            .expect("the routes");
    }
    router
}

fn routing(c: &mut Criterion) {
    let router = router();
    let mut group = c.benchmark_group("routing");
    let last = format!("/api/things{}/4/", PAIRS - 1);
    for (name, path) in [
        ("first_of_60", "/api/things0/"),
        ("second_of_60", "/api/things0/4/"),
        ("last_of_60", last.as_str()),
    ] {
        oneshot::bench(&mut group, name, &router, || oneshot::get(path));
    }
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
