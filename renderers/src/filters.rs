//! Template filters for binary data: `b64encode`, `b64decode` and `data_uri`.
//!
//! Registered on every [`TemplateHtmlRenderer`](crate::TemplateHtmlRenderer) environment, so a
//! template can inline an image the data carries as bytes:
//! `<img src="{{ cover | data_uri }}">`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

/// Adds the filters of this module to `env`.
pub(crate) fn register(env: &mut Environment<'_>) {
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("data_uri", data_uri);
}

/// `bytes | b64encode` or `"text" | b64encode`: standard base64 with padding.
///
/// The result holds only base64 characters, so it is marked safe (nothing to escape).
pub(crate) fn b64encode(value: &Value) -> Result<Value, Error> {
    let bytes = bytes_of(value, "b64encode")?;
    Ok(Value::from_safe_string(STANDARD.encode(bytes)))
}

/// `"aGk=" | b64decode`: the UTF-8 text the base64 encodes; an error for anything else.
///
/// The result is ordinary text, escaped on output like any other.
pub(crate) fn b64decode(value: &Value) -> Result<Value, Error> {
    let text = value.as_str().ok_or_else(|| {
        invalid(format!(
            "b64decode expects base64 text, got {}",
            value.kind()
        ))
    })?;
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| invalid(format!("b64decode: not valid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::from)
        .map_err(|_| invalid("b64decode: the decoded bytes are not UTF-8 text"))
}

/// `bytes | data_uri`, `bytes | data_uri("image/svg+xml")` or `b64 | data_uri(mime="…")`:
/// a `data:{mime};base64,…` URI.
///
/// The value is bytes (serde bytes, or a list of integers 0–255, which is how a `Vec<u8>`
/// serializes) or a string already in base64. Without a media type, PNG, JPEG, GIF and WebP are
/// recognised by their first bytes; anything else is `application/octet-stream`. The media type
/// is checked to hold only media-type characters, so the URI is safe in an attribute and marked
/// safe.
pub(crate) fn data_uri(
    value: &Value,
    mime: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let mime = match mime {
        Some(m) => Some(m),
        None => kwargs.get::<Option<String>>("mime")?,
    };
    kwargs.assert_all_used()?;
    // `as_str` also answers for bytes that happen to be UTF-8, so ask for the kind.
    let text = (value.kind() == ValueKind::String)
        .then(|| value.as_str())
        .flatten();
    let (bytes, encoded) = match text {
        Some(b64) => {
            let b64 = b64.trim();
            let bytes = STANDARD
                .decode(b64)
                .map_err(|e| invalid(format!("data_uri: the string is not valid base64: {e}")))?;
            (bytes, b64.to_owned())
        }
        None => {
            let bytes = bytes_of(value, "data_uri")?;
            let encoded = STANDARD.encode(&bytes);
            (bytes, encoded)
        }
    };
    let mime = match mime {
        Some(m) if is_media_type(&m) => m,
        Some(m) => return Err(invalid(format!("data_uri: `{m}` is not a media type"))),
        None => sniff(&bytes).to_owned(),
    };
    Ok(Value::from_safe_string(format!(
        "data:{mime};base64,{encoded}"
    )))
}

/// The bytes a value holds: serde bytes, a string's UTF-8, or a sequence of integers 0–255.
fn bytes_of(value: &Value, filter: &str) -> Result<Vec<u8>, Error> {
    if let Some(bytes) = value.as_bytes() {
        return Ok(bytes.to_vec());
    }
    if value.kind() != ValueKind::Seq {
        return Err(invalid(format!(
            "{filter} expects bytes or text, got {}",
            value.kind()
        )));
    }
    value
        .try_iter()?
        .map(|item| {
            item.as_i64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "{filter} expects a list of bytes (integers 0-255), got an item {item}"
                    ))
                })
        })
        .collect()
}

/// The media type of an image recognised by its magic number, else `application/octet-stream`.
fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

/// `type/subtype` with optional `;param=value`s, in media-type characters only (no quotes,
/// spaces or angle brackets), so it cannot break out of an attribute.
fn is_media_type(m: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$&^_.+-/;=".contains(c);
    m.contains('/') && m.chars().all(allowed)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use minijinja::context;

    fn env() -> Environment<'static> {
        let mut env = Environment::new();
        register(&mut env);
        env
    }

    fn render(source: &str, ctx: Value) -> Result<String, Error> {
        let mut env = env();
        env.add_template_owned("t.html", source.to_owned())?;
        env.get_template("t.html")?.render(ctx)
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn b64encode_takes_bytes_lists_of_integers_and_text() {
        let bytes = bytes::Bytes::from_static(b"hi?>");
        let ctx = context! { b => Value::from(minijinja::value::Serde(&bytes)), v => vec![104u8, 105], s => "hé" };
        assert_eq!(
            render("{{ b|b64encode }} {{ v|b64encode }} {{ s|b64encode }}", ctx).unwrap(),
            "aGk/Pg== aGk= aMOp"
        );
        assert!(render("{{ 3|b64encode }}", context! {}).is_err());
        assert!(render("{{ [1, 300]|b64encode }}", context! {}).is_err());
    }

    #[test]
    fn b64decode_gives_escaped_text_and_refuses_invalid_base64() {
        // "<b>" encoded: the decoded text is escaped like any other value.
        assert_eq!(
            render("{{ 'PGI+'|b64decode }}", context! {}).unwrap(),
            "&lt;b&gt;"
        );
        let err = render("{{ 'not base64!'|b64decode }}", context! {}).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
        assert!(render("{{ '/w=='|b64decode }}", context! {}).is_err()); // 0xff: not UTF-8
    }

    #[test]
    fn data_uri_sniffs_images_and_survives_an_attribute() {
        let ctx = context! { png => Value::from_bytes(PNG.to_vec()), raw => vec![1u8, 2, 3] };
        let out = render(r#"<img src="{{ png|data_uri }}"> {{ raw|data_uri }}"#, ctx).unwrap();
        let expected = format!(
            r#"<img src="data:image/png;base64,{}">"#,
            STANDARD.encode(PNG)
        );
        assert!(out.starts_with(&expected), "{out}");
        assert!(
            out.ends_with(" data:application/octet-stream;base64,AQID"),
            "{out}"
        );
    }

    #[test]
    fn data_uri_takes_a_media_type_positionally_or_by_name_and_base64_text() {
        let ctx = context! { b64 => "/9j/4A==" };
        assert_eq!(
            render("{{ b64|data_uri }}", ctx.clone()).unwrap(),
            "data:image/jpeg;base64,/9j/4A=="
        );
        assert_eq!(
            render("{{ b64|data_uri('image/x-test') }}", ctx.clone()).unwrap(),
            "data:image/x-test;base64,/9j/4A=="
        );
        assert_eq!(
            render("{{ b64|data_uri(mime='image/svg+xml') }}", ctx.clone()).unwrap(),
            "data:image/svg+xml;base64,/9j/4A=="
        );
        assert!(render(r#"{{ b64|data_uri('x" onload="y') }}"#, ctx.clone()).is_err());
        assert!(render("{{ b64|data_uri(colour='red') }}", ctx).is_err());
        assert!(render("{{ 'ab$'|data_uri }}", context! {}).is_err());
    }

    #[test]
    fn sniffs_each_known_image_and_falls_back() {
        assert_eq!(sniff(PNG), "image/png");
        assert_eq!(sniff(b"GIF89a..."), "image/gif");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
    }
}
