//! End-to-end test support: starts the real `example-app` binary on a free loopback port and
//! talks to it over real HTTP with hyper's client.
//!
//! The suite itself is in `tests/e2e/`, registered as an integration test of `example-app` so
//! that cargo builds the binary first and tells the suite where it is.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A running example-app process; killed when dropped.
pub struct App {
    child: Child,
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
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
}

impl App {
    /// Starts the binary at `bin` on `127.0.0.1:0`, with extra flags, and waits until it
    /// prints its address. The suite passes `env!("CARGO_BIN_EXE_example-app")`.
    pub fn start(bin: &str, args: &[&str]) -> Self {
        let mut child = Command::new(bin)
            .args(["--bind", "127.0.0.1:0", "--log", "warn"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start example-app");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the app's first line");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in the app's first line: {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            child,
            base,
            client,
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:43121`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body.into())).expect("valid request");
        let res = tokio::time::timeout(Duration::from_secs(30), self.client.request(req))
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

    /// `GET path` with headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, Bytes::new()).await
    }

    /// `POST path` with a `Content-Type` and a body.
    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<Bytes>) -> Reply {
        self.send("POST", path, &[("content-type", content_type)], body)
            .await
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

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
