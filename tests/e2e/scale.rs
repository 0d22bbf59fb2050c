//! Scale-out: two example-app instances behind a real load balancer (HAProxy, started with
//! `tests/services/haproxy.sh`) on one PostgreSQL database, one S3 bucket (s3s-fs) and one Redis,
//! sharing one `--secret-key`; a minute of mixed load from many clients through the balancer,
//! one instance killed with `kill -9` and restarted on its port midway. It checks that
//! - no request gets a 5xx, except the ones the balancer answers for connections the kill cut;
//! - every acknowledged write (create, update, delete, upload, presigned upload) is there
//!   afterwards with its content, and deleted tracks are gone;
//! - a presigned URL minted by one instance is confirmed through the other (S3, and the app's own
//!   HMAC-signed URLs on a shared file system: one `--secret-key`);
//! - throttle budgets are shared through Redis (N uploads allowed in all, not N per instance);
//! - expired, unconfirmed presigned uploads are all cleaned up, with no cleanup error in either
//!   instance's log (and, once the cleanup locks rows, no key removed twice);
//! - after the sweep, every object in the bucket belongs to a track (no orphans).
//!
//! `./tests/run-all` runs it when HAProxy is available (it sets `RESTFRAME_TEST_SCALE=1`); by
//! hand, with the servers of run-all running and their variables set:
//! `RESTFRAME_TEST_SCALE=1 cargo test -p example-app --test e2e scale:: -- --include-ignored --nocapture`.
//! `RESTFRAME_TEST_SCALE_SECONDS` sets the length of the load (default 60). The instances' logs
//! are kept in `target/scale-test/`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use restframe_tests::{ADMIN_PASSWORD, ADMIN_USERNAME, App, InstanceSpec, LoadClient, Reply};
use serde_json::{Value, json};

/// Flags every instance gets (issue 13's hardening), each a flag and its value; the test fails
/// when the binary lacks one.
const MERGED_FLAGS: &[(&str, &str)] = &[
    ("--allowed-hosts", "127.0.0.1,localhost"),
    ("--trusted-proxies", "127.0.0.1"),
    ("--sweep-interval", "2s"),
    ("--sweep-grace", "3s"),
    ("--keep-alive-timeout", "75s"),
    ("--request-timeout", "60s"),
];

/// Concurrent clients of the load, each a user of its own owning its tracks.
const CLIENTS: usize = 12;

/// Lifetime of presigned URLs: short, so that the abandoned ones expire and are cleaned up
/// before the end.
const PRESIGN_EXPIRY_SECS: u64 = 4;

/// Uploads (presigned URLs included) one user may make per minute in the throttle phase.
const UPLOAD_BUDGET: usize = 4;

const PASSWORD: &str = "correct horse battery staple";

fn var(name: &str) -> String {
    restframe_tests::required_env(
        name,
        "the scale-out test needs HAProxy, PostgreSQL, S3 and Redis: ./tests/run-all starts them \
         and sets RESTFRAME_TEST_SCALE=1 (see tests/services/README.md)",
    )
}

/// A small xorshift generator: the load is random but repeatable per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An "MP3" (ID3v2 header, MPEG frame sync) of `len` bytes whose content `seed` tells apart.
fn mp3(seed: u64, len: usize) -> Vec<u8> {
    let mut body = b"ID3\x04\x00\x00\x00\x00\x00\x00\xFF\xFB\x90\x64".to_vec();
    body.extend_from_slice(&seed.to_le_bytes());
    let filler = len.saturating_sub(body.len());
    body.extend((0..filler).map(|i| ((i as u64 + seed) % 251) as u8));
    body
}

/// How to start (and restart) one instance: owned, so a restart can run on a blocking thread.
#[derive(Clone)]
struct Node {
    bin: String,
    database_url: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    token: Option<String>,
}

impl Node {
    fn start(&self, bind: &str) -> App {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        App::start_instance(&InstanceSpec {
            bin: &self.bin,
            database_url: &self.database_url,
            bind,
            args: &args,
            env: &env,
            log: &self.log,
            token: self.token.as_deref(),
        })
    }
}

/// What the whole test shares: the binary's flags, the servers, the secret.
struct Setup {
    bin: String,
    database_url: String,
    secret: String,
    bucket: String,
    bucket_dir: PathBuf,
    logs: PathBuf,
    supported: BTreeSet<String>,
    token: Option<String>,
}

impl Setup {
    fn has(&self, flag: &str) -> bool {
        self.supported.contains(flag)
    }

    /// An instance on S3 (the shared bucket) with Redis throttling under `redis_prefix`.
    fn s3_node(&self, name: &str, redis_prefix: &str, extra: &[&str]) -> Node {
        let mut args: Vec<String> = [
            "--storage",
            "s3",
            "--s3-endpoint",
            &var("RESTFRAME_TEST_S3_ENDPOINT"),
            "--s3-bucket",
            &self.bucket,
            "--s3-region",
            &var("RESTFRAME_TEST_S3_REGION"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(self.common_args(redis_prefix));
        args.extend(extra.iter().map(|s| s.to_string()));
        self.node(name, args)
    }

    /// An instance on the file system under `media_root`.
    fn fs_node(&self, name: &str, media_root: &Path, redis_prefix: &str, extra: &[&str]) -> Node {
        let mut args = vec!["--media-root".to_owned(), media_root.display().to_string()];
        args.extend(self.common_args(redis_prefix));
        args.extend(extra.iter().map(|s| s.to_string()));
        self.node(name, args)
    }

    fn common_args(&self, redis_prefix: &str) -> Vec<String> {
        let mut args: Vec<String> = [
            "--secret-key",
            &self.secret,
            "--throttle-store",
            "redis",
            "--redis-url",
            &var("RESTFRAME_TEST_REDIS_URL"),
            "--redis-prefix",
            redis_prefix,
            "--presign-expiry",
            &format!("{PRESIGN_EXPIRY_SECS}s"),
            "--upload-cleanup-interval",
            "1s",
            "--max-upload-size",
            "1MiB",
            "--log",
            "warn,example_app=debug",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (flag, value) in MERGED_FLAGS {
            if self.has(flag) {
                args.extend([flag.to_string(), value.to_string()]);
            }
        }
        args
    }

    fn node(&self, name: &str, args: Vec<String>) -> Node {
        Node {
            bin: self.bin.clone(),
            database_url: self.database_url.clone(),
            args,
            env: vec![
                (
                    "AWS_ACCESS_KEY_ID".into(),
                    var("RESTFRAME_TEST_S3_ACCESS_KEY_ID"),
                ),
                (
                    "AWS_SECRET_ACCESS_KEY".into(),
                    var("RESTFRAME_TEST_S3_SECRET_ACCESS_KEY"),
                ),
                ("NO_COLOR".into(), "1".into()),
            ],
            log: self.logs.join(format!("{name}.log")),
            token: self.token.clone(),
        }
    }
}

/// The flags `bin --help` lists.
fn supported_flags(bin: &str) -> BTreeSet<String> {
    let out = Command::new(bin)
        .arg("--help")
        .output()
        .expect("run example-app --help");
    String::from_utf8_lossy(&out.stdout)
        .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '<')
        .filter(|w| w.starts_with("--"))
        .map(str::to_owned)
        .collect()
}

/// `psql DATABASE -Atc SQL`: its output lines, or what went wrong.
fn psql(database_url: &str, sql: &str) -> Result<Vec<String>, String> {
    let out = Command::new("psql")
        .args([
            database_url,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .map_err(|e| format!("run psql: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The HAProxy of `tests/services/haproxy.sh`, stopped when dropped.
struct Balancer {
    url: String,
    dir: String,
}

impl Balancer {
    fn start(backends: &[&str]) -> Self {
        let script = restframe_tests::workspace_root().join("tests/services/haproxy.sh");
        let mut cmd = Command::new("bash");
        cmd.arg(&script).arg("start").args(backends);
        // Under run-all, in its services directory, so its cleanup stops it even if we cannot.
        match std::env::var("RESTFRAME_TEST_SERVICES_DIR") {
            Ok(dir) if !dir.is_empty() => cmd.env("RESTFRAME_SERVICES_DIR", dir),
            _ => cmd.env_remove("RESTFRAME_SERVICES_DIR"),
        };
        let out = cmd.output().expect("run tests/services/haproxy.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "haproxy.sh start failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let value = |name: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("no {name} from haproxy.sh: {stdout}"))
                .to_owned()
        };
        Self {
            url: value("RESTFRAME_TEST_HAPROXY_URL"),
            dir: value("RESTFRAME_TEST_HAPROXY_DIR"),
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let script = restframe_tests::workspace_root().join("tests/services/haproxy.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["stop", &self.dir])
            .status();
    }
}

/// The test's own bucket in the s3s-fs data directory (each directory there is a bucket), so
/// that other tests' objects do not count as orphans; removed when dropped.
struct Bucket(PathBuf);

impl Drop for Bucket {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every object key in the bucket directory.
fn bucket_keys(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs HAProxy, PostgreSQL, S3 and Redis: ./tests/run-all starts them and sets RESTFRAME_TEST_SCALE=1"]
async fn two_instances_behind_a_load_balancer() {
    assert_eq!(
        var("RESTFRAME_TEST_SCALE"),
        "1",
        "RESTFRAME_TEST_SCALE must be 1"
    );
    let started = Instant::now();
    let bin = env!("CARGO_BIN_EXE_example-app").to_owned();
    let supported = supported_flags(&bin);
    let missing: Vec<&str> = MERGED_FLAGS
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| !supported.contains(*f))
        .collect();
    assert!(missing.is_empty(), "the binary lacks {missing:?}");

    let logs = restframe_tests::target_dir().join("scale-test");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).expect("create target/scale-test");
    println!("scale: instance logs in {}", logs.display());

    let bucket = format!("restframe-scale-{}", std::process::id());
    let bucket_dir = PathBuf::from(var("RESTFRAME_TEST_S3_DIR"))
        .join("data")
        .join(&bucket);
    std::fs::create_dir_all(&bucket_dir).expect("create the test's bucket");
    let _bucket = Bucket(bucket_dir.clone());

    let database_url = restframe_tests::fresh_postgres_url();
    let created =
        restframe_tests::run_createsuperuser(&bin, &database_url, ADMIN_USERNAME, ADMIN_PASSWORD);
    assert!(created.status.success(), "createsuperuser: {created:?}");
    let secret = format!(
        "scale-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let mut setup = Setup {
        bin,
        database_url,
        secret,
        bucket,
        bucket_dir,
        logs,
        supported,
        token: None,
    };
    let prefix = |phase: &str| format!("restframe-scale-{}-{phase}:", std::process::id());

    // 1. Throttle budgets are shared: a user gets UPLOAD_BUDGET uploads per minute in all,
    //    whichever instance they ask.
    let budget = format!("{UPLOAD_BUDGET}/min");
    let t1 = setup
        .fs_node(
            "budget-1",
            &setup.logs.join("media-budget-1"),
            &prefix("budget"),
            &["--throttle-uploads", &budget],
        )
        .start("127.0.0.1:0");
    setup.token = Some(t1.admin_token().to_owned());
    let t2 = setup
        .fs_node(
            "budget-2",
            &setup.logs.join("media-budget-2"),
            &prefix("budget"),
            &["--throttle-uploads", &budget],
        )
        .start("127.0.0.1:0");
    shared_throttle_budget(&t1, &t2).await;
    drop((t1, t2));

    // 2. The app's own presigned URLs (file system storage, HMAC-signed with --secret-key):
    //    minted by one instance, PUT to and confirmed through the other.
    let shared_media = setup.logs.join("media-shared");
    let f1 = setup
        .fs_node("fs-1", &shared_media, &prefix("fs"), &[])
        .start("127.0.0.1:0");
    let f2 = setup
        .fs_node("fs-2", &shared_media, &prefix("fs"), &[])
        .start("127.0.0.1:0");
    presign_across(&f1, &f2, 1, true).await;
    presign_across(&f2, &f1, 2, true).await;
    drop((f1, f2));

    // 3. The load: two instances on S3 behind HAProxy. The throttles are on (high) so that every
    //    request counts in Redis.
    let high = [
        "--throttle-user",
        "1000000/min",
        "--throttle-uploads",
        "1000000/min",
    ];
    let node_a = setup.s3_node("a", &prefix("load"), &high);
    let node_b = setup.s3_node("b", &prefix("load"), &high);
    let a = node_a.start("127.0.0.1:0");
    let b = node_b.start("127.0.0.1:0");
    // S3 presigned URLs minted by one, confirmed through the other.
    presign_across(&a, &b, 3, false).await;
    presign_across(&b, &a, 4, false).await;
    let lb = Balancer::start(&[a.addr(), b.addr()]);
    println!(
        "scale: HAProxy at {} over {} and {}",
        lb.url,
        a.addr(),
        b.addr()
    );
    wait_until_both_serve(&lb.url).await;

    let mut users = Vec::new();
    for n in 0..CLIENTS {
        users.push(a.create_user(&format!("load{n}"), PASSWORD).await.1);
    }
    let seconds: u64 = std::env::var("RESTFRAME_TEST_SCALE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let load_for = Duration::from_secs(seconds);
    let stats = Arc::new(Mutex::new(Stats::default()));
    let load_start = Instant::now();
    let mut clients = Vec::new();
    for (n, token) in users.into_iter().enumerate() {
        let client = Client {
            n,
            token,
            lb: lb.url.clone(),
            http: LoadClient::default(),
            rng: Rng(0x9E37_79B9_7F4A_7C15 ^ ((n as u64 + 1) * 0x2545_F491)),
            stats: Arc::clone(&stats),
            tracks: HashMap::new(),
            active: Vec::new(),
        };
        clients.push(tokio::spawn(client.run(load_start + load_for)));
    }
    // Midway, instance b gets kill -9 and is restarted on its port.
    let b_addr = b.addr().to_owned();
    let killer = tokio::spawn(async move {
        let mut b = b;
        tokio::time::sleep(load_for * 2 / 5).await;
        let killed = Instant::now();
        println!("scale: kill -9 of instance b (pid {})", b.pid());
        b.kill9();
        drop(b);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let b = tokio::task::spawn_blocking(move || node_b.start(&b_addr))
            .await
            .expect("restart instance b");
        println!(
            "scale: instance b restarted (pid {}) {:.1} s after the kill",
            b.pid(),
            killed.elapsed().as_secs_f64()
        );
        (b, killed, Instant::now())
    });
    let mut expected: BTreeMap<i64, Expect> = BTreeMap::new();
    for client in clients {
        expected.extend(client.await.expect("a load client"));
    }
    let (b, killed, restarted) = killer.await.expect("the kill and restart");
    let stats = std::mem::take(&mut *stats.lock().unwrap());
    println!(
        "scale: {:.0} s of load: {:?}; {} cut by the kill; {} tracks to check",
        load_start.elapsed().as_secs_f64(),
        stats.ops,
        stats.cut.len(),
        expected.len()
    );

    let mut failures = stats.bad.clone();
    // Only requests around the kill may have been cut.
    let window = (killed - Duration::from_secs(1))..=(restarted + Duration::from_secs(5));
    for (at, what) in &stats.cut {
        if !window.contains(at) {
            failures.push(format!(
                "cut {:.1} s after the start, outside the kill: {what}",
                at.duration_since(load_start).as_secs_f64()
            ));
        }
    }

    // Every acknowledged write is there (read through the balancer).
    wait_until_both_serve(&lb.url).await;
    failures.extend(check_tracks(&lb.url, &a, expected).await);

    // Expired, unconfirmed presigned uploads are all cleaned up.
    tokio::time::sleep(Duration::from_secs(PRESIGN_EXPIRY_SECS + 2)).await;
    let left = psql(
        &setup.database_url,
        "SELECT count(*) FROM pending_upload WHERE expires_at < EXTRACT(EPOCH FROM now()) - 2",
    );
    match left.as_deref().map(|l| l.first().map(String::as_str)) {
        Ok(Some("0")) => {}
        Ok(n) => failures.push(format!(
            "{n:?} expired presigned uploads left: the cleanup did not drain them"
        )),
        Err(e) => println!("scale: pending_upload not checked ({e})"),
    }

    // No orphan in the bucket once the sweep has run.
    if setup.has("--sweep-interval") {
        let mut orphans = Vec::new();
        for _ in 0..40 {
            let referenced: BTreeSet<String> = psql(
                &setup.database_url,
                "SELECT file_key FROM track WHERE file_key IS NOT NULL",
            )
            .unwrap_or_else(|e| panic!("list the tracks' keys: {e}"))
            .into_iter()
            .collect();
            orphans = bucket_keys(&setup.bucket_dir)
                .into_iter()
                .filter(|k| !referenced.contains(k))
                .collect();
            if orphans.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if !orphans.is_empty() {
            failures.push(format!(
                "{} objects in the bucket belong to no track after the sweep, e.g. {:?}",
                orphans.len(),
                &orphans[..orphans.len().min(5)]
            ));
        }
    } else {
        println!(
            "scale: orphan check skipped (no --sweep-interval): {} objects in the bucket",
            bucket_keys(&setup.bucket_dir).len()
        );
    }

    drop(lb);
    drop((a, b));
    failures.extend(check_logs(&[
        setup.logs.join("a.log"),
        setup.logs.join("b.log"),
    ]));
    println!(
        "scale: done in {:.0} s, {} failures",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures (logs in target/scale-test/), the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Waits until both backends are up behind the balancer (its health checks need a second).
async fn wait_until_both_serve(lb: &str) {
    let http = LoadClient::default();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ok_in_a_row = 0;
    while ok_in_a_row < 6 {
        assert!(Instant::now() < deadline, "the balancer does not serve");
        match http
            .send(
                "GET",
                &format!("{lb}/api/hello/"),
                &[("accept", "application/json")],
                "",
            )
            .await
        {
            Ok(r) if r.status == 200 => ok_in_a_row += 1,
            _ => ok_in_a_row = 0,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn create_track(app: &App, token: Option<&str>, title: &str) -> i64 {
    let body = json!({"title": title, "artist_name": "Scale"}).to_string();
    let caller = match token {
        Some(token) => app.as_token(token),
        None => app.admin(),
    };
    let r = caller.post("/api/tracks/", "application/json", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

/// A user with a budget of [`UPLOAD_BUDGET`] uploads a minute asks for twice that many
/// presigned URLs, alternately from each instance: only the budget is granted in all.
async fn shared_throttle_budget(t1: &App, t2: &App) {
    let (_, token) = t1.create_user("budget", PASSWORD).await;
    let id = create_track(t1, Some(&token), "Budget").await;
    let mut granted = 0;
    let mut refused = 0;
    for i in 0..2 * UPLOAD_BUDGET {
        let app = if i % 2 == 0 { t1 } else { t2 };
        let r = app
            .as_token(&token)
            .post(
                &format!("/api/tracks/{id}/presigned-url/"),
                "application/json",
                "",
            )
            .await;
        match r.status {
            201 => granted += 1,
            429 => refused += 1,
            other => panic!("presigned-url: {other} {}", r.text()),
        }
    }
    assert_eq!(
        (granted, refused),
        (UPLOAD_BUDGET, UPLOAD_BUDGET),
        "a budget of {UPLOAD_BUDGET} uploads over two instances on one Redis: granted {granted}"
    );
}

/// Mints a presigned URL on `mint`, PUTs the MP3 (to the other instance when the URL is the
/// app's own, `own_urls`), confirms through `confirm_on`, and reads the file back from `mint`.
async fn presign_across(mint: &App, confirm_on: &App, seed: u64, own_urls: bool) {
    let id = create_track(mint, None, &format!("Across {seed}")).await;
    let r = mint
        .post(
            &format!("/api/tracks/{id}/presigned-url/"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let p = r.json();
    let mut url = p["url"].as_str().unwrap().to_owned();
    if own_urls {
        assert!(url.starts_with(mint.base()), "{url}");
        url = url.replacen(mint.base(), confirm_on.base(), 1);
    }
    let content = mp3(seed, 20_000);
    let r = confirm_on.send_to_url("PUT", &url, content.clone()).await;
    assert_eq!(
        r.status,
        200,
        "PUT to {url} (minted by {}): {}",
        mint.base(),
        r.text()
    );
    let r = confirm_on
        .post(
            &format!("/api/tracks/{id}/confirm-upload/"),
            "application/json",
            json!({"key": p["key"]}).to_string(),
        )
        .await;
    assert_eq!(
        r.status,
        200,
        "confirm on {} of a URL minted by {}: {}",
        confirm_on.base(),
        mint.base(),
        r.text()
    );
    let r = mint.get(&format!("/api/tracks/{id}/file/"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.body.as_ref() == content.as_slice(),
        "the file read back differs"
    );
}

/// What a track may look like after the load: each list holds every value it may have (one,
/// unless a request that would change it was cut by the kill).
#[derive(Debug)]
struct Expect {
    titles: Vec<String>,
    /// `None`: no file; `Some((seed, len))`: the content of [`mp3`].
    files: Vec<Option<(u64, usize)>>,
    deleted: Vec<bool>,
}

#[derive(Default)]
struct Stats {
    ops: BTreeMap<&'static str, u64>,
    /// Requests without an answer from the app (connection cut, or the balancer's own 502/503/504).
    cut: Vec<(Instant, String)>,
    /// Everything else that was not the expected answer.
    bad: Vec<String>,
}

enum Outcome {
    Done(Reply),
    /// Cut by the kill: it may or may not have happened.
    Unknown,
    Failed,
}

struct Client {
    n: usize,
    token: String,
    lb: String,
    http: LoadClient,
    rng: Rng,
    stats: Arc<Mutex<Stats>>,
    tracks: HashMap<i64, Expect>,
    active: Vec<i64>,
}

impl Client {
    async fn call(
        &self,
        op: &'static str,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        want: u16,
    ) -> Outcome {
        let auth = format!("Token {}", self.token);
        let mut headers = vec![("accept", "application/json")];
        if url.starts_with(&self.lb) {
            headers.push(("authorization", auth.as_str()));
        }
        if let Some(ct) = content_type {
            headers.push(("content-type", ct));
        }
        let result = self.http.send(method, url, &headers, body).await;
        self.outcome(op, method, url, want, result)
    }

    /// What an answer means for the run: done, cut by a dying backend, or a failure.
    fn outcome(
        &self,
        op: &'static str,
        method: &str,
        url: &str,
        want: u16,
        result: Result<Reply, String>,
    ) -> Outcome {
        let mut stats = self.stats.lock().unwrap();
        *stats.ops.entry(op).or_default() += 1;
        match result {
            Ok(r) if r.status == want => Outcome::Done(r),
            // The balancer's own answer (HTML, not the app's JSON) for a request it could not
            // complete: the backend went away under it.
            Ok(r)
                if matches!(r.status, 502..=504) && !r.header("content-type").contains("json") =>
            {
                stats
                    .cut
                    .push((Instant::now(), format!("{op} {url}: {}", r.status)));
                Outcome::Unknown
            }
            Ok(r) => {
                let text = r.text();
                stats.bad.push(format!(
                    "client {} {op} {method} {url}: {} (wanted {want}) {}",
                    self.n,
                    r.status,
                    &text[..text.len().min(300)]
                ));
                Outcome::Failed
            }
            Err(e) => {
                stats.cut.push((Instant::now(), format!("{op} {url}: {e}")));
                Outcome::Unknown
            }
        }
    }

    async fn run(mut self, until: Instant) -> HashMap<i64, Expect> {
        let mut k = 0u64;
        while Instant::now() < until {
            k += 1;
            let roll = self.rng.below(100);
            if self.active.len() < 3 || roll < 12 {
                self.create(k).await;
                continue;
            }
            let pick = self.rng.below(self.active.len() as u64) as usize;
            let id = self.active[pick];
            match roll {
                12..=36 => self.patch(id, k).await,
                37..=46 => {
                    self.active.swap_remove(pick);
                    self.delete(id).await;
                }
                47..=66 => self.upload(id, k).await,
                67..=81 => self.presigned(id, k, true).await,
                82..=85 => self.presigned(id, k, false).await,
                _ => self.read(id).await,
            }
        }
        self.tracks
    }

    fn seed(&self, k: u64) -> u64 {
        ((self.n as u64) << 32) | k
    }

    async fn create(&mut self, k: u64) {
        let title = format!("c{} t{k}", self.n);
        let body = json!({"title": title, "artist_name": format!("Client {}", self.n)});
        let url = format!("{}/api/tracks/", self.lb);
        let out = self
            .call(
                "create",
                "POST",
                &url,
                Some("application/json"),
                body.to_string().into_bytes(),
                201,
            )
            .await;
        if let Outcome::Done(r) = out {
            let id = r.json()["id"].as_i64().unwrap();
            self.tracks.insert(
                id,
                Expect {
                    titles: vec![title],
                    files: vec![None],
                    deleted: vec![false],
                },
            );
            self.active.push(id);
        }
    }

    async fn patch(&mut self, id: i64, k: u64) {
        let title = format!("c{} t{k} patched", self.n);
        let url = format!("{}/api/tracks/{id}/", self.lb);
        let body = json!({"title": title}).to_string().into_bytes();
        let out = self
            .call("update", "PATCH", &url, Some("application/json"), body, 200)
            .await;
        let exp = self.tracks.get_mut(&id).unwrap();
        match out {
            Outcome::Done(_) => exp.titles = vec![title],
            Outcome::Unknown => exp.titles.push(title),
            Outcome::Failed => {}
        }
    }

    async fn delete(&mut self, id: i64) {
        let url = format!("{}/api/tracks/{id}/", self.lb);
        let out = self
            .call("delete", "DELETE", &url, None, Vec::new(), 204)
            .await;
        let exp = self.tracks.get_mut(&id).unwrap();
        match out {
            Outcome::Done(_) => exp.deleted = vec![true],
            Outcome::Unknown => exp.deleted = vec![false, true],
            Outcome::Failed => {}
        }
    }

    async fn upload(&mut self, id: i64, k: u64) {
        let seed = self.seed(k);
        let len = 8_000 + self.rng.below(32_000) as usize;
        let url = format!("{}/api/tracks/{id}/upload/c{}_{k}.mp3/", self.lb, self.n);
        let out = self
            .call(
                "upload",
                "POST",
                &url,
                Some("audio/mpeg"),
                mp3(seed, len),
                200,
            )
            .await;
        self.file_outcome(id, out, seed, len);
    }

    fn file_outcome(&mut self, id: i64, out: Outcome, seed: u64, len: usize) {
        let exp = self.tracks.get_mut(&id).unwrap();
        match out {
            Outcome::Done(_) => exp.files = vec![Some((seed, len))],
            Outcome::Unknown => exp.files.push(Some((seed, len))),
            Outcome::Failed => {}
        }
    }

    /// Presigned URL, PUT to S3, then confirm (or, `confirm` false, abandon it: the cleanup
    /// removes it once expired).
    async fn presigned(&mut self, id: i64, k: u64, confirm: bool) {
        let url = format!("{}/api/tracks/{id}/presigned-url/", self.lb);
        // The grant expires PRESIGN_EXPIRY_SECS after the server minted it, at the earliest
        // this many seconds after now.
        let asked = Instant::now();
        let Outcome::Done(r) = self
            .call(
                "presign",
                "POST",
                &url,
                Some("application/json"),
                Vec::new(),
                201,
            )
            .await
        else {
            return;
        };
        let p = r.json();
        let seed = self.seed(k);
        let len = 8_000 + self.rng.below(32_000) as usize;
        let put = p["url"].as_str().unwrap_or_default().to_owned();
        let Outcome::Done(_) = self
            .call("presigned PUT", "PUT", &put, None, mp3(seed, len), 200)
            .await
        else {
            return;
        };
        if !confirm {
            return;
        }
        let url = format!("{}/api/tracks/{id}/confirm-upload/", self.lb);
        let body = json!({"key": p["key"]}).to_string().into_bytes();
        // A machine slow enough (the kill and restart, a loaded CI host) may reach the confirm
        // after the grant expired: then "expired" is the right answer, and the file is not
        // bound. Before the earliest possible expiry, it is a failure like any other.
        let headers = [
            ("accept", "application/json"),
            ("content-type", "application/json"),
        ];
        let auth = format!("Token {}", self.token);
        let mut all = headers.to_vec();
        all.push(("authorization", auth.as_str()));
        let result = self.http.send("POST", &url, &all, body).await;
        let expired_in_flight = asked.elapsed() >= Duration::from_secs(PRESIGN_EXPIRY_SECS);
        if let Ok(r) = &result
            && r.status == 409
            && expired_in_flight
            && r.text().contains("Unknown or expired upload key.")
        {
            let mut stats = self.stats.lock().unwrap();
            *stats.ops.entry("confirm").or_default() += 1;
            *stats.ops.entry("confirm after expiry").or_default() += 1;
            return;
        }
        let out = self.outcome("confirm", "POST", &url, 200, result);
        self.file_outcome(id, out, seed, len);
    }

    async fn read(&mut self, id: i64) {
        let url = format!("{}/api/tracks/{id}/", self.lb);
        if let Outcome::Done(r) = self.call("read", "GET", &url, None, Vec::new(), 200).await {
            let title = r.json()["title"].as_str().unwrap_or_default().to_owned();
            let exp = &self.tracks[&id];
            if !exp.titles.contains(&title) {
                self.stats.lock().unwrap().bad.push(format!(
                    "client {} read track {id}: title {title:?}, expected one of {:?}",
                    self.n, exp.titles
                ));
            }
        }
    }
}

/// Reads every track the load made back through the balancer: what each may look like.
async fn check_tracks(lb: &str, admin: &App, expected: BTreeMap<i64, Expect>) -> Vec<String> {
    let auth = format!("Token {}", admin.admin_token());
    let expected: Vec<(i64, Expect)> = expected.into_iter().collect();
    let chunks: Vec<Vec<(i64, Expect)>> = {
        let mut chunks: Vec<Vec<(i64, Expect)>> = (0..CLIENTS).map(|_| Vec::new()).collect();
        for (i, item) in expected.into_iter().enumerate() {
            chunks[i % CLIENTS].push(item);
        }
        chunks
    };
    let mut tasks = Vec::new();
    for chunk in chunks {
        let lb = lb.to_owned();
        let auth = auth.clone();
        tasks.push(tokio::spawn(async move {
            let http = LoadClient::default();
            let headers = [
                ("accept", "application/json"),
                ("authorization", auth.as_str()),
            ];
            let mut failures = Vec::new();
            for (id, exp) in chunk {
                let r = match http
                    .send("GET", &format!("{lb}/api/tracks/{id}/"), &headers, "")
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(format!("GET track {id}: {e}"));
                        continue;
                    }
                };
                match r.status {
                    404 if exp.deleted.contains(&true) => continue,
                    404 => {
                        failures.push(format!("track {id} is gone: {exp:?}"));
                        continue;
                    }
                    200 if !exp.deleted.contains(&false) => {
                        failures.push(format!("track {id} was deleted, yet is there"));
                        continue;
                    }
                    200 => {}
                    other => {
                        failures.push(format!("GET track {id}: {other} {}", r.text()));
                        continue;
                    }
                }
                let track: Value = r.json();
                let title = track["title"].as_str().unwrap_or_default().to_owned();
                if !exp.titles.contains(&title) {
                    failures.push(format!(
                        "track {id}: title {title:?}, not one of {:?}",
                        exp.titles
                    ));
                }
                if track["file"].is_null() {
                    if !exp.files.contains(&None) {
                        failures.push(format!("track {id} lost its file: {:?}", exp.files));
                    }
                    continue;
                }
                let file = match http
                    .send("GET", &format!("{lb}/api/tracks/{id}/file/"), &headers, "")
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(format!("GET file of track {id}: {e}"));
                        continue;
                    }
                };
                if file.status != 200 {
                    failures.push(format!("GET file of track {id}: {}", file.status));
                    continue;
                }
                let matches = exp
                    .files
                    .iter()
                    .flatten()
                    .any(|(seed, len)| file.body.as_ref() == mp3(*seed, *len).as_slice());
                if !matches {
                    failures.push(format!(
                        "track {id}: its file ({} bytes) is none of the uploads {:?}",
                        file.body.len(),
                        exp.files
                    ));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.expect("a checking task"));
    }
    failures
}

/// No warning or error about the cleanup (or the sweep) and no panic in the logs; and no
/// expired upload removed by both instances (the cleanup claims its rows).
fn check_logs(logs: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut removed: HashMap<String, usize> = HashMap::new();
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text.lines() {
            let lower = line.to_lowercase();
            let serious = line.contains("ERROR") || line.contains("WARN");
            if (serious && (lower.contains("cleanup") || lower.contains("sweep")))
                || lower.contains("panicked")
            {
                failures.push(format!("{}: {line}", log.display()));
            }
            if lower.contains("removed an expired")
                && let Some(key) = line.split("key=").nth(1)
            {
                let key = key.split_whitespace().next().unwrap_or_default();
                *removed.entry(key.trim_matches('"').to_owned()).or_default() += 1;
            }
        }
    }
    let twice: Vec<&String> = removed
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    println!(
        "scale: the cleanup removed {} expired uploads; {} of them twice",
        removed.len(),
        twice.len()
    );
    if !twice.is_empty() {
        failures.push(format!(
            "expired uploads removed by both instances: {twice:?}"
        ));
    }
    failures
}
