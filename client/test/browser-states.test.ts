import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ID_TEXT_SOURCE } from '@sealcam/protocol';
import { createAgent, testCamera } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import type { Page } from 'playwright-core';
import { nodeWebSocket } from '../src/node/index.js';
import { type DeviceId, MemoryKeyStore, Viewer, type ViewerId } from '../src/sdk/index.js';
import { accessibilityScan, launchChromium, navigate, SCREENSHOTS } from './support/browser.js';

requireProgram('chromium');
const here = dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** Each live tile of the page: the camera it shows, its status and how many pictures it has shown. */
function tiles(page: Page): Promise<{ camera: string; status: string; shown: number }[]> {
  return page.locator('[data-testid="camera-tile"]').evaluateAll((elements) =>
    elements.map((element) => ({
      camera: element.getAttribute('data-camera-name') ?? '',
      status: element.getAttribute('data-status') ?? '',
      shown: Number(element.querySelector('[data-testid="live-image"]')?.getAttribute('data-frames') ?? 0),
    })),
  );
}

test('install offer and honest states: events from before an invite are one line; every tile says offline at once while the relay is down and plays again after; a revoked camera says so and is removed; "They differ" stops a camera, also after a reload', async () => {
  let relay: TestRelay = await startRelay({ SEALCAM_WEB_ROOT: WEB_ROOT });
  cleanups.push(() => relay.stop());
  const home = createAgent(relay.base, [testCamera('cam-1'), testCamera('cam-2')]);
  cleanups.push(home.stop);
  const owner = await Viewer.open({ store: new MemoryKeyStore(), WebSocket: nodeWebSocket });
  cleanups.push(async () => owner.close());
  const pairing = await home.pairingCode();
  const deviceId: DeviceId = (await owner.pair(pairing.code)).deviceId;
  await home.run();
  // Events recorded before the browser's viewer is invited: authentic, not sealed for it.
  await until(async () => (await owner.events(deviceId)).events.length >= 2, 120_000, 'two events');

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  // Only the offer this test makes reaches the app: Chromium may make its own (the app is installable),
  // whose prompt() a headless browser never answers.
  await browser.addInitScript(() => {
    window.addEventListener(
      'beforeinstallprompt',
      (event) => {
        if (!(event as Event & { fromTest?: boolean }).fromTest) event.stopImmediatePropagation();
      },
      true,
    );
  });
  const page = await browser.newPage();
  await page.goto(`${relay.base}/me`);
  // The browser's offer to install (Chromium's beforeinstallprompt, made here as the browser makes it):
  // the app shows "Install app", and a click asks the browser, once.
  await page.locator('[data-testid="share-code"]').waitFor();
  await page.evaluate(() => {
    const offer = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
      fromTest: true,
      prompt: async () => {
        (window as unknown as { prompted: number }).prompted =
          ((window as unknown as { prompted?: number }).prompted ?? 0) + 1;
      },
      userChoice: Promise.resolve({ outcome: 'accepted' }),
    });
    window.dispatchEvent(offer);
  });
  const install = page.locator('[data-testid="install-app"]');
  await install.click();
  await until(
    async () => (await install.getAttribute('data-outcome')) === 'accepted',
    30_000,
    'the install asked',
  );
  assert.equal(await page.evaluate(() => (window as unknown as { prompted: number }).prompted), 1);
  assert.equal(await install.isHidden(), true, 'the offer is used once');
  const shareCode = (await page.locator('[data-testid="share-code"]').textContent())?.trim() ?? '';
  const viewerId = (await page
    .locator('[data-testid="viewer-id"]')
    .getAttribute('data-viewer-id')) as ViewerId;
  const invite = await owner.grant(deviceId, shareCode);
  await navigate(page, 'Add camera', '/add');
  await page.locator('[data-testid="invite-input"]').fill(invite);
  await page.locator('[data-testid="invite-submit"]').click();
  // Accepted: the camera's settings page.
  await until(
    () => new URL(page.url()).pathname === `/settings/${deviceId}`,
    60_000,
    "the camera's settings page",
  );
  await navigate(page, 'Events', '/events');

  // The earlier events: one collapsed line, no row each.
  const summary = page.locator('[data-testid="not-shared-summary"]');
  await summary.waitFor({ state: 'visible', timeout: 120_000 });
  assert.match(
    (await summary.textContent()) ?? '',
    /^\d+ events? (is|are) not shared with you \(recorded before your access began, or after it ended\)$/,
  );
  assert.equal(await page.locator('[data-testid="event-row"][data-state="not-shared"]:visible').count(), 0);

  // Both cameras play.
  await navigate(page, 'Live', '/');
  await until(
    async () => {
      const shown = await tiles(page);
      return shown.length === 2 && shown.every((tile) => tile.shown > 3);
    },
    120_000,
    'both tiles playing',
  );

  // A JPEG camera's clip plays frame by frame on the clip player's canvas.
  await navigate(page, 'Events', '/events');
  const shared = page.locator('[data-testid="event-row"][data-state="verified"] button.event-open:visible');
  await shared.first().waitFor({ state: 'visible', timeout: 120_000 });
  await shared.first().click();
  const clipFrame = page.locator('[data-testid="clip-image"]');
  await until(
    () =>
      clipFrame.evaluate((canvas) => {
        const shownFrame = Number((canvas as HTMLElement).dataset.frame ?? -1);
        return canvas instanceof HTMLCanvasElement && canvas.width > 0 && !canvas.hidden && shownFrame > 0;
      }),
    60_000,
    'the JPEG clip playing on its canvas',
  );
  await page.locator('[data-testid="clip-close"]').click();
  await navigate(page, 'Live', '/');

  // Accessibility, at a desktop and a phone width: no serious or critical WCAG 2.1 A/AA violation.
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    const scan = await accessibilityScan(page);
    assert.deepEqual(scan.serious, [], `axe at ${width}×${height}`);
    assert.ok(scan.passed > 10, `axe ran: ${scan.passed} rules passed`);
    console.log(
      `axe ${width}×${height}: 0 serious or critical, ${scan.passed} rules passed, other: ${scan.other.join('; ') || 'none'}`,
    );
    await page.screenshot({ path: join(SCREENSHOTS, `home-${width}x${height}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  // The relay goes away: every tile says offline at once.
  const port = relay.port;
  await relay.stop();
  await until(
    async () => (await tiles(page)).every((tile) => tile.status === 'offline'),
    60_000,
    'every tile offline',
  );
  assert.equal(await page.locator('[data-testid="tile-offline"]:visible').count(), 2);
  await page.screenshot({ path: join(SCREENSHOTS, 'offline.png') });
  // Back (a new relay process at the same address: the device registers itself again): frames resume
  // and the offline state clears on every tile.
  relay = await startRelay({ SEALCAM_WEB_ROOT: WEB_ROOT }, port);
  const before = await tiles(page);
  await until(
    async () => {
      const now = await tiles(page);
      return (
        now.length === 2 &&
        now.every((tile, i) => tile.status !== 'offline' && tile.shown > (before[i]?.shown ?? 0) + 3)
      );
    },
    180_000,
    'every tile playing again',
  );
  assert.equal(await page.locator('[data-testid="tile-offline"]:visible').count(), 0);

  // The owner revokes the browser's viewer: the camera says so and offers to remove it (and not before).
  await navigate(page, 'Settings', '/settings');
  const offer = page.locator('[data-testid="removal-offer"]');
  await until(async () => await offer.isHidden(), 60_000, 'no removal offer while the camera is shared');
  await owner.revoke(deviceId, viewerId);
  await offer.waitFor({ state: 'visible', timeout: 120_000 });
  assert.match((await offer.textContent()) ?? '', /no longer shared with you/);
  await page.screenshot({ path: join(SCREENSHOTS, 'revoked.png') });
  await offer.locator('[data-testid="camera-remove"]').click();
  await offer.locator('[data-testid="camera-remove-confirm"]').click();
  await until(
    async () => (await page.locator('[data-testid="camera-panel"]').count()) === 0,
    30_000,
    'the removed camera gone',
  );
  assert.equal((await tiles(page)).length, 0, 'no tile of the removed camera');

  // A new pairing whose safety numbers the user says differ: the camera stops at once.
  const other = createAgent(relay.base, [testCamera('cam-3')]);
  cleanups.push(other.stop);
  const otherPairing = await other.pairingCode();
  await page.goto(otherPairing.link);
  await other.run();
  await until(async () => (await tiles(page)).length === 1, 120_000, 'the new camera tile');
  await page.locator('[data-testid="safety-differ"]').click();
  await until(async () => (await tiles(page)).length === 0, 30_000, 'its live view stopped');
  // Its settings page says so and offers removal.
  await until(
    () => new RegExp(`^/settings/${ID_TEXT_SOURCE}$`).test(new URL(page.url()).pathname),
    30_000,
    'the settings page of the stopped camera',
  );
  // Saved: after a reload the camera is still stopped (no tile, no events, no sharing), offered for removal;
  // the page asks the relay nothing about it (its device id in no request path).
  const otherDevice = new RegExp(`^/settings/(${ID_TEXT_SOURCE})$`).exec(new URL(page.url()).pathname)![1]!;
  const asked: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/v1/') && path.includes(otherDevice)) asked.push(path);
  });
  page.on('websocket', (socket) => {
    if (socket.url().includes(otherDevice)) asked.push(socket.url());
  });
  await page.reload();
  const distrusted = page.locator('[data-testid="camera-panel"]');
  await distrusted.waitFor({ timeout: 60_000 });
  assert.match(
    (await distrusted.locator('[data-testid="removal-offer"]').textContent()) ?? '',
    /safety numbers differ/,
  );
  await new Promise((resolve) => setTimeout(resolve, 6000));
  assert.equal((await tiles(page)).length, 0, 'no live tile after a reload');
  assert.deepEqual(asked, [], 'nothing of the stopped camera asked of the relay');
  await distrusted.locator('[data-testid="verify-open"]').click();
  await page.locator('[data-testid="verify-distrusted"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="safety-differ"]').count(), 0, 'nothing to confirm any more');
  await navigate(page, 'Events', '/events');
  assert.equal(await page.locator('[data-testid="event-row"]').count(), 0, 'no events listed');
  assert.equal(await distrusted.locator('[data-testid="grant-input"]').count(), 0, 'no sharing');
});
