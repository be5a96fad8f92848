import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatId, ID_TEXT_SOURCE, parsePairing } from '@sealcam/protocol';
import { createAgent } from '@sealcam/testkit/agent';
import { CAMERA_COLOURS, colouredCamera, type Rgb, whoseColour } from '@sealcam/testkit/coloured-camera';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay } from '@sealcam/testkit/relay';
import type { Locator, Page } from 'playwright-core';
import { nodeWebSocket } from '../src/node/index.js';
import { MemoryKeyStore, Viewer } from '../src/sdk/index.js';
import { accessibilityScan, launchChromium, navigate, SCREENSHOTS, storedKeys } from './support/browser.js';
import { objectDevice } from './support/provenance.js';

requireProgram('chromium');
requireProgram('ffmpeg');
const here = dirname(fileURLToPath(import.meta.url));
const START = resolve(here, '..', 'src', 'demo', 'start.js');
const WEB_ROOT = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** Pictures a tile has shown: decoded H.264 drawn on its canvas, or JPEGs in its <img>. */
/** Pictures shown so far on the tile of the camera the device names `camera` (its sealed profile). */
async function framesShown(page: Page, camera: string): Promise<number> {
  const tile = `[data-testid="camera-tile"][data-camera-name="${camera}"]`;
  let shown = 0;
  for (const picture of ['live-canvas', 'live-image']) {
    const element = page.locator(`${tile} [data-testid="${picture}"]`);
    if ((await element.count()) > 0) shown += Number((await element.getAttribute('data-frames')) ?? 0);
  }
  return shown;
}

test('npm start: the printed link pairs the browser, both cameras play live H.264 (decoded with WebCodecs, sound muted until asked), events appear with thumbnails and play as MP4; every page has its URL, a screenshot and an accessibility scan at both sizes', async () => {
  const demo: ChildProcess = spawn(process.execPath, [START], {
    env: {
      ...process.env,
      SEALCAM_DEMO_PORT: '0',
      SEALCAM_DEMO_STATE: mkdtempSync(join(tmpdir(), 'sealcam-demo-')),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => {
    if (demo.exitCode === null) {
      demo.kill('SIGINT');
      await once(demo, 'exit');
    }
  });
  let output = '';
  demo.stdout?.on('data', (data) => {
    output += String(data);
  });
  demo.stderr?.on('data', (data) => {
    output += String(data);
  });
  const link = await until(
    () => /(http:\/\/127\.0\.0\.1:\d+\/pair#SCP1-\S+)/.exec(output)?.[1],
    60_000,
    'the pairing link',
  );

  // The web viewer has an origin of its own: the relay serves no app, only the API (SEALCAM_APP_ORIGINS).
  const relayUrl = await until(
    () => /relay \(only an API\): (\S+);/.exec(output)?.[1],
    30_000,
    'the relay URL',
  );
  assert.notEqual(new URL(relayUrl).origin, new URL(link).origin, 'app and relay on different origins');
  assert.equal((await fetch(`${relayUrl}/`)).status, 404, 'the relay serves no web app');

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  // Notifications allowed, and each one the page makes recorded as it is made (the real one is shown too).
  await browser.grantPermissions(['notifications']);
  await browser.addInitScript(() => {
    const Real = window.Notification;
    const made: { title: string; body: string; tag: string }[] = [];
    (window as unknown as { sealcamNotifications: typeof made }).sealcamNotifications = made;
    window.Notification = class extends Real {
      constructor(title: string, options: NotificationOptions = {}) {
        super(title, options);
        made.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
      }
    } as typeof Notification;
  });
  const page = await browser.newPage();
  await page.goto(link);
  await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: 60_000 });
  assert.equal(new URL(page.url()).hash, '', 'the pairing code is removed from the address bar');
  const agentSafety = await until(
    () => /safety number (\d{5}(?: \d{5}){11})/.exec(output)?.[1],
    30_000,
    'the agent safety number',
  );
  const shown = ((await page.locator('[data-testid="safety-number"]').first().textContent()) ?? '').replace(
    /\s+/g,
    '',
  );
  assert.equal(
    shown,
    agentSafety.replace(/\s+/g, ''),
    'the browser shows the safety number the agent printed',
  );
  // After pairing, the safety number has its own screen (its own URL); "They match" confirms.
  const verifyPath = new URL(page.url()).pathname;
  assert.match(verifyPath, new RegExp(`^/settings/${ID_TEXT_SOURCE}/verify$`), 'the safety number screen');
  await page.locator('[data-testid="safety-match"]').click();
  await navigate(page, 'Live', '/');

  for (const stream of ['Front door', 'Backyard'])
    await until(async () => (await framesShown(page, stream)) > 3, 60_000, `live frames of ${stream}`);
  // The page may open WebSockets to its own relay only (CSP connect-src 'self'), never to another host.
  const blocked = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective), {
          once: true,
        });
        try {
          new WebSocket('ws://127.0.0.2:9/v1/live');
        } catch (error) {
          resolve(`threw ${(error as Error).name}`);
        }
      }),
  );
  assert.match(blocked, /connect-src|SecurityError/, `a WebSocket to another host: ${blocked}`);
  // The private keys are non-extractable WebCrypto keys in IndexedDB: the page uses them, no code exports them.
  assert.equal(await page.locator('[data-testid="keys-held"]').getAttribute('data-keys-held-by'), 'platform');
  assert.deepEqual(await storedKeys(page), {
    extractable: [false, false],
    exports: Array(4).fill('InvalidAccessError'),
  });
  const tile = page.locator('[data-testid="camera-tile"][data-camera-name="Front door"]');
  // "Live" only once the camera answered the page's clock question and the picture is fresh (§6.8).
  await until(
    async () => (await tile.getAttribute('data-status')) === 'live',
    60_000,
    'the tile shown as live',
  );
  // The demo cameras are H.264 (ffmpeg is here): pictures on the WebCodecs canvas, not in an <img>.
  assert.match(
    (await tile.locator('[data-codec]').first().getAttribute('data-codec')) ?? '',
    /^avc1\./,
    'decoded as H.264',
  );
  assert.equal(await tile.locator('[data-testid="live-image"]').getAttribute('data-frames'), '0');
  const sound = tile.locator('[data-testid="live-sound"]');
  await sound.waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await sound.getAttribute('aria-pressed'), 'false', 'sound is off until asked for');
  const first = await tile.screenshot({ path: join(SCREENSHOTS, 'live-1.png') });
  // A later screenshot, once more frames were shown, differs (the clock on the picture moves).
  const shownAtFirst = await framesShown(page, 'Front door');
  await until(
    async () => {
      if ((await framesShown(page, 'Front door')) < shownAtFirst + 10) return false;
      const second = await tile.screenshot({ path: join(SCREENSHOTS, 'live-2.png') });
      return !first.equals(second);
    },
    60_000,
    'the live picture changing between two screenshots',
  );
  assert.equal(
    await page.locator('[data-testid="verification-warning"]').count(),
    0,
    'no warning on an honest relay',
  );
  // A camera's page: its tile large (the same tile, still playing), a snapshot of the verified
  // picture, its events only; the back button returns to the grid.
  const frontStream = (await tile.getAttribute('data-stream-id')) ?? '';
  await tile.locator('[data-testid="tile-open"]').click();
  const cameraPath = `/camera/${(await tile.getAttribute('data-device-id')) ?? ''}/${frontStream}`;
  await until(() => new URL(page.url()).pathname === cameraPath, 30_000, 'the camera page');
  assert.equal(await page.locator('#camera-title').textContent(), 'Front door');
  const staged = page.locator('[data-testid="camera-stage"] [data-testid="camera-tile"]');
  await staged.waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await staged.getAttribute('data-camera-name'), 'Front door');
  const [snapshot] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.locator('[data-testid="camera-snapshot"]').click(),
  ]);
  assert.match(snapshot.suggestedFilename(), /^Front-door-\d{8}-\d{6}\.png$/);
  const png = readFileSync(await snapshot.path());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  assert.ok(png.length > 10_000, `a picture, not an empty canvas (${png.length} bytes)`);
  const cameraRows = page.locator('#page-camera [data-testid="event-row"][data-state="verified"]');
  await cameraRows.first().waitFor({ state: 'visible', timeout: 120_000 });
  assert.deepEqual(
    new Set(
      await page
        .locator('#page-camera [data-testid="event-row"]:visible')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stream-id'))),
    ),
    new Set([frontStream]),
    "the camera page lists this camera's events only",
  );
  await page.goBack();
  await until(() => new URL(page.url()).pathname === '/', 30_000, 'back on the grid');
  assert.equal(await page.locator('#live-grid [data-testid="camera-tile"]').count(), 2, 'the tile is back');

  await navigate(page, 'Events', '/events');
  const thumbnail = page.locator('[data-testid="event-thumbnail"]').first();
  await thumbnail.waitFor({ state: 'visible', timeout: 120_000 });
  await until(
    () => thumbnail.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0),
    30_000,
    'the thumbnail decoded',
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'events.png'), fullPage: true });
  // Names are content (invariant 13): the tiles carry the names the device sealed in its profile, never
  // its stream ids; the owner renames a camera here, the device applies it and signs a new profile,
  // and the tile follows.
  const titles = await page.locator('[data-testid="camera-tile"] .tile-title').allTextContents();
  assert.deepEqual(titles.sort(), ['Backyard', 'Front door']);
  await navigate(page, 'Settings', '/settings');
  assert.equal(
    await page.locator('[data-testid="camera-panel"] .camera-name').first().textContent(),
    'Demo home',
  );
  const backyard = page.locator('[data-testid="camera-names"] li[data-camera-name="Backyard"]');
  await backyard.getByRole('button', { name: 'Rename Backyard' }).click();
  await backyard.locator('input').fill('Garden');
  await backyard.getByRole('button', { name: 'Save' }).click();
  await page
    .locator('[data-testid="camera-tile"][data-camera-name="Garden"]')
    .waitFor({ state: 'attached', timeout: 90_000 });
  assert.equal(await page.locator('[data-testid="camera-tile"][data-camera-name="Backyard"]').count(), 0);
  // The relay's retention, as it states it, under the camera's events.
  await until(
    async () =>
      /keeps this camera's events for 7 days/.test(
        (await page.locator('[data-testid="retention"]').first().textContent()) ?? '',
      ),
    60_000,
    'the retention line',
  );
  // Notifications, once turned on: the next event that arrives live, after its record verified.
  await navigate(page, 'This viewer', '/me');
  const toggle = page.locator('[data-testid="notify-toggle"]');
  await toggle.click();
  await until(async () => (await toggle.textContent()) === 'Stop notifications', 30_000, 'notifications on');
  const notified = await until(
    () =>
      page.evaluate(
        () =>
          (window as unknown as { sealcamNotifications: { title: string; tag: string }[] })
            .sealcamNotifications[0],
      ),
    120_000,
    'a notification of a new event',
  );
  assert.match(notified.title, /^(Front door|Garden): motion$/, 'named by the camera the device sealed');
  assert.equal(
    await page
      .locator(`[data-testid="event-row"][data-event-id="${notified.tag}"]`)
      .getAttribute('data-state'),
    'verified',
    'announced only once its record verified',
  );
  // Review: filters by camera and kind show only matching events.
  await navigate(page, 'Events', '/events');
  await page
    .locator('[data-testid="filter-camera"]')
    .selectOption({ value: `${(await tile.getAttribute('data-device-id')) ?? ''}/${frontStream}` });
  const visibleStreams = () =>
    page
      .locator('#page-events [data-testid="event-row"]:visible')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stream-id')));
  await until(async () => (await visibleStreams()).length > 0, 60_000, 'events of the chosen camera');
  assert.deepEqual(new Set(await visibleStreams()), new Set([frontStream]), 'one camera');
  await page.locator('[data-testid="filter-kind"]').focus();
  await page.locator('[data-testid="filter-kind"]').selectOption({ value: 'motion' });
  assert.deepEqual(
    new Set(
      await page
        .locator('#page-events [data-testid="event-row"][data-state="verified"]:visible')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind'))),
    ),
    new Set(['motion']),
  );
  await page.getByRole('button', { name: 'Clear filters' }).click();
  // The event's clip is the camera's H.264 as an MP4: the browser's own <video> plays it.
  await page.locator('[data-testid="event-row"] button.event-open:visible').first().click();
  const clip = page.locator('[data-testid="clip-video"]');
  await clip.waitFor({ state: 'attached', timeout: 60_000 });
  await until(
    () =>
      clip.evaluate((element) => {
        const video = element as HTMLVideoElement;
        return video.videoWidth > 0 && video.currentTime > 0;
      }),
    60_000,
    'the MP4 clip playing',
  );
  assert.ok(await page.locator('[data-testid="clip-download"]').getAttribute('href'), 'Download MP4 offered');
  await page.locator('[data-testid="clip-close"]').click();
  // Every page by its own URL (a reload there opens it), at a desktop and a phone size: a screenshot
  // each, and no serious or critical WCAG 2.1 A/AA violation.
  const deviceId = (await tile.getAttribute('data-device-id')) ?? '';
  const pages: [string, string, () => Promise<unknown>][] = [
    ['home', '/', () => until(async () => (await framesShown(page, 'Front door')) > 0, 60_000, 'a picture')],
    [
      'camera',
      cameraPath,
      () =>
        page
          .locator('[data-testid="camera-stage"] [data-testid="live-canvas"]')
          .waitFor({ state: 'visible', timeout: 60_000 }),
    ],
    [
      'events',
      '/events',
      () =>
        page
          .locator('[data-testid="event-thumbnail"]')
          .first()
          .waitFor({ state: 'visible', timeout: 60_000 }),
    ],
    [
      'settings',
      '/settings',
      () => page.locator('[data-testid="camera-panel"]').waitFor({ timeout: 60_000 }),
    ],
    [
      'verify',
      `/settings/${deviceId}/verify`,
      () => page.locator('[data-testid="safety-number"]').waitFor({ timeout: 60_000 }),
    ],
    ['add', '/add', () => page.locator('[data-testid="pair-input"]').waitFor({ timeout: 60_000 })],
    ['me', '/me', () => page.locator('[data-testid="share-code"]').waitFor({ timeout: 60_000 })],
  ];
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    for (const [name, path, ready] of pages) {
      await page.goto(`${new URL(link).origin}${path}`);
      await ready();
      assert.equal(await page.locator('.page:visible').count(), 1, `${path}: one page shown`);
      assert.equal(await page.locator(`#page-${name}`).isVisible(), true, `${path} shows the ${name} page`);
      const scan = await accessibilityScan(page);
      assert.deepEqual(scan.serious, [], `axe on ${path} at ${width}×${height}`);
      assert.ok(scan.passed > 10, `axe ran on ${path}: ${scan.passed} rules passed`);
      console.log(
        `axe ${name} ${width}×${height}: 0 serious or critical, ${scan.passed} passed, other: ${scan.other.join('; ') || 'none'}`,
      );
      await page.screenshot({
        path: join(SCREENSHOTS, `page-${name}-${width}x${height}.png`),
        fullPage: true,
      });
    }
  }
  await page.setViewportSize({ width: 1100, height: 900 });
  // The owner deletes an event (two steps): the row goes, and the relay no longer lists it after a reload.
  await page.goto(`${new URL(link).origin}/events`);
  // Pinned by its id: rows keep arriving while the page loads.
  const doomedId =
    (await page
      .locator('[data-testid="event-row"][data-state="verified"]')
      .last()
      .getAttribute('data-event-id')) ?? '';
  const doomed = page.locator(`[data-testid="event-row"][data-event-id="${doomedId}"]`);
  await doomed.locator('[data-testid="event-delete"]').click();
  await doomed.locator('[data-testid="event-delete"]').click();
  const gone = page.locator(`[data-testid="event-row"][data-event-id="${doomedId}"]`);
  await until(async () => (await gone.count()) === 0, 60_000, 'the deleted row gone');
  await page.reload();
  await page.locator('[data-testid="event-row"][data-state="verified"]').first().waitFor({ timeout: 60_000 });
  assert.equal(await gone.count(), 0, 'the relay no longer lists the deleted event');
  // Several at once: two selected rows, deleted in two steps; gone after a reload too.
  const rowIds = () =>
    page
      .locator('[data-testid="event-row"]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id')));
  const panel = page.locator('.event-section').first();
  const verified = panel.locator('[data-testid="event-row"][data-state="verified"]');
  await until(async () => (await verified.count()) >= 2, 120_000, 'two verified rows');
  // Both ids in one read (new rows keep arriving while the camera records).
  const chosen = (
    await verified.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id')))
  ).slice(0, 2);
  for (const eventId of chosen)
    await panel
      .locator(`[data-testid="event-row"][data-event-id="${eventId}"] [data-testid="event-select"]`)
      .check();
  const deleteSelected = panel.locator('[data-testid="delete-selected"]');
  assert.equal(await deleteSelected.textContent(), 'Delete selected (2)');
  await deleteSelected.click();
  await deleteSelected.click();
  await until(
    async () => !(await rowIds()).some((id) => chosen.includes(id)),
    60_000,
    'the selected rows gone',
  );
  // Every event before a day: tomorrow's date deletes everything recorded so far.
  const listedBefore = await panel
    .locator('[data-testid="event-row"]')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id')));
  const tomorrow = new Date(Date.now() + 86_400_000);
  const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
  await panel.locator('[data-testid="delete-before-date"]').fill(day);
  await panel.locator('[data-testid="delete-before"]').click();
  await panel.locator('[data-testid="delete-before"]').click();
  await until(
    async () =>
      /^Deleted \d+ events? recorded before /.test(
        (await panel.locator('.event-deletion .form-status').textContent()) ?? '',
      ),
    120_000,
    'the deletion before a day done',
  );
  await page.reload();
  const reloaded = page.locator('.event-section').first();
  // The listing read to its end: "No events yet." or "No older events.".
  await until(
    async () =>
      (await reloaded.locator('p.empty').isVisible()) ||
      /No older events/.test((await reloaded.locator('.timeline-actions').textContent()) ?? ''),
    60_000,
    'the timeline listed',
  );
  const listedAfter = await rowIds();
  assert.ok(
    !listedAfter.some((id) => chosen.includes(id) || listedBefore.includes(id)),
    'the relay lists none of the deleted events after a reload',
  );
  console.log(
    `screenshots: ${join(SCREENSHOTS, 'live-1.png')}, live-2.png, events.png, page-<name>-<size>.png for ${pages.map(([name]) => name).join(', ')}`,
  );
});

/** The top-eighth mean colour of a shown <img> (drawn on a canvas in the page), or null if none is shown. */
function shownColour(image: Locator): Promise<Rgb | null> {
  return image.evaluate((element) => {
    const img = element as HTMLImageElement;
    if (img.hidden || !img.complete || img.naturalWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(img, 0, 0);
    const rows = Math.max(1, Math.floor(img.naturalHeight / 8));
    const { data } = context.getImageData(0, 0, img.naturalWidth, rows);
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
    const n = data.length / 4;
    return [sum[0]! / n, sum[1]! / n, sum[2]! / n] as [number, number, number];
  });
}

test('a relay with the fault seam serves another camera’s records and thumbnails: the page warns, and every picture it shows is its own camera’s', async () => {
  const relay = await startRelay({
    SEALCAM_WEB_ROOT: WEB_ROOT,
    SEALCAM_FAULT_INJECTION: 'mixup',
    SEALCAM_FAULT_RATE: '0.5',
  });
  cleanups.push(relay.stop);
  // Two homes on one relay: home A's camera shows only red pictures, home B's only blue. Home B's
  // viewer is a Node SDK viewer; home A's is the browser.
  const colours: Record<string, Rgb> = { 'cam-a': CAMERA_COLOURS[0]!, 'cam-b': CAMERA_COLOURS[1]! };
  const homeA = createAgent(relay.base, [await colouredCamera('cam-a', colours['cam-a']!)]);
  const homeB = createAgent(relay.base, [await colouredCamera('cam-b', colours['cam-b']!)]);
  cleanups.push(homeA.stop, homeB.stop);
  const viewerB = await Viewer.open({ store: new MemoryKeyStore(), WebSocket: nodeWebSocket });
  cleanups.push(async () => viewerB.close());
  const pairingB = await homeB.pairingCode();
  const deviceB = (await viewerB.pair(pairingB.code)).deviceId;
  const pairingA = await homeA.pairingCode();
  const deviceA = formatId(parsePairing(pairingA.code).deviceId);

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  // Ground truth of what the relay served the page: the device named in each sealed object's header.
  const servedBy = new Map<string, number>();
  const reading: Promise<void>[] = [];
  page.on('response', (response) => {
    if (
      response.status() !== 200 ||
      !new RegExp(`/v1/devices/${ID_TEXT_SOURCE}/events/.`).test(response.url())
    )
      return;
    reading.push(
      response.body().then(
        (body) => {
          const maker = objectDevice(new Uint8Array(body)) ?? 'none';
          servedBy.set(maker, (servedBy.get(maker) ?? 0) + 1);
        },
        () => undefined,
      ),
    );
  });
  await page.goto(pairingA.link);
  await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: 60_000 });
  await Promise.all([homeA.run(), homeB.run()]);
  // The review page: every event with its thumbnail (reloaded below, it stays there).
  await navigate(page, 'Events', '/events');
  // Home B's viewer looks at its own events meanwhile: the relay's lookups then hold home B's
  // objects too, which the seam may hand to the page.
  let homeBViewing = true;
  const viewingB = (async () => {
    while (homeBViewing) {
      try {
        for (const { eventId } of (await viewerB.events(deviceB)).events.slice(-3))
          await viewerB.thumbnail(deviceB, eventId).catch(() => undefined);
      } catch {
        // a misrouted listing: try again
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  cleanups.push(async () => {
    homeBViewing = false;
    await viewingB;
  });

  const warning = page.locator('[data-testid="verification-warning"]').first();
  const thumbnails = page.locator('[data-testid="event-thumbnail"]');
  // Events load and reload (paging, new-event notices); the mixed-up relay answers some lookups with
  // home B's objects. Until the page was served some of B's, warned, and shows own thumbnails: each
  // round lets the page load (up to 30 s), then reloads it if that has not all happened yet.
  const settled = async () =>
    (servedBy.get(deviceB) ?? 0) > 0 && (await warning.count()) > 0 && (await thumbnails.count()) > 0;
  const deadline = Date.now() + 240_000;
  for (;;) {
    await until(
      async () => {
        await Promise.all(reading);
        return settled();
      },
      30_000,
      'the page loading events',
    ).catch(() => undefined);
    if (await settled()) break;
    if (Date.now() > deadline)
      assert.fail(
        `not served another camera's object, warned and shown own thumbnails in time: served ${JSON.stringify(Object.fromEntries(servedBy))}, warnings ${await warning.count()}, thumbnails ${await thumbnails.count()}`,
      );
    await page.reload();
  }
  await warning.waitFor({ state: 'visible' });
  const text = (await warning.textContent()) ?? '';
  assert.match(
    text,
    /not from your camera|another event|not signed by your camera|could not be decrypted|replayed|damaged/,
  );
  const rejected = page.locator('[data-testid="thumbnail-rejected"]');
  if ((await rejected.count()) > 0) {
    assert.equal(await rejected.first().locator('img').count(), 0, 'no image where a thumbnail was rejected');
  }
  // Every thumbnail the page shows is of its own camera (red), none of home B's (blue).
  let thumbnailsShown = 0;
  for (const thumbnail of await thumbnails.all()) {
    const colour = await shownColour(thumbnail);
    if (colour === null) continue;
    assert.equal(whoseColour(colour, colours), 'cam-a', `a thumbnail of colour ${colour}`);
    thumbnailsShown++;
  }
  assert.ok(thumbnailsShown > 0, 'own thumbnails shown');
  // The live picture too, sampled as it changes (the seam also hands it home B's frames).
  await navigate(page, 'Live', '/');
  const live = page.locator(
    '[data-testid="camera-tile"][data-camera-name="cam-a"] [data-testid="live-image"]',
  );
  await until(async () => (await framesShown(page, 'cam-a')) > 3, 60_000, 'live frames of cam-a');
  const samples: (string | null)[] = [];
  for (let sample = 0; sample < 5; sample++) {
    const colour = await shownColour(live);
    if (colour) samples.push(whoseColour(colour, colours));
    const before = await framesShown(page, 'cam-a');
    await until(async () => (await framesShown(page, 'cam-a')) > before, 60_000, 'the next live frame');
  }
  assert.ok(samples.length > 0);
  assert.deepEqual(new Set(samples), new Set(['cam-a']), `live picture samples: ${samples}`);
  console.log(
    `browser mixup: served ${JSON.stringify(Object.fromEntries([...servedBy].map(([k, v]) => [k === deviceA ? 'own' : k === deviceB ? 'other camera' : k, v])))}, ${thumbnailsShown} own thumbnails shown, live samples ${samples}`,
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'verification-warning.png'), fullPage: true });
  console.log(`screenshot: ${join(SCREENSHOTS, 'verification-warning.png')}`);
});

test('a relay that holds live video back 6 s (while answering clock questions at once): the page shows it as delayed, with its age, and keeps it so', async () => {
  const relay = await startRelay({
    SEALCAM_WEB_ROOT: WEB_ROOT,
    SEALCAM_FAULT_INJECTION: 'delay-live',
    SEALCAM_FAULT_DELAY_MS: '6000',
  });
  cleanups.push(relay.stop);
  const home = createAgent(relay.base);
  cleanups.push(home.stop);
  const pairing = await home.pairingCode();
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(pairing.link);
  await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: 60_000 });
  await home.run();
  await navigate(page, 'Live', '/');
  const tile = page.locator('[data-testid="camera-tile"][data-camera-name="cam-1"]');
  await until(async () => (await framesShown(page, 'cam-1')) > 3, 90_000, 'pictures on the tile');
  // The relay's cached keyframe may be fresh; every picture after it is 6 s old.
  await until(
    async () => (await tile.getAttribute('data-status')) === 'delayed',
    60_000,
    'the tile shown as delayed',
  );
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    seen.add((await tile.getAttribute('data-status')) ?? '');
  }
  assert.deepEqual([...seen], ['delayed'], 'it stays delayed while frames keep coming 6 s late');
  assert.match((await tile.locator('.live-indicator').textContent()) ?? '', /^Delayed$/);
  assert.match((await tile.textContent()) ?? '', /recorded \d+ s ago, not live/);
  await tile.screenshot({ path: join(SCREENSHOTS, 'live-delayed.png') });
});
