//! A TypeScript client generated from the example app's JSON-only document (issue 15), as a
//! front-end team would: openapi-typescript (npm) with its default options, which must print no
//! warning, and openapi-fetch over its `paths`, compiled with `tsc --strict` and run with Node
//! against the live app: register, log in, create, list, retrieve, PATCH and delete a track,
//! upload its MP3 (raw and multipart) and read it back (whole and a range), and PUT and GET the
//! user's picture (multipart and base64 JSON). (tests/e2e/typescript.rs compiles the types of
//! the full document.)

use std::process::Command;
use std::time::Duration;

use base64::Engine;
use restframe_tests::{run_tool, workspace_root};
use serde_json::Value;

const HOW: &str = "run ./tests/run-all, which installs them, or: (cd tests/browser && npm ci)";

/// The document generators read: data in JSON only, files in their own types.
const JSON_ONLY: &str = "/api/schema/json/";

/// The flow, through openapi-fetch and the generated `paths` only; `fixtures.ts`, written by the
/// test, holds the app's URL and the files. The last line printed is a JSON summary.
const DRIVE: &str = r#"import createClient from "openapi-fetch";
import type { paths } from "./api.js";
import { baseUrl, mp3Base64, pngBase64 } from "./fixtures.js";

// A `format: binary` string is typed `string`: here a binary string, one character per byte
// (what `atob` gives), turned into bytes when it is sent.
const mp3: string = atob(mp3Base64);
const png: string = atob(pngBase64);
const bytes = (binary: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(binary, (c) => c.charCodeAt(0));
const same = (got: ArrayBuffer, want: string): boolean => {
  const a = new Uint8Array(got);
  return a.length === want.length && a.every((b, i) => b === want.charCodeAt(i));
};
// A file body: a raw binary string as its bytes, a multipart object as a form.
const fileBody = (body: string | { file: string }, name: string, type: string) =>
  typeof body === "string"
    ? bytes(body)
    : (() => {
        const form = new FormData();
        form.append("file", new Blob([bytes(body.file)], { type }), name);
        return form;
      })();

const summary: Record<string, number> = {};
function expect(step: string, response: Response, status: number): void {
  if (response.status !== status) {
    throw new Error(`${step}: ${response.status} instead of ${status}`);
  }
  summary[step] = response.status;
  console.log(`${step}: ${response.status}`);
}
function check(condition: boolean, what: string): void {
  if (!condition) {
    throw new Error(what);
  }
}

const anonymous = createClient<paths>({ baseUrl });

// Register and log in.
const registered = await anonymous.POST("/api/users/", {
  body: { username: "monk", password: "straight-no-chaser", email: "monk@example.org" },
});
expect("register", registered.response, 201);
const user = registered.data;
check(user !== undefined && user.username === "monk", "the new user");
const login = await anonymous.POST("/api/auth/token/", {
  body: { username: "monk", password: "straight-no-chaser" },
});
expect("token", login.response, 200);
const token = login.data?.token;
check(typeof token === "string" && token.length > 0, "a token");
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Token ${token}` } });

// Create, list, retrieve.
const created = await client.POST("/api/tracks/", {
  body: { title: "Round Midnight", artist_name: "Thelonious Monk", release_date: "1947-11-21" },
});
expect("create", created.response, 201);
const track = created.data;
if (track === undefined) throw new Error("no track");
check(track.owner_username === "monk" && track.file === null, "the created track");
const id = String(track.id);
const list = await client.GET("/api/tracks/", {
  params: { query: { artist_name: "Thelonious Monk" } },
});
expect("list", list.response, 200);
check(
  list.data?.count === 1 && list.data.results.map((t) => t.id).join() === String(track.id),
  `the list: ${JSON.stringify(list.data)}`,
);
const retrieved = await client.GET("/api/tracks/{id}/", { params: { path: { id } } });
expect("retrieve", retrieved.response, 200);
check(retrieved.data?.title === "Round Midnight", "the retrieved track");

// PATCH: a new title, the date cleared; without a valid token, a 401 with the error's detail.
const patched = await client.PATCH("/api/tracks/{id}/", {
  params: { path: { id } },
  body: { title: "'Round Midnight", release_date: null },
});
expect("patch", patched.response, 200);
check(
  patched.data?.title === "'Round Midnight" && patched.data.release_date === null,
  "the patched track",
);
const stranger = createClient<paths>({ baseUrl, headers: { Authorization: "Token not-a-token" } });
const refused = await stranger.PATCH("/api/tracks/{id}/", {
  params: { path: { id } },
  body: { title: "x" },
});
expect("patch_without_token", refused.response, 401);
check(typeof refused.error?.detail === "string", "the 401's detail");

// The MP3: a raw upload, read back whole and as a range, then replaced by a multipart upload.
const raw = await client.POST("/api/tracks/{id}/upload/{filename}/", {
  params: { path: { id, filename: "round_midnight.mp3" } },
  body: mp3,
  headers: { "Content-Type": "application/octet-stream" },
  bodySerializer: (body) => fileBody(body, "round_midnight.mp3", "audio/mpeg"),
});
expect("upload_raw", raw.response, 200);
check(raw.data?.file?.endsWith(`/api/tracks/${id}/file/`) === true, "the uploaded file's URL");
const file = await client.GET("/api/tracks/{id}/file/", {
  params: { path: { id } },
  parseAs: "arrayBuffer",
});
expect("file", file.response, 200);
check(file.data !== undefined && same(file.data, mp3), "the file is the MP3 uploaded");
check(file.response.headers.get("content-type") === "audio/mpeg", "the file's type");
const range = await client.GET("/api/tracks/{id}/file/", {
  params: { path: { id } },
  headers: { Range: "bytes=0-9" },
  parseAs: "arrayBuffer",
});
expect("file_range", range.response, 206);
check(range.data !== undefined && same(range.data, mp3.slice(0, 10)), "the range");
const takeTwo = mp3.slice(0, -100);
const multipart = await client.POST("/api/tracks/{id}/upload/{filename}/", {
  params: { path: { id, filename: "round_midnight_2.mp3" } },
  body: { file: takeTwo },
  bodySerializer: (body) => fileBody(body, "round_midnight_2.mp3", "audio/mpeg"),
});
expect("upload_multipart", multipart.response, 200);
const again = await client.GET("/api/tracks/{id}/file/", {
  params: { path: { id } },
  parseAs: "arrayBuffer",
});
expect("file_again", again.response, 200);
check(again.data !== undefined && same(again.data, takeTwo), "the file is the second upload");

// The user's picture: PUT as a multipart file, GET the image back; PUT as base64 JSON.
const userId = String(user?.id);
const put = await client.PUT("/api/users/{id}/picture/", {
  params: { path: { id: userId } },
  body: { file: png },
  bodySerializer: (body) =>
    "file" in body ? fileBody(body, "monk.png", "image/png") : JSON.stringify(body),
});
expect("picture_put", put.response, 200);
check(put.data?.mime_type === "image/png" && put.data.size === png.length, "the stored picture");
const picture = await client.GET("/api/users/{id}/picture/", {
  params: { path: { id: userId } },
  parseAs: "arrayBuffer",
});
expect("picture_get", picture.response, 200);
check(picture.data !== undefined && same(picture.data, png), "the picture is the PNG");
check(picture.response.headers.get("content-type") === "image/png", "the picture's type");
const base64 = await client.PUT("/api/users/{id}/picture/", {
  params: { path: { id: userId } },
  body: { data: pngBase64 },
});
expect("picture_put_base64", base64.response, 200);
check(base64.data?.size === png.length, "the picture stored from base64");

// Delete: 204, then the track is gone.
const deleted = await client.DELETE("/api/tracks/{id}/", { params: { path: { id } } });
expect("delete", deleted.response, 204);
const gone = await client.GET("/api/tracks/{id}/", { params: { path: { id } } });
expect("retrieve_deleted", gone.response, 404);
check(typeof gone.error?.detail === "string", "the 404's detail");

// What the generated types refuse (never called: `tsc` checks it).
export async function mistakes(): Promise<void> {
  // @ts-expect-error a track's id is a required path parameter
  await client.GET("/api/tracks/{id}/");
  // @ts-expect-error a title may not be null
  await client.PATCH("/api/tracks/{id}/", { params: { path: { id } }, body: { title: null } });
  // @ts-expect-error a create needs the artist
  await client.POST("/api/tracks/", { body: { title: "Epistrophy" } });
  // @ts-expect-error no such path
  await client.GET("/api/records/");
}

summary["track_id"] = track.id;
summary["user_id"] = user?.id ?? 0;
summary["mp3_bytes"] = mp3.length;
summary["png_bytes"] = png.length;
console.log(JSON.stringify(summary));
"#;

/// Strict, and emitting ES modules for Node (no `@types/node`: only what Node shares with
/// browsers, `fetch`, `FormData`, `Blob`, `atob`, `console`).
const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2022", "DOM"],
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "noImplicitReturns": true,
    "noUnusedLocals": true,
    "outDir": "dist"
  },
  "files": ["drive.ts"]
}
"#;

#[tokio::test]
#[ignore = "needs Node.js with openapi-typescript, openapi-fetch and typescript: ./tests/run-all installs them (or run npm ci in tests/browser and pass --include-ignored)"]
async fn a_generated_typescript_fetch_client_drives_the_app() {
    let node_modules = workspace_root().join("tests/browser/node_modules");
    let tools = node_modules.join(".bin");
    for tool in [
        tools.join("openapi-typescript"),
        tools.join("tsc"),
        node_modules.join("openapi-fetch/package.json"),
    ] {
        assert!(tool.exists(), "{} is missing: {HOW}", tool.display());
    }
    let app = crate::start();
    let schema = app.get(JSON_ONLY, &[("accept", "application/json")]).await;
    assert_eq!(schema.status, 200, "{}", schema.text());
    let dir = app.dir().join("typescript-fetch");
    std::fs::create_dir_all(&dir).expect("a directory for the client");
    // openapi-fetch is found (by tsc and by Node) in tests/browser's packages.
    std::os::unix::fs::symlink(&node_modules, dir.join("node_modules")).expect("link node_modules");
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mp3 = crate::uploads::mp3(20_000);
    let fixtures = format!(
        "export const baseUrl = {:?};\nexport const mp3Base64 = {:?};\nexport const pngBase64 = {:?};\n",
        app.base(),
        base64(&mp3),
        base64(crate::pictures::PNG),
    );
    for (name, text) in [
        ("openapi.json", &schema.body[..]),
        (
            "package.json",
            br#"{ "private": true, "type": "module" }"#.as_slice(),
        ),
        ("tsconfig.json", TSCONFIG.as_bytes()),
        ("drive.ts", DRIVE.as_bytes()),
        ("fixtures.ts", fixtures.as_bytes()),
    ] {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }

    // Default options: what a team that has never heard of restframe would run. It warns on
    // stderr (` ⚠  ...`) about what it cannot type; it must have nothing to say.
    let generate = run_tool(
        Command::new(tools.join("openapi-typescript"))
            .args(["openapi.json", "-o", "api.d.ts"])
            .current_dir(&dir),
        Duration::from_secs(120),
    );
    assert!(
        generate.success() && generate.stderr.trim().is_empty(),
        "openapi-typescript failed or warned about {JSON_ONLY}: {}",
        generate.report()
    );
    let compile = run_tool(
        Command::new(tools.join("tsc"))
            .args(["-p", "tsconfig.json"])
            .current_dir(&dir),
        Duration::from_secs(180),
    );
    assert!(
        compile.success(),
        "the client does not compile under strict tsc (in {}): {}",
        dir.display(),
        compile.report()
    );
    let run = run_tool(
        Command::new("node")
            .arg("dist/drive.js")
            .current_dir(&dir)
            .env("NO_PROXY", "127.0.0.1,localhost"),
        Duration::from_secs(120),
    );
    assert!(
        run.success(),
        "the openapi-fetch client failed against the app (in {}): {}",
        dir.display(),
        run.report()
    );
    let summary: Value = run
        .stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON summary last: {}", run.report()));
    for (step, status) in [
        ("register", 201),
        ("token", 200),
        ("create", 201),
        ("list", 200),
        ("retrieve", 200),
        ("patch", 200),
        ("patch_without_token", 401),
        ("upload_raw", 200),
        ("file", 200),
        ("file_range", 206),
        ("upload_multipart", 200),
        ("file_again", 200),
        ("picture_put", 200),
        ("picture_get", 200),
        ("picture_put_base64", 200),
        ("delete", 204),
        ("retrieve_deleted", 404),
    ] {
        assert_eq!(summary[step], status, "{step} in {summary}");
    }
    assert_eq!(summary["mp3_bytes"], mp3.len());
    assert_eq!(summary["png_bytes"], crate::pictures::PNG.len());

    // What the app holds afterwards, seen over plain HTTP: the track is gone, the picture stays.
    let track = summary["track_id"].as_i64().unwrap();
    let user = summary["user_id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/tracks/{track}/"), &[]).await.status,
        404
    );
    let picture = app.get(&format!("/api/users/{user}/picture/"), &[]).await;
    assert_eq!(picture.status, 200, "{}", picture.text());
    assert_eq!(picture.body.as_ref(), crate::pictures::PNG);
}
