import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { KeyedRateLimit } from '../src/http/admission.js';
import { FairBucket } from '../src/http/fair-bucket.js';
import { NewDeviceLimit } from '../src/http/new-devices.js';
import { WindowCounter } from '../src/http/window-counter.js';

const DISTINCT = 200_000;
const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('per-source limiters stay bounded in entries whoever asks', () => {
  it('NewDeviceLimit tracks at most 100,000 of 200,000 distinct sources, and still refuses a busy one', async () => {
    const limit = new NewDeviceLimit(3);
    for (let i = 0; i < DISTINCT; i++) assert.equal(await limit.admit(address(i), `device-${i}`), null);
    assert.ok(limit.sources <= 100_000, `${limit.sources} sources tracked`);
    for (let i = 0; i < 3; i++) assert.equal(await limit.admit('192.0.2.1', `new-${i}`), null);
    const wait = await limit.admit('192.0.2.1', 'new-3');
    assert.ok(wait !== null && wait >= 1 && wait <= 3600, `refused for ${wait} s`);
    // A device seen from this source is not new.
    assert.equal(await limit.admit('192.0.2.1', 'new-0'), null);
  });

  it('KeyedRateLimit tracks at most 100,000 of 200,000 distinct keys, and still refuses a key over its rate', async () => {
    const limit = new KeyedRateLimit(5);
    for (let i = 0; i < DISTINCT; i++) assert.equal(await limit.take(address(i)), null);
    assert.ok(limit.keys <= 100_000, `${limit.keys} keys tracked`);
    const answers: (number | null)[] = [];
    for (let i = 0; i < 11; i++) answers.push(await limit.take('192.0.2.1'));
    assert.deepEqual(answers.slice(0, 10), Array(10).fill(null));
    assert.ok((answers[10] ?? 0) >= 1, 'the 11th within 2 s is refused');
  });

  it('WindowCounter keeps keys of at most 128 characters (a 12 KB key is cut)', () => {
    const counter = new WindowCounter(1, 60_000, 10);
    assert.equal(counter.take(`${'a'.repeat(128)}${'b'.repeat(12_000)}`), null);
    // The same first 128 characters are the same key.
    assert.ok((counter.take(`${'a'.repeat(128)}c`) ?? 0) >= 1);
    for (let i = 0; i < 100; i++) counter.take(`key-${i}`);
    assert.equal(counter.size, 10);
  });

  it('FairBucket remembers the takes of at most 2 x (bucket + rate) sources and counts at most maxAskers askers: 200,000 sources', () => {
    let now = 1_000_000;
    mock.method(performance, 'now', () => now);
    try {
      const bucket = new FairBucket(100, 100, 1000);
      for (let i = 0; i < DISTINCT; i++) {
        bucket.take(address(i));
        if (i % 1000 === 999) now += 10;
      }
      assert.ok(bucket.remembered <= 2 * (100 + 100), `${bucket.remembered} sources remembered`);
      assert.ok(bucket.askers <= 1000, `${bucket.askers} askers counted`);
      // Once nobody took for two seconds, nobody is remembered.
      now += 2000;
      bucket.take('192.0.2.2');
      assert.ok(bucket.remembered <= 1);
    } finally {
      mock.restoreAll();
    }
  });
});
