import {
  type DeviceId,
  decodeMediaPayload,
  deviceIdOf,
  FrameOpener,
  formatId,
  frameKeyframeAt,
  type Identity,
  type IdentityCard,
  isTimedCodec,
  type LiveMessage,
  openManifest,
  parseFrameHeader,
  type RelayToViewer,
  type StreamId,
  toHex,
  WireType,
} from '@sealcam/protocol';
import { ViewerError, verifying, viewerReasonOf } from './errors.js';

export interface LiveFrame {
  /**
   * The verified, decrypted content: for codec 1 a JPEG picture; for a timed codec (2 H.264, 3 H.265,
   * 5 AAC) the camera's unit, unchanged (an Annex B access unit, an ADTS frame; PROTOCOL.md §6.7).
   */
  readonly data: Uint8Array;
  readonly codec: number;
  /** Timed codecs: the capture time sealed with the unit, Unix microseconds. JPEG: null. */
  readonly capturedAtUs: number | null;
  readonly keyframe: boolean;
  readonly epoch: number;
  readonly counter: number;
}

export interface LiveHandlers {
  onFrame(frame: LiveFrame): void;
  /** Something failed verification or the relay refused: nothing was shown for it. */
  onRejected?(error: ViewerError): void;
  /** The relay confirmed the subscription (whether it had a manifest and keyframe cached). */
  onSubscribed?(info: { manifest: boolean; keyframe: boolean }): void;
}

/**
 * One camera stream for one viewer: manifests give epoch keys only after verification with the
 * card of the device this viewer paired with, frames open only under those keys. The routing ids
 * around each message are not trusted: a frame of another camera fails to open.
 */
export class LiveView {
  private readonly opener: FrameOpener;
  private previous: { epoch: number; hash: Uint8Array } | undefined;
  private keyed = false;
  /** The last keyframe shown: the relay sends its cached copy again after a (re)subscribe. */
  private lastKeyframe: { epoch: number; counter: number } | null = null;
  private lastResync = 0;
  private readonly deviceId: DeviceId;

  constructor(
    private readonly viewer: Identity,
    private readonly device: IdentityCard,
    readonly streamId: StreamId,
    private readonly handlers: LiveHandlers,
    previous: { epoch: number; hash: Uint8Array } | undefined,
    private readonly onManifestAccepted: (epoch: number, hash: string) => void,
    /** Asks the relay again for the cached manifest (after a bad one, frames cannot open). */
    private readonly resync: () => void = () => undefined,
  ) {
    this.opener = new FrameOpener({ deviceId: device.id, streamId });
    this.deviceId = deviceIdOf(device.id);
    this.previous = previous;
  }

  /** Whether a live message is addressed (by its unauthenticated routing ids) to this view. */
  matches(message: LiveMessage): boolean {
    return message.streamId === this.streamId && formatId(message.deviceId) === formatId(this.device.id);
  }

  handle(message: LiveMessage): void {
    try {
      if (message.type === WireType.LiveManifest) {
        const opened = verifying('manifest', () =>
          openManifest(message.payload, {
            viewer: this.viewer,
            device: this.device,
            streamId: this.streamId,
            now: Date.now(),
            previous: this.previous,
          }),
        );
        const { epoch, notBefore, notAfter } = opened.manifest;
        verifying('manifest', () =>
          this.opener.addEpoch({ epoch, epochKey: opened.epochKey, notBefore, notAfter }),
        );
        opened.epochKey.fill(0);
        this.previous = { epoch, hash: opened.hash };
        this.keyed = true;
        this.onManifestAccepted(epoch, toHex(opened.hash));
        return;
      }
      const { payload } = message;
      // The relay's cached copy of a keyframe already shown is not a replay attack. Only keyframes
      // need the full header: the per-frame path reads the flags without allocating.
      if (this.lastKeyframe && verifying('frame', () => frameKeyframeAt(payload, 0))) {
        const header = parseFrameHeader(payload);
        if (
          this.lastKeyframe.counter === header.counter &&
          (this.lastKeyframe.epoch & 0xffff) === header.keyId
        )
          return;
      }
      const frame = verifying('frame', () => this.opener.open(payload, Date.now()));
      const media = isTimedCodec(frame.codec)
        ? verifying('frame', () => decodeMediaPayload(frame.payload))
        : null;
      if (frame.keyframe) this.lastKeyframe = { epoch: frame.epoch, counter: frame.counter };
      this.handlers.onFrame({
        data: media ? media.unit : frame.payload,
        capturedAtUs: media ? media.capturedAtUs : null,
        codec: frame.codec,
        keyframe: frame.keyframe,
        epoch: frame.epoch,
        counter: frame.counter,
      });
    } catch (error) {
      if (!(error instanceof ViewerError)) throw error;
      if (message.type === WireType.LiveFrame && error.reason === 'NOT_RECIPIENT' && !this.keyed) {
        // No manifest opened yet in this view (the cached one was refused or has not come): not a
        // revocation. Ask for the manifest again, at most every 5 s.
        const now = Date.now();
        if (now - this.lastResync > 5000) {
          this.lastResync = now;
          this.handlers.onRejected?.(new ViewerError('NO_KEY_YET', 'frame', error.detail));
          this.resync();
        }
        return;
      }
      this.handlers.onRejected?.(error);
    }
  }

  control(message: RelayToViewer): void {
    if (message.op === 'subscribed') {
      if (message.deviceId !== this.deviceId || message.streamId !== this.streamId) return;
      this.handlers.onSubscribed?.({ manifest: message.manifest, keyframe: message.keyframe });
    } else if (message.op === 'error') {
      if (message.deviceId !== this.deviceId) return;
      if (message.streamId !== undefined && message.streamId !== this.streamId) return;
      this.handlers.onRejected?.(
        new ViewerError(viewerReasonOf(message.reason), 'relay', message.reason, undefined, message.reason),
      );
    }
  }

  close(): void {
    this.opener.destroy();
  }
}
