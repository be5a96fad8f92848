import {
  CLOCK_PROOF_MAX_BYTES,
  type DeviceId,
  decodeDeviceControl,
  decodeLiveMessage,
  encodeControl,
  frameKeyframeAt,
  fromBase32,
  type IdentityCard,
  parseClockProof,
  type RelayToDevice,
  verifyManifest,
  WireType,
} from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { DeviceSession } from '../auth/tokens.js';
import type { RelayConfig } from '../config/config.js';
import type { Metrics } from '../ops/metrics.js';
import type { PutResult, Retention, Store } from '../store/store.js';
import type { BusBridge } from './bus-bridge.js';
import { type CloseReason, closeWith, refuse } from './close.js';
import { errorText } from './error-text.js';
import type { FrameSink } from './fan-out.js';
import { MessageRate } from './message-rate.js';
import type { Renewal } from './session-expiry.js';
import { type KnownStream, STREAM_LENGTH_OFFSET, StreamCache } from './stream-cache.js';

/**
 * Clock proofs a device connection may have forwarded: MessageRate lets twice this through in each
 * one-second window (20); more are dropped and counted. The agent signs at most 10 a second (§6.8).
 */
export const CLOCK_PROOFS_PER_SECOND = 10;

export interface DeviceIntakeDependencies {
  readonly config: RelayConfig;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly deviceCard: (deviceId: DeviceId) => Promise<IdentityCard>;
  /** With the device's session: its writes are charged to the home its token names. */
  readonly retention: (session: DeviceSession) => Retention;
  readonly sink: FrameSink;
  readonly bus: BusBridge;
  /** A device connected to or left this process. */
  readonly presenceChanged: (deviceId: DeviceId) => void;
  /** An in-band session renewal (`renew`) on this connection (session-expiry.ts). */
  readonly renew: (ws: WebSocket, token: string) => Renewal;
}

interface DeviceConnection {
  readonly ws: WebSocket;
  readonly deviceId: DeviceId;
  readonly idBytes: Buffer;
  readonly card: Promise<IdentityCard>;
  readonly rate: MessageRate;
  /** Clock proofs forwarded (they reach every viewer of the stream, unstored: capped apart). */
  readonly clockRate: MessageRate;
  /** Set while a message (a manifest) is being handled asynchronously. */
  pending: Promise<void> | null;
  readonly streams: StreamCache;
  /** What its manifests and keyframes are charged as (its session's home). */
  readonly retention: Retention;
}

/**
 * Devices publish sealed frames and manifests. Frames are parsed only as far as the clear header
 * (keyframe flag) and handed on as the received bytes; only keyframes and manifests are stored.
 */
export class DeviceIntake {
  private readonly devices = new Map<DeviceId, DeviceConnection>();

  constructor(private readonly deps: DeviceIntakeDependencies) {}

  get count(): number {
    return this.devices.size;
  }

  has(deviceId: DeviceId): boolean {
    return this.devices.has(deviceId);
  }

  sockets(): WebSocket[] {
    return [...this.devices.values()].map((device) => device.ws);
  }

  /** Sends a control message to the device if it is connected here; false if it is not. */
  send(deviceId: DeviceId, message: RelayToDevice): boolean {
    const device = this.devices.get(deviceId);
    device?.ws.send(encodeControl(message));
    return device !== undefined;
  }

  accept(ws: WebSocket, session: DeviceSession): void {
    const deviceId = session.id;
    // The listener is attached before anything is awaited, so no early message is lost.
    const device: DeviceConnection = {
      ws,
      deviceId,
      idBytes: Buffer.from(fromBase32(deviceId)),
      card: this.deps.deviceCard(deviceId),
      rate: new MessageRate(this.deps.config.wsMessagesPerSecond),
      clockRate: new MessageRate(CLOCK_PROOFS_PER_SECOND),
      pending: null,
      streams: new StreamCache(deviceId),
      retention: this.deps.retention(session),
    };
    device.card.catch(() => closeWith(ws, 'reauthenticate'));
    ws.on('message', (data, isBinary) => this.enqueue(device, data, isBinary));
    const previous = this.devices.get(deviceId);
    if (previous) closeWith(previous.ws, 'replaced');
    this.devices.set(deviceId, device);
    this.deps.metrics.connections.inc({ role: 'device' });
    this.deps.presenceChanged(deviceId);
    ws.once('close', () => {
      this.deps.metrics.connections.dec({ role: 'device' });
      if (this.devices.get(deviceId) === device) {
        this.devices.delete(deviceId);
        this.deps.bus.forgetDevice(deviceId);
      }
      this.deps.presenceChanged(deviceId);
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
      closeWith(device.ws, 'rate-limited', 1);
      return;
    }
    // The per-frame path allocates nothing here: only async work (a manifest) is chained.
    const work = device.pending
      ? device.pending.then(() => this.onMessage(device, data, isBinary))
      : this.onMessage(device, data, isBinary);
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

  private refuse(device: DeviceConnection, reason: CloseReason): void {
    refuse(device.ws, this.deps.metrics, 'ws-device', reason);
  }

  private onMessage(device: DeviceConnection, data: RawData, isBinary: boolean): Promise<void> | void {
    if (!Buffer.isBuffer(data)) return this.refuse(device, 'bad-message');
    if (!isBinary) return this.onControl(device, data);
    if (data.length < STREAM_LENGTH_OFFSET + 2) return this.refuse(device, 'bad-message');
    // The device id must be the authenticated one: one native comparison, no allocation.
    if (data.compare(device.idBytes, 0, 16, 1, STREAM_LENGTH_OFFSET) !== 0)
      return this.refuse(device, 'wrong-device');
    const known = data[0] === WireType.LiveFrame ? device.streams.find(data) : null;
    if (known) return this.onFrame(device, known, data, STREAM_LENGTH_OFFSET + 1 + known.bytes.length);
    let message: ReturnType<typeof decodeLiveMessage>;
    try {
      message = decodeLiveMessage(data);
    } catch {
      return this.refuse(device, 'bad-message');
    }
    const stream = device.streams.remember(message.streamId);
    if (!stream) return this.refuse(device, 'too-many-streams');
    if (message.type === WireType.LiveManifest) return this.onManifest(device, stream, message.payload, data);
    if (message.type === WireType.LiveClock) return this.onClock(device, stream, message.payload, data);
    this.onFrame(device, stream, data, data.length - message.payload.length);
  }

  /** A text message: the one control message a device sends, `renew` (PROTOCOL.md §16.2). */
  private onControl(device: DeviceConnection, data: Buffer): void {
    let token: string;
    try {
      token = decodeDeviceControl(data).token;
    } catch {
      this.refuse(device, 'bad-message');
      return;
    }
    const renewal = this.deps.renew(device.ws, token);
    if (renewal.renewed) device.ws.send(encodeControl({ op: 'renewed', expiresAt: renewal.expiresAt }));
    else this.refuse(device, renewal.reason);
  }

  /**
   * `wire` is the received message itself: every viewer gets these bytes, without a copy. The
   * frame starts at `frameOffset`; only its clear header is read.
   */
  private onFrame(device: DeviceConnection, stream: KnownStream, wire: Buffer, frameOffset: number): void {
    const { streamId, streamKey } = stream;
    const frameLength = wire.length - frameOffset;
    if (frameLength > this.deps.config.maxFrameBytes) {
      this.refuse(device, 'too-large');
      return;
    }
    let keyframe: boolean;
    try {
      keyframe = frameKeyframeAt(wire, frameOffset);
    } catch {
      this.refuse(device, 'invalid-frame');
      return;
    }
    this.deps.metrics.hot.framesIn += 1;
    this.deps.metrics.hot.frameBytesIn += frameLength;
    const { deviceId } = device;
    // Only keyframes of streams with an accepted manifest are cached: no viewer could open others.
    // The cache is best effort (the next keyframe replaces it): one not cached is only counted.
    if (keyframe && stream.manifest) {
      const { metrics } = this.deps;
      this.deps.store
        .putKeyframe(deviceId, streamId, wire.subarray(frameOffset), Date.now(), device.retention)
        .then(
          (result) => {
            if (result !== 'stored')
              metrics.storeRefusals.inc({
                kind: 'keyframe',
                reason: result === 'full' ? 'relay-full' : 'quota',
              });
          },
          () => metrics.storeRefusals.inc({ kind: 'keyframe', reason: 'error' }),
        );
    }
    this.deps.sink.deliverFrame(streamKey, wire, keyframe);
    this.deps.bus.publishLive(deviceId, streamKey, wire, keyframe ? 'keyframe' : 'frame');
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
    } catch {
      return this.refuse(device, 'invalid-manifest');
    }
    const { deviceId } = device;
    const { metrics, config } = this.deps;
    let result: PutResult;
    try {
      result = await this.deps.store.putManifest(
        deviceId,
        streamId,
        epoch,
        payload,
        Date.now(),
        device.retention,
      );
    } catch (error) {
      // Never a silent drop: the device learns the manifest was not stored, and retries later.
      metrics.storeRefusals.inc({ kind: 'manifest', reason: 'error' });
      this.deps.log.warn({ err: errorText(error) }, 'manifest not stored');
      closeWith(device.ws, 'store-unavailable', config.retryAfterSeconds);
      return;
    }
    if (result === 'full' || result === 'quota') {
      const reason = result === 'full' ? 'relay-full' : 'quota';
      metrics.storeRefusals.inc({ kind: 'manifest', reason });
      closeWith(device.ws, reason, config.retryAfterSeconds);
      return;
    }
    if (result === 'conflict') return this.refuse(device, 'conflict');
    stream.manifest = true;
    this.deps.sink.deliverSigned(stream.streamKey, wire);
    this.deps.bus.publishLive(deviceId, stream.streamKey, wire, 'signed');
  }

  /**
   * A clock proof (PROTOCOL.md §6.8) goes to the stream's viewers as it came. The relay checks its
   * layout and signer id only: viewers verify the signature, and a proof answers only their nonces.
   */
  private onClock(device: DeviceConnection, stream: KnownStream, payload: Uint8Array, wire: Buffer): void {
    try {
      if (payload.length > CLOCK_PROOF_MAX_BYTES) throw new Error('clock proof too long');
      if (!device.idBytes.equals(parseClockProof(payload).deviceId)) throw new Error('another device');
    } catch {
      this.refuse(device, 'bad-message');
      return;
    }
    if (!device.clockRate.allow(Date.now())) {
      this.deps.metrics.admissionRejections.inc({ kind: 'clock-proof' });
      return;
    }
    this.deps.sink.deliverSigned(stream.streamKey, wire);
    this.deps.bus.publishLive(device.deviceId, stream.streamKey, wire, 'signed');
  }

  /** Graceful shutdown. */
  closeAll(retryAfterSeconds: number): void {
    for (const device of this.devices.values()) closeWith(device.ws, 'draining', retryAfterSeconds);
  }
}
