import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStreamId } from '@sealcam/protocol';
import { pino } from 'pino';
import type { Logger } from '../../src/log.js';
import type { OutboxEntry } from '../../src/outbox/event-file.js';

/** createdAt of entry 0; entry i is created at BASE_CREATED_AT + i, so index order is upload order. */
export const BASE_CREATED_AT = 1_700_000_000_000;

export interface EntryOptions {
  /** Multiplies the item sizes (default 1: entries of roughly 1–100 KB). */
  readonly scale?: number;
  /** Written at the start of every item so a test can look for it in logs. */
  readonly marker?: string;
  readonly createdAt?: number;
}

function fill(bytes: Uint8Array, seed: number): void {
  let state = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
}

function item(length: number, seed: number, marker: string | undefined): Uint8Array {
  const bytes = new Uint8Array(length);
  fill(bytes, seed);
  if (marker) bytes.set(Buffer.from(marker, 'latin1').subarray(0, length));
  return bytes;
}

export function eventIdOf(index: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`outbox-test-event-${index}`).digest().subarray(0, 16));
}

/** A deterministic entry for index `index` (same bytes in the test and in the child process). */
export function makeEntry(index: number, options: EntryOptions = {}): OutboxEntry {
  const scale = options.scale ?? 1;
  const marker = options.marker;
  const size = (n: number) => Math.max(1, Math.round(n * scale));
  const chunkCount = index % 6;
  const chunks: Uint8Array[] = [];
  for (let j = 0; j < chunkCount; j++)
    chunks.push(item(size(1000 + ((index * 7919 + j * 977) % 30000)), index * 1000 + j + 1, marker));
  const base = {
    eventId: eventIdOf(index),
    streamId: parseStreamId(`cam-${index % 3}`),
    createdAt: options.createdAt ?? BASE_CREATED_AT + index,
    chunks,
    envelope: item(size(300 + (index % 200)), index * 1000 + 999, marker),
  };
  if (index % 4 === 3) return base;
  return { ...base, thumbnail: item(size(200 + ((index * 37) % 4000)), index * 1000 + 998, marker) };
}

/** A pino logger writing JSON lines into memory. */
export function captureLogger(level = 'debug'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void chunks.push(line) });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-outbox-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** Asserts byte-identical entries with a short message (no megabyte diffs). */
export function assertSameEntry(actual: OutboxEntry | undefined, expected: OutboxEntry, label: string): void {
  assert.ok(actual, `${label}: entry missing`);
  assert.ok(same(actual.eventId, expected.eventId), `${label}: event id differs`);
  assert.equal(actual.streamId, expected.streamId, `${label}: stream id differs`);
  assert.equal(actual.createdAt, expected.createdAt, `${label}: createdAt differs`);
  assert.ok(same(actual.thumbnail, expected.thumbnail), `${label}: thumbnail differs`);
  assert.equal(actual.chunks.length, expected.chunks.length, `${label}: chunk count differs`);
  actual.chunks.forEach((chunk, i) => {
    assert.ok(same(chunk, expected.chunks[i]), `${label}: clip chunk ${i} differs`);
  });
  assert.ok(same(actual.envelope, expected.envelope), `${label}: envelope differs`);
}
