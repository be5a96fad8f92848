import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ready } from '@sealcam/protocol';
import WebSocket from 'ws';
import { authenticate, http } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { people } from './support/world.js';

await ready();

/**
 * The most a fixed-window limiter of `points` per `windowMs` can admit over `elapsedMs`: the windows
 * start at the first request, so that span touches at most floor(elapsed / window) + 1 of them. A busy
 * machine spreads a burst over more time; the bound follows it instead of assuming one window.
 */
function windowBound(points: number, windowMs: number, elapsedMs: number): number {
  return points * (Math.floor(elapsedMs / windowMs) + 1);
}

/** Sends `count` concurrent challenge requests; returns the answers and how long the burst lasted. */
async function burst(base: string, count: number) {
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: count }, () => http(base, 'POST', '/v1/auth/challenge')),
  );
  return { results, elapsedMs: Date.now() - started };
}

describe('reconnect storms: admission control answers with a back-off signal', () => {
  let running: RunningRelay;

  before(async () => {
    // A low steady rate, so that a burst stays a burst even when a busy machine takes seconds to send it.
    running = await startInProcessRelay({
      handshakeRate: 2,
      handshakeBurst: 10,
      maxConnections: 5,
      retryAfterSeconds: 7,
      challengesPerSecondPerSource: 10_000,
      // 200 concurrent requests from one address: this suite is about the relay-wide buckets.
      unauthenticatedSocketsPerSource: 10_000,
    });
  });
  after(async () => running?.stop());

  it('a burst of auth handshakes beyond the bucket gets 503 + Retry-After, not a crash', async () => {
    const { results, elapsedMs } = await burst(running.base, 200);
    const admitted = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 503);
    // A token bucket of 10 refilled at 2 per second, over however long the 200 requests took to arrive.
    const bound = 10 + Math.ceil((2 * elapsedMs) / 1000);
    assert.ok(
      admitted >= 10 && admitted <= bound,
      `admitted ${admitted} in ${elapsedMs} ms (bound ${bound})`,
    );
    assert.equal(admitted + refused.length, 200, 'every other request got 503');
    assert.ok(refused.length > 0, `nothing refused: ${admitted} admitted in ${elapsedMs} ms`);
    // Refusals are promised returns at the bucket's pace (2 a second), less than the whole process
    // takes to come back in ahead (5 connections at 2 a second: 3 s); past that, no promise: the
    // plain Retry-After (7 here) without Sealcam-Retry-Spread.
    for (const result of refused) assert.equal(result.json?.error, 'over-capacity');
    const promised = refused.filter((result) => result.headers.get('sealcam-retry-spread') !== null);
    const plain = refused.filter((result) => result.headers.get('sealcam-retry-spread') === null);
    const waits = promised.map((result) => Number(result.headers.get('retry-after')));
    for (const result of promised) assert.equal(result.headers.get('sealcam-retry-spread'), '1');
    assert.ok(
      waits.every((wait) => wait >= 1 && wait <= 3),
      `Retry-After outside 1..3: ${waits.join(',')}`,
    );
    assert.ok(waits.includes(1) && waits.includes(3), `not spread over the schedule: ${waits.join(',')}`);
    assert.ok(plain.length > 0, 'the schedule never filled');
    for (const result of plain) assert.equal(result.headers.get('retry-after'), '7');
    assert.equal((await http(running.base, 'GET', '/healthz')).status, 200);
  });

  it('one client address is limited on its own (429), before the shared bucket', async () => {
    const limited = await startInProcessRelay({ challengesPerSecondPerSource: 1 });
    try {
      const { results, elapsedMs } = await burst(limited.base, 30);
      const ok = results.filter((r) => r.status === 200).length;
      // 1 per second per source, in 2 s windows of 2.
      const bound = windowBound(2, 2000, elapsedMs);
      assert.ok(ok >= 2 && ok <= bound, `admitted ${ok} in ${elapsedMs} ms (bound ${bound})`);
      assert.ok(ok < 30, `nothing limited: ${ok} admitted in ${elapsedMs} ms`);
      for (const r of results.filter((r) => r.status !== 200)) {
        assert.equal(r.status, 429);
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
    } finally {
      await limited.stop();
    }
  });

  it('WebSocket upgrades beyond the connection cap get 503 + Retry-After before any work', async () => {
    // The burst above emptied the handshake bucket; its 1 s window refills it (a lower bound).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const token = await authenticate(running.base, people().owner);
    const open: WebSocket[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const ws = new WebSocket(`${running.wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`]);
      ws.on('error', () => {});
      const outcome = await new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(-1), 60_000);
        ws.once('error', () => resolve(0));
        ws.once('close', () => clearTimeout(timer));
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_request, response) => {
          assert.equal(response.headers['retry-after'], '7');
          // A full relay schedules nobody: no spread, the client's own window applies.
          assert.equal(response.headers['sealcam-retry-spread'], undefined);
          resolve(response.statusCode ?? 0);
        });
      });
      statuses.push(outcome);
      if (outcome === 101) open.push(ws);
    }
    assert.deepEqual(statuses, [101, 101, 101, 101, 101, 503, 503, 503]);
    const metrics = await http(running.adminBase, 'GET', '/metrics');
    assert.match(metrics.text, /sealcam_relay_admission_rejections_total\{kind="connections"\} 3/);
    for (const ws of open) ws.close();
  });

  it('an upgrade refused by the handshake bucket is told when to come back, spread over a second', async () => {
    const slow = await startInProcessRelay({
      handshakeRate: 1,
      handshakeBurst: 1,
      upgradesPerSecondPerIdentity: 1000,
      unauthenticatedSocketsPerSource: 10_000,
    });
    const open: WebSocket[] = [];
    try {
      const token = await authenticate(slow.base, people().owner);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => {
          const ws = new WebSocket(`${slow.wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`]);
          ws.on('error', () => {});
          return new Promise<{
            status: number;
            retryAfter?: string | undefined;
            spread?: string | undefined;
          }>((resolve) => {
            ws.once('open', () => {
              open.push(ws);
              resolve({ status: 101 });
            });
            ws.once('unexpected-response', (_request, response) =>
              resolve({
                status: response.statusCode ?? 0,
                retryAfter: response.headers['retry-after'] as string | undefined,
                spread: response.headers['sealcam-retry-spread'] as string | undefined,
              }),
            );
          });
        }),
      );
      const refused = answers.filter((answer) => answer.status === 503);
      assert.ok(
        refused.length >= 1,
        `six concurrent upgrades at 1 a second all admitted: ${JSON.stringify(answers)}`,
      );
      for (const answer of refused) {
        assert.equal(answer.spread, '1');
        assert.ok(Number(answer.retryAfter) >= 1, `Retry-After ${answer.retryAfter}`);
      }
    } finally {
      for (const ws of open) ws.close();
      await slow.stop();
    }
  });
});
