import type { Duplex } from 'node:stream';
import {
  type ViewerControl as ControlMessage,
  type DeviceId,
  decodeViewerControl,
  encodeLiveMessage,
  fromBase32,
  type RelayReason,
  type StreamId,
  WireType,
} from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { AccessLevel } from '../access.js';
import type { Session, ViewerSession } from '../auth/tokens.js';
import type { RelayConfig } from '../config/config.js';
import type { Metrics } from '../ops/metrics.js';
import type { Store } from '../store/store.js';
import { closeWith, refuse } from './close.js';
import { errorText } from './error-text.js';
import { deviceOfStreamKey, type FanOut, streamKeyOf } from './fan-out.js';
import type { Renewal } from './session-expiry.js';
import { ViewerConnection } from './viewer-connection.js';

export interface ViewerControlDependencies {
  readonly config: RelayConfig;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly access: (session: Session, deviceId: DeviceId) => Promise<AccessLevel>;
  readonly fanOut: FanOut;
  /** What this process follows of a device changed (bus subscriptions follow). */
  readonly interestChanged: (deviceId: DeviceId) => void;
  /** Asks the device (wherever it is connected) for a keyframe. */
  readonly requestKeyframe: (deviceId: DeviceId, streamId: StreamId) => void;
  /** A viewer started watching the stream (its device is asked to upload it live). */
  readonly streamWatched: (deviceId: DeviceId, streamId: StreamId) => void;
  /** Passes a viewer's clock question to the device (wherever it is connected). */
  readonly askClock: (deviceId: DeviceId, streamId: StreamId, nonce: string) => void;
  /** An in-band session renewal (`renew`) on this connection (session-expiry.ts). */
  readonly renew: (ws: WebSocket, token: string) => Renewal;
}

/** A viewer may put one clock question per joined stream through to the device this often (§6.8). */
export const CLOCK_QUESTION_MS = 1000;

/**
 * Viewers' control messages (one decoder: the protocol's `decodeViewerControl`): subscribe to a
 * stream, watch a device's events, and the access rechecks that end feeds.
 */
export class ViewerControl {
  private readonly viewers = new Set<ViewerConnection>();
  private readonly keyframeRequests = new Map<string, number>();

  constructor(private readonly deps: ViewerControlDependencies) {}

  get count(): number {
    return this.viewers.size;
  }

  sockets(): WebSocket[] {
    return [...this.viewers].map((viewer) => viewer.ws);
  }

  accept(ws: WebSocket, session: ViewerSession, socket: Duplex): void {
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
      this.onMessage(viewer, data, isBinary).catch((error: unknown) => {
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
    viewer.control({ op: 'hello', id: session.id, role: 'viewer' });
  }

  private async onMessage(viewer: ViewerConnection, data: RawData, isBinary: boolean): Promise<void> {
    if (!viewer.rate.allow(Date.now())) {
      this.deps.metrics.admissionRejections.inc({ kind: 'ws-rate' });
      closeWith(viewer.ws, 'rate-limited', 1);
      return;
    }
    let message: ControlMessage;
    try {
      if (isBinary || !Buffer.isBuffer(data)) throw new Error('not a text message');
      message = decodeViewerControl(data);
    } catch {
      refuse(viewer.ws, this.deps.metrics, 'ws-viewer', 'bad-message');
      return;
    }
    switch (message.op) {
      case 'ping':
        return viewer.control({ op: 'pong' });
      case 'subscribe':
        return this.subscribe(viewer, message.deviceId, message.streamId);
      case 'unsubscribe':
        return this.leaveStream(viewer, streamKeyOf(message.deviceId, message.streamId));
      case 'watch':
        return this.watch(viewer, message.deviceId);
      case 'unwatch':
        return this.unwatch(viewer, message.deviceId);
      case 'clock':
        return this.askClock(viewer, message.deviceId, message.streamId, message.nonce);
      case 'renew': {
        const renewal = this.deps.renew(viewer.ws, message.token);
        if (!renewal.renewed) return refuse(viewer.ws, this.deps.metrics, 'ws-viewer', renewal.reason);
        return viewer.control({ op: 'renewed', expiresAt: renewal.expiresAt });
      }
    }
  }

  private refusal(
    viewer: ViewerConnection,
    reason: RelayReason,
    deviceId: DeviceId,
    streamId: StreamId | undefined,
    extra: { message?: string; retryAfter?: number } = {},
  ): void {
    viewer.control({ op: 'error', reason, deviceId, ...(streamId ? { streamId } : {}), ...extra });
  }

  /** The cap is checked and the slot reserved before anything is awaited. */
  private withinCap(viewer: ViewerConnection, deviceId: DeviceId, streamId?: StreamId): boolean {
    if (viewer.following < this.deps.config.subscriptionsPerConnection) return true;
    this.refusal(viewer, 'too-many-subscriptions', deviceId, streamId);
    return false;
  }

  private async granted(viewer: ViewerConnection, deviceId: DeviceId, streamId?: StreamId): Promise<boolean> {
    if ((await this.deps.access(viewer.session, deviceId)) !== 'none') return true;
    this.refusal(viewer, 'no-grant', deviceId, streamId, {
      message: 'this device has not registered a grant for you',
    });
    return false;
  }

  private async subscribe(viewer: ViewerConnection, deviceId: DeviceId, streamId: StreamId): Promise<void> {
    const streamKey = streamKeyOf(deviceId, streamId);
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
    this.deps.fanOut.addStreamViewer(viewer, deviceId, streamKey);
    this.deps.interestChanged(deviceId);
    this.deps.streamWatched(deviceId, streamId);
    let manifest: Uint8Array | null;
    let keyframe: Uint8Array | null;
    try {
      [manifest, keyframe] = await Promise.all([
        this.deps.store.getManifest(deviceId, streamId, 'latest'),
        this.deps.store.getKeyframe(deviceId, streamId),
      ]);
    } catch {
      this.leaveStream(viewer, streamKey);
      this.refusal(viewer, 'store-unavailable', deviceId, streamId, {
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

  /**
   * Only for a stream this connection has joined, at most once per CLOCK_QUESTION_MS per stream: a
   * viewer's questions cost the device a signature (which it also caps, and batches). Others are
   * dropped unanswered and counted; the viewer asks again when no answer comes.
   */
  private askClock(viewer: ViewerConnection, deviceId: DeviceId, streamId: StreamId, nonce: string): void {
    const streamKey = streamKeyOf(deviceId, streamId);
    const now = performance.now(); // monotonic: a wall clock stepped back must not mute a viewer
    if (
      !viewer.registered.has(streamKey) ||
      viewer.joining.has(streamKey) ||
      now - (viewer.clockAskedAt.get(streamKey) ?? Number.NEGATIVE_INFINITY) < CLOCK_QUESTION_MS
    ) {
      this.deps.metrics.admissionRejections.inc({ kind: 'clock-question' });
      return;
    }
    viewer.clockAskedAt.set(streamKey, now);
    this.deps.askClock(deviceId, streamId, nonce);
  }

  /** At most one keyframe request per stream per second reaches the device. */
  private requestKeyframe(deviceId: DeviceId, streamId: StreamId): void {
    const key = streamKeyOf(deviceId, streamId);
    const now = Date.now();
    if (now - (this.keyframeRequests.get(key) ?? 0) < 1000) return;
    this.keyframeRequests.set(key, now);
    if (this.keyframeRequests.size > 100_000) this.keyframeRequests.clear();
    this.deps.requestKeyframe(deviceId, streamId);
  }

  private leaveStream(viewer: ViewerConnection, streamKey: string): void {
    if (!viewer.streams.has(streamKey)) return;
    const wasRegistered = viewer.registered.has(streamKey);
    viewer.leave(streamKey);
    if (!wasRegistered) return;
    const deviceId = deviceOfStreamKey(streamKey);
    this.deps.fanOut.removeStreamViewer(viewer, deviceId, streamKey);
    this.deps.interestChanged(deviceId);
  }

  private async watch(viewer: ViewerConnection, deviceId: DeviceId): Promise<void> {
    if (viewer.eventFeeds.has(deviceId) || !this.withinCap(viewer, deviceId)) return;
    viewer.eventFeeds.add(deviceId);
    let allowed = false;
    try {
      allowed = await this.granted(viewer, deviceId);
    } finally {
      if (!allowed || viewer.closed) viewer.eventFeeds.delete(deviceId);
    }
    if (!viewer.eventFeeds.has(deviceId)) return;
    this.deps.fanOut.addEventViewer(viewer, deviceId);
    this.deps.interestChanged(deviceId);
    viewer.control({ op: 'watching', deviceId });
  }

  private unwatch(viewer: ViewerConnection, deviceId: DeviceId): void {
    if (!viewer.eventFeeds.delete(deviceId)) return;
    if (!this.deps.fanOut.removeEventViewer(viewer, deviceId)) return;
    this.deps.interestChanged(deviceId);
  }

  /** Second line of defence: viewers no longer on the device's list stop receiving its feeds. */
  recheckAccess(deviceId: DeviceId): void {
    for (const viewer of this.deps.fanOut.followersOf(deviceId)) {
      this.deps.access(viewer.session, deviceId).then(
        (access) => {
          if (access !== 'none' || viewer.closed) return;
          for (const streamKey of [...viewer.streams])
            if (streamKey.startsWith(`${deviceId}/`)) this.leaveStream(viewer, streamKey);
          this.unwatch(viewer, deviceId);
          this.refusal(viewer, 'grant-revoked', deviceId, undefined);
        },
        () => {},
      );
    }
  }

  /** Graceful shutdown. */
  closeAll(retryAfterSeconds: number): void {
    for (const viewer of this.viewers) closeWith(viewer.ws, 'draining', retryAfterSeconds);
  }
}
