import { TokenBucket } from 'limiter';

/** Under pressure, a source takes at most one token in any span this long. */
const SPACING_MS = 1000;

export type FairRefusal = { readonly reason: 'fair-share' | 'capacity'; readonly msBeforeNext: number };

/**
 * A relay-wide token bucket (`limiter`'s TokenBucket: `rate` tokens a second, holding at most
 * max(rate, burst)) that many sources cannot drain between them.
 *
 * While the bucket is at least half full, anyone takes. Under pressure (less than half left) a
 * source takes at most one token a second: one that took under pressure less than a second ago is
 * refused before it touches the bucket. Why that is enough, whatever the timing (event-loop stalls
 * included): from the last moment the bucket was half full, S sources together take at most
 * S x (T + 1) tokens in T seconds while it refills by rate x T, so it never holds less than
 * half - 1 - S. With fewer than rate / 2 - 1 sources asking, a source asking once a second always
 * finds a token. A source alone loses nothing: the bucket refills above half within 1 / rate
 * seconds and it takes freely again.
 *
 * Memory: only the sources that took a token under pressure in the last two generations (each at
 * least a second long) are remembered; each took a token, so there are at most 2 x (bucket + rate)
 * of them, whoever asks.
 */
export class FairBucket {
  private readonly bucket: TokenBucket;
  /** Source → when it last took under pressure, for takes in this generation and the one before. */
  private recent = new Map<string, number>();
  private older = new Map<string, number>();
  private generationEnds = 0;

  constructor(rate: number, burst: number) {
    this.bucket = new TokenBucket({
      bucketSize: Math.max(rate, burst),
      tokensPerInterval: rate,
      interval: 'second',
    });
    this.bucket.content = this.bucket.bucketSize;
  }

  /** null when a token was taken for `source`, else why not and for how long. */
  take(source: string): FairRefusal | null {
    // The bucket's own clock (limiter drips by performance.now()), so both see the same time.
    const now = performance.now();
    if (now >= this.generationEnds) {
      // A take older than both generations is more than SPACING_MS old: forget it.
      this.older = now - this.generationEnds < SPACING_MS ? this.recent : new Map();
      this.recent = new Map();
      this.generationEnds = now + SPACING_MS;
    }
    this.bucket.drip();
    const pressure = this.bucket.content * 2 < this.bucket.bucketSize;
    if (pressure) {
      const last = this.recent.get(source) ?? this.older.get(source);
      if (last !== undefined && now - last < SPACING_MS) {
        return { reason: 'fair-share', msBeforeNext: Math.max(1, SPACING_MS - (now - last)) };
      }
    }
    if (!this.bucket.tryRemoveTokens(1)) {
      return { reason: 'capacity', msBeforeNext: Math.ceil(this.bucket.getWaitTime(1)) };
    }
    if (pressure) this.recent.set(source, now);
    return null;
  }

  /** Sources remembered now (for tests): bounded by the tokens taken in the last two generations. */
  get remembered(): number {
    return this.recent.size + this.older.size;
  }
}
