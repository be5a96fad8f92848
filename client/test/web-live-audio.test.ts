import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  audioStartTime,
  JOIN_SECONDS,
  MAX_AHEAD_SECONDS,
  MAX_LATE_SECONDS,
  MAX_LATE_SILENCE_SECONDS,
} from '../web/src/live-audio.js';

/** The live sound's scheduling against the video's presentation clock (web/src/live-audio.ts). */

test('audio start: a block whose picture shows later starts exactly then (with its picture, not as it arrives)', () => {
  assert.equal(audioStartTime({ now: 10, nextStart: 0, target: 10.3 }), 10.3);
});

test('audio start: a block within JOIN_SECONDS of the previous block’s end joins it (no gap, no click)', () => {
  const nextStart = 10.3;
  assert.equal(audioStartTime({ now: 10, nextStart, target: nextStart + JOIN_SECONDS / 2 }), nextStart);
  assert.equal(audioStartTime({ now: 10, nextStart, target: nextStart - JOIN_SECONDS / 2 }), nextStart);
  assert.equal(
    audioStartTime({ now: 10, nextStart, target: nextStart + 2 * JOIN_SECONDS }),
    nextStart + 2 * JOIN_SECONDS,
  );
});

test('audio start: a slightly late block starts now (never in the past); one later than MAX_LATE_SECONDS behind its picture is dropped', () => {
  assert.equal(audioStartTime({ now: 10, nextStart: 0, target: 10 - MAX_LATE_SECONDS / 2 }), 10);
  assert.equal(audioStartTime({ now: 10, nextStart: 0, target: 10 - 2 * MAX_LATE_SECONDS }), null);
  // Queued behind earlier sound that ends too late for this block's picture: dropped, so sound catches up.
  assert.equal(audioStartTime({ now: 10, nextStart: 10.5, target: 10.2 }), null);
});

test('audio start: the jitter buffer is bounded: a block more than MAX_AHEAD_SECONDS ahead is dropped', () => {
  assert.equal(audioStartTime({ now: 10, nextStart: 0, target: 10 + MAX_AHEAD_SECONDS + 0.1 }), null);
  assert.equal(
    audioStartTime({ now: 10, nextStart: 0, target: 10 + MAX_AHEAD_SECONDS - 0.1 }),
    10 + MAX_AHEAD_SECONDS - 0.1,
  );
});

test('audio start: before any picture, sound plays as it comes, joined, at most MAX_AHEAD_SECONDS queued', () => {
  assert.equal(audioStartTime({ now: 10, nextStart: 0, target: undefined }), 10);
  assert.equal(audioStartTime({ now: 10, nextStart: 10.02, target: undefined }), 10.02);
  assert.equal(audioStartTime({ now: 10, nextStart: 10 + MAX_AHEAD_SECONDS + 0.1, target: undefined }), null);
});

test('audio start: a steady stream of 21 ms blocks with jittered targets plays back to back, each within MAX_LATE_SECONDS of its picture', () => {
  const block = 1024 / 48_000;
  let nextStart = 0;
  let now = 5;
  for (let i = 0; i < 200; i++) {
    const jitter = ((i * 7919) % 21) / 1000 - 0.01; // ±10 ms of arrival/decode jitter
    const target = 5.2 + i * block + jitter;
    const start = audioStartTime({ now, nextStart, target });
    assert.notEqual(start, null, `block ${i} played`);
    assert.ok(Math.abs(start! - target) <= MAX_LATE_SECONDS, `block ${i}: ${start} vs ${target}`);
    if (i > 0) assert.ok(Math.abs(start! - nextStart) < 1e-9, `block ${i} joins the previous one`);
    nextStart = start! + block;
    now += block;
  }
});

test('audio start: sound that stays later than MAX_LATE_SECONDS plays late once MAX_LATE_SILENCE_SECONDS of it were dropped, never silent for good', () => {
  const late = { now: 10, nextStart: 0, target: 10 - 2 * MAX_LATE_SECONDS };
  assert.equal(audioStartTime({ ...late, lateSilence: 0 }), null);
  assert.equal(audioStartTime({ ...late, lateSilence: MAX_LATE_SILENCE_SECONDS / 2 }), null);
  assert.equal(audioStartTime({ ...late, lateSilence: MAX_LATE_SILENCE_SECONDS }), 10);
  // Too far ahead stays dropped whatever was dropped before.
  assert.equal(
    audioStartTime({ now: 10, nextStart: 0, target: 10 + MAX_AHEAD_SECONDS + 0.1, lateSilence: 5 }),
    null,
  );
});
