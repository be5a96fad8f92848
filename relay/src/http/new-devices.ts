import { LRUCache } from 'lru-cache';
import { DEFAULT_MAX_KEYS, WindowCounter } from './window-counter.js';

const HOUR_MS = 3_600_000;

/**
 * New device identities per source address. Identities are free, and each device identity may hold
 * its own share of the store (an access list, events): a stranger who makes thousands of devices
 * could fill the store with small records until the busiest honest camera is the one refused. A
 * gateway logs in again and again as the same device, so only identities this source has not shown
 * in the last hour count, at most `perHour` of them; beyond, its logins as new devices are refused
 * (429 + Retry-After). Viewers store nothing on the relay and are not counted. Both structures hold
 * at most `maxKeys` entries (least recently used forgotten), so many sources cannot grow memory.
 */
export class NewDeviceLimit {
  private readonly seen: LRUCache<string, true>;
  private readonly perSource: WindowCounter;

  constructor(perHour: number, maxKeys: number = DEFAULT_MAX_KEYS) {
    this.seen = new LRUCache<string, true>({ max: maxKeys, ttl: HOUR_MS });
    this.perSource = new WindowCounter(perHour, HOUR_MS, maxKeys);
  }

  /** null when `deviceId` may log in from `source`, else seconds to wait. */
  async admit(source: string, deviceId: string): Promise<number | null> {
    const pair = `${source} ${deviceId}`;
    if (this.seen.get(pair)) return null;
    const wait = this.perSource.take(source);
    if (wait !== null) return Math.max(1, Math.ceil(wait / 1000));
    this.seen.set(pair, true);
    return null;
  }

  /** Sources tracked now (bounded by maxKeys). */
  get sources(): number {
    return this.perSource.size;
  }
}
