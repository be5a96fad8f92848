/**
 * A relay whose store fills up: refusals are typed (507 quota / relay-full, close 4503), honest
 * identities keep authenticating, and on Redis (noeviction) the relay's own accounting refuses
 * before Redis runs out of memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createIdentity,
  EventSealer,
  encodeLiveMessage,
  formatId,
  type Identity,
  parseCloseReason,
  Role,
  WireType,
} from '@sealcam/protocol';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import { createClient } from 'redis';
import { source, tokenFrom } from '../bench/abuse/net.js';
import type { RelayConfig } from '../src/config/config.js';
import { publishStream } from './support/live-stream.js';
import { authenticate, connectLive, http } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { manifestFor } from './support/world.js';

requireProgram('redis-server');

const MiB = 1024 * 1024;
const STORE_BYTES = 8 * MiB;
const CHUNK_BYTES = 256 * 1024;
/** Redis' own limit in the Redis case: the relay's budget plus room for Redis itself, but less than the recommended headroom. */
const REDIS_MAX_MEMORY = 40 * MiB;

/** Uploads clip chunks of one event as `device` until one is refused; returns the refusal. */
async function fillUntilRefused(base: string, device: Identity, token: string) {
  const sealer = new EventSealer({ device, streamId: 'cam-1' });
  const eventId = formatId(sealer.eventId);
  for (let index = 0; index < 200; index++) {
    const chunk = sealer.sealClipChunk(new Uint8Array(CHUNK_BYTES).fill(index % 251), false);
    const path = `/v1/devices/${formatId(device.card.id)}/events/${eventId}/chunks/${index}`;
    const result = await http(base, 'PUT', path, { token, body: chunk });
    if (result.status !== 201) return result;
  }
  throw new Error('the relay never refused');
}

/**
 * Fills the store from several devices (each refused in turn, each logged in from its own address)
 * until one meets a full relay.
 */
async function fillStore(base: string): Promise<{ reasons: string[]; hog: Identity; hogToken: string }> {
  const reasons: string[] = [];
  let hog: Identity | null = null;
  let hogToken = '';
  for (let i = 0; i < 8; i++) {
    const device = createIdentity(Role.Device);
    // Each from an address of its own: devices of one address would be refused together as over
    // that address's share (store-conformance.ts), never meeting a full relay.
    const token = await tokenFrom(base, device, source(60 + i));
    const refusal = await fillUntilRefused(base, device, token);
    assert.equal(refusal.status, 507, `refused with 507 (${refusal.text})`);
    assert.ok(refusal.headers.get('retry-after'), '507 carries Retry-After');
    const reason = String(refusal.json?.error);
    reasons.push(reason);
    if (!hog) {
      hog = device;
      hogToken = token;
    }
    if (reason === 'relay-full') break;
  }
  assert.ok(hog);
  return { reasons, hog, hogToken };
}

async function storeGauge(relay: RunningRelay, name: string): Promise<number> {
  const text = await relay.relay.context.metrics.registry.metrics();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

function exercise(what: string, overrides: () => Partial<RelayConfig>, redisMemory?: () => Promise<number>) {
  describe(`a full store (${what})`, () => {
    let relay: RunningRelay;

    before(async () => {
      relay = await startInProcessRelay({
        storeMaxBytes: STORE_BYTES,
        deviceQuotaBytes: 4 * MiB,
        // As much as a device: each filler logs in from an address of its own.
        addressQuotaBytes: 4 * MiB,
        ...overrides(),
      });
    });
    after(async () => {
      await relay?.stop();
    });

    it('refuses the identities over their share with 507 quota first, then everyone with 507 relay-full; logins still succeed', async () => {
      const { reasons, hog, hogToken } = await fillStore(relay.base);
      assert.equal(reasons[0], 'quota', 'the first device is refused at its quota');
      assert.equal(reasons.at(-1), 'relay-full', `the store fills up at last (${reasons})`);
      const used = await storeGauge(relay, 'sealcam_relay_store_used_bytes');
      assert.ok(used <= STORE_BYTES && used > STORE_BYTES - CHUNK_BYTES, `store at its cap (${used})`);
      if (redisMemory) {
        const redisUsed = await redisMemory();
        assert.ok(redisUsed < REDIS_MAX_MEMORY, `Redis below its maxmemory (${redisUsed})`);
      }
      // Authentication never depends on free store space: challenge + token for new identities.
      for (const role of [Role.Device, Role.Viewer]) {
        const token = await authenticate(relay.base, createIdentity(role));
        assert.ok(token.length > 0);
      }
      // A manifest uploaded over HTTP by the device over its quota: 507 quota, nothing stored.
      const manifest = manifestFor(hog, [createIdentity(Role.Viewer)], 'cam-9');
      const put = await http(
        relay.base,
        'PUT',
        `/v1/devices/${formatId(hog.card.id)}/streams/cam-9/manifests/1`,
        {
          token: hogToken,
          body: manifest.bytes,
        },
      );
      assert.equal(put.status, 507);
      assert.equal(put.json?.error, 'quota');
      // The same over the live connection: closed 4503 with the reason, never silently dropped.
      const live = await connectLive(relay.wsBase, hogToken);
      live.send(
        encodeLiveMessage({
          type: WireType.LiveManifest,
          deviceId: hog.card.id,
          streamId: 'cam-8',
          payload: manifestFor(hog, [createIdentity(Role.Viewer)], 'cam-8').bytes,
        }),
      );
      const closed = await live.closed;
      assert.equal(closed.code, 4503);
      assert.equal(parseCloseReason(closed.reason).reason, 'quota');
      const refusals = await relay.relay.context.metrics.storeRefusals.get();
      const manifestQuota = refusals.values.find(
        (sample) => sample.labels.kind === 'manifest' && sample.labels.reason === 'quota',
      );
      assert.equal(manifestQuota?.value, 2, 'both manifest refusals are counted');
    });
  });
}

exercise('memory', () => ({ store: 'memory' }));

describe('a keyframe over the quota', () => {
  it('is not cached but counted in sealcam_relay_store_refusals_total; the device stays connected', async () => {
    // The smallest quota: the manifest fits, a 4 KiB keyframe (with the manifest, each charged
    // OBJECT_OVERHEAD_BYTES on top) does not.
    const relay = await startInProcessRelay({ storeMaxBytes: MiB, deviceQuotaBytes: 8192 });
    try {
      const device = createIdentity(Role.Device);
      const viewer = createIdentity(Role.Viewer);
      const deviceToken = await authenticate(relay.base, device);
      const deviceLive = await connectLive(relay.wsBase, deviceToken);
      const stream = publishStream(deviceLive, device, [viewer]);
      await until(
        async () =>
          (
            await http(
              relay.base,
              'GET',
              `/v1/devices/${formatId(device.card.id)}/streams/cam-1/manifests/latest`,
              {
                token: deviceToken,
              },
            )
          ).status === 200,
        60_000,
        'the manifest to be stored',
      );
      stream.send('x'.repeat(4096), true);
      await until(
        async () => {
          const refusals = await relay.relay.context.metrics.storeRefusals.get();
          return refusals.values.some(
            (sample) =>
              sample.labels.kind === 'keyframe' && sample.labels.reason === 'quota' && sample.value === 1,
          );
        },
        60_000,
        'the refused keyframe to be counted',
      );
      const cached = await http(
        relay.base,
        'GET',
        `/v1/devices/${formatId(device.card.id)}/streams/cam-1/keyframe`,
        {
          token: deviceToken,
        },
      );
      assert.equal(cached.status, 404, 'nothing cached');
      assert.equal(deviceLive.ws.readyState, deviceLive.ws.OPEN, 'the device stays connected');
    } finally {
      await relay.stop();
    }
  });
});

describe('redis with maxmemory and noeviction', () => {
  let redis: TestRedis;
  let raw: ReturnType<typeof createClient>;
  before(async () => {
    redis = await TestRedis.start();
    raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    await raw.connect();
    await raw.configSet({ maxmemory: String(REDIS_MAX_MEMORY), 'maxmemory-policy': 'noeviction' });
  });
  after(async () => {
    raw?.destroy();
    await redis?.stop();
  });

  exercise(
    'redis',
    () => ({ store: 'redis', redisUrl: redis.url }),
    async () => {
      const info = await raw.info('memory');
      return Number(/used_memory:(\d+)/.exec(info)?.[1]);
    },
  );

  it('when Redis itself refuses a write (OOM), the device is told: live manifest closed 4503 store-unavailable, upload 503', async () => {
    const relay = await startInProcessRelay({ store: 'redis', redisUrl: redis.url, redisKeyPrefix: 'oom:' });
    const device = createIdentity(Role.Device);
    try {
      const token = await authenticate(relay.base, device);
      const live = await connectLive(relay.wsBase, token);
      await raw.configSet('maxmemory', '1');
      try {
        live.send(
          encodeLiveMessage({
            type: WireType.LiveManifest,
            deviceId: device.card.id,
            streamId: 'cam-1',
            payload: manifestFor(device, [createIdentity(Role.Viewer)], 'cam-1').bytes,
          }),
        );
        const closed = await live.closed;
        assert.equal(closed.code, 4503);
        const parsed = parseCloseReason(closed.reason);
        assert.equal(parsed.reason, 'store-unavailable');
        assert.ok(parsed.retryAfterSeconds !== null, 'with retry-after');
        const manifest = manifestFor(device, [createIdentity(Role.Viewer)], 'cam-2');
        const put = await http(
          relay.base,
          'PUT',
          `/v1/devices/${formatId(device.card.id)}/streams/cam-2/manifests/1`,
          {
            token,
            body: manifest.bytes,
          },
        );
        assert.equal(put.status, 503);
        assert.equal(put.json?.error, 'store-unavailable');
        const refusals = await relay.relay.context.metrics.storeRefusals.get();
        assert.ok(
          refusals.values.some(
            (sample) =>
              sample.labels.kind === 'manifest' && sample.labels.reason === 'error' && sample.value === 1,
          ),
          'the manifest the store failed to keep is counted',
        );
      } finally {
        await raw.configSet('maxmemory', String(REDIS_MAX_MEMORY));
      }
    } finally {
      await relay.stop();
    }
  });

  it('warns at start when storeMaxBytes plus headroom exceeds Redis maxmemory', async () => {
    const relay = await startInProcessRelay({
      store: 'redis',
      redisUrl: redis.url,
      storeMaxBytes: STORE_BYTES,
    });
    try {
      assert.ok(
        relay.logs.some((line) => line.includes('SEALCAM_STORE_MAX_BYTES') && line.includes('maxmemory')),
        'a warning names the variable and maxmemory',
      );
    } finally {
      await relay.stop();
    }
  });
});
