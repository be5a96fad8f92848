import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { FolderCamera } from '../src/camera/folder.js';
import type { JpegFrame } from '../src/camera/frame.js';
import { record, recordUntil } from './support/camera-recording.js';

/**
 * Records until `until` holds, failing with `what` if it does not within the (generous) deadline: on
 * a busy machine frames and retries come later, not differently.
 */
async function run(
  camera: FolderCamera,
  until: (frames: JpegFrame[], errors: Error[]) => boolean,
  what: string,
  timeoutMs = 60_000,
) {
  const recording = await recordUntil(camera, until, timeoutMs);
  assert.ok(
    until(recording.frames, recording.errors),
    `timed out after ${timeoutMs} ms waiting for ${what}: ${recording.frames.length} frames, errors: ${recording.errors.map((e) => e.message).join('; ')}`,
  );
  return recording;
}

/** Polls `condition` every 10 ms; fails after the (generous) deadline. */
async function waitUntil(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
  assert.ok(condition(), `timed out after ${timeoutMs} ms waiting for ${what}`);
}

function image(width: number, colour: number) {
  return sharp({ create: { width, height: 24, channels: 3, background: { r: colour, g: 100, b: 200 } } });
}

describe('folder camera', () => {
  let root: string;
  let dir: string;
  let jpegBytes: Buffer;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sealcam-folder-'));
    dir = join(root, 'images');
    mkdirSync(dir);
    // Name order: a.png, b.jpg, c.webp, d.jpeg; widths tell them apart.
    writeFileSync(join(dir, 'a.png'), await image(40, 10).png().toBuffer());
    jpegBytes = await image(48, 90).jpeg().toBuffer();
    writeFileSync(join(dir, 'b.jpg'), jpegBytes);
    writeFileSync(join(dir, 'c.webp'), await image(56, 170).webp().toBuffer());
    writeFileSync(join(dir, 'd.jpeg'), await image(64, 250).jpeg().toBuffer());
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('plays the images in name order, looped, converting non-JPEGs and passing JPEGs through', async () => {
    const camera = new FolderCamera({ cameraId: 'folder-1', path: dir, fps: 25 });
    const { frames, errors } = await run(camera, (f) => f.length >= 9, '9 frames');
    assert.deepEqual(errors, []);
    assert.deepEqual(
      frames.slice(0, 9).map((frame) => frame.width),
      [40, 48, 56, 64, 40, 48, 56, 64, 40],
    );
    for (const frame of frames) {
      assert.equal(frame.cameraId, 'folder-1');
      assert.equal(frame.height, 24);
      assert.deepEqual([...frame.jpeg.subarray(0, 2)], [0xff, 0xd8]);
      const metadata = await sharp(frame.jpeg).metadata();
      assert.equal(metadata.format, 'jpeg');
      assert.equal(metadata.width, frame.width);
    }
    assert.ok(Buffer.from(frames[1]!.jpeg).equals(jpegBytes), 'the JPEG is passed through byte for byte');
  });

  // How close to 10 fps it gets on an idle machine is a benchmark question; on a busy one it skips
  // slots by design. What holds anywhere: frames keep coming, in order, never faster than configured.
  it('plays in capture order, never faster than the configured rate', async () => {
    const camera = new FolderCamera({ cameraId: 'rate', path: dir, fps: 10 });
    const started = Date.now();
    const { frames } = await run(camera, (f) => f.length >= 10, '10 frames');
    const elapsed = Date.now() - started;
    for (let i = 1; i < frames.length; i++)
      assert.ok(frames[i]!.capturedAt >= frames[i - 1]!.capturedAt, `frame ${i} in capture order`);
    // Frame k has its own slot k/10 s after start(): k frames take at least (k - 1) / 10 s.
    assert.ok(frames.length <= Math.floor(elapsed / 100) + 2, `${frames.length} frames in ${elapsed} ms`);
  });

  it('reports an unreadable file by name once, skips it and goes on', async () => {
    const broken = join(root, 'with-broken');
    mkdirSync(broken);
    writeFileSync(join(broken, '1.png'), await image(40, 10).png().toBuffer());
    writeFileSync(join(broken, '2.jpg'), Buffer.from('this is not a jpeg at all'));
    writeFileSync(join(broken, '3.jpg'), jpegBytes);
    const camera = new FolderCamera({ cameraId: 'broken', path: broken, fps: 25 });
    const { frames, errors } = await run(camera, (f) => f.length >= 6, '6 frames');
    assert.deepEqual(
      frames.slice(0, 6).map((frame) => frame.width),
      [40, 48, 40, 48, 40, 48],
    );
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    assert.match(errors[0]!.message, /folder camera broken: skipping .*2\.jpg/);
  });

  it('reports a missing directory by path, and keeps retrying', async () => {
    const missing = join(root, 'no-such-dir');
    const camera = new FolderCamera({ cameraId: 'missing', path: missing, retryMs: 50 });
    const { frames, errors } = await run(camera, (_, e) => e.length >= 3, 'three retries');
    assert.equal(frames.length, 0);
    assert.ok(errors.length >= 3, 'retried');
    for (const error of errors)
      assert.equal(error.message, `folder camera missing: directory ${missing} does not exist`);
  });

  it('reports an empty directory, then plays images once they appear', async () => {
    const later = join(root, 'empty-at-first');
    mkdirSync(later);
    const camera = new FolderCamera({ cameraId: 'empty', path: later, fps: 20, retryMs: 50 });
    const { frames, errors } = record(camera);
    try {
      await waitUntil(() => errors.length > 0, 'the empty directory to be reported');
      assert.match(errors[0]?.message ?? '', /no images \(.*\) in .*empty-at-first/);
      writeFileSync(join(later, 'x.jpg'), jpegBytes);
      await waitUntil(() => frames.length > 0, 'a frame after the image appeared');
    } finally {
      await camera.stop();
    }
  });
});
