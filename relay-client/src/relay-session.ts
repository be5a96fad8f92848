import {
  authProofBody,
  type DeviceId,
  formatId,
  fromBase64Url,
  type Identity,
  type KeyHolder,
  memoryKeyHolder,
  parseDeviceId,
  parseErrorBody,
  parseViewerId,
  RETRY_SPREAD_HEADER,
  Role,
  signedWith,
  toBase64Url,
  type ViewerId,
} from '@sealcam/protocol';
import { readCapped } from './read-body.js';
import { RelayError } from './relay-error.js';
import { parseRetryAfter, parseRetrySpread } from './retry-after.js';

export interface RelayResponse {
  readonly status: number;
  readonly bytes: Uint8Array;
  /** The body as JSON; a body that is not JSON is a RelayError `malformed`. */
  json<T>(): T;
}

/** Binary uploads travel as application/octet-stream, anything else as JSON. */
export type RequestBody = Uint8Array | Readonly<Record<string, unknown>>;

export interface RelaySessionOptions {
  /** Per HTTP request (default 30 s). */
  readonly timeoutMs?: number;
  /** Larger answers are refused without being buffered (default 1 MiB). */
  readonly maxResponseBytes?: number;
  /** A token this close to its expiry is renewed before use (default 60 s). */
  readonly refreshMarginMs?: number;
  /** The clock the token's expiry is compared with (default Date.now). */
  readonly now?: () => number;
  /**
   * What sends each HTTP exchange (default: the global fetch); e.g. one whose dispatcher connects
   * from a chosen source address (a gateway with several, or bench:storm's homes).
   */
  readonly fetch?: typeof fetch;
}

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

const decoder = new TextDecoder();

/**
 * An authenticated HTTP session with one relay, for a device or a viewer. The auth proof is bound
 * to the relay URL this session was configured with, never to an origin the relay names (a relay
 * in the middle cannot have the client sign for another relay). Concurrent callers share one
 * authentication; the token is renewed before it expires, and once on a 401 that asks for it.
 */
export class RelaySession {
  private token: Token | null = null;
  private pending: Promise<Token> | null = null;
  /** The identity's id: a device id for a device's session, a viewer id for a viewer's. */
  readonly id: DeviceId | ViewerId;
  /** How many times this session authenticated (challenge → proof → token). */
  authentications = 0;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly keys: KeyHolder;

  constructor(
    readonly relayUrl: string,
    identity: Identity | KeyHolder,
    options: RelaySessionOptions = {},
  ) {
    this.keys = 'signBody' in identity ? identity : memoryKeyHolder(identity);
    const id = formatId(identity.card.id);
    this.id = identity.card.role === Role.Device ? parseDeviceId(id) : parseViewerId(id);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.now = options.now ?? Date.now;
    // Not `fetch` itself: a browser's fetch called as a method of this session throws "Illegal
    // invocation"; and the global is looked up at each call, as before.
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** A valid session token (authenticating when there is none or it is about to expire). */
  async bearer(): Promise<string> {
    if (this.token && this.token.expiresAt - this.refreshMarginMs > this.now()) return this.token.value;
    return (await this.authenticating()).value;
  }

  /** Forgets the token: the next request authenticates again. */
  invalidate(): void {
    this.token = null;
  }

  /** The expiry of the token held (ms since the epoch), or null when none is. */
  get expiresAt(): number | null {
    return this.token?.expiresAt ?? null;
  }

  /**
   * Authenticates again now, whatever the token held (a live connection's in-band renewal), and keeps
   * the new token for later requests. Concurrent callers share one authentication.
   */
  async fresh(): Promise<{ token: string; expiresAt: number }> {
    const token = await this.authenticating();
    return { token: token.value, expiresAt: token.expiresAt };
  }

  private authenticating(): Promise<Token> {
    this.pending ??= this.authenticate().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async authenticate(): Promise<Token> {
    const challenge = await this.send('POST', '/v1/auth/challenge', undefined, null);
    const value = field(challenge.json<Record<string, unknown>>(), 'challenge', 'string');
    const proof = await signedWith(
      this.keys,
      authProofBody(this.keys.card, this.relayUrl, fromBase64Url(value)),
    );
    const reply = (
      await this.send('POST', '/v1/auth/token', { challenge: value, proof: toBase64Url(proof) }, null)
    ).json<Record<string, unknown>>();
    const token = { value: field(reply, 'token', 'string'), expiresAt: field(reply, 'expiresAt', 'number') };
    this.token = token;
    this.authentications++;
    return token;
  }

  /**
   * An authenticated request. Resolves for 2xx (and for the statuses in `allow`); throws a
   * RelayError otherwise. A refused token is renewed and the request sent again, once.
   */
  async request(
    method: string,
    path: string,
    body?: RequestBody,
    allow: readonly number[] = [],
  ): Promise<RelayResponse> {
    try {
      return await this.send(method, path, body, await this.bearer(), allow);
    } catch (error) {
      if (!(error instanceof RelayError) || !error.needsReauth) throw error;
      this.invalidate();
      return this.send(method, path, body, await this.bearer(), allow);
    }
  }

  /** GET `path` and parse its JSON answer. */
  async json<T>(path: string): Promise<T> {
    return (await this.request('GET', path)).json<T>();
  }

  /**
   * An authenticated request whose raw answer, of any status, the caller reads itself (a front
   * passing answers on, a test inspecting statuses and headers). A refused token is renewed and
   * the request sent again, once, as `request` does; the body is sent as is, with `contentType`.
   */
  async fetch(
    method: string,
    path: string,
    init: { readonly body?: Uint8Array | null; readonly contentType?: string | undefined } = {},
  ): Promise<Response> {
    const headers = (token: string): Record<string, string> => ({
      authorization: `Bearer ${token}`,
      ...(init.contentType ? { 'content-type': init.contentType } : {}),
    });
    const payload = (init.body ?? null) as BodyInit | null;
    const first = await this.exchange(method, path, headers(await this.bearer()), payload);
    if (first.status !== 401) return first;
    const bytes = await readCapped(first, this.maxResponseBytes);
    if (!refusal(first, bytes, `${method} ${path}`).needsReauth)
      return new Response(bytes.length > 0 ? (bytes as BodyInit) : null, {
        status: first.status,
        statusText: first.statusText,
        headers: first.headers,
      });
    this.invalidate();
    return this.exchange(method, path, headers(await this.bearer()), payload);
  }

  private async send(
    method: string,
    path: string,
    body: RequestBody | undefined,
    token: string | null,
    allow: readonly number[] = [],
  ): Promise<RelayResponse> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | null = null;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      payload = body as BodyInit;
    } else if (body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await this.exchange(method, path, headers, payload);
    const bytes = await readCapped(response, this.maxResponseBytes);
    const result = relayResponse(response.status, bytes, `${method} ${path}`);
    if (response.ok || allow.includes(response.status)) return result;
    throw refusal(response, bytes, `${method} ${path}`);
  }

  /** One HTTP exchange with the relay; no answer at all is a RelayError `unreachable`. */
  private async exchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload: BodyInit | null,
  ): Promise<Response> {
    try {
      return await this.fetchFn(`${this.relayUrl}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RelayError({
        kind: 'unreachable',
        message: `relay unreachable: ${(error as Error).message}`,
        cause: error,
      });
    }
  }
}

/** The RelayError for an error answer, with the registered reason its JSON body names (if any). */
function refusal(response: Response, bytes: Uint8Array, what: string): RelayError {
  let parsed: ReturnType<typeof parseErrorBody> = { reason: null, message: '' };
  try {
    parsed = parseErrorBody(JSON.parse(decoder.decode(bytes)));
  } catch {
    // not JSON (a proxy's page): the status is all there is
  }
  return new RelayError({
    kind: 'refused',
    reason: parsed.reason,
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    retrySpreadMs: parseRetrySpread(response.headers.get(RETRY_SPREAD_HEADER)),
    message: `${what}: ${response.status} ${parsed.reason ?? 'unknown reason'}${parsed.message ? `: ${parsed.message}` : ''}`,
  });
}

function relayResponse(status: number, bytes: Uint8Array, what: string): RelayResponse {
  return {
    status,
    bytes,
    json<T>(): T {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch {
        throw new RelayError({ kind: 'malformed', status, message: `${what}: the answer is not JSON` });
      }
    },
  };
}

function field<K extends 'string' | 'number'>(
  object: Record<string, unknown>,
  name: string,
  type: K,
): K extends 'string' ? string : number {
  const value = object[name];
  if (typeof value !== type)
    throw new RelayError({ kind: 'malformed', message: `the relay's auth answer has no ${type} "${name}"` });
  return value as K extends 'string' ? string : number;
}
