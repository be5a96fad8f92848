import { encodeControl } from '@sealcam/protocol/relay-safe';
import type { RelaySession } from './relay-session.js';

/** Renewal happens at a random point of the remaining lifetime between these fractions. */
export const RENEW_FROM = 0.5;
export const RENEW_TO = 0.8;
/** A failed authentication is tried again after this fraction of the time left (at least RETRY_MIN_MS). */
const RETRY_FRACTION = 0.1;
const RETRY_MIN_MS = 5_000;

/**
 * Keeps one open live connection's session alive in band (PROTOCOL.md §16.2 step 4): at a random
 * point between half and four fifths of the remaining lifetime it authenticates again over HTTP and
 * sends `{ op: "renew", token }`; the relay's `renewed` answer gives the next expiry. A failed
 * authentication (the relay busy) is retried while time is left. A fleet's connections thus neither
 * drop together at expiry nor renew together. Never throws; stop() when the connection closes.
 */
export class SessionRenewal {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly session: RelaySession,
    /** Sends a text message on the connection (dropped when it has closed). */
    private readonly send: (text: string) => void,
    private readonly options: { readonly now?: () => number; readonly random?: () => number } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The connection opened with a token expiring at `expiresAt` (null: unknown, nothing scheduled). */
  start(expiresAt: number | null): void {
    if (expiresAt !== null) this.schedule(expiresAt);
  }

  /** The relay's `renewed`: the connection now lasts until `expiresAt`. */
  renewed(expiresAt: number): void {
    this.schedule(expiresAt);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(expiresAt: number): void {
    if (this.stopped) return;
    const left = Math.max(0, expiresAt - this.now());
    const random = (this.options.random ?? Math.random)();
    this.after(left * (RENEW_FROM + (RENEW_TO - RENEW_FROM) * random), expiresAt);
  }

  private after(delayMs: number, expiresAt: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(expiresAt), delayMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async renew(expiresAt: number): Promise<void> {
    if (this.stopped) return;
    let token: string;
    try {
      ({ token } = await this.session.fresh());
    } catch {
      const left = expiresAt - this.now();
      const random = (this.options.random ?? Math.random)();
      if (!this.stopped && left > RETRY_MIN_MS)
        this.after(Math.max(RETRY_MIN_MS, left * RETRY_FRACTION * (0.5 + random)), expiresAt);
      return;
    }
    if (!this.stopped) this.send(encodeControl({ op: 'renew', token }));
  }
}
