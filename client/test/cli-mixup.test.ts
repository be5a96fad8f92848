import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isJpeg } from './support/jpeg.js';
import { runViewerCli } from './support/viewer-cli.js';
import {
  createAgent,
  startRelay,
  type TestAgent,
  type TestRelay,
  testCamera,
  until,
} from './support/world.js';

/**
 * A relay whose fault seam misroutes every lookup and every live frame (rate 1) between two homes,
 * each with its own camera ("cam-a", "cam-b") and its own viewer. Whatever the relay serves, the CLI
 * writes only its own camera's verified content; anything else is REJECTED (exit 3) with nothing
 * written. The seam is random per lookup (a leftover reply, or a recent answer of another lookup,
 * which may by chance be the right one), so outcomes are checked run by run over a bounded loop.
 */
const cli = runViewerCli;

interface Home {
  readonly agent: TestAgent;
  readonly state: string;
  readonly stream: string;
  deviceId: string;
}

let relay: TestRelay;
let dir: string;
const homes: Home[] = [];

before(async () => {
  relay = await startRelay({ SEALCAM_FAULT_INJECTION: 'mixup', SEALCAM_FAULT_RATE: '1' });
  dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-mixup-'));
  for (const stream of ['cam-a', 'cam-b']) {
    const home: Home = {
      agent: createAgent(relay.base, [testCamera(stream)]),
      state: join(dir, `${stream}.json`),
      stream,
      deviceId: '',
    };
    homes.push(home);
    const { code, done } = await home.agent.pairingCode();
    const paired = await cli(home.state, ['pair', code]);
    assert.equal(paired.status, 0, paired.stderr);
    assert.equal(await done, 0);
    home.deviceId = /camera id: +([a-z2-7]{26})/.exec(paired.stdout)?.[1] ?? '';
    await home.agent.run();
  }
});
after(async () => {
  for (const home of homes) await home.agent.stop();
  await relay?.stop();
});

/** Event ids as the (misrouting) relay lists them: each home's own and the other's, mixed. */
async function listedEventIds(): Promise<string[]> {
  const ids = new Set<string>();
  for (const home of homes) {
    const run = await cli(home.state, ['events', home.deviceId, '--json']);
    if (run.status !== 0) continue;
    for (const event of (JSON.parse(run.stdout) as { events: { eventId: string }[] }).events)
      ids.add(event.eventId);
  }
  return [...ids];
}

test('get on a mixed-up relay: own verified content, or REJECTED with nothing written — never a foreign image', async () => {
  const ids = await until(
    async () => {
      const listed = await listedEventIds();
      return listed.length >= 3 ? listed : null;
    },
    40_000,
    'events from both homes',
  );
  const outcomes = { verified: 0, rejected: new Map<string, number>(), refused: 0 };
  let index = 0;
  for (let round = 0; round < 2; round++) {
    for (const home of homes) {
      for (const eventId of ids.slice(0, 3)) {
        const out = join(dir, `get-${index++}`);
        const run = await cli(home.state, [
          'get',
          home.deviceId,
          eventId,
          '--thumbnail',
          join(out, 'thumbnail.jpg'),
          '--clip',
          join(out, 'clip'),
          '--record',
        ]);
        if (run.status === 0) {
          const view = JSON.parse(run.stdout) as {
            eventId: string;
            streamId: string;
            record: { streamId: string };
          };
          assert.equal(view.eventId, eventId);
          assert.equal(view.record.streamId, home.stream, 'a written event is always from the own camera');
          assert.ok(isJpeg(readFileSync(join(out, 'thumbnail.jpg'))));
          const frames = readdirSync(join(out, 'clip'));
          assert.ok(frames.length > 0);
          for (const frame of frames) assert.ok(isJpeg(readFileSync(join(out, 'clip', frame))));
          outcomes.verified++;
          continue;
        }
        assert.ok(!existsSync(out), `nothing written after exit ${run.status}: ${run.stderr}`);
        assert.equal(run.stdout, '', 'no record printed');
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
        if (run.status === 3) {
          const reason = /^REJECTED: .+ \(([A-Z_]+)\)$/.exec(run.stderr.trim())?.[1];
          assert.ok(reason, run.stderr);
          outcomes.rejected.set(reason, (outcomes.rejected.get(reason) ?? 0) + 1);
        } else {
          // A misrouted "not found" (the seam hands over another lookup's empty answer): the relay's refusal.
          assert.equal(run.status, 2, run.stderr);
          assert.equal(run.stderr.trim(), 'viewer: The relay refused the request.');
          outcomes.refused++;
        }
      }
    }
  }
  console.log(
    `mixup get: ${JSON.stringify({ ...outcomes, rejected: Object.fromEntries(outcomes.rejected) })}`,
  );
  assert.ok(outcomes.rejected.size > 0, 'the mixed-up relay did misdeliver, and it was refused');
});

test('events --open on a mixed-up relay: OK rows are the own camera, others REJECTED, exit 3', async () => {
  let rejected = 0;
  // The relay misroutes at random: a bounded number of rounds until a misrouted record was listed.
  for (let round = 0; round < 10 && rejected === 0; round++)
    for (const home of homes) {
      const run = await cli(home.state, ['events', home.deviceId, '--open', '--json']);
      if (run.status === 2) {
        assert.equal(run.stderr.trim(), 'viewer: The relay refused the request.');
        continue;
      }
      const rows = (
        JSON.parse(run.stdout) as {
          events: { status: string; reason?: string; record?: { streamId: string } }[];
        }
      ).events;
      for (const row of rows) {
        if (row.status === 'ok') assert.equal(row.record?.streamId, home.stream);
        else
          assert.ok(
            row.status === 'rejected' || (row.status === 'unavailable' && row.reason === 'RELAY_ERROR'),
          );
      }
      const bad = rows.filter((row) => row.status === 'rejected').length;
      assert.equal(run.status, bad > 0 ? 3 : 0);
      rejected += bad;
    }
  assert.ok(rejected > 0, 'misrouted records were listed and rejected');
});

test('live on a mixed-up relay: the other camera frames are rejected by reason, only own frames written', async () => {
  const runs = await Promise.all(
    homes.map((home) =>
      cli(home.state, [
        'live',
        home.deviceId,
        home.stream,
        '--out',
        join(dir, `live-${home.stream}`),
        '--seconds',
        '4',
      ]),
    ),
  );
  for (const [i, run] of runs.entries()) {
    const home = homes[i]!;
    assert.equal(run.status, 3, `${home.stream}: ${run.stdout} ${run.stderr}`);
    const reasons = [...run.stderr.matchAll(/^REJECTED (\d+)x: .+ \(([A-Z_]+)\)$/gm)];
    assert.ok(reasons.length > 0, run.stderr);
    for (const [, , reason] of reasons)
      assert.ok(
        !['NO_GRANT', 'REVOKED', 'RELAY_ERROR', 'UNREACHABLE', 'NOT_PAIRED'].includes(reason!),
        reason,
      );
    const verified = Number(/^(\d+) verified frames written/m.exec(run.stdout)?.[1]);
    const out = join(dir, `live-${home.stream}`);
    const files = existsSync(out) ? readdirSync(out) : [];
    assert.equal(files.length, verified);
    for (const file of files) assert.ok(isJpeg(readFileSync(join(out, file))));
    console.log(
      `mixup live ${home.stream}: ${run.stdout.trim()} | ${run.stderr.trim().replace(/\n/g, ' | ')}`,
    );
  }
});
