import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clipLength,
  clipOffsets,
  frameIndexAt,
  frameInterval,
  MAX_GAP_MS,
} from '../web/src/clip-timeline.js';

test('offsets follow capture times, never go back, and cap long stalls', () => {
  assert.deepEqual(clipOffsets([]), []);
  assert.deepEqual(clipOffsets([1000, 1100, 1250, 1250, 1200, 1300]), [0, 100, 250, 250, 250, 350]);
  assert.deepEqual(clipOffsets([0, 100, 100 + 60_000]), [0, 100, 100 + MAX_GAP_MS]);
});

test('the frame on screen at each moment', () => {
  const offsets = [0, 100, 200, 400];
  assert.equal(frameIndexAt(offsets, -5), 0);
  assert.equal(frameIndexAt(offsets, 0), 0);
  assert.equal(frameIndexAt(offsets, 99), 0);
  assert.equal(frameIndexAt(offsets, 100), 1);
  assert.equal(frameIndexAt(offsets, 399), 2);
  assert.equal(frameIndexAt(offsets, 10_000), 3);
  assert.equal(frameIndexAt([], 5), -1);
  assert.equal(frameIndexAt([0, 0, 0], 0), 2, 'frames with the same time: the last one');
});

test('length adds one typical frame interval after the last frame', () => {
  assert.equal(frameInterval([0, 100, 200, 1000]), 100);
  assert.equal(clipLength([0, 100, 200]), 300);
  assert.equal(clipLength([0]), 100);
  assert.equal(clipLength([]), 0);
});
