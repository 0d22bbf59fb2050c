//! The links of a list (issue 16): a 100-row page builds an absolute URL for each row, from
//! the request's checked base URL and a reversed route. The base URL is worked out once per
//! request (`Request::base_url` keeps it); this guards that, and measures the reverse: one
//! `Request::reverse` per row against one `Request::reverser` per page (what the example app's
//! tracks use). Run: `cargo bench -p restframe --bench links`.
#![allow(missing_docs)]

mod oneshot;

use criterion::{Criterion, criterion_group, criterion_main};
use http::Method;
use restframe::{Request, Response, Router, api_view};

/// Rows of the page, each with one link.
const ROWS: usize = 100;

/// How each row's link is made.
#[derive(Clone, Copy)]
enum Link {
    /// The base URL and a path formatted by hand: no reverse at all.
    Formatted,
    /// `Request::reverse` for each row.
    Reverse,
    /// One `Request::reverser` for the page, `url` for each row.
    Reverser,
}

fn router(link: Link) -> Router {
    let links = api_view(move |req: Request| async move {
        let mut out = Vec::with_capacity(ROWS);
        match link {
            Link::Formatted => {
                for id in 0..ROWS {
                    let base = req.base_url()?;
                    out.push(format!("{base}/items/{id}/"));
                }
            }
            Link::Reverse => {
                for id in 0..ROWS {
                    out.push(req.reverse("item-detail", &[&id.to_string()])?);
                }
            }
            Link::Reverser => {
                let reverser = req.reverser("item-detail")?;
                for id in 0..ROWS {
                    out.push(reverser.url(&[&id.to_string()])?);
                }
            }
        }
        Ok(Response::new(out.len()))
    });
    let ok = api_view(|_req: Request| async { Ok(Response::new("ok")) });
    Router::new()
        .route("/links/", "links", [(Method::GET, links)])
        .and_then(|r| r.route("/items/{id:[0-9]+}/", "item-detail", [(Method::GET, ok)]))
        .expect("the routes")
}

fn links(c: &mut Criterion) {
    let mut group = c.benchmark_group("list_links");
    for (name, link) in [
        ("base_url_x100", Link::Formatted),
        ("base_url_and_reverse_x100", Link::Reverse),
        ("reverser_x100", Link::Reverser),
    ] {
        oneshot::bench(&mut group, name, &router(link), || oneshot::get("/links/"));
    }
    group.finish();
}

criterion_group!(benches, links);
criterion_main!(benches);
