//! A list request's query string as a [`ListQuery`]: allow-listed exact-match filters,
//! `?ordering=` over allow-listed fields, and the page window the pagination chose.

use super::filters::{Lookup, conditions, search};
use super::repository::{ListQuery, OrderBy};
use crate::pagination::Window;
use crate::{ApiError, Query};

/// The [`ListQuery`] for `query` on a viewset filtering on `filter_fields` and ordering by
/// `ordering_fields`, over `window`.
pub(super) fn list_query(
    query: Query<'_>,
    fields: &ListFields,
    window: &Window,
) -> Result<ListQuery, ApiError> {
    Ok(ListQuery {
        filters: filters(query, &fields.filter_fields),
        conditions: conditions(query, &fields.lookups)?,
        search: search(query, &fields.search_fields),
        ordering: match &window.ordering {
            Some(imposed) => imposed.clone(),
            None => ordering(query, &fields.ordering_fields),
        },
        offset: window.offset,
        // One row more to tell whether rows remain, when the style counts none.
        limit: window.limit.saturating_add(u64::from(window.peek)),
        count: window.count,
        after: window.after.clone(),
    })
}

/// What a viewset's lists may filter, search and order on.
#[derive(Clone, Debug, Default)]
pub(super) struct ListFields {
    /// Exact-match filters (`?artist_name=`).
    pub(super) filter_fields: Vec<String>,
    /// The filter set: each field with its other lookups.
    pub(super) lookups: Vec<(String, Vec<Lookup>)>,
    /// The fields `?search=` looks in.
    pub(super) search_fields: Vec<String>,
    /// The fields `?ordering=` may name.
    pub(super) ordering_fields: Vec<String>,
}

/// `?field=value` for each allowed field the query names (its first value); an empty value is
/// no filter, as django-filter has it.
fn filters(query: Query<'_>, allowed: &[String]) -> Vec<(String, String)> {
    allowed
        .iter()
        .filter_map(|f| {
            let value = query.get(f).filter(|v| !v.is_empty())?;
            Some((f.clone(), value.into_owned()))
        })
        .collect()
}

/// `?ordering=-title,artist_name`: the allowed keys in order, `-` for descending; others are
/// ignored, as DRF.
fn ordering(query: Query<'_>, allowed: &[String]) -> Vec<OrderBy> {
    let Some(o) = query.get("ordering") else {
        return Vec::new();
    };
    o.split(',')
        .map(str::trim)
        .filter_map(|key| {
            let (field, descending) = match key.strip_prefix('-') {
                Some(f) => (f, true),
                None => (key, false),
            };
            allowed.iter().any(|a| a == field).then(|| OrderBy {
                field: field.to_owned(),
                descending,
            })
        })
        .fold(Vec::<OrderBy>::new(), |mut keys, key| {
            // A field counts once (its first mention), so the keys are bounded by the
            // allow-list however long the parameter is.
            if !keys.iter().any(|k| k.field == key.field) {
                keys.push(key);
            }
            keys
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|f| (*f).to_owned()).collect()
    }

    fn key(field: &str, descending: bool) -> OrderBy {
        OrderBy {
            field: field.to_owned(),
            descending,
        }
    }

    #[test]
    fn filters_take_allowed_fields_only() {
        let q = Query::new("artist_name=Miles%20Davis&title=x&artist_name=other");
        assert_eq!(
            filters(q, &names(&["artist_name"])),
            vec![("artist_name".to_owned(), "Miles Davis".to_owned())]
        );
        assert!(filters(Query::new(""), &names(&["artist_name"])).is_empty());
        assert!(filters(Query::new("artist_name="), &names(&["artist_name"])).is_empty());
    }

    #[test]
    fn ordering_keeps_allowed_keys_once_in_order() {
        let allowed = names(&["title", "id"]);
        assert_eq!(
            ordering(Query::new("ordering=-title,%20secret,id,title"), &allowed),
            vec![key("title", true), key("id", false)]
        );
        assert!(ordering(Query::new("ordering="), &allowed).is_empty());
        assert!(ordering(Query::new(""), &allowed).is_empty());
    }

    #[test]
    fn the_window_becomes_offset_and_limit() {
        let q = list_query(Query::new(""), &ListFields::default(), &Window::new(40, 20)).unwrap();
        assert_eq!((q.offset, q.limit), (40, 20));
        let peeking = Window::new(0, 20).peeking();
        assert_eq!(
            list_query(Query::new(""), &ListFields::default(), &peeking)
                .unwrap()
                .limit,
            21
        );
    }
}
