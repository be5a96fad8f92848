import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAppOrigins } from '../src/http/app-origins.js';
import { startInProcessRelay } from './support/relay-process.js';

const APP = 'http://127.0.0.1:8081';
const EVENTS = '/v1/devices/aaaaaaaaaaaaaaaaaaaaaaaaaa/events';

test('app origins: a web app served from a listed origin may call the API (CORS); any other origin may not, and no wildcard or credentials are ever allowed', async () => {
  const relay = await startInProcessRelay({ appOrigins: `${APP}, https://app.example` });
  try {
    const preflight = await fetch(`${relay.base}${EVENTS}`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), APP);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
    const answer = await fetch(`${relay.base}${EVENTS}`, { headers: { origin: APP } });
    assert.equal(answer.status, 401, 'the API still wants a token');
    assert.equal(answer.headers.get('access-control-allow-origin'), APP);
    assert.match(answer.headers.get('vary') ?? '', /origin/i);

    const stranger = await fetch(`${relay.base}${EVENTS}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.2:8081', 'access-control-request-method': 'GET' },
    });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null, 'an origin not listed');
  } finally {
    await relay.stop();
  }
  const closed = await startInProcessRelay();
  try {
    const answer = await fetch(`${closed.base}${EVENTS}`, { headers: { origin: APP } });
    assert.equal(answer.headers.get('access-control-allow-origin'), null, 'none listed: no CORS at all');
  } finally {
    await closed.stop();
  }
});

test('app origins: each must be exactly scheme://host[:port]', () => {
  assert.deepEqual(parseAppOrigins(' https://a.example ,http://127.0.0.1:8081,'), [
    'https://a.example',
    'http://127.0.0.1:8081',
  ]);
  for (const bad of ['*', 'https://a.example/', 'https://a.example/app', 'ftp://a.example', 'a.example'])
    assert.throws(() => parseAppOrigins(bad), /SEALCAM_APP_ORIGINS/, bad);
});
