import { Reader, Writer } from './bytes.js';
import { ID_BYTES, LIMITS } from './constants.js';
import { fail } from './errors.js';
import type { StreamId } from './ids.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';

/**
 * Binary WebSocket messages of the live path, the same in both directions (device → relay →
 * viewers), so the relay forwards the bytes it received without copying them. They carry only
 * routing ids around a sealed frame or a signed manifest. Control messages are JSON text.
 *
 *   0x01 ‖ device id (16) ‖ u8 len ‖ stream id ‖ sealed frame      (LiveFrame)
 *   0x02 ‖ device id (16) ‖ u8 len ‖ stream id ‖ key manifest      (LiveManifest)
 *   0x03 ‖ device id (16) ‖ u8 len ‖ stream id ‖ clock proof       (LiveClock)
 *
 * The relay accepts a message from a device only if its device id is the authenticated one.
 */
export const WireType = {
  LiveFrame: 0x01,
  LiveManifest: 0x02,
  LiveClock: 0x03,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export interface LiveMessage {
  readonly type: WireType;
  readonly deviceId: Uint8Array;
  readonly streamId: StreamId;
  readonly payload: Uint8Array;
}

/** What `encodeLiveMessage` takes: the stream id is checked against its grammar on encoding. */
export type LiveMessageInput = Omit<LiveMessage, 'streamId'> & { readonly streamId: string };

const MAX_PAYLOAD = LIMITS.framePayloadBytes + 1024;

export function encodeLiveMessage(message: LiveMessageInput): Uint8Array {
  if (message.deviceId.length !== ID_BYTES) fail('MALFORMED', 'device id length');
  const stream = encodeStreamId(message.streamId);
  return new Writer(2 + ID_BYTES + stream.length + message.payload.length)
    .u8(message.type)
    .bytes(message.deviceId)
    .shortBytes(stream)
    .bytes(message.payload)
    .finish();
}

/** Decodes without copying: deviceId and payload are views into `bytes`. */
export function decodeLiveMessage(bytes: Uint8Array): LiveMessage {
  const reader = new Reader(bytes);
  const type = reader.u8('message type');
  if (type !== WireType.LiveFrame && type !== WireType.LiveManifest && type !== WireType.LiveClock)
    fail('MALFORMED', 'unknown message type');
  const deviceId = reader.bytes(ID_BYTES, 'device id');
  const streamId = decodeStreamId(reader.shortBytes('stream id'));
  const payload = reader.rest();
  if (payload.length === 0) fail('TRUNCATED', 'empty payload');
  if (payload.length > MAX_PAYLOAD) fail('MALFORMED', 'payload too large');
  return { type, deviceId, streamId, payload };
}
