import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireProgram } from '@sealcam/testkit/programs';
import sharp from 'sharp';
import { NAL_PPS, NAL_SPS, nalUnits } from '../src/camera/annexb.js';
import { CameraError } from '../src/camera/camera-error.js';
import { createCameraSource } from '../src/camera/create-source.js';
import type { AudioUnit, StillPicture, VideoUnit } from '../src/camera/frame.js';
import { SyntheticH264Camera } from '../src/camera/synthetic-h264.js';
import { record } from './support/camera-recording.js';
import { decodeAac, decodeH264 } from './support/h264-check.js';

requireProgram('ffmpeg');
requireProgram('ffprobe');

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(20);
  assert.ok(condition(), `timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('synthetic H.264 camera', { concurrency: true }, () => {
  it('encodes the rendered picture to H.264 units that ffprobe decodes, keyframes every 2 s, capture time = render time', async () => {
    const camera = createCameraSource({
      source: 'synthetic',
      codec: 'h264',
      id: 'syn-h264',
      width: 320,
      height: 180,
      fps: 10,
    });
    assert.ok(camera instanceof SyntheticH264Camera);
    const run = record(camera);
    const units = () => run.all.filter((frame): frame is VideoUnit => frame.kind === 'h264');
    const startedAt = Date.now();
    try {
      await waitUntil(() => units().length >= 45, 60_000, '45 units');
    } finally {
      await camera.stop();
    }
    assert.deepEqual(run.errors, []);
    const got = units();
    assert.equal(got[0]!.keyframe, true);
    const types = nalUnits(got[0]!.data).map((nal) => nal.type);
    assert.ok(types.includes(NAL_SPS) && types.includes(NAL_PPS));
    const keyIndexes = got.flatMap((unit, index) => (unit.keyframe ? [index] : []));
    assert.ok(keyIndexes.length >= 2);
    assert.equal(keyIndexes[1]! - keyIndexes[0]!, 20, 'a keyframe every 2 s at 10 fps');
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.capturedAtUs > got[i - 1]!.capturedAtUs);
    const seconds = (got.at(-1)!.capturedAtUs - got[0]!.capturedAtUs) / 1e6;
    assert.ok(seconds > 3, `the clock advances (${seconds} s over ${got.length} units)`);
    assert.ok(got[0]!.capturedAt >= startedAt - 1000 && got[0]!.capturedAt <= Date.now());
    for (const unit of got) {
      assert.deepEqual([unit.width, unit.height], [320, 180]);
      assert.match(unit.codecString, /^avc1\.[0-9a-f]{6}$/);
    }
    const decoded = decodeH264(Buffer.concat(got.map((unit) => unit.data)));
    assert.equal(decoded.frames, got.length, `every unit decodes (${decoded.errors})`);
  });

  it('delivers stills (JPEG + luma) from the rendered frames and an AAC tone that ffprobe decodes', async () => {
    const camera = new SyntheticH264Camera({
      cameraId: 'syn-tone',
      width: 320,
      height: 180,
      fps: 10,
      audio: true,
      stillEveryMs: 500,
    });
    const run = record(camera);
    const audio = () => run.all.filter((frame): frame is AudioUnit => frame.kind === 'aac');
    const stills = () => run.all.filter((frame): frame is StillPicture => frame.kind === 'still');
    try {
      await waitUntil(() => audio().length >= 60 && stills().length >= 3, 60_000, 'audio and stills');
    } finally {
      await camera.stop();
    }
    assert.deepEqual(run.errors, []);
    for (const unit of audio()) assert.deepEqual([unit.sampleRate, unit.channels], [48000, 1]);
    for (let i = 1; i < audio().length; i++)
      assert.ok(audio()[i]!.capturedAtUs > audio()[i - 1]!.capturedAtUs);
    const aac = decodeAac(Buffer.concat(audio().map((unit) => unit.data)));
    assert.equal(aac.codec, 'aac');
    assert.equal(aac.frames, audio().length, aac.errors);
    const still = stills()[0]!;
    const metadata = await sharp(still.jpeg).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 320, 180]);
    assert.ok(still.luma && still.luma.data.length === still.luma.width * still.luma.height);
    assert.ok(stills()[2]!.capturedAt - stills()[0]!.capturedAt >= 800, 'stills at a low rate');
  });

  it('falls back to the JPEG synthetic camera when ffmpeg is missing, and says so in one line', async () => {
    const camera = new SyntheticH264Camera({
      cameraId: 'syn-noff',
      width: 160,
      height: 90,
      fps: 10,
      ffmpegPath: '/nonexistent/bin/ffmpeg',
    });
    const run = record(camera);
    try {
      await waitUntil(() => run.frames.length >= 3, 60_000, 'JPEG frames');
    } finally {
      await camera.stop();
    }
    assert.equal(camera.fellBack, true);
    assert.equal(run.errors.length, 1);
    const error = run.errors[0]!;
    assert.ok(error instanceof CameraError && error.reason === 'ffmpeg-missing');
    assert.match(
      error.message,
      /^synthetic camera syn-noff: ffmpeg not found .*falling back to the JPEG synthetic camera/,
    );
    assert.doesNotMatch(error.message, /\n/);
    assert.equal(run.all.filter((frame) => frame.kind === 'h264').length, 0);
    assert.equal((await sharp(run.frames[0]!.jpeg).metadata()).format, 'jpeg');
  });
});
