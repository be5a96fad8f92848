/**
 * The one sealcam relay client, for the device agent, the viewer SDK (browser and Node), the drill
 * and the tests: authentication (challenge → proof over the configured relay URL → token), token
 * cache and renewal, typed errors with the relay's registered reasons, retry with exponential
 * backoff and jitter that honours the relay's hints, and helpers for the live WebSocket.
 *
 * @module
 */
export {
  type LiveSocket,
  type LiveSocketFactory,
  liveClosed,
  liveProtocols,
  liveRefused,
  liveUrl,
  openLiveSocket,
  SOCKET_OPEN,
} from './live.js';
export { LiveSessionKeeper, type SessionSocket } from './live-session.js';
export { RelayError, type RelayErrorInit, type RelayErrorKind } from './relay-error.js';
export {
  type RelayResponse,
  RelaySession,
  type RelaySessionOptions,
  type RequestBody,
} from './relay-session.js';
export {
  AbortedError,
  hintedDelay,
  isRetryable,
  type RetryOptions,
  retryWithBackoff,
  scheduledWait,
  sleep,
  spreadsOverWindow,
  waitForHint,
} from './retry.js';
export { type LiveClose, parseLiveClose, parseRetryAfter, parseRetrySpread } from './retry-after.js';
export { RENEW_FROM, RENEW_TO, SessionRenewal } from './session-renewal.js';
