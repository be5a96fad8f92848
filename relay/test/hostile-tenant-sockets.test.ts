import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ready } from '@sealcam/protocol';
import { admissionDrain } from '../bench/abuse/admission-drain.js';
import { source } from '../bench/abuse/net.js';
import { slowSockets } from '../bench/abuse/slow-sockets.js';
import { nestedJsonFlood, outsiderPolls } from '../bench/abuse/surfaces.js';
import { STORES } from '../bench/abuse/target.js';
import { underAttack } from '../bench/abuse/under-attack.js';
import { assertRelayHeld, unexpected } from './support/hostile.js';

await ready();

// Issue #14, attacks 4, 6, 7 and 8 (sockets, admission, unauthenticated surfaces), at CI scale;
// `npm run bench:abuse` runs them longer. Each attack gets a fresh relay process with the
// hostile-tenant budget while an honest device and viewer (from 127.0.0.1) keep working.
for (const store of STORES) {
  describe(`hostile tenant, sockets and admission (${store} store)`, () => {
    it('1,000 half-sent requests and upgrades from one source, 1 byte per 3 s, are all closed by the relay within 30 s', async (t) => {
      const run = await underAttack(store, (target) =>
        slowSockets(target, {
          sockets: 1000,
          byteIntervalMs: 3000,
          durationMs: 30_000,
          localAddress: source(20),
        }),
      );
      assertRelayHeld(t, run);
      const { opened, failedToConnect, closedByRelayAtMs, stillOpen } = run.outcome;
      assert.equal(stillOpen, 0, `${stillOpen} of ${opened} half-sent sockets still open after 30 s`);
      assert.equal(closedByRelayAtMs.length + failedToConnect, 1000);
    });

    it("one identity's upgrades beyond its cap and challenges from 60 addresses are refused without shutting the honest viewer out", async (t) => {
      const run = await underAttack(store, (target, honest) =>
        admissionDrain(target, honest.viewer, {
          held: 8,
          refusedUpgrades: 3000,
          challengeSources: 60,
          challengesPerSource: 40,
          concurrency: 16,
        }),
      );
      assertRelayHeld(t, run);
      const { upgrades, honestConnects, honestChallenges } = run.outcome;
      assert.deepEqual(
        unexpected(upgrades.counts, (status) => status === '503' || status === '429'),
        [],
        'every upgrade beyond the cap is refused',
      );
      assert.ok(honestConnects.total() >= 1 && honestChallenges.total() >= 1);
      assert.deepEqual(
        unexpected(honestConnects.counts, (status) => status === '101'),
        [],
      );
      assert.deepEqual(
        unexpected(honestChallenges.counts, (status) => status === '200'),
        [],
      );
    });

    it('8 MiB nested JSON bodies on /v1/auth/token are refused with 413 too-large (or a cut connection), never parsed', async (t) => {
      const run = await underAttack(store, (target) =>
        nestedJsonFlood(target, { bodies: 4, bodyBytes: 8 * 1024 * 1024, concurrency: 2 }),
      );
      assertRelayHeld(t, run);
      const { answers } = run.outcome;
      assert.equal(answers.total(), 4);
      assert.deepEqual(
        unexpected(answers.counts, (outcome) => ['413 too-large', 'ECONNRESET', 'EPIPE'].includes(outcome)),
        [],
        'each oversized body is refused before it is parsed',
      );
    });

    it('an outsider polling the public port gets 404 for /metrics and only up/down from /healthz and /readyz; metrics are on the admin listener', async (t) => {
      const run = await underAttack(store, (target) => outsiderPolls(target, 50));
      assertRelayHeld(t, run);
      const { publicMetrics, publicHealth, publicReady, adminMetrics } = run.outcome;
      assert.deepEqual(
        unexpected(publicMetrics.counts, (outcome) => outcome.startsWith('404')),
        [],
      );
      assert.deepEqual(Object.keys(publicHealth.counts), ['200 {"status":"ok"}']);
      assert.deepEqual(
        unexpected(publicReady.counts, (outcome) => /^(200|503) \{"ready":(true|false)\}$/.test(outcome)),
        [],
      );
      assert.equal(adminMetrics, '200', 'the admin listener (launchRelay adminBase) serves /metrics');
    });
  });
}
