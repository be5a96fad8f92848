import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Access,
  addPairedViewer,
  applyGrant,
  applyRevocation,
  createGrant,
  createRevocation,
  currentRecipients,
  emptyViewerList,
  FrameOpener,
  FrameSealer,
  openManifest,
  sealManifest,
  verifyGrant,
} from '../src/index.js';
import { flip, NOW, rejects, TEN_MINUTES, throwsCode, world } from './fixtures.js';

function paired(label = 'sharing') {
  const w = world(label);
  const list = addPairedViewer(emptyViewerList(w.device.card.id), w.owner.card, NOW);
  return { ...w, list };
}

describe('sharing: grants and revocations', () => {
  it('the first paired viewer is the owner; an owner-signed grant adds a viewer', () => {
    const { device, owner, friend, list } = paired();
    assert.equal(list.viewers[0]?.access, Access.Owner);
    const grant = createGrant({ owner, deviceId: device.card.id, grantee: friend.card, issuedAt: NOW + 1 });
    const next = applyGrant(list, grant, NOW + 2).list;
    assert.deepEqual(
      currentRecipients(next, NOW + 3).map((card) => card.id),
      [owner.card.id, friend.card.id],
    );
  });

  it('invariant 7: a grant not signed by the owner is rejected (forged grant)', () => {
    const { device, friend, stranger, list } = paired();
    const byStranger = createGrant({
      owner: stranger,
      deviceId: device.card.id,
      grantee: friend.card,
      issuedAt: NOW + 1,
    });
    throwsCode(() => applyGrant(list, byStranger, NOW + 2), 'NOT_AUTHORIZED');
    // Claiming to be the owner without the owner's key.
    const claimed = byStranger.slice();
    claimed.set(list.owner!.id, 18);
    throwsCode(() => applyGrant(list, claimed, NOW + 2), 'BAD_SIGNATURE');
  });

  it('a grant for another device, expired, from the future or replayed is rejected', () => {
    const { device, otherDevice, owner, friend, list } = paired();
    const elsewhere = createGrant({
      owner,
      deviceId: otherDevice.card.id,
      grantee: friend.card,
      issuedAt: NOW,
    });
    throwsCode(() => applyGrant(list, elsewhere, NOW), 'WRONG_DEVICE');
    const expired = createGrant({
      owner,
      deviceId: device.card.id,
      grantee: friend.card,
      issuedAt: NOW,
      expiresAt: NOW + 5,
    });
    throwsCode(() => applyGrant(list, expired, NOW + 10), 'STALE');
    const future = createGrant({
      owner,
      deviceId: device.card.id,
      grantee: friend.card,
      issuedAt: NOW + TEN_MINUTES,
    });
    throwsCode(() => applyGrant(list, future, NOW), 'STALE');
    const grant = createGrant({ owner, deviceId: device.card.id, grantee: friend.card, issuedAt: NOW + 1 });
    const granted = applyGrant(list, grant, NOW + 2).list;
    const revocation = createRevocation({
      owner,
      deviceId: device.card.id,
      viewerId: friend.card.id,
      issuedAt: NOW + 3,
    });
    const revoked = applyRevocation(granted, revocation, NOW + 4).list;
    throwsCode(
      () => applyGrant(revoked, grant, NOW + 5),
      'REPLAYED',
      'an old grant cannot undo a revocation',
    );
    throwsCode(() => applyRevocation(revoked, revocation, NOW + 5), 'REPLAYED');
  });

  it('invariant 7: a revoked viewer cannot open the next epoch, nor its frames', () => {
    const { device, owner, friend, list, rng } = paired('revocation');
    const grant = createGrant({ owner, deviceId: device.card.id, grantee: friend.card, issuedAt: NOW + 1 });
    let viewers = applyGrant(list, grant, NOW + 1).list;
    const before = sealManifest(
      {
        device,
        streamId: 'cam-1',
        epoch: 1,
        notBefore: NOW,
        notAfter: NOW + TEN_MINUTES,
        previous: null,
        recipients: currentRecipients(viewers, NOW),
      },
      rng,
    );
    const expect = { device: device.card, streamId: 'cam-1', now: NOW + 5 };
    const friendEpoch1 = openManifest(before.bytes, { ...expect, viewer: friend });
    const revocation = createRevocation({
      owner,
      deviceId: device.card.id,
      viewerId: friend.card.id,
      issuedAt: NOW + 2,
    });
    viewers = applyRevocation(viewers, revocation, NOW + 3).list;
    const after = sealManifest(
      {
        device,
        streamId: 'cam-1',
        epoch: 2,
        notBefore: NOW + 3,
        notAfter: NOW + TEN_MINUTES,
        previous: before.bytes,
        recipients: currentRecipients(viewers, NOW + 3),
      },
      rng,
    );
    throwsCode(() => openManifest(after.bytes, { ...expect, viewer: friend }), 'NOT_RECIPIENT');
    openManifest(after.bytes, { ...expect, viewer: owner });
    // The friend still holds epoch 1; frames of epoch 2 do not open with it.
    const friendOpener = new FrameOpener({ deviceId: device.card.id, streamId: 'cam-1' });
    friendOpener.addEpoch({
      epoch: 1,
      epochKey: friendEpoch1.epochKey,
      notBefore: NOW,
      notAfter: NOW + TEN_MINUTES,
    });
    const sealer = new FrameSealer({
      deviceId: device.card.id,
      streamId: 'cam-1',
      epoch: 2,
      epochKey: after.epochKey,
    });
    throwsCode(
      () => friendOpener.open(sealer.seal(new Uint8Array(10), { keyframe: true, codec: 1 }), NOW + 5),
      'NOT_RECIPIENT',
    );
  });

  it('an owner who pairs again stays the owner', () => {
    const { owner, list } = paired();
    const again = addPairedViewer(list, owner.card, NOW + 10);
    assert.equal(again.viewers.length, 1);
    assert.equal(again.viewers[0]?.access, Access.Owner);
  });

  it('the owner cannot be revoked or granted', () => {
    const { device, owner, list } = paired();
    const revokeOwner = createRevocation({
      owner,
      deviceId: device.card.id,
      viewerId: owner.card.id,
      issuedAt: NOW + 1,
    });
    throwsCode(() => applyRevocation(list, revokeOwner, NOW + 1), 'MALFORMED');
    const grantOwner = createGrant({
      owner,
      deviceId: device.card.id,
      grantee: owner.card,
      issuedAt: NOW + 1,
    });
    throwsCode(() => applyGrant(list, grantOwner, NOW + 1), 'MALFORMED');
  });

  it('a device without an owner accepts no grant', () => {
    const { device, owner, friend } = world('ownerless');
    const grant = createGrant({ owner, deviceId: device.card.id, grantee: friend.card, issuedAt: NOW });
    throwsCode(() => applyGrant(emptyViewerList(device.card.id), grant, NOW), 'NOT_AUTHORIZED');
  });

  it('every single-byte change of a grant or revocation is rejected', () => {
    const { device, owner, friend, list } = paired();
    const check = { deviceId: device.card.id, owner: owner.card, now: NOW };
    const grant = createGrant({ owner, deviceId: device.card.id, grantee: friend.card, issuedAt: NOW });
    verifyGrant(grant, check);
    for (let i = 0; i < grant.length; i++) rejects(() => verifyGrant(flip(grant, i), check));
    const revocation = createRevocation({
      owner,
      deviceId: device.card.id,
      viewerId: friend.card.id,
      issuedAt: NOW + 1,
    });
    for (let i = 0; i < revocation.length; i++)
      rejects(() => applyRevocation(list, flip(revocation, i), NOW + 2));
  });
});
