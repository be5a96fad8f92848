/** A refusal or failure from the relay, with its reason and back-off hint. */
export class RelayError extends Error {
  constructor(
    /** HTTP status, or 0 when the relay could not be reached. */
    readonly status: number,
    /** The relay's machine-readable reason (e.g. `over-capacity`, `quota`), or a local one. */
    readonly reason: string,
    message: string,
    /** The relay's Retry-After (HTTP) or `retry-after=N` (WebSocket close), in ms. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'RelayError';
  }

  /** Worth retrying later: unreachable, over capacity, rate-limited, storage full, server error. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status === 507 || this.status >= 500;
  }
}

/** Parses an HTTP Retry-After (seconds or a date) into ms. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 3600) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - now), 3_600_000);
}

/** Parses `retry-after=N` out of a WebSocket close reason. */
export function retryAfterFromCloseReason(reason: string): number | null {
  const match = /retry-after=(\d+)/.exec(reason);
  return match ? Math.min(Number(match[1]), 3600) * 1000 : null;
}
