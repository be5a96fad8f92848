import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeParts } from '../src/hash.js';
import './fixtures.js';

describe('length-prefixed encoding (hash and KDF inputs)', () => {
  it('prefixes each part with its full u32 length, so large parts never wrap', () => {
    const big = new Uint8Array(70_000);
    const encoded = encodeParts(['label', big]);
    const view = new DataView(encoded.buffer);
    assert.equal(view.getUint32(0), 5);
    assert.equal(view.getUint32(4 + 5), 70_000);
    assert.equal(encoded.length, 4 + 5 + 4 + 70_000);
  });

  it('distinguishes the same bytes split differently', () => {
    assert.notDeepEqual(encodeParts(['ab', 'c']), encodeParts(['a', 'bc']));
    assert.notDeepEqual(encodeParts(['abc']), encodeParts(['abc', '']));
  });
});
