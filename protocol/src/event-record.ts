import { LIMITS } from './constants.js';
import { fail } from './errors.js';

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

const HEX64 = /^[0-9a-f]{64}$/;
const SHORT_TEXT = /^[\x20-\x7e]{1,64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[], what: string): void {
  const actual = Object.keys(value).sort();
  const expected = [...keys].sort();
  if (actual.length !== expected.length || actual.some((key, i) => key !== expected[i])) {
    fail('MALFORMED', `${what} fields`);
  }
}

function size(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail('MALFORMED', what);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SHORT_TEXT.test(value)) fail('MALFORMED', what);
  return value;
}

/** Strict validation of a decoded record: exact fields, types and bounds. */
export function validateEventRecord(value: unknown): EventRecord {
  if (!isObject(value)) fail('MALFORMED', 'event record');
  exactKeys(
    value,
    ['v', 'kind', 'streamId', 'start', 'end', 'score', 'labels', 'thumbnail', 'clip'],
    'event record',
  );
  if (value.v !== 1) fail('UNSUPPORTED_VERSION', 'event record');
  text(value.kind, 'event kind');
  text(value.streamId, 'stream id');
  const start = size(value.start, 'start');
  const end = size(value.end, 'end');
  if (end < start) fail('MALFORMED', 'event ends before it starts');
  if (typeof value.score !== 'number' || !(value.score >= 0 && value.score <= 1)) fail('MALFORMED', 'score');
  if (!Array.isArray(value.labels) || value.labels.length > LIMITS.labels) fail('MALFORMED', 'labels');
  for (const label of value.labels) text(label, 'label');
  if (value.thumbnail !== null) {
    if (!isObject(value.thumbnail)) fail('MALFORMED', 'thumbnail');
    exactKeys(value.thumbnail, ['type', 'bytes', 'hash'], 'thumbnail');
    text(value.thumbnail.type, 'thumbnail type');
    size(value.thumbnail.bytes, 'thumbnail size');
    if (typeof value.thumbnail.hash !== 'string' || !HEX64.test(value.thumbnail.hash))
      fail('MALFORMED', 'hash');
  }
  if (value.clip !== null) {
    if (!isObject(value.clip)) fail('MALFORMED', 'clip');
    exactKeys(value.clip, ['codec', 'type', 'bytes', 'frames', 'chunkHashes'], 'clip');
    const codec = size(value.clip.codec, 'clip codec');
    if (codec < 1 || codec > 15) fail('MALFORMED', 'clip codec');
    text(value.clip.type, 'clip type');
    size(value.clip.bytes, 'clip size');
    size(value.clip.frames, 'clip frames');
    const hashes = value.clip.chunkHashes;
    if (!Array.isArray(hashes) || hashes.length < 1 || hashes.length > LIMITS.clipChunks)
      fail('MALFORMED', 'chunks');
    for (const hash of hashes)
      if (typeof hash !== 'string' || !HEX64.test(hash)) fail('MALFORMED', 'chunk hash');
  }
  return value as unknown as EventRecord;
}
