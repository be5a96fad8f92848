import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ready } from '@sealcam/protocol';
import { accessListFlood } from '../bench/abuse/access-lists.js';
import { pairingFlood } from '../bench/abuse/pairing-flood.js';
import { chunkFlood, manifestFlood } from '../bench/abuse/storage-flood.js';
import { ADDRESS_QUOTA_BYTES, DEVICE_QUOTA_BYTES, STORE_MAX_BYTES, STORES } from '../bench/abuse/target.js';
import { underAttack } from '../bench/abuse/under-attack.js';
import { assertRelayHeld, unexpected } from './support/hostile.js';

await ready();

const MiB = 1024 * 1024;

// Issue #14, attacks 1, 2 (also from many identities of one address), 3 and 5 (storage and caches), at CI scale; `npm run bench:abuse` runs them
// longer. Each attack gets a fresh relay process (SEALCAM_STORE_MAX_BYTES=64 MiB,
// SEALCAM_CACHE_MAX_BYTES=16 MiB: budget 528 MiB RSS, see bench/abuse/target.ts) while an honest device and viewer keep working.
for (const store of STORES) {
  describe(`hostile tenant, storage and caches (${store} store)`, () => {
    it('an unlisted viewer reading the cards and full access lists of 600 self-made devices is refused 403 no-grant, within the memory budget', async (t) => {
      const run = await underAttack(store, (target) =>
        accessListFlood(target, { devices: 600, sources: 30, concurrency: 16 }),
      );
      assertRelayHeld(t, run);
      const { stored, reads } = run.outcome;
      assert.deepEqual(stored.counts, { '201': 600 }, 'every self-made device stored its access list');
      assert.equal(reads.total(), 600);
      assert.deepEqual(
        unexpected(reads.counts, (outcome) => outcome === '403 no-grant'),
        [],
        'every read by the unlisted viewer is refused',
      );
    });

    it('a device uploading clip chunks until refused gets 507 quota at its quota (store / 16), and the honest device keeps storing', async (t) => {
      const run = await underAttack(store, (target) =>
        chunkFlood(target, { devices: 1, chunkBytes: MiB, maxBytesPerDevice: 3 * DEVICE_QUOTA_BYTES }),
      );
      assertRelayHeld(t, run);
      const [flood] = run.outcome;
      assert.equal(flood?.refusal, '507 quota', 'the flooding device is told it is over its quota');
      assert.ok(
        flood.acceptedBytes <= DEVICE_QUOTA_BYTES,
        `stored ${flood.acceptedBytes} bytes, over its quota`,
      );
    });

    it('20 self-made devices from one address uploading clip chunks stop at the address quota (store / 8) with 507 quota, and the honest device keeps storing', async (t) => {
      const run = await underAttack(store, (target) =>
        chunkFlood(target, {
          devices: 20,
          sources: 1,
          chunkBytes: MiB,
          maxBytesPerDevice: 2 * DEVICE_QUOTA_BYTES,
        }),
      );
      assertRelayHeld(t, run);
      const refusals = run.outcome.map((flood, index) => `device ${index}: ${flood.refusal}`);
      assert.deepEqual(
        refusals.filter((refusal) => !refusal.endsWith(': 507 quota')),
        [],
        'every device of the address is refused as over a share, never by a full relay',
      );
      const accepted = run.outcome.reduce((sum, flood) => sum + flood.acceptedBytes, 0);
      assert.ok(accepted <= ADDRESS_QUOTA_BYTES, `the address took ${accepted} of ${STORE_MAX_BYTES} bytes`);
      assert.ok(
        accepted >= ADDRESS_QUOTA_BYTES - 2 * MiB,
        `the address stored up to its quota first (${accepted})`,
      );
      assert.equal(run.outcome.at(-1)?.acceptedBytes, 0, 'the last fresh identity stores nothing');
    });

    it('a device uploading signed manifests until refused gets 507 quota over HTTP and a typed refusal on its live connection', async (t) => {
      const run = await underAttack(store, (target) =>
        manifestFlood(target, {
          recipients: 256,
          maxBytes: 2 * DEVICE_QUOTA_BYTES,
          verdictTimeoutMs: 10_000,
        }),
      );
      assertRelayHeld(t, run);
      const { http, ws } = run.outcome;
      assert.equal(http.refusal, '507 quota', 'manifests over HTTP are charged to the device quota');
      assert.ok(http.acceptedBytes <= DEVICE_QUOTA_BYTES, `stored ${http.acceptedBytes} bytes of manifests`);
      assert.match(
        ws.refusal ?? 'no refusal: the manifests were taken silently',
        /^close 4503 (quota|relay-full)|^error .*"reason":"(quota|relay-full)"/,
        'a manifest the relay does not store is refused out loud on the live connection',
      );
    });

    it('4 KiB pairing requests under random pairing ids are bounded per sender, and the device still pairs under its own pairing id', async (t) => {
      const run = await underAttack(store, (target, honest) =>
        pairingFlood(target, honest.device, honest.viewer, { senders: 4, requestsPerSender: 300 }),
      );
      assertRelayHeld(t, run);
      const { senders, honestPairing } = run.outcome;
      for (const sender of senders) {
        assert.match(
          sender.refusal ?? `not refused after ${sender.queued} requests`,
          /^(413|429|507) (?!rate-limited)/,
          'each sender meets the mailbox byte bound',
        );
      }
      assert.equal(honestPairing, 'ok');
    });
  });
}
