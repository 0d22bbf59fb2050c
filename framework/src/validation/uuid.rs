//! [`Uuid`] (the `uuid` crate's) with DRF's `UUIDField` message.

pub use ::uuid::Uuid;

/// DRF's message for a value that is not a UUID.
pub const UUID_INVALID_MESSAGE: &str = "Must be a valid UUID.";

/// A UUID as DRF's `UUIDField` reads one: hyphenated (`5f0c…-…`), 32 hex digits, braced or
/// `urn:uuid:`, in either case; anything else is [`UUID_INVALID_MESSAGE`]. As a field,
/// `restframe::Uuid` (with the `serde` feature) reads the same forms and is written hyphenated
/// in lower case, DRF's `hex_verbose`.
///
/// ```
/// use restframe::{Uuid, parse_uuid};
/// let id = parse_uuid("{67E55044-10B1-426F-9247-BB680E5FE0C8}").unwrap();
/// assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
/// assert_eq!(serde_json::to_string(&id).unwrap(), r#""67e55044-10b1-426f-9247-bb680e5fe0c8""#);
/// assert_eq!(parse_uuid("67e55044"), Err("Must be a valid UUID."));
/// # let _: Uuid = id;
/// ```
pub fn parse_uuid(text: &str) -> Result<Uuid, &'static str> {
    Uuid::try_parse(text).map_err(|_| UUID_INVALID_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::{UUID_INVALID_MESSAGE, Uuid, parse_uuid};

    #[test]
    fn reads_drf_forms() {
        let want = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        for form in [
            want,
            "67E55044-10B1-426F-9247-BB680E5FE0C8",
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
        ] {
            assert_eq!(parse_uuid(form).map(|u| u.to_string()), Ok(want.into()));
        }
        for bad in [
            "",
            "67e55044-10b1-426f-9247-bb680e5fe0c",
            "67e55044-10b1-426f-9247-bb680e5fe0c8x",
            "g7e55044-10b1-426f-9247-bb680e5fe0c8",
            " 67e55044-10b1-426f-9247-bb680e5fe0c8",
        ] {
            assert_eq!(parse_uuid(bad), Err(UUID_INVALID_MESSAGE), "{bad:?}");
        }
    }

    #[test]
    fn serde_writes_hex_verbose() {
        let id: Uuid = serde_json::from_str(r#""67E5504410B1426F9247BB680E5FE0C8""#).unwrap();
        assert_eq!(
            serde_json::to_value(id).unwrap(),
            serde_json::json!("67e55044-10b1-426f-9247-bb680e5fe0c8")
        );
        assert!(serde_json::from_str::<Uuid>(r#""nope""#).is_err());
    }
}
