import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ready, toBase64Url, toHex } from '@sealcam/protocol';
import { agentDir, agentStatus, pairViewer, startCli, until } from './support/agent-process.js';
import { startRelay, type TestRelay } from './support/relay.js';
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
  assert.equal(dir.cli(['init']).status, 0);
  const viewer = new TestViewer(relay.base);
  await pairViewer(dir, viewer);
  const keys: Uint8Array[] = [];

  const first = startCli(dir, ['run']);
  let previous: { epoch: number; hash: Uint8Array } | undefined;
  let firstEpoch: number;
  try {
    await first.waitFor(/agent running/);
    firstEpoch = await until(() => epochOf(dir), 10_000, 'an epoch');
    const live = await viewer.watchLive('cam-1', 1500);
    assert.deepEqual(live.rejected, []);
    keys.push(...live.epochKeys);
    previous = live.last;
    const event = await until(async () => (await viewer.listEvents())[0], 20_000, 'an event');
    keys.push((await viewer.openEvent(event.eventId)).contentKey);
  } finally {
    assert.equal(await first.stop(), 0);
  }

  const second = startCli(dir, ['run']);
  try {
    await second.waitFor(/agent running/);
    const restarted = await until(
      () => {
        const status = agentStatus(dir).status;
        return status !== undefined && status.pid === second.child.pid ? status.cameras[0]?.epoch : null;
      },
      10_000,
      'the restarted agent epoch',
    );
    assert.equal(
      restarted,
      firstEpoch + 1,
      'a restart starts the next epoch (a frame sealer is never resumed)',
    );
    // The viewer checks the chain: the new manifest must name the previous one's hash.
    const live = await viewer.watchLive('cam-1', 1500, previous);
    assert.deepEqual(live.rejected, [], 'the restarted stream continues the manifest chain');
    assert.ok(live.frames.length > 0);
    keys.push(...live.epochKeys);
    const scheduled = await until(
      () => {
        const epoch = epochOf(dir);
        return epoch !== null && epoch > restarted ? epoch : null;
      },
      20_000,
      'a scheduled rotation (rotateKeysSeconds = 10)',
    );
    assert.equal(scheduled, restarted + 1);
    const later = await viewer.watchLive('cam-1', 1000);
    keys.push(...later.epochKeys);
  } finally {
    assert.equal(await second.stop(), 0);
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
