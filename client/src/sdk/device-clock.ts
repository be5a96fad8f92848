import {
  CLOCK_NONCE_BYTES,
  type ClockSample,
  type IdentityCard,
  openClockProof,
  SealError,
  toHex,
  usableSample,
} from '@sealcam/protocol';

/** A new sample this often while watching (drift: 100 ppm is 12 ms in two minutes). */
export const CLOCK_REFRESH_MS = 120_000;
/** No usable answer this long after a question: ask again (then 2×, 4× … up to the refresh interval). */
export const CLOCK_RETRY_MS = 2000;
/** Questions kept waiting for their answer (an answer to an older one still counts). */
const OPEN_QUESTIONS = 4;
/**
 * A sample is dropped when the viewer's wall clock and monotonic clock disagree by more than this
 * on the time since it arrived: the monotonic clock stops while the computer sleeps (Linux
 * CLOCK_MONOTONIC, some browsers), which would make every frame after a sleep look younger.
 */
export const MAX_CLOCK_DISAGREEMENT_MS = 1000;
/** A sample is not used past this age (refreshes every CLOCK_REFRESH_MS; a relay dropping them ends it). */
export const CLOCK_SAMPLE_MAX_AGE_MS = 2 * CLOCK_REFRESH_MS;

/** In Node, a timer that does not keep the process alive on its own (browsers have no such notion). */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/** The viewer's monotonic clock in ms (not its wall clock, which the user or NTP may step). */
export const monotonicMs = (): number => performance.now();

/**
 * The viewer's measurement of one device's clock (PROTOCOL.md §6.8): it sends a fresh nonce through
 * the relay, the device answers with a signed clock proof, and the round trip bounds the device's
 * clock. Keeps the newest usable sample; asks again on a timer while anyone uses it.
 */
export class DeviceClock {
  private sample: ClockSample | null = null;
  /** The viewer's wall clock when the sample arrived (only to notice a sleep or a clock step). */
  private sampleWall = 0;
  private readonly questions: { nonce: Uint8Array; sentAt: number }[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private retryMs = CLOCK_RETRY_MS;
  private closed = false;

  constructor(
    private readonly device: IdentityCard,
    /** Sends the question (a nonce in hex) to the relay; dropped when not connected. */
    private readonly send: (nonceHex: string) => void,
    /** Called when a new usable sample arrived. */
    private readonly onSample: () => void,
    private readonly now: () => number = monotonicMs,
    private readonly wallNow: () => number = Date.now,
  ) {}

  /** The newest usable sample, or null (then a new question is on its way). */
  usableSample(): ClockSample | null {
    const sample = this.sample;
    if (!sample) return null;
    const monotonic = this.now() - sample.receivedAt;
    const wall = this.wallNow() - this.sampleWall;
    if (Math.abs(wall - monotonic) <= MAX_CLOCK_DISAGREEMENT_MS && monotonic <= CLOCK_SAMPLE_MAX_AGE_MS)
      return sample;
    this.invalidate();
    return null;
  }

  /** The sample no longer holds (too old, a sleep, or a frame that contradicts it): ask again now. */
  invalidate(): void {
    this.sample = null;
    this.retryMs = CLOCK_RETRY_MS;
    this.ask();
  }

  /** Asks now (after a (re)subscription), and keeps asking on the timer. */
  ask(): void {
    if (this.closed) return;
    const nonce = globalThis.crypto.getRandomValues(new Uint8Array(CLOCK_NONCE_BYTES));
    this.questions.push({ nonce, sentAt: this.now() });
    if (this.questions.length > OPEN_QUESTIONS) this.questions.shift();
    this.send(toHex(nonce));
    this.schedule(this.sample ? CLOCK_REFRESH_MS : this.retryMs);
    if (!this.sample) this.retryMs = Math.min(this.retryMs * 2, CLOCK_REFRESH_MS);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ask();
    }, delayMs);
    unrefTimer(this.timer);
  }

  /**
   * A LiveClock payload from the relay. Returns false when it answers none of this viewer's open
   * questions (another viewer's answer, or an old one: harmless, ignored); throws the SealError of a
   * proof that answers one but does not verify.
   */
  handleProof(bytes: Uint8Array): boolean {
    const receivedAt = this.now();
    // Newest question first: a proof answering several is bounded by the latest of them.
    for (let index = this.questions.length - 1; index >= 0; index--) {
      const question = this.questions[index]!;
      let deviceTime: number;
      try {
        deviceTime = openClockProof(bytes, { device: this.device, nonce: question.nonce });
      } catch (error) {
        if (error instanceof SealError && error.code === 'REPLAYED') continue;
        throw error;
      }
      this.questions.splice(0, index + 1);
      const sample = usableSample({ deviceTime, sentAt: question.sentAt, receivedAt });
      if (!sample) {
        // Too slow an answer to bound anything: ask again soon.
        if (!this.sample) this.schedule(CLOCK_RETRY_MS);
        return true;
      }
      this.sample = sample;
      this.sampleWall = this.wallNow();
      this.retryMs = CLOCK_RETRY_MS;
      this.schedule(CLOCK_REFRESH_MS);
      this.onSample();
      return true;
    }
    return false;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
