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
    /// The API version whose document this is, when it is one version's.
    pub(crate) version: Option<&'a str>,
}

/// The schema names of the error bodies.
const ERROR: &str = "Error";
const FIELD_ERRORS: &str = "ValidationError";

/// Bytes of any type.
const OCTET_STREAM: &str = "application/octet-stream";

/// Builds the document (of URL-path `version`, when given).
pub(crate) fn generate<'a>(
    info: &ApiInfo,
    version: Option<&str>,
    routes: impl Iterator<Item = RouteDesc<'a>>,
) -> OpenApi {
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
            let doc = view
                .doc_info()
                .map(|d| d.for_version(route.version).clone())
                .unwrap_or_default();
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
    // What this version shows otherwise, over what the views gave.
    for replace in info
        .for_versions
        .iter()
        .filter(|c| Some(c.version.as_str()) == version)
    {
        let schema = (replace.schema)(&mut components);
        components.schemas.insert(replace.name.clone(), schema);
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
    // The formats of what the document lists: a JSON-only document offers `?format=json`
    // (and the files' own), not the formats it leaves out.
    let formats: Vec<&str> = listed(info, renderers).map(|r| r.format()).collect();
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
                response_contents(info, b, renderers, Some(&schema))
            }
            Body::Binary => response_contents(info, b, renderers, None),
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
        let b = response_contents(
            info,
            ResponseBuilder::new().description("OK"),
            renderers,
            Some(&any),
        );
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
        // 400 and 409 (a unique value taken) may carry field errors.
        let schema = if status == 400 || status == 409 {
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
    // Whether a multipart form carries the files the view names.
    let multipart_files = !doc.file_fields.is_empty()
        && view
            .parser_list()
            .iter()
            .any(|p| p.carries_files() && p.media_type().type_() == mime::MULTIPART);
    let mut body = RequestBodyBuilder::new();
    for parser in view.parser_list() {
        let media = parser.media_type();
        let files = parser.carries_files();
        let (key, schema) = if files && media.type_() == mime::MULTIPART {
            if doc.file_fields.is_empty() {
                (media.essence_str().to_owned(), data.clone())
            } else {
                // As many parts as the view's parser takes (more are a 400).
                let parts = view.resolved_settings().parser_limits().max_parts;
                let mut obj = ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .max_properties(Some(parts));
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
                OCTET_STREAM.to_owned()
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
        // A document of chosen types is for client generators, which write a raw body of
        // `application/octet-stream` and multipart forms but no other type of file
        // (openapi-python-client warns on `image/*` and drops it): a raw upload of a type of
        // its own is left out there when a multipart form takes the same file.
        if info.media_types.is_some()
            && files
            && media.type_() != mime::MULTIPART
            && key != OCTET_STREAM
            && multipart_files
            && !info.lists(&key)
        {
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

/// A successful response's entries: `data` (when it answers data) in each listed data format,
/// then the bytes of each renderer of bytes.
///
/// A document of chosen media types is written for client generators, which take the first
/// entry they can read as the response's type and send no `Accept`: there the entries follow
/// the renderers' order, the server's own preference (a view whose first renderer writes an
/// image answers the image to a client that asks for nothing in particular), and bytes of a
/// type of their own are listed as `application/octet-stream` too, right after it, the one
/// binary type every generator keeps (openapi-python-client drops a response of `audio/mpeg`,
/// `image/*` or `*/*` with a warning, and reads an octet-stream one as bytes). The own type
/// stays, as the `Content-Type` the server answers with.
fn response_contents(
    info: &ApiInfo,
    mut b: ResponseBuilder,
    renderers: &crate::negotiation::Renderers,
    data: Option<&RefOr<Schema>>,
) -> ResponseBuilder {
    if info.media_types.is_none() {
        if let Some(schema) = data {
            b = data_contents(b, listed(info, renderers), schema);
        }
        return binary_contents(b, renderers.iter());
    }
    let mut octet_stream = renderers
        .iter()
        .any(|r| !r.renders_data() && content_key(&**r) == OCTET_STREAM);
    for r in listed(info, renderers) {
        if r.renders_data() {
            if let Some(schema) = data {
                b = data_contents(b, std::iter::once(r), schema);
            }
        } else {
            b = binary_contents(b, std::iter::once(r));
            if !is_text(&**r) && !octet_stream {
                octet_stream = true;
                b = b.content(
                    OCTET_STREAM,
                    ContentBuilder::new().schema(Some(binary_string())).build(),
                );
            }
        }
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

    /// A document of chosen media types describes files the way generators keep them; the
    /// full document is left as it was.
    #[cfg(all(feature = "multipart", feature = "upload"))]
    #[test]
    fn chosen_types_keep_files_for_generators() {
        use std::sync::Arc;

        use serde_json::Value;

        use crate::parsers::{FileUploadParser, JsonParser, MultiPartParser, Parser};
        use crate::renderers::{BinaryRenderer, JsonRenderer};
        use crate::{Request, Response, Router, api_view};

        let get = api_view(|_req: Request| async { Ok(Response::new("picture")) })
            .doc(
                Doc::new()
                    .response::<String>(200, "The picture.")
                    .binary_response(206, "A range of it."),
            )
            .renderers(vec![
                Arc::new(BinaryRenderer::new(mime::IMAGE_STAR, "image")) as Arc<dyn Renderer>,
                Arc::new(JsonRenderer::new()),
            ]);
        let put = api_view(|_req: Request| async { Ok(Response::new("stored")) })
            .doc(
                Doc::new()
                    .request::<String>()
                    .file_field("file")
                    .response::<String>(200, "Stored."),
            )
            .parsers([
                Arc::new(JsonParser::new()) as Arc<dyn Parser>,
                Arc::new(MultiPartParser::new()),
                Arc::new(FileUploadParser::accepting(mime::IMAGE_STAR)),
            ]);
        let router = Router::new()
            .route(
                "/picture/",
                "picture",
                [(Method::GET, get), (Method::PUT, put)],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let doc = |info: ApiInfo| serde_json::to_value(router.openapi(&info)).unwrap_or_default();
        let keys = |doc: &Value, pointer: &str| -> Vec<String> {
            doc.pointer(&format!("/paths/~1picture~1{pointer}"))
                .and_then(Value::as_object)
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        let full = doc(ApiInfo::new("Test", "1"));
        let json = doc(ApiInfo::new("Test", "1").media_types(["application/json"]));
        let ok = "/get/responses/200/content";
        let range = "/get/responses/206/content";
        let upload = "/put/requestBody/content";
        assert_eq!(keys(&full, ok), ["application/json", "image/*"]);
        assert_eq!(keys(&full, range), ["image/*"]);
        assert_eq!(
            keys(&full, upload),
            ["application/json", "image/*", "multipart/form-data"]
        );
        // The renderers' order, bytes also as octet-stream; the raw image upload left to the
        // multipart form.
        assert_eq!(
            keys(&json, ok),
            ["image/*", "application/octet-stream", "application/json"]
        );
        assert_eq!(keys(&json, range), ["image/*", "application/octet-stream"]);
        assert_eq!(
            keys(&json, upload),
            ["application/json", "multipart/form-data"]
        );
    }

    #[test]
    fn sources_resolve_to_refs() {
        let mut c = Components::new();
        let r = SchemaSource::of::<String>().resolve(&mut c);
        assert!(matches!(r, RefOr::Ref(_)));
        assert!(c.schemas.contains_key("String"));
    }
}
