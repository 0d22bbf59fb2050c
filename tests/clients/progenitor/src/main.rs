//! `client-flow <base-url> <token> <mp3-path> <png-path>`: drives the example app through the
//! client progenitor generated (build.rs) from its `OpenAPI` 3.0.3 document, and prints a JSON
//! summary of what each step got back.
//!
//! The steps: create a track; create a user with a taken name (a 400); list, retrieve and
//! PATCH the track; upload an MP3 as its file and read the file back; GET the owner's picture
//! before there is one, then PUT and GET it; delete the track and retrieve it again (a
//! 404). Every request goes through a generated method with generated types; the token is sent
//! as the document's `tokenAuth` scheme says (HTTP bearer), since progenitor leaves
//! authentication to the `reqwest::Client` it is given. The first failing step ends the run
//! with status 1 and a message naming it.

use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use futures::TryStreamExt as _;
use serde_json::{Value, json};

/// The client progenitor generated.
#[allow(clippy::all, clippy::pedantic, missing_docs, dead_code)]
mod api {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}

use api::types;

/// The changes build.rs made to the document so that progenitor takes it (a JSON list).
const ADAPTATIONS: &str = include_str!(concat!(env!("OUT_DIR"), "/adaptations.json"));

/// A step that failed: what it was, and why.
type Step<T> = Result<T, String>;

/// Describes an error of a generated method: the status and decoded body of an error response
/// the document declares, else progenitor's own message.
fn failed(step: &str, e: api::Error<types::ErrorOrValidationError>) -> String {
    match e {
        api::Error::ErrorResponse(r) => {
            format!("{step}: {} {:?}", r.status(), r.into_inner())
        }
        api::Error::UnexpectedResponse(r) => {
            format!(
                "{step}: a response the document does not declare: {}",
                r.status()
            )
        }
        other => format!("{step}: {other}"),
    }
}

/// A generated constrained type from a string (a path parameter, a field with a pattern or a
/// length), or the step's error.
fn value<T>(step: &str, s: impl Into<String>) -> Step<T>
where
    T: TryFrom<String>,
    T::Error: std::fmt::Display,
{
    let s = s.into();
    T::try_from(s.clone()).map_err(|e| format!("{step}: the generated type refuses {s:?}: {e}"))
}

fn json_of<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("the generated types serialize")
}

#[allow(clippy::too_many_lines)] // one script, read top to bottom
async fn flow(base: &str, token: &str, mp3: &[u8], png: &[u8]) -> Step<Value> {
    let mut headers = reqwest::header::HeaderMap::new();
    let bearer = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| format!("the token is not a header value: {e}"))?;
    headers.insert(reqwest::header::AUTHORIZATION, bearer);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("build the reqwest client: {e}"))?;
    let client = api::Client::new_with_client(base.trim_end_matches('/'), http);

    // Create.
    let input = types::TrackInput {
        title: value("create", "So What")?,
        artist_name: value("create", "Miles Davis")?,
        duration: Some(value("create", "545.2")?),
        release_date: None,
    };
    let created = client
        .tracks_create(None, &input)
        .await
        .map_err(|e| failed("create", e))?;
    let created_status = created.status().as_u16();
    let created = created.into_inner();
    let id = created.id.to_string();
    let owner = created
        .owner
        .ok_or("create: the new track has no owner")?
        .to_string();

    // A create the server refuses: a user with the owner's username, taken (a check only the
    // server can make). The 409's field errors decode as the ValidationError variant of the
    // operation's one error type.
    let taken = created
        .owner_username
        .clone()
        .ok_or("create: the new track has no owner_username")?;
    let duplicate = types::UserInput {
        username: value("invalid create", taken)?,
        password: value("invalid create", "another-password")?,
        email: None,
        is_active: None,
    };
    let invalid = match client.users_create(None, &duplicate).await {
        Err(api::Error::ErrorResponse(r)) => json!({
            "status": r.status().as_u16(),
            "validation_error": matches!(
                r.as_ref(),
                types::ErrorOrValidationError::ValidationError(_)
            ),
            "body": json_of(r.as_ref()),
        }),
        Ok(r) => return Err(format!("invalid create: accepted ({})", r.status())),
        Err(e) => return Err(failed("invalid create", e)),
    };

    // List, filtered by artist.
    let listed = client
        .tracks_list(
            Some(&value("list", "Miles Davis")?),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        )
        .await
        .map_err(|e| failed("list", e))?
        .into_inner();

    // Retrieve.
    let retrieved = client
        .tracks_retrieve(&value("retrieve", id.as_str())?, None)
        .await
        .map_err(|e| failed("retrieve", e))?
        .into_inner();

    // PATCH: a new title and a release date, the rest untouched.
    let patch = types::TrackPatch {
        title: Some(value("patch", "So What (take 2)")?),
        release_date: Some(chrono::NaiveDate::from_ymd_opt(1959, 8, 17).ok_or("patch: a date")?),
        ..Default::default()
    };
    let patched = client
        .tracks_partial_update(&value("patch", id.as_str())?, None, &patch)
        .await
        .map_err(|e| failed("patch", e))?
        .into_inner();
    // The document says null clears a nullable field; the generated TrackPatch has one
    // Option per field and skips None, so this sends `{}`: the date stays.
    let clear = types::TrackPatch {
        release_date: None,
        ..Default::default()
    };
    let sent_for_none = json_of(&clear);
    let after_none = client
        .tracks_partial_update(&value("patch to clear", id.as_str())?, None, &clear)
        .await
        .map_err(|e| failed("patch to clear", e))?
        .into_inner();

    // Upload the MP3 (raw body), then read the file back.
    let uploaded = client
        .tracks_upload(
            &value("upload", id.as_str())?,
            &value("upload", "so_what.mp3")?,
            None,
            mp3.to_vec(),
        )
        .await
        .map_err(|e| failed("upload", e))?
        .into_inner();
    let file = client
        .tracks_file(&value("download", id.as_str())?, None)
        .await
        .map_err(|e| failed("download", e))?;
    let file_type = file
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let downloaded: Vec<u8> = file
        .into_inner_stream()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .map_err(|e| format!("download: reading the body: {e}"))?;

    // The owner's picture before there is one: the server redirects (302) to the placeholder
    // image. progenitor drops 3xx responses from the generated method, and reqwest follows the
    // redirect, so what comes back is the placeholder's answer to `Accept: application/json`.
    let before = match client
        .users_picture_get(&value("picture get before put", owner.as_str())?, None)
        .await
    {
        Ok(r) => json!({"ok": r.status().as_u16()}),
        Err(api::Error::ErrorResponse(r)) => {
            json!({"error_response": r.status().as_u16(), "body": json_of(r.as_ref())})
        }
        Err(api::Error::UnexpectedResponse(r)) => {
            json!({"unexpected_response": r.status().as_u16()})
        }
        Err(api::Error::InvalidResponsePayload(body, e)) => json!({
            "invalid_response_payload": e.to_string(),
            "png": body.starts_with(b"\x89PNG"),
        }),
        Err(e) => json!({"error": e.to_string()}),
    };

    // The owner's picture: PUT (base64 JSON), then GET (its JSON description, with the data).
    let picture_body = types::Base64Body {
        data: base64::engine::general_purpose::STANDARD.encode(png),
    };
    let put = client
        .users_picture_put(&value("picture put", owner.as_str())?, None, &picture_body)
        .await
        .map_err(|e| failed("picture put", e))?
        .into_inner();
    let got = client
        .users_picture_get(&value("picture get", owner.as_str())?, None)
        .await
        .map_err(|e| failed("picture get", e))?
        .into_inner();
    let data = got.data.as_deref().ok_or("picture get: no data")?;
    let data = data.rsplit_once(',').map_or(data, |(_, b64)| b64); // bare or a data: URI
    let picture = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("picture get: data is not base64: {e}"))?;

    // Delete, then retrieve: a 404 the document declares.
    let deleted = client
        .tracks_destroy(&value("delete", id.as_str())?, None)
        .await
        .map_err(|e| failed("delete", e))?
        .status()
        .as_u16();
    let after_delete = match client
        .tracks_retrieve(&value("retrieve after delete", id.as_str())?, None)
        .await
    {
        Ok(r) => json!({"status": r.status().as_u16(), "track": json_of(r.as_ref())}),
        Err(api::Error::ErrorResponse(r)) => {
            json!({"status": r.status().as_u16(), "error": json_of(r.as_ref())})
        }
        Err(e) => return Err(failed("retrieve after delete", e)),
    };

    let adaptations: Value =
        serde_json::from_str(ADAPTATIONS).map_err(|e| format!("adaptations.json: {e}"))?;
    Ok(json!({
        "adaptations": adaptations,
        "create": {"status": created_status, "track": json_of(&created)},
        "invalid_create": invalid,
        "list": {
            "count": listed.count,
            "ids": listed.results.iter().map(|t| t.id).collect::<Vec<_>>(),
        },
        "retrieve": json_of(&retrieved),
        "patch": json_of(&patched),
        "patch_with_none": {"sent": sent_for_none, "track": json_of(&after_none)},
        "upload": json_of(&uploaded),
        "download": {
            "content_type": file_type,
            "bytes": downloaded.len(),
            "same_as_uploaded": downloaded == mp3,
        },
        "picture_get_before_put": before,
        "picture_put": json_of(&put),
        "picture_get": {
            "mime_type": got.mime_type,
            "size": got.size,
            "last_updated": json_of(&got.last_updated),
            "bytes": picture.len(),
            "same_as_put": picture == png,
        },
        "delete": {"status": deleted},
        "retrieve_after_delete": after_delete,
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, token, mp3_path, png_path] = args.as_slice() else {
        eprintln!("usage: client-flow <base-url> <token> <mp3-path> <png-path>");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("read {path}: {e}"));
    let result = match (read(mp3_path), read(png_path)) {
        (Ok(mp3), Ok(png)) => flow(base, token, &mp3, &png).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(summary) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&summary).expect("JSON prints")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("client-flow: {e}");
            ExitCode::FAILURE
        }
    }
}
