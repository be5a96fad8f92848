import {
  FRAME_FLAG_KEYFRAME,
  FRAME_FLAGS_RESERVED,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  PROTOCOL_VERSION,
} from './constants.js';
import { fail } from './errors.js';

/**
 * The 8-byte clear header of a live frame:
 *   0: version | 1: flags (bit 0 keyframe, bits 1-3 zero, bits 4-7 codec) | 2-3: key id | 4-7: counter
 */
export interface FrameHeader {
  readonly version: number;
  readonly keyframe: boolean;
  readonly codec: number;
  readonly keyId: number;
  readonly counter: number;
}

export function writeFrameHeader(
  target: Uint8Array,
  keyframe: boolean,
  codec: number,
  keyId: number,
  counter: number,
) {
  if (!Number.isInteger(codec) || codec < 1 || codec > 15) fail('MALFORMED', 'codec must be 1..15');
  target[0] = PROTOCOL_VERSION;
  target[1] = (codec << 4) | (keyframe ? FRAME_FLAG_KEYFRAME : 0);
  target[2] = (keyId >>> 8) & 0xff;
  target[3] = keyId & 0xff;
  target[4] = (counter >>> 24) & 0xff;
  target[5] = (counter >>> 16) & 0xff;
  target[6] = (counter >>> 8) & 0xff;
  target[7] = counter & 0xff;
}

/** Parses the clear header only (relay-safe: the relay reads the keyframe flag to cache keyframes). */
export function parseFrameHeader(frame: Uint8Array): FrameHeader {
  if (frame.length < FRAME_HEADER_BYTES) fail('TRUNCATED', 'frame header');
  const version = frame[0]!;
  if (version !== PROTOCOL_VERSION) fail('UNSUPPORTED_VERSION', `frame version ${version}`);
  const flags = frame[1]!;
  if ((flags & FRAME_FLAGS_RESERVED) !== 0) fail('MALFORMED', 'reserved frame flags set');
  const codec = flags >>> 4;
  if (codec === 0) fail('MALFORMED', 'frame codec 0');
  if (frame.length < FRAME_OVERHEAD_BYTES) fail('TRUNCATED', 'frame shorter than header and tag');
  return {
    version,
    keyframe: (flags & FRAME_FLAG_KEYFRAME) !== 0,
    codec,
    keyId: (frame[2]! << 8) | frame[3]!,
    counter: ((frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!) >>> 0,
  };
}

/**
 * The same checks as parseFrameHeader for a frame that starts at `offset` inside a larger message,
 * without allocating: returns the keyframe flag. Used by the relay on its per-frame path.
 */
export function frameKeyframeAt(bytes: Uint8Array, offset: number): boolean {
  if (bytes.length - offset < FRAME_OVERHEAD_BYTES) fail('TRUNCATED', 'frame shorter than header and tag');
  const version = bytes[offset]!;
  if (version !== PROTOCOL_VERSION) fail('UNSUPPORTED_VERSION', `frame version ${version}`);
  const flags = bytes[offset + 1]!;
  if ((flags & FRAME_FLAGS_RESERVED) !== 0) fail('MALFORMED', 'reserved frame flags set');
  if (flags >>> 4 === 0) fail('MALFORMED', 'frame codec 0');
  return (flags & FRAME_FLAG_KEYFRAME) !== 0;
}
