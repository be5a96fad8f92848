import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { quantile } from '../../bench/abuse/honest.js';
import { RSS_BUDGET_MIB } from '../../bench/abuse/target.js';
import type { UnderAttack } from '../../bench/abuse/under-attack.js';

/**
 * What every hostile-tenant test asserts besides the attacker's refusal: the relay process still
 * runs, its peak resident memory stayed within the budget, and every honest operation (login,
 * event upload, read, live frame) succeeded while the attack ran and after it.
 */
export function assertRelayHeld(t: TestContext, run: UnderAttack<unknown>): void {
  t.diagnostic(
    `${run.store}: attack ${Math.round(run.attackMs)} ms, relay peak RSS ${run.peakRssMiB} MiB (budget ${RSS_BUDGET_MIB}), ` +
      `honest ${run.honest.successes}/${run.honest.attempts}, p99 ${Math.round(quantile(run.honest.latenciesMs, 0.99))} ms`,
  );
  t.diagnostic(`attack outcome: ${JSON.stringify(run.outcome)}`);
  assert.ok(run.alive, `the relay process died under attack:\n${run.relayOutput}`);
  assert.ok(
    run.peakRssMiB <= RSS_BUDGET_MIB,
    `relay peak RSS ${run.peakRssMiB} MiB is over its budget of ${RSS_BUDGET_MIB} MiB`,
  );
  assert.ok(run.honest.attempts >= 4, 'the honest device and viewer ran at least one round');
  assert.deepEqual(run.honest.failures, [], 'every honest operation succeeded under attack');
}

/** The outcome names of a tally whose name `accept` refuses (expected: none). */
export function unexpected(counts: Record<string, number>, accept: (outcome: string) => boolean): string[] {
  return Object.keys(counts).filter((outcome) => !accept(outcome));
}
