import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@sealcam/testkit/seeded';
import { MediaClock } from '../src/camera/media-clock.js';

const FRAME_US = 66_667; // 15 fps
const START_MS = 1_800_000_000_000;

/**
 * A camera whose clock runs `ppm` slow (negative: fast) against ours, its units arriving 5–25 ms
 * after capture (seeded jitter). Returns how far, at the end, capture times lie from true capture.
 */
function run(options: { ppm: number; hours: number; seed: number }): {
  errorsMs: number[];
  lastErrorMs: number;
} {
  let nowMs = START_MS;
  const clock = new MediaClock(() => nowMs);
  const random = seededRandom(options.seed);
  const frames = Math.round((options.hours * 3600 * 1e6) / FRAME_US);
  const errorsMs: number[] = [];
  let lastErrorMs = 0;
  for (let i = 0; i < frames; i++) {
    const trueUs = START_MS * 1000 + i * FRAME_US;
    const ptsUs = i * FRAME_US * (1 - options.ppm / 1e6);
    nowMs = (trueUs + 5000 + random() * 20_000) / 1000;
    clock.observe(ptsUs);
    const capturedUs = clock.wallUs(ptsUs);
    assert.ok(capturedUs <= nowMs * 1000 + 1, `frame ${i}: captured after it arrived`);
    lastErrorMs = (capturedUs - trueUs) / 1000;
    if (i % 54_000 === 0) errorsMs.push(lastErrorMs); // once an hour
  }
  return { errorsMs, lastErrorMs };
}

describe('MediaClock', () => {
  it('follows a camera clock 100 ppm slow for 24 h: capture times stay within the network delay of the truth', () => {
    const { lastErrorMs } = run({ ppm: 100, hours: 24, seed: 1 });
    // A least over all time would be 8.6 s early by now (100 ppm of a day).
    assert.ok(lastErrorMs > -30 && lastErrorMs <= 25, `${lastErrorMs} ms from true capture after 24 h`);
  });

  it('follows a camera clock 100 ppm fast, and a steady one, the same way', () => {
    for (const [ppm, seed] of [
      [-100, 2],
      [0, 3],
    ] as const) {
      const { lastErrorMs } = run({ ppm, hours: 6, seed });
      assert.ok(lastErrorMs > -30 && lastErrorMs <= 25, `${ppm} ppm: ${lastErrorMs} ms from true capture`);
    }
  });

  it('keeps the spacing of the camera, not of the arrival jitter', () => {
    let nowMs = START_MS;
    const clock = new MediaClock(() => nowMs);
    const random = seededRandom(4);
    const captured: number[] = [];
    for (let i = 0; i < 600; i++) {
      nowMs = START_MS + (i * FRAME_US) / 1000 + 5 + random() * 40;
      clock.observe(i * FRAME_US);
      captured.push(clock.wallUs(i * FRAME_US));
    }
    // After the first seconds (the least delay nearly found), spacing is the camera's: exact but
    // where a new least delay or a block's end moves the offset, and then by far less than the jitter.
    let exact = 0;
    for (let i = 200; i < 600; i++) {
      const spacing = captured[i]! - captured[i - 1]!;
      assert.ok(Math.abs(spacing - FRAME_US) < 1000, `frame ${i}: ${spacing} µs after the previous`);
      if (spacing === FRAME_US) exact++;
    }
    assert.ok(exact >= 390, `${exact} of 400 spacings exact`);
  });

  it('a wall clock stepped back keeps the block list bounded and the capture times increasing', () => {
    let nowMs = START_MS;
    const clock = new MediaClock(() => nowMs);
    let last = 0;
    for (let i = 0; i < 2000; i++) {
      // Every 100 frames the wall clock jumps back a minute (a bad NTP server).
      nowMs = START_MS + (i * FRAME_US) / 1000 - Math.floor(i / 100) * 60_000;
      clock.observe(i * FRAME_US);
      const us = clock.wallUs(i * FRAME_US);
      assert.ok(us > last, 'strictly increasing');
      last = us;
    }
    assert.ok((clock as unknown as { blocks: unknown[] }).blocks.length <= 6);
  });
});
