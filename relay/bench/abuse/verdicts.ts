import type { AccessListOutcome } from './access-lists.js';
import type { AdmissionDrainOutcome } from './admission-drain.js';
import type { PairingFloodOutcome } from './pairing-flood.js';
import type { Tally } from './pool.js';
import type { SlowSocketOutcome } from './slow-sockets.js';
import type { FloodRun, ManifestFloodOutcome } from './storage-flood.js';
import type { NestedJsonOutcome, OutsiderOutcome } from './surfaces.js';
import { ADDRESS_QUOTA_BYTES, DEVICE_QUOTA_BYTES, STORE_MAX_BYTES } from './target.js';

/** Whether the attacker got the refusal issue #14 demands, and what it got. */
export interface Verdict {
  readonly expected: boolean;
  readonly detail: string;
}

function only(tally: Tally, accepted: readonly string[]): boolean {
  return Object.keys(tally.counts).every((outcome) => accepted.includes(outcome));
}

const LIVE_REFUSAL = /^close 4503 (quota|relay-full)|^error .*"reason":"(quota|relay-full)"/;
const MAILBOX_BOUND = /^(413|429|507) (?!rate-limited)/;

/** The same expectations as relay/test/hostile-tenant-*.test.ts, for the bench's report. */
export const VERDICTS = {
  'access-lists': (o: AccessListOutcome): Verdict => ({
    expected: only(o.reads, ['403 no-grant']),
    detail: `reads ${JSON.stringify(o.reads.counts)}`,
  }),
  'event-chunks': (runs: FloodRun[]): Verdict => ({
    expected: runs.every(
      (run) =>
        (run.refusal === '507 quota' || run.refusal === '507 relay-full') &&
        run.acceptedBytes <= DEVICE_QUOTA_BYTES,
    ),
    detail: `refusals ${JSON.stringify(runs.map((run) => run.refusal))}`,
  }),
  'one-address-chunks': (runs: FloodRun[]): Verdict => {
    const accepted = runs.reduce((sum, run) => sum + run.acceptedBytes, 0);
    return {
      expected:
        runs.every((run) => run.refusal === '507 quota' && run.acceptedBytes <= DEVICE_QUOTA_BYTES) &&
        accepted <= ADDRESS_QUOTA_BYTES,
      detail: `${(accepted / STORE_MAX_BYTES).toFixed(2)} of the store taken by ${runs.length} devices of one address; refusals ${JSON.stringify(runs.map((run) => run.refusal))}`,
    };
  },
  manifests: (o: ManifestFloodOutcome): Verdict => ({
    expected: o.http.refusal === '507 quota' && LIVE_REFUSAL.test(o.ws.refusal ?? ''),
    detail: `http ${o.http.refusal} after ${o.http.acceptedBytes} B; live ${o.ws.refusal} after ${o.ws.acceptedBytes} B sent`,
  }),
  'slow-sockets': (o: SlowSocketOutcome): Verdict => ({
    expected: o.stillOpen === 0,
    detail: `${o.stillOpen} of ${o.opened} still open; ${o.closedByRelayAtMs.length} closed by the relay`,
  }),
  pairing: (o: PairingFloodOutcome): Verdict => ({
    expected: o.honestPairing === 'ok' && o.senders.every((s) => MAILBOX_BOUND.test(s.refusal ?? '')),
    detail: `senders ${JSON.stringify(o.senders)}; honest pairing ${o.honestPairing}`,
  }),
  admission: (o: AdmissionDrainOutcome): Verdict => ({
    expected:
      only(o.upgrades, ['503', '429']) &&
      only(o.honestConnects, ['101']) &&
      only(o.honestChallenges, ['200']),
    detail: `upgrades ${JSON.stringify(o.upgrades.counts)}; honest connects ${JSON.stringify(o.honestConnects.counts)}, challenges ${JSON.stringify(o.honestChallenges.counts)}`,
  }),
  'nested-json': (o: NestedJsonOutcome): Verdict => ({
    expected: only(o.answers, ['413 too-large', 'ECONNRESET', 'EPIPE']),
    detail: `answers ${JSON.stringify(o.answers.counts)}`,
  }),
  'outsider-ops': (o: OutsiderOutcome): Verdict => ({
    expected:
      Object.keys(o.publicMetrics.counts).every((outcome) => outcome.startsWith('404')) &&
      only(o.publicHealth, ['200 {"status":"ok"}']) &&
      Object.keys(o.publicReady.counts).every((outcome) =>
        /^(200|503) \{"ready":(true|false)\}$/.test(outcome),
      ) &&
      o.adminMetrics === '200',
    detail: `public /metrics ${JSON.stringify(o.publicMetrics.counts)}; /healthz ${Object.keys(o.publicHealth.counts).length} distinct bodies; admin /metrics ${o.adminMetrics}`,
  }),
} as const;
