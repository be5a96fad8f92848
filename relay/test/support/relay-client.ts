import { Access, createAccessList, decodeLiveMessage, formatId, type Identity } from '@sealcam/protocol';
import { RelaySession } from '@sealcam/relay-client';
import { until } from '@sealcam/testkit/poll';
import WebSocket from 'ws';

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown> | null;
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** Plain HTTP against a relay over loopback. */
export async function http(
  base: string,
  method: string,
  path: string,
  options: {
    token?: string | undefined;
    body?: Uint8Array | Record<string, unknown> | string | undefined;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: Uint8Array | string | undefined;
  if (options.body instanceof Uint8Array) {
    headers['content-type'] ??= 'application/octet-stream';
    body = options.body;
  } else if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body ?? null,
    signal: AbortSignal.timeout(60_000),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = Buffer.from(bytes).toString('utf8');
  let json: Record<string, unknown> | null = null;
  if (response.headers.get('content-type')?.includes('application/json'))
    json = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, json, bytes, text };
}

/**
 * A session token from the one relay client (challenge → proof → token). The proof is bound to the
 * origin this client was configured with (`base`), never to the origin the relay claims.
 */
export function authenticate(base: string, identity: Identity): Promise<string> {
  return new RelaySession(base, identity).bearer();
}

/** The device registers who may read it (the relay's second line of defence). */
export async function registerViewers(
  base: string,
  device: Identity,
  token: string,
  viewers: { identity: Identity; access?: Access }[],
  version = 1,
): Promise<void> {
  const list = createAccessList({
    device,
    version,
    issuedAt: Date.now(),
    entries: viewers.map((viewer) => ({
      viewerId: viewer.identity.card.id,
      access: viewer.access ?? Access.Viewer,
    })),
  });
  const result = await http(base, 'PUT', `/v1/devices/${formatId(device.card.id)}/access-list`, {
    token,
    body: list,
  });
  if (result.status !== 201) throw new Error(`access list: ${result.status} ${result.text}`);
}

/**
 * Waits until the relay's keyframe cache for the stream holds the frame of `message` (a live frame
 * message the device sent): from then on the relay has handled everything the device sent before it,
 * so a test need not guess how long that takes on a busy machine.
 */
export async function waitForCachedKeyframe(
  base: string,
  token: string,
  message: Uint8Array,
  timeoutMs = 60_000,
): Promise<void> {
  const { deviceId, streamId, payload } = decodeLiveMessage(message);
  const path = `/v1/devices/${formatId(deviceId)}/streams/${streamId}/keyframe`;
  await until(
    async () => {
      const cached = await http(base, 'GET', path, { token });
      return cached.status === 200 && Buffer.from(cached.bytes).equals(Buffer.from(payload));
    },
    timeoutMs,
    `the relay to cache the keyframe of ${streamId}`,
  );
}

export interface LiveClient {
  readonly ws: WebSocket;
  readonly binary: Uint8Array[];
  readonly control: Record<string, unknown>[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves when a control message matching `predicate` arrived (bounded by `timeoutMs`). */
  waitControl(
    predicate: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves when at least `count` binary messages arrived. */
  waitBinary(count: number, timeoutMs?: number): Promise<void>;
  send(message: Record<string, unknown> | Uint8Array): void;
  close(): Promise<void>;
}

/** A WebSocket to /v1/live with the token in the subprotocol list. */
export function connectLive(
  wsBase: string,
  token: string,
  options: { readPaused?: boolean } = {},
): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`], {
      perMessageDeflate: false,
    });
    const binary: Uint8Array[] = [];
    const control: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    const wake = () => {
      for (const waiter of waiters.splice(0)) waiter();
    };
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      ws.once('close', (code, reason) => {
        done({ code, reason: reason.toString() });
        wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) binary.push(new Uint8Array(data as Buffer));
      else control.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>);
      wake();
    });
    const until = (check: () => boolean, timeoutMs: number, what: string) =>
      new Promise<void>((done, fail) => {
        const deadline = setTimeout(
          () => fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
          timeoutMs,
        );
        const poll = () => {
          if (check()) {
            clearTimeout(deadline);
            done();
          } else if (ws.readyState === WebSocket.CLOSED) {
            clearTimeout(deadline);
            fail(new Error(`connection closed while waiting for ${what}`));
          } else waiters.push(poll);
        };
        poll();
      });
    ws.once('error', reject);
    ws.once('open', () => {
      if (options.readPaused) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      resolve({
        ws,
        binary,
        control,
        closed,
        async waitControl(predicate, timeoutMs = 60_000) {
          await until(() => control.some(predicate), timeoutMs, 'a control message');
          return control.find(predicate)!;
        },
        waitBinary: (count, timeoutMs = 60_000) =>
          until(() => binary.length >= count, timeoutMs, `${count} binary messages`),
        send(message) {
          ws.send(message instanceof Uint8Array ? message : JSON.stringify(message));
        },
        async close() {
          if (ws.readyState === WebSocket.CLOSED) return;
          ws.close();
          await closed;
        },
      });
    });
  });
}
