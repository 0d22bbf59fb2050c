//! Where uploaded files live: the [`Storage`] trait and its backends. Handlers stream bytes in
//! and out by key; nothing half-written is ever visible under a key.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod db;
mod fs;
#[cfg(feature = "s3")]
mod s3;

use std::fmt;
use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::Stream;

use crate::BoxFuture;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use db::DatabaseStorage;
pub use fs::FileSystemStorage;
#[cfg(feature = "s3")]
pub use s3::{S3Config, S3Storage};

/// A stream of bytes in or out of a storage.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// What a storage knows of one stored object, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type, as given when it was saved.
    pub content_type: String,
    /// A strong validator for `ETag` (the SHA-256 of the bytes, hex, or the object store's
    /// own ETag), without quotes.
    pub etag: String,
    /// When it was last written.
    pub last_modified: SystemTime,
}

/// A URL that lets a client do one thing to one key without credentials, until it expires.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PresignedUrl {
    /// The URL.
    pub url: String,
    /// The method it is good for (`PUT`, `GET`).
    pub method: String,
    /// The key it writes or reads.
    pub key: String,
    /// When it stops working (seconds since the Unix epoch); serialized as RFC 3339 in UTC
    /// (`"2026-12-04T01:23:44Z"`), as every datetime of the API, as DRF does.
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: u64,
}

/// Unix seconds as RFC 3339 in UTC (a time past the year 9999 as the last second of it).
fn rfc3339<S: serde::Serializer>(secs: &u64, s: S) -> Result<S::Ok, S::Error> {
    let at = i64::try_from(*secs)
        .ok()
        .and_then(crate::DateTime::from_unix)
        .or_else(|| "9999-12-31T23:59:59Z".parse().ok());
    match at {
        Some(at) => s.collect_str(&at),
        None => Err(serde::ser::Error::custom("an expiry past the year 9999")),
    }
}

/// Why a storage operation failed.
#[derive(Debug)]
pub enum StorageError {
    /// No object under the key.
    NotFound(String),
    /// The key is not acceptable (empty, absolute, `..`, control characters…).
    InvalidKey(String),
    /// The requested byte range is not inside the object.
    RangeNotSatisfiable {
        /// The object's size.
        size: u64,
    },
    /// The object is larger than the storage takes.
    TooLarge {
        /// The most it takes, in bytes.
        max: u64,
    },
    /// This backend cannot do it (say, presigning without a configured secret).
    Unsupported(&'static str),
    /// The backend failed (I/O, network, database).
    Backend(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::NotFound(k) => write!(f, "no object under {k:?}"),
            StorageError::InvalidKey(k) => write!(f, "invalid storage key {k:?}"),
            StorageError::RangeNotSatisfiable { size } => {
                write!(f, "range not satisfiable (size {size})")
            }
            StorageError::TooLarge { max } => write!(f, "larger than {max} bytes"),
            StorageError::Unsupported(what) => write!(f, "not supported by this storage: {what}"),
            StorageError::Backend(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StorageError {}

impl From<io::Error> for StorageError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            StorageError::NotFound(e.to_string())
        } else {
            StorageError::Backend(e.to_string())
        }
    }
}

impl From<StorageError> for crate::ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(_) => crate::ApiError::not_found("No such file."),
            StorageError::InvalidKey(k) => {
                crate::ApiError::bad_request(format!("Invalid file name {k:?}."))
            }
            StorageError::RangeNotSatisfiable { size } => crate::ApiError::new(
                http::StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "Requested range not satisfiable.",
            )
            .with_header(
                http::header::CONTENT_RANGE,
                http::HeaderValue::from_str(&format!("bytes */{size}"))
                    .unwrap_or(http::HeaderValue::from_static("bytes */*")),
            ),
            StorageError::TooLarge { max } => {
                crate::ApiError::payload_too_large(format!("File larger than {max} bytes."))
            }
            other => crate::ApiError::internal(format!("storage: {other}")),
        }
    }
}

/// A place to keep files: save a stream, open it (whole or a byte range), look at its metadata,
/// delete it, and hand out URLs — public ones and presigned ones that expire.
///
/// Keys are `/`-separated relative paths of safe segments (`tracks/4/so_what.mp3`); see
/// [`check_key`]. Saving is atomic: readers see the old object or the new one, never a part.
pub trait Storage: Send + Sync + 'static {
    /// Stores `data` under `key` with its media type, replacing any object there.
    fn save<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        data: ByteStream,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>>;

    /// Stores an upload under `key` with its media type, as [`save`](Self::save) does. The
    /// default streams the file's bytes into `save`; the file system renames a file the parser
    /// spilled to disk into place instead of copying it.
    ///
    /// ```
    /// use restframe::parsers::{FileUploadParser, ParseContext, Parser};
    /// use restframe::storage::Storage;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("rf-doc-upload-{}", std::process::id()));
    /// let media = restframe::storage::file_system(&dir, "/media/", None);
    /// let ct = mime::TEXT_PLAIN;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("notes.txt");
    /// let mut parsed = FileUploadParser::new().parse_bytes("hello".into(), &ctx).unwrap();
    /// let file = parsed.take_file("file").unwrap();
    /// let meta = media.save_upload("notes/notes.txt", "text/plain", file).await.unwrap();
    /// assert_eq!(meta.size, 5);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # });
    /// ```
    #[cfg(any(feature = "multipart", feature = "upload"))]
    fn save_upload<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        file: crate::parsers::UploadedFile,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>> {
        use crate::upload::UploadedFileExt;
        Box::pin(async move {
            let data = file.into_stream().await?;
            self.save(key, content_type, data).await
        })
    }

    /// The object's metadata, without reading it; `None` when there is none.
    fn metadata<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StorageError>>;

    /// The object's bytes, or those in `range` (end exclusive, within the object).
    fn open<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<ByteStream, StorageError>>;

    /// Deletes the object; `false` when there was none.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StorageError>>;

    /// Whether an object is stored under `key`.
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move { Ok(self.metadata(key).await?.is_some()) })
    }

    /// The URL a client reads the object at (for a file served by the app, a path under its
    /// media route; for an object store, the object's URL).
    fn url(&self, key: &str) -> String;

    /// A URL that accepts one plain `PUT` of the object's bytes until `expires_in` has passed.
    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>>;

    /// A URL that serves the object to a plain `GET` until `expires_in` has passed.
    fn presign_get<'a>(
        &'a self,
        key: &'a str,
        expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>>;

    /// Whether the app is expected to serve this storage's files at its [`url`](Self::url)s
    /// straight from the storage, and to take its presigned `PUT`s (the file system), rather
    /// than another server doing so (an object store). Default `false`.
    fn serves_own_urls(&self) -> bool {
        false
    }

    /// Checks a presigned request the app serves itself ([`serves_own_urls`](
    /// Self::serves_own_urls)): the `signature` over method, key and expiry, and that
    /// `expires_at` (seconds since the Unix epoch) has not passed. The default refuses: an
    /// object store checks its own URLs.
    fn verify_presigned(
        &self,
        method: &str,
        key: &str,
        expires_at: u64,
        signature: &str,
    ) -> Result<(), StorageError> {
        let _ = (method, key, expires_at, signature);
        Err(StorageError::Unsupported(
            "this storage's presigned URLs are checked by its own server",
        ))
    }

    /// Moves the object at `from` to `to`, stored there as `content_type` (whatever `from` was
    /// stored as), replacing any object at `to`; `from` is gone afterwards. Readers of `to` see
    /// the old object or the whole new one, never a part; a failure leaves `from` in place.
    /// [`StorageError::NotFound`] when there is nothing at `from`.
    ///
    /// The default streams `from` into [`save`](Self::save) (one read of one version of the
    /// object, so what lands at `to` is exactly what was read) and then deletes `from`: that is
    /// what an object store does (S3's server-side copy would keep the type the uploader
    /// declared). The file system renames the file instead, atomically.
    ///
    /// ```
    /// use restframe::storage::Storage;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("rf-doc-rename-{}", std::process::id()));
    /// let media = restframe::storage::file_system(&dir, "/media/", None);
    /// let data = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"ID3 fake mp3"))]);
    /// media.save("uploads/x/a.mp3", "text/html", Box::pin(data)).await.unwrap();
    /// let meta = media.rename("uploads/x/a.mp3", "tracks/1/a.mp3", "audio/mpeg").await.unwrap();
    /// assert_eq!((meta.size, meta.content_type.as_str()), (12, "audio/mpeg"));
    /// assert!(!media.exists("uploads/x/a.mp3").await.unwrap());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # });
    /// ```
    fn rename<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>> {
        Box::pin(async move {
            let data = self.open(from, None).await?;
            let meta = self.save(to, content_type, data).await?;
            self.delete(from).await?;
            Ok(meta)
        })
    }

    /// One page of the objects under the folder `prefix` (`"tracks/"`, or `""` for all), in
    /// key order: at most `limit` of them, those after the key `after` (exclusive) when
    /// given. Ask again with the last key of a page for the next one; a short page (fewer
    /// than `limit`) is the last. For a sweep of what the database no longer references, say.
    ///
    /// A listing may not carry every field: S3's has no media type (`content_type` is
    /// empty). On the file system, `last_modified` is the later of the file's modification
    /// and status-change times, so a file renamed into place counts as new. Its temporary
    /// and hidden files are not listed. The default answers
    /// [`StorageError::Unsupported`].
    ///
    /// ```
    /// use restframe::storage::Storage;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("rf-doc-list-{}", std::process::id()));
    /// let media = restframe::storage::file_system(&dir, "/media/", None);
    /// for key in ["tracks/1/a.mp3", "tracks/2/b.mp3", "other/c.txt"] {
    ///     let data = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"x"))]);
    ///     media.save(key, "text/plain", Box::pin(data)).await.unwrap();
    /// }
    /// let first = media.list("tracks/", None, 1).await.unwrap();
    /// assert_eq!(first[0].key, "tracks/1/a.mp3");
    /// let next = media.list("tracks/", Some(&first[0].key), 1).await.unwrap();
    /// assert_eq!(next[0].key, "tracks/2/b.mp3");
    /// assert!(media.list("tracks/", Some("tracks/2/b.mp3"), 1).await.unwrap().is_empty());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # });
    /// ```
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ObjectMeta>, StorageError>> {
        let _ = (prefix, after, limit);
        Box::pin(async { Err(StorageError::Unsupported("listing")) })
    }
}

/// The longest segment (file or folder name) of a storage key, in bytes: 200, which leaves
/// room within the file system's usual 255-byte limit for the names of side and temporary
/// files.
pub const MAX_SEGMENT: usize = 200;

/// Checks a storage key: 1–1024 bytes of `/`-separated segments, each of ASCII letters, digits,
/// `.`, `_` and `-`, not starting with a dot (so no `..`, no hidden files), no empty segment
/// (so no absolute path and no `//`), and at most [`MAX_SEGMENT`] bytes (so every backend,
/// the file system's 255-byte names included, can store it with its side files).
///
/// ```
/// use restframe::storage::check_key;
/// assert!(check_key("tracks/4/so_what.mp3").is_ok());
/// for bad in ["", "/etc/passwd", "a/../b", ".env", "a//b", "a\\b", "naïve.mp3", "a/"] {
///     assert!(check_key(bad).is_err(), "{bad}");
/// }
/// ```
pub fn check_key(key: &str) -> Result<(), StorageError> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg.len() <= MAX_SEGMENT
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidKey(key.to_owned()))
    }
}

/// A [`FileSystemStorage`] behind the [`Storage`] trait, for an app that picks its backend at
/// startup: files under `root`, served at `base_url` + key; with `presign`, a secret and the
/// app's route prefix for presigned `PUT`s ([`FileSystemStorage::with_signing_key`]).
///
/// ```
/// let media = restframe::storage::file_system("./media", "/media/", Some((b"secret", "/media-upload/")));
/// assert!(media.serves_own_urls());
/// assert_eq!(media.url("tracks/1/a.mp3"), "/media/tracks/1/a.mp3");
/// ```
pub fn file_system(
    root: impl Into<std::path::PathBuf>,
    base_url: &str,
    presign: Option<(&[u8], &str)>,
) -> Arc<dyn Storage> {
    let storage = FileSystemStorage::new(root, base_url);
    match presign {
        Some((secret, upload_base)) => Arc::new(storage.with_signing_key(secret, upload_base)),
        None => Arc::new(storage),
    }
}

/// Seconds since the Unix epoch `expires_in` from now.
pub(crate) fn expiry(expires_in: Duration) -> u64 {
    (SystemTime::now() + expires_in)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for PresignedUrl {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let string = |d: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(d))
        };
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A URL that lets a client do one thing to one key without credentials, until \
                 it expires.",
            ))
            .property("url", string("The URL."))
            .required("url")
            .property(
                "method",
                string("The method it is good for (`PUT`, `GET`)."),
            )
            .required("method")
            .property("key", string("The key it writes or reads."))
            .required("key")
            .property(
                "expires_at",
                string("When it stops working (RFC 3339, UTC).").format(Some(
                    utoipa::openapi::schema::SchemaFormat::KnownFormat(
                        utoipa::openapi::schema::KnownFormat::DateTime,
                    ),
                )),
            )
            .required("expires_at")
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for PresignedUrl {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("PresignedUrl")
    }
}
