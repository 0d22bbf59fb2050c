//! Lists: DRF's pagination envelope and `Link` header, ordering and filtering, in SQL on SQLite
//! and PostgreSQL.

use restframe_tests::App;
use serde_json::{Value, json};

use crate::crud::create_track;
use crate::on_every_backend;

on_every_backend!(
    pages_links_and_sizes,
    ordering_is_allow_listed_with_a_stable_tiebreaker,
    filters_are_exact_and_typed,
    lookups_search_and_bad_values,
    limit_offset_windows,
);

async fn seed(app: &App, n: usize) {
    for i in 0..n {
        let artist = if i % 2 == 0 { "Coltrane" } else { "Monk" };
        let date = format!("19{:02}-01-01", 50 + i % 10);
        create_track(app, &format!("Track {i:02}"), artist, Some(&date)).await;
    }
}

fn titles(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn pages_links_and_sizes(app: &App) {
    seed(app, 25).await;
    let base = app.base();

    let first = app
        .get("/api/tracks/?artist_name=&ordering=title", &[])
        .await;
    // An empty filter value is no filter (django-filter's way).
    assert_eq!(first.json()["count"], 25, "{}", first.text());

    let first = app.get("/api/tracks/?ordering=title", &[]).await;
    assert_eq!(first.status, 200);
    let page = first.json();
    assert_eq!(page["count"], 25);
    assert_eq!(page["previous"], Value::Null);
    let next = format!("{base}/api/tracks/?ordering=title&page=2");
    assert_eq!(page["next"], next.as_str());
    assert_eq!(
        page["results"].as_array().unwrap().len(),
        20,
        "default page size"
    );
    assert_eq!(first.header("link"), format!("<{next}>; rel=\"next\""));

    let second = app.get("/api/tracks/?ordering=title&page=2", &[]).await;
    let page2 = second.json();
    assert_eq!(
        titles(&page2),
        (20..25)
            .map(|i| format!("Track {i:02}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(page2["next"], Value::Null);
    let previous = format!("{base}/api/tracks/?ordering=title");
    assert_eq!(
        page2["previous"],
        previous.as_str(),
        "page 1 drops ?page=, as DRF"
    );
    assert_eq!(second.header("link"), format!("<{previous}>; rel=\"prev\""));

    // Links and the Link header in other formats too, and in the YAML body.
    let yaml = app.get("/api/tracks.yaml?page_size=10&page=2", &[]).await;
    assert_eq!(yaml.status, 200);
    let link = yaml.header("link");
    assert!(
        link.contains(&format!(
            "<{base}/api/tracks.yaml?page=3&page_size=10>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(
        link.contains(&format!(
            "<{base}/api/tracks.yaml?page_size=10>; rel=\"prev\""
        )),
        "{link}"
    );
    let body: Value = serde_yaml::from_slice(&yaml.body).unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 10);
    let csv = app
        .get("/api/tracks/?page_size=5", &[("accept", "text/csv")])
        .await;
    assert_eq!(
        csv.text().lines().count(),
        6,
        "header + 5 rows: {}",
        csv.text()
    );
    assert!(csv.header("link").contains("rel=\"next\""));

    // page_size is capped at the viewset's maximum (100); nonsense is a 400 naming it (the
    // document allows integers from 1 only).
    let big = app.get("/api/tracks/?page_size=1000", &[]).await.json();
    assert_eq!(big["results"].as_array().unwrap().len(), 25);
    let nonsense = app.get("/api/tracks/?page_size=-3", &[]).await;
    assert_eq!(nonsense.status, 400, "{}", nonsense.text());
    assert!(nonsense.json()["page_size"].is_array());

    // A page past the end, or not a page, is 404 as DRF.
    for bad in ["3", "0", "x", "99999999999999999999"] {
        let r = app.get(&format!("/api/tracks/?page={bad}"), &[]).await;
        assert_eq!(r.status, 404, "page={bad}");
        assert_eq!(r.json(), json!({"detail": "Invalid page."}));
    }
}

async fn ordering_is_allow_listed_with_a_stable_tiebreaker(app: &App) {
    create_track(app, "b", "Zed", Some("2001-01-01")).await;
    create_track(app, "a", "Zed", None).await;
    create_track(app, "c", "Abe", Some("1999-01-01")).await;
    create_track(app, "a", "Abe", Some("2005-01-01")).await;
    let order = |q: &'static str| async move {
        let page = app.get(&format!("/api/tracks/?{q}"), &[]).await.json();
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{}/{}",
                    t["title"].as_str().unwrap(),
                    t["artist_name"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        order("").await,
        "b/Zed a/Zed c/Abe a/Abe",
        "by id by default"
    );
    assert_eq!(
        order("ordering=title").await,
        "a/Zed a/Abe b/Zed c/Abe",
        "ties by id"
    );
    assert_eq!(
        order("ordering=-title,artist_name").await,
        "c/Abe b/Zed a/Abe a/Zed"
    );
    assert_eq!(order("ordering=-id").await, "a/Abe c/Abe a/Zed b/Zed");
    assert_eq!(
        order("ordering=artist_name,-title").await,
        "c/Abe a/Abe b/Zed a/Zed"
    );
    // Fields not on the allow-list are ignored, as DRF.
    assert_eq!(
        order("ordering=file,-nonsense").await,
        "b/Zed a/Zed c/Abe a/Abe"
    );
    // NULLs last going up, first going down, on every backend.
    assert_eq!(
        order("ordering=release_date").await,
        "c/Abe b/Zed a/Abe a/Zed"
    );
    assert_eq!(
        order("ordering=-release_date").await,
        "a/Zed a/Abe b/Zed c/Abe"
    );
}

async fn filters_are_exact_and_typed(app: &App) {
    seed(app, 6).await;
    let monk = app.get("/api/tracks/?artist_name=Monk", &[]).await.json();
    assert_eq!(monk["count"], 3);
    assert!(
        monk["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["artist_name"] == "Monk")
    );
    // Exact, not partial or case-folded.
    assert_eq!(
        app.get("/api/tracks/?artist_name=monk", &[]).await.json()["count"],
        0
    );
    assert_eq!(
        app.get("/api/tracks/?artist_name=Mon", &[]).await.json()["count"],
        0
    );
    // Undeclared filters are ignored.
    assert_eq!(
        app.get("/api/tracks/?duration=5&owner=99", &[])
            .await
            .json()["count"],
        6
    );
    // Filters combine with ordering and pagination, and the links keep them.
    let r = app
        .get(
            "/api/tracks/?artist_name=Coltrane&ordering=-title&page_size=2",
            &[],
        )
        .await;
    let page = r.json();
    assert_eq!(page["count"], 3);
    assert_eq!(titles(&page), ["Track 04", "Track 02"]);
    assert_eq!(
        page["next"],
        format!(
            "{}/api/tracks/?artist_name=Coltrane&ordering=-title&page=2&page_size=2",
            app.base()
        )
        .as_str()
    );
    // A filter value with SQL in it is only ever a value.
    let injection = app
        .get("/api/tracks/?artist_name=x%27%20OR%20%271%27=%271", &[])
        .await;
    assert_eq!(injection.status, 200);
    assert_eq!(injection.json()["count"], 0);
    // Users filter on username (a unique column).
    let r = app
        .post(
            "/api/users/",
            "application/json",
            r#"{"username":"grace","password":"grace-password"}"#,
        )
        .await;
    assert_eq!(r.status, 201);
    let users = app.get("/api/users/?username=grace", &[]).await.json();
    assert_eq!(users["count"], 1);
}

/// The ids of every row matching `query` (one page of 100), in id order.
async fn ids_of(app: &App, query: &str) -> Vec<i64> {
    let r = app
        .get(
            &format!("/api/tracks/?page_size=100&ordering=id&{query}"),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    r.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

async fn lookups_search_and_bad_values(app: &App) {
    let mut ids = Vec::new();
    for (title, artist, date) in [
        ("Blue in Green", "Miles Davis", Some("1959-08-17")),
        ("So What", "Miles Davis", Some("1959-08-17")),
        ("Blue Monk", "Thelonious Monk", Some("1954-09-22")),
        ("Naima", "John Coltrane", None),
        ("100%_Blue", "Nobody", Some("2001-01-01")),
    ] {
        let t = create_track(app, title, artist, date).await;
        ids.push(t["id"].as_i64().unwrap());
    }
    let [blue_green, so_what, blue_monk, naima, percent] = ids[..] else {
        panic!("five tracks")
    };
    for (query, expected) in [
        (
            "title__icontains=BLUE",
            vec![blue_green, blue_monk, percent],
        ),
        ("title__istartswith=blue", vec![blue_green, blue_monk]),
        ("artist_name__icontains=monk", vec![blue_monk]),
        (
            "artist_name__istartswith=Miles%20D",
            vec![blue_green, so_what],
        ),
        // `%` and `_` are themselves, not wildcards.
        ("title__icontains=0%25_", vec![percent]),
        ("title__icontains=_", vec![percent]),
        ("release_date=1959-08-17", vec![blue_green, so_what]),
        ("release_date__gt=1959-08-17", vec![percent]),
        (
            "release_date__gte=1959-08-17",
            vec![blue_green, so_what, percent],
        ),
        ("release_date__lt=1959-08-17", vec![blue_monk]),
        ("release_date__lte=1959-01-01", vec![blue_monk]),
        ("release_date__isnull=true", vec![naima]),
        (
            "release_date__isnull=false&release_date__lt=2000-01-01",
            vec![blue_green, so_what, blue_monk],
        ),
        (
            &format!("id__in={naima},{blue_monk},999999"),
            vec![blue_monk, naima],
        ),
        // Lookups combine (AND), and empty values are no filter.
        (
            "title__icontains=blue&artist_name=Miles%20Davis",
            vec![blue_green],
        ),
        ("release_date__gte=&title__icontains=&id__in=", ids.clone()),
        // `?search=`: every term in title or artist, ignoring case.
        ("search=blue", vec![blue_green, blue_monk, percent]),
        ("search=blue%20miles", vec![blue_green]),
        ("search=MONK,blue", vec![blue_monk]),
        ("search=coltrane", vec![naima]),
        ("search=", ids.clone()),
    ] {
        assert_eq!(ids_of(app, query).await, expected, "{query}");
    }
    // The count follows the conditions, and the links keep them.
    let r = app
        .get("/api/tracks/?search=miles&page_size=1", &[])
        .await
        .json();
    assert_eq!(r["count"], 2);
    assert!(r["next"].as_str().unwrap().contains("search=miles"), "{r}");

    // A bad value is a 400 naming its parameter; all of them at once.
    let r = app
        .get(
            "/api/tracks/?release_date__gte=soon&id__in=1,x&release_date__isnull=maybe",
            &[],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let body = r.json();
    assert!(body["release_date__gte"][0].is_string(), "{body}");
    assert_eq!(
        body["id__in"],
        json!(["A valid integer is required."]),
        "{body}"
    );
    assert_eq!(
        body["release_date__isnull"],
        json!(["Must be a valid boolean."]),
        "{body}"
    );
    // SQL in a value is only ever a value.
    assert!(
        ids_of(app, "title__icontains=%27%20OR%201=1%20--")
            .await
            .is_empty()
    );
    assert!(ids_of(app, "search=%27)%20OR%20(%271").await.is_empty());
    // A NUL character is refused in a lookup as in any text, naming the parameter.
    for query in [
        "title__icontains=a%00b",
        "id__in=1,%00",
        "artist_name__istartswith=%00",
    ] {
        let r = app.get(&format!("/api/tracks/?{query}"), &[]).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        let param = query.split('=').next().unwrap_or_default();
        assert!(r.json()[param].is_array(), "{query}: {}", r.text());
    }
    // Far more text than any term: ten terms at most, each a bound parameter.
    let long = vec!["blue"; 500].join("%20");
    assert_eq!(
        ids_of(app, &format!("search={long}")).await,
        vec![blue_green, blue_monk, percent]
    );
}

/// The third paginator over HTTP (`/api/test/tracks-by-offset/`, `LimitOffsetPagination` with 5
/// rows by default and at most 10): windows, their links, a capped limit, an offset past the
/// end, the count, and bad values named in a 400.
async fn limit_offset_windows(app: &App) {
    seed(app, 12).await;
    let get = |query: &'static str| async move {
        let r = app
            .get(&format!("/api/test/tracks-by-offset/{query}"), &[])
            .await;
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        r.json()
    };
    let base = format!("{}/api/test/tracks-by-offset/", app.base());

    let first = get("?ordering=title").await;
    assert_eq!(first["count"], 12);
    assert_eq!(
        titles(&first),
        ["Track 00", "Track 01", "Track 02", "Track 03", "Track 04"]
    );
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(
        first["next"],
        format!("{base}?limit=5&offset=5&ordering=title")
    );

    let middle = get("?ordering=title&limit=5&offset=5").await;
    assert_eq!(titles(&middle)[0], "Track 05");
    // Back to the start: DRF leaves `offset` out rather than writing `offset=0`.
    assert_eq!(middle["previous"], format!("{base}?limit=5&ordering=title"));

    let last = get("?ordering=title&limit=5&offset=10").await;
    assert_eq!(titles(&last), ["Track 10", "Track 11"]);
    assert_eq!(last["next"], Value::Null);
    assert_eq!(
        last["previous"],
        format!("{base}?limit=5&offset=5&ordering=title")
    );

    // A limit past the maximum is capped; an offset past the end is an empty window.
    assert_eq!(
        get("?limit=1000").await["results"].as_array().map(Vec::len),
        Some(10)
    );
    let past = get("?offset=500").await;
    assert_eq!(past["results"], serde_json::json!([]));
    assert_eq!(past["count"], 12);
    assert_eq!(past["next"], Value::Null);

    // The order goes on across windows: every row once, newest first.
    let mut ids = Vec::new();
    for query in [
        "?ordering=-id",
        "?ordering=-id&offset=5",
        "?ordering=-id&offset=10",
    ] {
        let page = get(query).await;
        ids.extend(
            page["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["id"].as_i64()),
        );
    }
    assert_eq!(ids.len(), 12, "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");

    // Bad values: a 400 naming the parameter.
    for (query, param) in [
        ("?limit=abc", "limit"),
        ("?limit=0", "limit"),
        ("?offset=-1", "offset"),
        ("?offset=x", "offset"),
    ] {
        let r = app
            .get(&format!("/api/test/tracks-by-offset/{query}"), &[])
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert!(r.json()[param].is_array(), "{query}: {}", r.text());
    }
}
