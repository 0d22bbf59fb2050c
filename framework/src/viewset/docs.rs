//! What a viewset says of its actions in the OpenAPI document (feature `openapi`).

use utoipa::openapi::schema::{
    ArrayBuilder, Components, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};

use http::Method;

use super::builder::{Action, ModelViewSet};
use super::filters::Lookup;
use super::query::ListFields;
use super::repository::Repository;
use super::standard::StandardAction;
use crate::ApiView;
use crate::openapi::Doc;
use crate::pagination::{Counts, Pagination};
use crate::validation::NUL_FREE_PATTERN;

type SchemaFn = fn(&mut Components) -> RefOr<Schema>;

/// The schemas of a viewset's model, input and patch, and of its page of models.
#[derive(Clone, Copy)]
pub(super) struct ModelSchemas {
    model: SchemaFn,
    input: SchemaFn,
    patch: SchemaFn,
    /// The page's envelope with `count` always, sometimes, never (see [`Counts`]).
    page: [SchemaFn; 3],
}

impl ModelSchemas {
    pub(super) fn of<M, I, P>() -> Self
    where
        M: utoipa::ToSchema,
        I: utoipa::ToSchema,
        P: utoipa::ToSchema,
    {
        Self {
            model: crate::openapi::register_schema::<M>,
            input: crate::openapi::register_schema::<I>,
            patch: crate::openapi::register_schema::<P>,
            page: [
                page_schema::<M, ALWAYS>,
                page_schema::<M, SOMETIMES>,
                page_schema::<M, NEVER>,
            ],
        }
    }
}

/// A body property's schema as a query parameter's (see `ActionDocs::list`).
fn parameter_schema(property: &RefOr<Schema>) -> Option<RefOr<Schema>> {
    match property {
        RefOr::Ref(r) => Some(RefOr::Ref(Ref::new(r.ref_location.clone()))),
        RefOr::T(Schema::Object(object)) => {
            let mut object = object.clone();
            object.read_only = None;
            object.write_only = None;
            object.description = None;
            object.default = None;
            // An empty value is no filter (django-filter): a text the pattern checks may also
            // be empty, and its `format` (which no empty text meets) gives way to the pattern.
            let text = match &object.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                _ => false,
            };
            if let Some(pattern) = object.pattern.take() {
                let inner = pattern.strip_prefix('^').unwrap_or(&pattern);
                let inner = inner.strip_suffix('$').unwrap_or(inner);
                object.pattern = Some(format!("^(?:{inner})?$"));
                object.format = None;
            } else if text && object.format.is_none() {
                // A text: no NUL character, which no SQL filter takes (empty is no filter).
                object.pattern = Some(NUL_FREE_PATTERN.to_owned());
            }
            if let SchemaType::Array(types) = &object.schema_type {
                let types: Vec<Type> = types
                    .iter()
                    .filter(|t| **t != Type::Null)
                    .cloned()
                    .collect();
                object.schema_type = match types.as_slice() {
                    [one] => SchemaType::Type(one.clone()),
                    _ => SchemaType::Array(types),
                };
            }
            Some(RefOr::T(Schema::Object(object)))
        }
        // A nullable reference: the one that is not null.
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter().find_map(|item| match item {
            RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null) => None,
            other => parameter_schema(other),
        }),
        RefOr::T(Schema::AllOf(all_of)) if all_of.items.len() == 1 => {
            parameter_schema(&all_of.items[0])
        }
        _ => None,
    }
}

const ALWAYS: u8 = 0;
const SOMETIMES: u8 = 1;
const NEVER: u8 = 2;

/// DRF's pagination envelope around `T`: `Paginated{T}List` with a `count` on every page;
/// `Paginated{T}CappedList` with one only when known; `Paginated{T}CursorList` without.
fn page_schema<T: utoipa::ToSchema, const COUNT: u8>(components: &mut Components) -> RefOr<Schema> {
    let item = crate::openapi::register_schema::<T>(components);
    let name = match COUNT {
        ALWAYS => format!("Paginated{}List", T::name()),
        SOMETIMES => format!("Paginated{}CappedList", T::name()),
        _ => format!("Paginated{}CursorList", T::name()),
    };
    if !components.schemas.contains_key(&name) {
        let link = |description: &str| {
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::Array(vec![
                    Type::String,
                    Type::Null,
                ]))
                .format(Some(SchemaFormat::Custom("uri".into())))
                .description(Some(description))
        };
        let mut schema = ObjectBuilder::new().schema_type(Type::Object);
        if COUNT != NEVER {
            schema = schema.property(
                "count",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .description(Some(if COUNT == ALWAYS {
                        "How many rows match, over all pages."
                    } else {
                        "How many rows match, over all pages; absent when more than the count's cap."
                    })),
            );
        }
        if COUNT == ALWAYS {
            schema = schema.required("count");
        }
        let schema = schema
            .property("next", link("The next page, if any."))
            .required("next")
            .property("previous", link("The previous page, if any."))
            .required("previous")
            .property("results", ArrayBuilder::new().items(item))
            .required("results")
            .build();
        components.schemas.insert(name.clone(), schema.into());
    }
    RefOr::Ref(Ref::from_schema_name(name))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A text parameter compared with stored text: no NUL character ([`NUL_FREE_PATTERN`]).
fn text() -> ObjectBuilder {
    string().pattern(Some(NUL_FREE_PATTERN))
}

/// Comma-separated canonical integers (`4,8, 15`; empty entries and ASCII spaces, tabs and
/// line breaks around them are skipped), as `__in` on an integer field takes them. At most 18
/// digits, so that every value the pattern allows fits a 64-bit integer.
const INTEGER_LIST_PATTERN: &str = r"^[\t\n\v\f\r ,]*(?:(?:0|-?[1-9][0-9]{0,17})[\t\n\v\f\r ,]*(?:,[\t\n\v\f\r ,]*(?:0|-?[1-9][0-9]{0,17})[\t\n\v\f\r ,]*)*)?$";

/// The `__in` parameter of a field whose own parameter schema is `field`: a string, with the
/// pattern of a list of integers when the field is one.
fn in_schema(field: &RefOr<Schema>) -> ObjectBuilder {
    let integer = matches!(
        field,
        RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Integer)
    );
    if integer {
        string().pattern(Some(INTEGER_LIST_PATTERN))
    } else {
        string()
    }
}

/// What a viewset infers of its actions for the OpenAPI document.
pub(super) struct ActionDocs<'a> {
    tag: String,
    basename: &'a str,
    schemas: Option<ModelSchemas>,
    pagination: &'a dyn Pagination,
    list_fields: &'a ListFields,
    /// Whether writes may conflict with stored rows (a 409, [`Repository::may_conflict`]).
    conflicts: bool,
    /// Whether a destroy may (a 409, [`Repository::may_conflict_on_destroy`]).
    destroy_conflicts: bool,
}

/// `doc` with a 409 among its errors when the operation `may` conflict with stored rows.
fn with_conflict(doc: Doc, may: bool) -> Doc {
    if may { doc.errors([409]) } else { doc }
}

impl<'a> ActionDocs<'a> {
    /// The docs of `viewset`'s actions under `prefix`, tagged with the prefix's last segment
    /// (else the basename).
    pub(super) fn new<R: Repository>(
        viewset: &'a ModelViewSet<R>,
        prefix: &str,
        pagination: &'a dyn Pagination,
    ) -> Self {
        let tag = prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(&viewset.basename)
            .to_owned();
        Self {
            tag,
            basename: &viewset.basename,
            schemas: viewset.schemas,
            pagination,
            list_fields: &viewset.list_fields,
            conflicts: viewset.repo.may_conflict(),
            destroy_conflicts: viewset.repo.may_conflict_on_destroy(),
        }
    }

    /// `view` of a standard action, with what the viewset infers of it under what the view
    /// itself says.
    pub(super) fn describe(&self, action: StandardAction, view: ApiView) -> ApiView {
        let inferred = match action {
            StandardAction::List => self.list(),
            StandardAction::Create => self.create(),
            StandardAction::Retrieve => self.retrieve(),
            StandardAction::Update => self.update(),
            StandardAction::PartialUpdate => self.partial_update(),
            StandardAction::Destroy => self.destroy(),
        };
        described(view, inferred)
    }

    /// The views of an extra action, each with the viewset's defaults under what it says.
    pub(super) fn describe_action(&self, action: &Action) -> Vec<(Method, ApiView)> {
        let several = action.methods.len() > 1;
        action
            .methods
            .iter()
            .map(|(m, v)| {
                let doc = self.action(&action.url_name, m, several);
                (m.clone(), described(v.clone(), doc))
            })
            .collect()
    }

    fn base(&self, action: &str, summary: String) -> Doc {
        Doc::new()
            .operation_id(&format!("{}_{action}", self.tag))
            .tag(&self.tag)
            .summary(&summary)
    }

    fn list(&self) -> Doc {
        let mut doc = self.list_with(self.pagination);
        // A version paginated otherwise has its own description in its document.
        for (version, style) in self.pagination.by_version() {
            doc.versions
                .push((version.to_owned(), self.list_with(style)));
        }
        doc
    }

    /// The list, paginated by `pagination`.
    fn list_with(&self, pagination: &dyn Pagination) -> Doc {
        let mut doc = self.base("list", format!("List the {}", self.tag));
        doc = pagination.describe_list(doc);
        let fields = self.list_fields;
        let model = self.model_properties();
        // A property's schema as a query parameter's: its type and format, without what only
        // a body has (`readOnly`, `null`, a description, a default); a string otherwise.
        let field_schema = |field: &str| -> RefOr<Schema> {
            model
                .as_ref()
                .and_then(|m| m.properties.get(field))
                .and_then(parameter_schema)
                .unwrap_or_else(|| RefOr::T(Schema::Object(text().build())))
        };
        if !fields.ordering_fields.is_empty() && !pagination.orders() {
            doc = doc.query_schema(
                "ordering",
                &format!(
                    "Sort keys, comma-separated, `-` for descending; among: {}.",
                    fields.ordering_fields.join(", ")
                ),
                string(),
                false,
            );
        }
        for field in &fields.filter_fields {
            doc = doc.query_schema(
                field,
                &format!("Only rows whose `{field}` is exactly this (empty: no filter)."),
                field_schema(field),
                false,
            );
        }
        for (field, lookups) in &fields.lookups {
            for &lookup in lookups {
                let (description, schema): (String, RefOr<Schema>) = match lookup {
                    Lookup::Exact => (
                        format!("Only rows whose `{field}` is exactly this."),
                        field_schema(field),
                    ),
                    Lookup::Gt => (format!("`{field}` greater than this."), field_schema(field)),
                    Lookup::Gte => (
                        format!("`{field}` greater than or equal to this."),
                        field_schema(field),
                    ),
                    Lookup::Lt => (format!("`{field}` less than this."), field_schema(field)),
                    Lookup::Lte => (
                        format!("`{field}` less than or equal to this."),
                        field_schema(field),
                    ),
                    Lookup::IContains => (
                        format!("`{field}` contains this, ignoring case."),
                        text().into(),
                    ),
                    Lookup::IStartsWith => (
                        format!("`{field}` starts with this, ignoring case."),
                        text().into(),
                    ),
                    Lookup::In => (
                        format!(
                            "`{field}` is one of these comma-separated values (at most {}).",
                            super::filters::MAX_IN_VALUES
                        ),
                        in_schema(&field_schema(field)).into(),
                    ),
                    Lookup::IsNull => (
                        format!("`true`: `{field}` is null; `false`: it is not."),
                        ObjectBuilder::new().schema_type(Type::Boolean).into(),
                    ),
                };
                doc = doc.query_schema(&lookup.param(field), &description, schema, false);
            }
        }
        if !fields.search_fields.is_empty() {
            doc = doc.query_schema(
                "search",
                &format!(
                    "Terms (split on spaces and commas) each found, ignoring case, in one of: {}.",
                    fields.search_fields.join(", ")
                ),
                string(),
                false,
            );
        }
        let doc = match self.schemas {
            Some(s) => {
                let page = match pagination.counts() {
                    Counts::Always => s.page[0],
                    Counts::Sometimes => s.page[1],
                    Counts::Never => s.page[2],
                };
                doc.response_component(200, "A page of rows.", page)
            }
            None => doc,
        };
        doc.response_header(200, "Link", "The next and previous pages (RFC 8288).")
    }

    /// The model's properties (its schema's), to describe query parameters on its fields;
    /// none when the viewset has no schemas.
    fn model_properties(&self) -> Option<Object> {
        let schemas = self.schemas?;
        let mut components = Components::new();
        let RefOr::Ref(model) = (schemas.model)(&mut components) else {
            return None;
        };
        let name = model.ref_location.rsplit('/').next().unwrap_or_default();
        match components.schemas.remove(name) {
            Some(RefOr::T(Schema::Object(object))) => Some(object),
            _ => None,
        }
    }

    /// The base of a write: a 409 when it may conflict with stored rows.
    fn write(&self, name: &str, summary: String) -> Doc {
        with_conflict(self.base(name, summary), self.conflicts)
    }

    fn create(&self) -> Doc {
        let doc = self.write("create", format!("Create a {}", self.basename));
        match self.schemas {
            Some(s) => doc
                .request_component(s.input)
                .response_component(201, "Created.", s.model),
            None => doc,
        }
    }

    fn retrieve(&self) -> Doc {
        let doc = self.base("retrieve", format!("Retrieve a {}", self.basename));
        match self.schemas {
            Some(s) => doc.response_component(200, "The row.", s.model),
            None => doc,
        }
    }

    fn update(&self) -> Doc {
        let doc = self.write("update", format!("Replace a {}", self.basename));
        match self.schemas {
            Some(s) => {
                doc.request_component(s.input)
                    .response_component(200, "The row, updated.", s.model)
            }
            None => doc,
        }
    }

    fn partial_update(&self) -> Doc {
        let doc = self.write(
            "partial_update",
            format!("Change some fields of a {}", self.basename),
        );
        match self.schemas {
            Some(s) => {
                doc.request_component(s.patch)
                    .response_component(200, "The row, updated.", s.model)
            }
            None => doc,
        }
    }

    fn destroy(&self) -> Doc {
        let doc = self
            .base("destroy", format!("Delete a {}", self.basename))
            .empty_response(204, "Deleted.");
        with_conflict(doc, self.destroy_conflicts)
    }

    /// An extra action's defaults: id `{tag}_{url_name}` (`_{method}` when it has several),
    /// the viewset's tag. What the action's view says goes over them.
    fn action(&self, url_name: &str, method: &Method, several: bool) -> Doc {
        let name = url_name.replace('-', "_");
        let id = if several {
            format!(
                "{}_{name}_{}",
                self.tag,
                method.as_str().to_ascii_lowercase()
            )
        } else {
            format!("{}_{name}", self.tag)
        };
        Doc::new().operation_id(&id).tag(&self.tag)
    }
}

/// `view` with `inferred` under what the view itself says.
fn described(view: ApiView, inferred: Doc) -> ApiView {
    let own = view.doc_info().cloned();
    let view = view.doc(inferred);
    match own {
        Some(own) => view.doc(own),
        None => view,
    }
}

#[cfg(test)]
mod tests {
    use super::INTEGER_LIST_PATTERN;

    #[test]
    fn the_integer_list_pattern_matches_what_in_takes() {
        let re = regex::Regex::new(INTEGER_LIST_PATTERN).unwrap();
        for ok in ["", "1", "1,2", " 4 , 8,,15 ", "-3,0", ",7,"] {
            assert!(re.is_match(ok), "{ok:?}");
        }
        assert!(re.is_match("\t1\x0b,\x0c2\r\n"));
        // No space but ASCII's, and no number past 18 digits (each fits an i64).
        for bad in [
            "+1",
            "01",
            "1 2",
            "-0",
            "a",
            "1,b",
            "1.5",
            "\u{a0}1",
            "1234567890123456789",
        ] {
            assert!(!re.is_match(bad), "{bad:?}");
        }
    }
}
