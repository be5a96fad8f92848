import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RECONNECT_SECONDS, reconnectWindowSeconds } from '../src/live/reconnect-window.js';

test('the reconnect window is the time admission needs for every connection (1 s at least, 600 at most)', () => {
  assert.equal(reconnectWindowSeconds(0, 500), 1);
  assert.equal(reconnectWindowSeconds(400, 500), 1);
  assert.equal(reconnectWindowSeconds(10_000, 500), 20);
  assert.equal(reconnectWindowSeconds(10_001, 500), 21);
  assert.equal(reconnectWindowSeconds(20_000, 2000), 10);
  assert.equal(reconnectWindowSeconds(10_000_000, 1), MAX_RECONNECT_SECONDS);
});
