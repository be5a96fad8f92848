import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuthProof, fromBase64Url, type Identity, toBase64Url } from '@sealcam/protocol';

/** One HTTP answer, or `status: 0` with `error` when no answer came (reset, timeout). */
export interface Answer {
  readonly status: number;
  readonly reason: string | null;
  readonly json: Record<string, unknown> | null;
  readonly retryAfterSeconds: number | null;
  readonly error: string | null;
  readonly ms: number;
}

export interface RequestOptions {
  readonly method?: string;
  readonly token?: string;
  readonly body?: Uint8Array | string | Readonly<Record<string, unknown>>;
  readonly contentType?: string;
  /** The source address (127.0.0.x on loopback): distinct addresses are distinct sources. */
  readonly localAddress?: string;
  /** Extra request headers (e.g. X-Forwarded-For, as a proxy in front would send it). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** A plain HTTP request from a chosen source address, one socket per request (no pooling). */
export function send(base: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const started = performance.now();
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: Uint8Array | undefined;
  if (options.body instanceof Uint8Array) {
    headers['content-type'] = options.contentType ?? 'application/octet-stream';
    body = options.body;
  } else if (typeof options.body === 'string') {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = Buffer.from(options.body);
  } else if (options.body) {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(options.body));
  }
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Omit<Answer, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, ms: performance.now() - started });
    };
    const failed = (error: string) =>
      done({ status: 0, reason: null, json: null, retryAfterSeconds: null, error });
    const url = new URL(path, base);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('error', () => failed('response-aborted'));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: Record<string, unknown> | null = null;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = null;
          }
          const hint = Number(res.headers['retry-after']);
          done({
            status: res.statusCode ?? 0,
            reason: typeof json?.error === 'string' ? json.error : null,
            json,
            retryAfterSeconds: Number.isFinite(hint) && res.headers['retry-after'] ? hint : null,
            error: null,
          });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => {
      failed('timeout');
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) => failed(error.code ?? 'error'));
    req.end(body);
  });
}

/**
 * Challenge → proof → token from a chosen source, as an attacker's script would do it: refusals
 * that carry a retry hint (429/503) are waited out, at most `attempts` times.
 */
export async function tokenFrom(
  base: string,
  identity: Identity,
  localAddress: string | undefined,
  attempts = 20,
): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const options = localAddress ? { localAddress } : {};
    const challenge = await send(base, '/v1/auth/challenge', { ...options, method: 'POST' });
    if (challenge.status === 200 && typeof challenge.json?.challenge === 'string') {
      const value = challenge.json.challenge;
      const proof = createAuthProof(identity, base, fromBase64Url(value));
      const token = await send(base, '/v1/auth/token', {
        ...options,
        method: 'POST',
        body: { challenge: value, proof: toBase64Url(proof) },
      });
      if (token.status === 200 && typeof token.json?.token === 'string') return token.json.token;
      last = `token ${token.status} ${token.reason ?? token.error}`;
      // This address has made its new devices for the hour: waiting would take that long.
      if (token.reason === 'too-many-new-devices') break;
      await backOff(token);
    } else {
      last = `challenge ${challenge.status} ${challenge.reason ?? challenge.error}`;
      await backOff(challenge);
    }
  }
  throw new Error(`no token after ${attempts} attempts (last: ${last})`);
}

async function backOff(answer: Answer): Promise<void> {
  const seconds = answer.retryAfterSeconds ?? 0.2;
  await sleep(Math.min(5_000, seconds * 1000) * (0.5 + Math.random() / 2));
}

/** Loopback source number `n` (1 … 254): 127.0.0.n. The honest clients keep 127.0.0.1. */
export function source(n: number): string {
  return `127.0.0.${n}`;
}
