import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { seededRandom } from '@sealcam/testkit/seeded';
import { FairBucket } from '../src/http/fair-bucket.js';

/** A shuffled copy of `items` (Fisher-Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('FairBucket: many sources cannot drain the relay-wide bucket', () => {
  // The bucket and its fairness read one clock, performance.now(): the test drives it.
  let now = 0;
  beforeEach(() => {
    now = 1_000_000;
    mock.method(performance, 'now', () => now);
  });
  afterEach(() => mock.restoreAll());

  it('60 hammering sources, stalls of up to 2 s and bursts at second boundaries never refuse a source asking once a second (rate 130)', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = seededRandom(seed);
      const bucket = new FairBucket(130, 1);
      const attackers = Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`);
      let nextHonest = now;
      const honest: Array<'taken' | string> = [];
      let attackerTaken = 0;
      let attackerFairShare = 0;
      const end = now + 60_000;
      while (now < end) {
        // Every attacker several times, in a shuffled order, at each step.
        for (let round = 0; round < 3; round++) {
          for (const attacker of shuffled(attackers, random)) {
            // The event loop may stall between any two requests.
            if (random() < 0.0005) now += 1000 + random() * 1000;
            const refused = bucket.take(attacker);
            if (!refused) attackerTaken += 1;
            else if (refused.reason === 'fair-share') attackerFairShare += 1;
          }
        }
        if (now >= nextHonest) {
          honest.push(bucket.take('192.0.2.1')?.reason ?? 'taken');
          nextHonest = now + 1000;
        }
        // Mostly small steps; sometimes a stall (a loaded machine), sometimes to just before a
        // whole second after the last honest take (attackers aligned on its boundary).
        const dice = random();
        now +=
          dice < 0.05
            ? 1000 + random() * 1000
            : dice < 0.15
              ? Math.max(1, nextHonest - 1 - now)
              : 1 + random() * 20;
      }
      assert.ok(honest.length >= 25, `seed ${seed}: ${honest.length} honest attempts`);
      assert.deepEqual(
        honest.filter((outcome) => outcome !== 'taken'),
        [],
        `seed ${seed}: the honest source was refused`,
      );
      assert.ok(attackerFairShare > 0, `seed ${seed}: attackers were never refused their share`);
      // Fair is not starved: each attacker still took about one a second.
      assert.ok(attackerTaken >= 60 * 50, `seed ${seed}: attackers took ${attackerTaken}`);
    }
  });

  it('a source alone is not held to one a second: it takes about the rate', () => {
    const bucket = new FairBucket(100, 1);
    let taken = 0;
    const end = now + 10_000;
    while (now < end) {
      if (!bucket.take('10.0.0.1')) taken += 1;
      now += 1;
    }
    // 10 s at 100 a second plus the bucket's 100 at the start.
    assert.ok(taken >= 950 && taken <= 1100, `${taken} taken`);
  });

  it('refuses a source that took under pressure less than a second ago with fair-share and the time left', () => {
    const bucket = new FairBucket(10, 100);
    for (let i = 0; i < 60; i++) assert.equal(bucket.take(`10.0.0.${i}`), null);
    // Less than half left: the bucket is under pressure.
    assert.equal(bucket.take('192.0.2.9'), null);
    now += 300;
    assert.deepEqual(bucket.take('192.0.2.9'), { reason: 'fair-share', msBeforeNext: 700 });
    // A whole second, not less: still refused 999 ms after its take.
    now += 699;
    assert.deepEqual(bucket.take('192.0.2.9'), { reason: 'fair-share', msBeforeNext: 1 });
    now += 1;
    assert.equal(bucket.take('192.0.2.9'), null);
  });
});
