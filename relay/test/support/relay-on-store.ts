import { after, before } from 'node:test';
import { TestRedis } from '@sealcam/testkit/redis';
import type { RelayConfig } from '../../src/config/config.js';
import { type RunningRelay, startInProcessRelay } from './relay-process.js';

/**
 * An in-process relay on `store` (with its own redis-server for 'redis') for the enclosing suite:
 * started before its tests, stopped after. Read the relay through the returned getter.
 */
export function relayOnStore(
  store: 'memory' | 'redis',
  overrides: Partial<RelayConfig> = {},
): () => RunningRelay {
  let redis: TestRedis | undefined;
  let running: RunningRelay | undefined;
  before(async () => {
    if (store === 'redis') redis = await TestRedis.start();
    running = await startInProcessRelay({ store, ...(redis ? { redisUrl: redis.url } : {}), ...overrides });
  });
  after(async () => {
    await running?.stop();
    await redis?.stop();
  });
  return () => {
    if (!running) throw new Error('the relay is not started yet');
    return running;
  };
}
