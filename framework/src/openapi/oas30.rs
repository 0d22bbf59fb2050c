//! The OpenAPI 3.0.3 form of a 3.1 document, for generators that read only 3.0
//! (progenitor, older openapi-generator templates): drf-spectacular's default version.
//!
//! What changes, in every schema of the document:
//! - `type: [T, "null"]` becomes `type: T` with `nullable: true`; several non-null types
//!   become an `anyOf` of each;
//! - a `oneOf`/`anyOf` with a `{type: "null"}` member loses it and becomes `nullable` (a lone
//!   `$ref` left is wrapped in `allOf`, since 3.0 ignores the siblings of a `$ref`);
//! - a `$ref` with siblings (`description`, `readOnly`) is wrapped in `allOf` for the same
//!   reason;
//! - `examples: [a, …]` becomes `example: a`; `const: x` becomes `enum: [x]`;
//! - a numeric `exclusiveMinimum`/`exclusiveMaximum` becomes `minimum`/`maximum` with the
//!   boolean flag;
//! - `contentMediaType`/`contentEncoding` (binary strings) become `format: binary`.
//!
//! The top level says `openapi: 3.0.3` and drops what 3.0 has no place for (`webhooks`,
//! `jsonSchemaDialect`, `info.license.identifier`, `components.pathItems`).

use serde_json::{Map, Value, json};

/// The 3.0.3 form of `doc`, a serialized OpenAPI 3.1 document.
///
/// ```
/// use serde_json::json;
/// let doc = json!({
///     "openapi": "3.1.0",
///     "info": {"title": "Music", "version": "1"},
///     "paths": {},
///     "components": {"schemas": {"Track": {
///         "type": "object",
///         "properties": {
///             "title": {"type": ["string", "null"]},
///             "released": {"oneOf": [{"$ref": "#/components/schemas/Date"}, {"type": "null"}]},
///             "created": {"$ref": "#/components/schemas/DateTime", "readOnly": true},
///         }
///     }}}
/// });
/// let old = restframe::openapi::to_oas30(&doc);
/// assert_eq!(old["openapi"], "3.0.3");
/// let p = &old["components"]["schemas"]["Track"]["properties"];
/// assert_eq!(p["title"], json!({"type": "string", "nullable": true}));
/// assert_eq!(p["released"], json!({"allOf": [{"$ref": "#/components/schemas/Date"}], "nullable": true}));
/// assert_eq!(p["created"], json!({"allOf": [{"$ref": "#/components/schemas/DateTime"}], "readOnly": true}));
/// ```
pub fn to_oas30(doc: &Value) -> Value {
    let mut out = doc.clone();
    if let Some(top) = out.as_object_mut() {
        top.insert("openapi".into(), json!("3.0.3"));
        top.remove("webhooks");
        top.remove("jsonSchemaDialect");
        if let Some(license) = top
            .get_mut("info")
            .and_then(|i| i.get_mut("license"))
            .and_then(Value::as_object_mut)
        {
            license.remove("identifier");
        }
        if let Some(components) = top.get_mut("components").and_then(Value::as_object_mut) {
            components.remove("pathItems");
        }
    }
    walk(&mut out);
    out
}

/// Converts every schema object under `value` (the whole document: a schema is recognised by
/// the keys it holds wherever it sits, which holds for restframe's documents).
fn walk(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                walk(child);
            }
            if is_schema(map) {
                convert(map);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

/// Whether `map` reads as a schema object (not a path item, operation or media type).
fn is_schema(map: &Map<String, Value>) -> bool {
    const SCHEMA_KEYS: [&str; 9] = [
        "type",
        "$ref",
        "oneOf",
        "anyOf",
        "allOf",
        "examples",
        "const",
        "properties",
        "items",
    ];
    // A media type object has `schema` and may have `examples` (a map, valid in 3.0 too).
    !map.contains_key("schema")
        && !map.contains_key("content")
        && SCHEMA_KEYS.iter().any(|k| map.contains_key(*k))
        && !matches!(map.get("examples"), Some(Value::Object(_)))
}

fn convert(map: &mut Map<String, Value>) {
    // `type: [T, "null"]`.
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let null = types.iter().any(|t| t == "null");
        let rest: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        map.remove("type");
        match rest.as_slice() {
            [] => {}
            [one] => {
                map.insert("type".into(), one.clone());
            }
            many => {
                let any: Vec<Value> = many.iter().map(|t| json!({"type": t})).collect();
                map.insert("anyOf".into(), Value::Array(any));
            }
        }
        if null {
            map.insert("nullable".into(), json!(true));
        }
    }
    // A lone `type: "null"`.
    if map.get("type") == Some(&json!("null")) {
        map.remove("type");
        map.insert("nullable".into(), json!(true));
        map.insert("enum".into(), json!([null]));
    }
    // `oneOf`/`anyOf` with a null member.
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(members)) = map.get(key).cloned() else {
            continue;
        };
        let is_null = |m: &Value| {
            m.get("type") == Some(&json!("null"))
                || (m.get("nullable") == Some(&json!(true))
                    && m.get("enum") == Some(&json!([null])))
        };
        if !members.iter().any(is_null) {
            continue;
        }
        let rest: Vec<Value> = members.into_iter().filter(|m| !is_null(m)).collect();
        map.remove(key);
        map.insert("nullable".into(), json!(true));
        match rest.as_slice() {
            [] => {}
            [Value::Object(only)] if !only.contains_key("$ref") => {
                for (k, v) in only {
                    map.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            [only] => {
                map.insert("allOf".into(), json!([only]));
            }
            many => {
                map.insert(key.into(), Value::Array(many.to_vec()));
            }
        }
    }
    // A `$ref` with siblings.
    if map.len() > 1
        && let Some(reference) = map.remove("$ref")
    {
        map.insert("allOf".into(), json!([{"$ref": reference}]));
    }
    if let Some(Value::Array(examples)) = map.remove("examples")
        && let Some(first) = examples.into_iter().next()
    {
        map.entry("example").or_insert(first);
    }
    if let Some(constant) = map.remove("const") {
        map.insert("enum".into(), json!([constant]));
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n @ Value::Number(_)) = map.get(exclusive).cloned() {
            map.insert(bound.into(), n);
            map.insert(exclusive.into(), json!(true));
        }
    }
    if map.remove("contentMediaType").is_some() | map.remove("contentEncoding").is_some() {
        map.insert("type".into(), json!("string"));
        map.insert("format".into(), json!("binary"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_lose_what_3_0_cannot_say() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
            "webhooks": {},
            "paths": {"/a": {"get": {"responses": {"200": {
                "description": "ok",
                "content": {"application/json": {
                    "schema": {"type": ["integer", "string", "null"], "exclusiveMinimum": 0},
                    "examples": {"one": {"value": 1}}
                }}
            }}}}},
            "components": {"schemas": {
                "Date": {"type": "string", "format": "date", "examples": ["2024-02-29"]},
                "Kind": {"const": "track"},
                "File": {"type": "string", "contentMediaType": "application/octet-stream"},
                "Either": {"oneOf": [{"$ref": "#/components/schemas/Date"}, {"type": "integer"}, {"type": "null"}]},
                "Inline": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}], "description": "d"}
            }}
        });
        let old = to_oas30(&doc);
        assert_eq!(old["openapi"], "3.0.3");
        assert!(old.get("webhooks").is_none());
        assert_eq!(old["info"]["license"], json!({"name": "MIT"}));
        let media = &old["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            media["schema"],
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": true, "minimum": 0, "exclusiveMinimum": true})
        );
        assert_eq!(
            media["examples"],
            json!({"one": {"value": 1}}),
            "a media type's examples stay"
        );
        let s = &old["components"]["schemas"];
        assert_eq!(
            s["Date"],
            json!({"type": "string", "format": "date", "example": "2024-02-29"})
        );
        assert_eq!(s["Kind"], json!({"enum": ["track"]}));
        assert_eq!(s["File"], json!({"type": "string", "format": "binary"}));
        assert_eq!(
            s["Either"],
            json!({"oneOf": [{"$ref": "#/components/schemas/Date"}, {"type": "integer"}], "nullable": true})
        );
        assert_eq!(
            s["Inline"],
            json!({"type": "string", "minLength": 1, "nullable": true, "description": "d"})
        );
    }
}
