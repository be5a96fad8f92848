import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStorm } from '../storm/storm.js';

/** The relay's default SEALCAM_UNAUTHENTICATED_SOCKETS_PER_SOURCE. */
const UNAUTHENTICATED_PER_SOURCE = 64;
const HOSTILE_SOCKETS = 1000;

test('a small storm (bench:storm) from 50 homes under the default per-source limits, while one address opens 1,000 half-open sockets: every device back after the drop with tokens discarded, no home refused by a per-source cap, the hostile address held to the cap, no ghost connection, and no echo past one token lifetime (sessions renewed in band)', async () => {
  const devices = 150;
  const report = await runStorm(
    {
      devices,
      nodes: 1,
      store: 'memory',
      workers: 2,
      // The relay's shortest lifetime; the watch runs 6 s past it (renewals come at 15–24 s).
      tokenSeconds: 30,
      echoSeconds: 36,
      timeoutSeconds: 240,
      relayEnv: {},
      devicesPerHome: 3,
      hostileSockets: HOSTILE_SOCKETS,
    },
    (line) => console.log(`storm: ${line}`),
  );
  console.log(JSON.stringify(report));
  assert.equal(report.firstConnect.missing, 0, 'every device connected');
  assert.equal(report.storm.missing, 0, 'every device back after the drop');
  assert.equal(report.storm.back, devices);
  assert.ok(report.storm.allBackSeconds !== null);
  assert.equal(report.replacedConnections, 0, 'no connection replaced by a newer one of its device');
  assert.equal(report.homes, 50);
  const hostile = report.hostile;
  assert.ok(hostile, 'the hostile address ran');
  assert.equal(hostile.opened, HOSTILE_SOCKETS);
  assert.equal(hostile.connectFailed, 0, 'every hostile socket reached the relay');
  assert.equal(
    hostile.otherAnswer,
    0,
    'the relay answered the hostile sockets only with 503 or its header timeout',
  );
  assert.equal(
    hostile.refused + hostile.held + hostile.timedOut,
    HOSTILE_SOCKETS,
    'every hostile socket was answered, held or timed out',
  );
  assert.equal(
    hostile.held + hostile.timedOut,
    UNAUTHENTICATED_PER_SOURCE,
    'the relay took exactly its per-source cap of half-open sockets from the hostile address',
  );
  assert.equal(
    report.sourceCapRefusals,
    hostile.refused,
    'every socket a per-source cap refused was the hostile address’s: no home was refused',
  );
  assert.ok(report.echo, 'the echo was watched');
  assert.equal(report.echo.closedAtExpiry, 0, 'no connection closed at its token expiry');
  assert.equal(report.echo.largestDrop, 0, 'no disconnection past one token lifetime');
  assert.equal(report.echo.connectedAtEnd, devices);
});
