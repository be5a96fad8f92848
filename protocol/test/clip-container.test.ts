import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIP_CONTAINER_TYPE,
  type ClipFrame,
  clipChunkSize,
  decodeClipChunk,
  encodeClipChunk,
} from '../src/index.js';
import { LIMITS } from '../src/relay-safe.js';
import { bytes, throwsCode } from './fixtures.js';

const T0 = 1_700_000_000_000;

function sample(): ClipFrame[] {
  return [
    { capturedAt: T0, image: bytes(5, 1) },
    { capturedAt: T0, image: bytes(1, 2) },
    { capturedAt: T0 + 100, image: bytes(300, 3) },
  ];
}

/** A hand-built chunk, so the tests do not trust the encoder for the layout. */
function build(parts: { magic?: number[]; version?: number; count: number; frames: [number, number[]][] }) {
  const out: number[] = [...(parts.magic ?? [0x53, 0x43, 0x4d, 0x4a]), parts.version ?? 1];
  const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  out.push(...u32(parts.count));
  for (const [time, image] of parts.frames) {
    out.push(...u32(Math.floor(time / 2 ** 32)), ...u32(time >>> 0), ...u32(image.length), ...image);
  }
  return Uint8Array.from(out);
}

describe('clip container (§7.13)', () => {
  it('round-trips frames, times and images, with the documented layout', () => {
    const frames = sample();
    const encoded = encodeClipChunk(frames);
    assert.equal(encoded.length, clipChunkSize([5, 1, 300]));
    assert.equal(encoded.length, 9 + 3 * 12 + 306);
    assert.deepEqual(
      encoded,
      build({
        count: 3,
        frames: frames.map((f) => [f.capturedAt, [...f.image]]),
      }),
    );
    assert.deepEqual(decodeClipChunk(encoded), frames);
    assert.equal(CLIP_CONTAINER_TYPE, 'application/x-sealcam-mjpeg');
  });

  it('accepts the largest time and a single frame of the largest size', () => {
    const last = { capturedAt: Number.MAX_SAFE_INTEGER, image: bytes(1, 9) };
    assert.deepEqual(decodeClipChunk(encodeClipChunk([last])), [last]);
    const big = { capturedAt: T0, image: bytes(LIMITS.clipChunkBytes - 9 - 12, 4) };
    const encoded = encodeClipChunk([big]);
    assert.equal(encoded.length, LIMITS.clipChunkBytes);
    assert.equal(decodeClipChunk(encoded)[0]?.image.length, big.image.length);
  });

  it('every truncation is TRUNCATED', () => {
    const encoded = encodeClipChunk(sample());
    for (let length = 0; length < encoded.length; length++) {
      throwsCode(() => decodeClipChunk(encoded.subarray(0, length)), 'TRUNCATED', `length ${length}`);
    }
  });

  it('trailing bytes are MALFORMED', () => {
    const encoded = encodeClipChunk(sample());
    const longer = new Uint8Array(encoded.length + 1);
    longer.set(encoded);
    throwsCode(() => decodeClipChunk(longer), 'MALFORMED');
  });

  it('bad magic is MALFORMED, another version UNSUPPORTED_VERSION', () => {
    const frames: [number, number[]][] = [[T0, [1]]];
    throwsCode(
      () => decodeClipChunk(build({ magic: [0x53, 0x43, 0x4d, 0x4b], count: 1, frames })),
      'MALFORMED',
    );
    throwsCode(() => decodeClipChunk(build({ magic: [0, 0, 0, 0], count: 1, frames })), 'MALFORMED');
    throwsCode(() => decodeClipChunk(build({ version: 2, count: 1, frames })), 'UNSUPPORTED_VERSION');
  });

  it('decreasing times are MALFORMED on both sides; equal times are fine', () => {
    const frames: [number, number[]][] = [
      [T0 + 1, [1]],
      [T0, [2]],
    ];
    throwsCode(() => decodeClipChunk(build({ count: 2, frames })), 'MALFORMED');
    throwsCode(
      () =>
        encodeClipChunk([
          { capturedAt: T0 + 1, image: bytes(1) },
          { capturedAt: T0, image: bytes(1) },
        ]),
      'MALFORMED',
    );
  });

  it('a time above 2^53−1 is MALFORMED', () => {
    const encoded = build({ count: 1, frames: [[0, [1]]] });
    encoded[9] = 0x00;
    encoded[10] = 0x20; // 2^53
    throwsCode(() => decodeClipChunk(encoded), 'MALFORMED');
    throwsCode(() => encodeClipChunk([{ capturedAt: 2 ** 53, image: bytes(1) }]), 'MALFORMED');
    throwsCode(() => encodeClipChunk([{ capturedAt: -1, image: bytes(1) }]), 'MALFORMED');
    throwsCode(() => encodeClipChunk([{ capturedAt: 1.5, image: bytes(1) }]), 'MALFORMED');
  });

  it('counts and lengths are bounded: zero, oversize and over-limit are MALFORMED', () => {
    throwsCode(() => decodeClipChunk(build({ count: 0, frames: [] })), 'MALFORMED');
    throwsCode(() => decodeClipChunk(build({ count: 0xffffffff, frames: [[T0, [1]]] })), 'MALFORMED');
    // A count a chunk could hold but the input does not: the missing frame is TRUNCATED.
    throwsCode(() => decodeClipChunk(build({ count: 2, frames: [[T0, [1]]] })), 'TRUNCATED');
    // An image length above any chunk: MALFORMED before the image is read.
    const huge = build({ count: 1, frames: [[T0, [1]]] });
    huge.set([0x00, 0x80, 0x00, 0x00], 17);
    throwsCode(() => decodeClipChunk(huge), 'MALFORMED');
    throwsCode(() => decodeClipChunk(build({ count: 1, frames: [[T0, []]] })), 'MALFORMED');
    throwsCode(() => decodeClipChunk(new Uint8Array(LIMITS.clipChunkBytes + 1)), 'MALFORMED');
    throwsCode(() => encodeClipChunk([]), 'MALFORMED');
    throwsCode(() => encodeClipChunk([{ capturedAt: T0, image: new Uint8Array(0) }]), 'MALFORMED');
    throwsCode(
      () => encodeClipChunk([{ capturedAt: T0, image: bytes(LIMITS.clipChunkBytes - 9 - 12 + 1) }]),
      'MALFORMED',
    );
  });

  it('decoded images are views of the input, not copies', () => {
    const encoded = encodeClipChunk(sample());
    const frames = decodeClipChunk(encoded);
    assert.equal(frames[0]?.image.buffer, encoded.buffer);
  });
});
