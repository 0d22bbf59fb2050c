//! Generates the client with progenitor (its `Generator`, default settings) from the example
//! app's `OpenAPI` 3.0.3 document at `$RESTFRAME_OPENAPI_SPEC`, into `$OUT_DIR/codegen.rs`.
//!
//! progenitor 0.15 panics on three constructs of the example app's full document (see
//! README.md); the app serves `/api/schema/client/` without them (`ApiInfo::
//! one_type_per_operation`). This build checks that the document needs none of the three
//! narrowings below and fails, listing them, when it does; `RESTFRAME_PROGENITOR_ADAPT=1`
//! applies them instead (for another document), each of which keeps it true of the server:
//!
//! 1. a request body with several media types keeps only one that progenitor takes
//!    (application/json, else application/octet-stream, …);
//! 2. an operation whose success responses differ in type keeps those of its first 2xx;
//! 3. an operation whose error responses differ in schema gets, for each of them, one union
//!    (`oneOf`) of those schemas, as a named component.
//!
//! Every change made is listed, one line each, in `$OUT_DIR/adaptations.json` (the client
//! prints them) and as a cargo warning. When generation fails anyway, the build fails with
//! progenitor's message for every operation that it cannot take alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

use serde_json::{Map, Value, json};

const SPEC_VAR: &str = "RESTFRAME_OPENAPI_SPEC";
/// `1`: narrow a document that needs it, rather than refuse it.
const ADAPT_VAR: &str = "RESTFRAME_PROGENITOR_ADAPT";

/// The request body types progenitor 0.15 generates code for, in the order rule 1 prefers them
/// (progenitor-impl's `BodyContentType`).
const BODY_TYPES: [&str; 4] = [
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn main() {
    println!("cargo::rerun-if-env-changed={SPEC_VAR}");
    println!("cargo::rerun-if-env-changed={ADAPT_VAR}");
    let path = PathBuf::from(std::env::var_os(SPEC_VAR).unwrap_or_else(|| {
        panic!(
            "{SPEC_VAR} is not set: give it the path of the example app's OpenAPI 3.0.3 document \
             (GET /api/schema/client/?oas=3.0); tests/e2e/progenitor_client.rs does"
        )
    }));
    println!("cargo::rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {} ({SPEC_VAR}): {e}", path.display()));
    let mut doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));

    let mut narrowed = doc.clone();
    let adaptations = adapt(&mut narrowed);
    if !adaptations.is_empty() {
        assert!(
            std::env::var(ADAPT_VAR).as_deref() == Ok("1"),
            "{} needs these changes before progenitor takes it (serve it with \
             ApiInfo::one_type_per_operation, or set {ADAPT_VAR}=1 to make them here):\n  {}",
            path.display(),
            adaptations.join("\n  ")
        );
        doc = narrowed;
    }
    for line in &adaptations {
        println!("cargo::warning=document adapted for progenitor: {line}");
    }

    let tokens = match generate(&doc) {
        Ok(tokens) => tokens,
        Err(whole) => panic!(
            "progenitor cannot generate a client from {} (adaptations: {}): {whole}\n\
             each operation alone:\n{}",
            path.display(),
            if adaptations.is_empty() {
                "none"
            } else {
                "applied"
            },
            each_operation(&doc)
        ),
    };
    let file: syn::File = syn::parse2(tokens).expect("progenitor's output parses as Rust");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("codegen.rs"), prettyplease::unparse(&file)).expect("write codegen.rs");
    std::fs::write(
        out.join("adaptations.json"),
        serde_json::to_string_pretty(&adaptations).expect("a list of strings"),
    )
    .expect("write adaptations.json");
}

/// Runs progenitor on `doc`; its error or panic message.
fn generate(doc: &Value) -> Result<proc_macro2::TokenStream, String> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| format!("openapiv3 cannot read the document: {e}"))?;
    // progenitor reports most unsupported constructs with todo!() or assert!(): catch those.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        progenitor::Generator::default().generate_tokens(&spec)
    }));
    panic::set_hook(hook);
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Err(format!("panic: {message}"))
        }
    }
}

/// progenitor's verdict on each operation in a document of its own (all components kept).
fn each_operation(doc: &Value) -> String {
    let mut report = String::new();
    for (path, item) in object(&doc["paths"]) {
        for (method, _) in object(item) {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let mut one = doc.clone();
            let mut single = object(item).clone();
            single.retain(|k, _| k == method || !METHODS.contains(&k.as_str()));
            one["paths"] = json!({ path.as_str(): single });
            let id = item[method]["operationId"].as_str().unwrap_or("?");
            let verdict = match generate(&one) {
                Ok(_) => "ok".to_owned(),
                Err(e) => e,
            };
            let _ = writeln!(
                report,
                "  {} {path} ({id}): {verdict}",
                method.to_uppercase()
            );
        }
    }
    report
}

fn object(v: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// Follows a `$ref` to `#/components/<kind>/<name>` once.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(v),
        None => v,
    }
}

/// What progenitor makes of a response: the schema of its application/json content (a type),
/// `raw` for any other content, `none` without content (progenitor-impl's
/// `OperationResponseKind`).
fn response_kind(doc: &Value, response: &Value) -> String {
    let response = resolve(doc, response);
    let content = object(&response["content"]);
    match content
        .iter()
        .find(|(t, _)| *t == "application/json" || t.starts_with("application/json;"))
    {
        Some((_, media)) => media["schema"].to_string(),
        None if content.is_empty() => "none".to_owned(),
        None => "raw".to_owned(),
    }
}

fn is_success(code: &str) -> bool {
    code.starts_with('2') || code.eq_ignore_ascii_case("2XX")
}

fn is_error(code: &str) -> bool {
    code == "default" || code.starts_with('4') || code.starts_with('5')
}

/// Applies the three rules of this file's header to every operation; one line per change
/// (rule 3: one line per union, naming its operations).
fn adapt(doc: &mut Value) -> Vec<String> {
    let mut changes = Vec::new();
    let mut unions: BTreeMap<String, (Value, Vec<String>)> = BTreeMap::new();
    let paths: Vec<String> = object(&doc["paths"]).keys().cloned().collect();
    for path in paths {
        for method in METHODS {
            let Some(op) = doc["paths"][&path].get(method).cloned() else {
                continue;
            };
            let id = op["operationId"].as_str().unwrap_or("?").to_owned();
            let mut op = op;
            adapt_body(doc, &mut op, &id, &mut changes);
            adapt_successes(doc, &mut op, &id, &mut changes);
            adapt_errors(doc, &mut op, &id, &mut unions);
            doc["paths"][&path][method] = op;
        }
    }
    for (name, (schema, ops)) in unions {
        let members: Vec<&str> = schema["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| m["$ref"].as_str().unwrap_or("an inline schema"))
            .map(|r| r.rsplit('/').next().unwrap_or(r))
            .collect();
        changes.push(format!(
            "error responses: every error response of {} operations answers {name} (oneOf {}) \
             (progenitor takes one error type per operation): {}",
            ops.len(),
            members.join(", "),
            ops.join(", ")
        ));
        doc["components"]["schemas"][&name] = schema;
    }
    changes
}

/// Rule 1: one media type per request body.
fn adapt_body(doc: &Value, op: &mut Value, id: &str, changes: &mut Vec<String>) {
    let Some(body) = op.get("requestBody") else {
        return;
    };
    let mut body = resolve(doc, body).clone();
    let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    if content.len() <= 1 {
        return;
    }
    let Some(keep) = BODY_TYPES
        .iter()
        .find(|t| content.contains_key(**t))
        .map(|t| (*t).to_owned())
    else {
        return; // nothing progenitor takes: left for it to report
    };
    let dropped: Vec<String> = content.keys().filter(|t| **t != keep).cloned().collect();
    content.retain(|t, _| *t == keep);
    op["requestBody"] = body;
    changes.push(format!(
        "{id}: request body: kept {keep}, dropped {} (progenitor takes one media type per body)",
        dropped.join(", ")
    ));
}

/// Rule 2: one success type per operation, that of its first 2xx.
fn adapt_successes(doc: &Value, op: &mut Value, id: &str, changes: &mut Vec<String>) {
    let responses = object(&op["responses"]).clone();
    let mut successes = responses.iter().filter(|(code, _)| is_success(code));
    let Some((first_code, first)) = successes.next() else {
        return;
    };
    let want = response_kind(doc, first);
    let dropped: Vec<&String> = successes
        .filter(|(_, r)| response_kind(doc, r) != want)
        .map(|(code, _)| code)
        .collect();
    if dropped.is_empty() {
        return;
    }
    let map = op["responses"]
        .as_object_mut()
        .expect("responses is an object");
    for code in &dropped {
        map.remove(code.as_str());
    }
    let kinds = |s: &str| match s {
        "raw" => "not JSON".to_owned(),
        "none" => "empty".to_owned(),
        schema => match serde_json::from_str::<Value>(schema) {
            Ok(v) if v["$ref"].is_string() => {
                let r = v["$ref"].as_str().unwrap_or_default();
                format!("JSON {}", r.rsplit('/').next().unwrap_or(r))
            }
            _ => format!("JSON {schema}"),
        },
    };
    changes.push(format!(
        "{id}: dropped success response {} (body {}); kept {first_code} (body {}) \
         (progenitor takes one success type per operation)",
        dropped
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        kinds(&response_kind(doc, &responses[dropped[0].as_str()])),
        kinds(&want),
    ));
}

/// Rule 3: one error schema per operation, the union of the ones it has.
fn adapt_errors(
    doc: &Value,
    op: &mut Value,
    id: &str,
    unions: &mut BTreeMap<String, (Value, Vec<String>)>,
) {
    let responses = object(&op["responses"]).clone();
    let mut members: Vec<Value> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for (code, response) in &responses {
        if !is_error(code) {
            continue;
        }
        let kind = response_kind(doc, response);
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
        let schema = &resolve(doc, response)["content"]["application/json"]["schema"];
        let parts = match schema.get("oneOf").and_then(Value::as_array) {
            Some(alternatives) => alternatives.clone(),
            None if schema.is_null() => Vec::new(),
            None => vec![schema.clone()],
        };
        for part in parts {
            if !members.contains(&part) {
                members.push(part);
            }
        }
    }
    // Only JSON errors with several schemas: a mix with raw or empty ones is left for
    // progenitor to report.
    if kinds.len() <= 1 || kinds.iter().any(|k| k == "raw" || k == "none") {
        return;
    }
    let names: Vec<&str> = members
        .iter()
        .map(|m| {
            m["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .unwrap_or("Inline")
        })
        .collect();
    let name = names.join("Or");
    let union = json!({
        "description": format!("Any error body of the operation: {}.", names.join(" or ")),
        "oneOf": members,
    });
    if let Some((existing, ops)) = unions.get_mut(&name) {
        assert_eq!(existing, &union, "two different unions named {name}");
        ops.push(id.to_owned());
    } else {
        assert!(
            doc["components"]["schemas"].get(&name).is_none(),
            "the document already has a schema named {name}"
        );
        unions.insert(name.clone(), (union, vec![id.to_owned()]));
    }
    for (code, response) in &responses {
        if !is_error(code) {
            continue;
        }
        let mut response = resolve(doc, response).clone();
        response["content"]["application/json"]["schema"] =
            json!({ "$ref": format!("#/components/schemas/{name}") });
        op["responses"][code] = response;
    }
}
