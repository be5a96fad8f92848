/**
 * One behavioural suite for every Store backend. A backend is conformant when all of this passes
 * against a fresh store. Times are simulated through `now`; TTLs are in real milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EventId, parseDeviceId, parseEventId, parseStreamId } from '@sealcam/protocol/relay-safe';
import type { Retention, Store } from '../src/store/store.js';

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

export function runStoreConformance(name: string, open: () => Promise<StoreUnderTest>) {
  describe(`store conformance: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;

    before(async () => {
      subject = await open();
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
      assert.equal(await store.putAccessList(DEVICE, 2, blob(10, 2), DAY_MS), 'stored');
      assert.equal(await store.putAccessList(DEVICE, 2, blob(10, 9), DAY_MS), 'stale');
      assert.equal(await store.putAccessList(DEVICE, 1, blob(10, 1), DAY_MS), 'stale');
      assert.deepEqual(await store.getAccessList(DEVICE), blob(10, 2));
      assert.equal(await store.putAccessList(DEVICE, 3, blob(10, 3), DAY_MS), 'stored');
      assert.deepEqual(await store.getAccessList(DEVICE), blob(10, 3));
    });

    it('manifests: history by epoch, latest per stream, idempotent, conflicts refused', async () => {
      assert.equal(await store.putManifest(DEVICE, CAM_1, 1, blob(50, 1), RETENTION), 'created');
      assert.equal(await store.putManifest(DEVICE, CAM_1, 2, blob(50, 2), RETENTION), 'created');
      assert.equal(await store.putManifest(DEVICE, CAM_1, 2, blob(50, 2), RETENTION), 'exists');
      assert.equal(await store.putManifest(DEVICE, CAM_1, 2, blob(50, 7), RETENTION), 'conflict');
      assert.equal(await store.putManifest(DEVICE, CAM_2, 5, blob(50, 5), RETENTION), 'created');
      // An older epoch arriving late does not replace the latest.
      assert.equal(await store.putManifest(DEVICE, CAM_2, 4, blob(50, 4), RETENTION), 'created');
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
      await store.putKeyframe(DEVICE, CAM_1, blob(100, 1), 60_000);
      await store.putKeyframe(DEVICE, CAM_1, blob(100, 2), 60_000);
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
      assert.equal(page.events[0]!.bytes, 30);
      assert.equal(await store.usage(device, NOW, RETENTION), 30);
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
      const small: Retention = { ttlMs: 3_600_000, quotaBytes: 1000 };
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
      assert.equal(await store.usage(device, NOW, small), 600);
      // Another device is not charged.
      assert.equal(await store.putEventItem(OTHER, id, 'chunk-0', blob(900, 1), NOW, small), 'created');
    });

    it('objects older than the retention TTL stop counting and are removed', async () => {
      const device = parseDeviceId('gggggggggggggggggggggggggg');
      const short: Retention = { ttlMs: 10_000, quotaBytes: 1000 };
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
      assert.equal(await store.usage(device, later, short), 800);
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
      assert.equal(await store.usage(device, NOW, RETENTION), 50);
    });
  });
}
