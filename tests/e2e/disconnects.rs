//! Clients that go away mid-request cost nobody else anything: lists cut off at random moments
//! (each read transaction's `BEGIN` among them) between creates, and then every create that
//! answered 201 is there. On PostgreSQL a request dropped while `BEGIN` was in flight used to
//! leave its connection inside the transaction, and later creates on it were rolled back
//! (sqlx 0.9.0, transact-rs/sqlx#4393; `bench/scale/cancel-probe.sh`).

use std::time::Duration;

use restframe_tests::App;

use crate::on_every_backend;

on_every_backend!(acknowledged_creates_survive_lists_cut_off_midway);

async fn acknowledged_creates_survive_lists_cut_off_midway(app: &App) {
    let (_, token) = app.create_user("ada", "ada-password").await;
    let ada = app.as_token(&token);
    let mut created = Vec::new();
    for round in 0..20u64 {
        // Sixteen counted lists at once, each dropped after 0 to 3.75 ms: the client closes
        // its connection wherever the server happens to be.
        let cut = (0..16u64).map(|i| async move {
            let wait = Duration::from_micros((round * 16 + i) % 16 * 250);
            let caller = app.anonymous();
            let _ = tokio::time::timeout(wait, caller.get("/api/tracks/?page_size=5", &[])).await;
        });
        futures_util::future::join_all(cut).await;
        for i in 0..10 {
            let r = ada
                .post(
                    "/api/tracks/",
                    "application/json",
                    format!(r#"{{"title":"Round {round} take {i}","artist_name":"Ada"}}"#),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text());
            created.push(r.json()["id"].as_i64().unwrap_or_default());
        }
        // Lists that run to the end, on whatever connections the pool hands out.
        for _ in 0..5 {
            let r = app.anonymous().get("/api/tracks/?page_size=5", &[]).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
    }
    let mut missing = Vec::new();
    for id in &created {
        let r = app
            .anonymous()
            .get(&format!("/api/tracks/{id}/"), &[])
            .await;
        if r.status != 200 {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} creates answered 201 are gone: {missing:?}",
        missing.len(),
        created.len()
    );
    let count = app.anonymous().get("/api/tracks/?page_size=1", &[]).await;
    assert_eq!(count.json()["count"], created.len());
}
