//! A 201 means committed. Writes that arrive together share one transaction (SQLite's writer
//! commits them as a group), and each is answered only once that transaction has committed:
//! every create answered before a `kill -9` is there after the restart, as it was sent.

use std::time::Duration;

use restframe_tests::LoadClient;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_201_answered_before_a_kill_9_is_there_after_the_restart() {
    let mut app = crate::start();
    let url = format!("{}/api/tracks/", app.base());
    let auth = format!("Token {}", app.admin_token());
    let client = LoadClient::default();
    // 16 clients write as fast as they can until the process is gone.
    let writers = (0..16).map(|w| {
        let (client, url, auth) = (client.clone(), url.clone(), auth.clone());
        async move {
            let mut answered = Vec::new();
            for i in 0.. {
                let title = format!("t{w}-{i}");
                let body = json!({"title": title, "artist_name": "Miles Davis"}).to_string();
                let headers = [
                    ("content-type", "application/json"),
                    ("authorization", auth.as_str()),
                ];
                match client.send("POST", &url, &headers, body).await {
                    Ok(r) if r.status == 201 => {
                        let id = r.json()["id"].as_i64().expect("an id");
                        answered.push((id, title));
                    }
                    Ok(r) => panic!("{}: {}", r.status, r.text()),
                    // The kill: this write may or may not have committed; it got no 201.
                    Err(_) => break,
                }
            }
            answered
        }
    });
    let pid = app.pid().to_string();
    let kill = async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
    };
    let (answered, ()) = tokio::join!(futures_util::future::join_all(writers), kill);
    let answered: Vec<(i64, String)> = answered.into_iter().flatten().collect();
    assert!(
        answered.len() > 100,
        "only {} creates in 1.5 s",
        answered.len()
    );
    app.kill9();
    app.restart(&[], &[]);
    for (id, title) in &answered {
        let r = app.get(&format!("/api/tracks/{id}/"), &[]).await;
        assert_eq!(r.status, 200, "track {id}, answered 201 before the kill");
        assert_eq!(&r.json()["title"], title);
    }
}
