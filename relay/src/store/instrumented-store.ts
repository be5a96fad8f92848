import type { Metrics } from '../ops/metrics.js';
import type { Store } from './store.js';

/** Records latency and outcome of every store operation (operation names only: no ids, no bytes). */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'isReady' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const stop = metrics.storeLatency.startTimer({ operation: property });
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          stop();
          metrics.storeOperations.inc({ operation: property, outcome: 'error' });
          throw error;
        }
        if (!(result instanceof Promise)) return result;
        return result.then(
          (resolved) => {
            stop();
            metrics.storeOperations.inc({
              operation: property,
              outcome: typeof resolved === 'string' ? resolved : resolved === null ? 'miss' : 'ok',
            });
            return resolved;
          },
          (error: unknown) => {
            stop();
            metrics.storeOperations.inc({ operation: property, outcome: 'error' });
            throw error;
          },
        );
      };
    },
  });
}
