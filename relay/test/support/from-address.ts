import { Agent, request } from 'node:http';
import WebSocket from 'ws';

/**
 * Clients that bind a loopback address of their choosing (127.0.0.x), so that one test process
 * appears to the relay as many distinct sources.
 */
export class FromAddress {
  private readonly agent: Agent;

  constructor(readonly address: string) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 2, localAddress: address });
  }

  /** A bodiless request; resolves with the status and the JSON error reason, if any. */
  send(base: string, method: string, path: string): Promise<{ status: number; error: string | null }> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        `${base}${path}`,
        { method, agent: this.agent, timeout: 60_000 },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            let error: string | null = null;
            try {
              error = (JSON.parse(text) as { error?: string }).error ?? null;
            } catch {}
            resolve({ status: response.statusCode ?? 0, error });
          });
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  /** A live WebSocket attempt: 101 (the socket is returned open) or the refusal's status. */
  upgrade(wsBase: string, token: string): Promise<{ status: number; ws: WebSocket }> {
    return tryUpgrade(wsBase, token, { localAddress: this.address });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A live WebSocket attempt with `options` (source address, headers): 101 (left open) or the refusal's status. */
export function tryUpgrade(
  wsBase: string,
  token: string,
  options: WebSocket.ClientOptions,
): Promise<{ status: number; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${wsBase}/v1/live`, ['sealcam.v1', `bearer.${token}`], options);
    ws.on('error', () => {});
    const timer = setTimeout(() => resolve({ status: -1, ws }), 60_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ status: 101, ws });
    });
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      response.resume();
      resolve({ status: response.statusCode ?? 0, ws });
      response.socket.destroy();
    });
    ws.once('close', () => {
      clearTimeout(timer);
      resolve({ status: 0, ws });
    });
  });
}
