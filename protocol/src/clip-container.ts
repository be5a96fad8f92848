import { Reader, Writer } from './bytes.js';
import { LIMITS, PROTOCOL_VERSION } from './constants.js';
import { fail } from './errors.js';

/**
 * The plaintext of one clip chunk (docs/PROTOCOL.md §7.13): a run of timed still images.
 *
 *   magic "SCMJ" (4) ‖ version u8 ‖ count u32 ‖ count × (capturedAt u64 ‖ length u32 ‖ image[length])
 *
 * The event record describes such a clip as `type` CLIP_CONTAINER_TYPE with codec 1 (JPEG). Each chunk
 * is a complete container on its own, so a viewer can show chunk 0 before chunk 1 arrives.
 */
export interface ClipFrame {
  /** Capture time, Unix milliseconds (0 … 2^53−1); non-decreasing within a chunk. */
  readonly capturedAt: number;
  /** One encoded image (a JPEG for codec 1), at least one byte. */
  readonly image: Uint8Array;
}

/** The event record's `clip.type` for clips made of these chunks (with `clip.codec` 1, JPEG). */
export const CLIP_CONTAINER_TYPE = 'application/x-sealcam-mjpeg';

/** "SCMJ". */
const MAGIC = [0x53, 0x43, 0x4d, 0x4a] as const;
export const CLIP_CONTAINER_HEADER_BYTES = MAGIC.length + 1 + 4;
/** Per-frame overhead: capturedAt u64 ‖ length u32. */
export const CLIP_CONTAINER_FRAME_OVERHEAD_BYTES = 8 + 4;
/** The most frames a chunk of at most LIMITS.clipChunkBytes can hold (one-byte images). */
const MAX_FRAMES = Math.floor(
  (LIMITS.clipChunkBytes - CLIP_CONTAINER_HEADER_BYTES) / (CLIP_CONTAINER_FRAME_OVERHEAD_BYTES + 1),
);
/** The largest image a chunk of at most LIMITS.clipChunkBytes can hold (a chunk of one frame). */
const MAX_IMAGE_BYTES =
  LIMITS.clipChunkBytes - CLIP_CONTAINER_HEADER_BYTES - CLIP_CONTAINER_FRAME_OVERHEAD_BYTES;

/** Encoded size of a chunk holding images of these sizes (to plan chunks without encoding). */
export function clipChunkSize(imageBytes: readonly number[]): number {
  let size = CLIP_CONTAINER_HEADER_BYTES;
  for (const length of imageBytes) size += CLIP_CONTAINER_FRAME_OVERHEAD_BYTES + length;
  return size;
}

/** 1 … MAX_FRAMES frames, non-empty images, times non-decreasing, at most 8 MiB in all: else MALFORMED. */
export function encodeClipChunk(frames: readonly ClipFrame[]): Uint8Array {
  if (frames.length === 0) fail('MALFORMED', 'clip chunk without frames');
  if (frames.length > MAX_FRAMES) fail('MALFORMED', 'too many frames in a clip chunk');
  let previous = 0;
  for (const frame of frames) {
    if (frame.image.length === 0) fail('MALFORMED', 'empty clip frame');
    if (!Number.isSafeInteger(frame.capturedAt) || frame.capturedAt < 0)
      fail('MALFORMED', 'clip frame time out of range');
    if (frame.capturedAt < previous) fail('MALFORMED', 'clip frame times decrease');
    previous = frame.capturedAt;
  }
  const size = clipChunkSize(frames.map((frame) => frame.image.length));
  if (size > LIMITS.clipChunkBytes) fail('MALFORMED', 'clip chunk larger than 8 MiB');
  const writer = new Writer(size).bytes(Uint8Array.from(MAGIC)).u8(PROTOCOL_VERSION).u32(frames.length);
  for (const frame of frames) writer.u64(frame.capturedAt).longBytes(frame.image);
  return writer.finish();
}

/**
 * Strict inverse of encodeClipChunk. In order: input > 8 MiB → MALFORMED; magic (TRUNCATED, then
 * MALFORMED); version ≠ 1 → UNSUPPORTED_VERSION; count (TRUNCATED; 0 or > MAX_FRAMES → MALFORMED); per
 * frame: time (TRUNCATED; > 2^53−1 or below the previous → MALFORMED), length (TRUNCATED; 0 or larger
 * than any chunk could hold → MALFORMED), image (TRUNCATED); trailing bytes → MALFORMED.
 * The returned images are views into `bytes` (no copy).
 */
export function decodeClipChunk(bytes: Uint8Array): ClipFrame[] {
  if (bytes.length > LIMITS.clipChunkBytes) fail('MALFORMED', 'clip chunk larger than 8 MiB');
  const reader = new Reader(bytes);
  const magic = reader.bytes(MAGIC.length, 'clip chunk magic');
  if (MAGIC.some((byte, i) => magic[i] !== byte)) fail('MALFORMED', 'not a clip chunk (bad magic)');
  const version = reader.u8('clip chunk version');
  if (version !== PROTOCOL_VERSION) fail('UNSUPPORTED_VERSION', `clip chunk version ${version}`);
  const count = reader.u32('clip frame count');
  if (count === 0) fail('MALFORMED', 'clip chunk without frames');
  if (count > MAX_FRAMES) fail('MALFORMED', 'clip frame count larger than a chunk can hold');
  // No preallocation from `count`: the loop ends at the first missing byte, so a lying count costs
  // nothing beyond the input that is really there.
  const frames: ClipFrame[] = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const capturedAt = reader.u64('clip frame time');
    if (capturedAt < previous) fail('MALFORMED', 'clip frame times decrease');
    previous = capturedAt;
    const image = reader.longBytes(MAX_IMAGE_BYTES, 'clip frame');
    if (image.length === 0) fail('MALFORMED', 'empty clip frame');
    frames.push({ capturedAt, image });
  }
  reader.end('clip chunk');
  return frames;
}
