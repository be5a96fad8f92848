import type { RelayToDevice } from '@sealcam/protocol';

/** Without a lease, one keyframe per stream this often keeps the relay's cache fresh for late joiners. */
export const IDLE_KEYFRAME_MS = 10_000;

type DemandMessage = Extract<RelayToDevice, { op: 'demand' }>;

/** What decides whether a frame may go: its keyframe flag, and whether it decodes on its own. */
export interface FrameKind {
  readonly keyframe: boolean;
  /**
   * An inter-coded video unit (H.264 non-IDR): it decodes only after the units before it, so once
   * one was held back, none goes until the next keyframe. JPEG pictures and audio frames are not.
   */
  readonly dependent: boolean;
  /**
   * A keyframe the relay's cache needs now (a new epoch, a new connection, a viewer's request): it
   * goes even on an unwatched stream, whenever the last idle keyframe went.
   */
  readonly wanted?: boolean;
}

/**
 * Live on demand, the device's half (PROTOCOL.md §16.4): a stream is uploaded live while the relay's
 * lease for it runs; otherwise only a keyframe every IDLE_KEYFRAME_MS, so that a viewer who starts
 * watching sees a recent picture at once and live video from the next keyframe. Until the relay of
 * the current connection announces leases, every frame is uploaded (a relay that grants none).
 */
export class LiveDemand {
  private granting = false;
  private readonly leases = new Map<string, number>();
  private readonly idleKeyframes = new Map<string, number>();
  /** Streams whose last video unit was held back: their next units wait for a keyframe. */
  private readonly broken = new Set<string>();

  /** A new connection: its relay has not said yet whether it grants leases. */
  connected(): void {
    this.granting = false;
  }

  handle(message: DemandMessage, now: number): void {
    if (message.streamId === undefined) {
      this.granting = true;
      return;
    }
    const until = now + message.seconds * 1000;
    if (until > (this.leases.get(message.streamId) ?? 0)) this.leases.set(message.streamId, until);
  }

  /** Whether someone watches the stream now (as far as the relay told). */
  watched(streamId: string, now: number): boolean {
    return !this.granting || (this.leases.get(streamId) ?? 0) > now;
  }

  /**
   * Whether to upload a frame of the stream now. Call once per frame, before sealing it (a frame
   * held back is never sealed, so the counters of what goes stay contiguous): an idle keyframe it
   * allows counts as sent. After video was held back, a watched stream resumes at a keyframe, so a
   * viewer never gets an inter-coded unit whose references it never had.
   */
  shouldSend(streamId: string, frame: FrameKind, now: number): boolean {
    const send = this.decide(streamId, frame, now);
    if (frame.keyframe && send) this.broken.delete(streamId);
    else if (frame.dependent || frame.keyframe) {
      if (!send) this.broken.add(streamId);
    }
    return send;
  }

  private decide(streamId: string, frame: FrameKind, now: number): boolean {
    if (this.watched(streamId, now)) return !(frame.dependent && this.broken.has(streamId));
    if (!frame.keyframe) return false;
    const last = this.idleKeyframes.get(streamId);
    if (!frame.wanted && last !== undefined && now - last < IDLE_KEYFRAME_MS && now >= last) return false;
    this.idleKeyframes.set(streamId, now);
    return true;
  }
}
