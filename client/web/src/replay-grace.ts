/**
 * When the live connection comes back, the relay re-sends the stream's cached keyframe and then
 * confirms the subscription ("subscribed"). That keyframe was often shown already, so the SDK
 * refuses it as REPLAYED — correctly (nothing is shown), but it is no sign of tampering. A REPLAYED
 * refusal is therefore held for a moment: if a "subscribed" follows within the grace period, that
 * one refusal is the relay's resend and is dropped; otherwise it is reported. At most one refusal
 * per "subscribed" is dropped, as the relay re-sends one keyframe. Timers are injectable for tests.
 */
export const REPLAY_GRACE_MS = 1500;

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Held<E> {
  readonly error: E;
  readonly at: number;
  readonly handle: unknown;
}

export class ReplayGrace<E = unknown> {
  private held: Held<E>[] = [];

  constructor(
    private readonly graceMs = REPLAY_GRACE_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Holds a REPLAYED refusal; `report` runs after the grace period unless a resubscription explains it. */
  hold(error: E, now: number, report: (error: E) => void): void {
    const entry: Held<E> = {
      error,
      at: now,
      handle: this.timers.set(() => {
        this.held = this.held.filter((held) => held !== entry);
        report(error);
      }, this.graceMs),
    };
    this.held.push(entry);
  }

  /** The relay confirmed a (re)subscription: drops the most recent refusal held within the grace. */
  resubscribed(now: number): boolean {
    for (let i = this.held.length - 1; i >= 0; i--) {
      const entry = this.held[i]!;
      if (now - entry.at > this.graceMs) continue;
      this.timers.clear(entry.handle);
      this.held.splice(i, 1);
      return true;
    }
    return false;
  }

  /** Drops everything held without reporting (the tile closed). */
  flush(): void {
    for (const entry of this.held) this.timers.clear(entry.handle);
    this.held = [];
  }

  get pending(): number {
    return this.held.length;
  }
}
