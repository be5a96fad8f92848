import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEventRecord, type EventRecord, encodeEventRecord, toHex } from '../src/index.js';
import { throwsCode } from './fixtures.js';

const record: EventRecord = {
  v: 1,
  kind: 'motion',
  streamId: 'cam-1',
  start: 1_767_225_600_000,
  end: 1_767_225_604_000,
  score: 0.1,
  labels: ['person', 'car'],
  thumbnail: { type: 'image/jpeg', bytes: 1234, hash: 'ab'.repeat(32) },
  clip: {
    codec: 1,
    type: 'application/x-sealcam-mjpeg',
    bytes: 99,
    frames: 3,
    chunkHashes: ['cd'.repeat(32)],
  },
};

describe('event record encoding (§7.7)', () => {
  it('decodes what it encodes, and re-encodes to the same bytes', () => {
    const bytes = encodeEventRecord(record);
    assert.deepEqual(decodeEventRecord(bytes), record);
    assert.equal(toHex(encodeEventRecord(decodeEventRecord(bytes))), toHex(bytes));
  });

  it('writes a score of −0 as +0, so zero has one encoding', () => {
    assert.equal(
      toHex(encodeEventRecord({ ...record, score: -0 })),
      toHex(encodeEventRecord({ ...record, score: 0 })),
    );
    assert.ok(Object.is(decodeEventRecord(encodeEventRecord({ ...record, score: -0 })).score, 0));
  });

  it('refuses to write any value the decoder would reject', () => {
    const bad: [string, Partial<Record<keyof EventRecord, unknown>>][] = [
      ['empty kind', { kind: '' }],
      ['non-ASCII kind', { kind: 'bewegung-ü' }],
      ['kind of 65 characters', { kind: 'a'.repeat(65) }],
      ['stream id with a space', { streamId: 'cam 1' }],
      ['unsafe start', { start: 2 ** 53 }],
      ['fractional end', { end: 1.5 }],
      ['end before start', { end: record.start - 1 }],
      ['score above 1', { score: 1.0000001 }],
      ['NaN score', { score: Number.NaN }],
      ['33 labels', { labels: Array.from({ length: 33 }, () => 'a') }],
      ['upper-case hash', { thumbnail: { ...record.thumbnail!, hash: 'AB'.repeat(32) } }],
      ['codec 16', { clip: { ...record.clip!, codec: 16 } }],
      ['no chunk hashes', { clip: { ...record.clip!, chunkHashes: [] } }],
      ['513 chunk hashes', { clip: { ...record.clip!, chunkHashes: Array(513).fill('00'.repeat(32)) } }],
    ];
    for (const [name, change] of bad) {
      throwsCode(() => encodeEventRecord({ ...record, ...change } as EventRecord), 'MALFORMED', name);
    }
  });

  it('every proper prefix of a record is TRUNCATED', () => {
    const bytes = encodeEventRecord(record);
    for (let n = 0; n < bytes.length; n++)
      throwsCode(() => decodeEventRecord(bytes.subarray(0, n)), 'TRUNCATED', `prefix of ${n} bytes`);
  });
});
