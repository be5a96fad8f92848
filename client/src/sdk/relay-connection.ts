import {
  decodeLiveMessage,
  decodeRelayToViewer,
  encodeControl,
  type Identity,
  type KeyHolder,
  type RelayReason,
  type RelayToViewer,
  type ViewerControl,
} from '@sealcam/protocol';
import {
  hintedDelay,
  LiveSessionKeeper,
  type LiveSocket,
  type LiveSocketFactory,
  liveClosed,
  openLiveSocket,
  RelayError,
  type RelayResponse,
  RelaySession,
  SOCKET_OPEN,
} from '@sealcam/relay-client';
import { viewerErrorFrom } from './errors.js';

/** The part of the WebSocket API the SDK uses: the browser's, or `ws` in Node. */
export type WebSocketLike = LiveSocket;
export type WebSocketFactory = LiveSocketFactory;

export interface LiveMessageHandler {
  onBinary(message: ReturnType<typeof decodeLiveMessage>): void;
  onControl(message: RelayToViewer): void;
}

/** Clip chunks and events are the largest answers a viewer reads. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export type LiveState = 'idle' | 'online' | 'offline';

/**
 * One relay, as this viewer sees it: the relay client's session (password-less authentication
 * signed for the relay URL the viewer paired with, never for one the relay names; token renewal),
 * and one live WebSocket shared by every subscription, reconnected with backoff and full jitter,
 * its session renewed in band before the token expires (so it is not closed at the expiry).
 */
export class RelayConnection {
  private readonly session: RelaySession;
  private socket: LiveSocket | null = null;
  /** In-band renewal of the open socket; the relay's reconnect window the first return after a drop is spread over. */
  private readonly keeper: LiveSessionKeeper;
  private connecting: Promise<void> | null = null;
  private readonly wanted = new Set<string>();
  private readonly handlers = new Set<LiveMessageHandler>();
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private state: LiveState = 'idle';
  private readonly stateListeners = new Set<(state: LiveState) => void>();

  constructor(
    readonly relayUrl: string,
    identity: Identity | KeyHolder,
    private readonly WebSocketImpl: WebSocketFactory | undefined,
  ) {
    this.session = new RelaySession(relayUrl, identity, { maxResponseBytes: MAX_RESPONSE_BYTES });
    this.keeper = new LiveSessionKeeper(this.session);
  }

  bearer(): Promise<string> {
    return this.session.bearer();
  }

  /** An authenticated request; a relay refusal becomes a ViewerError about the relay. */
  async request(method: string, path: string, body?: Uint8Array): Promise<RelayResponse> {
    try {
      return await this.session.request(method, path, body);
    } catch (error) {
      throw viewerErrorFrom(error);
    }
  }

  async json<T>(path: string): Promise<T> {
    const response = await this.request('GET', path);
    try {
      return response.json<T>();
    } catch (error) {
      throw viewerErrorFrom(error);
    }
  }

  // ---- live ----

  /**
   * The live connection as the views should show it: `online` (open, or closed and about to be
   * opened again), `offline` (an attempt to connect failed while something was subscribed; retried
   * with backoff), or `idle` (not needed).
   */
  get liveState(): LiveState {
    return this.state;
  }

  /** Calls `listener` on every change of `liveState`; returns the function that stops it. */
  onLiveState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  addHandler(handler: LiveMessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Sends a control message now and again after every reconnect (subscribe, watch). */
  want(message: ViewerControl): void {
    const text = encodeControl(message);
    this.wanted.add(text);
    this.ensureLive();
    if (this.socket?.readyState === SOCKET_OPEN) this.socket.send(text);
  }

  unwant(message: ViewerControl, undo: ViewerControl): void {
    this.wanted.delete(encodeControl(message));
    if (this.socket?.readyState === SOCKET_OPEN) this.socket.send(encodeControl(undo));
    if (this.wanted.size === 0) this.socket?.close(1000, 'no subscriptions');
  }

  /** Sends a control message once if connected (a clock question); dropped otherwise. */
  sendNow(message: ViewerControl): void {
    if (this.socket?.readyState === SOCKET_OPEN) this.socket.send(encodeControl(message));
  }

  /** Sends `undo` then `message` again (e.g. unsubscribe + subscribe to get the cached manifest). */
  resend(message: ViewerControl, undo: ViewerControl): void {
    if (this.socket?.readyState !== SOCKET_OPEN) return;
    this.socket.send(encodeControl(undo));
    this.socket.send(encodeControl(message));
  }

  private ensureLive(): void {
    if (this.closed || this.socket || this.connecting || this.reconnectTimer) return;
    this.connecting = this.openLive()
      .catch((error: unknown) => {
        this.setState('offline');
        // A refusal the relay gave a hint with (Retry-After) is waited out like a close that says so.
        this.scheduleReconnect(
          error instanceof RelayError && error.retryAfterMs !== null
            ? { retryAfterMs: error.retryAfterMs, reason: error.reason }
            : null,
        );
      })
      .finally(() => {
        this.connecting = null;
      });
  }

  private async openLive(): Promise<void> {
    if (!this.WebSocketImpl) throw new Error('no WebSocket implementation (pass one to Viewer.open in Node)');
    const socket = await openLiveSocket(this.session, this.WebSocketImpl);
    if (this.closed) {
      socket.close(1000, 'viewer closed');
      return;
    }
    this.socket = socket;
    this.failures = 0;
    this.setState('online');
    // The upgrade offered the session's token: the connection lasts until its expiry unless renewed.
    this.keeper.opened(socket);
    socket.onerror = () => undefined;
    socket.onmessage = (event) => this.dispatch(event.data);
    socket.onclose = (event) => {
      this.keeper.closed();
      this.socket = null;
      // Forgets the token when the relay asks for a new one (4401).
      const close = liveClosed(this.session, event.code, event.reason);
      // Not offline yet: a token renewal (4401) or a relay restart closes too. Offline is said when
      // the next attempt to connect fails.
      if (!this.closed && this.wanted.size > 0)
        this.scheduleReconnect(
          close.retryAfterMs === null ? null : { retryAfterMs: close.retryAfterMs, reason: close.reason },
        );
      else this.setState('idle');
    };
    for (const text of this.wanted) socket.send(text);
  }

  private dispatch(data: unknown): void {
    if (typeof data === 'string') {
      let message: RelayToViewer;
      try {
        message = decodeRelayToViewer(data);
      } catch {
        return; // not a control message this version knows: ignored
      }
      if (this.keeper.take(message)) return;
      for (const handler of this.handlers) handler.onControl(message);
      return;
    }
    let decoded: ReturnType<typeof decodeLiveMessage>;
    try {
      decoded = decodeLiveMessage(new Uint8Array(data as ArrayBuffer));
    } catch {
      return; // not even a live message: nothing to route
    }
    for (const handler of this.handlers) handler.onBinary(decoded);
  }

  /** Full jitter over a doubling cap; at least the relay's hint (plus up to as much again) when it gave one. */
  private scheduleReconnect(
    hint: { readonly retryAfterMs: number; readonly reason: RelayReason | null } | null,
  ): void {
    if (this.closed || this.reconnectTimer) return;
    this.failures++;
    // The first return after a connection that was open is spread over the relay's reconnect window.
    const cap = Math.max(
      Math.min(30_000, 500 * 2 ** Math.min(this.failures, 10)),
      this.failures === 1 ? this.keeper.reconnectWindowMs : 0,
    );
    const delay =
      hint === null
        ? Math.random() * cap
        : hintedDelay(hint.retryAfterMs, this.keeper.windowFor(hint.reason));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensureLive();
    }, delay);
  }

  close(): void {
    this.closed = true;
    this.keeper.closed();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.close(1000, 'viewer closed');
    this.socket = null;
  }
}
