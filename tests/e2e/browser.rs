//! The API docs and the browsable API in a real browser (issues 5 and 12): headless Chromium,
//! driven by playwright-core scripts in tests/browser/, tries out track creation and upload in
//! Swagger UI (with and without Authorize), reads ReDoc, and logs in and out of the browsable
//! API, with every request kept on loopback. Each script registers its own user through the
//! API (`POST /api/users/`, `POST /api/auth/token/`). Screenshots go to `target/browser-screenshots/<test>/`.

use std::process::Command;
use std::time::Duration;

use restframe_tests::{App, required_env, run_tool, screenshot_dir, workspace_root};

const CHROMIUM_VAR: &str = "RESTFRAME_TEST_CHROMIUM";
const HOW: &str = "run ./tests/run-all, which installs Chromium and the browser scripts' packages, \
    or: eval \"$(tests/services/chromium.sh install)\" && (cd tests/browser && npm ci)";

/// Runs `node tests/browser/<script> <app base URL> <screenshot dir>` and fails the test with
/// its output unless it exits 0.
fn run_browser_script(app: &App, script: &str, test: &str) {
    let chromium = required_env(CHROMIUM_VAR, HOW);
    let dir = workspace_root().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "{}/node_modules/playwright-core is missing: {HOW}",
        dir.display()
    );
    let shots = screenshot_dir(test);
    let run = run_tool(
        Command::new("node")
            .arg(dir.join(script))
            .arg(app.base())
            .arg(&shots)
            .current_dir(&dir)
            .env(CHROMIUM_VAR, chromium),
        Duration::from_secs(180),
    );
    assert!(
        run.success(),
        "{script} failed (screenshots in {}): {}",
        shots.display(),
        run.report()
    );
    eprintln!("{}", run.stderr.trim_end());
}

/// Swagger UI: `tracks_create` answers 401 before Authorize and 201 after it (the `tokenAuth`
/// scheme with a user's token); then the upload to that track; ReDoc lists the operations.
#[tokio::test]
#[ignore = "needs Chromium and playwright-core: ./tests/run-all installs them (or set RESTFRAME_TEST_CHROMIUM, run npm ci in tests/browser, and pass --include-ignored)"]
async fn swagger_ui_uploads_and_redoc_lists() {
    let app = crate::start();
    run_browser_script(&app, "swagger.mjs", "swagger_ui_uploads_and_redoc_lists");
}

/// The browser set-up itself (Chromium, playwright-core, the loopback guard), on a page the app
/// has served from the start: tells a broken set-up apart from a broken feature.
#[tokio::test]
#[ignore = "needs Chromium and playwright-core: ./tests/run-all installs them (or set RESTFRAME_TEST_CHROMIUM, run npm ci in tests/browser, and pass --include-ignored)"]
async fn chromium_launches_and_loads_a_page() {
    let app = crate::start();
    run_browser_script(&app, "smoke.mjs", "chromium_launches_and_loads_a_page");
}

/// The browsable API (DRF's BrowsableAPIRenderer) as a person uses it: the track list as HTML,
/// anonymous (no POST form), and its YAML link; logging in through the login link; a track
/// created through the raw-content form (its `<script>` title shown as text), an MP3 uploaded
/// through the upload action's file form, and the track deleted; logging out, after which the
/// old session cookie no longer authenticates.
#[tokio::test]
#[ignore = "needs Chromium and playwright-core: ./tests/run-all installs them (or set RESTFRAME_TEST_CHROMIUM, run npm ci in tests/browser, and pass --include-ignored)"]
async fn browsable_api_in_a_browser() {
    let app = crate::start();
    run_browser_script(&app, "browsable.mjs", "browsable_api_in_a_browser");
}
