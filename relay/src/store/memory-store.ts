import {
  type DeviceId,
  type EventId,
  isDeviceId,
  type StreamId,
  type ViewerId,
} from '@sealcam/protocol/relay-safe';
import { LRUCache } from 'lru-cache';
import { decodeCursor, encodeCursor, key } from './keys.js';
import { MemoryMailboxes } from './memory-mailboxes.js';
import type {
  EventItem,
  EventPage,
  ListQuery,
  MailboxBounds,
  MailboxPush,
  MailboxTake,
  PutResult,
  Retention,
  Store,
} from './store.js';

export interface MemoryStoreOptions {
  /** Upper bound of blob bytes held (ciphertext of every kind). */
  readonly maxBytes: number;
  /** Upper bound of small records (cards, challenges, access lists, mailboxes). */
  readonly maxRecords?: number;
}

interface Charge {
  readonly firstSeen: number;
  bytes: number;
  readonly items: Set<string>;
  /** The public event time once committed (to find its timeline entry). */
  time?: number;
}

/** First position in a sorted timeline whose entry is not before `target`. */
function lowerBound(timeline: readonly TimelineEntry[], target: { time: number; eventId: EventId }): number {
  let low = 0;
  let high = timeline.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compareEntry(timeline[middle]!, target) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Index of the entry with this (time, eventId) in a sorted timeline, or -1. */
function findEntry(timeline: readonly TimelineEntry[], target: { time: number; eventId: EventId }): number {
  const low = lowerBound(timeline, target);
  const found = timeline[low];
  return found && found.eventId === target.eventId && found.time === target.time ? low : -1;
}

interface TimelineEntry {
  readonly time: number;
  readonly eventId: EventId;
  readonly streamId: StreamId;
}

interface DeviceIndex {
  /** By first upload, oldest first (insertion order), so pruning stops at the first one still kept. */
  readonly charges: Map<EventId, Charge>;
  /** Running total of charged bytes (no per-put walk over all events). */
  bytes: number;
  /** Committed events sorted by (time, eventId). */
  readonly timeline: TimelineEntry[];
  readonly streams: Map<StreamId, number>;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function compareEntry(a: { time: number; eventId: EventId }, b: { time: number; eventId: EventId }): number {
  return a.time - b.time || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/** Default store: bounded by bytes (LRU), TTL per object, everything lost on restart. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly blobs: LRUCache<string, Uint8Array>;
  private readonly records: LRUCache<string, Uint8Array>;
  private readonly challenges: LRUCache<string, true>;
  private readonly devices = new Map<DeviceId, DeviceIndex>();
  private readonly mailboxes: MemoryMailboxes;
  /** Latest keyframes: a cache for late joiners, evicted on its own, never at the expense of events. */
  private readonly keyframes: LRUCache<string, Uint8Array>;
  private readonly blobLimit: number;
  /**
   * Not evicted by other traffic, only expired (`ttl` from the last put or the device's last
   * authentication). Forgetting an expired list's version cannot let an older list back in: only
   * the device itself stores its list (auth 'self', routes/device-uploads.ts), never a third party.
   */
  private readonly accessLists = new Map<string, { version: number; bytes: Uint8Array; expiresAt: number }>();
  /** Expiry of the cards in `records` (cards expire; the LRU also bounds their number). */
  private readonly cardExpiry = new Map<string, number>();

  constructor(options: MemoryStoreOptions) {
    const maxRecords = options.maxRecords ?? 200_000;
    // 90% for events and manifests (never evicted: a full store refuses new writes), 10% keyframes.
    const keyframeBytes = Math.max(1_048_576, Math.floor(options.maxBytes / 10));
    this.blobLimit = options.maxBytes - keyframeBytes;
    this.keyframes = new LRUCache<string, Uint8Array>({
      maxSize: keyframeBytes,
      sizeCalculation: (value) => Math.max(1, value.byteLength),
      maxEntrySize: keyframeBytes,
    });
    this.blobs = new LRUCache<string, Uint8Array>({
      maxSize: options.maxBytes,
      sizeCalculation: (value) => Math.max(1, value.byteLength),
      maxEntrySize: options.maxBytes,
      dispose: (_value, name, reason) => {
        if (reason !== 'set') this.onBlobGone(name);
      },
    });
    this.records = new LRUCache({
      max: maxRecords,
      dispose: (_value, name, reason) => {
        if (reason !== 'set') this.cardExpiry.delete(name);
      },
    });
    this.challenges = new LRUCache({ max: maxRecords, ttl: 60_000 });
    this.mailboxes = new MemoryMailboxes(Math.max(1_048_576, Math.floor(options.maxBytes / 16)), maxRecords);
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.blobs.clear();
    this.keyframes.clear();
  }

  private device(deviceId: DeviceId): DeviceIndex {
    let index = this.devices.get(deviceId);
    if (!index) {
      index = { charges: new Map(), bytes: 0, timeline: [], streams: new Map() };
      this.devices.set(deviceId, index);
    }
    return index;
  }

  /** An evicted or expired envelope takes its event off the timeline. */
  private onBlobGone(name: string): void {
    const match = /^event:([^:]+):([^:]+)$/.exec(name);
    if (!match || !isDeviceId(match[1])) return;
    const index = this.devices.get(match[1]);
    if (!index) return;
    const at = index.timeline.findIndex((entry) => entry.eventId === match[2]);
    if (at >= 0) index.timeline.splice(at, 1);
  }

  private removeEvent(deviceId: DeviceId, eventId: EventId): void {
    const index = this.device(deviceId);
    const charge = index.charges.get(eventId);
    index.charges.delete(eventId);
    index.bytes -= charge?.bytes ?? 0;
    this.blobs.delete(key.envelope(deviceId, eventId));
    for (const item of charge?.items ?? []) this.blobs.delete(key.item(deviceId, eventId, item));
    const at = charge?.time === undefined ? -1 : findEntry(index.timeline, { time: charge.time, eventId });
    if (at >= 0) index.timeline.splice(at, 1);
  }

  private prune(deviceId: DeviceId, now: number, retention: Retention): void {
    const index = this.device(deviceId);
    for (const [eventId, charge] of index.charges) {
      if (charge.firstSeen >= now - retention.ttlMs) break;
      this.removeEvent(deviceId, eventId);
    }
  }

  private used(deviceId: DeviceId): number {
    return this.device(deviceId).bytes;
  }

  /** Whether `bytes` more still fit without evicting anything (expired entries are purged first). */
  private fits(bytes: number): boolean {
    if (this.blobs.calculatedSize + bytes <= this.blobLimit) return true;
    this.blobs.purgeStale();
    return this.blobs.calculatedSize + bytes <= this.blobLimit;
  }

  private putBlob(name: string, bytes: Uint8Array, ttlMs: number): PutResult {
    const existing = this.blobs.get(name);
    if (existing) return sameBytes(existing, bytes) ? 'exists' : 'conflict';
    if (!this.fits(bytes.length)) return 'full';
    this.blobs.set(name, bytes.slice(), { ttl: ttlMs });
    return 'created';
  }

  private charge(
    deviceId: DeviceId,
    eventId: EventId,
    item: string | null,
    bytes: number,
    now: number,
    retention: Retention,
  ): boolean {
    this.prune(deviceId, now, retention);
    if (this.used(deviceId) + bytes > retention.quotaBytes) return false;
    const index = this.device(deviceId);
    const charge = index.charges.get(eventId) ?? { firstSeen: now, bytes: 0, items: new Set<string>() };
    charge.bytes += bytes;
    index.bytes += bytes;
    if (item) charge.items.add(item);
    index.charges.set(eventId, charge);
    return true;
  }

  async putCard(id: DeviceId | ViewerId, card: Uint8Array, ttlMs: number): Promise<void> {
    const expiresAt = Date.now() + ttlMs;
    const name = key.card(id);
    this.records.set(name, card.slice());
    // Re-inserted, so that insertion order stays expiry order for the sweep.
    this.cardExpiry.delete(name);
    this.cardExpiry.set(name, expiresAt);
    const list = this.accessLists.get(id);
    if (list && list.expiresAt < expiresAt) {
      this.accessLists.delete(id);
      this.accessLists.set(id, { ...list, expiresAt });
    }
    this.sweepIdentities();
  }

  async getCard(id: DeviceId | ViewerId): Promise<Uint8Array | null> {
    const name = key.card(id);
    if ((this.cardExpiry.get(name) ?? 0) <= Date.now()) {
      this.records.delete(name);
      return null;
    }
    return this.records.get(name) ?? null;
  }

  /**
   * Drops expired access lists and cards, a few per put (amortized), so identities that never come
   * back do not stay in memory until someone asks for them. Map order is insertion order: entries
   * refreshed later are re-inserted at the end, so the walk starts at the likeliest expired ones.
   */
  private sweepIdentities(): void {
    const now = Date.now();
    let budget = 8;
    for (const [name, expiresAt] of this.cardExpiry) {
      if (budget-- <= 0 || expiresAt > now) break;
      this.records.delete(name);
      this.cardExpiry.delete(name);
    }
    budget = 8;
    for (const [deviceId, list] of this.accessLists) {
      if (budget-- <= 0 || list.expiresAt > now) break;
      this.accessLists.delete(deviceId);
    }
  }

  async putChallenge(challenge: string, ttlMs: number): Promise<void> {
    this.challenges.set(challenge, true, { ttl: ttlMs });
  }

  async takeChallenge(challenge: string): Promise<boolean> {
    const present = this.challenges.get(challenge) === true;
    this.challenges.delete(challenge);
    return present;
  }

  async putAccessList(
    deviceId: DeviceId,
    version: number,
    bytes: Uint8Array,
    ttlMs: number,
  ): Promise<'stored' | 'stale'> {
    const current = this.liveAccessList(deviceId);
    if (current && current.version >= version) return 'stale';
    this.accessLists.delete(deviceId);
    this.accessLists.set(deviceId, { version, bytes: bytes.slice(), expiresAt: Date.now() + ttlMs });
    this.sweepIdentities();
    return 'stored';
  }

  private liveAccessList(deviceId: DeviceId) {
    const list = this.accessLists.get(deviceId);
    if (list && list.expiresAt <= Date.now()) {
      this.accessLists.delete(deviceId);
      return undefined;
    }
    return list;
  }

  async getAccessList(deviceId: DeviceId): Promise<Uint8Array | null> {
    return this.liveAccessList(deviceId)?.bytes ?? null;
  }

  async putManifest(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number,
    bytes: Uint8Array,
    retention: Retention,
  ): Promise<PutResult> {
    const result = this.putBlob(key.manifest(deviceId, streamId, epoch), bytes, retention.ttlMs);
    if (result === 'created') {
      const streams = this.device(deviceId).streams;
      if ((streams.get(streamId) ?? -1) < epoch) streams.set(streamId, epoch);
    }
    return result;
  }

  async getManifest(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number | 'latest',
  ): Promise<Uint8Array | null> {
    const resolved = epoch === 'latest' ? this.devices.get(deviceId)?.streams.get(streamId) : epoch;
    if (resolved === undefined) return null;
    return this.blobs.get(key.manifest(deviceId, streamId, resolved)) ?? null;
  }

  async listStreams(deviceId: DeviceId): Promise<{ streamId: StreamId; epoch: number }[]> {
    const streams = this.devices.get(deviceId)?.streams ?? new Map<StreamId, number>();
    return [...streams]
      .filter(([streamId, epoch]) => this.blobs.has(key.manifest(deviceId, streamId, epoch)))
      .map(([streamId, epoch]) => ({ streamId, epoch }))
      .sort((a, b) => (a.streamId < b.streamId ? -1 : 1));
  }

  async putKeyframe(deviceId: DeviceId, streamId: StreamId, frame: Uint8Array, ttlMs: number): Promise<void> {
    this.keyframes.set(key.keyframe(deviceId, streamId), frame.slice(), { ttl: ttlMs });
  }

  async getKeyframe(deviceId: DeviceId, streamId: StreamId): Promise<Uint8Array | null> {
    return this.keyframes.get(key.keyframe(deviceId, streamId)) ?? null;
  }

  async putEventItem(
    deviceId: DeviceId,
    eventId: EventId,
    item: EventItem,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult> {
    return this.storeCharged(
      key.item(deviceId, eventId, item),
      deviceId,
      eventId,
      item,
      bytes,
      now,
      retention,
    );
  }

  /** The one write path of event objects (items and envelopes): idempotent, bounded, charged. */
  private storeCharged(
    name: string,
    deviceId: DeviceId,
    eventId: EventId,
    item: string | null,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): PutResult {
    const existing = this.blobs.get(name);
    if (existing) return sameBytes(existing, bytes) ? 'exists' : 'conflict';
    if (!this.fits(bytes.length)) return 'full';
    if (!this.charge(deviceId, eventId, item, bytes.length, now, retention)) return 'quota';
    this.blobs.set(name, bytes.slice(), { ttl: retention.ttlMs });
    return 'created';
  }

  async commitEvent(
    deviceId: DeviceId,
    eventId: EventId,
    meta: { streamId: StreamId; time: number },
    envelope: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult> {
    const name = key.envelope(deviceId, eventId);
    const result = this.storeCharged(name, deviceId, eventId, null, envelope, now, retention);
    if (result !== 'created') return result;
    const index = this.device(deviceId);
    const entry = { time: meta.time, eventId, streamId: meta.streamId };
    index.charges.get(eventId)!.time = meta.time;
    index.timeline.splice(lowerBound(index.timeline, entry), 0, entry);
    return 'created';
  }

  async getEvent(deviceId: DeviceId, eventId: EventId): Promise<Uint8Array | null> {
    return this.blobs.get(key.envelope(deviceId, eventId)) ?? null;
  }

  async getEventItem(deviceId: DeviceId, eventId: EventId, item: EventItem): Promise<Uint8Array | null> {
    return this.blobs.get(key.item(deviceId, eventId, item)) ?? null;
  }

  async listEvents(deviceId: DeviceId, query: ListQuery): Promise<EventPage> {
    const index = this.devices.get(deviceId);
    if (!index) return { events: [], next: null };
    const after = query.after ? decodeCursor(query.after) : null;
    const selected = index.timeline.filter(
      (entry) =>
        entry.time >= query.from && entry.time <= query.to && (!after || compareEntry(entry, after) > 0),
    );
    const page = selected.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      events: page.map((entry) => ({
        eventId: entry.eventId,
        streamId: entry.streamId,
        time: entry.time,
        bytes: index.charges.get(entry.eventId)?.bytes ?? 0,
      })),
      next: selected.length > page.length && last ? encodeCursor(last.time, last.eventId) : null,
    };
  }

  async deleteEvent(deviceId: DeviceId, eventId: EventId): Promise<boolean> {
    const index = this.devices.get(deviceId);
    const existed = Boolean(index?.charges.has(eventId)) || this.blobs.has(key.envelope(deviceId, eventId));
    if (existed) this.removeEvent(deviceId, eventId);
    return existed;
  }

  async usage(deviceId: DeviceId, now: number, retention: Retention): Promise<number> {
    this.prune(deviceId, now, retention);
    return this.used(deviceId);
  }

  async pushMailbox(
    box: string,
    message: Uint8Array,
    bounds: MailboxBounds,
    now: number,
  ): Promise<MailboxPush> {
    return this.mailboxes.push(box, message, bounds, now);
  }

  async takeMailbox(box: string, now: number, group?: MailboxTake): Promise<Uint8Array[]> {
    return this.mailboxes.take(box, now, group);
  }
}
