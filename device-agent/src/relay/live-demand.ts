import type { RelayToDevice } from '@sealcam/protocol';

/** Without a lease, one keyframe per stream this often keeps the relay's cache fresh for late joiners. */
export const IDLE_KEYFRAME_MS = 10_000;

type DemandMessage = Extract<RelayToDevice, { op: 'demand' }>;

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
   * Whether to upload a frame of the stream now. Call once per frame, before sealing it: an idle
   * keyframe it allows counts as sent.
   */
  shouldSend(streamId: string, keyframe: boolean, now: number): boolean {
    if (this.watched(streamId, now)) return true;
    if (!keyframe) return false;
    const last = this.idleKeyframes.get(streamId);
    if (last !== undefined && now - last < IDLE_KEYFRAME_MS && now >= last) return false;
    this.idleKeyframes.set(streamId, now);
    return true;
  }
}
