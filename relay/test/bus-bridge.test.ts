import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DeviceId, parseDeviceId, parseStreamId } from '@sealcam/protocol/relay-safe';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { TestRedis } from '@sealcam/testkit/redis';
import pino from 'pino';
import { channel } from '../src/bus/bus.js';
import { createRedisBus, type RedisBus } from '../src/bus/redis-bus.js';
import { BusBridge } from '../src/live/bus-bridge.js';
import { streamKeyOf } from '../src/live/fan-out.js';
import { createMetrics } from '../src/ops/metrics.js';

requireProgram('redis-server');

interface Delivery {
  readonly how: 'frame' | 'signed';
  readonly streamKey: string;
  readonly wire: Uint8Array;
  readonly keyframe?: boolean;
}

const DEVICE = parseDeviceId('abcdefghijklmnopqrstuvwxyz');
const STREAM_KEY = streamKeyOf(DEVICE, parseStreamId('cam-1.front_door-2'));

/** A bridge on its own Redis bus, recording what it hands its process's viewers. */
function bridgeOn(bus: RedisBus) {
  const delivered: Delivery[] = [];
  const metrics = createMetrics();
  const bridge = new BusBridge({
    bus,
    metrics,
    log: pino({ level: 'silent' }),
    sink: {
      deliverFrame: (streamKey, wire, keyframe) =>
        delivered.push({ how: 'frame', streamKey, wire: wire.slice(), keyframe }),
      deliverSigned: (streamKey, wire) => delivered.push({ how: 'signed', streamKey, wire: wire.slice() }),
    },
    deliverEvent: () => undefined,
    accessChanged: () => undefined,
    toLocalDevice: (_deviceId: DeviceId) => undefined,
  });
  return { bridge, delivered, metrics };
}

async function publishes(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const registry = await metrics.busPublishes.get();
  return Object.fromEntries(registry.values.map((each) => [String(each.labels.kind), each.value]));
}

async function badInputCount(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const value = (await metrics.badInput.get()).values.find((each) => each.labels.surface === 'bus');
  return value?.value ?? 0;
}

describe('bus bridge across two processes’ buses', () => {
  let redis: TestRedis;
  let busA: RedisBus;
  let busB: RedisBus;

  before(async () => {
    redis = await TestRedis.start();
    busA = await createRedisBus({ url: redis.url });
    busB = await createRedisBus({ url: redis.url });
  });
  after(async () => {
    await busA?.close();
    await busB?.close();
    await redis?.stop();
  });

  it('routes frames, keyframes and signed messages by their header, the device bytes untouched', async () => {
    const publisher = bridgeOn(busA);
    const receiver = bridgeOn(busB);
    receiver.bridge.setInterest(DEVICE, { live: true, events: false });
    // The subscription is made in the background: publish signed messages until one arrives.
    await until(
      async () => {
        publisher.bridge.publishLive(DEVICE, STREAM_KEY, Uint8Array.of(0), 'signed');
        await new Promise((resolve) => setTimeout(resolve, 50));
        return receiver.delivered.length > 0;
      },
      30_000,
      'the receiving bridge subscribed',
    );
    receiver.delivered.length = 0;
    const before = await publishes(publisher.metrics);
    // A view into a larger buffer: only its own bytes travel.
    const backing = new Uint8Array(64).fill(0xee);
    backing.set([1, 2, 3], 20);
    const frame = backing.subarray(20, 23);
    const keyframe = new Uint8Array(16 * 1024).map((_, i) => i & 0xff);
    publisher.bridge.publishLive(DEVICE, STREAM_KEY, frame, 'frame');
    publisher.bridge.publishLive(DEVICE, STREAM_KEY, keyframe, 'keyframe');
    publisher.bridge.publishLive(DEVICE, STREAM_KEY, Uint8Array.of(7, 7), 'signed');
    await until(() => receiver.delivered.length === 3, 30_000, 'three live messages');
    assert.deepEqual(receiver.delivered, [
      { how: 'frame', streamKey: STREAM_KEY, wire: Uint8Array.of(1, 2, 3), keyframe: false },
      { how: 'frame', streamKey: STREAM_KEY, wire: keyframe, keyframe: true },
      { how: 'signed', streamKey: STREAM_KEY, wire: Uint8Array.of(7, 7) },
    ]);
    assert.equal(await badInputCount(receiver.metrics), 0);
    // Frames and keyframes are counted as delta, signed messages as key (frames without a label lookup).
    const after = await publishes(publisher.metrics);
    assert.equal((after.delta ?? 0) - (before.delta ?? 0), 2);
    assert.equal((after.key ?? 0) - (before.key ?? 0), 1);
    receiver.bridge.setInterest(DEVICE, { live: false, events: false });
  });

  it('counts a malformed live message, or one for another device than its channel’s, as bad input and delivers nothing of it', async () => {
    const receiver = bridgeOn(busB);
    receiver.bridge.setInterest(DEVICE, { live: true, events: false });
    const name = channel.device(DEVICE);
    const otherKey = Buffer.from(
      streamKeyOf(parseDeviceId('zyxwvutsrqponmlkjihgfedcba'), parseStreamId('cam-1')),
    );
    const malformed = [
      Uint8Array.of(1, 0, 0, 9), // no stream key
      Uint8Array.of(1, 0, 40, 65, 65), // a stream key longer than the message
      Uint8Array.of(1, 9, 1, 65, 1), // an unknown route
      Buffer.concat([Uint8Array.of(1, 0, otherKey.length), otherKey, Uint8Array.of(1)]), // another device's stream
    ];
    await until(
      async () => {
        for (const message of malformed) await busA.publish(name, [message]);
        return (await badInputCount(receiver.metrics)) >= malformed.length;
      },
      30_000,
      'the malformed messages counted',
    );
    assert.deepEqual(receiver.delivered, []);
    receiver.bridge.setInterest(DEVICE, { live: false, events: false });
  });
});
