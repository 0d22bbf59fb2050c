//! A Python client generated from the example app's JSON-only document (issue 15), as a Python
//! team would: openapi-python-client (PyPI) with its default options and no config file, which
//! must print no warning (every operation, body and response kept), then a script that drives
//! the app through the generated code only: register, log in, create, list, retrieve, PATCH and
//! delete a track, upload its MP3 (raw and multipart) and read it back (whole and a range), and
//! PUT and GET the user's picture (multipart and base64 JSON).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use restframe_tests::{required_env, run_tool};
use serde_json::Value;

const PYTHON_TOOLS_VAR: &str = "RESTFRAME_TEST_PYTHON_TOOLS";
const PYTHON_TOOLS_HOW: &str = "run ./tests/run-all, which installs openapi-python-client, or: \
    eval \"$(tests/services/python-tools.sh install)\"";

/// The document generators read: data in JSON only, files in their own types.
const JSON_ONLY: &str = "/api/schema/json/";

/// The flow, through the generated package only (its name, from the document's title, comes as
/// an argument). Each step checks its status and typed result; the last line is a JSON summary.
const SCRIPT: &str = r#"import base64
import datetime
import importlib
import io
import json
import sys

base_url, package, mp3_path, png_path = sys.argv[1:5]
with open(mp3_path, "rb") as f:
    mp3 = f.read()
with open(png_path, "rb") as f:
    png = f.read()

generated = importlib.import_module(package)
models = importlib.import_module(f"{package}.models")
File = importlib.import_module(f"{package}.types").File


def api(tag, operation):
    return importlib.import_module(f"{package}.api.{tag}.{operation}")


summary = {}


def expect(reply, status, step, kind=None):
    """The parsed body of `reply`, after checking its status and type."""
    assert reply.status_code == status, (
        f"{step}: {int(reply.status_code)} instead of {status}: {reply.content[:500]!r}"
    )
    if kind is not None:
        assert isinstance(reply.parsed, kind), f"{step}: {type(reply.parsed)} is not {kind}"
    summary[step] = int(reply.status_code)
    print(f"{step}: {int(reply.status_code)}", flush=True)
    return reply.parsed


anonymous = generated.Client(base_url=base_url, raise_on_unexpected_status=True)

# Register and log in.
user = expect(
    api("users", "users_create").sync_detailed(
        client=anonymous,
        body=models.UserInput(
            username="coltrane", password="a-love-supreme", email="coltrane@example.org"
        ),
    ),
    201,
    "register",
    models.User,
)
token = expect(
    api("auth", "auth_token_post").sync_detailed(
        client=anonymous,
        body=models.TokenRequest(username="coltrane", password="a-love-supreme"),
    ),
    200,
    "token",
    models.TokenReply,
).token
client = generated.AuthenticatedClient(
    base_url=base_url, token=token, prefix="Token", raise_on_unexpected_status=True
)

# Create, list, retrieve.
track = expect(
    api("tracks", "tracks_create").sync_detailed(
        client=client,
        body=models.TrackInput(
            title="Naima",
            artist_name="John Coltrane",
            release_date=datetime.date(1960, 1, 27),
        ),
    ),
    201,
    "create",
    models.Track,
)
assert track.owner_username == "coltrane", track
assert track.release_date == datetime.date(1960, 1, 27), track
assert track.file is None, track
track_id = str(track.id)
page = expect(
    api("tracks", "tracks_list").sync_detailed(client=client, artist_name="John Coltrane"),
    200,
    "list",
    models.PaginatedTrackList,
)
assert page.count == 1 and [t.id for t in page.results] == [track.id], page
assert page.results[0].title == "Naima", page
got = expect(
    api("tracks", "tracks_retrieve").sync_detailed(track_id, client=client),
    200,
    "retrieve",
    models.Track,
)
assert got.id == track.id and got.artist_name == "John Coltrane", got

# PATCH: a new title, the date cleared; without a valid token, a 401 with the error's detail.
patched = expect(
    api("tracks", "tracks_partial_update").sync_detailed(
        track_id, client=client, body=models.TrackPatch(title="Naima (take 2)", release_date=None)
    ),
    200,
    "patch",
    models.Track,
)
assert patched.title == "Naima (take 2)" and patched.release_date is None, patched
assert patched.artist_name == "John Coltrane", patched
stranger = generated.AuthenticatedClient(base_url=base_url, token="not-a-token", prefix="Token")
refused = expect(
    api("tracks", "tracks_partial_update").sync_detailed(
        track_id, client=stranger, body=models.TrackPatch(title="x")
    ),
    401,
    "patch_without_token",
    models.Error,
)
assert refused.detail, refused

# The MP3: a raw upload (application/octet-stream), read back whole and as a range, then
# replaced by a multipart upload of field `file`.
uploaded = expect(
    api("tracks", "tracks_upload").sync_detailed(
        track_id,
        "naima.mp3",
        client=client,
        body=File(payload=io.BytesIO(mp3), file_name="naima.mp3", mime_type="audio/mpeg"),
    ),
    200,
    "upload_raw",
    models.Track,
)
assert uploaded.file and uploaded.file.endswith(f"/api/tracks/{track_id}/file/"), uploaded
served = api("tracks", "tracks_file").sync_detailed(track_id, client=client)
body = expect(served, 200, "file", File).payload.read()
assert body == mp3, f"the file is {len(body)} bytes, not the {len(mp3)} uploaded"
assert served.headers["content-type"] == "audio/mpeg", served.headers
# A client of its own: `with_headers` would change the shared connection's headers too.
ranged = generated.AuthenticatedClient(
    base_url=base_url, token=token, prefix="Token", headers={"Range": "bytes=0-9"}
)
part = expect(
    api("tracks", "tracks_file").sync_detailed(track_id, client=ranged),
    206,
    "file_range",
    File,
).payload.read()
assert part == mp3[:10], part
take_two = mp3[:-100]
expect(
    api("tracks", "tracks_upload").sync_detailed(
        track_id,
        "naima_take_2.mp3",
        client=client,
        body=models.TracksUploadFilesBody(
            file=File(
                payload=io.BytesIO(take_two), file_name="naima_take_2.mp3", mime_type="audio/mpeg"
            )
        ),
    ),
    200,
    "upload_multipart",
    models.Track,
)
body = expect(
    api("tracks", "tracks_file").sync_detailed(track_id, client=client), 200, "file_again", File
).payload.read()
assert body == take_two, f"the file is {len(body)} bytes, not the {len(take_two)} uploaded"

# The user's picture: PUT as a multipart file, GET the image back; PUT as base64 JSON.
user_id = str(user.id)
stored = expect(
    api("users", "users_picture_put").sync_detailed(
        user_id,
        client=client,
        body=models.UsersPicturePutFilesBody(
            file=File(payload=io.BytesIO(png), file_name="coltrane.png", mime_type="image/png")
        ),
    ),
    200,
    "picture_put",
    models.PictureJson,
)
assert stored.mime_type == "image/png" and stored.size == len(png), stored
picture = api("users", "users_picture_get").sync_detailed(user_id, client=client)
image = expect(picture, 200, "picture_get", File).payload.read()
assert image == png, f"the picture is {len(image)} bytes, not the {len(png)} stored"
assert picture.headers["content-type"] == "image/png", picture.headers
stored = expect(
    api("users", "users_picture_put").sync_detailed(
        user_id,
        client=client,
        body=models.Base64Body(data=base64.b64encode(png).decode()),
    ),
    200,
    "picture_put_base64",
    models.PictureJson,
)
assert stored.mime_type == "image/png" and stored.size == len(png), stored

# Delete: 204, then the track is gone.
expect(api("tracks", "tracks_destroy").sync_detailed(track_id, client=client), 204, "delete")
expect(
    api("tracks", "tracks_retrieve").sync_detailed(track_id, client=client),
    404,
    "retrieve_deleted",
    models.Error,
)

summary["track_id"] = track.id
summary["user_id"] = user.id
summary["mp3_bytes"] = len(mp3)
summary["png_bytes"] = len(png)
print(json.dumps(summary, sort_keys=True))
"#;

/// The generated package: the one directory of `out` with a `client.py`.
fn generated_package(out: &Path) -> String {
    let packages: Vec<String> = std::fs::read_dir(out)
        .unwrap_or_else(|e| panic!("read {}: {e}", out.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().join("client.py").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        packages.len(),
        1,
        "one generated package in {}, not {packages:?}",
        out.display()
    );
    packages.into_iter().next().unwrap()
}

/// `cmd` with the venv's tools first on `PATH` (openapi-python-client runs `ruff` from there to
/// format what it writes), no colours, and no proxy for loopback.
fn in_venv<'c>(cmd: &'c mut Command, tools: &Path) -> &'c mut Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(tools.to_path_buf()).chain(std::env::split_paths(&path)),
    )
    .expect("a PATH");
    cmd.env("PATH", path)
        .env("NO_COLOR", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
}

#[tokio::test]
#[ignore = "needs openapi-python-client: ./tests/run-all installs it (or set RESTFRAME_TEST_PYTHON_TOOLS and pass --include-ignored)"]
async fn a_generated_python_client_drives_the_app() {
    let tools = PathBuf::from(required_env(PYTHON_TOOLS_VAR, PYTHON_TOOLS_HOW));
    for tool in ["openapi-python-client", "python", "ruff"] {
        assert!(
            tools.join(tool).exists(),
            "{} does not exist: {PYTHON_TOOLS_HOW}",
            tools.join(tool).display()
        );
    }
    let app = crate::start();
    let schema = app.get(JSON_ONLY, &[("accept", "application/json")]).await;
    assert_eq!(schema.status, 200, "{}", schema.text());
    let dir = app.dir().join("python-client");
    std::fs::create_dir_all(&dir).expect("a directory for the client");
    std::fs::write(dir.join("openapi.json"), &schema.body).expect("write the document");

    // Default options and no config file: what a team that has never heard of restframe runs.
    // `--fail-on-warning` makes a warning an exit status too, besides the output checked below.
    let generate = run_tool(
        in_venv(
            Command::new(tools.join("openapi-python-client")).args([
                "generate",
                "--path",
                "openapi.json",
                "--output-path",
                "client",
                "--fail-on-warning",
            ]),
            &tools,
        )
        .current_dir(&dir),
        Duration::from_secs(180),
    );
    assert!(
        generate.success(),
        "openapi-python-client failed or warned about {JSON_ONLY}: {}",
        generate.report()
    );
    // It prints `Generating client` and nothing else: no warning, no skipped step.
    let printed: Vec<&str> = generate
        .stdout
        .lines()
        .chain(generate.stderr.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        printed.iter().all(|l| l.starts_with("Generating ")),
        "openapi-python-client printed more than `Generating ...`: {}",
        generate.report()
    );
    let out = dir.join("client");
    let package = generated_package(&out);

    let mp3 = crate::uploads::mp3(48 * 1024);
    std::fs::write(dir.join("naima.mp3"), &mp3).expect("write the MP3");
    std::fs::write(dir.join("coltrane.png"), crate::pictures::PNG).expect("write the PNG");
    std::fs::write(dir.join("drive.py"), SCRIPT).expect("write the script");
    let run = run_tool(
        in_venv(
            Command::new(tools.join("python")).args([
                "drive.py",
                app.base(),
                &package,
                "naima.mp3",
                "coltrane.png",
            ]),
            &tools,
        )
        .current_dir(&dir)
        .env("PYTHONPATH", &out)
        .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(120),
    );
    assert!(
        run.success(),
        "the script using the generated client failed (in {}): {}",
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
