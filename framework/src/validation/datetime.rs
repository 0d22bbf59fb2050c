//! [`DateTime`]: an instant in UTC, written as RFC 3339 with microseconds, as DRF's
//! `DateTimeField`.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::Date;

/// DRF's message for a datetime it cannot read.
pub const DATETIME_FORMAT_MESSAGE: &str = "Datetime has wrong format. Use one of these formats \
     instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

/// An instant, kept in UTC to the microsecond (as DRF's `DateTimeField` and PostgreSQL's
/// `TIMESTAMPTZ`), between years 1 and 9999.
///
/// It is written as RFC 3339 in UTC, always with six fraction digits
/// (`2026-12-04T01:23:44.123456Z`), so every value has the same width and its text sorts as
/// its time does (that is how SQLite stores it). It reads any RFC 3339 date-time: `T` or `t`,
/// seconds, and an offset (`Z`, `z`, `+HH:MM` or `-HH:MM`) are required, as RFC 3339 and the
/// OpenAPI `date-time` format say (DRF also takes a missing offset or seconds; this does not,
/// so that what the schema promises and what is accepted agree). The offset is applied, and
/// digits past the microsecond are dropped. Anything else is refused with DRF's message
/// ([`DATETIME_FORMAT_MESSAGE`]), so a bad `created_at` gives a 400 naming the field.
///
/// It is kept as its UTC day and the microseconds into that day, the parts its text is
/// written from and read into, so that a list's two timestamps per row cost no calendar
/// arithmetic either way; [`From`] and [`TryFrom`] convert to and from chrono's
/// `DateTime<Utc>`.
///
/// ```
/// use restframe::DateTime;
/// let t: DateTime = "2026-12-04T02:23:44.1234567+01:00".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-12-04T01:23:44.123456Z");
/// assert_eq!(serde_json::to_string(&t).unwrap(), r#""2026-12-04T01:23:44.123456Z""#);
/// assert!("2026-12-04 01:23:44Z".parse::<DateTime>().is_err());
/// assert!("2026-12-04T01:23:44".parse::<DateTime>().is_err());
/// ```
// The day first, then the time in it: the derived order is the order in time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// The day, in UTC.
    date: Date,
    /// The microseconds since that day's midnight (UTC): below [`MICROS_PER_DAY`].
    micros: u64,
}

/// The microseconds in a day (there is no leap second).
const MICROS_PER_DAY: u64 = 86_400_000_000;
/// The microseconds in an hour.
const MICROS_PER_HOUR: u64 = 3_600_000_000;
/// The microseconds in a minute.
const MICROS_PER_MINUTE: u64 = 60_000_000;
/// The microseconds in a second.
const MICROS_PER_SECOND: u64 = 1_000_000;

/// Why a text or a time is not a [`DateTime`]; displays DRF's message.
///
/// ```
/// use restframe::{DATETIME_FORMAT_MESSAGE, DateTime};
/// let err = "yesterday".parse::<DateTime>().unwrap_err();
/// assert_eq!(err.to_string(), DATETIME_FORMAT_MESSAGE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTimeError;

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DATETIME_FORMAT_MESSAGE)
    }
}

impl std::error::Error for DateTimeError {}

impl DateTime {
    /// The current time, to the microsecond.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let (a, b) = (DateTime::now(), DateTime::now());
    /// assert!(a <= b);
    /// ```
    pub fn now() -> Self {
        // A clock set outside years 1–9999 reads as the epoch rather than a panic.
        Self::from_system_time(SystemTime::now()).unwrap_or(Self {
            date: Date::EPOCH,
            micros: 0,
        })
    }

    /// The instant `secs` seconds after 1970-01-01T00:00:00Z (before it when negative);
    /// `None` outside years 1–9999.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t = DateTime::from_unix(1_700_000_000).unwrap();
    /// assert_eq!(t.to_string(), "2023-11-14T22:13:20.000000Z");
    /// assert_eq!(t.unix_timestamp(), 1_700_000_000);
    /// assert!(DateTime::from_unix(i64::MAX).is_none());
    /// ```
    pub fn from_unix(secs: i64) -> Option<Self> {
        Self::from_unix_micros(secs.checked_mul(1_000_000)?)
    }

    /// The instant `micros` microseconds after 1970-01-01T00:00:00Z; `None` outside years
    /// 1–9999.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t = DateTime::from_unix_micros(1_500_000).unwrap();
    /// assert_eq!(t.to_string(), "1970-01-01T00:00:01.500000Z");
    /// assert_eq!(t.unix_micros(), 1_500_000);
    /// ```
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        // As `i64`s: `MICROS_PER_DAY` fits.
        let per_day = MICROS_PER_DAY as i64;
        Some(Self {
            date: Date::from_days_since_epoch(micros.div_euclid(per_day))?,
            micros: micros.rem_euclid(per_day).unsigned_abs(),
        })
    }

    /// A [`SystemTime`] (a file's modification time, say) to the microsecond; `None` outside
    /// years 1–9999.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use restframe::DateTime;
    /// let t = DateTime::from_system_time(UNIX_EPOCH + Duration::from_nanos(1_999)).unwrap();
    /// assert_eq!(t.to_string(), "1970-01-01T00:00:00.000001Z");
    /// ```
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        let micros = match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_micros()).ok()?,
            // Before the epoch: round towards the past, as truncation does after it.
            Err(e) => {
                let before = e.duration();
                let whole = i64::try_from(before.as_micros()).ok()?;
                let partial = before.subsec_nanos() % 1000 != 0;
                whole.checked_neg()?.checked_sub(i64::from(partial))?
            }
        };
        Self::from_unix_micros(micros)
    }

    /// The whole seconds since 1970-01-01T00:00:00Z (rounded towards the past).
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t: DateTime = "1969-12-31T23:59:59.5Z".parse().unwrap();
    /// assert_eq!(t.unix_timestamp(), -1);
    /// ```
    pub fn unix_timestamp(&self) -> i64 {
        self.unix_micros().div_euclid(1_000_000)
    }

    /// The microseconds since 1970-01-01T00:00:00Z.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t: DateTime = "1970-01-01T00:00:00.000002Z".parse().unwrap();
    /// assert_eq!(t.unix_micros(), 2);
    /// ```
    pub fn unix_micros(&self) -> i64 {
        // Years 1–9999 are about ±2.5e17 µs from the epoch, far inside an `i64`, and
        // `micros` is below a day.
        self.date.days_since_epoch() * MICROS_PER_DAY as i64 + self.micros as i64
    }

    /// The day it falls on, in UTC.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t: DateTime = "2024-03-01T00:30:00+01:00".parse().unwrap();
    /// assert_eq!(t.date().to_string(), "2024-02-29");
    /// ```
    pub fn date(&self) -> Date {
        self.date
    }

    /// `duration` later; `None` past year 9999.
    ///
    /// ```
    /// use std::time::Duration;
    /// use restframe::DateTime;
    /// let t = DateTime::from_unix(0).unwrap();
    /// let later = t.checked_add(Duration::from_secs(3600)).unwrap();
    /// assert_eq!(later.to_string(), "1970-01-01T01:00:00.000000Z");
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Self> {
        // Whole microseconds: what is below one is truncated from the sum.
        let micros = i64::try_from(duration.as_micros()).ok()?;
        Self::from_unix_micros(self.unix_micros().checked_add(micros)?)
    }

    /// `duration` earlier; `None` before year 1.
    ///
    /// ```
    /// use std::time::Duration;
    /// use restframe::DateTime;
    /// let t = DateTime::from_unix(0).unwrap();
    /// let earlier = t.checked_sub(Duration::from_secs(1)).unwrap();
    /// assert_eq!(earlier.to_string(), "1969-12-31T23:59:59.000000Z");
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Self> {
        // The difference truncated towards the past, as the sum is: a part of a microsecond
        // takes a whole one more.
        let partial = !duration.subsec_nanos().is_multiple_of(1000);
        let micros = i64::try_from(duration.as_micros()).ok()?;
        let micros = micros.checked_add(i64::from(partial))?;
        Self::from_unix_micros(self.unix_micros().checked_sub(micros)?)
    }
}

/// Strictly `YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm)`.
impl FromStr for DateTime {
    type Err = DateTimeError;

    fn from_str(s: &str) -> Result<Self, DateTimeError> {
        let b = s.as_bytes();
        // Date, time and the fraction's dot; the offset is checked after the fraction. Byte by
        // byte, without iterators: a list parses two of these per row.
        let Some(head) = b.first_chunk::<19>() else {
            return Err(DateTimeError);
        };
        if head[4] != b'-'
            || head[7] != b'-'
            || !matches!(head[10], b'T' | b't')
            || head[13] != b':'
            || head[16] != b':'
        {
            return Err(DateTimeError);
        }
        let digit = |i: usize| {
            let d = head[i].wrapping_sub(b'0');
            (d < 10).then_some(u32::from(d))
        };
        let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
        let (Some(century), Some(year_of), Some(month), Some(day)) =
            (two(0), two(2), two(5), two(8))
        else {
            return Err(DateTimeError);
        };
        let (Some(hour), Some(minute), Some(second)) = (two(11), two(14), two(17)) else {
            return Err(DateTimeError);
        };
        let year = century * 100 + year_of;
        let mut rest = &b[19..];
        let mut micros = 0;
        if let Some(fraction) = rest.strip_prefix(b".") {
            let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(DateTimeError);
            }
            // The first six digits, padded: ".5" is 500000 µs; the rest is truncated.
            for &d in &fraction[..digits.min(6)] {
                micros = micros * 10 + u32::from(d - b'0');
            }
            for _ in digits..6 {
                micros *= 10;
            }
            rest = &fraction[digits..];
        }
        let offset_secs: i64 = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
                if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
            {
                let hours = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
                let minutes = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
                if hours > 23 || minutes > 59 {
                    return Err(DateTimeError);
                }
                let secs = hours * 3600 + minutes * 60;
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return Err(DateTimeError),
        };
        // No leap second: DRF (Python) refuses `:60` too.
        if hour > 23 || minute > 59 || second > 59 {
            return Err(DateTimeError);
        }
        let date = match (u16::try_from(year), u8::try_from(month), u8::try_from(day)) {
            (Ok(year), Ok(month), Ok(day)) => Date::new(year, month, day),
            _ => None,
        }
        .ok_or(DateTimeError)?;
        let local = Self {
            date,
            micros: u64::from(hour) * MICROS_PER_HOUR
                + u64::from(minute) * MICROS_PER_MINUTE
                + u64::from(second) * MICROS_PER_SECOND
                + u64::from(micros),
        };
        // UTC already (as every stored value is): the parts are the value.
        if offset_secs == 0 {
            return Ok(local);
        }
        local
            .unix_micros()
            .checked_sub(offset_secs * 1_000_000)
            .and_then(Self::from_unix_micros)
            .ok_or(DateTimeError)
    }
}

/// The length of the text of every [`DateTime`]: `YYYY-MM-DDThh:mm:ss.ffffffZ`.
pub(crate) const TEXT_LEN: usize = 27;

impl DateTime {
    /// Writes the RFC 3339 text into `buf` and returns it: digit by digit, since a list
    /// writes two per row (`created_at`, `updated_at`) and formatting machinery was most of
    /// their cost.
    pub(crate) fn write_text(self, buf: &mut [u8; TEXT_LEN]) -> &str {
        let d = self.date;
        // Below a day: each part fits a `u32` (and its digits).
        let part = |micros: u64, unit: u64, of: u64| ((micros / unit) % of) as u32;
        let parts: [(u32, usize, usize); 7] = [
            (u32::from(d.year()), 0, 4),
            (u32::from(d.month()), 5, 2),
            (u32::from(d.day()), 8, 2),
            (part(self.micros, MICROS_PER_HOUR, 24), 11, 2),
            (part(self.micros, MICROS_PER_MINUTE, 60), 14, 2),
            (part(self.micros, MICROS_PER_SECOND, 60), 17, 2),
            (part(self.micros, 1, MICROS_PER_SECOND), 20, 6),
        ];
        *buf = *b"0000-00-00T00:00:00.000000Z";
        super::date::write_digits(buf, &parts);
        // Only ASCII digits and punctuation were written.
        std::str::from_utf8(buf).unwrap_or("0001-01-01T00:00:00.000000Z")
    }
}

/// `DateTime(2026-12-04T01:23:44.123456Z)`.
impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({self})")
    }
}

/// RFC 3339 in UTC with six fraction digits: `2026-12-04T01:23:44.123456Z`.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.write_text(&mut [0; TEXT_LEN]))
    }
}

/// chrono's time, as it is (already UTC and whole microseconds).
///
/// ```
/// use restframe::DateTime;
/// let t = DateTime::from_unix(60).unwrap();
/// let c: chrono::DateTime<chrono::Utc> = t.into();
/// assert_eq!(c.timestamp(), 60);
/// ```
impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(t: DateTime) -> Self {
        // Years 1–9999 are within chrono's range, so the epoch is never the answer.
        chrono::DateTime::from_timestamp_micros(t.unix_micros()).unwrap_or_default()
    }
}

/// chrono's time, truncated to the microsecond; an error outside years 1–9999.
///
/// ```
/// use restframe::DateTime;
/// let c = chrono::DateTime::from_timestamp(60, 1_999).unwrap();
/// let t = DateTime::try_from(c).unwrap();
/// assert_eq!(t.to_string(), "1970-01-01T00:01:00.000001Z");
/// ```
impl TryFrom<chrono::DateTime<Utc>> for DateTime {
    type Error = DateTimeError;

    fn try_from(t: chrono::DateTime<Utc>) -> Result<Self, DateTimeError> {
        // `timestamp_micros` truncates towards the past.
        Self::from_unix_micros(t.timestamp_micros()).ok_or(DateTimeError)
    }
}

/// The same instant as a [`SystemTime`].
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use restframe::DateTime;
/// let t = DateTime::from_unix(-2).unwrap();
/// assert_eq!(SystemTime::from(t), UNIX_EPOCH - Duration::from_secs(2));
/// ```
impl From<DateTime> for SystemTime {
    fn from(t: DateTime) -> Self {
        let micros = t.unix_micros();
        let magnitude = Duration::from_micros(micros.unsigned_abs());
        if micros >= 0 {
            SystemTime::UNIX_EPOCH + magnitude
        } else {
            SystemTime::UNIX_EPOCH - magnitude
        }
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.write_text(&mut [0; TEXT_LEN]))
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateTimeVisitor;
        impl Visitor<'_> for DateTimeVisitor {
            type Value = DateTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date and time as RFC 3339")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime, E> {
                v.parse().map_err(|_| E::custom(DATETIME_FORMAT_MESSAGE))
            }
        }
        deserializer.deserialize_str(DateTimeVisitor)
    }
}

/// The schema of a [`DateTime`]: an RFC 3339 `date-time` string.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DateTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .examples(["2026-12-04T01:23:44.123456Z"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DateTime {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("DateTime")
    }
}

#[cfg(test)]
mod tests {
    use super::{DATETIME_FORMAT_MESSAGE, DateTime};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    fn parse(s: &str) -> Result<String, super::DateTimeError> {
        s.parse::<DateTime>().map(|t| t.to_string())
    }

    #[test]
    fn the_text_is_chronos_own_rfc_3339() {
        use chrono::{SecondsFormat, TimeZone, Utc};
        let seconds = [
            -62_135_596_800_i64,
            -1,
            0,
            86_399,
            951_782_400,
            1_780_000_000,
            253_402_300_799,
        ];
        for secs in seconds {
            for micros in [0, 1, 120_000, 999_999] {
                let c = Utc.timestamp_opt(secs, micros * 1000).unwrap();
                let t = DateTime::try_from(c).unwrap();
                let expected = c.to_rfc3339_opts(SecondsFormat::Micros, true);
                assert_eq!(t.to_string(), expected);
                assert_eq!(serde_json::to_value(t).unwrap(), expected.as_str());
            }
        }
    }

    #[test]
    fn reads_rfc_3339_and_writes_utc_microseconds() {
        for (input, utc) in [
            ("2026-12-04T01:23:44Z", "2026-12-04T01:23:44.000000Z"),
            ("2026-12-04t01:23:44z", "2026-12-04T01:23:44.000000Z"),
            ("2026-12-04T01:23:44.1Z", "2026-12-04T01:23:44.100000Z"),
            ("2026-12-04T01:23:44.123456Z", "2026-12-04T01:23:44.123456Z"),
            (
                "2026-12-04T01:23:44.1234569Z",
                "2026-12-04T01:23:44.123456Z",
            ),
            ("2026-12-04T01:23:44+00:00", "2026-12-04T01:23:44.000000Z"),
            ("2026-12-04T01:23:44-00:00", "2026-12-04T01:23:44.000000Z"),
            ("2026-12-04T01:23:44+05:30", "2026-12-03T19:53:44.000000Z"),
            ("2026-12-31T23:00:00-01:00", "2027-01-01T00:00:00.000000Z"),
            ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000000Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
            ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ] {
            assert_eq!(parse(input).as_deref(), Ok(utc), "{input}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "2026-12-04",
            "2026-12-04T01:23Z",
            "2026-12-04T01:23:44",
            "2026-12-04 01:23:44Z",
            "2026-12-04T01:23:44.Z",
            "2026-12-04T01:23:44,5Z",
            "2026-12-04T01:23:44+0100",
            "2026-12-04T01:23:44+01",
            "2026-12-04T01:23:44+24:00",
            "2026-12-04T01:23:44+01:60",
            "2026-12-04T01:23:44Zjunk",
            "2026-12-04T24:00:00Z",
            "2026-12-04T01:60:00Z",
            "2026-12-31T23:59:60Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:30:00-01:00",
            "+2026-12-04T01:23:44Z",
            "2026-1-04T01:23:44Z",
            "２０２６-12-04T01:23:44Z",
            "2026-12-04T01:23:44.１Z",
            "1700000000",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serde_uses_drf_message() {
        let t: DateTime = serde_json::from_str(r#""2026-12-04T01:23:44.5-02:00""#).unwrap();
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::json!("2026-12-04T03:23:44.500000Z")
        );
        let err = serde_json::from_str::<DateTime>(r#""04/12/2026""#).unwrap_err();
        assert!(
            err.to_string().starts_with(DATETIME_FORMAT_MESSAGE),
            "{err}"
        );
        assert_eq!(
            DATETIME_FORMAT_MESSAGE,
            "Datetime has wrong format. Use one of these formats instead: \
             YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        );
        let err = serde_json::from_str::<DateTime>("1700000000").unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn text_sorts_as_time() {
        let mut times: Vec<DateTime> = [
            "2026-12-04T01:23:44.5Z",
            "2026-12-04T01:23:44Z",
            "0999-01-01T00:00:00Z",
            "2026-12-04T01:23:44.05Z",
            "2026-12-04T02:23:44+02:00",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let mut texts: Vec<String> = times.iter().map(ToString::to_string).collect();
        times.sort();
        texts.sort();
        assert_eq!(
            times.iter().map(ToString::to_string).collect::<Vec<_>>(),
            texts
        );
        assert!(texts.iter().all(|t| t.len() == 27), "{texts:?}");
    }

    #[test]
    fn agrees_with_chrono_across_the_range() {
        use chrono::{DateTime as Chrono, SecondsFormat, Utc};
        let (first, last) = (-62_135_596_800_000_000_i64, 253_402_300_799_999_999_i64);
        let mut previous: Option<(i64, DateTime)> = None;
        // A linear congruential walk over years 1–9999, both ends included.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let span = (last - first) as u64 + 1;
        let walk = (0..20_000).map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            first + (x % span) as i64
        });
        for micros in [first, last, -1, 0, 1, 86_399_999_999, 951_782_400_000_000]
            .into_iter()
            .chain(walk)
        {
            let t = DateTime::from_unix_micros(micros).unwrap();
            let c = Chrono::<Utc>::from_timestamp_micros(micros).unwrap();
            assert_eq!(t.unix_micros(), micros);
            assert_eq!(t.unix_timestamp(), c.timestamp());
            assert_eq!(
                t.to_string(),
                c.to_rfc3339_opts(SecondsFormat::Micros, true)
            );
            assert_eq!(Chrono::<Utc>::from(t), c);
            assert_eq!(DateTime::try_from(c), Ok(t));
            assert_eq!(t.to_string().parse::<DateTime>(), Ok(t));
            // The same instant written with an offset.
            let east = c
                .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap())
                .to_rfc3339_opts(SecondsFormat::Micros, false);
            if let Ok(parsed) = east.parse::<DateTime>() {
                assert_eq!(parsed, t, "{east}");
            }
            if let Some((m, p)) = previous {
                assert_eq!(m.cmp(&micros), p.cmp(&t));
            }
            previous = Some((micros, t));
        }
        assert_eq!(DateTime::from_unix_micros(first - 1), None);
        assert_eq!(DateTime::from_unix_micros(last + 1), None);
        assert_eq!(DateTime::from_unix(i64::MAX), None);
        // Parts of a microsecond: truncated towards the past, as chrono's sum truncated was.
        let t = DateTime::from_unix_micros(10).unwrap();
        let ns = std::time::Duration::from_nanos(1_500);
        assert_eq!(t.checked_add(ns).map(|t| t.unix_micros()), Some(11));
        assert_eq!(t.checked_sub(ns).map(|t| t.unix_micros()), Some(8));
        assert_eq!(
            t.checked_sub(std::time::Duration::from_micros(3))
                .map(|t| t.unix_micros()),
            Some(7)
        );
        assert_eq!(
            "9999-12-31T23:59:59Z"
                .parse::<DateTime>()
                .map(|t| t.unix_micros()),
            Ok(last - 999_999)
        );
        assert!("9999-12-31T23:59:59-00:01".parse::<DateTime>().is_err());
        assert!("0001-01-01T00:00:00+00:01".parse::<DateTime>().is_err());
        assert_eq!(
            format!("{:?}", DateTime::from_unix(0).unwrap()),
            "DateTime(1970-01-01T00:00:00.000000Z)"
        );
    }

    #[test]
    fn converts_to_and_from_clocks() {
        let t = DateTime::from_unix(1_700_000_000).unwrap();
        assert_eq!(
            SystemTime::from(t),
            UNIX_EPOCH + Duration::from_secs(1_700_000_000)
        );
        let before = UNIX_EPOCH - Duration::from_nanos(1);
        let b = DateTime::from_system_time(before).unwrap();
        assert_eq!(b.unix_micros(), -1);
        assert_eq!(b.to_string(), "1969-12-31T23:59:59.999999Z");
        assert!(DateTime::from_unix(253_402_300_800).is_none()); // 10000-01-01
        assert!(DateTime::from_unix(253_402_300_799).is_some());
        let now = DateTime::now();
        let whole = chrono::DateTime::<chrono::Utc>::from(now).timestamp_subsec_nanos();
        assert_eq!(whole % 1000, 0);
        let sys = DateTime::from_system_time(SystemTime::now()).unwrap();
        assert!(sys >= now);
        let max: DateTime = "9999-12-31T23:59:59Z".parse().unwrap();
        assert!(max.checked_add(Duration::from_secs(1)).is_none());
        assert_eq!(max.date().to_string(), "9999-12-31");
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn describes_itself_in_openapi() {
        use utoipa::PartialSchema;
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        struct Payment {
            at: DateTime,
            amount: crate::Decimal,
            id: crate::Uuid,
        }
        let schema = serde_json::to_value(DateTime::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["format"], "date-time");
        let payment = serde_json::to_value(Payment::schema()).unwrap();
        assert_eq!(payment["properties"]["id"]["format"], "uuid", "{payment}");
        assert_eq!(
            payment["properties"]["amount"]["type"], "string",
            "{payment}"
        );
    }
}
