//! What a viewset says of its actions in the OpenAPI document (feature `openapi`).

use utoipa::openapi::schema::{
    ArrayBuilder, Components, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};

use super::pagination::Paging;
use crate::openapi::Doc;

type SchemaFn = fn(&mut Components) -> RefOr<Schema>;

/// The schemas of a viewset's model, input and patch, and of its page of models.
#[derive(Clone, Copy)]
pub(crate) struct ModelSchemas {
    model: SchemaFn,
    input: SchemaFn,
    patch: SchemaFn,
    page: SchemaFn,
}

impl ModelSchemas {
    pub(crate) fn of<M, I, P>() -> Self
    where
        M: utoipa::ToSchema,
        I: utoipa::ToSchema,
        P: utoipa::ToSchema,
    {
        Self {
            model: crate::openapi::register_schema::<M>,
            input: crate::openapi::register_schema::<I>,
            patch: crate::openapi::register_schema::<P>,
            page: page_schema::<M>,
        }
    }
}

/// DRF's pagination envelope around `T`: `Paginated{T}List`.
fn page_schema<T: utoipa::ToSchema>(components: &mut Components) -> RefOr<Schema> {
    let item = crate::openapi::register_schema::<T>(components);
    let name = format!("Paginated{}List", T::name());
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
        let schema = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "count",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .description(Some("How many rows match, over all pages.")),
            )
            .required("count")
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

fn positive() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
}

/// The docs of the six standard actions, by action name.
pub(crate) struct ActionDocs<'a> {
    pub(crate) tag: &'a str,
    pub(crate) basename: &'a str,
    pub(crate) schemas: Option<ModelSchemas>,
    pub(crate) paging: Paging,
    pub(crate) filter_fields: &'a [String],
    pub(crate) ordering_fields: &'a [String],
}

impl ActionDocs<'_> {
    fn base(&self, action: &str, summary: String) -> Doc {
        Doc::new()
            .operation_id(&format!("{}_{action}", self.tag))
            .tag(self.tag)
            .summary(&summary)
    }

    pub(crate) fn list(&self) -> Doc {
        let mut doc = self.base("list", format!("List the {}", self.tag));
        doc = match self.paging {
            Paging::PageNumber(size) => doc
                .query_schema("page", "A page number (from 1).", positive(), false)
                .query_schema(
                    "page_size",
                    &format!(
                        "Rows per page ({} by default, at most {}).",
                        size.default, size.max
                    ),
                    positive(),
                    false,
                )
                // A page past the last one.
                .errors([404]),
            Paging::LimitOffset(size) => doc
                .query_schema(
                    "limit",
                    &format!(
                        "Rows to return ({} by default, at most {}).",
                        size.default, size.max
                    ),
                    positive(),
                    false,
                )
                .query_schema(
                    "offset",
                    "Rows to skip.",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                    false,
                ),
        };
        if !self.ordering_fields.is_empty() {
            doc = doc.query_schema(
                "ordering",
                &format!(
                    "Sort keys, comma-separated, `-` for descending; among: {}.",
                    self.ordering_fields.join(", ")
                ),
                string(),
                false,
            );
        }
        for field in self.filter_fields {
            doc = doc.query_schema(
                field,
                &format!("Only rows whose `{field}` is exactly this."),
                string(),
                false,
            );
        }
        let doc = match self.schemas {
            Some(s) => doc.response_component(200, "A page of rows.", s.page),
            None => doc,
        };
        doc.response_header(200, "Link", "The next and previous pages (RFC 8288).")
    }

    pub(crate) fn create(&self) -> Doc {
        let doc = self.base("create", format!("Create a {}", self.basename));
        match self.schemas {
            Some(s) => doc
                .request_component(s.input)
                .response_component(201, "Created.", s.model),
            None => doc,
        }
    }

    pub(crate) fn retrieve(&self) -> Doc {
        let doc = self.base("retrieve", format!("Retrieve a {}", self.basename));
        match self.schemas {
            Some(s) => doc.response_component(200, "The row.", s.model),
            None => doc,
        }
    }

    pub(crate) fn update(&self) -> Doc {
        let doc = self.base("update", format!("Replace a {}", self.basename));
        match self.schemas {
            Some(s) => {
                doc.request_component(s.input)
                    .response_component(200, "The row, updated.", s.model)
            }
            None => doc,
        }
    }

    pub(crate) fn partial_update(&self) -> Doc {
        let doc = self.base(
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

    pub(crate) fn destroy(&self) -> Doc {
        self.base("destroy", format!("Delete a {}", self.basename))
            .empty_response(204, "Deleted.")
    }

    /// An extra action's defaults: id `{tag}_{url_name}` (`_{method}` when it has several),
    /// the viewset's tag. What the action's view says goes over them.
    pub(crate) fn action(&self, url_name: &str, method: &http::Method, several: bool) -> Doc {
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
        Doc::new().operation_id(&id).tag(self.tag)
    }
}

/// `view` with `inferred` under what the view itself says.
pub(crate) fn described(view: crate::ApiView, inferred: Doc) -> crate::ApiView {
    let own = view.doc_info().cloned();
    let view = view.doc(inferred);
    match own {
        Some(own) => view.doc(own),
        None => view,
    }
}
