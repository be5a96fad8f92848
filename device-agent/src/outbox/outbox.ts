import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { StreamId } from '@sealcam/protocol';
import writeFileAtomic from 'write-file-atomic';
import type { Logger } from '../log.js';
import { OutboxClosedError, OutboxCorruptError, OutboxEntryTooLargeError } from './errors.js';
import {
  decodeEventFile,
  encodeEventFile,
  eventFileName,
  formatEventId,
  isTempFileName,
  type OutboxEntry,
  parseEventFileName,
} from './event-file.js';

export interface OutboxOptions {
  /** Bound on the sum of the queued files' sizes; the oldest events are evicted to stay under it. */
  readonly maxBytes: number;
  readonly logger: Logger;
  /** How many corrupt files corrupt/ keeps for inspection (the most recently found); default 5. */
  readonly keepCorrupt?: number;
}

/** What the index knows about one queued event without reading its file. */
export interface OutboxItem {
  /** The event id, 26 lowercase base32 characters. */
  readonly id: string;
  readonly streamId: StreamId;
  readonly createdAt: number;
  /** Size of the event's file. */
  readonly bytes: number;
  readonly fileName: string;
}

export interface OutboxChange {
  /**
   * put: a new event is durable. removed: remove() deleted it. evicted: deleted unsent to stay
   * under maxBytes. corrupt: its file failed verification on read and was moved to corrupt/.
   */
  readonly type: 'put' | 'removed' | 'evicted' | 'corrupt';
  readonly id: string;
  readonly bytes: number;
}

export type OutboxListener = (change: OutboxChange) => void;

export const CORRUPT_DIR = 'corrupt';
const DEFAULT_KEEP_CORRUPT = 5;
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

const noop = () => {};

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/** mkdir -p with mode 0700; makes each created directory's name durable; tightens an existing one. */
async function ensurePrivateDir(path: string): Promise<void> {
  const created = await mkdir(path, { recursive: true, mode: DIR_MODE });
  if (created !== undefined) {
    for (let dir = path; ; dir = dirname(dir)) {
      await fsyncDir(dirname(dir));
      if (dir === created || dirname(dir) === dir) break;
    }
  }
  const info = await stat(path);
  if ((info.mode & 0o777) !== DIR_MODE) await chmod(path, DIR_MODE);
}

/**
 * The durable outbox: sealed events wait here, one file each, from before their upload until the
 * relay acknowledged them. A put() that resolved survives kill -9 and power loss; a file that
 * does not verify is quarantined in corrupt/ and never handed out.
 *
 * One agent process owns the directory (the agent holds a lock file for that); inside the process
 * every mutation (put, remove, eviction, quarantine) runs one at a time on a promise chain. Reads
 * run concurrently with mutations: files are immutable once their name is in the index.
 *
 * Nothing here logs content: only event ids, stream ids, counts and sizes.
 */
export class Outbox {
  /** In upload order: createdAt, then id (the order of the file names). */
  private readonly items: OutboxItem[] = [];
  private readonly byId = new Map<string, OutboxItem>();
  private totalBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly listeners = new Set<OutboxListener>();
  private readonly corruptDir: string;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly log: Logger,
    private readonly keepCorrupt: number,
  ) {
    this.corruptDir = join(dir, CORRUPT_DIR);
  }

  /**
   * Creates the directory (0700) if needed, deletes temporary files of interrupted writes,
   * verifies every queued file (corrupt ones go to corrupt/, which keeps only the newest few),
   * and evicts the oldest events if the queue is over maxBytes (e.g. after the bound was lowered).
   */
  static async open(dir: string, options: OutboxOptions): Promise<Outbox> {
    const { maxBytes } = options;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)
      throw new RangeError('outbox maxBytes must be a positive integer');
    const keepCorrupt = options.keepCorrupt ?? DEFAULT_KEEP_CORRUPT;
    if (!Number.isSafeInteger(keepCorrupt) || keepCorrupt < 0)
      throw new RangeError('outbox keepCorrupt must be a non-negative integer');
    const outbox = new Outbox(resolve(dir), maxBytes, options.logger, keepCorrupt);
    await outbox.load();
    return outbox;
  }

  /** Number of queued events. */
  get depth(): number {
    return this.items.length;
  }

  /** Sum of the queued files' sizes; never above maxBytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The next event to upload, or undefined when the queue is empty. */
  oldest(): string | undefined {
    return this.items[0]?.id;
  }

  /** Ids in upload order (a copy). */
  list(): string[] {
    return this.items.map((item) => item.id);
  }

  /** Index entries in upload order (a copy). */
  entries(): OutboxItem[] {
    return [...this.items];
  }

  has(id: string | Uint8Array): boolean {
    return this.byId.has(key(id));
  }

  /**
   * Queues an event. When the promise resolves the file and its directory entry are on stable
   * storage. Idempotent by event id: putting a queued id again changes nothing (the first copy
   * wins). If the queue would exceed maxBytes, the oldest queued events are evicted first, each
   * with a warning. The entry is encoded (copied) at the call, so the caller may reuse its buffers.
   *
   * Throws OutboxInvalidEntryError for a malformed entry and OutboxEntryTooLargeError for an entry
   * bigger than maxBytes on its own; in both cases nothing is stored or evicted.
   */
  put(entry: OutboxEntry): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    let file: Buffer;
    let id: string;
    try {
      id = formatEventId(entry.eventId);
      file = encodeEventFile(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    if (file.length > this.maxBytes) {
      this.log.warn(
        { eventId: id, streamId: entry.streamId, bytes: file.length, maxBytes: this.maxBytes },
        'outbox: event larger than the whole outbox bound, refused',
      );
      return Promise.reject(new OutboxEntryTooLargeError(id, file.length, this.maxBytes));
    }
    return this.serialise(() => this.store(id, entry, file));
  }

  /** Reads a queued event; undefined if it is not (or no longer) queued, or its file failed verification. */
  async read(id: string | Uint8Array): Promise<OutboxEntry | undefined> {
    if (this.closed) throw new OutboxClosedError();
    const item = this.byId.get(key(id));
    if (!item) return undefined;
    let file: Buffer;
    try {
      file = await readFile(join(this.dir, item.fileName));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined; // removed or evicted meanwhile
      throw error;
    }
    try {
      return checkedDecode(file, item.id, item.createdAt);
    } catch (error) {
      if (!(error instanceof OutboxCorruptError)) throw error;
      const corrupt = error;
      await this.serialise(async () => {
        if (this.byId.get(item.id) !== item) return;
        this.drop(item);
        this.log.error(
          { eventId: item.id, file: item.fileName, reason: corrupt.reason, detail: corrupt.message },
          'outbox: queued event failed verification on read; moved to corrupt/, it will not be uploaded',
        );
        await this.quarantine(item.fileName);
        await this.pruneCorrupt();
        this.emit({ type: 'corrupt', id: item.id, bytes: item.bytes });
      });
      return undefined;
    }
  }

  /**
   * Deletes a queued event (after the relay acknowledged it) durably. Resolves false if it was not
   * queued (already removed or evicted), which is not an error.
   */
  remove(id: string | Uint8Array): Promise<boolean> {
    const wanted = key(id);
    return this.serialise(async () => {
      const item = this.byId.get(wanted);
      if (!item) return false;
      await unlinkIfExists(join(this.dir, item.fileName));
      this.drop(item);
      this.log.debug({ eventId: item.id, bytes: item.bytes, depth: this.depth }, 'outbox: event removed');
      this.emit({ type: 'removed', id: item.id, bytes: item.bytes });
      await fsyncDir(this.dir);
      return true;
    });
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  onChange(listener: OutboxListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Resolves as soon as at least one event is queued (at once if one is); rejects when `signal` aborts. */
  whenNonEmpty(signal?: AbortSignal): Promise<void> {
    if (this.items.length > 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolvePromise, reject) => {
      const onAbort = () => {
        unsubscribe();
        reject(signal?.reason);
      };
      const unsubscribe = this.onChange(() => {
        if (this.items.length === 0) return;
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolvePromise();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waits for pending mutations; afterwards every call rejects with OutboxClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    this.listeners.clear();
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const run = this.tail.then(operation);
    this.tail = run.then(noop, noop);
    return run;
  }

  private async store(id: string, entry: OutboxEntry, file: Buffer): Promise<void> {
    if (this.byId.has(id)) {
      this.log.debug({ eventId: id }, 'outbox: event already queued, put ignored');
      return;
    }
    // Evict before writing so that the directory (temporary file included) never exceeds the bound.
    while (this.totalBytes + file.length > this.maxBytes) await this.evictOldest();
    const fileName = eventFileName(entry.createdAt, id);
    const path = join(this.dir, fileName);
    try {
      await writeFileAtomic(path, file, { mode: FILE_MODE, fsync: true });
      // write-file-atomic issues a single write() and does not check for a short one (disk full).
      const written = await stat(path);
      if (written.size !== file.length)
        throw new Error(`short write of outbox file: ${written.size} of ${file.length} bytes`);
      await fsyncDir(this.dir);
    } catch (error) {
      await unlinkIfExists(path).catch(noop);
      this.log.error({ eventId: id, bytes: file.length, error: message(error) }, 'outbox: put failed');
      throw error;
    }
    const item: OutboxItem = {
      id,
      streamId: entry.streamId,
      createdAt: entry.createdAt,
      bytes: file.length,
      fileName,
    };
    this.insert(item);
    this.log.debug(
      {
        eventId: id,
        streamId: entry.streamId,
        bytes: file.length,
        chunks: entry.chunks.length,
        depth: this.depth,
      },
      'outbox: event queued',
    );
    this.emit({ type: 'put', id, bytes: file.length });
  }

  private async evictOldest(): Promise<void> {
    const item = this.items[0];
    if (!item) throw new Error('outbox: nothing left to evict');
    await unlinkIfExists(join(this.dir, item.fileName));
    this.drop(item);
    this.log.warn(
      {
        eventId: item.id,
        streamId: item.streamId,
        createdAt: item.createdAt,
        bytes: item.bytes,
        depth: this.depth,
        totalBytes: this.totalBytes,
        maxBytes: this.maxBytes,
      },
      'outbox full: evicted the oldest event before it was uploaded',
    );
    this.emit({ type: 'evicted', id: item.id, bytes: item.bytes });
  }

  private insert(item: OutboxItem): void {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.items[middle]!.fileName < item.fileName) low = middle + 1;
      else high = middle;
    }
    this.items.splice(low, 0, item);
    this.byId.set(item.id, item);
    this.totalBytes += item.bytes;
  }

  private drop(item: OutboxItem): void {
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    this.byId.delete(item.id);
    this.totalBytes -= item.bytes;
  }

  private emit(change: OutboxChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.log.error({ error: message(error), change: change.type }, 'outbox: change listener threw');
      }
    }
  }

  private async load(): Promise<void> {
    await ensurePrivateDir(this.dir);
    const names = await readdir(this.dir, { withFileTypes: true });
    const candidates: string[] = [];
    const unknown: string[] = [];
    let tempFiles = 0;
    for (const dirent of names) {
      const name = dirent.name;
      if (name === CORRUPT_DIR && dirent.isDirectory()) continue;
      if (dirent.isFile() && isTempFileName(name)) {
        await unlinkIfExists(join(this.dir, name));
        tempFiles++;
      } else if (dirent.isFile() && parseEventFileName(name)) {
        candidates.push(name);
      } else {
        unknown.push(name);
      }
    }
    if (tempFiles > 0)
      this.log.info({ count: tempFiles }, 'outbox: removed temporary files of interrupted writes');
    if (unknown.length > 0)
      this.log.warn(
        { count: unknown.length, names: unknown.slice(0, 10) },
        'outbox: ignoring files that are not outbox entries',
      );

    candidates.sort();
    let quarantined = 0;
    for (const name of candidates) {
      const { createdAt, id } = parseEventFileName(name)!;
      let file: Buffer;
      try {
        file = await readFile(join(this.dir, name));
      } catch (error) {
        this.log.error(
          { file: name, error: message(error) },
          'outbox: cannot read a queued file; skipping it',
        );
        continue;
      }
      let entry: OutboxEntry;
      try {
        entry = checkedDecode(file, id, createdAt);
      } catch (error) {
        if (!(error instanceof OutboxCorruptError)) throw error;
        this.log.error(
          { eventId: id, file: name, bytes: file.length, reason: error.reason, detail: error.message },
          'outbox: corrupt queued event moved to corrupt/; it will not be uploaded',
        );
        await this.quarantine(name);
        quarantined++;
        continue;
      }
      if (this.byId.has(id)) {
        // Only possible if files were copied in by hand: the index refuses a second put of an id.
        this.log.warn({ eventId: id, file: name }, 'outbox: duplicate event id; deleting the later copy');
        await unlinkIfExists(join(this.dir, name));
        continue;
      }
      this.insert({ id, streamId: entry.streamId, createdAt, bytes: file.length, fileName: name });
    }
    if (quarantined > 0) await this.pruneCorrupt();
    while (this.totalBytes > this.maxBytes) await this.evictOldest();
    await fsyncDir(this.dir);
    this.log.info(
      { depth: this.depth, bytes: this.totalBytes, maxBytes: this.maxBytes, quarantined, tempFiles },
      'outbox opened',
    );
  }

  /** Moves a file into corrupt/ under `<time>-<name>` so the newest quarantined files sort last. */
  private async quarantine(name: string): Promise<void> {
    try {
      await ensurePrivateDir(this.corruptDir);
      const target = `${String(Date.now()).padStart(16, '0')}-${name}`;
      await rename(join(this.dir, name), join(this.corruptDir, target));
      await fsyncDir(this.corruptDir);
      await fsyncDir(this.dir);
    } catch (error) {
      // Still excluded from the index; try to get rid of it so it cannot be retried forever.
      this.log.error(
        { file: name, error: message(error) },
        'outbox: cannot move a corrupt file; deleting it',
      );
      await unlinkIfExists(join(this.dir, name)).catch(noop);
    }
  }

  /** Keeps the `keepCorrupt` most recently quarantined files; corrupt/ stays bounded for months. */
  private async pruneCorrupt(): Promise<void> {
    try {
      const names = (await readdir(this.corruptDir)).sort();
      const excess = names.slice(0, Math.max(0, names.length - this.keepCorrupt));
      for (const name of excess) await unlinkIfExists(join(this.corruptDir, name));
      if (excess.length > 0) {
        await fsyncDir(this.corruptDir);
        this.log.info({ count: excess.length }, 'outbox: deleted older corrupt files');
      }
    } catch (error) {
      this.log.error({ error: message(error) }, 'outbox: cannot prune corrupt/');
    }
  }
}

function key(id: string | Uint8Array): string {
  return typeof id === 'string' ? id : formatEventId(id);
}

/** Decodes a file and checks that it is the event its name says. */
function checkedDecode(file: Buffer, id: string, createdAt: number): OutboxEntry {
  const entry = decodeEventFile(file);
  if (formatEventId(entry.eventId) !== id || entry.createdAt !== createdAt)
    throw new OutboxCorruptError('MALFORMED', 'file name does not match the event it holds');
  return entry;
}
