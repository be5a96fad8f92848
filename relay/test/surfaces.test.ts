import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Access, createAccessList, LIMITS, ready, verifyAccessList } from '@sealcam/protocol';
import { loadConfig } from '../src/config/config.js';
import { ADMIN_TOKEN_MIN_LENGTH } from '../src/http/admin-listener.js';
import { ACCESS_LIST_BODY_BYTES, AUTH_BODY_BYTES, DEFAULT_BODY_BYTES } from '../src/http/body-limits.js';
import { isLoopbackHost } from '../src/http/loopback.js';
import { launchRelay } from '../src/launcher.js';
import { createRelay } from '../src/server.js';
import { authenticate, http } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { people } from './support/world.js';

await ready();

const MiB = 1024 * 1024;

/** `depth` nested JSON arrays: cheap to send, costly to parse when large. */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/**
 * Sends the head of a request announcing `declared` bytes of body, then only `sent` bytes of it, and
 * returns the status line the relay answers with without waiting for the rest (or rejects after 60 s).
 */
function partialRequest(
  base: string,
  path: string,
  head: { declared: number; sent: number } | { chunk: number },
): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to a partial body on ${path}`));
    }, 60_000);
    let answer = '';
    socket.on('data', (data) => {
      answer += String(data);
      if (answer.includes('\r\n\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const lines = [`POST ${path} HTTP/1.1`, `Host: ${hostname}`, 'Content-Type: application/json'];
    if ('declared' in head) {
      lines.push(`Content-Length: ${head.declared}`, '', '');
      socket.write(lines.join('\r\n'));
      socket.write('['.repeat(head.sent));
    } else {
      // Chunked: one chunk larger than the limit, then nothing (no terminating chunk).
      lines.push('Transfer-Encoding: chunked', '', '');
      socket.write(lines.join('\r\n'));
      socket.write(`${head.chunk.toString(16)}\r\n${'['.repeat(head.chunk)}\r\n`);
    }
  });
}

describe('unauthenticated surfaces are small', () => {
  let running: RunningRelay;
  before(async () => {
    running = await startInProcessRelay();
  });
  after(async () => running?.stop());

  it('body limits: auth routes 1 KiB, the default 16 KiB, the access list exactly its largest valid size (with the largest sealed profile)', () => {
    assert.equal(AUTH_BODY_BYTES, 1024);
    assert.equal(DEFAULT_BODY_BYTES, 16 * 1024);
    const device = people().device;
    const largest = createAccessList({
      device,
      version: 1,
      issuedAt: Date.now(),
      entries: Array.from({ length: 1024 }, () => ({ viewerId: randomBytes(16), access: Access.Viewer })),
      // The largest profile a parser accepts: LIMITS.recipients stanzas, the largest ciphertext.
      profile: {
        ephemeralPublicKey: randomBytes(32),
        stanzas: Array.from({ length: LIMITS.recipients }, () => ({
          viewerId: randomBytes(16),
          wrapped: randomBytes(48),
        })),
        ciphertext: randomBytes(LIMITS.profileBytes + 16),
      },
    });
    assert.equal(largest.length, ACCESS_LIST_BODY_BYTES);
    assert.equal(verifyAccessList(largest, device.card).profile?.stanzas.length, LIMITS.recipients);
  });

  it('8 MiB of nested JSON on each auth route and an unknown path is refused with 413 too-large', async () => {
    for (const path of ['/v1/auth/challenge', '/v1/auth/token', '/v1/no-such-route']) {
      const result = await http(running.base, 'POST', path, {
        body: nested(4 * MiB),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(result.status, 413, path);
      assert.equal(result.json?.error, 'too-large', path);
      assert.equal(typeof result.json?.message, 'string', path);
    }
  });

  it('one byte over a route limit is 413; at the limit the body is parsed (and refused by its schema)', async () => {
    const over = await http(running.base, 'POST', '/v1/auth/token', {
      body: nested(AUTH_BODY_BYTES / 2 + 1).slice(1),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(over.status, 413);
    // 512 levels of nesting within 1 KiB: parsed, then refused as not the token request.
    const deep = await http(running.base, 'POST', '/v1/auth/token', {
      body: nested(AUTH_BODY_BYTES / 2),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deep.status, 400);
    assert.equal(deep.json?.error, 'invalid-request');
  });

  it('a declared oversize body is refused before it is sent, a chunked one as soon as it passes the limit', async () => {
    for (const path of ['/v1/auth/challenge', '/v1/auth/token', '/v1/no-such-route']) {
      const declared = await partialRequest(running.base, path, { declared: 8 * MiB, sent: 16 });
      assert.match(declared, /^HTTP\/1\.1 413 /, path);
      assert.match(declared, /content-type: application\/json/i, path);
    }
    const chunked = await partialRequest(running.base, '/v1/auth/token', { chunk: 4 * AUTH_BODY_BYTES });
    assert.match(chunked, /^HTTP\/1\.1 413 /);
  });

  it('while oversize bodies keep arriving, honest devices still authenticate', async () => {
    let flooding = true;
    let refused = 0;
    const flood = async () => {
      while (flooding) {
        const result = await http(running.base, 'POST', '/v1/auth/token', {
          body: nested(4 * MiB),
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(result.status, 413);
        refused += 1;
      }
    };
    const attackers = Array.from({ length: 4 }, flood);
    try {
      for (let i = 0; i < 5; i++) {
        const token = await authenticate(running.base, people().device);
        assert.ok(token.length > 0);
      }
    } finally {
      flooding = false;
      await Promise.all(attackers);
    }
    assert.ok(refused > 0, 'the flood ran alongside');
    assert.deepEqual(await running.undeclaredReplies(), []);
  });

  it('the public listener says only up and ready, and has no /metrics', async () => {
    const health = await http(running.base, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });
    const readiness = await http(running.base, 'GET', '/readyz');
    assert.equal(readiness.status, 200);
    assert.deepEqual(readiness.json, { ready: true });
    const metrics = await http(running.base, 'GET', '/metrics');
    assert.equal(metrics.status, 404);
    assert.equal(metrics.json?.error, 'not-found');
    assert.doesNotMatch(metrics.text, /sealcam_relay_/);
  });

  it('the admin listener, on loopback and its own port, serves metrics and detailed health', async () => {
    const admin = new URL(running.adminBase);
    assert.equal(admin.hostname, '127.0.0.1');
    assert.notEqual(admin.port, new URL(running.base).port);
    const token = await authenticate(running.base, people().device);
    assert.ok(token);
    const metrics = await http(running.adminBase, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^sealcam_relay_store_operations_total\{/m);
    const health = await http(running.adminBase, 'GET', '/healthz');
    assert.deepEqual(health.json, { status: 'ok', store: 'memory', bus: 'local', connections: 0 });
    const readiness = await http(running.adminBase, 'GET', '/readyz');
    assert.deepEqual(readiness.json, { ready: true, store: true, bus: true, draining: false });
    // The admin listener serves nothing of the public API.
    assert.equal((await http(running.adminBase, 'POST', '/v1/auth/challenge')).status, 404);
  });
});

describe('the admin listener is loopback unless an operator token guards it', () => {
  const TOKEN = 'x'.repeat(ADMIN_TOKEN_MIN_LENGTH);

  it('loopback addresses are told apart from others', () => {
    for (const host of ['127.0.0.1', '127.3.2.1', '::1', 'localhost']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'fe80::1', 'relay.example.com'])
      assert.equal(isLoopbackHost(host), false, host);
  });

  it('a non-loopback admin host without SEALCAM_ADMIN_TOKEN stops the relay at start, naming both', async () => {
    for (const adminHost of ['0.0.0.0', '::', '10.0.0.5']) {
      await assert.rejects(
        createRelay(loadConfig({}, { logLevel: 'silent', adminHost, adminPort: 0 })),
        /SEALCAM_ADMIN_HOST=.*SEALCAM_ADMIN_TOKEN/,
      );
    }
    await assert.rejects(
      createRelay(loadConfig({}, { logLevel: 'silent', adminToken: 'short' })),
      /SEALCAM_ADMIN_TOKEN must be at least 32 characters/,
    );
    // With a token it is allowed (not bound here: that would expose a test port).
    const relay = await createRelay(
      loadConfig({}, { logLevel: 'silent', adminHost: '0.0.0.0', adminPort: 0, adminToken: TOKEN }),
    );
    await relay.close();
  });

  it('with a token set, every admin request needs it: none or a wrong one is 401', async () => {
    const running = await startInProcessRelay({ adminToken: TOKEN });
    try {
      for (const path of ['/metrics', '/healthz', '/readyz', '/no-such-route']) {
        const none = await http(running.adminBase, 'GET', path);
        assert.equal(none.status, 401, path);
        assert.equal(none.json?.error, 'missing-token', path);
        assert.doesNotMatch(none.text, /sealcam_relay_/);
        const wrong = await http(running.adminBase, 'GET', path, {
          token: 'y'.repeat(ADMIN_TOKEN_MIN_LENGTH),
        });
        assert.equal(wrong.status, 401, path);
      }
      const metrics = await http(running.adminBase, 'GET', '/metrics', { token: TOKEN });
      assert.equal(metrics.status, 200);
      assert.match(metrics.text, /sealcam_relay_/);
      // The public listener does not take the operator token as anything.
      assert.equal((await http(running.base, 'GET', '/metrics', { token: TOKEN })).status, 404);
    } finally {
      await running.stop();
    }
  });

  it('launchRelay() resolves with adminBase, where the relay process serves its metrics', async () => {
    const relay = await launchRelay();
    try {
      assert.match(relay.adminBase, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(relay.adminBase, relay.base);
      assert.equal((await fetch(`${relay.adminBase}/metrics`)).status, 200);
      assert.equal((await fetch(`${relay.base}/metrics`)).status, 404);
      assert.ok(await authenticate(relay.base, people().device));
    } finally {
      await relay.stop();
    }
  });
});
