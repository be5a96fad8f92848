import { createHash } from 'node:crypto';
import { formatId, ID_TEXT_SOURCE, isStreamId, STREAM_ID_RULE, type StreamId } from '@sealcam/protocol';
import { OutboxCorruptError, OutboxInvalidEntryError } from './errors.js';

/**
 * On-disk format of one queued event: one file, written once, never modified, deleted after the
 * relay's acknowledgement. All integers are big-endian.
 *
 *   offset  size  field
 *   0       4     magic "SCOX" (53 43 4f 58)
 *   4       1     format version (1)
 *   5       1     flags: bit 0 = a thumbnail follows; the other bits are zero
 *   6       16    event id
 *   22      8     createdAt, Unix ms (an integer in 0..2^53-1)
 *   30      1     stream id length L (1..64)
 *   31      L     stream id, ASCII (the protocol's StreamId grammar)
 *           4+n   thumbnail: u32 length n, n bytes (only when flag bit 0 is set)
 *           2     clip chunk count C (0..512)
 *           C×(4+n) clip chunks, each u32 length n, n bytes
 *           4+n   envelope: u32 length n, n bytes
 *           32    SHA-256 of every byte above
 *
 * The checksum makes a torn write (power loss without the fsyncs having completed, a truncated
 * copy) or bit rot detectable; the structure must also be consumed exactly. Sealed items are
 * already authenticated by the protocol, but the outbox must never upload (and never crash on) a
 * file it cannot parse, so it checks its own container without needing any key.
 */
export const EVENT_FILE_MAGIC: readonly number[] = [0x53, 0x43, 0x4f, 0x58];
export const EVENT_FILE_VERSION = 1;
export const EVENT_ID_BYTES = 16;
/** Same bound as the protocol's LIMITS.clipChunks. */
export const MAX_CLIP_CHUNKS = 512;
export const CHECKSUM_BYTES = 32;

const FLAG_THUMBNAIL = 0x01;
const MAX_ITEM_BYTES = 0xffffffff;
/** magic, version, flags, id, createdAt, stream id length. */
const FIXED_HEADER_BYTES = 4 + 1 + 1 + EVENT_ID_BYTES + 8 + 1;
/** Smallest possible file: a 1-byte stream id, no thumbnail, no chunks, empty envelope. */
export const MIN_EVENT_FILE_BYTES = FIXED_HEADER_BYTES + 1 + 2 + 4 + CHECKSUM_BYTES;

/** One sealed event as the device agent queues it. Every byte string is opaque to the outbox. */
export interface OutboxEntry {
  /** 16 bytes; the idempotency key of the upload. */
  readonly eventId: Uint8Array;
  /** The relay stream (camera) id. */
  readonly streamId: StreamId;
  /** Unix ms; the upload order is createdAt, then id. */
  readonly createdAt: number;
  /** The sealed thumbnail, when the event has one. */
  readonly thumbnail?: Uint8Array;
  /** The sealed clip chunks in order, 0..512 of them. */
  readonly chunks: readonly Uint8Array[];
  /** The signed event envelope. */
  readonly envelope: Uint8Array;
}

/** 26 lowercase base32 characters (the protocol's readable id). */
export function formatEventId(eventId: Uint8Array): string {
  if (eventId.length !== EVENT_ID_BYTES) throw new OutboxInvalidEntryError('event id must be 16 bytes');
  return formatId(eventId);
}

const CREATED_AT_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits
const FILE_NAME_PATTERN = new RegExp(`^(\\d{16})-(${ID_TEXT_SOURCE})\\.evt$`);
/** write-file-atomic writes `<final name>.<uint32>` and renames it into place. */
const TEMP_FILE_PATTERN = new RegExp(`^\\d{16}-${ID_TEXT_SOURCE}\\.evt\\.\\d+$`);

/** `<createdAt, 16 zero-padded digits>-<id>.evt`: the names sort in upload order. */
export function eventFileName(createdAt: number, id: string): string {
  return `${String(createdAt).padStart(CREATED_AT_DIGITS, '0')}-${id}.evt`;
}

export function parseEventFileName(name: string): { createdAt: number; id: string } | undefined {
  const match = FILE_NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const createdAt = Number(match[1]);
  if (!Number.isSafeInteger(createdAt)) return undefined;
  return { createdAt, id: match[2]! };
}

/** A temporary file left by an interrupted write (never a complete entry: only rename makes one). */
export function isTempFileName(name: string): boolean {
  return TEMP_FILE_PATTERN.test(name);
}

function validate(entry: OutboxEntry): void {
  if (!(entry.eventId instanceof Uint8Array) || entry.eventId.length !== EVENT_ID_BYTES)
    throw new OutboxInvalidEntryError('event id must be 16 bytes');
  if (!isStreamId(entry.streamId)) throw new OutboxInvalidEntryError(`stream id must be ${STREAM_ID_RULE}`);
  if (!Number.isSafeInteger(entry.createdAt) || entry.createdAt < 0)
    throw new OutboxInvalidEntryError('createdAt must be a non-negative integer (Unix ms)');
  if (entry.chunks.length > MAX_CLIP_CHUNKS)
    throw new OutboxInvalidEntryError(`at most ${MAX_CLIP_CHUNKS} clip chunks`);
  const items = [entry.envelope, ...entry.chunks];
  if (entry.thumbnail !== undefined) items.push(entry.thumbnail);
  for (const item of items) {
    if (!(item instanceof Uint8Array)) throw new OutboxInvalidEntryError('items must be byte strings');
    if (item.length > MAX_ITEM_BYTES) throw new OutboxInvalidEntryError('an item exceeds 4 GiB');
  }
}

/** Exact size of the encoded file; validates the entry first (throws OutboxInvalidEntryError). */
export function encodedEventFileSize(entry: OutboxEntry): number {
  validate(entry);
  let size = FIXED_HEADER_BYTES + entry.streamId.length + 2 + 4 + entry.envelope.length + CHECKSUM_BYTES;
  if (entry.thumbnail !== undefined) size += 4 + entry.thumbnail.length;
  for (const chunk of entry.chunks) size += 4 + chunk.length;
  return size;
}

export function encodeEventFile(entry: OutboxEntry): Buffer {
  const size = encodedEventFileSize(entry);
  const out = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  const u8 = (value: number) => {
    offset = out.writeUInt8(value, offset);
  };
  const u32 = (value: number) => {
    offset = out.writeUInt32BE(value, offset);
  };
  const bytes = (value: Uint8Array) => {
    out.set(value, offset);
    offset += value.length;
  };
  bytes(Uint8Array.from(EVENT_FILE_MAGIC));
  u8(EVENT_FILE_VERSION);
  u8(entry.thumbnail !== undefined ? FLAG_THUMBNAIL : 0);
  bytes(entry.eventId);
  offset = out.writeBigUInt64BE(BigInt(entry.createdAt), offset);
  u8(entry.streamId.length);
  offset += out.write(entry.streamId, offset, 'latin1');
  if (entry.thumbnail !== undefined) {
    u32(entry.thumbnail.length);
    bytes(entry.thumbnail);
  }
  offset = out.writeUInt16BE(entry.chunks.length, offset);
  for (const chunk of entry.chunks) {
    u32(chunk.length);
    bytes(chunk);
  }
  u32(entry.envelope.length);
  bytes(entry.envelope);
  const digest = createHash('sha256').update(out.subarray(0, offset)).digest();
  bytes(digest);
  if (offset !== size) throw new Error(`event file encoder wrote ${offset} of ${size} bytes`);
  return out;
}

/**
 * Parses and verifies one event file. Throws OutboxCorruptError for anything but a complete,
 * well-formed file of this version. The returned byte strings are views into `file`.
 */
export function decodeEventFile(file: Uint8Array): OutboxEntry {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.length);
  const view = (start: number, length: number) =>
    new Uint8Array(file.buffer, file.byteOffset + start, length);
  if (buf.length < MIN_EVENT_FILE_BYTES)
    throw new OutboxCorruptError('TRUNCATED', `${buf.length} bytes is shorter than any event file`);
  for (let i = 0; i < EVENT_FILE_MAGIC.length; i++) {
    if (buf[i] !== EVENT_FILE_MAGIC[i]) throw new OutboxCorruptError('BAD_MAGIC', 'not an outbox event file');
  }
  const bodyEnd = buf.length - CHECKSUM_BYTES;
  const digest = createHash('sha256').update(buf.subarray(0, bodyEnd)).digest();
  if (!digest.equals(buf.subarray(bodyEnd)))
    throw new OutboxCorruptError('CHECKSUM', 'checksum mismatch (torn or altered file)');
  // The checksum matched, so from here on a failure means a writer bug or a foreign file.
  const version = buf[4]!;
  if (version !== EVENT_FILE_VERSION)
    throw new OutboxCorruptError(
      'UNSUPPORTED_VERSION',
      `format version ${version}, expected ${EVENT_FILE_VERSION}`,
    );

  let offset = 5;
  const need = (length: number, what: string) => {
    if (length > bodyEnd - offset) throw new OutboxCorruptError('MALFORMED', `${what} runs past the end`);
  };
  const u8 = (what: string) => {
    need(1, what);
    return buf.readUInt8(offset++);
  };
  const u32 = (what: string) => {
    need(4, what);
    const value = buf.readUInt32BE(offset);
    offset += 4;
    return value;
  };
  const item = (what: string) => {
    const length = u32(`${what} length`);
    need(length, what);
    const value = view(offset, length);
    offset += length;
    return value;
  };

  const flags = u8('flags');
  if ((flags & ~FLAG_THUMBNAIL) !== 0) throw new OutboxCorruptError('MALFORMED', 'unknown flags');
  need(EVENT_ID_BYTES + 8, 'header');
  const eventId = view(offset, EVENT_ID_BYTES);
  offset += EVENT_ID_BYTES;
  const createdAtBig = buf.readBigUInt64BE(offset);
  offset += 8;
  if (createdAtBig > BigInt(Number.MAX_SAFE_INTEGER))
    throw new OutboxCorruptError('MALFORMED', 'createdAt out of range');
  const streamIdLength = u8('stream id length');
  need(streamIdLength, 'stream id');
  const streamId = buf.toString('latin1', offset, offset + streamIdLength);
  offset += streamIdLength;
  if (!isStreamId(streamId)) throw new OutboxCorruptError('MALFORMED', 'invalid stream id');
  const thumbnail = flags & FLAG_THUMBNAIL ? item('thumbnail') : undefined;
  need(2, 'chunk count');
  const chunkCount = buf.readUInt16BE(offset);
  offset += 2;
  if (chunkCount > MAX_CLIP_CHUNKS) throw new OutboxCorruptError('MALFORMED', 'too many clip chunks');
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < chunkCount; i++) chunks.push(item('clip chunk'));
  const envelope = item('envelope');
  if (offset !== bodyEnd) throw new OutboxCorruptError('MALFORMED', 'trailing bytes before the checksum');

  const base = { eventId, streamId, createdAt: Number(createdAtBig), chunks, envelope };
  return thumbnail === undefined ? base : { ...base, thumbnail };
}
