import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  Codec,
  createIdentity,
  decodeLiveMessage,
  encodeLiveMessage,
  FrameSealer,
  parseStreamId,
  Role,
  ready,
  sealManifest,
  utf8,
  WireType,
} from '@sealcam/protocol';
import type { ViewerError } from '../src/sdk/errors.js';
import { LiveView } from '../src/sdk/live-view.js';

before(async () => {
  await ready();
});

test('live view: the relay re-sending a keyframe already shown is dropped quietly; a real replay is refused', () => {
  const device = createIdentity(Role.Device);
  const viewer = createIdentity(Role.Viewer);
  const now = Date.now();
  const manifest = sealManifest({
    device,
    streamId: 'cam',
    epoch: 1,
    notBefore: now - 1000,
    notAfter: now + 60_000,
    previous: null,
    recipients: [viewer.card],
  });
  const sealer = new FrameSealer({
    deviceId: device.card.id,
    streamId: 'cam',
    epoch: 1,
    epochKey: manifest.epochKey,
  });
  const message = (type: WireType, payload: Uint8Array) =>
    decodeLiveMessage(encodeLiveMessage({ type, deviceId: device.card.id, streamId: 'cam', payload }));
  const shown: number[] = [];
  const rejected: ViewerError[] = [];
  const view = new LiveView(
    viewer,
    device.card,
    parseStreamId('cam'),
    { onFrame: (frame) => shown.push(frame.counter), onRejected: (error) => rejected.push(error) },
    undefined,
    () => undefined,
  );
  view.handle(message(WireType.LiveManifest, manifest.bytes));
  const keyframe = sealer.seal(utf8('key'), { keyframe: true, codec: Codec.Jpeg });
  const delta = sealer.seal(utf8('delta'), { keyframe: false, codec: Codec.Jpeg });
  view.handle(message(WireType.LiveFrame, keyframe));
  view.handle(message(WireType.LiveFrame, delta));
  view.handle(message(WireType.LiveFrame, keyframe)); // the relay's cached copy after a resubscribe
  assert.deepEqual(shown, [0, 1]);
  assert.equal(rejected.length, 0, 'a re-sent keyframe is not an alarm');
  view.handle(message(WireType.LiveFrame, delta)); // a replayed non-keyframe
  assert.deepEqual(
    rejected.map((error) => error.reason),
    ['REPLAYED'],
  );
  assert.deepEqual(shown, [0, 1], 'nothing replayed is shown');
});
