/**
 * Fan-out between relay processes over Redis pub/sub: sharded (SSUBSCRIBE/SPUBLISH) on Redis >= 7,
 * classic (SUBSCRIBE/PUBLISH) before. One publisher and one dedicated subscriber connection.
 *
 * Each message is framed as [1: version][16: origin id of the publishing bus][payload], so a process
 * subscribed to a channel it also publishes on does not hear itself (its local subscribers are
 * served by the live hub directly) and `publish` counts only the other processes' subscriptions.
 *
 * Listeners are reference-counted per channel: the first `subscribe` of a channel subscribes the
 * connection, the last `unsubscribe` unsubscribes it. Operations on one channel run one at a time.
 * node-redis resubscribes every channel when the subscriber reconnects; a channel left subscribed
 * after an unsubscribe that could not reach Redis is unsubscribed at the next reconnection.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { closeBounded, connectBounded, type RedisClient, redisClientOptions } from '../store/redis-store.js';
import type { Bus, BusListener } from './bus.js';

export interface RedisBusOptions {
  readonly url: string;
  /** Prepended to every channel name; default '' (the channel names are already namespaced). */
  readonly keyPrefix?: string | undefined;
  /** Bound of the initial connection and of each (re)connection attempt; default 5000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /** Connection errors and listener exceptions. Messages carry no content bytes. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/** 2: the bridge's routing header replaced its own origin (live/bus-bridge.ts); 1 is ignored. */
const FRAME_VERSION = 2;
const ORIGIN_BYTES = 16;
const HEADER_BYTES = 1 + ORIGIN_BYTES;
/** Bound of a SUBSCRIBE/UNSUBSCRIBE round trip (node-redis puts no timeout on these). */
const SUBSCRIPTION_BOUND_MS = 5000;
const CLOSE_BOUND_MS = 2000;
/**
 * Publishes sent and not yet answered, at most, in number and in bytes: beyond, a publish is dropped
 * (-1) at once. This bounds what a stalled Redis connection holds (node-redis' command timeout would
 * not: it ends only a command's wait to be written, yet arms an AbortSignal timer for every
 * PUBLISH, on every frame; the publisher runs with none). Droppable messages (live frames) may use
 * only DROPPABLE_SHARE of either bound: the rest is kept for manifests and notices.
 */
export const MAX_PENDING_PUBLISHES = 2048;
export const MAX_PENDING_PUBLISH_BYTES = 64 * 1024 * 1024;
export const DROPPABLE_SHARE = 0.75;

interface ChannelState {
  readonly listeners: Set<BusListener>;
  /** Tail of the operations on this channel (never rejects). */
  queue: Promise<void>;
}

function noop(): void {}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Resolves with the promise, or rejects when it has not settled within the bound. */
function bounded<T>(promise: Promise<T>, boundMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${boundMs} ms`)), boundMs);
  });
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}

export class RedisBus implements Bus {
  readonly kind = 'redis';
  private readonly origin = randomBytes(ORIGIN_BYTES);
  private readonly channels = new Map<string, ChannelState>();
  private closed = false;
  private pending = 0;
  private pendingBytes = 0;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    /** True when SSUBSCRIBE/SPUBLISH are used. */
    readonly sharded: boolean,
    private readonly prefix: string,
    private readonly onError: (error: Error) => void,
  ) {
    // 'ready' follows every (re)connection, after node-redis has resubscribed.
    subscriber.on('ready', () => this.reconcile());
  }

  isReady(): boolean {
    return !this.closed && this.publisher.isReady && this.subscriber.isReady;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    await Promise.all([
      closeBounded(this.publisher, CLOSE_BOUND_MS),
      closeBounded(this.subscriber, CLOSE_BOUND_MS),
    ]);
  }

  /** Never rejects: -1 when Redis is unreachable, the pending bound is reached or the bus is closed. */
  async publish(channel: string, parts: readonly Uint8Array[], droppable = false): Promise<number> {
    let length = HEADER_BYTES;
    for (const part of parts) length += part.byteLength;
    const share = droppable ? DROPPABLE_SHARE : 1;
    if (
      this.closed ||
      this.pending >= MAX_PENDING_PUBLISHES * share ||
      this.pendingBytes + length > MAX_PENDING_PUBLISH_BYTES * share
    )
      return -1;
    this.pending++;
    this.pendingBytes += length;
    try {
      const name = this.prefix + channel;
      // The one copy of the message on this side: node-redis writes the buffer as it is.
      const framed = Buffer.allocUnsafe(length);
      framed[0] = FRAME_VERSION;
      this.origin.copy(framed, 1);
      let at = HEADER_BYTES;
      for (const part of parts) {
        framed.set(part, at);
        at += part.byteLength;
      }
      // This process's own subscription (if any) receives the message too; it is not counted.
      const own = this.subscriber.isReady && this.subscribedInRedis(name) ? 1 : 0;
      const receivers = await this.publisher.sendCommand<number>([
        this.sharded ? 'SPUBLISH' : 'PUBLISH',
        name,
        framed,
      ]);
      return Math.max(0, Number(receivers) - own);
    } catch {
      return -1;
    } finally {
      this.pending--;
      this.pendingBytes -= length;
    }
  }

  /**
   * Resolves once the process is subscribed (at once for a channel it already listens to).
   * Rejects, with nothing registered, when the first subscription of a channel cannot reach Redis.
   */
  subscribe(channel: string, listener: BusListener): Promise<void> {
    return this.serial(channel, async (state) => {
      if (this.closed) throw new Error('the bus is closed');
      if (state.listeners.has(listener)) return;
      if (!this.subscribedInRedis(this.prefix + channel)) await this.redisSubscribe(channel);
      state.listeners.add(listener);
    });
  }

  /** Never rejects; delivery stops once the earlier operations on the channel are done (at once, usually). */
  unsubscribe(channel: string, listener: BusListener): Promise<void> {
    return this.serial(channel, async (state) => {
      if (!state.listeners.delete(listener) || state.listeners.size > 0) return;
      await this.redisUnsubscribe(channel);
    }).catch(noop);
  }

  /** Runs the operations on one channel one after another. */
  private serial(channel: string, operation: (state: ChannelState) => Promise<void>): Promise<void> {
    let state = this.channels.get(channel);
    if (!state) {
      state = { listeners: new Set(), queue: Promise.resolve() };
      this.channels.set(channel, state);
    }
    const current = state;
    const run = current.queue.then(() => operation(current));
    const tail = run.then(noop, noop);
    current.queue = tail;
    void tail.then(() => {
      if (current.queue === tail && current.listeners.size === 0 && this.channels.get(channel) === current) {
        this.channels.delete(channel);
      }
    });
    return run;
  }

  private pubSubType(): 'SHARDED' | 'CHANNELS' {
    return this.sharded ? 'SHARDED' : 'CHANNELS';
  }

  /** Whether node-redis holds (and so resubscribes) a subscription of the connection to `name`. */
  private subscribedInRedis(name: string): boolean {
    const entry = this.subscriber.getPubSubListeners(this.pubSubType()).get(name);
    return entry !== undefined && !entry.unsubscribing;
  }

  private async redisSubscribe(channel: string): Promise<void> {
    if (!this.subscriber.isReady) throw new Error('the Redis bus is not connected');
    const name = this.prefix + channel;
    const subscribing = this.sharded
      ? this.subscriber.sSubscribe(name, this.dispatch, true)
      : this.subscriber.subscribe(name, this.dispatch, true);
    try {
      await bounded(subscribing, SUBSCRIPTION_BOUND_MS, 'subscribe');
    } catch (error) {
      // Should it complete later, do not keep a subscription nobody listens to.
      subscribing.then(() => this.dropIfIdle(channel), noop);
      throw error;
    }
  }

  private async redisUnsubscribe(channel: string): Promise<void> {
    const name = this.prefix + channel;
    // While disconnected, the subscription is dropped when the subscriber is ready again.
    if (!this.subscriber.isReady || !this.subscribedInRedis(name)) return;
    const unsubscribing = this.sharded
      ? this.subscriber.sUnsubscribe(name, this.dispatch, true)
      : this.subscriber.unsubscribe(name, this.dispatch, true);
    await bounded(unsubscribing, SUBSCRIPTION_BOUND_MS, 'unsubscribe').catch(noop);
  }

  private dropIfIdle(channel: string): void {
    if (this.closed) return;
    void this.serial(channel, async (state) => {
      if (state.listeners.size === 0) await this.redisUnsubscribe(channel);
    }).catch(noop);
  }

  /** After a reconnection: unsubscribe the channels that lost their last listener meanwhile. */
  private reconcile(): void {
    if (this.closed) return;
    for (const name of [...this.subscriber.getPubSubListeners(this.pubSubType()).keys()]) {
      if (!name.startsWith(this.prefix)) continue;
      const channel = name.slice(this.prefix.length);
      if (!this.channels.get(channel)?.listeners.size) this.dropIfIdle(channel);
    }
  }

  /** Called by node-redis for every message, synchronously in its parser: must never throw. */
  private readonly dispatch = (message: Buffer, name: Buffer): void => {
    try {
      const channel = name.toString().slice(this.prefix.length);
      const state = this.channels.get(channel);
      if (!state || state.listeners.size === 0) return;
      if (message.length < HEADER_BYTES || message[0] !== FRAME_VERSION) return;
      if (this.origin.equals(message.subarray(1, HEADER_BYTES))) return;
      // A plain Uint8Array view (no copy) of the payload.
      const payload = new Uint8Array(
        message.buffer,
        message.byteOffset + HEADER_BYTES,
        message.byteLength - HEADER_BYTES,
      );
      for (const listener of [...state.listeners]) {
        try {
          listener(payload, channel);
        } catch (error) {
          this.onError(asError(error));
        }
      }
    } catch (error) {
      this.onError(asError(error));
    }
  };
}

async function serverMajorVersion(client: RedisClient): Promise<number> {
  const info = String(await client.sendCommand(['INFO', 'server']));
  const match = /^redis_version:(\d+)\./m.exec(info);
  return match ? Number(match[1]) : 0;
}

export async function createRedisBus(options: RedisBusOptions): Promise<RedisBus> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const onError = (error: unknown) => {
    try {
      options.onError?.(asError(error));
    } catch {
      // A failing error handler must not take the connection down.
    }
  };
  // The publisher has no command timeout (MAX_PENDING_PUBLISHES bounds it instead); the subscriber's
  // SUBSCRIBE/UNSUBSCRIBE round trips are bounded one by one (SUBSCRIPTION_BOUND_MS).
  const publisher = createClient(
    redisClientOptions({ url: options.url, connectTimeoutMs, commandTimeoutMs: 0 }),
  );
  const subscriber = publisher.duplicate();
  // node-redis emits 'error' on every failed (re)connection; unhandled, it would crash the process.
  publisher.on('error', onError);
  subscriber.on('error', onError);
  try {
    await Promise.all([
      connectBounded(publisher, connectTimeoutMs, 'bus publisher'),
      connectBounded(subscriber, connectTimeoutMs, 'bus subscriber'),
    ]);
    const sharded = (await bounded(serverMajorVersion(publisher), connectTimeoutMs, 'INFO')) >= 7;
    return new RedisBus(publisher, subscriber, sharded, options.keyPrefix ?? '', onError);
  } catch (error) {
    await Promise.all([closeBounded(publisher, CLOSE_BOUND_MS), closeBounded(subscriber, CLOSE_BOUND_MS)]);
    throw error;
  }
}
