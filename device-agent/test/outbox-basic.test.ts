import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseStreamId, type StreamId } from '@sealcam/protocol';
import { silentLogger } from '../src/log.js';
import {
  OutboxClosedError,
  OutboxCorruptError,
  OutboxError,
  OutboxInvalidEntryError,
} from '../src/outbox/errors.js';
import {
  decodeEventFile,
  encodeEventFile,
  eventFileName,
  formatEventId,
  MAX_CLIP_CHUNKS,
  type OutboxEntry,
} from '../src/outbox/event-file.js';
import { CORRUPT_DIR, Outbox, type OutboxChange } from '../src/outbox/outbox.js';
import {
  assertSameEntry,
  captureLogger,
  eventIdOf,
  makeEntry,
  withTempDir,
} from './support/outbox-fixtures.js';

const MiB = 1024 * 1024;
const open = (dir: string, maxBytes = 64 * MiB) => Outbox.open(dir, { maxBytes, logger: silentLogger });
const idOf = (index: number) => formatEventId(eventIdOf(index));
/** Text that breaks the stream id grammar, past the type on purpose: the outbox must refuse it. */
const notAStreamId = (text: string) => text as StreamId;

function small(index: number): OutboxEntry {
  return {
    eventId: eventIdOf(index),
    streamId: parseStreamId('cam.1_a-B'),
    createdAt: 1_700_000_000_000 + index,
    thumbnail: Uint8Array.from([1, 2, 3, index & 0xff]),
    chunks: [Uint8Array.from([4, 5]), new Uint8Array(0), Uint8Array.from([6])],
    envelope: Uint8Array.from([7, 8, 9]),
  };
}

async function fileNameOf(dir: string, id: string): Promise<string> {
  const name = (await readdir(dir)).find((n) => n.includes(id) && n.endsWith('.evt'));
  assert.ok(name, `no file for ${id}`);
  return name;
}

describe('event file format', () => {
  test('round trip with and without thumbnail, with 0 and 512 chunks', () => {
    const withAll = small(1);
    assertSameEntry(decodeEventFile(encodeEventFile(withAll)), withAll, 'full');
    const { thumbnail: _thumbnail, ...noThumb } = small(2);
    const decoded = decodeEventFile(encodeEventFile({ ...noThumb, chunks: [] }));
    assert.equal(decoded.thumbnail, undefined);
    assert.equal('thumbnail' in decoded, false);
    assert.equal(decoded.chunks.length, 0);
    const many = {
      ...small(3),
      chunks: Array.from({ length: MAX_CLIP_CHUNKS }, (_, i) => Uint8Array.of(i & 0xff)),
    };
    assertSameEntry(decodeEventFile(encodeEventFile(many)), many, '512 chunks');
    const empty = { ...small(4), thumbnail: new Uint8Array(0), envelope: new Uint8Array(0) };
    assertSameEntry(decodeEventFile(encodeEventFile(empty)), empty, 'empty items');
  });

  test('header layout: magic, version, id, createdAt, trailing sha256', () => {
    const file = encodeEventFile(small(5));
    assert.equal(file.subarray(0, 4).toString('latin1'), 'SCOX');
    assert.equal(file[4], 1);
    assert.deepEqual(new Uint8Array(file.subarray(6, 22)), eventIdOf(5));
    assert.equal(Number(file.readBigUInt64BE(22)), 1_700_000_000_005);
  });

  test('every truncation and every single-bit flip is detected as corrupt', () => {
    const file = encodeEventFile(small(6));
    for (let length = 0; length < file.length; length++) {
      assert.throws(() => decodeEventFile(file.subarray(0, length)), OutboxCorruptError, `length ${length}`);
    }
    for (let offset = 0; offset < file.length; offset++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(file);
        copy[offset]! ^= 1 << bit;
        assert.throws(() => decodeEventFile(copy), OutboxCorruptError, `byte ${offset} bit ${bit}`);
      }
    }
    assert.throws(() => decodeEventFile(Buffer.concat([file, Buffer.of(0)])), OutboxCorruptError);
  });

  test('corrupt errors carry a reason', () => {
    const file = encodeEventFile(small(7));
    const reason = (bytes: Uint8Array) => {
      try {
        decodeEventFile(bytes);
      } catch (error) {
        assert.ok(error instanceof OutboxCorruptError && error instanceof OutboxError);
        assert.equal(error.code, 'CORRUPT');
        return error.reason;
      }
      assert.fail('decoded');
    };
    assert.equal(reason(file.subarray(0, 10)), 'TRUNCATED');
    assert.equal(reason(Buffer.concat([Buffer.from('JUNK'), file.subarray(4)])), 'BAD_MAGIC');
    assert.equal(reason(file.subarray(0, file.length - 1)), 'CHECKSUM');
  });

  test('invalid entries are refused with OutboxInvalidEntryError', () => {
    const bad: OutboxEntry[] = [
      { ...small(8), eventId: new Uint8Array(15) },
      { ...small(8), streamId: notAStreamId('') },
      { ...small(8), streamId: notAStreamId('has space') },
      { ...small(8), streamId: notAStreamId('x'.repeat(65)) },
      { ...small(8), createdAt: -1 },
      { ...small(8), createdAt: 1.5 },
      { ...small(8), createdAt: Number.MAX_SAFE_INTEGER + 1 },
      { ...small(8), chunks: Array.from({ length: MAX_CLIP_CHUNKS + 1 }, () => new Uint8Array(1)) },
    ];
    for (const entry of bad) assert.throws(() => encodeEventFile(entry), OutboxInvalidEntryError);
  });
});

describe('Outbox', () => {
  test('put, read, remove round trip', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'outbox');
      const outbox = await open(dir);
      assert.equal(outbox.depth, 0);
      assert.equal(outbox.oldest(), undefined);
      const entry = makeEntry(1);
      await outbox.put(entry);
      assert.equal(outbox.depth, 1);
      assert.equal(outbox.oldest(), idOf(1));
      assert.equal(outbox.bytes, encodeEventFile(entry).length);
      assert.ok(outbox.has(entry.eventId));
      assertSameEntry(await outbox.read(idOf(1)), entry, 'read by text id');
      assertSameEntry(await outbox.read(entry.eventId), entry, 'read by byte id');
      assert.equal(await outbox.read(idOf(2)), undefined);
      assert.equal(await outbox.remove(idOf(1)), true);
      assert.equal(await outbox.remove(idOf(1)), false, 'second remove is a no-op');
      assert.equal(outbox.depth, 0);
      assert.equal(outbox.bytes, 0);
      assert.equal(await outbox.read(idOf(1)), undefined);
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.endsWith('.evt')),
        [],
      );
      await outbox.close();
    }));

  test('upload order is createdAt, then id, whatever the put order', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      const createdAts = [50, 10, 30, 10, 20];
      for (const [i, createdAt] of createdAts.entries()) await outbox.put(makeEntry(i, { createdAt }));
      const tied = [idOf(1), idOf(3)].sort();
      assert.deepEqual(outbox.list(), [...tied, idOf(4), idOf(2), idOf(0)]);
      assert.equal(outbox.oldest(), tied[0]);
      const names = (await readdir(dir)).filter((n) => n.endsWith('.evt'));
      assert.deepEqual(
        [...names].sort(),
        outbox.entries().map((item) => item.fileName),
        'file names sort in upload order',
      );
      assert.equal(names[0]?.startsWith('0000000000000010-'), true);
      await outbox.close();
    }));

  test('put is idempotent by event id (the first copy wins)', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      const entry = makeEntry(3);
      await outbox.put(entry);
      const bytes = outbox.bytes;
      await outbox.put(entry);
      await outbox.put({ ...makeEntry(4), eventId: entry.eventId });
      assert.equal(outbox.depth, 1);
      assert.equal(outbox.bytes, bytes);
      assertSameEntry(await outbox.read(idOf(3)), entry, 'first copy');
      assert.equal((await readdir(dir)).filter((n) => n.endsWith('.evt')).length, 1);
      await outbox.close();
    }));

  test('concurrent puts and removes are serialised', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.put(makeEntry(i))));
      assert.equal(outbox.depth, 20);
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => outbox.remove(idOf(i * 2))),
        ...Array.from({ length: 5 }, (_, i) => outbox.put(makeEntry(100 + i))),
      ]);
      assert.equal(outbox.depth, 15);
      let total = 0;
      for (const item of outbox.entries()) total += (await stat(join(dir, item.fileName))).size;
      assert.equal(outbox.bytes, total);
      await outbox.close();
    }));

  test('reopening sees the same entries, order and bytes', () =>
    withTempDir(async (dir) => {
      const first = await open(dir);
      for (const i of [5, 2, 9, 7]) await first.put(makeEntry(i));
      await first.remove(idOf(9));
      const list = first.list();
      const bytes = first.bytes;
      await first.close();
      const second = await open(dir);
      assert.deepEqual(second.list(), list);
      assert.equal(second.bytes, bytes);
      for (const i of [2, 5, 7]) assertSameEntry(await second.read(idOf(i)), makeEntry(i), `entry ${i}`);
      assert.equal(await second.read(idOf(9)), undefined);
      await second.close();
    }));

  test('directory is 0700 (created or tightened), files are 0600', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'state', 'deep', 'outbox');
      const outbox = await open(dir);
      await outbox.put(makeEntry(1));
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      const name = await fileNameOf(dir, idOf(1));
      assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600);
      await outbox.close();

      const loose = join(root, 'loose');
      await mkdir(loose, { mode: 0o755 });
      await chmod(loose, 0o755);
      await (await open(loose)).close();
      assert.equal((await stat(loose)).mode & 0o777, 0o700);
    }));

  test('leftover temporary files are removed at open; unknown files are left alone', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      await outbox.put(makeEntry(1));
      await outbox.close();
      const torn = encodeEventFile(makeEntry(2)).subarray(0, 100);
      const tempName = `${eventFileName(makeEntry(2).createdAt, idOf(2))}.3141592653`;
      await writeFile(join(dir, tempName), torn, { mode: 0o600 });
      await writeFile(join(dir, 'notes.txt'), 'not mine');
      const log = captureLogger();
      const reopened = await Outbox.open(dir, { maxBytes: 64 * MiB, logger: log.logger });
      assert.deepEqual(reopened.list(), [idOf(1)]);
      const names = await readdir(dir);
      assert.equal(names.includes(tempName), false, 'temp file removed');
      assert.equal(names.includes('notes.txt'), true, 'unknown file kept');
      assert.ok(
        log.lines().some((line) => line.msg === 'outbox: removed temporary files of interrupted writes'),
      );
      await reopened.close();
    }));

  test('truncated, bit-flipped and misnamed files go to corrupt/ and are not listed', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      for (const i of [1, 2, 3, 4]) await outbox.put(makeEntry(i));
      await outbox.close();
      const truncatedName = await fileNameOf(dir, idOf(1));
      const flippedName = await fileNameOf(dir, idOf(2));
      await truncate(join(dir, truncatedName), 1000);
      const flipped = await readFile(join(dir, flippedName));
      flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
      await writeFile(join(dir, flippedName), flipped);
      // A complete, valid file under another event's name.
      const misnamed = eventFileName(makeEntry(5).createdAt, idOf(5));
      await writeFile(join(dir, misnamed), await readFile(join(dir, await fileNameOf(dir, idOf(3)))));

      const log = captureLogger();
      const reopened = await Outbox.open(dir, { maxBytes: 64 * MiB, logger: log.logger });
      assert.deepEqual(reopened.list(), [idOf(3), idOf(4)]);
      assert.equal(await reopened.read(idOf(1)), undefined);
      assert.equal(await reopened.read(idOf(2)), undefined);
      const quarantined = await readdir(join(dir, CORRUPT_DIR));
      assert.equal(quarantined.length, 3);
      for (const name of [truncatedName, flippedName, misnamed])
        assert.ok(
          quarantined.some((q) => q.endsWith(`-${name}`)),
          `${name} quarantined`,
        );
      assert.equal((await stat(join(dir, CORRUPT_DIR))).mode & 0o777, 0o700);
      const errors = log.lines().filter((line) => line.level === 50);
      assert.deepEqual(errors.map((line) => line.eventId).sort(), [idOf(1), idOf(2), idOf(5)].sort());
      assert.deepEqual(errors.map((line) => line.reason).sort(), ['CHECKSUM', 'CHECKSUM', 'MALFORMED']);
      await reopened.close();

      // Reopening again finds nothing new to quarantine.
      const again = await open(dir);
      assert.deepEqual(again.list(), [idOf(3), idOf(4)]);
      assert.equal((await readdir(join(dir, CORRUPT_DIR))).length, 3);
      await again.close();
    }));

  test('corrupt/ keeps only the most recent few files', () =>
    withTempDir(async (dir) => {
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < 8; i++)
        await writeFile(join(dir, eventFileName(1000 + i, idOf(i))), `garbage ${i}`, { mode: 0o600 });
      const outbox = await Outbox.open(dir, { maxBytes: MiB, logger: silentLogger, keepCorrupt: 3 });
      assert.equal(outbox.depth, 0);
      const kept = (await readdir(join(dir, CORRUPT_DIR))).sort();
      assert.equal(kept.length, 3);
      // Quarantined in name order, so the last three are kept.
      for (const [k, i] of [5, 6, 7].entries())
        assert.ok(kept[k]?.endsWith(eventFileName(1000 + i, idOf(i))));
      await outbox.close();
    }));

  test('a file corrupted after open is quarantined on read, never returned', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      await outbox.put(makeEntry(1));
      await outbox.put(makeEntry(2));
      const changes: OutboxChange[] = [];
      outbox.onChange((change) => changes.push(change));
      const name = await fileNameOf(dir, idOf(1));
      const bytes = await readFile(join(dir, name));
      bytes[bytes.length - 1]! ^= 1;
      await writeFile(join(dir, name), bytes);
      assert.equal(await outbox.read(idOf(1)), undefined);
      assert.deepEqual(outbox.list(), [idOf(2)]);
      assert.equal(outbox.bytes, encodeEventFile(makeEntry(2)).length);
      assert.deepEqual(
        changes.map((c) => [c.type, c.id]),
        [['corrupt', idOf(1)]],
      );
      assert.equal((await readdir(join(dir, CORRUPT_DIR))).length, 1);
      await outbox.close();
    }));

  test('onChange and whenNonEmpty wake an uploader', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      const changes: OutboxChange[] = [];
      const unsubscribe = outbox.onChange((change) => changes.push(change));
      outbox.onChange(() => {
        throw new Error('a broken listener does not break the outbox');
      });
      const woken = outbox.whenNonEmpty();
      let wokenYet = false;
      void woken.then(() => {
        wokenYet = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(wokenYet, false);
      await outbox.put(makeEntry(1));
      await woken;
      await outbox.whenNonEmpty(); // resolves at once now
      await outbox.remove(idOf(1));
      unsubscribe();
      await outbox.put(makeEntry(2));
      assert.deepEqual(
        changes.map((c) => [c.type, c.id]),
        [
          ['put', idOf(1)],
          ['removed', idOf(1)],
        ],
      );
      await outbox.remove(idOf(2));
      const controller = new AbortController();
      const aborted = outbox.whenNonEmpty(controller.signal);
      controller.abort(new Error('stopping'));
      await assert.rejects(aborted, /stopping/);
      await outbox.close();
    }));

  test('invalid entries are refused before anything is written; closed outbox refuses calls', () =>
    withTempDir(async (dir) => {
      const outbox = await open(dir);
      await assert.rejects(
        outbox.put({ ...makeEntry(1), streamId: notAStreamId('bad/stream') }),
        OutboxInvalidEntryError,
      );
      await assert.rejects(
        outbox.put({ ...makeEntry(1), eventId: new Uint8Array(3) }),
        OutboxInvalidEntryError,
      );
      assert.equal(outbox.depth, 0);
      assert.deepEqual(await readdir(dir), []);
      await outbox.close();
      await assert.rejects(outbox.put(makeEntry(1)), OutboxClosedError);
      await assert.rejects(outbox.remove(idOf(1)), OutboxClosedError);
      await assert.rejects(outbox.read(idOf(1)), OutboxClosedError);
      await assert.rejects(Outbox.open(dir, { maxBytes: 0, logger: silentLogger }), RangeError);
    }));
});
