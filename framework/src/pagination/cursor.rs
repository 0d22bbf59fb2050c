//! DRF's `CursorPagination`: pages behind an opaque `?cursor=` that names a position in a
//! fixed ordering (a keyset), so that a page costs the same at any depth and stays put while
//! rows are inserted. The cursor is signed (HMAC-SHA256): an altered one is a 404.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{
    Count, Counts, Envelope, Fetched, PageSize, Pagination, Position, Window, size_param,
    with_params,
};
use crate::ordering::OrderBy;
use crate::{ApiError, Request};

/// Bytes of the signature a cursor carries (128 bits of HMAC-SHA256).
const TAG_LEN: usize = 16;
/// The longest cursor read; anything longer is invalid without being decoded.
const MAX_CURSOR: usize = 4096;

/// DRF's `CursorPagination`: `{"next", "previous", "results"}`, no count, and an opaque
/// `?cursor=` in the links.
///
/// - The ordering is the style's own (`-id` unless [`CursorPagination::ordering`] says
///   otherwise; `?ordering=` is not offered), and must end in a unique field so that a
///   position names one row.
/// - A page is the rows strictly after (or, for `previous`, before) the position its cursor
///   names: a keyset, no `OFFSET` and no `COUNT`, so page 5,000 costs what page 1 costs where
///   an index serves the ordering, and rows inserted meanwhile neither repeat nor skip a row.
/// - The cursor is signed with HMAC-SHA256 under [`CursorPagination::signing_key`] (a
///   random key per process by default: give every instance behind a load balancer the
///   same key). An altered cursor, or one made for another ordering, is 404
///   `{"detail": "Invalid cursor"}`, as DRF.
/// - `?page_size=` as [`super::PageNumberPagination`].
///
/// ```
/// use restframe::CursorPagination;
/// # fn f<R: restframe::Repository>(repo: R) -> restframe::ModelViewSet<R> {
/// let cursor = CursorPagination::new(20, 100)
///     .ordering(["-created_at", "-id"])
///     .signing_key(b"the same secret on every instance");
/// restframe::ModelViewSet::new("Track", "track", repo).pagination(cursor)
/// # }
/// ```
#[derive(Clone)]
pub struct CursorPagination {
    size: PageSize,
    ordering: Vec<OrderBy>,
    /// `ordering` as written in `?ordering=`, which a cursor must carry.
    ordering_text: String,
    key: Arc<[u8]>,
}

impl std::fmt::Debug for CursorPagination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorPagination")
            .field("size", &self.size)
            .field("ordering", &self.ordering_text)
            .finish_non_exhaustive()
    }
}

impl CursorPagination {
    /// Pages of `default` rows unless `?page_size=` asks for another size, up to `max`,
    /// ordered by `-id`, signed with a random key.
    pub fn new(default: u64, max: u64) -> Self {
        let mut key = [0u8; 32];
        // Without the operating system's randomness the key is fixed: cursors stay checked
        // for integrity, not secret from someone who reads this source.
        let _ = getrandom::fill(&mut key);
        Self {
            size: PageSize::new(default, max),
            ordering: vec![OrderBy::parse("-id")],
            ordering_text: "-id".into(),
            key: Arc::from(key.as_slice()),
        }
    }

    /// The ordering, as `?ordering=` writes it (`-created_at`, then `-id`). The last key must
    /// be unique, else rows that tie on every key may be skipped between pages.
    pub fn ordering<'a>(mut self, keys: impl IntoIterator<Item = &'a str>) -> Self {
        let keys: Vec<OrderBy> = keys.into_iter().map(OrderBy::parse).collect();
        if !keys.is_empty() {
            self.ordering_text = keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            self.ordering = keys;
        }
        self
    }

    /// The key cursors are signed with; every instance serving the same API needs the same.
    pub fn signing_key(mut self, key: &[u8]) -> Self {
        self.key = Arc::from(key);
        self
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"))
    }

    /// The opaque cursor for the rows after (or, `reversed`, before) `position`.
    fn encode(&self, position: &[Option<String>], reversed: bool) -> String {
        let payload = serde_json::json!([self.ordering_text, reversed, position]).to_string();
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(&tag[..TAG_LEN])
        )
    }

    /// The position and direction of a cursor this style made, or "Invalid cursor".
    fn decode(&self, cursor: &str) -> Result<(Position, bool), ApiError> {
        let invalid = || ApiError::not_found("Invalid cursor");
        if cursor.len() > MAX_CURSOR {
            return Err(invalid());
        }
        let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let mut mac = self.mac();
        mac.update(&payload);
        // Constant time.
        mac.verify_truncated_left(&tag).map_err(|_| invalid())?;
        if tag.len() != TAG_LEN {
            return Err(invalid());
        }
        let (ordering, reversed, position): (String, bool, Position) =
            serde_json::from_slice(&payload).map_err(|_| invalid())?;
        // A cursor of another ordering (the style's was changed since) names no position here.
        if ordering != self.ordering_text || position.len() != self.ordering.len() {
            return Err(invalid());
        }
        Ok((position, reversed))
    }
}

impl Pagination for CursorPagination {
    fn window(&self, req: &Request) -> Result<Window, ApiError> {
        let query = req.query();
        let limit = size_param(query, "page_size", self.size)?;
        let mut window = Window::new(0, limit).counted(Count::Off);
        window.ordering = Some(self.ordering.clone());
        if let Some(cursor) = query.get("cursor").filter(|c| !c.is_empty()) {
            let (position, reversed) = self.decode(&cursor)?;
            window.after = Some(position);
            if reversed {
                window.reversed = true;
                window.ordering = Some(self.ordering.iter().map(OrderBy::reversed).collect());
            }
        }
        Ok(window)
    }

    fn envelope(&self, req: &Request, fetched: &Fetched) -> Result<Envelope, ApiError> {
        let base = req.base_url()?;
        let (path, query) = (req.uri().path(), req.query());
        let link = |position: &[Option<String>], reversed: bool| {
            let cursor = self.encode(position, reversed);
            with_params(&base, path, query, &[("cursor", Some(&cursor))])
        };
        let mut envelope = Envelope::new(None);
        let Some((first, last)) = &fetched.bounds else {
            // An empty page: nothing to move from (a cursor past the last row, or no rows).
            return Ok(envelope);
        };
        let came_with_cursor = fetched.window.after.is_some();
        // Going back, the rows were read backwards: `more` is about the rows before them, and
        // the page we came from is after them.
        let (more_after, more_before) = if fetched.window.reversed {
            (true, fetched.more)
        } else {
            (fetched.more, came_with_cursor)
        };
        if more_after {
            envelope = envelope.next(link(last, false));
        }
        if more_before {
            envelope = envelope.previous(link(first, true));
        }
        Ok(envelope)
    }

    fn counts(&self) -> Counts {
        Counts::Never
    }

    fn orders(&self) -> bool {
        true
    }

    #[cfg(feature = "openapi")]
    fn describe_list(&self, doc: crate::openapi::Doc) -> crate::openapi::Doc {
        let PageSize { default, max } = self.size;
        doc.query_schema(
            "cursor",
            "The page's cursor, from a `next` or `previous` link.",
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String),
            false,
        )
        .query_schema(
            "page_size",
            &format!("Rows per page ({default} by default, at most {max})."),
            super::positive(),
            false,
        )
        // A page size the document does not allow; a cursor altered or out of date.
        .errors([400, 404])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_owned)).collect()
    }

    #[test]
    fn a_cursor_round_trips_and_refuses_any_change() {
        let style = CursorPagination::new(20, 100)
            .ordering(["-created_at", "-id"])
            .signing_key(b"k");
        let p = position(&[Some("2026-01-01T00:00:00.000000Z"), Some("42")]);
        let cursor = style.encode(&p, true);
        assert_eq!(style.decode(&cursor).unwrap(), (p.clone(), true));
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
        // Every single-character change of the payload or tag is refused.
        for i in 0..cursor.len() {
            let mut bytes = cursor.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered != cursor {
                let e = style.decode(&altered).unwrap_err();
                assert_eq!(e.status(), 404, "{altered}");
            }
        }
        // Another key, another ordering, junk, a cut tag: refused.
        let other_key = style.clone().signing_key(b"other");
        assert!(other_key.decode(&cursor).is_err());
        let other_order = style.clone().ordering(["-id"]);
        assert!(other_order.decode(&other_order.encode(&p, false)).is_err());
        for junk in ["", ".", "x.y", "a", &"a".repeat(5000)] {
            assert!(style.decode(junk).is_err(), "{junk}");
        }
        let cut = &cursor[..cursor.len() - 2];
        assert!(style.decode(cut).is_err());
        let e = style.decode("x.y").unwrap_err();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"detail": "Invalid cursor"})
        );
    }

    #[test]
    fn nulls_survive_a_cursor() {
        let style = CursorPagination::new(5, 5).ordering(["release_date", "id"]);
        let p = position(&[None, Some("7")]);
        assert_eq!(style.decode(&style.encode(&p, false)).unwrap(), (p, false));
    }
}
