import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireProgram } from '@sealcam/relay/dist/test/support/prerequisite.js';
import type { Page } from 'playwright-core';
import { nodeWebSocket } from '../src/node/index.js';
import { MemoryKeyStore, Viewer } from '../src/sdk/index.js';
import { launchChromium, SCREENSHOTS } from './support/browser.js';
import { createAgent, startRelay, testCamera, until } from './support/world.js';

requireProgram('chromium');
const here = dirname(fileURLToPath(import.meta.url));
const START = resolve(here, '..', 'src', 'demo', 'start.js');
const WEB_ROOT = resolve(here, '..', 'webapp');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function framesShown(page: Page, streamId: string): Promise<number> {
  const value = await page
    .locator(`[data-testid="camera-tile"][data-stream-id="${streamId}"] [data-testid="live-image"]`)
    .getAttribute('data-frames');
  return Number(value ?? 0);
}

test('npm start: the printed link pairs the browser, both cameras play live, events appear with thumbnails', async () => {
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
    30_000,
    'the pairing link',
  );

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(link);
  await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: 30_000 });
  assert.equal(new URL(page.url()).hash, '', 'the pairing code is removed from the address bar');
  const agentSafety = await until(
    () => /safety number (\d{5}(?: \d{5}){11})/.exec(output)?.[1],
    10_000,
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

  for (const stream of ['front-door', 'backyard'])
    await until(async () => (await framesShown(page, stream)) > 3, 30_000, `live frames of ${stream}`);
  const tile = page.locator('[data-testid="camera-tile"][data-stream-id="front-door"]');
  const first = await tile.screenshot({ path: join(SCREENSHOTS, 'live-1.png') });
  await page.waitForTimeout(1500);
  const second = await tile.screenshot({ path: join(SCREENSHOTS, 'live-2.png') });
  assert.notDeepEqual(first, second, 'the live picture changes between two screenshots');
  assert.equal(
    await page.locator('[data-testid="verification-warning"]').count(),
    0,
    'no warning on an honest relay',
  );

  const thumbnail = page.locator('[data-testid="event-thumbnail"]').first();
  await thumbnail.waitFor({ state: 'visible', timeout: 60_000 });
  await until(
    () => thumbnail.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0),
    10_000,
    'the thumbnail decoded',
  );
  await page.screenshot({ path: join(SCREENSHOTS, 'events.png'), fullPage: true });
  console.log(`screenshots: ${join(SCREENSHOTS, 'live-1.png')}, live-2.png, events.png`);
});

test('a relay with the fault seam serves another camera’s thumbnail: the page warns and never shows it', async () => {
  const relay = await startRelay({
    SEALCAM_WEB_ROOT: WEB_ROOT,
    SEALCAM_FAULT_INJECTION: 'mixup',
    SEALCAM_FAULT_RATE: '0.5',
  });
  cleanups.push(relay.stop);
  // Two homes on one relay. Home B's viewer is a Node SDK viewer; home A's is the browser.
  const homeA = createAgent(relay.base, [testCamera('cam-a')]);
  const homeB = createAgent(relay.base, [testCamera('cam-b')]);
  cleanups.push(homeA.stop, homeB.stop);
  const viewerB = await Viewer.open({ store: new MemoryKeyStore(), WebSocket: nodeWebSocket });
  cleanups.push(async () => viewerB.close());
  const pairingB = await homeB.pairingCode();
  await viewerB.pair(pairingB.code);
  const pairingA = await homeA.pairingCode();

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(pairingA.link);
  await page.locator('[data-testid="safety-number"]').first().waitFor({ timeout: 30_000 });
  await Promise.all([homeA.run(), homeB.run()]);

  const warning = page.locator('[data-testid="verification-warning"]').first();
  // Events load and reload (paging, new-event notices); the mixed-up relay answers some lookups with home B's objects.
  await until(
    async () => {
      if ((await warning.count()) > 0) return true;
      await page.reload();
      await page.waitForTimeout(3000);
      return (await warning.count()) > 0;
    },
    90_000,
    'a verification warning',
  );
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
  await page.screenshot({ path: join(SCREENSHOTS, 'verification-warning.png'), fullPage: true });
  console.log(`screenshot: ${join(SCREENSHOTS, 'verification-warning.png')}`);
});
