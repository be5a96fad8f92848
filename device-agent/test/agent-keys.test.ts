import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ready, toBase64Url, toHex } from '@sealcam/protocol';
import { agentDir, agentStatus, pairViewer, startCli } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { TestViewer } from './support/test-viewer.js';

let relay: TestRelay;
before(async () => {
  await ready();
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function epochOf(dir: ReturnType<typeof agentDir>): number | null {
  return agentStatus(dir).status?.cameras[0]?.epoch ?? null;
}

test('epochs: a new one at every start and on schedule, chained for the viewer; no live or event key ever reaches the disk', async () => {
  const dir = agentDir(relay.base, { rotateKeysSeconds: 10 });
  const init = dir.cli(['init']);
  assert.equal(init.status, 0, init.stderr);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);
  const keys: Uint8Array[] = [];

  const first = startCli(dir, ['run']);
  let previous: { epoch: number; hash: Uint8Array } | undefined;
  let firstEpoch: number;
  try {
    await first.waitFor(/agent running/);
    firstEpoch = await until(() => epochOf(dir), 60_000, 'an epoch');
    const live = await viewer.watchLiveUntil('cam-1', (watch) => watch.frames.length > 0, 'a live frame');
    assert.deepEqual(live.rejected, []);
    keys.push(...live.epochKeys);
    previous = live.last;
    const event = await until(async () => (await viewer.listEvents())[0], 60_000, 'an event');
    keys.push((await viewer.openEvent(event.eventId)).contentKey);
  } finally {
    assert.equal(
      await first.stop(),
      0,
      `the first run stops cleanly (signal ${first.child.signalCode}): ${first.stderr.join('').slice(-2000)}`,
    );
  }

  const second = startCli(dir, ['run']);
  try {
    await second.waitFor(/agent running/);
    const restarted = await until(
      () => {
        const status = agentStatus(dir).status;
        return status !== undefined && status.pid === second.child.pid ? status.cameras[0]?.epoch : null;
      },
      60_000,
      'the restarted agent epoch',
    );
    assert.equal(
      restarted,
      firstEpoch + 1,
      'a restart starts the next epoch (a frame sealer is never resumed)',
    );
    // The viewer checks the chain: the new manifest must name the previous one's hash.
    const live = await viewer.watchLiveUntil('cam-1', (watch) => watch.frames.length > 0, 'a live frame', {
      previous,
    });
    assert.deepEqual(live.rejected, [], 'the restarted stream continues the manifest chain');
    keys.push(...live.epochKeys);
    const scheduled = await until(
      () => {
        const epoch = epochOf(dir);
        return epoch !== null && epoch > restarted ? epoch : null;
      },
      60_000,
      'a scheduled rotation (rotateKeysSeconds = 10)',
    );
    assert.equal(scheduled, restarted + 1);
    // The manifest of the scheduled epoch (or a later one) comes first to a new subscriber.
    const later = await viewer.watchLiveUntil('cam-1', (watch) => watch.manifests > 0, 'a manifest');
    keys.push(...later.epochKeys);
  } finally {
    assert.equal(
      await second.stop(),
      0,
      `the second run stops cleanly (signal ${second.child.signalCode}): ${second.stderr.join('').slice(-2000)}`,
    );
  }

  assert.ok(keys.length >= 3, `keys observed by the viewer: ${keys.length}`);
  for (const file of filesUnder(dir.stateDir)) {
    const bytes = readFileSync(file);
    const text = bytes.toString('latin1');
    for (const key of keys) {
      assert.equal(bytes.indexOf(Buffer.from(key)), -1, `${file} holds a content key`);
      assert.ok(
        !text.includes(toHex(key)) && !text.includes(toBase64Url(key)),
        `${file} holds an encoded content key`,
      );
    }
  }
});
