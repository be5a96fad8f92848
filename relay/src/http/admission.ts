import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

function bucket(rate: number, burst: number): BurstyRateLimiter {
  return new BurstyRateLimiter(
    new RateLimiterMemory({ points: rate, duration: 1 }),
    new RateLimiterMemory({ points: burst, duration: 10 }),
  );
}

/**
 * Admission control for reconnect storms: token buckets (steady rate + burst) on handshakes, a cap
 * on open connections per process and per identity. Over capacity, callers answer 503 +
 * Retry-After instead of doing the expensive work. Auth challenges and WebSocket upgrades draw
 * from separate buckets, and upgrades only after their token verified, so a flood of one kind (or
 * of unauthenticated requests) cannot starve the other.
 */
export class Admission {
  private readonly challenges: BurstyRateLimiter;
  private readonly upgrades: BurstyRateLimiter;
  private readonly perIdentity = new Map<string, number>();
  private open = 0;

  constructor(
    private readonly options: {
      handshakeRate: number;
      handshakeBurst: number;
      maxConnections: number;
      connectionsPerIdentity: number;
      retryAfterSeconds: number;
    },
  ) {
    this.challenges = bucket(options.handshakeRate, options.handshakeBurst);
    this.upgrades = bucket(options.handshakeRate, options.handshakeBurst);
  }

  private async take(limiter: BurstyRateLimiter): Promise<number | null> {
    try {
      await limiter.consume('handshake', 1);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        return Math.max(this.options.retryAfterSeconds, Math.ceil(error.msBeforeNext / 1000));
      }
      throw error;
    }
  }

  /** null when admitted, else the number of seconds the client should wait (before jitter). */
  admitChallenge(): Promise<number | null> {
    return this.take(this.challenges);
  }

  admitUpgrade(): Promise<number | null> {
    return this.take(this.upgrades);
  }

  /**
   * Takes a connection slot for `identity`, or says which limit is reached. The returned release
   * function is idempotent: call it from every path that ends the connection.
   */
  openConnection(identity: string): { release: () => void } | 'process-limit' | 'identity-limit' {
    if (this.open >= this.options.maxConnections) return 'process-limit';
    const held = this.perIdentity.get(identity) ?? 0;
    if (held >= this.options.connectionsPerIdentity) return 'identity-limit';
    this.open += 1;
    this.perIdentity.set(identity, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open = Math.max(0, this.open - 1);
        const left = (this.perIdentity.get(identity) ?? 1) - 1;
        if (left > 0) this.perIdentity.set(identity, left);
        else this.perIdentity.delete(identity);
      },
    };
  }

  get openConnections(): number {
    return this.open;
  }
}

/** Per-key rate limit (per identity or per connection), steady rate with a 2x burst. */
export class KeyedRateLimit {
  private readonly limiter: RateLimiterMemory;

  constructor(perSecond: number) {
    this.limiter = new RateLimiterMemory({ points: perSecond * 2, duration: 2 });
  }

  /** null when allowed, else seconds to wait. */
  async take(key: string): Promise<number | null> {
    try {
      await this.limiter.consume(key, 1);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
  }
}
