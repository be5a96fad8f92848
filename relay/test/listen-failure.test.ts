import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../src/config/options.js';
import { RELAY_NODE_FLAGS } from '../src/node-flags.js';
import { EXIT_LISTEN } from '../src/usage.js';

const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'main.js');
const relay = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...RELAY_NODE_FLAGS, '--conditions=sealcam-relay', MAIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SEALCAM_LOG_LEVEL: 'warn', ...env },
  });

test('a relay whose port is taken says so in one line naming SEALCAM_PORT and exits 3', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const result = relay([], {
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_PORT: String(port),
      SEALCAM_ADMIN_PORT: '0',
    });
    assert.equal(result.status, EXIT_LISTEN, result.stderr);
    assert.equal(EXIT_LISTEN, 3);
    assert.equal(
      result.stderr.trim(),
      `sealcam relay: port ${port} on 127.0.0.1 is already in use; choose another with SEALCAM_PORT`,
    );
  } finally {
    server.close();
  }
});

test('a relay whose admin port is taken says so in one line naming SEALCAM_ADMIN_PORT and exits 3', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const result = relay([], {
      SEALCAM_HOST: '127.0.0.1',
      SEALCAM_PORT: '0',
      SEALCAM_ADMIN_PORT: String(port),
    });
    assert.equal(result.status, EXIT_LISTEN, result.stderr);
    assert.equal(
      result.stderr.trim(),
      `sealcam relay: admin port ${port} on 127.0.0.1 is already in use; choose another with SEALCAM_ADMIN_PORT`,
    );
  } finally {
    server.close();
  }
});

test('sealcam-relay --help lists every option by its environment variable, and listens on nothing', () => {
  const result = relay(['--help'], { SEALCAM_HOST: '127.0.0.1', SEALCAM_PORT: '1' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Usage: sealcam-relay/);
  for (const option of Object.values(OPTIONS)) assert.match(result.stdout, new RegExp(`\\b${option.env}\\b`));
  assert.doesNotMatch(result.stderr, /listening/);
});
