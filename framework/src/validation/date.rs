//! Field types with DRF's input rules and messages, for models and inputs.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A calendar date in ISO 8601 form (`YYYY-MM-DD`), as DRF's `DateField`: anything else is
/// refused with DRF's message, so a bad `release_date` gives a 400 naming the field.
///
/// ```
/// use restframe::Date;
/// let d: Date = "2024-02-29".parse().unwrap();
/// assert_eq!(d.to_string(), "2024-02-29");
/// assert!("2023-02-29".parse::<Date>().is_err());
/// assert!("29/02/2024".parse::<Date>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// The dates [`Date`] takes, as a regular expression (ECMA-262 and Rust's `regex` alike): for
/// the OpenAPI document, so that a generator that ignores `format: date` still writes a date
/// the server takes, and the server takes every text it matches (years 1–9999, leap days
/// included).
///
/// ```
/// let re = regex::Regex::new(restframe::validation::DATE_PATTERN).unwrap();
/// assert!(re.is_match("2024-02-29") && !re.is_match("2023-02-29") && !re.is_match("0000-01-01"));
/// ```
pub const DATE_PATTERN: &str = concat!(
    "^(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-",
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)$"
);

/// DRF's message for a date that is not `YYYY-MM-DD`.
pub const DATE_FORMAT_MESSAGE: &str =
    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";

impl Date {
    /// The date, if it exists in the proleptic Gregorian calendar (years 1–9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1..=9999).contains(&year) && (1..=days).contains(&day)).then_some(Self {
            year,
            month,
            day,
        })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// 1970-01-01.
    pub(super) const EPOCH: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };

    /// The days since 1970-01-01 (negative before it), by chrono's day count.
    pub(super) fn days_since_epoch(self) -> i64 {
        // A `Date` is always a real day of years 1–9999, which chrono holds: never the 0.
        NaiveDate::from_ymd_opt(
            i32::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        )
        .map_or(0, |d| i64::from(d.num_days_from_ce()) - EPOCH_FROM_CE)
    }

    /// The date `days` after 1970-01-01; `None` outside years 1–9999.
    pub(super) fn from_days_since_epoch(days: i64) -> Option<Date> {
        let from_ce = i32::try_from(days.checked_add(EPOCH_FROM_CE)?).ok()?;
        let d = NaiveDate::from_num_days_from_ce_opt(from_ce)?;
        Date::new(
            u16::try_from(d.year()).ok()?,
            u8::try_from(d.month()).ok()?,
            u8::try_from(d.day()).ok()?,
        )
    }
}

/// chrono's day number of 1970-01-01, counting 0001-01-01 as day 1.
const EPOCH_FROM_CE: i64 = 719_163;

/// Why a text is not a [`Date`]; displays DRF's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateError;

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DATE_FORMAT_MESSAGE)
    }
}

impl std::error::Error for DateError {}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, DateError> {
        Self::from_bytes(s.as_bytes())
    }
}

impl Date {
    /// [`Date::from_str`] on bytes: `YYYY-MM-DD`, which is ASCII whenever it parses (a list
    /// read as rows checks its stored dates without making each a `str` first).
    pub(crate) fn from_bytes(b: &[u8]) -> Result<Self, DateError> {
        let shape = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape {
            return Err(DateError);
        }
        // Every byte but the dashes is an ASCII digit (checked above).
        let digit = |i: usize| b.get(i).map_or(0, |c| c.wrapping_sub(b'0'));
        let two = |i: usize| digit(i) * 10 + digit(i + 1);
        let year = u16::from(two(0)) * 100 + u16::from(two(2));
        Date::new(year, two(5), two(8)).ok_or(DateError)
    }
}

impl Date {
    /// Writes `YYYY-MM-DD` into `buf` and returns it: digit by digit, since a list writes one
    /// per row and formatting machinery was most of its cost.
    pub(crate) fn write_text(self, buf: &mut [u8; 10]) -> &str {
        *buf = *b"0000-00-00";
        // Years 1–9999, so every part fits its digits.
        write_digits(
            buf,
            &[
                (u32::from(self.year), 0, 4),
                (u32::from(self.month), 5, 2),
                (u32::from(self.day), 8, 2),
            ],
        );
        // Only ASCII digits and dashes were written.
        std::str::from_utf8(buf).unwrap_or("0001-01-01")
    }
}

/// Writes each `(number, at, width)` into `buf[at..at + width]` as decimal digits, zero-padded
/// on the left; the number must fit its width (more significant digits are dropped). Shared by
/// the `Date` and `DateTime` writers.
pub(super) fn write_digits(buf: &mut [u8], parts: &[(u32, usize, usize)]) {
    for &(mut n, at, width) in parts {
        for slot in buf.iter_mut().skip(at).take(width).rev() {
            // `n % 10` is a digit.
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.write_text(&mut [0; 10]))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.write_text(&mut [0; 10]))
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
                v.parse().map_err(|_| E::custom(DATE_FORMAT_MESSAGE))
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::{DATE_PATTERN, Date};

    #[test]
    fn the_pattern_matches_exactly_the_dates_taken() {
        let re = regex::Regex::new(DATE_PATTERN).unwrap();
        for year in [1, 4, 100, 400, 1900, 1999, 2000, 2023, 2024, 2100, 9999] {
            for month in 0..=13u8 {
                for day in 0..=32u8 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(re.is_match(&text), text.parse::<Date>().is_ok(), "{text}");
                }
            }
        }
        assert!(!re.is_match("0000-01-01") && !re.is_match("2024-1-01"));
    }

    #[test]
    fn parses_only_real_iso_dates() {
        for good in ["2000-02-29", "1999-12-31", "0001-01-01", "9999-12-31"] {
            assert_eq!(good.parse::<Date>().map(|d| d.to_string()), Ok(good.into()));
        }
        for bad in [
            "1900-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-04-31",
            "0000-01-01",
            "2023-1-01",
            "2023-01-011",
            "+023-01-01",
            "2023/01/01",
            "",
            "２０２３-01-01",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        // A byte next to the digits (`/` and `:` sit either side of them in ASCII), or any
        // other, in each digit's place; a dash's place taken by a digit.
        for at in [0, 1, 2, 3, 5, 6, 8, 9] {
            for other in [b'/', b':', b' ', b'a', b'-', b'\xff'] {
                let mut bytes = *b"2023-01-15";
                bytes[at] = other;
                assert!(Date::from_bytes(&bytes).is_err(), "{bytes:?}");
            }
        }
        assert!(
            Date::from_bytes(b"2023001-15").is_err() && Date::from_bytes(b"2023-01015").is_err()
        );
        assert_eq!(
            Date::from_bytes(b"2023-01-15"),
            Ok(Date::new(2023, 1, 15).unwrap())
        );
    }

    #[test]
    fn deserializes_with_drf_message() {
        let err = serde_json::from_str::<Date>("\"01/02/2023\"").unwrap_err();
        assert!(
            err.to_string().starts_with(super::DATE_FORMAT_MESSAGE),
            "{err}"
        );
        let err = serde_json::from_str::<Date>("20230102").unwrap_err();
        assert!(
            err.to_string().contains("expected a date as YYYY-MM-DD"),
            "{err}"
        );
    }

    #[test]
    fn days_since_the_epoch_are_chronos_for_every_day_of_years_1_to_9999() {
        use chrono::{Datelike, NaiveDate};
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        let (from, to) = ((first - epoch).num_days(), (last - epoch).num_days());
        assert_eq!((from, to), (-719_162, 2_932_896));
        for days in from..=to {
            let c = epoch + chrono::TimeDelta::days(days);
            let expected = Date::new(c.year() as u16, c.month() as u8, c.day() as u8).unwrap();
            assert_eq!(Date::from_days_since_epoch(days), Some(expected), "{days}");
            assert_eq!(expected.days_since_epoch(), days, "{c}");
        }
        assert_eq!(Date::from_days_since_epoch(from - 1), None);
        assert_eq!(Date::from_days_since_epoch(to + 1), None);
        assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), None);
        assert_eq!(Date::EPOCH.days_since_epoch(), 0);
    }
}
