import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Access, openEvent, ready, SealError } from '@sealcam/protocol';
import { loadConfig } from '../src/config/config.js';
import { FanOut } from '../src/live/fan-out.js';
import { FAULT_WARNING } from '../src/routes/ops.js';
import { authenticate, http, registerViewers } from './support/relay-client.js';
import { startInProcessRelay } from './support/relay-process.js';
import { idOf, people, sealedEvent } from './support/world.js';

await ready();

describe('fault seam (test only)', () => {
  it('is off unless explicitly enabled', () => {
    assert.equal(loadConfig({}).faultInjection, 'off');
  });

  it('wraps the fan-out only when on with a rate above 0: otherwise frames go to the fan-out itself', async () => {
    for (const [overrides, wrapped] of [
      [{}, false],
      [{ faultInjection: 'mixup', faultRate: 0 }, false],
      [{ faultInjection: 'mixup', faultRate: 0.5 }, true],
    ] as const) {
      const running = await startInProcessRelay(overrides);
      try {
        const sink = running.relay.hub.frameSink;
        assert.equal(sink instanceof FanOut, !wrapped, JSON.stringify(overrides));
      } finally {
        await running.stop();
      }
    }
  });

  it('when on, warns loudly in the log and the admin /healthz, and misroutes lookups between devices', async () => {
    // A seeded source makes the misroutes (and so this test) deterministic.
    let state = 42;
    const seeded = () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const running = await startInProcessRelay({ faultInjection: 'mixup', faultRate: 1 }, seeded);
    try {
      assert.ok(running.logs.some((line) => line.includes(FAULT_WARNING)));
      const health = await http(running.adminBase, 'GET', '/healthz');
      assert.equal((health.json?.faultInjection as { warning: string } | undefined)?.warning, FAULT_WARNING);
      const a = people();
      const b = people();
      const tokens = {
        a: await authenticate(running.base, a.device),
        b: await authenticate(running.base, b.device),
        viewerA: await authenticate(running.base, a.owner),
      };
      await registerViewers(running.base, a.device, tokens.a, [{ identity: a.owner, access: Access.Owner }]);
      const eventA = sealedEvent(a.device, [a.owner]);
      const eventB = sealedEvent(b.device, [b.owner]);
      await http(running.base, 'PUT', `/v1/devices/${idOf(a.device)}/events/${eventA.eventId}`, {
        token: tokens.a,
        body: eventA.envelope,
      });
      await http(running.base, 'PUT', `/v1/devices/${idOf(b.device)}/events/${eventB.eventId}`, {
        token: tokens.b,
        body: eventB.envelope,
      });
      // Warm the seam with B's answer, then ask for A's event repeatedly: some answers are B's.
      let foreign = 0;
      for (let i = 0; i < 60; i++) {
        const which = i % 2 === 0 ? eventB : eventA;
        const owner = i % 2 === 0 ? b.device : a.device;
        await http(running.base, 'GET', `/v1/devices/${idOf(owner)}/events/${which.eventId}`, {
          token: i % 2 === 0 ? tokens.b : tokens.viewerA,
        });
        if (i % 2 === 0) continue;
        const served = await http(
          running.base,
          'GET',
          `/v1/devices/${idOf(a.device)}/events/${eventA.eventId}`,
          { token: tokens.viewerA },
        );
        try {
          openEvent(served.bytes, { viewer: a.owner, device: a.device.card, eventId: eventA.eventIdBytes });
        } catch (error) {
          assert.ok(error instanceof SealError, 'the viewer rejects what is not its own');
          foreign += 1;
        }
      }
      assert.ok(foreign > 0, 'the seam misrouted at least one answer');
      const metrics = await http(running.adminBase, 'GET', '/metrics');
      assert.match(metrics.text, /sealcam_relay_fault_misroutes_total\{where="store-/);
    } finally {
      await running.stop();
    }
  });
});
