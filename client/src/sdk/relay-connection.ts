import {
  createAuthProof,
  decodeLiveMessage,
  formatId,
  fromBase64Url,
  type Identity,
  toBase64Url,
} from '@sealcam/protocol';
import { ViewerError } from './errors.js';

/** The part of the WebSocket API the SDK uses: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = new (url: string, protocols: string[]) => WebSocketLike;

export interface LiveMessageHandler {
  onBinary(message: ReturnType<typeof decodeLiveMessage>): void;
  onControl(message: Record<string, unknown>): void;
}

const OPEN = 1;

/**
 * One relay, as this viewer sees it: password-less authentication (the proof is signed for the
 * relay URL the viewer paired with, never for one the relay names), HTTP with the session token,
 * and one live WebSocket shared by every subscription, reconnected with backoff and full jitter.
 */
export class RelayConnection {
  private token: { value: string; expiresAt: number } | null = null;
  private pendingToken: Promise<string> | null = null;
  private socket: WebSocketLike | null = null;
  private connecting: Promise<void> | null = null;
  private readonly wanted = new Set<string>();
  private readonly handlers = new Set<LiveMessageHandler>();
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    readonly relayUrl: string,
    private readonly identity: Identity,
    private readonly WebSocketImpl: WebSocketFactory | undefined,
  ) {}

  private async authenticate(): Promise<string> {
    const challenge = await this.fetchJson<{ challenge: string }>('POST', '/v1/auth/challenge');
    const proof = createAuthProof(this.identity, this.relayUrl, fromBase64Url(challenge.challenge));
    const token = await this.fetchJson<{ token: string; expiresAt: number }>('POST', '/v1/auth/token', {
      challenge: challenge.challenge,
      proof: toBase64Url(proof),
    });
    this.token = { value: token.token, expiresAt: token.expiresAt };
    return token.token;
  }

  async bearer(): Promise<string> {
    if (this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token.value;
    this.pendingToken ??= this.authenticate().finally(() => {
      this.pendingToken = null;
    });
    return this.pendingToken;
  }

  private async fetchJson<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.raw(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? {} : { 'content-type': 'application/json' },
    );
    return JSON.parse(new TextDecoder().decode(response.bytes)) as T;
  }

  private async raw(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string>,
  ): Promise<{ status: number; bytes: Uint8Array }> {
    let response: Response;
    try {
      response = await fetch(`${this.relayUrl}${path}`, {
        method,
        headers,
        body: (body ?? null) as BodyInit | null,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ViewerError('UNREACHABLE', 'relay', (error as Error).message);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.ok || response.status === 204) return { status: response.status, bytes };
    let reason = `http-${response.status}`;
    let message = response.statusText;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { error?: string; message?: string };
      reason = parsed.error ?? reason;
      message = parsed.message ?? message;
    } catch {
      // not JSON
    }
    const code = reason === 'no-grant' ? 'NO_GRANT' : 'RELAY_ERROR';
    throw new ViewerError(
      code,
      'relay',
      `${method} ${path}: ${response.status} ${reason}: ${message}`,
      response.status,
    );
  }

  /** An authenticated request; re-authenticates once on 401. */
  async request(
    method: string,
    path: string,
    body?: Uint8Array,
  ): Promise<{ status: number; bytes: Uint8Array }> {
    const send = async () =>
      this.raw(method, path, body, {
        authorization: `Bearer ${await this.bearer()}`,
        ...(body ? { 'content-type': 'application/octet-stream' } : {}),
      });
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof ViewerError) || error.status !== 401) throw error;
      this.token = null;
      return send();
    }
  }

  async json<T>(path: string): Promise<T> {
    const response = await this.request('GET', path);
    return JSON.parse(new TextDecoder().decode(response.bytes)) as T;
  }

  // ---- live ----

  addHandler(handler: LiveMessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Sends a control message now and again after every reconnect (subscribe, watch). */
  want(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    this.wanted.add(text);
    this.ensureLive();
    if (this.socket?.readyState === OPEN) this.socket.send(text);
  }

  unwant(message: Record<string, unknown>, undo: Record<string, unknown>): void {
    this.wanted.delete(JSON.stringify(message));
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(undo));
    if (this.wanted.size === 0) this.socket?.close(1000, 'no subscriptions');
  }

  /** Sends `undo` then `message` again (e.g. unsubscribe + subscribe to get the cached manifest). */
  resend(message: Record<string, unknown>, undo: Record<string, unknown>): void {
    if (this.socket?.readyState !== OPEN) return;
    this.socket.send(JSON.stringify(undo));
    this.socket.send(JSON.stringify(message));
  }

  private ensureLive(): void {
    if (this.closed || this.socket || this.connecting || this.reconnectTimer) return;
    this.connecting = this.openLive()
      .catch(() => this.scheduleReconnect())
      .finally(() => {
        this.connecting = null;
      });
  }

  private async openLive(): Promise<void> {
    if (!this.WebSocketImpl) throw new Error('no WebSocket implementation (pass one to Viewer.open in Node)');
    const token = await this.bearer();
    const url = `${this.relayUrl.replace(/^http/, 'ws')}/v1/live`;
    const socket = new this.WebSocketImpl(url, ['sealcam.v1', `bearer.${token}`]);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error('live connection failed'));
      socket.onclose = () => {
        this.socket = null;
        reject(new Error('live connection refused'));
      };
    });
    this.failures = 0;
    socket.onerror = () => undefined;
    socket.onmessage = (event) => this.dispatch(event.data);
    socket.onclose = (event) => {
      this.socket = null;
      if (event.code === 4401) this.token = null;
      if (!this.closed && this.wanted.size > 0) this.scheduleReconnect();
    };
    for (const text of this.wanted) socket.send(text);
  }

  private dispatch(data: unknown): void {
    if (typeof data === 'string') {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(data) as Record<string, unknown>;
      } catch {
        return;
      }
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

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.failures++;
    const cap = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 10));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensureLive();
    }, Math.random() * cap);
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.close(1000, 'viewer closed');
    this.socket = null;
  }

  static deviceKey(deviceId: Uint8Array, streamId: string): string {
    return `${formatId(deviceId)}/${streamId}`;
  }
}
