import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ready } from '@sealcam/protocol';
import { CAMERA_COLOURS, colouredH264Camera, type Rgb, whosePicture } from '@sealcam/testkit/coloured-camera';
import { requireProgram } from '@sealcam/testkit/programs';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import sharp from 'sharp';
import { isJpeg } from './support/jpeg.js';
import { decodedPictures, firstPicture, probe } from './support/media-probe.js';
import {
  type CliHome,
  cliHomes,
  closeHomes,
  getListedEvents,
  liveRejectedReasons,
} from './support/mixup-homes.js';
import { LiveTruth } from './support/provenance.js';
import { runViewerCli } from './support/viewer-cli.js';

/**
 * cli-mixup.test.ts for H.264 + AAC cameras (issue #15): two homes, each a synthetic H.264 camera
 * with an AAC tone (cam-a's top band red, cam-b's blue) and its own viewer CLI behind a recording
 * front, on a relay whose fault seam misroutes lookups and live frames at random (rate 0.5, so that
 * runs see both their own and the other camera's objects). `live --out file.mp4` writes only its own
 * camera's frames: every picture ffmpeg decodes from the file is its own colour, and the other
 * camera's video and audio frames it was served are REJECTED by reason. `get --clip out.mp4` writes
 * the own clip (its first picture its own colour) or REJECTED with nothing written.
 */
requireProgram('ffmpeg');
const cli = (state: string, args: string[]) => runViewerCli(state, args, 180_000);
const COLOURS: Record<string, Rgb> = { 'cam-a': CAMERA_COLOURS[0]!, 'cam-b': CAMERA_COLOURS[1]! };

let relay: TestRelay;
let dir: string;
let homes: CliHome[] = [];

before(async () => {
  await ready();
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '0.5' });
  dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-mixup-h264-'));
  homes = await cliHomes(
    relay.base,
    dir,
    Object.entries(COLOURS).map(([stream, colour]) => colouredH264Camera(stream, colour)),
  );
});
after(async () => {
  await closeHomes(homes);
  await relay?.stop();
});

async function assertOwnPicture(home: CliHome, picture: Uint8Array, what: string): Promise<void> {
  assert.equal(
    await whosePicture(picture, COLOURS),
    home.camera,
    `${home.camera}: ${what} is another camera's`,
  );
}

test('live --out file.mp4 on a mixed-up relay with H.264 + AAC cameras: the other camera video and audio frames were served and REJECTED by reason; every picture in the MP4 is the own camera', async () => {
  const truth = new LiveTruth(homes.map((home) => home.truth));
  const foreign = homes.map(() => ({ video: 0, audio: 0 }));
  const picturesChecked = homes.map(() => 0);
  const done = () =>
    foreign.every((served) => served.video > 0 && served.audio > 0) && picturesChecked.every((n) => n > 0);
  // Both homes at once (the fan-out hands one stream's frames to the other's viewer); a bounded
  // number of runs until each was served the other camera's video and audio and wrote own pictures.
  for (let attempt = 0; attempt < 8 && !done(); attempt++) {
    const marks = homes.map((home) => home.front.live.length);
    const files = homes.map((home) => join(dir, `live-${home.stream}-${attempt}.mp4`));
    const runs = await Promise.all(
      homes.map((home, i) =>
        cli(home.state, ['live', home.deviceId, home.stream, '--out', files[i]!, '--seconds', '10']),
      ),
    );
    truth.learn(homes.flatMap((home) => home.front.live));
    for (const [i, run] of runs.entries()) {
      const home = homes[i]!;
      const served = truth.frames(home.front.live.slice(marks[i]));
      const other = served.filter(({ sealer }) => sealer !== null && sealer !== home.deviceId);
      const otherVideo = other.filter(({ codec }) => codec === 2).length;
      const otherAudio = other.filter(({ codec }) => codec === 5).length;
      foreign[i]!.video += otherVideo;
      foreign[i]!.audio += otherAudio;
      const own = served.filter(({ sealer }) => sealer === home.deviceId);
      const ownVideo = own.filter(({ codec }) => codec === 2).length;
      const ownAudio = own.filter(({ codec }) => codec === 5).length;
      const reasons = liveRejectedReasons(run.stderr);
      if (other.length > 0) {
        assert.equal(run.status, 3, `${home.stream}: ${run.stdout} ${run.stderr}`);
        assert.ok(reasons.length > 0, run.stderr);
      }
      const verified = Number(/^(\d+) verified frames/m.exec(run.stdout)?.[1]);
      assert.ok(
        verified <= own.length,
        `${home.stream}: ${verified} frames verified, ${own.length} own ones served`,
      );
      // What went into the MP4, by kind: never more video or audio frames than the own camera's served.
      const written = /\((\d+) video(?:, (\d+) audio)?/.exec(run.stdout);
      if (written) {
        assert.ok(
          Number(written[1]) <= ownVideo,
          `${home.stream}: ${written[1]} video written, ${ownVideo} own`,
        );
        assert.ok(
          Number(written[2] ?? 0) <= ownAudio,
          `${home.stream}: ${written[2]} audio written, ${ownAudio} own`,
        );
      }
      if (existsSync(files[i]!)) {
        const media = probe(files[i]!);
        assert.equal(media.streams.find((stream) => stream.codec_type === 'video')?.codec_name, 'h264');
        const { width, height, pictures } = decodedPictures(files[i]!);
        assert.ok(pictures.length > 0 && pictures.length <= verified);
        for (const rgb of pictures) {
          const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
            .png()
            .toBuffer();
          await assertOwnPicture(home, png, `a picture of ${files[i]}`);
          picturesChecked[i]!++;
        }
      } else assert.match(run.stdout, /nothing written/, run.stdout);
      console.log(
        `mixup live h264 ${home.stream}: served ${otherVideo} video + ${otherAudio} audio frames of the other camera, ${ownVideo} + ${ownAudio} own; ${run.stdout.trim()} | ${run.stderr.trim().replace(/\n/g, ' | ')}`,
      );
    }
  }
  assert.ok(
    foreign.every((served) => served.video > 0 && served.audio > 0),
    `the other camera video and audio frames served to each home: ${JSON.stringify(foreign)}`,
  );
  assert.ok(
    picturesChecked.every((n) => n > 0),
    `own pictures written and decoded: ${picturesChecked}`,
  );
});

test('get --clip out.mp4 on a mixed-up relay with H.264 cameras: the own MP4 clip and thumbnail, or REJECTED with nothing written', async () => {
  // Two rounds, and on (a bounded number) until a clip was written and another camera's object was
  // served and refused: the seam misroutes at random.
  const outcomes = await getListedEvents(homes, dir, {
    listMs: 180_000,
    clip: 'clip.mp4',
    more: (got) => !(got.verified > 0 && got.foreignServed > 0 && got.rejected.size > 0),
    written: async (home, out, view) => {
      assert.equal(view.record.clip?.type, 'video/mp4');
      const thumbnail = readFileSync(join(out, 'thumbnail.jpg'));
      assert.ok(isJpeg(thumbnail));
      await assertOwnPicture(home, thumbnail, 'the thumbnail');
      assert.equal(
        probe(join(out, 'clip.mp4')).streams.find((s) => s.codec_type === 'video')?.codec_name,
        'h264',
      );
      await assertOwnPicture(home, await firstPicture(join(out, 'clip.mp4')), "the clip's first picture");
    },
  });
  console.log(
    `mixup get h264: ${JSON.stringify({ ...outcomes, rejected: Object.fromEntries(outcomes.rejected) })}`,
  );
  assert.ok(outcomes.verified > 0, 'own clips were written');
  assert.ok(outcomes.foreignServed > 0, 'the mixed-up relay served the other camera objects');
  assert.ok(outcomes.rejected.size > 0, 'and they were refused');
});
