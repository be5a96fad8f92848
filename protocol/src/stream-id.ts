import { fromUtf8, toBase32, utf8 } from './bytes.js';
import { ID_BYTES, KEY_BYTES, Label } from './constants.js';
import { fail } from './errors.js';
import { derive } from './hash.js';
import type { Identity } from './identity.js';
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

/**
 * The stream id a device publishes for a camera it knows locally as `localId` (its configuration's
 * id, e.g. "kids-room", UTF-8): base32 of KDF(device's Ed25519 seed, 16, "sealcam/v1/stream-id",
 * localId), 26 characters (PROTOCOL.md §9.4). Stable per camera and device, unlinkable to the local id
 * without the device's key: names are content (invariant 13), so the relay sees only this.
 */
export function opaqueStreamId(device: Identity, localId: string): StreamId {
  // libsodium's Ed25519 secret key is seed (32) ‖ public key (32): the KDF key is the 32-byte seed.
  const seed = device.signSecretKey.subarray(0, KEY_BYTES);
  return toBase32(derive(seed, ID_BYTES, Label.streamId, utf8(localId))) as StreamId;
}
