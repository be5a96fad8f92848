import { LIVE_FRESHNESS_MS } from '../../src/sdk/index.js';

/**
 * What a live tile says about its stream: connecting, waiting for a first picture, live, delayed
 * (verified pictures, but older than the live bound: PROTOCOL.md §6.8), unconfirmed (pictures that
 * could not be placed in time: the camera did not answer the clock question), idle (no verified
 * frame lately), unavailable (the relay refused: no grant, revoked) or offline (the relay cannot be
 * reached: every tile of that relay says so at once). Pure (no DOM).
 */
export type LiveStatus =
  | 'connecting'
  | 'waiting'
  | 'live'
  | 'delayed'
  | 'unconfirmed'
  | 'idle'
  | 'unavailable'
  | 'offline';

/** A stream with no verified frame for this long is shown as idle. */
export const LIVE_WINDOW_MS = 5000;

export interface LiveState {
  readonly subscribed: boolean;
  /** When the last verified frame arrived (ms), if any. */
  readonly lastFrameAt?: number | undefined;
  /** The freshness verdict of the last picture (the SDK's: only a `live` one is shown as live). */
  readonly freshness?: 'live' | 'delayed' | 'unconfirmed' | undefined;
  /** The last picture's age bound when it arrived (ms): a live picture stops being live as it ages. */
  readonly ageAtArrivalMs?: number | undefined;
  readonly unavailable?: boolean;
  /** The live connection to the relay is down (being retried). */
  readonly offline?: boolean;
}

export function liveStatus(state: LiveState, now: number): LiveStatus {
  if (state.offline) return 'offline';
  if (state.unavailable) return 'unavailable';
  if (state.lastFrameAt === undefined) return state.subscribed ? 'waiting' : 'connecting';
  const since = now - state.lastFrameAt;
  if (since >= LIVE_WINDOW_MS) return 'idle';
  if (state.freshness !== 'live') return state.freshness ?? 'unconfirmed';
  return (state.ageAtArrivalMs ?? 0) + since <= LIVE_FRESHNESS_MS ? 'live' : 'delayed';
}

export const STATUS_LABELS: Readonly<Record<LiveStatus, string>> = {
  connecting: 'Connecting',
  waiting: 'Waiting for picture',
  live: 'Live',
  delayed: 'Delayed',
  unconfirmed: 'Not confirmed live',
  idle: 'Idle',
  unavailable: 'Unavailable',
  offline: 'Offline',
};

/**
 * Verified frames per second over a sliding window. Fed with capture times (the camera's clock), it
 * counts the camera's rate, not arrival bursts (frames held for a clock answer, or a reconnect).
 */
export class RateMeter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs = 2000) {}

  add(now: number): void {
    this.times.push(now);
    this.trim(now);
  }

  rate(now: number): number {
    this.trim(now);
    if (this.times.length < 2) return 0;
    return (this.times.length * 1000) / this.windowMs;
  }

  private trim(now: number): void {
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
  }
}
