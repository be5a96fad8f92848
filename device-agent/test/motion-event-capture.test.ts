import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { JpegFrame, LumaImage } from '../src/camera/frame.js';
import type { CaptureOptions } from '../src/motion/capture-options.js';
import { type CapturedEvent, EventCapture, type EventCaptureInit } from '../src/motion/event-capture.js';
import { MotionOptionError } from '../src/motion/option-error.js';

const W = 64;
const H = 36;
const T0 = 1_700_000_000_000;
/** 10 frames per second. */
const STEP = 100;
const FRAME_BYTES = 1000;

/** A still scene, plus an 8×8 block (`size` for a bigger one) moving 4 px per frame when `moving`. */
function pixels(i: number, moving: boolean, size = 8): Uint8Array {
  const data = new Uint8Array(W * H);
  for (let p = 0; p < data.length; p++) data[p] = 100 + ((p % W) >> 3) + ((p * 7 + i * 13) % 5);
  if (moving) {
    const x = (i * 4) % (W - size);
    for (let row = 10; row < 10 + size; row++) data.fill(250, row * W + x, row * W + x + size);
  }
  return data;
}

/** Frame i at T0 + i·STEP, with a synthetic luma and a fake JPEG of `bytes` bytes (never decoded). */
function frame(
  i: number,
  moving: boolean,
  options: { size?: number; bytes?: number; at?: number } = {},
): JpegFrame {
  const jpeg = new Uint8Array(options.bytes ?? FRAME_BYTES).fill(i & 0xff);
  const luma: LumaImage = { width: W, height: H, data: pixels(i, moving, options.size) };
  return { cameraId: 'cam-1', capturedAt: options.at ?? T0 + i * STEP, jpeg, width: 640, height: 360, luma };
}

function capture(options: Partial<CaptureOptions> = {}, init: Partial<EventCaptureInit> = {}) {
  const events: CapturedEvent[] = [];
  const errors: Error[] = [];
  const cap = new EventCapture({
    cameraId: 'cam-1',
    options,
    onEvent: (event) => events.push(event),
    onError: (error) => errors.push(error),
    ...init,
  });
  return { cap, events, errors };
}

const index = (f: JpegFrame) => (f.capturedAt - T0) / STEP;
const indices = (event: CapturedEvent | undefined) => event?.frames.map(index) ?? [];
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/**
 * Frames [0, n), each processed before the next is pushed (a decoder that keeps up, as with a real
 * camera at 10 fps); `moving(i)` says which show the moving block. Then flush.
 */
async function feed(
  cap: EventCapture,
  n: number,
  moving: (i: number) => boolean,
  size?: (i: number) => number,
) {
  for (let i = 0; i < n; i++) {
    const s = size?.(i);
    cap.push(frame(i, moving(i), s === undefined ? {} : { size: s }));
    await cap.whenIdle();
  }
  await cap.flush();
}

describe('EventCapture', () => {
  it('keeps 2 s of pre-roll and 3 s of post-roll at 10 fps, with the event times and peak score', async () => {
    const { cap, events } = capture();
    // Motion in frames 50..59; frame 55 has a bigger block (the peak).
    await feed(
      cap,
      150,
      (i) => i >= 50 && i < 60,
      (i) => (i === 55 ? 12 : 8),
    );
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.deepEqual(indices(event), range(30, 90), '20 pre-roll + 10 motion + 30 post-roll frames');
    assert.equal(event.start, T0 + 50 * STEP);
    assert.equal(event.end, T0 + 59 * STEP);
    assert.equal(event.clipStart, T0 + 30 * STEP);
    assert.equal(event.clipEnd, T0 + 89 * STEP);
    assert.equal(event.closedBy, 'motion-ended');
    assert.equal(event.bytes, 60 * FRAME_BYTES);
    assert.equal(event.cameraId, 'cam-1');
    assert.equal(index(event.thumbnailSource), 55);
    assert.ok(Math.abs(event.score - 144 / (W * H)) < 0.005, String(event.score));
    assert.equal(cap.stats.analysed, 150);
    assert.equal(cap.stats.events, 1);
  });

  it('the event is emitted as soon as the post-roll is complete', async () => {
    const { cap, events } = capture();
    await feed(cap, 89, (i) => i >= 50 && i < 60);
    // flush() closed it: frame 89 (end + 3 s) had not arrived.
    assert.equal(events[0]?.closedBy, 'flush');
    const second = capture();
    await feed(second.cap, 90, (i) => i >= 50 && i < 60);
    assert.equal(second.events[0]?.closedBy, 'motion-ended');
    assert.equal(second.cap.recording, false);
  });

  it('with endAfterSeconds > postRollSeconds, frames past the post-roll go to the next pre-roll', async () => {
    const { cap, events } = capture({
      postRollSeconds: 1,
      motion: { endAfterSeconds: 2, cooldownSeconds: 0 },
    });
    await feed(cap, 150, (i) => (i >= 50 && i < 60) || (i >= 82 && i < 85));
    assert.equal(events.length, 2);
    // First: ends at 59, post-roll to 69; detector declares the end at 79.
    assert.deepEqual(indices(events[0]), range(30, 70));
    // Second: pre-roll 2 s before frame 82 → 62…81, but 62…69 are in the first clip already.
    assert.deepEqual(indices(events[1]), range(70, 95));
    assert.equal(events[1]?.start, T0 + 82 * STEP);
  });

  it('honours the pre-roll byte cap', async () => {
    const { cap, events } = capture({ preRollBytes: 5 * FRAME_BYTES });
    await feed(cap, 120, (i) => i >= 50 && i < 60);
    assert.deepEqual(indices(events[0]).slice(0, 6), [45, 46, 47, 48, 49, 50]);
  });

  it('honours the event byte cap: long motion becomes consecutive events, no frame lost or repeated', async () => {
    const { cap, events } = capture({ maxEventBytes: 40 * FRAME_BYTES, preRollBytes: 10 * FRAME_BYTES });
    await feed(cap, 200, (i) => i >= 50 && i < 130);
    assert.ok(events.length >= 3, `${events.length} events`);
    for (const event of events) assert.ok(event.bytes <= 40 * FRAME_BYTES && event.frames.length <= 40);
    assert.deepEqual(
      events.map((e) => e.closedBy),
      [...events.slice(1).map(() => 'max-bytes'), 'motion-ended'],
    );
    assert.deepEqual(
      events.flatMap(indices),
      range(40, 160),
      'consecutive, from the pre-roll to the post-roll',
    );
    assert.equal(events[0]?.start, T0 + 50 * STEP);
    assert.equal(events.at(-1)?.end, T0 + 129 * STEP);
  });

  it('bounds a clip by maxEventSeconds', async () => {
    const { cap, events } = capture({ maxEventSeconds: 10 });
    await feed(cap, 400, (i) => i >= 50 && i < 300);
    for (const event of events) assert.ok(event.clipEnd - event.clipStart < 10_000);
    assert.deepEqual(events.flatMap(indices), range(30, 330));
    assert.deepEqual(events.map((e) => e.closedBy).slice(0, 2), ['max-duration', 'max-duration']);
    assert.equal(events.at(-1)?.closedBy, 'motion-ended');
    assert.deepEqual(indices(events[0]), range(30, 130));
  });

  it('flush closes an active event', async () => {
    const { cap, events } = capture();
    await feed(cap, 70, (i) => i >= 50);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.closedBy, 'flush');
    assert.equal(events[0]?.end, T0 + 69 * STEP);
    assert.deepEqual(indices(events[0]), range(30, 70));
    await cap.flush();
    assert.equal(events.length, 1, 'a second flush emits nothing');
  });

  it('keeps frames in order when the luma decode is slow and finishes out of order', async () => {
    const reference = capture();
    await feed(reference.cap, 120, (i) => i >= 50 && i < 60);
    // Each decode takes 0…3 ms, later frames faster; no backlog limit, so every frame is analysed.
    const slow = capture(
      { maxBacklog: 1000 },
      {
        luma: async (f) => {
          await sleep((120 - index(f)) % 4);
          return f.luma!;
        },
      },
    );
    await feed(slow.cap, 120, (i) => i >= 50 && i < 60);
    assert.equal(slow.cap.stats.skipped, 0);
    assert.deepEqual(slow.events, reference.events);
  });

  it('with a backlog, skips analysis of some frames but still keeps every frame in order', async () => {
    const { cap, events } = capture(
      { maxBacklog: 2 },
      {
        luma: async (f) => {
          await sleep(1);
          return f.luma!;
        },
      },
    );
    // Frames arrive in bursts of 10 (faster than they are decoded).
    for (let burst = 0; burst < 15; burst++) {
      for (let i = burst * 10; i < burst * 10 + 10; i++) cap.push(frame(i, i >= 50 && i < 70));
      await sleep(1);
    }
    await cap.flush();
    const { analysed, skipped, frames } = cap.stats;
    assert.equal(frames, 150);
    assert.equal(analysed + skipped, 150);
    assert.ok(skipped > 0 && analysed > 0, `analysed ${analysed}, skipped ${skipped}`);
    assert.equal(events.length, 1);
    const got = indices(events[0]);
    assert.deepEqual(got, range(got[0]!, got[0]! + got.length), 'contiguous, in capture order');
    assert.ok(events[0]!.start >= T0 + 50 * STEP && events[0]!.end < T0 + 70 * STEP);
  });

  it('a failed decode skips analysis of that frame, reports it, and keeps the frame', async () => {
    const { cap, events, errors } = capture(
      {},
      {
        luma: async (f) => {
          if (index(f) % 10 === 3) throw new Error('corrupt');
          return f.luma!;
        },
      },
    );
    await feed(cap, 120, (i) => i >= 50 && i < 60);
    assert.equal(cap.stats.decodeErrors, 12);
    assert.equal(errors.length, 12);
    assert.deepEqual(indices(events[0]), range(30, 90));
  });

  it('an exception in onEvent is reported and capture goes on', async () => {
    const errors: Error[] = [];
    let calls = 0;
    const cap = new EventCapture({
      cameraId: 'cam-1',
      options: { motion: { cooldownSeconds: 0 } },
      onEvent: () => {
        calls++;
        throw new Error('consumer failed');
      },
      onError: (error) => errors.push(error),
    });
    await feed(cap, 200, (i) => (i >= 20 && i < 25) || (i >= 120 && i < 125));
    assert.equal(calls, 2);
    assert.equal(errors.length, 2);
  });

  it('a clock step back closes the event and clips never go back in time', async () => {
    const { cap, events } = capture();
    for (let i = 0; i < 60; i++) {
      cap.push(frame(i, i >= 50));
      await cap.whenIdle();
    }
    for (let i = 0; i < 30; i++) {
      cap.push(frame(i, false, { at: T0 - 60_000 + i * STEP }));
      await cap.whenIdle();
    }
    await cap.flush();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.closedBy, 'clock-step');
    assert.deepEqual(indices(events[0]), range(30, 60));
  });

  it('close() emits a running event and drops later frames', async () => {
    const { cap, events } = capture();
    for (let i = 0; i < 60; i++) {
      cap.push(frame(i, i >= 50));
      await cap.whenIdle();
    }
    await cap.close();
    cap.push(frame(60, true));
    await cap.flush();
    assert.equal(events.length, 1);
    assert.equal(cap.stats.dropped, 1);
    await cap.close();
  });

  it('detects motion in real JPEGs (luma decoded by sharp)', async () => {
    const jpegOf = async (i: number, moving: boolean) => {
      const rgb = new Uint8Array(320 * 180 * 3).fill(90);
      if (moving) {
        const x = 40 + i * 8;
        for (let row = 60; row < 120; row++) rgb.fill(240, (row * 320 + x) * 3, (row * 320 + x + 60) * 3);
      }
      return new Uint8Array(
        await sharp(rgb, { raw: { width: 320, height: 180, channels: 3 } })
          .jpeg({ quality: 80 })
          .toBuffer(),
      );
    };
    const { cap, events } = capture();
    for (let i = 0; i < 70; i++) {
      const jpeg = await jpegOf(i % 20, i >= 20 && i < 30);
      cap.push({ cameraId: 'cam-1', capturedAt: T0 + i * STEP, jpeg, width: 320, height: 180 });
      await cap.whenIdle();
    }
    await cap.flush();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.start, T0 + 20 * STEP);
    assert.equal(events[0]?.end, T0 + 29 * STEP);
    assert.equal(cap.stats.decodeErrors, 0);
  });

  it('rejects bad options, naming them', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['preRollSeconds', { preRollSeconds: -1 }],
      ['preRollSeconds', { preRollSeconds: 30, maxEventSeconds: 30 }],
      ['preRollBytes', { preRollBytes: 24 * 1024 * 1024 }],
      ['postRollSeconds', { postRollSeconds: Number.NaN }],
      ['maxEventSeconds', { maxEventSeconds: 0 }],
      ['maxEventBytes', { maxEventBytes: 0.5 }],
      ['maxBacklog', { maxBacklog: -1 }],
      ['threshold', { motion: { threshold: 300 } }],
      ['postroll', { postroll: 3 }],
    ];
    for (const [option, options] of cases) {
      assert.throws(
        () =>
          new EventCapture({
            cameraId: 'cam-1',
            options: options as Partial<CaptureOptions>,
            onEvent: () => {},
          }),
        (error: unknown) => error instanceof MotionOptionError && error.option === option,
        option,
      );
    }
    assert.throws(
      () => new EventCapture({ cameraId: 'bad id', onEvent: () => {} }),
      (error: unknown) => error instanceof MotionOptionError && error.option === 'cameraId',
    );
  });
});
