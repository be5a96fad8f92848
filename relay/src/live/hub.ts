import type { Duplex } from 'node:stream';
import {
  type DeviceId,
  type EventNotice,
  encodeControl,
  type IdentityCard,
  type RelayToDevice,
} from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { AccessLevel } from '../access.js';
import type { Session } from '../auth/tokens.js';
import type { SessionVerifier } from '../auth/verify-session.js';
import type { Bus } from '../bus/bus.js';
import type { RelayConfig } from '../config/config.js';
import type { Notifier } from '../context.js';
import type { Metrics } from '../ops/metrics.js';
import type { Retention, Store } from '../store/store.js';
import { BusBridge } from './bus-bridge.js';
import { delayingSink } from './delaying-sink.js';
import { DemandLeases } from './demand.js';
import { DeviceIntake } from './device-intake.js';
import { FanOut, type FrameSink } from './fan-out.js';
import { misroutingSink } from './misrouting-sink.js';
import { reconnectWindowSeconds } from './reconnect-window.js';
import { type Renewal, SessionExpiry } from './session-expiry.js';
import { ViewerControl } from './viewer-control.js';

export interface HubDependencies {
  readonly config: RelayConfig;
  readonly store: Store;
  readonly bus: Bus;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly access: (session: Session, deviceId: DeviceId) => Promise<AccessLevel>;
  readonly deviceCard: (deviceId: DeviceId) => Promise<IdentityCard>;
  readonly retention: (session?: Session) => Retention;
  /** TEST ONLY: probability that a frame is also delivered to a subscriber of another stream. */
  readonly faultRate: number;
  /** TEST ONLY: live frames held back this long (the delay-live seam); 0 when it is off. */
  readonly liveDelayMs: number;
  readonly random: () => number;
  /** The relay's one token check (renewals on open connections use it too). */
  readonly verifySession: SessionVerifier;
}

/**
 * The live half of the relay, put together from its parts: device intake (frames and manifests in),
 * the fan-out (the same bytes to every viewer of a stream), the bus bridge (other relay processes)
 * and viewer control (subscriptions, event feeds, access rechecks). The hub routes notices between
 * them and keeps the connections alive.
 */
export class LiveHub implements Notifier {
  private readonly fanOut = new FanOut();
  /** Where device intake and the bus bridge hand live messages: the fan-out, or the fault seam around it. */
  readonly frameSink: FrameSink;
  private readonly bus: BusBridge;
  private readonly devices: DeviceIntake;
  private readonly viewers: ViewerControl;
  private readonly demand: DemandLeases;
  private readonly alive = new WeakSet<WebSocket>();
  private readonly expiries = new WeakMap<WebSocket, SessionExpiry>();
  private readonly verifySession: SessionVerifier;
  private readonly handshakeRate: number;
  /** The reconnect window last told to every connection (heartbeat). */
  private toldWindow = 1;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly log: FastifyBaseLogger;

  constructor(deps: HubDependencies) {
    this.log = deps.log;
    this.verifySession = deps.verifySession;
    this.handshakeRate = deps.config.handshakeRate;
    const renew = (ws: WebSocket, token: string) => this.renew(ws, token);
    // The fault seam wraps the fan-out only when it is on: otherwise frames go to it directly.
    const sink: FrameSink =
      deps.faultRate > 0
        ? misroutingSink(this.fanOut, deps.faultRate, deps.random, deps.metrics)
        : deps.liveDelayMs > 0
          ? delayingSink(this.fanOut, deps.liveDelayMs)
          : this.fanOut;
    this.frameSink = sink;
    this.bus = new BusBridge({
      bus: deps.bus,
      metrics: deps.metrics,
      log: deps.log,
      sink,
      deliverEvent: (notice) => this.fanOut.deliverEvent(notice),
      accessChanged: (deviceId) => this.viewers.recheckAccess(deviceId),
      toLocalDevice: (deviceId, message) => this.devices.send(deviceId, message),
    });
    this.devices = new DeviceIntake({
      ...deps,
      sink,
      bus: this.bus,
      presenceChanged: (deviceId) => this.presenceChanged(deviceId),
      renew,
    });
    this.demand = new DemandLeases({
      watchedStreams: () => this.fanOut.streamKeys(),
      notifyDevice: (deviceId, message) => this.notifyDevice(deviceId, message),
    });
    this.viewers = new ViewerControl({
      ...deps,
      fanOut: this.fanOut,
      interestChanged: (deviceId) => this.refreshInterest(deviceId),
      requestKeyframe: (deviceId, streamId) => this.notifyDevice(deviceId, { op: 'keyframe', streamId }),
      askClock: (deviceId, streamId, nonce) => this.notifyDevice(deviceId, { op: 'clock', streamId, nonce }),
      streamWatched: (deviceId, streamId) => this.demand.watched(deviceId, streamId),
      renew,
    });
    this.heartbeat = setInterval(() => this.beat(), 30_000);
    this.heartbeat.unref();
  }

  get connections(): { devices: number; viewers: number } {
    return { devices: this.devices.count, viewers: this.viewers.count };
  }

  /** A WebSocket whose token was verified at the upgrade. */
  async accept(ws: WebSocket, session: Session, socket: Duplex): Promise<void> {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', (error) => this.log.debug({ err: error.message }, 'websocket error'));
    this.expiries.set(ws, new SessionExpiry(ws, session, this.verifySession));
    if (session.role === 'device') this.devices.accept(ws, session);
    else this.viewers.accept(ws, session, socket);
    this.tellWindow(ws, this.reconnectWindow());
  }

  /** How long a fleet that lost this process needs to come back through its admission (seconds). */
  reconnectWindow(): number {
    const { devices, viewers } = this.connections;
    return reconnectWindowSeconds(devices + viewers, this.handshakeRate);
  }

  private tellWindow(ws: WebSocket, seconds: number): void {
    if (ws.readyState === ws.OPEN) ws.send(encodeControl({ op: 'reconnect', seconds }));
  }

  private renew(ws: WebSocket, token: string): Renewal {
    const expiry = this.expiries.get(ws);
    return expiry ? expiry.renew(token) : { renewed: false, reason: 'bad-message' };
  }

  // ---- notices (Notifier) ----

  eventCommitted(notice: EventNotice): void {
    this.fanOut.deliverEvent(notice);
    this.bus.publishEvent(notice);
  }

  mailboxChanged(deviceId: DeviceId, box: 'pairing' | 'inbox'): void {
    this.notifyDevice(deviceId, { op: 'mailbox', box });
  }

  accessChanged(deviceId: DeviceId): void {
    this.viewers.recheckAccess(deviceId);
    this.bus.publishAccessChanged(deviceId);
  }

  private notifyDevice(deviceId: DeviceId, message: RelayToDevice): void {
    if (!this.devices.send(deviceId, message)) this.bus.publishDeviceNotice(deviceId, message);
  }

  /** A device connected here learns that leases are granted, and gets those of its watched streams. */
  private presenceChanged(deviceId: DeviceId): void {
    this.refreshInterest(deviceId);
    if (!this.devices.has(deviceId)) return;
    this.demand.announce(deviceId);
    this.demand.renewDevice(deviceId);
  }

  /** Subscribes this process to a device's channels while it has a local reason to. */
  private refreshInterest(deviceId: DeviceId): void {
    const here = this.devices.has(deviceId);
    this.bus.setInterest(deviceId, {
      live: this.fanOut.hasLiveViewers(deviceId) && !here,
      events: this.fanOut.hasEventViewers(deviceId) || here,
    });
  }

  // ---- lifecycle ----

  private beat(): void {
    // A window that changed since every connection was told is told again (at most one small
    // message per connection per heartbeat, next to its ping).
    const window = this.reconnectWindow();
    const tell = window !== this.toldWindow;
    if (tell) this.toldWindow = window;
    for (const ws of [...this.viewers.sockets(), ...this.devices.sockets()]) {
      if (tell) this.tellWindow(ws, window);
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
    this.demand.close();
    // Clients spread their return over the reconnect window they were told, after this wait.
    this.viewers.closeAll(retryAfterSeconds);
    this.devices.closeAll(retryAfterSeconds);
  }
}
