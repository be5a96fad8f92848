import type { DeviceId, EventNotice, IdentityCard, ViewerId } from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import type { AccessLevel } from './access.js';
import type { Session, TokenIssuer } from './auth/tokens.js';
import type { SessionVerifier } from './auth/verify-session.js';
import type { Bus } from './bus/bus.js';
import type { RelayConfig } from './config/config.js';
import type { Admission, KeyedRateLimit } from './http/admission.js';
import type { NewDeviceLimit } from './http/new-devices.js';
import type { UploadBudget } from './http/upload-budget.js';
import type { Metrics } from './ops/metrics.js';
import type { Retention, Store } from './store/store.js';
import type { VerifiedCache } from './verified-cache.js';

export interface Notifier {
  /** A committed event: tell subscribed viewers, here and on other relay processes. */
  eventCommitted(notice: EventNotice): void;
  /** Something waits in a device's mailbox (pairing request, grant): tell the device if connected. */
  mailboxChanged(deviceId: DeviceId, box: 'pairing' | 'inbox'): void;
  /** A device stored a new access list: viewers no longer on it lose their live feeds, everywhere. */
  accessChanged(deviceId: DeviceId): void;
}

export interface RelayContext {
  readonly config: RelayConfig;
  readonly store: Store;
  readonly bus: Bus;
  readonly tokens: TokenIssuer;
  /** The one token check, shared by HTTP routes (auth plugin) and the WebSocket upgrade. */
  readonly verifySession: SessionVerifier;
  readonly admission: Admission;
  readonly requestLimit: KeyedRateLimit;
  /** Auth challenges per client address. */
  readonly sourceLimit: KeyedRateLimit;
  /** Device identities logging in for the first time, per client address. */
  readonly newDevices: NewDeviceLimit;
  /** Upload body bytes being received, relay-wide and per client address. */
  readonly uploads: UploadBudget;
  /** The opaque tag a source address is stored as (a device's home, fair-share.ts). */
  sourceTag(source: string): string;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly notifier: Notifier;
  /** The origin auth proofs are bound to (known once the server listens). */
  origin(): string;
  /**
   * Retention and quotas; with a device's session, also the home its writes are charged to and the
   * per-home quota (fair-share.ts).
   */
  retention(session?: Session): Retention;
  now(): number;
  /** The verified identity card of an id that authenticated, or null. */
  card(id: DeviceId | ViewerId): Promise<IdentityCard | null>;
  /** Cards (and access-list verdicts) verified before, bounded in bytes. */
  readonly verified: VerifiedCache;
  /** Whether the viewer (or the device itself) may read the device's objects; owner for deletes. */
  access(session: Session, deviceId: DeviceId): Promise<AccessLevel>;
}
