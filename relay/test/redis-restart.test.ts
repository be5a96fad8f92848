import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Access, ready } from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import { DURABLE_REDIS_ARGS } from '../src/redis-server.js';
import { authenticate, http, registerViewers } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, people, sealedEvent } from './support/world.js';

await ready();
requireProgram('redis-server');

describe('Redis killed and restarted during traffic', () => {
  let redis: TestRedis;
  let running: RunningRelay;
  const p = people();

  before(async () => {
    redis = await TestRedis.start({ persistent: true });
    running = await startInProcessRelay({
      store: 'redis',
      redisUrl: redis.url,
      tokenSecret: 'cd'.repeat(32),
      requestsPerSecond: 100_000,
    });
  });
  after(async () => {
    await running?.stop();
    await redis?.stop();
  });

  it('reports not-ready, answers 503 + Retry-After, recovers, and leaves no half-written event', async () => {
    const deviceToken = await authenticate(running.base, p.device);
    const viewerToken = await authenticate(running.base, p.owner);
    await registerViewers(running.base, p.device, deviceToken, [{ identity: p.owner, access: Access.Owner }]);
    const url = `/v1/devices/${idOf(p.device)}/events`;
    /** Uploads one event (items, then envelope); returns the statuses. */
    const upload = async () => {
      const event = sealedEvent(p.device, [p.owner]);
      const statuses: number[] = [];
      const put = async (path: string, body: Uint8Array) => {
        const result = await http(running.base, 'PUT', `${url}/${event.eventId}${path}`, {
          token: deviceToken,
          body,
        }).catch(() => null);
        statuses.push(result?.status ?? 0);
        if (result?.status === 503)
          assert.ok(Number(result.headers.get('retry-after')) >= 1, 'a 503 carries Retry-After');
        return result?.status ?? 0;
      };
      await put('/thumbnail', event.thumbnail);
      for (const [i, chunk] of event.chunks.entries()) await put(`/chunks/${i}`, chunk);
      const committed = await put('', event.envelope);
      return { event, statuses, committed: committed === 201 || committed === 200 };
    };

    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await upload();
      assert.ok(result.committed);
      acknowledged.push(result.event.eventId);
    }

    // Traffic keeps flowing while Redis dies.
    let stop = false;
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 200 && !stop; i++) {
        const result = await upload();
        statuses.push(...result.statuses);
        if (result.committed) acknowledged.push(result.event.eventId);
      }
    })();
    await until(() => statuses.length >= 4, 60_000, 'traffic flowing before the kill');
    await redis.kill();
    await until(async () => (await http(running.base, 'GET', '/readyz')).status === 503, 60_000, 'not ready');
    const down = await http(running.base, 'GET', url, { token: viewerToken });
    assert.equal(down.status, 503);
    assert.equal(down.json?.error, 'store-unavailable');
    assert.equal((await http(running.base, 'GET', '/healthz')).status, 200, 'alive while not ready');

    await redis.restart();
    await until(
      async () => (await http(running.base, 'GET', '/readyz')).status === 200,
      60_000,
      'ready again',
    );
    stop = true;
    await traffic;
    assert.ok(statuses.includes(503), 'uploads during the outage got 503');
    assert.ok(!statuses.includes(500), 'never a 500');

    // Nothing half-written: every acknowledged event is complete; every listed event has its envelope.
    const after = await upload();
    assert.ok(after.committed, `uploads work again: ${after.statuses.join(',')}`);
    acknowledged.push(after.event.eventId);
    const listed = await http(running.base, 'GET', `${url}?limit=500`, { token: viewerToken });
    const ids = (listed.json as { events: { eventId: string }[] }).events.map((e) => e.eventId);
    for (const id of acknowledged)
      assert.ok(ids.includes(id), `acknowledged event ${id} survived (AOF, fsync always)`);
    for (const id of ids) {
      assert.equal(
        (await http(running.base, 'GET', `${url}/${id}`, { token: viewerToken })).status,
        200,
        `listed ${id} has its envelope`,
      );
    }
  });
});

describe('durability of what the relay acknowledged', () => {
  const p = people();

  it('relay/README.md recommends exactly the persistence this test runs Redis with', () => {
    const readme = readFileSync(
      join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'README.md'),
      'utf8',
    );
    const command = readme.split('\n').find((line) => line.startsWith('redis-server '));
    assert.ok(command, 'README shows a redis-server command line');
    assert.ok(
      command.includes(DURABLE_REDIS_ARGS.join(' ')),
      `README's "${command}" includes "${DURABLE_REDIS_ARGS.join(' ')}"`,
    );
  });

  /**
   * Uploads one event, SIGKILLs redis-server right after the relay acknowledged it, restarts it (on
   * its data directory when persistent) and returns what the viewer then lists and fetches.
   */
  const crashAfterAcknowledgement = async (options: { persistent?: boolean }) => {
    const redis = await TestRedis.start(options);
    let running: RunningRelay | undefined;
    try {
      running = await startInProcessRelay({
        store: 'redis',
        redisUrl: redis.url,
        tokenSecret: 'ef'.repeat(32),
        requestsPerSecond: 100_000,
      });
      const relay = running;
      const deviceToken = await authenticate(relay.base, p.device);
      const viewerToken = await authenticate(relay.base, p.owner);
      await registerViewers(relay.base, p.device, deviceToken, [{ identity: p.owner, access: Access.Owner }]);
      const url = `/v1/devices/${idOf(p.device)}/events`;
      const event = sealedEvent(p.device, [p.owner]);
      const put = async (path: string, body: Uint8Array) =>
        (await http(relay.base, 'PUT', `${url}/${event.eventId}${path}`, { token: deviceToken, body }))
          .status;
      assert.equal(await put('/thumbnail', event.thumbnail), 201);
      for (const [i, chunk] of event.chunks.entries()) assert.equal(await put(`/chunks/${i}`, chunk), 201);
      assert.equal(await put('', event.envelope), 201, 'the relay acknowledged the event');
      // A crash right after the acknowledgement: nothing is flushed on the way out.
      await redis.kill();
      await redis.restart();
      await until(
        async () => (await http(relay.base, 'GET', '/readyz')).status === 200,
        60_000,
        'ready again',
      );
      const listed = await http(relay.base, 'GET', url, { token: viewerToken });
      const ids =
        listed.status === 200
          ? (listed.json as { events: { eventId: string }[] }).events.map((e) => e.eventId)
          : [];
      const get = async (path: string) => {
        const got = await http(relay.base, 'GET', `${url}/${event.eventId}${path}`, { token: viewerToken });
        return got.status === 200 ? Buffer.from(got.bytes) : null;
      };
      const chunks = [];
      for (const i of event.chunks.keys()) chunks.push(await get(`/chunks/${i}`));
      return {
        event,
        listedStatus: listed.status,
        ids,
        envelope: await get(''),
        thumbnail: await get('/thumbnail'),
        chunks,
        persistenceArgs: redis.persistenceArgs,
      };
    } finally {
      await running?.stop();
      await redis.stop();
    }
  };

  it('an acknowledged event and its items are listed and fetched unchanged after redis-server is SIGKILLed and restarted on its data directory', async () => {
    const after = await crashAfterAcknowledgement({ persistent: true });
    assert.deepEqual(after.persistenceArgs.slice(0, 4), [...DURABLE_REDIS_ARGS], 'the README setting');
    assert.equal(after.listedStatus, 200);
    assert.deepEqual(after.ids, [after.event.eventId]);
    assert.ok(after.envelope?.equals(after.event.envelope), 'envelope unchanged');
    assert.ok(after.thumbnail?.equals(after.event.thumbnail), 'thumbnail unchanged');
    for (const [i, chunk] of after.event.chunks.entries())
      assert.ok(after.chunks[i]?.equals(chunk), `chunk ${i} unchanged`);
  });

  it('the same crash without persistence loses the acknowledged event (the check above can fail)', async () => {
    const after = await crashAfterAcknowledgement({});
    // Everything went: the event, and the access list too (the viewer is refused the listing).
    assert.deepEqual(after.ids, []);
    assert.equal(after.envelope, null);
  });

  /** The start-up line about Redis persistence, as the relay logged it. */
  const persistenceLine = async (redis: TestRedis) => {
    const running = await startInProcessRelay({ store: 'redis', redisUrl: redis.url });
    try {
      const line = running.logs.find((text) => /Redis persistence/i.test(text));
      assert.ok(line, 'the relay logs a line about Redis persistence at start');
      return JSON.parse(line) as { level: number; msg: string };
    } finally {
      await running.stop();
    }
  };

  it('at start the relay logs that Redis is durable under appendfsync always, and warns with the loss window otherwise', async () => {
    const cases = [
      { options: { persistent: true }, level: 30, says: 'survives a Redis crash' },
      {
        options: { persistent: true, appendfsync: 'everysec' as const },
        level: 40,
        says: 'last 1-2 seconds',
      },
      { options: { persistent: true, appendfsync: 'no' as const }, level: 40, says: 'up to 30 seconds' },
      { options: {}, level: 40, says: 'does not persist at all' },
    ];
    for (const { options, level, says } of cases) {
      const redis = await TestRedis.start(options);
      try {
        const line = await persistenceLine(redis);
        assert.equal(line.level, level, JSON.stringify(options));
        assert.ok(line.msg.includes(says), `${JSON.stringify(options)}: ${line.msg}`);
      } finally {
        await redis.stop();
      }
    }
  });

  it('a Redis with CONFIG disabled: the relay starts, serves, and warns that it could not read the persistence settings', async () => {
    const redis = await TestRedis.start({ extraArgs: ['--rename-command', 'CONFIG', ''] });
    try {
      const line = await persistenceLine(redis);
      assert.equal(line.level, 40);
      assert.ok(line.msg.includes('could not read Redis persistence settings'), line.msg);
    } finally {
      await redis.stop();
    }
  });
});
