import { fromUtf8, utf8 } from './bytes.js';
import { LIMITS } from './constants.js';
import { fail } from './errors.js';

const STREAM_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Stream ids are visible routing ids: 1..64 bytes of [A-Za-z0-9._-]. */
export function encodeStreamId(streamId: string): Uint8Array {
  if (!STREAM_ID_PATTERN.test(streamId) || streamId.length > LIMITS.streamIdBytes) {
    fail('MALFORMED', 'stream id must be 1..64 characters of [A-Za-z0-9._-]');
  }
  return utf8(streamId);
}

export function decodeStreamId(bytes: Uint8Array): string {
  const text = fromUtf8(bytes);
  encodeStreamId(text);
  return text;
}
