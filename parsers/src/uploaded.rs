//! An uploaded file: kept in memory while small, written to a temporary file as it arrives once
//! it is not.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::{Mime, ParseContext, ParseError, ParseErrorKind};

/// The prefix of temporary files: hidden, and never a valid storage key (keys do not start with
/// a dot), so a temporary file can share a directory with stored ones.
const TEMP_PREFIX: &str = ".restframe-upload-";

/// How much is gathered before each write to a temporary file.
const WRITE_BUFFER: usize = 64 * 1024;

/// A file received by `MultiPartParser` or `FileUploadParser` (see [`crate::Parsed::files`]): its
/// field, its sanitised name, the media type the client gave it, its size and SHA-256, and its
/// bytes — in memory when small, else in a temporary file that is deleted when this value
/// drops, unless [`UploadedFile::persist`] moved it first.
///
/// Everything here but `size` and `sha256` is what the client *said*: the media type is not
/// checked against the bytes, and the name is only made safe ([`crate::sanitize_filename`]),
/// not unique.
///
/// Reading it back is synchronous here ([`UploadedFile::open`] gives a [`std::io::Read`] +
/// [`std::io::Seek`]): this crate has no runtime. From async code, restframe's
/// `restframe::upload::UploadedFileExt` reads its first bytes (`head(n)`) or streams it
/// (`into_stream()`) on tokio, and `FileRules::check_upload` and `Storage::save_upload` take it
/// whole.
///
/// ```
/// # #[cfg(feature = "upload")] {
/// use std::io::Read;
/// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
///
/// let ct = mime::TEXT_PLAIN;
/// let ctx = ParseContext::new(&ct).with_filename_hint("notes.txt");
/// let mut parsed = FileUploadParser::new().parse_bytes("hello".into(), &ctx).unwrap();
/// let file = &parsed.files()[0];
/// assert_eq!(file.field_name(), "file");
/// assert_eq!(file.filename(), "notes.txt");
/// assert_eq!(file.content_type(), &mime::TEXT_PLAIN);
/// assert_eq!(file.size(), 5);
/// assert_eq!(
///     file.sha256(),
///     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
/// );
/// assert_eq!(file.bytes().unwrap().as_ref(), b"hello");
/// let mut text = String::new();
/// file.open().unwrap().read_to_string(&mut text).unwrap();
/// assert_eq!(text, "hello");
///
/// let dir = tempfile::tempdir().unwrap();
/// let file = parsed.take_file("file").unwrap();
/// file.persist(dir.path().join("notes.txt")).unwrap();
/// assert_eq!(std::fs::read(dir.path().join("notes.txt")).unwrap(), b"hello");
/// # }
/// ```
pub struct UploadedFile {
    field_name: String,
    filename: String,
    content_type: Mime,
    size: u64,
    sha256: String,
    content: Content,
}

enum Content {
    Memory(Bytes),
    Disk(NamedTempFile),
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UploadedFile");
        d.field("field_name", &self.field_name)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type.as_ref())
            .field("size", &self.size)
            .field("sha256", &self.sha256);
        match &self.content {
            Content::Memory(_) => d.field("in_memory", &true),
            Content::Disk(tmp) => d.field("path", &tmp.path()),
        };
        d.finish()
    }
}

impl UploadedFile {
    /// The form field it was sent in (`file` for a raw upload, as DRF).
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// # use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// # let ct = mime::TEXT_PLAIN;
    /// # let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
    /// let parsed = FileUploadParser::new().parse_bytes("x".into(), &ctx).unwrap();
    /// assert_eq!(parsed.files()[0].field_name(), "file");
    /// # }
    /// ```
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// Its name as the client sent it, sanitised ([`crate::sanitize_filename`]): one path
    /// segment, never empty, at most 255 bytes.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// # use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::TEXT_PLAIN;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("../../etc/passwd");
    /// let parsed = FileUploadParser::new().parse_bytes("x".into(), &ctx).unwrap();
    /// assert_eq!(parsed.files()[0].filename(), "passwd");
    /// # }
    /// ```
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The media type the client gave: the part's `Content-Type` in a multipart body
    /// (`application/octet-stream` when it gave none), the request's for a raw upload. Not
    /// checked against the bytes.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// # use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// let ct = mime::IMAGE_PNG;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("a.png");
    /// let parsed = FileUploadParser::new().parse_bytes("x".into(), &ctx).unwrap();
    /// assert_eq!(parsed.files()[0].content_type(), &mime::IMAGE_PNG);
    /// # }
    /// ```
    pub fn content_type(&self) -> &Mime {
        &self.content_type
    }

    /// Its size in bytes.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// # use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// # let ct = mime::TEXT_PLAIN;
    /// # let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
    /// let parsed = FileUploadParser::new().parse_bytes("four".into(), &ctx).unwrap();
    /// assert_eq!(parsed.files()[0].size(), 4);
    /// # }
    /// ```
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The SHA-256 of its bytes, 64 lower-case hex digits, computed while it streamed in (a
    /// strong `ETag`, or a key for de-duplication).
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// # use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// # let ct = mime::TEXT_PLAIN;
    /// # let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
    /// let parsed = FileUploadParser::new().parse_bytes("".into(), &ctx).unwrap();
    /// assert_eq!(
    ///     parsed.files()[0].sha256(),
    ///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// );
    /// # }
    /// ```
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether its bytes are in memory (else in a temporary file).
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser, ParserLimits};
    /// let ct = mime::TEXT_PLAIN;
    /// let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
    /// let small = FileUploadParser::new().parse_bytes("abc".into(), &ctx).unwrap();
    /// assert!(small.files()[0].is_in_memory());
    /// let ctx = ctx.with_limits(ParserLimits::default().memory_threshold(2));
    /// let spilled = FileUploadParser::new().parse_bytes("abc".into(), &ctx).unwrap();
    /// assert!(!spilled.files()[0].is_in_memory());
    /// # }
    /// ```
    pub fn is_in_memory(&self) -> bool {
        matches!(self.content, Content::Memory(_))
    }

    /// Its bytes, when they are in memory; `None` for a file on disk (see
    /// [`UploadedFile::open`]).
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// # use restframe_parsers::{FileUploadParser, ParseContext, Parser};
    /// # let ct = mime::TEXT_PLAIN;
    /// # let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
    /// let parsed = FileUploadParser::new().parse_bytes("abc".into(), &ctx).unwrap();
    /// assert_eq!(parsed.files()[0].bytes().map(|b| b.as_ref()), Some(&b"abc"[..]));
    /// # }
    /// ```
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.content {
            Content::Memory(bytes) => Some(bytes),
            Content::Disk(_) => None,
        }
    }

    /// The temporary file holding its bytes, when they are on disk; `None` in memory. The file
    /// is deleted when this value drops: copy it or [`UploadedFile::persist`] it to keep it.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser, ParserLimits};
    /// let ct = mime::TEXT_PLAIN;
    /// let ctx = ParseContext::new(&ct)
    ///     .with_filename_hint("a.txt")
    ///     .with_limits(ParserLimits::default().memory_threshold(0));
    /// let parsed = FileUploadParser::new().parse_bytes("abc".into(), &ctx).unwrap();
    /// let path = parsed.files()[0].path().unwrap().to_owned();
    /// assert_eq!(std::fs::read(&path).unwrap(), b"abc");
    /// drop(parsed);
    /// assert!(!path.exists());
    /// # }
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match &self.content {
            Content::Memory(_) => None,
            Content::Disk(tmp) => Some(tmp.path()),
        }
    }

    /// A reader over its bytes from the start, wherever they are; each call gives a reader of
    /// its own. Reading a file on disk blocks: from async code, do it in the runtime's blocking
    /// pool.
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use std::io::Read;
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser, ParserLimits};
    /// let ct = mime::TEXT_PLAIN;
    /// let ctx = ParseContext::new(&ct)
    ///     .with_filename_hint("a.txt")
    ///     .with_limits(ParserLimits::default().memory_threshold(1));
    /// let parsed = FileUploadParser::new().parse_bytes("on disk".into(), &ctx).unwrap();
    /// let mut text = String::new();
    /// parsed.files()[0].open().unwrap().read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "on disk");
    /// # }
    /// ```
    pub fn open(&self) -> io::Result<UploadReader> {
        Ok(UploadReader(match &self.content {
            Content::Memory(bytes) => ReaderInner::Memory(Cursor::new(bytes.clone())),
            Content::Disk(tmp) => ReaderInner::Disk(tmp.reopen()?),
        }))
    }

    /// Moves its bytes to `dest` atomically: readers of `dest` see the old file or the whole new
    /// one, never a part. A file on disk is synced and renamed (a copy into a temporary file
    /// beside `dest`, then a rename, when `dest` is on another filesystem); bytes in memory are
    /// written to a temporary file beside `dest`, synced and renamed. An existing `dest` is
    /// replaced, as [`std::fs::rename`] does; `dest`'s directory must exist.
    ///
    /// On Unix the new file has the temporary file's owner-only permissions (`0600`); widen
    /// them if another process serves it. On failure the upload is dropped (and its temporary
    /// file deleted).
    ///
    /// ```
    /// # #[cfg(feature = "upload")] {
    /// use restframe_parsers::{FileUploadParser, ParseContext, Parser, ParserLimits};
    /// let media = tempfile::tempdir().unwrap();
    /// let ct = mime::TEXT_PLAIN;
    /// let ctx = ParseContext::new(&ct)
    ///     .with_filename_hint("a.txt")
    ///     .with_temp_dir(media.path()) // same filesystem: persisting is a rename
    ///     .with_limits(ParserLimits::default().memory_threshold(0));
    /// let mut parsed = FileUploadParser::new().parse_bytes("kept".into(), &ctx).unwrap();
    /// let file = parsed.take_file("file").unwrap();
    /// let dest = media.path().join(file.filename());
    /// file.persist(&dest).unwrap();
    /// assert_eq!(std::fs::read(&dest).unwrap(), b"kept");
    /// # }
    /// ```
    pub fn persist(self, dest: impl AsRef<Path>) -> io::Result<()> {
        let dest = dest.as_ref();
        match self.content {
            Content::Memory(bytes) => copy_then_rename(&mut bytes.as_ref(), dest),
            Content::Disk(tmp) => {
                tmp.as_file().sync_all()?;
                match tmp.persist(dest) {
                    Ok(_) => Ok(()),
                    Err(e) if e.error.kind() == io::ErrorKind::CrossesDevices => {
                        copy_then_rename(&mut e.file.reopen()?, dest)
                    }
                    Err(e) => Err(e.error),
                }
            }
        }
    }
}

/// Writes `src` to a temporary file in `dest`'s directory, syncs it and renames it to `dest`.
fn copy_then_rename(src: &mut impl Read, dest: &Path) -> io::Result<()> {
    let dir = match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    io::copy(src, &mut tmp)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

/// A reader over an [`UploadedFile`]'s bytes, in memory or on disk: [`Read`] and [`Seek`].
///
/// ```
/// # #[cfg(feature = "upload")] {
/// use std::io::{Read, Seek, SeekFrom};
/// use restframe_parsers::{FileUploadParser, ParseContext, Parser};
/// # let ct = mime::TEXT_PLAIN;
/// # let ctx = ParseContext::new(&ct).with_filename_hint("a.txt");
/// let parsed = FileUploadParser::new().parse_bytes("abcdef".into(), &ctx).unwrap();
/// let mut reader = parsed.files()[0].open().unwrap();
/// reader.seek(SeekFrom::Start(3)).unwrap();
/// let mut rest = String::new();
/// reader.read_to_string(&mut rest).unwrap();
/// assert_eq!(rest, "def");
/// # }
/// ```
#[derive(Debug)]
pub struct UploadReader(ReaderInner);

#[derive(Debug)]
enum ReaderInner {
    Memory(Cursor<Bytes>),
    Disk(File),
}

impl Read for UploadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.0 {
            ReaderInner::Memory(c) => c.read(buf),
            ReaderInner::Disk(f) => f.read(buf),
        }
    }
}

impl Seek for UploadReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match &mut self.0 {
            ReaderInner::Memory(c) => c.seek(pos),
            ReaderInner::Disk(f) => f.seek(pos),
        }
    }
}

/// An upload being received: hashed, counted, and kept in memory until it would pass its
/// memory budget, then written chunk by chunk to a temporary file.
///
/// The writes are plain blocking `std::fs` writes of at most [`WRITE_BUFFER`] bytes gathered
/// from the body's chunks, made on the task polling the parser: this crate has no runtime to
/// hand them to, and a local disk write of that size costs about what decoding the chunk did.
pub(crate) struct Spool<'a> {
    format: &'static str,
    field_name: String,
    filename: String,
    content_type: Mime,
    hasher: Sha256,
    size: u64,
    max_size: u64,
    memory: BytesMut,
    memory_budget: usize,
    disk: Option<BufWriter<NamedTempFile>>,
    temp_dir: Option<&'a Path>,
}

impl<'a> Spool<'a> {
    /// A new upload of `field_name`, kept in memory up to `memory_budget` bytes (what is left of
    /// the request's [`crate::ParserLimits::memory_threshold`]).
    pub(crate) fn new(
        format: &'static str,
        field_name: String,
        filename: String,
        content_type: Mime,
        ctx: &ParseContext<'a>,
        memory_budget: usize,
    ) -> Self {
        Self {
            format,
            field_name,
            filename,
            content_type,
            hasher: Sha256::new(),
            size: 0,
            max_size: ctx.limits.max_file_bytes,
            memory: BytesMut::new(),
            memory_budget,
            disk: None,
            temp_dir: ctx.temp_dir,
        }
    }

    /// Takes the next chunk; past the size limit, [`ParseErrorKind::TooLarge`] (the temporary
    /// file, if any, goes when the spool drops).
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), ParseError> {
        self.size = self.size.saturating_add(chunk.len() as u64);
        if self.size > self.max_size {
            return Err(ParseError::new(
                ParseErrorKind::TooLarge,
                self.format,
                format_args!(
                    "file {:?} larger than {} bytes",
                    self.filename, self.max_size
                ),
            ));
        }
        self.hasher.update(chunk);
        if let Some(disk) = &mut self.disk {
            return disk.write_all(chunk).map_err(|e| self.io_error(e));
        }
        if self.memory.len() + chunk.len() <= self.memory_budget {
            self.memory.extend_from_slice(chunk);
            return Ok(());
        }
        let dir = self
            .temp_dir
            .map_or_else(std::env::temp_dir, Path::to_path_buf);
        let spilled = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
            .and_then(|tmp| {
                let mut disk = BufWriter::with_capacity(WRITE_BUFFER, tmp);
                disk.write_all(&self.memory)?;
                disk.write_all(chunk)?;
                Ok(disk)
            });
        match spilled {
            Ok(disk) => {
                self.disk = Some(disk);
                self.memory = BytesMut::new();
                Ok(())
            }
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// The received file.
    pub(crate) fn finish(self) -> Result<UploadedFile, ParseError> {
        let content = match self.disk {
            None => Content::Memory(self.memory.freeze()),
            Some(disk) => match disk.into_inner() {
                Ok(tmp) => Content::Disk(tmp),
                Err(e) => {
                    return Err(ParseError::new(
                        ParseErrorKind::Io,
                        self.format,
                        format_args!("could not write an upload to disk: {}", e.error()),
                    ));
                }
            },
        };
        Ok(UploadedFile {
            field_name: self.field_name,
            filename: self.filename,
            content_type: self.content_type,
            size: self.size,
            sha256: hex(&self.hasher.finalize()),
            content,
        })
    }

    fn io_error(&self, e: io::Error) -> ParseError {
        ParseError::new(
            ParseErrorKind::Io,
            self.format,
            format_args!("could not write an upload to disk: {e}"),
        )
    }
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool<'a>(ctx: &ParseContext<'a>) -> Spool<'a> {
        Spool::new(
            "test",
            "f".into(),
            "a.bin".into(),
            mime::APPLICATION_OCTET_STREAM,
            ctx,
            ctx.limits.memory_threshold,
        )
    }

    #[test]
    fn small_files_stay_in_memory_up_to_the_threshold_inclusive() {
        let ct = mime::APPLICATION_OCTET_STREAM;
        let ctx =
            ParseContext::new(&ct).with_limits(crate::ParserLimits::default().memory_threshold(4));
        let mut s = spool(&ctx);
        s.write(b"ab").unwrap();
        s.write(b"cd").unwrap();
        let file = s.finish().unwrap();
        assert!(file.is_in_memory());
        assert_eq!(file.bytes().unwrap().as_ref(), b"abcd");
    }

    #[test]
    fn past_the_threshold_the_bytes_so_far_and_the_rest_go_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let ct = mime::APPLICATION_OCTET_STREAM;
        let ctx = ParseContext::new(&ct)
            .with_temp_dir(dir.path())
            .with_limits(crate::ParserLimits::default().memory_threshold(4));
        let mut s = spool(&ctx);
        for chunk in [&b"ab"[..], b"cd", b"e", b"fgh"] {
            s.write(chunk).unwrap();
        }
        let file = s.finish().unwrap();
        let path = file.path().unwrap().to_owned();
        assert!(path.starts_with(dir.path()));
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefgh");
        assert_eq!(file.size(), 8);
        assert_eq!(file.sha256(), hex(&Sha256::digest(b"abcdefgh")));
        drop(file);
        assert!(!path.exists());
    }

    #[test]
    fn a_missing_temp_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let ct = mime::APPLICATION_OCTET_STREAM;
        let ctx = ParseContext::new(&ct)
            .with_temp_dir(&missing)
            .with_limits(crate::ParserLimits::default().memory_threshold(0));
        let err = spool(&ctx).write(b"x").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Io);
        assert!(
            err.to_string()
                .starts_with("could not write an upload to disk")
        );
    }

    #[test]
    fn persist_replaces_atomically_from_memory_and_disk() {
        let dir = tempfile::tempdir().unwrap();
        let ct = mime::APPLICATION_OCTET_STREAM;
        for threshold in [0, 1 << 20] {
            let ctx = ParseContext::new(&ct)
                .with_temp_dir(dir.path())
                .with_limits(crate::ParserLimits::default().memory_threshold(threshold));
            let dest = dir.path().join("kept.bin");
            std::fs::write(&dest, b"old").unwrap();
            let mut s = spool(&ctx);
            s.write(b"new bytes").unwrap();
            s.finish().unwrap().persist(&dest).unwrap();
            assert_eq!(std::fs::read(&dest).unwrap(), b"new bytes");
            // Nothing else is left behind: no temporary file.
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["kept.bin"], "threshold {threshold}");
        }
    }

    #[test]
    fn uploads_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<UploadedFile>();
        send_sync::<UploadReader>();
        send_sync::<crate::Parsed>();
    }

    #[test]
    fn hex_is_lower_case_and_padded() {
        assert_eq!(hex(&[0, 0x0f, 0xab, 0xff]), "000fabff");
    }
}
