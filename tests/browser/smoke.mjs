// A check of the browser set-up itself, independent of any feature under test: Chromium launches
// through playwright-core, loads a page of the app (the track list, served since the start), and
// the loopback guard and screenshots work.
//
//   node tests/browser/smoke.mjs BASE_URL OUTPUT_DIR

import { check, guardedPage, log, open, run, screenshot } from './lib.mjs';

await run('smoke.mjs', async ({ browser, base, outDir, track }) => {
  log(`Chromium ${browser.version()}`);
  const { page, guard } = await guardedPage(browser);
  track(page);
  await open(page, `${base}/api/tracks/`);
  const text = await page.locator('body').innerText();
  check(text.trim().length > 0, `${base}/api/tracks/ shows an empty page`);
  await screenshot(page, outDir, 'tracks');
  guard.assertClean();
  await guard.context.close();
});
