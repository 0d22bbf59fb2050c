//! One type per place, for client generators that take no alternatives
//! ([`ApiInfo::one_type_per_operation`](super::ApiInfo::one_type_per_operation)).
//!
//! Three rules, applied to the generated document, each of which keeps it true of the server
//! (what is left is something the server does; only alternatives go):
//!
//! 1. a request body with several media types keeps one: `application/json`, else
//!    `application/octet-stream`, else a form, else the first;
//! 2. an operation whose success responses differ in type keeps its first 2xx and those of the
//!    same type (a 206 of bytes goes where the 200 is JSON);
//! 3. an operation whose JSON error responses differ in schema gets, for each of them, one
//!    union (`oneOf`) of those schemas, a component named after its members
//!    (`ErrorOrValidationError`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The media types rule 1 prefers, in order.
const BODY_TYPES: [&str; 4] = [
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Applies the three rules to every operation of `doc` (an OpenAPI document as JSON).
pub(crate) fn one_type_per_operation(doc: &mut Value) {
    let mut unions: BTreeMap<String, Value> = BTreeMap::new();
    let paths: Vec<String> = object(&doc["paths"]).keys().cloned().collect();
    for path in paths {
        for method in METHODS {
            let Some(mut op) = doc["paths"][&path].get(method).cloned() else {
                continue;
            };
            one_body_type(doc, &mut op);
            one_success_type(doc, &mut op);
            one_error_type(doc, &mut op, &mut unions);
            doc["paths"][&path][method] = op;
        }
    }
    for (name, schema) in unions {
        doc["components"]["schemas"][&name] = schema;
    }
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

/// A response's type: the schema of its `application/json` content, `raw` for other content,
/// `none` without content.
fn response_kind(doc: &Value, response: &Value) -> String {
    let content = object(&resolve(doc, response)["content"]);
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

/// Rule 1.
fn one_body_type(doc: &Value, op: &mut Value) {
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
    let keep = BODY_TYPES
        .iter()
        .find(|t| content.contains_key(**t))
        .map(|t| (*t).to_owned())
        .or_else(|| content.keys().next().cloned());
    if let Some(keep) = keep {
        content.retain(|t, _| *t == keep);
    }
    op["requestBody"] = body;
}

/// Rule 2.
fn one_success_type(doc: &Value, op: &mut Value) {
    let responses = object(&op["responses"]).clone();
    let mut successes = responses.iter().filter(|(code, _)| is_success(code));
    let Some((_, first)) = successes.next() else {
        return;
    };
    let want = response_kind(doc, first);
    let dropped: Vec<String> = successes
        .filter(|(_, r)| response_kind(doc, r) != want)
        .map(|(code, _)| code.clone())
        .collect();
    if let Some(map) = op["responses"].as_object_mut() {
        for code in dropped {
            map.remove(&code);
        }
    }
}

/// Rule 3.
fn one_error_type(doc: &Value, op: &mut Value, unions: &mut BTreeMap<String, Value>) {
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
    // JSON errors of several schemas only: one without a JSON body stays as it is.
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
    let mut name = names.join("Or");
    let union = json!({
        "description": format!("Any error body of the operation: {}.", names.join(" or ")),
        "oneOf": members,
    });
    // Another union of the same members is the same component; a name already taken by
    // something else gets a number.
    let taken = |n: &str, unions: &BTreeMap<String, Value>| {
        unions.get(n).is_some_and(|u| *u != union)
            || (!unions.contains_key(n) && doc["components"]["schemas"].get(n).is_some())
    };
    let base = name.clone();
    let mut n = 2;
    while taken(&name, unions) {
        name = format!("{base}{n}");
        n += 1;
    }
    unions.entry(name.clone()).or_insert(union);
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::one_type_per_operation;

    #[test]
    fn each_place_keeps_one_type_and_stays_true() {
        let error = json!({"$ref": "#/components/schemas/Error"});
        let fields = json!({"$ref": "#/components/schemas/ValidationError"});
        let mut doc = json!({
            "paths": {"/pictures/{id}/": {
                "get": {"responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "206": {"description": "", "content": {"image/*": {"schema": {"type": "string"}}}},
                    "304": {"description": ""},
                    "404": {"description": "", "content": {"application/json": {"schema": error}}},
                }},
                "put": {
                    "requestBody": {"content": {
                        "multipart/form-data": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    }},
                    "responses": {
                        "200": {"description": "", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": {"description": "", "content": {"application/json": {"schema": {"oneOf": [error, fields]}}}},
                        "404": {"description": "", "content": {"application/json": {"schema": error}}},
                    },
                },
            }},
            "components": {"schemas": {"Error": {}, "ValidationError": {}}},
        });
        one_type_per_operation(&mut doc);
        let item = &doc["paths"]["/pictures/{id}/"];
        // Rule 1: JSON is kept.
        let body: Vec<&String> = item["put"]["requestBody"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(body, ["application/json"]);
        // Rule 2: the 206 of bytes goes; the 200 stays.
        let mut get: Vec<&String> = item["get"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        get.sort();
        assert_eq!(
            get,
            ["200", "304", "404"],
            "a 304 without content is no success type"
        );
        // Rule 3: both errors answer the union, once a component.
        let union = json!({"$ref": "#/components/schemas/ErrorOrValidationError"});
        for code in ["400", "404"] {
            assert_eq!(
                item["put"]["responses"][code]["content"]["application/json"]["schema"],
                union
            );
        }
        assert_eq!(
            doc["components"]["schemas"]["ErrorOrValidationError"]["oneOf"],
            json!([error, fields])
        );
        // The GET's one error schema is left alone.
        assert_eq!(
            item["get"]["responses"]["404"]["content"]["application/json"]["schema"],
            error
        );
    }
}
