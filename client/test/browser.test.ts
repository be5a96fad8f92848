import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ID_TEXT_SOURCE } from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { framesShown, launchChromium, navigate, SCREENSHOTS, storedKeys } from './support/browser.js';

requireProgram('chromium');
requireProgram('ffmpeg');
const here = dirname(fileURLToPath(import.meta.url));
const START = resolve(here, '..', 'src', 'demo', 'start.js');
const _WEB_ROOT = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('npm start: the printed link pairs the browser, both cameras play live H.264 (decoded with WebCodecs, sound muted until asked) and open on their own page with a snapshot, events appear with thumbnails (pixels only while shown), filter, play as MP4 and are deleted', async () => {
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
  // The demo cameras are H.264 (ffmpeg is here): pictures on the WebCodecs canvas, not the JPEG one.
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
    () => thumbnail.evaluate((canvas) => (canvas as HTMLCanvasElement).width > 0),
    30_000,
    'the thumbnail painted',
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'events.png'), fullPage: true });
  // Names are content (invariant 13): the tiles carry the names the device sealed in its profile, never
  // its stream ids; the owner renames a camera here, the device applies it and signs a new profile,
  // and the tile follows.
  const titles = await page.locator('[data-testid="camera-tile"] .tile-title').allTextContents();
  assert.deepEqual(titles.sort(), ['Backyard', 'Front door']);
  await navigate(page, 'Settings', '/settings');
  // A thumbnail holds pixels only while its page shows it (the bytes stay: it paints again on return).
  const painted = () => thumbnail.evaluate((canvas) => (canvas as HTMLCanvasElement).width > 0);
  await until(async () => !(await painted()), 30_000, 'the thumbnail emptied once its page hid');
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
  await until(painted, 30_000, 'the thumbnail painted again');
  await page
    .locator('[data-testid="filter-camera"]')
    .selectOption({ value: `${(await tile.getAttribute('data-device-id')) ?? ''}/${frontStream}` });
  const visibleStreams = () =>
    page
      .locator('#page-events [data-testid="event-row"]:visible')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stream-id')));
  await until(async () => (await visibleStreams()).length > 0, 60_000, 'events of the chosen camera');
  assert.deepEqual(new Set(await visibleStreams()), new Set([frontStream]), 'one camera');
  // A day: the day before lists nothing; today lists the camera's events again.
  const dayValue = (at: Date) =>
    `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
  await page.locator('[data-testid="filter-day"]').fill(dayValue(new Date(Date.now() - 86_400_000)));
  await page.locator('#page-events p.empty:visible').waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('#page-events p.empty:visible').first().textContent(), 'No events match.');
  assert.equal(await page.locator('#page-events [data-testid="event-row"]:visible').count(), 0);
  await page.locator('[data-testid="filter-day"]').fill(dayValue(new Date()));
  await until(async () => (await visibleStreams()).length > 0, 60_000, "today's events again");
  assert.deepEqual(new Set(await visibleStreams()), new Set([frontStream]), 'still one camera');
  // The kinds offered are those of verified events (the demo cameras record motion).
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
  console.log(`screenshots: ${join(SCREENSHOTS, 'live-1.png')}, live-2.png, events.png`);
});
