import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  BEARER_SUBPROTOCOL_PREFIX,
  LIVE_PATH,
  LIVE_SUBPROTOCOL,
  type RelayReason,
} from '@sealcam/protocol/relay-safe';
import type { WebSocketServer } from 'ws';
import type { RelayContext } from '../context.js';
import { closeWith } from './close.js';
import type { LiveHub } from './hub.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  503: 'Service Unavailable',
};

function reject(
  socket: Duplex,
  status: number,
  text: string,
  reason: RelayReason,
  retryAfter?: number,
  extraHeaders: readonly string[] = [],
): void {
  const body = JSON.stringify({ error: reason, message: text });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (retryAfter !== undefined) headers.push(`Retry-After: ${retryAfter}`);
  headers.push(...extraHeaders);
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * WebSocket upgrades. The session token (from the "bearer.<token>" subprotocol: tokens never sit in
 * URLs) is verified first, a cheap HMAC; then admission control (a reconnect storm gets 503 +
 * Retry-After before any work), the process and per-identity connection caps, and the upgrade on
 * the server for the role (devices may send frames; viewers only small control messages).
 */
export function handleUpgrades(
  context: RelayContext,
  servers: { device: WebSocketServer; viewer: WebSocketServer },
  hub: LiveHub,
  isDraining: () => boolean,
) {
  return async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => {});
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== LIVE_PATH)
      return reject(socket, 404, 'no WebSocket here', 'not-found');
    const retry = context.config.retryAfterSeconds;
    if (isDraining()) return reject(socket, 503, 'relay shutting down', 'draining', retry);
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((item) => item.trim());
    const bearer = offered.find((item) => item.startsWith(BEARER_SUBPROTOCOL_PREFIX));
    const session = context.verifySession(
      offered.includes(LIVE_SUBPROTOCOL) ? bearer?.slice(BEARER_SUBPROTOCOL_PREFIX.length) : undefined,
    );
    if (typeof session === 'string') {
      const text =
        session === 'missing-token'
          ? `offer subprotocols "${LIVE_SUBPROTOCOL}" and "${BEARER_SUBPROTOCOL_PREFIX}<token>"`
          : 'session token refused; authenticate again';
      return reject(socket, 401, text, session);
    }
    const wait = await context.admission.admitUpgrade();
    if (wait !== null) {
      context.metrics.admissionRejections.inc({ kind: 'handshake' });
      return reject(socket, 503, 'over capacity; retry later with jitter', 'over-capacity', wait);
    }
    const slot = context.admission.openConnection(session.id);
    if (typeof slot === 'string') {
      context.metrics.admissionRejections.inc({
        kind: slot === 'process-limit' ? 'connections' : 'identity-connections',
      });
      const text =
        slot === 'process-limit' ? 'too many connections' : 'too many connections for this identity';
      return reject(socket, 503, `${text}; retry later with jitter`, 'over-capacity', retry);
    }
    // Released however the connection ends, including a handshake that ws refuses.
    socket.once('close', slot.release);
    if (socket.destroyed) return slot.release();
    const server = session.role === 'device' ? servers.device : servers.viewer;
    server.handleUpgrade(request, socket, head, (ws) => {
      ws.once('close', slot.release);
      hub.accept(ws, session, socket).catch(() => closeWith(ws, 'internal'));
    });
  };
}

/**
 * A handshake that ws refuses (a bad Upgrade, Sec-WebSocket-Key, -Version, -Protocol or -Extensions
 * header) is answered like every other refusal: 400 with a JSON error body, not ws's own text reply.
 * Non-GET requests never reach ws (handleUpgrades answers 404), so every refusal here is a 400.
 */
export function answerBadHandshakes(server: WebSocketServer): void {
  server.on('wsClientError', (error: Error, socket: Duplex) => {
    reject(socket, 400, error.message, 'invalid-request', undefined, ['Sec-WebSocket-Version: 13']);
  });
}
