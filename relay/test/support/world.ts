import {
  Codec,
  createIdentity,
  EventSealer,
  formatId,
  type Identity,
  Role,
  sealManifest,
  utf8,
} from '@sealcam/protocol';

/** A device, its owner, a friend and a stranger, plus helpers to seal objects with a marker inside. */
export function people() {
  return {
    device: createIdentity(Role.Device),
    otherDevice: createIdentity(Role.Device),
    owner: createIdentity(Role.Viewer),
    friend: createIdentity(Role.Viewer),
    stranger: createIdentity(Role.Viewer),
  };
}

export const MARKER = 'MARKER-7f3a9c-PLAINTEXT-MUST-NOT-LEAK';

export function idOf(identity: Identity): string {
  return formatId(identity.card.id);
}

export function manifestFor(
  device: Identity,
  recipients: Identity[],
  streamId = 'cam-1',
  epoch = 1,
  previous: Uint8Array | null = null,
) {
  const now = Date.now();
  return sealManifest({
    device,
    streamId,
    epoch,
    notBefore: now - 1000,
    notAfter: now + 600_000,
    previous,
    recipients: recipients.map((viewer) => viewer.card),
  });
}

/** A sealed event whose thumbnail, clip and labels contain MARKER. */
export function sealedEvent(device: Identity, recipients: Identity[], streamId = 'cam-1', time = Date.now()) {
  const sealer = new EventSealer({ device, streamId });
  const thumbnail = sealer.sealThumbnail(utf8(`${MARKER} thumbnail`));
  const chunks = [
    sealer.sealClipChunk(utf8(`${MARKER} chunk 0`), false),
    sealer.sealClipChunk(utf8(`${MARKER} chunk 1`), true),
  ];
  const envelope = sealer.finish(
    {
      kind: 'motion',
      start: time,
      end: time + 1000,
      score: 0.5,
      labels: [MARKER.slice(0, 40)],
      clip: { codec: Codec.Jpeg, type: 'video/x-motion-jpeg', frames: 2 },
    },
    recipients.map((viewer) => viewer.card),
  );
  return { eventId: formatId(sealer.eventId), eventIdBytes: sealer.eventId, thumbnail, chunks, envelope };
}
