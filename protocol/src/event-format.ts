import { equalBytes, Reader, Writer } from './bytes.js';
import {
  CLIP_FLAG_FINAL,
  EVENT_ID_BYTES,
  ID_BYTES,
  Kind,
  Label,
  LIMITS,
  PROTOCOL_VERSION,
  SIG_BYTES,
} from './constants.js';
import { fail } from './errors.js';
import { hash, u8 } from './hash.js';
import { readHeader } from './header.js';
import type { IdentityCard } from './identity.js';
import { readRecipients, writeRecipients } from './recipients-format.js';
import { verifyBody } from './signature.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';
import type { Stanza } from './wrap.js';

/** Public fields of an event envelope: routing ids, the public time, key stanzas, the sealed record. */
export interface EventEnvelopeFields {
  readonly deviceId: Uint8Array;
  readonly eventId: Uint8Array;
  readonly streamId: string;
  readonly time: number;
  readonly ephemeralPublicKey: Uint8Array;
  readonly stanzas: readonly Stanza[];
  readonly sealedRecord: Uint8Array;
}

export interface ParsedEventEnvelope extends EventEnvelopeFields {
  readonly bytes: Uint8Array;
  readonly signedPart: Uint8Array;
  readonly signature: Uint8Array;
}

export function encodeEventEnvelopeBody(fields: EventEnvelopeFields): Uint8Array {
  const writer = new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.EventEnvelope)
    .bytes(fields.deviceId)
    .bytes(fields.eventId)
    .shortBytes(encodeStreamId(fields.streamId))
    .u64(fields.time);
  writeRecipients(writer, fields.ephemeralPublicKey, fields.stanzas);
  if (fields.sealedRecord.length > LIMITS.recordBytes) fail('MALFORMED', 'event record too large');
  writer.longBytes(fields.sealedRecord);
  return writer.finish();
}

export function parseEventEnvelope(bytes: Uint8Array): ParsedEventEnvelope {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.EventEnvelope);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const eventId = reader.bytes(EVENT_ID_BYTES, 'event id').slice();
  const streamId = decodeStreamId(reader.shortBytes('stream id'));
  const time = reader.u64('time');
  const { ephemeralPublicKey, stanzas } = readRecipients(reader);
  const sealedRecord = reader.longBytes(LIMITS.recordBytes, 'sealed record').slice();
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature').slice();
  reader.end('event envelope');
  return {
    deviceId,
    eventId,
    streamId,
    time,
    ephemeralPublicKey,
    stanzas,
    sealedRecord,
    bytes: bytes.slice(),
    signedPart: bytes.slice(0, signedLength),
    signature,
  };
}

export function verifyEventEnvelope(bytes: Uint8Array, device: IdentityCard): ParsedEventEnvelope {
  const envelope = parseEventEnvelope(bytes);
  if (!equalBytes(envelope.deviceId, device.id)) fail('WRONG_DEVICE', 'event envelope');
  if (!verifyBody(device.signPublicKey, envelope.signedPart, envelope.signature)) {
    fail('BAD_SIGNATURE', 'event envelope');
  }
  return envelope;
}

export function eventWrapContext(deviceId: Uint8Array, eventId: Uint8Array): Uint8Array {
  return new Writer().bytes(u8(Kind.EventEnvelope)).bytes(deviceId).bytes(eventId).finish();
}

/** Clear header of a sealed thumbnail (34 bytes) or clip chunk (39 bytes); it is also the AEAD AAD. */
export interface ItemHeader {
  readonly kind: typeof Kind.Thumbnail | typeof Kind.ClipChunk | typeof Kind.EventRecord;
  readonly deviceId: Uint8Array;
  readonly eventId: Uint8Array;
  readonly index: number;
  readonly final: boolean;
}

export function encodeItemHeader(header: ItemHeader): Uint8Array {
  const writer = new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(header.kind)
    .bytes(header.deviceId)
    .bytes(header.eventId);
  if (header.kind === Kind.ClipChunk) writer.u32(header.index).u8(header.final ? CLIP_FLAG_FINAL : 0);
  return writer.finish();
}

/** Bytes of the clear header of a thumbnail or clip chunk (PROTOCOL.md §7). */
export function itemHeaderLength(kind: number): number {
  return 2 + ID_BYTES + EVENT_ID_BYTES + (kind === Kind.ClipChunk ? 5 : 0);
}

/** Parses the clear header of a thumbnail or clip chunk (relay-safe). */
export function parseItemHeader(
  bytes: Uint8Array,
  expectedKind: typeof Kind.Thumbnail | typeof Kind.ClipChunk,
): ItemHeader {
  const reader = new Reader(bytes);
  readHeader(reader, expectedKind);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const eventId = reader.bytes(EVENT_ID_BYTES, 'event id').slice();
  let index = 0;
  let final = false;
  if (expectedKind === Kind.ClipChunk) {
    index = reader.u32('chunk index');
    const flags = reader.u8('chunk flags');
    if ((flags & ~CLIP_FLAG_FINAL) !== 0) fail('MALFORMED', 'reserved chunk flags set');
    final = (flags & CLIP_FLAG_FINAL) !== 0;
  }
  if (reader.remaining < 16) fail('TRUNCATED', 'sealed item shorter than its tag');
  return { kind: expectedKind, deviceId, eventId, index, final };
}

/** Hash of a sealed item, committed to in the signed event record. */
export function itemHash(sealed: Uint8Array): Uint8Array {
  return hash(32, Label.objectHash, sealed);
}
