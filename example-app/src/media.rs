//! Where the app keeps uploaded files, the routes that serve them, and what every file route
//! shares: taking the upload, its renderers and its OpenAPI description.

use std::sync::Arc;

use http::Method;
use restframe::files::serve_file;
use restframe::openapi::Doc;
use restframe::parsers::UploadedFile;
use restframe::renderers::{BinaryRenderer, JsonRenderer, Renderer};
use restframe::storage::{S3Config, S3Storage, Storage, StorageError};
use restframe::{ApiError, Request, RouteError, Router, api_view};

/// Which storage the app uses, from its flags.
#[derive(Clone, Debug)]
pub enum StorageChoice {
    /// Files under a directory, served at `/media/`.
    FileSystem {
        /// The directory.
        root: std::path::PathBuf,
    },
    /// An S3 bucket.
    S3(S3Config),
}

/// The app's storage.
#[derive(Clone)]
pub struct Media {
    /// The storage itself; when it serves its own URLs (the file system), the app serves
    /// `/media/` and `/media-upload/` from it.
    pub storage: Arc<dyn Storage>,
    /// The largest upload, in bytes.
    pub max_upload_size: u64,
    /// Where uploads spill to disk: `.uploads` under the media root with file-system storage
    /// (same file system, so storing is a rename), else `restframe-example-app-spill` in the
    /// system's temporary directory (a folder of the app's own, which the sweep empties of
    /// leftovers without touching other programs' files).
    pub upload_dir: Option<std::path::PathBuf>,
    /// The media root with file-system storage (where the storage's temporary files are, for
    /// the sweep); `None` with S3.
    pub root: Option<std::path::PathBuf>,
}

impl Media {
    /// Opens the storage `choice` names; `secret` signs the app's own presigned URLs.
    pub fn open(
        choice: &StorageChoice,
        secret: &[u8],
        max_upload_size: u64,
    ) -> Result<Self, StorageError> {
        let upload_dir;
        let mut fs_root = None;
        let storage: Arc<dyn Storage> = match choice {
            StorageChoice::FileSystem { root } => {
                std::fs::create_dir_all(root)?;
                // A hidden directory: no storage key can name it.
                let spill = root.join(".uploads");
                std::fs::create_dir_all(&spill)?;
                upload_dir = Some(spill);
                fs_root = Some(root.clone());
                restframe::storage::file_system(root, "/media/", Some((secret, "/media-upload/")))
            }
            StorageChoice::S3(config) => {
                let spill = std::env::temp_dir().join("restframe-example-app-spill");
                std::fs::create_dir_all(&spill)?;
                upload_dir = Some(spill);
                Arc::new(S3Storage::new(config.clone())?)
            }
        };
        Ok(Self {
            storage,
            max_upload_size,
            upload_dir,
            root: fs_root,
        })
    }
}

/// Renderers of a file route: the file's own type, and JSON for errors.
pub fn file_renderers(media_type: &str, format: &str) -> Vec<Arc<dyn Renderer>> {
    let media_type = media_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    vec![
        Arc::new(BinaryRenderer::new(media_type, format)),
        Arc::new(JsonRenderer::new()),
    ]
}

/// The upload in the field `file` (multipart), or the raw body; a 400 on `file` without one.
pub async fn file_field(req: &mut Request) -> Result<UploadedFile, ApiError> {
    req.files()
        .await?
        .into_iter()
        .find(|f| f.field_name() == "file")
        .ok_or_else(|| ApiError::validation([("file", "No file was submitted.")]))
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

/// `/media/{key}`: files of a storage that serves its own URLs (the file system), with
/// caching and ranges.
pub fn routes(router: Router, media: &Media) -> Result<Router, RouteError> {
    if !media.storage.serves_own_urls() {
        return Ok(router);
    }
    let view = api_view(|req: Request| async move {
        let media = req.state::<Media>()?;
        let key: String = req.path("key")?;
        serve_file(&req, &*media.storage, &key, "public, max-age=3600").await
    })
    .name("Media")
    .description("Files of the file-system storage.")
    .doc(file_doc("Download a stored file"))
    .renderers([
        Arc::new(BinaryRenderer::new(mime::STAR_STAR, "file")) as Arc<dyn Renderer>,
        Arc::new(JsonRenderer::new()),
    ])
    .with_state(media.clone());
    router.route(
        "/media/{key:[A-Za-z0-9_][A-Za-z0-9_./-]*}",
        "media",
        [(Method::GET, view)],
    )
}

/// The bytes of `key` (all of them, or `range`), in memory: for small objects and heads.
pub async fn read(
    storage: &dyn Storage,
    key: &str,
    range: Option<std::ops::Range<u64>>,
) -> Result<Vec<u8>, ApiError> {
    use futures_util::TryStreamExt;
    Ok(storage
        .open(key, range)
        .await?
        .try_fold(Vec::new(), |mut acc, chunk| async move {
            acc.extend_from_slice(&chunk);
            Ok(acc)
        })
        .await?)
}

/// Parses a size such as `10485760`, `512KiB`, `10MiB` or `1GiB` (also `KB`, `MB`, `GB` as
/// powers of 1,000).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("not a size: {text:?} (try 10MiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("size too large: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10XB").is_err());
        assert!(parse_size("99999999999GiB").is_err());
    }
}
