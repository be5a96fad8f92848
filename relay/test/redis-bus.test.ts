import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { until, within } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import { createClient } from 'redis';
import type { BusListener } from '../src/bus/bus.js';
import {
  createRedisBus,
  DROPPABLE_SHARE,
  MAX_PENDING_PUBLISH_BYTES,
  MAX_PENDING_PUBLISHES,
  RedisBus,
} from '../src/bus/redis-bus.js';
import { redisClientOptions } from '../src/store/redis-store.js';

requireProgram('redis-server');

/** A listener that records what it receives. */
function recorder(): { listener: BusListener; received: Uint8Array[] } {
  const received: Uint8Array[] = [];
  return { listener: (message) => received.push(message.slice()), received };
}

function serverMajorVersion(): number {
  const output = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return Number(/v=(\d+)\./.exec(output)?.[1] ?? 0);
}

let channelCounter = 0;
function freshChannel(): string {
  channelCounter += 1;
  return `sealcam:live:test-${channelCounter}`;
}

describe('redis bus', () => {
  let redis: TestRedis;
  let a: RedisBus;
  let b: RedisBus;

  before(async () => {
    redis = await TestRedis.start();
    a = await createRedisBus({ url: redis.url });
    b = await createRedisBus({ url: redis.url });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('is ready and uses sharded pub/sub on Redis >= 7', () => {
    assert.equal(a.isReady(), true);
    assert.equal(b.isReady(), true);
    assert.equal(a.kind, 'redis');
    assert.equal(a.sharded, serverMajorVersion() >= 7);
  });

  it('delivers what A publishes to B byte-exact, and counts receivers', async () => {
    const channel = freshChannel();
    const { listener, received } = recorder();
    assert.equal(await a.publish(channel, [new Uint8Array([1, 2, 3])]), 0, 'nobody subscribed');
    await b.subscribe(channel, listener);
    const small = new Uint8Array(256).map((_, i) => i);
    const large = new Uint8Array(randomBytes(1 << 20));
    const empty = new Uint8Array(0);
    // A view into a larger buffer publishes only its own bytes.
    const backing = new Uint8Array(64).fill(0xee);
    backing.set([0, 0xff, 0xc3, 0x28], 30);
    const view = backing.subarray(30, 34);
    assert.equal(await a.publish(channel, [small]), 1);
    assert.equal(await a.publish(channel, [large]), 1);
    assert.equal(await a.publish(channel, [empty]), 1);
    assert.equal(await a.publish(channel, [view]), 1);
    await until(() => received.length === 4, 30_000, 'four messages');
    assert.deepEqual(received, [small, large, empty, new Uint8Array([0, 0xff, 0xc3, 0x28])]);
    await b.unsubscribe(channel, listener);
  });

  it('publishes parts as one message, in order, each view with only its own bytes', async () => {
    const channel = freshChannel();
    const { listener, received } = recorder();
    await b.subscribe(channel, listener);
    const backing = new Uint8Array(32).fill(0xee);
    backing.set([5, 6, 7], 10);
    assert.equal(
      await a.publish(channel, [
        Uint8Array.of(1, 2),
        backing.subarray(10, 13),
        new Uint8Array(0),
        Uint8Array.of(9),
      ]),
      1,
    );
    await until(() => received.length === 1, 30_000, 'the message');
    assert.deepEqual(received, [Uint8Array.of(1, 2, 5, 6, 7, 9)]);
    await b.unsubscribe(channel, listener);
  });

  it(`holds at most ${MAX_PENDING_PUBLISHES} publishes unanswered, frames at most ${DROPPABLE_SHARE} of them: beyond, -1 at once`, async () => {
    const channel = freshChannel();
    const { listener, received } = recorder();
    await b.subscribe(channel, listener);
    const frameSlots = MAX_PENDING_PUBLISHES * DROPPABLE_SHARE;
    // Sent in one synchronous loop: none can be answered before the last is asked for.
    const frames = Array.from({ length: frameSlots + 100 }, (_, i) =>
      a.publish(channel, [Uint8Array.of(i & 0xff)], true),
    );
    const control = Array.from({ length: MAX_PENDING_PUBLISHES - frameSlots + 100 }, (_, i) =>
      a.publish(channel, [Uint8Array.of(i & 0xff)]),
    );
    const [frameResults, controlResults] = await Promise.all([Promise.all(frames), Promise.all(control)]);
    assert.ok(
      frameResults.slice(0, frameSlots).every((receivers) => receivers === 1),
      'frames within their share sent',
    );
    assert.deepEqual(
      new Set(frameResults.slice(frameSlots)),
      new Set([-1]),
      'frames beyond their share dropped',
    );
    const reserve = MAX_PENDING_PUBLISHES - frameSlots;
    assert.ok(
      controlResults.slice(0, reserve).every((receivers) => receivers === 1),
      'the reserve kept for the rest',
    );
    assert.deepEqual(new Set(controlResults.slice(reserve)), new Set([-1]), 'beyond the bound dropped');
    await until(() => received.length === MAX_PENDING_PUBLISHES, 30_000, 'the sent ones delivered');
    // Once answered, publishing works again.
    assert.equal(await a.publish(channel, [Uint8Array.of(1)], true), 1);
    await b.unsubscribe(channel, listener);
  });

  it(`holds at most ${MAX_PENDING_PUBLISH_BYTES / 1048576} MiB unanswered, frames at most ${DROPPABLE_SHARE} of it`, async () => {
    const channel = freshChannel();
    const { listener, received } = recorder();
    await b.subscribe(channel, listener);
    const MiB = new Uint8Array(1024 * 1024);
    const fit = Math.floor((MAX_PENDING_PUBLISH_BYTES * DROPPABLE_SHARE) / (MiB.length + 64));
    const results = await Promise.all(Array.from({ length: fit + 5 }, () => a.publish(channel, [MiB], true)));
    assert.ok(
      results.slice(0, fit).every((receivers) => receivers === 1),
      `the first ${fit} MiB sent`,
    );
    assert.equal(results.at(-1), -1, 'beyond the byte share dropped');
    assert.ok(results.filter((receivers) => receivers === 1).length <= fit + 1);
    await until(
      () => received.length === results.filter((receivers) => receivers === 1).length,
      60_000,
      'delivered',
    );
    await b.unsubscribe(channel, listener);
  });

  it('while Redis stalls, held publishes neither fail nor get lost: all arrive once it resumes', async () => {
    // A Redis of its own, stopped with SIGSTOP: its socket stays open and nothing is answered.
    const stalled = await TestRedis.start();
    const publisher = await createRedisBus({ url: stalled.url });
    const listening = await createRedisBus({ url: stalled.url });
    const pid = stalled.pid!;
    try {
      const channel = freshChannel();
      const { listener, received } = recorder();
      await listening.subscribe(channel, listener);
      process.kill(pid, 'SIGSTOP');
      const waiting = Array.from({ length: 10 }, (_, i) => publisher.publish(channel, [Uint8Array.of(i)]));
      const settled: number[] = [];
      for (const each of waiting) void each.then((receivers) => settled.push(receivers));
      await sleep(2000);
      assert.deepEqual(settled, [], 'a publish ended while Redis was stopped');
      process.kill(pid, 'SIGCONT');
      assert.deepEqual(await Promise.all(waiting), Array(10).fill(1));
      await until(() => received.length === 10, 30_000, 'the held messages delivered');
    } finally {
      process.kill(pid, 'SIGCONT');
      await publisher.close();
      await listening.close();
      await stalled.stop();
    }
  });

  it('does not echo to the publishing process and counts only the others', async () => {
    const channel = freshChannel();
    const atA = recorder();
    const atB = recorder();
    await a.subscribe(channel, atA.listener);
    assert.equal(await a.publish(channel, [new Uint8Array([1])]), 0, 'only A itself listens');
    await b.subscribe(channel, atB.listener);
    assert.equal(await a.publish(channel, [new Uint8Array([2])]), 1);
    // B's message reaches A after A's own ones would have: once it is there, A's were dropped.
    assert.equal(await b.publish(channel, [new Uint8Array([3])]), 1);
    await until(() => atA.received.length === 1 && atB.received.length === 1, 30_000, 'deliveries');
    assert.deepEqual(atA.received, [new Uint8Array([3])]);
    assert.deepEqual(atB.received, [new Uint8Array([2])]);
    await a.unsubscribe(channel, atA.listener);
    await b.unsubscribe(channel, atB.listener);
  });

  it('ref-counts listeners per channel; unsubscribe stops delivery', async () => {
    const channel = freshChannel();
    const first = recorder();
    const second = recorder();
    const bystander = recorder();
    const other = freshChannel();
    await b.subscribe(other, bystander.listener);
    await b.subscribe(channel, first.listener);
    await b.subscribe(channel, second.listener);
    await b.subscribe(channel, second.listener); // the same listener twice counts once
    assert.equal(await a.publish(channel, [new Uint8Array([1])]), 1, 'one subscription for the process');
    await until(() => first.received.length === 1 && second.received.length === 1, 30_000, 'both');

    await b.unsubscribe(channel, first.listener);
    assert.equal(await a.publish(channel, [new Uint8Array([2])]), 1, 'still subscribed for the second');
    await until(() => second.received.length === 2, 30_000, 'second listener');

    await b.unsubscribe(channel, second.listener);
    assert.equal(await a.publish(channel, [new Uint8Array([3])]), 0, 'the last unsubscribe unsubscribed');
    // A barrier on another channel of the same connection: anything for `channel` would be earlier.
    assert.equal(await a.publish(other, [new Uint8Array([9])]), 1);
    await until(() => bystander.received.length === 1, 30_000, 'barrier');
    assert.equal(first.received.length, 1);
    assert.equal(second.received.length, 2);
    await b.unsubscribe(channel, second.listener); // unknown listener: no effect, no error
    await b.unsubscribe(other, bystander.listener);
    assert.equal(await a.publish(other, [new Uint8Array([9])]), 0);
  });

  it('keeps delivering to the other listeners when one throws', async () => {
    const channel = freshChannel();
    const good = recorder();
    const errors: Error[] = [];
    const bus = await createRedisBus({ url: redis.url, onError: (error) => errors.push(error) });
    try {
      await bus.subscribe(channel, () => {
        throw new Error('listener bug');
      });
      await bus.subscribe(channel, good.listener);
      assert.equal(await a.publish(channel, [new Uint8Array([5])]), 1);
      assert.equal(await a.publish(channel, [new Uint8Array([6])]), 1);
      await until(() => good.received.length === 2, 30_000, 'deliveries');
      assert.equal(bus.isReady(), true, 'the connection survived');
      assert.equal(errors.length, 2);
    } finally {
      await bus.close();
    }
  });

  it('serialises racing subscribe/unsubscribe of one channel', async () => {
    const channel = freshChannel();
    const listeners = Array.from({ length: 10 }, () => recorder());
    await Promise.all(listeners.map(({ listener }) => b.subscribe(channel, listener)));
    await Promise.all(listeners.slice(0, 9).map(({ listener }) => b.unsubscribe(channel, listener)));
    assert.equal(await a.publish(channel, [new Uint8Array([1])]), 1);
    await until(() => listeners[9]!.received.length === 1, 30_000, 'the remaining listener');
    const racing = listeners.flatMap(({ listener }) => [
      b.subscribe(channel, listener),
      b.unsubscribe(channel, listener),
    ]);
    await within(Promise.all(racing), 30_000, 'racing operations');
    assert.equal(await a.publish(channel, [new Uint8Array([2])]), 0, 'every listener ended unsubscribed');
  });

  it('falls back to classic PUBLISH/SUBSCRIBE', async () => {
    const clients = Array.from({ length: 4 }, () => {
      const client = createClient(
        redisClientOptions({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 2000 }),
      );
      client.on('error', () => {});
      return client;
    });
    await Promise.all(clients.map((client) => client.connect()));
    const [p1, s1, p2, s2] = clients as [
      (typeof clients)[0],
      (typeof clients)[0],
      (typeof clients)[0],
      (typeof clients)[0],
    ];
    const x = new RedisBus(p1, s1, false, 'x:', () => {});
    const y = new RedisBus(p2, s2, false, 'x:', () => {});
    try {
      const channel = freshChannel();
      const { listener, received } = recorder();
      await y.subscribe(channel, listener);
      assert.equal(await x.publish(channel, [new Uint8Array([7, 0, 7])]), 1);
      await until(() => received.length === 1, 30_000, 'classic delivery');
      assert.deepEqual(received, [new Uint8Array([7, 0, 7])]);
      // The prefix isolates: a sharded bus with no prefix does not hear it.
      assert.equal(await a.publish(channel, [new Uint8Array([1])]), 0);
      await y.unsubscribe(channel, listener);
      assert.equal(await x.publish(channel, [new Uint8Array([1])]), 0);
    } finally {
      await x.close();
      await y.close();
    }
  });

  it('survives a Redis kill: publish resolves -1, subscriptions come back after the restart', async () => {
    const own = await TestRedis.start();
    const errors: Error[] = [];
    const publisher = await createRedisBus({ url: own.url, onError: (error) => errors.push(error) });
    const subscriber = await createRedisBus({ url: own.url, onError: (error) => errors.push(error) });
    try {
      const kept = freshChannel();
      const dropped = freshChannel();
      const late = freshChannel();
      const { listener, received } = recorder();
      const droppedListener = recorder();
      await subscriber.subscribe(kept, listener);
      await subscriber.subscribe(dropped, droppedListener.listener);
      assert.equal(await publisher.publish(kept, [new Uint8Array([1])]), 1);
      await until(() => received.length === 1, 30_000, 'delivery before the kill');

      // Frames keep being published, unawaited, while Redis dies under them.
      const inFlight: Promise<number>[] = [];
      for (let i = 0; i < 50; i++) inFlight.push(publisher.publish(kept, [new Uint8Array([i])]));
      await own.kill();
      for (let i = 0; i < 50; i++) inFlight.push(publisher.publish(kept, [new Uint8Array([i])]));
      await until(() => !publisher.isReady() && !subscriber.isReady(), 30_000, 'both buses not ready');

      // Fails at once, not after the 5 s command timeout (the bound leaves room for a busy machine).
      const started = Date.now();
      assert.equal(await publisher.publish(kept, [new Uint8Array([2])]), -1);
      assert.ok(Date.now() - started < 4000, `publish fails fast (${Date.now() - started} ms)`);
      const counts = await within(Promise.all(inFlight), 30_000, 'publishes during the kill');
      assert.ok(counts.every((count) => count === 1 || count === -1));
      assert.ok(counts.includes(-1));

      // A first subscription cannot be made while Redis is down; it rejects with nothing kept.
      const lateListener = recorder();
      await assert.rejects(
        within(subscriber.subscribe(late, lateListener.listener), 30_000, 'subscribe'),
        (error: Error) => !/did not settle/.test(error.message),
        'the subscribe itself rejects (it does not hang)',
      );
      // Unsubscribing works offline: delivery stops now, Redis is told when it is back.
      await within(subscriber.unsubscribe(dropped, droppedListener.listener), 30_000, 'unsubscribe');

      await own.restart();
      await until(() => publisher.isReady() && subscriber.isReady(), 30_000, 'both buses ready again');
      const before = received.length;
      assert.equal(await publisher.publish(kept, [new Uint8Array([3])]), 1, 'resubscribed after the restart');
      await until(() => received.length === before + 1, 30_000, 'delivery after the restart');
      assert.deepEqual(received[received.length - 1], new Uint8Array([3]));

      // The channel unsubscribed during the outage is dropped once Redis is back.
      let count = -1;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        count = await publisher.publish(dropped, [new Uint8Array([4])]);
        if (count === 0) break;
        await sleep(20);
      }
      assert.equal(count, 0, 'the channel unsubscribed offline is dropped within 30 s of the restart');
      assert.equal(droppedListener.received.length, 0);
      assert.equal(
        await publisher.publish(late, [new Uint8Array([5])]),
        0,
        'the failed subscribe left nothing',
      );
      await subscriber.subscribe(late, lateListener.listener);
      assert.equal(await publisher.publish(late, [new Uint8Array([6])]), 1);
      await until(() => lateListener.received.length === 1, 30_000, 'late subscription works');
      assert.ok(errors.length > 0, 'connection errors were reported, not thrown');

      // close() does not hang while Redis is down.
      await own.kill();
      await until(() => !subscriber.isReady(), 30_000, 'not ready after the second kill');
      await within(Promise.all([publisher.close(), subscriber.close()]), 30_000, 'close');
      assert.equal(await publisher.publish(kept, [new Uint8Array([7])]), -1, 'a closed bus resolves -1');
    } finally {
      await publisher.close();
      await subscriber.close();
      await own.stop();
    }
  });
});
