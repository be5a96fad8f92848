import { parseCloseReason, type RelayReason } from '@sealcam/protocol/relay-safe';

/** No relay hint is followed for longer than an hour. */
const MAX_HINT_SECONDS = 3600;
/** A scheduled return is spread over at most this long. */
const MAX_SPREAD_SECONDS = 60;

/** Parses an HTTP Retry-After (seconds or a date) into ms. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, MAX_HINT_SECONDS) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - now), MAX_HINT_SECONDS * 1000);
}

/** Parses a Sealcam-Retry-Spread header (1 to 99 whole seconds, taken as at most 60) into ms; null when absent or bad. */
export function parseRetrySpread(header: string | null | undefined): number | null {
  if (!header || !/^[1-9]\d?$/.test(header)) return null;
  return Math.min(Number(header), MAX_SPREAD_SECONDS) * 1000;
}

/** A live connection's close, as the relay explained it (`<reason>[; retry-after=N]`). */
export interface LiveClose {
  readonly code: number;
  /** null: no reason, or one this version does not know; act on `code` then. */
  readonly reason: RelayReason | null;
  readonly retryAfterMs: number | null;
  /** The close text as received, for logs only (never matched). */
  readonly text: string;
}

export function parseLiveClose(code: number, text: string): LiveClose {
  const parsed = parseCloseReason(text);
  const retryAfterMs =
    parsed.retryAfterSeconds === null ? null : Math.min(parsed.retryAfterSeconds, MAX_HINT_SECONDS) * 1000;
  return { code, reason: parsed.reason, retryAfterMs, text };
}
