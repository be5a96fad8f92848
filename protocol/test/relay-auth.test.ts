import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Access,
  createAccessList,
  createAuthProof,
  verifyAccessList,
  verifyAuthProof,
} from '../src/index.js';
import { accessEntryOf } from '../src/relay-safe.js';
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

  it('a card verified before (the same bytes, found by id) is taken as it is; the proof is still checked, and any other bytes are verified in full', () => {
    const { owner, friend } = world('auth-known');
    const origin = 'http://127.0.0.1:8080';
    const challenge = rngFrom('challenge-known')(32);
    const proof = createAuthProof(owner, origin, challenge);
    const known = { ...owner.card };
    const asked: Uint8Array[] = [];
    const verifiedCard = (id: Uint8Array) => {
      asked.push(id);
      return Buffer.compare(id, owner.card.id) === 0 ? known : undefined;
    };
    assert.equal(verifyAuthProof(proof, { origin, challenge, verifiedCard }), known);
    assert.deepEqual(asked, [owner.card.id]);
    // A cached card of that id with other bytes is not taken: the presented one is verified.
    const stale = { ...owner.card, bytes: friend.card.bytes };
    const fresh = verifyAuthProof(proof, { origin, challenge, verifiedCard: () => stale });
    assert.notEqual(fresh, stale);
    assert.deepEqual(fresh.bytes, owner.card.bytes);
    // With the card known, no changed byte of the proof is accepted (card, origin, challenge, signature).
    for (let i = 0; i < proof.length; i++) {
      rejects(() => verifyAuthProof(flip(proof, i), { origin, challenge, verifiedCard }));
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

  it("accessEntryOf reads a viewer's access from the layout alone: listed, unlisted, malformed", () => {
    const { device, owner, friend, stranger } = world('access-entry');
    const entries = [
      { viewerId: owner.card.id, access: Access.Owner },
      { viewerId: friend.card.id, access: Access.Viewer },
    ];
    const bytes = createAccessList({ device, version: 1, issuedAt: 5, entries });
    assert.equal(accessEntryOf(bytes, owner.card.id), Access.Owner);
    assert.equal(accessEntryOf(bytes, friend.card.id), Access.Viewer);
    assert.equal(accessEntryOf(bytes, stranger.card.id), null);
    // The signature is not its business: a list with a broken signature still parses.
    const unsigned = flip(bytes, bytes.length - 1);
    assert.equal(accessEntryOf(unsigned, friend.card.id), Access.Viewer);
    // A viewer id that straddles two entries is not "on the list".
    const straddle = bytes.slice(36 + 8, 36 + 8 + 16);
    assert.equal(accessEntryOf(bytes, straddle), null);
    throwsCode(() => accessEntryOf(bytes.subarray(0, bytes.length - 1), owner.card.id), 'MALFORMED');
    throwsCode(() => accessEntryOf(bytes.subarray(0, 10), owner.card.id), 'TRUNCATED');
    throwsCode(() => accessEntryOf(flip(bytes, 1), owner.card.id), 'WRONG_KIND');
    const badAccess = bytes.slice();
    badAccess[36 + 16] = 9;
    throwsCode(() => accessEntryOf(badAccess, owner.card.id), 'MALFORMED');
    const empty = createAccessList({ device, version: 2, issuedAt: 5, entries: [] });
    assert.equal(accessEntryOf(empty, owner.card.id), null);
  });
});
