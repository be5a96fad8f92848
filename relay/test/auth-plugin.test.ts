import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ready } from '@sealcam/protocol';
import { authenticate, connectLive, http } from './support/relay-client.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';
import { idOf, people } from './support/world.js';

await ready();

describe('authentication plugin (config.auth on each route)', () => {
  let running: RunningRelay;
  const p = people();
  const tokens: { device?: string; otherDevice?: string; owner?: string } = {};
  let verifications = 0;

  before(async () => {
    running = await startInProcessRelay();
    tokens.device = await authenticate(running.base, p.device);
    tokens.otherDevice = await authenticate(running.base, p.otherDevice);
    tokens.owner = await authenticate(running.base, p.owner);
    // Count every token check of this relay (HTTP routes and WebSocket upgrades share it).
    const issuer = running.relay.context.tokens;
    const verify = issuer.verify.bind(issuer);
    issuer.verify = (token, now) => {
      verifications += 1;
      return verify(token, now);
    };
  });
  after(async () => running?.stop());

  it('verifies the token exactly once per request, and once per WebSocket upgrade', async () => {
    verifications = 0;
    const usage = await http(running.base, 'GET', `/v1/devices/${idOf(p.device)}/usage`, {
      token: tokens.device,
    });
    assert.equal(usage.status, 200);
    assert.equal(verifications, 1);
    verifications = 0;
    const live = await connectLive(running.wsBase, tokens.owner!);
    await live.waitControl((m) => m.op === 'hello');
    assert.equal(verifications, 1);
    await live.close();
  });

  it('a route declared for the device named in its URL refuses the other role and other devices', async () => {
    const path = `/v1/devices/${idOf(p.device)}/usage`;
    const viewer = await http(running.base, 'GET', path, { token: tokens.owner });
    assert.deepEqual([viewer.status, viewer.json?.error], [403, 'wrong-role']);
    const other = await http(running.base, 'GET', path, { token: tokens.otherDevice });
    assert.deepEqual([other.status, other.json?.error], [403, 'not-this-device']);
    const none = await http(running.base, 'GET', path);
    assert.deepEqual([none.status, none.json?.error], [401, 'missing-token']);
  });

  it('public routes need no token; a path that is no route is 404 not-found', async () => {
    assert.equal((await http(running.base, 'GET', '/healthz')).status, 200);
    const challenge = await http(running.base, 'POST', '/v1/auth/challenge');
    assert.equal(challenge.status, 200);
    assert.deepEqual(Object.keys(challenge.json ?? {}).sort(), ['challenge', 'expiresAt', 'origin']);
    const missing = await http(running.base, 'GET', '/v1/no/such/route', { token: tokens.owner });
    assert.deepEqual([missing.status, missing.json?.error], [404, 'not-found']);
  });
});
