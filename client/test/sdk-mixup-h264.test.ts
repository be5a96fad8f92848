import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Codec, decodeMediaPayload } from '@sealcam/protocol';
import { CAMERA_COLOURS, colouredH264Camera, type Rgb, whosePicture } from '@sealcam/testkit/coloured-camera';
import { until } from '@sealcam/testkit/poll';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import type { LiveFrame } from '../src/sdk/index.js';
import { isJpeg } from './support/jpeg.js';
import { firstPicture } from './support/media-probe.js';
import { closeHomes, MixupCalls, type SdkHome, sdkHomes, watchMixedUp } from './support/mixup-homes.js';
import type { LiveTruth, ServedFrame } from './support/provenance.js';

/**
 * sdk-mixup.test.ts for the default camera path of issue #15: both homes' cameras are synthetic H.264
 * cameras (libx264 through real ffmpeg) with an AAC tone, cam-a's top band red, cam-b's blue. The
 * relay's fault seam misroutes lookups and live frames between the homes; each viewer reaches it
 * through a recording front, so the test knows which camera made each object and which camera's key
 * opens each live frame, video or audio. Whatever the relay serves, a viewer accepts only its own
 * camera's units (every accepted frame is one its own camera sealed, H.264 or AAC; its keyframes
 * decode in ffmpeg to its own colour), thumbnails and MP4 clips (the first picture ffmpeg decodes is
 * its own colour); the other camera's objects, video frames and audio frames were served and refused.
 */
requireProgram('ffmpeg');
let relay: TestRelay;
let homes: SdkHome[] = [];
let dir: string;
const COLOURS: Record<string, Rgb> = { 'cam-a': CAMERA_COLOURS[0]!, 'cam-b': CAMERA_COLOURS[1]! };

before(async () => {
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '0.5' });
  dir = mkdtempSync(join(tmpdir(), 'sealcam-sdk-mixup-h264-'));
  homes = await sdkHomes(
    relay.base,
    Object.entries(COLOURS).map(([stream, colour]) => colouredH264Camera(stream, colour)),
  );
});
after(async () => {
  await closeHomes(homes);
  await relay?.stop();
});

const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The served frames (ground truth) that are exactly this accepted frame: same epoch, counter, capture time and unit. */
function servedAs(frame: LiveFrame, served: readonly ServedFrame[]): ServedFrame[] {
  return served.filter(({ opened }) => {
    if (!opened || opened.epoch !== frame.epoch || opened.counter !== frame.counter) return false;
    const media = decodeMediaPayload(opened.payload);
    return media.capturedAtUs === frame.capturedAtUs && equalBytes(media.unit, frame.data);
  });
}

test('a mixed-up relay with H.264 + AAC cameras: the other camera objects, video and audio frames were served and refused; every accepted unit, thumbnail and MP4 clip is of the own camera', async () => {
  const calls = new MixupCalls();
  const counts = { records: 0, thumbnails: 0, clips: 0, picturesDecoded: 0 };
  async function assertOwnPicture(home: SdkHome, picture: Uint8Array, what: string) {
    assert.equal(
      await whosePicture(picture, COLOURS),
      home.camera,
      `${home.camera}: ${what} of another camera`,
    );
    counts.picturesDecoded++;
  }

  for (const home of homes) {
    await until(
      async () => (await home.viewer.events(home.deviceId)).events.length >= 2,
      120_000,
      `events of ${home.stream}`,
    );
  }
  // At least six rounds, and on (a bounded number) until records, thumbnails and clips were each
  // accepted and the other camera's objects served: the seam misroutes at random.
  const enough = () =>
    counts.records > 0 && counts.thumbnails > 0 && counts.clips > 0 && calls.foreignServed > 0;
  let file = 0;
  for (let round = 0; round < 6 || (round < 60 && !enough()); round++) {
    for (const home of homes) {
      const listed = (await calls.call(home, () => home.viewer.events(home.deviceId)))?.events ?? [];
      for (const { eventId } of listed.slice(0, 3)) {
        const view = await calls.call(home, () => home.viewer.openEvent(home.deviceId, eventId));
        if (view) {
          assert.equal(view.streamId, home.stream, 'an accepted record is always from the own camera');
          counts.records++;
        }
        const thumbnail = await calls.call(home, () => home.viewer.thumbnail(home.deviceId, eventId));
        if (thumbnail) {
          assert.ok(isJpeg(thumbnail), 'thumbnail');
          await assertOwnPicture(home, thumbnail, 'thumbnail');
          counts.thumbnails++;
        }
        const clip = await calls.call(home, () => home.viewer.clipFile(home.deviceId, eventId));
        if (clip) {
          assert.equal(clip.codec, Codec.H264AnnexB);
          assert.equal(Buffer.from(clip.bytes.subarray(4, 8)).toString('latin1'), 'ftyp', 'an MP4');
          const path = join(dir, `clip-${file++}.mp4`);
          writeFileSync(path, clip.bytes);
          await assertOwnPicture(home, await firstPicture(path), "clip's first picture");
          counts.clips++;
        }
      }
    }
  }

  // Live: both homes watch at once, until each accepted a keyframe and audio of its own and the
  // other camera's video and audio frames were served (the fan-out hands one stream's frames to the
  // other's viewer).
  const foreignServed = (truth: LiveTruth) => {
    const byCodec = new Map<number, number>();
    for (const home of homes)
      for (const { sealer, codec } of truth.frames(home.front.live))
        if (sealer !== null && sealer !== home.deviceId) byCodec.set(codec, (byCodec.get(codec) ?? 0) + 1);
    return { video: byCodec.get(Codec.H264AnnexB) ?? 0, audio: byCodec.get(Codec.AacAdts) ?? 0 };
  };
  const { shown, truth } = await watchMixedUp(
    homes,
    calls,
    (shown, truth) => {
      const foreign = foreignServed(truth);
      return (
        homes.every((home) => {
          const frames = shown.get(home)!;
          return (
            frames.some((frame) => frame.codec === Codec.H264AnnexB && frame.keyframe) &&
            frames.filter((frame) => frame.codec === Codec.AacAdts).length >= 5
          );
        }) &&
        foreign.video > 0 &&
        foreign.audio > 0
      );
    },
    'own keyframes and audio opened, the other camera video and audio frames served',
  );

  const accepted = { video: 0, audio: 0, keyframesDecoded: 0 };
  for (const home of homes) {
    const frames = shown.get(home)!;
    const served = truth.frames(home.front.live);
    for (const frame of frames) {
      assert.ok(
        frame.codec === Codec.H264AnnexB || frame.codec === Codec.AacAdts,
        `accepted codec ${frame.codec}`,
      );
      const as = servedAs(frame, served);
      assert.ok(as.length > 0, 'an accepted frame is one that was served');
      assert.deepEqual(
        [...new Set(as.map(({ sealer }) => sealer))],
        [home.deviceId],
        `${home.stream}: an accepted ${frame.codec === Codec.AacAdts ? 'audio' : 'video'} frame of another camera`,
      );
      if (frame.codec === Codec.AacAdts) accepted.audio++;
      else accepted.video++;
    }
    const ownServed = served.filter(({ sealer }) => sealer === home.deviceId).length;
    assert.ok(
      frames.length <= ownServed,
      'no more frames accepted than the own camera sealed and was served',
    );
    // The pictures themselves: up to three accepted keyframes, each decoded on its own by ffmpeg.
    const keyframes = frames
      .filter((frame) => frame.codec === Codec.H264AnnexB && frame.keyframe)
      .slice(0, 3);
    assert.ok(keyframes.length > 0);
    for (const keyframe of keyframes) {
      await assertOwnPicture(home, await firstPicture(keyframe.data, 'h264'), 'live keyframe');
      accepted.keyframesDecoded++;
    }
  }

  const foreign = foreignServed(truth);
  assert.ok(counts.records > 0 && counts.thumbnails > 0 && counts.clips > 0, 'own events are shown');
  assert.ok(calls.foreignServed > 0, 'the mixed-up relay served the other camera objects');
  assert.ok(foreign.video > 0, 'the mixed-up relay served the other camera video frames');
  assert.ok(foreign.audio > 0, 'the mixed-up relay served the other camera audio frames');
  assert.ok(calls.rejected.size > 0, 'and they were refused');
  console.log(
    `mixup h264: accepted ${counts.records} records, ${counts.thumbnails} thumbnails, ${counts.clips} MP4 clips, live ${accepted.video} video + ${accepted.audio} audio frames (${counts.picturesDecoded} pictures decoded, ${accepted.keyframesDecoded} of them live keyframes, all own); served foreign: ${calls.foreignServed} objects, ${foreign.video} video + ${foreign.audio} audio live frames; rejected ${JSON.stringify(Object.fromEntries(calls.rejected))}`,
  );
});
