// The example app's API docs in a real browser (issue 5):
//   - Swagger UI at /api/docs/: the track upload operation (tracks_upload) is tried out with a
//     small MP3 from the file picker, and the live response shows 200 and the track's file URL;
//   - ReDoc at /api/redoc/ renders and lists the operations;
//   - neither page requests anything outside loopback, nor breaks its Content Security Policy.
//
//   node tests/browser/swagger.mjs BASE_URL OUTPUT_DIR
//
// Run by tests/e2e/browser.rs; see lib.mjs for the conventions.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { check, fail, guardedPage, log, mp3, open, run, screenshot } from './lib.mjs';

const OPERATION = '#operations-tracks-tracks_upload';
const UPLOAD_NAME = 'swagger_take.mp3';

/** Creates a track through the API (not the page) and returns its id. */
async function createTrack(context, base) {
  const res = await context.request.post(`${base}/api/tracks/`, {
    data: { title: 'Freddie Freeloader', artist_name: 'Miles Davis' },
  });
  check(res.status() === 201, `POST /api/tracks/ answered ${res.status()}: ${await res.text()}`);
  const track = await res.json();
  check(Number.isInteger(track.id), `no id in the created track: ${JSON.stringify(track)}`);
  return track.id;
}

async function swaggerUi({ browser, base, outDir, track }, fixture) {
  const { page, guard } = await guardedPage(browser);
  track(page);
  const id = await createTrack(guard.context, base);
  log(`created track ${id}`);

  log(`opening ${base}/api/docs/`);
  await open(page, `${base}/api/docs/`);
  try {
    await page.locator('.swagger-ui .opblock').first().waitFor();
  } catch {
    fail(`Swagger UI listed no operations at ${base}/api/docs/ (page text: ${(await page.locator('body').innerText()).slice(0, 500)})`);
  }
  const op = page.locator(OPERATION);
  if ((await op.count()) === 0) {
    const ids = await page.locator('.opblock[id]').evaluateAll((els) => els.map((e) => e.id));
    fail(`no operation ${OPERATION} in Swagger UI; operations shown: ${ids.join(', ')}`);
  }

  // Expand the operation, and switch on "Try it out" (unless the UI starts with it on).
  if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
    await op.locator('.opblock-summary').first().click();
  }
  const tryOut = op.locator('.try-out__btn');
  await tryOut.waitFor();
  if (/try it out/i.test(await tryOut.innerText())) await tryOut.click();

  // Path parameters.
  for (const [name, value] of [
    ['id', String(id)],
    ['filename', UPLOAD_NAME],
  ]) {
    const input = op.locator(`tr[data-param-name="${name}"][data-param-in="path"] input`);
    check((await input.count()) > 0, `no input for the path parameter "${name}" in ${OPERATION}`);
    await input.first().fill(value);
  }

  // The request body: the multipart form when the UI offers a choice of content types.
  const body = op.locator('.opblock-section-request-body');
  const contentType = body.locator('select');
  if ((await contentType.count()) > 0) {
    const types = await contentType.first().locator('option').allTextContents();
    log(`request content types offered: ${types.join(', ')}`);
    if (types.includes('multipart/form-data')) await contentType.first().selectOption('multipart/form-data');
  }
  const fileInput = body.locator('input[type="file"]');
  try {
    await fileInput.first().waitFor({ state: 'attached' });
  } catch {
    fail(`no file input in the request body of ${OPERATION}: is the "file" property a binary string?`);
  }
  await fileInput.first().setInputFiles(fixture);

  log('executing the upload');
  await op.locator('button.execute').click();
  const live = op.locator('.responses-wrapper .live-responses-table');
  await live.waitFor();
  const status = (await live.locator('.response .response-col_status').first().innerText()).trim();
  const shown = await live.locator('.response .response-col_description').first().innerText();
  await screenshot(page, outDir, 'swagger-ui-upload');
  check(status === '200', `the upload answered ${status}, not 200; Swagger UI shows:\n${shown}`);
  const fileUrl = new RegExp(`"file"\\s*:\\s*"https?://[^"]+/api/tracks/${id}/file/"`);
  check(fileUrl.test(shown), `the response body shows no "file" URL ending /api/tracks/${id}/file/:\n${shown}`);
  log(`Swagger UI upload: ${status}, file URL shown`);

  guard.assertClean();
  await guard.context.close();
}

async function redoc({ browser, base, outDir, track }) {
  const { page, guard } = await guardedPage(browser);
  track(page);
  log(`opening ${base}/api/redoc/`);
  await open(page, `${base}/api/redoc/`);
  try {
    await page.locator('.menu-content').first().waitFor();
    await page.locator('.api-content').first().waitFor();
  } catch {
    fail(`ReDoc did not render at ${base}/api/redoc/ (page text: ${(await page.locator('body').innerText()).slice(0, 500)})`);
  }
  const text = await page.locator('body').innerText();
  check(!/Something went wrong/i.test(text), `ReDoc shows an error: ${text.slice(0, 500)}`);

  // The side menu lists the operations (ReDoc ids: [tag/TAG/]operation/OPERATION_ID).
  const menuOps = page.locator('.menu-content li[data-item-id*="operation/"]');
  const ids = await menuOps.evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
  log(`ReDoc menu operations: ${ids.join(', ')}`);
  check(ids.length >= 2, `ReDoc's menu lists ${ids.length} operations: ${ids.join(', ')}`);
  check(
    ids.some((i) => i.endsWith('operation/tracks_upload')),
    `ReDoc's menu does not list tracks_upload; it lists: ${ids.join(', ')}`,
  );
  const section = page.locator('[data-section-id$="operation/tracks_upload"]');
  check((await section.count()) > 0, 'ReDoc renders no section for tracks_upload');
  // Open it from the menu, as a reader would, and see its section.
  const item = page.locator('.menu-content li[data-item-id$="operation/tracks_upload"]').first();
  if (!(await item.isVisible())) {
    await page.locator('.menu-content li[data-item-id^="tag/tracks"]').first().locator('label').first().click();
  }
  // The menu's footer ("API docs by Redocly") can cover its last items at this window size: the
  // click goes to the item itself, as a keyboard user's would.
  await item.locator('label').first().evaluate((el) => el.click());
  await section.first().waitFor({ state: 'visible' });
  await screenshot(page, outDir, 'redoc');
  log(`ReDoc: ${ids.length} operations listed`);

  guard.assertClean();
  await guard.context.close();
}

await run('swagger.mjs', async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'restframe-browser-'));
  try {
    const fixture = join(dir, UPLOAD_NAME);
    writeFileSync(fixture, mp3(20 * 1024));
    await swaggerUi(ctx, fixture);
    await redoc(ctx);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
