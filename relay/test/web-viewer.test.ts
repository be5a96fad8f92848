import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startInProcessRelay } from './support/relay-process.js';

test('serves the built web viewer at /, /pair and every page of the app with a strict CSP, and nothing outside its directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sealcam-web-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>sealcam viewer</title>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
  const relay = await startInProcessRelay({ webRoot: root });
  try {
    const device = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
    const pages = [
      '/',
      '/pair',
      '/add',
      '/events',
      '/settings',
      `/settings/${device}`,
      `/settings/${device}/verify`,
    ];
    for (const path of [...pages, `/camera/${device}/front`, '/me']) {
      const response = await fetch(`${relay.base}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), /sealcam viewer/);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /connect-src 'self';/, 'connections to this origin only: no other ws:/wss: host');
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/, 'WebAssembly yes, eval no');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    }
    const script = await fetch(`${relay.base}/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${relay.base}/..%2f..%2fetc%2fpasswd`)).status, 404);
    assert.equal((await fetch(`${relay.base}/missing.js`)).status, 404);
    const api = await fetch(`${relay.base}/v1/devices/aaaaaaaaaaaaaaaaaaaaaaaaaa/events`);
    assert.equal(api.status, 401, 'the API is unaffected');
  } finally {
    await relay.stop();
  }
});

test('without webRoot nothing is served at /', async () => {
  const relay = await startInProcessRelay();
  try {
    assert.equal((await fetch(`${relay.base}/`)).status, 404);
  } finally {
    await relay.stop();
  }
});
