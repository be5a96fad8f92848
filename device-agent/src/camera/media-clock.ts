/** A unit arriving at least this share of its timestamp step after the previous one came at the camera's pace. */
const PACED_SHARE = 0.5;
/** However units come, the clock settles this long after the first (timestamps that never advance). */
const SETTLE_LIMIT_US = 3_000_000;

/**
 * Maps a stream's presentation timestamps to wall time: timestamp + the least (arrival − timestamp)
 * seen so far, i.e. as if every unit had come as fast as the fastest one did. Frame spacing is the
 * camera's, not the arrival jitter's, and no capture time is later than its unit's arrival.
 *
 * ffmpeg holds every packet while it probes the streams (up to a second) and then lets them out in
 * a burst: anchoring at the first unit would put every capture time a second late. Until the clock
 * is `settled` (a unit came at the camera's pace, PACED_SHARE of its timestamp step after the
 * previous one, or SETTLE_LIMIT_US passed) the caller holds its units and maps them once it is.
 * Results of wallUs are strictly increasing (a repeated or earlier timestamp gets the last + 1 µs).
 */
export class MediaClock {
  /** Wall time − presentation time, µs: the least seen so far. */
  private offsetUs: number | null = null;
  private previous: { wallUs: number; ptsUs: number } | null = null;
  private firstWallUs = 0;
  private lastUs = 0;
  settled = false;

  constructor(private readonly nowMs: () => number = Date.now) {}

  get started(): boolean {
    return this.offsetUs !== null;
  }

  reset(): void {
    this.offsetUs = null;
    this.previous = null;
    this.settled = false;
  }

  /** A unit with this timestamp arrived now: refines the mapping. Returns whether the clock is settled. */
  observe(ptsUs: number): boolean {
    const wallUs = this.nowMs() * 1000;
    const offsetUs = wallUs - ptsUs;
    if (this.offsetUs === null || this.previous === null) {
      this.offsetUs = offsetUs;
      this.firstWallUs = wallUs;
    } else {
      this.offsetUs = Math.min(this.offsetUs, offsetUs);
      const step = ptsUs - this.previous.ptsUs;
      const paced = step > 0 && wallUs - this.previous.wallUs >= PACED_SHARE * step;
      if (paced || wallUs - this.firstWallUs >= SETTLE_LIMIT_US) this.settled = true;
    }
    this.previous = { wallUs, ptsUs };
    return this.settled;
  }

  /** Wall time, Unix microseconds, of a presentation time in microseconds (after a first observe). */
  wallUs(ptsUs: number): number {
    const us = Math.max(Math.round(ptsUs + (this.offsetUs ?? 0)), this.lastUs + 1);
    this.lastUs = us;
    return us;
  }

  /** Same mapping without the monotonic step (for stills and sound placed between units). */
  peekUs(ptsUs: number): number | null {
    return this.offsetUs === null ? null : Math.round(ptsUs + this.offsetUs);
  }
}

/** A framecrc timestamp in its time base → microseconds. */
export function toMicros(value: number, timeBase: { num: number; den: number } | undefined): number {
  const { num, den } = timeBase ?? { num: 1, den: 90_000 };
  return (value * num * 1_000_000) / den;
}
