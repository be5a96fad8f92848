import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIVE_WINDOW_MS, liveStatus, RateMeter } from '../web/src/live-status.js';
import { diffStreams } from '../web/src/stream-diff.js';
import { TaskQueue } from '../web/src/task-queue.js';
import { WarningLog } from '../web/src/warning-log.js';

test('live status of a tile', () => {
  assert.equal(liveStatus({ subscribed: false }, 0), 'connecting');
  assert.equal(liveStatus({ subscribed: true }, 0), 'waiting');
  const recent = 1000 + LIVE_WINDOW_MS - 1;
  const live = { subscribed: true, lastFrameAt: 1000, freshness: 'live', ageAtArrivalMs: 100 } as const;
  assert.equal(liveStatus(live, 1000 + 2900), 'live');
  // A live picture stops being live as it ages: nothing newer came within the live bound (3 s).
  assert.equal(liveStatus(live, 1000 + 2901), 'delayed');
  // Only a picture the SDK placed in time as live is called live (PROTOCOL.md §6.8).
  assert.equal(liveStatus({ subscribed: true, lastFrameAt: 1000, freshness: 'delayed' }, recent), 'delayed');
  assert.equal(
    liveStatus({ subscribed: true, lastFrameAt: 1000, freshness: 'unconfirmed' }, recent),
    'unconfirmed',
  );
  assert.equal(liveStatus({ subscribed: true, lastFrameAt: 1000 }, recent), 'unconfirmed');
  assert.equal(
    liveStatus({ subscribed: true, lastFrameAt: 1000, freshness: 'live' }, 1000 + LIVE_WINDOW_MS),
    'idle',
  );
  assert.equal(liveStatus({ subscribed: true, lastFrameAt: 1000, unavailable: true }, 1000), 'unavailable');
  // The relay cannot be reached: offline, whatever the last picture was.
  assert.equal(liveStatus({ ...live, offline: true }, 1000), 'offline');
  assert.equal(liveStatus({ subscribed: true, unavailable: true, offline: true }, 1000), 'offline');
});

test('frame rate over a sliding window', () => {
  const meter = new RateMeter(2000);
  assert.equal(meter.rate(0), 0);
  for (let t = 0; t < 2000; t += 100) meter.add(t);
  assert.equal(meter.rate(1999), 10);
  assert.equal(meter.rate(10_000), 0, 'stale frames fall out');
});

test('stream diff', () => {
  assert.deepEqual(diffStreams(['a', 'b'], [{ streamId: 'c' }, { streamId: 'a' }]), {
    added: ['c'],
    removed: ['b'],
  });
  assert.deepEqual(diffStreams([], []), { added: [], removed: [] });
});

test('the task queue runs at most N at once, in order', async () => {
  const queue = new TaskQueue(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (id: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    order.push(id);
    running--;
    if (id === 3) throw new Error('three');
    return id;
  };
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((id) => queue.run(task(id))));
  assert.equal(peak, 2);
  assert.deepEqual(
    results.map((result) => (result.status === 'fulfilled' ? result.value : 'failed')),
    [1, 2, 'failed', 4, 5],
  );
  assert.equal(queue.active, 0);
  assert.equal(queue.queued, 0);
});

test('the warning log keeps one counted line per distinct failure, newest first, bounded', () => {
  const log = new WarningLog(3);
  const frame = { context: 'Front · live cam-1', message: 'This frame was replayed.', reason: 'REPLAYED' };
  assert.equal(log.add(frame, 1).isNew, true);
  assert.equal(log.add(frame, 2).isNew, false);
  log.add(
    {
      context: 'Front · thumbnail',
      message: 'This thumbnail is not from your camera.',
      reason: 'WRONG_DEVICE',
    },
    3,
  );
  const [first, second] = log.list();
  assert.equal(first?.reason, 'WRONG_DEVICE');
  assert.equal(second?.count, 2);
  assert.equal(second?.firstAt, 1);
  assert.equal(second?.lastAt, 2);
  assert.equal(log.total, 3);
  for (let i = 0; i < 5; i++) log.add({ ...frame, context: `ctx ${i}` }, 10 + i);
  assert.equal(log.list().length, 3);
  log.clear();
  assert.equal(log.list().length, 0);
});
