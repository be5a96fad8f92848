import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const KEY = 'relay';
const WINDOW_MS = 1000;

export type FairRefusal = { readonly reason: 'fair-share' | 'capacity'; readonly msBeforeNext: number };

/**
 * A relay-wide token bucket (steady rate per second + a burst per 10 s, rate-limiter-flexible)
 * that many sources cannot drain between them. Every attempt is counted against its source for
 * the bucket's current 1 s window. While the window's first half of the rate is left, anyone
 * takes; beyond (under pressure) a source is refused BEFORE it takes a token once its attempts
 * exceed its fair share, rate / (2 x sources seen in this or the last window); a source alone
 * has nobody to share with. The sources
 * together can then take at most about the rate, so a low-rate source (one attempt per window
 * while fewer than rate / 2 sources are active) always finds a token.
 */
export class FairBucket {
  private readonly steady: RateLimiterMemory;
  private readonly limiter: BurstyRateLimiter;
  private attempts = new Map<string, number>();
  private previousSources = 0;
  private windowEnds = 0;

  constructor(
    private readonly rate: number,
    burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.steady = new RateLimiterMemory({ points: rate, duration: WINDOW_MS / 1000 });
    this.limiter = new BurstyRateLimiter(this.steady, new RateLimiterMemory({ points: burst, duration: 10 }));
  }

  /** null when a token was taken for `source`, else why not and for how long. */
  async take(source: string): Promise<FairRefusal | null> {
    // The limiter's own window decides: shares start again exactly when its points do.
    const state = await this.steady.get(KEY);
    const now = this.now();
    const ends = state ? now + state.msBeforeNext : this.windowEnds;
    // No state: the limiter's window ended and the next consume starts one; the attempts so far
    // stay counted until then, so the crowd of the window that ended sizes the next one's shares.
    if (Math.abs(ends - this.windowEnds) > WINDOW_MS / 10) {
      // A new window: size the shares by the last window's crowd too (it is still knocking).
      this.previousSources = this.attempts.size;
      this.attempts = new Map();
      this.windowEnds = ends;
    }
    const attempts = (this.attempts.get(source) ?? 0) + 1;
    this.attempts.set(source, attempts);
    const pressure = (state?.consumedPoints ?? 0) * 2 >= this.rate;
    if (pressure && attempts > this.share()) {
      return { reason: 'fair-share', msBeforeNext: Math.max(1, ends - now) };
    }
    try {
      await this.limiter.consume(KEY, 1);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) return { reason: 'capacity', msBeforeNext: error.msBeforeNext };
      throw error;
    }
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
