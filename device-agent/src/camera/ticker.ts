/**
 * Runs `step` at absolute times epoch + k × interval, so the rate does not drift with timer latency or
 * step duration. Steps never overlap: a slot that passes while a step is still running is skipped, not
 * queued. A step may return a delay in ms (e.g. after a failure); the ticker waits that long and then
 * starts a new schedule. A step that throws is reported to `onError` and the ticker goes on.
 */
export class Ticker {
  /** Slots skipped because the step before them was still running. */
  skipped = 0;
  private active = false;
  private loop: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly step: () => Promise<number | undefined> | number | undefined,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) throw new Error('already started');
    this.active = true;
    this.loop = this.run();
  }

  /** Resolves once the step in progress, if any, has finished; no step starts after it. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
    this.wake = null;
    await this.loop;
  }

  private async run(): Promise<void> {
    let epoch = performance.now();
    let slot = 0;
    while (this.active) {
      let delay: number | undefined;
      try {
        delay = await this.step();
      } catch (error) {
        if (this.active) this.onError(error);
      }
      if (!this.active) break;
      if (delay !== undefined) {
        await this.sleep(delay);
        epoch = performance.now();
        slot = 0;
        continue;
      }
      // At least the slot after this one: a timer may fire a fraction of a millisecond early.
      const next = Math.max(slot + 1, Math.floor((performance.now() - epoch) / this.intervalMs) + 1);
      this.skipped += Math.max(0, next - slot - 1);
      slot = next;
      await this.sleep(epoch + slot * this.intervalMs - performance.now());
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.active) return resolve();
      this.wake = resolve;
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.wake = null;
          resolve();
        },
        Math.max(0, ms),
      );
    });
  }
}
