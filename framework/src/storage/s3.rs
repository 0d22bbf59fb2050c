//! [`S3Storage`]: any S3-compatible server (AWS, MinIO, s3s…) through the `object_store`
//! crate — streaming multipart uploads, ranged reads and presigned URLs, with no hand-written
//! SigV4.

use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, ObjectStore, PutMultipartOptions, WriteMultipart,
};
use sha2::{Digest, Sha256};

use super::{ByteStream, ObjectMeta, PresignedUrl, Storage, StorageError, check_key, expiry};
use crate::BoxFuture;

/// Where an [`S3Storage`] keeps its objects and how it signs in.
#[derive(Clone, Debug, Default)]
pub struct S3Config {
    /// The server's URL (`http://127.0.0.1:9000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The bucket.
    pub bucket: String,
    /// The region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted ones
    /// (`bucket.endpoint/key`); what S3-compatible servers usually need.
    pub path_style: bool,
}

/// Objects in an S3 bucket. `save` streams a multipart upload (5 MiB parts, a few in flight),
/// so memory stays flat whatever the size, and aborts it on failure: an object appears whole
/// or not at all. The media type is stored as the object's `Content-Type`; the `ETag` is the
/// server's.
///
/// ```no_run
/// use restframe::storage::{S3Config, S3Storage};
/// let s3 = S3Storage::new(S3Config {
///     endpoint: Some("http://127.0.0.1:9000".into()),
///     bucket: "media".into(),
///     region: "us-east-1".into(),
///     access_key_id: "key".into(),
///     secret_access_key: "secret".into(),
///     path_style: true,
/// })?;
/// # Ok::<(), restframe::storage::StorageError>(())
/// ```
#[derive(Clone)]
pub struct S3Storage {
    store: Arc<AmazonS3>,
    base_url: String,
}

impl std::fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Storage")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn backend(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { path, .. } => StorageError::NotFound(path),
        other => StorageError::Backend(other.to_string()),
    }
}

impl S3Storage {
    /// A client for `config`. An `http://` endpoint is allowed (a local test server), since it
    /// was given explicitly.
    pub fn new(config: S3Config) -> Result<Self, StorageError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_virtual_hosted_style_request(!config.path_style);
        let base_url = match &config.endpoint {
            Some(endpoint) => {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"));
                let endpoint = endpoint.trim_end_matches('/');
                if config.path_style {
                    format!("{endpoint}/{}/", config.bucket)
                } else {
                    format!("{endpoint}/")
                }
            }
            None => format!(
                "https://{}.s3.{}.amazonaws.com/",
                config.bucket, config.region
            ),
        };
        let store = builder.build().map_err(backend)?;
        Ok(Self {
            store: Arc::new(store),
            base_url,
        })
    }

    fn path(key: &str) -> Result<Path, StorageError> {
        check_key(key)?;
        Path::parse(key).map_err(|_| StorageError::InvalidKey(key.to_owned()))
    }

    async fn save_inner(
        &self,
        key: &str,
        content_type: &str,
        mut data: ByteStream,
    ) -> Result<ObjectMeta, StorageError> {
        let path = Self::path(key)?;
        let opts = PutMultipartOptions {
            attributes: Attributes::from_iter([(Attribute::ContentType, content_type.to_owned())]),
            ..Default::default()
        };
        let upload = self
            .store
            .put_multipart_opts(&path, opts)
            .await
            .map_err(backend)?;
        let mut writer = WriteMultipart::new(upload);
        let mut hasher = Sha256::new();
        let streamed: Result<(), StorageError> = async {
            while let Some(chunk) = data.next().await {
                let chunk = chunk?;
                hasher.update(&chunk);
                writer.wait_for_capacity(4).await.map_err(backend)?;
                writer.write(&chunk);
            }
            Ok(())
        }
        .await;
        if let Err(e) = streamed {
            let _ = writer.abort().await;
            return Err(e);
        }
        writer.finish().await.map_err(backend)?;
        self.metadata_inner(key)
            .await?
            .ok_or_else(|| StorageError::Backend(format!("{key} missing right after upload")))
    }

    async fn metadata_inner(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        let path = Self::path(key)?;
        let opts = GetOptions {
            head: true,
            ..Default::default()
        };
        let result = match self.store.get_opts(&path, opts).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(backend(e)),
        };
        let content_type = result
            .attributes
            .get(&Attribute::ContentType)
            .map_or_else(|| "application/octet-stream".to_owned(), |v| v.to_string());
        let meta = result.meta;
        let last_modified = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(meta.last_modified.timestamp()).unwrap_or(0));
        Ok(Some(ObjectMeta {
            key: key.to_owned(),
            size: meta.size,
            content_type,
            etag: meta
                .e_tag
                .unwrap_or_default()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_owned(),
            last_modified,
        }))
    }

    async fn open_inner(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        let path = Self::path(key)?;
        let opts = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self.store.get_opts(&path, opts).await.map_err(backend)?;
        Ok(Box::pin(result.into_stream().map_err(io::Error::other)))
    }

    async fn presign(
        &self,
        method: http::Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<PresignedUrl, StorageError> {
        let path = Self::path(key)?;
        let url = self
            .store
            .signed_url(method.clone(), &path, expires_in)
            .await
            .map_err(backend)?;
        Ok(PresignedUrl {
            url: url.to_string(),
            method: method.to_string(),
            key: key.to_owned(),
            expires_at: expiry(expires_in),
        })
    }
}

impl Storage for S3Storage {
    fn save<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        data: ByteStream,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>> {
        Box::pin(self.save_inner(key, content_type, data))
    }

    fn metadata<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StorageError>> {
        Box::pin(self.metadata_inner(key))
    }

    fn open<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<ByteStream, StorageError>> {
        Box::pin(self.open_inner(key, range))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            let path = Self::path(key)?;
            if self.metadata_inner(key).await?.is_none() {
                return Ok(false);
            }
            self.store.delete(&path).await.map_err(backend)?;
            Ok(true)
        })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ObjectMeta>, StorageError>> {
        Box::pin(async move {
            let folder = prefix.trim_end_matches('/');
            let prefix = if folder.is_empty() {
                None
            } else {
                Some(Self::path(folder)?)
            };
            // S3 lists in key order, a thousand at a time; `after` is its `start-after`.
            let listing = match after {
                Some(after) => {
                    let offset = Path::parse(after)
                        .map_err(|_| StorageError::InvalidKey(after.to_owned()))?;
                    self.store.list_with_offset(prefix.as_ref(), &offset)
                }
                None => self.store.list(prefix.as_ref()),
            };
            listing
                .take(limit)
                .map(|item| {
                    let item = item.map_err(backend)?;
                    Ok(ObjectMeta {
                        key: item.location.to_string(),
                        size: item.size,
                        content_type: String::new(),
                        etag: item.e_tag.unwrap_or_default().trim_matches('"').to_owned(),
                        last_modified: SystemTime::UNIX_EPOCH
                            + Duration::from_secs(
                                u64::try_from(item.last_modified.timestamp()).unwrap_or(0),
                            ),
                    })
                })
                .try_collect()
                .await
        })
    }

    fn url(&self, key: &str) -> String {
        format!("{}{key}", self.base_url)
    }

    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>> {
        Box::pin(self.presign(http::Method::PUT, key, expires_in))
    }

    fn presign_get<'a>(
        &'a self,
        key: &'a str,
        expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>> {
        Box::pin(self.presign(http::Method::GET, key, expires_in))
    }
}
