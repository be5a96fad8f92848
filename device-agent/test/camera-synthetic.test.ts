import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { JpegFrame, LumaImage } from '../src/camera/frame.js';
import {
  clockText,
  isMotionActive,
  type Rect,
  renderSyntheticFrame,
  SyntheticCamera,
  SyntheticRenderer,
  type SyntheticScene,
} from '../src/camera/synthetic.js';
import { recordUntil } from './support/camera-recording.js';

/**
 * Starts the camera, collects frames until `enough` holds, stops it. The deadline is generous: on a
 * busy machine the camera skips slots (it never queues them), so frames come later, not wrong.
 */
async function collectUntil(
  camera: SyntheticCamera,
  enough: (frames: JpegFrame[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<JpegFrame[]> {
  const { frames, errors } = await recordUntil(camera, enough, timeoutMs);
  assert.deepEqual(errors, []);
  assert.ok(enough(frames), `timed out after ${timeoutMs} ms waiting for ${what}: ${frames.length} frames`);
  return frames;
}

/** Fraction of luma pixels that differ by at least `threshold`. */
function changedFraction(a: LumaImage, b: LumaImage, threshold = 25): number {
  assert.equal(a.data.length, b.data.length);
  let changed = 0;
  for (let i = 0; i < a.data.length; i++) if (Math.abs(a.data[i]! - b.data[i]!) >= threshold) changed++;
  return changed / a.data.length;
}

/** Pixels of `rect` that differ by more than 40 in some channel between two RGB images. */
function changedPixelsIn(a: Buffer, b: Buffer, width: number, rect: Rect): number {
  let changed = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const p = (y * width + x) * 3;
      if (
        Math.max(Math.abs(a[p]! - b[p]!), Math.abs(a[p + 1]! - b[p + 1]!), Math.abs(a[p + 2]! - b[p + 2]!)) >
        40
      ) {
        changed++;
      }
    }
  }
  return changed;
}

const scene: SyntheticScene = {
  width: 1280,
  height: 720,
  fps: 15,
  motionEverySeconds: 20,
  motionSeconds: 3,
  name: 'front-door',
};
const t0 = Date.UTC(2025, 4, 6, 7, 8, 9, 100);
const frameMs = 1000 / scene.fps;

describe('synthetic camera', () => {
  // The delivered rate on an idle machine is a benchmark figure (npm run bench:agent), not a test:
  // under load the camera skips slots by design. What holds on any machine is checked here.
  it('delivers JPEGs of the configured size in capture order, never faster than the configured rate', async () => {
    const camera = new SyntheticCamera({ cameraId: 'synthetic-1', motionSeconds: 0 });
    const startedAt = Date.now();
    const frames = await collectUntil(camera, (frames) => frames.length >= 15, '15 frames');
    const ms = Date.now() - startedAt;
    for (let i = 1; i < frames.length; i++)
      assert.ok(
        frames[i]!.capturedAt > frames[i - 1]!.capturedAt,
        `frame ${i} captured after frame ${i - 1}`,
      );
    // Each frame has its own slot 1/15 s apart, the first at start(): never more than that many.
    assert.ok(
      frames.length <= Math.floor((ms * 15) / 1000) + 2,
      `${frames.length} frames in ${ms} ms: faster than 15 fps`,
    );
    assert.ok(
      frames.at(-1)!.capturedAt - frames[0]!.capturedAt >= ((frames.length - 1) * 1000) / 15 - 20,
      `${frames.length} capture times span only ${frames.at(-1)!.capturedAt - frames[0]!.capturedAt} ms`,
    );
    for (const frame of [frames[0]!, frames.at(-1)!]) {
      assert.equal(frame.cameraId, 'synthetic-1');
      assert.equal(frame.width, 1280);
      assert.equal(frame.height, 720);
      const metadata = await sharp(frame.jpeg).metadata();
      assert.equal(metadata.format, 'jpeg');
      assert.equal(metadata.width, 1280);
      assert.equal(metadata.height, 720);
      assert.equal(frame.luma?.width, 64);
      assert.equal(frame.luma?.height, 36);
      assert.equal(frame.luma?.data.length, 64 * 36);
    }
  });

  it('burns in a clock: its area changes between frames a second apart', async () => {
    const camera = new SyntheticCamera({ cameraId: 'clock', width: 640, height: 360, fps: 10 });
    const aSecondLater = (frames: JpegFrame[]) =>
      frames.find((frame) => frame.capturedAt - frames[0]!.capturedAt >= 1000);
    const frames = await collectUntil(
      camera,
      (frames) => aSecondLater(frames) !== undefined,
      'a frame 1 s later',
    );
    const first = frames[0]!;
    const later = aSecondLater(frames)!;
    const decode = async (frame: JpegFrame) => (await sharp(frame.jpeg).raw().toBuffer()) as Buffer;
    const [a, b] = [await decode(first), await decode(later)];
    const { clock } = new SyntheticRenderer(camera.scene).textAreas;
    const changed = changedPixelsIn(a, b, 640, clock);
    assert.ok(changed > 20, `only ${changed} pixels of the clock area changed`);
    assert.notEqual(clockText(first.capturedAt), clockText(later.capturedAt));
    assert.match(clockText(Date.UTC(2025, 0, 1, 23, 5, 9, 42)), /^23:05:09\.042$/);
  });

  it('differs by < 1 % of luma pixels between quiet frames and by > 5 % during motion', () => {
    const frameAt = (sinceStartMs: number) => renderSyntheticFrame(scene, t0 + sinceStartMs, sinceStartMs);
    const quietAt = 5000;
    assert.equal(isMotionActive(scene, quietAt), false);
    const quiet = frameAt(quietAt);
    for (const later of [frameMs, 2 * frameMs, 1000, 2000]) {
      const fraction = changedFraction(quiet.luma, frameAt(quietAt + later).luma);
      assert.ok(fraction < 0.01, `quiet frames ${later} ms apart differ in ${(fraction * 100).toFixed(2)} %`);
    }
    // Every frame of a motion window, the first one (t = 0) and a later one (t = 20 s).
    let previous: LumaImage | null = null;
    let frames = 0;
    for (const windowStart of [0, 20_000]) {
      for (let k = 0; k < scene.motionSeconds * scene.fps; k++) {
        const t = windowStart + k * frameMs;
        assert.equal(isMotionActive(scene, t), true);
        const { luma } = frameAt(t);
        const fromQuiet = changedFraction(quiet.luma, luma);
        assert.ok(
          fromQuiet > 0.05,
          `motion frame at ${t} ms differs from quiet in ${(fromQuiet * 100).toFixed(2)} %`,
        );
        if (previous && k > 0) {
          const fromPrevious = changedFraction(previous, luma);
          assert.ok(fromPrevious > 0.05, `consecutive motion frames at ${t} ms differ in ${fromPrevious}`);
        }
        previous = luma;
        frames++;
      }
    }
    assert.equal(frames, 2 * 45);
    assert.equal(isMotionActive(scene, 3000), false);
    assert.equal(isMotionActive(scene, 19_999), false);
  });

  it('renders deterministically, and its luma matches a decode of its own pixels', async () => {
    const a = renderSyntheticFrame(scene, t0, 1234);
    const b = renderSyntheticFrame(scene, t0, 1234);
    assert.ok(a.rgb.equals(b.rgb));
    assert.deepEqual(a.luma.data, b.luma.data);
    // A box-filtered greyscale downscale of the same pixels by sharp agrees closely.
    const { data } = await sharp(a.rgb, { raw: { width: 1280, height: 720, channels: 3 } })
      .recomb([
        [0.299, 0.587, 0.114],
        [0.299, 0.587, 0.114],
        [0.299, 0.587, 0.114],
      ])
      .resize(64, 36, { fit: 'fill' })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    let close = 0;
    for (let i = 0; i < data.length; i++) if (Math.abs(data[i]! - a.luma.data[i]!) <= 12) close++;
    assert.ok(close / data.length > 0.9, `only ${close} of ${data.length} luma pixels agree`);
  });

  it('shows the camera name: the name area differs between two names, the rest does not', () => {
    const alpha = renderSyntheticFrame({ ...scene, name: 'alpha' }, t0, 7000);
    const bravo = renderSyntheticFrame({ ...scene, name: 'bravo' }, t0, 7000);
    const { name, panel } = new SyntheticRenderer({ ...scene, name: 'alpha' }).textAreas;
    assert.ok(changedPixelsIn(alpha.rgb, bravo.rgb, scene.width, name) > 50);
    const outside: Rect = { x: 0, y: panel.y + panel.height, width: scene.width, height: 100 };
    assert.equal(changedPixelsIn(alpha.rgb, bravo.rgb, scene.width, outside), 0);
  });

  it('colour: the top band is that flat colour beside the clock panel; the bars, steps and motion are unchanged', () => {
    const red = renderSyntheticFrame({ ...scene, colour: [200, 40, 40] }, t0, 1000);
    const plain = renderSyntheticFrame(scene, t0, 1000);
    const { panel } = new SyntheticRenderer(scene).textAreas;
    const bandEnd = Math.round(scene.height * 0.45);
    for (const [x, y] of [
      [scene.width - 1, 0],
      [panel.x + panel.width + 10, 5],
      [scene.width / 2, bandEnd - 1],
    ] as const) {
      const at = (y * scene.width + x) * 3;
      assert.deepEqual([...red.rgb.subarray(at, at + 3)], [200, 40, 40], `pixel ${x},${y}`);
    }
    const below: Rect = { x: 0, y: bandEnd, width: scene.width, height: scene.height - bandEnd };
    assert.equal(changedPixelsIn(red.rgb, plain.rgb, scene.width, below), 0);
    const motion = new SyntheticCamera({ cameraId: 'x', colour: [200, 40, 40] }).scene;
    assert.deepEqual(motion.colour, [200, 40, 40]);
  });

  it('stops delivering when stopped', async () => {
    const camera = new SyntheticCamera({ cameraId: 'stopper', width: 320, height: 180, fps: 20 });
    let frames = 0;
    camera.start(
      () => frames++,
      (error) => assert.fail(error),
    );
    const deadline = Date.now() + 60_000;
    while (frames < 3 && Date.now() < deadline) await sleep(10);
    assert.ok(frames >= 3, `frames before stop: ${frames} in 60 s`);
    await camera.stop();
    const atStop = frames;
    // stop() resolved after the frame in progress: nothing may follow, however long we look.
    await sleep(300);
    assert.equal(frames, atStop);
  });

  it('refuses bad options with the name of the option', () => {
    assert.throws(() => new SyntheticCamera({ cameraId: 'x', width: 10 }), /width/);
    assert.throws(() => new SyntheticCamera({ cameraId: 'x', quality: 0 }), /quality/);
    assert.throws(() => new SyntheticCamera({ cameraId: 'x', fps: 0 }), /fps/);
    assert.throws(() => new SyntheticCamera({ cameraId: 'x', colour: [0, 256, 0] }), /colour/);
    assert.throws(() => new SyntheticCamera({ cameraId: 'x', colour: [0, 0] as never }), /colour/);
  });
});
