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
use restframe::storage::Storage;
use restframe::{
    ApiError, ListQuery, OrderBy, Repository, Request, Response, RouteError, Router, api_view,
};
use serde::Serialize;
use serde_json::Value;

use crate::tracks::Track;
use crate::users::User;

/// The most rows a page shows.
const ROWS: u64 = 100;

/// `[TemplateHtmlRenderer, JsonRenderer]`: a browser gets the page, `Accept: application/json`
/// or `.json` the data.
fn renderers(templates: &Path, debug: bool) -> Vec<Arc<dyn Renderer>> {
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

#[derive(Serialize)]
struct UserPage {
    users: Vec<Value>,
    count: u64,
}

/// Adds `/tracks/` and `/users/`.
pub fn routes(
    router: Router,
    db: &Database,
    templates: &Path,
    debug: bool,
) -> Result<Router, RouteError> {
    let tracks: SqlRepository<Track> = SqlRepository::new(db);
    let tracks_page = api_view(move |_req: Request| {
        let tracks = tracks.clone();
        async move {
            let page = tracks.list(&first_rows("title")).await?;
            Ok(Response::new(TrackPage {
                tracks: page.items,
                count: page.count,
            }))
        }
    })
    .name("Tracks")
    .description("The catalogue's tracks, as a page.")
    .template_name("tracks.html")
    .renderers(renderers(templates, debug))
    .doc(Doc::new().exclude());

    let users: SqlRepository<User> = SqlRepository::new(db);
    let pictures = Arc::new(crate::pictures::storage(db));
    let users_page = api_view(move |_req: Request| {
        let (users, pictures) = (users.clone(), Arc::clone(&pictures));
        async move {
            let page = users.list(&first_rows("username")).await?;
            let mut shown = Vec::with_capacity(page.items.len());
            for user in page.items {
                let mut user =
                    serde_json::to_value(&user).map_err(|e| ApiError::internal(e.to_string()))?;
                let id = user.get("id").map(Value::to_string).unwrap_or_default();
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
                if let Value::Object(map) = &mut user {
                    map.insert(
                        "picture".into(),
                        serde_json::to_value(picture)
                            .map_err(|e| ApiError::internal(e.to_string()))?,
                    );
                }
                shown.push(user);
            }
            Ok(Response::new(UserPage {
                users: shown,
                count: page.count,
            }))
        }
    })
    .name("Users")
    .description("The catalogue's users with their pictures, as a page.")
    .template_name("users.html")
    .renderers(renderers(templates, debug))
    .doc(Doc::new().exclude());

    router
        .route("/tracks/", "tracks-page", [(Method::GET, tracks_page)])?
        .route("/users/", "users-page", [(Method::GET, users_page)])
}
