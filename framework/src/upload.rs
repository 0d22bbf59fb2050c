//! Reading an [`UploadedFile`] from async code: its first bytes and all of them as a stream,
//! wherever the parser kept them (in memory, or in the temporary file it spilled to).
//!
//! The parsers crate has no runtime, so these live here, on tokio.

use std::future::Future;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncReadExt;

use crate::parsers::UploadedFile;

/// How much of a spilled upload each chunk of its stream reads.
const STREAM_CHUNK: usize = 256 * 1024;

/// A stream of an upload's bytes: the same type as [`crate::storage::ByteStream`].
pub type UploadStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::parsers::UploadedFile {}
}

/// Async reads of an [`UploadedFile`]. Validating and storing one need neither
/// (`FileRules::check_upload`, `Storage::save_upload` read it themselves); these are for
/// handlers that do something else with the bytes.
///
/// ```
/// use futures_util::TryStreamExt;
/// use restframe::parsers::{FileUploadParser, ParseContext, Parser, ParserLimits};
/// use restframe::upload::UploadedFileExt;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let ct = mime::TEXT_PLAIN;
/// let ctx = ParseContext::new(&ct)
///     .with_filename_hint("a.txt")
///     .with_limits(ParserLimits::default().memory_threshold(0)); // spilled to disk
/// let mut parsed = FileUploadParser::new().parse_bytes("hello world".into(), &ctx).unwrap();
/// let file = parsed.take_file("file").unwrap();
/// assert_eq!(file.head(5).await.unwrap(), "hello");
/// let chunks: Vec<_> = file.into_stream().await.unwrap().try_collect().await.unwrap();
/// assert_eq!(chunks.concat(), b"hello world");
/// # });
/// ```
pub trait UploadedFileExt: sealed::Sealed {
    /// Its first `n` bytes (all of them when it is shorter): a slice of the bytes in memory,
    /// or read from the temporary file.
    fn head(&self, n: usize) -> impl Future<Output = io::Result<Bytes>> + Send + '_;

    /// All its bytes as a stream. A temporary file stays until the stream drops.
    fn into_stream(self) -> impl Future<Output = io::Result<UploadStream>> + Send;
}

impl UploadedFileExt for UploadedFile {
    async fn head(&self, n: usize) -> io::Result<Bytes> {
        if let Some(bytes) = self.bytes() {
            return Ok(bytes.slice(..bytes.len().min(n)));
        }
        let path = self.path().ok_or_else(neither)?;
        let mut head = Vec::with_capacity(n.min(usize::try_from(self.size()).unwrap_or(n)));
        tokio::fs::File::open(path)
            .await?
            .take(u64::try_from(n).unwrap_or(u64::MAX))
            .read_to_end(&mut head)
            .await?;
        Ok(head.into())
    }

    async fn into_stream(self) -> io::Result<UploadStream> {
        if let Some(bytes) = self.bytes() {
            let bytes = bytes.clone();
            return Ok(Box::pin(futures_util::stream::once(
                async move { Ok(bytes) },
            )));
        }
        let path = self.path().ok_or_else(neither)?;
        let file = tokio::fs::File::open(path).await?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, STREAM_CHUNK);
        // The upload owns its temporary file: keep it until the stream is done with it.
        let upload = self;
        Ok(Box::pin(stream.map(move |chunk| {
            let _ = &upload;
            chunk
        })))
    }
}

fn neither() -> io::Error {
    io::Error::other("upload neither in memory nor on disk")
}
