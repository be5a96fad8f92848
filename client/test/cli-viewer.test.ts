import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatId, fromBase64Url, ID_TEXT_SOURCE, importIdentity } from '@sealcam/protocol';
import { createAgent, streamIdOf, type TestAgent } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { isJpeg } from './support/jpeg.js';
import { assertNoPrivateKey } from './support/private-key.js';
import { redirectedViewerState, startRelayFront } from './support/relay-front.js';
import { type CliRun, launchViewerCli, runViewerCli } from './support/viewer-cli.js';

/** The viewer CLI as its owner uses it, against a real relay and a real device agent (child processes). */
const outputs: CliRun[] = [];

async function cli(state: string, args: string[], timeoutMs?: number): Promise<CliRun> {
  const run = await runViewerCli(state, args, timeoutMs);
  outputs.push(run);
  return run;
}

let relay: TestRelay;
let agent: TestAgent;
let dir: string;
let state: string;
let deviceId: string;

before(async () => {
  relay = await startRelay();
  agent = createAgent(relay.base);
  dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-viewer-'));
  state = join(dir, 'viewer.json');
});
after(async () => {
  await agent?.stop();
  await relay?.stop();
});

test('pair with a device that does not answer: one line, exit 2, nothing paired', async () => {
  // Another device, whose pairing is stopped before the viewer answers.
  const silent = createAgent(relay.base);
  const { code, done } = await silent.pairingCode();
  await silent.stop(); // the device no longer waits for this code
  await done;
  const timedOut = await cli(state, ['pair', code, '--timeout', '2']);
  assert.equal(timedOut.status, 2, timedOut.stderr);
  assert.equal(
    timedOut.stderr.trim(),
    'viewer: the camera did not answer within 2 s: is "sealcam-agent pair" still showing this code?',
  );
  assert.match((await cli(state, ['cameras'])).stdout, /no cameras yet/);
});

test('pair: prints the camera id, owner access and the safety number the device printed', async () => {
  const { code, done } = await agent.pairingCode();
  const paired = await cli(state, ['pair', code, '--name', 'cli test', '--camera-name', 'Front door']);
  assert.equal(paired.status, 0, paired.stderr);
  assert.equal(await done, 0);
  deviceId = new RegExp(String.raw`camera id: +(${ID_TEXT_SOURCE})\n`).exec(paired.stdout)?.[1] ?? '';
  assert.ok(deviceId, paired.stdout);
  assert.match(paired.stdout, /paired with camera "Front door"/);
  assert.match(paired.stdout, /access: +owner\n/);
  assert.match(paired.stdout, /compare it with the safety number the device shows/);
  const printed = /safety number: ([0-9 ]+)\n/.exec(paired.stdout)?.[1]?.trim();
  const devicePrinted = /safety number: ([0-9 ]+)\n/.exec(agent.output.join(''))?.[1]?.trim();
  assert.match(printed ?? '', /^(\d{5} ){11}\d{5}$/);
  assert.equal(printed, devicePrinted, 'the viewer and the device show the same safety number');
  assert.match(agent.output.join(''), /paired with "cli test" as owner/);
  await agent.run();
});

test('cameras and verify: the paired camera, its relay, the safety number grouped for reading aloud', async () => {
  const table = await cli(state, ['cameras']);
  assert.equal(table.status, 0, table.stderr);
  const [header, row, ...rest] = table.stdout.trim().split('\n');
  assert.match(header ?? '', /^CAMERA ID +NAME +ACCESS +RELAY +PAIRED$/);
  // Under the gateway, its one camera: its opaque stream id and the name the device sealed for it.
  assert.deepEqual(rest, [`  ${await streamIdOf(agent.stateDir, 'cam-1')}    cam-1`]);
  assert.match(
    row ?? '',
    new RegExp(`^${deviceId} +Front door +owner +${relay.base} +\\d{4}-\\d\\d-\\d\\d \\S+ UTC$`),
  );

  const json = JSON.parse((await cli(state, ['cameras', '--json'])).stdout) as {
    deviceId: string;
    access: string;
    relayUrl: string;
    pairedAt: number;
    safetyNumber: string;
  }[];
  assert.equal(json.length, 1);
  assert.equal(json[0]?.deviceId, deviceId);
  assert.equal(json[0]?.access, 'owner');
  assert.equal(json[0]?.relayUrl, relay.base);
  assert.ok(Math.abs(Date.now() - (json[0]?.pairedAt ?? 0)) < 120_000);

  // By name, the same camera; the safety number in three lines of four groups.
  const verify = await cli(state, ['verify', 'front door']);
  assert.equal(verify.status, 0, verify.stderr);
  assert.match(
    verify.stdout,
    new RegExp(String.raw`this viewer\n {2}id: +${ID_TEXT_SOURCE}\n {2}fingerprint: `),
  );
  assert.match(verify.stdout, new RegExp(`camera "Front door" \\(owner\\)\\n {2}id: +${deviceId}`));
  const lines = /safety number: (.*)\n +(.*)\n +(.*)\n/.exec(verify.stdout);
  assert.ok(lines, verify.stdout);
  const groups = lines.slice(1, 4).map((line) => line.trim().split(/\s+/));
  assert.ok(groups.every((group) => group.length === 4));
  assert.equal(groups.flat().join(' '), json[0]?.safetyNumber);
});

test('live --out: writes exactly --frames verified JPEGs; without --out: stats every second', async () => {
  const out = join(dir, 'live');
  const live = await cli(state, [
    'live',
    deviceId,
    'cam-1',
    '--out',
    out,
    '--frames',
    '15',
    '--seconds',
    '120',
  ]);
  assert.equal(live.status, 0, live.stderr);
  // A freshness line only when some frames were not live (typically the relay's cached keyframe of a
  // camera nobody watched, a few seconds old); some were live, or the exit would be 3.
  assert.match(
    live.stdout,
    new RegExp(
      `^15 verified frames written to ${out} in .*rejected 0\\n(freshness: live [1-9]\\d*, [^\\n]*\\n)?$`,
    ),
  );
  const files = readdirSync(out).sort();
  assert.equal(files.length, 15);
  assert.match(files[0] ?? '', /^frame-000001-e\d+-c\d+\.jpg$/);
  for (const file of files) assert.ok(isJpeg(readFileSync(join(out, file))), `${file} is a JPEG`);

  // Stats lines, in order, each with the count so far; how many frames a second arrive depends on
  // the machine (a benchmark question), so only "some, all verified" is checked.
  const stats = await cli(state, ['live', deviceId, 'cam-1', '--seconds', '5']);
  assert.equal(stats.status, 0, stats.stderr);
  const perSecond = stats.stdout.split('\n').filter((line) => /^ +\d+s +\d+ frames\/s/.test(line));
  assert.ok(perSecond.length >= 2, stats.stdout);
  assert.match(perSecond.at(-1) ?? '', /\d+ frames +[\d.]+ (B|KiB|MiB) +epoch \d+ +rejected 0$/);
  const stamps = perSecond.map((line) => Number(/^ +(\d+)s/.exec(line)?.[1]));
  const counts = perSecond.map((line) => Number(/(\d+) frames +[\d.]+ (B|KiB|MiB)/.exec(line)?.[1]));
  for (let i = 1; i < perSecond.length; i++) {
    assert.ok(stamps[i]! > stamps[i - 1]!, `stats lines in time order: ${stats.stdout}`);
    assert.ok(counts[i]! >= counts[i - 1]!, `frame counts only grow: ${stats.stdout}`);
  }
  const summary = /(\d+) verified frames in ([\d.]+) s/.exec(stats.stdout);
  assert.ok(summary, stats.stdout);
  const total = Number(summary[1]);
  assert.ok(Number(summary[2]) >= 5, `stopped after --seconds 5: ${stats.stdout}`);
  assert.ok(total > 0 && total >= counts.at(-1)!, `verified frames: ${stats.stdout}`);

  // Ctrl-C: stops at once with the summary, exit 0.
  const running = launchViewerCli(state, ['live', deviceId, 'cam-1', '--seconds', '100']);
  const { child } = running;
  const exited = running.done.then((run) => run.status);
  try {
    // A few frames in (and so some live ones: Ctrl-C with none live would be exit 3, NOT LIVE).
    await until(
      () =>
        Number([...running.stdout().matchAll(/ (\d+) frames +[\d.]+ (B|KiB|MiB)/g)].at(-1)?.[1] ?? 0) >= 5,
      60_000,
      'a stats line with five frames',
    );
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    outputs.push(await running.done);
    // "interrupted": Ctrl-C ended it, not --seconds (which is far off: a loose bound suffices).
    assert.match(running.stdout(), /^\d+ verified frames in [\d.]+ s .*rejected 0, interrupted$/m);
    assert.ok(Date.now() - interruptedAt < 60_000, 'it stopped on Ctrl-C, long before --seconds 100');
  } finally {
    child.kill('SIGKILL');
  }

  // A camera the device does not name: refused before subscribing, with what to do.
  const wrongStream = await cli(state, ['live', deviceId, 'no-such-stream', '--seconds', '2']);
  assert.equal(wrongStream.status, 2);
  assert.match(
    wrongStream.stderr,
    /no camera called "no-such-stream" on \S+ \(see "sealcam-viewer cameras"\)/,
  );
});

test('events: listing with cursor and time range, --open verifies each record', async () => {
  type Listing = { events: { eventId: string; streamId: string; time: number }[]; next: string | null };
  const listing = await until(
    async () => {
      const run = await cli(state, ['events', deviceId, '--json']);
      const parsed = JSON.parse(run.stdout) as Listing;
      return parsed.events.length >= 2 ? parsed : null;
    },
    120_000,
    'two events',
  );
  const [first, second] = listing.events;
  assert.ok(first && second);
  const stream = await streamIdOf(agent.stateDir, 'cam-1');
  assert.equal(first.streamId, stream, 'the relay lists the opaque stream id');

  const page = await cli(state, ['events', deviceId, '--limit', '1']);
  assert.equal(page.status, 0, page.stderr);
  const [line, next] = page.stdout.trim().split('\n');
  assert.match(line ?? '', new RegExp(`^\\d{4}-\\S+ \\S+ UTC  ${stream}  ${first.eventId}$`));
  const cursor = /^next: (\S+)$/.exec(next ?? '')?.[1];
  assert.ok(cursor, page.stdout);
  const following = await cli(state, ['events', deviceId, '--limit', '1', '--after', cursor, '--json']);
  assert.equal((JSON.parse(following.stdout) as Listing).events[0]?.eventId, second.eventId);

  const all = JSON.parse(
    (await cli(state, ['events', deviceId, '--limit', '1', '--all', '--json'])).stdout,
  ) as Listing;
  assert.ok(all.events.length >= 2);
  assert.equal(all.next, null);
  assert.equal(new Set(all.events.map((event) => event.eventId)).size, all.events.length);

  const ranged = JSON.parse(
    (
      await cli(state, [
        'events',
        deviceId,
        '--from',
        new Date(second.time).toISOString(),
        '--to',
        String(second.time),
        '--json',
      ])
    ).stdout,
  ) as Listing;
  assert.deepEqual(
    ranged.events.map((event) => event.eventId),
    [second.eventId],
  );

  const opened = await cli(state, ['events', deviceId, '--open']);
  assert.equal(opened.status, 0, opened.stderr);
  const rows = opened.stdout.trim().split('\n');
  assert.match(rows.at(-1) ?? '', /^next: none/);
  for (const row of rows.slice(0, -1))
    assert.match(
      row,
      new RegExp(
        ` {2}cam-1 {2}${ID_TEXT_SOURCE} {2}OK {2}\\S+ \\S+ UTC to \\S+ \\S+ UTC {2}score \\d\\.\\d\\d {2}thumbnail [\\d.]+ KiB {2}clip \\d+ frames [\\d.]+ KiB$`,
      ),
    );
});

test('events --open: OK rows carry the sealed record time and stream, not the relay listing; an event the relay invented is UNAVAILABLE, exit 3', async () => {
  const viewerState = JSON.parse(readFileSync(state, 'utf8')) as { identity: string };
  const invented = formatId(new Uint8Array(16).fill(7));
  // The relay lies in its listing: another stream name and time for a real event, and an event that
  // does not exist.
  const front = await startRelayFront(relay.base, importIdentity(fromBase64Url(viewerState.identity)), {
    answer: (path, bytes) => {
      if (!/\/events(\?|$)/.test(path)) return undefined;
      const listing = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
        events: { eventId: string; streamId: string; time: number; bytes: number }[];
      };
      const [first] = listing.events;
      if (first) Object.assign(first, { streamId: 'relay-lie', time: 1000 });
      listing.events.push({ eventId: invented, streamId: 'cam-1', time: Date.now(), bytes: 100 });
      return Buffer.from(JSON.stringify(listing));
    },
  });
  try {
    const lied = redirectedViewerState(state, front.base);
    const json = await cli(lied, ['events', deviceId, '--open', '--json']);
    assert.equal(json.status, 3, json.stderr);
    type Row = {
      eventId: string;
      status: string;
      streamId?: string;
      time?: number;
      reason?: string;
      listed: { streamId: string; time: number };
    };
    const rows = (JSON.parse(json.stdout) as { events: Row[] }).events;
    const first = rows[0]!;
    assert.equal(first.status, 'ok');
    assert.equal(
      first.streamId,
      await streamIdOf(agent.stateDir, 'cam-1'),
      'the stream the camera sealed, not the listing',
    );
    assert.equal(
      first.time,
      (first as Row & { record: { start: number } }).record.start,
      'the time the camera sealed',
    );
    assert.deepEqual([first.listed.streamId, first.listed.time], ['relay-lie', 1000]);
    const fake = rows.find((row) => row.eventId === invented)!;
    assert.deepEqual(
      [fake.status, fake.reason, fake.streamId, fake.time],
      ['unavailable', 'RELAY_ERROR', undefined, undefined],
    );

    const text = await cli(lied, ['events', deviceId, '--open']);
    assert.equal(text.status, 3);
    assert.doesNotMatch(text.stdout, /relay-lie {2}/, 'the lie is never a row heading');
    assert.match(text.stdout, new RegExp(`^\\S+ \\S+ UTC {2}cam-1 {2}${first.eventId} {2}OK `, 'm'));
    assert.match(
      text.stdout,
      new RegExp(
        `^${invented} {2}UNAVAILABLE: .+ \\(RELAY_ERROR\\); listed by the relay as .+, not verified$`,
        'm',
      ),
    );
  } finally {
    await front.close();
  }
});

test('get: verified thumbnail JPEG and clip frames written, record printed; unknown event writes nothing', async () => {
  const listing = JSON.parse((await cli(state, ['events', deviceId, '--json'])).stdout) as {
    events: { eventId: string }[];
  };
  const eventId = listing.events[0]?.eventId ?? '';
  const thumbnail = join(dir, 'thumbnail.jpg');
  const clip = join(dir, 'clip');
  const get = await cli(state, [
    'get',
    deviceId,
    eventId,
    '--thumbnail',
    thumbnail,
    '--clip',
    clip,
    '--record',
  ]);
  assert.equal(get.status, 0, get.stderr);
  const view = JSON.parse(get.stdout) as {
    eventId: string;
    streamId: string;
    record: { start: number; end: number; thumbnail: { bytes: number }; clip: { frames: number } };
  };
  assert.equal(view.eventId, eventId);
  assert.equal(view.streamId, await streamIdOf(agent.stateDir, 'cam-1'));
  const image = readFileSync(thumbnail);
  assert.ok(isJpeg(image), 'the thumbnail is a JPEG');
  assert.equal(image.length, view.record.thumbnail.bytes);
  assert.match(get.stderr, /thumbnail: .*thumbnail\.jpg \([\d.]+ KiB\)/);

  const frames = readdirSync(clip).sort();
  assert.equal(frames.length, view.record.clip.frames);
  assert.match(get.stderr, new RegExp(`clip: ${frames.length} frames in `));
  let previous = 0;
  for (const [index, file] of frames.entries()) {
    const match = /^frame-(\d{4})-(\d{13})\.jpg$/.exec(file);
    assert.ok(match, file);
    assert.equal(Number(match[1]), index + 1);
    const capturedAt = Number(match[2]);
    assert.ok(capturedAt >= previous, 'frames in capture order');
    assert.ok(capturedAt >= view.record.start - 5_000 && capturedAt <= view.record.end + 5_000, file);
    previous = capturedAt;
    assert.ok(isJpeg(readFileSync(join(clip, file))), `${file} is a JPEG`);
  }

  // Without output options: the record only.
  const recordOnly = await cli(state, ['get', deviceId, eventId]);
  assert.equal(recordOnly.status, 0, recordOnly.stderr);
  assert.equal((JSON.parse(recordOnly.stdout) as { eventId: string }).eventId, eventId);

  const missing = join(dir, 'missing');
  const unknown = await cli(state, [
    'get',
    deviceId,
    'aaaaaaaaaaaaaaaaaaaaaaaaaa',
    '--thumbnail',
    join(missing, 't.jpg'),
    '--clip',
    missing,
  ]);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr.trim(), 'viewer: The relay refused the request.');
  assert.ok(!existsSync(missing), 'nothing written');
});

test('delete: the owner deletes an event by id (then it is not found), and with --before and --yes every older event; the listing keeps the rest', async () => {
  type Listing = { events: { eventId: string; time: number }[] };
  const listed = async () =>
    (JSON.parse((await cli(state, ['events', deviceId, '--all', '--json'])).stdout) as Listing).events;
  const events = await until(
    async () => ((await listed()).length >= 3 ? listed() : null),
    120_000,
    'three events',
  );
  const [first, second, third] = events;
  assert.ok(first && second && third);

  const one = await cli(state, ['delete', deviceId, first.eventId]);
  assert.equal(one.status, 0, one.stderr);
  assert.equal(one.stdout.trim(), `deleted    ${first.eventId}`);
  assert.ok(!(await listed()).some((event) => event.eventId === first.eventId), 'gone from the listing');
  const again = await cli(state, ['delete', deviceId, first.eventId]);
  assert.match(again.stdout, /^not found {2}\S+ \(deleted already, or expired\)$/m);

  const unconfirmed = await cli(state, ['delete', deviceId, '--before', String(third.time)]);
  assert.equal(unconfirmed.status, 1);
  assert.match(unconfirmed.stderr, /add --yes to confirm/);
  assert.equal(
    (await cli(state, ['delete', deviceId, first.eventId, '--before', '1'])).status,
    1,
    'ids or --before',
  );

  const older = await cli(state, ['delete', deviceId, '--before', String(third.time), '--yes']);
  assert.equal(older.status, 0, older.stderr);
  assert.match(older.stdout, /^deleted [1-9]\d* events before /);
  const left = await listed();
  assert.ok(
    left.every((event) => event.time >= third.time),
    'nothing older is left',
  );
  assert.ok(
    left.some((event) => event.eventId === third.eventId),
    'the later event stays',
  );
});

test('rename: the owner renames a camera and the gateway on the device; the CLI then finds the camera by its new name', async () => {
  const camera = await cli(state, ['rename', deviceId, 'Porch', '--camera', 'cam-1']);
  assert.equal(camera.status, 0, camera.stderr);
  assert.match(camera.stdout, new RegExp(`^renamed: the device now names ${ID_TEXT_SOURCE} "Porch"$`, 'm'));
  const gateway = await cli(state, ['rename', deviceId, 'Lake house']);
  assert.equal(gateway.status, 0, gateway.stderr);
  const [listed] = JSON.parse((await cli(state, ['cameras', '--json'])).stdout) as {
    gatewayName: string;
    cameras: { streamId: string; name: string }[];
  }[];
  assert.equal(listed?.gatewayName, 'Lake house');
  assert.deepEqual(listed?.cameras, [{ streamId: await streamIdOf(agent.stateDir, 'cam-1'), name: 'Porch' }]);
  const live = await cli(state, ['live', deviceId, 'porch', '--frames', '10', '--seconds', '120']);
  assert.equal(live.status, 0, `found by its new name, case aside: ${live.stderr}`);
  const bad = await cli(state, ['rename', deviceId, 'tab\there', '--camera', 'Porch']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /That name cannot be used/);
  outputs.push(camera, gateway, live);
});

test('no output of any command holds the private key', async () => {
  assert.ok(outputs.length > 10);
  await assertNoPrivateKey(
    state,
    outputs.map((run) => `${run.stdout}${run.stderr}`),
  );
});
