import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createGrant,
  createIdentity,
  createRevocation,
  formatId,
  openEvent,
  openManifest,
  openProfile,
  parseEventEnvelope,
  parseManifest,
  Role,
  ready,
  SealError,
  verifyAccessList,
} from '@sealcam/protocol';
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

function epochOf(dir: ReturnType<typeof agentDir>): number | null {
  return agentStatus(dir).status?.cameras[0]?.epoch ?? null;
}

/** The newest event listed after `after` (public time), once there is one. */
function newEventAfter(viewer: TestViewer, after: number) {
  return until(
    async () => (await viewer.listEvents()).filter((event) => event.time > after).at(-1),
    60_000,
    'a new event',
  );
}

/** Runs `open` and returns the SealError code it throws ('opened' if it does not throw). */
function refusal(open: () => unknown): string {
  try {
    open();
    return 'opened';
  } catch (error) {
    if (error instanceof SealError) return error.code;
    throw error;
  }
}

/** Watches live until some frame opens (each attempt a short watch; the machine may be slow). */
function liveUntilFrames(viewer: TestViewer, what: string) {
  return until(
    async () => {
      const live = await viewer.watchLive('cam-1', 2000);
      return live.frames.length > 0 ? live : null;
    },
    60_000,
    what,
  );
}

test('revocation: a new epoch without the viewer; its manifest, a new event envelope and the next sealed profile (the camera names), handed to the revoked viewer, do not open (NOT_RECIPIENT); the owner is unaffected', async () => {
  const dir = agentDir(relay.base);
  assert.equal(dir.cli(['init']).status, 0);
  const owner = new TestViewer(relay.base);
  const guest = new TestViewer(relay.base);
  await pairViewer(dir, owner, 'owner phone');
  await pairViewer(dir, guest, 'guest tablet');
  const listing = dir.cli(['viewers']);
  assert.match(listing.stdout, new RegExp(`${owner.id} +owner .*owner phone`));
  assert.match(listing.stdout, new RegExp(`${guest.id} +viewer .*guest tablet`));
  const device = owner.device!;
  const base = `/v1/devices/${formatId(device.id)}`;
  /** Fetched with the owner's session: the relay's access check does not stand between the guest and these bytes. */
  const ownerFetch = async (path: string) => {
    const response = await owner.http('GET', `${base}${path}`);
    assert.equal(response.status, 200, `GET ${path}`);
    return new Uint8Array(await response.arrayBuffer());
  };

  const run = startCli(dir, ['run']);
  try {
    await run.waitFor(/agent running/, 60_000);
    const before = await liveUntilFrames(guest, 'the guest seeing the camera before');
    assert.deepEqual(before.rejected, [], 'the guest sees the camera before');
    const epochBefore = await until(() => epochOf(dir), 60_000, 'an epoch');
    // Before the revocation the guest opens the epoch's manifest and an event: its keys work.
    const stream = await owner.streamOf('cam-1');
    const manifestBefore = await ownerFetch(`/streams/${stream}/manifests/${epochBefore}`);
    const openFor = (viewer: TestViewer, bytes: Uint8Array) =>
      openManifest(bytes, { viewer: viewer.identity, device, streamId: stream, now: Date.now() });
    assert.equal(openFor(guest, manifestBefore).manifest.epoch, epochBefore);
    const eventBefore = await newEventAfter(owner, 0);
    const envelopeBefore = await ownerFetch(`/events/${eventBefore.eventId}`);
    assert.equal(openEvent(envelopeBefore, { viewer: guest.identity, device }).streamId, stream);

    const revoke = dir.cli(['viewers', 'revoke', guest.id]);
    assert.equal(revoke.status, 0, revoke.stderr);
    const epochAfter = await until(
      () => {
        const epoch = epochOf(dir);
        return epoch !== null && epoch > epochBefore ? epoch : null;
      },
      60_000,
      'a new epoch after the revocation',
    );
    const newEpochAt = Date.now();

    // The owner sees frames of the new epoch through the relay (so the relay has its manifest).
    const ownerAfter = await until(
      async () => {
        const live = await owner.watchLive('cam-1', 2000);
        return live.epochs.has(epochAfter) ? live : null;
      },
      60_000,
      'the owner seeing frames of the new epoch',
    );
    assert.deepEqual([...ownerAfter.epochs], [epochAfter]);

    // The new epoch's manifest, fetched whole with the owner's session and handed to the guest.
    const manifestAfter = await ownerFetch(`/streams/${stream}/manifests/${epochAfter}`);
    assert.equal(parseManifest(manifestAfter).epoch, epochAfter, 'the genuine manifest of the new epoch');
    assert.ok(epochAfter > epochBefore);
    assert.equal(openFor(owner, manifestAfter).manifest.epoch, epochAfter, 'the owner opens it');
    assert.equal(
      refusal(() => openFor(guest, manifestAfter)),
      'NOT_RECIPIENT',
    );

    // The device's names: the access list it registered after the revocation seals them for the owner
    // only; handed to the guest, its profile does not open.
    const listAfter = await until(
      async () => {
        const list = verifyAccessList(await ownerFetch('/access-list'), device);
        return list.entries.length === 1 ? list : null;
      },
      60_000,
      'the access list without the guest',
    );
    assert.equal(
      openProfile(listAfter.profile!, owner.identity, device.id, listAfter.version).cameras[0]?.name,
      'cam-1',
    );
    assert.equal(
      refusal(() => openProfile(listAfter.profile!, guest.identity, device.id, listAfter.version)),
      'NOT_RECIPIENT',
    );

    // Live through the relay: whatever it still forwards to the guest, no frame opens.
    const guestAfter = await guest.watchLive('cam-1', 2000);
    assert.equal(guestAfter.frames.length, 0, 'the revoked viewer opens no frame of the new epoch');
    assert.ok(
      guestAfter.rejected.every((reason) => reason === 'NOT_RECIPIENT'),
      `rejections: ${guestAfter.rejected}`,
    );

    // An event recorded after the new epoch began: the owner opens it; its envelope, handed to the
    // guest, does not open.
    const eventAfter = await newEventAfter(owner, newEpochAt);
    assert.equal((await owner.openEvent(eventAfter.eventId)).record.streamId, stream);
    const envelopeAfter = await ownerFetch(`/events/${eventAfter.eventId}`);
    const parsed = parseEventEnvelope(envelopeAfter);
    assert.equal(formatId(parsed.eventId), eventAfter.eventId, 'the genuine envelope of the new event');
    assert.notEqual(eventAfter.eventId, eventBefore.eventId);
    assert.ok(parsed.time > newEpochAt);
    assert.equal(
      refusal(() => openEvent(envelopeAfter, { viewer: guest.identity, device })),
      'NOT_RECIPIENT',
    );

    // The relay's access list no longer lists the guest (second line): it refuses it too, eventually.
    await until(
      () =>
        guest.listEvents().then(
          () => false,
          (error: Error) => /403/.test(error.message),
        ),
      60_000,
      'the relay refusing the guest',
    );
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
    await run.waitFor(/agent running/, 60_000);
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
    await run.waitFor(/refused a statement from the inbox/, 60_000);
    assert.doesNotMatch(dir.cli(['viewers']).stdout, new RegExp(stranger.id));

    const forgedRevocation = createRevocation({
      owner: impostor,
      deviceId: device.id,
      viewerId: owner.identity.card.id,
      issuedAt: Date.now(),
    });
    await owner.http('POST', `/v1/devices/${formatId(device.id)}/inbox`, forgedRevocation);

    const epochBefore = await until(() => epochOf(dir), 60_000, 'an epoch');
    const grant = createGrant({
      owner: owner.identity,
      deviceId: device.id,
      grantee: friend.identity.card,
      issuedAt: Date.now(),
    });
    assert.equal((await owner.http('POST', `/v1/devices/${formatId(device.id)}/inbox`, grant)).status, 202);
    await run.waitFor(/owner granted a viewer access/, 60_000);
    await until(() => (epochOf(dir) ?? 0) > epochBefore, 60_000, 'a new epoch for the new viewer');
    friend.device = device;
    await liveUntilFrames(friend, 'the granted viewer opening live frames');
    await liveUntilFrames(
      owner,
      'the owner still opening live frames (the forged revocation did not remove it)',
    );
    const refusals = await until(
      () => {
        const found = run.stderr.join('').match(/refused a statement from the inbox/g) ?? [];
        return found.length >= 2 ? found : null;
      },
      60_000,
      'both forged statements refused',
    );
    assert.equal(refusals.length, 2, 'both forged statements refused, nothing else');
    assert.match(run.stderr.join(''), /"reason":"BAD_SIGNATURE"|"reason":"NOT_AUTHORIZED"/);
  } finally {
    await run.stop();
  }
});
