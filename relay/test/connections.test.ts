import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createIdentity, Role, ready } from '@sealcam/protocol';
import { within } from '@sealcam/testkit/poll';
import type WebSocket from 'ws';
import { connectionCaps, readFdLimit } from '../src/ops/fd-limit.js';
import { FromAddress } from './support/from-address.js';
import { authenticate } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf } from './support/world.js';

await ready();

/** A raw TCP socket to the relay from `localAddress`, connected. */
function rawSocket(base: string, localAddress = '127.0.0.1', allowHalfOpen = false): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const options = { host: hostname, port: Number(port), localAddress, allowHalfOpen };
    const socket = createConnection(options, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the relay sent once it closes the socket. */
function closed(socket: Socket): Promise<string> {
  let answer = '';
  socket.on('data', (data) => {
    answer += String(data);
  });
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve(answer)));
}

describe('connections: unauthenticated sockets are capped per source and timed out', () => {
  let running: RunningRelay;

  before(async () => {
    running = await startInProcessRelay({
      unauthenticatedSocketsPerSource: 5,
      headersTimeoutSeconds: 1,
      requestTimeoutSeconds: 2,
      upgradeTimeoutSeconds: 1,
    });
  });
  after(async () => running?.stop());

  it('a source over its unauthenticated-socket cap gets 503 and is closed at once; another source is served', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => rawSocket(running.base, '127.0.0.31')));
    const heldClosed = held.map(closed);
    const over = await rawSocket(running.base, '127.0.0.31');
    over.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n');
    const answer = await within(closed(over), 30_000, 'the socket over the cap to be closed');
    assert.match(answer, /^HTTP\/1.1 503 /);
    assert.match(answer, /"error":"over-capacity"/);
    assert.match(answer, /\r\nRetry-After: \d+\r\n/);
    const other = new FromAddress('127.0.0.32');
    try {
      assert.equal((await other.send(running.base, 'GET', '/healthz')).status, 200);
    } finally {
      other.close();
    }
    const { values } = await running.relay.context.metrics.admissionRejections.get();
    assert.ok((values.find((sample) => sample.labels.kind === 'source-sockets')?.value ?? 0) >= 1);
    // The held sockets sent nothing: the headers timeout closes them, and the source is served again.
    await within(Promise.all(heldClosed), 60_000, 'the silent sockets to be closed');
    const again = new FromAddress('127.0.0.31');
    try {
      assert.equal((await again.send(running.base, 'GET', '/healthz')).status, 200);
    } finally {
      again.close();
    }
  });

  it("sockets that presented a valid token or completed an upgrade no longer count against their source's unauthenticated-socket cap", async () => {
    const identity = createIdentity(Role.Viewer);
    const token = await authenticate(running.base, identity);
    const client = new FromAddress('127.0.0.35');
    const live: WebSocket[] = [];
    try {
      // Five WebSockets from one address (its cap is 5 unauthenticated sockets): each stops counting once open.
      for (let i = 0; i < 5; i++) {
        const { status, ws } = await client.upgrade(running.wsBase, token);
        assert.equal(status, 101);
        live.push(ws);
      }
      // And keep-alive HTTP sockets that presented the token stop counting too.
      const authenticated = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const socket = await rawSocket(running.base, '127.0.0.35');
          socket.write(
            `GET /v1/devices/${idOf(identity)}/card HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${token}\r\n\r\n`,
          );
          await new Promise((resolve) => socket.once('data', resolve));
          return socket;
        }),
      );
      assert.equal((await client.send(running.base, 'GET', '/healthz')).status, 200);
      for (const socket of authenticated) socket.destroy();
    } finally {
      for (const ws of live) ws.close();
      client.close();
    }
  });

  it('half-open sockets are closed: silent, trickling headers, a partial upgrade, a refused upgrade left open', async () => {
    const silent = await rawSocket(running.base, '127.0.0.41');
    const trickle = await rawSocket(running.base, '127.0.0.42');
    trickle.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n');
    const drip = setInterval(() => trickle.writable && trickle.write('X'), 300);
    const partialUpgrade = await rawSocket(running.base, '127.0.0.43');
    partialUpgrade.write(
      'GET /v1/live HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n',
    );
    // A complete upgrade request refused (no token): the client never closes its end. It keeps
    // writing, so that once the relay has let go of the socket, the client hears so (a reset).
    const refused = await rawSocket(running.base, '127.0.0.44', true);
    refused.write(
      'GET /v1/live HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const poke = setInterval(() => refused.writable && refused.write('X'), 300);
    try {
      const answers = await within(
        Promise.all([closed(silent), closed(trickle), closed(partialUpgrade), closed(refused)]),
        60_000,
        'every half-open socket to be closed by the relay',
      );
      assert.match(answers[3] ?? '', /^HTTP\/1.1 401 /);
    } finally {
      clearInterval(drip);
      clearInterval(poke);
      for (const socket of [silent, trickle, partialUpgrade, refused]) socket.destroy();
    }
  });
});

describe('connections: the open-file limit bounds the socket caps', () => {
  it('the start log reports the limit, and the socket caps stay below it minus the reserve', async () => {
    const limit = readFdLimit();
    assert.ok(limit?.soft, 'this test runs on Linux, where /proc/self/limits says the open-file limit');
    const running = await startInProcessRelay({ maxConnections: 10_000_000, fdReserve: 256 });
    try {
      const started = running.logs
        .map((line) => JSON.parse(line))
        .find((line) => line.msg === 'relay listening');
      assert.ok(started, 'a start log line');
      assert.equal(started.fdLimit.soft, readFdLimit()?.soft);
      assert.ok(started.maxSockets <= started.fdLimit.soft - 256, JSON.stringify(started));
      assert.ok(started.maxWebSockets < started.maxSockets, JSON.stringify(started));
      assert.equal(running.relay.app.server.maxConnections, started.maxSockets);
      assert.equal(running.relay.context.admission.maxConnections, started.maxWebSockets);
      const lowered = running.logs
        .map((line) => JSON.parse(line))
        .find((line) => line.level === 40 && line.lowered);
      assert.equal(lowered?.lowered, started.maxWebSockets, 'the lowered cap is logged as a warning');
    } finally {
      await running.stop();
    }
  });

  it('connectionCaps keeps a configured cap that fits and lowers one that does not', () => {
    assert.deepEqual(connectionCaps(4096, 1000, 256), { server: 3840, webSockets: 1000, lowered: false });
    const lowered = connectionCaps(1024, 20_000, 256);
    assert.equal(lowered.server, 768);
    assert.ok(lowered.lowered && lowered.webSockets < lowered.server);
    assert.equal(connectionCaps(null, 500, 256).webSockets, 500);
  });

  it('a soft limit below the hard one is raised to it at start (prlimit on the running process)', () => {
    const current = readFdLimit();
    assert.ok(current?.hard && current.hard > 64, 'a known hard limit');
    const soft = Math.min(64, current.hard - 1);
    const module = fileURLToPath(new URL('../src/ops/fd-limit.js', import.meta.url));
    // Node raises its own soft limit when it starts: the child lowers it on itself first.
    const script = [
      `const { spawnSync } = await import('node:child_process');`,
      `spawnSync('prlimit', ['--pid=' + process.pid, '--nofile=${soft}:${current.hard}']);`,
      `const m = await import(${JSON.stringify(module)});`,
      `process.stdout.write(JSON.stringify([m.readFdLimit(), m.raiseFdLimit()]));`,
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const [lowered, raised] = JSON.parse(child.stdout);
    assert.deepEqual(lowered, { soft, hard: current.hard });
    assert.deepEqual(raised, { soft: current.hard, hard: current.hard, raise: 'raised' });
  });
});
