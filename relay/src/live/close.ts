import { formatCloseReason, RELAY_REASONS, type RelayReason } from '@sealcam/protocol/relay-safe';
import type { WebSocket } from 'ws';
import type { Metrics } from '../ops/metrics.js';

/** Reasons that end a WebSocket: the registry gives each its close code. */
export type CloseReason = {
  [R in RelayReason]: (typeof RELAY_REASONS)[R] extends { readonly close: number } ? R : never;
}[RelayReason];

/** Closes with the reason's registered code and the text `<reason>[; retry-after=N]`. */
export function closeWith(ws: WebSocket, reason: CloseReason, retryAfterSeconds?: number): void {
  ws.close(RELAY_REASONS[reason].close, formatCloseReason(reason, retryAfterSeconds));
}

/** Bad input on a live connection: counted, then the connection is closed. */
export function refuse(
  ws: WebSocket,
  metrics: Metrics,
  surface: 'ws-device' | 'ws-viewer',
  reason: CloseReason,
): void {
  metrics.badInput.inc({ surface });
  closeWith(ws, reason);
}
