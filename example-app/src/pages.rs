//! Two HTML pages outside `/api/`, each one view that serves a templated page to browsers and
//! JSON to API clients (DRF's "HTML and API responses from the same endpoints"): `/tracks/` and
//! `/users/`. Templates are in `example-app/templates/`.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use http::Method;
use restframe::openapi::Doc;
use restframe::renderers::{JsonRenderer, Renderer, TemplateHtmlRenderer};
use restframe::sql::{Database, SqlRepository};
use restframe::storage::{DatabaseStorage, Storage};
use restframe::{ListQuery, OrderBy, Repository, Request, Response, RouteError, Router, api_view};
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

/// A picture, for a page: its type and its bytes in base64 (the template makes a `data:` URI).
#[derive(Serialize)]
struct Picture {
    mime_type: String,
    data: String,
}

/// A user as a page shows it: its fields, and its picture.
#[derive(Serialize)]
struct UserRow {
    #[serde(flatten)]
    user: User,
    picture: Option<Picture>,
}

#[derive(Serialize)]
struct UserPage {
    users: Vec<UserRow>,
    count: u64,
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
            tracks: page.items,
            count: page.count,
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
        let mut query = first_rows("username");
        if !req.current_user().is_staff() {
            query
                .filters
                .push(("is_active".to_owned(), "true".to_owned()));
        }
        let page = users.list(&query).await?;
        let mut shown = Vec::with_capacity(page.items.len());
        for mut user in page.items {
            user.shown_to(&req);
            let id = user.id().to_string();
            let picture = match pictures.metadata(&id).await? {
                None => None,
                Some(meta) => {
                    // A picture is at most `MAX_PICTURE` bytes.
                    let bytes = crate::media::read(&*pictures, &id, None).await?;
                    Some(Picture {
                        mime_type: meta.content_type,
                        data: base64::engine::general_purpose::STANDARD.encode(bytes),
                    })
                }
            };
            shown.push(UserRow { user, picture });
        }
        Ok(Response::new(UserPage {
            users: shown,
            count: page.count,
        }))
    })
    .name("Users")
    .description("The catalogue's users with their pictures, as a page.")
    .template_name("users.html")
    .renderers(renderers(templates, debug))
    .doc(Doc::new().exclude())
    .with_state(SqlRepository::<User>::new(db))
    .with_state(crate::pictures::storage(db));

    router
        .route("/tracks/", "tracks-page", [(Method::GET, tracks_page)])?
        .route("/users/", "users-page", [(Method::GET, users_page)])
}
