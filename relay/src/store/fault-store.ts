import type { Metrics } from '../ops/metrics.js';
import type { Store } from './store.js';

/** Lookups whose answers the fault seam may misroute. */
const LOOKUPS = new Set(['getEvent', 'getEventItem', 'getManifest', 'getKeyframe', 'listEvents']);
const RECENT = 256;

/** A result worth handing to another caller: an object found, or a listing that is not empty. */
function isAnswer(result: unknown): boolean {
  if (result === null) return false;
  const events = (result as { events?: unknown }).events;
  return !Array.isArray(events) || events.length > 0;
}

/**
 * TEST ONLY — the fault seam for the drill. With probability `rate` per lookup, the answer is
 * misrouted in one of two ways taken from real incidents:
 *  - a leftover reply: the caller gets the previous caller's result (as when a cancelled command's
 *    reply stays in a pooled connection) and its own result is left for the next caller;
 *  - a mixed-up mapping: the caller gets a recent result of another lookup (another device's object).
 * Never enabled unless configured; the relay logs a loud warning and /healthz shows it.
 */
export function faultyStore(
  store: Store,
  rate: number,
  metrics: Metrics,
  random: () => number = Math.random,
): Store {
  const leftover = new Map<string, unknown>();
  const recent = new Map<string, unknown[]>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !LOOKUPS.has(property) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const real: unknown = await value.apply(target, args);
        const pool = recent.get(property) ?? [];
        if (isAnswer(real)) {
          pool.push(real);
          if (pool.length > RECENT) pool.shift();
          recent.set(property, pool);
        }
        const roll = random();
        if (roll < rate / 2 && leftover.has(property)) {
          const stale = leftover.get(property);
          leftover.set(property, real);
          metrics.faultMisroutes.inc({ where: 'store-leftover-reply' });
          return stale;
        }
        leftover.set(property, real);
        if (roll < rate && pool.length > 1) {
          metrics.faultMisroutes.inc({ where: 'store-mixed-mapping' });
          return pool[Math.floor(random() * pool.length)];
        }
        return real;
      };
    },
  });
}
