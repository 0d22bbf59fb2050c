//! The track upload action (`POST /api/tracks/{id}/upload/{filename}/`, raw body or multipart
//! field `file`) and the file action (`GET /api/tracks/{id}/file/`).

use std::sync::Arc;

use http::Method;
use restframe::openapi::Doc;
use restframe::parsers::{FileUploadParser, MultiPartParser, Parser, ParserLimits};
use restframe::sql::{SqlRepository, SqlValue};
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

/// Records on track `id` its file: the URL clients fetch it at and where it is in storage.
pub async fn bind_file(
    repo: &SqlRepository<Track>,
    id: &str,
    url: String,
    key: &str,
) -> Result<Track, ApiError> {
    repo.set(
        id,
        &[
            ("file", SqlValue::Text(url)),
            ("file_key", SqlValue::Text(key.to_owned())),
        ],
    )
    .await?
    .ok_or_else(not_found)
}

/// `POST /api/tracks/{id}/upload/{filename}/`: an MP3 as the raw body or as the multipart
/// field `file`; checked (extension, size, MPEG content), stored under
/// `tracks/{id}/{filename}`, and recorded on the track, whose `file` becomes the URL of
/// `/api/tracks/{id}/file/`.
pub fn upload(repo: &SqlRepository<Track>, media: &Media) -> ApiView {
    let limits = ParserLimits::default()
        .max_file_bytes(media.max_upload_size)
        .max_parts(8);
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
        let previous = repo.retrieve(&id).await?.ok_or_else(not_found)?.file_key;
        let file = file_field(&mut req).await?;
        // Checked under the name it is stored as, the URL's.
        rules.check_upload_as(&file, &filename).await?;
        // A name already taken gets a unique suffix; the track's previous file goes once
        // the new one is bound.
        let mut key = format!("tracks/{id}/{filename}");
        if media.storage.exists(&key).await? {
            let stem = filename.trim_end_matches(".mp3");
            key = format!("tracks/{id}/{stem}_{}.mp3", crate::random::random_hex(4)?);
        }
        // On the file system, a spilled upload is renamed into place, not copied.
        media.storage.save_upload(&key, "audio/mpeg", file).await?;
        let path = req.uri().path();
        let detail = path.split("/upload/").next().unwrap_or(path);
        let url = format!("{}{detail}/file/", req.base_url()?);
        let track = bind_file(&repo, &id, url, &key).await?;
        if let Some(old) = previous.filter(|old| *old != key) {
            media.storage.delete(&old).await?;
        }
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
        let track = repo.retrieve(&id).await?.ok_or_else(not_found)?;
        let key = track
            .file_key
            .ok_or_else(|| ApiError::not_found("No file has been uploaded for this track."))?;
        restframe::files::serve_file(
            &req,
            &*media.storage,
            &key,
            "private, max-age=0, must-revalidate",
        )
        .await
    })
    .name("Track File")
    .description("The track's MP3.")
    .renderers(file_renderers("audio/mpeg", "mp3"))
    .with_state(repo.clone())
    .with_state(media.clone())
}
