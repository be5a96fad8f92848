import { aeadOpen } from './aead.js';
import { equalBytes, toHex, Writer } from './bytes.js';
import { EVENT_ID_BYTES, KEY_BYTES, Kind, Label, LIMITS, NONCE_BYTES } from './constants.js';
import { fail } from './errors.js';
import {
  encodeEventEnvelopeBody,
  encodeItemHeader,
  eventWrapContext,
  type ItemHeader,
  itemHash,
  itemHeaderLength,
  parseItemHeader,
  verifyEventEnvelope,
} from './event-format.js';
import { decodeEventRecord, type EventRecord, encodeEventRecord } from './event-record.js';
import { derive } from './hash.js';
import type { Identity, IdentityCard } from './identity.js';
import type { AgreedKey } from './key-holder.js';
import { type Padding, pad, unpad } from './padding.js';
import { type Rng, systemRng } from './random.js';
import { signBody } from './signature.js';
import { sodium } from './sodium.js';
import { encodeStreamId } from './stream-id.js';
import { unwrapContentKey, type WrapRecipient, wrapContentKey } from './wrap.js';

/** nonce = kind (u8) || index (u32be) || 19 zero bytes: unique per item under the event's own key. */
function itemNonce(kind: number, index: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  nonce[0] = kind;
  new DataView(nonce.buffer).setUint32(1, index);
  return nonce;
}

function contentKey(eventKey: Uint8Array, deviceId: Uint8Array, eventId: Uint8Array): Uint8Array {
  return derive(eventKey, KEY_BYTES, Label.eventKey, deviceId, eventId);
}

function sealItem(key: Uint8Array, header: ItemHeader, plaintext: Uint8Array, padding: Padding): Uint8Array {
  const aad = encodeItemHeader(header);
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    pad(plaintext, padding),
    aad,
    null,
    itemNonce(header.kind, header.index),
    key,
  );
  return new Writer().bytes(aad).bytes(sealed).finish();
}

/** `padding`: the scheme the padded plaintext must match exactly (records); items accept any. */
function openItem(
  key: Uint8Array,
  header: ItemHeader,
  sealed: Uint8Array,
  what: string,
  padding?: Padding,
): Uint8Array {
  const aad = encodeItemHeader(header);
  const padded = aeadOpen(sealed.subarray(aad.length), aad, itemNonce(header.kind, header.index), key, what);
  return unpad(padded, padding).slice();
}

export interface EventSealerOptions {
  readonly device: Identity;
  readonly streamId: string;
  /** Padding of thumbnail and clip chunks; records are always padded to 64-byte blocks. */
  readonly padding?: Padding;
  readonly eventId?: Uint8Array;
}

export interface EventSummary {
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
  readonly labels?: readonly string[];
  readonly clip?: { readonly codec: number; readonly type: string; readonly frames: number };
}

/**
 * Device side: seals one event. Thumbnail and clip chunks are sealed as they are produced;
 * finish() seals and signs the record (which commits to every item's hash) and wipes the event key.
 */
export class EventSealer {
  readonly eventId: Uint8Array;
  private readonly eventKey: Uint8Array;
  private readonly key: Uint8Array;
  private readonly padding: Padding;
  private thumbnail: EventRecord['thumbnail'] = null;
  private readonly chunkHashes: string[] = [];
  private clipBytes = 0;
  private clipClosed = false;
  private finished = false;

  constructor(
    private readonly options: EventSealerOptions,
    private readonly rng: Rng = systemRng,
  ) {
    encodeStreamId(options.streamId);
    this.eventId = options.eventId ?? rng(EVENT_ID_BYTES);
    if (this.eventId.length !== EVENT_ID_BYTES) fail('MALFORMED', 'event id length');
    this.eventKey = rng(KEY_BYTES);
    this.key = contentKey(this.eventKey, options.device.card.id, this.eventId);
    this.padding = options.padding ?? 'none';
  }

  private header(kind: ItemHeader['kind'], index: number, final: boolean): ItemHeader {
    return { kind, deviceId: this.options.device.card.id, eventId: this.eventId, index, final };
  }

  private assertOpen(): void {
    if (this.finished) fail('EXHAUSTED', 'event already finished');
  }

  sealThumbnail(image: Uint8Array, type = 'image/jpeg'): Uint8Array {
    this.assertOpen();
    if (this.thumbnail) fail('MALFORMED', 'thumbnail already sealed');
    if (image.length > LIMITS.thumbnailBytes) fail('MALFORMED', 'thumbnail too large');
    const sealed = sealItem(this.key, this.header(Kind.Thumbnail, 0, false), image, this.padding);
    this.thumbnail = { type, bytes: image.length, hash: toHex(itemHash(sealed)) };
    return sealed;
  }

  sealClipChunk(data: Uint8Array, final: boolean): Uint8Array {
    this.assertOpen();
    if (this.clipClosed) fail('MALFORMED', 'clip already has its final chunk');
    if (data.length > LIMITS.clipChunkBytes) fail('MALFORMED', 'clip chunk too large');
    if (this.chunkHashes.length >= LIMITS.clipChunks) fail('MALFORMED', 'too many clip chunks');
    const index = this.chunkHashes.length;
    const sealed = sealItem(this.key, this.header(Kind.ClipChunk, index, final), data, this.padding);
    this.chunkHashes.push(toHex(itemHash(sealed)));
    this.clipBytes += data.length;
    this.clipClosed = final;
    return sealed;
  }

  /** Seals the record, wraps the event key for the device's own recipient list, signs, wipes keys. */
  finish(summary: EventSummary, recipients: readonly WrapRecipient[]): Uint8Array {
    this.assertOpen();
    if (this.chunkHashes.length > 0 && !this.clipClosed) fail('TRUNCATED', 'clip has no final chunk');
    if (this.chunkHashes.length > 0 && !summary.clip)
      fail('MALFORMED', 'clip chunks without clip description');
    const deviceId = this.options.device.card.id;
    const record: EventRecord = {
      v: 1,
      kind: summary.kind,
      streamId: this.options.streamId,
      start: summary.start,
      end: summary.end,
      score: summary.score,
      labels: [...(summary.labels ?? [])],
      thumbnail: this.thumbnail,
      clip:
        this.chunkHashes.length > 0 && summary.clip
          ? {
              codec: summary.clip.codec,
              type: summary.clip.type,
              bytes: this.clipBytes,
              frames: summary.clip.frames,
              chunkHashes: [...this.chunkHashes],
            }
          : null,
    };
    const sealedRecord = sealItem(
      this.key,
      this.header(Kind.EventRecord, 0, false),
      encodeEventRecord(record),
      'block64',
    ).subarray(itemHeaderLength(Kind.EventRecord));
    const { ephemeralPublicKey, stanzas } = wrapContentKey(
      this.eventKey,
      recipients,
      eventWrapContext(deviceId, this.eventId),
      this.rng,
    );
    const body = encodeEventEnvelopeBody({
      deviceId,
      eventId: this.eventId,
      streamId: this.options.streamId,
      time: summary.start,
      ephemeralPublicKey,
      stanzas,
      sealedRecord,
    });
    this.finished = true;
    sodium.memzero(this.eventKey);
    sodium.memzero(this.key);
    return new Writer().bytes(body).bytes(signBody(this.options.device.signSecretKey, body)).finish();
  }
}

/** A verified, opened event. Holds the event's content key until close(). */
export interface OpenedEvent {
  readonly deviceId: Uint8Array;
  readonly eventId: Uint8Array;
  readonly streamId: string;
  readonly time: number;
  readonly record: EventRecord;
  readonly key: Uint8Array;
}

export interface EventExpectation {
  /** The viewer's identity, or its key agreed ahead with this structure's ephemeral key (agreeAhead). */
  readonly viewer: Identity | AgreedKey;
  readonly device: IdentityCard;
  /** When the viewer asked for a specific event or stream, the answer must be that one. */
  readonly eventId?: Uint8Array;
  readonly streamId?: string;
}

export function openEvent(bytes: Uint8Array, expect: EventExpectation): OpenedEvent {
  const envelope = verifyEventEnvelope(bytes, expect.device);
  if (expect.eventId && !equalBytes(expect.eventId, envelope.eventId)) fail('WRONG_EVENT');
  if (expect.streamId !== undefined && expect.streamId !== envelope.streamId) fail('WRONG_STREAM');
  const eventKey = unwrapContentKey(
    expect.viewer,
    envelope.ephemeralPublicKey,
    envelope.stanzas,
    eventWrapContext(envelope.deviceId, envelope.eventId),
  );
  const key = contentKey(eventKey, envelope.deviceId, envelope.eventId);
  sodium.memzero(eventKey);
  const header: ItemHeader = {
    kind: Kind.EventRecord,
    deviceId: envelope.deviceId,
    eventId: envelope.eventId,
    index: 0,
    final: false,
  };
  const aadLength = itemHeaderLength(Kind.EventRecord);
  const sealed = new Uint8Array(aadLength + envelope.sealedRecord.length);
  sealed.set(envelope.sealedRecord, aadLength);
  const record = decodeEventRecord(openItem(key, header, sealed, 'event record', 'block64'));
  if (record.streamId !== envelope.streamId) fail('MALFORMED', 'record stream differs from envelope');
  if (record.start !== envelope.time) fail('MALFORMED', 'record start differs from envelope time');
  return {
    deviceId: envelope.deviceId,
    eventId: envelope.eventId,
    streamId: envelope.streamId,
    time: envelope.time,
    record,
    key,
  };
}

function checkItem(header: ItemHeader, event: OpenedEvent, what: string): void {
  if (!equalBytes(header.deviceId, event.deviceId)) fail('WRONG_DEVICE', `${what} is from another camera`);
  if (!equalBytes(header.eventId, event.eventId)) fail('WRONG_EVENT', `${what} belongs to another event`);
}

export function openThumbnail(sealed: Uint8Array, event: OpenedEvent): Uint8Array {
  const header = parseItemHeader(sealed, Kind.Thumbnail);
  checkItem(header, event, 'thumbnail');
  if (!event.record.thumbnail) fail('MALFORMED', 'event has no thumbnail');
  if (toHex(itemHash(sealed)) !== event.record.thumbnail.hash) {
    fail('BAD_SIGNATURE', 'thumbnail is not the one the device signed for this event');
  }
  const image = openItem(event.key, header, sealed, 'thumbnail');
  if (image.length !== event.record.thumbnail.bytes)
    fail('MALFORMED', 'thumbnail size differs from the record');
  return image;
}

/** Opens chunk number `index`; the caller asks for chunks in order, so reordering and splicing fail. */
export function openClipChunk(
  sealed: Uint8Array,
  event: OpenedEvent,
  index: number,
): { data: Uint8Array; final: boolean } {
  const header = parseItemHeader(sealed, Kind.ClipChunk);
  checkItem(header, event, 'clip chunk');
  const clip = event.record.clip;
  if (!clip) fail('MALFORMED', 'event has no clip');
  if (header.index !== index) fail('REPLAYED', `clip chunk ${header.index} where ${index} was expected`);
  if (index >= clip.chunkHashes.length) fail('MALFORMED', 'clip chunk beyond the signed count');
  if (header.final !== (index === clip.chunkHashes.length - 1)) fail('MALFORMED', 'final flag misplaced');
  if (toHex(itemHash(sealed)) !== clip.chunkHashes[index]) {
    fail('BAD_SIGNATURE', 'clip chunk is not the one the device signed for this event');
  }
  return { data: openItem(event.key, header, sealed, 'clip chunk'), final: header.final };
}

/** Opens a whole clip; a missing final chunk is TRUNCATED. */
export function openClip(chunks: readonly Uint8Array[], event: OpenedEvent): Uint8Array {
  const clip = event.record.clip;
  if (!clip) fail('MALFORMED', 'event has no clip');
  const parts = chunks.map((chunk, index) => openClipChunk(chunk, event, index).data);
  if (parts.length < clip.chunkHashes.length)
    fail('TRUNCATED', `clip has ${parts.length} of ${clip.chunkHashes.length} chunks`);
  const out = new Writer();
  for (const part of parts) out.bytes(part);
  if (out.size !== clip.bytes) fail('MALFORMED', 'clip size differs from the record');
  return out.finish();
}

export function closeEvent(event: OpenedEvent): void {
  sodium.memzero(event.key);
}
