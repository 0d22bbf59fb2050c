//! [`Rate`]: a number of requests per period, parsed as Django REST framework parses it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A rate as DRF writes it: `"100/min"`, `"1000/day"`, `"10/s"`, `"5/hour"`.
///
/// The period's first letter decides, exactly as DRF's `SimpleRateThrottle.parse_rate`
/// does: `s` (second), `m` (minute), `h` (hour), `d` (day). So `"sec"`, `"second"`,
/// `"minute"`, `"m"`, `"h"` and `"d"` all work.
///
/// ```
/// use std::time::Duration;
/// use restframe::throttling::Rate;
///
/// let rate: Rate = "100/min".parse()?;
/// assert_eq!(rate, Rate { requests: 100, per: Duration::from_secs(60) });
/// assert_eq!("1000/day".parse::<Rate>()?.per, Duration::from_secs(86_400));
/// assert!("100/week".parse::<Rate>().is_err());
/// # Ok::<(), restframe::throttling::RateError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    /// How many requests are allowed in `per`.
    pub requests: u32,
    /// The period.
    pub per: Duration,
}

impl Rate {
    /// `requests` per `per`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use restframe::throttling::Rate;
    /// assert_eq!(Rate::new(5, Duration::from_secs(1)), "5/s".parse().unwrap());
    /// ```
    pub const fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }
}

/// Written back in DRF's short form: `"100/s"`, `"100/m"`, `"100/h"`, `"100/d"` when the period
/// is one of those, else in seconds (`"100/90s"` cannot be parsed back; it only shows up for a
/// [`Rate`] built by hand).
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "m",
            3600 => "h",
            86_400 => "d",
            _ => return write!(f, "{}/{}s", self.requests, self.per.as_secs_f64()),
        };
        if self.per.subsec_nanos() == 0 {
            write!(f, "{}/{unit}", self.requests)
        } else {
            write!(f, "{}/{}s", self.requests, self.per.as_secs_f64())
        }
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(s: &str) -> Result<Self, RateError> {
        let err = |reason| RateError {
            rate: s.to_owned(),
            reason,
        };
        // DRF: `num, period = rate.split('/')`: exactly one slash.
        let mut parts = s.split('/');
        let (Some(num), Some(period), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("expected NUMBER/PERIOD, e.g. \"100/min\""));
        };
        // DRF: `int(num)` (which also ignores surrounding whitespace).
        let requests: u32 = num.trim().parse().map_err(|_| {
            err("the number of requests is not a whole number from 0 to 4294967295")
        })?;
        // DRF: `{'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[period[0]]`.
        let secs = match period.chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => {
                return Err(err(
                    "the period must start with s (second), m (minute), h (hour) or d (day)",
                ));
            }
        };
        Ok(Rate {
            requests,
            per: Duration::from_secs(secs),
        })
    }
}

/// A rate that does not parse: what was given, and why.
///
/// ```
/// use restframe::throttling::Rate;
/// let err = "ten/min".parse::<Rate>().unwrap_err();
/// assert!(err.to_string().starts_with("invalid rate \"ten/min\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateError {
    rate: String,
    reason: &'static str,
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid rate {:?}: {}", self.rate, self.reason)
    }
}

impl std::error::Error for RateError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn parses_every_period_drf_accepts() {
        for (text, requests, per) in [
            ("100/min", 100, secs(60)),
            ("1000/day", 1000, secs(86_400)),
            ("10/s", 10, secs(1)),
            ("10/sec", 10, secs(1)),
            ("10/second", 10, secs(1)),
            ("5/hour", 5, secs(3600)),
            ("5/h", 5, secs(3600)),
            ("5/m", 5, secs(60)),
            ("5/minute", 5, secs(60)),
            ("5/d", 5, secs(86_400)),
            // DRF looks at the first letter only.
            ("5/month", 5, secs(60)),
            ("0/s", 0, secs(1)),
            (" 7 /s", 7, secs(1)),
            ("4294967295/d", u32::MAX, secs(86_400)),
        ] {
            assert_eq!(
                text.parse::<Rate>(),
                Ok(Rate { requests, per }),
                "parsing {text:?}"
            );
        }
    }

    #[test]
    fn refuses_what_drf_refuses() {
        for text in [
            "",
            "100",
            "100/",
            "/min",
            "ten/min",
            "-1/min",
            "1.5/min",
            "100/week",
            "100/Min",
            "100/ min",
            "1/2/s",
            "4294967296/s",
        ] {
            let err = text.parse::<Rate>().expect_err(text);
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid rate {text:?}: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn displays_in_the_short_form_it_parses_from() {
        for text in ["100/s", "100/m", "3/h", "1000/d"] {
            let rate: Rate = text.parse().expect(text);
            assert_eq!(rate.to_string(), text);
        }
        assert_eq!(Rate::new(2, secs(90)).to_string(), "2/90s");
    }
}
