import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { requireProgram } from '@sealcam/testkit/programs';
import { kernelSomaxconn } from '../src/ops/somaxconn.js';
import { startInProcessRelay } from './support/relay-process.js';

requireProgram('ss', 'iproute2');

/** The backlog of the listening TCP socket on `port` (ss shows it as Send-Q), or null if none is listed. */
function listenBacklog(port: number): number | null {
  const listed = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const fields = listed.stdout.trim().split(/\s+/);
  return fields.length >= 3 ? Number(fields[2]) : null;
}

test('the relay listens with the configured backlog (SEALCAM_LISTEN_BACKLOG), capped by the kernel at somaxconn; the default asks for the most', async () => {
  const somaxconn = kernelSomaxconn();
  assert.ok(somaxconn !== null && somaxconn > 0, 'net.core.somaxconn is readable');
  for (const [backlog, expected] of [
    [undefined, somaxconn],
    [300, Math.min(300, somaxconn)],
  ] as const) {
    const running = await startInProcessRelay(backlog === undefined ? {} : { listenBacklog: backlog });
    try {
      const port = Number(new URL(running.base).port);
      assert.equal(listenBacklog(port), expected, `backlog ${backlog ?? 'default'}`);
    } finally {
      await running.stop();
    }
  }
});
