//! Two HTML pages outside `/api/`, each one view that serves a templated page to browsers and
//! JSON to API clients (DRF's "HTML and API responses from the same endpoints"): `/tracks/` and
//! `/users/`. Templates are in `example-app/templates/`.
//!
//! `/users/` is bounded: it is paginated like `/api/users/` (`?page=`, 20 users a page,
//! `?page_size=` up to 100, DRF's envelope `{"count", "next", "previous", "results"}`), and
//! embeds a picture only up to [`EMBEDDED_PICTURE_MAX`] bytes; a larger one is a link to
//! `/api/users/{id}/picture/`.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use http::Method;
use restframe::openapi::Doc;
use restframe::pagination::{Fetched, Pagination};
use restframe::renderers::{JsonRenderer, Renderer, TemplateHtmlRenderer};
use restframe::sql::{Database, SqlRepository};
use restframe::storage::{DatabaseStorage, Storage};
use restframe::{
    ListQuery, OrderBy, PageNumberPagination, Repository, Request, Response, RouteError, Router,
    api_view,
};
use serde::Serialize;

use crate::tracks::Track;
use crate::users::User;

/// The most rows a page shows.
const ROWS: u64 = 100;

/// `[TemplateHtmlRenderer, JsonRenderer]`: a browser gets the page, `Accept: application/json`
/// or `.json` the data.
pub fn renderers(templates: &Path, debug: bool) -> Vec<Arc<dyn Renderer>> {
    vec![
        Arc::new(TemplateHtmlRenderer::new(templates).debug(debug)),
        Arc::new(JsonRenderer::new()),
    ]
}

fn first_rows(field: &str) -> ListQuery {
    ListQuery {
        ordering: vec![OrderBy {
            field: field.to_owned(),
            descending: false,
        }],
        limit: ROWS,
        ..ListQuery::default()
    }
}

#[derive(Serialize)]
struct TrackPage {
    tracks: Vec<Track>,
    count: u64,
}

/// The largest picture `/users/` embeds (in base64); a larger one is linked instead, so a page
/// of [`USERS_MAX_PAGE`] users holds at most about 8.5 MiB of pictures however large each is.
pub const EMBEDDED_PICTURE_MAX: u64 = 64 << 10;

/// Users a `/users/` page shows unless `?page_size=` asks for another size.
const USERS_PAGE: u64 = 20;

/// The most users one `/users/` page shows.
const USERS_MAX_PAGE: u64 = 100;

/// A picture, for a page: its type and size, its URL, and its bytes in base64 when it is at
/// most [`EMBEDDED_PICTURE_MAX`] bytes (the template makes a `data:` URI of them, else links
/// the URL).
#[derive(Serialize)]
struct Picture {
    mime_type: String,
    size: u64,
    /// The picture's absolute URL (`/api/users/{id}/picture/`).
    url: String,
    /// Absent for a picture over [`EMBEDDED_PICTURE_MAX`] bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

/// A user as a page shows it: its fields, and its picture.
#[derive(Serialize)]
struct UserRow {
    #[serde(flatten)]
    user: User,
    picture: Option<Picture>,
}

/// Adds `/tracks/` and `/users/`.
pub fn routes(
    router: Router,
    db: &Database,
    templates: &Path,
    debug: bool,
) -> Result<Router, RouteError> {
    let tracks_page = api_view(|req: Request| async move {
        let tracks = req.state::<SqlRepository<Track>>()?;
        let page = tracks.list(&first_rows("title")).await?;
        Ok(Response::new(TrackPage {
            // Counted exactly (the query's default count).
            count: page.count.unwrap_or(page.items.len() as u64),
            tracks: page.items,
        }))
    })
    .name("Tracks")
    .description("The catalogue's tracks, as a page.")
    .template_name("tracks.html")
    .renderers(renderers(templates, debug))
    .doc(Doc::new().exclude())
    .with_state(SqlRepository::<Track>::new(db));

    let users_page = api_view(|req: Request| async move {
        let users = req.state::<SqlRepository<User>>()?;
        let pictures = req.state::<DatabaseStorage>()?;
        // The rows `/api/users/` would show this user: active users only (all for staff),
        // emails only their own (all for staff), never a password hash.
        req.user().await?;
        // One page (`?page=`, `?page_size=` up to 100), as `/api/users/` pages.
        let pagination = PageNumberPagination::new(USERS_PAGE, USERS_MAX_PAGE);
        let window = pagination.window(&req)?;
        let mut query = first_rows("username");
        query.offset = window.offset;
        query.limit = window.limit;
        if !req.current_user().is_staff() {
            query
                .filters
                .push(("is_active".to_owned(), "true".to_owned()));
        }
        let page = users.list(&query).await?;
        let envelope =
            pagination.envelope(&req, &Fetched::new(window, page.count, page.items.len()))?;
        let base = req.base_url()?;
        let mut shown = Vec::with_capacity(page.items.len());
        for mut user in page.items {
            user.shown_to(&req);
            let id = user.id().to_string();
            let picture = match pictures.metadata(&id).await? {
                None => None,
                Some(meta) => {
                    // Only a small picture is read and embedded; a larger one is linked.
                    let data = if meta.size <= EMBEDDED_PICTURE_MAX {
                        let bytes = crate::media::read(&*pictures, &id, None).await?;
                        Some(base64::engine::general_purpose::STANDARD.encode(bytes))
                    } else {
                        None
                    };
                    Some(Picture {
                        mime_type: meta.content_type,
                        size: meta.size,
                        url: format!("{base}/api/users/{id}/picture/"),
                        data,
                    })
                }
            };
            shown.push(UserRow { user, picture });
        }
        Ok(envelope.into_response(shown))
    })
    .name("Users")
    .description(
        "The catalogue's users with their pictures, a page at a time: DRF's envelope \
         (`count`, `next`, `previous`, `results`); pictures up to 64 KiB embedded in base64, \
         larger ones linked.",
    )
    .template_name("users.html")
    .renderers(renderers(templates, debug))
    .doc(Doc::new().exclude())
    .with_state(SqlRepository::<User>::new(db))
    .with_state(crate::pictures::storage(db));

    router
        .route("/tracks/", "tracks-page", [(Method::GET, tracks_page)])?
        .route("/users/", "users-page", [(Method::GET, users_page)])
}
