import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isJpeg } from './support/jpeg.js';
import { launchViewerCli } from './support/viewer-cli.js';
import {
  AGENT_CLI,
  createAgent,
  startRelay,
  type TestAgent,
  type TestRelay,
  until,
} from './support/world.js';

/** Sharing with the CLI: an owner and a second viewer (two state files), one real agent and relay. */
const children = new Set<ChildProcess>();

function launch(state: string, args: string[]) {
  const running = launchViewerCli(state, args);
  children.add(running.child);
  void running.done.finally(() => children.delete(running.child));
  return running;
}

const cli = (state: string, args: string[]) => launch(state, args).done;

let relay: TestRelay;
let agent: TestAgent;
let dir: string;
let owner: string;
let friend: string;
let deviceId: string;
let friendId: string;
let ownerId: string;

before(async () => {
  relay = await startRelay();
  agent = createAgent(relay.base);
  dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-sharing-'));
  owner = join(dir, 'owner.json');
  friend = join(dir, 'friend', 'viewer.json');
  const { link, done } = await agent.pairingCode();
  const paired = await cli(owner, ['pair', link, '--name', 'owner']);
  assert.equal(paired.status, 0, paired.stderr);
  assert.equal(await done, 0);
  deviceId = /camera id: +([a-z2-7]{26})/.exec(paired.stdout)?.[1] ?? '';
  ownerId = /id: +([a-z2-7]{26})/.exec((await cli(owner, ['verify'])).stdout)?.[1] ?? '';
  await agent.run();
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await agent?.stop();
  await relay?.stop();
});

/** What `sealcam-agent viewers` prints: viewer id -> safety number. */
function deviceSideViewers(): Map<string, string> {
  const run = spawnSync(process.execPath, [AGENT_CLI, '--state', agent.stateDir, 'viewers'], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const viewers = new Map<string, string>();
  for (const match of run.stdout.matchAll(/^([a-z2-7]{26}) .*\n {2}safety number: ([0-9 ]+)$/gm))
    viewers.set(match[1]!, match[2]!.trim());
  return viewers;
}

const listedViewers = async (state: string) =>
  JSON.parse((await cli(state, ['viewers', deviceId, '--json'])).stdout) as {
    viewerId: string;
    access: string;
    self: boolean;
  }[];

test('share-code, share, accept: the second viewer sees the camera, the access list names both', async () => {
  const code = await cli(friend, ['share-code']);
  assert.equal(code.status, 0, code.stderr);
  const shareCode = code.stdout.trim();
  assert.match(shareCode, /^SCV1-[A-Z2-7]+$/);
  friendId = /viewer id: ([a-z2-7]{26})/.exec(code.stderr)?.[1] ?? '';
  assert.ok(friendId);

  const own = await cli(owner, ['share', deviceId, (await cli(owner, ['share-code'])).stdout.trim()]);
  assert.equal(own.status, 2);
  assert.equal(own.stderr.trim(), "viewer: that is this viewer's own share code");

  const expires = new Date(Date.now() + 86_400_000).toISOString();
  const share = await cli(owner, ['share', deviceId, shareCode, '--expires', expires]);
  assert.equal(share.status, 0, share.stderr);
  const invite = share.stdout.trim();
  assert.match(invite, /^SCI1-[A-Z2-7]+$/);
  assert.match(share.stderr, new RegExp(`granted viewer ${friendId} access to .* until `));

  const accept = await cli(friend, ['accept', invite, '--camera-name', 'Shared cam', '--timeout', '30']);
  assert.equal(accept.status, 0, accept.stderr);
  assert.match(accept.stdout, /added camera "Shared cam"/);
  assert.match(accept.stdout, new RegExp(`camera id: +${deviceId}\\n`));
  assert.match(accept.stdout, /access: +viewer\n/);
  const safety = /safety number: ([0-9 ]+)\n/.exec(accept.stdout)?.[1]?.trim();
  assert.equal(
    safety,
    deviceSideViewers().get(friendId),
    'the same safety number as the device shows for it',
  );

  const cameras = JSON.parse((await cli(friend, ['cameras', '--json'])).stdout) as { access: string }[];
  assert.deepEqual(
    cameras.map((camera) => camera.access),
    ['viewer'],
  );

  const listed = await until(
    async () => {
      const viewers = await listedViewers(owner);
      return viewers.length === 2 ? viewers : null;
    },
    15_000,
    'the access list with both viewers',
  );
  assert.deepEqual(
    listed.map((v) => [v.viewerId, v.access, v.self]).sort(),
    [
      [ownerId, 'owner', true],
      [friendId, 'viewer', false],
    ].sort(),
  );
  const table = await cli(owner, ['viewers', deviceId]);
  assert.match(table.stdout, new RegExp(`^${ownerId} +owner +\\(this viewer\\)$`, 'm'));
  assert.match(table.stdout, new RegExp(`^${friendId} +viewer$`, 'm'));

  const notOwner = await cli(friend, ['share', deviceId, shareCode]);
  assert.equal(notOwner.status, 2);
  assert.match(notOwner.stderr, /^viewer: only the camera's owner can share it/);
  const notOwnerRevoke = await cli(friend, ['revoke', deviceId, ownerId]);
  assert.equal(notOwnerRevoke.status, 2);
  assert.match(notOwnerRevoke.stderr, /^viewer: only the camera's owner can revoke viewers/);

  const out = join(dir, 'friend-live');
  const live = await cli(friend, ['live', 'shared cam', 'cam-1', '--out', out, '--frames', '10']);
  assert.equal(live.status, 0, live.stderr);
  const files = readdirSync(out);
  assert.equal(files.length, 10);
  for (const file of files) assert.ok(isJpeg(readFileSync(join(out, file))));
});

test('revoke: the revoked viewer live view ends at once; afterwards it gets no frame and no event', async () => {
  const running = launch(friend, ['live', deviceId, 'cam-1', '--seconds', '40']);
  await until(() => /[1-9]\d* frames\/s/.test(running.stdout()), 15_000, 'frames before the revocation');

  const revoke = await cli(owner, ['revoke', deviceId, friendId]);
  assert.equal(revoke.status, 0, revoke.stderr);
  assert.match(revoke.stdout, new RegExp(`revocation of ${friendId} sent`));
  const revokedAt = Date.now();

  const ended = await running.done;
  assert.ok(Date.now() - revokedAt < 20_000, `ended ${Date.now() - revokedAt} ms after the revocation`);
  assert.match(ended.stdout, /^[1-9]\d* verified frames in /m, 'frames before the revocation were shown');
  // The relay tells the subscriber its grant was revoked. Manifests of the new key epoch, if one
  // arrived first, are not addressed to it: rejected as NOT_RECIPIENT, and then the exit code is 3.
  assert.match(ended.stderr, /^viewer: Your access to this camera was revoked\.$/m);
  const rejected = [...ended.stderr.matchAll(/^REJECTED \d+x: .* \(([A-Z_]+)\)$/gm)].map((m) => m[1]);
  assert.ok(
    rejected.every((reason) => reason === 'NOT_RECIPIENT'),
    ended.stderr,
  );
  assert.equal(ended.status, rejected.length > 0 ? 3 : 2, ended.stderr);
  console.log(`revoked during live: exit ${ended.status}, ${ended.stderr.trim().replace(/\n/g, ' | ')}`);

  await until(async () => (await listedViewers(owner)).length === 1, 15_000, 'the access list without it');
  assert.ok(!deviceSideViewers().has(friendId));

  const out = join(dir, 'after-revoke');
  const after = await cli(friend, ['live', deviceId, 'cam-1', '--out', out, '--seconds', '10']);
  assert.equal(after.status, 2);
  assert.match(after.stdout, /^0 verified frames written to /);
  assert.equal(after.stderr.trim(), 'viewer: The relay has no grant for you on this camera.');
  assert.ok(after.ms < 8_000, 'refused at once, not after --seconds');
  assert.ok(!existsSync(out), 'nothing written');

  const events = await cli(friend, ['events', deviceId]);
  assert.equal(events.status, 2);
  assert.equal(events.stderr.trim(), 'viewer: The relay has no grant for you on this camera.');

  const still = await cli(owner, [
    'live',
    deviceId,
    'cam-1',
    '--out',
    join(dir, 'owner-live'),
    '--frames',
    '5',
  ]);
  assert.equal(still.status, 0, still.stderr);
  assert.equal(readdirSync(join(dir, 'owner-live')).length, 5);
});
