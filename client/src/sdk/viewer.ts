import {
  Access,
  CLIP_CONTAINER_TYPE,
  CLIP_MP4_TYPE,
  CLOCK_SKEW_MS,
  cameraNameBody,
  checkMp4ClipChunk,
  checkName,
  closeEvent,
  concat,
  createIdentity,
  createPairRequest,
  type DeviceId,
  decodeClipChunk,
  deviceIdOf,
  type EventId,
  type EventRecord,
  exportIdentity,
  fingerprint,
  formatId,
  fromBase64Url,
  fromHex,
  grantBody,
  type IdentityCard,
  importIdentity,
  isStreamId,
  type KeyHolder,
  memoryKeyHolder,
  type OpenedEvent,
  openClipChunk,
  openEvent,
  openPairResponse,
  openProfile,
  openThumbnail,
  pairingId,
  parseCard,
  parseEventId,
  parseId,
  parsePairing,
  parseStreamId,
  Role,
  ready,
  revocationBody,
  type SealedProfile,
  type StreamId,
  safetyNumber,
  signedWith,
  systemRng,
  toBase64Url,
  type ViewerId,
  verifyAccessList,
  verifyEventEnvelope,
  viewerFor,
  viewerIdOf,
} from '@sealcam/protocol';
import { ViewerError, verifying, verifyingAsync } from './errors.js';
import { fetchVerified } from './fetch-verified.js';
import { type LiveHandlers, LiveView } from './live-view.js';
import { isPlatformKeys, platformKeyHolder } from './platform-keys.js';
import { type LiveState, RelayConnection, type WebSocketFactory } from './relay-connection.js';
import { inviteCode, parseInviteCode, parseViewerCardCode, viewerCardCode } from './share-codes.js';
import {
  type KeyStore,
  keepingRollbackFloors,
  type StoredCamera,
  type StoredProfile,
  type ViewerState,
} from './viewer-state.js';

/** One verified chunk of an event's clip (Viewer.clipChunks). */
export interface ClipChunk {
  readonly index: number;
  /** Chunks in the clip. */
  readonly count: number;
  /** The chunk's plaintext: whole MP4 boxes (type video/mp4) or a JPEG clip container. */
  readonly data: Uint8Array;
  /** The clip's type and codec, from the signed record. */
  readonly type: string;
  readonly codec: number;
}

/** A whole verified clip (Viewer.clipFile). */
export interface ClipFile {
  readonly type: string;
  readonly codec: number;
  readonly bytes: Uint8Array;
}

export interface ViewerOptions {
  readonly store: KeyStore;
  /** The WebSocket constructor: the browser's by default; pass `ws` in Node 20. */
  readonly WebSocket?: WebSocketFactory;
}

export interface Camera {
  readonly deviceId: DeviceId;
  /** This viewer's own label for the gateway. */
  readonly name: string;
  /** The user said the safety numbers differ (`distrust`): nothing of it is used any more. */
  readonly distrusted: boolean;
  /** The gateway's name the device gives, from its sealed profile as last opened; null: none yet. */
  readonly gatewayName: string | null;
  /** The device's cameras by stream id with the names it gives them (sealed profile, last opened). */
  readonly cameras: readonly CameraName[];
  readonly relayUrl: string;
  readonly access: 'owner' | 'viewer';
  readonly pairedAt: number;
  /** Compare with the one the device shows: equal means nobody substituted a key. */
  readonly safetyNumber: string;
  readonly fingerprint: string;
}

/** A camera of a device as its sealed profile names it (PROTOCOL.md §9.3). */
export interface CameraName {
  readonly streamId: StreamId;
  readonly name: string;
}

/** The device's sealed profile, opened: what only its viewers learn (names are content, invariant 13). */
export interface CameraProfile {
  /** The access-list version it came with: a higher one replaces it, a lower one is a ROLLBACK. */
  readonly version: number;
  readonly gatewayName: string | null;
  readonly cameras: readonly CameraName[];
}

export interface EventListing {
  readonly eventId: EventId;
  readonly streamId: StreamId;
  /** Public event time (ms), as listed by the relay; the verified times are in the record. */
  readonly time: number;
  readonly bytes: number;
}

/** An event that verified: signed by the camera, sealed for this viewer. */
export interface EventView {
  readonly deviceId: DeviceId;
  readonly eventId: EventId;
  readonly streamId: StreamId;
  readonly record: EventRecord;
}

/** A revocation sent, to ask the camera's confirmation of (`Viewer.revocationState`). */
export interface RevocationTicket {
  readonly deviceId: DeviceId;
  readonly viewerId: ViewerId;
  /** The newest verified access-list version that still listed the viewer, or null when none was read. */
  readonly since: number | null;
  /** When the revocation was signed (this viewer's clock, ms). */
  readonly issuedAt: number;
}

export interface Subscription {
  close(): void;
}

/**
 * The viewer SDK (browser and Node): holds the viewer's keys, pairs with cameras, lists and opens
 * their events, plays their live streams, shares and revokes — and refuses, with a ViewerError
 * carrying a reason and a sentence for the UI, anything that does not verify as this viewer's own.
 */
export class Viewer {
  private readonly connections = new Map<string, RelayConnection>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    /** The viewer's private-key operations (its keys in memory, or held by the platform). */
    readonly keys: KeyHolder,
    private state: ViewerState,
    private readonly options: ViewerOptions,
  ) {}

  static async open(options: ViewerOptions): Promise<Viewer> {
    await ready();
    let state = await options.store.load();
    if (!state) {
      const held = (await options.store.createIdentity?.()) ?? null;
      const identity = held ?? toBase64Url(exportIdentity(createIdentity(Role.Viewer)));
      state = { v: 1, identity, cameras: [] };
      await options.store.save(state);
    }
    const keys = isPlatformKeys(state.identity)
      ? platformKeyHolder(state.identity)
      : memoryKeyHolder(importIdentity(fromBase64Url(state.identity)));
    return new Viewer(keys, state, options);
  }

  /** Where the private keys are: `platform` (non-extractable, WebCrypto) or `memory` (libsodium). */
  get keysHeldBy(): 'platform' | 'memory' {
    return this.keys.inMemory ? 'memory' : 'platform';
  }

  get id(): ViewerId {
    return viewerIdOf(this.keys.card.id);
  }

  get fingerprint(): string {
    return fingerprint(this.keys.card.id);
  }

  cameras(): Camera[] {
    return this.state.cameras.map((camera) => this.describe(camera));
  }

  private describe(camera: StoredCamera): Camera {
    const card = parseCard(fromBase64Url(camera.card));
    return {
      deviceId: deviceIdOf(card.id),
      name: camera.name,
      distrusted: camera.distrusted === true,
      gatewayName: camera.profile?.gatewayName || null,
      cameras: (camera.profile?.cameras ?? []).map((c) => ({
        streamId: c.streamId as StreamId,
        name: c.name,
      })),
      relayUrl: camera.relayUrl,
      access: camera.access === Access.Owner ? 'owner' : 'viewer',
      pairedAt: camera.pairedAt,
      safetyNumber: safetyNumber(card, this.keys.card),
      fingerprint: fingerprint(card.id),
    };
  }

  /**
   * A paired camera; DISTRUSTED once the user said its safety numbers differ (`distrust`), unless
   * `anyway` (what stays possible then: removing it, renaming the local label, reading its state).
   */
  private camera(
    deviceId: DeviceId,
    anyway = false,
  ): { stored: StoredCamera; card: IdentityCard; relay: RelayConnection } {
    const stored = this.state.cameras.find((c) => formatId(parseCard(fromBase64Url(c.card)).id) === deviceId);
    if (!stored) throw new ViewerError('NOT_PAIRED', 'relay', deviceId);
    if (stored.distrusted && !anyway) throw new ViewerError('DISTRUSTED', 'pairing', deviceId);
    return { stored, card: parseCard(fromBase64Url(stored.card)), relay: this.relay(stored.relayUrl) };
  }

  private relay(relayUrl: string): RelayConnection {
    let connection = this.connections.get(relayUrl);
    if (!connection) {
      const WebSocketImpl =
        this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket ?? undefined;
      connection = new RelayConnection(relayUrl, this.keys, WebSocketImpl);
      this.connections.set(relayUrl, connection);
    }
    return connection;
  }

  private async update(change: (state: ViewerState) => ViewerState): Promise<void> {
    this.state = change(this.state);
    this.saving = this.saving.then(async () => {
      // Another process (a CLI run, a browser tab) may have saved newer rollback floors meanwhile:
      // they are kept, never lowered back to this process's older view.
      const stored = await this.options.store.load();
      if (stored) this.state = keepingRollbackFloors(this.state, stored);
      await this.options.store.save(this.state);
    });
    await this.saving;
  }

  private async addCamera(
    card: IdentityCard,
    relayUrl: string,
    name: string,
    access: number,
  ): Promise<Camera> {
    const stored: StoredCamera = {
      card: toBase64Url(card.bytes),
      relayUrl,
      name,
      access,
      pairedAt: Date.now(),
      streams: {},
    };
    await this.update((state) => ({
      ...state,
      cameras: [
        ...state.cameras.filter((c) => formatId(parseCard(fromBase64Url(c.card)).id) !== formatId(card.id)),
        stored,
      ],
    }));
    return this.describe(stored);
  }

  /** Removes a camera and everything remembered about it (e.g. after a safety number mismatch). */
  async forget(deviceId: DeviceId): Promise<void> {
    this.camera(deviceId, true);
    await this.update((state) => ({
      ...state,
      cameras: state.cameras.filter((c) => formatId(parseCard(fromBase64Url(c.card)).id) !== deviceId),
    }));
  }

  async rename(deviceId: DeviceId, name: string): Promise<void> {
    this.camera(deviceId, true);
    await this.updateCamera(deviceId, (c) => ({ ...c, name }));
  }

  /**
   * The user compared the safety numbers and they differ: someone may hold the keys in between. From
   * now on (saved, across sessions and tabs) nothing of this camera is fetched, opened, sealed to it
   * or shared: every use is refused with DISTRUSTED, until it is removed (`forget`) and paired again.
   */
  async distrust(deviceId: DeviceId): Promise<void> {
    this.camera(deviceId, true);
    await this.updateCamera(deviceId, (c) => ({ ...c, distrusted: true }));
  }

  /** Saves a change to one paired camera's stored record. */
  private async updateCamera(
    deviceId: DeviceId,
    change: (camera: StoredCamera) => StoredCamera,
  ): Promise<void> {
    await this.update((state) => ({
      ...state,
      cameras: state.cameras.map((c) =>
        formatId(parseCard(fromBase64Url(c.card)).id) === deviceId ? change(c) : c,
      ),
    }));
  }

  /**
   * Pairs with the camera that shows `code` (the SCP1-… code, or the link with it after #). The
   * device key must hash to the id in the code and must have signed this viewer's card.
   */
  async pair(
    code: string,
    options: { name?: string; cameraName?: string; timeoutMs?: number } = {},
  ): Promise<Camera> {
    const text = code.includes('#') ? code.slice(code.indexOf('#') + 1) : code;
    let offer: ReturnType<typeof parsePairing>;
    try {
      offer = parsePairing(text.trim());
    } catch (error) {
      throw new ViewerError('INVALID_CODE', 'pairing', (error as Error).message);
    }
    const relay = this.relay(offer.relayUrl);
    const request = verifying('pairing', () =>
      createPairRequest({ viewer: this.keys, offer, name: options.name ?? 'viewer', now: Date.now() }),
    );
    const base = `/v1/pairing/${formatId(offer.deviceId)}/${formatId(pairingId(offer.secret))}`;
    await relay.request('POST', `${base}/request`, request);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const response = await relay.request('GET', `${base}/response`);
      if (response.status === 200) {
        const result = verifying('pairing', () =>
          openPairResponse(response.bytes, { viewer: this.keys, offer, now: Date.now() }),
        );
        return this.addCamera(
          result.device,
          offer.relayUrl,
          options.cameraName ?? `Camera ${fingerprint(result.device.id).slice(0, 9)}`,
          result.access,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new ViewerError('TIMEOUT', 'pairing', 'the camera did not answer in time');
  }

  /** The camera's streams (ids and latest epoch) as the relay lists them. */
  async streams(deviceId: DeviceId): Promise<{ streamId: StreamId; epoch: number }[]> {
    const { relay } = this.camera(deviceId);
    const { streams } = await relay.json<{ streams: { streamId: unknown; epoch: number }[] }>(
      `/v1/devices/${deviceId}/streams`,
    );
    return streams.map((stream) => ({
      streamId: verifying('relay', () => parseStreamId(stream.streamId)),
      epoch: stream.epoch,
    }));
  }

  async events(
    deviceId: DeviceId,
    query: { from?: number; to?: number; limit?: number; after?: string } = {},
  ): Promise<{ events: EventListing[]; next: string | null; retentionMs: number | null }> {
    const { relay } = this.camera(deviceId);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const suffix = params.size > 0 ? `?${params}` : '';
    const listing = await relay.json<{
      events: { eventId: unknown; streamId: unknown; time: number; bytes: number }[];
      next: string | null;
      retentionMs?: unknown;
    }>(`/v1/devices/${deviceId}/events${suffix}`);
    return {
      events: listing.events.map((event) => ({
        eventId: verifying('relay', () => parseEventId(event.eventId)),
        streamId: verifying('relay', () => parseStreamId(event.streamId)),
        time: event.time,
        bytes: event.bytes,
      })),
      next: listing.next,
      // The relay's word (unverified, and only about the relay): how long it keeps an event.
      retentionMs:
        typeof listing.retentionMs === 'number' &&
        Number.isSafeInteger(listing.retentionMs) &&
        listing.retentionMs >= 0
          ? listing.retentionMs
          : null,
    };
  }

  private async openedEvent(
    deviceId: DeviceId,
    eventId: EventId,
  ): Promise<{ event: OpenedEvent; relay: RelayConnection }> {
    const { card, relay } = this.camera(deviceId);
    const event = await fetchVerified(relay, `/v1/devices/${deviceId}/events/${eventId}`, async (bytes) => {
      // Keys held by the platform agree the key first, asynchronously (the envelope verified for it).
      const viewer =
        this.keys.inMemory ??
        (await verifyingAsync('event', () =>
          viewerFor(this.keys, verifyEventEnvelope(bytes, card).ephemeralPublicKey),
        ));
      try {
        return verifying('event', () =>
          openEvent(bytes, { viewer, device: card, eventId: parseId(eventId) }),
        );
      } finally {
        if ('shared' in viewer) viewer.shared.fill(0);
      }
    });
    return { event, relay };
  }

  /** Opens an event record: signed by this viewer's camera, sealed for this viewer, the event asked for. */
  async openEvent(deviceId: DeviceId, eventId: EventId): Promise<EventView> {
    const { event } = await this.openedEvent(deviceId, eventId);
    const streamId = verifying('event', () => parseStreamId(event.streamId));
    const view = { deviceId, eventId, streamId, record: event.record };
    closeEvent(event);
    return view;
  }

  /** The event's thumbnail, verified against the record the camera signed. */
  async thumbnail(deviceId: DeviceId, eventId: EventId): Promise<Uint8Array> {
    const { event, relay } = await this.openedEvent(deviceId, eventId);
    try {
      if (!event.record.thumbnail)
        throw new ViewerError('MALFORMED', 'thumbnail', 'this event has no thumbnail');
      return await fetchVerified(relay, `/v1/devices/${deviceId}/events/${eventId}/thumbnail`, (sealed) =>
        verifying('thumbnail', () => openThumbnail(sealed, event)),
      );
    } finally {
      closeEvent(event);
    }
  }

  /**
   * The event's clip chunk by chunk, each verified (in order, against the record the camera signed)
   * before it is yielded: a player can start on chunk 0 while the rest arrive. An MP4 clip's chunks
   * are checked to be whole boxes (PROTOCOL.md §7.14); a JPEG clip's chunks are containers (§7.13).
   */
  async *clipChunks(deviceId: DeviceId, eventId: EventId): AsyncGenerator<ClipChunk> {
    const { event, relay } = await this.openedEvent(deviceId, eventId);
    try {
      const clip = event.record.clip;
      const count = clip?.chunkHashes.length ?? 0;
      if (!clip || count === 0) throw new ViewerError('MALFORMED', 'clip', 'this event has no clip');
      const mp4 = clip.type === CLIP_MP4_TYPE;
      if (!mp4 && clip.type !== CLIP_CONTAINER_TYPE)
        throw new ViewerError('UNSUPPORTED_MEDIA', 'clip', `clip type ${JSON.stringify(clip.type)}`);
      let total = 0;
      for (let index = 0; index < count; index++) {
        const data = await fetchVerified(
          relay,
          `/v1/devices/${deviceId}/events/${eventId}/chunks/${index}`,
          (sealed) =>
            verifying('clip', () => {
              const opened = openClipChunk(sealed, event, index).data;
              if (mp4) checkMp4ClipChunk(opened, index === 0);
              return opened;
            }),
        );
        total += data.length;
        if (index === count - 1 && total !== clip.bytes)
          throw new ViewerError('MALFORMED', 'clip', 'clip size differs from the signed record');
        yield { index, count, data, type: clip.type, codec: clip.codec };
      }
    } finally {
      closeEvent(event);
    }
  }

  /** The whole clip as one verified file (an MP4 for timed codecs), with its type and codec. */
  async clipFile(deviceId: DeviceId, eventId: EventId): Promise<ClipFile> {
    const parts: Uint8Array[] = [];
    let described: Pick<ClipChunk, 'type' | 'codec'> | null = null;
    for await (const chunk of this.clipChunks(deviceId, eventId)) {
      parts.push(chunk.data);
      described = chunk;
    }
    if (!described) throw new ViewerError('MALFORMED', 'clip', 'this event has no clip');
    return { type: described.type, codec: described.codec, bytes: concat(...parts) };
  }

  /** A JPEG clip (§7.13) as frames with capture times, every chunk verified in order. */
  async clip(deviceId: DeviceId, eventId: EventId): Promise<{ capturedAt: number; image: Uint8Array }[]> {
    const frames: { capturedAt: number; image: Uint8Array }[] = [];
    for await (const chunk of this.clipChunks(deviceId, eventId)) {
      if (chunk.type !== CLIP_CONTAINER_TYPE)
        throw new ViewerError('UNSUPPORTED_MEDIA', 'clip', 'an MP4 clip: use clipFile or clipChunks');
      frames.push(...verifying('clip', () => decodeClipChunk(chunk.data)));
    }
    return frames;
  }

  /** Live view of one camera stream, from the relay's cached manifest and keyframe onwards. */
  watch(deviceId: DeviceId, streamId: StreamId, handlers: LiveHandlers): Subscription {
    const { stored, card, relay } = this.camera(deviceId);
    const chain = stored.streams[streamId];
    const subscribe = { op: 'subscribe', deviceId, streamId } as const;
    const unsubscribe = { op: 'unsubscribe', deviceId, streamId } as const;
    const view = new LiveView(
      this.keys,
      card,
      streamId,
      handlers,
      chain
        ? {
            epoch: chain.epoch,
            hash: fromHex(chain.hash),
            ...(chain.counter !== undefined ? { counter: chain.counter } : {}),
          }
        : undefined,
      (epoch, hash) => void this.rememberChain(deviceId, streamId, epoch, hash),
      () => relay.resend(subscribe, unsubscribe),
      (nonce) => relay.sendNow({ op: 'clock', deviceId, streamId, nonce }),
      (epoch, counter) => void this.rememberCounter(deviceId, streamId, epoch, counter),
    );
    const remove = relay.addHandler({
      onBinary: (message) => {
        if (view.matches(message)) view.handle(message);
      },
      onControl: (message) => view.control(message),
    });
    relay.want(subscribe);
    return {
      close: () => {
        remove();
        relay.unwant(subscribe, unsubscribe);
        view.close();
      },
    };
  }

  /** Calls `onEvent` for each new event of the camera (a notice; open it with openEvent). */
  watchEvents(
    deviceId: DeviceId,
    onEvent: (notice: { eventId: EventId; streamId: StreamId; time: number }) => void,
  ): Subscription {
    const { relay } = this.camera(deviceId);
    const remove = relay.addHandler({
      onBinary: () => undefined,
      onControl: (message) => {
        if (message.op === 'event' && message.deviceId === deviceId)
          onEvent({ eventId: message.eventId, streamId: message.streamId, time: message.time });
      },
    });
    const watch = { op: 'watch', deviceId } as const;
    relay.want(watch);
    return {
      close: () => {
        remove();
        relay.unwant(watch, { op: 'unwatch', deviceId });
      },
    };
  }

  private async rememberAccessListVersion(deviceId: DeviceId, version: number): Promise<void> {
    await this.updateCamera(deviceId, (c) =>
      version > (c.accessListVersion ?? 0) ? { ...c, accessListVersion: version } : c,
    );
  }

  private async rememberChain(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number,
    hash: string,
  ): Promise<void> {
    await this.updateCamera(deviceId, (c) => {
      const same = c.streams[streamId];
      // The same manifest again (a resubscription) keeps the counter saved under it.
      if (same?.epoch === epoch && same.hash === hash) return c;
      return { ...c, streams: { ...c.streams, [streamId]: { epoch, hash } } };
    });
  }

  /** The highest counter opened in the stream's current epoch (only for the epoch of its stored chain). */
  private async rememberCounter(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number,
    counter: number,
  ): Promise<void> {
    await this.updateCamera(deviceId, (c) => {
      const chain = c.streams[streamId];
      if (!chain || chain.epoch !== epoch || (chain.counter ?? -1) >= counter) return c;
      return { ...c, streams: { ...c.streams, [streamId]: { ...chain, counter } } };
    });
  }

  /**
   * Owner only: asks the relay to delete an event and its items. `gone` when the relay has no such
   * event (deleted already, or expired). A refusal is a ViewerError (RELAY_ERROR `not-owner` for a
   * viewer that is not the owner). Deleting is a request to the relay: nothing can prove a relay forgot.
   */
  async deleteEvent(deviceId: DeviceId, eventId: EventId): Promise<'deleted' | 'gone'> {
    const { relay } = this.camera(deviceId);
    try {
      await relay.request('DELETE', `/v1/devices/${deviceId}/events/${eventId}`);
      return 'deleted';
    } catch (error) {
      if (error instanceof ViewerError && error.relayReason === 'not-found') return 'gone';
      throw error;
    }
  }

  /**
   * Owner only: deletes every event the relay lists before `time` (Unix ms), oldest first, at most
   * `max` of them; `more` when some are left.
   */
  async deleteEventsBefore(
    deviceId: DeviceId,
    time: number,
    max = 10_000,
  ): Promise<{ deleted: number; more: boolean; eventIds: EventId[] }> {
    let deleted = 0;
    let asked = 0;
    // Deleted now, or already gone: the events this call made sure the relay no longer lists.
    const eventIds: EventId[] = [];
    while (asked < max) {
      // Deleting shifts the pages: always the first page before `time`.
      const { events } = await this.events(deviceId, { to: time - 1, limit: Math.min(500, max - asked) });
      if (events.length === 0) return { deleted, more: false, eventIds };
      let progress = false;
      for (const event of events) {
        asked++;
        const result = await this.deleteEvent(deviceId, event.eventId);
        eventIds.push(event.eventId);
        if (result === 'deleted') {
          deleted++;
          progress = true;
        }
      }
      // A relay that lists events it then says it does not have would make this loop forever.
      if (!progress) break;
    }
    const { events } = await this.events(deviceId, { to: time - 1, limit: 1 });
    return { deleted, more: events.length > 0, eventIds };
  }

  /** This viewer's public card as a code, for an owner to share a camera with it. */
  shareCode(): string {
    return viewerCardCode(this.keys.card);
  }

  /**
   * Owner only: lets the viewer of `shareCode` see the camera (an owner-signed grant the device
   * checks). Returns the invite code to give that viewer.
   */
  async grant(deviceId: DeviceId, shareCode: string, options: { expiresAt?: number } = {}): Promise<string> {
    const { stored, card, relay } = this.camera(deviceId);
    const grantee = parseViewerCardCode(shareCode);
    const grant = await signedWith(
      this.keys,
      grantBody(this.keys.card, {
        deviceId: card.id,
        grantee,
        issuedAt: Date.now(),
        ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
      }),
    );
    await relay.request('POST', `/v1/devices/${deviceId}/inbox`, grant);
    return inviteCode(card.id, stored.relayUrl);
  }

  /**
   * Owner only: the device drops the viewer and starts a new key epoch without it. Sends the owner's
   * signed revocation to the camera (through its relay inbox). It is pending until
   * the camera confirms it (`revocationState`): a signed access list newer than the last one that
   * listed the viewer, issued after the revocation (within the clock skew), without the viewer. When
   * no verified list listing the viewer could be read now (the relay serves an older list, or none),
   * the confirmation cannot be told apart from a stale list: `since` is null and it stays pending.
   */
  async revoke(deviceId: DeviceId, viewerId: ViewerId): Promise<RevocationTicket> {
    const { card, relay } = this.camera(deviceId);
    let since: number | null = null;
    try {
      const list = await this.accessList(deviceId);
      if (list.entries.some((entry) => entry.viewerId === viewerId)) since = list.version;
    } catch (error) {
      // Unreadable or stale (ROLLBACK): the revocation still goes out; it cannot be confirmed.
      if (!(error instanceof ViewerError)) throw error;
    }
    const issuedAt = Date.now();
    const revocation = await signedWith(
      this.keys,
      revocationBody(this.keys.card, { deviceId: card.id, viewerId: parseId(viewerId), issuedAt }),
    );
    await relay.request('POST', `/v1/devices/${deviceId}/inbox`, revocation);
    return { deviceId, viewerId, since, issuedAt };
  }

  /**
   * `done` once the camera has signed an access list that confirms the revocation (see `revoke`);
   * else pending: not applied yet, never received, or not confirmable. `version` is the list's.
   */
  async revocationState(ticket: RevocationTicket): Promise<{ done: boolean; version: number }> {
    const list = await this.accessList(ticket.deviceId);
    const listed = list.entries.some((entry) => entry.viewerId === ticket.viewerId);
    const done =
      ticket.since !== null &&
      list.version > ticket.since &&
      list.issuedAt >= ticket.issuedAt - CLOCK_SKEW_MS &&
      !listed;
    return { done, version: list.version };
  }

  /**
   * Adds a camera shared with this viewer: the card comes from the relay and is accepted only if
   * it hashes to the device id in the invite. Waits until the device has applied the grant.
   */
  async acceptInvite(
    code: string,
    options: { cameraName?: string; timeoutMs?: number } = {},
  ): Promise<Camera> {
    const { deviceId, relayUrl } = parseInviteCode(code);
    const known = this.state.cameras.find(
      (c) => formatId(parseCard(fromBase64Url(c.card)).id) === formatId(deviceId),
    );
    if (known) return this.describe(known);
    const relay = this.relay(relayUrl);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      try {
        const bytes = (await relay.request('GET', `/v1/devices/${formatId(deviceId)}/card`)).bytes;
        const card = verifying('share', () => parseCard(bytes));
        if (formatId(card.id) !== formatId(deviceId))
          throw new ViewerError('WRONG_DEVICE', 'share', 'the relay served another device card');
        return this.addCamera(
          card,
          relayUrl,
          options.cameraName ?? `Camera ${fingerprint(card.id).slice(0, 9)}`,
          Access.Viewer,
        );
      } catch (error) {
        if (!(error instanceof ViewerError) || error.reason !== 'NO_GRANT' || Date.now() > deadline)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Who the device says may see it (its signed access list, as registered with the relay). */
  /**
   * Who the camera lists as its viewers, from its signed access list. A list older than one this viewer
   * already verified (a relay serving a stale list, e.g. from before a viewer was added or removed) is
   * refused with ROLLBACK; the highest version seen is remembered across sessions.
   */
  async viewersOf(deviceId: DeviceId): Promise<{ viewerId: ViewerId; access: 'owner' | 'viewer' }[]> {
    return (await this.accessList(deviceId)).entries;
  }

  /** The camera's signed access list, verified, never older than one already seen (ROLLBACK). */
  private async accessList(deviceId: DeviceId): Promise<{
    version: number;
    issuedAt: number;
    entries: { viewerId: ViewerId; access: 'owner' | 'viewer' }[];
    profile: SealedProfile | null;
  }> {
    const { card, relay } = this.camera(deviceId);
    const bytes = (await relay.request('GET', `/v1/devices/${deviceId}/access-list`)).bytes;
    const list = verifying('share', () => verifyAccessList(bytes, card));
    // Read after the request: a call that overlapped this one may have seen a newer list meanwhile.
    const seen = this.camera(deviceId).stored.accessListVersion ?? 0;
    if (list.version < seen)
      throw new ViewerError(
        'ROLLBACK',
        'share',
        `access list version ${list.version}, older than version ${seen} already seen`,
      );
    if (list.version > seen) await this.rememberAccessListVersion(deviceId, list.version);
    return {
      version: list.version,
      issuedAt: list.issuedAt,
      profile: list.profile,
      entries: list.entries.map((entry) => ({
        viewerId: viewerIdOf(entry.viewerId),
        access: entry.access === Access.Owner ? ('owner' as const) : ('viewer' as const),
      })),
    };
  }

  /**
   * The device's names (gateway, and each camera by stream id), opened from the sealed profile in its
   * signed access list: verified, never older than a list already seen (ROLLBACK), sealed for this
   * viewer (NOT_RECIPIENT once revoked). Remembered, so `cameras()` shows them offline. A device
   * whose list carries no profile (an older agent) gives the last one remembered, or none.
   */
  async profile(deviceId: DeviceId): Promise<CameraProfile> {
    const list = await this.accessList(deviceId);
    const known = this.camera(deviceId).stored.profile;
    if (!list.profile) return profileView(known ?? { version: list.version, gatewayName: '', cameras: [] });
    // Opened already (a poll that finds the same list costs no key agreement).
    if (known && known.version === list.version) return profileView(known);
    const sealed = list.profile;
    const opened = await verifyingAsync('share', async () =>
      openProfile(
        sealed,
        await viewerFor(this.keys, sealed.ephemeralPublicKey),
        parseId(deviceId),
        list.version,
      ),
    );
    const profile: StoredProfile = { version: list.version, ...opened };
    if (!known || profile.version > known.version)
      await this.updateCamera(deviceId, (c) =>
        !c.profile || profile.version > c.profile.version ? { ...c, profile } : c,
      );
    return profileView(profile);
  }

  /**
   * The stream id of the camera called `nameOrId` in the device's profile (exactly, or ignoring case
   * when that is unambiguous), or `nameOrId` itself when it is one of the profile's stream ids, or any
   * stream id when the device names no camera. NO_SUCH_CAMERA when it names none of them.
   */
  async streamNamed(deviceId: DeviceId, nameOrId: string): Promise<StreamId> {
    let cameras = this.describe(this.camera(deviceId).stored).cameras;
    try {
      cameras = (await this.profile(deviceId)).cameras;
    } catch (error) {
      // Offline or refused: the names last opened still resolve.
      if (!(error instanceof ViewerError)) throw error;
    }
    const exact = cameras.filter((c) => c.name === nameOrId);
    const loose = cameras.filter((c) => c.name.toLowerCase() === nameOrId.toLowerCase());
    const found = exact.length === 1 ? exact[0] : loose.length === 1 ? loose[0] : undefined;
    if (found) return found.streamId;
    if (cameras.some((c) => c.streamId === nameOrId)) return nameOrId as StreamId;
    // A device that names no camera (an older agent, or none opened yet): its stream ids are all there is.
    if (cameras.length === 0 && isStreamId(nameOrId)) return nameOrId;
    throw new ViewerError('NO_SUCH_CAMERA', 'relay', `no camera called "${nameOrId}" on ${deviceId}`);
  }

  /**
   * Owner only: asks the device to call one of its cameras (or, with `streamId` null, the gateway)
   * `name`. The name is sealed to the device's key and signed by the owner; the relay carries it
   * blind. It is applied when the device's next profile names it (`profile`).
   */
  async renameCamera(deviceId: DeviceId, streamId: StreamId | null, name: string): Promise<void> {
    const { card, relay } = this.camera(deviceId);
    try {
      checkName(name, 'name');
    } catch (error) {
      throw new ViewerError('INVALID_NAME', 'share', (error as Error).message);
    }
    const body = verifying('share', () =>
      cameraNameBody(this.keys.card, { device: card, streamId, name, issuedAt: Date.now() }, systemRng),
    );
    await relay.request('POST', `/v1/devices/${deviceId}/inbox`, await signedWith(this.keys, body));
  }

  /**
   * Whether the live connection to this camera's relay is up: `offline` while it cannot be reached
   * (every stream of every camera on that relay at once), `online` once it is back.
   */
  relayState(deviceId: DeviceId): LiveState {
    return this.camera(deviceId, true).relay.liveState;
  }

  /** Calls `listener` with each change of `relayState(deviceId)`; returns the function that stops it. */
  onRelayState(deviceId: DeviceId, listener: (state: LiveState) => void): () => void {
    return this.camera(deviceId, true).relay.onLiveState(listener);
  }

  safetyNumber(deviceId: DeviceId): string {
    return safetyNumber(this.camera(deviceId, true).card, this.keys.card);
  }

  /**
   * Closes the relay connections; resolves once the state saves already begun are written (the
   * counters a closing live view saves among them: a later session must not show those frames again).
   */
  async close(): Promise<void> {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
    await this.saving.catch(() => undefined);
  }
}

function profileView(profile: StoredProfile): CameraProfile {
  return {
    version: profile.version,
    gatewayName: profile.gatewayName || null,
    cameras: profile.cameras.map((c) => ({ streamId: c.streamId as StreamId, name: c.name })),
  };
}
