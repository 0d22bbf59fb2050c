//! The generated OpenAPI 3.1 document at `/api/schema/` (issue 5): JSON by default and YAML on
//! request, equal to the checked-in golden file, valid by openapi-spec-validator, and kept by the
//! app's real responses (schemathesis).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use restframe_tests::{App, required_env, run_tool, target_dir, workspace_root};
use serde_json::Value;

const SCHEMA: &str = "/api/schema/";

/// Stands for the app's address (its port changes from run to run) in the golden file.
const BASE_PLACEHOLDER: &str = "http://127.0.0.1:PORT";

const BLESS_VAR: &str = "RESTFRAME_BLESS";

const PYTHON_TOOLS_VAR: &str = "RESTFRAME_TEST_PYTHON_TOOLS";
const PYTHON_TOOLS_HOW: &str = "run ./tests/run-all, which installs schemathesis and \
    openapi-spec-validator, or: eval \"$(tests/services/python-tools.sh install)\"";

/// The app with its default throttles (the harness turns them off elsewhere): the document
/// then describes the 429 every throttled operation can give, as shipped.
fn start_as_shipped() -> App {
    App::start_with_env(
        env!("CARGO_BIN_EXE_example-app"),
        &[],
        &[
            ("EXAMPLE_APP_THROTTLE_ANON", "100/min"),
            ("EXAMPLE_APP_THROTTLE_USER", "1000/min"),
            ("EXAMPLE_APP_THROTTLE_UPLOADS", "60/min"),
        ],
    )
}

fn golden_path() -> PathBuf {
    workspace_root().join("tests/golden/openapi.json")
}

/// The document as served by default (no `Accept`, no `?format=`): JSON.
async fn served(app: &App) -> (Value, Vec<u8>) {
    let r = app.get(SCHEMA, &[]).await;
    assert_eq!(r.status, 200, "GET {SCHEMA}: {}", r.text());
    let content_type = r.header("content-type");
    assert!(
        content_type.starts_with("application/json")
            || content_type.starts_with("application/vnd.oai.openapi+json"),
        "GET {SCHEMA} is JSON by default, not {content_type:?}"
    );
    (r.json(), r.body.to_vec())
}

/// Where two texts first differ, as a few `-` (golden) and `+` (served) lines around it.
fn diff_hint(golden: &str, served: &str) -> String {
    let want: Vec<&str> = golden.lines().collect();
    let got: Vec<&str> = served.lines().collect();
    let first = want
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let from = first.saturating_sub(3);
    let mut hint = format!(
        "first difference at line {} (golden: {} lines, served: {} lines):\n",
        first + 1,
        want.len(),
        got.len()
    );
    for (i, line) in want.iter().enumerate().take(first).skip(from) {
        hint.push_str(&format!("  {:>5}  {line}\n", i + 1));
    }
    for line in want.iter().skip(first).take(12) {
        hint.push_str(&format!("- {line}\n"));
    }
    for line in got.iter().skip(first).take(12) {
        hint.push_str(&format!("+ {line}\n"));
    }
    hint
}

#[tokio::test]
async fn schema_matches_the_golden_file() {
    let app = start_as_shipped();
    let (doc, _) = served(&app).await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "not an OpenAPI 3.1 document: openapi = {}",
        doc["openapi"]
    );
    // Pretty-printed with the keys in the order served, the app's address made constant.
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let text = text.replace(app.base(), BASE_PLACEHOLDER);
    let path = golden_path();
    if std::env::var(BLESS_VAR).is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        eprintln!("{BLESS_VAR}=1: wrote {}", path.display());
        return;
    }
    let how = format!(
        "If the change is intended, rewrite the golden file with\n  \
         {BLESS_VAR}=1 cargo test -p example-app --test e2e openapi::schema_matches_the_golden_file\n\
         and review it with `git diff tests/golden/openapi.json` before committing. (The app's \
         address is written as {BASE_PLACEHOLDER} there.)"
    );
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no golden OpenAPI document at {} ({e}).\n{how}",
            path.display()
        )
    });
    if golden != text {
        panic!(
            "GET {SCHEMA} differs from {}:\n{}\n{how}",
            path.display(),
            diff_hint(&golden, &text)
        );
    }
}

#[tokio::test]
async fn schema_is_served_as_yaml_on_request() {
    let app = start_as_shipped();
    let (json, _) = served(&app).await;
    for (path, headers) in [
        (format!("{SCHEMA}?format=yaml"), vec![]),
        (SCHEMA.to_owned(), vec![("accept", "application/yaml")]),
    ] {
        let r = app.get(&path, &headers).await;
        assert_eq!(r.status, 200, "GET {path} {headers:?}: {}", r.text());
        assert!(
            r.header("content-type").starts_with("application/yaml"),
            "GET {path} {headers:?}: content-type {:?}",
            r.header("content-type")
        );
        let yaml: Value = serde_yaml::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("GET {path} {headers:?}: not YAML ({e}):\n{}", r.text()));
        assert!(
            yaml == json,
            "GET {path} {headers:?}: the YAML is not the JSON document"
        );
    }
    // JSON when asked for explicitly, too.
    let r = app.get(SCHEMA, &[("accept", "application/json")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json);
}

/// `schema`, with a `$ref` to `#/components/...` followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(doc, |v, key| &v[key]))
            .unwrap_or(schema),
        None => schema,
    }
}

#[tokio::test]
async fn the_upload_operation_is_described() {
    let app = start_as_shipped();
    let (doc, _) = served(&app).await;
    let path = "/api/tracks/{id}/upload/{filename}/";
    let op = &doc["paths"][path]["post"];
    assert!(op.is_object(), "no POST {path} in the document");
    assert_eq!(op["operationId"], "tracks_upload");
    assert!(
        op["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "tracks")),
        "tags: {}",
        op["tags"]
    );
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        params.contains(&"id") && params.contains(&"filename"),
        "parameters: {params:?}"
    );
    let content = &op["requestBody"]["content"];
    assert!(
        content["application/octet-stream"].is_object(),
        "request body types: {content}"
    );
    let form = resolve(&doc, &content["multipart/form-data"]["schema"]);
    let file = resolve(&doc, &form["properties"]["file"]);
    assert!(
        file["format"] == "binary" || file.get("contentMediaType").is_some(),
        "the multipart `file` property is not a binary string: {file}"
    );
    assert!(
        op["responses"]["200"].is_object(),
        "responses: {}",
        op["responses"]
    );
}

#[tokio::test]
async fn models_read_only_fields_pagination_and_errors_are_described() {
    let app = start_as_shipped();
    let (doc, _) = served(&app).await;
    let tracks = &doc["paths"]["/api/tracks/"];
    // The list: its query parameters and DRF's envelope around the model.
    let list = &tracks["get"];
    assert_eq!(list["operationId"], "tracks_list");
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    for p in ["page", "page_size", "ordering", "artist_name", "format"] {
        assert!(params.contains(&p), "{p} missing from {params:?}");
    }
    let format = list["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "format"))
        .unwrap();
    assert_eq!(
        format["schema"]["enum"],
        serde_json::json!(["json", "api", "yaml", "xml", "msgpack", "csv", "jsonp"])
    );
    let page = resolve(
        &doc,
        &list["responses"]["200"]["content"]["application/json"]["schema"],
    );
    assert_eq!(
        page["required"],
        serde_json::json!(["count", "next", "previous", "results"])
    );
    let row = resolve(&doc, &page["properties"]["results"]["items"]);
    assert_eq!(row["properties"]["id"]["readOnly"], true, "{row}");
    assert!(row["properties"].get("file_key").is_none(), "{row}");
    assert!(list["responses"]["200"]["headers"]["Link"].is_object());
    // Create: the input has no read-only field; 201 answers the model.
    let create = &tracks["post"];
    let input = resolve(
        &doc,
        &create["requestBody"]["content"]["application/json"]["schema"],
    );
    for read_only in ["id", "file"] {
        assert!(
            input["properties"].get(read_only).is_none(),
            "{read_only} in {input}"
        );
    }
    assert!(create["requestBody"]["content"]["application/yaml"].is_object());
    assert!(create["responses"]["201"].is_object());
    // Errors: 400 with the field-error schema, and the others an operation can give.
    for status in ["400", "404", "406", "413", "415"] {
        assert!(
            create["responses"][status].is_object(),
            "no {status}: {}",
            create["responses"]
        );
    }
    let bad = &create["responses"]["400"]["content"]["application/json"]["schema"]["oneOf"];
    assert!(bad.to_string().contains("ValidationError"), "{bad}");
    // A file: bytes, with its validators.
    let file = &doc["paths"]["/api/tracks/{id}/file/"]["get"]["responses"];
    assert_eq!(
        file["200"]["content"]["audio/mpeg"]["schema"]["format"],
        "binary"
    );
    assert!(file["200"]["headers"]["ETag"].is_object(), "{file}");
    assert!(file["304"].is_object() && file["206"].is_object() && file["416"].is_object());
    // Operation ids are unique.
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operation ids");
}

fn python_tool(name: &str) -> PathBuf {
    let tool = PathBuf::from(required_env(PYTHON_TOOLS_VAR, PYTHON_TOOLS_HOW)).join(name);
    assert!(
        tool.exists(),
        "{} does not exist: {PYTHON_TOOLS_HOW}",
        tool.display()
    );
    tool
}

#[tokio::test]
#[ignore = "needs openapi-spec-validator: ./tests/run-all installs it (or set RESTFRAME_TEST_PYTHON_TOOLS and pass --include-ignored)"]
async fn schema_passes_openapi_spec_validator() {
    let validator = python_tool("openapi-spec-validator");
    let app = start_as_shipped();
    let (_, json) = served(&app).await;
    let yaml = app.get(&format!("{SCHEMA}?format=yaml"), &[]).await;
    assert_eq!(yaml.status, 200, "{}", yaml.text());
    // And the OpenAPI 3.0.3 form, in both formats.
    let json30 = app.get(&format!("{SCHEMA}?oas=3.0"), &[]).await;
    assert_eq!(json30.status, 200, "{}", json30.text());
    assert_eq!(json30.json()["openapi"], "3.0.3");
    let yaml30 = app.get(&format!("{SCHEMA}?oas=3.0&format=yaml"), &[]).await;
    assert_eq!(yaml30.status, 200, "{}", yaml30.text());
    // Each path version's document, the JSON-only one and the one for client generators (one
    // type per place), in both OpenAPI versions.
    let mut more = Vec::new();
    for (name, path) in [
        ("openapi-v1", "/api/v1/schema/"),
        ("openapi-v2", "/api/v2/schema/"),
        ("openapi-json-only", "/api/schema/json/"),
        ("openapi-client", "/api/schema/client/"),
    ] {
        for (suffix, query) in [(".json", ""), ("-3.0.json", "?oas=3.0")] {
            let r = app.get(&format!("{path}{query}"), &[]).await;
            assert_eq!(r.status, 200, "{path}{query}: {}", r.text());
            more.push((format!("{name}{suffix}"), r.body.to_vec()));
        }
    }
    // The documents exactly as served, in the app's temporary directory.
    let files = [
        ("openapi.json".to_owned(), json),
        ("openapi.yaml".to_owned(), yaml.body.to_vec()),
        ("openapi-3.0.json".to_owned(), json30.body.to_vec()),
        ("openapi-3.0.yaml".to_owned(), yaml30.body.to_vec()),
    ]
    .into_iter()
    .chain(more);
    let mut paths = Vec::new();
    for (name, body) in files {
        let path = app.dir().join(name);
        std::fs::write(&path, body).unwrap();
        paths.push(path);
    }
    let run = run_tool(
        Command::new(&validator)
            .args(["--validation-errors", "all"])
            .args(&paths),
        Duration::from_secs(120),
    );
    assert!(
        run.success(),
        "openapi-spec-validator rejects the document: {}",
        run.report()
    );
}

/// Runs schemathesis against a freshly started app, with `checks` and the extra arguments
/// (operation filters), as a plain user, and fails with its report when it finds anything.
async fn run_schemathesis(label: &str, checks: &str, extra: &[&str], limit: Duration) {
    let schemathesis = python_tool("schemathesis");
    // Throttles off: a 429 is documented, but would cut the run short.
    let app = crate::start();
    // Writes as a plain user, so that they reach validation and the database instead of
    // stopping at 401 (staff could deactivate itself and end the run early).
    let (_, token) = app.create_user("fuzzer", "fuzzer-password").await;
    let auth = format!("Authorization: Token {token}");
    let report_dir = target_dir().join(format!("schemathesis-report-{label}"));
    let _ = std::fs::remove_dir_all(&report_dir);
    let mut cmd = Command::new(&schemathesis);
    cmd.arg("run")
        .arg(format!("{}{SCHEMA}", app.base()))
        .args(["--url", app.base()])
        .args(["--header", &auth])
        // Revoking its own token would turn the rest of the run into 401s.
        .args(["--exclude-operation-id", "auth_token_delete"])
        .args(extra)
        .args([
            "--checks",
            checks,
            // Bounded and repeatable: few cases per operation, a fixed seed, one worker.
            "--max-examples",
            "10",
            "--seed",
            "20240501",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "junit",
        ])
        .arg("--report-dir")
        .arg(&report_dir)
        // Runs in the app's temporary directory, so whatever it leaves behind goes with it.
        .current_dir(app.dir())
        .env("NO_COLOR", "1")
        // MessagePack bodies and responses (tests/python/st_hooks.py).
        .env("SCHEMATHESIS_HOOKS", "st_hooks")
        .env("PYTHONPATH", workspace_root().join("tests/python"))
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy");
    let run = run_tool(&mut cmd, limit);
    assert!(
        run.success(),
        "schemathesis ({label}) found responses that break the schema (JUnit report in {}): {}",
        report_dir.display(),
        run.report()
    );
    eprintln!(
        "schemathesis ({label}) passed in {:.1} s",
        run.elapsed.as_secs_f64()
    );
}

#[tokio::test]
#[ignore = "needs schemathesis: ./tests/run-all installs it (or set RESTFRAME_TEST_PYTHON_TOOLS and pass --include-ignored)"]
async fn the_app_keeps_its_schema_schemathesis() {
    run_schemathesis(
        "responses",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        &[],
        Duration::from_secs(240),
    )
    .await;
}

/// Issue 14's check: every schemathesis check, including "schema-valid request rejected"
/// (positive_data_acceptance) and "schema-invalid request accepted" (negative_data_rejection),
/// on the tracks and users operations.
#[tokio::test]
#[ignore = "needs schemathesis: ./tests/run-all installs it (or set RESTFRAME_TEST_PYTHON_TOOLS and pass --include-ignored)"]
async fn tracks_and_users_pass_every_schemathesis_check() {
    run_schemathesis(
        "all-checks",
        "all",
        &["--include-path-regex", "^/api/(tracks|users)/"],
        Duration::from_secs(300),
    )
    .await;
}

/// `/api/schema/client/` (`ApiInfo::one_type_per_operation`) leaves out the alternatives that
/// some generators cannot take, and only those; `/api/schema/json/` keeps them.
#[tokio::test]
async fn the_client_document_has_one_type_per_place() {
    let app = start_as_shipped();
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let r = app.get(path, &[]).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            r.json()
        }
    };
    let full = get("/api/schema/json/").await;
    let client = get("/api/schema/client/").await;
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    let upload = "/api/tracks/{id}/upload/{filename}/";
    let picture = "/api/users/{id}/picture/";
    assert_eq!(
        keys(&full["paths"][upload]["post"]["requestBody"]["content"]),
        ["application/octet-stream", "multipart/form-data"]
    );
    assert_eq!(
        keys(&client["paths"][upload]["post"]["requestBody"]["content"]),
        ["application/octet-stream"]
    );
    assert_eq!(
        keys(&client["paths"][picture]["put"]["requestBody"]["content"]),
        ["application/json"]
    );
    assert!(full["paths"][picture]["get"]["responses"]["206"].is_object());
    assert!(client["paths"][picture]["get"]["responses"]["206"].is_null());
    // Every JSON error of an operation answers the one union.
    let union = serde_json::json!({"$ref": "#/components/schemas/ErrorOrValidationError"});
    for (path, item) in client["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("an item") {
            for (code, response) in op["responses"].as_object().into_iter().flatten() {
                if code.starts_with('4') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"], union,
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
    // The operations are the same.
    assert_eq!(keys(&full["paths"]), keys(&client["paths"]));
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_0_3_on_request() {
    let app = start_as_shipped();
    let (current, _) = served(&app).await;
    let r = app.get(&format!("{SCHEMA}?oas=3.0"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let old = r.json();
    assert_eq!(old["openapi"], "3.0.3");
    // The same operations; no 3.1-only construct left.
    assert_eq!(
        old["paths"].as_object().map(|p| p.len()),
        current["paths"].as_object().map(|p| p.len())
    );
    let text = old.to_string();
    assert!(!text.contains(r#""type":["#), "type arrays are 3.1 only");
    assert!(
        !text.contains(r#""type":"null""#),
        "null types are 3.1 only"
    );
    let title = &old["components"]["schemas"]["TrackPatch"]["properties"]["release_date"];
    assert_eq!(title["nullable"], true, "{title}");
    // Versions it does not have are a 400 naming the parameter.
    let r = app.get(&format!("{SCHEMA}?oas=2.0"), &[]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["oas"].is_array());
}

/// `/api/schema/json/`: data in JSON only, files in their own types; the same operations as
/// the full document.
#[tokio::test]
async fn the_json_only_document_lists_json_and_files() {
    let app = App::start(env!("CARGO_BIN_EXE_example-app"), &[]);
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let r = app
                .anonymous()
                .get(path, &[("accept", "application/json")])
                .await;
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            r.json()
        }
    };
    let json_only = get("/api/schema/json/").await;
    let full = get(SCHEMA).await;
    let operations = |doc: &Value| -> Vec<String> {
        let mut ids: Vec<String> = doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
            .filter_map(|item| item.as_object())
            .flat_map(|ops| ops.values())
            .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(operations(&json_only), operations(&full));
    let data = [
        "application/yaml",
        "application/xml",
        "application/msgpack",
        "text/csv",
        "application/javascript",
        "application/x-www-form-urlencoded",
    ];
    let mut types = std::collections::BTreeSet::new();
    for (path, item) in json_only["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let bodies = op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
                .chain(std::iter::once(&op["requestBody"]));
            for body in bodies {
                for key in body["content"]
                    .as_object()
                    .into_iter()
                    .flat_map(|c| c.keys())
                {
                    assert!(!data.contains(&key.as_str()), "{method} {path}: {key}");
                    types.insert(key.clone());
                }
            }
        }
    }
    // The files' own types stay.
    for kept in ["application/json", "audio/mpeg", "multipart/form-data"] {
        assert!(types.contains(kept), "{kept} in {types:?}");
    }
}
