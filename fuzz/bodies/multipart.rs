//! Any `multipart/form-data` body with any boundary, read whole and in chunks: the parser never
//! panics nor stalls, respects its limits, sanitises file names, and the way the body is cut
//! into chunks never changes whether it is read, nor what is read.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use restframe::parsers::{
    BodyStream, BoxError, Mime, MultiPartParser, ParseContext, ParseError, Parsed, Parser,
    ParserLimits, sanitize_filename,
};

const MAX_PARTS: usize = 8;
const MAX_FILE_BYTES: u64 = 2048;

/// One run. The input is `flags boundary \n body`: bit 0 of `flags` keeps files in memory (else
/// every file goes to a temporary file), the other bits give the chunk size of the streamed read
/// (0: the whole body as one chunk).
pub fn run(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (boundary, body) = (&rest[..newline], &rest[newline + 1..]);
    let Ok(boundary) = std::str::from_utf8(boundary) else {
        return;
    };
    let Some(ct) = content_type(boundary) else {
        return;
    };
    let limits = ParserLimits::default()
        .max_body_bytes(1024)
        .max_field_bytes(512)
        .max_parts(MAX_PARTS)
        .max_file_bytes(MAX_FILE_BYTES)
        .memory_threshold(if flags & 1 == 1 { 4096 } else { 0 });
    let ctx = ParseContext::new(&ct).with_limits(limits);
    let parser = MultiPartParser::new();

    let whole = parser.parse_bytes(Bytes::copy_from_slice(body), &ctx);
    let chunk = match usize::from(flags >> 1) {
        0 => body.len().max(1),
        n => n,
    };
    let chunks: Vec<Result<Bytes, BoxError>> = body
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let stream: BodyStream<'_> = Box::pin(futures_util::stream::iter(chunks));
    let streamed = block_on(parser.parse_stream(stream, ctx));

    match (summary(&whole), summary(&streamed)) {
        (Ok(whole), Ok(streamed)) => assert_eq!(
            whole, streamed,
            "reading in chunks of {chunk} bytes changed what was read"
        ),
        // A body both malformed and over a limit is refused for whichever shows first, which
        // depends on how much of it has arrived (fuzz/corpus/multipart/chunking-error-kind).
        (Err(_), Err(_)) => {}
        (whole, streamed) => panic!(
            "reading in chunks of {chunk} bytes changed the outcome: {whole:?} whole, {streamed:?} in chunks"
        ),
    }
}

/// `multipart/form-data; boundary=…`, the boundary quoted when it is no token.
fn content_type(boundary: &str) -> Option<Mime> {
    format!("multipart/form-data; boundary={boundary}")
        .parse()
        .or_else(|_| format!("multipart/form-data; boundary=\"{boundary}\"").parse())
        .ok()
}

/// What a parse gave, checked: the fields, and per file its field, name, type, size and hash;
/// or the error's kind.
fn summary(result: &Result<Parsed, ParseError>) -> Result<String, String> {
    let parsed = match result {
        Ok(parsed) => parsed,
        Err(e) => {
            // Errors display without panicking, and are client errors.
            let _ = e.to_string();
            return Err(format!("{:?} {e}", e.kind()));
        }
    };
    let value = match parsed.to_value() {
        Ok(v) => v,
        Err(e) => return Err(format!("to_value: {e}")),
    };
    let fields = value.as_object().map_or(0, |o| o.len());
    let files = parsed.files();
    assert!(
        fields + files.len() <= MAX_PARTS,
        "{fields} fields and {} files",
        files.len()
    );
    let mut out = value.to_string();
    for f in files {
        assert!(f.size() <= MAX_FILE_BYTES, "a file of {} bytes", f.size());
        if let Some(bytes) = f.bytes() {
            assert_eq!(bytes.len() as u64, f.size());
        }
        assert_eq!(
            sanitize_filename(f.filename()).as_deref(),
            Some(f.filename()),
            "a file name that is not sanitised"
        );
        out.push_str(&format!(
            "\n{:?} {:?} {} {} {}",
            f.field_name(),
            f.filename(),
            f.content_type(),
            f.size(),
            f.sha256()
        ));
    }
    Ok(out)
}

/// Polls an in-memory future to completion. Nothing it awaits is outside memory (or a blocking
/// file write), so a future that stays pending is a stall.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the multipart parser is still pending after a million polls of an in-memory body");
}
