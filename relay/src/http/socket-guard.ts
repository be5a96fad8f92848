import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { sourceOf } from './source-address.js';

const counted = Symbol('sealcam.unauthenticatedSource');

type GuardedSocket = Socket & { [counted]?: string | undefined };

const refusal = (what: string) =>
  JSON.stringify({
    error: 'over-capacity',
    message: `too many ${what} from this address; retry later with jitter`,
  });
const REFUSAL_BODIES = {
  unauthenticated: refusal('unauthenticated connections'),
  total: refusal('connections'),
};

/**
 * Caps the sockets one source address holds open: before authenticating (`perSource`), and in all
 * (`totalPerSource`), so that sockets which once presented a token cannot fill the listener either.
 * A socket counts as unauthenticated from accept until a request on it presented a valid session
 * token or its WebSocket upgrade completed; beyond either cap, a new socket from that source is
 * answered 503 and closed at once. Other sources are not affected.
 *
 * Sockets from a trusted proxy (`exempt`) are not capped: the client behind one is known only once
 * its headers arrive, after the socket is accepted, and capping the proxy's own address would
 * refuse every client behind it at once; the proxy caps its clients' sockets, and the relay's
 * per-source limits on requests and upgrades apply to the address it forwards. A peer that is not
 * a trusted proxy is capped as usual. With a hop count every peer is taken for a proxy (none is
 * capped); with a list of proxy addresses only those are exempt.
 *
 * Entries exist only while their sockets are open: bounded by the server's connection cap.
 */
export class SocketGuard {
  private readonly perSource = new Map<string, number>();
  private readonly totalBySource = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly perSource: number;
      readonly totalPerSource: number;
      readonly ipv6Prefix: number;
      readonly retryAfterSeconds: number;
      readonly onRefused: (cap: 'unauthenticated' | 'total') => void;
    },
  ) {}

  /** Watches every socket the server accepts, except those whose peer address is `exempt`. */
  attach(server: Server, exempt: (address: string) => boolean = () => false): void {
    server.on('connection', (socket: Socket) => {
      if (socket.remoteAddress && exempt(socket.remoteAddress)) return;
      this.accepted(socket);
    });
  }

  private accepted(socket: GuardedSocket): void {
    const source = sourceOf(socket.remoteAddress, this.options.ipv6Prefix);
    const held = this.perSource.get(source) ?? 0;
    const total = this.totalBySource.get(source) ?? 0;
    const over =
      total >= this.options.totalPerSource
        ? 'total'
        : held >= this.options.perSource
          ? 'unauthenticated'
          : null;
    if (over) {
      const body = REFUSAL_BODIES[over];
      this.options.onRefused(over);
      socket.on('error', () => {});
      socket.end(
        [
          'HTTP/1.1 503 Service Unavailable',
          'Content-Type: application/json',
          `Content-Length: ${Buffer.byteLength(body)}`,
          `Retry-After: ${this.options.retryAfterSeconds}`,
          'Connection: close',
          '',
          body,
        ].join('\r\n'),
      );
      // The peer need not read or close its end: the descriptor is freed now.
      socket.destroySoon();
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.perSource.set(source, held + 1);
    this.totalBySource.set(source, total + 1);
    socket[counted] = source;
    socket.once('close', () => {
      this.authenticated(socket);
      const left = (this.totalBySource.get(source) ?? 1) - 1;
      if (left > 0) this.totalBySource.set(source, left);
      else this.totalBySource.delete(source);
    });
  }

  /** The socket proved an identity (or is gone): it no longer counts against its source. */
  authenticated(socket: Duplex): void {
    const guarded = socket as GuardedSocket;
    const source = guarded[counted];
    if (source === undefined) return;
    guarded[counted] = undefined;
    const left = (this.perSource.get(source) ?? 1) - 1;
    if (left > 0) this.perSource.set(source, left);
    else this.perSource.delete(source);
  }

  /** Unauthenticated sockets held now, all sources together. */
  get unauthenticated(): number {
    let total = 0;
    for (const held of this.perSource.values()) total += held;
    return total;
  }
}
