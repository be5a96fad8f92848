import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireProgram } from '@sealcam/testkit/programs';
import { runDrill } from '../src/drill/orchestrator.js';
import type { DrillOptions } from '../src/drill/report.js';

const small: DrillOptions = {
  devices: 24,
  viewersPerDevice: 2,
  fault: 'mixup',
  mixupRate: 0.3,
  store: 'memory',
  plaintextBaseline: false,
  workers: 2,
  concurrency: 16,
  liveWave: 12,
  eventsBefore: 1,
  eventsAfter: 1,
};

/** The small test fleet, however loaded the machine: every device counted back within a minute. */
const STORM_BOUND_SECONDS = 60;

function assertStormRecovered(report: Awaited<ReturnType<typeof runDrill>>, devices: number): void {
  assert.equal(report.reconnected, devices, 'every device reconnected after the storm');
  assert.ok(
    report.reconnectAllSeconds > 0 && report.reconnectAllSeconds <= STORM_BOUND_SECONDS,
    `all devices back in ${report.reconnectAllSeconds} s (bound ${STORM_BOUND_SECONDS} s)`,
  );
  assert.ok(
    report.reconnectP99Ms > 0 && report.reconnectP99Ms <= report.reconnectAllSeconds * 1000 + 10,
    `p99 ${report.reconnectP99Ms} ms within the storm's ${report.reconnectAllSeconds} s`,
  );
}

function assertRanEveryPhase(report: Awaited<ReturnType<typeof runDrill>>): void {
  assert.equal(report.devices, small.devices);
  assert.equal(report.viewers, small.devices * small.viewersPerDevice);
  // Every viewer listed both events of its camera (listing misroutes add foreign entries on top).
  assert.ok(report.eventsListed >= report.viewers * 2, `events listed: ${report.eventsListed}`);
  assert.ok(report.ownPicturesShown > 0 && report.liveFramesShown > 0);
  assert.ok(report.relayFaultMisroutes > 0, 'the relay injected no fault');
  assert.equal(report.unknownServed, 0, 'every served object was made by a simulated device');
  assertStormRecovered(report, small.devices);
  assert.ok(report.relayPeakRssMB > 0);
}

test('invariants under the incident: misdelivered > 0, openedByWrongViewer == 0, acceptedForeign == 0, and the owners still open their own events (sealed, memory store)', async () => {
  const report = await runDrill(small);
  assertRanEveryPhase(report);
  assert.ok(report.misdelivered > 0, 'the fault seam misdelivered nothing: the drill proves nothing');
  assert.equal(report.openedByWrongViewer, 0);
  assert.equal(report.acceptedForeign, 0);
  assert.ok(Object.values(report.rejected).reduce((a, b) => a + b, 0) > 0, 'nothing was rejected');
  // The rightful owners still get their events: a misdelivered object is asked for again (4
  // requests at most): at a 0.3 mix-up rate ~0.7 of records opened at the first request; ≥ 0.97
  // were opened in every run measured (bounds with room for the randomness of 72–76 events).
  assert.ok(report.ownEventsListed >= report.viewers, `own events listed: ${report.ownEventsListed}`);
  assert.ok(report.ownEventsOpenedShare >= 0.9, `own events opened: ${report.ownEventsOpenedShare}`);
  assert.ok(report.ownEventsCompleteShare >= 0.8, `own events complete: ${report.ownEventsCompleteShare}`);
  assert.ok(report.liveShare >= 0.9, `viewers that saw live: ${report.liveShare}`);
});

test('the same drill on the Redis store: misdelivered > 0, openedByWrongViewer == 0, acceptedForeign == 0', async () => {
  requireProgram('redis-server', 'redis-server');
  const report = await runDrill({ ...small, devices: 12, store: 'redis' });
  assertStormRecovered(report, 12);
  assert.ok(report.misdelivered > 0);
  assert.equal(report.openedByWrongViewer, 0);
  assert.equal(report.acceptedForeign, 0);
  assert.equal(report.unknownServed, 0);
});

test('the plaintext baseline (no sealing) exposes other homes: the drill can fail', async () => {
  const report = await runDrill({ ...small, plaintextBaseline: true });
  assertRanEveryPhase(report);
  assert.ok(report.exposures! > 0, 'no exposure without sealing: the drill could not detect one');
  assert.ok(report.openedByWrongViewer > 0);
  assert.ok(report.acceptedForeign > 0);
});

test('without the fault seam nothing is misdelivered and nothing is refused as foreign', async () => {
  const report = await runDrill({ ...small, devices: 12, fault: 'none' });
  assertStormRecovered(report, 12);
  assert.equal(report.misdelivered, 0);
  assert.equal(report.relayFaultMisroutes, 0);
  // Two events per camera, the first uploaded twice (after the storm): listed once each, all open.
  assert.equal(report.eventsListed, report.viewers * 2);
  assert.equal(report.eventsOpened, report.viewers * 2);
  assert.equal(report.ownEventsListed, report.viewers * 2);
  assert.equal(report.ownEventsOpenedShare, 1);
  assert.equal(report.ownEventsCompleteShare, 1);
  assert.equal(report.viewersWithoutLive, 0);
  assert.equal(report.liveShare, 1);
  assert.equal(report.openedByWrongViewer, 0);
  assert.equal(report.acceptedForeign, 0);
  for (const reason of ['WRONG_DEVICE', 'DECRYPT_FAILED', 'WRONG_EVENT', 'WRONG_KIND'])
    assert.equal(report.rejected[reason] ?? 0, 0, `${reason} without a fault`);
});
