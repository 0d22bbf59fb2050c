//! A TypeScript client generated from the example app's document, as a front-end team would:
//! openapi-typescript (npm) with its default options, then `tsc --strict`. A PATCH that sets
//! only `title` must compile, a PATCH that sets `title` to null must not, and a create needs
//! exactly the required fields.

use std::process::Command;
use std::time::Duration;

use restframe_tests::{run_tool, workspace_root};

const HOW: &str = "run ./tests/run-all, which installs them, or: (cd tests/browser && npm ci)";

/// What the generated types must accept (and, under `@ts-expect-error`, refuse).
const CLIENT: &str = r#"import type { paths } from "./api";

type TrackPatch = NonNullable<
  paths["/api/tracks/{id}/"]["patch"]["requestBody"]
>["content"]["application/json"];
type TrackCreate = NonNullable<
  paths["/api/tracks/"]["post"]["requestBody"]
>["content"]["application/json"];
type Track =
  paths["/api/tracks/{id}/"]["get"]["responses"][200]["content"]["application/json"];

// A PATCH sets only what it changes.
export const rename: TrackPatch = { title: "So What (take 2)" };
export const clearDate: TrackPatch = { release_date: null };
// @ts-expect-error a title may not be null
export const nullTitle: TrackPatch = { title: null };

// A create needs the title and the artist, and nothing else.
export const create: TrackCreate = { title: "So What", artist_name: "Miles Davis" };
// @ts-expect-error the artist is required
export const noArtist: TrackCreate = { title: "So What" };

// What a GET answers, used as strict code would.
export function describe(track: Track): string {
  const owner: string | null | undefined = track.owner_username;
  const created: string = track.created_at;
  return `${track.id}: ${track.title.toUpperCase()} by ${track.artist_name} ` +
    `(${track.url}, ${owner ?? "nobody"}, ${created})`;
}
"#;

const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "ES2022",
    "module": "ES2022",
    "moduleResolution": "bundler",
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true
  },
  "files": ["client.ts"]
}
"#;

#[tokio::test]
#[ignore = "needs Node.js with openapi-typescript and typescript: ./tests/run-all installs them (or run npm ci in tests/browser and pass --include-ignored)"]
async fn a_generated_typescript_client_compiles_strictly() {
    let tools = workspace_root().join("tests/browser/node_modules/.bin");
    for tool in ["openapi-typescript", "tsc"] {
        assert!(
            tools.join(tool).exists(),
            "{} is missing: {HOW}",
            tools.join(tool).display()
        );
    }
    let app = crate::start();
    let schema = app
        .get("/api/schema/", &[("accept", "application/json")])
        .await;
    assert_eq!(schema.status, 200, "{}", schema.text());
    let dir = app.dir().join("typescript");
    std::fs::create_dir_all(&dir).expect("a directory for the client");
    std::fs::write(dir.join("openapi.json"), &schema.body).expect("write the document");
    std::fs::write(dir.join("client.ts"), CLIENT).expect("write the client");
    std::fs::write(dir.join("tsconfig.json"), TSCONFIG).expect("write tsconfig.json");

    // Default options: what a team that has never heard of restframe would run.
    let generate = run_tool(
        Command::new(tools.join("openapi-typescript"))
            .args(["openapi.json", "-o", "api.d.ts"])
            .current_dir(&dir),
        Duration::from_secs(120),
    );
    assert!(
        generate.success(),
        "openapi-typescript failed: {}",
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
        "the generated types do not compile under strict tsc (in {}): {}",
        dir.display(),
        compile.report()
    );
}
