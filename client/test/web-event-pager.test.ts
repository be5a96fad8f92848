import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventPager, type EventQuery, HOUR, type Listing } from '../web/src/event-pager.js';

/** The relay's listing as relay/src/store/memory-store.ts does it: by time, oldest first, cursor paged. */
function fakeRelay(events: Listing[]) {
  const timeline = [...events].sort((a, b) => a.time - b.time || (a.eventId < b.eventId ? -1 : 1));
  const queries: EventQuery[] = [];
  return {
    queries,
    list(query: EventQuery) {
      queries.push(query);
      const [afterTime, afterId] = query.after ? query.after.split(':') : [];
      const to = query.to ?? Number.MAX_SAFE_INTEGER;
      const selected = timeline.filter(
        (entry) =>
          entry.time >= query.from &&
          entry.time <= to &&
          (query.after === undefined ||
            entry.time > Number(afterTime) ||
            (entry.time === Number(afterTime) && entry.eventId > afterId!)),
      );
      const page = selected.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        events: page,
        next: selected.length > page.length && last ? `${last.time}:${last.eventId}` : null,
      };
    },
  };
}

const NOW = 1_800_000_000_000;
const id = (n: number) => `e${String(n).padStart(6, '0')}`;

function loadAll(pager: EventPager<Listing>, relay: ReturnType<typeof fakeRelay>, maxRequests = 10_000) {
  const seen: Listing[] = [];
  for (let i = 0; i < maxRequests; i++) {
    const query = pager.nextQuery();
    if (!query) break;
    seen.push(...pager.accept(relay.list(query)));
  }
  return seen;
}

test('loads every event, newest first, with no gaps or duplicates', () => {
  const events = Array.from({ length: 500 }, (_, n) => ({
    eventId: id(n),
    streamId: 'cam-1',
    time: NOW - n * 97_000 - (n % 3) * 1000,
  }));
  const relay = fakeRelay(events);
  const pager = new EventPager<Listing>(() => NOW, 20);
  loadAll(pager, relay);
  assert.ok(pager.done);
  const list = pager.list();
  assert.equal(list.length, 500);
  assert.deepEqual(
    list.map((event) => event.eventId),
    [...events].sort((a, b) => b.time - a.time).map((event) => event.eventId),
  );
});

test('what is held is always one unbroken stretch from now backwards, and oldest() is its far end', () => {
  const events = Array.from({ length: 300 }, (_, n) => ({
    eventId: id(n),
    streamId: 'cam-1',
    // bursts: dense half minutes, quiet hours
    time: NOW - Math.floor(n / 30) * 5 * HOUR - (n % 30) * 1000,
  }));
  const relay = fakeRelay(events);
  const pager = new EventPager<Listing>(() => NOW, 20);
  let checks = 0;
  for (let step = 0; step < 500; step++) {
    const query = pager.nextQuery();
    if (!query) break;
    const page = relay.list(query);
    pager.accept(page);
    const held = pager.list();
    const oldest = held[held.length - 1];
    assert.equal(pager.oldest(), oldest, 'oldest() is the last of the sorted list');
    if (!oldest) continue;
    const expected = events.filter((event) => event.time >= oldest.time).map((event) => event.eventId);
    assert.deepEqual(held.map((event) => event.eventId).sort(), expected.sort());
    checks++;
  }
  assert.ok(pager.done);
  assert.equal(pager.size, 300);
  assert.ok(checks > 5);
});

test('an empty past costs one probe, not a crawl back to 1970', () => {
  const relay = fakeRelay([{ eventId: id(1), streamId: 's', time: NOW - 10 * 60_000 }]);
  const pager = new EventPager<Listing>(() => NOW, 20);
  loadAll(pager, relay);
  assert.ok(pager.done);
  assert.equal(pager.list().length, 1);
  assert.ok(relay.queries.length <= 3, `${relay.queries.length} queries`);
});

test('no events at all', () => {
  const relay = fakeRelay([]);
  const pager = new EventPager<Listing>(() => NOW, 20);
  loadAll(pager, relay);
  assert.ok(pager.done);
  assert.equal(pager.size, 0);
  assert.equal(relay.queries.length, 2, 'the first window and one probe');
});

test('old events far back are reached in a few requests', () => {
  const events = [
    { eventId: id(1), streamId: 's', time: NOW - 5 * 60_000 },
    { eventId: id(2), streamId: 's', time: NOW - 20 * 24 * HOUR },
  ];
  const relay = fakeRelay(events);
  const pager = new EventPager<Listing>(() => NOW, 20);
  loadAll(pager, relay);
  assert.deepEqual(
    pager.list().map((event) => event.eventId),
    [id(1), id(2)],
  );
  assert.ok(relay.queries.length < 15, `${relay.queries.length} queries`);
});

test('the first window is open-ended: a camera clock ahead of ours still shows', () => {
  const relay = fakeRelay([{ eventId: id(1), streamId: 's', time: NOW + 60_000 }]);
  const pager = new EventPager<Listing>(() => NOW, 20);
  const first = pager.nextQuery();
  assert.equal(first?.to, undefined);
  loadAll(pager, relay);
  assert.equal(pager.size, 1);
});

test('live inserts are deduplicated and sorted in', () => {
  const pager = new EventPager<Listing>(() => NOW, 20);
  assert.deepEqual(
    pager.insert([{ eventId: id(2), streamId: 's', time: NOW }]).map((event) => event.eventId),
    [id(2)],
  );
  assert.deepEqual(pager.insert([{ eventId: id(2), streamId: 's', time: NOW }]), []);
  pager.insert([{ eventId: id(3), streamId: 's', time: NOW + 5 }]);
  assert.deepEqual(
    pager.list().map((event) => event.eventId),
    [id(3), id(2)],
  );
  assert.equal(pager.headQuery().from, NOW + 5);
  assert.equal(pager.headQuery('c').after, 'c');
});

test('a dense window is read to its end through the cursor', () => {
  const events = Array.from({ length: 120 }, (_, n) => ({
    eventId: id(n),
    streamId: 's',
    time: NOW - n * 100,
  }));
  const relay = fakeRelay(events);
  const pager = new EventPager<Listing>(() => NOW, 50);
  assert.deepEqual(pager.accept(relay.list(pager.nextQuery()!)), [], 'held back: newer pages still to come');
  assert.ok(pager.reading);
  assert.equal(pager.size, 0);
  assert.deepEqual(pager.accept(relay.list(pager.nextQuery()!)), []);
  assert.ok(relay.queries[1]?.after, 'the second page continues the window with the cursor');
  const added = pager.accept(relay.list(pager.nextQuery()!));
  assert.equal(added.length, 120);
  assert.equal(added[0]?.eventId, id(0), 'newest first');
  assert.ok(!pager.reading);
});

test('trim keeps the newest events and loading older fetches the trimmed ones again, equal times included', () => {
  // 30 events, three of them sharing the time at the cut.
  const events: Listing[] = Array.from({ length: 30 }, (_, n) => ({
    eventId: id(n),
    streamId: 'cam',
    time: NOW - 60_000 * (n >= 9 && n <= 11 ? 10 : n),
  }));
  const relay = fakeRelay(events);
  const pager = new EventPager<Listing>(() => NOW, 100);
  loadAll(pager, relay);
  assert.equal(pager.size, 30);
  assert.ok(pager.done);
  const kept = pager.list().slice(0, 10);
  const dropped = pager.trim(10);
  assert.equal(dropped.length, 20);
  assert.deepEqual(pager.list(), kept, 'the newest ten stay, in order');
  assert.equal(pager.done, false, 'the trimmed past can be loaded again');
  assert.deepEqual(pager.trim(10), [], 'nothing more to trim');
  loadAll(pager, relay);
  assert.equal(pager.size, 30, 'every trimmed event came back, none twice');
  assert.deepEqual(
    pager.list().map((event) => event.eventId),
    [...events]
      .sort((a, b) => b.time - a.time || (a.eventId < b.eventId ? 1 : -1))
      .map((event) => event.eventId),
  );
});

test('a pager bounded by a day lists from that day end backwards, nothing newer, with no open-ended window', () => {
  const events: Listing[] = Array.from({ length: 60 }, (_, n) => ({
    eventId: id(n),
    streamId: 'cam',
    time: NOW - n * HOUR,
  }));
  const relay = fakeRelay(events);
  const until = NOW - 24 * HOUR;
  const pager = new EventPager<Listing>(() => NOW, 20, HOUR, until);
  const first = pager.nextQuery();
  assert.equal(first?.to, until, 'the first window ends at the day end');
  loadAll(pager, relay);
  assert.ok(relay.queries.every((query) => query.to !== undefined && query.to <= until));
  const times = pager.list().map((event) => event.time);
  assert.ok(times.length > 0 && times.every((time) => time <= until));
  assert.equal(times.length, events.filter((event) => event.time <= until).length);
});

test('abandon: a failed window is asked again from its start, and trimming works meanwhile', () => {
  const events: Listing[] = Array.from({ length: 30 }, (_, n) => ({
    eventId: id(n),
    streamId: 'cam',
    time: NOW - n * 1000,
  }));
  const relay = fakeRelay(events);
  const pager = new EventPager<Listing>(() => NOW, 10);
  // A page of a dense window read, then the next request fails.
  const query = pager.nextQuery()!;
  assert.deepEqual(pager.accept(relay.list(query)), [], 'nothing released mid-window');
  assert.equal(pager.reading, true);
  pager.abandon();
  assert.equal(pager.reading, false);
  assert.deepEqual(
    pager.nextQuery(),
    { from: query.from, limit: 10 },
    'the same window again, from its start',
  );
  loadAll(pager, relay);
  assert.equal(pager.size, 30);
  assert.equal(pager.trim(5).length, 25);
});
