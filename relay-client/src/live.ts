import { BEARER_SUBPROTOCOL_PREFIX, LIVE_PATH, LIVE_SUBPROTOCOL } from '@sealcam/protocol/relay-safe';
import { RelayError } from './relay-error.js';
import type { RelaySession } from './relay-session.js';
import { type LiveClose, parseLiveClose, parseRetryAfter, parseRetrySpread } from './retry-after.js';

/** The part of the WebSocket API the clients use: the browser's, or `ws` in Node. */
export interface LiveSocket {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
/** A WebSocket constructor: the browser's global one, or `ws` in Node. */
export type LiveSocketFactory = new (url: string, protocols: string[]) => LiveSocket;

export const SOCKET_OPEN = 1;

export function liveUrl(relayUrl: string): string {
  return `${relayUrl.replace(/^http/, 'ws')}${LIVE_PATH}`;
}

/** The subprotocols of a live connection: `sealcam.v1` and the session token (tokens never sit in URLs). */
export async function liveProtocols(session: RelaySession): Promise<string[]> {
  return [LIVE_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${await session.bearer()}`];
}

/**
 * The relay refused the live upgrade with an HTTP status (and maybe a JSON error body, Retry-After
 * and Sealcam-Retry-Spread). A refused token is forgotten, so that the next attempt authenticates again.
 */
export function liveRefused(
  session: RelaySession,
  status: number,
  hints: { readonly retryAfter?: string | undefined; readonly retrySpread?: string | undefined },
  reason: RelayError['reason'] = null,
): RelayError {
  const error = new RelayError({
    kind: 'refused',
    status,
    reason,
    retryAfterMs: parseRetryAfter(hints.retryAfter),
    retrySpreadMs: parseRetrySpread(hints.retrySpread),
    message: `live upgrade refused: HTTP ${status}${reason ? ` ${reason}` : ''}`,
  });
  if (error.needsReauth) session.invalidate();
  return error;
}

/**
 * The relay closed a live connection. Parses the close reason (`<reason>[; retry-after=N]`) and
 * forgets the token when the relay asks for a new one. A reason this version does not know
 * (or a close without one) gives reason null: the code decides then.
 */
export function liveClosed(
  session: RelaySession,
  code: number,
  text: string,
): LiveClose & { error: RelayError } {
  const close = parseLiveClose(code, text);
  const error = new RelayError({
    kind: 'closed',
    closeCode: code,
    reason: close.reason,
    retryAfterMs: close.retryAfterMs,
    message: `live connection closed: ${code}${text ? ` ${text}` : ''}`,
  });
  if (error.needsReauth) session.invalidate();
  return { ...close, error };
}

/**
 * Opens a live connection with any WHATWG-style WebSocket (the browser's, or `ws`): resolves once
 * it is open; rejects with a RelayError when it fails or closes first.
 */
export async function openLiveSocket(
  session: RelaySession,
  WebSocketImpl: LiveSocketFactory,
): Promise<LiveSocket> {
  const socket = new WebSocketImpl(liveUrl(session.relayUrl), await liveProtocols(session));
  socket.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new RelayError({ kind: 'unreachable', message: 'live connection failed' }));
    socket.onclose = (event) => reject(liveClosed(session, event.code, event.reason).error);
  });
  socket.onerror = null;
  socket.onclose = null;
  return socket;
}
