import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  formatId,
  fromBase64Url,
  ID_TEXT_SOURCE,
  importIdentity,
  parseCard,
  ready,
  verifyEventEnvelope,
} from '@sealcam/protocol';
import { CLI as AGENT_CLI, createAgent, type TestAgent } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { startRelay, type TestRelay } from '@sealcam/testkit/relay';
import { isJpeg } from './support/jpeg.js';
import {
  assertOnlyNewEpochsServed,
  type RelayFront,
  redirectedViewerState,
  startRelayFront,
} from './support/relay-front.js';
import { type CliRun, launchViewerCli } from './support/viewer-cli.js';

/** Sharing with the CLI: an owner and a second viewer (two state files), one real agent and relay. */
const children = new Set<ChildProcess>();

function launch(state: string, args: string[], timeoutMs = 180_000) {
  const running = launchViewerCli(state, args, timeoutMs);
  children.add(running.child);
  void running.done.finally(() => children.delete(running.child));
  return running;
}

const cli = (state: string, args: string[]) => launch(state, args).done;

let relay: TestRelay;
let front: RelayFront | undefined;
let agent: TestAgent;
let dir: string;
let owner: string;
let friend: string;
let deviceId: string;
let friendId: string;
let ownerId: string;
/** The camera's signed access list from before the friend was added (the owner alone). */
let listBeforeFriend: Uint8Array;

before(async () => {
  await ready();
  relay = await startRelay();
  agent = createAgent(relay.base);
  dir = mkdtempSync(join(tmpdir(), 'sealcam-cli-sharing-'));
  owner = join(dir, 'owner.json');
  friend = join(dir, 'friend', 'viewer.json');
  const { link, done } = await agent.pairingCode();
  const paired = await cli(owner, ['pair', link, '--name', 'owner']);
  assert.equal(paired.status, 0, paired.stderr);
  assert.equal(await done, 0);
  deviceId = new RegExp(`camera id: +(${ID_TEXT_SOURCE})`).exec(paired.stdout)?.[1] ?? '';
  ownerId = new RegExp(`id: +(${ID_TEXT_SOURCE})`).exec((await cli(owner, ['verify'])).stdout)?.[1] ?? '';
  await agent.run();
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await front?.close();
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
  for (const match of run.stdout.matchAll(
    new RegExp(String.raw`^(${ID_TEXT_SOURCE}) .*\n {2}safety number: ([0-9 ]+)$`, 'gm'),
  ))
    viewers.set(match[1]!, match[2]!.trim());
  return viewers;
}

const ownerIdentity = () => importIdentity(fromBase64Url(JSON.parse(readFileSync(owner, 'utf8')).identity));

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
  friendId = new RegExp(`viewer id: (${ID_TEXT_SOURCE})`).exec(code.stderr)?.[1] ?? '';
  assert.ok(friendId);

  const own = await cli(owner, ['share', deviceId, (await cli(owner, ['share-code'])).stdout.trim()]);
  assert.equal(own.status, 2);
  assert.equal(own.stderr.trim(), "viewer: that is this viewer's own share code");

  // Kept to be served later as a stale copy (the owner's viewers through a tap).
  const tap = await startRelayFront(relay.base, ownerIdentity());
  try {
    assert.equal((await cli(redirectedViewerState(owner, tap.base), ['viewers', deviceId])).status, 0);
    listBeforeFriend = tap.served.find((answer) => answer.path.endsWith('/access-list'))!.bytes;
  } finally {
    await tap.close();
  }

  const expires = new Date(Date.now() + 86_400_000).toISOString();
  const share = await cli(owner, ['share', deviceId, shareCode, '--expires', expires]);
  assert.equal(share.status, 0, share.stderr);
  const invite = share.stdout.trim();
  assert.match(invite, /^SCI1-[A-Z2-7]+$/);
  assert.match(share.stderr, new RegExp(`granted viewer ${friendId} access to .* until `));

  const accept = await cli(friend, ['accept', invite, '--camera-name', 'Shared cam', '--timeout', '120']);
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
    60_000,
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
  const notOwnerDelete = await cli(friend, ['delete', deviceId, '--before', '2100-01-01', '--yes']);
  assert.equal(notOwnerDelete.status, 2);
  assert.match(notOwnerDelete.stderr, /^viewer: only the camera's owner can delete its events/);

  const out = join(dir, 'friend-live');
  const live = await cli(friend, [
    'live',
    'shared cam',
    'cam-1',
    '--out',
    out,
    '--frames',
    '10',
    '--seconds',
    '120',
  ]);
  assert.equal(live.status, 0, live.stderr);
  const files = readdirSync(out);
  assert.equal(files.length, 10);
  for (const file of files) assert.ok(isJpeg(readFileSync(join(out, file))));
});

/** The key epoch in a frame file's name as the CLI writes it (frame-NNNNNN-e<epoch>-c<counter>.jpg). */
const epochOfFile = (name: string) => Number(/-e(\d+)-c\d+\./.exec(name)?.[1]);

test('revoke: a revocation the relay drops, or that a stale access list cannot confirm, is pending (exit 4); confirmed, the revoked viewer live view ends on it; the relay then refuses it; the new epoch manifest and a new event, served to it anyway, are REJECTED (NOT_RECIPIENT)', async () => {
  const epochBefore = Math.max(...readdirSync(join(dir, 'friend-live')).map(epochOfFile));
  assert.ok(epochBefore >= 0, 'the friend saw an epoch before');
  const running = launch(friend, ['live', deviceId, 'cam-1', '--seconds', '300'], 320_000);
  await until(() => /[1-9]\d* frames\/s/.test(running.stdout()), 60_000, 'frames before the revocation');

  // A relay that drops the revocation: the owner is told it is pending, not done (exit 4), and the
  // friend is still on the camera's list. The same relay serving, besides, the list from before the
  // friend was added to an owner state that never saw a newer one: still pending, never done.
  const dropping = await startRelayFront(relay.base, ownerIdentity(), {
    drop: (method, path) => method === 'POST' && path.endsWith('/inbox'),
  });
  const stale = await startRelayFront(relay.base, ownerIdentity(), {
    drop: (method, path) => method === 'POST' && path.endsWith('/inbox'),
    answer: (path) => (path.endsWith('/access-list') ? listBeforeFriend : undefined),
  });
  try {
    const dropped = await cli(redirectedViewerState(owner, dropping.base), [
      'revoke',
      deviceId,
      friendId,
      '--wait',
      '4',
    ]);
    assert.equal(dropped.status, 4, dropped.stderr);
    assert.match(
      dropped.stdout,
      new RegExp(
        `^revocation of ${friendId} pending for .+: sent, not confirmed by the camera within 4 s$`,
        'm',
      ),
    );
    const fresh = redirectedViewerState(owner, stale.base);
    const state = JSON.parse(readFileSync(fresh, 'utf8')) as { cameras: { accessListVersion?: number }[] };
    for (const camera of state.cameras) delete camera.accessListVersion;
    writeFileSync(fresh, JSON.stringify(state), { mode: 0o600 });
    const fooled = await cli(fresh, ['revoke', deviceId, friendId, '--wait', '4']);
    assert.equal(fooled.status, 4, fooled.stderr);
    assert.match(fooled.stdout, /pending for .+: sent, but it cannot be confirmed/);
  } finally {
    await dropping.close();
    await stale.close();
  }
  assert.ok(
    (await listedViewers(owner)).some((entry) => entry.viewerId === friendId),
    'still on the list',
  );

  const revoke = await cli(owner, ['revoke', deviceId, friendId]);
  assert.equal(revoke.status, 0, revoke.stderr);
  assert.match(
    revoke.stdout,
    new RegExp(
      `^revocation of ${friendId} done for .+: the camera signed access list version \\d+ without it$`,
      'm',
    ),
  );
  const revokedAt = Date.now();

  const ended = await running.done;
  // It ended because of the revocation, long before its 300 s.
  assert.ok(Date.now() - revokedAt < 120_000, `ended ${Date.now() - revokedAt} ms after the revocation`);
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

  await until(async () => (await listedViewers(owner)).length === 1, 60_000, 'the access list without it');
  assert.ok(!deviceSideViewers().has(friendId));

  // The relay's access check (second line) refuses it at once: not after --seconds.
  const out = join(dir, 'after-revoke');
  const after = await cli(friend, ['live', deviceId, 'cam-1', '--out', out, '--seconds', '150']);
  assert.equal(after.status, 2);
  assert.match(after.stdout, /^0 verified frames written to /);
  assert.equal(after.stderr.trim(), 'viewer: The relay has no grant for you on this camera.');
  assert.ok(after.ms < 120_000, 'refused on the relay answer, not after --seconds');
  assert.ok(!existsSync(out), 'nothing written');

  const events = await cli(friend, ['events', deviceId]);
  assert.equal(events.status, 2);
  assert.equal(events.stderr.trim(), 'viewer: The relay has no grant for you on this camera.');

  // The device started a new key epoch without it: the owner's frames are of a later epoch.
  const ownerOut = join(dir, 'owner-live');
  const epochAfter = await until(
    async () => {
      const still = await cli(owner, [
        'live',
        deviceId,
        'cam-1',
        '--out',
        ownerOut,
        '--frames',
        '5',
        '--seconds',
        '120',
      ]);
      assert.equal(still.status, 0, still.stderr);
      const epochs = readdirSync(ownerOut).map(epochOfFile);
      rmSync(ownerOut, { recursive: true });
      return epochs.length === 5 && epochs.every((epoch) => epoch > epochBefore) ? epochs[0] : null;
    },
    60_000,
    'the owner seeing frames of a new epoch',
  );
  const newEpochSeenAt = Date.now();

  // The cryptographic refusal (first line). The same friend (a copy of its state file: identity, keys,
  // remembered manifest chain) reaches the relay through a front that forwards under the owner's
  // session, so the relay's access check no longer stands in the way.
  front = await startRelayFront(relay.base, ownerIdentity());
  const friendViaFront = redirectedViewerState(friend, front.base);
  const frontOut = join(dir, 'front-live');
  let servedLive: CliRun | undefined;
  for (let attempt = 0; attempt < 10 && !servedLive; attempt++) {
    const run = await cli(friendViaFront, ['live', deviceId, 'cam-1', '--out', frontOut, '--seconds', '10']);
    assert.match(run.stdout, /^0 verified frames written to /m, run.stdout);
    assert.ok(!existsSync(frontOut), 'no frame written');
    const reasons = [...run.stderr.matchAll(/^REJECTED \d+x: .* \(([A-Z_]+)\)$/gm)].map((m) => m[1]);
    assert.ok(
      reasons.every((reason) => reason === 'NOT_RECIPIENT'),
      run.stderr,
    );
    if (reasons.length > 0) servedLive = run;
  }
  assert.ok(servedLive, 'the friend was handed a manifest and refused it');
  assert.equal(servedLive.status, 3, servedLive.stderr);
  assertOnlyNewEpochsServed(front, epochBefore, epochAfter);

  // A new event, recorded after the new epoch began: the owner gets it, the friend is REJECTED.
  const eventId = await until(
    async () => {
      const listed = await cli(owner, ['events', deviceId, '--json']);
      const events = (JSON.parse(listed.stdout) as { events: { eventId: string; time: number }[] }).events;
      return events.filter((event) => event.time > newEpochSeenAt).at(-1)?.eventId;
    },
    60_000,
    'an event after the new epoch',
  );
  // The owner opens it, also through the same front (the front itself spoils nothing).
  for (const state of [owner, redirectedViewerState(owner, front.base)]) {
    const ownerGet = await cli(state, ['get', deviceId, eventId, '--record']);
    assert.equal(ownerGet.status, 0, ownerGet.stderr);
    assert.equal((JSON.parse(ownerGet.stdout) as { eventId: string }).eventId, eventId);
  }
  const getOut = join(dir, 'front-get');
  const friendGet = await cli(friendViaFront, [
    'get',
    deviceId,
    eventId,
    '--thumbnail',
    join(getOut, 'thumbnail.jpg'),
    '--record',
  ]);
  assert.equal(friendGet.status, 3, friendGet.stderr);
  assert.equal(friendGet.stdout, '');
  assert.match(friendGet.stderr.trim(), /^REJECTED: .+ \(NOT_RECIPIENT\)$/);
  assert.ok(!existsSync(getOut), 'nothing written');
  const envelope = front.served.find(
    (object) => object.path === `/v1/devices/${deviceId}/events/${eventId}` && object.status === 200,
  );
  assert.ok(envelope, 'the front handed the friend the envelope');
  const card = parseCard(fromBase64Url(JSON.parse(readFileSync(friend, 'utf8')).cameras[0].card));
  assert.equal(formatId(verifyEventEnvelope(envelope.bytes, card).eventId), eventId, 'the genuine new event');
  // Listed with --open, the events not sealed for it (this one, and those before its invitation) are
  // one line, not failures: they are the camera's own, authentic, just not shared with it.
  const friendList = await cli(friendViaFront, ['events', deviceId, '--open', '--all', '--json']);
  assert.equal(friendList.status, 0, friendList.stderr);
  const friendRows = (JSON.parse(friendList.stdout) as { events: { eventId: string; status: string }[] })
    .events;
  assert.equal(friendRows.find((row) => row.eventId === eventId)?.status, 'not-shared');
  assert.ok(friendRows.every((row) => row.status === 'ok' || row.status === 'not-shared'));
  const friendText = await cli(friendViaFront, ['events', deviceId, '--open', '--all']);
  assert.equal(friendText.status, 0, friendText.stderr);
  // The camera keeps recording (for the owner alone) between the two runs: at least as many.
  const notShared = friendRows.filter((row) => row.status === 'not-shared').length;
  const counted =
    /^(\d+) events? (?:is|are) not shared with you \(recorded before your access began, or after it ended\)$/m.exec(
      friendText.stdout,
    );
  assert.ok(
    counted && Number(counted[1]) >= notShared,
    `${notShared} not shared in JSON; text: ${friendText.stdout}`,
  );
  assert.doesNotMatch(friendText.stdout, /NOT_RECIPIENT|REJECTED/);
  console.log(
    `revoked friend via the front: epochs ${epochBefore} -> ${epochAfter}, live: ${servedLive.stderr.trim()} | get: ${friendGet.stderr.trim()}`,
  );
});
