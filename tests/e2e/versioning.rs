//! API versions on the real binary, on SQLite and PostgreSQL: `/api/v1/…` and `/api/v2/…` by
//! path (DRF's `URLPathVersioning`), `/api/…` by `Accept: application/json; version=2`
//! (`AcceptHeaderVersioning`, echoed in `Content-Type`), DRF's answers to unknown versions,
//! version 2's nested owner and cursor pages (signed, stable while rows are inserted), links
//! that stay in the version they were asked in, and one document per version.

use restframe_tests::{App, Reply};
use serde_json::{Value, json};

use crate::on_every_backend;

on_every_backend!(
    path_versions_show_the_owner_as_each_version_says,
    the_accept_header_chooses_the_version_and_content_type_says_it,
    unknown_versions_get_drfs_answers,
    version_2_lists_behind_cursors_stable_while_rows_are_inserted,
    each_version_has_its_own_document,
);

/// Ada and `n` tracks of hers; her id and token.
async fn ada_with_tracks(app: &App, n: usize) -> (i64, String) {
    let (id, token) = app.create_user("ada", "ada-password").await;
    let ada = app.as_token(&token);
    for i in 0..n {
        let r = ada
            .post(
                "/api/v1/tracks/",
                "application/json",
                format!(r#"{{"title":"Take {i}","artist_name":"Ada"}}"#),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    (id, token)
}

fn ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {page}"))
        .iter()
        .map(|t| t["id"].as_i64().unwrap_or_default())
        .collect()
}

/// `path?query` of an absolute link of this app.
fn local(app: &App, link: &Value) -> String {
    let link = link
        .as_str()
        .unwrap_or_else(|| panic!("not a link: {link}"));
    link.strip_prefix(app.base())
        .unwrap_or_else(|| panic!("{link} is not on {}", app.base()))
        .to_owned()
}

async fn path_versions_show_the_owner_as_each_version_says(app: &App) {
    let (ada_id, _) = ada_with_tracks(app, 1).await;
    let base = app.base();
    let v1 = app.anonymous().get("/api/v1/tracks/", &[]).await;
    assert_eq!(v1.status, 200, "{}", v1.text());
    let page = v1.json();
    assert_eq!(page["count"], 1, "version 1 pages count");
    let track = &page["results"][0];
    let id = track["id"].as_i64().unwrap_or_default();
    assert_eq!(track["owner"], ada_id);
    assert_eq!(track["owner_username"], "ada");
    // Links stay in the version they were asked in.
    assert_eq!(track["url"], format!("{base}/api/v1/tracks/{id}/"));
    assert_eq!(track["owner_url"], format!("{base}/api/v1/users/{ada_id}/"));

    let v2 = app
        .anonymous()
        .get(&format!("/api/v2/tracks/{id}/"), &[])
        .await;
    assert_eq!(v2.status, 200, "{}", v2.text());
    let track = v2.json();
    assert_eq!(
        track["owner"],
        json!({"id": ada_id, "username": "ada", "url": format!("{base}/api/v2/users/{ada_id}/")})
    );
    assert_eq!(track["url"], format!("{base}/api/v2/tracks/{id}/"));
    // The nested owner's URL answers, in version 2.
    let owner = app
        .send_to_url(
            "GET",
            track["owner"]["url"].as_str().unwrap_or_default(),
            "",
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.text());
    assert_eq!(owner.json()["username"], "ada");

    // The unversioned API is version 1, its links unversioned.
    let plain = app
        .anonymous()
        .get(&format!("/api/tracks/{id}/"), &[])
        .await;
    assert_eq!(plain.json()["owner"], ada_id);
    assert_eq!(plain.json()["url"], format!("{base}/api/tracks/{id}/"));
    // Writes go through a versioned path like any other.
    let (_, token) = app.create_user("bea", "bea-password").await;
    let r = app
        .as_token(&token)
        .post(
            "/api/v2/tracks/",
            "application/json",
            r#"{"title":"So What","artist_name":"Miles Davis"}"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["owner"]["username"], "bea");
}

async fn the_accept_header_chooses_the_version_and_content_type_says_it(app: &App) {
    let (ada_id, _) = ada_with_tracks(app, 3).await;
    let get = |accept: &'static str| async move {
        app.anonymous()
            .get("/api/tracks/", &[("accept", accept)])
            .await
    };
    let v2 = get("application/json; version=2").await;
    assert_eq!(v2.status, 200, "{}", v2.text());
    assert_eq!(v2.header("content-type"), "application/json; version=2");
    let page = v2.json();
    assert!(page.get("count").is_none(), "a cursor page: {page}");
    assert_eq!(page["results"][0]["owner"]["id"], ada_id);
    assert_eq!(
        page["results"][0]["url"],
        format!(
            "{}/api/tracks/{}/",
            app.base(),
            page["results"][0]["id"].as_i64().unwrap_or_default()
        )
    );
    // No version is version 1, and Content-Type says nothing more.
    let v1 = get("application/json").await;
    assert_eq!(v1.header("content-type"), "application/json");
    assert_eq!(v1.json()["count"], 3);
    assert_eq!(v1.json()["results"][0]["owner"], ada_id);
    let v1 = get("application/json; version=1").await;
    assert_eq!(v1.header("content-type"), "application/json; version=1");
    assert_eq!(v1.json()["count"], 3);
    // Another format carries the version as well.
    let yaml = get("application/yaml; version=2").await;
    assert_eq!(yaml.status, 200, "{}", yaml.text());
    assert!(
        yaml.header("content-type").ends_with("; version=2"),
        "{}",
        yaml.header("content-type")
    );
    assert!(!yaml.text().contains("count:"), "{}", yaml.text());
}

async fn unknown_versions_get_drfs_answers(app: &App) {
    ada_with_tracks(app, 1).await;
    for path in ["/api/v3/tracks/", "/api/v0/users/", "/api/2/tracks/1/"] {
        let r = app.anonymous().get(path, &[]).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"detail": "Invalid version in URL path."}),
            "{path}"
        );
    }
    let r = app
        .anonymous()
        .get("/api/tracks/", &[("accept", "application/json; version=3")])
        .await;
    assert_eq!(r.status, 406, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"detail": "Invalid version in \"Accept\" header."})
    );
    // In the negotiated format.
    let r = app
        .anonymous()
        .get("/api/tracks/", &[("accept", "application/yaml; version=9")])
        .await;
    assert_eq!(r.status, 406);
    assert!(r.header("content-type").starts_with("application/yaml"));
}

async fn walk(app: &App, first: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(uri) = next {
        let r: Reply = app.anonymous().get(&uri, &[]).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text());
        let page = r.json();
        pages.push(ids(&page));
        next = page["next"].is_string().then(|| local(app, &page["next"]));
        assert!(pages.len() < 50);
    }
    pages
}

async fn version_2_lists_behind_cursors_stable_while_rows_are_inserted(app: &App) {
    let (_, token) = ada_with_tracks(app, 7).await;
    let all = walk(app, "/api/v2/tracks/?page_size=3").await;
    assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    let flat: Vec<i64> = all.concat();
    let mut newest_first = flat.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(flat, newest_first, "newest first, each once");

    // Rows inserted between two pages push nothing into the next one.
    let r = app
        .anonymous()
        .get("/api/v2/tracks/?page_size=3", &[])
        .await;
    let first = r.json();
    let next = local(app, &first["next"]);
    assert!(next.starts_with("/api/v2/tracks/?"), "{next}");
    let ada = app.as_token(&token);
    for i in 0..4 {
        let r = ada
            .post(
                "/api/v2/tracks/",
                "application/json",
                format!(r#"{{"title":"Late {i}","artist_name":"Ada"}}"#),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let rest = walk(app, &next).await.concat();
    assert_eq!(rest, flat[3..].to_vec());
    // Back from the second page: the first again, as it was.
    let r = app.anonymous().get(&next, &[]).await;
    let back = local(app, &r.json()["previous"]);
    let again = app.anonymous().get(&back, &[]).await.json();
    assert_eq!(ids(&again), ids(&first));

    // An altered cursor is DRF's 404.
    let altered = next.replacen("cursor=", "cursor=x", 1);
    let r = app.anonymous().get(&altered, &[]).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json(), json!({"detail": "Invalid cursor"}));
    // Version 1 still pages by number, with its count.
    let r = app
        .anonymous()
        .get("/api/v1/tracks/?page=2&page_size=5", &[])
        .await;
    assert_eq!(r.json()["count"], 11);
}

async fn each_version_has_its_own_document(app: &App) {
    let doc = |path: &'static str| async move {
        let r = app
            .anonymous()
            .get(path, &[("accept", "application/json")])
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    };
    let paths = |doc: &Value| -> Vec<String> {
        doc["paths"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let v2 = paths(&doc("/api/v2/schema/").await);
    assert!(v2.contains(&"/api/v2/tracks/".to_owned()), "{v2:?}");
    assert!(v2.contains(&"/api/v2/tracks/{id}/".to_owned()), "{v2:?}");
    assert!(v2.iter().all(|p| p.starts_with("/api/v2/")), "{v2:?}");
    let v1 = paths(&doc("/api/v1/schema/").await);
    assert!(v1.contains(&"/api/v1/users/{id}/".to_owned()), "{v1:?}");
    let plain = paths(&doc("/api/schema/").await);
    assert!(plain.contains(&"/api/tracks/".to_owned()));
    assert!(
        plain.iter().all(|p| !p.contains("{version}")
            && !p.starts_with("/api/v1/")
            && !p.starts_with("/api/v2/")),
        "{plain:?}"
    );
    // No version's path takes a `version` parameter.
    let v2doc = doc("/api/v2/schema/").await;
    let params = v2doc["paths"]["/api/v2/tracks/{id}/"]["get"]["parameters"].to_string();
    assert!(!params.contains("\"version\""), "{params}");
    // Each version's list is described as that version pages it.
    let list_params = |doc: &Value, path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let v2_params = list_params(&v2doc, "/api/v2/tracks/");
    assert!(v2_params.contains(&"cursor".to_owned()), "{v2_params:?}");
    assert!(!v2_params.contains(&"page".to_owned()), "{v2_params:?}");
    assert!(!v2_params.contains(&"ordering".to_owned()), "{v2_params:?}");
    let page_ref =
        v2doc["paths"]["/api/v2/tracks/"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"]
            .to_string();
    assert!(page_ref.contains("PaginatedTrackCursorList"), "{page_ref}");
    let v1doc = doc("/api/v1/schema/").await;
    let v1_params = list_params(&v1doc, "/api/v1/tracks/");
    assert!(v1_params.contains(&"page".to_owned()), "{v1_params:?}");
    assert!(!v1_params.contains(&"cursor".to_owned()), "{v1_params:?}");
    // Each version's `Track` is the one it answers: the owner's id in version 1, the nested
    // owner (or null) in version 2, whose properties are those of a real version-2 answer.
    let owner_v1 = &v1doc["components"]["schemas"]["Track"]["properties"]["owner"];
    assert_eq!(
        owner_v1["type"],
        serde_json::json!(["integer", "null"]),
        "{owner_v1}"
    );
    let owner_v2 = &v2doc["components"]["schemas"]["Track"]["properties"]["owner"];
    assert_eq!(
        owner_v2["oneOf"],
        serde_json::json!([{"$ref": "#/components/schemas/OwnerSummary"}, {"type": "null"}]),
        "{owner_v2}"
    );
    let summary = &v2doc["components"]["schemas"]["OwnerSummary"];
    let mut documented: Vec<&str> = summary["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    documented.sort_unstable();
    let track = crate::crud::create_track(app, "Nardis", "Bill Evans", None).await;
    let id = track["id"].as_i64().expect("id");
    let shown = app
        .get(
            &format!("/api/v2/tracks/{id}/"),
            &[("accept", "application/json")],
        )
        .await
        .json();
    let mut answered: Vec<&str> = shown["owner"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    answered.sort_unstable();
    assert_eq!(answered, documented, "{shown}");
    assert_eq!(
        summary["required"],
        serde_json::json!(["id", "username", "url"])
    );
    // The unversioned document (by Accept, version 1 by default) keeps the id.
    let plain_doc = doc("/api/schema/").await;
    assert_eq!(
        plain_doc["components"]["schemas"]["Track"]["properties"]["owner"]["type"],
        serde_json::json!(["integer", "null"])
    );
    // Swagger UI offers the three in its selector.
    let init = app
        .anonymous()
        .get("/api/docs/swagger-initializer.js", &[])
        .await;
    assert_eq!(init.status, 200);
    for label in ["by Accept (/api/)", "v1 (/api/v1/)", "v2 (/api/v2/)"] {
        assert!(init.text().contains(label), "{label}: {}", init.text());
    }
    assert!(init.text().contains("../v2/schema/"), "{}", init.text());
}
