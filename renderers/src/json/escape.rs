//! The contents of JSON strings, escaped eight bytes at a time.
//!
//! A string is scanned as little-endian `u64` words; a word with no byte that needs attention
//! (a control byte, `"`, `\`, and the non-ASCII bytes the mode escapes) is skipped with a few
//! arithmetic operations, and each clean run is copied with one `extend_from_slice`. The escapes
//! are serde_json's (`\"` `\\` `\b` `\f` `\n` `\r` `\t`, other control bytes as `\u00XX`), plus
//! what [`super::escape_non_ascii`] does to serde_json's output: every non-ASCII character as
//! `\uXXXX` (UTF-16 surrogate pairs past the BMP) in ASCII mode, only U+2028 and U+2029 otherwise.

use std::fmt;

use super::hex4;

/// `0x01` in every byte.
const ONES: u64 = u64::from_le_bytes([1; 8]);
/// `0x80` in every byte.
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
/// The lead byte of U+2028 and U+2029 (`E2 80 A8`, `E2 80 A9`).
const LINE_SEPARATOR_LEAD: u8 = 0xe2;

/// Writes the escaped contents of a JSON string (no quotes): `s` inside a string literal.
///
/// `ascii`: escape every non-ASCII character, else only U+2028 and U+2029.
pub(crate) fn write_str_contents(out: &mut Vec<u8>, s: &str, ascii: bool) {
    write::<true>(out, s, ascii);
}

/// Writes `s`, already JSON text (a raw value, a number's digits), escaping only the non-ASCII
/// characters that `ascii` asks for, as the post-pass over serde_json's output does.
pub(crate) fn write_raw(out: &mut Vec<u8>, s: &str, ascii: bool) {
    write::<false>(out, s, ascii);
}

/// A [`fmt::Write`] that escapes what it is given into a JSON string's contents, so a
/// `Display` value is written with no intermediate `String`.
pub(crate) struct StrContents<'a> {
    /// Where the escaped text goes.
    pub(crate) out: &'a mut Vec<u8>,
    /// Escape every non-ASCII character.
    pub(crate) ascii: bool,
}

impl fmt::Write for StrContents<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_str_contents(self.out, s, self.ascii);
        Ok(())
    }

    /// `Display` impls that write a character at a time (chrono's dates among them) skip the
    /// scan for the printable ASCII ones.
    #[inline]
    fn write_char(&mut self, c: char) -> fmt::Result {
        match u8::try_from(c) {
            Ok(byte) if (0x20..0x80).contains(&byte) && byte != b'"' && byte != b'\\' => {
                self.out.push(byte);
            }
            _ => write_str_contents(self.out, c.encode_utf8(&mut [0; 4]), self.ascii),
        }
        Ok(())
    }
}

/// A word with `0x80` set in (at least) the lowest byte that is zero. Bytes above the lowest
/// zero byte may be flagged wrongly (the subtraction's borrow), so only the lowest flag counts.
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// The bytes of `w` that need a look: `0x80` set in the lowest such byte (see [`zero_bytes`]).
#[inline(always)]
fn attention<const JSON: bool>(w: u64, ascii: bool) -> u64 {
    let mut flags = if ascii {
        w & HIGHS
    } else {
        zero_bytes(w ^ (ONES * u64::from(LINE_SEPARATOR_LEAD)))
    };
    if JSON {
        // Bytes below 0x20: subtracting 0x20 sets their high bit; `!w` drops bytes >= 0x80.
        flags |= w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        flags |= zero_bytes(w ^ (ONES * u64::from(b'"')));
        flags |= zero_bytes(w ^ (ONES * u64::from(b'\\')));
    }
    flags
}

/// The scan: `JSON` says whether `"`, `\` and control bytes are escaped (string contents) or
/// copied (raw JSON text).
fn write<const JSON: bool>(out: &mut Vec<u8>, s: &str, ascii: bool) {
    let bytes = s.as_bytes();
    if let 1..8 = bytes.len() {
        // Most strings in JSON are short (keys, dates, numbers as text): when the one word is
        // clean, all eight bytes are stored at once and the padding cut off again, which
        // costs less than a `memcpy` call for a few bytes.
        let word = tail_word(bytes, bytes);
        if attention::<JSON>(word, ascii) == 0 {
            let end = out.len() + bytes.len();
            out.extend_from_slice(&word.to_le_bytes());
            out.truncate(end);
            return;
        }
    }
    out.reserve(bytes.len());
    // `bytes[copied..i]` is clean and not yet written.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let (word, len) = match rest.first_chunk::<8>() {
            Some(chunk) => (u64::from_le_bytes(*chunk), 8),
            None => (tail_word(bytes, rest), rest.len()),
        };
        let flags = attention::<JSON>(word, ascii);
        if flags == 0 {
            i += len;
            continue;
        }
        let at = i + (flags.trailing_zeros() / 8) as usize;
        let Some(&byte) = bytes.get(at) else { break };
        let consumed = if byte < 0x80 {
            let (escape, n) = ascii_escape(byte);
            out.extend_from_slice(&bytes[copied..at]);
            out.extend_from_slice(&escape[..n]);
            1
        } else if ascii {
            // `at` follows ASCII bytes, so it starts a character.
            match s.get(at..).and_then(|t| t.chars().next()) {
                Some(c) => {
                    out.extend_from_slice(&bytes[copied..at]);
                    write_utf16_escape(out, c);
                    c.len_utf8()
                }
                None => 0,
            }
        } else {
            match bytes.get(at + 1..at + 3) {
                Some([0x80, last @ (0xa8 | 0xa9)]) => {
                    out.extend_from_slice(&bytes[copied..at]);
                    out.extend_from_slice(if *last == 0xa8 {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    3
                }
                _ => 0,
            }
        };
        if consumed == 0 {
            // A byte that looked interesting and is not: it stays in the clean run.
            i = at + 1;
        } else {
            i = at + consumed;
            copied = i;
        }
    }
    out.extend_from_slice(&bytes[copied..]);
}

/// The last bytes of a string, `rest` (1 to 7 of them), as a word padded with spaces, which never
/// need a look. Built from register loads and shifts: copying the tail into a padded buffer and
/// reading it back as a `u64` costs a `memcpy` call and a store-forwarding stall, most of the
/// time spent on the short strings (keys, numbers as text) that JSON is full of.
#[inline(always)]
fn tail_word(bytes: &[u8], rest: &[u8]) -> u64 {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    let n = rest.len();
    let word = if let Some(last) = bytes.last_chunk::<8>() {
        // The string's last eight bytes, shifted so that `rest` starts the word.
        u64::from_le_bytes(*last) >> (8 * (8 - n))
    } else if let (Some(lo), Some(hi)) = (rest.first_chunk::<4>(), rest.last_chunk::<4>()) {
        // Two overlapping halves: the bytes they share are the same in both.
        u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4))
    } else if let (Some(lo), Some(hi)) = (rest.first_chunk::<2>(), rest.last_chunk::<2>()) {
        u64::from(u16::from_le_bytes(*lo)) | u64::from(u16::from_le_bytes(*hi)) << (8 * (n - 2))
    } else {
        rest.first().map_or(0, |b| u64::from(*b))
    };
    word | SPACES << (8 * n)
}

/// serde_json's escape of an ASCII byte that needs one, and its length.
#[inline]
fn ascii_escape(byte: u8) -> ([u8; 6], usize) {
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            let [_, _, hi, lo] = hex4(u16::from(byte));
            return ([b'\\', b'u', b'0', b'0', hi, lo], 6);
        }
    };
    ([b'\\', short, 0, 0, 0, 0], 2)
}

/// `c` as `\uXXXX`, two of them (a surrogate pair) past the BMP.
pub(super) fn write_utf16_escape(out: &mut Vec<u8>, c: char) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.extend_from_slice(b"\\u");
        out.extend_from_slice(&hex4(*unit));
    }
}
