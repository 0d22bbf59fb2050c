//! The track upload action (`POST /api/tracks/{id}/upload/{filename}/`, raw body or multipart
//! field `file`) and the file action (`GET /api/tracks/{id}/file/`).

use std::sync::Arc;

use http::{Method, StatusCode};
use restframe::openapi::Doc;
use restframe::parsers::{FileUploadParser, MultiPartParser, Parser, ParserLimits};
use restframe::sql::{ColumnType, Database, SqlRepository, SqlValue};
use restframe::storage::Storage;
use restframe::validation::FileRules;
use restframe::{Action, ApiError, ApiView, ModelViewSet, Repository, Request, Response, api_view};

use crate::media::{Media, file_doc, file_field, file_renderers};
use crate::tracks::Track;

/// A 404 for a track that does not exist.
pub fn not_found() -> ApiError {
    ApiError::not_found("No such object.")
}

/// What a track's file must be: an `.mp3` of MPEG audio, at most `max_size` bytes.
pub fn mp3_rules(max_size: u64) -> FileRules {
    FileRules::new("file")
        .extensions(&["mp3"])
        .max_size(max_size)
        .media_types(&["audio/mpeg"])
}

/// The track viewset's file actions: upload and file (the presigned flow adds its own,
/// `Presign::actions` in the presign module).
pub fn actions(
    viewset: ModelViewSet<SqlRepository<Track>>,
    repo: &SqlRepository<Track>,
    media: &Media,
) -> ModelViewSet<SqlRepository<Track>> {
    viewset
        .action(
            Action::detail("upload/{filename:[A-Za-z0-9_]+\\.mp3}", "upload")
                .method(Method::POST, upload(repo, media))
                .extend_schema(
                    Method::POST,
                    Doc::new()
                        .summary("Upload the track's MP3")
                        .file_field("file")
                        .response::<Track>(200, "The track, its `file` the URL of the upload."),
                ),
        )
        .action(
            Action::detail("file", "file")
                .method(Method::GET, file(repo, media))
                .extend_schema(Method::GET, file_doc("Download the track's MP3")),
        )
}

/// The longest upload name the app stores, in bytes (stem and extension); longer ones are a
/// 400 on `file`, as DRF's `FileField(max_length=…)` answers.
pub const MAX_NAME: usize = 100;

/// What a track's `file` holds: the path of its file action, relative, so no request's `Host`
/// ever ends up in stored data; each response makes it absolute for its own request
/// ([`Track::absolute`]).
pub fn file_path(id: &str) -> String {
    format!("/api/tracks/{id}/file/")
}

/// A 400 on `file` when the name is longer than [`MAX_NAME`] (never a 500 "File name too
/// long" from the file system).
pub fn check_name(filename: &str) -> Result<(), ApiError> {
    let length = filename.chars().count();
    if filename.len() > MAX_NAME {
        let message =
            format!("Ensure this filename has at most {MAX_NAME} characters (it has {length}).");
        return Err(ApiError::validation([("file", message.as_str())]));
    }
    Ok(())
}

/// A storage key no other upload has: `tracks/{id}/{stem}_{random}.mp3`, so concurrent
/// uploads to one track never write over each other and the bound file is never replaced in
/// place.
pub fn unique_key(id: &str, filename: &str) -> Result<String, ApiError> {
    let stem = filename.strip_suffix(".mp3").unwrap_or(filename);
    Ok(format!(
        "tracks/{id}/{stem}_{}.mp3",
        crate::random::random_hex(8)?
    ))
}

/// Binds the stored object `key` to track `id` as its file and returns the track (its `file`
/// the stored path: [`Track::absolute`] makes it a URL for a request).
///
/// The track's previous file is read and replaced atomically (a compare-and-swap on
/// `file_key`, retried when another upload got there first), and deleted only once the new
/// one is bound: the bound file is always readable, and of concurrent uploads each replaced
/// file is deleted by exactly the upload that replaced it, so one file is left. When the
/// track is gone (a DELETE won the race) the just-stored object is deleted and the answer is
/// a 404, so nothing is left unbound.
pub async fn bind_file(
    repo: &SqlRepository<Track>,
    storage: &dyn Storage,
    id: &str,
    key: &str,
) -> Result<Track, ApiError> {
    let path = file_path(id);
    for _ in 0..1000 {
        let Some(current) = repo.retrieve(id).await? else {
            forget_object(storage, key).await;
            return Err(not_found());
        };
        let old = current.file_key;
        let guard = old.clone().map_or(SqlValue::Null, SqlValue::Text);
        let values = [
            ("file", SqlValue::Text(path.clone())),
            ("file_key", SqlValue::Text(key.to_owned())),
        ];
        let bound = match repo.set_if(id, ("file_key", guard), &values).await {
            Ok(bound) => bound,
            Err(e) => {
                forget_object(storage, key).await;
                return Err(e);
            }
        };
        if let Some(track) = bound {
            if let Some(old) = old.filter(|old| old != key) {
                forget_object(storage, &old).await;
            }
            return Ok(track);
        }
    }
    forget_object(storage, key).await;
    Err(ApiError::internal("binding a file: too much contention"))
}

/// Deletes an object no row references any more; a failure is logged (the sweep removes it
/// later).
pub async fn forget_object(storage: &dyn Storage, key: &str) {
    if let Err(e) = storage.delete(key).await {
        tracing::warn!(key, error = %e, "could not delete an unreferenced object (the sweep will)");
    }
}

/// The tracks' repository: a DELETE also deletes the track's pending presigned uploads and,
/// once the row is gone, its file.
pub fn repository(db: &Database, media: &Media) -> SqlRepository<Track> {
    let storage = Arc::clone(&media.storage);
    SqlRepository::<Track>::new(db).destroy_with(move |rows, id| {
        let storage = Arc::clone(&storage);
        Box::pin(async move {
            // Before the row: its pending uploads' rows go with it (ON DELETE CASCADE).
            if let Ok(track_id) = id.parse::<i64>() {
                forget_pending(rows.database(), &*storage, track_id).await?;
            }
            // The key is read in the DELETE itself, so an upload bound meanwhile is either
            // seen here or finds the row gone and deletes its own object.
            let Some(track) = rows.take(&id).await? else {
                return Ok(false);
            };
            if let Some(key) = track.file_key {
                forget_object(&*storage, &key).await;
            }
            Ok(true)
        })
    })
}

/// Drops the pending uploads of track `track_id` (records and objects), so that none of its
/// presigned URLs can be used or confirmed any more; how many there were. The track's destroy
/// calls it before the row goes (the records would go with it, by the foreign key, but their
/// objects would stay until the storage sweep).
pub async fn forget_pending(
    db: &Database,
    storage: &dyn Storage,
    track_id: i64,
) -> Result<usize, ApiError> {
    let sql = match db.backend_name() {
        "postgres" => "DELETE FROM pending_upload WHERE track_id = $1::bigint RETURNING key",
        _ => "DELETE FROM pending_upload WHERE track_id = ?1 RETURNING key",
    };
    let keys = db
        .query(sql, vec![SqlValue::Integer(track_id)], &[ColumnType::Text])
        .await?;
    let n = keys.len();
    for row in keys {
        if let Some(SqlValue::Text(key)) = row.into_iter().next() {
            forget_object(storage, &key).await;
        }
    }
    Ok(n)
}

/// `POST /api/tracks/{id}/upload/{filename}/`: an MP3 as the raw body or as the multipart
/// field `file`; checked (name length, extension, size, MPEG content), stored under a key
/// of its own (`tracks/{id}/{stem}_{random}.mp3`), and bound to the track ([`bind_file`]),
/// whose `file` becomes the URL of `/api/tracks/{id}/file/`.
pub fn upload(repo: &SqlRepository<Track>, media: &Media) -> ApiView {
    let limits = ParserLimits::default()
        .max_file_bytes(media.max_upload_size)
        // The file and one text field at most, and little text: a declared Content-Length
        // past about twice `max_upload_size` (two parts, each as large as a file may be) is a
        // 413 before any byte is read.
        .max_parts(2)
        .max_body_bytes(16 << 10);
    let parsers: [Arc<dyn Parser>; 2] = [
        Arc::new(MultiPartParser::new()),
        Arc::new(FileUploadParser::new()),
    ];
    let view = api_view(|mut req: Request| async move {
        let repo = req.state::<SqlRepository<Track>>()?;
        let media = req.state::<Media>()?;
        let rules = req.state::<FileRules>()?;
        let id = req.path::<i64>("id").map_err(|_| not_found())?.to_string();
        let filename: String = req.path("filename")?;
        check_name(&filename)?;
        // The viewset loaded the track before this view (a missing one is its 404).
        let file = file_field(&mut req).await?;
        // Checked under the name it is stored as, the URL's.
        rules.check_upload_as(&file, &filename).await?;
        let key = unique_key(&id, &filename)?;
        // On the file system, a spilled upload is renamed into place, not copied.
        media.storage.save_upload(&key, "audio/mpeg", file).await?;
        let mut track = bind_file(&repo, &*media.storage, &id, &key).await?;
        crate::tracks::show(&req, std::slice::from_mut(&mut track)).await?;
        Ok(Response::new(track))
    })
    .name("Track Upload")
    .description("Uploads the track's MP3: the raw body, or the multipart field `file`.")
    .throttle_scope(crate::policy::UPLOADS)
    .parsers(parsers)
    .limits(limits)
    .with_state(repo.clone())
    .with_state(media.clone())
    .with_state(mp3_rules(media.max_upload_size));
    match &media.upload_dir {
        Some(dir) => view.upload_dir(dir),
        None => view,
    }
}

/// `GET /api/tracks/{id}/file/`: the uploaded MP3, with caching and ranges.
pub fn file(repo: &SqlRepository<Track>, media: &Media) -> ApiView {
    api_view(|req: Request| async move {
        let repo = req.state::<SqlRepository<Track>>()?;
        let media = req.state::<Media>()?;
        let id = req.path::<i64>("id").map_err(|_| not_found())?.to_string();
        let mut tries = 0;
        loop {
            let track = repo.retrieve(&id).await?.ok_or_else(not_found)?;
            let key = track
                .file_key
                .ok_or_else(|| ApiError::not_found("No file has been uploaded for this track."))?;
            let served = restframe::files::serve_file(
                &req,
                &*media.storage,
                &key,
                "private, max-age=0, must-revalidate",
            )
            .await;
            // A new upload replaced the file between the row and the read: serve the new one.
            match served {
                Err(e) if e.status() == StatusCode::NOT_FOUND && tries < 10 => tries += 1,
                other => return other,
            }
        }
    })
    .name("Track File")
    .description("The track's MP3.")
    .renderers(file_renderers("audio/mpeg", "mp3"))
    .with_state(repo.clone())
    .with_state(media.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_names_are_a_400_on_file() {
        assert!(super::check_name(&format!("{}.mp3", "a".repeat(96))).is_ok());
        let e = super::check_name(&format!("{}.mp3", "a".repeat(97))).unwrap_err();
        assert_eq!(e.status(), http::StatusCode::BAD_REQUEST);
    }
}
