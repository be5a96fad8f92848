import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SealError } from '../src/index.js';
import { allStructures } from './structures.js';

const structures = allStructures();

/** A pairing code is case-insensitive text: flipping a letter's case does not change its content. */
function isCaseFlip(original: number, tampered: number): boolean {
  return (original ^ tampered) === 0x20 && /[A-Za-z]/.test(String.fromCharCode(original));
}

function outcome(check: (bytes: Uint8Array) => unknown, bytes: Uint8Array): 'accepted' | 'typed' | string {
  try {
    check(bytes);
    return 'accepted';
  } catch (error) {
    return error instanceof SealError ? 'typed' : `untyped: ${String(error)}`;
  }
}

describe('invariant 10: every single-byte tamper of every structure is rejected with a typed error', () => {
  for (const structure of structures) {
    it(`${structure.name}: the genuine bytes are accepted`, () => {
      assert.equal(outcome(structure.check, structure.bytes), 'accepted');
    });

    it(`${structure.name}: every byte position, one random non-zero change each (exhaustive)`, () => {
      const positions = structure.bytes.length;
      for (let index = 0; index < positions; index++) {
        const tampered = structure.bytes.slice();
        tampered[index]! ^= 1 + ((index * 37) % 255);
        if (structure.name === 'pairing code' && isCaseFlip(structure.bytes[index]!, tampered[index]!))
          continue;
        const result = outcome(structure.check, tampered);
        assert.equal(result, 'typed', `byte ${index} of ${positions}`);
      }
    });

    it(`${structure.name}: any position and any xor mask (property)`, () => {
      fc.assert(
        fc.property(
          fc.nat({ max: structure.bytes.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (index, mask) => {
            const tampered = structure.bytes.slice();
            tampered[index]! ^= mask;
            if (structure.name === 'pairing code' && isCaseFlip(structure.bytes[index]!, tampered[index]!))
              return true;
            return outcome(structure.check, tampered) === 'typed';
          },
        ),
        { numRuns: 300 },
      );
    });

    it(`${structure.name}: every truncation and any appended bytes are rejected`, () => {
      for (let length = 0; length < structure.bytes.length; length++) {
        assert.equal(
          outcome(structure.check, structure.bytes.subarray(0, length)),
          'typed',
          `length ${length}`,
        );
      }
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (extra) => {
          // Whitespace in a pairing code is insignificant by design (it may be typed in groups).
          if (structure.name === 'pairing code' && extra.every((b) => b === 0x20 || (b >= 0x09 && b <= 0x0d)))
            return true;
          const longer = new Uint8Array([...structure.bytes, ...extra]);
          return outcome(structure.check, longer) === 'typed';
        }),
        { numRuns: 100 },
      );
    });

    it(`${structure.name}: random garbage never crashes the parser (typed errors only)`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 600 }),
          (garbage) => outcome(structure.check, garbage) === 'typed',
        ),
        { numRuns: 300 },
      );
    });
  }
});
