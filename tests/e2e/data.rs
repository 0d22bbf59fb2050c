//! Hostile data (issue 13): NUL characters in text, characters XML cannot carry, memory under
//! hostile bodies at full `max_body_bytes`, and the bounded `/users/` page.

use restframe_tests::App;
use serde_json::json;

use crate::on_every_backend;

on_every_backend!(
    a_nul_character_in_a_body_field_is_a_400_naming_it,
    a_nul_character_in_a_filter_is_a_400_naming_it,
);

const NUL_MESSAGE: &str = "Null characters are not allowed.";

async fn a_nul_character_in_a_body_field_is_a_400_naming_it(app: &App) {
    let body = json!({"title": "a\u{0}b", "artist_name": "Miles Davis"}).to_string();
    let r = app.post("/api/tracks/", "application/json", body).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"title": [NUL_MESSAGE]}));

    let track = crate::crud::create_track(app, "So What", "Miles Davis", None).await;
    let url = format!("/api/tracks/{}/", track["id"]);
    let patch = json!({"title": "a\u{0}b"}).to_string();
    let r = app
        .send(
            "PATCH",
            &url,
            &[("content-type", "application/json")],
            patch,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"title": [NUL_MESSAGE]}));
    let put = json!({"title": "a\u{0}b", "artist_name": "x"}).to_string();
    let r = app
        .send("PUT", &url, &[("content-type", "application/json")], put)
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"title": [NUL_MESSAGE]}));
    // In the negotiated format.
    let r = app
        .send(
            "POST",
            "/api/tracks/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/xml"),
            ],
            "title=a%00b&artist_name=x",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text()
            .contains("<title><list-item>Null characters are not allowed.</list-item></title>"),
        "{}",
        r.text()
    );
    // Nothing was stored, and the row is unchanged.
    assert_eq!(app.get(&url, &[]).await.json()["title"], "So What");
    assert_eq!(app.get("/api/tracks/", &[]).await.json()["count"], 1);
}

async fn a_nul_character_in_a_filter_is_a_400_naming_it(app: &App) {
    // `artist_name` is the tracks' filter field (`title` is none: ignored, as DRF does).
    let r = app.get("/api/tracks/?artist_name=a%00b", &[]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"artist_name": [NUL_MESSAGE]}));
    let r = app.get("/api/users/?username=%00", &[]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"username": [NUL_MESSAGE]}));
    // Still serving.
    assert_eq!(
        app.get("/api/tracks/?artist_name=ab", &[]).await.status,
        200
    );
}

#[tokio::test]
async fn a_control_character_is_replaced_in_xml_not_a_406() {
    let app = crate::start();
    let track = crate::crud::create_track(&app, "So\u{1}What\u{1b}", "Miles Davis", None).await;
    assert_eq!(track["title"], "So\u{1}What\u{1b}");
    let id = &track["id"];
    for url in ["/api/tracks/".to_owned(), format!("/api/tracks/{id}/")] {
        let r = app.get(&url, &[("accept", "application/xml")]).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text());
        assert_eq!(r.header("content-type"), "application/xml; charset=utf-8");
        assert!(
            r.text().contains("<title>So\u{FFFD}What\u{FFFD}</title>"),
            "{url}: {}",
            r.text()
        );
        // JSON still carries the exact value.
        let json = app.get(&url, &[]).await.text();
        assert!(json.contains("So\\u0001What\\u001b"), "{json}");
    }
}

/// The default `max_body_bytes` of the example app's API.
const MAX_BODY: usize = 2_621_440;

/// The most a hostile YAML body may make the app's resident set peak at (`VmHWM`), in bytes:
/// the app idles near 55 MiB (debug build), and YAML parsing takes at most 64 × the body +
/// 4 MiB (164 MiB at `MAX_BODY`).
const YAML_PEAK_RSS: u64 = 256 << 20;

/// The most a dense (non-expanding) body of full size may make the app peak at while it is
/// parsed and echoed back: about 2.6 million values.
const DENSE_PEAK_RSS: u64 = 320 << 20;

/// `head`, then `item` repeated, then `tail`, as long as fits in `MAX_BODY - slack` bytes.
fn filled(head: &str, item: &str, tail: &str, slack: usize) -> Vec<u8> {
    let room = MAX_BODY - slack - head.len() - tail.len();
    let mut body = String::with_capacity(MAX_BODY);
    body.push_str(head);
    body.push_str(&item.repeat(room / item.len()));
    body.push_str(tail);
    assert!(body.len() <= MAX_BODY);
    body.into_bytes()
}

fn assert_peak_rss_bounded(app: &App, what: &str, bound: u64) {
    let Some(peak) = app.peak_rss() else {
        eprintln!("no /proc/PID/status here: peak RSS not checked");
        return;
    };
    eprintln!("{what}: peak RSS {} MiB", peak >> 20);
    assert!(
        peak < bound,
        "{what}: the app peaked at {} MiB (bound {} MiB)",
        peak >> 20,
        bound >> 20
    );
}

#[tokio::test]
async fn hostile_yaml_at_full_size_is_refused_within_a_memory_bound() {
    let bodies = [
        // A list referenced from a list many times over: quadratic fan-out.
        filled("a: &a [", "x,", "x]\nb: [*a", 400_000)
            .into_iter()
            .chain(filled("", ",*a", "]\n", MAX_BODY - 400_000 + 8))
            .collect::<Vec<u8>>(),
        // A long string referenced many times: each alias copies it.
        filled("a: &a \"", "x", "\"\nb: [*a", 1_300_000)
            .into_iter()
            .chain(filled("", ",*a", "]\n", MAX_BODY - 1_300_000 + 8))
            .collect(),
        // A mapping of many entries referenced many times.
        filled("a: &a {", "k0: 1, ", "z: 1}\nb: [*a", 1_000_000)
            .into_iter()
            .chain(filled("", ",*a", "]\n", MAX_BODY - 1_000_000 + 8))
            .collect(),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        // A fresh app each, so each peak is the body's own.
        let app = crate::start();
        assert!(body.len() <= MAX_BODY, "{i}: {}", body.len());
        let r = app.post("/api/echo/", "application/yaml", body).await;
        assert!(
            (400..500).contains(&r.status),
            "{i}: {} {}",
            r.status,
            r.text()
        );
        assert_peak_rss_bounded(&app, &format!("YAML body {i}"), YAML_PEAK_RSS);
        // Still serving.
        assert_eq!(app.get("/api/hello/", &[]).await.status, 200);
    }
}

#[tokio::test]
async fn dense_json_xml_and_msgpack_at_full_size_stay_within_a_memory_bound() {
    let mut msgpack = vec![0xdd];
    let n = MAX_BODY - 5;
    msgpack.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
    msgpack.resize(MAX_BODY, 0xc0); // n × nil
    let bodies = [
        ("application/json", filled("[", "1,", "1]", 0)),
        ("application/json", filled("[", "{},", "{}]", 0)),
        (
            "application/xml",
            filled("<root>", "<a>1</a>", "</root>", 0),
        ),
        ("application/msgpack", msgpack),
        ("application/yaml", filled("[", "1,", "1]", 0)),
        ("application/yaml", filled("a: &a x\nb: [*a", ",*a", "]", 0)),
    ];
    for (content_type, body) in bodies {
        let app = crate::start();
        let r = app.post("/api/echo/", content_type, body).await;
        assert!(r.status < 500, "{content_type}: {} {}", r.status, r.text());
        assert_peak_rss_bounded(
            &app,
            &format!("{content_type} ({})", r.status),
            DENSE_PEAK_RSS,
        );
    }
}

/// The most the app may peak at with three users of 5 MiB pictures, uploaded and listed by
/// eight clients at once (it once peaked at 2 GB for one listing of 100 such users).
const USERS_PEAK_RSS: u64 = 256 << 20;

/// A valid PNG of about `size` bytes: the 1×1 PNG, padded after its end (as a camera's
/// trailing data).
fn big_png(size: usize) -> Vec<u8> {
    let mut png = crate::pictures::PNG.to_vec();
    png.resize(size, 0);
    png
}

#[tokio::test]
async fn the_users_page_is_paginated_and_links_large_pictures() {
    let app = crate::start();
    let mut big = Vec::new();
    for name in ["big0", "big1", "big2"] {
        let id = crate::pictures::user(&app, name).await;
        let r = app
            .send_body(
                "PUT",
                &format!("/api/users/{id}/picture/"),
                "image/png",
                big_png((5 << 20) - 4096),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        big.push(id);
    }
    let small = crate::pictures::user(&app, "small").await;
    let r = app
        .send_body(
            "PUT",
            &format!("/api/users/{small}/picture/"),
            "image/png",
            crate::pictures::PNG.to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Five users (with the harness's superuser): one page, the large pictures linked.
    let r = app.get("/users.json", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.len() < 64 << 10, "{} bytes", r.body.len());
    let data = r.json();
    assert_eq!(data["count"], 5, "{data}");
    assert_eq!(data["next"], serde_json::Value::Null);
    let rows = data["results"].as_array().unwrap();
    for id in &big {
        let row = rows.iter().find(|u| u["id"] == *id).unwrap();
        let picture = &row["picture"];
        assert_eq!(picture["mime_type"], "image/png");
        assert_eq!(picture["size"], (5 << 20) - 4096);
        assert!(picture.get("data").is_none(), "{picture}");
        let url = picture["url"].as_str().unwrap();
        assert_eq!(url, format!("{}/api/users/{id}/picture/", app.base()));
        // The link serves the picture.
        let served = app.send_to_url("GET", url, "").await;
        assert_eq!(served.status, 200);
        assert_eq!(served.body.len(), (5 << 20) - 4096);
    }
    let row = rows.iter().find(|u| u["id"] == small).unwrap();
    use base64::Engine;
    assert_eq!(
        row["picture"]["data"],
        base64::engine::general_purpose::STANDARD.encode(crate::pictures::PNG)
    );
    let html = app.get("/users/", &[("accept", "text/html")]).await.text();
    assert!(html.len() < 64 << 10, "{} bytes", html.len());
    assert!(
        html.contains(&format!(
            "src=\"{}/api/users/{}/picture/\"",
            app.base(),
            big[0]
        )),
        "{html}"
    );
    assert!(html.contains("src=\"data:image/png;base64,"), "{html}");

    // Pages: `?page_size=2` gives three pages, with links; past the end is a 404.
    let first = app.get("/users.json?page_size=2", &[]).await.json();
    assert_eq!(first["results"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap();
    assert!(next.ends_with("/users.json?page=2&page_size=2"), "{next}");
    let last = app.get("/users.json?page_size=2&page=3", &[]).await.json();
    assert_eq!(last["results"].as_array().unwrap().len(), 1);
    assert_eq!(last["next"], serde_json::Value::Null);
    let r = app.get("/users.json?page_size=2&page=4", &[]).await;
    assert_eq!(r.status, 404, "{}", r.text());
    // At most 100 a page.
    let r = app.get("/users.json?page_size=1000", &[]).await;
    assert_eq!(r.status, 200);

    // Eight concurrent page loads stay small.
    let loads = (0..8).map(|_| app.get("/users.json?page_size=100", &[]));
    for r in futures_util::future::join_all(loads).await {
        assert_eq!(r.status, 200);
        assert!(r.body.len() < 64 << 10);
    }
    assert_peak_rss_bounded(&app, "users page", USERS_PEAK_RSS);
}
