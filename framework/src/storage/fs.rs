//! [`FileSystemStorage`]: files under a root directory, written to a temporary file in the same
//! directory and renamed into place, with their media type and SHA-256 kept beside them.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{ByteStream, ObjectMeta, PresignedUrl, Storage, StorageError, check_key, expiry};
use crate::BoxFuture;

/// Files on the local file system (the default, `--media-root`).
///
/// `save` streams into a temporary file beside the target (its name starts with a dot, so no
/// key can ever name it), syncs it and renames it over the target: a reader sees the old file
/// or the new one, never a part. The media type and SHA-256 (the strong `ETag`) live in
/// `.meta/` under the root, which keys cannot reach either.
///
/// Presigned URLs are the app's own: with a signing key, [`Storage::presign_put`] gives
/// `{upload_base}{key}?expires=…&signature=…` (HMAC-SHA256), which the app serves and checks
/// with [`FileSystemStorage::verify`].
///
/// ```
/// use restframe::storage::{FileSystemStorage, Storage};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("rf-doc-{}", std::process::id()));
/// let media = FileSystemStorage::new(&dir, "/media/");
/// let data = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"ID3 fake mp3"))]);
/// let meta = media.save("tracks/1/a.mp3", "audio/mpeg", Box::pin(data)).await.unwrap();
/// assert_eq!(meta.size, 12);
/// assert_eq!(media.url("tracks/1/a.mp3"), "/media/tracks/1/a.mp3");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # });
/// ```
#[derive(Clone)]
pub struct FileSystemStorage {
    root: PathBuf,
    base_url: String,
    signing: Option<(Vec<u8>, String)>,
}

impl std::fmt::Debug for FileSystemStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSystemStorage")
            .field("root", &self.root)
            .field("base_url", &self.base_url)
            .field("signing", &self.signing.is_some())
            .finish()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Sidecar {
    content_type: String,
    sha256: String,
    size: u64,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileSystemStorage {
    /// Files under `root` (created on first save), served at `base_url` + key.
    pub fn new(root: impl Into<PathBuf>, base_url: &str) -> Self {
        Self {
            root: root.into(),
            base_url: base_url.to_owned(),
            signing: None,
        }
    }

    /// Enables presigned URLs, signed with `secret`, pointing at `upload_base` + key (a route
    /// of the app that calls [`FileSystemStorage::verify`]).
    pub fn with_signing_key(mut self, secret: &[u8], upload_base: &str) -> Self {
        self.signing = Some((secret.to_vec(), upload_base.to_owned()));
        self
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    fn sidecar(&self, key: &str) -> PathBuf {
        self.root.join(".meta").join(format!("{key}.json"))
    }

    fn signature(
        &self,
        method: &str,
        key: &str,
        expires_at: u64,
    ) -> Result<Hmac<Sha256>, StorageError> {
        let (secret, _) = self.signing.as_ref().ok_or(StorageError::Unsupported(
            "presigned URLs need a signing key",
        ))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        mac.update(format!("{method}\n{key}\n{expires_at}").as_bytes());
        Ok(mac)
    }

    /// Checks a presigned request: the signature (hex) over method, key and expiry, and that
    /// the expiry (seconds since the epoch) has not passed. Compared in constant time.
    pub fn verify(
        &self,
        method: &str,
        key: &str,
        expires_at: u64,
        signature: &str,
    ) -> Result<(), StorageError> {
        check_key(key)?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let given =
            decode_hex(signature).ok_or(StorageError::Unsupported("malformed signature"))?;
        self.signature(method, key, expires_at)?
            .verify_slice(&given)
            .map_err(|_| StorageError::Unsupported("bad signature"))?;
        if now > expires_at {
            return Err(StorageError::Unsupported("expired"));
        }
        Ok(())
    }

    fn presign(
        &self,
        method: &str,
        key: &str,
        expires_in: Duration,
    ) -> Result<PresignedUrl, StorageError> {
        check_key(key)?;
        let expires_at = expiry(expires_in);
        let signature = hex(&self
            .signature(method, key, expires_at)?
            .finalize()
            .into_bytes());
        let base = self.signing.as_ref().map_or("", |(_, b)| b.as_str());
        Ok(PresignedUrl {
            url: format!("{base}{key}?expires={expires_at}&signature={signature}"),
            method: method.to_owned(),
            key: key.to_owned(),
            expires_at,
        })
    }

    async fn save_inner(
        &self,
        key: &str,
        content_type: &str,
        mut data: ByteStream,
    ) -> Result<ObjectMeta, StorageError> {
        let target = self.path(key)?;
        let dir = target
            .parent()
            .ok_or_else(|| StorageError::InvalidKey(key.to_owned()))?
            .to_owned();
        tokio::fs::create_dir_all(&dir).await?;
        let temp = temp_beside(&target);
        let result = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = data.next().await {
                let chunk = chunk?;
                hasher.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.sync_all().await?;
            drop(file);
            let sidecar = Sidecar {
                content_type: content_type.to_owned(),
                sha256: hex(&hasher.finalize()),
                size,
            };
            write_atomically(
                &self.sidecar(key),
                &serde_json::to_vec(&sidecar).map_err(io::Error::other)?,
            )
            .await?;
            tokio::fs::rename(&temp, &target).await?;
            Ok::<_, io::Error>(sidecar)
        }
        .await;
        match result {
            Ok(sidecar) => {
                let last_modified = tokio::fs::metadata(&target).await?.modified()?;
                Ok(ObjectMeta {
                    key: key.to_owned(),
                    size: sidecar.size,
                    content_type: sidecar.content_type,
                    etag: sidecar.sha256,
                    last_modified,
                })
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                Err(e.into())
            }
        }
    }

    /// The rename fast path of [`Storage::save_upload`].
    #[cfg(any(feature = "multipart", feature = "upload"))]
    async fn save_upload_inner(
        &self,
        key: &str,
        content_type: &str,
        file: crate::parsers::UploadedFile,
    ) -> Result<ObjectMeta, StorageError> {
        let target = self.path(key)?;
        let dir = target
            .parent()
            .ok_or_else(|| StorageError::InvalidKey(key.to_owned()))?
            .to_owned();
        tokio::fs::create_dir_all(&dir).await?;
        let sidecar = Sidecar {
            content_type: content_type.to_owned(),
            sha256: file.sha256().to_owned(),
            size: file.size(),
        };
        write_atomically(
            &self.sidecar(key),
            &serde_json::to_vec(&sidecar).map_err(io::Error::other)?,
        )
        .await?;
        let dest = target.clone();
        tokio::task::spawn_blocking(move || file.persist(&dest))
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))??;
        let last_modified = tokio::fs::metadata(&target).await?.modified()?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: sidecar.size,
            content_type: sidecar.content_type,
            etag: sidecar.sha256,
            last_modified,
        })
    }

    async fn metadata_inner(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        let path = self.path(key)?;
        let stat = match tokio::fs::metadata(&path).await {
            Ok(s) if s.is_file() => s,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let sidecar: Option<Sidecar> = match tokio::fs::read(self.sidecar(key)).await {
            Ok(bytes) => serde_json::from_slice(&bytes).ok(),
            Err(_) => None,
        };
        // A file put there by other means: no stored type, an ETag from size and time.
        let modified = stat.modified()?;
        let (content_type, etag) = match sidecar {
            Some(s) if s.size == stat.len() => (s.content_type, s.sha256),
            _ => {
                let nanos = modified
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                (
                    "application/octet-stream".to_owned(),
                    format!("{:x}-{nanos:x}", stat.len()),
                )
            }
        };
        Ok(Some(ObjectMeta {
            key: key.to_owned(),
            size: stat.len(),
            content_type,
            etag,
            last_modified: modified,
        }))
    }

    async fn open_inner(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        let path = self.path(key)?;
        let mut file = tokio::fs::File::open(&path).await?;
        let size = file.metadata().await?.len();
        let range = range.unwrap_or(0..size);
        if range.start > range.end || range.end > size {
            return Err(StorageError::RangeNotSatisfiable { size });
        }
        file.seek(io::SeekFrom::Start(range.start)).await?;
        let reader = file.take(range.end - range.start);
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
            reader,
            64 * 1024,
        )))
    }

    /// [`Storage::rename`] by renaming the file: its new sidecar (the same hash, the new type)
    /// first, then the file over the target, so a reader sees the old object or the new one.
    /// A file without a sidecar (put there by other means) is copied through `save`, which
    /// hashes it.
    async fn rename_inner(
        &self,
        from: &str,
        to: &str,
        content_type: &str,
    ) -> Result<ObjectMeta, StorageError> {
        let source = self.path(from)?;
        let target = self.path(to)?;
        let stat = match tokio::fs::metadata(&source).await {
            Ok(s) if s.is_file() => s,
            Ok(_) => return Err(StorageError::NotFound(from.to_owned())),
            Err(e) => return Err(e.into()),
        };
        let old: Option<Sidecar> = match tokio::fs::read(self.sidecar(from)).await {
            Ok(bytes) => serde_json::from_slice(&bytes).ok(),
            Err(_) => None,
        };
        let Some(old) = old.filter(|s| s.size == stat.len()) else {
            let data = self.open_inner(from, None).await?;
            let meta = self.save_inner(to, content_type, data).await?;
            self.delete_inner(from).await?;
            return Ok(meta);
        };
        let dir = target
            .parent()
            .ok_or_else(|| StorageError::InvalidKey(to.to_owned()))?
            .to_owned();
        tokio::fs::create_dir_all(&dir).await?;
        let sidecar = Sidecar {
            content_type: content_type.to_owned(),
            sha256: old.sha256,
            size: old.size,
        };
        write_atomically(
            &self.sidecar(to),
            &serde_json::to_vec(&sidecar).map_err(io::Error::other)?,
        )
        .await?;
        if let Err(e) = tokio::fs::rename(&source, &target).await {
            let _ = tokio::fs::remove_file(self.sidecar(to)).await;
            return Err(e.into());
        }
        let _ = tokio::fs::remove_file(self.sidecar(from)).await;
        let last_modified = tokio::fs::metadata(&target).await?.modified()?;
        Ok(ObjectMeta {
            key: to.to_owned(),
            size: sidecar.size,
            content_type: sidecar.content_type,
            etag: sidecar.sha256,
            last_modified,
        })
    }

    /// [`Storage::list`]: the files under `root/prefix`, hidden ones (temporary files,
    /// `.meta/`) left out, sorted by key.
    async fn list_inner(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>, StorageError> {
        let folder = prefix.trim_end_matches('/');
        let start = if folder.is_empty() {
            self.root.clone()
        } else {
            self.path(folder)?
        };
        let root = self.root.clone();
        let mut found = tokio::task::spawn_blocking(move || walk(&root, &start))
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))??;
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let mut page = Vec::new();
        for (key, changed) in found {
            if page.len() >= limit {
                break;
            }
            if after.is_some_and(|after| key.as_str() <= after) || check_key(&key).is_err() {
                continue;
            }
            // Gone since the walk: not listed.
            if let Some(mut meta) = self.metadata_inner(&key).await? {
                meta.last_modified = meta.last_modified.max(changed);
                page.push(meta);
            }
        }
        Ok(page)
    }

    async fn delete_inner(&self, key: &str) -> Result<bool, StorageError> {
        let path = self.path(key)?;
        let _ = tokio::fs::remove_file(self.sidecar(key)).await;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl Storage for FileSystemStorage {
    fn save<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        data: ByteStream,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>> {
        Box::pin(self.save_inner(key, content_type, data))
    }

    /// Stores an upload under `key` without reading it again: a file the parser spilled to
    /// disk is renamed into place (copied when the temporary directory is on another file
    /// system), and the SHA-256 the parser computed becomes the `ETag`. The same guarantees as
    /// [`Storage::save`]: the old file or the new one, never a part.
    #[cfg(any(feature = "multipart", feature = "upload"))]
    fn save_upload<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        file: crate::parsers::UploadedFile,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>> {
        Box::pin(self.save_upload_inner(key, content_type, file))
    }

    fn verify_presigned(
        &self,
        method: &str,
        key: &str,
        expires_at: u64,
        signature: &str,
    ) -> Result<(), StorageError> {
        self.verify(method, key, expires_at, signature)
    }

    fn serves_own_urls(&self) -> bool {
        true
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
        Box::pin(self.delete_inner(key))
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ObjectMeta>, StorageError>> {
        Box::pin(self.list_inner(prefix, after, limit))
    }

    fn url(&self, key: &str) -> String {
        format!("{}{key}", self.base_url)
    }

    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>> {
        Box::pin(async move { self.presign("PUT", key, expires_in) })
    }

    fn presign_get<'a>(
        &'a self,
        key: &'a str,
        expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>> {
        Box::pin(async move { self.presign("GET", key, expires_in) })
    }

    /// Renames the file into place (atomic, on the same file system), with its sidecar
    /// rewritten for the new media type; no byte is copied.
    fn rename<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StorageError>> {
        Box::pin(self.rename_inner(from, to, content_type))
    }
}

/// The files under `start` (a missing folder has none), as keys relative to `root` with the
/// later of their modification and status-change times; hidden names (a leading dot) and
/// symbolic links are skipped.
fn walk(root: &Path, start: &Path) -> io::Result<Vec<(String, SystemTime)>> {
    let mut found = Vec::new();
    let mut folders = vec![start.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() {
                let Ok(relative) = path.strip_prefix(root) else {
                    continue;
                };
                let Some(key) = relative.to_str() else {
                    continue;
                };
                let stat = entry.metadata()?;
                found.push((key.replace(std::path::MAIN_SEPARATOR, "/"), changed(&stat)));
            }
        }
    }
    Ok(found)
}

/// When a file last changed: its modification time, or its status-change time when later (a
/// rename into place, on Unix).
fn changed(stat: &std::fs::Metadata) -> SystemTime {
    let modified = stat.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ctime = u64::try_from(stat.ctime()).map_or(SystemTime::UNIX_EPOCH, |secs| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
        });
        modified.max(ctime)
    }
    #[cfg(not(unix))]
    modified
}

/// `.{name}.{pid}-{n}.tmp` in the target's directory: same file system, so the rename is
/// atomic, and a leading dot, so no key names it.
fn temp_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let temp = temp_beside(path);
    let mut file = tokio::fs::File::create(&temp).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&temp, path).await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use futures_util::StreamExt;

    use super::{FileSystemStorage, Storage, StorageError};

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("rf-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    async fn read(
        s: &FileSystemStorage,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stream = s.open(key, range).await.unwrap();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn saves_atomically_and_reads_back_whole_or_in_part() {
        let root = dir("rw");
        let s = FileSystemStorage::new(&root, "/media/");
        let chunks = (0..10).map(|i| Ok(Bytes::from(vec![b'a' + i; 1000])));
        let meta = s
            .save(
                "tracks/1/x.mp3",
                "audio/mpeg",
                Box::pin(futures_util::stream::iter(chunks)),
            )
            .await
            .unwrap();
        assert_eq!(meta.size, 10_000);
        assert_eq!(meta.content_type, "audio/mpeg");
        assert_eq!(meta.etag.len(), 64);
        assert_eq!(
            s.metadata("tracks/1/x.mp3").await.unwrap(),
            Some(meta.clone())
        );
        assert_eq!(read(&s, "tracks/1/x.mp3", None).await.len(), 10_000);
        assert_eq!(read(&s, "tracks/1/x.mp3", Some(999..1001)).await, b"ab");
        assert!(matches!(
            s.open("tracks/1/x.mp3", Some(5..10_001)).await,
            Err(StorageError::RangeNotSatisfiable { size: 10_000 })
        ));
        // Nothing but the file and its sidecar: no temp files left.
        let names: Vec<_> = std::fs::read_dir(root.join("tracks/1"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["x.mp3"]);
        assert!(s.delete("tracks/1/x.mp3").await.unwrap());
        assert!(!s.delete("tracks/1/x.mp3").await.unwrap());
        assert_eq!(s.metadata("tracks/1/x.mp3").await.unwrap(), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn a_failed_upload_leaves_nothing_and_keeps_the_old_file() {
        let root = dir("fail");
        let s = FileSystemStorage::new(&root, "/media/");
        s.save(
            "a.bin",
            "application/octet-stream",
            Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(b"old"))])),
        )
        .await
        .unwrap();
        let broken = futures_util::stream::iter([
            Ok(Bytes::from_static(b"new new new")),
            Err(std::io::Error::other("client went away")),
        ]);
        assert!(
            s.save("a.bin", "application/octet-stream", Box::pin(broken))
                .await
                .is_err()
        );
        assert_eq!(read(&s, "a.bin", None).await, b"old");
        let names: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            names.iter().all(|n| n == "a.bin" || n == ".meta"),
            "{names:?}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn rename_moves_the_file_and_sets_its_type() {
        let root = dir("rename");
        let s = FileSystemStorage::new(&root, "/media/");
        let body = || {
            Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(
                b"ID3 x",
            ))]))
        };
        let saved = s.save("up/a.mp3", "text/html", body()).await.unwrap();
        s.save(
            "tracks/1/b.mp3",
            "audio/mpeg",
            Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(b"old"))])),
        )
        .await
        .unwrap();
        let moved = s
            .rename("up/a.mp3", "tracks/1/b.mp3", "audio/mpeg")
            .await
            .unwrap();
        assert_eq!(moved.content_type, "audio/mpeg");
        assert_eq!(moved.etag, saved.etag);
        assert!(s.metadata("up/a.mp3").await.unwrap().is_none());
        let meta = s.metadata("tracks/1/b.mp3").await.unwrap().unwrap();
        assert_eq!((meta.size, meta.content_type.as_str()), (5, "audio/mpeg"));
        assert_eq!(read(&s, "tracks/1/b.mp3", None).await, b"ID3 x");
        assert!(matches!(
            s.rename("up/a.mp3", "tracks/1/c.mp3", "audio/mpeg").await,
            Err(StorageError::NotFound(_))
        ));
        // A file put there by other means (no sidecar) is copied and hashed.
        std::fs::write(root.join("up/raw.mp3"), b"raw bytes").unwrap();
        let meta = s
            .rename("up/raw.mp3", "tracks/1/raw.mp3", "audio/mpeg")
            .await
            .unwrap();
        assert_eq!((meta.size, meta.content_type.as_str()), (9, "audio/mpeg"));
        assert!(!root.join("up/raw.mp3").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let s = FileSystemStorage::new(dir("keys"), "/media/");
        for key in ["../x", "/etc/passwd", ".meta/a.json", "a/../../b"] {
            assert!(
                matches!(s.metadata(key).await, Err(StorageError::InvalidKey(_))),
                "{key}"
            );
        }
    }

    #[tokio::test]
    async fn presigned_urls_verify_and_expire() {
        let s =
            FileSystemStorage::new(dir("sign"), "/media/").with_signing_key(b"secret", "/upload/");
        let url = s
            .presign_put("tracks/1/a.mp3", Duration::from_secs(60))
            .await
            .unwrap();
        assert!(url.url.starts_with("/upload/tracks/1/a.mp3?expires="));
        let sig = url.url.rsplit_once("signature=").unwrap().1;
        s.verify("PUT", "tracks/1/a.mp3", url.expires_at, sig)
            .unwrap();
        assert!(
            s.verify("GET", "tracks/1/a.mp3", url.expires_at, sig)
                .is_err(),
            "method bound"
        );
        assert!(
            s.verify("PUT", "tracks/1/b.mp3", url.expires_at, sig)
                .is_err(),
            "key bound"
        );
        assert!(
            s.verify("PUT", "tracks/1/a.mp3", url.expires_at + 1, sig)
                .is_err(),
            "expiry bound"
        );
        let past = s.presign_put("k", Duration::ZERO).await.unwrap();
        let past_sig = past.url.rsplit_once("signature=").unwrap().1;
        assert!(
            s.verify("PUT", "k", past.expires_at - 10, past_sig)
                .is_err()
        );
        let unsigned = FileSystemStorage::new(dir("nosign"), "/media/");
        assert!(
            unsigned
                .presign_put("k", Duration::from_secs(1))
                .await
                .is_err()
        );
    }
}
