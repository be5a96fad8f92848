import {
  Access,
  Codec,
  createAccessList,
  createAuthProof,
  createGrant,
  createPairingOffer,
  createPairRequest,
  createPairResponse,
  createRevocation,
  EventSealer,
  FrameOpener,
  FrameSealer,
  openClipChunk,
  openEvent,
  openManifest,
  openPairRequest,
  openPairResponse,
  openThumbnail,
  pairingCode,
  parseCard,
  parsePairing,
  sealManifest,
  utf8,
  verifyAccessList,
  verifyAuthProof,
  verifyGrant,
  verifyRevocation,
} from '../src/index.js';
import { NOW, TEN_MINUTES, world } from './fixtures.js';

/** One sealed/signed instance of every structure, with the check a receiver runs on it. */
export interface Structure {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly check: (bytes: Uint8Array) => unknown;
}

export function allStructures(): Structure[] {
  const w = world('structures');
  const { device, owner, friend, rng } = w;
  const manifest = sealManifest(
    {
      device,
      streamId: 'cam-1',
      epoch: 3,
      notBefore: NOW,
      notAfter: NOW + TEN_MINUTES,
      previous: null,
      recipients: [owner.card, friend.card],
    },
    rng,
  );
  const sealer = new FrameSealer({
    deviceId: device.card.id,
    streamId: 'cam-1',
    epoch: 3,
    epochKey: manifest.epochKey,
  });
  const frame = sealer.seal(utf8('frame payload'), { keyframe: true, codec: Codec.Jpeg });
  const event = new EventSealer({ device, streamId: 'cam-1' }, rng);
  const thumbnail = event.sealThumbnail(utf8('thumbnail'));
  const chunk = event.sealClipChunk(utf8('only chunk'), true);
  const envelope = event.finish(
    {
      kind: 'motion',
      start: NOW,
      end: NOW + 1,
      score: 0.5,
      labels: [],
      clip: { codec: Codec.Jpeg, type: 'video/x-motion-jpeg', frames: 1 },
    },
    [owner.card],
  );
  const opened = openEvent(envelope, { viewer: owner, device: device.card });
  const offer = createPairingOffer(
    { deviceId: device.card.id, relayUrl: 'http://127.0.0.1:8080', now: NOW },
    rng,
  );
  const request = createPairRequest({ viewer: owner, offer, name: 'phone', now: NOW }, rng);
  const response = createPairResponse({ device, offer, viewer: owner.card, access: Access.Owner }, rng);
  const challenge = rng(32);
  const ownerCheck = { deviceId: device.card.id, owner: owner.card, now: NOW };
  return [
    { name: 'identity card', bytes: device.card.bytes, check: parseCard },
    {
      name: 'key manifest',
      bytes: manifest.bytes,
      check: (b) => openManifest(b, { viewer: owner, device: device.card, streamId: 'cam-1', now: NOW }),
    },
    {
      name: 'live frame',
      bytes: frame,
      check: (b) => {
        const opener = new FrameOpener({ deviceId: device.card.id, streamId: 'cam-1' });
        opener.addEpoch({
          epoch: 3,
          epochKey: manifest.epochKey,
          notBefore: NOW,
          notAfter: NOW + TEN_MINUTES,
        });
        return opener.open(b, NOW);
      },
    },
    {
      name: 'event envelope',
      bytes: envelope,
      check: (b) => openEvent(b, { viewer: owner, device: device.card }),
    },
    { name: 'thumbnail', bytes: thumbnail, check: (b) => openThumbnail(b, opened) },
    { name: 'clip chunk', bytes: chunk, check: (b) => openClipChunk(b, opened, 0) },
    {
      name: 'grant',
      bytes: createGrant({ owner, deviceId: device.card.id, grantee: friend.card, issuedAt: NOW }),
      check: (b) => verifyGrant(b, ownerCheck),
    },
    {
      name: 'revocation',
      bytes: createRevocation({ owner, deviceId: device.card.id, viewerId: friend.card.id, issuedAt: NOW }),
      check: (b) => verifyRevocation(b, ownerCheck),
    },
    {
      name: 'access list',
      bytes: createAccessList({
        device,
        version: 1,
        issuedAt: NOW,
        entries: [{ viewerId: owner.card.id, access: Access.Owner }],
      }),
      check: (b) => verifyAccessList(b, device.card),
    },
    {
      name: 'auth proof',
      bytes: createAuthProof(owner, 'http://127.0.0.1:8080', challenge),
      check: (b) => verifyAuthProof(b, { origin: 'http://127.0.0.1:8080', challenge }),
    },
    { name: 'pair request', bytes: request, check: (b) => openPairRequest(b, { device, offer, now: NOW }) },
    {
      name: 'pair response',
      bytes: response,
      check: (b) => openPairResponse(b, { viewer: owner, offer, now: NOW }),
    },
    {
      name: 'pairing code',
      bytes: utf8(pairingCode(offer)),
      check: (b) => {
        const parsed = parsePairing(new TextDecoder().decode(b));
        if (parsed.expiresAt !== offer.expiresAt || parsed.relayUrl !== offer.relayUrl)
          throw new Error('changed');
        if (!parsed.secret.every((value, i) => value === offer.secret[i])) throw new Error('changed');
        return parsed;
      },
    },
  ];
}
