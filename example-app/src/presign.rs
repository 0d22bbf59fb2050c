//! Presigned uploads that bypass the app: `POST /api/tracks/{id}/presigned-url/` hands out a
//! URL that takes one plain `PUT` of the bytes (the S3 server's own with S3 storage; the app's
//! HMAC-signed `/media-upload/…` with file-system storage), then
//! `POST /api/tracks/{id}/confirm-upload/` with `{"key"}` checks the object and binds it to the
//! track.
//!
//! A grant is good for one upload:
//! - the URL writes a pending key, `uploads/pending/<random>/track.mp3`, that only its pending
//!   record knows and that is never bound itself;
//! - confirm checks the size from the object's metadata before reading a byte (nothing over
//!   `--max-upload-size` is ever read or bound: an S3 presigned `PUT` has no size limit of its
//!   own), claims the record (so a second confirm fails), sniffs the content, and moves the
//!   object to a fresh key `tracks/<id>/<random>.mp3` stored as the sniffed type (never the
//!   type the uploader declared), which it checks again before binding it;
//! - the app's own upload route takes a `PUT` only while the pending record exists and is
//!   unexpired: after confirm, expiry or the track's deletion it answers 403. On S3 such a
//!   `PUT` lands at the pending key, which nothing binds any more (the storage sweep removes it).
//!
//! Objects never confirmed are removed after they expire by [`cleanup`], in batches until none
//! is left, claimed row by row so that several instances never do the same work.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use http::{Method, StatusCode};
use restframe::openapi::Doc;
use restframe::parsers::{FileUploadParser, Parser};
use restframe::sql::{Column, ColumnType, OnDelete, SqlRepository, SqlValue, Table};
use restframe::storage::{PresignedUrl, Storage};
use restframe::validation::FileRules;
use restframe::{
    Action, ApiError, ApiView, ModelViewSet, Repository, Request, Response, RouteError, Router,
    Validate, api_view,
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
        Column::new("key", ColumnType::Text).primary_key(),
        Column::new("track_id", ColumnType::Integer).references(
            <Track as Table>::NAME,
            <Track as Table>::PRIMARY_KEY,
            OnDelete::Cascade,
        ),
        Column::new("expires_at", ColumnType::Integer),
    ];
}

/// Where presigned uploads are written until they are confirmed: a key under it is bound by
/// nothing, and is removed with its pending record (or by the storage sweep, once no record
/// names it).
pub const PENDING_PREFIX: &str = "uploads/pending/";

/// How many expired pending uploads one statement of [`cleanup`] claims.
const CLEANUP_BATCH: i64 = 500;

/// The upload rules' own message for a file over the limit, as a 400 under `file`.
fn too_large(max: u64, size: u64) -> ApiError {
    let message = format!("Ensure this file is no larger than {max} bytes (it is {size}).");
    ApiError::validation([("file", message.as_str())])
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
    max_size: u64,
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
            max_size: media.max_upload_size,
            expiry,
        }
    }

    /// Checks the object under `key`, of `size` bytes, by its first bytes: `Ok(Ok(type))`, the
    /// sniffed media type to store it as, when it passes the upload rules; `Ok(Err(400))`
    /// when it does not; `Err` when storage fails.
    async fn check(
        &self,
        key: &str,
        size: u64,
    ) -> Result<Result<&'static str, ApiError>, ApiError> {
        let end = size.min(self.rules.head_bytes() as u64);
        let head = crate::media::read(&*self.storage, key, Some(0..end)).await?;
        let filename = key.rsplit('/').next().unwrap_or_default();
        if let Err(errors) = self.rules.check(filename, size, &head) {
            return Ok(Err(errors.into()));
        }
        // The rules allow only audio/mpeg, so the sniffed type is that.
        Ok(Ok(
            restframe::image::sniff(&head).unwrap_or("application/octet-stream")
        ))
    }

    /// Removes a pending upload: its record, then its object.
    async fn drop_pending(&self, key: &str) -> Result<(), ApiError> {
        self.pending.destroy(key).await?;
        self.storage.delete(key).await?;
        Ok(())
    }

    /// Whether `key` is a pending upload that can still be written: its record exists and has
    /// not expired.
    async fn is_open(&self, key: &str) -> Result<bool, ApiError> {
        Ok(self
            .pending
            .retrieve(key)
            .await?
            .is_some_and(|p| u64::try_from(p.expires_at).unwrap_or(0) >= now()))
    }

    /// Drops the pending uploads of track `track_id` (records and objects); see
    /// [`crate::uploads::forget_pending`].
    #[cfg(test)]
    pub async fn forget_track(&self, track_id: i64) -> Result<usize, ApiError> {
        crate::uploads::forget_pending(self.pending.database(), &*self.storage, track_id).await
    }

    /// Removes every pending upload expired by now, `CLEANUP_BATCH` at a time until none is
    /// left; how many. Each batch is claimed by one `DELETE … RETURNING` (on PostgreSQL over
    /// `FOR UPDATE SKIP LOCKED` rows, so two instances never claim the same one; SQLite has one
    /// writer), then the objects of the claimed rows are deleted. An object whose delete fails
    /// is left to the storage sweep (no record names it any more).
    pub async fn sweep(&self) -> Result<usize, ApiError> {
        let sql = match self.pending.database().backend_name() {
            "postgres" => {
                "DELETE FROM pending_upload WHERE key IN (SELECT key FROM pending_upload \
                 WHERE expires_at < $1::bigint ORDER BY expires_at LIMIT $2::bigint \
                 FOR UPDATE SKIP LOCKED) RETURNING key"
            }
            _ => {
                "DELETE FROM pending_upload WHERE key IN (SELECT key FROM pending_upload \
                 WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2) RETURNING key"
            }
        };
        let now = i64::try_from(now()).unwrap_or(i64::MAX);
        let mut total = 0;
        loop {
            let rows = self
                .pending
                .database()
                .query(
                    sql,
                    vec![SqlValue::Integer(now), SqlValue::Integer(CLEANUP_BATCH)],
                    &[ColumnType::Text],
                )
                .await?;
            let claimed = rows.len();
            for row in rows {
                let Some(SqlValue::Text(key)) = row.into_iter().next() else {
                    continue;
                };
                match self.storage.delete(&key).await {
                    Ok(_) => tracing::debug!(key, "removed an expired, unconfirmed upload"),
                    Err(e) => tracing::warn!(key, error = %e, "could not remove an expired upload"),
                }
            }
            total += claimed;
            if i64::try_from(claimed).unwrap_or(0) < CLEANUP_BATCH {
                break;
            }
        }
        if total > 0 {
            tracing::info!(removed = total, "removed expired, unconfirmed uploads");
        }
        Ok(total)
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
                            .errors([409])
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
            // The viewset loaded the track before this view (a missing one is its 404).
            let key = format!("{PENDING_PREFIX}{}/track.mp3", random_hex(16)?);
            let mut presigned = this.storage.presign_put(&key, this.expiry).await?;
            // The app's own URLs are paths: make them absolute for the client.
            if presigned.url.starts_with('/') {
                presigned.url = format!("{}{}", req.base_url()?, presigned.url);
            }
            let expires_at = i64::try_from(presigned.expires_at).unwrap_or(i64::MAX);
            let created = this
                .pending
                .create(PendingUpload {
                    key,
                    track_id,
                    expires_at,
                })
                .await;
            if let Err(e) = created {
                // A DELETE of the track won the race (PostgreSQL's foreign key refuses the
                // row): the track is gone, a 404 as for any missing track.
                return Err(match this.tracks.retrieve(&id).await? {
                    None => not_found(),
                    Some(_) => e,
                });
            }
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
            // The viewset loaded the track before this view (a missing one is its 404).
            let Confirm { key } = req.data().await?;
            // A key that names no upload ready to bind conflicts with the stored state (409),
            // as a unique value taken does: the same request may succeed after an upload.
            let unknown = || ApiError::conflict([("key", "Unknown or expired upload key.")]);
            let pending = this.pending.retrieve(&key).await?.ok_or_else(unknown)?;
            if pending.track_id != track_id
                || u64::try_from(pending.expires_at).unwrap_or(0) < now()
            {
                return Err(unknown());
            }
            let nothing = || ApiError::conflict([("key", "Nothing was uploaded with this key.")]);
            let meta = this.storage.metadata(&key).await?.ok_or_else(nothing)?;
            // The size first, from the metadata: an object over the limit is never read.
            if meta.size > this.max_size {
                this.drop_pending(&key).await?;
                return Err(too_large(this.max_size, meta.size));
            }
            let content_type = match this.check(&key, meta.size).await? {
                Ok(content_type) => content_type,
                Err(errors) => {
                    // A refused object is removed, so the key cannot be confirmed later.
                    this.drop_pending(&key).await?;
                    return Err(errors);
                }
            };
            // From the claim to the bind, the work runs in a task of its own: a request timeout
            // (or a client gone) drops this future, and must not cut a claimed upload between
            // its move and its bind (the grant spent, the object unbound: lost).
            let finish = tokio::spawn({
                let (this, key, id) = (Arc::clone(&this), key.clone(), id.clone());
                async move {
                    // The grant ends here: a second confirm finds no record, and the app's own upload
                    // route refuses the URL from now on.
                    if !this.pending.destroy(&key).await? {
                        return Err(unknown());
                    }
                    let stored = format!("tracks/{track_id}/{}.mp3", random_hex(8)?);
                    match this.storage.rename(&key, &stored, content_type).await {
                        Ok(_) => {}
                        Err(restframe::storage::StorageError::NotFound(_)) => return Err(nothing()),
                        Err(e) => return Err(e.into()),
                    }
                    // What is bound is what was checked: a PUT that raced the move is checked here.
                    let size = this.storage.metadata(&stored).await?.map_or(0, |m| m.size);
                    let again = if size > this.max_size {
                        Err(too_large(this.max_size, size))
                    } else {
                        this.check(&stored, size).await?
                    };
                    if let Err(errors) = again.and_then(|t| {
                        if t == content_type {
                            Ok(())
                        } else {
                            Err(ApiError::validation([(
                                "file",
                                "The file changed while it was checked.",
                            )]))
                        }
                    }) {
                        this.storage.delete(&stored).await?;
                        return Err(errors);
                    }
                    bind_file(&this.tracks, &*this.storage, &id, &stored).await
                }
            });
            let mut track = finish
                .await
                .map_err(|e| ApiError::internal(format!("confirming an upload: {e}")))??;
            crate::tracks::show(&req, std::slice::from_mut(&mut track)).await?;
            Ok(Response::new(track))
        })
        .name("Track Confirm Upload")
        .description("Binds an object uploaded through a presigned URL to the track, once checked.")
        .throttle_scope(crate::policy::UPLOADS)
        .with_state(self.clone())
    }
}

/// `PUT /media-upload/{key}?expires=…&signature=…`: the presigned uploads of a storage that
/// serves its own URLs (the file system). Refused with 403, as S3 answers: an expired URL; a
/// signature that does not match this server's key (signed by another instance without a
/// shared `--secret-key`, or altered); a URL whose pending upload is gone (confirmed,
/// withdrawn with its track, or cleaned up). The body is streamed into storage as is, up to
/// the upload limit (413 past it), as opaque bytes: the `Content-Type` the uploader declares is
/// never stored.
pub fn upload_route(router: Router, presign: &Presign) -> Result<Router, RouteError> {
    if !presign.storage.serves_own_urls() {
        return Ok(router);
    }
    let view = api_view(|mut req: Request| async move {
        let presign = req.state::<Presign>()?;
        let (storage, max) = (&presign.storage, presign.max_size);
        let key: String = req.path("key")?;
        let query = req.query();
        let expires: u64 = query
            .get("expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(0);
        let signature = query.get("signature").unwrap_or_default().into_owned();
        let forbidden = |detail: &str| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "permission_denied",
                detail.to_owned(),
            )
        };
        if expires < now() {
            return Err(forbidden("Presigned URL refused: it has expired."));
        }
        if storage
            .verify_presigned("PUT", &key, expires, &signature)
            .is_err()
        {
            return Err(forbidden(
                "Presigned URL refused: its signature does not match this server's key. It was \
                 signed by another instance or with another key (give every instance the same \
                 --secret-key), or it was altered.",
            ));
        }
        if !presign.is_open(&key).await? {
            return Err(forbidden(
                "Presigned URL refused: it was already used, or its upload was withdrawn or \
                 has expired.",
            ));
        }
        // A declared length over the limit is refused before any byte is read.
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(ApiError::payload_too_large(format!(
                "Upload larger than {max} bytes."
            )));
        }
        let body = req
            .take_body()
            .ok_or_else(|| ApiError::internal("the body was already read"))?;
        // The stream stops past `max`, or when the client stalls or goes; the flag says why the
        // save failed.
        let why = Arc::new(std::sync::Mutex::new(None::<ApiError>));
        let flag = Arc::clone(&why);
        let mut seen = 0u64;
        let limited = body.map(move |chunk| {
            let refuse = |error: ApiError, kind: io::ErrorKind| {
                *flag.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
                Err(io::Error::new(kind, "upload refused"))
            };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) if e.is::<restframe::BodyReadTimeout>() => {
                    return refuse(
                        ApiError::new(
                            StatusCode::REQUEST_TIMEOUT,
                            "request_timeout",
                            format!("Request body timed out ({e})."),
                        ),
                        io::ErrorKind::TimedOut,
                    );
                }
                Err(e) => {
                    return refuse(
                        ApiError::bad_request(format!("The upload was interrupted: {e}.")),
                        io::ErrorKind::UnexpectedEof,
                    );
                }
            };
            seen += chunk.len() as u64;
            if seen > max {
                return refuse(
                    ApiError::payload_too_large(format!("Upload larger than {max} bytes.")),
                    io::ErrorKind::FileTooLarge,
                );
            }
            Ok(chunk)
        });
        // Opaque bytes until confirm sniffs them: never the uploader's declared type.
        let saved = storage
            .save(&key, "application/octet-stream", Box::pin(limited))
            .await;
        let refused = why.lock().unwrap_or_else(|p| p.into_inner()).take();
        match (saved, refused) {
            (Ok(_), _) => Ok(Response::empty(StatusCode::OK)),
            (Err(_), Some(refused)) => Err(refused),
            (Err(e), None) => Err(e.into()),
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
    .with_state(presign.clone());
    router.route(
        "/media-upload/{key:[A-Za-z0-9_][A-Za-z0-9_./-]*}",
        "media-upload",
        [(Method::PUT, view)],
    )
}

/// Every `every` (and once at the start), removes every presigned upload that expired
/// unconfirmed — records and objects — with [`Presign::sweep`]. Runs until the process ends.
pub fn cleanup(presign: Presign, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = presign.sweep().await {
                tracing::warn!(
                    error = e.detail(),
                    internal = e.internal_detail(),
                    "presigned upload cleanup failed"
                );
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use restframe::Repository;
    use restframe::sql::SqlRepository;

    use super::{PENDING_PREFIX, PendingUpload, Presign, now};
    use crate::media::{Media, StorageChoice};

    async fn presign(name: &str) -> (Presign, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("ex-presign-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
        let db = restframe::sql::Database::connect(&url).await.unwrap();
        // The tables it needs (not `app::MIGRATIONS`: modules below `app` do not import it).
        db.migrate(&[
            restframe::sql::Migration::same(
                1,
                "catalogue",
                include_str!("../migrations/sqlite/0001_catalogue.sql"),
            ),
            restframe::sql::Migration::same(
                3,
                "pending_upload",
                include_str!("../migrations/sqlite/0003_pending_upload.sql"),
            ),
        ])
        .await
        .unwrap();
        db.query(
            "INSERT INTO track (title, artist_name) VALUES ('a', 'b'), ('c', 'd')",
            vec![],
            &[],
        )
        .await
        .unwrap();
        let choice = StorageChoice::FileSystem {
            root: dir.join("media"),
        };
        let media = Media::open(&choice, b"secret", 1 << 20).unwrap();
        let p = Presign::new(&SqlRepository::new(&db), &media, Duration::from_secs(60));
        (p, dir)
    }

    async fn pending(p: &Presign, n: usize, track_id: i64, expires_at: i64) -> Vec<String> {
        let mut keys = Vec::new();
        for i in 0..n {
            let key = format!("{PENDING_PREFIX}{track_id}-{expires_at}-{i}/track.mp3");
            p.pending
                .create(PendingUpload {
                    key: key.clone(),
                    track_id,
                    expires_at,
                })
                .await
                .unwrap();
            let data = futures_util::stream::iter([Ok(Bytes::from_static(b"ID3"))]);
            p.storage
                .save(&key, "application/octet-stream", Box::pin(data))
                .await
                .unwrap();
            keys.push(key);
        }
        keys
    }

    #[tokio::test]
    async fn sweep_drains_every_expired_upload_in_batches() {
        let (p, dir) = presign("sweep").await;
        let past = i64::try_from(now()).unwrap() - 10;
        let expired = pending(&p, 1100, 1, past).await;
        let live = pending(&p, 2, 1, past + 3600).await;
        assert_eq!(p.sweep().await.unwrap(), 1100);
        for key in &expired {
            assert!(!p.storage.exists(key).await.unwrap(), "{key}");
            assert!(p.pending.retrieve(key).await.unwrap().is_none());
        }
        for key in &live {
            assert!(p.storage.exists(key).await.unwrap());
            assert!(p.is_open(key).await.unwrap());
        }
        assert_eq!(p.sweep().await.unwrap(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn forget_track_drops_its_pending_uploads_only() {
        let (p, dir) = presign("forget").await;
        let later = i64::try_from(now()).unwrap() + 3600;
        let gone = pending(&p, 3, 1, later).await;
        let kept = pending(&p, 1, 2, later).await;
        assert_eq!(p.forget_track(1).await.unwrap(), 3);
        for key in &gone {
            assert!(!p.storage.exists(key).await.unwrap());
            assert!(!p.is_open(key).await.unwrap());
        }
        assert!(p.is_open(&kept[0]).await.unwrap());
        assert_eq!(p.forget_track(1).await.unwrap(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
