import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import { until } from '@sealcam/testkit/poll';
import { BUILT_WEB_APP, startAppHost } from '../src/node/app-host.js';
import { VIEWER_CLI } from './support/viewer-cli.js';

test('app host: the signed app from its own origin; its CSP connects only to itself and the named relays; hashed assets immutable and served precompressed', async () => {
  const host = await startAppHost({ relays: ['http://127.0.0.1:8080'] });
  try {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+$/);
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
      const page = await fetch(`${host.url}${path}`);
      assert.equal(page.status, 200, path);
      assert.match(await page.text(), /<script type="module"/);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:8080 ws:\/\/127\.0\.0\.1:8080;/);
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
      assert.equal(page.headers.get('cache-control'), 'no-cache');
    }
    const release = await fetch(`${host.url}/release.json`);
    const { files } = JSON.parse(
      Buffer.from(((await release.json()) as { release: string }).release, 'base64url').toString(),
    ) as {
      files: Record<string, string>;
    };
    const asset = Object.keys(files).find((path) => path.startsWith('/assets/') && path.endsWith('.js'))!;
    assert.match((await fetch(`${host.url}${asset}`)).headers.get('cache-control') ?? '', /immutable/);
    // The build's brotli and gzip copies, by what the browser accepts; the same bytes once decoded
    // (the release's hash), and far fewer on the wire.
    const plain = await fetch(`${host.url}${asset}`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    const body = Buffer.from(await plain.arrayBuffer());
    assert.equal(createHash('sha256').update(body).digest('hex'), files[asset]);
    for (const encoding of ['br', 'gzip']) {
      const encoded = await fetch(`${host.url}${asset}`, { headers: { 'accept-encoding': encoding } });
      assert.equal(encoded.headers.get('content-encoding'), encoding);
      assert.match(encoded.headers.get('vary') ?? '', /accept-encoding/i);
      assert.match(encoded.headers.get('cache-control') ?? '', /immutable/);
      const sent = Number(encoded.headers.get('content-length'));
      assert.ok(sent > 0 && sent < body.length / 2, `${encoding}: ${sent} of ${body.length} bytes`);
      assert.ok(Buffer.from(await encoded.arrayBuffer()).equals(body), `${encoding} decodes to the file`);
    }
    assert.deepEqual(await (await fetch(`${host.url}/config.json`)).json(), {
      relays: ['http://127.0.0.1:8080'],
    });
    host.setRelays(['https://relay.example']);
    assert.match(
      (await fetch(`${host.url}/`)).headers.get('content-security-policy') ?? '',
      /connect-src 'self' https:\/\/relay\.example wss:\/\/relay\.example;/,
    );
    assert.equal((await fetch(`${host.url}/..%2fpackage.json`)).status, 404);
    assert.equal(
      (await fetch(`${host.url}/.build-inputs.json`)).status,
      404,
      'the build records are not served',
    );
  } finally {
    await host.close();
  }
  await assert.rejects(
    startAppHost({ root: mkdtempSync(join(tmpdir(), 'sealcam-empty-')), relays: [] }),
    /npm run build/,
  );
  assert.match(BUILT_WEB_APP, /webapp$/);
  // A copy that is not its file (another build's) would be served in its place: the host will not start.
  const stale = mkdtempSync(join(tmpdir(), 'sealcam-stale-'));
  cpSync(BUILT_WEB_APP, stale, { recursive: true });
  const copy = readdirSync(join(stale, 'assets')).find((name) => name.endsWith('.js.br'))!;
  writeFileSync(join(stale, 'assets', copy), brotliCompressSync(Buffer.from('console.log("another build")')));
  await assert.rejects(startAppHost({ root: stale, relays: [] }), /stale precompressed copies/);
});

test('sealcam-viewer web: serves the app on loopback for the relays named, says which origin they must allow, stops on Ctrl-C', async () => {
  const cli = spawn(
    process.execPath,
    [VIEWER_CLI, 'web', '--relay', 'http://127.0.0.1:8080', '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  cli.stdout.on('data', (data) => {
    output += String(data);
  });
  cli.stderr.on('data', (data) => {
    output += String(data);
  });
  try {
    // Both lines (they may arrive in two reads on a loaded machine).
    const url = await until(
      () => /web app: (http:\/\/127\.0\.0\.1:\d+)\/\n[\s\S]*SEALCAM_APP_ORIGINS=/.exec(output)?.[1],
      30_000,
      'the app URL and the origin to allow',
    );
    assert.match(output, new RegExp(`SEALCAM_APP_ORIGINS=${url}\n`));
    assert.equal((await fetch(`${url}/`)).status, 200);
  } finally {
    cli.kill('SIGINT');
    const [code] = await once(cli, 'exit');
    assert.equal(code, 0, output);
  }
});
