import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Access, ready } from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
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
