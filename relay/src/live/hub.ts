import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  decodeLiveMessage,
  encodeLiveMessage,
  frameKeyframeAt,
  fromBase32,
  type IdentityCard,
  parseFrameHeader,
  SealError,
  toBase32,
  verifyManifest,
  WireType,
} from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Session } from '../auth/tokens.js';
import { type Bus, type BusListener, channel } from '../bus/bus.js';
import type { RelayConfig } from '../config/config.js';
import type { EventNotice, Notifier } from '../context.js';
import type { Metrics } from '../ops/metrics.js';
import type { Retention, Store } from '../store/store.js';
import { Close, reason } from './close-codes.js';
import { MessageRate } from './message-rate.js';
import { type KnownStream, STREAM_LENGTH_OFFSET, StreamCache } from './stream-cache.js';
import { ViewerConnection } from './viewer-connection.js';

export interface HubDependencies {
  readonly config: RelayConfig;
  readonly store: Store;
  readonly bus: Bus;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly access: (session: Session, deviceId: string) => Promise<'none' | 'viewer' | 'owner' | 'device'>;
  readonly deviceCard: (deviceId: string) => Promise<IdentityCard>;
  readonly retention: () => Retention;
  /** TEST ONLY: probability that a frame is also delivered to a subscriber of another stream. */
  readonly faultRate: number;
  readonly random: () => number;
}

interface DeviceConnection {
  readonly ws: WebSocket;
  readonly session: Session;
  readonly idBytes: Buffer;
  readonly card: Promise<IdentityCard>;
  readonly rate: MessageRate;
  /** Set while a message (a manifest) is being handled asynchronously. */
  pending: Promise<void> | null;
  readonly streams: StreamCache;
}

/** Bus message: origin (8 bytes) ‖ kind ‖ payload. A process ignores its own messages. */
const BusKind = { Wire: 1, EventNotice: 2, DeviceNotice: 3, AccessChanged: 4 } as const;
const ORIGIN_BYTES = 8;
const PROBE_INTERVAL_MS = 1000;
const CONTROL_MESSAGE_BYTES = 4096;
const ID = /^[a-z2-7]{26}$/;
const STREAM = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The live half of the relay: devices publish sealed frames and manifests, viewers subscribe.
 * Frames are parsed only as far as the clear header (keyframe flag), encoded once, and sent as the
 * same bytes to every subscriber. Only keyframes and manifests are stored. Other relay processes
 * get a device's frames over the bus only while one of them has a viewer for it.
 */
export class LiveHub implements Notifier {
  private readonly origin = randomBytes(ORIGIN_BYTES);
  private readonly devices = new Map<string, DeviceConnection>();
  private readonly viewers = new Set<ViewerConnection>();
  private readonly streamViewers = new Map<string, Set<ViewerConnection>>();
  private readonly eventViewers = new Map<string, Set<ViewerConnection>>();
  private readonly liveInterest = new Map<string, number>();
  private readonly busChannels = new Set<string>();
  private readonly remoteReceivers = new Map<string, { receivers: number; lastProbe: number }>();
  private readonly keyframeRequests = new Map<string, number>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly busListener: BusListener = (message) => this.onBusMessage(message);

  constructor(private readonly deps: HubDependencies) {
    this.heartbeat = setInterval(() => this.beat(), 30_000);
    this.heartbeat.unref();
  }

  get connections(): { devices: number; viewers: number } {
    return { devices: this.devices.size, viewers: this.viewers.size };
  }

  /** A WebSocket whose token was verified at the upgrade. */
  async accept(ws: WebSocket, session: Session, socket: Duplex): Promise<void> {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', (error) => this.deps.log.debug({ err: error.message }, 'websocket error'));
    const expiry = setTimeout(
      () => ws.close(Close.Unauthorized, 'token-expired; authenticate again'),
      Math.max(0, session.expiresAt - Date.now()),
    );
    expiry.unref();
    ws.once('close', () => clearTimeout(expiry));
    if (session.role === 'device') await this.acceptDevice(ws, session);
    else this.acceptViewer(ws, session, socket);
  }

  // ---- devices ----

  private async acceptDevice(ws: WebSocket, session: Session): Promise<void> {
    // The listener is attached before anything is awaited, so no early message is lost.
    const device: DeviceConnection = {
      ws,
      session,
      idBytes: Buffer.from(fromBase32(session.id)),
      card: this.deps.deviceCard(session.id),
      rate: new MessageRate(this.deps.config.wsMessagesPerSecond),
      pending: null,
      streams: new StreamCache(session.id),
    };
    device.card.catch(() =>
      ws.close(Close.Unauthorized, 'reauthenticate: the relay no longer holds this identity card'),
    );
    ws.on('message', (data, isBinary) => this.enqueue(device, data, isBinary));
    const previous = this.devices.get(session.id);
    if (previous) previous.ws.close(Close.Replaced, 'replaced by a newer connection of this device');
    this.devices.set(session.id, device);
    this.deps.metrics.connections.inc({ role: 'device' });
    this.refreshInterest(session.id);
    ws.once('close', () => {
      this.deps.metrics.connections.dec({ role: 'device' });
      if (this.devices.get(session.id) === device) {
        this.devices.delete(session.id);
        this.remoteReceivers.delete(session.id);
      }
      this.refreshInterest(session.id);
    });
  }

  /**
   * A device's messages are handled strictly in order. Frames take a synchronous path; only while
   * a manifest is being verified and stored do later messages wait behind it, so viewers never get
   * frames of an epoch before its manifest.
   */
  private enqueue(device: DeviceConnection, data: RawData, isBinary: boolean): void {
    // Rate and size are enforced on arrival, so nothing piles up behind a pending manifest.
    if (!device.rate.allow(Date.now())) {
      this.deps.metrics.admissionRejections.inc({ kind: 'ws-rate' });
      device.ws.close(Close.RateLimited, 'rate-limited; retry-after=1');
      return;
    }
    // The per-frame path allocates nothing here: only async work (a manifest) is chained.
    const work = device.pending
      ? device.pending.then(() => this.onDeviceMessage(device, data, isBinary))
      : this.onDeviceMessage(device, data, isBinary);
    if (work) this.holdOthersBehind(device, work);
  }

  private holdOthersBehind(device: DeviceConnection, work: Promise<void>): void {
    const chained: Promise<void> = work
      .catch((error: unknown) => this.deps.log.warn({ err: errorText(error) }, 'device message failed'))
      .finally(() => {
        if (device.pending === chained) device.pending = null;
      });
    device.pending = chained;
  }

  private refuse(ws: WebSocket, surface: string, code: number, text: string): void {
    this.deps.metrics.badInput.inc({ surface });
    ws.close(code, reason(text));
  }

  private onDeviceMessage(device: DeviceConnection, data: RawData, isBinary: boolean): Promise<void> | void {
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.refuse(
        device.ws,
        'ws-device',
        Close.BadMessage,
        'devices send binary frame and manifest messages only',
      );
      return;
    }
    // The device id must be the authenticated one: one native comparison, no allocation.
    if (data.length < STREAM_LENGTH_OFFSET + 2) {
      this.refuse(device.ws, 'ws-device', Close.BadMessage, 'bad message: truncated');
      return;
    }
    if (data.compare(device.idBytes, 0, 16, 1, STREAM_LENGTH_OFFSET) !== 0) {
      this.refuse(
        device.ws,
        'ws-device',
        Close.Forbidden,
        'the message names another device than the authenticated one',
      );
      return;
    }
    const known = data[0] === WireType.LiveFrame ? device.streams.find(data) : null;
    if (known) return this.onFrame(device, known, data, STREAM_LENGTH_OFFSET + 1 + known.bytes.length);
    let message: ReturnType<typeof decodeLiveMessage>;
    try {
      message = decodeLiveMessage(data);
    } catch (error) {
      this.refuse(device.ws, 'ws-device', Close.BadMessage, `bad message: ${errorText(error)}`);
      return;
    }
    const stream = device.streams.remember(message.streamId);
    if (!stream) {
      this.refuse(device.ws, 'ws-device', Close.BadMessage, 'too many streams on one device connection');
      return;
    }
    if (message.type === WireType.LiveManifest) return this.onManifest(device, stream, message.payload, data);
    this.onFrame(device, stream, data, data.length - message.payload.length);
  }

  /**
   * `wire` is the received message itself: every viewer gets these bytes, without a copy. The
   * frame starts at `frameOffset`; only its clear header is read.
   */
  private onFrame(device: DeviceConnection, stream: KnownStream, wire: Buffer, frameOffset: number): void {
    const { streamId, streamKey } = stream;
    const frameLength = wire.length - frameOffset;
    if (frameLength > this.deps.config.maxFrameBytes) {
      this.refuse(
        device.ws,
        'ws-device',
        Close.BadMessage,
        `frame larger than ${this.deps.config.maxFrameBytes} bytes`,
      );
      return;
    }
    let keyframe: boolean;
    try {
      keyframe = frameKeyframeAt(wire, frameOffset);
    } catch (error) {
      this.refuse(device.ws, 'ws-device', Close.BadMessage, `bad frame: ${errorText(error)}`);
      return;
    }
    this.deps.metrics.hot.framesIn += 1;
    this.deps.metrics.hot.frameBytesIn += frameLength;
    const deviceId = device.session.id;
    // Only keyframes of streams with an accepted manifest are cached: no viewer could open others.
    if (keyframe && stream.manifest) {
      this.deps.store
        .putKeyframe(deviceId, streamId, wire.subarray(frameOffset), this.deps.retention().ttlMs)
        .catch(() => {
          this.deps.metrics.storeOperations.inc({ operation: 'putKeyframe', outcome: 'error' });
        });
    }
    this.deliverFrame(streamKey, wire, keyframe);
    this.publishLive(deviceId, wire, false);
  }

  private async onManifest(
    device: DeviceConnection,
    stream: KnownStream,
    payload: Uint8Array,
    wire: Uint8Array,
  ): Promise<void> {
    const { streamId } = stream;
    let epoch: number;
    try {
      const manifest = verifyManifest(payload, await device.card);
      if (manifest.streamId !== streamId) throw new Error('manifest is for another stream');
      epoch = manifest.epoch;
    } catch (error) {
      this.refuse(device.ws, 'ws-device', Close.BadMessage, `manifest refused: ${errorText(error)}`);
      return;
    }
    const deviceId = device.session.id;
    const result = await this.deps.store.putManifest(
      deviceId,
      streamId,
      epoch,
      payload,
      this.deps.retention(),
    );
    if (result === 'full' || result === 'quota') {
      device.ws.close(
        Close.OverCapacity,
        `relay storage ${result}; retry-after=${this.deps.config.retryAfterSeconds}`,
      );
      return;
    }
    if (result === 'conflict') {
      this.refuse(
        device.ws,
        'ws-device',
        Close.BadMessage,
        `a different manifest for epoch ${epoch} is stored`,
      );
      return;
    }
    stream.manifest = true;
    this.deliverManifest(stream.streamKey, wire);
    this.publishLive(deviceId, wire, true);
  }

  // ---- fan-out ----

  private deliverFrame(streamKey: string, wire: Uint8Array, keyframe: boolean): void {
    const viewers = this.streamViewers.get(streamKey);
    if (viewers) for (const viewer of viewers) viewer.sendFrame(streamKey, wire, keyframe);
    if (this.deps.faultRate > 0 && this.deps.random() < this.deps.faultRate)
      this.misroute(streamKey, wire, keyframe);
  }

  private deliverManifest(streamKey: string, wire: Uint8Array): void {
    const viewers = this.streamViewers.get(streamKey);
    if (viewers) for (const viewer of viewers) if (!viewer.joining.has(streamKey)) viewer.send(wire);
  }

  /** TEST ONLY: the fan-out mixes up its mapping and hands the frame to another stream's viewer, labelled as theirs. */
  private misroute(streamKey: string, wire: Uint8Array, keyframe: boolean): void {
    const others = [...this.streamViewers.keys()].filter((key) => key !== streamKey);
    if (others.length === 0) return;
    const target = others[Math.floor(this.deps.random() * others.length)]!;
    const [deviceId, streamId] = target.split('/') as [string, string];
    const original = decodeLiveMessage(wire);
    const relabelled = encodeLiveMessage({ ...original, deviceId: fromBase32(deviceId), streamId });
    for (const viewer of this.streamViewers.get(target) ?? []) viewer.sendFrame(target, relabelled, keyframe);
    this.deps.metrics.faultMisroutes.inc({ where: 'fan-out' });
  }

  /**
   * Publishes to other processes only while one of them listens (the bus reports receivers);
   * manifests always go out, and a probe once a second notices new listeners. A process that starts
   * listening gets the cached keyframe from the shared store, so keyframes need not be pushed eagerly.
   */
  private publishLive(deviceId: string, wire: Uint8Array, important: boolean): void {
    if (this.deps.bus.kind === 'local') return;
    const now = Date.now();
    let state = this.remoteReceivers.get(deviceId);
    if (!state) {
      state = { receivers: -1, lastProbe: 0 };
      this.remoteReceivers.set(deviceId, state);
    }
    if (!important && state.receivers === 0) {
      if (now - state.lastProbe < PROBE_INTERVAL_MS) return;
      state.lastProbe = now;
    }
    const tracked = state;
    this.deps.metrics.busPublishes.inc({ kind: important ? 'key' : 'delta' });
    this.deps.bus.publish(channel.device(deviceId), this.busMessage(BusKind.Wire, wire)).then((receivers) => {
      tracked.receivers = receivers;
    });
  }

  private busMessage(kind: number, payload: Uint8Array): Uint8Array {
    const message = new Uint8Array(ORIGIN_BYTES + 1 + payload.length);
    message.set(this.origin);
    message[ORIGIN_BYTES] = kind;
    message.set(payload, ORIGIN_BYTES + 1);
    return message;
  }

  private onBusMessage(message: Uint8Array): void {
    if (message.length <= ORIGIN_BYTES + 1) return;
    if (Buffer.from(message.buffer, message.byteOffset, ORIGIN_BYTES).equals(this.origin)) return;
    const kind = message[ORIGIN_BYTES];
    const payload = message.subarray(ORIGIN_BYTES + 1);
    try {
      if (kind === BusKind.Wire) {
        const wire = decodeLiveMessage(payload);
        const streamKey = `${toBase32(wire.deviceId)}/${wire.streamId}`;
        if (wire.type === WireType.LiveManifest) this.deliverManifest(streamKey, payload);
        else this.deliverFrame(streamKey, payload, parseFrameHeader(wire.payload).keyframe);
      } else if (kind === BusKind.EventNotice) {
        this.deliverEvent(JSON.parse(Buffer.from(payload).toString('utf8')) as EventNotice);
      } else if (kind === BusKind.AccessChanged) {
        this.recheckAccess(Buffer.from(payload).toString('utf8'));
      } else if (kind === BusKind.DeviceNotice) {
        const notice = JSON.parse(Buffer.from(payload).toString('utf8')) as { deviceId: string } & Record<
          string,
          unknown
        >;
        this.devices.get(notice.deviceId)?.ws.send(JSON.stringify(notice.message));
      }
    } catch (error) {
      this.deps.metrics.badInput.inc({ surface: 'bus' });
      this.deps.log.warn({ err: errorText(error) }, 'unreadable bus message');
    }
  }

  /** Subscribes this process to a device's channels while it has a local reason to. */
  private refreshInterest(deviceId: string): void {
    const wantLive = (this.liveInterest.get(deviceId) ?? 0) > 0 && !this.devices.has(deviceId);
    const wantEvents = (this.eventViewers.get(deviceId)?.size ?? 0) > 0 || this.devices.has(deviceId);
    this.setBusSubscription(channel.device(deviceId), wantLive);
    this.setBusSubscription(channel.events(deviceId), wantEvents);
  }

  private setBusSubscription(name: string, wanted: boolean): void {
    if (this.deps.bus.kind === 'local' || wanted === this.busChannels.has(name)) return;
    if (wanted) {
      this.busChannels.add(name);
      this.deps.bus.subscribe(name, this.busListener).catch(() => this.busChannels.delete(name));
    } else {
      this.busChannels.delete(name);
      this.deps.bus.unsubscribe(name, this.busListener).catch(() => {});
    }
  }

  // ---- notices ----

  eventCommitted(notice: EventNotice): void {
    this.deliverEvent(notice);
    if (this.deps.bus.kind !== 'local') {
      const payload = Buffer.from(JSON.stringify(notice));
      this.deps.bus.publish(channel.events(notice.deviceId), this.busMessage(BusKind.EventNotice, payload));
    }
  }

  mailboxChanged(deviceId: string, box: 'pairing' | 'inbox'): void {
    this.notifyDevice(deviceId, { op: 'mailbox', box });
  }

  accessChanged(deviceId: string): void {
    this.recheckAccess(deviceId);
    if (this.deps.bus.kind !== 'local') {
      const payload = Buffer.from(deviceId);
      for (const name of [channel.device(deviceId), channel.events(deviceId)]) {
        this.deps.bus.publish(name, this.busMessage(BusKind.AccessChanged, payload));
      }
    }
  }

  /** Second line of defence: viewers no longer on the device's list stop receiving its feeds. */
  private recheckAccess(deviceId: string): void {
    const viewers = new Set<ViewerConnection>(this.eventViewers.get(deviceId) ?? []);
    for (const [streamKey, set] of this.streamViewers) {
      if (streamKey.startsWith(`${deviceId}/`)) for (const viewer of set) viewers.add(viewer);
    }
    for (const viewer of viewers) {
      this.deps.access(viewer.session, deviceId).then(
        (access) => {
          if (access !== 'none' || viewer.closed) return;
          for (const streamKey of [...viewer.streams])
            if (streamKey.startsWith(`${deviceId}/`)) this.leaveStream(viewer, streamKey);
          this.unwatch(viewer, deviceId);
          viewer.control({ op: 'error', reason: 'grant-revoked', deviceId });
        },
        () => {},
      );
    }
  }

  private notifyDevice(deviceId: string, message: Record<string, unknown>): void {
    const local = this.devices.get(deviceId);
    if (local) local.ws.send(JSON.stringify(message));
    else if (this.deps.bus.kind !== 'local') {
      const payload = Buffer.from(JSON.stringify({ deviceId, message }));
      this.deps.bus.publish(channel.events(deviceId), this.busMessage(BusKind.DeviceNotice, payload));
    }
  }

  private deliverEvent(notice: EventNotice): void {
    for (const viewer of this.eventViewers.get(notice.deviceId) ?? [])
      viewer.control({ op: 'event', ...notice });
  }

  // ---- viewers ----

  private acceptViewer(ws: WebSocket, session: Session, socket: Duplex): void {
    const viewer = new ViewerConnection(
      ws,
      socket,
      session,
      this.deps.config.viewerQueueBytes,
      this.deps.metrics,
      this.deps.config.viewerMessagesPerSecond,
    );
    this.viewers.add(viewer);
    this.deps.metrics.connections.inc({ role: 'viewer' });
    ws.on('message', (data, isBinary) => {
      this.onViewerMessage(viewer, data, isBinary).catch((error: unknown) => {
        this.deps.log.warn({ err: errorText(error) }, 'viewer message failed');
      });
    });
    ws.once('close', () => {
      viewer.closed = true;
      this.deps.metrics.connections.dec({ role: 'viewer' });
      this.viewers.delete(viewer);
      for (const streamKey of [...viewer.streams]) this.leaveStream(viewer, streamKey);
      for (const deviceId of [...viewer.eventFeeds]) this.unwatch(viewer, deviceId);
    });
    viewer.control({ op: 'hello', id: session.id, role: session.role });
  }

  private async onViewerMessage(viewer: ViewerConnection, data: RawData, isBinary: boolean): Promise<void> {
    if (!viewer.rate.allow(Date.now())) {
      this.deps.metrics.admissionRejections.inc({ kind: 'ws-rate' });
      viewer.ws.close(Close.RateLimited, 'rate-limited; retry-after=1');
      return;
    }
    const text = isBinary ? null : Buffer.isBuffer(data) ? data : null;
    if (!text || text.length > CONTROL_MESSAGE_BYTES) {
      this.refuse(
        viewer.ws,
        'ws-viewer',
        Close.BadMessage,
        'viewers send JSON control messages of at most 4 KiB',
      );
      return;
    }
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch {
      this.refuse(viewer.ws, 'ws-viewer', Close.BadMessage, 'control messages are JSON objects');
      return;
    }
    const { op, deviceId, streamId } = message;
    const validDevice = typeof deviceId === 'string' && ID.test(deviceId);
    const validStream = typeof streamId === 'string' && STREAM.test(streamId);
    switch (op) {
      case 'ping':
        viewer.control({ op: 'pong' });
        return;
      case 'subscribe':
      case 'unsubscribe':
        if (!validDevice || !validStream) break;
        if (op === 'subscribe') await this.subscribe(viewer, deviceId as string, streamId as string);
        else this.leaveStream(viewer, `${deviceId}/${streamId}`);
        return;
      case 'watch':
      case 'unwatch':
        if (!validDevice) break;
        if (op === 'watch') await this.watch(viewer, deviceId as string);
        else this.unwatch(viewer, deviceId as string);
        return;
    }
    this.refuse(viewer.ws, 'ws-viewer', Close.BadMessage, 'unknown op or invalid deviceId/streamId');
  }

  /** The cap is checked and the slot reserved before anything is awaited. */
  private withinCap(viewer: ViewerConnection, deviceId: string, streamId?: string): boolean {
    if (viewer.following < this.deps.config.subscriptionsPerConnection) return true;
    viewer.control({ op: 'error', reason: 'too-many-subscriptions', deviceId, streamId });
    return false;
  }

  private async granted(viewer: ViewerConnection, deviceId: string, streamId?: string): Promise<boolean> {
    if ((await this.deps.access(viewer.session, deviceId)) !== 'none') return true;
    viewer.control({
      op: 'error',
      reason: 'no-grant',
      message: 'this device has not registered a grant for you',
      deviceId,
      streamId,
    });
    return false;
  }

  private async subscribe(viewer: ViewerConnection, deviceId: string, streamId: string): Promise<void> {
    const streamKey = `${deviceId}/${streamId}`;
    if (viewer.streams.has(streamKey) || !this.withinCap(viewer, deviceId, streamId)) return;
    viewer.reserve(streamKey);
    let allowed = false;
    try {
      allowed = await this.granted(viewer, deviceId, streamId);
    } finally {
      if (!allowed || viewer.closed || !viewer.streams.has(streamKey)) viewer.leave(streamKey);
    }
    if (!viewer.streams.has(streamKey)) return;
    viewer.registered.add(streamKey);
    let viewers = this.streamViewers.get(streamKey);
    if (!viewers) {
      viewers = new Set();
      this.streamViewers.set(streamKey, viewers);
    }
    viewers.add(viewer);
    this.liveInterest.set(deviceId, (this.liveInterest.get(deviceId) ?? 0) + 1);
    this.refreshInterest(deviceId);
    let manifest: Uint8Array | null;
    let keyframe: Uint8Array | null;
    try {
      [manifest, keyframe] = await Promise.all([
        this.deps.store.getManifest(deviceId, streamId, 'latest'),
        this.deps.store.getKeyframe(deviceId, streamId),
      ]);
    } catch {
      this.leaveStream(viewer, streamKey);
      viewer.control({
        op: 'error',
        reason: 'store-unavailable',
        deviceId,
        streamId,
        retryAfter: this.deps.config.retryAfterSeconds,
      });
      return;
    }
    if (viewer.closed || !viewer.streams.has(streamKey)) return;
    const idBytes = fromBase32(deviceId);
    if (manifest) {
      viewer.send(
        encodeLiveMessage({ type: WireType.LiveManifest, deviceId: idBytes, streamId, payload: manifest }),
      );
    }
    viewer.finishJoin(streamKey);
    if (keyframe && viewer.needsKeyframe(streamKey)) {
      viewer.sendFrame(
        streamKey,
        encodeLiveMessage({ type: WireType.LiveFrame, deviceId: idBytes, streamId, payload: keyframe }),
        true,
      );
    }
    if (!keyframe) this.requestKeyframe(deviceId, streamId);
    viewer.control({
      op: 'subscribed',
      deviceId,
      streamId,
      manifest: Boolean(manifest),
      keyframe: Boolean(keyframe),
    });
  }

  /** At most one keyframe request per stream per second reaches the device. */
  private requestKeyframe(deviceId: string, streamId: string): void {
    const key = `${deviceId}/${streamId}`;
    const now = Date.now();
    if (now - (this.keyframeRequests.get(key) ?? 0) < 1000) return;
    this.keyframeRequests.set(key, now);
    if (this.keyframeRequests.size > 100_000) this.keyframeRequests.clear();
    this.notifyDevice(deviceId, { op: 'keyframe', streamId });
  }

  private leaveStream(viewer: ViewerConnection, streamKey: string): void {
    if (!viewer.streams.has(streamKey)) return;
    const wasRegistered = viewer.registered.has(streamKey);
    viewer.leave(streamKey);
    if (!wasRegistered) return;
    const viewers = this.streamViewers.get(streamKey);
    viewers?.delete(viewer);
    if (viewers?.size === 0) this.streamViewers.delete(streamKey);
    const deviceId = streamKey.slice(0, streamKey.indexOf('/'));
    const count = (this.liveInterest.get(deviceId) ?? 1) - 1;
    if (count > 0) this.liveInterest.set(deviceId, count);
    else this.liveInterest.delete(deviceId);
    this.refreshInterest(deviceId);
  }

  private async watch(viewer: ViewerConnection, deviceId: string): Promise<void> {
    if (viewer.eventFeeds.has(deviceId) || !this.withinCap(viewer, deviceId)) return;
    viewer.eventFeeds.add(deviceId);
    let allowed = false;
    try {
      allowed = await this.granted(viewer, deviceId);
    } finally {
      if (!allowed || viewer.closed) viewer.eventFeeds.delete(deviceId);
    }
    if (!viewer.eventFeeds.has(deviceId)) return;
    let viewers = this.eventViewers.get(deviceId);
    if (!viewers) {
      viewers = new Set();
      this.eventViewers.set(deviceId, viewers);
    }
    viewers.add(viewer);
    this.refreshInterest(deviceId);
    viewer.control({ op: 'watching', deviceId });
  }

  private unwatch(viewer: ViewerConnection, deviceId: string): void {
    if (!viewer.eventFeeds.delete(deviceId)) return;
    const viewers = this.eventViewers.get(deviceId);
    if (!viewers?.delete(viewer)) return;
    if (viewers.size === 0) this.eventViewers.delete(deviceId);
    this.refreshInterest(deviceId);
  }

  // ---- lifecycle ----

  private beat(): void {
    const sockets = [...this.viewers]
      .map((viewer) => viewer.ws)
      .concat([...this.devices.values()].map((d) => d.ws));
    for (const ws of sockets) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  /** Graceful shutdown: every connection is told to come back later (with jitter) elsewhere. */
  close(retryAfterSeconds: number): void {
    clearInterval(this.heartbeat);
    const text = `relay shutting down; retry-after=${retryAfterSeconds}`;
    for (const viewer of this.viewers) viewer.ws.close(Close.GoingAway, text);
    for (const device of this.devices.values()) device.ws.close(Close.GoingAway, text);
  }
}

function errorText(error: unknown): string {
  if (error instanceof SealError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
