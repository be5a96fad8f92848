import { AsyncLocalStorage } from 'node:async_hooks';
import type { WebSocketFactory, WebSocketLike } from '@sealcam/client';
import WebSocket from 'ws';

/** One HTTP answer a viewer received: what the relay served it. */
export interface ServedResponse {
  readonly path: string;
  readonly bytes: Uint8Array;
}

const scope = new AsyncLocalStorage<ServedResponse[]>();
let installed = false;

/**
 * The harness watches the wire, not the relay: every successful HTTP answer made inside
 * `observe()` is recorded with its exact bytes, whatever code (SDK, agent) made the request.
 */
export function installFetchTap(): void {
  if (installed) return;
  installed = true;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const sink = scope.getStore();
    if (!sink || response.status !== 200) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    sink.push({ path: new URL(String(input)).pathname, bytes });
    return new Response(bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** Runs `work` and returns its outcome with every answer the relay served during it. */
export async function observe<T>(
  work: () => Promise<T>,
): Promise<
  { ok: true; value: T; served: ServedResponse[] } | { ok: false; error: unknown; served: ServedResponse[] }
> {
  const served: ServedResponse[] = [];
  return scope.run(served, async () => {
    try {
      return { ok: true as const, value: await work(), served };
    } catch (error) {
      return { ok: false as const, error, served };
    }
  });
}

/**
 * A WebSocket for the SDK (the `ws` package behind the browser's API) that lets the harness see each
 * binary message before the SDK handles it: `tap(bytes, deliver)` must call `deliver()` once.
 */
export function tappedWebSocket(tap: (bytes: Uint8Array, deliver: () => void) => void): WebSocketFactory {
  return class TappedSocket implements WebSocketLike {
    private readonly socket: WebSocket;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string, protocols: string[]) {
      this.socket = new WebSocket(url, protocols, { perMessageDeflate: false });
      this.socket.binaryType = 'arraybuffer';
      this.socket.on('open', () => this.onopen?.({}));
      this.socket.on('error', (error) => this.onerror?.(error));
      this.socket.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
      this.socket.on('message', (data, isBinary) => {
        const handler = this.onmessage;
        if (!handler) return;
        const buffer = data as ArrayBuffer;
        if (!isBinary) {
          handler({ data: Buffer.from(buffer).toString('utf8') });
          return;
        }
        tap(new Uint8Array(buffer), () => handler({ data: buffer }));
      });
    }

    get binaryType(): string {
      return 'arraybuffer';
    }

    set binaryType(_value: string) {
      // always ArrayBuffer, as the SDK asks
    }

    get readyState(): number {
      return this.socket.readyState;
    }

    send(data: string): void {
      this.socket.send(data);
    }

    close(code?: number, reason?: string): void {
      this.socket.close(code, reason);
    }
  };
}
