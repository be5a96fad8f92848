import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireProgram } from '@sealcam/testkit/programs';
import { RtspTestCamera } from '@sealcam/testkit/rtsp-camera';
import type { AudioUnit, VideoUnit } from '../src/camera/frame.js';
import { RtspPassthroughCamera } from '../src/camera/rtsp-passthrough.js';
import { record, waitUntil } from './support/camera-recording.js';
import { decodeAac, decodeH264 } from './support/h264-check.js';

requireProgram('ffmpeg');
requireProgram('ffprobe');

/** Runs a passthrough camera against a test camera with this audio until both kinds have come. */
async function capture(
  audio: 'aac' | 'pcmu',
): Promise<{ video: VideoUnit[]; sound: AudioUnit[]; errors: Error[] }> {
  const server = await RtspTestCamera.start({ width: 160, height: 120, fps: 10, audio });
  const camera = new RtspPassthroughCamera({
    cameraId: `audio-${audio}`,
    url: server.url(),
    stills: 'off',
    client: 'ffmpeg',
  });
  try {
    const run = record(camera);
    const video = () => run.all.filter((frame): frame is VideoUnit => frame.kind === 'h264');
    const sound = () => run.all.filter((frame): frame is AudioUnit => frame.kind === 'aac');
    await waitUntil(() => video().length >= 25 && sound().length >= 20, 60_000, 'video and audio units');
    await camera.stop();
    return { video: video(), sound: sound(), errors: run.errors };
  } finally {
    await camera.stop();
    await server.stop();
  }
}

function checkInSync(video: VideoUnit[], sound: AudioUnit[]): void {
  for (let i = 1; i < sound.length; i++) assert.ok(sound[i]!.capturedAtUs > sound[i - 1]!.capturedAtUs);
  const offset = Math.abs(sound[0]!.capturedAtUs - video[0]!.capturedAtUs) / 1000;
  assert.ok(offset < 1000, `audio and video on the same clock (first units ${offset} ms apart)`);
}

describe('RTSP passthrough camera audio, client "ffmpeg" (client "gstreamer": camera-rtsp-gstreamer.test)', {
  concurrency: true,
}, () => {
  it('passes AAC through as ADTS units that ffprobe decodes, on the video’s clock', async () => {
    const { video, sound, errors } = await capture('aac');
    assert.deepEqual(errors, []);
    for (const unit of sound) {
      assert.deepEqual([unit.sampleRate, unit.channels], [48000, 1]);
      assert.equal(unit.data[0], 0xff, 'an ADTS header');
    }
    const decoded = decodeAac(Buffer.concat(sound.map((unit) => unit.data)));
    assert.equal(decoded.codec, 'aac');
    assert.equal(decoded.frames, sound.length, decoded.errors);
    checkInSync(video, sound);
    assert.equal(decodeH264(Buffer.concat(video.map((unit) => unit.data))).frames, video.length);
  });

  it('converts G.711 µ-law (PCMU) once to AAC, on the video’s clock', async () => {
    const { video, sound, errors } = await capture('pcmu');
    assert.deepEqual(errors, []);
    for (const unit of sound) assert.deepEqual([unit.sampleRate, unit.channels], [8000, 1]);
    const decoded = decodeAac(Buffer.concat(sound.map((unit) => unit.data)));
    assert.equal(decoded.codec, 'aac');
    assert.equal(decoded.frames, sound.length, decoded.errors);
    checkInSync(video, sound);
  });
});
