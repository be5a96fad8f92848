import type { RelayReason, RelayToDevice, RelayToViewer } from '@sealcam/protocol/relay-safe';
import { SOCKET_OPEN } from './live.js';
import type { RelaySession } from './relay-session.js';
import { spreadsOverWindow } from './retry.js';
import { SessionRenewal } from './session-renewal.js';

/** What a live connection needs of its socket: the browser's WebSocket and ws's alike. */
export interface SessionSocket {
  readonly readyState: number;
  send(text: string): void;
}

/** Before the relay tells one (PROTOCOL.md §16.2 step 5): a drop is followed within a second. */
const DEFAULT_RECONNECT_WINDOW_MS = 1000;

/**
 * What a client keeps about its live connection's session, from the relay's session messages: the
 * in-band renewal of the open connection (`renewed`, SessionRenewal) and the reconnect window
 * (`reconnect`) its next return after a drop is spread over. One per live connection loop (the
 * agent's LiveConnection, the SDK's RelayConnection).
 */
export class LiveSessionKeeper {
  /** The relay's reconnect window, ms. */
  reconnectWindowMs = DEFAULT_RECONNECT_WINDOW_MS;
  private renewal: SessionRenewal | null = null;

  constructor(private readonly session: RelaySession) {}

  /** A connection opened with the session's token: it is renewed in band before that token expires. */
  opened(socket: SessionSocket): void {
    this.renewal?.stop();
    this.renewal = new SessionRenewal(this.session, (text) => {
      if (socket.readyState === SOCKET_OPEN) socket.send(text);
    });
    this.renewal.start(this.session.expiresAt);
  }

  /** The window a hinted wait with this reason is spread over (ms): 0 for a client's own limits. */
  windowFor(reason: RelayReason | null): number {
    return spreadsOverWindow(reason) ? this.reconnectWindowMs : 0;
  }

  /** The connection closed: nothing more is renewed for it. */
  closed(): void {
    this.renewal?.stop();
    this.renewal = null;
  }

  /** Takes the relay's session messages (`renewed`, `reconnect`): true when `message` was one. */
  take(message: RelayToViewer | RelayToDevice): boolean {
    if (message.op === 'renewed') {
      this.renewal?.renewed(message.expiresAt);
      return true;
    }
    if (message.op === 'reconnect') {
      this.reconnectWindowMs = message.seconds * 1000;
      return true;
    }
    return false;
  }
}
