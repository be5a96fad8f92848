import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ready } from '@sealcam/protocol';
import WebSocket from 'ws';
import { authenticate, http } from './support/relay-client.js';
import { type RunningRelay, startRelay } from './support/relay-process.js';
import { people } from './support/world.js';

await ready();

describe('reconnect storms: admission control answers with a back-off signal', () => {
  let running: RunningRelay;

  before(async () => {
    running = await startRelay({
      handshakeRate: 20,
      handshakeBurst: 10,
      maxConnections: 5,
      retryAfterSeconds: 7,
      challengesPerSecondPerSource: 10_000,
    });
  });
  after(async () => running?.stop());

  it('a burst of auth handshakes beyond the bucket gets 503 + Retry-After, not a crash', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, () => http(running.base, 'POST', '/v1/auth/challenge')),
    );
    const admitted = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 503);
    assert.ok(admitted >= 10 && admitted <= 60, `admitted ${admitted}`);
    assert.ok(refused.length > 100);
    for (const result of refused) {
      assert.ok(Number(result.headers.get('retry-after')) >= 1);
      assert.equal(result.json?.error, 'over-capacity');
    }
    assert.equal((await http(running.base, 'GET', '/healthz')).status, 200);
  });

  it('one client address is limited on its own (429), before the shared bucket', async () => {
    const limited = await startRelay({ challengesPerSecondPerSource: 5 });
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, () => http(limited.base, 'POST', '/v1/auth/challenge')),
      );
      const ok = results.filter((r) => r.status === 200).length;
      assert.ok(ok >= 5 && ok <= 10, `admitted ${ok}`);
      for (const r of results.filter((r) => r.status !== 200)) {
        assert.equal(r.status, 429);
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
    } finally {
      await limited.stop();
    }
  });

  it('WebSocket upgrades beyond the connection cap get 503 + Retry-After before any work', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const token = await authenticate(running.base, people().owner);
    const open: WebSocket[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const ws = new WebSocket(`${running.wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`]);
      ws.on('error', () => {});
      const outcome = await new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(-1), 5000);
        ws.once('error', () => resolve(0));
        ws.once('close', () => clearTimeout(timer));
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_request, response) => {
          assert.equal(response.headers['retry-after'], '7');
          resolve(response.statusCode ?? 0);
        });
      });
      statuses.push(outcome);
      if (outcome === 101) open.push(ws);
    }
    assert.deepEqual(statuses, [101, 101, 101, 101, 101, 503, 503, 503]);
    const metrics = await http(running.base, 'GET', '/metrics');
    assert.match(metrics.text, /sealcam_relay_admission_rejections_total\{kind="connections"\} 3/);
    for (const ws of open) ws.close();
  });
});
