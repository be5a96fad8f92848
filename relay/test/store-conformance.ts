/**
 * One behavioural suite for every Store backend. A backend is conformant when all of this passes
 * against a fresh store. Times are simulated through `now`; TTLs are in real milliseconds.
 */
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
import { OBJECT_OVERHEAD_BYTES as OVERHEAD } from '../src/store/fair-share.js';
import type { Retention, Store } from '../src/store/store.js';

/** What an object of `length` bytes is charged (its length plus the per-object overhead). */
const charged = (length: number) => length + OVERHEAD;

/** Identity records are kept this long in these tests. */
const DAY_MS = 86_400_000;

export interface StoreUnderTest {
  readonly store: Store;
  /** Releases the store (and whatever server it needs). */
  readonly cleanup: () => Promise<void>;
}

const DEVICE = parseDeviceId('aaaaaaaaaaaaaaaaaaaaaaaaaa');
const OTHER = parseDeviceId('bbbbbbbbbbbbbbbbbbbbbbbbbb');
const CAM_1 = parseStreamId('cam-1');
const CAM_2 = parseStreamId('cam-2');
const NOW = 1_767_225_600_000;
const RETENTION: Retention = { ttlMs: 3_600_000, quotaBytes: 1_000_000 };

let counter = 0;
const DIGITS = '0123456789abcdefghijklmnopqrstuv';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Distinct 26-character base32 event ids (a counter written in the base32 alphabet). */
function eventId(): EventId {
  counter += 1;
  const digits = counter.toString(32).padStart(26, '0');
  return parseEventId([...digits].map((digit) => BASE32[DIGITS.indexOf(digit)]).join(''));
}

function blob(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** Opens a fresh store bounded at `maxBytes` (storeMaxBytes). */
export type OpenStore = (options: { maxBytes: number }) => Promise<StoreUnderTest>;

const STORE_BYTES = 64 * 1024 * 1024;

export function runStoreConformance(name: string, open: OpenStore) {
  describe(`store conformance: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;

    before(async () => {
      subject = await open({ maxBytes: STORE_BYTES });
      store = subject.store;
    });
    after(async () => {
      await subject?.cleanup();
    });

    it('is ready', () => {
      assert.equal(store.isReady(), true);
    });

    it('keeps identity cards by id', async () => {
      await store.putCard(DEVICE, blob(131, 1), DAY_MS);
      assert.deepEqual(await store.getCard(DEVICE), blob(131, 1));
      assert.equal(await store.getCard(OTHER), null);
    });

    it('challenges are single-use and expire', async () => {
      await store.putChallenge('c1', 60_000);
      assert.equal(await store.takeChallenge('c1'), true);
      assert.equal(await store.takeChallenge('c1'), false);
      assert.equal(await store.takeChallenge('never-issued'), false);
      await store.putChallenge('c2', 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await store.takeChallenge('c2'), false);
    });

    it('access lists only move forward by version', async () => {
      assert.equal(await store.putAccessList(DEVICE, 2, blob(10, 2), DAY_MS, RETENTION), 'stored');
      assert.equal(await store.putAccessList(DEVICE, 2, blob(10, 9), DAY_MS, RETENTION), 'stale');
      assert.equal(await store.putAccessList(DEVICE, 1, blob(10, 1), DAY_MS, RETENTION), 'stale');
      assert.deepEqual(await store.getAccessList(DEVICE), blob(10, 2));
      assert.equal(await store.putAccessList(DEVICE, 3, blob(10, 3), DAY_MS, RETENTION), 'stored');
      assert.deepEqual(await store.getAccessList(DEVICE), blob(10, 3));
    });

    it('manifests: history by epoch, latest per stream, idempotent, conflicts refused', async () => {
      assert.equal(await store.putManifest(DEVICE, CAM_1, 1, blob(50, 1), NOW, RETENTION), 'created');
      assert.equal(await store.putManifest(DEVICE, CAM_1, 2, blob(50, 2), NOW, RETENTION), 'created');
      assert.equal(await store.putManifest(DEVICE, CAM_1, 2, blob(50, 2), NOW, RETENTION), 'exists');
      assert.equal(await store.putManifest(DEVICE, CAM_1, 2, blob(50, 7), NOW, RETENTION), 'conflict');
      assert.equal(await store.putManifest(DEVICE, CAM_2, 5, blob(50, 5), NOW, RETENTION), 'created');
      // An older epoch arriving late does not replace the latest.
      assert.equal(await store.putManifest(DEVICE, CAM_2, 4, blob(50, 4), NOW, RETENTION), 'created');
      assert.deepEqual(await store.getManifest(DEVICE, CAM_1, 'latest'), blob(50, 2));
      assert.deepEqual(await store.getManifest(DEVICE, CAM_1, 1), blob(50, 1));
      assert.deepEqual(await store.getManifest(DEVICE, CAM_2, 'latest'), blob(50, 5));
      assert.equal(await store.getManifest(DEVICE, parseStreamId('cam-3'), 'latest'), null);
      assert.equal(await store.getManifest(OTHER, CAM_1, 'latest'), null);
      assert.deepEqual(await store.listStreams(DEVICE), [
        { streamId: CAM_1, epoch: 2 },
        { streamId: CAM_2, epoch: 5 },
      ]);
      assert.deepEqual(await store.listStreams(OTHER), []);
    });

    it('keeps the latest keyframe per stream', async () => {
      assert.equal(await store.putKeyframe(DEVICE, CAM_1, blob(100, 1), NOW, RETENTION), 'stored');
      assert.equal(await store.putKeyframe(DEVICE, CAM_1, blob(100, 2), NOW, RETENTION), 'stored');
      assert.deepEqual(await store.getKeyframe(DEVICE, CAM_1), blob(100, 2));
      assert.equal(await store.getKeyframe(DEVICE, parseStreamId('cam-9')), null);
    });

    it('an event is listable only once its envelope commits it', async () => {
      const id = eventId();
      assert.equal(
        await store.putEventItem(DEVICE, id, 'thumbnail', blob(300, 1), NOW, RETENTION),
        'created',
      );
      assert.equal(await store.putEventItem(DEVICE, id, 'chunk-0', blob(400, 2), NOW, RETENTION), 'created');
      let page = await store.listEvents(DEVICE, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 });
      assert.ok(!page.events.some((event) => event.eventId === id), 'not listed before commit');
      assert.equal(
        await store.commitEvent(DEVICE, id, { streamId: CAM_1, time: NOW }, blob(200, 3), NOW, RETENTION),
        'created',
      );
      page = await store.listEvents(DEVICE, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 });
      const listed = page.events.find((event) => event.eventId === id);
      assert.deepEqual(listed, { eventId: id, streamId: CAM_1, time: NOW, bytes: 900 });
      assert.deepEqual(await store.getEvent(DEVICE, id), blob(200, 3));
      assert.deepEqual(await store.getEventItem(DEVICE, id, 'thumbnail'), blob(300, 1));
      assert.deepEqual(await store.getEventItem(DEVICE, id, 'chunk-0'), blob(400, 2));
      assert.equal(await store.getEventItem(DEVICE, id, 'chunk-1'), null);
      assert.equal(await store.getEvent(OTHER, id), null);
    });

    it('re-uploads are idempotent; different bytes under the same name are refused and change nothing', async () => {
      const id = eventId();
      const device = parseDeviceId('cccccccccccccccccccccccccc');
      assert.equal(await store.putEventItem(device, id, 'thumbnail', blob(10, 1), NOW, RETENTION), 'created');
      assert.equal(await store.putEventItem(device, id, 'thumbnail', blob(10, 1), NOW, RETENTION), 'exists');
      assert.equal(
        await store.putEventItem(device, id, 'thumbnail', blob(10, 2), NOW, RETENTION),
        'conflict',
      );
      const meta = { streamId: CAM_1, time: NOW };
      assert.equal(await store.commitEvent(device, id, meta, blob(20, 1), NOW, RETENTION), 'created');
      assert.equal(await store.commitEvent(device, id, meta, blob(20, 1), NOW, RETENTION), 'exists');
      assert.equal(await store.commitEvent(device, id, meta, blob(20, 9), NOW, RETENTION), 'conflict');
      assert.deepEqual(await store.getEventItem(device, id, 'thumbnail'), blob(10, 1));
      assert.deepEqual(await store.getEvent(device, id), blob(20, 1));
      const page = await store.listEvents(device, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 });
      assert.equal(page.events.length, 1, 'a retried upload never duplicates');
      assert.equal(page.events[0]!.bytes, 30, 'a listing reports the bytes, not the overhead');
      assert.equal(await store.usage(device, NOW, RETENTION), charged(10) + charged(20));
    });

    it('lists by time range with stable paging', async () => {
      const device = parseDeviceId('dddddddddddddddddddddddddd');
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const id = eventId();
        ids.push(id);
        await store.commitEvent(
          device,
          id,
          { streamId: parseStreamId(`cam-${i % 2}`), time: NOW + i * 1000 },
          blob(10, i),
          NOW,
          RETENTION,
        );
      }
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.listEvents(device, { from: NOW + 5000, to: NOW + 19_000, limit: 4, after });
        seen.push(...page.events.map((event) => event.eventId));
        assert.ok(page.events.length <= 4);
        if (!page.next) break;
        after = page.next;
      }
      assert.deepEqual(seen, ids.slice(5, 20));
      const times = (
        await store.listEvents(device, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 })
      ).events.map((event) => event.time);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
      );
      assert.equal(times.length, 25);
    });

    it('pages through events of equal times, each once, the last page of an exact multiple saying no next', async () => {
      const device = parseDeviceId('dddddddddddddddddddddddddc');
      const ids: string[] = [];
      // 12 events: 4 at each of three times, listed in (time, event id) order.
      for (let i = 0; i < 12; i++) {
        const id = eventId();
        ids.push(id);
        const time = NOW + Math.floor(i / 4) * 1000;
        await store.commitEvent(device, id, { streamId: CAM_1, time }, blob(10, i), NOW, RETENTION);
      }
      const expected = ids
        .map((id, i) => ({ id, time: NOW + Math.floor(i / 4) * 1000 }))
        .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1))
        .map((each) => each.id);
      const seen: string[] = [];
      const sizes: number[] = [];
      let after: string | undefined;
      let last: { next: string | null } = { next: null };
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.listEvents(device, { from: NOW, to: NOW + 2000, limit: 3, after });
        last = page;
        seen.push(...page.events.map((event) => event.eventId));
        sizes.push(page.events.length);
        if (!page.next) break;
        after = page.next;
      }
      assert.deepEqual(seen, expected);
      assert.deepEqual(sizes, [3, 3, 3, 3], 'an exact multiple needs no empty page after it');
      assert.equal(last.next, null);
      // `from` inside a run of equal times starts at its first event; `to` ends after its last.
      const middle = await store.listEvents(device, { from: NOW + 1000, to: NOW + 1000, limit: 10 });
      assert.deepEqual(
        middle.events.map((event) => event.eventId),
        expected.slice(4, 8),
      );
      assert.equal(middle.next, null);
    });

    it('deletes an event with all its items', async () => {
      const device = parseDeviceId('eeeeeeeeeeeeeeeeeeeeeeeeee');
      const id = eventId();
      await store.putEventItem(device, id, 'thumbnail', blob(10, 1), NOW, RETENTION);
      await store.putEventItem(device, id, 'chunk-0', blob(10, 1), NOW, RETENTION);
      await store.commitEvent(device, id, { streamId: CAM_1, time: NOW }, blob(10, 1), NOW, RETENTION);
      assert.equal(await store.deleteEvent(device, id), true);
      assert.equal(await store.getEvent(device, id), null);
      assert.equal(await store.getEventItem(device, id, 'thumbnail'), null);
      assert.equal(await store.getEventItem(device, id, 'chunk-0'), null);
      assert.equal(
        (await store.listEvents(device, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 })).events.length,
        0,
      );
      assert.equal(await store.usage(device, NOW, RETENTION), 0);
      assert.equal(await store.deleteEvent(device, id), false);
    });

    it('enforces the byte quota per device without storing anything over it', async () => {
      const device = parseDeviceId('ffffffffffffffffffffffffff');
      const small: Retention = { ttlMs: 3_600_000, quotaBytes: charged(1000) };
      const id = eventId();
      assert.equal(await store.putEventItem(device, id, 'chunk-0', blob(600, 1), NOW, small), 'created');
      assert.equal(await store.putEventItem(device, id, 'chunk-1', blob(600, 1), NOW, small), 'quota');
      assert.equal(await store.getEventItem(device, id, 'chunk-1'), null);
      assert.equal(
        await store.commitEvent(
          device,
          id,
          { streamId: parseStreamId('c'), time: NOW },
          blob(500, 1),
          NOW,
          small,
        ),
        'quota',
      );
      assert.equal(await store.getEvent(device, id), null);
      assert.equal(await store.usage(device, NOW, small), charged(600));
      // Another device is not charged.
      assert.equal(await store.putEventItem(OTHER, id, 'chunk-0', blob(900, 1), NOW, small), 'created');
    });

    it('objects older than the retention TTL stop counting and are removed', async () => {
      const device = parseDeviceId('gggggggggggggggggggggggggg');
      const short: Retention = { ttlMs: 10_000, quotaBytes: 1000 + 2 * OVERHEAD };
      const old = eventId();
      await store.putEventItem(device, old, 'thumbnail', blob(800, 1), NOW, short);
      await store.commitEvent(
        device,
        old,
        { streamId: parseStreamId('c'), time: NOW },
        blob(100, 1),
        NOW,
        short,
      );
      const later = NOW + 20_000;
      const fresh = eventId();
      assert.equal(
        await store.putEventItem(device, fresh, 'thumbnail', blob(800, 2), later, short),
        'created',
      );
      assert.equal(await store.usage(device, later, short), charged(800));
      assert.equal(await store.getEvent(device, old), null);
      const page = await store.listEvents(device, { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 });
      assert.ok(!page.events.some((event) => event.eventId === old));
    });

    it('mailboxes deliver in order, once, and are bounded', async () => {
      assert.equal(
        await store.pushMailbox(
          'box-1',
          blob(5, 1),
          { ttlMs: 60_000, maxMessages: 2, maxBytes: Number.POSITIVE_INFINITY },
          Date.now(),
        ),
        'queued',
      );
      assert.equal(
        await store.pushMailbox(
          'box-1',
          blob(5, 2),
          { ttlMs: 60_000, maxMessages: 2, maxBytes: Number.POSITIVE_INFINITY },
          Date.now(),
        ),
        'queued',
      );
      assert.equal(
        await store.pushMailbox(
          'box-1',
          blob(5, 3),
          { ttlMs: 60_000, maxMessages: 2, maxBytes: Number.POSITIVE_INFINITY },
          Date.now(),
        ),
        'full',
      );
      assert.deepEqual(await store.takeMailbox('box-1', Date.now()), [blob(5, 1), blob(5, 2)]);
      assert.deepEqual(await store.takeMailbox('box-1', Date.now()), []);
    });

    it('handles concurrent puts of one event without duplicates or lost items', async () => {
      const device = parseDeviceId('hhhhhhhhhhhhhhhhhhhhhhhhhh');
      const id = eventId();
      const puts = Array.from({ length: 20 }, (_, i) =>
        store.putEventItem(device, id, `chunk-${i % 5}`, blob(10, i % 5), NOW, RETENTION),
      );
      const results = await Promise.all(puts);
      assert.equal(results.filter((result) => result === 'created').length, 5);
      assert.equal(results.filter((result) => result === 'exists').length, 15);
      assert.equal(await store.usage(device, NOW, RETENTION), 50 + 5 * OVERHEAD);
    });
  });

  describe(`store conformance: ${name}: fair share of storeMaxBytes`, () => {
    const MAX = 1_048_576;
    const CHUNK = 16_384;
    const UNBOUNDED: Retention = { ttlMs: 3_600_000, quotaBytes: Number.POSITIVE_INFINITY };
    const device = (letter: string) => parseDeviceId(letter.repeat(26));

    /** Runs `body` against a fresh store bounded at MAX bytes. */
    async function withSmallStore(body: (store: Store) => Promise<void>): Promise<void> {
      const subject = await open({ maxBytes: MAX });
      try {
        await body(subject.store);
      } finally {
        await subject.cleanup();
      }
    }

    /** Uploads CHUNK-byte event items as `deviceId` until one is refused; returns that refusal. */
    async function fillUntilRefused(store: Store, deviceId: DeviceId, retention: Retention, now = NOW) {
      const id = eventId();
      for (let i = 0; i < (2 * MAX) / CHUNK; i++) {
        const result = await store.putEventItem(
          deviceId,
          id,
          `chunk-${i}`,
          blob(CHUNK, i % 250),
          now,
          retention,
        );
        if (result !== 'created') return { result, stored: i };
      }
      throw new Error('the store never refused');
    }

    it('charges manifests, keyframes (by the size of the replacement) and access lists to their device', async () => {
      await withSmallStore(async (store) => {
        const a = device('a');
        assert.equal(await store.putManifest(a, CAM_1, 1, blob(500, 1), NOW, RETENTION), 'created');
        assert.equal(await store.putKeyframe(a, CAM_1, blob(1000, 1), NOW, RETENTION), 'stored');
        assert.equal(await store.putAccessList(a, 1, blob(200, 1), DAY_MS, RETENTION), 'stored');
        assert.equal(await store.usage(a, NOW, RETENTION), 1700 + 3 * OVERHEAD);
        assert.equal(await store.putKeyframe(a, CAM_1, blob(300, 2), NOW, RETENTION), 'stored');
        assert.equal(await store.putAccessList(a, 2, blob(250, 2), DAY_MS, RETENTION), 'stored');
        assert.equal(await store.usage(a, NOW, RETENTION), charged(500) + charged(300) + charged(250));
        assert.deepEqual(await store.stats(), {
          usedBytes: 1050 + 3 * OVERHEAD,
          maxBytes: MAX,
          identities: 1,
          homes: 1,
        });
        // Manifests and keyframes leave with the retention TTL, and so does their charge.
        const later = NOW + RETENTION.ttlMs + 1;
        assert.equal(await store.usage(a, later, RETENTION), charged(250));
        assert.equal(await store.getManifest(a, CAM_1, 1), null);
      });
    });

    it('refuses a manifest, keyframe or access list over the device quota and keeps what was stored', async () => {
      await withSmallStore(async (store) => {
        const a = device('b');
        const small: Retention = { ttlMs: 3_600_000, quotaBytes: 1000 + 2 * OVERHEAD };
        assert.equal(await store.putManifest(a, CAM_1, 1, blob(600, 1), NOW, small), 'created');
        assert.equal(await store.putManifest(a, CAM_1, 2, blob(600, 2), NOW, small), 'quota');
        assert.equal(await store.getManifest(a, CAM_1, 2), null);
        assert.deepEqual(await store.getManifest(a, CAM_1, 'latest'), blob(600, 1));
        assert.equal(await store.putKeyframe(a, CAM_1, blob(300, 1), NOW, small), 'stored');
        assert.equal(await store.putKeyframe(a, CAM_1, blob(500, 2), NOW, small), 'quota');
        assert.deepEqual(await store.getKeyframe(a, CAM_1), blob(300, 1));
        assert.equal(await store.putAccessList(a, 1, blob(200, 1), DAY_MS, small), 'quota');
        assert.equal(await store.getAccessList(a), null);
        assert.equal(await store.usage(a, NOW, small), charged(600) + charged(300));
      });
    });

    it('near full, the identity over its fair share is refused first (quota); another keeps storing events and manifests', async () => {
      await withSmallStore(async (store) => {
        const hog = device('c');
        const honest = device('d');
        const refusal = await fillUntilRefused(store, hog, UNBOUNDED);
        assert.equal(refusal.result, 'quota', 'the hog is refused as over its share, not as a full relay');
        const filled = (await store.stats()).usedBytes;
        assert.ok(
          filled >= MAX * 0.9 - charged(CHUNK) && filled <= MAX,
          `filled toward the cap (${filled} of ${MAX})`,
        );
        const id = eventId();
        assert.equal(
          await store.putEventItem(honest, id, 'thumbnail', blob(CHUNK, 1), NOW, UNBOUNDED),
          'created',
        );
        assert.equal(
          await store.putEventItem(honest, id, 'chunk-0', blob(CHUNK, 2), NOW, UNBOUNDED),
          'created',
        );
        assert.equal(
          await store.commitEvent(honest, id, { streamId: CAM_1, time: NOW }, blob(500, 3), NOW, UNBOUNDED),
          'created',
        );
        assert.equal(await store.putManifest(honest, CAM_1, 1, blob(2000, 4), NOW, UNBOUNDED), 'created');
        assert.equal(await store.putKeyframe(honest, CAM_1, blob(2000, 5), NOW, UNBOUNDED), 'stored');
        assert.equal(
          await store.putEventItem(hog, eventId(), 'chunk-0', blob(CHUNK, 6), NOW, UNBOUNDED),
          'quota',
          'the hog is still refused',
        );
        assert.equal((await store.stats()).identities, 2);
      });
    });

    /**
     * Floods the store with fresh identities, each filling its own quota, until a fresh one is
     * refused or the store is full; `homeOf` gives each the home its session names (the address it
     * logged in from). Returns that refusal and how many identities stored.
     */
    async function floodWithIdentities(
      store: Store,
      homeOf: (index: number) => string,
      homeQuotaBytes = Number.POSITIVE_INFINITY,
      first = 0,
    ) {
      for (let index = first; index < first + 64; index++) {
        const letters = 'abcdefghijklmnopqrstuvwxyz';
        const flooder = parseDeviceId(
          `f${letters[index % 26]}${letters[Math.floor(index / 26) % 26]}${'a'.repeat(23)}`,
        );
        const quota: Retention = {
          ttlMs: 3_600_000,
          quotaBytes: MAX / 16,
          homeQuotaBytes,
          home: homeOf(index),
        };
        const { result, stored } = await fillUntilRefused(store, flooder, quota);
        if (stored === 0) return { result, identities: index - first };
        if (result === 'full') return { result, identities: index - first + 1 };
        assert.equal(result, 'quota', 'each flooder meets its own quota or a full store');
      }
      throw new Error('the store never refused a fresh identity');
    }

    it('near full, fresh identities from one address are refused as that home is over its share (quota); another address keeps storing', async () => {
      await withSmallStore(async (store) => {
        const flood = await floodWithIdentities(store, () => 'home-a');
        assert.equal(flood.result, 'quota', 'refused as over its home share, not as a full relay');
        const { usedBytes, homes } = await store.stats();
        assert.ok(usedBytes <= MAX * 0.9 + charged(CHUNK), `stopped at the high-water mark (${usedBytes})`);
        assert.equal(homes, 1);
        const honest = device('v');
        const quota: Retention = { ttlMs: 3_600_000, quotaBytes: MAX / 16, home: 'home-b' };
        const id = eventId();
        // Its own fair share near full is MAX / 19 (18 identities storing): two chunks and the envelope.
        for (let i = 0; i < 2; i++)
          assert.equal(
            await store.putEventItem(honest, id, `chunk-${i}`, blob(CHUNK, i), NOW, quota),
            'created',
          );
        assert.equal(
          await store.commitEvent(honest, id, { streamId: CAM_1, time: NOW }, blob(500, 3), NOW, quota),
          'created',
        );
        assert.equal((await store.stats()).homes, 2);
      });
    });

    it('the same flood from distinct addresses fills the reserve to the cap (the home is what refused above)', async () => {
      await withSmallStore(async (store) => {
        const flood = await floodWithIdentities(store, (index) => `home-${index}`);
        assert.ok(flood.result === 'full' || flood.result === 'quota', flood.result);
        const { usedBytes, homes } = await store.stats();
        assert.ok(usedBytes > MAX - charged(CHUNK) * 2, `filled past the high-water mark (${usedBytes})`);
        assert.equal(homes, flood.identities);
      });
    });

    it('at any fill level a home holds at most the home quota: two addresses flooding take at most twice it, a third stores', async () => {
      await withSmallStore(async (store) => {
        const homeQuota = MAX / 8;
        for (const [home, first] of [
          ['home-a', 0],
          ['home-b', 20],
        ] as const) {
          const flood = await floodWithIdentities(store, () => home, homeQuota, first);
          assert.equal(flood.result, 'quota', `${home} is refused at its home quota`);
        }
        const { usedBytes, homes } = await store.stats();
        assert.ok(usedBytes <= 2 * homeQuota, `two addresses hold ${usedBytes} of ${MAX}`);
        assert.equal(homes, 2);
        const third: Retention = {
          ttlMs: 3_600_000,
          quotaBytes: MAX / 16,
          homeQuotaBytes: homeQuota,
          home: 'home-c',
        };
        assert.equal(
          await store.putEventItem(device('y'), eventId(), 'chunk-0', blob(CHUNK, 1), NOW, third),
          'created',
        );
      });
    });

    it("each charge stays at the home of its first write; a device's new writes count at the home of its current session", async () => {
      await withSmallStore(async (store) => {
        const at = (home: string): Retention => ({
          ...UNBOUNDED,
          home,
          homeQuotaBytes: charged(1000) + charged(100),
        });
        const mover = device('w');
        const first = eventId();
        assert.equal(
          await store.putEventItem(mover, first, 'chunk-0', blob(1000, 1), NOW, at('home-a')),
          'created',
        );
        // It logs in from elsewhere: the event it began keeps counting at home-a, new objects at home-b.
        assert.equal(
          await store.putEventItem(mover, first, 'chunk-1', blob(100, 2), NOW, at('home-b')),
          'created',
        );
        const second = eventId();
        assert.equal(
          await store.putEventItem(mover, second, 'chunk-0', blob(1000, 3), NOW, at('home-b')),
          'created',
        );
        assert.equal((await store.stats()).homes, 2);
        // home-a is full (1000 + 100 charged there); home-b holds 1000 and has room for 100 more.
        const other = device('x');
        assert.equal(
          await store.putEventItem(other, eventId(), 'chunk-0', blob(10, 4), NOW, at('home-a')),
          'quota',
        );
        assert.equal(
          await store.putEventItem(other, eventId(), 'chunk-0', blob(10, 5), NOW, at('home-b')),
          'created',
        );
        assert.equal(await store.deleteEvent(mover, first), true);
        assert.equal(
          await store.putEventItem(other, eventId(), 'chunk-0', blob(1000, 6), NOW, at('home-a')),
          'created',
          'the deleted event gave its bytes back to home-a',
        );
        // A replaced keyframe or access list is charged in full to the replacing write's home.
        const keyframed = device('z');
        assert.equal(await store.putKeyframe(keyframed, CAM_1, blob(100, 7), NOW, at('home-c')), 'stored');
        assert.equal(await store.putKeyframe(keyframed, CAM_1, blob(100, 8), NOW, at('home-d')), 'stored');
        assert.equal(await store.putAccessList(keyframed, 1, blob(100, 9), DAY_MS, at('home-c')), 'stored');
        assert.equal(await store.putAccessList(keyframed, 2, blob(100, 10), DAY_MS, at('home-d')), 'stored');
        assert.equal(
          await store.putEventItem(other, eventId(), 'chunk-0', blob(1000, 11), NOW, at('home-c')),
          'created',
          'home-c holds nothing once both were replaced from home-d',
        );
        assert.equal(
          await store.putEventItem(other, eventId(), 'chunk-0', blob(1000, 12), NOW, at('home-d')),
          'quota',
        );
      });
    });

    it('never holds more than storeMaxBytes: once full, every identity is refused (relay-full or quota)', async () => {
      await withSmallStore(async (store) => {
        const seen: string[] = [];
        for (const letter of 'efghijklmnop') {
          const { result } = await fillUntilRefused(store, device(letter), UNBOUNDED);
          seen.push(result);
          if (result === 'full') break;
        }
        assert.equal(seen.at(-1), 'full', `some identity under its share meets a full store (${seen})`);
        const { usedBytes } = await store.stats();
        assert.ok(usedBytes <= MAX && usedBytes > MAX - charged(CHUNK), `full to the cap (${usedBytes})`);
        assert.equal(
          await store.putEventItem(device('q'), eventId(), 'chunk-0', blob(CHUNK, 1), NOW, UNBOUNDED),
          'full',
        );
        // Authentication does not depend on free space.
        await store.putChallenge('while-full', 60_000);
        assert.equal(await store.takeChallenge('while-full'), true);
        await store.putCard(device('q'), blob(131, 7), DAY_MS);
        assert.deepEqual(await store.getCard(device('q')), blob(131, 7));
      });
    });

    it("a silent device's expired objects stop counting: another device's write releases them", async () => {
      await withSmallStore(async (store) => {
        const short: Retention = { ttlMs: 10_000, quotaBytes: Number.POSITIVE_INFINITY };
        const silent = device('r');
        await fillUntilRefused(store, silent, short);
        assert.ok((await store.stats()).usedBytes > MAX * 0.8);
        const later = NOW + 60_000;
        const writer = device('s');
        assert.equal(
          await store.putEventItem(writer, eventId(), 'chunk-0', blob(CHUNK, 1), later, short),
          'created',
        );
        assert.deepEqual(await store.stats(), {
          usedBytes: charged(CHUNK),
          maxBytes: MAX,
          identities: 1,
          homes: 1,
        });
      });
    });

    it('a device silent past the retention (its objects and their keys expired in real time): the next write gives its bytes back to its home, which stores again', async () => {
      await withSmallStore(async (store) => {
        const quick = (home: string): Retention => ({
          ttlMs: 1000,
          quotaBytes: Number.POSITIVE_INFINITY,
          homeQuotaBytes: 3 * charged(CHUNK),
          home,
        });
        const silent = device('m');
        for (let i = 0; i < 3; i++)
          assert.equal(
            await store.putEventItem(
              silent,
              eventId(),
              'chunk-0',
              blob(CHUNK, i),
              Date.now(),
              quick('home-a'),
            ),
            'created',
          );
        await sleep(2500);
        const writer = device('n');
        assert.equal(
          await store.putEventItem(writer, eventId(), 'chunk-0', blob(CHUNK, 9), Date.now(), quick('home-b')),
          'created',
        );
        assert.deepEqual(await store.stats(), {
          usedBytes: charged(CHUNK),
          maxBytes: MAX,
          identities: 1,
          homes: 1,
        });
        const neighbour = device('o');
        for (let i = 0; i < 3; i++)
          assert.equal(
            await store.putEventItem(
              neighbour,
              eventId(),
              'chunk-0',
              blob(CHUNK, i),
              Date.now(),
              quick('home-a'),
            ),
            'created',
            'home-a holds nothing any more',
          );
      });
    });

    it("a device's quota counts each object's overhead: tiny objects are refused after quota / (length + OBJECT_OVERHEAD_BYTES)", async () => {
      await withSmallStore(async (store) => {
        const a = device('u');
        const tight: Retention = { ttlMs: 3_600_000, quotaBytes: 10 * charged(50) };
        const results: string[] = [];
        for (let i = 0; i < 20; i++)
          results.push(await store.putEventItem(a, eventId(), 'thumbnail', blob(50, i), NOW, tight));
        assert.deepEqual(results, [...Array(10).fill('created'), ...Array(10).fill('quota')]);
        assert.equal(await store.usage(a, NOW, tight), 10 * charged(50));
        assert.equal(await store.putKeyframe(a, CAM_1, blob(1, 1), NOW, tight), 'quota');
        assert.equal(await store.putManifest(a, CAM_1, 1, blob(1, 1), NOW, tight), 'quota');
        assert.equal(await store.putAccessList(a, 1, blob(1, 1), DAY_MS, tight), 'quota');
      });
    });

    it("many tiny objects from many devices are refused at storeMaxBytes counting each object's overhead", async () => {
      await withSmallStore(async (store) => {
        const perObject = charged(50);
        // A stored object costs either store ~0.7-1.6 KB besides its bytes (fair-share.ts), so a store
        // bounded at MAX must refuse well before MAX / 1 KiB tiny objects; charged by length alone it
        // would take MAX / 50 and this loop would never see a refusal.
        const bound = Math.floor(MAX / 1024);
        const attempts = 2 * bound;
        const letters = 'abcdefghijklmnopqrstuvwxyz234567';
        let stored = 0;
        let last = 'created';
        for (let i = 0; i < attempts && last === 'created'; i++) {
          const owner = parseDeviceId(`${letters[i % 32]}${letters[Math.floor(i / 32) % 32]}`.repeat(13));
          last = await store.putEventItem(owner, eventId(), 'thumbnail', blob(50, i % 250), NOW, UNBOUNDED);
          if (last === 'created') stored++;
        }
        // The last ones are refused as over their (by now tiny) fair share or as a full store.
        assert.ok(
          last === 'full' || last === 'quota',
          `refused once the store is full (${stored} stored, ${last})`,
        );
        const { usedBytes } = await store.stats();
        assert.equal(usedBytes, stored * perObject, 'every object is charged its length plus the overhead');
        assert.ok(
          usedBytes <= MAX && usedBytes > MAX * 0.9,
          `filled to storeMaxBytes, never beyond (${usedBytes})`,
        );
        assert.ok(
          stored <= Math.floor(MAX / perObject) && stored <= bound,
          `at most MAX / (50 + overhead) objects (${stored})`,
        );
      });
    });

    it('a deleted event gives its bytes back to the store', async () => {
      await withSmallStore(async (store) => {
        const a = device('t');
        const id = eventId();
        await store.putEventItem(a, id, 'chunk-0', blob(CHUNK, 1), NOW, UNBOUNDED);
        await store.commitEvent(a, id, { streamId: CAM_1, time: NOW }, blob(100, 1), NOW, UNBOUNDED);
        assert.equal((await store.stats()).usedBytes, charged(CHUNK) + charged(100));
        assert.equal(await store.deleteEvent(a, id), true);
        assert.deepEqual(await store.stats(), { usedBytes: 0, maxBytes: MAX, identities: 0, homes: 0 });
      });
    });
  });
}
