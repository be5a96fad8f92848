import {
  type AgreedKey,
  Codec,
  type DeviceId,
  decodeMediaPayload,
  deviceIdOf,
  FrameOpener,
  type Freshness,
  formatId,
  frameKeyframeAt,
  frameKeyId,
  freshnessOf,
  type Identity,
  type IdentityCard,
  isTimedCodec,
  type KeyHolder,
  type LiveMessage,
  openManifest,
  parseFrameHeader,
  type RelayToViewer,
  type StreamId,
  toHex,
  verifyManifest,
  viewerFor,
  WireType,
} from '@sealcam/protocol';
import { DeviceClock, monotonicMs, unrefTimer } from './device-clock.js';
import { ViewerError, verifying, viewerReasonOf } from './errors.js';

export interface LiveFrame {
  /**
   * The verified, decrypted content: for codec 1 a JPEG picture; for a timed codec (2 H.264, 3 H.265,
   * 5 AAC) the camera's unit, unchanged (an Annex B access unit, an ADTS frame; PROTOCOL.md §6.7).
   * A JPEG sealed with its capture time (codec 6) is reported as codec 1 with `capturedAtUs`.
   */
  readonly data: Uint8Array;
  readonly codec: number;
  /** The capture time sealed with the unit, Unix microseconds (device clock); null for a bare JPEG. */
  readonly capturedAtUs: number | null;
  /**
   * Whether this frame is live (§6.8): its age bounded against the device's clock, measured with a
   * signed clock proof. Only `live` frames may be presented as live; `delayed` ones are verified
   * video of an earlier moment (show their age); `unconfirmed` ones could not be placed in time.
   */
  readonly freshness: Freshness;
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

/** Where this view resumes a stream: the last accepted manifest and the highest counter opened under it. */
export interface StreamResume {
  readonly epoch: number;
  readonly hash: Uint8Array;
  readonly counter?: number;
}

/** Until the first clock answer, frames wait (at most this long, and this many) so they get a verdict. */
export const CLOCK_HOLD_MS = 3000;
const CLOCK_HOLD_FRAMES = 256;
/** Messages kept while a manifest's key is agreed (platform-held keys: well under a millisecond). */
const MAX_WAITING_MESSAGES = 512;
/** The highest opened counter is saved at most this often (and when the view closes). */
const COUNTER_SAVE_MS = 5000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A held frame's freshness until it is delivered (never handed out). */
const NOT_YET_PLACED: Freshness = { state: 'unconfirmed', why: 'no-clock' };

/**
 * One camera stream for one viewer: manifests give epoch keys only after verification with the
 * card of the device this viewer paired with, frames open only under those keys, and each frame is
 * placed in time against the device's clock (§6.8). The routing ids around each message are not
 * trusted: a frame of another camera fails to open.
 */
export class LiveView {
  private readonly opener: FrameOpener;
  private previous: StreamResume | undefined;
  private keyed = false;
  /** The last keyframe shown: the relay sends its cached copy again after a (re)subscribe. */
  private lastKeyframe: { keyId: number; counter: number } | null = null;
  private lastResync = 0;
  private readonly deviceId: DeviceId;
  private readonly clock: DeviceClock;
  /** Frames waiting for the first clock answer; null once it came or the wait ended. */
  private held: Mutable<LiveFrame>[] | null = [];
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private opened: { epoch: number; counter: number } | null = null;
  private savedAt = 0;
  private keyIdCache: { epoch: number; keyId: number } | null = null;

  /** Messages that came while a manifest's key agreement was under way; null when none is. */
  private waiting: LiveMessage[] | null = null;
  private droppedWhileWaiting = 0;
  private closed = false;

  constructor(
    private readonly keys: KeyHolder,
    private readonly device: IdentityCard,
    readonly streamId: StreamId,
    private readonly handlers: LiveHandlers,
    previous: StreamResume | undefined,
    private readonly onManifestAccepted: (epoch: number, hash: string) => void,
    /** Asks the relay again for the cached manifest (after a bad one, frames cannot open). */
    private readonly resync: () => void = () => undefined,
    /** Sends a clock question (a nonce in hex) for this stream to the relay. */
    askClock: (nonceHex: string) => void = () => undefined,
    /** Saves the highest counter opened in an epoch (replay protection across sessions). */
    private readonly onCounter: (epoch: number, counter: number) => void = () => undefined,
  ) {
    this.opener = new FrameOpener({ deviceId: device.id, streamId });
    this.deviceId = deviceIdOf(device.id);
    this.previous = previous;
    this.clock = new DeviceClock(device, askClock, () => this.release());
  }

  /** Whether a live message is addressed (by its unauthenticated routing ids) to this view. */
  matches(message: LiveMessage): boolean {
    return message.streamId === this.streamId && formatId(message.deviceId) === formatId(this.device.id);
  }

  handle(message: LiveMessage): void {
    if (this.closed) return;
    if (this.waiting) {
      if (this.waiting.length < MAX_WAITING_MESSAGES) this.waiting.push(message);
      else this.droppedWhileWaiting++;
      return;
    }
    this.guarded(message, this.dispatch);
  }

  /** One message, by its type (a method bound once: nothing is allocated per frame). */
  private readonly dispatch = (message: LiveMessage): void => {
    if (message.type === WireType.LiveManifest) this.onManifest(message);
    else if (message.type === WireType.LiveClock)
      verifying('clock', () => this.clock.handleProof(message.payload));
    else this.onFrame(message.payload);
  };

  /** Runs one message's step; a refusal goes to the handlers, anything else is thrown. */
  private guarded(message: LiveMessage, step: (message: LiveMessage) => void): void {
    try {
      step(message);
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

  /**
   * Keys in memory open the manifest at once. Keys held by the platform agree the key asynchronously:
   * until then the messages that follow wait, in order, so that none is opened before its key.
   */
  private onManifest(message: LiveMessage): void {
    const payload = message.payload;
    if (this.keys.inMemory) {
      this.acceptManifest(payload, this.keys.inMemory);
      return;
    }
    const ephemeral = verifying('manifest', () => verifyManifest(payload, this.device).ephemeralPublicKey);
    this.waiting = [];
    const resume = (step: () => void) => {
      const waiting = this.waiting ?? [];
      this.waiting = null;
      if (this.closed) return;
      if (this.droppedWhileWaiting > 0) {
        const detail = `${this.droppedWhileWaiting} live messages dropped while the key was agreed`;
        this.droppedWhileWaiting = 0;
        this.handlers.onRejected?.(new ViewerError('NO_KEY_YET', 'frame', detail));
      }
      // The waiting messages are handled even if one of them throws (a bug, not a refusal): rethrown after.
      let failure: unknown = null;
      const run = (next: () => void) => {
        try {
          next();
        } catch (error) {
          failure ??= error;
        }
      };
      run(() => this.guarded(message, step));
      for (let i = 0; i < waiting.length; i++) {
        if (this.waiting) {
          (this.waiting as LiveMessage[]).push(...waiting.slice(i));
          break;
        }
        run(() => this.handle(waiting[i]!));
      }
      if (failure) throw failure;
    };
    viewerFor(this.keys, ephemeral).then(
      (viewer) =>
        resume(() => {
          try {
            this.acceptManifest(payload, viewer);
          } finally {
            if ('shared' in viewer) viewer.shared.fill(0);
          }
        }),
      (error: unknown) =>
        resume(() =>
          verifying('manifest', () => {
            throw error;
          }),
        ),
    );
  }

  private acceptManifest(payload: Uint8Array, viewer: Identity | AgreedKey): void {
    const opened = verifying('manifest', () =>
      openManifest(payload, {
        viewer,
        device: this.device,
        streamId: this.streamId,
        now: Date.now(),
        previous: this.previous,
      }),
    );
    const { epoch, notBefore, notAfter } = opened.manifest;
    const resumed = this.previous?.epoch === epoch ? this.previous.counter : undefined;
    verifying('manifest', () =>
      this.opener.addEpoch({
        epoch,
        epochKey: opened.epochKey,
        notBefore,
        notAfter,
        ...(resumed !== undefined ? { openedThrough: resumed } : {}),
      }),
    );
    opened.epochKey.fill(0);
    this.previous = { epoch, hash: opened.hash, ...(resumed !== undefined ? { counter: resumed } : {}) };
    this.keyed = true;
    this.onManifestAccepted(epoch, toHex(opened.hash));
  }

  private onFrame(payload: Uint8Array): void {
    if (this.alreadyShown(payload)) return;
    const frame = verifying('frame', () => this.opener.open(payload, Date.now()));
    const media = isTimedCodec(frame.codec)
      ? verifying('frame', () => decodeMediaPayload(frame.payload))
      : null;
    if (frame.keyframe) this.lastKeyframe = { keyId: this.keyIdOf(frame.epoch), counter: frame.counter };
    this.noteOpened(frame.epoch, frame.counter);
    // One object per frame: its freshness is filled in when it is delivered.
    const verified: Mutable<LiveFrame> = {
      data: media ? media.unit : frame.payload,
      capturedAtUs: media ? media.capturedAtUs : null,
      codec: frame.codec === Codec.JpegTimed ? Codec.Jpeg : frame.codec,
      freshness: NOT_YET_PLACED,
      keyframe: frame.keyframe,
      epoch: frame.epoch,
      counter: frame.counter,
    };
    if (!this.held) {
      this.deliver(verified);
      return;
    }
    this.held.push(verified);
    if (this.held.length >= CLOCK_HOLD_FRAMES) this.release();
    else if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => this.release(), CLOCK_HOLD_MS);
      unrefTimer(this.holdTimer);
    }
  }

  /**
   * A frame this viewer has shown already, which the relay sends again without any attack: its cached
   * keyframe after a (re)subscription, or, before this view opened anything, a frame at or below the
   * counter an earlier session saved for the resumed epoch. Dropped quietly (nothing is shown, and
   * the opener would refuse it as REPLAYED anyway). Only the clear header is read: on the per-frame
   * path just the flags, without allocating.
   */
  private alreadyShown(payload: Uint8Array): boolean {
    const resumed = this.opened === null ? this.previous?.counter : undefined;
    if (resumed === undefined && !this.lastKeyframe) return false;
    if (resumed === undefined && !verifying('frame', () => frameKeyframeAt(payload, 0))) return false;
    const header = verifying('frame', () => parseFrameHeader(payload));
    if (this.lastKeyframe?.counter === header.counter && this.lastKeyframe.keyId === header.keyId)
      return true;
    return (
      resumed !== undefined &&
      header.counter <= resumed &&
      this.keyIdOf(this.previous!.epoch) === header.keyId
    );
  }

  /** The key id of an epoch of this stream (§6.2), computed once per epoch. */
  private keyIdOf(epoch: number): number {
    if (this.keyIdCache?.epoch !== epoch)
      this.keyIdCache = { epoch, keyId: frameKeyId(this.device.id, this.streamId, epoch) };
    return this.keyIdCache.keyId;
  }

  /** Delivers with the freshness at the moment of delivery (what the viewer is shown, when). */
  private deliver(frame: Mutable<LiveFrame>): void {
    const freshness = freshnessOf(this.clock.usableSample(), frame.capturedAtUs, monotonicMs());
    if (freshness.state === 'unconfirmed' && freshness.why === 'clock-changed') this.clock.invalidate();
    frame.freshness = freshness;
    this.handlers.onFrame(frame);
  }

  /** The first clock answer came, or the wait for it ended: held frames go, later ones at once. */
  private release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    const held = this.held;
    this.held = null;
    for (const frame of held ?? []) this.deliver(frame);
  }

  private noteOpened(epoch: number, counter: number): void {
    this.opened = { epoch, counter };
    const now = Date.now();
    if (now - this.savedAt < COUNTER_SAVE_MS) return;
    this.savedAt = now;
    this.onCounter(epoch, counter);
  }

  control(message: RelayToViewer): void {
    if (message.op === 'subscribed') {
      if (message.deviceId !== this.deviceId || message.streamId !== this.streamId) return;
      this.clock.ask();
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
    this.closed = true;
    this.waiting = null;
    if (this.opened) this.onCounter(this.opened.epoch, this.opened.counter);
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held = null;
    this.clock.close();
    this.opener.destroy();
  }
}
