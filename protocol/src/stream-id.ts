import { fromUtf8, utf8 } from './bytes.js';
import { fail } from './errors.js';
import { isStreamId, STREAM_ID_RULE, type StreamId } from './ids.js';

/** Stream ids are visible routing ids (grammar in ids.ts); each character is one byte. */
export function encodeStreamId(streamId: string): Uint8Array {
  if (!isStreamId(streamId)) {
    fail('MALFORMED', `stream id must be ${STREAM_ID_RULE}`);
  }
  return utf8(streamId);
}

export function decodeStreamId(bytes: Uint8Array): StreamId {
  const text = fromUtf8(bytes);
  encodeStreamId(text);
  return text as StreamId;
}
