import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ready } from '@sealcam/protocol';
import { CAMERA_COLOURS, colouredCamera, type Rgb, whosePicture } from '@sealcam/testkit/coloured-camera';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { isJpeg } from './support/jpeg.js';
import {
  type CliHome,
  cliHomes,
  closeHomes,
  foreignLastAnswersSince,
  foreignServedSince,
  getListedEvents,
  liveRejectedReasons,
} from './support/mixup-homes.js';
import { LiveTruth } from './support/provenance.js';
import { runViewerCli } from './support/viewer-cli.js';

/**
 * A relay whose fault seam misroutes every lookup and every live frame (rate 1) between two homes,
 * each with its own camera ("cam-a": every picture red, "cam-b": blue) and its own viewer. Each
 * viewer reaches the relay through a front that forwards under its own session and records what it
 * was served, so the test knows which camera made each object (public headers; for live frames,
 * which camera's key opens them). Whatever the relay serves, the CLI writes only its own camera's
 * pictures; the other camera's objects were served and are REJECTED (exit 3) with nothing written.
 * The seam is random per lookup (a leftover reply, or a recent answer of another lookup, which may
 * by chance be the right one), so outcomes are checked run by run over a bounded loop.
 */
const cli = (state: string, args: string[]) => runViewerCli(state, args, 180_000);
const COLOURS: Record<string, Rgb> = { 'cam-a': CAMERA_COLOURS[0]!, 'cam-b': CAMERA_COLOURS[1]! };

async function assertOwnPicture(home: CliHome, file: string): Promise<void> {
  const jpeg = readFileSync(file);
  assert.ok(isJpeg(jpeg), file);
  assert.equal(await whosePicture(jpeg, COLOURS), home.camera, `${home.camera}: ${file} is another camera's`);
}

let relay: TestRelay;
let dir: string;
let homes: CliHome[] = [];

before(async () => {
  await ready();
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '1' });
  dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-mixup-'));
  homes = await cliHomes(
    relay.base,
    dir,
    await Promise.all(Object.entries(COLOURS).map(([stream, colour]) => colouredCamera(stream, colour))),
  );
});
after(async () => {
  await closeHomes(homes);
  await relay?.stop();
});

test('get on a mixed-up relay: own verified content, or REJECTED with nothing written — never a foreign image', async () => {
  const outcomes = await getListedEvents(homes, dir, {
    listMs: 120_000,
    clip: 'clip',
    // The SDK asks again for a misdelivered object, so a run may end verified: go on (bounded) until
    // one was refused too.
    more: (got) => !(got.verified > 0 && got.foreignServed > 0 && got.rejected.size > 0),
    written: async (home, out) => {
      await assertOwnPicture(home, join(out, 'thumbnail.jpg'));
      const frames = readdirSync(join(out, 'clip'));
      assert.ok(frames.length > 0);
      for (const frame of frames) await assertOwnPicture(home, join(out, 'clip', frame));
    },
  });
  console.log(
    `mixup get: ${JSON.stringify({ ...outcomes, rejected: Object.fromEntries(outcomes.rejected) })}`,
  );
  assert.ok(outcomes.foreignServed > 0, 'the mixed-up relay served the other camera objects');
  assert.ok(outcomes.rejected.size > 0, 'and they were refused');
});

test('events --open on a mixed-up relay: OK rows are the own camera, others REJECTED or UNAVAILABLE, exit 3', async () => {
  let rejected = 0;
  let foreignServed = 0;
  // The relay misroutes at random: a bounded number of rounds until another camera's record was
  // served and rejected.
  for (let round = 0; round < 20 && (rejected === 0 || foreignServed === 0); round++)
    for (const home of homes) {
      const mark = home.front.served.length;
      const run = await cli(home.state, ['events', home.deviceId, '--open', '--json']);
      foreignServed += foreignServedSince(home, mark).filter((path) => /\/events\/[^/]+$/.test(path)).length;
      if (run.status === 2) {
        assert.equal(run.stderr.trim(), 'viewer: The relay refused the request.');
        continue;
      }
      const rows = (
        JSON.parse(run.stdout) as {
          events: { eventId: string; status: string; reason?: string; record?: { streamId: string } }[];
        }
      ).events;
      // An event whose envelope in this run was, at the last request, another camera's is never an
      // OK row (an earlier foreign one was refused and asked for again).
      for (const path of foreignLastAnswersSince(home, mark)) {
        const row = rows.find((r) => path.endsWith(`/events/${r.eventId}`));
        if (row) assert.notEqual(row.status, 'ok', `${path} was another camera's, yet OK`);
      }
      for (const row of rows) {
        if (row.status === 'ok') assert.equal(row.record?.streamId, home.stream);
        else
          assert.ok(
            row.status === 'rejected' || (row.status === 'unavailable' && row.reason === 'RELAY_ERROR'),
          );
      }
      // Anything that did not verify (served another's record, or nothing) makes the listing fail.
      const bad = rows.filter((row) => row.status === 'rejected' || row.status === 'unavailable').length;
      assert.equal(run.status, bad > 0 ? 3 : 0);
      rejected += rows.filter((row) => row.status === 'rejected').length;
    }
  assert.ok(foreignServed > 0, 'the other camera records were served');
  assert.ok(rejected > 0, 'misrouted records were listed and rejected');
});

test('live on a mixed-up relay: the other camera frames were served and rejected by reason (WRONG_STREAM among them), only own frames written', async () => {
  const truth = new LiveTruth(homes.map((home) => home.truth));
  const allReasons = new Set<string>();
  const foreignFrames = homes.map(() => 0);
  const ownFrames = homes.map(() => 0);
  // Both homes at once (the fan-out hands one stream's frames to the other's viewer); a bounded
  // number of runs until each was served the other camera's frames and rejected them.
  for (let attempt = 0; attempt < 5 && foreignFrames.some((n) => n === 0); attempt++) {
    const marks = homes.map((home) => home.front.live.length);
    const runs = await Promise.all(
      homes.map((home) =>
        cli(home.state, [
          'live',
          home.deviceId,
          home.stream,
          '--out',
          join(dir, `live-${home.stream}-${attempt}`),
          '--seconds',
          '10',
        ]),
      ),
    );
    truth.learn(homes.flatMap((home) => home.front.live));
    for (const [i, run] of runs.entries()) {
      const home = homes[i]!;
      const other = homes.find((h) => h !== home)!;
      const bySealer = truth.framesBySealer(home.front.live.slice(marks[i]));
      const foreign = bySealer.get(other.deviceId) ?? 0;
      foreignFrames[i]! += foreign;
      ownFrames[i]! += bySealer.get(home.deviceId) ?? 0;
      const reasons = liveRejectedReasons(run.stderr);
      for (const reason of reasons) allReasons.add(reason);
      if (foreign > 0) {
        assert.equal(run.status, 3, `${home.stream}: ${run.stdout} ${run.stderr}`);
        assert.ok(reasons.length > 0, run.stderr);
      }
      const verified = Number(/^(\d+) verified frames written/m.exec(run.stdout)?.[1]);
      const out = join(dir, `live-${home.stream}-${attempt}`);
      const files = existsSync(out) ? readdirSync(out) : [];
      assert.equal(files.length, verified);
      assert.ok(
        verified <= (bySealer.get(home.deviceId) ?? 0),
        'no more frames written than own ones served',
      );
      for (const file of files) await assertOwnPicture(home, join(out, file));
      console.log(
        `mixup live ${home.stream}: served ${foreign} frames of the other camera; ${run.stdout.trim()} | ${run.stderr.trim().replace(/\n/g, ' | ')}`,
      );
    }
  }
  assert.ok(
    foreignFrames.every((n) => n > 0),
    `the other camera frames served to each home: ${foreignFrames} (own ${ownFrames})`,
  );
  // A frame of the other camera is named as such by its key id, not "no longer a recipient".
  assert.ok(allReasons.has('WRONG_STREAM'), `reasons given: ${[...allReasons]}`);
});
