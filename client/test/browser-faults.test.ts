import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatId, ID_TEXT_SOURCE, parsePairing } from '@sealcam/protocol';
import { createAgent } from '@sealcam/testkit/agent';
import { CAMERA_COLOURS, colouredCamera, type Rgb, whoseColour } from '@sealcam/testkit/coloured-camera';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay } from '@sealcam/testkit/relay';
import type { Locator } from 'playwright-core';
import { nodeWebSocket } from '../src/node/index.js';
import { MemoryKeyStore, Viewer } from '../src/sdk/index.js';
import { framesShown, launchChromium, navigate, SCREENSHOTS } from './support/browser.js';
import { objectDevice } from './support/provenance.js';

requireProgram('chromium');
const here = dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/**
 * The top-eighth mean colour of a shown picture (a thumbnail's or a live tile's canvas), or null if none
 * is shown.
 */
function shownColour(picture: Locator): Promise<Rgb | null> {
  return picture.evaluate((element) => {
    // Thumbnails and live pictures are canvases (thumbnail-canvas.ts, jpeg-canvas.ts, live-video.ts).
    if (!(element instanceof HTMLCanvasElement)) throw new Error(`not a canvas: ${element.tagName}`);
    if (element.width === 0) return null;
    const [source, width, height] = [element, element.width, element.height];
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d')!;
    context.drawImage(source, 0, 0);
    const rows = Math.max(1, Math.floor(height / 8));
    const { data } = context.getImageData(0, 0, width, rows);
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
    assert.equal(
      await rejected.first().locator('img, canvas').count(),
      0,
      'no picture where a thumbnail was rejected',
    );
  }
  await until(
    () => thumbnails.evaluateAll((all) => all.some((each) => (each as HTMLCanvasElement).width > 0)),
    60_000,
    'a thumbnail painted',
  );
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
