import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type MediaFixture, mediaFixture } from '@sealcam/testkit/media-fixture';
import { requireProgram } from '@sealcam/testkit/programs';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { hevcKeyframe } from './support/hevc.js';
import { serveModulePage } from './support/module-page.js';

// The web viewer's WebCodecs player (live-video.ts) and MP4 clip view (mp4-clip.ts), compiled, in
// Debian's Chromium, fed real libx264/AAC units from ffmpeg as the SDK hands them over (LiveFrame).
requireProgram('chromium');
const here = dirname(fileURLToPath(import.meta.url));
const WEB_DIR = resolve(here, '..', 'web', 'src');
const TIMEOUT = 60_000;
const BASE_US = 1_700_000_000_000_000;

const PAGE_SCRIPT = `
// The page's own modules, served from WEB_DIR under /web/ (a page URL, not a package import).
const web = (name) => import('/' + 'web/' + name);
const { LiveVideo } = await web('live-video.js');
const { Mp4Clip } = await web('mp4-clip.js');
const players = [];
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
window.sealcamTest = {
  create() {
    const player = new LiveVideo({ label: 'test camera' });
    document.body.append(player.element);
    players.push(player);
    return players.length - 1;
  },
  feed(id, frames) {
    for (const frame of frames) players[id].push({ ...frame, data: bytes(frame.data) });
  },
  flush(id) { return players[id].flush(); },
  info(id) {
    const p = players[id];
    const message = p.element.querySelector('[data-testid="live-video-message"]');
    return {
      drawn: p.drawn, state: p.state, resyncs: p.resyncs, lastResync: p.lastResync ?? null,
      age: p.age(Date.now()) ?? null, hasAudio: p.hasAudio, canvasHidden: p.canvas.hidden,
      message: message.hidden ? null : message.textContent,
    };
  },
  pixels(id) {
    const canvas = players[id].canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i++) { sum += data[i]; hash = (hash * 31 + data[i]) | 0; }
    return { sum, hash, width: canvas.width, height: canvas.height };
  },
  loadClip(b64) {
    const clip = new Mp4Clip('test clip', 'clip.mp4');
    document.body.append(clip.element, clip.download);
    clip.load(bytes(b64));
  },
};
window.sealcamReady = true;
`;

interface Fed {
  data: string;
  codec: number;
  capturedAtUs: number;
  keyframe: boolean;
  epoch: number;
  counter: number;
}

interface Info {
  drawn: number;
  state: string;
  resyncs: number;
  lastResync: string | null;
  age: number | null;
  hasAudio: boolean;
  canvasHidden: boolean;
  message: string | null;
}

let browser: BrowserContext;
let page: Page;
let closeServer: () => Promise<void>;
let fixture: MediaFixture;

before(async () => {
  fixture = mediaFixture(); // 320×240, 15 fps, 3 s, a keyframe every 15 frames, AAC tone
  const served = await serveModulePage(WEB_DIR, PAGE_SCRIPT);
  closeServer = served.close;
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(served.url);
  await page.waitForFunction(() => (window as unknown as { sealcamReady?: boolean }).sealcamReady, null, {
    timeout: TIMEOUT,
  });
});

after(async () => {
  await browser?.close();
  await closeServer?.();
});

/** Fixture video units as LiveFrames: counter = the unit's index (a dropped unit is a counter gap). */
function videoFrames(indices: number[]): Fed[] {
  return indices.map((index) => {
    const unit = fixture.video[index];
    assert.ok(unit, `fixture unit ${index}`);
    return {
      data: Buffer.from(unit.data).toString('base64'),
      codec: 2,
      capturedAtUs: BASE_US + unit.ptsUs,
      keyframe: unit.keyframe,
      epoch: 1,
      counter: index,
    };
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function create(): Promise<number> {
  return page.evaluate(() =>
    (window as unknown as { sealcamTest: { create(): number } }).sealcamTest.create(),
  );
}

async function feed(id: number, frames: Fed[]): Promise<void> {
  await page.evaluate(
    ([player, list]) =>
      (window as unknown as { sealcamTest: { feed(id: number, f: Fed[]): void } }).sealcamTest.feed(
        player,
        list,
      ),
    [id, frames] as const,
  );
}

/** Flushes the decoder (the end of the units fed) and waits until `drawn` pictures were drawn. */
async function settle(id: number, drawn: number): Promise<Info> {
  await page.evaluate(
    (player) =>
      (window as unknown as { sealcamTest: { flush(id: number): Promise<void> } }).sealcamTest.flush(player),
    id,
  );
  return drawnAtLeast(id, drawn);
}

/** Waits, without flushing the decoder, until `drawn` pictures were drawn. */
async function drawnAtLeast(id: number, drawn: number): Promise<Info> {
  await page.waitForFunction(
    ([player, count]) =>
      (window as unknown as { sealcamTest: { info(id: number): Info } }).sealcamTest.info(player).drawn >=
      count,
    [id, drawn] as const,
    { timeout: TIMEOUT },
  );
  return info(id);
}

async function info(id: number): Promise<Info> {
  return page.evaluate(
    (player) => (window as unknown as { sealcamTest: { info(id: number): Info } }).sealcamTest.info(player),
    id,
  );
}

async function pixels(id: number): Promise<{ sum: number; hash: number; width: number; height: number }> {
  return page.evaluate(
    (player) =>
      (
        window as unknown as {
          sealcamTest: { pixels(id: number): { sum: number; hash: number; width: number; height: number } };
        }
      ).sealcamTest.pixels(player),
    id,
  );
}

test('H.264 from a keyframe: every access unit is decoded and drawn, the canvas pixels change, the age is of the last picture', async () => {
  const all = fixture.video.length;
  assert.ok(fixture.video[0]?.keyframe && all >= 30, 'the fixture starts at a keyframe and has 2 s or more');
  const id = await create();
  // No flush: a live picture comes out as its unit goes in (optimizeForLatency), none held back.
  await feed(id, videoFrames([0]));
  const first = await drawnAtLeast(id, 1);
  assert.equal(first.state, 'playing');
  assert.equal(first.canvasHidden, false);
  const before = await pixels(id);
  assert.deepEqual([before.width, before.height], [fixture.width, fixture.height]);
  assert.ok(before.sum > 0, 'the first picture is not black');
  await feed(id, videoFrames(range(1, all)));
  const done = await drawnAtLeast(id, all);
  assert.equal(done.drawn, all, 'one picture per unit fed');
  assert.equal(done.resyncs, 0);
  const later = await pixels(id);
  assert.notEqual(later.hash, before.hash, 'the picture changed');
  assert.ok(done.age !== null && done.age >= 0 && done.age < TIMEOUT, 'age of the last drawn picture');
  assert.equal(done.hasAudio, false);
  assert.equal(await page.locator('[data-testid="live-sound"]').first().isHidden(), true, 'no sound button');
});

test('H.264 joined mid-GOP: nothing is decoded before the first keyframe, then every unit from it', async () => {
  const firstKey = fixture.video.findIndex((unit, index) => index > 0 && unit.keyframe);
  assert.ok(firstKey > 2, 'a second keyframe after a few delta units');
  const id = await create();
  await feed(id, videoFrames(range(2, firstKey)));
  await page.evaluate(
    (player) =>
      (window as unknown as { sealcamTest: { flush(id: number): Promise<void> } }).sealcamTest.flush(player),
    id,
  );
  const waiting = await info(id);
  assert.equal(waiting.drawn, 0, 'delta units before a keyframe are not decoded');
  assert.equal(waiting.state, 'waiting');
  assert.equal(waiting.canvasHidden, true, 'no black canvas while waiting');
  assert.equal(waiting.age, null);
  await feed(id, videoFrames(range(firstKey, fixture.video.length)));
  const done = await settle(id, fixture.video.length - firstKey);
  assert.equal(done.drawn, fixture.video.length - firstKey);
  assert.equal(done.state, 'playing');
});

test('H.264 with units dropped mid-GOP (a counter gap): skips to the next keyframe and decodes from there', async () => {
  const keys = fixture.video.flatMap((unit, index) => (unit.keyframe ? [index] : []));
  const secondKey = keys[1];
  assert.ok(secondKey !== undefined && secondKey >= 10);
  const dropFrom = secondKey - 8;
  const resumeAt = dropFrom + 3; // units dropFrom..dropFrom+2 never arrive
  const id = await create();
  await feed(id, videoFrames(range(0, dropFrom)));
  await feed(id, videoFrames(range(resumeAt, fixture.video.length)));
  const expected = dropFrom + (fixture.video.length - secondKey);
  const done = await settle(id, expected);
  assert.equal(done.drawn, expected, 'pictures before the gap, none until the keyframe, all after it');
  assert.equal(done.resyncs, 1);
  assert.equal(done.lastResync, 'gap');
  assert.equal(done.state, 'playing');
});

test('H.264 across a new key epoch: counters restarting at 0 are no gap, a new epoch joined at counter 5 is one', async () => {
  const keys = fixture.video.flatMap((unit, index) => (unit.keyframe ? [index] : []));
  const secondKey = keys[1];
  assert.ok(secondKey !== undefined);
  const frames = videoFrames(range(0, fixture.video.length));
  const split = secondKey - 5;
  const rolled = frames.map((frame, index) =>
    index < split ? frame : { ...frame, epoch: 2, counter: index - split },
  );
  const id = await create();
  await feed(id, rolled);
  const done = await settle(id, fixture.video.length);
  assert.equal(done.drawn, fixture.video.length, 'every unit drawn across the epoch change');
  assert.equal(done.resyncs, 0);

  const late = await create();
  await feed(late, frames.slice(0, split));
  await feed(
    late,
    frames.slice(split + 5).map((frame, index) => ({ ...frame, epoch: 2, counter: index + 5 })),
  );
  const resumed = await settle(late, split + (fixture.video.length - secondKey));
  assert.equal(resumed.drawn, split + (fixture.video.length - secondKey));
  assert.equal(resumed.lastResync, 'gap');
});

test('H.264 resolution change mid-stream: the keyframe with new parameter sets reconfigures, every unit is drawn at the new size', async () => {
  const bigger = mediaFixture({ width: 640, height: 480, seconds: 1, audio: false });
  const id = await create();
  await feed(id, videoFrames(range(0, fixture.video.length)));
  await drawnAtLeast(id, fixture.video.length);
  const next = bigger.video.map((unit, index) => ({
    data: Buffer.from(unit.data).toString('base64'),
    codec: 2,
    capturedAtUs: BASE_US + 10_000_000 + unit.ptsUs,
    keyframe: unit.keyframe,
    epoch: 1,
    counter: fixture.video.length + index,
  }));
  await feed(id, next);
  const done = await settle(id, fixture.video.length + bigger.video.length);
  assert.equal(done.drawn, fixture.video.length + bigger.video.length);
  assert.equal(done.resyncs, 0);
  const size = await pixels(id);
  assert.deepEqual([size.width, size.height], [640, 480]);
});

test('H.264 unit the decoder cannot read: the player recovers at the next keyframe', async () => {
  const keys = fixture.video.flatMap((unit, index) => (unit.keyframe ? [index] : []));
  const secondKey = keys[1];
  assert.ok(secondKey !== undefined);
  const broken = 5;
  const frames = videoFrames(range(0, fixture.video.length));
  // A delta unit that is an IDR slice header followed by noise.
  const noise = new Uint8Array(2000);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) % 251;
  const garbage = Uint8Array.from([0, 0, 0, 1, 0x65, ...noise]);
  const at = frames[broken];
  assert.ok(at);
  frames[broken] = { ...at, data: Buffer.from(garbage).toString('base64'), keyframe: false };
  const id = await create();
  await feed(id, frames.slice(0, broken + 1));
  await page.waitForFunction(
    (player) =>
      (window as unknown as { sealcamTest: { info(id: number): Info } }).sealcamTest.info(player)
        .lastResync === 'decoder-error',
    id,
    { timeout: TIMEOUT },
  );
  const failed = await info(id);
  assert.equal(failed.drawn, broken, 'the units before the broken one were drawn');
  await feed(id, frames.slice(broken + 1));
  const done = await settle(id, broken + (fixture.video.length - secondKey));
  assert.equal(done.drawn, broken + (fixture.video.length - secondKey), 'everything from the next keyframe');
  assert.equal(done.resyncs, 1);
  assert.equal(done.state, 'playing');
});

test('H.265 (codec 3) in a browser without HEVC decoding: the tile says so in words, no black canvas', async () => {
  const id = await create();
  const keyframe = hevcKeyframe();
  await feed(id, [
    {
      data: Buffer.from(keyframe).toString('base64'),
      codec: 3,
      capturedAtUs: BASE_US,
      keyframe: true,
      epoch: 1,
      counter: 0,
    },
  ]);
  await page.waitForFunction(
    (player) =>
      (window as unknown as { sealcamTest: { info(id: number): Info } }).sealcamTest.info(player).state !==
      'waiting',
    id,
    { timeout: TIMEOUT },
  );
  const shown = await info(id);
  assert.equal(shown.state, 'unsupported');
  assert.match(shown.message ?? '', /^This camera sends H\.265, which this browser cannot play\./);
  assert.equal(shown.canvasHidden, true);
  assert.equal(shown.drawn, 0);
});

test('audio: AAC frames show a sound button, muted (nothing decoded) until it is clicked, then decoded', async () => {
  const id = await create();
  const audio = fixture.audio;
  assert.ok(audio.length > 20, 'the fixture has sound');
  // Video and audio interleaved by capture time, one counter sequence (PROTOCOL.md §6.7).
  const units = [
    ...fixture.video.map((unit) => ({ ...unit, codec: 2 })),
    ...audio.map((unit) => ({ ...unit, codec: 5, keyframe: false })),
  ].sort((a, b) => a.ptsUs - b.ptsUs);
  const frames: Fed[] = units.map((unit, counter) => ({
    data: Buffer.from(unit.data).toString('base64'),
    codec: unit.codec,
    capturedAtUs: BASE_US + unit.ptsUs,
    keyframe: unit.keyframe,
    epoch: 1,
    counter,
  }));
  const half = Math.floor(frames.length / 2);
  await feed(id, frames.slice(0, half));
  const button = page.locator('[data-testid="live-sound"]').nth(id);
  await button.waitFor({ state: 'visible', timeout: TIMEOUT });
  assert.equal(await button.getAttribute('aria-pressed'), 'false', 'muted by default');
  assert.equal(await button.getAttribute('data-decoded'), '0', 'muted: no audio decoded');
  await button.click();
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
  const rest = frames.slice(half);
  const restAudio = rest.filter((frame) => frame.codec === 5).length;
  await feed(id, rest);
  await page.waitForFunction(
    ([player, count]) =>
      Number(document.querySelectorAll('[data-testid="live-sound"]')[player]?.getAttribute('data-decoded')) >=
      count,
    [id, restAudio - 2] as const,
    { timeout: TIMEOUT },
  );
  const done = await settle(id, fixture.video.length);
  assert.equal(done.drawn, fixture.video.length, 'audio frames do not disturb the video');
  assert.equal(done.resyncs, 0, 'audio counters are part of the sequence: no gap');
});

test('MP4 clip: the fixture MP4 plays in the <video> and "Download MP4" offers the same bytes', async () => {
  await page.evaluate(
    (b64) => (window as unknown as { sealcamTest: { loadClip(b: string): void } }).sealcamTest.loadClip(b64),
    Buffer.from(fixture.mp4).toString('base64'),
  );
  await page.waitForFunction(
    () => {
      const video = document.querySelector('[data-testid="clip-video"]') as HTMLVideoElement | null;
      return video !== null && video.currentTime > 0.5 && video.videoWidth > 0;
    },
    null,
    { timeout: TIMEOUT },
  );
  const size = await page
    .locator('[data-testid="clip-video"]')
    .evaluate((video: HTMLVideoElement) => [video.videoWidth, video.videoHeight]);
  assert.deepEqual(size, [fixture.width, fixture.height]);
  const link = page.locator('[data-testid="clip-download"]');
  assert.equal(await link.textContent(), 'Download MP4');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), link.click()]);
  assert.equal(download.suggestedFilename(), 'clip.mp4');
  const path = await download.path();
  assert.deepEqual(new Uint8Array(await readFile(path)), fixture.mp4);
});
