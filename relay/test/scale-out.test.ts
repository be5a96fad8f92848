import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Access, ready } from '@sealcam/protocol';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import { launchRelay, type RelayProcess } from '../src/launcher.js';
import { openLiveMessages, publishStream } from './support/live-stream.js';
import {
  authenticate,
  connectLive,
  http,
  registerViewers,
  waitForCachedKeyframe,
} from './support/relay-client.js';
import { idOf, people, sealedEvent } from './support/world.js';

await ready();
requireProgram('redis-server');

describe('scale-out: two relay processes share one Redis', () => {
  let redis: TestRedis;
  let a: RelayProcess;
  let b: RelayProcess;
  const p = people();

  before(async () => {
    redis = await TestRedis.start();
    const env = {
      SEALCAM_STORE: 'redis',
      SEALCAM_REDIS_URL: redis.url,
      SEALCAM_TOKEN_SECRET: 'ab'.repeat(32),
    };
    [a, b] = await Promise.all([launchRelay({ env }), launchRelay({ env })]);
  });
  after(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    assert.deepEqual(codes, [0, 0], 'both relays shut down gracefully');
  });

  it('a viewer on relay A gets the manifests, live frames, event notices of a device on relay B, and the device its demand lease', async () => {
    // The load balancer may send each request anywhere: the device authenticates at A, uses B.
    const deviceToken = await authenticate(a.base, p.device);
    const viewerToken = await authenticate(b.base, p.owner);
    await registerViewers(b.base, p.device, deviceToken, [{ identity: p.owner, access: Access.Owner }]);

    const device = await connectLive(b.wsBase, deviceToken);
    const { send, message } = publishStream(device, p.device, [p.owner]);
    const first = message('before the viewer', true);
    device.send(first);
    // In the shared store, seen from relay A, before the viewer joins there.
    await waitForCachedKeyframe(a.base, viewerToken, first);

    const viewer = await connectLive(a.wsBase, viewerToken);
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    viewer.send({ op: 'watch', deviceId: idOf(p.device) });
    const subscribed = await viewer.waitControl((m) => m.op === 'subscribed');
    assert.deepEqual(
      { manifest: subscribed.manifest, keyframe: subscribed.keyframe },
      { manifest: true, keyframe: true },
    );
    await viewer.waitControl((m) => m.op === 'watching');
    // Live on demand across processes: the viewer's relay (A) grants the lease to the device on B.
    const lease = await device.waitControl((m) => m.op === 'demand' && m.streamId === 'cam-1');
    assert.equal(lease.seconds, 30);
    // Frames published on B reach A once A subscribed to the device's channel (first keyframe or probe).
    const deadline = Date.now() + 60_000;
    let i = 0;
    while (Date.now() < deadline && viewer.binary.length < 12) {
      send(`live ${i}`, i % 5 === 0);
      i += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const opened = openLiveMessages(viewer.binary, p.owner, p.device.card);
    assert.equal(opened[0], 'before the viewer', 'the cached keyframe came from the shared store');
    assert.ok(
      opened.filter((text) => text.startsWith('live')).length >= 5,
      `live frames across relays: ${opened.length}`,
    );

    const event = sealedEvent(p.device, [p.owner]);
    const put = await http(b.base, 'PUT', `/v1/devices/${idOf(p.device)}/events/${event.eventId}`, {
      token: deviceToken,
      body: event.envelope,
    });
    assert.equal(put.status, 201);
    const notice = await viewer.waitControl((m) => m.op === 'event');
    assert.equal(notice.eventId, event.eventId);
    const fetched = await http(a.base, 'GET', `/v1/devices/${idOf(p.device)}/events/${event.eventId}`, {
      token: viewerToken,
    });
    assert.deepEqual(fetched.bytes, event.envelope);

    await viewer.close();
    await device.close();
  });
});
