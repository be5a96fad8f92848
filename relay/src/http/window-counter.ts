import { LRUCache } from 'lru-cache';

/** Keys a WindowCounter tracks at most, unless told otherwise. */
export const DEFAULT_MAX_KEYS = 100_000;
/** Longest key kept as it is; longer keys are cut (callers pass addresses and ids, never this long). */
const MAX_KEY_CHARS = 128;

/**
 * At most `limit` takes per key in a fixed window of `windowMs` that starts at the key's first take,
 * with at most `maxKeys` keys tracked: beyond, the least recently used key is forgotten (its window
 * starts over). Memory is bounded by count and key size whoever asks; forgetting a key only ever
 * lets that key in more, and a key still in use is recent, so it takes `maxKeys` other keys within
 * one window to push it out.
 */
export class WindowCounter {
  private readonly counts: LRUCache<string, number>;

  constructor(
    private readonly limit: number,
    windowMs: number,
    maxKeys: number = DEFAULT_MAX_KEYS,
  ) {
    // noUpdateTTL: the window is fixed at the first take, later takes do not extend it.
    this.counts = new LRUCache<string, number>({ max: maxKeys, ttl: windowMs, noUpdateTTL: true });
  }

  /** null when `key` may take one more now (and it is counted), else milliseconds until its window ends. */
  take(key: string): number | null {
    const bounded = key.length > MAX_KEY_CHARS ? key.slice(0, MAX_KEY_CHARS) : key;
    const used = this.counts.get(bounded) ?? 0;
    if (used >= this.limit) return Math.max(1, this.counts.getRemainingTTL(bounded));
    this.counts.set(bounded, used + 1);
    return null;
  }

  /** Keys tracked now (expired ones may still be counted until they are touched or pushed out). */
  get size(): number {
    return this.counts.size;
  }
}
