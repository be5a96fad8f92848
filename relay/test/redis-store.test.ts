import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DeviceId,
  type EventId,
  parseDeviceId,
  parseEventId,
  parseStreamId,
} from '@sealcam/protocol/relay-safe';
import { until, within } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import { seededRandom } from '@sealcam/testkit/seeded';
import { createClient } from 'redis';
import { OBJECT_OVERHEAD_BYTES as OVERHEAD } from '../src/store/fair-share.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { createRedisStore, maxMemoryWarning, type RedisStore } from '../src/store/redis-store.js';
import type { EventListing, ListQuery, Retention, Store } from '../src/store/store.js';
import { runStoreConformance } from './store-conformance.js';

/** Identity records are kept this long in these tests. */
const DAY_MS = 86_400_000;

const CAM_1 = parseStreamId('cam-1');
const STREAM_S = parseStreamId('s');

requireProgram('redis-server');

const NOW = 1_767_225_600_000;
const STORE_BYTES = 64 * 1024 * 1024;
const RETENTION: Retention = { ttlMs: 3_600_000, quotaBytes: 10_000_000 };
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A 26-character base32 id from a number (distinct numbers give distinct ids). */
function idText(n: number, lead = 'a'): string {
  let text = '';
  let rest = n;
  for (let i = 0; i < 12; i++) {
    text = BASE32[rest % 32]! + text;
    rest = Math.floor(rest / 32);
  }
  return `${lead.repeat(14)}${text}`;
}

const deviceIdOf = (n: number, lead: string): DeviceId => parseDeviceId(idText(n, lead));
const eventIdOf = (n: number): EventId => parseEventId(idText(n));

function blob(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** Every byte value, zeros and invalid UTF-8 included. */
function binary(): Uint8Array {
  const bytes = new Uint8Array(1024 + 256);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  for (let i = 256; i < bytes.length; i++) bytes[i] = (i * 131 + 7) % 256;
  bytes.set([0xc3, 0x28, 0xff, 0xfe, 0x00, 0x00, 0xed, 0xa0, 0x80], 300);
  return bytes;
}

/**
 * The commands' timeout in the outage test: far above any delay of a busy machine, so "fails fast"
 * (no waiting for Redis) is told apart from "failed when the command timed out" without a stopwatch
 * tight enough to trip on load.
 */
const OUTAGE_COMMAND_TIMEOUT_MS = 30_000;

/** The promise must reject, and well before the command timeout (it must not wait for Redis). */
async function rejectsWithin(promise: Promise<unknown>, what: string): Promise<void> {
  const outcome = await within(
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    OUTAGE_COMMAND_TIMEOUT_MS / 2,
    what,
  );
  assert.equal(outcome, 'rejected', `${what} rejects`);
}

async function allPages(store: Store, deviceId: DeviceId, query: ListQuery): Promise<EventListing[]> {
  const seen: EventListing[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.listEvents(deviceId, { ...query, after });
    assert.ok(page.events.length <= query.limit);
    seen.push(...page.events);
    if (!page.next) return seen;
    after = page.next;
  }
  assert.fail('too many pages');
}

runStoreConformance('redis', async ({ maxBytes }) => {
  const redis = await TestRedis.start();
  try {
    const store = await createRedisStore({ url: redis.url, maxBytes });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
});

describe('redis store', () => {
  let redis: TestRedis;
  let raw: ReturnType<typeof createClient>;

  before(async () => {
    redis = await TestRedis.start();
    raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    await raw.connect();
  });

  after(async () => {
    raw?.destroy();
    await redis?.stop();
  });

  async function open(keyPrefix?: string): Promise<RedisStore> {
    return keyPrefix === undefined
      ? await createRedisStore({ url: redis.url, maxBytes: STORE_BYTES })
      : await createRedisStore({ url: redis.url, keyPrefix, maxBytes: STORE_BYTES });
  }

  it('two stores on one Redis share their data; racing commits create an event once', async () => {
    const a = await open('shared:');
    const b = await open('shared:');
    try {
      const device = deviceIdOf(1, 'b');
      await a.putCard(device, blob(40, 4), DAY_MS);
      assert.deepEqual(new Uint8Array((await b.getCard(device))!), blob(40, 4));

      for (let round = 0; round < 25; round++) {
        const eventId = eventIdOf(100 + round);
        const meta = { streamId: CAM_1, time: NOW + round };
        const same = await Promise.all([
          a.commitEvent(device, eventId, meta, blob(20, round), NOW, RETENTION),
          b.commitEvent(device, eventId, meta, blob(20, round), NOW, RETENTION),
        ]);
        assert.deepEqual([...same].sort(), ['created', 'exists']);
        const other = eventIdOf(500 + round);
        const differ = await Promise.all([
          a.commitEvent(device, other, meta, blob(20, 1), NOW, RETENTION),
          b.commitEvent(device, other, meta, blob(20, 2), NOW, RETENTION),
        ]);
        assert.deepEqual([...differ].sort(), ['conflict', 'created']);
      }
      const listed = await allPages(b, device, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 7 });
      assert.equal(listed.length, 50, 'each event listed once');
      assert.equal(new Set(listed.map((event) => event.eventId)).size, 50);
      assert.equal(await a.usage(device, NOW, RETENTION), 50 * (20 + OVERHEAD));
      assert.equal(await b.usage(device, NOW, RETENTION), 50 * (20 + OVERHEAD));

      // Racing uploads from both processes never go over the quota nor charge twice.
      const tight: Retention = { ttlMs: 3_600_000, quotaBytes: 10 * (100 + OVERHEAD) };
      const quotaDevice = deviceIdOf(2, 'b');
      const eventId = eventIdOf(900);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).putEventItem(
            quotaDevice,
            eventId,
            `chunk-${i % 15}`,
            blob(100, i % 15),
            NOW,
            tight,
          ),
        ),
      );
      assert.equal(results.filter((result) => result === 'created').length, 10);
      assert.equal(results.filter((result) => result === 'exists').length, 10);
      assert.equal(results.filter((result) => result === 'quota').length, 10);
      assert.equal(await b.usage(quotaDevice, NOW, tight), 10 * (100 + OVERHEAD));

      // Single-use challenges stay single-use across processes.
      for (let i = 0; i < 20; i++) {
        await a.putChallenge(`challenge-${i}`, 60_000);
        const taken = await Promise.all([
          a.takeChallenge(`challenge-${i}`),
          b.takeChallenge(`challenge-${i}`),
        ]);
        assert.equal(taken.filter(Boolean).length, 1);
      }
      // Access lists: of racing versions the highest wins.
      await Promise.all([
        a.putAccessList(device, 5, blob(8, 5), DAY_MS, { ttlMs: DAY_MS, quotaBytes: 1e6 }),
        b.putAccessList(device, 7, blob(8, 7), DAY_MS, { ttlMs: DAY_MS, quotaBytes: 1e6 }),
        a.putAccessList(device, 6, blob(8, 6), DAY_MS, { ttlMs: DAY_MS, quotaBytes: 1e6 }),
      ]);
      assert.deepEqual(new Uint8Array((await b.getAccessList(device))!), blob(8, 7));
      // Bounded mailboxes stay bounded under racing pushes.
      const pushed = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? a : b).pushMailbox(
            'race',
            blob(3, i),
            { ttlMs: 60_000, maxMessages: 5, maxBytes: Number.POSITIVE_INFINITY },
            Date.now(),
          ),
        ),
      );
      assert.equal(pushed.filter((result) => result === 'queued').length, 5);
      assert.equal((await a.takeMailbox('race', Date.now())).length, 5);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keyPrefix isolates two stores on one Redis', async () => {
    const a = await open('tenant-a:');
    const b = await open('tenant-b:');
    const plain = await open();
    try {
      const device = deviceIdOf(3, 'c');
      await a.putCard(device, blob(10, 1), DAY_MS);
      await b.putCard(device, blob(10, 2), DAY_MS);
      assert.deepEqual(new Uint8Array((await a.getCard(device))!), blob(10, 1));
      assert.deepEqual(new Uint8Array((await b.getCard(device))!), blob(10, 2));
      assert.equal(await plain.getCard(device), null);
      const eventId = eventIdOf(7);
      const meta = { streamId: CAM_1, time: NOW };
      assert.equal(await a.commitEvent(device, eventId, meta, blob(10, 1), NOW, RETENTION), 'created');
      assert.equal(await b.commitEvent(device, eventId, meta, blob(10, 2), NOW, RETENTION), 'created');
      assert.equal(await a.usage(device, NOW, RETENTION), 10 + OVERHEAD);
      assert.equal(await a.deleteEvent(device, eventId), true);
      assert.deepEqual(new Uint8Array((await b.getEvent(device, eventId))!), blob(10, 2));
      await plain.putCard(device, blob(10, 3), DAY_MS);
      const keys = (await raw.keys('*')).map(String);
      assert.ok(keys.some((name) => name.startsWith('tenant-a:')));
      assert.ok(keys.some((name) => name.startsWith('tenant-b:')));
      assert.ok(keys.includes(`sealcam:card:${device}`), 'the default prefix is sealcam:');
    } finally {
      await a.close();
      await b.close();
      await plain.close();
    }
  });

  it('is binary-safe on every path', async () => {
    const store = await open('binary:');
    try {
      const bytes = binary();
      const device = deviceIdOf(4, 'd');
      const same = (actual: Uint8Array | null) => assert.deepEqual(new Uint8Array(actual!), bytes);
      await store.putCard(device, bytes, DAY_MS);
      same(await store.getCard(device));
      await store.putAccessList(device, 1, bytes, DAY_MS, { ttlMs: DAY_MS, quotaBytes: 1e6 });
      same(await store.getAccessList(device));
      assert.equal(await store.putManifest(device, CAM_1, 1, bytes, NOW, RETENTION), 'created');
      assert.equal(await store.putManifest(device, CAM_1, 1, bytes, NOW, RETENTION), 'exists');
      same(await store.getManifest(device, CAM_1, 'latest'));
      await store.putKeyframe(device, CAM_1, bytes, NOW, RETENTION);
      same(await store.getKeyframe(device, CAM_1));
      const eventId = eventIdOf(8);
      assert.equal(await store.putEventItem(device, eventId, 'thumbnail', bytes, NOW, RETENTION), 'created');
      assert.equal(await store.putEventItem(device, eventId, 'thumbnail', bytes, NOW, RETENTION), 'exists');
      const flipped = bytes.slice();
      flipped[0] = flipped[0]! ^ 1;
      assert.equal(
        await store.putEventItem(device, eventId, 'thumbnail', flipped, NOW, RETENTION),
        'conflict',
      );
      same(await store.getEventItem(device, eventId, 'thumbnail'));
      const meta = { streamId: CAM_1, time: NOW };
      assert.equal(await store.commitEvent(device, eventId, meta, bytes, NOW, RETENTION), 'created');
      same(await store.getEvent(device, eventId));
      // A view into a larger buffer stores only its own bytes.
      const backing = new Uint8Array(bytes.length + 20).fill(0xaa);
      backing.set(bytes, 10);
      await store.putCard(deviceIdOf(5, 'd'), backing.subarray(10, 10 + bytes.length), DAY_MS);
      same(await store.getCard(deviceIdOf(5, 'd')));
      assert.equal(
        await store.pushMailbox(
          'binary-box',
          bytes,
          { ttlMs: 60_000, maxMessages: 3, maxBytes: Number.POSITIVE_INFINITY },
          Date.now(),
        ),
        'queued',
      );
      assert.equal(
        await store.pushMailbox(
          'binary-box',
          new Uint8Array(0),
          { ttlMs: 60_000, maxMessages: 3, maxBytes: Number.POSITIVE_INFINITY },
          Date.now(),
        ),
        'queued',
      );
      const messages = await store.takeMailbox('binary-box', Date.now());
      assert.equal(messages.length, 2);
      same(messages[0]!);
      assert.equal(messages[1]!.length, 0);
    } finally {
      await store.close();
    }
  });

  it('pages through many events at the same time without repeats or gaps', async () => {
    const store = await open('ties:');
    try {
      const device = deviceIdOf(6, 'e');
      const ids: string[] = [];
      // Inserted in a scrambled order; 60 events share one time, others surround them.
      const order = Array.from({ length: 60 }, (_, i) => (i * 37) % 60);
      for (const n of order) {
        ids.push(eventIdOf(1000 + n));
        await store.commitEvent(
          device,
          eventIdOf(1000 + n),
          { streamId: STREAM_S, time: NOW },
          blob(5, n),
          NOW,
          RETENTION,
        );
      }
      await store.commitEvent(
        device,
        eventIdOf(1),
        { streamId: STREAM_S, time: NOW - 1 },
        blob(5, 1),
        NOW,
        RETENTION,
      );
      await store.commitEvent(
        device,
        eventIdOf(2),
        { streamId: STREAM_S, time: NOW + 1 },
        blob(5, 2),
        NOW,
        RETENTION,
      );
      for (const limit of [1, 7, 59, 60, 61]) {
        const seen = await allPages(store, device, { from: NOW, to: NOW, limit });
        assert.deepEqual(
          seen.map((event) => event.eventId),
          [...ids].sort(),
          `limit ${limit}`,
        );
      }
      // An event committed mid-listing at the same time and a smaller id than the cursor is not
      // returned by later pages (it sorts before the cursor); a larger one is.
      const first = await store.listEvents(device, { from: NOW, to: NOW, limit: 30 });
      const smallest = parseEventId('2'.repeat(26));
      const largest = parseEventId('z'.repeat(26));
      await store.commitEvent(
        device,
        smallest,
        { streamId: STREAM_S, time: NOW },
        blob(5, 0),
        NOW,
        RETENTION,
      );
      await store.commitEvent(device, largest, { streamId: STREAM_S, time: NOW }, blob(5, 0), NOW, RETENTION);
      const everything = await allPages(store, device, { from: NOW, to: NOW, limit: 30 });
      assert.deepEqual(
        everything.map((event) => event.eventId),
        [smallest, ...[...ids].sort(), largest],
      );
      const next = await store.listEvents(device, { from: NOW, to: NOW, limit: 100, after: first.next! });
      assert.deepEqual(
        next.events.map((event) => event.eventId),
        [...ids].sort().slice(30).concat(largest),
      );
      assert.equal(next.next, null);
    } finally {
      await store.close();
    }
  });

  it('lists exactly like the memory store (random times with many ties, random windows)', async () => {
    const store = await open('differential:');
    const memory = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    try {
      const next = seededRandom(42);
      const device = deviceIdOf(9, 'f');
      for (let i = 0; i < 300; i++) {
        const eventId = eventIdOf(Math.floor(next() * 1_000_000));
        const meta = {
          streamId: parseStreamId(`cam-${Math.floor(next() * 3)}`),
          time: NOW + Math.floor(next() * 20) * 1000,
        };
        const bytes = blob(1 + Math.floor(next() * 50), i % 256);
        const expected = await memory.commitEvent(device, eventId, meta, bytes, NOW, RETENTION);
        assert.equal(await store.commitEvent(device, eventId, meta, bytes, NOW, RETENTION), expected);
        if (next() < 0.1) {
          assert.equal(await store.deleteEvent(device, eventId), await memory.deleteEvent(device, eventId));
        }
      }
      for (let q = 0; q < 40; q++) {
        const a = NOW + Math.floor(next() * 22) * 1000 - 1000;
        const b = NOW + Math.floor(next() * 22) * 1000 - 1000;
        const query = { from: Math.min(a, b), to: Math.max(a, b), limit: 1 + Math.floor(next() * 40) };
        assert.deepEqual(
          await allPages(store, device, query),
          await allPages(memory, device, query),
          JSON.stringify(query),
        );
      }
      assert.equal(await store.usage(device, NOW, RETENTION), await memory.usage(device, NOW, RETENTION));
    } finally {
      await store.close();
      await memory.close();
    }
  });

  it('sets Redis TTLs on blobs, none on the charge index (it releases them), and removes pruned events with all their keys', async () => {
    const store = await open('prune:');
    try {
      const device = deviceIdOf(10, 'g');
      const short: Retention = { ttlMs: 60_000, quotaBytes: 100_000 };
      const old = eventIdOf(11);
      await store.putEventItem(device, old, 'thumbnail', blob(100, 1), NOW, short);
      await store.putEventItem(device, old, 'chunk-0', blob(100, 1), NOW, short);
      await store.commitEvent(device, old, { streamId: STREAM_S, time: NOW }, blob(50, 1), NOW, short);
      await store.putManifest(device, CAM_1, 1, blob(10, 1), NOW, short);
      await store.putKeyframe(device, CAM_1, blob(10, 1), NOW, short);
      for (const name of [
        `event:${device}:${old}`,
        `item:${device}:${old}:thumbnail`,
        `item:${device}:${old}:chunk-0`,
        `items:${device}:${old}`,
        `manifest:${device}:cam-1:1`,
        `timeline:${device}`,
      ]) {
        const left = await raw.pTTL(`prune:${name}`);
        assert.ok(left > 50_000 && left <= 60_000, `${name} expires with the retention (${left})`);
      }
      // The charge index outlives the objects: the sweep uses it to release each charge to its device
      // and home (a silent device's keys expiring first would strand its home's bytes).
      for (const name of [`charges:${device}`, `charge-bytes:${device}`, `charge-homes:${device}`])
        assert.equal(await raw.pTTL(`prune:${name}`), -1, `${name} has no TTL`);
      const keyframeLeft = await raw.pTTL(`prune:keyframe:${device}:cam-1`);
      assert.ok(keyframeLeft > 50_000 && keyframeLeft <= 60_000, 'the keyframe expires with the retention');

      const later = NOW + 120_000;
      const fresh = eventIdOf(12);
      assert.equal(
        await store.putEventItem(device, fresh, 'thumbnail', blob(30, 2), later, short),
        'created',
      );
      assert.equal(await store.usage(device, later, short), 30 + OVERHEAD);
      for (const name of [
        `event:${device}:${old}`,
        `item:${device}:${old}:thumbnail`,
        `item:${device}:${old}:chunk-0`,
        `items:${device}:${old}`,
        `manifest:${device}:cam-1:1`,
        `keyframe:${device}:cam-1`,
      ]) {
        assert.equal(await raw.exists(`prune:${name}`), 0, `${name} is gone`);
      }
      assert.equal(await raw.zCard(`prune:timeline:${device}`), 0);
      assert.equal(await raw.zCard(`prune:charges:${device}`), 1);
      assert.equal(await store.deleteEvent(device, old), false);
      // An envelope that Redis expired by itself disappears from the listing.
      const vanishing = eventIdOf(13);
      await store.commitEvent(device, vanishing, { streamId: STREAM_S, time: NOW }, blob(5, 1), later, short);
      await raw.del(`prune:event:${device}:${vanishing}`);
      const page = await store.listEvents(device, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 });
      assert.deepEqual(page, { events: [], next: null });
      assert.equal(await raw.zCard(`prune:timeline:${device}`), 0);
    } finally {
      await store.close();
    }
  });

  it('rejects fast while Redis is down, never crashes, and recovers when it is back', async () => {
    const own = await TestRedis.start();
    const errors: Error[] = [];
    const store = await createRedisStore({
      url: own.url,
      maxBytes: STORE_BYTES,
      commandTimeoutMs: OUTAGE_COMMAND_TIMEOUT_MS,
      onError: (error) => errors.push(error),
    });
    const device = deviceIdOf(14, 'h');
    try {
      assert.equal(store.isReady(), true);
      await store.putCard(device, blob(10, 1), DAY_MS);

      // Traffic from several "requests" while Redis dies under them.
      let stop = false;
      let settled = 0;
      let rejected = 0;
      let slowest = 0;
      const worker = async (w: number) => {
        for (let i = 0; i < 100_000 && !stop; i++) {
          const started = Date.now();
          const eventId = eventIdOf(w * 100_000 + i);
          try {
            await Promise.all([
              store.getCard(device),
              store.commitEvent(
                device,
                eventId,
                { streamId: STREAM_S, time: NOW + i },
                blob(20, i),
                NOW,
                RETENTION,
              ),
              store.putKeyframe(device, CAM_1, blob(50, i), NOW, RETENTION),
            ]);
          } catch {
            rejected++;
            await sleep(5);
          }
          settled++;
          slowest = Math.max(slowest, Date.now() - started);
        }
      };
      const workers = [0, 1, 2].map((w) => worker(w + 1));
      await until(() => settled > 30, 60_000, 'traffic flowing');
      await own.kill();
      await until(() => !store.isReady(), 30_000, 'isReady() false after the kill');

      const started = Date.now();
      await rejectsWithin(store.getCard(device), 'getCard');
      await rejectsWithin(
        store.commitEvent(
          device,
          eventIdOf(1),
          { streamId: STREAM_S, time: NOW },
          blob(1, 1),
          NOW,
          RETENTION,
        ),
        'commitEvent',
      );
      await rejectsWithin(store.putKeyframe(device, CAM_1, blob(1, 1), NOW, RETENTION), 'putKeyframe');
      await rejectsWithin(store.listEvents(device, { from: 0, to: 1, limit: 1 }), 'listEvents');
      await rejectsWithin(store.usage(device, NOW, RETENTION), 'usage');
      const took = Date.now() - started;
      assert.ok(took < OUTAGE_COMMAND_TIMEOUT_MS / 2, `commands fail fast while disconnected (${took} ms)`);
      await until(() => rejected > 0, 30_000, 'traffic sees rejections');

      await own.restart();
      await until(() => store.isReady(), 30_000, 'isReady() true after the restart');
      stop = true;
      await within(Promise.all(workers), 60_000, 'traffic');
      // In flight at the kill, a call fails when the connection drops, not when its command times out.
      assert.ok(slowest < OUTAGE_COMMAND_TIMEOUT_MS, `no call hung (slowest ${slowest} ms)`);
      assert.ok(errors.length > 0, 'connection errors were reported, not thrown');

      // Redis came back empty (no persistence); scripts are reloaded on demand.
      assert.equal(await store.getCard(device), null);
      const quiet = deviceIdOf(15, 'h');
      const eventId = eventIdOf(42);
      const meta = { streamId: STREAM_S, time: NOW };
      assert.equal(await store.commitEvent(quiet, eventId, meta, blob(10, 1), NOW, RETENTION), 'created');
      assert.equal(await store.commitEvent(quiet, eventId, meta, blob(10, 1), NOW, RETENTION), 'exists');
      const page = await store.listEvents(quiet, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 });
      assert.deepEqual(
        page.events.map((event) => event.eventId),
        [eventId],
      );

      // close() does not hang while Redis is down.
      await own.kill();
      await until(() => !store.isReady(), 30_000, 'isReady() false after the second kill');
      await within(store.close(), OUTAGE_COMMAND_TIMEOUT_MS / 2, 'close');
      assert.equal(store.isReady(), false);
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it('takes Infinity as "no bound" for quotas and mailbox sizes', async () => {
    const store = await open('unbounded:');
    try {
      const device = deviceIdOf(16, 'i');
      const open: Retention = { ttlMs: 60_000, quotaBytes: Number.POSITIVE_INFINITY };
      assert.equal(
        await store.putEventItem(device, eventIdOf(17), 'chunk-0', blob(5000, 1), NOW, open),
        'created',
      );
      assert.equal(await store.usage(device, NOW, open), 5000 + OVERHEAD);
      for (let i = 0; i < 20; i++) {
        assert.equal(
          await store.pushMailbox(
            'unbounded',
            blob(1, i),
            { ttlMs: 60_000, maxMessages: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY },
            Date.now(),
          ),
          'queued',
        );
      }
      assert.equal((await store.takeMailbox('unbounded', Date.now())).length, 20);
    } finally {
      await store.close();
    }
  });

  it("reads Redis' maxmemory at start, and starts on a Redis that refuses CONFIG (maxMemory null)", async () => {
    await raw.configSet('maxmemory', String(100 * 1024 * 1024));
    const store = await open('maxmemory:');
    try {
      assert.equal(store.maxMemory, 100 * 1024 * 1024);
    } finally {
      await store.close();
      await raw.configSet('maxmemory', '0');
    }
    await raw.sendCommand(['ACL', 'SETUSER', 'no-config', 'on', '>secret', '~*', '&*', '+@all', '-config']);
    const url = new URL(redis.url);
    url.username = 'no-config';
    url.password = 'secret';
    const limited = await createRedisStore({ url: url.toString(), maxBytes: STORE_BYTES });
    try {
      assert.equal(limited.maxMemory, null);
      const device = deviceIdOf(30, 'm');
      assert.equal(
        await limited.putEventItem(device, eventIdOf(30), 'thumbnail', blob(10, 1), NOW, RETENTION),
        'created',
      );
    } finally {
      await limited.close();
    }
  });

  it('warns when storeMaxBytes plus headroom exceeds maxmemory, not when it fits or Redis is unbounded', () => {
    const MiB = 1024 * 1024;
    assert.equal(maxMemoryWarning(256 * MiB, 0), null);
    assert.equal(maxMemoryWarning(256 * MiB, 384 * MiB), null);
    assert.match(maxMemoryWarning(256 * MiB, 300 * MiB) ?? '', /SEALCAM_STORE_MAX_BYTES.*maxmemory/);
    assert.match(
      maxMemoryWarning(8 * MiB, 40 * MiB) ?? '',
      /SEALCAM_STORE_MAX_BYTES/,
      'headroom at least 64 MiB',
    );
    assert.match(maxMemoryWarning(256 * MiB, null) ?? '', /CONFIG GET/);
  });

  it('refuses to start when Redis is unreachable, within the bound', async () => {
    const gone = await TestRedis.start();
    const url = gone.url;
    await gone.stop();
    // Bounded by connectTimeoutMs (the client itself never stops reconnecting): it gives up, it does not
    // hang. The test's bound is many times the product's, so a busy machine does not trip it.
    await assert.rejects(
      within(
        createRedisStore({ url, connectTimeoutMs: 500, maxBytes: STORE_BYTES }),
        30_000,
        'createRedisStore',
      ),
      (error: Error) => !/did not settle/.test(error.message),
      'createRedisStore gives up by itself',
    );
  });
});
