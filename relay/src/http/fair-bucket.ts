import { TokenBucket } from 'limiter';

const WINDOW_MS = 1000;

export type FairRefusal = { readonly reason: 'fair-share' | 'capacity'; readonly msBeforeNext: number };

/**
 * A relay-wide token bucket (`limiter`'s TokenBucket: `rate` tokens a second, holding at most
 * max(rate, burst)) that many sources cannot drain between them.
 *
 * Every attempt counts against its source for the current 1 s window, refused ones too. While the
 * bucket is at least half full, anyone takes. Under pressure (less than half left) a source whose
 * attempts in this window exceed its share, rate / (2 x sources seen in this or the last window),
 * is refused before it takes a token; a source alone has nobody to share with. Under pressure the
 * sources together then take at most about rate / 2 a window while the bucket refills by `rate`,
 * so it does not run dry, and a low-rate source (one attempt a window, while fewer than rate / 2
 * sources ask) always finds a token.
 *
 * Everything before the bucket is taken from runs synchronously, so concurrent attempts cannot
 * all pass the check before any of them takes a token.
 *
 * At most `maxSources` sources are counted in a window (memory bounded by count whoever asks). A
 * source beyond them is not counted: under pressure it is refused as over its share (its count is
 * unknown; with that many sources a share is 1 at any rate below 131,072 a second), otherwise it
 * takes from the bucket like anyone.
 */
export class FairBucket {
  private readonly bucket: TokenBucket;
  private attempts = new Map<string, number>();
  private previousSources = 0;
  private windowEnds = 0;

  constructor(
    private readonly rate: number,
    burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxSources: number = 65_536,
  ) {
    this.bucket = new TokenBucket({
      bucketSize: Math.max(rate, burst),
      tokensPerInterval: rate,
      interval: 'second',
    });
    this.bucket.content = this.bucket.bucketSize;
  }

  /** null when a token was taken for `source`, else why not and for how long. */
  take(source: string): FairRefusal | null {
    const now = this.now();
    if (now >= this.windowEnds) {
      // A new window: its shares are sized by the last window's crowd too (it is still knocking).
      this.previousSources = this.attempts.size;
      this.attempts = new Map();
      this.windowEnds = now + WINDOW_MS;
    }
    const known = this.attempts.get(source);
    const counted = known !== undefined || this.attempts.size < this.maxSources;
    const attempts = (known ?? 0) + 1;
    if (counted) this.attempts.set(source, attempts);
    this.bucket.drip();
    const pressure = this.bucket.content * 2 < this.bucket.bucketSize;
    if (pressure && (!counted || attempts > this.share())) {
      return { reason: 'fair-share', msBeforeNext: Math.max(1, this.windowEnds - now) };
    }
    if (this.bucket.tryRemoveTokens(1)) return null;
    return { reason: 'capacity', msBeforeNext: Math.ceil(this.bucket.getWaitTime(1)) };
  }

  private share(): number {
    const sources = Math.max(this.previousSources, this.attempts.size);
    if (sources <= 1) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.floor(this.rate / (2 * sources)));
  }

  /** Sources counted in the current window (for tests and metrics). */
  get sources(): number {
    return this.attempts.size;
  }
}
