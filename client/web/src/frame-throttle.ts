/**
 * Decides which live frames get decoded: the newest one wins, at most one decode is in flight and
 * at most one frame waits; frames that arrive in between are dropped (counted). A minimum interval
 * between decodes slows a tile the user cannot see. Pure (no DOM, no clock of its own): the caller
 * schedules a render when `offer` or `finish` says so, waits `delay(now)`, then calls `take(now)`.
 */
export class FrameThrottle<T> {
  private waiting: T | undefined;
  private state: 'idle' | 'scheduled' | 'decoding' = 'idle';
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Frames replaced by a newer one before they were decoded. */
  dropped = 0;

  constructor(private minIntervalMs = 0) {}

  /** Sets the minimum time between two decodes (0: as fast as the screen refreshes). */
  setMinInterval(ms: number): void {
    this.minIntervalMs = Math.max(0, ms);
  }

  /** A frame arrived. True when the caller should schedule a render (none is scheduled or running). */
  offer(frame: T): boolean {
    if (this.waiting !== undefined) this.dropped++;
    this.waiting = frame;
    if (this.state !== 'idle') return false;
    this.state = 'scheduled';
    return true;
  }

  /** How long the scheduled render should wait before `take`, in ms. */
  delay(now: number): number {
    return Math.max(0, this.lastStart + this.minIntervalMs - now);
  }

  /** The frame to decode now (the newest), or undefined when there is none. */
  take(now: number): T | undefined {
    const frame = this.waiting;
    this.waiting = undefined;
    if (frame === undefined) {
      this.state = 'idle';
      return undefined;
    }
    this.state = 'decoding';
    this.lastStart = now;
    return frame;
  }

  /** The decode finished (shown or failed). True when another frame waits: schedule a render. */
  finish(): boolean {
    if (this.waiting === undefined) {
      this.state = 'idle';
      return false;
    }
    this.state = 'scheduled';
    return true;
  }

  /** Forgets the waiting frame; a render already scheduled then finds nothing and goes idle. */
  reset(): void {
    if (this.waiting !== undefined) this.dropped++;
    this.waiting = undefined;
  }

  get pending(): boolean {
    return this.waiting !== undefined;
  }
}
