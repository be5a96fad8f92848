import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NAL_PPS, NAL_SPS, nalPositions, withoutReplacedParameterSets } from '../src/annex-b.js';

const START = [0, 0, 0, 1];
// SPS: header 0x67, profile 66, constraints, level 30, then ue(v) seq_parameter_set_id (1 = "0", 010 = "1").
const sps = (id: 0 | 1, marker: number) => [...START, 0x67, 66, 0xc0, 30, id === 0 ? 0x80 : 0x40, marker];
// PPS: header 0x68, then ue(v) pic_parameter_set_id.
const pps = (id: 0 | 1, marker: number) => [...START, 0x68, id === 0 ? 0x80 : 0x40, marker];
const idr = [...START, 0x65, 0x88, 0x84, 0x00, 0x33];
const unit = (...parts: number[][]) => Uint8Array.from(parts.flat());

describe('Annex B parameter sets', () => {
  it('finds each NAL unit, its start code and its type (3- and 4-byte start codes)', () => {
    const bytes = unit(sps(0, 1), [0, 0, 1, 0x68, 0x80, 2], idr);
    const found = nalPositions(bytes);
    assert.deepEqual(
      found.map((nal) => nal.type),
      [NAL_SPS, NAL_PPS, 5],
    );
    assert.deepEqual([found[1]!.at, found[1]!.payload], [10, 13]);
    assert.equal(found[2]!.end, bytes.length);
  });

  it('drops an SPS and a PPS that later ones with the same ids replace, and keeps the rest byte for byte', () => {
    const stale = unit(sps(0, 1), pps(0, 1), sps(0, 2), pps(0, 2), idr);
    assert.deepEqual(withoutReplacedParameterSets(stale), unit(sps(0, 2), pps(0, 2), idr));
  });

  it('keeps parameter sets with different ids, and returns the same array when nothing is replaced', () => {
    const two = unit(sps(0, 1), pps(0, 1), pps(1, 1), idr);
    assert.equal(withoutReplacedParameterSets(two), two);
    const plain = unit(sps(0, 1), pps(0, 1), idr);
    assert.equal(withoutReplacedParameterSets(plain), plain);
  });

  it('finds exactly the start codes a byte-by-byte scan finds, in 2,000 random strings dense in 0x00 and 0x01', () => {
    // The byte-by-byte scan nalPositions used before it jumped from 0x01 to 0x01.
    const byteByByte = (bytes: Uint8Array) => {
      const starts: { at: number; payload: number }[] = [];
      for (let i = 0; i + 2 < bytes.length; i++) {
        if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
          starts.push({ at: i > 0 && bytes[i - 1] === 0 ? i - 1 : i, payload: i + 3 });
          i += 2;
        }
      }
      return starts;
    };
    let state = 7;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 16;
    };
    for (let round = 0; round < 2000; round++) {
      const bytes = Uint8Array.from(
        { length: next() % 64 },
        () => [0, 0, 0, 1, 0x65, next() & 0xff][next() % 6]!,
      );
      assert.deepEqual(
        nalPositions(bytes).map(({ at, payload }) => ({ at, payload })),
        byteByByte(bytes),
        `round ${round}: ${Array.from(bytes).join(' ')}`,
      );
    }
  });
});
