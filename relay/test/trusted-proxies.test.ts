import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createAuthProof, createIdentity, type Identity, Role, ready } from '@sealcam/protocol';
import { fromBase64Url, toBase64Url } from '@sealcam/protocol/relay-safe';
import type WebSocket from 'ws';
import { send } from '../bench/abuse/net.js';
import { tryUpgrade } from './support/from-address.js';
import { requestOn } from './support/raw-request.js';
import { authenticate } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';

await ready();

/**
 * One login, from socket address `localAddress` with `forwarded` as X-Forwarded-For (what an
 * appending proxy in front would send): the token answer's status and reason.
 */
async function login(base: string, identity: Identity, localAddress: string, forwarded?: string) {
  const options = { localAddress, ...(forwarded ? { headers: { 'x-forwarded-for': forwarded } } : {}) };
  const challenge = await send(base, '/v1/auth/challenge', { ...options, method: 'POST', timeoutMs: 60_000 });
  assert.equal(challenge.status, 200);
  const value = String(challenge.json?.challenge);
  const proof = createAuthProof(identity, base, fromBase64Url(value));
  return send(base, '/v1/auth/token', {
    ...options,
    method: 'POST',
    timeoutMs: 60_000,
    body: { challenge: value, proof: toBase64Url(proof) },
  });
}

describe('a relay behind one appending proxy (SEALCAM_TRUST_PROXY=1)', () => {
  let running: RunningRelay;
  before(async () => {
    running = await startInProcessRelay({
      trustProxy: '1',
      newDevicesPerSourcePerHour: 3,
      connectionsPerSource: 2,
    });
  });
  after(async () => running?.stop());

  it('new devices count against the rightmost X-Forwarded-For address, whatever the client put left of it', async () => {
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await login(
        running.base,
        createIdentity(Role.Device),
        '127.0.0.1',
        `198.51.100.${i + 1}, 203.0.113.9`,
      );
      statuses.push(answer.reason ?? answer.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 'too-many-new-devices']);
    // A client claiming 203.0.113.9 from elsewhere is counted at its real address, not the victim's.
    const other = await login(
      running.base,
      createIdentity(Role.Device),
      '127.0.0.1',
      '203.0.113.9, 203.0.113.10',
    );
    assert.equal(other.status, 200);
  });

  it('WebSocket upgrades count against the same rightmost address: the third from 203.0.113.20 is refused, another address connects', async () => {
    const open: WebSocket[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const token = await authenticate(running.base, createIdentity(Role.Viewer));
        const { status, ws } = await tryUpgrade(running.wsBase, token, {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.20` },
        });
        statuses.push(status);
        open.push(ws);
      }
      assert.deepEqual(statuses, [101, 101, 503]);
      const token = await authenticate(running.base, createIdentity(Role.Viewer));
      const other = await tryUpgrade(running.wsBase, token, {
        headers: { 'x-forwarded-for': '203.0.113.20, 203.0.113.21' },
      });
      open.push(other.ws);
      assert.equal(other.status, 101);
      const { values } = await running.relay.context.metrics.admissionRejections.get();
      assert.equal(values.find((sample) => sample.labels.kind === 'source-connections')?.value, 1);
    } finally {
      for (const ws of open) ws.terminate();
    }
  });

  it('a forwarded value that is not an IP address counts as the socket address (so it shares that allowance)', async () => {
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await login(
        running.base,
        createIdentity(Role.Device),
        '127.0.0.61',
        `203.0.113.9, ${'z'.repeat(4000)}-${i}`,
      );
      statuses.push(answer.reason ?? answer.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 'too-many-new-devices']);
    // The socket address itself, without any header, is the same source: its allowance is spent.
    const plain = await login(running.base, createIdentity(Role.Device), '127.0.0.61');
    assert.equal(plain.reason, 'too-many-new-devices');
  });
});

describe('a relay that trusts a list of proxy addresses (SEALCAM_TRUST_PROXY=127.0.0.1)', () => {
  let running: RunningRelay;
  before(async () => {
    running = await startInProcessRelay({
      trustProxy: '127.0.0.1',
      newDevicesPerSourcePerHour: 2,
      socketsPerSource: 4,
    });
  });
  after(async () => running?.stop());

  it('through the proxy the rightmost non-proxy address counts; a direct client is counted at its own address, whatever it forwards', async () => {
    const viaProxy: (number | string)[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await login(
        running.base,
        createIdentity(Role.Device),
        '127.0.0.1',
        `198.51.100.${i + 1}, 203.0.113.30`,
      );
      viaProxy.push(answer.reason ?? answer.status);
    }
    assert.deepEqual(viaProxy, [200, 200, 'too-many-new-devices']);
    // 127.0.0.62 is no proxy: its X-Forwarded-For is not believed, so it does not spend 203.0.113.31's
    // allowance, but its own.
    const direct: (number | string)[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await login(running.base, createIdentity(Role.Device), '127.0.0.62', '203.0.113.31');
      direct.push(answer.reason ?? answer.status);
    }
    assert.deepEqual(direct, [200, 200, 'too-many-new-devices']);
    const victim = await login(running.base, createIdentity(Role.Device), '127.0.0.1', '203.0.113.31');
    assert.equal(victim.status, 200);
  });

  it('socket caps apply to a direct client (its 5th socket is refused 503) but not to the proxy, whose sockets carry many clients', async () => {
    const port = Number(new URL(running.base).port);
    const head = 'GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n';
    const held: Socket[] = [];
    try {
      const proxy: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { status, socket } = await requestOn(port, '127.0.0.1', head);
        held.push(socket);
        proxy.push(status);
      }
      assert.deepEqual(proxy, ['200', '200', '200', '200', '200', '200']);
      const direct: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { status, socket } = await requestOn(port, '127.0.0.63', head);
        held.push(socket);
        direct.push(status);
      }
      assert.deepEqual(direct, ['200', '200', '200', '200', '503']);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

describe('IPv6 homes: one subscriber allocation is one address for the address quota', () => {
  let running: RunningRelay;
  before(async () => {
    running = await startInProcessRelay({ trustProxy: '127.0.0.1' });
  });
  after(async () => running?.stop());

  /** The home a device token carries (its claims are plain base64url JSON; the relay signs them). */
  const homeOf = async (forwarded: string) => {
    const answer = await login(running.base, createIdentity(Role.Device), '127.0.0.1', forwarded);
    assert.equal(answer.status, 200);
    const claims = String(answer.json?.token).split('.')[1] ?? '';
    return (JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as unknown[])[3];
  };

  it('two /64s of one /48 share a home (SEALCAM_IPV6_HOME_PREFIX 48); another /48 and an IPv4 address do not', async () => {
    const first = await homeOf('2001:db8:0:ab01::5');
    assert.equal(typeof first, 'string');
    assert.equal(await homeOf('2001:db8:0:ab08::77'), first, 'same /48');
    assert.notEqual(await homeOf('2001:db8:1:ab01::5'), first, 'another /48');
    assert.notEqual(await homeOf('198.51.100.7'), first);
  });
});
