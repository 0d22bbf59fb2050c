//! Building the OpenAPI 3.1 document from what the router, its views, renderers and parsers know.

use std::collections::{BTreeMap, BTreeSet};

use http::Method;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{ResponseBuilder, ResponsesBuilder};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Components, KnownFormat, ObjectBuilder, OneOfBuilder,
    Schema, SchemaFormat, Type,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required};

use super::ApiInfo;
use super::doc::{Body, Doc};
use crate::renderers::Renderer;
use crate::view::ApiView;

/// One route as the generator sees it.
pub(crate) struct RouteDesc<'a> {
    /// The OpenAPI path template, mount prefix included: `/api/tracks/{id}/`.
    pub(crate) path: String,
    /// The same, without the mount prefix (as registered).
    pub(crate) template: &'a str,
    /// The route's name (`track-detail`).
    pub(crate) name: &'a str,
    /// Each capture's name and anchored regex.
    pub(crate) captures: Vec<(&'a str, &'a str)>,
    /// The views, by method.
    pub(crate) methods: &'a [(Method, ApiView)],
}

/// The schema names of the error bodies.
const ERROR: &str = "Error";
const FIELD_ERRORS: &str = "ValidationError";

/// Builds the document.
pub(crate) fn generate<'a>(info: &ApiInfo, routes: impl Iterator<Item = RouteDesc<'a>>) -> OpenApi {
    let mut components = Components::new();
    components.schemas.insert(ERROR.into(), error_schema());
    components
        .schemas
        .insert(FIELD_ERRORS.into(), field_errors_schema());
    let mut paths = Paths::new();
    let mut ids = BTreeSet::new();
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    for route in routes {
        let mut item: Option<PathItem> = None;
        let single = route.methods.len() == 1;
        for (method, view) in route.methods {
            let Some(http_method) = http_method(method) else {
                continue;
            };
            let doc = view.doc_info().cloned().unwrap_or_default();
            if doc.exclude {
                continue;
            }
            let op = operation(
                info,
                &route,
                (method, single),
                view,
                &doc,
                &mut components,
                &mut ids,
            );
            for tag in op.tags.iter().flatten() {
                tags.entry(tag.clone())
                    .or_insert_with(|| view.view_description().to_owned());
            }
            match &mut item {
                Some(i) => i.merge_operations(PathItem::new(http_method, op)),
                None => item = Some(PathItem::new(http_method, op)),
            }
        }
        if let Some(item) = item {
            paths.paths.insert(route.path.clone(), item);
        }
    }
    let mut api_info = InfoBuilder::new()
        .title(info.title.clone())
        .version(info.version.clone());
    if !info.description.is_empty() {
        api_info = api_info.description(Some(info.description.clone()));
    }
    OpenApiBuilder::new()
        .info(api_info.build())
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags.into_iter().map(|(name, description)| {
            TagBuilder::new()
                .name(name)
                .description((!description.is_empty()).then_some(description))
                .build()
        })))
        .build()
}

fn http_method(method: &Method) -> Option<HttpMethod> {
    Some(match *method {
        Method::GET => HttpMethod::Get,
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        // HEAD and OPTIONS are answered for every route; not operations of their own.
        _ => return None,
    })
}

fn operation(
    info: &ApiInfo,
    route: &RouteDesc<'_>,
    // The method, and whether it is the route's only one.
    (method, single): (&Method, bool),
    view: &ApiView,
    doc: &Doc,
    components: &mut Components,
    ids: &mut BTreeSet<String>,
) -> Operation {
    let id = unique_id(
        doc.operation_id.clone().unwrap_or_else(|| {
            let base = identifier(route.name);
            if single {
                base
            } else {
                format!("{base}_{}", method.as_str().to_ascii_lowercase())
            }
        }),
        ids,
    );
    let tags = if doc.tags.is_empty() {
        vec![default_tag(route.template)]
    } else {
        doc.tags.clone()
    };
    let description = doc
        .description
        .clone()
        .or_else(|| (!view.view_description().is_empty()).then(|| view.view_description().into()));
    let mut op = OperationBuilder::new()
        .operation_id(Some(id))
        .tags(Some(tags))
        .summary(Some(
            doc.summary
                .clone()
                .unwrap_or_else(|| view.view_name().to_owned()),
        ))
        .description(description);

    for (name, regex) in &route.captures {
        op = op.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(*regex)),
                )),
        );
    }
    for q in &doc.query {
        op = op.parameter(
            ParameterBuilder::new()
                .name(q.name.clone())
                .parameter_in(ParameterIn::Query)
                .required(q.required.clone())
                .description((!q.description.is_empty()).then(|| q.description.clone()))
                .schema(Some(q.schema.clone())),
        );
    }
    let renderers = view.renderer_list();
    let formats: Vec<&str> = renderers.iter().map(|r| r.format()).collect();
    if !doc.query.iter().any(|q| q.name == "format") {
        op = op.parameter(
            ParameterBuilder::new()
                .name("format")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "The response format, over the `Accept` header (also a `.{format}` suffix).",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(formats)),
                )),
        );
    }

    let takes_body = matches!(*method, Method::POST | Method::PUT | Method::PATCH)
        && !view.parser_list().is_empty();
    if takes_body {
        op = op.request_body(Some(request_body(info, view, doc, components)));
    }

    let policy = super::security::describe(view, method, components);
    for requirement in policy.security {
        op = op.security(requirement);
    }

    let mut responses = ResponsesBuilder::new();
    let mut has_success = false;
    for (status, r) in &doc.responses {
        has_success |= (200..400).contains(status);
        let mut b = ResponseBuilder::new().description(r.description.clone());
        b = match &r.body {
            // Data in each data format; a view that also renders bytes answers those as is.
            Body::Data(schema) => {
                let schema = schema.resolve(components);
                binary_contents(
                    data_contents(b, listed(info, renderers), &schema),
                    renderers.iter(),
                )
            }
            Body::Binary => binary_contents(b, renderers.iter()),
            Body::Empty => b,
        };
        for (name, description) in &r.headers {
            b = b.header(
                name.clone(),
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some(description.clone()))
                    .build(),
            );
        }
        responses = responses.response(status.to_string(), b);
    }
    if !has_success {
        let any = RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
                .build(),
        ));
        let b = data_contents(
            ResponseBuilder::new().description("OK"),
            listed(info, renderers),
            &any,
        );
        let b = binary_contents(b, renderers.iter());
        responses = responses.response("200", b);
    }
    // 404: no such row, or an unknown `?format=` (as DRF); 406: no renderer for `Accept`.
    let mut errors: BTreeSet<u16> = [400, 404, 406].into();
    if takes_body {
        errors.extend([413, 415]);
    }
    errors.extend(doc.errors.iter().copied());
    errors.extend(policy.errors.iter().copied());
    for status in errors {
        if doc.responses.contains_key(&status) {
            continue;
        }
        let schema = if status == 400 {
            RefOr::T(Schema::OneOf(
                OneOfBuilder::new()
                    .item(Ref::from_schema_name(ERROR))
                    .item(Ref::from_schema_name(FIELD_ERRORS))
                    .build(),
            ))
        } else {
            RefOr::Ref(Ref::from_schema_name(ERROR))
        };
        // An error is rendered by the negotiated renderer when it renders data, else by the
        // first that does: so in every data format.
        let mut b = ResponseBuilder::new().description(reason(status));
        if status == 429 && policy.throttled {
            b = b.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                    .description(Some("Seconds until a request may succeed."))
                    .build(),
            );
        }
        responses = responses.response(
            status.to_string(),
            data_contents(b, listed(info, renderers), &schema),
        );
    }
    op.responses(responses.build()).build()
}

/// The request body: the data schema in each data format, files as binary.
fn request_body(
    info: &ApiInfo,
    view: &ApiView,
    doc: &Doc,
    components: &mut Components,
) -> utoipa::openapi::request_body::RequestBody {
    let data = doc
        .request
        .as_ref()
        .map(|s| s.resolve(components))
        .unwrap_or_else(|| {
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
                    .build(),
            ))
        });
    let mut body = RequestBodyBuilder::new();
    for parser in view.parser_list() {
        let media = parser.media_type();
        let files = parser.carries_files();
        let (key, schema) = if files && media.type_() == mime::MULTIPART {
            if doc.file_fields.is_empty() {
                (media.essence_str().to_owned(), data.clone())
            } else {
                let mut obj = ObjectBuilder::new().schema_type(Type::Object);
                for f in &doc.file_fields {
                    obj = obj.property(f.clone(), binary_string()).required(f.clone());
                }
                (
                    media.essence_str().to_owned(),
                    RefOr::T(Schema::Object(obj.build())),
                )
            }
        } else if files {
            // A raw upload: the body is the file. `*/*` is shown as octet-stream, which Swagger
            // UI turns into a file picker.
            let key = if media.type_() == mime::STAR {
                "application/octet-stream".to_owned()
            } else {
                media.essence_str().to_owned()
            };
            (key, binary_string())
        } else {
            (media.essence_str().to_owned(), data.clone())
        };
        // Data only in the media types the document lists; files always.
        let carries_file = schema == binary_string()
            || (files && media.type_() == mime::MULTIPART && !doc.file_fields.is_empty());
        if !carries_file && !info.lists(&key) {
            continue;
        }
        body = body.content(key, ContentBuilder::new().schema(Some(schema)).build());
    }
    body.required(Some(
        if doc.request.is_some() || !doc.file_fields.is_empty() {
            Required::True
        } else {
            Required::False
        },
    ))
    .build()
}

fn binary_string() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .build(),
    ))
}

fn text_string() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new().schema_type(Type::String).build(),
    ))
}

/// Whether a renderer writes text for people or scripts (CSV, HTML, JavaScript) rather than a
/// data syntax a client parses back into the schema's shape.
fn is_text(r: &dyn Renderer) -> bool {
    let m = r.media_type();
    m.type_() == mime::TEXT || m.subtype() == mime::JAVASCRIPT
}

fn content_key(r: &dyn Renderer) -> String {
    r.media_type().essence_str().to_owned()
}

/// The renderers whose data the document lists.
fn listed<'r>(
    info: &'r ApiInfo,
    renderers: &'r crate::negotiation::Renderers,
) -> impl Iterator<Item = &'r std::sync::Arc<dyn Renderer>> + 'r {
    renderers
        .iter()
        .filter(move |r| !r.renders_data() || info.lists(r.media_type().essence_str()))
}

/// One entry per data renderer: the schema, or a string for textual formats.
fn data_contents<'r>(
    mut b: ResponseBuilder,
    renderers: impl Iterator<Item = &'r std::sync::Arc<dyn Renderer>>,
    schema: &RefOr<Schema>,
) -> ResponseBuilder {
    for r in renderers.filter(|r| r.renders_data()) {
        let schema = if is_text(&**r) {
            text_string()
        } else {
            schema.clone()
        };
        b = b.content(
            content_key(&**r),
            ContentBuilder::new().schema(Some(schema)).build(),
        );
    }
    b
}

/// One binary entry per renderer of raw bytes.
fn binary_contents<'r>(
    mut b: ResponseBuilder,
    renderers: impl Iterator<Item = &'r std::sync::Arc<dyn Renderer>>,
) -> ResponseBuilder {
    for r in renderers.filter(|r| !r.renders_data()) {
        let schema = if is_text(&**r) {
            text_string()
        } else {
            binary_string()
        };
        b = b.content(
            content_key(&**r),
            ContentBuilder::new().schema(Some(schema)).build(),
        );
    }
    b
}

/// `{"detail": "..."}`, with whatever else an error adds (`available`, `supported`).
fn error_schema() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("An error: what went wrong, for the client."))
            .property("detail", ObjectBuilder::new().schema_type(Type::String))
            .required("detail")
            .build(),
    ))
}

/// `{"field": ["message", …], "non_field_errors": [...]}`: DRF's validation errors.
fn field_errors_schema() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Validation errors: the messages of each field at fault (`non_field_errors` for \
                 the input as a whole).",
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Array(
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .build(),
            )))))
            .build(),
    ))
}

/// A route name as an identifier: `track-list` → `track_list`.
fn identifier(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// `id`, or `id_2`, `id_3`… when taken.
fn unique_id(id: String, ids: &mut BTreeSet<String>) -> String {
    let mut candidate = id.clone();
    let mut n = 2;
    while ids.contains(&candidate) {
        candidate = format!("{id}_{n}");
        n += 1;
    }
    ids.insert(candidate.clone());
    candidate
}

/// A route's tag when it gives none: its first literal path segment after `api`
/// (`/api/hello/` → `hello`), or `api`.
fn default_tag(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .find(|s| *s != "api")
        .map(|s| s.split('.').next().unwrap_or(s).to_owned())
        .unwrap_or_else(|| "api".to_owned())
}

fn reason(status: u16) -> String {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::doc::SchemaSource;
    use super::*;

    #[test]
    fn tags_and_ids() {
        assert_eq!(default_tag("/api/hello/"), "hello");
        assert_eq!(default_tag("/api/"), "api");
        assert_eq!(default_tag("/static/missing.png"), "static");
        assert_eq!(default_tag("/media/{key}"), "media");
        let mut ids = BTreeSet::new();
        assert_eq!(unique_id(identifier("track-list"), &mut ids), "track_list");
        assert_eq!(unique_id("track_list".into(), &mut ids), "track_list_2");
    }

    #[test]
    fn sources_resolve_to_refs() {
        let mut c = Components::new();
        let r = SchemaSource::of::<String>().resolve(&mut c);
        assert!(matches!(r, RefOr::Ref(_)));
        assert!(c.schemas.contains_key("String"));
    }
}
