import { HonestPair, type HonestReport } from './honest.js';
import { type StoreKind, startTarget, type Target } from './target.js';

export interface UnderAttack<T> {
  readonly store: StoreKind;
  readonly outcome: T;
  /**
   * The honest device and viewer's operations while the attack ran, one round after it, and the
   * check that every event the relay acknowledged to the honest device is still stored.
   */
  readonly honest: HonestReport;
  /** The relay process still ran when the attack ended. */
  readonly alive: boolean;
  readonly peakRssMiB: number;
  readonly attackMs: number;
  /** The relay's output, for failure messages. */
  readonly relayOutput: string;
}

export interface UnderAttackOptions {
  /** Pause between honest rounds, ms. */
  readonly honestPauseMs?: number;
  /** Bound on each honest operation, ms. */
  readonly honestTimeoutMs?: number;
  /** Extra relay configuration. */
  readonly env?: Record<string, string>;
}

/**
 * Starts a relay on `store`, sets up an honest device and viewer, runs `attack` while the honest
 * pair keeps working, then one more honest round once the attack is over; stops the relay.
 */
export async function underAttack<T>(
  store: StoreKind,
  attack: (target: Target, honest: HonestPair) => Promise<T>,
  options: UnderAttackOptions = {},
): Promise<UnderAttack<T>> {
  const target = await startTarget(store, options.env);
  const honest = new HonestPair(target.base, target.wsBase, options.honestTimeoutMs ?? 30_000);
  try {
    await honest.setUp();
    const started = performance.now();
    const attacking = attack(target, honest);
    await honest.runUntil(attacking, options.honestPauseMs ?? 250);
    const outcome = await attacking;
    const attackMs = performance.now() - started;
    await honest.runRound();
    await honest.checkKept();
    return {
      store,
      outcome,
      honest: honest.report,
      alive: target.alive(),
      peakRssMiB: target.peakRssMiB(),
      attackMs,
      relayOutput: target.output().slice(-4000),
    };
  } finally {
    honest.close();
    await target.stop();
  }
}
