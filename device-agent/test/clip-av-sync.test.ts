import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertAvSync } from '@sealcam/testkit/av-sync';
import { requireGstreamer, requireProgram } from '@sealcam/testkit/programs';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import type { AudioUnit, VideoUnit } from '../src/camera/frame.js';
import { GSTREAMER_PACKAGES } from '../src/camera/passthrough-exit.js';
import { RtspPassthroughCamera } from '../src/camera/rtsp-passthrough.js';
import { muxMp4Clip } from '../src/motion/mp4-clip.js';
import { record } from './support/camera-recording.js';

requireProgram('ffmpeg');
requireGstreamer(['rtspsrc', 'rtph264depay', 'rtpmp4gdepay', 'gdppay'], GSTREAMER_PACKAGES);

const FPS = 15;
/**
 * The bound: a flash is seen at the first video frame at or after it (≤ 1 frame interval, 67 ms at
 * 15 fps), a beep to within one AAC frame (1024 samples, 21 ms at 48 kHz) plus the AAC encoder's
 * priming of one frame, which an MP4 without an edit list plays as sound: 67 + 21 + 21 ≈ 110 ms.
 */
const BOUND_MS = 1000 / FPS + 2 * ((1024 / 48_000) * 1000);

describe('A/V sync of a passthrough clip (RTSP camera with a flash and a beep at the same instants)', {
  concurrency: true,
}, () => {
  for (const client of ['ffmpeg', 'gstreamer'] as const)
    it(`client ${client}: every flash of the clip MP4’s video has its beep on the audio track within one video frame + two AAC frames`, async () => {
      const server = await RtspTestCamera.start({
        width: 160,
        height: 120,
        fps: FPS,
        audio: 'aac',
        pattern: 'flash-beep',
      });
      const camera = new RtspPassthroughCamera({
        cameraId: 'sync',
        url: server.url(),
        stills: 'off',
        client,
      });
      const dir = mkdtempSync(join(tmpdir(), 'sealcam-sync-'));
      try {
        const run = record(camera);
        const video = () => run.all.filter((frame): frame is VideoUnit => frame.kind === 'h264');
        const spanUs = () => {
          const units = video();
          return units.length < 2 ? 0 : units.at(-1)!.capturedAtUs - units[0]!.capturedAtUs;
        };
        const deadline = Date.now() + 120_000;
        // 8 s of the camera: at least 6 flashes after the clip's first keyframe.
        while (spanUs() < 8_000_000 && Date.now() < deadline) await sleep(50);
        await camera.stop();
        assert.ok(spanUs() >= 8_000_000, 'the camera gave 8 s of video within 120 s');
        assert.deepEqual(run.errors, []);
        const units = run.all.filter(
          (frame): frame is VideoUnit | AudioUnit => frame.kind === 'h264' || frame.kind === 'aac',
        );
        const first = units.findIndex((unit) => unit.kind === 'h264' && unit.keyframe);
        const clip = await muxMp4Clip(units.slice(first));
        const file = join(dir, 'clip.mp4');
        writeFileSync(file, Buffer.concat(clip.chunks));
        assertAvSync(file, { minFlashes: 6, boundMs: BOUND_MS, label: `clip (${client})` });
      } finally {
        await camera.stop();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
