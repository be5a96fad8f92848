import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Admission control for reconnect storms: a token bucket (steady rate + burst) on handshakes, and
 * a cap on open connections. Over capacity, callers answer 503 + Retry-After / close 4503 with a
 * retry hint instead of doing the expensive work.
 */
export class Admission {
  private readonly handshakes: BurstyRateLimiter;
  private open = 0;

  constructor(
    private readonly options: {
      handshakeRate: number;
      handshakeBurst: number;
      maxConnections: number;
      retryAfterSeconds: number;
    },
  ) {
    this.handshakes = new BurstyRateLimiter(
      new RateLimiterMemory({ points: options.handshakeRate, duration: 1 }),
      new RateLimiterMemory({ points: options.handshakeBurst, duration: 10 }),
    );
  }

  /** null when admitted, else the number of seconds the client should wait (before jitter). */
  async admitHandshake(): Promise<number | null> {
    try {
      await this.handshakes.consume('handshake', 1);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes)
        return Math.max(this.options.retryAfterSeconds, Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
  }

  connectionOpened(): boolean {
    if (this.open >= this.options.maxConnections) return false;
    this.open += 1;
    return true;
  }

  connectionClosed(): void {
    this.open = Math.max(0, this.open - 1);
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
