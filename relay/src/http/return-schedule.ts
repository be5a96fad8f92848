/**
 * When clients that admission refused for capacity come back (PROTOCOL.md §16.2 step 6). Each
 * refusal is promised the next free slot after those already promised, `rate` slots a second, and
 * told the whole seconds until it: a crowd refused together returns at the pace the bucket refills,
 * each client once, instead of all at the same hinted second and mostly refused again. Promises lie
 * less than `horizonSeconds` ahead. A schedule full to its horizon promises nothing: whoever floods
 * the relay with refused handshakes cannot gather the honest clients into one late second, which
 * then get the unscheduled answer (Retry-After, spread over the client's reconnect window).
 */
export class ReturnSchedule {
  private nextFree = 0;

  constructor(
    private readonly rate: number,
    private readonly horizonSeconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Whole seconds (at least 1) the refused client waits, spreading its return over the second after;
   * null when the schedule is full to its horizon (a flood of refusals): then no return is promised.
   */
  promise(): number | null {
    const now = this.now();
    const slot = Math.max(this.nextFree, now);
    if (slot - now >= this.horizonSeconds * 1000) return null;
    this.nextFree = slot + 1000 / this.rate;
    return Math.max(1, Math.ceil((slot - now) / 1000));
  }
}

/** The second over which a client spreads a scheduled return (the `Sealcam-Retry-Spread` header). */
export const SCHEDULED_SPREAD_SECONDS = 1;
