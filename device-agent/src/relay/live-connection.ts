import {
  CONTROL_MESSAGE_BYTES,
  decodeRelayToDevice,
  parseErrorBody,
  RETRY_SPREAD_HEADER,
  RelayClose,
  type RelayToDevice,
} from '@sealcam/protocol';
import {
  AbortedError,
  hintedDelay,
  type LiveClose,
  LiveSessionKeeper,
  liveClosed,
  liveProtocols,
  liveRefused,
  liveUrl,
  RelayError,
  type RelaySession,
  retryWithBackoff,
  sleep,
} from '@sealcam/relay-client';
import WebSocket from 'ws';
import type { Logger } from '../log.js';

export type LiveState = 'connecting' | 'connected' | 'stopped';

export interface LiveConnectionEvents {
  /** The socket is open: send each stream's current manifest first (relay rule). */
  onOpen(send: (bytes: Uint8Array) => void): void;
  /**
   * A control message from the relay (`mailbox`, `keyframe`, `demand`), decoded by the protocol's
   * decoder. Messages the relay sends right after the upgrade may come before onOpen.
   */
  onControl(message: RelayToDevice): void;
  /** A new connection is being made: what the relay said on the previous one no longer holds. */
  onConnecting?(): void;
  onStateChange?(state: LiveState): void;
  /** The relay closed the connection (before the reconnect), with its parsed reason. */
  onClose?(close: LiveClose): void;
}

/** Frames waiting in the socket beyond this are dropped at the source (the relay would drop them anyway). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** A connection that lived shorter than this counts as a failure for the next delay. */
const STABLE_AFTER_MS = 30_000;
const HANDSHAKE_TIMEOUT_MS = 15_000;
/*
 * The relay sends a device nothing but JSON control messages (`mailbox`, `keyframe`) as text, each at
 * most CONTROL_MESSAGE_BYTES; frames flow from the device only. A larger message is not the relay's
 * (ws closes the connection with 1009 and the agent reconnects).
 */
const MAX_INCOMING_BYTES = CONTROL_MESSAGE_BYTES;
/** An upgrade refusal's JSON body is `{ error, message }` with a short message: read no more of it. */
const MAX_REFUSAL_BYTES = 4096;

/**
 * The device's WebSocket to the relay's /v1/live, kept open for as long as the agent runs: it
 * reconnects with exponential backoff and full jitter, honours the relay's back-off hints (HTTP 503
 * Retry-After at the upgrade, `retry-after=N` in close reasons) and re-authenticates on 4401/401.
 * While open, it renews its session in band before the token expires (SessionRenewal), so it is not
 * closed at the expiry.
 */
export class LiveConnection {
  private socket: WebSocket | null = null;
  /**
   * In-band renewal of the open connection, and the relay's reconnect window: after a drop with no
   * hint, the first attempt comes at a random point within it (a fleet returns at the pace admitted).
   */
  private readonly keeper: LiveSessionKeeper;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  state: LiveState = 'connecting';
  lastError: string | null = null;
  connectedSince: number | null = null;
  reconnects = 0;

  constructor(
    private readonly session: RelaySession,
    private readonly events: LiveConnectionEvents,
    private readonly log: Logger,
    private readonly backoff: { startingDelayMs: number; maxDelayMs: number } = {
      startingDelayMs: 1000,
      maxDelayMs: 60_000,
    },
    /** Where the socket connects from (default: the system's choice); bench:storm gives each home its own. */
    private readonly localAddress?: string,
  ) {
    this.keeper = new LiveSessionKeeper(session);
  }

  start(): void {
    this.loop ??= this.run().catch((error) => {
      if (!(error instanceof AbortedError))
        this.log.error({ err: String(error) }, 'live connection loop ended');
    });
  }

  /**
   * True when sent; false when disconnected or, for a frame, when the socket is backed up (the
   * frame is dropped). Manifests are never dropped while connected: frames of an epoch are useless
   * to viewers without it.
   */
  send(bytes: Uint8Array, kind: 'frame' | 'manifest' = 'frame'): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    if (kind === 'frame' && socket.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    socket.send(bytes, { binary: true });
    return true;
  }

  /**
   * Drops the connection at once, as a network change does (no closing handshake), and lets the loop
   * connect again with its usual backoff and jitter. Nothing happens while not connected.
   */
  reconnect(): void {
    this.socket?.terminate();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close(1000, 'agent stopping');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
    socket?.terminate();
    this.setState('stopped');
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    this.events.onStateChange?.(state);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let shortLived = 0;
    let first = true;
    /** The wait before this attempt was already spread over the reconnect window. */
    let spread = false;
    while (!signal.aborted) {
      this.setState('connecting');
      const startingDelayMs = Math.min(
        this.backoff.maxDelayMs,
        this.backoff.startingDelayMs * 2 ** Math.min(shortLived, 16),
      );
      const socket = await retryWithBackoff(() => this.connectOnce(), {
        signal,
        startingDelayMs,
        maxDelayMs: this.backoff.maxDelayMs,
        delayFirstAttempt: !first && !spread,
        // A 404 or 400 at the upgrade (a proxy during a deploy, a confused relay) must not end live
        // video for months: every failure is retried, at most maxDelayMs apart.
        retryAll: true,
        // A relay-wide refusal with a hint (503 at the token or the upgrade) spreads over its window.
        windowMs: () => this.keeper.reconnectWindowMs,
        onRetry: (error, attempt) => {
          this.lastError = (error as Error).message;
          this.log.warn(
            { attempt, reason: (error as Error).message },
            'relay connection failed; backing off',
          );
        },
      });
      first = false;
      spread = false;
      const openedAt = Date.now();
      const closed = await this.serve(socket);
      if (signal.aborted) return;
      this.reconnects++;
      shortLived = Date.now() - openedAt < STABLE_AFTER_MS ? shortLived + 1 : 0;
      // Parses `<reason>[; retry-after=N]` and forgets a token the relay refused (4401).
      const close = liveClosed(this.session, closed.code, closed.text);
      const { code, text: reason } = close;
      this.lastError = `closed ${code}${reason ? ` ${reason}` : ''}`;
      this.events.onClose?.(close);
      const replaced = close.reason === 'replaced';
      const level =
        replaced || code === RelayClose.Forbidden || code === RelayClose.BadMessage ? 'error' : 'warn';
      this.log[level](
        { code, reason },
        replaced
          ? 'relay connection replaced by another connection of this device (is a second agent running with this identity?)'
          : 'relay connection closed; reconnecting',
      );
      if (close.retryAfterMs !== null)
        await sleep(hintedDelay(close.retryAfterMs, this.keeper.windowFor(close.reason)), signal).catch(
          () => undefined,
        );
      else if (shortLived === 0) {
        // A connection that had lived dropped: come back somewhere in the window the relay gave.
        await sleep(Math.random() * this.keeper.reconnectWindowMs, signal).catch(() => undefined);
        spread = true;
      }
    }
  }

  private async connectOnce(): Promise<WebSocket> {
    const protocols = await liveProtocols(this.session);
    this.events.onConnecting?.();
    return new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(liveUrl(this.session.relayUrl), protocols, {
        perMessageDeflate: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        maxPayload: MAX_INCOMING_BYTES,
        ...(this.localAddress ? { localAddress: this.localAddress } : {}),
      });
      // At once, not when serving starts: the relay may speak in the same packet as the upgrade's
      // answer, before the promise below resolves (a message without a listener is lost).
      socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
      socket.once('unexpected-response', (_request, response) => {
        // The refusal's JSON body names the reason; read a little of it, then give up the socket.
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const refuse = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          socket.terminate();
          let reason: RelayError['reason'] = null;
          try {
            reason = parseErrorBody(JSON.parse(Buffer.concat(chunks).toString('utf8'))).reason;
          } catch {
            // not JSON (a proxy's page): the status decides
          }
          const hints = {
            retryAfter: response.headers['retry-after'] as string | undefined,
            retrySpread: response.headers[RETRY_SPREAD_HEADER] as string | undefined,
          };
          reject(liveRefused(this.session, response.statusCode ?? 0, hints, reason));
        };
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_REFUSAL_BYTES) chunks.push(chunk);
        });
        response.once('end', refuse);
        response.once('error', refuse);
        response.once('close', refuse);
        const timer = setTimeout(refuse, HANDSHAKE_TIMEOUT_MS);
      });
      socket.once('error', (error) =>
        reject(new RelayError({ kind: 'unreachable', message: `live: ${error.message}` })),
      );
      socket.once('open', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
    });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: RelayToDevice;
    try {
      message = decodeRelayToDevice(String(data));
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'unreadable control message from the relay');
      return;
    }
    if (!this.keeper.take(message)) this.events.onControl(message);
  }

  private serve(socket: WebSocket): Promise<{ code: number; text: string }> {
    return new Promise((resolve) => {
      this.socket = socket;
      socket.on('error', (error) => {
        this.lastError = error.message;
      });
      socket.once('close', (code, reason) => {
        this.keeper.closed();
        this.socket = null;
        this.connectedSince = null;
        resolve({ code, text: reason.toString() });
      });
      this.connectedSince = Date.now();
      this.lastError = null;
      // The token the upgrade offered is the session's: the connection lasts until its expiry unless renewed.
      this.keeper.opened(socket);
      this.setState('connected');
      this.events.onOpen((bytes) => socket.send(bytes, { binary: true }));
    });
  }
}
