/**
 * Builds the test vectors in protocol/test-vectors/. Every random value a structure consumed is listed
 * in order under "draws", so an implementation can reproduce the exact bytes from the listed values.
 */

import { Kind, Label } from '../src/constants.js';
import { encodeEventRecord } from '../src/event-record.js';
import { derive, u32be } from '../src/hash.js';
import {
  Access,
  Codec,
  createAccessList,
  createAuthProof,
  createGrant,
  createIdentity,
  createPairingOffer,
  createPairRequest,
  createPairResponse,
  createRevocation,
  EventSealer,
  exportIdentity,
  FrameSealer,
  fingerprint,
  formatId,
  frameKeyId,
  fromHex,
  type Identity,
  manifestHash,
  openEvent,
  pairingCode,
  pairingId,
  pairingLink,
  Role,
  safetyNumber,
  sealManifest,
  seededRng,
  toHex,
  utf8,
} from '../src/index.js';
import { recorder } from './vector-draws.js';
import { flipHex, hexPatch } from './vector-hex.js';
import { clockVectors } from './vectors-clock.js';
import {
  clipContainerVectors,
  liveVectors,
  mediaVectors,
  paddingVectors,
  recordVectors,
  shareCodeVectors,
} from './vectors-codecs.js';
import { profileVectors } from './vectors-profile.js';

export const VECTOR_NOW = 1_767_225_600_000;
const TEN_MINUTES = 600_000;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A sealed frame (hex) with its key id (bytes 2…3) replaced. */
function withKeyIdHex(frame: string, keyId: number): string {
  return hexPatch(hexPatch(frame, 2, keyId >>> 8), 3, keyId & 0xff);
}

export interface RejectCase {
  readonly name: string;
  /** Which check to run: see protocol/test/vectors.test.ts and docs/PROTOCOL.md "Test vectors". */
  readonly check: string;
  readonly bytes: string;
  readonly expect: string;
}

function rngDraw(draws: readonly string[], index: number): Uint8Array {
  const hex = draws[index]!;
  return new Uint8Array(hex.match(/../g)!.map((byte) => Number.parseInt(byte, 16)));
}

function identityJson(identity: Identity): { [key: string]: Json } {
  return {
    role: identity.card.role,
    secret: toHex(exportIdentity(identity)),
    signSeed: toHex(identity.signSecretKey.subarray(0, 32)),
    boxSecretKey: toHex(identity.boxSecretKey),
    signPublicKey: toHex(identity.card.signPublicKey),
    boxPublicKey: toHex(identity.card.boxPublicKey),
    card: toHex(identity.card.bytes),
    id: toHex(identity.card.id),
    idText: formatId(identity.card.id),
    fingerprint: fingerprint(identity.card.id),
  };
}

export function buildVectors(): Record<string, { [key: string]: Json }> {
  const seed = new Uint8Array(32).fill(0x42);
  const rec = recorder(seededRng(seed));
  const device = createIdentity(Role.Device, rec.rng);
  const owner = createIdentity(Role.Viewer, rec.rng);
  const friend = createIdentity(Role.Viewer, rec.rng);
  const stranger = createIdentity(Role.Viewer, rec.rng);
  rec.take();
  const parties = { device, owner, friend, stranger };
  const partiesJson = Object.fromEntries(Object.entries(parties).map(([k, v]) => [k, identityJson(v)]));
  const common = { now: VECTOR_NOW, parties: partiesJson };

  const identity = {
    description:
      'Identities drawn from seededRng(32 x 0x42): device, owner, friend, stranger, each 32 bytes Ed25519 seed then 32 bytes X25519 secret.',
    rngSeed: toHex(seed),
    ...common,
    safetyNumbers: {
      deviceOwner: safetyNumber(device.card, owner.card),
      deviceFriend: safetyNumber(device.card, friend.card),
    },
    reject: [
      {
        name: 'box key replaced',
        check: 'card',
        bytes:
          toHex(device.card.bytes).slice(0, 70 * 2) +
          '00'.repeat(32 - 3) +
          toHex(device.card.bytes).slice(70 * 2 + (32 - 3) * 2),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'unsupported version',
        check: 'card',
        bytes: hexPatch(toHex(device.card.bytes), 0, 2),
        expect: 'UNSUPPORTED_VERSION',
      },
      {
        name: 'wrong kind',
        check: 'card',
        bytes: hexPatch(toHex(device.card.bytes), 1, 0x11),
        expect: 'WRONG_KIND',
      },
      {
        name: 'truncated',
        check: 'card',
        bytes: toHex(device.card.bytes).slice(0, 100),
        expect: 'TRUNCATED',
      },
      {
        name: 'unknown role',
        check: 'card',
        bytes: hexPatch(toHex(device.card.bytes), 2, 3),
        expect: 'MALFORMED',
      },
    ] satisfies RejectCase[],
  };

  const manifest1 = sealManifest(
    {
      device,
      streamId: 'cam-1',
      epoch: 1,
      notBefore: VECTOR_NOW,
      notAfter: VECTOR_NOW + TEN_MINUTES,
      previous: null,
      recipients: [owner.card, friend.card],
    },
    rec.rng,
  );
  const draws1 = rec.take();
  const manifest2 = sealManifest(
    {
      device,
      streamId: 'cam-1',
      epoch: 2,
      notBefore: VECTOR_NOW + TEN_MINUTES,
      notAfter: VECTOR_NOW + 2 * TEN_MINUTES,
      previous: manifest1.bytes,
      recipients: [owner.card],
    },
    rec.rng,
  );
  const draws2 = rec.take();
  const m1 = toHex(manifest1.bytes);
  const manifest = {
    description:
      'Key manifests of stream cam-1: epoch 1 for owner+friend, epoch 2 (friend revoked) chained to epoch 1. draws = [epoch key, ephemeral X25519 secret].',
    ...common,
    manifests: [
      {
        streamId: 'cam-1',
        epoch: 1,
        notBefore: VECTOR_NOW,
        notAfter: VECTOR_NOW + TEN_MINUTES,
        recipients: ['owner', 'friend'],
        draws: draws1,
        epochKey: toHex(manifest1.epochKey),
        bytes: m1,
        hash: toHex(manifestHash(manifest1.bytes)),
      },
      {
        streamId: 'cam-1',
        epoch: 2,
        notBefore: VECTOR_NOW + TEN_MINUTES,
        notAfter: VECTOR_NOW + 2 * TEN_MINUTES,
        recipients: ['owner'],
        draws: draws2,
        epochKey: toHex(manifest2.epochKey),
        bytes: toHex(manifest2.bytes),
        hash: toHex(manifestHash(manifest2.bytes)),
      },
    ],
    reject: [
      {
        name: 'epoch 2 opened by the revoked friend',
        check: 'manifest:friend:cam-1:600000',
        bytes: toHex(manifest2.bytes),
        expect: 'NOT_RECIPIENT',
      },
      { name: 'opened by a stranger', check: 'manifest:stranger:cam-1', bytes: m1, expect: 'NOT_RECIPIENT' },
      {
        name: 'signature bit flipped',
        check: 'manifest:owner:cam-1',
        bytes: flipHex(m1, m1.length / 2 - 1),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'epoch changed',
        check: 'manifest:owner:cam-1',
        bytes: flipHex(m1, 2 + 16 + 1 + 5 + 3),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'presented for stream cam-2',
        check: 'manifest:owner:cam-2',
        bytes: m1,
        expect: 'WRONG_STREAM',
      },
      {
        name: 'device id changed',
        check: 'manifest:owner:cam-1',
        bytes: flipHex(m1, 2),
        expect: 'WRONG_DEVICE',
      },
      {
        name: 'unsupported version',
        check: 'manifest:owner:cam-1',
        bytes: hexPatch(m1, 0, 9),
        expect: 'UNSUPPORTED_VERSION',
      },
      { name: 'trailing byte', check: 'manifest:owner:cam-1', bytes: `${m1}00`, expect: 'MALFORMED' },
    ] satisfies RejectCase[],
  };

  const sealer = new FrameSealer({
    deviceId: device.card.id,
    streamId: 'cam-1',
    epoch: 1,
    epochKey: manifest1.epochKey,
  });
  const framePayloads = [utf8('keyframe 0'), utf8('delta 1'), new Uint8Array(0)];
  const frames = framePayloads.map((payload, i) => ({
    payload: toHex(payload),
    keyframe: i === 0,
    codec: i === 2 ? Codec.H264AnnexB : Codec.Jpeg,
    counter: i,
    sealed: toHex(
      sealer.seal(payload, { keyframe: i === 0, codec: i === 2 ? Codec.H264AnnexB : Codec.Jpeg }),
    ),
  }));
  const f0 = frames[0]!.sealed;
  const streamBytes = utf8('cam-1');
  const aadPrefix = toHex(
    new Uint8Array([Kind.LiveFrame, ...device.card.id, streamBytes.length, ...streamBytes, ...u32be(1)]),
  );
  const frameDerived = {
    frameKey: toHex(derive(manifest1.epochKey, 32, Label.frameKey, device.card.id, streamBytes, u32be(1))),
    noncePrefix: toHex(
      derive(manifest1.epochKey, 20, Label.frameNonce, device.card.id, streamBytes, u32be(1)),
    ),
    aadPrefix,
    keyId: frameKeyId(device.card.id, 'cam-1', 1),
    perFrame: frames.map((f) => ({
      nonce:
        toHex(derive(manifest1.epochKey, 20, Label.frameNonce, device.card.id, streamBytes, u32be(1))) +
        toHex(u32be(f.counter)),
      aad: aadPrefix + f.sealed.slice(0, 16),
    })),
  };
  const frame = {
    description:
      'Live frames of cam-1 epoch 1 (epoch key from manifest.json epoch 1), counters 0..2. No randomness is drawn.',
    deviceId: toHex(device.card.id),
    streamId: 'cam-1',
    epoch: 1,
    epochKey: toHex(manifest1.epochKey),
    now: VECTOR_NOW,
    overheadBytes: 24,
    frames,
    derived: frameDerived,
    reject: [
      {
        name: 'key id relabelled to epoch 2 (a later epoch of the stream)',
        check: 'frame:cam-1',
        bytes: withKeyIdHex(f0, frameKeyId(device.card.id, 'cam-1', 2)),
        expect: 'NOT_RECIPIENT',
      },
      {
        name: 'key id relabelled to epoch 0 (an earlier epoch of the stream)',
        check: 'frame:cam-1',
        bytes: withKeyIdHex(f0, frameKeyId(device.card.id, 'cam-1', 0)),
        expect: 'STALE',
      },
      { name: 'counter changed', check: 'frame:cam-1', bytes: hexPatch(f0, 7, 5), expect: 'DECRYPT_FAILED' },
      {
        name: 'keyframe flag cleared',
        check: 'frame:cam-1',
        bytes: hexPatch(f0, 1, 0x10),
        expect: 'DECRYPT_FAILED',
      },
      { name: 'reserved flag set', check: 'frame:cam-1', bytes: hexPatch(f0, 1, 0x13), expect: 'MALFORMED' },
      { name: 'replayed into stream cam-2', check: 'frame:cam-2', bytes: f0, expect: 'WRONG_STREAM' },
      {
        name: 'replayed into stream cam-2 with its key id relabelled',
        check: 'frame:cam-2',
        bytes: withKeyIdHex(f0, frameKeyId(device.card.id, 'cam-2', 1)),
        expect: 'DECRYPT_FAILED',
      },
      {
        name: 'shorter than header and tag',
        check: 'frame:cam-1',
        bytes: f0.slice(0, 40),
        expect: 'TRUNCATED',
      },
      { name: 'version 2', check: 'frame:cam-1', bytes: hexPatch(f0, 0, 2), expect: 'UNSUPPORTED_VERSION' },
    ] satisfies RejectCase[],
  };

  const eventSealer = new EventSealer({ device, streamId: 'cam-1' }, rec.rng);
  const thumbnailPlain = utf8('JPEG thumbnail bytes');
  const thumbnail = eventSealer.sealThumbnail(thumbnailPlain);
  const chunkPlains = [utf8('clip chunk 0'), utf8('clip chunk 1')];
  const chunks = chunkPlains.map((chunk, i) => eventSealer.sealClipChunk(chunk, i === 1));
  const envelope = eventSealer.finish(
    {
      kind: 'motion',
      start: VECTOR_NOW,
      end: VECTOR_NOW + 4000,
      score: 0.25,
      labels: ['person'],
      clip: { codec: Codec.Jpeg, type: 'video/x-motion-jpeg', frames: 2 },
    },
    [owner.card, friend.card],
  );
  const eventDraws = rec.take();
  const other = new EventSealer({ device, streamId: 'cam-1' }, rec.rng);
  const otherThumbnail = other.sealThumbnail(utf8('another event'));
  rec.take();
  const env = toHex(envelope);
  const eventRecord = openEvent(envelope, { viewer: owner, device: device.card }).record;
  const event = {
    description:
      'One event of cam-1: envelope (record sealed inside), thumbnail, two clip chunks. draws = [event id, event key, ephemeral X25519 secret].',
    ...common,
    draws: eventDraws,
    inputs: {
      streamId: 'cam-1',
      padding: 'none',
      recipientsInOrder: ['owner', 'friend'],
      summary: {
        kind: 'motion',
        start: VECTOR_NOW,
        end: VECTOR_NOW + 4000,
        score: 0.25,
        labels: ['person'],
        clip: { codec: Codec.Jpeg, type: 'video/x-motion-jpeg', frames: 2 },
      },
      /** The exact record bytes sealed (§7.7, before block64 padding); also record.json's first record. */
      record: toHex(encodeEventRecord(eventRecord)),
    },
    eventId: toHex(eventSealer.eventId),
    derived: {
      contentKey: toHex(
        derive(rngDraw(eventDraws, 1), 32, Label.eventKey, device.card.id, eventSealer.eventId),
      ),
      thumbnailNonce: `02${'00'.repeat(23)}`,
      chunkNonces: ['03'.padEnd(48, '0'), `0300000001${'00'.repeat(19)}`],
      recordNonce: `04${'00'.repeat(23)}`,
    },
    envelope: env,
    thumbnail: { plaintext: toHex(thumbnailPlain), sealed: toHex(thumbnail) },
    chunks: chunks.map((sealed, i) => ({ plaintext: toHex(chunkPlains[i]!), sealed: toHex(sealed) })),
    reject: [
      { name: 'opened by a stranger', check: 'event:stranger', bytes: env, expect: 'NOT_RECIPIENT' },
      {
        name: 'signature bit flipped',
        check: 'event:owner',
        bytes: flipHex(env, env.length / 2 - 1),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'thumbnail of another event',
        check: 'thumbnail',
        bytes: toHex(otherThumbnail),
        expect: 'WRONG_EVENT',
      },
      {
        name: 'thumbnail relabelled to this event',
        check: 'thumbnail',
        bytes:
          toHex(otherThumbnail).slice(0, 36) + toHex(eventSealer.eventId) + toHex(otherThumbnail).slice(68),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'chunk 1 presented as chunk 0',
        check: 'chunk:0',
        bytes: toHex(chunks[1]!),
        expect: 'REPLAYED',
      },
      {
        name: 'chunk 0 with final flag',
        check: 'chunk:0',
        bytes: hexPatch(toHex(chunks[0]!), 38, 1),
        expect: 'MALFORMED',
      },
      { name: 'clip truncated to chunk 0', check: 'clip', bytes: toHex(chunks[0]!), expect: 'TRUNCATED' },
    ] satisfies RejectCase[],
  };

  const grantBytes = createGrant({
    owner,
    deviceId: device.card.id,
    grantee: friend.card,
    issuedAt: VECTOR_NOW,
  });
  const revocationBytes = createRevocation({
    owner,
    deviceId: device.card.id,
    viewerId: friend.card.id,
    issuedAt: VECTOR_NOW + 1,
  });
  const forgedGrant = createGrant({
    owner: stranger,
    deviceId: device.card.id,
    grantee: friend.card,
    issuedAt: VECTOR_NOW,
  });
  const grantHex = toHex(grantBytes);
  const grant = {
    description:
      'Owner-signed grant of device to friend, and its revocation. Checked by the device against its local owner card (owner).',
    ...common,
    inputs: {
      owner: 'owner',
      grantee: 'friend',
      grantIssuedAt: VECTOR_NOW,
      grantExpiresAt: 0,
      revocationIssuedAt: VECTOR_NOW + 1,
    },
    grant: grantHex,
    revocation: toHex(revocationBytes),
    reject: [
      {
        name: 'grant signed by a stranger',
        check: 'grant',
        bytes: toHex(forgedGrant),
        expect: 'NOT_AUTHORIZED',
      },
      {
        name: 'stranger grant claiming the owner id',
        check: 'grant',
        bytes: toHex(forgedGrant).slice(0, 36) + toHex(owner.card.id) + toHex(forgedGrant).slice(68),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'grant for viewer access changed to owner',
        check: 'grant',
        bytes: hexPatch(grantHex, 34, 1),
        expect: 'MALFORMED',
      },
      {
        name: 'revocation issued-at changed',
        check: 'revocation',
        bytes: flipHex(toHex(revocationBytes), 2 + 48 + 7),
        expect: 'BAD_SIGNATURE',
      },
    ] satisfies RejectCase[],
  };

  const accessList = createAccessList({
    device,
    version: 2,
    issuedAt: VECTOR_NOW,
    entries: [
      { viewerId: owner.card.id, access: Access.Owner },
      { viewerId: friend.card.id, access: Access.Viewer },
    ],
  });
  const challenge = rec.rng(32);
  rec.take();
  const proof = createAuthProof(owner, 'http://127.0.0.1:8080', challenge);
  const relay = {
    description:
      'Device-signed access list (version 2) and a viewer auth proof for origin http://127.0.0.1:8080.',
    ...common,
    inputs: {
      accessList: {
        version: 2,
        issuedAt: VECTOR_NOW,
        entries: [
          ['owner', Access.Owner],
          ['friend', Access.Viewer],
        ],
      },
      authSigner: 'owner',
    },
    accessList: toHex(accessList),
    auth: { origin: 'http://127.0.0.1:8080', challenge: toHex(challenge), proof: toHex(proof) },
    reject: [
      {
        name: 'access list entry changed',
        check: 'access-list',
        bytes: flipHex(toHex(accessList), 2 + 16 + 16 + 2 + 3),
        expect: 'BAD_SIGNATURE',
      },
      {
        name: 'proof for another challenge',
        check: 'auth',
        bytes: flipHex(toHex(proof), 2 + 131 + 1 + 21 + 4),
        expect: 'REPLAYED',
      },
    ] satisfies RejectCase[],
  };

  const offer = createPairingOffer(
    { deviceId: device.card.id, relayUrl: 'http://127.0.0.1:8080', now: VECTOR_NOW },
    rec.rng,
  );
  const offerDraws = rec.take();
  const request = createPairRequest({ viewer: owner, offer, name: 'Ana phone', now: VECTOR_NOW }, rec.rng);
  const requestDraws = rec.take();
  const response = createPairResponse({ device, offer, viewer: owner.card, access: Access.Owner }, rec.rng);
  const responseDraws = rec.take();
  const code = pairingCode(offer);
  const pairing = {
    description:
      'Pairing of owner with device. draws: offer = [secret]; request and response = [AEAD nonce].',
    ...common,
    offer: {
      relayUrl: offer.relayUrl,
      expiresAt: offer.expiresAt,
      draws: offerDraws,
      code,
      link: pairingLink(offer),
      pairingId: toHex(pairingId(offer.secret)),
    },
    request: { name: 'Ana phone', draws: requestDraws, bytes: toHex(request) },
    response: {
      access: Access.Owner,
      draws: responseDraws,
      bytes: toHex(response),
      safetyNumber: safetyNumber(device.card, owner.card),
    },
    reject: [
      {
        name: 'request ciphertext changed',
        check: 'pair-request',
        bytes: flipHex(toHex(request), 70),
        expect: 'PAIRING_FAILED',
      },
      {
        name: 'request for another pairing session',
        check: 'pair-request',
        bytes: flipHex(toHex(request), 20),
        expect: 'PAIRING_FAILED',
      },
      {
        name: 'response ciphertext changed',
        check: 'pair-response',
        bytes: flipHex(toHex(response), 70),
        expect: 'PAIRING_FAILED',
      },
      {
        name: 'code with one character changed',
        check: 'pairing-code',
        bytes: toHex(utf8(code.slice(0, 10) + (code[10] === 'A' ? 'B' : 'A') + code.slice(11))),
        expect: 'MALFORMED',
      },
    ] satisfies RejectCase[],
  };

  return {
    'identity.json': identity,
    'manifest.json': manifest,
    'frame.json': frame,
    'event.json': event,
    'grant.json': grant,
    'relay.json': relay,
    'pairing.json': pairing,
    'padding.json': paddingVectors(),
    'live.json': liveVectors({
      deviceId: device.card.id,
      frame: fromHex(f0),
      manifest: manifest1.bytes,
    }),
    'clip-container.json': clipContainerVectors(),
    'media.json': mediaVectors(),
    'record.json': recordVectors(eventRecord),
    'clock.json': clockVectors(device, VECTOR_NOW),
    'codes.json': shareCodeVectors({ owner: owner.card, friend: friend.card, deviceId: device.card.id }),
    'profile.json': profileVectors({ device, owner, friend }, VECTOR_NOW),
  };
}
