import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createIdentity, Role, ready } from '@sealcam/protocol';
import { formatId, parseDeviceId, parseViewerId } from '@sealcam/protocol/relay-safe';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import { createClient } from 'redis';
import { loadConfig } from '../src/config/config.js';
import { OBJECT_OVERHEAD_BYTES } from '../src/store/fair-share.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { createRedisStore } from '../src/store/redis-store.js';
import { MAILBOX_POOL_OVERHEAD, type MailboxBounds, type Store } from '../src/store/store.js';
import { authenticate, registerViewers } from './support/relay-client.js';
import { startInProcessRelay } from './support/relay-process.js';

await ready();
requireProgram('redis-server');

const DAY_MS = 86_400_000;
const newDevice = () => parseDeviceId(formatId(randomBytes(16)));
const newViewer = () => parseViewerId(formatId(randomBytes(16)));
/** Retention and quota roomy enough that no test of expiry is refused for space. */
const ROOMY = { ttlMs: DAY_MS, quotaBytes: 1_048_576 };

function blob(size: number, fill: number): Uint8Array {
  return new Uint8Array(size).fill(fill);
}

const box = (group: string): MailboxBounds => ({
  ttlMs: 600_000,
  maxMessages: 4,
  maxBytes: 400,
  evictOldest: true,
  group: { name: group, maxMessages: 8, maxBytes: 800 },
});

let redis: TestRedis;
before(async () => {
  redis = await TestRedis.start();
});
after(async () => {
  await redis?.stop();
});

let prefixes = 0;
const stores: Record<'memory' | 'redis', () => Promise<Store>> = {
  memory: async () => new MemoryStore({ maxBytes: 64 * 1024 * 1024 }),
  redis: async () =>
    createRedisStore({ url: redis.url, keyPrefix: `bounded-${++prefixes}:`, maxBytes: 64 * 1024 * 1024 }),
};

for (const [kind, open] of Object.entries(stores)) {
  describe(`bounded mailboxes and expiring identity records (${kind} store)`, () => {
    it('a box keeps its newest messages (evictOldest), or refuses beyond its count and bytes without it', async () => {
      const store = await open();
      try {
        const now = Date.now();
        for (let i = 1; i <= 6; i++) {
          assert.equal(await store.pushMailbox('keep-newest', blob(10, i), box('g0'), now), 'queued');
        }
        assert.deepEqual(
          await store.takeMailbox('keep-newest', now),
          [3, 4, 5, 6].map((i) => blob(10, i)),
        );
        const strict: MailboxBounds = { ttlMs: 600_000, maxMessages: 3, maxBytes: 25 };
        assert.equal(await store.pushMailbox('strict', blob(10, 1), strict, now), 'queued');
        assert.equal(await store.pushMailbox('strict', blob(10, 2), strict, now), 'queued');
        assert.equal(await store.pushMailbox('strict', blob(10, 3), strict, now), 'full', 'bytes bound');
        assert.equal(await store.pushMailbox('strict', blob(5, 4), strict, now), 'queued');
        assert.equal(await store.pushMailbox('strict', blob(1, 5), strict, now), 'full', 'count bound');
        assert.equal(await store.pushMailbox('other', blob(26, 1), strict, now), 'full', 'larger than a box');
        assert.deepEqual(await store.takeMailbox('strict', now), [blob(10, 1), blob(10, 2), blob(5, 4)]);
      } finally {
        await store.close();
      }
    });

    it('a group over its bytes evicts whole boxes oldest first, never the box pushed to nor the protected box', async () => {
      const store = await open();
      try {
        const now = Date.now();
        // The device polls "mine": it becomes protected (it is empty when polled).
        assert.deepEqual(await store.takeMailbox('mine', now, { name: 'g1', protectMs: 600_000 }), []);
        assert.equal(await store.pushMailbox('mine', blob(100, 7), box('g1'), now), 'queued');
        for (let i = 0; i < 20; i++) {
          assert.equal(await store.pushMailbox(`junk-${i}`, blob(200, i), box('g1'), now + i), 'queued');
        }
        // 800 bytes: "mine" (100) + the three newest junk boxes (600); the older ones are gone.
        assert.deepEqual(await store.takeMailbox('mine', now, { name: 'g1', protectMs: 600_000 }), [
          blob(100, 7),
        ]);
        const kept: number[] = [];
        for (let i = 0; i < 20; i++) {
          if ((await store.takeMailbox(`junk-${i}`, now, { name: 'g1' })).length > 0) kept.push(i);
        }
        assert.deepEqual(kept, [17, 18, 19]);
      } finally {
        await store.close();
      }
    });

    it('a group whose boxes cannot be evicted refuses the push and changes nothing', async () => {
      const store = await open();
      try {
        const now = Date.now();
        const bounds: MailboxBounds = {
          ttlMs: 600_000,
          maxMessages: 4,
          maxBytes: 400,
          group: { name: 'g2', maxMessages: 8, maxBytes: 300 },
        };
        await store.takeMailbox('polled', now, { name: 'g2', protectMs: 600_000 });
        assert.equal(await store.pushMailbox('polled', blob(200, 1), bounds, now), 'queued');
        assert.equal(await store.pushMailbox('other', blob(200, 2), bounds, now), 'full');
        assert.deepEqual(await store.takeMailbox('polled', now, { name: 'g2' }), [blob(200, 1)]);
        assert.deepEqual(await store.takeMailbox('other', now, { name: 'g2' }), []);
      } finally {
        await store.close();
      }
    });

    it('a sender over its window budget gets sender-full and nothing is stored; charge-only pushes count but store nothing', async () => {
      const store = await open();
      try {
        const now = Date.now();
        const from = (extra: Partial<MailboxBounds> = {}): MailboxBounds => ({
          ttlMs: 600_000,
          maxMessages: 10,
          maxBytes: 10_000,
          senders: [
            { name: 'viewer-a', maxBytes: 300 },
            { name: 'source-x', maxBytes: 10_000 },
          ],
          ...extra,
        });
        assert.equal(await store.pushMailbox('s1', blob(100, 1), from({ chargeOnly: true }), now), 'queued');
        assert.deepEqual(await store.takeMailbox('s1', now), [], 'charge-only stores nothing');
        assert.equal(await store.pushMailbox('s1', blob(100, 2), from(), now), 'queued');
        assert.equal(await store.pushMailbox('s2', blob(100, 3), from(), now), 'queued');
        assert.equal(await store.pushMailbox('s2', blob(1, 4), from(), now), 'sender-full');
        assert.deepEqual(await store.takeMailbox('s2', now), [blob(100, 3)]);
        const otherViewer: MailboxBounds = { ...from(), senders: [{ name: 'viewer-b', maxBytes: 300 }] };
        assert.equal(await store.pushMailbox('s2', blob(100, 5), otherViewer, now), 'queued');
      } finally {
        await store.close();
      }
    });

    it('an inbox is bounded in bytes as well as in messages', async () => {
      const store = await open();
      try {
        const now = Date.now();
        const inbox: MailboxBounds = { ttlMs: DAY_MS, maxMessages: 64, maxBytes: 8192 };
        assert.equal(await store.pushMailbox('inbox:d', blob(4096, 1), inbox, now), 'queued');
        assert.equal(await store.pushMailbox('inbox:d', blob(4096, 2), inbox, now), 'queued');
        assert.equal(await store.pushMailbox('inbox:d', blob(1, 3), inbox, now), 'full');
        assert.equal((await store.takeMailbox('inbox:d', now)).length, 2);
      } finally {
        await store.close();
      }
    });

    it('inboxes of a pool are refused beyond its bytes with pool-full, and a taken or expired inbox gives its bytes back', async () => {
      const store = await open();
      try {
        const now = Date.now();
        // Two boxes of 4096 bytes plus their overhead fit; a third does not.
        const pooled: MailboxBounds = {
          ttlMs: DAY_MS,
          maxMessages: 64,
          maxBytes: 8192,
          pool: { name: 'test-inboxes', maxBytes: 2 * (4096 + MAILBOX_POOL_OVERHEAD) + 100 },
        };
        assert.equal(await store.pushMailbox('inbox:p1', blob(4096, 1), pooled, now), 'queued');
        assert.equal(await store.pushMailbox('inbox:p2', blob(4096, 2), pooled, now), 'queued');
        assert.equal(await store.pushMailbox('inbox:p3', blob(4096, 3), pooled, now), 'pool-full');
        assert.equal(await store.pushMailbox('inbox:p1', blob(200, 4), pooled, now), 'pool-full');
        assert.equal(await store.pushMailbox('inbox:p1', blob(50, 5), pooled, now), 'queued');
        assert.deepEqual(await store.takeMailbox('inbox:p3', now, undefined, 'test-inboxes'), []);
        // Taking p1 gives its bytes back: p3 fits.
        assert.equal((await store.takeMailbox('inbox:p1', now, undefined, 'test-inboxes')).length, 2);
        assert.equal(await store.pushMailbox('inbox:p3', blob(4096, 6), pooled, now), 'queued');
        // Once p2 and p3 expired, their bytes are back too, though nobody took them.
        const later = now + DAY_MS + 1;
        assert.equal(await store.pushMailbox('inbox:p4', blob(4096, 7), pooled, later), 'queued');
        assert.equal(await store.pushMailbox('inbox:p5', blob(4096, 8), pooled, later), 'queued');
        assert.equal(await store.pushMailbox('inbox:p6', blob(4096, 9), pooled, later), 'pool-full');
      } finally {
        await store.close();
      }
    });

    it('cards and access lists expire after their TTL when the identity does not authenticate again, and the list is no longer charged', async () => {
      const store = await open();
      try {
        const device = newDevice();
        const viewer = newViewer();
        await store.putCard(device, blob(40, 1), 300);
        await store.putCard(viewer, blob(40, 2), 300);
        assert.equal(await store.putAccessList(device, 4, blob(30, 3), 300, ROOMY), 'stored');
        assert.deepEqual(await store.getCard(viewer), blob(40, 2));
        await until(
          async () =>
            (await store.getCard(device)) === null &&
            (await store.getCard(viewer)) === null &&
            (await store.getAccessList(device)) === null,
          30_000,
          'card and access list expired',
        );
        assert.equal(
          await store.usage(device, Date.now(), ROOMY),
          0,
          'the expired list is no longer charged',
        );
        assert.equal((await store.stats()).usedBytes, 0);
        // Only the device stores its list (auth 'self'): after expiry it may start again at any version.
        assert.equal(await store.putAccessList(device, 1, blob(30, 4), DAY_MS, ROOMY), 'stored');
      } finally {
        await store.close();
      }
    });

    it('an access list stored again after its expiry is charged once, not on top of the expired one', async () => {
      const store = await open();
      try {
        const device = newDevice();
        assert.equal(await store.putAccessList(device, 3, blob(30, 1), 300, ROOMY), 'stored');
        await until(async () => (await store.getAccessList(device)) === null, 30_000, 'the list expired');
        assert.equal(await store.putAccessList(device, 1, blob(40, 2), DAY_MS, ROOMY), 'stored');
        assert.equal(await store.usage(device, Date.now(), ROOMY), 40 + OBJECT_OVERHEAD_BYTES);
        assert.equal((await store.stats()).usedBytes, 40 + OBJECT_OVERHEAD_BYTES);
      } finally {
        await store.close();
      }
    });

    it('storing an access list keeps the device card at least as long as the list', async () => {
      const store = await open();
      try {
        const device = newDevice();
        const unlisted = newDevice();
        await store.putCard(device, blob(40, 1), 300);
        await store.putCard(unlisted, blob(40, 2), 300);
        assert.equal(await store.putAccessList(device, 1, blob(30, 1), DAY_MS, ROOMY), 'stored');
        await until(
          async () => (await store.getCard(unlisted)) === null,
          30_000,
          'the unlisted card expired',
        );
        assert.deepEqual(await store.getCard(device), blob(40, 1), 'the listed device keeps its card');
      } finally {
        await store.close();
      }
    });

    it("a device's authentication (putCard) renews its access list's expiry", async () => {
      const store = await open();
      try {
        const device = newDevice();
        assert.equal(await store.putAccessList(device, 1, blob(30, 1), 300, ROOMY), 'stored');
        await store.putCard(device, blob(40, 1), DAY_MS);
        const shortLived = newDevice();
        assert.equal(await store.putAccessList(shortLived, 1, blob(30, 2), 300, ROOMY), 'stored');
        await until(
          async () => (await store.getAccessList(shortLived)) === null,
          30_000,
          'the other list expired',
        );
        assert.deepEqual(await store.getAccessList(device), blob(30, 1), 'the renewed list is still there');
        assert.deepEqual(await store.getCard(device), blob(40, 1));
        // The expired list's bytes are released; the renewed one stays charged.
        assert.equal(await store.usage(shortLived, Date.now(), ROOMY), 0);
        assert.equal(await store.usage(device, Date.now(), ROOMY), 30 + OBJECT_OVERHEAD_BYTES);
      } finally {
        await store.close();
      }
    });
  });
}

describe('Redis keys of identity records carry real TTLs', () => {
  it('card and access-list keys have a PTTL no longer than the identity TTL, renewed by putCard', async () => {
    const store = await createRedisStore({
      url: redis.url,
      keyPrefix: 'ttl-keys:',
      maxBytes: 64 * 1024 * 1024,
    });
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const device = newDevice();
      await store.putAccessList(device, 1, blob(10, 1), 60_000, ROOMY);
      const listTtl = await client.pTTL(`ttl-keys:acl:${device}`);
      assert.ok(listTtl > 0 && listTtl <= 60_000, `access list PTTL ${listTtl}`);
      await store.putCard(device, blob(10, 2), DAY_MS);
      const cardTtl = await client.pTTL(`ttl-keys:card:${device}`);
      assert.ok(cardTtl > DAY_MS - 60_000 && cardTtl <= DAY_MS, `card PTTL ${cardTtl}`);
      const renewed = await client.pTTL(`ttl-keys:acl:${device}`);
      assert.ok(renewed > DAY_MS - 60_000, `access list PTTL renewed to ${renewed}`);
    } finally {
      await client.close();
      await store.close();
    }
  });
});

describe('the identity TTL through the relay', () => {
  it('a new device card is kept for two token lifetimes, a device with an access list for SEALCAM_IDENTITY_TTL_SECONDS; viewer cards are not kept (Redis key TTLs)', async () => {
    const running = await startInProcessRelay({
      store: 'redis',
      redisUrl: redis.url,
      redisKeyPrefix: 'identity-ttl:',
      identityTtlSeconds: 7200,
      tokenTtlSeconds: 900,
    });
    const client = createClient({ url: redis.url });
    await client.connect();
    const within = (ttl: number, seconds: number) => ttl > (seconds - 100) * 1000 && ttl <= seconds * 1000;
    try {
      const device = createIdentity(Role.Device);
      const id = formatId(device.card.id);
      const token = await authenticate(running.base, device);
      // No access list yet: possibly one of a stranger's free identities, kept two token lifetimes.
      const probation = await client.pTTL(`identity-ttl:card:${id}`);
      assert.ok(within(probation, 1800), `card PTTL ${probation}`);
      const viewer = createIdentity(Role.Viewer);
      await authenticate(running.base, viewer);
      assert.equal(await client.exists(`identity-ttl:card:${formatId(viewer.card.id)}`), 0, 'no viewer card');
      // Storing a list makes it a device with viewers: list and card live for the identity TTL.
      await registerViewers(running.base, device, token, [{ identity: viewer }]);
      const listTtl = await client.pTTL(`identity-ttl:acl:${id}`);
      assert.ok(within(listTtl, 7200), `access list PTTL ${listTtl}`);
      const extended = await client.pTTL(`identity-ttl:card:${id}`);
      assert.ok(within(extended, 7200), `card PTTL after the list ${extended}`);
      // Each later login renews both for the identity TTL.
      await client.pExpire(`identity-ttl:card:${id}`, 60_000);
      await client.pExpire(`identity-ttl:acl:${id}`, 60_000);
      await authenticate(running.base, device);
      const renewedCard = await client.pTTL(`identity-ttl:card:${id}`);
      const renewedList = await client.pTTL(`identity-ttl:acl:${id}`);
      assert.ok(within(renewedCard, 7200), `card PTTL after a login ${renewedCard}`);
      assert.ok(within(renewedList, 7200), `access list PTTL after a login ${renewedList}`);
    } finally {
      await client.close();
      await running.stop();
    }
  });

  it('a configuration whose identity TTL is shorter than the token lifetime is refused, naming both variables', () => {
    assert.throws(
      () => loadConfig({ SEALCAM_IDENTITY_TTL_SECONDS: '3600', SEALCAM_TOKEN_TTL_SECONDS: '7200' }),
      /SEALCAM_IDENTITY_TTL_SECONDS \(3600\) must be at least SEALCAM_TOKEN_TTL_SECONDS \(7200\)/,
    );
  });
});
