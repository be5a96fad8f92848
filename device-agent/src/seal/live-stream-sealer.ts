import {
  Codec,
  encodeLiveMessage,
  encodeMediaPayload,
  FrameSealer,
  type Identity,
  type IdentityCard,
  parseManifest,
  type StreamId,
  sealManifest,
  WireType,
} from '@sealcam/protocol';
import type { AudioUnit, VideoUnit } from '../camera/frame.js';

/** A sealed manifest for the next epoch, not yet in use. */
export interface PreparedEpoch {
  readonly epoch: number;
  readonly manifest: Uint8Array;
  readonly epochKey: Uint8Array;
}

export interface LiveStreamSealerOptions {
  readonly device: Identity;
  readonly streamId: StreamId;
  /** The last manifest of this stream from before a restart: the chain continues from it. */
  readonly previousManifest: Uint8Array | null;
  /** Live keys rotate this often (default 10 minutes). */
  readonly rotateEveryMs: number;
  /** Without a keyframe request, one frame in this interval is flagged as a keyframe (cached for late joiners). */
  readonly keyframeEveryMs: number;
}

/**
 * Seals one camera's live frames. Each epoch has a fresh random key wrapped for the current
 * viewers in a signed manifest; a new epoch starts on time, whenever the viewer set changes, and on
 * every start (a sealer is never resumed: nonce safety). The old frame key is wiped at once.
 */
export class LiveStreamSealer {
  private sealer: FrameSealer | null = null;
  private manifest: Uint8Array | null;
  private manifestMessage: Uint8Array | null = null;
  private rotatedAt = 0;
  private lastKeyframeAt = 0;
  private keyframeRequested = true;
  private recipientsKey = '';

  constructor(private readonly options: LiveStreamSealerOptions) {
    this.manifest = options.previousManifest;
  }

  get epoch(): number | null {
    return this.sealer?.epoch ?? null;
  }

  /** The live message carrying the current manifest (sent first after every connect). */
  get currentManifestMessage(): Uint8Array | null {
    return this.manifestMessage;
  }

  /** The last manifest activated (public), for persisting the chain. */
  get lastManifest(): Uint8Array | null {
    return this.manifest;
  }

  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  /**
   * True when a new epoch is due: none is active though there are viewers, the recipients changed,
   * or the rotation period passed. With no viewers and no change, nothing is due (no churn before
   * the first pairing).
   */
  needsRotation(recipients: readonly IdentityCard[], now: number): boolean {
    const key = recipientKey(recipients);
    if (!this.sealer) return recipients.length > 0 || key !== this.recipientsKey;
    if (now - this.rotatedAt >= this.options.rotateEveryMs) return true;
    return key !== this.recipientsKey;
  }

  /**
   * First half of a rotation: wipes the current frame key at once (from here on nothing is sealed
   * for the old viewer set) and seals the next manifest for `recipients`, without using it yet.
   * The caller persists the manifest, then calls `activate`; if persisting fails it calls `discard`
   * and the stream stays dark until the next attempt, so the chain on disk never falls behind the
   * chain the relay and viewers saw. Returns null when there is nobody to seal for.
   * `restartChain` starts a new chain two epochs ahead (after the relay reported a fork).
   */
  prepare(recipients: readonly IdentityCard[], now: number, restartChain = false): PreparedEpoch | null {
    this.retire();
    this.recipientsKey = recipientKey(recipients);
    this.rotatedAt = now;
    if (recipients.length === 0) return null;
    const last = this.manifest ? parseManifest(this.manifest).epoch : 0;
    const sealed = sealManifest({
      device: this.options.device,
      streamId: this.options.streamId,
      epoch: restartChain ? last + 2 : last + 1,
      notBefore: now,
      // Valid for two rotation periods: a delayed rotation never leaves viewers with an expired key.
      notAfter: now + 2 * this.options.rotateEveryMs,
      previous: restartChain ? null : this.manifest,
      recipients,
    });
    return { epoch: restartChain ? last + 2 : last + 1, manifest: sealed.bytes, epochKey: sealed.epochKey };
  }

  /** Second half: the manifest is on disk; seal frames under it. Returns its live message. */
  activate(prepared: PreparedEpoch): Uint8Array {
    this.retire();
    this.sealer = new FrameSealer({
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      epoch: prepared.epoch,
      epochKey: prepared.epochKey,
    });
    this.discard(prepared);
    this.manifest = prepared.manifest;
    this.manifestMessage = encodeLiveMessage({
      type: WireType.LiveManifest,
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      payload: prepared.manifest,
    });
    this.keyframeRequested = true;
    return this.manifestMessage;
  }

  /** Wipes a prepared epoch's key (after activate, or when its manifest could not be persisted). */
  discard(prepared: PreparedEpoch): void {
    prepared.epochKey.fill(0);
  }

  /** Prepare and activate at once (for callers that persist nothing). */
  rotate(recipients: readonly IdentityCard[], now: number): Uint8Array | null {
    const prepared = this.prepare(recipients, now);
    return prepared ? this.activate(prepared) : null;
  }

  /**
   * A keyframe is wanted now: a new epoch began (the relay's cached keyframe is of the old one), the
   * connection is new, or a viewer asked. Until one is sealed, even an unwatched stream sends its
   * next keyframe live (relay/live-demand.ts).
   */
  get keyframeWanted(): boolean {
    return this.keyframeRequested;
  }

  /** Whether the next JPEG sealed at `now` would be flagged a keyframe (requested, or due by time). */
  keyframeDue(now: number): boolean {
    return this.keyframeRequested || now - this.lastKeyframeAt >= this.options.keyframeEveryMs;
  }

  /**
   * Seals one JPEG behind its capture time (codec 6, PROTOCOL.md §6.7), so that viewers can tell a
   * live picture from a replayed one (§6.8). Returns null when no epoch is active (no viewers).
   */
  sealFrame(jpeg: Uint8Array, capturedAt: number, now: number): Uint8Array | null {
    if (!this.sealer) return null;
    const keyframe = this.keyframeDue(now);
    if (keyframe) {
      this.keyframeRequested = false;
      this.lastKeyframeAt = now;
    }
    const payload = encodeMediaPayload({ capturedAtUs: capturedAt * 1000, unit: jpeg });
    return encodeLiveMessage({
      type: WireType.LiveFrame,
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      payload: this.sealer.seal(payload, { keyframe, codec: Codec.JpegTimed }),
    });
  }

  /**
   * Seals one unit of a passthrough camera (PROTOCOL.md §6.7): an H.264 access unit as codec 2, an
   * ADTS frame as codec 5, each behind its capture time. The keyframe flag is the camera's own (IDR
   * units only; audio never): a passthrough stream has no way to make an IDR on request, so
   * keyframe requests and the keyframe interval do not apply here, and the relay keeps the last IDR
   * for late joiners. Returns null when no epoch is active (no viewers).
   */
  sealUnit(unit: VideoUnit | AudioUnit): Uint8Array | null {
    if (!this.sealer) return null;
    const payload = encodeMediaPayload({ capturedAtUs: unit.capturedAtUs, unit: unit.data });
    const options =
      unit.kind === 'h264'
        ? { keyframe: unit.keyframe, codec: Codec.H264AnnexB }
        : { keyframe: false, codec: Codec.AacAdts };
    if (options.keyframe) this.keyframeRequested = false;
    return encodeLiveMessage({
      type: WireType.LiveFrame,
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      payload: this.sealer.seal(payload, options),
    });
  }

  /** Wipes the current frame key. */
  retire(): void {
    this.sealer?.destroy();
    this.sealer = null;
    this.manifestMessage = null;
  }
}

function recipientKey(recipients: readonly IdentityCard[]): string {
  return recipients
    .map((card) => Buffer.from(card.id).toString('hex'))
    .sort()
    .join(',');
}
