import {
  decodeLiveMessage,
  FrameOpener,
  formatId,
  type Identity,
  type IdentityCard,
  Kind,
  type OpenedFrame,
  openManifest,
  parseEventEnvelope,
  parseItemHeader,
  parseManifest,
  WireType,
} from '@sealcam/protocol';

/**
 * Ground truth for what a relay served: the device that made a sealed object (envelope, thumbnail,
 * clip chunk, key manifest), read from its public header, which the relay checked against the
 * uploading device's session. Null for anything else (a JSON listing, an error).
 */
export function objectDevice(bytes: Uint8Array): string | null {
  const parsers = [
    (b: Uint8Array) => parseEventEnvelope(b).deviceId,
    (b: Uint8Array) => parseItemHeader(b, Kind.Thumbnail).deviceId,
    (b: Uint8Array) => parseItemHeader(b, Kind.ClipChunk).deviceId,
    (b: Uint8Array) => parseManifest(b).deviceId,
  ];
  for (const parse of parsers) {
    try {
      return formatId(parse(bytes));
    } catch {
      // not this kind
    }
  }
  return null;
}

export interface TruthHome {
  readonly deviceId: string;
  readonly streamId: string;
  /** The home's viewer (the test holds its private key) and the card of its camera. */
  readonly viewer: Identity;
  readonly device: IdentityCard;
}

/** A live frame as served: the camera that sealed it (null: no known key opens it), its public codec, its opened content. */
export interface ServedFrame {
  readonly sealer: string | null;
  readonly codec: number;
  readonly opened: OpenedFrame | null;
}

interface EpochKey {
  readonly epoch: number;
  readonly epochKey: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Ground truth for live frames, whose clear header names no device: the test holds every home's
 * viewer key, so it learns each camera's epoch keys from the manifests served and can tell which
 * camera sealed a frame payload by which camera's key opens it (under that camera's device and
 * stream ids, as the sealer bound them).
 */
export class LiveTruth {
  private readonly keys = new Map<string, EpochKey[]>();
  private readonly opened = new WeakMap<Uint8Array, ServedFrame>();

  constructor(private readonly homes: readonly TruthHome[]) {}

  /** Learns epoch keys from served live messages (manifests that open for a home under its camera's card). */
  learn(messages: readonly Uint8Array[]): void {
    for (const bytes of messages) {
      const message = decodeLiveMessage(bytes);
      if (message.type !== WireType.LiveManifest) continue;
      for (const home of this.homes) {
        try {
          const opened = openManifest(message.payload, {
            viewer: home.viewer,
            device: home.device,
            streamId: home.streamId,
            now: Date.now(),
          });
          const held = this.keys.get(home.deviceId) ?? [];
          const { epoch, notBefore, notAfter } = opened.manifest;
          if (!held.some((key) => key.epoch === epoch))
            held.push({ epoch, epochKey: opened.epochKey, notBefore, notAfter });
          this.keys.set(home.deviceId, held);
        } catch {
          // not this home's manifest
        }
      }
    }
  }

  /** The device id of the camera that sealed a live frame payload, or null if no known key opens it. */
  sealedBy(payload: Uint8Array): string | null {
    return this.open(payload)?.sealer ?? null;
  }

  /** A live frame payload opened with the key of the camera that sealed it, or null if no known key opens it. */
  open(payload: Uint8Array): { sealer: string; frame: OpenedFrame } | null {
    for (const home of this.homes) {
      for (const key of this.keys.get(home.deviceId) ?? []) {
        const opener = new FrameOpener({ deviceId: home.device.id, streamId: home.streamId });
        try {
          opener.addEpoch(key);
          const frame = opener.open(payload, Math.min(Math.max(Date.now(), key.notBefore), key.notAfter));
          return { sealer: home.deviceId, frame };
        } catch {
          // not sealed under this key
        } finally {
          opener.destroy();
        }
      }
    }
    return null;
  }

  /** The frames among `messages` (live messages served to one viewer), by the camera that sealed them. */
  framesBySealer(messages: readonly Uint8Array[]): Map<string | null, number> {
    const counts = new Map<string | null, number>();
    for (const { sealer } of this.frames(messages)) counts.set(sealer, (counts.get(sealer) ?? 0) + 1);
    return counts;
  }

  /**
   * Every frame among `messages`, in order: the camera that sealed it (null if no known key opens it),
   * its codec from its public header (§6.1), and, if opened, its payload.
   */
  frames(messages: readonly Uint8Array[]): ServedFrame[] {
    return messages.flatMap((bytes) => {
      const known = this.opened.get(bytes);
      if (known) return [known];
      const message = decodeLiveMessage(bytes);
      if (message.type !== WireType.LiveFrame) return [];
      const opened = this.open(message.payload);
      const frame = {
        sealer: opened?.sealer ?? null,
        codec: message.payload[1]! >> 4,
        opened: opened?.frame ?? null,
      };
      // Remembered once opened (a frame whose key is not known yet is tried again next time).
      if (opened) this.opened.set(bytes, frame);
      return [frame];
    });
  }
}
