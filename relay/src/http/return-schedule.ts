/**
 * When clients that admission refused for capacity come back (PROTOCOL.md §16.2 step 6). Each
 * refusal is promised the next free slot after those already promised, `rate` slots a second, and
 * told the whole seconds until it: a crowd refused together returns at the pace the bucket refills,
 * each client once, instead of all at the same hinted second and mostly refused again. Promises lie
 * at most `horizonSeconds` ahead (a flood of refusals cannot push everyone's return out without
 * bound); past that, clients are told the horizon.
 */
export class ReturnSchedule {
  private nextFree = 0;

  constructor(
    private readonly rate: number,
    private readonly horizonSeconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whole seconds (1 to the horizon) the refused client waits; it spreads its return over the second after. */
  promise(): number {
    const now = this.now();
    const horizonMs = this.horizonSeconds * 1000;
    const slot = Math.min(Math.max(this.nextFree, now), now + horizonMs);
    this.nextFree = slot + 1000 / this.rate;
    return Math.min(this.horizonSeconds, Math.max(1, Math.ceil((slot - now) / 1000)));
  }
}

/** The second over which a client spreads a scheduled return (the `Sealcam-Retry-Spread` header). */
export const SCHEDULED_SPREAD_SECONDS = 1;
