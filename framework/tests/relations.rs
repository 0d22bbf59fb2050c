//! Relations on a `ModelViewSet` over SQLite, through the router: a foreign key shown as its
//! primary key, as a nested read-only object and as a hyperlink, a `url` identity field built
//! by route reversing, and a list whose relation costs one query per page whatever its size
//! (no N+1), counted with `Database::statements_run`.
//!
//! Run with `cargo test -p restframe --features sqlite --test relations`.
#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use restframe::sql::{Column, ColumnType, Database, SqlRepository, Table};
use restframe::{ModelViewSet, Repository, Router, Validate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Artist {
    id: i64,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct ArtistInput {
    name: String,
}

impl Validate for ArtistInput {}

#[derive(Default, Serialize, Deserialize)]
struct ArtistPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl Table for Artist {
    type Input = ArtistInput;
    type Patch = ArtistPatch;
    const NAME: &'static str = "rel_artist";
    const COLUMNS: &'static [Column] = &[
        Column::integer("id").primary_key().read_only(),
        Column::text("name"),
    ];
}

/// What an album shows of its artist, nested and read-only.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ArtistSummary {
    id: i64,
    name: String,
    url: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Album {
    id: i64,
    title: String,
    /// The foreign key, as its primary key (DRF's `PrimaryKeyRelatedField`).
    artist: i64,
    /// The album's own URL (DRF's `HyperlinkedIdentityField`).
    #[serde(default)]
    url: Option<String>,
    /// The artist as a hyperlink (DRF's `HyperlinkedRelatedField`).
    #[serde(default)]
    artist_url: Option<String>,
    /// The artist as a nested read-only object (a nested serializer).
    #[serde(default)]
    artist_detail: Option<ArtistSummary>,
}

#[derive(Serialize, Deserialize)]
struct AlbumInput {
    title: String,
    artist: i64,
}

impl Validate for AlbumInput {}

#[derive(Default, Serialize, Deserialize)]
struct AlbumPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

impl Table for Album {
    type Input = AlbumInput;
    type Patch = AlbumPatch;
    const NAME: &'static str = "rel_album";
    const COLUMNS: &'static [Column] = &[
        Column::integer("id").primary_key().read_only(),
        Column::text("title"),
        Column::new("artist", ColumnType::Integer),
    ];
}

struct Fixture {
    db: Database,
    router: Router,
}

async fn fixture(albums: usize) -> Fixture {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.create_table::<Artist>().await.unwrap();
    db.create_table::<Album>().await.unwrap();
    let artists = SqlRepository::<Artist>::new(&db);
    let album_repo = SqlRepository::<Album>::new(&db);
    for name in ["Miles Davis", "Nina Simone", "Thelonious Monk"] {
        artists
            .create(ArtistInput { name: name.into() })
            .await
            .unwrap();
    }
    for i in 0..albums {
        album_repo
            .create(AlbumInput {
                title: format!("Album {i}"),
                artist: i64::try_from(i % 3).unwrap() + 1,
            })
            .await
            .unwrap();
    }
    let router = ModelViewSet::new("Artist", "artist", artists.clone())
        .register(Router::new(), "/artists/")
        .unwrap();
    let router = ModelViewSet::new("Album", "album", album_repo)
        .prefetch(move |req, albums| {
            let artists = artists.clone();
            Box::pin(async move {
                let ids: Vec<String> = albums.iter().map(|a| a.artist.to_string()).collect();
                let found: HashMap<i64, Artist> = artists
                    .retrieve_many(&ids)
                    .await?
                    .into_iter()
                    .map(|a| (a.id, a))
                    .collect();
                for album in albums.iter_mut() {
                    let Some(artist) = found.get(&album.artist) else {
                        continue;
                    };
                    let url = req.reverse("artist-detail", &[&artist.id.to_string()])?;
                    album.artist_url = Some(url.clone());
                    album.artist_detail = Some(ArtistSummary {
                        id: artist.id,
                        name: artist.name.clone(),
                        url,
                    });
                }
                Ok(())
            })
        })
        .to_representation(|req, album: &mut Album| {
            album.url = req.reverse("album-detail", &[&album.id.to_string()]).ok();
        })
        .page_size(10, 100)
        .register(router, "/albums/")
        .unwrap();
    Fixture { db, router }
}

async fn send(router: &Router, method: Method, uri: &str, body: Value) -> (StatusCode, Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "music.test:8000")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_foreign_key_is_shown_as_its_key_nested_and_as_a_hyperlink() {
    let f = fixture(3).await;
    let (status, album) = send(&f.router, Method::GET, "/albums/2/", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{album}");
    assert_eq!(
        album,
        json!({
            "id": 2,
            "title": "Album 1",
            "artist": 2,
            "url": "http://music.test:8000/albums/2/",
            "artist_url": "http://music.test:8000/artists/2/",
            "artist_detail": {
                "id": 2,
                "name": "Nina Simone",
                "url": "http://music.test:8000/artists/2/",
            },
        })
    );
    // The hyperlink leads to the artist.
    let (status, artist) = send(&f.router, Method::GET, "/artists/2/", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(artist["name"], "Nina Simone");
}

#[tokio::test]
async fn writes_answer_with_their_relations_too() {
    let f = fixture(0).await;
    let (status, created) = send(
        &f.router,
        Method::POST,
        "/albums/",
        json!({"title": "Kind of Blue", "artist": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["artist_detail"]["name"], "Miles Davis");
    assert_eq!(created["url"], "http://music.test:8000/albums/1/");
    let (status, patched) = send(
        &f.router,
        Method::PATCH,
        "/albums/1/",
        json!({"title": "Kind of Blue (2nd take)"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["artist_url"], "http://music.test:8000/artists/1/");
}

#[tokio::test]
async fn a_list_with_a_nested_relation_costs_the_same_queries_at_any_page_size() {
    let f = fixture(60).await;
    let mut costs = Vec::new();
    for size in [1, 5, 20, 60] {
        let before = f.db.statements_run();
        let (status, page) = send(
            &f.router,
            Method::GET,
            &format!("/albums/?page_size={size}"),
            Value::Null,
        )
        .await;
        let cost = f.db.statements_run() - before;
        assert_eq!(status, StatusCode::OK, "{page}");
        let results = page["results"].as_array().unwrap();
        assert_eq!(results.len(), size);
        assert!(
            results
                .iter()
                .all(|a| a["artist_detail"]["name"].is_string()),
            "{page}"
        );
        costs.push(cost);
    }
    // The page with its count, and one lookup of the artists, whatever the size.
    assert_eq!(costs, [2, 2, 2, 2]);
}

#[tokio::test]
async fn retrieve_many_looks_up_each_key_once_and_skips_what_cannot_be_a_key() {
    let f = fixture(0).await;
    let artists = SqlRepository::<Artist>::new(&f.db);
    let before = f.db.statements_run();
    let mut found = artists
        .retrieve_many(["3", "1", "3", "x", "99"])
        .await
        .unwrap();
    assert_eq!(f.db.statements_run() - before, 1);
    found.sort_by_key(|a| a.id);
    let names: Vec<&str> = found.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Miles Davis", "Thelonious Monk"]);
    // Nothing to look up: no query at all.
    let none = artists.retrieve_many(Vec::<String>::new()).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(f.db.statements_run() - before, 1);
    // More keys than one statement takes (500) are looked up in chunks, all found.
    let many: Vec<String> = (1..=1200).rev().map(|i| i.to_string()).collect();
    let before = f.db.statements_run();
    assert_eq!(artists.retrieve_many(&many).await.unwrap().len(), 3);
    assert_eq!(f.db.statements_run() - before, 3);
}
