//! [`DateTime`]: an instant in UTC, written as RFC 3339 with microseconds, as DRF's
//! `DateTimeField`.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Utc};
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
/// It wraps a `chrono::DateTime<Utc>` (chrono is already part of the workspace's build, and
/// its `DateTime<Utc>` is exactly "an instant in UTC"); [`From`] and [`TryFrom`] convert.
///
/// ```
/// use restframe::DateTime;
/// let t: DateTime = "2026-12-04T02:23:44.1234567+01:00".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-12-04T01:23:44.123456Z");
/// assert_eq!(serde_json::to_string(&t).unwrap(), r#""2026-12-04T01:23:44.123456Z""#);
/// assert!("2026-12-04 01:23:44Z".parse::<DateTime>().is_err());
/// assert!("2026-12-04T01:23:44".parse::<DateTime>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(chrono::DateTime<Utc>);

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

/// The years a [`DateTime`] can hold: four digits, as RFC 3339 writes them.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

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
        Self::from_chrono(Utc::now()).unwrap_or(Self(chrono::DateTime::<Utc>::UNIX_EPOCH))
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
        Self::from_chrono(chrono::DateTime::from_timestamp(secs, 0)?)
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
        Self::from_chrono(chrono::DateTime::from_timestamp_micros(micros)?)
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
        self.0.timestamp()
    }

    /// The microseconds since 1970-01-01T00:00:00Z.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t: DateTime = "1970-01-01T00:00:00.000002Z".parse().unwrap();
    /// assert_eq!(t.unix_micros(), 2);
    /// ```
    pub fn unix_micros(&self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The day it falls on, in UTC.
    ///
    /// ```
    /// use restframe::DateTime;
    /// let t: DateTime = "2024-03-01T00:30:00+01:00".parse().unwrap();
    /// assert_eq!(t.date().to_string(), "2024-02-29");
    /// ```
    pub fn date(&self) -> Date {
        let d = self.0.date_naive();
        let parts = (
            u16::try_from(d.year()).ok(),
            u8::try_from(d.month()).ok(),
            u8::try_from(d.day()).ok(),
        );
        match parts {
            (Some(year), Some(month), Some(day)) => Date::new(year, month, day),
            _ => None,
        }
        .unwrap_or_else(|| unreachable!("a DateTime's day is a Date (years 1-9999)"))
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
        let d = chrono::Duration::from_std(duration).ok()?;
        Self::from_chrono(self.0.checked_add_signed(d)?)
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
        let d = chrono::Duration::from_std(duration).ok()?;
        Self::from_chrono(self.0.checked_sub_signed(d)?)
    }

    /// Truncated to the microsecond; `None` outside years 1–9999.
    fn from_chrono(t: chrono::DateTime<Utc>) -> Option<Self> {
        if !YEARS.contains(&t.year()) {
            return None;
        }
        let micros = t.nanosecond() / 1000 * 1000;
        Some(Self(t.with_nanosecond(micros)?))
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
        let year = i32::try_from(year).map_err(|_| DateTimeError)?;
        if !YEARS.contains(&year) {
            return Err(DateTimeError);
        }
        let local = NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_micro_opt(hour, minute, second, micros))
            .ok_or(DateTimeError)?;
        // UTC already (as every stored value is): nothing to apply, and the year and the
        // microseconds are checked (`from_chrono`'s steps cost more than the parse).
        if offset_secs == 0 {
            return Ok(Self(Utc.from_utc_datetime(&local)));
        }
        let utc = local
            .checked_sub_signed(chrono::Duration::seconds(offset_secs))
            .ok_or(DateTimeError)?;
        Self::from_chrono(Utc.from_utc_datetime(&utc)).ok_or(DateTimeError)
    }
}

/// The length of the text of every [`DateTime`]: `YYYY-MM-DDThh:mm:ss.ffffffZ`.
const TEXT_LEN: usize = 27;

impl DateTime {
    /// Writes the RFC 3339 text into `buf` and returns it: digit by digit, since a list
    /// writes two per row (`created_at`, `updated_at`) and formatting machinery was most of
    /// their cost.
    fn write_text(self, buf: &mut [u8; TEXT_LEN]) -> &str {
        // The naive UTC time: a `DateTime<Utc>`'s own getters add the (zero) offset each.
        let t = self.0.naive_utc();
        // Years 1–9999, so every part fits its digits.
        let parts: [(u32, usize, usize); 7] = [
            (t.year().unsigned_abs(), 0, 4),
            (t.month(), 5, 2),
            (t.day(), 8, 2),
            (t.hour(), 11, 2),
            (t.minute(), 14, 2),
            (t.second(), 17, 2),
            (t.nanosecond() / 1000, 20, 6),
        ];
        *buf = *b"0000-00-00T00:00:00.000000Z";
        super::date::write_digits(buf, &parts);
        // Only ASCII digits and punctuation were written.
        std::str::from_utf8(buf).unwrap_or("0001-01-01T00:00:00.000000Z")
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
        t.0
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
        Self::from_chrono(t).ok_or(DateTimeError)
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
