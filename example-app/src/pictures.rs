//! Profile pictures, kept in the database beside their user (`user_picture`, cascade-deleted
//! with the user): `PUT /api/users/{id}/picture/` with a raw image, a multipart field `file`, or
//! JSON `{"data": "<base64 or data: URI>"}`; `GET` answers the image with caching, or JSON with
//! `Accept: application/json` / `.json`, or a 302 to `/static/missing.png` when there is none.

use std::sync::{Arc, LazyLock};

use base64::Engine;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderValue, Method, StatusCode};
use restframe::files::serve_file;
use restframe::image::image_type;
use restframe::negotiation::accepts;
use restframe::openapi::Doc;
use restframe::parsers::{FileUploadParser, JsonParser, MultiPartParser, Parser, ParserLimits};
use restframe::renderers::{BinaryRenderer, JsonRenderer, Renderer};
use restframe::sql::{Column, Database, OnDelete, SqlRepository, Table};
use restframe::storage::{DatabaseStorage, Storage};
use restframe::upload::UploadedFileExt;
use restframe::validation::{FileRules, IMAGE_HEAD_BYTES};
use restframe::{
    ApiError, ApiView, Base64Image, Repository, Request, Response, RouteError, Router, api_view,
};
use serde::{Deserialize, Serialize};

use crate::media::{file_doc, file_field, read};
use crate::users::User;

/// The largest picture, in bytes.
pub const MAX_PICTURE: u64 = 5 << 20;

/// The picture shown when a user has none.
const MISSING_PNG: &[u8] = include_bytes!("../static/missing.png");

/// The placeholder's strong validator, from its size.
static MISSING_ETAG: LazyLock<HeaderValue> = LazyLock::new(|| {
    HeaderValue::try_from(format!("\"missing-{}\"", MISSING_PNG.len()))
        .expect("quotes, letters and digits make a valid header value")
});

/// The pictures' table: one row per user who has a picture, deleted with its user.
pub const TABLE: &str = "user_picture";

/// The pictures' columns ([`DatabaseStorage::columns`]), keyed by their user's id.
pub const COLUMNS: &[Column] =
    &DatabaseStorage::columns(Column::integer("user_id").primary_key().references(
        <User as Table>::NAME,
        <User as Table>::PRIMARY_KEY,
        OnDelete::Cascade,
    ));

/// The pictures' storage.
pub fn storage(db: &Database) -> DatabaseStorage {
    DatabaseStorage::new(
        db,
        TABLE,
        "user_id",
        "/api/users/{key}/picture/",
        MAX_PICTURE,
    )
}

fn rules() -> FileRules {
    FileRules::new("file").max_size(MAX_PICTURE).image()
}

#[derive(Serialize, utoipa::ToSchema)]
struct PictureJson {
    mime_type: String,
    size: u64,
    /// When the picture was stored (RFC 3339, UTC).
    last_updated: restframe::DateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

/// `{"data": "<base64 or data: URI>"}`: decoded and checked as an image while deserializing,
/// so a bad one is a 400 on `data`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Base64Body {
    /// The image in base64, bare or as a `data:` URI.
    #[schema(value_type = String)]
    data: Base64Image,
}

fn renderers() -> Vec<Arc<dyn Renderer>> {
    vec![
        Arc::new(BinaryRenderer::new(mime::IMAGE_STAR, "image")),
        Arc::new(JsonRenderer::new()),
    ]
}

fn not_found() -> ApiError {
    ApiError::not_found("No such object.")
}

/// 404 unless the user exists.
async fn existing(users: &SqlRepository<User>, id: &str) -> Result<(), ApiError> {
    users.retrieve(id).await?.map(drop).ok_or_else(not_found)
}

/// `GET`, `PUT` and `DELETE` of `/api/users/{id}/picture/`.
pub fn views(users: &SqlRepository<User>, db: &Database) -> [(Method, ApiView); 3] {
    let get = api_view(|req: Request| async move {
        let id = req.path::<i64>("id").map_err(|_| not_found())?.to_string();
        existing(&*req.state::<SqlRepository<User>>()?, &id).await?;
        let pictures = req.state::<DatabaseStorage>()?;
        let Some(meta) = pictures.metadata(&id).await? else {
            return Ok(Response::empty(StatusCode::FOUND)
                .with_header(LOCATION, HeaderValue::from_static("/static/missing.png")));
        };
        if req.negotiated().format() == "json" {
            let data = read(&*pictures, &id, None).await?;
            return Ok(Response::new(PictureJson {
                mime_type: meta.content_type,
                size: meta.size,
                last_updated: last_updated(meta.last_modified)?,
                data: Some(base64::engine::general_purpose::STANDARD.encode(data)),
            }));
        }
        // The image renderer takes `image/*`; the picture is one type of image.
        if !accepts(req.headers(), &meta.content_type) {
            return Err(ApiError::not_acceptable(vec![
                meta.content_type.clone(),
                "application/json".into(),
            ]));
        }
        serve_file(&req, &*pictures, &id, "private, max-age=0, must-revalidate").await
    })
    .name("User Picture")
    .description("The user's profile picture, or its JSON description with the data in base64.")
    .doc(
        file_doc("Get the user's picture")
            .response::<PictureJson>(200, "The picture (its description, in a data format).")
            .response_header(200, "ETag", "The picture's strong validator.")
            .response_header(200, "Last-Modified", "When the picture was stored.")
            .empty_response(302, "No picture: a redirect to the placeholder image.")
            .response_header(302, "Location", "`/static/missing.png`."),
    )
    .renderers(renderers())
    .with_state(users.clone())
    .with_state(storage(db));

    let put = api_view(|mut req: Request| async move {
        let id = req.path::<i64>("id").map_err(|_| not_found())?.to_string();
        existing(&*req.state::<SqlRepository<User>>()?, &id).await?;
        let pictures = req.state::<DatabaseStorage>()?;
        let is_json = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        let meta = if is_json {
            let body: Base64Body = req.data().await?;
            let bytes = Bytes::from(body.data.into_bytes());
            let media_type = image_type(&bytes).unwrap_or("application/octet-stream");
            let body = Box::pin(futures_util::stream::once(async move { Ok(bytes) }));
            pictures.save(&id, media_type, body).await?
        } else {
            let file = file_field(&mut req).await?;
            // A picture within its size limit is read whole: checked to its end.
            rules().check_upload(&file).await?;
            let media_type = image_type(&file.head(IMAGE_HEAD_BYTES).await?)
                .unwrap_or("application/octet-stream");
            pictures.save_upload(&id, media_type, file).await?
        };
        Ok(Response::new(PictureJson {
            mime_type: meta.content_type,
            size: meta.size,
            last_updated: last_updated(meta.last_modified)?,
            data: None,
        }))
    })
    .name("User Picture")
    .description(
        "Stores the user's picture: a raw image, the multipart field `file`, or base64 JSON.",
    )
    .doc(
        Doc::new()
            .summary("Set the user's picture")
            .request::<Base64Body>()
            .file_field("file")
            .response::<PictureJson>(200, "The stored picture's description."),
    )
    .throttle_scope(crate::policy::UPLOADS)
    .parsers([
        Arc::new(JsonParser::new()) as Arc<dyn Parser>,
        Arc::new(MultiPartParser::new()),
        Arc::new(FileUploadParser::accepting(mime::IMAGE_STAR).default_filename("picture")),
    ])
    .limits(
        ParserLimits::default()
            .max_file_bytes(MAX_PICTURE)
            .max_body_bytes(8 << 20),
    )
    .with_state(users.clone())
    .with_state(storage(db));

    let delete = api_view(|req: Request| async move {
        let id = req.path::<i64>("id").map_err(|_| not_found())?.to_string();
        let pictures = req.state::<DatabaseStorage>()?;
        if pictures.metadata(&id).await?.is_none() {
            return Err(ApiError::not_found("No picture."));
        }
        pictures.delete(&id).await?;
        Ok(Response::empty(StatusCode::NO_CONTENT))
    })
    .name("User Picture")
    .description("Removes the user's picture (the placeholder is shown again).")
    .doc(
        Doc::new()
            .summary("Remove the user's picture")
            .empty_response(204, "Removed."),
    )
    .with_state(storage(db));
    [
        (Method::GET, get),
        (Method::PUT, put),
        (Method::DELETE, delete),
    ]
}

/// `/static/missing.png`, the picture of users who have none.
pub fn static_routes(router: Router) -> Result<Router, RouteError> {
    let view = api_view(|_req: Request| async move {
        Ok(Response::bytes(MISSING_PNG, mime::IMAGE_PNG)
            .with_header(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            )
            .with_header(http::header::ETAG, MISSING_ETAG.clone()))
    })
    .name("Missing picture")
    .doc(
        Doc::new()
            .summary("The placeholder picture")
            .binary_response(200, "A PNG.")
            .response_header(200, "ETag", "The image's validator."),
    )
    .renderers([
        Arc::new(BinaryRenderer::new(mime::IMAGE_PNG, "png")) as Arc<dyn Renderer>,
        Arc::new(JsonRenderer::new()),
    ]);
    router.route(
        "/static/missing.png",
        "missing-picture",
        [(Method::GET, view)],
    )
}

/// A stored time as the API shows every datetime: RFC 3339 in UTC.
fn last_updated(at: std::time::SystemTime) -> Result<restframe::DateTime, ApiError> {
    restframe::DateTime::from_system_time(at)
        .ok_or_else(|| ApiError::internal("a picture's time is out of range"))
}
