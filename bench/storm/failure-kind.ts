import type { FailureKind } from './storm-protocol.js';

/**
 * The kind of a failed attempt, from the message the agent's live connection logs (its RelayError's
 * message: "live upgrade refused: HTTP 503 over-capacity", "auth challenge: 429 rate-limited: …",
 * "relay unreachable: …", "live: <socket error>").
 */
export function failureKind(message: string): FailureKind {
  if (/\b503\b|over-capacity|draining/.test(message)) return 'over-capacity';
  if (/\b429\b|rate-limited/.test(message)) return 'rate-limited';
  if (/\b401\b|token|reauthenticate/.test(message)) return 'token-refused';
  if (/time(d)? ?out|timeout|aborted/i.test(message)) return 'timeout';
  if (
    /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|fetch failed|closed before|other side closed/i.test(message)
  )
    return 'connection-failed';
  return 'other';
}
