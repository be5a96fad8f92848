import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireGstreamer, requireProgram } from '@sealcam/testkit/programs';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import { NAL_PPS, NAL_SPS, nalUnits } from '../src/camera/annexb.js';
import { CameraError } from '../src/camera/camera-error.js';
import { createCameraSource } from '../src/camera/create-source.js';
import type { VideoUnit } from '../src/camera/frame.js';
import { GST_ELEMENTS } from '../src/camera/gst-passthrough-args.js';
import { GSTREAMER_PACKAGES } from '../src/camera/passthrough-exit.js';
import { RtspCamera } from '../src/camera/rtsp.js';
import { RtspPassthroughCamera } from '../src/camera/rtsp-passthrough.js';
import { record, unitsOf, waitUntil } from './support/camera-recording.js';
import { decodeH264 } from './support/h264-check.js';

requireProgram('ffmpeg');
requireProgram('ffprobe');
requireGstreamer(GST_ELEMENTS, GSTREAMER_PACKAGES);

describe('RTSP passthrough camera, stream changes', () => {
  it('client ffmpeg: restarts the pipeline with a stream-changed message when the resolution changes mid-stream, never rescaling; new keyframes carry the new SPS/PPS alone', async () => {
    const server = await RtspTestCamera.start({ width: 320, height: 240, fps: 10 });
    const camera = new RtspPassthroughCamera({
      client: 'ffmpeg',
      cameraId: 'resize',
      url: server.url(),
      stills: 'off',
      retryMinMs: 200,
    });
    try {
      const run = record(camera);
      const units = () => run.all.filter((frame): frame is VideoUnit => frame.kind === 'h264');
      await waitUntil(() => units().length >= 15, 60_000, 'units at 320x240');
      const startsBefore = camera.starts;
      await server.changeResolution(160, 120);
      await waitUntil(
        () => units().filter((unit) => unit.width === 160).length >= 15,
        60_000,
        'units at 160x120',
      );
      await camera.stop();
      assert.equal(run.errors.length, 1, run.errors.map((error) => error.message).join('\n'));
      const error = run.errors[0]!;
      assert.ok(error instanceof CameraError);
      assert.equal(error.reason, 'stream-changed');
      assert.match(
        error.message,
        /stream changed mid-stream .*was avc1\.[0-9a-f]{6} 320x240.*restarting the pipeline/,
      );
      assert.equal(camera.starts, startsBefore + 1, 'one restart');
      const after = units().filter((unit) => unit.width === 160);
      assert.equal(after[0]!.keyframe, true, 'the new stream starts at a keyframe');
      assert.ok(units().every((unit) => [320, 160].includes(unit.width)));
      const old = units().filter((unit) => unit.width === 320);
      assert.ok(
        old.every((unit) => unit.capturedAtUs < after[0]!.capturedAtUs),
        'no old-size unit after the change',
      );
      const decoded = decodeH264(Buffer.concat(after.map((unit) => unit.data)));
      assert.equal(decoded.frames, after.length, `the new stream decodes on its own (${decoded.errors})`);
      // The session's parameter sets that ffmpeg puts in front of every keyframe (dump_extra) may be
      // the old ones: only the camera's own are left, so a clip's avcC describes the new size.
      for (const unit of after.filter((u) => u.keyframe)) {
        const types = nalUnits(unit.data).map((nal) => nal.type);
        assert.deepEqual(
          [types.filter((t) => t === NAL_SPS).length, types.filter((t) => t === NAL_PPS).length],
          [1, 1],
          'one SPS and one PPS per keyframe',
        );
      }
    } finally {
      await camera.stop();
      await server.stop();
    }
  });

  for (const client of ['ffmpeg', 'gstreamer'] as const)
    it(`client ${client}: restarts a camera that stalls with its connection open, reason stalled, and recovers`, async () => {
      const server = await RtspTestCamera.start({ width: 160, height: 120, fps: 10 });
      const camera = new RtspPassthroughCamera({
        client,
        cameraId: `stall-${client}`,
        url: server.url(),
        stills: 'off',
        stallTimeoutMs: 2000,
        retryMinMs: 100,
      });
      try {
        const run = record(camera);
        const units = () => run.all.filter((frame): frame is VideoUnit => frame.kind === 'h264');
        await waitUntil(() => units().length >= 5, 60_000, 'units');
        server.paused = true;
        await waitUntil(() => run.errors.length >= 1, 60_000, 'the stall to be reported');
        const before = units().length;
        server.paused = false;
        await waitUntil(() => units().length >= before + 5, 60_000, 'units after the restart');
        await camera.stop();
        const error = run.errors[0]!;
        assert.ok(error instanceof CameraError);
        assert.equal(error.reason, 'stalled');
        assert.match(error.message, /: no video for 2 s(; stderr: .*)?; retrying in 100 ms$/);
        assert.equal(units()[before]!.keyframe, true, 'the restarted stream starts at a keyframe');
      } finally {
        await camera.stop();
        await server.stop();
      }
    });

  for (const client of ['ffmpeg', 'gstreamer'] as const)
    it(`client ${client}: a camera that drops the connection (a reboot) is reconnected; units go on from a keyframe`, async () => {
      const server = await RtspTestCamera.start({ width: 160, height: 120, fps: 10 });
      const camera = new RtspPassthroughCamera({
        client,
        cameraId: `drop-${client}`,
        url: server.url(),
        stills: 'off',
        retryMinMs: 100,
      });
      try {
        const run = record(camera);
        await waitUntil(() => unitsOf(run).length >= 5, 60_000, 'units');
        const startsBefore = camera.starts;
        server.dropClients();
        await waitUntil(() => camera.starts > startsBefore, 60_000, 'a new session');
        const before = unitsOf(run).length;
        await waitUntil(() => unitsOf(run).length >= before + 5, 60_000, 'units after the reconnection');
        await camera.stop();
        assert.ok(run.errors.length >= 1, 'the drop is reported');
        for (const error of run.errors) {
          assert.ok(error instanceof CameraError);
          assert.notEqual(error.reason, 'auth-failed');
          assert.match(error.message, /retrying in \d+ ms$/, 'retried at the short backoff, not minutes');
        }
        const after = unitsOf(run).slice(before);
        assert.equal(after[0]!.keyframe, true, 'the new session starts at a keyframe');
        const all = unitsOf(run);
        for (let i = 1; i < all.length; i++)
          assert.ok(all[i]!.capturedAtUs > all[i - 1]!.capturedAtUs, 'capture times keep increasing');
      } finally {
        await camera.stop();
        await server.stop();
      }
    });

  it('createCameraSource: an rtsp camera is passed through by default, re-encoded with mode "mjpeg" or JPEG-only fields', async () => {
    const url = 'rtsp://127.0.0.1:1/x';
    assert.ok(createCameraSource({ source: 'rtsp', id: 'a', url }) instanceof RtspPassthroughCamera);
    assert.ok(
      createCameraSource({ source: 'rtsp', id: 'b', url, mode: 'passthrough' }) instanceof
        RtspPassthroughCamera,
    );
    assert.ok(
      createCameraSource({ source: 'rtsp', id: 'c', url, mode: 'mjpeg', fps: 5 }) instanceof RtspCamera,
    );
  });
});
