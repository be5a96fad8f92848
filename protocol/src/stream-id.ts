import { fromUtf8, utf8 } from './bytes.js';
import { fail } from './errors.js';
import { isStreamId, type StreamId } from './ids.js';

/** Stream ids are visible routing ids: 1..64 bytes of [A-Za-z0-9._-] (grammar in ids.ts). */
export function encodeStreamId(streamId: string): Uint8Array {
  if (!isStreamId(streamId)) {
    fail('MALFORMED', 'stream id must be 1..64 characters of [A-Za-z0-9._-]');
  }
  return utf8(streamId);
}

export function decodeStreamId(bytes: Uint8Array): StreamId {
  const text = fromUtf8(bytes);
  encodeStreamId(text);
  return text as StreamId;
}
