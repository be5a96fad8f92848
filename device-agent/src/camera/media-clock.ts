/**
 * Maps a stream's presentation timestamps to wall time: the wall clock when the first timestamp was
 * seen plus the timestamp's distance from it, so frame spacing is the camera's, not the arrival
 * jitter's. Results are strictly increasing (a repeated or earlier timestamp gets the last time + 1 µs).
 */
export class MediaClock {
  private anchor: { wallUs: number; ptsUs: number } | null = null;
  private lastUs = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  get started(): boolean {
    return this.anchor !== null;
  }

  reset(): void {
    this.anchor = null;
  }

  /** Wall time, Unix microseconds, of a presentation time in microseconds. */
  wallUs(ptsUs: number): number {
    this.anchor ??= { wallUs: Math.round(this.nowMs() * 1000), ptsUs };
    const us = Math.max(this.anchor.wallUs + Math.round(ptsUs - this.anchor.ptsUs), this.lastUs + 1);
    this.lastUs = us;
    return us;
  }

  /** Same mapping without the monotonic step (for stills placed between units). */
  peekUs(ptsUs: number): number | null {
    return this.anchor ? this.anchor.wallUs + Math.round(ptsUs - this.anchor.ptsUs) : null;
  }
}

/** A framecrc timestamp in its time base → microseconds. */
export function toMicros(value: number, timeBase: { num: number; den: number } | undefined): number {
  const { num, den } = timeBase ?? { num: 1, den: 90_000 };
  return (value * num * 1_000_000) / den;
}
