import type { WebSocket } from 'ws';
import type { Session } from '../auth/tokens.js';
import type { SessionVerifier } from '../auth/verify-session.js';
import { type CloseReason, closeWith } from './close.js';

/** A connection renews at most this often (a client renews once per token lifetime). */
export const MIN_RENEWAL_INTERVAL_MS = 10_000;

/** What a `renew` control message led to. */
export type Renewal =
  | { readonly renewed: true; readonly expiresAt: number }
  | { readonly renewed: false; readonly reason: CloseReason };

/**
 * A live connection lasts as long as its session: it is closed (4401 token-expired) at the expiry of
 * the token it was opened with, unless the client renews in band first (PROTOCOL.md §16.2): a fresh
 * token of the same identity and role, and the connection then lasts until that token's expiry. A
 * renewal with a refused token, another identity's token or too soon after the previous one closes
 * the connection (the caller closes with the reason).
 */
export class SessionExpiry {
  private timer: NodeJS.Timeout;
  private lastRenewal = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ws: WebSocket,
    private readonly session: Session,
    private readonly verify: SessionVerifier,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = this.arm(session.expiresAt);
    ws.once('close', () => clearTimeout(this.timer));
  }

  private arm(expiresAt: number): NodeJS.Timeout {
    const timer = setTimeout(() => closeWith(this.ws, 'token-expired'), Math.max(0, expiresAt - this.now()));
    timer.unref();
    return timer;
  }

  renew(token: string): Renewal {
    const now = this.now();
    if (now - this.lastRenewal < MIN_RENEWAL_INTERVAL_MS) return { renewed: false, reason: 'rate-limited' };
    const fresh = this.verify(token);
    if (typeof fresh === 'string')
      return { renewed: false, reason: fresh === 'token-expired' ? 'token-expired' : 'reauthenticate' };
    if (fresh.role !== this.session.role || fresh.id !== this.session.id)
      return { renewed: false, reason: 'bad-message' };
    this.lastRenewal = now;
    clearTimeout(this.timer);
    this.timer = this.arm(fresh.expiresAt);
    return { renewed: true, expiresAt: fresh.expiresAt };
  }
}
