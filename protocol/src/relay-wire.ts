import { Reader, Writer } from './bytes.js';
import { ID_BYTES, LIMITS } from './constants.js';
import { fail } from './errors.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';

/**
 * Binary WebSocket messages between agents, the relay and viewers. The payloads are sealed frames
 * and signed manifests; these envelopes carry only routing ids. Control messages are JSON text.
 *
 *   device → relay:  0x01 u8 len ‖ stream id ‖ sealed frame      (LiveFrame)
 *                    0x02 u8 len ‖ stream id ‖ key manifest      (LiveManifest)
 *   relay → viewer:  0x81 device id (16) ‖ u8 len ‖ stream id ‖ sealed frame
 *                    0x82 device id (16) ‖ u8 len ‖ stream id ‖ key manifest
 */
export const WireType = {
  DeviceFrame: 0x01,
  DeviceManifest: 0x02,
  ViewerFrame: 0x81,
  ViewerManifest: 0x82,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export interface DeviceMessage {
  readonly type: typeof WireType.DeviceFrame | typeof WireType.DeviceManifest;
  readonly streamId: string;
  readonly payload: Uint8Array;
}

export interface ViewerMessage {
  readonly type: typeof WireType.ViewerFrame | typeof WireType.ViewerManifest;
  readonly deviceId: Uint8Array;
  readonly streamId: string;
  readonly payload: Uint8Array;
}

const MAX_PAYLOAD = LIMITS.framePayloadBytes + 1024;

export function encodeDeviceMessage(message: DeviceMessage): Uint8Array {
  return new Writer()
    .u8(message.type)
    .shortBytes(encodeStreamId(message.streamId))
    .bytes(message.payload)
    .finish();
}

export function decodeDeviceMessage(bytes: Uint8Array): DeviceMessage {
  const reader = new Reader(bytes);
  const type = reader.u8('message type');
  if (type !== WireType.DeviceFrame && type !== WireType.DeviceManifest)
    fail('MALFORMED', 'unknown message type');
  const streamId = decodeStreamId(reader.shortBytes('stream id'));
  const payload = reader.rest();
  if (payload.length === 0) fail('TRUNCATED', 'empty payload');
  if (payload.length > MAX_PAYLOAD) fail('MALFORMED', 'payload too large');
  return { type, streamId, payload };
}

/** The relay encodes once per frame and sends the same bytes to every subscriber. */
export function encodeViewerMessage(message: ViewerMessage): Uint8Array {
  if (message.deviceId.length !== ID_BYTES) fail('MALFORMED', 'device id length');
  return new Writer()
    .u8(message.type)
    .bytes(message.deviceId)
    .shortBytes(encodeStreamId(message.streamId))
    .bytes(message.payload)
    .finish();
}

export function decodeViewerMessage(bytes: Uint8Array): ViewerMessage {
  const reader = new Reader(bytes);
  const type = reader.u8('message type');
  if (type !== WireType.ViewerFrame && type !== WireType.ViewerManifest)
    fail('MALFORMED', 'unknown message type');
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const streamId = decodeStreamId(reader.shortBytes('stream id'));
  const payload = reader.rest();
  if (payload.length === 0) fail('TRUNCATED', 'empty payload');
  return { type, deviceId, streamId, payload };
}
