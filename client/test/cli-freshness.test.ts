import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fromBase64Url, ID_TEXT_SOURCE, importIdentity, ready } from '@sealcam/protocol';
import { createAgent, streamIdOf, type TestAgent } from '@sealcam/testkit/agent';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { type RelayFront, redirectedViewerState, startRelayFront } from './support/relay-front.js';
import { launchViewerCli } from './support/viewer-cli.js';

/**
 * Live means now (PROTOCOL.md §6.8), end to end: a real agent and relay, the viewer CLI, and a
 * hostile relay front that replays video it recorded earlier into a new `live` session, or drops the
 * viewer's clock questions. Recorded frames only get older; whether the first clock answer comes
 * before the held frames are released (delayed) or after (unconfirmed), none of them is live.
 */
const children = new Set<ChildProcess>();
const cli = (state: string, args: string[]) => {
  const running = launchViewerCli(state, args, 180_000);
  children.add(running.child);
  void running.done.finally(() => children.delete(running.child));
  return running.done;
};

let relay: TestRelay;
let agent: TestAgent;
const fronts: RelayFront[] = [];
let owner: string;
let deviceId: string;

before(async () => {
  await ready();
  relay = await startRelay();
  agent = createAgent(relay.base);
  owner = join(mkdtempSync(join(tmpdir(), 'sealcam-cli-freshness-')), 'owner.json');
  const { link, done } = await agent.pairingCode();
  const paired = await cli(owner, ['pair', link, '--name', 'owner']);
  assert.equal(paired.status, 0, paired.stderr);
  assert.equal(await done, 0);
  deviceId = new RegExp(`camera id: +(${ID_TEXT_SOURCE})`).exec(paired.stdout)?.[1] ?? '';
  await agent.run();
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const front of fronts) await front.close();
  await agent?.stop();
  await relay?.stop();
});

/** The owner's own identity behind a front: the relay serves it as itself. */
async function front(options: Parameters<typeof startRelayFront>[2] = {}) {
  const state = JSON.parse(readFileSync(owner, 'utf8')) as { identity: string };
  const started = await startRelayFront(relay.base, importIdentity(fromBase64Url(state.identity)), options);
  fronts.push(started);
  return { front: started, state: redirectedViewerState(owner, started.base) };
}

test('a relay replaying video it recorded seconds earlier into a new live session: every frame verifies, none is shown as live, exit 3; the same viewer then sees live video, and a second replay of frames it has seen opens nothing', async () => {
  const { front: replaying, state } = await front();
  const recorded = await replaying.recordLive(deviceId, await streamIdOf(agent.stateDir, 'cam-1'), 2000);
  assert.ok(recorded.length >= 5, `the front recorded ${recorded.length} frames`);
  // Older than the live bound (3 s) by the time they are served: waiting only makes them older.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  replaying.replayLive(recorded);
  const replayed = await cli(state, ['live', deviceId, 'cam-1', '--frames', '5', '--seconds', '120']);
  assert.equal(replayed.status, 3, replayed.stderr);
  assert.match(replayed.stdout, /^5 verified frames/m, 'the recorded frames are genuine: they verify');
  assert.match(replayed.stdout, /freshness: live 0, /);
  assert.match(replayed.stderr, /NOT LIVE/);
  const oldest = /delayed \d+ \(older than 3 s, up to (\d+\.\d) s\)/.exec(replayed.stdout)?.[1];
  if (oldest !== undefined) assert.ok(Number(oldest) >= 4, `the replayed frames were ${oldest} s old`);
  else assert.match(replayed.stdout, /unconfirmed 5/);

  replaying.replayLive(null);
  // Enough frames that some reach the viewer after its first clock answer, whatever the load.
  const honest = await cli(state, ['live', deviceId, 'cam-1', '--frames', '60', '--seconds', '180']);
  assert.equal(honest.status, 0, honest.stderr);
  assert.doesNotMatch(honest.stderr, /NOT LIVE/);

  // The viewer saved the highest counter it opened: the same recording, served again, is refused
  // as already seen (replay protection across sessions), so nothing arrives at all.
  replaying.replayLive(recorded);
  const again = await cli(state, ['live', deviceId, 'cam-1', '--frames', '1', '--seconds', '4']);
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stderr, /no verified frame arrived/);
});

test('a relay that drops the viewer clock questions: frames verify but are never called live, exit 3', async () => {
  const { state } = await front({ dropControl: (message) => message.op === 'clock' });
  const run = await cli(state, ['live', deviceId, 'cam-1', '--frames', '5', '--seconds', '120']);
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stdout, /freshness: live 0, unconfirmed 5 \(not placed in time\)/);
  assert.match(run.stderr, /NOT LIVE: the camera's clock could not be confirmed/);
});
