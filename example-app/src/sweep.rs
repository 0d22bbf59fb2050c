//! The storage sweep: at startup and then on a timer, removes what a crash, a lost race or a
//! failed delete left behind, once it is older than a grace period:
//!
//! - spill files of interrupted uploads (`.restframe-upload-*`, where the multipart and file
//!   parsers spill: `.uploads/` under the media root, or the app's folder in the system's
//!   temporary directory with S3, [`Media::upload_dir`]);
//! - the file-system storage's temporary files (`.NAME.PID-N.tmp`) and side files of objects
//!   that are gone (`.meta/KEY.json`);
//! - objects under `tracks/`, `uploads/` and `pending/` that no `track.file_key` and no
//!   `pending_upload.key` references, on the file system and on S3 ([`Storage::list`]).
//!
//! Safe with several instances on one database and one storage: nothing younger than the
//! grace period is touched (an upload in progress keeps writing its file, and binds it within
//! moments of storing it), each object is checked against the database just before it goes,
//! and deleting what another instance already deleted is not an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use restframe::sql::{Column, ColumnType, Database, SqlRepository, Table};
use restframe::storage::Storage;
use restframe::{ApiError, ListQuery, Repository};

use crate::media::Media;
use crate::tracks::Track;

/// What the parsers name their spill files (restframe's `TEMP_PREFIX`).
const SPILL_PREFIX: &str = ".restframe-upload-";

/// The storage folders whose objects a row must reference.
const FOLDERS: [&str; 3] = ["tracks/", "uploads/", "pending/"];

/// Objects looked at per page of a listing.
const PAGE: usize = 500;

/// A key a pending presigned upload holds, as far as the sweep goes.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingKey {
    key: String,
}

impl restframe::Validate for PendingKey {}

impl Table for PendingKey {
    type Input = PendingKey;
    type Patch = PendingKey;
    const NAME: &'static str = "pending_upload";
    const PRIMARY_KEY: &'static str = "key";
    const COLUMNS: &'static [Column] = &[Column::new("key", ColumnType::Text)];
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Spill files of uploads that never finished.
    pub spills: usize,
    /// Temporary and orphaned side files of the file-system storage.
    pub temps: usize,
    /// Stored objects no row references.
    pub objects: usize,
}

/// The sweep's settings and handles.
#[derive(Clone)]
pub struct Sweep {
    storage: Arc<dyn Storage>,
    spill_dir: PathBuf,
    root: Option<PathBuf>,
    tracks: SqlRepository<Track>,
    pending: SqlRepository<PendingKey>,
    grace: Duration,
    pending_grace: Duration,
}

impl Sweep {
    /// A sweep of `media`'s storage against `db`, sparing what is younger than `grace`.
    pub fn new(db: &Database, media: &Media, grace: Duration) -> Self {
        Self {
            storage: Arc::clone(&media.storage),
            spill_dir: media.upload_dir.clone().unwrap_or_else(std::env::temp_dir),
            root: media.root.clone(),
            tracks: SqlRepository::new(db),
            pending: SqlRepository::new(db),
            grace,
            pending_grace: grace,
        }
    }

    /// Spares objects under the presigned uploads' folder ([`crate::presign::PENDING_PREFIX`])
    /// for at least `lifetime` (the presigned URLs' lifetime, plus a margin): a confirm claims
    /// the pending record before it moves the object, so for that moment the object is
    /// referenced by nothing, however young its grant, and must not be swept.
    pub fn pending_lifetime(mut self, lifetime: Duration) -> Self {
        self.pending_grace = self.grace.max(lifetime);
        self
    }

    /// Sweeps once: spill files, temporary files, unreferenced objects.
    pub async fn run(&self) -> Result<Swept, ApiError> {
        let cutoff = SystemTime::now()
            .checked_sub(self.grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let spill_dir = self.spill_dir.clone();
        let root = self.root.clone();
        let (spills, temps) = tokio::task::spawn_blocking(move || {
            let spills = remove_spills(&spill_dir, cutoff);
            let temps = root.map_or(0, |root| remove_temps(&root, cutoff));
            (spills, temps)
        })
        .await
        .map_err(|e| ApiError::internal(format!("sweep: {e}")))?;
        let pending_cutoff = SystemTime::now()
            .checked_sub(self.pending_grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut objects = 0;
        for folder in FOLDERS {
            objects += self
                .remove_unreferenced(folder, cutoff, pending_cutoff)
                .await?;
        }
        Ok(Swept {
            spills,
            temps,
            objects,
        })
    }

    /// Deletes the objects under `folder` last changed before `cutoff` (`pending_cutoff` for
    /// presigned uploads) that no row references.
    async fn remove_unreferenced(
        &self,
        folder: &str,
        cutoff: SystemTime,
        pending_cutoff: SystemTime,
    ) -> Result<usize, ApiError> {
        let mut removed = 0;
        let mut after: Option<String> = None;
        loop {
            let page = match self.storage.list(folder, after.as_deref(), PAGE).await {
                Ok(page) => page,
                // A missing bucket folder or an unlistable storage: nothing to sweep.
                Err(restframe::storage::StorageError::Unsupported(_)) => return Ok(removed),
                Err(e) => return Err(e.into()),
            };
            let last = page.len() < PAGE;
            after = page.last().map(|meta| meta.key.clone());
            for meta in page {
                let cutoff = if meta.key.starts_with(crate::presign::PENDING_PREFIX) {
                    pending_cutoff
                } else {
                    cutoff
                };
                if meta.last_modified >= cutoff || self.referenced(&meta.key).await? {
                    continue;
                }
                if self.storage.delete(&meta.key).await? {
                    tracing::info!(key = meta.key, "sweep: removed an unreferenced object");
                    removed += 1;
                }
            }
            if last || after.is_none() {
                return Ok(removed);
            }
        }
    }

    /// Whether a track's `file_key` or a pending upload's `key` is `key`.
    async fn referenced(&self, key: &str) -> Result<bool, ApiError> {
        if self.pending.retrieve(key).await?.is_some() {
            return Ok(true);
        }
        let bound = self
            .tracks
            .list(&ListQuery {
                filters: vec![("file_key".to_owned(), key.to_owned())],
                limit: 1,
                count: restframe::pagination::Count::Off,
                ..ListQuery::default()
            })
            .await?;
        Ok(!bound.items.is_empty())
    }
}

/// Sweeps now and then every `every`, until the process ends; a failed sweep is logged and
/// the next one tries again.
pub fn spawn(sweep: Sweep, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep.run().await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(
                        spills = swept.spills,
                        temps = swept.temps,
                        objects = swept.objects,
                        "storage sweep removed leftovers"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    error = e.detail(),
                    internal = e.internal_detail(),
                    "storage sweep failed"
                ),
            }
        }
    })
}

/// When a file last changed (modification or status change, whichever is later); `None` when
/// it cannot be read.
fn changed(path: &Path) -> Option<SystemTime> {
    let stat = std::fs::symlink_metadata(path).ok()?;
    if !stat.is_file() {
        return None;
    }
    let modified = stat.modified().ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ctime =
            SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(stat.ctime()).unwrap_or(0));
        Some(modified.max(ctime))
    }
    #[cfg(not(unix))]
    Some(modified)
}

/// Removes a file last changed before `cutoff`; whether it did (gone already counts as not).
fn remove_if_old(path: &Path, cutoff: SystemTime) -> bool {
    match changed(path) {
        Some(when) if when < cutoff => match std::fs::remove_file(path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "sweep: removed a leftover file");
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "sweep: cannot remove");
                false
            }
        },
        _ => false,
    }
}

/// The spill files directly in `dir` (restframe's names only: the directory may be the
/// system's, shared with other programs).
fn remove_spills(dir: &Path, cutoff: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(SPILL_PREFIX))
        .filter(|e| remove_if_old(&e.path(), cutoff))
        .count()
}

/// Under the media root: temporary files of interrupted saves (`.NAME.PID-N.tmp`, and spill
/// files the parsers left beside a target), and side files in `.meta/` whose object is gone.
fn remove_temps(root: &Path, cutoff: SystemTime) -> usize {
    let mut removed = 0;
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                folders.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let temporary =
                (name.starts_with('.') && name.ends_with(".tmp")) || name.starts_with(SPILL_PREFIX);
            let leftover = temporary || orphan_sidecar(root, &path);
            if leftover && remove_if_old(&path, cutoff) {
                removed += 1;
            }
        }
    }
    removed
}

/// Whether `path` is a side file (`ROOT/.meta/KEY.json`) whose object `ROOT/KEY` is gone.
fn orphan_sidecar(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root.join(".meta")) else {
        return false;
    };
    let Some(key) = relative.to_str().and_then(|k| k.strip_suffix(".json")) else {
        return false;
    };
    !root.join(key).exists()
}

#[cfg(test)]
mod tests {
    use restframe::sql::Migration;

    use super::*;

    /// Migration 6 turns the absolute URLs stored before it into the file action's path.
    #[tokio::test]
    async fn stored_absolute_urls_become_paths() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let before: Vec<Migration> = crate::app::MIGRATIONS
            .iter()
            .filter(|m| m.version < 6)
            .copied()
            .collect();
        db.migrate(&before).await.unwrap();
        db.migrate(&[Migration::same(
            55,
            "rows of an older version",
            "INSERT INTO track (id, title, artist_name, file, file_key) VALUES \
             (4, 'So What', 'Miles Davis', 'http://downloads.evil.example/api/tracks/4/file/', \
              'tracks/4/so_what.mp3'), (5, 'Blue', 'Miles Davis', NULL, NULL)",
        )])
        .await
        .unwrap();
        db.migrate(crate::app::MIGRATIONS).await.unwrap();
        let tracks = SqlRepository::<Track>::new(&db);
        let json = |t: Track| serde_json::to_value(t).unwrap();
        let four = json(tracks.retrieve("4").await.unwrap().unwrap());
        assert_eq!(four["file"], "/api/tracks/4/file/");
        let five = json(tracks.retrieve("5").await.unwrap().unwrap());
        assert_eq!(five["file"], serde_json::Value::Null);
    }

    #[test]
    fn removes_only_old_leftovers_of_its_own_names() {
        let root = std::env::temp_dir().join(format!("sweep-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("tracks/1")).unwrap();
        std::fs::create_dir_all(root.join(".meta/tracks/1")).unwrap();
        std::fs::create_dir_all(root.join(".uploads")).unwrap();
        for f in [
            "tracks/1/.a.mp3.1-2.tmp",
            "tracks/1/kept.mp3",
            ".meta/tracks/1/kept.mp3.json",
            ".meta/tracks/1/gone.mp3.json",
            ".uploads/.restframe-upload-x1",
            ".uploads/other",
        ] {
            std::fs::write(root.join(f), b"x").unwrap();
        }
        // Nothing is old enough yet.
        let past = SystemTime::now() - Duration::from_secs(3600);
        assert_eq!(remove_temps(&root, past), 0);
        let future = SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(remove_spills(&root.join(".uploads"), future), 1);
        assert_eq!(remove_temps(&root, future), 2);
        for (f, there) in [
            ("tracks/1/.a.mp3.1-2.tmp", false),
            ("tracks/1/kept.mp3", true),
            (".meta/tracks/1/kept.mp3.json", true),
            (".meta/tracks/1/gone.mp3.json", false),
            (".uploads/.restframe-upload-x1", false),
            (".uploads/other", true),
        ] {
            assert_eq!(root.join(f).exists(), there, "{f}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
