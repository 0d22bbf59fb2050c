//! The track upload action (`POST /api/tracks/{id}/upload/{filename}/`, raw body or multipart
//! field `file`) and the file action (`GET /api/tracks/{id}/file/`).

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use restframe::file_validators::{FileRules, SNIFF_BYTES};
use restframe::openapi::Doc;
use restframe::parsers::{FileUploadParser, MultiPartParser, Parser, ParserLimits, UploadedFile};
use restframe::sql::{SqlRepository, SqlValue};
use restframe::storage::{ByteStream, PresignedUrl};
use restframe::{
    Action, ApiError, ApiSettings, ApiView, ModelViewSet, Repository, Request, Response, api_view,
};
use tokio::io::AsyncReadExt;

use crate::media::{Media, file_renderers};
use crate::presign::Presign;
use crate::tracks::Track;

fn not_found() -> ApiError {
    ApiError::not_found("No such object.")
}

/// The first bytes of an upload, to sniff its type.
async fn head(file: &UploadedFile) -> Result<Vec<u8>, ApiError> {
    if let Some(bytes) = file.bytes() {
        return Ok(bytes[..bytes.len().min(SNIFF_BYTES)].to_vec());
    }
    let path = file
        .path()
        .ok_or_else(|| ApiError::internal("upload neither in memory nor on disk"))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    tokio::fs::File::open(path)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(head)
}

/// The upload's bytes as a stream for a storage.
async fn stream(file: &UploadedFile) -> Result<ByteStream, ApiError> {
    if let Some(bytes) = file.bytes() {
        let bytes: Bytes = bytes.clone();
        return Ok(Box::pin(futures_util::stream::once(
            async move { Ok(bytes) },
        )));
    }
    let path = file
        .path()
        .ok_or_else(|| ApiError::internal("upload neither in memory nor on disk"))?;
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
        f,
        256 * 1024,
    )))
}

/// What a track's file must be: an `.mp3` of MPEG audio, at most `max_size` bytes.
pub fn mp3_rules(max_size: u64) -> FileRules {
    FileRules::new("file")
        .extensions(&["mp3"])
        .max_size(max_size)
        .media_types(&["audio/mpeg"])
}

/// The track viewset's file actions: upload, file, presigned-url and confirm-upload.
pub fn actions(
    viewset: ModelViewSet<SqlRepository<Track>>,
    repo: &SqlRepository<Track>,
    media: &Media,
    presign: &Presign,
    settings: &ApiSettings,
) -> ModelViewSet<SqlRepository<Track>> {
    viewset
        .action(
            Action::detail("upload/{filename:[A-Za-z0-9_]+\\.mp3}", "upload")
                .method(Method::POST, upload(repo, media, settings))
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
        .action(
            Action::detail("presigned-url", "presigned-url")
                .method(Method::POST, presign.presigned_url(settings))
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
                .method(Method::POST, presign.confirm_upload(settings))
                .extend_schema(
                    Method::POST,
                    Doc::new()
                        .summary("Bind a presigned upload to the track")
                        .request::<crate::presign::Confirm>()
                        .response::<Track>(200, "The track, its `file` the URL of the upload."),
                ),
        )
}

/// The upload in the field `file` (multipart), or the raw body; a 400 on `file` without one.
pub async fn file_field(req: &mut Request) -> Result<UploadedFile, ApiError> {
    req.files()
        .await?
        .into_iter()
        .find(|f| f.field_name() == "file")
        .ok_or_else(|| ApiError::validation([("file", "No file was submitted.")]))
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

/// What a file route answers, for the OpenAPI document: the bytes with their validators, a
/// range of them, or not modified.
pub fn file_doc(summary: &str) -> Doc {
    Doc::new()
        .summary(summary)
        .binary_response(200, "The file.")
        .response_header(200, "ETag", "The file's strong validator.")
        .response_header(200, "Last-Modified", "When the file was stored.")
        .response_header(
            200,
            "Accept-Ranges",
            "`bytes`: a `Range` gets part of the file.",
        )
        .binary_response(206, "The requested range of the file (`Range`).")
        .response_header(206, "Content-Range", "Which bytes of the whole.")
        .empty_response(
            304,
            "Not modified since the validators given (`If-None-Match`, `If-Modified-Since`).",
        )
        .errors([404, 416])
}

/// `POST /api/tracks/{id}/upload/{filename}/`: an MP3 as the raw body or as the multipart
/// field `file`; checked (extension, size, MPEG content), stored under
/// `tracks/{id}/{filename}`, and recorded on the track, whose `file` becomes the URL of
/// `/api/tracks/{id}/file/`.
pub fn upload(repo: &SqlRepository<Track>, media: &Media, settings: &ApiSettings) -> ApiView {
    let repo = repo.clone();
    let storage = Arc::clone(&media.storage);
    let fs = media.fs.clone();
    let rules = mp3_rules(media.max_upload_size);
    let limits = ParserLimits::default()
        .max_file_bytes(media.max_upload_size)
        .max_parts(8);
    let parsers: [Arc<dyn Parser>; 2] = [
        Arc::new(MultiPartParser::new()),
        Arc::new(FileUploadParser::new()),
    ];
    let view = api_view(move |mut req: Request| {
        let (repo, storage, rules) = (repo.clone(), Arc::clone(&storage), rules.clone());
        let fs = fs.clone();
        async move {
            let id = req.path_param("id").unwrap_or_default().to_owned();
            let filename = req.path_param("filename").unwrap_or_default().to_owned();
            let previous = repo.retrieve(&id).await?.ok_or_else(not_found)?.file_key;
            let file = file_field(&mut req).await?;
            rules.check(&filename, file.size(), &head(&file).await?)?;
            // A name already taken gets a unique suffix; the track's previous file goes once
            // the new one is bound.
            let mut key = format!("tracks/{id}/{filename}");
            if storage.exists(&key).await? {
                let stem = filename.trim_end_matches(".mp3");
                key = format!("tracks/{id}/{stem}_{}.mp3", crate::presign::random_hex(4)?);
            }
            match &fs {
                // On the file system, a spilled upload is renamed into place, not copied.
                Some(fs) => {
                    fs.save_upload(&key, "audio/mpeg", file).await?;
                }
                None => {
                    storage
                        .save(&key, "audio/mpeg", stream(&file).await?)
                        .await?;
                }
            }
            let path = req.uri().path();
            let detail = path.split("/upload/").next().unwrap_or(path);
            let url = format!("{}{detail}/file/", req.base_url()?);
            let track = bind_file(&repo, &id, url, &key).await?;
            if let Some(old) = previous.filter(|old| *old != key) {
                storage.delete(&old).await?;
            }
            Ok(Response::new(track))
        }
    })
    .name("Track Upload")
    .description("Uploads the track's MP3: the raw body, or the multipart field `file`.")
    .settings(settings)
    .parsers(parsers)
    .limits(limits);
    match &media.upload_dir {
        Some(dir) => view.upload_dir(dir),
        None => view,
    }
}

/// `GET /api/tracks/{id}/file/`: the uploaded MP3, with caching and ranges.
pub fn file(repo: &SqlRepository<Track>, media: &Media) -> ApiView {
    let repo = repo.clone();
    let storage = Arc::clone(&media.storage);
    api_view(move |req: Request| {
        let (repo, storage) = (repo.clone(), Arc::clone(&storage));
        async move {
            let id = req.path_param("id").unwrap_or_default().to_owned();
            let track = repo.retrieve(&id).await?.ok_or_else(not_found)?;
            let key = track
                .file_key
                .ok_or_else(|| ApiError::not_found("No file has been uploaded for this track."))?;
            restframe::files::serve_file(
                &req,
                &*storage,
                &key,
                "private, max-age=0, must-revalidate",
            )
            .await
        }
    })
    .name("Track File")
    .description("The track's MP3.")
    .renderers(file_renderers("audio/mpeg", "mp3"))
}
