import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  BEARER_SUBPROTOCOL_PREFIX,
  LIVE_PATH,
  LIVE_SUBPROTOCOL,
  RETRY_SPREAD_HEADER,
  type RelayReason,
} from '@sealcam/protocol/relay-safe';
import type { WebSocketServer } from 'ws';
import type { RelayContext } from '../context.js';
import type { Refusal } from '../http/admission.js';
import { requestSource } from '../http/source-address.js';
import type { TrustFunction } from '../http/trusted-proxies.js';
import { closeWith } from './close.js';
import type { LiveHub } from './hub.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  429: 'Too Many Requests',
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

/** What ws would refuse with 400 anyway: such a handshake is answered without admission. */
function wellFormedHandshake(request: IncomingMessage): boolean {
  const version = request.headers['sec-websocket-version'];
  return (
    request.headers.upgrade?.toLowerCase() === 'websocket' &&
    /^[+/0-9A-Za-z]{22}==$/.test(request.headers['sec-websocket-key'] ?? '') &&
    (version === '13' || version === '8')
  );
}

export interface UpgradeGuards {
  /** The upgrade completed: the socket no longer counts as unauthenticated against its source. */
  authenticated(socket: Duplex): void;
}

/**
 * WebSocket upgrades. The session token (from the "bearer.<token>" subprotocol: tokens never sit in
 * URLs) is verified first, a cheap HMAC; then admission control, the identity's own limits before
 * the relay-wide ones (a reconnect storm gets 503 + Retry-After before any work), and the upgrade
 * on the server for the role (devices may send frames; viewers only small control messages). A
 * socket that has not completed its upgrade (or, refused, not closed) within upgradeTimeoutSeconds
 * is destroyed: half-open upgrades cost a descriptor for seconds, not forever.
 */
export function handleUpgrades(
  context: RelayContext,
  servers: { device: WebSocketServer; viewer: WebSocketServer },
  hub: LiveHub,
  isDraining: () => boolean,
  guards: UpgradeGuards,
  /** The trusted proxies (server.ts): the same function fastify resolves request.ip with. */
  trust: TrustFunction | false,
) {
  const { config } = context;
  return async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => {});
    const deadline = setTimeout(() => {
      context.metrics.socketTimeouts.inc({ phase: 'upgrade' });
      socket.destroy();
    }, config.upgradeTimeoutSeconds * 1000);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== LIVE_PATH)
      return reject(socket, 404, 'no WebSocket here', 'not-found');
    const retry = config.retryAfterSeconds;
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
    const server = session.role === 'device' ? servers.device : servers.viewer;
    // ws answers it 400 (answerBadHandshakes) without a callback: nothing to admit.
    if (!wellFormedHandshake(request)) return server.handleUpgrade(request, socket, head, () => {});
    const source = requestSource(request, trust, config.ipv6SourcePrefix);
    const slot = await context.admission.admitUpgrade(session.id, source);
    if ('kind' in slot) {
      context.metrics.admissionRejections.inc({ kind: slot.kind });
      return slot.status === 429
        ? reject(socket, 429, `${UPGRADE_REFUSALS[slot.kind]}; retry later`, 'rate-limited', slot.wait)
        : reject(
            socket,
            503,
            `${UPGRADE_REFUSALS[slot.kind]}; retry later with jitter`,
            'over-capacity',
            slot.wait,
            slot.kind === 'handshake' && slot.spread !== undefined
              ? [`${RETRY_SPREAD_HEADER}: ${slot.spread}`]
              : [],
          );
    }
    // Released however the connection ends, including a handshake that ws refuses.
    socket.once('close', slot.release);
    if (socket.destroyed) return slot.release();
    server.handleUpgrade(request, socket, head, (ws) => {
      clearTimeout(deadline);
      guards.authenticated(socket);
      ws.once('close', slot.release);
      hub.accept(ws, session, socket).catch(() => closeWith(ws, 'internal'));
    });
  };
}

const UPGRADE_REFUSALS: Record<Refusal['kind'], string> = {
  'identity-upgrade-rate': 'too many upgrades by this identity',
  'identity-connections': 'too many connections for this identity',
  'source-connections': 'too many connections from this address',
  'source-fair-share': 'this address took more than its share of handshakes',
  connections: 'too many connections',
  handshake: 'over capacity',
};

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
