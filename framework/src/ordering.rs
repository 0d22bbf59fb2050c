//! Sort keys: one key of `?ordering=-title,artist_name`, shared by the list query and the
//! paginations that impose their own ordering (a cursor's).

/// One sort key of `?ordering=-title,artist_name`.
///
/// ```
/// use restframe::OrderBy;
/// assert_eq!(OrderBy::parse("-id"), OrderBy { field: "id".into(), descending: true });
/// assert_eq!(OrderBy::parse("-id").to_string(), "-id");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    /// The field.
    pub field: String,
    /// Descending (`-field`).
    pub descending: bool,
}

impl OrderBy {
    /// `field` for ascending, `-field` for descending.
    pub fn parse(key: &str) -> Self {
        match key.strip_prefix('-') {
            Some(field) => Self {
                field: field.to_owned(),
                descending: true,
            },
            None => Self {
                field: key.to_owned(),
                descending: false,
            },
        }
    }

    /// The same field, the other way.
    pub fn reversed(&self) -> Self {
        Self {
            field: self.field.clone(),
            descending: !self.descending,
        }
    }
}

impl std::fmt::Display for OrderBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.descending {
            f.write_str("-")?;
        }
        f.write_str(&self.field)
    }
}
