import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CAMERA_COLOURS, colouredCamera, type Rgb, whosePicture } from '@sealcam/testkit/coloured-camera';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { isJpeg } from './support/jpeg.js';
import { closeHomes, MixupCalls, type SdkHome, sdkHomes, watchMixedUp } from './support/mixup-homes.js';
import type { LiveTruth } from './support/provenance.js';

/**
 * A relay with the fault seam on misroutes lookups and live frames between two homes, as in the
 * incidents. Ground truth: home A's camera is "cam-a" and all its pictures are red, home B's is
 * "cam-b" and blue. Each viewer reaches the relay through a front that forwards under its own
 * session and records exactly what it was served, so the test knows which camera made each object
 * (public headers; for live frames, which camera's key opens them). Whatever the relay serves, a
 * viewer only ever accepts its own camera's pictures; the other home's objects were served and
 * refused with a reason a UI can show. (The same for H.264 + AAC cameras: sdk-mixup-h264.test.ts.)
 */
let relay: TestRelay;
let homes: SdkHome[] = [];
const COLOURS: Record<string, Rgb> = { 'cam-a': CAMERA_COLOURS[0]!, 'cam-b': CAMERA_COLOURS[1]! };

before(async () => {
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '0.5' });
  homes = await sdkHomes(
    relay.base,
    await Promise.all(Object.entries(COLOURS).map(([stream, colour]) => colouredCamera(stream, colour))),
  );
});
after(async () => {
  await closeHomes(homes);
  await relay?.stop();
});

test('a mixed-up relay: the other camera objects and frames were served and refused; every accepted picture is of the own camera', async () => {
  const calls = new MixupCalls();
  const call = <T>(home: SdkHome, work: () => Promise<T>) => calls.call(home, work);
  const counts = { records: 0, thumbnails: 0, clips: 0, picturesChecked: 0 };
  async function assertOwnPicture(home: SdkHome, jpeg: Uint8Array, what: string) {
    assert.ok(isJpeg(jpeg), what);
    assert.equal(await whosePicture(jpeg, COLOURS), home.camera, `${home.camera}: ${what} of another camera`);
    counts.picturesChecked++;
  }

  for (const home of homes) {
    await until(
      async () => (await home.viewer.events(home.deviceId)).events.length >= 2,
      90_000,
      `events of ${home.stream}`,
    );
  }
  // At least six rounds, and on (a bounded number) until records, thumbnails and clips were each
  // accepted and the other camera's objects served: the seam misroutes at random.
  const enough = () =>
    counts.records > 0 && counts.thumbnails > 0 && counts.clips > 0 && calls.foreignServed > 0;
  for (let round = 0; round < 6 || (round < 60 && !enough()); round++) {
    for (const home of homes) {
      const listed = (await call(home, () => home.viewer.events(home.deviceId)))?.events ?? [];
      for (const { eventId } of listed.slice(0, 3)) {
        const view = await call(home, () => home.viewer.openEvent(home.deviceId, eventId));
        if (view) {
          assert.equal(view.streamId, home.stream, 'an accepted record is always from the own camera');
          counts.records++;
        }
        const thumbnail = await call(home, () => home.viewer.thumbnail(home.deviceId, eventId));
        if (thumbnail) {
          await assertOwnPicture(home, thumbnail, 'thumbnail');
          counts.thumbnails++;
        }
        const clip = await call(home, () => home.viewer.clip(home.deviceId, eventId));
        if (clip) {
          assert.ok(clip.length > 0);
          for (const frame of clip) await assertOwnPicture(home, frame.image, 'clip frame');
          counts.clips++;
        }
      }
    }
  }

  // Live: both homes watch at once (the fan-out hands frames of one stream to the other's viewers),
  // until each has opened frames and the other camera's frames were served to them.
  const servedBySealer = (truth: LiveTruth) =>
    homes.map((home) => {
      const bySealer = truth.framesBySealer(home.front.live);
      const other = homes.find((h) => h !== home)!;
      return { own: bySealer.get(home.deviceId) ?? 0, foreign: bySealer.get(other.deviceId) ?? 0 };
    });
  const { shown, truth } = await watchMixedUp(
    homes,
    calls,
    (shown, truth) =>
      homes.every((home) => shown.get(home)!.length >= 5) &&
      servedBySealer(truth).reduce((sum, served) => sum + served.foreign, 0) > 0,
    'own frames opened and the other camera frames served',
  );
  const served = servedBySealer(truth);
  for (const [index, home] of homes.entries()) {
    const frames = shown.get(home)!;
    for (const frame of frames) await assertOwnPicture(home, frame.data, 'live frame');
    assert.ok(
      frames.length <= served[index]!.own,
      'no more frames shown than the own camera sealed and was served',
    );
  }

  const liveForeign = served.reduce((sum, s) => sum + s.foreign, 0);
  assert.ok(counts.records > 0 && counts.thumbnails > 0 && counts.clips > 0, 'own events are shown');
  assert.ok(calls.foreignServed > 0, 'the mixed-up relay served the other camera objects');
  assert.ok(liveForeign > 0, 'the mixed-up relay served the other camera frames');
  assert.ok(calls.rejected.size > 0, 'and they were refused');
  console.log(
    `mixup: accepted ${counts.records} records, ${counts.thumbnails} thumbnails, ${counts.clips} clips (${counts.picturesChecked} pictures, all own); served foreign: ${calls.foreignServed} objects, ${liveForeign} live frames (own ${served.map((s) => s.own)}); rejected ${JSON.stringify(Object.fromEntries(calls.rejected))}`,
  );
});
