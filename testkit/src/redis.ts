/** The one redis-server launcher is the relay's public one; tests know it by this name. */
export { RedisServer as TestRedis } from '@sealcam/relay/redis-server';
