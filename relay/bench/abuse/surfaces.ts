import { send, source } from './net.js';
import { outcomeOf, pool, Tally } from './pool.js';
import type { Target } from './target.js';

export interface NestedJsonScale {
  readonly bodies: number;
  readonly bodyBytes: number;
  readonly concurrency: number;
}

export interface NestedJsonOutcome {
  /** What each oversized body got: "413 too-large", or a reset before the body was taken. */
  readonly answers: Tally;
  /** How long each refusal took, ms. */
  readonly refusalMs: number[];
}

/** `[[[…]]]` of `bytes` bytes: deep nesting, the costliest JSON to parse per byte. */
export function nestedJson(bytes: number): string {
  const depth = Math.floor(bytes / 2);
  return '['.repeat(depth) + ']'.repeat(depth);
}

/**
 * Attack 7: large nested JSON bodies on /v1/auth/token (no login needed). Expected: 413 at once,
 * from the route's small body limit, without parsing.
 */
export async function nestedJsonFlood(target: Target, scale: NestedJsonScale): Promise<NestedJsonOutcome> {
  const body = nestedJson(scale.bodyBytes);
  const answers = new Tally();
  const refusalMs: number[] = [];
  await pool(scale.bodies, scale.concurrency, async (index) => {
    const answer = await send(target.base, '/v1/auth/token', {
      method: 'POST',
      body,
      localAddress: source(240 + (index % 4)),
      timeoutMs: 60_000,
    });
    answers.add(outcomeOf(answer));
    refusalMs.push(answer.ms);
  });
  return { answers, refusalMs };
}

export interface OutsiderOutcome {
  /** Public /metrics answers. */
  readonly publicMetrics: Tally;
  /** Distinct public /healthz bodies and statuses ("200 {"status":"ok"}"). */
  readonly publicHealth: Tally;
  /** Distinct public /readyz bodies. */
  readonly publicReady: Tally;
  /** The admin listener's /metrics status, or "no admin listener". */
  readonly adminMetrics: string;
}

/**
 * Attack 8: an outsider polls /metrics, /healthz and /readyz on the public port. Expected: 404 for
 * metrics, `{"status":"ok"}` and `{"ready":…}` only; metrics on the admin listener alone.
 */
export async function outsiderPolls(target: Target, polls: number): Promise<OutsiderOutcome> {
  const publicMetrics = new Tally();
  const publicHealth = new Tally();
  const publicReady = new Tally();
  const from = source(250);
  await pool(polls, 4, async () => {
    publicMetrics.add(outcomeOf(await send(target.base, '/metrics', { localAddress: from })));
    const health = await send(target.base, '/healthz', { localAddress: from });
    publicHealth.add(`${health.status} ${JSON.stringify(health.json)}`);
    const ready = await send(target.base, '/readyz', { localAddress: from });
    publicReady.add(`${ready.status} ${JSON.stringify(ready.json)}`);
  });
  let adminMetrics = 'no admin listener';
  if (target.adminBase) adminMetrics = outcomeOf(await send(target.adminBase, '/metrics'));
  return { publicMetrics, publicHealth, publicReady, adminMetrics };
}
