import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseDeviceId, parseViewerId } from '@sealcam/protocol/relay-safe';
import { TokenIssuer } from '../src/auth/tokens.js';

const KEY = Buffer.alloc(32, 7);
const NOW = 1_800_000_000_000;
const DEVICE = parseDeviceId('a'.repeat(26));
const VIEWER = parseViewerId('b'.repeat(26));

/** A token signed with the issuer's key around claims the issuer would never write. */
function forged(claims: unknown[]): string {
  const text = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `v1.${text}.${createHmac('sha256', KEY).update(`v1.${text}`).digest('base64url')}`;
}

describe('session tokens carry a device home (fair share per address)', () => {
  const issuer = new TokenIssuer(KEY, 60_000);

  it('a device token names the home it was issued with, on every relay process that shares the key (and after a restart)', () => {
    const { token } = issuer.issue({ role: 'device', id: DEVICE, home: 'tag-of-203.0.113.9' }, NOW);
    const elsewhere = new TokenIssuer(Buffer.from(KEY), 60_000);
    assert.deepEqual(elsewhere.verify(token, NOW + 1), {
      role: 'device',
      id: DEVICE,
      expiresAt: NOW + 60_000,
      home: 'tag-of-203.0.113.9',
    });
  });

  it('viewer tokens and tokens without a home verify as before; a home on a viewer, or not a short string, is malformed', () => {
    const viewer = issuer.verify(issuer.issue({ role: 'viewer', id: VIEWER }, NOW).token, NOW);
    assert.deepEqual(viewer, { role: 'viewer', id: VIEWER, expiresAt: NOW + 60_000 });
    assert.deepEqual(issuer.verify(forged([DEVICE, 'device', NOW + 5]), NOW), {
      role: 'device',
      id: DEVICE,
      expiresAt: NOW + 5,
    });
    assert.equal(issuer.verify(forged([VIEWER, 'viewer', NOW + 5, 'tag']), NOW), 'malformed');
    assert.equal(issuer.verify(forged([DEVICE, 'device', NOW + 5, 42]), NOW), 'malformed');
    assert.equal(issuer.verify(forged([DEVICE, 'device', NOW + 5, 'x'.repeat(65)]), NOW), 'malformed');
    assert.equal(issuer.verify(forged([DEVICE, 'device', NOW + 5, 'tag', 'extra']), NOW), 'malformed');
  });

  it('the home cannot be changed without the key', () => {
    const { token } = issuer.issue({ role: 'device', id: DEVICE, home: 'mine' }, NOW);
    const [, , mac] = token.split('.');
    const swapped = Buffer.from(JSON.stringify([DEVICE, 'device', NOW + 60_000, 'victim'])).toString(
      'base64url',
    );
    assert.equal(issuer.verify(`v1.${swapped}.${mac}`, NOW), 'bad-signature');
  });
});
