import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Access,
  createAccessList,
  createAuthProof,
  verifyAccessList,
  verifyAuthProof,
} from '../src/index.js';
import { flip, rejects, rngFrom, throwsCode, world } from './fixtures.js';

describe('relay authentication and access lists', () => {
  it('an auth proof identifies its signer by a self-certifying id', () => {
    const { owner } = world('auth');
    const challenge = rngFrom('challenge')(32);
    const proof = createAuthProof(owner, 'http://127.0.0.1:8080', challenge);
    const card = verifyAuthProof(proof, { origin: 'http://127.0.0.1:8080', challenge });
    assert.deepEqual(card.id, owner.card.id);
    throwsCode(
      () => verifyAuthProof(proof, { origin: 'http://127.0.0.1:9090', challenge }),
      'NOT_AUTHORIZED',
    );
    throwsCode(
      () => verifyAuthProof(proof, { origin: 'http://127.0.0.1:8080', challenge, role: 1 }),
      'NOT_AUTHORIZED',
    );
    throwsCode(
      () => verifyAuthProof(proof, { origin: 'http://127.0.0.1:8080', challenge: new Uint8Array(32) }),
      'REPLAYED',
    );
    for (let i = 0; i < proof.length; i++) {
      rejects(() => verifyAuthProof(flip(proof, i), { origin: 'http://127.0.0.1:8080', challenge }));
    }
  });

  it('an access list is signed by its device and refused for any other', () => {
    const { device, otherDevice, owner, friend } = world('access');
    const bytes = createAccessList({
      device,
      version: 3,
      issuedAt: 1000,
      entries: [
        { viewerId: owner.card.id, access: Access.Owner },
        { viewerId: friend.card.id, access: Access.Viewer },
      ],
    });
    const list = verifyAccessList(bytes, device.card);
    assert.equal(list.version, 3);
    assert.equal(list.entries.length, 2);
    throwsCode(() => verifyAccessList(bytes, otherDevice.card), 'WRONG_DEVICE');
    const twice = [
      { viewerId: owner.card.id, access: Access.Owner },
      { viewerId: owner.card.id, access: Access.Viewer },
    ];
    throwsCode(() => createAccessList({ device, version: 4, issuedAt: 1, entries: twice }), 'MALFORMED');
    for (let i = 0; i < bytes.length; i++) rejects(() => verifyAccessList(flip(bytes, i), device.card));
  });
});
