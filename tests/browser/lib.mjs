// Shared support of the browser checks: argument parsing, launching Debian's Chromium through
// playwright-core, a guard that keeps every request on loopback, and clear failures.
//
// Each check is a script `node tests/browser/NAME.mjs BASE_URL OUTPUT_DIR`: BASE_URL is a running
// example app on loopback (http://127.0.0.1:PORT), OUTPUT_DIR receives full-page screenshots. It
// exits 0 when all is well, and non-zero with a message on stderr otherwise. Chromium is the
// binary named by RESTFRAME_TEST_CHROMIUM (tests/services/chromium.sh prints it).

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { chromium, request as apiRequest } from 'playwright-core';

/** Hosts a page may talk to: everything else is aborted and reported. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Default time for one step (a page load, a selector to appear), in milliseconds. */
export const STEP_TIMEOUT_MS = 30_000;

/** Every guard made, so that a failure can show what the pages ran into. */
const guards = [];

/** A failed check: printed without a stack trace (the message says what went wrong). */
export class CheckFailed extends Error {}

/** Fails the check with `message`. */
export function fail(message) {
  throw new CheckFailed(message);
}

/** Fails the check with `message` unless `condition` holds. */
export function check(condition, message) {
  if (!condition) fail(message);
}

/** Logs a step on stderr (the Rust test shows it on failure). */
export function log(message) {
  process.stderr.write(`${message}\n`);
}

/** `{ base, outDir }` from argv; fails on a missing or non-loopback base URL. */
export function parseArgs(script) {
  const [base, outDir] = process.argv.slice(2);
  if (!base || !outDir) {
    fail(`usage: node ${script} BASE_URL OUTPUT_DIR (e.g. http://127.0.0.1:8000 target/browser-screenshots/x)`);
  }
  let url;
  try {
    url = new URL(base);
  } catch {
    fail(`not a URL: ${base}`);
  }
  check(isLoopback(url), `the app must run on loopback, not at ${base}`);
  mkdirSync(outDir, { recursive: true });
  return { base: base.replace(/\/+$/, ''), outDir: resolve(outDir) };
}

function isLoopback(url) {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** Launches headless Chromium (RESTFRAME_TEST_CHROMIUM) with the flags this machine needs. */
export async function launch() {
  const executablePath = process.env.RESTFRAME_TEST_CHROMIUM;
  if (!executablePath) {
    fail('RESTFRAME_TEST_CHROMIUM is not set: run ./tests/run-all, or eval "$(tests/services/chromium.sh install)"');
  }
  try {
    // playwright-core makes (and removes) a fresh user data directory itself.
    return await chromium.launch({
      executablePath,
      headless: true,
      timeout: 60_000,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (e) {
    fail(`could not launch Chromium at ${executablePath}: ${e.message}`);
  }
}

/**
 * A new page whose requests are all watched: any request to a host other than loopback is aborted
 * and recorded; console messages about the Content Security Policy, other console errors and
 * uncaught page errors are recorded. Call `guard.assertClean()` at the end.
 */
export async function guardedPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const guard = {
    context,
    offLoopback: [],
    cspViolations: [],
    consoleErrors: [],
    pageErrors: [],
    assertClean() {
      check(
        this.offLoopback.length === 0,
        `the page tried to reach hosts other than loopback (all assets must be served by the app):\n  ${this.offLoopback.join('\n  ')}`,
      );
      check(
        this.cspViolations.length === 0,
        `the page broke its Content Security Policy:\n  ${this.cspViolations.join('\n  ')}`,
      );
      for (const e of [...this.consoleErrors, ...this.pageErrors]) log(`note: page error (not fatal): ${e}`);
    },
  };
  guards.push(guard);
  // Routes see http(s) requests (and WebSockets are checked below); data: and blob: URLs never
  // leave the browser.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !isLoopback(url)) {
      guard.offLoopback.push(`${route.request().method()} ${url.href}`);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('websocket', (ws) => {
    const url = new URL(ws.url());
    if (!isLoopback(url)) guard.offLoopback.push(`WebSocket ${url.href}`);
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content[ -]Security[ -]Policy/i.test(text)) guard.cspViolations.push(text);
    else if (msg.type() === 'error') guard.consoleErrors.push(text);
  });
  page.on('pageerror', (err) => guard.pageErrors.push(String(err)));
  return { page, guard };
}

/** Opens `url` and fails unless it answers 200. */
export async function open(page, url) {
  let response;
  try {
    response = await page.goto(url, { waitUntil: 'load' });
  } catch (e) {
    fail(`could not load ${url}: ${e.message}`);
  }
  check(response, `no response for ${url}`);
  check(response.status() === 200, `${url} answered ${response.status()}, not 200`);
  return response;
}

/** Writes a full-page screenshot `OUTPUT_DIR/NAME.png`. */
export async function screenshot(page, outDir, name) {
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot: ${path}`);
  return path;
}

/**
 * Runs `body(browser)` with a launched browser; on failure writes `failure.png` of the last page
 * if it can, prints the reason and exits 1. Exits 0 on success.
 */
export async function run(script, body) {
  let browser;
  let lastPage;
  let outDir;
  try {
    const args = parseArgs(script);
    outDir = args.outDir;
    browser = await launch();
    await body({
      ...args,
      browser,
      // The check calls this so a failure screenshot shows where it stopped.
      track(page) {
        lastPage = page;
      },
    });
    await browser.close();
    process.exit(0);
  } catch (e) {
    if (lastPage && outDir) {
      try {
        await screenshot(lastPage, outDir, 'failure');
      } catch {
        // The page may be gone: the message below is what matters.
      }
    }
    if (browser) await browser.close().catch(() => {});
    const what = e instanceof CheckFailed ? e.message : e.stack || String(e);
    // What the pages ran into often explains the failure (a blocked script, a CSP violation).
    for (const g of guards) {
      for (const r of g.offLoopback) log(`page: blocked request outside loopback: ${r}`);
      for (const r of g.cspViolations) log(`page: Content Security Policy violation: ${r}`);
      for (const r of g.consoleErrors) log(`page: console error: ${r}`);
      for (const r of g.pageErrors) log(`page: uncaught error: ${r}`);
    }
    process.stderr.write(`${script}: FAILED: ${what}\n`);
    process.exit(1);
  }
}

/** The same small "MP3" as tests/e2e/uploads.rs: an ID3v2 header, MPEG frame sync, filler. */
export function mp3(len) {
  const head = [...Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), 0xff, 0xfb, 0x90, 0x64];
  const body = Buffer.alloc(Math.max(len, head.length));
  body.set(head);
  for (let i = 0; i < body.length - head.length; i++) body[head.length + i] = i % 251;
  return body;
}

/**
 * A client for set-up and checks from the test's side (not a page): no cookies of any page,
 * `Accept: application/json`. Only ever used with the app's loopback base URL.
 */
export async function apiClient(base) {
  return apiRequest.newContext({ baseURL: base, extraHTTPHeaders: { accept: 'application/json' } });
}

let usersMade = 0;

/**
 * Registers a user through the API as anyone may (`POST /api/users/`), then gets a token for it
 * (`POST /api/auth/token/`). Returns `{ id, username, password, token }`.
 */
export async function createUser(api, prefix = 'browser') {
  usersMade += 1;
  const username = `${prefix}${usersMade}`;
  const password = `pass-${prefix}-${usersMade}-long-enough`;
  const res = await api.post('/api/users/', {
    data: { username, email: `${username}@example.com`, password },
  });
  check(res.status() === 201, `POST /api/users/ (${username}) answered ${res.status()}, not 201: ${await res.text()}`);
  const user = await res.json();
  check(Number.isInteger(user.id), `no integer id in the created user: ${JSON.stringify(user)}`);
  check(!('password' in user), `the created user shows its password: ${JSON.stringify(user)}`);
  const tok = await api.post('/api/auth/token/', { data: { username, password } });
  check(tok.status() === 200, `POST /api/auth/token/ (${username}) answered ${tok.status()}, not 200: ${await tok.text()}`);
  const { token } = await tok.json();
  check(/^[0-9a-f]{40}$/.test(token || ''), `POST /api/auth/token/ gave no 40-hex token: ${JSON.stringify(token)}`);
  log(`user ${username} (id ${user.id}) registered, token obtained`);
  return { id: user.id, username, password, token };
}

/** `Authorization: Token <key>` of `user`, as request headers. */
export function tokenHeaders(user) {
  return { authorization: `Token ${user.token}` };
}

/** Creates a track as `user` (by token) and returns it (its JSON). */
export async function createTrack(api, user, data) {
  const res = await api.post('/api/tracks/', { data, headers: tokenHeaders(user) });
  check(res.status() === 201, `POST /api/tracks/ as ${user.username} answered ${res.status()}, not 201: ${await res.text()}`);
  const track = await res.json();
  check(Number.isInteger(track.id), `no id in the created track: ${JSON.stringify(track)}`);
  check(track.owner === user.id, `the created track's owner is ${JSON.stringify(track.owner)}, not ${user.id}`);
  return track;
}
