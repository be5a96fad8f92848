import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Access, fromUtf8, openClip, openEvent, openThumbnail, ready } from '@sealcam/protocol';
import { requireProgram } from '@sealcam/testkit/programs';
import { redisContents, TestRedis } from '@sealcam/testkit/redis';
import { openLiveMessages, publishStream } from './support/live-stream.js';
import {
  authenticate,
  connectLive,
  type HttpResult,
  http as rawHttp,
  registerViewers,
  waitForCachedKeyframe,
} from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, MARKER, people, sealedEvent } from './support/world.js';

await ready();
requireProgram('redis-server');

describe('invariant 1 (relay): the marker scan — no plaintext in Redis, logs, metrics or responses', () => {
  let redis: TestRedis;
  let running: RunningRelay;
  const p = people();
  const responses: Buffer[] = [];
  const http = async (...args: Parameters<typeof rawHttp>): Promise<HttpResult> => {
    const result = await rawHttp(...args);
    responses.push(Buffer.from(result.bytes));
    return result;
  };

  before(async () => {
    redis = await TestRedis.start();
    running = await startInProcessRelay({ store: 'redis', redisUrl: redis.url, logLevel: 'trace' });
  });
  after(async () => {
    await running?.stop();
    await redis?.stop();
  });

  it('uploads and streams marker-bearing content, which the viewer opens but the relay never exposes', async () => {
    const deviceToken = await authenticate(running.base, p.device);
    const viewerToken = await authenticate(running.base, p.owner);
    await registerViewers(running.base, p.device, deviceToken, [{ identity: p.owner, access: Access.Owner }]);
    const deviceUrl = `/v1/devices/${idOf(p.device)}`;

    const events = [sealedEvent(p.device, [p.owner]), sealedEvent(p.device, [p.owner])];
    for (const event of events) {
      const base = `${deviceUrl}/events/${event.eventId}`;
      await http(running.base, 'PUT', `${base}/thumbnail`, { token: deviceToken, body: event.thumbnail });
      for (const [i, chunk] of event.chunks.entries())
        await http(running.base, 'PUT', `${base}/chunks/${i}`, { token: deviceToken, body: chunk });
      assert.equal(
        (await http(running.base, 'PUT', base, { token: deviceToken, body: event.envelope })).status,
        201,
      );
    }

    const device = await connectLive(running.wsBase, deviceToken);
    const viewer = await connectLive(running.wsBase, viewerToken);
    const stream = publishStream(device, p.device, [p.owner]);
    const frame = (i: number) => stream.message(`${MARKER} frame ${i}`, i % 3 === 0);
    const first = frame(0);
    device.send(first);
    // The viewer joins once frame 0 is the cached keyframe, so it gets it first.
    await waitForCachedKeyframe(running.base, viewerToken, first);
    viewer.send({ op: 'subscribe', deviceId: idOf(p.device), streamId: 'cam-1' });
    await viewer.waitControl((m) => m.op === 'subscribed');
    for (let i = 1; i <= 9; i++) device.send(frame(i));
    await viewer.waitBinary(10);

    // Positive control: the viewer does open the marker, so the scan below is not vacuous.
    const openedFrames = openLiveMessages(viewer.binary, p.owner, p.device.card);
    assert.ok(openedFrames.length >= 10);
    for (const text of openedFrames) assert.ok(text.startsWith(MARKER));
    for (const event of events) {
      const base = `${deviceUrl}/events/${event.eventId}`;
      const opened = openEvent((await http(running.base, 'GET', base, { token: viewerToken })).bytes, {
        viewer: p.owner,
        device: p.device.card,
      });
      assert.ok(
        fromUtf8(
          openThumbnail(
            (await http(running.base, 'GET', `${base}/thumbnail`, { token: viewerToken })).bytes,
            opened,
          ),
        ).startsWith(MARKER),
      );
      const chunks = [];
      for (let i = 0; i < 2; i++)
        chunks.push((await http(running.base, 'GET', `${base}/chunks/${i}`, { token: viewerToken })).bytes);
      assert.ok(fromUtf8(openClip(chunks, opened)).includes(MARKER));
      assert.ok(opened.record.labels[0]?.startsWith('MARKER'));
    }
    await http(running.base, 'GET', `${deviceUrl}/events`, { token: viewerToken });
    await http(running.base, 'GET', `${deviceUrl}/streams/cam-1/keyframe`, { token: viewerToken });
    await http(running.adminBase, 'GET', '/metrics');
    await http(running.adminBase, 'GET', '/healthz');
    await viewer.close();
    await device.close();

    // The scan.
    const marker = Buffer.from(MARKER.slice(0, 12));
    const stored = await redisContents(redis.url);
    assert.ok(stored.length > 20, `scanned ${stored.length} Redis strings`);
    const places: [string, Buffer[]][] = [
      ['Redis keys and values', stored],
      ['relay log lines', running.logs.map((line) => Buffer.from(line))],
      ['HTTP response bodies', responses],
      ['live messages to the viewer', viewer.binary.map((b) => Buffer.from(b))],
    ];
    for (const [where, buffers] of places) {
      for (const buffer of buffers) assert.equal(buffer.indexOf(marker), -1, `marker found in ${where}`);
    }
    assert.ok(running.logs.length > 10, 'the relay logged (trace level) and the logs were scanned');
    for (const line of running.logs) {
      assert.doesNotMatch(line, /bearer\.|Bearer |v1\.[A-Za-z0-9_-]{20,}\./, 'no token in the logs');
    }
  });
});
