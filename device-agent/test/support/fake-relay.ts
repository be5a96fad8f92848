import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface FakeRelayBehaviour {
  /** Answers an authenticated request (auth itself always succeeds); return undefined for 404. */
  http?(request: IncomingMessage, body: Buffer): { status: number; body?: unknown } | 'hang' | undefined;
  /** Status for the next WebSocket upgrade, or 101 to accept. */
  upgrade?(attempt: number): number;
}

/**
 * A misbehaving relay for the agent's failure paths (refusals, stalls, odd upgrade answers) that
 * a real relay will not produce on demand. Loopback only.
 */
export async function startFakeRelay(behaviour: FakeRelayBehaviour) {
  const requests: string[] = [];
  const hanging: ServerResponse[] = [];
  let abandoned = 0;
  let upgrades = 0;
  const live = new WebSocketServer({ noServer: true });
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    requests.push(`${request.method} ${request.url}`);
    const send = (status: number, payload?: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload ?? { error: `http-${status}`, message: 'fake relay' }));
    };
    if (request.url === '/v1/auth/challenge')
      return send(200, {
        challenge: Buffer.alloc(32, 7).toString('base64url'),
        expiresAt: Date.now() + 60_000,
      });
    if (request.url === '/v1/auth/token')
      return send(200, { token: 'fake-token', id: 'x', role: 'device', expiresAt: Date.now() + 900_000 });
    const answer = behaviour.http?.(request, body);
    if (answer === 'hang') {
      hanging.push(response);
      // The client gave up on it (its own timeout) before the test ended it.
      response.once('close', () => {
        if (!stopping) abandoned++;
      });
      return;
    }
    if (!answer) return send(404, { error: 'not-found', message: 'fake relay' });
    return send(answer.status, answer.body);
  });
  server.on('upgrade', (request, socket, head) => {
    const status = behaviour.upgrade?.(upgrades++) ?? 101;
    if (status !== 101) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    live.handleUpgrade(request, socket, head, (ws) => live.emit('connection', ws));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopping = false;
  return {
    base,
    requests,
    get upgrades() {
      return upgrades;
    },
    /** Requests answered with 'hang' that are still open. */
    get stalled() {
      return hanging.filter((response) => !response.destroyed && !response.writableEnded).length;
    },
    /** Requests answered with 'hang' that the client closed while the fake relay was running. */
    get abandoned() {
      return abandoned;
    },
    live,
    async stop() {
      stopping = true;
      for (const response of hanging) response.destroy();
      for (const client of live.clients) client.terminate();
      live.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
