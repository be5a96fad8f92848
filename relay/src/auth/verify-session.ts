import type { RelayReason } from '@sealcam/protocol/relay-safe';
import type { Metrics } from '../ops/metrics.js';
import type { Session, TokenIssuer } from './tokens.js';

/**
 * The one token check of the relay, for HTTP requests and WebSocket upgrades alike: the session,
 * or the reason it is refused (counted in the auth-failure metric).
 */
export type SessionVerifier = (token: string | undefined) => Session | RelayReason;

export function sessionVerifier(tokens: TokenIssuer, metrics: Metrics, now: () => number): SessionVerifier {
  return (token) => {
    const verdict = token === undefined ? 'missing' : tokens.verify(token, now());
    if (typeof verdict !== 'string') return verdict;
    const reason: RelayReason = verdict === 'missing' ? 'missing-token' : `token-${verdict}`;
    metrics.authFailures.inc({ reason });
    return reason;
  };
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}
