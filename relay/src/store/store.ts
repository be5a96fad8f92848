/**
 * The relay's storage: opaque ciphertext blobs and routing metadata only. Two backends (memory,
 * Redis) implement this interface and pass one conformance suite (relay/test/store-conformance.ts).
 *
 * Ids are text: device/viewer/event ids in base32 (26 characters), stream ids [A-Za-z0-9._-]{1,64}.
 * Times are Unix milliseconds and are always passed in (`now`), never read from a clock here.
 */

/** 'full': the relay's own storage is full (memory store); nothing was stored or evicted. */
export type PutResult = 'created' | 'exists' | 'conflict' | 'quota' | 'full';

/** How long a device's objects are kept and how many bytes they may take. */
export interface Retention {
  readonly ttlMs: number;
  readonly quotaBytes: number;
}

export interface EventListing {
  readonly eventId: string;
  readonly streamId: string;
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

  /** Public identity cards, by id (learned at authentication). */
  putCard(id: string, card: Uint8Array): Promise<void>;
  getCard(id: string): Promise<Uint8Array | null>;

  /** Single-use auth challenges shared by every relay process. */
  putChallenge(challenge: string, ttlMs: number): Promise<void>;
  takeChallenge(challenge: string): Promise<boolean>;

  /** Device-signed access list; only a strictly higher version replaces the stored one. */
  putAccessList(deviceId: string, version: number, bytes: Uint8Array): Promise<'stored' | 'stale'>;
  getAccessList(deviceId: string): Promise<Uint8Array | null>;

  /** Key manifests: history by epoch, and the latest per stream. Same bytes again: 'exists'. */
  putManifest(
    deviceId: string,
    streamId: string,
    epoch: number,
    bytes: Uint8Array,
    retention: Retention,
  ): Promise<PutResult>;
  getManifest(deviceId: string, streamId: string, epoch: number | 'latest'): Promise<Uint8Array | null>;
  listStreams(deviceId: string): Promise<{ streamId: string; epoch: number }[]>;

  /**
   * Latest keyframe per stream, for late joiners. Called per keyframe on the live path: the
   * caller does not await it; failures are reported through the returned promise only.
   */
  putKeyframe(deviceId: string, streamId: string, frame: Uint8Array, ttlMs: number): Promise<void>;
  getKeyframe(deviceId: string, streamId: string): Promise<Uint8Array | null>;

  /**
   * Event items (thumbnail, clip chunks) are uploaded first, then the envelope commits the event
   * and makes it listable. Every put is idempotent: the same bytes again give 'exists', other
   * bytes for the same name 'conflict' (nothing changes), over quota 'quota' (nothing stored).
   */
  putEventItem(
    deviceId: string,
    eventId: string,
    item: EventItem,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult>;
  commitEvent(
    deviceId: string,
    eventId: string,
    meta: { streamId: string; time: number },
    envelope: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult>;
  getEvent(deviceId: string, eventId: string): Promise<Uint8Array | null>;
  getEventItem(deviceId: string, eventId: string, item: EventItem): Promise<Uint8Array | null>;
  /** Committed events with from <= time <= to, oldest first, at most `limit`. */
  listEvents(deviceId: string, query: ListQuery): Promise<EventPage>;
  /** Removes the event and all its items; false if there was nothing. */
  deleteEvent(deviceId: string, eventId: string): Promise<boolean>;
  /** Bytes currently charged to the device (objects older than the retention TTL are not). */
  usage(deviceId: string, now: number, retention: Retention): Promise<number>;

  /** Small mailboxes (pairing messages, grants for a device): append, then take all (FIFO). */
  pushMailbox(box: string, message: Uint8Array, ttlMs: number, maxMessages: number): Promise<boolean>;
  takeMailbox(box: string): Promise<Uint8Array[]>;
}
