import { TTLCache } from '@isaacs/ttlcache';
import {
  type DeviceId,
  type EventId,
  isDeviceId,
  type StreamId,
  type ViewerId,
} from '@sealcam/protocol/relay-safe';
import { LRUCache } from 'lru-cache';
import { chargedSize, homeOf, Ledger, OBJECT_OVERHEAD_BYTES } from './fair-share.js';
import { decodeCursor, encodeCursor, key } from './keys.js';
import { MemoryMailboxes } from './memory-mailboxes.js';
import { OldestFirst } from './oldest-first.js';
import type {
  EventItem,
  EventPage,
  ListQuery,
  MailboxBounds,
  MailboxPush,
  MailboxTake,
  PutResult,
  ReplaceResult,
  Retention,
  Store,
  StoreStats,
} from './store.js';

const KEYFRAME_PREFIX = key.keyframe('', '').slice(0, -1);

/** The device and stream of a keyframe cache entry (`keyframe:<device>:<stream>`). */
function keyframeOwner(name: string): { deviceId: string; streamId: string } {
  const rest = name.slice(KEYFRAME_PREFIX.length);
  const colon = rest.indexOf(':');
  return { deviceId: rest.slice(0, colon), streamId: rest.slice(colon + 1) };
}

const keyframeCharge = (streamId: string) => `k:${streamId}`;
/** The keyframe cache is shared by devices in this many shares at least (one device holds one). */
export const KEYFRAME_CACHE_SHARES = 8;

export interface MemoryStoreOptions {
  /** Bytes of every charged object (events, manifests, keyframes, access lists) held at most. */
  readonly maxBytes: number;
  /** Upper bound of small records (cards, challenges, mailboxes). */
  readonly maxRecords?: number;
}

/** Objects charged and released together: one event (items + envelope), a manifest or a keyframe. */
interface Charge {
  readonly firstSeen: number;
  /** The home it is charged to (fair-share.ts): the home of its first write. */
  readonly home: string;
  /** Every object's length plus OBJECT_OVERHEAD_BYTES. */
  bytes: number;
  /** Blob names of the objects. */
  readonly names: Set<string>;
  /** The public event time once committed (to find its timeline entry). */
  time?: number;
  eventId?: EventId;
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
  /**
   * By first upload, oldest first (insertion order), so pruning stops at the first one still kept.
   * Keyed by event id, `m:<stream>:<epoch>` for a manifest, `k:<stream>` for the latest keyframe.
   */
  readonly charges: Map<string, Charge>;
  /** Committed events sorted by (time, eventId). */
  readonly timeline: TimelineEntry[];
  readonly streams: Map<StreamId, number>;
}

const manifestCharge = (streamId: StreamId, epoch: number) => `m:${streamId}:${epoch}`;

/**
 * Expired charges released per call: by the sweep of silent devices, and of the writing (or asked)
 * device's own, so no write stalls long (the Redis scripts have the same bound). Until later calls
 * finish, the checks count a little more than they must, which errs on the safe side.
 */
const SWEEP_CHARGES = 1024;

/** The bytes of a charge's objects without their overhead (what an event listing reports). */
function payloadBytes(charge: Charge | undefined): number {
  return charge ? charge.bytes - OBJECT_OVERHEAD_BYTES * charge.names.size : 0;
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
  private readonly challenges: TTLCache<string, true>;
  /** Only devices holding a charge or a committed event: reads never add one, emptied ones go. */
  private readonly devices = new Map<DeviceId, DeviceIndex>();
  /** Indexed devices by their oldest charge, so writes release silent devices' expired bytes. */
  private readonly owners = new OldestFirst<DeviceId>();
  private readonly mailboxes: MemoryMailboxes;
  /** Latest keyframes: a cache for late joiners, evicted on its own, never at the expense of events. */
  private readonly keyframes: LRUCache<string, Uint8Array>;
  /**
   * Not evicted by other traffic, only expired (`ttl` from the last put or the device's last
   * authentication), which releases its charge. Forgetting an expired list's version cannot let an
   * older list back in: only the device itself stores its list (auth 'self',
   * routes/device-uploads.ts), never a third party.
   */
  private readonly accessLists = new Map<
    string,
    { version: number; bytes: Uint8Array; home: string; expiresAt: number }
  >();
  /** When expired cards were last purged from `records` (at most once a minute: it walks them all). */
  private lastCardPurge = 0;
  /** Every charged byte, per identity (fair-share.ts); events and manifests are never evicted. */
  private readonly ledger: Ledger;
  /** When expired keyframes were last purged (at most once a second: it walks the cache). */
  private lastKeyframePurge = Number.NEGATIVE_INFINITY;
  private readonly keyframeCacheBytes: number;
  /** Cache bytes each device's keyframes hold, so that none holds more than a share of the cache. */
  private readonly keyframeBytesByDevice = new Map<string, number>();

  constructor(options: MemoryStoreOptions) {
    const maxRecords = options.maxRecords ?? 200_000;
    this.ledger = new Ledger(options.maxBytes);
    // Keyframes are a cache: at most a tenth of the store, evicting each other, never events.
    const keyframeBytes = Math.max(1_048_576, Math.floor(options.maxBytes / 10));
    this.keyframeCacheBytes = keyframeBytes;
    this.keyframes = new LRUCache<string, Uint8Array>({
      maxSize: keyframeBytes,
      sizeCalculation: (value) => chargedSize(value.byteLength),
      maxEntrySize: keyframeBytes,
      dispose: (value, name, reason) => {
        const { deviceId } = keyframeOwner(name);
        const left = (this.keyframeBytesByDevice.get(deviceId) ?? 0) - chargedSize(value.byteLength);
        if (left > 0) this.keyframeBytesByDevice.set(deviceId, left);
        else this.keyframeBytesByDevice.delete(deviceId);
        // A replacement is charged its difference by putKeyframe; an eviction releases the charge.
        if (reason !== 'set') this.releaseKeyframe(name);
      },
    });
    this.blobs = new LRUCache<string, Uint8Array>({
      // The ledger refuses before this is reached: the LRU never evicts a charged object.
      maxSize: options.maxBytes + 1,
      sizeCalculation: (value) => Math.max(1, value.byteLength),
      maxEntrySize: options.maxBytes,
      dispose: (_value, name, reason) => {
        if (reason !== 'set') this.onBlobGone(name);
      },
    });
    // Cards carry their own TTL (a device's card lives as long as its identity records).
    this.records = new LRUCache({ max: maxRecords });
    // Every login deletes its challenge. An LRUCache with a fixed `max` refills its whole preallocated
    // arrays whenever its last entry goes (~1 ms at 200,000), which a quiet relay paid on every login.
    this.challenges = new TTLCache({ max: maxRecords, ttl: 60_000, checkAgeOnGet: true });
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
      index = { charges: new Map(), timeline: [], streams: new Map() };
      this.devices.set(deviceId, index);
    }
    return index;
  }

  /** Devices with an index entry (tests: reads add none, emptied devices leave none). */
  indexedDevices(): number {
    return this.devices.size;
  }

  /** Files the device under its oldest charge, or forgets its index once it holds nothing. */
  private refile(deviceId: DeviceId): void {
    const index = this.devices.get(deviceId);
    if (!index) return;
    const oldest = index.charges.values().next();
    if (!oldest.done) {
      this.owners.set(deviceId, oldest.value.firstSeen);
      return;
    }
    this.owners.delete(deviceId);
    // Without charges no manifest or envelope is held: streams and timeline point at nothing.
    this.devices.delete(deviceId);
  }

  /**
   * An envelope the cache let go of (expired) takes its event off the timeline, found by its
   * charge's time. One deleted by removeCharge has no charge left by then: that took it off already.
   */
  private onBlobGone(name: string): void {
    const match = /^event:([^:]+):([^:]+)$/.exec(name);
    if (!match || !isDeviceId(match[1])) return;
    const index = this.devices.get(match[1]);
    const eventId = match[2] as EventId;
    const time = index?.charges.get(eventId)?.time;
    if (!index || time === undefined) return;
    const at = findEntry(index.timeline, { time, eventId });
    if (at >= 0) index.timeline.splice(at, 1);
  }

  /** Releases one charge and its objects; the caller refiles the device. */
  private removeCharge(deviceId: DeviceId, chargeId: string): void {
    const index = this.devices.get(deviceId);
    const charge = index?.charges.get(chargeId);
    if (!index || !charge) return;
    // Off the timeline first: deleting the envelope below calls onBlobGone, which then finds no charge.
    if (charge.time !== undefined && charge.eventId !== undefined) {
      const at = findEntry(index.timeline, { time: charge.time, eventId: charge.eventId });
      if (at >= 0) index.timeline.splice(at, 1);
    }
    index.charges.delete(chargeId);
    if (chargeId.startsWith('m:')) {
      const separator = chargeId.lastIndexOf(':');
      const streamId = chargeId.slice(2, separator) as StreamId;
      if (index.streams.get(streamId) === Number(chargeId.slice(separator + 1)))
        index.streams.delete(streamId);
    }
    this.ledger.charge(deviceId, charge.home, -charge.bytes);
    for (const name of charge.names) {
      this.blobs.delete(name);
      this.keyframes.delete(name);
    }
  }

  /** Releases the device's expired charges, at most `limit`; returns how many. */
  private prune(
    deviceId: DeviceId,
    now: number,
    retention: Retention,
    limit = Number.POSITIVE_INFINITY,
  ): number {
    const index = this.devices.get(deviceId);
    if (!index) return 0;
    let removed = 0;
    for (const [chargeId, charge] of index.charges) {
      if (removed >= limit || charge.firstSeen >= now - retention.ttlMs) break;
      this.removeCharge(deviceId, chargeId);
      removed++;
    }
    this.refile(deviceId);
    return removed;
  }

  /** A keyframe left the cache (evicted, expired): its charge goes with it. */
  private releaseKeyframe(name: string): void {
    const { deviceId, streamId } = keyframeOwner(name);
    const index = this.devices.get(deviceId as DeviceId);
    const charge = index?.charges.get(keyframeCharge(streamId));
    if (!index || !charge) return;
    index.charges.delete(keyframeCharge(streamId));
    this.ledger.charge(deviceId, charge.home, -charge.bytes);
    this.refile(deviceId as DeviceId);
  }

  /**
   * Releases what silent devices' expired objects held, oldest charge first, at most SWEEP_CHARGES
   * per write (later writes continue; until then the checks count a little more than they must).
   */
  private sweep(now: number, retention: Retention): void {
    const cutoff = now - retention.ttlMs;
    let budget = SWEEP_CHARGES;
    for (let oldest = this.owners.peek(); oldest && oldest.time < cutoff && budget > 0; ) {
      budget -= this.prune(oldest.item, now, retention, budget);
      const next = this.owners.peek();
      if (next && next.item === oldest.item && next.time === oldest.time) break;
      oldest = next;
    }
    if (Math.abs(now - this.lastKeyframePurge) >= 1000) {
      this.lastKeyframePurge = now;
      this.keyframes.purgeStale();
    }
  }

  /** Charges `bytes` to the device for the objects of one charge, unless refused. */
  private admitCharge(
    deviceId: DeviceId,
    chargeId: string,
    name: string,
    bytes: number,
    now: number,
    retention: Retention,
  ): 'quota' | 'full' | null {
    this.sweep(now, retention);
    this.prune(deviceId, now, retention, SWEEP_CHARGES);
    const index = this.device(deviceId);
    const existing = index.charges.get(chargeId);
    const home = existing?.home ?? homeOf(deviceId, retention);
    const verdict = this.ledger.admit(deviceId, home, bytes, retention);
    if (verdict !== 'ok') {
      this.refile(deviceId);
      return verdict;
    }
    const charge = existing ?? { firstSeen: now, home, bytes: 0, names: new Set<string>() };
    charge.bytes += bytes;
    charge.names.add(name);
    index.charges.set(chargeId, charge);
    this.ledger.charge(deviceId, home, bytes);
    this.refile(deviceId);
    return null;
  }

  /** The one write path of charged objects: idempotent, bounded, charged. */
  private storeCharged(
    name: string,
    deviceId: DeviceId,
    chargeId: string,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): PutResult {
    const existing = this.blobs.get(name);
    if (existing) return sameBytes(existing, bytes) ? 'exists' : 'conflict';
    const refused = this.admitCharge(deviceId, chargeId, name, chargedSize(bytes.length), now, retention);
    if (refused) return refused;
    this.blobs.set(name, bytes.slice(), { ttl: retention.ttlMs });
    return 'created';
  }

  async putCard(id: DeviceId | ViewerId, card: Uint8Array, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.records.set(key.card(id), card.slice(), { ttl: ttlMs });
    const list = this.accessLists.get(id);
    if (list && list.expiresAt < now + ttlMs) {
      this.accessLists.delete(id);
      this.accessLists.set(id, { ...list, expiresAt: now + ttlMs });
    }
    if (now - this.lastCardPurge > 60_000) {
      this.lastCardPurge = now;
      this.records.purgeStale();
    }
    this.sweepIdentities();
  }

  async getCard(id: DeviceId | ViewerId): Promise<Uint8Array | null> {
    return this.records.get(key.card(id)) ?? null;
  }

  /**
   * Drops expired access lists (and releases their charge), a few per put (amortized), so devices
   * that never come back do not stay in memory until someone asks for them. Lists all live for the
   * same TTL and a refreshed one is re-inserted at the end, so Map order is expiry order.
   */
  private sweepIdentities(): void {
    const now = Date.now();
    let budget = 8;
    for (const [deviceId, list] of this.accessLists) {
      if (budget-- <= 0 || list.expiresAt > now) break;
      this.dropAccessList(deviceId as DeviceId, list);
    }
  }

  async putChallenge(challenge: string, ttlMs: number): Promise<void> {
    this.challenges.set(challenge, true, { ttl: ttlMs });
  }

  async takeChallenge(challenge: string): Promise<boolean> {
    const present = this.challenges.get(challenge) === true;
    if (present) this.challenges.delete(challenge);
    return present;
  }

  async putAccessList(
    deviceId: DeviceId,
    version: number,
    bytes: Uint8Array,
    ttlMs: number,
    retention: Retention,
  ): Promise<'stale' | ReplaceResult> {
    const current = this.liveAccessList(deviceId);
    if (current && current.version >= version) return 'stale';
    // The replaced list's charge goes back to its own home; the new one is charged in full.
    if (current) this.ledger.charge(deviceId, current.home, -chargedSize(current.bytes.length));
    const home = homeOf(deviceId, retention);
    const verdict = this.ledger.admit(deviceId, home, chargedSize(bytes.length), retention);
    if (verdict !== 'ok') {
      if (current) this.ledger.charge(deviceId, current.home, chargedSize(current.bytes.length));
      return verdict;
    }
    this.accessLists.delete(deviceId);
    this.accessLists.set(deviceId, { version, bytes: bytes.slice(), home, expiresAt: Date.now() + ttlMs });
    this.ledger.charge(deviceId, home, chargedSize(bytes.length));
    // A device with a list is a device with viewers: its card lives as long as the list.
    const card = key.card(deviceId);
    const held = this.records.get(card);
    if (held && this.records.getRemainingTTL(card) < ttlMs) this.records.set(card, held, { ttl: ttlMs });
    this.sweepIdentities();
    return 'stored';
  }

  private liveAccessList(deviceId: DeviceId) {
    const list = this.accessLists.get(deviceId);
    if (list && list.expiresAt <= Date.now()) {
      this.dropAccessList(deviceId, list);
      return undefined;
    }
    return list;
  }

  /** An expired access list is forgotten and its bytes released. */
  private dropAccessList(deviceId: DeviceId, list: { bytes: Uint8Array; home: string }): void {
    this.accessLists.delete(deviceId);
    this.ledger.charge(deviceId, list.home, -chargedSize(list.bytes.length));
  }

  async getAccessList(deviceId: DeviceId): Promise<Uint8Array | null> {
    return this.liveAccessList(deviceId)?.bytes ?? null;
  }

  async putManifest(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult> {
    const name = key.manifest(deviceId, streamId, epoch);
    const result = this.storeCharged(name, deviceId, manifestCharge(streamId, epoch), bytes, now, retention);
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

  async putKeyframe(
    deviceId: DeviceId,
    streamId: StreamId,
    frame: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<ReplaceResult> {
    this.sweep(now, retention);
    this.prune(deviceId, now, retention, SWEEP_CHARGES);
    const name = key.keyframe(deviceId, streamId);
    const chargeId = keyframeCharge(streamId);
    const size = chargedSize(frame.byteLength);
    const held = this.devices.get(deviceId)?.charges.get(chargeId);
    if (held && !this.keyframes.has(name)) {
      // Expired but not yet disposed by the cache: its charge goes before the new one is counted.
      this.devices.get(deviceId)?.charges.delete(chargeId);
      this.ledger.charge(deviceId, held.home, -held.bytes);
      this.refile(deviceId);
    }
    const replacing = held && this.keyframes.has(name) ? held : undefined;
    const home = homeOf(deviceId, retention);
    // The replaced keyframe's charge goes back to its own home while the new one is weighed in full.
    if (replacing) this.ledger.charge(deviceId, replacing.home, -replacing.bytes);
    const restore = () => {
      if (replacing) this.ledger.charge(deviceId, replacing.home, replacing.bytes);
    };
    const verdict = this.ledger.admit(deviceId, home, size, retention);
    if (verdict !== 'ok') {
      restore();
      return verdict;
    }
    if (size > this.keyframeCacheBytes) {
      restore();
      return 'full';
    }
    // One device's keyframes may hold an eighth of the cache: a device with many streams cannot
    // push every other device's keyframe out (late joiners would wait for the next keyframe).
    const cached = this.keyframeBytesByDevice.get(deviceId) ?? 0;
    const replaced = this.keyframes.peek(name, { allowStale: true });
    const after = cached - (replaced ? chargedSize(replaced.byteLength) : 0) + size;
    if (after > Math.floor(this.keyframeCacheBytes / KEYFRAME_CACHE_SHARES)) {
      restore();
      return 'quota';
    }
    // Re-inserted, so the charges stay in order of time (the replacement is kept a full TTL).
    const index = this.device(deviceId);
    index.charges.delete(chargeId);
    index.charges.set(chargeId, { firstSeen: now, home, bytes: size, names: new Set([name]) });
    this.ledger.charge(deviceId, home, size);
    this.refile(deviceId);
    this.keyframes.set(name, frame.slice(), { ttl: retention.ttlMs });
    this.keyframeBytesByDevice.set(deviceId, (this.keyframeBytesByDevice.get(deviceId) ?? 0) + size);
    return 'stored';
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
    return this.storeCharged(key.item(deviceId, eventId, item), deviceId, eventId, bytes, now, retention);
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
    const result = this.storeCharged(name, deviceId, eventId, envelope, now, retention);
    if (result !== 'created') return result;
    const index = this.device(deviceId);
    const entry = { time: meta.time, eventId, streamId: meta.streamId };
    const charge = index.charges.get(eventId)!;
    charge.time = meta.time;
    charge.eventId = eventId;
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
    // O(log N + page): a binary search to the first entry past both `from` and the cursor.
    const timeline = index.timeline;
    let start = lowerBound(timeline, { time: query.from, eventId: '' as EventId });
    if (after) {
      let past = lowerBound(timeline, after);
      if (past < timeline.length && compareEntry(timeline[past]!, after) === 0) past++;
      start = Math.max(start, past);
    }
    const page: TimelineEntry[] = [];
    let end = start;
    for (; end < timeline.length && timeline[end]!.time <= query.to && page.length < query.limit; end++)
      page.push(timeline[end]!);
    const more = end < timeline.length && timeline[end]!.time <= query.to;
    const last = page[page.length - 1];
    return {
      events: page.map((entry) => ({
        eventId: entry.eventId,
        streamId: entry.streamId,
        time: entry.time,
        bytes: payloadBytes(index.charges.get(entry.eventId)),
      })),
      next: more && last ? encodeCursor(last.time, last.eventId) : null,
    };
  }

  async deleteEvent(deviceId: DeviceId, eventId: EventId): Promise<boolean> {
    const index = this.devices.get(deviceId);
    const existed = Boolean(index?.charges.has(eventId)) || this.blobs.has(key.envelope(deviceId, eventId));
    if (existed) {
      this.removeCharge(deviceId, eventId);
      this.refile(deviceId);
    }
    return existed;
  }

  async usage(deviceId: DeviceId, now: number, retention: Retention): Promise<number> {
    this.prune(deviceId, now, retention, SWEEP_CHARGES);
    return this.ledger.of(deviceId);
  }

  async stats(): Promise<StoreStats> {
    return {
      usedBytes: this.ledger.totalBytes,
      maxBytes: this.ledger.maxBytes,
      identities: this.ledger.identities,
      homes: this.ledger.homes,
    };
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
