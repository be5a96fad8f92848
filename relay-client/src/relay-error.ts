import { RELAY_REASON_LIST, RelayClose, type RelayReason, reasonSpec } from '@sealcam/protocol/relay-safe';

/**
 * What went wrong, as a closed set:
 * - `refused`: the relay answered an HTTP request (or the live upgrade) with an error status;
 * - `closed`: the relay closed the live connection;
 * - `unreachable`: no answer (network, timeout, connection cut);
 * - `too-large`: the answer was larger than this client accepts;
 * - `malformed`: the answer is not what the route returns.
 */
export type RelayErrorKind = 'refused' | 'closed' | 'unreachable' | 'too-large' | 'malformed';

export interface RelayErrorInit {
  readonly kind: RelayErrorKind;
  /** The relay's reason from the registry; null when it sent none or one this version does not know. */
  readonly reason?: RelayReason | null;
  /** HTTP status of the relay's answer; 0 when there was none. */
  readonly status?: number;
  /** WebSocket close code, for `closed`. */
  readonly closeCode?: number | null;
  /** The relay's Retry-After (HTTP) or `retry-after=N` (close reason), in ms. */
  readonly retryAfterMs?: number | null;
  /** The relay's Sealcam-Retry-Spread (a return it scheduled), in ms; null when it sent none. */
  readonly retrySpreadMs?: number | null;
  readonly message: string;
  /** The underlying failure of an `unreachable` error (fetch's TypeError, with its own cause). */
  readonly cause?: unknown;
}

/** Reasons after which a new session token can succeed. */
const REAUTH_REASONS: ReadonlySet<RelayReason> = new Set<RelayReason>([
  'missing-token',
  'token-malformed',
  'token-bad-signature',
  'token-expired',
  'reauthenticate',
]);

/** A refusal or failure from the relay, with its typed reason and back-off hint. */
export class RelayError extends Error {
  readonly kind: RelayErrorKind;
  readonly reason: RelayReason | null;
  readonly status: number;
  readonly closeCode: number | null;
  readonly retryAfterMs: number | null;
  readonly retrySpreadMs: number | null;

  constructor(init: RelayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RelayError';
    this.kind = init.kind;
    this.reason = init.reason ?? null;
    this.status = init.status ?? 0;
    this.closeCode = init.closeCode ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.retrySpreadMs = init.retrySpreadMs ?? null;
  }

  /** The same error with another message (e.g. naming the object a refusal was about). */
  withMessage(message: string): RelayError {
    return new RelayError({ ...this, message });
  }

  /**
   * Worth retrying later: unreachable, or a reason the registry marks retryable (rate-limited,
   * over-capacity, storage full, …). A reason this version does not know falls back to the status.
   */
  get transient(): boolean {
    if (this.kind === 'unreachable') return true;
    if (this.kind !== 'refused' && this.kind !== 'closed') return false;
    if (this.reason !== null) return reasonSpec(this.reason).retry;
    return this.kind === 'closed' ? closeRetryable(this.closeCode) : statusRetryable(this.status);
  }

  /** The session token was refused: authenticating again can succeed. */
  get needsReauth(): boolean {
    const unauthorized = this.status === 401 || this.closeCode === RelayClose.Unauthorized;
    return unauthorized && (this.reason === null || REAUTH_REASONS.has(this.reason));
  }
}

/*
 * Without a known reason (a proxy's answer, or a reason this version does not know), the code or status
 * decides (PROTOCOL.md §16.3): retryable when the registry lists a retryable reason for it, or when it
 * lists none for it (a dropped connection, a proxy's 502).
 */
function retryableCarrier(carries: (reason: RelayReason) => boolean, unknown: boolean): boolean {
  const reasons = RELAY_REASON_LIST.filter(carries);
  return reasons.length === 0 ? unknown : reasons.some((reason) => reasonSpec(reason).retry);
}

function closeRetryable(code: number | null): boolean {
  return retryableCarrier((reason) => reasonSpec(reason).close === code, true);
}

function statusRetryable(status: number): boolean {
  return retryableCarrier((reason) => (reasonSpec(reason).http ?? []).includes(status), status >= 500);
}
