import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIP_CONTAINER_TYPE, Codec, decodeClipChunk, LIMITS } from '@sealcam/protocol';
import type { JpegFrame } from '../src/camera/frame.js';
import { splitIntoClipChunks } from '../src/motion/clip-chunks.js';
import { MotionOptionError } from '../src/motion/option-error.js';

const T0 = 1_700_000_000_000;

function frame(i: number, bytes: number): JpegFrame {
  return {
    cameraId: 'cam-1',
    capturedAt: T0 + i * 100,
    jpeg: new Uint8Array(bytes).fill(i & 0xff),
    width: 640,
    height: 360,
  };
}

/** Sizes between 1 and 4000 bytes, deterministic. */
function frames(count: number): JpegFrame[] {
  return Array.from({ length: count }, (_, i) => frame(i, 1 + ((i * 7919) % 4000)));
}

function decodeAll(chunks: readonly Uint8Array[]) {
  return chunks.flatMap((chunk) => decodeClipChunk(chunk));
}

describe('splitIntoClipChunks', () => {
  it('respects the budget and keeps every frame, whole and in order', () => {
    const input = frames(200);
    const { chunks, clip, bytes, dropped } = splitIntoClipChunks(input, { budgetBytes: 10_000 });
    assert.ok(chunks.length > 1);
    for (const chunk of chunks) assert.ok(chunk.length <= 10_000, `chunk of ${chunk.length} bytes`);
    const decoded = decodeAll(chunks);
    assert.equal(decoded.length, input.length);
    decoded.forEach((f, i) => {
      assert.equal(f.capturedAt, input[i]!.capturedAt);
      assert.deepEqual(f.image, input[i]!.jpeg);
    });
    assert.deepEqual(clip, { codec: Codec.Jpeg, type: CLIP_CONTAINER_TYPE, frames: 200 });
    assert.equal(
      bytes,
      chunks.reduce((sum, chunk) => sum + chunk.length, 0),
    );
    assert.deepEqual(dropped, []);
  });

  it('fills chunks greedily: the next frame would not have fitted', () => {
    const input = frames(200);
    const { chunks } = splitIntoClipChunks(input, { budgetBytes: 10_000 });
    let next = 0;
    for (const chunk of chunks.slice(0, -1)) {
      next += decodeClipChunk(chunk).length;
      assert.ok(chunk.length + 12 + input[next]!.jpeg.length > 10_000);
    }
  });

  it('gives a frame larger than the budget a chunk of its own', () => {
    const input = [frame(0, 100), frame(1, 100), frame(2, 5000), frame(3, 100)];
    const { chunks, dropped } = splitIntoClipChunks(input, { budgetBytes: 1000 });
    assert.deepEqual(
      chunks.map((chunk) => decodeClipChunk(chunk).map((f) => (f.capturedAt - T0) / 100)),
      [[0, 1], [2], [3]],
    );
    assert.equal(chunks[1]!.length, 9 + 12 + 5000);
    assert.deepEqual(dropped, []);
  });

  it('drops a frame that no chunk can hold, with the reason', () => {
    const tooBig = LIMITS.clipChunkBytes - 9 - 12 + 1;
    const input = [frame(0, 10), frame(1, tooBig), frame(2, 10)];
    const { chunks, clip, dropped } = splitIntoClipChunks(input);
    assert.deepEqual(
      decodeAll(chunks).map((f) => f.capturedAt),
      [T0, T0 + 200],
    );
    assert.equal(clip.frames, 2);
    assert.deepEqual(dropped, [
      { capturedAt: T0 + 100, bytes: tooBig, reason: 'frame larger than a clip chunk' },
    ]);
  });

  it('uses a 1 MiB budget by default', () => {
    const input = Array.from({ length: 40 }, (_, i) => frame(i, 100_000));
    const { chunks } = splitIntoClipChunks(input);
    assert.deepEqual(
      chunks.map((chunk) => decodeClipChunk(chunk).length),
      [10, 10, 10, 10],
    );
    for (const chunk of chunks) assert.ok(chunk.length <= 1024 * 1024);
  });

  it('stops at the protocol limit of 512 chunks', () => {
    const input = Array.from({ length: 520 }, (_, i) => frame(i, 1));
    const { chunks, clip, dropped } = splitIntoClipChunks(input, { budgetBytes: 9 + 12 + 1 });
    assert.equal(chunks.length, 512);
    assert.equal(clip.frames, 512);
    assert.equal(dropped.length, 8);
    assert.ok(dropped.every((d) => d.reason === 'clip chunk limit reached'));
  });

  it('makes no chunk of no frames, and rejects a bad budget', () => {
    assert.deepEqual(splitIntoClipChunks([]).chunks, []);
    for (const budgetBytes of [0, 21, 1.5, LIMITS.clipChunkBytes + 1]) {
      assert.throws(() => splitIntoClipChunks(frames(3), { budgetBytes }), MotionOptionError);
    }
  });
});
