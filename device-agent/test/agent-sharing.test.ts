import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createGrant,
  createIdentity,
  createRevocation,
  formatId,
  Role,
  ready,
  SealError,
} from '@sealcam/protocol';
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

function epochOf(dir: ReturnType<typeof agentDir>): number | null {
  return agentStatus(dir).status?.cameras[0]?.epoch ?? null;
}

async function openNewestEvent(viewer: TestViewer, after: number): Promise<unknown> {
  const events = await until(
    async () => {
      const list = (await viewer.listEvents()).filter((event) => event.time > after);
      return list.length > 0 ? list : null;
    },
    20_000,
    'a new event',
  );
  try {
    await viewer.openEvent(events.at(-1)!.eventId);
    return 'opened';
  } catch (error) {
    return error instanceof SealError ? error.code : error;
  }
}

test('revocation: a new epoch without the viewer at once; its live and event opens fail; the owner is unaffected', async () => {
  const dir = agentDir(relay.base);
  assert.equal(dir.cli(['init']).status, 0);
  const owner = new TestViewer(relay.base);
  const guest = new TestViewer(relay.base);
  await pairViewer(dir, owner, 'owner phone');
  await pairViewer(dir, guest, 'guest tablet');
  const listing = dir.cli(['viewers']);
  assert.match(listing.stdout, new RegExp(`${owner.id} +owner .*owner phone`));
  assert.match(listing.stdout, new RegExp(`${guest.id} +viewer .*guest tablet`));

  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/);
    const before = await guest.watchLive('cam-1', 1500);
    assert.ok(before.frames.length > 0 && before.rejected.length === 0, 'the guest sees the camera before');
    const epochBefore = await until(() => epochOf(dir), 10_000, 'an epoch');

    const revoke = dir.cli(['viewers', 'revoke', guest.id]);
    assert.equal(revoke.status, 0, revoke.stderr);
    const epochAfter = await until(
      () => {
        const epoch = epochOf(dir);
        return epoch !== null && epoch > epochBefore ? epoch : null;
      },
      10_000,
      'a new epoch after the revocation',
    );
    assert.ok(epochAfter > epochBefore);

    const guestAfter = await guest.watchLive('cam-1', 1500);
    assert.equal(guestAfter.frames.length, 0, 'the revoked viewer opens no frame of the new epoch');
    assert.ok(
      guestAfter.rejected.includes('NOT_RECIPIENT') || guestAfter.rejected.length === 0,
      `rejections: ${guestAfter.rejected}`,
    );
    const ownerAfter = await owner.watchLive('cam-1', 1500);
    assert.ok(ownerAfter.frames.length > 0, 'the owner still sees the camera');
    assert.deepEqual([...ownerAfter.epochs], [epochAfter]);

    const revokedAt = Date.now();
    assert.equal(await openNewestEvent(owner, revokedAt), 'opened');
    // The relay's access list no longer lists the guest (second line): it may refuse before the crypto does.
    const guestEvent = await guest.listEvents().then(
      () => 'listed',
      (error: Error) => error.message,
    );
    assert.match(String(guestEvent), /403|listed/);
  } finally {
    await run.stop();
  }
});

test('owner-signed grant through the inbox adds a viewer; a forged grant and a forged revocation are refused', async () => {
  const dir = agentDir(relay.base);
  assert.equal(dir.cli(['init']).status, 0);
  const owner = new TestViewer(relay.base);
  await pairViewer(dir, owner);
  const friend = new TestViewer(relay.base);
  const stranger = new TestViewer(relay.base);
  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/);
    const device = owner.device!;
    const impostor = createIdentity(Role.Viewer);
    // Forged: signed by an identity that is not the device's owner, posted through the owner's session
    // (as a relay or a stolen token could). The device checks the owner key it learned at pairing.
    const forged = createGrant({
      owner: impostor,
      deviceId: device.id,
      grantee: stranger.identity.card,
      issuedAt: Date.now(),
    });
    const posted = await owner.http('POST', `/v1/devices/${formatId(device.id)}/inbox`, forged);
    assert.equal(posted.status, 202);
    await run.waitFor(/refused a statement from the inbox/);
    assert.doesNotMatch(dir.cli(['viewers']).stdout, new RegExp(stranger.id));

    const forgedRevocation = createRevocation({
      owner: impostor,
      deviceId: device.id,
      viewerId: owner.identity.card.id,
      issuedAt: Date.now(),
    });
    await owner.http('POST', `/v1/devices/${formatId(device.id)}/inbox`, forgedRevocation);

    const epochBefore = await until(() => epochOf(dir), 10_000, 'an epoch');
    const grant = createGrant({
      owner: owner.identity,
      deviceId: device.id,
      grantee: friend.identity.card,
      issuedAt: Date.now(),
    });
    assert.equal((await owner.http('POST', `/v1/devices/${formatId(device.id)}/inbox`, grant)).status, 202);
    await run.waitFor(/owner granted a viewer access/);
    await until(() => (epochOf(dir) ?? 0) > epochBefore, 10_000, 'a new epoch for the new viewer');
    friend.device = device;
    const friendLive = await friend.watchLive('cam-1', 1500);
    assert.ok(friendLive.frames.length > 0, 'the granted viewer opens live frames');
    const ownerLive = await owner.watchLive('cam-1', 1000);
    assert.ok(ownerLive.frames.length > 0, 'the forged revocation did not remove the owner');
    const refusals = run.stderr.join('').match(/refused a statement from the inbox/g) ?? [];
    assert.equal(refusals.length, 2, 'both forged statements refused');
    assert.match(run.stderr.join(''), /"reason":"BAD_SIGNATURE"|"reason":"NOT_AUTHORIZED"/);
  } finally {
    await run.stop();
  }
});
