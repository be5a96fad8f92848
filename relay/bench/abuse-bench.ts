/**
 * `npm run bench:abuse [-- --json] [-- --only <attack>] [-- --store memory|redis]`: the hostile-tenant
 * attacks of issue #14 at a larger scale than CI, each against a fresh relay process (the budget
 * configuration of relay/bench/abuse/target.ts) on both stores, while an honest device and viewer
 * keep working. Per attack and store: relay peak RSS against its budget, honest success rate, honest
 * p99 latency, and that p99 against a baseline run of the same honest workload with no attack.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ready } from '@sealcam/protocol';
import { accessListFlood } from './abuse/access-lists.js';
import { admissionDrain } from './abuse/admission-drain.js';
import type { HonestPair } from './abuse/honest.js';
import { quantile } from './abuse/honest.js';
import { source } from './abuse/net.js';
import { pairingFlood } from './abuse/pairing-flood.js';
import { slowSockets } from './abuse/slow-sockets.js';
import { chunkFlood, manifestFlood } from './abuse/storage-flood.js';
import { nestedJsonFlood, outsiderPolls } from './abuse/surfaces.js';
import { DEVICE_QUOTA_BYTES, RSS_BUDGET_MIB, STORES, type StoreKind, type Target } from './abuse/target.js';
import { underAttack } from './abuse/under-attack.js';
import { VERDICTS, type Verdict } from './abuse/verdicts.js';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run bench:abuse -- [--json] [--only <attack>] [--store memory|redis]\n\n' +
      'sealcam hostile-tenant benchmark (issue #14): each attack against a fresh relay process (64 MiB store,\n' +
      '16 MiB caches, RSS budget 528 MiB) on both stores while an honest device and viewer keep working.\n' +
      'Reports per attack and store: peak RSS vs budget, honest success rate, honest p99 latency vs a\n' +
      'baseline run with no attack. Attacks: access-lists, event-chunks, one-address-chunks, manifests,\n' +
      'slow-sockets, pairing, admission, nested-json, outsider-ops. --json prints one JSON object. Exit 1 if any attack fails.\n',
  );
  process.exit(0);
}
await ready();

const MiB = 1024 * 1024;

type Attack = (target: Target, honest: HonestPair) => Promise<unknown>;

/** The attacks at bench scale, by name (the names of VERDICTS). */
const ATTACKS: Record<keyof typeof VERDICTS, Attack> = {
  'access-lists': (target) => accessListFlood(target, { devices: 3000, sources: 50, concurrency: 16 }),
  'event-chunks': (target) =>
    chunkFlood(target, { devices: 20, chunkBytes: MiB, maxBytesPerDevice: 2 * DEVICE_QUOTA_BYTES }),
  'one-address-chunks': (target) =>
    chunkFlood(target, {
      devices: 24,
      sources: 1,
      chunkBytes: MiB,
      maxBytesPerDevice: 2 * DEVICE_QUOTA_BYTES,
    }),
  manifests: (target) =>
    manifestFlood(target, { recipients: 256, maxBytes: 4 * DEVICE_QUOTA_BYTES, verdictTimeoutMs: 30_000 }),
  'slow-sockets': (target) =>
    slowSockets(target, {
      sockets: 5000,
      byteIntervalMs: 5000,
      durationMs: 60_000,
      localAddress: source(20),
    }),
  pairing: (target, honest) =>
    pairingFlood(target, honest.device, honest.viewer, { senders: 16, requestsPerSender: 1000 }),
  admission: (target, honest) =>
    admissionDrain(target, honest.viewer, {
      held: 8,
      refusedUpgrades: 5000,
      challengeSources: 60,
      challengesPerSource: 100,
      concurrency: 16,
    }),
  'nested-json': (target) => nestedJsonFlood(target, { bodies: 40, bodyBytes: 8 * MiB, concurrency: 4 }),
  'outsider-ops': (target) => outsiderPolls(target, 500),
};

const BASELINE_MS = 20_000;
const HONEST = { honestPauseMs: 100, honestTimeoutMs: 10_000 };

interface Row {
  readonly attack: string;
  readonly store: StoreKind;
  readonly crashed: boolean;
  readonly peakRssMiB: number;
  readonly budgetMiB: number;
  readonly withinBudget: boolean;
  readonly honestOperations: number;
  readonly honestSuccessRate: number;
  /** Honest logins told to wait (429/503 + Retry-After) that succeeded when retried, as agents do. */
  readonly honestRetriedLogins: number;
  readonly honestP99Ms: number;
  /** honestP99Ms over the baseline's p99 (same store, no attack). */
  readonly p99VsBaseline: number | null;
  readonly attackSeconds: number;
  readonly pass: boolean;
  /** Whether the attacker got the refusal the issue demands (as the CI suite asserts); not part of `pass`. */
  readonly attackerRefused: Verdict | null;
  readonly outcome: unknown;
  readonly error?: string;
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function measure(
  attack: string,
  store: StoreKind,
  run: Attack,
  baselineP99: number | null,
  verdict: ((outcome: never) => Verdict) | null,
): Promise<Row> {
  try {
    const result = await underAttack(store, run, HONEST);
    const p99 = quantile(result.honest.latenciesMs, 0.99);
    const rate = result.honest.attempts === 0 ? 0 : result.honest.successes / result.honest.attempts;
    const withinBudget = result.peakRssMiB <= RSS_BUDGET_MIB;
    return {
      attack,
      store,
      crashed: !result.alive,
      peakRssMiB: result.peakRssMiB,
      budgetMiB: RSS_BUDGET_MIB,
      withinBudget,
      honestOperations: result.honest.attempts,
      honestSuccessRate: Math.round(rate * 10_000) / 10_000,
      honestRetriedLogins: result.honest.retriedLogins,
      honestP99Ms: Math.round(p99),
      p99VsBaseline: baselineP99 ? Math.round((p99 / baselineP99) * 100) / 100 : null,
      attackSeconds: Math.round(result.attackMs / 100) / 10,
      pass: result.alive && withinBudget && rate >= 0.99,
      attackerRefused: verdict ? verdict(result.outcome as never) : null,
      outcome: result.outcome,
    };
  } catch (error) {
    return {
      attack,
      store,
      crashed: true,
      peakRssMiB: 0,
      budgetMiB: RSS_BUDGET_MIB,
      withinBudget: false,
      honestOperations: 0,
      honestSuccessRate: 0,
      honestRetriedLogins: 0,
      honestP99Ms: 0,
      p99VsBaseline: null,
      attackSeconds: 0,
      pass: false,
      attackerRefused: null,
      outcome: null,
      error: String((error as Error).stack ?? error),
    };
  }
}

const json = process.argv.includes('--json');
const only = argument('--only');
const onlyStore = argument('--store');
if (only && !Object.hasOwn(ATTACKS, only)) {
  process.stderr.write(`unknown attack "${only}"; one of: ${Object.keys(ATTACKS).join(', ')}\n`);
  process.exit(2);
}
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};

const rows: Row[] = [];
const baselines: Row[] = [];
for (const store of STORES.filter((s) => !onlyStore || s === onlyStore)) {
  const baseline = await measure('baseline (no attack)', store, () => sleep(BASELINE_MS), null, null);
  baselines.push(baseline);
  log(`${store} baseline: honest p99 ${baseline.honestP99Ms} ms, peak RSS ${baseline.peakRssMiB} MiB`);
  for (const [name, run] of Object.entries(ATTACKS) as [keyof typeof VERDICTS, Attack][]) {
    if (only && name !== only) continue;
    const verdict = VERDICTS[name] as (outcome: never) => Verdict;
    const row = await measure(name, store, run, baseline.honestP99Ms || null, verdict);
    rows.push(row);
    log(
      `${store} ${name}: ${row.pass ? 'PASS' : 'FAIL'} crashed=${row.crashed} peak RSS ${row.peakRssMiB}/${row.budgetMiB} MiB, ` +
        `honest ${(row.honestSuccessRate * 100).toFixed(1)}% of ${row.honestOperations} (${row.honestRetriedLogins} logins retried), p99 ${row.honestP99Ms} ms ` +
        `(x${row.p99VsBaseline ?? '?'} baseline), ${row.attackSeconds} s; attacker refused as expected: ` +
        `${row.attackerRefused?.expected ? 'yes' : 'NO'} (${row.attackerRefused?.detail ?? '-'})${row.error ? `\n  ${row.error}` : ''}`,
    );
  }
}

const report = {
  budgetMiB: RSS_BUDGET_MIB,
  criteria: 'no crash, peak RSS within budget, honest success >= 99%',
  pass: rows.every((row) => row.pass),
  baselines: baselines.map(({ store, honestP99Ms, peakRssMiB, honestSuccessRate }) => ({
    store,
    honestP99Ms,
    peakRssMiB,
    honestSuccessRate,
  })),
  attacks: rows,
};
if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
else {
  log('');
  log(
    '| attack | store | crashed | peak RSS MiB (budget) | honest success | logins retried | honest p99 ms (vs baseline) | pass | attacker refused as expected |',
  );
  log('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows)
    log(
      `| ${row.attack} | ${row.store} | ${row.crashed ? 'yes' : 'no'} | ${row.peakRssMiB} (${row.budgetMiB}) | ` +
        `${(row.honestSuccessRate * 100).toFixed(1)}% | ${row.honestRetriedLogins} | ${row.honestP99Ms} (x${row.p99VsBaseline ?? '?'}) | ${row.pass ? 'yes' : 'NO'} | ${row.attackerRefused?.expected ? 'yes' : 'no'} |`,
    );
}
process.exit(report.pass ? 0 : 1);
