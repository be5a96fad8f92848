import { MAX_RECONNECT_SECONDS, type RelayReason } from '@sealcam/protocol/relay-safe';
import { backOff } from 'exponential-backoff';
import { RelayError } from './relay-error.js';

export interface RetryOptions {
  readonly signal: AbortSignal;
  /** First delay cap in ms; each failure doubles it up to `maxDelayMs`. The actual wait is uniform in [0, cap]. */
  readonly startingDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * Wait a random part of the first delay before the first attempt too. Used after a connection
   * drops: thousands of clients that lost the same relay must not come back in lockstep.
   */
  readonly delayFirstAttempt?: boolean;
  /** Gives up after this many attempts (default: never); up to eight scheduled returns come on top. */
  readonly maxAttempts?: number;
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** Retry every failure, not only transient ones (for loops that must never give up). */
  readonly retryAll?: boolean;
  /** Retry exactly the failures this accepts (instead of the transient relay errors). */
  readonly retryIf?: (error: unknown) => boolean;
  /**
   * The relay's reconnect window now (ms, PROTOCOL.md §16.2 step 5): a wait the relay as a whole
   * hinted (spreadsOverWindow) is spread over it when it is longer than the hint.
   */
  readonly windowMs?: () => number;
}

export class AbortedError extends Error {
  constructor() {
    super('stopped');
    this.name = 'AbortedError';
  }
}

/** Resolves after `ms`, or rejects with AbortedError when the signal fires first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError());
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new AbortedError());
    }
    signal.addEventListener('abort', abort, { once: true });
  });
}

/** Errors worth another attempt: relay errors that are transient or need a new token, and the unknown. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AbortedError) return false;
  if (error instanceof RelayError) return error.transient || error.needsReauth;
  return true;
}

/**
 * Whether a refusal with this reason is the relay's as a whole (busy, shutting down, its store
 * unreachable), which a fleet meets together: its wait is spread over the reconnect window. A
 * client's own limits (`rate-limited`) are not: their wait is the hint and up to as much again.
 */
export function spreadsOverWindow(reason: RelayReason | null): boolean {
  return reason === 'over-capacity' || reason === 'draining' || reason === 'store-unavailable';
}

/**
 * The wait a relay hint asks for, plus up to as much again at random, or up to the relay's reconnect
 * window if that is longer (ms): a fleet told to come back later spreads over the time the relay
 * needs to admit it.
 */
export function hintedDelay(retryAfterMs: number, windowMs = 0): number {
  return retryAfterMs + Math.random() * Math.max(retryAfterMs, windowMs);
}

/** A scheduled return is waited at least this long, whatever the relay says (ms). */
const MIN_SCHEDULED_WAIT_MS = 1000;
/** ... and at most the protocol's longest reconnect window (ms). */
const MAX_SCHEDULED_WAIT_MS = MAX_RECONNECT_SECONDS * 1000;

/**
 * The scheduled return (PROTOCOL.md §16.2 step 6) a refusal carries, as the wait before it (ms); null
 * when it carries none. Only a `503 over-capacity` with Retry-After and Sealcam-Retry-Spread is one.
 */
export function scheduledWait(error: unknown): number | null {
  if (!(error instanceof RelayError) || error.status !== 503 || error.reason !== 'over-capacity') return null;
  if (error.retryAfterMs === null || error.retrySpreadMs === null) return null;
  const at = Math.min(MAX_SCHEDULED_WAIT_MS, Math.max(MIN_SCHEDULED_WAIT_MS, error.retryAfterMs));
  return at + Math.random() * error.retrySpreadMs;
}

/**
 * The wait after a refusal with a Retry-After of `hint` ms: a return the relay scheduled
 * (scheduledWait), or else hintedDelay's.
 */
export function waitForHint(error: RelayError, hint: number, windowMs?: () => number): number {
  return scheduledWait(error) ?? hintedDelay(hint, spreadsOverWindow(error.reason) ? windowMs?.() : 0);
}

/** Scheduled returns one retryWithBackoff follows without its backoff; later ones wait both. */
const MAX_SCHEDULED_RETURNS = 8;

/**
 * Retries `attempt` with exponential backoff and full jitter (exponential-backoff) until it
 * succeeds, a permanent error occurs, the attempts run out or the signal fires. When the relay sent
 * a back-off hint (Retry-After, or `retry-after=N` in a close reason) the wait is at least that
 * long, plus up to as much again at random (or up to `windowMs`), so a crowd told "5 s" spreads over
 * 5–10 s instead of returning at once. A return the relay scheduled (scheduledWait) replaces the
 * backoff instead of adding to it, for the first eight such refusals; after those, each waits its
 * schedule and then the backoff.
 */
export function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  const wanted = (error: unknown) =>
    options.retryIf ? options.retryIf(error) : options.retryAll || isRetryable(error);
  /** Failures so far (onRetry's count), and scheduled returns followed without backoff. */
  let failures = 0;
  let scheduledReturns = 0;
  const followingSchedule = async (): Promise<T> => {
    for (;;) {
      if (signal.aborted) throw new AbortedError();
      try {
        return await attempt();
      } catch (error) {
        const wait = scheduledWait(error);
        if (wait === null || scheduledReturns >= MAX_SCHEDULED_RETURNS || !wanted(error)) throw error;
        scheduledReturns++;
        options.onRetry?.(error, ++failures);
        await sleep(wait, signal);
      }
    }
  };
  return backOff(followingSchedule, {
    jitter: 'full',
    startingDelay: options.startingDelayMs ?? 1000,
    maxDelay: options.maxDelayMs ?? 60_000,
    timeMultiple: 2,
    numOfAttempts: options.maxAttempts ?? Number.POSITIVE_INFINITY,
    delayFirstAttempt: options.delayFirstAttempt ?? false,
    retry: async (error) => {
      if (signal.aborted || error instanceof AbortedError) return false;
      if (!wanted(error)) return false;
      options.onRetry?.(error, ++failures);
      const hint = error instanceof RelayError ? error.retryAfterMs : null;
      if (hint !== null) {
        try {
          await sleep(waitForHint(error as RelayError, hint, options.windowMs), signal);
        } catch {
          return false;
        }
      }
      return !signal.aborted;
    },
  });
}
