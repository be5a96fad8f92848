import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createIdentity, Role, ready } from '@sealcam/protocol';
import type WebSocket from 'ws';
import { FromAddress } from './support/from-address.js';
import { authenticate } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';

await ready();

/** A counter's value for one label set, read from the relay's registry. */
async function counted(running: RunningRelay, kind: string): Promise<number> {
  const { values } = await running.relay.context.metrics.admissionRejections.get();
  return values.find((sample) => sample.labels.kind === kind)?.value ?? 0;
}

describe('admission that one client cannot drain', () => {
  let running: RunningRelay;

  before(async () => {
    // 60 attacker sources + 1 honest, fewer than rate / 2 - 1: a source asking once a second always finds a token.
    running = await startInProcessRelay({
      handshakeRate: 130,
      handshakeBurst: 1,
      challengesPerSecondPerSource: 10,
      connectionsPerIdentity: 2,
      upgradesPerSecondPerIdentity: 5,
      logLevel: 'warn',
    });
  });
  after(async () => running?.stop());

  it('challenges from 60 addresses, each under its own rate, leave an honest address >= 99% of its challenges', async () => {
    const attackers = Array.from({ length: 60 }, (_, i) => new FromAddress(`127.0.0.${10 + i}`));
    const honest = new FromAddress('127.0.0.200');
    let flooding = true;
    const attackerStatuses = new Map<number, number>();
    const flood = attackers.flatMap((attacker) =>
      [0, 1].map(async () => {
        while (flooding) {
          const { status } = await attacker.send(running.base, 'POST', '/v1/auth/challenge');
          attackerStatuses.set(status, (attackerStatuses.get(status) ?? 0) + 1);
        }
      }),
    );
    try {
      // The flood is under way before the first honest challenge.
      const started = Date.now();
      while ((attackerStatuses.get(200) ?? 0) < 500 && Date.now() - started < 120_000) await sleep(50);
      const honestStatuses: string[] = [];
      for (let i = 0; i < 40; i++) {
        const { status, error } = await honest.send(running.base, 'POST', '/v1/auth/challenge');
        honestStatuses.push(error ? `${status} ${error}` : String(status));
        // More than a window apart: an honest client asks rarely.
        await sleep(1100);
      }
      const ok = honestStatuses.filter((status) => status === '200').length;
      assert.ok(
        ok >= Math.ceil(0.99 * honestStatuses.length),
        `honest ${ok}/${honestStatuses.length}: ${honestStatuses.join(',')}; attackers ${JSON.stringify([...attackerStatuses])}; relay-wide refusals ${await counted(running, 'handshake')}`,
      );
    } finally {
      flooding = false;
      await Promise.all(flood);
      for (const client of [...attackers, honest]) client.close();
    }
    // The attackers were refused on their own account (their rate, their share), 429 not 503.
    const refusedAlone =
      (await counted(running, 'source-rate')) + (await counted(running, 'source-fair-share'));
    assert.ok(refusedAlone > 0, `attackers were never refused: ${JSON.stringify([...attackerStatuses])}`);
    assert.ok((attackerStatuses.get(429) ?? 0) > 0);
  });

  it('one identity retrying upgrades beyond its connection cap takes no relay-wide token: 25/25 honest live connects succeed', async () => {
    // The challenge flood above may still fill the bucket's current 1 s window: let it pass.
    await sleep(1500);
    const attackerIdentity = createIdentity(Role.Viewer);
    const attackerToken = await authenticate(running.base, attackerIdentity);
    const attacker = new FromAddress('127.0.0.80');
    const held: WebSocket[] = [];
    for (let i = 0; i < 2; i++) {
      const { status, ws } = await attacker.upgrade(running.wsBase, attackerToken);
      assert.equal(status, 101);
      held.push(ws);
    }
    const handshakeRefusalsBefore = await counted(running, 'handshake');
    let flooding = true;
    const attempts = new Map<number, number>();
    const flood = [0, 1, 2, 3].map(async () => {
      while (flooding) {
        const { status, ws } = await attacker.upgrade(running.wsBase, attackerToken);
        attempts.set(status, (attempts.get(status) ?? 0) + 1);
        ws.terminate();
      }
    });
    const honestAddress = new FromAddress('127.0.0.81');
    const honest: number[] = [];
    try {
      while ((attempts.get(429) ?? 0) + (attempts.get(503) ?? 0) < 50) await sleep(20);
      for (let i = 0; i < 25; i++) {
        const viewer = createIdentity(Role.Viewer);
        const token = await authenticate(running.base, viewer);
        const { status, ws } = await honestAddress.upgrade(running.wsBase, token);
        honest.push(status);
        ws.close();
        // Under the honest address's own challenge rate.
        await sleep(150);
      }
    } finally {
      flooding = false;
      await Promise.all(flood);
      for (const ws of held) ws.close();
      attacker.close();
      honestAddress.close();
    }
    assert.deepEqual(honest, Array(25).fill(101), `attacker saw ${JSON.stringify([...attempts])}`);
    // Refused by its own limits (429 over its upgrade rate, 503 over its connection cap) ...
    assert.ok((await counted(running, 'identity-upgrade-rate')) > 0);
    assert.ok((await counted(running, 'identity-connections')) > 0);
    // ... and never by the relay-wide bucket, which it did not touch.
    assert.equal(await counted(running, 'handshake'), handshakeRefusalsBefore);
  });
});
