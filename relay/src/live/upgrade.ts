import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Session } from '../auth/tokens.js';
import type { RelayContext } from '../context.js';
import type { LiveHub } from './hub.js';

export const LIVE_PATH = '/v1/live';
export const SUBPROTOCOL = 'sealcam.v1';

function reject(socket: Duplex, status: number, text: string, reason: string, retryAfter?: number): void {
  const body = JSON.stringify({ error: reason, message: text });
  const headers = [
    `HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Bad Request'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (retryAfter !== undefined) headers.push(`Retry-After: ${retryAfter}`);
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * WebSocket upgrades: admission control first (a reconnect storm gets 503 + Retry-After before any
 * work), then the session token from the "bearer.<token>" subprotocol (tokens never sit in URLs).
 */
export function handleUpgrades(
  context: RelayContext,
  wss: WebSocketServer,
  hub: LiveHub,
  isDraining: () => boolean,
) {
  return async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => {});
    const path = (request.url ?? '').split('?')[0];
    if (path !== LIVE_PATH) return reject(socket, 404, 'no WebSocket here', 'not-found');
    const retry = context.config.retryAfterSeconds;
    if (isDraining()) return reject(socket, 503, 'relay shutting down', 'draining', retry);
    const wait = await context.admission.admitHandshake();
    if (wait !== null) {
      context.metrics.admissionRejections.inc({ kind: 'handshake' });
      return reject(socket, 503, 'over capacity; retry later with jitter', 'over-capacity', wait);
    }
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((item) => item.trim());
    const bearer = offered.find((item) => item.startsWith('bearer.'));
    if (!offered.includes(SUBPROTOCOL) || !bearer) {
      context.metrics.authFailures.inc({ reason: 'missing-token' });
      return reject(socket, 401, `offer subprotocols "${SUBPROTOCOL}" and "bearer.<token>"`, 'missing-token');
    }
    const session = context.tokens.verify(bearer.slice('bearer.'.length), context.now());
    if (typeof session === 'string') {
      context.metrics.authFailures.inc({ reason: `token-${session}` });
      return reject(socket, 401, `session token ${session}`, `token-${session}`);
    }
    if (!context.admission.connectionOpened()) {
      context.metrics.admissionRejections.inc({ kind: 'connections' });
      return reject(socket, 503, 'too many connections; retry later with jitter', 'over-capacity', retry);
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.once('close', () => context.admission.connectionClosed());
      hub.accept(ws, session as Session).catch(() => ws.close(1011, 'internal error'));
    });
  };
}
