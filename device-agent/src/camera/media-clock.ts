/** A unit arriving at least this share of its timestamp step after the previous one came at the camera's pace. */
const PACED_SHARE = 0.5;
/** However units come, the clock settles this long after the first (timestamps that never advance). */
const SETTLE_LIMIT_US = 3_000_000;
/** The least delay is taken over blocks of this much wall time… */
const BLOCK_US = 5_000_000;
/** …the latest this many of them: a camera clock slower than ours is followed, not left behind. */
const BLOCKS = 6;

/**
 * Maps a stream's presentation timestamps to wall time: timestamp + the least (arrival − timestamp)
 * seen over the last BLOCKS × BLOCK_US (30 s), i.e. as if every unit had come as fast as the fastest
 * recent one did. Frame spacing is the camera's, not the arrival jitter's, and no capture time is
 * later than its unit's arrival. A least over all time would hold on to the first minutes' offset:
 * a camera clock 100 ppm slow would put capture times 0.36 s early after an hour, 8.6 s after a day.
 *
 * ffmpeg holds every packet while it probes the streams (up to a second) and then lets them out in
 * a burst: anchoring at the first unit would put every capture time a second late. Until the clock
 * is `settled` (a unit came at the camera's pace, PACED_SHARE of its timestamp step after the
 * previous one, or SETTLE_LIMIT_US passed) the caller holds its units and maps them once it is.
 * Results of wallUs are strictly increasing (a repeated or earlier timestamp gets the last + 1 µs).
 */
export class MediaClock {
  /** Wall time − presentation time, µs: the least over the recent blocks. */
  private offsetUs: number | null = null;
  /** The least offset of each recent block of wall time, oldest first. */
  private blocks: { index: number; leastUs: number }[] = [];
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
    this.blocks = [];
    this.previous = null;
    this.settled = false;
  }

  /** A unit with this timestamp arrived now: refines the mapping. Returns whether the clock is settled. */
  observe(ptsUs: number): boolean {
    const wallUs = this.nowMs() * 1000;
    const offsetUs = wallUs - ptsUs;
    this.offsetUs = this.recentLeast(wallUs, offsetUs);
    if (this.previous === null) {
      this.firstWallUs = wallUs;
    } else {
      const step = ptsUs - this.previous.ptsUs;
      const paced = step > 0 && wallUs - this.previous.wallUs >= PACED_SHARE * step;
      if (paced || wallUs - this.firstWallUs >= SETTLE_LIMIT_US) this.settled = true;
    }
    this.previous = { wallUs, ptsUs };
    return this.settled;
  }

  private recentLeast(wallUs: number, offsetUs: number): number {
    const index = Math.floor(wallUs / BLOCK_US);
    const last = this.blocks.at(-1);
    if (last?.index === index) last.leastUs = Math.min(last.leastUs, offsetUs);
    else this.blocks.push({ index, leastUs: offsetUs });
    // Old blocks go; so do any beyond BLOCKS (the wall clock stepped back: indexes out of order).
    while (this.blocks.length > BLOCKS || (this.blocks[0]?.index ?? index) <= index - BLOCKS)
      this.blocks.shift();
    let least = offsetUs;
    for (const block of this.blocks) least = Math.min(least, block.leastUs);
    return least;
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
