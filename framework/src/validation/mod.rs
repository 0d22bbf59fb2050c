//! Validation of input beyond its types: the [`Validate`] trait and DRF-shaped
//! [`ValidationErrors`], field types with DRF's rules ([`Date`], and with feature `validators`
//! [`Base64Image`]), and the rules an uploaded file must meet ([`FileRules`], feature
//! `validators`).

#[cfg(feature = "validators")]
mod base64_image;
mod date;
mod errors;
#[cfg(feature = "validators")]
mod files;

#[cfg(feature = "validators")]
pub use base64_image::{BASE64_IMAGE_MAX_BYTES, Base64Image, Base64ImageError};
pub use date::{DATE_FORMAT_MESSAGE, Date, DateError};
pub use errors::{Validate, ValidationErrors};
#[cfg(feature = "validators")]
pub use files::{FileRules, IMAGE_HEAD_BYTES, INVALID_IMAGE_MESSAGE, SNIFF_BYTES};
