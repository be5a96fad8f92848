import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createIdentity, exportIdentity, formatId, Role, ready, toBase64Url } from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay } from '@sealcam/testkit/relay';
import type { Page } from 'playwright-core';
import { loadReleaseKey } from '../src/node/web-release.js';
import { launchChromium, SCREENSHOTS, storedKeys } from './support/browser.js';
import {
  buildReleaseKeyPath,
  copyApp,
  nextRelease,
  serveApp,
  strangerReleaseKey,
} from './support/web-release.js';

requireProgram('chromium');
const here = dirname(fileURLToPath(import.meta.url));
const BUILT_APP = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A worker that takes the site at once, as whoever serves sw.js may ship one. */
const ATTACKER_WORKER = `self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
`;
/** The attacker's app: reads the stored keys and tries every way out, then shows what it got. */
const ATTACKER_APP = `const db = await new Promise((ok, no) => { const r = indexedDB.open('sealcam-viewer'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
const state = await new Promise((ok, no) => { const r = db.transaction('state').objectStore('state').get('viewer'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
const keys = [state.identity.signKey, state.identity.boxKey];
const exports = [];
for (const key of keys) for (const format of ['pkcs8', 'jwk', 'raw']) exports.push(await crypto.subtle.exportKey(format, key).then((k) => 'EXPORTED ' + JSON.stringify(k instanceof ArrayBuffer ? Array.from(new Uint8Array(k)) : k), (e) => e.name));
const loot = document.createElement('pre');
loot.id = 'loot';
loot.textContent = JSON.stringify({ extractable: keys.map((k) => k.extractable), exports, serialized: JSON.stringify(state.identity) });
document.body.append(loot);
`;

/** The workers of the page's registration, for a failure's message. */
const workers = (page: Page) =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    const state = (worker: ServiceWorker | null | undefined) => (worker ? worker.state : 'none');
    return `controller ${state(navigator.serviceWorker.controller)}, active ${state(registration?.active)}, waiting ${state(registration?.waiting)}, installing ${state(registration?.installing)}, reasons ${document.querySelector('[data-testid="app-integrity-warning"]')?.getAttribute('data-reasons')}`;
  });

const release = (page: Page) => page.evaluate(() => document.documentElement.dataset.release ?? null);
/** The app's worker looks at the release the site offers now (it also does on navigations). */
const askForRelease = (page: Page) =>
  page.evaluate(async () => {
    (await navigator.serviceWorker.ready).active?.postMessage({ type: 'check-update' });
  });
/** The browser looks at the site's sw.js now (it also does on navigations). */
const askForWorker = (page: Page) =>
  page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration())?.update();
  });
const reasons = async (page: Page) =>
  ((await page.locator('[data-testid="app-integrity-warning"]').getAttribute('data-reasons')) ?? '').split(
    ' ',
  );

/** The built app on a relay's web root (a site that can swap it), and a browser page, not yet opened. */
async function installedSite() {
  const key = loadReleaseKey(buildReleaseKeyPath());
  const installed = copyApp(BUILT_APP, key.publicKey);
  const site = mkdtempSync(join(tmpdir(), 'sealcam-site-'));
  serveApp(site, installed.dir);
  const relay = await startRelay({ SEALCAM_WEB_ROOT: site });
  cleanups.push(() => relay.stop());
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  return { key, installed, site, relay, browser, page: await browser.newPage() };
}

/** Until the page says it runs a release its worker pinned. */
const pinned = (page: Page) =>
  until(
    async () =>
      (await page.locator('[data-testid="app-pin-state"]').getAttribute('data-pin-state')) === 'pinned',
    60_000,
    'the app pinned by its worker',
  );

test('the installed (installable) web app answers every navigation and file from its verified release, takes a signed update, refuses and reports a swapped app and worker, and the swapped app cannot get the keys out', async () => {
  await ready();
  const { key, installed, site, relay, browser, page } = await installedSite();

  // An identity an older app kept as bytes: the app moves it into WebCrypto on load.
  const earlier = createIdentity(Role.Viewer);
  await page.goto(`${relay.base}/release.json`);
  await page.evaluate(
    async (identity) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('sealcam-viewer', 1);
        request.onupgradeneeded = () => request.result.createObjectStore('state');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise((resolve, reject) => {
        const transaction = db.transaction('state', 'readwrite');
        transaction.objectStore('state').put({ v: 1, identity, cameras: [] }, 'viewer');
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
      });
      db.close();
    },
    toBase64Url(exportIdentity(earlier)),
  );
  await page.goto(`${relay.base}/`);
  const viewerId = page.locator('[data-testid="viewer-id"]');
  await viewerId.waitFor({ state: 'attached', timeout: 60_000 });
  assert.equal(await viewerId.getAttribute('data-viewer-id'), formatId(earlier.card.id), 'the same identity');
  assert.deepEqual(await storedKeys(page), {
    extractable: [false, false],
    exports: Array(4).fill('InvalidAccessError'),
  });
  assert.equal(await release(page), String(installed.release.version));
  await pinned(page);
  // Installable (a manifest with icons, a worker that serves the start page): Chromium lists no reason not to.
  const devtools = await page.context().newCDPSession(page);
  const { installabilityErrors } = (await devtools.send('Page.getInstallabilityErrors')) as {
    installabilityErrors: { errorId: string }[];
  };
  assert.deepEqual(installabilityErrors, [], 'installable');
  await devtools.detach();
  // Offline, the app still opens (its shell and files come from the pinned release).
  await page.context().setOffline(true);
  await page.reload();
  await viewerId.waitFor({ state: 'attached', timeout: 60_000 });
  assert.equal(await release(page), String(installed.release.version), 'the pinned app, offline');
  await page.context().setOffline(false);

  // The pinned copy answers every navigation: a POST from another site (a form) gets the app, not the site.
  await page.goto('about:blank');
  await page.setContent(
    `<form method="post" action="${relay.base}/elsewhere"><input name="x" value="1"></form>`,
  );
  await Promise.all([
    page.waitForURL(`${relay.base}/elsewhere`),
    page.locator('form').evaluate((form) => (form as HTMLFormElement).submit()),
  ]);
  await until(
    async () => (await release(page)) === String(installed.release.version),
    60_000,
    'the pinned app after a POST',
  );
  // A cache written by code of the origin is not a release: checked (signature, every hash) when the
  // worker starts, and dropped.
  const forged = 'sealcam-app-9007199254740990';
  await page.evaluate(async (name) => {
    const cache = await caches.open(name);
    await cache.put(
      '/index.html',
      new Response('<p id="forged">forged</p>', { headers: { 'content-type': 'text/html' } }),
    );
    await cache.put('/.sealcam-release', new Response('{"release":"e30","signature":"AAAA"}'));
  }, forged);
  const workersControl = await page.context().newCDPSession(page);
  await workersControl.send('ServiceWorker.enable');
  await workersControl.send('ServiceWorker.stopAllWorkers');
  await workersControl.detach();
  await page.goto(`${relay.base}/`);
  await until(
    async () => (await release(page)) === String(installed.release.version),
    60_000,
    'the pinned app after a restart',
  );
  assert.equal(await page.locator('#forged').count(), 0, 'the forged page is not served');
  assert.equal(await page.evaluate((name) => caches.has(name), forged), false, 'the forged cache is dropped');

  // 1. The site offers a newer release signed with the release key: taken, the page reloads into it.
  const signed = copyApp(installed.dir, key.publicKey);
  const update = nextRelease(signed.dir, signed.release, installed.release.version + 1, key, (dir) => {
    const index = join(dir, 'index.html');
    writeFileSync(
      index,
      readFileSync(index, 'utf8').replace(
        '<title>',
        '<meta name="sealcam-update" content="1" />\n    <title>',
      ),
    );
  });
  serveApp(site, signed.dir);
  await askForRelease(page);
  await until(
    async () => (await release(page)) === String(update.version),
    60_000,
    'the signed update running',
  );
  await viewerId.waitFor({ state: 'attached', timeout: 60_000 });
  assert.equal(
    await viewerId.getAttribute('data-viewer-id'),
    formatId(earlier.card.id),
    'same keys after the update',
  );
  assert.equal(await page.locator('meta[name="sealcam-update"]').count(), 1, 'the updated index.html');
  assert.equal(await page.locator('[data-testid="app-integrity-warning"]').isVisible(), false);

  // 2. The site swaps in its own app and worker, "signed" with another key: refused, the user warned,
  //    the running app stops using the keys.
  const swapped = copyApp(signed.dir, key.publicKey);
  const entry = Object.keys(swapped.release.files).find((path) => /^\/assets\/index-.*\.js$/.test(path))!;
  nextRelease(swapped.dir, swapped.release, update.version + 1, strangerReleaseKey(), (dir) => {
    writeFileSync(join(dir, 'sw.js'), ATTACKER_WORKER);
    writeFileSync(join(dir, entry), ATTACKER_APP);
  });
  serveApp(site, swapped.dir);
  await askForRelease(page);
  const warning = page.locator('[data-testid="app-integrity-warning"]');
  await until(async () => (await reasons(page)).includes('unsigned'), 60_000, 'the unsigned release refused');
  await askForWorker(page);
  await until(
    async () => (await reasons(page)).includes('worker-changed'),
    60_000,
    'the changed worker reported',
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'app-swap-warning.png'), fullPage: true });
  assert.match((await warning.textContent()) ?? '', /not signed with the sealcam release key/);
  assert.equal(await page.evaluate(() => document.body.dataset.locked), 'true', 'the app stopped');
  assert.equal(await page.locator('#main').isVisible(), false, 'no cameras shown under the warning');
  // Its worker takes the site anyway, at once (then the app also reports 'took-over') or once no tab of
  // the app is open: a page cannot veto it.
  await page.close();

  // 3. Opened again, the swapped app runs with the keys in reach, and cannot take them out.
  const again = await browser.newPage();
  const text = await until(
    async () => {
      await again.goto(`${relay.base}/`);
      return again
        .locator('#loot')
        .textContent({ timeout: 5_000 })
        .catch(() => null);
    },
    60_000,
    'the attacker app running',
  ).catch(async (error: Error) => {
    throw new Error(`${error.message} (${await workers(again)})`);
  });
  const loot = JSON.parse(text) as { extractable: boolean[]; exports: string[]; serialized: string };
  assert.deepEqual(loot.extractable, [false, false]);
  assert.deepEqual(loot.exports, Array(6).fill('InvalidAccessError'), 'no format exports a key');
  assert.deepEqual(
    JSON.parse(loot.serialized),
    { card: toBase64Url(earlier.card.bytes), signKey: {}, boxKey: {} },
    'the stored identity serializes to its public card; its keys to nothing',
  );
});

test('the installed web app refuses a rollback (an older release, though signed with the release key, is reported as older and not taken) and reports a worker registered for part of the site', async () => {
  const { key, installed, site, relay, browser, page } = await installedSite();
  await page.goto(`${relay.base}/`);
  await page.locator('[data-testid="viewer-id"]').waitFor({ state: 'attached', timeout: 60_000 });
  await pinned(page);

  const older = copyApp(installed.dir, key.publicKey);
  nextRelease(older.dir, older.release, installed.release.version - 1, key);
  serveApp(site, older.dir);
  await askForRelease(page);
  const warning = page.locator('[data-testid="app-integrity-warning"]');
  await until(
    async () => (await warning.getAttribute('data-reasons')) === 'older',
    60_000,
    'the rollback warning',
  );
  assert.equal(await release(page), String(installed.release.version), 'the running release stays');
  // Not later either: closed and opened again, the app is still the release it pinned.
  await page.close();
  const again = await browser.newPage();
  await again.goto(`${relay.base}/`);
  // The site still offers the rollback: refused and reported again.
  await until(async () => (await reasons(again)).includes('older'), 60_000, 'the rollback reported again');
  assert.equal(
    await release(again),
    String(installed.release.version),
    'the pinned release, after reopening',
  );
  // Another worker registered for a part of the site would take the paths under it: reported.
  await again.evaluate(() => navigator.serviceWorker.register('/sw.js', { scope: '/pair/' }));
  await again.reload();
  await until(
    async () => (await reasons(again)).includes('worker-changed'),
    60_000,
    'the worker at another scope reported',
  );
});
