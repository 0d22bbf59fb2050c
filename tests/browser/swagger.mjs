// The example app's API docs in a real browser (issues 5 and 12):
//   - Swagger UI at /api/docs/: tracks_create tried out without Authorize answers 401; after
//     Authorize with a user's token (the tokenAuth scheme) the same Execute answers 201 and the
//     track exists, owned by that user; then the track upload operation (tracks_upload) is tried
//     out with a small MP3 from the file picker, and the live response shows 200 and the file URL;
//   - ReDoc at /api/redoc/ renders and lists the operations;
//   - neither page requests anything outside loopback, nor breaks its Content Security Policy.
//
//   node tests/browser/swagger.mjs BASE_URL OUTPUT_DIR
//
// Run by tests/e2e/browser.rs; see lib.mjs for the conventions.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { apiClient, check, createUser, fail, guardedPage, log, mp3, open, run, screenshot } from './lib.mjs';

const UPLOAD_NAME = 'swagger_take.mp3';
const TRACK = { title: 'Freddie Freeloader', artist_name: 'Miles Davis' };

/** The first 500 characters of the page's text, for failure messages. */
async function pageText(page) {
  return (await page.locator('body').innerText().catch((e) => `(no page text: ${e.message})`)).slice(0, 500);
}

/** Opens Swagger UI and waits until it lists operations. */
async function openDocs(page, base) {
  log(`opening ${base}/api/docs/`);
  await open(page, `${base}/api/docs/`);
  try {
    await page.locator('.swagger-ui .opblock').first().waitFor();
  } catch {
    fail(`Swagger UI listed no operations at ${base}/api/docs/ (page text: ${await pageText(page)})`);
  }
}

/** The operation `operationId` (tag `tracks`), expanded, with "Try it out" switched on. */
async function operation(page, operationId) {
  const selector = `#operations-tracks-${operationId}`;
  const op = page.locator(selector);
  if ((await op.count()) === 0) {
    const ids = await page.locator('.opblock[id]').evaluateAll((els) => els.map((e) => e.id));
    fail(`no operation ${selector} in Swagger UI; operations shown: ${ids.join(', ')}`);
  }
  if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
    await op.locator('.opblock-summary').first().click();
  }
  // "Try it out" when it is off; "Cancel" (and "Reset", for a body) once it is on.
  await op.locator('.try-out__btn').first().waitFor();
  const start = op.locator('.try-out__btn', { hasText: /try it out/i });
  if ((await start.count()) > 0) await start.first().click();
  await op.locator('.try-out__btn', { hasText: /cancel/i }).first().waitFor();
  return op;
}

/**
 * Clears the previous live response (if any), presses Execute, and returns the request the
 * browser sent and `{ status, shown }` as the UI shows them.
 */
async function execute(page, op, method, path) {
  const clear = op.locator('button.btn-clear');
  if ((await clear.count()) > 0) {
    await clear.first().click();
    await op.locator('.responses-wrapper .live-responses-table').waitFor({ state: 'detached' });
  }
  const sent = page.waitForRequest((r) => r.method() === method && new URL(r.url()).pathname === path);
  await op.locator('button.execute').click();
  const request = await sent.catch(() => fail(`pressing Execute sent no ${method} ${path}`));
  const live = op.locator('.responses-wrapper .live-responses-table');
  await live.waitFor();
  // The status cell reads "401" or, for a code the schema does not document, "401\nUndocumented".
  const status = (await live.locator('.response .response-col_status').first().innerText()).trim().split(/\s+/)[0];
  const shown = await live.locator('.response .response-col_description').first().innerText();
  return { request, status, shown };
}

/**
 * Authorize: the `tokenAuth` scheme (an HTTP bearer scheme, see framework/src/auth/token.rs)
 * takes the bare key, and Swagger UI then sends `Authorization: Bearer <key>`.
 */
async function authorize(page, key, outDir) {
  await page.locator('.swagger-ui .auth-wrapper button.authorize').first().click();
  const modal = page.locator('.swagger-ui .modal-ux');
  await modal.waitFor();
  const boxes = modal.locator('.auth-container');
  const names = await boxes.evaluateAll((els) => els.map((e) => (e.querySelector('h4') || e).textContent.trim()));
  log(`Authorize offers: ${names.join(' | ')}`);
  const box = boxes.filter({ hasText: 'tokenAuth' });
  check((await box.count()) === 1, `the Authorize dialog has no tokenAuth scheme; it offers: ${names.join(' | ')}`);
  const input = box.locator('input');
  check((await input.count()) === 1, `the tokenAuth scheme has ${await input.count()} inputs, not one value field`);
  await input.fill(key);
  await screenshot(page, outDir, 'swagger-ui-authorize');
  await box.locator('button.authorize, button[type="submit"]').first().click();
  try {
    await box.locator('button', { hasText: /logout/i }).waitFor();
  } catch {
    fail(`after Authorize the tokenAuth scheme does not show itself authorized: ${(await box.innerText()).slice(0, 500)}`);
  }
  await modal.locator('button.btn-done').first().click();
  await modal.waitFor({ state: 'detached' });
  log('authorized with the token (tokenAuth)');
}

async function swaggerUi({ browser, base, outDir, track }, fixture) {
  const api = await apiClient(base);
  const user = await createUser(api, 'swagger');
  const { page, guard } = await guardedPage(browser);
  track(page);
  await openDocs(page, base);

  // 1. POST /api/tracks/ without Authorize: 401, and no track.
  const create = await operation(page, 'tracks_create');
  const body = create.locator('.opblock-section-request-body');
  const contentType = body.locator('select');
  if ((await contentType.count()) > 0) {
    const types = await contentType.first().locator('option').allTextContents();
    log(`tracks_create content types offered: ${types.join(', ')}`);
    if (types.includes('application/json')) await contentType.first().selectOption('application/json');
  }
  const text = body.locator('textarea');
  try {
    await text.first().waitFor();
  } catch {
    fail(`no request body editor in tracks_create:\n${(await create.innerText()).slice(0, 800)}`);
  }
  await text.first().fill(JSON.stringify(TRACK, null, 2));
  log('executing tracks_create without Authorize');
  let { request, status, shown } = await execute(page, create, 'POST', '/api/tracks/');
  await screenshot(page, outDir, 'swagger-ui-create-anonymous');
  const anonymousAuth = (await request.allHeaders()).authorization;
  check(anonymousAuth === undefined, `before Authorize Swagger UI sent Authorization: ${anonymousAuth}`);
  check(status === '401', `tracks_create without Authorize answered ${status}, not 401; Swagger UI shows:\n${shown}`);
  const none = await api.get('/api/tracks/');
  check((await none.json()).count === 0, `the 401 created a track: GET /api/tracks/ shows ${await none.text()}`);
  log('tracks_create without Authorize: 401, no track');

  // 2. Authorize with the token, then the same Execute: 201, and the track exists.
  await authorize(page, user.token, outDir);
  ({ request, status, shown } = await execute(page, create, 'POST', '/api/tracks/'));
  await screenshot(page, outDir, 'swagger-ui-create');
  const sentAuth = (await request.allHeaders()).authorization || '';
  check(sentAuth === `Bearer ${user.token}`, `after Authorize Swagger UI sent Authorization "${sentAuth}", not "Bearer <the token>"`);
  check(status === '201', `tracks_create after Authorize answered ${status}, not 201; Swagger UI shows:\n${shown}`);
  const idShown = /"id"\s*:\s*(\d+)/.exec(shown);
  check(idShown, `the 201 shows no "id":\n${shown}`);
  const id = Number(idShown[1]);
  const got = await api.get(`/api/tracks/${id}/`);
  check(got.status() === 200, `GET /api/tracks/${id}/ after the 201 answered ${got.status()}: ${await got.text()}`);
  const created = await got.json();
  check(created.title === TRACK.title, `track ${id} has title ${JSON.stringify(created.title)}, not ${TRACK.title}`);
  check(created.owner === user.id, `track ${id} has owner ${JSON.stringify(created.owner)}, not ${user.id} (${user.username})`);
  log(`tracks_create after Authorize: 201, track ${id} owned by ${user.username}`);

  // 3. The upload of a file to that track (its owner is authorized).
  const op = await operation(page, 'tracks_upload');
  for (const [name, value] of [
    ['id', String(id)],
    ['filename', UPLOAD_NAME],
  ]) {
    const input = op.locator(`tr[data-param-name="${name}"][data-param-in="path"] input`);
    check((await input.count()) > 0, `no input for the path parameter "${name}" in tracks_upload`);
    await input.first().fill(value);
  }
  const upload = op.locator('.opblock-section-request-body');
  const uploadType = upload.locator('select');
  if ((await uploadType.count()) > 0) {
    const types = await uploadType.first().locator('option').allTextContents();
    log(`tracks_upload content types offered: ${types.join(', ')}`);
    if (types.includes('multipart/form-data')) await uploadType.first().selectOption('multipart/form-data');
  }
  const fileInput = upload.locator('input[type="file"]');
  try {
    await fileInput.first().waitFor({ state: 'attached' });
  } catch {
    fail('no file input in the request body of tracks_upload: is the "file" property a binary string?');
  }
  await fileInput.first().setInputFiles(fixture);
  log('executing the upload');
  ({ status, shown } = await execute(page, op, 'POST', `/api/tracks/${id}/upload/${UPLOAD_NAME}/`));
  await screenshot(page, outDir, 'swagger-ui-upload');
  check(status === '200', `the upload answered ${status}, not 200; Swagger UI shows:\n${shown}`);
  const fileUrl = new RegExp(`"file"\\s*:\\s*"https?://[^"]+/api/tracks/${id}/file/"`);
  check(fileUrl.test(shown), `the response body shows no "file" URL ending /api/tracks/${id}/file/:\n${shown}`);
  log(`Swagger UI upload: ${status}, file URL shown`);

  guard.assertClean();
  await guard.context.close();
  await api.dispose();
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
