import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createIdentity,
  exportIdentity,
  fingerprint,
  formatId,
  fromBase32,
  ID_TEXT_PATTERN,
  idFromSignKey,
  importIdentity,
  parseCard,
  parseId,
  Role,
  safetyNumber,
  toBase32,
} from '../src/index.js';
import { rngFrom, throwsCode, world } from './fixtures.js';

describe('identity', () => {
  it('invariant 3: ids are self-certifying (derived from the Ed25519 public key)', () => {
    const { device } = world();
    assert.deepEqual(device.card.id, idFromSignKey(device.card.signPublicKey));
    assert.equal(device.card.id.length, 16);
    const parsed = parseCard(device.card.bytes);
    assert.deepEqual(parsed.id, device.card.id);
    assert.deepEqual(parsed.boxPublicKey, device.card.boxPublicKey);
  });

  it('invariant 3: a card that claims another X25519 key for the same id fails its signature', () => {
    const { device, stranger } = world();
    const forged = device.card.bytes.slice();
    forged.set(stranger.card.boxPublicKey, 3 + 32);
    throwsCode(() => parseCard(forged), 'BAD_SIGNATURE');
  });

  it('invariant 3: a card that swaps in another signing key yields another id', () => {
    const { device, stranger } = world();
    const forged = device.card.bytes.slice();
    forged.set(stranger.card.signPublicKey, 3);
    throwsCode(() => parseCard(forged), 'BAD_SIGNATURE');
    assert.notDeepEqual(idFromSignKey(stranger.card.signPublicKey), device.card.id);
  });

  it('ids have a readable 26-character form that round-trips', () => {
    const { device } = world();
    const text = formatId(device.card.id);
    assert.match(text, new RegExp(ID_TEXT_PATTERN));
    assert.deepEqual(parseId(text), device.card.id);
    assert.deepEqual(parseId(text.toUpperCase()), device.card.id);
    assert.deepEqual(parseId(fingerprint(device.card.id)), device.card.id);
    assert.equal(fingerprint(device.card.id).split(' ').length, 7);
    throwsCode(() => parseId('abc'), 'MALFORMED');
    throwsCode(() => parseId(`${text.slice(0, 25)}1`), 'MALFORMED');
  });

  it('base32 rejects non-canonical input', () => {
    for (let length = 0; length < 40; length++) {
      const data = rngFrom(`b32-${length}`)(length);
      assert.deepEqual(fromBase32(toBase32(data)), data);
    }
    throwsCode(() => fromBase32('ab'), 'MALFORMED');
    throwsCode(() => fromBase32('a='), 'MALFORMED');
  });

  it('invariant 5: both sides compute the same safety number; it changes with either key', () => {
    const { device, owner, friend, otherDevice } = world();
    const number = safetyNumber(device.card, owner.card);
    assert.match(number, /^(\d{5} ){11}\d{5}$/);
    assert.equal(safetyNumber(parseCard(device.card.bytes), parseCard(owner.card.bytes)), number);
    assert.notEqual(safetyNumber(device.card, friend.card), number);
    assert.notEqual(safetyNumber(otherDevice.card, owner.card), number);
  });

  it('exports and imports the local key-store form', () => {
    const identity = createIdentity(Role.Viewer, rngFrom('export'));
    const restored = importIdentity(exportIdentity(identity));
    assert.deepEqual(restored.card.bytes, identity.card.bytes);
    assert.deepEqual(restored.boxSecretKey, identity.boxSecretKey);
    throwsCode(() => importIdentity(exportIdentity(identity).subarray(1)), 'MALFORMED');
  });
});
