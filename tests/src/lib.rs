//! End-to-end test support: starts the real `example-app` binary on a free loopback port and
//! talks to it over real HTTP with hyper's client.
//!
//! The suite itself is in `tests/e2e/`, registered as an integration test of `example-app` so
//! that cargo builds the binary first and tells the suite where it is.
//!
//! Each app gets a database of its own: a fresh SQLite file in a temporary directory, or a
//! fresh database in the PostgreSQL cluster named by [`POSTGRES_URL_VAR`].
//!
//! Every app has a superuser, [`ADMIN_USERNAME`], made with the real `createsuperuser` command
//! before the server starts, and its throttles are off unless a test turns one on. Requests
//! made with [`App::send`] and friends carry the superuser's token (`Authorization: Token …`)
//! unless they name their own `authorization` header; [`App::anonymous`] and
//! [`App::as_token`] give a [`Caller`] that sends no credentials or another user's, and
//! [`App::create_user`] makes such a user. An app without those (the quickstart) starts with
//! [`App::start_without_auth`]:
//!
//! ```no_run
//! # async fn demo(app: &restframe_tests::App) {
//! let (_id, token) = app.create_user("ada", "correct horse battery").await;
//! assert_eq!(app.anonymous().delete("/api/tracks/1/").await.status, 401);
//! assert_eq!(app.as_token(&token).get("/api/tracks/", &[]).await.status, 200);
//! # }
//! ```
//!
//! [`module_graph`] checks that no import cycle joins the top-level modules of the framework or
//! the example app.

pub mod module_graph;
pub mod restframe_names;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The environment variable naming a PostgreSQL cluster for the tests
/// (`postgresql://postgres@127.0.0.1:55432/restframe_test`); `./tests/run-all` starts one and
/// sets it.
pub const POSTGRES_URL_VAR: &str = "RESTFRAME_TEST_POSTGRES_URL";

/// The username of the superuser every [`App`] has (`is_staff`), made by `createsuperuser`.
pub const ADMIN_USERNAME: &str = "admin";

/// The password of [`ADMIN_USERNAME`].
pub const ADMIN_PASSWORD: &str = "admin-e2e-password";

/// The throttle rates the harness turns `off` for the child (each also a `--throttle-*`
/// flag) unless the test sets the variable itself; a flag beats the variable anyway.
const THROTTLE_VARS: [&str; 3] = [
    "EXAMPLE_APP_THROTTLE_ANON",
    "EXAMPLE_APP_THROTTLE_USER",
    "EXAMPLE_APP_THROTTLE_UPLOADS",
];

/// Which database an app under test uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory (the app's embedded default).
    Sqlite,
    /// A fresh database in the cluster at [`POSTGRES_URL_VAR`].
    Postgres,
}

/// A running example-app process; killed, and its temporary directory removed, when dropped.
pub struct App {
    child: Child,
    base: String,
    client: HttpClient,
    dir: PathBuf,
    bin: String,
    database_url: String,
    token: Option<String>,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// An HTTP/1 client whose connections leave from `local` (any loopback address works on
/// Linux: `127.0.0.0/8` is all loopback), or from the system's choice.
fn http_client(local: Option<IpAddr>) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_local_address(local);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// A fresh, empty directory under the system's temporary directory.
fn fresh_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "restframe-e2e-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// Creates a fresh database in the cluster at [`POSTGRES_URL_VAR`] with `psql`, and returns
/// its URL.
fn fresh_postgres_database(dir: &std::path::Path) -> String {
    let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!("{POSTGRES_URL_VAR} is not set: run ./tests/run-all, which starts PostgreSQL")
    });
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 directory name")
        .replace('-', "_");
    let status = Command::new("psql")
        .args([url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .status()
        .expect("run psql (PostgreSQL's client) to create a test database");
    assert!(status.success(), "psql could not create database {name}");
    let (server, _db) = url
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("{POSTGRES_URL_VAR} has no database part: {url}"));
    format!("{server}/{name}")
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// A header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Every `Set-Cookie` header, as text.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The whole `Set-Cookie` header that sets cookie `name` (attributes included), if any.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.split_once('=').is_some_and(|(n, _)| n.trim() == name))
    }

    /// The value `Set-Cookie` gives cookie `name` (without its attributes), if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.set_cookie(name)?;
        let (_, rest) = header.split_once('=')?;
        Some(rest.split(';').next().unwrap_or("").trim().to_owned())
    }
}

/// Runs `bin createsuperuser` against `database_url` with `password` on stdin, to its end.
pub fn run_createsuperuser(
    bin: &str,
    database_url: &str,
    username: &str,
    password: &str,
) -> std::process::Output {
    let mut child = Command::new(bin)
        .args(["createsuperuser", "--database-url", database_url])
        .args(["--username", username, "--email"])
        .arg(format!("{username}@example.org"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run example-app createsuperuser");
    if let Some(mut stdin) = child.stdin.take() {
        // The command may exit before it reads (the user exists): ignore a broken pipe.
        let _ = writeln!(stdin, "{password}");
    }
    // A binary without the command may take it for the server and never exit.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{bin} createsuperuser` did not exit within 60 s (a binary without the command: \
                 start it with App::start_without_auth)"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
        .wait_with_output()
        .expect("wait for example-app createsuperuser")
}

/// `POST /api/auth/token/` with the credentials, over a plain blocking connection (the app
/// is started from synchronous code); the token, or a panic with the reply.
fn obtain_token_blocking(base: &str, username: &str, password: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the app");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set a read timeout");
    write!(
        stream,
        "POST /api/auth/token/ HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send the token request");
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .expect("read the token reply");
    let token = reply
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
        .and_then(|v| v["token"].as_str().map(str::to_owned));
    token.unwrap_or_else(|| panic!("no token for {username} from POST /api/auth/token/:\n{reply}"))
}

impl App {
    /// Starts the binary at `bin` on `127.0.0.1:0` with a fresh SQLite database, with extra
    /// flags, and waits until it prints its address. The suite passes
    /// `env!("CARGO_BIN_EXE_example-app")`.
    pub fn start(bin: &str, args: &[&str]) -> Self {
        Self::start_on(bin, Backend::Sqlite, args)
    }

    /// Starts the binary on a fresh SQLite database with extra flags and environment
    /// variables for the child process only.
    pub fn start_with_env(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::launch(bin, Backend::Sqlite, args, env, true)
    }

    /// Starts the binary with a fresh database of `backend`.
    pub fn start_on(bin: &str, backend: Backend, args: &[&str]) -> Self {
        Self::launch(bin, backend, args, &[], true)
    }

    /// Starts a binary that has no `createsuperuser` and no `/api/auth/token/` (the
    /// quickstart) on a fresh SQLite database: no superuser, no throttle variables, and every
    /// request anonymous.
    pub fn start_without_auth(bin: &str, args: &[&str]) -> Self {
        Self::launch(bin, Backend::Sqlite, args, &[], false)
    }

    fn launch(
        bin: &str,
        backend: Backend,
        args: &[&str],
        env: &[(&str, &str)],
        auth: bool,
    ) -> Self {
        let dir = fresh_dir();
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.join("db.sqlite3").display()),
            Backend::Postgres => fresh_postgres_database(&dir),
        };
        let mut command = Command::new(bin);
        if auth {
            let created = run_createsuperuser(bin, &database_url, ADMIN_USERNAME, ADMIN_PASSWORD);
            assert!(
                created.status.success(),
                "createsuperuser failed ({}): {}{}",
                created.status,
                String::from_utf8_lossy(&created.stdout),
                String::from_utf8_lossy(&created.stderr)
            );
            for var in THROTTLE_VARS {
                if !env.iter().any(|(k, _)| *k == var) {
                    command.env(var, "off");
                }
            }
        }
        let mut child = command
            .args(["--bind", "127.0.0.1:0", "--log", "warn"])
            .arg("--database-url")
            .arg(&database_url)
            .arg("--media-root")
            .arg(dir.join("media"))
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start example-app");
        let (base, line) = listening_url(&mut child);
        let base = base.unwrap_or_else(|| panic!("no URL in the app's first line: {line:?}"));
        let token = auth.then(|| obtain_token_blocking(&base, ADMIN_USERNAME, ADMIN_PASSWORD));
        Self {
            child,
            base,
            client: http_client(None),
            dir,
            bin: bin.to_owned(),
            database_url,
            token,
        }
    }

    /// The binary this app runs (for running its other commands).
    pub fn bin(&self) -> &str {
        &self.bin
    }

    /// The app's `--database-url`.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The token of [`ADMIN_USERNAME`] that [`App::send`] and friends send by default;
    /// panics for an app started with [`App::start_without_auth`].
    pub fn admin_token(&self) -> &str {
        self.token
            .as_deref()
            .expect("an app started without auth has no superuser token")
    }

    /// A caller that sends no credentials.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            app: self,
            authorization: None,
            client: self.client.clone(),
        }
    }

    /// A caller that sends `Authorization: Token <key>`.
    pub fn as_token(&self, key: &str) -> Caller<'_> {
        Caller {
            app: self,
            authorization: Some(format!("Token {key}")),
            client: self.client.clone(),
        }
    }

    /// The superuser's caller: what [`App::send`] and friends use (anonymous for an app
    /// started with [`App::start_without_auth`]).
    pub fn admin(&self) -> Caller<'_> {
        match &self.token {
            Some(token) => self.as_token(token),
            None => self.anonymous(),
        }
    }

    /// Obtains a new token for `username` with `POST /api/auth/token/`; panics unless 200.
    pub async fn obtain_token(&self, username: &str, password: &str) -> String {
        let r = self
            .anonymous()
            .post(
                "/api/auth/token/",
                "application/json",
                serde_json::json!({"username": username, "password": password}).to_string(),
            )
            .await;
        assert_eq!(r.status, 200, "token for {username}: {}", r.text());
        r.json()["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token for {username}: {}", r.text()))
            .to_owned()
    }

    /// Registers a user anonymously with `POST /api/users/` (email `NAME@example.org`), then
    /// obtains a token for them: their id and token. Panics unless both succeed.
    pub async fn create_user(&self, username: &str, password: &str) -> (i64, String) {
        let body = serde_json::json!({
            "username": username,
            "email": format!("{username}@example.org"),
            "password": password,
        });
        let r = self
            .anonymous()
            .post("/api/users/", "application/json", body.to_string())
            .await;
        assert_eq!(r.status, 201, "create user {username}: {}", r.text());
        let id = r.json()["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id for {username}: {}", r.text()));
        (id, self.obtain_token(username, password).await)
    }

    /// The app's temporary directory (its SQLite file and media root live here).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The base URL, e.g. `http://127.0.0.1:43121`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request as the superuser (see [`App::admin`]) and reads the whole response.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        self.admin().send(method, path, headers, body).await
    }

    /// Sends a request to an absolute URL (a presigned one, say) with no headers of ours, so
    /// no credentials either.
    pub async fn send_to_url(&self, method: &str, url: &str, body: impl Into<Bytes>) -> Reply {
        exchange(&self.client, method, url, &[], body.into()).await
    }

    /// `GET path` with headers, as the superuser.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.admin().get(path, headers).await
    }

    /// `POST path` with a `Content-Type` and a body, as the superuser.
    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<Bytes>) -> Reply {
        self.admin().post(path, content_type, body).await
    }

    /// A request with a body of `content_type`, as the superuser.
    pub async fn send_body(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Reply {
        self.admin()
            .send_body(method, path, content_type, body)
            .await
    }

    /// `DELETE path`, as the superuser.
    pub async fn delete(&self, path: &str) -> Reply {
        self.admin().delete(path).await
    }

    /// Sends SIGTERM and waits (up to `timeout`) for the process to exit.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// Sends one request and reads the whole response (30 s at most).
async fn exchange(
    client: &HttpClient,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Reply {
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body)).expect("valid request");
    let res = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .expect("response within 30 s")
        .expect("HTTP exchange");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("read body").to_bytes();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// One identity talking to an [`App`]: anonymous ([`App::anonymous`]) or a token's user
/// ([`App::as_token`], [`App::admin`]). Cheap to make; its requests carry
/// `Authorization: Token <key>` when it has a token, unless the request names its own
/// `authorization` header.
#[derive(Clone)]
pub struct Caller<'a> {
    app: &'a App,
    authorization: Option<String>,
    client: HttpClient,
}

impl Caller<'_> {
    /// The same caller, its connections leaving from `ip` (a loopback address such as
    /// `127.0.0.7`): a client address of its own, so a budget of the anonymous throttle
    /// (keyed by address) of its own.
    pub fn from_ip(mut self, ip: IpAddr) -> Self {
        self.client = http_client(Some(ip));
        self
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(auth) = &self.authorization
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            all.push(("authorization", auth));
        }
        let url = format!("{}{path}", self.app.base);
        exchange(&self.client, method, &url, &all, body.into()).await
    }

    /// `GET path` with headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, Bytes::new()).await
    }

    /// `POST path` with a `Content-Type` and a body.
    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<Bytes>) -> Reply {
        self.send("POST", path, &[("content-type", content_type)], body)
            .await
    }

    /// A request with a body of `content_type`.
    pub async fn send_body(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Reply {
        self.send(method, path, &[("content-type", content_type)], body)
            .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, &[], Bytes::new()).await
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The repository (workspace) root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in a workspace")
        .to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the workspace root when it is
/// relative), else `target/` in the workspace root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// A fresh (emptied) directory `target/browser-screenshots/<test>/` for a browser test's
/// screenshots, kept after the run for people to look at.
pub fn screenshot_dir(test: &str) -> PathBuf {
    let dir = target_dir().join("browser-screenshots").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// The value of the environment variable `name`, which `./tests/run-all` sets; panics, saying
/// how to get it (`how`), when it is not set. For `#[ignore]`d tests that need a tool.
#[track_caller]
pub fn required_env(name: &str, how: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{name} is not set: {how}"),
    }
}

/// How an external tool run ended (see [`run_tool`]).
#[derive(Debug)]
pub struct ToolRun {
    /// The command line, for messages.
    pub command: String,
    /// Its exit status.
    pub status: ExitStatus,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl ToolRun {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The command, its status and everything it printed: for a failure message.
    pub fn report(&self) -> String {
        format!(
            "`{}` exited with {} after {:.1} s\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.status,
            self.elapsed.as_secs_f64(),
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Runs `cmd` (stdin empty, stdout and stderr captured) to its end. After `timeout` it gets
/// SIGTERM (so a browser driver can close its browser), SIGKILL 5 s later, and the test panics
/// with what it printed so far.
#[track_caller]
pub fn run_tool(cmd: &mut Command, timeout: Duration) -> ToolRun {
    use std::io::Read;

    let command = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not run `{command}`: {e}"));
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = start + timeout;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for a tool") {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let grace = Instant::now() + Duration::from_secs(5);
            while Instant::now() < grace {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            break child.wait().expect("wait for a killed tool");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = ToolRun {
        command,
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    };
    assert!(
        !timed_out,
        "timed out after {} s and was stopped: {}",
        timeout.as_secs(),
        run.report()
    );
    run
}

impl App {
    /// Sends a request to an absolute URL (a presigned one, say) with these headers only, no
    /// credentials: a presigned `PUT` with the `Content-Type` an uploader chose, for example.
    pub async fn send_to_url_with(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        exchange(&self.client, method, url, headers, body.into()).await
    }
}

/// Crashes and restarts, for the tests of what a crash leaves behind.
impl App {
    /// Kills the process with SIGKILL (`kill -9`: no shutdown, no cleanup) and waits for it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the binary again on the same database and media root (after [`App::kill9`]),
    /// with extra flags and environment variables for it alone, and waits until it listens;
    /// the base URL is the new one.
    pub fn restart(&mut self, args: &[&str], env: &[(&str, &str)]) {
        let mut command = Command::new(&self.bin);
        if self.token.is_some() {
            for var in THROTTLE_VARS {
                command.env(var, "off");
            }
        }
        let mut child = command
            .args(["--bind", "127.0.0.1:0", "--log", "warn"])
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--media-root")
            .arg(self.dir.join("media"))
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("restart example-app");
        let (base, line) = listening_url(&mut child);
        self.base = base.unwrap_or_else(|| panic!("no URL in the app's first line: {line:?}"));
        self.child = child;
    }
}

impl App {
    /// The process id of the running app.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The app's peak resident set size so far, in bytes (`VmHWM` in `/proc/PID/status`);
    /// `None` where there is no such file (not Linux).
    pub fn peak_rss(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line
            .trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    }
}

/// How to start one instance of a multi-instance test with [`App::start_instance`]: unlike
/// [`App::start_on`], the database is given (several instances share it), the address too (an
/// instance restarted after `kill -9` keeps its port), and the app's log goes to a file.
pub struct InstanceSpec<'a> {
    /// The example-app binary.
    pub bin: &'a str,
    /// The shared `--database-url` (see [`fresh_postgres_url`]); its superuser must exist
    /// already ([`run_createsuperuser`] once for all instances).
    pub database_url: &'a str,
    /// `--bind`: `127.0.0.1:0` for a free port, or the port of an instance being restarted.
    pub bind: &'a str,
    /// Extra flags (`--media-root` too; otherwise a directory of the instance's own).
    pub args: &'a [&'a str],
    /// Environment variables for the child only (the throttle variables default to `off`, as
    /// for every [`App`]).
    pub env: &'a [(&'a str, &'a str)],
    /// The file the app's stderr (its log) is appended to.
    pub log: &'a std::path::Path,
    /// The superuser's token for [`App::send`] and friends; one is obtained when `None`.
    pub token: Option<&'a str>,
}

/// A fresh, empty database in the cluster at [`POSTGRES_URL_VAR`], for several instances to
/// share: its URL.
pub fn fresh_postgres_url() -> String {
    let dir = fresh_dir();
    let url = fresh_postgres_database(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    url
}

impl App {
    /// Starts one instance as `spec` says, waits until it prints its address, and returns it
    /// (killed when dropped).
    pub fn start_instance(spec: &InstanceSpec<'_>) -> Self {
        let dir = fresh_dir();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(spec.log)
            .unwrap_or_else(|e| panic!("open the log {}: {e}", spec.log.display()));
        let mut command = Command::new(spec.bin);
        for var in THROTTLE_VARS {
            if !spec.env.iter().any(|(k, _)| *k == var) {
                command.env(var, "off");
            }
        }
        command
            .args(["--bind", spec.bind, "--database-url", spec.database_url])
            .args(spec.args);
        if !spec.args.contains(&"--media-root") {
            command.arg("--media-root").arg(dir.join("media"));
        }
        let mut child = command
            .envs(spec.env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start example-app");
        let (base, line) = listening_url(&mut child);
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(spec.log).unwrap_or_default();
            panic!("no URL in the app's first line: {line:?}; its log:\n{log}");
        };
        let token = match spec.token {
            Some(token) => token.to_owned(),
            None => obtain_token_blocking(&base, ADMIN_USERNAME, ADMIN_PASSWORD),
        };
        Self {
            child,
            base,
            client: http_client(None),
            dir,
            bin: spec.bin.to_owned(),
            database_url: spec.database_url.to_owned(),
            token: Some(token),
        }
    }

    /// The address it listens on, e.g. `127.0.0.1:43121`.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }
}

/// An HTTP client for load: unlike [`App::send`], a failed exchange (refused, cut, no answer
/// within 30 s) is an `Err` saying what happened, not a panic. Clones share connections.
#[derive(Clone)]
pub struct LoadClient {
    client: HttpClient,
}

impl Default for LoadClient {
    fn default() -> Self {
        Self {
            client: http_client(None),
        }
    }
}

impl LoadClient {
    /// Sends one request to an absolute URL and reads the whole response.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        let mut req = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(body.into()))
            .map_err(|e| format!("bad request: {e}"))?;
        let exchange = async {
            let res = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let (parts, body) = res.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| format!("reading the body: {e}"))?
                .to_bytes();
            Ok(Reply {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .map_err(|_| "no response within 30 s".to_owned())?
    }
}

/// The base URL the app prints on its first line ("… listening on http://ADDR/"), without
/// the trailing slash, and that line (for messages).
fn listening_url(child: &mut Child) -> (Option<String>, String) {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the app's first line");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_end_matches('/').to_owned());
    (base, line)
}
