import { TokenBucket } from 'limiter';

/** Allowances are per sliding second; generations of state are at least this long. */
const SECOND_MS = 1000;

const NONE: readonly number[] = [];

/** How many of `times` (ascending) are later than `since`. */
function takenAfter(times: readonly number[], since: number): number {
  let count = 0;
  for (let i = times.length - 1; i >= 0 && times[i]! > since; i--) count++;
  return count;
}

export type FairRefusal = { readonly reason: 'fair-share' | 'capacity'; readonly msBeforeNext: number };

/**
 * A relay-wide token bucket (`limiter`'s TokenBucket: `rate` tokens a second, holding at most
 * max(rate, burst)) that many sources cannot drain between them.
 *
 * While the bucket is at least half full, anyone takes. Under pressure (less than half left) every
 * source that asks is counted (the askers of the last one to two seconds), and each may take at most
 * its allowance, max(1, rate / (4 x askers)), in any second; over it, it is refused before it touches
 * the bucket. A source asking alone has nobody to share with and is not limited.
 *
 * Why that holds whatever the timing (event-loop stalls included): from the last moment the bucket
 * was half full, S askers with allowance 1 take at most S x (T + 1) tokens in T seconds while it
 * refills by rate x T, so it never holds less than half - 1 - S: with fewer than rate / 2 - 1 askers
 * a source asking once a second always finds a token. Larger allowances sum to at most rate / 4 for
 * as long as the askers stay; when many new askers arrive at once, those that took larger
 * allowances just before can have taken up to rate / 4 more, which the half-full margin absorbs
 * while askers stay below rate / 4.
 *
 * Memory, whoever asks: takes are remembered only for the last two generations (each took a token:
 * at most 2 x (bucket + rate) of them), askers are counted up to `maxAskers` a generation (beyond,
 * a new asker is not counted and the allowance is that of maxAskers).
 */
export class FairBucket {
  private readonly bucket: TokenBucket;
  /** Source → when it took under pressure, in this generation and the one before. */
  private recentTakes = new Map<string, number[]>();
  private olderTakes = new Map<string, number[]>();
  private recentAskers = new Set<string>();
  private olderAskers = new Set<string>();
  private generationEnds = 0;

  constructor(
    private readonly rate: number,
    burst: number,
    private readonly maxAskers: number = 65_536,
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
    // The bucket's own clock (limiter drips by performance.now()), so both see the same time.
    const now = performance.now();
    if (now >= this.generationEnds) {
      // What is older than both generations is more than a second old: forgotten.
      const keep = now - this.generationEnds < SECOND_MS;
      this.olderTakes = keep ? this.recentTakes : new Map();
      this.olderAskers = keep ? this.recentAskers : new Set();
      this.recentTakes = new Map();
      this.recentAskers = new Set();
      this.generationEnds = now + SECOND_MS;
    }
    this.bucket.drip();
    const pressure = this.bucket.content * 2 < this.bucket.bucketSize;
    if (pressure) {
      if (this.recentAskers.size < this.maxAskers) this.recentAskers.add(source);
      const askers = Math.max(this.recentAskers.size, this.olderAskers.size);
      if (askers > 1) {
        const allowance = Math.max(1, Math.floor(this.rate / (4 * askers)));
        // Every ask under pressure comes here (an attack's path): counted in place, nothing copied.
        const older = this.olderTakes.get(source) ?? NONE;
        const recent = this.recentTakes.get(source) ?? NONE;
        const since = now - SECOND_MS;
        const olderInside = takenAfter(older, since);
        const taken = olderInside + takenAfter(recent, since);
        if (taken >= allowance) {
          // The take whose second ends first once `allowance` remain: oldest first, older generation first.
          const nth = taken - allowance;
          const frees =
            nth < olderInside
              ? older[older.length - olderInside + nth]!
              : recent[recent.length - (taken - olderInside) + (nth - olderInside)]!;
          return { reason: 'fair-share', msBeforeNext: Math.max(1, Math.ceil(SECOND_MS - (now - frees))) };
        }
      }
    }
    if (!this.bucket.tryRemoveTokens(1)) {
      return { reason: 'capacity', msBeforeNext: Math.ceil(this.bucket.getWaitTime(1)) };
    }
    if (pressure) {
      const times = this.recentTakes.get(source);
      if (times) times.push(now);
      else this.recentTakes.set(source, [now]);
    }
    return null;
  }

  /** Sources whose takes are remembered now (for tests): bounded by the tokens taken in two generations. */
  get remembered(): number {
    return this.recentTakes.size + this.olderTakes.size;
  }

  /** Askers counted in the current generation (for tests): at most maxAskers. */
  get askers(): number {
    return this.recentAskers.size;
  }
}
