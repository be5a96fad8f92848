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

  it('frames recorded 47 s earlier are delayed by 47 s (only device time and viewer monotonic time enter)', () => {
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
    const frame = (DEVICE_NOW - 1900) * 1000;
    // Answered at once, a frame 1.9 s old is live with an age bound of about 1.9 s.
    const prompt = freshnessOf(
      { deviceTime: DEVICE_NOW, sentAt: SENT, receivedAt: SENT + 5 },
      frame,
      SENT + 5,
    );
    assert.equal(prompt.state, 'live');
    // The relay held the question 1.9 s before the device saw it (the device signed later): the
    // same frame's bound grows by the 1.9 s held, over the live bound.
    const held = { deviceTime: DEVICE_NOW, sentAt: SENT - 1900, receivedAt: SENT + 5 };
    const late = freshnessOf(held, frame, SENT + 5);
    assert.equal(late.state, 'delayed');
    assert.ok(late.state === 'delayed' && prompt.state === 'live' && late.ageMs - prompt.ageMs >= 1900);
  });

  it('the bound allows for drift between the clocks (500 ppm), so it never understates an age', () => {
    const captured = (DEVICE_NOW + 100_000) * 1000;
    const at = SENT + 100_000;
    const fresh = freshnessOf(sample, captured, at);
    assert.deepEqual(fresh, { state: 'live', ageMs: 50 }, '100 s after the question: 50 ms of allowance');
  });

  it('a frame younger than the sample allows means the sample no longer holds: unconfirmed, clock-changed', () => {
    // Captured 10 s "after" what the device clock can read at this instant: the viewer slept, or a clock stepped.
    assert.deepEqual(freshnessOf(sample, (DEVICE_NOW + 10_000) * 1000, SENT + 40), {
      state: 'unconfirmed',
      why: 'clock-changed',
    });
    // Within the contradiction margin (a device clock a little ahead of the bound): live.
    assert.equal(freshnessOf(sample, (DEVICE_NOW + 500) * 1000, SENT + 40).state, 'live');
  });
});
