import { Reader, Writer } from './bytes.js';
import { Codec, LIMITS } from './constants.js';
import { fail } from './errors.js';

/**
 * The plaintext of a live frame of a timed codec (docs/PROTOCOL.md §6.7): the capture time, then one
 * unit of the camera's own bitstream, unchanged.
 *
 *   capturedAtUs u64 (Unix microseconds) ‖ unit
 *
 * codec 2 (H.264) / 3 (H.265): one access unit in Annex B form (start codes), with its parameter
 * sets in band before every IDR, so a late joiner decodes from the keyframe on its own; codec 5
 * (AAC): one ADTS frame (its 7- or 9-byte header says the sample rate and channels); codec 6: one
 * JPEG picture. A bare JPEG frame (codec 1) has no such prefix: its payload is the image.
 */
export interface MediaPayload {
  /** When the unit was captured: Unix microseconds (the camera's timestamps mapped to wall time). */
  readonly capturedAtUs: number;
  /** The unit itself, at least one byte. */
  readonly unit: Uint8Array;
}

export const MEDIA_PAYLOAD_HEADER_BYTES = 8;

/** Codecs whose live frame payload is a MediaPayload. */
export function isTimedCodec(codec: number): boolean {
  return (
    codec === Codec.H264AnnexB ||
    codec === Codec.H265AnnexB ||
    codec === Codec.AacAdts ||
    codec === Codec.JpegTimed
  );
}

const MAX_UNIT_BYTES = LIMITS.framePayloadBytes - MEDIA_PAYLOAD_HEADER_BYTES;

/** Time a safe integer ≥ 0, unit 1 … framePayloadBytes − 8 bytes: else MALFORMED. */
export function encodeMediaPayload(payload: MediaPayload): Uint8Array {
  const { capturedAtUs, unit } = payload;
  if (!Number.isSafeInteger(capturedAtUs) || capturedAtUs < 0) fail('MALFORMED', 'capture time out of range');
  if (unit.length === 0) fail('MALFORMED', 'empty media unit');
  if (unit.length > MAX_UNIT_BYTES) fail('MALFORMED', 'media unit larger than a frame can hold');
  return new Writer(MEDIA_PAYLOAD_HEADER_BYTES + unit.length).u64(capturedAtUs).bytes(unit).finish();
}

/**
 * Strict inverse: fewer than 9 bytes → TRUNCATED; a time above 2^53−1 → MALFORMED. The unit is a
 * view into `bytes` (no copy).
 */
export function decodeMediaPayload(bytes: Uint8Array): MediaPayload {
  const reader = new Reader(bytes);
  const capturedAtUs = reader.u64('media capture time');
  if (reader.remaining === 0) fail('TRUNCATED', 'media unit');
  return { capturedAtUs, unit: reader.rest() };
}
