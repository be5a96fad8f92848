import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** `npm start`'s program (client/src/demo/start.ts), run as npm start runs it. */
const START = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'demo', 'start.js');

async function occupiedPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { server, port: address.port };
}

test('npm start on a busy port: one line naming --port, exit 1, nothing started or written', async () => {
  const { server, port } = await occupiedPort();
  try {
    const state = join(mkdtempSync(join(tmpdir(), 'sealcam-demo-')), 'state');
    const result = spawnSync(process.execPath, [START, '--port', String(port), '--state', state], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(
      result.stderr,
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*npm start -- --port ${port + 2}`),
    );
    assert.doesNotMatch(result.stdout, /pair#/, 'no pairing link');
    assert.equal(existsSync(state), false, 'the demo wrote its state before giving up');
  } finally {
    server.close();
  }
});

test('npm start -- --help lists --port and --state; a bad port is a one-line usage error', () => {
  const help = spawnSync(process.execPath, [START, '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: npm start -- \[options\]/);
  assert.match(help.stdout, /--port <port>[\s\S]*SEALCAM_DEMO_PORT/);
  assert.match(help.stdout, /--state <dir>[\s\S]*SEALCAM_DEMO_STATE/);
  const bad = spawnSync(process.execPath, [START, '--port', 'eighty'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /option '--port <port>' argument 'eighty' is invalid\. a TCP port, 0–65535/);
});
