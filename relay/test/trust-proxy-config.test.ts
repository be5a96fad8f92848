import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { parseTrustProxy, TrustProxyError } from '../src/http/trusted-proxies.js';
import { launchRelay } from '../src/launcher.js';

describe('SEALCAM_TRUST_PROXY values', () => {
  it('off (the default), false and 0 trust nobody; a number is a hop count; a list is proxy addresses/CIDRs', () => {
    assert.equal(loadConfig({}).trustProxy, 'off');
    for (const value of ['off', 'false', '0', '']) assert.deepEqual(parseTrustProxy(value), { kind: 'off' });
    assert.deepEqual(parseTrustProxy('2'), { kind: 'hops', hops: 2 });
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, 192.0.2.1,loopback'), {
      kind: 'addresses',
      addresses: ['10.0.0.0/8', '192.0.2.1', 'loopback'],
    });
  });

  it('"true", a hop count above 16 and a list with a non-address stop loadConfig with a message naming the variable', () => {
    assert.throws(
      () => loadConfig({ SEALCAM_TRUST_PROXY: 'true' }),
      (error: unknown) =>
        error instanceof TrustProxyError &&
        error.reason === 'trust-all' &&
        /SEALCAM_TRUST_PROXY.*"true" is refused.*hop count.*CIDR/s.test(error.message),
    );
    assert.throws(
      () => loadConfig({ SEALCAM_TRUST_PROXY: '17' }),
      /SEALCAM_TRUST_PROXY: a hop count is 1 to 16/,
    );
    assert.throws(
      () => loadConfig({ SEALCAM_TRUST_PROXY: '10.0.0.0/8, proxy.example' }),
      /SEALCAM_TRUST_PROXY: not off, a hop count or a list/,
    );
  });

  it('a relay process started with SEALCAM_TRUST_PROXY=true exits before listening and says to give a hop count or CIDRs', async () => {
    await assert.rejects(
      launchRelay({
        env: { SEALCAM_HOST: '127.0.0.1', SEALCAM_TRUST_PROXY: 'true' },
        startTimeoutMs: 60_000,
      }),
      (error: unknown) =>
        error instanceof Error &&
        /relay exited with 1/.test(error.message) &&
        /SEALCAM_TRUST_PROXY: "true" is refused/.test(error.message) &&
        /number of proxies in front of the relay/.test(error.message),
    );
  });
});
