import { MAX_RECONNECT_SECONDS } from '@sealcam/protocol/relay-safe';

export { MAX_RECONNECT_SECONDS };

/**
 * The reconnect window (PROTOCOL.md §16.2) for `connections` open connections: the time the relay's
 * admission takes to let them all back in at `handshakesPerSecond` (each reconnection takes one
 * challenge and one upgrade, from separate buckets of that rate), at least 1 s.
 */
export function reconnectWindowSeconds(connections: number, handshakesPerSecond: number): number {
  const seconds = Math.ceil(connections / Math.max(1, handshakesPerSecond));
  return Math.min(MAX_RECONNECT_SECONDS, Math.max(1, seconds));
}
