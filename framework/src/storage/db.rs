//! [`DatabaseStorage`]: small files (profile pictures) as blobs in a table of their own, in
//! SQLite or PostgreSQL, keyed by their owner so that they go when the owner goes.

use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{ByteStream, ObjectMeta, PresignedUrl, Storage, StorageError};
use crate::BoxFuture;
use crate::sql::{Column, ColumnType, Database, SqlValue};

/// Blobs in a table with these columns (names fixed, key column named by you):
///
/// | column | SQLite | PostgreSQL |
/// |---|---|---|
/// | the key (e.g. `user_id`, a foreign key `ON DELETE CASCADE` to the owner) | `INTEGER PRIMARY KEY` | `BIGINT PRIMARY KEY` |
/// | `content_type` | `TEXT NOT NULL` | `TEXT NOT NULL` |
/// | `size` | `INTEGER NOT NULL` | `BIGINT NOT NULL` |
/// | `sha256` | `TEXT NOT NULL` | `TEXT NOT NULL` |
/// | `last_updated` (Unix milliseconds) | `INTEGER NOT NULL` | `BIGINT NOT NULL` |
/// | `data` | `BLOB NOT NULL` | `BYTEA NOT NULL` |
///
/// Metadata queries (`metadata`, and so `ETag`/`Last-Modified`/304 answers) never read the
/// `data` column. `save` reads the stream into memory up to `max_size` (these are small files)
/// and writes the row in one statement, so a reader sees the old blob or the new one.
///
/// ```
/// use restframe::sql::Database;
/// use restframe::storage::{DatabaseStorage, Storage};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let db = Database::connect("sqlite::memory:").await.unwrap();
/// db.migrate(&[restframe::sql::Migration::same(1, "picture",
///     "CREATE TABLE picture (user_id INTEGER PRIMARY KEY, content_type TEXT NOT NULL,
///      size INTEGER NOT NULL, sha256 TEXT NOT NULL, last_updated INTEGER NOT NULL,
///      data BLOB NOT NULL)")]).await.unwrap();
/// let pictures = DatabaseStorage::new(&db, "picture", "user_id", "/api/users/{key}/picture/", 1 << 20);
/// let png = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"\x89PNG..."))]);
/// let meta = pictures.save("4", "image/png", Box::pin(png)).await.unwrap();
/// assert_eq!((meta.size, pictures.url("4")), (7, "/api/users/4/picture/".to_owned()));
/// # });
/// ```
#[derive(Clone)]
pub struct DatabaseStorage {
    db: Database,
    sql: Arc<Sql>,
    url_template: String,
    max_size: u64,
}

struct Sql {
    list: Arc<str>,
    upsert: Arc<str>,
    metadata: Arc<str>,
    data: Arc<str>,
    delete: Arc<str>,
}

const META_TYPES: [ColumnType; 4] = [
    ColumnType::Text,
    ColumnType::Integer,
    ColumnType::Text,
    ColumnType::Integer,
];

impl std::fmt::Debug for DatabaseStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseStorage")
            .field("url_template", &self.url_template)
            .field("max_size", &self.max_size)
            .finish_non_exhaustive()
    }
}

impl DatabaseStorage {
    /// Blobs in `table` keyed by the integer column `key_column`, read at `url_template`
    /// (`{key}` replaced by the key), at most `max_size` bytes each. `table` and `key_column`
    /// are identifiers from code, never from input.
    pub fn new(
        db: &Database,
        table: &str,
        key_column: &str,
        url_template: &str,
        max_size: u64,
    ) -> Self {
        let q = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let (t, k) = (q(table), q(key_column));
        let p = |n, ty| db.placeholder(n, ty);
        let sql = Sql {
            list: format!(
                "SELECT {k}, content_type, size, sha256, last_updated FROM {t} WHERE {k} > {} \
                 ORDER BY {k} LIMIT {}",
                p(1, ColumnType::Integer),
                p(2, ColumnType::Integer),
            )
            .into(),
            upsert: format!(
                "INSERT INTO {t} ({k}, content_type, size, sha256, last_updated, data) \
                 VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT ({k}) DO UPDATE SET \
                 content_type = excluded.content_type, size = excluded.size, \
                 sha256 = excluded.sha256, last_updated = excluded.last_updated, \
                 data = excluded.data",
                p(1, ColumnType::Integer),
                p(2, ColumnType::Text),
                p(3, ColumnType::Integer),
                p(4, ColumnType::Text),
                p(5, ColumnType::Integer),
                p(6, ColumnType::Blob),
            )
            .into(),
            metadata: format!(
                "SELECT content_type, size, sha256, last_updated FROM {t} WHERE {k} = {}",
                p(1, ColumnType::Integer)
            )
            .into(),
            data: format!(
                "SELECT data FROM {t} WHERE {k} = {}",
                p(1, ColumnType::Integer)
            )
            .into(),
            delete: format!("DELETE FROM {t} WHERE {k} = {}", p(1, ColumnType::Integer)).into(),
        };
        Self {
            db: db.clone(),
            sql: Arc::new(sql),
            url_template: url_template.to_owned(),
            max_size,
        }
    }

    /// The table's columns, after `key` (an integer column, as a rule a primary key that
    /// references the owner `ON DELETE CASCADE`): for a generated schema
    /// ([`Schema::table_with`](crate::sql::Schema::table_with)) and its startup check.
    ///
    /// ```
    /// use restframe::sql::{Column, Dialect, OnDelete, Schema};
    /// use restframe::storage::DatabaseStorage;
    /// const PICTURE: &[Column] = &DatabaseStorage::columns(
    ///     Column::integer("user_id").primary_key().references("app_user", "id", OnDelete::Cascade),
    /// );
    /// let sql = Schema::new().table_with("picture", "user_id", PICTURE).sql_for(Dialect::Sqlite);
    /// assert!(sql.contains(r#""user_id" INTEGER PRIMARY KEY NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE"#));
    /// assert!(sql.contains(r#""data" BLOB NOT NULL"#));
    /// ```
    pub const fn columns(key: Column) -> [Column; 6] {
        [
            key,
            Column::text("content_type"),
            Column::integer("size"),
            Column::text("sha256"),
            Column::integer("last_updated"),
            Column::blob("data"),
        ]
    }

    fn key(key: &str) -> Result<SqlValue, StorageError> {
        key.parse::<i64>()
            .map(SqlValue::Integer)
            .map_err(|_| StorageError::InvalidKey(key.to_owned()))
    }

    fn db_error(e: crate::sql::DbError) -> StorageError {
        StorageError::Backend(e.to_string())
    }

    async fn save_inner(
        &self,
        key: &str,
        content_type: &str,
        mut data: ByteStream,
    ) -> Result<ObjectMeta, StorageError> {
        let id = Self::key(key)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = data.next().await {
            let chunk = chunk?;
            if (bytes.len() + chunk.len()) as u64 > self.max_size {
                return Err(StorageError::TooLarge { max: self.max_size });
            }
            bytes.extend_from_slice(&chunk);
        }
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let size = bytes.len() as u64;
        self.db
            .execute(
                Arc::clone(&self.sql.upsert),
                vec![
                    id,
                    SqlValue::Text(content_type.to_owned()),
                    SqlValue::Integer(i64::try_from(size).unwrap_or(i64::MAX)),
                    SqlValue::Text(sha256.clone()),
                    SqlValue::Integer(i64::try_from(now).unwrap_or(i64::MAX)),
                    SqlValue::Blob(bytes),
                ],
            )
            .await
            .map_err(Self::db_error)?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            size,
            content_type: content_type.to_owned(),
            etag: sha256,
            last_modified: SystemTime::UNIX_EPOCH
                + Duration::from_millis(u64::try_from(now).unwrap_or(u64::MAX)),
        })
    }

    async fn metadata_inner(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        let id = Self::key(key)?;
        let rows = self
            .db
            .fetch(
                Arc::clone(&self.sql.metadata),
                vec![id],
                Arc::new(META_TYPES),
            )
            .await
            .map_err(Self::db_error)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        match row.as_slice() {
            [
                SqlValue::Text(content_type),
                SqlValue::Integer(size),
                SqlValue::Text(sha256),
                SqlValue::Integer(updated),
            ] => Ok(Some(ObjectMeta {
                key: key.to_owned(),
                size: u64::try_from(*size).unwrap_or(0),
                content_type: content_type.clone(),
                etag: sha256.clone(),
                last_modified: SystemTime::UNIX_EPOCH
                    + Duration::from_millis(u64::try_from(*updated).unwrap_or(0)),
            })),
            _ => Err(StorageError::Backend("unexpected blob metadata row".into())),
        }
    }

    async fn open_inner(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StorageError> {
        let id = Self::key(key)?;
        let rows = self
            .db
            .fetch(
                Arc::clone(&self.sql.data),
                vec![id],
                Arc::new([ColumnType::Blob]),
            )
            .await
            .map_err(Self::db_error)?;
        let Some(SqlValue::Blob(data)) = rows.into_iter().next().and_then(|r| r.into_iter().next())
        else {
            return Err(StorageError::NotFound(key.to_owned()));
        };
        let size = data.len() as u64;
        let range = range.unwrap_or(0..size);
        if range.start > range.end || range.end > size {
            return Err(StorageError::RangeNotSatisfiable { size });
        }
        let bytes = Bytes::from(data).slice(range.start as usize..range.end as usize);
        Ok(Box::pin(futures_util::stream::once(async move {
            Ok::<_, io::Error>(bytes)
        })))
    }
}

impl Storage for DatabaseStorage {
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
            let id = Self::key(key)?;
            let n = self
                .db
                .execute(Arc::clone(&self.sql.delete), vec![id])
                .await
                .map_err(Self::db_error)?;
            Ok(n > 0)
        })
    }

    /// Keys here are integers, with no folders: `prefix` `""` lists every blob, in numeric
    /// order (`after` a number too); any other prefix lists none.
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ObjectMeta>, StorageError>> {
        Box::pin(async move {
            if !prefix.is_empty() || limit == 0 {
                return Ok(Vec::new());
            }
            let after = match after {
                Some(after) => Self::key(after)?,
                None => SqlValue::Integer(i64::MIN),
            };
            let limit = SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX));
            let rows = self
                .db
                .fetch(
                    Arc::clone(&self.sql.list),
                    vec![after, limit],
                    Arc::new([
                        ColumnType::Integer,
                        ColumnType::Text,
                        ColumnType::Integer,
                        ColumnType::Text,
                        ColumnType::Integer,
                    ]),
                )
                .await
                .map_err(Self::db_error)?;
            rows.into_iter()
                .map(|row| match row.as_slice() {
                    [
                        SqlValue::Integer(key),
                        SqlValue::Text(content_type),
                        SqlValue::Integer(size),
                        SqlValue::Text(sha256),
                        SqlValue::Integer(updated),
                    ] => Ok(ObjectMeta {
                        key: key.to_string(),
                        size: u64::try_from(*size).unwrap_or(0),
                        content_type: content_type.clone(),
                        etag: sha256.clone(),
                        last_modified: SystemTime::UNIX_EPOCH
                            + Duration::from_millis(u64::try_from(*updated).unwrap_or(0)),
                    }),
                    _ => Err(StorageError::Backend("unexpected blob listing row".into())),
                })
                .collect()
        })
    }

    fn url(&self, key: &str) -> String {
        self.url_template.replace("{key}", key)
    }

    fn presign_put<'a>(
        &'a self,
        _key: &'a str,
        _expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>> {
        Box::pin(async {
            Err(StorageError::Unsupported(
                "presigned URLs for database blobs",
            ))
        })
    }

    fn presign_get<'a>(
        &'a self,
        _key: &'a str,
        _expires_in: Duration,
    ) -> BoxFuture<'a, Result<PresignedUrl, StorageError>> {
        Box::pin(async {
            Err(StorageError::Unsupported(
                "presigned URLs for database blobs",
            ))
        })
    }
}
