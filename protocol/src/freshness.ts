/**
 * Live means now (PROTOCOL.md §6.8). A viewer measures the device's clock against its own
 * monotonic clock with a signed clock proof, then bounds the age of each frame from the capture
 * time sealed inside it. Nothing here trusts the relay or the viewer's wall clock.
 */

/** A frame is shown as live only if it is at most this old (upper bound of its age). */
export const LIVE_FRESHNESS_MS = 3000;

/**
 * A clock answer that took longer than this to come back bounds the device's clock too loosely to
 * call anything live: it is not used (the viewer asks again).
 */
export const MAX_CLOCK_ROUND_TRIP_MS = 2000;

/**
 * The viewer's and the device's clocks may run apart by this much (NTP slews at most 500 ppm): the
 * bound grows by it over the time since the question left.
 */
export const MAX_CLOCK_DRIFT = 0.0005;

/**
 * A frame whose age bound is below minus this cannot be honest under the sample (the device signed
 * after the nonce left, and captured the frame before it was sealed): the sample no longer holds
 * (the viewer slept, or a clock stepped). The frame is unconfirmed and the viewer asks again.
 */
export const CLOCK_CONTRADICTION_MS = 1000;

/** One measurement: the device's clock `deviceTime` was read between the viewer's instants `sentAt` and `receivedAt`. */
export interface ClockSample {
  /** Device clock, Unix ms, from the clock proof. */
  readonly deviceTime: number;
  /** Viewer's monotonic clock (ms) when it sent the nonce. */
  readonly sentAt: number;
  /** Viewer's monotonic clock (ms) when the proof arrived. */
  readonly receivedAt: number;
}

export type Freshness =
  /** At most LIVE_FRESHNESS_MS old. `ageMs` is an upper bound. */
  | { readonly state: 'live'; readonly ageMs: number }
  /** Older than the bound: verified video, but not now. `ageMs` is an upper bound. */
  | { readonly state: 'delayed'; readonly ageMs: number }
  /**
   * No usable clock sample yet, a frame without a capture time (codec 1), or a frame whose capture
   * time contradicts the sample (`clock-changed`: ask again): never shown as live.
   */
  | { readonly state: 'unconfirmed'; readonly why: 'no-clock' | 'no-capture-time' | 'clock-changed' };

/** The sample, or null when its round trip is too long (or negative: a clock that ran backwards). */
export function usableSample(sample: ClockSample): ClockSample | null {
  const roundTrip = sample.receivedAt - sample.sentAt;
  return roundTrip >= 0 && roundTrip <= MAX_CLOCK_ROUND_TRIP_MS ? sample : null;
}

/**
 * Upper bound of a frame's age at the viewer's monotonic instant `at`: the device's clock at `at`
 * is at most `deviceTime + (at − sentAt)·(1 + MAX_CLOCK_DRIFT)` (the proof was signed after the
 * nonce left), minus the frame's sealed capture time (ms).
 */
export function frameAgeBoundMs(sample: ClockSample, capturedAtMs: number, at: number): number {
  return sample.deviceTime + (at - sample.sentAt) * (1 + MAX_CLOCK_DRIFT) - capturedAtMs;
}

export function freshnessOf(sample: ClockSample | null, capturedAtUs: number | null, at: number): Freshness {
  if (capturedAtUs === null) return { state: 'unconfirmed', why: 'no-capture-time' };
  if (!sample) return { state: 'unconfirmed', why: 'no-clock' };
  const bound = frameAgeBoundMs(sample, capturedAtUs / 1000, at);
  if (bound < -CLOCK_CONTRADICTION_MS) return { state: 'unconfirmed', why: 'clock-changed' };
  const ageMs = Math.max(0, Math.round(bound));
  return ageMs <= LIVE_FRESHNESS_MS ? { state: 'live', ageMs } : { state: 'delayed', ageMs };
}
