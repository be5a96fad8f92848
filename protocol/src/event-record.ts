import { fromHex, Reader, toHex, Writer } from './bytes.js';
import { HASH_BYTES, Kind, LIMITS, PROTOCOL_VERSION } from './constants.js';
import { fail } from './errors.js';
import { readHeader } from './header.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';

/** The sealed, device-signed description of an event. Only recipients can read it. */
export interface EventRecord {
  readonly v: 1;
  /** e.g. "motion". */
  readonly kind: string;
  readonly streamId: string;
  /** Unix milliseconds. */
  readonly start: number;
  readonly end: number;
  /** Motion score in [0, 1]. */
  readonly score: number;
  readonly labels: readonly string[];
  readonly thumbnail: { readonly type: string; readonly bytes: number; readonly hash: string } | null;
  readonly clip: {
    readonly codec: number;
    readonly type: string;
    readonly bytes: number;
    readonly frames: number;
    readonly chunkHashes: readonly string[];
  } | null;
}

/**
 * Binary layout (docs/PROTOCOL.md §7.7), one accepted encoding per record:
 *
 *   0x01 ‖ 0x04 ‖ text kind ‖ streamId ‖ start u64 ‖ end u64 ‖ score binary64 ‖ u8 n ‖ n × text label
 *   ‖ thumbnail: 0x00 | 0x01 ‖ text type ‖ bytes u64 ‖ hash[32]
 *   ‖ clip: 0x00 | 0x01 ‖ codec u8 ‖ text type ‖ bytes u64 ‖ frames u64 ‖ u16 m ‖ m × hash[32]
 *
 * where text = u8 length (1…64) ‖ that many bytes of 0x20…0x7e.
 */
const ABSENT = 0x00;
const PRESENT = 0x01;
/** Bits of the binary64 value 1.0: the non-negative doubles ≤ 1 are exactly the bit patterns ≤ this. */
const SCORE_MAX_BITS = 0x3ff0_0000_0000_0000n;
const HEX64 = /^[0-9a-f]{64}$/;

function isShortText(text: string): boolean {
  if (text.length < 1 || text.length > LIMITS.labelBytes) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

function writeText(writer: Writer, text: string, what: string): void {
  if (typeof text !== 'string' || !isShortText(text))
    fail('MALFORMED', `${what}: 1…64 characters of U+0020…U+007E`);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  writer.shortBytes(bytes);
}

function readText(reader: Reader, what: string): string {
  const bytes = reader.shortBytes(what);
  if (bytes.length === 0 || bytes.length > LIMITS.labelBytes) fail('MALFORMED', `${what} length`);
  let text = '';
  for (const byte of bytes) {
    if (byte < 0x20 || byte > 0x7e) fail('MALFORMED', `${what} character`);
    text += String.fromCharCode(byte);
  }
  return text;
}

function checkSize(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail('MALFORMED', what);
}

function writeHash(writer: Writer, hash: string, what: string): void {
  if (typeof hash !== 'string' || !HEX64.test(hash)) fail('MALFORMED', `${what}: 64 lower-case hex`);
  writer.bytes(fromHex(hash));
}

function writeScore(writer: Writer, score: number): void {
  if (typeof score !== 'number' || !(score >= 0 && score <= 1)) fail('MALFORMED', 'score');
  const bytes = new Uint8Array(8);
  // −0 is written as +0: the wire has one encoding of zero.
  new DataView(bytes.buffer).setFloat64(0, score === 0 ? 0 : score);
  writer.bytes(bytes);
}

function readScore(reader: Reader): number {
  const bytes = reader.bytes(8, 'score');
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  if (view.getBigUint64(0) > SCORE_MAX_BITS) fail('MALFORMED', 'score outside 0…1 (or negative zero, NaN)');
  return view.getFloat64(0);
}

function readTag(reader: Reader, what: string): boolean {
  const tag = reader.u8(what);
  if (tag !== ABSENT && tag !== PRESENT) fail('MALFORMED', `${what} tag ${tag}`);
  return tag === PRESENT;
}

/** Writes a record; refuses (MALFORMED) anything decodeEventRecord would reject. */
export function encodeEventRecord(record: EventRecord): Uint8Array {
  if (record.v !== 1) fail('UNSUPPORTED_VERSION', 'event record');
  const writer = new Writer(512).u8(PROTOCOL_VERSION).u8(Kind.EventRecord);
  writeText(writer, record.kind, 'event kind');
  writer.shortBytes(encodeStreamId(record.streamId));
  checkSize(record.start, 'start');
  checkSize(record.end, 'end');
  if (record.end < record.start) fail('MALFORMED', 'event ends before it starts');
  writer.u64(record.start).u64(record.end);
  writeScore(writer, record.score);
  if (!Array.isArray(record.labels) || record.labels.length > LIMITS.labels) fail('MALFORMED', 'labels');
  writer.u8(record.labels.length);
  for (const label of record.labels) writeText(writer, label, 'label');
  const thumbnail = record.thumbnail;
  if (thumbnail === null) writer.u8(ABSENT);
  else {
    writer.u8(PRESENT);
    writeText(writer, thumbnail.type, 'thumbnail type');
    checkSize(thumbnail.bytes, 'thumbnail size');
    writer.u64(thumbnail.bytes);
    writeHash(writer, thumbnail.hash, 'thumbnail hash');
  }
  const clip = record.clip;
  if (clip === null) writer.u8(ABSENT);
  else {
    if (!Number.isInteger(clip.codec) || clip.codec < 1 || clip.codec > 15) fail('MALFORMED', 'clip codec');
    writer.u8(PRESENT).u8(clip.codec);
    writeText(writer, clip.type, 'clip type');
    checkSize(clip.bytes, 'clip size');
    checkSize(clip.frames, 'clip frames');
    writer.u64(clip.bytes).u64(clip.frames);
    const hashes = clip.chunkHashes;
    if (!Array.isArray(hashes) || hashes.length < 1 || hashes.length > LIMITS.clipChunks)
      fail('MALFORMED', 'chunks');
    writer.u16(hashes.length);
    for (const hash of hashes) writeHash(writer, hash, 'chunk hash');
  }
  return writer.finish();
}

/**
 * Strict inverse of encodeEventRecord (§1.2 rules: fields in order, the first failing check decides):
 * header (UNSUPPORTED_VERSION, WRONG_KIND); texts of 1…64 printable ASCII characters; stream id
 * (§1.1); times (u64 range, end ≥ start); score (bits ≤ those of 1.0); label count ≤ 32; presence
 * tags 0 or 1; codec 1…15; chunk count 1…512; no trailing bytes. All else MALFORMED or TRUNCATED.
 */
export function decodeEventRecord(bytes: Uint8Array): EventRecord {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.EventRecord);
  const kind = readText(reader, 'event kind');
  const streamId = decodeStreamId(reader.shortBytes('stream id'));
  const start = reader.u64('start');
  const end = reader.u64('end');
  if (end < start) fail('MALFORMED', 'event ends before it starts');
  const score = readScore(reader);
  const labelCount = reader.u8('label count');
  if (labelCount > LIMITS.labels) fail('MALFORMED', 'more than 32 labels');
  const labels: string[] = [];
  for (let i = 0; i < labelCount; i++) labels.push(readText(reader, 'label'));
  let thumbnail: EventRecord['thumbnail'] = null;
  if (readTag(reader, 'thumbnail')) {
    const type = readText(reader, 'thumbnail type');
    const size = reader.u64('thumbnail size');
    thumbnail = { type, bytes: size, hash: toHex(reader.bytes(HASH_BYTES, 'thumbnail hash')) };
  }
  let clip: EventRecord['clip'] = null;
  if (readTag(reader, 'clip')) {
    const codec = reader.u8('clip codec');
    if (codec < 1 || codec > 15) fail('MALFORMED', 'clip codec');
    const type = readText(reader, 'clip type');
    const size = reader.u64('clip size');
    const frames = reader.u64('clip frames');
    const count = reader.u16('chunk count');
    if (count < 1 || count > LIMITS.clipChunks) fail('MALFORMED', 'chunk count');
    const chunkHashes: string[] = [];
    for (let i = 0; i < count; i++) chunkHashes.push(toHex(reader.bytes(HASH_BYTES, 'chunk hash')));
    clip = { codec, type, bytes: size, frames, chunkHashes };
  }
  reader.end('event record');
  return { v: 1, kind, streamId, start, end, score, labels, thumbnail, clip };
}
