import { reconnectWindowSeconds } from '../live/reconnect-window.js';
import { FairBucket } from './fair-bucket.js';
import { ReturnSchedule, SCHEDULED_SPREAD_SECONDS } from './return-schedule.js';
import { DEFAULT_MAX_KEYS, WindowCounter } from './window-counter.js';

/** Why admission refused: the kind is the metric label (never an id); the status follows from it. */
export type Refusal =
  /** This source or identity is over its own limit: 429 rate-limited. */
  | {
      readonly kind: 'source-fair-share' | 'identity-upgrade-rate';
      readonly status: 429;
      readonly wait: number;
    }
  /** The relay is admitting handshakes slowly: 503 over-capacity, a return promised `wait` s ahead if `spread` is set. */
  | {
      readonly kind: 'handshake';
      readonly status: 503;
      readonly wait: number;
      /** Seconds after `wait` over which the client spreads its promised return (ReturnSchedule). */
      readonly spread?: number;
    }
  /** The relay or this identity or source is full: 503 over-capacity. */
  | {
      readonly kind: 'connections' | 'identity-connections' | 'source-connections';
      readonly status: 503;
      readonly wait: number;
    };

/**
 * Admission control, in the order that keeps one client from draining what others need: first the
 * limits of the one asking (its identity's upgrade rate and connection cap, its source's fair
 * share), every attempt counted against it; only then the relay-wide buckets and the process cap.
 * A refusal of the first kind takes nothing relay-wide. Over capacity, callers answer 503 +
 * Retry-After instead of doing the expensive work; auth challenges and WebSocket upgrades draw from
 * separate buckets, so a flood of one kind cannot starve the other.
 */
export class Admission {
  private readonly challenges: FairBucket;
  private readonly upgrades: FairBucket;
  private readonly challengeReturns: ReturnSchedule;
  private readonly upgradeReturns: ReturnSchedule;
  private readonly identityUpgrades: KeyedRateLimit;
  // Entries only while a connection is open: bounded by maxConnections.
  private readonly perIdentity = new Map<string, number>();
  private readonly perSource = new Map<string, number>();
  private open = 0;

  constructor(
    private readonly options: {
      handshakeRate: number;
      handshakeBurst: number;
      /** WebSocket connections per process (already lowered below the file-descriptor limit). */
      maxConnections: number;
      connectionsPerIdentity: number;
      /** WebSocket connections per source address, all its identities together. */
      connectionsPerSource: number;
      upgradesPerSecondPerIdentity: number;
      retryAfterSeconds: number;
    },
  ) {
    this.challenges = new FairBucket(options.handshakeRate, options.handshakeBurst);
    this.upgrades = new FairBucket(options.handshakeRate, options.handshakeBurst);
    // No promise lies further ahead than a full process takes to come back in.
    const horizon = reconnectWindowSeconds(options.maxConnections, options.handshakeRate);
    this.challengeReturns = new ReturnSchedule(options.handshakeRate, horizon);
    this.upgradeReturns = new ReturnSchedule(options.handshakeRate, horizon);
    this.identityUpgrades = new KeyedRateLimit(options.upgradesPerSecondPerIdentity);
  }

  private fair(bucket: FairBucket, returns: ReturnSchedule, source: string): Refusal | null {
    const refused = bucket.take(source);
    if (!refused) return null;
    return refused.reason === 'fair-share'
      ? { kind: 'source-fair-share', status: 429, wait: Math.max(1, Math.ceil(refused.msBeforeNext / 1000)) }
      : this.capacityRefusal(returns.promise());
  }

  /** A refusal by an empty relay-wide bucket: a scheduled return when one is left, else the plain hint. */
  private capacityRefusal(promised: number | null): Refusal {
    return promised === null
      ? { kind: 'handshake', status: 503, wait: this.options.retryAfterSeconds }
      : { kind: 'handshake', status: 503, wait: promised, spread: SCHEDULED_SPREAD_SECONDS };
  }

  /** An auth challenge from `source` (its own per-source rate was checked before): null when admitted. */
  admitChallenge(source: string): Refusal | null {
    return this.fair(this.challenges, this.challengeReturns, source);
  }

  /**
   * A WebSocket upgrade by `identity` from `source`: null and a connection slot when admitted. The
   * returned release function is idempotent: call it from every path that ends the connection.
   */
  async admitUpgrade(identity: string, source: string): Promise<{ release: () => void } | Refusal> {
    const wait = await this.identityUpgrades.take(identity);
    if (wait !== null) return { kind: 'identity-upgrade-rate', status: 429, wait };
    const capped = this.capReached(identity, source);
    if (capped) return { kind: capped, status: 503, wait: this.options.retryAfterSeconds };
    const refused = this.fair(this.upgrades, this.upgradeReturns, source);
    if (refused) return refused;
    // Checked again: other upgrades may have taken slots while this one waited for its rate.
    const meanwhile = this.capReached(identity, source);
    if (meanwhile) return { kind: meanwhile, status: 503, wait: this.options.retryAfterSeconds };
    return this.openConnection(identity, source);
  }

  /** The first connection cap that `identity` from `source` has reached: its own, its source's, the process's. */
  private capReached(
    identity: string,
    source: string,
  ): 'identity-connections' | 'source-connections' | 'connections' | null {
    if ((this.perIdentity.get(identity) ?? 0) >= this.options.connectionsPerIdentity)
      return 'identity-connections';
    if ((this.perSource.get(source) ?? 0) >= this.options.connectionsPerSource) return 'source-connections';
    if (this.open >= this.options.maxConnections) return 'connections';
    return null;
  }

  /** Takes a connection slot for `identity` from `source` (the caps were checked just before). */
  private openConnection(identity: string, source: string): { release: () => void } {
    this.open += 1;
    increment(this.perIdentity, identity, 1);
    increment(this.perSource, source, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open = Math.max(0, this.open - 1);
        increment(this.perIdentity, identity, -1);
        increment(this.perSource, source, -1);
      },
    };
  }

  get openConnections(): number {
    return this.open;
  }

  get maxConnections(): number {
    return this.options.maxConnections;
  }
}

/**
 * Per-key rate limit (per identity, source or connection): 2 x `perSecond` in each 2 s window, a
 * steady rate with a 2x burst. At most `maxKeys` keys are tracked (WindowCounter), whoever asks.
 */
export class KeyedRateLimit {
  private readonly counter: WindowCounter;

  constructor(perSecond: number, maxKeys: number = DEFAULT_MAX_KEYS) {
    this.counter = new WindowCounter(perSecond * 2, 2000, maxKeys);
  }

  /** null when allowed, else seconds to wait. */
  async take(key: string): Promise<number | null> {
    const wait = this.counter.take(key);
    return wait === null ? null : Math.max(1, Math.ceil(wait / 1000));
  }

  /** Keys tracked now (bounded by maxKeys). */
  get keys(): number {
    return this.counter.size;
  }
}

/** Adds `delta` to a count in `counts`, dropping it at zero. */
function increment(counts: Map<string, number>, key: string, delta: number): void {
  const value = (counts.get(key) ?? 0) + delta;
  if (value > 0) counts.set(key, value);
  else counts.delete(key);
}
