import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LumaImage } from '../src/camera/frame.js';
import { MotionDetector, type MotionDetectorOptions, type MotionUpdate } from '../src/motion/detector.js';
import { MotionOptionError } from '../src/motion/option-error.js';

const W = 64;
const H = 36;
const T0 = 1_700_000_000_000;
/** 10 frames per second. */
const STEP = 100;

/** A textured still scene with a little deterministic sensor noise (±4 grey levels). */
function scene(frameIndex: number, base = 100): Uint8Array {
  const data = new Uint8Array(W * H);
  let seed = (frameIndex * 2654435761) >>> 0;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = base + ((i % W) >> 3) + ((seed >>> 16) % 9) - 4;
  }
  return data;
}

function block(data: Uint8Array, x: number, y: number, w: number, h: number, value = 250): Uint8Array {
  for (let row = y; row < Math.min(y + h, H); row++)
    for (let col = Math.max(x, 0); col < Math.min(x + w, W); col++) data[row * W + col] = value;
  return data;
}

const luma = (data: Uint8Array): LumaImage => ({ width: W, height: H, data });

interface Step {
  readonly at: number;
  readonly update: MotionUpdate;
}

/** Runs `frames` frames at 10 fps; `draw(i)` gives frame i's pixels. */
function run(detector: MotionDetector, frames: number, draw: (i: number) => Uint8Array, start = T0): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < frames; i++) {
    const at = start + i * STEP;
    out.push({ at, update: detector.push(luma(draw(i)), at) });
  }
  return out;
}

const startedAt = (steps: Step[]) => steps.filter((s) => s.update.started).map((s) => s.at);
const endedAt = (steps: Step[]) => steps.filter((s) => s.update.ended).map((s) => s.at);

/** An 8×8 block (64 px = 2.8 % of the image) moving 4 px per frame during frames [from, to). */
function movingBlock(from: number, to: number) {
  return (i: number) => {
    const data = scene(i);
    if (i >= from && i < to) block(data, ((i - from) * 4) % (W - 8), 14, 8, 8);
    return data;
  };
}

describe('MotionDetector', () => {
  it('a still scene with sensor noise never reports motion', () => {
    const steps = run(new MotionDetector(), 600, (i) => scene(i));
    assert.ok(steps.every((s) => !s.update.motion && s.update.state === 'idle'));
    assert.ok(steps.every((s) => s.update.changedFraction === 0));
  });

  it('a moving block starts an event, keeps it active, and ends it endAfterSeconds after the last motion', () => {
    const steps = run(new MotionDetector(), 100, movingBlock(20, 40));
    assert.deepEqual(startedAt(steps), [T0 + 20 * STEP]);
    for (const s of steps.slice(20, 40)) {
      assert.equal(s.update.motion, true, `motion at frame ${(s.at - T0) / STEP}`);
      assert.equal(s.update.state, 'active');
      assert.ok(Math.abs(s.update.changedFraction - 64 / (W * H)) < 0.005, String(s.update.changedFraction));
    }
    // Last motion frame is 39; the event ends on the first frame ≥ 2 s later (frame 59).
    assert.ok(steps.slice(40).every((s) => !s.update.motion));
    assert.deepEqual(endedAt(steps), [T0 + 59 * STEP]);
    assert.ok(steps.slice(40, 59).every((s) => s.update.state === 'active'));
    assert.equal(steps[59]?.update.state, 'cooldown');
    assert.equal(steps[0]?.update.changedFraction, 0, 'the first frame only seeds the background');
  });

  it('the cooldown suppresses a second event; motion after it starts one', () => {
    const detector = new MotionDetector();
    // Motion in frames 10..19, ends at 39 (cooldown until 39 + 100 = frame 139).
    const draw = (i: number) => {
      const data = scene(i);
      const moving = (i >= 10 && i < 20) || (i >= 60 && i < 70) || (i >= 150 && i < 160);
      if (moving) block(data, (i * 4) % (W - 8), 14, 8, 8);
      return data;
    };
    const steps = run(detector, 200, draw);
    assert.deepEqual(startedAt(steps), [T0 + 10 * STEP, T0 + 150 * STEP]);
    assert.deepEqual(endedAt(steps), [T0 + 39 * STEP, T0 + 179 * STEP]);
    for (const s of steps.slice(60, 70)) {
      assert.equal(s.update.motion, true, 'motion is still measured during the cooldown');
      assert.equal(s.update.state, 'cooldown');
      assert.equal(s.update.started, undefined);
    }
    assert.equal(steps[139]?.update.state, 'idle');
  });

  it('motion that lasts through the cooldown starts a new event when the cooldown ends', () => {
    const steps = run(new MotionDetector({ cooldownSeconds: 1 }), 80, (i) => {
      const data = scene(i);
      if ((i >= 5 && i < 10) || i >= 40) block(data, (i * 4) % (W - 8), 14, 8, 8);
      return data;
    });
    // Ends at frame 29 (9 + 20); cooldown until frame 39; motion from 40.
    assert.deepEqual(endedAt(steps), [T0 + 29 * STEP]);
    assert.deepEqual(startedAt(steps), [T0 + 5 * STEP, T0 + 40 * STEP]);
  });

  it('threshold: a difference of threshold − 1 is no change, threshold is', () => {
    const flat = (value: number) => new Uint8Array(W * H).fill(value);
    for (const [value, changed] of [
      [124, false],
      [125, true],
      [76, false],
      [75, true],
    ] as const) {
      const detector = new MotionDetector({ threshold: 25 });
      detector.push(luma(flat(100)), T0);
      const update = detector.push(luma(block(flat(100), 0, 0, 16, 16, value)), T0 + STEP);
      assert.equal(update.changedFraction, changed ? 256 / (W * H) : 0, `value ${value}`);
      assert.equal(update.motion, changed);
    }
  });

  it('minArea: 46 changed pixels of 2304 (1.997 %) are not motion, 47 (2.04 %) are', () => {
    for (const [pixels, motion] of [
      [46, false],
      [47, true],
    ] as const) {
      const detector = new MotionDetector({ minArea: 0.02 });
      detector.push(luma(scene(0)), T0);
      const update = detector.push(luma(block(scene(1), 0, 0, pixels, 1)), T0 + STEP);
      assert.equal(update.changedFraction, pixels / (W * H));
      assert.equal(update.motion, motion, `${pixels} pixels`);
      assert.equal(update.started, motion ? true : undefined);
    }
  });

  it('a change that stays is absorbed into the background and the event ends', () => {
    const steps = run(new MotionDetector(), 300, (i) =>
      i >= 10 ? block(scene(i), 20, 10, 12, 12) : scene(i),
    );
    assert.deepEqual(startedAt(steps), [T0 + 10 * STEP]);
    const ended = endedAt(steps);
    assert.equal(ended.length, 1);
    const seconds = (ended[0]! - (T0 + 10 * STEP)) / 1000;
    // Absorbed after ≈ 5 s × ln(150 / 25) ≈ 9 s, then endAfterSeconds (2 s).
    assert.ok(seconds > 6 && seconds < 16, `ended after ${seconds} s`);
  });

  it('adapts by elapsed time, not frame count: 5 and 20 fps end a lasting change at about the same time', () => {
    const endAfter = (step: number) => {
      const detector = new MotionDetector();
      for (let i = 0; i < 60_000 / step; i++) {
        const data = i * step >= 1000 ? block(scene(i), 20, 10, 12, 12) : scene(i);
        if (detector.push(luma(data), T0 + i * step).ended) return i * step;
      }
      return Number.NaN;
    };
    const slow = endAfter(200);
    const fast = endAfter(50);
    assert.ok(Math.abs(slow - fast) <= 400, `${slow} ms vs ${fast} ms`);
  });

  it('a frame analysed after a long gap does not imprint a passing object on the background', () => {
    const detector = new MotionDetector();
    run(detector, 50, (i) => scene(i));
    assert.equal(detector.push(luma(block(scene(50), 20, 10, 12, 12)), T0 + 50 * STEP).started, true);
    // The next analysed frame comes 5 s later (frames skipped under load) and the object has gone.
    const after = detector.push(luma(scene(51)), T0 + 50 * STEP + 5000);
    assert.equal(after.changedFraction, 0);
    assert.equal(after.ended, true);
  });

  it('is deterministic', () => {
    const a = run(new MotionDetector(), 120, movingBlock(20, 40));
    const b = run(new MotionDetector(), 120, movingBlock(20, 40));
    assert.deepEqual(a, b);
  });

  it('rejects bad options with a MotionOptionError naming the option', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['threshold', { threshold: 0 }],
      ['threshold', { threshold: 256 }],
      ['threshold', { threshold: Number.NaN }],
      ['threshold', { threshold: '25' }],
      ['minArea', { minArea: 0 }],
      ['minArea', { minArea: 1.5 }],
      ['cooldownSeconds', { cooldownSeconds: -1 }],
      ['endAfterSeconds', { endAfterSeconds: Number.POSITIVE_INFINITY }],
      ['backgroundSeconds', { backgroundSeconds: 0 }],
      ['width', { width: 0 }],
      ['height', { height: 1.5 }],
      ['thresold', { thresold: 25 }],
      ['minArea', { minArea: undefined }],
    ];
    for (const [option, given] of cases) {
      assert.throws(
        () => new MotionDetector(given as Partial<MotionDetectorOptions>),
        (error: unknown) => error instanceof MotionOptionError && error.option === option,
        JSON.stringify(given),
      );
    }
    assert.doesNotThrow(
      () => new MotionDetector({ threshold: 255, minArea: 1, cooldownSeconds: 0, endAfterSeconds: 0 }),
    );
  });

  it('refuses a luma of another size and a time that goes backwards; reset starts over', () => {
    const detector = new MotionDetector();
    assert.throws(
      () => detector.push({ width: 32, height: 18, data: new Uint8Array(32 * 18) }, T0),
      RangeError,
    );
    detector.push(luma(scene(0)), T0);
    assert.throws(() => detector.push(luma(scene(1)), T0 - 1), RangeError);
    detector.reset();
    assert.equal(detector.push(luma(block(scene(1), 0, 0, 20, 20)), T0 - 1).changedFraction, 0);
    assert.equal(detector.state, 'idle');
  });
});
