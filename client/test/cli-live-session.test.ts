import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import {
  createClockProof,
  createIdentity,
  type DeviceId,
  decodeLiveMessage,
  deviceIdOf,
  encodeLiveMessage,
  encodeMediaPayload,
  FrameSealer,
  fromHex,
  memoryKeyHolder,
  parseStreamId,
  Role,
  ready,
  sealManifest,
  WireType,
} from '@sealcam/protocol';
import { mediaFixture } from '@sealcam/testkit/media-fixture';
import { runLive } from '../src/cli/live.js';
import type { LiveHandlers, Subscription } from '../src/sdk/index.js';
import { LiveView } from '../src/sdk/live-view.js';
import { liveFrames, probe } from './support/media-probe.js';

/**
 * `live --out file.mp4` as the CLI runs it (runLive), with frames sealed by a device identity and
 * opened by the SDK's LiveView — the relay hop left out (the agent's H.264 path is not there yet):
 * the MP4 is finished on Ctrl-C and on --frames, and ffprobe reads it.
 */
before(async () => {
  await ready();
});

const STREAM = parseStreamId('cam-1');

/**
 * A camera sending the fixture's units (capture order, one every 2 ms) to whoever watches; `sent`
 * resolves when all are sent.
 */
function sealingCamera(units: ReturnType<typeof liveFrames>) {
  const device = createIdentity(Role.Device);
  const viewer = createIdentity(Role.Viewer);
  let sentAll: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => {
    sentAll = resolve;
  });
  const watch = (_deviceId: DeviceId, streamId: typeof STREAM, handlers: LiveHandlers): Subscription => {
    const now = Date.now();
    const manifest = sealManifest({
      device,
      streamId,
      epoch: 1,
      notBefore: now - 1000,
      notAfter: now + 600_000,
      previous: null,
      recipients: [viewer.card],
    });
    const sealer = new FrameSealer({
      deviceId: device.card.id,
      streamId,
      epoch: 1,
      epochKey: manifest.epochKey,
    });
    let next = 0;
    // The camera's clock is the fixture's: it answers a clock question with the next unit's capture time.
    const answerClock = (nonce: string) =>
      deliver(
        WireType.LiveClock,
        createClockProof({
          device,
          time: Math.floor((units[Math.min(next, units.length - 1)]!.capturedAtUs ?? 0) / 1000),
          nonces: [fromHex(nonce)],
        }),
      );
    const view = new LiveView(
      memoryKeyHolder(viewer),
      device.card,
      streamId,
      handlers,
      undefined,
      () => undefined,
      () => undefined,
      answerClock,
    );
    const deliver = (type: WireType, payload: Uint8Array) =>
      view.handle(
        decodeLiveMessage(encodeLiveMessage({ type, deviceId: device.card.id, streamId, payload })),
      );
    deliver(WireType.LiveManifest, manifest.bytes);
    view.control({
      op: 'subscribed',
      deviceId: deviceIdOf(device.card.id),
      streamId,
      manifest: true,
      keyframe: false,
    });
    const timer = setInterval(() => {
      const unit = units[next++];
      if (!unit) {
        clearInterval(timer);
        sentAll();
        return;
      }
      const payload = encodeMediaPayload({ capturedAtUs: unit.capturedAtUs!, unit: unit.data });
      deliver(WireType.LiveFrame, sealer.seal(payload, { keyframe: unit.keyframe, codec: unit.codec }));
    }, 2);
    return {
      close() {
        clearInterval(timer);
        view.close();
      },
    };
  };
  return { watch, sent, deviceId: deviceIdOf(device.card.id) };
}

const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'sealcam-live-session-')), name);

test('live --out file.mp4 joined mid-GOP, ended by Ctrl-C: exit 0, ffprobe reads 30 h264 frames, 2.0 s, and aac', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const camera = sealingCamera(liveFrames(fixture, { from: 10 }));
  const path = tempFile('interrupted.mp4');
  const running = runLive(camera, camera.deviceId, STREAM, {
    output: { kind: 'mp4', path },
    seconds: 600,
    verbose: false,
  });
  await camera.sent;
  // Ctrl-C: the signal runLive listens for, delivered to this process.
  process.emit('SIGINT', 'SIGINT');
  assert.equal(await running, 0);
  const info = probe(path);
  const video = info.streams.find((stream) => stream.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(Number(video?.nb_read_frames), 30);
  assert.ok(Math.abs(Number(info.format.duration) - 2) < 0.15, `duration ${info.format.duration}`);
  assert.equal(info.streams.find((stream) => stream.codec_type === 'audio')?.codec_name, 'aac');
});

test('live --out file.mp4 --frames 20: stops after 20 video frames, ffprobe reads 20 frames, 1.33 s', async () => {
  const fixture = mediaFixture({ seconds: 3, fps: 15 });
  const camera = sealingCamera(liveFrames(fixture));
  const path = tempFile('twenty.mp4');
  const code = await runLive(camera, camera.deviceId, STREAM, {
    output: { kind: 'mp4', path },
    seconds: 600,
    frames: 20,
    verbose: false,
  });
  assert.equal(code, 0);
  const info = probe(path);
  const video = info.streams.find((stream) => stream.codec_type === 'video');
  assert.equal(Number(video?.nb_read_frames), 20);
  const duration = Number(video?.duration);
  assert.ok(Math.abs(duration - 20 / 15) < 0.1, `video duration ${duration}`);
});
