import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  authProofBody,
  createIdentity,
  EventSealer,
  exportIdentity,
  fromBase64Url,
  grantBody,
  memoryKeyHolder,
  openEvent,
  parseCard,
  Role,
  ready,
  signedWith,
  toBase64Url,
  verifyAuthProof,
  verifyEventEnvelope,
  verifyGrant,
  viewerFor,
} from '@sealcam/protocol';
import { createPlatformKeys, importPlatformKeys, platformKeyHolder } from '../src/sdk/platform-keys.js';

before(async () => {
  await ready();
});

test('platform keys: created inside WebCrypto as non-extractable, so no code can export them', async () => {
  const keys = await createPlatformKeys();
  for (const key of [keys.signKey, keys.boxKey]) {
    assert.equal(key.extractable, false);
    assert.equal(key.type, 'private');
    for (const format of ['pkcs8', 'jwk', 'raw'] as const)
      await assert.rejects(crypto.subtle.exportKey(format, key), `${key.algorithm.name} refuses ${format}`);
  }
  const card = parseCard(fromBase64Url(keys.card));
  assert.equal(card.role, Role.Viewer, 'the card verifies (self-signed inside WebCrypto)');
});

test('platform keys: an identity moved from bytes keeps its card, and signs and agrees exactly as libsodium does', async () => {
  const identity = createIdentity(Role.Viewer);
  const exported = toBase64Url(exportIdentity(identity));
  const held = platformKeyHolder(await importPlatformKeys(exported));
  const memory = memoryKeyHolder(identity);
  assert.deepEqual(held.card.bytes, identity.card.bytes);
  assert.equal(held.inMemory, null);
  const body = grantBody(identity.card, {
    deviceId: new Uint8Array(16).fill(3),
    grantee: createIdentity(Role.Viewer).card,
    issuedAt: 1_700_000_000_000,
  });
  // Ed25519 is deterministic: the platform's signature is byte for byte libsodium's.
  assert.deepEqual(await held.signBody(body), await memory.signBody(body));
  const grant = await signedWith(held, body);
  assert.equal(
    verifyGrant(grant, { owner: identity.card, deviceId: new Uint8Array(16).fill(3), now: 1_700_000_000_000 })
      .ownerId.length,
    16,
  );
  const peer = createIdentity(Role.Device).card.boxPublicKey;
  assert.deepEqual(await held.agree(peer), await memory.agree(peer));
  // An auth proof signed by the platform is accepted by the relay's check.
  const challenge = new Uint8Array(32).fill(9);
  const proof = await signedWith(held, authProofBody(held.card, 'http://127.0.0.1:1', challenge));
  assert.deepEqual(verifyAuthProof(proof, { origin: 'http://127.0.0.1:1', challenge }).id, identity.card.id);
});

test('platform keys: open an event sealed for the viewer; a low-order ephemeral key is DECRYPT_FAILED', async () => {
  const device = createIdentity(Role.Device);
  const keys = await createPlatformKeys();
  const holder = platformKeyHolder(keys);
  const sealed = new EventSealer({ device, streamId: 'front' }).finish(
    { kind: 'motion', start: 1_700_000_000_000, end: 1_700_000_001_000, score: 0.5 },
    [holder.card],
  );
  const envelope = verifyEventEnvelope(sealed, device.card);
  const opened = openEvent(sealed, {
    viewer: await viewerFor(holder, envelope.ephemeralPublicKey),
    device: device.card,
  });
  assert.equal(opened.record.kind, 'motion');
  // The agreement is bound to the ephemeral key it was made with.
  const other = await viewerFor(holder, createIdentity(Role.Device).card.boxPublicKey);
  assert.throws(
    () => openEvent(sealed, { viewer: other, device: device.card }),
    /DECRYPT_FAILED|failed authentication/,
  );
  await assert.rejects(holder.agree(new Uint8Array(32)), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'DECRYPT_FAILED');
    return true;
  });
});
