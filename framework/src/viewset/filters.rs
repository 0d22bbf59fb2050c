//! Filter sets in the style of django-filter: per field, the lookups a list allows
//! (`?release_date__gte=1959-01-01`, `?title__icontains=blue`, `?id__in=1,2`), and DRF's
//! `SearchFilter` (`?search=`) over declared fields. The query string becomes [`Condition`]s
//! and a [`Search`] of the [`ListQuery`](super::ListQuery), which a SQL repository turns into
//! a `WHERE` with bound parameters.

use crate::{ApiError, Query};

/// A django-filter lookup: how a field is compared with the value of `?{field}{suffix}=`.
///
/// ```
/// use restframe::Lookup;
/// assert_eq!(Lookup::Gte.param("release_date"), "release_date__gte");
/// assert_eq!(Lookup::Exact.param("title"), "title");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// `?field=v`: equal.
    Exact,
    /// `?field__gt=v`: greater than.
    Gt,
    /// `?field__gte=v`: greater than or equal.
    Gte,
    /// `?field__lt=v`: less than.
    Lt,
    /// `?field__lte=v`: less than or equal.
    Lte,
    /// `?field__icontains=v`: contains `v`, ignoring case (ASCII case on SQLite).
    IContains,
    /// `?field__istartswith=v`: starts with `v`, ignoring case (ASCII case on SQLite).
    IStartsWith,
    /// `?field__in=a,b,c`: equal to one of the comma-separated values (at most
    /// [`MAX_IN_VALUES`]).
    In,
    /// `?field__isnull=true` (or `false`): whether the field is null.
    IsNull,
}

/// The most values one `__in` lookup takes; more is a 400 naming the parameter.
pub const MAX_IN_VALUES: usize = 100;

/// The message for an `__isnull` value that is neither `true` nor `false` (nor `1`, `0`).
pub const ISNULL_INVALID_MESSAGE: &str = "Must be a valid boolean.";

/// The most terms `?search=` takes; later ones are ignored.
pub const MAX_SEARCH_TERMS: usize = 10;

impl Lookup {
    /// Every lookup.
    pub const ALL: [Lookup; 9] = [
        Lookup::Exact,
        Lookup::Gt,
        Lookup::Gte,
        Lookup::Lt,
        Lookup::Lte,
        Lookup::IContains,
        Lookup::IStartsWith,
        Lookup::In,
        Lookup::IsNull,
    ];

    /// The suffix of its query parameter (`__gte`; none for [`Lookup::Exact`]).
    pub fn suffix(self) -> &'static str {
        match self {
            Lookup::Exact => "",
            Lookup::Gt => "__gt",
            Lookup::Gte => "__gte",
            Lookup::Lt => "__lt",
            Lookup::Lte => "__lte",
            Lookup::IContains => "__icontains",
            Lookup::IStartsWith => "__istartswith",
            Lookup::In => "__in",
            Lookup::IsNull => "__isnull",
        }
    }

    /// The query parameter of this lookup on `field`.
    pub fn param(self, field: &str) -> String {
        format!("{field}{}", self.suffix())
    }
}

/// One condition of a list request: `field` compared by `lookup` with `values` (one value;
/// one or more for [`Lookup::In`]; for [`Lookup::IsNull`], `"true"` or `"false"`, or what was
/// sent when it is neither, which the repository refuses with [`ISNULL_INVALID_MESSAGE`]). Values are
/// the query's text: the repository reads them as the field's type, and a value that is not
/// one is a 400 naming [`Condition::param`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The field (already checked against the viewset's filter set).
    pub field: String,
    /// How it is compared.
    pub lookup: Lookup,
    /// The values, as text.
    pub values: Vec<String>,
}

impl Condition {
    /// The query parameter it came from (`release_date__gte`), for error messages.
    pub fn param(&self) -> String {
        self.lookup.param(&self.field)
    }
}

/// DRF's `SearchFilter`: every term must be found (case-insensitively) in at least one of
/// `fields`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    /// The fields searched (the viewset's `search_fields`).
    pub fields: Vec<String>,
    /// The terms, split on spaces and commas; never empty.
    pub terms: Vec<String>,
}

/// The conditions `query` asks for among `allowed` (field and its lookups). An empty value is
/// no condition (django-filter's way). `__in` takes comma-separated values (more than
/// [`MAX_IN_VALUES`] is a 400 naming the parameter); `__isnull` reads `true`/`false` (also
/// `1`/`0`).
pub(super) fn conditions(
    query: Query<'_>,
    allowed: &[(String, Vec<Lookup>)],
) -> Result<Vec<Condition>, ApiError> {
    let mut out = Vec::new();
    let mut errors: Vec<(String, String)> = Vec::new();
    for (field, lookups) in allowed {
        for &lookup in lookups {
            let param = lookup.param(field);
            let Some(value) = query.get(&param).filter(|v| !v.is_empty()) else {
                continue;
            };
            let values = match lookup {
                Lookup::In => {
                    let values: Vec<String> = value
                        .split(',')
                        // The spaces the document's pattern allows, and no others.
                        .map(|v| v.trim_matches(['\t', '\n', '\x0b', '\x0c', '\r', ' ']))
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if values.len() > MAX_IN_VALUES {
                        errors.push((
                            param,
                            format!("Ensure this value has at most {MAX_IN_VALUES} items."),
                        ));
                        continue;
                    }
                    if values.is_empty() {
                        continue;
                    }
                    values
                }
                // Anything else stays as sent, for the repository to refuse with the other
                // bad values of the request, all at once ([`ISNULL_INVALID_MESSAGE`]).
                Lookup::IsNull => match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" => vec!["true".to_owned()],
                    "false" | "0" => vec!["false".to_owned()],
                    _ => vec![value.into_owned()],
                },
                _ => vec![value.into_owned()],
            };
            out.push(Condition {
                field: field.clone(),
                lookup,
                values,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(
            errors.iter().map(|(p, m)| (p.as_str(), m.as_str())),
        ))
    }
}

/// `?search=` over `fields`, as DRF splits it: on spaces and commas, NUL characters dropped,
/// at most [`MAX_SEARCH_TERMS`] terms. `None` without fields or terms.
pub(super) fn search(query: Query<'_>, fields: &[String]) -> Option<Search> {
    if fields.is_empty() {
        return None;
    }
    let text = query.get("search")?;
    let terms: Vec<String> = text
        .replace('\0', "")
        .replace(',', " ")
        .split_whitespace()
        .take(MAX_SEARCH_TERMS)
        .map(str::to_owned)
        .collect();
    (!terms.is_empty()).then(|| Search {
        fields: fields.to_vec(),
        terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<(String, Vec<Lookup>)> {
        vec![
            ("title".into(), vec![Lookup::Exact, Lookup::IContains]),
            (
                "release_date".into(),
                vec![Lookup::Gte, Lookup::Lt, Lookup::IsNull],
            ),
            ("id".into(), vec![Lookup::In]),
        ]
    }

    fn c(field: &str, lookup: Lookup, values: &[&str]) -> Condition {
        Condition {
            field: field.into(),
            lookup,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn declared_lookups_become_conditions_and_empty_values_none() {
        let q = Query::new(
            "title__icontains=blue&release_date__gte=1959-01-01&release_date__lt=&id__in=3,%204,,5\
             &release_date__isnull=0&title__istartswith=x&secret=1",
        );
        assert_eq!(
            conditions(q, &allowed()).unwrap(),
            vec![
                c("title", Lookup::IContains, &["blue"]),
                c("release_date", Lookup::Gte, &["1959-01-01"]),
                c("release_date", Lookup::IsNull, &["false"]),
                c("id", Lookup::In, &["3", "4", "5"]),
            ]
        );
        assert!(
            conditions(Query::new("title="), &allowed())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn long_lists_are_400_naming_the_parameter_and_odd_booleans_go_on_as_sent() {
        let many = (0..=MAX_IN_VALUES)
            .map(|i| i.to_string())
            .collect::<Vec<_>>();
        let q = format!("id__in={}", many.join(","));
        let e = conditions(Query::new(&q), &allowed()).unwrap_err();
        assert_eq!(e.status(), 400);
        let body = serde_json::to_value(&e).unwrap();
        assert!(body["id__in"][0].is_string(), "{body}");
        assert_eq!(
            conditions(Query::new("release_date__isnull=maybe"), &allowed()).unwrap(),
            vec![c("release_date", Lookup::IsNull, &["maybe"])]
        );
    }

    #[test]
    fn search_splits_on_spaces_and_commas() {
        let fields = vec!["title".to_owned()];
        assert_eq!(
            search(Query::new("search=blue,%20green%00%20"), &fields),
            Some(Search {
                fields: fields.clone(),
                terms: vec!["blue".into(), "green".into()]
            })
        );
        assert_eq!(search(Query::new("search=%20,"), &fields), None);
        assert_eq!(search(Query::new("search=x"), &[]), None);
        let long = vec!["t"; 20].join("+");
        assert_eq!(
            search(Query::new(&format!("search={long}")), &fields).map(|s| s.terms.len()),
            Some(MAX_SEARCH_TERMS)
        );
    }
}
