//! The log lines' timestamp: the text tracing-subscriber's `SystemTime` writes
//! (`2026-12-05T14:29:14.123456Z`), with the date and time up to the second formatted once per
//! second per thread instead of once per line.
//!
//! `SystemTime` works out the calendar date and writes seven numbers through `fmt` for every
//! line: 0.9% of a detail's samples with request logs on. Here a line costs a clock read, a
//! comparison and six digits.

use std::cell::RefCell;
use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// UTC, RFC 3339, to the microsecond (what `tracing_subscriber::fmt::time::SystemTime` writes).
#[derive(Clone, Copy, Debug, Default)]
pub struct Timestamp;

/// The second last formatted on this thread, and its text up to and including the `.`.
struct Second {
    unix: u64,
    text: String,
}

thread_local! {
    static SECOND: RefCell<Option<Second>> = const { RefCell::new(None) };
}

impl FormatTime for Timestamp {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        write_at(SystemTime::now(), w)
    }
}

/// Writes `at` as `Timestamp` does. A time before 1970 (a clock set wrong) is written as
/// 1970-01-01T00:00:00.000000Z.
fn write_at(at: SystemTime, w: &mut impl Write) -> fmt::Result {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (unix, micros) = (since.as_secs(), since.subsec_micros());
    SECOND.with_borrow_mut(|cached| {
        let second = match cached {
            Some(second) if second.unix == unix => second,
            _ => cached.insert(Second {
                unix,
                text: second_text(unix),
            }),
        };
        w.write_str(&second.text)?;
        let mut digits = [b'0'; 6];
        let mut rest = micros;
        for d in digits.iter_mut().rev() {
            // `rest % 10` is below 10: the cast keeps it whole.
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        // Six ASCII digits.
        w.write_str(std::str::from_utf8(&digits).unwrap_or("000000"))?;
        w.write_char('Z')
    })
}

/// `2026-12-05T14:29:14.` for `unix` seconds since 1970.
fn second_text(unix: u64) -> String {
    let at = i64::try_from(unix)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_default();
    at.format("%Y-%m-%dT%H:%M:%S.").to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(at: SystemTime) -> String {
        let mut s = String::new();
        write_at(at, &mut s).unwrap_or_else(|e| panic!("{e}"));
        s
    }

    #[test]
    fn writes_what_chrono_writes_to_the_microsecond() {
        for (secs, nanos) in [
            (0, 0),
            (1_764_944_954, 123_456_789),
            (1_764_944_954, 999_999_999),
            (1_764_944_955, 1_000),
            (951_782_400, 5_000_000), // 2000-02-29
            (4_102_444_799, 999_999_000),
        ] {
            let t = UNIX_EPOCH + Duration::new(secs, nanos);
            let expected = chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string();
            assert_eq!(at(t), expected, "{secs}.{nanos:09}");
        }
        assert_eq!(
            at(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    /// The same text as tracing-subscriber's own `SystemTime`: both are written in turn
    /// until they fall in one second, and then agree up to the second.
    #[test]
    fn writes_what_tracing_subscribers_system_time_writes() {
        use tracing_subscriber::fmt::time::SystemTime as Theirs;
        for _ in 0..100 {
            let (mut ours, mut theirs, mut ours_after) =
                (String::new(), String::new(), String::new());
            Timestamp
                .format_time(&mut Writer::new(&mut ours))
                .unwrap_or_else(|e| panic!("{e}"));
            Theirs
                .format_time(&mut Writer::new(&mut theirs))
                .unwrap_or_else(|e| panic!("{e}"));
            Timestamp
                .format_time(&mut Writer::new(&mut ours_after))
                .unwrap_or_else(|e| panic!("{e}"));
            if ours[..20] != ours_after[..20] {
                continue; // a second began in between: try again
            }
            assert_eq!(ours.len(), theirs.len(), "{ours} / {theirs}");
            assert_eq!(ours[..20], theirs[..20], "{ours} / {theirs}");
            assert!(ours.ends_with('Z') && ours[20..26].bytes().all(|b| b.is_ascii_digit()));
            return;
        }
        panic!("no two timestamps in one second out of 100 tries");
    }
}
