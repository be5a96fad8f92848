import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Access, ready } from '@sealcam/protocol';
import { authenticate, http, registerViewers } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, people, sealedEvent } from './support/world.js';

await ready();

const MAX_OBJECT = 65_536;

describe('invariant 10 (relay): bad input on every route gets a 4xx with a reason; nothing is half-stored; no crash', () => {
  let running: RunningRelay;
  const p = people();
  let deviceToken = '';
  let ownerToken = '';
  let committed: ReturnType<typeof sealedEvent>;

  before(async () => {
    running = await startInProcessRelay({ maxObjectBytes: MAX_OBJECT });
    deviceToken = await authenticate(running.base, p.device);
    ownerToken = await authenticate(running.base, p.owner);
    await registerViewers(running.base, p.device, deviceToken, [{ identity: p.owner, access: Access.Owner }]);
    committed = sealedEvent(p.device, [p.owner]);
    const base = `/v1/devices/${idOf(p.device)}/events/${committed.eventId}`;
    await http(running.base, 'PUT', `${base}/thumbnail`, { token: deviceToken, body: committed.thumbnail });
    await http(running.base, 'PUT', base, { token: deviceToken, body: committed.envelope });
  });
  after(async () => running?.stop());

  const device = () => idOf(p.device);
  const event = () => committed.eventId;
  const routes = (): [string, string, 'device' | 'owner' | 'none'][] => [
    ['PUT', `/v1/devices/${device()}/access-list`, 'device'],
    ['PUT', `/v1/devices/${device()}/streams/cam-1/manifests/1`, 'device'],
    ['PUT', `/v1/devices/${device()}/events/${event()}/thumbnail`, 'device'],
    ['PUT', `/v1/devices/${device()}/events/${event()}/chunks/0`, 'device'],
    ['PUT', `/v1/devices/${device()}/events/${event()}`, 'device'],
    ['POST', `/v1/pairing/${device()}/${'a'.repeat(26)}/request`, 'owner'],
    ['PUT', `/v1/pairing/${device()}/${'a'.repeat(26)}/response/${'b'.repeat(26)}`, 'device'],
    ['POST', `/v1/devices/${device()}/inbox`, 'owner'],
  ];

  it('garbage bodies are refused with 400 and a reason', async () => {
    for (const [method, path, who] of routes()) {
      const token = who === 'device' ? deviceToken : ownerToken;
      for (const body of [
        new Uint8Array([0xff]),
        new Uint8Array(200).fill(7),
        new Uint8Array([1, 0x06, 0, 0]),
      ]) {
        const result = await http(running.base, method, path, { token, body });
        assert.equal(result.status, 400, `${method} ${path}`);
        assert.equal(typeof result.json?.error, 'string');
        assert.equal(typeof result.json?.message, 'string');
      }
      const empty = await http(running.base, method, path, { token, body: new Uint8Array(0) });
      assert.equal(empty.status, 400, `${method} ${path} empty`);
    }
  });

  it('a request without a valid token is refused before its body is read', async () => {
    for (const [method, path] of routes()) {
      const result = await http(running.base, method, path, { body: new Uint8Array(MAX_OBJECT + 1) });
      assert.equal(result.status, 401, `${method} ${path}`);
      assert.equal(result.json?.error, 'missing-token');
    }
  });

  it('oversized bodies are refused with 413 before they are read whole', async () => {
    for (const [method, path, who] of routes()) {
      const token = who === 'device' ? deviceToken : ownerToken;
      const result = await http(running.base, method, path, { token, body: new Uint8Array(MAX_OBJECT + 1) });
      assert.equal(result.status, 413, `${method} ${path}`);
    }
  });

  it('wrong content types, bad ids and bad queries are refused with 4xx', async () => {
    const wrongType = await http(running.base, 'PUT', `/v1/devices/${device()}/events/${event()}`, {
      token: deviceToken,
      body: 'text body',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(wrongType.status, 415);
    for (const path of [
      '/v1/devices/NOT-AN-ID/events',
      `/v1/devices/${device()}/events/short`,
      `/v1/devices/${device()}/events/${event()}/chunks/9999`,
      `/v1/devices/${device()}/events?limit=100000`,
      `/v1/devices/${device()}/events?from=abc`,
      `/v1/devices/${device()}/events?after=nonsense`,
      `/v1/devices/${device()}/events?evil=1`,
      `/v1/devices/${device()}/streams/bad%20stream/keyframe`,
      `/v1/devices/${device()}/streams/cam-1/manifests/99999999999`,
    ]) {
      const result = await http(running.base, 'GET', path, { token: ownerToken });
      assert.equal(result.status, 400, path);
      assert.equal(result.json?.error, 'invalid-request', path);
    }
    for (const body of ['not json', '{"challenge": 1}', '{"challenge":"x","proof":"y","extra":true}', '[]']) {
      const result = await http(running.base, 'POST', '/v1/auth/token', {
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.ok(result.status >= 400 && result.status < 500, body);
    }
    assert.equal((await http(running.base, 'GET', '/no/such/route')).status, 404);
  });

  it('nothing was half-stored and the committed event is intact', async () => {
    const list = await http(running.base, 'GET', `/v1/devices/${device()}/events`, { token: ownerToken });
    const events = (list.json as { events: { eventId: string }[] }).events;
    assert.deepEqual(
      events.map((e) => e.eventId),
      [committed.eventId],
    );
    const envelope = await http(running.base, 'GET', `/v1/devices/${device()}/events/${event()}`, {
      token: ownerToken,
    });
    assert.deepEqual(envelope.bytes, committed.envelope);
    const thumbnail = await http(running.base, 'GET', `/v1/devices/${device()}/events/${event()}/thumbnail`, {
      token: ownerToken,
    });
    assert.deepEqual(thumbnail.bytes, committed.thumbnail);
    assert.equal(
      (
        await http(running.base, 'GET', `/v1/devices/${device()}/events/${event()}/chunks/0`, {
          token: ownerToken,
        })
      ).status,
      404,
    );
    assert.equal((await http(running.base, 'GET', '/healthz')).status, 200);
  });

  // Runs last: every reply of the tests above had a status its route declares (docs/RELAY-API.md).
  it('answered only statuses that the routes declare (and the OpenAPI document lists)', async () => {
    assert.deepEqual(await running.undeclaredReplies(), []);
  });
});
