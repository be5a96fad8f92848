import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { sourceOf } from './source-address.js';

const counted = Symbol('sealcam.unauthenticatedSource');

type GuardedSocket = Socket & { [counted]?: string | undefined };

const REFUSAL_BODY = JSON.stringify({
  error: 'over-capacity',
  message: 'too many unauthenticated connections from this address; retry later with jitter',
});

/**
 * Caps the sockets one source address holds open before authenticating. A socket counts as
 * unauthenticated from accept until a request on it presented a valid session token or its
 * WebSocket upgrade completed; beyond the cap, a new socket from that source is answered 503 and
 * closed at once. Other sources are not affected. Behind a proxy (trustProxy) every socket comes
 * from the proxy, so there the cap is not applied (the proxy must do it).
 */
export class SocketGuard {
  private readonly perSource = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly perSource: number;
      readonly ipv6Prefix: number;
      readonly retryAfterSeconds: number;
      readonly onRefused: () => void;
    },
  ) {}

  /** Watches every socket the server accepts. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accepted(socket));
  }

  private accepted(socket: GuardedSocket): void {
    const source = sourceOf(socket.remoteAddress, this.options.ipv6Prefix);
    const held = this.perSource.get(source) ?? 0;
    if (held >= this.options.perSource) {
      this.options.onRefused();
      socket.on('error', () => {});
      socket.end(
        [
          'HTTP/1.1 503 Service Unavailable',
          'Content-Type: application/json',
          `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}`,
          `Retry-After: ${this.options.retryAfterSeconds}`,
          'Connection: close',
          '',
          REFUSAL_BODY,
        ].join('\r\n'),
      );
      // The peer need not read or close its end: the descriptor is freed now.
      socket.destroySoon();
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.perSource.set(source, held + 1);
    socket[counted] = source;
    socket.once('close', () => this.authenticated(socket));
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
