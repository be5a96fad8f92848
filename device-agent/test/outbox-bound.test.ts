import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../src/log.js';
import { OutboxEntryTooLargeError, OutboxError } from '../src/outbox/errors.js';
import { encodeEventFile, formatEventId } from '../src/outbox/event-file.js';
import { Outbox } from '../src/outbox/outbox.js';
import { captureLogger, eventIdOf, makeEntry, withTempDir } from './support/outbox-fixtures.js';

const MARKER = 'SEALCAM-CONTENT-MARKER-7f3a';
const idOf = (index: number) => formatEventId(eventIdOf(index));
const sizeOf = (index: number, scale = 1) =>
  encodeEventFile(makeEntry(index, { scale, marker: MARKER })).length;

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    if (name.endsWith('.evt')) total += (await stat(join(dir, name))).size;
  }
  return total;
}

test('putting beyond maxBytes evicts the oldest first, with a warning naming each evicted id', () =>
  withTempDir(async (dir) => {
    // Room for at least two of the ten entries; ten of them need several evictions.
    const sizes = Array.from({ length: 10 }, (_, i) => sizeOf(i));
    const maxBytes = 2 * Math.max(...sizes);
    assert.ok(sizes.reduce((a, b) => a + b) > maxBytes + Math.max(...sizes));
    const log = captureLogger();
    const outbox = await Outbox.open(dir, { maxBytes, logger: log.logger });
    const evicted: string[] = [];
    outbox.onChange((change) => {
      if (change.type === 'evicted') evicted.push(change.id);
    });
    for (let i = 0; i < 10; i++) {
      await outbox.put(makeEntry(i, { marker: MARKER }));
      assert.ok(outbox.bytes <= maxBytes, `bytes ${outbox.bytes} over ${maxBytes} after put ${i}`);
      assert.equal(await diskBytes(dir), outbox.bytes);
      assert.equal(outbox.list().at(-1), idOf(i), 'the new entry is kept');
    }
    // Evictions happen strictly in upload order, and the survivors are the newest.
    assert.ok(evicted.length >= 2, 'the bound was exercised');
    const order = Array.from({ length: 10 }, (_, i) => idOf(i));
    assert.deepEqual(evicted, order.slice(0, evicted.length));
    assert.deepEqual(outbox.list(), order.slice(evicted.length));

    const warnings = log.lines().filter((line) => line.level === 40);
    assert.equal(warnings.length, evicted.length, 'one warning per eviction');
    for (const [k, id] of evicted.entries()) {
      const warning = warnings[k]!;
      assert.equal(warning.eventId, id);
      const index = order.indexOf(id);
      assert.equal(warning.bytes, sizes[index]);
      assert.match(String(warning.msg), /evicted/);
    }
    const onDisk = await readFile(join(dir, outbox.entries()[0]!.fileName));
    assert.ok(onDisk.includes(MARKER), 'the marker is in the stored content');
    const text = log.text();
    assert.ok(text.length > 0);
    assert.equal(text.includes(MARKER), false, 'no content bytes in the log');
    assert.equal(text.includes(Buffer.from(MARKER).toString('hex')), false);
    assert.equal(text.includes(Buffer.from(MARKER).toString('base64').slice(0, 20)), false);
    await outbox.close();
  }));

test('an entry larger than maxBytes alone is refused; nothing is stored or evicted', () =>
  withTempDir(async (dir) => {
    const log = captureLogger();
    const maxBytes = 3 * sizeOf(5);
    const outbox = await Outbox.open(dir, { maxBytes, logger: log.logger });
    await outbox.put(makeEntry(1, { marker: MARKER }));
    const before = outbox.list();
    const bytes = outbox.bytes;
    const huge = makeEntry(5, { scale: 5, marker: MARKER });
    const hugeSize = encodeEventFile(huge).length;
    assert.ok(hugeSize > maxBytes);
    await assert.rejects(outbox.put(huge), (error: unknown) => {
      assert.ok(error instanceof OutboxEntryTooLargeError && error instanceof OutboxError);
      assert.equal(error.code, 'TOO_LARGE');
      assert.equal(error.eventId, idOf(5));
      assert.equal(error.bytes, hugeSize);
      assert.equal(error.maxBytes, maxBytes);
      return true;
    });
    assert.deepEqual(outbox.list(), before);
    assert.equal(outbox.bytes, bytes);
    assert.equal(outbox.has(idOf(5)), false);
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes(idOf(5))),
      [],
    );
    assert.equal(log.text().includes(MARKER), false);
    await outbox.close();
  }));

test('random puts and removes never take the total over the bound', () =>
  withTempDir(async (dir) => {
    const maxBytes = 400_000;
    const outbox = await Outbox.open(dir, { maxBytes, logger: silentLogger });
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    let evictions = 0;
    outbox.onChange((change) => {
      if (change.type === 'evicted') evictions++;
      assert.ok(outbox.bytes <= maxBytes);
    });
    for (let i = 0; i < 60; i++) {
      const scale = 0.2 + random() * 2;
      if (sizeOf(i, scale) > maxBytes) continue;
      await outbox.put(makeEntry(i, { scale }));
      if (random() < 0.2 && outbox.depth > 0) {
        const victim = outbox.list()[Math.floor(random() * outbox.depth)]!;
        assert.equal(await outbox.remove(victim), true);
      }
      assert.ok(outbox.bytes <= maxBytes);
      assert.equal(await diskBytes(dir), outbox.bytes);
    }
    assert.ok(evictions > 0, 'the bound was exercised');
    await outbox.close();
    const reopened = await Outbox.open(dir, { maxBytes, logger: silentLogger });
    assert.ok(reopened.bytes <= maxBytes);
    await reopened.close();
  }));

test('a lowered bound is enforced at open, oldest first, with warnings', () =>
  withTempDir(async (dir) => {
    const first = await Outbox.open(dir, { maxBytes: 10_000_000, logger: silentLogger });
    for (let i = 0; i < 6; i++) await first.put(makeEntry(i, { marker: MARKER }));
    await first.close();
    const maxBytes = sizeOf(4) + sizeOf(5);
    const log = captureLogger();
    const reopened = await Outbox.open(dir, { maxBytes, logger: log.logger });
    assert.deepEqual(reopened.list(), [idOf(4), idOf(5)]);
    assert.equal(reopened.bytes, maxBytes);
    assert.equal(await diskBytes(dir), maxBytes);
    const warned = log
      .lines()
      .filter((line) => line.level === 40)
      .map((line) => line.eventId);
    assert.deepEqual(warned, [0, 1, 2, 3].map(idOf));
    assert.equal(log.text().includes(MARKER), false);
    await reopened.close();
  }));
