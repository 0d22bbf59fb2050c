//! [`Decimal`] (rust_decimal's) with DRF's `DecimalField` rules and messages.

pub use rust_decimal::Decimal;

/// DRF's message for a value that is not a number.
pub const DECIMAL_INVALID_MESSAGE: &str = "A valid number is required.";

/// DRF's message for a numeric string longer than 1000 characters.
pub const DECIMAL_TOO_LONG_MESSAGE: &str = "String value too large.";

/// The longest text [`parse_decimal`] reads (DRF's `DecimalField.MAX_STRING_LENGTH`).
const MAX_STRING_LENGTH: usize = 1000;

/// A decimal number as DRF's `DecimalField` reads one: surrounding whitespace is dropped,
/// then plain (`-12.50`, `.5`) or scientific (`1.2e3`) notation. Its scale is kept: `"12.50"`
/// stays `12.50`. Refused with DRF's messages: [`DECIMAL_INVALID_MESSAGE`] (not a number,
/// `NaN`, an infinity, or more than rust_decimal's 28 digits) or [`DECIMAL_TOO_LONG_MESSAGE`].
///
/// As a field, `restframe::Decimal` (rust_decimal's, with its default `serde` feature) is
/// written as a JSON string (`"12.50"`, as DRF does) and read from a string or a number.
///
/// ```
/// use restframe::{Decimal, parse_decimal};
/// let price = parse_decimal(" 12.50 ").unwrap();
/// assert_eq!(price.to_string(), "12.50");
/// assert_eq!(serde_json::to_string(&price).unwrap(), r#""12.50""#);
/// assert_eq!(parse_decimal("1.5e2").unwrap(), Decimal::from(150));
/// assert_eq!(parse_decimal("twelve"), Err("A valid number is required."));
/// ```
pub fn parse_decimal(text: &str) -> Result<Decimal, &'static str> {
    if text.len() > MAX_STRING_LENGTH {
        return Err(DECIMAL_TOO_LONG_MESSAGE);
    }
    let text = text.trim();
    // rust_decimal reads `1_000` as 1000; Python's Decimal too, but nothing else a client
    // sends does, and an OpenAPI `decimal` never has one.
    if text.is_empty() || text.contains('_') {
        return Err(DECIMAL_INVALID_MESSAGE);
    }
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| DECIMAL_INVALID_MESSAGE)
}

/// DRF's `DecimalField(max_digits, decimal_places)` checks on a number: at most `max_digits`
/// digits in all, at most `decimal_places` after the point, and so at most `max_digits -
/// decimal_places` before it. Digits are counted as DRF counts them: trailing zeros after the
/// point count (`1.50` has three digits, two of them decimal places), and a number below one
/// has no digits before the point (`0.05` has two). `None` is no limit. `Err` is DRF's message.
///
/// ```
/// use restframe::{decimal_rules, parse_decimal};
/// let ok = parse_decimal("123.45").unwrap();
/// assert_eq!(decimal_rules(&ok, Some(5), Some(2)), Ok(()));
/// let too_long = parse_decimal("1234.5").unwrap();
/// assert_eq!(
///     decimal_rules(&too_long, Some(4), Some(2)),
///     Err("Ensure that there are no more than 4 digits in total.".to_owned())
/// );
/// assert_eq!(
///     decimal_rules(&parse_decimal("1.234").unwrap(), Some(6), Some(2)),
///     Err("Ensure that there are no more than 2 decimal places.".to_owned())
/// );
/// assert_eq!(
///     decimal_rules(&parse_decimal("12345").unwrap(), Some(6), Some(2)),
///     Err("Ensure that there are no more than 4 digits before the decimal point.".to_owned())
/// );
/// ```
pub fn decimal_rules(
    value: &Decimal,
    max_digits: Option<u32>,
    decimal_places: Option<u32>,
) -> Result<(), String> {
    // DRF reads Python's `as_tuple()`: the digits of the mantissa and the exponent (−scale).
    let digits = digit_count(value.mantissa().unsigned_abs());
    let scale = value.scale();
    let (total, whole, places) = if scale == 0 {
        (digits, digits, 0)
    } else if digits > scale {
        (digits, digits - scale, scale)
    } else {
        (scale, 0, scale)
    };
    if let Some(max) = max_digits
        && total > max
    {
        return Err(format!(
            "Ensure that there are no more than {max} digits in total."
        ));
    }
    if let Some(max) = decimal_places
        && places > max
    {
        return Err(format!(
            "Ensure that there are no more than {max} decimal places."
        ));
    }
    if let (Some(all), Some(after)) = (max_digits, decimal_places) {
        let before = all.saturating_sub(after);
        if whole > before {
            return Err(format!(
                "Ensure that there are no more than {before} digits before the decimal point."
            ));
        }
    }
    Ok(())
}

/// How many decimal digits `n` has (one for zero).
fn digit_count(mut n: u128) -> u32 {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::{DECIMAL_INVALID_MESSAGE, Decimal, decimal_rules, parse_decimal};

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn parses_as_drf_does() {
        for (input, out) in [
            ("12.50", "12.50"),
            ("-0.5", "-0.5"),
            (".5", "0.5"),
            ("  7 ", "7"),
            ("+3", "3"),
            ("1e3", "1000"),
            ("1.25E-1", "0.125"),
            ("0.000", "0.000"),
        ] {
            assert_eq!(parse_decimal(input).map(|d| d.to_string()), Ok(out.into()));
        }
        for bad in [
            "",
            " ",
            "abc",
            "NaN",
            "inf",
            "-Infinity",
            "1,5",
            "1_000",
            "0x10",
            "1.2.3",
            "--1",
        ] {
            assert_eq!(parse_decimal(bad), Err(DECIMAL_INVALID_MESSAGE), "{bad:?}");
        }
        assert_eq!(
            parse_decimal(&"1".repeat(1001)),
            Err("String value too large.")
        );
        // More digits than rust_decimal holds.
        assert!(parse_decimal(&"9".repeat(40)).is_err());
    }

    #[test]
    fn counts_digits_as_drf_does() {
        // DRF's own cases (tests/test_fields.py, TestDecimalField with max_digits=3,
        // decimal_places=1): 0.05 has two decimal places, 99.9 fits, 100.0 has four digits.
        assert!(decimal_rules(&d("99.9"), Some(3), Some(1)).is_ok());
        assert!(decimal_rules(&d("-99.9"), Some(3), Some(1)).is_ok());
        assert_eq!(
            decimal_rules(&d("0.05"), Some(3), Some(1)),
            Err("Ensure that there are no more than 1 decimal places.".into())
        );
        assert_eq!(
            decimal_rules(&d("100.0"), Some(3), Some(1)),
            Err("Ensure that there are no more than 3 digits in total.".into())
        );
        assert_eq!(
            decimal_rules(&d("100"), Some(3), Some(1)),
            Err("Ensure that there are no more than 2 digits before the decimal point.".into())
        );
        // Trailing zeros after the point count; zero is one digit.
        assert!(decimal_rules(&d("1.50"), Some(3), Some(2)).is_ok());
        assert!(decimal_rules(&d("1.500"), Some(3), None).is_err());
        assert!(decimal_rules(&d("0"), Some(1), Some(0)).is_ok());
        assert!(decimal_rules(&d("0.00"), Some(2), Some(2)).is_ok());
        assert!(decimal_rules(&d("123456789"), None, None).is_ok());
        assert!(decimal_rules(&d("1e3"), Some(3), None).is_err());
    }

    #[test]
    fn serde_writes_a_string_and_reads_both() {
        let price = d("12.50");
        assert_eq!(serde_json::to_string(&price).unwrap(), r#""12.50""#);
        let from_string: Decimal = serde_json::from_str(r#""12.50""#).unwrap();
        assert_eq!(from_string.to_string(), "12.50");
        let from_number: Decimal = serde_json::from_str("12.5").unwrap();
        assert_eq!(from_number, price);
        assert!(serde_json::from_str::<Decimal>(r#""x""#).is_err());
    }
}
