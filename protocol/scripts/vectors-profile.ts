/** Vectors of §9.3, §9.4 and §8.5: opaque stream ids, an access list with a sealed profile, a name change. */
import { createAccessList } from '../src/access-list.js';
import { toHex } from '../src/bytes.js';
import { createCameraName } from '../src/camera-name.js';
import { Access } from '../src/constants.js';
import { type DeviceProfile, sealProfile } from '../src/device-profile.js';
import type { Identity } from '../src/identity.js';
import { seededRng } from '../src/random.js';
import { opaqueStreamId } from '../src/stream-id.js';
import { recorder } from './vector-draws.js';
import { flipHex, hexPatch } from './vector-hex.js';
import type { Json, RejectCase } from './vectors.js';

export function profileVectors(
  parties: { device: Identity; owner: Identity; friend: Identity },
  now: number,
): { [key: string]: Json } {
  const { device, owner, friend } = parties;
  const seed = new Uint8Array(32).fill(0x50);
  const rec = recorder(seededRng(seed));
  const streams = ['kids-room', 'front-door'].map((localId) => ({
    localId,
    streamId: opaqueStreamId(device, localId),
  }));
  const profile: DeviceProfile = {
    gatewayName: 'Maple Street',
    cameras: [
      { streamId: streams[0]!.streamId, name: 'Kids room' },
      { streamId: streams[1]!.streamId, name: 'Front door 🚪' },
    ],
  };
  const version = 3;
  const sealed = sealProfile(profile, {
    deviceId: device.card.id,
    version,
    recipients: [owner, friend].map((viewer) => ({
      id: viewer.card.id,
      boxPublicKey: viewer.card.boxPublicKey,
    })),
    rng: rec.rng,
  });
  const profileDraws = rec.take();
  const list = createAccessList({
    device,
    version,
    issuedAt: now,
    entries: [
      { viewerId: owner.card.id, access: Access.Owner },
      { viewerId: friend.card.id, access: Access.Viewer },
    ],
    profile: sealed,
  });
  const listHex = toHex(list);
  const rename = (signer: Identity) =>
    createCameraName({
      owner: signer,
      device: device.card,
      streamId: streams[0]!.streamId,
      name: 'Nursery',
      issuedAt: now,
      rng: rec.rng,
    });
  const nameChange = rename(owner);
  const nameDraws = rec.take();
  const nameHex = toHex(nameChange);
  const byFriend = toHex(rename(friend));
  rec.take();
  /** Where the sealed profile starts: after the list head (36 bytes) and its two entries. */
  const profileAt = 2 + 16 + 8 + 8 + 2 + 2 * 17;
  return {
    description:
      "Names are content (§9.3, §9.4, §8.5). Stream ids the device derives (§9.4) from local camera ids; an access list (version 3) whose sealed profile opens for owner and friend; the owner's sealed name change for the first camera. draws (seededRng(32 x 0x50)): profile = [content key, ephemeral secret]; name change = [ephemeral secret].",
    rngSeed: toHex(seed),
    streams,
    profile: { gatewayName: profile.gatewayName, cameras: profile.cameras.map((c) => ({ ...c })) },
    accessList: { version, issuedAt: now, draws: profileDraws, bytes: listHex },
    nameChange: {
      streamId: streams[0]!.streamId,
      name: 'Nursery',
      issuedAt: now,
      draws: nameDraws,
      bytes: nameHex,
    },
    reject: [
      {
        name: 'profile opened by a viewer it was not sealed for',
        check: 'profile:stranger',
        bytes: listHex,
        expect: 'NOT_RECIPIENT',
      },
      {
        name: 'profile ciphertext changed',
        check: 'profile:owner',
        bytes: flipHex(listHex, list.length - 64 - 1),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'access list with a byte after its signature',
        check: 'access-entry:owner',
        bytes: `${listHex}00`,
        expect: 'MALFORMED',
      },
      {
        name: 'access list whose profile stanza count is too large for it',
        check: 'access-entry:owner',
        bytes: hexPatch(listHex, profileAt + 32, 0x7f),
        expect: 'TRUNCATED',
      },
      {
        name: 'name change signed by a viewer who is not the owner',
        check: 'camera-name',
        bytes: byFriend,
        expect: 'NOT_AUTHORIZED',
      },
      {
        name: 'name change ciphertext changed',
        check: 'camera-name',
        bytes: flipHex(nameHex, 80),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'name change for another device',
        check: 'camera-name',
        bytes: flipHex(nameHex, 2),
        expect: 'WRONG_DEVICE',
      },
      {
        name: 'name change of another kind',
        check: 'camera-name',
        bytes: hexPatch(nameHex, 1, 0x11),
        expect: 'WRONG_KIND',
      },
    ] satisfies RejectCase[],
  };
}
