import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ID_TEXT_SOURCE, ready, toBase64Url, toHex } from '@sealcam/protocol';
import { agentDir, agentStatus, pairViewer, startCli } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import sharp from 'sharp';
import { TestViewer } from './support/test-viewer.js';

let relay: TestRelay;
before(async () => {
  await ready();
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

test('init, pair, run: the paired viewer opens live frames and motion events; status reports it', async () => {
  const dir = agentDir(relay.base);
  const init = dir.cli(['init']);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, new RegExp(`device id: +${ID_TEXT_SOURCE}`));
  assert.equal(statSync(join(dir.stateDir, 'identity.key')).mode & 0o777, 0o600);
  assert.equal(statSync(dir.stateDir).mode & 0o777, 0o700);

  const viewer = new TestViewer(relay.base);
  const { agentSafetyNumber, viewerSafetyNumber } = await pairViewer(dir, viewer);
  assert.equal(agentSafetyNumber, viewerSafetyNumber, 'both sides show the same safety number');

  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/);
    const live = await viewer.watchLiveUntil('cam-1', (watch) => watch.frames.length >= 10, '10 live frames');
    assert.deepEqual(live.rejected, [], 'every live message opens');
    assert.ok(live.manifests >= 1, 'the manifest arrives first');
    const meta = await sharp(live.frames.at(-1)!).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, 320);

    const events = await until(
      async () => {
        const list = await viewer.listEvents();
        return list.length >= 1 ? list : null;
      },
      60_000,
      'a motion event at the relay',
    );
    const opened = await viewer.openEvent(events[0]!.eventId);
    assert.equal(opened.record.kind, 'motion');
    assert.equal(opened.record.streamId, await viewer.streamOf('cam-1'));
    assert.ok(opened.record.end >= opened.record.start);
    assert.ok(opened.record.score > 0 && opened.record.score <= 1);
    assert.equal((await sharp(opened.thumbnail!).metadata()).format, 'jpeg');
    assert.ok(opened.frames.length >= 3, `clip frames: ${opened.frames.length}`);
    assert.equal(opened.record.clip?.frames, opened.frames.length);
    for (const frame of opened.frames) assert.equal((await sharp(frame.image).metadata()).format, 'jpeg');

    const status = await until(
      () => {
        const s = agentStatus(dir);
        return s.status?.relay.state === 'connected' && s.status.outbox.uploaded >= 1 ? s : null;
      },
      60_000,
      'status: connected with an upload',
    );
    assert.equal(status.running, true);
    const text = dir.cli(['status']);
    assert.match(text.stdout, /agent: +running/);
    assert.match(text.stdout, /connection: +connected/);
    assert.match(text.stdout, /outbox: +\d+ events waiting/);
    // The local id for the owner at the gateway, and the opaque stream id the relay knows it by.
    assert.match(
      text.stdout,
      new RegExp(`camera cam-1 \\(synthetic, stream ${await viewer.streamOf('cam-1')}\\)`),
    );
  } finally {
    assert.equal(
      await run.stop(),
      0,
      `SIGTERM stops the agent cleanly (signal ${run.child.signalCode}): ${run.stderr.join('').slice(-2000)}`,
    );
  }

  // No key ever appears in anything the agent printed or wrote besides the identity file.
  const identity = readFileSync(join(dir.stateDir, 'identity.key'));
  const secrets = [identity.subarray(3, 35), identity.subarray(35, 67)];
  const printed = [
    run.stdout.join(''),
    run.stderr.join(''),
    readFileSync(join(dir.stateDir, 'status.json'), 'utf8'),
  ];
  for (const secret of secrets)
    for (const text of printed) {
      assert.ok(!text.includes(toHex(secret)), 'no secret key in hex');
      assert.ok(!text.includes(toBase64Url(secret)), 'no secret key in base64url');
      assert.ok(!text.includes(Buffer.from(secret).toString('base64')), 'no secret key in base64');
    }
});
