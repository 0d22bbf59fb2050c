//! Uploads end to end through the streaming parsers: multipart forms with text fields and files,
//! raw bodies, spilling to disk, limits, malformed bodies, and memory that stays flat however
//! large the upload.
//!
//! Bodies are fed as streams of chunks, as the framework hands them over; chunk sizes that do
//! not divide anything evenly make boundaries and headers straddle chunks.

#![cfg(all(feature = "multipart", feature = "upload"))]
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_executor::block_on;
use futures_util::stream;
use restframe_parsers::{
    BodyStream, BoxError, FileUploadParser, Mime, MultiPartParser, ParseContext, ParseError,
    ParseErrorKind, Parsed, Parser, ParserLimits, sanitize_filename,
};
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "----restframe7MA4YWxkTrZu0gW";

fn multipart_type() -> Mime {
    format!("multipart/form-data; boundary={BOUNDARY}")
        .parse()
        .unwrap()
}

fn text_part(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

/// A file part; `params` follow `form-data; ` in its `Content-Disposition`.
fn file_part(params: &str, content_type: &str, content: &[u8]) -> Vec<u8> {
    let mut part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; {params}\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(content);
    part.extend_from_slice(b"\r\n");
    part
}

fn closing() -> Vec<u8> {
    format!("--{BOUNDARY}--\r\n").into_bytes()
}

/// The body in chunks of `size` bytes.
fn chunked(body: Vec<u8>, size: usize) -> BodyStream<'static> {
    let chunks: Vec<Result<Bytes, BoxError>> = body
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(stream::iter(chunks))
}

fn multipart(body: Vec<u8>, ctx: ParseContext<'_>) -> Result<Parsed, ParseError> {
    block_on(MultiPartParser::new().parse_stream(chunked(body, 997), ctx))
}

fn raw(body: Vec<u8>, ctx: ParseContext<'_>) -> Result<Parsed, ParseError> {
    block_on(FileUploadParser::new().parse_stream(chunked(body, 997), ctx))
}

/// What is in a directory.
fn entries(dir: &Path) -> Vec<OsString> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic, incompressible-looking test bytes.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn two_fields_and_two_files_small_in_memory_large_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let ct = multipart_type();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(64 * 1024));
    let small = b"small file".to_vec();
    let large = noise(200_000, 7);
    let body = [
        text_part("title", "Kind of Blue"),
        file_part(
            "name=\"notes\"; filename=\"notes.txt\"",
            "text/plain",
            &small,
        ),
        text_part("year", "1959"),
        file_part(
            "name=\"master\"; filename=\"master.wav\"",
            "audio/wav",
            &large,
        ),
        closing(),
    ]
    .concat();
    let parsed = multipart(body, ctx).unwrap();

    assert_eq!(
        parsed.to_value().unwrap(),
        serde_json::json!({"title": "Kind of Blue", "year": "1959"})
    );
    assert_eq!(parsed.files().len(), 2);

    let notes = parsed.file("notes").unwrap();
    assert_eq!(notes.filename(), "notes.txt");
    assert_eq!(notes.content_type(), &mime::TEXT_PLAIN);
    assert!(notes.is_in_memory());
    assert_eq!(notes.bytes().unwrap().as_ref(), &small[..]);
    assert_eq!(notes.path(), None);

    let master = parsed.file("master").unwrap();
    assert_eq!(master.filename(), "master.wav");
    assert_eq!(master.content_type().essence_str(), "audio/wav");
    assert_eq!(master.size(), 200_000);
    assert!(!master.is_in_memory());
    assert_eq!(master.bytes(), None);
    let path: PathBuf = master.path().unwrap().to_owned();
    assert!(path.starts_with(tmp.path()));
    assert!(path.exists());
    assert_eq!(std::fs::read(&path).unwrap(), large);
    let mut read_back = Vec::new();
    std::io::Read::read_to_end(&mut master.open().unwrap(), &mut read_back).unwrap();
    assert_eq!(read_back, large);

    drop(parsed);
    assert!(!path.exists());
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn text_fields_deserialize_into_a_struct() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Track {
        title: String,
        year: u16,
        explicit: bool,
        tags: Vec<String>,
        rating: Option<f32>,
        label: Option<String>,
    }
    let ct = multipart_type();
    let body = [
        text_part("title", "So What"),
        text_part("year", "1959"),
        text_part("explicit", "off"),
        text_part("tags", "jazz"),
        file_part("name=\"cover\"; filename=\"c.png\"", "image/png", b"png"),
        text_part("tags", "modal"),
        text_part("rating", ""),
        closing(),
    ]
    .concat();
    let parsed = multipart(body, ParseContext::new(&ct)).unwrap();
    assert_eq!(
        parsed.deserialize::<Track>().unwrap(),
        Track {
            title: "So What".into(),
            year: 1959,
            explicit: false,
            tags: vec!["jazz".into(), "modal".into()],
            rating: None,
            label: None,
        }
    );
    let err = parsed.deserialize::<Vec<u8>>().unwrap_err();
    assert!(err.message().contains("invalid type"), "{err}");
}

#[test]
fn sha256_is_that_of_the_bytes_in_memory_and_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let ct = multipart_type();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(1000));
    let big = noise(5_000, 3);
    let body = [
        file_part("name=\"a\"; filename=\"abc.txt\"", "text/plain", b"abc"),
        file_part(
            "name=\"b\"; filename=\"big.bin\"",
            "application/octet-stream",
            &big,
        ),
        file_part("name=\"c\"; filename=\"empty.txt\"", "text/plain", b""),
        closing(),
    ]
    .concat();
    let parsed = multipart(body, ctx).unwrap();
    // The FIPS 180-2 test vector.
    assert_eq!(
        parsed.file("a").unwrap().sha256(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let b = parsed.file("b").unwrap();
    assert!(!b.is_in_memory());
    assert_eq!(b.sha256(), sha256_hex(&big));
    assert_eq!(
        parsed.file("c").unwrap().sha256(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn the_memory_threshold_is_shared_by_a_requests_files() {
    let tmp = tempfile::tempdir().unwrap();
    let ct = multipart_type();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(1000));
    let body = [
        file_part(
            "name=\"a\"; filename=\"a.bin\"",
            "application/octet-stream",
            &[1; 600],
        ),
        file_part(
            "name=\"b\"; filename=\"b.bin\"",
            "application/octet-stream",
            &[2; 600],
        ),
        file_part(
            "name=\"c\"; filename=\"c.bin\"",
            "application/octet-stream",
            &[3; 400],
        ),
        closing(),
    ]
    .concat();
    let parsed = multipart(body, ctx).unwrap();
    let in_memory: Vec<bool> = parsed.files().iter().map(|f| f.is_in_memory()).collect();
    // 600 fits; 600 more would make 1200; 400 more makes exactly 1000.
    assert_eq!(in_memory, [true, false, true]);
}

#[test]
fn filename_star_is_preferred_over_filename() {
    let ct = multipart_type();
    let body = [
        file_part(
            "name=\"f\"; filename=\"ascii.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
            "text/plain",
            b"x",
        ),
        file_part(
            "name=\"g\"; filename*=UTF-8''na%C3%AFve.txt; filename=\"ascii.txt\"",
            "text/plain",
            b"y",
        ),
        closing(),
    ]
    .concat();
    let parsed = multipart(body, ParseContext::new(&ct)).unwrap();
    assert_eq!(parsed.file("f").unwrap().filename(), "日本.txt");
    assert_eq!(parsed.file("g").unwrap().filename(), "naïve.txt");

    let ct = mime::APPLICATION_PDF;
    let ctx = ParseContext::new(&ct).with_content_disposition(
        "attachment; filename=\"EURO rates.pdf\"; filename*=utf-8''%e2%82%ac%20rates.pdf",
    );
    let parsed = raw(b"%PDF-1.7".to_vec(), ctx).unwrap();
    assert_eq!(parsed.file("file").unwrap().filename(), "€ rates.pdf");
}

#[test]
fn path_traversal_filenames_are_sanitised() {
    let ct = multipart_type();
    let names = [
        ("a", "../../etc/passwd", "passwd"),
        ("b", r"..\\..\\windows\\win.ini", "win.ini"),
        ("c", "/var/www/.htaccess", "htaccess"),
        ("d", r"C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("e", "..%2F..%2Fsecret", "..%2F..%2Fsecret"),
    ];
    let mut body: Vec<u8> = names
        .iter()
        .flat_map(|(field, filename, _)| {
            file_part(
                &format!("name=\"{field}\"; filename=\"{filename}\""),
                "text/plain",
                b"x",
            )
        })
        .collect();
    body.extend(closing());
    let parsed = multipart(body, ParseContext::new(&ct)).unwrap();
    for (field, sent, kept) in names {
        let kept = sanitize_filename(kept).unwrap_or_default();
        assert_eq!(parsed.file(field).unwrap().filename(), kept, "{sent}");
    }
    // `%2F` is not decoded in a plain `filename`: no separator, so no traversal; the dots go.
    assert_eq!(parsed.file("e").unwrap().filename(), "%2F.%2Fsecret");

    let ct = mime::TEXT_PLAIN;
    let ctx = ParseContext::new(&ct).with_filename_hint("../../../../root/.ssh/authorized_keys");
    let parsed = raw(b"ssh-ed25519 AAAA".to_vec(), ctx).unwrap();
    assert_eq!(parsed.files()[0].filename(), "authorized_keys");
    let ctx = ParseContext::new(&ct)
        .with_content_disposition("attachment; filename*=UTF-8''..%2F..%2F.bashrc");
    let parsed = raw(b"x".to_vec(), ctx).unwrap();
    assert_eq!(parsed.files()[0].filename(), "bashrc");
}

/// A body whose first part is a file spilled to disk, then `rest`.
fn spilled_then(rest: Vec<Vec<u8>>) -> Vec<u8> {
    let mut body = file_part(
        "name=\"first\"; filename=\"first.bin\"",
        "application/octet-stream",
        &noise(4096, 11),
    );
    for part in rest {
        body.extend(part);
    }
    body
}

#[test]
fn each_limit_is_too_large_and_leaves_no_temp_file() {
    let small = || ParserLimits::default().memory_threshold(1024);
    let cases: Vec<(&str, ParserLimits, Vec<u8>, &str)> = vec![
        (
            "max_file_bytes",
            small().max_file_bytes(10_000),
            spilled_then(vec![
                file_part("name=\"big\"; filename=\"big.bin\"", "x/y", &[0; 10_001]),
                closing(),
            ]),
            "file \"big.bin\" larger than 10000 bytes",
        ),
        (
            "max_file_bytes, the file that spilled",
            small().max_file_bytes(4095),
            spilled_then(vec![closing()]),
            "file \"first.bin\" larger than 4095 bytes",
        ),
        (
            "max_field_bytes",
            small().max_field_bytes(100),
            spilled_then(vec![text_part("bio", &"x".repeat(101)), closing()]),
            "field \"bio\" larger than 100 bytes",
        ),
        (
            "max_body_bytes (all text fields)",
            small().max_field_bytes(100).max_body_bytes(250),
            spilled_then(vec![
                text_part("a", &"x".repeat(100)),
                text_part("b", &"x".repeat(100)),
                text_part("c", &"x".repeat(100)),
                closing(),
            ]),
            "form fields larger than 250 bytes in total",
        ),
    ];
    let ct = multipart_type();
    for (limit, limits, body, message) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = ParseContext::new(&ct)
            .with_temp_dir(tmp.path())
            .with_limits(limits);
        let err = multipart(body, ctx).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::TooLarge, "{limit}: {err}");
        assert_eq!(err.to_string(), message, "{limit}");
        assert!(
            entries(tmp.path()).is_empty(),
            "{limit}: a temp file is left"
        );
    }

    // Too many parts is a bad request (400, as Django's `TooManyFieldsSent`), no large one.
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(small().max_parts(3));
    let body = spilled_then(vec![
        text_part("a", "1"),
        text_part("b", "2"),
        text_part("c", "3"),
        closing(),
    ]);
    let err = multipart(body, ctx).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Malformed, "{err}");
    assert_eq!(
        err.to_string(),
        "multipart parse error: more than 3 parts in a multipart body"
    );
    assert!(
        entries(tmp.path()).is_empty(),
        "max_parts: a temp file is left"
    );

    // The same for a raw upload, past the threshold.
    let tmp = tempfile::tempdir().unwrap();
    let ct = mime::APPLICATION_OCTET_STREAM;
    let ctx = ParseContext::new(&ct)
        .with_filename_hint("big.bin")
        .with_temp_dir(tmp.path())
        .with_limits(small().max_file_bytes(100_000));
    let err = raw(vec![0; 100_001], ctx).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooLarge);
    assert_eq!(err.to_string(), "file \"big.bin\" larger than 100000 bytes");
    assert!(entries(tmp.path()).is_empty());
    assert!(raw(vec![0; 100_000], ctx).is_ok());
    assert!(entries(tmp.path()).is_empty()); // dropped at once
}

#[test]
fn a_body_stream_that_fails_mid_file_leaves_no_temp_file() {
    let ct = multipart_type();
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(100));
    let head = file_part("name=\"f\"; filename=\"f.bin\"", "x/y", &[7; 5000]);
    for (failure, kind) in [
        (
            Box::new(ParseError::too_large(4000)) as BoxError,
            ParseErrorKind::TooLarge,
        ),
        ("connection reset".into(), ParseErrorKind::Body),
    ] {
        let chunks: Vec<Result<Bytes, BoxError>> =
            vec![Ok(Bytes::from(head[..3000].to_vec())), Err(failure)];
        let err =
            block_on(MultiPartParser::new().parse_stream(Box::pin(stream::iter(chunks)), ctx))
                .unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(entries(tmp.path()).is_empty());
    }
    let ct = mime::APPLICATION_OCTET_STREAM;
    let ctx = ParseContext::new(&ct)
        .with_filename_hint("f.bin")
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(100));
    let chunks: Vec<Result<Bytes, BoxError>> = vec![
        Ok(Bytes::from(vec![1; 3000])),
        Err("connection reset".into()),
    ];
    let err = block_on(FileUploadParser::new().parse_stream(Box::pin(stream::iter(chunks)), ctx))
        .unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Body);
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn malformed_multipart_is_malformed_and_leaves_no_temp_file() {
    let ct = multipart_type();
    let truncated = {
        let mut body = spilled_then(vec![]);
        body.truncate(body.len() - 100);
        body
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not multipart at all", b"title=So+What&year=1959".to_vec()),
        ("empty", Vec::new()),
        ("cut off inside a file", truncated),
        ("no closing boundary", spilled_then(vec![])),
        (
            "headers never end",
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n").into_bytes(),
        ),
        (
            "a header line that is not one",
            format!("--{BOUNDARY}\r\nnot a header\r\n\r\nx\r\n--{BOUNDARY}--\r\n").into_bytes(),
        ),
        (
            "another boundary",
            [text_part("a", "1"), b"--other--\r\n".to_vec()].concat(),
        ),
    ];
    for (what, body) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = ParseContext::new(&ct)
            .with_temp_dir(tmp.path())
            .with_limits(ParserLimits::default().memory_threshold(1024));
        let err = multipart(body, ctx).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed, "{what}: {err}");
        assert!(
            err.to_string().starts_with("multipart parse error: "),
            "{what}: {err}"
        );
        assert!(
            entries(tmp.path()).is_empty(),
            "{what}: a temp file is left"
        );
    }
}

#[test]
fn a_missing_boundary_is_malformed() {
    for ct in ["multipart/form-data", "multipart/form-data; charset=utf-8"] {
        let ct: Mime = ct.parse().unwrap();
        let body = [text_part("a", "1"), closing()].concat();
        let err = multipart(body, ParseContext::new(&ct)).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Malformed);
        assert_eq!(
            err.to_string(),
            "multipart parse error: missing boundary: send Content-Type: \
             multipart/form-data; boundary=..."
        );
    }
}

/// A body of `chunks` chunks of `CHUNK` bytes, made only when the parser asks for them, that
/// records the SHA-256 of what it made and the most bytes it had handed out beyond what had
/// reached the temporary directory: how far the parser was from flat memory.
struct Tracked {
    hasher: Arc<Mutex<Sha256>>,
    max_lag: Arc<AtomicU64>,
}

const CHUNK: usize = 64 * 1024;

fn tracked_chunks(
    chunks: usize,
    dir: &Path,
) -> (
    impl Iterator<Item = Result<Bytes, BoxError>> + Send + 'static,
    Tracked,
) {
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let max_lag = Arc::new(AtomicU64::new(0));
    let tracked = Tracked {
        hasher: hasher.clone(),
        max_lag: max_lag.clone(),
    };
    let dir = dir.to_owned();
    let mut produced = 0u64;
    let iter = (0..chunks).map(move |i| {
        let on_disk: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        max_lag.fetch_max(produced.saturating_sub(on_disk), Ordering::Relaxed);
        let chunk = Bytes::from(vec![(i % 251) as u8; CHUNK]);
        hasher.lock().unwrap().update(&chunk);
        produced += CHUNK as u64;
        Ok(chunk)
    });
    (iter, tracked)
}

impl Tracked {
    fn sha256(&self) -> String {
        let hasher = self.hasher.lock().unwrap().clone();
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[test]
fn a_64_mib_raw_upload_streams_to_disk_in_flat_memory() {
    const CHUNKS: usize = 1024; // 64 MiB
    let tmp = tempfile::tempdir().unwrap();
    let (chunks, tracked) = tracked_chunks(CHUNKS, tmp.path());
    let ct = mime::APPLICATION_OCTET_STREAM;
    let ctx = ParseContext::new(&ct)
        .with_filename_hint("big.bin")
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(1 << 20));
    let parsed =
        block_on(FileUploadParser::new().parse_stream(Box::pin(stream::iter(chunks)), ctx))
            .unwrap();
    let file = parsed.file("file").unwrap();
    assert_eq!(file.size(), 64 << 20);
    assert!(!file.is_in_memory());
    assert_eq!(
        std::fs::metadata(file.path().unwrap()).unwrap().len(),
        64 << 20
    );
    assert_eq!(file.sha256(), tracked.sha256());
    // Never more than the threshold, a write buffer and a chunk held back from the disk.
    let lag = tracked.max_lag.load(Ordering::Relaxed);
    assert!(
        lag <= (1 << 20) + 2 * CHUNK as u64,
        "{lag} bytes held in memory"
    );
    drop(parsed);
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn a_large_multipart_file_streams_to_disk_in_flat_memory() {
    const CHUNKS: usize = 256; // 16 MiB
    let tmp = tempfile::tempdir().unwrap();
    let (chunks, tracked) = tracked_chunks(CHUNKS, tmp.path());
    let head = [
        text_part("title", "Live at the Plugged Nickel"),
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"audio\"; \
             filename=\"set1.flac\"\r\nContent-Type: audio/flac\r\n\r\n"
        )
        .into_bytes(),
    ]
    .concat();
    let tail = format!("\r\n--{BOUNDARY}--\r\n").into_bytes();
    let body = std::iter::once(Ok(Bytes::from(head)))
        .chain(chunks)
        .chain(std::iter::once(Ok(Bytes::from(tail))));
    let ct = multipart_type();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(1 << 20));
    let parsed =
        block_on(MultiPartParser::new().parse_stream(Box::pin(stream::iter(body)), ctx)).unwrap();
    let file = parsed.file("audio").unwrap();
    assert_eq!(file.size(), 16 << 20);
    assert_eq!(file.sha256(), tracked.sha256());
    assert_eq!(
        parsed.to_value().unwrap()["title"],
        "Live at the Plugged Nickel"
    );
    let lag = tracked.max_lag.load(Ordering::Relaxed);
    assert!(
        lag <= (1 << 20) + 2 * CHUNK as u64,
        "{lag} bytes held in memory"
    );
}

#[test]
fn a_spilled_file_persists_by_rename_and_outlives_the_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let ct = multipart_type();
    let ctx = ParseContext::new(&ct)
        .with_temp_dir(tmp.path())
        .with_limits(ParserLimits::default().memory_threshold(10));
    let content = noise(10_000, 5);
    let body = [
        file_part("name=\"f\"; filename=\"take.bin\"", "x/y", &content),
        file_part("name=\"g\"; filename=\"leave.bin\"", "x/y", &content),
        closing(),
    ]
    .concat();
    let mut parsed = multipart(body, ctx).unwrap();
    let file = parsed.take_file("f").unwrap();
    let dest = media.path().join(file.filename());
    file.persist(&dest).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), content);
    assert_eq!(entries(tmp.path()).len(), 1); // "leave.bin" still there
    drop(parsed);
    assert!(entries(tmp.path()).is_empty());
    assert_eq!(entries(media.path()), ["take.bin"]);
}
