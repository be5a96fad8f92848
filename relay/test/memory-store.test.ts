import { OBJECT_OVERHEAD_BYTES } from '../src/store/fair-share.js';
import { KEYFRAME_CACHE_SHARES, MemoryStore } from '../src/store/memory-store.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', async ({ maxBytes }) => ({
  store: new MemoryStore({ maxBytes }),
  cleanup: async () => {},
}));

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseDeviceId, parseEventId, parseStreamId } from '@sealcam/protocol/relay-safe';

describe('memory store bounds (from the security review)', () => {
  const retention = { ttlMs: 3_600_000, quotaBytes: 1e12 };
  it('keyframes never evict committed events; a nearly full store refuses new objects instead of evicting', async () => {
    const store = new MemoryStore({ maxBytes: 4 * 1024 * 1024 });
    const device = parseDeviceId('cccccccccccccccccccccccccc');
    const event = parseEventId('dddddddddddddddddddddddddd');
    assert.equal(
      await store.putEventItem(device, event, 'thumbnail', new Uint8Array(100_000), 0, retention),
      'created',
    );
    assert.equal(
      await store.commitEvent(
        device,
        event,
        { streamId: parseStreamId('s'), time: 0 },
        new Uint8Array(1000),
        0,
        retention,
      ),
      'created',
    );
    for (let i = 0; i < 100; i++)
      await store.putKeyframe(device, parseStreamId(`junk-${i}`), new Uint8Array(200_000), 0, retention);
    assert.ok(await store.getEvent(device, event), 'the committed event survived the keyframe flood');
    assert.ok(await store.getEventItem(device, event, 'thumbnail'));
    let result = 'created';
    for (let i = 0; i < 100 && result === 'created'; i++) {
      result = await store.putEventItem(device, event, `chunk-${i}`, new Uint8Array(300_000), 0, retention);
    }
    assert.equal(result, 'quota', 'the one device storing is refused beyond its fair share');
    assert.ok(await store.getEvent(device, event), 'nothing committed was evicted to make room');
  });

  it('one device with many streams holds at most an eighth of the keyframe cache: another device keeps its cached keyframe', async () => {
    // 16 MiB store: a 1.6 MiB keyframe cache, of which one device may hold about 200 KiB.
    const store = new MemoryStore({ maxBytes: 16 * 1024 * 1024 });
    const honest = parseDeviceId('eeeeeeeeeeeeeeeeeeeeeeeeee');
    const flooder = parseDeviceId('ffffffffffffffffffffffffff');
    const share = Math.floor(Math.max(1_048_576, (16 * 1024 * 1024) / 10) / KEYFRAME_CACHE_SHARES);
    assert.equal(
      await store.putKeyframe(honest, parseStreamId('door'), new Uint8Array(20_000), 0, retention),
      'stored',
    );
    const results: string[] = [];
    for (let i = 0; i < 100; i++)
      results.push(
        await store.putKeyframe(flooder, parseStreamId(`junk-${i}`), new Uint8Array(20_000), 0, retention),
      );
    const stored = results.filter((result) => result === 'stored').length;
    assert.equal(stored, Math.floor(share / (20_000 + OBJECT_OVERHEAD_BYTES)), 'stored up to its share');
    assert.ok(
      results.slice(stored).every((result) => result === 'quota'),
      'then refused, not evicting others',
    );
    assert.ok(
      await store.getKeyframe(honest, parseStreamId('door')),
      "the other device's keyframe is still cached",
    );
    // A replacement of a cached keyframe fits in the same share.
    assert.equal(
      await store.putKeyframe(flooder, parseStreamId('junk-0'), new Uint8Array(20_000), 0, retention),
      'stored',
    );
  });

  it('auth challenges are bounded by maxRecords: past it, the soonest to expire is dropped first', async () => {
    const store = new MemoryStore({ maxBytes: 4 * 1024 * 1024, maxRecords: 3 });
    await store.putChallenge('a', 60_000);
    await store.putChallenge('short', 1_000);
    for (const name of ['b', 'c']) await store.putChallenge(name, 60_000);
    assert.equal(await store.takeChallenge('short'), false, 'the soonest to expire made room');
    for (const name of ['a', 'b', 'c']) assert.equal(await store.takeChallenge(name), true, name);
    // Emptied and refilled many times over: still single-use, still bounded.
    for (let round = 0; round < 50; round++) {
      await store.putChallenge(`r${round}`, 60_000);
      assert.equal(await store.takeChallenge(`r${round}`), true);
      assert.equal(await store.takeChallenge(`r${round}`), false);
    }
  });

  it('owner statements in an inbox survive a flood of other mailboxes', async () => {
    const store = new MemoryStore({ maxBytes: 1024 * 1024, maxRecords: 100 });
    assert.equal(
      await store.pushMailbox(
        'inbox:device',
        new Uint8Array([1]),
        { ttlMs: 600_000, maxMessages: 64, maxBytes: Number.POSITIVE_INFINITY },
        Date.now(),
      ),
      'queued',
    );
    for (let i = 0; i < 500; i++)
      await store.pushMailbox(
        `pairing:x:${i}`,
        new Uint8Array([2]),
        { ttlMs: 600_000, maxMessages: 4, maxBytes: Number.POSITIVE_INFINITY },
        Date.now(),
      );
    assert.deepEqual(await store.takeMailbox('inbox:device', Date.now()), [new Uint8Array([1])]);
  });
});

describe('memory store per-device index (from the security review)', () => {
  const retention = { ttlMs: 60_000, quotaBytes: 1e12 };
  const NOW = 1_767_225_600_000;
  const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
  /** The i-th of many distinct device ids. */
  const deviceOf = (i: number) =>
    parseDeviceId(
      Array.from({ length: 26 }, (_, at) => BASE32[Math.floor(i / 32 ** (at % 4)) % 32]).join(''),
    );
  const eventOf = (i: number) => parseEventId(`${'e'.repeat(20)}${deviceOf(i).slice(0, 6)}`);
  const stream = parseStreamId('cam-1');

  it('reading 10,000 unknown devices (usage, events, streams, manifests, keyframes) adds no index entry', async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 10_000; i++) {
      const device = deviceOf(i);
      assert.equal(await store.usage(device, NOW, retention), 0);
      assert.deepEqual(await store.listEvents(device, { from: 0, to: NOW, limit: 10 }), {
        events: [],
        next: null,
      });
      assert.deepEqual(await store.listStreams(device), []);
      assert.equal(await store.getManifest(device, stream, 'latest'), null);
      assert.equal(await store.getKeyframe(device, stream), null);
      assert.equal(await store.deleteEvent(device, eventOf(i)), false);
    }
    assert.equal(store.indexedDevices(), 0);
    assert.equal((await store.stats()).identities, 0);
  });

  it('a device whose objects were all deleted or expired leaves no index entry', async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    const device = deviceOf(1);
    const event = eventOf(1);
    assert.equal(
      await store.putEventItem(device, event, 'thumbnail', new Uint8Array(50), NOW, retention),
      'created',
    );
    assert.equal(
      await store.commitEvent(
        device,
        event,
        { streamId: stream, time: NOW },
        new Uint8Array(50),
        NOW,
        retention,
      ),
      'created',
    );
    assert.equal(store.indexedDevices(), 1);
    assert.equal(await store.deleteEvent(device, event), true);
    assert.equal(store.indexedDevices(), 0, 'a deleted last event takes the index with it');

    assert.equal(await store.putManifest(device, stream, 1, new Uint8Array(50), NOW, retention), 'created');
    assert.equal(await store.putKeyframe(device, stream, new Uint8Array(50), NOW, retention), 'stored');
    assert.equal(store.indexedDevices(), 1);
    const later = NOW + retention.ttlMs + 1;
    assert.equal(await store.usage(device, later, retention), 0);
    assert.equal(store.indexedDevices(), 0, 'expired manifest and keyframe take the index with them');
    assert.deepEqual(await store.listStreams(device), []);
    assert.equal(await store.getManifest(device, stream, 'latest'), null);
  });

  it("writes release silent devices' expired objects oldest first, a bounded batch per write, until none is indexed", async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    const SILENT = 3000;
    for (let i = 0; i < SILENT; i++)
      await store.putEventItem(deviceOf(i), eventOf(i), 'thumbnail', new Uint8Array(50), NOW + i, retention);
    assert.equal(store.indexedDevices(), SILENT);
    const writer = deviceOf(SILENT);
    const later = NOW + retention.ttlMs + SILENT;
    let writes = 0;
    const indexed: number[] = [];
    while (store.indexedDevices() > 1 && writes < 100) {
      await store.putEventItem(
        writer,
        eventOf(SILENT + writes),
        'thumbnail',
        new Uint8Array(50),
        later,
        retention,
      );
      writes++;
      indexed.push(store.indexedDevices());
    }
    assert.ok(indexed[0]! > 1, `one write does not walk every silent device (${indexed[0]} left after it)`);
    assert.equal(store.indexedDevices(), 1, `every silent device released within ${writes} writes`);
    assert.deepEqual(await store.stats(), {
      usedBytes: writes * (50 + OBJECT_OVERHEAD_BYTES),
      maxBytes: 64 * 1024 * 1024,
      identities: 1,
      homes: 1,
    });
  });

  it("a device's own expired objects are released a bounded batch per write, and all are released within a few", async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    const device = deviceOf(0);
    const OLD = 3000;
    for (let i = 0; i < OLD; i++)
      await store.putEventItem(device, eventOf(i), 'thumbnail', new Uint8Array(50), NOW + i, retention);
    const later = NOW + retention.ttlMs + OLD;
    const charged = 50 + OBJECT_OVERHEAD_BYTES;
    const used: number[] = [];
    for (let write = 0; write < 5; write++) {
      await store.putEventItem(
        device,
        eventOf(OLD + write),
        'thumbnail',
        new Uint8Array(50),
        later,
        retention,
      );
      used.push((await store.stats()).usedBytes);
    }
    assert.ok(
      used[0]! > 100 * charged,
      `one write does not release all ${OLD} expired objects (${used[0]} B left)`,
    );
    assert.equal(used.at(-1), 5 * charged, `all released within 5 writes (${used})`);
  });
});

describe('memory store under identity churn (#16 item 5)', () => {
  it('30 cycles of 400 new devices, each cycle past the last one’s retention: index and heap stay flat', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const retention = { ttlMs: 60_000, quotaBytes: 1e12 };
    const store = new MemoryStore({ maxBytes: 256 * 1024 * 1024 });
    const stream = parseStreamId('cam-1');
    const DEVICES = 400;
    const heapAt: number[] = [];
    const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
    /** 26 characters of the id alphabet, one string per number. */
    const distinct = (n: number, lead: string) =>
      lead + Array.from({ length: 25 }, (_, at) => BASE32[Math.floor(n / 32 ** at) % 32]).join('');
    let serial = 0;
    for (let cycle = 0; cycle < 30; cycle++) {
      // Each cycle is a retention period later: what the last cycle stored has expired.
      const now = 1_767_225_600_000 + cycle * (retention.ttlMs + 1);
      for (let i = 0; i < DEVICES; i++) {
        const device = parseDeviceId(distinct(serial, 'd'));
        const event = parseEventId(distinct(serial, 'e'));
        serial++;
        const payload = new Uint8Array(2048).fill(i & 0xff);
        assert.equal(
          await store.putEventItem(device, event, 'thumbnail', payload, now, retention),
          'created',
        );
        assert.equal(
          await store.commitEvent(device, event, { streamId: stream, time: now }, payload, now, retention),
          'created',
        );
        assert.equal(await store.putManifest(device, stream, 1, payload, now, retention), 'created');
        assert.equal(await store.putKeyframe(device, stream, payload, now, retention), 'stored');
      }
      assert.ok(
        store.indexedDevices() <= 2 * DEVICES,
        `cycle ${cycle}: ${store.indexedDevices()} devices indexed (at most this cycle's and the last's)`,
      );
      gc();
      heapAt.push(process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
    }
    // Not released, each cycle would add ~400 × 4 objects × 2 KiB ≈ 3.2 MB: 80 MB over 25 cycles.
    const growth = heapAt.at(-1)! - heapAt[4]!;
    assert.ok(growth < 8 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB after warm-up`);
    const stats = await store.stats();
    assert.ok(stats.identities <= 2 * DEVICES, `${stats.identities} identities charged`);
  });
});
