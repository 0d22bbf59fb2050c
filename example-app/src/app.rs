//! The app's views and routes.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use restframe::openapi::{ApiInfo, Doc};
use restframe::renderers::{
    BrowsableApiRenderer, CsvRenderer, JsonRenderer, JsonpRenderer, MsgPackRenderer, Renderer,
    XmlRenderer, YamlRenderer,
};
use restframe::sql::{Database, DbError, Migration, Schema, SqlRepository};
use restframe::versioning::{AcceptHeaderVersioning, URLPathVersioning};
use restframe::{
    ApiSettings, LimitOffsetPagination, ModelViewSet, Request, Response, RouteError, Router,
    api_view,
};
use serde::Serialize;

use crate::{tracks, users};

/// The app's tables as declared, in the order they are created (a table after those it points
/// at), with the views over them: what a new database gets ([`database`]).
pub fn schema() -> Schema {
    Schema::new()
        .table::<users::User>()
        .table::<tracks::Track>()
        .table::<crate::presign::PendingUpload>()
        .table_with(crate::pictures::TABLE, "user_id", crate::pictures::COLUMNS)
        .table::<crate::credentials::AuthToken>()
        .table::<crate::credentials::AuthSession>()
        .sql(
            include_str!("../schema/views.sqlite.sql"),
            include_str!("../schema/views.postgres.sql"),
        )
}

/// How a database made by an older version of the app reaches [`schema`], in both dialects:
/// a new database is created from the declarations and records these as applied. A change to
/// a declaration comes with the migration that brings an existing database to it.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "catalogue: track and app_user",
        sqlite: include_str!("../migrations/sqlite/0001_catalogue.sql"),
        postgres: include_str!("../migrations/postgres/0001_catalogue.sql"),
    },
    Migration {
        version: 2,
        name: "track.file_key: where an uploaded file is stored",
        sqlite: include_str!("../migrations/sqlite/0002_track_file_key.sql"),
        postgres: include_str!("../migrations/postgres/0002_track_file_key.sql"),
    },
    Migration {
        version: 3,
        name: "pending_upload: presigned uploads awaiting confirmation",
        sqlite: include_str!("../migrations/sqlite/0003_pending_upload.sql"),
        postgres: include_str!("../migrations/postgres/0003_pending_upload.sql"),
    },
    Migration {
        version: 4,
        name: "user_picture: profile pictures beside their user",
        sqlite: include_str!("../migrations/sqlite/0004_user_picture.sql"),
        postgres: include_str!("../migrations/postgres/0004_user_picture.sql"),
    },
    Migration {
        version: 5,
        name: "auth: passwords, staff, track owners, tokens and sessions",
        sqlite: include_str!("../migrations/sqlite/0005_auth.sql"),
        postgres: include_str!("../migrations/postgres/0005_auth.sql"),
    },
    Migration {
        version: 6,
        name: "track.file: a relative path, made absolute per response",
        sqlite: include_str!("../migrations/sqlite/0006_relative_file_urls.sql"),
        postgres: include_str!("../migrations/postgres/0006_relative_file_urls.sql"),
    },
    Migration {
        version: 7,
        name: "track.duration, created_at and updated_at; app_user.date_joined",
        sqlite: include_str!("../migrations/sqlite/0007_timestamps_duration.sql"),
        postgres: include_str!("../migrations/postgres/0007_timestamps_duration.sql"),
    },
    Migration {
        version: 8,
        name: "track: an index per ordering field, in both directions",
        sqlite: include_str!("../migrations/sqlite/0008_ordering_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0008_ordering_indexes.sql"),
    },
];

/// Opens the database at `url`, creates its tables from the declarations ([`schema`]) or
/// brings an older one up to date ([`MIGRATIONS`]), and checks every model against its table:
/// a missing column, or one of another type, fails here (naming the table and the column)
/// rather than as a 500 on the first request that touches it.
pub async fn database(url: &str) -> Result<Database, DbError> {
    let db = Database::connect(url).await?;
    db.create_or_upgrade(&schema(), MIGRATIONS).await?;
    Ok(db)
}

/// Every data renderer, in the order the example app offers them: JSON first (the default),
/// the browsable API second (a browser's `Accept` picks it). JSONP is not among them: only the
/// tracks list and detail offer it ([`with_jsonp`]).
fn renderers() -> Vec<Arc<dyn Renderer>> {
    vec![
        Arc::new(JsonRenderer::new()),
        // Browsers ask for text/html first: they get the browsable API, with its login link.
        Arc::new(
            BrowsableApiRenderer::new()
                .login_url(crate::auth_views::LOGIN_URL)
                .logout_url(crate::auth_views::LOGOUT_URL),
        ),
        Arc::new(YamlRenderer::new()),
        Arc::new(XmlRenderer::new()),
        Arc::new(MsgPackRenderer::new()),
        // A list's CSV is its rows, without the pagination envelope.
        Arc::new(CsvRenderer::new().results_field("results")),
    ]
}

/// The app's renderers and JSONP, last so only an explicit ask picks it: public data for
/// anonymous callers (restframe refuses it to an authenticated request).
fn with_jsonp() -> Vec<Arc<dyn Renderer>> {
    let mut all = renderers();
    all.push(Arc::new(JsonpRenderer::new()));
    all
}

#[derive(Serialize)]
struct Hello {
    message: &'static str,
    format: String,
    accepted: String,
}

/// What the router is built from.
pub struct Options {
    /// The database.
    pub db: Database,
    /// Where uploaded files go.
    pub media: crate::media::Media,
    /// The presigned upload flow.
    pub presign: crate::presign::Presign,
    /// Users' passwords, tokens and sessions.
    pub credentials: crate::credentials::Credentials,
    /// The default request policy (authentication, permissions, throttles), every view's.
    pub policy: ApiSettings,
    /// The HTML pages' templates.
    pub templates: std::path::PathBuf,
    /// Debug mode (template reload, error detail in HTML pages).
    pub debug: bool,
    /// Signs the cursors of version 2's track lists (the same on every instance).
    pub secret: Vec<u8>,
    /// Adds `/api/test/…` routes that only the end-to-end tests use (a panicking view, a slow
    /// view).
    pub test_routes: bool,
}

/// The app's router: `/api/` (root), `/api/tracks/`, `/api/users/`, `/api/hello/`,
/// `/api/echo/`.
pub fn router(options: &Options) -> Result<Router, Box<dyn std::error::Error>> {
    // Every parser the enabled features offer (JSON first); the app's own renderer list; the
    // request policy. Every view inherits these.
    let settings = options
        .policy
        .clone()
        .inherit(&ApiSettings::all_formats().renderers(renderers()));

    let hello = api_view(|req: Request| async move {
        let n = req.negotiated();
        Ok(Response::new(Hello {
            message: "Hello from restframe",
            format: n.format().to_owned(),
            accepted: n.media_type().to_owned(),
        }))
    })
    .name("Hello")
    .description("Says hello in the negotiated format.");

    let echo = api_view(|mut req: Request| async move {
        if req.method() == Method::GET {
            return Ok(Response::new(serde_json::json!({
                "detail": "POST a body in any format; it comes back in the negotiated one."
            })));
        }
        Ok(Response::new(req.value().await?))
    })
    .name("Echo")
    .description("Answers a body in any format with the same data in the negotiated one.");

    // Every view that answers tracks shows their owners alike (`tracks::show`).
    let mut router = Router::with_settings(settings).with_state(tracks::Owners::new(&options.db));
    // The API in two versions (version 2 shows a track's owner nested and lists tracks behind
    // cursors): `/api/v1/…` and `/api/v2/…` by path, `/api/…` by `Accept` (`version=1` or
    // `version=2`; 1 by default).
    for (prefix, versioning) in [
        ("/api/", accept_versioning()),
        ("/api/{version}/", path_versioning()),
    ] {
        router = api_viewsets(router, options, prefix, &versioning)?;
    }
    router = crate::pictures::static_routes(router)?;
    router = crate::media::routes(router, &options.media)?;
    router = crate::presign::upload_route(router, &options.presign)?;
    router = crate::pages::routes(router, &options.db, &options.templates, options.debug)?;
    router = crate::auth_views::routes(
        router,
        &options.credentials,
        &options.templates,
        options.debug,
    )?;
    if options.test_routes {
        router = test_routes(router, &options.db)?;
    }
    router = root_redirect(router)?;
    Ok(router
        .route("/api/hello/", "hello", [(Method::GET, hello)])?
        .route(
            "/api/echo/",
            "echo",
            [Method::GET, Method::POST, Method::PUT, Method::PATCH].map(|m| (m, echo.clone())),
        )?
        .api_root("/api/", "api-root")?
        .schema("/api/schema/", "schema", api_info())?
        // JSON for data (and the files' own types): the document client generators read.
        .schema(
            "/api/schema/json/",
            "schema-json",
            api_info().media_types(["application/json"]),
        )?
        // The same with one type per place, for generators that take no alternatives
        // (progenitor): one body type per upload, one success type, one error type.
        .schema(
            "/api/schema/client/",
            "schema-client",
            api_info()
                .media_types(["application/json"])
                .one_type_per_operation(),
        )?
        // Each path version's own document (`/api/v2/schema/`), where version 2 nests a
        // track's owner.
        .schema(
            "/api/{version:v[12]}/schema/",
            "schema",
            api_info().version_component("v2", "Track", tracks::schema_v2),
        )?
        .swagger_ui_with(
            "/api/docs/",
            "swagger-ui",
            &[
                ("by Accept (/api/)", "/api/schema/"),
                ("v1 (/api/v1/)", "/api/v1/schema/"),
                ("v2 (/api/v2/)", "/api/v2/schema/"),
            ],
        )?
        .redoc("/api/redoc/", "redoc", "/api/schema/")?)
}

/// `/api/…`: the version is `Accept`'s (`application/json; version=2`), 1 by default.
fn accept_versioning() -> ApiSettings {
    ApiSettings::default().versioning(AcceptHeaderVersioning::new(["1", "2"]).default_version("1"))
}

/// `/api/{version}/…`: the version is the path's, `v1` or `v2`.
fn path_versioning() -> ApiSettings {
    ApiSettings::default().versioning(URLPathVersioning::new(["v1", "v2"]))
}

/// `/tracks/` (with its file and presign actions) and `/users/` (with its picture) under
/// `prefix`, versioned as `versioning` says.
fn api_viewsets(
    mut router: Router,
    options: &Options,
    prefix: &str,
    versioning: &ApiSettings,
) -> Result<Router, Box<dyn std::error::Error>> {
    let tracks = tracks::with_owner(crate::uploads::repository(&options.db, &options.media))?;
    let viewset = tracks::viewset(tracks.clone(), with_jsonp(), &options.secret);
    let viewset = crate::uploads::actions(viewset, &tracks, &options.media).settings(versioning);
    router = options
        .presign
        .actions(viewset)
        .register(router, &format!("{prefix}tracks/"))?;
    let users = SqlRepository::new(&options.db);
    let picture = crate::pictures::views(&users, &options.db);
    Ok(users::viewset(
        users,
        options.credentials.passwords.clone(),
        options.credentials.token_cache.clone(),
        {
            let credentials = options.credentials.clone();
            Arc::new(move |id| {
                let credentials = credentials.clone();
                Box::pin(async move { credentials.revoke_all(id).await })
            })
        },
    )
    .action(picture.into_iter().fold(
        restframe::Action::detail("picture", "picture"),
        |action, (method, view)| action.method(method, view),
    ))
    .settings(versioning)
    .register(router, &format!("{prefix}users/"))?)
}

/// The OpenAPI document's title, version and description.
pub fn api_info() -> ApiInfo {
    ApiInfo::new(
        "restframe example: music catalogue",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Tracks with their audio files, users with their profile pictures. Every endpoint \
         answers in JSON, YAML, XML, MessagePack, CSV or JSONP: by `Accept`, by a `.{format}` \
         suffix or by `?format=`.",
    )
}

/// What the test-only route `/api/test/panic/` panics with (the app keeps it out of its
/// stderr).
pub const INTENTIONAL_PANIC: &str = "test-only route: this handler panics on purpose";

/// `/` (and `/index.html`): a redirect to the API root, `/api/`. The capture keeps it out of the
/// API root's listing, and it is left out of the OpenAPI document.
fn root_redirect(router: Router) -> Result<Router, RouteError> {
    let redirect = api_view(|_req: Request| async move {
        Ok(Response::empty(http::StatusCode::FOUND).with_header(
            http::header::LOCATION,
            http::HeaderValue::from_static("/api/"),
        ))
    })
    .name("Root")
    .doc(Doc::new().exclude());
    router.route(
        "/{index:(index\\.html)?}",
        "root",
        [(Method::GET, redirect)],
    )
}

/// Routes for the end-to-end tests only: a view that panics (the server must answer 500 and
/// keep serving), one that sleeps `?ms=` milliseconds (graceful shutdown must let it finish),
/// and the tracks read-only behind `?limit=&offset=` (the third paginator, 5 rows by default,
/// at most 10).
fn test_routes(router: Router, db: &Database) -> Result<Router, RouteError> {
    let panic = api_view(|_req: Request| async move {
        if std::hint::black_box(true) {
            panic!("{INTENTIONAL_PANIC}");
        }
        Ok(Response::empty(http::StatusCode::NO_CONTENT))
    })
    .name("Panic")
    .doc(Doc::new().exclude());
    let slow = api_view(|req: Request| async move {
        let ms = req
            .query()
            .get("ms")
            .and_then(|ms| ms.parse::<u64>().ok())
            .unwrap_or(1000)
            .min(10_000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(Response::new(serde_json::json!({ "slept_ms": ms })))
    })
    .name("Slow")
    .doc(Doc::new().exclude());
    let router = ModelViewSet::read_only(
        "Track",
        "test-track-by-offset",
        SqlRepository::<tracks::Track>::new(db),
    )
    .pagination(LimitOffsetPagination::new(5, 10))
    .ordering_fields(["title", "id"])
    .register(router, "/api/test/tracks-by-offset/")?;
    router
        .route("/api/test/panic/", "test-panic", [(Method::GET, panic)])?
        .route("/api/test/slow/", "test-slow", [(Method::GET, slow)])
}

#[cfg(test)]
mod tests {
    use super::*;

    // That the declarations and the migrations make the same tables, on SQLite and
    // PostgreSQL, is tests/e2e/upgrade.rs.

    #[tokio::test]
    async fn a_model_without_its_column_is_named() {
        let db = database("sqlite::memory:").await.expect("database");
        db.query("ALTER TABLE track DROP COLUMN duration", vec![], &[])
            .await
            .expect("alter");
        let err = db
            .check_schema(&schema())
            .await
            .expect_err("the check passed");
        let message = err.to_string();
        assert!(
            message.contains("table track") && message.contains("column duration is missing"),
            "{message}"
        );
    }
}
