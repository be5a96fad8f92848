import type { DeviceId, EventId, StreamId, ViewerId } from '@sealcam/protocol/relay-safe';
/**
 * The relay's storage: opaque ciphertext blobs and routing metadata only. Two backends (memory,
 * Redis) implement this interface and pass one conformance suite (relay/test/store-conformance.ts).
 *
 * Ids are the protocol's branded ids (DeviceId, ViewerId, EventId, StreamId: grammar in its ids.ts),
 * so a swapped id does not compile.
 * Times are Unix milliseconds and are always passed in (`now`), never read from a clock here.
 */

/**
 * 'quota': the identity is over its quota, or over its fair share while the store is nearly full
 * (fair-share.ts); 'full': the store holds storeMaxBytes. Either way nothing was stored or evicted.
 */
export type PutResult = 'created' | 'exists' | 'conflict' | 'quota' | 'full';

/** A write that replaces (keyframe, access list): stored, or refused as above. */
export type ReplaceResult = 'stored' | 'quota' | 'full';

/** What the whole store holds (for metrics; no ids). */
export interface StoreStats {
  readonly usedBytes: number;
  readonly maxBytes: number;
  /** Identities holding any charged bytes. */
  readonly identities: number;
  /** Homes (source addresses, fair-share.ts) whose identities hold any charged bytes. */
  readonly homes: number;
}

/**
 * How long a device's objects are kept and how many bytes they may take; for a write, also the
 * home it is charged to (fair-share.ts).
 */
export interface Retention {
  readonly ttlMs: number;
  /** Bytes one device may hold. */
  readonly quotaBytes: number;
  /** Bytes the devices of one home may hold together (default: unbounded). */
  readonly homeQuotaBytes?: number;
  /**
   * The home a write is charged to: the tag of the source address the writing device logged in
   * from (its session token carries it). A charge keeps the home of its first write until it is
   * released. Without one, the device counts as a home of its own.
   */
  readonly home?: string;
}

export interface EventListing {
  readonly eventId: EventId;
  readonly streamId: StreamId;
  /** The public event time from the signed envelope. */
  readonly time: number;
  /** Bytes stored for the event (envelope + thumbnail + chunks). */
  readonly bytes: number;
}

export interface EventPage {
  readonly events: EventListing[];
  /** Pass as `after` for the next page; null when this is the last page. */
  readonly next: string | null;
}

export interface ListQuery {
  readonly from: number;
  readonly to: number;
  readonly limit: number;
  readonly after?: string | undefined;
}

/** An item of an event: its thumbnail or clip chunk number n. */
export type EventItem = 'thumbnail' | `chunk-${number}`;

export interface Store {
  readonly kind: 'memory' | 'redis';
  /** True when the backend can serve requests now (Redis connected). */
  isReady(): boolean;
  close(): Promise<void>;

  /**
   * Public identity cards, by id (learned at authentication). Kept for `ttlMs` from the last put:
   * every authentication puts the card again, and for a device also restarts the expiry of its
   * access list, so the records of identities that never come back expire.
   */
  putCard(id: DeviceId | ViewerId, card: Uint8Array, ttlMs: number): Promise<void>;
  getCard(id: DeviceId | ViewerId): Promise<Uint8Array | null>;

  /** Single-use auth challenges shared by every relay process (tiny TTL keys, outside the budget). */
  putChallenge(challenge: string, ttlMs: number): Promise<void>;
  takeChallenge(challenge: string): Promise<boolean>;

  /**
   * Device-signed access list; only a strictly higher version replaces the stored one. Charged to
   * the device (the replacement's difference in size) against `retention.quotaBytes`. Kept for
   * `ttlMs` from this put or the device's last authentication (putCard), whichever is later; its
   * charge is released when it expires.
   */
  putAccessList(
    deviceId: DeviceId,
    version: number,
    bytes: Uint8Array,
    ttlMs: number,
    retention: Retention,
  ): Promise<'stale' | ReplaceResult>;
  getAccessList(deviceId: DeviceId): Promise<Uint8Array | null>;

  /**
   * Key manifests: history by epoch, and the latest per stream. Same bytes again: 'exists'.
   * Charged to the device like event objects (and released with them after the retention TTL).
   */
  putManifest(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult>;
  getManifest(deviceId: DeviceId, streamId: StreamId, epoch: number | 'latest'): Promise<Uint8Array | null>;
  listStreams(deviceId: DeviceId): Promise<{ streamId: StreamId; epoch: number }[]>;

  /**
   * Latest keyframe per stream, for late joiners: a cache, kept for the retention TTL. The device
   * is charged the replacement's difference in size. Called per keyframe on the live path: the
   * caller does not await it; a refusal or failure is reported through the returned promise only.
   */
  putKeyframe(
    deviceId: DeviceId,
    streamId: StreamId,
    frame: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<ReplaceResult>;
  getKeyframe(deviceId: DeviceId, streamId: StreamId): Promise<Uint8Array | null>;

  /**
   * Event items (thumbnail, clip chunks) are uploaded first, then the envelope commits the event
   * and makes it listable. Every put is idempotent: the same bytes again give 'exists', other
   * bytes for the same name 'conflict' (nothing changes), over quota 'quota' (nothing stored).
   */
  putEventItem(
    deviceId: DeviceId,
    eventId: EventId,
    item: EventItem,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult>;
  commitEvent(
    deviceId: DeviceId,
    eventId: EventId,
    meta: { streamId: StreamId; time: number },
    envelope: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult>;
  getEvent(deviceId: DeviceId, eventId: EventId): Promise<Uint8Array | null>;
  getEventItem(deviceId: DeviceId, eventId: EventId, item: EventItem): Promise<Uint8Array | null>;
  /** Committed events with from <= time <= to, oldest first, at most `limit`. */
  listEvents(deviceId: DeviceId, query: ListQuery): Promise<EventPage>;
  /** Removes the event and all its items; false if there was nothing. */
  deleteEvent(deviceId: DeviceId, eventId: EventId): Promise<boolean>;
  /**
   * Bytes currently charged to the device: events, manifests, keyframes, access list (objects older
   * than the retention TTL are not).
   */
  usage(deviceId: DeviceId, now: number, retention: Retention): Promise<number>;
  /** Bytes held by the whole store. */
  stats(): Promise<StoreStats>;

  /** Small mailboxes (pairing messages, grants for a device): append, then take all (FIFO). */
  pushMailbox(box: string, message: Uint8Array, bounds: MailboxBounds, now: number): Promise<MailboxPush>;
  /**
   * Every message of the box, oldest first; the box is gone. `group`: the group it was pushed
   * with; with `protectMs`, the box becomes that group's protected box for so long (the box its
   * device polls, never evicted by pushes to other boxes). `pool`: the pool it was pushed with
   * (MailboxBounds.pool), which the box's bytes leave.
   */
  takeMailbox(box: string, now: number, group?: MailboxTake, pool?: string): Promise<Uint8Array[]>;
}

/**
 * Bounds of one push. A box expires `ttlMs` after its first message (pushes never extend it).
 * Messages are charged by their length.
 */
export interface MailboxBounds {
  readonly ttlMs: number;
  /** Per box. Beyond either, `evictOldest` drops the box's oldest messages, otherwise 'full'. */
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly evictOldest?: boolean;
  /**
   * Boxes sharing one budget (one device's pairing boxes). Beyond it whole boxes of the group are
   * evicted, oldest first, except the box pushed to and the group's protected box; if that cannot
   * make room, 'full'. Boxes of a group must use the same ttlMs.
   */
  readonly group?: { readonly name: string; readonly maxMessages: number; readonly maxBytes: number };
  /**
   * Budgets of whoever sent the message (a viewer id, a source address): bytes accepted per window
   * of ttlMs (a fixed window from the first charge). Beyond one: 'sender-full', nothing stored.
   * With `chargeOnly`, the senders are charged and nothing is stored (see routes/mailboxes.ts).
   */
  readonly senders?: readonly { readonly name: string; readonly maxBytes: number }[];
  readonly chargeOnly?: boolean;
  /**
   * A relay-wide cap on the bytes that boxes of this pool hold now (the owners' inboxes): each
   * message is counted (plus MAILBOX_POOL_OVERHEAD per box) until its box is taken or expires.
   * Beyond it: 'pool-full', nothing stored. Boxes of a pool must use the same ttlMs.
   */
  readonly pool?: { readonly name: string; readonly maxBytes: number };
}

/** Bookkeeping bytes a box costs its pool beyond its messages. */
export const MAILBOX_POOL_OVERHEAD = 256;

export type MailboxPush = 'queued' | 'full' | 'sender-full' | 'pool-full';

export interface MailboxTake {
  readonly name: string;
  readonly protectMs?: number;
}
