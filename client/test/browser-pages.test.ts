import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ID_TEXT_SOURCE } from '@sealcam/protocol';
import { createAgent, testCamera } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay } from '@sealcam/testkit/relay';
import { accessibilityScan, framesShown, launchChromium, SCREENSHOTS } from './support/browser.js';

requireProgram('chromium');
requireProgram('ffmpeg');
const here = dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const camera = (id: string, displayName: string) =>
  testCamera(id, {
    displayName,
    codec: 'h264',
    audio: false,
    width: 640,
    height: 360,
    // Motion long enough for the stills H.264 cameras are checked on (as the demo's cameras).
    motionEverySeconds: 6,
    motionSeconds: 2,
    motion: { cooldownSeconds: 1, endAfterSeconds: 1, backgroundSeconds: 1 },
  });

test('every page of the app opens at its own URL (served by the relay, reloaded there) at 1280×800 and 390×844: one page shown, a screenshot, no serious or critical accessibility violation', async () => {
  const relay = await startRelay({ SEALCAM_WEB_ROOT: WEB_ROOT });
  cleanups.push(relay.stop);
  const home = createAgent(relay.base, [camera('front-door', 'Front door'), camera('backyard', 'Backyard')]);
  cleanups.push(home.stop);
  const pairing = await home.pairingCode();
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(pairing.link);
  await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: 60_000 });
  const deviceId =
    new RegExp(`^/settings/(${ID_TEXT_SOURCE})/verify$`).exec(new URL(page.url()).pathname)?.[1] ?? '';
  assert.ok(deviceId, `the safety number screen after pairing: ${page.url()}`);
  await home.run();
  const tile = page.locator('[data-testid="camera-tile"][data-camera-name="Front door"]');
  await until(async () => (await framesShown(page, 'Front door')) > 0, 120_000, 'a picture');
  const cameraPath = `/camera/${deviceId}/${(await tile.getAttribute('data-stream-id')) ?? ''}`;
  await page.goto(`${relay.base}/events`);
  await until(
    async () => (await page.locator('[data-testid="event-row"][data-state="verified"]').count()) > 0,
    120_000,
    'a verified event',
  );
  // Every page by its own URL (a reload there opens it), at a desktop and a phone size: a screenshot
  // each, and no serious or critical WCAG 2.1 A/AA violation.
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
      await page.goto(`${relay.base}${path}`);
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
});
