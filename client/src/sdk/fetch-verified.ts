import { retryWithBackoff } from '@sealcam/relay-client';
import { ViewerError, type ViewerReason } from './errors.js';
import type { RelayConnection } from './relay-connection.js';

/**
 * Refusals that a misdelivered answer causes: another camera's, event's or stream's object, or bytes
 * that do not open. A relay whose cache mixed up one lookup may answer the next one rightly, so the
 * object is asked for again (and after a 404 "not-found"). NOT_RECIPIENT is not among them: it comes only from this camera's own,
 * authentic object that is not sealed for this viewer (before its access, or after a revocation),
 * which asking again does not change.
 */
const MISDELIVERED: ReadonlySet<ViewerReason> = new Set<ViewerReason>([
  'WRONG_DEVICE',
  'WRONG_EVENT',
  'WRONG_STREAM',
  'WRONG_KIND',
  'BAD_SIGNATURE',
  'DECRYPT_FAILED',
  'TRUNCATED',
  'MALFORMED',
  'UNSUPPORTED_VERSION',
]);

/**
 * Whether a refusal may come from a mixed-up answer: a misdelivered object, or the relay saying it has
 * none (its cache may have answered a lookup with another caller's empty result).
 */
function maybeMisdelivered(error: unknown): boolean {
  if (!(error instanceof ViewerError)) return false;
  return (
    MISDELIVERED.has(error.reason) || (error.reason === 'RELAY_ERROR' && error.relayReason === 'not-found')
  );
}

/** At most this many requests for one object; waits of full jitter under 100, 200, 400 ms between. */
export const FETCH_ATTEMPTS = 4;

/**
 * GETs `path` and opens the answer with `open` (which verifies it); a misdelivered answer is asked for
 * again, a bounded number of times, with backoff and jitter. Nothing unverified is ever returned: the
 * last refusal is thrown when every attempt was refused.
 */
export function fetchVerified<T>(
  relay: RelayConnection,
  path: string,
  open: (bytes: Uint8Array) => T | Promise<T>,
): Promise<T> {
  return retryWithBackoff(async () => await open((await relay.request('GET', path)).bytes), {
    signal: new AbortController().signal,
    startingDelayMs: 100,
    maxDelayMs: 400,
    maxAttempts: FETCH_ATTEMPTS,
    retryIf: maybeMisdelivered,
  });
}
