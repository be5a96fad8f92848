/**
 * Messages per second on one connection, checked synchronously on the frame path (a promise per
 * frame from an async limiter would cost more than the check). Fixed one-second windows with a 2x
 * allowance for bursts at window edges.
 */
export class MessageRate {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly perSecond: number) {}

  allow(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    return this.count <= this.perSecond * 2;
  }
}
