import {
  Codec,
  encodeLiveMessage,
  FrameSealer,
  type Identity,
  type IdentityCard,
  parseManifest,
  sealManifest,
  WireType,
} from '@sealcam/protocol';

export interface LiveStreamSealerOptions {
  readonly device: Identity;
  readonly streamId: string;
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

  /** The last manifest sealed (public), for persisting the chain. */
  get lastManifest(): Uint8Array | null {
    return this.manifest;
  }

  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  /** True when the recipients differ from the ones of the current epoch, or the epoch is due. */
  needsRotation(recipients: readonly IdentityCard[], now: number): boolean {
    if (!this.sealer) return true;
    if (now - this.rotatedAt >= this.options.rotateEveryMs) return true;
    return recipientKey(recipients) !== this.recipientsKey;
  }

  /**
   * Starts the next epoch for `recipients` and returns its manifest as a live message, or null when
   * there is nobody to seal for (then no frames are sealed at all).
   */
  rotate(recipients: readonly IdentityCard[], now: number): Uint8Array | null {
    this.retire();
    this.recipientsKey = recipientKey(recipients);
    this.rotatedAt = now;
    if (recipients.length === 0) return null;
    const previous = this.manifest;
    const epoch = previous ? parseManifest(previous).epoch + 1 : 1;
    const sealed = sealManifest({
      device: this.options.device,
      streamId: this.options.streamId,
      epoch,
      notBefore: now,
      // Valid for two rotation periods: a delayed rotation never leaves viewers with an expired key.
      notAfter: now + 2 * this.options.rotateEveryMs,
      previous,
      recipients,
    });
    this.sealer = new FrameSealer({
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      epoch,
      epochKey: sealed.epochKey,
    });
    sealed.epochKey.fill(0);
    this.manifest = sealed.bytes;
    this.manifestMessage = encodeLiveMessage({
      type: WireType.LiveManifest,
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      payload: sealed.bytes,
    });
    this.keyframeRequested = true;
    return this.manifestMessage;
  }

  /** Seals one JPEG as a live message, or returns null when no epoch is active (no viewers). */
  sealFrame(jpeg: Uint8Array, now: number): Uint8Array | null {
    if (!this.sealer) return null;
    const keyframe = this.keyframeRequested || now - this.lastKeyframeAt >= this.options.keyframeEveryMs;
    if (keyframe) {
      this.keyframeRequested = false;
      this.lastKeyframeAt = now;
    }
    return encodeLiveMessage({
      type: WireType.LiveFrame,
      deviceId: this.options.device.card.id,
      streamId: this.options.streamId,
      payload: this.sealer.seal(jpeg, { keyframe, codec: Codec.Jpeg }),
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
