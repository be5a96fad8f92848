import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Access,
  accessEntryOf,
  checkName,
  createAccessList,
  createCameraName,
  type DeviceProfile,
  ID_TEXT_PATTERN,
  type Identity,
  opaqueStreamId,
  openCameraName,
  openProfile,
  type StreamId,
  sealProfile,
  utf8,
  verifyAccessList,
} from '../src/index.js';
import { NOW, throwsCode, world } from './fixtures.js';

const recipient = (viewer: Identity) => ({ id: viewer.card.id, boxPublicKey: viewer.card.boxPublicKey });

function listWith(w: ReturnType<typeof world>, profile: DeviceProfile, viewers: Identity[], version = 5) {
  return createAccessList({
    device: w.device,
    version,
    issuedAt: NOW,
    entries: viewers.map((viewer, i) => ({
      viewerId: viewer.card.id,
      access: i === 0 ? Access.Owner : Access.Viewer,
    })),
    profile: sealProfile(profile, {
      deviceId: w.device.card.id,
      version,
      recipients: viewers.map(recipient),
      rng: w.rng,
    }),
  });
}

describe('invariant 13: names are content', () => {
  const w = world('names');
  const kids = opaqueStreamId(w.device, 'kids-room');
  const profile: DeviceProfile = {
    gatewayName: 'Maple Street',
    cameras: [
      { streamId: kids, name: 'Kids room' },
      { streamId: opaqueStreamId(w.device, 'bedroom'), name: 'Schlafzimmer 🛏' },
    ],
  };

  it('stream ids are opaque: 26 base32 characters, stable per device and camera, different across devices', () => {
    assert.match(kids, new RegExp(ID_TEXT_PATTERN));
    assert.equal(opaqueStreamId(w.device, 'kids-room'), kids);
    assert.notEqual(opaqueStreamId(w.otherDevice, 'kids-room'), kids);
    assert.ok(!kids.includes('kids'));
  });

  it('the profile in the signed access list opens for each listed viewer; the relay still reads its entries', () => {
    const bytes = listWith(w, profile, [w.owner, w.friend]);
    const list = verifyAccessList(bytes, w.device.card);
    for (const viewer of [w.owner, w.friend])
      assert.deepEqual(openProfile(list.profile!, viewer, w.device.card.id, list.version), profile);
    assert.equal(accessEntryOf(bytes, w.friend.card.id), Access.Viewer);
    assert.equal(accessEntryOf(bytes, w.stranger.card.id), null);
    for (const text of ['Kids room', 'Maple Street', 'Schlafzimmer'])
      assert.ok(!Buffer.from(bytes).includes(Buffer.from(utf8(text))), `${text} is sealed`);
  });

  it('a viewer revoked from the list cannot open the next profile (NOT_RECIPIENT)', () => {
    const list = verifyAccessList(listWith(w, profile, [w.owner], 6), w.device.card);
    throwsCode(() => openProfile(list.profile!, w.friend, w.device.card.id, list.version), 'NOT_RECIPIENT');
  });

  it('a profile moved to another list version or device, or with its ciphertext altered, does not open (DECRYPT_FAILED)', () => {
    const list = verifyAccessList(listWith(w, profile, [w.owner], 7), w.device.card);
    throwsCode(() => openProfile(list.profile!, w.owner, w.device.card.id, 8), 'DECRYPT_FAILED');
    throwsCode(() => openProfile(list.profile!, w.owner, w.otherDevice.card.id, 7), 'DECRYPT_FAILED');
    // The key unwraps; the AEAD over the profile itself refuses the change.
    const ciphertext = list.profile!.ciphertext.slice();
    ciphertext[3]! ^= 1;
    throwsCode(
      () => openProfile({ ...list.profile!, ciphertext }, w.owner, w.device.card.id, 7),
      'DECRYPT_FAILED',
    );
  });

  it('sizes say nothing of the names: a profile is as long for any names of as many cameras; every name change is as long', () => {
    const short: DeviceProfile = { gatewayName: '', cameras: [{ streamId: kids, name: 'A' }] };
    const long: DeviceProfile = {
      gatewayName: 'G'.repeat(64),
      cameras: [{ streamId: kids, name: 'N'.repeat(64) }],
    };
    assert.equal(listWith(w, short, [w.owner]).length, listWith(w, long, [w.owner]).length);
    const rename = (streamId: StreamId | null, name: string) =>
      createCameraName({ owner: w.owner, device: w.device.card, streamId, name, issuedAt: NOW, rng: w.rng })
        .length;
    assert.equal(
      rename(null, 'A'),
      rename(kids, 'N'.repeat(64)),
      'a gateway rename looks like a camera rename',
    );
  });

  it('an access list without a profile (older agents) still verifies and reads', () => {
    const bytes = createAccessList({
      device: w.device,
      version: 1,
      issuedAt: NOW,
      entries: [{ viewerId: w.owner.card.id, access: Access.Owner }],
    });
    assert.equal(verifyAccessList(bytes, w.device.card).profile, null);
    assert.equal(accessEntryOf(bytes, w.owner.card.id), Access.Owner);
  });

  it('names: 1..64 bytes, no control or bidirectional-override characters, no outer spaces; at most 64 cameras, each once', () => {
    for (const bad of [
      '',
      'x'.repeat(65),
      'a\u0000b',
      'evil\u202etxt',
      'bell\u0007',
      ' padded',
      'line\nbreak',
    ])
      throwsCode(() => checkName(bad, 'name'), 'MALFORMED');
    assert.equal(checkName('🚪'.repeat(16), 'name'), '🚪'.repeat(16), '64 bytes of UTF-8');
    const seal = (p: DeviceProfile) =>
      sealProfile(p, {
        deviceId: w.device.card.id,
        version: 1,
        recipients: [recipient(w.owner)],
        rng: w.rng,
      });
    throwsCode(
      () => seal({ gatewayName: '', cameras: [profile.cameras[0]!, profile.cameras[0]!] }),
      'MALFORMED',
    );
    const many = Array.from({ length: 65 }, (_, i) => ({ streamId: `s${i}` as StreamId, name: `c${i}` }));
    throwsCode(() => seal({ gatewayName: '', cameras: many }), 'MALFORMED');
    assert.ok(seal({ gatewayName: '', cameras: many.slice(0, 64) }));
  });
});

describe('name changes: owner-signed, sealed to the device', () => {
  const w = world('name-change');
  const kids = opaqueStreamId(w.device, 'kids-room');
  const change = (owner: Identity, streamId: StreamId | null, name = 'Nursery') =>
    createCameraName({ owner, device: w.device.card, streamId, name, issuedAt: NOW, rng: w.rng });

  it('the device opens the owner’s change of a camera or of the gateway; the name is not in the clear', () => {
    const bytes = change(w.owner, kids);
    const opened = openCameraName(bytes, { device: w.device, owner: w.owner.card, now: NOW });
    assert.deepEqual([opened.streamId, opened.name, opened.issuedAt], [kids, 'Nursery', NOW]);
    assert.ok(!Buffer.from(bytes).includes(Buffer.from('Nursery')));
    assert.ok(!Buffer.from(bytes).includes(Buffer.from(kids)), 'which camera is sealed too');
    const gateway = openCameraName(change(w.owner, null, 'Cabin'), {
      device: w.device,
      owner: w.owner.card,
      now: NOW,
    });
    assert.deepEqual([gateway.streamId, gateway.name], [null, 'Cabin']);
  });

  it('refused: another signer (NOT_AUTHORIZED), another device (WRONG_DEVICE), from the future or over 7 days old (STALE), a bad name (MALFORMED)', () => {
    throwsCode(
      () => openCameraName(change(w.friend, kids), { device: w.device, owner: w.owner.card, now: NOW }),
      'NOT_AUTHORIZED',
    );
    throwsCode(
      () => openCameraName(change(w.owner, kids), { device: w.otherDevice, owner: w.owner.card, now: NOW }),
      'WRONG_DEVICE',
    );
    throwsCode(
      () =>
        openCameraName(change(w.owner, kids), { device: w.device, owner: w.owner.card, now: NOW - 600_000 }),
      'STALE',
    );
    throwsCode(
      () =>
        openCameraName(change(w.owner, kids), {
          device: w.device,
          owner: w.owner.card,
          now: NOW + 8 * 86_400_000,
        }),
      'STALE',
    );
    throwsCode(() => change(w.owner, kids, 'a\u202eb'), 'MALFORMED');
  });
});
