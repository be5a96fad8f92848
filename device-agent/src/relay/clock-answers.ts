import {
  CLOCK_NONCE_BYTES,
  createClockProof,
  encodeLiveMessage,
  fromHex,
  type Identity,
  LIMITS,
  type StreamId,
  WireType,
} from '@sealcam/protocol';

/** Questions that arrive within this window are answered by one signature. */
const GATHER_MS = 20;
/** At most this many proofs per second, whatever viewers (and the relay) ask: the rest wait for the next window. */
const PROOFS_PER_SECOND = 10;
/** Questions waiting per stream; more are dropped (their viewers ask again). */
const PENDING_PER_STREAM = LIMITS.clockNonces;

/**
 * The device's half of "live means now" (PROTOCOL.md §6.8): viewers' clock questions, relayed by the
 * relay, are answered with a signed clock proof on the stream they watch. Questions are gathered for
 * GATHER_MS and answered together, and proofs are capped per second, so a flood of questions costs
 * the gateway at most PROOFS_PER_SECOND signatures a second.
 */
export class ClockAnswers {
  private readonly pending = new Map<StreamId, Uint8Array[]>();
  private timer: NodeJS.Timeout | null = null;
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowProofs = 0;
  /** Questions dropped (queue full), for status. */
  dropped = 0;

  constructor(
    private readonly device: Identity,
    /** Sends a live message; false when not connected (the proof is lost: viewers ask again). */
    private readonly send: (message: Uint8Array) => boolean,
    /** The device's clock, signed into proofs (the same wall clock capture times are taken on). */
    private readonly now: () => number = Date.now,
  ) {}

  ask(streamId: StreamId, nonceHex: string): void {
    const nonce = fromHex(nonceHex);
    if (nonce.length !== CLOCK_NONCE_BYTES) return;
    let queue = this.pending.get(streamId);
    if (!queue) {
      queue = [];
      this.pending.set(streamId, queue);
    }
    if (queue.length >= PENDING_PER_STREAM) {
      this.dropped++;
      return;
    }
    queue.push(nonce);
    this.schedule(GATHER_MS);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private flush(): void {
    for (const [streamId, nonces] of this.pending) {
      // Rate windows on the monotonic clock: a wall clock stepped back must not stop the answers.
      const now = performance.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.windowProofs = 0;
      }
      if (this.windowProofs >= PROOFS_PER_SECOND) {
        this.schedule(this.windowStart + 1000 - now);
        return;
      }
      this.windowProofs++;
      this.pending.delete(streamId);
      // The time is read as late as possible: after every question it answers arrived.
      const proof = createClockProof({ device: this.device, time: this.now(), nonces });
      this.send(
        encodeLiveMessage({
          type: WireType.LiveClock,
          deviceId: this.device.card.id,
          streamId,
          payload: proof,
        }),
      );
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
