import { createAuthProof, formatId, fromBase64Url, type Identity, toBase64Url } from '@sealcam/protocol';
import { parseRetryAfter, RelayError } from './relay-error.js';

export interface RelayResponse {
  readonly status: number;
  readonly bytes: Uint8Array;
  json<T>(): T;
}

const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Every answer the agent expects is small (tokens, inbox and pairing messages of a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Reads a response body, refusing (without buffering it) one larger than `limit`. */
async function readCapped(response: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new RelayError(response.status, 'too-large', `relay answer of ${declared} bytes refused`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      let part: Awaited<ReturnType<typeof reader.read>>;
      try {
        part = await reader.read();
      } catch (error) {
        throw new RelayError(0, 'unreachable', `relay answer cut off: ${(error as Error).message}`);
      }
      if (part.done) break;
      total += part.value.length;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw new RelayError(response.status, 'too-large', `relay answer above ${limit} bytes refused`);
      }
      chunks.push(part.value);
    }
  }
  return Buffer.concat(chunks);
}

/**
 * The agent's authenticated HTTP session with its relay. The auth proof is bound to the relay URL
 * the agent is configured with, never to an origin the relay names (a relay in the middle cannot
 * have the agent sign for another relay). Tokens are renewed before they expire and once on a 401.
 */
export class RelaySession {
  private token: { value: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;
  readonly deviceId: string;

  constructor(
    readonly relayUrl: string,
    private readonly identity: Identity,
    private readonly timeoutMs = 30_000,
  ) {
    this.deviceId = formatId(identity.card.id);
  }

  get liveUrl(): string {
    return `${this.relayUrl.replace(/^http/, 'ws')}/v1/live`;
  }

  /** A valid session token (authenticating when there is none or it is about to expire). */
  async bearer(): Promise<string> {
    if (this.token && this.token.expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now()) return this.token.value;
    this.pending ??= this.authenticate().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  invalidate(): void {
    this.token = null;
  }

  private async authenticate(): Promise<string> {
    const challenge = await this.send('POST', '/v1/auth/challenge', undefined, null);
    const { challenge: value } = challenge.json<{ challenge: string }>();
    const proof = createAuthProof(this.identity, this.relayUrl, fromBase64Url(value));
    const response = await this.send(
      'POST',
      '/v1/auth/token',
      { challenge: value, proof: toBase64Url(proof) },
      null,
    );
    const { token, expiresAt } = response.json<{ token: string; expiresAt: number }>();
    this.token = { value: token, expiresAt };
    return token;
  }

  /**
   * An authenticated request. Resolves for 2xx (and for the statuses in `allow`); throws a
   * RelayError otherwise, carrying the relay's reason and Retry-After.
   */
  async request(
    method: string,
    path: string,
    body?: Uint8Array | Record<string, unknown>,
    allow: readonly number[] = [],
  ): Promise<RelayResponse> {
    try {
      return await this.send(method, path, body, await this.bearer(), allow);
    } catch (error) {
      if (!(error instanceof RelayError) || error.status !== 401) throw error;
      this.invalidate();
      return this.send(method, path, body, await this.bearer(), allow);
    }
  }

  private async send(
    method: string,
    path: string,
    body: Uint8Array | Record<string, unknown> | undefined,
    token: string | null,
    allow: readonly number[] = [],
  ): Promise<RelayResponse> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      payload = body;
    } else if (body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(`${this.relayUrl}${path}`, {
        method,
        headers,
        body: payload ?? null,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RelayError(0, 'unreachable', `relay unreachable: ${(error as Error).message}`);
    }
    const bytes = await readCapped(response, MAX_RESPONSE_BYTES);
    const result: RelayResponse = {
      status: response.status,
      bytes,
      json: <T>() => JSON.parse(new TextDecoder().decode(bytes)) as T,
    };
    if (response.ok || allow.includes(response.status)) return result;
    let reason = `http-${response.status}`;
    let message = response.statusText;
    try {
      const parsed = result.json<{ error?: string; message?: string }>();
      reason = parsed.error ?? reason;
      message = parsed.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new RelayError(
      response.status,
      reason,
      `${method} ${path}: ${response.status} ${reason}: ${message}`,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
}
