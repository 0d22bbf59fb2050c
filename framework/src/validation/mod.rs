//! Validation of input beyond its types: the [`Validate`] trait and DRF-shaped
//! [`ValidationErrors`], field types with DRF's rules ([`Date`], [`DateTime`], [`Decimal`]
//! with [`decimal_rules`], [`Uuid`], and with feature `validators` [`Base64Image`]), and the
//! rules an uploaded file must meet ([`FileRules`], feature `validators`).

#[cfg(feature = "validators")]
mod base64_image;
mod date;
mod datetime;
mod decimal;
mod errors;
#[cfg(feature = "validators")]
mod files;
mod uuid;

pub use self::uuid::{UUID_INVALID_MESSAGE, Uuid, parse_uuid};
#[cfg(feature = "validators")]
pub use base64_image::{BASE64_IMAGE_MAX_BYTES, Base64Image, Base64ImageError};
pub use date::{DATE_FORMAT_MESSAGE, DATE_PATTERN, Date, DateError};
pub(crate) use datetime::TEXT_LEN as DATETIME_TEXT_LEN;
pub use datetime::{DATETIME_FORMAT_MESSAGE, DateTime, DateTimeError};
pub use decimal::{
    DECIMAL_INVALID_MESSAGE, DECIMAL_TOO_LONG_MESSAGE, Decimal, decimal_rules, parse_decimal,
};
pub use errors::{EMAIL_PATTERN, NUL_FREE_PATTERN, Validate, ValidationErrors};
#[cfg(feature = "validators")]
pub use files::{FileRules, IMAGE_HEAD_BYTES, INVALID_IMAGE_MESSAGE, SNIFF_BYTES};
