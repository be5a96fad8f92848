import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshnessOf, LIVE_FRESHNESS_MS, MAX_CLOCK_ROUND_TRIP_MS, usableSample } from '../src/index.js';

// The device's clock is 1 h ahead of nothing in particular: only differences matter.
const DEVICE_NOW = 1_767_225_600_000;
/** Viewer monotonic instants (ms since its process started). */
const SENT = 50_000;

describe('freshness of live frames (§6.8)', () => {
  const sample = { deviceTime: DEVICE_NOW, sentAt: SENT, receivedAt: SENT + 40 };

  it('a frame captured just now is live; its age bound includes the round trip', () => {
    const fresh = freshnessOf(sample, (DEVICE_NOW - 150) * 1000, SENT + 40);
    assert.deepEqual(fresh, { state: 'live', ageMs: 190 });
  });

  it('frames recorded 47 s earlier are delayed by 47 s, whatever the viewer wall clock says', () => {
    const replayed = freshnessOf(sample, (DEVICE_NOW - 47_000) * 1000, SENT + 40);
    assert.equal(replayed.state, 'delayed');
    assert.equal(replayed.state === 'delayed' && replayed.ageMs, 47_040);
  });

  it('the bound moves with the viewer monotonic clock, not with samples', () => {
    const captured = (DEVICE_NOW + 60_000) * 1000; // a frame captured a minute after the sample
    assert.equal(freshnessOf(sample, captured, SENT + 60_100).state, 'live');
    assert.equal(freshnessOf(sample, captured, SENT + 60_000 + LIVE_FRESHNESS_MS + 1).state, 'delayed');
  });

  it('without a usable sample, or without a capture time, nothing is live', () => {
    assert.deepEqual(freshnessOf(null, DEVICE_NOW * 1000, SENT), { state: 'unconfirmed', why: 'no-clock' });
    assert.deepEqual(freshnessOf(sample, null, SENT), { state: 'unconfirmed', why: 'no-capture-time' });
  });

  it('a sample whose answer took longer than the bound (a relay holding it back) is not used', () => {
    assert.notEqual(usableSample({ ...sample, receivedAt: SENT + MAX_CLOCK_ROUND_TRIP_MS }), null);
    assert.equal(usableSample({ ...sample, receivedAt: SENT + MAX_CLOCK_ROUND_TRIP_MS + 1 }), null);
    assert.equal(usableSample({ ...sample, receivedAt: SENT - 1 }), null);
  });

  it('a relay that delays the answer cannot make old frames look fresh: the delay only adds age', () => {
    // The relay holds the answer 1.9 s and then delivers frames that were 1.9 s old as they came.
    const held = { deviceTime: DEVICE_NOW, sentAt: SENT, receivedAt: SENT + 1900 };
    const oldFrame = freshnessOf(held, (DEVICE_NOW - 1900) * 1000, SENT + 1900);
    assert.equal(oldFrame.state, 'delayed');
  });
});
