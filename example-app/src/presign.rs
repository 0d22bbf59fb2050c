//! Presigned uploads that bypass the app: `POST /api/tracks/{id}/presigned-url/` hands out a
//! URL that takes one plain `PUT` of the bytes (the S3 server's own with S3 storage; the app's
//! HMAC-signed `/media-upload/…` with file-system storage), then
//! `POST /api/tracks/{id}/confirm-upload/` with `{"key"}` checks that the object exists and
//! passes the upload validators before binding it to the track. Objects never confirmed are
//! removed after they expire by [`cleanup`].

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use http::{Method, StatusCode};
use restframe::openapi::Doc;
use restframe::parsers::{FileUploadParser, Parser};
use restframe::sql::{Column, ColumnType, SqlRepository, Table};
use restframe::storage::{PresignedUrl, Storage};
use restframe::validation::FileRules;
use restframe::{
    Action, ApiError, ApiView, ListQuery, ModelViewSet, Repository, Request, Response, RouteError,
    Router, Validate, api_view,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};

use crate::media::Media;
use crate::random::random_hex;
use crate::tracks::Track;
use crate::uploads::{bind_file, mp3_rules, not_found};

/// `POST /api/tracks/{id}/confirm-upload/`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Confirm {
    /// The `key` the presigned URL was given for.
    key: String,
}

/// A presigned upload not yet confirmed.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingUpload {
    key: String,
    track_id: i64,
    expires_at: i64,
}

impl Validate for PendingUpload {}

/// No field of a pending upload changes.
#[derive(Serialize, Deserialize, Default)]
pub struct NoPatch {}

impl Table for PendingUpload {
    type Input = PendingUpload;
    type Patch = NoPatch;
    const NAME: &'static str = "pending_upload";
    const PRIMARY_KEY: &'static str = "key";
    const COLUMNS: &'static [Column] = &[
        Column::new("key", ColumnType::Text),
        Column::new("track_id", ColumnType::Integer),
        Column::new("expires_at", ColumnType::Integer),
    ];
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Everything the presign views share.
#[derive(Clone)]
pub struct Presign {
    tracks: SqlRepository<Track>,
    pending: SqlRepository<PendingUpload>,
    storage: Arc<dyn Storage>,
    rules: FileRules,
    expiry: Duration,
}

impl Presign {
    /// The presign flow over `tracks`, storing in `media`.
    pub fn new(tracks: &SqlRepository<Track>, media: &Media, expiry: Duration) -> Self {
        Self {
            tracks: tracks.clone(),
            pending: SqlRepository::new(tracks.database()),
            storage: Arc::clone(&media.storage),
            rules: mp3_rules(media.max_upload_size),
            expiry,
        }
    }

    /// The track viewset's presigned-upload actions: presigned-url and confirm-upload.
    pub fn actions(
        &self,
        viewset: ModelViewSet<SqlRepository<Track>>,
    ) -> ModelViewSet<SqlRepository<Track>> {
        viewset
            .action(
                Action::detail("presigned-url", "presigned-url")
                    .method(Method::POST, self.presigned_url())
                    .extend_schema(
                        Method::POST,
                        Doc::new()
                            .summary("Get a presigned URL to PUT the track's MP3 to")
                            .response::<PresignedUrl>(
                                201,
                                "A URL for one plain PUT, until it expires.",
                            ),
                    ),
            )
            .action(
                Action::detail("confirm-upload", "confirm-upload")
                    .method(Method::POST, self.confirm_upload())
                    .extend_schema(
                        Method::POST,
                        Doc::new()
                            .summary("Bind a presigned upload to the track")
                            .request::<Confirm>()
                            .response::<Track>(200, "The track, its `file` the URL of the upload."),
                    ),
            )
    }

    /// `POST /api/tracks/{id}/presigned-url/` → `{"url", "method": "PUT", "key", "expires_at"}`.
    pub fn presigned_url(&self) -> ApiView {
        api_view(|req: Request| async move {
            let this = req.state::<Presign>()?;
            let track_id: i64 = req.path("id").map_err(|_| not_found())?;
            let id = track_id.to_string();
            this.tracks.retrieve(&id).await?.ok_or_else(not_found)?;
            let key = format!("pending/tracks/{track_id}/{}.mp3", random_hex(16)?);
            let mut presigned = this.storage.presign_put(&key, this.expiry).await?;
            // The app's own URLs are paths: make them absolute for the client.
            if presigned.url.starts_with('/') {
                presigned.url = format!("{}{}", req.base_url()?, presigned.url);
            }
            let expires_at = i64::try_from(presigned.expires_at).unwrap_or(i64::MAX);
            this.pending
                .create(PendingUpload {
                    key,
                    track_id,
                    expires_at,
                })
                .await?;
            Ok(Response::new(presigned).with_status(StatusCode::CREATED))
        })
        .name("Track Presigned Url")
        .description("A URL that takes one plain PUT of the track's MP3, until it expires.")
        .throttle_scope(crate::policy::UPLOADS)
        // No body: nothing to parse.
        .parsers([])
        .with_state(self.clone())
    }

    /// `POST /api/tracks/{id}/confirm-upload/` with `{"key"}` → the track, its `file` bound.
    pub fn confirm_upload(&self) -> ApiView {
        api_view(|mut req: Request| async move {
            let this = req.state::<Presign>()?;
            let track_id: i64 = req.path("id").map_err(|_| not_found())?;
            let id = track_id.to_string();
            this.tracks.retrieve(&id).await?.ok_or_else(not_found)?;
            let Confirm { key } = req.data().await?;
            let unknown = || ApiError::validation([("key", "Unknown or expired upload key.")]);
            let pending = this.pending.retrieve(&key).await?.ok_or_else(unknown)?;
            if pending.track_id != track_id
                || u64::try_from(pending.expires_at).unwrap_or(0) < now()
            {
                return Err(unknown());
            }
            let meta = this.storage.metadata(&key).await?.ok_or_else(|| {
                ApiError::validation([("key", "Nothing was uploaded with this key.")])
            })?;
            let end = meta.size.min(this.rules.head_bytes() as u64);
            let head = crate::media::read(&*this.storage, &key, Some(0..end)).await?;
            let filename = key.rsplit('/').next().unwrap_or_default();
            if let Err(errors) = this.rules.check(filename, meta.size, &head) {
                // A refused object is removed, so the key cannot be confirmed later.
                this.storage.delete(&key).await?;
                this.pending.destroy(&key).await?;
                return Err(errors.into());
            }
            let url = format!("{}/api/tracks/{track_id}/file/", req.base_url()?);
            let track = bind_file(&this.tracks, &id, url, &key).await?;
            this.pending.destroy(&key).await?;
            Ok(Response::new(track))
        })
        .name("Track Confirm Upload")
        .description("Binds an object uploaded through a presigned URL to the track, once checked.")
        .throttle_scope(crate::policy::UPLOADS)
        .with_state(self.clone())
    }
}

/// `PUT /media-upload/{key}?expires=…&signature=…`: the presigned uploads of a storage that
/// serves its own URLs (the file system). The body is streamed into storage as is, up to `max_size`; a bad or expired
/// signature is a 403, as S3 answers.
pub fn upload_route(router: Router, media: &Media) -> Result<Router, RouteError> {
    if !media.storage.serves_own_urls() {
        return Ok(router);
    }
    let view = api_view(|mut req: Request| async move {
        let media = req.state::<Media>()?;
        let (storage, max) = (&media.storage, media.max_upload_size);
        let key: String = req.path("key")?;
        let query = req.query();
        let expires: u64 = query
            .get("expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(0);
        let signature = query.get("signature").unwrap_or_default().into_owned();
        storage
            .verify_presigned("PUT", &key, expires, &signature)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "permission_denied",
                    format!("Presigned URL refused: {e}."),
                )
            })?;
        let content_type = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let body = req
            .take_body()
            .ok_or_else(|| ApiError::internal("the body was already read"))?;
        // The stream stops past `max`; the flag says that is why the save failed.
        let over = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&over);
        let mut seen = 0u64;
        let limited = body.map(move |chunk| {
            let chunk = chunk.map_err(io::Error::other)?;
            seen += chunk.len() as u64;
            if seen > max {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    "upload too large",
                ));
            }
            Ok(chunk)
        });
        match storage.save(&key, &content_type, Box::pin(limited)).await {
            Ok(_) => Ok(Response::empty(StatusCode::OK)),
            Err(_) if over.load(std::sync::atomic::Ordering::Relaxed) => Err(
                ApiError::payload_too_large(format!("Upload larger than {max} bytes.")),
            ),
            Err(e) => Err(e.into()),
        }
    })
    .name("Presigned Upload")
    .description("Takes the body of a presigned PUT (the app's own signature, checked).")
    // The signature is the credential (a capability URL): nobody logs in to use it.
    .authenticators([])
    .permissions([Arc::new(restframe::permissions::AllowAny) as _])
    .throttle_scope(crate::policy::UPLOADS)
    // The body is the file, streamed to storage as is.
    .parsers([Arc::new(FileUploadParser::new()) as Arc<dyn Parser>])
    .doc(
        Doc::new()
            .summary("PUT a file to a presigned URL")
            .query_schema(
                "expires",
                "When the URL expires (seconds since the Unix epoch).",
                ObjectBuilder::new().schema_type(Type::Integer),
                true,
            )
            .query_schema(
                "signature",
                "The URL's signature.",
                ObjectBuilder::new().schema_type(Type::String),
                true,
            )
            .empty_response(200, "Stored.")
            .errors([403]),
    )
    .with_state(media.clone());
    router.route(
        "/media-upload/{key:[A-Za-z0-9_][A-Za-z0-9_./-]*}",
        "media-upload",
        [(Method::PUT, view)],
    )
}

/// Every `every`, removes the objects of presigned uploads that expired unconfirmed, and their
/// records. Runs until the process ends.
pub fn cleanup(presign: Presign, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&presign).await {
                tracing::warn!(
                    error = e.detail(),
                    internal = e.internal_detail(),
                    "presigned upload cleanup failed"
                );
            }
        }
    })
}

async fn sweep(presign: &Presign) -> Result<(), ApiError> {
    let page = presign
        .pending
        .list(&ListQuery {
            limit: 1000,
            ..ListQuery::default()
        })
        .await?;
    let now = now();
    for p in page
        .items
        .iter()
        .filter(|p| u64::try_from(p.expires_at).unwrap_or(0) < now)
    {
        presign.storage.delete(&p.key).await?;
        presign.pending.destroy(&p.key).await?;
        tracing::info!(key = p.key, "removed an expired, unconfirmed upload");
    }
    Ok(())
}
