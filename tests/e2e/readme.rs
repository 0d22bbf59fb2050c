//! The README's curl session, run as written against the real binary.

use std::process::Command;

#[tokio::test]
async fn readme_session() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("read README.md");
    let block = readme
        .split("## Try it")
        .nth(1)
        .and_then(|s| s.split("```sh\n").nth(1))
        .and_then(|s| s.split("\n```").next())
        .expect("a ```sh block under ## Try it");
    let app = crate::start();
    let host = app.base().trim_start_matches("http://").to_owned();
    let script = block.replace("localhost:8000", &host);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
            .expect("run bash (and curl: apt-get install curl)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The owner is the user the session signed up (its id depends on who else is there).
    let track = r#"/api/tracks/1/","id":1,"title":"So What","artist_name":"Miles Davis","release_date":"1959-08-17","duration":null,"file":null,"owner":"#;
    for expected in [
        track,
        "<title>So What</title>",
        "title: So What\n",
        "url,id,title,artist_name,release_date,duration,file,owner,owner_username,owner_url,created_at,updated_at\r\n",
        "/api/tracks/1/,1,So What,Miles Davis,1959-08-17,,,",
        r#""username":"miles","email":"miles@example.org","is_staff":false,"is_active":true,"date_joined":""#,
        r#"{"detail":"Authentication credentials were not provided."}"#,
        r#""release_date":null"#,
        "<title><list-item>This field may not be blank.</list-item></title>",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in:\n{stdout}");
    }
    // JSON by default, then the MessagePack decoded back to the same JSON by the echo view.
    assert!(stdout.matches(track).count() >= 3, "{stdout}");
}
