//! A database made by an older app: its tables made by the versioned migrations of the time
//! (before users had passwords), with rows in them. This app creates a new database from its
//! declarations, and brings an old one to the same tables by running the migrations it lacks,
//! keeping its rows.

use restframe::sql::{ColumnType, Database, Dialect, Migration, SqlValue};
use restframe_tests::{App, Backend, InstanceSpec};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_example-app");

/// The app's first four migrations, as an app of that time ran them.
const OLD: [Migration; 4] = [
    Migration {
        version: 1,
        name: "catalogue: track and app_user",
        sqlite: include_str!("../../example-app/migrations/sqlite/0001_catalogue.sql"),
        postgres: include_str!("../../example-app/migrations/postgres/0001_catalogue.sql"),
    },
    Migration {
        version: 2,
        name: "track.file_key: where an uploaded file is stored",
        sqlite: include_str!("../../example-app/migrations/sqlite/0002_track_file_key.sql"),
        postgres: include_str!("../../example-app/migrations/postgres/0002_track_file_key.sql"),
    },
    Migration {
        version: 3,
        name: "pending_upload: presigned uploads awaiting confirmation",
        sqlite: include_str!("../../example-app/migrations/sqlite/0003_pending_upload.sql"),
        postgres: include_str!("../../example-app/migrations/postgres/0003_pending_upload.sql"),
    },
    Migration {
        version: 4,
        name: "user_picture: profile pictures beside their user",
        sqlite: include_str!("../../example-app/migrations/sqlite/0004_user_picture.sql"),
        postgres: include_str!("../../example-app/migrations/postgres/0004_user_picture.sql"),
    },
];

/// The app's tables.
const TABLES: [&str; 6] = [
    "app_user",
    "track",
    "pending_upload",
    "user_picture",
    "auth_token",
    "auth_session",
];

/// What two ways of making `table` must agree on: its columns (declared type, nullability
/// apart from the key's), its foreign keys (with `ON DELETE`) and its indexes (the
/// database's own for a key aside), sorted.
async fn shape(db: &Database, table: &str) -> Vec<String> {
    let queries: [&str; 3] = match db.dialect() {
        Dialect::Sqlite => [
            "SELECT 'column ' || name || ' ' || type || ' ' || (\"notnull\" = 0 AND pk = 0) \
             FROM pragma_table_info(?1)",
            "SELECT 'fk ' || \"from\" || ' ' || \"table\" || '.' || \"to\" || ' ' || on_delete \
             FROM pragma_foreign_key_list(?1)",
            "SELECT 'index ' || name FROM pragma_index_list(?1) \
             WHERE name NOT LIKE 'sqlite_autoindex%'",
        ],
        Dialect::Postgres => [
            "SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' \
             || (NOT a.attnotnull)::text FROM pg_attribute a \
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            "SELECT 'fk ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = $1::text::regclass AND contype = 'f'",
            "SELECT 'index ' || indexname::text FROM pg_indexes \
             WHERE tablename = $1::text AND indexname NOT LIKE '%\\_pkey'",
        ],
    };
    let mut out = Vec::new();
    for sql in queries {
        let rows = db
            .query(sql, vec![SqlValue::Text(table.into())], &[ColumnType::Text])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        out.extend(rows.into_iter().filter_map(|row| match row.first() {
            Some(SqlValue::Text(line)) => Some(line.clone()),
            _ => None,
        }));
    }
    out.sort();
    out
}

/// The versions `db` records as applied.
async fn recorded(db: &Database) -> Vec<i64> {
    let rows = db
        .query(
            "SELECT version FROM restframe_migrations ORDER BY version",
            vec![],
            &[ColumnType::Integer],
        )
        .await
        .expect("restframe_migrations");
    rows.into_iter()
        .filter_map(|row| match row.first() {
            Some(SqlValue::Integer(v)) => Some(*v),
            _ => None,
        })
        .collect()
}

async fn an_old_database_is_upgraded_and_matches_a_new_one(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("restframe-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("old.sqlite3").display()),
        Backend::Postgres => restframe_tests::fresh_postgres_url(),
    };
    let old = Database::connect(&url).await.expect("connect");
    old.migrate(&OLD).await.expect("the old migrations");
    for sql in [
        "INSERT INTO app_user (username, email) VALUES ('olduser', 'old@example.com')",
        "INSERT INTO track (title, artist_name) VALUES ('Old Song', 'Old Band')",
    ] {
        old.query(sql, vec![], &[]).await.expect(sql);
    }

    // The app opens it: migrations 5 onwards run.
    let log = dir.join("app.log");
    let app = App::start_instance(&InstanceSpec {
        bin: BIN,
        database_url: &url,
        bind: "127.0.0.1:0",
        args: &[],
        env: &[],
        log: &log,
        token: Some("none: the old database has no superuser"),
    });
    let versions = recorded(&old).await;
    assert_eq!(versions.first(), Some(&1), "{versions:?}");
    assert!(
        versions.windows(2).all(|w| w[1] == w[0] + 1) && versions.len() >= 8,
        "every migration once, none skipped: {versions:?}"
    );

    // The old rows, with what the later migrations gave them.
    let anon = app.anonymous();
    let track = anon.get("/api/tracks/1/", &[]).await;
    assert_eq!(track.status, 200, "{}", track.text());
    let track = track.json();
    assert_eq!(
        (&track["title"], &track["owner"]),
        (&json!("Old Song"), &json!(null))
    );
    assert!(
        track["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{track}"
    );
    let user = anon.get("/api/users/1/", &[]).await;
    assert_eq!(user.status, 200, "{}", user.text());
    assert_eq!(
        (&user.json()["username"], &user.json()["is_active"]),
        (&json!("olduser"), &json!(true))
    );

    // And the new features work on it: registration, a token, a track owned.
    let registered = anon
        .post(
            "/api/users/",
            "application/json",
            r#"{"username": "newuser", "password": "new-password-1"}"#,
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    assert_eq!(registered.json()["is_active"], json!(true));
    let token = app.obtain_token("newuser", "new-password-1").await;
    let created = app
        .as_token(&token)
        .post(
            "/api/tracks/",
            "application/json",
            r#"{"title": "New Song", "artist_name": "New Band"}"#,
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["owner"], registered.json()["id"]);

    // A new database, made from the declarations, has the same tables.
    let new_app = App::start_on(BIN, backend, &[]);
    let new = Database::connect(new_app.database_url())
        .await
        .expect("connect to the new database");
    let new_versions = recorded(&new).await;
    assert_eq!(new_versions.first(), Some(&0), "0 records the declarations");
    assert_eq!(new_versions[1..], versions[..], "then every migration");
    for table in TABLES {
        let (declared, migrated) = (shape(&new, table).await, shape(&old, table).await);
        assert!(
            declared.iter().any(|l| l.starts_with("column ")),
            "{table}: {declared:?}"
        );
        assert_eq!(declared, migrated, "{table}: declared, then migrated");
    }
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_old_sqlite_database_is_upgraded_and_matches_a_new_one() {
    an_old_database_is_upgraded_and_matches_a_new_one(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./tests/run-all starts one (or set RESTFRAME_TEST_POSTGRES_URL and pass --include-ignored)"]
async fn an_old_postgres_database_is_upgraded_and_matches_a_new_one() {
    an_old_database_is_upgraded_and_matches_a_new_one(Backend::Postgres).await;
}
