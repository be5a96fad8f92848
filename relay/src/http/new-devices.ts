import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const HOUR_MS = 3_600_000;

/**
 * New device identities per source address. Identities are free, and each device identity may hold
 * its own share of the store (an access list, events): a stranger who makes thousands of devices
 * could fill the store with small records until the busiest honest camera is the one refused. A
 * gateway logs in again and again as the same device, so only identities this source has not shown
 * in the last hour count, at most `perHour` of them; beyond, its logins as new devices are refused
 * (429 + Retry-After). Viewers store nothing on the relay and are not counted.
 */
export class NewDeviceLimit {
  private readonly seen = new LRUCache<string, true>({ max: 100_000, ttl: HOUR_MS });
  private readonly limiter: RateLimiterMemory;

  constructor(perHour: number) {
    this.limiter = new RateLimiterMemory({ points: perHour, duration: HOUR_MS / 1000 });
  }

  /** null when `deviceId` may log in from `source`, else seconds to wait. */
  async admit(source: string, deviceId: string): Promise<number | null> {
    const pair = `${source} ${deviceId}`;
    if (this.seen.get(pair)) return null;
    try {
      await this.limiter.consume(source, 1);
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
    this.seen.set(pair, true);
    return null;
  }
}
