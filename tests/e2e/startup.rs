//! Starting the app: `/` leads to the API, and start-up errors name the problem and the fix.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use restframe_tests::App;

const BIN: &str = env!("CARGO_BIN_EXE_example-app");

#[tokio::test]
async fn the_root_redirects_to_the_api_root() {
    let app = crate::start();
    let r = app.get("/", &[]).await;
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("location"), "/api/");
    let api = app
        .get(r.header("location"), &[("accept", "application/json")])
        .await;
    assert_eq!(api.status, 200);
    assert!(
        api.json().get("root").is_none(),
        "the redirect is not an API endpoint"
    );
}

/// Runs the binary to its end (it must fail to start) and returns its stderr.
fn failed_start(args: &[&str]) -> (String, Duration) {
    let dir = std::env::temp_dir().join(format!("restframe-startup-{}", std::process::id()));
    let start = Instant::now();
    let out = Command::new(BIN)
        .args(["--log", "warn", "--media-root"])
        .arg(dir.join("media"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run example-app");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success(), "it started: {out:?}");
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

#[tokio::test]
async fn a_busy_port_is_named_with_the_fix() {
    let app = crate::start();
    let addr = app.base().trim_start_matches("http://").to_owned();
    let db = format!("sqlite://{}", app.dir().join("second.sqlite3").display());
    let (stderr, _) = failed_start(&["--bind", &addr, "--database-url", &db]);
    assert!(
        stderr.contains(&format!("{addr} is already in use; pass --bind")),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_reported_as_itself_within_5_s() {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let url = "postgres://nobody:secret@127.0.0.1:1/nothing";
    let (stderr, elapsed) = failed_start(&["--bind", "127.0.0.1:0", "--database-url", url]);
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(
        !stderr.contains("secret"),
        "the password is not printed: {stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn debug_from_the_environment_accepts_1_and_0() {
    for value in ["1", "0", "true", "false"] {
        let app = App::start_with_env(BIN, &[], &[("EXAMPLE_APP_DEBUG", value)]);
        assert_eq!(
            app.get("/api/", &[]).await.status,
            200,
            "EXAMPLE_APP_DEBUG={value}"
        );
    }
}

#[tokio::test]
async fn a_model_that_does_not_match_its_table_fails_startup_naming_both() {
    // A database the app made, then changed behind its back: a column renamed.
    let mut app = crate::start();
    let url = app.database_url().to_owned();
    assert!(app.terminate(Duration::from_secs(10)).is_some(), "no exit");
    let db = restframe::sql::Database::connect(&url)
        .await
        .expect("open the database");
    db.query(
        "ALTER TABLE track RENAME COLUMN artist_name TO artist",
        vec![],
        &[],
    )
    .await
    .expect("rename a column");
    db.close().await;
    drop(db);

    let (stderr, _) = failed_start(&["--bind", "127.0.0.1:0", "--database-url", &url]);
    assert!(
        stderr.contains("table track does not match its model")
            && stderr.contains("column artist_name is missing"),
        "{stderr}"
    );
}
