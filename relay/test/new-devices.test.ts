import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthProof, createIdentity, type Identity, Role, ready } from '@sealcam/protocol';
import { fromBase64Url, toBase64Url } from '@sealcam/protocol/relay-safe';
import { send } from '../bench/abuse/net.js';
import { type RunningRelay, startInProcessRelay } from './support/relay-process.js';

await ready();

describe('new device identities per source address', () => {
  let running: RunningRelay;
  before(async () => {
    running = await startInProcessRelay({ newDevicesPerSourcePerHour: 3 });
  });
  after(async () => running?.stop());

  /** One login from `localAddress`: the token answer's status, reason and Retry-After. */
  async function login(identity: Identity, localAddress: string) {
    const challenge = await send(running.base, '/v1/auth/challenge', { method: 'POST', localAddress });
    assert.equal(challenge.status, 200);
    const value = String(challenge.json?.challenge);
    const proof = createAuthProof(identity, running.base, fromBase64Url(value));
    return send(running.base, '/v1/auth/token', {
      method: 'POST',
      localAddress,
      body: { challenge: value, proof: toBase64Url(proof) },
    });
  }

  it('an address logs in as at most 3 new devices an hour (429 too-many-new-devices); known devices, viewers and other addresses still log in', async () => {
    const devices = Array.from({ length: 4 }, () => createIdentity(Role.Device));
    for (const device of devices.slice(0, 3)) assert.equal((await login(device, '127.0.0.41')).status, 200);
    const refused = await login(devices[3]!, '127.0.0.41');
    assert.equal(refused.status, 429);
    assert.equal(refused.reason, 'too-many-new-devices');
    assert.ok((refused.retryAfterSeconds ?? 0) >= 1, 'with Retry-After');
    // A gateway logging in again as itself is not new; viewers store nothing and are not counted.
    assert.equal((await login(devices[0]!, '127.0.0.41')).status, 200);
    assert.equal((await login(createIdentity(Role.Viewer), '127.0.0.41')).status, 200);
    // Another address has its own allowance.
    assert.equal((await login(devices[3]!, '127.0.0.42')).status, 200);
    const { values } = await running.relay.context.metrics.admissionRejections.get();
    assert.equal(values.find((sample) => sample.labels.kind === 'source-new-devices')?.value, 1);
  });
});
