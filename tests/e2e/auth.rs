//! Authentication, permissions and throttling on the real binary: who may do what on every
//! route (anonymous, another user, the owner, staff), DRF's 401/403 bodies and their order
//! before validation and lookup, tokens, sessions with CSRF, what the database keeps (hashes,
//! never secrets), 429 with `Retry-After`, a budget shared on Redis, hidden inactive users,
//! and `createsuperuser`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, Ordering};

use restframe_tests::{ADMIN_USERNAME, App, Caller, Reply, run_createsuperuser};
use serde_json::{Value, json};

use crate::on_every_backend;
use crate::pictures::PNG;
use crate::uploads::mp3;

const BIN: &str = env!("CARGO_BIN_EXE_example-app");

on_every_backend!(
    permission_table,
    tokens_are_obtained_by_json_and_form_and_revoked,
    session_login_csrf_and_logout,
    a_deactivated_user_is_hidden_except_from_staff,
    a_new_password_ends_every_token_and_the_oldest_tokens_go,
    createsuperuser_refuses_an_existing_name_and_an_empty_password,
);
const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";
const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// A loopback address no other test (nor an earlier run) is likely to use: a client address
/// of its own, so an anonymous-throttle budget of its own.
fn fresh_loopback() -> IpAddr {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let seed = std::process::id()
        .wrapping_mul(2_654_435_761)
        .wrapping_add(nanos)
        .wrapping_add(N.fetch_add(1, Ordering::Relaxed).wrapping_mul(7919));
    let [_, b, c, d] = seed.to_be_bytes();
    // Not 127.0.0.x (the harness's own address), not .0 or .255.
    Ipv4Addr::new(127, b.max(1), c, d.clamp(2, 254)).into()
}

/// Asserts a 401 of the missing-credentials kind, with its challenge.
#[track_caller]
fn assert_401(r: &Reply, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text());
    assert_eq!(r.header("www-authenticate"), "Token", "{what}");
    assert_eq!(r.json(), json!({"detail": NOT_AUTHENTICATED}), "{what}");
}

// ---------------------------------------------------------------------------------------------
// The permission table.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    Other,
    Owner,
    Staff,
}

const EVERYONE: [Who; 4] = [Who::Anonymous, Who::Other, Who::Owner, Who::Staff];

#[derive(Clone, Copy, Debug)]
enum Route {
    TrackList,
    TrackCreate,
    TrackRetrieve,
    TrackPut,
    TrackPatch,
    TrackDelete,
    TrackUpload,
    TrackPresign,
    TrackConfirm,
    TrackFile,
    UserList,
    UserCreate,
    UserRetrieve,
    UserPut,
    UserPatch,
    UserDelete,
    PicturePut,
    PictureGet,
    PictureDelete,
    Echo,
}

/// What the contract says `who` gets on `route` (the owner of a user route is that user).
fn expected(route: Route, who: Who) -> u16 {
    use Route::*;
    let ok = match route {
        TrackList | TrackRetrieve | TrackFile | UserList | UserRetrieve | PictureGet => {
            return 200;
        }
        UserCreate => return 201,
        TrackCreate => return if who == Who::Anonymous { 401 } else { 201 },
        Echo => return if who == Who::Anonymous { 401 } else { 200 },
        TrackDelete | UserDelete | PictureDelete => 204,
        TrackPresign => 201,
        TrackPut | TrackPatch | TrackUpload | TrackConfirm | UserPut | UserPatch | PicturePut => {
            200
        }
    };
    match who {
        Who::Anonymous => 401,
        Who::Other => 403,
        Who::Owner | Who::Staff => ok,
    }
}

struct Table {
    owner_id: i64,
    owner_token: String,
    other_id: i64,
    other_token: String,
    n: u32,
}

impl Table {
    fn caller<'a>(&self, app: &'a App, who: Who, target_token: Option<&str>) -> Caller<'a> {
        match who {
            Who::Anonymous => app.anonymous(),
            Who::Other => app.as_token(&self.other_token),
            Who::Owner => app.as_token(target_token.unwrap_or(&self.owner_token)),
            Who::Staff => app.admin(),
        }
    }

    /// Sets up a fresh row for `route` (a track of the owner, or a user of its own), sends
    /// the request as `who`, and checks the status and body; a description of what went
    /// wrong, if anything.
    async fn run(&mut self, app: &App, route: Route, who: Who) -> Result<(), String> {
        use Route::*;
        self.n += 1;
        let n = self.n;
        let owner = app.as_token(&self.owner_token);
        let content = mp3(2048);

        // A fresh track of the owner, for the track routes.
        let track = owner
            .post(
                "/api/tracks/",
                "application/json",
                json!({"title": format!("t{n}"), "artist_name": "Monk"}).to_string(),
            )
            .await;
        if track.status != 201 {
            return Err(format!("setup: owner creates a track: {}", track.text()));
        }
        let tid = track.json()["id"].as_i64().unwrap_or(0);
        if track.json()["owner"] != self.owner_id {
            return Err(format!("setup: the track's owner: {}", track.text()));
        }
        // A fresh user, for the user routes: the "owner" of those is the user itself.
        let (uid, utoken) = app
            .create_user(&format!("target{n}"), &format!("target{n}-password"))
            .await;

        let track_path = format!("/api/tracks/{tid}/");
        let user_path = format!("/api/users/{uid}/");
        let picture_path = format!("/api/users/{uid}/picture/");
        let (method, path, content_type, body): (&str, String, &str, Vec<u8>) = match route {
            TrackList => ("GET", "/api/tracks/".into(), "", vec![]),
            TrackCreate => (
                "POST",
                "/api/tracks/".into(),
                "application/json",
                json!({"title": "New", "artist_name": "Monk"})
                    .to_string()
                    .into_bytes(),
            ),
            TrackRetrieve => ("GET", track_path, "", vec![]),
            TrackPut => (
                "PUT",
                track_path,
                "application/json",
                json!({"title": "Replaced", "artist_name": "Monk"})
                    .to_string()
                    .into_bytes(),
            ),
            TrackPatch => (
                "PATCH",
                track_path,
                "application/json",
                br#"{"title":"Patched"}"#.to_vec(),
            ),
            TrackDelete => ("DELETE", track_path, "", vec![]),
            TrackUpload => (
                "POST",
                format!("/api/tracks/{tid}/upload/take.mp3/"),
                "audio/mpeg",
                content.clone(),
            ),
            TrackPresign => (
                "POST",
                format!("/api/tracks/{tid}/presigned-url/"),
                "application/json",
                vec![],
            ),
            TrackConfirm => {
                let p = owner
                    .post(
                        &format!("/api/tracks/{tid}/presigned-url/"),
                        "application/json",
                        "",
                    )
                    .await;
                if p.status != 201 {
                    return Err(format!("setup: owner presigns: {}", p.text()));
                }
                let p = p.json();
                let put = app
                    .send_to_url("PUT", p["url"].as_str().unwrap_or(""), content.clone())
                    .await;
                if put.status != 200 {
                    return Err(format!("setup: PUT to the presigned URL: {}", put.text()));
                }
                (
                    "POST",
                    format!("/api/tracks/{tid}/confirm-upload/"),
                    "application/json",
                    json!({"key": p["key"]}).to_string().into_bytes(),
                )
            }
            TrackFile => {
                let up = owner
                    .send_body(
                        "POST",
                        &format!("/api/tracks/{tid}/upload/take.mp3/"),
                        "audio/mpeg",
                        content.clone(),
                    )
                    .await;
                if up.status != 200 {
                    return Err(format!("setup: owner uploads: {}", up.text()));
                }
                ("GET", format!("/api/tracks/{tid}/file/"), "", vec![])
            }
            UserList => ("GET", "/api/users/".into(), "", vec![]),
            UserCreate => (
                "POST",
                "/api/users/".into(),
                "application/json",
                json!({
                    "username": format!("new{n}"),
                    "email": format!("new{n}@example.org"),
                    "password": "new-user-password",
                })
                .to_string()
                .into_bytes(),
            ),
            UserRetrieve => ("GET", user_path, "", vec![]),
            UserPut => (
                "PUT",
                user_path,
                "application/json",
                json!({
                    "username": format!("renamed{n}"),
                    "email": format!("renamed{n}@example.org"),
                    "password": format!("target{n}-password"),
                })
                .to_string()
                .into_bytes(),
            ),
            UserPatch => (
                "PATCH",
                user_path,
                "application/json",
                json!({"email": format!("patched{n}@example.org")})
                    .to_string()
                    .into_bytes(),
            ),
            UserDelete => ("DELETE", user_path, "", vec![]),
            PicturePut => ("PUT", picture_path, "image/png", PNG.to_vec()),
            PictureGet | PictureDelete => {
                let put = app
                    .as_token(&utoken)
                    .send_body("PUT", &picture_path, "image/png", PNG.to_vec())
                    .await;
                if put.status != 200 {
                    return Err(format!("setup: the user sets a picture: {}", put.text()));
                }
                let method = if matches!(route, PictureGet) {
                    "GET"
                } else {
                    "DELETE"
                };
                (method, picture_path, "", vec![])
            }
            Echo => (
                "POST",
                "/api/echo/".into(),
                "application/json",
                br#"{"echo":"me"}"#.to_vec(),
            ),
        };

        let is_user_route = matches!(
            route,
            UserRetrieve
                | UserPut
                | UserPatch
                | UserDelete
                | PicturePut
                | PictureGet
                | PictureDelete
        );
        let caller = self.caller(app, who, is_user_route.then_some(utoken.as_str()));
        let mut headers = vec![("accept", "application/json")];
        if !content_type.is_empty() {
            headers.push(("content-type", content_type));
        }
        let r = caller.send(method, &path, &headers, body).await;
        let want = expected(route, who);
        let row = format!("{route:?} as {who:?}: {method} {path}");
        if r.status != want {
            return Err(format!(
                "{row}: expected {want}, got {}: {}",
                r.status,
                r.text()
            ));
        }
        let body_ok = match want {
            401 => {
                r.header("www-authenticate") == "Token"
                    && r.json() == json!({"detail": NOT_AUTHENTICATED})
            }
            403 => r.json() == json!({"detail": FORBIDDEN}),
            204 => r.body.is_empty(),
            _ => match route {
                TrackList => r.json()["results"].is_array(),
                UserList => {
                    // Emails: staff see all; a user their own; anonymous none.
                    let own = match who {
                        Who::Owner => Some(self.owner_id),
                        Who::Other => Some(self.other_id),
                        _ => None,
                    };
                    r.json()["results"].as_array().is_some_and(|rows| {
                        rows.iter().all(|u| {
                            let mine = own.is_some_and(|id| u["id"] == id);
                            u["email"].is_string() == (who == Who::Staff || mine)
                        })
                    })
                }
                TrackCreate => {
                    // Its owner is its creator.
                    let v = r.json();
                    v["title"] == "New"
                        && match who {
                            Who::Owner => v["owner"] == self.owner_id,
                            Who::Other => v["owner"] == self.other_id,
                            _ => v["owner"].is_i64(),
                        }
                }
                TrackRetrieve => r.json()["id"] == tid,
                TrackPut => r.json()["title"] == "Replaced",
                TrackPatch => r.json()["title"] == "Patched",
                TrackUpload | TrackConfirm => {
                    r.json()["file"] == format!("{}/api/tracks/{tid}/file/", app.base()).as_str()
                }
                TrackPresign => r.json()["url"].is_string() && r.json()["key"].is_string(),
                TrackFile => r.body.as_ref() == &content[..],
                UserCreate => {
                    let v = r.json();
                    v["username"] == format!("new{n}").as_str()
                        && v["is_staff"] == false
                        && v["is_active"] == true
                        && v.get("password").is_none()
                }
                UserRetrieve => {
                    // The email is the user's own business, and staff's.
                    let v = r.json();
                    let email = format!("target{n}@example.org");
                    v["id"] == uid
                        && match who {
                            Who::Owner | Who::Staff => v["email"] == email.as_str(),
                            _ => v["email"].is_null(),
                        }
                }
                UserPut => r.json()["username"] == format!("renamed{n}").as_str(),
                UserPatch => r.json()["email"] == format!("patched{n}@example.org").as_str(),
                PicturePut => r.json()["mime_type"] == "image/png",
                PictureGet => {
                    // Asked for JSON: the description, with the bytes in base64.
                    use base64::Engine;
                    let v = r.json();
                    v["mime_type"] == "image/png"
                        && v["data"]
                            == base64::engine::general_purpose::STANDARD
                                .encode(PNG)
                                .as_str()
                }
                Echo => r.json() == json!({"echo": "me"}),
                TrackDelete | UserDelete | PictureDelete => false,
            },
        };
        if !body_ok {
            return Err(format!(
                "{row}: {want} as expected but the body is wrong: {}",
                r.text()
            ));
        }
        Ok(())
    }
}

async fn permission_table(app: &App) {
    use Route::*;
    let (owner_id, owner_token) = app.create_user("owner", "owner-password").await;
    let (other_id, other_token) = app.create_user("other", "other-password").await;
    let mut table = Table {
        owner_id,
        owner_token,
        other_id,
        other_token,
        n: 0,
    };
    let routes = [
        TrackList,
        TrackCreate,
        TrackRetrieve,
        TrackPut,
        TrackPatch,
        TrackDelete,
        TrackUpload,
        TrackPresign,
        TrackConfirm,
        TrackFile,
        UserList,
        UserCreate,
        UserRetrieve,
        UserPut,
        UserPatch,
        UserDelete,
        PicturePut,
        PictureGet,
        PictureDelete,
        Echo,
    ];
    let mut failures = Vec::new();
    let mut rows = 0;
    for route in routes {
        for who in EVERYONE {
            rows += 1;
            if let Err(e) = table.run(app, route, who).await {
                eprintln!("FAILED ROW {e}");
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 401 and 403: their order and bodies.

#[tokio::test]
async fn authentication_comes_before_validation_and_lookup() {
    let app = crate::start();
    let anon = app.anonymous();
    let r = anon
        .post("/api/tracks/", "application/json", r#"{"title": ""}"#)
        .await;
    assert_401(&r, "anonymous POST with an invalid body");
    let r = anon.delete("/api/tracks/999999/").await;
    assert_401(&r, "anonymous DELETE of a missing track");
    let r = anon
        .send_body("PATCH", "/api/users/999999/", "application/json", "{")
        .await;
    assert_401(
        &r,
        "anonymous PATCH of a missing user with a malformed body",
    );
    assert_eq!(
        app.get("/api/tracks/", &[]).await.json()["count"],
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn bad_tokens_are_401_and_others_403_with_drf_bodies() {
    let app = crate::start();
    for header in [
        "Token 0123456789abcdef0123456789abcdef01234567",
        "Bearer 0123456789abcdef0123456789abcdef01234567",
    ] {
        let r = app
            .anonymous()
            .send("GET", "/api/tracks/", &[("authorization", header)], "")
            .await;
        assert_eq!(r.status, 401, "{header}: {}", r.text());
        assert_eq!(r.header("www-authenticate"), "Token", "{header}");
        assert_eq!(r.json(), json!({"detail": "Invalid token."}), "{header}");
    }
    // A good token also as `Bearer`.
    let bearer = format!("Bearer {}", app.admin_token());
    let r = app
        .anonymous()
        .send(
            "POST",
            "/api/echo/",
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            "[1]",
        )
        .await;
    assert_eq!((r.status, r.json()), (200, json!([1])), "{}", r.text());

    // Another user's track: 403 with DRF's message, and the track is untouched.
    let (_, ada) = app.create_user("ada", "ada-password").await;
    let track = crate::crud::create_track(&app, "So What", "Miles Davis", None).await;
    let id = track["id"].as_i64().unwrap();
    let r = app
        .as_token(&ada)
        .send_body(
            "PATCH",
            &format!("/api/tracks/{id}/"),
            "application/json",
            r#"{"title":"Mine now"}"#,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json(), json!({"detail": FORBIDDEN}));
    assert_eq!(r.header("www-authenticate"), "", "no challenge on a 403");
    assert_eq!(
        app.get(&format!("/api/tracks/{id}/"), &[]).await.json()["title"],
        "So What"
    );
}

// ---------------------------------------------------------------------------------------------
// Tokens.

fn is_token(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn tokens_are_obtained_by_json_and_form_and_revoked(app: &App) {
    app.create_user("ada", "ada-password").await;
    let anon = app.anonymous();
    let by_json = anon
        .post(
            "/api/auth/token/",
            "application/json",
            r#"{"username":"ada","password":"ada-password"}"#,
        )
        .await;
    assert_eq!(by_json.status, 200, "{}", by_json.text());
    let by_json = by_json.json();
    assert!(is_token(&by_json["token"]), "{by_json}");
    assert_eq!(by_json.as_object().unwrap().len(), 1, "{by_json}");
    let by_form = anon
        .post(
            "/api/auth/token/",
            "application/x-www-form-urlencoded",
            "username=ada&password=ada-password",
        )
        .await;
    assert_eq!(by_form.status, 200, "{}", by_form.text());
    let by_form = by_form.json();
    assert!(is_token(&by_form["token"]), "{by_form}");
    assert_ne!(by_json["token"], by_form["token"], "a new token per call");

    // Both work.
    for token in [&by_json["token"], &by_form["token"]] {
        let r = app
            .as_token(token.as_str().unwrap())
            .post("/api/echo/", "application/json", r#"{"a":1}"#)
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"a": 1})), "{}", r.text());
    }

    // Bad credentials, and a missing field.
    for body in [
        r#"{"username":"ada","password":"wrong-password"}"#,
        r#"{"username":"nobody","password":"ada-password"}"#,
    ] {
        let r = anon
            .post("/api/auth/token/", "application/json", body)
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"non_field_errors": ["Unable to log in with provided credentials."]}),
            "{body}"
        );
    }
    let r = anon
        .post(
            "/api/auth/token/",
            "application/json",
            r#"{"password":"x"}"#,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"username": ["This field is required."]}));

    // DELETE revokes the token it is sent with, and only that one.
    let json_token = by_json["token"].as_str().unwrap();
    let r = app.as_token(json_token).delete("/api/auth/token/").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    let r = app
        .as_token(json_token)
        .post("/api/echo/", "application/json", "{}")
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json(), json!({"detail": "Invalid token."}));
    let r = app
        .as_token(by_form["token"].as_str().unwrap())
        .post("/api/echo/", "application/json", "{}")
        .await;
    assert_eq!(r.status, 200, "the other token still works: {}", r.text());
    assert_401(&anon.delete("/api/auth/token/").await, "anonymous DELETE");
}

// ---------------------------------------------------------------------------------------------
// Sessions.

/// The value of the `name` attribute-less `value="..."` of the input named `name` in `html`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.split("value=\"").nth(1)?;
    Some(v.split('"').next()?.to_owned())
}

async fn session_login_csrf_and_logout(app: &App) {
    let (ada_id, _) = app.create_user("ada", "ada-password").await;
    let anon = app.anonymous();

    // The login page: the form and a CSRF cookie.
    let page = anon
        .get(
            "/api/auth/login/?next=/api/tracks/",
            &[("accept", crate::CHROME_PAGE)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.header("content-type").starts_with("text/html"),
        "{}",
        page.header("content-type")
    );
    let html = page.text();
    for needle in [
        "name=\"username\"",
        "name=\"password\"",
        "type=\"password\"",
        "name=\"next\"",
        "name=\"csrfmiddlewaretoken\"",
    ] {
        assert!(html.contains(needle), "{needle} in:\n{html}");
    }
    assert_eq!(
        input_value(&html, "next").as_deref(),
        Some("/api/tracks/"),
        "{html}"
    );
    let csrf = page
        .cookie("csrftoken")
        .unwrap_or_else(|| panic!("no csrftoken cookie: {:?}", page.set_cookies()));
    assert!(!csrf.is_empty());
    let cookie = format!("csrftoken={csrf}");

    // Without the CSRF field: 403, and no session.
    let r = anon
        .send(
            "POST",
            "/api/auth/login/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
            ],
            "username=ada&password=ada-password&next=/api/tracks/",
        )
        .await;
    assert_eq!(r.status, 403, "no csrfmiddlewaretoken: {}", r.text());
    assert!(r.cookie("sessionid").is_none(), "{:?}", r.set_cookies());

    // Logged in: 302 to next, a session cookie (HttpOnly, SameSite=Lax) and a new CSRF token.
    let r = anon
        .send(
            "POST",
            "/api/auth/login/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
            ],
            format!(
                "username=ada&password=ada-password&next=%2Fapi%2Ftracks%2F&csrfmiddlewaretoken={csrf}"
            ),
        )
        .await;
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("location"), "/api/tracks/");
    let session_header = r
        .set_cookie("sessionid")
        .unwrap_or_else(|| panic!("no sessionid cookie: {:?}", r.set_cookies()))
        .to_owned();
    let attributes: Vec<String> = session_header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(
        attributes.iter().any(|a| a == "httponly"),
        "{session_header}"
    );
    assert!(
        attributes.iter().any(|a| a == "samesite=lax"),
        "{session_header}"
    );
    let session = r.cookie("sessionid").unwrap();
    let csrf = r
        .cookie("csrftoken")
        .unwrap_or_else(|| panic!("no new csrftoken: {:?}", r.set_cookies()));
    let cookies = format!("sessionid={session}; csrftoken={csrf}");

    // The session authenticates reads: ada sees her own email.
    let me = anon
        .get(&format!("/api/users/{ada_id}/"), &[("cookie", &cookies)])
        .await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], "ada@example.org", "{}", me.text());

    // An unsafe method needs the CSRF header.
    let body = r#"{"title":"By session","artist_name":"Monk"}"#;
    let r = anon
        .send(
            "POST",
            "/api/tracks/",
            &[("content-type", "application/json"), ("cookie", &cookies)],
            body,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let detail = r.json()["detail"].as_str().unwrap_or("").to_owned();
    assert!(detail.contains("CSRF Failed"), "{}", r.text());
    let r = anon
        .send(
            "POST",
            "/api/tracks/",
            &[
                ("content-type", "application/json"),
                ("cookie", &cookies),
                ("x-csrftoken", "not-the-token"),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap_or("")
            .contains("CSRF Failed"),
        "{}",
        r.text()
    );
    let r = anon
        .send(
            "POST",
            "/api/tracks/",
            &[
                ("content-type", "application/json"),
                ("cookie", &cookies),
                ("x-csrftoken", &csrf),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["title"], "By session");
    assert_eq!(r.json()["owner"], ada_id);

    // Logout: 302 to /api/, the cookie expired, and the session no longer authenticates.
    let r = anon
        .send(
            "POST",
            "/api/auth/logout/",
            &[("cookie", &cookies), ("x-csrftoken", &csrf)],
            "",
        )
        .await;
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("location"), "/api/");
    let expired = r
        .set_cookie("sessionid")
        .unwrap_or_else(|| panic!("the session cookie is not expired: {:?}", r.set_cookies()))
        .to_ascii_lowercase();
    assert!(
        expired.contains("max-age=0") || expired.contains("expires=thu, 01 jan 1970"),
        "{expired}"
    );
    let r = anon
        .send(
            "POST",
            "/api/tracks/",
            &[
                ("content-type", "application/json"),
                ("cookie", &cookies),
                ("x-csrftoken", &csrf),
            ],
            body,
        )
        .await;
    assert_401(&r, "POST with the logged-out session");
    let me = anon
        .get(&format!("/api/users/{ada_id}/"), &[("cookie", &cookies)])
        .await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(
        me.json()["email"],
        Value::Null,
        "anonymous now: {}",
        me.text()
    );
}

#[tokio::test]
async fn a_login_with_bad_credentials_shows_the_form_and_the_error() {
    let app = crate::start();
    app.create_user("ada", "ada-password").await;
    let anon = app.anonymous();
    let page = anon
        .get("/api/auth/login/", &[("accept", crate::CHROME_PAGE)])
        .await;
    let csrf = page.cookie("csrftoken").expect("a csrftoken cookie");
    let r = anon
        .send(
            "POST",
            "/api/auth/login/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", crate::CHROME_PAGE),
                ("cookie", &format!("csrftoken={csrf}")),
            ],
            format!("username=ada&password=wrong-password&csrfmiddlewaretoken={csrf}"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.cookie("sessionid").is_none(), "{:?}", r.set_cookies());
    let html = r.text();
    assert!(
        html.contains("Unable to log in with provided credentials."),
        "{html}"
    );
    assert!(html.contains("name=\"password\""), "the form again: {html}");
    assert!(html.contains("name=\"csrfmiddlewaretoken\""), "{html}");
}

// ---------------------------------------------------------------------------------------------
// What the database keeps.

/// `SELECT password FROM app_user WHERE username = ?`, read from the app's SQLite file.
fn stored_password(app: &App, username: &str) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\
             'SELECT password FROM app_user WHERE username = ?', (sys.argv[2],)).fetchone()[0])",
        ])
        .arg(app.dir().join("db.sqlite3"))
        .arg(username)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn the_database_holds_hashes_not_secrets() {
    let app = crate::start();
    let password = "pl41n-p4ssw0rd-that-is-unique";
    let (_, token) = app.create_user("ada", password).await;
    let anon = app.anonymous();
    let page = anon.get("/api/auth/login/", &[]).await;
    let csrf = page.cookie("csrftoken").expect("a csrftoken cookie");
    let login = anon
        .send(
            "POST",
            "/api/auth/login/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &format!("csrftoken={csrf}")),
            ],
            format!("username=ada&password={password}&csrfmiddlewaretoken={csrf}"),
        )
        .await;
    assert_eq!(login.status, 302, "{}", login.text());
    let session = login.cookie("sessionid").expect("a sessionid cookie");
    assert!(session.len() >= 20, "{session}");

    let mut bytes = Vec::new();
    for name in ["db.sqlite3", "db.sqlite3-wal"] {
        if let Ok(b) = std::fs::read(app.dir().join(name)) {
            bytes.extend_from_slice(&b);
        }
    }
    assert!(
        !bytes.is_empty(),
        "no database file in {}",
        app.dir().display()
    );
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    for (what, secret) in [
        ("password", password),
        ("token", token.as_str()),
        ("admin token", app.admin_token()),
        ("session key", session.as_str()),
        ("admin password", restframe_tests::ADMIN_PASSWORD),
    ] {
        assert!(
            !contains(secret),
            "the plain {what} is in the database file"
        );
    }
    // The check can see what is there: the username is.
    assert!(contains("ada@example.org"));
    for user in ["ada", ADMIN_USERNAME] {
        let hash = stored_password(&app, user);
        assert!(hash.starts_with("$argon2"), "{user}: {hash}");
    }
}

// ---------------------------------------------------------------------------------------------
// Throttling.

#[tokio::test]
async fn the_fourth_anonymous_request_in_a_minute_is_429() {
    let app = App::start(BIN, &["--throttle-anon", "3/min"]);
    // A client address of its own: the harness's token request counted against 127.0.0.1.
    let anon = app.anonymous().from_ip(fresh_loopback());
    for i in 1..=3 {
        let r = anon.get("/api/tracks/", &[]).await;
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    let r = anon.get("/api/tracks/", &[]).await;
    assert_eq!(r.status, 429, "{}", r.text());
    let wait: u64 = r
        .header("retry-after")
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After {:?}", r.header("retry-after")));
    assert!(wait > 0 && wait <= 60, "{wait}");
    let unit = if wait == 1 { "second" } else { "seconds" };
    assert_eq!(
        r.json(),
        json!({"detail": format!("Request was throttled. Expected available in {wait} {unit}.")})
    );
    // The budget is the anonymous one: an authenticated user is not held back by it.
    assert_eq!(app.get("/api/tracks/", &[]).await.status, 200);
}

#[tokio::test]
#[ignore = "needs Redis: ./tests/run-all starts one (or set RESTFRAME_TEST_REDIS_URL and pass --include-ignored)"]
async fn two_instances_share_one_budget_on_redis() {
    let url = restframe_tests::required_env(
        "RESTFRAME_TEST_REDIS_URL",
        "run ./tests/run-all, which starts Redis",
    );
    // A key prefix of this run's own: the Redis server is shared, and not ours to flush.
    let prefix = format!(
        "restframe-e2e-{}-{}:",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let args = [
        "--throttle-store",
        "redis",
        "--redis-url",
        url.as_str(),
        "--redis-prefix",
        prefix.as_str(),
        "--throttle-anon",
        "4/min",
    ];
    let (a, b) = (App::start(BIN, &args), App::start(BIN, &args));
    // The anonymous key is the client address: a fresh one keeps the harness's own token
    // requests (from 127.0.0.1, one per instance) out of this budget.
    let ip = fresh_loopback();
    let (anon_a, anon_b) = (a.anonymous().from_ip(ip), b.anonymous().from_ip(ip));
    for (i, caller) in [&anon_a, &anon_a, &anon_b, &anon_b].into_iter().enumerate() {
        let r = caller.get("/api/hello/", &[]).await;
        assert_eq!(r.status, 200, "request {} from {ip}: {}", i + 1, r.text());
    }
    for caller in [&anon_a, &anon_b] {
        let r = caller.get("/api/hello/", &[]).await;
        assert_eq!(r.status, 429, "{}", r.text());
        assert!(r.header("retry-after").parse::<u64>().is_ok_and(|s| s > 0));
        assert!(
            r.json()["detail"]
                .as_str()
                .unwrap_or("")
                .starts_with("Request was throttled. Expected available in "),
            "{}",
            r.text()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rows a caller may not see.

async fn a_deactivated_user_is_hidden_except_from_staff(app: &App) {
    let (id, token) = app.create_user("ada", "ada-password").await;
    let (_, grace) = app.create_user("grace", "grace-password").await;
    let path = format!("/api/users/{id}/");
    let r = app
        .as_token(&token)
        .send_body(
            "PATCH",
            &path,
            "application/json",
            r#"{"is_active": false}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["is_active"], false, "{}", r.text());

    let listed = |page: &Value| {
        page["results"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|u| u["id"] == id))
    };
    for (who, caller) in [
        ("anonymous", app.anonymous()),
        ("grace", app.as_token(&grace)),
    ] {
        let r = caller.get(&path, &[]).await;
        assert_eq!(r.status, 404, "{who}: {}", r.text());
        assert_eq!(r.json(), json!({"detail": "No such object."}), "{who}");
        let list = caller.get("/api/users/", &[]).await;
        assert_eq!(list.status, 200, "{who}");
        assert!(
            !listed(&list.json()),
            "{who} sees ada listed: {}",
            list.text()
        );
    }
    // Staff see her, inactive.
    let r = app.get(&path, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["username"], "ada");
    assert_eq!(r.json()["is_active"], false);
    assert_eq!(r.json()["email"], "ada@example.org");
    assert!(listed(&app.get("/api/users/", &[]).await.json()));
    // And her token no longer authenticates.
    let r = app
        .as_token(&token)
        .post("/api/echo/", "application/json", "{}")
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json(), json!({"detail": "Invalid token."}));
}

#[tokio::test]
async fn is_staff_is_read_only() {
    let app = crate::start();
    let (id, token) = app.create_user("ada", "ada-password").await;
    let r = app
        .as_token(&token)
        .send_body(
            "PATCH",
            &format!("/api/users/{id}/"),
            "application/json",
            r#"{"is_staff": true}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["is_staff"], false, "{}", r.text());
    // Still not staff: another user's track is out of reach.
    let track = crate::crud::create_track(&app, "So What", "Miles Davis", None).await;
    let r = app
        .as_token(&token)
        .delete(&format!("/api/tracks/{}/", track["id"]))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
}

// ---------------------------------------------------------------------------------------------
// createsuperuser.

async fn createsuperuser_refuses_an_existing_name_and_an_empty_password(app: &App) {
    // The harness made `admin`; again, while the server runs: exit 1 with the reason.
    let out = run_createsuperuser(
        app.bin(),
        app.database_url(),
        ADMIN_USERNAME,
        "whatever-pass",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr.contains("example-app: error: a user named admin already exists"),
        "{stderr}"
    );
    let out = run_createsuperuser(app.bin(), app.database_url(), "root", "");
    assert_eq!(out.status.code(), Some(1), "empty password: {out:?}");
    // A new name works, while the server runs, and makes a staff user who can log in.
    let out = run_createsuperuser(app.bin(), app.database_url(), "root", "root-password");
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Superuser root created."),
        "{out:?}"
    );
    let token = app.obtain_token("root", "root-password").await;
    let users = app
        .as_token(&token)
        .get("/api/users/?username=root", &[])
        .await
        .json();
    assert_eq!(users["count"], 1, "{users}");
    assert_eq!(users["results"][0]["is_staff"], true, "{users}");
    assert_eq!(users["results"][0]["email"], "root@example.org", "{users}");
}

#[tokio::test]
async fn the_uploads_scope_has_a_budget_of_its_own() {
    let app = App::start(BIN, &["--throttle-uploads", "1/min"]);
    let track = crate::crud::create_track(&app, "So What", "Miles Davis", None).await;
    let presign = format!("/api/tracks/{}/presigned-url/", track["id"]);
    let r = app.post(&presign, "application/json", "").await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app.post(&presign, "application/json", "").await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").parse::<u64>().is_ok_and(|s| s > 0));
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap_or("")
            .starts_with("Request was throttled. Expected available in "),
        "{}",
        r.text()
    );
    // Other routes are not in that scope.
    let r = app.get(&format!("/api/tracks/{}/", track["id"]), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn passwords_are_8_to_128_characters_and_never_shown() {
    let app = crate::start();
    for (password, ok) in [
        ("1234567", false),
        ("12345678", true),
        (&"x".repeat(128) as &str, true),
        (&"x".repeat(129), false),
    ] {
        let name = format!("u{}", password.len());
        let r = app
            .anonymous()
            .post(
                "/api/users/",
                "application/json",
                json!({"username": name, "password": password}).to_string(),
            )
            .await;
        if ok {
            assert_eq!(r.status, 201, "{}: {}", password.len(), r.text());
            assert!(r.json().get("password").is_none(), "{}", r.text());
        } else {
            assert_eq!(r.status, 400, "{}: {}", password.len(), r.text());
            let errors = r.json();
            assert!(errors["password"][0].is_string(), "{errors}");
            assert_eq!(errors.as_object().map(|o| o.len()), Some(1), "{errors}");
        }
    }
    let r = app
        .anonymous()
        .post(
            "/api/users/",
            "application/json",
            r#"{"username":"nopass"}"#,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json(), json!({"password": ["This field is required."]}));
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = crate::start();
    app.create_user("ada", "ada-password").await;
    let anon = app.anonymous();
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        // Browsers drop a tab from a Location: `/\t/evil` would be `//evil`.
        "/\t/evil.example/",
    ] {
        let page = anon.get("/api/auth/login/", &[]).await;
        let csrf = page.cookie("csrftoken").expect("a csrftoken cookie");
        let body = format!(
            "username=ada&password=ada-password&csrfmiddlewaretoken={csrf}&next={}",
            next.replace('/', "%2F")
                .replace(':', "%3A")
                .replace('\\', "%5C")
                .replace('\t', "%09")
        );
        let r = anon
            .send(
                "POST",
                "/api/auth/login/",
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("cookie", &format!("csrftoken={csrf}")),
                ],
                body,
            )
            .await;
        assert_eq!(r.status, 302, "{next}: {}", r.text());
        assert_eq!(r.header("location"), "/api/", "{next}");
    }
}

/// A new password ends every token of the user (whoever held one logs in again), and a user
/// keeps at most ten tokens: the eleventh login drops the oldest.
async fn a_new_password_ends_every_token_and_the_oldest_tokens_go(app: &App) {
    let (id, first) = app.create_user("ada", "ada-password").await;
    let second = app.obtain_token("ada", "ada-password").await;
    let detail = format!("/api/users/{id}/");
    let r = app
        .as_token(&first)
        .send_body(
            "PATCH",
            &detail,
            "application/json",
            r#"{"password":"new-password"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    for token in [&first, &second] {
        let r = app.as_token(token).get(&detail, &[]).await;
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.json(), json!({"detail": "Invalid token."}));
    }
    let refused = app
        .anonymous()
        .post(
            "/api/auth/token/",
            "application/json",
            r#"{"username":"ada","password":"ada-password"}"#,
        )
        .await;
    assert_eq!(refused.status, 400, "the old password: {}", refused.text());

    let oldest = app.obtain_token("ada", "new-password").await;
    let mut newest = Vec::new();
    for _ in 0..10 {
        newest.push(app.obtain_token("ada", "new-password").await);
    }
    let r = app.as_token(&oldest).get(&detail, &[]).await;
    assert_eq!(
        r.status,
        401,
        "the 11th login drops the oldest: {}",
        r.text()
    );
    for token in &newest {
        let r = app.as_token(token).get(&detail, &[]).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
}
