import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./support/stop-signal-child.js', import.meta.url));

// Found under load: `device-agent run` got a SIGTERM while an outbox put was fsyncing and died of
// it (exit code null) instead of stopping; signal-exit re-raised the signal after the agent's `once`
// listener had removed itself. Deterministic here: the signal always lands in an atomic write.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`a ${signal} during an atomic write stops the agent gracefully instead of killing it`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-stop-signal-'));
    try {
      const result = spawnSync(process.execPath, [CHILD, dir, signal], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(result.signal, null, `killed by ${result.signal}: ${result.stderr}`);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), `stopped by ${signal}`);
      assert.deepEqual(readdirSync(dir), ['status.json'], 'the write completed, no temporary file left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
