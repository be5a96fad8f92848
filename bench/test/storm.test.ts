import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStorm } from '../storm/storm.js';

test('a small storm (bench:storm): every device back after the drop with tokens discarded, no ghost connection, and no echo past one token lifetime (sessions renewed in band)', async () => {
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
    },
    (line) => console.log(`storm: ${line}`),
  );
  console.log(JSON.stringify(report));
  assert.equal(report.firstConnect.missing, 0, 'every device connected');
  assert.equal(report.storm.missing, 0, 'every device back after the drop');
  assert.equal(report.storm.back, devices);
  assert.ok(report.storm.allBackSeconds !== null);
  assert.equal(report.replacedConnections, 0, 'no connection replaced by a newer one of its device');
  assert.ok(report.echo, 'the echo was watched');
  assert.equal(report.echo.closedAtExpiry, 0, 'no connection closed at its token expiry');
  assert.equal(report.echo.largestDrop, 0, 'no disconnection past one token lifetime');
  assert.equal(report.echo.connectedAtEnd, devices);
});
